"""Runs the stages in order: the only module that knows the order.

Every step of the plan is one call below into a module of ``stages/``: displacement (``arrivals``, ``orders``),
``needs``, ``capacity`` and ``camps``, ``travel``, ``allocation``, ``overflow``, ``movement``, ``presence``,
``deliveries``, ``health``, ``seasons``, ``monitoring``, ``verdict``; ``results`` and ``assumptions`` turn them
into the plan's rows and words.
"""

from __future__ import annotations

import functools
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Callable, ParamSpec

import numpy as np

from .plan import (
    CampLayoutSummary,
    EvacuationTiming,
    Indicator,
    MonitoringResult,
    MovementResult,
    Needs,
    People,
    Phases,
    Plan,
    Seasons,
    SiteResult,
    StandardFigure,
    StandardsUsed,
    SupplyPlan,
    network_result,
)
from .plan_health import Groups
from .plan_supply import DistributionPoints, PointServiceFigures, Sustain
from .scenario.folder import Scenario, free_geometry
from .solvers.health import HealthProjection
from .solvers.layout import CampLayout
from .stages.allocation import AllocationResult, allocate
from .stages.arrivals import abroad, arrivals_summary, displace_all, present
from .stages.assumptions import assumptions
from .stages.camps import lay_out, layout_fit, layout_params
from .stages.capacity import SiteCapacity, site_capacity
from .stages.deliveries import (
    Deliveries,
    Operate,
    deliver,
    entry_capacity_by_day,
    group_figures,
    supply_summary,
    SupplyDemand,
    supply_demand,
    truckloads_needed_by_day,
)
from .stages.displacement import Displacement
from .stages.health import PlanHealth, hold, plan_health
from .stages.movement import move_everyone
from .stages.needs import compute_needs, energy_kcal_per_person_day
from .stages.orders import DaysMovement, OrderParts, displace_on_orders, inside_ordered_areas, movement_assumptions
from .stages.orders import movement_result
from .stages.overflow import Overflow, place_overflow
from .stages.phase_moves import route_phase_moves
from .stages.phases import closed_within, phase_indicators, sheltered_share_by_day
from .stages.presence import Presence, presence
from .stages.second_walk import land_pairs
from .stages.results import entry_results, flow_results, head_count, presence_rows, site_results, siting_result
from .stages.results import zone_results
from .stages.seasons import flooded_land, season_needs
from .stages.travel import TravelCache, ZoneSiteTimes, walking_times
from .stages.verdict_movement import evacuation_indicators, movement_indicators
from .stages.verdict import (
    assess,
    beds_indicator,
    entry_capacity_indicator,
    fleet_indicator,
    group_indicators,
    layout_indicators,
    location_indicators,
    overflow_indicator,
    supply_indicators,
)

Progress = Callable[[str], None]
_P = ParamSpec("_P")


@functools.cache  # a metadata lookup on disk (~1 ms): once per process, not once per plan
def _version() -> str:
    try:
        return version("reliefplan")
    except PackageNotFoundError:  # running from a source tree without install
        return "0+unknown"


@dataclass
class PlanRun:
    """A plan and the geometry-heavy results that do not go into plan.json (camp layouts)."""

    plan: Plan
    layouts: list[CampLayout] = field(default_factory=list)  # per opened site, in site order
    deliveries: Deliveries | None = None  # the supply instance and its solution, when computed
    people_by_day: np.ndarray | None = None  # [days]: everyone in the plan each day (all groups, all locations)
    health: HealthProjection | None = None  # the groups' health projection, every draw (ensembles pool them)


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


def _in_background(fn: Callable[_P, list[CampLayout]], *args: _P.args, **kwargs: _P.kwargs) -> Future[list[CampLayout]]:
    """fn(*args) in a thread of its own. Camp layouts (Python, numpy, shapely) then run while the main thread moves
    people and solves the supply LP, which spend their time in OR-Tools and HiGHS with the GIL released: on two cores
    the layouts cost no wall time (the 60-day Rafah plan: 3.1 s of layouts)."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reliefplan-layouts")
    try:
        return pool.submit(fn, *args, **kwargs)
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

    step("needs")
    kcal_pp = energy_kcal_per_person_day(std, sc.population_structure)
    needs = compute_needs(
        int(d.displaced.sum()),
        std,
        household_size=sc.household_size,
        kcal_per_person_day=kcal_pp,
        cargo=sc.cargo,
        food_mix=sc.food_mix,
    )

    step("site capacity (camp layouts)" if sc.layout.enabled else "site capacity")
    free = free_geometry(sc.sites, sc.footprints)
    params = layout_params(sc) if sc.layout.enabled else None
    fit = None if params is None else layout_fit(sc, free, params, cache)
    cap = site_capacity(sc.sites, sc.footprints, std, layout_people=fit)

    step("walking times")
    times = walking_times(sc, d.displaced_part_m, cap.point_xy, moving=d.displaced > 0, cache=cache)

    step("siting")
    alloc = _site(sc, d, cap, times, parts)

    step("overflow (people without a site place)")
    ov = _overflow(sc, d, cap, times, alloc, cache)
    layouts: Future[list[CampLayout]] | list[CampLayout] = []
    if params is not None and sc.layout.draw:
        step("camp layouts (in the background)")
        client = cache.client if cache is not None else None
        layouts = _in_background(lay_out, sc, free, alloc.by_site, params, client=client)

    evacuation, days = move_everyone(sc, d, parts, cap, times, alloc, ov, step)
    pres = _presence(sc, d, parts, cap, times, alloc, ov, evacuation, days, step)
    people = head_count(d, int(alloc.people.sum()), int(alloc.unmet.sum()), ov, pres)
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


def _site(
    sc: Scenario, d: Displacement, cap: SiteCapacity, times: ZoneSiteTimes, parts: OrderParts | None
) -> AllocationResult:
    """The siting, checked: nobody beyond a site's capacity, every displaced person sheltered or not."""
    alloc = allocate(
        sc,
        d.displaced,
        cap.capacity,
        times.pairs,
        leaving_by_day=d.displaced_by_day if parts is not None else None,
        site_xy=cap.point_xy,
    )
    sheltered = int(alloc.people.sum())
    unsheltered = int(alloc.unmet.sum())
    displaced = int(d.displaced.sum())
    if (alloc.by_site > cap.capacity).any():
        raise AssertionError("siting placed people beyond a site's capacity")
    if sheltered + unsheltered != displaced:  # conservation is a hard invariant, never a rounding matter
        raise AssertionError(f"people not conserved: {sheltered} + {unsheltered} != {displaced}")
    return alloc


def _overflow(
    sc: Scenario,
    d: Displacement,
    cap: SiteCapacity,
    times: ZoneSiteTimes,
    alloc: AllocationResult,
    cache: TravelCache | None,
) -> Overflow:
    """Where the people without a camp place go (policy ``overflow``), checked: everyone of them is placed."""
    unsheltered = int(alloc.unmet.sum())
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
        land_pairs(sc, times.pairs, cap.point_xy, alloc.unmet_penalty_per_person_s),  # closing land priced
        lambda xy, moving: walking_times(sc, d.displaced_part_m, xy, moving=moving, cache=cache).pairs,
    )
    if ov.total != unsheltered:
        raise AssertionError(f"overflow not conserved: {ov.total} placed of {unsheltered} without a site place")
    return ov


def _presence(
    sc: Scenario,
    d: Displacement,
    parts: OrderParts | None,
    cap: SiteCapacity,
    times: ZoneSiteTimes,
    alloc: AllocationResult,
    ov: Overflow,
    evacuation: EvacuationTiming | None,
    days: DaysMovement | None,
    step: Progress,
) -> Presence:
    """Everyone's location by group and day: the phases' re-moves routed, the ordered areas, people abroad."""
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
    return abroad(pres, sc, alloc.by_zone, ov.to_site.sum(axis=1) + ov.zone_land_by_zone + ov.inside)


def run(
    sc: Scenario, progress: Progress | None = None, *, cache: TravelCache | None = None, rows: bool = True
) -> PlanRun:
    """Displacement -> needs -> site capacity (layout) -> walking times -> siting -> camp layouts -> verdict.

    cache: walking networks and travel-time matrices to reuse across plans of the same geometry (ensembles).
    rows: False leaves out the supply plan's daily rows per site and crossing (ensemble members keep totals).
    """
    return finish(sc, shelter(sc, progress, cache=cache), progress, cache=cache, rows=rows)


@dataclass
class _Supplied:
    """The daily supply plan and the figures drawn from it (all present together, or none)."""

    delivered: Deliveries
    supply: SupplyPlan
    sustained: Sustain
    groups: Groups


def finish(
    sc: Scenario,
    sh: Sheltering,
    progress: Progress | None = None,
    *,
    cache: TravelCache | None = None,
    rows: bool = True,
    warm: bool = True,
    operate: Operate | None = None,
) -> PlanRun:
    """Daily supply and the verdict on top of a scenario's sheltering (see `shelter`).

    cache: its supply_lp keeps the last supply LP, so plans of the same structure re-solve warm.
    rows: see `run`.
    warm: False solves the supply LP from scratch even when the cache holds one of the same structure (assessment
    pairs: a package changes the crossings' capacity so much that restarting from another pair's basis took 2-4x a
    cold solve with presolve)."""
    step = progress or (lambda _msg: None)
    std, cap, pres = sc.standards, sh.capacity, sh.presence
    sites = site_results(sc, cap, sh.alloc, sh.overflow, sh.kcal_pp)
    step("verdict")
    verdict = assess(sh.people, sh.needs, sites, float(cap.usable_area_m2.sum()), std, network=sh.times.network)
    verdict.append(overflow_indicator(sh.people, sh.overflow))
    # once: the check and the LP share it; without entry points the check counts 0 trucks/day against everyone's
    # need (a plan that cannot feed anyone must not read "holds")
    demand = supply_demand(sc, pres, sh.kcal_pp) if sc.entry_points or sc.supply.enabled else None
    if demand is not None:
        need = truckloads_needed_by_day(sc, pres, sh.kcal_pp, demand)
        verdict.append(entry_capacity_indicator(entry_capacity_by_day(sc), *need))
    sup = _supply(sc, pres, sh.kcal_pp, step, cache=cache, rows=rows, warm=warm, demand=demand, operate=operate)

    if isinstance(sh.pending_layouts, Future) and not sh.pending_layouts.done():
        step("camp layouts (waiting for them)")
    layouts = sh.layouts
    verdict += _supply_checks(sc, layouts, sup)
    verdict = _movement_checks(sc, sh, verdict)
    people_present = present(pres).astype(float)  # who the beds and the supplies are for
    monitoring: MonitoringResult | None = None
    if sc.monitoring is not None:
        from .stages.monitoring import monitor

        on_site = pres.people[[pres.location_ids.index(s.id) for s in sc.sites]].sum(axis=1)
        monitoring, rows_ = monitor(sc, sites, cap.usable_area_m2, on_site)
        verdict += rows_
    if sc.hospital_beds_by_day is not None:
        verdict.append(beds_indicator(np.asarray(sc.hospital_beds_by_day), people_present, std))
    if sc.fleet_trucks_by_day is not None and sup is not None:
        verdict.append(fleet_indicator(np.asarray(sc.fleet_trucks_by_day), sup.supply))
    seasons = None
    if sup is not None and sc.seasons is not None:
        seasons = season_needs(sc, pres, sup.delivered.specs, {}).summary()  # what the supply plan's needs included
    flood, flood_row = flooded_land(sc, pres, free_geometry(sc.sites, sc.footprints))
    if flood is not None and flood_row is not None:
        seasons = (seasons or Seasons()).model_copy(update={"flood": flood})
        verdict.append(flood_row)
    health = None
    if sup is not None and sc.health.enabled and sup.delivered.result.objective_deprivation is not None:
        step("health (risk projection)")
        health = plan_health(sc, pres, sup.delivered, layouts, sh.kcal_pp, by_location=rows)
        verdict += health.verdict
    plan = _plan(sc, sh, sites, verdict, layouts, sup, health, monitoring=monitoring, seasons=seasons)
    return PlanRun(
        plan=plan,
        layouts=layouts,
        deliveries=None if sup is None else sup.delivered,
        people_by_day=people_present,
        health=None if health is None else health.groups,
    )


def _supply(
    sc: Scenario,
    pres: Presence,
    kcal_pp: float,
    step: Progress,
    *,
    cache: TravelCache | None,
    rows: bool,
    warm: bool,
    demand: SupplyDemand | None = None,
    operate: Operate | None = None,
) -> _Supplied | None:
    """The daily deliveries to everyone in the plan, when the scenario has entry points and supply on."""
    if not (sc.supply.enabled and sc.entry_points and pres.people.any()):
        return None
    step("supply (daily deliveries)")
    delivered = deliver(
        sc,
        pres,
        kcal_pp,
        warm=cache.supply_lp if cache is not None and warm else None,
        drive_cache=cache.drive_h if cache is not None else None,
        demand=demand,
        operate=operate,
    )
    supply, sustain_figures = supply_summary(delivered, sc, rows=rows)
    dependent = {n: pres.dependent[:, g, :].sum(axis=0) for g, n in enumerate(pres.groups)}
    groups = group_figures(delivered, rows=rows, dependent=dependent)
    groups.presence = presence_rows(pres) if rows else []
    return _Supplied(delivered, supply, sustain_figures, groups)


def _supply_checks(sc: Scenario, layouts: list[CampLayout], sup: _Supplied | None) -> list[Indicator]:
    """The camps' layouts, their distribution points (issue 20, when declared) and the supply's standards."""
    std = sc.standards
    out = layout_indicators([lay.summary for lay in layouts], std)
    if sc.supply.distribution is not None and sup is not None and layouts:
        from .stages.distribution_sites import distribution_by_site, distribution_indicators, service

        svc, max_util, src = service(sc)
        rows_dp = distribution_by_site(layouts, svc, grid=sc.layout.distance_metric == "grid")
        sup.supply.distribution_points = DistributionPoints(
            sites=rows_dp, service=PointServiceFigures(**svc.__dict__), sources=src
        )
        out += distribution_indicators(rows_dp, max_util, src["max_utilisation"])
    if sup is not None:
        out += supply_indicators(sup.supply, sup.sustained, std)
        out += group_indicators(sup.groups, sup.delivered.sustain, std)
        out += location_indicators(sup.delivered.sustain, std)
    return out


def _movement_checks(sc: Scenario, sh: Sheltering, verdict: list[Indicator]) -> list[Indicator]:
    """The verdict with the move's checks added: evacuation clearance, the move over days, the phases (whose
    sheltered share is then counted day by day)."""
    pres = sh.presence
    if sh.evacuation is not None:
        verdict = verdict + evacuation_indicators(sh.evacuation, sc.evacuation.max_clearance_h)
    if sh.movement is not None:
        verdict = verdict + movement_indicators(sh.movement)
    if pres.phases is not None:
        verdict = verdict + phase_indicators(pres.phases)
        verdict = [
            sheltered_share_by_day(v, pres.people, pres.groups, pres.phases)
            if v.indicator == "displaced_people_sheltered_share"
            else v
            for v in verdict
        ]
    return verdict


def _plan(
    sc: Scenario,
    sh: Sheltering,
    sites: list[SiteResult],
    verdict: list[Indicator],
    layouts: list[CampLayout],
    sup: _Supplied | None,
    health: PlanHealth | None,
    *,
    monitoring: MonitoringResult | None,
    seasons: Seasons | None,
) -> Plan:
    """plan.json: the stages' results, the verdict and the assumptions in words."""
    std, people, pres = sc.standards, sh.people, sh.presence
    zones = zone_results(sc, sh.displacement, sh.alloc, sh.overflow)
    supply = None if sup is None else sup.supply
    groups = None if sup is None else sup.groups
    words = (
        assumptions(sc, sh.kcal_pp, sh.times, sh.evacuation, supply, layouts_on=sh.layouts_on)
        + (movement_assumptions(sc, sh.movement) if sh.movement is not None else [])
        + sc.ground_notes
        + sc.package_notes
        + ((seasons.notes if seasons is not None else None) or [])
    )
    overrides = {k: f.value for k, f in std.figures.items() if f.overridden}
    return Plan(
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
            kcal_per_person_day=sh.kcal_pp,
            cargo=sc.cargo,
            food_mix=sc.food_mix,
        ),
        zones=zones,
        sites=sites,
        flows=flow_results(sc, sh.times, sh.alloc, sh.overflow),
        unsheltered_by_zone={z.id: z.unsheltered for z in zones if z.unsheltered},
        siting=siting_result(sh.alloc),
        network=network_result(sh.times.network),
        entry_points=entry_results(sc),
        verdict=verdict,
        standards=StandardsUsed(
            profile=std.profile,
            title=std.title,
            overrides=overrides,
            figures={k: StandardFigure.model_validate(f.model_dump(exclude={"key"})) for k, f in std.figures.items()},
        ),
        assumptions=words,
        layout=[CampLayoutSummary.model_validate(lay.summary.to_dict()) for lay in layouts],
        evacuation=sh.evacuation,
        movement=sh.movement,
        supply=supply,
        sustain=None if sup is None else sup.sustained,
        groups=groups,
        package=sc.package,
        monitoring=monitoring,
        arrivals=arrivals_summary(sc, sh.displacement, sh.alloc) if sc.arrivals is not None else None,
        health=None if health is None else health.block,
        seasons=seasons,
        phases=None if pres.phases is None else Phases.model_validate(pres.phases.summary()),
        hold=None
        if groups is None
        else hold(groups.summary, None if health is None else health.groups, sc.horizon_days),
    )
