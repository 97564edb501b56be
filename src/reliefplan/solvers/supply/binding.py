"""The supply LP's binding constraints in words, from the deprivation solve's row duals: which capacity, on which
days, and what a step more of it would cut (dual × change, an upper bound; see docs/supply.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .lp import _Lp
from .model import BindingConstraint, SupplyInstance


def _windows(mask: np.ndarray) -> list[tuple[int, int]]:
    """Runs of consecutive True days as (first, last)."""
    out: list[tuple[int, int]] = []
    start = None
    for t, m in enumerate(mask):
        if m and start is None:
            start = t
        if not m and start is not None:
            out.append((start, t - 1))
            start = None
    if start is not None:
        out.append((start, len(mask) - 1))
    return out


def _days(a: int, b: int) -> str:
    return f"day {a}" if a == b else f"days {a}–{b}"


@dataclass(frozen=True)
class _Margin:
    """What one row kind's owner is called, and the step the text speaks of (in its unit and in t/day)."""

    name: str
    step: float
    unit: str
    step_t: float
    what: str


def _margin(inst: SupplyInstance, kind: str, owner: int, a: int, z: int, step_trucks: float, step_st: float) -> _Margin:
    """The margin of one binding window: +step of the row's capacity on days a..z, said in words."""
    if kind == "entry_capacity":
        e = inst.entry_points[owner]
        step_t = step_trucks * e.payload(inst.payload_t)
        what = f"+{step_trucks:g} trucks/day ({step_t:,.0f} t/day) at {e.id} on {_days(a, z)}"
        return _Margin(e.id, step_trucks, "trucks/day", step_t, what)
    if kind in ("arc_loads", "arc_capacity"):
        arc = inst.arcs[owner]
        step_t = step_trucks * (arc.payload_t or inst.payload_t)
        if kind == "arc_capacity":
            name = f"{arc.source}->{arc.target}"
            what = f"+{step_trucks:g} trucks/day ({step_t:,.0f} t/day) on road {name} on {_days(a, z)}"
            return _Margin(name, step_trucks, "trucks/day", step_t, what)
        # a chain stage after an entry point (chain.with_chain names its nodes "<entry>:<stage>")
        name = arc.source.split(":")[0] if ":" in arc.source else f"{arc.source}->{arc.target}"
        stage = {"movements": "convoy movements allowed", "collection": "collection"}.get(
            arc.stage, arc.stage or "a stage in truckloads"
        )
        what = f"+{step_trucks:g} loads/day (about {step_t:,.0f} t/day) of {stage} after {name} on {_days(a, z)}"
        return _Margin(name, step_trucks, "loads/day", step_t, what)
    where = "warehouse" if kind == "warehouse_storage" else "site"
    x = inst.warehouses[owner] if kind == "warehouse_storage" else inst.sites[owner]
    what = f"+{step_st:g} t of storage at {where} {x.id} on {_days(a, z)}"
    return _Margin(x.id, step_st, "t of storage", step_st, what)


def _constraint(
    inst: SupplyInstance,
    kind: str,
    owner: int,
    a: int,
    z: int,
    p: np.ndarray,
    mg: _Margin,
    tiers: list[tuple[str, float, float]],
    short_t: np.ndarray,
    weighted_short: np.ndarray,
    rtol: float,
    tol: float,
) -> BindingConstraint:
    """One binding window (days a..z, shadow prices ``p``) with its predicted cut and text."""
    # dual per unit of the row: tonnes, or truckloads for a stage counted in loads
    linear = float(p.sum() * (mg.step if kind == "arc_loads" else mg.step_t))
    # the optimal value is convex in the capacity, so dual × change bounds the cut from above;
    # so does the deprivation left from the window's first day on
    cut = min(linear, float(weighted_short[..., a:].sum()))
    # t per unit of the row: 1, or for a stage in loads the commodity's payload on that arc
    per_unit = (
        {c.id: inst.payload(c, inst.arcs[owner].payload_t) for c in inst.commodities} if kind == "arc_loads" else {}
    )
    matches = {(k, f) for k, w, f in tiers if np.allclose(p, w * per_unit.get(k, 1.0), rtol=rtol, atol=tol)}
    commodity = cut_t = None
    if len({k for k, _ in matches}) == 1:
        commodity, f = next(iter(matches))
        ki = [c.id for c in inst.commodities].index(commodity)
        prio = inst.commodities[ki].priority
        cut_t = min(linear / (prio * f), float(short_t[ki, :, a:].sum()))
        cut = min(cut, cut_t * prio * f)
        text = f"{mg.what} would cut the {commodity} shortfall by up to about {cut_t:,.0f} t"
    else:
        text = f"{mg.what} would cut the priority-weighted shortfall by up to about {cut:,.0f}"
    per = "t of storage" if kind.endswith("storage") else ("load/day" if kind == "arc_loads" else "t/day of capacity")
    text += (
        f" (shadow price {float(p.mean()):.3g} per {per} and day"
        f"; dual × change = {linear:,.0f}, exact only for small changes and an upper bound "
        "beyond — re-solve to confirm)"
    )
    return BindingConstraint(
        kind=(inst.arcs[owner].stage or kind) if kind == "arc_loads" else kind,
        id=mg.name,
        first_day=a,
        last_day=z,
        shadow_price=[float(v) for v in p],
        step=mg.step,
        step_unit=mg.unit,
        step_t_per_day=mg.step_t,
        predicted_cut=cut,
        commodity=commodity,
        predicted_cut_t=cut_t,
        text=text,
    )


def _binding(
    inst: SupplyInstance,
    lp: _Lp,
    duals: np.ndarray,
    deep_share: float,
    deep_factor: float,
    step_trucks: float,
    storage_step_t: float,
    short_t: np.ndarray,
    weighted_short: np.ndarray,
    rtol: float,
) -> list[BindingConstraint]:
    """Every capacity row with a positive shadow price, in runs of consecutive days, largest predicted cut first."""
    # marginal deprivation value of one tonne, per commodity tier (to name what a margin relieves)
    tiers = [(c.id, c.priority, 1.0) for c in inst.commodities]
    if deep_factor != 1.0 and deep_share < 1.0:
        tiers += [(c.id, c.priority * deep_factor, deep_factor) for c in inst.commodities]
    tol = 1e-7 * max([w for _, w, _ in tiers] + [1.0])
    out: list[BindingConstraint] = []
    for kind, (r0, owners) in lp.rows.items():
        price = -duals[r0 : r0 + owners.size * lp.T].reshape(owners.size, lp.T)  # cut in deprivation per +1 t
        for b, owner in enumerate(owners):
            for a, z in _windows(price[b] > tol):
                mg = _margin(inst, kind, int(owner), a, z, step_trucks, storage_step_t)
                p = price[b, a : z + 1]
                out.append(_constraint(inst, kind, int(owner), a, z, p, mg, tiers, short_t, weighted_short, rtol, tol))
    out.sort(key=lambda c: -c.predicted_cut)
    return out
