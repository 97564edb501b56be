"""The supply LP kept warm between ensemble members (`solvers/supply/warm.py`): a member re-solved on the kept model
reaches a cold solve's optimum (deprivation, shortfall per commodity), also when its live columns are not the last
member's (the model gains them), with equal sharing (the sharing coefficients change) and after a truckload solve."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from test_supply_sifting import _random_instance

from reliefplan.solvers.supply import solve_supply
from reliefplan.solvers.supply.compact import CompactHighs


def _member(inst, trucks_factor: float, people: float, stop_day: int | None):
    """``inst`` with scaled crossings and need; with ``stop_day``, nobody at the odd sites needs anything from that
    day on (their flows after it are dead columns)."""

    def need(series, j):
        s = np.asarray(series, dtype=float) * people
        if stop_day is not None and j % 2:
            s[stop_day:] = 0.0
        return list(s)

    return replace(
        inst,
        entry_points=[replace(e, trucks_per_day=e.trucks_per_day * trucks_factor) for e in inst.entry_points],
        sites=[replace(x, demand_t={k: need(v, j) for k, v in x.demand_t.items()}) for j, x in enumerate(inst.sites)],
    )


def _assert_same(hot, cold):
    assert hot.status == cold.status == "Optimal"
    assert hot.objective_deprivation == pytest.approx(cold.objective_deprivation, rel=1e-7, abs=1e-6)
    np.testing.assert_allclose(
        hot.shortfall_t.sum(axis=(1, 2)), cold.shortfall_t.sum(axis=(1, 2)), rtol=1e-6, atol=1e-5
    )
    assert hot.max_conservation_residual_t < 1e-6


@pytest.mark.parametrize("sharing", ["equal", "priority"])
@pytest.mark.parametrize("seed", range(3))
def test_members_on_a_growing_model_reach_the_cold_optimum(seed, sharing):
    inst = _random_instance(seed, sharing, days=10)
    warm: dict = {}
    sizes, rows = [], []
    # the first member has dead columns (odd sites need nothing from day 4), later ones need them again
    for f, people, stop in ((1.0, 1.0, 4), (0.5, 1.2, None), (1.4, 0.8, 6), (0.7, 1.0, None), (0.7, 1.0, 2)):
        member = _member(inst, f, people, stop)
        hot = solve_supply(member, warm=warm, trucks="off")
        _assert_same(hot, solve_supply(member, trucks="off", method="direct"))
        ((model, *_),) = warm.values()
        assert isinstance(model, CompactHighs)
        sizes.append(model._live.size)
        rows.append(model.getNumRow())
    assert sizes[1] > sizes[0]  # the second member's new live columns were added to the kept model
    assert rows[1] > rows[0]  # and the rows they need (left out while no column had a coefficient there)
    assert sizes == sorted(sizes)  # never removed: dead again is a bound at 0


def test_a_truckload_solve_between_members_keeps_the_warm_restart_exact():
    inst = _random_instance(4, "equal", days=10)
    warm: dict = {}
    for f, trucks, stop in ((1.0, "second_solve", 3), (0.6, "off", None), (1.2, "second_solve", None), (0.8, "off", 5)):
        member = _member(inst, f, 1.0, stop)
        hot = solve_supply(member, warm=warm, trucks=trucks)
        cold = solve_supply(member, trucks=trucks, method="direct")
        _assert_same(hot, cold)
        if trucks == "second_solve":
            assert hot.objective_trucks == pytest.approx(cold.objective_trucks, rel=1e-6)


def test_a_warm_member_holds_only_the_stock_the_last_one_did_not_need():
    inst = _random_instance(1, "equal")
    warm: dict = {}
    first = solve_supply(inst, warm=warm, trucks="off")
    held_first = int(first.method.split(" of ")[1].split()[0].replace(",", ""))
    again = solve_supply(_member(inst, 0.5, 1.0, None), warm=warm, trucks="off")
    assert first.method.startswith("sifting") and again.method.startswith("sifting")
    held_again = int(again.method.split(" of ")[1].split()[0].replace(",", ""))
    assert held_again <= held_first
    _assert_same(again, solve_supply(_member(inst, 0.5, 1.0, None), trucks="off", method="direct"))
