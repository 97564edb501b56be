"""Input models (pydantic) and the scenario-folder loader."""

from __future__ import annotations

import datetime
import math
from pathlib import Path
from typing import Any, Literal

import numpy as np
import shapely
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pyproj import CRS
from pyproj.exceptions import CRSError

from .._errors import InputError, Problem
from ._inputs import MAX_NUMBER, FolderFile, Strict, folder_file, load_yaml
from ._layers import Feature, coordinate_problems, read_csv_rows, read_layer
from ._uncertainty import UncertaintySpec, uncertainty_problems
from .movement import MovementSpec, movement_problems, read_observed_departures
from .phases import PhasesSpec, phases_problems
from .delivery_specs import ChainSpec, DistributionSpec, FuelSpec, HubsSpec, ModeEntrySpec, RoutingSpec, chain_problems
from ._healthdata import HealthSpec, health_spec_problems
from ._seasonsdata import read_flood_layer, seasons_problems
from .packages import PackageSpec, package_file_problems, package_problems
from .packages import resolve as resolve_package
from ..geo import WGS84, local_crs, project
from ..standards import DEFAULT_PROFILE, Standards, load_standards
from .usable_land import SiteGround, UsableLandSpec
from .arrivals import ArrivalsSpec
from .monitoring import MonitoringSpec

SCENARIO_FILE = "scenario.yaml"
POLYGONAL = ("Polygon", "MultiPolygon")
MAX_HORIZON_DAYS = 730  # the supply LP and every daily series are sized by the horizon
MAX_DAY = 36_500  # any day number in a layer (opening day, inspection delay, footprint start)
MAX_ZONE_POPULATION = 10**10  # people per zone (or site); far below 2**53, so every sum of people stays exact
MAX_HOUSEHOLD_SIZE = 50.0
MAX_TRUCKS_PER_DAY = 100_000.0


# ---- scenario.yaml (the configuration) -------------------------------------------------

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

    enabled: bool = True
    latrine_phase: Literal["acute", "medium"] = "acute"
    distance_metric: Literal["grid", "euclidean"] = "grid"
    search_origin: bool = False  # also shift the grid origin: ~0.2 % more plots, ~2.5x slower
    no_build: FolderFile | None = None  # file of polygons/lines nobody may build on (shoreline, road buffers)
    no_build_buffer_m: float = Field(default=0.0, ge=0, le=10_000)


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
    capacity_factor: float = Field(default=0.0, ge=0, le=100)  # 0 = closed
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


# ---- loaded inputs -------------------------------------------------------------------


class _Geo(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    id: str
    source: str  # "file#feature-index", for error messages downstream
    geometry: Any  # shapely geometry, WGS84 lon/lat
    geometry_m: Any = None  # the same in the scenario's local metric CRS


class Zone(_Geo):
    name: str = ""
    pcode: str = ""
    population: int = Field(ge=0)
    vulnerable_share: float | None = Field(default=None, ge=0, le=1)
    aid_dependent_share: float | None = Field(default=None, ge=0, le=1)  # None: the scenario's share


class ServedPopulation(_Geo):
    """People outside the zones whom the same entry points feed (a governorate next door, a camp)."""

    name: str = ""
    population: int = Field(ge=0)
    aid_dependent_share: float | None = Field(default=None, ge=0, le=1)


class WaterSource(_Geo):
    """Local water production (well field, desalination plant, pipeline connection), shared by the people within
    ``reach_km`` of it, from ``from_day`` to ``until_day``."""

    name: str = ""
    m3_per_day: float = Field(gt=0)
    reach_km: float = Field(gt=0)
    from_day: int = Field(default=0, ge=0)
    until_day: int | None = Field(default=None, ge=0)
    source_note: str = ""


class Site(_Geo):
    name: str = ""
    usable_fraction: float = Field(ge=0, le=1)
    max_population: int | None = Field(default=None, ge=0)
    existing_population: int = Field(default=0, ge=0)
    opening_cost: float = Field(default=0.0, ge=0)  # setup days or money; 0 = no opening decision
    must_open: bool = False
    never_open: bool = False
    ground: SiteGround | None = None  # usable land from the ground, when layers.sites.usable_land is given


class Footprint(_Geo):
    operation: str
    start_day: float = Field(ge=0)


class EntryPoint(_Geo):
    name: str = ""
    trucks_per_day: float = Field(ge=0)
    design_trucks_per_day: float | None = Field(default=None, ge=0)
    payload_t: float | None = Field(default=None, gt=0)
    opening_day: int = Field(default=0, ge=0)  # first day goods can enter
    inspection_delay_days: int = Field(default=0, ge=0)  # goods admitted on day t move on from day t + delay
    closes_day: int | None = Field(default=None, ge=0)  # first day closed to aid (declared, e.g. from data)
    stays_open: bool = False  # true: stays open when the operation empties the area around it
    source_note: str = ""


class Warehouse(_Geo):
    """A store between the crossings and the sites: capacity in tonnes (or pallets x pallet weight)."""

    name: str = ""
    capacity_t: float | None = Field(default=None, ge=0)  # None: unlimited


class AgeBand(BaseModel):
    age: str
    male: float = Field(ge=0)
    female: float = Field(ge=0)


class PopulationStructure(BaseModel):
    """Shares of the total population by age band and sex (sum 1), plus pregnant/lactating shares."""

    file: str
    bands: list[AgeBand]
    pregnant: float = Field(default=0, ge=0)
    lactating: float = Field(default=0, ge=0)


class Scenario(BaseModel):
    """A named scenario resolved from a folder: layers loaded, projected, standards resolved."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    folder: Path
    name: str
    title: str
    description: str
    available: list[str]
    crs: Any  # pyproj CRS, local metric
    standards: Standards
    horizon_days: int
    household_size: float
    zones: list[Zone]
    sites: list[Site]
    footprints: list[Footprint]
    entry_points: list[EntryPoint]
    warehouses: list[Warehouse] = []
    roads: Any = None  # roads.RoadLines (WGS84) when the scenario has roads
    closures: Any = None  # roads.Closures when the scenario declares damaged or closed areas
    population_structure: PopulationStructure | None = None
    siting: SitingSpec = SitingSpec()
    layout: LayoutSpec = LayoutSpec()
    evacuation: EvacuationSpec = EvacuationSpec()
    supply: SupplySpec = SupplySpec()
    population_spec: PopulationSpec = PopulationSpec()
    overflow: OverflowSpec = OverflowSpec()
    sharing: SharingSpec = SharingSpec()
    cargo: CargoSpec = CargoSpec()
    food_mix: list[dict[str, Any]] = []  # rows of cargo.food_mix_file: item, t, kcal_per_kg
    served: list[ServedPopulation] = []
    water_sources: list[WaterSource] = []
    observed_trucks: dict[str, Any] | None = None  # entry id -> trucks per day (numpy) when supply is 'observed'
    no_build_m: list[Any] = []  # metric geometries nobody may build on
    uncertainty: UncertaintySpec | None = None
    movement: MovementSpec | None = None  # None (or enabled: false): today's move, everyone in a footprint leaves
    phases: PhasesSpec | None = None  # sites opening, shrinking, closing on a date; returns (stages.phases)
    # order index -> (days after the order, share left): observed series drawn over the order's curve
    movement_observed: dict[int, tuple[list[float], list[float]]] = {}
    road_capacity_factor: float = Field(default=1.0, ge=0)  # x every walking link's capacity (ensemble members)
    packages: dict[str, PackageSpec] = {}  # offered assistance packages, for `reliefplan assess`
    ground_notes: list[str] = []  # how usable land was found from the ground, for the plan's assumptions
    # set by packages.apply_package (or the scenario file, for beds):
    package: str | None = None
    package_notes: list[str] = []
    entry_trucks_by_day: dict[str, Any] | None = None  # entry id -> trucks per day (numpy); overrides the spec
    tent_stock: list[tuple[int, int, float]] = []  # (from_day, tents, people per tent) inside the area
    water_m3_by_day: Any = None  # numpy [days]: water produced or trucked inside the area, over the open sites
    hospital_beds_by_day: Any = None  # numpy [days]: inpatient beds; None = not assessed
    fleet_trucks_by_day: Any = None  # numpy [days]: trucks available for hauling; None = not constrained
    monitoring: Any = None  # monitoring.Monitoring: the snapshot of an existing settlement
    arrivals: Any = None  # arrivals.Arrivals: people arriving at transit points by day
    start_date: datetime.date | None = None  # calendar date of day 0 (seasons)
    health: HealthSpec = HealthSpec()
    seasons: dict[str, Any] | None = None  # None: no wear or seasons in the needs
    flood_zones: list[dict[str, Any]] = []  # seasons.flood.layer: id, geometry_m, months, usable_share_lost


# ---- loader ---------------------------------------------------------------------------

#: tags of tagged unions (departure curve kinds) that pydantic puts in an error's location; not keys a user wrote
_UNION_TAGS = ("logistic", "weibull", "empirical")


def _validation_problems(path: Path, err: ValidationError) -> list[Problem]:
    return [
        Problem(
            file=str(path),
            field=".".join(
                str(p) for i, p in enumerate(e["loc"]) if not (p in _UNION_TAGS and i and e["loc"][i - 1] == "curve")
            )
            or None,
            message=e["msg"].removeprefix("Value error, "),
        )
        for e in err.errors()
    ]


def _document(folder: Path) -> dict[str, Any]:
    path = folder / SCENARIO_FILE
    doc = load_yaml(path, "scenario file")
    if not isinstance(doc, dict):
        raise InputError(Problem(file=str(path), message="expected a YAML mapping (key: value) at the top level"))
    return doc


def read_scenario_file(folder: Path) -> ScenarioFile:
    """scenario.yaml, validated, every file key checked against the folder. On failure the InputError also
    lists the problems of the layers that the valid parts of the file name (every problem at once)."""
    folder = Path(folder)
    path = folder / SCENARIO_FILE
    doc = _document(folder)
    try:
        return ScenarioFile.model_validate(doc, context={"folder": folder})
    except ValidationError as e:
        problems = _validation_problems(path, e)
    raise InputError(problems + _layer_problems(folder, doc))


def list_scenarios(folder: Path) -> list[str]:
    return list(read_scenario_file(Path(folder)).scenarios)


class _Collector:
    """Gathers problems across all layers so the user sees every one at once."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, file: Path | str, message: str, feature: str | None = None, field: str | None = None) -> None:
        self.problems.append(Problem(file=str(file), message=message, feature=feature, field=field))

    def raise_if_any(self) -> None:
        if self.problems:
            raise InputError(self.problems)


def _path(folder: Path, name: str, col: _Collector, field: str) -> Path | None:
    """A file key's path, checked again at read time (see _inputs.folder_file)."""
    try:
        return folder_file(folder, name, field=field)
    except InputError as e:
        col.problems.extend(e.problems)
        return None


def _read(
    folder: Path, spec: LayerSpec | FootprintSpec, col: _Collector, field: str = "file"
) -> tuple[Path, list[Feature]] | None:
    path = _path(folder, spec.file, col, field)
    if path is None:
        return None
    try:
        return path, read_layer(path, spec.layer)
    except InputError as e:
        col.problems.extend(e.problems)
        return None


def _prop(f: Feature, spec: LayerSpec | None, name: str) -> Any:
    key = spec.fields.get(name, name) if isinstance(spec, LayerSpec) else name
    return f.properties.get(key)


def _feature_id(f: Feature, spec: LayerSpec | FootprintSpec | None) -> str:
    raw = _prop(f, spec if isinstance(spec, LayerSpec) else None, "id")
    return str(raw) if raw not in (None, "") else str(f.index)


def _number(
    col: _Collector,
    path: Path,
    f: Feature,
    fid: str,
    field: str,
    value: Any,
    *,
    required: bool,
    integer: bool = False,
    lo: float | None = 0.0,
    hi: float | None = MAX_NUMBER,
) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            col.add(path, "missing; expected a number" + (" >= 0" if lo == 0 else ""), fid, field)
        return None
    try:
        x = float(value)
        if isinstance(value, bool) or math.isnan(x) or math.isinf(x):
            raise ValueError
    except (TypeError, ValueError):
        col.add(path, f"expected a number, got {value!r}", fid, field)
        return None
    if lo is not None and x < lo:
        col.add(path, f"expected a number >= {lo:g}, got {x:g}", fid, field)
        return None
    if hi is not None and x > hi:
        col.add(path, f"expected a number <= {hi:g}, got {x:g}", fid, field)
        return None
    return float(round(x)) if integer else x


def _positive(
    col: _Collector, path: Path, f: Feature, fid: str, field: str, value: Any, what: str, required: bool = True
) -> float | None:
    """A number > 0 (`what` says what it is, for the message), or None after saying what was expected."""
    x = _number(col, path, f, fid, field, value, required=required, lo=None)
    if x is not None and x <= 0:
        col.add(path, f"expected {what} > 0, got {x:g}", fid, field)
        return None
    return x


def _flag(col: _Collector, path: Path, fid: str, field: str, value: Any) -> bool:
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "yes", "1"}:
        return True
    if text in {"false", "no", "0"}:
        return False
    col.add(path, f"expected true or false, got {value!r}", fid, field)
    return False


def _check_geometry(col: _Collector, path: Path, f: Feature, fid: str, kinds: tuple[str, ...]) -> bool:
    g = f.geometry
    if f.geometry_error is not None:
        col.add(path, f.geometry_error, fid, "lon/lat")
        return False
    if g is None:
        col.add(path, f"missing geometry; expected {' or '.join(kinds)}", fid, "geometry")
        return False
    if g.geom_type not in kinds:
        col.add(path, f"wrong geometry type {g.geom_type}; expected {' or '.join(kinds)}", fid, "geometry")
        return False
    if g.is_empty:
        col.add(path, "empty geometry", fid, "geometry")
        return False
    if not shapely.is_valid(g):
        col.add(
            path,
            f"invalid geometry ({shapely.is_valid_reason(g)}); expected a valid, non-self-intersecting polygon",
            fid,
            "geometry",
        )
        return False
    if kinds == POLYGONAL and g.area == 0:
        col.add(path, "polygon has zero area", fid, "geometry")
        return False
    return True


def _unique(col: _Collector, path: Path, ids: list[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            col.add(path, "duplicate id; ids must be unique within a layer", i, "id")
        seen.add(i)


def _zones(folder: Path, spec: LayerSpec, col: _Collector) -> list[Zone]:
    got = _read(folder, spec, col, "layers.zones.file")
    if got is None:
        return []
    path, feats = got
    if not feats:
        col.add(path, "no features; expected at least one zone polygon")
    zones = []
    for f in feats:
        fid = _feature_id(f, spec)
        ok = _check_geometry(col, path, f, fid, POLYGONAL)
        pop = _number(
            col,
            path,
            f,
            fid,
            spec.fields.get("population", "population"),
            _prop(f, spec, "population"),
            required=True,
            integer=True,
            hi=MAX_ZONE_POPULATION,
        )
        vul = _number(col, path, f, fid, "vulnerable_share", _prop(f, spec, "vulnerable_share"), required=False, hi=1.0)
        dep = _number(
            col, path, f, fid, "aid_dependent_share", _prop(f, spec, "aid_dependent_share"), required=False, hi=1.0
        )
        if ok and pop is not None:
            zones.append(
                Zone(
                    id=fid,
                    source=f"{path.name}#{f.index}",
                    geometry=f.geometry,
                    population=int(pop),
                    name=str(_prop(f, spec, "name") or ""),
                    pcode=str(_prop(f, spec, "pcode") or ""),
                    vulnerable_share=vul,
                    aid_dependent_share=dep,
                )
            )
    _unique(col, path, [_feature_id(f, spec) for f in feats])
    return zones


def _sites(folder: Path, spec: LayerSpec, col: _Collector) -> list[Site]:
    got = _read(folder, spec, col, "layers.sites.file")
    if got is None:
        return []
    path, feats = got
    if not feats:
        col.add(path, "no features; expected at least one candidate site polygon")
    default_fraction = 1.0 if spec.usable_fraction is None else spec.usable_fraction
    sites = []
    for f in feats:
        fid = _feature_id(f, spec)
        ok = _check_geometry(col, path, f, fid, POLYGONAL)
        frac = _number(col, path, f, fid, "usable_fraction", _prop(f, spec, "usable_fraction"), required=False, hi=1.0)
        maxp = _number(
            col,
            path,
            f,
            fid,
            "max_population",
            _prop(f, spec, "max_population"),
            required=False,
            integer=True,
            hi=MAX_ZONE_POPULATION,
        )
        existing = _number(
            col,
            path,
            f,
            fid,
            "existing_population",
            _prop(f, spec, "existing_population"),
            required=False,
            integer=True,
            hi=MAX_ZONE_POPULATION,
        )
        opening = _number(col, path, f, fid, "opening_cost", _prop(f, spec, "opening_cost"), required=False)
        must, never = (_flag(col, path, fid, k, _prop(f, spec, k)) for k in ("must_open", "never_open"))
        if must and never:
            col.add(path, "a site cannot be both must_open and never_open", fid, "must_open")
        if ok:
            sites.append(
                Site(
                    id=fid,
                    source=f"{path.name}#{f.index}",
                    geometry=f.geometry,
                    name=str(_prop(f, spec, "name") or ""),
                    usable_fraction=default_fraction if frac is None else frac,
                    max_population=None if maxp is None else int(maxp),
                    existing_population=0 if existing is None else int(existing),
                    opening_cost=opening or 0.0,
                    must_open=must,
                    never_open=never,
                )
            )
    _unique(col, path, [_feature_id(f, spec) for f in feats])
    return sites


def _footprints(folder: Path, name: str, spec: FootprintSpec, col: _Collector) -> list[Footprint]:
    got = _read(folder, spec, col, f"footprints.{name}.file")
    if got is None:
        return []
    path, feats = got
    if not feats:
        col.add(path, f"no features; footprint '{name}' needs at least one polygon")
    out = []
    for f in feats:
        fid = _feature_id(f, None)
        ok = _check_geometry(col, path, f, fid, POLYGONAL)
        start = _number(col, path, f, fid, "start_day", f.properties.get("start_day"), required=False, hi=MAX_DAY)
        if ok:
            out.append(
                Footprint(
                    id=fid,
                    source=f"{path.name}#{f.index}",
                    geometry=f.geometry,
                    operation=name,
                    start_day=spec.start_day if start is None else start,
                )
            )
    _unique(col, path, [_feature_id(f, None) for f in feats])
    return out


def _entry_points(folder: Path, spec: LayerSpec, col: _Collector) -> list[EntryPoint]:
    got = _read(folder, spec, col, "layers.entry_points.file")
    if got is None:
        return []
    path, feats = got
    out = []
    for f in feats:
        fid = _feature_id(f, spec)
        ok = _check_geometry(col, path, f, fid, ("Point",))
        tpd = _number(
            col, path, f, fid, "trucks_per_day", _prop(f, spec, "trucks_per_day"), required=True, hi=MAX_TRUCKS_PER_DAY
        )
        design = _number(
            col,
            path,
            f,
            fid,
            "design_trucks_per_day",
            _prop(f, spec, "design_trucks_per_day"),
            required=False,
            hi=MAX_TRUCKS_PER_DAY,
        )
        payload = _number(col, path, f, fid, "payload_t", _prop(f, spec, "payload_t"), required=False, lo=0.01, hi=1000)
        opening = _number(
            col, path, f, fid, "opening_day", _prop(f, spec, "opening_day"), required=False, integer=True, hi=MAX_DAY
        )
        delay = _number(
            col,
            path,
            f,
            fid,
            "inspection_delay_days",
            _prop(f, spec, "inspection_delay_days"),
            required=False,
            integer=True,
            hi=MAX_DAY,
        )
        closes = _number(
            col, path, f, fid, "closes_day", _prop(f, spec, "closes_day"), required=False, integer=True, hi=MAX_DAY
        )
        stays = _flag(col, path, fid, "stays_open", _prop(f, spec, "stays_open"))
        if ok and tpd is not None:
            out.append(
                EntryPoint(
                    id=fid,
                    source=f"{path.name}#{f.index}",
                    geometry=f.geometry,
                    name=str(_prop(f, spec, "name") or ""),
                    trucks_per_day=tpd,
                    design_trucks_per_day=design,
                    payload_t=payload,
                    opening_day=int(opening or 0),
                    inspection_delay_days=int(delay or 0),
                    closes_day=None if closes is None else int(closes),
                    stays_open=stays,
                    source_note=str(_prop(f, spec, "source") or ""),
                )
            )
    _unique(col, path, [_feature_id(f, spec) for f in feats])
    return out


def _served(folder: Path, spec: LayerSpec, col: _Collector) -> list[ServedPopulation]:
    """Other populations fed through the same entry points: polygons or points with a population."""
    got = _read(folder, spec, col)
    if got is None:
        return []
    path, feats = got
    out = []
    for f in feats:
        fid = _feature_id(f, spec)
        ok = _check_geometry(col, path, f, fid, (*POLYGONAL, "Point"))
        pop = _number(
            col,
            path,
            f,
            fid,
            spec.fields.get("population", "population"),
            _prop(f, spec, "population"),
            required=True,
            integer=True,
        )
        dep = _number(
            col, path, f, fid, "aid_dependent_share", _prop(f, spec, "aid_dependent_share"), required=False, hi=1.0
        )
        if ok and pop is not None:
            out.append(
                ServedPopulation(
                    id=fid,
                    source=f"{path.name}#{f.index}",
                    geometry=f.geometry,
                    name=str(_prop(f, spec, "name") or ""),
                    population=int(pop),
                    aid_dependent_share=dep,
                )
            )
    _unique(col, path, [_feature_id(f, spec) for f in feats])
    return out


def _water_sources(folder: Path, spec: LayerSpec, days: int, col: _Collector) -> list[WaterSource]:
    """Wells, desalination plants, pipeline connections: where (a point), how much, from when, for whom."""
    got = _read(folder, spec, col)
    if got is None:
        return []
    path, feats = got
    out = []
    for f in feats:
        fid = _feature_id(f, spec)
        ok = _check_geometry(col, path, f, fid, ("Point",))
        m3 = _positive(col, path, f, fid, "m3_per_day", _prop(f, spec, "m3_per_day"), "m3 per day")
        reach = _positive(
            col,
            path,
            f,
            fid,
            "reach_km",
            _prop(f, spec, "reach_km"),
            "a reach in km (the people within it share the water)",
        )
        first = _number(col, path, f, fid, "from_day", _prop(f, spec, "from_day"), required=False, integer=True)
        last = _number(col, path, f, fid, "until_day", _prop(f, spec, "until_day"), required=False, integer=True)
        if first is not None and first >= days:
            col.add(path, f"day {first:g} is outside the horizon 0..{days - 1}", fid, "from_day")
        if first is not None and last is not None and last < first:
            col.add(path, "expected until_day >= from_day", fid, "until_day")
        if ok and m3 is not None and reach is not None:
            out.append(
                WaterSource(
                    id=fid,
                    source=f"{path.name}#{f.index}",
                    geometry=f.geometry,
                    name=str(_prop(f, spec, "name") or ""),
                    m3_per_day=m3,
                    reach_km=reach,
                    from_day=int(first or 0),
                    until_day=None if last is None else int(last),
                    source_note=str(_prop(f, spec, "source") or ""),
                )
            )
    _unique(col, path, [_feature_id(f, spec) for f in feats])
    return out


def _food_mix(folder: Path, file: str, col: _Collector) -> list[dict[str, Any]]:
    """The food mix delivered: rows of item, t, kcal_per_kg (t as shares or tonnes)."""
    try:
        path = folder_file(folder, file, field="cargo.food_mix_file")
        rows = read_csv_rows(path)
    except InputError as e:
        col.problems.extend(e.problems)
        return []
    out: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        item = (row.get("item") or "").strip() or f"row {i + 1}"
        t = _number(col, path, Feature(i, row, None), item, "t", row.get("t"), required=True)
        kcal = _number(col, path, Feature(i, row, None), item, "kcal_per_kg", row.get("kcal_per_kg"), required=True)
        if t is not None and kcal is not None:
            out.append({"item": item, "t": t, "kcal_per_kg": kcal, "source": row.get("source") or ""})
    if not out or sum(r["t"] for r in out) <= 0:
        col.add(path, "no food in the mix; expected rows of item, t (> 0 in all), kcal_per_kg", field="t")
    return out


def _payload_file(folder: Path, cargo: CargoSpec, col: _Collector) -> CargoSpec:
    """The cargo block with t per truck by commodity read from its payload file."""
    try:
        path = folder_file(folder, str(cargo.payload_file), field="cargo.payload_file")
        rows = read_csv_rows(path)
    except InputError as e:
        col.problems.extend(e.problems)
        return cargo
    payload, sources = {}, {}
    for i, row in enumerate(rows):
        cid = (row.get("commodity") or "").strip()
        v = _positive(
            col,
            path,
            Feature(i, row, None),
            cid or f"row {i + 1}",
            "t_per_truck",
            row.get("t_per_truck"),
            "t per truck",
        )
        if v is not None:
            payload[cid] = v
            sources[cid] = f"{path.name}: {row.get('source') or 'no source given'}"
    if cargo.payload_t:
        col.add(path, "give cargo.payload_t or cargo.payload_file, not both", field="cargo.payload_file")
    return cargo.model_copy(update={"payload_t": payload, "payload_sources": sources})


def _cargo_problems(cargo: CargoSpec, cfg_path: Path) -> list[Problem]:
    from .supply_data import _commodities_yaml

    known = [c["id"] for c in _commodities_yaml()["commodities"]]
    out = []
    for k, v in cargo.payload_t.items():
        if k not in known:
            out.append(
                Problem(
                    file=str(cfg_path),
                    field=f"cargo.payload_t.{k}",
                    message=f"unknown commodity '{k}'; expected one of {known}",
                )
            )
        elif not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            out.append(
                Problem(
                    file=str(cfg_path), field=f"cargo.payload_t.{k}", message=f"expected t per truck > 0, got {v!r}"
                )
            )
    if cargo.food_mix_file and cargo.food_kcal_per_kg is not None:
        out.append(
            Problem(
                file=str(cfg_path),
                field="cargo.food_kcal_per_kg",
                message="give food_kcal_per_kg or food_mix_file, not both",
            )
        )
    return out


def _warehouses(folder: Path, spec: LayerSpec, pallet_t: float, col: _Collector) -> list[Warehouse]:
    got = _read(folder, spec, col, "layers.warehouses.file")
    if got is None:
        return []
    path, feats = got
    out = []
    for f in feats:
        fid = _feature_id(f, spec)
        ok = _check_geometry(col, path, f, fid, ("Point",))
        cap_t = _number(col, path, f, fid, "capacity_t", _prop(f, spec, "capacity_t"), required=False)
        pallets = _number(col, path, f, fid, "capacity_pallets", _prop(f, spec, "capacity_pallets"), required=False)
        if cap_t is not None and pallets is not None:
            col.add(path, "give capacity_t or capacity_pallets, not both", fid, "capacity_pallets")
        if ok:
            out.append(
                Warehouse(
                    id=fid,
                    source=f"{path.name}#{f.index}",
                    geometry=f.geometry,
                    name=str(_prop(f, spec, "name") or ""),
                    capacity_t=cap_t if pallets is None else pallets * pallet_t,
                )
            )
    _unique(col, path, [_feature_id(f, spec) for f in feats])
    return out


def _population_structure(folder: Path, file: str, col: _Collector, field: str) -> PopulationStructure | None:
    path = _path(folder, file, col, field)
    if path is None:
        return None
    try:
        rows = read_csv_rows(path)
    except InputError as e:
        col.problems.extend(e.problems)
        return None
    bands: list[AgeBand] = []
    extra = {"pregnant": 0.0, "lactating": 0.0}
    for i, row in enumerate(rows):
        age = (row.get("age") or "").strip()
        if not age:
            continue
        if age in extra:
            v = _number(col, path, Feature(i, row, None), age, "female", row.get("female"), required=True, hi=1.0)
            extra[age] = v or 0.0
            continue
        m = _number(col, path, Feature(i, row, None), age, "male", row.get("male"), required=True, hi=1.0)
        w = _number(col, path, Feature(i, row, None), age, "female", row.get("female"), required=True, hi=1.0)
        if m is not None and w is not None:
            bands.append(AgeBand(age=age, male=m, female=w))
    total = sum(b.male + b.female for b in bands)
    if bands and abs(total - 1.0) > 1e-3:
        col.add(
            path, f"age/sex shares sum to {total:.4f}; expected 1 (shares of the total population)", field="male+female"
        )
    return PopulationStructure(file=file, bands=bands, **extra)


def _band_problems(folder: Path, structure: PopulationStructure, standards: Standards, col: _Collector) -> None:
    """Age bands the standards profile has no energy requirement for."""
    known = [b.age for b in standards.energy_requirements.bands]
    seen: set[str] = set()
    for b in structure.bands:
        if b.age not in known:
            col.add(
                folder / structure.file,
                f"unknown age band '{b.age}'; expected one of {known} (the energy "
                f"table of the '{standards.profile}' profile)",
                b.age,
                "age",
            )
        elif b.age in seen:
            col.add(folder / structure.file, "age band listed twice", b.age, "age")
        seen.add(b.age)


def _roads(folder: Path, spec: LayerSpec, col: _Collector) -> Any:
    from .roads import load_roads  # pyosmium and friends load only when a scenario has roads

    path = _path(folder, spec.file, col, "layers.roads.file")
    if path is None:
        return None
    try:
        roads = load_roads(path, layer=spec.layer)
    except InputError as e:
        col.problems.extend(e.problems)
        return None
    for i, message in coordinate_problems(roads.geometry):
        col.add(path, message, str(roads.feature_id[i]), "geometry")
    for i in np.flatnonzero(shapely.length(roads.geometry) == 0).tolist():
        col.add(
            path,
            "a line of zero length (all its points coincide); expected a road with two distinct points",
            str(roads.feature_id[i]),
            "geometry",
        )
    return roads


def _closures(folder: Path, spec: LayerSpec, col: _Collector) -> Any:
    from .roads import load_closures

    path = _path(folder, spec.file, col, "layers.closures.file")
    if path is None:
        return None
    try:
        closures = load_closures(path, layer=spec.layer, factor_field=spec.fields.get("factor", "factor"))
    except InputError as e:
        col.problems.extend(e.problems)
        return None
    for i, message in coordinate_problems(closures.polygons):
        col.add(path, message, str(i), "geometry")
    return closures


def _valid(model: type[BaseModel], raw: Any, folder: Path) -> Any:
    try:
        return model.model_validate(raw, context={"folder": folder})
    except ValidationError:
        return None


def _layer_problems(folder: Path, doc: dict[str, Any]) -> list[Problem]:
    """Problems of the layers named by the valid parts of a scenario.yaml that has errors elsewhere."""
    col = _Collector()
    layers: dict[str, Any] = doc["layers"] if isinstance(doc.get("layers"), dict) else {}
    for key, reader in (("zones", _zones), ("sites", _sites), ("entry_points", _entry_points), ("roads", _roads)):
        spec = _valid(LayerSpec, layers.get(key), folder)
        if spec is not None:
            reader(folder, spec, col)
    footprints: dict[str, Any] = doc["footprints"] if isinstance(doc.get("footprints"), dict) else {}
    for name, raw in footprints.items():
        spec = _valid(FootprintSpec, raw, folder)
        if spec is not None:
            _footprints(folder, str(name), spec, col)
    return col.problems


def _standards_spec(top: StandardsSpec, own: StandardsSpec | None) -> StandardsSpec:
    """A scenario's `standards:` block over the file's: its profile (if given) wins, overrides merge."""
    if own is None:
        return top
    profile = own.profile if "profile" in own.model_fields_set else top.profile
    return StandardsSpec(profile=profile, overrides={**top.overrides, **own.overrides})


def _metric_crs(setting: str, cfg_path: Path, geoms: list[shapely.Geometry], col: _Collector) -> CRS | None:
    if setting != "auto":
        try:
            crs = CRS.from_user_input(setting)
        except CRSError:
            col.add(
                cfg_path, f"unknown CRS '{setting}'; expected 'auto' or an EPSG code such as 'EPSG:32636'", field="crs"
            )
            return None
        if not crs.is_projected:
            col.add(
                cfg_path, f"CRS '{setting}' is not projected; metric work needs a projected CRS in metres", field="crs"
            )
            return None
        return crs
    if not geoms:
        return None
    b = shapely.total_bounds(geoms)
    return local_crs((b[0], b[1], b[2], b[3]))


def _observed(
    folder: Path, cfg_path: Path, spec: SupplySpec, days: int, col: _Collector, where: str
) -> dict[str, Any] | None:
    if not spec.observed_file or not spec.observed_start:
        col.add(
            cfg_path,
            "entry_capacity 'observed' needs observed_file and observed_start (ISO date of day 0)",
            field=f"{where}supply.observed_file",
        )
        return None
    from .supply_data import read_observed_trucks

    path = _path(folder, spec.observed_file, col, f"{where}supply.observed_file")
    if path is None:
        return None
    try:
        return read_observed_trucks(path, spec.observed_start, days)
    except InputError as e:
        col.problems.extend(e.problems)
        return None


def _option_problems(
    cfg_path: Path,
    name: str,
    sc: ScenarioSettings,
    cfg: ScenarioFile,
    sites: list[Site],
    entry_ids: list[str] | None,
    days: int,
    col: _Collector,
) -> None:
    """Options that contradict the layers or the horizon (each named with the block it comes from)."""
    own = f"scenarios.{name}."
    siting = sc.siting or cfg.siting
    where = own if sc.siting is not None else ""
    openable = sum(not s.never_open for s in sites)
    must = sum(s.must_open for s in sites)
    if siting.min_open_sites is not None and sites and siting.min_open_sites > openable:
        col.add(
            cfg_path,
            f"{siting.min_open_sites} sites to open but the scenario has {len(sites)} candidate sites"
            + (f", {len(sites) - openable} of them never_open" if openable < len(sites) else ""),
            field=f"{where}siting.min_open_sites",
        )
    if siting.max_open_sites is not None and must > siting.max_open_sites:
        col.add(
            cfg_path,
            f"at most {siting.max_open_sites} sites to open but {must} sites are must_open",
            field=f"{where}siting.max_open_sites",
        )
    if (
        siting.min_open_sites is not None
        and siting.max_open_sites is not None
        and siting.min_open_sites > siting.max_open_sites
    ):
        col.add(
            cfg_path,
            f"min_open_sites {siting.min_open_sites} > max_open_sites {siting.max_open_sites}",
            field=f"{where}siting.min_open_sites",
        )
    supply = sc.supply or cfg.supply
    where = own if sc.supply is not None else ""
    for k, d in enumerate(supply.disruptions):
        field = f"{where}supply.disruptions.{k}"
        if entry_ids is not None and d.entry_point not in entry_ids:
            col.add(
                cfg_path,
                f"unknown entry point '{d.entry_point}'; expected one of {entry_ids}",
                field=f"{field}.entry_point",
            )
        if d.last_day >= days:
            col.add(
                cfg_path,
                f"day {d.last_day} is outside the horizon 0..{days - 1}; expected a day within it",
                field=f"{field}.last_day",
            )
    if entry_ids is not None:
        extra = [e.id for e in supply.entries]
        for k, e in enumerate(supply.entries):
            if e.id in entry_ids or extra.index(e.id) != k:
                col.add(cfg_path, f"entry point id '{e.id}' already used", field=f"{where}supply.entries.{k}.id")
        col.problems.extend(chain_problems(supply.chain, entry_ids + extra, str(cfg_path), f"{where}supply.chain"))


def load_scenario(folder: str | Path, name: str) -> Scenario:
    """Load and validate the named scenario of a scenario folder; raises InputError listing every problem."""
    folder = Path(folder)
    cfg = read_scenario_file(folder)
    cfg_path = folder / SCENARIO_FILE
    if name not in cfg.scenarios:
        raise InputError(
            Problem(
                file=str(cfg_path),
                field="scenarios",
                message=f"no scenario named '{name}'; expected one of {list(cfg.scenarios)}",
            )
        )
    sc = cfg.scenarios[name]
    own = f"scenarios.{name}."
    days = sc.horizon_days or cfg.horizon_days
    col = _Collector()
    monitoring_spec = sc.monitoring or cfg.monitoring
    arrivals_spec = sc.arrivals or cfg.arrivals
    _footprint_problems(cfg_path, name, sc, cfg, monitoring_spec is None and arrivals_spec is None, col)

    layers = (
        cfg.layers if sc.layers is None else cfg.layers.model_copy(update={k: v for k, v in sc.layers if v is not None})
    )
    zones = _zones(folder, layers.zones, col)
    sites = _sites(folder, layers.sites, col)
    footprints = [
        f for fp in sc.footprints if fp in cfg.footprints for f in _footprints(folder, fp, cfg.footprints[fp], col)
    ]
    entry_points = _entry_points(folder, layers.entry_points, col) if layers.entry_points else []
    structure_file = sc.population_structure or cfg.population_structure
    structure = (
        _population_structure(
            folder, structure_file, col, (own if sc.population_structure else "") + "population_structure"
        )
        if structure_file
        else None
    )
    roads = _roads(folder, layers.roads, col) if layers.roads is not None else None
    closures = _closures(folder, layers.closures, col) if layers.closures is not None else None

    layout_spec = sc.layout or cfg.layout
    no_build = _no_build(folder, layout_spec, col, (own if sc.layout is not None else "") + "layout.no_build")

    supply_spec = sc.supply or cfg.supply
    observed = None
    if supply_spec.entry_capacity == "observed":
        observed = _observed(folder, cfg_path, supply_spec, days, col, own if sc.supply is not None else "")
    _option_problems(
        cfg_path,
        name,
        sc,
        cfg,
        sites,
        [e.id for e in entry_points] if entry_points or layers.entry_points is None else None,
        days,
        col,
    )

    standards = _checked_standards(folder, cfg_path, cfg, sc, structure, col)

    uncertainty = sc.uncertainty or cfg.uncertainty
    health_spec = sc.health or cfg.health
    _spec_problems(folder, cfg_path, sc, cfg, own, zones, sites, entry_points, supply_spec, col)
    flood, flood_problems = read_flood_layer(
        folder, sc.seasons if sc.seasons is not None else cfg.seasons, str(cfg_path)
    )
    col.problems.extend(flood_problems)

    _package_problems(folder, cfg_path, cfg, days, entry_points, sites, col)

    movement, movement_observed, phases = _orders_and_phases(folder, cfg_path, sc, cfg, own, days, sites, col)
    served = _served(folder, layers.served_populations, col) if layers.served_populations else []
    water_sources = _water_sources(folder, layers.water_sources, days, col) if layers.water_sources else []
    cargo, food_mix = _cargo(folder, cfg_path, sc.cargo or cfg.cargo, col)
    for e in entry_points:
        if e.closes_day is not None and e.closes_day < e.opening_day and layers.entry_points is not None:
            col.add(folder / layers.entry_points.file, "expected closes_day >= opening_day", e.id, "closes_day")

    warehouses = []
    if layers.warehouses is not None and standards is not None:
        warehouses = _warehouses(folder, layers.warehouses, standards.value("pallet_weight_kg") / 1000.0, col)
    ground = None
    if layers.sites.usable_land is not None:
        from .usable_land import load_ground

        try:
            ground = load_ground(folder, layers.sites.usable_land, str(cfg_path))
        except InputError as e:
            col.problems.extend(e.problems)
    crs = _metric_crs(cfg.crs, cfg_path, [z.geometry for z in zones] + [s.geometry for s in sites], col)
    col.raise_if_any()
    assert standards is not None and crs is not None

    _project_all(crs, flood, (zones, sites, footprints, entry_points, warehouses, served, water_sources))

    monitored = arriving = None
    if monitoring_spec is not None or arrivals_spec is not None:
        from .settlement import apply_settlement

        zones, sites, monitored, arriving = apply_settlement(
            folder,
            str(cfg_path),
            monitoring_spec,
            arrivals_spec,
            zones,
            sites,
            footprints,
            entry_points,
            crs,
            days,
            Zone,
        )
    ground_notes: list[str] = []
    if ground is not None:
        from . import usable_land

        sites = usable_land.apply(sites, free_geometry(sites, footprints), crs, ground)
        ground_notes = usable_land.notes(sites, ground)
    household_size = sc.household_size or cfg.household_size or standards.value("household_size")
    return Scenario(
        folder=folder,
        name=name,
        title=cfg.title,
        description=sc.description or cfg.description,
        available=list(cfg.scenarios),
        crs=crs,
        standards=standards,
        horizon_days=days,
        household_size=household_size,
        zones=zones,
        sites=sites,
        footprints=footprints,
        entry_points=entry_points,
        warehouses=warehouses,
        roads=roads,
        closures=closures,
        population_structure=structure,
        siting=sc.siting or cfg.siting,
        layout=layout_spec,
        evacuation=sc.evacuation or cfg.evacuation,
        supply=supply_spec,
        observed_trucks=observed,
        no_build_m=list(project(_as_array([f.geometry for f in no_build]), WGS84, crs)) if no_build else [],
        uncertainty=uncertainty,
        packages=cfg.packages,
        ground_notes=ground_notes,
        movement=movement if movement is not None and movement.enabled else None,
        movement_observed=movement_observed,
        phases=phases,
        population_spec=sc.population or cfg.population,
        overflow=sc.overflow or cfg.overflow,
        sharing=sc.sharing or cfg.sharing,
        cargo=cargo,
        food_mix=food_mix,
        served=served,
        water_sources=water_sources,
        hospital_beds_by_day=None
        if cfg.existing_hospital_beds is None
        else np.full(days, float(cfg.existing_hospital_beds)),
        monitoring=monitored,
        arrivals=arriving,
        start_date=sc.start_date or cfg.start_date,
        health=health_spec,
        seasons=sc.seasons if sc.seasons is not None else cfg.seasons,
        flood_zones=flood,
    )


def _orders_and_phases(
    folder: Path,
    cfg_path: Path,
    sc: ScenarioSettings,
    cfg: ScenarioFile,
    own: str,
    days: int,
    sites: list[Site],
    col: _Collector,
) -> tuple[MovementSpec | None, dict[int, tuple[list[float], list[float]]], PhasesSpec | None]:
    """(movement, observed departures per order, phases), checked: phases against the sites and footprints, orders
    against the footprints (every footprint needs one) and never together with an arrivals series."""
    arrivals_spec = sc.arrivals or cfg.arrivals
    movement = sc.movement or cfg.movement
    movement_observed: dict[int, tuple[list[float], list[float]]] = {}
    phases = sc.phases or cfg.phases
    if phases is not None:
        col.problems.extend(
            phases_problems(
                phases,
                file=str(cfg_path),
                horizon_days=days,
                sites=[s.id for s in sites],
                footprints={fp: cfg.footprints[fp].start_day for fp in sc.footprints if fp in cfg.footprints},
                where=(own if sc.phases is not None else "") + "phases",
            )
        )
    if movement is not None and movement.enabled and arrivals_spec is not None:
        col.add(
            cfg_path,
            "a scenario has either orders over days (movement) or an arrivals series (arrivals), not "
            "both: the two describe where the displaced come from in different ways",
            field=(own if sc.arrivals is not None else "") + "arrivals",
        )
    if movement is not None and movement.enabled:
        where = (own if sc.movement is not None else "") + "movement"
        col.problems.extend(
            movement_problems(
                movement, file=str(cfg_path), horizon_days=days, footprints=list(sc.footprints), where=where
            )
        )
        ordered = {o.footprint for o in movement.orders}
        for fp in sc.footprints:
            if fp not in ordered:
                col.add(
                    cfg_path,
                    f"footprint '{fp}' has no order; with a movement block every footprint of the "
                    "scenario needs an order (movement.orders: [{footprint: ..., day: ...}])",
                    field=f"{where}.orders",
                )
        for k, o in enumerate(movement.orders):
            if o.observed is not None:
                path = _path(folder, o.observed.file, col, f"{where}.orders[{k}].observed.file")
                if path is not None:
                    try:
                        movement_observed[k] = read_observed_departures(path, o.observed)
                    except InputError as e:
                        col.problems.extend(e.problems)
    return movement, movement_observed, phases


def _cargo(folder: Path, cfg_path: Path, cargo: CargoSpec, col: _Collector) -> tuple[CargoSpec, list[dict[str, Any]]]:
    """(cargo with its payload file and food mix applied, the food mix rows)."""
    if cargo.payload_file:
        cargo = _payload_file(folder, cargo, col)
    col.problems.extend(_cargo_problems(cargo, cfg_path))
    food_mix: list[dict[str, Any]] = []
    if cargo.food_mix_file:
        food_mix = _food_mix(folder, cargo.food_mix_file, col)
        total = sum(r["t"] for r in food_mix)
        if total > 0:
            cargo = cargo.model_copy(
                update={"food_kcal_per_kg": sum(r["t"] * r["kcal_per_kg"] for r in food_mix) / total}
            )
    return cargo, food_mix


def _project_all(crs: CRS, flood: list[dict[str, Any]], layers: tuple[list[Any], ...]) -> None:
    """Every layer's geometry in the scenario's metric CRS (``geometry_m``); flood polygons too (stages.seasons)."""
    if flood:  # flood polygons in the local metric CRS (stages.seasons)
        for z, g in zip(flood, project(_as_array([z["geometry"] for z in flood]), WGS84, crs)):
            z["geometry_m"] = g
    for items in layers:
        if items:
            projected = project(_as_array([i.geometry for i in items]), WGS84, crs)
            for item, g in zip(items, projected):
                item.geometry_m = g


def _checked_standards(
    folder: Path,
    cfg_path: Path,
    cfg: ScenarioFile,
    sc: ScenarioSettings,
    structure: PopulationStructure | None,
    col: _Collector,
) -> Standards | None:
    """The standards profile with the file's and the scenario's overrides (None and problems if it does not load),
    and the population structure's age bands against it."""
    std_spec = _standards_spec(cfg.standards, sc.standards)
    standards = None
    try:
        standards = load_standards(std_spec.profile, std_spec.overrides, source_file=str(cfg_path))
    except InputError as e:
        col.problems.extend(e.problems)
    if structure is not None and standards is not None:
        _band_problems(folder, structure, standards, col)
    return standards


def _footprint_problems(
    cfg_path: Path, name: str, sc: ScenarioSettings, cfg: ScenarioFile, need_one: bool, col: _Collector
) -> None:
    """Footprints the file does not define; none at all when the scenario has neither monitoring nor arrivals."""
    for fp in sc.footprints:
        if fp not in cfg.footprints:
            col.add(
                cfg_path,
                f"unknown footprint '{fp}'; expected one of {list(cfg.footprints)}",
                field=f"scenarios.{name}.footprints",
            )
    if not sc.footprints and need_one:
        col.add(
            cfg_path,
            "a scenario needs at least one footprint (the area the operation empties), or monitoring or arrivals",
            field=f"scenarios.{name}.footprints",
        )


def _no_build(folder: Path, layout_spec: LayoutSpec, col: _Collector, where: str) -> list[Feature]:
    """The layout's no-build polygons (none without a file); broken geometries are problems."""
    no_build: list[Feature] = []
    if layout_spec.no_build:
        got = _read(
            folder,
            FootprintSpec(file=layout_spec.no_build),
            col,
            where,
        )
        if got is not None:
            path, feats = got
            for f in feats:
                if f.geometry_error is not None:
                    col.add(path, f.geometry_error, str(f.index), "geometry")
                elif f.geometry is not None and not f.geometry.is_empty:
                    no_build.append(f)
    return no_build


def _spec_problems(
    folder: Path,
    cfg_path: Path,
    sc: ScenarioSettings,
    cfg: ScenarioFile,
    own: str,
    zones: list[Zone],
    sites: list[Site],
    entry_points: list[EntryPoint],
    supply_spec: SupplySpec,
    col: _Collector,
) -> None:
    """The uncertainty, health and seasons blocks against the layers (each named with the block it comes from)."""
    uncertainty = sc.uncertainty or cfg.uncertainty
    if uncertainty is not None:
        col.problems.extend(
            uncertainty_problems(
                uncertainty,
                str(cfg_path),
                [z.id for z in zones],
                [s.id for s in sites],
                [e.id for e in entry_points],
                folder=folder,
                chain_ids=[c.entry_point for c in supply_spec.chain],
                mode_entry_ids=[e.id for e in supply_spec.entries],
            )
        )

    health_spec = sc.health or cfg.health
    col.problems.extend(
        health_spec_problems(health_spec, str(cfg_path), (own if sc.health is not None else "") + "health")
    )
    col.problems.extend(
        seasons_problems(
            sc.seasons if sc.seasons is not None else cfg.seasons,
            sc.start_date or cfg.start_date,
            str(cfg_path),
            (own if sc.seasons is not None else "") + "seasons",
        )
    )


def _package_problems(
    folder: Path,
    cfg_path: Path,
    cfg: ScenarioFile,
    days: int,
    entry_points: list[EntryPoint],
    sites: list[Site],
    col: _Collector,
) -> None:
    """Every package checked here, so `assess` never meets a broken one halfway."""
    for pname in cfg.packages:
        try:
            resolved = resolve_package(cfg.packages, pname, str(cfg_path))
        except InputError as e:
            col.problems.extend(e.problems)
            continue
        col.problems.extend(package_problems(resolved, pname, days, [e.id for e in entry_points], str(cfg_path)))
        col.problems.extend(package_file_problems(resolved, pname, folder, days, [s.id for s in sites]))


def free_geometry(sites: list[Site], footprints: list[Footprint]) -> np.ndarray:
    """Each site's polygon minus the operation footprint (metric CRS)."""
    geoms = np.array([s.geometry_m for s in sites], dtype=object)
    if not footprints:
        return geoms
    return shapely.difference(geoms, shapely.union_all(np.array([f.geometry_m for f in footprints], dtype=object)))


def _as_array(geoms: list[shapely.Geometry]) -> np.ndarray:
    import numpy as np

    arr = np.empty(len(geoms), dtype=object)
    arr[:] = geoms
    return arr
