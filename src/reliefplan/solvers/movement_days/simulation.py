"""The hourly simulation: `simulate` runs `_Sim`, a point-queue model stepped every ``step_s`` seconds while
anyone is on the road (see the package docstring). Per step: people reach the end of a link (`kernel.land`),
departures enter their first route element, every link lets through its capacity (`kernel.discharge`), and
arrivals take a place, move on or wait without one."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

import numpy as np

from ..._cpus import usable_cpus
from . import kernel, places_kernel, route_kernel, stepping
from .instance import DaysInstance, validate_runs
from .result import DaysResult, days_result
from .routes import Elements, RoadNet, prepare_network, segment, segments
from .schedule import day_events, departure_schedule

_BIG = np.iinfo(np.int64).max // 8
_EVENT_KEYS = ("s", "m", "j", "node", "n", "t0", "tgt", "e")
_ADVANCE_EVENTS = ("t0", "n", "s", "m", "j", "node", "tgt", "e")  # the events' order in `stepping.advance`
_NONE = np.zeros(0, np.int64)
_ROUTE_TABLE = 4_000_000  # entries of `_Sim._route_of` at most (32 MB)


def simulate(
    inst: DaysInstance,
    *,
    assignment: Literal["arrival", "plan"] = "arrival",
    plan: np.ndarray | None = None,
    file: str = "<instance>",
) -> DaysResult:
    """Run the days: departures, movement under road capacity, sites filling, orders and re-displacement.

    ``plan``: int [origin, site] planned people (``assignment="plan"``); e.g. ``staged_plan(inst).people``.
    """
    return simulate_runs(inst, (assignment,), plan=plan, file=file)[assignment]


def simulate_runs(
    inst: DaysInstance,
    assignments: tuple[str, ...],
    *,
    plan: np.ndarray | None = None,
    file: str = "<instance>",
) -> dict[str, DaysResult]:
    """`simulate` under each of ``assignments`` ("plan", "arrival") on the same roads, by assignment. Two runs go
    on two threads when the process may use two cores: a run is independent of the other and spends most of its
    time in compiled steps that release the GIL (`stepping.advance`), so the results are those of one run after
    the other."""
    plan = validate_runs(inst, assignments, plan, file)
    net = prepare_network(inst)

    def run(a: str) -> DaysResult:
        return _Sim(inst, net, plan if a == "plan" else None).run(a)

    if len(assignments) < 2 or usable_cpus() < 2:
        return {a: run(a) for a in assignments}
    with ThreadPoolExecutor(max_workers=len(assignments), thread_name_prefix="reliefplan-move") as pool:
        return dict(zip(assignments, pool.map(run, assignments)))


class _Sim:
    """One run; see `simulate`. People move as whole numbers; each batch carries the sum of its departure
    steps and its vulnerable people (floats, split in proportion), so trip times need no per-origin tags."""

    #: ordinary steps in one compiled call (`stepping.advance`); False: every step here, one at a time (a
    #: subclass that replaces the per-step methods, e.g. the array version in tests/movement_reference.py)
    compiled_steps = True

    def __init__(self, inst: DaysInstance, net: RoadNet, plan: np.ndarray | None) -> None:
        self.inst, self.net = inst, net
        self.dt = float(inst.step_s)
        self.spd = int(round(86400 / self.dt))  # steps per day
        self.sph = int(round(3600 / self.dt))  # steps per hour
        n_o, n_s, n_m, n_k, H = (
            len(inst.origin_node),
            len(inst.site_node),
            len(inst.modes),
            len(inst.order_curves),
            inst.horizon_days,
        )
        self.n_o, self.n_s, self.n_m, self.n_k, self.H = n_o, n_s, n_m, n_k, H
        self.el = Elements()
        self.index: dict[tuple[int, int, int, bool], int] = {}
        cn = net.cnet
        self.arc_len = cn.travel_time_s  # the condensed network carries lengths
        self.cap_step = cn.capacity_per_h * self.dt / 3600.0
        self.credit = np.zeros(cn.m)
        self.credit_t = np.full(cn.m, -1, np.int64)  # the step the credit was last topped up
        self.speed = np.array([m.speed_m_s for m in inst.modes])
        self.use = np.array([m.road_use for m in inst.modes])
        self.on_foot = np.array([m.on_foot for m in inst.modes])
        self.max_use = float(self.use.max())
        self.capacity = np.where(inst.site_overflow, _BIG, inst.site_capacity).astype(np.int64)
        self.occ = np.zeros(n_s, np.int64)
        self.occ_vul = np.zeros(n_s)
        self.closed = net.site_row < 0  # reached by nobody
        self.without_at_site = np.zeros(n_s, np.int64)  # left, found no place: waiting near site j
        self.without_vul = np.zeros(n_s)
        self.without_home = 0  # left, but no open site could be reached at all
        self.quota = None if plan is None else plan.copy()
        self.held = np.zeros(n_s, np.int64) if plan is None else plan.sum(axis=0).astype(np.int64)
        self.h_steps = inst.max_walk_h * 3600 / self.dt
        self.pending: list[tuple[np.ndarray, ...]] = []  # arriving: (site, mode, directed, n, dep, vul)
        self.en_route = 0  # people in queues and on links
        self.trips = np.zeros(n_m, np.int64)
        self.trip_steps = np.zeros(n_m)  # sum of (end - departure) steps
        self.over = np.zeros(n_m, np.int64)
        self.over_vul = 0.0
        self.ff_sum = np.zeros(n_m)
        self.turned_away = 0
        self.released_origin = np.zeros(n_o, np.int64)
        self.left_order_inc = np.zeros((n_k, H), np.int64)
        self.left_unordered_inc = np.zeros(H, np.int64)
        self.redisp_inc = np.zeros((n_k, H), np.int64)
        self.redisplaced = 0
        self.arr_site_day = np.zeros((n_s, H), np.int64)
        self.arr_site_hour = np.zeros((n_s, H * 24), np.int64)
        self.arr_mode_day = np.zeros((n_m, H), np.int64)
        self.dep_mode_day = np.zeros((n_m, H), np.int64)
        # `stepping.advance`: people on the road and turned away, long walks' vulnerable people and per step,
        # their lengths
        self._step_state = (np.zeros(2, np.int64), np.zeros(4096), np.zeros(1024, np.int64), np.zeros(2, np.int64))
        self._walk = (self.h_steps, self.on_foot)
        # the first element of each route made, by (condensed node, site, mode, directed) as `index` (-2: none
        # yet), for `stepping.advance`; left empty (every new destination through `_route`) when too large
        size = net.cnet.n * n_s * n_m * 2
        self._route_of = np.full(size if size <= _ROUTE_TABLE else 0, -2, np.int64)
        # without the table, routes are made here (`_route_here`) from segments memoised per network
        self.segments = {} if len(self._route_of) else segments(net, 1.0 / (self.speed * self.dt))
        self._road = route_kernel.road_arrays(net, self.speed, self.dt, self.use, inst.site_overflow)
        self._tgt = route_kernel.no_targets(net.cnet.n, n_s, self._route_of, n_m)  # where undirected people head
        self._init_days()
        self._links = tuple(getattr(self, a) for a in kernel.LINK_ARRAYS)
        self._els, self._els_grown = kernel.element_arrays(self.el), self.el.grown
        self._sites = (self.closed, self.capacity)
        self._arrival_books = (
            self.occ,
            self.occ_vul,
            self.held,
            self.arr_site_day,
            self.arr_site_hour,
            self.arr_mode_day,
            self.trips,
            self.trip_steps,
            self.over,
        )

    def _init_days(self) -> None:
        """The books by link and by day, and what the days carry over (re-displaced people, vehicles used)."""
        inst, n_s, n_k, m, H = self.inst, self.n_s, self.n_k, self.net.cnet.m, self.H
        self.jam_steps = np.zeros(m, np.int64)
        self.jam_first = np.full(m, -1, np.int64)
        self.jam_last = np.full(m, -1, np.int64)
        self.max_queue = np.zeros(m)
        # `kernel.discharge`'s work arrays over links, at rest between passes (made once, not at every step)
        self.w_load, self.w_used, self.w_frac = np.zeros(m), np.zeros(m), np.ones(m)
        self.w_touched, self.w_links = np.zeros(m, bool), np.zeros(m, np.int64)
        self.day = 0
        self.occ_day = np.zeros((n_s, H), np.int64)
        self.at_origin_day, self.on_road_day, self.at_sites_day, self.without_day = (
            np.zeros(H, np.int64) for _ in range(4)
        )
        self.inside_at_op = np.full(n_k, -1, np.int64)
        self.closing_day = np.where(inst.site_order >= 0, np.floor(inst.order_day[np.maximum(inst.site_order, 0)]), -1)
        self.redisp_people = np.zeros(n_s, np.int64)  # people at a site when its order came
        self.redisp_sched = np.zeros(n_s, np.int64)
        self.w0 = int(round(inst.departure_hours[0] * self.sph))
        self.W = max(1, int(round(inst.departure_hours[1] * self.sph)) - self.w0)
        self.access_steps = np.round(inst.origin_access_m[:, None] / self.speed[None, :] / self.dt).astype(np.int64)
        self.limit_used = np.zeros(self.n_m, np.int64)

    # ------------------------------------------------------------------ routes and targets
    def _route(self, node: int, site: int, mode: int, directed: bool) -> int:
        """First element from condensed ``node`` to ``site`` (made on first use); -1 if the node is the site's.

        The way is cut into segments at canonical boundaries: the nodes where the remaining free-flow time to
        the site crosses a whole number of steps. Routes from different nodes therefore share their segments
        once they meet a boundary, and a person crosses at most a few segments within one step. With the route
        table, `route_kernel.make_route` makes them (as the compiled steps do; the arrays grown when full);
        without it, `_route_here`."""
        if not len(self._route_of):
            return self._route_here(node, site, mode, directed)
        while True:
            e = route_kernel.make_route(
                node,
                site,
                mode,
                directed,
                self._road,
                route_kernel.build_arrays(self.el),
                self._route_of,
                self.n_s,
                self.n_m,
            )
            if e != route_kernel.IN_PYTHON:
                return int(e)
            self.el.grow()

    def _route_here(self, node: int, site: int, mode: int, directed: bool) -> int:
        """`_route` in Python, with the segments memoised per network (`routes.segments`) and the elements made
        indexed by a dictionary (networks too large for the route table)."""
        key = (node, site, mode, directed)
        if key in self.index:
            return self.index[key]
        target = int(self.net.site_node[site])
        if node == target:
            return -1
        el, made, cur, prev = self.el, [], node, -1
        steps_per_m = 1.0 / (self.speed[mode] * self.dt)
        while cur != target:
            e = self.index.get((cur, site, mode, directed))
            if e is not None:
                el.next[prev] = e
                break
            seg = self.segments.get((cur, target, mode))
            if seg is None:
                seg = self.segments[(cur, target, mode)] = segment(self.net, cur, site, steps_per_m)
            arcs, tau, v = seg
            e = el.add(arcs, site, mode, directed, tau, float(self.use[mode]))
            self.index[(cur, site, mode, directed)] = e
            if prev >= 0:
                el.next[prev] = e
            made.append((e, tau))
            prev, cur = e, v
        for e, tau in reversed(made):  # free-flow time from here to the site
            nx = el.next[e]
            el.ff_s[e] = tau * self.dt + (el.ff_s[nx] if nx >= 0 else 0.0)
        return self.index[key]

    def _room(self) -> np.ndarray:
        """Places an undirected arrival can take now (places held for planned people excluded)."""
        return np.where(self.closed, 0, self.capacity - self.occ - self.held)

    def _targets(self, nodes: np.ndarray) -> np.ndarray:
        """Per condensed node in ``nodes``: the nearest site with room; else the nearest overflow site; else the
        nearest open site (people go there and wait without a place); -1 if no open site can be reached
        (`route_kernel.refresh_targets`: recomputed when the sites with room changed, as the compiled steps do)."""
        route_kernel.refresh_targets(self._tgt, self.closed, self.capacity, self.occ, self.held, self._road)
        return self._tgt[0][nodes]

    # ------------------------------------------------------------------ departures, entries, trip ends
    def _depart(self, streams: np.ndarray, modes: np.ndarray, people: np.ndarray) -> np.ndarray:
        """People leave their origin (stream < n_o) or their site (n_o + j, re-displaced) now; their vulnerable
        people (each origin's share; at a site, its share of the site's vulnerable people)."""
        day, n_o, inst = self.day, self.n_o, self.inst
        origins = (inst.origin_order, inst.origin_vulnerable_share)
        books = (self.released_origin, self.left_order_inc, self.left_unordered_inc, self.dep_mode_day)
        vul = kernel.leave(day, streams, modes, people, n_o, origins, books)
        self._leave_sites(streams, people, vul)
        return vul

    def _leave_sites(self, streams: np.ndarray, people: np.ndarray, vul: np.ndarray) -> None:
        """Rows leaving a site (stream n_o + j, re-displaced): from its places first, then from those waiting
        near it; their vulnerable people (the site's shares) into ``vul``."""
        day, n_o, inst = self.day, self.n_o, self.inst
        for i in np.flatnonzero(streams >= n_o).tolist():
            j, n = int(streams[i]) - n_o, int(people[i])
            from_site = min(n, int(self.occ[j]))
            share = self.occ_vul[j] / self.occ[j] if self.occ[j] else 0.0
            wait_share = self.without_vul[j] / self.without_at_site[j] if self.without_at_site[j] else 0.0
            vul[i] = from_site * share + (n - from_site) * wait_share
            self.occ_vul[j] -= from_site * share
            self.without_vul[j] -= (n - from_site) * wait_share
            self.occ[j] -= from_site
            self.without_at_site[j] -= n - from_site
            self.redisp_inc[int(inst.site_order[j]), day] += n
            self.redisplaced += n

    def _enter(
        self,
        elems: np.ndarray,
        sites: np.ndarray,
        modes: np.ndarray,
        people: np.ndarray,
        dep: np.ndarray,
        vul: np.ndarray,
        directed: np.ndarray,
        t: int,
    ) -> None:
        """Put people on the road at their first element (-1: already at the site; site -1: nowhere to go)."""
        self.en_route += kernel.enter(elems, modes, people, dep, vul, self._el_arrays(), (self.el.ff_s, self.ff_sum))
        on = elems >= 0
        if not on.all():
            self._off_road(~on, sites, modes, people, dep, vul, directed, t)

    def _off_road(
        self,
        off: np.ndarray,
        sites: np.ndarray,
        modes: np.ndarray,
        people: np.ndarray,
        dep: np.ndarray,
        vul: np.ndarray,
        directed: np.ndarray,
        t: int,
    ) -> None:
        """Rows ``off`` the road: already at their site (arriving this step) or with nowhere to go (without a
        place, at home)."""
        at = off & (sites >= 0)
        if at.any():
            self.pending.append((sites[at], modes[at], directed[at], people[at], dep[at], vul[at]))
        nowhere = np.flatnonzero(off & (sites < 0))
        if len(nowhere):
            self._trip_ends(modes[nowhere], people[nowhere], dep[nowhere], vul[nowhere], t)
            self.without_home += int(people[nowhere].sum())

    def _trip_ends(self, modes: np.ndarray, people: np.ndarray, dep: np.ndarray, vul: np.ndarray, t: int) -> None:
        """Trips end (a place, or giving up): trip times, and who walked longer than max_walk_h (per batch)."""
        dur = t - dep / np.maximum(people, 1)  # steps, the batch's mean
        self.trips += np.bincount(modes, weights=people, minlength=self.n_m).astype(np.int64)
        self.trip_steps += np.bincount(modes, weights=people * t - dep, minlength=self.n_m)
        long = (dur > self.h_steps) & self.on_foot[modes]
        if long.any():
            self.over += np.bincount(modes[long], weights=people[long], minlength=self.n_m).astype(np.int64)
            self.over_vul += float(vul[long].sum())

    def _arrivals(self, t: int) -> None:
        """People reaching sites this step take a place if there is room, else move on or wait without one."""
        if len(self.pending) == 1:
            j, mo, d, n, dep, vul = self.pending[0]
        else:
            j, mo, d, n, dep, vul = (np.concatenate(x) for x in zip(*self.pending))
        self.pending = []
        if self._all_arrive(t, j, mo, d, n, dep, vul):
            return
        take, part = self._take(j, d, n)
        self._accept(t, j, mo, d, n, take, dep, vul, part)
        rej = np.flatnonzero(take < n)
        if len(rej):
            r = 1 - part[rej]
            self._turn_away(t, j[rej], mo[rej], n[rej] - take[rej], dep[rej] * r, vul[rej] * r)

    def _take(self, j: np.ndarray, d: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Places each arriving batch takes (planned people first, into their held places; undirected people into
        what is not held; in proportion when a site is short), and the share of each batch that takes one."""
        take, part = places_kernel.take(j, d, n, self._sites, self.held, self.occ)
        return take, part

    def _all_arrive(
        self, t: int, j: np.ndarray, mo: np.ndarray, d: np.ndarray, n: np.ndarray, dep: np.ndarray, vul: np.ndarray
    ) -> bool:
        """When every site has room for all its arrivals, they take their places (`_take` and `_accept` in one
        compiled call); False, with nothing changed, when some do not fit."""
        when = (t, self.day, min(t // self.sph, self.H * 24 - 1), self.h_steps, self.on_foot)
        ok, long = places_kernel.arrive_if_all_fit(j, mo, d, n, dep, vul, self._sites, when, self._arrival_books)
        if ok and long.any():
            self.over_vul += float(vul[long].sum())  # each row's share taking a place is 1
        return bool(ok)

    def _accept(self, t: int, j: np.ndarray, mo: np.ndarray, d: np.ndarray, n: np.ndarray, *rest: np.ndarray) -> None:
        """Planned places are no longer held (arrived or turned away); the arrivals' books and trip ends.
        ``rest``: places taken, departure-step sums, vulnerable people, the share taking a place."""
        take, dep, vul, part = rest
        when = (t, self.day, min(t // self.sph, self.H * 24 - 1), self.h_steps, self.on_foot)
        long = places_kernel.arrive(j, mo, d, n, take, dep, vul, part, bool(d.any()), when, self._arrival_books)
        if long.any():
            self.over_vul += float((vul[long] * part[long]).sum())

    def _turn_away(
        self, t: int, jr: np.ndarray, mr: np.ndarray, nr: np.ndarray, dr: np.ndarray, vr: np.ndarray
    ) -> None:
        """People who found their site full or closed go on to the nearest site with room from there (setting
        off within the step), or wait near it without a place."""
        self.turned_away += int(nr.sum())
        nodes = self.net.site_node[jr]
        tg = self._targets(nodes)
        room = self._room()
        go = (tg >= 0) & (tg != jr)
        go[go] &= room[tg[go]] > 0
        stay = np.flatnonzero(~go)  # nowhere with room: waits near this site without a place
        if len(stay):
            self._trip_ends(mr[stay], nr[stay], dr[stay], vr[stay], t)
            np.add.at(self.without_at_site, jr[stay], nr[stay])
            np.add.at(self.without_vul, jr[stay], vr[stay])
        g = np.flatnonzero(go)
        if len(g):
            elems = np.array([self._route(int(nodes[i]), int(tg[i]), int(mr[i]), False) for i in g], np.int64)
            self._enter(elems, tg[g], mr[g], nr[g], dr[g], vr[g], np.zeros(len(g), bool), t)
            on = np.unique(elems[elems >= 0])
            self._discharge(t, on[self.el.queue[on] > 0])  # they set off again within the step

    # ------------------------------------------------------------------ moving
    def _el_arrays(self) -> tuple[np.ndarray, ...]:
        """The route elements' arrays as the kernel takes them (rebuilt when the elements grew)."""
        if self._els_grown != self.el.grown:
            self._els, self._els_grown = kernel.element_arrays(self.el), self.el.grown
        return self._els

    def _land(self, t: int) -> None:
        """People reaching the end of a link this step: onto the next link's queue, or at their site."""
        self._reached(*(a.copy() for a in kernel.land(t, self.el.n, self._el_arrays())))  # views of work rows

    def _land_and_discharge(self, t: int) -> None:
        """`_land` then `_discharge` in one compiled call (a step without departures)."""
        self._reached(*kernel.land_and_discharge(t, self.el.n, self.max_use, self._links, self._el_arrays()))

    def _discharge(self, t: int, qi: np.ndarray | None = None) -> None:
        """Every link lets through its capacity (pedestrian-equivalents) this step; the rest queues. People who
        get through a link shorter than the rest of the step go on to the next one within the step."""
        el = self.el
        if qi is None:
            self._reached(*kernel.discharge_queued(t, el.n, self.max_use, self._links, self._el_arrays()))
            return
        if len(qi):
            qi = np.ascontiguousarray(qi, np.int64)
            self._reached(*kernel.discharge(qi, t, self.max_use, self._links, self._el_arrays()))

    def _reached(self, te: np.ndarray, n: np.ndarray, dep: np.ndarray, vul: np.ndarray) -> None:
        """People at the end of their way (elements ``te``): arriving at the element's site this step."""
        if len(te):
            el = self.el
            self.en_route -= int(n.sum())
            self.pending.append((el.site[te], el.mode[te], el.directed[te], n, dep, vul))

    # ------------------------------------------------------------------ the days
    def run(self, assignment: str) -> DaysResult:
        """Step through the days (jumping over idle time to the next departures); the result. Ordinary steps run
        compiled (`stepping.advance`), the others here (`_step`), in the same order: the same result."""
        sched = departure_schedule(self.inst)
        self.daily = np.diff(np.concatenate([np.zeros((self.n_o, 1), np.int64), sched], axis=1), axis=1)
        stuck = self.net.origin_node < 0
        self.cannot_leave = int(sched[stuck, -1].sum())
        self.daily[stuck] = 0
        ev = {k: np.zeros(0, np.int64) for k in _EVENT_KEYS}
        t, T, day = 0, self.H * self.spd, -1
        while t < T:
            if t // self.spd != day:  # a new day
                if day >= 0:
                    self._books(day)
                day = self.day = t // self.spd
                ev = self._new_day(ev)
            if self.pending:  # arrivals left over after three rounds: the next step takes them first, here
                t, ev = self._step(t, ev, T)
                continue
            t, why, landed, ev = self._advance(t, min(T, (day + 1) * self.spd), ev)
            if why >= stepping.ARRIVALS_IN_PYTHON:  # the step's moves are done; its arrivals from a round on are not
                self.pending = [landed]
                t = self._end_step(t, ev, T, why - stepping.ARRIVALS_IN_PYTHON)
            elif why == stepping.STEP_IN_PYTHON:
                t, ev = self._step(t, ev, T)
        self._books(day)
        return days_result(self, assignment, T)

    def _advance(
        self, t: int, t_stop: int, ev: dict[str, np.ndarray]
    ) -> tuple[int, int, tuple[np.ndarray, ...], dict[str, np.ndarray]]:
        """`stepping.advance` from step ``t``: (the step reached, why it stopped, the arrivals it leaves, the events
        (those whose departure window is over dropped, as `_step` drops them))."""
        if self.compiled_steps is False:
            return t, stepping.STEP_IN_PYTHON, (), ev
        el, state = self.el, self._step_state
        state[0][:] = self.en_route, 0
        net = (
            self._el_arrays(),
            el.site,
            el.mode,
            el.directed,
            self._links,
            self._tgt,
            self.net.site_node,
            (self._road, route_kernel.build_arrays(el)),
        )
        inst = self.inst
        books = (
            (inst.origin_order, inst.origin_vulnerable_share),
            (self.released_origin, self.left_order_inc, self.left_unordered_inc, self.dep_mode_day),
            (el.ff_s, self.ff_sum),
            self._sites,
            self._arrival_books,
            (self.without_at_site, self.without_vul),
        )
        events = tuple(ev[k] for k in _ADVANCE_EVENTS)
        params = (self.W, self.spd, self.sph, self.H * self.spd, self.H * 24, self.n_o, self.max_use)
        t, why, landed, events = stepping.advance(t, t_stop, self.day, events, state, net, books, params + self._walk)
        self.en_route = int(state[0][0])
        self.turned_away += int(state[0][1])
        long_vul, long_steps, n_long = state[1:]
        k = 0
        for c in long_steps[: n_long[1]].tolist():  # each step's sum as `_all_arrive` makes it
            self.over_vul += float(long_vul[k : k + c].sum())
            k += c
        n_long[:] = 0
        return int(t), int(why), landed, dict(zip(_ADVANCE_EVENTS, events))

    def _step(self, t: int, ev: dict[str, np.ndarray], T: int) -> tuple[int, dict[str, np.ndarray]]:
        """Step ``t`` here: departures (new routes), landing, discharge, then `_end_step`."""
        if len(ev["n"]):
            li, amount, ended = kernel.due(t, self.W, ev["t0"], ev["n"])
        else:
            li, amount, ended = _NONE, _NONE, False
        if len(li):
            self._land(t)
            self._release(ev, t, li, amount)
            self._discharge(t)
        else:
            self._land_and_discharge(t)
        if ended:  # events whose window is over
            keep = t - ev["t0"] < self.W - 1
            ev = {k: v[keep] for k, v in ev.items()}
        return self._end_step(t, ev, T), ev

    def _end_step(self, t: int, ev: dict[str, np.ndarray], T: int, first_round: int = 0) -> int:
        """The step's arrivals (rounds ``first_round`` to 2); the next step (jumping over idle time to the next
        departures)."""
        for _ in range(first_round, 3):  # arrivals; people moving on to a site at the same node arrive at once
            if not self.pending:
                break
            self._arrivals(t)
        t += 1
        if not self.en_route and not self.pending and t < T:  # idle: jump
            jump = -(-t // self.spd) * self.spd  # the next day's start (now, if this is one)
            if len(ev["n"]):
                jump = min(jump, max(t, int(ev["t0"].min())))
            t = max(t, jump)
        return t

    def _new_day(self, ev: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Sites a new order covers close; who is inside when an operation starts; the day's release events."""
        inst, day = self.inst, self.day
        self.limit_used[:] = 0
        for j in np.flatnonzero((self.closing_day == day) & ~self.closed).tolist():
            self.closed[j] = True
            self.redisp_people[j] = self.occ[j] + self.without_at_site[j]
        for k in range(self.n_k):  # still inside on the operation's first day, before anyone moves
            op = inst.order_operation_day[k]
            if not math.isnan(op) and int(op) == day:
                home = inst.origin_people - self.released_origin
                sk = inst.site_order == k
                self.inside_at_op[k] = int(home[inst.origin_order == k].sum()) + int(
                    (self.occ[sk] + self.without_at_site[sk]).sum()
                )
        new = day_events(
            inst,
            day,
            self.daily[:, day],
            (self.net.origin_node, self.net.site_node),
            (self.redisp_people, self.redisp_sched),
            self.quota,
            self.limit_used,
            (day * self.spd + self.w0, self.access_steps),
        )
        new["tgt"] = np.full(len(new["n"]), -3, np.int64)
        new["e"] = np.full(len(new["n"]), -3, np.int64)
        return {k: np.concatenate([ev[k], new[k]]) for k in _EVENT_KEYS}

    def _release(self, ev: dict[str, np.ndarray], t: int, li: np.ndarray, amount: np.ndarray) -> None:
        """Departures due this step (events ``li``, ``amount`` people each: `kernel.due`) onto their first route
        element."""
        if len(li):
            js = ev["j"][li]
            tg = js.copy()
            und = js < 0
            if und.any():
                tg[und] = self._targets(ev["node"][li[und]])
            changed = np.flatnonzero(tg != ev["tgt"][li])
            for c in changed.tolist():  # a new destination: its route
                i = int(li[c])
                ev["tgt"][i] = tg[c]
                ev["e"][i] = (
                    self._route(int(ev["node"][i]), int(tg[c]), int(ev["m"][i]), bool(js[c] >= 0)) if tg[c] >= 0 else -1
                )
            mo, streams, elems = ev["m"][li], ev["s"][li], ev["e"][li]
            if self._leave_and_enter(t, streams, mo, amount, elems):
                return
            vul = self._depart(streams, mo, amount)
            self._enter(elems, tg, mo, amount, amount * float(t), vul, js >= 0, t)

    def _leave_and_enter(
        self, t: int, streams: np.ndarray, modes: np.ndarray, people: np.ndarray, elems: np.ndarray
    ) -> bool:
        """`_depart` and `_enter` in one compiled call when everyone leaves an origin onto a route element;
        False, with nothing changed, otherwise."""
        inst = self.inst
        origins = (inst.origin_order, inst.origin_vulnerable_share)
        books = (self.released_origin, self.left_order_inc, self.left_unordered_inc, self.dep_mode_day)
        ff = (self.el.ff_s, self.ff_sum)
        joined = kernel.leave_and_enter(
            self.day, t, streams, modes, people, elems, self.n_o, origins, books, self._el_arrays(), ff
        )
        if joined < 0:
            return False
        self.en_route += joined
        return True

    def _books(self, d: int) -> None:
        """The end of day ``d``: where everyone is (checked: nobody vanishes)."""
        inst = self.inst
        self.occ_day[:, d] = self.occ
        self.at_origin_day[d] = int(inst.origin_people.sum() - self.released_origin.sum())
        self.on_road_day[d] = self.en_route + sum(int(p[3].sum()) for p in self.pending)
        self.at_sites_day[d] = int(self.occ.sum())
        self.without_day[d] = int(self.without_at_site.sum()) + self.without_home
        total = self.at_origin_day[d] + self.on_road_day[d] + self.at_sites_day[d] + self.without_day[d]
        if total != inst.total_people:  # a hard invariant, never a rounding matter
            raise AssertionError(f"people not conserved on day {d}: {total} != {inst.total_people}")
