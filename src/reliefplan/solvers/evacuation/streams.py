"""Who goes where, by which route, in the queue model: everyone takes the quickest route to the nearest site that
still has room (greedy by distance), one stream per (source, site) pair with its route on the condensed network.

At national scale (1,000 sites, a million links) the shortest-path trees from the sites are most of the cost. The
distances are first computed only up to a limit (``LIMIT_FACTOR`` times the farthest any source is from its
nearest site; Dijkstra stops there), and the greedy runs on those. Its pairs are taken in increasing distance, so
every pair within the limit is taken in the same order as with all distances; if everyone found a place within
the limit, or no site has room left, the pairs beyond it would change nothing and the result is exact; otherwise
the distances are computed again without a limit. Routes always come from complete trees (their ties are broken
as without a limit).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .condensation import _Net
from .paths import _reverse_dist, _reverse_graph

SINK_BATCH = 64  # shortest-path trees computed together (memory: batch x network nodes)
PRED_KEEP_LIMIT = 300_000_000  # sinks x nodes up to which the trees' predecessors are kept (int32: 1.2 GB)
#: distances are first computed up to this many times the farthest nearest site of any source (above
#: PRED_KEEP_LIMIT, where the trees are grown twice anyway)
LIMIT_FACTOR = 2.0


@dataclass
class _Stream:
    source: int
    sink: int
    people: int
    route: np.ndarray  # net arc indices


def _quickest_arcs(net: _Net, usable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted from * n + to keys, arc) of the quickest usable arc per node pair (the first in a stable sort)."""
    idx = np.flatnonzero(usable)
    idx = idx[np.argsort(net.travel_time_s[idx], kind="stable")]
    key, first = np.unique(net.frm[idx] * net.n + net.to[idx], return_index=True)
    return key, idx[first]


def _routes_to(
    net: _Net, pred: np.ndarray, target: int, nodes: np.ndarray, arc_key: np.ndarray, arc_of_key: np.ndarray
) -> list[np.ndarray]:
    """Quickest routes (arc indices) from ``nodes`` to ``target`` along one tree's predecessors, walked together."""
    cur = np.asarray(nodes, dtype=np.int64).copy()
    hops: list[np.ndarray] = []
    owner: list[np.ndarray] = []
    active = np.flatnonzero(cur != target)
    while len(active):
        nxt = pred[cur[active]].astype(np.int64)
        hops.append(arc_of_key[np.searchsorted(arc_key, cur[active] * net.n + nxt)])
        owner.append(active)
        cur[active] = nxt
        active = active[nxt != target]
    if not hops:
        return [np.zeros(0, np.int64) for _ in nodes]
    arc, who = np.concatenate(hops), np.concatenate(owner)
    o = np.argsort(who, kind="stable")  # hop order kept within a route
    bounds = np.searchsorted(who[o], np.arange(len(nodes) + 1))
    arc = arc[o]
    return [arc[bounds[q] : bounds[q + 1]] for q in range(len(nodes))]


def _shortest_streams(
    net: _Net, src_net: np.ndarray, people: np.ndarray, sinks_net: np.ndarray, sink_cap: np.ndarray
) -> tuple[list[_Stream], int]:
    """Everyone takes the quickest route to the nearest site that still has room (greedy by distance).

    Greedy over (distance, source, sink) in increasing order, lazily: a heap holds each source's nearest sink not
    yet tried, so memory is sources x sinks distances, never one list of every pair; the shortest-path trees are
    computed by batches of sinks, and their predecessors only for the sinks someone walks to."""
    valid_sinks = np.flatnonzero(sinks_net >= 0)
    if len(valid_sinks) == 0 or len(src_net) == 0:
        return [], int(people.sum())
    targets = sinks_net[valid_sinks]
    live = np.flatnonzero((src_net >= 0) & (people > 0))
    graph = _reverse_graph(net, net.travel_time_s)
    keep_pred = len(targets) * net.n <= PRED_KEEP_LIMIT  # else the trees are grown again for their predecessors
    limit = np.inf if keep_pred else _distance_limit(net, graph, targets, src_net[live])
    d_src, preds = _sink_distances(net, graph, targets, src_net[live], keep_pred, limit)
    rem_c = np.where(np.isfinite(sink_cap), np.floor(sink_cap), np.iinfo(np.int64).max // 4).astype(np.int64)
    chosen, rem_p, rem_c = _greedy(d_src, live, valid_sinks, people.astype(np.int64), rem_c)
    del d_src
    if np.isfinite(limit) and rem_p[live].any() and (rem_c[valid_sinks] > 0).any():  # pairs beyond it may matter
        # the greedy went on from here over pairs beyond the limit: those of the sources left and the sites
        # with room (every pair of them is beyond it, or the greedy would have taken it)
        rows = np.flatnonzero(rem_c[valid_sinks] > 0)
        left = live[rem_p[live] > 0]
        d_left, _ = _sink_distances(net, graph, targets[rows], src_net[left], False, np.inf)
        more, rem_p, rem_c = _greedy(d_left, left, valid_sinks[rows], rem_p, rem_c)
        chosen += [(i, int(rows[r]), q) for i, r, q in more]
    route = _routes(net, graph, targets, src_net, chosen, preds)
    streams = [
        _Stream(source=i, sink=int(valid_sinks[r]), people=q, route=route[(int(src_net[i]), r)]) for i, r, q in chosen
    ]
    return streams, int(rem_p.sum())


def _distance_limit(net: _Net, graph: sp.csr_array, targets: np.ndarray, src_nodes: np.ndarray) -> float:
    """``LIMIT_FACTOR`` times the farthest any source is from its nearest site (inf when none is reachable)."""
    d1 = np.asarray(_reverse_dist(net, targets, net.travel_time_s, min_only=True, graph=graph))[src_nodes]
    d1 = d1[np.isfinite(d1)]
    return float(LIMIT_FACTOR * d1.max()) if len(d1) else np.inf


def _sink_distances(
    net: _Net, graph: sp.csr_array, targets: np.ndarray, src_nodes: np.ndarray, keep_pred: bool, limit: float
) -> tuple[np.ndarray, np.ndarray | None]:
    """Distances [sinks, sources] (inf beyond ``limit``), by batches of sinks; with ``keep_pred`` the trees'
    predecessors [sinks, nodes] too."""
    k = len(targets)
    d_src = np.empty((k, len(src_nodes)))
    preds = np.empty((k, net.n), dtype=np.int32) if keep_pred else None
    for b in range(0, k, SINK_BATCH):
        got = _reverse_dist(
            net,
            targets[b : b + SINK_BATCH],
            net.travel_time_s,
            min_only=False,
            predecessors=keep_pred,
            graph=graph,
            limit=limit,
        )
        d, pred = got if keep_pred else (got, None)
        d_src[b : b + SINK_BATCH] = np.atleast_2d(d)[:, src_nodes]
        if preds is not None and pred is not None:  # both or neither (keep_pred)
            preds[b : b + SINK_BATCH] = np.atleast_2d(pred)
    return d_src, preds


def _greedy(
    d_src: np.ndarray, live: np.ndarray, valid_sinks: np.ndarray, people: np.ndarray, places: np.ndarray
) -> tuple[list[tuple[int, int, int]], np.ndarray, np.ndarray]:
    """(source, sink row, people) in greedy order, people left per source, places left per sink (from
    ``people`` per source and ``places`` per sink, int64)."""
    rem_p = people.copy()
    rem_c = places.copy()
    # each source's sinks by (distance, sink row): the order of the pairs in the greedy
    cand = np.empty(d_src.shape, dtype=np.int32)
    for c0 in range(0, len(live), 8192):  # by column blocks: argsort's int64 result for a block only
        cand[:, c0 : c0 + 8192] = np.argsort(d_src[:, c0 : c0 + 8192], axis=0, kind="stable")
    n_fin = np.isfinite(d_src).sum(axis=0)
    ptr = np.zeros(len(live), dtype=np.int64)
    heap = [(float(d_src[cand[0, c], c]), int(live[c]), int(cand[0, c]), c) for c in range(len(live)) if n_fin[c]]
    heapq.heapify(heap)
    chosen: list[tuple[int, int, int]] = []  # (source, sink row, people) in greedy order
    while heap:
        _, i, r, c = heapq.heappop(heap)
        j = int(valid_sinks[r])
        if rem_c[j] > 0:
            q = int(min(rem_p[i], rem_c[j]))
            rem_p[i] -= q
            rem_c[j] -= q
            chosen.append((i, r, q))
            if rem_p[i] == 0:
                continue
        ptr[c] += 1
        if ptr[c] < n_fin[c]:
            r2 = int(cand[ptr[c], c])
            heapq.heappush(heap, (float(d_src[r2, c]), i, r2, c))
    return chosen, rem_p, rem_c


def _routes(
    net: _Net,
    graph: sp.csr_array,
    targets: np.ndarray,
    src_net: np.ndarray,
    chosen: list[tuple[int, int, int]],
    preds: np.ndarray | None,
) -> dict[tuple[int, int], np.ndarray]:
    """Routes of the (source node, sink row) pairs used, one predecessor tree per sink walked to."""
    arc_key, arc_of_key = _quickest_arcs(net, net.capacity_per_h > 0)
    route: dict[tuple[int, int], np.ndarray] = {}
    walkers: dict[int, set[int]] = {}  # sink row -> source nodes walking to it
    for i, r, _ in chosen:
        walkers.setdefault(r, set()).add(int(src_net[i]))
    rows_used = sorted(walkers)
    for b in range(0, len(rows_used), SINK_BATCH):
        rows = rows_used[b : b + SINK_BATCH]
        if preds is not None:
            pred = preds[rows]
        else:
            pred = np.atleast_2d(
                _reverse_dist(net, targets[rows], net.travel_time_s, min_only=False, predecessors=True, graph=graph)[1]
            )
        for q, r in enumerate(rows):
            nodes = sorted(walkers[r])
            for u, arcs in zip(
                nodes, _routes_to(net, pred[q], int(targets[r]), np.asarray(nodes), arc_key, arc_of_key)
            ):
                route[(u, r)] = arcs
    return route
