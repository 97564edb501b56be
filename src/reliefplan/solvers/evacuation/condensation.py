"""Network condensation: closed links and nodes on no source→sink path dropped, dead-end spurs peeled, chains of
degree-2 nodes merged (travel times add up, capacity is the minimum); each condensed arc remembers its original
arcs so results map back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order

from .model import EvacuationInstance


@dataclass(frozen=True)
class _Net:
    """A (possibly condensed) network; every arc stands for a chain of original arcs."""

    n: int
    node_orig: np.ndarray  # original node index of each node
    frm: np.ndarray
    to: np.ndarray
    travel_time_s: np.ndarray
    capacity_per_h: np.ndarray
    member_ptr: np.ndarray  # CSR: original arcs of arc c are member_arc[ptr[c]:ptr[c+1]]
    member_arc: np.ndarray
    member_offset_s: np.ndarray  # travel time from the chain start to the member's start
    bottleneck_arc: np.ndarray  # original arc with the smallest capacity in the chain
    bottleneck_offset_s: np.ndarray

    @property
    def m(self) -> int:
        return len(self.frm)

    def node_map(self, n_orig: int) -> np.ndarray:
        out = np.full(n_orig, -1, dtype=np.int64)
        out[self.node_orig] = np.arange(self.n)
        return out


def _identity_net(inst: EvacuationInstance) -> _Net:
    m = inst.n_arcs
    return _Net(
        n=inst.n_nodes,
        node_orig=np.arange(inst.n_nodes),
        frm=inst.arc_from.copy(),
        to=inst.arc_to.copy(),
        travel_time_s=inst.arc_travel_time_s.copy(),
        capacity_per_h=inst.arc_capacity_per_h.copy(),
        member_ptr=np.arange(m + 1),
        member_arc=np.arange(m),
        member_offset_s=np.zeros(m),
        bottleneck_arc=np.arange(m),
        bottleneck_offset_s=np.zeros(m),
    )


def _unique(a: np.ndarray) -> np.ndarray:
    """np.unique by sorting: numpy 2's hashing unique takes ~35x longer on millions of int64 node-pair keys."""
    s = np.sort(a)
    return s[np.r_[True, s[1:] != s[:-1]]] if len(s) else s


def _reach(n: int, frm: np.ndarray, to: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Boolean mask of nodes reachable from any of ``starts`` (BFS from a super node)."""
    if len(starts) == 0:
        return np.zeros(n, dtype=bool)
    rows = np.concatenate([frm, np.full(len(starts), n)])
    cols = np.concatenate([to, starts])
    g = sp.csr_array((np.ones(len(rows)), (rows, cols)), shape=(n + 1, n + 1))
    order = breadth_first_order(g, n, directed=True, return_predecessors=False)
    mask = np.zeros(n + 1, dtype=bool)
    mask[order] = True
    return mask[:n]


def condense(inst: EvacuationInstance) -> _Net:
    """Drop closed arcs and nodes on no source→sink path, then merge chains of degree-2 nodes.

    A node is merged away when it is neither a source nor a sink and touches exactly two
    neighbours with at most one arc each way to each: then ``u→v→w`` becomes ``u→w`` with the
    summed travel time and the smaller capacity (waiting inside such a chain never helps, so
    flows and clearance are unchanged apart from finer rounding).
    """
    n = inst.n_nodes
    src_nodes = np.unique(inst.source_node[inst.source_people > 0])
    sink_nodes = np.unique(inst.sink_node[inst.sink_capacity > 0])
    terminal = np.zeros(n, dtype=bool)
    terminal[inst.source_node] = True
    terminal[inst.sink_node] = True
    keep, alive = _live_arcs(inst, src_nodes, sink_nodes, terminal)
    arcs = np.flatnonzero(keep)
    frm, to = inst.arc_from[arcs], inst.arc_to[arcs]
    ch, lengths = _chains(n, frm, to, _contractible(n, frm, to, alive, terminal))
    return _chain_net(inst, arcs, ch, lengths, alive, src_nodes, sink_nodes)


def _live_arcs(
    inst: EvacuationInstance, src_nodes: np.ndarray, sink_nodes: np.ndarray, terminal: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(arcs kept, nodes alive): open arcs between nodes on some source→sink path, dead-end spurs peeled."""
    n = inst.n_nodes
    keep = (inst.arc_capacity_per_h > 0) & (inst.arc_from != inst.arc_to)
    fwd = _reach(n, inst.arc_from[keep], inst.arc_to[keep], src_nodes)
    bwd = _reach(n, inst.arc_to[keep], inst.arc_from[keep], sink_nodes)
    alive = fwd & bwd
    # dead-end spurs: a non-terminal node with a single neighbour is only ever a U-turn; peel them
    # (and the spurs their removal leaves) one node at a time, touching only their neighbours
    keep &= alive[inst.arc_from] & alive[inst.arc_to]
    a_ = np.flatnonzero(keep)
    pr = _unique(np.concatenate([inst.arc_from[a_] * n + inst.arc_to[a_], inst.arc_to[a_] * n + inst.arc_from[a_]]))
    nb_ptr = np.searchsorted(pr // n, np.arange(n + 1))
    stack = np.flatnonzero(alive & ~terminal & (np.diff(nb_ptr) <= 1)).tolist()
    if stack:  # Python lists only when there is a spur to peel (a street grid has none)
        nb = (pr % n).tolist()
        degree = np.diff(nb_ptr).tolist()
        alive_l = alive.tolist()
        terminal_l = terminal.tolist()
        ptr_l = nb_ptr.tolist()
        while stack:
            x = stack.pop()
            if not alive_l[x]:
                continue
            alive_l[x] = False
            for y in nb[ptr_l[x] : ptr_l[x + 1]]:
                if alive_l[y]:
                    degree[y] -= 1
                    if degree[y] <= 1 and not terminal_l[y]:
                        stack.append(y)
        alive = np.asarray(alive_l, dtype=bool)
    keep &= alive[inst.arc_from] & alive[inst.arc_to]
    return keep, alive


def _contractible(n: int, frm: np.ndarray, to: np.ndarray, alive: np.ndarray, terminal: np.ndarray) -> np.ndarray:
    """Nodes a chain passes through: two distinct neighbours, at most one arc per (neighbour, direction)."""
    # node pairs as scalar keys u * n + v (np.unique along an axis is several times slower)
    neigh = _unique(np.concatenate([frm * n + to, to * n + frm]))
    n_neigh = np.bincount(neigh // n, minlength=n)
    out_key, out_cnt = np.unique(frm * n + to, return_counts=True)
    multi = np.zeros(n, dtype=bool)
    multi[out_key[out_cnt > 1] // n] = True
    multi[out_key[out_cnt > 1] % n] = True
    return alive & ~terminal & (n_neigh == 2) & ~multi


def _chains(n: int, frm: np.ndarray, to: np.ndarray, contract: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """(arcs of every useful chain, chain after chain in walking order; arcs per chain)."""
    # the arc a chain continues on after arc a: the one out-arc of a contractible head not going back
    order = np.argsort(frm, kind="stable")
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(frm, minlength=n), out=ptr[1:])
    out_deg = np.diff(ptr)
    out1 = np.where(out_deg >= 1, order[np.minimum(ptr[:-1], len(order) - 1)], -1) if len(order) else np.full(n, -1)
    out2 = np.where(out_deg >= 2, order[np.minimum(ptr[:-1] + 1, len(order) - 1)], -1) if len(order) else np.full(n, -1)
    v_next = out1[to], out2[to]
    ok1 = (v_next[0] >= 0) & (to[np.maximum(v_next[0], 0)] != frm)
    ok2 = (v_next[1] >= 0) & (to[np.maximum(v_next[1], 0)] != frm) & (out_deg[to] == 2)
    nxt = np.where(ok1 & ~ok2, v_next[0], np.where(ok2 & ~ok1, v_next[1], -1))  # -1: dead end (only a U-turn)
    # walk every chain from its first arc (tail not contractible) while its head is, all chains at once
    starts = np.flatnonzero(~contract[frm])
    cur = starts.copy()
    size = np.ones(len(starts), dtype=np.int64)
    rec_chain, rec_arc = [np.arange(len(starts))], [starts]
    act = np.arange(len(starts))
    while len(act):
        c = cur[act]
        act = act[contract[to[c]] & (nxt[c] >= 0) & (size[act] <= n)]
        cur[act] = nxt[cur[act]]
        size[act] += 1
        rec_chain.append(act)
        rec_arc.append(cur[act])
    # a dead end (only a U-turn) or a loop back to its start is useless
    useful = ~contract[to[cur]] & (frm[starts] != to[cur])
    rc = np.concatenate(rec_chain)
    o = np.argsort(rc, kind="stable")  # chain after chain, arcs in walking order
    rc, ra = rc[o], np.concatenate(rec_arc)[o]
    chains = ra[useful[rc]]
    lengths = size[useful]
    ch = np.asarray(chains, dtype=np.int64)
    return ch, lengths.tolist()


def _chain_net(
    inst: EvacuationInstance,
    arcs: np.ndarray,
    ch: np.ndarray,
    lengths: list[int],
    alive: np.ndarray,
    src_nodes: np.ndarray,
    sink_nodes: np.ndarray,
) -> _Net:
    """The condensed network: one arc per chain (summed travel time, smallest capacity), its nodes renumbered."""
    n = inst.n_nodes
    frm, to = inst.arc_from[arcs], inst.arc_to[arcs]
    m_ptr = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=m_ptr[1:])
    first, last = m_ptr[:-1], m_ptr[1:] - 1
    tt, cap = inst.arc_travel_time_s[arcs][ch], inst.arc_capacity_per_h[arcs][ch]
    cum = np.cumsum(tt)
    m_off = cum - tt - np.repeat(cum[first] - tt[first], lengths)  # travel time from the chain's start
    c_from, c_to = frm[ch[first]], to[ch[last]]
    c_tt = np.add.reduceat(tt, first) if len(lengths) else np.zeros(0)
    c_cap = np.minimum.reduceat(cap, first) if len(lengths) else np.zeros(0)
    chain_of = np.repeat(np.arange(len(lengths)), lengths)
    at_min = np.flatnonzero(cap == c_cap[chain_of])
    b_pos = at_min[np.unique(chain_of[at_min], return_index=True)[1]]  # first member at the chain's minimum
    m_arc = arcs[ch]
    b_arc, b_off = m_arc[b_pos], m_off[b_pos]

    used = np.zeros(n, dtype=bool)
    used[np.asarray(c_from, dtype=np.int64)] = True
    used[np.asarray(c_to, dtype=np.int64)] = True
    used[src_nodes] = alive[src_nodes]  # a source that is also a sink may have no arcs
    used[sink_nodes] = used[sink_nodes] | alive[sink_nodes]
    node_orig = np.flatnonzero(used)
    remap = np.full(n, -1, dtype=np.int64)
    remap[node_orig] = np.arange(len(node_orig))
    return _Net(
        n=len(node_orig),
        node_orig=node_orig,
        frm=remap[np.asarray(c_from, dtype=np.int64)],
        to=remap[np.asarray(c_to, dtype=np.int64)],
        travel_time_s=np.asarray(c_tt, dtype=float),
        capacity_per_h=np.asarray(c_cap, dtype=float),
        member_ptr=np.asarray(m_ptr, dtype=np.int64),
        member_arc=np.asarray(m_arc, dtype=np.int64),
        member_offset_s=np.asarray(m_off, dtype=float),
        bottleneck_arc=np.asarray(b_arc, dtype=np.int64),
        bottleneck_offset_s=np.asarray(b_off, dtype=float),
    )
