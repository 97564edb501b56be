"""Camp layout: reading a one-polygon site file (GeoJSON, WGS84), the GeoPackage of every layout's layers
(reprojected to WGS84, written atomically) and the summary as table rows for the CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from ..._errors import InputError, Problem
from .generate import generate_layout
from .model import LAYERS, CampLayout, Geometry, LayoutParams, LayoutSummary

if TYPE_CHECKING:  # pragma: no cover
    from pyproj import CRS


def load_site_polygon(path: Path) -> tuple[Geometry, str]:
    """Read a GeoJSON file holding one Polygon/MultiPolygon (Feature, FeatureCollection of one, or bare
    geometry) in WGS84 lon/lat. Returns the geometry and the feature's id (or name, or index)."""
    src = str(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(Problem(file=src, message="file not found")) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(Problem(file=src, message=f"expected GeoJSON, could not parse it: {e}")) from None
    feats: list[dict[str, Any]]
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        feats = list(data.get("features") or [])
    elif isinstance(data, dict) and data.get("type") == "Feature":
        feats = [data]
    elif isinstance(data, dict) and "coordinates" in data:
        feats = [{"type": "Feature", "geometry": data, "properties": {}}]
    else:
        raise InputError(Problem(file=src, message="expected a GeoJSON Feature, FeatureCollection or geometry"))
    if len(feats) != 1:
        raise InputError(
            Problem(file=src, field="features", message=f"expected exactly one polygon feature, got {len(feats)}")
        )
    f = feats[0]
    props = f.get("properties") or {}
    fid = str(f.get("id", props.get("id", props.get("site_id", props.get("name", 0)))))
    try:
        geom = shapely.geometry.shape(f.get("geometry"))
    except Exception as e:  # noqa: BLE001 - shapely raises several types for malformed GeoJSON
        raise InputError(
            Problem(file=src, feature=fid, field="geometry", message=f"expected a GeoJSON Polygon or MultiPolygon: {e}")
        ) from None
    if not isinstance(geom, (shapely.Polygon, shapely.MultiPolygon)):
        raise InputError(
            Problem(
                file=src,
                feature=fid,
                field="geometry",
                message=f"expected a Polygon or MultiPolygon, got {geom.geom_type}",
            )
        )
    if geom.is_empty:
        raise InputError(Problem(file=src, feature=fid, field="geometry", message="the polygon is empty"))
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise InputError(
            Problem(file=src, feature=fid, field="geometry", message="expected WGS84 longitude/latitude coordinates")
        )
    return geom, fid


_SCHEMA: dict[str, tuple[str, dict[str, str]]] = {
    "plots": ("Polygon", {"plot_id": "str", "block_id": "str", "sector": "int", "people": "int", "area_m2": "float"}),
    "blocks": ("Polygon", {"block_id": "str", "sector": "int", "communities": "int", "plots": "int", "people": "int"}),
    "roads": ("MultiPolygon", {"kind": "str", "width_m": "float", "area_m2": "float"}),
    "firebreaks": ("MultiPolygon", {"width_m": "float", "area_m2": "float"}),
    "water_points": ("Point", {"point_id": "str", "taps": "int", "people_served": "int"}),
    "latrines": (
        "Point",
        {"block_id": "str", "stalls": "int", "stalls_female": "int", "stalls_male": "int", "people_served": "int"},
    ),
    "health_posts": ("Point", {"post_id": "str", "people_served": "int"}),
    "distribution_points": ("Point", {"point_id": "str", "people_served": "int"}),
}
_DTYPE = {"str": object, "int": np.int64, "float": np.float64}


def write_layout_gpkg(layouts: list[CampLayout], path: Path, crs: CRS) -> None:
    """Write every layout's layers to one GeoPackage in WGS84 (reprojected from `crs`), atomically."""
    import pyogrio.raw

    from ...geo import WGS84, project

    path = Path(path)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.gpkg")
    if tmp.exists():
        tmp.unlink()
    try:
        for name in LAYERS:
            gtype, schema = _SCHEMA[name]
            geoms: list[np.ndarray] = []
            cols: dict[str, list[np.ndarray]] = {"site_id": [], **{k: [] for k in schema}}
            for lay in layouts:
                f = lay.layer(name)
                geoms.append(np.asarray(f.geometry, dtype=object))
                cols["site_id"].append(np.full(len(f), lay.site_id, dtype=object))
                for k, t in schema.items():
                    cols[k].append(np.asarray(f.attributes[k]).astype(_DTYPE[t]))
            geom = np.concatenate(geoms) if geoms else np.empty(0, dtype=object)
            if len(geom):
                geom = project(geom, crs, WGS84)
                if gtype == "MultiPolygon":
                    geom = np.asarray(
                        [q if isinstance(q, shapely.MultiPolygon) else shapely.MultiPolygon([q]) for q in geom],
                        dtype=object,
                    )
            data = [
                np.concatenate(v) if v else np.empty(0, dtype=_DTYPE.get(schema.get(k, "str"), object))
                for k, v in cols.items()
            ]
            pyogrio.raw.write(
                str(tmp),
                shapely.to_wkb(geom) if len(geom) else np.empty(0, dtype=object),
                data,
                list(cols),
                layer=name,
                driver="GPKG",
                geometry_type=gtype,
                crs=WGS84.to_wkt(),
                promote_to_multi=False,
            )
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def layout_site_file(
    path: Path, people: int, params: LayoutParams | None = None, site_id: str | None = None
) -> tuple[CampLayout, CRS]:
    """Load a one-feature GeoJSON site polygon (WGS84), lay it out in its local UTM CRS; return layout and CRS."""
    from ...geo import WGS84, local_crs, project

    geom, fid = load_site_polygon(path)
    crs = local_crs(geom.bounds)
    site_m = project(geom, WGS84, crs)
    return generate_layout(site_m, people, params, site_id=site_id or fid, source=str(path)), crs


def summary_rows(s: LayoutSummary) -> list[tuple[str, str, bool | None]]:
    """(figure, value, standard met or None) rows for a human-readable summary table."""
    met = s.standards_met

    def num(v: float | None, fmt: str = ",.0f") -> str:
        return "-" if v is None else format(v, fmt)

    return [
        ("people held / requested", f"{s.people:,} / {s.people_requested:,}", met["capacity"]),
        ("shortfall (no plot)", f"{s.shortfall:,}", None),
        ("site capacity (people)", f"{s.capacity:,}", None),
        ("family plots / slots", f"{s.plots:,} / {s.slots:,}", None),
        ("plot side (m)", num(s.plot_side_m, ".1f"), None),
        ("covered m²/person", num(s.covered_m2_per_person, ".2f"), met["covered_area"]),
        ("gross m²/person (used blocks)", num(s.gross_m2_per_person, ".1f"), met["site_area"]),
        ("longest built-up run (m)", num(s.max_built_up_run_m), met["firebreaks"]),
        ("water points / taps (ratio)", f"{s.water_points:,} / {s.taps:,} ({s.taps_required:,})", met["water_ratio"]),
        ("max plot → water (m)", num(s.max_plot_to_water_m), met["water_distance"]),
        (
            "latrine blocks / stalls F+M (ratio)",
            f"{s.latrine_blocks:,} / {s.latrines_female:,}+{s.latrines_male:,} ({s.latrines_required:,})",
            met["latrine_ratio"] and met["latrine_female_share"],
        ),
        ("max plot → latrine (m)", num(s.max_plot_to_latrine_m), met["latrine_distance"]),
        ("health posts", f"{s.health_posts:,}", met["health_posts"]),
        ("distribution points", f"{s.distribution_points:,}", met["distribution_points"]),
        ("orientation (°)", num(s.orientation_deg, ".1f"), None),
        ("distances", s.distance_metric, None),
    ]
