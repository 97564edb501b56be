"""The bad-input catalogue: every error names file, feature and field, and nothing is written."""

from pathlib import Path

import pytest
from conftest import fc, feat, square, write_scenario
from typer.testing import CliRunner

from reliefplan._errors import InputError
from reliefplan.cli import app
from reliefplan.pipeline import make_plan
from reliefplan.scenario.folder import load_scenario


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
    zones = fc(
        [
            feat({"id": "A"}, square(0, 0)),
            feat({"id": "B", "population": -5}, square(1, 0)),
            feat({"id": "C", "population": "many"}, square(2, 0)),
        ]
    )
    got = problems(write_scenario(tmp_path / "s", zones=zones))
    assert [(p.feature, p.field) for p in got] == [("A", "population"), ("B", "population"), ("C", "population")]
    assert "missing" in got[0].message and ">= 0" in got[1].message and "expected a number" in got[2].message


def test_wrong_geometry_type(tmp_path):
    sites = fc([feat({"id": "S1"}, {"type": "Point", "coordinates": [34.25, 31.3]})])
    (p,) = problems(write_scenario(tmp_path / "s", sites=sites))
    assert (p.feature, p.field) == ("S1", "geometry") and "Point" in p.message and "Polygon" in p.message


def test_self_intersecting_polygon(tmp_path):
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[34.25, 31.28], [34.26, 31.29], [34.26, 31.28], [34.25, 31.29], [34.25, 31.28]]],
    }
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


def test_missing_files_name_the_scenario_yaml_key_that_points_to_each_all_at_once(tmp_path):
    d = write_scenario(
        tmp_path / "s",
        config={
            "population_structure": "nosuch_age.csv",
            "supply": {"entry_capacity": "observed", "observed_file": "nosuch_obs.csv", "observed_start": "2024-05-06"},
            "uncertainty": {"entry_capacity_bootstrap": {"file": "nosuch_boot.csv"}},
            "scenarios": {
                "main": {
                    "footprints": ["op"],
                    "movement": {"orders": [{"footprint": "op", "day": 0, "observed": {"file": "nosuch_dep.csv"}}]},
                }
            },
        },
    )
    (d / "sites.geojson").unlink()
    got = {(Path(p.file).name, p.field, p.message) for p in problems(d)}
    assert got == {
        ("scenario.yaml", "layers.sites.file", "sites.geojson: layer file not found in the scenario folder"),
        ("scenario.yaml", "population_structure", "nosuch_age.csv: file not found in the scenario folder"),
        ("scenario.yaml", "supply.observed_file", "nosuch_obs.csv: file not found in the scenario folder"),
        (
            "scenario.yaml",
            "scenarios.main.movement.orders.0.observed.file",
            "nosuch_dep.csv: file not found in the scenario folder",
        ),
        (
            "scenario.yaml",
            "uncertainty.entry_capacity_bootstrap.file",
            "nosuch_boot.csv: file not found in the scenario folder",
        ),
    }
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["plan", str(d), "-s", "main", "-o", str(out)])
    assert res.exit_code == 2 and "5 problem(s)" in res.output and not out.exists()


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


# ---- everyone in the plan: policies, shares, densities, payloads, water sources -------------------


@pytest.mark.parametrize(
    "config, field, words",
    [
        ({"overflow": {"policy": "elsewhere"}}, "overflow.policy", "nearest_outside"),
        ({"sharing": {"policy": "fairest"}}, "sharing.policy", "equal"),
        ({"sharing": {"policy": "priority", "priority": ["sheltered", "tourists"]}}, "sharing.priority.1", "staying"),
        ({"population": {"aid_dependent_share": 1.5}}, "population.aid_dependent_share", "1"),
        ({"overflow": {"max_density_per_km2": 0}}, "overflow.max_density_per_km2", "0"),
        ({"overflow": {"max_density_per_km2": -300}}, "overflow.max_density_per_km2", "0"),
        ({"cargo": {"payload_t": {"water": 0}}}, "cargo.payload_t.water", "> 0"),
        ({"cargo": {"payload_t": {"fuel": 20}}}, "cargo.payload_t.fuel", "unknown commodity"),
        (
            {"scenarios": {"main": {"footprints": ["op"], "overflow": {"policy": "sea"}}}},
            "scenarios.main.overflow.policy",
            "nearest_outside",
        ),
    ],
)
def test_bad_everyone_settings_are_named(tmp_path, config, field, words):
    got = problems(write_scenario(tmp_path / "s", config=config))
    assert any(p.field == field and p.file.endswith("scenario.yaml") and words in p.message for p in got), got


def _with_layer(tmp_path: Path, layer: str, file: str, text: str) -> Path:
    import yaml

    d = write_scenario(tmp_path / "s")
    (d / file).write_text(text)
    cfg = yaml.safe_load((d / "scenario.yaml").read_text())
    cfg["layers"][layer] = {"file": file}
    (d / "scenario.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return d


@pytest.mark.parametrize(
    "row, field, words",
    [
        ("W1,plant,,,500,5", "lon/lat", "lon"),  # production without a location
        ("W1,plant,34.26,31.28,0,5", "m3_per_day", "> 0"),
        ("W1,plant,34.26,31.28,500,0", "reach_km", "> 0"),
        ("W1,plant,34.26,31.28,-5,5", "m3_per_day", "> 0"),
    ],
)
def test_bad_water_sources_are_named(tmp_path, row, field, words):
    d = _with_layer(tmp_path, "water_sources", "water.csv", f"id,name,lon,lat,m3_per_day,reach_km\n{row}\n")
    got = problems(d)
    assert [(p.file.endswith("water.csv"), p.feature, p.field) for p in got] == [(True, "W1", field)], got
    assert words in got[0].message


def test_bad_served_population_and_shares(tmp_path):
    import json

    text = json.dumps(
        fc(
            [
                feat({"id": "G", "population": 100, "aid_dependent_share": 2}, square(5, 5)),
                feat({"id": "H"}, square(6, 5)),
            ]
        )
    )
    got = problems(_with_layer(tmp_path, "served_populations", "served.geojson", text))
    assert [(p.feature, p.field) for p in got] == [("G", "aid_dependent_share"), ("H", "population")]
    zones = fc([feat({"id": "A", "population": 10, "aid_dependent_share": -0.1}, square(0, 0))])
    (p,) = problems(write_scenario(tmp_path / "z", zones=zones))
    assert (p.feature, p.field) == ("A", "aid_dependent_share")


def test_cli_exits_2_and_writes_nothing_on_a_bad_policy(tmp_path):
    d = write_scenario(tmp_path / "s", config={"overflow": {"policy": "elsewhere"}})
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["plan", str(d), "-s", "main", "--out", str(out)])
    assert res.exit_code == 2 and "overflow.policy" in res.output and not out.exists()


@pytest.mark.parametrize(
    ("text", "key", "lines"),
    [
        ("title: a\nhorizon_days: 30\nhorizon_days: 20\n", "horizon_days", "lines 2 and 3"),
        ("title: a\nscenarios:\n  main: {horizon_days: 5, horizon_days: 6}\n", "horizon_days", "lines 3 and 3"),
        ("title: a\nscenarios:\n  main: {}\n  main: {}\n", "main", "lines 3 and 4"),
    ],
)
def test_a_key_given_twice_is_refused(tmp_path, text, key, lines):
    """PyYAML keeps the last of two equal keys without a word: a horizon typed twice planned with the second."""
    (tmp_path / "scenario.yaml").write_text(text)
    (p,) = problems(tmp_path)
    assert p.file.endswith("scenario.yaml")
    assert f"the key '{key}' twice" in p.message and lines in p.message


def test_yaml_merge_keys_are_not_duplicates(tmp_path):
    from reliefplan.scenario._inputs import load_yaml

    (tmp_path / "s.yaml").write_text("base: &b {x: 1}\na:\n  <<: *b\n  y: 2\nb:\n  <<: *b\n  <<: *b\n")
    assert load_yaml(tmp_path / "s.yaml")["a"] == {"x": 1, "y": 2}


UNCERTAIN = {
    "uncertainty": {
        "parameters": {
            "pop": {"target": "zone.population_error", "dist": "normal", "mean": 0, "sd": 0.1, "ids": ["A"]},
        },
        "closures": [{"entry_point": "KS", "probability_per_day": 0.05, "mean_days": 3}],
    },
    "packages": {"more": {"entry_capacity": [{"entry_point": "KS", "trucks_per_day": 10}]}},
    "supply": {"disruptions": [{"entry_point": "KS", "first_day": 1, "last_day": 2}]},
}


@pytest.mark.parametrize(
    ("entry_points", "expected"),
    [
        ("id,name,lon,lat,trucks_per_day\nKS,Kerem Shalom,34.27,31.22,-5\n", "'trucks_per_day'"),
        ("id,name,lat,trucks_per_day\nKS,Kerem Shalom,31.22,100\n", "'lon/lat'"),
        (b"id,name,lon,lat,trucks_per_day\nKS,K\xf6rem,34.27,31.22,100\n", "UTF-8"),
    ],
)
def test_a_broken_layer_is_reported_once_not_again_by_every_block_naming_its_ids(tmp_path, entry_points, expected):
    """Was: one bad crossing row, then 'unknown entry point KS' from the uncertainty closures, every package and
    the disruptions naming it; the same for a zone row and the uncertainty's zone ids."""
    d = write_scenario(tmp_path / "sc", config=UNCERTAIN)
    path = d / "entry_points.csv"
    path.write_bytes(entry_points) if isinstance(entry_points, bytes) else path.write_text(entry_points)
    found = problems(d)
    assert len(found) == 1 and found[0].file.endswith("entry_points.csv") and expected in str(found[0])


def test_a_bad_zone_row_is_not_reported_again_as_an_unknown_uncertainty_id(tmp_path):
    zones = fc(
        [
            feat({"id": "A", "population": -1}, square(0, 0)),
            feat({"id": "B", "population": 10000}, square(1, 0)),
        ]
    )
    (p,) = problems(write_scenario(tmp_path / "sc", zones=zones, config=UNCERTAIN))
    assert p.file.endswith("zones.geojson") and p.feature == "A" and p.field == "population"


def test_an_entry_points_table_without_rows_is_refused(tmp_path):
    """Was: no deliveries planned, no supply standard checked, and 'The plan holds: all checks are met'."""
    d = write_scenario(tmp_path / "sc", entry_points="id,name,lon,lat,trucks_per_day\n")
    (p,) = problems(d)
    assert p.file.endswith("entry_points.csv") and "no entry points" in p.message


def test_references_to_a_sound_layer_are_still_checked(tmp_path):
    cfg = {**UNCERTAIN, "packages": {"more": {"entry_capacity": [{"entry_point": "NOPE", "trucks_per_day": 1}]}}}
    (p,) = problems(write_scenario(tmp_path / "sc", config=cfg))
    assert "unknown entry point 'NOPE'" in p.message


def _cargo_folder(tmp_path, cargo: dict, rows: str) -> Path:
    d = write_scenario(tmp_path / "sc", config={"cargo": cargo})
    (d / "payload.csv").write_text("commodity,t_per_truck,source\n" + rows)
    return d


def test_a_payload_file_row_with_an_unknown_commodity_names_the_file_and_row(tmp_path):
    """Was: scenario.yaml, field 'cargo.payload_t.bananas' - a key the user never wrote."""
    d = _cargo_folder(tmp_path, {"payload_file": "payload.csv"}, "food,20,x\nbananas,3,x\n")
    (p,) = problems(d)
    assert p.file.endswith("payload.csv") and p.feature == "bananas" and p.field == "commodity"


def test_payload_map_and_file_together_name_scenario_yaml(tmp_path):
    """Was: the CSV named as the file at fault."""
    d = _cargo_folder(tmp_path, {"payload_file": "payload.csv", "payload_t": {"food": 20}}, "food,20,x\n")
    (p,) = problems(d)
    assert p.file.endswith("scenario.yaml") and p.field == "cargo.payload_file" and "not both" in p.message


@pytest.mark.parametrize(
    "block",
    [
        {"start_date": "2024-05-06", "seasons": {"tent_lifespan": {"median_days": 0}}},
        {"start_date": "2024-05-06", "seasons": {"heat": {"months": [6, 13]}}},
        {"health": {"parameters": {"physical_activity_level": {"value": 1.5, "low": 2, "high": 1}}}},
    ],
)
def test_season_and_health_messages_carry_no_pydantic_prefix(tmp_path, block):
    (p,) = problems(write_scenario(tmp_path / "sc", config=block))
    assert p.file.endswith("scenario.yaml") and not p.message.startswith("Value error")
    assert "Value error" not in p.message


def test_a_disruption_factor_above_1_is_refused_when_the_scenario_loads(tmp_path):
    """Was accepted up to 100 by the loader, then refused by the supply stage as 'disruptions[0]', no block named."""
    cfg = {"supply": {"disruptions": [{"entry_point": "KS", "first_day": 1, "last_day": 2, "capacity_factor": 2}]}}
    with pytest.raises(InputError) as e:
        load_scenario(write_scenario(tmp_path / "sc", config=cfg), "main")
    (p,) = e.value.problems
    assert p.file.endswith("scenario.yaml") and p.field == "supply.disruptions.0.capacity_factor"


def test_a_malformed_geometry_names_the_feature_by_its_id(tmp_path):
    """Was 'feature 1' (the index) while an invalid polygon of the same layer was named by id."""
    sites = fc(
        [
            feat({"id": "S1", "usable_fraction": 1.0}, square(0, 3)),
            {"type": "Feature", "properties": {"id": "S2"}, "geometry": {"type": "Polygon", "coordinates": [[[0, 0]]]}},
        ]
    )
    (p,) = problems(write_scenario(tmp_path / "sc", sites=sites))
    assert p.file.endswith("sites.geojson") and p.feature == "S2" and p.field == "geometry"


def test_a_semicolon_separated_table_is_named_as_such(tmp_path):
    """Was one 'lon/lat' and one 'trucks_per_day' problem per row, 'feature 0', 'feature 1', ..."""
    d = write_scenario(tmp_path / "sc", entry_points="id;name;lon;lat;trucks_per_day\nKS;K;34.27;31.22;100\n")
    (p,) = problems(d)
    assert p.file.endswith("entry_points.csv") and "one column 'id;name;lon;lat;trucks_per_day'" in p.message
    assert "comma-separated" in p.message
