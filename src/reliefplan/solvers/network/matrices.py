"""Road networks: snapping points to the network and many-to-many travel-time matrices (exact lexicographic
time-then-length shortest paths on scipy.sparse.csgraph, over a graph with degree-2 chains contracted), zone
sample points, aggregation to zones, and the straight-line fallback."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from scipy import sparse
from scipy.sparse import csgraph

from ..._errors import InputError, Problem
from .graph import Network, NetworkParams

# --------------------------------------------------------------------------- snapping and matrices


@dataclass(frozen=True, eq=False)
class Snapped:
    """Nearest network node per point and the straight off-network leg to it (walked)."""

    node: np.ndarray  # int64 node index
    distance_m: np.ndarray
    time_s: np.ndarray  # distance_m / walking speed


def snap(
    network: Network,
    xy: np.ndarray,
    *,
    max_snap_m: float | None = None,
    ids: list[str] | np.ndarray | None = None,
    file: str = "points",
) -> Snapped:
    """Snap metric points to their nearest node; InputError for points farther than max_snap_m."""
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    dist, node = network.node_tree.query(xy)
    if max_snap_m is not None:
        far = np.flatnonzero(~(dist <= max_snap_m))
        if len(far):
            raise InputError(
                [
                    Problem(
                        file=file,
                        feature=str(ids[i]) if ids is not None else str(i),
                        message=f"point is {dist[i]:.0f} m from the nearest road of {network.source} "
                        f"(limit {max_snap_m:.0f} m): outside the network's extent; a larger limit "
                        "(`travel-times --max-snap-m`) snaps it anyway, its off-road leg walked",
                    )
                    for i in far
                ]
            )
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


def _lexicographic_graph(
    graph_time: sparse.csr_matrix, graph_len: sparse.csr_matrix, t_res: float, l_res: float
) -> tuple[sparse.csr_matrix, float, float]:
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


def travel_time_matrix(
    network: Network,
    origins_xy: np.ndarray,
    destinations_xy: np.ndarray,
    *,
    cutoff_s: float | None = None,
    max_snap_m: float | None = DEFAULT_MAX_SNAP_M,
    origin_ids: list[str] | np.ndarray | None = None,
    destination_ids: list[str] | np.ndarray | None = None,
    leg_speed_m_s: float | None = None,
    contract: bool = True,
    batch: int = 64,
    files: tuple[str, str] = ("origins", "destinations"),
) -> TravelTimes:
    """Fastest travel time and the distance along that path between every origin and destination.

    Points (metric, network CRS) snap to their nearest node; the snap legs are walked at
    the network's walking speed and included in time and distance. Dijkstra runs from the
    smaller set of distinct snapped nodes (on the transposed graph when destinations are
    fewer). Times are exact to 0.001 s per link; distances are along the chosen path.
    Pairs slower than cutoff_s (legs included) are unreachable (inf / NaN). leg_speed_m_s
    sets the speed of the snap legs (default: the walking speed, also in drive mode).
    With contract=True, pass-through nodes that no point snaps to are removed first (chains
    of links become one arc), which leaves every result unchanged and makes Dijkstra faster. files: what a point
    too far from the roads is named by (the points files of the `travel-times` command).
    """
    o = snap(network, origins_xy, max_snap_m=max_snap_m, ids=origin_ids, file=files[0])
    d = snap(network, destinations_xy, max_snap_m=max_snap_m, ids=destination_ids, file=files[1])
    leg_speed = network.walk_speed_m_s if leg_speed_m_s is None else float(leg_speed_m_s)
    o_leg_s, d_leg_s = o.distance_m / leg_speed, d.distance_m / leg_speed
    if len(o.node) == 0 or len(d.node) == 0:
        time_s = np.empty((len(o.node), len(d.node)))
        distance_m = time_s.copy()
    else:
        uo, inv_o = np.unique(o.node, return_inverse=True)
        ud, inv_d = np.unique(d.node, return_inverse=True)
        net_time, net_len = _node_times(network, uo, ud, cutoff_s, contract, batch)
        time_s = net_time[np.ix_(inv_o, inv_d)] + o_leg_s[:, None] + d_leg_s[None, :]
        distance_m = net_len[np.ix_(inv_o, inv_d)] + o.distance_m[:, None] + d.distance_m[None, :]
        same = o.node[:, None] == d.node[None, :]
        if same.any():  # both points at one node: walk straight across, not out to the node and back
            oi, di = np.nonzero(same)
            direct = np.hypot(
                *(
                    np.asarray(origins_xy, dtype=float).reshape(-1, 2)[oi]
                    - np.asarray(destinations_xy, dtype=float).reshape(-1, 2)[di]
                ).T
            )
            distance_m[oi, di] = direct
            time_s[oi, di] = direct / leg_speed
        _beyond_cutoff(time_s, distance_m, cutoff_s)
    return TravelTimes(
        time_s=time_s,
        distance_m=distance_m,
        mode=network.mode,
        fallback=False,
        method="network",
        origin_snap_m=o.distance_m,
        destination_snap_m=d.distance_m,
        cutoff_s=cutoff_s,
    )


def _node_times(
    network: Network, uo: np.ndarray, ud: np.ndarray, cutoff_s: float | None, contract: bool, batch: int
) -> tuple[np.ndarray, np.ndarray]:
    """(time_s, length_m) of the fastest path from each origin node `uo` to each destination node `ud` (inf / NaN
    when unreachable within cutoff_s): Dijkstra on one lexicographic weight, time first and length to break ties,
    from the smaller set of nodes, in batches; quanta coarsen when a path is too long to keep the sums exact."""
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
            dist = csgraph.dijkstra(graph, directed=True, indices=sources[b : b + batch], limit=limit)
            block[b : b + batch] = dist[:, targets]
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

    return net_time, net_len


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


def zone_sample_points(
    polygons_xy: np.ndarray, *, spacing_m: float = 500.0, max_points: int = 25
) -> tuple[np.ndarray, np.ndarray]:
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
        keep[first[z] : first[z] + count[z]] = mask
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
    return TravelTimes(
        time_s=time_s,
        distance_m=distance_m,
        mode=tt.mode,
        fallback=tt.fallback,
        method=tt.method,
        origin_snap_m=snap_sum / snap_n,
        destination_snap_m=tt.destination_snap_m,
        cutoff_s=tt.cutoff_s,
        circuity=tt.circuity,
    )


def _beyond_cutoff(time_s: np.ndarray, distance_m: np.ndarray, cutoff_s: float | None) -> None:
    """In place: pairs slower than ``cutoff_s`` become unreachable (time inf, distance NaN)."""
    if cutoff_s is not None:
        over = time_s > cutoff_s
        time_s[over] = np.inf
        distance_m[over] = np.nan


def straight_line_matrix(
    origins_xy: np.ndarray,
    destinations_xy: np.ndarray,
    *,
    speed_m_s: float,
    circuity: float | None = None,
    mode: str = "walk",
    cutoff_s: float | None = None,
) -> TravelTimes:
    """Fallback without roads: straight-line distance × circuity, at speed_m_s. Flagged fallback=True."""
    circuity = NetworkParams.default().circuity if circuity is None else circuity
    a = np.asarray(origins_xy, dtype=float).reshape(-1, 2)
    b = np.asarray(destinations_xy, dtype=float).reshape(-1, 2)
    dist = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=-1)) * circuity
    time = dist / speed_m_s
    _beyond_cutoff(time, dist, cutoff_s)
    return TravelTimes(
        time_s=time,
        distance_m=dist,
        mode=mode,
        fallback=True,
        method="straight_line",
        origin_snap_m=np.zeros(len(a)),
        destination_snap_m=np.zeros(len(b)),
        cutoff_s=cutoff_s,
        circuity=circuity,
    )
