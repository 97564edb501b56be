"""Siting (capacitated facility location): optimality against brute force, independent solvers and
OR-Library optima; conservation of people; bad input."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from reliefplan._errors import InputError
from reliefplan.solvers import siting
from reliefplan.solvers.cflp.lagrange import choose_open, facility_values, lagrangian
from reliefplan.solvers.cflp.mip import solve_mip
from reliefplan.solvers.orlib import read_orlib_cap
from reliefplan.solvers.siting import (
    SitingInstance,
    default_unmet_penalty,
    instance_from_json,
    read_instance_file,
    result_to_json,
    solve_siting,
)

DATA = Path(__file__).parent / "data" / "siting"

# Beasley, OR-Library capopt (capacitated warehouse location, splittable demand).
ORLIB_OPTIMA = {"cap41": 1040444.375, "cap71": 932615.750, "cap131": 793439.562}


def random_instance(
    n_c: int, n_f: int, seed: int, *, ratio: float = 1.6, fixed: bool = True, **kw: object
) -> SitingInstance:
    rng = np.random.default_rng(seed)
    pc, pf = rng.uniform(0, 100, (n_c, 2)), rng.uniform(0, 100, (n_f, 2))
    demand = rng.integers(5, 60, n_c).astype(float)
    cap = rng.uniform(0.5, 1.5, n_f)
    cap = np.floor(cap * ratio * demand.sum() / cap.sum())
    dist = np.hypot(pc[:, None, 0] - pf[None, :, 0], pc[:, None, 1] - pf[None, :, 1])
    fc = rng.uniform(200, 900, n_f) if fixed else np.zeros(n_f)
    return SitingInstance(
        [f"f{j}" for j in range(n_f)], cap, fc, [f"c{i}" for i in range(n_c)], demand, dist * demand[:, None], **kw
    )  # type: ignore[arg-type]


def lp_allocation(inst: SitingInstance, open_set: np.ndarray) -> float:
    """Optimal fractional allocation cost for a fixed open set (scipy linprog), inf if infeasible."""
    n_c, n_f = inst.cost.shape
    usable = np.isfinite(inst.cost) & open_set[None, :]
    if inst.allowed is not None:
        usable &= inst.allowed
    ii, jj = np.nonzero(usable)
    pen = inst.unmet_penalty
    n_x = ii.size
    n_col = n_x + (n_c if pen is not None else 0)
    if n_col == 0:
        return np.inf
    c = np.concatenate([inst.cost[ii, jj]] + ([pen * inst.demand] if pen is not None else []))
    a_eq = np.zeros((n_c, n_col))
    a_eq[ii, np.arange(n_x)] = 1.0
    if pen is not None:
        a_eq[np.arange(n_c), n_x + np.arange(n_c)] = 1.0
    a_ub = np.zeros((n_f, n_col))
    a_ub[jj, np.arange(n_x)] = inst.demand[ii]
    res = linprog(c, A_ub=a_ub, b_ub=inst.capacity, A_eq=a_eq, b_eq=np.ones(n_c), bounds=(0, 1), method="highs")
    return float(res.fun) if res.status == 0 else np.inf


def brute_force(inst: SitingInstance) -> float:
    """Enumerate every open set; return the optimum (inf if none is feasible)."""
    n_f = len(inst.facility_ids)
    best = np.inf
    for bits in itertools.product([False, True], repeat=n_f):
        s = np.array(bits)
        if inst.must_open is not None and np.any(inst.must_open & ~s):
            continue
        if inst.never_open is not None and np.any(inst.never_open & s):
            continue
        if inst.min_open is not None and s.sum() < inst.min_open:
            continue
        if inst.max_open is not None and s.sum() > inst.max_open:
            continue
        best = min(best, float(inst.fixed_cost @ s) + lp_allocation(inst, s))
    return best


def scipy_milp(inst: SitingInstance) -> float:
    """Independent MILP (scipy.optimize.milp, weak formulation) of the same objective."""
    n_c, n_f = inst.cost.shape
    ii, jj = np.nonzero(np.isfinite(inst.cost) & (True if inst.allowed is None else inst.allowed))
    n_x = ii.size
    pen = inst.unmet_penalty
    n_u = n_c if pen is not None else 0
    n_col = n_x + n_f + n_u
    c = np.concatenate([inst.cost[ii, jj], inst.fixed_cost] + ([pen * inst.demand] if pen is not None else []))
    rows = []
    lo, hi = [], []
    dem = np.zeros((n_c, n_col))
    dem[ii, np.arange(n_x)] = 1
    if pen is not None:
        dem[np.arange(n_c), n_x + n_f + np.arange(n_c)] = 1
    rows.append(dem)
    lo += [1.0] * n_c
    hi += [1.0] * n_c
    cap = np.zeros((n_f, n_col))
    cap[jj, np.arange(n_x)] = inst.demand[ii]
    cap[np.arange(n_f), n_x + np.arange(n_f)] = -inst.capacity
    rows.append(cap)
    lo += [-np.inf] * n_f
    hi += [0.0] * n_f
    if inst.min_open is not None or inst.max_open is not None:
        card = np.zeros((1, n_col))
        card[0, n_x : n_x + n_f] = 1
        rows.append(card)
        lo.append(inst.min_open if inst.min_open is not None else -np.inf)
        hi.append(inst.max_open if inst.max_open is not None else np.inf)
    integrality = np.zeros(n_col)
    integrality[n_x : n_x + n_f] = 1
    if inst.single_source:
        integrality[:n_x] = 1
    ub = np.ones(n_col)
    lb = np.zeros(n_col)
    if inst.must_open is not None:
        lb[n_x : n_x + n_f][inst.must_open] = 1
    if inst.never_open is not None:
        ub[n_x : n_x + n_f][inst.never_open] = 0
    res = milp(
        c,
        constraints=LinearConstraint(np.vstack(rows), lo, hi),
        integrality=integrality,
        bounds=Bounds(lb, ub),
        options={"mip_rel_gap": 1e-9},
    )
    return float(res.fun) if res.status == 0 else np.inf


def check_plan(inst: SitingInstance, r) -> None:  # r: SitingResult
    """People are conserved, capacities and allowed pairs respected, objective recomputes."""
    assigned = np.bincount(r.assign_client, weights=r.assign_people, minlength=len(inst.client_ids))
    np.testing.assert_allclose(assigned + r.unmet_people, inst.demand, atol=1e-6)
    assert np.all(r.unmet_people >= -1e-9)
    per_fac = np.bincount(r.assign_facility, weights=r.assign_people, minlength=len(inst.facility_ids))
    assert np.all(per_fac <= inst.capacity + 1e-6)
    np.testing.assert_allclose(per_fac, r.facility_people, atol=1e-6)
    assert np.all(r.open_mask[r.assign_facility])
    if inst.allowed is not None:
        assert np.all(inst.allowed[r.assign_client, r.assign_facility])
    obj = (
        inst.fixed_cost @ r.open_mask
        + r.assign_fraction @ inst.cost[r.assign_client, r.assign_facility]
        + (inst.unmet_penalty or 0.0) * r.unmet_people.sum()
    )
    assert obj == pytest.approx(r.objective, rel=1e-9)
    assert r.bound <= r.objective + 1e-6 * abs(r.objective)


# ------------------------------------------------------------------------------ known optima


@pytest.mark.parametrize("name", sorted(ORLIB_OPTIMA))
def test_orlib_instances_reach_published_optimum(name: str) -> None:
    inst = read_orlib_cap(DATA / f"{name}.txt")
    r = solve_siting(inst, time_limit_s=60)
    assert r.status == "optimal"
    # published optima are given to 3 decimals
    assert r.objective == pytest.approx(ORLIB_OPTIMA[name], abs=1e-3)
    assert r.gap <= 1e-6
    check_plan(inst, r)
    # whole people: every flow is an integer and demand is conserved exactly
    np.testing.assert_array_equal(r.assign_people, np.rint(r.assign_people))
    assert r.unmet_people.sum() == 0


def test_orlib_reader_shapes() -> None:
    inst = read_orlib_cap(DATA / "cap131.txt")
    assert inst.cost.shape == (50, 50)
    assert inst.demand.sum() == 58268
    assert (inst.fixed_cost == 0).sum() == 1


# ------------------------------------------------------------------------------ brute force


@pytest.mark.parametrize("seed", range(6))
def test_brute_force_small(seed: int) -> None:
    inst = random_instance(9, 6, seed, ratio=1.3 + 0.2 * seed)
    r = solve_siting(inst, time_limit_s=20)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(brute_force(inst), rel=1e-7)
    check_plan(inst, r)


def test_brute_force_with_masks_limits_and_unmet() -> None:
    base = random_instance(10, 6, 42, ratio=0.8)  # over-full: 80 % of demand fits
    rng = np.random.default_rng(1)
    allowed = rng.random(base.cost.shape) < 0.7
    must = np.array([True, False, False, False, False, False])
    never = np.array([False, False, False, False, False, True])
    inst = SitingInstance(
        base.facility_ids,
        base.capacity,
        base.fixed_cost,
        base.client_ids,
        base.demand,
        base.cost,
        allowed=allowed,
        must_open=must,
        never_open=never,
        max_open=4,
        unmet_penalty=default_unmet_penalty(base.cost, base.demand),
    )
    r = solve_siting(inst, time_limit_s=20)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(brute_force(inst), rel=1e-7)
    assert r.open_mask[0] and not r.open_mask[5] and r.open_mask.sum() <= 4
    assert r.unmet_people.sum() > 0
    check_plan(inst, r)


def test_min_open_against_brute_force() -> None:
    base = random_instance(8, 6, 3, ratio=3.0)
    inst = SitingInstance(
        base.facility_ids, base.capacity, base.fixed_cost, base.client_ids, base.demand, base.cost, min_open=4
    )
    r = solve_siting(inst, time_limit_s=20)
    assert r.open_mask.sum() >= 4
    assert r.objective == pytest.approx(brute_force(inst), rel=1e-7)


# ------------------------------------------------------------------------------ bounds are valid


def _arcs(inst: SitingInstance) -> tuple[np.ndarray, np.ndarray]:
    return np.nonzero(np.isfinite(inst.cost) & (True if inst.allowed is None else inst.allowed))


@pytest.mark.parametrize("seed", range(8))
def test_lagrangian_bound_never_exceeds_brute_force(seed: int) -> None:
    ratio = [0.8, 1.1, 1.4, 3.0][seed % 4]
    inst = random_instance(9, 6, 100 + seed, ratio=ratio)
    pen = default_unmet_penalty(inst.cost, inst.demand) if ratio < 1 else None
    lim = {"max_open": 3} if seed % 3 == 1 else ({"min_open": 4} if seed % 3 == 2 else {})
    inst = SitingInstance(
        inst.facility_ids,
        inst.capacity,
        inst.fixed_cost,
        inst.client_ids,
        inst.demand,
        inst.cost,
        unmet_penalty=pen,
        **lim,
    )  # type: ignore[arg-type]
    exact = brute_force(inst)
    n_f = len(inst.facility_ids)
    none = np.zeros(n_f, bool)
    lag = lagrangian(
        inst.cost,
        inst.demand,
        inst.capacity,
        inst.fixed_cost,
        none,
        none,
        inst.min_open,
        inst.max_open,
        pen,
        lambda _y: exact,
        max_iter=300,
    )
    assert lag.bound <= exact * (1 + 1e-9)
    # the bound is at least the bound of its own multipliers recomputed from scratch (no bookkeeping slip)
    value, _ = facility_values(inst.cost, inst.demand, inst.capacity, inst.fixed_cost, lag.lam)
    cover = float(inst.demand.sum()) if pen is None and not lim else None
    _y, y_value = choose_open(value, inst.capacity, none, none, inst.min_open, inst.max_open, cover)
    again = lag.lam.sum() + y_value + (np.minimum(0.0, pen * inst.demand - lag.lam).sum() if pen else 0.0)
    assert again == pytest.approx(lag.bound, rel=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_lp_relaxation_and_far_column_relaxation_are_lower_bounds(seed: int) -> None:
    inst = random_instance(12, 7, 200 + seed, ratio=1.2 + 0.3 * seed)
    exact = brute_force(inst)
    ai, aj = _arcs(inst)
    n_f = len(inst.facility_ids)
    args = (
        inst.demand,
        inst.capacity,
        inst.fixed_cost,
        np.zeros(n_f),
        np.ones(n_f),
        None,
        None,
        None,
        False,
        20.0,
        1e-9,
    )
    lp = solve_mip(ai, aj, inst.cost[ai, aj], *args, None, relax=True)
    assert lp.status == "optimal" and lp.bound <= exact * (1 + 1e-9)
    full = solve_mip(ai, aj, inst.cost[ai, aj], *args, None)
    assert full.status == "optimal" and full.objective == pytest.approx(exact, rel=1e-7)
    assert lp.bound <= full.bound * (1 + 1e-9)
    # keep each client's 2 cheapest sites; the rest becomes one capacity-free "far" column per client
    rank = np.argsort(np.argsort(inst.cost, axis=1), axis=1)
    near = rank[ai, aj] < 2
    far = np.where(rank >= 2, inst.cost, np.inf).min(axis=1)
    rel = solve_mip(ai[near], aj[near], inst.cost[ai[near], aj[near]], *args, None, far_cost=far)
    assert rel.status == "optimal"
    assert rel.bound <= exact * (1 + 1e-9)
    assert rel.far is not None and rel.far.shape == (12,)
    if not np.any(rel.far > 1e-9):  # a relaxed plan that needs no far column is a plan of the full instance
        assert rel.objective == pytest.approx(exact, rel=1e-7)


@pytest.mark.parametrize("seed", range(4))
def test_restricted_milp_bound_and_gap_are_honest(seed: int, monkeypatch) -> None:
    monkeypatch.setattr(siting.search, "_BNB_SHARE", 0.0)  # the HiGHS path, not the branch-and-bound
    inst = random_instance(30, 10, 300 + seed, ratio=1.3)
    exact = scipy_milp(inst)
    r = solve_siting(inst, time_limit_s=30, arc_limit=60)  # 3 sites per client + far columns
    assert "relaxed far column" in r.message
    assert r.bound <= exact * (1 + 1e-9) <= r.objective * (1 + 2e-9)
    assert r.gap == pytest.approx((r.objective - r.bound) / r.objective, abs=1e-12)
    if r.status == "optimal":
        assert r.objective == pytest.approx(exact, rel=1e-6)
    check_plan(inst, r)


@pytest.mark.parametrize("seed, variant", [(0, "plain"), (1, "plain"), (2, "penalty"), (3, "never"), (4, "allowed")])
def test_branch_and_bound_path_matches_scipy_milp(seed: int, variant: str) -> None:
    """Plain instances above the small size go to the Lagrangian branch-and-bound (arc_limit forces it here)."""
    kw: dict = {}
    rng = np.random.default_rng(seed)
    if variant == "penalty":  # over-full: some people stay unserved at the penalty
        kw["unmet_penalty"] = 150.0
    if variant == "never":
        kw["never_open"] = rng.random(10) < 0.3
    base = random_instance(35, 10, 500 + seed, ratio={"penalty": 0.8, "never": 3.0}.get(variant, 1.5))
    if variant == "allowed":
        kw["allowed"] = base.cost / base.demand[:, None] <= np.quantile(base.cost / base.demand[:, None], 0.7)
    inst = SitingInstance(
        base.facility_ids, base.capacity, base.fixed_cost, base.client_ids, base.demand, base.cost, **kw
    )
    r = solve_siting(inst, time_limit_s=30, arc_limit=50)
    exact = scipy_milp(inst)
    assert r.solver == "lagrangian-bnb" and r.status == "optimal"
    assert r.objective == pytest.approx(exact, rel=1e-6)
    assert r.bound <= exact * (1 + 1e-9)
    if variant == "never":
        assert not np.any(r.open_mask & inst.never_open)
    check_plan(inst, r)


def test_integral_lp_relaxation_is_reported_as_highs_lp() -> None:
    inst = read_orlib_cap(DATA / "cap71.txt")
    r = solve_siting(inst)
    assert r.solver == "highs-lp" and r.status == "optimal"
    assert r.bound == pytest.approx(ORLIB_OPTIMA["cap71"], abs=1e-3)
    check_plan(inst, r)


# ------------------------------------------------------------------------------ independent MIP


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_single_source_against_scipy_milp(seed: int) -> None:
    inst = random_instance(25, 8, seed, ratio=1.5, single_source=True)
    r = solve_siting(inst, time_limit_s=30)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(scipy_milp(inst), rel=1e-6)
    # each client wholly at one facility
    assert np.all(np.isin(r.assign_fraction, [1.0]))
    assert np.unique(r.assign_client).size == r.assign_client.size == 25
    check_plan(inst, r)


def test_medium_against_scipy_milp() -> None:
    inst = random_instance(40, 12, 7, ratio=1.4)
    r = solve_siting(inst, time_limit_s=30)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(scipy_milp(inst), rel=1e-6)
    check_plan(inst, r)


def test_restricted_milp_keeps_a_valid_bound(monkeypatch) -> None:
    monkeypatch.setattr(siting.search, "_BNB_SHARE", 0.0)
    inst = random_instance(40, 12, 11, ratio=1.4)
    exact = scipy_milp(inst)
    r = solve_siting(inst, time_limit_s=30, arc_limit=100)  # forces the nearest-sites MILP
    assert "relaxed far column" in r.message
    assert r.bound <= exact * (1 + 1e-9)
    assert r.objective >= exact * (1 - 1e-9)
    assert r.status in ("optimal", "feasible")
    check_plan(inst, r)


# ------------------------------------------------------------------------------ transportation


def test_transportation_matches_linprog_with_whole_people() -> None:
    inst = random_instance(60, 7, 5, ratio=1.2, fixed=False)
    r = solve_siting(inst)
    assert r.solver == "ortools-min-cost-flow"
    assert r.status == "optimal"
    assert r.objective == pytest.approx(lp_allocation(inst, np.ones(7, bool)), rel=1e-8)
    np.testing.assert_array_equal(r.assign_people, np.rint(r.assign_people))
    check_plan(inst, r)


def test_transportation_fractional_demand_uses_lp() -> None:
    base = random_instance(20, 5, 6, ratio=1.2, fixed=False)
    inst = SitingInstance(
        base.facility_ids, base.capacity, base.fixed_cost, base.client_ids, base.demand + 0.5, base.cost
    )
    r = solve_siting(inst)
    assert r.solver == "highs-lp"
    assert r.objective == pytest.approx(lp_allocation(inst, np.ones(5, bool)), rel=1e-8)
    check_plan(inst, r)


def test_over_full_gives_unmet_people_exactly() -> None:
    # two sites of 100 people, three zones of 80: 40 people cannot be sheltered
    inst = SitingInstance(
        ["a", "b"],
        np.array([100.0, 100.0]),
        np.zeros(2),
        ["z1", "z2", "z3"],
        np.array([80.0, 80.0, 80.0]),
        np.array([[80.0, 800.0], [160.0, 160.0], [800.0, 80.0]]),
        unmet_penalty=50.0,
    )
    r = solve_siting(inst)
    assert r.status == "optimal"
    assert r.unmet_people.sum() == 40
    np.testing.assert_array_equal(r.facility_people, [100, 100])
    # z1 and z3 go home-site (1 per person), z2 splits 20/20 at 2 per person, 40 unmet at 50
    assert r.objective == pytest.approx(80 + 80 + 40 * 2 + 40 * 50)
    check_plan(inst, r)


def test_over_full_without_penalty_is_infeasible_result() -> None:
    inst = SitingInstance(["a"], np.array([10.0]), np.array([5.0]), ["z"], np.array([20.0]), np.array([[1.0]]))
    r = solve_siting(inst)
    assert r.status == "infeasible"
    assert "exceeds total capacity" in r.message
    assert r.unmet_people.sum() == 20


def test_hand_calculation_opening_decision() -> None:
    # one zone of 100: site a costs 1000 to open and 1/person, site b 0 to open and 20/person
    inst = SitingInstance(
        ["a", "b"],
        np.array([100.0, 100.0]),
        np.array([1000.0, 0.0]),
        ["z"],
        np.array([100.0]),
        np.array([[100.0, 2000.0]]),
    )
    r = solve_siting(inst)
    assert r.open_ids == ["a"] and r.objective == pytest.approx(1100.0)
    inst2 = SitingInstance(
        ["a", "b"],
        np.array([100.0, 100.0]),
        np.array([3000.0, 0.0]),
        ["z"],
        np.array([100.0]),
        np.array([[100.0, 2000.0]]),
    )
    r2 = solve_siting(inst2)
    assert r2.open_ids == ["b"] and r2.objective == pytest.approx(2000.0)


# ------------------------------------------------------------------------------ JSON and CLI


def write(tmp_path: Path, obj: object) -> Path:
    p = tmp_path / "instance.json"
    p.write_text(json.dumps(obj))
    return p


def test_json_round_trip_issue_example(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        {
            "facilities": [{"id": "f1", "capacity": 5000, "fixed_cost": 7500.0}],
            "clients": [{"id": "c1", "demand": 146}],
            "cost": [[1234.5]],
            "single_source": False,
        },
    )
    inst = read_instance_file(p)
    out = result_to_json(solve_siting(inst), inst)
    assert out["status"] == "optimal"
    assert out["objective"] == pytest.approx(7500.0 + 1234.5)
    assert out["open"] == ["f1"]
    assert out["assignment"] == [{"client": "c1", "facility": "f1", "fraction": 1.0, "people": 146.0}]
    assert out["gap"] == 0.0


def test_cli_solve_siting(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from reliefplan.cli import app

    p = write(
        tmp_path,
        {
            "facilities": [{"id": "a", "capacity": 100}, {"id": "b", "capacity": 100}],
            "clients": [{"id": "z1", "demand": 150}],
            "cost": [[150, 300]],
            "unmet_penalty": None,
        },
    )
    res = CliRunner().invoke(app, ["solve-siting", str(p), "--time-limit", "5"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["status"] == "optimal" and out["objective"] == pytest.approx(100 + 50 * 2)
    assert sorted(out["open"]) == ["a", "b"]


def test_default_penalty_turns_over_full_into_unmet(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        {"facilities": [{"id": "a", "capacity": 100}], "clients": [{"id": "z", "demand": 150}], "cost": [[300]]},
    )
    inst = read_instance_file(p)
    assert inst.unmet_penalty == pytest.approx(10 * 2.0)
    r = solve_siting(inst)
    assert r.status == "optimal" and r.unmet_people.sum() == 50


def test_bad_input_lists_every_problem(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        {
            "facilities": [
                {"id": "f1", "capacity": -5},
                {"id": "f1", "capacity": 10},
                {"id": "f3", "capacity": 10, "fixed_cost": -1},
            ],
            "clients": [{"id": "c1", "demand": -3}, {"id": "c2", "demand": 4}, {"id": "c2", "demand": 1}],
            "cost": [[1, 2, 3], [1, 2], [1, "x", 3]],
        },
    )
    with pytest.raises(InputError) as e:
        read_instance_file(p)
    text = str(e.value)
    for needle in (
        "facilities[0] (f1), field 'capacity'",
        "facilities[1], field 'id'",
        "facilities[2] (f3), field 'fixed_cost'",
        "clients[0] (c1), field 'demand'",
        "clients[2], field 'id'",
        "cost row 1 (c2)",
        "cost[2][1]",
    ):
        assert needle in text, needle
    assert all(pr.file == str(p) for pr in e.value.problems)


def test_bad_input_nan_inf_and_shape() -> None:
    text = '{"facilities": [{"id": "a", "capacity": 1}], "clients": [{"id": "z", "demand": 1}, {"id": "y", "demand": 1}], "cost": [[NaN], [Infinity], [1]]}'
    with pytest.raises(InputError) as e:
        instance_from_json(json.loads(text), "x.json")
    msgs = [str(p) for p in e.value.problems]
    assert any("cost[0][0]" in m for m in msgs) and any("cost[1][0]" in m for m in msgs)
    assert any("expected 2 rows" in m for m in msgs)
    with pytest.raises(InputError):
        solve_siting(
            SitingInstance(["a"], np.array([1.0]), np.array([0.0]), ["z"], np.array([1.0]), np.array([[1.0, 2.0]]))
        )
    with pytest.raises(InputError):
        solve_siting(
            SitingInstance(["a"], np.array([np.nan]), np.array([0.0]), ["z"], np.array([1.0]), np.array([[1.0]]))
        )


def test_missing_and_invalid_json_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        read_instance_file(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="invalid JSON at line 1"):
        read_instance_file(bad)


def test_cli_bad_input_exit_code(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from reliefplan.cli import app

    p = write(
        tmp_path, {"facilities": [{"id": "a", "capacity": -1}], "clients": [{"id": "z", "demand": 1}], "cost": [[1, 2]]}
    )
    res = CliRunner().invoke(app, ["solve-siting", str(p)])
    assert res.exit_code == 2
    assert "capacity" in res.output and "cost row 0" in res.output


def test_short_time_limit_still_reports_an_honest_plan() -> None:
    inst = random_instance(150, 25, 9, ratio=1.5)
    r = solve_siting(inst, time_limit_s=0.3)
    assert r.status in ("optimal", "time_limit", "feasible")
    assert np.isfinite(r.objective) and r.bound <= r.objective
    assert r.gap == pytest.approx((r.objective - r.bound) / r.objective)
    check_plan(inst, r)
