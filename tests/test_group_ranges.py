"""How determined each group's share is when supplies are short (`solvers/supply/ranges.py`): the least and the most
of a group's figure over the supply LP's equally good plans, against hand calculations and scipy's linprog."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import write_scenario
from scipy.optimize import linprog
from test_supply_sifting import _random_instance
from test_supply_warm import _member

from reliefplan.solvers.supply import Arc, Commodity, EntryPoint, Site, SupplyInstance, SupplyResult, solve_supply
from reliefplan.solvers.supply.ranges import FACE_TOL, face_ranges, face_rows


def _two_sites(sharing: str, cap_a: float | None = None, cap_b: float | None = None, days: int = 3) -> SupplyInstance:
    """One crossing of 10 t/day shared by group a at site A (8 t/day of water) and group b at site B (6 t/day),
    no storage: 4 t short every day."""
    return SupplyInstance(
        days=days,
        commodities=[Commodity("water", 1.0)],
        entry_points=[EntryPoint("ks", capacity_t_per_day=10.0)],
        warehouses=[],
        sites=[
            Site(
                "A", demand_t={}, groups={"a": {"water": [8.0] * days}}, group_people={"a": [800.0] * days}, storage_t=0
            ),
            Site(
                "B", demand_t={}, groups={"b": {"water": [6.0] * days}}, group_people={"b": [600.0] * days}, storage_t=0
            ),
        ],
        arcs=[Arc("ks", "A", capacity_t_per_day=cap_a), Arc("ks", "B", capacity_t_per_day=cap_b)],
        sharing=sharing,
        group_priority=("a", "b"),
    )


def _consumed_weights(res: SupplyResult, group: str, commodity: str = "water") -> np.ndarray:
    """Weights over the report cells' shortfall whose product is the group's horizon shortfall (t)."""
    assert res.cell_demand_t is not None
    K, Q, T = res.cell_demand_t.shape
    v = np.zeros((K, Q, T))
    v[res.commodity_ids.index(commodity), np.flatnonzero(np.array(res.cell_group) == group)] = 1.0
    return v.ravel()


def _consumed_range(inst: SupplyInstance, group: str, deep_factor: float = 1.0) -> tuple[float, float, float]:
    """(least, reported, most) t of water the group consumes over the horizon."""
    keep: dict = {}
    res = solve_supply(inst, keep=keep, deep_factor=deep_factor)
    assert res.status == "Optimal" and res.cell_demand_t is not None and res.cell_shortfall_t is not None
    w = _consumed_weights(res, group)
    need = float(w @ res.cell_demand_t.ravel())
    fr = face_ranges(inst, keep, sp.csr_matrix(w))
    r = fr.ranges[0]
    assert (r.status_least, r.status_most) == ("Optimal", "Optimal") and fr.solves == 2
    assert r.least is not None and r.most is not None
    return need - r.most, need - float(w @ res.cell_shortfall_t.ravel()), need - r.least


def test_one_scarce_crossing_without_a_policy_any_split_is_equally_deprived():
    # 10 t/day for 14 t/day of need: a gets at least 10 - 6 = 4 t/day and at most its 8 t/day, over 3 days
    least, reported, most = _consumed_range(_two_sites("none"), "a")
    assert least == pytest.approx(12.0, abs=1e-4) and most == pytest.approx(24.0, abs=1e-4)
    assert least - 1e-6 <= reported <= most + 1e-6
    least_b, _, most_b = _consumed_range(_two_sites("none"), "b")
    assert least_b == pytest.approx(6.0, abs=1e-4) and most_b == pytest.approx(18.0, abs=1e-4)


def test_a_convex_shortfall_cost_narrows_the_range():
    # deep_factor 2: a shortfall beyond half a day's need costs twice. The 4 t short stay within the cheap halves
    # (a: 4 t, b: 3 t) in every optimum, so b is short at most 3 t/day: a gets 4 to 7 t/day
    least, reported, most = _consumed_range(_two_sites("none"), "a", deep_factor=2.0)
    assert least == pytest.approx(12.0, abs=1e-4) and most == pytest.approx(21.0, abs=1e-4)
    assert least - 1e-6 <= reported <= most + 1e-6


def test_the_roads_force_the_split_to_one_point():
    # the road to A carries 4 t/day and the one to B 6 t/day: the only plan delivering 10 t/day gives a 4 t/day
    least, reported, most = _consumed_range(_two_sites("none", cap_a=4.0, cap_b=6.0), "a")
    assert least == pytest.approx(12.0, abs=1e-4) and most == pytest.approx(12.0, abs=1e-4)
    assert reported == pytest.approx(12.0, abs=1e-6)


def test_equal_sharing_forces_the_common_share():
    # equal coverage: 10/14 of each need; no further from equal shares than the plan leaves one point
    least, reported, most = _consumed_range(_two_sites("equal"), "a")
    assert reported == pytest.approx(3 * 8 * 10 / 14, abs=1e-6)
    assert least == pytest.approx(reported, abs=1e-4) and most == pytest.approx(reported, abs=1e-4)


def test_priority_sharing_serves_the_first_group_in_every_equally_good_plan():
    # a first: 8 t/day to a, 2 t/day to b, whatever the tie-break; the plain deprivation alone would allow [12, 24]
    least, reported, most = _consumed_range(_two_sites("priority"), "a")
    assert least == pytest.approx(24.0, abs=1e-4) and most == pytest.approx(24.0, abs=1e-4)
    assert reported == pytest.approx(24.0, abs=1e-6)
    assert [n for n, _ in face_rows(_two_sites("priority"), _keep(_two_sites("priority"))["lp"])] == [
        "deprivation",
        "group_weighted",
        "fair_share",
    ]


def _keep(inst: SupplyInstance) -> dict:
    keep: dict = {}
    solve_supply(inst, keep=keep, deep_factor=1.0)
    return keep


def _linprog_range(keep: dict, rows: list[tuple[str, np.ndarray]], c: np.ndarray) -> tuple[float, float]:
    """The least and the most of ``c · x`` over the face, by scipy's linprog on the whole LP (no basis, no compact
    model, no warm start): the face rows at the plan's value plus FACE_TOL of their magnitude."""
    lp = keep["lp"]
    x = np.maximum(keep["x"], 0.0)
    a = np.array([r for _, r in rows])
    rhs = a @ x + FACE_TOL * np.maximum(np.abs(a) @ x, 1.0)
    m = lp.matrix.tocsr()
    eq = lp.row_lower == lp.row_upper
    up = ~eq & np.isfinite(lp.row_upper)
    lo = ~eq & np.isfinite(lp.row_lower)
    a_ub = sp.vstack([m[up], -m[lo], sp.csr_matrix(a)]).tocsr()
    b_ub = np.concatenate([lp.row_upper[up], -lp.row_lower[lo], rhs])
    bounds = np.column_stack([np.zeros(lp.n_col), lp.col_upper])
    bounds = [(0.0, None if not np.isfinite(u) else u) for u in bounds[:, 1]]
    ends = []
    for sign in (1.0, -1.0):
        r = linprog(sign * c, A_ub=a_ub, b_ub=b_ub, A_eq=m[eq], b_eq=lp.row_lower[eq], bounds=bounds, method="highs")
        assert r.status == 0, r.message
        ends.append(float(c @ r.x))
    return ends[0], ends[1]


@pytest.mark.parametrize("seed, sharing", [(1, "equal"), (2, "none"), (3, "priority"), (4, "equal")])
def test_ranges_agree_with_scipy_linprog_and_hold_the_reported_plan(seed, sharing):
    inst = _random_instance(seed, sharing, days=8)
    n = len(inst.sites)
    # groups at the sites: x at every other site, y at all of them
    sites = [
        Site(
            s.id,
            demand_t={},
            groups={"x": s.demand_t, "y": {k: list(np.asarray(v) * 0.5) for k, v in s.demand_t.items()}}
            if i % 2 == 0
            else {"y": s.demand_t},
            storage_t=s.storage_t,
            initial_t=s.initial_t,
        )
        for i, s in enumerate(inst.sites)
    ]
    inst = SupplyInstance(**{**inst.__dict__, "sites": sites, "group_priority": ("y", "x")})
    keep: dict = {}
    res = solve_supply(inst, keep=keep)
    assert res.status == "Optimal" and n >= 3
    figures = [_consumed_weights(res, g, k) for g in ("x", "y") for k in ("water", "tents")]
    fr = face_ranges(inst, keep, sp.csr_matrix(np.array(figures)))
    rows = face_rows(inst, keep["lp"])
    # the tolerance never cuts off the reported plan: its own short figures lie in each range
    short = np.asarray(res.cell_shortfall_t).ravel()
    for w, r in zip(figures, fr.ranges):
        assert r.least is not None and r.most is not None
        assert r.least - 1e-6 <= w @ short <= r.most + 1e-6
        c = keep["lp"].short_map.T @ w
        lo, hi = _linprog_range(keep, rows, c)
        assert r.least == pytest.approx(lo, abs=1e-5 * max(1.0, abs(lo)))
        assert r.most == pytest.approx(hi, abs=1e-5 * max(1.0, abs(hi)))


def test_a_solve_without_an_optimum_is_unknown_not_a_number():
    inst = _random_instance(5, "equal", days=8)
    keep = _keep(inst)
    res_w = np.ones(keep["lp"].short_map.shape[0])
    fr = face_ranges(inst, keep, sp.csr_matrix(res_w), time_limit_s=0.0)
    r = fr.ranges[0]
    assert r.least is None and r.most is None
    assert r.status_least != "Optimal" and r.status_most != "Optimal"


CSV = "id,name,lon,lat,trucks_per_day,payload_t\nKS,Kerem Shalom,34.27056,31.22083,{tpd},20\n"


def test_a_plan_with_group_ranges_reports_each_groups_range_in_its_units(tmp_path):
    from reliefplan.pipeline import make_plan
    from reliefplan.scenario.folder import load_scenario

    d = write_scenario(
        tmp_path, entry_points=CSV.format(tpd=8), config={"horizon_days": 6, "supply": {"group_ranges": True}}
    )
    sc = load_scenario(d, "main")
    sc.layout.enabled = False
    plan = make_plan(sc)
    assert plan.groups is not None and plan.groups.ranges is not None
    rg = plan.groups.ranges
    assert rg.tolerance == FACE_TOL and rg.face == ["deprivation", "fair_share"]
    assert rg.solves == 2 * len(rg.rows)
    summary = {g.group: g for g in plan.groups.summary}
    units = {r.commodity: r.unit for r in rg.rows}
    assert units["water"] == "L/person/day" and units["food"] == "kcal/person/day"
    for r in rg.rows:
        assert r.status_least == r.status_most == "Optimal"
        assert r.least is not None and r.most is not None
        assert r.least - 1e-3 <= r.reported <= r.most + 1e-3
        if r.commodity == "water":
            assert r.reported == pytest.approx(summary[r.group].water_l_per_person_day, abs=2e-3)
        if r.commodity == "food":
            assert r.reported == pytest.approx(summary[r.group].kcal_per_person_day, abs=2e-3)
        if r.unit == "share of need met":
            assert r.reported == pytest.approx(summary[r.group].met_share[r.commodity], abs=2e-6)
    # off by default: no ranges, no extra solves
    sc.supply.group_ranges = False
    assert make_plan(sc).groups.ranges is None


def test_plan_group_ranges_flag_adds_the_range_column_and_the_block(tmp_path):
    from typer.testing import CliRunner

    from reliefplan.cli import app
    from reliefplan.outputs.files import read_plan

    folder = write_scenario(
        tmp_path / "sc", config={"horizon_days": 4, "layout": {"enabled": False}}, entry_points=CSV.format(tpd=8)
    )
    args = ["plan", str(folder), "--scenario", "main", "--out", str(tmp_path / "out"), "--group-ranges"]
    res = CliRunner().invoke(app, args, env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    plan = read_plan(tmp_path / "out" / "plan.json")
    assert plan.groups is not None and plan.groups.ranges is not None and plan.groups.ranges.rows
    assert "range water / kcal" in res.output and "any plan as little deprived" in res.output
    # the report: the ranges as a table with what they mean, and no bar chart mixing L, kcal and shares
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "ranges · rows" in html and "any plan as little deprived as this one" in html
    assert "chart-groups-ranges.rows" not in html
    # without the flag: no range column, and the caption says how to get one
    plain = ["plan", str(folder), "--scenario", "main", "--out", str(tmp_path / "out2")]
    res = CliRunner().invoke(app, plain, env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    assert "range water / kcal" not in res.output and "--group-ranges" in res.output


def test_a_warm_members_ranges_equal_a_cold_plans():
    # a member restarted warm keeps a model of other columns: its ranges start cold, and agree with a cold plan's
    inst = _random_instance(6, "equal", days=8)
    warm: dict = {}
    solve_supply(_member(inst, 1.3, 0.9, 5), warm=warm)  # the last member: the same LP structure
    keep_warm: dict = {}
    res = solve_supply(inst, warm=warm, keep=keep_warm)
    keep_cold = _keep_default(inst)
    assert keep_warm["warm"] and not keep_cold["warm"] and len(warm) == 1
    w = sp.csr_matrix(np.array([_consumed_weights(res, "all", k) for k in ("water", "food")]))
    for a, b in zip(face_ranges(inst, keep_warm, w).ranges, face_ranges(inst, keep_cold, w).ranges):
        assert a.least == pytest.approx(b.least, abs=1e-5) and a.most == pytest.approx(b.most, abs=1e-5)


def _keep_default(inst: SupplyInstance) -> dict:
    keep: dict = {}
    solve_supply(inst, keep=keep)
    return keep


def test_a_plan_whose_supply_lp_did_not_solve_says_so_instead_of_ranges(tmp_path, monkeypatch):
    from reliefplan.pipeline import make_plan
    from reliefplan.scenario.folder import load_scenario
    from reliefplan.solvers.supply import solve as solve_module

    d = write_scenario(
        tmp_path, entry_points=CSV.format(tpd=8), config={"horizon_days": 4, "supply": {"group_ranges": True}}
    )
    sc = load_scenario(d, "main")
    sc.layout.enabled = False
    # HiGHS never runs: the model's status stays 'Not Set', as when a solve ends without an optimum
    monkeypatch.setattr(solve_module, "_sift", lambda lp, h, highspy, held, *a, **k: (held, 0, False))
    plan = make_plan(sc)
    assert plan.supply.status != "optimal"
    rg = plan.groups.ranges
    assert rg is not None and rg.rows == [] and rg.solves == 0 and rg.meaning.startswith("not computed")
