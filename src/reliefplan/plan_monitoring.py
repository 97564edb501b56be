"""plan.json `monitoring`: an existing settlement's snapshot checked site by site and block by block
(stages/monitoring.py)."""

from __future__ import annotations

from pydantic import Field

from .plan_base import Out


class MonitoredBlock(Out):
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


class MonitoredSite(Out):
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


class MonitoringResult(Out):
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
