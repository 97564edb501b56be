"""The CFLP as a HiGHS MILP, built in bulk from arc arrays (strong formulation, warm start).

Large instances keep each client's promising arcs only. The others are replaced by one "far" column
per client: its cost is the cheapest dropped arc, and it uses no capacity and needs no open site.
That is a relaxation of the full problem, so HiGHS's dual bound stays a valid lower bound for the
full instance, and the LP is several times smaller (HiGHS's root cuts, which close most of the gap
on these instances, run on it in seconds instead of minutes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from .._highs import quiet_highs

if TYPE_CHECKING:  # pragma: no cover
    import highspy


@dataclass(frozen=True)
class MipOutcome:
    """What HiGHS said: its status name, objective, dual bound and the solution (if any).

    `far` is the fraction of each client's demand on its far column (zeros when there is none); a
    plan with far > 0 is a plan of the relaxation only.
    """

    status: str  # 'optimal' | 'time_limit' | 'infeasible' | other HiGHS status names
    objective: float
    bound: float
    x: np.ndarray | None  # fraction of client demand per arc
    y: np.ndarray | None  # open (0/1) per facility
    u: np.ndarray | None  # unmet fraction per client
    far: np.ndarray | None = None  # fraction of client demand on the far column
    nodes: int = 0


def solve_mip(
    arc_i: np.ndarray,
    arc_j: np.ndarray,
    arc_cost: np.ndarray,
    demand: np.ndarray,
    capacity: np.ndarray,
    fixed: np.ndarray,
    y_lower: np.ndarray,
    y_upper: np.ndarray,
    min_open: int | None,
    max_open: int | None,
    penalty_per_person: float | None,
    single_source: bool,
    time_limit_s: float,
    mip_gap: float,
    start: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
    link: np.ndarray | None = None,
    far_cost: np.ndarray | None = None,
    relax: bool = False,
) -> MipOutcome:
    """Solve min sum c x + sum f y + sum p d u (+ sum far_cost w) over the given arcs.

    Rows: demand (sum_j x_ij + u_i + w_i = 1), capacity (sum_i (d_i/cap_j) x_ij <= y_j),
    disaggregated linking (x_ij <= min(1, cap_j / d_i) y_j), cover (sum_j cap_j y_j >= total demand,
    when unmet demand is not allowed) and the open-count limits. `start` = (x, y, u) is passed to
    setSolution. `link` (bool per arc) limits the disaggregated rows to those arcs: the model stays
    exact (the capacity rows link every arc), only the LP relaxation of the other arcs is weaker.
    `far_cost` (per client; inf = none) adds the far columns w_i described in the module docstring.
    `relax` solves the LP relaxation instead (status 'optimal', bound = objective = LP value).
    """
    import highspy

    c = _Columns.of(demand.size, capacity.size, arc_i.size, penalty_per_person is not None, far_cost)
    n_c, n_f, n_a, n_w, with_u = c.n_c, c.n_f, c.n_a, c.far_c.size, c.with_u
    cost_parts = [arc_cost, fixed] + ([penalty_per_person * demand] if penalty_per_person is not None else [])
    if far_cost is not None and n_w:
        cost_parts.append(far_cost[c.far_c])
    col_cost = np.concatenate(cost_parts).astype(np.float64)
    a, lo, hi = _rows(c, arc_i, arc_j, demand, capacity, link, min_open, max_open)
    inf = highspy.kHighsInf
    col_lower = np.concatenate([np.zeros(n_a), y_lower] + ([np.zeros(n_c)] if with_u else []) + [np.zeros(n_w)])
    col_upper = np.concatenate([np.ones(n_a), y_upper] + ([np.ones(n_c)] if with_u else []) + [np.ones(n_w)])
    integrality = np.zeros(c.n_col, dtype=np.int32)
    if not relax:
        integrality[c.col_y : c.col_y + n_f] = 1
    if single_source and not relax:
        integrality[:n_a] = 1
        integrality[c.col_w :] = 1
    row_lower = np.nan_to_num(lo, neginf=-inf, posinf=inf)
    row_upper = np.nan_to_num(hi, neginf=-inf, posinf=inf)

    h = quiet_highs()
    h.setOptionValue("time_limit", float(max(time_limit_s, 0.01)))
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    h.setOptionValue("mip_abs_gap", 1e-9)
    h.passModel(
        c.n_col,
        a.shape[0],
        a.nnz,
        1,
        1,
        0.0,
        col_cost,
        col_lower.astype(np.float64),
        col_upper.astype(np.float64),
        row_lower,
        row_upper,
        a.indptr.astype(np.int32),
        a.indices.astype(np.int32),
        a.data,
        integrality,
    )
    if start is not None:
        x0, y0, u0 = start
        val = np.concatenate([x0, y0] + ([u0] if with_u else []) + [np.zeros(n_w)])
        h.setSolution(c.n_col, np.arange(c.n_col, dtype=np.int32), val.astype(np.float64))
    h.run()
    return _outcome(h, c, relax, single_source)


@dataclass(frozen=True)
class _Columns:
    """Where each kind of column sits: arcs x [0, n_a), opening y from col_y, unmet u from col_u (when an unmet
    penalty is set), far columns w from col_w (one per client in far_c)."""

    n_c: int
    n_f: int
    n_a: int
    with_u: bool
    far_c: np.ndarray
    col_y: int
    col_u: int
    col_w: int
    n_col: int

    @classmethod
    def of(cls, n_c: int, n_f: int, n_a: int, with_u: bool, far_cost: np.ndarray | None) -> _Columns:
        far_c = np.zeros(0, dtype=np.int64) if far_cost is None else np.flatnonzero(np.isfinite(far_cost))
        col_y, col_u = n_a, n_a + n_f
        col_w = col_u + (n_c if with_u else 0)
        return cls(n_c, n_f, n_a, with_u, far_c, col_y, col_u, col_w, col_w + far_c.size)


def _rows(
    c: _Columns,
    arc_i: np.ndarray,
    arc_j: np.ndarray,
    demand: np.ndarray,
    capacity: np.ndarray,
    link: np.ndarray | None,
    min_open: int | None,
    max_open: int | None,
) -> tuple[sp.csc_matrix, np.ndarray, np.ndarray]:
    """The constraint matrix (CSC, sorted indices) and its row bounds: demand, capacity, disaggregated
    linking, cover (when unmet demand is not allowed) and open-count rows."""
    n_c, n_f, n_a, n_w = c.n_c, c.n_f, c.n_a, c.far_c.size
    rows, cols, vals = [], [], []
    r = 0
    # demand rows
    rows.append(arc_i)
    cols.append(np.arange(n_a))
    vals.append(np.ones(n_a))
    if c.with_u:
        rows.append(np.arange(n_c))
        cols.append(c.col_u + np.arange(n_c))
        vals.append(np.ones(n_c))
    if n_w:
        rows.append(c.far_c)
        cols.append(c.col_w + np.arange(n_w))
        vals.append(np.ones(n_w))
    lo = [np.ones(n_c)]
    hi = [np.ones(n_c)]
    r += n_c
    # capacity rows, divided by the capacity (coefficients <= 1); a zero-capacity site keeps d_i
    cap_div = np.where(capacity > 0, capacity, 1.0)
    rows += [r + arc_j, r + np.arange(n_f)]
    cols += [np.arange(n_a), c.col_y + np.arange(n_f)]
    vals += [demand[arc_i] / cap_div[arc_j], -capacity / cap_div]
    lo.append(np.full(n_f, -np.inf))
    hi.append(np.zeros(n_f))
    r += n_f
    # disaggregated linking rows; the coefficient min(1, cap/d) is a free strengthening
    la = np.arange(n_a) if link is None else np.flatnonzero(link)
    n_l = la.size
    rows += [r + np.arange(n_l), r + np.arange(n_l)]
    cols += [la, c.col_y + arc_j[la]]
    vals += [np.ones(n_l), -np.minimum(1.0, capacity[arc_j[la]] / demand[arc_i[la]])]
    lo.append(np.full(n_l, -np.inf))
    hi.append(np.zeros(n_l))
    r += n_l
    if not c.with_u:
        tot = float(demand.sum())
        rows.append(np.full(n_f, r))
        cols.append(c.col_y + np.arange(n_f))
        vals.append(capacity / max(tot, 1e-12))
        lo.append(np.array([1.0]))
        hi.append(np.array([np.inf]))
        r += 1
    if min_open is not None or max_open is not None:
        rows.append(np.full(n_f, r))
        cols.append(c.col_y + np.arange(n_f))
        vals.append(np.ones(n_f))
        lo.append(np.array([float(min_open) if min_open is not None else -np.inf]))
        hi.append(np.array([float(max_open) if max_open is not None else np.inf]))
        r += 1
    a = sp.csc_matrix(
        (np.concatenate(vals).astype(np.float64), (np.concatenate(rows), np.concatenate(cols))), shape=(r, c.n_col)
    )
    a.sort_indices()
    return a, np.concatenate(lo), np.concatenate(hi)


def _outcome(h: highspy.Highs, c: _Columns, relax: bool, single_source: bool) -> MipOutcome:
    """HiGHS's status, objective, bound and solution (if it has one) as a MipOutcome."""
    import highspy

    n_c, n_f, n_a = c.n_c, c.n_f, c.n_a
    ms = h.getModelStatus()
    info = h.getInfo()
    name = {
        highspy.HighsModelStatus.kOptimal: "optimal",
        highspy.HighsModelStatus.kTimeLimit: "time_limit",
        highspy.HighsModelStatus.kInfeasible: "infeasible",
    }.get(ms, h.modelStatusToString(ms))
    if relax:
        bound = float(info.objective_function_value) if name == "optimal" else -np.inf
        nodes = 0
    else:
        bound = float(info.mip_dual_bound)
        nodes = int(info.mip_node_count)
    has_sol = info.primal_solution_status == 2  # kSolutionStatusFeasible
    if not has_sol:
        return MipOutcome(name, float("nan"), bound, None, None, None, None, nodes)
    col = np.asarray(h.getSolution().col_value)
    x = np.clip(col[:n_a], 0.0, 1.0)
    y = col[c.col_y : c.col_y + n_f] if relax else np.rint(col[c.col_y : c.col_y + n_f])
    u = np.clip(col[c.col_u : c.col_u + n_c], 0.0, 1.0) if c.with_u else np.zeros(n_c)
    far = np.zeros(n_c)
    far[c.far_c] = np.clip(col[c.col_w :], 0.0, 1.0)
    if single_source and not relax:  # integral within HiGHS's tolerance: make it exact
        x, u, far = np.rint(x), np.rint(u), np.rint(far)
    return MipOutcome(name, float(info.objective_function_value), bound, x, y, u, far, nodes)
