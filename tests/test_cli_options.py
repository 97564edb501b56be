"""Command-line options out of range are usage errors (exit 2, the option named), never a traceback or a run."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from reliefplan.cli import app

BAD_OPTIONS = [
    # a traceback before (scipy: limit must be >= 0; numpy: expected non-negative integer)
    (["travel-times", "roads.geojson", "points.csv", "--mode", "walk", "--cutoff-s", "-1"], "--cutoff-s"),
    (["ensemble", "folder", "-s", "main", "--runs", "2", "--seed", "-1", "-o", "out"], "--seed"),
    # accepted before, and the run went on with a meaningless figure
    (["travel-times", "roads.geojson", "points.csv", "--mode", "walk", "--max-snap-m", "-1"], "--max-snap-m"),
    (["solve-siting", "inst.json", "--time-limit", "-1"], "--time-limit"),
    (["solve-siting", "inst.json", "--mip-gap", "-1"], "--mip-gap"),
    (["solve-supply", "inst.json", "--time-limit", "-1"], "--time-limit"),
    (["solve-supply", "inst.json", "--step-trucks", "0"], "--step-trucks"),
    (["solve-supply", "inst.json", "--step-trucks", "-50"], "--step-trucks"),
    (["solve-routing", "inst.json", "--time-limit", "-1"], "--time-limit"),
    (["solve-routing", "inst.json", "--vehicles", "0"], "--vehicles"),
    (["assess", "folder", "--from-day", "-3", "-o", "out"], "--from-day"),
    (["layout", "site.geojson", "--people", "-5"], "--people"),
    (["layout", "site.geojson", "--people", "5", "--household-size", "0"], "--household-size"),
]


@pytest.mark.parametrize(("args", "option"), BAD_OPTIONS, ids=[" ".join(a[:1] + [o]) for a, o in BAD_OPTIONS])
def test_out_of_range_option_is_a_usage_error(args, option, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert option in res.output
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_short_names_are_the_same_for_the_same_thing():
    """-s is the scenario and -o the output wherever a command takes them."""
    for cmd in (["plan"], ["ensemble"], ["assess"], ["schema"], ["travel-times"], ["compare"], ["layout"]):
        text = CliRunner().invoke(app, [*cmd, "--help"], env={"COLUMNS": "200"}).output
        if "--out" in text:
            assert re.search(r"(?<![\w-])-o\b", text), cmd
        if re.search(r"--scenario\b", text):
            assert re.search(r"(?<![\w-])-s\b", text), cmd


def test_compare_with_a_json_that_is_not_a_plan_says_what_is_missing(tmp_path):
    """Was the raw pydantic error: 18 blocks of 'Field required / For further information visit https://...'."""
    (tmp_path / "a.json").write_text("{}")
    (tmp_path / "b.json").write_text('{"scenario": 3}')
    res = CliRunner().invoke(app, ["compare", str(tmp_path / "a.json"), str(tmp_path / "b.json")])
    assert res.exit_code == 2
    assert "not a reliefplan plan.json: missing reliefplan_version, scenario," in res.output
    assert "errors.pydantic.dev" not in res.output and "Field required" not in res.output
    assert len(res.output.splitlines()) <= 4


def test_ctrl_c_says_nothing_was_written(tmp_path, monkeypatch):
    """Was a silent exit 130: the user could not tell whether OUT held a half-written run."""
    from conftest import write_scenario

    import reliefplan.pipeline

    def interrupted(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr(reliefplan.pipeline, "run", interrupted)
    d = write_scenario(tmp_path / "sc")
    res = CliRunner().invoke(app, ["plan", str(d), "-s", "main", "-o", str(tmp_path / "out")])
    assert res.exit_code == 130
    assert "interrupted: nothing written" in res.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("cmd", ["solve-evacuation", "solve-supply", "solve-siting", "solve-routing", "travel-times"])
def test_options_in_seconds_carry_the_unit(cmd):
    """Scenario keys say time_limit_s; the CLI said --time-limit and --horizon (seconds, where plans count days)."""
    text = CliRunner().invoke(app, [cmd, "--help"], env={"COLUMNS": "250"}).output
    for word in ("--time-limit", "--time-step", "--horizon", "--cutoff"):
        if word in text:
            assert f"{word}-s" in text, (cmd, word)


def test_the_old_names_still_work(tmp_path):
    inst = tmp_path / "evac.json"
    inst.write_text(
        '{"nodes": ["a", "z"], "arcs": [{"from": "a", "to": "z", "travel_time_s": 600, "capacity_per_h": 3600}],'
        ' "sources": [{"node": "a", "people": 100}], "sinks": [{"node": "z", "capacity": null}]}'
    )
    for names in (["--time-step", "60", "--horizon", "9000"], ["--time-step-s", "60", "--horizon-s", "9000"]):
        res = CliRunner().invoke(app, ["solve-evacuation", str(inst), "--no-flows", *names])
        assert res.exit_code == 0, res.output
        assert '"time_step_s": 60.0' in res.output


def test_travel_times_names_the_points_file_of_a_point_far_from_the_roads(tmp_path):
    """Was 'origins, feature A: point is ... m from the nearest road' - a name the user never gave."""
    import json

    road = {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": [[0, 0], [0.01, 0]]}}
    (tmp_path / "roads.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [road]}))
    (tmp_path / "near.csv").write_text("id,lon,lat\nN,0.005,0.0001\n")
    (tmp_path / "far.csv").write_text("id,lon,lat\nF,1,1\n")
    roads, near, far = (str(tmp_path / n) for n in ("roads.geojson", "near.csv", "far.csv"))
    res = CliRunner().invoke(app, ["travel-times", roads, near, "--to", far, "--mode", "walk"])
    assert res.exit_code == 2
    assert "far.csv, feature F: point is" in res.output and "origins" not in res.output
