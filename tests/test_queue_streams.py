"""Who goes where in the queue model (issue 24): the distances first computed up to a limit give the same streams
and routes as all the distances (the trees grown once, predecessors kept), and both match a brute-force greedy
over every (source, site) pair in (distance, source, site) order."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra
from test_queue_steps import random_instance

import reliefplan.solvers.evacuation.queue as queue_mod
import reliefplan.solvers.evacuation.streams as streams_mod
from reliefplan.solvers.evacuation import solve_evacuation
from reliefplan.solvers.evacuation.paths import _reverse_graph


def stream_inputs(instance) -> tuple:
    """The arguments the queue model passes to `_shortest_streams` for this instance."""
    captured = []
    current = queue_mod._shortest_streams

    def capture(*args):
        captured.append(args)
        return current(*args)

    mp = pytest.MonkeyPatch()
    mp.setattr(queue_mod, "_shortest_streams", capture)
    try:
        solve_evacuation(instance, method="queue", time_step_s=60.0)
    finally:
        mp.undo()
    return captured[0]


def brute_force_greedy(net, src_net, people, sinks_net, sink_cap) -> list[tuple[int, int, int]]:
    """Every reachable (source, site) pair sorted by (distance, source, site row); each takes what it can."""
    valid = np.flatnonzero(sinks_net >= 0)
    d = np.atleast_2d(dijkstra(_reverse_graph(net, net.travel_time_s), directed=True, indices=sinks_net[valid]))
    pairs = sorted(
        (float(d[r, src_net[i]]), i, r)
        for i in range(len(src_net))
        if src_net[i] >= 0 and people[i] > 0
        for r in range(len(valid))
        if np.isfinite(d[r, src_net[i]])
    )
    left = people.astype(np.int64).copy()
    room = {int(j): (np.inf if not np.isfinite(c) else int(np.floor(c))) for j, c in zip(valid, sink_cap[valid])}
    out = []
    for _, i, r in pairs:
        j = int(valid[r])
        q = min(left[i], room[j])
        if left[i] > 0 and room[j] > 0:
            left[i] -= q
            room[j] -= q
            out.append((i, j, int(q)))
    return out


def as_tuples(streams) -> list[tuple[int, int, int]]:
    return [(s.source, s.sink, s.people) for s in streams]


CASES = [(s, 60, 40, 15, 4, s % 2 == 0) for s in range(6)] + [(s, 300, 200, 60, 9, s % 2 == 0) for s in (6, 7)]


@pytest.mark.parametrize("case", CASES, ids=[f"seed{c[0]}-n{c[1]}" for c in CASES])
@pytest.mark.parametrize("factor", [2.0, 1.0, 0.5])
def test_limited_distances_give_the_same_streams_and_routes(case, factor, monkeypatch):
    """Limit at 2x, 1x and 0.5x the farthest nearest site (the last forces the fall-back to all distances)."""
    args = stream_inputs(random_instance(*case))
    ref, ref_left = streams_mod._shortest_streams(*args)  # small: trees grown once, predecessors kept
    monkeypatch.setattr(streams_mod, "PRED_KEEP_LIMIT", 0)
    monkeypatch.setattr(streams_mod, "LIMIT_FACTOR", factor)
    got, got_left = streams_mod._shortest_streams(*args)
    assert got_left == ref_left
    assert as_tuples(got) == as_tuples(ref)
    for g, r in zip(got, ref):
        assert g.route.dtype == r.route.dtype and np.array_equal(g.route, r.route)
    assert sorted(as_tuples(got)) == sorted(brute_force_greedy(*args))
    net, src_net, people, _, _ = args
    placed = sum(q for _, _, q in as_tuples(got))
    assert placed + got_left == int(people[src_net >= 0].sum())  # nobody vanishes


def test_limit_falls_back_when_someone_is_left_with_room_beyond_it(monkeypatch):
    """A limit below some source's nearest site while sites still have room: the distances are computed again
    without it (two distance passes), and the streams are those of the brute force."""
    args = stream_inputs(random_instance(3, 60, 40, 15, 4, False))
    calls = []
    current = streams_mod._sink_distances

    def count(*a):
        calls.append(a[-1])
        return current(*a)

    monkeypatch.setattr(streams_mod, "PRED_KEEP_LIMIT", 0)
    monkeypatch.setattr(streams_mod, "LIMIT_FACTOR", 0.3)
    monkeypatch.setattr(streams_mod, "_sink_distances", count)
    got, _ = streams_mod._shortest_streams(*args)
    assert len(calls) == 2 and np.isfinite(calls[0]) and calls[1] == np.inf
    assert sorted(as_tuples(got)) == sorted(brute_force_greedy(*args))
