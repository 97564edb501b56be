"""scenario.yaml's configuration models: the layer and footprint specs, every options block, a named scenario's
settings and the file as a whole (validated by `folder.read_scenario_file`)."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from pydantic import Field, model_validator

from ..standards import DEFAULT_PROFILE
from ._healthdata import HealthSpec
from ._inputs import FolderFile, Strict
from ._uncertainty import UncertaintySpec
from .arrivals import ArrivalsSpec
from .delivery_specs import ChainSpec, DistributionSpec, FuelSpec, HubsSpec, ModeEntrySpec, RoutingSpec
from .monitoring import MonitoringSpec
from .movement import MovementSpec
from .packages import PackageSpec
from .phases import PhasesSpec
from .usable_land import UsableLandSpec

MAX_HORIZON_DAYS = 730  # the supply LP and every daily series are sized by the horizon
MAX_DAY = 36_500  # any day number in a layer (opening day, inspection delay, footprint start)
MAX_HOUSEHOLD_SIZE = 50.0

_Strict = Strict  # unknown keys, NaN/inf and numbers beyond ±1e12 are errors (see _inputs)


class LayerSpec(_Strict):
    file: FolderFile
    layer: str | None = None
    fields: dict[str, str] = {}
    usable_fraction: float | None = Field(default=None, ge=0, le=1)


class SitesLayerSpec(LayerSpec):
    usable_land: UsableLandSpec | None = None  # usable fraction from the ground (see usable_land.py)


class FootprintSpec(_Strict):
    file: FolderFile
    layer: str | None = None
    start_day: float = Field(default=0, ge=0, le=MAX_DAY)
    description: str = ""


class StandardsSpec(_Strict):
    profile: str = DEFAULT_PROFILE
    overrides: dict[str, float] = {}


class SitingSpec(_Strict):
    """Options of the siting optimiser (who goes to which site)."""

    single_site_per_zone: bool = False  # keeps communities together
    max_walk_h: float | None = Field(default=None, gt=0)  # nobody walks longer than this
    vulnerable_share: float = Field(default=0.0, ge=0, le=1)  # default share of each zone's displaced
    vulnerable_max_walk_h: float | None = Field(default=None, gt=0)  # tighter limit for the vulnerable group
    min_open_sites: int | None = Field(default=None, ge=0)
    max_open_sites: int | None = Field(default=None, ge=0)
    unmet_penalty_factor: float = Field(default=10.0, gt=1, le=1e6)  # x the largest per-person walking cost
    time_limit_s: float = Field(default=60.0, gt=0, le=86_400)


class LayoutSpec(_Strict):
    """Camp layout options: each opened site gets a modular plan; its plot count caps the site's capacity."""

    enabled: bool = True  # false: no layout at all; a site's capacity is its usable area / the space per person
    # false: each site's capacity is still capped by the plots its layout fits (the capacity truth), but the opened
    # sites' layouts are not drawn (no layout.gpkg, no per-site layout checks): `ensemble --no-layout`, quicker
    draw: bool = True
    latrine_phase: Literal["acute", "medium"] = "acute"
    distance_metric: Literal["grid", "euclidean"] = "grid"
    search_origin: bool = False  # also shift the grid origin: ~0.2 % more plots, ~2.5x slower
    no_build: FolderFile | None = None  # file of polygons/lines nobody may build on (shoreline, road buffers)
    no_build_buffer_m: float = Field(default=0.0, ge=0, le=10_000)


def layout_update(layout: bool) -> dict[str, bool]:
    """The `LayoutSpec` fields for camp layouts drawn (True: and the layout fit on) or not drawn (False). Not drawing
    keeps the layout fit as each site's capacity, so a quicker run never reads kinder than the scenario's own capacity
    model (area / space per person holds ~13 % more people than the layouts fit on the Rafah example)."""
    return {"enabled": True, "draw": True} if layout else {"draw": False}


def with_layout(spec: LayoutSpec, layout: bool) -> LayoutSpec:
    """``spec`` with camp layouts drawn or not (`layout_update`)."""
    return spec.model_copy(update=layout_update(layout))


class EvacuationSpec(_Strict):
    """How people leave: departures per zone, routing, and the solver's method and time step."""

    enabled: bool = True
    departure: Literal["all_at_once", "spread"] = "spread"  # staged by zone follows the footprints' start days
    spread_h: float = Field(default=12.0, ge=0, le=720)  # departures spread uniformly over this long
    routing: Literal["free", "fixed"] = "free"  # free = best achievable; fixed = everyone takes the shortest road
    method: Literal["auto", "exact", "queue"] = "auto"
    # the solver also refuses a step that would need more than evacuation.MAX_USER_STEPS time steps
    time_step_s: float | None = Field(default=None, ge=1, le=7200)
    max_clearance_h: float = Field(default=72.0, gt=0, le=8760)  # verdict: everyone reaches a site within this time


class DisruptionSpec(_Strict):
    entry_point: str
    first_day: int = Field(ge=0, le=MAX_HORIZON_DAYS)
    last_day: int = Field(ge=0, le=MAX_HORIZON_DAYS)
    capacity_factor: float = Field(default=0.0, ge=0, le=1)  # share of capacity left: 0 = closed
    reason: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> DisruptionSpec:
        if self.first_day > self.last_day:
            raise ValueError(
                f"first_day {self.first_day} is after last_day {self.last_day}; expected first_day <= last_day"
            )
        return self


class SupplySpec(_Strict):
    """Daily deliveries: entry capacity (declared, or an observed series), storage, local water, disruptions."""

    enabled: bool = True
    entry_capacity: Literal["declared", "design", "observed"] = "declared"
    observed_file: FolderFile | None = None  # CSV: date, entry_point, trucks_total (see examples/rafah-2024)
    observed_start: str | None = None  # ISO date of day 0 in the observed series
    site_storage_days: float = Field(default=3.0, ge=0, le=365)  # storage at each site, in days of its peak need
    local_water_m3_per_day: float = Field(
        default=0.0, ge=0, le=1e6
    )  # produced per 1,000 people present at each location
    disruptions: list[DisruptionSpec] = Field(default=[], max_length=1000)
    time_limit_s: float = Field(default=60.0, gt=0, le=86_400)
    # more locations than this are grouped into supply areas (stages/supply_areas.py), bounding the LP at scale
    max_locations: int = Field(default=300, ge=10, le=1_000_000)
    # false: the deprivation LP only (shortfalls exact; truckloads and fleet not minimised, so upper bounds)
    minimise_trucks: bool = True
    # > 1: a shortfall beyond half of a day's need weighs this many times more, so rations are spread over days
    # (e.g. ahead of a closure); 1 (default) keeps every group's coverage monotone in people and resources
    # (an optimiser that smooths over days may delay tents to even out water, and more trucks can then read worse)
    deep_shortfall_factor: float = Field(default=1.0, ge=1)
    # true: each group's least and most over the supply LP's equally good plans (2 more LP solves per group and
    # commodity; plan.json groups.ranges, docs/supply.md); plans only, not ensemble members
    group_ranges: bool = False
    # the delivery chain (issue 20, docs/delivery.md): sea and air entries, stages after an entry point, fuel
    entries: list[ModeEntrySpec] = Field(default=[], max_length=100)
    chain: list[ChainSpec] = Field(default=[], max_length=100)
    fuel: FuelSpec | None = None
    routing: RoutingSpec | None = None  # one day's last-mile routes (OR-Tools) from each origin
    distribution: DistributionSpec | None = None  # queues and walks at the camps' distribution points
    hubs: HubsSpec | None = None  # logistics hubs chosen among candidates (siting engine)


#: the groups every person in the plan belongs to (each person in exactly one, at one location each day)
Group = Literal["staying", "sheltered", "overflow", "site_residents", "served_elsewhere"]
GROUPS: tuple[Group, ...] = ("staying", "sheltered", "overflow", "site_residents", "served_elsewhere")


class PopulationSpec(_Strict):
    """Who depends on the entry points: a share of each zone's people (a zone property wins), with its source."""

    aid_dependent_share: float = Field(default=1.0, ge=0, le=1)
    source: str = ""


class OverflowSpec(_Strict):
    """Where displaced people without a site place go.

    nearest_outside: the nearest land outside the operation area, candidate sites first (beyond their camp
    capacity), then the land of zones outside the footprint, each up to ``max_density_per_km2``; beyond that they
    remain in the operation area. inside: they all remain in the operation area."""

    policy: Literal["nearest_outside", "inside"] = "nearest_outside"
    max_density_per_km2: float | None = Field(default=None, gt=0)  # None: 1 / the profile's covered m2 per person
    source: str = ""


class SharingSpec(_Strict):
    """How scarce supplies are shared between the groups: equal coverage, or a priority order (first served first)."""

    policy: Literal["equal", "priority"] = "equal"
    priority: list[Group] = list(GROUPS)


class CargoSpec(_Strict):
    """What a truck carries: t per truck by commodity, and the energy density of the food actually delivered."""

    payload_t: dict[str, float] = {}  # commodity -> t per truck (water: t = m3)
    payload_file: FolderFile | None = None  # CSV: commodity, t_per_truck, source (e.g. derived from a line list)
    payload_source: str = ""
    payload_sources: dict[str, str] = {}  # commodity -> source (filled from payload_file)
    food_kcal_per_kg: float | None = Field(default=None, gt=0)  # None: the profile's ration basket
    food_mix_file: FolderFile | None = None  # CSV: item, t, kcal_per_kg (the mix delivered); gives food_kcal_per_kg
    food_source: str = ""


class Layers(_Strict):
    zones: LayerSpec
    sites: SitesLayerSpec
    entry_points: LayerSpec | None = None
    warehouses: LayerSpec | None = None  # points: id, name, capacity_t or capacity_pallets
    roads: LayerSpec | None = None
    closures: LayerSpec | None = None  # polygons: `factor` >= 1 slows roads inside, missing/inf closes them
    # polygons or points: id, name, population, aid_dependent_share: other people the same entry points feed
    served_populations: LayerSpec | None = None
    # points: id, name, m3_per_day, reach_km, from_day, until_day, source: local water production
    water_sources: LayerSpec | None = None


class LayersOverride(_Strict):
    """A named scenario's own layers: each one given replaces the file-level layer of that name."""

    zones: LayerSpec | None = None
    sites: SitesLayerSpec | None = None
    entry_points: LayerSpec | None = None
    warehouses: LayerSpec | None = None
    roads: LayerSpec | None = None
    closures: LayerSpec | None = None
    served_populations: LayerSpec | None = None
    water_sources: LayerSpec | None = None


class ScenarioSettings(_Strict):
    """Keys a named scenario may set or override."""

    description: str = ""
    footprints: list[str] = []
    layers: LayersOverride | None = None  # merged layer by layer over the file-level `layers:`
    standards: StandardsSpec | None = None  # profile replaces; overrides merge over the file-level ones
    horizon_days: int | None = Field(default=None, ge=1, le=MAX_HORIZON_DAYS)
    household_size: float | None = Field(default=None, ge=1, le=MAX_HOUSEHOLD_SIZE)
    population_structure: FolderFile | None = None
    siting: SitingSpec | None = None
    layout: LayoutSpec | None = None
    evacuation: EvacuationSpec | None = None
    supply: SupplySpec | None = None
    population: PopulationSpec | None = None
    overflow: OverflowSpec | None = None
    sharing: SharingSpec | None = None
    cargo: CargoSpec | None = None
    uncertainty: UncertaintySpec | None = None  # replaces the file-level block as a whole
    movement: MovementSpec | None = None  # orders over days, departure curves, modes (replaces the file-level block)
    phases: PhasesSpec | None = None  # sites opening, shrinking, closing; returns (replaces the file-level block)
    monitoring: MonitoringSpec | None = None  # an existing settlement's snapshot (replaces the file-level block)
    arrivals: ArrivalsSpec | None = None  # daily arrivals at transit points (replaces the file-level block)
    start_date: datetime.date | None = None  # calendar date of day 0 (seasons)
    health: HealthSpec | None = None  # replaces the file-level block as a whole
    seasons: dict[str, Any] | None = None  # wear and seasons (solvers.seasons); replaces the file-level block


class ScenarioFile(_Strict):
    title: str = ""
    description: str = ""
    crs: str = "auto"
    standards: StandardsSpec = StandardsSpec()
    population_structure: FolderFile | None = None
    household_size: float | None = Field(default=None, ge=1, le=MAX_HOUSEHOLD_SIZE)
    horizon_days: int = Field(default=30, ge=1, le=MAX_HORIZON_DAYS)
    siting: SitingSpec = SitingSpec()
    layout: LayoutSpec = LayoutSpec()
    evacuation: EvacuationSpec = EvacuationSpec()
    supply: SupplySpec = SupplySpec()
    population: PopulationSpec = PopulationSpec()
    overflow: OverflowSpec = OverflowSpec()
    sharing: SharingSpec = SharingSpec()
    cargo: CargoSpec = CargoSpec()
    uncertainty: UncertaintySpec | None = None  # declared uncertainty for `reliefplan ensemble`
    movement: MovementSpec | None = None  # orders over days, departure curves, modes (docs/movement.md)
    phases: PhasesSpec | None = None  # sites opening, shrinking, closing on a date; returns (docs/movement.md)
    existing_hospital_beds: int | None = Field(
        default=None, ge=0, le=10**9
    )  # inpatient beds already there; None: not assessed
    packages: dict[str, PackageSpec] = {}  # offered assistance packages (`reliefplan assess`)
    monitoring: MonitoringSpec | None = None  # an existing settlement: snapshot, blocks, services (monitoring.py)
    arrivals: ArrivalsSpec | None = None  # daily arrivals at entry or transit points (arrivals.py)
    start_date: datetime.date | None = None  # calendar date of day 0 (seasons)
    health: HealthSpec = HealthSpec()  # the health layer (stages.health)
    seasons: dict[str, Any] | None = None  # wear and seasons, off unless declared (stages.seasons)
    layers: Layers
    footprints: dict[str, FootprintSpec]
    scenarios: dict[str, ScenarioSettings]
