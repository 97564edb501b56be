"""The supply LP passed to HiGHS without its dead columns (`solvers.supply.compact`) against the whole LP: the same
optimum with and without sifting, reduced costs of the left-out columns by HiGHS' own sign convention, and no way
to release a column fixed at 0."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from reliefplan._errors import SolverError
from reliefplan.solvers.supply import solve_supply
from reliefplan.solvers.supply.compact import CompactHighs
from reliefplan.solvers.supply.lp import _build_lp
from reliefplan.solvers.supply.solve import _highs
from tests.test_supply_sifting import _random_instance


@pytest.mark.parametrize("sharing", ["equal", "none", "priority"])
@pytest.mark.parametrize("seed", range(4))
def test_compact_model_reaches_the_whole_lps_optimum(seed, sharing):
    inst = _random_instance(seed, sharing, days=14)
    for method in ("sifting", "direct"):
        for trucks in ("off", "second_solve"):
            compact = solve_supply(inst, trucks=trucks, method=method)  # solved once: the compact model
            whole = solve_supply(inst, trucks=trucks, method=method, warm={})  # a warm dict keeps the whole LP
            assert compact.status == whole.status == "Optimal"
            assert compact.objective_deprivation == pytest.approx(whole.objective_deprivation, rel=1e-7, abs=1e-6)
            assert compact.max_conservation_residual_t < 1e-6
            if trucks == "second_solve":  # the same deprivation held, the fewest truckloads
                assert compact.objective_trucks == pytest.approx(whole.objective_trucks, rel=1e-6, abs=1e-6)
            # nobody's need vanishes: every cell's shortfall + consumption = what is owed
            assert np.allclose(compact.cell_demand_t, whole.cell_demand_t)


def test_dead_columns_are_left_out_and_priced_by_highs_convention():
    inst = _random_instance(2, "equal", days=14)
    lp = _build_lp(inst, 0.5, 1.0)
    h, _ = _highs(lp, 60.0, None, compact=True)
    dead = np.flatnonzero(lp.col_upper <= 0)
    assert dead.size > 0 and h.getNumCol() == lp.n_col - dead.size
    h.run()
    sol = h.getSolution()
    y = np.asarray(sol.row_dual)
    rc = lp.cost1 - lp.matrix.T @ y
    live = np.flatnonzero(lp.col_upper > 0)
    # HiGHS' reduced costs of the live columns follow c - A^T y; the dead ones are computed the same way
    assert np.allclose(np.asarray(sol.col_dual)[live], rc[live], atol=1e-7)
    assert np.allclose(np.asarray(sol.col_dual)[dead], rc[dead], atol=1e-9)
    assert np.all(np.asarray(sol.col_value)[dead] == 0.0)
    assert len(sol.col_value) == lp.n_col
    with pytest.raises(SolverError, match="fixed at 0"):
        h.changeColsBounds(1, np.array([dead[0]], dtype=np.int32), np.zeros(1), np.ones(1))
    h.changeColsBounds(1, np.array([dead[0]], dtype=np.int32), np.zeros(1), np.zeros(1))  # 0 stays allowed


def test_rows_without_a_coefficient_are_left_out_with_zero_activity_and_dual():
    inst = _random_instance(2, "equal", days=14)
    lp = _build_lp(inst, 0.5, 1.0)
    h, _ = _highs(lp, 60.0, None, compact=True)
    live = lp.col_upper > 0
    a = lp.matrix[:, np.flatnonzero(live)].tocsr()
    a.eliminate_zeros()
    empty = np.flatnonzero(np.diff(a.indptr) == 0)
    admit0 = (lp.row_lower[empty] <= 0) & (lp.row_upper[empty] >= 0)
    assert empty.size > 0 and admit0.all()
    assert h.getNumRow() == lp.matrix.shape[0] - empty.size
    h.run()
    sol = h.getSolution()
    assert len(sol.row_dual) == len(sol.row_value) == lp.matrix.shape[0]
    assert np.all(sol.row_dual[empty] == 0.0) and np.all(sol.row_value[empty] == 0.0)
    x = np.asarray(sol.col_value)
    np.testing.assert_allclose(sol.row_value, lp.matrix @ x, atol=1e-6)  # every row's activity, left out or not
    # a row left out may take new bounds that admit 0, never bounds that exclude it (it could not hold)
    h.changeRowsBounds(1, np.array([empty[0]], dtype=np.int32), np.array([-1.0]), np.array([1.0]))
    with pytest.raises(SolverError, match="cannot exclude 0"):
        h.changeRowsBounds(1, np.array([empty[0]], dtype=np.int32), np.array([1.0]), np.array([2.0]))


def test_an_empty_row_that_cannot_hold_stays_in_the_model():
    from reliefplan.solvers.supply.compact import needed_rows

    inst = _random_instance(2, "equal", days=14)
    lp = _build_lp(inst, 0.5, 1.0)
    lower = lp.row_lower.copy()
    live = lp.col_upper > 0
    rows = needed_rows(lp.matrix, live, lower, lp.row_upper)
    out = np.setdiff1d(np.arange(lp.matrix.shape[0]), rows)
    lower[out[0]] = 1.0  # infeasible: an empty row >= 1
    assert out[0] in needed_rows(lp.matrix, live, lower, lp.row_upper)


@pytest.mark.parametrize("seed", range(3))
def test_rows_added_back_come_with_their_own_bounds(seed):
    """A row left out (no coefficient in the model's columns) and needed again comes with its bounds: the caller
    then passes only the bounds that changed since the last member, so a capacity row added at [0, 0] held its
    columns at 0 (a Rafah member reached a worse optimum than a cold plan, 1.677e6 against 1.669e6)."""
    inst = _random_instance(seed, "equal", days=14)
    lp = _build_lp(inst, 0.5, 2.0)
    # a capacity row (<= a positive bound) whose columns are all dead in the first member
    cap = np.flatnonzero(np.isinf(lp.row_lower) & (lp.row_upper > 0))
    csr = lp.matrix.tocsr()
    row = next(r for r in cap if (lp.col_upper[csr.indices[csr.indptr[r] : csr.indptr[r + 1]]] > 0).any())
    first = lp.col_upper.copy()
    first[csr.indices[csr.indptr[row] : csr.indptr[row + 1]]] = 0.0
    h, _ = _highs(replace(lp, col_upper=first), 60.0, None, compact=True)
    assert isinstance(h, CompactHighs) and row not in h._rows
    h.add_live(lp.matrix, lp.cost1, lp.col_upper, lp.row_lower, lp.row_upper)
    assert row in h._rows
    held = h.getLp()
    np.testing.assert_array_equal(np.asarray(held.row_lower_), lp.row_lower[h._rows])
    np.testing.assert_array_equal(np.asarray(held.row_upper_), lp.row_upper[h._rows])
