"""Regressions of issue 17: inputs that crashed, hung or were silently misread now give clear errors (file,
feature, field, exit 2, nothing written); outputs are written as a set."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml
from conftest import add_north_road, fc, feat, square, write_scenario
from typer.testing import CliRunner

from reliefplan._errors import InputError
from reliefplan.cli import app
from reliefplan.pipeline import make_plan
from reliefplan.scenario.folder import load_scenario


def problems(folder: Path, name: str = "main") -> list:
    with pytest.raises(InputError) as e:
        make_plan(load_scenario(folder, name))
    return e.value.problems


def _set(folder: Path, **keys) -> Path:
    cfg = yaml.safe_load((folder / "scenario.yaml").read_text())
    cfg.update(keys)
    (folder / "scenario.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return folder


def test_geojson_properties_not_an_object(tmp_path):
    zones = fc(
        [
            feat({"id": "A", "population": 10}, square(0, 0)),
            {"type": "Feature", "properties": [1, 2], "geometry": square(1, 0)},
        ]
    )
    (p,) = problems(write_scenario(tmp_path / "s", zones=zones))
    assert p.file.endswith("zones.geojson") and (p.feature, p.field) == ("1", "properties") and "object" in p.message


@pytest.mark.parametrize("crs", [{"type": "name", "properties": []}, {"type": "name", "properties": "x"}, [], "EPSG"])
def test_crs_member_of_the_wrong_shape(tmp_path, crs):
    zones = fc([feat({"id": "A", "population": 10}, square(0, 0))])
    zones["crs"] = crs
    (p,) = problems(write_scenario(tmp_path / "s", zones=zones))
    assert p.field == "crs" and p.file.endswith("zones.geojson")


def test_coordinates_out_of_range_or_not_finite_in_every_layer(tmp_path):
    far = {"type": "Polygon", "coordinates": [[[200, 10], [201, 10], [201, 11], [200, 10]]]}
    nan = {"type": "Polygon", "coordinates": [[[34.25, 31.28], [math.nan, 31.28], [34.26, 31.29], [34.25, 31.28]]]}
    zones = fc([feat({"id": "A", "population": 10}, square(0, 0)), feat({"id": "FAR", "population": 1}, far)])
    sites = fc([feat({"id": "S1"}, square(0, 3)), feat({"id": "NAN"}, nan)])
    d = write_scenario(tmp_path / "s", zones=zones, sites=sites)
    add_north_road(d)
    road = json.loads((d / "roads.geojson").read_text())
    road["features"].append(
        feat({"highway": "primary"}, {"type": "LineString", "coordinates": [[34.25, 31.28], [math.inf, 31.3]]})
    )
    road["features"].append(
        feat({"highway": "primary"}, {"type": "LineString", "coordinates": [[34.25, 31.28], [34.25, 31.28]]})
    )
    (d / "roads.geojson").write_text(json.dumps(road))
    got = {(Path(p.file).name, p.feature, p.field) for p in problems(d)}
    assert {
        ("zones.geojson", "FAR", "lon/lat"),
        ("sites.geojson", "NAN", "lon/lat"),
        ("roads.geojson", "1", "geometry"),
        ("roads.geojson", "2", "geometry"),
    } <= got


def test_csv_rows_longer_than_the_header_and_huge_cells(tmp_path):
    d = write_scenario(
        tmp_path / "s",
        entry_points="id,name,lon,lat,trucks_per_day\n#a,#b,#c,#d,#e,#f\nKS,Kerem,34.27,31.22,40,surplus\n",
    )
    got = problems(d)
    assert [(p.feature, p.field) for p in got] == [
        ("row 1", "(cells beyond the header)"),
        ("row 2", "(cells beyond the header)"),
    ]
    d2 = write_scenario(
        tmp_path / "s2", entry_points='id,name,lon,lat,trucks_per_day\nKS,"' + "x" * 140_000 + '",34.27,31.22,40\n'
    )
    (p,) = problems(d2)
    assert p.file.endswith("entry_points.csv") and "not a readable CSV row" in p.message


@pytest.mark.parametrize(
    "content,expect",
    [
        (b"\xff\xfe\x00bad", "UTF-8"),
        (b"", "empty"),
        (b"date,entry_point_id\n2024-05-01,KS\n", "trucks_total"),
        (b"date,entry_point_id,trucks_total\n2024-05-01,KS,nan\n", "number"),
    ],
)
def test_observed_capacity_csv_problems(tmp_path, content, expect):
    d = write_scenario(
        tmp_path / "s",
        config={
            "supply": {"entry_capacity": "observed", "observed_file": "obs.csv", "observed_start": "2024-05-01"},
            "horizon_days": 1,
        },
    )
    (d / "obs.csv").write_bytes(content)
    got = problems(d)
    assert got and all(p.file.endswith("obs.csv") for p in got) and expect in str(got)


def test_age_band_labels_must_be_in_the_profile(tmp_path):
    d = write_scenario(tmp_path / "s", config={"population_structure": "age.csv"})
    (d / "age.csv").write_text("age,male,female\n0 to 4yo,0.2,0.2\nteens,0.3,0.3\n")
    (p,) = problems(d)
    assert p.file.endswith("age.csv") and (p.feature, p.field) == ("teens", "age") and "0 to 4yo" in p.message


def test_deeply_nested_yaml(tmp_path):
    d = write_scenario(tmp_path / "s")
    (d / "scenario.yaml").write_text("title: " + "[" * 500 + "]" * 500 + "\n")
    (p,) = problems(d)
    assert p.file.endswith("scenario.yaml") and "nested more than" in p.message


def test_populations_bounded_below_exact_float_range(tmp_path):
    zones = fc(
        [feat({"id": "A", "population": 2**53}, square(0, 0)), feat({"id": "B", "population": 10**10}, square(1, 0))]
    )
    (p,) = problems(write_scenario(tmp_path / "s", zones=zones))
    assert (p.feature, p.field) == ("A", "population") and "1e+10" in p.message


def test_days_bounded(tmp_path):
    d = write_scenario(
        tmp_path / "s",
        entry_points="id,name,lon,lat,trucks_per_day,inspection_delay_days\nKS,Kerem,34.27,31.22,40,1e300\n",
    )
    (p,) = problems(d)
    assert (p.feature, p.field) == ("KS", "inspection_delay_days") and "<= 36500" in p.message


@pytest.mark.parametrize("value", [0, math.nan, math.inf, -1, 1e-6])
def test_standards_overrides_that_would_divide_by_zero_or_be_non_finite(tmp_path, value):
    d = write_scenario(
        tmp_path / "s", config={"standards": {"overrides": {"site_area_m2_per_person": value, "people_per_tap": value}}}
    )
    got = problems(d)
    assert {p.field for p in got} == {
        "standards.overrides.site_area_m2_per_person",
        "standards.overrides.people_per_tap",
    }


def test_min_open_sites_above_the_number_of_sites(tmp_path):
    (p,) = problems(write_scenario(tmp_path / "s", config={"siting": {"min_open_sites": 3}}))
    assert p.field == "siting.min_open_sites" and "2 candidate sites" in p.message


@pytest.mark.parametrize(
    "option,value,field",
    [
        ("horizon_days", 10**6, "horizon_days"),
        ("household_size", 1e-9, "household_size"),
        ("evacuation", {"time_step_s": 0.001}, "evacuation.time_step_s"),
        ("existing_hospital_beds", 10**13, "existing_hospital_beds"),
    ],
)
def test_options_that_size_arrays_are_bounded(tmp_path, option, value, field):
    (p,) = problems(write_scenario(tmp_path / "s", config={option: value}))
    assert p.field == field and ("less than or equal" in p.message or "greater than or equal" in p.message)


def test_evacuation_time_step_needing_too_many_steps(tmp_path):
    d = write_scenario(
        tmp_path / "s",
        config={
            "evacuation": {"time_step_s": 1, "spread_h": 700},
            "supply": {"enabled": False},
            "layout": {"enabled": False},
        },
    )
    add_north_road(d)
    (p,) = problems(d)
    assert (
        p.file.endswith("scenario.yaml") and p.field == "evacuation.time_step_s" and "at most 10,000 steps" in p.message
    )


def test_closures_out_of_order_or_past_the_horizon(tmp_path):
    cfg = {"horizon_days": 10, "supply": {"disruptions": [{"entry_point": "KS", "first_day": 5, "last_day": 2}]}}
    (p,) = problems(write_scenario(tmp_path / "s", config=cfg))
    assert p.field == "supply.disruptions.0" and "first_day 5 is after last_day 2" in p.message
    cfg["supply"]["disruptions"] = [
        {"entry_point": "KS", "first_day": 5, "last_day": 12},
        {"entry_point": "XX", "first_day": 0, "last_day": 1},
    ]
    got = problems(write_scenario(tmp_path / "s2", config=cfg))
    assert {p.field for p in got} == {"supply.disruptions.0.last_day", "supply.disruptions.1.entry_point"}


def test_road_closed_on_some_features_only(tmp_path):
    d = write_scenario(tmp_path / "s", config={"supply": {"enabled": False}, "layout": {"enabled": False}})
    add_north_road(d)
    road = json.loads((d / "roads.geojson").read_text())
    x = road["features"][0]["geometry"]["coordinates"][0][0]
    road["features"].append(
        feat(
            {"highway": "residential", "closed": True},
            {"type": "LineString", "coordinates": [[x, 31.3], [x + 0.01, 31.3]]},
        )
    )
    (d / "roads.geojson").write_text(json.dumps(road))
    plan = make_plan(load_scenario(d, "main"))
    assert plan.network.closed_links >= 1 and plan.people.sheltered == 10000


def test_per_scenario_layers_override(tmp_path):
    d = write_scenario(tmp_path / "s")
    (d / "sites_b.geojson").write_text(json.dumps(fc([feat({"id": "ONLY"}, square(0, 3))])))
    _set(
        d,
        scenarios={
            "main": {"footprints": ["op"]},
            "other": {"footprints": ["op"], "layers": {"sites": {"file": "sites_b.geojson"}}},
        },
    )
    assert [s.id for s in load_scenario(d, "other").sites] == ["ONLY"]
    assert [s.id for s in load_scenario(d, "main").sites] == ["S1", "S2"]
    assert [z.id for z in load_scenario(d, "other").zones] == ["A", "B"]  # the other layers stay


def test_top_level_overrides_merge_with_a_scenario_standards_block(tmp_path):
    d = write_scenario(
        tmp_path / "s",
        config={
            "standards": {"overrides": {"water_l_per_person_day": 20}},
            "scenarios": {
                "main": {
                    "footprints": ["op"],
                    "standards": {"profile": "sphere-2018", "overrides": {"people_per_tap": 200}},
                }
            },
        },
    )
    std = load_scenario(d, "main").standards
    assert std.value("water_l_per_person_day") == 20 and std.value("people_per_tap") == 200


def test_every_problem_of_a_file_at_once(tmp_path):
    zones = fc([feat({"id": "A", "population": -1}, square(0, 0))])
    d = write_scenario(tmp_path / "s", zones=zones, config={"horizon_days": 0, "siting": {"max_walk_h": "far"}})
    got = problems(d)
    assert {(Path(p.file).name, p.field) for p in got} == {
        ("scenario.yaml", "horizon_days"),
        ("scenario.yaml", "siting.max_walk_h"),
        ("zones.geojson", "population"),
    }


def test_cli_bad_input_exit_2_nothing_written(tmp_path):
    d = write_scenario(tmp_path / "s", config={"population_structure": "/etc/passwd"})
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["plan", str(d), "--scenario", "main", "--out", str(out)])
    assert res.exit_code == 2 and "population_structure" in res.output and "root:" not in res.output
    assert not out.exists() and not list(tmp_path.glob(".out*"))


def test_output_folder_written_as_a_set(tmp_path, monkeypatch):
    d = write_scenario(tmp_path / "s", config={"supply": {"enabled": False}, "evacuation": {"enabled": False}})
    out = tmp_path / "out"
    runner = CliRunner()
    assert runner.invoke(app, ["plan", str(d), "-s", "main", "-o", str(out)]).exit_code == 0
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert {Path("plan.json"), Path("report.html"), Path("plan.gpkg"), Path("layout.gpkg")} <= set(before)

    import reliefplan.outputs.products as products

    def boom(*_a, **_k):  # a crash after plan.json, flows and layout.gpkg were written
        raise RuntimeError("killed while writing the report")

    monkeypatch.setattr(products, "write_plan_products", boom)
    _set(d, horizon_days=7)
    res = runner.invoke(app, ["plan", str(d), "-s", "main", "-o", str(out)])
    assert isinstance(res.exception, RuntimeError)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before  # the previous complete run, untouched
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp folder or GeoPackage
    monkeypatch.undo()
    assert runner.invoke(app, ["plan", str(d), "-s", "main", "-o", str(out)]).exit_code == 0
    assert json.loads((out / "plan.json").read_text())["horizon_days"] == 7


def test_stale_temporary_output_of_a_killed_run_is_removed(tmp_path):
    from reliefplan.outputs.files import output_set

    stale = tmp_path / ".out.tmp-999999999-deadbeef"  # no such process
    (stale / "tables").mkdir(parents=True)
    (stale / ".layout.123.tmp.gpkg").write_bytes(b"x" * 1000)
    with output_set(tmp_path / "out") as tmp:
        (tmp / "plan.json").write_text("{}")
    assert not stale.exists() and (tmp_path / "out" / "plan.json").is_file()


def test_output_folder_with_other_files_is_refused(tmp_path):
    d = write_scenario(tmp_path / "s")
    mine = tmp_path / "documents"
    mine.mkdir()
    (mine / "thesis.docx").write_text("years of work")
    res = CliRunner().invoke(app, ["plan", str(d), "-s", "main", "-o", str(mine)])
    assert res.exit_code == 2 and "not a reliefplan run" in res.output
    assert (mine / "thesis.docx").read_text() == "years of work"


def test_compare_with_series_of_different_lengths_and_numeric_axes():
    from reliefplan.outputs.report.views import overlay_charts

    a = [{"id": "c", "title": "t", "labels": ["0", "1", "2"], "datasets": [{"label": "x", "data": [1, 2]}]}]
    b = [{"id": "c", "title": "t", "labels": ["0", "0.5", "1", "10"], "datasets": [{"label": "x", "data": [5]}]}]
    (c,) = overlay_charts(a, b, "A", "B")
    assert c["labels"] == ["0", "0.5", "1", "2", "10"]  # numeric order, not order of appearance
    assert [d["data"] for d in c["datasets"]] == [[1, None, 2, None, None], [5, None, None, None, None]]


def test_contradictory_siting_options(tmp_path):
    sites = fc(
        [feat({"id": "S1", "must_open": True}, square(0, 3)), feat({"id": "S2", "never_open": "yes"}, square(3, 3))]
    )
    d = write_scenario(tmp_path / "s", sites=sites, config={"siting": {"max_open_sites": 0, "min_open_sites": 2}})
    got = [(p.field, p.message) for p in problems(d)]
    assert any(f == "siting.max_open_sites" and "1 sites are must_open" in m for f, m in got)
    assert any(f == "siting.min_open_sites" and "1 of them never_open" in m for f, m in got)
    assert any(f == "siting.min_open_sites" and "min_open_sites 2 > max_open_sites 0" in m for f, m in got)


def test_plan_json_refused_when_it_breaks_its_schema(tmp_path):
    from reliefplan._errors import OutputError
    from reliefplan.outputs.files import write_plan

    d = write_scenario(tmp_path / "s", config={"supply": {"enabled": False}, "layout": {"enabled": False}})
    plan = make_plan(load_scenario(d, "main"))
    plan.people.sheltered = None  # what a NaN becomes in JSON
    plan.siting.objective = float("nan")  # allowed to be null (no plan found), never NaN
    with pytest.raises(OutputError, match="people/sheltered"):
        write_plan(plan, tmp_path / "out")
    assert not (tmp_path / "out" / "plan.json").exists()


# ---- issues 19 and 21: every bad value of the movement, seasons and phases blocks, end to end through the CLI ----

_ORDER = {"footprint": "op", "day": 0}
_SEASONS = {"start_date": "2024-05-06", "horizon_days": 20}


@pytest.mark.parametrize(
    ("config", "feature", "field", "words"),
    [
        (  # issue 19: a departure curve that is not monotone
            {"movement": {"orders": [{**_ORDER, "curve": {"kind": "empirical", "days": [0, 5], "share": [0.5, 0.3]}}]}},
            "footprint op",
            "movement.orders.0.curve.share",
            "must not decrease",
        ),
        (  # a departure curve above 1
            {"movement": {"orders": [{**_ORDER, "curve": {"kind": "empirical", "days": [0, 5], "share": [0.5, 1.2]}}]}},
            "footprint op",
            "movement.orders.0.curve.share",
            "[0, 1]",
        ),
        (
            {
                "movement": {
                    "orders": [
                        {
                            **_ORDER,
                            "curve": {"kind": "logistic", "final_share": 1.3, "midpoint_days": 3, "width_days": 1},
                        }
                    ]
                }
            },
            "footprint op",
            "movement.orders.0.curve.final_share",
            "less than or equal to 1, got 1.3",
        ),
        (  # shares outside [0, 1]
            {"movement": {"orders": [_ORDER], "unordered": {"share": 1.5}}},
            None,
            "movement.unordered.share",
            "less than or equal to 1, got 1.5",
        ),
        (
            {"movement": {"orders": [_ORDER], "unordered": {"by_zone": {"B": -0.2}}}},
            "zone B",
            "movement.unordered.by_zone.B",
            "greater than or equal to 0, got -0.2",
        ),
        (
            {"movement": {"orders": [_ORDER], "vulnerable_share": 1.2}},
            None,
            "movement.vulnerable_share",
            "got 1.2",
        ),
        (  # orders dated outside the horizon
            {"horizon_days": 8, "movement": {"orders": [{**_ORDER, "day": 40}]}},
            "footprint op",
            "movement.orders.0.day",
            "outside the horizon of 8 days",
        ),
        (
            {"movement": {"orders": [{**_ORDER, "day": -1}]}},
            "footprint op",
            "movement.orders.0.day",
            "greater than or equal to 0, got -1",
        ),
        (  # modes with speed <= 0
            {
                "movement": {
                    "orders": [_ORDER],
                    "modes": [
                        {"name": "foot", "share": 0.7, "speed_m_s": 1.0},
                        {"name": "cart", "share": 0.3, "speed_m_s": 0},
                    ],
                }
            },
            "mode cart",
            "movement.modes.1.speed_m_s",
            "greater than 0, got 0",
        ),
        (
            {"movement": {"orders": [_ORDER], "modes": [{"name": "foot", "share": 1.0, "speed_m_s": -1}]}},
            "mode foot",
            "movement.modes.0.speed_m_s",
            "greater than 0, got -1",
        ),
        (  # issue 21: lifespans <= 0
            {**_SEASONS, "seasons": {"tent_lifespan": {"median_days": 0}}},
            None,
            "seasons.tent_lifespan.median_days",
            "must be > 0, got 0",
        ),
        (
            {**_SEASONS, "seasons": {"tent_lifespan": {"shape": -1}}},
            None,
            "seasons.tent_lifespan.shape",
            "must be > 0, got -1",
        ),
        (  # needs smaller than their data, a share above 1
            {**_SEASONS, "seasons": {"heat": {"extra_water_l_per_person_day": -1}}},
            None,
            "seasons.heat.extra_water_l_per_person_day",
            "must be >= 0, got -1",
        ),
        (
            {**_SEASONS, "seasons": {"winterisation": {"kit_weight_kg": 0}}},
            None,
            "seasons.winterisation.kit_weight_kg",
            "must be > 0, got 0",
        ),
        (
            {**_SEASONS, "seasons": {"flood": {"default_usable_share_lost": 2}}},
            None,
            "seasons.flood.default_usable_share_lost",
            "must be in [0, 1], got 2",
        ),
        (
            {**_SEASONS, "seasons": {"tent_lifespan": {"median_days": {"value": 300, "low": -5, "high": 400}}}},
            None,
            "seasons.tent_lifespan.median_days",
            "must be > 0, got -5 (low)",
        ),
        (  # months outside 1-12
            {**_SEASONS, "seasons": {"heat": {"months": [6, 13]}}},
            None,
            "seasons.heat.months",
            "1-12, got [13]",
        ),
        (
            {**_SEASONS, "seasons": {"winterisation": {"months": [0, 12]}}},
            None,
            "seasons.winterisation.months",
            "1-12, got [0]",
        ),
        (  # phases out of order
            {"horizon_days": 20, "phases": {"sites": [{"site": "S1", "opens_day": 9, "closes_day": 4}]}},
            "site S1",
            "phases.sites.0.closes_day",
            "phases out of order",
        ),
        (
            {
                "horizon_days": 20,
                "phases": {"sites": [{"site": "S2", "shrinks": [{"day": 8, "share": 0.5}, {"day": 3, "share": 0.2}]}]},
            },
            "site S2",
            "phases.sites.0.shrinks",
            "phases out of order",
        ),
        (
            {
                "horizon_days": 20,
                "phases": {"returns": [{"footprint": "op", "end_day": 0, "curve": {"days": [0], "share": [1]}}]},
            },
            "footprint op",
            "phases.returns.0.end_day",
            "phases out of order",
        ),
        (  # return curves that exceed 1
            {
                "horizon_days": 20,
                "phases": {
                    "returns": [{"footprint": "op", "end_day": 5, "curve": {"days": [0, 5], "share": [0.2, 1.5]}}]
                },
            },
            "footprint op",
            "phases.returns.0.curve.share",
            "share.1 = 1.5: expected a share of the people in [0, 1]",
        ),
    ],
)
def test_issue_19_and_21_bad_values_exit_2_naming_file_feature_field(tmp_path, config, feature, field, words):
    d = write_scenario(tmp_path / "s", config=config)
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["plan", str(d), "-s", "main", "-o", str(out)])
    assert res.exit_code == 2, res.output
    where = f"scenario.yaml, feature {feature}, field '{field}'" if feature else f"scenario.yaml, field '{field}'"
    text = " ".join(res.output.split())  # Rich wraps long lines
    assert where in text and words in text, res.output
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["s"]


def test_a_bad_observed_departure_share_names_the_csv_row(tmp_path):
    d = write_scenario(tmp_path / "s", config={"movement": {"orders": [{**_ORDER, "observed": {"file": "obs.csv"}}]}})
    (d / "obs.csv").write_text("days_after_order,share_left\n2,0.3\n6,1.4\n")
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["plan", str(d), "-s", "main", "-o", str(out)])
    assert res.exit_code == 2 and "obs.csv, feature row 2, field 'share_left': expected a share in [0, 1], got 1.4" in (
        " ".join(res.output.split())
    )
    assert not out.exists()


@pytest.mark.parametrize(
    ("list_key", "item", "feature"),
    [
        ("orders", {"footprint": "east", "day": 0}, "footprint east"),
        ("modes", {"name": "cart", "share": 0.3}, "mode cart"),
        ("entries", {"id": "PIER", "kind": "sea"}, "entry PIER"),
        ("disruptions", {"entry_point": "KS", "first_day": 1}, "entry point KS"),
        ("tents", {"count": 10}, None),
    ],
)
def test_a_list_entry_is_named_by_the_key_that_identifies_it(list_key, item, feature):
    from reliefplan.scenario._inputs import item_feature, loc_feature

    assert item_feature(list_key, item) == feature
    doc = {"scenarios": {"main": {"movement": {list_key: [{"x": 1}, item]}}}}
    assert loc_feature(doc, ("scenarios", "main", "movement", list_key, 1, "day")) == feature
