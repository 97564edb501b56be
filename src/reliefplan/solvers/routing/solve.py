"""Last-mile routing: ``solve_routing`` with OR-Tools' routing library (the best of four construction heuristics,
then guided local search until the time limit), each route's schedule, and ``route_problems``, an independent
check of a plan against every constraint."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from .instance import Route, RoutingInstance, RoutingResult, Unserved, screen_stops, validate_instance

#: OR-Tools works in integers: times are kept in 1/_TIME_SCALE s, rounded UP (a route found is
#: feasible in exact arithmetic too); distances in 1/scale m, where scale makes the longest arc 10^6.
_TIME_SCALE = 1000.0
_MAX_ARC_INT = 1_000_000
#: construction heuristics tried when first_solution='best' (the search starts from the cheapest plan)
_STARTS = ("PARALLEL_CHEAPEST_INSERTION", "LOCAL_CHEAPEST_INSERTION", "SAVINGS", "PATH_CHEAPEST_ARC")


# --------------------------------------------------------------------------------------- solving


def solve_routing(
    instance: RoutingInstance,
    *,
    time_limit_s: float = 10.0,
    file: str = "<instance>",
    first_solution: str = "best",
    metaheuristic: str = "GUIDED_LOCAL_SEARCH",
    solution_limit: int | None = None,
) -> RoutingResult:
    """Route the day's deliveries: which vehicle serves which stops, in which order, when.

    time_limit_s bounds the search (OR-Tools guided local search runs until it). Stops that no vehicle
    could serve even alone are screened out first (`screen_stops`) and reported with their reason;
    the rest are all served when the fleet allows (leaving a stop out costs more than any route), and
    those left out are reported as 'not_routed'. first_solution: an OR-Tools construction strategy, or
    'best' (the cheapest plan of four strategies, `_STARTS`). solution_limit=1 stops at the first plan.
    """
    t0 = time.perf_counter()
    validate_instance(instance, file)
    inst = instance
    n_s = len(inst.stop_ids)
    screened = screen_stops(inst)
    stops = np.flatnonzero(np.array([s is None for s in screened], dtype=bool))
    demand = np.asarray(inst.demand, dtype=float)
    unserved = [s for s in screened if s is not None]
    n_v = len(inst.vehicle_ids)
    stats: dict[str, Any] = {"stops": n_s, "screened_out": n_s - int(stops.size), "vehicles": n_v}

    def done(status: str, routes: list[Route], message: str, solver: str = "ortools-routing") -> RoutingResult:
        delivered = float(sum(r.load for r in routes))
        return RoutingResult(
            status,
            routes,
            unserved,
            sum(1 for r in routes if r.stop_ids),
            float(sum(r.distance_m for r in routes)),
            delivered,
            float(sum(u.demand for u in unserved)),
            time.perf_counter() - t0,
            solver,
            message,
            stats,
        )

    if stops.size == 0:
        return done("no_stops", [], "no stop can be served by any vehicle (see unserved)", "presolve")

    manager, routing = _model(inst, _integers(inst, stops), stops)
    stats["t_model_s"] = time.perf_counter() - t0
    sol = _search(routing, n_v, t0, time_limit_s, first_solution, metaheuristic, solution_limit, stats)
    if sol is None:
        unserved.extend(
            Unserved(inst.stop_ids[j], float(demand[j]), "not_routed", "the search found no plan within the time limit")
            for j in stops
        )
        return done("no_solution", [], f"OR-Tools found no plan ({stats['ortools_status']}) within {time_limit_s:g} s")

    routes, served = _read_routes(inst, manager, routing, sol, stops)
    unserved += _not_routed(inst, stops[~served[stops]])
    status = "optimal" if stats["ortools_status"] == "ROUTING_OPTIMAL" else "feasible"
    msg = (
        "OR-Tools exhausted the search (optimal for the integer-rounded instance)"
        if status == "optimal"
        else f"heuristic plan ({first_solution} + {metaheuristic}, {time_limit_s:g} s); no bound is proven"
    )
    return done(status, routes, msg)


def _read_routes(
    inst: RoutingInstance, manager: Any, routing: Any, sol: Any, stops: np.ndarray
) -> tuple[list[Route], np.ndarray]:
    """Each vehicle's route, scheduled, from the OR-Tools solution, and which stops it serves."""
    n_d, n_v = len(inst.depot_ids), len(inst.vehicle_ids)
    routes: list[Route] = []
    served = np.zeros(len(inst.stop_ids), dtype=bool)
    for v, idx_seq in enumerate(_index_routes(routing, sol, n_v)):
        seq = [int(stops[manager.IndexToNode(i) - n_d]) for i in idx_seq]
        served[seq] = True
        routes.append(_schedule(inst, v, seq))
    return routes, served


def _not_routed(inst: RoutingInstance, left_out: np.ndarray) -> list[Unserved]:
    """The stops a vehicle could reach alone but the plan found leaves out, with the fleet against the demand."""
    demand = np.asarray(inst.demand, dtype=float)
    n_v = len(inst.vehicle_ids)
    total_cap = float(np.sum(inst.vehicle_capacity))
    return [
        Unserved(
            inst.stop_ids[j],
            float(demand[j]),
            "not_routed",
            f"reachable alone, but the fleet ({n_v} vehicles, {total_cap:g} {inst.load_unit} in "
            f"all for {float(demand.sum()):g} {inst.load_unit} of demand) did not stretch to it "
            "within the windows in the plan found",
        )
        for j in left_out
    ]


@dataclass
class _Integers:
    """The model's data in OR-Tools' integers, over model nodes (depots, then the stops kept): distances in
    1/d_scale m (no road: a cost no plan can use), travel plus service times in 1/t_scale s rounded UP (a plan
    found is feasible exactly), loads in 1/l_scale units (demand rounded up, capacity down), windows inward."""

    dist: np.ndarray
    time: np.ndarray
    demand: np.ndarray  # per model node
    capacity: np.ndarray  # per vehicle
    d_scale: float
    big_t: int  # past the horizon: no plan can use it
    window_open: np.ndarray
    window_close: np.ndarray
    depot_open: np.ndarray
    depot_close: np.ndarray
    fixed_cost: int  # per vehicle used


def _integers(inst: RoutingInstance, stops: np.ndarray) -> _Integers:
    n_d = len(inst.depot_ids)
    nodes = np.concatenate([np.arange(n_d), n_d + stops])  # model node -> instance node
    dist = np.asarray(inst.distance_m, dtype=float)[np.ix_(nodes, nodes)]
    tt = np.asarray(inst.travel_time_s, dtype=float)[np.ix_(nodes, nodes)]
    demand = np.asarray(inst.demand, dtype=float)
    service = np.asarray(inst.service_time_s, dtype=float)
    finite_d = dist[np.isfinite(dist)]
    d_scale = _MAX_ARC_INT / max(float(finite_d.max(initial=0.0)), 1e-9)
    d_int = np.where(np.isfinite(dist), np.rint(dist * d_scale), 0).astype(np.int64)
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
    integral = bool(
        np.all(demand[stops] == np.rint(demand[stops]))
        and np.all(inst.vehicle_capacity == np.rint(inst.vehicle_capacity))
    )
    l_scale = 1.0 if integral else 1000.0
    dem_int = np.concatenate([np.zeros(n_d), np.ceil(np.round(demand[stops] * l_scale, 6))]).astype(np.int64)
    cap_int = np.floor(np.round(np.asarray(inst.vehicle_capacity, float) * l_scale, 6)).astype(np.int64)

    def inward(t_s: np.ndarray, up: bool) -> np.ndarray:
        scaled = np.round(np.asarray(t_s, float) * t_scale, 6)
        return (np.ceil(scaled) if up else np.floor(scaled)).astype(np.int64)

    return _Integers(
        d_int,
        t_int,
        dem_int,
        cap_int,
        d_scale,
        big_t,
        inward(inst.window_open_s[stops], True),
        inward(inst.window_close_s[stops], False),
        inward(inst.depot_open_s, True),
        inward(inst.depot_close_s, False),
        int(round(inst.vehicle_fixed_cost_m * d_scale)),
    )


def _model(inst: RoutingInstance, data: _Integers, stops: np.ndarray) -> tuple[Any, Any]:
    """The OR-Tools routing model: distance cost (+ a fixed cost per vehicle used), time and load dimensions,
    stop and depot windows, and a penalty for leaving each stop out. Returns (index manager, model)."""
    from ortools.constraint_solver import pywrapcp

    n_d, n_v = len(inst.depot_ids), len(inst.vehicle_ids)
    n_m = n_d + stops.size
    vdep = [int(v) for v in inst.vehicle_depot]
    manager = pywrapcp.RoutingIndexManager(int(n_m), n_v, vdep, vdep)
    routing = pywrapcp.RoutingModel(manager)
    cost_cb = routing.RegisterTransitMatrix(data.dist.tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(cost_cb)
    if data.fixed_cost > 0:
        routing.SetFixedCostOfAllVehicles(data.fixed_cost)
    time_cb = routing.RegisterTransitMatrix(data.time.tolist())
    routing.AddDimension(time_cb, data.big_t, data.big_t, False, "time")
    tdim = routing.GetDimensionOrDie("time")
    load_cb = routing.RegisterUnaryTransitVector(data.demand.tolist())
    routing.AddDimensionWithVehicleCapacity(load_cb, 0, data.capacity.tolist(), True, "load")
    for k in range(stops.size):
        idx = manager.NodeToIndex(n_d + k)
        tdim.CumulVar(idx).SetRange(int(data.window_open[k]), int(data.window_close[k]))
    for v in range(n_v):
        h = vdep[v]
        tdim.CumulVar(routing.Start(v)).SetRange(int(data.depot_open[h]), int(data.depot_close[h]))
        tdim.CumulVar(routing.End(v)).SetRange(int(data.depot_open[h]), int(data.depot_close[h]))
    # Leaving a stop out must cost more than any plan that serves it: more than every arc of every
    # route plus every vehicle's fixed cost. Larger loads weigh more when some must be left out.
    demand = np.asarray(inst.demand, dtype=float)
    base = int(data.dist.max(initial=0)) * (n_m + n_v) + data.fixed_cost * n_v + 1
    dmax = max(float(demand[stops].max()), 1e-9)
    for k, j in enumerate(stops):
        routing.AddDisjunction([manager.NodeToIndex(n_d + k)], int(base * (1.0 + float(demand[j]) / dmax)))
    return manager, routing


def _search(
    routing: Any,
    n_v: int,
    t0: float,
    time_limit_s: float,
    first_solution: str,
    metaheuristic: str,
    solution_limit: int | None,
    stats: dict[str, Any],
) -> Any:
    """Run the search until the time limit (from t0): from the best of the construction heuristics when
    first_solution is 'best', else from the one named. The solution, or None; status and times in `stats`."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    def left_ms() -> int:
        return max(1, int(1000 * max(0.0, time_limit_s - (time.perf_counter() - t0))))

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
    return sol


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
    return Route(
        inst.vehicle_ids[v],
        inst.depot_ids[h],
        [inst.stop_ids[j] for j in seq],
        starts,
        float(np.asarray(inst.demand, float)[seq].sum()),
        float(dist),
        float(starts[0] - tt[h, n_d + seq[0]]),
        float(end),
    )


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
                out.append(
                    f"{r.vehicle_id}: service at {s} starts {t:.4f} > window close {float(inst.window_close_s[j]):g}"
                )
            t += float(inst.service_time_s[j])
            prev = n_d + j
        t += tt[prev, h]
        if t > float(inst.depot_close_s[h]) + tol:
            out.append(
                f"{r.vehicle_id}: back at {inst.depot_ids[h]} at {t:.4f} > close {float(inst.depot_close_s[h]):g}"
            )
    return out
