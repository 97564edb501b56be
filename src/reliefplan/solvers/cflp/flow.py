"""Transportation problems (fixed open set) for siting: OR-Tools min-cost flow, HiGHS LP fallback."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..._errors import SolverError

# OR-Tools' cost-scaling push-relabel multiplies unit costs by (nodes + 1) internally, and the total
# cost (sum of cost x flow) is accumulated in int64: both must stay below 2**63 with a margin.
_INT64_SAFE = 2.0**61


@dataclass(frozen=True)
class TransportSolution:
    """Flows on arcs and unmet demand for a fixed set of usable arcs.

    objective is the true (float) cost; bound is a valid lower bound on the optimum of this
    transportation problem (equal to objective for the LP solver; for min-cost flow it accounts for
    the rounding of unit costs to integers).
    """

    status: str  # 'optimal' | 'infeasible'
    flow: np.ndarray  # people per arc (float64; integral when solved by min-cost flow)
    unmet: np.ndarray  # people per client
    objective: float
    bound: float
    solver: str


def is_integral(values: np.ndarray) -> bool:
    """True when every value is an integer (people counts)."""
    return bool(np.all(np.abs(values - np.rint(values)) <= 1e-9 * np.maximum(1.0, np.abs(values))))


def solve_transport(
    arc_i: np.ndarray,
    arc_j: np.ndarray,
    unit_cost: np.ndarray,
    demand: np.ndarray,
    capacity: np.ndarray,
    unmet_penalty: float | None,
    cost_steps: float = 1e9,
) -> TransportSolution:
    """Min-cost allocation of demand[i] people over arcs (arc_i, arc_j) with unit_cost per person.

    Facilities not to be used must already be removed from the arcs (or given capacity 0). Uses
    OR-Tools min-cost flow when demand is integral (capacities are floored to whole people),
    otherwise a HiGHS LP. cost_steps is the integer resolution of the largest unit cost for min-cost
    flow (coarser is faster; the reported bound accounts for the rounding either way).
    """
    if is_integral(demand):
        return _transport_mcf(
            arc_i,
            arc_j,
            unit_cost,
            np.rint(demand).astype(np.int64),
            np.floor(capacity + 1e-9).astype(np.int64),
            unmet_penalty,
            cost_steps,
        )
    return _transport_lp(arc_i, arc_j, unit_cost, demand, capacity, unmet_penalty)


def _transport_mcf(
    arc_i: np.ndarray,
    arc_j: np.ndarray,
    unit_cost: np.ndarray,
    demand: np.ndarray,
    capacity: np.ndarray,
    unmet_penalty: float | None,
    cost_steps: float,
) -> TransportSolution:
    from ortools.graph.python import min_cost_flow

    n_c, n_f = demand.size, capacity.size
    total = int(demand.sum())
    empty = TransportSolution(
        "infeasible", np.zeros(arc_i.size), demand.astype(float), float("nan"), float("nan"), "ortools-min-cost-flow"
    )
    if unmet_penalty is None and int(capacity.sum()) < total:
        return empty
    sink = n_c + n_f
    n_nodes = n_c + n_f + 1
    max_unit = max(float(unit_cost.max(initial=0.0)), float(unmet_penalty or 0.0), 1e-12)
    # Unit costs become integers: scale so the largest is as fine as int64 safely allows (at most
    # cost_steps steps). The flow is then optimal for the rounded costs; the true optimum is at least the
    # rounded optimum minus 0.5/scale per person moved, which is what `bound` reports.
    max_scaled = min(cost_steps, _INT64_SAFE / (n_nodes + 1), _INT64_SAFE / max(total, 1))
    scale = max_scaled / max_unit
    for _attempt in range(4):
        smcf = min_cost_flow.SimpleMinCostFlow()
        tails = [arc_i.astype(np.int32), n_c + np.arange(n_f, dtype=np.int32)]
        heads = [(n_c + arc_j).astype(np.int32), np.full(n_f, sink, dtype=np.int32)]
        caps = [demand[arc_i], capacity]
        costs = [np.rint(unit_cost * scale).astype(np.int64), np.zeros(n_f, dtype=np.int64)]
        if unmet_penalty is not None:
            tails.append(np.arange(n_c, dtype=np.int32))
            heads.append(np.full(n_c, sink, dtype=np.int32))
            caps.append(demand)
            costs.append(np.full(n_c, round(unmet_penalty * scale), dtype=np.int64))
        smcf.add_arcs_with_capacity_and_unit_cost(
            np.concatenate(tails), np.concatenate(heads), np.concatenate(caps).astype(np.int64), np.concatenate(costs)
        )
        supplies = np.concatenate([demand, np.zeros(n_f, dtype=np.int64), [-total]]).astype(np.int64)
        smcf.set_nodes_supplies(np.arange(n_nodes, dtype=np.int32), supplies)
        status = smcf.solve()
        if status == smcf.OPTIMAL:
            break
        if status in (smcf.INFEASIBLE, smcf.UNBALANCED):
            return empty
        if status == smcf.BAD_COST_RANGE:
            scale /= 1000.0
            continue
        raise SolverError(f"OR-Tools min-cost flow failed with status {status}")
    else:
        raise SolverError("OR-Tools min-cost flow: cost range could not be made to fit int64")
    all_flow = smcf.flows(np.arange(smcf.num_arcs(), dtype=np.int32)).astype(np.float64)
    flow = all_flow[: arc_i.size]
    unmet = all_flow[arc_i.size + n_f :] if unmet_penalty is not None else np.zeros(n_c)
    objective = float(flow @ unit_cost) + float(unmet.sum()) * float(unmet_penalty or 0.0)
    bound = min(objective, smcf.optimal_cost() / scale - 0.5 * total / scale)
    return TransportSolution("optimal", flow, unmet, objective, bound, "ortools-min-cost-flow")


def _transport_lp(
    arc_i: np.ndarray,
    arc_j: np.ndarray,
    unit_cost: np.ndarray,
    demand: np.ndarray,
    capacity: np.ndarray,
    unmet_penalty: float | None,
) -> TransportSolution:
    import highspy
    import scipy.sparse as sp

    n_c, n_f, n_a = demand.size, capacity.size, arc_i.size
    with_unmet = unmet_penalty is not None
    n_col = n_a + (n_c if with_unmet else 0)
    rows = [arc_i, n_c + arc_j]
    cols = [np.arange(n_a), np.arange(n_a)]
    vals = [np.ones(n_a), np.ones(n_a)]
    if with_unmet:
        rows.append(np.arange(n_c))
        cols.append(n_a + np.arange(n_c))
        vals.append(np.ones(n_c))
    a = sp.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n_c + n_f, n_col))
    col_cost = np.concatenate([unit_cost, np.full(n_c, unmet_penalty)]) if with_unmet else unit_cost
    row_lower = np.concatenate([demand, np.full(n_f, -highspy.kHighsInf)])
    row_upper = np.concatenate([demand, capacity])
    from .._highs import quiet_highs

    h = quiet_highs()
    h.passModel(
        n_col,
        n_c + n_f,
        a.nnz,
        1,
        1,
        0.0,
        col_cost.astype(np.float64),
        np.zeros(n_col),
        np.full(n_col, highspy.kHighsInf),
        row_lower.astype(np.float64),
        row_upper.astype(np.float64),
        a.indptr.astype(np.int32),
        a.indices.astype(np.int32),
        a.data.astype(np.float64),
        np.zeros(n_col, dtype=np.int32),
    )
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return TransportSolution(
            "infeasible", np.zeros(n_a), demand.astype(float), float("nan"), float("nan"), "highs-lp"
        )
    x = np.asarray(h.getSolution().col_value)
    flow = np.clip(x[:n_a], 0.0, None)
    unmet = np.clip(x[n_a:], 0.0, None) if with_unmet else np.zeros(n_c)
    objective = float(flow @ unit_cost) + float(unmet.sum()) * float(unmet_penalty or 0.0)
    return TransportSolution("optimal", flow, unmet, objective, objective, "highs-lp")
