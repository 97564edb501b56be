"""Shortest paths on the condensed network: quickest distances to the sites (Dijkstra on the reversed graph), the
static max flows that bound the move (people deliverable, throughput), and the quickest routes to every site.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from .._mcf import max_flow_value
from .condensation import _Net


def _reverse_graph(net: _Net, weight: np.ndarray) -> sp.csr_array:
    """The usable arcs reversed, weighted (+1e-6: csgraph drops zero weights), the quickest of parallel arcs."""
    usable = net.capacity_per_h > 0
    w = weight[usable] + 1e-6
    # csr construction would sum parallel arcs: keep the quickest per pair instead
    g = sp.coo_array((w, (net.to[usable], net.frm[usable])), shape=(net.n, net.n))
    key = g.row.astype(np.int64) * net.n + g.col
    o = np.lexsort((g.data, key))
    firsts = o[np.r_[True, key[o][1:] != key[o][:-1]]] if len(o) else o
    return sp.csr_array((g.data[firsts], (g.row[firsts], g.col[firsts])), shape=(net.n, net.n))


def _reverse_dist(
    net: _Net,
    targets: np.ndarray,
    weight: np.ndarray,
    min_only: bool,
    predecessors: bool = False,
    graph: sp.csr_array | None = None,
    limit: float = np.inf,
) -> Any:
    """Shortest distance from every node to ``targets`` along usable arcs (Dijkstra on the reverse graph;
    ``graph``: `_reverse_graph` of the same weights when the caller already built it); inf beyond ``limit``
    (the distances within it are those without a limit; the predecessors may break ties otherwise)."""
    g = _reverse_graph(net, weight) if graph is None else graph
    if min_only:
        return dijkstra(g, directed=True, indices=targets, min_only=True, limit=limit)
    return dijkstra(g, directed=True, indices=targets, return_predecessors=predecessors, limit=limit)


def _static_flows(
    net: _Net, src: np.ndarray, people: np.ndarray, sinks: np.ndarray, sink_cap: np.ndarray
) -> tuple[int, float]:
    """(people deliverable with unlimited time, network throughput in people per hour)."""
    big = int(people.sum()) + 1
    usable = net.capacity_per_h > 0

    def run(arc_cap: np.ndarray, src_cap: np.ndarray, sink_caps: np.ndarray) -> int:
        k = len(sinks)
        s_node, t_node = net.n + k, net.n + k + 1
        tails = np.concatenate([net.frm[usable], np.full(len(src), s_node), sinks, net.n + np.arange(k)])
        heads = np.concatenate([net.to[usable], src, net.n + np.arange(k), np.full(k, t_node)])
        caps = np.concatenate([arc_cap, src_cap, np.full(k, big), sink_caps]).astype(np.int64)
        return max_flow_value(tails, heads, caps, s_node, t_node)

    cap_people = np.where(np.isfinite(sink_cap), np.floor(sink_cap), big).astype(np.int64)
    deliverable = run(np.full(int(usable.sum()), big), people, cap_people)
    big = int(np.ceil(net.capacity_per_h[usable]).sum()) + 1
    rate = (
        run(np.ceil(net.capacity_per_h[usable]), np.full(len(src), big), np.full(len(sinks), big)) if deliverable else 0
    )
    return deliverable, float(rate)


@dataclass
class _SinkPaths:
    """Quickest routes in whole steps from every node to every sink (Dijkstra trees, computed once per solve)."""

    dist: np.ndarray  # (k sinks, n nodes) steps; inf where unreachable
    pred: np.ndarray  # (k sinks, n nodes) next node towards the sink
    arc_key: np.ndarray  # sorted frm * n + to of the quickest arc per node pair
    arc_of_key: np.ndarray  # that arc

    @classmethod
    def build(cls, net: _Net, tau: np.ndarray, sinks: np.ndarray) -> _SinkPaths:
        targets, row = np.unique(sinks, return_inverse=True)
        dist, pred = _reverse_dist(net, targets, tau.astype(float), min_only=False, predecessors=True)
        dist = np.atleast_2d(dist)[row]
        pred = np.atleast_2d(pred)[row]
        dist = np.where(np.isfinite(dist), np.round(dist), np.inf)  # csgraph adds 1e-6 per hop
        # quickest arc per (from, to), then the widest (the one Dijkstra's weight saw)
        o = np.lexsort((-net.capacity_per_h, tau, net.frm * net.n + net.to))
        key = (net.frm * net.n + net.to)[o]
        first = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, bool)
        return cls(dist=dist, pred=pred, arc_key=key[first], arc_of_key=o[first])

    def routes(self, js: np.ndarray, vs: np.ndarray, tau: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Quickest routes from nodes ``vs`` to sinks ``js``, walked together hop by hop: (arcs, step offset of
        each arc from the route start, arcs per route), routes one after another."""
        n = self.pred.shape[1]
        cur = np.asarray(vs, dtype=np.int64).copy()
        js = np.asarray(js, dtype=np.int64)
        off = np.zeros(len(cur), dtype=np.int64)
        active = np.flatnonzero(self.dist[js, cur] > 0)
        rec_pair, rec_hop, rec_arc, rec_off = [], [], [], []
        hop = 0
        while len(active) and hop <= n:
            nxt = self.pred[js[active], cur[active]].astype(np.int64)
            arc = self.arc_of_key[np.searchsorted(self.arc_key, cur[active] * n + nxt)]
            rec_pair.append(active)
            rec_hop.append(np.full(len(active), hop))
            rec_arc.append(arc)
            rec_off.append(off[active].copy())
            off[active] += tau[arc]
            cur[active] = nxt
            active = active[self.dist[js[active], nxt] > 0]
            hop += 1
        if not rec_pair:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(len(cur), np.int64)
        pair, hops = np.concatenate(rec_pair), np.concatenate(rec_hop)
        o = np.lexsort((hops, pair))
        return (
            np.concatenate(rec_arc)[o],
            np.concatenate(rec_off)[o],
            np.bincount(pair, minlength=len(cur)).astype(np.int64),
        )
