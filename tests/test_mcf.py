"""Max flow at min cost (LEMON network simplex) against OR-Tools' cost scaling, an independent solver."""

from __future__ import annotations

import numpy as np
import pytest

from reliefplan.solvers._mcf import max_flow_min_cost, max_flow_value


def _ortools(tails, heads, caps, costs, s, t):
    from ortools.graph.python import min_cost_flow

    mcf = min_cost_flow.SimpleMinCostFlow()
    mcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    supply = int(caps[tails == s].sum())
    mcf.set_node_supply(s, supply)
    mcf.set_node_supply(t, -supply)
    assert mcf.solve_max_flow_with_min_cost() == mcf.OPTIMAL
    return int(mcf.maximum_flow()), int(mcf.optimal_cost())


def _random_network(rng: np.random.Generator, max_n: int, per_node: int, max_cap: int, max_cost: int):
    """(n, tails, heads, caps, costs): parallel arcs and zero costs and capacities included, no loops."""
    n = int(rng.integers(4, max_n))
    m = int(rng.integers(n, per_node * n))
    tails = rng.integers(0, n, m).astype(np.int64)
    heads = rng.integers(0, n, m).astype(np.int64)
    keep = tails != heads
    tails, heads = tails[keep], heads[keep]
    caps = rng.integers(0, max_cap, len(tails)).astype(np.int64)
    costs = rng.integers(0, max_cost, len(tails)).astype(np.int64)
    return n, tails, heads, caps, costs


@pytest.mark.parametrize("seed", range(25))
def test_matches_ortools_on_random_networks(seed: int) -> None:
    n, tails, heads, caps, costs = _random_network(np.random.default_rng(seed), 40, 6, 50, 20)
    s, t = 0, n - 1
    value, flows = max_flow_min_cost(tails, heads, caps, costs, s, t)
    ref_value, ref_cost = _ortools(tails, heads, caps, costs, s, t)
    assert value == ref_value == max_flow_value(tails, heads, caps, s, t)
    assert int(flows @ costs) == ref_cost
    assert np.all(flows >= 0) and np.all(flows <= caps)
    net = np.bincount(tails, weights=flows, minlength=n) - np.bincount(heads, weights=flows, minlength=n)
    expected = np.zeros(n)
    expected[s], expected[t] = value, -value
    assert np.array_equal(net, expected)


def test_hand_example_prefers_the_cheap_path_then_fills_the_dear_one() -> None:
    # 0 -> 1 -> 3 costs 2 per person (cap 3); 0 -> 2 -> 3 costs 10 (cap 5): 8 go, 3 cheaply
    tails = np.array([0, 1, 0, 2])
    heads = np.array([1, 3, 2, 3])
    caps = np.array([3, 3, 5, 5])
    costs = np.array([1, 1, 5, 5])
    value, flows = max_flow_min_cost(tails, heads, caps, costs, 0, 3)
    assert value == 8
    assert flows.tolist() == [3, 3, 5, 5]
    assert int(flows @ costs) == 3 * 2 + 5 * 10


def test_no_path_gives_zero_flow() -> None:
    value, flows = max_flow_min_cost(np.array([0, 2]), np.array([1, 3]), np.array([4, 4]), np.array([1, 1]), 0, 3)
    assert value == 0 and flows.tolist() == [0, 0]


def test_falls_back_to_ortools_when_the_network_simplex_fails(monkeypatch) -> None:
    import pylmcf

    calls = []

    def boom(self) -> None:
        calls.append(1)
        raise RuntimeError("INFEASIBLE")

    monkeypatch.setattr(pylmcf.Graph, "solve", boom)
    rng = np.random.default_rng(7)
    tails, heads = rng.integers(0, 12, 60), rng.integers(0, 12, 60)
    keep = tails != heads
    tails, heads = tails[keep].astype(np.int64), heads[keep].astype(np.int64)
    caps, costs = rng.integers(1, 30, len(tails)), rng.integers(0, 9, len(tails))
    value, flows = max_flow_min_cost(tails, heads, caps, costs, 0, 11)
    assert calls and (value, int(flows @ costs)) == _ortools(tails, heads, caps, costs, 0, 11)


@pytest.mark.parametrize("seed", range(15))
def test_min_cost_flow_with_supplies_matches_ortools(seed: int) -> None:
    from ortools.graph.python import min_cost_flow as ortools_mcf

    from reliefplan.solvers._mcf import min_cost_flow

    rng = np.random.default_rng(700 + seed)
    n, tails, heads, caps, costs = _random_network(rng, 30, 5, 40, 25)
    # supplies of some feasible flow, so that the problem is feasible
    some = np.minimum(caps, rng.integers(0, 40, len(tails)))
    supply = (np.bincount(tails, weights=some, minlength=n) - np.bincount(heads, weights=some, minlength=n)).astype(
        np.int64
    )
    flows = min_cost_flow(tails, heads, caps, costs, supply)
    assert np.all(flows >= 0) and np.all(flows <= caps)
    out = np.bincount(tails, weights=flows, minlength=n) - np.bincount(heads, weights=flows, minlength=n)
    np.testing.assert_array_equal(out, supply)
    ref = ortools_mcf.SimpleMinCostFlow()
    ref.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    ref.set_nodes_supplies(np.arange(n), supply)
    assert ref.solve() == ref.OPTIMAL
    assert int(flows @ costs) == ref.optimal_cost()
