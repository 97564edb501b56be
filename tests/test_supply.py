"""Supply LP and sustainment: hand-checkable cases, an independent LP, bad input and the CLI."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linprog

from reliefplan._errors import InputError
from reliefplan.solvers.supply import (
    Arc,
    Commodity,
    EntryPoint,
    Production,
    Site,
    SupplyInstance,
    Warehouse,
    fleet_by_origin,
    fleet_requirements,
    instance_from_dict,
    meets_every_need,
    min_extra_entry_capacity,
    result_to_dict,
    solve_supply,
    with_extra_capacity,
)
from reliefplan.solvers.sustain import Disruption, apply_disruptions, sustain

ISSUE_EXAMPLE = {
    "days": 15,
    "commodities": [{"id": "food", "priority": 1}],
    "entry_points": [{"id": "ks", "capacity_t_per_day": 100, "closed_days": [5, 6, 7, 8, 9]}],
    "warehouses": [{"id": "w", "capacity_t": 1000, "initial_t": {"food": 0}}],
    "sites": [{"id": "s", "demand_t_per_day": {"food": 80}, "storage_t": 1000}],
    "arcs": [{"from": "ks", "to": "w", "travel_days": 0}, {"from": "w", "to": "s", "travel_days": 0}],
}


def chain(
    days: int,
    cap_t: float,
    need_t: float,
    *,
    wh_cap: float | None = 0.0,
    site_storage: float | None = 0.0,
    closed: tuple[int, ...] = (),
    init_site: float = 0.0,
    delay: int = 0,
    travel: int = 0,
) -> SupplyInstance:
    """One crossing -> one warehouse -> one site, one commodity."""
    return SupplyInstance(
        days=days,
        commodities=[Commodity("food", 1.0)],
        entry_points=[EntryPoint("ks", capacity_t_per_day=cap_t, closed_days=closed, inspection_delay_days=delay)],
        warehouses=[Warehouse("w", capacity_t=wh_cap)],
        sites=[
            Site(
                "s",
                demand_t={"food": [need_t] * days},
                storage_t=site_storage,
                initial_t={"food": init_site} if init_site else {},
            )
        ],
        arcs=[Arc("ks", "w", travel), Arc("w", "s", 0)],
    )


def conservation_residual(inst: SupplyInstance, r) -> float:
    """Independent check, node by node and day by day, in plain loops."""
    T = inst.days
    E, W = len(inst.entry_points), len(inst.warehouses)
    nodes = [e.id for e in inst.entry_points] + [w.id for w in inst.warehouses] + [s.id for s in inst.sites]
    worst = 0.0
    for k, c in enumerate(inst.commodities):
        for n, nid in enumerate(nodes):
            for t in range(T):
                inflow = sum(
                    r.flow_t[k, a, t - arc.travel_days]
                    for a, arc in enumerate(inst.arcs)
                    if arc.target == nid and t - arc.travel_days >= 0
                )
                outflow = sum(r.flow_t[k, a, t] for a, arc in enumerate(inst.arcs) if arc.source == nid)
                prod = sum(
                    r.production_t[p, t]
                    for p, pr in enumerate(inst.production)
                    if pr.node == nid and pr.commodity == c.id
                )
                if n < E:
                    d = inst.entry_points[n].inspection_delay_days
                    admitted = r.entry_use_t[k, n, t - d] if t - d >= 0 else 0.0
                    bal = admitted + inflow - outflow
                else:
                    j = n - E
                    node = inst.warehouses[j] if j < W else inst.sites[j - W]
                    stock = r.warehouse_stock_t[k, j] if j < W else r.site_stock_t[k, j - W]
                    before = stock[t - 1] if t else node.initial_t.get(c.id, 0.0)
                    use = r.consumed_t[k, j - W, t] if j >= W else 0.0
                    bal = before + inflow + prod - outflow - use - stock[t]
                worst = max(worst, abs(bal))
    return worst


# ---------------------------------------------------------------------------------------------------
# hand-checkable cases
# ---------------------------------------------------------------------------------------------------


def test_capacity_below_need_from_day_0():
    # 60 t/day in, 80 t/day needed, no storage anywhere: 20 t short every day.
    inst = chain(10, 60.0, 80.0)
    r = solve_supply(inst)
    assert r.status == "Optimal" and r.gap == 0.0
    np.testing.assert_allclose(r.shortfall_t[0, 0], 20.0, atol=1e-6)
    np.testing.assert_allclose(r.delivered_t[0, 0], 60.0, atol=1e-6)
    assert r.first_shortfall_day()["food"] == 0
    # with storage the total cannot change (goods only move forward in time); linear cost: still 20/day
    r2 = solve_supply(chain(10, 60.0, 80.0, wh_cap=None, site_storage=None), deep_factor=1.0)
    assert r2.shortfall_by_commodity_t()["food"] == pytest.approx(200.0, abs=1e-5)
    np.testing.assert_allclose(r2.shortfall_t[0, 0], 20.0, atol=1e-5)


def test_closure_partly_covered_by_pre_positioning_issue_example():
    # Days 0-4: 500 t in, 400 t eaten -> 100 t pre-positioned. Days 5-9 closed: 400 t needed, 100 t in
    # stock -> 300 t short. Days 10-14: 100 in, 80 needed.
    inst = instance_from_dict(ISSUE_EXAMPLE)
    r = solve_supply(inst, deep_factor=1.0)
    assert r.shortfall_by_commodity_t()["food"] == pytest.approx(300.0, abs=1e-4)
    # serve now, short later: the stock lasts to day 6 (80 on day 5, 20 on day 6)
    np.testing.assert_allclose(r.shortfall_t[0, 0], [0] * 6 + [60, 80, 80, 80] + [0] * 5, atol=1e-4)
    assert r.first_shortfall_day()["food"] == 6
    stock = r.warehouse_stock_t[0, 0] + r.site_stock_t[0, 0]
    assert stock[4] == pytest.approx(100.0, abs=1e-4)  # pre-positioned by the eve of the closure
    assert (r.shortfall_t >= 0).all()
    # convex cost (default): nobody below half the need while rationing earlier can avoid it;
    # total shortfall is unchanged
    rc = solve_supply(inst)
    assert rc.shortfall_by_commodity_t()["food"] == pytest.approx(300.0, abs=1e-4)
    assert rc.shortfall_t[0, 0].max() <= 40.0 + 1e-4
    np.testing.assert_allclose(rc.shortfall_t[0, 0, 5:10], 40.0, atol=1e-4)


@pytest.mark.parametrize(
    "wh_cap, site_storage, expected",
    [
        (0.0, 50.0, 350.0),  # only 50 t can be held before the closure
        (30.0, 50.0, 320.0),  # 80 t held in total
        (0.0, 0.0, 400.0),  # nothing can be pre-positioned
        (1000.0, 0.0, 300.0),  # warehouse stock alone is enough for the 100 t surplus
    ],
)
def test_storage_limits_cap_pre_positioning(wh_cap, site_storage, expected):
    inst = chain(15, 100.0, 80.0, wh_cap=wh_cap, site_storage=site_storage, closed=(5, 6, 7, 8, 9))
    r = solve_supply(inst)
    assert r.shortfall_by_commodity_t()["food"] == pytest.approx(expected, abs=1e-4)
    assert (r.warehouse_stock_t.sum(axis=0) <= wh_cap + 1e-6).all()
    assert (r.site_stock_t.sum(axis=0) <= site_storage + 1e-6).all()


def test_inspection_delay_and_travel_days_shift_arrivals():
    # 2-day inspection + 1-day road: nothing can arrive before day 3.
    inst = chain(6, 100.0, 50.0, delay=2, travel=1, wh_cap=None, site_storage=None)
    r = solve_supply(inst, deep_factor=1.0)
    np.testing.assert_allclose(r.shortfall_t[0, 0], [50, 50, 50, 0, 0, 0], atol=1e-5)
    assert r.entry_use_t[0, 0, 3:].sum() == pytest.approx(0.0, abs=1e-6)  # would arrive too late: not admitted


def test_local_production_covers_part_of_need():
    inst = chain(5, 0.0, 80.0)
    inst = replace(inst, production=[Production("s", "food", [30.0] * 5)])
    r = solve_supply(inst)
    np.testing.assert_allclose(r.shortfall_t[0, 0], 50.0, atol=1e-6)
    np.testing.assert_allclose(r.produced_at_site_t[0, 0], 30.0, atol=1e-6)


def test_priority_water_before_nfi_when_capacity_is_scarce():
    days = 5
    inst = SupplyInstance(
        days=days,
        commodities=[Commodity("water", 3.0), Commodity("shelter_nfi", 1.0)],
        entry_points=[EntryPoint("ks", capacity_t_per_day=100.0)],
        warehouses=[],
        sites=[Site("s", demand_t={"water": [80.0] * days, "shelter_nfi": [50.0] * days}, storage_t=0.0)],
        arcs=[Arc("ks", "s", 0)],
    )
    r = solve_supply(inst)
    np.testing.assert_allclose(r.shortfall_t[0, 0], 0.0, atol=1e-6)  # water fully served
    np.testing.assert_allclose(r.shortfall_t[1, 0], 30.0, atol=1e-6)  # NFI gets the remaining 20 t
    assert r.first_shortfall_day() == {"water": None, "shelter_nfi": 0}


def test_conservation_exact_and_shortfalls_never_negative():
    inst = _small_network()
    r = solve_supply(inst)
    assert r.max_conservation_residual_t < 1e-6
    assert conservation_residual(inst, r) < 1e-6
    assert (r.shortfall_t >= 0).all() and (r.shortfall_t <= r.demand_t + 1e-9).all()
    assert (r.flow_t >= 0).all() and (r.entry_use_t >= 0).all()
    # entry capacity respected every day
    assert (r.entry_use_t.sum(axis=0) <= r.entry_capacity_t + 1e-6).all()


def test_lexicographic_second_stage_keeps_shortfall_and_cuts_trucks():
    inst = _small_network()
    r1 = solve_supply(inst, trucks="off")
    r2 = solve_supply(inst)
    assert r2.objective_deprivation == pytest.approx(r1.objective_deprivation, rel=1e-6, abs=1e-6)
    trucks = lambda r: sum(f.trucks_per_day.sum() for f in fleet_requirements(inst, r))  # noqa: E731
    assert trucks(r2) <= trucks(r1)
    # the issue example: the second solve brings in only what is eaten or needed for the closure
    ex = instance_from_dict(ISSUE_EXAMPLE)
    rex = solve_supply(ex)
    assert rex.entry_use_t.sum() == pytest.approx(15 * 80 - 300, abs=1e-3)


@pytest.mark.parametrize("make", [lambda: instance_from_dict(ISSUE_EXAMPLE), lambda: _small_network()])
def test_epsilon_method_agrees_with_second_solve(make):
    inst = make()
    exact = solve_supply(inst)
    eps = solve_supply(inst, trucks="epsilon")
    assert eps.objective_deprivation == pytest.approx(exact.objective_deprivation, rel=1e-6, abs=1e-5)
    # the second solve holds each shortfall where the first put it; epsilon may also move the shortage
    # between days or sites at equal deprivation, so it can only need fewer truckloads
    assert eps.objective_trucks <= exact.objective_trucks + 1e-6
    assert eps.max_conservation_residual_t < 1e-6


def test_binding_statement_matches_a_re_solve():
    inst = instance_from_dict(ISSUE_EXAMPLE)
    r = solve_supply(inst, deep_factor=1.0, step_trucks_per_day=1.0)
    b = r.binding[0]
    assert (b.kind, b.id, b.first_day, b.last_day, b.commodity) == ("entry_capacity", "ks", 0, 4, "food")
    np.testing.assert_allclose(b.shadow_price, 1.0, rtol=1e-3)
    assert b.predicted_cut_t == pytest.approx(100.0, rel=1e-3)  # +20 t/day on 5 days
    assert "+1 trucks/day (20 t/day) at ks on days 0–4" in b.text and "food shortfall" in b.text
    more = solve_supply(with_extra_capacity(inst, "ks", 0, 4, b.step_t_per_day), deep_factor=1.0)
    true_cut = r.shortfall_by_commodity_t()["food"] - more.shortfall_by_commodity_t()["food"]
    assert true_cut == pytest.approx(100.0, abs=1e-3)  # small change: dual x change is exact
    # the issue's "+50 trucks/day": dual x change = 5,000 t, capped by the 300 t actually short
    big = solve_supply(inst, deep_factor=1.0, step_trucks_per_day=50.0).binding[0]
    assert big.predicted_cut_t == pytest.approx(300.0, abs=1e-3)
    more = solve_supply(with_extra_capacity(inst, "ks", 0, 4, big.step_t_per_day), deep_factor=1.0)
    true_cut = r.shortfall_by_commodity_t()["food"] - more.shortfall_by_commodity_t()["food"]
    assert true_cut == pytest.approx(300.0, abs=1e-3)


def test_storage_binding_is_reported():
    inst = chain(15, 100.0, 80.0, wh_cap=0.0, site_storage=50.0, closed=(5, 6, 7, 8, 9))
    r = solve_supply(inst, deep_factor=1.0, storage_step_t=10.0)
    kinds = {(b.kind, b.id) for b in r.binding}
    assert ("site_storage", "s") in kinds
    st = next(b for b in r.binding if b.kind == "site_storage")
    inst2 = replace(inst, sites=[replace(inst.sites[0], storage_t=60.0)])
    cut = r.shortfall_by_commodity_t()["food"] - solve_supply(inst2, deep_factor=1.0).shortfall_by_commodity_t()["food"]
    assert cut == pytest.approx(10.0, abs=1e-3)
    assert st.predicted_cut_t is not None and st.predicted_cut_t >= cut - 1e-3  # an upper bound


# ---------------------------------------------------------------------------------------------------
# an independent formulation solved with scipy's linprog
# ---------------------------------------------------------------------------------------------------


def _small_network() -> SupplyInstance:
    days = 6
    return SupplyInstance(
        days=days,
        commodities=[Commodity("water", 3.0), Commodity("food", 2.0)],
        entry_points=[
            EntryPoint("ks", capacity_t_per_day=60.0, closed_days=(2, 3), inspection_delay_days=1),
            EntryPoint("rf", trucks_per_day=1.0, payload_t=20.0, opening_day=1),
        ],
        warehouses=[Warehouse("w", capacity_t=70.0, initial_t={"food": 10.0})],
        sites=[
            Site(
                "a",
                demand_t={"water": [10, 20, 30, 30, 30, 30], "food": [5.0] * days},
                storage_t=25.0,
                initial_t={"water": 5.0},
            ),
            Site("b", demand_t={"water": [20.0] * days, "food": [8.0] * days}, storage_t=None),
        ],
        arcs=[
            Arc("ks", "w", 1, round_trip_h=4.0),
            Arc("rf", "w", 0),
            Arc("w", "a", 0, capacity_t_per_day=40.0),
            Arc("w", "b", 1),
            Arc("rf", "b", 0),
        ],
        production=[Production("b", "water", [4.0] * days)],
    )


def _linprog_objective(inst: SupplyInstance, deep_share: float, deep_factor: float) -> float:
    """Same model written independently, one variable and one constraint at a time."""
    T, K = inst.days, len(inst.commodities)
    var: dict[tuple, int] = {}
    ub: list[float | None] = []
    cost: list[float] = []

    def new(key: tuple, upper: float | None, c: float = 0.0) -> None:
        var[key] = len(ub)
        ub.append(upper)
        cost.append(c)

    for k in range(K):
        for t in range(T):
            for a, arc in enumerate(inst.arcs):
                new(("f", k, a, t), None if t + arc.travel_days < T else 0.0)
            for e, ep in enumerate(inst.entry_points):
                new(("u", k, e, t), None if t + ep.inspection_delay_days < T else 0.0)
            for n in [w.id for w in inst.warehouses] + [s.id for s in inst.sites]:
                new(("I", k, n, t), None)
            for s, site in enumerate(inst.sites):
                d = site.demand_t[inst.commodities[k].id][t]
                w = inst.commodities[k].priority
                new(("s1", k, s, t), deep_share * d, w)
                new(("s2", k, s, t), (1 - deep_share) * d, w * deep_factor)
            for p, pr in enumerate(inst.production):
                if pr.commodity == inst.commodities[k].id:
                    new(("q", p, t), pr.t_per_day[t])
    nv = len(ub)
    A_eq, b_eq, A_ub, b_ub = [], [], [], []

    def row() -> np.ndarray:
        return np.zeros(nv)

    for k, c in enumerate(inst.commodities):
        for t in range(T):
            for e, ep in enumerate(inst.entry_points):
                r = row()
                if t - ep.inspection_delay_days >= 0:
                    r[var[("u", k, e, t - ep.inspection_delay_days)]] = 1
                for a, arc in enumerate(inst.arcs):
                    if arc.source == ep.id:
                        r[var[("f", k, a, t)]] -= 1
                A_eq.append(r)
                b_eq.append(0.0)
            for node in list(inst.warehouses) + list(inst.sites):
                r = row()
                r[var[("I", k, node.id, t)]] = -1
                rhs = 0.0
                if t:
                    r[var[("I", k, node.id, t - 1)]] = 1
                else:
                    rhs -= node.initial_t.get(c.id, 0.0)
                for a, arc in enumerate(inst.arcs):
                    if arc.target == node.id and t - arc.travel_days >= 0:
                        r[var[("f", k, a, t - arc.travel_days)]] += 1
                    if arc.source == node.id:
                        r[var[("f", k, a, t)]] -= 1
                for p, pr in enumerate(inst.production):
                    if pr.node == node.id and pr.commodity == c.id:
                        r[var[("q", p, t)]] += 1
                if isinstance(node, Site):
                    s = inst.sites.index(node)
                    r[var[("s1", k, s, t)]] += 1
                    r[var[("s2", k, s, t)]] += 1
                    rhs += node.demand_t[c.id][t]
                A_eq.append(r)
                b_eq.append(rhs)
    for t in range(T):
        for e, ep in enumerate(inst.entry_points):
            r = row()
            for k in range(K):
                r[var[("u", k, e, t)]] = 1
            A_ub.append(r)
            b_ub.append(ep.capacity_t(T, inst.payload_t)[t])
        for a, arc in enumerate(inst.arcs):
            if arc.capacity_t_per_day is not None:
                r = row()
                for k in range(K):
                    r[var[("f", k, a, t)]] = 1
                A_ub.append(r)
                b_ub.append(arc.capacity_t_per_day)
        for node, cap in [(w, w.capacity_t) for w in inst.warehouses] + [(s, s.storage_t) for s in inst.sites]:
            if cap is not None:
                r = row()
                for k in range(K):
                    r[var[("I", k, node.id, t)]] = 1
                A_ub.append(r)
                b_ub.append(cap)
    res = linprog(
        cost,
        A_ub=np.array(A_ub),
        b_ub=b_ub,
        A_eq=np.array(A_eq),
        b_eq=b_eq,
        bounds=[(0, u) for u in ub],
        method="highs-ds",
    )
    assert res.status == 0
    return float(res.fun)


@pytest.mark.parametrize("sharing, deep_factor, rel", [("none", 1.0, 2e-4), ("none", 2.0, 2e-4), ("equal", 1.0, 2e-3)])
def test_objective_matches_independent_linprog(sharing, deep_factor, rel):
    """The per-site model written independently; equal sharing (deep factor 1) reaches the same least
    deprivation, up to the small weight it gives to sharing equally."""
    inst = replace(_small_network(), sharing=sharing)
    r = solve_supply(inst, deep_factor=deep_factor)
    expected = _linprog_objective(inst, 0.5, deep_factor)
    assert expected > 1.0  # a case with real shortfall
    assert r.objective_deprivation == pytest.approx(expected, rel=rel, abs=1e-4)


# ---------------------------------------------------------------------------------------------------
# fleet, sustainment, disruptions
# ---------------------------------------------------------------------------------------------------


def test_fleet_from_round_trips():
    inst = chain(3, 110.0, 110.0, wh_cap=None, site_storage=None)
    inst = replace(
        inst, arcs=[Arc("ks", "w", 0, round_trip_h=3.0), Arc("w", "s", 0, round_trip_h=12.0)], operating_h_per_day=10.0
    )
    r = solve_supply(inst)
    f = fleet_requirements(inst, r)
    assert list(f[0].trucks_per_day) == [6, 6, 6]  # ceil(110 / 20)
    assert f[0].trips_per_truck_per_day == 3.0 and f[0].fleet_trucks == 2  # floor(10/3) trips; ceil(6/3)
    assert f[1].trips_per_truck_per_day == 0.5 and f[1].fleet_trucks == 12  # a trip takes 2 days


def test_sustain_coverage_people_and_first_shortfall_day():
    inst = instance_from_dict(
        {**ISSUE_EXAMPLE, "sites": [{"id": "s", "demand_t_per_day": {"food": 80}, "storage_t": 1000, "people": 1000}]}
    )
    r = solve_supply(inst, deep_factor=1.0)
    s = sustain(inst, r)
    np.testing.assert_allclose(s.coverage[0, 0], [1] * 6 + [0.25, 0, 0, 0] + [1] * 5, atol=1e-6)
    assert s.first_shortfall_day == {"food": 6}
    assert s.total_shortfall_t["food"] == pytest.approx(300.0, abs=1e-4)
    np.testing.assert_allclose(s.people_below_standard[0, 0, 5:11], [0, 1000, 1000, 1000, 1000, 0])
    np.testing.assert_allclose(s.people_unserved_equivalent[0, 0, 6], 750.0, atol=1e-3)


def test_disruption_capacity_cut():
    inst = chain(10, 100.0, 80.0, wh_cap=None, site_storage=None)
    cut = apply_disruptions(inst, [Disruption("ks", (3, 4, 5), 0.5)])
    np.testing.assert_allclose(cut.entry_points[0].capacity_t(10, 20.0), [100] * 3 + [50] * 3 + [100] * 4)
    r = solve_supply(cut, deep_factor=1.0)
    # 3 days x 20 t spare before the cut; the cut days need 3 x 30 t -> 30 t short
    assert r.shortfall_by_commodity_t()["food"] == pytest.approx(30.0, abs=1e-4)
    with pytest.raises(InputError) as ei:
        apply_disruptions(inst, [Disruption("nope", (3,)), Disruption("ks", (12,), 1.5)])
    msg = str(ei.value)
    assert "nope" in msg and "outside the horizon" in msg and "capacity_factor" in msg


# ---------------------------------------------------------------------------------------------------
# bad input and the CLI
# ---------------------------------------------------------------------------------------------------


def test_bad_input_names_file_feature_and_field():
    bad = json.loads(json.dumps(ISSUE_EXAMPLE))
    bad["entry_points"][0]["capacity_t_per_day"] = -5
    bad["entry_points"][0]["closed_days"] = [3, 20]
    bad["sites"][0]["demand_t_per_day"]["food"] = -1
    bad["arcs"].append({"from": "w", "to": "nowhere", "travel_days": 0})
    bad["commodities"].append({"id": "tents"})
    bad["sites"][0]["demand_units_per_day"] = {"tents": 10}
    with pytest.raises(InputError) as ei:
        instance_from_dict(bad, file="inst.json")
    probs = {(p.feature, p.field) for p in ei.value.problems}
    assert ("entry_points[0] (ks)", "capacity_t_per_day") in probs
    assert ("entry_points[0] (ks)", "closed_days.1") in probs
    assert ("sites[0] (s)", "demand_t_per_day.food") in probs
    assert ("arcs[2]", "to") in probs
    assert ("sites[0] (s)", "demand_units_per_day.tents") in probs
    assert all(p.file == "inst.json" for p in ei.value.problems)
    assert "unit_weight_t" in str(ei.value)


def test_units_converted_with_unit_weight():
    d = json.loads(json.dumps(ISSUE_EXAMPLE))
    d["commodities"] = [{"id": "food", "priority": 1, "unit_weight_kg": 0.5}]
    d["sites"][0] = {"id": "s", "demand_units_per_day": {"food": 160000}, "storage_t": 1000}
    inst = instance_from_dict(d)
    assert inst.sites[0].demand_t["food"][0] == pytest.approx(80.0)


def test_cli_solve_supply_prints_issue_json(tmp_path: Path):
    from typer.testing import CliRunner

    from reliefplan.cli import app

    path = tmp_path / "inst.json"
    path.write_text(json.dumps(ISSUE_EXAMPLE))
    res = CliRunner().invoke(app, ["solve-supply", str(path), "--deep-factor", "1"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["status"] == "Optimal" and out["gap"] == 0.0
    assert out["shortfall_t"] == {"food": pytest.approx(300.0, abs=1e-3)}
    assert out["first_shortfall_day"] == {"food": 6}
    row = next(x for x in out["deliveries"] if x["day"] == 7)
    assert row == {**row, "site": "s", "commodity": "food", "required_t": 80.0, "delivered_t": 0.0, "shortfall_t": 80.0}
    assert len(out["entry_use"]) == 15 and out["binding"][0]["id"] == "ks"
    assert out["sustain"]["first_shortfall_day"] == {"food": 6}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**ISSUE_EXAMPLE, "days": 3}))
    res = CliRunner().invoke(app, ["solve-supply", str(bad)])
    assert res.exit_code == 2 and "closed_days" in res.output


def test_result_to_dict_round_numbers():
    inst = instance_from_dict(ISSUE_EXAMPLE)
    out = result_to_dict(solve_supply(inst), inst)
    assert len(out["deliveries"]) == 15
    assert all(x["shortfall_t"] >= 0 for x in out["deliveries"])


def test_observed_2024_trucks_from_the_example():
    from reliefplan.scenario.supply_data import read_observed_trucks

    path = Path(__file__).parents[1] / "examples" / "rafah-2024" / "entry_capacity_observed_2024.csv"
    april = read_observed_trucks(path, "2024-04-01", 30)
    assert april["KEREM-SHALOM"].sum() == 4395  # 146.5/day, as entry_points.csv states
    assert april["RAFAH-CROSSING"].sum() == 1276
    june = read_observed_trucks(path, "2024-06-01", 30)
    assert june["RAFAH-CROSSING"].sum() == 0 and june["KEREM-SHALOM"].sum() == 1999
    with pytest.raises(InputError, match="does not cover"):
        read_observed_trucks(path, "2024-09-15", 30)  # the file ends on 30 Sep 2024


def test_time_limit_is_a_result_not_a_crash():
    r = solve_supply(_small_network(), time_limit_s=0.0)
    if r.status != "Optimal":  # HiGHS may still finish a tiny LP in presolve
        assert r.objective_deprivation is None and r.gap is None and "no plan" in r.message
        np.testing.assert_allclose(r.shortfall_t, r.demand_t)


def test_warm_start_gives_the_cold_optimum():
    """A model kept between solves (ensemble members) re-solves changed bounds to the same optimum."""
    from dataclasses import replace

    from reliefplan.solvers.supply import solve_supply

    inst = _warm_instance()
    warm: dict = {}
    # entry capacity and demand change between solves (only the changed bounds are passed to HiGHS)
    for factor, people in ((1.0, 1.0), (0.6, 1.0), (1.3, 0.7), (0.6, 1.2), (0.6, 1.2)):
        changed = replace(
            inst,
            entry_points=[replace(e, trucks_per_day=e.trucks_per_day * factor) for e in inst.entry_points],
            sites=[
                replace(x, demand_t={k: [v * people for v in d] for k, d in x.demand_t.items()}) for x in inst.sites
            ],
        )
        hot = solve_supply(changed, warm=warm, trucks="off")
        cold = solve_supply(changed, trucks="off")
        assert len(warm) == 1
        assert hot.objective_deprivation == pytest.approx(cold.objective_deprivation, rel=1e-9, abs=1e-6)
        assert hot.shortfall_t.sum() == pytest.approx(cold.shortfall_t.sum(), rel=1e-9, abs=1e-6)
    full = solve_supply(inst, warm=warm)  # a second solve on a kept model, then reuse again
    assert full.objective_trucks == pytest.approx(solve_supply(inst).objective_trucks, rel=1e-9)
    again = solve_supply(inst, warm=warm, trucks="off")
    assert again.objective_deprivation == pytest.approx(
        solve_supply(inst, trucks="off").objective_deprivation, rel=1e-9, abs=1e-6
    )


def _warm_instance():
    from reliefplan.solvers.supply import Arc, Commodity, EntryPoint, Site, SupplyInstance

    days = 8
    sites = [
        Site(id=f"s{j}", demand_t={"water": [30.0 + 5 * j] * days, "food": [4.0] * days}, storage_t=60.0)
        for j in range(3)
    ]
    arcs = [Arc(source=e, target=s.id, travel_days=j % 2) for e in ("A", "B") for j, s in enumerate(sites)]
    return SupplyInstance(
        days=days,
        commodities=[Commodity(id="water", priority=1.0), Commodity(id="food", priority=3.0)],
        entry_points=[
            EntryPoint(id="A", trucks_per_day=4, payload_t=20),
            EntryPoint(id="B", trucks_per_day=2, payload_t=20, closed_days=(2, 3)),
        ],
        warehouses=[],
        sites=sites,
        arcs=arcs,
        payload_t=20,
    )


def test_residents_share_daily_supplies_not_shelter_items():
    from reliefplan.standards import load_standards
    from reliefplan.solvers.supply import demand_from_people, load_commodities

    specs = load_commodities(load_standards("sphere-2018"), kcal_per_person_day=2100)
    people = np.array([[0.0, 100.0, 100.0], [50.0, 50.0, 80.0]])  # displaced present per site and day
    residents = np.array([1000.0, 0.0])
    got = demand_from_people(people, specs, residents)
    alone = demand_from_people(people, specs)
    water = next(s for s in specs if s.commodity.id == "water").t_per_person
    assert got["water"][0] == pytest.approx((people[0] + 1000) * water)  # 15 L each, residents included
    assert got["water"][1] == pytest.approx(alone["water"][1])
    np.testing.assert_allclose(got["shelter_nfi"], alone["shelter_nfi"])  # arrivals only: 100 on day 1 at site 0


def test_sign_problems_keep_their_place_among_the_others():
    from dataclasses import replace

    from reliefplan.solvers.supply import Arc, instance_problems

    inst = _warm_instance()
    bad = replace(
        inst,
        entry_points=[replace(inst.entry_points[0], trucks_per_day=-1), inst.entry_points[1]],
        sites=[replace(inst.sites[0], demand_t={"water": [float("nan")] * 8, "food": [4.0] * 8}), *inst.sites[1:]],
        arcs=[*inst.arcs, Arc(source="A", target="nowhere", travel_days=0)],
    )
    probs = instance_problems(bad, "x.json")
    assert [(p.feature, p.field) for p in probs] == [
        ("entry_points[0] (A)", "trucks_per_day"),
        ("sites[0] (s0)", "demand_t_per_day.water"),
        ("arcs[6]", "to"),
    ]
    assert instance_problems(inst, "x.json") == []


def test_rows_off_keeps_every_total():
    from reliefplan.solvers.supply import result_to_dict, solve_supply

    inst = _warm_instance()
    r = solve_supply(inst)
    full, lean = result_to_dict(r, inst), result_to_dict(r, inst, rows=False)
    assert len(full["deliveries"]) == 8 * 3 * 2 and len(full["entry_use"]) == 2 * 8
    assert lean["deliveries"] == [] and lean["entry_use"] == []
    assert {k: v for k, v in full.items() if k not in ("deliveries", "entry_use")} == {
        k: v for k, v in lean.items() if k not in ("deliveries", "entry_use")
    }
    # rows in day, site, commodity order, with the arrays' values
    row = full["deliveries"][1 * 6 + 2 * 2 + 1]
    assert (row["day"], row["site"], row["commodity"]) == (1, "s2", "food")
    assert row["required_t"] == pytest.approx(r.demand_t[1, 2, 1], abs=1e-3)


def test_whole_trucks_and_fleet_per_origin_not_per_corridor():
    """One crossing feeds three sites 10 t/day each at 20 t per truck: 1.5 truckloads a day. Corridor by corridor
    that rounds up to 3 trucks; through the crossing it is 2 whole trucks, and the fleet based there is pooled over
    its corridors (round trips of 5 h: 2 trips a day each, so 1.5 / 2 truck-days -> 1 truck)."""
    days = 2
    sites = [Site(f"s{i}", demand_t={"food": [10.0] * days}, storage_t=0.0) for i in range(3)]
    inst = SupplyInstance(
        days=days,
        commodities=[Commodity("food")],
        entry_points=[EntryPoint("ks", trucks_per_day=10)],
        warehouses=[],
        sites=sites,
        arcs=[Arc("ks", f"s{i}", round_trip_h=5.0) for i in range(3)],
        operating_h_per_day=10.0,
    )
    r = solve_supply(inst)
    assert sum(f.trucks_per_day[0] for f in fleet_requirements(inst, r)) == 3
    (origin,) = fleet_by_origin(inst, r)
    assert origin.node == "ks" and origin.trucks_per_day.tolist() == [2, 2] and origin.fleet_trucks == 1


def test_least_extra_capacity_and_its_warm_feasibility_check():
    """chain(): 100 t/day admitted against 130 t/day of need, nothing stocked ahead: 30 t/day more is the least.
    The check re-solves the instance with the addition (every shortfall held at zero) from the parametric LP's
    basis, and agrees with a cold check either side of the least amount."""
    inst = chain(5, 100.0, 130.0)
    kept: dict = {}
    got = min_extra_entry_capacity(inst, "ks", 0, keep=kept)
    assert got.status == "optimal" and got.t_per_day == pytest.approx(30.0, abs=1e-6)
    for extra, ok in ((30.0, True), (31.0, True), (29.0, False)):
        more = with_extra_capacity(inst, "ks", 0, 4, extra, open_days_only=True)
        assert meets_every_need(more, warm=kept["ks"]) is ok
        assert meets_every_need(more) is ok
    closed = chain(5, 0.0, 130.0)
    assert min_extra_entry_capacity(closed, "ks", 0).status == "infeasible"
