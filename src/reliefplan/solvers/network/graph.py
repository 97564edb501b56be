"""Road networks: the routable graph. Road lines are split into links at every vertex and every
``max_segment_m``, with travel times and capacities from the mode's profile (data/network/profiles.yaml) and
the closures applied; the fastest link per node pair goes into CSR matrices for scipy's shortest paths."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from typing import Any, Literal, TypedDict

import numpy as np
import shapely
import yaml
from pyproj import CRS
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from ..._errors import InputError, Problem
from ...geo import WGS84, local_crs, project
from ...scenario.roads import Closures, RoadLines

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
            raise InputError(
                [Problem(file="NetworkParams", field=k, message="unknown network parameter") for k in sorted(unknown)]
            )
        for k in overrides:
            if k in values.get("sources", {}):
                values["sources"][k] = "user override"
        values.update(overrides)
        return cls(**values)


def network_crs(roads: RoadLines) -> CRS:
    """Local metric CRS (UTM) for the roads' extent."""
    return local_crs(roads.bounds_lon_lat)


# --------------------------------------------------------------------------- network (stage)


class NetworkSummary(TypedDict, total=False):
    """The plan.json `network` block: `Network.summary()` on roads, `fallback_summary()` without."""

    mode: str
    source: str | None
    fallback: bool
    reason: str  # fallback only
    nodes: int
    links: int
    crs: str
    road_length_km: float
    dropped_nodes: int
    dropped_links: int
    dropped_components: int
    largest_dropped_component_nodes: int
    closed_links: int
    slowed_links: int
    closures_source: str | None
    skipped_features: int
    capacity_unit: str
    walk_speed_m_s: float
    connectivity: str
    circuity: float  # fallback only
    circuity_source: str  # fallback only
    origin_sample_points: int  # added by the walking-times stage
    mean_origin_snap_m: float
    max_origin_snap_m: float
    max_site_snap_m: float


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

    def summary(self) -> NetworkSummary:
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


def fallback_summary(
    mode: str, *, reason: str = "the scenario has no roads", params: NetworkParams | None = None
) -> NetworkSummary:
    """The plan.json `network` block when travel times come from straight_line_matrix."""
    params = params or NetworkParams.default()
    return {
        "mode": mode,
        "source": None,
        "fallback": True,
        "reason": reason,
        "nodes": 0,
        "links": 0,
        "circuity": params.circuity,
        "circuity_source": params.sources.get("circuity", ""),
    }


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise InputError(
            Problem(file="parameters", field="mode", message=f"unknown mode {mode!r}; expected walk or drive")
        )


def build_network(
    roads: RoadLines,
    *,
    mode: Mode,
    crs: CRS | None = None,
    params: NetworkParams | None = None,
    closures: Closures | None = None,
) -> Network:
    """Node the road lines and build the routable graph for one travel mode.

    Lines are connected where they share a vertex (coordinates equal to `node_precision_m`);
    lines that cross without a shared vertex are NOT connected (OSM semantics: bridges,
    tunnels). Walking ignores `oneway`. Only the largest component is kept (strongly
    connected for drive, connected for walk); the rest is counted in dropped_*.
    """
    _check_mode(mode)
    params = params or NetworkParams.default()
    crs = crs or network_crs(roads)
    idx, n_closed_lines = _usable_lines(roads, mode, params)
    with_closures = closures is not None and len(closures.polygons) > 0
    node_xy, u, v, length, seg_line, mid_xy = _segments(roads, idx, crs, params, midpoints=with_closures)
    feat = idx[seg_line]  # index into roads
    speed, cap = _speed_and_capacity(roads, idx, seg_line, feat, mode, params)
    del seg_line
    factor = np.ones(len(u))
    if closures is not None and mid_xy is not None:
        factor = _closure_factor(closures, mid_xy, crs, factor)
    del mid_xy
    time = length / speed * factor
    open_ = np.isfinite(time)
    slowed = int((open_ & (factor > 1)).sum())
    closed_segs = int((~open_).sum())

    lf, lt, sel = _directed_links(roads, feat, u, v, open_, mode)
    n_segments = len(u)
    del u, v, open_
    n_all = len(node_xy)
    keep_node, keep_link, touched, dropped = _largest_component(lf, lt, n_all, mode, roads.source)
    new_id = np.cumsum(keep_node) - 1
    lf, lt, sel = new_id[lf[keep_link]], new_id[lt[keep_link]], sel[keep_link]
    n = int(keep_node.sum())

    seg_kept = np.zeros(n_segments, dtype=bool)
    seg_kept[sel] = True
    link_len, link_time = length[sel], time[sel]
    graph_time, graph_len = _fastest_link_graphs(lf, lt, link_time, link_len, n)

    return Network(
        mode=mode,
        crs=crs,
        node_xy=node_xy[keep_node],
        link_from=lf.astype(np.int64),
        link_to=lt.astype(np.int64),
        link_length_m=link_len,
        link_time_s=link_time,
        link_capacity_per_h=cap[sel],
        link_highway=roads.highway[feat][sel],
        link_feature=roads.feature_id[feat[sel]],
        link_time_factor=factor[sel],
        graph_time_s=graph_time,
        graph_length_m=graph_len,
        walk_speed_m_s=params.walk_speed_m_s,
        road_length_m=float(length[seg_kept].sum()),
        source=roads.source,
        params=params,
        dropped_nodes=int((touched & ~keep_node).sum()),
        dropped_links=int((~keep_link).sum()),
        dropped_component_sizes=tuple(int(x) for x in dropped),
        closed_links=closed_segs + n_closed_lines,
        slowed_links=slowed,
        skipped_features=roads.skipped_features,
        closures_source=closures.source if closures is not None else None,
    )


def _usable_lines(roads: RoadLines, mode: Mode, params: NetworkParams) -> tuple[np.ndarray, int]:
    """Indices of the lines the mode may use and are not closed, and the number of closed lines it could have used."""
    hw = roads.highway
    if mode == "walk":
        usable = ~np.isin(hw, list(params.walk_excluded_highways))
    else:
        usable = np.isin(hw, list(params.drive_allowed_highways))
    n_closed_lines = int((usable & roads.closed).sum())
    usable &= ~roads.closed
    if not usable.any():
        raise InputError(
            Problem(
                file=roads.source,
                message=f"no road usable for mode {mode!r} "
                f"({len(roads)} lines, {n_closed_lines} closed; classes found: "
                f"{sorted(set(hw.tolist()))[:12]})",
            )
        )
    return np.flatnonzero(usable), n_closed_lines


def _segments(
    roads: RoadLines, idx: np.ndarray, crs: CRS, params: NetworkParams, *, midpoints: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """The usable lines in metres, cut every `max_segment_m`, as pieces between nodes (vertices equal to
    `node_precision_m` are one node): (node_xy of every node, from-node, to-node, length_m, the line of each piece
    as an index into `idx`, each piece's midpoint when asked for)."""
    lines = project(roads.geometry[idx], WGS84, crs)
    lines = shapely.segmentize(lines, params.max_segment_m)
    coords, line_of = shapely.get_coordinates(lines, return_index=True)
    del lines  # (intermediate arrays are dropped as soon as they are used: 8.5 M nodes at national scale)

    # vertex hashing: equal rounded coordinates = one node
    q = np.rint(coords / params.node_precision_m).astype(np.int64)
    q -= q.min(axis=0)
    if q.max() >= 2**31:
        raise InputError(Problem(file=roads.source, message="road extent too large for one network (> 20,000 km)"))
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
    seg_line = line_of[s]
    length = np.hypot(*np.diff(coords, axis=0)[s].T)
    ok = (u != v) & (length > 0)
    s, u, v, seg_line, length = s[ok], u[ok], v[ok], seg_line[ok], length[ok]
    mid_xy = (coords[s] + coords[s + 1]) / 2.0 if midpoints else None
    return node_xy, u, v, length, seg_line, mid_xy


def _speed_and_capacity(
    roads: RoadLines, idx: np.ndarray, seg_line: np.ndarray, feat: np.ndarray, mode: Mode, params: NetworkParams
) -> tuple[np.ndarray, np.ndarray]:
    """Speed (m/s) and capacity (persons/h walking, vehicles/h per direction driving) of each piece: the road's
    own tags where it has them, else its class's figures (class tables looked up once per distinct class)."""
    hw = roads.highway
    classes = sorted({str(c) for c in hw[idx]})  # looked up per line, not per piece
    code = {c: k for k, c in enumerate(classes)}
    cls_of = np.fromiter((code[str(c)] for c in hw[idx]), dtype=np.int64, count=len(idx))[seg_line]

    def by_class(table: dict[str, float], default: float, strip_link: bool = False) -> np.ndarray:
        vals = [table.get(c.removesuffix("_link") if strip_link else c, default) for c in classes]
        return np.asarray(vals, dtype=float)[cls_of]

    width = roads.width_m[feat]
    width = np.where(np.isnan(width), by_class(params.default_width_m, params.default_width_m["default"]), width)
    if mode == "walk":
        speed = np.full(len(feat), params.walk_speed_m_s)
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
    return speed, cap


def _closure_factor(closures: Closures, mid_xy: np.ndarray, crs: CRS, factor: np.ndarray) -> np.ndarray:
    """Each piece's travel-time factor: the largest of the closures its midpoint touches (inf = closed)."""
    polys = project(np.asarray(closures.polygons), WGS84, crs)
    hit_pt, hit_poly = shapely.STRtree(polys).query(shapely.points(mid_xy), predicate="intersects")
    np.maximum.at(factor, hit_pt, np.asarray(closures.time_factor, dtype=float)[hit_poly])
    return factor


def _directed_links(
    roads: RoadLines, feat: np.ndarray, u: np.ndarray, v: np.ndarray, open_: np.ndarray, mode: Mode
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(from-node, to-node, piece) of each directed link: both directions of every open piece when walking,
    only those its `oneway` allows when driving."""
    if mode == "walk":
        fwd = bwd = open_
    else:
        ow = roads.oneway[feat]
        fwd = open_ & (ow >= 0)
        bwd = open_ & (ow <= 0)
    lf = np.concatenate([u[fwd], v[bwd]])
    lt = np.concatenate([v[fwd], u[bwd]])
    sel = np.concatenate([np.flatnonzero(fwd), np.flatnonzero(bwd)])
    return lf, lt, sel


def _largest_component(
    lf: np.ndarray, lt: np.ndarray, n_all: int, mode: Mode, file: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(nodes kept, links kept, nodes any link touches, sizes of the dropped components, largest first): the
    largest component, strongly connected for driving, connected for walking."""
    adj = sparse.csr_matrix((np.ones(len(lf)), (lf, lt)), shape=(n_all, n_all))
    touched = np.zeros(n_all, dtype=bool)
    touched[lf] = touched[lt] = True
    n_comp, label = csgraph.connected_components(adj, directed=True, connection="strong" if mode == "drive" else "weak")
    del adj
    sizes = np.bincount(label[touched], minlength=n_comp)
    if sizes.max() == 0:
        raise InputError(Problem(file=file, message=f"no open road for mode {mode!r} after closures"))
    big = int(np.argmax(sizes))
    keep_node = touched & (label == big)
    keep_link = keep_node[lf] & keep_node[lt]
    dropped = np.sort(sizes[(np.arange(n_comp) != big) & (sizes > 0)])[::-1]
    return keep_node, keep_link, touched, dropped


def _fastest_link_graphs(
    lf: np.ndarray, lt: np.ndarray, time: np.ndarray, length: np.ndarray, n: int
) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
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
