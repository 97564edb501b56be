"""The point-queue step's work on the waiting route elements, compiled with numba (issue 24).

Each kernel does, element by element and link by link in the same order, the arithmetic of the array version it
replaced (kept as the reference in tests/queue_reference.py): a link's queue is summed over its waiting
elements in ascending element order, as ``np.bincount`` did; links are reported in ascending order, as
``np.unique`` gave them. Results are identical bit for bit. What the kernels save is the sorting of every
waiting element twice per step and a dozen temporary arrays: their cost is one pass over the waiting elements
and a sort of the new ones and of the links in use. Compiled on first use and cached on disk (numba ``cache=True``).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def waiting(active: np.ndarray, touched: np.ndarray, queue: np.ndarray, mark: np.ndarray, stamp: int) -> np.ndarray:
    """The elements with people in their queue, ascending: ``active`` (ascending) merged with the ``touched``
    ones (any order, repeats allowed), those with an empty queue dropped. ``mark`` is scratch per element."""
    for e in active:
        mark[e] = stamp
    new = np.empty(len(touched), np.int64)
    n = 0
    for e in touched:
        if mark[e] != stamp:
            mark[e] = stamp
            new[n] = e
            n += 1
    new = np.sort(new[:n])
    out = np.empty(len(active) + n, np.int64)
    i = j = c = 0
    while i < len(active) or j < n:
        if j >= n or (i < len(active) and active[i] < new[j]):
            e = active[i]
            i += 1
        else:
            e = new[j]
            j += 1
        if queue[e] != 0:
            out[c] = e
            c += 1
    return out[:c]


@njit(cache=True)
def _bucket_add(x: int, v: float, acc: np.ndarray, mark: np.ndarray, stamp: int, keys: np.ndarray, n: int) -> int:
    """``acc[x] += v``, ``acc[x]`` starting at 0.0 the first time this ``stamp`` sees ``x`` (then recorded in
    ``keys[n]``); returns the number of keys."""
    if mark[x] != stamp:
        mark[x] = stamp
        acc[x] = 0.0
        keys[n] = x
        n += 1
    acc[x] += v
    return n


@njit(cache=True)
def discharge(
    A: np.ndarray,
    t: int,
    queue: np.ndarray,
    eu: np.ndarray,
    rate_u: np.ndarray,
    positive: np.ndarray,
    link_q: np.ndarray,
    link_mark: np.ndarray,
    stamp: int,
    jam_first: np.ndarray,
    jam_last: np.ndarray,
    jam_steps: np.ndarray,
    max_q: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each used link lets out of its queue what its capacity allows at step ``t``, every waiting element
    ``A`` (ascending) in proportion to its share; jams are booked. Returns (elements still waiting, elements
    that let people go and how many, links that let people go (ascending) and how many)."""
    links = np.empty(len(A), np.int64)
    nl = 0
    for e in A:  # per link, its elements' queues summed in ascending element order (as np.bincount)
        nl = _bucket_add(eu[e], queue[e], link_q, link_mark, stamp, links, nl)
    links = np.sort(links[:nl])
    out = np.empty(nl)
    n_moved = 0
    for i in range(nl):  # link_q now holds the fraction let out
        u = links[i]
        q = link_q[u]
        r = rate_u[u]
        cap = float(np.int64(np.floor((t + 1) * r + 1e-7) - np.floor(t * r + 1e-7)))  # steps._cap_at
        o = min(q, cap)
        out[i] = o
        if o > 0:
            n_moved += 1
        left = q - o
        if left > 1e-9 and positive[u]:
            if jam_first[u] < 0:
                jam_first[u] = t
            jam_last[u] = t
            jam_steps[u] += 1
            max_q[u] = max(max_q[u], left)
        link_q[u] = o / q if q > 0 else 0.0
    still = np.empty(len(A), np.int64)
    e_go = np.empty(len(A), np.int64)
    v_go = np.empty(len(A))
    ns = ng = 0
    for e in A:
        out_e = queue[e] * link_q[eu[e]]
        queue[e] -= out_e
        if queue[e] != 0:
            still[ns] = e
            ns += 1
        if out_e != 0:
            e_go[ng] = e
            v_go[ng] = out_e
            ng += 1
    moved_u = np.empty(n_moved, np.int64)
    moved_out = np.empty(n_moved)
    c = 0
    for i in range(nl):
        if out[i] > 0:
            moved_u[c] = links[i]
            moved_out[c] = out[i]
            c += 1
    return still[:ns], e_go[:ng], v_go[:ng], moved_u, moved_out


@njit(cache=True)
def land(
    ae: np.ndarray,
    av: np.ndarray,
    nxt: np.ndarray,
    sink: np.ndarray,
    queue: np.ndarray,
    acc: np.ndarray,
    mark: np.ndarray,
    stamp: int,
    arr_sink: np.ndarray,
) -> np.ndarray:
    """People ``av`` reaching the end of element ``ae``'s link (``ae`` ascending) join the next element's queue,
    each queue's arrivals summed first in that order (as np.bincount), or reach their sink (``arr_sink``, zeros
    on entry). Returns the elements whose queue grew."""
    tgt = np.empty(len(ae), np.int64)
    nt = 0
    for i in range(len(ae)):
        e = ae[i]
        x = nxt[e]
        if x >= 0:
            nt = _bucket_add(x, av[i], acc, mark, stamp, tgt, nt)
        else:
            arr_sink[sink[e]] += av[i]
    for i in range(nt):
        queue[tgt[i]] += acc[tgt[i]]
    return tgt[:nt]
