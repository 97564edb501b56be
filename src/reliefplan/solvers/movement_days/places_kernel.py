"""Arrivals taking their places, compiled with numba: whether every site has room for its arrivals
(`arrive_if_all_fit`), the places each batch takes when some site is short (`take`, largest remainder:
`largest_remainder_capped`), the books of arrivals (`arrive`), and the split of a day's planned departures over
their sites (`split_quota`). As in `kernel`, each does the arithmetic of the array version it replaced in the same
order, so results are identical bit for bit. Self-contained (it calls nothing in another file): numba checks only
a function's own file for changes when it loads a cached compilation (see `stepping._KERNEL_STAMP`)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit


@njit(cache=True)
def arrive(
    j: np.ndarray,
    mo: np.ndarray,
    d: np.ndarray,
    n: np.ndarray,
    take: np.ndarray,
    dep: np.ndarray,
    vul: np.ndarray,
    part: np.ndarray,
    planned: bool,
    when: Any,
    books: Any,
) -> np.ndarray:
    """Arrivals take ``take`` of their ``n`` places (``part`` = take / n of their departure steps and vulnerable
    people go with them): occupancy, arrivals by site, hour and mode, trip ends (trips, their steps, who walked
    longer than the limit). Places held for planned arrivals are released, taken or not. ``when``: (step, day,
    hour, the walking limit in steps, which modes are on foot). Returns which rows walked too long (their
    vulnerable people are summed by the caller)."""
    t, day, hour, h_steps, on_foot = when
    occ, occ_vul, held, arr_site_day, arr_site_hour, arr_mode_day, trips, trip_steps, over = books
    if planned:
        for i in range(len(j)):
            if d[i]:
                held[j[i]] -= n[i]
    steps = np.zeros(len(trip_steps))
    long = np.zeros(len(j), np.bool_)
    for i in range(len(j)):
        na = take[i]
        if na <= 0:
            continue
        s, m = j[i], mo[i]
        occ[s] += na
        occ_vul[s] += vul[i] * part[i]
        arr_site_day[s, day] += na
        arr_site_hour[s, hour] += na
        arr_mode_day[m, day] += na
        dp = dep[i] * part[i]
        trips[m] += na
        steps[m] += na * t - dp
        if t - dp / max(na, 1) > h_steps and on_foot[m]:
            over[m] += na
            long[i] = True
    for m in range(len(trip_steps)):
        trip_steps[m] += steps[m]
    return long


@njit(cache=True)
def arrive_if_all_fit(
    j: np.ndarray,
    mo: np.ndarray,
    d: np.ndarray,
    n: np.ndarray,
    dep: np.ndarray,
    vul: np.ndarray,
    sites: Any,
    when: Any,
    books: Any,
) -> tuple[bool, np.ndarray]:
    """`arrive` with every batch taking its places, when every site has room for all its arrivals (planned
    people within its free places, undirected ones within those not held): the common step in one call.
    ``sites``: (closed, capacity) per site. Returns (whether they all fit and arrived, which rows walked too
    long); nothing changes when they do not all fit."""
    closed, capacity = sites
    occ, held = books[0], books[2]
    n_s = len(occ)
    planned, dir_tot, und_tot = _arrivals_by_site(j, d, n, n_s)
    for i in range(len(j)):
        x = j[i]
        if _short(planned, dir_tot[x], und_tot[x], closed[x], capacity[x], occ[x], held[x]):
            return False, np.zeros(0, np.bool_)
    ones = np.ones(len(n))
    return True, arrive(j, mo, d, n, n, dep, vul, ones, planned, when, books)


@njit(cache=True)
def largest_remainder_capped(exact: np.ndarray, total: int, cap: np.ndarray) -> np.ndarray:
    """`_rounding.largest_remainder` with a cap, step for step (a stable sort of the same keys): whole numbers
    close to ``exact`` summing to ``total``, none above ``cap``."""
    base = np.minimum(np.floor(exact).astype(np.int64), cap)
    short = total - base.sum()
    if short > 0:
        key = np.empty(len(exact))
        for i in range(len(exact)):
            key[i] = -(exact[i] - base[i]) if base[i] < cap[i] else np.inf
        order = np.argsort(key, kind="mergesort")
        for i in range(short):
            base[order[i]] += 1
    return base


@njit(cache=True)
def take(j: np.ndarray, d: np.ndarray, n: np.ndarray, sites: Any, held: np.ndarray, occ: np.ndarray) -> Any:
    """Places each arriving batch takes when some site cannot take all its arrivals: planned people first, into
    their held places; undirected people into what is not held; in proportion (largest remainder) when a site
    is short. ``sites``: (closed, capacity). Returns (places taken per row, the share of each row taking one)."""
    closed, capacity = sites
    n_s = len(occ)
    planned, dir_tot, und_tot = _arrivals_by_site(j, d, n, n_s)
    short = np.zeros(n_s, np.bool_)
    for s in range(n_s):
        short[s] = _short(planned, dir_tot[s], und_tot[s], closed[s], capacity[s], occ[s], held[s])
    out = np.empty(len(n), np.int64)
    for i in range(len(n)):
        out[i] = 0 if short[j[i]] else n[i]
    for s in range(n_s):  # ascending, as the sites short of places were visited before
        if not short[s]:
            continue
        room = _free(closed[s], capacity[s], occ[s])
        held_s = held[s]
        for p in range(2):
            directed_pass = p == 0
            if directed_pass and not planned:
                continue
            rows = np.flatnonzero((j == s) & (d == directed_pass))
            if len(rows) == 0:
                continue
            want = n[rows]
            w = want.sum()
            cap = room if directed_pass else max(0, room - held_s)
            got = want if w <= cap else largest_remainder_capped(want * (cap / w), cap, want)
            out[rows] = got
            room -= got.sum()
            if directed_pass:
                held_s -= w  # a planned place that is not there any more is no longer held
    part = np.empty(len(n))
    for i in range(len(n)):
        part[i] = out[i] / max(n[i], 1)
    return out, part


@njit(cache=True, inline="always")  # called per arrival row
def _short(planned: bool, dir_n: int, und_n: int, closed: bool, capacity: int, occ: int, held: int) -> bool:
    """Whether a site cannot take all its arrivals (``dir_n`` planned, ``und_n`` others): the planned ones within
    its free places, the others within those not held. Scalars only: an array argument costs two atomic reference
    counts per call, and this is called for every arrival."""
    free = _free(closed, capacity, occ)
    return bool((planned and dir_n > free) or und_n > max(0, free - held))


@njit(cache=True, inline="always")
def _free(closed: bool, capacity: int, occ: int) -> int:
    """A site's places not taken (none when it is closed)."""
    return 0 if closed else capacity - occ


@njit(cache=True)
def _arrivals_by_site(j: np.ndarray, d: np.ndarray, n: np.ndarray, n_s: int) -> Any:
    """Whether some arrivals follow the plan, and the arrivals per site: planned (when some do) and the others."""
    planned = False
    for i in range(len(d)):
        if d[i]:
            planned = True
            break
    dir_tot, und_tot = np.zeros(n_s, np.int64), np.zeros(n_s, np.int64)
    for i in range(len(j)):
        if planned and d[i]:
            dir_tot[j[i]] += n[i]
        else:
            und_tot[j[i]] += n[i]
    return planned, dir_tot, und_tot


@njit(cache=True)
def split_quota(streams: np.ndarray, people: np.ndarray, quota: np.ndarray, n_o: int) -> Any:
    """Each release row's people (``streams``: origin, or n_o + site) split into parts: first the planned ones,
    over the sites still planned for their origin (``quota``, updated; largest remainder), then the rest
    undirected (site -1). Rows in order, as the day's events list them. Returns (site, people) per part and the
    parts per row."""
    cap = len(people) * (quota.shape[1] + 1) if quota.shape[0] else len(people)
    j, n, parts = np.empty(cap, np.int64), np.empty(cap, np.int64), np.zeros(len(people), np.int64)
    c = 0
    for r in range(len(people)):
        s, left = streams[r], people[r]
        if s < n_o and quota[s].any():
            q = quota[s]
            give = min(left, q.sum())
            alloc = largest_remainder_capped(q * (give / q.sum()), give, q)
            q -= alloc
            for jj in range(len(alloc)):
                if alloc[jj]:
                    j[c], n[c] = jj, alloc[jj]
                    c += 1
                    parts[r] += 1
            left -= give
        if left:
            j[c], n[c] = -1, left
            c += 1
            parts[r] += 1
    return j[:c].copy(), n[:c].copy(), parts
