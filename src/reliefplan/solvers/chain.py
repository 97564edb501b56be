"""The delivery chain: entry modes (land, sea, air) and the stages after the entry point, in the supply LP.

An entry point has a mode: trucks through a land crossing, shuttles to a pier, sorties of aircraft dropping
bundles. Each has its payload per unit, its availability (a sea route down in bad weather or for repairs), a
loss share (airdrop bundles lost or unsafe) and a cost per tonne (`mode_figures`, from data/delivery.yaml with
their sources; an ASSUMPTION is said so).

After the entry point, optional declared stages (`EntryChain`) are expanded into nodes and arcs of the supply
instance (`with_chain`), so the one LP plans them with everything else::

    entry e --(0 d)--> e:backlog --collection (loads/day)--> e:collected --movements (loads/day)--> e:moved --> ...

* goods entered but not collected wait at ``e:backlog`` (its end-of-day stock is the backlog: the 1,000-1,400
  loads left on the Gaza side of Kerem Shalom in June-July 2024);
* collection picks up at most ``collection_loads_per_day`` truckloads a day;
* convoy movements: at most ``movements_loads_per_day`` × ``allowed_share`` loads a day leave (the share of
  coordinated movements that were facilitated, by day);
* every corridor from the entry to a location or warehouse then starts at ``e:moved`` and loses ``loss_share``
  of what it carries (looting, unsafe goods).

Which stage binds on a day is read from the LP's duals (`supply.BindingConstraint`, kinds ``entry_capacity``,
``collection``, ``movements``); `chain_report` gives per entry point and day the tonnes entered, lost at entry,
collected, moved, lost on the route and delivered, the backlog, and the cost per tonne delivered.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .._errors import InputError, Problem
from ..scenario.delivery_data import figure
from .supply import MODES, Arc, EntryPoint, SupplyInstance, SupplyResult, Warehouse

BACKLOG, COLLECTED, MOVED = ":backlog", ":collected", ":moved"
UNIT = {"land": "truck", "sea": "shuttle", "air": "sortie"}


# --------------------------------------------------------------------------------------------
# Entry modes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModeFigures:
    """Payload per unit (None for land: each commodity's truck payload), loss share and cost per tonne of a mode,
    each with its source (an ASSUMPTION says so)."""

    mode: str
    unit: str  # truck | shuttle | sortie
    payload_t: float | None
    loss_share: float
    cost_usd_per_t: float | None
    sources: dict[str, str]


def _src(path: str) -> str:
    f = figure(path)
    return (
        f"{f.source} (data/delivery.yaml {path})"
        if not f.is_assumption
        else f"ASSUMPTION: {f.note.split('.')[0]} (data/delivery.yaml {path})"
    )


def land_cost_usd_per_t() -> tuple[float, str]:
    f = figure("entry_modes.land.cost_usd_per_t")
    return float(f.value), _src("entry_modes.land.cost_usd_per_t")


def mode_figures(
    mode: str,
    *,
    payload_t: float | None = None,
    loss_share: float | None = None,
    cost_usd_per_t: float | None = None,
    file: str = "<entry points>",
    feature: str | None = None,
) -> ModeFigures:
    """A mode's figures: the declared ones, else data/delivery.yaml's (sea: the 2024 pier's t per shuttle trip and
    cost per tonne; air: a C-130 sortie, the 10 % lost or unsafe ASSUMPTION, 100 x the land cost per tonne)."""
    if mode not in MODES:
        raise InputError(Problem(file, f"unknown mode {mode!r}; expected one of {list(MODES)}", feature, "mode"))
    src: dict[str, str] = {}
    pay, loss, cost = payload_t, loss_share, cost_usd_per_t
    for name, v in (("payload_t", pay), ("loss_share", loss), ("cost_usd_per_t", cost)):
        if v is not None:
            src[name] = "declared"
    if mode == "land":
        if cost is None:
            cost, src["cost_usd_per_t"] = land_cost_usd_per_t()
    elif mode == "sea":
        if pay is None:
            lo, hi = figure("entry_modes.sea.pier_2024_t_per_shuttle").value
            pay = (float(lo) + float(hi)) / 2.0
            src["payload_t"] = f"mid of {lo}-{hi} t per vessel trip: " + _src("entry_modes.sea.pier_2024_t_per_shuttle")
        if cost is None:
            cost = float(figure("entry_modes.sea.pier_2024_cost_usd_per_t").value)
            src["cost_usd_per_t"] = _src("entry_modes.sea.pier_2024_cost_usd_per_t")
    else:
        if pay is None:
            pay = float(figure("entry_modes.air.t_per_sortie_c130").value)
            src["payload_t"] = _src("entry_modes.air.t_per_sortie_c130")
        if loss is None:
            loss = float(figure("entry_modes.air.unsafe_or_lost_share").value)
            src["loss_share"] = _src("entry_modes.air.unsafe_or_lost_share")
        if cost is None:
            land, how = land_cost_usd_per_t()
            ratio = float(figure("entry_modes.air.cost_ratio_to_truck").value)
            cost = ratio * land
            src["cost_usd_per_t"] = f"{ratio:g} x the land cost per tonne ({land:g} USD/t, {how}); ratio: " + _src(
                "entry_modes.air.cost_ratio_to_truck"
            )
    probs: list[Problem] = []
    if pay is not None and not (math.isfinite(pay) and pay > 0):
        probs.append(Problem(file, f"expected t per {UNIT[mode]} > 0, got {pay!r}", feature, "payload_t"))
    if loss is not None and not (math.isfinite(loss) and 0 <= loss <= 1):
        probs.append(Problem(file, f"expected a share in [0, 1], got {loss!r}", feature, "loss_share"))
    if cost is not None and not (math.isfinite(cost) and cost >= 0):
        probs.append(Problem(file, f"expected a cost >= 0, got {cost!r}", feature, "cost_usd_per_t"))
    if probs:
        raise InputError(probs)
    return ModeFigures(mode, UNIT[mode], pay, float(loss or 0.0), cost, src)


def pier_2024_availability(days: int, from_day: int = 0) -> np.ndarray:
    """[days] 1 on a day the 2024 pier delivered, 0 when it was down, from ``from_day`` on (0 before), its runs of
    operating and down days (COGAT records 17 May - 17 Jul 2024) repeated: 8 up, 14 down, 1, 4, 2, 6, 8, 19."""
    spells = figure("entry_modes.sea.pier_2024_spells").value
    cycle: list[float] = []
    for up, down in zip(spells["operating_days"], spells["down_days"]):
        cycle += [1.0] * int(up) + [0.0] * int(down)
    out = np.zeros(days)
    n = max(0, days - from_day)
    if n:
        out[from_day:] = np.resize(np.array(cycle), n)
    return out


def availability_by_day(
    value: Any, days: int, from_day: int = 0, *, file: str = "<entry points>", feature: str | None = None
) -> tuple[np.ndarray, str]:
    """Share of a mode's units available each day: a number (the expected share, every day), a list (one per day
    from ``from_day``), or ``pier-2024`` (the 2024 pier's observed operating and down days, repeated)."""
    out = np.zeros(days)
    if value is None:
        out[from_day:] = 1.0
        return out, "always available"
    if isinstance(value, str):
        if value != "pier-2024":
            raise InputError(
                Problem(
                    file,
                    f"unknown availability {value!r}; expected a share in [0, 1], a list of "
                    "daily shares or 'pier-2024'",
                    feature,
                    "availability",
                )
            )
        return pier_2024_availability(days, from_day), (
            "the 2024 pier's operating and down days repeated (" + _src("entry_modes.sea.pier_2024_spells") + ")"
        )
    vals = value if isinstance(value, list) else [value] * max(0, days - from_day)
    bad = [
        v
        for v in vals
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or not 0 <= v <= 1
    ]
    if bad:
        raise InputError(Problem(file, f"expected shares in [0, 1], got {bad[0]!r}", feature, "availability"))
    n = min(len(vals), days - from_day)
    out[from_day : from_day + n] = vals[:n]
    how = (
        f"expected share {value:g} of the units each day (an average: the LP does not see which days are down)"
        if not isinstance(value, list)
        else "a declared daily series"
    )
    return out, how


# --------------------------------------------------------------------------------------------
# The chain after the entry point
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryChain:
    """Stages after one entry point (None: that stage does not limit). Series are per day of the horizon."""

    entry_id: str
    collection_loads_by_day: Sequence[float] | None = None  # truckloads a day that can be picked up inside
    movements_loads_by_day: Sequence[float] | None = None  # convoy movements allowed a day, in truckloads
    loss_share: float = 0.0  # share of what is moved that is lost on the route or in the area (looting)
    collection_days: int = 0  # days from collection to the goods being ready to move
    movement_days: int = 0  # extra days a convoy movement takes (on top of driving time)
    sources: tuple[str, ...] = ()


def chain_problems(chains: Sequence[EntryChain], inst: SupplyInstance, file: str = "<chain>") -> list[Problem]:
    """Unknown or repeated entry points, series of the wrong length, negative loads, shares outside [0, 1]."""
    probs: list[Problem] = []
    known = [e.id for e in inst.entry_points]
    seen: set[str] = set()
    for i, c in enumerate(chains):
        feat = f"chain[{i}] ({c.entry_id})"
        if c.entry_id not in known:
            probs.append(
                Problem(file, f"unknown entry point {c.entry_id!r}; expected one of {known}", feat, "entry_point")
            )
        if c.entry_id in seen:
            probs.append(Problem(file, "entry point repeated: one chain per entry point", feat, "entry_point"))
        seen.add(c.entry_id)
        for fld in ("collection_loads_by_day", "movements_loads_by_day"):
            v = getattr(c, fld)
            if v is None:
                continue
            arr = np.asarray(v, dtype=float)
            if arr.shape != (inst.days,):
                probs.append(Problem(file, f"expected {inst.days} daily values, got {arr.size}", feat, fld))
            elif not (np.isfinite(arr).all() and (arr >= 0).all()):
                probs.append(Problem(file, "expected truckloads a day >= 0", feat, fld))
        if not (math.isfinite(c.loss_share) and 0 <= c.loss_share <= 1):
            probs.append(Problem(file, f"expected a share in [0, 1], got {c.loss_share!r}", feat, "loss_share"))
        for fld in ("collection_days", "movement_days"):
            if getattr(c, fld) < 0:
                probs.append(Problem(file, "expected whole days >= 0", feat, fld))
    return probs


def with_chain(inst: SupplyInstance, chains: Sequence[EntryChain], file: str = "<chain>") -> SupplyInstance:
    """The instance with each declared chain expanded into nodes and arcs (module docstring). Entry points without
    a chain, and an empty list, leave the instance as it is."""
    probs = chain_problems(chains, inst, file)
    if probs:
        raise InputError(probs)
    warehouses, arcs = list(inst.warehouses), list(inst.arcs)
    for c in chains:
        e = c.entry_id
        head = e
        stages = [
            ("collection", c.collection_loads_by_day, c.collection_days, COLLECTED),
            ("movements", c.movements_loads_by_day, c.movement_days, MOVED),
        ]
        if any(v is not None for _, v, _, _ in stages):
            warehouses.append(Warehouse(id=e + BACKLOG))
            arcs.append(Arc(source=e, target=e + BACKLOG, trucked=False))
            head = e + BACKLOG
            for name, loads, delay, suffix in stages:
                if loads is None:
                    continue
                warehouses.append(Warehouse(id=e + suffix))
                arcs.append(
                    Arc(
                        source=head,
                        target=e + suffix,
                        trucked=False,
                        travel_days=delay,
                        capacity_loads_by_day=list(np.asarray(loads, dtype=float)),
                        stage=name,
                    )
                )
                head = e + suffix
        arcs = [
            replace(a, source=head, loss_share=a.loss_share or c.loss_share)
            if a.source == e and not a.target.startswith(e + ":")
            else a
            for a in arcs
        ]
    return replace(inst, warehouses=warehouses, arcs=arcs)


def _origin(inst: SupplyInstance, e: str) -> str:
    """The node an entry's corridors start from after `with_chain`."""
    ids = {w.id for w in inst.warehouses}
    for suffix in (MOVED, COLLECTED, BACKLOG):
        if e + suffix in ids:
            return e + suffix
    return e


def _binding_stages(inst: SupplyInstance, res: SupplyResult) -> dict[str, list[list[str]]]:
    """Per entry point and day, the chain stages that bind (entry, collection, movements)."""
    binds: dict[str, list[list[str]]] = {e.id: [[] for _ in range(res.days)] for e in inst.entry_points}
    for b in res.binding:
        e = b.id if b.kind == "entry_capacity" else b.id.split("->")[0].split(":")[0]
        if e in binds and b.kind in ("entry_capacity", "collection", "movements"):
            stage = "entry" if b.kind == "entry_capacity" else b.kind
            for t in range(b.first_day, b.last_day + 1):
                binds[e][t].append(stage)
    return binds


@dataclass(frozen=True)
class _EntrySeries:
    """One entry point's daily tonnes (summed over commodities) through its chain."""

    entered: np.ndarray
    lost_e: np.ndarray
    lost_r: np.ndarray
    arrive: np.ndarray
    collected: np.ndarray | None
    moved: np.ndarray | None
    backlog: np.ndarray | None
    waiting: np.ndarray


def _entry_series(inst: SupplyInstance, res: SupplyResult, ei: int) -> _EntrySeries:
    """Entered, lost at entry and on the route, collected, moved, arrived, the backlog and goods waiting."""
    T = res.days
    e = inst.entry_points[ei].id
    widx = {w: i for i, w in enumerate(res.warehouse_ids)}
    flow = res.flow_t.sum(axis=0)  # [A, T]
    arc_lost = res.arc_lost_t.sum(axis=0) if res.arc_lost_t is not None else np.zeros_like(flow)
    origin = _origin(inst, e)

    def stage_flow(name: str) -> np.ndarray | None:
        a = [i for i, x in enumerate(inst.arcs) if x.stage == name and x.source.startswith(e + ":")]
        return flow[a].sum(axis=0) if a else None

    onward = [i for i, a in enumerate(inst.arcs) if a.source == origin and not a.target.startswith(e + ":")]
    arrive = np.zeros(T)
    for i in onward:
        d = inst.arcs[i].travel_days
        if d < T:
            arrive[d:] += (flow[i] - arc_lost[i])[: T - d]
    return _EntrySeries(
        entered=res.entry_use_t.sum(axis=0)[ei],
        lost_e=res.entry_lost_t.sum(axis=0)[ei] if res.entry_lost_t is not None else np.zeros(T),
        lost_r=arc_lost[onward].sum(axis=0) if onward else np.zeros(T),
        arrive=arrive,
        collected=stage_flow("collection"),
        moved=stage_flow("movements"),
        backlog=res.warehouse_stock_t[:, widx[e + BACKLOG]].sum(axis=0) if e + BACKLOG in widx else None,
        waiting=sum(
            (res.warehouse_stock_t[:, widx[e + s]].sum(axis=0) for s in (COLLECTED, MOVED) if e + s in widx),
            np.zeros(T),
        ),
    )


def _entry_report(inst: SupplyInstance, ep: EntryPoint, x: _EntrySeries, binds: list[list[str]]) -> dict[str, Any]:
    """One entry point's block of the report (see `chain_report`)."""
    cost = None if ep.cost_usd_per_t is None else float(x.entered.sum() * ep.cost_usd_per_t)
    delivered = float(x.arrive.sum())
    rows = [
        {
            "day": t,
            "entered_t": _r(x.entered[t]),
            "lost_at_entry_t": _r(x.lost_e[t]),
            "collected_t": None if x.collected is None else _r(x.collected[t]),
            "moved_t": None if x.moved is None else _r(x.moved[t]),
            "lost_on_route_t": _r(x.lost_r[t]),
            "delivered_t": _r(x.arrive[t]),
            "backlog_t": None if x.backlog is None else _r(x.backlog[t]),
            "collected_waiting_t": _r(x.waiting[t]),
            "binding": binds[t],
        }
        for t in range(len(binds))
    ]
    count: dict[str, int] = {}
    for day in binds:
        for s in day:
            count[s] = count.get(s, 0) + 1
    return {
        "entry_point": ep.id,
        "mode": ep.mode,
        "unit": UNIT.get(ep.mode, "unit"),
        "payload_t": ep.payload(inst.payload_t) if ep.uniform_payload else None,
        "loss_share": ep.loss_share,
        "entered_t": _r(x.entered.sum()),
        "lost_at_entry_t": _r(x.lost_e.sum()),
        "lost_on_route_t": _r(x.lost_r.sum()),
        "delivered_t": _r(delivered),
        "backlog_last_day_t": None if x.backlog is None else _r(x.backlog[-1]),
        "cost_usd_per_t_entered": ep.cost_usd_per_t,
        "cost_usd": None if cost is None else round(cost),
        "cost_usd_per_t_delivered": None if cost is None or delivered <= 1e-9 else round(cost / delivered, 1),
        "binding_days": count,
        "binds_most": max(count, key=lambda s: count[s]) if count else None,
        "daily": rows,
    }


def chain_report(inst: SupplyInstance, res: SupplyResult) -> dict[str, Any]:
    """Per entry point: mode, tonnes entered, lost at entry, collected, moved, lost on the route, delivered (handed
    on to a location or warehouse), the end-of-day backlog, which stage binds each day, cost and cost per tonne
    delivered; totals over entry points. Tonnes are summed over commodities."""
    binds = _binding_stages(inst, res)
    out, tot = [], {k: 0.0 for k in ("entered_t", "lost_t", "delivered_t", "cost_usd")}
    for ei, ep in enumerate(inst.entry_points):
        x = _entry_series(inst, res, ei)
        out.append(_entry_report(inst, ep, x, binds[ep.id]))
        tot["entered_t"] += float(x.entered.sum())
        tot["lost_t"] += float(x.lost_e.sum() + x.lost_r.sum())
        tot["delivered_t"] += float(x.arrive.sum())
        tot["cost_usd"] += 0.0 if ep.cost_usd_per_t is None else float(x.entered.sum() * ep.cost_usd_per_t)
    known = all(ep.cost_usd_per_t is not None for ep in inst.entry_points)
    return {
        "entry_points": out,
        "entered_t": _r(tot["entered_t"]),
        "lost_t": _r(tot["lost_t"]),
        "delivered_t": _r(tot["delivered_t"]),
        "cost_usd": round(tot["cost_usd"]) if known else None,
        "cost_usd_per_t_delivered": round(tot["cost_usd"] / tot["delivered_t"], 1)
        if known and tot["delivered_t"] > 1e-9
        else None,
    }


def _r(x: float) -> float:
    v = round(float(x), 3)
    return 0.0 if v == 0 else v
