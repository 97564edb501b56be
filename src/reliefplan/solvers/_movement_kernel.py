"""The per-step kernel of the hourly movement, compiled with numba: people reaching the end of a link
(`land`), and every link letting through its capacity (`discharge`).

Both do, element by element and link by link in the same order, the arithmetic the array version did (kept as
the reference in tests/movement_reference.py): sums accumulate in the same order, so results are identical bit
for bit. The route elements' arrays (`_Elements`) are passed in and updated in place; people who reach their
site come back as arrays (element, people, sum of departure steps, vulnerable people) for the arrivals.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# Arrays of the route elements, in the order the kernels take them (see _Elements).
ELEMENT_ARRAYS = ("arcs", "ptr", "nar", "next", "use", "k", "f", "carry", "size", "off", "queue", "qdep", "qvul")
RING_ARRAYS = ("ring_n", "ring_dep", "ring_vul")


@njit(cache=True)
def land(
    t: int,
    n_el: int,
    off: np.ndarray,
    size: np.ndarray,
    nxt: np.ndarray,
    ring_n: np.ndarray,
    ring_dep: np.ndarray,
    ring_vul: np.ndarray,
    queue: np.ndarray,
    qdep: np.ndarray,
    qvul: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """People at the end of a link this step go onto the next element's queue; those at the end of their way
    come back (elements, people, departure-step sums, vulnerable people)."""
    te = np.empty(n_el, np.int64)
    tn = np.empty(n_el, np.int64)
    td = np.empty(n_el)
    tv = np.empty(n_el)
    c = 0
    for e in range(n_el):
        s = off[e] + t % size[e]
        n = ring_n[s]
        if n == 0:
            continue
        d, v = ring_dep[s], ring_vul[s]
        ring_n[s], ring_dep[s], ring_vul[s] = 0, 0.0, 0.0
        x = nxt[e]
        if x >= 0:
            queue[x] += n
            qdep[x] += d
            qvul[x] += v
        else:
            te[c], tn[c], td[c], tv[c] = e, n, d, v
            c += 1
    return te[:c], tn[:c], td[:c], tv[:c]


@njit(cache=True)
def discharge(
    qi: np.ndarray,
    t: int,
    max_use: float,
    cap_step: np.ndarray,
    credit: np.ndarray,
    credit_t: np.ndarray,
    jam_steps: np.ndarray,
    jam_first: np.ndarray,
    jam_last: np.ndarray,
    max_queue: np.ndarray,
    arcs: np.ndarray,
    ptr: np.ndarray,
    nar: np.ndarray,
    nxt: np.ndarray,
    use: np.ndarray,
    k: np.ndarray,
    f: np.ndarray,
    carry: np.ndarray,
    size: np.ndarray,
    off: np.ndarray,
    queue: np.ndarray,
    qdep: np.ndarray,
    qvul: np.ndarray,
    ring_n: np.ndarray,
    ring_dep: np.ndarray,
    ring_vul: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Passes of `one_pass` along chains of short links (at most 256) from the queued elements ``qi``; returns
    the people who reached the end of their way within the step (as `land`)."""
    m = len(cap_step)
    load = np.zeros(m)
    used = np.zeros(m)
    frac = np.ones(m)
    touched = np.zeros(m, np.bool_)
    cap = 16
    te = np.empty(cap, np.int64)
    tn = np.empty(cap, np.int64)
    td = np.empty(cap)
    tv = np.empty(cap)
    c = 0
    for _ in range(256):
        if len(qi) == 0:
            break
        qi, e_end, n_end, d_end, v_end = one_pass(
            qi, t, max_use, cap_step, credit, credit_t, jam_steps, jam_first, jam_last, max_queue,
            arcs, ptr, nar, nxt, use, k, f, carry, size, off, queue, qdep, qvul, ring_n, ring_dep, ring_vul,
            load, used, frac, touched,
        )  # fmt: skip
        if c + len(e_end) > cap:
            cap = max(2 * cap, c + len(e_end))
            te, tn, td, tv = _grow(te, cap), _grow(tn, cap), _grow(td, cap), _grow(tv, cap)
        for i in range(len(e_end)):
            te[c], tn[c], td[c], tv[c] = e_end[i], n_end[i], d_end[i], v_end[i]
            c += 1
    return te[:c], tn[:c], td[:c], tv[:c]


@njit(cache=True)
def _grow(a: np.ndarray, cap: int) -> np.ndarray:
    b = np.empty(cap, a.dtype)
    b[: len(a)] = a
    return b


@njit(cache=True)
def one_pass(
    qi: np.ndarray,
    t: int,
    max_use: float,
    cap_step: np.ndarray,
    credit: np.ndarray,
    credit_t: np.ndarray,
    jam_steps: np.ndarray,
    jam_first: np.ndarray,
    jam_last: np.ndarray,
    max_queue: np.ndarray,
    arcs: np.ndarray,
    ptr: np.ndarray,
    nar: np.ndarray,
    nxt: np.ndarray,
    use: np.ndarray,
    k: np.ndarray,
    f: np.ndarray,
    carry: np.ndarray,
    size: np.ndarray,
    off: np.ndarray,
    queue: np.ndarray,
    qdep: np.ndarray,
    qvul: np.ndarray,
    ring_n: np.ndarray,
    ring_dep: np.ndarray,
    ring_vul: np.ndarray,
    load: np.ndarray,
    used: np.ndarray,
    frac: np.ndarray,
    touched: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One discharge pass over the queued elements ``qi`` (sorted): every link takes each segment's people (times
    their road use) from this step's credit; a segment moves as its tightest link allows. Returns the elements
    reached within the step (links shorter than the rest of the step) and the people at the end of their way.
    ``load``/``used``/``frac``/``touched`` are zeroed work arrays over links (left zeroed)."""
    nq = len(qi)
    qv = np.empty(nq, np.int64)
    n_touch = 0
    for i in range(nq):
        n_touch += nar[qi[i]]
    lst = np.empty(n_touch, np.int64)
    n_touch = 0
    for i in range(nq):  # every link of every segment takes the segment's people from its capacity
        e = qi[i]
        qv[i] = queue[e]
        w = qv[i] * use[e]
        for p in range(ptr[e], ptr[e] + nar[e]):
            a = arcs[p]
            if not touched[a]:
                touched[a] = True
                lst[n_touch] = a
                n_touch += 1
            load[a] += w
    free = True
    for j in range(n_touch):
        a = lst[j]
        if credit_t[a] != t:  # this step's capacity, plus at most one person's rounding owed
            credit[a] = min(credit[a], max_use) + cap_step[a]
            credit_t[a] = t
        if not credit[a] >= load[a]:
            free = False
    out = np.empty(nq, np.int64)
    o_dep = np.empty(nq)
    o_vul = np.empty(nq)
    if free:  # free flow everywhere: everyone goes
        for j in range(n_touch):
            a = lst[j]
            credit[a] -= load[a]
        for i in range(nq):
            e = qi[i]
            out[i], o_dep[i], o_vul[i] = qv[i], qdep[e], qvul[e]
            queue[e], qdep[e], qvul[e] = 0, 0.0, 0.0
    else:
        for j in range(n_touch):
            a = lst[j]
            frac[a] = min(1.0, credit[a] / load[a])
        for i in range(nq):
            e = qi[i]
            fq = np.inf
            for p in range(ptr[e], ptr[e] + nar[e]):
                fq = min(fq, frac[arcs[p]])
            out[i] = qv[i] if fq >= 1.0 else np.int64(math.floor(qv[i] * fq + 1e-9))
            share = out[i] / qv[i]
            o_dep[i], o_vul[i] = qdep[e] * share, qvul[e] * share
            queue[e] -= out[i]
            qdep[e] -= o_dep[i]
            qvul[e] -= o_vul[i]
            w = out[i] * use[e]
            for p in range(ptr[e], ptr[e] + nar[e]):
                used[arcs[p]] += w
        for j in range(n_touch):
            a = lst[j]
            credit[a] -= used[a]
            left = load[a] - used[a]
            if left > 1e-9:
                if jam_last[a] != t:
                    jam_steps[a] += 1
                    if jam_first[a] < 0:
                        jam_first[a] = t
                jam_last[a] = t
                max_queue[a] = max(max_queue[a], left)
    for j in range(n_touch):
        a = lst[j]
        load[a], used[a], frac[a], touched[a] = 0.0, 0.0, 1.0, False
    # onto the link: the fraction one step slower (remainders carried over), the rest one step earlier
    now_e = np.empty(nq, np.int64)
    now_n = np.empty(nq, np.int64)
    now_d = np.empty(nq)
    now_v = np.empty(nq)
    c = 0
    for i in range(nq):
        if out[i] <= 0:
            continue
        e = qi[i]
        owed = out[i] * f[e] + carry[e]
        late = np.int64(math.floor(owed + 1e-9))
        carry[e] = owed - late
        lf = late / out[i]
        ph = t % size[e]
        s2 = off[e] + (ph + k[e] + 1) % size[e]
        ring_n[s2] += late
        ring_dep[s2] += o_dep[i] * lf
        ring_vul[s2] += o_vul[i] * lf
        early, e_dep, e_vul = out[i] - late, o_dep[i] * (1 - lf), o_vul[i] * (1 - lf)
        if k[e] > 0:
            s1 = off[e] + (ph + k[e]) % size[e]
            ring_n[s1] += early
            ring_dep[s1] += e_dep
            ring_vul[s1] += e_vul
        elif early > 0:  # through a short link within the step: on to the next one now
            now_e[c], now_n[c], now_d[c], now_v[c] = e, early, e_dep, e_vul
            c += 1
    nx = np.empty(c, np.int64)
    n_mv = 0
    end = np.zeros(c, np.bool_)
    for i in range(c):
        x = nxt[now_e[i]]
        if x >= 0:
            queue[x] += now_n[i]
            qdep[x] += now_d[i]
            qvul[x] += now_v[i]
            nx[n_mv] = x
            n_mv += 1
        else:
            end[i] = True
    ends = np.flatnonzero(end)
    return (
        np.unique(nx[:n_mv]),
        now_e[:c][ends],
        now_n[:c][ends],
        now_d[:c][ends],
        now_v[:c][ends],
    )
