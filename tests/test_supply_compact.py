"""The supply LP passed to HiGHS without its dead columns (`solvers.supply.compact`) against the whole LP: the same
optimum with and without sifting, reduced costs of the left-out columns by HiGHS' own sign convention, and no way
to release a column fixed at 0."""

from __future__ import annotations

import numpy as np
import pytest

from reliefplan._errors import SolverError
from reliefplan.solvers.supply import solve_supply
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
