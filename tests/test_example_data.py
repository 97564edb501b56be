"""Invariants of the shipped example data in examples/rafah-2024/ (derived by
scripts/derive_rafah_example.py): files parse, ids unique, geometries valid,
zone populations sum to the published figure, zones tile the governorate."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import shapely
import yaml
from pyproj import Transformer
from shapely.geometry import shape

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "rafah-2024"
RAFAH_POPULATION = 1_400_000  # UNRWA, before the 6 May 2024 orders (figures row rafah_pop_2024_05)
POLYGON_LAYERS = [
    "zones.geojson",
    "sites.geojson",
    "footprint_east_rafah_2024-05-06.geojson",
    "footprint_rafah_governorate.geojson",
]
_TO_UTM = Transformer.from_crs(4326, 32636, always_xy=True)


def _area_m2(geom: shapely.Geometry) -> float:
    return float(shapely.transform(geom, lambda xy: np.column_stack(_TO_UTM.transform(xy[:, 0], xy[:, 1]))).area)


def _features(name: str) -> list[dict]:
    with (EXAMPLE / name).open(encoding="utf-8") as fh:
        fc = json.load(fh)
    assert fc["type"] == "FeatureCollection"
    return fc["features"]


def _csv_rows(name: str) -> list[dict[str, str]]:
    """Rows of a CSV, skipping the optional HXL hashtag row."""
    with (EXAMPLE / name).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    if rows and all(v.startswith("#") for v in rows[0].values() if v):
        rows = rows[1:]
    return rows


def _scenario() -> dict:
    with (EXAMPLE / "scenario.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def test_every_file_parses_and_every_referenced_file_exists() -> None:
    files = sorted(p for p in EXAMPLE.iterdir() if p.is_file())
    assert files, "example folder is empty"
    for p in files:
        if p.suffix in (".geojson", ".json"):
            assert _features(p.name), p.name
        elif p.suffix == ".csv":
            assert _csv_rows(p.name), p.name
    sc = _scenario()
    referenced = [sc["population_structure"]]
    referenced += [layer["file"] for layer in sc["layers"].values()]
    referenced += [fp["file"] for fp in sc["footprints"].values()]
    missing = [f for f in referenced if not (EXAMPLE / f).is_file()]
    assert not missing, f"scenario.yaml references missing files: {missing}"
    assert {"targeted", "full", "full-design", "full-observed"} <= set(sc["scenarios"])
    for s in sc["scenarios"].values():
        assert set(s["footprints"]) <= set(sc["footprints"])


@pytest.mark.parametrize("name", POLYGON_LAYERS)
def test_polygon_layers_valid_with_unique_ids(name: str) -> None:
    feats = _features(name)
    ids = [f["properties"]["id"] for f in feats]
    assert len(ids) == len(set(ids)), f"duplicate ids in {name}"
    for f in feats:
        g = shape(f["geometry"])
        assert g.geom_type in ("Polygon", "MultiPolygon"), (name, f["properties"]["id"])
        assert g.is_valid and not g.is_empty, (name, f["properties"]["id"], shapely.is_valid_reason(g))


def test_entry_points_and_age_sex() -> None:
    eps = _csv_rows("entry_points.csv")
    assert len({r["id"] for r in eps}) == len(eps)
    for r in eps:
        assert -180 <= float(r["lon"]) <= 180 and -90 <= float(r["lat"]) <= 90
        assert float(r["trucks_per_day"]) >= 0
    ages = [r for r in _csv_rows("age_sex.csv") if r["age"] not in ("pregnant", "lactating")]
    total = sum(float(r["male"]) + float(r["female"]) for r in ages)
    assert total == pytest.approx(1.0, abs=1e-9)


def test_zone_population_sums_to_published_figure() -> None:
    pops = [f["properties"]["population"] for f in _features("zones.geojson")]
    assert all(isinstance(p, int) and p >= 0 for p in pops)
    assert sum(pops) == RAFAH_POPULATION


def test_zones_tile_the_governorate() -> None:
    zones = [shape(f["geometry"]) for f in _features("zones.geojson")]
    gov_feature = _features("footprint_rafah_governorate.geojson")[0]
    gov = shape(gov_feature["geometry"])
    gov_m2 = _area_m2(gov)
    # the footprint is the OCHA COD polygon (re-noded): same area as COD's own figure
    assert abs(gov_m2 / 1e6 - gov_feature["properties"]["area_km2_cod"]) / gov_m2 * 1e6 < 1e-3
    union = shapely.union_all(zones)
    assert abs(_area_m2(union) - gov_m2) / gov_m2 < 1e-3
    assert _area_m2(shapely.symmetric_difference(union, gov)) / gov_m2 < 1e-3
    # no overlaps: the parts add up to the union
    assert abs(sum(_area_m2(z) for z in zones) - _area_m2(union)) / gov_m2 < 1e-3
