"""Result models of a plan (the output contract) and the JSON Schema of plan.json."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["ok", "minor", "major", "critical", "info"]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class People(_Out):
    """Head counts; sheltered + unsheltered == displaced exactly."""

    population: int = Field(description="people living in the zones before the operation")
    displaced: int = Field(description="people inside the operation footprint, who must move")
    staying: int = Field(description="people outside the footprint, who stay")
    sheltered: int = Field(description="displaced people allocated a place at a site")
    unsheltered: int = Field(description="displaced people for whom no site place exists")


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
    trucks_per_day_food_medical: float = Field(description="truckloads/day for food and medical supplies at the profile payload")
    water_tankers_per_day: float = Field(description="tanker loads/day if all water were trucked")


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
    m2_per_person: float | None = Field(description="usable area per person present (allocated + existing); None if empty")
    open: bool
    needs: Needs | None = None
    lon: float
    lat: float


class Flow(_Out):
    zone: str
    site: str
    group: str = Field(default="all", description="'all', or 'general'/'vulnerable' when groups have own walk limits")
    people: int
    distance_m: float = Field(description="walking distance along the roads (or straight line x circuity on fallback)")
    travel_time_s: float = Field(description="mean walking time from the zone's displaced part to the site")


class Siting(_Out):
    """The siting optimiser's answer and how good it provably is."""

    solver: str
    status: str = Field(description="optimal | time_limit | feasible | infeasible")
    objective: float | None = Field(description="person-seconds of walking + opening costs + penalty x unsheltered "
                                                "(null when the solver found no plan)")
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
    comparison: Literal[">=", "<="]
    met: bool | None = Field(description="None when the value cannot be assessed yet")
    severity: Severity
    source: str
    note: str = ""
    p_met: float | None = Field(default=None, description="probability the indicator is met over an uncertainty "
                                "ensemble of this scenario (set by `reliefplan ensemble`)")


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
    zones: list[ZoneResult]
    sites: list[SiteResult]
    flows: list[Flow]
    unsheltered_by_zone: dict[str, int]
    siting: Siting
    network: dict[str, Any] = Field(description="walking network used for travel times: nodes, links, mode, "
                                                "source file, fallback used or not")
    entry_points: list[EntryPointResult]
    verdict: list[Indicator]
    standards: StandardsUsed
    assumptions: list[str]
    warnings: list[str] = []
    evacuation: dict[str, Any] | None = Field(default=None, description=(
        "the move under road capacity: status, method, time step, clearance_hours, arrivals per site over time, "
        "bottleneck links (saturated links with queue and delay); None when not computed"))
    supply: dict[str, Any] | None = Field(default=None, description=(
        "daily deliveries: per day and commodity required/delivered/produced/shortfall t, entry use (trucks used vs "
        "available per crossing and day), binding constraints in words, fleet; None when not computed"))
    sustain: dict[str, Any] | None = Field(default=None, description=(
        "coverage series per commodity, first shortfall day per commodity and site, people below standard"))
    package: str | None = Field(default=None, description=(
        "the assistance package whose resources this plan counts (`reliefplan assess`); None: the scenario alone"))
    layout: list[dict[str, Any]] = Field(default=[], description="per opened site: plots, people held, taps, "
                                         "latrines, max distance plot->water point and plot->latrine, covered and "
                                         "gross m2 per person, standards met")


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
