"""plan.json: written atomically, valid against the shipped JSON Schema, people conserved."""

import json
import os
import stat
from pathlib import Path

import jsonschema
from typer.testing import CliRunner

from reliefplan.cli import app
from reliefplan.plan import plan_json_schema, plan_json_schema_text

SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "plan.schema.json"


def test_shipped_schema_is_current():
    assert SCHEMA.read_text() == plan_json_schema_text(), "run `make schema` and commit schemas/plan.schema.json"


def test_cli_plan_writes_valid_plan_json(scenario_dir, tmp_path):
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["plan", str(scenario_dir), "--scenario", "main", "--out", str(out)])
    assert res.exit_code == 0, res.output
    doc = json.loads((out / "plan.json").read_text())
    jsonschema.validate(doc, plan_json_schema())
    p = doc["people"]
    assert p["sheltered"] + p["unsheltered"] == p["displaced"] == 10000
    assert p["displaced"] + p["staying"] == p["population"] == 20000
    for key in (
        "water_l_per_day",
        "food_kg_per_day",
        "kcal_per_day",
        "site_area_m2",
        "covered_area_m2",
        "latrines",
        "water_taps",
        "health_posts",
    ):
        assert key in doc["needs"]
    assert doc["needs"]["water_l_per_day"] == 150_000
    site = doc["sites"][0]
    assert {"id", "population", "capacity", "area_m2", "m2_per_person"} <= set(site)
    for row in doc["verdict"]:
        assert {"indicator", "value", "target", "met", "severity", "source"} <= set(row)
        assert row["source"]
    assert sum(f["people"] for f in doc["flows"]) == p["sheltered"]
    assert not [f for f in out.iterdir() if f.name.startswith(".")]  # no temp files left behind
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((out / "plan.json").stat().st_mode) == 0o666 & ~umask  # an ordinary file, not 0600
    flows = json.loads((out / "flows.geojson").read_text())
    assert sum(f["properties"]["people"] for f in flows["features"]) == p["sheltered"]


def test_compare_prints_both(scenario_dir, tmp_path):
    r = CliRunner()
    for name in ("a", "b"):
        assert r.invoke(app, ["plan", str(scenario_dir), "-s", "main", "-o", str(tmp_path / name)]).exit_code == 0
    res = r.invoke(app, ["compare", str(tmp_path / "a" / "plan.json"), str(tmp_path / "b" / "plan.json")])
    assert res.exit_code == 0 and "people displaced" in res.output and "10,000" in res.output


def test_standards_show_lists_sources():
    res = CliRunner().invoke(app, ["standards", "show", "unhcr-emergency"])
    assert res.exit_code == 0
    assert "water_l_per_person_day" in res.output and "ration basket" in res.output


def test_camp_layouts_reach_the_map_layers(scenario_dir, tmp_path):
    import pyogrio

    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["plan", str(scenario_dir), "--scenario", "main", "--out", str(out)])
    assert res.exit_code == 0, res.output
    names = {n for n, _ in pyogrio.list_layers(out / "plan.gpkg")}
    assert {"camp_blocks", "zones", "sites", "flows"} <= names
    layout = {n for n, _ in pyogrio.list_layers(out / "layout.gpkg")}
    assert {
        "plots",
        "blocks",
        "roads",
        "firebreaks",
        "water_points",
        "latrines",
        "health_posts",
        "distribution_points",
    } <= layout
