"""The health layer and wear/seasons inside the plan (issue 21): plan.json `health`, `hold`, `seasons`, verdict rows,
monotonicity in food, hand calculations of the season needs, and bad input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import write_scenario

from reliefplan._errors import InputError
from reliefplan.pipeline import make_plan
from reliefplan.scenario.folder import load_scenario
from reliefplan.scenario.supply_data import read_observed_trucks

#: indicators where a larger value is worse
WORSE_UP = (
    "adult_weight_loss_share",
    "child_weight_loss_share",
    "gam_share",
    "sam_share",
    "adult_bmi_below_18_5_share",
    "extreme_food_gap_share",
    "rr_diarrhoea",
    "rr_ari",
    "cdr_per_10k_day",
    "u5dr_per_10k_day",
)


def _folder(tmp_path: Path, trucks: float, extra: dict | None = None, name: str = "sc") -> Path:
    cfg = {"horizon_days": 60, "health": {"draws": 20}}
    cfg.update(extra or {})
    return write_scenario(
        tmp_path / name,
        config=cfg,
        entry_points=(
            "id,name,lon,lat,trucks_per_day\n#loc+id,#loc+name,#geo+lon,#geo+lat,#capacity\n"
            f"KS,Kerem Shalom,34.27056,31.22083,{trucks}\n"
        ),
    )


def _plan(folder: Path):
    sc = load_scenario(folder, "main")
    sc.layout.enabled = False
    return make_plan(sc)


@pytest.fixture(scope="module")
def starved_and_fed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("health")
    return _plan(_folder(tmp, 0.2, name="starved")), _plan(_folder(tmp, 100, name="fed"))


def test_health_block_is_a_risk_projection_with_ranges(starved_and_fed):
    starved, fed = starved_and_fed
    for plan in (starved, fed):
        h = plan.health.model_dump()
        assert "not a prediction" in h["statement"].lower()
        assert h["draws"] == 20 and h["days"] == 60
        groups = set(h["inputs"])
        assert groups == {g["group"] for g in plan.groups.model_dump()["summary"]}
        for d in h["excess_deaths"].values():  # never one figure without its interval
            assert set(d) == {"p10", "p50", "p90"} and d["p10"] <= d["p50"] <= d["p90"]
        for name in ("gam_share", "cdr_per_10k_day"):
            for gid in groups:
                s = h["series"][name][gid]
                assert len(s["p50"]) == 60
                assert all(a <= b + 1e-9 <= c + 2e-9 for a, b, c in zip(s["p10"], s["p50"], s["p90"]))
        rows = [v for v in plan.verdict if v.indicator.startswith("health_")]
        assert {v.scope for v in rows} == {f"group:{g}" for g in groups}
        assert all("not a prediction" in v.note for v in rows)
        assert plan.hold.model_dump()["horizon_days"] == 60 and set(plan.hold.model_dump()["groups"]) == groups
    # with 0.2 trucks a day the food runs short: famine criteria are crossed; with 100 nothing is
    s_hold = starved.hold.model_dump()["groups"]["sheltered"]
    assert s_hold["first_standard"]["day"] == 0
    assert s_hold["first_health"] is not None
    assert fed.hold.model_dump()["groups"]["sheltered"]["first_health"] is None
    gam = starved.health.model_dump()["crossings"]
    assert any(c["threshold"] == "ipc5_food_gap" and c["day_p50"] is not None for c in gam)


def test_less_food_never_improves_health(starved_and_fed):
    """Monotonicity: the plan with less delivered is never better on any indicator, day, group or percentile,
    and crosses every threshold no later."""
    starved, fed = starved_and_fed
    for name in WORSE_UP:
        for gid, s in fed.health.model_dump()["series"][name].items():
            worse = starved.health.model_dump()["series"][name][gid]
            for q in ("p10", "p50", "p90"):
                assert np.all(np.asarray(worse[q]) >= np.asarray(s[q]) - 1e-6), (name, gid, q)
    fed_days = {(c["group_id"], c["threshold"]): c for c in fed.health.model_dump()["crossings"]}
    for c in starved.health.model_dump()["crossings"]:
        f = fed_days[(c["group_id"], c["threshold"])]
        for q in ("day_p10", "day_p50", "day_p90"):
            if f[q] is not None:
                assert c[q] is not None and c[q] <= f[q]
    for gid, d in fed.health.model_dump()["excess_deaths"].items():
        assert starved.health.model_dump()["excess_deaths"][gid]["p50"] >= d["p50"] - 1e-6


def test_health_inputs_follow_the_supply_plan(starved_and_fed):
    starved, fed = starved_and_fed
    for g in fed.groups.model_dump()["summary"]:
        inputs = fed.health.model_dump()["inputs"][g["group"]]
        assert np.allclose(inputs["intake_share_of_requirement"], 1.0, atol=1e-3)
        assert min(inputs["water_l_per_person_day"]) >= 15.0 - 0.01  # the Sphere figure, all delivered
    # starved: the group's daily kcal share is exactly what the supply plan says it had
    daily = [r for r in starved.groups.model_dump()["daily"] if r["group"] == "staying"]
    share = [r["kcal_per_person_day"] / r["kcal_need_per_person_day"] for r in daily]
    assert np.allclose(
        starved.health.model_dump()["inputs"]["staying"]["intake_share_of_requirement"], share, atol=2e-3
    )


def test_health_off_and_no_supply(tmp_path):
    sc = load_scenario(_folder(tmp_path, 100, {"health": {"enabled": False}}), "main")
    sc.layout.enabled = False
    plan = make_plan(sc)
    assert plan.health is None and not any(v.indicator.startswith("health_") for v in plan.verdict)
    assert plan.hold is not None and plan.hold.model_dump()["first_health"] is None


def test_seasons_add_heat_water_and_tent_replacements_by_hand(tmp_path):
    """Heat: +0.5 L per aid-dependent person per day from 1 June; tents: renewals of a lifetime of ~10 days."""
    base = _plan(_folder(tmp_path, 100, {"start_date": "2024-05-22"}, name="base"))
    assert base.seasons is None
    folder = _folder(
        tmp_path,
        100,
        {"start_date": "2024-05-22", "seasons": {"heat": {}, "tent_lifespan": {"median_days": 10, "shape": 50}}},
        name="seasons",
    )
    plan = _plan(folder)
    people = base.people.in_plan
    assert plan.seasons is not None and plan.seasons.added_t_by_day is not None
    heat = np.asarray(plan.seasons.added_t_by_day["heat_water"])
    assert np.allclose(heat[:10], 0.0) and np.allclose(heat[10:], people * 0.5 / 1000.0, rtol=1e-6)
    tents = (plan.seasons.items_total or {})["replacement_tents"]
    # 10,000 displaced people (aid-dependent), households of the standard size: a near-fixed 10-day life
    # renews every tent about 5 times in 60 days
    issued = max(10000 / load_scenario(folder, "main").household_size, 10000 * 3.5 / 17.5)
    assert 4.4 * issued < tents < 5.6 * issued
    water_base = base.supply.required_t["water"]
    assert plan.supply.required_t["water"] == pytest.approx(water_base + heat.sum(), rel=1e-6)
    assert any(a.startswith("heat:") for a in plan.assumptions)


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"health": {"parameters": {"no_such_thing": 1}}}, "health.parameters.no_such_thing"),
        # each override keeps the figure's nature (found by audit2: an activity level of -1 planned with exit 0)
        ({"health": {"parameters": {"physical_activity_level": -1}}}, "health.parameters.physical_activity_level"),
        ({"health": {"parameters": {"physical_activity_level": 0.8}}}, "health.parameters.physical_activity_level"),
        ({"health": {"parameters": {"u5_ari_death_share": 1.5}}}, "health.parameters.u5_ari_death_share"),
        ({"health": {"parameters": {"whz_survival_limit": 2}}}, "health.parameters.whz_survival_limit"),
        ({"health": {"parameters": {"hr_severe_wasting": {"low": 0}}}}, "health.parameters.hr_severe_wasting"),
        ({"health": {"parameters": {"tau_at_days": 0}}}, "health.parameters.tau_at_days"),
        ({"health": {"baseline": {"gam_share": 1.5}}}, "health.baseline.gam_share"),
        ({"health": {"baseline": {"wasting": 0.1}}}, "health.baseline.wasting"),
        ({"health": {"draws": -1}}, "health.draws"),
        ({"seasons": {"heat": {}}}, "start_date"),
        ({"start_date": "2024-05-06", "seasons": {"heat": {"months": [6, 13]}}}, "seasons.heat.months"),
        (
            {"start_date": "2024-05-06", "seasons": {"tent_lifespan": {"median_days": 0}}},
            "seasons.tent_lifespan.median_days",
        ),
        ({"start_date": "2024-05-06", "seasons": {"tent_lifespan": {"shape": -1}}}, "seasons.tent_lifespan.shape"),
        ({"start_date": "2024-05-06", "seasons": {"monsoon": {}}}, "seasons.monsoon"),
    ],
)
def test_bad_health_and_season_input_names_the_field(tmp_path, extra, field):
    folder = _folder(tmp_path, 100, extra)
    with pytest.raises(InputError) as e:
        load_scenario(folder, "main")
    fields = [p.field for p in e.value.problems]
    assert any(f and f.startswith(field) for f in fields), fields
    assert all(p.file.endswith("scenario.yaml") for p in e.value.problems)


def test_observed_series_repeats_its_last_days(tmp_path):
    rows = ["date,entry_point_id,trucks_total"]
    for k in range(10):
        rows.append(f"{dt.date(2024, 9, 21) + dt.timedelta(days=k)},KS,{k}")
    path = tmp_path / "obs.csv"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(InputError):
        read_observed_trucks(path, "2024-09-21", 15)
    got = read_observed_trucks(path, "2024-09-21", 15, repeat_last_days=4)["KS"]
    assert list(got) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 6, 7, 8, 9, 6]
    with pytest.raises(InputError):  # fewer days in the file than the repeat
        read_observed_trucks(path, "2024-09-28", 15, repeat_last_days=4)


def test_example_declares_the_180_day_scenarios():
    cfg = yaml.safe_load(
        (Path(__file__).resolve().parents[1] / "examples" / "rafah-2024" / "scenario.yaml").read_text()
    )
    for name, base in (("targeted-180d", "targeted"), ("full-180d", "full")):
        s = cfg["scenarios"][name]
        assert s["horizon_days"] == 180 and s["footprints"] == cfg["scenarios"][base]["footprints"]
        assert set(s["seasons"]) == {"tent_lifespan", "winterisation", "heat"}


def test_how_long_it_holds_in_headline_and_comparison(starved_and_fed):
    from reliefplan.analysis.compare import compare
    from reliefplan.analysis.headline import headline, lines
    from reliefplan.analysis.hold import hold_days

    starved, fed = starved_and_fed
    h = headline(starved)
    fh = starved.hold.model_dump()["first_health"]
    assert h.hold and f"from day {fh['day_p50']}" in h.hold[0] and "P10-P90" in h.hold[0]
    assert any(x.startswith("How long can it hold: first standard short") for x in lines(h))
    assert any(k.kind == "health" for k in h.kinds)
    rows = {r.key: r for r in compare(fed, starved)}
    assert rows["first health threshold crossed, P50 (any group)"].b == fh["day_p50"]
    assert rows["first health threshold crossed, P50 (any group)"].a is None
    assert rows["sheltered: first standard short"].b == 0
    days = hold_days(starved)["sheltered"]
    assert days["first_health_day_p10"] <= days["first_health_day_p50"]


def _flood_folder(tmp_path: Path, props: dict, name: str = "flood") -> Path:
    import json

    from conftest import fc, feat, square

    folder = _folder(
        tmp_path, 100, {"start_date": "2024-05-22", "seasons": {"flood": {"layer": "flood.geojson"}}}, name=name
    )
    # the western half of site S1 (square(0, 3), fully usable) floods in June
    half = square(0, 3)
    (x0, y0), (x1, _), _, (_, y1) = half["coordinates"][0][:4]
    poly = {
        "type": "Polygon",
        "coordinates": [[[x0, y0], [(x0 + x1) / 2, y0], [(x0 + x1) / 2, y1], [x0, y1], [x0, y0]]],
    }
    (folder / "flood.geojson").write_text(json.dumps(fc([feat({"id": "W", **props}, poly)])))
    return folder


def test_people_on_flooded_land_by_hand(tmp_path):
    plan = _plan(_flood_folder(tmp_path, {"months": [6], "usable_share_lost": 1.0}))
    fl = plan.seasons.flood
    assert fl is not None
    s1 = next(s for s in plan.sites if s.id == "S1")
    present = s1.population + s1.overflow + s1.existing_population
    by_day = fl.people_on_flooded_land_by_day
    assert by_day[:10] == [0] * 10  # 22-31 May
    assert fl.first_day == 10 and fl.sites["S1"].usable_share_min == pytest.approx(0.5, abs=0.01)
    assert by_day[10] == pytest.approx(present / 2, rel=0.02)  # half the site, people spread evenly
    assert by_day[40] == 0  # July: dry again
    row = next(v for v in plan.verdict if v.indicator == "people_on_flooded_land")
    assert row.met is False and "from day 10" in row.note


@pytest.mark.parametrize(
    "props, field",
    [
        ({"months": [0, 6]}, "months"),
        ({"months": "13"}, "months"),
        ({"months": [6], "usable_share_lost": 1.5}, "usable_share_lost"),
    ],
)
def test_bad_flood_layer_names_feature_and_field(tmp_path, props, field):
    with pytest.raises(InputError) as e:
        load_scenario(_flood_folder(tmp_path, props), "main")
    p = e.value.problems[0]
    assert p.file.endswith("flood.geojson") and p.feature == "W" and p.field == field


def test_ensemble_keeps_each_thresholds_first_day(starved_and_fed):
    import math

    from reliefplan.analysis.ensemble import key_results

    starved, fed = starved_and_fed
    got = key_results(starved)
    days = [
        c["day_p50"]
        for c in starved.health.model_dump()["crossings"]
        if c["threshold"] == "ipc5_food_gap" and c["day_p50"] is not None
    ]
    assert got["first_health_day.ipc5_food_gap"] == min(days)
    assert math.isnan(key_results(fed)["first_health_day.ipc5_famine"])


def test_report_has_the_health_section_with_ranges(starved_and_fed):
    from reliefplan.outputs.report import render_report

    starved, _ = starved_and_fed
    html = render_report(starved, {})
    i = html.index('id="health-h"')
    section = html[i : i + 6000]
    assert "risk projection, not a prediction" in section.lower() and "excess deaths" in section
    assert "P10–P90" in section and "How long can it hold" in html


def test_health_overrides_within_their_nature_are_taken():
    from reliefplan.scenario._healthdata import load_health_data

    d = load_health_data({"physical_activity_level": 1.7, "u5_ari_death_share": {"value": 0.2, "high": 0.3}})
    assert d.value("physical_activity_level") == 1.7 and d.value("u5_ari_death_share") == 0.2
