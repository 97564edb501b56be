"""Daily deliveries for the plan: crossings -> sites over the horizon, as a supply instance, and its verdict."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..plan_supply import EntryClosure
from ..solvers.network import build_network, straight_line_matrix, travel_time_matrix
from .presence import Presence
from .supply_areas import SupplyAreas, supply_areas
from .seasons import season_needs
from ..scenario.folder import Scenario
from ..solvers.supply import (
    Arc,
    Commodity,
    CommoditySpec,
    EntryPoint,
    Production,
    Site,
    SupplyInstance,
    Warehouse,
    load_commodities,
    solve_supply,
)
from ..solvers.supply.operate import operate_supply
from ..solvers.supply.operate_arrays import Reference
from ..solvers.chain import with_chain
from . import delivery_chain, fuel_plan
from ..solvers.sustain import Disruption, apply_disruptions, sustain
from .supply_report import Deliveries as Deliveries, group_figures as group_figures, supply_summary as supply_summary

#: loading, unloading and checkpoint time added to each truck round trip (planning assumption)
HANDLING_H = 2.0
#: off-road legs of trucks (snap to the road network) at 20 km/h
TRUCK_LEG_SPEED_M_S = 20 / 3.6

#: truck driving times kept between plans (ensemble members): key -> (the roads and the closures they were computed
#: on, held so that their ids, part of the key, are not reused; hours [from point, to point])
DriveCache = dict[str, tuple[object, object, np.ndarray]]
#: the supply LP's HiGHS model kept between plans of one LP structure, for a warm start (`solve_supply`'s ``warm``)
SupplyWarmStart = dict[str, tuple[object, ...]]


@dataclass(frozen=True)
class Operate:
    """Supply operated day by day without foresight (`operate_supply`): ``reference`` is the plan whose cargo mix
    the crossings load into trucks their day's lack leaves (the declared scenario's; None: none), or what makes it
    when first needed."""

    reference: Reference = None


def entry_closures(sc: Scenario) -> dict[str, EntryClosure]:
    """Entry points that close: declared (``closes_day``), or inside an operation footprint from the day its part
    is emptied, unless declared to stay open (``stays_open``)."""
    out: dict[str, EntryClosure] = {}
    for e in sc.entry_points:
        day, reasons = None, []
        if e.closes_day is not None:
            day = e.closes_day
            reasons.append(f"declared closed from day {e.closes_day} (entry point layer, closes_day)")
        if not e.stays_open:
            starts = [f.start_day for f in sc.footprints if f.geometry_m.covers(e.geometry_m)]
            if starts:
                fp_day = int(math.floor(min(starts)))
                reasons.append(f"inside the operation area, emptied from day {fp_day} (declare stays_open to keep it)")
                day = fp_day if day is None else min(day, fp_day)
        if day is not None and day < sc.horizon_days:
            out[e.id] = EntryClosure(closes_day=int(day), reason="; ".join(reasons))
    return out


def entry_capacity_by_day(sc: Scenario, closures: dict[str, EntryClosure] | None = None) -> dict[str, np.ndarray]:
    """Trucks per day each crossing admits in this plan: the preset or package series, closed from the day it closes,
    with the scenario's disruptions applied."""
    trucks = {k: v.copy() for k, v in entry_trucks_by_day(sc).items()}
    for eid, c in (entry_closures(sc) if closures is None else closures).items():
        trucks[eid][c.closes_day :] = 0.0
    for d in sc.supply.disruptions:  # unknown crossings are refused where the supply instance is built
        if d.entry_point in trucks:
            trucks[d.entry_point][d.first_day : d.last_day + 1] *= d.capacity_factor
    for e in sc.entry_points:
        trucks[e.id][: e.opening_day] = 0.0
    return trucks


def _one_way_h(sc: Scenario, from_xy: np.ndarray, to_xy: np.ndarray, cache: DriveCache | None = None) -> np.ndarray:
    """Driving time (h) between points: on the roads when the scenario has them.

    cache: results kept by roads, closures and points (ensemble members share them)."""
    if len(from_xy) == 0 or len(to_xy) == 0:
        return np.zeros((len(from_xy), len(to_xy)))
    key = ""
    if cache is not None:
        # the roads and closures objects are kept in the entry, so their ids cannot be reused meanwhile
        key = (
            repr((id(sc.roads), id(sc.closures), sc.crs.to_string()))
            + np.ascontiguousarray(np.r_[from_xy.ravel(), np.nan, to_xy.ravel()], dtype=float).tobytes().hex()
        )
        if key in cache:
            return cache[key][2]
    hours = _drive_h(sc, from_xy, to_xy)
    if cache is not None:
        cache[key] = (sc.roads, sc.closures, hours)
    return hours


def _drive_h(sc: Scenario, from_xy: np.ndarray, to_xy: np.ndarray) -> np.ndarray:
    """`_one_way_h` without the cache."""
    if sc.roads is not None:
        net = build_network(sc.roads, mode="drive", crs=sc.crs, closures=sc.closures)
        tt = travel_time_matrix(net, from_xy, to_xy, max_snap_m=None, leg_speed_m_s=TRUCK_LEG_SPEED_M_S)
    else:
        tt = straight_line_matrix(from_xy, to_xy, speed_m_s=TRUCK_LEG_SPEED_M_S)
    return tt.time_s / 3600.0


def _arcs(sources: list[str], targets: list[str], one_way_h: np.ndarray) -> list[Arc]:
    """A truck corridor for every reachable pair; goods leaving on day t arrive on t + whole days driven."""
    return [
        Arc(
            source=a,
            target=b,
            travel_days=int(one_way_h[i, j] // 24),
            round_trip_h=2 * float(one_way_h[i, j]) + HANDLING_H,
        )
        for i, a in enumerate(sources)
        for j, b in enumerate(targets)
        if np.isfinite(one_way_h[i, j])
    ]


def entry_trucks_by_day(sc: Scenario) -> dict[str, np.ndarray]:
    """Trucks per day each crossing admits: an assistance package's (or ensemble member's) series, else the
    scenario's preset: the observed series, the design capacity (where known) or the declared trucks/day."""
    days = sc.horizon_days
    if sc.entry_trucks_by_day is not None:
        return {k: np.asarray(v, dtype=float) for k, v in sc.entry_trucks_by_day.items()}
    out = {}
    for e in sc.entry_points:
        if sc.supply.entry_capacity == "observed" and sc.observed_trucks is not None:
            out[e.id] = np.asarray(sc.observed_trucks.get(e.id, np.zeros(days)), dtype=float)
        elif sc.supply.entry_capacity == "design" and e.design_trucks_per_day:
            out[e.id] = np.full(days, float(e.design_trucks_per_day))
        else:
            out[e.id] = np.full(days, float(e.trucks_per_day))
    return out


#: the virtual warehouse holding a package's tents (already inside the area)
PACKAGE_STOCK = "package-stock"
#: the virtual source of a package's water (produced or trucked inside the area)
PACKAGE_WATER = "package-water"


def _tent_stock(sc: Scenario, specs: list[CommoditySpec], days: int) -> np.ndarray:
    """Tonnes of shelter sets (tent + household kits) a package makes available on each day."""
    shelter = next((s for s in specs if s.commodity.id == "shelter_nfi"), None)
    out = np.zeros(days)
    if shelter is None:
        return out
    for day, tents, per_tent in sc.tent_stock:  # the shelter need of the people the tents hold
        out[day] += tents * per_tent * shelter.t_per_person
    return out


#: the groups a kind of location can hold (listed even when empty, so plans that differ only in numbers keep one
#: supply LP structure and ensemble members re-solve warm)
GROUPS_AT = {
    "zone": ("staying", "sheltered", "overflow"),
    "site": ("sheltered", "overflow", "site_residents"),
    "zone_land": ("overflow",),
    "served": ("served_elsewhere",),
}


@dataclass(frozen=True)
class SupplyDemand:
    """What the supply plan feeds, computed once a plan: the fed presence (one location per supply area over
    supply.max_locations, else the plan's own), its areas, the commodity specs, the locations with a need and each
    one's need by group (t/day, seasons applied), and local water production (nodes, production, arcs, t/day)."""

    presence: Presence
    areas: SupplyAreas | None
    specs: list[CommoditySpec]
    used: list[int]
    need: dict[int, dict[str, dict[str, list[float]]]]
    water: tuple[list[Warehouse], list[Production], list[Arc], np.ndarray, list[str]]


def supply_demand(sc: Scenario, pres: Presence, kcal_per_person_day: float) -> SupplyDemand:
    """The supply plan's demand (see `SupplyDemand`); the verdict's truckload count and the supply stage share it
    (grouping 100,000 zones into areas takes seconds)."""
    specs = load_commodities(sc.standards, kcal_per_person_day=kcal_per_person_day, cargo=sc.cargo)
    areas = supply_areas(pres, np.isin(pres.kinds, list(GROUPS_AT)), sc.supply.max_locations)
    fed = pres if areas is None else areas.presence  # national scale: the LP feeds supply areas, not every zone
    used, need = node_demand(fed, specs)
    season_needs(sc, fed, specs, need)  # wear and seasons, when declared
    return SupplyDemand(fed, areas, specs, used, need, water_production(sc, fed, used))


def node_demand(
    pres: Presence, specs: list[CommoditySpec]
) -> tuple[list[int], dict[int, dict[str, dict[str, list[float]]]]]:
    """Every location, and each one's need by group: daily commodities for the aid-dependent people present, items
    owed until delivered (shelter) for the aid-dependent people arriving."""
    used = [l for l, kind in enumerate(pres.kinds) if kind in GROUPS_AT]  # not 'abroad': not arrived, no need here
    # t per location, group and day of each commodity at once, read out as Python lists (the products one by one
    # were most of it)
    dep, arr = pres.dependent[used], pres.arrivals[used]
    by_spec = [((arr if s.commodity.carry_over else dep) * s.t_per_person).tolist() for s in specs]
    ids = [s.commodity.id for s in specs]
    gi = {name: pres.group(name) for names in GROUPS_AT.values() for name in names if name in pres.groups}
    out: dict[int, dict[str, dict[str, list[float]]]] = {}
    for i, l in enumerate(used):
        out[l] = {name: {cid: t[i][gi[name]] for cid, t in zip(ids, by_spec)} for name in GROUPS_AT[pres.kinds[l]]}
    return used, out


def water_production(
    sc: Scenario, pres: Presence, used: list[int]
) -> tuple[list[Warehouse], list[Production], list[Arc], np.ndarray, list[str]]:
    """Local water as supply nodes: each declared source (m3/day from its first to its last day) reaches the
    locations within its reach; a package's water and the per-1,000-people figure reach everyone. Pipelines and
    networks: no truckloads. Returns the nodes, their production, arcs, the water available per day (t) and notes."""
    days = sc.horizon_days
    nodes, prod, arcs, notes = [], [], [], []
    total = np.zeros(days)
    xy = pres.xy[used]
    ids = [pres.location_ids[l] for l in used]
    for w in sc.water_sources:
        rate = np.zeros(days)
        rate[w.from_day : (days if w.until_day is None else min(days, w.until_day + 1))] = w.m3_per_day
        dist_km = np.hypot(xy[:, 0] - w.geometry_m.x, xy[:, 1] - w.geometry_m.y) / 1000.0
        reach = np.flatnonzero(dist_km <= w.reach_km)
        node = f"water:{w.id}"
        if reach.size == 0:
            notes.append(f"water source {w.id}: nobody in the plan lives within {w.reach_km:g} km; not used")
            continue
        nodes.append(Warehouse(id=node, capacity_t=0.0))
        prod.append(Production(node=node, commodity="water", t_per_day=list(rate)))
        arcs += [Arc(source=node, target=ids[j], trucked=False, commodities=("water",)) for j in reach]
        total += rate
    people = pres.people.sum(axis=1)[used].astype(float)  # [nodes, days]
    if sc.supply.local_water_m3_per_day > 0:  # per 1,000 people present, at each location
        for j, nid in enumerate(ids):
            rate = people[j] / 1000.0 * sc.supply.local_water_m3_per_day
            if rate.any():
                nodes.append(Warehouse(id=f"water:{nid}", capacity_t=0.0))
                prod.append(Production(node=f"water:{nid}", commodity="water", t_per_day=list(rate)))
                arcs.append(Arc(source=f"water:{nid}", target=nid, trucked=False, commodities=("water",)))
                total += rate
    if sc.water_m3_by_day is not None and np.any(sc.water_m3_by_day):
        rate = np.asarray(sc.water_m3_by_day, dtype=float)
        nodes.append(Warehouse(id=PACKAGE_WATER, capacity_t=0.0))
        prod.append(Production(node=PACKAGE_WATER, commodity="water", t_per_day=list(rate)))
        arcs += [Arc(source=PACKAGE_WATER, target=nid, trucked=False, commodities=("water",)) for nid in ids]
        total += rate
    return nodes, prod, arcs, total, notes


def _entries(sc: Scenario, closures: dict[str, EntryClosure], payload: float) -> list[EntryPoint]:
    """The scenario's entry points with their daily capacity in t (preset, then closures)."""
    trucks = {k: v.copy() for k, v in entry_trucks_by_day(sc).items()}
    for eid, c in closures.items():
        trucks[eid][c.closes_day :] = 0.0
    return [
        EntryPoint(
            id=e.id,
            payload_t=e.payload_t or payload,
            capacity_t_by_day=list(trucks[e.id] * (e.payload_t or payload)),
            opening_day=e.opening_day,
            inspection_delay_days=e.inspection_delay_days,
        )
        for e in sc.entry_points
    ]


def _sites(
    sc: Scenario,
    pres: Presence,
    used: list[int],
    ids: list[str],
    need: dict[int, dict[str, dict[str, list[float]]]],
    specs: list[CommoditySpec],
    areas: SupplyAreas | None,
) -> list[Site]:
    """Every location with people as a site: its need by group, people by group, storage in days of peak need."""
    sites = []
    daily_ids = [s.commodity.id for s in specs if not s.commodity.carry_over]
    people = pres.people[used].astype(float)  # [L, G, T] whole people: exact as floats (and their sums)
    people_l = people.sum(axis=1).tolist()
    for i, (l, nid) in enumerate(zip(used, ids)):
        groups = need[l]
        daily = [v[c] for v in groups.values() for c in daily_ids]
        peak = float(np.max(np.sum(daily, axis=0))) if daily else 0.0
        if areas is not None:
            peak *= float(areas.storage_scale[l])
        sites.append(
            Site(
                id=nid,
                demand_t={},
                storage_t=sc.supply.site_storage_days * peak,
                groups=groups,
                group_people={g: people[i, pres.group(g)].tolist() for g in groups},
                people=people_l[i],
            )
        )
    return sites


def _person_day_weights(specs: list[CommoditySpec]) -> list[Commodity]:
    """The commodities with their deprivation weight per tonne in person-days (the smallest 1)."""
    # Deprivation in person-days: a tonne of food short leaves ~1,800 person-days unfed, a tonne of water
    # ~67 person-days without water; per-tonne weights would hand all scarce capacity to the heaviest need.
    per_person = {s.commodity.id: s.commodity.priority / s.t_per_person for s in specs if s.t_per_person > 0}
    scale = min(per_person.values(), default=1.0)
    return [replace(s.commodity, priority=per_person.get(s.commodity.id, s.commodity.priority) / scale) for s in specs]


def _add_fuel(
    sc: Scenario,
    ids: list[str],
    entry_ids: list[str],
    commodities: list[Commodity],
    warehouses: list[Warehouse],
    sites: list[Site],
    production: list[Production],
    arcs: list[Arc],
) -> tuple[list[Commodity], list[Warehouse], list[Site], list[Production], list[Arc], fuel_plan.FuelFigures]:
    """The instance's parts with fuel in them (`fuel_plan.add_fuel`), water plants named by their source."""
    water_nodes = {w.id: [f"water:{w.id}"] for w in sc.water_sources}
    water_nodes[fuel_plan.LOCAL] = [f"water:{nid}" for nid in ids]
    water_nodes[fuel_plan.PACKAGE] = [PACKAGE_WATER]
    trips = [a.round_trip_h for a in arcs if a.source in entry_ids and a.round_trip_h]
    return fuel_plan.add_fuel(
        sc,
        commodities,
        warehouses,
        sites,
        production,
        arcs,
        entry_ids,
        float(np.mean(trips)) if trips else HANDLING_H,
        water_nodes,
        sc.supply.site_storage_days,
    )


def _disrupted(sc: Scenario, inst: SupplyInstance) -> SupplyInstance:
    """The instance with the scenario's declared disruptions applied to the entry capacity."""
    disruptions = [
        Disruption(
            entry_point=d.entry_point,
            days=tuple(range(d.first_day, min(d.last_day, inst.days - 1) + 1)),
            capacity_factor=d.capacity_factor,
            reason=d.reason,
        )
        for d in sc.supply.disruptions
    ]
    return apply_disruptions(inst, disruptions, file=str(sc.folder / "scenario.yaml")) if disruptions else inst


def supply_instance(
    sc: Scenario,
    pres: Presence,
    kcal_per_person_day: float,
    drive_cache: DriveCache | None = None,
    demand: SupplyDemand | None = None,
) -> tuple[SupplyInstance, np.ndarray, list[CommoditySpec], dict[str, EntryClosure], np.ndarray]:
    """Entry points (capacity as the plan uses it: preset, closures, disruptions) -> every location with people
    (zones, sites, overflow land, served populations), directly or through warehouses; local water; each location's
    need by group. Returns the instance, driving hours [entry, node], the commodity specs, closures, local water."""
    days = sc.horizon_days
    dem = demand if demand is not None else supply_demand(sc, pres, kcal_per_person_day)
    pres, areas, specs, used, need = dem.presence, dem.areas, dem.specs, dem.used, dem.need
    ids = [pres.location_ids[l] for l in used]
    assert len(set(ids)) == len(ids), "location ids are not unique"
    node_xy = pres.xy[used].reshape(len(used), 2)
    payload = sc.standards.value("truck_payload_t")
    closures = entry_closures(sc)
    entries = _entries(sc, closures, payload)
    entry_xy = np.array([[e.geometry_m.x, e.geometry_m.y] for e in sc.entry_points])
    wh_xy = np.array([[w.geometry_m.x, w.geometry_m.y] for w in sc.warehouses]).reshape(-1, 2)
    one_way = _one_way_h(sc, entry_xy, node_xy, drive_cache)
    entry_ids, wh_ids = [e.id for e in sc.entry_points], [w.id for w in sc.warehouses]
    # goods go straight to each location, or through a warehouse where they can be stocked ahead of a closure
    arcs = (
        _arcs(entry_ids, ids, one_way)
        + _arcs(entry_ids, wh_ids, _one_way_h(sc, entry_xy, wh_xy, drive_cache))
        + _arcs(wh_ids, ids, _one_way_h(sc, wh_xy, node_xy, drive_cache))
    )
    warehouses = [Warehouse(id=w.id, capacity_t=w.capacity_t) for w in sc.warehouses]
    w_nodes, production, w_arcs, local_water, _notes = dem.water
    production = list(production)  # the package stock is added below; the demand stays as computed
    warehouses += w_nodes
    arcs += w_arcs
    if sc.tent_stock:
        stock = _tent_stock(sc, specs, days)
        warehouses.append(Warehouse(id=PACKAGE_STOCK, capacity_t=None))
        production.append(Production(node=PACKAGE_STOCK, commodity="shelter_nfi", t_per_day=list(stock)))
        arcs += [
            Arc(source=PACKAGE_STOCK, target=nid, travel_days=0, round_trip_h=HANDLING_H, commodities=("shelter_nfi",))
            for nid in ids
        ]
    sites = _sites(sc, pres, used, ids, need, specs, areas)
    commodities = _person_day_weights(specs)
    if sc.supply.hubs is not None:  # hubs chosen by the siting engine (issue 20)
        from .hub_plan import add_hubs

        warehouses, arcs, hubs_info = add_hubs(sc, ids, node_xy, sites, warehouses, arcs, entry_ids, _arcs)
    fuel_info = None
    if sc.supply.fuel is not None:  # fuel as a commodity (issue 20): trucked or declared, used by plants and others
        commodities, warehouses, sites, production, arcs, fuel_info = _add_fuel(
            sc, ids, entry_ids, commodities, warehouses, sites, production, arcs
        )
    if delivery_chain.declared(sc):  # sea and air entries, stages after the entry points (issue 20)
        more, more_arcs = delivery_chain.mode_entries(
            sc, ids, node_xy, payload, lambda a, b: _one_way_h(sc, a, b, drive_cache), _arcs
        )
        entries, arcs = delivery_chain.land_costs(entries) + more, arcs + more_arcs
    inst = SupplyInstance(
        days=days,
        commodities=commodities,
        entry_points=entries,
        warehouses=warehouses,
        sites=sites,
        arcs=arcs,
        production=production,
        payload_t=payload,
        sharing=sc.sharing.policy,
        group_priority=tuple(g for g in sc.sharing.priority if any(g in x.groups for x in sites)),
    )
    if fuel_info is not None:
        inst.meta["fuel"] = fuel_info
    if sc.supply.hubs is not None:
        inst.meta["hubs"] = hubs_info
    if sc.supply.chain:
        inst = with_chain(inst, delivery_chain.entry_chains(sc, inst), file=str(sc.folder / "scenario.yaml"))
    inst = _disrupted(sc, inst)
    if areas is not None:
        inst.meta["areas"] = areas
    return inst, one_way, specs, closures, local_water


def truckloads_needed_by_day(
    sc: Scenario, pres: Presence, kcal_per_person_day: float, demand: SupplyDemand | None = None
) -> tuple[np.ndarray, str]:
    """Truckloads a day everyone's need takes at each commodity's payload (water net of local production; shelter
    items on the day people arrive), and how it was counted."""
    dem = demand if demand is not None else supply_demand(sc, pres, kcal_per_person_day)
    specs, need, local = dem.specs, dem.need, dem.water[3]
    loads = np.zeros(sc.horizon_days)
    for s in specs:
        # one array of every location's and group's need, summed over them in order: the sums one by one
        rows = [g[s.commodity.id] for groups in need.values() for g in groups.values()]
        t = np.sum(rows, axis=0) if rows else np.zeros(sc.horizon_days)
        if s.commodity.id == "water":
            t = np.maximum(t - local, 0.0)
        assert s.commodity.payload_t is not None  # load_commodities gives every commodity its payload
        loads += t / s.commodity.payload_t
    how = (
        "truckloads of "
        + ", ".join(f"{s.commodity.id} at {s.commodity.payload_t:g} t" for s in specs)
        + f" per truck for the {int(round(pres.dependent[:, :, -1].sum())):,} aid-dependent people in the plan"
        + (
            f", water net of {local.mean():,.0f} m3/day produced locally"
            if local.any()
            else ", all water trucked (no local production declared)"
        )
    )
    return loads, how


def deliver(
    sc: Scenario,
    pres: Presence,
    kcal_per_person_day: float,
    warm: SupplyWarmStart | None = None,
    drive_cache: DriveCache | None = None,
    demand: SupplyDemand | None = None,
    operate: Operate | None = None,
) -> Deliveries:
    """warm: kept between calls so plans with the same supply structure re-solve from the last basis;
    drive_cache: driving times kept between calls; operate: the supply operated day by day without foresight
    (`operate_supply`, ensemble members' ``--supply operate``) instead of the LP over the horizon."""
    inst, one_way, specs, closures, local_water = supply_instance(sc, pres, kcal_per_person_day, drive_cache, demand)
    keep: dict[str, Any] | None = {} if sc.supply.group_ranges and warm is None and operate is None else None
    if operate is not None:
        res = operate_supply(inst, operate.reference, deep_factor=sc.supply.deep_shortfall_factor)
    else:
        res = solve_supply(
            inst,
            time_limit_s=sc.supply.time_limit_s,
            file=str(sc.folder / "scenario.yaml"),
            trucks="auto" if sc.supply.minimise_trucks else "off",
            warm=warm,
            deep_factor=sc.supply.deep_shortfall_factor,
            keep=keep,
        )
    food = next((s for s in specs if s.commodity.id == "food"), None)
    kcal_kg = kcal_per_person_day / (food.t_per_person * 1000.0) if food is not None and food.t_per_person else 0.0
    optimal = res.status == "Optimal"
    chain = delivery_chain.chain_summary(sc, inst, res) if delivery_chain.declared(sc) else None
    fuel = fuel_plan.fuel_report(inst.meta["fuel"], inst, res) if "fuel" in inst.meta and optimal else None
    routes = None
    if sc.supply.routing is not None and optimal:
        from .last_mile import last_mile

        routes = last_mile(sc, pres, inst, res)
    return Deliveries(
        instance=inst,
        result=res,
        sustain=sustain(inst, res),
        one_way_h=one_way,
        specs=specs,
        food_kcal_per_kg=kcal_kg,
        closures=closures,
        local_water_t=local_water,
        chain=chain,
        fuel=fuel,
        hubs=inst.meta.get("hubs"),
        last_mile=routes,
        areas=inst.meta.get("areas"),
        face=keep,
    )
