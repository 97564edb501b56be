"""Logistics hubs: which candidate warehouses to open and which distribution points each supplies.

A capacitated facility-location problem solved by the siting engine (`siting.solve_siting`): clients are
distribution points (demand = tonnes a day), facilities are candidate hubs (capacity = tonnes a day they
can handle, opening cost), the cost is tonne-kilometres a day by road. Existing warehouses are the
declared case (`declared`: always open); a hub that opens later than `day` cannot be used that day.
Each point is supplied by one hub (single source, so one hub's trucks route to it); tonnes that no open
hub can take are reported as unmet, never dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._errors import InputError, Problem
from .siting import SitingInstance, SitingResult, solve_siting


@dataclass(frozen=True)
class HubPlan:
    """Outcome of `choose_hubs`.

    hub_of_point: index of the hub supplying each point (-1 = unmet). tonnes_per_hub: t/day through each
    candidate (0 where closed). unmet_t_per_day: per point. tkm_per_day: tonne-kilometres a day.
    siting: status, objective, bound, gap and solver of the siting solve.
    """

    open_ids: list[str]
    open_mask: np.ndarray
    hub_of_point: np.ndarray
    tonnes_per_hub: np.ndarray
    utilisation: np.ndarray
    unmet_t_per_day: np.ndarray
    tkm_per_day: float
    siting: dict[str, Any] = field(default_factory=dict)


def choose_hubs(
    point_t_per_day: np.ndarray,
    hub_ids: list[str],
    hub_capacity_t_per_day: np.ndarray,
    drive_km: np.ndarray,
    *,
    hub_cost_tkm: np.ndarray | None = None,
    hub_open_day: np.ndarray | None = None,
    day: int = 0,
    declared: np.ndarray | None = None,
    max_hubs: int | None = None,
    unmet_cost_per_t: float | None = None,
    time_limit_s: float = 30.0,
    file: str = "<hubs>",
) -> HubPlan:
    """Open hubs among the candidates and give each distribution point one hub.

    point_t_per_day: tonnes a day each point needs. drive_km: road km point -> hub (n_points, n_hubs),
    np.inf = no road. hub_cost_tkm: cost of opening each hub in tonne-km a day (e.g. its amortised cost
    over the cost of a tonne-km); 0 = free. unmet_cost_per_t: cost of a tonne not supplied (default: 10 x
    the longest usable trip), so a short capacity gives a plan with unmet tonnes, not 'infeasible'.
    """
    t = np.asarray(point_t_per_day, dtype=float)
    km = np.asarray(drive_km, dtype=float)
    n_p, n_h = t.size, len(hub_ids)
    cap = np.asarray(hub_capacity_t_per_day, dtype=float)
    fixed = np.zeros(n_h) if hub_cost_tkm is None else np.asarray(hub_cost_tkm, dtype=float)
    opens = np.zeros(n_h, dtype=np.int64) if hub_open_day is None else np.asarray(hub_open_day)
    must = np.zeros(n_h, dtype=bool) if declared is None else np.asarray(declared, dtype=bool)
    probs = _input_problems(t, km, cap, fixed, opens, must, hub_ids, file)
    if probs:
        raise InputError(probs)
    never = opens > day
    for k in np.flatnonzero(must & never):
        probs.append(
            Problem(
                file,
                f"declared (existing) but opens on day {opens[k]}, after day {day}",
                f"hubs[{k}] ({hub_ids[k]})",
                "open_day",
            )
        )
    if probs:
        raise InputError(probs)
    usable = np.isfinite(km)
    if unmet_cost_per_t is None:
        longest = float(km[usable].max(initial=1.0))
        unmet_cost_per_t = 10.0 * max(longest, 1.0)
    if not (math.isfinite(unmet_cost_per_t) and unmet_cost_per_t > 0):
        raise InputError(Problem(file, f"expected a number > 0, got {unmet_cost_per_t}", None, "unmet_cost_per_t"))
    inst = SitingInstance(
        list(hub_ids),
        cap,
        fixed,
        [f"p{i}" for i in range(n_p)],
        t,
        np.where(usable, km, np.inf) * t[:, None],
        allowed=usable,
        must_open=must if must.any() else None,
        never_open=never if never.any() else None,
        single_source=True,
        max_open=max_hubs,
        unmet_penalty=float(unmet_cost_per_t),
    )
    res = solve_siting(inst, time_limit_s=time_limit_s, file=file)
    return _hub_plan(res, hub_ids, n_p, cap)


def _input_problems(
    t: np.ndarray,
    km: np.ndarray,
    cap: np.ndarray,
    fixed: np.ndarray,
    opens: np.ndarray,
    must: np.ndarray,
    hub_ids: list[str],
    file: str,
) -> list[Problem]:
    """Every shape that does not match the points and hubs, negative tonnes and capacities not above 0."""
    n_p, n_h = t.size, len(hub_ids)
    probs: list[Problem] = []
    if km.shape != (n_p, n_h):
        probs.append(
            Problem(file, f"expected a {n_p} x {n_h} matrix (points x hubs), got shape {km.shape}", None, "drive_km")
        )
    for name, arr in (("capacity_t_per_day", cap), ("cost_tkm", fixed), ("open_day", opens), ("declared", must)):
        if np.shape(arr) != (n_h,):
            probs.append(Problem(file, f"expected {n_h} values (one per hub), got shape {np.shape(arr)}", None, name))
    for k in np.flatnonzero(~np.isfinite(t) | (t < 0)):
        probs.append(Problem(file, f"expected a number >= 0, got {t[k]}", f"points[{k}]", "t_per_day"))
    if np.shape(cap) == (n_h,):
        for k in np.flatnonzero(~np.isfinite(cap) | (cap <= 0)):
            probs.append(
                Problem(
                    file, f"expected a capacity > 0, got {cap[k]}", f"hubs[{k}] ({hub_ids[k]})", "capacity_t_per_day"
                )
            )
    return probs


def _hub_plan(res: SitingResult, hub_ids: list[str], n_p: int, cap: np.ndarray) -> HubPlan:
    """The siting result as hubs opened, each point's hub, tonnes per hub and the solver's figures."""
    n_h = len(hub_ids)
    hub_of = np.full(n_p, -1, dtype=np.int64)
    hub_of[res.assign_client] = res.assign_facility
    per_hub = np.bincount(res.assign_facility, weights=res.assign_people, minlength=n_h)
    return HubPlan(
        [hub_ids[j] for j in np.flatnonzero(res.open_mask)],
        res.open_mask,
        hub_of,
        per_hub,
        per_hub / cap,
        res.unmet_people,
        float(res.assignment_cost_total),
        {
            "status": res.status,
            "objective": res.objective,
            "bound": res.bound,
            "gap": res.gap,
            "solver": res.solver,
            "message": res.message,
        },
    )
