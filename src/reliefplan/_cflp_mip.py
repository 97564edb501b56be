"""The CFLP as a HiGHS MILP, built in bulk from arc arrays (strong formulation, warm start)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ._highs import quiet_highs


@dataclass(frozen=True)
class MipOutcome:
    """What HiGHS said: its status name, objective, dual bound and the solution (if any)."""

    status: str  # 'optimal' | 'time_limit' | 'infeasible' | other HiGHS status names
    objective: float
    bound: float
    x: np.ndarray | None  # fraction of client demand per arc
    y: np.ndarray | None  # open (0/1) per facility
    u: np.ndarray | None  # unmet fraction per client


def solve_mip(arc_i: np.ndarray, arc_j: np.ndarray, arc_cost: np.ndarray, demand: np.ndarray,
              capacity: np.ndarray, fixed: np.ndarray, y_lower: np.ndarray, y_upper: np.ndarray,
              min_open: int | None, max_open: int | None, penalty_per_person: float | None,
              single_source: bool, time_limit_s: float, mip_gap: float,
              start: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
              link: np.ndarray | None = None) -> MipOutcome:
    """Solve min sum c x + sum f y + sum p d u over the given arcs.

    Rows: demand (sum_j x_ij + u_i = 1), capacity (sum_i d_i x_ij <= cap_j y_j), disaggregated
    linking (x_ij <= min(1, cap_j / d_i) y_j), cover (sum_j cap_j y_j >= total demand, when unmet
    demand is not allowed) and the open-count limits. `start` = (x, y, u) is passed to setSolution.
    `link` (bool per arc) limits the disaggregated rows to those arcs: the model stays exact (the
    capacity rows link every arc), only the LP relaxation of the far arcs is weaker, and the LP is
    far smaller.
    """
    import highspy

    n_c, n_f, n_a = demand.size, capacity.size, arc_i.size
    with_u = penalty_per_person is not None
    col_y, col_u = n_a, n_a + n_f
    n_col = n_a + n_f + (n_c if with_u else 0)
    rows, cols, vals = [], [], []
    r = 0
    # demand rows
    rows += [arc_i, r + np.arange(n_c)] if with_u else [arc_i]
    cols += [np.arange(n_a), col_u + np.arange(n_c)] if with_u else [np.arange(n_a)]
    vals += [np.ones(n_a), np.ones(n_c)] if with_u else [np.ones(n_a)]
    lo = [np.ones(n_c)]
    hi = [np.ones(n_c)]
    r += n_c
    # capacity rows
    rows += [r + arc_j, r + np.arange(n_f)]
    cols += [np.arange(n_a), col_y + np.arange(n_f)]
    vals += [demand[arc_i], -capacity]
    lo.append(np.full(n_f, -np.inf))
    hi.append(np.zeros(n_f))
    r += n_f
    # disaggregated linking rows; the coefficient min(1, cap/d) is a free strengthening
    la = np.arange(n_a) if link is None else np.flatnonzero(link)
    n_l = la.size
    rows += [r + np.arange(n_l), r + np.arange(n_l)]
    cols += [la, col_y + arc_j[la]]
    vals += [np.ones(n_l), -np.minimum(1.0, capacity[arc_j[la]] / demand[arc_i[la]])]
    lo.append(np.full(n_l, -np.inf))
    hi.append(np.zeros(n_l))
    r += n_l
    if not with_u:
        rows.append(np.full(n_f, r))
        cols.append(col_y + np.arange(n_f))
        vals.append(capacity)
        lo.append(np.array([float(demand.sum())]))
        hi.append(np.array([np.inf]))
        r += 1
    if min_open is not None or max_open is not None:
        rows.append(np.full(n_f, r))
        cols.append(col_y + np.arange(n_f))
        vals.append(np.ones(n_f))
        lo.append(np.array([float(min_open) if min_open is not None else -np.inf]))
        hi.append(np.array([float(max_open) if max_open is not None else np.inf]))
        r += 1
    a = sp.csc_matrix((np.concatenate(vals).astype(np.float64),
                       (np.concatenate(rows), np.concatenate(cols))), shape=(r, n_col))
    a.sort_indices()
    inf = highspy.kHighsInf
    col_cost = np.concatenate([arc_cost, fixed] + ([penalty_per_person * demand] if with_u else []))
    col_lower = np.concatenate([np.zeros(n_a), y_lower] + ([np.zeros(n_c)] if with_u else []))
    col_upper = np.concatenate([np.ones(n_a), y_upper] + ([np.ones(n_c)] if with_u else []))
    integrality = np.zeros(n_col, dtype=np.int32)
    integrality[col_y:col_y + n_f] = 1
    if single_source:
        integrality[:n_a] = 1
    row_lower = np.nan_to_num(np.concatenate(lo), neginf=-inf, posinf=inf)
    row_upper = np.nan_to_num(np.concatenate(hi), neginf=-inf, posinf=inf)

    h = quiet_highs()
    h.setOptionValue("time_limit", float(max(time_limit_s, 0.01)))
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    h.setOptionValue("mip_abs_gap", 1e-9)
    h.passModel(n_col, r, a.nnz, 1, 1, 0.0, col_cost.astype(np.float64), col_lower.astype(np.float64),
                col_upper.astype(np.float64), row_lower, row_upper, a.indptr.astype(np.int32),
                a.indices.astype(np.int32), a.data, integrality)
    if start is not None:
        x0, y0, u0 = start
        val = np.concatenate([x0, y0] + ([u0] if with_u else []))
        h.setSolution(n_col, np.arange(n_col, dtype=np.int32), val.astype(np.float64))
    h.run()
    ms = h.getModelStatus()
    info = h.getInfo()
    name = {highspy.HighsModelStatus.kOptimal: "optimal",
            highspy.HighsModelStatus.kTimeLimit: "time_limit",
            highspy.HighsModelStatus.kInfeasible: "infeasible"}.get(ms, h.modelStatusToString(ms))
    has_sol = info.primal_solution_status == 2  # kSolutionStatusFeasible
    if not has_sol:
        return MipOutcome(name, float("nan"), float(info.mip_dual_bound), None, None, None)
    col = np.asarray(h.getSolution().col_value)
    x = np.clip(col[:n_a], 0.0, 1.0)
    y = np.rint(col[col_y:col_y + n_f])
    u = np.clip(col[col_u:], 0.0, 1.0) if with_u else np.zeros(n_c)
    return MipOutcome(name, float(info.objective_function_value), float(info.mip_dual_bound), x, y, u)
