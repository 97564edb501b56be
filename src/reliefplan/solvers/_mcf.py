"""Maximum flow at minimum cost, and least-cost flows meeting node supplies, on integer networks.

OR-Tools' push-relabel gives the maximum flow value; LEMON's network simplex (through pylmcf) then
routes exactly that much at least cost. On the deep time-expanded networks of the evacuation model
the network simplex is 15-20x faster than OR-Tools' cost scaling (0.3 s against 5.2 s on a jammed
Rafah member of 90,000 arcs; same optimal cost), which is what makes jammed ensemble members cheap.
Should the network simplex ever fail, OR-Tools' cost scaling solves the same problem instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from reliefplan._errors import SolverError


def solved_max_flow(tails: np.ndarray, heads: np.ndarray, caps: np.ndarray, s_node: int, t_node: int) -> Any:
    """OR-Tools' SimpleMaxFlow of the network, solved: its value, arc flows and minimum cut can be read."""
    from ortools.graph.python import max_flow

    mf = max_flow.SimpleMaxFlow()
    mf.add_arcs_with_capacity(tails, heads, caps)
    status = mf.solve(s_node, t_node)
    if status != mf.OPTIMAL:
        raise SolverError(f"OR-Tools max flow returned {status}")
    return mf


def max_flow_value(tails: np.ndarray, heads: np.ndarray, caps: np.ndarray, s_node: int, t_node: int) -> int:
    """Value of a maximum s-t flow (whole units)."""
    return int(solved_max_flow(tails, heads, caps, s_node, t_node).optimal_flow())


def max_flow_min_cost(
    tails: np.ndarray,
    heads: np.ndarray,
    caps: np.ndarray,
    costs: np.ndarray,
    s_node: int,
    t_node: int,
    value: int | None = None,
) -> tuple[int, np.ndarray]:
    """(flow value, arc flows) of a maximum s-t flow of least total cost.

    ``value`` is the maximum flow when the caller already knows it (saves a max-flow solve). Costs and
    capacities are int64; arcs may be in any order and parallel.
    """
    tails = np.asarray(tails, dtype=np.int64)
    heads = np.asarray(heads, dtype=np.int64)
    caps = np.asarray(caps, dtype=np.int64)
    if value is None:
        value = max_flow_value(tails, heads, caps, s_node, t_node)
    flows = np.zeros(len(tails), dtype=np.int64)
    if value == 0:
        return 0, flows
    n_nodes = int(max(tails.max(initial=0), heads.max(initial=0), s_node, t_node)) + 1
    supply = np.zeros(n_nodes, dtype=np.int64)
    supply[s_node], supply[t_node] = value, -value
    return value, min_cost_flow(tails, heads, caps, costs, supply)


def min_cost_flow(
    tails: np.ndarray, heads: np.ndarray, caps: np.ndarray, costs: np.ndarray, supply: np.ndarray
) -> np.ndarray:
    """Arc flows of a least-cost flow meeting every node's ``supply`` exactly (> 0 sends, < 0 receives; they sum
    to 0), by LEMON's network simplex (OR-Tools' cost scaling should it fail). Raises SolverError if infeasible."""
    import pylmcf

    tails = np.asarray(tails, dtype=np.int64)
    heads = np.asarray(heads, dtype=np.int64)
    caps = np.asarray(caps, dtype=np.int64)
    costs = np.asarray(costs, dtype=np.int64)
    supply = np.asarray(supply, dtype=np.int64)
    flows = np.zeros(len(tails), dtype=np.int64)
    order = np.lexsort((heads, tails))  # pylmcf wants arcs sorted by (tail, head)
    g = pylmcf.Graph(len(supply), tails[order], heads[order])
    g.set_node_supply(supply)
    g.set_edge_capacities(caps[order])
    g.set_edge_costs(costs[order])
    g.set_pivot_rule("block_search")
    try:
        g.solve()
    except RuntimeError:  # INFEASIBLE / UNBOUNDED: callers pass feasible problems; OR-Tools decides
        return _ortools_min_cost(tails, heads, caps, costs, supply)
    flows[order] = g.result()
    return flows


def _ortools_min_cost(
    tails: np.ndarray, heads: np.ndarray, caps: np.ndarray, costs: np.ndarray, supply: np.ndarray
) -> np.ndarray:
    """Arc flows of a least-cost flow meeting ``supply`` by OR-Tools' cost scaling (the fallback solver)."""
    from ortools.graph.python import min_cost_flow as ortools_mcf

    mcf = ortools_mcf.SimpleMinCostFlow()
    mcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, np.asarray(costs, dtype=np.int64))
    nodes = np.flatnonzero(supply)
    mcf.set_nodes_supplies(nodes, supply[nodes])
    status = mcf.solve()
    if status != mcf.OPTIMAL:
        raise SolverError(f"min-cost flow failed: LEMON's network simplex raised, OR-Tools returned {status}")
    return np.asarray(mcf.flows(np.arange(len(tails))), dtype=np.int64)
