"""Road networks: point files for the standalone ``travel-times`` command (CSV with id, lon, lat, or a vector
file of points with an ``id`` property), read in WGS84 and projected to the network's CRS."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from pyproj import CRS

from ..._errors import InputError, Problem
from ...geo import WGS84, transformer
from ...scenario.roads import _read_vector_wgs84, load_roads
from .graph import Network, _check_mode, build_network, network_crs
from .matrices import DEFAULT_MAX_SNAP_M, TravelTimes, travel_time_matrix

# --------------------------------------------------------------------------- points (loader, CLI)


@dataclass(frozen=True, eq=False)
class Points:
    ids: np.ndarray  # object (str)
    lon_lat: np.ndarray  # (n, 2)
    source: str


def load_points(path: Path | str) -> Points:
    """Points from a CSV `id,lon,lat` (HXL hashtag row skipped) or a GeoJSON/GeoPackage of points with `id`."""
    path = Path(path)
    file = str(path)
    if not path.exists():
        raise InputError(Problem(file=file, message="points file not found"))
    problems: list[Problem] = []
    ids: list[str] = []
    xy: list[tuple[float, float]] = []
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            fields = [f.strip().lower() for f in (reader.fieldnames or [])]
            missing = [c for c in ("id", "lon", "lat") if c not in fields]
            if missing:
                raise InputError(Problem(file=file, message=f"missing column(s) {missing}; expected id,lon,lat"))
            for row_no, raw in enumerate(reader, start=2):
                row = {str(k).strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None}
                if row["id"].startswith("#"):
                    continue  # HXL hashtag row
                feature = row["id"] or f"row {row_no}"
                if not row["id"]:
                    problems.append(Problem(file=file, feature=feature, field="id", message="empty id"))
                try:
                    lon, lat = float(row["lon"]), float(row["lat"])
                except ValueError:
                    problems.append(
                        Problem(
                            file=file,
                            feature=feature,
                            field="lon/lat",
                            message=f"expected numbers, got {row['lon']!r}, {row['lat']!r}",
                        )
                    )
                    continue
                ids.append(row["id"])
                xy.append((lon, lat))
    else:
        geoms, data = _read_vector_wgs84(path, None)
        if "id" not in data:
            raise InputError(Problem(file=file, field="id", message="expected an `id` property on every point"))
        for i, g in enumerate(geoms):
            fid = data["id"][i]
            feature = str(fid) if fid not in (None, "") else str(i)
            if fid in (None, ""):
                problems.append(Problem(file=file, feature=feature, field="id", message="empty id"))
            if g is None or shapely.get_type_id(g) != 0:
                problems.append(Problem(file=file, feature=feature, message="expected a Point geometry"))
                continue
            ids.append(str(fid))
            xy.append((g.x, g.y))
    arr = np.asarray(xy, dtype=float).reshape(-1, 2)
    for k in np.flatnonzero(~((np.abs(arr[:, 0]) <= 180) & (np.abs(arr[:, 1]) <= 90))):
        problems.append(Problem(file=file, feature=ids[k], field="lon/lat", message="outside -180..180 / -90..90"))
    seen: set[str] = set()
    for point_id in ids:
        if point_id in seen:
            problems.append(Problem(file=file, feature=point_id, field="id", message="duplicate id"))
        seen.add(point_id)
    if not ids and not problems:
        problems.append(Problem(file=file, message="no points"))
    if problems:
        raise InputError(problems)
    return Points(ids=np.asarray(ids, dtype=object), lon_lat=arr, source=path.name)


def to_xy(lon_lat: np.ndarray, crs: CRS) -> np.ndarray:
    """WGS84 lon/lat (n,2) → metric (n,2) in crs."""
    lon_lat = np.asarray(lon_lat, dtype=float).reshape(-1, 2)
    x, y = transformer(WGS84, crs).transform(lon_lat[:, 0], lon_lat[:, 1])
    return np.column_stack([x, y])


def travel_times_between_files(
    roads_path: Path | str,
    points_path: Path | str,
    *,
    mode: str,
    to_path: Path | str | None = None,
    cutoff_s: float | None = None,
    layer: str | None = None,
    max_snap_m: float | None = DEFAULT_MAX_SNAP_M,
) -> tuple[TravelTimes, np.ndarray, np.ndarray, Network]:
    """Load roads and points, build the network and compute the matrix (the `travel-times` command)."""
    _check_mode(mode)
    roads = load_roads(roads_path, layer=layer)
    origins = load_points(points_path)
    dests = load_points(to_path) if to_path is not None else origins
    net = build_network(roads, mode=mode, crs=network_crs(roads))  # type: ignore[arg-type]
    tt = travel_time_matrix(
        net,
        to_xy(origins.lon_lat, net.crs),
        to_xy(dests.lon_lat, net.crs),
        cutoff_s=cutoff_s,
        max_snap_m=max_snap_m,
        origin_ids=origins.ids,
        destination_ids=dests.ids,
        files=(str(points_path), str(to_path if to_path is not None else points_path)),
    )
    return tt, origins.ids, dests.ids, net
