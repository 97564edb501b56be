"""What a plan computed outside its solvers, as first written (one location, group, site or call at a time): the
oracles the array versions in stages/deliveries.py, stages/needs.py and stages/health.py are tested against
(tests/test_member_figures.py)."""

# ruff: noqa: E741
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from reliefplan.plan import BasketLine, Needs
from reliefplan.plan_health import Health
from reliefplan.scenario._healthdata import HealthSpec
from reliefplan.scenario.folder import CargoSpec, Scenario
from reliefplan.solvers.health import STATEMENT, HealthInputs, HealthProjection
from reliefplan.solvers.supply import CommoditySpec, Site, cargo_figures
from reliefplan.solvers.supply.model import CorridorFleet, SupplyInstance, SupplyResult
from reliefplan.solvers.supply.results import OriginFleet
from reliefplan.stages.deliveries import GROUPS_AT, SupplyDemand, supply_demand
from reliefplan.stages.health import SERIES
from reliefplan.stages.needs import _split_female
from reliefplan.stages.presence import Presence
from reliefplan.stages.supply_areas import SupplyAreas
from reliefplan.standards import Standards


def _round(a: np.ndarray, nd: int = 4) -> list[float]:
    return [round(float(x), nd) for x in a]


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
                storage_t=sc.supply.site_storage_days * peak,
                groups=groups,
                group_people={g: list(pres.people[l, pres.group(g)].astype(float)) for g in groups},
                people=list(pres.people[l].sum(axis=0).astype(float)),
            )
        )
    return sites


def truckloads_needed_by_day(
    sc: Scenario, pres: Presence, kcal_per_person_day: float, demand: SupplyDemand | None = None
) -> tuple[np.ndarray, str]:
    """Truckloads a day everyone's need takes at each commodity's payload (water net of local production; shelter
    items on the day people arrive), and how it was counted."""
    dem = demand if demand is not None else supply_demand(sc, pres, kcal_per_person_day)
    specs, need, local = dem.specs, dem.need, dem.water[3]
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


def compute_needs(
    people: int,
    standards: Standards,
    *,
    household_size: float,
    kcal_per_person_day: float | None = None,
    cargo: CargoSpec | None = None,
    food_mix: Sequence[Mapping[str, float | str]] | None = None,
) -> Needs:
    """Daily needs and facility counts for `people` under `standards`.

    Counts are rounded up (a fraction of a latrine is a latrine); flows stay fractional. Food is the energy need at
    the energy density of the food delivered (the scenario's cargo, else the profile's basket); truckloads use the
    payload per commodity the supply plan uses (`supply.cargo_figures`).
    """
    v = standards.value
    n = int(people)
    kcal_pp = v("kcal_per_person_day") if kcal_per_person_day is None else kcal_per_person_day
    basket = standards.ration_basket
    payload, _, food_kcal_kg, _ = cargo_figures(standards, cargo)
    food_kg_pp = kcal_pp / food_kcal_kg  # the food delivered, enough to meet the energy requirement
    scale = food_kg_pp / basket.kg_per_person_day
    households = math.ceil(n / household_size - 1e-9)
    # A household cannot share a tent with another: at least one tent each, and enough tents for the covered area.
    tents = max(households, math.ceil(n * v("covered_area_m2_per_person") / v("tent_covered_area_m2") - 1e-9))
    latrines = math.ceil(n / v("people_per_latrine_acute") - 1e-9)
    lat_f, lat_m = _split_female(latrines, v("latrine_female_share"))
    medical_kits = n / v("medical_kit_people") / v("medical_kit_days")
    medical_kg = medical_kits * v("medical_kit_weight_kg")
    food_kg = n * food_kg_pp
    water_l = n * v("water_l_per_person_day")
    if food_mix:  # the mix delivered, by weight
        total_t = sum(float(r["t"]) for r in food_mix)  # rows of cargo.food_mix_file: item, t, kcal_per_kg
        lines = [BasketLine(item=str(r["item"]), kg_per_day=food_kg * float(r["t"]) / total_t) for r in food_mix]
    else:
        lines = [BasketLine(item=i.item, kg_per_day=n * i.g_per_person_day / 1000.0 * scale) for i in basket.items]

    def per(key: str) -> int:
        return math.ceil(n / v(key) - 1e-9)

    return Needs(
        people=n,
        water_l_per_day=water_l,
        survival_water_l_per_day=n * v("survival_water_l_per_person_day"),
        kcal_per_person_day=kcal_pp,
        kcal_per_day=n * kcal_pp,
        food_kg_per_day=food_kg,
        food_kcal_per_kg=food_kcal_kg,
        basket=lines,
        medical_kits_per_day=medical_kits,
        medical_kg_per_day=medical_kg,
        households=households,
        tents=tents,
        nfi_kits=math.ceil(households * v("nfi_kits_per_household") - 1e-9),
        shelter_items_kg=tents * v("tent_weight_kg")
        + households * v("nfi_kits_per_household") * v("nfi_kit_weight_kg"),
        covered_area_m2=n * v("covered_area_m2_per_person"),
        site_area_m2=n * v("site_area_m2_per_person"),
        latrines=latrines,
        latrines_female=lat_f,
        latrines_male=lat_m,
        latrines_medium_term=per("people_per_latrine"),
        water_taps=per("people_per_tap"),
        health_posts=per("people_per_health_post"),
        health_centres=per("people_per_health_centre"),
        hospitals=per("people_per_hospital"),
        hospital_beds=math.ceil(n * v("beds_per_10000") / 10000 - 1e-9),
        health_workers=math.ceil(n * v("health_workers_per_10000") / 10000 - 1e-9),
        distribution_points=per("people_per_distribution_point"),
        trucks_per_day_food_medical=food_kg / 1000.0 / payload["food"] + medical_kg / 1000.0 / payload["medical"],
        water_tankers_per_day=water_l / 1000.0 / payload["water"],
        shelter_items_truckloads=(
            tents * v("tent_weight_kg") + households * v("nfi_kits_per_household") * v("nfi_kit_weight_kg")
        )
        / 1000.0
        / payload["shelter_nfi"],
        payload_t=payload,
    )


def _block(
    groups: HealthProjection, locations: HealthProjection | None, gin: HealthInputs, spec: HealthSpec, age_note: str
) -> Health:
    """plan.json `health`: per group the series (P10/P50/P90 by day), crossings, excess deaths as intervals; per
    location what is crossed first."""
    summary = groups.to_dict(series=False)
    series = {}
    for name in SERIES:
        pct = groups.percentiles(name)
        series[name] = {
            gid: {f"p{q}": _round(pct[j, i]) for j, q in enumerate((10, 50, 90))}
            for i, gid in enumerate(groups.group_ids)
        }
    last = {
        name: {
            gid: {f"p{q}": round(float(groups.percentiles(name)[j, i, -1]), 4) for j, q in enumerate((10, 50, 90))}
            for i, gid in enumerate(groups.group_ids)
        }
        for name in SERIES
    }
    inputs = {
        gid: {
            "intake_share_of_requirement": _round(
                np.broadcast_to(gin.intake_share_of_requirement, (len(gin.group_ids), groups.n_days))[i], 3
            ),
            "water_l_per_person_day": _round(
                np.broadcast_to(gin.water_l_per_person_day, (len(gin.group_ids), groups.n_days))[i], 2
            ),
            "people_per_latrine": _round(
                np.broadcast_to(gin.people_per_latrine, (len(gin.group_ids), groups.n_days))[i], 1
            ),
            "covered_m2_per_person": _round(
                np.broadcast_to(gin.covered_m2_per_person, (len(gin.group_ids), groups.n_days))[i], 2
            ),
        }
        for i, gid in enumerate(gin.group_ids)
    }
    out: dict[str, Any] = {
        "statement": STATEMENT + " Figures are for the aid-dependent people of each group and location, from what "
        "the supply plan delivers to them.",
        "draws": summary["draws"],
        "days": summary["days"],
        "seed": spec.seed,
        "crossings": summary["crossings"],
        "hold": summary["hold"],
        "excess_deaths": summary["excess_deaths"],
        "last_day": last,
        "series": series,
        "inputs": inputs,
        "assumptions": [
            age_note,
            spec.home.source,
            spec.open_land.source,
            f"ASSUMPTION: people still owed a tent have {spec.uncovered_m2_per_person:g} m2 covered each "
            "(open air or makeshift shelter)",
            "latrines in a camp: its layout's (the standard's acute ratio without layouts); latrines are "
            "built, not delivered, in this plan",
        ]
        + summary["assumptions"],
        "not_modelled": summary["not_modelled"],
    }
    if locations is not None:
        hold = locations.hold_days()
        out["locations"] = {
            lid: (
                None
                if c is None
                else {"threshold": c.threshold, "day_p10": c.day_p10, "day_p50": c.day_p50, "day_p90": c.day_p90}
            )
            for lid, c in hold.items()
        }
        out["locations_crossed"] = [c.__dict__ for c in locations.crossings if c.day_p10 is not None]
    return Health.model_validate(out)


def fleet_requirements(
    inst: SupplyInstance, result: SupplyResult, operating_h_per_day: float | None = None
) -> list[CorridorFleet]:
    """Trucks per day on each arc (ceil(Σ_k t_k / payload_k)) and the fleet its round trip needs.

    A truck makes ``floor(operating_h / round_trip_h)`` whole trips a day (one trip per
    ``ceil(round_trip_h / operating_h)`` days when the round trip is longer than a working day);
    fleet = ceil(peak trucks per day / trips per truck per day). This is at least the continuous
    estimate trucks × round_trip_h / operating_h, which ignores that trips are whole.
    """
    op_h = operating_h_per_day or inst.operating_h_per_day
    out: list[CorridorFleet] = []
    for a, arc in enumerate(inst.arcs):
        pay = arc.payload_t or inst.payload_t
        per_k = np.array([inst.payload(c, arc.payload_t) for c in inst.commodities])[:, None]
        loads = (result.flow_t[:, a, :] / per_k).sum(axis=0) if arc.trucked else np.zeros(result.days)
        trucks = np.ceil(loads - 1e-6).astype(np.int64)
        trucks[trucks < 0] = 0
        peak = int(trucks.max()) if trucks.size else 0
        trips = fleet = None
        if arc.round_trip_h and arc.trucked:
            trips = (
                float(math.floor(op_h / arc.round_trip_h + 1e-9))
                if arc.round_trip_h <= op_h
                else 1.0 / math.ceil(arc.round_trip_h / op_h - 1e-9)
            )
            fleet = int(math.ceil(peak / trips - 1e-9))
        out.append(
            CorridorFleet(
                arc=a,
                source=arc.source,
                target=arc.target,
                payload_t=pay,
                trucks_per_day=trucks,
                max_trucks_per_day=peak,
                round_trip_h=arc.round_trip_h,
                trips_per_truck_per_day=trips,
                fleet_trucks=fleet,
            )
        )
    return out


def fleet_by_origin(
    inst: SupplyInstance, result: SupplyResult, operating_h_per_day: float | None = None
) -> list[OriginFleet]:
    """Per origin of trucked corridors: whole trucks per day = ceil(the truckloads of all its corridors that day),
    and the fleet = ceil(max over days of Σ_a truckloads_a / trips per truck per day on a) (trips as in
    `fleet_requirements`).

    The LP splits a crossing's truckloads over every location it feeds, so rounding up corridor by corridor counts
    a truck for every fraction (the 60-day Rafah plan: 201-239 trucks/day from a crossing admitting 146.5); a
    logistician counts whole trucks through the crossing, some of them dropping at more than one location, and a
    fleet based there that serves whichever corridor needs it that day."""
    op_h = operating_h_per_day or inst.operating_h_per_day
    loads: dict[str, np.ndarray] = {}
    busy: dict[str, np.ndarray] = {}
    timed: set[str] = set()
    for a, arc in enumerate(inst.arcs):
        if not arc.trucked:
            continue
        per_k = np.array([inst.payload(c, arc.payload_t) for c in inst.commodities])[:, None]
        la = np.maximum((result.flow_t[:, a, :] / per_k).sum(axis=0), 0.0)
        loads[arc.source] = loads.get(arc.source, np.zeros(result.days)) + la
        if arc.round_trip_h:
            trips = (
                float(math.floor(op_h / arc.round_trip_h + 1e-9))
                if arc.round_trip_h <= op_h
                else 1.0 / math.ceil(arc.round_trip_h / op_h - 1e-9)
            )
            busy[arc.source] = busy.get(arc.source, np.zeros(result.days)) + la / trips
            timed.add(arc.source)
    out = []
    for node, la in loads.items():
        trucks = np.maximum(np.ceil(la - 1e-6), 0).astype(np.int64)
        fleet = int(math.ceil(float(busy[node].max(initial=0.0)) - 1e-6)) if node in timed else None
        out.append(
            OriginFleet(
                node=node,
                trucks_per_day=trucks,
                max_trucks_per_day=int(trucks.max(initial=0)),
                fleet_trucks=max(fleet, 0) if fleet is not None else None,
            )
        )
    return out
