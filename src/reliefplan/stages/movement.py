"""The move itself: the plan's zone -> site flows as an evacuation instance on the walking network."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
import numpy as np
import shapely
from pyproj import CRS

from .._errors import InputError, Problem
from .._rounding import largest_remainder
from ..solvers.evacuation import EvacuationInstance, EvacuationResult, NodeNumbers, solve_evacuation
from ..geo import to_lon_lat
from ..plan import CondensedNetwork, EvacuationArrival, EvacuationBottleneck, EvacuationTiming
from ..solvers.network import Network, snap
from ..scenario.folder import Scenario
from .allocation import AllocationResult
from .capacity import SiteCapacity
from .displacement import Displacement
from .orders import DaysMovement, OrderParts, move_over_days
from .overflow import Overflow
from .travel import ZoneSiteTimes


@dataclass
class Movement:
    instance: EvacuationInstance
    result: EvacuationResult
    sink_ids: list[str]  # destination id per sink: a site, or overflow land "overflow:<zone id>"


def evacuation_instance(
    sc: Scenario,
    net: Network,
    samples_xy: np.ndarray,
    samples_zone: np.ndarray,
    days: np.ndarray,
    by_day: np.ndarray,
    moving_by_zone: np.ndarray,
    dest_xy: np.ndarray,
    dest_people: np.ndarray,
    dest_ids: list[str],
) -> tuple[EvacuationInstance, list[str]]:
    """Sources: each zone's people who move (to a camp place or to overflow land), split over its sample points
    and departure days; the walk to the nearest road delays their release. Sinks: the destinations that receive
    people (opened sites, overflow land), each taking the people sent to it."""
    sheltered_by_zone = moving_by_zone
    spec = sc.evacuation
    spread_s = spec.spread_h * 3600.0 if spec.departure == "spread" else 0.0
    snapped = snap(net, samples_xy)
    src_node, src_people, src_release = [], [], []
    # each zone's sample points (ascending) as one slice of a stable sort: a scan per zone grows as zones x points
    by_zone = np.argsort(samples_zone, kind="stable")
    zone_lo = np.searchsorted(samples_zone[by_zone], np.arange(len(sheltered_by_zone) + 1))
    for z in np.flatnonzero(sheltered_by_zone):
        pts = by_zone[zone_lo[z] : zone_lo[z + 1]]
        leaving = by_day[z]
        per_day = largest_remainder(leaving / max(leaving.sum(), 1) * sheltered_by_zone[z], int(sheltered_by_zone[z]))
        for day, n in zip(days, per_day):
            if n == 0:
                continue
            split = largest_remainder(np.full(len(pts), n / len(pts)), int(n))
            for p, q in zip(pts, split):
                if q > 0:
                    src_node.append(snapped.node[p])
                    src_people.append(int(q))
                    src_release.append(float(day) * 86400.0 + float(snapped.time_s[p]))
    open_sites = [int(j) for j in np.flatnonzero(dest_people)]
    site_nodes = snap(net, dest_xy[open_sites]).node if open_sites else np.empty(0, dtype=np.int64)
    inst = EvacuationInstance(
        node_ids=NodeNumbers(len(net.node_xy)),
        arc_from=net.link_from,
        arc_to=net.link_to,
        arc_travel_time_s=net.link_time_s,
        arc_capacity_per_h=net.link_capacity_per_h,
        source_node=np.array(src_node, dtype=np.int64),
        source_people=np.array(src_people, dtype=np.int64),
        source_release_s=np.array(src_release),
        source_spread_s=np.full(len(src_node), spread_s),
        sink_node=site_nodes,
        sink_capacity=np.asarray(dest_people, dtype=float)[open_sites],
    )
    return inst, [dest_ids[j] for j in open_sites]


def move(
    sc: Scenario,
    net: Network,
    samples_xy: np.ndarray,
    samples_zone: np.ndarray,
    days: np.ndarray,
    by_day: np.ndarray,
    moving_by_zone: np.ndarray,
    dest_xy: np.ndarray,
    dest_people: np.ndarray,
    dest_ids: list[str],
) -> Movement:
    inst, sinks = evacuation_instance(
        sc, net, samples_xy, samples_zone, days, by_day, moving_by_zone, dest_xy, dest_people, dest_ids
    )
    spec = sc.evacuation
    try:
        res = solve_evacuation(inst, time_step_s=spec.time_step_s, routing=spec.routing, method=spec.method)
    except InputError as e:  # the solver names its arguments; the user wrote scenario.yaml
        raise InputError(
            [
                Problem(file=str(sc.folder / "scenario.yaml"), field=f"evacuation.{p.field}", message=p.message)
                if p.file == "<arguments>"
                else p
                for p in e.problems
            ]
        ) from None
    return Movement(instance=inst, result=res, sink_ids=sinks)


def movement_summary(
    m: Movement, sc: Scenario, net: Network, crs: CRS, *, max_bottlenecks: int = 25
) -> EvacuationTiming:
    """The plan.json `evacuation` block: clearance, arrivals per site over time, worst bottlenecks."""
    r, inst = m.result, m.instance
    dt = r.time_step_s
    site_ids = m.sink_ids
    arr = np.asarray(r.sink_arrivals).reshape(len(site_ids), -1)
    k_nz, t_nz = np.nonzero(arr)  # by site, then time
    arrivals = [
        EvacuationArrival(site=site_ids[k], t_s=(t + 1) * dt, people=int(q))
        for k, t, q in zip(k_nz.tolist(), t_nz.tolist(), arr[k_nz, t_nz].tolist())
    ]
    worst = sorted(r.bottlenecks, key=lambda b: -b.max_delay_s)[:max_bottlenecks]
    a_xy, b_xy = net.node_xy[inst.arc_from], net.node_xy[inst.arc_to]
    links = np.array([shapely.LineString([a_xy[b.arc], b_xy[b.arc]]) for b in worst], dtype=object)
    lines = to_lon_lat(links, crs) if len(worst) else links  # one projection for all of them
    bottlenecks = []
    for b, line in zip(worst, lines):
        bottlenecks.append(
            EvacuationBottleneck(
                link=int(b.arc),
                capacity_per_h=float(inst.arc_capacity_per_h[b.arc]),
                saturated_from_h=b.saturated_from_s / 3600.0,
                saturated_until_h=b.saturated_until_s / 3600.0,
                max_queue_people=round(float(b.max_queue_people)),
                max_delay_h=b.max_delay_s / 3600.0,
                coordinates=shapely.get_coordinates(line).tolist(),
            )
        )
    return EvacuationTiming(
        status=r.status,
        method=r.method,
        routing=r.routing,
        time_step_s=dt,
        departure=sc.evacuation.departure,
        spread_h=sc.evacuation.spread_h,
        clearance_hours=None if r.clearance_s is None else r.clearance_s / 3600.0,
        people_moving=r.total_people,
        arrived=r.arrived,
        not_arrived=r.not_arrived,
        objective_person_s=r.objective_person_s,
        best_bound_person_s=r.best_bound_person_s,
        gap=r.gap,
        condensed=CondensedNetwork(nodes=r.condensed_nodes, links=r.condensed_arcs),
        arrivals=arrivals,
        bottlenecks=bottlenecks,
        explanations=list(r.explanations),
    )


def move_everyone(
    sc: Scenario,
    d: Displacement,
    parts: OrderParts | None,
    cap: SiteCapacity,
    times: ZoneSiteTimes,
    alloc: AllocationResult,
    ov: Overflow,
    step: Callable[[str], None],
) -> tuple[EvacuationTiming | None, DaysMovement | None]:
    """(evacuation timing, movement over days): the move over the roads of everyone who moves, over days under
    orders (``parts``), else in one go when the scenario has roads, an evacuation block and no arrivals series."""
    site_people = alloc.by_site
    # everyone who moves: to a camp place, or as overflow to a site's land or a zone's land
    land = np.flatnonzero(ov.by_zone_land)
    dest_ids = [s.id for s in sc.sites] + [f"overflow:{sc.zones[k].id}" for k in land]
    dest_people = np.concatenate([site_people + ov.by_site, ov.by_zone_land[land]])
    moving = alloc.by_zone + ov.to_site.sum(axis=1) + ov.zone_land_by_zone
    evacuation = days = None
    if parts is not None:
        if times.graph is not None:
            step("movement over days")
            days = move_over_days(sc, times.graph, parts, cap, alloc, ov)
    elif sc.evacuation.enabled and times.graph is not None and moving.sum() > 0 and sc.arrivals is None:
        step("evacuation timing")
        graph = times.graph
        assert times.samples_xy is not None and times.samples_zone is not None  # sampled whenever roads are used
        if sc.road_capacity_factor != 1.0:  # a copy: the cached network stays as built
            graph = replace(graph, link_capacity_per_h=graph.link_capacity_per_h * sc.road_capacity_factor)
        moved = move(
            sc,
            graph,
            times.samples_xy,
            times.samples_zone,
            d.days,
            d.displaced_by_day,
            moving,
            np.vstack([cap.point_xy, ov.zone_land_xy[land]]),
            dest_people,
            dest_ids,
        )
        evacuation = movement_summary(moved, sc, graph, sc.crs)
    return evacuation, days
