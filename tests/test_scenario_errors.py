"""The bad-input catalogue: every error names file, feature and field, and nothing is written."""

from pathlib import Path

import pytest
from conftest import fc, feat, square, write_scenario
from typer.testing import CliRunner

from reliefplan._errors import InputError
from reliefplan.cli import app
from reliefplan.pipeline import make_plan
from reliefplan.scenario import load_scenario


def problems(folder: Path, name: str = "main") -> list:
    with pytest.raises(InputError) as e:
        make_plan(load_scenario(folder, name))
    return e.value.problems


def test_missing_scenario_file(tmp_path):
    (p,) = problems(tmp_path)
    assert p.file.endswith("scenario.yaml") and "not found" in p.message


def test_empty_scenario_file(tmp_path):
    (tmp_path / "scenario.yaml").write_text("  \n")
    (p,) = problems(tmp_path)
    assert "empty" in p.message


def test_invalid_yaml_gives_line(tmp_path):
    (tmp_path / "scenario.yaml").write_text("title: [unclosed\nlayers: {}\n")
    (p,) = problems(tmp_path)
    assert "invalid YAML" in p.message and "line" in p.message


def test_non_utf8_layer(scenario_dir):
    (scenario_dir / "zones.geojson").write_bytes(b'{"type": "FeatureCollection", "features": [], "name": "\xff\xfe"}')
    (p,) = problems(scenario_dir)
    assert p.file.endswith("zones.geojson") and "UTF-8" in p.message


def test_invalid_json_layer(scenario_dir):
    (scenario_dir / "sites.geojson").write_text('{"type": "FeatureCollection", "features": [')
    (p,) = problems(scenario_dir)
    assert p.file.endswith("sites.geojson") and "invalid JSON at line 1" in p.message


def test_missing_and_negative_population_reported_together(tmp_path):
    zones = fc([feat({"id": "A"}, square(0, 0)), feat({"id": "B", "population": -5}, square(1, 0)),
                feat({"id": "C", "population": "many"}, square(2, 0))])
    got = problems(write_scenario(tmp_path / "s", zones=zones))
    assert [(p.feature, p.field) for p in got] == [("A", "population"), ("B", "population"), ("C", "population")]
    assert "missing" in got[0].message and ">= 0" in got[1].message and "expected a number" in got[2].message


def test_wrong_geometry_type(tmp_path):
    sites = fc([feat({"id": "S1"}, {"type": "Point", "coordinates": [34.25, 31.3]})])
    (p,) = problems(write_scenario(tmp_path / "s", sites=sites))
    assert (p.feature, p.field) == ("S1", "geometry") and "Point" in p.message and "Polygon" in p.message


def test_self_intersecting_polygon(tmp_path):
    bowtie = {"type": "Polygon", "coordinates": [[[34.25, 31.28], [34.26, 31.29], [34.26, 31.28], [34.25, 31.29], [34.25, 31.28]]]}
    zones = fc([feat({"id": "A", "population": 10}, square(0, 0)), feat({"id": "BOW", "population": 10}, bowtie)])
    (p,) = problems(write_scenario(tmp_path / "s", zones=zones))
    assert p.feature == "BOW" and "Self-intersection" in p.message


def test_unknown_crs(tmp_path):
    zones = fc([feat({"id": "A", "population": 10}, square(0, 0))])
    zones["crs"] = {"type": "name", "properties": {"name": "EPSG:999999"}}
    (p,) = problems(write_scenario(tmp_path / "s", zones=zones))
    assert p.field == "crs" and "unknown CRS" in p.message


def test_projected_crs_is_reprojected(tmp_path):
    # zone A given in UTM 36N: same square as square(0, 0) but in metres
    from pyproj import Transformer
    tr = Transformer.from_crs(4326, 32636, always_xy=True)
    ring = [list(tr.transform(x, y)) for x, y in square(0, 0)["coordinates"][0]]
    zones = fc([feat({"id": "A", "population": 10000}, {"type": "Polygon", "coordinates": [ring]})])
    zones["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32636"}}
    plan = make_plan(load_scenario(write_scenario(tmp_path / "s", zones=zones), "main"))
    assert plan.people.displaced == 10000


def test_duplicate_ids(tmp_path):
    zones = fc([feat({"id": "A", "population": 1}, square(0, 0)), feat({"id": "A", "population": 1}, square(1, 0))])
    (p,) = problems(write_scenario(tmp_path / "s", zones=zones))
    assert (p.feature, p.field) == ("A", "id") and "duplicate" in p.message


def test_footprint_touching_no_zone(tmp_path):
    fps = fc([feat({"id": "FAR"}, square(20, 20))])
    (p,) = problems(write_scenario(tmp_path / "s", footprints=fps))
    assert p.file.endswith("footprint.geojson") and "FAR" in p.feature and "touches no population zone" in p.message


def test_unknown_scenario_name(scenario_dir):
    (p,) = problems(scenario_dir, "nope")
    assert p.field == "scenarios" and "'main'" in p.message


def test_unknown_footprint_and_missing_layer_file_together(tmp_path):
    d = write_scenario(tmp_path / "s", config={"scenarios": {"main": {"footprints": ["ghost"]}}})
    (d / "sites.geojson").unlink()
    got = problems(d)
    msgs = " | ".join(str(p) for p in got)
    assert "unknown footprint 'ghost'" in msgs and "sites.geojson: layer file not found" in msgs


def test_unknown_key_in_scenario_yaml(tmp_path):
    d = write_scenario(tmp_path / "s", config={"horizon": 30})
    (p,) = problems(d)
    assert p.field == "horizon" and "Extra inputs" in p.message


def test_bad_entry_point_row(tmp_path):
    d = write_scenario(tmp_path / "s", entry_points="id,name,lon,lat,trucks_per_day\nKS,Kerem,abc,31.2,-3\n")
    got = problems(d)
    assert {p.field for p in got} == {"lon/lat", "trucks_per_day"}


def test_cli_exit_code_and_no_partial_output(tmp_path):
    zones = fc([feat({"id": "A", "population": -1}, square(0, 0))])
    d = write_scenario(tmp_path / "s", zones=zones)
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["plan", str(d), "--scenario", "main", "--out", str(out)])
    assert res.exit_code == 2
    assert "zones.geojson, feature A, field 'population'" in res.output
    assert not out.exists()
