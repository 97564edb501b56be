"""The delivery chain in the supply LP (issue 20): entry modes, collection backlog, convoy movements, losses."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from reliefplan._errors import InputError
from reliefplan.solvers.chain import (
    EntryChain,
    availability_by_day,
    chain_report,
    mode_figures,
    pier_2024_availability,
    with_chain,
)
from reliefplan.solvers.supply import Arc, Commodity, EntryPoint, Site, SupplyInstance, instance_from_dict, solve_supply


def _inst(
    days: int = 5,
    trucks: float = 10,
    demand: float = 300.0,
    closed: tuple[int, ...] = (),
    storage: float | None = None,
    **entry,
) -> SupplyInstance:
    return SupplyInstance(
        days=days,
        commodities=[Commodity("food", payload_t=20)],
        entry_points=[EntryPoint("ks", trucks_per_day=trucks, closed_days=closed, **{"payload_t": 20.0, **entry})],
        warehouses=[],
        sites=[Site("s", demand_t={"food": [demand] * days}, storage_t=storage)],
        arcs=[Arc("ks", "s")],
    )


def test_collection_and_route_loss_by_hand():
    # 10 trucks x 20 t enter, 5 loads collected (100 t), 8 movements allowed, 10 % lost: 90 t a day arrive
    inst = with_chain(
        _inst(), [EntryChain("ks", collection_loads_by_day=[5] * 5, movements_loads_by_day=[8] * 5, loss_share=0.1)]
    )
    res = solve_supply(inst)
    assert res.status == "Optimal"
    assert res.delivered_t.sum() == pytest.approx(450.0)
    assert res.shortfall_t.sum() == pytest.approx(1500 - 450)
    rep = chain_report(inst, res)["entry_points"][0]
    assert rep["lost_on_route_t"] == pytest.approx(50.0)
    assert rep["delivered_t"] == pytest.approx(450.0)
    assert all(r["collected_t"] == pytest.approx(100.0) and r["moved_t"] == pytest.approx(100.0) for r in rep["daily"])
    assert rep["binds_most"] == "collection"
    assert res.max_conservation_residual_t < 1e-6
    kinds = {b.kind for b in res.binding}
    assert "collection" in kinds and "movements" not in kinds


def test_backlog_carries_goods_over_a_closure():
    # the crossing closes on days 3-4; collection (5 loads = 100 t/day) goes on: goods entered early wait inside
    inst = with_chain(
        _inst(trucks=20, demand=100, closed=(3, 4), storage=0.0), [EntryChain("ks", collection_loads_by_day=[5] * 5)]
    )
    res = solve_supply(inst)
    assert res.shortfall_t.sum() == pytest.approx(0.0, abs=1e-6)
    rep = chain_report(inst, res)["entry_points"][0]
    assert rep["entered_t"] == pytest.approx(500.0)
    backlog = [r["backlog_t"] for r in rep["daily"]]
    assert backlog[2] == pytest.approx(200.0) and backlog[4] == pytest.approx(0.0, abs=1e-6)
    # without the backlog stock the closure days go short: entry -> collected the same day at most 100 t
    plain = solve_supply(_inst(trucks=20, demand=100, closed=(3, 4), storage=0.0))
    assert plain.shortfall_t.sum() == pytest.approx(200.0)


def test_airdrop_entry_loss_by_hand():
    fig = mode_figures("air")
    assert fig.payload_t == 2.9 and fig.loss_share == 0.1
    assert fig.cost_usd_per_t == pytest.approx(100 * mode_figures("land").cost_usd_per_t)
    inst = _inst(
        trucks=10,
        demand=100,
        payload_t=fig.payload_t,
        mode="air",
        loss_share=fig.loss_share,
        uniform_payload=True,
        cost_usd_per_t=fig.cost_usd_per_t,
    )
    res = solve_supply(inst)
    assert res.delivered_t.sum() == pytest.approx(5 * 29 * 0.9)
    rep = chain_report(inst, res)
    e = rep["entry_points"][0]
    assert e["entered_t"] == pytest.approx(145.0) and e["lost_at_entry_t"] == pytest.approx(14.5)
    assert e["cost_usd_per_t_delivered"] == pytest.approx(fig.cost_usd_per_t / 0.9, rel=1e-3)


@pytest.mark.parametrize("seed", range(12))
def test_closed_form_single_chain(seed):
    """Independent check: one entry, one site, no storage, constant series: delivered a day =
    min(need, (1 - loss) x min(entry t, collection t, movements t))."""
    rng = np.random.default_rng(seed)
    trucks, coll, moves = rng.uniform(0, 20, 3)
    loss, entry_loss = rng.uniform(0, 0.5, 2)
    need = rng.uniform(50, 400)
    inst = with_chain(
        _inst(days=4, trucks=trucks, demand=need, storage=0.0, loss_share=entry_loss),
        [EntryChain("ks", collection_loads_by_day=[coll] * 4, movements_loads_by_day=[moves] * 4, loss_share=loss)],
    )
    res = solve_supply(inst)
    got = (1 - loss) * min((1 - entry_loss) * trucks * 20, coll * 20, moves * 20)
    assert res.delivered_t.sum(axis=(0, 1)) == pytest.approx(np.full(4, min(need, got)), abs=1e-6)


def test_monotone_in_loss_trucks_and_approvals():
    """Fewer trucks, fewer movements allowed or more loss never read better."""

    def short(trucks: float, share: float, loss: float) -> float:
        inst = with_chain(
            _inst(days=6, trucks=trucks, demand=250, storage=500.0),
            [
                EntryChain(
                    "ks", collection_loads_by_day=[9] * 6, movements_loads_by_day=[share * 12] * 6, loss_share=loss
                )
            ],
        )
        return float(solve_supply(inst).shortfall_t.sum())

    grid = list(itertools.product([6, 10, 14], [0.3, 0.6, 1.0], [0.0, 0.1, 0.4]))
    vals = {g: short(*g) for g in grid}
    for (t, s, loss), v in vals.items():
        for (t2, s2, l2), v2 in vals.items():
            if t2 <= t and s2 <= s and l2 >= loss:
                assert v2 >= v - 1e-6


def test_pier_2024_availability_pattern():
    a = pier_2024_availability(70, from_day=2)
    assert a[:2].sum() == 0 and a[2:10].all() and not a[10:24].any()
    assert a[2:64].sum() == 19  # 19 days operated of the 62 (COGAT)
    share, how = availability_by_day(0.31, 10, 3)
    assert share[:3].sum() == 0 and share[3:] == pytest.approx(0.31) and "expected share" in how


def test_bad_input_named():
    base = {
        "days": 2,
        "commodities": [{"id": "food"}],
        "sites": [{"id": "s", "demand_t_per_day": {"food": 1}}],
        "arcs": [{"from": "e", "to": "s", "loss_share": 1.5}],
        "entry_points": [{"id": "e", "trucks_per_day": 1, "mode": "boat", "loss_share": -0.1, "payload_t": 0}],
    }
    with pytest.raises(InputError) as err:
        instance_from_dict(base, file="x.json")
    text = str(err.value)
    assert "unknown mode 'boat'" in text and "loss_share" in text and "payload_t" in text
    assert "arcs[0]" in text and "expected a share in [0, 1], got 1.5" in text
    with pytest.raises(InputError, match="unknown entry point 'nowhere'"):
        with_chain(_inst(), [EntryChain("nowhere")])
    with pytest.raises(InputError, match="collection_loads_by_day"):
        with_chain(_inst(), [EntryChain("ks", collection_loads_by_day=[1, 2])])
    with pytest.raises(InputError, match="t per sortie > 0"):
        mode_figures("air", payload_t=0.0)
    with pytest.raises(InputError, match="expected one of"):
        mode_figures("rail")
    with pytest.raises(InputError, match="pier-2024"):
        availability_by_day("sometimes", 5)


def test_without_chain_the_lp_is_unchanged():
    inst = _inst()
    a, b = solve_supply(inst), solve_supply(with_chain(inst, []))
    assert a.objective_deprivation == b.objective_deprivation
    assert np.array_equal(a.delivered_t, b.delivered_t)


def _fuel_inst(fuel_t_per_day: float, water_t: float = 0.0) -> SupplyInstance:
    """A desalination plant making up to 100 m3/day with 1.1 L/m3 of diesel (0.000924 t per t of water); fuel and
    water come through one crossing of `fuel_t_per_day` t of fuel (tanker 36.8 t) or `water_t` of water a day."""
    from reliefplan.solvers.supply import Production, Warehouse

    cap = fuel_t_per_day + water_t
    return SupplyInstance(
        days=3,
        commodities=[Commodity("water", payload_t=cap or 1.0), Commodity("fuel", payload_t=cap or 1.0)],
        entry_points=[EntryPoint("ks", capacity_t_per_day=cap, payload_t=cap or 1.0)],
        warehouses=[Warehouse("plant", capacity_t=0.0)],
        sites=[Site("s", demand_t={"water": [100.0] * 3})],
        arcs=[
            Arc("ks", "plant", commodities=("fuel",)),
            Arc("plant", "s", trucked=False, commodities=("water",)),
            Arc("ks", "s", commodities=("water",)),
        ],
        production=[Production("plant", "water", [100.0] * 3, inputs={"fuel": 1.1 * 0.00084})],
    )


def test_fuel_shortfall_cuts_water_by_hand():
    # 0.05 t of fuel a day runs the plant for 0.05 / 0.000924 = 54.1 m3; the rest of the 100 m3 is short
    res = solve_supply(_fuel_inst(0.05))
    made = 0.05 / (1.1 * 0.00084)
    assert res.production_t[0] == pytest.approx(np.full(3, made))
    assert res.shortfall_t.sum() == pytest.approx(3 * (100 - made))
    assert res.max_conservation_residual_t < 1e-9
    # enough fuel: the plant runs at its rate and nothing is short
    assert solve_supply(_fuel_inst(1.0)).shortfall_t.sum() == pytest.approx(0.0, abs=1e-9)


def test_less_fuel_never_more_water():
    short = [float(solve_supply(_fuel_inst(f)).shortfall_t.sum()) for f in (0.0, 0.02, 0.05, 0.08, 0.2)]
    assert all(a >= b - 1e-9 for a, b in zip(short, short[1:]))
    assert short[0] == pytest.approx(300.0)


def test_fuel_input_bad_input():
    from reliefplan.solvers.supply import Production, validate_instance

    inst = _fuel_inst(0.05)
    bad = replace_production(inst, Production("plant", "water", [100.0] * 3, inputs={"diesel": 1.0, "water": -1}))
    with pytest.raises(InputError) as err:
        validate_instance(bad)
    assert "inputs.diesel" in str(err.value) and "inputs.water" in str(err.value)


def replace_production(inst: SupplyInstance, p) -> SupplyInstance:
    from dataclasses import replace

    return replace(inst, production=[p])


def test_distribution_points_queue_and_walk_by_hand():
    from types import SimpleNamespace

    import shapely

    from reliefplan.solvers.distribution import PointService
    from reliefplan.solvers.layout import Features
    from reliefplan.stages.distribution_sites import distribution_by_site, distribution_indicators

    def square(x: float, y: float):
        return shapely.box(x - 1, y - 1, x + 1, y + 1)

    plots = Features(np.array([square(100, 0), square(0, 50)], dtype=object), {"people": np.array([10, 30])})
    dp = Features(np.array([shapely.Point(0, 0)], dtype=object), {"people_served": np.array([3360])})
    lay = SimpleNamespace(site_id="S", plots=plots, distribution_points=dp)
    svc = PointService(
        servers=1, collections_per_server_h=30, hours_per_day=8, people_per_collection=5.6, interval_days=14
    )
    (row,) = distribution_by_site([lay], svc)
    lam = 3360 / 5.6 / 14 / 8  # collections per hour
    assert row.utilisation_max == pytest.approx(round(lam / 30, 3))
    assert row.wait_mean_min == pytest.approx(round(60 * (lam / 30) / (30 - lam), 1))  # M/M/1, cv 1
    assert row.walk_mean_m == pytest.approx((10 * 100 + 30 * 50) / 40)  # grid (Manhattan) walks
    assert row.walk_max_m == pytest.approx(100.0)
    (ind,) = distribution_indicators([row], 0.85, "ASSUMPTION")
    assert ind.met is True and ind.scope == "site:S"
    busy = SimpleNamespace(
        site_id="B", plots=plots, distribution_points=Features(dp.geometry, {"people_served": np.array([30_000])})
    )
    (over,) = distribution_by_site([busy], svc)
    assert over.utilisation_max > 1 and over.unserved_collections_per_day > 0
    assert distribution_indicators([over], 0.85, "x")[0].met is False
