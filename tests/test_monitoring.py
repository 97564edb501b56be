"""Monitoring an existing settlement on the synthetic second place (`settled_place.py`): figures by hand, nobody
re-allocated, residents inside a hazard footprint relocated, bad input named by file, row and field."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import settled_place as spl
from typer.testing import CliRunner

from reliefplan._errors import InputError
from reliefplan.cli import app
from reliefplan.pipeline import run
from reliefplan.scenario.folder import load_scenario

runner = CliRunner()


def _plan(folder: Path):
    return run(load_scenario(folder, "main")).plan


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    return _plan(spl.build(tmp_path_factory.mktemp("mon") / "s"))


def test_site_figures_by_hand(plain):
    sites = {s.id: s for s in plain.monitoring.sites}
    hill, plateau = sites["HILL-WEST"], sites["PLATEAU"]
    # 800 m x 700 m x 0.8 usable = 448,000 m2 for 10,000 people
    assert hill.people == 10_000 and hill.usable_area_m2 == pytest.approx(448_000)
    assert hill.m2_per_person == pytest.approx(44.8)
    assert hill.latrines == 200 and hill.people_per_latrine == pytest.approx(50.0)
    assert hill.taps == 40 and hill.people_per_tap == pytest.approx(250.0)
    # a water point at each 400 m x 350 m block's centre: the farthest walk is to a corner
    assert hill.max_distance_to_water_m == pytest.approx(math.hypot(200, 175), abs=1e-6)
    assert hill.standards_met == {
        "m2_per_person": False,
        "people_per_latrine": True,
        "people_per_tap": True,
        "max_distance_to_water_m": True,
        "max_distance_to_latrine_m": None,
    }
    assert plateau.m2_per_person == pytest.approx(89.6)
    assert plateau.people_per_latrine == pytest.approx(62.5) and plateau.people_per_tap == pytest.approx(5000 / 30)
    assert plateau.max_distance_to_water_m is None  # no water point located on it: unknown, not 9 km away
    assert plateau.standards_met["people_per_latrine"] is False and plateau.standards_met["m2_per_person"] is True
    assert plain.monitoring.sites_meeting["people_per_tap"] == 2
    assert plain.monitoring.sites_with_data["max_distance_to_water_m"] == 1


def test_block_figures_by_hand(plain):
    blocks = {b.id: b for b in next(s for s in plain.monitoring.sites if s.id == "HILL-WEST").blocks}
    a, d = blocks["HW-A"], blocks["HW-D"]
    assert a.area_m2 == pytest.approx(140_000) and a.m2_per_person == pytest.approx(140_000 / 3000)
    assert a.people_per_latrine == pytest.approx(50) and a.people_per_tap == pytest.approx(250)
    assert d.people_per_latrine == pytest.approx(25) and d.people_per_tap == pytest.approx(62.5)
    assert blocks["HW-B"].standards_met["people_per_latrine"] is False  # 4,000 / 70 = 57.1
    assert all(b.max_distance_to_water_m == pytest.approx(265.7536, abs=1e-3) for b in blocks.values())


def test_verdict_rows_per_site(plain):
    rows = {(v.indicator, v.scope): v for v in plain.verdict}
    assert rows[("monitored_m2_per_person", "site:HILL-WEST")].met is False
    assert rows[("monitored_m2_per_person", "site:HILL-WEST")].severity == "minor"  # 44.8 of 45
    assert rows[("monitored_people_per_latrine", "site:PLATEAU")].met is False
    assert rows[("monitored_people_per_tap", "site:PLATEAU")].met is True


def test_nobody_reallocated_without_displacement(plain):
    p = plain.people
    assert p.displaced == 0 and p.sheltered == 0 and p.site_residents == 15_000
    assert p.in_plan == p.population + 15_000
    sites = {s.id: s for s in plain.sites}
    assert sites["HILL-WEST"].existing_population == 10_000 and sites["HILL-WEST"].population == 0
    # spare capacity: 448,000 m2 / 45 = 9,955 people -> none left on West hill; 9,955 - 5,000 on the plateau
    assert sites["HILL-WEST"].capacity == 0 and sites["PLATEAU"].capacity == 9_955 - 5_000
    assert {s.id: s.spare_capacity for s in plain.monitoring.sites} == {"HILL-WEST": 0, "PLATEAU": 4_955}


def test_residents_inside_a_hazard_are_relocated(tmp_path):
    plan = _plan(spl.build(tmp_path / "s", hazard=True))
    hill = next(s for s in plan.monitoring.sites if s.id == "HILL-WEST")
    # the flood strip covers the southern 100 m of block HW-A (350 m deep, 3,000 people)
    assert hill.relocated == round(3000 * 100 / 350) == 857
    assert next(b for b in hill.blocks if b.id == "HW-A").relocated == 857
    zone = next(z for z in plan.zones if z.id == "relocate:HILL-WEST")
    assert zone.population == zone.displaced == 857
    p = plan.people
    assert p.site_residents == 15_000 - 857
    assert p.sheltered + p.unsheltered == p.displaced
    assert p.in_plan == p.population + p.site_residents + p.served_elsewhere
    site = next(s for s in plan.sites if s.id == "HILL-WEST")
    assert hill.people_after == 10_000 - 857 + site.population + site.overflow
    assert hill.latrines_needed_after == math.ceil(hill.people_after / 50)


def test_installed_series_day_by_day(tmp_path):
    # the plateau's 5,000 people need 100 latrines at 1:50; 80 on day 0 growing to 120 on day 10: short on days 0-4
    plan = _plan(
        spl.build(tmp_path / "s", installed=[("2026-03-01", "PLATEAU", 80, 30), ("2026-03-11", "PLATEAU", 120, 30)])
    )
    plateau = next(s for s in plan.monitoring.sites if s.id == "PLATEAU")
    assert plateau.days_short_of_latrines == 5 and plateau.first_day_short_of_latrines == 0
    assert plateau.additional_latrines == 0 and plateau.days_short_of_taps == 0
    row = next(
        v for v in plan.verdict if v.indicator == "days_with_enough_latrines_share" and v.scope == "site:PLATEAU"
    )
    assert row.value == pytest.approx(25 / 30) and "from day 0" in row.note


def _edit_snapshot(tmp_path: Path, fn) -> InputError:
    folder = spl.build(tmp_path / "s")
    (folder / "snapshot.csv").write_text(fn((folder / "snapshot.csv").read_text()))
    with pytest.raises(InputError) as e:
        load_scenario(folder, "main")
    return e.value


def test_unknown_site_and_negative_count(tmp_path):
    err = _edit_snapshot(tmp_path, lambda t: t.replace("PLATEAU,,5000", "PLATO,,5000").replace(",2500,", ",-2500,"))
    text = str(err)
    assert "snapshot.csv, feature row 5, field 'site_id': unknown site id 'PLATO'" in text
    assert "feature row 3, field 'people': expected a whole number >= 0, got '-2500'" in text


def test_snapshot_outside_the_horizon(tmp_path):
    folder = spl.build(tmp_path / "s")
    doc = json.loads((folder / "scenario.yaml").read_text())
    doc["monitoring"]["start_date"] = "2026-01-01"  # 30 days from 1 January: 1 March is day 59
    (folder / "scenario.yaml").write_text(json.dumps(doc))
    with pytest.raises(InputError) as e:
        load_scenario(folder, "main")
    assert (
        "snapshot.csv, feature snapshot, field 'date': 2026-03-01 is outside the horizon 2026-01-01..2026-01-30"
        in str(e.value)
    )


def test_two_dates_and_block_on_the_wrong_site(tmp_path):
    err = _edit_snapshot(
        tmp_path,
        lambda t: t.replace("2026-03-01,PLATEAU", "2026-03-02,PLATEAU").replace("HILL-WEST,HW-D", "PLATEAU,HW-D"),
    )
    text = str(err)
    assert "field 'date': 2 dates" in text
    assert "field 'site_id': block 'HW-D' lies on site 'HILL-WEST' in blocks.geojson, not 'PLATEAU'" in text


def test_cli_bad_snapshot_exit_2_nothing_written(tmp_path):
    folder = spl.build(tmp_path / "s")
    (folder / "snapshot.csv").write_text((folder / "snapshot.csv").read_text().replace(",500,", ",lots,"))
    out = tmp_path / "out"
    res = runner.invoke(app, ["plan", str(folder), "--scenario", "main", "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert "people" in res.output and "lots" in res.output
    assert not out.exists() or not any(out.iterdir())


def test_cli_summary_and_outputs(tmp_path):
    folder = spl.build(tmp_path / "s", hazard=True)
    out = tmp_path / "out"
    res = runner.invoke(app, ["plan", str(folder), "--scenario", "main", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "Monitored" in res.output and "HILL-WEST" in res.output
    plan = json.loads((out / "plan.json").read_text())
    assert plan["monitoring"]["relocated"] == 857
    assert "Existing settlement" in (out / "report.html").read_text()


def test_installed_series_bad_rows(tmp_path):
    folder = spl.build(
        tmp_path / "s",
        installed=[
            ("2026-03-01", "PLATEAU", 80, 30),
            ("2026-05-01", "PLATEAU", 90, 30),
            ("2026-03-05", "NOWHERE", 1, 1),
            ("2026-03-06", "PLATEAU", -3, 1),
        ],
    )
    with pytest.raises(InputError) as e:
        load_scenario(folder, "main")
    text = str(e.value)
    assert "installed.csv, feature row 2, field 'date': 2026-05-01 is outside the horizon" in text
    assert "installed.csv, feature row 3, field 'site_id': unknown site id 'NOWHERE'" in text
    assert "installed.csv, feature row 4, field 'latrines': expected a whole number >= 0, got '-3'" in text


def test_whole_site_and_block_rows_for_one_site(tmp_path):
    err = _edit_snapshot(tmp_path, lambda t: t + "2026-03-01,HILL-WEST,,100,1,1\n")
    assert "feature site HILL-WEST, field 'block_id': the site has a whole-site row and block rows" in str(err)
