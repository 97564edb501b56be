"""Sifting (solve without the sites' stock, price it in) against the direct solve of the whole supply LP: the same
optimum, the same status, on instances where stock matters (closures, initial stock, storage caps, sharing)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from reliefplan._errors import InputError
from reliefplan.solvers.supply import Arc, Commodity, EntryPoint, Site, SupplyInstance, Warehouse, solve_supply


def _random_instance(seed: int, sharing: str, days: int = 12) -> SupplyInstance:
    """Crossings that close for a few days (pre-positioning pays), sites with storage caps, a warehouse, one site
    with initial stock, a carry-over commodity; entry capacity about the need, so some days are short."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 7))
    commodities = [
        Commodity(id="water", priority=3.0),
        Commodity(id="food", priority=2.0),
        Commodity(id="tents", priority=1.0, carry_over=True),
    ]
    sites = []
    for j in range(n):
        people = float(rng.integers(500, 3000))
        arrive = int(rng.integers(0, 4))
        ramp = np.clip((np.arange(days) + 1) / (arrive + 1), 0, 1) * people
        tents = np.diff(np.concatenate([[0.0], ramp])) * 0.01
        sites.append(
            Site(
                id=f"s{j}",
                demand_t={"water": list(ramp * 0.015), "food": list(ramp * 0.0006), "tents": list(tents)},
                storage_t=float(rng.uniform(5, 60)) if rng.random() < 0.8 else None,
                initial_t={"food": 2.0} if j == 0 else {},
                groups={},
            )
        )
    need = sum(sum(v) for s in sites for v in s.demand_t.values()) / days
    closed = tuple(int(d) for d in rng.choice(np.arange(2, days), size=3, replace=False))
    entries = [
        EntryPoint(
            id="A", trucks_per_day=round(need * rng.uniform(0.4, 0.9) / 20, 2), payload_t=20, closed_days=closed
        ),
        EntryPoint(id="B", trucks_per_day=round(need * rng.uniform(0.2, 0.6) / 20, 2), payload_t=20, opening_day=2),
    ]
    arcs = [Arc(source="A", target="W", travel_days=0), Arc(source="B", target="W", travel_days=1)]
    arcs += [Arc(source="W", target=s.id, travel_days=int(rng.integers(0, 2))) for s in sites]
    arcs += [Arc(source="A", target=s.id, travel_days=1) for s in sites[::2]]
    return SupplyInstance(
        days=days,
        commodities=commodities,
        entry_points=entries,
        warehouses=[Warehouse(id="W", capacity_t=float(rng.uniform(20, 200)))],
        sites=sites,
        arcs=arcs,
        payload_t=20,
        sharing=sharing,
    )


@pytest.mark.parametrize("sharing", ["equal", "none", "priority"])
@pytest.mark.parametrize("seed", range(6))
def test_sifting_reaches_the_direct_optimum(seed, sharing):
    inst = _random_instance(seed, sharing)
    for trucks in ("off", "second_solve"):
        sifted = solve_supply(inst, trucks=trucks, method="sifting")
        direct = solve_supply(inst, trucks=trucks, method="direct")
        assert sifted.status == direct.status == "Optimal"
        assert sifted.method.startswith("sifting") and direct.method == "direct"
        assert sifted.objective_deprivation == pytest.approx(direct.objective_deprivation, rel=1e-7, abs=1e-6)
        # (truckloads are not compared: the truckload stage holds each shortfall at the deprivation optimum found,
        # and among equally deprived optima the least truckloads differ; with either method)
        assert sifted.max_conservation_residual_t < 1e-6
        assert sifted.gap == 0.0


def test_some_instances_need_stock_priced_in():
    """The test instances are not trivial for sifting: in some, stock at a site is part of the optimum."""
    priced = [solve_supply(_random_instance(seed, "equal"), trucks="off", method="sifting").method for seed in range(6)]
    assert any(not m.startswith("sifting: 1 solves") for m in priced), priced


def test_initial_stock_is_held_until_used():
    """A site's initial stock is never held out of the restricted LP (it would make it infeasible)."""
    inst = _random_instance(0, "equal")
    food = inst.sites[0].demand_t["food"]
    big = replace(inst.sites[0], initial_t={"food": 3 * food[0] + food[1]}, storage_t=None)
    inst = replace(inst, sites=[big, *inst.sites[1:]])
    sifted = solve_supply(inst, trucks="off", method="sifting")
    direct = solve_supply(inst, trucks="off", method="direct")
    assert sifted.status == "Optimal"
    assert sifted.objective_deprivation == pytest.approx(direct.objective_deprivation, rel=1e-7, abs=1e-6)
    assert sifted.site_stock_t[1, 0, 0] > 0  # food kept over the first day


def test_warm_sifting_gives_the_cold_optimum():
    """Ensemble members re-solve warm with the stock still held from the last member, to the cold optimum."""
    warm: dict = {}
    models = []
    inst = _random_instance(3, "equal")
    for f in (1.0, 0.5, 1.4, 0.8):
        changed = replace(
            inst, entry_points=[replace(e, trucks_per_day=e.trucks_per_day * f) for e in inst.entry_points]
        )
        hot = solve_supply(changed, warm=warm, trucks="off", method="sifting")
        assert "gave up" not in hot.method
        models.append(next(iter(warm.values()))[0])
        cold = solve_supply(changed, trucks="off", method="direct")
        assert hot.objective_deprivation == pytest.approx(cold.objective_deprivation, rel=1e-7, abs=1e-6)
    assert len({id(m) for m in models}) == 1  # nobody gave up sifting: every member restarted warm on one model


def test_auto_sifts_unless_a_warehouse_holds_unlimited_stock():
    inst = _random_instance(1, "equal")
    assert solve_supply(inst, trucks="off").method.startswith("sifting")
    unlimited = replace(inst, warehouses=[replace(inst.warehouses[0], capacity_t=None)])
    assert solve_supply(unlimited, trucks="off").method == "direct"


def test_unknown_method_is_an_input_error():
    with pytest.raises(InputError, match="method"):
        solve_supply(_random_instance(0, "equal"), method="rolling")


def test_a_first_pricing_releases_a_window_then_the_prefix():
    """By hand, 2 series of 10 days: negative reduced costs on days 5 and 6 of series 0 release days 5 - window .. 6
    of it the first time, and the whole series once it was priced before; series 1 stays held."""
    from reliefplan.solvers.supply import sifting

    held = np.arange(20)
    neg = np.array([6, 5])
    window = sifting.SIFT_WINDOW_DAYS
    assert sifting._to_release(held, neg, 10, np.zeros(0, dtype=np.int64)).tolist() == list(
        range(max(0, 5 - window), 7)
    )
    assert sifting._to_release(held, np.array([6]), 10, np.array([0])).tolist() == list(range(10))
    assert sifting._to_release(held[3:], np.array([13]), 10, np.array([0, 1])).tolist() == list(range(10, 20))
    assert sifting._to_release(held[3:], np.array([13]), 10, np.array([0])).tolist() == list(
        range(max(10, 13 - window), 14)
    )


@pytest.mark.parametrize("window", [0, 2, 30])
@pytest.mark.parametrize("seed", range(4))
def test_windowed_sifting_gives_the_direct_optimum_over_40_days(seed, window, monkeypatch):
    """Over 40 days with windows shorter than the horizon (several pricing rounds), sifting reaches the whole LP's
    deprivation and the same shortfall per commodity and day, in both stages."""
    from reliefplan.solvers.supply import sifting

    monkeypatch.setattr(sifting, "SIFT_WINDOW_DAYS", window)
    inst = _random_instance(seed, "equal", days=40)
    for trucks in ("off", "second_solve"):
        sifted = solve_supply(inst, trucks=trucks, method="sifting")
        direct = solve_supply(inst, trucks=trucks, method="direct")
        assert sifted.status == direct.status == "Optimal"
        assert sifted.objective_deprivation == pytest.approx(direct.objective_deprivation, rel=1e-7, abs=1e-6)
        np.testing.assert_allclose(sifted.shortfall_t.sum(axis=1), direct.shortfall_t.sum(axis=1), atol=1e-5)
        assert sifted.max_conservation_residual_t < 1e-6


def _uneven_instance(seed: int, days: int = 30) -> SupplyInstance:
    """`_random_instance` with crossings that admit much more than the need on some days and nothing on others
    (sampled or observed daily trucks): sites stock all through the horizon."""
    inst = _random_instance(seed, "equal", days=days)
    rng = np.random.default_rng(100 + seed)
    entries = [
        replace(e, capacity_t_by_day=list(e.trucks_per_day * 20 * rng.choice([0.0, 0.2, 3.0], size=days)))
        for e in inst.entry_points
    ]
    return replace(inst, entry_points=entries)


@pytest.mark.parametrize("seed", range(4))
def test_sifting_gives_up_when_most_stock_prices_in(seed, monkeypatch):
    """Uneven crossings: the first pricing releases most held stock, sifting gives up and solves the whole LP by the
    dual simplex from scratch, to the optimum of sifting on (`SIFT_GIVE_UP_SHARE` 1: never give up) and of the
    direct solve: the same deprivation and the same shortfall per commodity and day, in both stages."""
    from reliefplan.solvers.supply import sifting

    inst = _uneven_instance(seed)
    calls = []
    give_up = sifting._give_up
    monkeypatch.setattr(sifting, "_give_up", lambda h: calls.append(1) or give_up(h))
    monkeypatch.setattr(sifting, "SIFT_GIVE_UP_COLUMNS", 0)  # a small instance
    for trucks in ("off", "second_solve"):
        calls.clear()
        gave_up = solve_supply(inst, trucks=trucks, method="sifting")
        assert calls, "the first pricing released less than SIFT_GIVE_UP_SHARE of the held stock"
        with monkeypatch.context() as m:
            m.setattr(sifting, "SIFT_GIVE_UP_SHARE", 1.0)
            sifted = solve_supply(inst, trucks=trucks, method="sifting")
        direct = solve_supply(inst, trucks=trucks, method="direct")
        assert gave_up.status == sifted.status == direct.status == "Optimal"
        for other in (sifted, direct):
            assert gave_up.objective_deprivation == pytest.approx(other.objective_deprivation, rel=1e-9, abs=1e-7)
            np.testing.assert_allclose(gave_up.shortfall_t.sum(axis=1), other.shortfall_t.sum(axis=1), atol=1e-5)
        assert gave_up.max_conservation_residual_t < 1e-6


def test_give_up_restores_the_options(monkeypatch):
    """After giving up, the model keeps the caller's simplex strategy and cost perturbation (a warm member sets its
    own, a truckload solve relies on the primal simplex)."""
    from reliefplan.solvers.supply import sifting, solve
    from reliefplan.solvers.supply.lp import _build_lp

    lp = _build_lp(_uneven_instance(0), 0.5, 1.0, 0)
    monkeypatch.setattr(sifting, "SIFT_GIVE_UP_COLUMNS", 0)
    h, highspy = solve._highs(lp, 60.0, None, solve._upper(lp, lp.site_stock_cols), compact=True)
    h.setOptionValue("dual_simplex_cost_perturbation_multiplier", 0.7)
    h.setOptionValue("simplex_strategy", 0)
    left, solves, gave_up = sifting._sift(lp, h, highspy, lp.site_stock_cols, 60.0, give_up=True)
    assert left.size == 0 and solves == 2 and gave_up
    assert h.getOptionValue("dual_simplex_cost_perturbation_multiplier")[1] == 0.7
    assert h.getOptionValue("simplex_strategy")[1] == 0


@pytest.mark.parametrize("cold_after_give_up", [True, False])
def test_warm_members_with_uneven_crossings_give_the_cold_optimum(monkeypatch, cold_after_give_up):
    """Ensemble members on uneven crossings: the first gives up sifting. With `COLD_AFTER_GIVE_UP` the next ones solve
    cold and give up at once (a new model each, the whole LP by the dual simplex from scratch); without, they restart
    warm from the last basis with nothing held. Each reaches the direct optimum, the same shortfall in every cell and
    day."""
    from reliefplan.solvers.supply import sifting, solve

    monkeypatch.setattr(sifting, "SIFT_GIVE_UP_COLUMNS", 0)
    monkeypatch.setattr(solve, "COLD_AFTER_GIVE_UP", cold_after_give_up)
    warm: dict = {}
    models = []
    inst = _uneven_instance(1)
    for i, f in enumerate((1.0, 0.6, 1.3)):
        changed = replace(
            inst,
            entry_points=[
                replace(e, capacity_t_by_day=[c * f for c in e.capacity_t_by_day]) for e in inst.entry_points
            ],
        )
        hot = solve_supply(changed, warm=warm, trucks="off", method="sifting")
        models.append(next(iter(warm.values()))[0])
        if i == 0:
            assert hot.method.startswith("sifting") and "gave up" in hot.method, hot.method
        else:
            assert hot.method.startswith("direct") and ("gave up" in hot.method) is cold_after_give_up, hot.method
        cold = solve_supply(changed, trucks="off", method="direct")
        assert hot.objective_deprivation == pytest.approx(cold.objective_deprivation, rel=1e-9, abs=1e-7)
        np.testing.assert_allclose(hot.cell_shortfall_t, cold.cell_shortfall_t, atol=1e-5)
    assert len({id(m) for m in models}) == (3 if cold_after_give_up else 1)  # a new model per cold member


@pytest.mark.parametrize("cold_after_give_up", [True, False])
def test_a_member_after_one_without_an_optimum_solves_cold(monkeypatch, cold_after_give_up):
    """A member whose solve stopped at its time limit leaves no optimum to restart from: with `COLD_AFTER_GIVE_UP` the
    next member builds a new model and is sifted as a plan is (it did not give up); either way it reaches the direct
    optimum."""
    from reliefplan.solvers.supply import solve

    monkeypatch.setattr(solve, "COLD_AFTER_GIVE_UP", cold_after_give_up)
    warm: dict = {}
    inst = _random_instance(3, "equal", days=30)
    stopped = solve_supply(inst, warm=warm, trucks="off", time_limit_s=0.0)
    assert stopped.status != "Optimal"
    first = next(iter(warm.values()))[0]
    hot = solve_supply(inst, warm=warm, trucks="off")
    assert (next(iter(warm.values()))[0] is not first) is cold_after_give_up
    assert hot.method.startswith("sifting") is cold_after_give_up, hot.method  # cold: sifted, as a plan is
    direct = solve_supply(inst, trucks="off", method="direct")
    assert hot.status == "Optimal"
    assert hot.objective_deprivation == pytest.approx(direct.objective_deprivation, rel=1e-9, abs=1e-7)
    np.testing.assert_allclose(hot.cell_shortfall_t, direct.cell_shortfall_t, atol=1e-5)
