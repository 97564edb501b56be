"""Supply LP with groups of people: equal or priority sharing, needs owed until delivered, cargo per commodity."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from reliefplan._errors import InputError
from reliefplan.solvers.supply import (
    Arc,
    Commodity,
    EntryPoint,
    Production,
    Site,
    SupplyInstance,
    Warehouse,
    instance_from_dict,
    solve_supply,
)


def two_groups(
    cap_t: float,
    days: int = 4,
    *,
    sharing: str = "equal",
    order: tuple[str, ...] = (),
    need_a: float = 60.0,
    need_b: float = 40.0,
) -> SupplyInstance:
    """One crossing, two sites; site s1 holds groups a and b, site s2 holds group b."""
    sites = [
        Site(
            "s1",
            demand_t={},
            groups={"a": {"water": [need_a] * days}, "b": {"water": [need_b] * days}},
            group_people={"a": [600.0] * days, "b": [400.0] * days},
            storage_t=0.0,
        ),
        Site(
            "s2",
            demand_t={},
            groups={"b": {"water": [100.0] * days}},
            group_people={"b": [1000.0] * days},
            storage_t=0.0,
        ),
    ]
    return SupplyInstance(
        days=days,
        commodities=[Commodity("water", 1.0)],
        entry_points=[EntryPoint("ks", capacity_t_per_day=cap_t)],
        warehouses=[],
        sites=sites,
        arcs=[Arc("ks", "s1"), Arc("ks", "s2")],
        sharing=sharing,
        group_priority=order,
    )


def coverage_by_cell(r) -> dict[tuple[str, str], float]:
    out = {}
    for q, (s, g) in enumerate(zip(r.cell_site, r.cell_group)):
        out[(r.site_ids[s], g)] = float(r.cell_consumed_t[0, q].sum() / r.cell_demand_t[0, q].sum())
    return out


def test_equal_sharing_gives_every_cell_the_same_coverage():
    r = solve_supply(two_groups(cap_t=120.0), trucks="off")  # 120 of 200 t/day: 60 % each
    cov = coverage_by_cell(r)
    assert set(cov) == {("s1", "a"), ("s1", "b"), ("s2", "b")}
    for v in cov.values():
        assert v == pytest.approx(0.6, abs=1e-6)
    assert r.shortfall_t.sum() == pytest.approx(4 * 80.0, abs=1e-6)


def test_priority_sharing_serves_the_first_group_first():
    r = solve_supply(two_groups(cap_t=120.0, sharing="priority", order=("b", "a")), trucks="off")
    cov = coverage_by_cell(r)
    # group b needs 140 t/day and gets all 120 t, shared equally within the group; a gets nothing
    assert cov[("s1", "b")] == pytest.approx(120 / 140, abs=1e-6)
    assert cov[("s2", "b")] == pytest.approx(120 / 140, abs=1e-6)
    assert cov[("s1", "a")] == pytest.approx(0.0, abs=1e-6)
    r2 = solve_supply(two_groups(cap_t=170.0, sharing="priority", order=("b", "a")), trucks="off")
    cov2 = coverage_by_cell(r2)
    assert cov2[("s1", "b")] == pytest.approx(1.0) and cov2[("s2", "b")] == pytest.approx(1.0)
    assert cov2[("s1", "a")] == pytest.approx(30.0 / 60.0, abs=1e-6)


def test_a_cell_with_its_own_well_is_not_levelled_down():
    inst = two_groups(cap_t=100.0)
    inst = replace(inst, production=[Production(node="s2", commodity="water", t_per_day=[100.0] * 4)])
    r = solve_supply(inst, trucks="off")
    cov = coverage_by_cell(r)
    assert cov[("s2", "b")] == pytest.approx(1.0, abs=1e-6)  # its well covers it
    assert cov[("s1", "a")] == pytest.approx(1.0, abs=1e-6) and cov[("s1", "b")] == pytest.approx(1.0, abs=1e-6)
    r = solve_supply(replace(inst, entry_points=[EntryPoint("ks", capacity_t_per_day=50.0)]), trucks="off")
    cov = coverage_by_cell(r)
    assert cov[("s2", "b")] == pytest.approx(1.0, abs=1e-6)
    assert cov[("s1", "a")] == pytest.approx(0.5, abs=1e-6) and cov[("s1", "b")] == pytest.approx(0.5, abs=1e-6)


def tents(cap_t: list[float], arrivals: list[float]) -> SupplyInstance:
    days = len(cap_t)
    return SupplyInstance(
        days=days,
        commodities=[Commodity("shelter_nfi", 1.0, carry_over=True)],
        entry_points=[EntryPoint("ks", capacity_t_by_day=cap_t)],
        warehouses=[],
        sites=[Site("s", demand_t={"shelter_nfi": arrivals}, storage_t=None)],
        arcs=[Arc("ks", "s")],
    )


def test_owed_tents_are_delivered_when_capacity_allows():
    """100 t of tents owed on day 0; 30 t/day of capacity: owed 70, 40, 10, then 0 from day 3."""
    r = solve_supply(tents([30.0] * 6, [100.0, 0, 0, 0, 0, 0]), trucks="off")
    np.testing.assert_allclose(r.shortfall_t[0, 0], [70, 40, 10, 0, 0, 0], atol=1e-6)
    np.testing.assert_allclose(r.consumed_t[0, 0], [30, 30, 30, 10, 0, 0], atol=1e-6)
    assert r.shortfall_by_commodity_t() == {"shelter_nfi": pytest.approx(0.0, abs=1e-6)}  # nothing owed at the end
    assert r.first_shortfall_day() == {"shelter_nfi": 0}
    # a day-0 rush then idle capacity: never lost, always delivered later
    r = solve_supply(tents([0.0, 0.0, 500.0, 0.0], [50.0, 50.0, 0, 0]), trucks="off")
    np.testing.assert_allclose(r.shortfall_t[0, 0], [50, 100, 0, 0], atol=1e-6)


def test_owed_tents_are_never_taken_back():
    r = solve_supply(tents([100.0, 0.0, 0.0], [10.0, 0.0, 90.0]), trucks="off")
    assert (r.consumed_t >= -1e-9).all()
    np.testing.assert_allclose(r.shortfall_t[0, 0], [0, 0, 0], atol=1e-6)  # stocked on day 0 for day 2 (storage)


def test_payload_per_commodity_counts_trucks_at_the_crossing():
    """10 trucks/day; food travels at 20 t per truck, shelter items at 10 t: 100 t of shelter items fill them."""
    days = 2
    inst = SupplyInstance(
        days=days,
        commodities=[Commodity("food", 1.0, payload_t=20.0), Commodity("shelter_nfi", 5.0, payload_t=10.0)],
        entry_points=[EntryPoint("ks", trucks_per_day=10, payload_t=20.0)],
        warehouses=[],
        sites=[Site("s", demand_t={"food": [0.0, 0.0], "shelter_nfi": [100.0, 100.0]}, storage_t=0.0)],
        arcs=[Arc("ks", "s")],
    )
    r = solve_supply(inst)
    np.testing.assert_allclose(r.consumed_t[1, 0], [100, 100], atol=1e-6)
    inst = replace(
        inst, sites=[Site("s", demand_t={"food": [100.0, 100.0], "shelter_nfi": [100.0, 100.0]}, storage_t=0.0)]
    )
    r = solve_supply(inst, trucks="off")
    # shelter items first (priority 5/t): 10 trucks all carry them; no room for food
    assert r.consumed_t[1, 0].sum() == pytest.approx(200.0, abs=1e-6)
    assert r.consumed_t[0, 0].sum() == pytest.approx(0.0, abs=1e-6)
    assert r.fleet[0].trucks_per_day.tolist() == [10, 10]


def test_pipelines_carry_no_truckloads():
    days = 3
    inst = SupplyInstance(
        days=days,
        commodities=[Commodity("water", 1.0)],
        entry_points=[EntryPoint("ks", capacity_t_per_day=0.0)],
        warehouses=[Warehouse("well")],
        sites=[Site("s", demand_t={"water": [40.0] * days})],
        arcs=[Arc("ks", "s"), Arc("well", "s", trucked=False)],
        production=[Production("well", "water", [40.0] * days)],
    )
    r = solve_supply(inst)
    assert r.shortfall_t.sum() == pytest.approx(0.0, abs=1e-6)
    assert r.objective_trucks == pytest.approx(0.0, abs=1e-9)
    assert r.fleet[1].fleet_trucks is None and r.fleet[1].max_trucks_per_day == 0


def test_warm_start_with_new_needs_gives_the_cold_optimum():
    warm: dict = {}
    for a, b in ((60.0, 40.0), (30.0, 90.0), (80.0, 10.0)):
        inst = two_groups(cap_t=120.0, need_a=a, need_b=b)
        hot, cold = solve_supply(inst, warm=warm, trucks="off"), solve_supply(inst, trucks="off")
        assert hot.objective_deprivation == pytest.approx(cold.objective_deprivation, abs=1e-6)
        for v, w in zip(coverage_by_cell(hot).values(), coverage_by_cell(cold).values()):
            assert v == pytest.approx(w, abs=1e-6)
        assert len(warm) == 1


def test_json_instance_with_groups_sharing_and_payloads():
    data = {
        "days": 2,
        "sharing": {"policy": "priority", "priority": ["b", "a"]},
        "commodities": [{"id": "water", "payload_t": 15}, {"id": "tents", "carry_over": True}],
        "entry_points": [{"id": "ks", "trucks_per_day": 4, "payload_t": 20}],
        "sites": [
            {
                "id": "s",
                "groups": {
                    "a": {"demand_t_per_day": {"water": 30}, "people": 2000},
                    "b": {"demand_t_per_day": {"water": 30, "tents": [5, 0]}},
                },
            }
        ],
        "arcs": [{"from": "ks", "to": "s"}, {"from": "ks", "to": "s", "trucked": False}],
    }
    inst = instance_from_dict(data)
    assert inst.sharing == "priority" and inst.group_priority == ("b", "a")
    assert inst.commodities[0].payload_t == 15 and inst.commodities[1].carry_over
    assert inst.sites[0].groups["b"]["tents"] == [5, 0] and inst.sites[0].group_people["a"] == [2000, 2000]
    r = solve_supply(inst, trucks="off")
    assert r.cell_group == ["a", "b"]
    assert r.cell_people[0].tolist() == [2000, 2000] and np.isnan(r.cell_people[1]).all()


@pytest.mark.parametrize(
    "patch, field",
    [
        ({"sharing": {"policy": "fairest"}}, "sharing.policy"),
        ({"sharing": {"policy": "priority", "priority": ["nobody"]}}, "sharing.priority"),
        ({"commodities": [{"id": "water", "payload_t": 0}]}, "payload_t"),
        ({"commodities": [{"id": "water", "carry_over": "yes"}]}, "carry_over"),
    ],
)
def test_bad_sharing_and_payloads_are_named(patch, field):
    data = {
        "days": 2,
        "commodities": [{"id": "water"}],
        "entry_points": [{"id": "ks", "capacity_t_per_day": 5}],
        "sites": [{"id": "s", "demand_t_per_day": {"water": 1}}],
        "arcs": [{"from": "ks", "to": "s"}],
    }
    with pytest.raises(InputError) as e:
        instance_from_dict({**data, **patch}, file="x.json")
    assert any(p.field == field and p.file == "x.json" for p in e.value.problems), e.value.problems
