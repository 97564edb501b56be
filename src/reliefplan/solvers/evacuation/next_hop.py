"""Quickest routes read from distances alone, without predecessor trees (issue 24).

A node's next hop towards a site is the neighbour ``v`` over the arc ``u -> v`` with
``dist[u] == w(u, v) + dist[v]`` (float64, the very addition Dijkstra made), the one nearest the site first, then
the lowest node number. Distances are the same whichever order Dijkstra scans its ties in and wherever it stops
(a node within a limit has its distance), so the routes are too: a tree stopped at the farthest source walking to
the site gives the routes the complete tree would. Dijkstra's own predecessor is the first neighbour it scanned
that reached the distance: the same neighbour, except where two of them are exactly as far from the site (a
street grid of equal links), where the heap's order chose. Compiled with numba (``cache=True``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .condensation import _Net


def forward_arcs(net: _Net) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(indptr, head node, weight, arc) of the quickest usable arc per node pair, by tail node: a CSR whose weights
    are those `paths._reverse_graph` gives Dijkstra (travel time + 1e-6 s)."""
    usable = np.flatnonzero(net.capacity_per_h > 0)
    usable = usable[np.argsort(net.travel_time_s[usable], kind="stable")]
    key, first = np.unique(net.frm[usable] * net.n + net.to[usable], return_index=True)
    arc = usable[first]
    tail = key // net.n
    indptr = np.searchsorted(tail, np.arange(net.n + 1)).astype(np.int64)
    return indptr, (key % net.n).astype(np.int64), net.travel_time_s[arc] + 1e-6, arc.astype(np.int64)


@njit(cache=True)
def _next(indptr: np.ndarray, head: np.ndarray, w: np.ndarray, d: np.ndarray, u: int) -> int:
    """Index of the arc entry from ``u`` that is its next hop along the distances ``d`` (-1: none)."""
    best = -1
    best_d = np.inf
    best_v = -1
    du = d[u]
    for e in range(indptr[u], indptr[u + 1]):
        v = head[e]
        dv = d[v]
        if dv < du and dv + w[e] == du and (dv < best_d or (dv == best_d and v < best_v)):
            best, best_d, best_v = e, dv, v
    return best


@njit(cache=True)
def walk(
    indptr: np.ndarray,
    head: np.ndarray,
    w: np.ndarray,
    arc: np.ndarray,
    dist: np.ndarray,
    row: np.ndarray,
    start: np.ndarray,
    target: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Routes from node ``start[p]`` to node ``target[row[p]]`` along the distances ``dist[row[p]]`` (to that
    target): (arcs of every route one after another, arcs per route). A route that cannot reach its target
    (a distance not from this graph) has length -1."""
    m = len(start)
    count = np.zeros(m, np.int64)
    for p in range(m):
        d = dist[row[p]]
        u = start[p]
        t = target[row[p]]
        while u != t:
            e = _next(indptr, head, w, d, u)
            if e < 0:
                count[p] = -1
                break
            count[p] += 1
            u = head[e]
    out = np.empty(np.maximum(count, 0).sum(), np.int64)
    k = 0
    for p in range(m):
        if count[p] < 0:
            continue
        d = dist[row[p]]
        u = start[p]
        for _ in range(count[p]):
            e = _next(indptr, head, w, d, u)
            out[k] = arc[e]
            k += 1
            u = head[e]
    return out, count
