"""The per-step kernel of the hourly movement, compiled with numba: people reaching the end of a link
(`land`), and every link letting through its capacity (`discharge`).

Both do, element by element and link by link in the same order, the arithmetic of the array version they
replaced (kept as the reference in tests/movement_reference.py): sums accumulate in the same order, so results
are identical bit for bit. The route elements' arrays (`routes.Elements`) and the links' credit and jam books
are passed in as tuples (`element_arrays`, `link_arrays`) and updated in place; people who reach the end of
their way come back as arrays (element, people, sum of departure steps, vulnerable people) for the arrivals.
Compiled on first use and cached on disk (numba ``cache=True``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

#: the route elements' arrays, in the order the kernels unpack them (see routes.Elements)
ELEMENT_ARRAYS = ("arcs", "ptr", "nar", "next", "use", "k", "f", "carry", "size", "off", "queue", "qdep", "qvul")
RING_ARRAYS = ("ring_n", "ring_dep", "ring_vul")
#: people on each element's travel ring, so that `land` skips empty elements without finding their slot
COUNT_ARRAYS = ("on_ring",)
#: the links' arrays (see simulation._Sim): capacity per step, credit and when it was topped up, jam books
LINK_ARRAYS = ("cap_step", "credit", "credit_t", "jam_steps", "jam_first", "jam_last", "max_queue")


def element_arrays(el: Any) -> tuple[np.ndarray, ...]:
    return tuple(getattr(el, a) for a in ELEMENT_ARRAYS + RING_ARRAYS + COUNT_ARRAYS)


@njit(cache=True)
def land(t: int, n_el: int, els: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """People at the end of a link this step go onto the next element's queue; those at the end of their way
    come back (elements, people, departure-step sums, vulnerable people)."""
    _, _, _, nxt, _, _, _, _, size, off, queue, qdep, qvul, ring_n, ring_dep, ring_vul, on_ring = els
    te, tn, td, tv = np.empty(n_el, np.int64), np.empty(n_el, np.int64), np.empty(n_el), np.empty(n_el)
    c = 0
    for e in range(n_el):
        if on_ring[e] == 0:
            continue
        s = off[e] + (t & (size[e] - 1))  # t % size: sizes are powers of 2
        n = ring_n[s]
        if n == 0:
            continue
        d, v = ring_dep[s], ring_vul[s]
        ring_n[s], ring_dep[s], ring_vul[s] = 0, 0.0, 0.0
        on_ring[e] -= n
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
def land_and_discharge(
    t: int, n_el: int, max_use: float, links: Any, els: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """`land`, then `discharge_queued`: a step without departures in one call (the same arithmetic in the same
    order as the two calls; the people at the end of their way, landed ones first)."""
    a = land(t, n_el, els)
    b = discharge_queued(t, n_el, max_use, links, els)
    if len(a[0]) == 0:
        return b
    if len(b[0]) == 0:
        return a
    return (
        np.concatenate((a[0], b[0])),
        np.concatenate((a[1], b[1])),
        np.concatenate((a[2], b[2])),
        np.concatenate((a[3], b[3])),
    )


@njit(cache=True)
def discharge_queued(
    t: int, n_el: int, max_use: float, links: Any, els: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """`discharge` from every element with people queued."""
    queue = els[10]
    qi = np.empty(n_el, np.int64)
    c = 0
    for e in range(n_el):  # one pass over the elements
        if queue[e] != 0:
            qi[c] = e
            c += 1
    return discharge(qi[:c].copy(), t, max_use, links, els)


@njit(cache=True)
def due(t: int, w: int, t0: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Release events at step ``t``: people leave evenly over ``w`` steps from ``t0`` (rounded, the remainder
    carried in the cumulative sum). Returns (events with people leaving now, how many, whether an event ends)."""
    li, amount = np.empty(len(t0), np.int64), np.empty(len(t0), np.int64)
    c, ended = 0, False
    for i in range(len(t0)):
        ir = t - t0[i]
        if ir >= w - 1:
            ended = True
        if ir < 0 or ir >= w:
            continue
        x = (2 * n[i] * (ir + 1) + w) // (2 * w) - (2 * n[i] * ir + w) // (2 * w)
        if x > 0:
            li[c], amount[c] = i, x
            c += 1
    return li[:c], amount[:c], ended


@njit(cache=True)
def discharge(
    qi: np.ndarray, t: int, max_use: float, links: Any, els: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Passes along chains of short links (at most 256) from the queued elements ``qi``; returns
    the people who reached the end of their way within the step (as `land`).

    The arrays each pass needs are taken out of ``links`` and ``els`` once, here, and handed on one by one: a
    tuple argument is copied and its every array counted (an atomic reference count) at each call."""
    cap_step, credit, credit_t, jam_steps, jam_first, jam_last, max_queue = links
    arcs, ptr, nar, nxt, use, k, f, carry, size, off, queue, qdep, qvul, ring_n, ring_dep, ring_vul, on_ring = els
    m = len(cap_step)
    load, used, frac, touched, lst = np.zeros(m), np.zeros(m), np.ones(m), np.zeros(m, np.bool_), np.empty(m, np.int64)
    cap, c = 16, 0
    te, tn, td, tv = np.empty(cap, np.int64), np.empty(cap, np.int64), np.empty(cap), np.empty(cap)
    for _ in range(256):
        if len(qi) == 0:
            break
        # one pass: every link takes each segment's people from this step's credit; a segment moves as its tightest
        # link allows, onto its ring or, through links shorter than the rest of the step, on to the next queue
        qv, n_touch, free = _load(
            qi, t, max_use, cap_step, credit, credit_t, arcs, ptr, nar, queue, use, load, touched, lst
        )
        if free:
            out, o_dep, o_vul = _all_go(qi, qv, lst[:n_touch], credit, queue, qdep, qvul, load)
        else:
            out, o_dep, o_vul = _tightest(
                qi,
                qv,
                t,
                lst[:n_touch],
                (credit, jam_steps, jam_first, jam_last, max_queue),
                arcs,
                ptr,
                nar,
                use,
                queue,
                qdep,
                qvul,
                load,
                used,
                frac,
            )
        for j in range(n_touch):
            a = lst[j]
            load[a], used[a], frac[a], touched[a] = 0.0, 0.0, 1.0, False
        qi, e_end, n_end, d_end, v_end = _onto_links(
            qi,
            t,
            out,
            o_dep,
            o_vul,
            nxt,
            k,
            f,
            carry,
            size,
            off,
            queue,
            qdep,
            qvul,
            ring_n,
            ring_dep,
            ring_vul,
            on_ring,
        )
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
def _load(
    qi: np.ndarray,
    t: int,
    max_use: float,
    cap_step: np.ndarray,
    credit: np.ndarray,
    credit_t: np.ndarray,
    arcs: np.ndarray,
    ptr: np.ndarray,
    nar: np.ndarray,
    queue: np.ndarray,
    use: np.ndarray,
    load: np.ndarray,
    touched: np.ndarray,
    lst: np.ndarray,
) -> Any:
    """Every link of every segment takes the segment's people from its capacity: the load per link, this
    step's credit (plus at most one person's rounding owed), and whether every link has room for its load.
    ``load``, ``touched``, ``lst``: zeroed work arrays over links, and the list of the links touched."""
    qv = np.empty(len(qi), np.int64)
    n_touch = 0
    for i in range(len(qi)):
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
        if credit_t[a] != t:
            credit[a] = min(credit[a], max_use) + cap_step[a]
            credit_t[a] = t
        if not credit[a] >= load[a]:
            free = False
    return qv, n_touch, free


@njit(cache=True)
def _all_go(
    qi: np.ndarray,
    qv: np.ndarray,
    lst: np.ndarray,
    credit: np.ndarray,
    queue: np.ndarray,
    qdep: np.ndarray,
    qvul: np.ndarray,
    load: np.ndarray,
) -> Any:
    """Free flow on every link: everyone queued goes."""
    for a in lst:
        credit[a] -= load[a]
    out, o_dep, o_vul = qv.copy(), np.empty(len(qi)), np.empty(len(qi))
    for i in range(len(qi)):
        e = qi[i]
        o_dep[i], o_vul[i] = qdep[e], qvul[e]
        queue[e], qdep[e], qvul[e] = 0, 0.0, 0.0
    return out, o_dep, o_vul


@njit(cache=True)
def _tightest(
    qi: np.ndarray,
    qv: np.ndarray,
    t: int,
    lst: np.ndarray,
    jams: Any,
    arcs: np.ndarray,
    ptr: np.ndarray,
    nar: np.ndarray,
    use: np.ndarray,
    queue: np.ndarray,
    qdep: np.ndarray,
    qvul: np.ndarray,
    load: np.ndarray,
    used: np.ndarray,
    frac: np.ndarray,
) -> Any:
    """Some link is full: each link lets through the share of its load its credit allows, a segment moves as
    its tightest link allows (whole people, rounded down); the rest stays queued and the link counts as jammed.
    ``jams``: (credit, and the jam books of `LINK_ARRAYS`)."""
    credit, jam_steps, jam_first, jam_last, max_queue = jams
    for a in lst:
        frac[a] = min(1.0, credit[a] / load[a])
    out, o_dep, o_vul = np.empty(len(qi), np.int64), np.empty(len(qi)), np.empty(len(qi))
    for i in range(len(qi)):
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
    for a in lst:
        credit[a] -= used[a]
        left = load[a] - used[a]
        if left > 1e-9:
            if jam_last[a] != t:
                jam_steps[a] += 1
                if jam_first[a] < 0:
                    jam_first[a] = t
            jam_last[a] = t
            max_queue[a] = max(max_queue[a], left)
    return out, o_dep, o_vul


@njit(cache=True)
def _onto_links(
    qi: np.ndarray,
    t: int,
    out: np.ndarray,
    o_dep: np.ndarray,
    o_vul: np.ndarray,
    nxt: np.ndarray,
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
    on_ring: np.ndarray,
) -> Any:
    """People through a link's entry: into its travel ring, the fraction one step slower with remainders
    carried over; through a link shorter than the rest of the step, on to the next element's queue now."""
    now_e, now_n, now_d, now_v = (
        np.empty(len(qi), np.int64),
        np.empty(len(qi), np.int64),
        np.empty(len(qi)),
        np.empty(len(qi)),
    )
    c = 0
    for i in range(len(qi)):
        if out[i] <= 0:
            continue
        e = qi[i]
        owed = out[i] * f[e] + carry[e]
        late = np.int64(math.floor(owed + 1e-9))
        carry[e] = owed - late
        lf = late / out[i]
        mask = size[e] - 1  # sizes are powers of 2: x % size is x & mask
        ph = t & mask
        s2 = off[e] + ((ph + k[e] + 1) & mask)
        ring_n[s2] += late
        on_ring[e] += late
        ring_dep[s2] += o_dep[i] * lf
        ring_vul[s2] += o_vul[i] * lf
        early, e_dep, e_vul = out[i] - late, o_dep[i] * (1 - lf), o_vul[i] * (1 - lf)
        if k[e] > 0:
            s1 = off[e] + ((ph + k[e]) & mask)
            ring_n[s1] += early
            on_ring[e] += early
            ring_dep[s1] += e_dep
            ring_vul[s1] += e_vul
        elif early > 0:
            now_e[c], now_n[c], now_d[c], now_v[c] = e, early, e_dep, e_vul
            c += 1
    nx, n_mv, end = np.empty(c, np.int64), 0, np.zeros(c, np.bool_)
    for i in range(c):  # several elements may lead into the same next one
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
    return np.unique(nx[:n_mv]), now_e[ends], now_n[ends], now_d[ends], now_v[ends]


@njit(cache=True)
def leave(
    day: int, streams: np.ndarray, modes: np.ndarray, people: np.ndarray, n_o: int, origins: Any, books: Any
) -> np.ndarray:
    """People leave now: departures by mode; for rows from an origin (stream < n_o), who has left it, by order
    (or none), and its vulnerable people (the origin's share). ``origins``: (order, vulnerable share) per
    origin; ``books``: (released per origin, left per order and day, left without an order per day, departures
    per mode and day). Returns the vulnerable people per row (0 for rows leaving a site: the caller's)."""
    origin_order, vulnerable_share = origins
    released, left_order, left_unordered, dep_mode_day = books
    vul = np.zeros(len(people))
    for i in range(len(people)):
        dep_mode_day[modes[i], day] += people[i]
        s = streams[i]
        if s >= n_o:
            continue
        released[s] += people[i]
        k = origin_order[s]
        if k >= 0:
            left_order[k, day] += people[i]
        else:
            left_unordered[day] += people[i]
        vul[i] = people[i] * vulnerable_share[s]
    return vul


@njit(cache=True)
def enter(
    elems: np.ndarray, modes: np.ndarray, people: np.ndarray, dep: np.ndarray, vul: np.ndarray, els: Any, ff: Any
) -> int:
    """People join the queue of their first element (rows with an element >= 0); their free-flow seconds to the
    site add to ``ff`` = (free-flow seconds per element, the sum per mode). Returns how many joined."""
    queue, qdep, qvul = els[10], els[11], els[12]
    ff_s, ff_sum = ff
    total = 0
    for i in range(len(elems)):
        e = elems[i]
        if e < 0:
            continue
        queue[e] += people[i]
        qdep[e] += dep[i]
        qvul[e] += vul[i]
        total += people[i]
        ff_sum[modes[i]] += people[i] * ff_s[e]
    return total


@njit(cache=True)
def leave_and_enter(
    day: int,
    t: int,
    streams: np.ndarray,
    modes: np.ndarray,
    people: np.ndarray,
    elems: np.ndarray,
    n_o: int,
    *rest: Any,
) -> int:
    """`leave` then `enter` (departure-step sums ``people * t``) when every row leaves an origin onto a route
    element: the common release in one call. ``rest``: (origins, books) of `leave`, then (els, ff) of `enter`.
    Returns how many joined the road, or -1 (nothing changed) when some row leaves a site or has no element."""
    origins, books, els, ff = rest
    for i in range(len(streams)):
        if streams[i] >= n_o or elems[i] < 0:
            return -1
    vul = leave(day, streams, modes, people, n_o, origins, books)
    dep = np.empty(len(people))
    for i in range(len(people)):
        dep[i] = people[i] * float(t)
    return enter(elems, modes, people, dep, vul, els, ff)
