"""The loader's cross-checks: a named scenario's options against its layers, horizon and footprints (siting,
disruptions, entries and chain, uncertainty, health, seasons, packages, orders and phases), its standards profile
and its metric CRS, each problem named with the block it comes from."""

from __future__ import annotations

from pathlib import Path

import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from .._errors import InputError, field_path
from ..geo import local_crs
from ..standards import Standards, load_standards
from ._fields import _Collector, _path
from ._healthdata import health_spec_problems
from ._seasonsdata import seasons_problems
from ._tables import _band_problems
from ._uncertainty import uncertainty_problems
from .config import ScenarioFile, ScenarioSettings, StandardsSpec, SupplySpec
from .delivery_specs import chain_problems
from .model import PopulationStructure, Site
from .movement import MovementSpec, movement_problems, read_observed_departures
from .packages import package_file_problems, package_problems
from .packages import resolve as resolve_package
from .phases import PhasesSpec, phases_problems


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
        field = field_path(f"{where}supply.disruptions", k)
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
                col.add(
                    cfg_path,
                    f"entry point id '{e.id}' already used",
                    field=field_path(f"{where}supply.entries", k, "id"),
                )
        col.problems.extend(chain_problems(supply.chain, entry_ids + extra, str(cfg_path), f"{where}supply.chain"))


def _spec_problems(
    folder: Path,
    cfg_path: Path,
    sc: ScenarioSettings,
    cfg: ScenarioFile,
    own: str,
    zone_ids: list[str] | None,
    sites: list[Site],
    entry_ids: list[str] | None,
    supply_spec: SupplySpec,
    col: _Collector,
) -> None:
    """The uncertainty, health and seasons blocks against the layers (each named with the block it comes from;
    zone_ids, entry_ids: None while that layer has problems of its own, see folder._named_ids)."""
    uncertainty = sc.uncertainty or cfg.uncertainty
    if uncertainty is not None:
        col.problems.extend(
            uncertainty_problems(
                uncertainty,
                str(cfg_path),
                zone_ids,
                [s.id for s in sites],
                entry_ids,
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
    entry_ids: list[str] | None,
    sites: list[Site],
    col: _Collector,
) -> None:
    """Every package checked here, so `assess` never meets a broken one halfway (entry_ids: None while the entry
    points layer has problems of its own)."""
    for pname in cfg.packages:
        try:
            resolved = resolve_package(cfg.packages, pname, str(cfg_path))
        except InputError as e:
            col.problems.extend(e.problems)
            continue
        col.problems.extend(package_problems(resolved, pname, days, entry_ids, str(cfg_path)))
        col.problems.extend(package_file_problems(resolved, pname, folder, days, [s.id for s in sites]))


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
                path = _path(folder, o.observed.file, col, field_path(where, "orders", k, "observed", "file"))
                if path is not None:
                    try:
                        movement_observed[k] = read_observed_departures(path, o.observed)
                    except InputError as e:
                        col.problems.extend(e.problems)
    return movement, movement_observed, phases


def _standards_spec(top: StandardsSpec, own: StandardsSpec | None) -> StandardsSpec:
    """A scenario's `standards:` block over the file's: its profile (if given) wins, overrides merge."""
    if own is None:
        return top
    profile = own.profile if "profile" in own.model_fields_set else top.profile
    return StandardsSpec(profile=profile, overrides={**top.overrides, **own.overrides})


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
