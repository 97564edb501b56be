"""Where people head, in compiled code: the nearest site with room from every node (`refresh_targets`), and the
first route element of the way from a node to a site, its segments (`segment_links`) and elements
(`add_element`) made on first use (`make_route`), so that `stepping.advance` need not hand a step back to Python
when sites fill or people head for a new destination. The simulation's Python uses the same functions, so both
give the same targets and the same elements in the same order. Python still makes a route when the element arrays
are full (it grows them) or when the network is too large for the route table (`simulation._ROUTE_TABLE`)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

#: what `make_route` returns besides an element: the node is the site's (no element), or Python must make it
AT_SITE, IN_PYTHON = -1, -2


def path_arrays(net: Any) -> tuple[np.ndarray, ...]:
    """The shortest ways of a `routes.RoadNet` as `segment_links` takes them: (successors towards each site row,
    the sorted keys of node pairs and the arc of each, link lengths, distances)."""
    p = net.paths
    return (p.pred, p.arc_key, p.arc_of_key, net.cnet.travel_time_s, p.dist)  # the condensed network carries lengths


def road_arrays(net: Any, speed: np.ndarray, dt: float, use: np.ndarray, overflow: np.ndarray) -> tuple[Any, ...]:
    """The view of a `routes.RoadNet` that `make_route` and `refresh_targets` take: (site node, site row, the
    shortest ways (`path_arrays`), speed per mode (m/s), step (s), road use per mode, which sites are overflow
    places)."""
    return (net.site_node, net.site_row, path_arrays(net), speed, float(dt), use, overflow)


def no_targets(n_nodes: int, n_sites: int, route_of: np.ndarray, n_modes: int) -> tuple[Any, ...]:
    """`refresh_targets`'s ``tgt`` before any: (target per node, the sites with room and the closed sites they were
    made for, the route table, modes, whether made yet)."""
    return (
        np.full(n_nodes, -1, np.int64),
        np.zeros(n_sites, bool),
        np.zeros(n_sites, bool),
        route_of,
        n_modes,
        np.zeros(1, bool),
    )


def build_arrays(el: Any) -> tuple[np.ndarray, ...]:
    """The `routes.Elements` arrays `make_route` writes, and its counts."""
    names = ("arcs", "ptr", "nar", "next", "site", "mode", "directed", "k", "f", "use", "ff_s", "size", "off")
    return tuple(getattr(el, a) for a in names) + (el.ring_n, el.counts)


@njit(cache=True)
def segment_links(v: int, row: int, target: int, paths: Any, steps_per_m: float, buf: np.ndarray, at: int) -> Any:
    """The segment of the shortest way from condensed node ``v`` to the site of ``row`` (node ``target``): its links
    written to ``buf[at:]``; (how many, travel time in steps at ``steps_per_m``, the node it ends at: the site's, or
    the next where the remaining free-flow time to the site crosses a whole number of steps). ``paths``:
    `path_arrays`."""
    pred, arc_key, arc_of_key, arc_len, dist = paths
    n_c = pred.shape[1]
    n, tau = 0, 0.0
    while True:
        nxt = pred[row, v]
        arc = arc_of_key[np.searchsorted(arc_key, v * n_c + nxt)]
        buf[at + n] = arc
        n += 1
        tau += arc_len[arc] * steps_per_m
        v = nxt
        if v == target:
            break
        r_v = dist[row, v] * steps_per_m
        r_next = dist[row, pred[row, v]] * steps_per_m
        if math.floor(r_v + 1e-9) != math.floor(r_next + 1e-9):  # v is a boundary
            break
    return n, tau, v


@njit(cache=True)
def ring_size(k: int) -> int:
    """Slots of the travel ring of an element of ``k`` whole steps: ``1 << (k + 1).bit_length()``, at least k + 2
    and a power of 2, so the kernel finds a slot by a mask."""
    b, x = 0, k + 1
    while x:
        b += 1
        x >>= 1
    return 1 << b


@njit(cache=True)
def add_element(
    els: Any, buf: np.ndarray, at: int, n: int, site: int, mode: int, directed: bool, tau: float, use: float
) -> int:
    """A new element (`build_arrays`, with room for it): links ``buf[at : at + n]``, towards ``site`` for ``mode``
    (planned people or not), ``tau`` steps long (k whole steps, a share f one step slower), road use ``use``; its
    next element none yet. Returns its index."""
    arcs, ptr, nar, nxt, e_site, e_mode, e_dir, k_, f_, use_, _, size_, off, _, counts = els
    e = counts[0]
    k = int(math.floor(tau + 1e-9))  # 0: a link shorter than a step, crossed within it
    for q in range(n):
        arcs[counts[1] + q] = buf[at + q]
    ptr[e], nar[e] = counts[1], n
    nxt[e], e_site[e], e_mode[e], e_dir[e] = -1, site, mode, directed
    k_[e], f_[e], use_[e] = k, tau - k, use
    size_[e], off[e] = ring_size(k), counts[2]  # at step t the ring's current slot is off + t % size
    counts[0] += 1
    counts[1] += n
    counts[2] += size_[e]
    return e


@njit(cache=True)
def make_route(
    node: int, site: int, mode: int, directed: bool, road: Any, els: Any, route_of: np.ndarray, n_s: int, n_m: int
) -> int:
    """The first element from condensed ``node`` to ``site`` for ``mode`` (planned people or not), its missing
    segments made as `_Sim._route` makes them; `AT_SITE` when the node is the site's; `IN_PYTHON`, with nothing
    changed, when the element arrays have no room for the new segments."""
    site_node, site_row, paths, speed, dt, use = road[0], road[1], road[2], road[3], road[4], road[5]
    arcs, nxt, ff_s, ring_n, counts = els[0], els[3], els[10], els[13], els[14]
    target = site_node[site]
    if node == target:
        return AT_SITE
    first = ((node * n_s + site) * n_m + mode) * 2 + directed
    if route_of[first] >= 0:
        return route_of[first]
    steps_per_m = 1.0 / (speed[mode] * dt)
    row = site_row[site]
    n_c = paths[0].shape[1]
    buf = np.empty(n_c, np.int64)  # the chain's links, segment after segment (a shortest path: < n_c links)
    seg_at, seg_n, seg_v = np.empty(n_c, np.int64), np.empty(n_c, np.int64), np.empty(n_c, np.int64)
    seg_tau = np.empty(n_c)
    cur, n_seg, n_arc, slots, join = node, 0, 0, 0, -1
    while cur != target:  # the segments to make, up to the first element already made
        r = route_of[((cur * n_s + site) * n_m + mode) * 2 + directed]
        if r >= 0:
            join = r
            break
        n, tau, v = segment_links(cur, row, target, paths, steps_per_m, buf, n_arc)
        seg_at[n_seg], seg_n[n_seg], seg_tau[n_seg], seg_v[n_seg] = n_arc, n, tau, cur
        n_seg += 1
        n_arc += n
        slots += ring_size(int(math.floor(tau + 1e-9)))
        cur = v
    if counts[0] + n_seg > len(nxt) or counts[1] + n_arc > len(arcs) or counts[2] + slots > len(ring_n):
        return IN_PYTHON
    prev = -1
    for i in range(n_seg):
        e = add_element(els, buf, seg_at[i], seg_n[i], site, mode, directed, seg_tau[i], use[mode])
        route_of[((seg_v[i] * n_s + site) * n_m + mode) * 2 + directed] = e
        if prev >= 0:
            nxt[prev] = e
        prev = e
    if join >= 0:
        nxt[prev] = join
    for i in range(n_seg - 1, -1, -1):  # free-flow time from here to the site
        e = counts[0] - n_seg + i
        x = nxt[e]
        ff_s[e] = seg_tau[i] * dt + (ff_s[x] if x >= 0 else 0.0)
    return route_of[first]


@njit(cache=True)
def has_room(closed: bool, capacity: int, occ: int, held: int) -> bool:
    """Whether a site takes people who follow no plan: open, with places neither taken nor held."""
    return (not closed) and capacity - occ - held > 0


@njit(cache=True)
def targets_current(tgt: Any, closed: np.ndarray, capacity: np.ndarray, occ: np.ndarray, held: np.ndarray) -> bool:
    """Whether the targets ``tgt`` (per node, sites with room, closed sites, ..., valid) were made for the sites
    with room and the closed sites now."""
    room_then, closed_then, valid = tgt[1], tgt[2], tgt[5]
    if not valid[0]:
        return False
    for s in range(len(occ)):
        room = has_room(closed[s], capacity[s], occ[s], held[s])
        if room != room_then[s] or closed[s] != closed_then[s]:
            return False
    return True


@njit(cache=True)
def refresh_targets(
    tgt: Any, closed: np.ndarray, capacity: np.ndarray, occ: np.ndarray, held: np.ndarray, road: Any
) -> None:
    """Per condensed node (``tgt[0]``, in place, unless `targets_current`): the nearest site with room; else the
    nearest overflow site; else the nearest open site (people go there and wait without a place); -1 if no open
    site can be reached. Ties go to the lower site index."""
    if targets_current(tgt, closed, capacity, occ, held):
        return
    of_node, room_then, closed_then, valid = tgt[0], tgt[1], tgt[2], tgt[5]
    row, dist, over = road[1], road[2][4], road[6]
    n_s = len(occ)
    room = np.empty(n_s, np.bool_)
    ok = np.empty(n_s, np.bool_)
    for s in range(n_s):
        room[s] = has_room(closed[s], capacity[s], occ[s], held[s])
        ok[s] = (not closed[s]) and row[s] >= 0
    of_node[:] = -1
    for p in range(3):  # sites with room (not overflow places), overflow places, any open site
        mask = np.empty(n_s, np.bool_)
        for s in range(n_s):
            mask[s] = ok[s] and ((room[s] and not over[s]) if p == 0 else (over[s] if p == 1 else True))
        for v in range(len(of_node)):
            if of_node[v] >= 0:
                continue
            best, best_d = -1, np.inf
            for s in range(n_s):
                if mask[s] and dist[row[s], v] < best_d:
                    best, best_d = s, dist[row[s], v]
            of_node[v] = best
    room_then[:] = room
    closed_then[:] = closed
    valid[0] = True
