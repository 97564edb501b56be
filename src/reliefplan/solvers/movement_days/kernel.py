"""The per-step kernel of the hourly movement, compiled with numba: people reaching the end of a link
(`land`), and every link letting through its capacity (`discharge`).

Both do, element by element and link by link in the same order, the arithmetic of the array version they
replaced (kept as the reference in tests/movement_reference.py): sums accumulate in the same order, so results
are identical bit for bit. The route elements' arrays (`routes.Elements`) and the links' credit and jam books
are passed in as tuples (`element_arrays`, `link_arrays`) and updated in place; people who reach the end of
their way come back as arrays (element, people, sum of departure steps, vulnerable people) for the arrivals.
Compiled on first use and cached on disk (numba ``cache=True``).

A step touches only the elements with people: one bit per element marks those with people on their travel ring
(`rbits`) and those that may have people queued (`qbits`), read word by word in element order. A step allocates
next to nothing: each numba array made costs an allocation, a free and atomic reference counts, and a member's
two runs once made 1.7 million of them; the passes write into work rows made with the elements
(`routes.Elements.work_i`, `work_f`) and into work arrays over links made with the run.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit
from numba.cpython.unsafe.numbers import trailing_zeros

#: the route elements' arrays, in the order the kernels unpack them (see routes.Elements)
ELEMENT_ARRAYS = ("arcs", "ptr", "nar", "next", "use", "k", "f", "carry", "size", "off", "queue", "qdep", "qvul")
RING_ARRAYS = ("ring_n", "ring_dep", "ring_vul")
#: people on each element's travel ring, the elements with people on it and with people queued (one bit each), the
#: work rows
COUNT_ARRAYS = ("on_ring", "rbits", "qbits", "work_i", "work_f")
#: the links' arrays (see simulation._Sim): capacity per step, credit and when it was topped up, jam books, and
#: `discharge`'s work arrays (load, used, share let through, touched, the list of those touched)
LINK_ARRAYS: tuple[str, ...] = ("cap_step", "credit", "credit_t", "jam_steps", "jam_first", "jam_last", "max_queue")
LINK_ARRAYS += ("w_load", "w_used", "w_frac", "w_touched", "w_links")
_ONE = np.uint64(1)


def element_arrays(el: Any) -> tuple[np.ndarray, ...]:
    return tuple(getattr(el, a) for a in ELEMENT_ARRAYS + RING_ARRAYS + COUNT_ARRAYS)


@njit(cache=True)
def _lowest(bits: np.uint64) -> int:
    """The index of the lowest bit set in ``bits`` (not 0)."""
    return int(trailing_zeros(bits))  # type: ignore[call-arg]  # a numba intrinsic


@njit(cache=True)
def _mark(bits: np.ndarray, e: int) -> None:
    """Element ``e``'s bit set (`routes.Elements.rbits`, `qbits`)."""
    bits[e >> 6] |= _ONE << np.uint64(e & 63)


@njit(cache=True)
def _clear(bits: np.ndarray, e: int) -> None:
    """Element ``e``'s bit cleared."""
    bits[e >> 6] &= ~(_ONE << np.uint64(e & 63))


@njit(cache=True)
def _marked(bits: np.ndarray, n_el: int, out: np.ndarray) -> int:
    """The elements whose bit is set, in element order, written to ``out``; how many."""
    c = 0
    for w in range((n_el + 63) >> 6):
        b = bits[w]
        while b:
            out[c] = (w << 6) + _lowest(b)
            c += 1
            b &= b - _ONE
    return c


@njit(cache=True)
def land(t: int, n_el: int, els: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """People at the end of a link this step go onto the next element's queue; those at the end of their way
    come back (elements, people, departure-step sums, vulnerable people: views of work rows that the next call
    overwrites). Only the elements with people on their ring are looked at (`routes.Elements.rbits`), in element
    order."""
    _, _, _, nxt, _, _, _, _, size, off, queue, qdep, qvul, ring_n, ring_dep, ring_vul, on_ring, rbits, qbits = els[:19]
    te, tn, td, tv = els[19][6], els[19][7], els[20][4], els[20][5]  # work rows: the caller copies what it keeps
    on = els[19][5]  # a work row `queued` fills after
    c = 0
    for i in range(_marked(rbits, n_el, on)):
        e = on[i]
        s = off[e] + (t & (size[e] - 1))  # t % size: sizes are powers of 2
        n = ring_n[s]
        if n == 0:
            continue
        d, v = ring_dep[s], ring_vul[s]
        ring_n[s], ring_dep[s], ring_vul[s] = 0, 0.0, 0.0
        on_ring[e] -= n
        if on_ring[e] == 0:
            _clear(rbits, e)
        x = nxt[e]
        if x >= 0:
            queue[x] += n
            qdep[x] += d
            qvul[x] += v
            _mark(qbits, x)
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
    return discharge_after(queued(n_el, els), t, max_use, links, els, a)


@njit(cache=True)
def queued(n_el: int, els: Any) -> np.ndarray:
    """The elements with people queued, in order (found through `routes.Elements.qbits`; those emptied since are
    unmarked): a view of a work row."""
    queue, qbits = els[10], els[18]
    qi = els[19][5]
    c = 0
    for i in range(_marked(qbits, n_el, qi)):
        e = qi[i]
        if queue[e] != 0:
            qi[c] = e
            c += 1
        else:
            _clear(qbits, e)
    return qi[:c]


@njit(cache=True)
def discharge_queued(
    t: int, n_el: int, max_use: float, links: Any, els: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """`discharge` from every element with people queued (`queued`)."""
    return discharge(queued(n_el, els), t, max_use, links, els)


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
    """`discharge_after` with no one before."""
    none_i, none_f = np.zeros(0, np.int64), np.zeros(0)
    return discharge_after(qi, t, max_use, links, els, (none_i, none_i, none_f, none_f))


@njit(cache=True)
def discharge_after(
    qi: np.ndarray, t: int, max_use: float, links: Any, els: Any, first: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Passes along chains of short links (at most 256) from the queued elements ``qi``; returns
    the people who reached the end of their way within the step (as `land`), after those of ``first`` (their
    elements, people, departure-step sums and vulnerable people: e.g. those `land` brought to the end).

    The arrays each pass needs are taken out of ``links`` and ``els`` once, here, and handed on one by one: a
    tuple argument is copied and its every array counted (an atomic reference count) at each call."""
    cap_step, credit, credit_t, jam_steps, jam_first, jam_last, max_queue, load, used, frac, touched, lst = links
    arcs, ptr, nar, nxt, use, k, f, carry, size, off, queue, qdep, qvul, ring_n, ring_dep, ring_vul, on_ring = els[:17]
    rbits, qbits = els[17], els[18]
    # each pass's arrays, written in place (`routes.Elements.work_i`, `work_f`; a pass has at most one row per
    # element); the next pass's segments alternate between two rows (a pass reads one while it writes the other)
    wi, wf = els[19], els[20]
    ping, pong, qv, now_e, now_n = wi[0], wi[1], wi[2], wi[3], wi[4]
    o_dep, o_vul, now_d, now_v = wf[0], wf[1], wf[2], wf[3]
    c = len(first[0])
    cap = max(16, 2 * c)
    te, tn, td, tv = np.empty(cap, np.int64), np.empty(cap, np.int64), np.empty(cap), np.empty(cap)
    for i in range(c):
        te[i], tn[i], td[i], tv[i] = first[0][i], first[1][i], first[2][i], first[3][i]
    for p in range(256):
        n_q = len(qi)
        if n_q == 0:
            break
        # one pass: every link takes each segment's people from this step's credit; a segment moves as its tightest
        # link allows, onto its ring or, through links shorter than the rest of the step, on to the next queue
        n_touch, free = _load(
            qi, t, max_use, cap_step, credit, credit_t, arcs, ptr, nar, queue, use, load, touched, lst, qv
        )
        if free:
            _all_go(qi, lst[:n_touch], credit, queue, qdep, qvul, load, o_dep, o_vul)
        else:
            _tightest(qi, qv, t, lst[:n_touch], links, els, (o_dep, o_vul))  # rare: the tuples are unpacked there
        for j in range(n_touch):
            a = lst[j]
            load[a], used[a], frac[a], touched[a] = 0.0, 0.0, 1.0, False
        next_qi = ping if p % 2 == 0 else pong
        n_next, n_end = _onto_links(
            qi,
            t,
            qv,
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
            rbits,
            qbits,
            (now_e, now_n, now_d, now_v, next_qi),
        )
        qi = next_qi[:n_next]
        if c + n_end > cap:
            cap = max(2 * cap, c + n_end)
            te, tn, td, tv = _grow(te, cap), _grow(tn, cap), _grow(td, cap), _grow(tv, cap)
        for i in range(n_end):
            te[c], tn[c], td[c], tv[c] = now_e[i], now_n[i], now_d[i], now_v[i]
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
    qv: np.ndarray,
) -> Any:
    """Every link of every segment takes the segment's people from its capacity: the load per link, this
    step's credit (plus at most one person's rounding owed), and whether every link has room for its load.
    ``load``, ``touched``, ``lst``: zeroed work arrays over links, and the list of the links touched; ``qv``:
    written with the people queued on each segment. Returns (links touched, whether all have room)."""
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
    return n_touch, free


@njit(cache=True)
def _all_go(
    qi: np.ndarray,
    lst: np.ndarray,
    credit: np.ndarray,
    queue: np.ndarray,
    qdep: np.ndarray,
    qvul: np.ndarray,
    load: np.ndarray,
    o_dep: np.ndarray,
    o_vul: np.ndarray,
) -> None:
    """Free flow on every link: everyone queued goes (the people, as `_load` wrote them; their departure-step
    sums and vulnerable people written to ``o_dep``, ``o_vul``)."""
    for a in lst:
        credit[a] -= load[a]
    for i in range(len(qi)):
        e = qi[i]
        o_dep[i], o_vul[i] = qdep[e], qvul[e]
        queue[e], qdep[e], qvul[e] = 0, 0.0, 0.0


@njit(cache=True)
def _tightest(qi: np.ndarray, qv: np.ndarray, t: int, lst: np.ndarray, links: Any, els: Any, moved: Any) -> None:
    """Some link is full: each link lets through the share of its load its credit allows, a segment moves as
    its tightest link allows (whole people, rounded down); the rest stays queued and the link counts as jammed
    (the jam books of `LINK_ARRAYS`). ``lst``: the links touched. The people moving overwrite ``qv`` (queued
    people), their departure-step sums and vulnerable people go to ``moved`` = (o_dep, o_vul)."""
    _, credit, _, jam_steps, jam_first, jam_last, max_queue, load, used, frac = links[:10]
    arcs, ptr, nar, use, queue, qdep, qvul = els[0], els[1], els[2], els[4], els[10], els[11], els[12]
    o_dep, o_vul = moved
    out = qv
    for a in lst:
        frac[a] = min(1.0, credit[a] / load[a])
    for i in range(len(qi)):
        e = qi[i]
        fq = np.inf
        for p in range(ptr[e], ptr[e] + nar[e]):
            fq = min(fq, frac[arcs[p]])
        q = qv[i]
        o = q if fq >= 1.0 else np.int64(math.floor(q * fq + 1e-9))
        out[i] = o  # over the queued people (`out` is `qv`)
        share = o / q
        o_dep[i], o_vul[i] = qdep[e] * share, qvul[e] * share
        queue[e] -= o
        qdep[e] -= o_dep[i]
        qvul[e] -= o_vul[i]
        w = o * use[e]
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
    rbits: np.ndarray,
    qbits: np.ndarray,
    into: Any,
) -> Any:
    """People through a link's entry: into its travel ring, the fraction one step slower with remainders
    carried over; through a link shorter than the rest of the step, on to the next element's queue now. The
    elements given people on their ring or queue are marked (`rbits`, `qbits`). ``into`` = (elements, people,
    departure-step sums, vulnerable people, next segments): written with the people at the end of their way and
    the next pass's segments (in element order, once each). Returns how many of each (next, at the end)."""
    now_e, now_n, now_d, now_v, nx = into
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
        if on_ring[e] > 0:
            _mark(rbits, e)
    n_mv, n_end = 0, 0
    for i in range(c):  # several elements may lead into the same next one; those at their way's end kept in order
        x = nxt[now_e[i]]
        if x >= 0:
            queue[x] += now_n[i]
            qdep[x] += now_d[i]
            qvul[x] += now_v[i]
            _mark(qbits, x)
            nx[n_mv] = x
            n_mv += 1
        else:
            now_e[n_end], now_n[n_end], now_d[n_end], now_v[n_end] = now_e[i], now_n[i], now_d[i], now_v[i]
            n_end += 1
    if n_mv > 1:  # the next segments in element order, once each (as numpy's unique)
        nx[:n_mv].sort()
        u = 1
        for i in range(1, n_mv):
            if nx[i] != nx[u - 1]:
                nx[u] = nx[i]
                u += 1
        n_mv = u
    return n_mv, n_end


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
    queue, qdep, qvul, qbits = els[10], els[11], els[12], els[18]
    ff_s, ff_sum = ff
    total = 0
    for i in range(len(elems)):
        e = elems[i]
        if e < 0:
            continue
        queue[e] += people[i]
        qdep[e] += dep[i]
        qvul[e] += vul[i]
        _mark(qbits, e)
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
