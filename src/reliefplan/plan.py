"""Result models of a plan (the output contract) and the JSON Schema of plan.json."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, Field

from .plan_base import Out as _Out
from .plan_base import absent as _absent
from .plan_health import Groups, Health, Hold
from .plan_supply import DeliveryChain, DistributionPoints, FuelPlan, HubPlan, LastMile, Sustain

Severity = Literal["ok", "minor", "major", "critical", "info"]
Comparison = Literal[">=", "<="]


class People(_Out):
    """Head counts; sheltered + unsheltered == displaced exactly; unsheltered = overflow to sites + overflow to zone
    land + remaining in the operation area; everyone in the plan = population + site residents + served elsewhere."""

    population: int = Field(description="people living in the zones before the operation")
    displaced: int = Field(description="people inside the operation footprint, who must move")
    staying: int = Field(description="people outside the footprint, who stay")
    sheltered: int = Field(description="displaced people allocated a place at a site")
    unsheltered: int = Field(description="displaced people for whom no site place exists (the overflow group)")
    overflow_on_sites: int = Field(
        default=0,
        description="of the unsheltered, on candidate-site land beyond the "
        "camps (overflow policy, up to the maximum density)",
    )
    overflow_on_zone_land: int = Field(
        default=0, description="of the unsheltered, on land of zones outside the operation area"
    )
    remaining_in_operation_area: int = Field(
        default=0, description="of the unsheltered, nowhere to go: they remain in the area being emptied"
    )
    site_residents: int = Field(default=0, description="people already living on the candidate sites")
    served_elsewhere: int = Field(default=0, description="other people fed through the same entry points")
    in_plan: int = Field(
        default=0, description="everyone the plan accounts for each day: population + site residents + served elsewhere"
    )
    aid_dependent: int = Field(default=0, description="of them, people who depend on aid (declared shares)")


class ZoneResult(_Out):
    id: str
    name: str = ""
    pcode: str = ""
    population: int
    displaced: int
    staying: int
    displaced_share: float = Field(description="share of the zone's area-weighted population inside the footprint")
    start_day: float | None = Field(description="earliest day people in this zone must leave (None if nobody)")
    departures: list[tuple[float, int]] = Field(default=[], description="(day, people) leaving on that day")
    sheltered: int = 0
    unsheltered: int = 0
    overflow_on_sites: int = 0
    overflow_on_zone_land: int = Field(default=0, description="of this zone's unsheltered, on other zones' land")
    remaining_in_operation_area: int = 0
    aid_dependent_share: float = 1.0
    lon: float | None = None
    lat: float | None = None


class BasketLine(_Out):
    item: str
    kg_per_day: float


class Needs(_Out):
    """Requirements of a population under a standards profile; flows per day, infrastructure as counts."""

    people: int
    water_l_per_day: float
    survival_water_l_per_day: float
    kcal_per_person_day: float
    kcal_per_day: float
    food_kg_per_day: float
    food_kcal_per_kg: float = Field(default=0.0, description="energy density of the food delivered (kcal/kg)")
    basket: list[BasketLine]
    medical_kits_per_day: float
    medical_kg_per_day: float
    households: int
    tents: int
    nfi_kits: int
    shelter_items_kg: float = Field(description="one-off: tents + household kits")
    covered_area_m2: float
    site_area_m2: float
    latrines: int = Field(description="communal toilets, first phase (acute ratio)")
    latrines_female: int
    latrines_male: int
    latrines_medium_term: int
    water_taps: int
    health_posts: int
    health_centres: int
    hospitals: int
    hospital_beds: int
    health_workers: int
    distribution_points: int
    trucks_per_day_food_medical: float = Field(
        description="truckloads/day for food and medical supplies at each commodity's payload (payload_t)"
    )
    water_tankers_per_day: float = Field(
        description="water vehicle loads/day if all water were trucked, at the water "
        "payload (payload_t.water, t = m3) the supply plan uses"
    )
    shelter_items_truckloads: float = Field(default=0.0, description="truckloads of tents and household kits (one-off)")
    payload_t: dict[str, float] = Field(default={}, description="t per truck by commodity (water: per vehicle)")


class SiteResult(_Out):
    id: str
    name: str = ""
    area_m2: float = Field(description="whole polygon")
    excluded_area_m2: float = Field(description="part of the site inside the operation footprint, not usable")
    usable_fraction: float
    usable_area_m2: float
    existing_population: int
    capacity: int = Field(description="additional people the usable area holds at the profile's site area per person")
    population: int = Field(description="displaced people allocated here")
    overflow: int = Field(
        default=0, description="displaced people without a camp place on this site's land (overflow policy)"
    )
    m2_per_person: float | None = Field(
        description="usable area per person present (allocated + existing + overflow); None if empty"
    )
    open: bool
    needs: Needs | None = None
    lon: float
    lat: float


class Flow(_Out):
    zone: str
    site: str = Field(description="destination: a site id, or 'overflow:<zone id>' for the land of a zone")
    group: str = Field(
        default="all",
        description="'all', or 'general'/'vulnerable' when groups have own walk limits; "
        "'overflow' for people without a camp place",
    )
    people: int
    distance_m: float = Field(description="walking distance along the roads (or straight line x circuity on fallback)")
    travel_time_s: float = Field(description="mean walking time from the zone's displaced part to the site")
    to_lon: float | None = Field(default=None, description="destination point (overflow land)")
    to_lat: float | None = None


class Siting(_Out):
    """The siting optimiser's answer and how good it provably is."""

    solver: str
    status: str = Field(description="optimal | time_limit | feasible | infeasible")
    objective: float | None = Field(
        description="person-seconds of walking + opening costs + penalty x unsheltered "
        "(null when the solver found no plan)"
    )
    bound: float | None = Field(description="lower bound on the optimum (null when none is known)")
    gap: float | None = Field(description="(objective - bound) / objective (null without a plan)")
    solve_time_s: float
    open_sites: list[str]
    unmet_penalty_per_person_s: float
    message: str = ""


class EntryPointResult(_Out):
    id: str
    name: str
    trucks_per_day: float
    design_trucks_per_day: float | None
    payload_t: float
    lon: float
    lat: float


class Indicator(_Out):
    indicator: str
    scope: str = Field(description="'scenario' or 'site:<id>' or 'zone:<id>'")
    value: float | None
    target: float
    unit: str
    comparison: Comparison
    met: bool | None = Field(description="None when the value cannot be assessed yet")
    severity: Severity
    source: str
    note: str = ""
    p_met: float | None = Field(
        default=None,
        description="probability the indicator is met over an uncertainty "
        "ensemble of this scenario (set by `reliefplan ensemble`)",
    )


class ObservedDepartures(_Out):
    label: str
    source: str = ""
    days: list[float] = Field(description="days after the order")
    share: list[float] = Field(description="share of the area's people who had left (observed, never fitted to)")


class OrderResult(_Out):
    """An evacuation order: its area's people, the departure curve they follow, who has left by each day."""

    id: str
    footprint: str
    day: float = Field(description="day of the horizon the order is issued")
    operation_day: float | None = Field(default=None, description="day the operation starts (declared)")
    curve: dict[str, Any] = Field(description="departure curve: kind, parameters, source")
    curve_default: bool = Field(description="true: the shipped default curve (fitted to October 2023, north Gaza)")
    final_share: float = Field(description="share of the area's people who ever leave on this curve")
    people: int = Field(description="people living in the area this order covers first")
    left_by_day: list[int] = Field(
        description="people who have left the area by the end of each day "
        "(cumulative; includes those who left before the order)"
    )
    curve_share_by_day: list[float] = Field(description="the curve's share at the end of each day of the horizon")
    inside_at_operation: int | None = Field(
        default=None,
        description="people still inside the area (at home or at a site it covers) when the operation starts",
    )
    redisplaced: int = Field(default=0, description="people ordered out of a site this order covers")
    observed: ObservedDepartures | None = None


class UnorderedResult(_Out):
    people: int = Field(description="people no order covers")
    left_by_day: list[int] = Field(description="of them, people who have left by the end of each day")
    share: float = Field(description="declared share who leave without an order (before distance decay)")
    source: str = ""
    left_before_order: int = Field(default=0, description="people of ordered areas who left before their order")


class TripFigures(_Out):
    trips: int
    mean_h: float = Field(description="mean trip, queues included (h)")
    free_flow_h: float = Field(description="the same trips without queues (h)")


class SiteDayArrivals(_Out):
    site: str
    day: int
    people: int


class SupplyObjective(_Out):
    deprivation: float | None = Field(description="priority-weighted shortfall the LP minimised (t x priority)")
    truckloads: float | None = Field(description="truckloads of the second, lexicographic stage (loads)")


class SupplyDay(_Out):
    """One day and commodity, over all locations (sums of the rounded per-location rows)."""

    day: int
    commodity: str
    required_t: float = Field(description="need of the day (t; tents and kits: owed on arrival)")
    delivered_t: float = Field(description="delivered to the locations (t)")
    produced_t: float = Field(description="produced on site, e.g. local water (t)")
    shortfall_t: float = Field(description="need not met (t; tents and kits: still owed at the end of the day)")


class SupplyDelivery(_Out):
    """One day, location and commodity."""

    day: int
    site: str = Field(description="location id (site, zone or served population)")
    commodity: str
    required_t: float = Field(description="need of the day (t)")
    delivered_t: float = Field(description="delivered (t)")
    produced_t: float = Field(description="produced on site (t)")
    consumed_t: float = Field(description="consumed (t)")
    stock_end_t: float = Field(description="stock at the end of the day (t)")
    shortfall_t: float = Field(description="need not met (t)")


class EntryUse(_Out):
    """One entry point and day."""

    entry_point: str
    day: int
    capacity_t: float = Field(description="what the entry point can take that day (t)")
    used_t: float = Field(description="tonnes entered (t)")
    trucks_available: float = Field(description="capacity in trucks at the entry point's payload (trucks)")
    trucks_used: int = Field(description="trucks the tonnes entered need (trucks)")
    by_commodity_t: dict[str, float] = Field(description="tonnes entered per commodity (t)")


class BindingResult(_Out):
    """A constraint that limits the supply plan, what relaxing it would buy (LP duals), in words."""

    kind: str = Field(description="entry, arc, warehouse_storage, site_storage, or a chain stage")
    id: str = Field(description="the entry point, road, store or stage")
    first_day: int
    last_day: int
    shadow_price: list[float] = Field(description="dual value per day (priority-weighted t per unit of step)")
    step: float = Field(description="the change the text speaks of, in step_unit")
    step_unit: str = Field(description="trucks/day, loads/day, or t of storage")
    predicted_cut: float = Field(description="priority-weighted shortfall the step would cut (upper bound)")
    commodity: str | None = Field(description="the commodity the cut is for, when only one")
    predicted_cut_t: float | None = Field(description="tonnes of that commodity's shortfall cut (t)")
    text: str


class EntryClosure(_Out):
    closes_day: int = Field(description="first day the entry point takes nothing")
    reason: str


class SupplyPlan(_Out):
    """plan.json `supply`: the daily deliveries (stages.deliveries over solvers.supply), status and gap, what
    binds; the chain, fuel, last-mile, hub and distribution-point parts only when declared (absent otherwise)."""

    status: str = Field(description="optimal | time_limit | infeasible | ... (HiGHS, lower case)")
    objective: SupplyObjective | None
    best_bound: float | None = Field(description="lower bound on the deprivation objective")
    gap: float | None = Field(description="(objective - bound) / objective")
    method: str = Field(default="direct", description="how the LP was solved: sifting (with its solves) or direct")
    days: int = Field(description="days of the supply horizon")
    entry_capacity: str = Field(description="how entry capacity is set (scenario supply.entry_capacity)")
    daily: list[SupplyDay]
    deliveries: list[SupplyDelivery] = Field(description="per day, location and commodity (empty for ensemble members)")
    entry_use: list[EntryUse] = Field(description="per entry point and day (empty for ensemble members)")
    binding: list[BindingResult] = Field(description="binding constraints, largest predicted cut first")
    shortfall_t: dict[str, float] = Field(description="per commodity, need not met over the horizon (t)")
    required_t: dict[str, float] = Field(description="per commodity, need over the horizon (t)")
    first_shortfall_day: dict[str, int | None] = Field(description="per commodity, first day short (None: never)")
    fleet_trucks: int = Field(description="trucks the deliveries need at the same time (trucks)")
    trucks_per_day: list[int] = Field(description="trucks on the road each day (trucks)")
    max_conservation_residual_t: float | None = Field(description="largest flow-balance residual of the LP (t)")
    sharing: str = Field(description="how scarce supply is shared between locations (scenario sharing.policy)")
    carry_over: dict[str, bool] = Field(description="per commodity: unmet need carries over to later days")
    payload_t: dict[str, float] = Field(description="t per truck by commodity (water: per vehicle)")
    payload_source: dict[str, str]
    food_kcal_per_kg: float = Field(description="energy density of the food delivered (kcal/kg)")
    entry_closures: dict[str, EntryClosure] = Field(description="entry point id -> when it closes and why")
    local_water_m3_per_day: list[float] = Field(description="water produced locally each day (m3)")
    locations: int = Field(description="locations the supply plan feeds")
    areas: dict[str, Any] | None = Field(
        default=None,
        exclude_if=_absent,
        description=(
            "when the locations were more than supply.max_locations: how they were grouped into supply areas "
            "(stages/supply_areas.py) and how per-location figures are read"
        ),
    )
    chain: DeliveryChain | None = Field(
        default=None,
        exclude_if=_absent,
        description=("entry modes and the delivery chain, when declared (docs/delivery.md)"),
    )
    fuel: FuelPlan | None = Field(default=None, exclude_if=_absent, description="fuel, when declared")
    last_mile: LastMile | None = Field(
        default=None,
        exclude_if=_absent,
        description=("one day's last-mile routes per origin, when supply.routing is declared"),
    )
    hubs: HubPlan | None = Field(default=None, exclude_if=_absent, description="hubs, when declared")
    distribution_points: DistributionPoints | None = Field(
        default=None,
        exclude_if=_absent,
        description=("per opened site its distribution points and queues, when supply.distribution is declared"),
    )


class EvacuationArrival(_Out):
    site: str = Field(description="destination: a site id, or 'overflow:<zone id>' for the land of a zone")
    t_s: float = Field(description="end of the time step in which these people arrive (s from the start of day 0)")
    people: int = Field(description="people arriving at this destination during that time step")


class EvacuationBottleneck(_Out):
    """A road link where people queue: demand exceeded its capacity."""

    link: int = Field(description="index of the link in the walking network")
    capacity_per_h: float = Field(description="people per hour the link carries")
    saturated_from_h: float = Field(description="first time the link is saturated (h)")
    saturated_until_h: float = Field(description="last time the link is saturated (h)")
    max_queue_people: int = Field(description="longest queue at the link (people)")
    max_delay_h: float = Field(description="time the longest queue needs to discharge at the link's capacity (h)")
    coordinates: list[list[float]] = Field(description="the link as [lon, lat] points (WGS84)")


class CondensedNetwork(_Out):
    nodes: int = Field(description="nodes of the road network the solver ran on, after condensing")
    links: int = Field(description="links of the condensed network")


class EvacuationTiming(_Out):
    """plan.json `evacuation`: the move of the plan's zone -> site flows under road capacity (stages.movement)."""

    status: str = Field(description="optimal | optimal_clearance (exact method) | simulated (queue model)")
    method: Literal["exact", "queue"] = Field(description="exact: time-expanded min-cost flow; queue: link queues")
    routing: Literal["free", "fixed"] = Field(description="free: best achievable routes; fixed: shortest roads")
    time_step_s: float = Field(description="time step of the schedule (s)")
    departure: Literal["all_at_once", "spread"] = Field(description="how departures of a day are released")
    spread_h: float = Field(description="departures spread uniformly over this long (h; with departure 'spread')")
    clearance_hours: float | None = Field(
        description="time until the last person arrives (h); None when people remain on the way at the horizon"
    )
    people_moving: int = Field(description="people who move (to a camp place or to overflow land)")
    arrived: int = Field(description="people who reached their destination")
    not_arrived: int = Field(description="people still on the way at the horizon")
    objective_person_s: float | None = Field(
        description="total arrival time of everyone (person-seconds; exact method only)"
    )
    best_bound_person_s: float | None = Field(description="lower bound on the objective (person-seconds)")
    gap: float | None = Field(description="(objective - bound) / objective")
    condensed: CondensedNetwork
    arrivals: list[EvacuationArrival] = Field(description="people arriving, per destination and time step")
    bottlenecks: list[EvacuationBottleneck] = Field(
        description="the saturated links with the longest queueing delay, worst first"
    )
    explanations: list[str] = Field(description="what the solver did and why, in words")


class MovementRun(_Out):
    """One run of the movement over days: ``plan`` (the siting's assignment) or ``arrival`` (sites fill in the
    order people arrive). The four day series add up to every person of the ordered and unordered areas."""

    assignment: Literal["plan", "arrival"]
    at_origin: int
    on_road: int
    at_sites: int
    without_place: int
    turned_away: int = Field(description="arrivals that found their site full or closed and moved on")
    redisplaced: int = Field(description="people who had a place and were ordered out of it again")
    cannot_leave: int = Field(description="people who would leave but have no road to any site")
    walking_over_h: int = Field(description="trips on foot longer than max_walk_h")
    vulnerable_walking_over_h: int
    walking_over_h_by_mode: dict[str, int]
    trips: dict[str, TripFigures]
    at_origin_by_day: list[int]
    on_road_by_day: list[int]
    at_sites_by_day: list[int]
    without_place_by_day: list[int]
    departures_by_mode_day: dict[str, list[int]]
    arrivals_by_mode_day: dict[str, list[int]]
    arrivals: list[SiteDayArrivals] = Field(description="people taking a place, per destination and day")
    bottlenecks: list[dict[str, Any]] = []
    notes: list[str] = []


class MovementResult(_Out):
    """How people really move over days (scenario block ``movement``; docs/movement.md)."""

    assignment: Literal["plan", "arrival"] = Field(description="the run the verdict reports")
    step_s: float
    max_walk_h: float
    departure_hours: list[float]
    orders: list[OrderResult]
    unordered: UnorderedResult
    modes: list[dict[str, Any]]
    runs: dict[str, MovementRun]
    comparison: dict[str, Any] | None = Field(default=None, description="arrival order vs the plan, figure by figure")
    network: dict[str, int] = {}


class MonitoredBlock(_Out):
    """One block of a monitored site as the snapshot gives it (figures None where the data says nothing)."""

    id: str
    people: int
    relocated: int = Field(default=0, description="of them, inside an operation footprint: they must move")
    area_m2: float | None = Field(default=None, description="block outline area (blocks file)")
    m2_per_person: float | None = None
    latrines: int | None = None
    people_per_latrine: float | None = None
    taps: int | None = None
    people_per_tap: float | None = None
    max_distance_to_water_m: float | None = Field(
        default=None, description="farthest sampled point of the block to its nearest water point, straight line"
    )
    max_distance_to_latrine_m: float | None = None
    standards_met: dict[str, bool | None] = {}


class MonitoredSite(_Out):
    """A site of an existing settlement: the snapshot's figures and standards, then the site after the plan."""

    id: str
    name: str = ""
    people: int = Field(description="people on the site in the snapshot")
    relocated: int = Field(default=0, description="of them, inside an operation footprint, moved by the plan")
    usable_area_m2: float = Field(description="site area x usable fraction (the whole site, as it is)")
    m2_per_person: float | None = None
    latrines: int | None = None
    people_per_latrine: float | None = None
    taps: int | None = None
    people_per_tap: float | None = None
    max_distance_to_water_m: float | None = None
    max_distance_to_latrine_m: float | None = None
    standards_met: dict[str, bool | None] = Field(
        default={}, description="snapshot, per standard: met, not met, or None (no data)"
    )
    spare_capacity: int = Field(
        default=0,
        description="people the site can still take at the standard (free usable "
        "area / site area per person, layout cap, minus the residents who stay)",
    )
    people_after: int = Field(description="residents who stay + people the plan sends here (camp and overflow)")
    m2_per_person_after: float | None = Field(
        default=None, description="free usable area (footprint excluded) per person after the plan"
    )
    latrines_needed_after: int = 0
    additional_latrines: int | None = Field(default=None, description="beyond those installed (None: unknown)")
    taps_needed_after: int = 0
    additional_taps: int | None = None
    days_short_of_latrines: int | None = Field(
        default=None,
        description="days over the horizon with more people "
        "per latrine than the standard (installed series or snapshot)",
    )
    first_day_short_of_latrines: int | None = None
    days_short_of_taps: int | None = None
    first_day_short_of_taps: int | None = None
    blocks: list[MonitoredBlock] = []


class MonitoringResult(_Out):
    """plan.json `monitoring`: an existing settlement checked as it is, and where its spare capacity goes."""

    file: str
    date: str = Field(description="the snapshot's date (ISO)")
    start_date: str = Field(description="day 0 of the plan (ISO)")
    day: int = Field(description="the snapshot's day in the plan")
    people: int
    relocated: int
    blocks: int
    sites_meeting: dict[str, int] = Field(description="per standard: sites with data that meet it")
    sites_with_data: dict[str, int]
    targets: dict[str, float] = Field(description="the standard figures used (profile)")
    sites: list[MonitoredSite]
    notes: list[str] = []


class StandardsUsed(_Out):
    profile: str
    title: str
    overrides: dict[str, float]
    figures: dict[str, dict[str, Any]]


class Plan(_Out):
    """plan.json: everything a planner needs to check the plan, with sources."""

    reliefplan_version: str
    scenario: str
    scenario_title: str
    description: str
    crs: str = Field(description="local metric CRS used for areas and distances")
    horizon_days: int
    people: People
    needs: Needs
    needs_all: Needs | None = Field(
        default=None,
        description="needs of everyone the entry points feed (the "
        "aid-dependent people of every group, on the last day)",
    )
    zones: list[ZoneResult]
    sites: list[SiteResult]
    flows: list[Flow]
    unsheltered_by_zone: dict[str, int]
    siting: Siting
    network: dict[str, Any] = Field(
        description="walking network used for travel times: nodes, links, mode, source file, fallback used or not"
    )
    entry_points: list[EntryPointResult]
    verdict: list[Indicator]
    standards: StandardsUsed
    assumptions: list[str]
    warnings: list[str] = []
    evacuation: EvacuationTiming | None = Field(
        default=None,
        description=(
            "the move under road capacity: status, method, time step, clearance_hours, arrivals per site over time, "
            "bottleneck links (saturated links with queue and delay); None when not computed"
        ),
    )
    supply: SupplyPlan | None = Field(
        default=None,
        description=(
            "daily deliveries: per day and commodity required/delivered/produced/shortfall t, entry use (trucks used vs "
            "available per crossing and day), binding constraints in words, fleet; None when not computed"
        ),
    )
    movement: MovementResult | None = Field(
        default=None,
        description=(
            "the move over days under evacuation orders (scenario block `movement`): departures per order, unordered "
            "leavers, arrivals per site and day, re-displacement, walking burden, per mode; None when not declared"
        ),
    )
    sustain: Sustain | None = Field(
        default=None,
        description=(
            "coverage series per commodity, first shortfall day per commodity and site, people below standard"
        ),
    )
    groups: Groups | None = Field(
        default=None,
        description=(
            "per group of people (staying, sheltered, overflow, site_residents, served_elsewhere): people, litres of "
            "water and kcal of food delivered per person per day, share of each need met, people still owed shelter "
            "items, cumulative energy and water deficit per person; `summary` over the horizon, `daily` by day, "
            "`presence` people by group and kind of location by day"
        ),
    )
    package: str | None = Field(
        default=None,
        description=(
            "the assistance package whose resources this plan counts (`reliefplan assess`); None: the scenario alone"
        ),
    )
    health: Health | None = Field(
        default=None,
        description=(
            "risk projection, not a prediction (stages.health, docs/health.md): per group P10/P50/P90 by day of weight "
            "loss, acute malnutrition (GAM/SAM under 5, adult BMI), extreme food gaps, relative risk of diarrhoea and "
            "respiratory infection, crude and under-5 death rates; the first day each Sphere/WHO/IPC threshold is "
            "crossed (`crossings`, P10/P50/P90 over draws), excess deaths as intervals only, per location what is "
            "crossed first; the inputs fed, assumptions and what is not modelled; None when not computed"
        ),
    )
    seasons: dict[str, Any] | None = Field(
        default=None,
        description=(
            "wear and seasons in the needs (declared `seasons:`): tonnes added by day per part (tent replacements, "
            "winterisation kits, heat water), items, and how each was counted; None when not declared"
        ),
    )
    phases: dict[str, Any] | None = Field(
        default=None,
        description=(
            "declared `phases:` (sites opening, shrinking, closing on a date; returns home): people re-displaced "
            "(moved again from a site they were at), diverted (arrivals turned from a closed or full site), returned "
            "home, who lost a camp place, cumulative by day, and camp places by day; `moves`: every move the phases "
            "make (day, from, to, reason, with a place, people, straight-line distance, walking-time estimate) and "
            "`redisplaced_person_km`; None when not declared"
        ),
    )
    hold: Hold | None = Field(
        default=None,
        description=(
            "how long can it hold: per group the first day each standard falls short (supply plan) and each health "
            "threshold is projected to be crossed (P10/P50/P90), what fails first per group and over all groups"
        ),
    )
    layout: list[dict[str, Any]] = Field(
        default=[],
        description="per opened site: plots, people held, taps, "
        "latrines, max distance plot->water point and plot->latrine, covered and "
        "gross m2 per person, standards met",
    )
    monitoring: MonitoringResult | None = Field(
        default=None,
        description="an existing settlement's snapshot checked site by site and block by block; None without one",
    )
    arrivals: dict[str, Any] | None = Field(
        default=None,
        description=(
            "people arriving at transit points: per point people by day, first and last day, sheltered; None "
            "without an arrivals series"
        ),
    )


def json_schema(model: type[BaseModel], name: str) -> dict[str, Any]:
    """The JSON Schema of an output model, as shipped in schemas/NAME.schema.json."""
    schema = model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://reliefplan.invalid/schemas/{name}.schema.json"
    return schema


def plan_json_schema() -> dict[str, Any]:
    return json_schema(Plan, "plan")


def plan_json_schema_text() -> str:
    return json.dumps(plan_json_schema(), indent=2, sort_keys=True) + "\n"
