"""Evacuation orders over days: who leaves which area when, on the response curve of each order (and without
one), how they move over the roads by the hour, where they arrive each day, and who is moved again.

Used when the scenario declares a ``movement`` block (see docs/movement.md); without it the plan keeps the
footprint model (everyone inside a footprint leaves on its start day) and the evacuation stage.

* `displace_on_orders`: each zone is cut into parts by the order that covers them first (orders by day; a part
  covered by several orders follows the earliest) and the part no order covers. Each part's people leave on
  ``1 - (1 - u U(t)) (1 - C_k(t - t_k))`` (`solvers.departures.origin_share_left`): the displaced people of the
  plan are those who have left by the horizon, by the day they leave.
* `move_over_days`: the hourly point-queue movement (`solvers.movement_days`) from those parts to the sites
  under the plan's assignment (the siting, its overflow land as fall-back places) and in arrival order, and
  the share of each destination's planned people arrived by each day, which the presence stage follows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal, cast

import numpy as np
import shapely

from .._rounding import largest_remainder
from ..geo import to_lon_lat
from ..plan import (
    MovementBottleneck,
    MovementMode,
    MovementResult,
    MovementRun,
    ObservedDepartures,
    OrderResult,
    RunComparison,
    SiteDayArrivals,
    TripFigures,
    UnorderedResult,
    departure_curve,
)
from ..scenario.folder import Scenario
from ..solvers import movement_days as md
from ..solvers.departures import final_share, share_left, unordered_shares
from ..solvers.layout import Geometry
from ..solvers.network import Network, snap
from .allocation import AllocationResult
from .capacity import SiteCapacity, site_capacity
from .displacement import Displacement, displace
from .overflow import Overflow


@dataclass
class OrderParts:
    """The origins of the movement: each zone's part covered first by an order (or by none)."""

    zone: np.ndarray  # int [part]: zone index
    order: np.ndarray  # int [part]: order index (-1: no order covers it)
    people: np.ndarray  # int [part]: everyone living there (who leaves follows the curves)
    xy: np.ndarray  # metric [part, 2]: a point inside the part
    unordered_share: np.ndarray  # float [part]: share leaving without an order
    vulnerable_share: np.ndarray  # float [part]
    left: np.ndarray  # int [part, day]: people who have left by the end of each day (cumulative)
    order_day: np.ndarray  # float [order]
    curves: list[md.Curve]  # departure curve per order (the default where none is declared)
    operation_day: np.ndarray  # float [order] (NaN: not declared)


def _order_geometry(sc: Scenario) -> list[Geometry]:
    """Union of each order's footprint features (metric)."""
    spec = sc.movement
    assert spec is not None
    return [shapely.union_all([f.geometry_m for f in sc.footprints if f.operation == o.footprint]) for o in spec.orders]


def _days_instance(
    sc: Scenario, parts_people: np.ndarray, order: np.ndarray, unordered: np.ndarray, **network: int | np.ndarray
) -> md.DaysInstance:
    spec = sc.movement
    assert spec is not None
    n = len(parts_people)
    base: dict[str, Any] = dict(
        n_nodes=1,
        arc_from=[],
        arc_to=[],
        arc_length_m=[],
        arc_capacity_per_h=[],
        origin_node=np.zeros(n, np.int64),
        site_node=[],
        site_capacity=[],
    )
    base.update(network)
    u = spec.unordered
    return md.DaysInstance(
        **base,
        origin_people=parts_people,
        origin_order=order,
        modes=spec.modes or md.default_modes(),
        horizon_days=sc.horizon_days,
        order_day=np.array([o.day for o in spec.orders], dtype=float),
        order_curves=[md.order_curve(o) for o in spec.orders],
        order_operation_day=np.array(
            [np.nan if o.operation_day is None else o.operation_day for o in spec.orders], dtype=float
        ),
        origin_unordered_share=unordered,
        unordered_curve=None if u is None else u.curve,
        unordered_start_day=None if u is None else u.start_day,
        departure_hours=spec.departure_hours,
        step_s=spec.step_s,
        max_walk_h=spec.max_walk_h,
    )


def displace_on_orders(sc: Scenario) -> tuple[Displacement, OrderParts]:
    """Who leaves, from where and on which day, under the scenario's orders (see the module docstring)."""
    spec = sc.movement
    assert spec is not None
    base = displace(sc.zones, sc.footprints, sc.crs)  # checks every footprint touches a zone
    zone_geoms = np.array([z.geometry_m for z in sc.zones], dtype=object)
    zone_area = shapely.area(zone_geoms)
    geoms = _order_geometry(sc)
    by_day = sorted(range(len(geoms)), key=lambda k: (spec.orders[k].day, k))
    covered = None
    share = np.zeros((len(sc.zones), len(geoms) + 1))  # last column: no order
    part_geom = np.empty((len(sc.zones), len(geoms) + 1), dtype=object)
    for k in by_day:
        new = geoms[k] if covered is None else shapely.difference(geoms[k], covered)
        covered = geoms[k] if covered is None else shapely.union(covered, geoms[k])
        part_geom[:, k] = shapely.intersection(zone_geoms, new)
        share[:, k] = shapely.area(part_geom[:, k]) / zone_area
    part_geom[:, -1] = zone_geoms if covered is None else shapely.difference(zone_geoms, covered)
    share[:, -1] = np.clip(1.0 - share[:, :-1].sum(axis=1), 0.0, 1.0)
    population = base.population
    people = np.zeros_like(share, dtype=np.int64)
    for i in np.flatnonzero(population):
        people[i] = largest_remainder(share[i] * population[i], int(population[i]))
    zi, ki = np.nonzero(people)
    order = np.where(ki == len(geoms), -1, ki)
    pts = shapely.point_on_surface(part_geom[zi, ki])
    xy = shapely.get_coordinates(pts).reshape(-1, 2)
    zone_ids = [z.id for z in sc.zones]
    unordered = np.zeros(len(zi))
    if spec.unordered is not None:
        dist = np.zeros(len(zi)) if covered is None else shapely.distance(pts, covered)
        unordered = unordered_shares(spec.unordered, [zone_ids[i] for i in zi], np.where(order >= 0, 0.0, dist))
    vulnerable = np.array(
        [
            sc.zones[i].vulnerable_share if sc.zones[i].vulnerable_share is not None else spec.vulnerable_share
            for i in zi
        ]
    )
    inst = _days_instance(sc, people[zi, ki], order, unordered)
    left = md.departure_schedule(inst)
    parts = OrderParts(
        zone=zi,
        order=order,
        people=people[zi, ki],
        xy=xy,
        unordered_share=unordered,
        vulnerable_share=vulnerable,
        left=left,
        order_day=inst.order_day,
        curves=inst.order_curves,
        operation_day=np.asarray(inst.order_operation_day),  # NaN-filled by DaysInstance when not declared
    )

    T = sc.horizon_days
    daily = np.diff(left, axis=1, prepend=0)
    displaced_by_day = np.zeros((len(sc.zones), T), np.int64)
    np.add.at(displaced_by_day, zi, daily)
    displaced = displaced_by_day.sum(axis=1)
    from_outside = np.zeros(len(sc.zones), bool)
    np.logical_or.at(from_outside, zi, (order < 0) & (left[:, -1] > 0))
    moving = left[:, -1] > 0
    part = []
    for zk, zg in enumerate(zone_geoms):
        mine = np.flatnonzero((zi == zk) & moving)
        part.append(zg if from_outside[zk] or not mine.size else shapely.union_all(part_geom[zk, ki[mine]]))
    part_a = np.array(part, dtype=object)
    origin = shapely.point_on_surface(part_a)
    d = Displacement(
        zone_ids=zone_ids,
        population=population,
        displaced=displaced,
        share=np.divide(displaced, population, out=np.zeros(len(population)), where=population > 0),
        days=np.arange(T, dtype=float),
        displaced_by_day=displaced_by_day,
        origin_xy=shapely.get_coordinates(origin).reshape(-1, 2),
        origin_lonlat=shapely.get_coordinates(to_lon_lat(origin, sc.crs)).reshape(-1, 2),
        displaced_part_m=part_a,
    )
    return d, parts


def inside_ordered_areas(parts: OrderParts) -> np.ndarray:
    """int [day]: people in the areas an order covers who have not left by the end of each day (those who will
    not leave included; people on the road and at sites are not inside)."""
    ordered = parts.order >= 0
    return (parts.people[ordered, None] - parts.left[ordered]).sum(axis=0).astype(np.int64)


@dataclass
class DaysMovement:
    """The movement over days under the plan and in arrival order, and what the presence stage follows."""

    result: MovementResult
    runs: dict[str, md.DaysResult]
    arrival_share: np.ndarray  # float [destination, day]: sites then zone land with overflow (presence order)


def _sites_over_orders(
    sc: Scenario, cap: SiteCapacity, geoms: list[Geometry]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The order that later covers each site (most of its area; -1: none), and its places and point until then.

    The plan's capacity excludes every footprint; a site that only a later order covers holds people until that
    order (then they are moved again), at its capacity under the earlier orders (area only: no layout fit)."""
    spec = sc.movement
    assert spec is not None
    site_geoms = np.array([s.geometry_m for s in sc.sites], dtype=object)
    area = shapely.area(site_geoms)
    site_order = np.full(len(sc.sites), -1, np.int64)
    capacity, xy = cap.capacity.copy(), cap.point_xy.copy()
    first = min((o.day for o in spec.orders), default=0.0)
    for k in sorted(range(len(geoms)), key=lambda k: (spec.orders[k].day, k)):
        if spec.orders[k].day <= first:
            continue
        inside = shapely.area(shapely.intersection(site_geoms, geoms[k])) > 0.5 * area
        new = inside & (site_order < 0)
        if not new.any():
            continue
        site_order[new] = k
        earlier = {o.footprint for o in spec.orders if o.day < spec.orders[k].day}
        before = site_capacity(sc.sites, [f for f in sc.footprints if f.operation in earlier], sc.standards)
        capacity[new] = before.capacity[new]
        xy[new] = before.point_xy[new]
    return site_order, capacity, xy


def _plan_matrix(parts: OrderParts, dest_by_zone: np.ndarray) -> np.ndarray:
    """[part, destination] planned people: each zone's planned people by destination handed to its parts in the
    order they leave (earliest order first), each part taking at most the people who leave it by the horizon."""
    out = np.zeros((len(parts.zone), dest_by_zone.shape[1]), np.int64)
    wave = np.where(parts.order >= 0, parts.order_day[np.maximum(parts.order, 0)], np.inf)
    for z in np.flatnonzero(dest_by_zone.sum(axis=1)):
        queue = [(int(j), int(n)) for j, n in enumerate(dest_by_zone[z]) if n > 0]
        for p in sorted(np.flatnonzero(parts.zone == z), key=lambda p: (wave[p], p)):
            room = int(parts.left[p, -1])
            while room > 0 and queue:
                j, n = queue[0]
                take = min(room, n)
                out[p, j] += take
                room -= take
                queue[0] = (j, n - take)
                if queue[0][1] == 0:
                    queue.pop(0)
    return out


def move_over_days(
    sc: Scenario, net: Network, parts: OrderParts, cap: SiteCapacity, alloc: AllocationResult, ov: Overflow
) -> DaysMovement:
    """Run the days under the plan (the siting and its overflow land) and, when asked, in arrival order."""
    spec = sc.movement
    assert spec is not None
    ns = len(sc.sites)
    geoms = _order_geometry(sc)
    site_order, capacity, site_xy = _sites_over_orders(sc, cap, geoms)
    land = np.flatnonzero(ov.by_zone_land)
    over_sites = np.flatnonzero(ov.by_site)
    # destinations: the sites, overflow on a site's land (at the site), overflow on zones' land
    dest_xy = np.vstack([site_xy, site_xy[over_sites], ov.zone_land_xy[land]]).reshape(-1, 2)
    n_dest = len(dest_xy)
    dest_by_zone = np.zeros((len(sc.zones), n_dest), np.int64)
    np.add.at(dest_by_zone, (alloc.zone, alloc.site), alloc.people)
    dest_by_zone[:, ns : ns + len(over_sites)] = ov.to_site[:, over_sites]
    dest_by_zone[:, ns + len(over_sites) :] = ov.to_zone_land[:, land].toarray()  # only the receiving zones
    o_snap, d_snap = snap(net, parts.xy), snap(net, dest_xy)
    overflow = np.r_[np.zeros(ns, bool), np.ones(n_dest - ns, bool)]
    inst = _days_instance(
        sc,
        parts.people,
        parts.order,
        parts.unordered_share,
        n_nodes=len(net.node_xy),
        arc_from=net.link_from,
        arc_to=net.link_to,
        arc_length_m=net.link_length_m,
        arc_capacity_per_h=net.link_capacity_per_h * sc.road_capacity_factor,
        origin_node=o_snap.node,
        site_node=d_snap.node,
        site_capacity=np.r_[capacity, np.zeros(n_dest - ns, np.int64)],
    )
    inst = replace(
        inst,
        origin_access_m=o_snap.distance_m,
        origin_vulnerable_share=parts.vulnerable_share,
        site_order=np.r_[site_order, np.full(n_dest - ns, -1, np.int64)],
        site_overflow=overflow,
        origin_ids=[
            f"{sc.zones[z].id}/{'none' if k < 0 else spec.orders[k].footprint}" for z, k in zip(parts.zone, parts.order)
        ],
        site_ids=[s.id for s in sc.sites]
        + [f"overflow-on:{sc.sites[j].id}" for j in over_sites]
        + [f"overflow:{sc.zones[k].id}" for k in land],
    )
    planned = _plan_matrix(parts, dest_by_zone)
    both = spec.assignment == "arrival" or spec.compare
    runs = md.simulate_runs(inst, ("plan", "arrival") if both else ("plan",), plan=planned)
    # the share of each presence destination's planned people arrived by each day (under the plan)
    arr = runs["plan"].arrivals_site_day
    got = np.vstack([arr[:ns], arr[ns + len(over_sites) :]]).astype(float)
    got[over_sites] += arr[ns : ns + len(over_sites)]
    want = np.r_[alloc.by_site + ov.by_site, ov.by_zone_land[land]].astype(float)[:, None]
    share = np.divide(np.cumsum(got, axis=1), want, out=np.ones_like(got), where=want > 0)
    result = movement_result(sc, parts, runs)
    return DaysMovement(result=result, runs=runs, arrival_share=np.clip(share, 0.0, 1.0))


# ---------------------------------------------------------------------------------------------- results


def _run(r: md.DaysResult) -> MovementRun:
    s = r.summary()
    k_nz, t_nz = np.nonzero(r.arrivals_site_day)
    return MovementRun(
        assignment=cast(Literal["plan", "arrival"], r.assignment),
        at_origin=s["at_origin"],
        on_road=s["on_road"],
        at_sites=s["at_sites"],
        without_place=s["without_place"],
        turned_away=r.turned_away,
        redisplaced=r.redisplaced,
        cannot_leave=r.cannot_leave,
        walking_over_h=int(r.walking_over_h.sum()),
        vulnerable_walking_over_h=s["walking_over_h"]["vulnerable"],
        walking_over_h_by_mode=s["walking_over_h"]["by_mode"],
        trips={m: TripFigures(**v) for m, v in s["trips"].items()},
        at_origin_by_day=r.at_origin_day.tolist(),
        on_road_by_day=r.on_road_day.tolist(),
        at_sites_by_day=r.at_sites_day.tolist(),
        without_place_by_day=r.without_place_day.tolist(),
        departures_by_mode_day={m: r.departures_mode_day[i].tolist() for i, m in enumerate(r.mode_names)},
        arrivals_by_mode_day={m: r.arrivals_mode_day[i].tolist() for i, m in enumerate(r.mode_names)},
        arrivals=[  # thousands of rows of a str and two ints: built without validating each (0.05 s a member)
            SiteDayArrivals.model_construct(site=r.site_ids[k], day=t, people=n)
            for k, t, n in zip(k_nz.tolist(), t_nz.tolist(), r.arrivals_site_day[k_nz, t_nz].tolist())
        ],
        bottlenecks=[MovementBottleneck.model_validate(b) for b in r.bottlenecks],
        notes=list(r.notes),
    )


def _inside_at(parts: OrderParts, k: int, day: float | None) -> int | None:
    """People of order k's area who have not left when day ``day`` starts (no movement simulated)."""
    if day is None:
        return None
    mine = parts.order == k
    d = int(day)
    return int(parts.people[mine].sum() - (parts.left[mine, d - 1].sum() if d >= 1 else 0))


def movement_result(sc: Scenario, parts: OrderParts, runs: dict[str, md.DaysResult] | None) -> MovementResult:
    """The plan.json `movement` block: orders, unordered leavers, and each run (per mode, per site and day)."""
    spec = sc.movement
    assert spec is not None
    T = sc.horizon_days
    shown = None if not runs else runs.get(spec.assignment) or runs["plan"]
    orders = []
    for k, o in enumerate(spec.orders):
        mine = parts.order == k
        left = parts.left[mine].sum(axis=0) if mine.any() else np.zeros(T, np.int64)
        obs = sc.movement_observed.get(k)
        curve = parts.curves[k]
        t = np.arange(1, T + 1) - o.day
        orders.append(
            OrderResult(
                id=f"order-{k}",
                footprint=o.footprint,
                day=o.day,
                operation_day=o.operation_day,
                curve=departure_curve(curve.model_dump()),
                curve_default=o.curve is None,
                final_share=final_share(curve),
                people=int(parts.people[mine].sum()),
                left_by_day=left.tolist(),
                curve_share_by_day=[round(float(x), 6) for x in share_left(curve, t)],
                inside_at_operation=_inside_at(parts, k, o.operation_day)
                if shown is None
                else None
                if shown.inside_at_operation[k] < 0
                else int(shown.inside_at_operation[k]),
                redisplaced=0 if shown is None else int(shown.redisplaced_by_order[k, -1]),
                observed=None
                if obs is None or o.observed is None
                else ObservedDepartures(label=o.observed.label, source=o.observed.source, days=obs[0], share=obs[1]),
            )
        )
    none = parts.order < 0
    u = spec.unordered
    unordered = UnorderedResult(
        people=int(parts.people[none].sum()),
        left_by_day=parts.left[none].sum(axis=0).tolist() if none.any() else [0] * T,
        share=0.0 if u is None else u.share,
        source="" if u is None else u.source,
        left_before_order=int(
            sum(
                int(parts.left[parts.order == k][:, max(int(o.day) - 1, 0)].sum()) if o.day >= 1 else 0
                for k, o in enumerate(spec.orders)
            )
        ),
    )
    modes = spec.modes or md.default_modes()
    return MovementResult(
        assignment=spec.assignment if runs and spec.assignment in runs else "plan",
        step_s=spec.step_s,
        max_walk_h=spec.max_walk_h,
        departure_hours=list(spec.departure_hours),
        orders=orders,
        unordered=unordered,
        modes=[MovementMode.model_validate(m.model_dump()) for m in modes],
        runs={} if not runs else {name: _run(r) for name, r in runs.items()},
        comparison=RunComparison.model_validate(md.compare(runs["arrival"], runs["plan"]))
        if runs and "arrival" in runs
        else None,
        network={} if not runs else dict(next(iter(runs.values())).network),
    )


def movement_assumptions(sc: Scenario, m: MovementResult) -> list[str]:
    """What the move over days rests on and what it leaves out, in words, next to the figures it affects."""
    out = []
    for o in m.orders:
        c = o.curve
        src = c.source or "ASSUMPTION: no source declared"
        out.append(
            f"Order on '{o.footprint}' (day {o.day:g}): people leave on a {c.kind} departure curve "
            f"(final share {o.final_share:.0%}{'; the shipped default' if o.curve_default else ''}; {src}); "
            "the rest stay in the area (counted as staying, inside the operation area)."
        )
    u = sc.movement.unordered if sc.movement is not None else None
    if u is not None:
        out.append(
            f"People no order covers leave at the declared share ({u.share:g}"
            + (f", halved every {u.decay.half_distance_km:g} km from the ordered areas" if u.decay else "")
            + f"; {u.source or 'ASSUMPTION: no source declared'}), with the timing of "
            + ("their own curve" if u.curve is not None else "the first order's curve")
            + "."
        )
    modes = ", ".join(f"{d.name} {d.share:.0%} at {d.speed_m_s:g} m/s" for d in m.modes)
    out.append(
        f"Movement over days: a point-queue simulation on the walking network, {m.step_s:g}-s steps, departures "
        f"evenly between {m.departure_hours[0]:g}:00 and {m.departure_hours[1]:g}:00; modes {modes} (sources in "
        "data/departures/modes.yaml or the scenario). Needs and supply follow the planned assignment (the siting) "
        "timed by this movement: people are at their zone until they arrive. "
        + (
            "The verdict reports the arrival-order run (sites fill as people arrive); the planned run is beside it."
            if m.assignment == "arrival"
            else "The verdict reports the planned run."
        )
        + " Not modelled: speed falling with density, word of mouth and family choices, leaving the territory, "
        "people returning; the vulnerable among long walkers are each origin's share (ASSUMPTION)."
    )
    if not m.runs:
        out.append("Movement over days not simulated: no road network; people arrive the day they leave.")
    return out
