"""Projection to a local metric CRS (UTM chosen from the data), areas and distances."""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info

WGS84 = CRS.from_epsg(4326)


def local_crs(lon_lat_bounds: tuple[float, float, float, float]) -> CRS:
    """UTM CRS (WGS84 datum) for the centre of (min_lon, min_lat, max_lon, max_lat)."""
    min_lon, min_lat, max_lon, max_lat = lon_lat_bounds
    lon = (min_lon + max_lon) / 2.0
    lat = (min_lat + max_lat) / 2.0
    infos = query_utm_crs_info(
        datum_name="WGS 84",
        area_of_interest=AreaOfInterest(lon, lat, lon, lat),
    )
    if not infos:  # polar or odd input: fall back to a transverse Mercator on the centre
        return CRS.from_proj4(f"+proj=tmerc +lat_0={lat} +lon_0={lon} +k=1 +x_0=0 +y_0=0 +datum=WGS84 +units=m")
    # prefer the plain "WGS 84 / UTM zone NNx" over regional variants
    infos = sorted(infos, key=lambda i: (not i.name.startswith("WGS 84 / UTM"), i.code))
    return CRS.from_authority(infos[0].auth_name, infos[0].code)


def transformer(src: CRS, dst: CRS) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def project(geoms: np.ndarray | shapely.Geometry, src: CRS, dst: CRS) -> np.ndarray | shapely.Geometry:
    """Reproject shapely geometries (array or single) from src to dst, vectorised."""
    if src == dst:
        return geoms
    tr = transformer(src, dst)
    return shapely.transform(geoms, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))


def to_lon_lat(geoms: np.ndarray | shapely.Geometry, src: CRS) -> np.ndarray | shapely.Geometry:
    return project(geoms, src, WGS84)


def pairwise_distance_m(a_xy: np.ndarray, b_xy: np.ndarray) -> np.ndarray:
    """Straight-line distances (m) between every row of a_xy and every row of b_xy (metric CRS)."""
    diff = a_xy[:, None, :] - b_xy[None, :, :]
    return np.sqrt((diff**2).sum(axis=-1))
