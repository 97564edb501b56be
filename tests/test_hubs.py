"""Hubs: opening decisions with the siting engine, hand-checked on points along a road."""

from __future__ import annotations

import numpy as np
import pytest

from reliefplan._errors import InputError
from reliefplan.solvers.hubs import choose_hubs

# Four points at km 0, 2, 10, 12 along a road; candidate hubs at km 1 and km 11.
POINTS_KM = np.array([0.0, 2.0, 10.0, 12.0])
HUBS_KM = np.array([1.0, 11.0])
KM = np.abs(POINTS_KM[:, None] - HUBS_KM[None, :])
T = np.array([10.0, 10.0, 10.0, 10.0])


def test_cheap_hubs_both_open_hand_checked():
    plan = choose_hubs(T, ["west", "east"], np.array([100.0, 100.0]), KM, hub_cost_tkm=np.array([5.0, 5.0]))
    assert plan.open_ids == ["west", "east"]
    assert list(plan.hub_of_point) == [0, 0, 1, 1]
    assert plan.tkm_per_day == pytest.approx(40.0)  # every point 1 km from its hub, 10 t each
    assert plan.siting["status"] == "optimal"


def test_expensive_hub_stays_closed_hand_checked():
    # Opening 'east' costs 200 t-km a day; serving the east points from 'west' adds 10 t x (9 + 11 - 1 - 1) = 180.
    plan = choose_hubs(T, ["west", "east"], np.array([100.0, 100.0]), KM, hub_cost_tkm=np.array([0.0, 200.0]))
    assert plan.open_ids == ["west"]
    assert plan.tkm_per_day == pytest.approx(10 * (1 + 1 + 9 + 11))


def test_capacity_and_opening_day():
    # 'east' opens on day 5: on day 0 'west' (25 t/day) takes what it can; 15 t are unmet, never dropped.
    plan = choose_hubs(T, ["west", "east"], np.array([25.0, 100.0]), KM, hub_open_day=np.array([0, 5]), day=0)
    assert plan.open_ids == ["west"]
    assert plan.tonnes_per_hub[0] == pytest.approx(20.0)  # single source: whole points only
    assert plan.unmet_t_per_day.sum() == pytest.approx(20.0)
    assert plan.tonnes_per_hub.sum() + plan.unmet_t_per_day.sum() == pytest.approx(40.0)
    later = choose_hubs(T, ["west", "east"], np.array([25.0, 100.0]), KM, hub_open_day=np.array([0, 5]), day=5)
    assert later.unmet_t_per_day.sum() == 0


def test_declared_warehouse_stays_open_and_bad_input():
    plan = choose_hubs(
        T,
        ["west", "east"],
        np.array([100.0, 100.0]),
        KM,
        hub_cost_tkm=np.array([0.0, 500.0]),
        declared=np.array([False, True]),
    )
    assert "east" in plan.open_ids
    with pytest.raises(InputError) as e:
        choose_hubs(np.array([-1.0, 1, 1, 1]), ["west", "east"], np.array([0.0, 10.0]), KM)
    assert "t_per_day" in str(e.value) and "capacity_t_per_day" in str(e.value)
    with pytest.raises(InputError, match="declared .existing. but opens on day 5"):
        choose_hubs(
            T,
            ["west", "east"],
            np.array([100.0, 100.0]),
            KM,
            hub_open_day=np.array([0, 5]),
            declared=np.array([False, True]),
        )
