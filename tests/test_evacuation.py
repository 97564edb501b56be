"""Evacuation timing: hand calculations, an independent time-expanded LP, exact vs queue model."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.optimize import linprog

from reliefplan._errors import InputError
from reliefplan.solvers.evacuation import (
    EvacuationInstance,
    condense,
    instance_from_dict,
    read_instance,
    result_to_dict,
    solve_evacuation,
)


def inst(nodes, arcs, sources, sinks):
    return instance_from_dict(
        {
            "nodes": nodes,
            "arcs": [{"from": a, "to": b, "travel_time_s": t, "capacity_per_h": c} for a, b, t, c in arcs],
            "sources": sources,
            "sinks": sinks,
        }
    )


def two_way(arcs):
    return arcs + [(b, a, t, c) for a, b, t, c in arcs]


SINGLE = dict(
    nodes=["a", "m", "z"],
    arcs=[("a", "z", 600, 3600)],
    sources=[{"node": "a", "people": 10000, "release_s": 0}],
    sinks=[{"node": "z", "capacity": None}],
)


def check_conservation(res):
    assert res.arrived + res.not_arrived == res.total_people
    assert int(res.sink_arrivals.sum()) == res.arrived
    assert np.all(res.sink_arrivals >= 0)


# ---- analytic cases ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["exact", "queue"])
@pytest.mark.parametrize("dt", [10.0, 60.0, None])
def test_single_arc_clearance_is_travel_plus_people_over_capacity(method, dt):
    res = solve_evacuation(inst(**SINGLE), method=method, time_step_s=dt)
    expected = 600 + 10000 / 3600 * 3600  # 10,600 s
    assert expected <= res.clearance_s <= expected + res.time_step_s
    assert res.method == method
    assert res.arrived == 10000 and res.not_arrived == 0
    check_conservation(res)
    # flows on the arc: 3,600 people per hour → capacity × step per step, total 10,000
    assert res.arc_flows.sum() == pytest.approx(10000)
    assert res.arc_flows.toarray().max() == pytest.approx(3600 * res.time_step_s / 3600)
    # the arc is the bottleneck: the whole crowd queues at its entrance
    (b,) = res.bottlenecks
    assert b.arc == 0
    assert b.max_queue_people == pytest.approx(10000 - 3600 * res.time_step_s / 3600, abs=1)
    assert b.max_delay_s == pytest.approx(b.max_queue_people, rel=1e-9)  # 1 person per second


def test_single_arc_fine_step_is_exact():
    res = solve_evacuation(inst(**SINGLE), method="exact", time_step_s=10)
    assert res.clearance_s == 10600
    assert res.objective_person_s is not None and res.gap == 0.0
    # 10 people arrive every 10 s from 610 s (end of the first arrival step) to 10,600 s
    arr = res.sink_arrivals[0]
    assert arr[60] == 10 and arr[1059] == 10 and arr.sum() == 10000 and arr[:60].sum() == 0


def test_parallel_paths_split_flow_quickest_transshipment():
    # direct road 600 s at 1 person/s, detour via b: 2 × 600 s at 0.5 person/s.
    # continuous optimum: (T-600)·1 + (T-1200)·0.5 = 10,000  →  T = 7,466.7 s
    i = inst(
        ["a", "b", "z"],
        [("a", "z", 600, 3600), ("a", "b", 600, 1800), ("b", "z", 600, 1800)],
        [{"node": "a", "people": 10000, "release_s": 0}],
        [{"node": "z", "capacity": None}],
    )
    net = condense(i)
    assert net.m == 2 and sorted(net.travel_time_s.tolist()) == [600, 1200]  # b merged away
    ex = solve_evacuation(i, method="exact", time_step_s=10)
    t_star = (10000 + 600 + 0.5 * 1200) / 1.5
    assert t_star <= ex.clearance_s <= t_star + 2 * 10
    detour = ex.arc_flows.toarray()[1].sum()
    assert detour == pytest.approx(ex.arc_flows.toarray()[2].sum())
    assert detour == pytest.approx(0.5 * (t_star - 1200), abs=15)  # ≈ 3,133 people take the detour
    check_conservation(ex)
    # everyone on the shortest road (queue model) is slower: 10,600 s
    q = solve_evacuation(i, method="queue", time_step_s=10)
    assert q.clearance_s == 10600 and q.arc_flows.toarray()[1].sum() == 0
    assert q.clearance_s >= ex.clearance_s


@pytest.mark.parametrize("method", ["exact", "queue"])
def test_merge_bottleneck(method):
    # two streams of 1 person/s merge into one road of 1 person/s
    i = inst(
        ["a", "b", "m", "z"],
        [("a", "m", 300, 3600), ("b", "m", 300, 3600), ("m", "z", 300, 3600)],
        [{"node": "a", "people": 5000, "release_s": 0}, {"node": "b", "people": 5000, "release_s": 0}],
        [{"node": "z", "capacity": None}],
    )
    res = solve_evacuation(i, method=method, time_step_s=10)
    assert 10600 <= res.clearance_s <= 10610
    top = res.bottlenecks[0]
    assert (i.arc_from[top.arc], i.arc_to[top.arc]) == (2, 3)  # m → z
    if method == "queue":
        # inflow 2/s, outflow 1/s for 5,000 s: 5,000 people queue at m, i.e. 5,000 s of delay
        assert top.max_queue_people == pytest.approx(5000, abs=20)
        assert top.max_delay_s == pytest.approx(5000, abs=20)
    else:
        assert top.saturated_s >= 9000  # the merge runs at capacity almost all the time
    check_conservation(res)


@pytest.mark.parametrize("method", ["exact", "queue"])
def test_release_time_and_spread(method):
    # wide road (10 people/s): the departure profile decides. Released from 1,800 s over one hour.
    i = inst(
        ["a", "z"],
        [("a", "z", 600, 36000)],
        [{"node": "a", "people": 3600, "release_s": 1800, "spread_s": 3600}],
        [{"node": "z", "capacity": None}],
    )
    res = solve_evacuation(i, method=method, time_step_s=60)
    assert 1800 + 3600 + 600 <= res.clearance_s <= 1800 + 3600 + 600 + 60
    arr = res.sink_arrivals[0]
    assert arr[: (1800 + 600) // 60].sum() == 0  # nobody before release + travel
    assert np.all(arr[(1800 + 600) // 60 + 1 : (1800 + 3600 + 600) // 60] == 60)  # 1 person/s, steady
    check_conservation(res)


def test_staged_release_by_zone():
    # zone b leaves 3 h after zone a; both share the road m→z (1 person/s)
    arcs = [("a", "m", 300, 7200), ("b", "m", 300, 7200), ("m", "z", 300, 3600)]
    staged = [{"node": "a", "people": 3600, "release_s": 0}, {"node": "b", "people": 3600, "release_s": 10800}]
    at_once = [{"node": "a", "people": 3600, "release_s": 0}, {"node": "b", "people": 3600, "release_s": 0}]
    for method in ("exact", "queue"):
        s = solve_evacuation(inst(["a", "b", "m", "z"], arcs, staged, [{"node": "z"}]), method=method, time_step_s=60)
        o = solve_evacuation(inst(["a", "b", "m", "z"], arcs, at_once, [{"node": "z"}]), method=method, time_step_s=60)
        assert 10800 + 600 + 3600 <= s.clearance_s <= 10800 + 600 + 3600 + 60  # second wave alone
        assert 600 + 7200 <= o.clearance_s <= 600 + 7200 + 60  # one queue of 7,200 people
        assert not s.bottlenecks or s.bottlenecks[0].max_queue_people < o.bottlenecks[0].max_queue_people


@pytest.mark.parametrize("method", ["exact", "queue"])
def test_sink_capacity(method):
    # near site holds 3,000; the rest must go on to the far site
    i = inst(
        ["a", "n", "f"],
        [("a", "n", 300, 36000), ("n", "f", 600, 36000), ("a", "f", 1800, 36000)],
        [{"node": "a", "people": 10000, "release_s": 0}],
        [{"node": "n", "capacity": 3000}, {"node": "f", "capacity": None}],
    )
    res = solve_evacuation(i, method=method, time_step_s=60)
    assert res.sink_arrivals[0].sum() == 3000
    assert res.sink_arrivals[1].sum() == 7000
    check_conservation(res)


@pytest.mark.parametrize("method", ["exact", "queue"])
def test_not_enough_room_is_a_result(method):
    i = inst(
        ["a", "z"],
        [("a", "z", 60, 3600)],
        [{"node": "a", "people": 500, "release_s": 0}],
        [{"node": "z", "capacity": 200}],
    )
    res = solve_evacuation(i, method=method, time_step_s=60)
    assert (res.arrived, res.not_arrived) == (200, 300)
    assert not res.cleared
    assert any("only 200" in e for e in res.explanations)


@pytest.mark.parametrize("method", ["exact", "queue"])
def test_no_way_out_is_a_result_not_an_error(method):
    # b's only road is closed (capacity 0), c has no road at all
    i = inst(
        ["a", "b", "c", "z"],
        [("a", "z", 60, 3600), ("b", "z", 60, 0)],
        [
            {"node": "a", "people": 100, "release_s": 0},
            {"node": "b", "people": 40, "release_s": 0},
            {"node": "c", "people": 7, "release_s": 0},
        ],
        [{"node": "z", "capacity": None}],
    )
    res = solve_evacuation(i, method=method, time_step_s=60)
    assert (res.arrived, res.not_arrived) == (100, 47)
    assert sum("'b'" in e for e in res.explanations) == 1 and sum("'c'" in e for e in res.explanations) == 1
    check_conservation(res)


def test_horizon_cuts_and_reports_not_arrived():
    res = solve_evacuation(inst(**SINGLE), method="exact", time_step_s=60, horizon_s=3600)
    # by 1 h: (3,600 - 600) s of arrivals at 1 person/s
    assert res.arrived == 3000 and res.not_arrived == 7000
    q = solve_evacuation(inst(**SINGLE), method="queue", time_step_s=60, horizon_s=3600)
    assert q.arrived == res.arrived


def test_fixed_route_follows_the_given_road():
    i = instance_from_dict(
        {
            "nodes": ["a", "b", "z"],
            "arcs": [
                {"from": "a", "to": "z", "travel_time_s": 600, "capacity_per_h": 3600},
                {"from": "a", "to": "b", "travel_time_s": 600, "capacity_per_h": 1800},
                {"from": "b", "to": "z", "travel_time_s": 600, "capacity_per_h": 1800},
            ],
            "sources": [{"node": "a", "people": 1800, "release_s": 0, "route": ["a", "b", "z"]}],
            "sinks": [{"node": "z", "capacity": None}],
        }
    )
    res = solve_evacuation(i, routing="fixed", time_step_s=10)
    assert res.method == "queue"
    assert 1200 + 3600 <= res.clearance_s <= 1200 + 3600 + 10
    assert res.arc_flows.toarray()[0].sum() == 0
    with pytest.raises(InputError):
        solve_evacuation(i, routing="fixed", method="exact")


# ---- exact vs queue, exact vs an independent LP ---------------------------------------------------


def test_single_path_exact_and_queue_agree_exactly():
    # a chain with varying capacities and a junction that cannot be merged (source b joins late)
    i = inst(
        ["a", "p", "q", "z"],
        [("a", "p", 120, 5400), ("p", "q", 300, 2000), ("q", "z", 60, 4000)],
        [{"node": "a", "people": 4321, "release_s": 90, "spread_s": 1800}],
        [{"node": "z", "capacity": None}],
    )
    for dt in (30.0, 60.0):
        ex = solve_evacuation(i, method="exact", time_step_s=dt)
        q = solve_evacuation(i, method="queue", time_step_s=dt)
        assert ex.clearance_s == q.clearance_s
        np.testing.assert_array_equal(ex.sink_arrivals, q.sink_arrivals)


def random_instance(rng, n=6, n_arcs=12, n_sources=2, sink_caps=False):
    nodes = [f"n{i}" for i in range(n)]
    arcs = []
    for _ in range(n_arcs):
        u, v = rng.choice(n, 2, replace=False)
        arcs.append((nodes[u], nodes[v], int(rng.integers(1, 8)) * 60, int(rng.integers(1, 10)) * 360))
    arcs.append((nodes[0], nodes[-1], 900, 360))  # keep some way through
    sources = [
        {
            "node": nodes[i],
            "people": int(rng.integers(20, 120)),
            "release_s": int(rng.integers(0, 5)) * 60,
            "spread_s": int(rng.integers(0, 3)) * 300,
        }
        for i in range(n_sources)
    ]
    sinks = [
        {"node": nodes[-1], "capacity": None},
        {"node": nodes[-2], "capacity": int(rng.integers(10, 60)) if sink_caps else None},
    ]
    return inst(nodes, arcs, sources, sinks)


def lp_time_expanded(i: EvacuationInstance, dt: float, T: int, minimise_time: bool, total: int | None = None):
    """Independent time-expanded LP (dense loops, scipy HiGHS): max arrivals by T or min total arrival time."""
    n, m, k = i.n_nodes, i.n_arcs, len(i.sink_node)
    tau = [max(1, math.ceil(t / dt - 1e-9)) for t in i.arc_travel_time_s]
    r = i.arc_capacity_per_h * dt / 3600
    var = {}
    for a in range(m):
        for t in range(T - tau[a]):
            var["x", a, t] = len(var)
    for v in range(n):
        for t in range(T - 1):
            var["w", v, t] = len(var)
    for j in range(k):
        for t in range(T):
            var["y", j, t] = len(var)
    supply = np.zeros((n, T))
    for s in range(len(i.source_node)):
        P, rel, spr = i.source_people[s], i.source_release_s[s], i.source_spread_s[s]
        prev = 0
        for t in range(T):
            frac = 1.0 if spr == 0 else min(max((t * dt - rel) / spr, 0.0), 1.0)
            cum = P if t * dt >= rel and frac >= 1 else (math.floor(P * frac + 1e-9) if t * dt >= rel else 0)
            supply[i.source_node[s], t] += cum - prev
            prev = cum
    A = np.zeros((n * T, len(var)))
    for (kind, x, t), col in var.items():
        if kind == "x":
            A[i.arc_from[x] * T + t, col] -= 1
            A[i.arc_to[x] * T + t + tau[x], col] += 1
        elif kind == "w":
            A[x * T + t, col] -= 1
            A[x * T + t + 1, col] += 1
        else:
            A[i.sink_node[x] * T + t, col] -= 1
    b_eq = -supply.reshape(-1)  # inflow - outflow = -supply; unreleased people are simply never supplied
    # unsent supply is allowed: add a slack "stay home" variable per node and step
    A = np.hstack([A, -np.eye(n * T)])
    bounds = []
    for (kind, x, t), _ in var.items():
        if kind == "x":
            cap = math.floor((t + 1) * r[x] + 1e-7) - math.floor(t * r[x] + 1e-7)
            bounds.append((0, cap))
        else:
            bounds.append((0, None))
    bounds += [(0, None)] * (n * T)
    A_ub = np.zeros((k, A.shape[1]))
    b_ub = np.full(k, 1e12)
    for (kind, j, t), col in var.items():
        if kind == "y":
            A_ub[j, col] = 1
    for j in range(k):
        if np.isfinite(i.sink_capacity[j]):
            b_ub[j] = i.sink_capacity[j]
    c = np.zeros(A.shape[1])
    A_eq, beq = A, b_eq
    if minimise_time:
        for (kind, j, t), col in var.items():
            if kind == "y":
                c[col] = (t + 1) * dt
        row = np.zeros((1, A.shape[1]))
        for (kind, j, t), col in var.items():
            if kind == "y":
                row[0, col] = 1
        A_eq, beq = np.vstack([A, row]), np.r_[b_eq, total]
    else:
        for (kind, j, t), col in var.items():
            if kind == "y":
                c[col] = -1
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=beq, bounds=bounds, method="highs")
    assert res.status == 0, res.message
    return res.fun


@pytest.mark.parametrize("seed", range(5))
def test_exact_matches_independent_lp(seed):
    rng = np.random.default_rng(seed)
    i = random_instance(rng, sink_caps=seed % 2 == 1)
    dt = 60.0
    ex = solve_evacuation(i, method="exact", time_step_s=dt)
    check_conservation(ex)
    T = int(round(ex.clearance_s / dt))
    # by T steps the LP delivers as many as the exact method, one step less it delivers fewer
    assert -lp_time_expanded(i, dt, T, False) == pytest.approx(ex.arrived)
    assert -lp_time_expanded(i, dt, T - 1, False) < ex.arrived - 0.5
    # and the total arrival time is minimal for that horizon
    assert lp_time_expanded(i, dt, T, True, total=ex.arrived) == pytest.approx(ex.objective_person_s)


@pytest.mark.parametrize("seed", range(8))
def test_queue_never_faster_than_exact_and_conserves(seed):
    rng = np.random.default_rng(100 + seed)
    i = random_instance(rng, n=9, n_arcs=20, n_sources=3, sink_caps=seed % 3 == 0)
    ex = solve_evacuation(i, method="exact", time_step_s=60)
    q = solve_evacuation(i, method="queue", time_step_s=60)
    check_conservation(ex)
    check_conservation(q)
    assert q.arrived <= ex.arrived
    if q.arrived == ex.arrived:
        assert q.clearance_s >= ex.clearance_s


def test_condense_merges_chains_and_prunes_dead_ends():
    # two-way chain a-p-q-z plus a dead-end spur q-x and an island y
    arcs = two_way([("a", "p", 100, 3600), ("p", "q", 200, 1800), ("q", "z", 300, 7200), ("q", "x", 50, 3600)])
    i = inst(
        ["a", "p", "q", "x", "y", "z"],
        arcs,
        [{"node": "a", "people": 10, "release_s": 0}],
        [{"node": "z", "capacity": None}],
    )
    net = condense(i)
    assert net.n == 2 and net.m == 2  # a→z and z→a, each 600 s at 1,800/h
    assert sorted(net.travel_time_s.tolist()) == [600, 600]
    assert net.capacity_per_h.tolist() == [1800, 1800]
    # the bottleneck of the chain is the original p→q / q→p arc
    assert {(i.node_ids[i.arc_from[b]], i.node_ids[i.arc_to[b]]) for b in net.bottleneck_arc} == {
        ("p", "q"),
        ("q", "p"),
    }
    res = solve_evacuation(i, method="exact", time_step_s=10)
    # flows are mapped back to every original arc of the chain, shifted by the time to reach it
    f = res.arc_flows.toarray()
    assert f[0].sum() == f[1].sum() == f[2].sum() == 10
    assert np.flatnonzero(f[1])[0] == np.flatnonzero(f[0])[0] + 10  # p→q entered 100 s after a→p


# ---- input errors and the CLI -----------------------------------------------------------------------


def test_bad_input_names_every_problem():
    with pytest.raises(InputError) as e:
        instance_from_dict(
            {
                "nodes": ["a", "z"],
                "arcs": [{"from": "a", "to": "q", "travel_time_s": 60, "capacity_per_h": -5}],
                "sources": [{"node": "a", "people": -1, "release_s": 0}, {"node": "w", "people": 3}],
                "sinks": [{"node": "z", "capacity": -2}],
            },
            file="x.json",
        )
    fields = {(p.feature, p.field) for p in e.value.problems}
    assert fields == {
        ("arcs[0]", "to"),
        ("arcs[0]", "capacity_per_h"),
        ("sources[0]", "people"),
        ("sources[1]", "node"),
        ("sinks[0]", "capacity"),
    }
    assert all(p.file == "x.json" for p in e.value.problems)


def test_bad_arrays_rejected_by_solver():
    i = EvacuationInstance(
        node_ids=["a", "z"],
        arc_from=[0],
        arc_to=[5],
        arc_travel_time_s=[60],
        arc_capacity_per_h=[100],
        source_node=[0],
        source_people=[10],
        source_release_s=[0],
        sink_node=[1],
        sink_capacity=[None],
    )
    with pytest.raises(InputError, match="outside"):
        solve_evacuation(i)


def test_cli_prints_json(tmp_path):
    from typer.testing import CliRunner

    from reliefplan.cli import app

    p = tmp_path / "inst.json"
    p.write_text(
        json.dumps(
            {
                "nodes": ["a", "m", "z"],
                "arcs": [{"from": "a", "to": "z", "travel_time_s": 600, "capacity_per_h": 3600}],
                "sources": [{"node": "a", "people": 10000, "release_s": 0}],
                "sinks": [{"node": "z", "capacity": None}],
            }
        )
    )
    out = CliRunner().invoke(app, ["solve-evacuation", str(p), "--time-step", "60"])
    assert out.exit_code == 0, out.output
    d = json.loads(out.output)
    assert d["method"] == "exact" and d["time_step_s"] == 60 and d["clearance_s"] == 10620
    assert d["arrived"] + d["not_arrived"] == 10000
    assert sum(a["people"] for a in d["arrivals"]) == 10000
    assert d["bottlenecks"][0]["from"] == "a" and d["bottlenecks"][0]["to"] == "z"
    assert sum(sum(f["people_per_step"]) for f in d["arc_flows"]) == 10000
    bad = tmp_path / "bad.json"
    bad.write_text('{"nodes": ["a"], "arcs": [], "sources": [], "sinks": [{"node": "b"}]}')
    out = CliRunner().invoke(app, ["solve-evacuation", str(bad)])
    assert out.exit_code == 2
    assert "bad.json" in out.output and "sinks[0]" in out.output


def test_read_instance_and_dict_roundtrip(tmp_path):
    p = tmp_path / "i.json"
    p.write_text("{not json")
    with pytest.raises(InputError, match="i.json"):
        read_instance(p)
    res = solve_evacuation(inst(**SINGLE), method="queue", time_step_s=60)
    d = result_to_dict(res, inst(**SINGLE), include_flows=False)
    assert d["clearance_h"] == pytest.approx(10620 / 3600) and d["arc_flows"] == []
    json.dumps(d)


def test_large_expanded_network_keeps_optimal_clearance_with_max_flow_schedule(monkeypatch):
    import reliefplan.solvers.evacuation.exact as exact

    i = random_instance(np.random.default_rng(7), n=9, n_arcs=20, n_sources=3)
    ref = solve_evacuation(i, method="exact", time_step_s=60)
    monkeypatch.setattr(exact, "MIN_COST_ARCS_LIMIT", 10)
    res = solve_evacuation(i, method="exact", time_step_s=60)
    assert res.status == "optimal_clearance" and ref.status == "optimal"
    assert res.clearance_s == ref.clearance_s and res.arrived == ref.arrived
    assert res.objective_person_s is None and res.gap is None
    assert res.objective_person_s is None or res.objective_person_s >= ref.objective_person_s
    assert any("max flow" in e for e in res.explanations)
    check_conservation(res)


def test_auto_picks_exact_on_small_networks_and_states_step():
    res = solve_evacuation(inst(**SINGLE))
    assert res.method == "exact" and res.time_step_s in (10, 15, 20, 30, 60)
    fixed = solve_evacuation(inst(**SINGLE), routing="fixed")
    assert fixed.method == "queue"


# ---- the capacity-free relaxation: used when its routes fit, identical to the expanded min-cost flow ----


def wide_instance(rng, n=8, n_arcs=18, n_sources=4, n_sinks=3, cap_factor=1.0, room=1.0):
    """Random network with several capacitated sites and staggered, spread departures."""
    nodes = [f"n{i}" for i in range(n)]
    arcs = []
    for _ in range(n_arcs):
        u, v = rng.choice(n, 2, replace=False)
        arcs.append((nodes[u], nodes[v], int(rng.integers(1, 8)) * 60, int(cap_factor * rng.integers(1, 10) * 3600)))
    arcs += [(nodes[i], nodes[-1 - (i % n_sinks)], 900, int(cap_factor * 3600)) for i in range(n_sources)]
    sources = [
        {
            "node": nodes[i],
            "people": int(rng.integers(50, 300)),
            "release_s": int(rng.integers(0, 20)) * 60,
            "spread_s": int(rng.integers(0, 4)) * 600,
        }
        for i in range(n_sources)
    ]
    total = sum(s["people"] for s in sources)
    share = rng.dirichlet(np.ones(n_sinks))
    sinks = [{"node": nodes[-1 - j], "capacity": math.ceil(room * total * share[j]) + 1} for j in range(n_sinks)]
    return inst(nodes, arcs, sources, sinks)


def solve_both(i, monkeypatch, dt=60.0):
    """(result with the relaxation first, result of the expanded min-cost flow alone, relaxation used?)"""
    import reliefplan.solvers.evacuation.exact as exact

    used = []
    real = exact._relaxed_schedule

    def spy(*a, **kw):
        out = real(*a, **kw)
        used.append(out is not None)
        return out

    monkeypatch.setattr(exact, "_relaxed_schedule", spy)
    fast = solve_evacuation(i, method="exact", time_step_s=dt)
    monkeypatch.setattr(exact, "RELAXATION_FIRST", False)
    slow = solve_evacuation(i, method="exact", time_step_s=dt)
    monkeypatch.setattr(exact, "RELAXATION_FIRST", True)
    return fast, slow, any(used)


def check_capacities(res, i):
    dt = res.time_step_s
    per_step = i.arc_capacity_per_h * dt / 3600
    csr = res.arc_flows.tocoo()
    cap = np.floor((csr.col + 1) * per_step[csr.row] + 1e-7) - np.floor(csr.col * per_step[csr.row] + 1e-7)
    assert np.all(csr.data <= cap + 1e-9)


@pytest.mark.parametrize("seed", range(12))
def test_relaxation_schedule_equals_expanded_min_cost_flow(seed, monkeypatch):
    rng = np.random.default_rng(500 + seed)
    # wide roads (the relaxation fits), narrow roads (it does not), sites too small for everyone
    cap_factor = (50.0, 0.3, 50.0)[seed % 3]
    room = 0.8 if seed % 3 == 2 else 1.0
    i = wide_instance(rng, cap_factor=cap_factor, room=room)
    fast, slow, used = solve_both(i, monkeypatch)
    if cap_factor > 1:
        assert used, "wide roads: the relaxation's routes fit"
    for r in (fast, slow):
        check_conservation(r)
        check_capacities(r, i)
        assert r.status == "optimal"
    assert fast.clearance_s == slow.clearance_s and fast.arrived == slow.arrived
    assert fast.objective_person_s == pytest.approx(slow.objective_person_s)
    if seed < 6:  # the independent LP agrees on the total arrival time
        T = round(fast.clearance_s / fast.time_step_s)
        assert lp_time_expanded(i, fast.time_step_s, T, True, total=fast.arrived) == pytest.approx(
            fast.objective_person_s
        )


def test_relaxation_respects_late_departures_deadlines(monkeypatch):
    # a late departure at a must take the near site even though the far one is "cheaper" for b
    i = inst(
        ["a", "b", "near", "far"],
        [("a", "near", 600, 36000), ("a", "far", 1800, 36000), ("b", "near", 300, 36000), ("b", "far", 600, 36000)],
        [{"node": "a", "people": 100, "release_s": 0, "spread_s": 3600}, {"node": "b", "people": 100, "release_s": 0}],
        [{"node": "near", "capacity": 100}, {"node": "far", "capacity": 100}],
    )
    fast, slow, used = solve_both(i, monkeypatch)
    assert used
    assert fast.clearance_s == slow.clearance_s and fast.objective_person_s == pytest.approx(slow.objective_person_s)
    check_capacities(fast, i)


# ---- at scale: batches and bounded memory give the same move ------------------------------------


def _random_grid(seed: int, side: int = 14) -> EvacuationInstance:
    """A two-way street grid with random travel times and capacities, 40 sources spread over 6 h, 9 sites."""
    rng = np.random.default_rng(seed)
    idx = np.arange(side * side).reshape(side, side)
    a = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    b = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    frm, to = np.r_[a, b], np.r_[b, a]
    tt = np.tile(rng.uniform(60, 900, len(a)), 2)
    cap = np.tile(rng.choice([300.0, 900.0, 3600.0], len(a)), 2)
    src = rng.choice(side * side, 40, replace=False)
    sinks = rng.choice(np.setdiff1d(np.arange(side * side), src), 9, replace=False)
    return EvacuationInstance(
        node_ids=[str(i) for i in range(side * side)],
        arc_from=frm,
        arc_to=to,
        arc_travel_time_s=tt,
        arc_capacity_per_h=cap,
        source_node=src,
        source_people=rng.integers(100, 3000, 40),
        source_release_s=rng.uniform(0, 7200, 40),
        source_spread_s=np.full(40, 6 * 3600.0),
        sink_node=sinks,
        sink_capacity=rng.integers(2000, 20000, 9).astype(float),
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_queue_model_same_move_with_small_batches_and_chunks(seed, monkeypatch):
    """Sink trees one at a time, distances limited below the farthest nearest site (the greedy's fall-back): the
    queue model moves the same people the same way (national-scale memory settings change nothing but memory)."""
    import reliefplan.solvers.evacuation.streams as streams

    inst_ = _random_grid(seed)
    ref = solve_evacuation(inst_, method="queue", time_step_s=60.0)
    monkeypatch.setattr(streams, "SINK_BATCH", 1)
    monkeypatch.setattr(streams, "LIMIT_FACTOR", 0.3)
    got = solve_evacuation(inst_, method="queue", time_step_s=60.0)
    check_conservation(got)
    assert got.clearance_s == ref.clearance_s and got.arrived == ref.arrived
    np.testing.assert_array_equal(got.sink_arrivals, ref.sink_arrivals)
    assert (got.arc_flows != ref.arc_flows).nnz == 0
    assert [(b.arc, b.max_queue_people) for b in got.bottlenecks] == [
        (b.arc, b.max_queue_people) for b in ref.bottlenecks
    ]


def test_queue_model_greedy_takes_the_nearest_site_with_room():
    """Quickest streams: pairs served in (distance, source, site) order; a full site sends the rest on to the next."""
    # a -> s1 (600 s) and a -> s2 (1200 s); b -> s1 (300 s); s1 holds 100. In distance order (300, b, s1) places all
    # 80 of b, then (600, a, s1) the 20 places left, then (1200, a, s2) a's other 130.
    net = inst(
        ["a", "b", "s1", "s2"],
        [("a", "s1", 600, 3600), ("a", "s2", 1200, 3600), ("b", "s1", 300, 3600)],
        [{"node": "a", "people": 150, "release_s": 0}, {"node": "b", "people": 80, "release_s": 0}],
        [{"node": "s1", "capacity": 100}, {"node": "s2", "capacity": None}],
    )
    res = solve_evacuation(net, method="queue", time_step_s=60.0)
    assert res.sink_arrivals.sum(axis=1).tolist() == [100, 130]
    assert res.arc_flows.toarray().sum(axis=1).tolist() == [20, 130, 80]


# ---- the expanded min-cost flow on the live node copies, with node supplies --------------------------------


def _expanded_of(i, monkeypatch, dt=60.0):
    """(the solve's _Expanded, the horizon it scheduled) of the exact method on ``i``."""
    import reliefplan.solvers.evacuation.exact as exact

    got = []
    real = exact._Expanded.schedule

    def spy(self, T):
        got.append((self, T))
        return real(self, T)

    monkeypatch.setattr(exact._Expanded, "schedule", spy)
    monkeypatch.setattr(exact, "RELAXATION_FIRST", False)
    solve_evacuation(i, method="exact", time_step_s=dt)
    return got[-1]


@pytest.mark.parametrize("seed", range(9))
def test_min_cost_on_live_copies_equals_the_whole_expanded_network(seed, monkeypatch):
    """Dropping the node copies no flow can use and moving departures and site totals into node supplies keeps
    the optimum: the same least cost as the super-source/super-sink flow on the whole expanded network, and a
    feasible flow of it. Sites that take exactly everyone (supplies and demands), more room than people (a
    super-sink), and too little room (super-source and super-sink)."""
    from reliefplan.solvers._mcf import max_flow_min_cost

    rng = np.random.default_rng(900 + seed)
    room = (1.0, 1.3, 0.8)[seed % 3]
    i = wide_instance(rng, cap_factor=0.3, room=room)
    if seed % 3 == 0:  # every site takes exactly its share of everyone
        total = int(i.source_people.sum())
        caps = np.floor(i.sink_capacity / i.sink_capacity.sum() * total)
        caps[0] += total - caps.sum()
        i = EvacuationInstance(**{**i.__dict__, "sink_capacity": caps})
    ex, T = _expanded_of(i, monkeypatch)
    ten = ex.build(T, with_costs=True)
    flows = ex.min_cost_flows(ten)
    value, ref = max_flow_min_cost(ten.tails, ten.heads, ten.caps, ten.costs, ten.s_node, ten.t_node)
    assert int(flows @ ten.costs) == int(ref @ ten.costs)
    assert np.all(flows >= 0) and np.all(flows <= ten.caps)
    net = np.bincount(ten.tails, weights=flows, minlength=ten.t_node + 1) - np.bincount(
        ten.heads, weights=flows, minlength=ten.t_node + 1
    )
    expect = np.zeros(ten.t_node + 1)
    expect[ten.s_node], expect[ten.t_node] = value, -value
    np.testing.assert_array_equal(net, expect)
    live = ex.live_copies(T).reshape(-1)
    used = np.r_[ten.tails[ref > 0], ten.heads[ref > 0]]
    assert live[used[used < T * ex.net.n]].all()  # the whole network's optimum uses only live copies


@pytest.mark.parametrize("seed", range(6))
def test_quickest_horizon_is_the_smallest_feasible(seed, monkeypatch):
    """Narrow roads (the relaxation's horizon too short, the search widens by extrapolating the max flows): the
    horizon found is the smallest in which everyone who can arrive does, by brute force."""
    import reliefplan.solvers.evacuation.exact as exact

    rng = np.random.default_rng(950 + seed)
    i = wide_instance(rng, cap_factor=0.1, room=1.0)
    ex, T = _expanded_of(i, monkeypatch)
    values = [exact._max_flow(ex.build(t)) for t in range(1, T + 1)]
    assert values[-1] == ex.deliverable and (T == 1 or values[-2] < ex.deliverable)
