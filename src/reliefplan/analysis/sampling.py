"""Drawing one ensemble member from a scenario's declared uncertainty (``scenario._uncertainty``): parameter
draws clipped to each target's range, crossing closures as a two-state Markov chain, and a moving-block
bootstrap of an observed entry-capacity series."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..scenario._uncertainty import BOUNDS, UncertaintySpec, ids_by_target


@dataclass
class MemberInputs:
    """Everything one member changes in the base scenario, plus the scalar inputs used for sensitivity."""

    index: int
    population_factor: dict[str, float] = field(default_factory=dict)  # zone id -> 1 + relative error
    usable_fraction: dict[str, float] = field(default_factory=dict)  # site id -> fraction
    trucks_per_day: dict[str, float] = field(default_factory=dict)  # entry id -> trucks/day
    road_capacity_factor: float = 1.0
    closures: list[tuple[str, int, int, float]] = field(default_factory=list)  # entry, first day, last day, factor
    observed_trucks: dict[str, list[float]] | None = None  # entry id -> trucks per day (bootstrap)
    chain_loss_share: dict[str, float] = field(default_factory=dict)  # entry id -> share lost after it
    movements_allowed_share: dict[str, float] = field(default_factory=dict)  # entry id -> share facilitated
    availability: dict[str, float] = field(default_factory=dict)  # sea/air entry id -> share available
    inputs: dict[str, float] = field(default_factory=dict)  # named scalar inputs (sensitivity)
    clipped: dict[str, int] = field(default_factory=dict)  # parameter -> samples clipped


def closure_days(rng: np.random.Generator, days: int, p_close: float, mean_days: float) -> np.ndarray:
    """Boolean [days]: closed on that day. Open on day 0; open -> closed with p_close, closed -> open with
    1 / mean_days (so closure lengths are geometric with that mean)."""
    u = rng.random(days)
    closed = np.zeros(days, dtype=bool)
    state = False
    for t in range(1, days):  # a horizon is tens of days: the loop is not a hot path
        state = (u[t] >= 1.0 / mean_days) if state else (u[t] < p_close)
        closed[t] = state
    return closed


def _windows(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), (np.flatnonzero(edges == -1) - 1).tolist()))


def block_bootstrap(
    rng: np.random.Generator, series: dict[str, np.ndarray], days: int, block_days: int
) -> dict[str, np.ndarray]:
    """Moving-block bootstrap: `days` values made of blocks of `block_days` consecutive observed days, the same
    block starts for every crossing."""
    n = len(next(iter(series.values())))
    block = min(block_days, n)
    starts = rng.integers(0, n - block + 1, size=-(-days // block))
    idx = (starts[:, None] + np.arange(block)[None, :]).ravel()[:days]
    return {k: np.asarray(v, dtype=float)[idx] for k, v in series.items()}


def sample_member(
    spec: UncertaintySpec,
    index: int,
    seed: np.random.SeedSequence,
    *,
    zone_ids: list[str],
    site_ids: list[str],
    entry_ids: list[str],
    days: int,
    observed: dict[str, np.ndarray] | None = None,
    chain_ids: list[str] | None = None,
    mode_entry_ids: list[str] | None = None,
) -> MemberInputs:
    """Draw member `index` from its own seed; draws happen in declaration order so results never depend on
    which engine or worker runs the member."""
    rng = np.random.default_rng(seed)
    m = MemberInputs(index=index)
    layer = ids_by_target(zone_ids, site_ids, entry_ids, chain_ids, mode_entry_ids)
    into = {
        "chain.loss_share": m.chain_loss_share,
        "chain.movements_allowed_share": m.movements_allowed_share,
        "entry.availability": m.availability,
    }
    for name, p in spec.parameters.items():
        ids = [""] if p.target == "roads.capacity_factor" else (p.ids or layer[p.target])
        raw = p.draw(rng, len(ids) if p.each else 1)
        lo, hi = BOUNDS[p.target]
        vals = np.clip(raw, lo, hi)
        m.clipped[name] = int(np.count_nonzero(vals != raw))
        vals = np.broadcast_to(vals, (len(ids),))
        if p.each:
            m.inputs.update({f"{name}[{i}]": float(v) for i, v in zip(ids, vals)})
        else:
            m.inputs[name] = float(vals[0])
        for i, v in zip(ids, vals):
            if p.target == "zone.population_error":
                m.population_factor[i] = 1.0 + float(v)
            elif p.target == "site.usable_fraction":
                m.usable_fraction[i] = float(v)
            elif p.target == "entry.trucks_per_day":
                m.trucks_per_day[i] = float(v)
            elif p.target in into:
                into[p.target][i] = float(v)
            else:
                m.road_capacity_factor = float(v)
    for c in spec.closures:
        mask = closure_days(rng, days, c.probability_per_day, c.mean_days)
        m.closures += [(c.entry_point, a, b, c.capacity_factor) for a, b in _windows(mask)]
        m.inputs[f"closed_days[{c.entry_point}]"] = m.inputs.get(f"closed_days[{c.entry_point}]", 0.0) + float(
            mask.sum()
        )
    if spec.entry_capacity_bootstrap is not None and observed:
        got = block_bootstrap(rng, observed, days, spec.entry_capacity_bootstrap.block_days)
        m.observed_trucks = {k: v.tolist() for k, v in got.items()}
        m.inputs.update({f"mean_trucks_per_day[{k}]": float(v.mean()) for k, v in got.items()})
    return m
