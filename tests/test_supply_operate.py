"""Supply operated day by day without foresight (`solvers/supply/operate.py`, ensemble ``--supply operate``): a
hand-calculated case, conservation of goods and people, monotonicity, agreement with the plan when supply is
plentiful, and never better than the plan (the LP, which knows every day's crossings) on random small instances."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from reliefplan.solvers.supply import (
    Arc,
    Commodity,
    EntryPoint,
    Production,
    Site,
    SupplyInstance,
    SupplyResult,
    Warehouse,
    solve_supply,
)
from reliefplan.solvers.supply.operate import STATUS, operate_supply


def _two_sites(trucks: float, storage_t: float | None, closed: tuple[int, ...] = (1,)) -> SupplyInstance:
    """One crossing (trucks of 10 t), food for two locations needing 10 and 20 t a day, over 3 days."""
    return SupplyInstance(
        days=3,
        commodities=[Commodity("food", payload_t=10.0)],
        entry_points=[EntryPoint("E", trucks_per_day=trucks, payload_t=10.0, closed_days=closed)],
        warehouses=[],
        sites=[
            Site("A", demand_t={"food": [10.0] * 3}, storage_t=storage_t, people=[100.0] * 3),
            Site("B", demand_t={"food": [20.0] * 3}, storage_t=storage_t, people=[200.0] * 3),
        ],
        arcs=[Arc("E", "A"), Arc("E", "B")],
        sharing="equal",
    )


def test_hand_calculated_two_locations_three_days() -> None:
    # 20 t a day for 30 t of need, closed on day 1, no storage: each day's 20 t shared in proportion to need
    res = operate_supply(_two_sites(2, 0.0))
    assert res.status == STATUS and res.gap is None and res.binding == []
    np.testing.assert_allclose(res.shortfall_t[0], [[10 / 3, 10, 10 / 3], [20 / 3, 20, 20 / 3]], atol=1e-9)
    np.testing.assert_allclose(res.entry_use_t[0, 0], [20, 0, 20], atol=1e-9)
    # deprivation: day 0 and 2 in the first tier (10/3 + 20/3 each), day 1 half at 1 and half at 2: 5+10 + 10+20
    assert res.objective_deprivation == pytest.approx(10 + 45 + 10)
    # with nothing to pre-position the LP (foresight) does no better
    plan = solve_supply(_two_sites(2, 0.0))
    assert plan.objective_deprivation == pytest.approx(res.objective_deprivation, rel=1e-6)


def test_hand_calculated_storage_top_up_without_foresight() -> None:
    # 40 t a day for 30 t of need, 100 t storage each; closed on day 1. Operated: day 0 covers the need (30 t) and
    # tops up storage with the 10 t left by the plan's mix (food), 5 t each in proportion to the free room; day 1
    # each location eats its 5 t; day 2 as day 0. The plan stores the same 10 t (all the trucks allow).
    inst = _two_sites(4, 100.0)
    plan = solve_supply(inst)
    res = operate_supply(inst, plan)
    np.testing.assert_allclose(res.site_stock_t[0, :, 0], [5, 5], atol=1e-9)
    np.testing.assert_allclose(res.shortfall_t[0], [[0, 5, 0], [0, 15, 0]], atol=1e-9)
    np.testing.assert_allclose(res.entry_use_t[0, 0], [40, 0, 40], atol=1e-9)
    assert plan.shortfall_by_commodity_t()["food"] == pytest.approx(20.0, abs=1e-6)
    assert res.shortfall_by_commodity_t()["food"] == pytest.approx(20.0)
    # operated, day 1 takes the whole shortage: 5 (first tier) + 15 (10 at 1, 5 at 2) = 25; the plan knows day 1 is
    # closed and rations day 0 (25 t eaten, 15 stored): 5 short on day 0 and 15 on day 1, all in the first tier = 20
    assert res.objective_deprivation == pytest.approx(25.0)
    assert plan.objective_deprivation == pytest.approx(20.0, rel=1e-6)
    # without a reference plan a crossing loads the day's lack only: nothing stored, day 1 all short
    bare = operate_supply(inst)
    np.testing.assert_allclose(bare.shortfall_t[0, :, 1], [10, 20], atol=1e-9)


def test_reference_made_only_when_trucks_are_left_over() -> None:
    """A reference given as what makes it (an ensemble worker's declared plan) is asked for once, when trucks are
    first left over after the day's lack, and gives what the plan itself gives; on scarce crossings never."""
    inst = _two_sites(4, 100.0)
    plan = solve_supply(inst)
    asked: list[int] = []

    def make() -> SupplyResult:
        asked.append(1)
        return plan

    lazy, eager = operate_supply(inst, make), operate_supply(inst, plan)
    assert asked == [1]
    for f in ("shortfall_t", "entry_use_t", "site_stock_t", "delivered_t"):
        np.testing.assert_array_equal(getattr(lazy, f), getattr(eager, f))
    assert lazy.message == eager.message

    def never() -> SupplyResult:
        raise AssertionError("no truck is left over: the reference is not needed")

    scarce = _two_sites(2, 100.0)  # 20 t a day for 30 t of need
    np.testing.assert_array_equal(operate_supply(scarce, never).shortfall_t, operate_supply(scarce, plan).shortfall_t)


def _random_instance(rng: np.random.Generator, sharing: str = "none", scale: float = 1.0) -> SupplyInstance:
    """A small random instance: 1-2 crossings (losses, closures, inspection delay), a warehouse, a water plant,
    2-3 locations with groups, a daily commodity and one owed until delivered, travel of 0-1 days."""
    T = 6
    n_e, n_s = int(rng.integers(1, 3)), int(rng.integers(2, 4))
    commodities = [
        Commodity("water", priority=1.0, payload_t=20.0),
        Commodity("food", priority=float(rng.uniform(2, 20)), payload_t=15.0),
        Commodity("tents", priority=float(rng.uniform(0.5, 3)), payload_t=5.0, carry_over=True),
    ]
    entries = [
        EntryPoint(
            f"E{e}",
            capacity_t_by_day=list(rng.uniform(0, 60, T)),
            payload_t=20.0,
            closed_days=tuple(int(d) for d in rng.choice(T, size=int(rng.integers(0, 3)), replace=False)),
            inspection_delay_days=int(rng.integers(0, 2)),
            loss_share=float(rng.choice([0.0, 0.1])),
        )
        for e in range(n_e)
    ]
    sites = []
    for s in range(n_s):
        groups = {
            g: {
                "water": list(scale * rng.uniform(0, 15, T)),
                "food": list(scale * rng.uniform(0, 3, T)),
                "tents": list(scale * rng.uniform(0, 2, T) * (rng.random(T) < 0.5)),
            }
            for g in ("sheltered", "overflow")
        }
        sites.append(
            Site(
                f"S{s}",
                demand_t={},
                storage_t=float(rng.uniform(3, 40)),
                initial_t={"food": float(rng.uniform(0, 3))},
                groups=groups,
                group_people={g: list(rng.integers(0, 100, T).astype(float)) for g in groups},
            )
        )
    warehouses = [Warehouse("WH", capacity_t=float(rng.uniform(10, 80))), Warehouse("PLANT", capacity_t=0.0)]
    arcs = [Arc(e.id, s.id, travel_days=int(rng.integers(0, 2)), loss_share=0.05) for e in entries for s in sites]
    arcs += [Arc(e.id, "WH") for e in entries] + [Arc("WH", s.id) for s in sites]
    arcs += [Arc("PLANT", s.id, trucked=False, commodities=("water",)) for s in sites]
    production = [Production("PLANT", "water", list(rng.uniform(0, 10, T)))]
    return SupplyInstance(
        days=T,
        commodities=commodities,
        entry_points=entries,
        warehouses=warehouses,
        sites=sites,
        arcs=arcs,
        production=production,
        sharing=sharing,
    )


@pytest.mark.parametrize("seed", range(8))
def test_goods_and_people_conserved(seed: int) -> None:
    rng = np.random.default_rng(seed)
    inst = _random_instance(rng, "equal")
    res = operate_supply(inst, solve_supply(inst))
    assert res.max_conservation_residual_t < 1e-9
    init = np.array([sum(s.initial_t.get(c.id, 0.0) for s in inst.sites) for c in inst.commodities])
    made = np.zeros(len(inst.commodities))
    made[0] = res.production_t.sum()
    entered = res.entry_use_t.sum(axis=(1, 2))
    assert res.entry_lost_t is not None and res.arc_lost_t is not None and res.consumed_t is not None
    out = (
        res.consumed_t.sum(axis=(1, 2))
        + res.site_stock_t[:, :, -1].sum(axis=1)
        + res.warehouse_stock_t[:, :, -1].sum(axis=1)
        + res.entry_lost_t.sum(axis=(1, 2))
        + res.arc_lost_t.sum(axis=(1, 2))
    )
    np.testing.assert_allclose(entered + init + made, out, atol=1e-9)
    # the crossings never admit more than their capacity, counted in trucks
    pay = inst.entry_payloads()
    trucks = (res.entry_use_t / pay[:, :, None]).sum(axis=0)
    caps = np.array([e.capacity_t(inst.days, inst.payload_t) / e.payload(inst.payload_t) for e in inst.entry_points])
    assert (trucks <= caps + 1e-9).all()
    # every person is in every check, as in the plan: the same cells, needs and people
    plan = solve_supply(inst)
    assert res.cell_group == plan.cell_group
    np.testing.assert_array_equal(res.cell_site, plan.cell_site)
    np.testing.assert_allclose(res.cell_demand_t, plan.cell_demand_t)
    np.testing.assert_allclose(np.nan_to_num(res.cell_people), np.nan_to_num(plan.cell_people))
    assert res.cell_shortfall_t is not None and res.cell_consumed_t is not None
    # nobody gets more than their need; owed items handed out never exceed what is owed
    assert (res.cell_shortfall_t >= -1e-12).all() and (res.cell_consumed_t >= -1e-12).all()


def _coverage(res) -> np.ndarray:  # type: ignore[no-untyped-def]
    """[K, Q] share of each cell's need over the horizon that it consumed."""
    need = res.cell_demand_t.sum(axis=2)
    return np.where(need > 0, res.cell_consumed_t.sum(axis=2) / np.where(need > 0, need, 1.0), 1.0)


def _worse(inst: SupplyInstance) -> list[SupplyInstance]:
    """Fewer trucks, a longer closure, more people at the first location."""
    from dataclasses import replace

    sites = list(inst.sites)
    sites[0] = replace(
        sites[0], groups={g: {k: list(np.asarray(v) * 1.5) for k, v in d.items()} for g, d in sites[0].groups.items()}
    )
    return [
        replace(
            inst,
            entry_points=[
                replace(e, capacity_t_by_day=list(np.asarray(e.capacity_t_by_day) * 0.6)) for e in inst.entry_points
            ],
        ),
        replace(inst, entry_points=[replace(e, closed_days=(*e.closed_days, 1, 2)) for e in inst.entry_points]),
        replace(inst, sites=sites),
    ]


@pytest.mark.parametrize("seed", range(8))
def test_monotone_deprivation(seed: int) -> None:
    # fewer trucks, a longer closure or more people never make the deprivation smaller (several commodities
    # sharing storage: a myopic rule is not monotone cell by cell, docs/ensemble.md)
    inst = _random_instance(np.random.default_rng(100 + seed), "equal")
    ref = solve_supply(inst)
    base = operate_supply(inst, ref)
    assert base.objective_deprivation is not None
    for worse in _worse(inst):
        r = operate_supply(worse, ref)
        assert r.objective_deprivation is not None
        assert r.objective_deprivation >= base.objective_deprivation - 1e-9


@pytest.mark.parametrize("seed", range(8))
def test_monotone_coverage_cell_by_cell_without_storage(seed: int) -> None:
    # one commodity, nothing stored, crossings only: each day's goods shared in proportion to the lack, so fewer
    # trucks, a longer closure or more people never improve any group's coverage
    from dataclasses import replace

    rng = np.random.default_rng(200 + seed)
    inst = _random_instance(rng, "equal")
    k = ("water", "food", "tents")[seed % 3]
    inst = replace(
        inst,
        commodities=[c for c in inst.commodities if c.id == k],
        entry_points=[replace(e, inspection_delay_days=0) for e in inst.entry_points],
        warehouses=[],
        production=[],
        arcs=[replace(a, travel_days=0) for a in inst.arcs if a.source.startswith("E") and a.target.startswith("S")],
        sites=[
            replace(s, storage_t=0.0, initial_t={}, groups={g: {k: d[k]} for g, d in s.groups.items()})
            for s in inst.sites
        ],
    )
    base = operate_supply(inst)
    for worse in _worse(inst):
        assert (_coverage(operate_supply(worse)) <= _coverage(base) + 1e-9).all()


def test_plentiful_supply_agrees_with_the_plan() -> None:
    rng = np.random.default_rng(7)
    inst = _random_instance(rng, "equal", scale=0.05)
    from dataclasses import replace

    inst = replace(
        inst,
        entry_points=[
            replace(e, capacity_t_by_day=[500.0] * inst.days, closed_days=(), loss_share=0.0, inspection_delay_days=0)
            for e in inst.entry_points
        ],
        arcs=[replace(a, travel_days=0) for a in inst.arcs],
        sites=[replace(s, initial_t={}) for s in inst.sites],  # the LP must use up initial stock: none here
    )
    plan = solve_supply(inst)
    assert plan.status == "Optimal"
    res = operate_supply(inst, plan)
    assert sum(plan.shortfall_by_commodity_t().values()) == pytest.approx(0.0, abs=1e-6)
    assert sum(res.shortfall_by_commodity_t().values()) == pytest.approx(0.0, abs=1e-6)
    assert res.first_shortfall_day() == {c.id: None for c in inst.commodities}


@pytest.mark.parametrize("seed", range(12))
def test_never_better_than_the_plan(seed: int) -> None:
    # the LP knows every day's crossings and minimises deprivation: operated without foresight, the same world
    # never reads better (sharing none: the LP's deprivation is exactly the measure operate reports)
    rng = np.random.default_rng(1000 + seed)
    inst = _random_instance(rng, "none")
    plan = solve_supply(inst)
    assert plan.status == "Optimal"
    res = operate_supply(inst, plan)
    assert res.objective_deprivation is not None and plan.objective_deprivation is not None
    assert res.objective_deprivation >= plan.objective_deprivation * (1 - 1e-6) - 1e-6


# --------------------------------------------------------------------------------------------
# Ensemble members: --supply operate
# --------------------------------------------------------------------------------------------

OPERATE_UNC = {
    "parameters": {
        "pop": {"target": "zone.population_error", "dist": "normal", "mean": 0, "sd": 0.2, "each": True},
        "tpd": {"target": "entry.trucks_per_day", "dist": "choice", "values": [4, 6, 12], "p": [0.25, 0.5, 0.25]},
    },
    "closures": [{"entry_point": "KS", "probability_per_day": 0.1, "mean_days": 3}],
}


def test_operated_members_conserved_and_never_kinder_than_planned(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from conftest import write_scenario

    from reliefplan.analysis.ensemble import run_ensemble

    d = write_scenario(tmp_path / "sc", config={"layout": {"enabled": False}, "uncertainty": OPERATE_UNC})
    planned = run_ensemble(d, "main", 4, seed=3)
    operated = run_ensemble(d, "main", 4, seed=3, supply="operate")
    assert operated.summary["ok"] == 4 and operated.summary["supply"] == "operate"
    assert planned.summary["supply"] == "plan"
    for p, o in zip(planned.members, operated.members):
        assert o["supply_status"] == STATUS.lower()
        assert o["conserved"] and o["supply_residual_t"] < 1e-9
        assert o["population"] == p["population"] and o["displaced"] == p["displaced"]  # the same draws
        for k in ("water", "food", "medical", "shelter_nfi"):
            assert o[f"required_t.{k}"] == pytest.approx(p[f"required_t.{k}"])
        # foresight never reads worse in total (the LP minimises deprivation, not tonnes: compare with a margin)
        assert o["shortfall_t.total"] >= p["shortfall_t.total"] * (1 - 1e-3) - 1e-6


def test_unknown_supply_mode_is_an_input_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from conftest import write_scenario

    from reliefplan._errors import InputError
    from reliefplan.analysis.ensemble import run_ensemble

    d = write_scenario(tmp_path / "sc", config={"layout": {"enabled": False}, "uncertainty": OPERATE_UNC})
    with pytest.raises(InputError, match="supply"):
        run_ensemble(d, "main", 2, supply="hindsight")


@pytest.mark.parametrize("seed", range(4))
def test_warehouse_without_a_capacity(seed: int) -> None:
    # a warehouse with no capacity (a package's stock) takes what its locations cannot store: finite, conserved
    from dataclasses import replace

    inst = _random_instance(np.random.default_rng(300 + seed), "equal")
    inst = replace(inst, warehouses=[replace(w, capacity_t=None) if w.id == "WH" else w for w in inst.warehouses])
    res = operate_supply(inst, solve_supply(inst))
    assert np.isfinite(res.flow_t).all() and np.isfinite(res.warehouse_stock_t).all()
    assert res.max_conservation_residual_t < 1e-9
    assert res.objective_deprivation is not None and np.isfinite(res.objective_deprivation)


def test_priority_sharing_is_said_not_modelled() -> None:
    # groups share equally when operated: a scenario's priority order is named as not modelled, next to the figures
    inst = _two_sites(2, 0.0)
    assert "NOT MODELLED" not in operate_supply(inst).message
    prio = dataclasses.replace(inst, sharing="priority", group_priority=("sheltered",))
    assert "NOT MODELLED when operated: the scenario's 'priority' sharing" in operate_supply(prio).message
