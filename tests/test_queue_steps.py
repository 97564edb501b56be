"""The queue model's step loop (issue 24: a step costs what moves in it) against the reference copy of the loop
before the change: the same runs, bit for bit, on small and medium random networks."""

from __future__ import annotations

import numpy as np
import pytest
from queue_reference import _solve_queue as _reference_solve_queue

import reliefplan.solvers.evacuation.queue as queue_mod
from reliefplan.solvers.evacuation import EvacuationInstance, solve_evacuation


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
