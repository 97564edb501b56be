"""Queue method: point queues on fixed routes. Streams of people follow given routes or the quickest route to the
nearest site with room; every link discharges its entry queue at capacity, vectorised over the links in use.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np

from . import queue_kernel
from .condensation import _identity_net, _Net, _unique
from .model import EvacuationInstance, Routing, _Core
from .steps import _release_layers, _stable_order, _steps
from .streams import _shortest_streams, _Stream

IDLE_PEOPLE = 1e-9  # the simulation stops when no more than this waits at open links and is on its way
# relative rounding of a float64 sum of non-negative terms, generously (numpy's pairwise sum: ~(16 + log2 n) eps;
# Python's sequential sum of m piece sums: m eps): within it of IDLE_PEOPLE the full sums decide
SUM_REL = 1e-6
ROUNDING = 64 * np.finfo(float).eps  # per add to the running total: the piece's pairwise sum and the add itself


@dataclass(frozen=True)
class _Trie:
    """Route-suffix trie: one element per (link, rest of route); quickest routes share their suffixes."""

    arc: np.ndarray  # the element's link
    next: np.ndarray  # the element people enter after the link, -1 at the route's end
    sink: np.ndarray  # the sink reached at the route's end, -1 elsewhere
    first: np.ndarray  # each stream's first element, -1 when its source is its sink


def _route_trie(streams: list[_Stream]) -> _Trie:
    """The trie of the streams' routes, built from each route's end.

    Elements are numbered in the order a walk over the streams, each route from its end, first meets them (the
    order the step loop's sums over elements follow). Level by level from the routes' ends an element is its
    (link, element after it) pair, so one sort per level names them all, and the numbering is the order of first
    meeting: a sort of the route links, where a dictionary walk took a Python step per link (~4 s at 3 M people).
    """
    n_s = len(streams)
    lengths = np.fromiter((len(st.route) for st in streams), dtype=np.int64, count=n_s)
    total = int(lengths.sum())
    first_elem = np.full(n_s, -1, dtype=np.int64)
    if total == 0:
        none = np.zeros(0, dtype=np.int64)
        return _Trie(arc=none, next=none, sink=none, first=first_elem)
    arcs = np.concatenate([np.asarray(st.route, dtype=np.int64) for st in streams])
    sinks = np.fromiter((st.sink for st in streams), dtype=np.int64, count=n_s)
    start = np.cumsum(lengths) - lengths  # each route's first link in `arcs`
    owner = np.repeat(np.arange(n_s), lengths)
    depth = start[owner] + lengths[owner] - 1 - np.arange(total)  # links after this one on its route
    name = np.empty(total, dtype=np.int64)  # per link of a route: its element, named level by level
    names = 0
    by_depth = np.argsort(depth, kind="stable")
    level_lo = np.searchsorted(depth[by_depth], np.arange(int(lengths.max()) + 1))
    for d in range(int(lengths.max())):
        at = by_depth[level_lo[d] : level_lo[d + 1]]
        after = sinks[owner[at]] if d == 0 else name[at + 1]  # the route's sink, or the element after
        key = arcs[at] * (int(after.max()) + 1) + after
        o = np.argsort(key, kind="stable")
        new = np.r_[True, key[o][1:] != key[o][:-1]]
        name[at[o]] = names + np.cumsum(new) - 1
        names += int(new.sum())
    # the walk meets position i at step start + depth; elements are numbered by the step first meeting them
    first_step = np.full(names, total, dtype=np.int64)
    np.minimum.at(first_step, name, start[owner] + depth)
    in_order = np.argsort(first_step)  # element names by number (first steps are distinct)
    number = np.empty(names, dtype=np.int64)
    number[in_order] = np.arange(names)
    where = np.empty(names, dtype=np.int64)  # a route link of each element (all give the same link and next)
    where[name] = np.arange(total)
    at_pos = where[in_order]
    at_end = depth[at_pos] == 0
    e_next = np.where(at_end, -1, number[name[np.minimum(at_pos + 1, total - 1)]])
    e_sink = np.where(at_end, sinks[owner[at_pos]], -1)
    has = lengths > 0
    first_elem[has] = number[name[start[has]]]
    return _Trie(arc=arcs[at_pos], next=e_next, sink=e_sink, first=first_elem)


@dataclass(frozen=True)
class _Releases:
    """The streams' departures in step order: stream, step, people; ``direct`` where the source is the sink."""

    item: np.ndarray
    step: np.ndarray
    people: np.ndarray
    direct: np.ndarray


def _stream_releases(streams: list[_Stream], inst: EvacuationInstance, trie: _Trie, dt: float) -> _Releases:
    """Departures of each stream by step, on its source's release schedule."""
    s_people = np.asarray([s.people for s in streams], dtype=np.int64)
    s_src = np.asarray([s.source for s in streams], dtype=np.int64)
    item, rk, ramt = _release_layers(
        s_people,
        inst.source_release_s[s_src] if len(s_src) else np.zeros(0),
        inst.source_spread_s[s_src] if len(s_src) else np.zeros(0),
        dt,
    )
    order = _stable_order(rk) if len(rk) and rk.min() >= 0 else np.argsort(rk, kind="stable")
    item, rk, ramt = item[order], rk[order], ramt[order]
    return _Releases(item=item, step=rk, people=ramt, direct=trie.first[item] < 0)  # direct: arrives at release


def _step_limit(streams: list[_Stream], tau: np.ndarray, rate_u: np.ndarray, last_rel: int, T_fixed: int | None) -> int:
    """Steps the simulation may run: the given horizon, or long enough for everyone through the slowest link."""
    pos_rate = rate_u[rate_u > 0]
    max_route = int(max((tau[s.route].sum() for s in streams), default=0))
    if T_fixed is not None:
        return int(T_fixed)
    s_people = np.asarray([s.people for s in streams], dtype=np.int64)
    longest = max((len(s.route) for s in streams), default=1)
    return int(
        last_rel
        + max_route
        + 2
        + longest * math.ceil(s_people.sum() / max(float(pos_rate.min()) if len(pos_rate) else 1.0, 1e-9))
    )


class _PointQueues:
    """The queue model's state as it runs: people waiting at each trie element, on their way, arrived.

    Per step only the links on some route are touched (at national scale a small part of the network), and
    people on their way are kept by the step they reach their link's end, so a step costs what happens in it:
    the elements where people wait are kept as a sorted set (``active``, plus those ``touched`` since the last
    discharge), and the people on their way as a running total, so neither a step nor the stopping test scans
    every route element or every pending arrival. The work on the waiting elements is compiled (``queue_kernel``);
    arrivals at the sites are kept for the steps that have some (``arrivals_at``).
    """

    def __init__(self, net: _Net, trie: _Trie, tau: np.ndarray, rate: np.ndarray, k: int, sink_cap: np.ndarray) -> None:
        self.m = net.m
        self.k = k
        self.trie = trie
        self.E = E = len(trie.arc)
        self.etau = tau[trie.arc] if E else np.zeros(0, np.int64)
        self.queue = np.zeros(E)
        self.term = trie.next < 0
        # step -> [(elements (ascending), people)] reaching the end of their link then; its steps in a heap
        self.calendar: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
        self.calendar_steps: list[int] = []
        self.used_arcs = _unique(trie.arc)
        U = len(self.used_arcs)
        self.eu = np.searchsorted(self.used_arcs, trie.arc)  # element -> used link
        self.rate_u = rate[self.used_arcs]
        self.room = np.where(np.isfinite(sink_cap), sink_cap, np.inf).astype(float)
        self.arrivals_at: list[tuple[int, np.ndarray]] = []  # (step, people accepted per sink), steps with some
        self.f_arc: list[np.ndarray] = []
        self.f_t: list[np.ndarray] = []
        self.f_val: list[np.ndarray] = []
        self.jam_first = np.full(U, -1, dtype=np.int64)
        self.jam_last = np.full(U, -1, dtype=np.int64)
        self.jam_steps = np.zeros(U, dtype=np.int64)
        self.max_q = np.zeros(U)
        self.turned_away = 0.0
        self.positive = net.capacity_per_h[self.used_arcs] > 0
        self.positive_e = self.positive[self.eu]
        # invariant: queue == 0 outside active ∪ touched; active is sorted
        self.active = np.zeros(0, np.int64)
        self.touched: list[np.ndarray] = []
        # people on their way: running total and a bound on its rounding error (people)
        self.transit = 0.0
        self.transit_err = 0.0
        # the kernels' scratch: per element and per used link, stamped by the call that wrote them
        self._stamp = 0
        self._mark_w = np.zeros(E, np.int64)
        self._mark_l = np.zeros(E, np.int64)
        self._acc = np.zeros(E)
        self._link_mark = np.zeros(U, np.int64)
        self._link_q = np.zeros(U)

    def _next_stamp(self) -> int:
        self._stamp += 1
        return self._stamp

    def release(self, e: np.ndarray, people: np.ndarray) -> None:
        """``people[i]`` join the entry queue of trie element ``e[i]``, in that order."""
        np.add.at(self.queue, e, people)
        self.touched.append(e)

    def _on_way(self, v: np.ndarray, sign: float) -> None:
        """Keep the running total of people on their way; the error bound covers the piece sum and the add."""
        s = float(v.sum())
        self.transit += sign * s
        self.transit_err += ROUNDING * (abs(s) + abs(self.transit))

    def arriving(self, t: int) -> np.ndarray | None:
        """People reaching their link's end at step ``t`` join the next queue; returns those at their sink
        (None when nobody reaches the end of a link)."""
        pieces = self.calendar.pop(t, None)
        if not pieces:
            return None
        ae = np.concatenate([p[0] for p in pieces])
        av = np.concatenate([p[1] for p in pieces])
        o = np.argsort(ae, kind="stable")  # element order: the sums add up as over every element
        ae, av = ae[o], av[o]
        self._on_way(av, -1.0)
        arr_sink = np.zeros(self.k)
        tgt = queue_kernel.land(
            ae, av, self.trie.next, self.trie.sink, self.queue, self._acc, self._mark_l, self._next_stamp(), arr_sink
        )
        if len(tgt):
            self.touched.append(tgt)
        return arr_sink

    def accept(self, t: int, arr_sink: np.ndarray) -> None:
        """Sinks take who arrives while they have room; the rest is turned away."""
        accepted = np.minimum(arr_sink, self.room)
        self.turned_away += float((arr_sink - accepted).sum())
        self.room -= accepted
        self.arrivals_at.append((t, accepted))

    def discharge(self, t: int) -> None:
        """Each link lets out of its entry queue what its capacity allows at step ``t``, every route in
        proportion to its share of the queue; what stays behind is a jam."""
        A = self._waiting()  # elements where people wait, ascending (as np.flatnonzero(queue))
        self.active = A
        if not len(A):
            return
        self.active, e_go, v_go, moved_u, moved_out = queue_kernel.discharge(
            A, t, self.queue, self.eu, self.rate_u, self.positive, self._link_q, self._link_mark,
            self._next_stamp(), self.jam_first, self.jam_last, self.jam_steps, self.max_q,
        )  # fmt: skip
        if len(e_go):
            at = t + self.etau[e_go]
            o = np.argsort(at, kind="stable")
            e_go, v_go, at = e_go[o], v_go[o], at[o]
            bounds = np.flatnonzero(np.diff(at, prepend=-1, append=-1)).tolist()
            for lo, hi in zip(bounds[:-1], bounds[1:]):
                step = int(at[lo])
                if step not in self.calendar:
                    self.calendar[step] = []
                    heapq.heappush(self.calendar_steps, step)
                self.calendar[step].append((e_go[lo:hi], v_go[lo:hi]))
            self._on_way(v_go, 1.0)
        if len(moved_u):  # compact storage: long runs record (arc, step) pairs by the million
            self.f_arc.append(self.used_arcs[moved_u].astype(np.int32))
            self.f_t.append(np.full(len(moved_u), t, dtype=np.int32))
            self.f_val.append(moved_out.astype(np.float32))

    def next_arrival(self) -> int | None:
        """The first step at which someone reaches the end of a link, if anyone is on the way."""
        while self.calendar_steps and self.calendar_steps[0] not in self.calendar:
            heapq.heappop(self.calendar_steps)
        return self.calendar_steps[0] if self.calendar_steps else None

    def _waiting(self) -> np.ndarray:
        """The elements with people in their queue, ascending; costs the waiting and touched elements only."""
        if self.touched:
            touched = self.touched[0] if len(self.touched) == 1 else np.concatenate(self.touched)
            self.touched = []
            return queue_kernel.waiting(self.active, touched, self.queue, self._mark_w, self._next_stamp())
        return self.active[self.queue[self.active] != 0]

    def idle(self) -> bool:
        """Nobody waits at an open link and nobody is on the way (called right after ``discharge``).

        Decides exactly as summing every open queue and every pending arrival (``_idle_full``) would: the sums
        over the waiting elements and the running total decide alone when they are clear of the 1e-9 threshold
        by more than their rounding can move them; only near it are the full sums taken."""
        on = self.active[self.positive_e[self.active]]
        stuck_free = float(self.queue[on].sum())
        if stuck_free > IDLE_PEOPLE * (1 + SUM_REL):
            return False
        if stuck_free >= IDLE_PEOPLE * (1 - SUM_REL):
            return self._idle_full()
        if not self.calendar:
            return True
        if (self.transit - self.transit_err) * (1 - SUM_REL) > IDLE_PEOPLE:
            return False
        return self._idle_full()

    def _idle_full(self) -> bool:
        """The stopping test over every element and every pending arrival (the reference; costly)."""
        stuck_free = float(self.queue[self.positive_e].sum()) if self.E else 0.0
        return (
            stuck_free <= IDLE_PEOPLE
            and sum(float(v.sum()) for ps in self.calendar.values() for _, v in ps) <= IDLE_PEOPLE
        )

    def core(self, T: int) -> _Core:
        """The run as whole people per sink and step, flows and jams per network link."""
        k = self.k
        arrivals_f = np.zeros((k, T))
        for t, accepted in self.arrivals_at:
            arrivals_f[:, t] = accepted
        # whole people: round cumulative arrivals so totals are exact and the curve stays monotone
        cum = np.floor(np.cumsum(arrivals_f, axis=1) + 1e-6)
        arrivals = np.diff(np.concatenate([np.zeros((k, 1)), cum], axis=1), axis=1).astype(np.int64)
        notes = []
        if self.turned_away > 0.5:
            notes.append(
                f"{self.turned_away:,.0f} people reached a full site on their fixed route and were turned away"
            )
        return _Core(
            T=T,
            arrivals=arrivals,
            flow_arc=_cat(self.f_arc, np.int32),
            flow_t=_cat(self.f_t, np.int32),
            flow_val=_cat(self.f_val, np.float32),
            jam_first=self._on_net(self.jam_first, -1),
            jam_last=self._on_net(self.jam_last, -1),
            jam_steps=self._on_net(self.jam_steps, 0),
            max_queue=self._on_net(self.max_q, 0.0),
            status="simulated",
            notes=notes,
        )

    def _on_net(self, v: np.ndarray, fill: float) -> np.ndarray:
        """Per used link -> per network link."""
        out = np.full(self.m, fill, dtype=v.dtype)
        out[self.used_arcs] = v
        return out


def _cat(xs: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(xs).astype(dtype) if xs else np.zeros(0, dtype)


def _solve_queue(
    net: _Net,
    dt: float,
    streams: list[_Stream],
    inst: EvacuationInstance,
    sinks_net: np.ndarray,
    sink_cap: np.ndarray,
    T_fixed: int | None,
) -> _Core:
    """Simulate the point queues step by step until nobody waits or walks (at most ``T_fixed`` steps)."""
    tau = _steps(net.travel_time_s, dt)
    rate = net.capacity_per_h * dt / 3600.0
    trie = _route_trie(streams)
    rel = _stream_releases(streams, inst, trie, dt)
    last_rel = int(rel.step.max()) if len(rel.step) else 0
    s_sink = np.asarray([s.sink for s in streams], dtype=np.int64)
    sim = _PointQueues(net, trie, tau, rate, len(sinks_net), sink_cap)
    T_max = _step_limit(streams, tau, sim.rate_u, last_rel, T_fixed)
    # each step's departures as one slice; np.add.at adds in slice order, as one by one did
    rel_sink = s_sink[rel.item]
    rel_elem = trie.first[rel.item]
    rp = 0
    t = 0
    while t < T_max:
        arr_sink = sim.arriving(t)
        if rp < len(rel.step) and rel.step[rp] == t:
            hi = int(np.searchsorted(rel.step, t, side="right"))
            d = rel.direct[rp:hi]
            if d.any():
                arr_sink = np.zeros(len(sinks_net)) if arr_sink is None else arr_sink
                np.add.at(arr_sink, rel_sink[rp:hi][d], rel.people[rp:hi][d])
            sim.release(rel_elem[rp:hi][~d], rel.people[rp:hi][~d])
            rp = hi
        if arr_sink is not None:  # a step without arrivals accepts nobody and turns nobody away
            sim.accept(t, arr_sink)
        sim.discharge(t)
        t += 1
        if t > last_rel and rp >= len(rel.step) and sim.idle():
            break
        if not len(sim.active):  # nobody waits: nothing happens before the next arrival or departure
            t = _next_event(t, sim.next_arrival(), int(rel.step[rp]) if rp < len(rel.step) else None, T_max)
    return sim.core(t)


def _next_event(t: int, arrival: int | None, departure: int | None, T_max: int) -> int:
    """The step the loop goes on from when nobody waits at step ``t``: the next arrival at a link's end or the
    next departure, at most ``T_max``. The steps skipped would change nothing: no queue, no arrival, and the
    stopping test answers as it did at ``t`` (its sums are unchanged)."""
    nxt = min(x for x in (arrival, departure, T_max) if x is not None)
    return max(t, nxt)


def _run_queue(
    instance: EvacuationInstance,
    net: _Net,
    src_net: np.ndarray,
    sinks_net: np.ndarray,
    routing: Routing,
    dt: float,
    T_fixed: int | None,
) -> tuple[_Core, _Net]:
    """Queue model on given routes (fixed) or quickest routes to the nearest site with room."""
    people = instance.source_people
    if routing == "fixed" and instance.routes is not None and any(r is not None for r in instance.routes):
        qnet = _identity_net(instance)  # given routes are original arcs: simulate on the full network
        q_src, q_sinks = instance.source_node.copy(), instance.sink_node.copy()
    else:
        qnet, q_src, q_sinks = net, src_net, sinks_net
    streams: list[_Stream] = []
    need_shortest = np.ones(len(people), dtype=bool)
    if qnet is not net:
        sink_at: dict[int, int] = {}
        for j in range(len(q_sinks)):
            sink_at.setdefault(int(q_sinks[j]), j)
        for i, r in enumerate(instance.routes or []):
            if r is not None and people[i] > 0:
                end = int(instance.arc_to[r[-1]]) if len(r) else int(instance.source_node[i])
                streams.append(_Stream(source=i, sink=sink_at[end], people=int(people[i]), route=r))
                need_shortest[i] = False
    sub = np.where(need_shortest & (q_src >= 0), people, 0)
    extra, _unassigned = _shortest_streams(qnet, q_src, sub, q_sinks, instance.sink_capacity)
    streams.extend(extra)
    return _solve_queue(qnet, dt, streams, instance, q_sinks, instance.sink_capacity, T_fixed), qnet
