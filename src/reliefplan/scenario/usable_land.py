"""Usable land from the ground: how much of each site a slope limit, land cover, hazards and buildings leave.

Inputs are what a planner usually has: a DEM raster (GeoTIFF), a land-cover raster with its class codes or
land-use polygons (e.g. an OpenStreetMap extract), hazard polygons (flood, landslide) with buffers, and building
footprints with a buffer. Each site is assessed on its free part (outside the operation footprints):

1. vector exclusions, exact in the local metric CRS and attributed in this order: hazard (buffered), building
   (buffered), land-use polygon of an excluded class;
2. raster exclusions on what remains, estimated from the pixels whose centre lies inside it (GDAL's rasterize
   rule): excluded land-cover class, then slope above the limit, then no data. Each raster reason's area is the
   exact remaining area x its share of the sampled pixel area, so usable + excluded = free area exactly.

Slope is 100 x |grad z| in percent, from central differences (second-order finite differences on a 3 x 3
window, Zevenbergen & Thorne 1987, Earth Surface Processes and Landforms 12(1):47-56), with the pixel size in
metres: the raster's own units for a projected CRS, and for a geographic one the geodesic length of a pixel on the
WGS84 ellipsoid along its row (so pixels narrow towards the poles). Elevations are taken to be metres. At a raster
edge or next to a nodata pixel the difference is one-sided; a pixel without data, or without a neighbour on an
axis, has no slope. Each site reads only its own window (plus a one-pixel halo for the slope), so memory follows
the largest site, not the raster.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import shapely
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pyproj import CRS

from .._errors import InputError, Problem
from ..geo import WGS84, project
from ._inputs import FolderFile, Strict, folder_file
from ._layers import read_layer
from ._raster import Raster, inside, open_raster, pixel_size_m, read_window, window

#: every reason a part of a site is not usable, in the order areas are attributed
REASONS = ("hazard", "building", "landcover", "slope", "no_data")
RASTER_SUFFIXES = {".tif", ".tiff", ".vrt", ".img"}
OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm")


# ---- scenario keys (layers.sites.usable_land) -----------------------------------------------------------


class VectorSpec(Strict):
    """Polygons from a file (GeoJSON, GeoPackage, or an OSM extract), grown by a buffer."""

    file: FolderFile
    layer: str | None = None
    buffer_m: float = Field(default=0.0, ge=0)  # a feature's own `buffer_m` property wins
    kind: str = ""  # e.g. flood, landslide: named in the plan's note


class UsableLandSpec(Strict):
    """`layers.sites.usable_land`: what the ground says about each site. Give at least one input."""

    dem: FolderFile | None = None  # elevation raster (GeoTIFF), metres
    max_slope_pct: float | None = Field(default=None, gt=0)  # steeper pixels are not usable
    landcover: FolderFile | None = None  # raster of class codes, or polygons (GeoJSON/GeoPackage/OSM extract)
    landcover_layer: str | None = None
    landcover_fields: list[str] = ["landuse", "natural"]  # polygons: properties holding the class
    exclude_classes: list[int | str] = []  # land-cover classes where nobody may live
    hazards: list[VectorSpec] = []
    buildings: VectorSpec | None = None
    nodata: Literal["exclude", "keep"] = "exclude"  # raster pixels without data inside a site

    @model_validator(mode="after")
    def _complete(self) -> "UsableLandSpec":
        if (self.dem is None) != (self.max_slope_pct is None):
            raise ValueError("dem and max_slope_pct go together: the slope limit needs a DEM and the DEM a limit")
        if self.landcover is not None and not self.exclude_classes:
            raise ValueError("landcover needs exclude_classes (the classes where nobody may live)")
        if not (self.dem or self.landcover or self.hazards or self.buildings):
            raise ValueError("give at least one of dem, landcover, hazards, buildings")
        return self


# ---- loaded inputs and results ----------------------------------------------------------------------------


@dataclass
class Ground:
    """The ground inputs of a scenario: rasters by file, vector exclusions as WGS84 polygons (buffers in metres
    are applied once the metric CRS is known)."""

    dem: Raster | None = None
    max_slope_pct: float | None = None
    landcover: Raster | None = None  # raster of class codes
    exclude_classes: tuple[float, ...] = ()  # numeric classes (raster)
    exclude_names: tuple[str, ...] = ()  # what the plan's note lists
    vectors: dict[str, list[tuple[shapely.Geometry, float]]] = field(default_factory=dict)  # reason -> (geom, buffer)
    sources: dict[str, str] = field(default_factory=dict)  # reason -> files, for notes
    nodata_excluded: bool = True


class SiteGround(BaseModel):
    """One site's usable land from the ground, on its free part (m2)."""

    model_config = ConfigDict(frozen=True)

    assessed_area_m2: float
    usable_area_m2: float
    excluded_m2: dict[str, float]  # reason -> m2 (REASONS order; they add up to assessed - usable)
    pixels: int  # raster pixels sampled (0 without rasters)
    covered: bool  # some ground input had data for this site; False: the constant fraction stays

    @property
    def usable_fraction(self) -> float:
        return self.usable_area_m2 / self.assessed_area_m2 if self.assessed_area_m2 > 0 else 0.0


# ---- reading ----------------------------------------------------------------------------------------------


def _osm_polygons(path: Path, keys: list[str]) -> list[tuple[shapely.Geometry, dict[str, Any]]]:
    """Multipolygons of an OSM extract (.osm / .osm.pbf) with the given tag keys, via GDAL's OSM driver."""
    import pyogrio

    try:
        meta, _fids, wkb, data = pyogrio.raw.read(path, layer="multipolygons")
    except Exception as e:  # pyogrio wraps GDAL errors in several classes
        raise InputError(Problem(file=str(path), message=f"cannot read OSM multipolygons: {e}")) from None
    names = list(meta["fields"])
    other = data[names.index("other_tags")] if "other_tags" in names else None
    out = []
    for i, g in enumerate(shapely.from_wkb(wkb)):
        props: dict[str, Any] = {}
        for k in keys:
            if k in names and data[names.index(k)][i] is not None:
                props[k] = data[names.index(k)][i]
            elif other is not None and other[i] and f'"{k}"=>' in other[i]:  # hstore text: "k"=>"v","k2"=>"v2"
                props[k] = other[i].split(f'"{k}"=>"', 1)[1].split('"', 1)[0]
        out.append((g, props))
    return out


def _polygons(
    folder: Path, file: str, layer: str | None, keys: list[str], field: str
) -> tuple[Path, list[tuple[Any, dict[str, Any]]]]:
    path = folder_file(folder, file, field=field)
    if path.name.lower().endswith(OSM_SUFFIXES):
        return path, _osm_polygons(path, keys)
    return path, [(f.geometry, f.properties) for f in read_layer(path, layer)]


def _buffer_of(path: Path, index: int, props: dict[str, Any], default: float, problems: list[Problem]) -> float:
    raw = props.get("buffer_m")
    if raw is None or raw == "":
        return default
    try:
        b = float(raw)
        if not math.isfinite(b) or b < 0:
            raise ValueError
    except (TypeError, ValueError):
        problems.append(
            Problem(
                file=str(path),
                feature=str(props.get("id", index)),
                field="buffer_m",
                message=f"expected a number of metres >= 0, got {raw!r}",
            )
        )
        return default
    return b


#: where the usable_land block sits in scenario.yaml, and its land-cover key (for messages)
_KEY = "layers.sites.usable_land"
_LC = f"{_KEY}.landcover"


def load_ground(folder: Path, spec: UsableLandSpec, cfg_file: str) -> Ground:
    """Open and check every ground input of the scenario; raises InputError listing every problem."""
    problems: list[Problem] = []
    g = Ground(max_slope_pct=spec.max_slope_pct, nodata_excluded=spec.nodata == "exclude")
    if spec.dem is not None:
        try:
            g.dem = open_raster(folder_file(folder, spec.dem, source=cfg_file, field=f"{_KEY}.dem", what="raster"))
            g.sources["slope"] = spec.dem
        except InputError as e:
            problems += e.problems
    if spec.landcover is not None:
        names = tuple(str(c) for c in spec.exclude_classes)
        g.exclude_names = names
        if Path(spec.landcover).suffix.lower() in RASTER_SUFFIXES:
            try:
                g.landcover = open_raster(
                    folder_file(folder, spec.landcover, source=cfg_file, field=_LC, what="raster")
                )
            except InputError as e:
                problems += e.problems
            numeric = []
            for c in spec.exclude_classes:
                try:
                    numeric.append(float(c))
                except ValueError:
                    problems.append(
                        Problem(
                            file=cfg_file,
                            field="layers.sites.usable_land.exclude_classes",
                            message=f"class {c!r} is not a number; a land-cover raster holds codes",
                        )
                    )
            g.exclude_classes = tuple(numeric)
        else:
            try:
                _, feats = _polygons(folder, spec.landcover, spec.landcover_layer, spec.landcover_fields, _LC)
                wanted = set(names)
                g.vectors["landcover"] = [
                    (geom, 0.0)
                    for geom, props in feats
                    if geom is not None
                    and any(str(props.get(k)) in wanted for k in spec.landcover_fields if props.get(k) is not None)
                ]
            except InputError as e:
                problems += e.problems
        g.sources["landcover"] = spec.landcover
    for reason, specs in (("hazard", spec.hazards), ("building", [spec.buildings] if spec.buildings else [])):
        for k, vs in enumerate(specs):
            key = f"{_KEY}.hazards.{k}.file" if reason == "hazard" else f"{_KEY}.buildings.file"
            try:
                path, feats = _polygons(folder, vs.file, vs.layer, ["building"], key)
            except InputError as e:
                problems += e.problems
                continue
            if path.name.lower().endswith(OSM_SUFFIXES) and reason == "building":
                feats = [(geom, p) for geom, p in feats if p.get("building") not in (None, "no")]
            kept = []
            for i, (geom, props) in enumerate(feats):
                if geom is None or geom.is_empty:
                    continue
                if geom.geom_type not in ("Polygon", "MultiPolygon"):
                    problems.append(
                        Problem(
                            file=str(path),
                            feature=str(props.get("id", i)),
                            field="geometry",
                            message=f"wrong geometry type {geom.geom_type}; expected Polygon or MultiPolygon",
                        )
                    )
                    continue
                kept.append((shapely.make_valid(geom), _buffer_of(path, i, props, vs.buffer_m, problems)))
            g.vectors.setdefault(reason, []).extend(kept)
            label = f"{vs.file} ({vs.kind + ', ' if vs.kind else ''}buffer {vs.buffer_m:g} m)"
            g.sources[reason] = ", ".join(filter(None, [g.sources.get(reason), label]))
    if problems:
        raise InputError(problems)
    return g


# ---- slope ------------------------------------------------------------------------------------------------


def _shift(a: np.ndarray, k: int, axis: int) -> np.ndarray:
    """a shifted by k along axis, NaN where nothing shifts in (a[i] -> out[i + k])."""
    out = np.full_like(a, np.nan)
    src = [slice(None)] * a.ndim
    dst = [slice(None)] * a.ndim
    n = a.shape[axis]
    src[axis] = slice(max(0, -k), n - max(0, k))
    dst[axis] = slice(max(0, k), n - max(0, -k))
    out[tuple(dst)] = a[tuple(src)]
    return out


def _gradient(z: np.ndarray, step_m: np.ndarray | float, axis: int) -> np.ndarray:
    ahead, behind = _shift(z, -1, axis), _shift(z, 1, axis)  # z[i+1], z[i-1]
    central = (ahead - behind) / (2.0 * step_m)
    forward = (ahead - z) / step_m
    backward = (z - behind) / step_m
    return np.where(np.isfinite(central), central, np.where(np.isfinite(forward), forward, backward))


def slope_pct(z: np.ndarray, dx_m: np.ndarray | float, dy_m: np.ndarray | float) -> np.ndarray:
    """Slope in percent of an elevation grid (rows north to south, NaN = no data).

    dx_m, dy_m: pixel width and height in metres, scalars or one value per row (shape (rows, 1)). Central
    differences inside, one-sided next to a missing neighbour, NaN where the pixel or both neighbours on an axis
    have no data.
    """
    z = np.asarray(z, dtype=np.float64)
    gx = _gradient(z, dx_m, axis=1)
    gy = _gradient(z, dy_m, axis=0)
    return np.where(np.isfinite(z), 100.0 * np.hypot(gx, gy), np.nan)


# ---- windows ----------------------------------------------------------------------------------------------


def _sample(ds: Any, r: Raster, grid: Raster, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Values of raster r at the centres of grid pixels (rows, cols): the pixel of r containing each centre."""
    g = grid.transform
    x = g.c + (cols + 0.5) * g.a
    y = g.f + (rows + 0.5) * g.e
    if not r.crs.equals(grid.crs):
        from ..geo import transformer

        x, y = transformer(grid.crs, r.crs).transform(x, y)
    t = r.transform
    c = np.floor((np.asarray(x) - t.c) / t.a).astype(np.int64)
    rr = np.floor((np.asarray(y) - t.f) / t.e).astype(np.int64)
    out = np.full(len(c), np.nan)
    ok = (c >= 0) & (c < r.width) & (rr >= 0) & (rr < r.height)
    if ok.any():
        r0, c0 = int(rr[ok].min()), int(c[ok].min())
        block = read_window(ds, r0, c0, int(rr[ok].max()) - r0 + 1, int(c[ok].max()) - c0 + 1)
        out[ok] = block[rr[ok] - r0, c[ok] - c0]
    return out


@dataclass
class _RasterShares:
    """One site's sampled pixel areas (m2) by raster reason, and the total sampled."""

    excluded: dict[str, float]
    total: float
    pixels: int
    covered: bool


def _raster_shares(geom_m: shapely.Geometry, crs: CRS, ground: Ground, dem_ds: Any, lc_ds: Any) -> _RasterShares:
    grid = ground.dem or ground.landcover
    assert grid is not None
    geom = project(geom_m, crs, grid.crs)
    halo = 1 if ground.dem is not None else 0
    row0, col0, h, w = window(grid, geom, halo)
    inner = inside(geom, grid.transform, row0, col0, h, w)
    rows, cols = np.nonzero(inner)
    dx, dy = pixel_size_m(grid, row0 + np.arange(h))
    weight = (dx * dy)[rows, 0]
    total = float(weight.sum())
    bad_lc = np.zeros(len(rows), bool)
    unknown = np.zeros(len(rows), bool)
    covered = False
    if ground.landcover is not None:
        if grid is ground.landcover:
            lc = read_window(lc_ds, row0, col0, h, w)[rows, cols]
        else:
            lc = _sample(lc_ds, ground.landcover, grid, row0 + rows, col0 + cols)
        has = np.isfinite(lc)
        covered |= bool(has.any())
        bad_lc = has & np.isin(lc, ground.exclude_classes)
        unknown |= ~has if has.any() else False  # no coverage at all: land cover says nothing here
    steep = np.zeros(len(rows), bool)
    if ground.dem is not None:
        z = read_window(dem_ds, row0, col0, h, w)
        s = slope_pct(z, dx, dy)[rows, cols]
        has = np.isfinite(s)
        covered |= bool(has.any())
        steep = has & (s > ground.max_slope_pct)
        unknown |= ~has if has.any() else False
    if not ground.nodata_excluded:
        unknown = np.zeros(len(rows), bool)
    excluded = {
        "landcover": float(weight[bad_lc].sum()),
        "slope": float(weight[~bad_lc & steep].sum()),
        "no_data": float(weight[~bad_lc & ~steep & unknown].sum()),
    }
    return _RasterShares(excluded=excluded, total=total, pixels=len(rows), covered=covered)


def _vector_union(items: list[tuple[shapely.Geometry, float]], crs: CRS) -> tuple[np.ndarray, shapely.STRtree]:
    geoms = np.empty(len(items), dtype=object)
    geoms[:] = [g for g, _ in items]
    buffers = np.array([b for _, b in items], dtype=float)
    metric = project(geoms, WGS84, crs)
    grown = np.where(buffers > 0, shapely.buffer(metric, buffers), metric)
    return grown, shapely.STRtree(grown)


def assess(geoms_m: np.ndarray, crs: CRS, ground: Ground) -> list[SiteGround]:
    """Usable land of each polygon (metric CRS `crs`), in input order; see the module docstring for the rules."""
    import rasterio

    geoms_m = np.asarray(geoms_m, dtype=object)
    n = len(geoms_m)
    area = shapely.area(geoms_m)
    excluded = {k: np.zeros(n) for k in REASONS}
    covered = np.zeros(n, bool)
    remaining = geoms_m.copy()
    for reason in ("hazard", "building", "landcover"):
        items = ground.vectors.get(reason)
        if items is None:
            continue
        covered[:] = True  # a vector input speaks for every site: no polygon there means nothing to exclude
        if not items:
            continue
        grown, tree = _vector_union(items, crs)
        for j in range(n):
            if remaining[j].is_empty:
                continue
            hits = tree.query(remaining[j], predicate="intersects")
            if len(hits):
                cut = shapely.union_all(grown[hits])
                before = remaining[j].area
                remaining[j] = shapely.difference(remaining[j], cut)
                excluded[reason][j] = before - remaining[j].area
    pixels = np.zeros(n, np.int64)
    if ground.dem is not None or ground.landcover is not None:
        dem_ds = rasterio.open(ground.dem.path) if ground.dem is not None else None
        lc_ds = rasterio.open(ground.landcover.path) if ground.landcover is not None else None
        try:
            for j in range(n):
                if remaining[j].is_empty:
                    continue
                got = _raster_shares(remaining[j], crs, ground, dem_ds, lc_ds)
                pixels[j] = got.pixels
                covered[j] |= got.covered
                if got.total > 0:
                    rest = remaining[j].area
                    for reason, a in got.excluded.items():
                        excluded[reason][j] = rest * a / got.total
        finally:
            for ds in (dem_ds, lc_ds):
                if ds is not None:
                    ds.close()
    out = []
    for j in range(n):
        ex = {k: float(excluded[k][j]) for k in REASONS}
        usable = max(0.0, float(area[j]) - sum(ex.values()))
        out.append(
            SiteGround(
                assessed_area_m2=float(area[j]),
                usable_area_m2=usable,
                excluded_m2=ex,
                pixels=int(pixels[j]),
                covered=bool(covered[j]),
            )
        )
    return out


# ---- into the scenario ------------------------------------------------------------------------------------


def apply(sites: list[Any], free_m: np.ndarray, crs: CRS, ground: Ground) -> list[Any]:
    """Sites (scenario.Site) with `usable_fraction` from the ground where some input covered them, and `ground`
    set; free_m: each site's polygon minus the operation footprints (metric)."""
    out = []
    for s, g in zip(sites, assess(free_m, crs, ground)):
        update: dict[str, Any] = {"ground": g}
        if g.covered and g.assessed_area_m2 > 0:
            update["usable_fraction"] = min(1.0, max(0.0, g.usable_fraction))
        out.append(s.model_copy(update=update))
    return out


def notes(sites: list[Any], ground: Ground) -> list[str]:
    """The plan's sentences on how usable land was found: inputs, totals by reason, sites on the constant."""
    given = []
    if ground.dem is not None:
        given.append(f"slope <= {ground.max_slope_pct:g} % on the DEM {ground.sources['slope']}")
    if "landcover" in ground.sources:
        given.append(f"land cover {ground.sources['landcover']} without classes {', '.join(ground.exclude_names)}")
    for reason, word in (("hazard", "hazard areas"), ("building", "buildings")):
        if reason in ground.sources:
            given.append(f"outside {word} {ground.sources[reason]}")
    assessed = [s for s in sites if s.ground is not None and s.ground.covered]
    tot = sum(s.ground.assessed_area_m2 for s in assessed)
    use = sum(s.ground.usable_area_m2 for s in assessed)
    by = {k: sum(s.ground.excluded_m2[k] for s in assessed) for k in REASONS}
    parts = ", ".join(f"{k.replace('_', ' ')} {v / 1e6:,.3f} km2" for k, v in by.items() if v > 0) or "nothing"
    out = [
        f"Usable land from the ground for {len(assessed)} of {len(sites)} sites ({'; '.join(given)}): "
        f"{use / 1e6:,.3f} of {tot / 1e6:,.3f} km2 free of the footprints is usable "
        f"({100 * use / tot if tot else 0:.1f} %); excluded: {parts}. Vector exclusions are exact; raster ones "
        "are estimated from the pixels whose centre lies in the site; elevations are read as metres."
    ]
    if ground.dem is not None or ground.landcover is not None:
        out.append(
            "Raster pixels without data inside a site are "
            + (
                "counted as not usable (the 'no data' area above)."
                if ground.nodata_excluded
                else "counted as usable (nodata: keep), so the usable area may be overstated."
            )
        )
    fallback = [s for s in sites if s.ground is None or not s.ground.covered]
    if fallback:
        ids = ", ".join(s.id for s in fallback[:10]) + (" ..." if len(fallback) > 10 else "")
        out.append(
            f"ASSUMPTION: {len(fallback)} site(s) outside every ground input ({ids}) keep the constant usable fraction."
        )
    return out
