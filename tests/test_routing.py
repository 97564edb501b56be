"""Last-mile routing: hand-checked tiny instances, brute force on 6 stops, unreachable stops, readers."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from reliefplan._errors import InputError
from reliefplan.cli import app
from reliefplan.solvers.routing import (
    RoutingInstance,
    instance_from_json,
    read_instance_file,
    route_problems,
    screen_stops,
    solomon_from_text,
    solve_routing,
)

FAST = 0.5  # s of search per solve: tiny instances converge in milliseconds


def make(
    xy_depots, xy_stops, demand, cap, vehicle_depot, *, open_=None, close=None, service=None, day=(0.0, 1e4), speed=1.0
) -> RoutingInstance:
    xy = np.array([*xy_depots, *xy_stops], dtype=float)
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    n_s, n_d = len(xy_stops), len(xy_depots)
    return RoutingInstance(
        [f"h{k}" for k in range(n_d)],
        [f"s{k}" for k in range(n_s)],
        np.asarray(demand, float),
        np.zeros(n_s) if service is None else np.asarray(service, float),
        np.zeros(n_s) if open_ is None else np.asarray(open_, float),
        np.full(n_s, day[1]) if close is None else np.asarray(close, float),
        np.full(n_d, day[0]),
        np.full(n_d, day[1]),
        [f"v{k}" for k in range(len(vehicle_depot))],
        np.asarray(vehicle_depot),
        np.asarray(cap, float),
        d,
        d / speed,
    )


def test_two_stops_on_a_line_one_vehicle_hand_checked():
    inst = make([(0, 0)], [(10, 0), (20, 0)], [1, 1], [5], [0])
    r = solve_routing(inst, time_limit_s=FAST)
    assert r.status in ("feasible", "optimal")
    assert r.vehicles_used == 1 and not r.unserved
    assert r.distance_m == pytest.approx(40.0)  # 0 -> 10 -> 20 -> 0
    assert r.load_delivered == 2.0
    route = next(x for x in r.routes if x.stop_ids)
    # either direction is optimal: 10 then 20, or 20 then 30 (the far stop first)
    expected = [10.0, 20.0] if route.stop_ids == ["s0", "s1"] else [20.0, 30.0]
    assert route.service_start_s == pytest.approx(expected)
    assert (route.start_s, route.end_s) == (0.0, 40.0)


def test_capacity_forces_two_vehicles_hand_checked():
    # One vehicle of capacity 2: 10 + sqrt(200) + 10 = 34.14; two of capacity 1: 20 + 20 = 40.
    one = solve_routing(make([(0, 0)], [(10, 0), (0, 10)], [1, 1], [2], [0]), time_limit_s=FAST)
    assert one.distance_m == pytest.approx(20 + math.sqrt(200))
    two = solve_routing(make([(0, 0)], [(10, 0), (0, 10)], [1, 1], [1, 1], [0, 0]), time_limit_s=FAST)
    assert two.vehicles_used == 2 and two.distance_m == pytest.approx(40.0)


def test_time_windows_reorder_the_route_hand_checked():
    # The far stop must be served first (window [20, 25]); the near one after (window [40, 100]).
    inst = make([(0, 0)], [(10, 0), (20, 0)], [1, 1], [5], [0], open_=[40, 20], close=[100, 25])
    r = solve_routing(inst, time_limit_s=FAST)
    route = next(x for x in r.routes if x.stop_ids)
    assert route.stop_ids == ["s1", "s0"]
    assert route.service_start_s == pytest.approx([20.0, 40.0])  # waits at s0 from 30 to 40
    assert r.distance_m == pytest.approx(40.0)
    assert route_problems(inst, r.routes) == []


def brute_force(inst: RoutingInstance) -> float:
    """Least total distance over every assignment of ordered stop sequences to the vehicles."""
    n_d, n_s, n_v = len(inst.depot_ids), len(inst.stop_ids), len(inst.vehicle_ids)
    d, tt = inst.distance_m, inst.travel_time_s

    def route_cost(v: int, seq: tuple[int, ...]) -> float:
        if not seq:
            return 0.0
        h = int(inst.vehicle_depot[v])
        if inst.demand[list(seq)].sum() > inst.vehicle_capacity[v] + 1e-9:
            return math.inf
        t, prev, dist = inst.depot_open_s[h], h, 0.0
        for j in seq:
            t = max(t + tt[prev, n_d + j], inst.window_open_s[j])
            if t > inst.window_close_s[j] + 1e-9:
                return math.inf
            t += inst.service_time_s[j]
            dist += d[prev, n_d + j]
            prev = n_d + j
        if t + tt[prev, h] > inst.depot_close_s[h] + 1e-9:
            return math.inf
        return dist + d[prev, h]

    best = math.inf
    for perm in itertools.permutations(range(n_s)):
        # cut the permutation into n_v consecutive (possibly empty) pieces, piece k -> vehicle k
        for cuts in itertools.combinations_with_replacement(range(n_s + 1), n_v - 1):
            bounds = (0, *cuts, n_s)
            total = 0.0
            for v in range(n_v):
                total += route_cost(v, perm[bounds[v] : bounds[v + 1]])
                if total >= best:
                    break
            best = min(best, total)
    return best


@pytest.mark.parametrize("seed", [1, 2, 3, 4])  # windows bind on each (the optimum without them is shorter)
def test_matches_brute_force_on_six_stops(seed):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 100, (6, 2))
    open_ = rng.uniform(0, 150, 6)
    inst = make(
        [(50, 50)],
        xy,
        rng.integers(1, 5, 6),
        [8, 8, 8],
        [0, 0, 0],
        open_=open_,
        close=open_ + 40,
        service=np.full(6, 5.0),
        day=(0.0, 400.0),
    )
    opt = brute_force(inst)
    r = solve_routing(inst, time_limit_s=FAST)
    assert math.isfinite(opt) and not r.unserved
    assert route_problems(inst, r.routes) == []
    assert r.distance_m == pytest.approx(opt, rel=1e-6)


@pytest.mark.parametrize("seed", range(2))
def test_matches_brute_force_with_two_hubs(seed):
    rng = np.random.default_rng(100 + seed)
    inst = make(
        [(0, 0), (100, 100)], rng.uniform(0, 100, (6, 2)), rng.integers(1, 4, 6), [9, 9], [0, 1], day=(0.0, 1000.0)
    )
    opt = brute_force(inst)
    r = solve_routing(inst, time_limit_s=FAST)
    assert route_problems(inst, r.routes) == []
    assert r.distance_m == pytest.approx(opt, rel=1e-6)
    assert {x.depot_id for x in r.routes if x.stop_ids} <= {"h0", "h1"}


def test_unreachable_window_is_a_result_with_its_reason():
    # s1 is 50 away but its window closes at 30: no vehicle can get there in time.
    inst = make([(0, 0)], [(10, 0), (50, 0)], [1, 1], [5], [0], close=[100, 30], day=(0.0, 200.0))
    r = solve_routing(inst, time_limit_s=FAST)
    assert [u.stop_id for u in r.unserved] == ["s1"]
    u = r.unserved[0]
    assert u.code == "window_unreachable"
    assert "earliest arrival is 50 s" in u.reason and "closes at 30 s" in u.reason
    assert r.load_delivered == 1.0 and r.load_unserved == 1.0
    assert r.distance_m == pytest.approx(20.0)


def test_other_unserved_reasons():
    # s0: back at the hub after it closes; s1: load larger than any vehicle; s2: no road.
    inst = make([(0, 0)], [(60, 0), (5, 0), (7, 0)], [1, 9, 1], [5], [0], day=(0.0, 100.0))
    tt = inst.travel_time_s.copy()
    tt[0, 3] = tt[3, 0] = np.inf
    inst = RoutingInstance(**{**inst.__dict__, "travel_time_s": tt})
    codes = {u.stop_id: u.code for u in screen_stops(inst) if u is not None}
    assert codes == {"s0": "return_after_close", "s1": "over_capacity", "s2": "no_road"}
    r = solve_routing(inst, time_limit_s=FAST)
    assert r.status == "no_stops" and r.vehicles_used == 0 and len(r.unserved) == 3


def test_small_fleet_leaves_the_smaller_load_out():
    inst = make([(0, 0)], [(10, 0), (0, 10)], [1.0, 0.9], [1.0], [0])
    r = solve_routing(inst, time_limit_s=FAST)
    assert [(u.stop_id, u.code) for u in r.unserved] == [("s1", "not_routed")]
    assert r.load_delivered == 1.0 and r.load_unserved == pytest.approx(0.9)


def test_route_checker_finds_violations():
    inst = make([(0, 0)], [(10, 0), (20, 0)], [1, 1], [1], [0], close=[100, 15])
    from reliefplan.solvers.routing import Route

    bad = [Route("v0", "h0", ["s0", "s1"], [10, 20], 2, 40, 0, 40)]
    probs = route_problems(inst, bad)
    assert any("load 2 > capacity 1" in p for p in probs)
    assert any("window close 15" in p for p in probs)


SOLOMON_SAMPLE = """TINY3

VEHICLE
NUMBER     CAPACITY
  2          10

CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME

    0      0          0          0          0        200          0
    1      3          4          5          0        100         10
    2      6          8          4         20         60         10
    3      0          5          6          0        100          5
"""


def test_solomon_parser_on_a_small_sample():
    inst = solomon_from_text(SOLOMON_SAMPLE, "tiny.txt")
    assert inst.name == "TINY3"
    assert inst.depot_ids == ["0"] and inst.stop_ids == ["1", "2", "3"]
    assert inst.vehicle_ids == ["v1", "v2"] and list(inst.vehicle_capacity) == [10, 10]
    assert list(inst.demand) == [5, 4, 6] and list(inst.service_time_s) == [10, 10, 5]
    assert list(inst.window_open_s) == [0, 20, 0] and list(inst.window_close_s) == [100, 60, 100]
    assert (inst.depot_open_s[0], inst.depot_close_s[0]) == (0, 200)
    assert inst.distance_m[0, 1] == 5.0 and inst.distance_m[1, 2] == 5.0  # 3-4-5 triangles, not truncated
    assert inst.distance_m[2, 3] == pytest.approx(math.hypot(6, 3))
    assert np.array_equal(inst.distance_m, inst.travel_time_s)
    assert len(solomon_from_text(SOLOMON_SAMPLE, "tiny.txt", vehicles=5).vehicle_ids) == 5
    r = solve_routing(inst, time_limit_s=FAST)
    assert not r.unserved and route_problems(inst, r.routes) == []
    # demands 5 + 4 + 6 > 10: two vehicles; best is {1, 2} and {3}: 5+5+10 + 5+5 = 30
    assert r.vehicles_used == 2 and r.distance_m == pytest.approx(30.0)


def test_solomon_parser_errors_name_the_line():
    bad = SOLOMON_SAMPLE.replace("    2      6          8          4", "    2      6          8")
    with pytest.raises(InputError, match=r"tiny.txt, feature line 12: expected 7 numbers"):
        solomon_from_text(bad, "tiny.txt")
    with pytest.raises(InputError, match="no 'CUSTOMER' section"):
        solomon_from_text("X\nVEHICLE\n1 10\n", "x.txt")
    with pytest.raises(InputError, match="window closes"):
        solomon_from_text(SOLOMON_SAMPLE.replace("20         60", "70         60"), "tiny.txt")


def _json_instance() -> dict:
    return {
        "depots": [{"id": "hub", "x": 0, "y": 0, "open_s": 0, "close_s": 36000}],
        "stops": [
            {"id": "a", "x": 1000, "y": 0, "demand": 400, "service_s": 600},
            {"id": "b", "x": 0, "y": 2000, "demand": 300, "service_s": 600, "open_s": 3600},
        ],
        "vehicles": [{"id": "truck", "depot": "hub", "capacity": 500, "count": 2}],
        "speed_m_per_s": 5.0,
        "load_unit": "kg",
    }


def test_json_instance_and_cli(tmp_path):
    inst = instance_from_json(_json_instance(), "x.json")
    assert inst.vehicle_ids == ["truck-1", "truck-2"]
    assert inst.travel_time_s[0, 2] == pytest.approx(400.0)
    path = tmp_path / "inst.json"
    path.write_text(json.dumps(_json_instance()))
    out = CliRunner().invoke(app, ["solve-routing", str(path), "--time-limit", "0.3"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    assert doc["vehicles_used"] == 2 and doc["stops_unserved"] == 0
    assert doc["distance_m"] == pytest.approx(2000 + 4000)
    assert doc["load_delivered"] == 700 and doc["gap"] is None
    assert any("one trip per truck" in x for x in doc["not_modelled"])
    b = next(r for r in doc["routes"] if r["stops"] == ["b"])
    assert b["service_start_s"] == [3600.0]


def test_json_bad_input_lists_every_problem(tmp_path):
    doc = _json_instance()
    doc["vehicles"][0]["depot"] = "nowhere"
    doc["stops"][0]["demand"] = -1
    doc["stops"][1]["close_s"] = 100  # before it opens at 3600
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError) as e:
        read_instance_file(path)
    text = str(e.value)
    assert "unknown depot 'nowhere'" in text and "field 'depot'" in text
    out = CliRunner().invoke(app, ["solve-routing", str(path)])
    assert out.exit_code == 2
    doc = _json_instance()
    doc["stops"][1]["close_s"] = 100
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match=r"stops\[1\] \(b\), field 'window_close_s': window closes \(100 s\)"):
        read_instance_file(path)
    doc = _json_instance()
    doc["stops"][0]["demand"] = -1
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match=r"stops\[0\] \(a\), field 'demand': expected >= 0"):
        read_instance_file(path)


def test_json_matrix_null_means_no_road():
    doc = _json_instance()
    n = 3
    doc["distance_m"] = [[0, 1000, 2000], [1000, 0, None], [2000, None, 0]]
    doc["travel_time_s"] = [[0, 200, 400], [200, 0, None], [400, None, 0]]
    inst = instance_from_json(doc, "m.json")
    assert inst.distance_m.shape == (n, n) and math.isinf(inst.distance_m[1, 2])
    r = solve_routing(inst, time_limit_s=FAST)
    assert not r.unserved and r.vehicles_used == 2  # a -> b has no road, so two trips
