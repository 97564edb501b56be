"""plan.json blocks that change the plan over the horizon: `phases` (sites opening, shrinking, closing; returns home;
stages/phases.py) and `seasons` (wear, winterisation, heat, floods; stages/seasons.py)."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from .plan_base import Out, absent
from .plan_movement import MovementBottleneck


class PhaseEvent(Out):
    """A declared event on a day of the horizon: a site opens, closes or shrinks; an operation ends."""

    day: int
    event: str = Field(description="opens | closes | shrinks | operation ends")
    site: str | None = Field(default=None, exclude_if=absent, description="the site (opens, closes, shrinks)")
    share: float | None = Field(default=None, exclude_if=absent, description="shrinks: share of the places kept")
    footprint: str | None = Field(default=None, exclude_if=absent, description="operation ends: its footprint")


class PhaseMove(Out):
    """People moved by the phases on a day, from one location to another, for one reason."""

    model_config = ConfigDict(extra="forbid", serialize_by_alias=True, validate_by_name=True, validate_by_alias=True)

    day: int
    from_: str = Field(alias="from", description="location id the people leave")
    to: str = Field(description="location id they go to")
    reason: str = Field(description="redisplaced | diverted | returned | ...")
    with_place: bool = Field(description="they have a camp place where they go")
    people: int
    distance_m: float = Field(description="straight-line distance (m)")
    walk_h: float = Field(description="walking-time estimate: straight line x fallback circuity at walking speed (h)")


class RoutedPhaseMoves(Out):
    """A day's re-moves walked over the roads (stages/phase_moves.py)."""

    day: int
    people: int
    from_sites: int = Field(description="sites people leave")
    to_locations: int = Field(description="locations they go to")
    arrived_by_day: list[int] = Field(description="people arrived by the end of each day, from `day` (cumulative)")
    on_road_end_of_day: int = Field(description="people still on the road at the end of `day`")
    last_arrival_h: int | None = Field(description="hour of the last arrival, from the start of `day` (h)")
    mean_trip_h: float = Field(description="longest mean trip over the modes (h)")
    walking_over_max_h: int = Field(description="trips on foot longer than max_walk_h")
    max_walk_h: float = Field(description="the walking limit used (h)")
    cannot_leave: int = Field(description="people with no road to their destination")
    bottlenecks: list[MovementBottleneck] = Field(description="the three longest queues")


class SitingReMove(Out):
    """plan.json `siting.re_move`: the re-moves the siting's plan expects under the phases (stages/second_walk.py),
    before the phases run (their `phases` block has what happened, residents and people without a place too)."""

    rule: str = Field(description="phases.siting: capacity_days | re_move | ignore")
    second_walk_priced: bool = Field(description="the siting priced the second walk (phases.second_walk)")
    redisplacement_cost_days: float = Field(
        description="each re-displacement priced as this many days without a place (ASSUMPTION unless declared)"
    )
    redisplaced: int = Field(description="people planned into places that end within the horizon (they move again)")
    diverted: int = Field(description="people planned into places not there on the day they arrive (they walk on)")
    second_walk_person_h: float = Field(
        description="their extra walking: to the nearest other site with places that day, straight line x fallback "
        "circuity at walking speed (person-hours; the phases may send them farther when it is full)"
    )
    note: str = Field(default="", description="what is counted, and which figure is an ASSUMPTION")


class Phases(Out):
    """plan.json `phases`: what the declared phases do to people, by day and in total."""

    redisplaced: int = Field(description="people moved again from a site they were at")
    diverted: int = Field(description="arrivals turned from a closed or full site")
    returned: int = Field(description="people returned home")
    lost_place: int = Field(description="people who lost a camp place")
    redisplaced_by_day: list[int] = Field(description="cumulative by day")
    diverted_by_day: list[int]
    returned_by_day: list[int]
    lost_place_by_day: list[int]
    places_by_day: list[int] = Field(description="camp places open each day")
    redisplaced_person_km: float = Field(description="people re-displaced x straight-line km")
    moves: list[PhaseMove]
    events: list[PhaseEvent]
    routed: list[RoutedPhaseMoves] | None = Field(description="the re-moves on the roads (None: not routed)")
    notes: list[str]


class FloodedSite(Out):
    usable_share_min: float = Field(description="lowest share of the site's usable land left dry")
    people_on_flooded_land_max: int = Field(description="most people on the site's flooded land on one day")


class Flood(Out):
    """People on site land that floods (declared ``seasons.flood``), spread evenly over each site."""

    zones: int = Field(description="flood zones declared")
    people_on_flooded_land_by_day: list[int]
    first_day: int | None = Field(description="first day anyone is on flooded land (None: never)")
    sites: dict[str, FloodedSite] = Field(description="site id -> its flooding (sites that flood only)")
    note: str


class Seasons(Out):
    """plan.json `seasons`: wear and seasons in the needs (tonnes added by day per part, items), and floods; a part
    the scenario does not declare is absent."""

    added_t_total: dict[str, float] | None = Field(
        default=None, exclude_if=absent, description="part -> tonnes added over the horizon (t)"
    )
    added_t_by_day: dict[str, list[float]] | None = Field(
        default=None, exclude_if=absent, description="part -> tonnes added each day (t)"
    )
    items_total: dict[str, float] | None = Field(
        default=None, exclude_if=absent, description="part -> tents, kits or m3 over the horizon"
    )
    notes: list[str] | None = Field(default=None, exclude_if=absent)
    flood: Flood | None = Field(default=None, exclude_if=absent)
