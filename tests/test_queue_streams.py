"""Who goes where in the queue model (issue 24): the streams match a brute-force greedy over every (source, site)
pair in (distance, source, site) order whatever the distance limit, and the routes read from distances
(`next_hop`) match a plain walk over each site's complete Dijkstra distances with the same rule (the nearest
neighbour, then the lowest node) — and Dijkstra's own predecessors wherever no two neighbours tie."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra
from test_queue_steps import random_instance

import reliefplan.solvers.evacuation.queue as queue_mod
import reliefplan.solvers.evacuation.streams as streams_mod
from reliefplan.solvers.evacuation import EvacuationInstance, solve_evacuation
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


def _quickest_arc_per_pair(net) -> dict[tuple[int, int], int]:
    """The quickest usable arc of each node pair (the first of a stable sort by travel time)."""
    best: dict[tuple[int, int], int] = {}
    for a in np.argsort(net.travel_time_s, kind="stable"):
        if net.capacity_per_h[a] > 0:
            best.setdefault((int(net.frm[a]), int(net.to[a])), int(a))
    return best


def reference_route(net, d: np.ndarray, source_node: int, sink_node: int, arcs: dict) -> list[int]:
    """Walk from the source along the complete distances ``d`` to the sink: the next hop is the neighbour v with
    d[u] == w(u, v) + d[v] (w = travel time + 1e-6, as Dijkstra saw it), nearest the sink first, then lowest v."""
    out, u = [], source_node
    while u != sink_node:
        hops = [
            (float(d[v]), v, a)
            for (x, v), a in arcs.items()
            if x == u and d[v] < d[u] and d[v] + (net.travel_time_s[a] + 1e-6) == d[u]
        ]
        _, u, a = min(hops)
        out.append(a)
    return out


def predecessor_route(net, pred: np.ndarray, source_node: int, sink_node: int, arcs: dict) -> list[int]:
    """Walk Dijkstra's own predecessor tree from the source to the sink."""
    out, u = [], source_node
    while u != sink_node:
        v = int(pred[u])
        out.append(arcs[(u, v)])
        u = v
    return out


def check_streams(args, got, got_left, ties: bool) -> None:
    """Streams in brute-force greedy order; every route the reference walk's (and Dijkstra's predecessors' where
    no two neighbours tie); nobody vanishes."""
    net, src_net, people, sinks_net, _ = args
    assert as_tuples(got) == brute_force_greedy(*args)
    arcs = _quickest_arc_per_pair(net)
    graph = _reverse_graph(net, net.travel_time_s)
    for st in got:
        d, pred = dijkstra(graph, directed=True, indices=int(sinks_net[st.sink]), return_predecessors=True)
        u, t = int(src_net[st.source]), int(sinks_net[st.sink])
        assert st.route.dtype == np.int64
        assert st.route.tolist() == reference_route(net, d, u, t, arcs)
        if not ties:
            assert st.route.tolist() == predecessor_route(net, pred, u, t, arcs)
        assert abs((net.travel_time_s[st.route] + 1e-6).sum() - d[u]) <= 1e-9 * max(d[u], 1.0)
    placed = sum(q for _, _, q in as_tuples(got))
    assert placed + got_left == int(people[src_net >= 0].sum())


CASES = [(s, 60, 40, 15, 4, s % 2 == 0) for s in range(6)] + [(s, 300, 200, 60, 9, s % 2 == 0) for s in (6, 7)]


@pytest.mark.parametrize("case", CASES, ids=[f"seed{c[0]}-n{c[1]}" for c in CASES])
@pytest.mark.parametrize("factor", [2.0, 1.0, 0.5])
def test_limited_distances_give_the_greedy_streams_and_quickest_routes(case, factor, monkeypatch):
    """Limit at 2x, 1x and 0.5x the farthest nearest site (the last forces the fall-back beyond it)."""
    args = stream_inputs(random_instance(*case))
    monkeypatch.setattr(streams_mod, "LIMIT_FACTOR", factor)
    got, got_left = streams_mod._shortest_streams(*args)
    check_streams(args, got, got_left, ties=False)


def tied_grid(seed: int, side: int = 12, capped: bool = True) -> EvacuationInstance:
    """A street grid of equal links both ways (every node's two quickest neighbours often tie), a few closed."""
    rng = np.random.default_rng(seed)
    idx = np.arange(side * side).reshape(side, side)
    a = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    b = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    cap = rng.choice([0.0, 600.0, 1800.0], len(a), p=[0.05, 0.5, 0.45])
    src = rng.choice(side * side, 30, replace=False)
    sinks = rng.choice(np.setdiff1d(np.arange(side * side), src), 5, replace=False)
    return EvacuationInstance(
        node_ids=[str(i) for i in range(side * side)],
        arc_from=np.r_[a, b],
        arc_to=np.r_[b, a],
        arc_travel_time_s=np.full(2 * len(a), 120.0),
        arc_capacity_per_h=np.r_[cap, cap],
        source_node=src,
        source_people=rng.integers(100, 3000, 30),
        source_release_s=np.zeros(30),
        source_spread_s=np.full(30, 3600.0),
        sink_node=sinks,
        sink_capacity=[float(c) if capped else None for c in rng.integers(2000, 9000, 5)],
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("batch, factor", [(64, 2.0), (1, 2.0), (2, 0.3)])
def test_tied_grid_routes_do_not_depend_on_limits_or_batches(seed, batch, factor, monkeypatch):
    """Equal links tie everywhere: the routes follow the rule (not the heap's order), whatever the limit and the
    trees grown together."""
    args = stream_inputs(tied_grid(seed))
    monkeypatch.setattr(streams_mod, "SINK_BATCH", batch)
    monkeypatch.setattr(streams_mod, "LIMIT_FACTOR", factor)
    got, got_left = streams_mod._shortest_streams(*args)
    check_streams(args, got, got_left, ties=True)


@pytest.mark.parametrize("factor, seed, capped", [(0.3, 3, False), (0.5, 6, True), (1.0, 7, True), (1.0, 5, True)])
def test_limit_goes_on_in_rounds_when_someone_is_left_with_room_beyond_it(factor, seed, capped, monkeypatch):
    """A limit below some source's nearest site while sites still have room: the greedy goes on in rounds over
    the sources left and the sites with room only, each up to a new limit (unlimited after a round that took
    nobody); the streams are the brute force's, in its order."""
    case = (seed, 60, 40, 15, 4, capped) if seed < 6 else (seed, 300, 200, 60, 9, capped)
    args = stream_inputs(random_instance(*case))
    calls = []
    current = streams_mod._sink_distances

    def count(*a):
        calls.append((len(a[2]), len(a[3]), a[-1]))  # (sites, sources, limit)
        return current(*a)

    monkeypatch.setattr(streams_mod, "LIMIT_FACTOR", factor)
    monkeypatch.setattr(streams_mod, "_sink_distances", count)
    got, _ = streams_mod._shortest_streams(*args)
    assert as_tuples(got) == brute_force_greedy(*args)
    assert len(calls) >= 2 and np.isfinite(calls[0][2])
    for (k0, s0, _), (k1, s1, _) in zip(calls, calls[1:]):  # each round over fewer (or as many) sites and sources
        assert k1 <= k0 and s1 <= s0
