"""Layer formats: GeoPackage and CSV with an HXL row load like GeoJSON."""

import json

import numpy as np
import pyogrio
import shapely
from conftest import write_scenario

from reliefplan.pipeline import make_plan
from reliefplan.scenario._layers import read_csv_rows, read_layer
from reliefplan.scenario.folder import load_scenario


def test_geopackage_zones_with_field_mapping(scenario_dir):
    doc = json.loads((scenario_dir / "zones.geojson").read_text())
    geoms = np.array([shapely.geometry.shape(f["geometry"]) for f in doc["features"]], dtype=object)
    fields = [np.array(["A", "B"], dtype=object), np.array([10000, 10000], dtype=np.int64)]
    pyogrio.raw.write(
        scenario_dir / "zones.gpkg",
        shapely.to_wkb(geoms),
        fields,
        ["block", "pop"],
        layer="zones",
        driver="GPKG",
        geometry_type="Polygon",
        crs="EPSG:4326",
    )
    cfg = (
        (scenario_dir / "scenario.yaml")
        .read_text()
        .replace("file: zones.geojson", "file: zones.gpkg\n    layer: zones\n    fields: {id: block, population: pop}")
    )
    (scenario_dir / "scenario.yaml").write_text(cfg)
    sc = load_scenario(scenario_dir, "main")
    assert [z.id for z in sc.zones] == ["A", "B"] and [z.population for z in sc.zones] == [10000, 10000]
    assert make_plan(sc).people.displaced == 10000


def test_hxl_row_skipped(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("id,name,lon,lat\n#loc+id,#loc+name,#geo+lon,#geo+lat\nX,Gate,34.3,31.3\n")
    assert read_csv_rows(p) == [{"id": "X", "name": "Gate", "lon": "34.3", "lat": "31.3"}]
    (f,) = read_layer(p)
    assert f.geometry.equals(shapely.Point(34.3, 31.3))


def test_csv_without_hxl_row(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("id,lon,lat\nX,34.3,31.3\nY,34.4,31.4\n")
    assert [r["id"] for r in read_csv_rows(p)] == ["X", "Y"]


def test_multiple_named_scenarios_share_layers(tmp_path):
    d = write_scenario(
        tmp_path / "s",
        config={
            "scenarios": {
                "main": {"footprints": ["op"]},
                "strict": {"footprints": ["op"], "standards": {"profile": "unhcr-emergency"}, "horizon_days": 60},
            }
        },
    )
    a, b = make_plan(load_scenario(d, "main")), make_plan(load_scenario(d, "strict"))
    assert a.people == b.people
    assert b.needs.water_l_per_day == 200_000 and a.needs.water_l_per_day == 150_000
    assert b.horizon_days == 60
