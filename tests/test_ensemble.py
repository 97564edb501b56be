"""Ensembles: declared uncertainty, sampling, engines, retries, summaries against hand calculations."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import write_scenario

from reliefplan._errors import InputError
from reliefplan.analysis import ensemble, ensemble_engines, ensemble_member
from reliefplan.analysis.ensemble import run_ensemble, run_member, write_ensemble
from reliefplan.analysis.sampling import block_bootstrap, closure_days
from reliefplan.scenario.folder import load_scenario

PAYLOAD_T = 20.0  # sphere-2018 truck payload
DAYS = 30
#: every commodity at one payload, so tonnes delivered = 20 t x trucks whatever the mix
SAME_PAYLOAD = {"payload_t": {"water": PAYLOAD_T, "food": PAYLOAD_T, "medical": PAYLOAD_T, "shelter_nfi": PAYLOAD_T}}


def _dir(tmp_path: Path, unc: dict, name: str = "sc", **extra) -> Path:
    cfg = {"layout": {"enabled": False}, "uncertainty": unc, **extra}
    return write_scenario(tmp_path / name, config=cfg)


UNC = {
    "parameters": {
        "pop": {"target": "zone.population_error", "dist": "normal", "mean": 0, "sd": 0.2, "each": True},
        "frac": {
            "target": "site.usable_fraction",
            "dist": "triangular",
            "low": 0.1,
            "mode": 0.3,
            "high": 0.6,
            "ids": ["S1"],
        },
        "tpd": {"target": "entry.trucks_per_day", "dist": "choice", "values": [4, 6, 12], "p": [0.25, 0.5, 0.25]},
        "road": {"target": "roads.capacity_factor", "dist": "lognormal", "median": 1.0, "sigma": 0.3},
    },
    "closures": [{"entry_point": "KS", "probability_per_day": 0.1, "mean_days": 3}],
}


def _strip(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "attempts"} for r in rows]


def _same(a: list[dict], b: list[dict]) -> None:
    assert len(a) == len(b)
    for ra, rb in zip(_strip(a), _strip(b)):
        assert ra.keys() == rb.keys()
        for k in ra:
            va, vb = ra[k], rb[k]
            if isinstance(va, float) and math.isnan(va):
                assert isinstance(vb, float) and math.isnan(vb), k
            elif isinstance(va, (str, bool)) or va is None:
                assert va == vb, k
            else:
                assert va == pytest.approx(vb, rel=1e-9, abs=1e-9), k


def test_members_hand_checked_and_conserved(tmp_path):
    d = _dir(tmp_path, UNC)
    res = run_ensemble(d, "main", 8, seed=7)
    assert res.summary["ok"] == 8 and not res.failed
    assert res.summary["conserved_in_every_member"]
    for r in res.members:
        pa = max(0, round(10000 * (1 + r["input:pop[A]"])))
        pb = max(0, round(10000 * (1 + r["input:pop[B]"])))
        assert r["population"] == pa + pb
        assert r["displaced"] == pa  # the footprint is exactly zone A
        assert r["sheltered"] + r["unsheltered"] == r["displaced"]
        assert r["input:tpd"] in (4.0, 6.0, 12.0)
        assert 0.1 <= r["input:frac"] <= 0.6
        closures = json.loads(r["closures"])
        assert sum(b - a + 1 for _, a, b, _f in closures) == r["input:closed_days[KS]"]
        assert all(a >= 1 for _, a, _b, _f in closures)  # open on day 0
        assert r["supply_residual_t"] < 1e-6


def test_same_seed_same_members_on_every_engine(tmp_path):
    d = _dir(tmp_path, UNC)
    serial = run_ensemble(d, "main", 4, seed=11)
    again = run_ensemble(d, "main", 4, seed=11)
    _same(serial.members, again.members)
    pool = run_ensemble(d, "main", 4, seed=11, workers=2)
    _same(serial.members, pool.members)
    pytest.importorskip("distributed")
    dask = run_ensemble(d, "main", 4, seed=11, engine="dask", dask_local=2)
    _same(serial.members, dask.members)
    other = run_ensemble(d, "main", 4, seed=12)
    assert [r["input:tpd"] for r in other.members] != [r["input:tpd"] for r in serial.members] or [
        r["input:pop[A]"] for r in other.members
    ] != [r["input:pop[A]"] for r in serial.members]


def test_member_i_is_child_i_whatever_the_run_count(tmp_path):
    sc = load_scenario(_dir(tmp_path, UNC), "main")
    a = ensemble.draw_members(sc, 3, seed=5)
    b = ensemble.draw_members(sc, 10, seed=5)
    for ma, mb in zip(a, b):
        assert ma.inputs == mb.inputs and ma.closures == mb.closures


def test_uniform_capacity_shortfall_closed_form(tmp_path):
    """Trucks/day ~ U(3, 7) stays below the daily need of everyone (the 10,000 displaced and the 10,000 who stay:
    ~311 t = 15.6 trucks), so every truck is used every day: total shortfall = total need - 20 t x 30 days x
    trucks/day, a uniform on [R - 4200, R - 1800] t (every commodity at 20 t per truck)."""
    unc = {"parameters": {"tpd": {"target": "entry.trucks_per_day", "dist": "uniform", "low": 3, "high": 7}}}
    res = run_ensemble(_dir(tmp_path, unc, cargo=SAME_PAYLOAD), "main", 60, seed=3)
    rows = res.members
    need = [sum(v for k, v in r.items() if k.startswith("required_t.")) for r in rows]
    assert max(need) == pytest.approx(min(need))  # population is fixed: the need is too
    R = need[0]
    tpd = np.array([r["input:tpd"] for r in rows])
    got = np.array([r["shortfall_t.total"] for r in rows])
    np.testing.assert_allclose(got, R - PAYLOAD_T * DAYS * tpd, rtol=1e-6, atol=1e-3)
    q = res.summary["outcomes"]["shortfall_t.total"]
    expected = np.percentile(R - PAYLOAD_T * DAYS * tpd, [10, 50, 90])
    np.testing.assert_allclose([q["p10"], q["p50"], q["p90"]], expected, rtol=1e-6)
    # against the population quantiles of the uniform: sd of a sample quantile with 60 draws is < 200 t
    exact = [R - PAYLOAD_T * DAYS * (3 + 4 * (1 - p)) for p in (0.1, 0.5, 0.9)]
    np.testing.assert_allclose([q["p10"], q["p50"], q["p90"]], exact, atol=600)
    # every member is short of water from day 0; capacity drives the total shortfall perfectly (rank -1)
    assert res.summary["p_no_shortfall_through_day"]["water"][0] == 0.0
    top = res.summary["sensitivity"]["shortfall_t.total"][0]
    assert top["input"] == "tpd" and top["spearman_rho"] == pytest.approx(-1.0)
    assert res.summary["verdict_p_met"]["water_need_met_share@scenario"]["p_met"] == 0.0


def test_population_error_drives_unsheltered(tmp_path):
    """Capacity fixed; unsheltered = max(0, displaced - capacity of both sites) in every member."""
    unc = {
        "parameters": {
            "pop": {"target": "zone.population_error", "dist": "uniform", "low": 0.0, "high": 6.0, "ids": ["A"]}
        }
    }
    d = _dir(tmp_path, unc, supply={"enabled": False})
    from reliefplan.pipeline import make_plan

    sc = load_scenario(d, "main")
    sc.layout.enabled = False
    capacity = sum(s.capacity for s in make_plan(sc).sites)
    res = run_ensemble(d, "main", 12, seed=1)
    for r in res.members:
        assert r["unsheltered"] == max(0, r["displaced"] - capacity)
    assert sum(r["unsheltered"] > 0 for r in res.members) >= 6
    rho = res.summary["sensitivity"]["unsheltered"][0]
    assert rho["input"] == "pop" and rho["spearman_rho"] > 0.9


def _flaky(task):
    if task.inputs.index == 2:
        raise RuntimeError("boom (always)")
    if task.inputs.index == 1 and task.attempt == 1:
        raise RuntimeError("transient")
    return run_member(task)


def test_failed_member_retried_once_then_reported(tmp_path):
    calls = []

    def counting(task):
        calls.append((task.inputs.index, task.attempt))
        try:
            return _flaky(task)
        except RuntimeError as e:
            return {"member": task.inputs.index, "attempts": task.attempt, "status": "failed", "error": str(e)}

    res = run_ensemble(_dir(tmp_path, UNC), "main", 4, seed=0, member_fn=counting)
    assert len(res.members) == 4  # never dropped
    by = {r["member"]: r for r in res.members}
    assert by[1]["status"] == "ok" and by[1]["attempts"] == 2
    assert by[2]["status"] == "failed" and by[2]["attempts"] == 2 and "boom" in by[2]["error"]
    assert sorted(calls) == [(0, 1), (1, 1), (1, 2), (2, 1), (2, 2), (3, 1)]
    assert res.summary["failed"] == [{"member": 2, "attempts": 2, "error": "boom (always)"}]
    assert res.summary["ok"] == 3 and res.summary["retried"] == 2


def test_failed_member_retried_in_a_process_pool(tmp_path):
    res = run_ensemble(_dir(tmp_path, UNC), "main", 4, seed=0, workers=2, member_fn=_flaky)
    by = {r["member"]: r for r in res.members}
    assert len(by) == 4
    assert by[1]["status"] == "ok" and by[1]["attempts"] == 2
    assert by[2]["status"] == "failed" and by[2]["attempts"] == 2 and "boom" in by[2]["error"]
    assert by[0]["status"] == by[3]["status"] == "ok"


def test_run_member_reports_exceptions_without_raising(tmp_path, monkeypatch):
    d = _dir(tmp_path, UNC)
    sc = load_scenario(d, "main")
    m = ensemble.draw_members(sc, 1, seed=0)[0]

    def broken(*a, **k):
        raise ValueError("solver exploded")

    monkeypatch.setattr("reliefplan.pipeline.shelter", broken)
    row = run_member(ensemble.MemberTask(str(d), "main", False, m))
    assert row["status"] == "failed" and "solver exploded" in row["error"]


def test_outputs_parquet_and_json(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    res = run_ensemble(_dir(tmp_path, UNC), "main", 3, seed=2)
    paths = write_ensemble(res, tmp_path / "out")
    table = pq.read_table(paths["members"])
    assert table.num_rows == 3 and table.column_names[0] == "member"
    assert table.column("displaced").to_pylist() == [r["displaced"] for r in res.members]
    summary = json.loads(paths["summary"].read_text())
    assert set(summary["outcomes"]["displaced"]) >= {"p10", "p50", "p90"}
    assert summary["seed"] == 2 and summary["runs"] == 3


def test_clipping_is_counted(tmp_path):
    unc = {
        "parameters": {"frac": {"target": "site.usable_fraction", "dist": "normal", "mean": 0.5, "sd": 5, "each": True}}
    }
    sc = load_scenario(_dir(tmp_path, unc), "main")
    members = ensemble.draw_members(sc, 50, seed=0)
    clipped = sum(m.clipped["frac"] for m in members)
    assert clipped > 50  # |N(0.5, 5)| leaves [0, 1] in ~92 % of 100 draws
    assert all(0 <= v <= 1 for m in members for v in m.usable_fraction.values())
    summary = ensemble.summarise([], members, DAYS)
    assert summary["clipped_samples"]["frac"] == clipped


def test_closure_process_statistics():
    rng = np.random.default_rng(0)
    p, mean_days = 0.05, 4.0
    closed = closure_days(rng, 200_000, p, mean_days)
    assert not closed[0]
    # stationary share closed of the two-state chain: p / (p + 1/L)
    assert closed.mean() == pytest.approx(p / (p + 1 / mean_days), rel=0.05)
    starts = np.flatnonzero(np.diff(closed.astype(int)) == 1)
    assert closed.sum() / len(starts) == pytest.approx(mean_days, rel=0.05)


def test_block_bootstrap_keeps_blocks_and_crossings_aligned():
    n = 40
    series = {"A": np.arange(n, dtype=float), "B": 1000 + np.arange(n, dtype=float)}
    out = block_bootstrap(np.random.default_rng(1), series, 30, 7)
    assert len(out["A"]) == 30
    np.testing.assert_array_equal(out["B"] - 1000, out["A"])
    for k in range(0, 30, 7):
        blk = out["A"][k : k + 7]
        np.testing.assert_array_equal(np.diff(blk), 1)  # consecutive observed days


def test_bootstrap_from_observed_file(tmp_path):
    d = _dir(tmp_path, {"entry_capacity_bootstrap": {"file": "obs.csv", "block_days": 5}}, cargo=SAME_PAYLOAD)
    with (d / "obs.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["date", "entry_point_id", "trucks_total"])
        for day in range(20):
            w.writerow([f"2024-05-{day + 1:02d}", "KS", 2 + day % 4])
    res = run_ensemble(d, "main", 3, seed=4)
    assert res.summary["ok"] == 3
    for r in res.members:
        assert 2 <= r["input:mean_trucks_per_day[KS]"] <= 5
        # fewer than 15.6 trucks/day every day: every truck used, total shortfall = need - 20 t x trucks delivered
        need = sum(v for k, v in r.items() if k.startswith("required_t."))
        assert r["shortfall_t.total"] == pytest.approx(
            need - PAYLOAD_T * DAYS * r["input:mean_trucks_per_day[KS]"], rel=1e-6
        )


@pytest.mark.parametrize(
    "param, field",
    [
        ({"target": "site.usable_fraction", "dist": "uniform", "low": 0.8, "high": 0.2}, "uncertainty.parameters.x"),
        (
            {"target": "site.usable_fraction", "dist": "triangular", "low": 0, "mode": 2, "high": 1},
            "uncertainty.parameters.x",
        ),
        ({"target": "site.usable_fraction", "dist": "normal", "mean": 0, "sd": -1}, "uncertainty.parameters.x"),
        ({"target": "roads.capacity_factor", "dist": "lognormal", "median": 0, "sigma": 1}, "uncertainty.parameters.x"),
        (
            {"target": "entry.trucks_per_day", "dist": "choice", "values": [1, 2], "p": [0.5, 0.6]},
            "uncertainty.parameters.x",
        ),
        ({"target": "entry.trucks_per_day", "dist": "gamma", "k": 1}, "uncertainty.parameters.x"),
        ({"target": "zone.count", "dist": "uniform", "low": 0, "high": 1}, "uncertainty.parameters.x"),
        (
            {"target": "site.usable_fraction", "dist": "uniform", "low": 0, "high": 1, "ids": ["NOPE"]},
            "uncertainty.parameters.x.ids",
        ),
    ],
)
def test_bad_distributions_are_input_errors(tmp_path, param, field):
    d = _dir(tmp_path, {"parameters": {"x": param}})
    with pytest.raises(InputError) as e:
        load_scenario(d, "main")
    assert any(p.field and p.field.startswith(field) and p.file.endswith("scenario.yaml") for p in e.value.problems), (
        e.value.problems
    )


def test_bad_closure_and_run_arguments(tmp_path):
    d = _dir(
        tmp_path,
        {
            "closures": [
                {"entry_point": "XX", "probability_per_day": 0.1, "mean_days": 2},
                {"entry_point": "KS", "probability_per_day": 1.5, "mean_days": 0.5},
            ]
        },
    )
    with pytest.raises(InputError) as e:
        load_scenario(d, "main")
    assert len(e.value.problems) == 2  # the pydantic errors come first; every one listed
    d2 = _dir(tmp_path, {"closures": [{"entry_point": "XX", "probability_per_day": 0.1, "mean_days": 2}]}, name="b")
    with pytest.raises(InputError, match="unknown entry point 'XX'"):
        load_scenario(d2, "main")
    good = _dir(tmp_path, UNC, name="c")
    with pytest.raises(InputError, match="at least 1 member"):
        run_ensemble(good, "main", 0)
    plain = write_scenario(tmp_path / "plain", config={"layout": {"enabled": False}})
    with pytest.raises(InputError, match="declares no uncertainty"):
        run_ensemble(plain, "main", 2)


def test_unreachable_scheduler_is_a_clear_error(tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(ensemble_engines, "SCHEDULER_TIMEOUT_S", 1.0)
    with pytest.raises(InputError, match="cannot reach the Dask scheduler"):
        run_ensemble(_dir(tmp_path, UNC), "main", 2, engine="dask", scheduler="tcp://127.0.0.1:9")


def _with_road(tmp_path: Path) -> Path:
    """One 1 m wide road from zone A to site S1 (4,500 persons/h), everyone leaving at once."""
    from conftest import LAT0, LON0, D

    d = write_scenario(
        tmp_path,
        config={"layout": {"enabled": False}, "evacuation": {"departure": "all_at_once"}, "supply": {"enabled": False}},
    )
    x = LON0 + D / 2
    road = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"highway": "primary", "width": 1.0},
                "geometry": {"type": "LineString", "coordinates": [[x, LAT0 + D / 2], [x, LAT0 + 3.5 * D]]},
            }
        ],
    }
    (d / "roads.geojson").write_text(json.dumps(road))
    cfg = (
        (d / "scenario.yaml")
        .read_text()
        .replace("  entry_points:", "  roads:\n    file: roads.geojson\n  entry_points:")
    )
    (d / "scenario.yaml").write_text(cfg)
    return d


def test_travel_cache_gives_the_same_plan_and_road_factor_scales_capacity(tmp_path):
    from reliefplan.pipeline import run
    from reliefplan.stages.travel import TravelCache

    sc = load_scenario(_with_road(tmp_path / "r"), "main")
    cold = run(sc).plan
    cache = TravelCache()
    first = run(sc, cache=cache).plan
    second = run(sc, cache=cache).plan
    assert (cache.misses, cache.hits) == (1, 1)
    strip = {"siting": {"solve_time_s"}, "evacuation": {"solve_time_s"}}
    assert second.model_dump(exclude=strip) == first.model_dump(exclude=strip) == cold.model_dump(exclude=strip)
    base_h = cold.evacuation.clearance_hours
    assert base_h >= 10000 / 4500
    half = run(sc.model_copy(update={"road_capacity_factor": 0.5}), cache=cache).plan.evacuation
    # half the link capacity: the 10,000 people queue at least 10,000 / 2,250 h
    assert half.clearance_hours >= 10000 / 2250 - 1e-9 and half.clearance_hours > base_h
    # the cached network keeps its capacity
    assert run(sc, cache=cache).plan.evacuation.clearance_hours == pytest.approx(base_h)


def test_cli_ensemble_writes_outputs(tmp_path):
    from typer.testing import CliRunner

    from reliefplan.cli import app

    d = _dir(tmp_path, UNC)
    out = tmp_path / "out"
    res = CliRunner().invoke(
        app,
        ["ensemble", str(d), "--scenario", "main", "--runs", "3", "--seed", "5", "--workers", "1", "--out", str(out)],
    )
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ok"] == 3 and (out / "members.parquet").stat().st_size > 0
    page = (out / "ensemble.html").read_text()
    assert 'id="chart-p-no-shortfall"' in page and "Probability that each scenario-wide indicator is met" in page
    plan = json.loads((out / "plan.json").read_text())  # the scenario as declared, verdict with P(met)
    rows = [r for r in plan["verdict"] if r["scope"] == "scenario" and r["p_met"] is not None]
    assert rows and all(0 <= r["p_met"] <= 1 for r in rows)
    assert "P(met), ensemble" in (out / "report.html").read_text()
    bad = CliRunner().invoke(app, ["ensemble", str(d), "--scenario", "main", "--runs", "0", "--out", str(out)])
    assert bad.exit_code == 2


def test_pool_batches_grow_with_fast_members_and_stay_single_for_slow_ones():
    assert ensemble_engines._batch_size(0.0, 0, 200, 2) == 1  # nothing timed yet
    assert ensemble_engines._batch_size(0.15, 10, 200, 2) == ensemble_engines.MAX_BATCH  # 15 ms members: full batches
    assert ensemble_engines._batch_size(0.25 * 4, 4, 200, 2) == 4  # 0.25 s members: ~1 s of work
    assert ensemble_engines._batch_size(40.0, 10, 200, 2) == 1  # members of seconds: one at a time
    assert ensemble_engines._batch_size(0.15, 10, 12, 2) == 3  # the tail is shared: 12 left, 2 workers
    assert ensemble_engines._batch_size(0.15, 10, 1, 2) == 1


def test_pool_with_growing_batches_gives_the_serial_members(tmp_path):
    d = _dir(tmp_path, UNC)
    serial = run_ensemble(d, "main", 24, seed=3)
    seen = []
    pool = run_ensemble(d, "main", 24, seed=3, workers=2, progress=lambda done, total: seen.append((done, total)))
    _same(serial.members, pool.members)
    assert seen[-1] == (24, 24) and len(seen) == 24


def test_members_run_with_one_blas_thread(tmp_path, monkeypatch):
    """Idle OpenBLAS threads spin-wait and take the other worker's core: a worker holds BLAS to one thread."""
    from threadpoolctl import threadpool_info, threadpool_limits

    monkeypatch.setattr(ensemble_member, "_STATE", {})  # a fresh worker
    d = _dir(tmp_path, UNC)
    m = ensemble.draw_members(load_scenario(d, "main"), 1, seed=3)[0]
    with threadpool_limits(limits=2, user_api="blas"):  # as if numpy had started with more threads
        row = run_member(ensemble.MemberTask(str(d), "main", False, m))
        assert row["status"] == "ok"
        assert all(p["num_threads"] == 1 for p in threadpool_info() if p["user_api"] == "blas")


def test_supply_only_members_reuse_the_sheltering_and_match_cold_plans(tmp_path, monkeypatch):
    """Members that draw only supply inputs (trucks, closures) share the first member's sheltering (displacement to
    the move: not computed again) and give the key results of a cold plan of the same drawn scenario."""
    from reliefplan import pipeline
    from reliefplan.pipeline import run

    unc = {"parameters": {k: UNC["parameters"][k] for k in ("tpd",)}, "closures": UNC["closures"]}
    folder = _dir(tmp_path, unc)
    base = load_scenario(folder, "main")
    members = ensemble.draw_members(base, 4, seed=3)
    assert len({ensemble.shelter_inputs(m) for m in members}) == 1
    calls = []
    real = pipeline.shelter
    monkeypatch.setattr(pipeline, "shelter", lambda *a, **k: calls.append(1) or real(*a, **k))
    monkeypatch.setattr(ensemble_member, "_SHELTERED", [])
    from reliefplan.stages.travel import TravelCache

    cache = TravelCache()
    for m in members:
        warm = ensemble.key_results(ensemble.plan_member(base, cache, m).plan)
        cold = ensemble.key_results(run(ensemble.member_scenario(load_scenario(folder, "main"), m), rows=False).plan)
        _same([warm], [cold])
    assert len(calls) == len(members) + 1  # the cold plans' and the first member's: later members reuse it
    # a draw that reaches the sheltering (population) plans it again
    moved = ensemble.draw_members(load_scenario(_dir(tmp_path, UNC, name="all"), "main"), 1, seed=3)[0]
    assert ensemble.shelter_inputs(moved) != ensemble.shelter_inputs(members[0])
    ensemble.plan_member(base, cache, moved)
    assert len(calls) == len(members) + 2


def test_members_without_a_supply_optimum_are_listed_and_read_worse():
    """A member whose supply LP stopped (its wall-clock time limit) stays in every percentile with everything owed
    short, and the summary and headline say how many."""
    from reliefplan.analysis.headline_ensemble import ensemble_lines
    from reliefplan.analysis.sampling import MemberInputs

    rows = [
        {"member": i, "status": "ok", "conserved": True, "supply_status": s, "first_shortfall_day.water": d}
        for i, (s, d) in enumerate([("optimal", None), ("optimal", 12.0), ("time limit reached", 0.0)])
    ]
    summary = ensemble.summarise(rows, [MemberInputs(index=i) for i in range(3)], DAYS)
    assert summary["supply_not_optimal"] == [{"member": 2, "supply_status": "time limit reached"}]
    assert summary["outcomes"]["first_shortfall_day.water"]["p_shortfall"] == 2 / 3  # the stopped one counts short
    assert any("stopped without an optimum (time limit?) in 1 of 3 members" in line for line in ensemble_lines(summary))
    rows[2]["supply_status"] = "optimal"
    assert ensemble.summarise(rows, [MemberInputs(index=i) for i in range(3)], DAYS)["supply_not_optimal"] == []
