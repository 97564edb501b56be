"""The assumptions a plan rests on, in words: how people are placed, fed, moved and counted."""

from __future__ import annotations

from ..plan import EvacuationTiming, SupplyPlan
from ..scenario.folder import Scenario
from .travel import ZoneSiteTimes


def assumptions(
    sc: Scenario,
    kcal_pp: float,
    times: ZoneSiteTimes,
    evacuation: EvacuationTiming | None,
    supply: SupplyPlan | None,
    *,
    layouts_on: bool,
) -> list[str]:
    """The assumptions a plan rests on, in words, for plan.json and the report."""
    out = [
        "Population inside a zone is spread evenly over its area (area-weighted displacement).",
        f"Site capacity = usable area / {sc.standards.value('site_area_m2_per_person'):g} m2 per person "
        "(site area incl. plots, roads, services, firebreaks), minus people already there.",
        "The part of a candidate site inside the operation footprint is not usable.",
        f"Food: the '{sc.standards.ration_basket.name}' basket scaled to {kcal_pp:,.0f} kcal/person/day"
        + (" (age/sex-weighted energy requirement)" if sc.population_structure else "")
        + ".",
        "Siting minimises total walking time (person-seconds) plus opening costs; an unsheltered person costs "
        f"{sc.siting.unmet_penalty_factor:g} x the longest allowed walk, so nobody is left out while a place "
        "within reach remains.",
        (
            "Walking times: no road network; straight-line distance x circuity factor."
            if times.fallback
            else f"Walking times on the road network '{times.network.get('source')}'; each zone's time is the mean over "
            "sample points of its displaced part; off-road legs walked straight at walking speed."
        ),
    ]
    out += _evacuation_words(sc, evacuation)
    pop = sc.population_spec
    out.append(
        f"Everyone in the plan depends on aid at the declared share ({pop.aid_dependent_share:g} of each zone's people "
        "unless a zone says otherwise"
        + (f"; {pop.source}" if pop.source else "; ASSUMPTION: no source declared")
        + "); people already living on the candidate sites and the other populations fed through the same entry "
        "points (layer served_populations) are counted every day."
    )
    ov = sc.overflow
    out.append(
        f"Overflow policy '{ov.policy}': displaced people without a camp place "
        + (
            "go to the nearest land outside the operation area with room (candidate sites first, then land of zones "
            "outside the footprint)"
            if ov.policy == "nearest_outside"
            else "remain in the operation area"
        )
        + "; humanitarian access to everyone who remains in the operation area is assumed (the supply plan feeds "
        "them), which is kinder than most operations allow."
    )
    if supply is not None:
        out.append(_supply_words(sc))
    elif sc.supply.enabled and not sc.entry_points:
        out.append(
            "Supply not planned: the scenario declares no entry points (layers.entry_points), so nothing can be "
            "delivered; the entry-capacity check counts 0 trucks/day against everyone's need."
        )
    out += _settlement_words(sc)
    if layouts_on:
        out.append(
            "Camp layouts: UNHCR modular grid fitted into each site's free area; a site's capacity is also capped "
            "by the plots its layout holds x the usable fraction (the layout's capacity truth)."
        )
        if not sc.layout.draw:
            out.append(
                "Camp layouts not drawn (layout.draw: false, e.g. `ensemble --no-layout`): each site's capacity is "
                "still its layout's, but no site's plots, water points, latrines and firebreaks are laid out or "
                "checked, and the health layer counts latrines at the standard's acute ratio."
            )
    return out


def _evacuation_words(sc: Scenario, evacuation: EvacuationTiming | None) -> list[str]:
    """How the move over the roads was timed, or why it was not."""
    if evacuation is not None:
        return [
            f"Evacuation: everyone who moves walks to their camp or overflow land over the road network "
            f"({sc.evacuation.routing} "
            f"routing, departures {sc.evacuation.departure.replace('_', ' ')}"
            + (f" over {sc.evacuation.spread_h:g} h" if sc.evacuation.departure == "spread" else "")
            + " from each zone's start day); link capacities from road width; people left in the operation area "
            "do not move."
        ]
    if sc.evacuation.enabled and sc.movement is None:
        return ["Evacuation timing not computed: it needs a road network and people with a site."]
    return []


def _supply_words(sc: Scenario) -> str:
    """How the supply plan reaches everyone and shares what is scarce."""
    return (
        f"Supply: entry capacity '{sc.supply.entry_capacity}' (closures and disruptions applied) to every location "
        "with people (zones, sites, overflow land, served populations), directly"
        + (f" or through {len(sc.warehouses)} warehouse(s), " if sc.warehouses else " (no warehouses declared), ")
        + f"{sc.supply.site_storage_days:g} days of storage per location; local water from "
        f"{len(sc.water_sources)} declared source(s)"
        + (
            f" and {sc.supply.local_water_m3_per_day:g} m3/day per 1,000 people"
            if sc.supply.local_water_m3_per_day
            else ""
        )
        + f"; scarce supplies shared by '{sc.sharing.policy}'"
        + (
            f" (order: {', '.join(sc.sharing.priority)})"
            if sc.sharing.policy == "priority"
            else " (the same share of need for every group and location where the logistics allow)"
        )
        + "; tents and household kits are owed to each arriving household until delivered; displaced people are "
        "fed where they are each day (their zone until they arrive). When supplies are short, many plans are equally "
        "deprived and differ only in which location or group goes short on which day: a fixed tie-break on each "
        "location's and group's identity picks one, so the per-site and per-group figures are one such split (the "
        "total deprivation, the LP's objective, is the same in all of them)"
        + (
            "; groups.ranges gives each group's least and most over those plans."
            if sc.supply.group_ranges
            else "; supply.group_ranges (plan --group-ranges) gives each group's least and most over those plans."
        )
        + " The supply plan is one optimisation over the whole horizon: it knows each day's entry capacity and "
        "closures from day 0 and stocks goods ahead of them. Where those days are a forecast, an observed series or "
        "an ensemble member's draws, that is foresight no operator has, so the shortfall is the least those "
        "crossings allow, not what day-by-day operation would reach (an ensemble's --supply operate runs its members that way)."
    )


def _settlement_words(sc: Scenario) -> list[str]:
    """Arrivals over days, and the existing settlement's snapshot and installed latrines and taps."""
    out: list[str] = []
    if sc.arrivals is not None:
        a = sc.arrivals
        out.append(
            f"Arrivals: {a.total:,} people over the horizon at {len(a.point_ids)} point(s) ({a.file}"
            + (f"; {a.source}" if a.source else "; ASSUMPTION: no source declared")
            + "), linear between dated rows; each day's arrivals leave their point's transit area (radius "
            f"{a.transit_radius_m:g} m) for their site the same day (evacuation timing not computed for them); before "
            "they arrive they are counted abroad, in no need and no check of this plan."
        )
    if sc.monitoring is not None and sc.monitoring.file:
        m = sc.monitoring
        out.append(
            f"Existing settlement: the snapshot {m.file} of {m.date} puts {int(m.unit_people.sum()):,} people "
            f"on {len(set(m.unit_site.tolist()))} site(s) for the whole horizon (nobody re-allocated; births, "
            "deaths and departures not modelled); residents inside an operation footprint must move "
            "(zones relocate:<site>); the siting uses the spare capacity."
        )
    if sc.monitoring is not None and sc.monitoring.installed_file:
        out.append(
            f"Latrines and taps installed by day from {sc.monitoring.installed_file}, linear between dated "
            "rows and held before the first and after the last."
        )
    return out
