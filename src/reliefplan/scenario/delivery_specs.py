"""Scenario keys of the delivery chain (docs/delivery.md): sea and air entry points, the stages after an entry
point (collection, convoy movements allowed, losses) and fuel. Used by scenario.yaml (``supply.entries``,
``supply.chain``, ``supply.fuel``) and by assistance packages (``pier``, ``airdrops``, ``chain``, ``fuel``)."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from .._errors import Problem
from ._inputs import Strict

MAX_DAY = 36_500


class Step(Strict):
    """A value from a day on (until the next step)."""

    from_day: int = Field(ge=0, le=MAX_DAY)
    value: float = Field(ge=0)


#: a number (every day) or steps [{from_day, value}] (e.g. one per month of observations)
StepValue = float | list[Step]


def step_series(v: StepValue | None, days: int, default: float = 0.0) -> np.ndarray:
    """[days] from a number or steps (before the first step: ``default``)."""
    out = np.full(days, float(default))
    if v is None:
        return out
    if not isinstance(v, list):
        out[:] = float(v)
        return out
    for s in sorted(v, key=lambda s: s.from_day):
        out[min(s.from_day, days) :] = s.value
    return out


class ModeEntrySpec(Strict):
    """A sea or air entry (or an extra land crossing): units a day (trucks, shuttles or sorties) x t per unit x the
    share available, with a loss share and a cost per tonne. Omitted figures come from data/delivery.yaml."""

    id: str = Field(min_length=1, max_length=200)
    mode: Literal["land", "sea", "air"]
    lon: float | None = Field(default=None, ge=-180, le=180)  # air: None = dropped over every location
    lat: float | None = Field(default=None, ge=-90, le=90)
    units_per_day: float = Field(ge=0, le=100_000)
    payload_t: float | None = Field(default=None, gt=0, le=100_000)  # t per truck, shuttle trip or sortie
    availability: float | list[float] | Literal["pier-2024"] | None = None  # share of units available (days)
    loss_share: float | None = Field(default=None, ge=0, le=1)
    cost_usd_per_t: float | None = Field(default=None, ge=0)
    commodities: list[str] = []  # what it can carry (empty: everything; airdrops default to food)
    from_day: int = Field(default=0, ge=0, le=MAX_DAY)
    until_day: int | None = Field(default=None, ge=0, le=MAX_DAY)
    source: str = ""

    @model_validator(mode="after")
    def _check(self) -> ModeEntrySpec:
        if self.mode != "air" and (self.lon is None or self.lat is None):
            raise ValueError(f"a {self.mode} entry point needs lon and lat")
        if isinstance(self.availability, list) and any(not 0 <= v <= 1 for v in self.availability):
            raise ValueError("availability: expected shares in [0, 1]")
        if isinstance(self.availability, float | int) and not 0 <= self.availability <= 1:
            raise ValueError(f"availability: expected a share in [0, 1], got {self.availability}")
        if self.until_day is not None and self.until_day < self.from_day:
            raise ValueError("until_day: expected >= from_day")
        return self


class PierSpec(ModeEntrySpec):
    mode: Literal["sea"] = "sea"


class AirdropSpec(ModeEntrySpec):
    mode: Literal["air"] = "air"


class ChainSpec(Strict):
    """The stages after one entry point: loads a day that can be collected inside (the rest waits as a backlog),
    the share of convoy movements allowed, and the share lost on the route or in the area."""

    entry_point: str
    collection_loads_per_day: StepValue | None = None
    movements_allowed_share: StepValue | None = None  # share of requested movements facilitated
    movements_loads_per_day: float | None = Field(default=None, ge=0)  # requested; None: the entry's mean a day
    loss_share: float = Field(default=0.0, ge=0, le=1)
    collection_days: int = Field(default=0, ge=0, le=60)
    movement_days: int = Field(default=0, ge=0, le=60)
    source: str = ""

    @model_validator(mode="after")
    def _shares(self) -> ChainSpec:
        v = self.movements_allowed_share
        vals = [] if v is None else [v] if not isinstance(v, list) else [s.value for s in v]
        if any(not 0 <= x <= 1 for x in vals):
            raise ValueError("movements_allowed_share: expected shares in [0, 1]")
        return self


class FuelUseSpec(Strict):
    """One use of fuel: amount a day (hospitals, t of flour, km driven) x litres each. ``water_source``: the water
    source (layer id, 'local' or 'package') whose production this fuel runs at ``l_per_unit`` litres per m³; its
    amount is then the source's own production (``amount_per_day`` is only reported)."""

    name: str = Field(min_length=1, max_length=200)
    amount_per_day: float = Field(ge=0)
    l_per_unit: float = Field(ge=0)
    water_source: str | None = None
    source: str = ""


class FuelSpec(Strict):
    """Fuel as a commodity: delivered like the others (t per tanker from data/delivery.yaml unless cargo says),
    needed by its uses; water made with fuel is cut when the fuel is short."""

    uses: list[FuelUseSpec] = Field(default=[], max_length=100)
    entered_l_per_day: StepValue | None = None  # fuel entering outside the truck plan (e.g. observed deliveries)
    trucked: bool = True  # fuel may also come through the crossings in trucks (tankers), competing with other cargo
    source: str = ""


class RoutingSpec(Strict):
    """One day's last-mile routes from each origin of truck corridors (docs/delivery.md)."""

    day: int | None = Field(default=None, ge=0, le=MAX_DAY)  # None: the day with the most tonnes trucked
    vehicles_per_origin: int = Field(default=50, ge=1, le=2000)
    vehicle_capacity_t: float | None = Field(default=None, gt=0, le=100)  # None: the truck payload
    working_day_h: tuple[float, float] = (6.0, 18.0)  # ASSUMPTION: daylight movement
    service_min: float = Field(default=30.0, ge=0, le=600)  # ASSUMPTION: unloading at a location
    time_limit_s: float = Field(default=10.0, gt=0, le=3600)

    @model_validator(mode="after")
    def _window(self) -> RoutingSpec:
        a, b = self.working_day_h
        if not 0 <= a < b <= 24:
            raise ValueError(f"working_day_h: expected 0 <= start < end <= 24, got {a:g}, {b:g}")
        return self


class DistributionSpec(Strict):
    """How the camps' distribution points work (figures not given: data/delivery.yaml distribution_points.*)."""

    servers: int = Field(default=1, ge=1, le=1000)  # counters per point
    collections_per_server_h: float | None = Field(default=None, gt=0, le=10_000)
    hours_per_day: float | None = Field(default=None, gt=0, le=24)
    people_per_collection: float | None = Field(default=None, gt=0, le=100)
    interval_days: float | None = Field(default=None, gt=0, le=365)  # days one collection lasts
    max_utilisation: float | None = Field(default=None, gt=0, le=1)


class HubCandidate(Strict):
    """A place a logistics hub could open (declared: an existing warehouse, always open)."""

    id: str = Field(min_length=1, max_length=200)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    capacity_t_per_day: float = Field(gt=0)
    storage_t: float | None = Field(default=None, ge=0)  # None: unlimited
    cost_tkm: float = Field(default=0.0, ge=0)  # opening cost, in tonne-km a day
    open_day: int = Field(default=0, ge=0, le=MAX_DAY)
    declared: bool = False


class HubsSpec(Strict):
    """Hubs chosen by the siting engine among candidates; every location supplied through its hub."""

    candidates: list[HubCandidate] = Field(min_length=1, max_length=2000)
    max_hubs: int | None = Field(default=None, ge=1)
    time_limit_s: float = Field(default=30.0, gt=0, le=3600)


def chain_problems(specs: list[ChainSpec], entry_ids: list[str], file: str, where: str) -> list[Problem]:
    """Chains naming unknown entry points, or one entry point twice."""
    out: list[Problem] = []
    seen: set[str] = set()
    for i, c in enumerate(specs):
        if c.entry_point not in entry_ids:
            out.append(
                Problem(
                    file,
                    f"unknown entry point '{c.entry_point}'; expected one of {entry_ids}",
                    f"{where}[{i}]",
                    "entry_point",
                )
            )
        if c.entry_point in seen:
            out.append(Problem(file, "one chain per entry point", f"{where}[{i}]", "entry_point"))
        seen.add(c.entry_point)
    return out
