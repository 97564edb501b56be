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
def compact_rows(d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distance rows [rows, nodes] (inf beyond a limit) as CSR (ptr, node, distance) of their finite entries."""
    b, n = d.shape
    ptr = np.zeros(b + 1, np.int64)
    for i in range(b):
        c = 0
        for j in range(n):
            if d[i, j] < np.inf:
                c += 1
        ptr[i + 1] = ptr[i] + c
    idx = np.empty(ptr[b], np.int64)
    val = np.empty(ptr[b])
    k = 0
    for i in range(b):
        for j in range(n):
            if d[i, j] < np.inf:
                idx[k] = j
                val[k] = d[i, j]
                k += 1
    return ptr, idx, val


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
    ptr: np.ndarray,
    idx: np.ndarray,
    val: np.ndarray,
    row: np.ndarray,
    start: np.ndarray,
    target: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Routes from node ``start[p]`` to node ``target[row[p]]`` along the distances of CSR row ``row[p]``
    (``compact_rows``, to that target; ``row`` ascending): (arcs of every route one after another, arcs per
    route). A route that cannot reach its target (distances not from this graph, or cut by their limit) has
    length -1. Each row's distances are spread over a scratch vector of the nodes while its routes are walked."""
    n = len(indptr) - 1
    m = len(start)
    d = np.full(n, np.inf)
    count = np.zeros(m, np.int64)
    out = np.empty(max(16, 4 * m), np.int64)
    k = 0
    p = 0
    while p < m:
        r = row[p]
        for q in range(ptr[r], ptr[r + 1]):
            d[idx[q]] = val[q]
        while p < m and row[p] == r:
            u = start[p]
            k0 = k
            while u != target[r]:
                e = _next(indptr, head, w, d, u)
                if e < 0:
                    count[p] = -1
                    k = k0
                    break
                if k == len(out):
                    grown = np.empty(2 * len(out), np.int64)
                    grown[:k] = out[:k]
                    out = grown
                out[k] = arc[e]
                k += 1
                count[p] += 1
                u = head[e]
            p += 1
        for q in range(ptr[r], ptr[r + 1]):
            d[idx[q]] = np.inf
    return out[:k].copy(), count
