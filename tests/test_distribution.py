"""Distribution points: throughput, queue formulas against hand calculations, placement, zone checks."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from reliefplan._errors import InputError
from reliefplan.solvers.distribution import (
    PointService,
    collections_per_day,
    compare_layouts,
    erlang_c,
    people_capacity,
    place_points,
    queue,
    walking_time_s,
    zone_problems,
)


def test_throughput_hand_checked():
    # 4 counters x 30 households/h x 8 h = 960 collections a day; households of 5 every 14 days
    svc = PointService(
        servers=4, collections_per_server_h=30, hours_per_day=8, people_per_collection=5, interval_days=14
    )
    assert collections_per_day(svc) == 960
    assert people_capacity(svc) == 960 * 5 * 14 == 67_200


def test_mm1_mean_wait_hand_checked():
    # M/M/1, mu = 30/h, lambda = 15/h (120 people a day over 8 h): Wq = rho / (mu - lambda) = 0.5 / 15 h = 2 min
    q = queue(np.array([120.0]), PointService(1, 30, 8))
    assert q.utilisation[0] == pytest.approx(0.5)
    assert q.wait_mean_min[0] == pytest.approx(2.0)
    assert q.method == ["erlang_c"] and q.unserved_per_day[0] == 0


def test_mm2_mean_wait_hand_checked():
    # M/M/2, lambda = 30/h, mu = 30/h, rho = 0.5: Lq = 2 rho^3 / (1 - rho^2) = 1/3, Wq = Lq / lambda = 1/90 h
    q = queue(np.array([240.0]), PointService(2, 30, 8))
    assert q.wait_mean_min[0] == pytest.approx(60 / 90)
    # P(wait) for c = 2, a = 1: 2 rho^2 / (1 + rho) = 1/3
    assert erlang_c(np.array([2]), np.array([1.0]))[0] == pytest.approx(1 / 3)


def test_allen_cunneen_halves_the_wait_for_fixed_service():
    mm = queue(np.array([120.0]), PointService(1, 30, 8))
    md = queue(np.array([120.0]), PointService(1, 30, 8, service_cv=0.0))
    assert md.wait_mean_min[0] == pytest.approx(mm.wait_mean_min[0] / 2)  # exact for M/D/1 (Pollaczek-Khinchine)


def test_overloaded_point_uses_the_fluid_queue_hand_checked():
    # lambda = 60/h against 30/h for 8 h: queue grows at 30/h; served are those who came in the first 4 h;
    # mean wait 8 * 30 / (2 * 60) = 2 h, last served waited 4 h, 240 collections a day unserved.
    q = queue(np.array([480.0]), PointService(1, 30, 8))
    assert q.method == ["fluid"] and q.utilisation[0] == pytest.approx(2.0)
    assert q.wait_mean_min[0] == pytest.approx(120.0)
    assert q.wait_max_min[0] == pytest.approx(240.0)
    assert q.unserved_per_day[0] == pytest.approx(240.0)


def test_wait_grows_with_load():
    q = queue(np.array([60.0, 120.0, 180.0, 220.0]), PointService(1, 30, 8))
    assert np.all(np.diff(q.wait_mean_min) > 0)


def test_walking_time_and_bad_speed():
    assert walking_time_s(np.array([833.0]), 0.833)[0] == pytest.approx(1000.0)
    with pytest.raises(InputError, match="speed_m_s"):
        walking_time_s(np.array([1.0]), 0.0)


def line_case():
    zones_m = np.array([0.0, 1000.0, 3000.0, 4000.0])
    cand_m = np.array([500.0, 2000.0, 3500.0])
    walk = np.abs(zones_m[:, None] - cand_m[None, :]) / 1.0  # 1 m/s
    return np.full(4, 100.0), walk


def test_place_two_points_on_a_line_hand_checked():
    people, walk = line_case()
    svc = PointService(1, 30, 8)  # 240 people a day each
    pl = place_points(people, walk, 2, svc, max_utilisation=1.0, point_ids=["a", "b", "c"])
    assert pl.open_ids == ["a", "c"]
    assert pl.walk_mean_min == pytest.approx(500 / 60)
    assert pl.unreached_people.sum() == 0
    assert list(pl.people_per_point) == [200, 0, 200]
    assert pl.queue.utilisation == pytest.approx([200 / 240, 200 / 240])


def test_place_reports_people_beyond_capacity_and_walk_limit():
    people, walk = line_case()
    # 150 people per point at most: 100 of the 400 are unreached, never dropped
    pl = place_points(people, walk, 2, PointService(1, 30, 8), max_utilisation=150 / 240)
    assert pl.assign_people.sum() + pl.unreached_people.sum() == pytest.approx(400)
    assert pl.unreached_people.sum() == pytest.approx(100)
    # nobody may walk more than 400 s: every zone is 500 s from its nearest candidate
    pl = place_points(people, walk, 1, PointService(1, 30, 8), max_utilisation=1.0, max_walk_s=400)
    assert pl.unreached_people.sum() == pytest.approx(400)


def test_place_bad_input_is_reported():
    people, walk = line_case()
    with pytest.raises(InputError) as e:
        place_points(people, walk, 5, PointService(0, -1, 30), max_utilisation=1.5)
    text = str(e.value)
    for field in ("servers", "collections_per_server_h", "hours_per_day", "n_points", "max_utilisation"):
        assert f"field '{field}'" in text


def test_few_large_points_against_many_small_ones():
    # 10 x 10 zones of 500 m with 1,000 people each; 25 candidate points on a 2 km grid.
    g = (np.arange(10) + 0.5) * 500.0
    zx, zy = np.meshgrid(g, g)
    h = (np.arange(5) + 0.5) * 1000.0
    cx, cy = np.meshgrid(h, h)
    walk = np.hypot(zx.ravel()[:, None] - cx.ravel()[None, :], zy.ravel()[:, None] - cy.ravel()[None, :]) / 0.833
    people = np.full(100, 1000.0)
    large = PointService(10, 30, 8, 5, 14)  # 168,000 people each
    small = PointService(1, 30, 8, 5, 14)  # 16,800 people each
    rows = compare_layouts(
        people, walk, [("2 large", 2, large), ("8 small", 8, small)], max_utilisation=0.85, time_limit_s=10
    )
    few, many = rows
    assert few.people_placed == many.people_placed == 100_000  # both hold everyone here
    assert many.walk_mean_min < few.walk_mean_min
    assert few.queue_mean_min < many.queue_mean_min  # pooled counters queue less at the same utilisation


def test_points_outside_every_zone_are_bad_input():
    zones = [shapely.box(0, 0, 1, 1), shapely.box(2, 0, 3, 1)]
    probs = zone_problems(
        ["in", "edge", "out"], np.array([0.5, 1.0, 1.5]), np.array([0.5, 0.5, 0.5]), zones, file="s.yaml", kind="hubs"
    )
    assert len(probs) == 1
    assert "hubs[2] (out)" in str(probs[0]) and "lies in no zone" in str(probs[0])


def test_place_matches_brute_force_with_binding_capacity():
    from itertools import combinations

    from scipy.optimize import linprog

    rng = np.random.default_rng(7)
    zones, cands = rng.uniform(0, 3000, (9, 2)), rng.uniform(0, 3000, (6, 2))
    walk = np.hypot(zones[:, None, 0] - cands[None, :, 0], zones[:, None, 1] - cands[None, :, 1])
    people = rng.integers(100, 400, 9).astype(float)
    svc = PointService(1, 30, 8, interval_days=0.6 * people.sum() / 240)  # each point: 60 % of everyone
    best = np.inf
    for pair in combinations(range(6), 2):  # transportation LP for each pair (scipy HiGHS)
        c = walk[:, pair].ravel()
        a_eq = np.kron(np.eye(9), np.ones(2))
        a_ub = np.kron(np.ones(9), np.eye(2))
        lp = linprog(c, A_ub=a_ub, b_ub=np.full(2, 0.6 * people.sum()), A_eq=a_eq, b_eq=people, method="highs")
        best = min(best, lp.fun)
    pl = place_points(people, walk, 2, svc, max_utilisation=1.0, time_limit_s=10)
    assert pl.unreached_people.sum() == 0
    assert float(pl.assign_people @ walk[pl.assign_zone, pl.assign_point]) == pytest.approx(best, rel=1e-6)
