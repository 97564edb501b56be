"""plan.json `groups` (what reaches each group of people), `health` (the risk projection) and `hold` ("how long can
it hold"). Health figures are RISK PROJECTIONS, NOT PREDICTIONS: ranges over declared parameter uncertainty."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import Field

from .plan_base import Out, absent
from .solvers.health import Crossing  # the solver's own record: first day a threshold is crossed, over draws

# ---- groups ----------------------------------------------------------------------------------------------------------


class GroupSummary(Out):
    """One group of people over the horizon (means over the days it has people)."""

    group: str = Field(description="staying, sheltered, overflow, site_residents, served_elsewhere, ...")
    people_max: int
    people_last_day: int
    aid_dependent_max: int | None = Field(
        default=None, exclude_if=absent, description="aid-dependent people present, at most (the rows' denominator)"
    )
    water_l_per_person_day: float | None = Field(description="water delivered or produced (L/person/day, mean)")
    water_l_per_person_day_min: float | None = Field(description="worst day (L/person/day)")
    kcal_per_person_day: float | None = Field(description="food delivered (kcal/person/day, mean)")
    kcal_per_person_day_min: float | None = Field(description="worst day (kcal/person/day)")
    met_share: dict[str, float] = Field(description="commodity -> share of the aid-dependent need met")
    first_shortfall_day: dict[str, int | None] = Field(description="commodity -> first day short (None: never)")
    cumulative_kcal_deficit_per_person: float | None = Field(description="kcal per person short by the last day")
    cumulative_water_deficit_l_per_person: float | None = Field(description="L per person short by the last day")
    people_owed_shelter_items_max: int | None = Field(description="people still owed tents and kits, at most")
    people_owed_shelter_items_last_day: int | None


class GroupDay(Out):
    """One group and day (a figure is left out when its commodity is not in the plan)."""

    group: str
    day: int
    people: int
    water_l_per_person_day: float | None = Field(default=None, exclude_if=absent, description="L/person/day")
    water_need_l_per_person_day: float | None = Field(default=None, exclude_if=absent, description="L/person/day")
    cumulative_water_deficit_l_per_person: float | None = Field(default=None, exclude_if=absent, description="L")
    kcal_per_person_day: float | None = Field(default=None, exclude_if=absent, description="kcal/person/day")
    kcal_need_per_person_day: float | None = Field(default=None, exclude_if=absent, description="kcal/person/day")
    cumulative_kcal_deficit_per_person: float | None = Field(default=None, exclude_if=absent, description="kcal")
    people_owed_shelter_items: float | None = Field(default=None, exclude_if=absent, description="people")


class GroupRange(Out):
    """One group's figure for one commodity: as reported, and the least and the most over the equally good plans."""

    group: str
    commodity: str
    unit: str = Field(
        description="L/person/day, kcal/person/day (means over the days the group has people, as in "
        "the summary) or 'share of need met' (over the horizon; owed items: of the person-days owed)"
    )
    reported: float = Field(description="the plan's figure (the tie-break's pick)")
    least: float | None = Field(description="the least over the equally good plans (None: its LP did not solve)")
    most: float | None = Field(description="the most over the equally good plans (None: its LP did not solve)")
    status_least: str = Field(description="HiGHS' model status of the solve for the least")
    status_most: str = Field(description="HiGHS' model status of the solve for the most")


class GroupRanges(Out):
    """plan.json `groups.ranges` (supply.group_ranges): how determined each group's share is when supplies are short
    (stages.group_ranges, solvers.supply.ranges)."""

    meaning: str = Field(description="what a range says, in words")
    face: list[str] = Field(
        description="the criteria an equally good plan keeps at most at the reported plan's "
        "value: deprivation (the supply objective), group_weighted (priority sharing), fair_share (distance from "
        "the common share)"
    )
    tolerance: float = Field(description="relative slack on each criterion (floating point)")
    solves: int
    cpu_s: float = Field(description="CPU seconds of the range solves")
    rows: list[GroupRange]


class Groups(Out):
    """plan.json `groups`: what reaches each person of each group (stages.deliveries.group_figures)."""

    food_kcal_per_kg: float = Field(description="energy density of the food delivered (kcal/kg)")
    summary: list[GroupSummary]
    daily: list[GroupDay] = Field(description="per group and day (empty for ensemble members)")
    presence: list[dict[str, int]] = Field(
        default=[],
        description="per day: 'day', 'in_operation_area' and '<group>_at_<kind>' people at the end of the day "
        "(kind: zone, site, zone_land, served, abroad; a count of 0 is left out)",
    )
    ranges: GroupRanges | None = Field(
        default=None,
        exclude_if=absent,
        description="per group and commodity, the least and the most over the "
        "supply LP's equally good plans (only with supply.group_ranges)",
    )


# ---- health ----------------------------------------------------------------------------------------------------------

V = TypeVar("V")


class Percentiles(Out):
    """P10, P50, P90 over draws."""

    p10: float
    p50: float
    p90: float


class PercentileSeries(Out):
    """P10, P50, P90 over draws, by day."""

    p10: list[float]
    p50: list[float]
    p90: list[float]


class ByIndicator(Out, Generic[V]):
    """Per projected indicator, group -> its figures."""

    adult_weight_loss_share: dict[str, V] = Field(description="share of adults' body weight lost")
    child_weight_loss_share: dict[str, V] = Field(description="share of children's body weight lost")
    gam_share: dict[str, V] = Field(description="global acute malnutrition, children 6-59 months (share)")
    sam_share: dict[str, V] = Field(description="severe acute malnutrition, children 6-59 months (share)")
    adult_bmi_below_18_5_share: dict[str, V] = Field(description="adults with BMI < 18.5 (share)")
    extreme_food_gap_share: dict[str, V] = Field(description="households in an extreme food gap (share)")
    rr_diarrhoea: dict[str, V] = Field(description="relative risk of diarrhoea (water x latrines)")
    rr_ari: dict[str, V] = Field(description="relative risk of acute respiratory infection (crowding)")
    cdr_per_10k_day: dict[str, V] = Field(description="crude death rate (deaths/10,000/day)")
    u5dr_per_10k_day: dict[str, V] = Field(description="under-5 death rate (deaths/10,000 under 5/day)")


class FirstCrossing(Out):
    """The threshold crossed first (earliest median day)."""

    threshold: str
    day_p10: int | None
    day_p50: int | None
    day_p90: int | None


class HealthInputSeries(Out):
    """What the projection is fed for a group, by day."""

    intake_share_of_requirement: list[float] = Field(description="kcal had / kcal required")
    water_l_per_person_day: list[float] = Field(description="L/person/day")
    people_per_latrine: list[float]
    covered_m2_per_person: list[float] = Field(description="covered m2/person")


class Health(Out):
    """plan.json `health` (stages.health): per group P10/P50/P90 by day, threshold crossings, excess deaths as
    intervals only; per location what is crossed first; inputs, assumptions and what is not modelled."""

    statement: str
    draws: int = Field(description="parameter draws")
    days: int
    seed: int
    crossings: list[Crossing] = Field(description="per group and threshold")
    hold: dict[str, FirstCrossing | None] = Field(description="group -> the threshold crossed first (None: none)")
    excess_deaths: dict[str, Percentiles] = Field(description="group -> excess deaths over the horizon (people)")
    last_day: ByIndicator[Percentiles] = Field(description="each indicator on the last day")
    series: ByIndicator[PercentileSeries] = Field(description="each indicator by day")
    inputs: dict[str, HealthInputSeries] = Field(description="group -> what the projection is fed")
    assumptions: list[str]
    not_modelled: list[str]
    locations: dict[str, FirstCrossing | None] | None = Field(
        default=None, exclude_if=absent, description="location -> the threshold crossed first (with by_location)"
    )
    locations_crossed: list[Crossing] | None = Field(
        default=None, exclude_if=absent, description="per location, the thresholds crossed (with by_location)"
    )
    locations_note: str | None = Field(
        default=None, exclude_if=absent, description="how `locations` reads when supply locations were grouped"
    )


# ---- hold ------------------------------------------------------------------------------------------------------------


class ThresholdDays(Out):
    day_p10: int | None
    day_p50: int | None
    day_p90: int | None
    share_of_draws: float


class FirstShortfall(Out):
    standard: str = Field(description="the commodity short first")
    day: int


class GroupHold(Out):
    standards: dict[str, int | None] = Field(description="commodity -> first day short (None: never)")
    health: dict[str, ThresholdDays] = Field(description="threshold -> days first crossed (P10/P50/P90)")
    first_standard: FirstShortfall | None
    first_health: FirstCrossing | None


class GroupFirstShortfall(Out):
    group: str
    standard: str
    day: int


class GroupFirstCrossing(Out):
    group: str
    threshold: str
    day_p10: int | None
    day_p50: int | None
    day_p90: int | None


class Hold(Out):
    """plan.json `hold`, "how long can it hold": per group the first day each standard falls short and each health
    threshold is projected to be crossed, what fails first per group and over all groups."""

    horizon_days: int
    groups: dict[str, GroupHold]
    first_standard: GroupFirstShortfall | None
    first_health: GroupFirstCrossing | None
