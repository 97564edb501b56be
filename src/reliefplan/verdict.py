"""Compliance of a plan against the standards: one indicator row per check, with its source."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from .plan import Indicator, Needs, People, Severity, SiteResult
from .standards import Standards


def severity_of(value: float | None, target: float, comparison: Literal[">=", "<="]) -> tuple[bool | None, Severity]:
    """met, and how bad a miss is: <10 % short 'minor', <50 % 'major', else 'critical'."""
    if value is None:
        return None, "info"
    if comparison == ">=":
        ratio = 1.0 if target <= 0 else value / target
    else:
        ratio = 1.0 if value <= 0 else target / value
    if ratio >= 1.0 - 1e-9:
        return True, "ok"
    if ratio >= 0.9:
        return False, "minor"
    if ratio >= 0.5:
        return False, "major"
    return False, "critical"


def indicator(name: str, scope: str, value: float | None, target: float, unit: str,
              comparison: Literal[">=", "<="], source: str, note: str = "") -> Indicator:
    met, sev = severity_of(value, target, comparison)
    return Indicator(indicator=name, scope=scope, value=value, target=target, unit=unit, comparison=comparison,
                     met=met, severity=sev, source=source, note=note)


def assess(people: People, needs: Needs, sites: list[SiteResult], usable_area_m2: float,
           entry_trucks_per_day: float | None, standards: Standards,
           network: dict[str, Any] | None = None) -> list[Indicator]:
    """Scenario-wide indicators first, then per open site."""
    v, cite = standards.value, standards.cite
    out: list[Indicator] = []
    if network is not None and network.get("fallback"):
        out.append(Indicator(
            indicator="travel_times_on_road_network", scope="scenario", value=None, target=1.0, unit="yes/no",
            comparison=">=", met=None, severity="info",
            source=network.get("circuity_source") or "reliefplan network profile",
            note=(f"no road network ({network.get('reason')}): walking times are straight-line distance x "
                  f"circuity {network.get('circuity')}; routes and bottlenecks are unknown")))
    share = 1.0 if people.displaced == 0 else people.sheltered / people.displaced
    out.append(indicator(
        "displaced_people_sheltered_share", "scenario", share, v("sheltered_share_target"), "share", ">=",
        cite("sheltered_share_target"),
        note=f"{people.unsheltered:,} of {people.displaced:,} displaced people have no site place"))
    residents = sum(s.existing_population for s in sites)
    area_pp = None if people.displaced == 0 else usable_area_m2 / (people.displaced + residents)
    out.append(indicator(
        "usable_site_area_m2_per_displaced_person", "scenario", area_pp, v("site_area_m2_per_person"), "m2/person",
        ">=", cite("site_area_m2_per_person"),
        note=f"all usable candidate-site area divided by everyone displaced and the {residents:,} people already "
             "living on the sites"))
    if entry_trucks_per_day is not None:
        out.append(indicator(
            "entry_trucks_per_day_vs_food_medical_need", "scenario", entry_trucks_per_day,
            needs.trucks_per_day_food_medical, "trucks/day", ">=", cite("truck_payload_t"),
            note=("declared entry capacity vs truckloads of food (energy requirement) and medical kits for the displaced "
                  "only; the same crossings also supply everyone else, so this check is optimistic; water "
                  f"({needs.water_tankers_per_day:,.0f} tanker loads/day if trucked) is not included")))
    for s in sites:
        if not s.open:
            continue
        scope = f"site:{s.id}"
        out.append(indicator("site_area_m2_per_person", scope, s.m2_per_person, v("site_area_m2_per_person"),
                             "m2/person", ">=", cite("site_area_m2_per_person")))
        out.append(indicator("camp_population", scope, float(s.population + s.existing_population),
                             v("max_camp_population"), "people", "<=", cite("max_camp_population"),
                             note="recommended maximum camp size; larger camps need splitting into modules"))
    return out


def layout_indicators(summaries: list[Any], standards: Standards) -> list[Indicator]:
    """Per laid-out site: the people its plots hold, and the distances and ratios the layout achieves."""
    v, cite = standards.value, standards.cite
    out: list[Indicator] = []
    for s in summaries:
        scope = f"site:{s.site_id}"
        out.append(indicator("layout_people_with_a_plot", scope, float(s.people), float(s.people_requested),
                             "people", ">=", cite("site_area_m2_per_person"),
                             note="people the camp layout's plots hold vs people allocated"))
        out.append(indicator("max_distance_plot_to_water_m", scope, s.max_plot_to_water_m,
                             v("max_distance_to_water_m"), "m", "<=", cite("max_distance_to_water_m"),
                             note=f"distance {s.distance_metric}"))
        out.append(indicator("max_distance_plot_to_latrine_m", scope, s.max_plot_to_latrine_m,
                             v("max_distance_to_latrine_m"), "m", "<=", cite("max_distance_to_latrine_m"),
                             note=f"distance {s.distance_metric}"))
        out.append(indicator("covered_m2_per_person", scope, s.covered_m2_per_person,
                             v("covered_area_m2_per_person"), "m2/person", ">=", cite("covered_area_m2_per_person"),
                             note="if every plot gets its planned shelter"))
    return out


def evacuation_indicators(evacuation: dict[str, Any], max_clearance_h: float) -> list[Indicator]:
    """Everyone who has a site reaches it, within the scenario's clearance target (no humanitarian standard sets one)."""
    moving = evacuation["people_moving"]
    out = [indicator("evacuees_reaching_their_site_share", "scenario",
                     1.0 if moving == 0 else evacuation["arrived"] / moving, 1.0, "share", ">=",
                     "reliefplan: every person allocated a site must be able to reach it over the roads",
                     note="; ".join(evacuation.get("explanations") or []))]
    clearance = evacuation.get("clearance_hours")
    worst = max((b["max_delay_h"] for b in evacuation["bottlenecks"]), default=0.0)
    out.append(indicator(
        "evacuation_clearance_hours", "scenario", clearance, max_clearance_h, "h", "<=",
        "scenario planning target (evacuation.max_clearance_h): everyone reaches a site within this time",
        note=(f"{evacuation['method']} method, {evacuation['routing']} routing, step {evacuation['time_step_s']:g} s; "
              f"{len(evacuation['bottlenecks'])} saturated link(s) listed, worst queueing delay {worst:.1f} h")))
    return out


_COMMODITY_STANDARD = {"water": "water_l_per_person_day", "food": "kcal_per_person_day",
                       "medical": "medical_kit_people", "shelter_nfi": "covered_area_m2_per_person"}


def supply_indicators(supply: dict[str, Any], sustained: dict[str, Any], standards: Standards) -> list[Indicator]:
    """One row per commodity: share of the horizon's need met, with the first day it fails and where."""
    out = []
    for c in sustained["commodities"]:
        req, short = c["required_t"], c["shortfall_t"]
        if short <= max(0.01, 1e-6 * req):  # LP round-off, not a shortfall anyone would notice
            short = 0.0
        key = _COMMODITY_STANDARD.get(c["commodity"])
        first = c["first_shortfall_day"]
        note = "met every day" if first is None or short == 0 else (
            f"first short on day {first} at {len(c.get('sites_short_first_day') or [])} site(s); "
            f"{short:,.0f} t short over {supply['days']} days")
        out.append(indicator(f"{c['commodity']}_need_met_share", "scenario",
                             1.0 if req <= 0 else 1.0 - short / req, 1.0, "share of need", ">=",
                             standards.cite(key) if key else "reliefplan commodities data", note=note))
    binding = [b["text"] for b in supply.get("binding", [])[:3]]
    if binding:
        out[-1].note += " | binding: " + " ; ".join(binding)
    return out


def _first_day(short: np.ndarray) -> int | None:
    days = np.flatnonzero(short)
    return int(days[0]) if days.size else None


def beds_indicator(beds_by_day: np.ndarray, people_by_day: np.ndarray, standards: Standards) -> Indicator:
    """Inpatient beds against the standard per 10,000 people present, on the worst day."""
    per = standards.value("beds_per_10000")
    need = people_by_day * per / 10000.0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(need > 0, beds_by_day / np.maximum(need, 1e-12), np.inf)
    worst = int(np.argmin(ratio))
    value = float(beds_by_day[worst] / people_by_day[worst] * 10000.0) if people_by_day[worst] > 0 else None
    first = _first_day(beds_by_day + 1e-9 < need)
    return indicator("inpatient_beds_per_10000", "scenario", value, per, "beds per 10,000 people", ">=",
                     standards.cite("beds_per_10000"),
                     note=("enough beds every day" if first is None else
                           f"short from day {first}: {beds_by_day[worst]:,.0f} beds for "
                           f"{people_by_day[worst]:,.0f} people on day {worst} (need {np.ceil(need[worst]):,.0f})"))


def fleet_indicator(fleet_by_day: np.ndarray, supply: dict[str, Any]) -> Indicator:
    """Trucks available for hauling against the fleet the delivery plan needs (round trips per day)."""
    needed = float(supply["fleet_trucks"])
    used_days = np.flatnonzero(np.asarray(supply["trucks_per_day"]) > 0)
    available = float(fleet_by_day[used_days].min()) if used_days.size else float(fleet_by_day.max(initial=0))
    return indicator("fleet_trucks_available", "scenario", available, needed, "trucks", ">=",
                     "reliefplan: fleet from each corridor's round trip (supply.fleet_requirements)",
                     note=f"{needed:,.0f} trucks needed for the planned deliveries; fewest available on a delivery "
                          f"day: {available:,.0f}")
