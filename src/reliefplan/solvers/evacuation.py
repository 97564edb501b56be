"""Evacuation timing under road capacity: clearance time, arrival curves and where the move jams.

Two methods, both on a discrete time step Δ (seconds):

* ``exact`` — a time-expanded network (one copy of every node per step, arcs that take
  ``ceil(travel_time_s / Δ)`` steps and carry at most ``capacity_per_h · Δ / 3600`` people per
  step, holdover arcs for waiting, a super-source releasing people on their schedule, a
  super-sink behind the sites). The horizon is the smallest number of steps in which everyone
  who can arrive does: OR-Tools max flows, bounded below by walking time, throughput and the
  relaxation below, then widening + bisection. That is the quickest transshipment, exact for the
  discretisation, with free routing. Within it a min-cost flow minimises the total arrival time
  (ties: move early, wait near the sites, no detours). First the relaxation without link
  capacities (a small transportation problem: nobody waits) is solved; if its quickest routes fit
  every link at every step, its schedule is optimal for the expanded network too. Otherwise
  LEMON's network simplex solves the expanded min-cost flow (3-20x faster than OR-Tools' cost
  scaling on these deep graphs); above ``MIN_COST_ARCS_LIMIT`` expanded arcs the
  schedule comes from the max flow instead (clearance still optimal). Bottlenecks are the links
  of a minimum cut one step short of the clearance: the links that set it.
* ``queue`` — a point-queue simulation: people follow given routes (fixed routing) or the
  shortest route to the nearest site with room; every link has an entry queue discharging at
  capacity; vectorised over links with numpy. People of different routes waiting at one link
  leave in proportion to their share of the queue (FIFO for the queue as a whole). It never
  re-routes, so it is never faster than the exact optimum; on a single path both agree exactly.

Time conventions: step ``k`` is the interval ``[kΔ, (k+1)Δ)``. A person released at ``r``
departs at the first step starting at or after ``r``; people who reach a sink during step ``k``
are counted as arrived *by* ``(k+1)Δ``. Reported times are therefore conservative by less than
one step (and by the rounding up of travel times).

Before either method runs, the network is condensed: arcs with zero capacity and nodes on no
source→sink path are removed and chains of degree-2 nodes are merged (travel times add up,
capacity is the minimum). Results are mapped back to the original arcs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, dijkstra

from .._errors import InputError, Problem, SolverError
from ._mcf import max_flow_min_cost, max_flow_value, solved_max_flow
from ..scenario._layers import read_json

Routing = Literal["free", "fixed"]
Method = Literal["auto", "exact", "queue"]

# Time-expanded size the automatic step aims for (arcs of the expanded graph); OR-Tools' max flow
# handles a million arcs in about a second.
EXPANDED_ARCS_TARGET = 1_500_000
# Above this the exact method keeps the optimal clearance but schedules with a max flow instead of a
# min-cost flow (the network simplex takes ~5 s at 180 k expanded arcs, ~12 s at 265 k: it grows faster
# than the graph).
MIN_COST_ARCS_LIMIT = 200_000
# The exact method first solves the schedule with link capacities dropped (a transportation problem:
# nobody waits, everyone walks a quickest route to the site chosen for them). If those routes fit every
# link's capacity at every step, that schedule is optimal for the expanded network too (a feasible
# optimum of a relaxation) and costs a small static min-cost flow instead of one on the expanded network.
RELAXATION_FIRST = True
# Skip the relaxation when its graph (source nodes x sinks) or routing tables (sinks x nodes) get this large.
RELAXATION_PAIRS_LIMIT = 2_000_000
# The max flow of the last horizon found too short is kept for its minimum cut (the bottlenecks) up to this
# many expanded arcs; above, the cut is solved again rather than holding a second graph in memory.
KEEP_CUT_ARCS_LIMIT = 1_000_000
# Beyond this the exact method refuses (auto falls back to the queue model).
EXPANDED_ARCS_LIMIT = 30_000_000
# Steps the automatic step aims for (bounds the resolution on small networks).
STEPS_TARGET_EXACT = 400
STEPS_TARGET_QUEUE = 3_000
MAX_HORIZON_S = 30 * 86_400.0  # an evacuation longer than a month is not a walk
MAX_USER_STEPS = 10_000  # a given time step must cover the evacuation in at most this many steps (memory, time)
# Auto picks the exact method only if it can run at this resolution or finer.
AUTO_EXACT_MAX_STEP_S = 1800.0
NICE_STEPS_S = (1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 300, 600, 900, 1200, 1800, 3600, 7200)


# --------------------------------------------------------------------------------------------
# Inputs and results
# --------------------------------------------------------------------------------------------


class NodeNumbers(Sequence[str]):
    """Node ids "0".."n-1" without holding n strings (a national network has millions of nodes)."""

    def __init__(self, n: int) -> None:
        self.n = int(n)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [str(j) for j in range(self.n)[i]]
        return str(range(self.n)[i])


@dataclass
class EvacuationInstance:
    """Who moves from where to where over which links. Indices refer to ``node_ids`` / arcs.

    Arcs: ``arc_travel_time_s`` free-flow travel time, ``arc_capacity_per_h`` people who can
    enter the link per hour (0 = closed). Sources: ``source_people`` released from
    ``source_release_s`` uniformly over ``source_spread_s`` (0 = all at once). Sinks:
    ``sink_capacity`` people (``inf`` = unlimited). ``routes`` (optional, fixed routing only):
    per source an array of arc indices from the source to a sink, or None for the shortest.
    """

    node_ids: Sequence[str]
    arc_from: np.ndarray
    arc_to: np.ndarray
    arc_travel_time_s: np.ndarray
    arc_capacity_per_h: np.ndarray
    source_node: np.ndarray
    source_people: np.ndarray
    source_release_s: np.ndarray
    sink_node: np.ndarray
    sink_capacity: np.ndarray
    source_spread_s: np.ndarray | None = None
    routes: list[np.ndarray | None] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.node_ids, NodeNumbers):
            self.node_ids = [str(x) for x in self.node_ids]
        self.arc_from = np.asarray(self.arc_from, dtype=np.int64).reshape(-1)
        self.arc_to = np.asarray(self.arc_to, dtype=np.int64).reshape(-1)
        self.arc_travel_time_s = np.asarray(self.arc_travel_time_s, dtype=float).reshape(-1)
        self.arc_capacity_per_h = np.asarray(self.arc_capacity_per_h, dtype=float).reshape(-1)
        self.source_node = np.asarray(self.source_node, dtype=np.int64).reshape(-1)
        self.source_people = np.asarray(self.source_people, dtype=np.int64).reshape(-1)
        self.source_release_s = np.asarray(self.source_release_s, dtype=float).reshape(-1)
        if self.source_spread_s is None:
            self.source_spread_s = np.zeros(len(self.source_node))
        self.source_spread_s = np.asarray(self.source_spread_s, dtype=float).reshape(-1)
        self.sink_node = np.asarray(self.sink_node, dtype=np.int64).reshape(-1)
        cap = np.asarray(
            [np.inf if c is None else c for c in np.asarray(self.sink_capacity, dtype=object).reshape(-1)], dtype=float
        )
        self.sink_capacity = cap
        if self.routes is not None:
            self.routes = [None if r is None else np.asarray(r, dtype=np.int64).reshape(-1) for r in self.routes]

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    @property
    def n_arcs(self) -> int:
        return len(self.arc_from)

    @property
    def total_people(self) -> int:
        return int(self.source_people.sum())


@dataclass(frozen=True)
class Bottleneck:
    """A link where people queue: demand exceeded capacity for ``saturated_s`` seconds.

    ``max_delay_s`` is the time the longest queue needs to discharge at the link's capacity.
    """

    arc: int
    saturated_from_s: float
    saturated_until_s: float
    saturated_s: float
    max_queue_people: float
    max_delay_s: float


@dataclass(frozen=True)
class EvacuationResult:
    """Schedule of the move. Step ``k`` of the arrays covers ``[kΔ, (k+1)Δ)``.

    ``sink_arrivals[j, k]``: people reaching sink j during step k (whole people).
    ``arc_flows[a, k]``: people entering original arc a during step k (sparse, may be fractional
    for the queue model), mapped from the condensed network on first use: at national scale it holds tens of
    millions of entries, and the plan does not read it. ``objective_person_s`` (exact only): total arrival time of everyone,
    person-seconds, minimised; ``best_bound_person_s`` and ``gap`` come with it.
    """

    status: str
    method: Literal["exact", "queue"]
    routing: Routing
    time_step_s: float
    horizon_s: float
    clearance_s: float | None
    total_people: int
    arrived: int
    not_arrived: int
    sink_arrivals: np.ndarray
    arc_flows_of: Callable[[], sp.csr_array] = field(repr=False, compare=False)  # computes ``arc_flows``
    bottlenecks: list[Bottleneck] = field(default_factory=list)
    objective_person_s: float | None = None
    best_bound_person_s: float | None = None
    gap: float | None = None
    explanations: list[str] = field(default_factory=list)
    condensed_nodes: int = 0
    condensed_arcs: int = 0

    @cached_property
    def arc_flows(self) -> sp.csr_array:
        return self.arc_flows_of()

    @property
    def cleared(self) -> bool:
        return self.not_arrived == 0

    @property
    def n_steps(self) -> int:
        return int(self.sink_arrivals.shape[1])

    @property
    def step_end_s(self) -> np.ndarray:
        """Time by which people of each step have arrived, s."""
        return (np.arange(self.n_steps) + 1) * self.time_step_s


# --------------------------------------------------------------------------------------------
# Loading and validation (the loader reads a parsed JSON dict; the CLI reads the file)
# --------------------------------------------------------------------------------------------


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    if not math.isfinite(float(v)):
        return None
    return float(v)


def instance_from_dict(data: Any, file: str = "<instance>") -> EvacuationInstance:
    """Parse the JSON instance format of ``reliefplan solve-evacuation``; collect every problem.

    ``{"nodes": [ids], "arcs": [{"from", "to", "travel_time_s", "capacity_per_h"}],
    "sources": [{"node", "people", "release_s", "spread_s"?, "route"?: [node ids]}],
    "sinks": [{"node", "capacity": null | number}]}``
    """
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise InputError(Problem(file=file, message="expected a JSON object with nodes, arcs, sources, sinks"))
    for key in ("nodes", "arcs", "sources", "sinks"):
        if not isinstance(data.get(key), list):
            problems.append(Problem(file=file, field=key, message="expected a list"))
    if problems:
        raise InputError(problems)
    node_ids = [str(x) for x in data["nodes"]]
    index: dict[str, int] = {}
    for i, nid in enumerate(node_ids):
        if nid in index:
            problems.append(Problem(file=file, feature=f"nodes[{i}]", message=f"duplicate node id '{nid}'"))
        index.setdefault(nid, i)

    def node_of(obj: Any, where: str, key: str) -> int:
        if not isinstance(obj, dict) or key not in obj:
            problems.append(Problem(file=file, feature=where, field=key, message="missing node id"))
            return -1
        nid = str(obj[key])
        if nid not in index:
            problems.append(Problem(file=file, feature=where, field=key, message=f"unknown node id '{nid}'"))
            return -1
        return index[nid]

    def nonneg(obj: Any, where: str, key: str, default: float | None = None, integer: bool = False) -> float:
        if not isinstance(obj, dict):
            problems.append(Problem(file=file, feature=where, message="expected an object"))
            return 0.0
        if key not in obj:
            if default is not None:
                return default
            problems.append(Problem(file=file, feature=where, field=key, message="missing, expected a number >= 0"))
            return 0.0
        v = _num(obj[key])
        if v is None or v < 0:
            problems.append(
                Problem(file=file, feature=where, field=key, message=f"expected a finite number >= 0, got {obj[key]!r}")
            )
            return 0.0
        if integer and v != int(v):
            problems.append(Problem(file=file, feature=where, field=key, message=f"expected whole people, got {v}"))
            return 0.0
        return v

    af, at, att, acap = [], [], [], []
    for i, a in enumerate(data["arcs"]):
        where = f"arcs[{i}]"
        af.append(node_of(a, where, "from"))
        at.append(node_of(a, where, "to"))
        att.append(nonneg(a, where, "travel_time_s"))
        acap.append(nonneg(a, where, "capacity_per_h"))
    sn, sp_, sr, ss, raw_routes = [], [], [], [], []
    for i, s in enumerate(data["sources"]):
        where = f"sources[{i}]"
        sn.append(node_of(s, where, "node"))
        sp_.append(int(nonneg(s, where, "people", integer=True)))
        sr.append(nonneg(s, where, "release_s", default=0.0))
        ss.append(nonneg(s, where, "spread_s", default=0.0))
        raw_routes.append(s.get("route") if isinstance(s, dict) else None)
    kn, kc = [], []
    for i, k in enumerate(data["sinks"]):
        where = f"sinks[{i}]"
        kn.append(node_of(k, where, "node"))
        if isinstance(k, dict) and k.get("capacity") is not None:
            kc.append(nonneg(k, where, "capacity"))
        else:
            kc.append(np.inf)
    if not data["sinks"]:
        problems.append(
            Problem(file=file, field="sinks", message="expected at least one sink (a site people can reach)")
        )
    routes: list[np.ndarray | None] | None = None
    if any(r is not None for r in raw_routes) and not problems:
        # a route is a node sequence; each hop takes the quickest arc between the two nodes
        best: dict[tuple[int, int], int] = {}
        for i in np.lexsort((-np.asarray(acap), np.asarray(att))):
            best.setdefault((af[i], at[i]), int(i))
        routes = []
        for i, r in enumerate(raw_routes):
            where = f"sources[{i}]"
            if r is None:
                routes.append(None)
                continue
            if not isinstance(r, list) or len(r) < 1:
                problems.append(Problem(file=file, feature=where, field="route", message="expected a list of node ids"))
                routes.append(None)
                continue
            ids = [str(x) for x in r]
            unknown = [x for x in ids if x not in index]
            if unknown:
                problems.append(
                    Problem(file=file, feature=where, field="route", message=f"unknown node id(s) {unknown}")
                )
                routes.append(None)
                continue
            arcs = []
            for u, v in zip(ids[:-1], ids[1:]):
                a = best.get((index[u], index[v]))
                if a is None:
                    problems.append(
                        Problem(file=file, feature=where, field="route", message=f"no arc from '{u}' to '{v}'")
                    )
                    break
                arcs.append(a)
            routes.append(np.asarray(arcs, dtype=np.int64))
    if problems:
        raise InputError(problems)
    inst = EvacuationInstance(
        node_ids=node_ids,
        arc_from=af,
        arc_to=at,
        arc_travel_time_s=att,
        arc_capacity_per_h=acap,
        source_node=sn,
        source_people=sp_,
        source_release_s=sr,
        source_spread_s=ss,
        sink_node=kn,
        sink_capacity=kc,
        routes=routes,
    )
    validate_instance(inst, file=file)
    return inst


def read_instance(path: str | Path) -> EvacuationInstance:
    """Read and validate a JSON instance file (see ``instance_from_dict``)."""
    path = Path(path)
    data = read_json(path, "instance file")
    return instance_from_dict(data, file=str(path))


def validate_instance(inst: EvacuationInstance, file: str = "<instance>") -> None:
    """Raise InputError listing every inconsistency (indices, negative values, broken routes)."""
    problems: list[Problem] = []
    n, m = inst.n_nodes, inst.n_arcs

    def check_len(name: str, arr: np.ndarray, k: int) -> None:
        if len(arr) != k:
            problems.append(Problem(file=file, field=name, message=f"expected {k} values, got {len(arr)}"))

    for name in ("arc_to", "arc_travel_time_s", "arc_capacity_per_h"):
        check_len(name, getattr(inst, name), m)
    for name in ("source_people", "source_release_s", "source_spread_s"):
        check_len(name, getattr(inst, name), len(inst.source_node))
    check_len("sink_capacity", inst.sink_capacity, len(inst.sink_node))
    if problems:
        raise InputError(problems)
    for name, arr, feat in (
        ("from", inst.arc_from, "arcs"),
        ("to", inst.arc_to, "arcs"),
        ("node", inst.source_node, "sources"),
        ("node", inst.sink_node, "sinks"),
    ):
        for i in np.flatnonzero((arr < 0) | (arr >= n)):
            problems.append(
                Problem(
                    file=file, feature=f"{feat}[{i}]", field=name, message=f"node index {arr[i]} outside 0..{n - 1}"
                )
            )
    for name, arr, feat in (
        ("travel_time_s", inst.arc_travel_time_s, "arcs"),
        ("capacity_per_h", inst.arc_capacity_per_h, "arcs"),
        ("people", inst.source_people, "sources"),
        ("release_s", inst.source_release_s, "sources"),
        ("spread_s", inst.source_spread_s, "sources"),
    ):
        bad = ~np.isfinite(arr.astype(float)) | (arr < 0)
        for i in np.flatnonzero(bad):
            problems.append(
                Problem(
                    file=file,
                    feature=f"{feat}[{i}]",
                    field=name,
                    message=f"expected a finite number >= 0, got {arr[i]}",
                )
            )
    for i in np.flatnonzero(np.isnan(inst.sink_capacity) | (inst.sink_capacity < 0)):
        problems.append(
            Problem(
                file=file,
                feature=f"sinks[{i}]",
                field="capacity",
                message=f"expected null or a number >= 0, got {inst.sink_capacity[i]}",
            )
        )
    if inst.routes is not None:
        if len(inst.routes) != len(inst.source_node):
            problems.append(
                Problem(
                    file=file,
                    field="routes",
                    message=f"expected one route (or None) per source, got {len(inst.routes)}",
                )
            )
        else:
            sink_set = set(inst.sink_node.tolist())
            for i, r in enumerate(inst.routes):
                if r is None or problems:
                    continue
                where = f"sources[{i}]"
                if np.any((r < 0) | (r >= m)):
                    problems.append(Problem(file=file, feature=where, field="route", message="arc index out of range"))
                    continue
                nodes = [int(inst.source_node[i])] + inst.arc_to[r].tolist()
                if len(r) and (np.any(inst.arc_from[r] != np.asarray(nodes[:-1]))):
                    problems.append(
                        Problem(
                            file=file,
                            feature=where,
                            field="route",
                            message="arcs do not form a path starting at the source",
                        )
                    )
                elif nodes[-1] not in sink_set:
                    problems.append(
                        Problem(
                            file=file,
                            feature=where,
                            field="route",
                            message=f"route ends at '{inst.node_ids[nodes[-1]]}', which is not a sink",
                        )
                    )
    if problems:
        raise InputError(problems)


# --------------------------------------------------------------------------------------------
# Network condensation
# --------------------------------------------------------------------------------------------


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
    keep = (inst.arc_capacity_per_h > 0) & (inst.arc_from != inst.arc_to)
    src_nodes = np.unique(inst.source_node[inst.source_people > 0])
    sink_nodes = np.unique(inst.sink_node[inst.sink_capacity > 0])
    fwd = _reach(n, inst.arc_from[keep], inst.arc_to[keep], src_nodes)
    bwd = _reach(n, inst.arc_to[keep], inst.arc_from[keep], sink_nodes)
    alive = fwd & bwd
    terminal = np.zeros(n, dtype=bool)
    terminal[inst.source_node] = True
    terminal[inst.sink_node] = True
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
    arcs = np.flatnonzero(keep)
    frm, to = inst.arc_from[arcs], inst.arc_to[arcs]

    # contractible: two distinct neighbours, at most one arc per (neighbour, direction)
    # node pairs as scalar keys u * n + v (np.unique along an axis is several times slower)
    neigh = _unique(np.concatenate([frm * n + to, to * n + frm]))
    n_neigh = np.bincount(neigh // n, minlength=n)
    out_key, out_cnt = np.unique(frm * n + to, return_counts=True)
    multi = np.zeros(n, dtype=bool)
    multi[out_key[out_cnt > 1] // n] = True
    multi[out_key[out_cnt > 1] % n] = True
    contract = alive & ~terminal & (n_neigh == 2) & ~multi

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
    lengths = lengths.tolist()
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


# --------------------------------------------------------------------------------------------
# Shared discretisation helpers
# --------------------------------------------------------------------------------------------


def _steps(travel_time_s: np.ndarray, dt: float) -> np.ndarray:
    """Travel time in whole steps, rounded up, at least one step."""
    return np.maximum(1, np.ceil(travel_time_s / dt - 1e-9)).astype(np.int64)


def _cap_at(rate_per_step: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Whole people entering per step, rounding the cumulative capacity so totals stay exact."""
    return (np.floor((t + 1) * rate_per_step + 1e-7) - np.floor(t * rate_per_step + 1e-7)).astype(np.int64)


RELEASE_CHUNK = 4_000_000  # (item, step) pairs expanded at a time: a national move has ~10^8


def _release_layers(
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
            _release_layers(people[a:b], release_s[a:b], spread_s[a:b], dt) for a, b in zip(bounds[:-1], bounds[1:])
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


def _reverse_graph(net: _Net, weight: np.ndarray) -> sp.csr_array:
    """The usable arcs reversed, weighted (+1e-6: csgraph drops zero weights), the quickest of parallel arcs."""
    usable = net.capacity_per_h > 0
    w = weight[usable] + 1e-6
    # csr construction would sum parallel arcs: keep the quickest per pair instead
    g = sp.coo_array((w, (net.to[usable], net.frm[usable])), shape=(net.n, net.n))
    key = g.row.astype(np.int64) * net.n + g.col
    o = np.lexsort((g.data, key))
    firsts = o[np.r_[True, key[o][1:] != key[o][:-1]]] if len(o) else o
    return sp.csr_array((g.data[firsts], (g.row[firsts], g.col[firsts])), shape=(net.n, net.n))


def _reverse_dist(
    net: _Net,
    targets: np.ndarray,
    weight: np.ndarray,
    min_only: bool,
    predecessors: bool = False,
    graph: sp.csr_array | None = None,
) -> Any:
    """Shortest distance from every node to ``targets`` along usable arcs (Dijkstra on the reverse graph;
    ``graph``: `_reverse_graph` of the same weights when the caller already built it)."""
    g = _reverse_graph(net, weight) if graph is None else graph
    if min_only:
        return dijkstra(g, directed=True, indices=targets, min_only=True)
    return dijkstra(g, directed=True, indices=targets, return_predecessors=predecessors)


def _static_flows(
    net: _Net, src: np.ndarray, people: np.ndarray, sinks: np.ndarray, sink_cap: np.ndarray
) -> tuple[int, float]:
    """(people deliverable with unlimited time, network throughput in people per hour)."""
    big = int(people.sum()) + 1
    usable = net.capacity_per_h > 0

    def run(arc_cap: np.ndarray, src_cap: np.ndarray, sink_caps: np.ndarray) -> int:
        k = len(sinks)
        s_node, t_node = net.n + k, net.n + k + 1
        tails = np.concatenate([net.frm[usable], np.full(len(src), s_node), sinks, net.n + np.arange(k)])
        heads = np.concatenate([net.to[usable], src, net.n + np.arange(k), np.full(k, t_node)])
        caps = np.concatenate([arc_cap, src_cap, np.full(k, big), sink_caps]).astype(np.int64)
        return max_flow_value(tails, heads, caps, s_node, t_node)

    cap_people = np.where(np.isfinite(sink_cap), np.floor(sink_cap), big).astype(np.int64)
    deliverable = run(np.full(int(usable.sum()), big), people, cap_people)
    big = int(np.ceil(net.capacity_per_h[usable]).sum()) + 1
    rate = (
        run(np.ceil(net.capacity_per_h[usable]), np.full(len(src), big), np.full(len(sinks), big)) if deliverable else 0
    )
    return deliverable, float(rate)


def _choose_step(horizon_est_s: float, size_per_step: int, steps_target: int, budget: int | None) -> float:
    """Smallest 'nice' step keeping the step count (and, for exact, the expanded size) in budget."""
    for dt in NICE_STEPS_S:
        steps = horizon_est_s / dt
        if steps <= steps_target and (budget is None or steps * size_per_step <= budget):
            return float(dt)
    return float(NICE_STEPS_S[-1])


# --------------------------------------------------------------------------------------------
# Exact method: time-expanded min-cost flow
# --------------------------------------------------------------------------------------------


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


@dataclass
class _SinkPaths:
    """Quickest routes in whole steps from every node to every sink (Dijkstra trees, computed once per solve)."""

    dist: np.ndarray  # (k sinks, n nodes) steps; inf where unreachable
    pred: np.ndarray  # (k sinks, n nodes) next node towards the sink
    arc_key: np.ndarray  # sorted frm * n + to of the quickest arc per node pair
    arc_of_key: np.ndarray  # that arc

    @classmethod
    def build(cls, net: _Net, tau: np.ndarray, sinks: np.ndarray) -> _SinkPaths:
        targets, row = np.unique(sinks, return_inverse=True)
        dist, pred = _reverse_dist(net, targets, tau.astype(float), min_only=False, predecessors=True)
        dist = np.atleast_2d(dist)[row]
        pred = np.atleast_2d(pred)[row]
        dist = np.where(np.isfinite(dist), np.round(dist), np.inf)  # csgraph adds 1e-6 per hop
        # quickest arc per (from, to), then the widest (the one Dijkstra's weight saw)
        o = np.lexsort((-net.capacity_per_h, tau, net.frm * net.n + net.to))
        key = (net.frm * net.n + net.to)[o]
        first = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, bool)
        return cls(dist=dist, pred=pred, arc_key=key[first], arc_of_key=o[first])

    def routes(self, js: np.ndarray, vs: np.ndarray, tau: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Quickest routes from nodes ``vs`` to sinks ``js``, walked together hop by hop: (arcs, step offset of
        each arc from the route start, arcs per route), routes one after another."""
        n = self.pred.shape[1]
        cur = np.asarray(vs, dtype=np.int64).copy()
        js = np.asarray(js, dtype=np.int64)
        off = np.zeros(len(cur), dtype=np.int64)
        active = np.flatnonzero(self.dist[js, cur] > 0)
        rec_pair, rec_hop, rec_arc, rec_off = [], [], [], []
        hop = 0
        while len(active) and hop <= n:
            nxt = self.pred[js[active], cur[active]].astype(np.int64)
            arc = self.arc_of_key[np.searchsorted(self.arc_key, cur[active] * n + nxt)]
            rec_pair.append(active)
            rec_hop.append(np.full(len(active), hop))
            rec_arc.append(arc)
            rec_off.append(off[active].copy())
            off[active] += tau[arc]
            cur[active] = nxt
            active = active[self.dist[js[active], nxt] > 0]
            hop += 1
        if not rec_pair:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(len(cur), np.int64)
        pair, hops = np.concatenate(rec_pair), np.concatenate(rec_hop)
        o = np.lexsort((hops, pair))
        return (
            np.concatenate(rec_arc)[o],
            np.concatenate(rec_off)[o],
            np.bincount(pair, minlength=len(cur)).astype(np.int64),
        )


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
    k, it_k, it_src, amt, big = rx.k, rx.it_k, rx.it_src, rx.amt, rx.big
    live = it_k < T
    if not live.any() or not rx.usable:
        return None
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
    seg = None
    everyone = out is not None and out[0] == supply  # else not even the deadline-free relaxation takes all
    if everyone:
        live_i = np.flatnonzero(live)
        item_order = live_i[np.lexsort((-it_k[live_i], it_src[live_i]))]
        i_in, i_out, seg_amt = _match_in_order(amt[item_order], out[1][ns : ns + P])
        seg_item, seg_pair = item_order[i_in], i_out
        if np.all(it_k[seg_item] + pd[seg_pair] <= T - 1):
            seg = seg_item, seg_pair, seg_amt
    if seg is None:
        # 2) deadlines kept: the chains
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
        seg = item_order[i_in], seg_pair, seg_amt
    seg_item, seg_pair, seg_amt = seg
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


@dataclass
class _Core:
    """Method output on the (condensed) network, before mapping back to original arcs."""

    T: int
    arrivals: np.ndarray  # (k sinks, T) whole people
    flow_arc: np.ndarray  # COO over net arcs: arc, step, people
    flow_t: np.ndarray
    flow_val: np.ndarray
    jam_first: np.ndarray  # per net arc, -1 if never jammed
    jam_last: np.ndarray
    jam_steps: np.ndarray
    max_queue: np.ndarray
    status: str
    objective: float | None = None
    notes: list[str] = field(default_factory=list)


def _solve_exact(
    net: _Net,
    dt: float,
    rel_node: np.ndarray,
    rel_k: np.ndarray,
    rel_amt: np.ndarray,
    sinks: np.ndarray,
    sink_cap: np.ndarray,
    deliverable: int,
    rate_per_h: float,
    T_fixed: int | None,
    T_upper: int | None = None,
) -> _Core:
    tau = _steps(net.travel_time_s, dt)
    rate = net.capacity_per_h * dt / 3600.0
    total = int(rel_amt.sum())
    big = total + 1
    k = len(sinks)
    if k:
        dist_steps = np.asarray(_reverse_dist(net, np.unique(sinks), tau.astype(float), min_only=True))
    else:
        dist_steps = np.full(net.n, np.inf)
    reach = np.isfinite(dist_steps)
    hold_cost = np.where(reach, np.round(dist_steps), 0).astype(np.int64)
    dmax = int(hold_cost.max()) if len(hold_cost) else 0
    notes: list[str] = []
    rx = None
    if RELAXATION_FIRST and 0 < k and k * net.n <= RELAXATION_PAIRS_LIMIT and len(rel_k):
        rx = _Relaxation(_SinkPaths.build(net, tau, sinks), rel_node, rel_k, rel_amt, sink_cap)
        rx = rx if rx.usable else None

    flow_value: dict[int, int] = {}  # max flow of each horizon tried: the min-cost solve need not redo it
    too_short: dict[int, tuple[_Ten, Any]] = {}

    def feasible(T: int) -> bool:
        if _ten_size(net, k, T) > EXPANDED_ARCS_LIMIT:
            raise _TooLarge(
                f"time-expanded network would exceed {EXPANDED_ARCS_LIMIT:,} arcs "
                f"({T} steps of {dt:g} s); use a larger time step or the queue method"
            )
        ten = _build_ten(net, tau, rate, rel_node, rel_k, rel_amt, sinks, sink_cap, T, big, hold_cost, False)
        mf = _solved_max_flow(ten)
        flow_value[T] = int(mf.optimal_flow())
        if flow_value[T] < deliverable:  # the last horizon found too short: its minimum cut is the bottleneck
            too_short.clear()
            if len(ten.tails) <= KEEP_CUT_ARCS_LIMIT:
                too_short[T] = ten, mf
        return flow_value[T] >= deliverable

    def min_cost(T: int) -> tuple[_Ten, np.ndarray]:
        if _ten_size(net, k, T) > EXPANDED_ARCS_LIMIT:
            raise _TooLarge(
                f"time-expanded network would exceed {EXPANDED_ARCS_LIMIT:,} arcs "
                f"({T} steps of {dt:g} s); use a larger time step or the queue method"
            )
        relaxed = None if rx is None else _relaxed_schedule(rx, tau, rate, T, dmax)
        if relaxed is not None:
            ten = _build_ten(net, tau, rate, rel_node, rel_k, rel_amt, sinks, sink_cap, T, big, hold_cost, False)
            return ten, _flows_on_ten(ten, net, tau, *relaxed)
        if _ten_size(net, k, T) > MIN_COST_ARCS_LIMIT:
            # min-cost flow grows too slow on deep expanded graphs: keep the optimal horizon but
            # take the schedule from a max flow (arrivals within the horizon, not earliest)
            ten = _build_ten(net, tau, rate, rel_node, rel_k, rel_amt, sinks, sink_cap, T, big, hold_cost, False)
            notes.append(
                f"expanded network of {len(ten.tails):,} arcs: clearance is optimal for the time step, "
                "but the schedule comes from a max flow, so arrival curves are not the earliest possible"
            )
            return ten, _max_flow(ten, flows=True)[1]
        ten = _build_ten(net, tau, rate, rel_node, rel_k, rel_amt, sinks, sink_cap, T, big, hold_cost, True)
        return ten, max_flow_min_cost(
            ten.tails, ten.heads, ten.caps, ten.costs, ten.s_node, ten.t_node, flow_value.get(T)
        )[1]

    def last_arrival(ten: _Ten, flows: np.ndarray, T: int) -> int:
        per_t = flows[ten.seg["sink"]].reshape(k, T).sum(axis=0) if k else np.zeros(T)
        nz_t = np.flatnonzero(per_t)
        return int(nz_t[-1]) + 1 if len(nz_t) else 1

    cut_arc: np.ndarray | None = None
    cut_t = np.zeros(0, np.int64)
    if T_fixed is not None:
        T = max(int(T_fixed), 1)
        ten, flows = min_cost(T)
    elif deliverable == 0:
        T = int(rel_k.max()) + 1 if len(rel_k) else 1
        ten, flows = min_cost(T)
    else:
        last_rel = int(rel_k.max()) + 1
        # lower bound: the last released person still has to walk (only valid if no site fills up)
        lo = 0
        rr = reach[rel_node]
        if np.all(~np.isfinite(sink_cap)) and rr.any():
            lo = int((rel_k[rr] + dist_steps[rel_node[rr]]).max())  # infeasible: arrivals need layer >= this
        # throughput bound: everyone crosses the network's minimum cut at its rate
        rate_step = rate_per_h * dt / 3600.0
        lo = max(lo, int(math.floor(deliverable / max(rate_step, 1e-9))) - 1)
        hi = max(lo + 1, last_rel, int(lo + 1 + math.ceil(deliverable / max(rate_step, 1e-9))))
        gap = 0
        if rx is not None:
            # the relaxation's quickest horizon (cheap max flows on its small graph) bounds the real one
            # from below and is the real one whenever the links do not jam: try it first, then widen
            T_rx = _quickest_relaxed(
                rx, deliverable, int(rel_k.max()) + 2 + int(rx.d[np.isfinite(rx.d)].max(initial=0))
            )
            if T_rx is not None and T_rx - 1 > lo:
                lo, hi, gap = T_rx - 1, T_rx, 1
        if T_upper is not None and lo < T_upper < hi:
            hi = int(T_upper)
        if lo > 0 and feasible(lo):  # bounds are proofs, but a wrong one would silently cost optimality
            lo, gap = 0, 0
        while not feasible(hi):
            if gap:
                lo, hi, gap = hi, hi + 2 * gap, 2 * gap
            else:
                lo, hi = hi, hi * 2
        # smallest horizon in which everyone who can arrive does (max flows are cheap; min cost is not)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if feasible(mid):
                hi = mid
            else:
                lo = mid
        if lo >= 1:
            # the links that set the clearance: arcs of a minimum cut one step short of it
            if lo in too_short:
                cut_ten, cut_mf = too_short.pop(lo)
            else:
                cut_ten = _build_ten(
                    net, tau, rate, rel_node, rel_k, rel_amt, sinks, sink_cap, lo, big, hold_cost, False
                )
                cut_mf = None
            side = _min_cut_source_side(cut_ten, cut_mf)
            mv = cut_ten.seg["move"]
            crossing = side[cut_ten.tails[mv]] & ~side[cut_ten.heads[mv]]
            cut_arc, cut_t = cut_ten.move_arc[crossing], cut_ten.move_t[crossing]
        ten, flows = min_cost(hi)
        T = last_arrival(ten, flows, hi)
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


def _jam_stats(m: int, arc: np.ndarray, t: np.ndarray, queue: np.ndarray) -> tuple[np.ndarray, ...]:
    first = np.full(m, -1, dtype=np.int64)
    last = np.full(m, -1, dtype=np.int64)
    if len(arc):
        first_v = np.full(m, np.iinfo(np.int64).max)
        np.minimum.at(first_v, arc, t)
        first = np.where(first_v == np.iinfo(np.int64).max, -1, first_v)
        np.maximum.at(last, arc, t)
    steps = np.bincount(arc, minlength=m).astype(np.int64)
    mq = np.zeros(m)
    np.maximum.at(mq, arc, queue)
    return first, last, steps, mq


# --------------------------------------------------------------------------------------------
# Queue method: point queues on fixed routes
# --------------------------------------------------------------------------------------------


@dataclass
class _Stream:
    source: int
    sink: int
    people: int
    route: np.ndarray  # net arc indices


SINK_BATCH = 64  # shortest-path trees computed together (memory: batch x network nodes)
PRED_KEEP_LIMIT = 300_000_000  # sinks x nodes up to which the trees' predecessors are kept (int32: 1.2 GB)


def _quickest_arcs(net: _Net, usable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted from * n + to keys, arc) of the quickest usable arc per node pair (the first in a stable sort)."""
    idx = np.flatnonzero(usable)
    idx = idx[np.argsort(net.travel_time_s[idx], kind="stable")]
    key, first = np.unique(net.frm[idx] * net.n + net.to[idx], return_index=True)
    return key, idx[first]


def _routes_to(
    net: _Net, pred: np.ndarray, target: int, nodes: np.ndarray, arc_key: np.ndarray, arc_of_key: np.ndarray
) -> list[np.ndarray]:
    """Quickest routes (arc indices) from ``nodes`` to ``target`` along one tree's predecessors, walked together."""
    cur = np.asarray(nodes, dtype=np.int64).copy()
    hops: list[np.ndarray] = []
    owner: list[np.ndarray] = []
    active = np.flatnonzero(cur != target)
    while len(active):
        nxt = pred[cur[active]].astype(np.int64)
        hops.append(arc_of_key[np.searchsorted(arc_key, cur[active] * net.n + nxt)])
        owner.append(active)
        cur[active] = nxt
        active = active[nxt != target]
    if not hops:
        return [np.zeros(0, np.int64) for _ in nodes]
    arc, who = np.concatenate(hops), np.concatenate(owner)
    o = np.argsort(who, kind="stable")  # hop order kept within a route
    bounds = np.searchsorted(who[o], np.arange(len(nodes) + 1))
    arc = arc[o]
    return [arc[bounds[q] : bounds[q + 1]] for q in range(len(nodes))]


def _shortest_streams(
    net: _Net, src_net: np.ndarray, people: np.ndarray, sinks_net: np.ndarray, sink_cap: np.ndarray
) -> tuple[list[_Stream], int]:
    """Everyone takes the quickest route to the nearest site that still has room (greedy by distance).

    Greedy over (distance, source, sink) in increasing order, lazily: a heap holds each source's nearest sink not
    yet tried, so memory is sources x sinks distances, never one list of every pair; the shortest-path trees are
    computed by batches of sinks, and their predecessors only for the sinks someone walks to."""
    import heapq

    streams: list[_Stream] = []
    usable = net.capacity_per_h > 0
    valid_sinks = np.flatnonzero(sinks_net >= 0)
    if len(valid_sinks) == 0 or len(src_net) == 0:
        return streams, int(people.sum())
    targets = sinks_net[valid_sinks]
    rem_p = people.astype(np.int64).copy()
    live = np.flatnonzero((src_net >= 0) & (people > 0))
    k = len(targets)
    graph = _reverse_graph(net, net.travel_time_s)
    d_src = np.empty((k, len(live)))
    keep_pred = k * net.n <= PRED_KEEP_LIMIT  # else the trees are grown again for their predecessors
    preds = np.empty((k, net.n), dtype=np.int32) if keep_pred else None
    for b in range(0, k, SINK_BATCH):
        got = _reverse_dist(
            net, targets[b : b + SINK_BATCH], net.travel_time_s, min_only=False, predecessors=keep_pred, graph=graph
        )
        d, pred = got if keep_pred else (got, None)
        d_src[b : b + SINK_BATCH] = np.atleast_2d(d)[:, src_net[live]]
        if preds is not None:
            preds[b : b + SINK_BATCH] = np.atleast_2d(pred)
    # each source's sinks by (distance, sink row): the order of the pairs in the greedy
    cand = np.empty(d_src.shape, dtype=np.int32)
    for c0 in range(0, len(live), 8192):  # by column blocks: argsort's int64 result for a block only
        cand[:, c0 : c0 + 8192] = np.argsort(d_src[:, c0 : c0 + 8192], axis=0, kind="stable")
    n_fin = np.isfinite(d_src).sum(axis=0)
    rem_c = np.where(np.isfinite(sink_cap), np.floor(sink_cap), np.iinfo(np.int64).max // 4).astype(np.int64)
    ptr = np.zeros(len(live), dtype=np.int64)
    heap = [(float(d_src[cand[0, c], c]), int(live[c]), int(cand[0, c]), c) for c in range(len(live)) if n_fin[c]]
    heapq.heapify(heap)
    chosen: list[tuple[int, int, int]] = []  # (source, sink row, people) in greedy order
    while heap:
        _, i, r, c = heapq.heappop(heap)
        j = int(valid_sinks[r])
        if rem_c[j] > 0:
            q = int(min(rem_p[i], rem_c[j]))
            rem_p[i] -= q
            rem_c[j] -= q
            chosen.append((i, r, q))
            if rem_p[i] == 0:
                continue
        ptr[c] += 1
        if ptr[c] < n_fin[c]:
            r2 = int(cand[ptr[c], c])
            heapq.heappush(heap, (float(d_src[r2, c]), i, r2, c))
    del d_src, cand
    # routes of the (source node, sink) pairs used, one predecessor tree per sink walked to
    arc_key, arc_of_key = _quickest_arcs(net, usable)
    route: dict[tuple[int, int], np.ndarray] = {}
    walkers: dict[int, set[int]] = {}  # sink row -> source nodes walking to it
    for i, r, _ in chosen:
        walkers.setdefault(r, set()).add(int(src_net[i]))
    rows_used = sorted(walkers)
    for b in range(0, len(rows_used), SINK_BATCH):
        rows = rows_used[b : b + SINK_BATCH]
        if preds is not None:
            pred = preds[rows]
        else:
            pred = np.atleast_2d(
                _reverse_dist(net, targets[rows], net.travel_time_s, min_only=False, predecessors=True, graph=graph)[1]
            )
        for q, r in enumerate(rows):
            nodes = sorted(walkers[r])
            for u, arcs in zip(
                nodes, _routes_to(net, pred[q], int(targets[r]), np.asarray(nodes), arc_key, arc_of_key)
            ):
                route[(u, r)] = arcs
    for i, r, q in chosen:
        streams.append(_Stream(source=i, sink=int(valid_sinks[r]), people=q, route=route[(int(src_net[i]), r)]))
    return streams, int(rem_p.sum())


def _solve_queue(
    net: _Net,
    dt: float,
    streams: list[_Stream],
    inst: EvacuationInstance,
    sinks_net: np.ndarray,
    sink_cap: np.ndarray,
    T_fixed: int | None,
) -> _Core:
    tau = _steps(net.travel_time_s, dt)
    rate = net.capacity_per_h * dt / 3600.0
    k = len(sinks_net)
    # route-suffix trie: one element per (link, rest of route); shortest-path routes share suffixes
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
    E = len(e_arc)
    ea = np.asarray(e_arc, dtype=np.int64)
    en = np.asarray(e_next, dtype=np.int64)
    es = np.asarray(e_sink, dtype=np.int64)
    etau = tau[ea] if E else np.zeros(0, np.int64)
    queue = np.zeros(E)
    term = en < 0
    # people on their way along a link, by the step they reach its end: step -> [(elements (ascending), people)];
    # only what moves is touched, so a step costs what happens in it, not the size of the network
    calendar: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}

    # release schedule per stream
    s_people = np.asarray([s.people for s in streams], dtype=np.int64)
    s_src = np.asarray([s.source for s in streams], dtype=np.int64)
    item, rk, ramt = _release_layers(
        s_people,
        inst.source_release_s[s_src] if len(s_src) else np.zeros(0),
        inst.source_spread_s[s_src] if len(s_src) else np.zeros(0),
        dt,
    )
    order = np.argsort(rk, kind="stable")
    item, rk, ramt = item[order], rk[order], ramt[order]
    last_rel = int(rk.max()) if len(rk) else 0
    direct = first_elem[item] < 0  # source is the sink: arrives at release
    s_sink = np.asarray([s.sink for s in streams], dtype=np.int64)

    # per step, only the links on some route: at national scale a small part of the network
    used_arcs = _unique(ea)
    U = len(used_arcs)
    eu = np.searchsorted(used_arcs, ea)  # element -> used link
    rate_u = rate[used_arcs]
    pos_rate = rate_u[rate_u > 0]
    max_route = int(max((tau[s.route].sum() for s in streams), default=0))
    if T_fixed is not None:
        T_max = int(T_fixed)
    else:
        longest = max((len(s.route) for s in streams), default=1)
        T_max = int(
            last_rel
            + max_route
            + 2
            + longest * math.ceil(s_people.sum() / max(float(pos_rate.min()) if len(pos_rate) else 1.0, 1e-9))
        )
    room = np.where(np.isfinite(sink_cap), sink_cap, np.inf).astype(float)
    arrivals_cols: list[np.ndarray] = []
    f_arc: list[np.ndarray] = []
    f_t: list[np.ndarray] = []
    f_val: list[np.ndarray] = []
    jam_first = np.full(U, -1, dtype=np.int64)
    jam_last = np.full(U, -1, dtype=np.int64)
    jam_steps = np.zeros(U, dtype=np.int64)
    max_q = np.zeros(U)
    rp = 0
    turned_away = 0.0
    t = 0
    positive = net.capacity_per_h[used_arcs] > 0
    positive_e = positive[eu]
    while t < T_max:
        arr_sink = np.zeros(k)
        pieces = calendar.pop(t, None)
        if pieces:
            ae = np.concatenate([p[0] for p in pieces])
            av = np.concatenate([p[1] for p in pieces])
            o = np.argsort(ae, kind="stable")  # element order: the sums below add up as over every element
            ae, av = ae[o], av[o]
            nt = ~term[ae]
            if nt.any():
                tgt, inv = np.unique(en[ae[nt]], return_inverse=True)
                queue[tgt] += np.bincount(inv, weights=av[nt], minlength=len(tgt))
            if (~nt).any():
                arr_sink += np.bincount(es[ae[~nt]], weights=av[~nt], minlength=k)
        while rp < len(rk) and rk[rp] == t:
            if direct[rp]:
                arr_sink[s_sink[item[rp]]] += ramt[rp]
            else:
                queue[first_elem[item[rp]]] += ramt[rp]
            rp += 1
        accepted = np.minimum(arr_sink, room)
        turned_away += float((arr_sink - accepted).sum())
        room -= accepted
        arrivals_cols.append(accepted)
        A = np.flatnonzero(queue) if E else np.zeros(0, np.int64)  # elements where people wait
        if len(A):
            ua, inv = np.unique(eu[A], return_inverse=True)
            Q = np.bincount(inv, weights=queue[A], minlength=len(ua))
            u = _cap_at(rate_u[ua], np.full(len(ua), t)).astype(float)
            out = np.minimum(Q, u)
            frac = np.divide(out, Q, out=np.zeros(len(ua)), where=Q > 0)
            out_e = queue[A] * frac[inv]
            queue[A] -= out_e
            go = out_e != 0
            if go.any():
                e_go, v_go = A[go], out_e[go]
                at = t + etau[e_go]
                o = np.argsort(at, kind="stable")
                e_go, v_go, at = e_go[o], v_go[o], at[o]
                cuts = np.flatnonzero(at[1:] != at[:-1]) + 1
                for lo, hi in zip(np.r_[0, cuts].tolist(), np.r_[cuts, len(at)].tolist()):
                    calendar.setdefault(int(at[lo]), []).append((e_go[lo:hi], v_go[lo:hi]))
            moved = np.flatnonzero(out > 0)
            if len(moved):  # compact storage: long runs record (arc, step) pairs by the million
                f_arc.append(used_arcs[ua[moved]].astype(np.int32))
                f_t.append(np.full(len(moved), t, dtype=np.int32))
                f_val.append(out[moved].astype(np.float32))
            left = Q - out
            jam = (left > 1e-9) & positive[ua]
            if jam.any():
                jj = ua[jam]
                jam_first[jj] = np.where(jam_first[jj] < 0, t, jam_first[jj])
                jam_last[jj] = t
                jam_steps[jj] += 1
                max_q[jj] = np.maximum(max_q[jj], left[jam])
        t += 1
        if t > last_rel and rp >= len(rk):
            stuck_free = float(queue[positive_e].sum()) if E else 0.0
            if stuck_free <= 1e-9 and sum(float(v.sum()) for ps in calendar.values() for _, v in ps) <= 1e-9:
                break  # nobody waits at an open link and nobody is on the way
    T = t
    arrivals_f = np.stack(arrivals_cols, axis=1) if arrivals_cols else np.zeros((k, 0))
    # whole people: round cumulative arrivals so totals are exact and the curve stays monotone
    cum = np.floor(np.cumsum(arrivals_f, axis=1) + 1e-6)
    arrivals = np.diff(np.concatenate([np.zeros((k, 1)), cum], axis=1), axis=1).astype(np.int64)
    notes = []
    if turned_away > 0.5:
        notes.append(f"{turned_away:,.0f} people reached a full site on their fixed route and were turned away")
    cat = lambda xs, dtype: np.concatenate(xs).astype(dtype) if xs else np.zeros(0, dtype)

    def on_net(v: np.ndarray, fill: float) -> np.ndarray:  # per used link -> per network link
        out = np.full(net.m, fill, dtype=v.dtype)
        out[used_arcs] = v
        return out

    return _Core(
        T=T,
        arrivals=arrivals,
        flow_arc=cat(f_arc, np.int32),
        flow_t=cat(f_t, np.int32),
        flow_val=cat(f_val, np.float32),
        jam_first=on_net(jam_first, -1),
        jam_last=on_net(jam_last, -1),
        jam_steps=on_net(jam_steps, 0),
        max_queue=on_net(max_q, 0.0),
        status="simulated",
        notes=notes,
    )


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


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


def solve_evacuation(
    instance: EvacuationInstance,
    *,
    time_step_s: float | None = None,
    horizon_s: float | None = None,
    routing: Routing = "free",
    method: Method = "auto",
) -> EvacuationResult:
    """Schedule the move: clearance time, arrivals per sink, flows per arc and bottlenecks.

    ``time_step_s`` None chooses a step (exact: the expanded graph stays near
    ``EXPANDED_ARCS_TARGET`` arcs). ``horizon_s`` None runs until everyone who can arrive has;
    otherwise people not arrived by ``horizon_s`` are reported as not arrived.
    ``routing="free"`` lets the exact method choose routes (the queue model then uses shortest
    routes); ``"fixed"`` follows ``instance.routes`` (shortest where None) with the queue model.
    """
    validate_instance(instance)
    if routing not in ("free", "fixed"):
        raise InputError(
            Problem(file="<arguments>", field="routing", message=f"expected free or fixed, got {routing!r}")
        )
    if method not in ("auto", "exact", "queue"):
        raise InputError(
            Problem(file="<arguments>", field="method", message=f"expected auto, exact or queue, got {method!r}")
        )
    if routing == "fixed" and method == "exact":
        raise InputError(
            Problem(
                file="<arguments>",
                field="method",
                message="fixed routes are simulated with the queue model; the exact method optimises free routes",
            )
        )
    for name, v in (("time_step_s", time_step_s), ("horizon_s", horizon_s)):
        if v is not None and not (math.isfinite(v) and 0 < v <= MAX_HORIZON_S):
            raise InputError(
                Problem(
                    file="<arguments>",
                    field=name,
                    message=f"expected a number > 0 and <= {MAX_HORIZON_S:g} s (30 days), got {v}",
                )
            )

    total = instance.total_people
    explanations: list[str] = []
    net = condense(instance)
    node_map = net.node_map(instance.n_nodes)
    src_net = node_map[instance.source_node]
    sinks_net = node_map[instance.sink_node]
    people = instance.source_people

    # people on no road with capacity towards any site
    for i in np.flatnonzero((src_net < 0) & (people > 0)).tolist():
        explanations.append(
            f"source {i} at node '{instance.node_ids[instance.source_node[i]]}': no link with capacity "
            f"leads to any site with room; {int(people[i]):,} people cannot leave"
        )
    ok_src = np.flatnonzero((src_net >= 0) & (people > 0))
    ok_sink = np.flatnonzero(sinks_net >= 0)
    deliverable, rate_per_h = (0, 0.0)
    if len(ok_src) and len(ok_sink):
        deliverable, rate_per_h = _static_flows(
            net, src_net[ok_src], people[ok_src], sinks_net[ok_sink], instance.sink_capacity[ok_sink]
        )
    reachable_people = int(people[ok_src].sum())
    if deliverable < reachable_people:
        explanations.append(
            f"the sites reachable from the sources can take only {deliverable:,} of "
            f"{reachable_people:,} people who can leave; {reachable_people - deliverable:,} have no place"
        )

    # horizon estimate: last release + walk to the nearest site + everyone through the network's throughput
    horizon_est_s = 3600.0
    if deliverable > 0:
        d_s = _reverse_dist(net, np.unique(sinks_net[ok_sink]), net.travel_time_s, min_only=True)
        ends = instance.source_release_s[ok_src] + instance.source_spread_s[ok_src] + d_s[src_net[ok_src]]
        horizon_est_s = float(np.max(ends[np.isfinite(ends)])) + deliverable / max(rate_per_h, 1e-9) * 3600.0
    if horizon_s is not None:
        horizon_est_s = horizon_s
    if time_step_s is not None and 1.5 * horizon_est_s / time_step_s > MAX_USER_STEPS:
        need = 1.5 * horizon_est_s / MAX_USER_STEPS
        raise InputError(
            Problem(
                file="<arguments>",
                field="time_step_s",
                message=(
                    f"a time step of {time_step_s:g} s needs about {1.5 * horizon_est_s / time_step_s:,.0f} steps to cover "
                    f"this evacuation (about {horizon_est_s / 3600:,.1f} h); at most {MAX_USER_STEPS:,} steps: use a step of "
                    f"at least {math.ceil(need):g} s, or leave it out to let the solver choose"
                ),
            )
        )

    auto = method == "auto"
    if method == "auto":
        if routing == "fixed":
            method = "queue"
        else:
            dt_ex = time_step_s or _choose_step(
                1.5 * horizon_est_s, net.m + net.n + len(ok_sink), STEPS_TARGET_EXACT, EXPANDED_ARCS_TARGET
            )
            method = "exact" if dt_ex <= AUTO_EXACT_MAX_STEP_S or time_step_s is not None else "queue"
            if method == "queue":
                explanations.append(
                    "network too large for the exact method at a useful resolution; the queue model ran instead"
                )

    core: _Core | None = None
    if method == "exact":
        dt = time_step_s or _choose_step(
            1.5 * horizon_est_s, net.m + net.n + len(ok_sink), STEPS_TARGET_EXACT, EXPANDED_ARCS_TARGET
        )
        T_fixed = None if horizon_s is None else int(math.floor(horizon_s / dt + 1e-9))
        T_upper = None
        rel_item, rel_k, rel_amt = _release_layers(
            people[ok_src], instance.source_release_s[ok_src], instance.source_spread_s[ok_src], dt
        )
        try:
            core = _solve_exact(
                net,
                dt,
                src_net[ok_src][rel_item],
                rel_k,
                rel_amt,
                sinks_net[ok_sink],
                instance.sink_capacity[ok_sink],
                deliverable,
                rate_per_h,
                T_fixed,
                T_upper,
            )
        except _TooLarge as exc:
            if not auto:
                raise SolverError(str(exc)) from exc
            method = "queue"
            explanations.append(f"{exc}; the queue model ran instead")
        qnet = net
        sink_index = ok_sink
    if core is None:
        dt = time_step_s or _choose_step(1.5 * horizon_est_s, 0, STEPS_TARGET_QUEUE, None)
        T_fixed = None if horizon_s is None else int(math.floor(horizon_s / dt + 1e-9))
        core, qnet = _run_queue(instance, net, src_net, sinks_net, routing, dt, T_fixed)
        sink_index = np.arange(len(instance.sink_node))
        if routing == "free":
            explanations.append(
                "queue model: everyone takes the quickest route to the nearest site with room "
                "(no re-routing around queues), so clearance is an upper bound on the best achievable"
            )
    explanations.extend(core.notes)

    # results on the original arcs and sinks
    k_all = len(instance.sink_node)
    arrivals = np.zeros((k_all, core.T), dtype=np.int64)
    arrivals[sink_index] = core.arrivals[:, : core.T]
    arrived = int(arrivals.sum())
    not_arrived = total - arrived
    if horizon_s is not None and not_arrived > 0:
        explanations.append(f"{not_arrived:,} people had not arrived by the horizon of {horizon_s / 3600:.2f} h")
    step_end = (np.arange(core.T) + 1) * dt
    any_arr = arrivals.sum(axis=0) > 0
    clearance = float(step_end[np.flatnonzero(any_arr)[-1]]) if any_arr.any() else (0.0 if total == 0 else None)
    n_arcs = instance.n_arcs
    bottlenecks = _bottlenecks(qnet, core, dt)
    objective = bound = gap = None
    if method == "exact" and core.objective is not None:
        objective = core.objective  # min-cost flow: optimal, so the bound equals it
        bound, gap = objective, 0.0
    return EvacuationResult(
        status=core.status,
        method=method,
        routing=routing,
        time_step_s=dt,
        horizon_s=core.T * dt,
        clearance_s=clearance,
        total_people=total,
        arrived=arrived,
        not_arrived=not_arrived,
        sink_arrivals=arrivals,
        arc_flows_of=partial(_map_flows, qnet, n_arcs, core, dt),
        bottlenecks=bottlenecks,
        objective_person_s=objective,
        best_bound_person_s=bound,
        gap=gap,
        explanations=explanations,
        condensed_nodes=net.n,
        condensed_arcs=net.m,
    )


def _map_flows(net: _Net, n_arcs: int, core: _Core, dt: float) -> sp.csr_array:
    """Flows on original arcs: every member of a chain carries its chain's flow, shifted by its offset."""
    if len(net.member_arc) == net.m and not net.member_offset_s.any():  # no merged chains: one to one
        T = core.T if not len(core.flow_t) else max(core.T, int(core.flow_t.max()) + 1)
        return sp.coo_array((core.flow_val, (net.member_arc[core.flow_arc], core.flow_t)), shape=(n_arcs, T)).tocsr()
    cnt = np.diff(net.member_ptr)[core.flow_arc]
    rep = np.repeat(np.arange(len(core.flow_arc)), cnt)
    pos = net.member_ptr[core.flow_arc][rep] + (np.arange(len(rep)) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    arcs = net.member_arc[pos]
    shift = np.floor(net.member_offset_s[pos] / dt + 1e-9).astype(np.int64)
    t = core.flow_t[rep] + shift
    T = max(core.T, int(t.max()) + 1 if len(t) else 0)
    return sp.coo_array((core.flow_val[rep], (arcs, t)), shape=(n_arcs, T)).tocsr()


def _bottlenecks(net: _Net, core: _Core, dt: float) -> list[Bottleneck]:
    out = []
    for c in np.flatnonzero(core.jam_first >= 0).tolist():
        shift = math.floor(net.bottleneck_offset_s[c] / dt + 1e-9) * dt
        cap = float(net.capacity_per_h[c])
        q = float(core.max_queue[c])
        out.append(
            Bottleneck(
                arc=int(net.bottleneck_arc[c]),
                saturated_from_s=float(core.jam_first[c] * dt + shift),
                saturated_until_s=float((core.jam_last[c] + 1) * dt + shift),
                saturated_s=float(core.jam_steps[c] * dt),
                max_queue_people=q,
                max_delay_s=q / cap * 3600.0 if cap > 0 else math.inf,
            )
        )
    out.sort(key=lambda b: (-b.max_delay_s, -b.saturated_s))
    return out


def result_to_dict(
    result: EvacuationResult, instance: EvacuationInstance, *, include_flows: bool = True
) -> dict[str, Any]:
    """JSON-ready summary (node ids instead of indices; times in seconds)."""
    ids = instance.node_ids
    dt = result.time_step_s
    arrivals = []
    for j, t in zip(*np.nonzero(result.sink_arrivals)):
        arrivals.append(
            {
                "sink": ids[instance.sink_node[j]],
                "sink_index": int(j),
                "t_s": float((t + 1) * dt),
                "people": int(result.sink_arrivals[j, t]),
            }
        )
    arrivals.sort(key=lambda r: (r["sink_index"], r["t_s"]))
    flows = []
    if include_flows:
        csr = result.arc_flows
        for a in np.flatnonzero(np.diff(csr.indptr)).tolist():
            cols = csr.indices[csr.indptr[a] : csr.indptr[a + 1]]
            vals = csr.data[csr.indptr[a] : csr.indptr[a + 1]]
            o = np.argsort(cols)
            cols, vals = cols[o], vals[o]
            series = np.zeros(int(cols[-1] - cols[0] + 1))
            series[cols - cols[0]] = vals
            flows.append(
                {
                    "arc": a,
                    "from": ids[instance.arc_from[a]],
                    "to": ids[instance.arc_to[a]],
                    "start_s": float(cols[0] * dt),
                    "people_per_step": [round(float(v), 3) for v in series],
                }
            )
    return {
        "status": result.status,
        "method": result.method,
        "routing": result.routing,
        "time_step_s": dt,
        "horizon_s": result.horizon_s,
        "clearance_s": result.clearance_s,
        "clearance_h": None if result.clearance_s is None else result.clearance_s / 3600.0,
        "cleared": result.cleared,
        "total_people": result.total_people,
        "arrived": result.arrived,
        "not_arrived": result.not_arrived,
        "objective_person_s": result.objective_person_s,
        "best_bound_person_s": result.best_bound_person_s,
        "gap": result.gap,
        "condensed": {"nodes": result.condensed_nodes, "arcs": result.condensed_arcs},
        "arrivals": arrivals,
        "arc_flows": flows,
        "bottlenecks": [
            {
                "arc": b.arc,
                "from": ids[instance.arc_from[b.arc]],
                "to": ids[instance.arc_to[b.arc]],
                "saturated_from_s": b.saturated_from_s,
                "saturated_until_s": b.saturated_until_s,
                "saturated_s": b.saturated_s,
                "max_queue_people": round(b.max_queue_people, 1),
                "max_delay_s": b.max_delay_s,
            }
            for b in result.bottlenecks
        ],
        "explanations": result.explanations,
    }
