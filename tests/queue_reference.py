"""The queue model's step loop as it was before issue 24 made each step cost what moves in it (commit e9021d2):
it scans every route element per step and re-adds every pending arrival to decide whether to stop. Kept as the
reference that tests/test_queue_steps.py compares the current `_solve_queue` against, bit for bit; with it the
array version of the departures' release layers (`release_layers`, before they were compiled), and the
dictionary walk that built the route trie (`route_trie`, before it was sorted level by level)."""

from __future__ import annotations

import numpy as np

from reliefplan.solvers.evacuation.condensation import _Net, _unique
from reliefplan.solvers.evacuation.model import EvacuationInstance, _Core
from reliefplan.solvers.evacuation.queue import _step_limit, _Stream, _stream_releases, _Trie
from reliefplan.solvers.evacuation.steps import _cap_at, _steps


class _PointQueues:
    """The queue model's state as it runs: people waiting at each trie element, on their way, arrived.

    Per step only the links on some route are touched (at national scale a small part of the network), and
    people on their way are kept by the step they reach their link's end, so a step costs what happens in it.
    """

    def __init__(self, net: _Net, trie: _Trie, tau: np.ndarray, rate: np.ndarray, k: int, sink_cap: np.ndarray) -> None:
        self.m = net.m
        self.k = k
        self.trie = trie
        self.E = E = len(trie.arc)
        self.etau = tau[trie.arc] if E else np.zeros(0, np.int64)
        self.queue = np.zeros(E)
        self.term = trie.next < 0
        # step -> [(elements (ascending), people)] reaching the end of their link then
        self.calendar: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
        self.used_arcs = _unique(trie.arc)
        U = len(self.used_arcs)
        self.eu = np.searchsorted(self.used_arcs, trie.arc)  # element -> used link
        self.rate_u = rate[self.used_arcs]
        self.room = np.where(np.isfinite(sink_cap), sink_cap, np.inf).astype(float)
        self.arrivals_cols: list[np.ndarray] = []
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

    def arriving(self, t: int) -> np.ndarray:
        """People reaching their link's end at step ``t`` join the next queue; returns those at their sink."""
        arr_sink = np.zeros(self.k)
        pieces = self.calendar.pop(t, None)
        if pieces:
            en, es, queue = self.trie.next, self.trie.sink, self.queue
            ae = np.concatenate([p[0] for p in pieces])
            av = np.concatenate([p[1] for p in pieces])
            o = np.argsort(ae, kind="stable")  # element order: the sums below add up as over every element
            ae, av = ae[o], av[o]
            nt = ~self.term[ae]
            if nt.any():
                tgt, inv = np.unique(en[ae[nt]], return_inverse=True)
                queue[tgt] += np.bincount(inv, weights=av[nt], minlength=len(tgt))
            if (~nt).any():
                arr_sink += np.bincount(es[ae[~nt]], weights=av[~nt], minlength=self.k)
        return arr_sink

    def accept(self, arr_sink: np.ndarray) -> None:
        """Sinks take who arrives while they have room; the rest is turned away."""
        accepted = np.minimum(arr_sink, self.room)
        self.turned_away += float((arr_sink - accepted).sum())
        self.room -= accepted
        self.arrivals_cols.append(accepted)

    def discharge(self, t: int) -> None:
        """Each link lets out of its entry queue what its capacity allows at step ``t``, every route in
        proportion to its share of the queue; what stays behind is a jam."""
        queue = self.queue
        A = np.flatnonzero(queue) if self.E else np.zeros(0, np.int64)  # elements where people wait
        if not len(A):
            return
        ua, inv = np.unique(self.eu[A], return_inverse=True)
        Q = np.bincount(inv, weights=queue[A], minlength=len(ua))
        u = _cap_at(self.rate_u[ua], np.full(len(ua), t)).astype(float)
        out = np.minimum(Q, u)
        frac = np.divide(out, Q, out=np.zeros(len(ua)), where=Q > 0)
        out_e = queue[A] * frac[inv]
        queue[A] -= out_e
        go = out_e != 0
        if go.any():
            e_go, v_go = A[go], out_e[go]
            at = t + self.etau[e_go]
            o = np.argsort(at, kind="stable")
            e_go, v_go, at = e_go[o], v_go[o], at[o]
            cuts = np.flatnonzero(at[1:] != at[:-1]) + 1
            for lo, hi in zip(np.r_[0, cuts].tolist(), np.r_[cuts, len(at)].tolist()):
                self.calendar.setdefault(int(at[lo]), []).append((e_go[lo:hi], v_go[lo:hi]))
        moved = np.flatnonzero(out > 0)
        if len(moved):  # compact storage: long runs record (arc, step) pairs by the million
            self.f_arc.append(self.used_arcs[ua[moved]].astype(np.int32))
            self.f_t.append(np.full(len(moved), t, dtype=np.int32))
            self.f_val.append(out[moved].astype(np.float32))
        left = Q - out
        jam = (left > 1e-9) & self.positive[ua]
        if jam.any():
            jj = ua[jam]
            self.jam_first[jj] = np.where(self.jam_first[jj] < 0, t, self.jam_first[jj])
            self.jam_last[jj] = t
            self.jam_steps[jj] += 1
            self.max_q[jj] = np.maximum(self.max_q[jj], left[jam])

    def idle(self) -> bool:
        """Nobody waits at an open link and nobody is on the way."""
        stuck_free = float(self.queue[self.positive_e].sum()) if self.E else 0.0
        return stuck_free <= 1e-9 and sum(float(v.sum()) for ps in self.calendar.values() for _, v in ps) <= 1e-9

    def core(self, T: int) -> _Core:
        """The run as whole people per sink and step, flows and jams per network link."""
        k = self.k
        arrivals_f = np.stack(self.arrivals_cols, axis=1) if self.arrivals_cols else np.zeros((k, 0))
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


def route_trie(streams: list[_Stream]) -> _Trie:
    """The trie of the streams' routes, built from each route's end (one dictionary look-up per route link)."""
    key_of: dict[tuple[int, int], int] = {}
    e_arc: list[int] = []
    e_next: list[int] = []
    e_sink: list[int] = []
    first_elem = np.full(len(streams), -1, dtype=np.int64)
    for s_i, st in enumerate(streams):
        nxt = -1 - st.sink  # terminal marker
        for a in st.route[::-1].tolist():
            key = (a, nxt)
            e = key_of.get(key)
            if e is None:
                e = len(e_arc)
                key_of[key] = e
                e_arc.append(a)
                e_next.append(nxt if nxt >= 0 else -1)
                e_sink.append(-1 - nxt if nxt < 0 else -1)
            nxt = e
        first_elem[s_i] = nxt if nxt >= 0 else -1
    return _Trie(
        arc=np.asarray(e_arc, dtype=np.int64),
        next=np.asarray(e_next, dtype=np.int64),
        sink=np.asarray(e_sink, dtype=np.int64),
        first=first_elem,
    )


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
    trie = route_trie(streams)
    rel = _stream_releases(streams, inst, trie, dt)
    last_rel = int(rel.step.max()) if len(rel.step) else 0
    s_sink = np.asarray([s.sink for s in streams], dtype=np.int64)
    sim = _PointQueues(net, trie, tau, rate, len(sinks_net), sink_cap)
    T_max = _step_limit(streams, tau, sim.rate_u, last_rel, T_fixed)
    rp = 0
    t = 0
    while t < T_max:
        arr_sink = sim.arriving(t)
        while rp < len(rel.step) and rel.step[rp] == t:
            if rel.direct[rp]:
                arr_sink[s_sink[rel.item[rp]]] += rel.people[rp]
            else:
                sim.queue[trie.first[rel.item[rp]]] += rel.people[rp]
            rp += 1
        sim.accept(arr_sink)
        sim.discharge(t)
        t += 1
        if t > last_rel and rp >= len(rel.step) and sim.idle():
            break
    return sim.core(t)


RELEASE_CHUNK = 4_000_000  # (item, step) pairs expanded at a time: a national move has ~10^8


def release_layers(
    people: np.ndarray, release_s: np.ndarray, spread_s: np.ndarray, dt: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(item, step, people) of departures: uniform release over [r, r+s), each at the next step start."""
    k0 = np.ceil(release_s / dt - 1e-9).astype(np.int64)
    k1 = np.where(spread_s > 0, np.ceil((release_s + spread_s) / dt - 1e-9), k0).astype(np.int64)
    k1 = np.maximum(k1, k0)
    cnt = np.where(people > 0, k1 - k0 + 1, 0)
    if (
        cnt.sum() > RELEASE_CHUNK and len(people) > 1
    ):  # by blocks of items, in item order: the same triples, bounded memory
        ends = np.searchsorted(np.cumsum(cnt), np.arange(RELEASE_CHUNK, int(cnt.sum()), RELEASE_CHUNK))
        bounds = np.unique(np.r_[0, np.maximum(ends, 1), len(people)])
        parts = [
            release_layers(people[a:b], release_s[a:b], spread_s[a:b], dt) for a, b in zip(bounds[:-1], bounds[1:])
        ]
        return (
            np.concatenate([p[0] + a for p, a in zip(parts, bounds[:-1])]),
            np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]),
        )
    item = np.repeat(np.arange(len(people)), cnt)
    first = np.repeat(np.cumsum(cnt) - cnt, cnt)
    k = k0[item] + (np.arange(len(item)) - first)
    r, s, p = release_s[item], spread_s[item], people[item]
    frac = np.where(s > 0, np.clip((k * dt - r) / np.where(s > 0, s, 1.0), 0.0, 1.0), 1.0)
    frac[np.r_[first[1:] != first[:-1], True] if len(item) else np.zeros(0, bool)] = 1.0  # last step: everyone
    cum = np.floor(p * frac + 1e-9).astype(np.int64)
    prev = np.r_[0, cum[:-1]] if len(cum) else cum
    is_first = np.arange(len(item)) == first
    amount = np.where(is_first, cum, cum - prev)
    nz = amount > 0
    return item[nz], k[nz], amount[nz]
