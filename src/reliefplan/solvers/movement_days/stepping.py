"""The hourly run's ordinary steps in one compiled call (`advance`): from step ``t`` to the end of the day, every
step runs here, with the same kernel calls in the same order as `simulation._Sim` makes them one step at a time,
so results are identical bit for bit: departures, their targets and routes (`route_kernel`), departure windows
ending, arrivals in up to three rounds, people turned away from a full site moving on. `advance` stops, with
nothing of that step done, at a step that needs Python: a departure from a site (re-displacement) or with
nowhere to go, or a route the element arrays have no room for (Python grows them); and, with the step's moves
done, at arrivals Python must make (a route without room, long walks beyond the buffers, people left over after
three rounds)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
from numba import njit

from . import kernel, places_kernel, route_kernel
from .kernel import (
    discharge,
    discharge_after,
    due,
    enter,
    land,
    land_and_discharge,
    leave_and_enter,
    queued,
)
from .places_kernel import arrive, arrive_if_all_fit, take
from .route_kernel import has_room, make_route, refresh_targets

#: what `advance` stopped at
#: (ARRIVALS_IN_PYTHON + r: the step's moves are done, its arrivals from round r of 3 on are not; + 3: some are
#: left over after the three rounds, for the next step; a departure window ending is handled here)
DAY_DONE, STEP_IN_PYTHON, ARRIVALS_IN_PYTHON = 0, 1, 2


@njit(cache=True)
def _note_long(long: np.ndarray, tv: np.ndarray, long_vul: np.ndarray, long_steps: np.ndarray, n_long: Any) -> None:
    """The vulnerable people of the rows that walked too long, kept for the caller to sum step by step as
    `_Sim._all_arrive` sums them (numpy's order)."""
    c = 0
    for i in range(len(long)):
        if long[i]:
            long_vul[n_long[0] + c] = tv[i]
            c += 1
    if c:
        long_steps[n_long[1]] = c
        n_long[0] += c
        n_long[1] += 1


@njit(cache=True)
def _wait(
    t: int, j: Any, mo: Any, n: Any, dep: Any, vul: Any, when: Any, state: Any, books_a: Any, without: Any
) -> None:
    """People turned away with nowhere to go wait near the site without a place: their trips end
    (`_Sim._trip_ends`, sums by mode in row order as numpy's bincount makes them)."""
    h_steps, on_foot = when[3], when[4]
    trips, trip_steps, over = books_a[6], books_a[7], books_a[8]
    n_m = len(trips)
    steps, over_n = np.zeros(n_m), np.zeros(n_m)
    long = np.zeros(len(n), np.bool_)
    for i in range(len(n)):
        trips[mo[i]] += n[i]
        steps[mo[i]] += n[i] * t - dep[i]
        long[i] = t - dep[i] / max(n[i], 1) > h_steps and on_foot[mo[i]]
        if long[i]:
            over_n[mo[i]] += n[i]
    for m in range(n_m):
        trip_steps[m] += steps[m]
        over[m] += np.int64(over_n[m])
    _note_long(long, vul, state[1], state[2], state[3])
    at, at_vul = without
    for i in range(len(n)):
        at[j[i]] += n[i]
        at_vul[j[i]] += vul[i]


@njit(cache=True)
def _next_round(here: Any, reached: Any, el_site: Any, el_mode: Any, el_dir: Any) -> Any:
    """The next round of arrivals: people whose new site is at their node (site, mode, people, departure-step
    sums, vulnerable people), then those who reached the end of elements within the step."""
    at_site, at_mode, at_n, at_dep, at_vul = here
    te, tn, td, tv = reached
    return (
        np.concatenate((at_site, el_site[te])),
        np.concatenate((at_mode, el_mode[te])),
        np.concatenate((np.zeros(len(at_site), np.bool_), el_dir[te])),
        np.concatenate((at_n, tn)),
        np.concatenate((at_dep, td)),
        np.concatenate((at_vul, tv)),
    )


def _kernel_stamp() -> str:
    """A hash of the kernels' sources (kernel.py, places_kernel.py, route_kernel.py; empty when unreadable)."""
    try:
        sources = b"".join(Path(str(m.__file__)).read_bytes() for m in (kernel, places_kernel, route_kernel))
        return hashlib.sha256(sources).hexdigest()[:16]
    except OSError:
        return ""


#: the kernels' source hash: numba caches a function together with the compiled code of the kernel functions it
#: calls, but checks only its own file for changes; as a closure variable of each function here that calls a
#: kernel (`advance`, `_arrive`, `_short_round`, `_release_ready`, `_all_fit`) it is part of their cache key (a
#: stale cache crashed once)
_KERNEL_STAMP = _kernel_stamp()


def _compile_release_ready(kernel_stamp: str) -> Any:
    """`_release_ready` compiled, its cache keyed on the kernel sources too (see `_KERNEL_STAMP`)."""

    def _release_ready_(li: np.ndarray, ev: Any, n_o: int, tgt: Any, sites: Any, occ: Any, held: Any, mk: Any) -> bool:
        """Whether the departures ``li`` all leave an origin for a destination with a route: a new destination takes
        its route here, made if need be (`route_kernel.make_route`), as `_Sim._release` would; else Python.
        ``mk``: (the road arrays, the element arrays) of `make_route`."""
        _stamp = len(kernel_stamp)  # the kernels' sources in the cache key (see `_KERNEL_STAMP`)
        _, _, s, m, j, node, tg_ev, e = ev
        of_node, _, _, route_of, n_m, _ = tgt
        n_s = len(occ)
        checked = False
        for c in range(len(li)):
            i = li[c]
            if s[i] >= n_o:
                return False
            tg = j[i]
            if tg < 0:  # undirected: the nearest site with room, as `_Sim._targets` computes it
                if not checked:
                    refresh_targets(tgt, sites[0], sites[1], occ, held, mk[0])
                    checked = True
                tg = of_node[node[i]]
            if tg != tg_ev[i]:
                if tg < 0 or len(route_of) == 0:
                    return False
                r = route_of[((node[i] * n_s + tg) * n_m + m[i]) * 2 + (j[i] >= 0)]
                if r < 0:
                    r = make_route(node[i], tg, m[i], j[i] >= 0, mk[0], mk[1], route_of, n_s, n_m)
                if r < 0:
                    return False
                tg_ev[i], e[i] = tg, r
            if e[i] < 0:
                return False
        return True

    return njit(cache=True)(_release_ready_)


def _compile_all_fit(kernel_stamp: str) -> Any:
    """`_all_fit` compiled, its cache keyed on the kernel sources too (see `_KERNEL_STAMP`)."""

    def _all_fit_(
        j: Any, mo: Any, d: Any, tn: Any, td: Any, tv: Any, when: Any, sites: Any, books: Any, long: Any
    ) -> int:
        """A round of arrivals (sites ``j``, modes, planned, people, departure-step sums, vulnerable people) when
        every one takes its place (`places_kernel.arrive_if_all_fit`), its long walks noted: 1; 0 (nothing changed)
        when some site is short; -1 when the long-walk buffers have no room. Only the arrays a round needs are
        passed: a tuple argument costs a copy and a count of each of its arrays per call."""
        _stamp = len(kernel_stamp)  # the kernels' sources in the cache key (see `_KERNEL_STAMP`)
        long_vul, long_steps, n_long = long
        if n_long[0] + 2 * len(tn) > len(long_vul) or n_long[1] + 2 > len(long_steps):
            return -1
        ok, lw = arrive_if_all_fit(j, mo, d, tn, td, tv, sites, when, books)
        if ok:
            _note_long(lw, tv, long_vul, long_steps, n_long)
        return 1 if ok else 0

    return njit(cache=True)(_all_fit_)


def _compile_advance(kernel_stamp: str) -> Any:
    """`advance` compiled, its cache keyed on the kernel source too (see `_KERNEL_STAMP`)."""

    def advance_(t: int, t_stop: int, day: int, ev: Any, state: Any, net: Any, books: Any, params: Any) -> Any:
        """Steps ``t``, ``t + 1``, ... until ``t_stop`` (the day's end or the horizon) or a step that needs Python.

        ``ev``: the day's release events (t0, n, stream, mode, site, node, target, element); ``state``: (people on
        the road [1], long walks' vulnerable people [buffer] and per step [counts], their lengths [2]); ``net``: (the
        elements' arrays, their site, mode and directed flags, the links' arrays, the targets `_Sim._targets` holds
        (per node, sites with room, closed) with the first element of each route made (`_Sim._route_of`) and the
        number of modes); ``books``: (origins and books of `kernel.leave`, `kernel.enter`'s ff,
        sites (closed, capacity) and the books of `places_kernel.arrive`); ``params``: (window steps, steps per day and per
        hour, horizon steps, hours, origins, largest road use, walking limit in steps, modes on foot).
        Returns (the step reached, why it stopped, at ARRIVALS_IN_PYTHON the step's arrivals (site, mode, planned,
        people, departure-step sums, vulnerable people), and the events, those whose window is over dropped)."""
        _stamp = len(kernel_stamp)  # the kernel's source in the cache key (see `_KERNEL_STAMP`)
        t0, n = ev[0], ev[1]
        en_route = state[0]
        els, links, tgt = net[0], net[4], net[5]
        el_site, el_mode, el_dir = net[1], net[2], net[3]
        origins, leave_books, ff, sites, arrival_books = books[:5]
        long_books = (state[1], state[2], state[3])
        w, spd, sph, T, hours, n_o, max_use, h_steps, on_foot = params
        counts = net[7][1][-1]  # elements made so far (routes are made within the call too)
        none_i, none_f = np.zeros(0, np.int64), np.zeros(0)
        nothing = (none_i, none_i, np.zeros(0, np.bool_), none_i, none_f, none_f)
        while t < t_stop:
            if len(t0):
                li, amount, ended = due(t, w, t0, n)
            else:
                li, amount, ended = none_i, none_i, False
            if len(li):
                if not _release_ready(li, ev, n_o, tgt, sites, arrival_books[0], arrival_books[2], net[7]):
                    return t, STEP_IN_PYTHON, nothing, ev
                a = land(t, counts[0], els)
                s, m, e = ev[2][li], ev[3][li], ev[7][li]
                en_route[0] += leave_and_enter(day, t, s, m, amount, e, n_o, origins, leave_books, els, ff)
                te, tn, td, tv = discharge_after(queued(counts[0], els), t, max_use, links, els, a)
            else:
                te, tn, td, tv = land_and_discharge(t, counts[0], max_use, links, els)
            en_route[0] -= tn.sum()
            if ended:  # the events whose window is over are dropped (as `_Sim._step` drops them)
                keep = t - t0 < w - 1
                ev = (
                    ev[0][keep],
                    ev[1][keep],
                    ev[2][keep],
                    ev[3][keep],
                    ev[4][keep],
                    ev[5][keep],
                    ev[6][keep],
                    ev[7][keep],
                )
                t0, n = ev[0], ev[1]
            if len(te):
                when = (t, day, min(t // sph, hours - 1), h_steps, on_foot)
                j, mo, d = el_site[te], el_mode[te], el_dir[te]
                fit = _all_fit(j, mo, d, tn, td, tv, when, sites, arrival_books, long_books)
                if fit != 1:
                    rnd, rows = _arrive(t, fit, (j, mo, d, tn, td, tv), when, state, net, books, max_use)
                    if rnd >= 0:  # arrivals from round ``rnd`` on (3: left over for the next step) through Python
                        return t, ARRIVALS_IN_PYTHON + rnd, rows, ev
            t += 1
            if en_route[0] == 0 and t < T:  # idle: jump (as `_Sim._end_step`)
                jump = -(-t // spd) * spd
                if len(t0):
                    jump = min(jump, max(t, t0.min()))
                t = max(t, jump)
        return t, DAY_DONE, nothing, ev

    return njit(cache=True, nogil=True)(advance_)


def _compile_arrive(kernel_stamp: str) -> Any:
    """`_arrive` compiled, its cache keyed on the kernel source too (see `_KERNEL_STAMP`)."""

    def arrive_(t: int, fit: int, rows: Any, when: Any, state: Any, net: Any, books: Any, max_use: float) -> Any:
        """The step's arrivals (``rows``: site, mode, planned, people, departure-step sums, vulnerable people) in up
        to three rounds as `_Sim._end_step` makes them, the first round's `_all_fit` being ``fit``: all take a
        place, or some sites are short (`_short_round`: places taken, the rest moving on or waiting). Returns (-1,
        ...) when all is done, else the round Python must make (nothing of it done; 3: people left over for the
        next step) and its arrivals."""
        _stamp = len(kernel_stamp)  # the kernel's source in the cache key (see `_KERNEL_STAMP`)
        long = (state[1], state[2], state[3])
        sites, arrival_books = books[3], books[4]
        for rnd in range(3):
            if rnd:
                if len(rows[3]) == 0:
                    return -1, rows
                fit = _all_fit(*rows, when, sites, arrival_books, long)
            if fit < 0:
                return rnd, rows  # no room to note long walks
            if fit:
                return -1, rows
            done, nxt = _short_round(t, rows, when, state, net, books, max_use)
            if not done:
                return rnd, rows
            rows = nxt
        return (3 if len(rows[3]) else -1), rows

    return njit(cache=True)(arrive_)


def _compile_short_round(kernel_stamp: str) -> Any:
    """`_short_round` compiled, its cache keyed on the kernel source too (see `_KERNEL_STAMP`)."""

    def short_round_(t: int, rows: Any, when: Any, state: Any, net: Any, books: Any, mu: float) -> Any:
        """A round of arrivals some site cannot take all of, as `_Sim._arrivals` makes it (`_take`, `_accept`,
        `_turn_away`): the people turned away go on to the nearest site with room (`route_kernel.refresh_targets`,
        `make_route`) or wait; else (False, ...) with nothing changed (a route Python must make). Returns (done,
        the arrivals of the next round: people whose new site is at their node, then those reaching it within
        the step; ``rows`` and these as (site, mode, planned, people, departure-step sums, vulnerable people))."""
        _stamp = len(kernel_stamp)  # the kernel's source in the cache key (see `_KERNEL_STAMP`)
        j, mo, d, n, dep, vul = rows
        en_route, long_vul, long_steps, n_long = state
        els, links, tgt, site_node = net[0], net[4], net[5], net[6]
        ff, sites, books_a, without = books[2], books[3], books[4], books[5]
        closed, capacity = sites
        occ, held = books_a[0], books_a[2]
        none_i, none_f, none_b = np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.bool_)
        empty = (none_i, none_i, none_b, none_i, none_f, none_f)
        got, part = take(j, d, n, sites, held, occ)
        planned = False
        for i in range(len(d)):
            planned = planned or d[i]
        occ2, held2 = occ.copy(), held.copy()  # as `_accept` leaves them
        for i in range(len(j)):
            occ2[j[i]] += max(got[i], 0)
            if planned and d[i]:
                held2[j[i]] -= n[i]
        rej = np.flatnonzero(got < n)
        of_node, route_of, n_m = tgt[0], tgt[3], tgt[4]
        n_s = len(occ)
        go = np.zeros(len(rej), np.bool_)
        elems = np.full(len(rej), -1, np.int64)
        if len(rej):
            if len(route_of) == 0:
                return False, empty
            refresh_targets(tgt, closed, capacity, occ2, held2, net[7][0])
            for c in range(len(rej)):
                i = rej[c]
                node = site_node[j[i]]
                tg = of_node[node]
                go[c] = tg >= 0 and tg != j[i] and has_room(closed[tg], capacity[tg], occ2[tg], held2[tg])
                if go[c]:
                    elems[c] = route_of[((node * n_s + tg) * n_m + mo[i]) * 2]  # undirected
                    if elems[c] < 0:
                        elems[c] = make_route(node, tg, mo[i], False, net[7][0], net[7][1], route_of, n_s, n_m)
                    if elems[c] == route_kernel.IN_PYTHON:
                        return False, empty
        long = arrive(j, mo, d, n, got, dep, vul, part, planned, when, books_a)
        _note_long(long, vul * part, long_vul, long_steps, n_long)
        if len(rej) == 0:
            return True, empty
        r = 1 - part[rej]
        jr, mr, nr, dr, vr = j[rej], mo[rej], n[rej] - got[rej], dep[rej] * r, vul[rej] * r
        state[0][1] += nr.sum()  # turned away
        stay = np.flatnonzero(~go)
        if len(stay):
            _wait(t, jr[stay], mr[stay], nr[stay], dr[stay], vr[stay], when, state, books_a, without)
        g = np.flatnonzero(go)
        if len(g) == 0:
            return True, empty
        e = elems[g]
        en_route[0] += enter(e, mr[g], nr[g], dr[g], vr[g], els, ff)
        on = np.unique(e[e >= 0])
        qi = on[els[10][on] > 0]
        if len(qi) == 0:
            te, tn, td, tv = none_i, none_i, none_f, none_f
        else:
            te, tn, td, tv = discharge(qi, t, mu, links, els)  # they set off again within the step
            en_route[0] -= tn.sum()
        at = np.flatnonzero(e < 0)  # their new site is at their node: they arrive in the next round, first
        here = (of_node[site_node[jr[g]]][at], mr[g][at], nr[g][at], dr[g][at], vr[g][at])
        return True, _next_round(here, (te, tn, td, tv), net[1], net[2], net[3])

    return njit(cache=True)(short_round_)


_release_ready = _compile_release_ready(_KERNEL_STAMP)
_all_fit = _compile_all_fit(_KERNEL_STAMP)
advance = _compile_advance(_KERNEL_STAMP)
_arrive = _compile_arrive(_KERNEL_STAMP)
_short_round = _compile_short_round(_KERNEL_STAMP)
