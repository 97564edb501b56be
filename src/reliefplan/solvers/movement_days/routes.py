"""The road network the simulation moves people on (condensed, with shortest ways to every site) and the route
elements: segments of the way to a site, about a step long, each with its queue and travel ring."""

from __future__ import annotations

import hashlib
import math
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..evacuation import EvacuationInstance, _SinkPaths, condense
from . import route_kernel
from .instance import DaysInstance


class Elements:
    """Growable route elements: a segment of the way to a site (one or more links, about a step long), for one
    mode (and whether the people on it follow the plan). People on an element carry the sum of their departure
    steps and their vulnerable people along."""

    def __init__(self, cap: int = 1024) -> None:
        # elements, links in `arcs`, ring slots used: an array, so that compiled route making
        # (`route_kernel.make_route`) counts in the same place as `add`
        self.counts = np.zeros(3, np.int64)
        self.ptr = np.zeros(cap, np.int64)  # its links: arcs[ptr : ptr + nar]
        self.nar = np.zeros(cap, np.int64)
        self.arcs = np.zeros(4 * cap, np.int64)
        self.next = np.zeros(cap, np.int64)
        self.site = np.zeros(cap, np.int64)
        self.mode = np.zeros(cap, np.int64)
        self.directed = np.zeros(cap, bool)
        self.k = np.zeros(cap, np.int64)  # whole steps of the travel time (>= 1)
        self.f = np.zeros(cap)  # fraction of the outflow that takes one step more
        self.carry = np.zeros(cap)  # fraction of a person owed to the slower step (unbiased split)
        self.use = np.ones(cap)
        self.ff_s = np.zeros(cap)  # free-flow seconds from this element to the site
        self.queue = np.zeros(cap, np.int64)  # people waiting to enter the link
        self.qdep = np.zeros(cap)  # sum of their departure steps
        self.qvul = np.zeros(cap)  # vulnerable people among them
        self.size = np.ones(cap, np.int64)  # travel ring: slots of this element (k + 2 rounded up to a power of 2)
        self.off = np.zeros(cap, np.int64)  # its first slot
        self.ring_n = np.zeros(4 * cap, np.int64)  # people on the link, by the step they reach its end
        self.ring_dep = np.zeros(4 * cap)
        self.ring_vul = np.zeros(4 * cap)
        self.on_ring = np.zeros(cap, np.int64)  # people on its travel ring (kept by the compiled kernel only)
        # one bit per element, so that a step finds the elements with people on their ring (`rbits`, exact) and
        # those that may have people queued (`qbits`) word by word, in element order, instead of testing each
        self.rbits = np.zeros(cap // 64 + 1, np.uint64)
        self.qbits = np.zeros(cap // 64 + 1, np.uint64)
        # the kernel's work rows (`kernel.land`, `kernel.discharge`), one slot per element: made once, not at every
        # step
        self.work_i = np.zeros((8, cap), np.int64)
        self.work_f = np.zeros((6, cap))
        self.grown = 0  # how many times arrays were replaced by larger ones (the kernel's tuple is rebuilt)

    @property
    def n(self) -> int:
        return int(self.counts[0])

    @property
    def n_arcs(self) -> int:
        return int(self.counts[1])

    @property
    def slots(self) -> int:
        return int(self.counts[2])

    def grow(self, elements: bool = True, slots: int = 0, arcs: int = 0) -> None:
        """Room for more: the element arrays doubled (``elements``), the rings and the links list at least
        doubled when ``slots`` or ``arcs`` more do not fit (0: doubled)."""
        if elements:
            for name, a in list(vars(self).items()):
                if isinstance(a, np.ndarray) and name.startswith("work"):
                    setattr(self, name, np.zeros((len(a), 2 * a.shape[1]), a.dtype))
                elif isinstance(a, np.ndarray) and not name.startswith("ring") and name not in ("arcs", "counts"):
                    b = np.zeros(2 * len(a), a.dtype)
                    b[: len(a)] = a
                    setattr(self, name, b)
        if not slots or self.slots + slots > len(self.ring_n):
            for name in ("ring_n", "ring_dep", "ring_vul"):
                a = getattr(self, name)
                b = np.zeros(max(2 * len(a), self.slots + slots), a.dtype)
                b[: self.slots] = a[: self.slots]
                setattr(self, name, b)
        if not arcs or self.n_arcs + arcs > len(self.arcs):
            wider = np.zeros(max(2 * len(self.arcs), self.n_arcs + arcs), np.int64)
            wider[: self.n_arcs] = self.arcs[: self.n_arcs]
            self.arcs = wider
        self.grown += 1

    def add(self, arcs: list[int], site: int, mode: int, directed: bool, tau: float, use: float) -> int:
        """A new element (`route_kernel.add_element`), the arrays grown first when full; its index."""
        size = route_kernel.ring_size(int(math.floor(tau + 1e-9)))
        full = self.n == len(self.next)
        if full or self.slots + size > len(self.ring_n) or self.n_arcs + len(arcs) > len(self.arcs):
            self.grow(full, size, len(arcs))
        links = np.asarray(arcs, np.int64)
        els = route_kernel.build_arrays(self)
        return int(route_kernel.add_element(els, links, 0, len(links), site, mode, directed, float(tau), float(use)))


@dataclass
class RoadNet:
    n_orig_arcs: int
    cnet: Any  # evacuation._Net (condensed)
    paths: Any  # evacuation._SinkPaths on lengths
    site_row: np.ndarray  # row of each site in paths.dist (-1: unreachable)
    origin_node: np.ndarray  # condensed node per origin (-1: no road to any site)
    site_node: np.ndarray


def prepare_network(inst: DaysInstance) -> RoadNet:
    n_o, n_s = len(inst.origin_node), len(inst.site_node)
    ev = EvacuationInstance(
        node_ids=[str(i) for i in range(inst.n_nodes)],
        arc_from=inst.arc_from,
        arc_to=inst.arc_to,
        arc_travel_time_s=inst.arc_length_m,
        arc_capacity_per_h=inst.arc_capacity_per_h,
        source_node=np.concatenate([inst.origin_node, inst.site_node]),
        source_people=np.ones(n_o + n_s, np.int64),
        source_release_s=np.zeros(n_o + n_s),
        sink_node=inst.site_node,
        sink_capacity=np.ones(n_s),
    )
    cnet = condense(ev)  # lengths add up along merged chains; capacity is the chain's smallest
    node_map = cnet.node_map(inst.n_nodes)
    s_node = node_map[inst.site_node]
    reach = np.flatnonzero(s_node >= 0)
    paths = _SinkPaths.build(cnet, cnet.travel_time_s, s_node[reach]) if len(reach) else None
    site_row = np.full(n_s, -1, np.int64)
    site_row[reach] = np.arange(len(reach))
    o_node = node_map[inst.origin_node]
    if paths is not None:
        ok = o_node >= 0
        o_node[ok] = np.where(np.isfinite(paths.dist[:, o_node[ok]]).any(axis=0), o_node[ok], -1)
    else:
        o_node[:] = -1
    return RoadNet(
        n_orig_arcs=len(inst.arc_from), cnet=cnet, paths=paths, site_row=site_row, origin_node=o_node, site_node=s_node
    )


#: segments of the ways to the sites (`segment`), per road network and step, keyed (node, the site's condensed
#: node, mode): every run on the same roads shares them (the two runs of a plan; ensemble members, whose draws
#: change capacities, people and the destinations, overflow places included, but not the lengths)
_SEGMENTS: dict[bytes, dict[tuple[int, int, int], tuple[list[int], float, int]]] = {}
_SEGMENT_NETWORKS = 4  # networks kept
_SEGMENTS_LOCK = threading.Lock()


def segments(net: RoadNet, steps_per_m: np.ndarray) -> dict[tuple[int, int, int], tuple[list[int], float, int]]:
    """The memo of `segment` results, keyed (node, the site's condensed node, mode), for this network's lengths and
    these steps per metre by mode (a cache that never changes a result: the same inputs give the same segments).

    A segment depends on its site only through the site's node: the shortest-path tree to a node (one Dijkstra
    per node, `_SinkPaths.build`) does not depend on which other sites there are, so runs with other destinations
    (an ensemble member's overflow places) share the segments. The usable links and the order of capacities
    (the tie-break between parallel links) are in the key too; uniform capacity draws keep both."""
    cap = net.cnet.capacity_per_h
    parts = (net.cnet.frm, net.cnet.to, net.cnet.travel_time_s, cap > 0, np.argsort(-cap, kind="stable"), steps_per_m)
    key = hashlib.blake2b(b"".join(np.ascontiguousarray(a).tobytes() for a in parts), digest_size=16).digest()
    with _SEGMENTS_LOCK:  # workers may run members in threads
        memo = _SEGMENTS.get(key)
        if memo is None:
            while len(_SEGMENTS) >= _SEGMENT_NETWORKS:
                _SEGMENTS.pop(next(iter(_SEGMENTS)))
            memo = _SEGMENTS[key] = {}
    return memo


def segment(net: RoadNet, node: int, site: int, steps_per_m: float) -> tuple[list[int], float, int]:
    """The segment of the shortest way from condensed ``node`` to ``site`` (`route_kernel.segment_links`): its
    links, its travel time in steps at ``steps_per_m``, and the node it ends at."""
    buf = np.empty(net.cnet.n, np.int64)
    row, target = int(net.site_row[site]), int(net.site_node[site])
    n, tau, v = route_kernel.segment_links(node, row, target, route_kernel.path_arrays(net), steps_per_m, buf, 0)
    return buf[:n].tolist(), float(tau), int(v)
