"""Compliance of a plan against the standards: one indicator row per check, with its source."""

from __future__ import annotations

from typing import Literal

import numpy as np

from ..plan import (
    Indicator,
    Needs,
    People,
    Severity,
    SiteResult,
    SupplyPlan,
)
from ..plan_health import Groups
from ..plan_supply import Sustain
from ..solvers.layout import LayoutSummary
from ..solvers.network import NetworkSummary
from ..solvers.sustain import SustainResult
from ..standards import Standards
from .overflow import Overflow


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


def indicator(
    name: str,
    scope: str,
    value: float | None,
    target: float,
    unit: str,
    comparison: Literal[">=", "<="],
    source: str,
    note: str = "",
) -> Indicator:
    met, sev = severity_of(value, target, comparison)
    return Indicator(
        indicator=name,
        scope=scope,
        value=value,
        target=target,
        unit=unit,
        comparison=comparison,
        met=met,
        severity=sev,
        source=source,
        note=note,
    )


def assess(
    people: People,
    needs: Needs,
    sites: list[SiteResult],
    usable_area_m2: float,
    standards: Standards,
    network: NetworkSummary | None = None,
) -> list[Indicator]:
    """Scenario-wide indicators first, then per open site."""
    v, cite = standards.value, standards.cite
    out: list[Indicator] = []
    if network is not None and network.get("fallback"):
        out.append(_straight_line_row(network))
    share = 1.0 if people.displaced == 0 else people.sheltered / people.displaced
    out.append(
        indicator(
            "displaced_people_sheltered_share",
            "scenario",
            share,
            v("sheltered_share_target"),
            "share",
            ">=",
            cite("sheltered_share_target"),
            note=f"{people.unsheltered:,} of {people.displaced:,} displaced people have no site place"
            + (
                f": {people.overflow_on_sites:,} crowd onto candidate-site land beyond the camps, "
                f"{people.overflow_on_zone_land:,} onto other land outside the operation area, "
                f"{people.remaining_in_operation_area:,} remain in it"
                if people.unsheltered
                else ""
            ),
        )
    )
    residents = sum(s.existing_population for s in sites)
    area_pp = None if people.displaced == 0 else usable_area_m2 / (people.displaced + residents)
    out.append(
        indicator(
            "usable_site_area_m2_per_displaced_person",
            "scenario",
            area_pp,
            v("site_area_m2_per_person"),
            "m2/person",
            ">=",
            cite("site_area_m2_per_person"),
            note=f"all usable candidate-site area divided by everyone displaced and the {residents:,} people already "
            "living on the sites",
        )
    )
    return out + _site_rows(sites, standards)


def _straight_line_row(network: NetworkSummary) -> Indicator:
    """Said when travel times are straight-line estimates: routes and bottlenecks are then unknown."""
    return Indicator(
        indicator="travel_times_on_road_network",
        scope="scenario",
        value=None,
        target=1.0,
        unit="yes/no",
        comparison=">=",
        met=None,
        severity="info",
        source=network.get("circuity_source") or "reliefplan network profile",
        note=(
            f"no road network ({network.get('reason')}): walking times are straight-line distance x "
            f"circuity {network.get('circuity')}; routes and bottlenecks are unknown"
        ),
    )


def _site_rows(sites: list[SiteResult], standards: Standards) -> list[Indicator]:
    """Per open site: usable area per person present, and the camp's size against the recommended maximum."""
    v, cite = standards.value, standards.cite
    out: list[Indicator] = []
    for s in sites:
        if not s.open:
            continue
        scope = f"site:{s.id}"
        out.append(
            indicator(
                "site_area_m2_per_person",
                scope,
                s.m2_per_person,
                v("site_area_m2_per_person"),
                "m2/person",
                ">=",
                cite("site_area_m2_per_person"),
                note=f"usable area over the camp's people, the residents and {s.overflow:,} overflow people on its land"
                if s.overflow
                else "",
            )
        )
        out.append(
            indicator(
                "camp_population",
                scope,
                float(s.population + s.existing_population),
                v("max_camp_population"),
                "people",
                "<=",
                cite("max_camp_population"),
                note="recommended maximum camp size; larger camps need splitting into modules",
            )
        )
    return out


def layout_indicators(summaries: list[LayoutSummary], standards: Standards) -> list[Indicator]:
    """Per laid-out site: the people its plots hold, and the distances and ratios the layout achieves."""
    v, cite = standards.value, standards.cite
    out: list[Indicator] = []
    for s in summaries:
        scope = f"site:{s.site_id}"
        out.append(
            indicator(
                "layout_people_with_a_plot",
                scope,
                float(s.people),
                float(s.people_requested),
                "people",
                ">=",
                cite("site_area_m2_per_person"),
                note="people the camp layout's plots hold vs people allocated",
            )
        )
        out.append(
            indicator(
                "max_distance_plot_to_water_m",
                scope,
                s.max_plot_to_water_m,
                v("max_distance_to_water_m"),
                "m",
                "<=",
                cite("max_distance_to_water_m"),
                note=f"distance {s.distance_metric}",
            )
        )
        out.append(
            indicator(
                "max_distance_plot_to_latrine_m",
                scope,
                s.max_plot_to_latrine_m,
                v("max_distance_to_latrine_m"),
                "m",
                "<=",
                cite("max_distance_to_latrine_m"),
                note=f"distance {s.distance_metric}",
            )
        )
        out.append(
            indicator(
                "covered_m2_per_person",
                scope,
                s.covered_m2_per_person,
                v("covered_area_m2_per_person"),
                "m2/person",
                ">=",
                cite("covered_area_m2_per_person"),
                note="if every plot gets its planned shelter",
            )
        )
    return out


_COMMODITY_STANDARD = {
    "water": "water_l_per_person_day",
    "food": "kcal_per_person_day",
    "medical": "medical_kit_people",
    "shelter_nfi": "covered_area_m2_per_person",
}
#: a share this close to 1 is LP round-off, not a shortfall anyone would notice
SHARE_TOL = 1e-6


def _share(v: float) -> float:
    return 1.0 if v >= 1.0 - SHARE_TOL else float(v)


def supply_indicators(supply: SupplyPlan, sustained: Sustain, standards: Standards) -> list[Indicator]:
    """One row per commodity, everyone in the plan: share of the horizon's need met (for items owed until delivered,
    of the person-days owed, those had), with the first day it fails and where."""
    out = []
    for c in sustained.commodities:
        short = c.shortfall_t
        share = _share(c.met_share)
        key = _COMMODITY_STANDARD.get(c.commodity)
        first = c.first_shortfall_day
        owed = c.owed_until_delivered
        note = (
            "met every day"
            if first is None or share >= 1.0
            else (
                f"first short on day {first} at {len(c.sites_short_first_day)} location(s); "
                + (
                    f"owed until delivered: {short:,.0f} t still owed on the last day"
                    if owed
                    else f"{short:,.0f} t short over {supply.days} days"
                )
            )
        )
        out.append(
            indicator(
                f"{c.commodity}_need_met_share",
                "scenario",
                share,
                1.0,
                "share of need",
                ">=",
                standards.cite(key) if key else "reliefplan commodities data",
                note=note + " (everyone in the plan)",
            )
        )
    binding = [b.text for b in supply.binding[:3]]
    if binding:
        out[-1].note += " | binding: " + " ; ".join(binding)
    return out


def overflow_indicator(people: People, ov: Overflow) -> Indicator:
    """People with nowhere to go remain in the area being emptied when the operation starts."""
    return indicator(
        "people_remaining_in_operation_area",
        "scenario",
        float(people.remaining_in_operation_area),
        0.0,
        "people",
        "<=",
        "reliefplan: nobody may be left in an area being emptied",
        note=(
            f"overflow policy '{ov.policy}', at most {ov.max_density_per_km2:,.0f} people/km2 on land outside "
            f"the operation area ({ov.density_source}); {people.overflow_on_sites:,} on candidate-site land, "
            f"{people.overflow_on_zone_land:,} on other zones' land"
        ),
    )


def entry_capacity_indicator(trucks_by_day: dict[str, np.ndarray], needed_by_day: np.ndarray, how: str) -> Indicator:
    """The capacity the plan uses (preset or package series, closures, disruptions) against the truckloads everyone's
    need takes, water included, as daily means over the horizon."""
    available = sum(trucks_by_day.values(), np.zeros_like(needed_by_day))
    short_days = np.flatnonzero(available + 1e-9 < needed_by_day)
    return indicator(
        "entry_trucks_per_day_vs_need",
        "scenario",
        float(available.mean()),
        float(needed_by_day.mean()),
        "trucks/day",
        ">=",
        "reliefplan: entry capacity as planned vs " + how.split(" for ")[0],
        note=(
            f"mean over the horizon of the trucks/day the crossings admit in this plan (closures and disruptions "
            f"applied) vs {how}; "
            + (
                "enough every day"
                if short_days.size == 0
                else f"short on {short_days.size} of {needed_by_day.size} days, from day {int(short_days[0])}"
            )
        ),
    )


def group_indicators(groups: Groups, sus: SustainResult, standards: Standards) -> list[Indicator]:
    """Per group of people: litres of water and kcal of food delivered per person per day (mean over the days the
    group exists, worst day in the note), and the share of medical and shelter needs met."""
    v, cite = standards.value, standards.cite
    out = []
    for g in groups.summary:
        scope = f"group:{g.group}"
        gs = sus.groups.get(g.group)
        if gs is None:
            continue
        share = g.met_share
        dep = g.aid_dependent_max
        who = (
            "per aid-dependent person present"
            if dep is None or dep >= g.people_max
            else f"per aid-dependent person present (at most {dep:,} of the group's {g.people_max:,}; the others "
            "find their own, population.aid_dependent_share, and are not in this row)"
        )
        if g.water_l_per_person_day is not None and gs.need_t[sus.commodity_ids.index("water")].any():
            out.append(
                indicator(
                    "water_l_per_person_day",
                    scope,
                    g.water_l_per_person_day,
                    v("water_l_per_person_day"),
                    "L/person/day",
                    ">=",
                    cite("water_l_per_person_day"),
                    note=f"delivered or produced, {who}; worst day {g.water_l_per_person_day_min:,.1f} L; "
                    f"{_share(share['water']):.1%} of the aid-dependent need met; cumulative deficit "
                    f"{g.cumulative_water_deficit_l_per_person:,.0f} L per person",
                )
            )
        if g.kcal_per_person_day is not None and gs.need_t[sus.commodity_ids.index("food")].any():
            target = float(
                np.nanmax(
                    np.asarray(
                        [r.kcal_need_per_person_day for r in groups.daily if r.group == g.group]
                        or [v("kcal_per_person_day")]
                    )
                )
            )
            out.append(
                indicator(
                    "kcal_per_person_day",
                    scope,
                    g.kcal_per_person_day,
                    target or v("kcal_per_person_day"),
                    "kcal/person/day",
                    ">=",
                    cite("kcal_per_person_day"),
                    note=f"delivered, {who}; worst day {g.kcal_per_person_day_min:,.0f} kcal; "
                    f"{_share(share['food']):.1%} of the aid-dependent need met; cumulative deficit "
                    f"{g.cumulative_kcal_deficit_per_person:,.0f} kcal per person",
                )
            )
        for k in ("medical", "shelter_nfi"):
            if k in share and gs.need_t[sus.commodity_ids.index(k)].any():
                note = ""
                if k == "shelter_nfi" and g.people_owed_shelter_items_max is not None:
                    note = (
                        f"people still owed tents and kits: up to {g.people_owed_shelter_items_max:,}, "
                        f"{g.people_owed_shelter_items_last_day:,} on the last day"
                    )
                out.append(
                    indicator(
                        f"{k}_need_met_share",
                        scope,
                        _share(share[k]),
                        1.0,
                        "share of need",
                        ">=",
                        cite(_COMMODITY_STANDARD[k]),
                        note=note,
                    )
                )
    return out


def location_indicators(sus: SustainResult, standards: Standards) -> list[Indicator]:
    """Per location with a need (site, zone, overflow land, served population): share of each need met."""
    out = []
    carry = [c.carry_over for c in sus.commodities]
    for k, kid in enumerate(sus.commodity_ids):
        for s, sid in enumerate(sus.site_ids):
            share = sus.met_share_by_site[kid][s]
            if share is None:
                continue
            scope = sid if ":" in sid else f"site:{sid}"
            out.append(
                indicator(
                    f"{kid}_need_met_share",
                    scope,
                    _share(share),
                    1.0,
                    "share of need",
                    ">=",
                    standards.cite(_COMMODITY_STANDARD[kid])
                    if kid in _COMMODITY_STANDARD
                    else "reliefplan commodities data",
                    note="of the person-days owed, those had" if carry[k] else "",
                )
            )
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
    return indicator(
        "inpatient_beds_per_10000",
        "scenario",
        value,
        per,
        "beds per 10,000 people",
        ">=",
        standards.cite("beds_per_10000"),
        note=(
            "enough beds every day"
            if first is None
            else f"short from day {first}: {beds_by_day[worst]:,.0f} beds for "
            f"{people_by_day[worst]:,.0f} people on day {worst} (need {np.ceil(need[worst]):,.0f})"
        ),
    )


def fleet_indicator(fleet_by_day: np.ndarray, supply: SupplyPlan) -> Indicator:
    """Trucks available for hauling against the fleet the delivery plan needs (round trips per day)."""
    needed = float(supply.fleet_trucks)
    used_days = np.flatnonzero(np.asarray(supply.trucks_per_day) > 0)
    available = float(fleet_by_day[used_days].min()) if used_days.size else float(fleet_by_day.max(initial=0))
    return indicator(
        "fleet_trucks_available",
        "scenario",
        available,
        needed,
        "trucks",
        ">=",
        "reliefplan: fleet from each corridor's round trip (supply.fleet_requirements)",
        note=f"{needed:,.0f} trucks needed for the planned deliveries; fewest available on a delivery "
        f"day: {available:,.0f}",
    )
