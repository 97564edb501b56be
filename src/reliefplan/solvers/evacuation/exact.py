"""Exact method: the time-expanded network (one copy of every node per step), the quickest horizon by max flows
(bounds, widening, bisection), the schedule by a min-cost flow (or the capacity-free relaxation when it fits), and
the bottlenecks as the links of a minimum cut one step short of the clearance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from .._mcf import min_cost_flow, solved_max_flow
from .condensation import _Net
from .model import _Core
from .paths import _reverse_dist, _reverse_graph, _SinkPaths
from .relaxation import RELAXATION_PAIRS_LIMIT, _quickest_relaxed, _Relaxation, _relaxed_schedule
from .steps import _cap_at, _jam_stats, _steps

# Above this the exact method keeps the optimal clearance but schedules with a max flow instead of a
# min-cost flow (the network simplex takes ~5 s at 180 k expanded arcs, ~12 s at 265 k: it grows faster
# than the graph).
MIN_COST_ARCS_LIMIT = 200_000
# The exact method first solves the schedule with link capacities dropped (a transportation problem:
# nobody waits, everyone walks a quickest route to the site chosen for them). If those routes fit every
# link's capacity at every step, that schedule is optimal for the expanded network too (a feasible
# optimum of a relaxation) and costs a small static min-cost flow instead of one on the expanded network.
RELAXATION_FIRST = True
# The max flow of the last horizon found too short is kept for its minimum cut (the bottlenecks) up to this
# many expanded arcs; above, the cut is solved again rather than holding a second graph in memory.
KEEP_CUT_ARCS_LIMIT = 1_000_000
# Beyond this the exact method refuses (auto falls back to the queue model).
EXPANDED_ARCS_LIMIT = 30_000_000


class _TooLarge(Exception):
    """The time-expanded network would not fit; callers fall back or report."""


@dataclass
class _Ten:
    tails: np.ndarray
    heads: np.ndarray
    caps: np.ndarray
    costs: np.ndarray
    seg: dict[str, slice]
    move_arc: np.ndarray
    move_t: np.ndarray
    s_node: int
    t_node: int
    T: int


def _build_ten(
    net: _Net,
    tau: np.ndarray,
    rate: np.ndarray,
    rel_node: np.ndarray,
    rel_k: np.ndarray,
    rel_amt: np.ndarray,
    sinks: np.ndarray,
    sink_cap: np.ndarray,
    T: int,
    big: int,
    hold_cost: np.ndarray,
    with_costs: bool,
) -> _Ten:
    n, m, k = net.n, net.m, len(sinks)
    cnt = np.maximum(T - tau, 0)
    move_arc = np.repeat(np.arange(m), cnt)
    move_t = np.arange(len(move_arc)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    mv_tail = move_t * n + net.frm[move_arc]
    mv_head = (move_t + tau[move_arc]) * n + net.to[move_arc]
    mv_cap = _cap_at(rate[move_arc], move_t)
    hv = np.arange(max(T - 1, 0) * n)
    hd_tail, hd_head = hv, hv + n
    sk_j = np.repeat(np.arange(k), T)
    sk_t = np.tile(np.arange(T), k)
    sk_tail = sk_t * n + sinks[sk_j]
    sk_head = T * n + sk_j
    s_node, t_node = T * n + k, T * n + k + 1
    ok = rel_k < T
    parts = {
        "move": (mv_tail, mv_head, mv_cap),
        "hold": (hd_tail, hd_head, np.full(len(hv), big)),
        "sink": (sk_tail, sk_head, np.full(len(sk_j), big)),
        "agg": (
            T * n + np.arange(k),
            np.full(k, t_node),
            np.where(np.isfinite(sink_cap), np.floor(np.minimum(sink_cap, big)), big),
        ),
        "src": (np.full(int(ok.sum()), s_node), rel_k[ok] * n + rel_node[ok], rel_amt[ok]),
    }
    seg, start = {}, 0
    for name, (tl, _, _) in parts.items():
        seg[name] = slice(start, start + len(tl))
        start += len(tl)
    tails = np.concatenate([p[0] for p in parts.values()]).astype(np.int64)
    heads = np.concatenate([p[1] for p in parts.values()]).astype(np.int64)
    caps = np.concatenate([p[2] for p in parts.values()]).astype(np.int64)
    costs = np.zeros(0, np.int64)
    if with_costs:
        # Lexicographic-ish costs: arrival time dominates (K per step); ties go to moving early and
        # waiting close to the sinks (queues form at the bottleneck, as in reality) and to no detours
        # (a moving step costs more than any waiting step, so nobody walks in circles).
        dmax = int(hold_cost.max()) if len(hold_cost) else 0
        K = T * (dmax + 1) + 1
        costs = np.concatenate(
            [
                tau[move_arc] * (dmax + 1),
                np.tile(hold_cost, max(T - 1, 0)),
                K * (sk_t + 1),
                np.zeros(k, np.int64),
                np.zeros(int(ok.sum()), np.int64),
            ]
        ).astype(np.int64)
    return _Ten(tails, heads, caps, costs, seg, move_arc, move_t, s_node, t_node, T)


def _flows_on_ten(
    ten: _Ten, net: _Net, tau: np.ndarray, m_arc: np.ndarray, m_t: np.ndarray, val: np.ndarray, arrivals: np.ndarray
) -> np.ndarray:
    """Arc flows of the expanded network for a schedule given as moves and arrivals (nobody waits)."""
    flows = np.zeros(len(ten.tails), dtype=np.int64)
    cnt = np.maximum(ten.T - tau, 0)
    flows[ten.seg["move"].start + (np.cumsum(cnt) - cnt)[m_arc] + m_t] = val
    flows[ten.seg["sink"]] = arrivals.reshape(-1)
    flows[ten.seg["agg"]] = arrivals.sum(axis=1)
    return flows


def _ten_size(net: _Net, n_sinks: int, T: int) -> int:
    return T * (net.m + net.n + n_sinks)


def _solved_max_flow(ten: _Ten) -> Any:
    """The expanded network's max flow, solved (value, flows and minimum cut readable)."""
    return solved_max_flow(ten.tails, ten.heads, ten.caps, ten.s_node, ten.t_node)


def _max_flow(ten: _Ten, flows: bool = False) -> Any:
    """Max flow value of the expanded network (and the arc flows if asked)."""
    mf = _solved_max_flow(ten)
    if flows:
        return int(mf.optimal_flow()), np.asarray(mf.flows(np.arange(len(ten.tails))), dtype=np.int64)
    return int(mf.optimal_flow())


def _min_cut_source_side(ten: _Ten, mf: Any = None) -> np.ndarray:
    """Boolean mask of expanded nodes on the source side of a minimum cut (``mf``: its solved max flow)."""
    mf = _solved_max_flow(ten) if mf is None else mf
    side = np.zeros(ten.t_node + 1, dtype=bool)
    side[np.asarray(mf.get_source_side_min_cut(), dtype=np.int64)] = True
    return side


class _Expanded:
    """One solve's time-expanded network at any horizon: its data, the max flows tried so far, its schedules."""

    def __init__(
        self,
        net: _Net,
        dt: float,
        rel_node: np.ndarray,
        rel_k: np.ndarray,
        rel_amt: np.ndarray,
        sinks: np.ndarray,
        sink_cap: np.ndarray,
        deliverable: int,
    ) -> None:
        self.net, self.dt, self.deliverable = net, dt, deliverable
        self.rel_node, self.rel_k, self.rel_amt = rel_node, rel_k, rel_amt
        self.sinks, self.sink_cap = sinks, sink_cap
        self.tau = _steps(net.travel_time_s, dt)
        self.rate = net.capacity_per_h * dt / 3600.0
        total = int(rel_amt.sum())
        self.big = total + 1
        self.k = k = len(sinks)
        if k:
            dist_steps = np.asarray(_reverse_dist(net, np.unique(sinks), self.tau.astype(float), min_only=True))
        else:
            dist_steps = np.full(net.n, np.inf)
        self.dist_steps = dist_steps
        self.reach = np.isfinite(dist_steps)
        self.hold_cost = np.where(self.reach, np.round(dist_steps), 0).astype(np.int64)
        self.dmax = int(self.hold_cost.max()) if len(self.hold_cost) else 0
        self.notes: list[str] = []
        self.rx: _Relaxation | None = None
        if RELAXATION_FIRST and 0 < k and k * net.n <= RELAXATION_PAIRS_LIMIT and len(rel_k):
            rx = _Relaxation(_SinkPaths.build(net, self.tau, sinks), rel_node, rel_k, rel_amt, sink_cap)
            self.rx = rx if rx.usable else None
        self.flow_value: dict[int, int] = {}  # max flow of each horizon tried: the min-cost solve need not redo it
        self.too_short: dict[int, tuple[_Ten, Any]] = {}

    def build(self, T: int, with_costs: bool = False) -> _Ten:
        """The expanded network with ``T`` steps."""
        return _build_ten(
            self.net,
            self.tau,
            self.rate,
            self.rel_node,
            self.rel_k,
            self.rel_amt,
            self.sinks,
            self.sink_cap,
            T,
            self.big,
            self.hold_cost,
            with_costs,
        )

    def check_size(self, T: int) -> None:
        if _ten_size(self.net, self.k, T) > EXPANDED_ARCS_LIMIT:
            raise _TooLarge(
                f"time-expanded network would exceed {EXPANDED_ARCS_LIMIT:,} arcs "
                f"({T} steps of {self.dt:g} s); use a larger time step or the queue method"
            )

    def feasible(self, T: int) -> bool:
        """Does everyone who can arrive do so within ``T`` steps (a max flow)?"""
        self.check_size(T)
        ten = self.build(T)
        mf = _solved_max_flow(ten)
        self.flow_value[T] = int(mf.optimal_flow())
        if self.flow_value[T] < self.deliverable:  # the last horizon found too short: its minimum cut is the bottleneck
            self.too_short.clear()
            if len(ten.tails) <= KEEP_CUT_ARCS_LIMIT:
                self.too_short[T] = ten, mf
        return self.flow_value[T] >= self.deliverable

    def schedule(self, T: int) -> tuple[_Ten, np.ndarray]:
        """The expanded network with ``T`` steps and its arc flows: the relaxation's schedule when it fits, else a
        min-cost flow, or a max flow above MIN_COST_ARCS_LIMIT."""
        self.check_size(T)
        relaxed = None if self.rx is None else _relaxed_schedule(self.rx, self.tau, self.rate, T, self.dmax)
        if relaxed is not None:
            ten = self.build(T)
            return ten, _flows_on_ten(ten, self.net, self.tau, *relaxed)
        if _ten_size(self.net, self.k, T) > MIN_COST_ARCS_LIMIT:
            # min-cost flow grows too slow on deep expanded graphs: keep the optimal horizon but
            # take the schedule from a max flow (arrivals within the horizon, not earliest)
            ten = self.build(T)
            self.notes.append(
                f"expanded network of {len(ten.tails):,} arcs: clearance is optimal for the time step, "
                "but the schedule comes from a max flow, so arrival curves are not the earliest possible"
            )
            return ten, _max_flow(ten, flows=True)[1]
        ten = self.build(T, with_costs=True)
        return ten, self.min_cost_flows(ten)

    def live_copies(self, T: int) -> np.ndarray:
        """Boolean [T, n]: the node copies some flow can use, those a released person can reach by then (the
        quickest walk from the earliest release) that still reach a site by step ``T - 1``."""
        net, n = self.net, self.net.n
        first = np.full(n, np.inf)
        np.minimum.at(first, self.rel_node, self.rel_k)
        src = np.flatnonzero(np.isfinite(first))
        # forward quickest steps from every release node, each starting at its first release (a root node n)
        fwd = sp.coo_array(_reverse_graph(net, self.tau.astype(float)).T)
        g = sp.csr_array(
            (np.r_[fwd.data, first[src] + 1e-6], (np.r_[fwd.row, np.full(len(src), n)], np.r_[fwd.col, src])),
            shape=(n + 1, n + 1),
        )
        early = np.round(dijkstra(g, directed=True, indices=n)[:n])
        late = (T - 1) - np.round(self.dist_steps)
        t = np.arange(T)[:, None]
        return (t >= early[None, :]) & (t <= late[None, :])

    def min_cost_flows(self, ten: _Ten) -> np.ndarray:
        """Arc flows of the least-cost maximum flow of ``ten`` (its arc layout), solved on a smaller network with
        the same feasible flows: only the node copies some flow can use (``live_copies``), and, when everyone
        released can arrive, the departures as node supplies and the sites' totals as demands instead of a
        super-source and super-sink (LEMON's network simplex is 1.3-1.8x faster on it, jammed Rafah members)."""
        T, n, k = ten.T, self.net.n, self.k
        value = self.flow_value.get(T)
        if value is None:
            value = _max_flow(ten)
        flows = np.zeros(len(ten.tails), dtype=np.int64)
        if value == 0:
            return flows
        src, agg = ten.seg["src"], ten.seg["agg"]
        n_nodes = ten.t_node + 1
        live = np.ones(n_nodes, dtype=bool)
        live[: T * n] = self.live_copies(T).reshape(-1)
        keep = live[ten.tails] & live[ten.heads]
        supply = np.zeros(n_nodes, dtype=np.int64)
        # everyone released can arrive: every departure is then on some flow's path, so its copy is live
        by_supply = int(ten.caps[src].sum()) == value and bool(keep[src].all())
        if by_supply:  # everyone released leaves: the departures are supplies, no super-source
            keep[src] = False
            np.add.at(supply, ten.heads[src], ten.caps[src])
            sink_caps = ten.caps[agg]
            if int(sink_caps.sum()) == value:  # every site takes exactly its total: demands, no super-sink
                keep[agg] = False
                supply[T * n : T * n + k] = -sink_caps
            else:
                supply[ten.t_node] = -value
        else:
            supply[ten.s_node], supply[ten.t_node] = value, -value
        used = np.flatnonzero(np.bincount(np.r_[ten.tails[keep], ten.heads[keep]], minlength=n_nodes) | (supply != 0))
        renum = np.full(n_nodes, -1, dtype=np.int64)
        renum[used] = np.arange(len(used))
        arcs = np.flatnonzero(keep)
        flows[arcs] = min_cost_flow(
            renum[ten.tails[arcs]], renum[ten.heads[arcs]], ten.caps[arcs], ten.costs[arcs], supply[used]
        )
        if by_supply:
            flows[src] = ten.caps[src]
            flows[agg] = flows[ten.seg["sink"]].reshape(k, T).sum(axis=1)
        return flows

    def last_arrival(self, ten: _Ten, flows: np.ndarray, T: int) -> int:
        """Steps until the last arrival of a schedule (at least 1)."""
        k = self.k
        per_t = flows[ten.seg["sink"]].reshape(k, T).sum(axis=0) if k else np.zeros(T)
        nz_t = np.flatnonzero(per_t)
        return int(nz_t[-1]) + 1 if len(nz_t) else 1


def _solve_exact(ex: _Expanded, rate_per_h: float, T_fixed: int | None, T_upper: int | None = None) -> _Core:
    """The quickest schedule on the expanded network (with ``T_fixed`` steps if given), and its bottlenecks;
    ``rate_per_h``: the network's throughput (bounds the horizon)."""
    rel_k, deliverable = ex.rel_k, ex.deliverable
    cut_arc: np.ndarray | None = None
    cut_t = np.zeros(0, np.int64)
    if T_fixed is not None:
        T = max(int(T_fixed), 1)
        ten, flows = ex.schedule(T)
    elif deliverable == 0:
        T = int(rel_k.max()) + 1 if len(rel_k) else 1
        ten, flows = ex.schedule(T)
    else:
        lo, hi = _quickest_horizon(ex, rate_per_h, T_upper)
        if lo >= 1:
            cut_arc, cut_t = _clearance_cut(ex, lo)
        ten, flows = ex.schedule(hi)
        T = ex.last_arrival(ten, flows, hi)
    return _core_of_schedule(ex, ten, flows, T, cut_arc, cut_t)


def _quickest_horizon(ex: _Expanded, rate_per_h: float, T_upper: int | None) -> tuple[int, int]:
    """(lo, hi): the smallest horizon ``hi`` in which everyone who can arrive does, ``lo = hi - 1`` too short
    (0 when no shorter horizon was tried). Bounds first, then widening, then bisection by max flows."""
    rel_k, rel_node, dist_steps, deliverable, rx = ex.rel_k, ex.rel_node, ex.dist_steps, ex.deliverable, ex.rx
    last_rel = int(rel_k.max()) + 1
    # lower bound: the last released person still has to walk (only valid if no site fills up)
    lo = 0
    rr = ex.reach[rel_node]
    if np.all(~np.isfinite(ex.sink_cap)) and rr.any():
        lo = int((rel_k[rr] + dist_steps[rel_node[rr]]).max())  # infeasible: arrivals need layer >= this
    # throughput bound: everyone crosses the network's minimum cut at its rate
    rate_step = rate_per_h * ex.dt / 3600.0
    lo = max(lo, int(math.floor(deliverable / max(rate_step, 1e-9))) - 1)
    hi = max(lo + 1, last_rel, int(lo + 1 + math.ceil(deliverable / max(rate_step, 1e-9))))
    gap = 0
    if rx is not None:
        # the relaxation's quickest horizon (cheap max flows on its small graph) bounds the real one
        # from below and is the real one whenever the links do not jam: try it first, then widen
        T_rx = _quickest_relaxed(rx, deliverable, int(rel_k.max()) + 2 + int(rx.d[np.isfinite(rx.d)].max(initial=0)))
        if T_rx is not None and T_rx - 1 > lo:
            lo, hi, gap = T_rx - 1, T_rx, 1
    if T_upper is not None and lo < T_upper < hi:
        hi = int(T_upper)
    if lo > 0 and ex.feasible(lo):  # bounds are proofs, but a wrong one would silently cost optimality
        lo, gap = 0, 0
    widened = False
    while not ex.feasible(hi):
        widened = True
        if gap:
            lo, hi, gap = hi, hi + _next_gap(ex, hi, gap), 2 * gap
        else:
            lo, hi = hi, hi * 2
    if widened and hi - lo > 1 and not ex.feasible(hi - 1):  # the extrapolation hit it: one max flow proves it
        return hi - 1, hi
    # smallest horizon in which everyone who can arrive does (max flows are cheap; min cost is not)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ex.feasible(mid):
            hi = mid
        else:
            lo = mid
    return lo, hi


def _next_gap(ex: _Expanded, hi: int, gap: int) -> int:
    """Steps to add to a horizon ``hi`` found too short: the people still missing at the rate the horizons tried
    last added per step (jammed roads: a minimum cut then passes the same number each step), else twice the last
    gap. A guess; the max flows decide."""
    shorter = [t for t in ex.flow_value if t < hi]
    if not shorter:
        return 2 * gap
    before = max(shorter)
    per_step = (ex.flow_value[hi] - ex.flow_value[before]) / (hi - before)
    if per_step <= 0:
        return 2 * gap
    return max(1, math.ceil((ex.deliverable - ex.flow_value[hi]) / per_step))


def _clearance_cut(ex: _Expanded, lo: int) -> tuple[np.ndarray, np.ndarray]:
    """The links that set the clearance: (arc, step) of a minimum cut one step short of it (``lo`` steps)."""
    if lo in ex.too_short:
        cut_ten, cut_mf = ex.too_short.pop(lo)
    else:
        cut_ten = ex.build(lo)
        cut_mf = None
    side = _min_cut_source_side(cut_ten, cut_mf)
    mv = cut_ten.seg["move"]
    crossing = side[cut_ten.tails[mv]] & ~side[cut_ten.heads[mv]]
    return cut_ten.move_arc[crossing], cut_ten.move_t[crossing]


def _core_of_schedule(
    ex: _Expanded, ten: _Ten, flows: np.ndarray, T: int, cut_arc: np.ndarray | None, cut_t: np.ndarray
) -> _Core:
    """Arrivals, moves and jams of a schedule on the expanded network; the bottlenecks are the cut's links when
    there is a cut, else the links saturated while people wait in front of them."""
    net, k, dt, notes = ex.net, ex.k, ex.dt, ex.notes
    T_graph = ten.T

    arrivals = flows[ten.seg["sink"]].reshape(k, T_graph)[:, :T]
    fm = flows[ten.seg["move"]]
    nz = fm > 0
    hold = flows[ten.seg["hold"]].reshape(max(T_graph - 1, 0), net.n)
    waiting = np.zeros((T_graph, net.n), dtype=np.int64)
    waiting[: T_graph - 1] = hold
    # saturated (at capacity) while people wait at the tail node: a queue in front of the link
    mv_cap = ten.caps[ten.seg["move"]]
    wait_tail = waiting[ten.move_t, net.frm[ten.move_arc]]
    jam = (fm >= mv_cap) & (wait_tail > 0) & (net.capacity_per_h[ten.move_arc] > 0) & (ten.move_t < T)
    nz &= ten.move_t < T  # nobody moves after the last arrival (movement costs)
    if cut_arc is not None and len(cut_arc):
        # bottlenecks = min-cut links; their queue is what waits at their tail in the schedule
        q_at = np.zeros((net.m, T_graph))
        q_at[ten.move_arc, ten.move_t] = wait_tail
        keep = cut_t < T_graph
        jf, jl, js, mq = _jam_stats(net.m, cut_arc[keep], cut_t[keep], q_at[cut_arc[keep], cut_t[keep]])
    else:
        jf, jl, js, mq = _jam_stats(net.m, ten.move_arc[jam], ten.move_t[jam], wait_tail[jam].astype(float))
    by_min_cost = not any("max flow" in x for x in notes)
    objective = float((arrivals.sum(axis=0) * (np.arange(T) + 1) * dt).sum()) if by_min_cost else None
    return _Core(
        T=T,
        arrivals=arrivals,
        flow_arc=ten.move_arc[nz],
        flow_t=ten.move_t[nz],
        flow_val=fm[nz].astype(float),
        jam_first=jf,
        jam_last=jl,
        jam_steps=js,
        max_queue=mq,
        status="optimal" if by_min_cost else "optimal_clearance",
        objective=objective,
        notes=notes,
    )
