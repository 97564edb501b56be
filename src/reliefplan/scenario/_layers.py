"""Read layer files (GeoJSON, GeoPackage, CSV with optional HXL row) into plain feature records."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from .._errors import InputError, Problem
from ..geo import WGS84, project
from ._inputs import check_regular, read_regular_bytes

GEO_SUFFIXES = {".geojson", ".json", ".gpkg"}
CSV_SUFFIXES = {".csv"}


@dataclass
class Feature:
    """One input feature: its position in the file, properties and WGS84 geometry (None if absent)."""

    index: int
    properties: dict[str, Any]
    geometry: shapely.Geometry | None
    geometry_error: str | None = None  # why geometry is None, when the file had something unusable


def read_text(path: Path, what: str = "file") -> str:
    """Read a UTF-8 text file; missing, empty, non-regular (devices, pipes) and non-UTF-8 files are input errors."""
    data = read_regular_bytes(Path(path), what)
    if not data.strip():
        raise InputError(Problem(file=str(path), message=f"{what} is empty"))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(
            Problem(file=str(path), message=f"not valid UTF-8 text (byte {e.start}); expected UTF-8")
        ) from None


def read_json(path: Path, what: str = "file") -> Any:
    """Parse a UTF-8 JSON file; missing, empty, non-UTF-8 and malformed files are input errors."""
    text = read_text(Path(path), what)
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(
            Problem(file=str(path), message=f"invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}")
        ) from None
    except RecursionError:
        raise InputError(Problem(file=str(path), message="JSON nested too deeply")) from None


def coordinate_problems(geoms: Any) -> list[tuple[int, str]]:
    """(index, why) of WGS84 geometries with a coordinate that is not finite or not lon -180..180, lat -90..90."""
    arr = np.asarray(geoms, dtype=object)
    if arr.size == 0:
        return []
    xy, index = shapely.get_coordinates(arr, return_index=True)
    bad = ~(np.isfinite(xy).all(axis=1) & (np.abs(xy[:, 0]) <= 180) & (np.abs(xy[:, 1]) <= 90))
    out = []
    for i in np.unique(index[bad]).tolist():
        x, y = xy[bad & (index == i)][0]
        out.append(
            (
                int(i),
                f"coordinate ({x:g}, {y:g}) is not finite lon/lat; expected decimal degrees "
                "(lon -180..180, lat -90..90) after reprojection",
            )
        )
    return out


def _crs_from_geojson(path: Path, doc: dict[str, Any]) -> CRS:
    member = doc.get("crs")
    if member is None:
        return WGS84
    props = member.get("properties") if isinstance(member, dict) else None
    name = props.get("name") if isinstance(props, dict) else None
    if not isinstance(name, str):
        raise InputError(
            Problem(file=str(path), field="crs", message="crs member has no properties.name; expected e.g. 'EPSG:4326'")
        )
    if name.upper().endswith("CRS84") or name.upper().replace("::", ":").endswith("EPSG:4326"):
        return WGS84
    try:
        return CRS.from_user_input(name)
    except CRSError:
        raise InputError(
            Problem(file=str(path), field="crs", message=f"unknown CRS '{name}'; expected an EPSG code or OGC URN")
        ) from None


def read_geojson(path: Path) -> list[Feature]:
    doc = read_json(path, "layer file")
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        raise InputError(Problem(file=str(path), message="expected a GeoJSON FeatureCollection with a 'features' list"))
    crs = _crs_from_geojson(path, doc)
    features: list[Feature] = []
    problems: list[Problem] = []
    for i, f in enumerate(doc["features"]):
        if not isinstance(f, dict) or f.get("type") != "Feature":
            problems.append(Problem(file=str(path), feature=str(i), message="expected a GeoJSON Feature object"))
            continue
        props = f.get("properties")
        if props is not None and not isinstance(props, dict):
            problems.append(
                Problem(
                    file=str(path),
                    feature=str(i),
                    field="properties",
                    message=f"expected an object (or null), got {type(props).__name__}",
                )
            )
            continue
        geom = None
        if f.get("geometry") is not None:
            try:
                geom = shapely.geometry.shape(f["geometry"])
            except Exception as e:  # shapely raises several types for malformed coordinates
                fid = (props or {}).get("id")
                # the id as the other problems of a layer name a feature, else its index in the file
                feature = str(fid) if isinstance(fid, (str, int)) and str(fid).strip() else str(i)
                problems.append(
                    Problem(
                        file=str(path),
                        feature=feature,
                        field="geometry",
                        message=f"malformed geometry ({str(e)[:200]})",
                    )
                )
                continue
        features.append(Feature(i, dict(props or {}), geom))
    if problems:
        raise InputError(problems)
    return _checked(_to_wgs84(features, crs))


def _checked(features: list[Feature]) -> list[Feature]:
    """Features whose coordinates are not finite lon/lat lose their geometry and say why."""
    idx = [k for k, f in enumerate(features) if f.geometry is not None]
    for k, why in coordinate_problems([features[j].geometry for j in idx]):
        f = features[idx[k]]
        f.geometry, f.geometry_error = None, why
    return features


def read_gpkg(path: Path, layer: str | None = None) -> list[Feature]:
    import pyogrio

    check_regular(path, "layer file")
    try:
        meta, _fids, wkb, field_data = pyogrio.raw.read(path, layer=layer)
    except Exception as e:  # pyogrio wraps GDAL errors in several classes
        raise InputError(Problem(file=str(path), message=f"cannot read GeoPackage layer {layer!r}: {e}")) from None
    names = list(meta["fields"])
    geoms = shapely.from_wkb(wkb) if wkb is not None else [None] * len(field_data[0] if field_data else [])
    n = len(geoms)
    features = [
        Feature(i, {name: _plain(field_data[k][i]) for k, name in enumerate(names)}, geoms[i]) for i in range(n)
    ]
    crs_text = meta.get("crs")
    try:
        crs = CRS.from_user_input(crs_text) if crs_text else WGS84
    except CRSError:
        raise InputError(Problem(file=str(path), field="crs", message=f"unknown CRS '{crs_text}'")) from None
    return _checked(_to_wgs84(features, crs))


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


def _to_wgs84(features: list[Feature], crs: CRS) -> list[Feature]:
    if crs == WGS84 or crs.equals(WGS84, ignore_axis_order=True):
        return features
    for f in features:
        if f.geometry is not None:
            f.geometry = project(f.geometry, crs, WGS84)
    return features


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    """CSV rows as dicts; a second row of HXL hashtags (cells starting with '#') is skipped. Rows with more
    cells than the header, cells over csv's field limit (128 kB) and NUL bytes are input errors."""
    text = read_text(path, "table")
    reader = csv.DictReader(io.StringIO(text), restkey=_EXTRA)
    try:
        rows = list(reader)
    except csv.Error as e:
        raise InputError(
            Problem(file=str(path), feature=f"line {reader.line_num}", message=f"not a readable CSV row ({e})")
        ) from None
    if not reader.fieldnames:
        raise InputError(Problem(file=str(path), message="no header row; expected column names on the first line"))
    if len(reader.fieldnames) == 1 and any(sep in reader.fieldnames[0] for sep in ";\t"):
        # Spreadsheets in many locales save CSV with ';': every row would otherwise miss every column but one.
        raise InputError(
            Problem(
                file=str(path),
                feature="line 1",
                message=f"the header reads as one column {reader.fieldnames[0][:80]!r}; expected comma-separated columns",
            )
        )
    problems = [
        Problem(
            file=str(path),
            feature=f"row {i + 1}",
            field=_EXTRA,
            message=f"{len(r[_EXTRA])} more cell(s) than the {len(reader.fieldnames)} header columns",
        )
        for i, r in enumerate(rows)
        if _EXTRA in r
    ]
    if problems:
        raise InputError(problems)
    if rows and all((v or "").strip().startswith("#") or not (v or "").strip() for v in rows[0].values()):
        rows = rows[1:]
    return rows


_EXTRA = "(cells beyond the header)"


def read_points_csv(path: Path) -> list[Feature]:
    """Rows with `lon`,`lat` as WGS84 points; a row with bad coordinates keeps geometry None and says why."""
    features: list[Feature] = []
    for i, row in enumerate(read_csv_rows(path)):
        geom, err = None, None
        try:
            lon, lat = float(row.get("lon", "")), float(row.get("lat", ""))
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise ValueError
            geom = shapely.Point(lon, lat)
        except (TypeError, ValueError):
            err = f"expected decimal degrees (lon -180..180, lat -90..90), got {row.get('lon')!r}, {row.get('lat')!r}"
        features.append(Feature(i, {k: v for k, v in row.items() if k is not None}, geom, err))
    return features


def read_layer(path: Path, layer: str | None = None) -> list[Feature]:
    suffix = path.suffix.lower()
    if suffix in {".geojson", ".json"}:
        return read_geojson(path)
    if suffix == ".gpkg":
        return read_gpkg(path, layer)
    if suffix in CSV_SUFFIXES:
        return read_points_csv(path)
    raise InputError(
        Problem(file=str(path), message=f"unsupported layer format '{suffix}'; expected .geojson, .json, .gpkg or .csv")
    )
