"""Travel times between sites and the zones whose people move, at national scale.

One shortest-path tree per site (or per origin point, whichever side has fewer distinct nodes), in batches,
locally or on a Dask cluster; each tree is cut off a little beyond the longest walk allowed; the times to a
zone's sample points are averaged per zone; only the (zone, site) pairs within the limit are kept, as
sparse arrays. Results equal `network.travel_time_matrix` followed by `network.aggregate_origins` to the bit
(same integer path weights, same order of summation); the cut-off only leaves out pairs whose mean is over
the limit, and a pair it cannot decide is recomputed without it.

Units: metres (network CRS), seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from .._errors import InputError, Problem
from .network import _L_RES_M, _T_RES_S, Network, _contract_chains, _lexicographic_graph, snap

_EXACT_BELOW = 2.0**53
#: Dijkstra rows held at once: batch x graph nodes float64 values (~160 MB)
_BATCH_CELLS = 20_000_000


@dataclass(frozen=True, eq=False)
class GroupTimes:
    """Mean travel time and distance from each group of origin points (a zone) to each destination (a site).

    Sparse: only listed pairs are reachable and, when `max_mean_s` is set, at most that long on average;
    sorted by (group, destination). Means are over the group's reachable points, as `aggregate_origins`.
    """

    group: np.ndarray  # int64
    destination: np.ndarray  # int64
    time_s: np.ndarray
    distance_m: np.ndarray
    n_groups: int
    n_destinations: int
    max_mean_s: float | None = None

    def __len__(self) -> int:
        return len(self.group)

    def dense(self) -> tuple[np.ndarray, np.ndarray]:
        """[group, destination] time (inf when not listed) and distance (NaN when not listed)."""
        t = np.full((self.n_groups, self.n_destinations), np.inf)
        d = np.full((self.n_groups, self.n_destinations), np.nan)
        t[self.group, self.destination] = self.time_s
        d[self.group, self.destination] = self.distance_m
        return t, d

    def lookup(self, group: np.ndarray, destination: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Time (inf) and distance (NaN) of the given pairs (inf / NaN when not listed)."""
        want = np.asarray(group, dtype=np.int64) * self.n_destinations + np.asarray(destination, dtype=np.int64)
        if len(self.group) == 0:
            return np.full(want.shape, np.inf), np.full(want.shape, np.nan)
        key = self.group * self.n_destinations + self.destination
        pos = np.minimum(np.searchsorted(key, want), len(key) - 1)
        hit = key[pos] == want
        return np.where(hit, self.time_s[pos], np.inf), np.where(hit, self.distance_m[pos], np.nan)

    def rows(self, group: int) -> slice:
        """The slice of pairs of one group."""
        lo, hi = np.searchsorted(self.group, [group, group + 1])
        return slice(int(lo), int(hi))

    @classmethod
    def from_dense(
        cls,
        time_s: np.ndarray,
        distance_m: np.ndarray,
        *,
        max_mean_s: float | None = None,
        groups: np.ndarray | None = None,
    ) -> GroupTimes:
        """The finite pairs (at most max_mean_s) of a dense [group, destination] matrix; `groups`: rows to keep."""
        ok = np.isfinite(time_s)
        if max_mean_s is not None:
            ok &= time_s <= max_mean_s
        if groups is not None:
            keep = np.zeros(time_s.shape[0], dtype=bool)
            keep[groups] = True
            ok &= keep[:, None]
        g, j = np.nonzero(ok)
        return cls(
            group=g.astype(np.int64),
            destination=j.astype(np.int64),
            time_s=time_s[g, j],
            distance_m=distance_m[g, j],
            n_groups=time_s.shape[0],
            n_destinations=time_s.shape[1],
            max_mean_s=max_mean_s,
        )


@dataclass(frozen=True, eq=False)
class _Context:
    """What every batch needs; shipped once to each Dask worker."""

    graph: sparse.csr_matrix  # packed weights (time quanta x m + length quanta), contracted
    from_sites: bool  # graph transposed: rows are sites, columns the origin nodes
    origin_col: np.ndarray  # per distinct origin node: its index in the contracted graph
    sample_node: np.ndarray  # per sample: index into the distinct origin nodes
    sample_leg_s: np.ndarray
    sample_snap_m: np.ndarray
    sample_xy: np.ndarray
    sample_raw_node: np.ndarray  # network node per sample (a sample on a site's node walks straight)
    sample_group: np.ndarray  # per sample: index of its routed group
    node_ptr: np.ndarray  # samples at each distinct origin node: node_sample[node_ptr[k]:node_ptr[k + 1]]
    node_sample: np.ndarray
    group_start: np.ndarray  # per routed group: first sample (samples are contiguous per group)
    group_count: np.ndarray
    group_leg_sum_s: np.ndarray  # per routed group: its samples' snap legs (s), summed
    site_col: np.ndarray  # per site: its node in the contracted graph
    site_raw_node: np.ndarray
    site_leg_s: np.ndarray
    site_snap_m: np.ndarray
    site_xy: np.ndarray
    leg_speed: float
    m: float
    t_res: float
    l_res: float
    max_mean_s: float | None


def _packed_limit(ctx: _Context, limit_net_s: float | None) -> float:
    return np.inf if limit_net_s is None else (math.ceil(limit_net_s / ctx.t_res) + 1) * ctx.m


def _site_pairs(
    ctx: _Context, sites: np.ndarray, packed: np.ndarray, limit_net_s: float | None
) -> tuple[np.ndarray, ...] | None:
    """Zone pairs of some sites from their packed distances to the distinct origin nodes [sites, nodes].

    Works on the reached (site, sample point) pairs only. Returns (group, site, time, distance, undecided
    sites), or None when a path is too long for the quanta (the caller coarsens them)."""
    r, c = np.nonzero(np.isfinite(packed))
    v = packed[r, c]
    if (v >= _EXACT_BELOW).any():
        return None
    if len(v) == 0:
        none = np.empty(0, dtype=np.int64)
        return none, none, np.empty(0), np.empty(0), none
    tq = np.floor(v / ctx.m)
    # every sample point at a reached node, ordered by (site, sample point): zones are runs of points
    n_at = ctx.node_ptr[c + 1] - ctx.node_ptr[c]
    first = np.repeat(ctx.node_ptr[c], n_at) + np.arange(int(n_at.sum())) - np.repeat(np.cumsum(n_at) - n_at, n_at)
    row, smp = np.repeat(r, n_at), ctx.node_sample[first]
    order = np.argsort(row * len(ctx.sample_node) + smp)
    row, smp, e = row[order], smp[order], np.repeat(np.arange(len(v)), n_at)[order]
    site = sites[row]
    # per point, in the order of travel_time_matrix: (network + origin leg) + site leg
    t = (tq[e] * ctx.t_res + ctx.sample_leg_s[smp]) + ctx.site_leg_s[site]
    d = ((v[e] - tq[e] * ctx.m) * ctx.l_res + ctx.sample_snap_m[smp]) + ctx.site_snap_m[site]
    same = ctx.site_raw_node[site] == ctx.sample_raw_node[smp]
    if same.any():  # both points at one node: walk straight across
        direct = np.hypot(*(ctx.sample_xy[smp[same]] - ctx.site_xy[site[same]]).T)
        d[same] = direct
        t[same] = direct / ctx.leg_speed
    group = ctx.sample_group[smp]
    key = row * len(ctx.group_start) + group
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    run = np.cumsum(np.r_[False, key[1:] != key[:-1]])
    count = np.diff(np.r_[starts, len(key)]).astype(float)
    t_sum, d_sum = np.zeros(len(starts)), np.zeros(len(starts))
    k = np.arange(len(key)) - starts[run]
    for step in range(int(k.max(initial=-1)) + 1):  # point by point in order: the summation of np.add.at
        at = k == step
        t_sum[run[at]] += t[at]
        d_sum[run[at]] += d[at]
    run_row, run_group, run_site = row[starts], group[starts], site[starts]
    mean_t, mean_d = t_sum / count, d_sum / count
    unknown = ctx.group_count[run_group] - count
    ok = unknown == 0
    undecided = np.zeros(len(sites), dtype=bool)
    if ctx.max_mean_s is not None:
        ok &= mean_t <= ctx.max_mean_s
        if limit_net_s is not None:
            # a point beyond a tree's limit walks at least the limit plus both legs (every node reaches every
            # other); a pair is undecided when even that lower bound keeps its mean within the limit
            legs_known = np.bincount(run, weights=ctx.sample_leg_s[smp], minlength=len(starts))
            low = (
                t_sum
                + unknown * (limit_net_s + ctx.site_leg_s[run_site])
                + (ctx.group_leg_sum_s[run_group] - legs_known)
            )
            unsure = (unknown > 0) & (low / ctx.group_count[run_group] <= ctx.max_mean_s * (1 + 1e-9) + 1e-6)
            undecided[run_row[unsure]] = True
    ok &= ~undecided[run_row]
    return run_group[ok], run_site[ok], mean_t[ok], mean_d[ok], sites[undecided]


def _step(ctx: _Context) -> int:
    """Trees per batch: batch x (graph nodes or sample points) values stay near _BATCH_CELLS."""
    return max(1, min(64, _BATCH_CELLS // max(ctx.graph.shape[0], len(ctx.sample_node), 1)))


def _group_means(
    t: np.ndarray, d: np.ndarray, known: np.ndarray, group_start: np.ndarray, group_count: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row and group: known points, mean time and distance over them (inf / NaN if none).

    Summed point by point in order, as np.add.at does in `aggregate_origins`, so the means are identical."""
    shape = (t.shape[0], len(group_start))
    count, t_sum, d_sum = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for k in range(int(group_count.max(initial=0))):
        gs = np.flatnonzero(group_count > k)
        col = group_start[gs] + k
        r = known[:, col]
        count[:, gs] += r
        t_sum[:, gs] += np.where(r, t[:, col], 0.0)
        d_sum[:, gs] += np.where(r, d[:, col], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return count, np.where(count > 0, t_sum / count, np.inf), np.where(count > 0, d_sum / count, np.nan)


def group_straight_times(
    origins_xy: np.ndarray,
    origin_group: np.ndarray,
    n_groups: int,
    destinations_xy: np.ndarray,
    *,
    speed_m_s: float,
    circuity: float,
    max_mean_s: float | None = None,
) -> GroupTimes:
    """No roads: `straight_line_matrix` averaged per group (as `aggregate_origins`), sparse, by destination
    chunks so that memory stays bounded."""
    a = np.asarray(origins_xy, dtype=float).reshape(-1, 2)
    b = np.asarray(destinations_xy, dtype=float).reshape(-1, 2)
    group = np.asarray(origin_group, dtype=np.int64)
    present, start, count = np.unique(group, return_index=True, return_counts=True)
    parts = []
    step = max(1, _BATCH_CELLS // max(len(a), 1) // 4)
    for j0 in range(0, len(b), step):
        dist = (np.sqrt(((a[:, None, :] - b[None, j0 : j0 + step, :]) ** 2).sum(axis=-1)) * circuity).T
        time = dist / speed_m_s
        n, mean_t, mean_d = _group_means(time, dist, np.isfinite(time), start, count)
        ok = (n > 0) & ((mean_t <= max_mean_s) if max_mean_s is not None else True)
        jj, gg = np.nonzero(ok)
        parts.append((present[gg], j0 + jj, mean_t[jj, gg], mean_d[jj, gg]))
    g, j, t, d = (np.concatenate([p[k] for p in parts]) if parts else np.empty(0) for k in range(4))
    order = np.lexsort((j, g))
    return GroupTimes(
        group=g[order].astype(np.int64),
        destination=j[order].astype(np.int64),
        time_s=t[order],
        distance_m=d[order],
        n_groups=n_groups,
        n_destinations=len(b),
        max_mean_s=max_mean_s,
    )


def _tree_rows(ctx: _Context, sources: np.ndarray, limit_net_s: float | None) -> np.ndarray:
    """Packed shortest-path distances from contracted nodes `sources` to every node, in batches."""
    step = _step(ctx)
    limit = _packed_limit(ctx, limit_net_s)
    cols = ctx.origin_col if ctx.from_sites else ctx.site_col
    out = np.empty((len(sources), len(cols)))
    for b in range(0, len(sources), step):
        dist = csgraph.dijkstra(ctx.graph, directed=True, indices=sources[b : b + step], limit=limit)
        out[b : b + step] = dist[:, cols]
    return out


def site_batch(ctx: _Context, sites: np.ndarray, limit_net_s: float | None) -> tuple[np.ndarray, ...] | None:
    """One batch of sites: their shortest-path trees and zone pairs (runs on a Dask worker as is)."""
    return _site_pairs(ctx, sites, _tree_rows(ctx, ctx.site_col[sites], limit_net_s), limit_net_s)


def _context(
    network: Network,
    o: Any,
    d: Any,
    origins_xy: np.ndarray,
    destinations_xy: np.ndarray,
    group_start: np.ndarray,
    group_count: np.ndarray,
    leg_speed: float,
    t_res: float,
    l_res: float,
    max_mean_s: float | None,
) -> _Context:
    uo, inv_o = np.unique(o.node, return_inverse=True)
    ud = np.unique(d.node)
    w, m, _ = _lexicographic_graph(network.graph_time_s, network.graph_length_m, t_res, l_res)
    keep = np.zeros(network.n_nodes, dtype=bool)
    keep[uo] = keep[ud] = True
    w, node_of = _contract_chains(w, keep)
    from_sites = len(ud) <= len(uo)
    sample_node = inv_o.reshape(-1)
    sample_group = np.repeat(np.arange(len(group_start)), group_count)
    sample_leg_s = o.distance_m / leg_speed
    return _Context(
        graph=w.T.tocsr() if from_sites else w,
        from_sites=from_sites,
        origin_col=node_of[uo],
        sample_node=sample_node,
        sample_leg_s=sample_leg_s,
        sample_snap_m=o.distance_m,
        sample_xy=origins_xy,
        sample_raw_node=o.node,
        sample_group=sample_group,
        node_ptr=np.r_[0, np.cumsum(np.bincount(sample_node, minlength=len(uo)))],
        node_sample=np.argsort(sample_node, kind="stable"),
        group_start=group_start,
        group_count=group_count,
        group_leg_sum_s=np.bincount(sample_group, weights=sample_leg_s, minlength=len(group_start)),
        site_col=node_of[d.node],
        site_raw_node=d.node,
        site_leg_s=d.distance_m / leg_speed,
        site_snap_m=d.distance_m,
        site_xy=destinations_xy,
        leg_speed=leg_speed,
        m=m,
        t_res=t_res,
        l_res=l_res,
        max_mean_s=max_mean_s,
    )


class _Local:
    """Runs batches in this process."""

    def map(self, ctx: _Context, batches: list[np.ndarray], limit_net_s: float | None) -> list[Any]:
        return [site_batch(ctx, b, limit_net_s) for b in batches]


SCHEDULER_TIMEOUT_S = 10.0  # how long `connect` tries to reach a Dask scheduler


def connect(scheduler: str, timeout_s: float | None = None) -> Any:
    """A dask.distributed Client of the scheduler at tcp://HOST:PORT; InputError naming it if unreachable."""
    timeout_s = SCHEDULER_TIMEOUT_S if timeout_s is None else timeout_s
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - a dependency
        raise InputError(
            Problem(file="--scheduler", message="Dask is not installed; pip install 'dask[distributed]'")
        ) from None
    try:
        return Client(scheduler, timeout=f"{timeout_s:g}s")
    except (OSError, TimeoutError, ValueError) as e:
        raise InputError(
            Problem(
                file="--scheduler",
                field="scheduler",
                message=f"cannot reach the Dask scheduler at {scheduler!r} "
                f"(expected tcp://HOST:PORT of a running scheduler): {e}",
            )
        ) from None


class DaskBatches:
    """Runs site batches on a Dask cluster: the context goes to every worker once, batches come back as pairs."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def map(self, ctx: _Context, batches: list[np.ndarray], limit_net_s: float | None) -> list[Any]:
        shared = self.client.scatter(ctx, broadcast=True, hash=False)
        futures = [self.client.submit(site_batch, shared, b, limit_net_s, pure=False) for b in batches]
        return self.client.gather(futures)


def group_times(
    network: Network,
    origins_xy: np.ndarray,
    origin_group: np.ndarray,
    n_groups: int,
    destinations_xy: np.ndarray,
    *,
    max_mean_s: float | None = None,
    max_snap_m: float | None = None,
    spread_s: float | None = None,
    client: Any = None,
) -> GroupTimes:
    """Mean travel time and distance from each group of origin points to each destination, sparse.

    origin_group: the group (zone) of each origin point; points of a group must be contiguous and groups
    ascending (as `zone_sample_points` returns them). Points snap to their nearest node and walk the snap
    legs at the network's walking speed, exactly as `travel_time_matrix`. max_mean_s: pairs whose mean time
    exceeds it are left out, and each shortest-path tree stops at max_mean_s + spread_s (default: twice the
    widest group's extent at walking speed, x 2 for detours); a pair the cut-off leaves undecided is
    recomputed without it, so the listed pairs are exactly those a full matrix would give. client: a
    dask.distributed Client to run the site batches on (same results).
    """
    origins_xy = np.asarray(origins_xy, dtype=float).reshape(-1, 2)
    destinations_xy = np.asarray(destinations_xy, dtype=float).reshape(-1, 2)
    group = np.asarray(origin_group, dtype=np.int64)
    n_d = len(destinations_xy)
    empty = GroupTimes(
        np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0), np.empty(0), n_groups, n_d, max_mean_s
    )
    if len(group) == 0 or n_d == 0:
        return empty
    if (np.diff(group) < 0).any():
        raise ValueError("origin points must come grouped, groups ascending")
    o = snap(network, origins_xy, max_snap_m=max_snap_m, file="origins")
    d = snap(network, destinations_xy, max_snap_m=max_snap_m, file="destinations")
    leg_speed = network.walk_speed_m_s
    present, group_start, group_count = np.unique(group, return_index=True, return_counts=True)
    limit_net_s = None
    if max_mean_s is not None:
        if spread_s is None:
            lo = np.minimum.reduceat(origins_xy, group_start, axis=0)
            hi = np.maximum.reduceat(origins_xy, group_start, axis=0)
            spread_s = 4.0 * float(np.hypot(*(hi - lo).T).max(initial=0.0)) / leg_speed
        legs = float(o.distance_m.min() + d.distance_m.min()) / leg_speed
        limit_net_s = max(0.0, max_mean_s + spread_s - legs)
    runner = DaskBatches(client) if client is not None else _Local()

    t_res, l_res = _T_RES_S, _L_RES_M
    got = None
    for _ in range(6):
        ctx = _context(
            network, o, d, origins_xy, destinations_xy, group_start, group_count, leg_speed, t_res, l_res, max_mean_s
        )
        if limit_net_s is None or (math.ceil(limit_net_s / t_res) + 2) * ctx.m < _EXACT_BELOW:
            got = _run(ctx, runner, n_d, limit_net_s)
            if got is not None:
                break
        t_res, l_res = t_res * 10, l_res * 10  # very long paths: coarser quanta keep sums exact
    if got is None:  # pragma: no cover - needs paths of > 10^7 h
        raise InputError(Problem(file=network.source, message="paths too long to time exactly"))
    g, j, t, dist = got
    g = present[g]
    order = np.lexsort((j, g))
    return GroupTimes(
        group=g[order].astype(np.int64),
        destination=j[order].astype(np.int64),
        time_s=t[order],
        distance_m=dist[order],
        n_groups=n_groups,
        n_destinations=n_d,
        max_mean_s=max_mean_s,
    )


def _run(ctx: _Context, runner: Any, n_d: int, limit_net_s: float | None) -> tuple[np.ndarray, ...] | None:
    """All pairs: site batches (or, from the origin side, one block), then undecided sites without limit."""
    sites = np.arange(n_d)
    step = _step(ctx)
    if ctx.from_sites:
        parts = runner.map(ctx, [sites[b : b + step] for b in range(0, n_d, step)], limit_net_s)
    else:  # fewer origin nodes than sites: trees from the origin nodes, turned into site rows
        packed = _tree_rows(ctx, ctx.origin_col, limit_net_s).T
        parts = [_site_pairs(ctx, sites[b : b + step], packed[b : b + step], limit_net_s) for b in range(0, n_d, step)]
    if any(p is None for p in parts):
        return None
    undecided = np.concatenate([p[4] for p in parts])
    if len(undecided):
        if ctx.from_sites:
            again = runner.map(ctx, [undecided[b : b + step] for b in range(0, len(undecided), step)], None)
        else:
            packed = _tree_rows(ctx, ctx.origin_col, None).T
            again = [
                _site_pairs(ctx, undecided[b : b + step], packed[undecided[b : b + step]], None)
                for b in range(0, len(undecided), step)
            ]
        if any(p is None for p in again):
            return None
        parts += again
    return tuple(np.concatenate([p[k] for p in parts]) for k in range(4))
