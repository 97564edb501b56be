"""Last-mile routing: the instance (``RoutingInstance``), the result (``RoutingResult`` with its routes and the
stops left out, each with a reason), validation, and the screening that finds stops no vehicle can serve."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..._errors import InputError, Problem

#: what a routing plan leaves out; written next to every plan (result_to_json)
NOT_MODELLED = [
    "one trip per truck a day (a second trip is a second truck entry of the same hub)",
    "loading time at the hub",
    "travel times that change during the day (convoy windows, checkpoint delays): the day's expected times are used",
    "splitting one point's load over several trucks (a load above every truck is 'over_capacity')",
    "road closures during the day",
]


@dataclass(frozen=True)
class RoutingInstance:
    """One day of last-mile deliveries.

    Nodes are the depots (hubs) first, then the stops (distribution points); `distance_m` and
    `travel_time_s` are (n_depots + n_stops) square matrices in that order (np.inf = no road).

    Attributes
    ----------
    depot_ids, stop_ids, vehicle_ids : unique ids.
    demand : load to deliver at each stop (in `load_unit`), shape (n_stops,).
    service_time_s : time spent unloading at each stop.
    window_open_s, window_close_s : each stop's time window for the start of service.
    depot_open_s, depot_close_s : each depot's working day; vehicles leave and return inside it.
    vehicle_depot : index of each vehicle's depot; vehicle_capacity : load per vehicle.
    vehicle_fixed_cost_m : distance-equivalent cost of using a vehicle (0 = minimise distance only).
    """

    depot_ids: list[str]
    stop_ids: list[str]
    demand: np.ndarray
    service_time_s: np.ndarray
    window_open_s: np.ndarray
    window_close_s: np.ndarray
    depot_open_s: np.ndarray
    depot_close_s: np.ndarray
    vehicle_ids: list[str]
    vehicle_depot: np.ndarray
    vehicle_capacity: np.ndarray
    distance_m: np.ndarray
    travel_time_s: np.ndarray
    vehicle_fixed_cost_m: float = 0.0
    load_unit: str = "kg"
    name: str = ""


@dataclass(frozen=True)
class Route:
    """One vehicle's trip: stops in order, service start time at each, load carried, distance."""

    vehicle_id: str
    depot_id: str
    stop_ids: list[str]
    service_start_s: list[float]
    load: float
    distance_m: float
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Unserved:
    """A stop no vehicle serves today, and why.

    code: 'window_unreachable' (no hub's vehicle can arrive before the window closes),
    'return_after_close' (it can arrive, but not be back at its hub before the hub closes),
    'over_capacity' (its load exceeds every vehicle that could reach it), 'no_road' (no finite
    travel time from any hub with vehicles), 'not_routed' (each alone is reachable, but the fleet's
    capacity and time did not stretch to it in the plan found).
    """

    stop_id: str
    demand: float
    code: str
    reason: str


@dataclass(frozen=True)
class RoutingResult:
    """Outcome of `solve_routing`.

    status: 'optimal' (OR-Tools exhausted the search: proven for the integer-rounded instance),
    'feasible' (a plan from the heuristic search; no bound), 'no_stops' (nothing routable),
    'no_solution' (the search found no plan within the time limit; every routable stop is then
    unserved with code 'not_routed').
    """

    status: str
    routes: list[Route]
    unserved: list[Unserved]
    vehicles_used: int
    distance_m: float
    load_delivered: float
    load_unserved: float
    solve_time_s: float
    solver: str
    message: str
    stats: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------------- validation


def instance_problems(inst: RoutingInstance, file: str = "<instance>") -> list[Problem]:
    """Every problem in `inst` (shapes, NaN, negatives, windows that close before they open)."""
    probs: list[Problem] = []
    for kind, ids in (("depots", inst.depot_ids), ("stops", inst.stop_ids), ("vehicles", inst.vehicle_ids)):
        seen: dict[str, int] = {}
        for k, x in enumerate(ids):
            if x in seen:
                probs.append(Problem(file, f"id {x!r} repeated (first at index {seen[x]})", f"{kind}[{k}]", "id"))
            seen.setdefault(x, k)
    if not inst.depot_ids:
        probs.append(Problem(file, "expected at least one depot (hub)", None, "depots"))
    if not inst.vehicle_ids:
        probs.append(Problem(file, "expected at least one vehicle", None, "vehicles"))
    probs += _value_problems(inst, file)
    probs += _depot_index_problems(inst, file)
    probs += _matrix_problems(inst, file)
    if not (math.isfinite(inst.vehicle_fixed_cost_m) and inst.vehicle_fixed_cost_m >= 0):
        probs.append(
            Problem(
                file, f"expected a finite number >= 0, got {inst.vehicle_fixed_cost_m}", None, "vehicle_fixed_cost_m"
            )
        )
    return probs


def _value_problems(inst: RoutingInstance, file: str) -> list[Problem]:
    """Demands, service times, windows and capacities: shapes, non-finite, negative (capacities not above 0),
    and windows that close before they open."""
    probs: list[Problem] = []
    n_d, n_s, n_v = len(inst.depot_ids), len(inst.stop_ids), len(inst.vehicle_ids)

    def vec(name: str, arr: np.ndarray, n: int, kind: str, ids: list[str], positive: bool = False) -> np.ndarray | None:
        a = np.asarray(arr, dtype=float)
        if a.shape != (n,):
            probs.append(Problem(file, f"expected {n} values, got shape {a.shape}", None, name))
            return None
        for k in np.flatnonzero(~np.isfinite(a)):
            probs.append(Problem(file, "expected a finite number", f"{kind}[{k}] ({ids[k]})", name))
        bad = (a <= 0) if positive else (a < 0)
        for k in np.flatnonzero(bad & np.isfinite(a)):
            probs.append(
                Problem(
                    file, f"expected {'> 0' if positive else '>= 0'}, got {a[k]:g}", f"{kind}[{k}] ({ids[k]})", name
                )
            )
        return a

    vec("demand", inst.demand, n_s, "stops", inst.stop_ids)
    vec("service_time_s", inst.service_time_s, n_s, "stops", inst.stop_ids)
    wo = vec("window_open_s", inst.window_open_s, n_s, "stops", inst.stop_ids)
    wc = vec("window_close_s", inst.window_close_s, n_s, "stops", inst.stop_ids)
    do = vec("depot_open_s", inst.depot_open_s, n_d, "depots", inst.depot_ids)
    dc = vec("depot_close_s", inst.depot_close_s, n_d, "depots", inst.depot_ids)
    vec("vehicle_capacity", inst.vehicle_capacity, n_v, "vehicles", inst.vehicle_ids, positive=True)
    for o, c, kind, ids, name in (
        (wo, wc, "stops", inst.stop_ids, "window_close_s"),
        (do, dc, "depots", inst.depot_ids, "depot_close_s"),
    ):
        if o is not None and c is not None:
            for k in np.flatnonzero(c < o).tolist():
                probs.append(
                    Problem(
                        file,
                        f"window closes ({c[k]:g} s) before it opens ({o[k]:g} s)",
                        f"{kind}[{k}] ({ids[k]})",
                        name,
                    )
                )
    return probs


def _depot_index_problems(inst: RoutingInstance, file: str) -> list[Problem]:
    """Each vehicle's depot index: one per vehicle, within the depots."""
    probs: list[Problem] = []
    n_d, n_v = len(inst.depot_ids), len(inst.vehicle_ids)
    vd = np.asarray(inst.vehicle_depot)
    if vd.shape != (n_v,):
        probs.append(Problem(file, f"expected {n_v} depot indices, got shape {vd.shape}", None, "vehicle_depot"))
    else:
        for k in np.flatnonzero((vd < 0) | (vd >= n_d)).tolist():
            probs.append(
                Problem(
                    file,
                    f"depot index {vd[k]} out of range 0..{n_d - 1}",
                    f"vehicles[{k}] ({inst.vehicle_ids[k]})",
                    "depot",
                )
            )
    return probs


def _matrix_problems(inst: RoutingInstance, file: str) -> list[Problem]:
    """The distance and travel-time matrices: square over depots then stops, no NaN, nothing negative."""
    probs: list[Problem] = []
    n_d, n_s = len(inst.depot_ids), len(inst.stop_ids)
    n = n_d + n_s
    for name in ("distance_m", "travel_time_s"):
        m = np.asarray(getattr(inst, name), dtype=float)
        if m.shape != (n, n):
            probs.append(
                Problem(file, f"expected a {n} x {n} matrix (depots then stops), got shape {m.shape}", None, name)
            )
            continue
        if np.isnan(m).any():
            i, j = np.argwhere(np.isnan(m))[0]
            probs.append(Problem(file, f"NaN at [{i}][{j}]; use null/inf for 'no road'", None, name))
        if (m < 0).any():
            i, j = np.argwhere(m < 0)[0]
            probs.append(Problem(file, f"expected >= 0, got {m[i, j]:g} at [{i}][{j}]", None, name))
    return probs


def validate_instance(inst: RoutingInstance, file: str = "<instance>") -> None:
    """Raise InputError listing every problem in `inst`."""
    probs = instance_problems(inst, file)
    if probs:
        raise InputError(probs)


# --------------------------------------------------------------------------------------- reachability


def screen_stops(inst: RoutingInstance) -> list[Unserved | None]:
    """For each stop, None if some vehicle could serve it alone, else why not (an `Unserved`).

    A stop is servable from hub h when a vehicle of h can carry its load, can start service before its
    window closes (leaving when h opens) and can be back at h before h closes.
    """
    n_d = len(inst.depot_ids)
    tt = np.asarray(inst.travel_time_s, dtype=float)
    demand = np.asarray(inst.demand, dtype=float)
    vdep = np.asarray(inst.vehicle_depot, dtype=np.int64)
    vcap = np.asarray(inst.vehicle_capacity, dtype=float)
    hubs = np.unique(vdep)
    cap_at = np.array([vcap[vdep == h].max() for h in hubs])
    d_open = np.asarray(inst.depot_open_s, float)[hubs]
    d_close = np.asarray(inst.depot_close_s, float)[hubs]
    out_t = tt[hubs][:, n_d:]  # hub -> stop, (n_hubs, n_stops)
    back_t = tt[n_d:, hubs].T  # stop -> hub
    start = np.maximum(np.asarray(inst.window_open_s, float)[None, :], d_open[:, None] + out_t)
    road = np.isfinite(out_t) & np.isfinite(back_t)
    in_window = road & (start <= np.asarray(inst.window_close_s, float)[None, :] + 1e-9)
    back = in_window & (start + np.asarray(inst.service_time_s, float)[None, :] + back_t <= d_close[:, None] + 1e-9)
    fits = cap_at[:, None] >= demand[None, :] - 1e-9
    ok = (back & fits).any(axis=0)
    result: list[Unserved | None] = []
    for j, sid in enumerate(inst.stop_ids):
        if ok[j]:
            result.append(None)
            continue
        d = float(demand[j])
        if not road[:, j].any():
            result.append(Unserved(sid, d, "no_road", "no finite travel time to and from any hub with vehicles"))
        elif not in_window[:, j].any():
            k = int(np.nanargmin(np.where(road[:, j], start[:, j], np.inf)))
            result.append(
                Unserved(
                    sid,
                    d,
                    "window_unreachable",
                    f"the earliest arrival is {start[k, j]:.0f} s (from hub {inst.depot_ids[hubs[k]]}, "
                    f"open from {d_open[k]:.0f} s, {out_t[k, j]:.0f} s away) but the window closes at "
                    f"{float(inst.window_close_s[j]):.0f} s",
                )
            )
        elif not back[:, j].any():
            k = int(np.flatnonzero(in_window[:, j])[0])
            ret = start[k, j] + float(inst.service_time_s[j]) + back_t[k, j]
            result.append(
                Unserved(
                    sid,
                    d,
                    "return_after_close",
                    f"a vehicle serving it is back at hub {inst.depot_ids[hubs[k]]} at {ret:.0f} s, "
                    f"after the hub closes at {d_close[k]:.0f} s",
                )
            )
        else:
            best = float(cap_at[back[:, j]].max())
            result.append(
                Unserved(
                    sid,
                    d,
                    "over_capacity",
                    f"load {d:g} exceeds the largest vehicle ({best:g} {inst.load_unit}) of any hub "
                    "that can reach it in time; split the delivery or use larger vehicles",
                )
            )
    return result
