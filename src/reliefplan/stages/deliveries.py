"""Daily deliveries for the plan: crossings -> sites over the horizon, as a supply instance, and its verdict."""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..solvers.network import build_network, straight_line_matrix, travel_time_matrix
from .presence import Presence
from .supply_areas import SupplyAreas, supply_areas
from .seasons import season_needs
from ..plan import SupplyPlan
from ..scenario.folder import Scenario
from ..solvers.supply import (
    Arc,
    CommoditySpec,
    EntryPoint,
    Production,
    Site,
    SupplyInstance,
    SupplyResult,
    Warehouse,
    fleet_by_origin,
    load_commodities,
    result_to_dict,
    site_figures_t,
    solve_supply,
)
from ..solvers.chain import with_chain
from . import delivery_chain, fuel_plan
from ..solvers.sustain import Disruption, SustainResult, apply_disruptions, sustain, sustain_to_dict

#: loading, unloading and checkpoint time added to each truck round trip (planning assumption)
HANDLING_H = 2.0
#: off-road legs of trucks (snap to the road network) at 20 km/h
TRUCK_LEG_SPEED_M_S = 20 / 3.6


@dataclass
class Deliveries:
    instance: SupplyInstance
    result: SupplyResult
    sustain: SustainResult
    one_way_h: np.ndarray  # [entry, node]
    specs: list[CommoditySpec]  # per commodity (t per person, payloads)
    food_kcal_per_kg: float
    closures: dict[str, dict[str, Any]]  # entry id -> {"closes_day", "reason"}
    local_water_t: np.ndarray  # [days] local water production available (wells, plants, packages)
    chain: dict[str, Any] | None = None  # the declared delivery chain's figures (delivery_chain.py), else None
    areas: SupplyAreas | None = None  # locations grouped into supply areas (supply_areas.py), else None

    def rows(self, pres: Presence) -> np.ndarray:
        """Row of each presence location in the supply plan's sites (its area's when grouped); -1: not fed."""
        index = {sid: i for i, sid in enumerate(self.sustain.site_ids)}
        if self.areas is not None:
            at = np.array([index.get(a, -1) for a in self.areas.presence.location_ids] + [-1], dtype=np.int64)
            return at[self.areas.area_of]  # area_of -1 picks the trailing -1
        return np.array([index.get(lid, -1) for lid in pres.location_ids], dtype=np.int64)


def entry_closures(sc: Scenario) -> dict[str, dict[str, Any]]:
    """Entry points that close: declared (``closes_day``), or inside an operation footprint from the day its part
    is emptied, unless declared to stay open (``stays_open``)."""
    out: dict[str, dict[str, Any]] = {}
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
            out[e.id] = {"closes_day": int(day), "reason": "; ".join(reasons)}
    return out


def entry_capacity_by_day(sc: Scenario, closures: dict[str, dict[str, Any]] | None = None) -> dict[str, np.ndarray]:
    """Trucks per day each crossing admits in this plan: the preset or package series, closed from the day it closes,
    with the scenario's disruptions applied."""
    trucks = {k: v.copy() for k, v in entry_trucks_by_day(sc).items()}
    for eid, c in (entry_closures(sc) if closures is None else closures).items():
        trucks[eid][c["closes_day"] :] = 0.0
    for d in sc.supply.disruptions:  # unknown crossings are refused where the supply instance is built
        if d.entry_point in trucks:
            trucks[d.entry_point][d.first_day : d.last_day + 1] *= d.capacity_factor
    for e in sc.entry_points:
        trucks[e.id][: e.opening_day] = 0.0
    return trucks


def _one_way_h(
    sc: Scenario, from_xy: np.ndarray, to_xy: np.ndarray, cache: dict[str, tuple[Any, Any, np.ndarray]] | None = None
) -> np.ndarray:
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


#: the last grouping into supply areas: (the presence, by weak reference; max_locations; areas or None). The verdict's
#: truckload count and the supply stage share it (grouping 100,000 zones takes seconds)
_LAST_AREAS: list[tuple[weakref.ref[Presence], int, SupplyAreas | None]] = []


def supply_presence(sc: Scenario, pres: Presence) -> tuple[Presence, SupplyAreas | None]:
    """The presence the supply plan feeds: one location per supply area when there are more than
    supply.max_locations (supply_areas.py), else the plan's own."""
    m = sc.supply.max_locations
    for ref, mm, got in _LAST_AREAS:
        if ref() is pres and mm == m:
            return (pres if got is None else got.presence), got
    areas = supply_areas(pres, np.isin(pres.kinds, list(GROUPS_AT)), m)
    _LAST_AREAS[:] = [(weakref.ref(pres), m, areas)]
    return (pres if areas is None else areas.presence), areas


def node_demand(
    pres: Presence, specs: list[CommoditySpec]
) -> tuple[list[int], dict[int, dict[str, dict[str, list[float]]]]]:
    """Every location, and each one's need by group: daily commodities for the aid-dependent people present, items
    owed until delivered (shelter) for the aid-dependent people arriving."""
    used = [l for l, kind in enumerate(pres.kinds) if kind in GROUPS_AT]  # not 'abroad': not arrived, no need here
    out: dict[int, dict[str, dict[str, list[float]]]] = {}
    for l in used:
        groups = {}
        for name in GROUPS_AT[pres.kinds[l]]:
            g = pres.group(name)
            dep, arr = pres.dependent[l, g], pres.arrivals[l, g]
            groups[name] = {
                s.commodity.id: list((arr if s.commodity.carry_over else dep) * s.t_per_person) for s in specs
            }
        out[l] = groups
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


def supply_instance(
    sc: Scenario, pres: Presence, kcal_per_person_day: float, drive_cache: dict[str, Any] | None = None
) -> tuple[SupplyInstance, np.ndarray, list[CommoditySpec], dict[str, dict[str, Any]], np.ndarray]:
    """Entry points (capacity as the plan uses it: preset, closures, disruptions) -> every location with people
    (zones, sites, overflow land, served populations), directly or through warehouses; local water; each location's
    need by group. Returns the instance, driving hours [entry, node], the commodity specs, closures, local water."""
    spec, days = sc.supply, sc.horizon_days
    specs = load_commodities(sc.standards, kcal_per_person_day=kcal_per_person_day, cargo=sc.cargo)
    pres, areas = supply_presence(sc, pres)  # national scale: the LP feeds supply areas, not every zone
    used, need = node_demand(pres, specs)
    season_needs(sc, pres, specs, need)  # wear and seasons, when declared
    ids = [pres.location_ids[l] for l in used]
    if len(set(ids)) != len(ids):
        raise AssertionError("location ids are not unique")
    node_xy = pres.xy[used].reshape(len(used), 2)
    payload = sc.standards.value("truck_payload_t")
    closures = entry_closures(sc)
    trucks = {k: v.copy() for k, v in entry_trucks_by_day(sc).items()}
    for eid, c in closures.items():
        trucks[eid][c["closes_day"] :] = 0.0
    entries = [
        EntryPoint(
            id=e.id,
            payload_t=e.payload_t or payload,
            capacity_t_by_day=list(trucks[e.id] * (e.payload_t or payload)),
            opening_day=e.opening_day,
            inspection_delay_days=e.inspection_delay_days,
        )
        for e in sc.entry_points
    ]
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
    w_nodes, production, w_arcs, local_water, _notes = water_production(sc, pres, used)
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
    sites = []
    for l, nid in zip(used, ids):
        groups = need[l]
        daily = [np.asarray(v[s.commodity.id]) for v in groups.values() for s in specs if not s.commodity.carry_over]
        peak = float(np.max(np.sum(daily, axis=0))) if daily else 0.0
        if areas is not None:
            peak *= float(areas.storage_scale[l])
        sites.append(
            Site(
                id=nid,
                demand_t={},
                storage_t=spec.site_storage_days * peak,
                groups=groups,
                group_people={g: list(pres.people[l, pres.group(g)].astype(float)) for g in groups},
                people=list(pres.people[l].sum(axis=0).astype(float)),
            )
        )
    # Deprivation in person-days: a tonne of food short leaves ~1,800 person-days unfed, a tonne of water
    # ~67 person-days without water; per-tonne weights would hand all scarce capacity to the heaviest need.
    per_person = {s.commodity.id: s.commodity.priority / s.t_per_person for s in specs if s.t_per_person > 0}
    scale = min(per_person.values(), default=1.0)
    commodities = [
        replace(s.commodity, priority=per_person.get(s.commodity.id, s.commodity.priority) / scale) for s in specs
    ]
    if sc.supply.hubs is not None:  # hubs chosen by the siting engine (issue 20)
        from .hub_plan import add_hubs

        warehouses, arcs, hubs_info = add_hubs(sc, ids, node_xy, sites, warehouses, arcs, entry_ids, _arcs)
    fuel_info = None
    if sc.supply.fuel is not None:  # fuel as a commodity (issue 20): trucked or declared, used by plants and others
        water_nodes = {w.id: [f"water:{w.id}"] for w in sc.water_sources}
        water_nodes[fuel_plan.LOCAL] = [f"water:{nid}" for nid in ids]
        water_nodes[fuel_plan.PACKAGE] = [PACKAGE_WATER]
        trips = [a.round_trip_h for a in arcs if a.source in entry_ids and a.round_trip_h]
        commodities, warehouses, sites, production, arcs, fuel_info = fuel_plan.add_fuel(
            sc,
            commodities,
            warehouses,
            sites,
            production,
            arcs,
            entry_ids,
            float(np.mean(trips)) if trips else HANDLING_H,
            water_nodes,
            spec.site_storage_days,
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
    disruptions = [
        Disruption(
            entry_point=d.entry_point,
            days=tuple(range(d.first_day, min(d.last_day, days - 1) + 1)),
            capacity_factor=d.capacity_factor,
            reason=d.reason,
        )
        for d in spec.disruptions
    ]
    if disruptions:
        inst = apply_disruptions(inst, disruptions, file=str(sc.folder / "scenario.yaml"))
    if areas is not None:
        inst.meta["areas"] = areas
    return inst, one_way, specs, closures, local_water


def truckloads_needed_by_day(sc: Scenario, pres: Presence, kcal_per_person_day: float) -> tuple[np.ndarray, str]:
    """Truckloads a day everyone's need takes at each commodity's payload (water net of local production; shelter
    items on the day people arrive), and how it was counted."""
    specs = load_commodities(sc.standards, kcal_per_person_day=kcal_per_person_day, cargo=sc.cargo)
    fed, _ = supply_presence(sc, pres)  # the locations the supply plan feeds (areas at national scale)
    used, need = node_demand(fed, specs)
    season_needs(sc, fed, specs, need)
    _, _, _, local, _ = water_production(sc, fed, used)
    loads = np.zeros(sc.horizon_days)
    for s in specs:
        t = sum(
            (np.asarray(g[s.commodity.id]) for groups in need.values() for g in groups.values()),
            np.zeros(sc.horizon_days),
        )
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
    warm: dict[str, Any] | None = None,
    drive_cache: dict[str, Any] | None = None,
) -> Deliveries:
    """warm: kept between calls so plans with the same supply structure re-solve from the last basis;
    drive_cache: driving times kept between calls."""
    inst, one_way, specs, closures, local_water = supply_instance(sc, pres, kcal_per_person_day, drive_cache)
    res = solve_supply(
        inst,
        time_limit_s=sc.supply.time_limit_s,
        file=str(sc.folder / "scenario.yaml"),
        trucks="auto" if sc.supply.minimise_trucks else "off",
        warm=warm,
        deep_factor=sc.supply.deep_shortfall_factor,
    )
    food = next((s for s in specs if s.commodity.id == "food"), None)
    kcal_kg = kcal_per_person_day / (food.t_per_person * 1000.0) if food is not None and food.t_per_person else 0.0
    chain = delivery_chain.chain_summary(sc, inst, res) if delivery_chain.declared(sc) else None
    if "fuel" in inst.meta and res.status == "Optimal":
        chain = {**(chain or {}), "fuel": fuel_plan.fuel_report(inst.meta["fuel"], inst, res)}
    if "hubs" in inst.meta:
        chain = {**(chain or {}), "hubs": inst.meta["hubs"]}
    if sc.supply.routing is not None and res.status == "Optimal":
        from .last_mile import last_mile

        chain = {**(chain or {}), "last_mile": last_mile(sc, pres, inst, res)}
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
        areas=inst.meta.get("areas"),
    )


def group_figures(
    d: Deliveries, *, rows: bool = True, dependent: dict[str, np.ndarray] | None = None
) -> dict[str, Any]:
    """plan.json `groups`: per group, what reaches each person — litres of water and kcal of food delivered per
    person per day, share of each need met, people still owed shelter items, cumulative energy and water deficit
    per person — over the horizon and (rows) day by day.

    dependent: per group, aid-dependent people present each day [T]; the per-person figures are then per
    aid-dependent person (the others find their own, `population.aid_dependent_share`, and are not counted as
    receiving nothing)."""
    spec = {s.commodity.id: s for s in d.specs}
    kid = {k: i for i, k in enumerate(d.result.commodity_ids)}
    summary, by_day = [], []
    for g, gs in d.sustain.groups.items():
        people = np.nan_to_num(gs.people)
        if not people.any():  # a group this plan has nobody in (listed for one LP structure across plans)
            continue
        per = people if dependent is None or g not in dependent else np.asarray(dependent[g], dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = np.where(per > 0, 1.0 / np.where(per > 0, per, 1.0), 0.0)
        fig: dict[str, np.ndarray] = {}
        if "water" in kid:
            w = kid["water"]
            fig["water_l_per_person_day"] = gs.consumed_t[w] * 1000.0 * inv
            fig["water_need_l_per_person_day"] = gs.need_t[w] * 1000.0 * inv
            fig["cumulative_water_deficit_l_per_person"] = np.cumsum(gs.shortfall_t[w] * 1000.0 * inv)
        if "food" in kid:
            f = kid["food"]
            kcal_t = d.food_kcal_per_kg * 1000.0
            fig["kcal_per_person_day"] = gs.consumed_t[f] * kcal_t * inv
            fig["kcal_need_per_person_day"] = gs.need_t[f] * kcal_t * inv
            fig["cumulative_kcal_deficit_per_person"] = np.cumsum(gs.shortfall_t[f] * kcal_t * inv)
        if "shelter_nfi" in kid and spec["shelter_nfi"].t_per_person > 0:
            fig["people_owed_shelter_items"] = gs.shortfall_t[kid["shelter_nfi"]] / spec["shelter_nfi"].t_per_person
        last = int(np.flatnonzero(per > 0)[-1]) if (per > 0).any() else 0
        present = per > 0

        def mean(key: str) -> float | None:
            return round(float(fig[key][present].mean()), 3) if key in fig and present.any() else None

        summary.append(
            {
                "group": g,
                "people_max": int(people.max(initial=0)),
                "people_last_day": int(people[-1]),
                "aid_dependent_max": int(round(float(per.max(initial=0)))),
                "water_l_per_person_day": mean("water_l_per_person_day"),
                "water_l_per_person_day_min": round(float(fig["water_l_per_person_day"][present].min()), 3)
                if "water_l_per_person_day" in fig and present.any()
                else None,
                "kcal_per_person_day": mean("kcal_per_person_day"),
                "kcal_per_person_day_min": round(float(fig["kcal_per_person_day"][present].min()), 1)
                if "kcal_per_person_day" in fig and present.any()
                else None,
                "met_share": {k: round(v, 6) for k, v in gs.met_share.items()},
                "first_shortfall_day": gs.first_shortfall_day,
                "cumulative_kcal_deficit_per_person": round(float(fig["cumulative_kcal_deficit_per_person"][last]), 1)
                if "cumulative_kcal_deficit_per_person" in fig
                else None,
                "cumulative_water_deficit_l_per_person": round(
                    float(fig["cumulative_water_deficit_l_per_person"][last]), 1
                )
                if "cumulative_water_deficit_l_per_person" in fig
                else None,
                "people_owed_shelter_items_max": int(round(float(fig["people_owed_shelter_items"].max(initial=0))))
                if "people_owed_shelter_items" in fig
                else None,
                "people_owed_shelter_items_last_day": int(round(float(fig["people_owed_shelter_items"][-1])))
                if "people_owed_shelter_items" in fig
                else None,
            }
        )
        if rows:
            for t in range(d.result.days):
                by_day.append(
                    {
                        "group": g,
                        "day": t,
                        "people": int(people[t]),
                        **{k: round(float(v[t]), 3) for k, v in fig.items()},
                    }
                )
    return {"food_kcal_per_kg": round(d.food_kcal_per_kg, 1), "summary": summary, "daily": by_day}


def supply_summary(d: Deliveries, sc: Scenario, *, rows: bool = True) -> tuple[SupplyPlan, dict[str, Any]]:
    """plan.json `supply` (per-day totals, trucks needed vs available per crossing, fleet) and `sustain`;
    ``rows=False``: without the per-site and per-crossing daily rows (ensemble members)."""
    full = result_to_dict(d.result, d.instance, rows=rows)
    days = d.instance.days
    res = d.result
    # per day and commodity, summed over sites from the rounded per-site figures (as the rows show them)
    figures = site_figures_t(res)
    sums = {k: figures[k].sum(axis=1) for k in ("required_t", "delivered_t", "produced_t", "shortfall_t")}
    daily = [
        {"day": t, "commodity": c, **{k: round(float(v[i, t]), 3) for k, v in sums.items()}}
        for t in range(days)
        for i, c in sorted(enumerate(res.commodity_ids), key=lambda ic: ic[1])
    ]
    fleet = fleet_by_origin(d.instance, d.result)
    supply: dict[str, Any] = {
        "status": str(full["status"]).lower(),
        "objective": full.get("objective"),
        "best_bound": full.get("best_bound"),
        "gap": full.get("gap"),
        "method": d.result.method,
        "days": days,
        "entry_capacity": sc.supply.entry_capacity,
        "daily": daily,
        "deliveries": full["deliveries"],
        "entry_use": full["entry_use"],
        "binding": full["binding"],
        "shortfall_t": full["shortfall_t"],
        "required_t": full["required_t"],
        "first_shortfall_day": full["first_shortfall_day"],
        "fleet_trucks": int(sum(f.fleet_trucks or 0 for f in fleet)),
        "trucks_per_day": [int(v) for v in sum((f.trucks_per_day for f in fleet), np.zeros(days))],
        "max_conservation_residual_t": full.get("max_conservation_residual_t"),
        "sharing": sc.sharing.policy,
        "carry_over": full["carry_over"],
        "payload_t": {s.commodity.id: s.commodity.payload_t for s in d.specs},
        "payload_source": {s.commodity.id: s.payload_source for s in d.specs},
        "food_kcal_per_kg": round(d.food_kcal_per_kg, 1),
        "entry_closures": d.closures,
        "local_water_m3_per_day": [round(float(v), 1) for v in d.local_water_t],
        "locations": len(d.instance.sites),
    }
    if d.areas is not None:
        supply["areas"] = d.areas.to_dict()
    if d.chain is not None:
        chain = {k: v for k, v in d.chain.items() if k not in ("fuel", "last_mile", "hubs")}
        if chain:
            supply["chain"] = (
                chain
                if rows
                else {k: v for k, v in chain.items() if k != "entry_points"}
                | {"entry_points": [{k: v for k, v in e.items() if k != "daily"} for e in chain["entry_points"]]}
            )
        if "fuel" in d.chain:
            supply["fuel"] = d.chain["fuel"] if rows else {k: v for k, v in d.chain["fuel"].items() if k != "daily"}
        if "last_mile" in d.chain:
            supply["last_mile"] = d.chain["last_mile"]
        if "hubs" in d.chain:
            supply["hubs"] = d.chain["hubs"]
    return SupplyPlan.model_validate(supply), sustain_to_dict(d.sustain)
