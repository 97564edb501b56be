"""Shared fixtures: a small synthetic scenario folder written on the fly."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml

# A 0.01 degree square near Rafah is about 950 m x 1110 m.
LON0, LAT0 = 34.25, 31.28
D = 0.01


def square(i: float, j: float, size: float = D) -> dict[str, Any]:
    x, y = LON0 + i * D, LAT0 + j * D
    return {"type": "Polygon", "coordinates": [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]}


def fc(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def feat(props: dict[str, Any], geom: dict[str, Any] | None) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geom}


def write_scenario(
    folder: Path,
    *,
    zones=None,
    sites=None,
    footprints=None,
    config: dict | None = None,
    entry_points: str | None = None,
) -> Path:
    """Write a scenario folder: 2 zones of 10,000 people, 2 sites, a footprint over zone A, entry points CSV."""
    folder.mkdir(parents=True, exist_ok=True)
    zones = (
        zones
        if zones is not None
        else fc(
            [
                feat({"id": "A", "population": 10000, "name": "zone A"}, square(0, 0)),
                feat({"id": "B", "population": 10000, "name": "zone B"}, square(1, 0)),
            ]
        )
    )
    sites = (
        sites
        if sites is not None
        else fc(
            [
                feat({"id": "S1", "usable_fraction": 1.0}, square(0, 3)),
                feat({"id": "S2", "usable_fraction": 0.5}, square(3, 3)),
            ]
        )
    )
    footprints = footprints if footprints is not None else fc([feat({"id": "F1"}, square(0, 0))])
    (folder / "zones.geojson").write_text(json.dumps(zones))
    (folder / "sites.geojson").write_text(json.dumps(sites))
    (folder / "footprint.geojson").write_text(json.dumps(footprints))
    (folder / "entry_points.csv").write_text(
        entry_points
        if entry_points is not None
        else "id,name,lon,lat,trucks_per_day\n#loc+id,#loc+name,#geo+lon,#geo+lat,#capacity\n"
        "KS,Kerem Shalom,34.27056,31.22083,100\n"
    )
    cfg = {
        "title": "test",
        "layers": {
            "zones": {"file": "zones.geojson"},
            "sites": {"file": "sites.geojson"},
            "entry_points": {"file": "entry_points.csv"},
        },
        "footprints": {"op": {"file": "footprint.geojson", "start_day": 0}},
        "scenarios": {"main": {"footprints": ["op"]}},
    }
    if config:
        cfg.update(config)
    (folder / "scenario.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return folder


@pytest.fixture
def scenario_dir(tmp_path: Path) -> Path:
    return write_scenario(tmp_path / "sc")


EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "rafah-2024"


def add_north_road(folder: Path, width_m: float | None = None) -> float:
    """A primary road from zone A's centre north to site S1's centre (~3.3 km), added to scenario.yaml.

    Returns the road's longitude."""
    x = LON0 + D / 2
    props: dict[str, Any] = {"highway": "primary"}
    if width_m:
        props["width"] = width_m
    road = fc([feat(props, {"type": "LineString", "coordinates": [[x, LAT0 + D / 2], [x, LAT0 + 3.5 * D]]})])
    (folder / "roads.geojson").write_text(json.dumps(road))
    cfg = (folder / "scenario.yaml").read_text()
    (folder / "scenario.yaml").write_text(
        cfg.replace("  entry_points:", "  roads:\n    file: roads.geojson\n  entry_points:")
    )
    return x


def planned(folder: Path, name: str = "main", *, layouts: bool = False):
    """(plan, map layers) with camp layouts and supply off unless asked: those stages have their own tests."""
    from reliefplan.outputs.layers import plan_layers
    from reliefplan.pipeline import make_plan
    from reliefplan.scenario.folder import load_scenario

    sc = load_scenario(folder, name)
    sc.layout.enabled = layouts
    sc.supply.enabled = False
    plan = make_plan(sc)
    return plan, plan_layers(sc, plan)


def assert_same_key_results(a: dict[str, Any], b: dict[str, Any]) -> None:
    """Two members' (or a member's and a cold plan's) `ensemble.key_results`: equal, numbers to rounding (the
    supply LP re-solved warm gives the same optimum to ~1e-9)."""
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], float) and math.isnan(a[k]):
            assert math.isnan(b[k]), k
        elif isinstance(a[k], (str, bool)) or a[k] is None:
            assert a[k] == b[k], k
        else:
            assert a[k] == pytest.approx(b[k], rel=1e-9, abs=1e-9), k
