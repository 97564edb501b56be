"""Raster windows: open and check a GeoTIFF, read one window, pixels whose centre lies in a polygon, pixel sizes
in metres. Shared by usable land (DEM, land cover) and `reliefplan init` (population rasters)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Geod

from .._errors import InputError, Problem


@dataclass
class Raster:
    """An opened raster's description (the file is reopened per assessment)."""

    path: Path
    crs: CRS
    transform: Any  # affine.Affine, north-up
    width: int
    height: int


def open_raster(path: Path) -> Raster:
    """Check a raster: readable, georeferenced (a CRS and a north-up transform), one band used."""
    import rasterio
    from rasterio.errors import RasterioIOError

    if not path.exists():
        raise InputError(Problem(file=str(path), message="raster not found"))
    try:
        with rasterio.open(path) as ds:
            crs, transform, w, h = ds.crs, ds.transform, ds.width, ds.height
    except RasterioIOError as e:
        raise InputError(Problem(file=str(path), message=f"cannot read raster: {e}; expected a GeoTIFF")) from None
    if crs is None:
        raise InputError(
            Problem(
                file=str(path),
                field="crs",
                message=(
                    "raster has no coordinate reference system; expected a georeferenced GeoTIFF (set one with e.g. "
                    "'gdal_edit.py -a_srs EPSG:32636 FILE')"
                ),
            )
        )
    if transform.b != 0 or transform.d != 0 or transform.e >= 0 or transform.a <= 0:
        raise InputError(
            Problem(
                file=str(path),
                field="transform",
                message=(
                    f"raster is not north-up (transform {tuple(transform)[:6]}); expected no rotation, rows running south "
                    "(warp it first, e.g. gdalwarp)"
                ),
            )
        )
    return Raster(path=path, crs=CRS.from_user_input(crs.to_wkt()), transform=transform, width=w, height=h)


def pixel_size_m(r: Raster, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixel width and height in metres for the given raster rows (shape (len(rows), 1) each)."""
    t = r.transform
    if r.crs.is_geographic:
        lat = t.f + (rows + 0.5) * t.e
        lon = np.full_like(lat, t.c)
        geod = Geod(ellps="WGS84")
        _, _, dx = geod.inv(lon, lat, lon + t.a, lat)
        _, _, dy = geod.inv(lon, lat - t.e / 2, lon, lat + t.e / 2)
        return np.asarray(dx, float)[:, None], np.asarray(dy, float)[:, None]
    unit = r.crs.axis_info[0].unit_conversion_factor if r.crs.axis_info else 1.0
    n = len(rows)
    return np.full((n, 1), t.a * unit), np.full((n, 1), -t.e * unit)


def read_window(ds: Any, row0: int, col0: int, h: int, w: int) -> np.ndarray:
    """Band 1 over rows row0..row0+h, cols col0..col0+w as float64, NaN for nodata and outside the raster."""
    from rasterio.windows import Window

    out = np.full((h, w), np.nan)
    r0, c0 = max(row0, 0), max(col0, 0)
    r1, c1 = min(row0 + h, ds.height), min(col0 + w, ds.width)
    if r1 > r0 and c1 > c0:
        a = ds.read(1, window=Window(c0, r0, c1 - c0, r1 - r0), masked=True)
        out[r0 - row0 : r1 - row0, c0 - col0 : c1 - col0] = np.ma.filled(a.astype(np.float64), np.nan)
    return out


def window(r: Raster, geom: shapely.Geometry, halo: int) -> tuple[int, int, int, int]:
    """(row0, col0, rows, cols) of the pixels whose centres may fall in geom (raster CRS), grown by halo."""
    t = r.transform
    minx, miny, maxx, maxy = geom.bounds
    col0 = math.floor((minx - t.c) / t.a) - halo
    col1 = math.ceil((maxx - t.c) / t.a) + halo
    row0 = math.floor((maxy - t.f) / t.e) - halo
    row1 = math.ceil((miny - t.f) / t.e) + halo
    return row0, col0, max(row1 - row0, 1), max(col1 - col0, 1)


def inside(geom: shapely.Geometry, t: Any, row0: int, col0: int, h: int, w: int, *, touched: bool = True) -> np.ndarray:
    """Pixels whose centre lies in geom (GDAL's rasterize rule); with `touched`, all pixels the polygon touches
    when no centre lies in it (a polygon smaller than a pixel)."""
    from rasterio.features import geometry_mask
    from rasterio.windows import Window, transform

    wt = transform(Window(col0, row0, w, h), t)
    mask = geometry_mask([geom], out_shape=(h, w), transform=wt, invert=True)
    if touched and not mask.any():
        mask = geometry_mask([geom], out_shape=(h, w), transform=wt, invert=True, all_touched=True)
    return mask
