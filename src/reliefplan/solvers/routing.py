"""Last-mile routing: a daily vehicle-routing plan from hubs to distribution points (OR-Tools).

A capacitated vehicle-routing problem with time windows (VRPTW), with several depots (hubs) when the
instance has them. Each vehicle leaves its hub once, serves stops inside their windows, and is back
before the hub closes. The objective is the total distance (plus a distance-equivalent fixed cost per
vehicle used, when given); a stop is left out only when it cannot be served, and every stop left out
is reported with the reason. OR-Tools' routing library searches (the best of four construction
heuristics, then guided local search until the time limit); it is a heuristic and proves no bound, so
no gap is stated here — benchmarks/bench_routing.py measures the gap to the published best-known Solomon solutions.

Units: distances in metres, times in seconds from the start of the day, loads in the instance's
`load_unit`. Solomon instances have no units: one distance unit is read as 1 m and one time unit as
1 s (travel time = distance), which keeps their published distances comparable.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import InputError, Problem
from ..scenario._json_fields import FieldReader
from ..scenario._layers import read_json, read_text

#: OR-Tools works in integers: times are kept in 1/_TIME_SCALE s, rounded UP (a route found is
#: feasible in exact arithmetic too); distances in 1/scale m, where scale makes the longest arc 10^6.
_TIME_SCALE = 1000.0
_MAX_ARC_INT = 1_000_000
#: what a routing plan leaves out; written next to every plan (result_to_json)
NOT_MODELLED = [
    "one trip per truck a day (a second trip is a second truck entry of the same hub)",
    "loading time at the hub",
    "travel times that change during the day (convoy windows, checkpoint delays): the day's expected times are used",
    "splitting one point's load over several trucks (a load above every truck is 'over_capacity')",
    "road closures during the day",
]
#: construction heuristics tried when first_solution='best' (the search starts from the cheapest plan)
_STARTS = ("PARALLEL_CHEAPEST_INSERTION", "LOCAL_CHEAPEST_INSERTION", "SAVINGS", "PATH_CHEAPEST_ARC")


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
    n_d, n_s, n_v = len(inst.depot_ids), len(inst.stop_ids), len(inst.vehicle_ids)
    for kind, ids in (("depots", inst.depot_ids), ("stops", inst.stop_ids), ("vehicles", inst.vehicle_ids)):
        seen: dict[str, int] = {}
        for k, x in enumerate(ids):
            if x in seen:
                probs.append(Problem(file, f"id {x!r} repeated (first at index {seen[x]})", f"{kind}[{k}]", "id"))
            seen.setdefault(x, k)
    if n_d == 0:
        probs.append(Problem(file, "expected at least one depot (hub)", None, "depots"))
    if n_v == 0:
        probs.append(Problem(file, "expected at least one vehicle", None, "vehicles"))

    def vec(name: str, arr: np.ndarray, n: int, kind: str, ids: list[str], positive: bool = False) -> np.ndarray | None:
        a = np.asarray(arr, dtype=float)
        if a.shape != (n,):
            probs.append(Problem(file, f"expected {n} values, got shape {a.shape}", None, name))
            return None
        for k in np.flatnonzero(~np.isfinite(a)):
            probs.append(Problem(file, "expected a finite number", f"{kind}[{k}] ({ids[k]})", name))
        bad = (a <= 0) if positive else (a < 0)
        for k in np.flatnonzero(bad & np.isfinite(a)):
            probs.append(Problem(file, f"expected {'> 0' if positive else '>= 0'}, got {a[k]:g}",
                                 f"{kind}[{k}] ({ids[k]})", name))
        return a

    vec("demand", inst.demand, n_s, "stops", inst.stop_ids)
    vec("service_time_s", inst.service_time_s, n_s, "stops", inst.stop_ids)
    wo = vec("window_open_s", inst.window_open_s, n_s, "stops", inst.stop_ids)
    wc = vec("window_close_s", inst.window_close_s, n_s, "stops", inst.stop_ids)
    do = vec("depot_open_s", inst.depot_open_s, n_d, "depots", inst.depot_ids)
    dc = vec("depot_close_s", inst.depot_close_s, n_d, "depots", inst.depot_ids)
    vec("vehicle_capacity", inst.vehicle_capacity, n_v, "vehicles", inst.vehicle_ids, positive=True)
    for o, c, kind, ids, name in ((wo, wc, "stops", inst.stop_ids, "window_close_s"),
                                  (do, dc, "depots", inst.depot_ids, "depot_close_s")):
        if o is not None and c is not None:
            for k in np.flatnonzero(c < o).tolist():
                probs.append(Problem(file, f"window closes ({c[k]:g} s) before it opens ({o[k]:g} s)",
                                     f"{kind}[{k}] ({ids[k]})", name))
    vd = np.asarray(inst.vehicle_depot)
    if vd.shape != (n_v,):
        probs.append(Problem(file, f"expected {n_v} depot indices, got shape {vd.shape}", None, "vehicle_depot"))
    else:
        for k in np.flatnonzero((vd < 0) | (vd >= n_d)).tolist():
            probs.append(Problem(file, f"depot index {vd[k]} out of range 0..{n_d - 1}",
                                 f"vehicles[{k}] ({inst.vehicle_ids[k]})", "depot"))
    n = n_d + n_s
    for name in ("distance_m", "travel_time_s"):
        m = np.asarray(getattr(inst, name), dtype=float)
        if m.shape != (n, n):
            probs.append(Problem(file, f"expected a {n} x {n} matrix (depots then stops), got shape {m.shape}",
                                 None, name))
            continue
        if np.isnan(m).any():
            i, j = np.argwhere(np.isnan(m))[0]
            probs.append(Problem(file, f"NaN at [{i}][{j}]; use null/inf for 'no road'", None, name))
        if (m < 0).any():
            i, j = np.argwhere(m < 0)[0]
            probs.append(Problem(file, f"expected >= 0, got {m[i, j]:g} at [{i}][{j}]", None, name))
    if not (math.isfinite(inst.vehicle_fixed_cost_m) and inst.vehicle_fixed_cost_m >= 0):
        probs.append(Problem(file, f"expected a finite number >= 0, got {inst.vehicle_fixed_cost_m}", None,
                             "vehicle_fixed_cost_m"))
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
    out_t = tt[hubs][:, n_d:]          # hub -> stop, (n_hubs, n_stops)
    back_t = tt[n_d:, hubs].T          # stop -> hub
    start = np.maximum(np.asarray(inst.window_open_s, float)[None, :], d_open[:, None] + out_t)
    road = np.isfinite(out_t) & np.isfinite(back_t)
    in_window = road & (start <= np.asarray(inst.window_close_s, float)[None, :] + 1e-9)
    back = in_window & (start + np.asarray(inst.service_time_s, float)[None, :] + back_t
                        <= d_close[:, None] + 1e-9)
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
            result.append(Unserved(sid, d, "window_unreachable",
                                   f"the earliest arrival is {start[k, j]:.0f} s (from hub {inst.depot_ids[hubs[k]]}, "
                                   f"open from {d_open[k]:.0f} s, {out_t[k, j]:.0f} s away) but the window closes at "
                                   f"{float(inst.window_close_s[j]):.0f} s"))
        elif not back[:, j].any():
            k = int(np.flatnonzero(in_window[:, j])[0])
            ret = start[k, j] + float(inst.service_time_s[j]) + back_t[k, j]
            result.append(Unserved(sid, d, "return_after_close",
                                   f"a vehicle serving it is back at hub {inst.depot_ids[hubs[k]]} at {ret:.0f} s, "
                                   f"after the hub closes at {d_close[k]:.0f} s"))
        else:
            best = float(cap_at[back[:, j]].max())
            result.append(Unserved(sid, d, "over_capacity",
                                   f"load {d:g} exceeds the largest vehicle ({best:g} {inst.load_unit}) of any hub "
                                   "that can reach it in time; split the delivery or use larger vehicles"))
    return result


# --------------------------------------------------------------------------------------- solving

def solve_routing(instance: RoutingInstance, *, time_limit_s: float = 10.0, file: str = "<instance>",
                  first_solution: str = "best",
                  metaheuristic: str = "GUIDED_LOCAL_SEARCH", solution_limit: int | None = None) -> RoutingResult:
    """Route the day's deliveries: which vehicle serves which stops, in which order, when.

    time_limit_s bounds the search (OR-Tools guided local search runs until it). Stops that no vehicle
    could serve even alone are screened out first (`screen_stops`) and reported with their reason;
    the rest are all served when the fleet allows (leaving a stop out costs more than any route), and
    those left out are reported as 'not_routed'. first_solution: an OR-Tools construction strategy, or
    'best' (the cheapest plan of four strategies, `_STARTS`). solution_limit=1 stops at the first plan.
    """
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    t0 = time.perf_counter()
    validate_instance(instance, file)
    inst = instance
    n_d, n_s = len(inst.depot_ids), len(inst.stop_ids)
    screened = screen_stops(inst)
    keep = np.array([s is None for s in screened], dtype=bool)
    stops = np.flatnonzero(keep)
    nodes = np.concatenate([np.arange(n_d), n_d + stops])          # model node -> instance node
    dist = np.asarray(inst.distance_m, dtype=float)[np.ix_(nodes, nodes)]
    tt = np.asarray(inst.travel_time_s, dtype=float)[np.ix_(nodes, nodes)]
    demand = np.asarray(inst.demand, dtype=float)
    service = np.asarray(inst.service_time_s, dtype=float)
    unserved = [s for s in screened if s is not None]
    n_v = len(inst.vehicle_ids)
    stats: dict[str, Any] = {"stops": n_s, "screened_out": n_s - int(stops.size), "vehicles": n_v}

    def done(status: str, routes: list[Route], message: str, solver: str = "ortools-routing") -> RoutingResult:
        delivered = float(sum(r.load for r in routes))
        return RoutingResult(status, routes, unserved, sum(1 for r in routes if r.stop_ids),
                             float(sum(r.distance_m for r in routes)), delivered,
                             float(sum(u.demand for u in unserved)), time.perf_counter() - t0, solver, message, stats)

    if stops.size == 0:
        return done("no_stops", [], "no stop can be served by any vehicle (see unserved)", "presolve")

    # Integer data for OR-Tools. Arcs without a road get a cost/time no plan can use.
    finite_d = dist[np.isfinite(dist)]
    d_scale = _MAX_ARC_INT / max(float(finite_d.max(initial=0.0)), 1e-9)
    d_int = np.where(np.isfinite(dist), np.rint(dist * d_scale), 0).astype(np.int64)
    n_m = nodes.size
    horizon_s = float(max(np.max(inst.depot_close_s), np.max(inst.window_close_s[stops])))
    t_scale = min(_TIME_SCALE, 1e9 / max(horizon_s, 1.0))
    big_t = int(math.ceil(horizon_s * t_scale)) + 1
    serv_m = np.concatenate([np.zeros(n_d), service[stops]])
    transit = np.where(np.isfinite(tt), np.ceil(np.round((tt + serv_m[:, None]) * t_scale, 6)), big_t)
    t_int = transit.astype(np.int64)
    no_road = ~np.isfinite(dist) | ~np.isfinite(tt)
    d_int[no_road] = 10 * _MAX_ARC_INT
    np.fill_diagonal(d_int, 0)
    np.fill_diagonal(t_int, 0)
    integral = bool(np.all(demand[stops] == np.rint(demand[stops])) and
                    np.all(inst.vehicle_capacity == np.rint(inst.vehicle_capacity)))
    l_scale = 1.0 if integral else 1000.0
    dem_int = np.concatenate([np.zeros(n_d), np.ceil(np.round(demand[stops] * l_scale, 6))]).astype(np.int64)
    cap_int = np.floor(np.round(np.asarray(inst.vehicle_capacity, float) * l_scale, 6)).astype(np.int64)

    vdep = [int(v) for v in inst.vehicle_depot]
    manager = pywrapcp.RoutingIndexManager(int(n_m), n_v, vdep, vdep)
    routing = pywrapcp.RoutingModel(manager)
    cost_cb = routing.RegisterTransitMatrix(d_int.tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(cost_cb)
    fixed_int = int(round(inst.vehicle_fixed_cost_m * d_scale))
    if fixed_int > 0:
        routing.SetFixedCostOfAllVehicles(fixed_int)
    time_cb = routing.RegisterTransitMatrix(t_int.tolist())
    routing.AddDimension(time_cb, big_t, big_t, False, "time")
    tdim = routing.GetDimensionOrDie("time")
    load_cb = routing.RegisterUnaryTransitVector(dem_int.tolist())
    routing.AddDimensionWithVehicleCapacity(load_cb, 0, cap_int.tolist(), True, "load")
    w_open = np.ceil(np.round(inst.window_open_s[stops] * t_scale, 6)).astype(np.int64)
    w_close = np.floor(np.round(inst.window_close_s[stops] * t_scale, 6)).astype(np.int64)
    for k in range(stops.size):
        idx = manager.NodeToIndex(n_d + k)
        tdim.CumulVar(idx).SetRange(int(w_open[k]), int(w_close[k]))
    d_open = np.ceil(np.round(np.asarray(inst.depot_open_s, float) * t_scale, 6)).astype(np.int64)
    d_close = np.floor(np.round(np.asarray(inst.depot_close_s, float) * t_scale, 6)).astype(np.int64)
    for v in range(n_v):
        h = vdep[v]
        tdim.CumulVar(routing.Start(v)).SetRange(int(d_open[h]), int(d_close[h]))
        tdim.CumulVar(routing.End(v)).SetRange(int(d_open[h]), int(d_close[h]))
    # Leaving a stop out must cost more than any plan that serves it: more than every arc of every
    # route plus every vehicle's fixed cost. Larger loads weigh more when some must be left out.
    base = int(d_int.max(initial=0)) * (n_m + n_v) + fixed_int * n_v + 1
    dmax = max(float(demand[stops].max()), 1e-9)
    for k, j in enumerate(stops):
        routing.AddDisjunction([manager.NodeToIndex(n_d + k)], int(base * (1.0 + float(demand[j]) / dmax)))

    def left_ms() -> int:
        return max(1, int(1000 * max(0.0, time_limit_s - (time.perf_counter() - t0))))

    stats["t_model_s"] = time.perf_counter() - t0
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.local_search_metaheuristic = getattr(routing_enums_pb2.LocalSearchMetaheuristic, metaheuristic)
    if solution_limit is not None:
        params.solution_limit = int(solution_limit)
    start = None
    if first_solution == "best":
        # Construction heuristics suit different instances (insertion for tight windows, savings for
        # wide ones); each takes a fraction of a second, so the search starts from the best of them.
        best: tuple[int, list[list[int]]] | None = None
        for name in _STARTS:
            p = pywrapcp.DefaultRoutingSearchParameters()
            p.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, name)
            p.solution_limit = 1
            p.time_limit.FromMilliseconds(max(1, left_ms() // 4))
            s0 = routing.SolveWithParameters(p)
            if s0 is not None and (best is None or s0.ObjectiveValue() < best[0]):
                best = (s0.ObjectiveValue(), _index_routes(routing, s0, n_v))
        stats["t_starts_s"] = time.perf_counter() - t0 - stats["t_model_s"]
        if best is not None:
            start = routing.ReadAssignmentFromRoutes(best[1], True)
    else:
        params.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, first_solution)
    params.time_limit.FromMilliseconds(left_ms())
    if start is not None and solution_limit == 1:
        sol = start
    elif start is not None:
        sol = routing.SolveFromAssignmentWithParameters(start, params)
    else:
        if first_solution == "best":
            params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
        sol = routing.SolveWithParameters(params)
    status_code = routing.status()
    stats["ortools_status"] = routing_enums_pb2.RoutingSearchStatus.Value.Name(status_code)
    stats["t_search_s"] = time.perf_counter() - t0 - stats["t_model_s"]
    if sol is None:
        unserved.extend(Unserved(inst.stop_ids[j], float(demand[j]), "not_routed",
                                 "the search found no plan within the time limit") for j in stops)
        return done("no_solution", [], f"OR-Tools found no plan ({stats['ortools_status']}) within "
                                       f"{time_limit_s:g} s")

    routes: list[Route] = []
    served = np.zeros(n_s, dtype=bool)
    for v, idx_seq in enumerate(_index_routes(routing, sol, n_v)):
        seq = [int(stops[manager.IndexToNode(i) - n_d]) for i in idx_seq]
        served[seq] = True
        routes.append(_schedule(inst, v, seq))
    total_cap = float(np.sum(inst.vehicle_capacity))
    for j in stops[~served[stops]]:
        unserved.append(Unserved(inst.stop_ids[j], float(demand[j]), "not_routed",
                                 f"reachable alone, but the fleet ({n_v} vehicles, {total_cap:g} {inst.load_unit} in "
                                 f"all for {float(demand.sum()):g} {inst.load_unit} of demand) did not stretch to it "
                                 "within the windows in the plan found"))
    status = "optimal" if stats["ortools_status"] == "ROUTING_OPTIMAL" else "feasible"
    msg = ("OR-Tools exhausted the search (optimal for the integer-rounded instance)" if status == "optimal" else
           f"heuristic plan ({first_solution} + {metaheuristic}, {time_limit_s:g} s); no bound is proven")
    return done(status, routes, msg)


def _index_routes(routing: Any, sol: Any, n_vehicles: int) -> list[list[int]]:
    """Each vehicle's visited routing indices (starts and ends excluded) in solution `sol`."""
    out = []
    for v in range(n_vehicles):
        idx, seq = routing.Start(v), []
        while True:
            idx = sol.Value(routing.NextVar(idx))
            if routing.IsEnd(idx):
                break
            seq.append(int(idx))
        out.append(seq)
    return out


def _schedule(inst: RoutingInstance, v: int, seq: list[int]) -> Route:
    """Vehicle v's route over stops `seq` (instance indices), each served as early as its window allows,
    timed in exact arithmetic; the vehicle leaves its hub as late as that first service allows."""
    n_d = len(inst.depot_ids)
    h = int(inst.vehicle_depot[v])
    tt = np.asarray(inst.travel_time_s, dtype=float)
    dd = np.asarray(inst.distance_m, dtype=float)
    if not seq:
        t0 = float(inst.depot_open_s[h])
        return Route(inst.vehicle_ids[v], inst.depot_ids[h], [], [], 0.0, 0.0, t0, t0)
    t, prev, dist = float(inst.depot_open_s[h]), h, 0.0
    starts: list[float] = []
    for j in seq:
        t = max(t + tt[prev, n_d + j], float(inst.window_open_s[j]))
        starts.append(float(t))
        dist += dd[prev, n_d + j]
        t += float(inst.service_time_s[j])
        prev = n_d + j
    end = t + tt[prev, h]
    dist += dd[prev, h]
    return Route(inst.vehicle_ids[v], inst.depot_ids[h], [inst.stop_ids[j] for j in seq], starts,
                 float(np.asarray(inst.demand, float)[seq].sum()), float(dist),
                 float(starts[0] - tt[h, n_d + seq[0]]), float(end))


def route_problems(inst: RoutingInstance, routes: list[Route], tol: float = 1e-6) -> list[str]:
    """Check routes against the instance in exact (double) arithmetic, independently of the solver.

    Returns every violation found (capacity, windows, hub hours, a stop served twice); empty = valid.
    """
    n_d = len(inst.depot_ids)
    stop_index = {s: k for k, s in enumerate(inst.stop_ids)}
    veh = {v: k for k, v in enumerate(inst.vehicle_ids)}
    tt = np.asarray(inst.travel_time_s, dtype=float)
    seen: set[str] = set()
    out: list[str] = []
    for r in routes:
        if not r.stop_ids:
            continue
        v = veh[r.vehicle_id]
        h = int(inst.vehicle_depot[v])
        load = float(sum(inst.demand[stop_index[s]] for s in r.stop_ids))
        if load > float(inst.vehicle_capacity[v]) + tol:
            out.append(f"{r.vehicle_id}: load {load:g} > capacity {float(inst.vehicle_capacity[v]):g}")
        t, prev = float(inst.depot_open_s[h]), h
        for s in r.stop_ids:
            if s in seen:
                out.append(f"{s} served twice")
            seen.add(s)
            j = stop_index[s]
            t = max(t + tt[prev, n_d + j], float(inst.window_open_s[j]))
            if t > float(inst.window_close_s[j]) + tol:
                out.append(f"{r.vehicle_id}: service at {s} starts {t:.4f} > window close "
                           f"{float(inst.window_close_s[j]):g}")
            t += float(inst.service_time_s[j])
            prev = n_d + j
        t += tt[prev, h]
        if t > float(inst.depot_close_s[h]) + tol:
            out.append(f"{r.vehicle_id}: back at {inst.depot_ids[h]} at {t:.4f} > close "
                       f"{float(inst.depot_close_s[h]):g}")
    return out


# --------------------------------------------------------------------------------------- readers

def _euclid(xy: np.ndarray) -> np.ndarray:
    return np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])


def solomon_from_text(text: str, file: str = "<solomon>", vehicles: int | None = None) -> RoutingInstance:
    """Parse the Solomon VRPTW text format (Solomon 1987; the 25/50/100-customer and Homberger files).

    Layout: a name line; 'VEHICLE', a 'NUMBER CAPACITY' header and the fleet size and capacity;
    'CUSTOMER', a header, then one row per node: number, x, y, demand, ready time, due date, service
    time. Node 0 is the depot (its ready/due is the working day). Distances are Euclidean in double
    precision (not truncated), travel time = distance. `vehicles` overrides the fleet size.
    """
    lines = text.splitlines()
    name = next((ln.strip() for ln in lines if ln.strip()), "")
    upper = [ln.strip().upper() for ln in lines]

    def find(word: str) -> int:
        for k, ln in enumerate(upper):
            if ln.startswith(word):
                return k
        raise InputError(Problem(file, f"no '{word}' section; expected the Solomon VRPTW text layout"))

    k_v, k_c = find("VEHICLE"), find("CUSTOMER")
    fleet: list[float] | None = None
    for k in range(k_v + 1, k_c):
        toks = lines[k].split()
        if toks and all(_is_number(t) for t in toks):
            if len(toks) != 2:
                raise InputError(Problem(file, f"expected 2 numbers (NUMBER CAPACITY), got {len(toks)}",
                                         f"line {k + 1}", "VEHICLE"))
            fleet = [float(t) for t in toks]
            break
    if fleet is None:
        raise InputError(Problem(file, "no fleet line (NUMBER CAPACITY) under VEHICLE", None, "VEHICLE"))
    rows: list[list[float]] = []
    probs: list[Problem] = []
    for k in range(k_c + 1, len(lines)):
        toks = lines[k].split()
        if not toks or not _is_number(toks[0]):
            continue  # header or blank line
        if len(toks) != 7 or not all(_is_number(t) for t in toks):
            probs.append(Problem(file, f"expected 7 numbers (CUST NO., XCOORD., YCOORD., DEMAND, READY TIME, "
                                       f"DUE DATE, SERVICE TIME), got {lines[k].strip()!r}", f"line {k + 1}"))
            continue
        rows.append([float(t) for t in toks])
    if probs:
        raise InputError(probs)
    if len(rows) < 2:
        raise InputError(Problem(file, f"expected a depot row and at least one customer row, got {len(rows)} row(s)",
                                 None, "CUSTOMER"))
    a = np.array(rows)
    number, capacity = fleet
    n_veh = number if vehicles is None else float(vehicles)
    if n_veh < 1 or n_veh != int(n_veh):
        raise InputError(Problem(file, f"expected a whole number of vehicles >= 1, got {n_veh:g}", None,
                                 "NUMBER" if vehicles is None else "vehicles"))
    n_veh = int(n_veh)
    d = _euclid(a[:, 1:3])
    ids = [str(int(x)) if float(x).is_integer() else str(x) for x in a[:, 0]]
    inst = RoutingInstance(
        depot_ids=[ids[0]], stop_ids=ids[1:], demand=a[1:, 3], service_time_s=a[1:, 6],
        window_open_s=a[1:, 4], window_close_s=a[1:, 5], depot_open_s=a[:1, 4], depot_close_s=a[:1, 5],
        vehicle_ids=[f"v{k + 1}" for k in range(n_veh)], vehicle_depot=np.zeros(n_veh, dtype=np.int64),
        vehicle_capacity=np.full(n_veh, capacity), distance_m=d, travel_time_s=d, load_unit="unit", name=name)
    validate_instance(inst, file)
    return inst


def _is_number(tok: str) -> bool:
    try:
        float(tok)
    except ValueError:
        return False
    return True


def read_solomon(path: str | Path, vehicles: int | None = None) -> RoutingInstance:
    """Read a Solomon VRPTW text file (see `solomon_from_text`)."""
    p = Path(path)
    return solomon_from_text(read_text(p, "Solomon instance"), str(p), vehicles)


def instance_from_json(obj: Any, file: str = "<instance>") -> RoutingInstance:
    """Build a RoutingInstance from the standalone JSON format, collecting every problem.

    Keys: depots [{id, x, y, open_s=0, close_s}], stops [{id, x, y, demand, service_s=0, open_s=0,
    close_s=depot close}], vehicles [{id, depot, capacity, count=1}] (count > 1 makes ids id-1..id-N),
    and either distance_m / travel_time_s matrices (depots then stops; null = no road) or coordinates
    in metres (x, y: projected) with speed_m_per_s; vehicle_fixed_cost_m=0, load_unit='kg'.
    """
    probs: list[Problem] = []
    if not isinstance(obj, dict):
        raise InputError(Problem(file, "expected a JSON object with depots, stops and vehicles"))
    for key in ("depots", "stops", "vehicles"):
        if not isinstance(obj.get(key), list) or not obj.get(key):
            probs.append(Problem(file, "expected a non-empty list of objects", None, key))
    if probs:
        raise InputError(probs)

    fields = FieldReader(file, probs)
    num, ident = fields.number, fields.ident

    deps, sts, vehs = obj["depots"], obj["stops"], obj["vehicles"]
    depot_ids = [ident("depots", k, d) for k, d in enumerate(deps)]
    stop_ids = [ident("stops", k, s) for k, s in enumerate(sts)]
    d_open = np.array([num("depots", k, d, "open_s", 0.0) for k, d in enumerate(deps)])
    d_close = np.array([num("depots", k, d, "close_s") for k, d in enumerate(deps)])
    day_end = float(d_close.max()) if d_close.size else 0.0
    demand = np.array([num("stops", k, s, "demand") for k, s in enumerate(sts)])
    service = np.array([num("stops", k, s, "service_s", 0.0) for k, s in enumerate(sts)])
    w_open = np.array([num("stops", k, s, "open_s", 0.0) for k, s in enumerate(sts)])
    w_close = np.array([num("stops", k, s, "close_s", day_end) for k, s in enumerate(sts)])
    where = {d: k for k, d in enumerate(depot_ids)}
    v_ids: list[str] = []
    v_dep: list[int] = []
    v_cap: list[float] = []
    for k, v in enumerate(vehs):
        vid = ident("vehicles", k, v)
        cap = num("vehicles", k, v, "capacity")
        count = v.get("count", 1) if isinstance(v, dict) else 1
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            probs.append(Problem(file, f"expected a whole number >= 1, got {count!r}", f"vehicles[{k}] ({vid})",
                                 "count"))
            count = 1
        dep = v.get("depot") if isinstance(v, dict) else None
        if str(dep) not in where:
            probs.append(Problem(file, f"unknown depot {dep!r}; expected one of {depot_ids}", f"vehicles[{k}] ({vid})",
                                 "depot"))
            dep = depot_ids[0]
        for c in range(count):
            v_ids.append(vid if count == 1 else f"{vid}-{c + 1}")
            v_dep.append(where[str(dep)])
            v_cap.append(cap)
    n = len(deps) + len(sts)
    mats: dict[str, np.ndarray] = {}
    for key in ("distance_m", "travel_time_s"):
        if key in obj:
            mats[key] = _matrix(obj[key], n, key, file, probs)
    if len(mats) < 2:
        pts = [*deps, *sts]
        kinds = ["depots"] * len(deps) + ["stops"] * len(sts)
        idx = list(range(len(deps))) + list(range(len(sts)))
        xy = np.array([[num(kd, i, p, "x"), num(kd, i, p, "y")] for kd, i, p in zip(kinds, idx, pts, strict=True)])
        if "distance_m" not in mats:
            mats["distance_m"] = _euclid(xy) if xy.size else np.zeros((0, 0))
        if "travel_time_s" not in mats:
            speed = obj.get("speed_m_per_s")
            if isinstance(speed, bool) or not isinstance(speed, int | float) or not speed > 0:
                probs.append(Problem(file, f"expected a speed > 0 (m/s) to turn distances into travel times, got "
                                           f"{speed!r}", None, "speed_m_per_s"))
                speed = 1.0
            mats["travel_time_s"] = mats["distance_m"] / float(speed)
    fixed = obj.get("vehicle_fixed_cost_m", 0.0)
    if isinstance(fixed, bool) or not isinstance(fixed, int | float):
        probs.append(Problem(file, f"expected a number >= 0, got {fixed!r}", None, "vehicle_fixed_cost_m"))
        fixed = 0.0
    if probs:
        raise InputError(probs)
    inst = RoutingInstance(depot_ids, stop_ids, demand, service, w_open, w_close, d_open, d_close, v_ids,
                           np.array(v_dep, dtype=np.int64), np.array(v_cap), mats["distance_m"], mats["travel_time_s"],
                           float(fixed), str(obj.get("load_unit", "kg")), str(obj.get("name", "")))
    validate_instance(inst, file)
    return inst


def _matrix(rows: Any, n: int, key: str, file: str, probs: list[Problem]) -> np.ndarray:
    m = np.full((n, n), np.inf)
    if not isinstance(rows, list) or len(rows) != n:
        probs.append(Problem(file, f"expected {n} rows (depots then stops)", None, key))
        return m
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != n:
            probs.append(Problem(file, f"expected {n} values", f"row {i}", key))
            continue
        for j, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                probs.append(Problem(file, f"expected a finite number or null, got {v!r}", f"[{i}][{j}]", key))
            else:
                m[i, j] = float(v)
    return m


def read_instance_file(path: str | Path, fmt: str = "auto", vehicles: int | None = None) -> RoutingInstance:
    """Read a routing instance: JSON (`instance_from_json`) or Solomon text; fmt 'auto' goes by content."""
    p = Path(path)
    if fmt not in ("auto", "json", "solomon"):
        raise InputError(Problem(str(p), f"unknown format {fmt!r}; expected auto, json or solomon"))
    text = read_text(p, "routing instance")
    if fmt == "solomon" or (fmt == "auto" and not text.lstrip().startswith("{")):
        return solomon_from_text(text, str(p), vehicles)
    inst = instance_from_json(read_json(p, "routing instance"), str(p))
    if vehicles is not None:
        raise InputError(Problem(str(p), "--vehicles applies to Solomon files; give the fleet in 'vehicles'",
                                 None, "vehicles"))
    return inst


def result_to_json(res: RoutingResult, inst: RoutingInstance) -> dict[str, Any]:
    """The standalone solver's output document (JSON-ready)."""
    return {
        "name": inst.name,
        "status": res.status,
        "vehicles_used": res.vehicles_used,
        "vehicles_available": len(inst.vehicle_ids),
        "distance_m": round(res.distance_m, 3),
        "load_delivered": res.load_delivered,
        "load_unserved": res.load_unserved,
        "load_unit": inst.load_unit,
        "stops_served": sum(len(r.stop_ids) for r in res.routes),
        "stops_unserved": len(res.unserved),
        "routes": [{"vehicle": r.vehicle_id, "depot": r.depot_id, "stops": r.stop_ids,
                    "service_start_s": [round(t, 3) for t in r.service_start_s], "load": r.load,
                    "distance_m": round(r.distance_m, 3), "start_s": round(r.start_s, 3), "end_s": round(r.end_s, 3)}
                   for r in res.routes if r.stop_ids],
        "unserved": [{"stop": u.stop_id, "demand": u.demand, "code": u.code, "reason": u.reason} for u in res.unserved],
        "gap": None,
        "solver": res.solver,
        "solve_time_s": round(res.solve_time_s, 3),
        "message": res.message,
        "not_modelled": NOT_MODELLED,
        "stats": res.stats,
    }
