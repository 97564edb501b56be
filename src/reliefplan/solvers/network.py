"""Road networks: OSM/GeoJSON lines → routable graph → many-to-many travel-time matrices.

Units: metres (local metric CRS), seconds, persons/h (walk) or vehicles/h (drive).

Pipeline use::

    roads = load_roads(path)                                  # loader (reads the file)
    crs = network_crs(roads)                                  # or the scenario's CRS
    net = build_network(roads, mode="walk", crs=crs)          # stage: no I/O
    tt = travel_time_matrix(net, zone_xy, site_xy)            # [n_zone, n_site] seconds / metres
    plan_network = net.summary()                              # plan.json `network`
    # no roads: straight_line_matrix(zone_xy, site_xy, speed_m_s=...) and fallback_summary("walk")
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import shapely
import yaml
from pyproj import CRS
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from .._errors import InputError, Problem
from ..geo import WGS84, local_crs, project, transformer
from ..scenario.roads import Closures, RoadLines, _read_vector_wgs84, load_roads

Mode = Literal["walk", "drive"]
MODES: tuple[str, ...] = ("walk", "drive")


# --------------------------------------------------------------------------- parameters (data)

@cache
def _profiles() -> dict[str, Any]:
    text = resources.files("reliefplan").joinpath("data/network/profiles.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


@dataclass(frozen=True, eq=False)
class NetworkParams:
    """Speeds, capacities and geometry tolerances; defaults come from data/network/profiles.yaml."""

    walk_speed_m_s: float
    walk_capacity_persons_per_h_per_m: float
    walk_excluded_highways: frozenset[str]
    drive_speed_kmh: dict[str, float]
    drive_speed_factor: float
    drive_allowed_highways: frozenset[str]
    lane_capacity_veh_per_h: float
    lanes_per_direction: dict[str, float]
    lane_width_m: float
    default_width_m: dict[str, float]
    circuity: float
    max_segment_m: float = 50.0  # lines are split so that nodes are ≤ this apart (snapping, closures)
    node_precision_m: float = 0.01  # vertices closer than this (same rounded coordinate) are one node
    sources: dict[str, str] = field(default_factory=dict)

    @classmethod
    def default(cls, **overrides: Any) -> NetworkParams:
        p = _profiles()
        w, d = p["walk"], p["drive"]
        values: dict[str, Any] = dict(
            walk_speed_m_s=float(w["speed_m_s"]["value"]),
            walk_capacity_persons_per_h_per_m=float(w["capacity_persons_per_h_per_m"]["value"]),
            walk_excluded_highways=frozenset(w["excluded_highways"]["value"]),
            drive_speed_kmh={k: float(v) for k, v in d["speed_kmh"]["value"].items()},
            drive_speed_factor=float(d["speed_factor"]["value"]),
            drive_allowed_highways=frozenset(d["allowed_highways"]["value"]),
            lane_capacity_veh_per_h=float(d["lane_capacity_veh_per_h"]["value"]),
            lanes_per_direction={k: float(v) for k, v in d["lanes_per_direction"]["value"].items()},
            lane_width_m=float(d["lane_width_m"]["value"]),
            default_width_m={k: float(v) for k, v in p["default_width_m"]["value"].items()},
            circuity=float(p["fallback"]["circuity"]["value"]),
            sources={
                "walk_speed_m_s": w["speed_m_s"]["source"].strip(),
                "walk_capacity_persons_per_h_per_m": w["capacity_persons_per_h_per_m"]["source"].strip(),
                "drive_speed_kmh": d["speed_kmh"]["source"].strip(),
                "lane_capacity_veh_per_h": d["lane_capacity_veh_per_h"]["source"].strip(),
                "default_width_m": p["default_width_m"]["source"].strip(),
                "circuity": p["fallback"]["circuity"]["source"].strip(),
            },
        )
        unknown = set(overrides) - set(values) - {"max_segment_m", "node_precision_m"}
        if unknown:
            raise InputError([Problem(file="NetworkParams", field=k, message="unknown network parameter")
                              for k in sorted(unknown)])
        for k in overrides:
            if k in values.get("sources", {}):
                values["sources"][k] = "user override"
        values.update(overrides)
        return cls(**values)


def network_crs(roads: RoadLines) -> CRS:
    """Local metric CRS (UTM) for the roads' extent."""
    return local_crs(roads.bounds_lon_lat)


# --------------------------------------------------------------------------- network (stage)

@dataclass(frozen=True, eq=False)
class Network:
    """Directed routable graph in a metric CRS.

    Links are straight segments between nodes (lines are split at every vertex and every
    `max_segment_m`); a two-way road gives one link per direction. `graph_time_s` is the
    CSR matrix [n_nodes, n_nodes] of the fastest link per node pair; `graph_length_m` has the
    same sparsity. Link capacity is per direction: persons/h (walk) or vehicles/h (drive).
    closed_links / slowed_links count road pieces (≤ max_segment_m) hit by closures.
    """

    mode: str
    crs: CRS
    node_xy: np.ndarray  # (n_nodes, 2) metres
    link_from: np.ndarray  # int64
    link_to: np.ndarray  # int64
    link_length_m: np.ndarray
    link_time_s: np.ndarray
    link_capacity_per_h: np.ndarray
    link_highway: np.ndarray  # object (str)
    link_feature: np.ndarray  # object (str): feature id of the road the link comes from
    link_time_factor: np.ndarray  # closure/damage slow-down applied (1 = none)
    graph_time_s: sparse.csr_matrix
    graph_length_m: sparse.csr_matrix
    walk_speed_m_s: float  # speed of the off-network (snap) legs
    road_length_m: float  # centre-line length of the kept roads (each road once)
    source: str
    params: NetworkParams
    dropped_nodes: int = 0
    dropped_links: int = 0
    dropped_component_sizes: tuple[int, ...] = ()
    closed_links: int = 0
    slowed_links: int = 0
    skipped_features: int = 0
    closures_source: str | None = None

    @property
    def n_nodes(self) -> int:
        return len(self.node_xy)

    @cached_property
    def node_tree(self) -> cKDTree:
        """k-d tree of the nodes, built once per network (every stage snaps points to it)."""
        return cKDTree(self.node_xy)

    @property
    def n_links(self) -> int:
        return len(self.link_from)

    @property
    def capacity_unit(self) -> str:
        return "persons_per_h" if self.mode == "walk" else "vehicles_per_h"

    def summary(self) -> dict[str, Any]:
        """The plan.json `network` block."""
        return {
            "mode": self.mode,
            "source": self.source,
            "fallback": False,
            "nodes": self.n_nodes,
            "links": self.n_links,
            "crs": self.crs.to_string(),
            "road_length_km": round(self.road_length_m / 1000.0, 3),
            "dropped_nodes": self.dropped_nodes,
            "dropped_links": self.dropped_links,
            "dropped_components": len(self.dropped_component_sizes),
            "largest_dropped_component_nodes": max(self.dropped_component_sizes, default=0),
            "closed_links": self.closed_links,
            "slowed_links": self.slowed_links,
            "closures_source": self.closures_source,
            "skipped_features": self.skipped_features,
            "capacity_unit": self.capacity_unit,
            "walk_speed_m_s": self.walk_speed_m_s,
            "connectivity": "strongly connected" if self.mode == "drive" else "connected",
        }


def fallback_summary(mode: str, *, reason: str = "the scenario has no roads",
                     params: NetworkParams | None = None) -> dict[str, Any]:
    """The plan.json `network` block when travel times come from straight_line_matrix."""
    params = params or NetworkParams.default()
    return {"mode": mode, "source": None, "fallback": True, "reason": reason, "nodes": 0, "links": 0,
            "circuity": params.circuity, "circuity_source": params.sources.get("circuity", "")}


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise InputError(Problem(file="parameters", field="mode",
                                 message=f"unknown mode {mode!r}; expected walk or drive"))


def build_network(roads: RoadLines, *, mode: Mode, crs: CRS | None = None, params: NetworkParams | None = None,
                  closures: Closures | None = None) -> Network:
    """Node the road lines and build the routable graph for one travel mode.

    Lines are connected where they share a vertex (coordinates equal to `node_precision_m`);
    lines that cross without a shared vertex are NOT connected (OSM semantics: bridges,
    tunnels). Walking ignores `oneway`. Only the largest component is kept (strongly
    connected for drive, connected for walk); the rest is counted in dropped_*.
    """
    _check_mode(mode)
    params = params or NetworkParams.default()
    crs = crs or network_crs(roads)
    file = roads.source

    hw = roads.highway
    if mode == "walk":
        usable = ~np.isin(hw, list(params.walk_excluded_highways))
    else:
        usable = np.isin(hw, list(params.drive_allowed_highways))
    n_closed_lines = int((usable & roads.closed).sum())
    usable &= ~roads.closed
    if not usable.any():
        raise InputError(Problem(file=file, message=f"no road usable for mode {mode!r} "
                                 f"({len(roads)} lines, {n_closed_lines} closed; classes found: "
                                 f"{sorted(set(hw.tolist()))[:12]})"))
    idx = np.flatnonzero(usable)
    lines = project(roads.geometry[idx], WGS84, crs)
    lines = shapely.segmentize(lines, params.max_segment_m)
    coords, line_of = shapely.get_coordinates(lines, return_index=True)
    del lines  # (intermediate arrays are dropped as soon as they are used: 8.5 M nodes at national scale)

    # vertex hashing: equal rounded coordinates = one node
    q = np.rint(coords / params.node_precision_m).astype(np.int64)
    q -= q.min(axis=0)
    if q.max() >= 2**31:
        raise InputError(Problem(file=file, message="road extent too large for one network (> 20,000 km)"))
    key = (q[:, 0] << 31) | q[:, 1]
    del q
    uniq, vid = np.unique(key, return_inverse=True)
    n_all = len(uniq)
    del key, uniq
    node_xy = np.zeros((n_all, 2))
    node_xy[vid] = coords  # any representative of the rounded cell

    s = np.flatnonzero(line_of[:-1] == line_of[1:])
    u, v = vid[s], vid[s + 1]
    del vid
    seg_line = line_of[s]  # index into idx
    length = np.hypot(*np.diff(coords, axis=0)[s].T)
    ok = (u != v) & (length > 0)
    s, u, v, seg_line, length = s[ok], u[ok], v[ok], seg_line[ok], length[ok]
    feat = idx[seg_line]  # index into roads

    # speeds and capacities per segment (class tables looked up once per distinct class)
    seg_hw = hw[feat]
    classes = sorted({str(c) for c in hw[idx]})  # looked up per line, not per piece
    code = {c: k for k, c in enumerate(classes)}
    cls_of = np.fromiter((code[str(c)] for c in hw[idx]), dtype=np.int64, count=len(idx))[seg_line]

    def by_class(table: dict[str, float], default: float, strip_link: bool = False) -> np.ndarray:
        vals = [table.get(c.removesuffix("_link") if strip_link else c, default) for c in classes]
        return np.asarray(vals, dtype=float)[cls_of]

    width = roads.width_m[feat]
    width = np.where(np.isnan(width), by_class(params.default_width_m, params.default_width_m["default"]), width)
    if mode == "walk":
        speed = np.full(len(s), params.walk_speed_m_s)
        cap = width * params.walk_capacity_persons_per_h_per_m
    else:
        class_kmh = by_class(params.drive_speed_kmh, params.drive_speed_kmh.get("road", 25.0))
        kmh = np.where(np.isnan(roads.maxspeed_kmh[feat]), class_kmh, roads.maxspeed_kmh[feat])
        speed = kmh / 3.6 * params.drive_speed_factor
        one = roads.oneway[feat] != 0
        lanes_tag = roads.lanes[feat]
        lanes_dir = np.where(one, lanes_tag, np.ceil(lanes_tag / 2))
        from_width = np.maximum(1, np.floor(roads.width_m[feat] / params.lane_width_m / np.where(one, 1, 2)))
        default_lanes = by_class(params.lanes_per_direction, params.lanes_per_direction["default"], strip_link=True)
        lanes_dir = np.where(np.isnan(lanes_dir), np.where(np.isnan(from_width), default_lanes, from_width), lanes_dir)
        cap = np.maximum(lanes_dir, 1) * params.lane_capacity_veh_per_h
    cap = np.where(np.isnan(roads.capacity_per_h[feat]), cap, roads.capacity_per_h[feat])
    factor = np.ones(len(s))
    if closures is not None and len(closures.polygons):
        polys = project(np.asarray(closures.polygons), WGS84, crs)
        mid = shapely.points((coords[s] + coords[s + 1]) / 2.0)
        hit_pt, hit_poly = shapely.STRtree(polys).query(mid, predicate="intersects")
        np.maximum.at(factor, hit_pt, np.asarray(closures.time_factor, dtype=float)[hit_poly])
    del coords, line_of
    time = length / speed * factor
    open_ = np.isfinite(time)
    slowed = int((open_ & (factor > 1)).sum())
    closed_segs = int((~open_).sum())

    # directed links
    if mode == "walk":
        fwd = bwd = open_
    else:
        ow = roads.oneway[feat]
        fwd = open_ & (ow >= 0)
        bwd = open_ & (ow <= 0)
    lf = np.concatenate([u[fwd], v[bwd]])
    lt = np.concatenate([v[fwd], u[bwd]])
    sel = np.concatenate([np.flatnonzero(fwd), np.flatnonzero(bwd)])
    del u, v, fwd, bwd, open_

    # largest component
    adj = sparse.csr_matrix((np.ones(len(lf)), (lf, lt)), shape=(n_all, n_all))
    touched = np.zeros(n_all, dtype=bool)
    touched[lf] = touched[lt] = True
    n_comp, label = csgraph.connected_components(adj, directed=True,
                                                 connection="strong" if mode == "drive" else "weak")
    del adj
    sizes = np.bincount(label[touched], minlength=n_comp)
    if sizes.max() == 0:
        raise InputError(Problem(file=file, message=f"no open road for mode {mode!r} after closures"))
    big = int(np.argmax(sizes))
    keep_node = touched & (label == big)
    keep_link = keep_node[lf] & keep_node[lt]
    dropped = np.sort(sizes[(np.arange(n_comp) != big) & (sizes > 0)])[::-1]
    new_id = np.cumsum(keep_node) - 1
    lf, lt, sel = new_id[lf[keep_link]], new_id[lt[keep_link]], sel[keep_link]
    n = int(keep_node.sum())

    seg_kept = np.zeros(len(s), dtype=bool)
    seg_kept[sel] = True
    link_len, link_time = length[sel], time[sel]
    graph_time, graph_len = _fastest_link_graphs(lf, lt, link_time, link_len, n)

    return Network(
        mode=mode, crs=crs, node_xy=node_xy[keep_node], link_from=lf.astype(np.int64), link_to=lt.astype(np.int64),
        link_length_m=link_len, link_time_s=link_time, link_capacity_per_h=cap[sel], link_highway=seg_hw[sel],
        link_feature=roads.feature_id[feat[sel]], link_time_factor=factor[sel],
        graph_time_s=graph_time, graph_length_m=graph_len, walk_speed_m_s=params.walk_speed_m_s,
        road_length_m=float(length[seg_kept].sum()), source=roads.source, params=params,
        dropped_nodes=int((touched & ~keep_node).sum()), dropped_links=int((~keep_link).sum()),
        dropped_component_sizes=tuple(int(x) for x in dropped), closed_links=closed_segs + n_closed_lines,
        slowed_links=slowed, skipped_features=roads.skipped_features,
        closures_source=closures.source if closures is not None else None,
    )


def _fastest_link_graphs(lf: np.ndarray, lt: np.ndarray, time: np.ndarray, length: np.ndarray,
                         n: int) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    """CSR [n, n] time and length of the fastest link per node pair (ties: the first link).

    Built once with link numbers as values; parallel links (rare) would be summed by the conversion, so
    they are resolved first by sorting only when the conversion shows there are some."""
    ids = sparse.csr_matrix((np.arange(1, len(lf) + 1, dtype=float), (lf, lt)), shape=(n, n))
    if ids.nnz < len(lf):
        order = np.lexsort((time, lt, lf))
        first = np.ones(len(order), dtype=bool)
        first[1:] = (lf[order][1:] != lf[order][:-1]) | (lt[order][1:] != lt[order][:-1])
        g = order[first]
        ids = sparse.csr_matrix((g + 1.0, (lf[g], lt[g])), shape=(n, n))
    ids.sort_indices()
    link = ids.data.astype(np.int64) - 1
    graph_time = sparse.csr_matrix((time[link], ids.indices, ids.indptr), shape=(n, n))
    graph_len = sparse.csr_matrix((length[link], ids.indices.copy(), ids.indptr.copy()), shape=(n, n))
    return graph_time, graph_len


# --------------------------------------------------------------------------- snapping and matrices

@dataclass(frozen=True, eq=False)
class Snapped:
    """Nearest network node per point and the straight off-network leg to it (walked)."""

    node: np.ndarray  # int64 node index
    distance_m: np.ndarray
    time_s: np.ndarray  # distance_m / walking speed


def snap(network: Network, xy: np.ndarray, *, max_snap_m: float | None = None,
         ids: list[str] | np.ndarray | None = None, file: str = "points") -> Snapped:
    """Snap metric points to their nearest node; InputError for points farther than max_snap_m."""
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    dist, node = network.node_tree.query(xy)
    if max_snap_m is not None:
        far = np.flatnonzero(~(dist <= max_snap_m))
        if len(far):
            raise InputError([Problem(file=file, feature=str(ids[i]) if ids is not None else str(i),
                                      message=f"point is {dist[i]:.0f} m from the nearest road of {network.source} "
                                      f"(limit {max_snap_m:.0f} m): outside the network's extent")
                              for i in far])
    return Snapped(node=node.astype(np.int64), distance_m=dist, time_s=dist / network.walk_speed_m_s)


@dataclass(frozen=True, eq=False)
class TravelTimes:
    """Travel-time matrix [n_origins, n_destinations]: np.inf time and NaN distance when unreachable."""

    time_s: np.ndarray
    distance_m: np.ndarray
    mode: str
    fallback: bool
    method: str  # "network" or "straight_line"
    origin_snap_m: np.ndarray
    destination_snap_m: np.ndarray
    cutoff_s: float | None = None
    circuity: float | None = None

    @property
    def reachable(self) -> np.ndarray:
        return np.isfinite(self.time_s)


DEFAULT_MAX_SNAP_M = 5000.0
_T_RES_S = 0.001  # time quantum of the combined weights (per link)
_L_RES_M = 0.01  # length quantum


def _lexicographic_graph(graph_time: sparse.csr_matrix, graph_len: sparse.csr_matrix,
                         t_res: float, l_res: float) -> tuple[sparse.csr_matrix, float, float]:
    """Weights Tq·M + Lq: one Dijkstra gives the fastest path's time (quantised) and its length exactly.

    Along any path Lq ≤ r·Tq with r the largest link ratio Lq/Tq, so choosing M² ≥ r·2^53
    keeps Lq < M (decodable) whenever the total stays below 2^53 (exact in float64).
    """
    tq = np.maximum(1.0, np.rint(graph_time.data / t_res))
    lq = np.rint(graph_len.data / l_res)
    ratio = max(1e-6, float((lq / tq).max()))
    m = 2.0 ** math.ceil((53 + math.log2(ratio)) / 2)
    w = sparse.csr_matrix((tq * m + lq, graph_time.indices, graph_time.indptr), shape=graph_time.shape)
    return w, m, 2.0**53


def _contract_chains(w: sparse.csr_matrix, keep: np.ndarray) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Remove pass-through nodes (exactly two neighbours, not in `keep`); chains become single arcs.

    Shortest paths between the remaining nodes are unchanged: the only way through a
    pass-through node is along its chain, and integer weights add up exactly. Returns the
    contracted CSR graph and, per original node, its new index (-1 when removed).
    """
    n = w.shape[0]
    tail = np.repeat(np.arange(n), np.diff(w.indptr))
    head = w.indices.astype(np.int64)
    if w.has_canonical_format:  # one entry per node pair already: its structure is the pattern
        pattern = sparse.csr_matrix((np.ones(len(head), dtype=np.int8), w.indices, w.indptr), shape=(n, n))
    else:
        pattern = sparse.csr_matrix((np.ones(len(head)), (tail, head)), shape=(n, n))
    degree = (pattern + pattern.T).getnnz(axis=1)  # distinct neighbours, either direction
    removable = (degree == 2) & ~keep
    # successor of an arc a→v into a removable v: the arc v→b with b ≠ a (v has at most two out-arcs)
    nxt = np.full(len(head), -1, dtype=np.int64)
    into = np.flatnonzero(removable[head])
    v = head[into]
    first, count = w.indptr[v], w.indptr[v + 1] - w.indptr[v]
    p0_ok = (count >= 1) & (head[np.minimum(first, len(head) - 1)] != tail[into])
    p1 = np.minimum(first + 1, len(head) - 1)
    p1_ok = (count >= 2) & (head[p1] != tail[into])
    nxt[into] = np.where(p0_ok, first, np.where(p1_ok, p1, -1))
    # pointer doubling along chains: weight sums and final heads
    acc, end = w.data.astype(float).copy(), head.copy()
    for _ in range(int(np.ceil(np.log2(max(len(head), 2)))) + 1):
        active = np.flatnonzero(nxt >= 0)
        if len(active) == 0:
            break
        j = nxt[active]
        acc[active] += acc[j]
        end[active] = end[j]
        nxt[active] = nxt[j]
    ok = ~removable[tail] & ~removable[end] & (nxt < 0) & (tail != end)  # drops dead ends and lone rings
    new_id = np.full(n, -1, dtype=np.int64)
    kept = ~removable
    new_id[kept] = np.arange(int(kept.sum()))
    a, b, c = new_id[tail[ok]], new_id[end[ok]], acc[ok]
    order = np.lexsort((c, b, a))
    first_of_pair = np.ones(len(order), dtype=bool)
    first_of_pair[1:] = (a[order][1:] != a[order][:-1]) | (b[order][1:] != b[order][:-1])
    g = order[first_of_pair]
    k = int(kept.sum())
    return sparse.csr_matrix((c[g], (a[g], b[g])), shape=(k, k)), new_id


def travel_time_matrix(network: Network, origins_xy: np.ndarray, destinations_xy: np.ndarray, *,
                       cutoff_s: float | None = None, max_snap_m: float | None = DEFAULT_MAX_SNAP_M,
                       origin_ids: list[str] | np.ndarray | None = None,
                       destination_ids: list[str] | np.ndarray | None = None,
                       leg_speed_m_s: float | None = None, contract: bool = True,
                       batch: int = 64) -> TravelTimes:
    """Fastest travel time and the distance along that path between every origin and destination.

    Points (metric, network CRS) snap to their nearest node; the snap legs are walked at
    the network's walking speed and included in time and distance. Dijkstra runs from the
    smaller set of distinct snapped nodes (on the transposed graph when destinations are
    fewer). Times are exact to 0.001 s per link; distances are along the chosen path.
    Pairs slower than cutoff_s (legs included) are unreachable (inf / NaN). leg_speed_m_s
    sets the speed of the snap legs (default: the walking speed, also in drive mode).
    With contract=True, pass-through nodes that no point snaps to are removed first (chains
    of links become one arc), which leaves every result unchanged and makes Dijkstra faster.
    """
    o = snap(network, origins_xy, max_snap_m=max_snap_m, ids=origin_ids, file="origins")
    d = snap(network, destinations_xy, max_snap_m=max_snap_m, ids=destination_ids, file="destinations")
    leg_speed = network.walk_speed_m_s if leg_speed_m_s is None else float(leg_speed_m_s)
    o_leg_s, d_leg_s = o.distance_m / leg_speed, d.distance_m / leg_speed
    if len(o.node) == 0 or len(d.node) == 0:
        empty = np.empty((len(o.node), len(d.node)))
        return TravelTimes(time_s=empty, distance_m=empty.copy(), mode=network.mode, fallback=False,
                           method="network", origin_snap_m=o.distance_m, destination_snap_m=d.distance_m,
                           cutoff_s=cutoff_s)
    uo, inv_o = np.unique(o.node, return_inverse=True)
    ud, inv_d = np.unique(d.node, return_inverse=True)
    from_dest = len(ud) < len(uo)

    t_res, l_res = _T_RES_S, _L_RES_M
    for _ in range(4):
        w, m, exact_below = _lexicographic_graph(network.graph_time_s, network.graph_length_m, t_res, l_res)
        node_of = np.arange(network.n_nodes)
        if contract:
            keep = np.zeros(network.n_nodes, dtype=bool)
            keep[uo] = keep[ud] = True
            w, node_of = _contract_chains(w, keep)
        graph = w.T.tocsr() if from_dest else w
        sources, targets = (node_of[ud], node_of[uo]) if from_dest else (node_of[uo], node_of[ud])
        limit = np.inf if cutoff_s is None else (math.ceil(cutoff_s / t_res) + 1) * m
        block = np.empty((len(sources), len(targets)))
        for b in range(0, len(sources), batch):
            dist = csgraph.dijkstra(graph, directed=True, indices=sources[b:b + batch], limit=limit)
            block[b:b + batch] = dist[:, targets]
        finite = np.isfinite(block)
        if not (block[finite] >= exact_below).any():
            break
        t_res, l_res = t_res * 10, l_res * 10  # very long paths: coarser quanta keep sums exact
    else:  # pragma: no cover - needs paths of > 10^7 h
        raise InputError(Problem(file=network.source, message="paths too long to time exactly"))
    if from_dest:
        block = block.T
    reach = np.isfinite(block)
    tq = np.floor(np.where(reach, block, 0.0) / m)
    net_time = np.where(reach, tq * t_res, np.inf)
    net_len = np.where(reach, (np.where(reach, block, 0.0) - tq * m) * l_res, np.nan)

    time_s = net_time[np.ix_(inv_o, inv_d)] + o_leg_s[:, None] + d_leg_s[None, :]
    distance_m = net_len[np.ix_(inv_o, inv_d)] + o.distance_m[:, None] + d.distance_m[None, :]
    same = o.node[:, None] == d.node[None, :]
    if same.any():  # both points at one node: walk straight across, not out to the node and back
        oi, di = np.nonzero(same)
        direct = np.hypot(*(np.asarray(origins_xy, dtype=float).reshape(-1, 2)[oi]
                            - np.asarray(destinations_xy, dtype=float).reshape(-1, 2)[di]).T)
        distance_m[oi, di] = direct
        time_s[oi, di] = direct / leg_speed
    if cutoff_s is not None:
        over = time_s > cutoff_s
        time_s[over] = np.inf
        distance_m[over] = np.nan
    return TravelTimes(time_s=time_s, distance_m=distance_m, mode=network.mode, fallback=False, method="network",
                       origin_snap_m=o.distance_m, destination_snap_m=d.distance_m, cutoff_s=cutoff_s)


def _arange_values(start: np.ndarray, stop: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray]:
    """np.arange(start[k], stop[k], step) for every k at once, bit for bit: (lengths, values concatenated).

    numpy fills a float range as start, start + step, then start + i * ((start + step) - start)."""
    length = np.maximum(np.ceil((stop - start) / step), 0).astype(np.int64)
    owner = np.repeat(np.arange(len(start)), length)
    i = np.arange(int(length.sum())) - np.repeat(np.cumsum(length) - length, length)
    s = start[owner]
    second = s + step
    values = np.where(i == 0, s, np.where(i == 1, second, s + i * (second - s)))
    return length, values


def zone_sample_points(polygons_xy: np.ndarray, *, spacing_m: float = 500.0,
                       max_points: int = 25) -> tuple[np.ndarray, np.ndarray]:
    """Sample points per zone polygon (metric CRS): a grid every spacing_m inside large zones.

    Zones too small to hold a grid point get their representative point (always inside).
    At most max_points per zone (an evenly thinned subset). Returns (xy (k, 2), zone index (k,)), zone by
    zone, each zone's grid row by row (south to north, west to east). Vectorised over zones.
    """
    polys = np.asarray(polygons_xy, dtype=object).reshape(-1)
    n = len(polys)
    if n == 0:
        return np.empty((0, 2)), np.empty(0, dtype=np.int64)
    b = shapely.bounds(polys)
    nx, gx = _arange_values(b[:, 0] + spacing_m / 2, b[:, 2], spacing_m)
    ny, gy = _arange_values(b[:, 1] + spacing_m / 2, b[:, 3], spacing_m)
    nx_at = np.where(ny > 0, nx, 0)  # a zone whose grid is empty in one direction has no grid points
    per = nx_at * ny
    zone = np.repeat(np.arange(n), per)
    k = np.arange(int(per.sum())) - np.repeat(np.cumsum(per) - per, per)  # row-major: y outer, x inner
    iy, ix = k // np.maximum(nx_at[zone], 1), k % np.maximum(nx_at[zone], 1)
    x = gx[np.repeat(np.cumsum(nx) - nx, per) + ix]
    y = gy[np.repeat(np.cumsum(ny) - ny, per) + iy]
    inside = shapely.contains_xy(polys[zone], x, y)
    zone, xy = zone[inside], np.column_stack([x[inside], y[inside]])
    count = np.bincount(zone, minlength=n)
    keep = np.ones(len(zone), dtype=bool)
    first = np.cumsum(count) - count
    for z in np.flatnonzero(count > max_points):  # evenly thinned, as np.linspace picks them
        pick = np.linspace(0, count[z] - 1, max_points).round().astype(int)
        mask = np.zeros(count[z], dtype=bool)
        mask[pick] = True
        keep[first[z]:first[z] + count[z]] = mask
    zone, xy = zone[keep], xy[keep]
    empty = np.flatnonzero(count == 0)
    if len(empty):
        rep = shapely.get_coordinates(shapely.point_on_surface(polys[empty]))
        order = np.argsort(np.concatenate([zone, empty]), kind="stable")
        zone, xy = np.concatenate([zone, empty])[order], np.vstack([xy, rep])[order]
    return xy, zone.astype(np.int64)


def aggregate_origins(tt: TravelTimes, origin_group: np.ndarray, n_groups: int) -> TravelTimes:
    """Mean time and distance over the sample points of each group (e.g. zone), reachable samples only.

    A group with no reachable sample for a destination stays unreachable (inf / NaN).
    """
    group = np.asarray(origin_group, dtype=np.int64)
    reach = np.isfinite(tt.time_s)
    count = np.zeros((n_groups, tt.time_s.shape[1]))
    t_sum = np.zeros_like(count)
    d_sum = np.zeros_like(count)
    np.add.at(count, group, reach)
    np.add.at(t_sum, group, np.where(reach, tt.time_s, 0.0))
    np.add.at(d_sum, group, np.where(reach, tt.distance_m, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        time_s = np.where(count > 0, t_sum / count, np.inf)
        distance_m = np.where(count > 0, d_sum / count, np.nan)
    snap_sum = np.bincount(group, weights=tt.origin_snap_m, minlength=n_groups)
    snap_n = np.maximum(np.bincount(group, minlength=n_groups), 1)
    return TravelTimes(time_s=time_s, distance_m=distance_m, mode=tt.mode, fallback=tt.fallback, method=tt.method,
                       origin_snap_m=snap_sum / snap_n, destination_snap_m=tt.destination_snap_m,
                       cutoff_s=tt.cutoff_s, circuity=tt.circuity)


def straight_line_matrix(origins_xy: np.ndarray, destinations_xy: np.ndarray, *, speed_m_s: float,
                         circuity: float | None = None, mode: str = "walk",
                         cutoff_s: float | None = None) -> TravelTimes:
    """Fallback without roads: straight-line distance × circuity, at speed_m_s. Flagged fallback=True."""
    circuity = NetworkParams.default().circuity if circuity is None else circuity
    a = np.asarray(origins_xy, dtype=float).reshape(-1, 2)
    b = np.asarray(destinations_xy, dtype=float).reshape(-1, 2)
    dist = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=-1)) * circuity
    time = dist / speed_m_s
    if cutoff_s is not None:
        over = time > cutoff_s
        time[over] = np.inf
        dist[over] = np.nan
    return TravelTimes(time_s=time, distance_m=dist, mode=mode, fallback=True, method="straight_line",
                       origin_snap_m=np.zeros(len(a)), destination_snap_m=np.zeros(len(b)),
                       cutoff_s=cutoff_s, circuity=circuity)


# --------------------------------------------------------------------------- points (loader, CLI)

@dataclass(frozen=True, eq=False)
class Points:
    ids: np.ndarray  # object (str)
    lon_lat: np.ndarray  # (n, 2)
    source: str


def load_points(path: Path | str) -> Points:
    """Points from a CSV `id,lon,lat` (HXL hashtag row skipped) or a GeoJSON/GeoPackage of points with `id`."""
    path = Path(path)
    file = str(path)
    if not path.exists():
        raise InputError(Problem(file=file, message="points file not found"))
    problems: list[Problem] = []
    ids: list[str] = []
    xy: list[tuple[float, float]] = []
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            fields = [f.strip().lower() for f in (reader.fieldnames or [])]
            missing = [c for c in ("id", "lon", "lat") if c not in fields]
            if missing:
                raise InputError(Problem(file=file, message=f"missing column(s) {missing}; expected id,lon,lat"))
            for row_no, raw in enumerate(reader, start=2):
                row = {str(k).strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None}
                if row["id"].startswith("#"):
                    continue  # HXL hashtag row
                feature = row["id"] or f"row {row_no}"
                if not row["id"]:
                    problems.append(Problem(file=file, feature=feature, field="id", message="empty id"))
                try:
                    lon, lat = float(row["lon"]), float(row["lat"])
                except ValueError:
                    problems.append(Problem(file=file, feature=feature, field="lon/lat",
                                            message=f"expected numbers, got {row['lon']!r}, {row['lat']!r}"))
                    continue
                ids.append(row["id"])
                xy.append((lon, lat))
    else:
        geoms, data = _read_vector_wgs84(path, None)
        if "id" not in data:
            raise InputError(Problem(file=file, field="id", message="expected an `id` property on every point"))
        for i, g in enumerate(geoms):
            fid = data["id"][i]
            feature = str(fid) if fid not in (None, "") else str(i)
            if fid in (None, ""):
                problems.append(Problem(file=file, feature=feature, field="id", message="empty id"))
            if g is None or shapely.get_type_id(g) != 0:
                problems.append(Problem(file=file, feature=feature, message="expected a Point geometry"))
                continue
            ids.append(str(fid))
            xy.append((g.x, g.y))
    arr = np.asarray(xy, dtype=float).reshape(-1, 2)
    for k in np.flatnonzero(~((np.abs(arr[:, 0]) <= 180) & (np.abs(arr[:, 1]) <= 90))):
        problems.append(Problem(file=file, feature=ids[k], field="lon/lat", message="outside -180..180 / -90..90"))
    seen: set[str] = set()
    for point_id in ids:
        if point_id in seen:
            problems.append(Problem(file=file, feature=point_id, field="id", message="duplicate id"))
        seen.add(point_id)
    if not ids and not problems:
        problems.append(Problem(file=file, message="no points"))
    if problems:
        raise InputError(problems)
    return Points(ids=np.asarray(ids, dtype=object), lon_lat=arr, source=path.name)


def to_xy(lon_lat: np.ndarray, crs: CRS) -> np.ndarray:
    """WGS84 lon/lat (n,2) → metric (n,2) in crs."""
    lon_lat = np.asarray(lon_lat, dtype=float).reshape(-1, 2)
    x, y = transformer(WGS84, crs).transform(lon_lat[:, 0], lon_lat[:, 1])
    return np.column_stack([x, y])


def travel_times_between_files(roads_path: Path | str, points_path: Path | str, *, mode: str,
                               to_path: Path | str | None = None, cutoff_s: float | None = None,
                               layer: str | None = None, max_snap_m: float | None = DEFAULT_MAX_SNAP_M,
                               ) -> tuple[TravelTimes, np.ndarray, np.ndarray, Network]:
    """Load roads and points, build the network and compute the matrix (the `travel-times` command)."""
    _check_mode(mode)
    roads = load_roads(roads_path, layer=layer)
    origins = load_points(points_path)
    dests = load_points(to_path) if to_path is not None else origins
    net = build_network(roads, mode=mode, crs=network_crs(roads))  # type: ignore[arg-type]
    tt = travel_time_matrix(net, to_xy(origins.lon_lat, net.crs), to_xy(dests.lon_lat, net.crs),
                            cutoff_s=cutoff_s, max_snap_m=max_snap_m,
                            origin_ids=origins.ids, destination_ids=dests.ids)
    return tt, origins.ids, dests.ids, net
