"""Who goes where, by which route, in the queue model: everyone takes the quickest route to the nearest site that
still has room (greedy by distance), one stream per (source, site) pair with its route on the condensed network.

At national scale (1,000 sites, a million links) the shortest-path trees from the sites are most of the cost, so
no tree is grown whole. The distances are first computed only up to a limit (``LIMIT_FACTOR`` times the farthest
any source is from its nearest site; Dijkstra stops there), and the greedy runs on those. Its pairs are taken in
increasing distance, so every pair within the limit is taken in the same order as with all distances; if
everyone found a place within the limit, or no site has room left, the pairs beyond it would change nothing and
the result is exact; otherwise the greedy goes on over the pairs of the sources left and the sites with room, up
to a new limit set the same way (each round takes at least the nearest such pair; a round that takes none is
followed by one without a limit). Routes are read from distances alone (`next_hop`): each site's tree again, stopped at the farthest
source walking to it, and no predecessors kept.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from . import next_hop
from .condensation import _Net
from .paths import _reverse_dist, _reverse_graph

SINK_BATCH = 64  # shortest-path trees computed together (memory: batch x network nodes)
#: finite distances of the greedy's trees kept for reading the routes (12 bytes each; beyond, trees are grown again)
ROW_KEEP_LIMIT = 100_000_000
#: distances are first computed up to this many times the farthest nearest site of any source
LIMIT_FACTOR = 2.0


@dataclass
class _KeptRows:
    """Each sink's finite distances from its latest (farthest-reaching) limited tree: the routes are read from
    them instead of growing the tree again, within ``ROW_KEEP_LIMIT`` entries."""

    rows: dict[int, tuple[np.ndarray, np.ndarray, float]]  # sink row -> (nodes ascending, distances, limit)
    size: int = 0

    def add(self, r: int, nodes: np.ndarray, dist: np.ndarray, limit: float) -> None:
        old = self.rows.pop(r, None)
        if old is not None:
            self.size -= len(old[0])
        if self.size + len(nodes) <= ROW_KEEP_LIMIT:
            self.rows[r] = (nodes.copy(), dist.copy(), limit)
            self.size += len(nodes)

    def covers(self, r: int, reach: float) -> bool:
        """Whether sink row ``r``'s kept distances reach ``reach`` (so every node of its routes)."""
        return r in self.rows and self.rows[r][2] >= reach


@dataclass
class _Stream:
    source: int
    sink: int
    people: int
    route: np.ndarray  # net arc indices


def _shortest_streams(
    net: _Net, src_net: np.ndarray, people: np.ndarray, sinks_net: np.ndarray, sink_cap: np.ndarray
) -> tuple[list[_Stream], int]:
    """Everyone takes the quickest route to the nearest site that still has room (greedy by distance).

    Greedy over (distance, source, sink) in increasing order, lazily: a heap holds each source's nearest sink not
    yet tried, so memory is sources x sinks distances, never one list of every pair; the shortest-path trees are
    computed by batches of sinks, up to a limit."""
    valid_sinks = np.flatnonzero(sinks_net >= 0)
    if len(valid_sinks) == 0 or len(src_net) == 0:
        return [], int(people.sum())
    targets = sinks_net[valid_sinks]
    live = np.flatnonzero((src_net >= 0) & (people > 0))
    graph = _reverse_graph(net, net.travel_time_s)
    rem_p = people.astype(np.int64)
    rem_c = np.where(np.isfinite(sink_cap), np.floor(sink_cap), np.iinfo(np.int64).max // 4).astype(np.int64)
    chosen: list[tuple[int, int, int, float]] = []
    rows, left, stalled = np.arange(len(valid_sinks)), live, False
    kept = _KeptRows(rows={})
    while len(rows) and len(left):
        # every pair of a source left and a site with room lies beyond the previous limit, or the greedy would
        # have taken it: the greedy goes on over those pairs only, up to a new limit
        limit = np.inf if stalled else _distance_limit(net, graph, targets[rows], src_net[left])
        d_src = _sink_distances(net, graph, targets[rows], src_net[left], limit, kept=(kept, rows))
        more, rem_p, rem_c = _greedy(d_src, left, valid_sinks[rows], rem_p, rem_c)
        del d_src
        chosen += [(i, int(rows[r]), q, d) for i, r, q, d in more]
        stalled = not more  # possible with LIMIT_FACTOR < 1 only
        if not np.isfinite(limit):  # nobody left reaches a site with room
            break
        rows = rows[rem_c[valid_sinks[rows]] > 0]
        left = left[rem_p[left] > 0]
    route = _routes(net, graph, targets, src_net, chosen, kept)
    streams = [
        _Stream(source=i, sink=int(valid_sinks[r]), people=q, route=route[(int(src_net[i]), r)])
        for i, r, q, _ in chosen
    ]
    return streams, int(rem_p.sum())


def _distance_limit(net: _Net, graph: sp.csr_array, targets: np.ndarray, src_nodes: np.ndarray) -> float:
    """``LIMIT_FACTOR`` times the farthest any source is from its nearest site (inf when none is reachable)."""
    d1 = np.asarray(_reverse_dist(net, targets, net.travel_time_s, min_only=True, graph=graph))[src_nodes]
    d1 = d1[np.isfinite(d1)]
    return float(LIMIT_FACTOR * d1.max()) if len(d1) else np.inf


def _sink_distances(
    net: _Net,
    graph: sp.csr_array,
    targets: np.ndarray,
    src_nodes: np.ndarray,
    limit: float,
    kept: tuple[_KeptRows, np.ndarray] | None = None,
) -> np.ndarray:
    """Distances [sinks, sources] (inf beyond ``limit``), by batches of sinks; with ``kept`` = (store, the sinks'
    rows) each tree's finite distances are kept too."""
    k = len(targets)
    d_src = np.empty((k, len(src_nodes)))
    for b in range(0, k, SINK_BATCH):
        d = _reverse_dist(net, targets[b : b + SINK_BATCH], net.travel_time_s, min_only=False, graph=graph, limit=limit)
        d = np.atleast_2d(d)
        d_src[b : b + SINK_BATCH] = d[:, src_nodes]
        if kept is not None:
            ptr, idx, val = next_hop.compact_rows(d)
            for q, r in enumerate(kept[1][b : b + SINK_BATCH]):
                kept[0].add(int(r), idx[ptr[q] : ptr[q + 1]], val[ptr[q] : ptr[q + 1]], limit)
    return d_src


def _greedy(
    d_src: np.ndarray, live: np.ndarray, valid_sinks: np.ndarray, people: np.ndarray, places: np.ndarray
) -> tuple[list[tuple[int, int, int, float]], np.ndarray, np.ndarray]:
    """(source, sink row, people, distance) in greedy order, people left per source, places left per sink (from
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
    chosen: list[tuple[int, int, int, float]] = []  # (source, sink row, people, distance) in greedy order
    while heap:
        d, i, r, c = heapq.heappop(heap)
        j = int(valid_sinks[r])
        if rem_c[j] > 0:
            q = int(min(rem_p[i], rem_c[j]))
            rem_p[i] -= q
            rem_c[j] -= q
            chosen.append((i, r, q, d))
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
    chosen: list[tuple[int, int, int, float]],
    kept: _KeptRows,
) -> dict[tuple[int, int], np.ndarray]:
    """Routes of the (source node, sink row) pairs used, read from each sink's distances (`next_hop`): those kept
    from the greedy's trees, else its tree grown again only as far as the farthest source walking to it (sinks by
    batches of similar reach: a batch's trees stop at its farthest source)."""
    pairs = {(int(src_net[i]), r): d for i, r, _, d in chosen}
    if not pairs:
        return {}
    node = np.fromiter((u for u, _ in pairs), dtype=np.int64, count=len(pairs))
    row = np.fromiter((r for _, r in pairs), dtype=np.int64, count=len(pairs))
    dist = np.fromiter(pairs.values(), dtype=float, count=len(pairs))
    reach = np.zeros(len(targets))
    np.maximum.at(reach, row, dist)
    rows_used = np.unique(row)
    rows_used = rows_used[np.argsort(reach[rows_used], kind="stable")]
    indptr, head, w, arc = next_hop.forward_arcs(net)
    route: dict[tuple[int, int], np.ndarray] = {}
    for b in range(0, len(rows_used), SINK_BATCH):
        rows = rows_used[b : b + SINK_BATCH]
        grow = rows[[not kept.covers(int(r), reach[r]) for r in rows]]
        if len(grow):
            d = _reverse_dist(
                net, targets[grow], net.travel_time_s, min_only=False, graph=graph, limit=float(reach[grow].max())
            )
            ptr, idx, val = next_hop.compact_rows(np.atleast_2d(d))
            grown = {int(r): (idx[ptr[q] : ptr[q + 1]], val[ptr[q] : ptr[q + 1]]) for q, r in enumerate(grow)}
        else:
            grown = {}
        parts = [grown[int(r)] if int(r) in grown else kept.rows[int(r)][:2] for r in rows]
        ptr = np.zeros(len(rows) + 1, np.int64)
        np.cumsum([len(p[0]) for p in parts], out=ptr[1:])
        idx = np.concatenate([p[0] for p in parts])
        val = np.concatenate([p[1] for p in parts])
        local = np.full(len(targets), -1, dtype=np.int64)
        local[rows] = np.arange(len(rows))
        sel = np.flatnonzero(local[row] >= 0)
        sel = sel[np.argsort(local[row[sel]], kind="stable")]  # by row: one row's distances spread at a time
        arcs, count = next_hop.walk(indptr, head, w, arc, ptr, idx, val, local[row[sel]], node[sel], targets[rows])
        if (count < 0).any():
            raise RuntimeError("a quickest route could not be read from its site's distances")
        ends = np.cumsum(count)
        for p, e, c in zip(sel, ends, count):
            route[(int(node[p]), int(row[p]))] = arcs[e - c : e]
    return route
