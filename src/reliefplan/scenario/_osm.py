"""Read highway ways from OpenStreetMap files (.osm XML, .osm.pbf) with pyosmium."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import InputError, Problem

# highway=* values that are not ways anyone travels on (OSM wiki Key:highway)
NOT_ROADS = frozenset(
    {
        "proposed",
        "construction",
        "abandoned",
        "disused",
        "razed",
        "platform",
        "bus_stop",
        "elevator",
        "rest_area",
        "services",
        "emergency_bay",
        "no",
    }
)

_NUMBER = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z/ ]*)\s*$")


def parse_maxspeed_kmh(value: object) -> float:
    """OSM maxspeed ('50', '30 mph', '50;70') → km/h, NaN when absent or symbolic ('none', 'walk')."""
    if value is None:
        return np.nan
    if isinstance(value, (int, float)):
        return float(value) if value > 0 else np.nan
    text = str(value).split(";")[0].strip().lower()
    m = _NUMBER.match(text)
    if not m:
        return np.nan
    speed = float(m.group(1))
    unit = m.group(2).strip()
    if unit in ("mph",):
        speed *= 1.609344
    elif unit in ("knots",):
        speed *= 1.852
    elif unit not in ("", "km/h", "kmh", "kph"):
        return np.nan
    return speed if speed > 0 else np.nan


def parse_length_m(value: object) -> float:
    """OSM width ('7', '7 m', '7.5m') → metres; NaN when absent or unreadable."""
    if value is None:
        return np.nan
    if isinstance(value, (int, float)):
        return float(value) if value > 0 else np.nan
    m = _NUMBER.match(str(value).strip().lower())
    if not m or m.group(2).strip() not in ("", "m"):
        return np.nan
    v = float(m.group(1))
    return v if v > 0 else np.nan


def parse_oneway(value: object, junction: object = None) -> int:
    """OSM oneway → 1 (as drawn), -1 (against drawing) or 0 (both ways); roundabouts are one-way."""
    text = "" if value is None else str(value).strip().lower()
    if text in ("yes", "true", "1"):
        return 1
    if text in ("-1", "reverse"):
        return -1
    if text in ("no", "false", "0"):
        return 0
    if junction is not None and str(junction).strip().lower() in ("roundabout", "circular"):
        return 1
    return 0


def read_osm_ways(path: Path) -> dict[str, list[Any]]:
    """Every highway way of an OSM file with at least two located nodes.

    Returns columns: coords (list of (n,2) lon/lat arrays), way_id, highway, maxspeed_kmh,
    oneway, width_m, lanes, capacity, and 'skipped' (ways without two located nodes).
    """
    try:
        import osmium
        import osmium.filter
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise InputError(
            Problem(file=str(path), message="reading OSM files needs the 'osmium' package (pip install osmium)")
        ) from exc

    cols: dict[str, list[Any]] = {
        k: [] for k in ("coords", "way_id", "highway", "maxspeed_kmh", "oneway", "width_m", "lanes", "capacity")
    }
    skipped = 0
    try:
        fp = (
            osmium.FileProcessor(str(path))
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for way in fp:
            tags = way.tags
            highway = tags.get("highway")
            if highway is None or highway in NOT_ROADS or tags.get("area") == "yes":
                continue
            pts = [(n.lon, n.lat) for n in way.nodes if n.location.valid()]  # type: ignore[union-attr]  # ways only
            if len(pts) < 2:
                skipped += 1  # clipped extract: the way's nodes lie outside the file
                continue
            cols["coords"].append(np.asarray(pts, dtype=float))
            cols["way_id"].append(f"w{way.id}")
            cols["highway"].append(highway)
            cols["maxspeed_kmh"].append(parse_maxspeed_kmh(tags.get("maxspeed")))
            cols["oneway"].append(parse_oneway(tags.get("oneway"), tags.get("junction")))
            cols["width_m"].append(parse_length_m(tags.get("width")))
            lanes = parse_length_m(tags.get("lanes"))
            cols["lanes"].append(lanes)
            cap = tags.get("capacity")
            try:
                cols["capacity"].append(float(cap) if cap is not None else np.nan)
            except ValueError:
                cols["capacity"].append(np.nan)
    except RuntimeError as exc:  # libosmium reports unreadable input as RuntimeError
        raise InputError(Problem(file=str(path), message=f"not a readable OSM file: {exc}")) from exc
    cols["skipped"] = [skipped]
    return cols
