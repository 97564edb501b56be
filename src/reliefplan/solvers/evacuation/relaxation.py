"""The exact method's relaxation without link capacities: a transportation problem in which nobody waits. Its
quickest horizon bounds the real one from below; when its routes fit every link at every step, its schedule is the
optimum of the expanded network too (see ``exact``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..._errors import SolverError
from .._mcf import max_flow_min_cost, max_flow_value
from .paths import _SinkPaths
from .steps import _cap_at

# Skip the relaxation when its graph (source nodes x sinks) or routing tables (sinks x nodes) get this large.
RELAXATION_PAIRS_LIMIT = 2_000_000


def _min_cost(
    tails: np.ndarray, heads: np.ndarray, caps: np.ndarray, costs: np.ndarray, s_node: int, t_node: int, supply: int
) -> tuple[int, np.ndarray] | None:
    """(flow value, arc flows) of a max flow with min cost (at most ``supply``), or None if it fails."""
    try:
        value, flows = max_flow_min_cost(tails, heads, caps, costs, s_node, t_node)
    except SolverError:
        return None
    return min(value, supply), flows


def _match_in_order(in_amt: np.ndarray, out_amt: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pair the q-th unit in with the q-th unit out: (in index, out index, people) per run."""
    cum_in, cum_out = np.cumsum(in_amt), np.cumsum(out_amt)
    bounds = np.union1d(np.r_[0, cum_in], np.r_[0, cum_out])
    start, amount = bounds[:-1], np.diff(bounds)
    keep = amount > 0
    start, amount = start[keep], amount[keep]
    return (np.searchsorted(cum_in, start, side="right"), np.searchsorted(cum_out, start, side="right"), amount)


@dataclass
class _Chains:
    """The deadline-aware relaxation graph at one horizon (see ``_Relaxation.chains``)."""

    tails: np.ndarray
    heads: np.ndarray
    caps: np.ndarray
    s_node: int
    t_node: int
    e: np.ndarray  # items that can enter (indices into the relaxation's items)
    pos: np.ndarray  # their entry pair
    link: np.ndarray  # chain arcs (between entry points)
    hang: np.ndarray  # pairs hanging off an entry point
    pv: np.ndarray  # pairs: source node (index into src_nodes), sink, steps
    pj: np.ndarray
    pd: np.ndarray


class _Relaxation:
    """The expanded network without link capacities, as a transportation problem (built once per solve).

    Nobody waits there: a person leaving node v at step k for sink j walks a quickest route of d steps
    and arrives at step k + d, which must be at most T - 1. Departures are aggregated by (node, step).
    """

    def __init__(
        self, paths: _SinkPaths, rel_node: np.ndarray, rel_k: np.ndarray, rel_amt: np.ndarray, sink_cap: np.ndarray
    ) -> None:
        self.paths = paths
        self.k = paths.dist.shape[0]
        span = int(rel_k.max()) + 1 if len(rel_k) else 1
        uk, inv = np.unique(rel_node * span + rel_k, return_inverse=True)
        self.amt = np.bincount(inv, weights=rel_amt, minlength=len(uk)).astype(np.int64)
        self.it_k = uk % span
        self.src_nodes, self.it_src = np.unique(uk // span, return_inverse=True)
        self.big = int(rel_amt.sum()) + 1
        self.sink_caps = np.where(np.isfinite(sink_cap), np.floor(np.minimum(sink_cap, self.big)), self.big).astype(
            np.int64
        )
        self.d = paths.dist[:, self.src_nodes].T  # (source nodes, sinks) steps
        self.usable = len(self.src_nodes) * self.k <= RELAXATION_PAIRS_LIMIT and self.k > 0

    def pairs(self, T: int, deadline_order: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(source node, sink) pairs some departure of that node can use in time: nearest first per node,
        or farthest first (``deadline_order``)."""
        ns = len(self.src_nodes)
        k_first = np.full(ns, T, dtype=np.int64)
        live = self.it_k < T
        np.minimum.at(k_first, self.it_src[live], self.it_k[live])
        pv, pj = np.nonzero(self.d <= (T - 1 - k_first)[:, None])
        pd = self.d[pv, pj].astype(np.int64)
        o = np.lexsort((pj, -pd if deadline_order else pd, pv))
        return pv[o], pj[o], pd[o]

    def chains(self, T: int) -> _Chains:
        """One chain per source node over its sinks, farthest first: a departure enters at the farthest sink
        it can still reach in time and flows on towards nearer ones. Chain nodes are the distinct entry
        points; each pair hangs off the last entry point before it."""
        pv, pj, pd = self.pairs(T, deadline_order=True)
        P, k, ns = len(pv), self.k, len(self.src_nodes)
        chain_end = np.searchsorted(pv, np.arange(ns), side="right")
        pos = np.searchsorted(pv * (T + 1) + (T - pd), self.it_src * (T + 1) + (self.it_k + 1), side="left")
        e = np.flatnonzero((pos < chain_end[self.it_src]) & (self.it_k < T))
        lev_pos, e_lev = np.unique(pos[e], return_inverse=True)  # sorted by (node, position)
        L = len(lev_pos)
        lev_src = pv[lev_pos] if L else np.zeros(0, np.int64)
        p_lev = np.searchsorted(lev_pos, np.arange(P), side="right") - 1  # last entry point at or before
        hang = np.flatnonzero((p_lev >= 0) & (lev_src[np.maximum(p_lev, 0)] == pv)) if L else np.zeros(0, np.int64)
        s_node, t_node = L + k, L + k + 1
        link = np.flatnonzero(lev_src[1:] == lev_src[:-1]) if L > 1 else np.zeros(0, np.int64)
        tails = np.concatenate([np.full(len(e), s_node), link, p_lev[hang], L + np.arange(k)])
        heads = np.concatenate([e_lev, link + 1, L + pj[hang], np.full(k, t_node)])
        caps = np.concatenate([self.amt[e], np.full(len(link), self.big), np.full(len(hang), self.big), self.sink_caps])
        return _Chains(
            tails.astype(np.int64),
            heads.astype(np.int64),
            caps.astype(np.int64),
            s_node,
            t_node,
            e,
            pos,
            link,
            hang,
            pv,
            pj,
            pd,
        )

    def max_flow(self, T: int) -> int:
        """People who can arrive within ``T`` steps without link capacities (bounds the real horizon)."""
        c = self.chains(T)
        return max_flow_value(c.tails, c.heads, c.caps, c.s_node, c.t_node) if len(c.e) else 0


def _quickest_relaxed(rx: _Relaxation, deliverable: int, T_max: int) -> int | None:
    """Smallest horizon in which the relaxation delivers ``deliverable`` people (None if not by ``T_max``)."""
    if rx.max_flow(T_max) < deliverable:
        return None
    # Lower bound: even if everyone walked to the nearest sink, the first `deliverable` people arrive no
    # earlier than this. Unless sites fill up it is the answer, so gallop up from it before bisecting.
    d_min = np.where(np.isfinite(rx.d), rx.d, np.inf).min(axis=1, initial=np.inf)[rx.it_src]
    earliest = rx.it_k + d_min + 1
    order = np.argsort(earliest, kind="stable")
    cum = np.cumsum(rx.amt[order])
    at = int(np.searchsorted(cum, deliverable))
    T_lb = int(earliest[order][at]) if at < len(order) and np.isfinite(earliest[order][at]) else T_max
    lo, hi, step = max(min(T_lb, T_max) - 1, 0), min(max(T_lb, 1), T_max), 1
    while hi < T_max and rx.max_flow(hi) < deliverable:
        lo, step = hi, 2 * step
        hi = min(lo + step, T_max)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if rx.max_flow(mid) >= deliverable:
            hi = mid
        else:
            lo = mid
    return hi


def _relaxed_schedule(
    rx: _Relaxation, tau: np.ndarray, rate: np.ndarray, T: int, dmax: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Optimal schedule of the expanded network with horizon ``T`` if its capacity-free relaxation fits.

    Returns (move arc, move step, people, arrivals (k, T)) or None when some link would be over capacity
    at some step (the caller then solves the expanded network). Costs are those of ``_build_ten``:
    ``K`` per step of arrival, then ``dmax + 1`` per moving step, so a person leaving at step k for a sink
    d steps away costs ``K (k + d + 1) + (dmax + 1) d``. When everyone arrives that is a constant plus
    ``(K + dmax + 1) d``: the relaxation minimises the steps walked, a small transportation problem.
    """
    live = rx.it_k < T
    if not live.any() or not rx.usable:
        return None
    everyone, found = _nearest_sinks(rx, T, live)
    if found is None:
        found = _deadline_chains(rx, T, dmax, everyone)
        if found is None:
            return None
    return _moves(rx, tau, rate, T, *found)


# people per (departure item, pair) in runs: item, pair, people; then the pairs: source node, sink, steps
_Found = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _nearest_sinks(rx: _Relaxation, T: int, live: np.ndarray) -> tuple[bool, _Found | None]:
    """(does everyone arrive without deadlines, the assignment if it also meets every deadline)."""
    k, it_k, it_src, amt, big = rx.k, rx.it_k, rx.it_src, rx.amt, rx.big
    ns = len(rx.src_nodes)
    supply = int(amt[live].sum())
    node_amt = np.bincount(it_src[live], weights=amt[live], minlength=ns).astype(np.int64)

    # 1) deadlines ignored: sources x sinks, then the latest departures of a node take its nearest sinks
    #    (if any assignment of those sinks meets every deadline, this one does)
    pv, pj, pd = rx.pairs(T, deadline_order=False)
    P = len(pv)
    s_node, t_node = ns + k, ns + k + 1
    out = _min_cost(
        np.concatenate([np.full(ns, s_node), pv, ns + np.arange(k)]),
        np.concatenate([np.arange(ns), ns + pj, np.full(k, t_node)]),
        np.concatenate([node_amt, np.full(P, big), rx.sink_caps]),
        np.concatenate([np.zeros(ns, np.int64), pd, np.zeros(k, np.int64)]),
        s_node,
        t_node,
        supply,
    )
    if out is None or out[0] != supply:
        return False, None  # not even the deadline-free relaxation takes all
    live_i = np.flatnonzero(live)
    item_order = live_i[np.lexsort((-it_k[live_i], it_src[live_i]))]
    i_in, i_out, seg_amt = _match_in_order(amt[item_order], out[1][ns : ns + P])
    seg_item, seg_pair = item_order[i_in], i_out
    if np.all(it_k[seg_item] + pd[seg_pair] <= T - 1):
        return True, (seg_item, seg_pair, seg_amt, pv, pj, pd)
    return True, None


def _deadline_chains(rx: _Relaxation, T: int, dmax: int, everyone: bool) -> _Found | None:
    """2) deadlines kept: the chains (None if the min-cost flow fails)."""
    k, it_k, amt = rx.k, rx.it_k, rx.amt
    c = rx.chains(T)
    pv, pj, pd, e = c.pv, c.pj, c.pd, c.e
    supply_e = int(amt[e].sum())
    z_e, z_l, z_k = np.zeros(len(e), np.int64), np.zeros(len(c.link), np.int64), np.zeros(k, np.int64)
    out = None
    if everyone:
        out = _min_cost(
            c.tails, c.heads, c.caps, np.concatenate([z_e, z_l, pd[c.hang], z_k]), c.s_node, c.t_node, supply_e
        )
    if out is None or out[0] < supply_e:  # not everyone arrives: who is left behind matters
        K = T * (dmax + 1) + 1
        out = _min_cost(
            c.tails,
            c.heads,
            c.caps,
            np.concatenate([K * it_k[e], z_l, K * (pd[c.hang] + 1) + (dmax + 1) * pd[c.hang], z_k]),
            c.s_node,
            c.t_node,
            supply_e,
        )
    if out is None:
        return None
    # along a chain, the q-th person out left with the q-th person in (chains only lead nearer)
    item_order = e[np.lexsort((it_k[e], c.pos[e]))]
    flows_in = np.zeros(len(amt), dtype=np.int64)
    flows_in[e] = out[1][: len(e)]
    f_pair = np.zeros(len(pv), dtype=np.int64)
    f_pair[c.hang] = out[1][len(e) + len(c.link) : len(e) + len(c.link) + len(c.hang)]
    i_in, seg_pair, seg_amt = _match_in_order(flows_in[item_order], f_pair)
    return item_order[i_in], seg_pair, seg_amt, pv, pj, pd


def _moves(
    rx: _Relaxation,
    tau: np.ndarray,
    rate: np.ndarray,
    T: int,
    seg_item: np.ndarray,
    seg_pair: np.ndarray,
    seg_amt: np.ndarray,
    pv: np.ndarray,
    pj: np.ndarray,
    pd: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """People per (link, step) and arrivals of an assignment; None if a link would be over capacity."""
    k, it_k = rx.k, rx.it_k
    if np.any(it_k[seg_item] + pd[seg_pair] > T - 1):  # cannot happen; a wrong schedule would be silent
        return None
    # routes of the (node, sink) pairs in use, then people per (link, step)
    used, pair_inv = np.unique(seg_pair, return_inverse=True)
    r_arc, r_off, r_len = rx.paths.routes(pj[used], rx.src_nodes[pv[used]], tau)
    r_first = np.cumsum(r_len) - r_len
    cnt = r_len[pair_inv]
    rep = np.repeat(np.arange(len(seg_amt)), cnt)
    hop = r_first[pair_inv][rep] + (np.arange(len(rep)) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    # people per (link, step) on a dense links x steps grid: a bincount, no sort of the hops
    dense = np.bincount(r_arc[hop] * T + it_k[seg_item][rep] + r_off[hop], weights=seg_amt[rep], minlength=len(tau) * T)
    key = np.flatnonzero(dense)
    val = np.rint(dense[key]).astype(np.int64)
    m_arc, m_t = key // T, key % T
    if np.any(val > _cap_at(rate[m_arc], m_t)):
        return None
    arrivals = np.zeros((k, T), dtype=np.int64)
    np.add.at(arrivals, (pj[seg_pair], it_k[seg_item] + pd[seg_pair]), seg_amt)
    return m_arc, m_t, val, arrivals
