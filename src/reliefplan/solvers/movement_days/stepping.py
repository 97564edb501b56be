"""The hourly run's ordinary steps in one compiled call (`advance`): from step ``t`` to the end of the day, every
step whose departures already have their route and whose arrivals all find a place runs here, with the same
kernel calls in the same order as `simulation._Sim` makes them one step at a time, so results are identical
bit for bit. `advance` stops, with nothing of that step done, at the first step that needs Python: a departure
with a new destination or route (or from a site, or with nowhere to go), a departure window ending, the
nearest sites' availability changed since `_Sim._targets` last computed it; and, with the step's moves done, at
arrivals that do not all find a place (the caller then runs its arrivals: `_take`, moving on)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from .kernel import arrive_if_all_fit, discharge_queued, due, land, land_and_discharge, leave_and_enter

#: what `advance` stopped at
DAY_DONE, STEP_IN_PYTHON, ARRIVALS_IN_PYTHON, WINDOWS_ENDED = 0, 1, 2, 3


@njit(cache=True)
def _targets_current(tgt: Any, closed: np.ndarray, capacity: np.ndarray, occ: np.ndarray, held: np.ndarray) -> bool:
    """Whether the sites with room and the closed sites are those `_Sim._targets` last computed targets for."""
    room_then, closed_then = tgt[1], tgt[2]
    if len(room_then) != len(occ):
        return False
    for s in range(len(occ)):
        room = (not closed[s]) and capacity[s] - occ[s] - held[s] > 0
        if room != room_then[s] or closed[s] != closed_then[s]:
            return False
    return True


@njit(cache=True)
def _release_ready(li: np.ndarray, ev: Any, n_o: int, tgt: Any, sites: Any, occ: Any, held: Any) -> bool:
    """Whether the departures ``li`` all leave an origin for a destination whose route exists: a new
    destination takes its existing route here, as `_Sim._release` would (a route to make needs Python)."""
    _, _, s, m, j, node, tg_ev, e = ev
    of_node, _, _, route_of, n_m = tgt
    n_s = len(occ)
    checked, current = False, False
    for c in range(len(li)):
        i = li[c]
        if s[i] >= n_o:
            return False
        tg = j[i]
        if tg < 0:  # undirected: the nearest site with room, as `_Sim._targets` computed it
            if not checked:
                current, checked = _targets_current(tgt, sites[0], sites[1], occ, held), True
            if not current:
                return False
            tg = of_node[node[i]]
        if tg != tg_ev[i]:
            if tg < 0 or len(route_of) == 0:
                return False
            r = route_of[((node[i] * n_s + tg) * n_m + m[i]) * 2 + (j[i] >= 0)]
            if r < 0:
                return False
            tg_ev[i], e[i] = tg, r
        if e[i] < 0:
            return False
    return True


@njit(cache=True)
def advance(t: int, t_stop: int, day: int, ev: Any, state: Any, net: Any, books: Any, params: Any) -> Any:
    """Steps ``t``, ``t + 1``, ... until ``t_stop`` (the day's end or the horizon) or a step that needs Python.

    ``ev``: the day's release events (t0, n, stream, mode, site, node, target, element); ``state``: (people on
    the road [1], long walks' vulnerable people [buffer] and per step [counts], their lengths [2]); ``net``: (the
    elements' arrays, their site, mode and directed flags, the links' arrays, the targets `_Sim._targets` holds
    (per node, sites with room, closed) with the first element of each route made (`_Sim._route_of`) and the
    number of modes); ``books``: (origins and books of `kernel.leave`, `kernel.enter`'s ff,
    sites (closed, capacity) and the books of `kernel.arrive`); ``params``: (window steps, steps per day and per
    hour, horizon steps, hours, origins, elements, largest road use, walking limit in steps, modes on foot).
    Returns (the step reached, why it stopped, whether some departure window ended in it (the step's moves
    done), and at ARRIVALS_IN_PYTHON the step's arrivals: elements, people, departure-step sums, vulnerable
    people)."""
    t0, n = ev[0], ev[1]
    en_route, long_vul, long_steps, n_long = state
    els, el_site, el_mode, el_dir, links, tgt = net
    origins, leave_books, ff, sites, arrival_books = books
    w, spd, sph, T, hours, n_o, n_el, max_use, h_steps, on_foot = params
    none_i, none_f = np.zeros(0, np.int64), np.zeros(0)
    while t < t_stop:
        if len(t0):
            li, amount, ended = due(t, w, t0, n)
        else:
            li, amount, ended = none_i, none_i, False
        if len(li):
            if not _release_ready(li, ev, n_o, tgt, sites, arrival_books[0], arrival_books[2]):
                return t, STEP_IN_PYTHON, False, none_i, none_i, none_f, none_f
            a = land(t, n_el, els)
            s, m, e = ev[2][li], ev[3][li], ev[7][li]
            en_route[0] += leave_and_enter(day, t, s, m, amount, e, n_o, origins, leave_books, els, ff)
            b = discharge_queued(t, n_el, max_use, links, els)
            te, tn = np.concatenate((a[0], b[0])), np.concatenate((a[1], b[1]))
            td, tv = np.concatenate((a[2], b[2])), np.concatenate((a[3], b[3]))
        else:
            te, tn, td, tv = land_and_discharge(t, n_el, max_use, links, els)
        en_route[0] -= tn.sum()
        if len(te):
            if n_long[0] + len(te) > len(long_vul) or n_long[1] == len(long_steps):
                return t, ARRIVALS_IN_PYTHON, ended, te, tn, td, tv  # no room to note long walks: the caller's
            when = (t, day, min(t // sph, hours - 1), h_steps, on_foot)
            ok, long = arrive_if_all_fit(el_site[te], el_mode[te], el_dir[te], tn, td, tv, sites, when, arrival_books)
            if not ok:
                return t, ARRIVALS_IN_PYTHON, ended, te, tn, td, tv
            _note_long(long, tv, long_vul, long_steps, n_long)
        if ended:  # the caller drops the events whose window is over, then goes on to the next step
            return t, WINDOWS_ENDED, True, none_i, none_i, none_f, none_f
        t += 1
        if en_route[0] == 0 and t < T:  # idle: jump (as `_Sim._end_step`)
            jump = -(-t // spd) * spd
            if len(t0):
                jump = min(jump, max(t, t0.min()))
            t = max(t, jump)
    return t, DAY_DONE, False, none_i, none_i, none_f, none_f


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
