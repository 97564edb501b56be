"""One day's last-mile routes (``supply.routing``): the supply plan's truckloads from each origin (a crossing, the
node after its chain, a warehouse, a pier) to the locations it feeds that day, routed with OR-Tools
(`solvers.routing`). Full truckloads go straight to their location and back (a routing problem has nothing to
decide for them); the part-loads left at each location are routed as a capacitated VRP with time windows from
the origin. Reports vehicles, distance, load and the stops left unserved with their reason."""

from __future__ import annotations

import numpy as np

from ..plan_supply import LastMile, LastMileOrigin, RoutedLoads, UnservedStop, VehicleRoute
from ..scenario.delivery_specs import RoutingSpec
from ..scenario.folder import Scenario
from ..solvers.network import TravelTimes, build_network, straight_line_matrix, travel_time_matrix
from ..solvers.routing import NOT_MODELLED, RoutingInstance, solve_routing
from ..solvers.supply import SupplyInstance, SupplyResult
from .presence import Presence

TRUCK_SPEED_M_S = 20 / 3.6  # off-road legs and the no-road fallback (as deliveries.TRUCK_LEG_SPEED_M_S)


def road_matrix(sc: Scenario, a_xy: np.ndarray, b_xy: np.ndarray) -> TravelTimes:
    """Driving times and distances (`network.TravelTimes`) on the scenario's roads, or straight lines without."""
    if sc.roads is not None:
        net = build_network(sc.roads, mode="drive", crs=sc.crs, closures=sc.closures)
        return travel_time_matrix(net, a_xy, b_xy, max_snap_m=None, leg_speed_m_s=TRUCK_SPEED_M_S)
    return straight_line_matrix(a_xy, b_xy, speed_m_s=TRUCK_SPEED_M_S)


def _origin_xy(sc: Scenario, node: str) -> np.ndarray | None:
    """Where an origin of truck corridors stands: its crossing (also for the chain's nodes after it), warehouse
    or declared sea/land entry; None for a virtual node (a package's stock, fuel entering)."""
    from ..geo import WGS84, project

    base = node.split(":")[0]
    for e in [*sc.entry_points, *sc.warehouses]:
        if e.id == base:
            return np.array([e.geometry_m.x, e.geometry_m.y])
    for m in sc.supply.entries:
        if m.id == base and m.lon is not None and m.lat is not None:
            import shapely

            pt = np.empty(1, dtype=object)
            pt[:] = [shapely.Point(m.lon, m.lat)]
            g = project(pt, WGS84, sc.crs)[0]
            return np.array([g.x, g.y])
    return None


def last_mile(sc: Scenario, pres: Presence, inst: SupplyInstance, res: SupplyResult) -> LastMile:
    """plan.json ``supply.last_mile``: the declared day's routes per origin (see the module docstring)."""
    spec = sc.supply.routing
    assert spec is not None
    T = res.days
    flow_t = res.flow_t.sum(axis=0)  # [A, T]
    day = spec.day if spec.day is not None else _busiest_day(inst, res, flow_t)
    day = min(day, T - 1)
    cap = float(spec.vehicle_capacity_t or inst.payload_t)
    loc = {lid: i for i, lid in enumerate(pres.location_ids)}
    by_origin: dict[str, dict[str, float]] = {}
    for a, arc in enumerate(inst.arcs):
        t = float(flow_t[a, day]) * (1.0 - arc.loss_share)
        if arc.trucked and arc.target in loc and t > 1e-6:
            by_origin.setdefault(arc.source, {})
            by_origin[arc.source][arc.target] = by_origin[arc.source].get(arc.target, 0.0) + t
    out: list[LastMileOrigin] = []
    for origin, loads in by_origin.items():
        oxy = _origin_xy(sc, origin)
        if oxy is None:
            continue
        ids = list(loads)
        xy = np.vstack([oxy[None, :], pres.xy[[loc[i] for i in ids]]])
        tt = road_matrix(sc, xy, xy)
        dist, secs = np.nan_to_num(tt.distance_m, nan=np.inf), tt.time_s
        tonnes = np.array([loads[i] for i in ids])
        full = np.floor(tonnes / cap + 1e-9)
        rest = tonnes - full * cap
        direct_km = float((full * 2 * dist[0, 1:]).sum() / 1000.0)
        keep = rest > 1e-3
        stops = [i for i, k in zip(ids, keep) if k]
        sel = np.concatenate([[0], 1 + np.flatnonzero(keep)])
        routed = _routes(spec, origin, stops, rest[keep], dist[np.ix_(sel, sel)], secs[np.ix_(sel, sel)], cap, day)
        out.append(
            LastMileOrigin(
                origin=origin,
                locations=len(ids),
                tonnes=round(float(tonnes.sum()), 1),
                full_loads=int(full.sum()),
                full_loads_km=round(direct_km, 1),
                routed=routed,
            )
        )
    return LastMile(
        day=day,
        vehicle_capacity_t=cap,
        vehicles_per_origin=spec.vehicles_per_origin,
        working_day_h=list(spec.working_day_h),
        service_min=spec.service_min,
        origins=out,
        not_modelled=[
            "full truckloads drive straight to their location and back (one trip each; a truck may make several a day)",
            "routes use the day's tonnes of the supply plan, after losses",
            *NOT_MODELLED,
        ],
    )


def _busiest_day(inst: SupplyInstance, res: SupplyResult, flow_t: np.ndarray) -> int:
    """The day the most tonnes are trucked to the sites."""
    T = res.days
    return int(
        np.argmax(
            [
                sum(flow_t[a, t] for a, arc in enumerate(inst.arcs) if arc.trucked and arc.target in res.site_ids)
                for t in range(T)
            ]
        )
    )


def _routes(
    spec: RoutingSpec,
    origin: str,
    stops: list[str],
    demand_t: np.ndarray,
    dist_m: np.ndarray,
    time_s: np.ndarray,
    cap: float,
    day: int,
) -> RoutedLoads:
    """The part loads of one origin routed over its stops (matrices: origin first, then the stops)."""
    n = len(stops)
    if not n:
        return RoutedLoads(stops=n)
    open_s, close_s = spec.working_day_h[0] * 3600.0, spec.working_day_h[1] * 3600.0
    inst_r = RoutingInstance(
        depot_ids=[origin],
        stop_ids=stops,
        demand=demand_t,
        service_time_s=np.full(n, spec.service_min * 60),
        window_open_s=np.full(n, open_s),
        window_close_s=np.full(n, close_s),
        depot_open_s=np.array([open_s]),
        depot_close_s=np.array([close_s]),
        vehicle_ids=[f"{origin}-v{k}" for k in range(spec.vehicles_per_origin)],
        vehicle_depot=np.zeros(spec.vehicles_per_origin, dtype=np.int64),
        vehicle_capacity=np.full(spec.vehicles_per_origin, cap),
        distance_m=dist_m,
        travel_time_s=time_s,
        load_unit="t",
        name=f"{origin} day {day}",
    )
    r = solve_routing(inst_r, time_limit_s=spec.time_limit_s)
    return RoutedLoads(
        stops=n,
        status=r.status,
        vehicles_used=r.vehicles_used,
        distance_km=round(r.distance_m / 1000.0, 1),
        load_t=round(r.load_delivered, 1),
        unserved_t=round(r.load_unserved, 1),
        unserved=[UnservedStop(stop=u.stop_id, t=round(u.demand, 2), code=u.code, reason=u.reason) for u in r.unserved],
        routes=[
            VehicleRoute(
                vehicle=x.vehicle_id,
                stops=x.stop_ids,
                load_t=round(x.load, 2),
                distance_km=round(x.distance_m / 1000.0, 2),
            )
            for x in r.routes
            if x.stop_ids
        ],
        solve_time_s=round(r.solve_time_s, 2),
    )
