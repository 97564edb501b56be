"""plan.json `evacuation` (the move under road capacity, stages/movement.py) and `movement` (the move over days
under evacuation orders, stages/orders.py; docs/movement.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .plan_base import Out


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
    bottlenecks: list[dict[str, Any]] = []
    notes: list[str] = []


class MovementResult(Out):
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
