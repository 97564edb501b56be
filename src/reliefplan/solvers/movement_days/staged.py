"""The plan beside what happens: the siting's assignment over everyone expected to leave, waves in order of
priority (`staged_plan`), and the undirected run compared with the planned one (`compare`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .instance import DaysInstance, validate_days_instance
from .result import DaysResult
from .routes import prepare_network
from .schedule import departure_schedule


@dataclass
class StagedPlan:
    """A planned assignment: people per origin and site, and who has no place, with the solver's status."""

    people: np.ndarray  # int [origin, site]
    unmet: np.ndarray  # int [origin]: expected leavers the plan finds no place for
    demand: np.ndarray  # int [origin]: expected leavers by the horizon
    wave: np.ndarray  # int [origin]: 0 = the first to leave
    status: str
    solver: str
    gap: float
    objective_person_s: float


def staged_plan(inst: DaysInstance, *, avoid_ordered_sites: bool = True, time_limit_s: float = 60.0) -> StagedPlan:
    """Today's siting (``siting.solve_siting``) over everyone expected to leave, waves in order of priority.

    Each origin's expected leavers (by the horizon) form a client of its wave (the day its people start to
    leave). Leaving a person of an earlier wave without a place costs more than any rearrangement of later
    waves can save, so the plan never holds a place for a later wave while an earlier one goes without; within
    that, it minimises the total walking time. ``avoid_ordered_sites`` keeps everyone out of sites a later
    order covers (no planned re-displacement).
    """
    from ..siting import SitingInstance, solve_siting

    validate_days_instance(inst)
    net = prepare_network(inst)
    n_o, n_s = len(inst.origin_node), len(inst.site_node)
    demand = departure_schedule(inst)[:, -1].copy()
    demand[net.origin_node < 0] = 0
    u_start = (
        inst.unordered_start_day
        if inst.unordered_start_day is not None
        else (float(inst.order_day.min()) if len(inst.order_day) else 0.0)
    )
    start = np.where(inst.origin_order >= 0, inst.order_day[np.maximum(inst.origin_order, 0)], u_start)
    days, wave = np.unique(start, return_inverse=True)
    walk = next((m.speed_m_s for m in inst.modes if m.on_foot), inst.modes[0].speed_m_s)
    unit = np.full((n_o, n_s), np.inf)
    reach = (net.site_row >= 0) & ~inst.site_overflow
    if avoid_ordered_sites:
        reach &= inst.site_order < 0
    ok_o = net.origin_node >= 0
    if net.paths is not None and reach.any() and ok_o.any():
        cols = np.flatnonzero(reach)
        unit[np.ix_(ok_o, cols)] = net.paths.dist[net.site_row[cols]][:, net.origin_node[ok_o]].T / walk
    finite = unit[np.isfinite(unit)]
    top = float(finite.max()) if len(finite) else 1.0
    gap_w = (n_s + 2) * top + 1.0  # more than any chain of reassignments can save
    penalty = 10.0 * top + (len(days) - 1 - wave) * gap_w
    clients = np.flatnonzero(demand > 0)
    cost = np.column_stack([unit[clients], penalty[clients]]) * demand[clients, None]
    allowed = np.isfinite(cost)
    cap = np.concatenate([inst.site_capacity.astype(float), [float(demand.sum())]])
    si = SitingInstance(
        facility_ids=[*inst.site_ids, "(no place)"],
        capacity=cap,
        fixed_cost=np.zeros(n_s + 1),
        client_ids=[inst.origin_ids[o] for o in clients],
        demand=demand[clients].astype(float),
        cost=np.where(allowed, cost, np.inf),
        allowed=allowed,
    )
    people = np.zeros((n_o, n_s), np.int64)
    unmet = demand.copy()
    status, solver, gap, obj = "optimal", "none", 0.0, 0.0
    if len(clients):
        res = solve_siting(si, time_limit_s=time_limit_s)
        status, solver, gap = res.status, res.solver, res.gap
        a = np.rint(res.assign_people).astype(np.int64)
        real = res.assign_facility < n_s
        np.add.at(people, (clients[res.assign_client[real]], res.assign_facility[real]), a[real])
        unmet = demand - people.sum(axis=1)
        obj = float((people * np.where(np.isfinite(unit), unit, 0.0)).sum())
    return StagedPlan(
        people=people,
        unmet=unmet,
        demand=demand,
        wave=wave.astype(np.int64),
        status=status,
        solver=solver,
        gap=gap,
        objective_person_s=obj,
    )


def compare(undirected: DaysResult, planned: DaysResult) -> dict[str, Any]:
    """What direction changes: the arrival-order run beside the planned one, figure by figure."""
    a, p = undirected.summary(), planned.summary()
    rows = {
        "at_sites": (a["at_sites"], p["at_sites"]),
        "without_place": (a["without_place"], p["without_place"]),
        "on_road": (a["on_road"], p["on_road"]),
        "turned_away": (a["turned_away"], p["turned_away"]),
        "redisplaced": (a["redisplaced"], p["redisplaced"]),
        "walking_over_h": (a["walking_over_h"]["people"], p["walking_over_h"]["people"]),
        "vulnerable_walking_over_h": (a["walking_over_h"]["vulnerable"], p["walking_over_h"]["vulnerable"]),
    }
    out: dict[str, Any] = {k: {"arrival": x, "plan": y, "difference": y - x} for k, (x, y) in rows.items()}
    out["mean_trip_h"] = {m: {"arrival": a["trips"][m]["mean_h"], "plan": p["trips"][m]["mean_h"]} for m in a["trips"]}
    return out
