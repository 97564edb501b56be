"""The canonical optimum of a degenerate min-cost flow: the same flow whichever optimum a solver returned (LEMON's
pivot rules, OR-Tools' cost scaling), at the optimal cost, feasible; potentials equal to LEMON's canonical ones."""

from __future__ import annotations

import numpy as np
import pytest

from reliefplan._errors import SolverError
from reliefplan.solvers._mcf import _ortools_min_cost, min_cost_flow
from reliefplan.solvers.canonical_flow import canonical_optimum, canonical_potentials


def _lemon(tails, heads, caps, costs, supply, rule: str) -> tuple[np.ndarray, np.ndarray]:
    """LEMON's optimum under a pivot rule, and its (canonical) potentials."""
    import pylmcf

    order = np.lexsort((heads, tails))
    g = pylmcf.Graph(len(supply), tails[order], heads[order])
    g.set_node_supply(supply)
    g.set_edge_capacities(caps[order])
    g.set_edge_costs(costs[order])
    g.set_pivot_rule(rule)
    g.solve()
    flows = np.zeros(len(tails), dtype=np.int64)
    flows[order] = g.result()
    return flows, np.asarray(g.potentials(), dtype=np.int64)


def _degenerate_network(seed: int) -> tuple[np.ndarray, ...]:
    """A small time-expanded network with few distinct costs (many optima): nodes (v, t), moves one step on,
    waiting, supplies at the first steps, demands at the last step's sinks."""
    rng = np.random.default_rng(seed)
    nv = int(rng.integers(4, 8))
    T = nv + int(rng.integers(2, 5))
    links = [(a, b) for a in range(nv) for b in range(nv) if a != b and rng.random() < 0.4]
    ring = [(a, (a + 1) % nv) for a in range(nv)]  # a wide ring: always feasible
    tails, heads, caps, costs = [], [], [], []
    for t in range(T - 1):
        for a, b in links:
            tails.append(t * nv + a), heads.append((t + 1) * nv + b)
            caps.append(int(rng.integers(1, 6))), costs.append(int(rng.integers(1, 3)))
        for a, b in ring:
            tails.append(t * nv + a), heads.append((t + 1) * nv + b)
            caps.append(100), costs.append(2)
        for v in range(nv):
            tails.append(t * nv + v), heads.append((t + 1) * nv + v)
            caps.append(100), costs.append(0)
    supply = np.zeros(T * nv, dtype=np.int64)
    supply[: 2 * nv] = rng.integers(0, 4, 2 * nv)
    sinks = rng.choice(nv, 2, replace=False)
    total = int(supply.sum())
    supply[(T - 1) * nv + sinks[0]] = -(total // 2)
    supply[(T - 1) * nv + sinks[1]] = -(total - total // 2)
    arrays = tuple(np.asarray(x, dtype=np.int64) for x in (tails, heads, caps, costs))
    return (*arrays, supply)


def _feasible(tails, heads, caps, supply, flows) -> bool:
    n = len(supply)
    net = np.bincount(tails, weights=flows, minlength=n) - np.bincount(heads, weights=flows, minlength=n)
    return bool(np.all(flows >= 0) and np.all(flows <= caps) and np.array_equal(net, supply))


@pytest.mark.parametrize("seed", range(30))
def test_every_optimum_maps_to_the_same_flow(seed: int) -> None:
    tails, heads, caps, costs, supply = _degenerate_network(seed)
    first = min_cost_flow(tails, heads, caps, costs, supply)
    assert _feasible(tails, heads, caps, supply, first)
    optima = [first, _ortools_min_cost(tails, heads, caps, costs, supply)]
    optima += [_lemon(tails, heads, caps, costs, supply, r)[0] for r in ("first_eligible", "altering_list")]
    best = int(first @ costs)
    assert all(int(f @ costs) == best for f in optima)  # all optimal (the independent solver agrees)
    canon = [canonical_optimum(tails, heads, caps, costs, supply, f) for f in optima]
    for c in canon:
        assert np.array_equal(c, canon[0])
    assert int(canon[0] @ costs) == best
    assert _feasible(tails, heads, caps, supply, canon[0])


def test_degenerate_cases_do_return_different_optima() -> None:
    """The tests above are not vacuous: solvers disagree on some of these networks."""
    differ = 0
    for seed in range(30):
        tails, heads, caps, costs, supply = _degenerate_network(seed)
        a = min_cost_flow(tails, heads, caps, costs, supply)
        b = _lemon(tails, heads, caps, costs, supply, "first_eligible")[0]
        differ += not np.array_equal(a, b)
    assert differ >= 3


@pytest.mark.parametrize("seed", range(10))
def test_potentials_equal_lemons_canonical_potentials(seed: int) -> None:
    tails, heads, caps, costs, supply = _degenerate_network(seed)
    flows, pi = _lemon(tails, heads, caps, costs, supply, "block_search")
    assert np.array_equal(canonical_potentials(tails, heads, caps, costs, flows, len(supply)), pi)


def test_hand_example_two_equal_paths() -> None:
    # 0 -> 1 -> 3 and 0 -> 2 -> 3, both cost 2 and cap 5; 4 people: any split is optimal, one is canonical
    tails, heads = np.array([0, 1, 0, 2]), np.array([1, 3, 2, 3])
    caps, costs = np.array([5, 5, 5, 5]), np.array([1, 1, 1, 1])
    supply = np.array([4, 0, 0, -4])
    splits = [np.array([4, 4, 0, 0]), np.array([0, 0, 4, 4]), np.array([1, 1, 3, 3])]
    canon = [canonical_optimum(tails, heads, caps, costs, supply, f) for f in splits]
    assert all(np.array_equal(c, canon[0]) for c in canon)
    assert int(canon[0] @ costs) == 8 and _feasible(tails, heads, caps, supply, canon[0])


def test_a_flow_that_is_not_least_cost_is_refused() -> None:
    # 0 -> 1 costs 1, 0 -> 2 -> 1 costs 3: sending the 2 people the dear way leaves a negative residual cycle
    tails, heads = np.array([0, 0, 2]), np.array([1, 2, 1])
    caps, costs = np.array([5, 5, 5]), np.array([1, 1, 2])
    with pytest.raises(SolverError, match="not a least-cost flow"):
        canonical_optimum(tails, heads, caps, costs, np.array([2, -2, 0]), np.array([0, 2, 2]))


@pytest.mark.parametrize("seed", range(6))
def test_exact_move_is_the_same_whichever_solver_found_an_optimum(seed: int, monkeypatch) -> None:
    """With CANONICAL_SCHEDULE, the jammed move's result (arrivals, flows per link and step, jams) is identical
    when OR-Tools' cost scaling instead of LEMON finds the expanded min-cost flow; the optimum is LEMON's."""
    from test_evacuation import wide_instance

    import reliefplan.solvers.evacuation.exact as exact
    from reliefplan.solvers.evacuation import solve_evacuation

    i = wide_instance(np.random.default_rng(900 + seed), cap_factor=0.3, room=(1.0, 1.3, 0.8)[seed % 3])
    monkeypatch.setattr(exact, "RELAXATION_FIRST", False)
    plain = solve_evacuation(i, method="exact", time_step_s=60.0)
    monkeypatch.setattr(exact, "CANONICAL_SCHEDULE", True)
    lemon = solve_evacuation(i, method="exact", time_step_s=60.0)
    monkeypatch.setattr(exact, "min_cost_flow", _ortools_min_cost)
    other = solve_evacuation(i, method="exact", time_step_s=60.0)
    assert lemon.objective_person_s == plain.objective_person_s and lemon.clearance_s == plain.clearance_s
    assert np.array_equal(lemon.sink_arrivals, other.sink_arrivals)
    assert (lemon.arc_flows != other.arc_flows).nnz == 0
    assert lemon.bottlenecks == other.bottlenecks
