"""The queue model's step loop (issue 24: a step costs what moves in it) against the reference copy of the loop
before the change: the same runs, bit for bit, on small and medium random networks."""

from __future__ import annotations

import numpy as np
import pytest
import queue_reference
from queue_reference import _solve_queue as _reference_solve_queue
from queue_reference import release_layers as reference_release_layers

import reliefplan.solvers.evacuation.queue as queue_mod
from reliefplan.solvers.evacuation import EvacuationInstance, solve_evacuation
from reliefplan.solvers.evacuation.steps import _release_layers, _stable_order


def random_instance(seed: int, n: int, m_extra: int, n_src: int, n_sink: int, capped: bool) -> EvacuationInstance:
    """A connected random road network (a random tree plus extra links, both ways), narrow and closed links
    included, sources releasing over hours, sites with or without a capacity."""
    rng = np.random.default_rng(seed)
    pairs = [(int(rng.integers(0, v)), v) for v in range(1, n)]
    pairs += [tuple(int(x) for x in rng.choice(n, 2, replace=False)) for _ in range(m_extra)]
    frm, to, tt, cap = [], [], [], []
    for u, v in pairs:
        c = float(rng.choice([0.0, 300.0, 1200.0, 3600.0, 6000.0], p=[0.05, 0.2, 0.35, 0.25, 0.15]))
        t = float(rng.uniform(20, 1500))
        for a, b in ((u, v), (v, u)):
            frm.append(a)
            to.append(b)
            tt.append(t)
            cap.append(c)
    nodes = rng.permutation(n)
    src, sinks = nodes[:n_src], nodes[n_src : n_src + n_sink]
    people = rng.integers(0, 4_000, size=n_src)
    sink_cap = [float(c) if capped and rng.random() < 0.6 else None for c in rng.integers(1_000, 60_000, n_sink)]
    return EvacuationInstance(
        node_ids=[str(i) for i in range(n)],
        arc_from=frm,
        arc_to=to,
        arc_travel_time_s=tt,
        arc_capacity_per_h=cap,
        source_node=src,
        source_people=people,
        source_release_s=rng.choice([0.0, 1800.0, 7200.0], size=n_src),
        source_spread_s=rng.choice([0.0, 3600.0, 4 * 3600.0], size=n_src),
        sink_node=sinks,
        sink_capacity=sink_cap,
    )


def staggered_instance(seed: int, n: int, m_extra: int, n_src: int, n_sink: int, capped: bool) -> EvacuationInstance:
    """`random_instance` with sources leaving hours apart, most at once: long stretches where nobody waits and the
    loop jumps to the next arrival or departure."""
    inst = random_instance(seed, n, m_extra, n_src, n_sink, capped)
    rng = np.random.default_rng(seed + 100)
    inst.source_release_s = rng.choice([0.0, 6 * 3600.0, 30 * 3600.0, 31 * 3600.0, 80 * 3600.0], size=n_src)
    inst.source_spread_s = rng.choice([0.0, 0.0, 0.0, 600.0], size=n_src)
    return inst


CASES = [  # (seed, nodes, extra links, sources, sites, capped sites), time step s
    *[((s, 12, 6, 4, 2, s % 2 == 0), dt) for s in range(6) for dt in (30.0, 60.0)],
    *[((s, 60, 40, 15, 4, s % 2 == 1), dt) for s in range(10, 14) for dt in (30.0, 60.0)],
    ((20, 400, 300, 80, 8, True), 60.0),
    ((21, 400, 300, 80, 8, False), 60.0),
]


FIELDS = ("arrivals", "flow_arc", "flow_t", "flow_val", "jam_first", "jam_last", "jam_steps", "max_queue")


def assert_same_as_reference(monkeypatch, instance: EvacuationInstance, **kwargs) -> None:
    """Solve with the queue model, running the current and the reference step loop on the same streams."""
    compared = []
    current = queue_mod._solve_queue

    def both(*args):
        compared.append((current(*args), _reference_solve_queue(*args)))
        return compared[-1][0]

    monkeypatch.setattr(queue_mod, "_solve_queue", both)
    res = solve_evacuation(instance, method="queue", **kwargs)
    assert res.method == "queue"
    assert len(compared) == 1
    new, old = compared[0]
    assert new.T == old.T and new.status == old.status and new.notes == old.notes
    for name in FIELDS:
        a, b = getattr(new, name), getattr(old, name)
        assert a.dtype == b.dtype and a.shape == b.shape, name
        assert np.array_equal(a, b), name  # bit for bit: same values, same order of summation


@pytest.mark.parametrize(("case", "step_s"), CASES, ids=[f"seed{c[0]}-n{c[1]}-{dt:g}s" for c, dt in CASES])
def test_queue_steps_match_reference_bit_for_bit(case, step_s, monkeypatch):
    assert_same_as_reference(monkeypatch, random_instance(*case), time_step_s=step_s)


@pytest.mark.parametrize("seed", range(30, 38))
def test_queue_steps_jumping_idle_stretches_match_reference(seed, monkeypatch):
    """Departures hours apart: the steps where nobody waits are jumped over, with the same run as stepping through
    them one by one (the reference)."""
    assert_same_as_reference(
        monkeypatch, staggered_instance(seed, 40 + 20 * (seed % 3), 30, 10, 3, seed % 2 == 0), time_step_s=60.0
    )


def test_queue_steps_jump_to_a_fixed_horizon(monkeypatch):
    """The last departure far beyond a fixed horizon: the loop jumps to the horizon and stops there."""
    inst = staggered_instance(40, 60, 40, 15, 4, True)
    assert_same_as_reference(monkeypatch, inst, time_step_s=60.0, horizon_s=50 * 3600.0)


def test_queue_steps_match_reference_with_fixed_horizon(monkeypatch):
    """A horizon shorter than the clearance: the loop stops at the horizon, people still on their way."""
    assert_same_as_reference(monkeypatch, random_instance(3, 60, 40, 15, 4, True), time_step_s=60.0, horizon_s=3600.0)


def test_stopping_test_near_its_threshold_decides_as_the_full_sums(monkeypatch):
    """Waiting and travelling crowds of about 1e-9 people, where the fast test must defer to the full sums."""
    captured = []
    current = queue_mod._solve_queue

    def capture(*args, **kwargs):
        captured.append(args)
        return current(*args, **kwargs)

    monkeypatch.setattr(queue_mod, "_solve_queue", capture)
    solve_evacuation(random_instance(11, 60, 40, 15, 4, False), method="queue", time_step_s=60.0)
    net, dt, streams, _inst, sinks_net, sink_cap, _ = captured[0]
    trie = queue_mod._route_trie(streams)
    tau = queue_mod._steps(net.travel_time_s, dt)
    rng = np.random.default_rng(5)
    for _ in range(300):
        sim = queue_mod._PointQueues(net, trie, tau, net.capacity_per_h * dt / 3600, len(sinks_net), sink_cap)
        e = rng.choice(sim.E, size=int(rng.integers(0, 6)), replace=False)
        sim.queue[e] = rng.choice([0.0, 1e-9, 3e-10, 5e-10, 1e-3]) * _jitter(rng, len(e))
        sim.active = np.sort(e[sim.queue[e] != 0])
        for step in range(int(rng.integers(0, 4))):
            v = rng.choice([1e-10, 4e-10, 1e-9, 2.0]) * _jitter(rng, int(rng.integers(1, 4)))
            sim.calendar.setdefault(step + 1, []).append((np.zeros(len(v), np.int64), v))
            sim._on_way(v, 1.0)
        assert sim.idle() == sim._idle_full()


def _jitter(rng: np.random.Generator, n: int) -> np.ndarray:
    """Factors of 1 (sums exactly at the threshold) or around it."""
    return np.ones(n) if rng.random() < 0.5 else rng.uniform(0.5, 1.5, n)


def brute_force_release(people: int, release_s: float, spread_s: float, dt: float) -> list[tuple[int, int]]:
    """(step, people) leaving one source, by the rule itself: whole people gone by the start of each step of
    the spread, in proportion to the time elapsed (all of them at the last step), less those gone before."""
    first = int(np.ceil(release_s / dt - 1e-9))
    last = max(first, int(np.ceil((release_s + spread_s) / dt - 1e-9))) if spread_s > 0 else first
    out, gone = [], 0
    for k in range(first, last + 1):
        share = 1.0 if k == last or spread_s <= 0 else min(max((k * dt - release_s) / spread_s, 0.0), 1.0)
        now = int(np.floor(people * share + 1e-9))
        if now > gone:
            out.append((k, now - gone))
        gone = now
    return out


@pytest.mark.parametrize("seed", range(12))
def test_release_layers_match_the_array_version_and_brute_force(seed, monkeypatch):
    """The compiled release layers against the array version they replaced (also expanded in small chunks) and a
    brute force per source: the same (source, step, people) triples in the same order."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    dt = float(rng.choice([1.0, 30.0, 60.0, 300.0]))
    people = rng.choice([0, 1, 2, 7, 100, 4_000, 250_000], size=n).astype(np.int64)
    release = rng.choice([0.0, 15.0, 59.999, 60.0, 1800.0, 7200.5], size=n) + (seed % 3) * rng.uniform(0, 100, n)
    spread = rng.choice([0.0, 1.0, 60.0, 3599.0, 4 * 3600.0, 48 * 3600.0], size=n)
    got = _release_layers(people, release, spread, dt)
    ref = reference_release_layers(people, release, spread, dt)
    monkeypatch.setattr(queue_reference, "RELEASE_CHUNK", 7)
    chunked = reference_release_layers(people, release, spread, dt)
    for g, r, c in zip(got, ref, chunked):
        assert g.dtype == r.dtype == np.int64
        assert np.array_equal(g, r) and np.array_equal(g, c)
    item, step, amount = got
    for i in range(n):
        mine = list(zip(step[item == i].tolist(), amount[item == i].tolist()))
        assert mine == brute_force_release(int(people[i]), float(release[i]), float(spread[i]), dt)
        assert sum(a for _, a in mine) == people[i]  # nobody vanishes


@pytest.mark.parametrize("seed", range(6))
def test_stable_order_is_numpy_stable_argsort(seed):
    rng = np.random.default_rng(seed)
    key = rng.integers(0, [1, 3, 50, 5_000, 2, 1][seed], size=[0, 1, 17, 10_000, 300, 5][seed]).astype(np.int64)
    assert np.array_equal(_stable_order(key), np.argsort(key, kind="stable"))


def random_streams(seed: int, n_streams: int, n_arcs: int, n_sinks: int) -> list[queue_mod._Stream]:
    """Routes that share suffixes often (drawn from a few trunks), empty routes and repeats included."""
    rng = np.random.default_rng(seed)
    trunks = [rng.integers(0, n_arcs, size=int(rng.integers(1, 8))) for _ in range(4)]
    streams = []
    for i in range(n_streams):
        head = rng.integers(0, n_arcs, size=int(rng.integers(0, 5)))
        tail = trunks[int(rng.integers(0, len(trunks)))][int(rng.integers(0, 3)) :] if rng.random() < 0.8 else []
        route = np.concatenate([head, tail]).astype(np.int64)
        streams.append(queue_mod._Stream(source=i, sink=int(rng.integers(0, n_sinks)), people=1, route=route))
    return streams


@pytest.mark.parametrize("seed", range(12))
def test_route_trie_matches_the_dictionary_walk(seed):
    streams = random_streams(seed, n_streams=[0, 1, 5, 40, 300][seed % 5], n_arcs=[3, 30][seed % 2], n_sinks=3)
    new, old = queue_mod._route_trie(streams), queue_reference.route_trie(streams)
    for name in ("arc", "next", "sink", "first"):
        a, b = getattr(new, name), getattr(old, name)
        assert a.dtype == b.dtype and np.array_equal(a, b), name


def test_route_trie_by_hand():
    # routes 0-1-2 and 5-1-2 to sink 0 share the suffix 1-2; 2 to sink 1 is another element; empty route: -1
    mk = queue_mod._Stream
    streams = [mk(0, 0, 1, np.array([0, 1, 2])), mk(1, 0, 1, np.array([5, 1, 2])), mk(2, 1, 1, np.array([2]))]
    streams.append(mk(3, 1, 1, np.zeros(0, np.int64)))
    t = queue_mod._route_trie(streams)
    assert t.arc.tolist() == [2, 1, 0, 5, 2]
    assert t.next.tolist() == [-1, 0, 1, 1, -1]
    assert t.sink.tolist() == [0, -1, -1, -1, 1]
    assert t.first.tolist() == [2, 3, 4, -1]
