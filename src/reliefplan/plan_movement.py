"""plan.json `evacuation` (the move under road capacity, stages/movement.py) and `movement` (the move over days
under evacuation orders, stages/orders.py; docs/movement.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import Field

from .plan_base import Out


class LogisticCurve(Out):
    """Normalised logistic in days after the order (scenario ``movement.orders[*].curve``)."""

    source: str = Field(description="where the figures come from, or 'ASSUMPTION: ...'")
    kind: Literal["logistic"]
    final_share: float = Field(description="share of the people present at the order who ever leave")
    midpoint_days: float = Field(description="centre of the logistic (days after the order)")
    width_days: float = Field(description="logistic scale (days; 10 % -> 90 % takes ~4.4 x this)")


class WeibullCurve(Out):
    """Weibull cumulative distribution in days after the order, scaled by the final share."""

    source: str = Field(description="where the figures come from, or 'ASSUMPTION: ...'")
    kind: Literal["weibull"]
    final_share: float = Field(description="share of the people present at the order who ever leave")
    scale_days: float = Field(description="63 % of the final share have left by then (days after the order)")
    shape: float = Field(description="< 1: early rush then a long tail; > 1: slow start")


class EmpiricalCurve(Out):
    """Observed or declared (day, share left) points; linear in between, flat after the last."""

    source: str = Field(description="where the figures come from, or 'ASSUMPTION: ...'")
    kind: Literal["empirical"]
    days: list[float] = Field(description="days after the order")
    share: list[float] = Field(description="share of the area's people who have left by each day")


DepartureCurve = Annotated[LogisticCurve | WeibullCurve | EmpiricalCurve, Field(discriminator="kind")]
_CURVES: dict[str, type[LogisticCurve] | type[WeibullCurve] | type[EmpiricalCurve]] = {
    "logistic": LogisticCurve,
    "weibull": WeibullCurve,
    "empirical": EmpiricalCurve,
}


def departure_curve(figures: Mapping[str, object]) -> LogisticCurve | WeibullCurve | EmpiricalCurve:
    """The plan.json form of a departure curve from its scenario figures (``curve.model_dump()``)."""
    return _CURVES[str(figures["kind"])].model_validate(figures)


class ObservedDepartures(Out):
    label: str
    source: str = ""
    days: list[float] = Field(description="days after the order")
    share: list[float] = Field(description="share of the area's people who had left (observed, never fitted to)")


class OrderResult(Out):
    """An evacuation order: its area's people, the departure curve they follow, who has left by each day."""

    id: str
    footprint: str
    day: float = Field(description="day of the horizon the order is issued")
    operation_day: float | None = Field(default=None, description="day the operation starts (declared)")
    curve: DepartureCurve = Field(description="departure curve: kind, parameters, source")
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


class UnorderedResult(Out):
    people: int = Field(description="people no order covers")
    left_by_day: list[int] = Field(description="of them, people who have left by the end of each day")
    share: float = Field(description="declared share who leave without an order (before distance decay)")
    source: str = ""
    left_before_order: int = Field(default=0, description="people of ordered areas who left before their order")


class TripFigures(Out):
    trips: int
    mean_h: float = Field(description="mean trip, queues included (h)")
    free_flow_h: float = Field(description="the same trips without queues (h)")


class SiteDayArrivals(Out):
    site: str
    day: int
    people: int


class EvacuationArrival(Out):
    site: str = Field(description="destination: a site id, or 'overflow:<zone id>' for the land of a zone")
    t_s: float = Field(description="end of the time step in which these people arrive (s from the start of day 0)")
    people: int = Field(description="people arriving at this destination during that time step")


class EvacuationBottleneck(Out):
    """A road link where people queue: demand exceeded its capacity."""

    link: int = Field(description="index of the link in the walking network")
    capacity_per_h: float = Field(description="people per hour the link carries")
    saturated_from_h: float = Field(description="first time the link is saturated (h)")
    saturated_until_h: float = Field(description="last time the link is saturated (h)")
    max_queue_people: int = Field(description="longest queue at the link (people)")
    max_delay_h: float = Field(description="time the longest queue needs to discharge at the link's capacity (h)")
    coordinates: list[list[float]] = Field(description="the link as [lon, lat] points (WGS84)")


class CondensedNetwork(Out):
    nodes: int = Field(description="nodes of the road network the solver ran on, after condensing")
    links: int = Field(description="links of the condensed network")


class EvacuationTiming(Out):
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


class MovementBottleneck(Out):
    """A link of the condensed road network where people queued during the move over days."""

    link: int = Field(description="index of the link in the walking network")
    capacity_per_h: float = Field(description="people per hour the link carries")
    saturated_h: float = Field(description="hours the link was saturated (h)")
    from_h: float = Field(description="first saturated hour, from the start of day 0 (h)")
    until_h: float = Field(description="end of the last saturated time step (h)")
    max_queue_people: int = Field(description="longest queue at the link (people)")


class MovementMode(Out):
    """A way of moving (scenario ``movement.modes``, or the shipped defaults)."""

    name: str
    share: float = Field(description="share of the people leaving who move this way")
    speed_m_s: float = Field(description="travel speed (m/s)")
    road_use: float = Field(description="road capacity used per person (pedestrian-equivalents)")
    max_people_per_day: float | None = Field(description="people a day this mode can carry (None: no limit)")
    on_foot: bool = Field(description="counts in the walking burden")
    source: str


class ComparedFigure(Out):
    """One figure under arrival order and under the plan's assignment (people)."""

    arrival: int
    plan: int
    difference: int = Field(description="plan - arrival")


class ComparedTrip(Out):
    """Mean trip of one mode under arrival order and under the plan's assignment (h)."""

    arrival: float | None
    plan: float | None


class RunComparison(Out):
    """What direction changes: the arrival-order run beside the planned one, figure by figure (people, at the
    horizon)."""

    at_sites: ComparedFigure
    without_place: ComparedFigure
    on_road: ComparedFigure
    turned_away: ComparedFigure
    redisplaced: ComparedFigure
    walking_over_h: ComparedFigure
    vulnerable_walking_over_h: ComparedFigure
    mean_trip_h: dict[str, ComparedTrip] = Field(description="per mode, mean trip queues included (h)")


class MovementRun(Out):
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
    bottlenecks: list[MovementBottleneck] = Field(default=[], description="the links that jammed, longest queue first")
    notes: list[str] = []


class MovementResult(Out):
    """How people really move over days (scenario block ``movement``; docs/movement.md)."""

    assignment: Literal["plan", "arrival"] = Field(description="the run the verdict reports")
    step_s: float
    max_walk_h: float
    departure_hours: list[float]
    orders: list[OrderResult]
    unordered: UnorderedResult
    modes: list[MovementMode]
    runs: dict[str, MovementRun]
    comparison: RunComparison | None = Field(default=None, description="arrival order vs the plan, figure by figure")
    network: dict[str, int] = {}


class ArrivalPoint(Out):
    """A transit point where people arrive from outside (layer arrivals), and where they went."""

    id: str
    name: str
    zone: str = Field(description="the arrival zone the point's people are counted in")
    lon: float
    lat: float
    people: int = Field(description="people arriving over the horizon")
    first_day: int | None = Field(description="first day anyone arrives (None: nobody)")
    last_day: int | None
    peak_per_day: int = Field(description="most people arriving in one day")
    by_day: list[int] = Field(description="people arriving each day")
    sheltered: int = Field(description="of them, people with a site place")
    without_a_site_place: int


class Arrivals(Out):
    """plan.json `arrivals`: people arriving at transit points over days (stages/arrivals.py)."""

    file: str = Field(description="the arrivals series it was read from")
    start_date: str = Field(description="day 0 of the series (ISO)")
    source: str
    people: int = Field(description="people arriving over the horizon, all points")
    by_day: list[int] = Field(description="people arriving each day, all points")
    points: list[ArrivalPoint]
