"""Arrivals as a time series on the synthetic second place (`settled_place.py`): the series by hand, everyone
somewhere every day (abroad until they cross), more arrivals never read better, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import settled_place as spl

from reliefplan._errors import InputError
from reliefplan.pipeline import run, shelter
from reliefplan.scenario.folder import load_scenario
from reliefplan.stages.arrivals import ABROAD, present

# 0 on 1 March rising to 1,000/day on 11 March, 1,000/day to 21 March, down to 0 on 25 March:
# 0 + 100 + ... + 1,000 = 5,500 over days 0-10; 10 x 1,000 over days 11-20; 750 + 500 + 250 + 0 over days 21-24
TOTAL = 5_500 + 10_000 + 1_500


def _scenario(folder: Path):
    return load_scenario(folder, "main")


@pytest.fixture(scope="module")
def settled(tmp_path_factory):
    return _scenario(spl.build(tmp_path_factory.mktemp("arr") / "s", arrivals=True))


def test_series_by_hand(settled):
    a = settled.arrivals
    assert a.point_ids == ["XING-EAST"] and a.total == TOTAL
    by_day = a.by_day[0]
    assert by_day[0] == 0 and by_day[5] == 500 and by_day[10] == 1000 and by_day[15] == 1000
    assert by_day[22] == 500 and by_day[24] == 0 and by_day[25:].sum() == 0
    zone = settled.zones[-1]
    assert zone.id == "arrivals:XING-EAST" and zone.population == TOTAL
    # the crossing lies on the eastern edge of Borderhill and Eastgate; it belongs to one of them
    assert settled.zones[a.zone_index[0]].id in ("XS0103", "XS0106")


def test_everyone_somewhere_every_day(settled):
    sh = shelter(settled)
    pres = sh.presence
    pres.check()  # each group sums to its total on every day, nobody negative
    abroad = np.array([k == ABROAD for k in pres.kinds])
    not_arrived = TOTAL - np.cumsum(settled.arrivals.by_day[0])
    assert (pres.people[abroad].sum(axis=(0, 1)) == not_arrived).all()
    assert (present(pres) == sh.people.in_plan - not_arrived).all()
    assert pres.dependent[abroad].sum() == 0  # nobody abroad is fed by this plan
    # people on the sites grow day by day with the arrivals
    sites = [pres.location_ids.index(s.id) for s in settled.sites]
    on_sites = pres.people[sites].sum(axis=(0, 1))
    assert (np.diff(on_sites) >= 0).all() and on_sites[-1] - on_sites[0] == TOTAL - settled.arrivals.by_day[0, 0]
    assert sh.people.sheltered + sh.people.unsheltered == sh.people.displaced == TOTAL


def _plan(tmp_path: Path, name: str, rows, **kw):
    return run(_scenario(spl.build(tmp_path / name, arrivals=True, supply=True, arrivals_rows=rows, **kw))).plan


def _coverage(plan) -> dict[str, float]:
    return {
        (v.indicator, v.scope): v.value
        for v in plan.verdict
        if v.indicator.endswith("_need_met_share") and v.scope == "scenario"
    }


def test_more_arrivals_never_read_better(tmp_path):
    base = [("2026-03-01", 0), ("2026-03-11", 1000), ("2026-03-21", 1000), ("2026-03-25", 0)]
    more = [(d, 3 * n) for d, n in base]
    a, b = _plan(tmp_path, "a", base), _plan(tmp_path, "b", more)
    ca, cb = _coverage(a), _coverage(b)
    assert ca and ca.keys() == cb.keys()
    assert all(cb[k] <= ca[k] + 1e-9 for k in ca), (ca, cb)
    share = lambda p: p.people.sheltered / p.people.displaced  # noqa: E731
    assert share(b) <= share(a) + 1e-12
    assert b.arrivals.people == 3 * a.arrivals.people
    # and no site's latrines or taps are short on fewer days
    for sa, sb in zip(a.monitoring.sites, b.monitoring.sites):
        assert sb.days_short_of_latrines >= sa.days_short_of_latrines
        assert sb.days_short_of_taps >= sa.days_short_of_taps


def test_latrines_built_up_late_fail_for_weeks(tmp_path):
    # the plateau takes arrivals from day 1 on its 80 latrines; 200 come only on day 20
    plan = _plan(
        tmp_path,
        "s",
        None,
        installed=[
            ("2026-03-01", "PLATEAU", 80, 30),
            ("2026-03-20", "PLATEAU", 80, 30),
            ("2026-03-21", "PLATEAU", 400, 80),
        ],
    )
    plateau = next(s for s in plan.monitoring.sites if s.id == "PLATEAU")
    assert plateau.first_day_short_of_latrines == 0  # 5,000 on 80 latrines: 62.5 each
    assert plateau.days_short_of_latrines == 20  # days 0-19; from day 20, 400 latrines serve up to 20,000
    row = next(
        v for v in plan.verdict if v.indicator == "days_with_enough_latrines_share" and v.scope == "site:PLATEAU"
    )
    assert row.met is False and "short on 20 of 30 days from day 0" in row.note


def _bad_rows(tmp_path: Path, text: str, **kw) -> str:
    folder = spl.build(tmp_path / "s", arrivals=True, **kw)
    (folder / "arrivals.csv").write_text(text)
    with pytest.raises(InputError) as e:
        _scenario(folder)
    return str(e.value)


def test_negative_arrivals_and_dates_outside_the_horizon(tmp_path):
    text = _bad_rows(
        tmp_path,
        "date,point,people\n2026-03-01,XING-EAST,100\n2026-03-05,XING-EAST,-50\n"
        "2026-04-15,XING-EAST,10\n2026-03-06,NOWHERE,5\n",
    )
    assert (
        "arrivals.csv, feature row 2, field 'people': expected people arriving per day, a number >= 0 "
        "(arrivals cannot go negative" in text
    )
    assert "feature row 3, field 'date': 2026-04-15 is outside the horizon 2026-03-01..2026-03-30" in text
    assert "feature row 4, field 'point': unknown point 'NOWHERE'" in text


def test_point_matching_no_zone(tmp_path):
    folder = spl.build(tmp_path / "s", arrivals=True)
    import second_place as sp

    far = sp._lonlat(spl._pt(30.0, 5.0))  # 18 km east of the border
    (folder / "points.csv").write_text(f"id,name,lon,lat\nFAR,Far away,{far.x:.7f},{far.y:.7f}\n")
    (folder / "arrivals.csv").write_text("date,point,people\n2026-03-01,FAR,100\n")
    doc = json.loads((folder / "scenario.yaml").read_text())
    doc["arrivals"]["points"] = "points.csv"
    (folder / "scenario.yaml").write_text(json.dumps(doc))
    with pytest.raises(InputError) as e:
        _scenario(folder)
    assert "points.csv, feature FAR, field 'geometry': the point matches no population zone" in str(e.value)


def test_without_footprints_or_settlement_a_footprint_is_required(tmp_path):
    folder = spl.build(tmp_path / "s", snapshot=False)
    with pytest.raises(InputError) as e:
        _scenario(folder)
    assert "at least one footprint" in str(e.value) and "or monitoring or arrivals" in str(e.value)


def test_init_with_arrivals_instead_of_an_order_then_plan(tmp_path):
    """`reliefplan init --arrivals` on the second place's standard files: no order, people arrive at the crossing."""
    import second_place as sp
    from typer.testing import CliRunner

    from reliefplan.cli import app

    p = sp.build(tmp_path / "inputs")
    series = tmp_path / "inputs" / "arrivals.csv"
    series.write_text(
        "date,point,people\n2026-03-01,XING-EAST,0\n2026-03-11,XING-EAST,1000\n"
        "2026-03-21,XING-EAST,1000\n2026-03-25,XING-EAST,0\n"
    )
    out = tmp_path / "hillside"
    runner = CliRunner()
    res = runner.invoke(
        app,
        [
            "init",
            str(out),
            "--boundaries",
            str(p["boundaries"]),
            "--population",
            str(p["population"]),
            "--sites",
            str(p["sites"]),
            "--entry-points",
            str(p["entry_points"]),
            "--arrivals",
            str(series),
            "--start-date",
            "2026-03-01",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "arrivals: arrivals.csv" in (out / "scenario.yaml").read_text()
    res = runner.invoke(app, ["plan", str(out), "--scenario", "main", "--out", str(tmp_path / "plan")])
    assert res.exit_code == 0, res.output
    assert "arrivals: 17,000 people at 1 point(s)" in res.output
    plan = json.loads((tmp_path / "plan" / "plan.json").read_text())
    assert plan["people"]["displaced"] == TOTAL == plan["arrivals"]["people"]
    assert plan["people"]["sheltered"] + plan["people"]["unsheltered"] == TOTAL
    assert plan["arrivals"]["points"][0]["zone"] in ("XS0103", "XS0106")


def test_installed_series_without_a_snapshot_follows_the_camp_filling_up(tmp_path):
    """No snapshot: the plateau's latrines (10 on day 0, linear to 100 on day 29) against the people the arrivals
    bring there each day, recounted here from the presence."""
    folder = spl.build(
        tmp_path / "s",
        snapshot=False,
        arrivals=True,
        installed=[("2026-03-01", "PLATEAU", 10, 2), ("2026-03-30", "PLATEAU", 100, 20)],
    )
    doc = json.loads((folder / "scenario.yaml").read_text())
    doc["monitoring"] = {"installed": "installed.csv", "start_date": "2026-03-01"}
    (folder / "scenario.yaml").write_text(json.dumps(doc))
    sc = _scenario(folder)
    plan = run(sc).plan
    site = next(s for s in plan.monitoring.sites if s.id == "PLATEAU")
    assert [s.id for s in plan.monitoring.sites] == ["PLATEAU"] and site.people == 0
    pres = shelter(sc).presence
    people = pres.people[pres.location_ids.index("PLATEAU")].sum(axis=0)
    latrines = np.floor(np.interp(np.arange(30), [0, 29], [10, 100]) + 1e-9)
    short = np.flatnonzero(people > latrines * 50)
    assert short.size > 0 and site.days_short_of_latrines == short.size
    assert site.first_day_short_of_latrines == short[0]


def test_relocation_and_arrivals_everyone_every_day(tmp_path):
    """Residents relocated out of the flood strip, village people inside it and arrivals, all in one plan: each group
    adds up every day, and the people present grow by exactly the day's arrivals."""
    sc = _scenario(spl.build(tmp_path / "s", arrivals=True, hazard=True))
    sh = shelter(sc)
    pres = sh.presence
    pres.check()
    per_day = pres.people.sum(axis=(0, 1))
    assert (per_day == sh.people.in_plan).all()
    here = present(pres)
    assert (np.diff(here) == sc.arrivals.by_day[0, 1:]).all()
    assert sh.people.displaced == TOTAL + 857 + 55  # arrivals, residents of HW-A, Highmoor's share of the strip
    assert sh.people.site_residents == 15_000 - 857


def test_unquoted_yaml_dates(tmp_path):
    """YAML reads `start_date: 2026-03-01` as a date; the key takes it as written."""
    folder = spl.build(tmp_path / "s", arrivals=True)
    doc = json.loads((folder / "scenario.yaml").read_text())
    text = json.dumps({k: v for k, v in doc.items() if k != "arrivals"})
    (folder / "scenario.yaml").write_text(
        text[:-1] + ', "arrivals": {"file": "arrivals.csv", "start_date": 2026-03-01}}\n'
    )  # JSON flow style with a bare YAML date
    assert _scenario(folder).arrivals.start_date == "2026-03-01"
