"""Runs the stages in order: the only module that knows the order."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Callable

import numpy as np
import shapely

from .solvers.layout import CampLayout
from .stages.allocation import AllocationResult, allocate
from .stages.camps import lay_out, layout_capacities, layout_params
from .scenario.folder import free_geometry
from .stages.capacity import SiteCapacity, site_capacity
from .stages.deliveries import (
    Deliveries,
    deliver,
    entry_capacity_by_day,
    group_figures,
    supply_summary,
    truckloads_needed_by_day,
)
from .stages.arrivals import abroad, arrivals_summary, displace_all, present
from .stages.displacement import Displacement
from .solvers.health import HealthProjection
from .stages.health import hold, plan_health
from .stages.seasons import flooded_land, season_needs
from .geo import to_lon_lat
from .stages.movement import move, movement_summary
from .stages.needs import compute_needs, energy_kcal_per_person_day
from .stages.orders import (
    DaysMovement,
    OrderParts,
    displace_on_orders,
    inside_ordered_areas,
    move_over_days,
    movement_assumptions,
    movement_result,
)
from .stages.overflow import Overflow, place_overflow
from .plan_health import Groups
from .plan_supply import DistributionPoints, PointServiceFigures, Sustain
from .plan import (
    EntryPointResult,
    EvacuationTiming,
    Flow,
    MovementResult,
    Needs,
    People,
    Plan,
    SiteResult,
    Siting,
    StandardsUsed,
    SupplyPlan,
    ZoneResult,
)
from .stages.phases import closed_within, phase_indicators, sheltered_share_by_day
from .stages.phase_moves import route_phase_moves
from .stages.presence import Presence, presence
from .scenario.folder import Scenario
from .stages.travel import TravelCache, ZoneSiteTimes, geometry_key, walking_times
from .stages.verdict import (
    assess,
    beds_indicator,
    entry_capacity_indicator,
    evacuation_indicators,
    fleet_indicator,
    group_indicators,
    layout_indicators,
    location_indicators,
    movement_indicators,
    overflow_indicator,
    supply_indicators,
)

Progress = Callable[[str], None]


def _version() -> str:
    try:
        return version("reliefplan")
    except PackageNotFoundError:  # running from a source tree without install
        return "0+unknown"


def _zones(sc: Scenario, d: Displacement, alloc: AllocationResult, ov: Overflow) -> list[ZoneResult]:
    sheltered = alloc.by_zone
    zone_land_by_zone = ov.zone_land_by_zone
    default = sc.population_spec.aid_dependent_share
    out = []
    for i, z in enumerate(sc.zones):
        departures = [(float(day), int(n)) for day, n in zip(d.days, d.displaced_by_day[i]) if n > 0]
        out.append(
            ZoneResult(
                id=z.id,
                name=z.name,
                pcode=z.pcode,
                population=int(d.population[i]),
                displaced=int(d.displaced[i]),
                staying=int(d.staying[i]),
                displaced_share=float(d.share[i]),
                start_day=d.start_day(i),
                departures=departures,
                sheltered=int(sheltered[i]),
                unsheltered=int(alloc.unmet[i]),
                overflow_on_sites=int(ov.to_site[i].sum()),
                overflow_on_zone_land=int(zone_land_by_zone[i]),
                remaining_in_operation_area=int(ov.inside[i]),
                aid_dependent_share=z.aid_dependent_share if z.aid_dependent_share is not None else default,
                lon=float(d.origin_lonlat[i, 0]),
                lat=float(d.origin_lonlat[i, 1]),
            )
        )
    return out


def _sites(sc: Scenario, cap: SiteCapacity, alloc: AllocationResult, ov: Overflow, kcal_pp: float) -> list[SiteResult]:
    pop = alloc.by_site
    over = ov.by_site
    lonlat = to_lon_lat(shapely.points(cap.point_xy), sc.crs)
    out = []
    for j, s in enumerate(sc.sites):
        present = int(pop[j]) + s.existing_population + int(over[j])
        out.append(
            SiteResult(
                id=s.id,
                name=s.name,
                area_m2=float(cap.area_m2[j]),
                excluded_area_m2=float(cap.excluded_area_m2[j]),
                usable_fraction=s.usable_fraction,
                usable_area_m2=float(cap.usable_area_m2[j]),
                existing_population=s.existing_population,
                capacity=int(cap.capacity[j]),
                population=int(pop[j]),
                overflow=int(over[j]),
                m2_per_person=float(cap.usable_area_m2[j] / present) if present else None,
                open=bool(pop[j] > 0),
                needs=compute_needs(
                    int(pop[j]),
                    sc.standards,
                    household_size=sc.household_size,
                    kcal_per_person_day=kcal_pp,
                    cargo=sc.cargo,
                    food_mix=sc.food_mix,
                )
                if pop[j] > 0
                else None,
                lon=float(lonlat[j].x),
                lat=float(lonlat[j].y),
            )
        )
    return out


@dataclass
class PlanRun:
    """A plan and the geometry-heavy results that do not go into plan.json (camp layouts)."""

    plan: Plan
    layouts: list[CampLayout] = field(default_factory=list)  # per opened site, in site order
    deliveries: Deliveries | None = None  # the supply instance and its solution, when computed
    people_by_day: np.ndarray | None = None  # [days]: everyone in the plan each day (all groups, all locations)
    health: HealthProjection | None = None  # the groups' health projection, every draw (ensembles pool them)


def _assumptions(
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
    out += _settlement_words(sc)
    if layouts_on:
        out.append(
            "Camp layouts: UNHCR modular grid fitted into each site's free area; a site's capacity is also capped "
            "by the plots its layout holds x the usable fraction (the layout's capacity truth)."
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
        "fed where they are each day (their zone until they arrive)."
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


def make_plan(sc: Scenario, progress: Progress | None = None) -> Plan:
    """Plan one named scenario (see `run`)."""
    return run(sc, progress).plan


@dataclass
class Sheltering:
    """Everything up to the move: who is displaced, where they go, the camps and the evacuation timing.

    Assistance packages that only add supply (crossings, tents, water, beds, fleet) share one of these.
    """

    displacement: Displacement
    kcal_pp: float
    needs: Needs
    capacity: SiteCapacity
    times: ZoneSiteTimes
    alloc: AllocationResult
    people: People
    pending_layouts: (
        Future[list[CampLayout]] | list[CampLayout]
    )  # the camp layouts, or their computation under way (see `layouts`)
    layouts_on: bool
    evacuation: EvacuationTiming | None
    overflow: Overflow  # where the people without a camp place go
    presence: Presence  # everyone's location by group and day
    layout_fit: np.ndarray | None = None  # people each site's layout fits before the usable fraction
    movement: MovementResult | None = None  # the move over days (scenario block `movement`)

    @property
    def layouts(self) -> list[CampLayout]:
        """The camp layout of each opened site (waits for the background computation)."""
        p = self.pending_layouts
        return p.result() if isinstance(p, Future) else p


def _in_background(fn: Callable[..., list[CampLayout]], *args: Any) -> Future[list[CampLayout]]:
    """fn(*args) in a thread of its own. Camp layouts (Python, numpy, shapely) then run while the main thread moves
    people and solves the supply LP, which spend their time in OR-Tools and HiGHS with the GIL released: on two cores
    the layouts cost no wall time (the 60-day Rafah plan: 3.1 s of layouts)."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reliefplan-layouts")
    try:
        return pool.submit(fn, *args)
    finally:
        pool.shutdown(wait=False)  # the thread ends with its task


def shelter(sc: Scenario, progress: Progress | None = None, *, cache: TravelCache | None = None) -> Sheltering:
    """Displacement -> needs -> site capacity (layout fit) -> walking times -> siting -> camp layouts -> move."""
    step = progress or (lambda _msg: None)
    std = sc.standards

    step("displacement")
    parts = None
    if sc.movement is not None:  # who leaves when, on each order's departure curve (stages/orders.py)
        d, parts = displace_on_orders(sc)
    else:
        d = displace_all(sc)  # footprints emptying zones, and people arriving at transit points
    displaced = int(d.displaced.sum())

    step("needs")
    kcal_pp = energy_kcal_per_person_day(std, sc.population_structure)
    needs = compute_needs(
        displaced,
        std,
        household_size=sc.household_size,
        kcal_per_person_day=kcal_pp,
        cargo=sc.cargo,
        food_mix=sc.food_mix,
    )

    step("site capacity (camp layouts)" if sc.layout.enabled else "site capacity")
    free = free_geometry(sc.sites, sc.footprints)
    params = layout_params(sc) if sc.layout.enabled else None
    fit = None if params is None else _layout_fit(sc, free, params, cache)
    cap = site_capacity(sc.sites, sc.footprints, std, layout_people=fit)

    step("walking times")
    times = walking_times(sc, d.displaced_part_m, cap.point_xy, moving=d.displaced > 0, cache=cache)

    step("siting")
    alloc = allocate(
        sc, d.displaced, cap.capacity, times.pairs, leaving_by_day=d.displaced_by_day if parts is not None else None
    )
    sheltered = int(alloc.people.sum())
    unsheltered = int(alloc.unmet.sum())
    if (alloc.by_site > cap.capacity).any():
        raise AssertionError("siting placed people beyond a site's capacity")
    if sheltered + unsheltered != displaced:  # conservation is a hard invariant, never a rounding matter
        raise AssertionError(f"people not conserved: {sheltered} + {unsheltered} != {displaced}")

    step("overflow (people without a site place)")
    land_m2 = cap.area_m2 - cap.excluded_area_m2
    if sc.phases is not None and sc.phases.min_stay_days is not None:  # nor the land of sites closing too soon
        soon = closed_within(sc.phases, [s.id for s in sc.sites], sc.horizon_days, sc.phases.min_stay_days)[:, 0]
        land_m2 = np.where(soon, 0.0, land_m2)
    ov = place_overflow(
        sc,
        alloc.unmet,
        d.staying,
        land_m2,
        alloc.by_site,
        times.pairs,
        lambda xy, moving: walking_times(sc, d.displaced_part_m, xy, moving=moving, cache=cache).pairs,
    )
    if ov.total != unsheltered:
        raise AssertionError(f"overflow not conserved: {ov.total} placed of {unsheltered} without a site place")
    site_people = alloc.by_site
    layouts: Future[list[CampLayout]] | list[CampLayout] = []
    if params is not None:
        step("camp layouts (in the background)")
        layouts = _in_background(
            partial(lay_out, client=cache.client if cache is not None else None), sc, free, site_people, params
        )

    evacuation, days = _move(sc, d, parts, cap, times, alloc, ov, step)

    pres = presence(
        sc,
        d.displaced_by_day,
        d.days,
        d.staying,
        (alloc.zone, alloc.site, alloc.people),
        ov,
        cap.point_xy,
        evacuation,
        None if days is None else days.arrival_share,
        site_places=cap.capacity,
    )
    if pres.phases is not None and times.graph is not None and any(m[3] == "redisplaced" for m in pres.phases.moves):
        step("re-moves of the phases on the roads")
        pres.phases.routed = route_phase_moves(sc, times.graph, pres.xy, pres.phases)
    if parts is not None:  # in the ordered areas: everyone there who has not left, whether they will or not
        pres.inside_operation = inside_ordered_areas(parts)
    pres = abroad(pres, sc, alloc.by_zone, ov.to_site.sum(axis=1) + ov.zone_land_by_zone + ov.inside)
    people = _people(d, sheltered, unsheltered, ov, pres)
    if people.in_plan != people.population + people.site_residents + people.served_elsewhere:
        raise AssertionError("not everyone in the territory is in the plan")
    return Sheltering(
        displacement=d,
        kcal_pp=kcal_pp,
        needs=needs,
        capacity=cap,
        times=times,
        alloc=alloc,
        people=people,
        pending_layouts=layouts,
        layouts_on=params is not None,
        evacuation=evacuation,
        layout_fit=fit,
        overflow=ov,
        presence=pres,
        movement=None if parts is None else days.result if days is not None else movement_result(sc, parts, None),
    )


def _finite(x: float | None) -> float | None:
    """None for a figure the solver could not give (NaN/inf: no plan, no bound)."""
    return None if x is None or not np.isfinite(x) else float(x)


def _entry_trucks_per_day(sc: Scenario) -> float | None:
    """Trucks/day the crossings admit: declared, or the mean of the daily series a package sets."""
    if not sc.entry_points:
        return None
    if sc.entry_trucks_by_day is not None:
        return float(sum(np.mean(v) for v in sc.entry_trucks_by_day.values()))
    return sum(e.trucks_per_day for e in sc.entry_points)


def _layout_fit(sc: Scenario, free: np.ndarray, params: Any, cache: TravelCache | None) -> Any:
    """People each site's free land holds under the camp layout (from the cache when it holds the same fit)."""
    # the layout fit depends on geometry and layout settings only: ensemble members share it
    key = (
        geometry_key(
            free, repr(params), [s.id for s in sc.sites], geometry_key(np.asarray(sc.no_build_m, dtype=object))
        )
        if cache is not None
        else ""
    )
    fit = cache.layout_people.get(key) if cache is not None else None
    if fit is None:
        fit = layout_capacities(sc, free, params, client=cache.client if cache is not None else None)
        if cache is not None:
            cache.layout_people[key] = fit
    return fit


def _move(
    sc: Scenario,
    d: Displacement,
    parts: OrderParts | None,
    cap: SiteCapacity,
    times: ZoneSiteTimes,
    alloc: AllocationResult,
    ov: Overflow,
    step: Progress,
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


def _people(d: Displacement, sheltered: int, unsheltered: int, ov: Overflow, pres: Presence) -> People:
    """The plan's head count: who lives in the territory, who is displaced, where they are, who depends on aid."""
    displaced = int(d.displaced.sum())
    dependent = pres.dependent[:, :, -1].sum()
    people = People(
        population=int(d.population.sum()),
        displaced=displaced,
        staying=int(d.staying.sum()),
        sheltered=sheltered,
        unsheltered=unsheltered,
        overflow_on_sites=int(ov.to_site.sum()),
        overflow_on_zone_land=int(ov.to_zone_land.sum()),
        remaining_in_operation_area=int(ov.inside.sum()),
        site_residents=pres.totals["site_residents"],
        served_elsewhere=pres.totals["served_elsewhere"],
        in_plan=int(sum(pres.totals.values())),
        aid_dependent=int(round(float(dependent))),
    )
    return people


def run(
    sc: Scenario, progress: Progress | None = None, *, cache: TravelCache | None = None, rows: bool = True
) -> PlanRun:
    """Displacement -> needs -> site capacity (layout) -> walking times -> siting -> camp layouts -> verdict.

    cache: walking networks and travel-time matrices to reuse across plans of the same geometry (ensembles).
    rows: False leaves out the supply plan's daily rows per site and crossing (ensemble members keep totals).
    """
    return finish(sc, shelter(sc, progress, cache=cache), progress, cache=cache, rows=rows)


def finish(
    sc: Scenario,
    sh: Sheltering,
    progress: Progress | None = None,
    *,
    cache: TravelCache | None = None,
    rows: bool = True,
    warm: bool = True,
) -> PlanRun:
    """Daily supply and the verdict on top of a scenario's sheltering (see `shelter`).

    cache: its supply_lp keeps the last supply LP, so plans of the same structure re-solve warm.
    rows: see `run`.
    warm: False solves the supply LP from scratch even when the cache holds one of the same structure (assessment
    pairs: a package changes the crossings' capacity so much that restarting from another pair's basis took 2-4x a
    cold solve with presolve)."""
    step = progress or (lambda _msg: None)
    std, d, cap, times, alloc, people = sc.standards, sh.displacement, sh.capacity, sh.times, sh.alloc, sh.people
    kcal_pp, evacuation, site_people = sh.kcal_pp, sh.evacuation, sh.alloc.by_site
    ov, pres = sh.overflow, sh.presence
    zones = _zones(sc, d, alloc, ov)
    sites = _sites(sc, cap, alloc, ov, kcal_pp)
    flows = _flows(sc, times, alloc, ov)
    entry = _entry_results(sc)
    step("verdict")
    verdict = assess(people, sh.needs, sites, float(cap.usable_area_m2.sum()), std, network=times.network)
    verdict.append(overflow_indicator(people, ov))
    supply = sustained = delivered = groups = None
    if sc.entry_points:
        need = truckloads_needed_by_day(sc, pres, kcal_pp)
        verdict.append(entry_capacity_indicator(entry_capacity_by_day(sc), *need))
    if sc.supply.enabled and sc.entry_points and pres.people.any():
        step("supply (daily deliveries)")
        delivered = deliver(
            sc,
            pres,
            kcal_pp,
            warm=cache.supply_lp if cache is not None and warm else None,
            drive_cache=cache.drive_h if cache is not None else None,
        )
        supply, sustain_figures = supply_summary(delivered, sc, rows=rows)
        sustained = Sustain.model_validate(sustain_figures)
        dependent = {n: pres.dependent[:, g, :].sum(axis=0) for g, n in enumerate(pres.groups)}
        groups = Groups.model_validate(
            {
                **group_figures(delivered, rows=rows, dependent=dependent),
                "presence": _presence_rows(pres) if rows else [],
            }
        )

    if isinstance(sh.pending_layouts, Future) and not sh.pending_layouts.done():
        step("camp layouts (waiting for them)")
    layouts = sh.layouts
    verdict += layout_indicators([lay.summary for lay in layouts], std)
    if sc.supply.distribution is not None and supply is not None and layouts:  # issue 20, when declared
        from .stages.distribution_sites import distribution_by_site, distribution_indicators, service

        svc, max_util, src = service(sc)
        rows_dp = distribution_by_site(layouts, svc, grid=sc.layout.distance_metric == "grid")
        supply.distribution_points = DistributionPoints(
            sites=rows_dp, service=PointServiceFigures(**svc.__dict__), sources=src
        )
        verdict += distribution_indicators(rows_dp, max_util, src["max_utilisation"])
    if sustained is not None and supply is not None and groups is not None and delivered is not None:
        verdict += supply_indicators(supply, sustained, std)
        verdict += group_indicators(groups, delivered.sustain, std)
        verdict += location_indicators(delivered.sustain, std)
    if evacuation is not None:
        verdict += evacuation_indicators(evacuation, sc.evacuation.max_clearance_h)
    if sh.movement is not None:
        verdict += movement_indicators(sh.movement)
    if pres.phases is not None:
        verdict += phase_indicators(pres.phases)
        verdict = [
            sheltered_share_by_day(v, pres.people, pres.groups, pres.phases)
            if v.indicator == "displaced_people_sheltered_share"
            else v
            for v in verdict
        ]
    people_present = present(pres).astype(float)  # who the beds and the supplies are for
    monitoring = None
    if sc.monitoring is not None:
        from .stages.monitoring import monitor

        on_site = pres.people[[pres.location_ids.index(s.id) for s in sc.sites]].sum(axis=1)
        monitoring, rows_ = monitor(sc, sites, cap.usable_area_m2, on_site)
        verdict += rows_
    if sc.hospital_beds_by_day is not None:
        verdict.append(beds_indicator(np.asarray(sc.hospital_beds_by_day), people_present, std))
    if sc.fleet_trucks_by_day is not None and supply is not None:
        verdict.append(fleet_indicator(np.asarray(sc.fleet_trucks_by_day), supply))
    seasons = None
    if delivered is not None and sc.seasons is not None:
        seasons = season_needs(sc, pres, delivered.specs, {}).to_dict()  # what the supply plan's needs included
    flood, flood_row = flooded_land(sc, pres, free_geometry(sc.sites, sc.footprints))
    if flood is not None and flood_row is not None:
        seasons = {**(seasons or {}), "flood": flood}
        verdict.append(flood_row)
    health = None
    if delivered is not None and sc.health.enabled and delivered.result.objective_deprivation is not None:
        step("health (risk projection)")
        health = plan_health(sc, pres, delivered, layouts, kcal_pp, by_location=rows)
        verdict += health.verdict
    assumptions = (
        _assumptions(sc, kcal_pp, times, evacuation, supply, layouts_on=sh.layouts_on)
        + (movement_assumptions(sc, sh.movement) if sh.movement is not None else [])
        + sc.ground_notes
        + sc.package_notes
        + ((seasons or {}).get("notes") or [])
    )
    overrides = {k: f.value for k, f in std.figures.items() if f.overridden}
    plan = Plan(
        reliefplan_version=_version(),
        scenario=sc.name,
        scenario_title=sc.title,
        description=sc.description,
        crs=sc.crs.to_string(),
        horizon_days=sc.horizon_days,
        people=people,
        needs=sh.needs,
        needs_all=compute_needs(
            people.aid_dependent,
            std,
            household_size=sc.household_size,
            kcal_per_person_day=kcal_pp,
            cargo=sc.cargo,
            food_mix=sc.food_mix,
        ),
        zones=zones,
        sites=sites,
        flows=flows,
        unsheltered_by_zone={z.id: z.unsheltered for z in zones if z.unsheltered},
        siting=_siting(alloc),
        network=dict(times.network),
        entry_points=entry,
        verdict=verdict,
        standards=StandardsUsed(
            profile=std.profile,
            title=std.title,
            overrides=overrides,
            figures={k: f.model_dump(exclude={"key"}) for k, f in std.figures.items()},
        ),
        assumptions=assumptions,
        layout=[lay.summary.to_dict() for lay in layouts],
        evacuation=evacuation,
        movement=sh.movement,
        supply=supply,
        sustain=sustained,
        groups=groups,
        package=sc.package,
        monitoring=monitoring,
        arrivals=arrivals_summary(sc, d, alloc) if sc.arrivals is not None else None,
        health=None if health is None else health.block,
        seasons=seasons,
        phases=None if pres.phases is None else pres.phases.summary(),
        hold=None
        if groups is None
        else hold(groups.summary, None if health is None else health.groups, sc.horizon_days),
    )
    return PlanRun(
        plan=plan,
        layouts=layouts,
        deliveries=delivered,
        people_by_day=people_present,
        health=None if health is None else health.groups,
    )


def _flows(sc: Scenario, times: ZoneSiteTimes, alloc: AllocationResult, ov: Overflow) -> list[Flow]:
    """People from each zone to each site (by group), then the overflow: to sites, and to land in zones."""
    flow_time_s, flow_distance_m = times.pairs.lookup(alloc.zone, alloc.site)
    flows = [
        Flow(
            zone=sc.zones[i].id,
            site=sc.sites[j].id,
            group=g,
            people=int(q),
            distance_m=float(dist),
            travel_time_s=float(t),
        )
        for i, j, g, q, t, dist in zip(alloc.zone, alloc.site, alloc.group, alloc.people, flow_time_s, flow_distance_m)
    ]
    oi, oj = np.nonzero(ov.to_site)
    over_time_s, over_distance_m = times.pairs.lookup(oi, oj)
    flows += [
        Flow(
            zone=sc.zones[i].id,
            site=sc.sites[j].id,
            group="overflow",
            people=int(ov.to_site[i, j]),
            distance_m=float(dist),
            travel_time_s=float(t),
        )
        for i, j, t, dist in zip(oi, oj, over_time_s, over_distance_m)
    ]
    if ov.to_zone_land.nnz > 0:
        land_pairs = ov.to_zone_land.tocoo()
        land_ll = to_lon_lat(shapely.points(ov.zone_land_xy), sc.crs)
        land_time_s = (
            ov.zone_land_times.lookup(land_pairs.row, land_pairs.col)[0]
            if ov.zone_land_times
            else np.full(land_pairs.nnz, np.nan)
        )
        flows += [
            Flow(
                zone=sc.zones[i].id,
                site=f"overflow:{sc.zones[k].id}",
                group="overflow",
                people=int(n),
                distance_m=float("nan"),
                travel_time_s=float(t),
                to_lon=float(land_ll[k].x),
                to_lat=float(land_ll[k].y),
            )
            # the canonical CSR's stored pairs, row by row as np.nonzero gave them on the dense array
            for i, k, n, t in zip(land_pairs.row, land_pairs.col, land_pairs.data, land_time_s)
        ]
    return flows


def _entry_results(sc: Scenario) -> list[EntryPointResult]:
    """The entry points as the plan reports them (payload: the point's own, else the standard truck's)."""
    std = sc.standards
    return [
        EntryPointResult(
            id=e.id,
            name=e.name,
            trucks_per_day=e.trucks_per_day,
            design_trucks_per_day=e.design_trucks_per_day,
            payload_t=e.payload_t or std.value("truck_payload_t"),
            lon=e.geometry.x,
            lat=e.geometry.y,
        )
        for e in sc.entry_points
    ]


def _siting(alloc: AllocationResult) -> Siting:
    """How the sites were chosen: solver, status, objective, bound and gap (None where not finite)."""
    return Siting(
        solver=alloc.siting.solver,
        status=alloc.siting.status,
        objective=_finite(alloc.siting.objective),
        bound=_finite(alloc.siting.bound),
        gap=_finite(alloc.siting.gap),
        solve_time_s=alloc.siting.solve_time_s,
        open_sites=list(alloc.siting.open_ids),
        message=alloc.siting.message,
        unmet_penalty_per_person_s=alloc.unmet_penalty_per_person_s,
    )


def _presence_rows(pres: Presence) -> list[dict[str, Any]]:
    """Everyone, every day: people by group and kind of location at the end of the day, and how many are in the
    operation area."""
    kinds = np.array(pres.kinds)
    out = []
    for t in range(pres.days):
        row: dict[str, Any] = {"day": t, "in_operation_area": int(pres.inside_operation[t])}
        for g, name in enumerate(pres.groups):
            for k in ("zone", "site", "zone_land", "served", "abroad"):
                n = int(pres.people[kinds == k, g, t].sum())
                if n:
                    row[f"{name}_at_{k}"] = n
        out.append(row)
    return out
