"""Road and closure files: OSM (.osm/.osm.pbf, pyosmium) or GeoJSON/GeoPackage lines → RoadLines (WGS84, with the
per-line properties routing uses); polygons that close or slow roads → Closures. ``solvers.network`` builds the
routable graph from them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import pyogrio.errors
import shapely
from numpy.typing import ArrayLike
from pyproj import CRS

from .._errors import InputError, Problem
from ..geo import WGS84, project
from . import _osm

OSM_SUFFIXES = (".osm", ".pbf", ".osm.pbf", ".osm.bz2", ".osm.gz", ".o5m")


# --------------------------------------------------------------------------- roads


@dataclass(frozen=True, eq=False)
class RoadLines:
    """Road centre lines in WGS84 with the per-line properties routing uses (NaN = not given)."""

    geometry: np.ndarray  # shapely LineString, lon/lat
    highway: np.ndarray  # object (str); 'road' when the file has no class
    maxspeed_kmh: np.ndarray  # float
    oneway: np.ndarray  # int8: 1 as drawn, -1 against, 0 both ways
    capacity_per_h: np.ndarray  # float, per direction; persons/h (walk) or vehicles/h (drive)
    width_m: np.ndarray  # float
    lanes: np.ndarray  # float, total over both directions as in OSM `lanes`
    closed: np.ndarray  # bool
    feature_id: np.ndarray  # object (str): OSM way id 'w123' or feature index/id
    source: str
    skipped_features: int = 0  # non-line features or ways without located nodes

    def __len__(self) -> int:
        return len(self.geometry)

    @classmethod
    def from_geometry(
        cls,
        geometry: ArrayLike,
        *,
        highway: ArrayLike | None = None,
        oneway: ArrayLike | None = None,
        maxspeed_kmh: ArrayLike | None = None,
        capacity_per_h: ArrayLike | None = None,
        width_m: ArrayLike | None = None,
        lanes: ArrayLike | None = None,
        closed: ArrayLike | None = None,
        feature_id: ArrayLike | None = None,
        source: str = "roads",
    ) -> RoadLines:
        """Build from WGS84 LineStrings already in memory (e.g. a scenario layer); omitted columns = not given."""
        geometry = np.asarray(geometry, dtype=object)
        n = len(geometry)

        def col(v: ArrayLike | None, fill: Any, dtype: Any) -> np.ndarray:
            if v is None:
                return np.full(n, fill, dtype=dtype)
            return np.broadcast_to(np.asarray(v, dtype=dtype), (n,)).copy()

        return cls(
            geometry=geometry,
            highway=col(highway, "road", object),
            maxspeed_kmh=col(maxspeed_kmh, np.nan, float),
            oneway=col(oneway, 0, np.int8),
            capacity_per_h=col(capacity_per_h, np.nan, float),
            width_m=col(width_m, np.nan, float),
            lanes=col(lanes, np.nan, float),
            closed=col(closed, False, bool),
            feature_id=col(feature_id, None, object)
            if feature_id is not None
            else np.asarray([str(i) for i in range(n)], dtype=object),
            source=source,
        )

    @property
    def bounds_lon_lat(self) -> tuple[float, float, float, float]:
        return tuple(float(v) for v in shapely.total_bounds(self.geometry))  # type: ignore[return-value]


def _is_osm(path: Path) -> bool:
    name = path.name.lower()
    return any(name.endswith(s) for s in OSM_SUFFIXES)


def _missing(value: object) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def _truthy(value: object) -> bool | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("yes", "true", "1", "closed"):
        return True
    if text in ("no", "false", "0", "", "open"):
        return False
    return None


def load_roads(path: Path | str, *, layer: str | int | None = None) -> RoadLines:
    """Read road lines from an OSM file (.osm/.osm.pbf, pyosmium) or a vector file (GeoJSON/GeoPackage, pyogrio).

    Vector properties used (all optional): highway, maxspeed (km/h or OSM text), oneway
    (yes/no/-1), capacity (per direction: persons/h walking, vehicles/h driving), width (m),
    lanes, closed (true closes the road). MultiLineStrings are split into their parts.
    Raises InputError naming the file and feature when the file has no usable lines or a
    property cannot be read.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(Problem(file=str(path), message="road file not found"))
    if _is_osm(path):
        return _load_osm(path)
    return _load_vector(path, layer)


def _load_osm(path: Path) -> RoadLines:
    cols = _osm.read_osm_ways(path)
    n = len(cols["coords"])
    if n == 0:
        raise InputError(
            Problem(
                file=str(path),
                message="no usable highway ways (ways tagged highway=* with at least two nodes inside the file)",
            )
        )
    return RoadLines(
        geometry=shapely.linestrings(
            np.vstack(cols["coords"]), indices=np.repeat(np.arange(n), [len(c) for c in cols["coords"]])
        ),
        highway=np.asarray(cols["highway"], dtype=object),
        maxspeed_kmh=np.asarray(cols["maxspeed_kmh"], dtype=float),
        oneway=np.asarray(cols["oneway"], dtype=np.int8),
        capacity_per_h=np.asarray(cols["capacity"], dtype=float),
        width_m=np.asarray(cols["width_m"], dtype=float),
        lanes=np.asarray(cols["lanes"], dtype=float),
        closed=np.zeros(n, dtype=bool),
        feature_id=np.asarray(cols["way_id"], dtype=object),
        source=path.name,
        skipped_features=int(cols["skipped"][0]),
    )


def _load_vector(path: Path, layer: str | int | None) -> RoadLines:
    file = str(path)
    data, geoms = _read_features(path, layer)
    fid_text = _feature_ids(data.get("id"), len(geoms))
    types = shapely.get_type_id(geoms)
    is_line = np.isin(types, (1, 5)) & ~shapely.is_empty(geoms)  # LineString, MultiLineString
    found: list[tuple[int, int, Problem]] = []  # (feature, column, problem): reported feature by feature

    n = len(geoms)
    lines = np.flatnonzero(is_line)
    highway = np.full(n, "road", dtype=object)
    maxspeed = np.full(n, np.nan)
    oneway = np.zeros(n, dtype=np.int8)
    capacity = np.full(n, np.nan)
    width = np.full(n, np.nan)
    lanes = np.full(n, np.nan)
    closed = np.zeros(n, dtype=bool)
    col_highway, col_maxspeed, col_oneway = _column(data, "highway"), _column(data, "maxspeed"), _column(data, "oneway")
    col_closed = _column(data, "closed")
    if col_highway is not None:
        given = lines[[v is not None and not (isinstance(v, str) and v == "") for v in col_highway[lines]]]
        highway[given] = [str(v).strip().lower() for v in col_highway[given]]
    if col_maxspeed is not None:
        maxspeed[lines] = _memo(_osm.parse_maxspeed_kmh, col_maxspeed[lines])
        for i in lines[maxspeed[lines] >= 1000]:  # NaN (absent) passes; infinity does not
            found.append(
                (
                    int(i),
                    -1,
                    Problem(
                        file=file,
                        feature=fid_text[i],
                        field="maxspeed",
                        message=f"expected a speed below 1000 km/h, got {maxspeed[i]}",
                    ),
                )
            )
    if col_oneway is not None:
        oneway[lines] = _memo(_osm.parse_oneway, col_oneway[lines])
    for k, (fname, out) in enumerate((("capacity", capacity), ("width", width), ("lanes", lanes))):
        col = _column(data, fname)
        if col is not None:
            _read_positive(col, lines, out, fid_text, file, fname, k, found)
    if col_closed is not None:
        _read_closed(col_closed, lines, closed, fid_text, file, found)
    problems = [p for _, _, p in sorted(found, key=lambda f: (f[0], f[1]))]
    if not is_line.any():
        kinds = sorted({shapely.get_type_id(g) for g in geoms})
        problems.insert(
            0,
            Problem(
                file=file,
                message="no LineString/MultiLineString features: the file is not a "
                f"road network (geometry type ids found: {kinds})",
            ),
        )
    if problems:
        raise InputError(problems)

    keep = np.flatnonzero(is_line)
    parts, part_index = shapely.get_parts(geoms[keep], return_index=True)
    src = keep[part_index]
    ok = shapely.get_num_coordinates(parts) >= 2
    parts, src = parts[ok], src[ok]
    if len(parts) == 0:
        raise InputError(Problem(file=file, message="no line has two or more vertices"))
    return RoadLines(
        geometry=parts,
        highway=highway[src],
        maxspeed_kmh=maxspeed[src],
        oneway=oneway[src],
        capacity_per_h=capacity[src],
        width_m=width[src],
        lanes=lanes[src],
        closed=closed[src],
        feature_id=fid_text[src],
        source=path.name,
        skipped_features=int((~is_line).sum()),
    )


def _read_features(path: Path, layer: str | int | None) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """(columns by name, geometries in WGS84) of a vector file; InputError if unreadable or empty."""
    file = str(path)
    try:
        meta, fids, wkb, field_data = pyogrio.raw.read(path, layer=layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InputError(Problem(file=file, message=f"not a readable vector file: {exc}")) from exc
    names = [str(f) for f in meta["fields"]]
    data = dict(zip(names, field_data))
    geoms = shapely.from_wkb(wkb) if wkb is not None else np.empty(0, dtype=object)
    if len(geoms) == 0:
        raise InputError(Problem(file=file, message="the road file has no features; expected LineString features"))
    src_crs = CRS.from_user_input(meta["crs"]) if meta.get("crs") else WGS84
    if src_crs != WGS84:
        geoms = project(geoms, src_crs, WGS84)
    return data, geoms


def _feature_ids(ids: np.ndarray | None, n: int) -> np.ndarray:
    """Each feature's id as text: the ``id`` column, or its position where there is none."""
    if ids is None:
        return np.arange(n).astype(str).astype(object)
    if ids.dtype.kind in "iu":
        return ids.astype(str).astype(object)
    return np.asarray([str(v) if v is not None else str(i) for i, v in enumerate(ids)], dtype=object)


def _column(data: dict[str, np.ndarray], name: str) -> np.ndarray | None:
    """The column whose name is ``name`` in any case."""
    for k in data:
        if k.lower() == name:
            return data[k]
    return None


def _memo(parse: Any, values: np.ndarray) -> list[Any]:
    """``parse`` of each value, each distinct value parsed once."""
    seen: dict[Any, Any] = {}
    return [seen[v] if v in seen else seen.setdefault(v, parse(v)) for v in values]


def _read_positive(
    col: np.ndarray,
    lines: np.ndarray,
    out: np.ndarray,
    fid_text: np.ndarray,
    file: str,
    fname: str,
    k: int,
    found: list[tuple[int, int, Problem]],
) -> None:
    """Positive finite numbers of a column (capacity, width, lanes) into ``out`` at the line features; a bad value
    is a problem (``k``: the column's order in the report) and stays absent (NaN)."""

    def bad_value(i: int, message: str) -> None:
        found.append((int(i), k, Problem(file=file, feature=fid_text[i], field=fname, message=message)))

    if col.dtype.kind in "iuf":  # numeric column: NaN is absent
        v = col[lines].astype(float)
        # infinity (JSON allows it) would give a road of infinite capacity; NaN is absent
        bad = (v <= 0) | (v >= 1e7)
        for i, x in zip(lines[bad], v[bad]):
            bad_value(i, f"expected a positive finite number, got {float(x)}")
        out[lines] = np.where(bad, np.nan, v)
        return
    for i in lines:
        raw = col[i]
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        try:
            x = float(raw)
        except (TypeError, ValueError):
            bad_value(i, f"expected a positive number, got {raw!r}")
            continue
        if math.isnan(x):
            continue
        if not 0 < x < 1e7:
            bad_value(i, f"expected a positive finite number, got {x}")
            continue
        out[i] = x


def _read_closed(
    col_closed: np.ndarray,
    lines: np.ndarray,
    closed: np.ndarray,
    fid_text: np.ndarray,
    file: str,
    found: list[tuple[int, int, Problem]],
) -> None:
    """The ``closed`` column (true/false in any spelling) into ``closed`` at the line features."""
    for i in lines:
        raw = col_closed[i]
        if _missing(raw):  # features without the property read as NaN
            continue
        t = _truthy(raw)
        if t is None:
            found.append(
                (
                    int(i),
                    3,
                    Problem(
                        file=file, feature=fid_text[i], field="closed", message=f"expected true/false, got {raw!r}"
                    ),
                )
            )
        closed[i] = bool(t)


# --------------------------------------------------------------------------- closures


@dataclass(frozen=True, eq=False)
class Closures:
    """Polygons that close roads (time_factor = inf) or slow them (time_factor ≥ 1), in WGS84."""

    polygons: np.ndarray
    time_factor: np.ndarray
    source: str = "closures"


def closures_from_damage(
    polygons: np.ndarray,
    damaged_structures: np.ndarray,
    *,
    count_for_double_time: float = 50.0,
    count_closed: float | None = None,
    source: str = "damage",
) -> Closures:
    """Damage density → travel-time factor: 1 + count / count_for_double_time; closed at ≥ count_closed.

    The default (50 damaged structures per polygon doubles travel time) is a reliefplan
    assumption for rubble-strewn streets, not a measured figure; pass your own.
    """
    count = np.asarray(damaged_structures, dtype=float)
    factor = 1.0 + np.clip(count, 0, None) / float(count_for_double_time)
    if count_closed is not None:
        factor = np.where(count >= count_closed, np.inf, factor)
    return Closures(polygons=np.asarray(polygons), time_factor=factor, source=source)


def _read_vector_wgs84(path: Path, layer: str | int | None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Geometries (WGS84) and lower-cased property columns of a GeoJSON/GeoPackage layer."""
    try:
        meta, _fids, wkb, field_data = pyogrio.raw.read(path, layer=layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InputError(Problem(file=str(path), message=f"not a readable vector file: {exc}")) from exc
    geoms = shapely.from_wkb(wkb)
    src_crs = CRS.from_user_input(meta["crs"]) if meta.get("crs") else WGS84
    if src_crs != WGS84:
        geoms = project(geoms, src_crs, WGS84)
    return geoms, {str(k).lower(): v for k, v in zip(meta["fields"], field_data)}


def load_closures(path: Path | str, *, layer: str | int | None = None, factor_field: str = "factor") -> Closures:
    """Polygons with optional `factor` (≥ 1 slows) or `closed`; polygons with neither close the roads."""
    path = Path(path)
    file = str(path)
    geoms, data = _read_vector_wgs84(path, layer)
    problems: list[Problem] = []
    factor = np.full(len(geoms), np.inf)
    for i, g in enumerate(geoms):
        if shapely.get_type_id(g) not in (3, 6):
            problems.append(Problem(file=file, feature=str(i), message="expected a Polygon or MultiPolygon"))
            continue
        raw = data[factor_field][i] if factor_field in data else None
        if raw is not None and not (isinstance(raw, float) and math.isnan(raw)):
            try:
                f = float(raw)
            except (TypeError, ValueError):
                f = float("nan")
            if not (f >= 1.0):
                problems.append(
                    Problem(
                        file=file,
                        feature=str(i),
                        field=factor_field,
                        message="expected a travel-time factor ≥ 1 (inf closes)",
                    )
                )
                continue
            factor[i] = f
        elif "closed" in data and _truthy(data["closed"][i]) is False:
            factor[i] = 1.0
    if problems:
        raise InputError(problems)
    return Closures(polygons=geoms, time_factor=factor, source=path.name)
