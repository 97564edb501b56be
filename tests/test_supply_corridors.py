"""Parallel corridors through a transit hub (solvers/supply/corridors.py) against the LP with every corridor: the
same optimal deprivation, flows restored onto the original corridors that conserve goods node by node, and a case
checked by hand."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from reliefplan.solvers.supply import Arc, Commodity, EntryPoint, Site, SupplyInstance, Warehouse, solve_supply
from reliefplan.solvers.supply.corridors import HUB_PREFIX, aggregate


def conservation_residual(inst: SupplyInstance, r) -> float:
    """Goods conserved at every node and day, corridor by corridor in plain loops, with what a corridor loses on
    the way (test_supply's check, with losses)."""
    E, W = len(inst.entry_points), len(inst.warehouses)
    nodes = [e.id for e in inst.entry_points] + [w.id for w in inst.warehouses] + [s.id for s in inst.sites]
    worst = 0.0
    for k in range(len(inst.commodities)):
        for n, nid in enumerate(nodes):
            for t in range(inst.days):
                inflow = sum(
                    r.flow_t[k, a, t - arc.travel_days] * (1.0 - arc.loss_share)
                    for a, arc in enumerate(inst.arcs)
                    if arc.target == nid and t >= arc.travel_days
                )
                out = sum(r.flow_t[k, a, t] for a, arc in enumerate(inst.arcs) if arc.source == nid)
                if n < E:
                    bal = r.entry_use_t[k, n, t] + inflow - out
                else:
                    j = n - E
                    stock = r.warehouse_stock_t[k, j] if j < W else r.site_stock_t[k, j - W]
                    use = r.consumed_t[k, j - W, t] if j >= W else 0.0
                    bal = (stock[t - 1] if t else 0.0) + inflow - out - use - stock[t]
                worst = max(worst, abs(bal))
    return worst


def _instance(seed: int, sharing: str, days: int = 10) -> SupplyInstance:
    """Three origins (a crossing, a pier with losses and its own payload, a chain's end after a warehouse) each with
    a corridor to every site, some a day long; a site reached by fewer origins (not in the block); a commodity the
    pier does not carry; owed tents; entry capacity below the need, so some days are short."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 7))
    commodities = [
        Commodity(id="water", priority=3.0),
        Commodity(id="food", priority=2.0),
        Commodity(id="tents", priority=1.0, carry_over=True, payload_t=8.0),
    ]
    sites = []
    for j in range(n):
        people = float(rng.integers(500, 3000))
        ramp = np.clip((np.arange(days) + 1) / (int(rng.integers(0, 4)) + 1), 0, 1) * people
        sites.append(
            Site(
                id=f"s{j}",
                demand_t={
                    "water": list(ramp * 0.015),
                    "food": list(ramp * 0.0006),
                    "tents": list(np.diff(np.concatenate([[0.0], ramp])) * 0.01),
                },
                storage_t=float(rng.uniform(5, 60)) if rng.random() < 0.7 else None,
            )
        )
    need = sum(sum(v) for s in sites for v in s.demand_t.values()) / days
    closed = tuple(int(d) for d in rng.choice(np.arange(2, days), size=3, replace=False))
    entries = [
        EntryPoint(
            id="A", trucks_per_day=round(need * rng.uniform(0.3, 0.7) / 20, 2), payload_t=20, closed_days=closed
        ),
        EntryPoint(id="P", capacity_t_per_day=need * rng.uniform(0.1, 0.4), payload_t=50, mode="sea", opening_day=2),
        EntryPoint(id="B", trucks_per_day=round(need * rng.uniform(0.1, 0.3) / 20, 2), payload_t=20),
    ]
    d_a = int(rng.integers(0, 2))
    loss = float(rng.uniform(0, 0.2))
    arcs = [Arc("B", "W", 0)]
    for s in sites[:-1]:
        arcs += [
            Arc("A", s.id, d_a, round_trip_h=float(rng.uniform(1, 6))),
            Arc("P", s.id, 0, payload_t=50, commodities=("water", "food"), round_trip_h=float(rng.uniform(1, 6))),
            Arc("W", s.id, 1, loss_share=loss, round_trip_h=float(rng.uniform(1, 6))),
        ]
    arcs += [Arc("A", sites[-1].id, 0), Arc("W", sites[-1].id, 0, capacity_t_per_day=need / 4)]
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


def test_a_block_of_parallel_corridors_becomes_one_hub():
    inst = _instance(0, "equal")
    corr = aggregate(inst)
    n = len(inst.sites) - 1
    assert corr.hubs == 1 and corr.instance.warehouses[-1].id == f"{HUB_PREFIX}0"
    assert len(corr.instance.arcs) == len(inst.arcs) - 3 * n + 3 + n  # 3 origins x n sites -> 3 in, n out
    # the last site's corridors (one of them capped) stay as they are
    assert [inst.arcs[i] for i in corr.kept] == corr.instance.arcs[: corr.kept.size]
    assert aggregate(replace(inst, arcs=[a for a in inst.arcs if a.source == "A" or a.source == "B"])).hubs == 0


@pytest.mark.parametrize("sharing", ["equal", "none", "priority"])
@pytest.mark.parametrize("seed", range(5))
def test_hubs_reach_the_optimum_of_every_corridor(seed, sharing):
    inst = _instance(seed, sharing)
    for method in ("direct", "sifting"):
        hub = solve_supply(inst, method=method)
        every = solve_supply(inst, method=method, transit_hubs=False)
        assert hub.status == every.status == "Optimal"
        assert hub.objective_deprivation == pytest.approx(every.objective_deprivation, rel=1e-7, abs=1e-6)
        assert hub.objective_deprivation > 1.0  # short: the split over corridors is a real choice
        # the restored plan, checked on the original corridors in plain loops
        assert hub.flow_t.shape == every.flow_t.shape and hub.warehouse_stock_t.shape == every.warehouse_stock_t.shape
        assert conservation_residual(inst, hub) < 1e-6
        assert hub.flow_t.min() >= 0.0
        # the pier's corridors carry no tents; nothing travels beyond the horizon
        k_tents = [c.id for c in inst.commodities].index("tents")
        pier = [a for a, arc in enumerate(inst.arcs) if arc.source == "P"]
        assert np.abs(hub.flow_t[k_tents, pier]).max() == 0.0
        for a, arc in enumerate(inst.arcs):
            if arc.travel_days:
                assert np.abs(hub.flow_t[:, a, inst.days - arc.travel_days :]).max() == 0.0
        # what is lost on the way is the corridors' loss share of what they carried
        loss = np.array([a.loss_share for a in inst.arcs])
        assert np.allclose(hub.arc_lost_t, hub.flow_t * loss[None, :, None])
        # truckloads: what left each crossing in trucks, the same count the crossing's entry use gives
        assert hub.objective_trucks is not None and every.objective_trucks is not None


def test_split_over_corridors_by_hand():
    """Crossings X (10 t/day) and Y (5 t/day) both reach sites a and b (8 t/day each), Y nearer to b: 1 t short a day,
    shared equally (0.5 t each); b is filled from Y first (5 t), then X (2.5 t); a all from X (7.5 t)."""
    inst = SupplyInstance(
        days=2,
        commodities=[Commodity("food", 1.0)],
        entry_points=[EntryPoint("X", capacity_t_per_day=10.0), EntryPoint("Y", capacity_t_per_day=5.0)],
        warehouses=[],
        sites=[Site("a", demand_t={"food": [8.0, 8.0]}), Site("b", demand_t={"food": [8.0, 8.0]})],
        arcs=[
            Arc("X", "a", 0, round_trip_h=2.0),
            Arc("X", "b", 0, round_trip_h=3.0),
            Arc("Y", "a", 0, round_trip_h=4.0),
            Arc("Y", "b", 0, round_trip_h=1.0),
        ],
        sharing="equal",
    )
    assert aggregate(inst).hubs == 1
    r = solve_supply(inst)
    assert r.objective_deprivation == pytest.approx(2.0)
    assert r.shortfall_t[0, :, 0] == pytest.approx([0.5, 0.5])
    assert r.flow_t[0, :, 0] == pytest.approx([7.5, 2.5, 0.0, 5.0])
    assert r.delivered_t[0, :, 1] == pytest.approx([7.5, 7.5])
    assert conservation_residual(inst, r) < 1e-9


@pytest.mark.parametrize("seed", range(3))
def test_a_chain_with_hubs_and_max_value_scaling_reaches_the_plain_optimum(seed, monkeypatch):
    """A delivery chain after crossing A (a backlog of unlimited stock: max-value scaling) and the pier's loss:
    the default solve (transit hubs, max-value scaling) against every corridor with HiGHS' default scaling."""
    from reliefplan.solvers import chain
    from reliefplan.solvers.supply import solve as supply_solve

    base = _instance(seed, "equal")
    days = base.days
    inst = chain.with_chain(
        base, [chain.EntryChain("A", collection_loads_by_day=[3.0] * days, movements_loads_by_day=[2.5] * days)]
    )
    assert aggregate(inst).hubs == 1 and any(w.capacity_t is None for w in inst.warehouses)
    now = solve_supply(inst)
    monkeypatch.setattr(supply_solve, "BACKLOG_SCALE_STRATEGY", None)
    before = solve_supply(inst, transit_hubs=False)
    assert now.status == before.status == "Optimal"
    assert now.objective_deprivation == pytest.approx(before.objective_deprivation, rel=1e-7, abs=1e-6)
    assert conservation_residual(inst, now) < 1e-6


@pytest.mark.parametrize("seed", range(8))
def test_split_as_arrays_equals_the_per_day_passes(seed):
    """`_split` (greedy passes side by side over commodities and days) against the per-pass loop it replaced
    (tests/corridors_reference.py): the same tonnes on every corridor and day, bit for bit; origins with and
    without travel days and losses (one losing everything), links with solver noise and zero days."""
    from corridors_reference import _split as split_reference

    from reliefplan.solvers.supply.corridors import _Block, _split

    rng = np.random.default_rng(seed)
    K, n_o, J, T = 3, int(rng.integers(2, 5)), int(rng.integers(3, 30)), int(rng.integers(1, 25))
    days = rng.integers(0, 4, n_o)
    keep = rng.choice([1.0, 0.9, 0.75, 0.5], n_o)
    if seed % 3 == 0:
        keep[-1] = 0.0
    rt = rng.random((n_o, J))
    b = _Block(
        into=np.arange(n_o),
        out=np.arange(J),
        arcs=np.arange(n_o * J).reshape(n_o, J),
        days=days,
        keep=keep,
        order=np.argsort(rt.T, axis=1, kind="stable"),
    )
    sent = rng.random((K, n_o, T)) * rng.choice([0.0, 1.0, 50.0], (K, n_o, T))
    links = rng.random((K, J, T)) * rng.choice([0.0, 1.0, 3.0], (K, J, T))
    links[0, 0, :] = 1e-15  # noise on a day nothing arrives
    got = _split(b, sent, links)
    want = split_reference(b, sent, links)
    assert got.shape == want.shape
    assert np.array_equal(got, want)
