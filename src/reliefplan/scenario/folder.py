"""The scenario-folder loader: scenario.yaml read and validated, then a named scenario's layers read, checked
against its options, projected and resolved into a `Scenario`.

The models live in `config` (scenario.yaml) and `model` (the loaded inputs); the layer readers in
`_layer_readers`, the tables and cargo in `_tables`, the cross-checks in `_checks`. This module re-exports the
models, so `from reliefplan.scenario.folder import Scenario` keeps working.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pydantic import BaseModel, ValidationError
from pyproj import CRS

from .._errors import InputError, Problem, field_path, schema_message
from ..geo import WGS84, project
from ..standards import Standards
from ._checks import (
    _checked_standards,
    _footprint_problems,
    _metric_crs,
    _option_problems,
    _orders_and_phases,
    _package_problems,
    _spec_problems,
)
from ._fields import _Collector
from ._inputs import load_yaml, loc_feature
from ._layer_readers import (
    _closures,
    _entry_points,
    _footprints,
    _no_build,
    _roads,
    _served,
    _sites,
    _warehouses,
    _water_sources,
    _zones,
)
from ._layers import Feature
from ._seasonsdata import read_flood_layer
from ._tables import _cargo, _observed, _population_structure
from .config import (
    GROUPS,
    CargoSpec,
    DisruptionSpec,
    EvacuationSpec,
    FootprintSpec,
    Layers,
    LayersOverride,
    LayerSpec,
    LayoutSpec,
    OverflowSpec,
    PopulationSpec,
    ScenarioFile,
    ScenarioSettings,
    SharingSpec,
    SitesLayerSpec,
    SitingSpec,
    StandardsSpec,
    SupplySpec,
)
from .model import (
    AgeBand,
    EntryPoint,
    Footprint,
    PopulationStructure,
    Scenario,
    ServedPopulation,
    Site,
    Warehouse,
    WaterSource,
    Zone,
    free_geometry,
)
from .movement import MovementSpec
from .phases import PhasesSpec

__all__ = [
    "GROUPS",
    "SCENARIO_FILE",
    "AgeBand",
    "CargoSpec",
    "DisruptionSpec",
    "EntryPoint",
    "EvacuationSpec",
    "Footprint",
    "FootprintSpec",
    "Layers",
    "LayerSpec",
    "LayersOverride",
    "LayoutSpec",
    "OverflowSpec",
    "PopulationSpec",
    "PopulationStructure",
    "Scenario",
    "ScenarioFile",
    "ScenarioSettings",
    "ServedPopulation",
    "SharingSpec",
    "Site",
    "SitesLayerSpec",
    "SitingSpec",
    "StandardsSpec",
    "SupplySpec",
    "Warehouse",
    "WaterSource",
    "Zone",
    "free_geometry",
    "list_scenarios",
    "load_scenario",
    "read_scenario_file",
]

SCENARIO_FILE = "scenario.yaml"


#: tags of tagged unions (departure curve kinds) that pydantic puts in an error's location; not keys a user wrote
_UNION_TAGS = ("logistic", "weibull", "empirical")


def _validation_problems(path: Path, err: ValidationError, doc: Any) -> list[Problem]:
    out = []
    for e in err.errors():
        loc = tuple(p for i, p in enumerate(e["loc"]) if not (p in _UNION_TAGS and i and e["loc"][i - 1] == "curve"))
        out.append(
            Problem(
                file=str(path),
                feature=loc_feature(doc, loc),
                field=field_path(*loc) or None,
                message=schema_message(e),
            )
        )
    return out


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
        problems = _validation_problems(path, e, doc)
    raise InputError(problems + _layer_problems(folder, doc))


def list_scenarios(folder: Path) -> list[str]:
    return list(read_scenario_file(Path(folder)).scenarios)


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


@dataclass
class _Read:
    """A named scenario's inputs as read so far (geometries WGS84 until `_project_all`)."""

    layers: Layers
    zones: list[Zone]
    sites: list[Site]
    footprints: list[Footprint]
    entry_points: list[EntryPoint]
    structure: PopulationStructure | None
    roads: Any
    closures: Any
    no_build: list[Feature]
    observed: dict[str, Any] | None = None
    standards: Standards | None = None
    flood: list[dict[str, Any]] = field(default_factory=list)
    movement: MovementSpec | None = None
    movement_observed: dict[int, tuple[list[float], list[float]]] = field(default_factory=dict)
    phases: PhasesSpec | None = None
    served: list[ServedPopulation] = field(default_factory=list)
    water_sources: list[WaterSource] = field(default_factory=list)
    cargo: CargoSpec = field(default_factory=CargoSpec)
    food_mix: list[dict[str, Any]] = field(default_factory=list)
    warehouses: list[Warehouse] = field(default_factory=list)
    ground: Any = None  # usable_land's ground layers, when layers.sites.usable_land is given


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
    days = sc.horizon_days or cfg.horizon_days
    col = _Collector()
    read = _read_layers(folder, cfg_path, cfg, sc, name, col)
    _check_options(folder, cfg_path, cfg, sc, name, days, read, col)
    _read_supply_inputs(folder, cfg_path, cfg, sc, days, read, col)
    crs = _metric_crs(cfg.crs, cfg_path, [z.geometry for z in read.zones] + [s.geometry for s in read.sites], col)
    col.raise_if_any()
    assert read.standards is not None and crs is not None
    _project_all(
        crs,
        read.flood,
        (read.zones, read.sites, read.footprints, read.entry_points, read.warehouses, read.served, read.water_sources),
    )
    return _resolved(folder, name, cfg, sc, days, crs, read)


def _read_layers(
    folder: Path, cfg_path: Path, cfg: ScenarioFile, sc: ScenarioSettings, name: str, col: _Collector
) -> _Read:
    """The scenario's footprints checked, then its layers (its own over the file's) read: zones, sites, footprints,
    entry points, population structure, roads, closures and the layout's no-build areas."""
    own = f"scenarios.{name}."
    settled = (sc.monitoring or cfg.monitoring) is not None or (sc.arrivals or cfg.arrivals) is not None
    _footprint_problems(cfg_path, name, sc, cfg, not settled, col)
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
    return _Read(layers, zones, sites, footprints, entry_points, structure, roads, closures, no_build)


def _check_options(
    folder: Path,
    cfg_path: Path,
    cfg: ScenarioFile,
    sc: ScenarioSettings,
    name: str,
    days: int,
    read: _Read,
    col: _Collector,
) -> None:
    """The options checked against the layers and the horizon, and the files they name read: the observed truck
    series, the standards profile, the flood layer, the packages, the orders and phases."""
    own = f"scenarios.{name}."
    supply_spec = sc.supply or cfg.supply
    if supply_spec.entry_capacity == "observed":
        read.observed = _observed(folder, cfg_path, supply_spec, days, col, own if sc.supply is not None else "")
    entry_ids = _named_ids(read.entry_points, read.layers.entry_points, folder, col)
    _option_problems(cfg_path, name, sc, cfg, read.sites, entry_ids, days, col)
    read.standards = _checked_standards(folder, cfg_path, cfg, sc, read.structure, col)
    zone_ids = _named_ids(read.zones, read.layers.zones, folder, col)
    _spec_problems(folder, cfg_path, sc, cfg, own, zone_ids, read.sites, entry_ids, supply_spec, col)
    read.flood, flood_problems = read_flood_layer(
        folder, sc.seasons if sc.seasons is not None else cfg.seasons, str(cfg_path)
    )
    col.problems.extend(flood_problems)
    _package_problems(folder, cfg_path, cfg, days, entry_ids, read.sites, col)
    read.movement, read.movement_observed, read.phases = _orders_and_phases(
        folder, cfg_path, sc, cfg, own, days, read.sites, col
    )


def _named_ids(
    items: Sequence[Zone | EntryPoint], spec: LayerSpec | None, folder: Path, col: _Collector
) -> list[str] | None:
    """The ids of a layer that other blocks may name; None (their references not checked) while the layer is empty or
    has problems of its own: a feature left out for a bad field would be reported again, as unknown, by every block
    that names it."""
    if spec is None:
        return []
    path = str(folder / spec.file)
    if not items or any(p.file == path for p in col.problems):
        return None
    return [i.id for i in items]


def _read_supply_inputs(
    folder: Path, cfg_path: Path, cfg: ScenarioFile, sc: ScenarioSettings, days: int, read: _Read, col: _Collector
) -> None:
    """The other people fed and the water, cargo and storage that feed them: served populations, water sources,
    cargo and food mix, the entry points' closing days, warehouses; and the ground under the sites."""
    layers = read.layers
    read.served = _served(folder, layers.served_populations, col) if layers.served_populations else []
    read.water_sources = _water_sources(folder, layers.water_sources, days, col) if layers.water_sources else []
    read.cargo, read.food_mix = _cargo(folder, cfg_path, sc.cargo or cfg.cargo, col)
    for e in read.entry_points:
        if e.closes_day is not None and e.closes_day < e.opening_day and layers.entry_points is not None:
            col.add(folder / layers.entry_points.file, "expected closes_day >= opening_day", e.id, "closes_day")
    if layers.warehouses is not None and read.standards is not None:
        pallet_t = read.standards.value("pallet_weight_kg") / 1000.0
        read.warehouses = _warehouses(folder, layers.warehouses, pallet_t, col)
    if layers.sites.usable_land is not None:
        from .usable_land import load_ground

        try:
            read.ground = load_ground(folder, layers.sites.usable_land, str(cfg_path))
        except InputError as e:
            col.problems.extend(e.problems)


def _resolved(
    folder: Path, name: str, cfg: ScenarioFile, sc: ScenarioSettings, days: int, crs: CRS, read: _Read
) -> Scenario:
    """The Scenario: the settlement (monitoring, arrivals) and the ground applied to the projected layers, each
    options block the scenario's own or the file's."""
    assert read.standards is not None
    zones, sites = read.zones, read.sites
    monitoring_spec = sc.monitoring or cfg.monitoring
    arrivals_spec = sc.arrivals or cfg.arrivals
    monitored = arriving = None
    if monitoring_spec is not None or arrivals_spec is not None:
        from .settlement import apply_settlement

        zones, sites, monitored, arriving = apply_settlement(
            folder,
            str(folder / SCENARIO_FILE),
            monitoring_spec,
            arrivals_spec,
            zones,
            sites,
            read.footprints,
            read.entry_points,
            crs,
            days,
            Zone,
        )
    ground_notes: list[str] = []
    if read.ground is not None:
        from . import usable_land

        sites = usable_land.apply(sites, free_geometry(sites, read.footprints), crs, read.ground)
        ground_notes = usable_land.notes(sites, read.ground)
    return Scenario(
        folder=folder,
        name=name,
        title=cfg.title,
        description=sc.description or cfg.description,
        available=list(cfg.scenarios),
        crs=crs,
        standards=read.standards,
        horizon_days=days,
        household_size=sc.household_size or cfg.household_size or read.standards.value("household_size"),
        zones=zones,
        sites=sites,
        footprints=read.footprints,
        entry_points=read.entry_points,
        warehouses=read.warehouses,
        roads=read.roads,
        closures=read.closures,
        population_structure=read.structure,
        siting=sc.siting or cfg.siting,
        layout=sc.layout or cfg.layout,
        evacuation=sc.evacuation or cfg.evacuation,
        supply=sc.supply or cfg.supply,
        observed_trucks=read.observed,
        no_build_m=list(project(_as_array([f.geometry for f in read.no_build]), WGS84, crs)) if read.no_build else [],
        uncertainty=sc.uncertainty or cfg.uncertainty,
        packages=cfg.packages,
        ground_notes=ground_notes,
        movement=read.movement if read.movement is not None and read.movement.enabled else None,
        movement_observed=read.movement_observed,
        phases=read.phases,
        population_spec=sc.population or cfg.population,
        overflow=sc.overflow or cfg.overflow,
        sharing=sc.sharing or cfg.sharing,
        cargo=read.cargo,
        food_mix=read.food_mix,
        served=read.served,
        water_sources=read.water_sources,
        hospital_beds_by_day=None
        if cfg.existing_hospital_beds is None
        else np.full(days, float(cfg.existing_hospital_beds)),
        monitoring=monitored,
        arrivals=arriving,
        start_date=sc.start_date or cfg.start_date,
        health=sc.health or cfg.health,
        seasons=sc.seasons if sc.seasons is not None else cfg.seasons,
        flood_zones=read.flood,
    )


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


def _as_array(geoms: list[shapely.Geometry]) -> np.ndarray:
    import numpy as np

    arr = np.empty(len(geoms), dtype=object)
    arr[:] = geoms
    return arr
