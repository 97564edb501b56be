"""Lagrangian branch-and-bound for the CFLP: brute force on small instances, OR-Library optima."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linprog

from reliefplan.solvers.cflp.bnb import lagrangian_bnb
from reliefplan.solvers.orlib import read_orlib_cap

DATA = Path(__file__).resolve().parent / "data" / "siting"
ORLIB_OPTIMA = {"cap41": 1040444.375, "cap71": 932615.750, "cap131": 793439.562}


def _random_instance(
    seed: int, n_c: int = 12, n_f: int = 7, ratio: float = 2.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    pc, pf = rng.uniform(0, 100, (n_c, 2)), rng.uniform(0, 100, (n_f, 2))
    demand = rng.integers(5, 40, n_c).astype(float)
    cap = rng.uniform(10, 60, n_f)
    cap = np.floor(cap * ratio * demand.sum() / cap.sum())
    dist = np.hypot(pc[:, None, 0] - pf[None, :, 0], pc[:, None, 1] - pf[None, :, 1])
    fixed = rng.uniform(200, 900, n_f) * np.sqrt(cap / cap.mean())
    return dist * demand[:, None], demand, cap, fixed


def _brute_force(cost: np.ndarray, demand: np.ndarray, cap: np.ndarray, fixed: np.ndarray) -> float:
    """Optimum over every open set, each allocated by scipy's LP (an independent solver)."""
    n_c, n_f = cost.shape
    best = np.inf
    for bits in itertools.product([0, 1], repeat=n_f):
        y = np.array(bits, bool)
        if cap[y].sum() < demand.sum():
            continue
        cols = np.flatnonzero(y)
        k = cols.size
        # x[i, c] = fraction of client i served by open facility cols[c]
        a_eq = np.kron(np.eye(n_c), np.ones((1, k)))
        a_ub = np.zeros((k, n_c * k))
        for c in range(k):
            a_ub[c, c::k] = demand
        res = linprog(
            cost[:, cols].ravel(),
            A_ub=a_ub,
            b_ub=cap[cols],
            A_eq=a_eq,
            b_eq=np.ones(n_c),
            bounds=(0, 1),
            method="highs",
        )
        if res.status == 0:
            best = min(best, res.fun + fixed[y].sum())
    return float(best)


@pytest.mark.parametrize("seed", range(6))
def test_matches_brute_force(seed: int) -> None:
    cost, demand, cap, fixed = _random_instance(seed, ratio=1.3 + 0.4 * (seed % 3))
    opt = _brute_force(cost, demand, cap, fixed)
    r = lagrangian_bnb(cost, demand, cap, fixed, time_limit_s=10.0, gap=0.0)
    assert r.status == "optimal"
    assert r.bound <= opt * (1 + 1e-9)
    assert r.objective == pytest.approx(opt, rel=1e-7)
    assert r.y is not None and cap[r.y].sum() >= demand.sum()
    # with a 5 % gap the plan is within 5 % and the bound still below the optimum
    r5 = lagrangian_bnb(cost, demand, cap, fixed, time_limit_s=10.0, gap=0.05)
    assert r5.bound <= opt * (1 + 1e-9)
    assert r5.objective <= opt * 1.05 + 1e-6
    assert r5.gap <= 0.05 + 1e-9


def test_bound_valid_when_stopped_early() -> None:
    cost, demand, cap, fixed = _random_instance(11, n_c=14, n_f=9, ratio=1.5)
    opt = _brute_force(cost, demand, cap, fixed)
    r = lagrangian_bnb(cost, demand, cap, fixed, time_limit_s=0.0, gap=0.0)
    assert r.bound <= opt * (1 + 1e-9)
    assert r.objective >= opt * (1 - 1e-9)
    for _t, obj, bnd in r.history:
        assert bnd <= opt * (1 + 1e-9) <= obj * (1 + 1e-9) + 1e-9


def test_start_plan_is_kept_when_optimal() -> None:
    cost, demand, cap, fixed = _random_instance(3)
    opt = _brute_force(cost, demand, cap, fixed)
    r = lagrangian_bnb(
        cost, demand, cap, fixed, time_limit_s=10.0, gap=0.0, start_open=np.ones(cap.size, bool), start_objective=opt
    )
    assert r.objective == pytest.approx(opt, rel=1e-7)
    assert r.status == "optimal"


def test_too_little_capacity_is_infeasible() -> None:
    cost, demand, cap, fixed = _random_instance(0)
    r = lagrangian_bnb(cost, demand, cap * demand.sum() / cap.sum() * 0.9, fixed, time_limit_s=1.0)
    assert r.status == "infeasible"
    assert r.y is None


@pytest.mark.parametrize("name", sorted(ORLIB_OPTIMA))
def test_orlib_optima(name: str) -> None:
    inst = read_orlib_cap(DATA / f"{name}.txt")
    r = lagrangian_bnb(inst.cost, inst.demand, inst.capacity, inst.fixed_cost, time_limit_s=15.0, gap=0.0)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(ORLIB_OPTIMA[name], abs=1e-2)
    assert r.bound <= ORLIB_OPTIMA[name] + 1e-2
    assert r.gap <= 1e-6


def test_zero_demand_clients_and_forbidden_arcs() -> None:
    cost, demand, cap, fixed = _random_instance(4)
    opt = _brute_force(cost, demand, cap, fixed)
    # a client with no demand changes nothing
    r = lagrangian_bnb(
        np.vstack([cost, np.full((1, cap.size), 5.0)]), np.append(demand, 0.0), cap, fixed, time_limit_s=10.0, gap=0.0
    )
    assert r.objective == pytest.approx(opt, rel=1e-7)
    # a client that may use no facility makes the instance infeasible
    blocked = cost.copy()
    blocked[0] = np.inf
    assert lagrangian_bnb(blocked, demand, cap, fixed, time_limit_s=1.0).status == "infeasible"
    # forbidding arcs (inf cost) is respected: compare with a huge finite cost on the same arcs
    forb = cost.copy()
    forb[1, :3] = np.inf
    big = cost.copy()
    big[1, :3] = 1e9
    r_forb = lagrangian_bnb(forb, demand, cap, fixed, time_limit_s=10.0, gap=0.0)
    assert r_forb.objective == pytest.approx(_brute_force(big, demand, cap, fixed), rel=1e-7)


def test_near_arc_values_match_full_values() -> None:
    from reliefplan.solvers.cflp.bnb import _facility_values_near, _near_arcs
    from reliefplan.solvers.cflp.lagrange import facility_values

    cost, demand, cap, fixed = _random_instance(5, n_c=30, n_f=12)
    near, near_cost, nxt = _near_arcs(cost, 4)
    rng = np.random.default_rng(0)
    for _ in range(20):
        lam = nxt * rng.uniform(0.3, 1.0, nxt.size)  # no client prices a dropped arc below lam
        v_full, (_, _, f_full) = facility_values(cost, demand, cap, fixed, lam)
        v_near, (_, _, f_near) = _facility_values_near(near, near_cost, demand, cap, fixed, lam)
        np.testing.assert_allclose(v_near, v_full, rtol=1e-12, atol=1e-9)
        assert f_near.sum() == pytest.approx(f_full.sum())


@pytest.mark.parametrize("seed", range(3))
def test_few_near_arcs_still_exact(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """With 2 near arcs per client most iterations fall back to the full knapsacks: same optimum."""
    import reliefplan.solvers.cflp.bnb as bnb

    monkeypatch.setattr(bnb, "_NEAR_M", 2)
    cost, demand, cap, fixed = _random_instance(20 + seed, ratio=1.5)
    opt = _brute_force(cost, demand, cap, fixed)
    r = bnb.lagrangian_bnb(cost, demand, cap, fixed, time_limit_s=10.0, gap=0.0)
    assert r.status == "optimal"
    assert r.bound <= opt * (1 + 1e-9)
    assert r.objective == pytest.approx(opt, rel=1e-7)
