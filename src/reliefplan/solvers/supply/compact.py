"""The supply LP without its dead columns: HiGHS is given only the columns with a positive upper bound.

Flows after the last day anyone at a location needs a commodity, shortfall tiers of days without need and the like
are columns fixed at 0 (`lp._no_dead_goods`): about 46 % of the Rafah 180- and 365-day LPs. Presolve drops them
for a cold solve, but every warm re-solve (the sifting rounds, the truckload solve) runs the simplex on the
unpresolved model, and the primal simplex prices every column in every iteration: on the 365-day full Rafah plan
the sifting's second round took 30.6 s CPU with them and 19.1 s without (7,302 and 7,230 iterations; the same
optimum). `CompactHighs` passes the live columns and answers in the whole LP's column indices, so the solve code is
the same either way.

The supply LP kept warm between plans of one structure (ensemble members): one HiGHS model holding the live
columns of every plan solved on it so far, re-solved by the dual simplex from the last optimum.

Members of one ensemble share the LP's matrix except the sharing coefficients (the cells' need), and differ in
bounds (crossing capacity per day, need, closures) and costs. Half of the columns of the Rafah plans are dead (fixed
at 0: flows after the last day anyone needs a commodity, `lp._no_dead_goods`), and which ones moves a little with
the people (44,000-45,600 of 88,620 live over ten `full` members; 45,655 in their union). The model starts with the
first plan's live columns and gains a later plan's new live columns with ``addCols`` (`CompactHighs.add_live`): HiGHS
keeps its basis, the new columns nonbasic at 0, so the restart stays warm. Each iteration of the dual simplex then
prices about half the columns it would on the whole LP (0.41 s against 0.47 s CPU per member, median of seven).

A warm member restarts the dual simplex from the last member's optimum, with Devex pricing (`solve.WARM_EDGE_WEIGHTS`),
and is sifted again holding only the stock columns the last member did not need either (58 of 10,962 after the
first warm `full` members). Solving it whole instead was measured and not kept: over 20 warm `full` members the same
in all (15.8 s against 15.1 s CPU, median 0.40 s against 0.44 s), over 8 `targeted` members dearer (5.1 s against
4.3 s, median 0.57 s against 0.49 s): its members need little stock.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from ..._errors import SolverError


class _Solution:
    """col_value / col_dual over the whole LP's columns, row values and duals as HiGHS gives them."""

    def __init__(self, col_value: np.ndarray, col_dual: np.ndarray, row_value: Any, row_dual: Any) -> None:
        self.col_value = col_value
        self.col_dual = col_dual
        self.row_value = row_value
        self.row_dual = row_dual


class CompactHighs:
    """A highspy.Highs holding only the ``live`` columns of an LP and the ``rows`` they need, addressed by the whole
    LP's column and row indices.

    Dead columns stay at 0 (value 0; reduced cost c_j − a_jᵀy from the row duals, so sifting prices them the
    same); setting a dead column's bounds to anything but 0 is an error. A row left out (no non-zero coefficient in
    the model's columns, bounds that admit 0: `needed_rows`) is empty: activity 0, dual 0. Every other method is
    HiGHS' own."""

    def __init__(
        self, h: Any, live: np.ndarray, n_col: int, matrix: sp.csc_matrix, cost: np.ndarray, rows: np.ndarray
    ) -> None:
        self._h = h
        self._live = live
        self._n = n_col
        self._pos = np.full(n_col, -1, dtype=np.int64)
        self._pos[live] = np.arange(live.size)
        self._rows = rows
        self._rpos = np.full(matrix.shape[0], -1, dtype=np.int64)
        self._rpos[rows] = np.arange(rows.size)
        self._cost = np.asarray(cost, dtype=float).copy()
        self._read_dead(matrix)

    def _read_dead(self, matrix: sp.csc_matrix) -> None:
        self._dead = np.flatnonzero(self._pos < 0)
        self._dead_t = matrix[:, self._dead].T.tocsr()  # a_jᵀ of the dead columns, for their reduced costs

    def holds(self, cols: np.ndarray) -> np.ndarray:
        """The mask of ``cols`` (whole-LP indices) the model holds."""
        return self._pos[cols] >= 0

    def add_live(
        self,
        matrix: sp.csc_matrix,
        cost: np.ndarray,
        col_upper: np.ndarray,
        row_lower: np.ndarray,
        row_upper: np.ndarray,
    ) -> int:
        """Add the live columns (positive upper bound) of an LP of the same structure that the model lacks, with
        their costs, bounds and coefficients, and the rows they or the model's columns need under ``matrix``'s
        coefficients and the new row bounds (empty, with those bounds), keeping HiGHS' basis (new columns nonbasic at
        0, new rows basic); the dead columns' reduced costs are read from then on with ``matrix`` (the sharing
        coefficients change). The number of columns added."""
        new = live_columns(col_upper)
        new = new[self._pos[new] < 0]
        in_model = self._pos >= 0
        in_model[new] = True
        rows = needed_rows(matrix, in_model, row_lower, row_upper)
        rows = rows[self._rpos[rows] < 0]
        if rows.size:
            # with their own bounds: the caller passes only the bounds that changed since the last member, and a
            # row left out then may have the same bounds now (added at [0, 0] it held a capacity at 0: a worse
            # optimum, the 6 Dec identity failure of tests/test_ensemble_jammed_move.py)
            self._h.addRows(
                rows.size,
                row_lower[rows],
                row_upper[rows],
                0,
                np.zeros(rows.size, dtype=np.int32),
                np.zeros(0, np.int32),
                np.zeros(0),
            )
            self._rpos[rows] = self._rows.size + np.arange(rows.size)
            self._rows = np.concatenate([self._rows, rows])
        if new.size:
            a = matrix[:, new].tocsc()
            r = self._rpos[a.indices]
            keep = r >= 0  # zeros in rows the model leaves out
            starts = np.concatenate([[0], np.cumsum(keep)])[a.indptr[:-1]]
            self._h.addCols(
                new.size,
                cost[new],
                np.zeros(new.size),
                col_upper[new],
                int(keep.sum()),
                starts.astype(np.int32),
                r[keep].astype(np.int32),
                a.data[keep],
            )
            self._pos[new] = self._live.size + np.arange(new.size)
            self._live = np.concatenate([self._live, new])
            self._cost[new] = cost[new]
        self._read_dead(matrix)
        return int(new.size)

    def change_coeffs(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray) -> None:
        """Set the coefficients (``rows``, ``cols``: whole-LP indices) of columns the model holds; a zero in a row
        it leaves out stays out."""
        r, c = self._rpos[rows], self._pos[cols]
        if (c < 0).any() or ((r < 0) & (values != 0)).any():
            raise SolverError("supply LP: a coefficient outside the compact model")
        ok = r >= 0
        change = self._h.changeCoeff
        for i, j, v in zip(r[ok].tolist(), c[ok].tolist(), values[ok].tolist()):
            change(i, j, v)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._h, name)

    def _map(self, n: int, idx: Any, *values: Any) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
        """(compact indices of the live columns among ``idx[:n]``, their values, the mask of dead ones)."""
        pos = self._pos[np.asarray(idx, dtype=np.int64)[:n]]
        keep = pos >= 0
        return pos[keep].astype(np.int32), [np.asarray(v, dtype=float)[:n][keep] for v in values], ~keep

    def changeColsBounds(self, n: int, idx: Any, lower: Any, upper: Any) -> Any:  # noqa: N802  # HiGHS' name
        pos, (lo, up), dead = self._map(n, idx, lower, upper)
        bad = dead & ((np.asarray(lower, dtype=float)[:n] != 0) | (np.asarray(upper, dtype=float)[:n] != 0))
        if bad.any():
            col = int(np.asarray(idx)[:n][np.argmax(bad)])
            raise SolverError(f"supply LP: column {col} is fixed at 0 and cannot be released")
        return self._h.changeColsBounds(pos.size, pos, lo, up) if pos.size else None

    def changeRowsBounds(self, n: int, idx: Any, lower: Any, upper: Any) -> Any:  # noqa: N802  # HiGHS' name
        r = self._rpos[np.asarray(idx, dtype=np.int64)[:n]]
        lo, up = np.asarray(lower, dtype=float)[:n], np.asarray(upper, dtype=float)[:n]
        if ((r < 0) & ((lo > 0) | (up < 0))).any():
            raise SolverError("supply LP: a row left out of the compact model cannot exclude 0")
        ok = r >= 0
        return self._h.changeRowsBounds(int(ok.sum()), r[ok].astype(np.int32), lo[ok], up[ok]) if ok.any() else None

    def changeColsCost(self, n: int, idx: Any, cost: Any) -> Any:  # noqa: N802  # HiGHS' name
        full = np.asarray(idx, dtype=np.int64)[:n]
        self._cost[full] = np.asarray(cost, dtype=float)[:n]
        pos, (c,), _ = self._map(n, idx, cost)
        return self._h.changeColsCost(pos.size, pos, c) if pos.size else None

    def getSolution(self) -> _Solution:  # noqa: N802  # HiGHS' name
        sol = self._h.getSolution()
        value = np.zeros(self._n)
        value[self._live] = np.asarray(sol.col_value, dtype=float)
        dual = np.zeros(self._n)
        dual[self._live] = np.asarray(sol.col_dual, dtype=float)
        m = self._rpos.size
        row_value, y = np.zeros(m), np.zeros(m)
        if sol.row_dual is not None and len(sol.row_dual):
            row_value[self._rows] = np.asarray(sol.row_value, dtype=float)
            y[self._rows] = np.asarray(sol.row_dual, dtype=float)
        if self._dead.size:
            dual[self._dead] = self._cost[self._dead] - self._dead_t @ y
        return _Solution(value, dual, row_value, y)


def needed_rows(matrix: sp.csc_matrix, cols: np.ndarray, row_lower: np.ndarray, row_upper: np.ndarray) -> np.ndarray:
    """The rows a compact model of the columns ``cols`` (a mask over ``matrix``'s columns) needs: those with a
    non-zero coefficient in them, and those whose bounds exclude 0 (an empty row that cannot hold: infeasible)."""
    col_of = np.repeat(cols, np.diff(matrix.indptr))
    rows = matrix.indices[col_of & (matrix.data != 0)]
    need = np.bincount(rows, minlength=matrix.shape[0]) > 0
    return np.flatnonzero(need | (row_lower > 0) | (row_upper < 0))


def live_columns(col_upper: np.ndarray) -> np.ndarray:
    """The columns a compact model keeps: those with a positive upper bound."""
    return np.flatnonzero(np.asarray(col_upper) > 0)
