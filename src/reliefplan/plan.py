"""Result models of a plan (the output contract) and the JSON Schema of plan.json."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, Field

from .plan_base import Out as _Out
from .plan_base import absent
from .plan_health import Groups, Health, Hold
from .plan_monitoring import MonitoredBlock, MonitoredSite, MonitoringResult
from .plan_movement import (
    ArrivalPoint,
    Arrivals,
    ComparedFigure,
    ComparedTrip,
    CondensedNetwork,
    EmpiricalCurve,
    EvacuationArrival,
    EvacuationBottleneck,
    EvacuationTiming,
    LogisticCurve,
    MovementBottleneck,
    MovementMode,
    MovementResult,
    MovementRun,
    ObservedDepartures,
    OrderResult,
    RunComparison,
    SiteDayArrivals,
    TripFigures,
    UnorderedResult,
    WeibullCurve,
    departure_curve,
)
from .plan_phases import Flood, FloodedSite, PhaseEvent, PhaseMove, Phases, RoutedPhaseMoves, Seasons, SitingReMove
from .plan_supply import (
    BindingResult,
    EntryClosure,
    EntryUse,
    SupplyAreas,
    SupplyDay,
    SupplyDelivery,
    SupplyObjective,
    SupplyPlan,
    Sustain,
)

# the models of plan.json, wherever they are defined (plan_*.py hold its bigger blocks)
__all__ = [
    "ArrivalPoint",
    "Arrivals",
    "BasketLine",
    "BindingResult",
    "CampLayoutSummary",
    "ComparedFigure",
    "ComparedTrip",
    "Comparison",
    "CondensedNetwork",
    "EmpiricalCurve",
    "EntryClosure",
    "EntryPointResult",
    "EntryUse",
    "EvacuationArrival",
    "EvacuationBottleneck",
    "EvacuationTiming",
    "Flood",
    "FloodedSite",
    "Flow",
    "Groups",
    "Health",
    "Hold",
    "Indicator",
    "LogisticCurve",
    "MonitoredBlock",
    "MonitoredSite",
    "MonitoringResult",
    "MovementBottleneck",
    "MovementMode",
    "MovementResult",
    "MovementRun",
    "Needs",
    "Network",
    "ObservedDepartures",
    "OrderResult",
    "People",
    "PhaseEvent",
    "PhaseMove",
    "Phases",
    "Plan",
    "RoadNetwork",
    "RoutedPhaseMoves",
    "RunComparison",
    "Seasons",
    "Severity",
    "SiteDayArrivals",
    "SiteResult",
    "Siting",
    "SitingReMove",
    "StandardFigure",
    "StandardsUsed",
    "StraightLineNetwork",
    "SupplyAreas",
    "SupplyDay",
    "SupplyDelivery",
    "SupplyObjective",
    "SupplyPlan",
    "Sustain",
    "TripFigures",
    "UnorderedResult",
    "WeibullCurve",
    "ZoneResult",
    "departure_curve",
    "json_schema",
    "network_result",
    "plan_json_schema",
    "plan_json_schema_text",
]

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
    re_move: SitingReMove | None = Field(default=None, exclude_if=absent, description="with phases: re-moves planned")


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
        "ensemble of this scenario (set by `reliefplan ensemble`); each member is planned knowing its own draws "
        "(closures, daily trucks) from day 0, so this is an upper bound for operation without foresight",
    )


class RoadNetwork(_Out):
    """plan.json `network` on roads: the walking network the travel times ran on (solvers.network, stages.travel)."""

    mode: str = Field(description="walk | drive")
    source: str | None = Field(description="the roads file")
    fallback: Literal[False] = Field(description="false: times on the road network")
    nodes: int
    links: int
    crs: str = Field(description="metric CRS of the network")
    road_length_km: float = Field(description="length of the routable roads (km)")
    dropped_nodes: int = Field(description="nodes outside the largest connected part, left out")
    dropped_links: int
    dropped_components: int
    largest_dropped_component_nodes: int
    closed_links: int = Field(description="links closed by the declared closures")
    slowed_links: int = Field(description="links slowed by the declared closures")
    closures_source: str | None = Field(description="the closures file (None: none declared)")
    skipped_features: int = Field(description="road features that could not be used")
    capacity_unit: str = Field(description="persons_per_h (walk) | vehicles_per_h (drive)")
    walk_speed_m_s: float = Field(description="walking speed (m/s)")
    connectivity: str
    origin_sample_points: int | None = Field(
        default=None, exclude_if=absent, description="sample points over the zones' displaced parts"
    )
    mean_origin_snap_m: float | None = Field(
        default=None, exclude_if=absent, description="mean straight walk from a sample point to the roads (m)"
    )
    max_origin_snap_m: float | None = Field(default=None, exclude_if=absent, description="the longest such walk (m)")
    max_site_snap_m: float | None = Field(
        default=None, exclude_if=absent, description="the longest walk from a site point to the roads (m)"
    )


class StraightLineNetwork(_Out):
    """plan.json `network` without roads: straight-line distance x circuity at walking speed."""

    mode: str = Field(description="walk | drive")
    source: None = Field(description="no roads file")
    fallback: Literal[True] = Field(description="true: straight-line times, not roads")
    reason: str = Field(description="why no road network was used")
    nodes: int = Field(description="0")
    links: int = Field(description="0")
    circuity: float = Field(description="road distance / straight-line distance assumed")
    circuity_source: str


Network = RoadNetwork | StraightLineNetwork


def network_result(summary: Mapping[str, object]) -> Network:
    """The plan.json form of a travel-times network summary (``ZoneSiteTimes.network``)."""
    if summary.get("fallback"):
        return StraightLineNetwork.model_validate(summary)
    return RoadNetwork.model_validate(summary)


class CampLayoutSummary(_Out):
    """plan.json `layout[]`: one opened site's camp layout (solvers.layout, UNHCR modular grid)."""

    site_id: str
    plots: int = Field(description="family plots housing people")
    slots: int = Field(description="plot-sized slots that fit (plots + service slots, used or not)")
    people: int = Field(description="people the layout holds (capacity truth)")
    people_requested: int
    shortfall: int = Field(description="people requested that have no plot")
    capacity: float = Field(description="people the whole site could hold with this layout")
    taps: int
    taps_required: int = Field(description="ceil(people / people per tap): the ratio alone")
    water_points: int
    latrines: int = Field(description="latrine stalls (drop holes)")
    latrines_female: int
    latrines_male: int
    latrines_required: int = Field(description="ceil(people / people per latrine): the ratio alone")
    latrine_blocks: int
    health_posts: int
    distribution_points: int
    max_plot_to_water_m: float | None = Field(description="farthest plot to its water point (m)")
    max_plot_to_latrine_m: float | None = Field(description="farthest plot to its latrine (m)")
    max_people_per_health_post: int
    max_people_per_distribution_point: int
    covered_m2_per_person: float = Field(description="covered living space per person (m2)")
    gross_m2_per_person: float | None = Field(
        description="footprint of used blocks incl. their roads and firebreaks per person held (m2)"
    )
    site_m2_per_person: float | None = Field(description="whole usable site area per person held (m2)")
    plot_side_m: float = Field(description="side of a family plot (m)")
    orientation_deg: float = Field(description="grid orientation (degrees)")
    max_built_up_run_m: float = Field(description="longest built-up run between firebreaks (m)")
    distance_metric: str = Field(description="how distances to services were measured")
    standards_met: dict[str, bool] = Field(description="standard -> met")
    notes: list[str]


class StandardFigure(_Out):
    """One planning figure of the standards profile and where it comes from."""

    value: float
    unit: str
    edition: str
    chapter: str
    source: str
    verified: bool
    checked: str = Field(description="where the figure was checked against the source text, or why it could not be")
    overridden: bool = Field(description="set by the scenario, not the profile")


class StandardsUsed(_Out):
    profile: str
    title: str
    overrides: dict[str, float]
    figures: dict[str, StandardFigure]


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
    network: RoadNetwork | StraightLineNetwork = Field(
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
    seasons: Seasons | None = Field(
        default=None,
        description=(
            "wear and seasons in the needs (declared `seasons:`): tonnes added by day per part (tent replacements, "
            "winterisation kits, heat water), items, and how each was counted; None when not declared"
        ),
    )
    phases: Phases | None = Field(
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
    layout: list[CampLayoutSummary] = Field(
        default=[],
        description="per opened site: plots, people held, taps, "
        "latrines, max distance plot->water point and plot->latrine, covered and "
        "gross m2 per person, standards met",
    )
    monitoring: MonitoringResult | None = Field(
        default=None,
        description="an existing settlement's snapshot checked site by site and block by block; None without one",
    )
    arrivals: Arrivals | None = Field(
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
