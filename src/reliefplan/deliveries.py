"""Daily deliveries for the plan: crossings -> sites over the horizon, as a supply instance, and its verdict."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .network import build_network, straight_line_matrix, travel_time_matrix
from .scenario import Scenario
from .supply import (Arc, Commodity, EntryPoint, Production, Site, SupplyInstance, SupplyResult, Warehouse,
                     demand_from_people, load_commodities, result_to_dict, site_figures_t, solve_supply)
from .sustain import Disruption, SustainResult, apply_disruptions, sustain, sustain_to_dict

#: loading, unloading and checkpoint time added to each truck round trip (planning assumption)
HANDLING_H = 2.0
#: off-road legs of trucks (snap to the road network) at 20 km/h
TRUCK_LEG_SPEED_M_S = 20 / 3.6


@dataclass
class Deliveries:
    instance: SupplyInstance
    result: SupplyResult
    sustain: SustainResult
    one_way_h: np.ndarray  # [entry, site]


def people_by_day(site_people: np.ndarray, days: int, evacuation: dict[str, Any] | None,
                  site_ids: list[str]) -> np.ndarray:
    """[sites, days] people present at the end of each day: arrival curves when the move was timed,
    otherwise everyone from day 0."""
    out = np.repeat(site_people[:, None].astype(float), days, axis=1)
    if not evacuation:
        return out
    index = {sid: j for j, sid in enumerate(site_ids)}
    arrived = np.zeros((len(site_ids), days))
    for a in evacuation["arrivals"]:
        day = min(int(a["t_s"] // 86400), days - 1)
        arrived[index[a["site"]], day] += a["people"]
    return np.minimum(np.cumsum(arrived, axis=1), out)


def _one_way_h(sc: Scenario, from_xy: np.ndarray, to_xy: np.ndarray,
               cache: dict[str, tuple[Any, Any, np.ndarray]] | None = None) -> np.ndarray:
    """Driving time (h) between points: on the roads when the scenario has them.

    cache: results kept by roads, closures and points (ensemble members share them)."""
    if len(from_xy) == 0 or len(to_xy) == 0:
        return np.zeros((len(from_xy), len(to_xy)))
    key = ""
    if cache is not None:
        # the roads and closures objects are kept in the entry, so their ids cannot be reused meanwhile
        key = repr((id(sc.roads), id(sc.closures), sc.crs.to_string())) + np.ascontiguousarray(
            np.r_[from_xy.ravel(), np.nan, to_xy.ravel()], dtype=float).tobytes().hex()
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
    return [Arc(source=a, target=b, travel_days=int(one_way_h[i, j] // 24), round_trip_h=2 * float(one_way_h[i, j]) + HANDLING_H)
            for i, a in enumerate(sources) for j, b in enumerate(targets) if np.isfinite(one_way_h[i, j])]


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


def _tent_stock(sc: Scenario, specs: list[Any], days: int) -> np.ndarray:
    """Tonnes of shelter sets (tent + household kits) a package makes available on each day."""
    shelter = next((s for s in specs if s.commodity.id == "shelter_nfi"), None)
    out = np.zeros(days)
    if shelter is None:
        return out
    for day, tents, per_tent in sc.tent_stock:  # the shelter need of the people the tents hold
        out[day] += tents * per_tent * shelter.t_per_person
    return out


def supply_instance(sc: Scenario, site_ids: list[str], site_xy: np.ndarray, people: np.ndarray,
                    kcal_per_person_day: float, residents: np.ndarray | None = None,
                    drive_cache: dict[str, Any] | None = None) -> tuple[SupplyInstance, np.ndarray]:
    """Entry points (declared, design or observed capacity) -> open sites, directly; local water at the sites.

    people: [sites, days] displaced people present; residents: people already living at each site (they share
    the daily supplies, not the shelter items); drive_cache: driving times kept between plans."""
    spec, days = sc.supply, sc.horizon_days
    specs = load_commodities(sc.standards, kcal_per_person_day=kcal_per_person_day)
    demand = demand_from_people(people, specs, residents)
    if residents is not None:
        people = people + np.asarray(residents, dtype=float)[:, None]
    payload = sc.standards.value("truck_payload_t")
    trucks = entry_trucks_by_day(sc)
    entries = [EntryPoint(id=e.id, payload_t=e.payload_t or payload,
                          capacity_t_by_day=list(trucks[e.id] * (e.payload_t or payload)),
                          opening_day=e.opening_day, inspection_delay_days=e.inspection_delay_days)
               for e in sc.entry_points]
    entry_xy = np.array([[e.geometry_m.x, e.geometry_m.y] for e in sc.entry_points])
    wh_xy = np.array([[w.geometry_m.x, w.geometry_m.y] for w in sc.warehouses]).reshape(-1, 2)
    one_way = _one_way_h(sc, entry_xy, site_xy, drive_cache)
    entry_ids, wh_ids = [e.id for e in sc.entry_points], [w.id for w in sc.warehouses]
    # goods go straight to the sites, or through a warehouse where they can be stocked ahead of a closure
    arcs = (_arcs(entry_ids, site_ids, one_way)
            + _arcs(entry_ids, wh_ids, _one_way_h(sc, entry_xy, wh_xy, drive_cache))
            + _arcs(wh_ids, site_ids, _one_way_h(sc, wh_xy, site_xy, drive_cache)))
    warehouses = [Warehouse(id=w.id, capacity_t=w.capacity_t) for w in sc.warehouses]
    sites, production = [], []
    if sc.tent_stock:
        stock = _tent_stock(sc, specs, days)
        warehouses.append(Warehouse(id=PACKAGE_STOCK, capacity_t=None))
        production.append(Production(node=PACKAGE_STOCK, commodity="shelter_nfi", t_per_day=list(stock)))
        arcs += [Arc(source=PACKAGE_STOCK, target=sid, travel_days=0, round_trip_h=HANDLING_H) for sid in site_ids]
    peak = {k: v.max(axis=1) if v.size else np.zeros(len(site_ids)) for k, v in demand.items()}
    present = people.sum(axis=0)
    for j, sid in enumerate(site_ids):
        storage = spec.site_storage_days * sum(float(peak[k][j]) for k in demand)
        sites.append(Site(id=sid, demand_t={k: list(v[j]) for k, v in demand.items()}, storage_t=storage,
                          people=list(people[j])))
        water = people[j] / 1000.0 * spec.local_water_m3_per_day
        if sc.water_m3_by_day is not None:  # a package's water, shared over the sites by the people present
            water = water + np.asarray(sc.water_m3_by_day) * np.divide(people[j], present, out=np.zeros(days),
                                                                       where=present > 0)
        if np.any(water > 0):
            production.append(Production(node=sid, commodity="water", t_per_day=list(water)))
    # Deprivation in person-days: a tonne of food short leaves ~1,800 person-days unfed, a tonne of water
    # ~67 person-days without water; per-tonne weights would hand all scarce capacity to the heaviest need.
    per_person = {s.commodity.id: s.commodity.priority / s.t_per_person for s in specs if s.t_per_person > 0}
    scale = min(per_person.values(), default=1.0)
    commodities = [Commodity(id=s.commodity.id, priority=per_person.get(s.commodity.id, s.commodity.priority) / scale,
                             unit_weight_t=s.commodity.unit_weight_t, unit=s.commodity.unit,
                             unit_volume_m3=s.commodity.unit_volume_m3) for s in specs]
    inst = SupplyInstance(days=days, commodities=commodities, entry_points=entries, warehouses=warehouses, sites=sites,
                          arcs=arcs, production=production, payload_t=payload)
    disruptions = [Disruption(entry_point=d.entry_point, days=tuple(range(d.first_day, min(d.last_day, days - 1) + 1)),
                              capacity_factor=d.capacity_factor, reason=d.reason) for d in spec.disruptions]
    if disruptions:
        inst = apply_disruptions(inst, disruptions, file=str(sc.folder / "scenario.yaml"))
    return inst, one_way


def deliver(sc: Scenario, site_ids: list[str], site_xy: np.ndarray, people: np.ndarray,
            kcal_per_person_day: float, warm: dict[str, Any] | None = None,
            residents: np.ndarray | None = None, drive_cache: dict[str, Any] | None = None) -> Deliveries:
    """warm: kept between calls so plans with the same supply structure re-solve from the last basis;
    drive_cache: driving times kept between calls."""
    inst, one_way = supply_instance(sc, site_ids, site_xy, people, kcal_per_person_day, residents, drive_cache)
    res = solve_supply(inst, time_limit_s=sc.supply.time_limit_s, file=str(sc.folder / "scenario.yaml"),
                       trucks="auto" if sc.supply.minimise_trucks else "off", warm=warm)
    return Deliveries(instance=inst, result=res, sustain=sustain(inst, res), one_way_h=one_way)


def supply_summary(d: Deliveries, sc: Scenario, *, rows: bool = True) -> tuple[dict[str, Any], dict[str, Any]]:
    """plan.json `supply` (per-day totals, trucks needed vs available per crossing, fleet) and `sustain`;
    ``rows=False``: without the per-site and per-crossing daily rows (ensemble members)."""
    full = result_to_dict(d.result, d.instance, rows=rows)
    days = d.instance.days
    res = d.result
    # per day and commodity, summed over sites from the rounded per-site figures (as the rows show them)
    figures = site_figures_t(res)
    sums = {k: figures[k].sum(axis=1) for k in ("required_t", "delivered_t", "produced_t", "shortfall_t")}
    daily = [{"day": t, "commodity": c, **{k: round(float(v[i, t]), 3) for k, v in sums.items()}}
             for t in range(days) for i, c in sorted(enumerate(res.commodity_ids), key=lambda ic: ic[1])]
    fleet = d.result.fleet
    supply = {
        "status": str(full["status"]).lower(), "objective": full.get("objective"), "best_bound": full.get("best_bound"),
        "gap": full.get("gap"), "days": days, "entry_capacity": sc.supply.entry_capacity,
        "daily": daily, "deliveries": full["deliveries"], "entry_use": full["entry_use"], "binding": full["binding"],
        "shortfall_t": full["shortfall_t"], "required_t": full["required_t"],
        "first_shortfall_day": full["first_shortfall_day"],
        "fleet_trucks": int(sum(f.fleet_trucks or 0 for f in fleet)),
        "trucks_per_day": [int(v) for v in (sum(f.trucks_per_day for f in fleet) if fleet else np.zeros(days))],
        "max_conservation_residual_t": full.get("max_conservation_residual_t"),
    }
    return supply, sustain_to_dict(d.sustain)
