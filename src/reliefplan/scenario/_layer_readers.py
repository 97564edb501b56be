"""The loader's readers of the scenario's geographic layers: zones, candidate sites, footprints, entry points,
served populations, water sources, warehouses, roads, closures and the layout's no-build areas."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from .._errors import InputError
from ._fields import (
    POLYGONAL,
    _check_geometry,
    _Collector,
    _feature_id,
    _flag,
    _number,
    _path,
    _positive,
    _prop,
    _read,
    _unique,
)
from ._layers import Feature, coordinate_problems
from .config import MAX_DAY, FootprintSpec, LayerSpec, LayoutSpec
from .model import EntryPoint, Footprint, ServedPopulation, Site, Warehouse, WaterSource, Zone

MAX_ZONE_POPULATION = 10**10  # people per zone (or site); far below 2**53, so every sum of people stays exact
MAX_TRUCKS_PER_DAY = 100_000.0


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
    if not feats:
        # An empty table would plan no deliveries at all and check no supply standard: the plan would read better.
        col.add(path, "no entry points; expected at least one row (id, lon, lat, trucks_per_day)")
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
    got = _read(folder, spec, col, "layers.served_populations.file")
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
    got = _read(folder, spec, col, "layers.water_sources.file")
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


def _loaded(
    folder: Path, spec: LayerSpec, col: _Collector, where: str, load: Callable[[Path], Any]
) -> tuple[Path, Any] | None:
    """(path, what ``load`` read from the layer's file), or None with the problems collected (a missing file, or
    the loader's InputError)."""
    path = _path(folder, spec.file, col, where, "layer file")
    if path is None:
        return None
    try:
        return path, load(path)
    except InputError as e:
        col.problems.extend(e.problems)
        return None


def _roads(folder: Path, spec: LayerSpec, col: _Collector) -> Any:
    from .roads import load_roads  # pyosmium and friends load only when a scenario has roads

    got = _loaded(folder, spec, col, "layers.roads.file", lambda path: load_roads(path, layer=spec.layer))
    if got is None:
        return None
    path, roads = got
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

    factor_field = spec.fields.get("factor", "factor")
    got = _loaded(
        folder,
        spec,
        col,
        "layers.closures.file",
        lambda path: load_closures(path, layer=spec.layer, factor_field=factor_field),
    )
    if got is None:
        return None
    path, closures = got
    for i, message in coordinate_problems(closures.polygons):
        col.add(path, message, str(i), "geometry")
    return closures


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
