"""The loaded scenario: its zones, sites, footprints, entry points and other features (WGS84 and metric), the
population structure, and the resolved `Scenario` every stage reads."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pydantic import BaseModel, ConfigDict, Field

from .._memo import LastCall
from ..standards import Standards
from ._healthdata import HealthSpec
from ._uncertainty import UncertaintySpec
from .config import (
    CargoSpec,
    EvacuationSpec,
    LayoutSpec,
    OverflowSpec,
    PopulationSpec,
    SharingSpec,
    SitingSpec,
    SupplySpec,
)
from .movement import MovementSpec
from .packages import PackageSpec
from .phases import PhasesSpec
from .usable_land import SiteGround


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


_FREE: LastCall[np.ndarray] = LastCall()


def free_geometry(sites: list[Site], footprints: list[Footprint]) -> np.ndarray:
    """Each site's polygon minus the operation footprint (metric CRS); the last result again for the same geometry
    objects (an ensemble's members, three times a plan)."""
    geoms = np.array([s.geometry_m for s in sites], dtype=object)
    if not footprints:
        return geoms
    fps = tuple(f.geometry_m for f in footprints)
    free = _FREE.get(
        (*geoms, None, *fps),
        lambda: shapely.difference(geoms, shapely.union_all(np.array(fps, dtype=object))),
    )
    return free.copy()  # geometries are immutable; the array is the caller's
