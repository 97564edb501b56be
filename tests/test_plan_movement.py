"""The move over days in the plan (scenario block `movement`, stages/orders.py): departures on each order's curve
(hand-calculated), people leaving without an order, conservation every day, a later order never gets people out
sooner, presence follows arrivals, successive orders re-displace, bad input is refused with file, feature and
field."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import add_north_road, fc, feat, planned, square, write_scenario

from reliefplan._errors import InputError
from reliefplan.scenario.folder import load_scenario

CURVE = {"kind": "empirical", "days": [1, 2], "share": [0.5, 0.8], "source": "test"}


def _folder(tmp_path, movement, *, footprints=None, extra_fp=None, horizon=8, roads=True):
    cfg = {"horizon_days": horizon, "movement": movement}
    if extra_fp:
        cfg["footprints"] = {
            "op": {"file": "footprint.geojson", "start_day": 0},
            "op2": {"file": "footprint2.geojson", "start_day": 0},
        }
        cfg["scenarios"] = {"main": {"footprints": ["op", "op2"]}}
    d = write_scenario(tmp_path, config=cfg, footprints=footprints)
    if extra_fp:
        (d / "footprint2.geojson").write_text(json.dumps(extra_fp))
    if roads:
        add_north_road(d)
    return d


def _plan(folder):
    return planned(folder)[0]


def _inside(folder) -> list[int]:
    """People in the operation area at the end of each day (the presence stage, as the supply plan sees them)."""
    from reliefplan.pipeline import shelter

    sc = load_scenario(folder, "main")
    sc.layout.enabled = False
    return shelter(sc).presence.inside_operation.tolist()


def test_departures_follow_the_curve_by_hand(tmp_path):
    """Zone A (10,000 people) is the ordered area: 50 % leave by the end of day 0, 80 % by day 1, then no more.
    Zone B stays. The plan's displaced are those who leave; the rest of zone A stays inside the area."""
    d = _folder(tmp_path, {"orders": [{"footprint": "op", "day": 0, "operation_day": 1, "curve": CURVE}]})
    plan = _plan(d)
    o = plan.movement.orders[0]
    assert o.people == 10000 and o.left_by_day[:4] == [5000, 8000, 8000, 8000]
    assert plan.people.displaced == 8000 and plan.people.staying == 12000
    zone_a = next(z for z in plan.zones if z.id == "A")
    assert zone_a.departures == [(0.0, 5000), (1.0, 3000)]
    # at the start of day 1, before anyone moves: the 5,000 who have not left yet
    assert o.inside_at_operation == 5000
    row = next(r for r in plan.verdict if r.indicator == "people_inside_operation_area_at_start")
    assert row.value == 5000 and row.met is False
    # in the operation area at the end of each day: everyone in zone A who has not left (leavers or not)
    assert _inside(d)[:3] == [5000, 2000, 2000]


def test_unordered_leavers_compose_with_the_order_by_hand(tmp_path):
    """20 % leave without an order, on the first order's timing (0.5/0.8 rescaled to 0.625/1.0):
    zone B 10,000 x 0.2 x 0.625 = 1,250 by day 0, 2,000 by day 1; zone A 1 - (1 - 0.2 x 0.625)(1 - 0.5) = 0.5625
    -> 5,625, then 1 - 0.8 x 0.2 = 0.84 -> 8,400."""
    plan = _plan(
        _folder(
            tmp_path,
            {"orders": [{"footprint": "op", "day": 0, "curve": CURVE}], "unordered": {"share": 0.2, "source": "test"}},
        )
    )
    m = plan.movement
    assert m.unordered.people == 10000 and m.unordered.left_by_day[:3] == [1250, 2000, 2000]
    assert m.orders[0].left_by_day[:3] == [5625, 8400, 8400]
    assert plan.people.displaced == 8400 + 2000


def test_everyone_somewhere_every_day(tmp_path):
    from reliefplan.pipeline import make_plan

    sc = load_scenario(
        _folder(tmp_path, {"orders": [{"footprint": "op", "day": 1, "curve": CURVE}], "unordered": {"share": 0.3}}),
        "main",
    )
    sc.layout.enabled = False
    plan = make_plan(sc)  # with the supply plan: it feeds people where they are each day
    total = plan.people.population
    for name, run in plan.movement.runs.items():
        for d in range(plan.horizon_days):
            assert (
                run.at_origin_by_day[d] + run.on_road_by_day[d] + run.at_sites_by_day[d] + run.without_place_by_day[d]
            ) == total, (name, d)
        assert sum(a.people for a in run.arrivals) >= run.at_sites_by_day[-1]
    assert set(plan.movement.runs) == {"plan", "arrival"} and plan.movement.assignment == "arrival"
    rows = plan.groups.presence
    assert len(rows) == plan.horizon_days
    for row in rows:
        assert sum(v for k, v in row.items() if "_at_" in k) == plan.people.in_plan
    # displaced people are at their zone until they arrive: nobody at a site before they leave
    assert rows[0].get("sheltered_at_site", 0) == 0 and rows[-1]["sheltered_at_site"] == plan.people.sheltered


def test_presence_follows_arrivals_not_day_zero(tmp_path):
    """Sheltered people are at their site from the day they arrive there, not all on day 0."""
    from reliefplan.pipeline import shelter

    d = _folder(tmp_path, {"orders": [{"footprint": "op", "day": 0, "curve": CURVE}]})
    sc = load_scenario(d, "main")
    sc.layout.enabled = False
    sh = shelter(sc)
    pres = sh.presence
    g = pres.group("sheltered")
    at_sites = pres.people[np.array(pres.kinds) == "site", g, :].sum(axis=0)
    assert 0 < at_sites[0] <= 5000 < sh.people.sheltered
    assert at_sites[-1] == sh.people.sheltered == 8000
    assert (np.diff(at_sites) >= 0).all()
    pres.check()


def test_a_later_order_never_gets_people_out_sooner(tmp_path):
    de = _folder(tmp_path / "e", {"orders": [{"footprint": "op", "day": 0}]}, horizon=12)
    dl = _folder(tmp_path / "l", {"orders": [{"footprint": "op", "day": 3}]}, horizon=12)
    early, late = _plan(de), _plan(dl)
    a, b = np.array(early.movement.orders[0].left_by_day), np.array(late.movement.orders[0].left_by_day)
    assert (b <= a).all() and b[:3].sum() == 0 and a[-1] > b[-1]
    for name in ("plan", "arrival"):
        sa, sb = (np.array(p.movement.runs[name].at_sites_by_day) for p in (early, late))
        assert (sb <= sa).all(), name
    pa, pb = _inside(de), _inside(dl)
    assert all(y >= x for x, y in zip(pa, pb)) and pb[2] == 10000 > pa[2]


def test_successive_orders_redisplace_people_at_a_site_ordered_later(tmp_path):
    """Order 2 (day 3) covers site S1 (and zone B): people who reached S1 in arrival order move again."""
    both = {"type": "MultiPolygon", "coordinates": [square(0, 3)["coordinates"], square(1, 0)["coordinates"]]}
    d = _folder(
        tmp_path,
        {"orders": [{"footprint": "op", "day": 0, "curve": CURVE}, {"footprint": "op2", "day": 3, "curve": CURVE}]},
        extra_fp=fc([feat({"id": "F2"}, both)]),
    )
    plan = _plan(d)
    m = plan.movement
    run = m.runs["arrival"]
    assert run.redisplaced > 0 and m.orders[1].redisplaced == run.redisplaced
    row = next(r for r in plan.verdict if r.indicator == "people_redisplaced")
    assert row.value == run.redisplaced and row.met is False
    # the plan (siting) never sends anyone to S1: its capacity excludes every footprint
    assert all(f.site != "S1" for f in plan.flows)


def test_walking_burden_rows(tmp_path):
    plan = _plan(
        _folder(tmp_path, {"orders": [{"footprint": "op", "day": 0}], "max_walk_h": 0.1, "vulnerable_share": 0.25})
    )
    run = plan.movement.runs["arrival"]
    rows = {r.indicator: r for r in plan.verdict}
    assert rows["people_walking_over_max_h"].value == run.walking_over_h > 0
    assert rows["vulnerable_share_walking_over_max_h"].value == pytest.approx(0.25, abs=0.01)


def test_without_roads_people_arrive_the_day_they_leave(tmp_path):
    plan = _plan(
        _folder(tmp_path, {"orders": [{"footprint": "op", "day": 0, "operation_day": 1, "curve": CURVE}]}, roads=False)
    )
    assert plan.movement.runs == {} and plan.people.displaced == 8000
    assert plan.movement.orders[0].inside_at_operation == 5000
    assert any("not simulated" in a for a in plan.assumptions)


def test_without_the_block_the_plan_is_as_before(tmp_path):
    d = write_scenario(tmp_path)
    plan = planned(d)[0]
    assert plan.movement is None and plan.people.displaced == 10000


# ---- bad input ---------------------------------------------------------------------------------------------


def _problems(tmp_path, movement, **kw):
    d = _folder(tmp_path, movement, **kw)
    with pytest.raises(InputError) as e:
        load_scenario(d, "main")
    return e.value.problems


@pytest.mark.parametrize(
    "movement, field, words",
    [
        (
            {
                "orders": [
                    {"footprint": "op", "day": 0, "curve": {"kind": "empirical", "days": [1, 2], "share": [0.5, 0.4]}}
                ]
            },
            "movement.orders.0.curve.share",
            "must not decrease",
        ),
        (
            {
                "orders": [
                    {
                        "footprint": "op",
                        "day": 0,
                        "curve": {"kind": "weibull", "final_share": 1.2, "scale_days": 5, "shape": 1},
                    }
                ]
            },
            "movement.orders.0.curve.final_share",
            "less than or equal to 1",
        ),
        (
            {"orders": [{"footprint": "op", "day": 0}], "unordered": {"share": -0.1}},
            "movement.unordered.share",
            "greater than or equal to 0",
        ),
        ({"orders": [{"footprint": "op", "day": 40}]}, "movement.orders.0.day", "outside the horizon"),
        (
            {"orders": [{"footprint": "op", "day": 0}], "modes": [{"name": "foot", "share": 1, "speed_m_s": 0}]},
            "movement.modes.0.speed_m_s",
            "greater than 0",
        ),
        ({"orders": [{"footprint": "nowhere", "day": 0}]}, "movement.orders.0.footprint", "unknown footprint"),
        ({"orders": []}, "movement.orders", "has no order"),
        (
            {"orders": [{"footprint": "op", "day": 0, "observed": {"file": "../x.csv"}}]},
            "movement.orders.0.observed.file",
            "outside the scenario folder",
        ),
    ],
)
def test_bad_movement_input_names_file_and_field(tmp_path, movement, field, words):
    probs = _problems(tmp_path, movement)
    hit = [p for p in probs if p.field == field]
    assert hit, [(p.field, p.message) for p in probs]
    assert words in hit[0].message and hit[0].file.endswith("scenario.yaml")


def test_bad_observed_series_names_row_and_column(tmp_path):
    d = _folder(tmp_path, {"orders": [{"footprint": "op", "day": 0, "observed": {"file": "obs.csv"}}]})
    (d / "obs.csv").write_text("days_after_order,share_left\n1,0.2\n2,1.4\n")
    with pytest.raises(InputError) as e:
        load_scenario(d, "main")
    p = e.value.problems[0]
    assert p.file.endswith("obs.csv") and p.feature == "row 2" and p.field == "share_left"


def test_cli_refuses_bad_movement_with_exit_2_and_writes_nothing(tmp_path):
    from typer.testing import CliRunner

    from reliefplan.cli import app

    d = _folder(tmp_path / "sc", {"orders": [{"footprint": "op", "day": 99}]})
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["plan", str(d), "--scenario", "main", "--out", str(out)])
    assert r.exit_code == 2 and "movement.orders.0.day" in r.output and not out.exists()


def test_observed_series_is_read_and_reported(tmp_path):
    d = _folder(
        tmp_path,
        {"orders": [{"footprint": "op", "day": 0, "curve": CURVE, "observed": {"file": "obs.csv", "label": "seen"}}]},
    )
    (d / "obs.csv").write_text("# a comment\ndays_after_order,share_left\n1,0.4\n3,0.7\n")
    plan = _plan(d)
    obs = plan.movement.orders[0].observed
    assert obs.label == "seen" and obs.days == [1.0, 3.0] and obs.share == [0.4, 0.7]
    assert plan.movement.orders[0].curve_share_by_day[:3] == [0.5, 0.8, 0.8]


def test_report_draws_each_order_curve_with_the_observed_series(tmp_path):
    from reliefplan.outputs.report import render_report
    from reliefplan.outputs.report.movement import movement_view

    d = _folder(
        tmp_path,
        {"orders": [{"footprint": "op", "day": 1, "curve": CURVE, "observed": {"file": "obs.csv", "label": "seen"}}]},
    )
    (d / "obs.csv").write_text("days_after_order,share_left\n1,0.4\n3,0.7\n")
    plan, layers = planned(d)
    view = movement_view(plan, plan.movement.model_dump(mode="json"))
    curve = next(c for c in view["charts"] if c["id"] == "movement-curve-0")
    observed = next(ds for ds in curve["datasets"] if ds["label"] == "observed: seen")
    # 1 day after an order on day 1 = the end of day 1; 3 days after = the end of day 3
    assert observed["data"][:5] == [None, 40.0, None, 70.0, None]
    drawn = next(ds for ds in curve["datasets"] if ds["label"].startswith("departure curve"))
    assert drawn["data"][:3] == [0.0, 50.0, 80.0]
    assert {"movement-where", "movement-arrivals"} <= {c["id"] for c in view["charts"]}
    html = render_report(plan, layers)
    assert "How people move over days" in html and "movement-curve-0" in html


def test_the_plan_never_holds_places_for_a_later_wave_while_an_earlier_one_goes_without(tmp_path):
    """One site for 8,000 people; zone A (far, 3,600 s) leaves on day 0, zone B (near, 600 s) on day 3. Walking
    alone would give the places to B; by waves, A's 10,000 leavers come first: 8,000 places, B none. Brute force
    over the split (A gets a, B 8,000 - a) agrees: the lexicographic optimum is a = 8,000."""
    from reliefplan.stages.allocation import allocate

    sc = load_scenario(write_scenario(tmp_path), "main")
    displaced = np.array([10000, 10000])
    capacity = np.array([8000, 0])
    time_s = np.array([[3600.0, np.inf], [600.0, np.inf]])
    leaving = np.zeros((2, 5), np.int64)
    leaving[0, 0], leaving[1, 3] = 10000, 10000
    plain = allocate(sc, displaced, capacity, time_s)
    waves = allocate(sc, displaced, capacity, time_s, leaving_by_day=leaving)
    assert plain.by_zone.tolist() == [0, 8000]
    best = min(range(0, 8001, 500), key=lambda a: (max(10000 - a, 0), a * 3600 + (8000 - a) * 600))
    assert waves.by_zone.tolist() == [best, 8000 - best] == [8000, 0]
    assert waves.unmet.tolist() == [2000, 10000] and waves.siting.open_ids == ["S1"]
    # within a wave, walking decides as before: both zones leaving on day 0 -> the near one first
    leaving[1, 3], leaving[1, 0] = 0, 10000
    assert allocate(sc, displaced, capacity, time_s, leaving_by_day=leaving).by_zone.tolist() == [0, 8000]
