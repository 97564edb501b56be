"""Benchmark: travel-time matrix on a synthetic road-like network vs networkx in the same run.

Graph: a jittered street grid (~200 k nodes) with ~36 % of its streets removed at random,
mixed highway classes and 10 % one-way streets, built through reliefplan.solvers.network from
LineStrings; ~500 k directed links. Matrix: 10 k random origins × 200 random destinations
(drive mode, snap legs included, distance along the fastest path included), with and
without the contraction of pass-through nodes (identical results).
networkx runs the same single-source Dijkstras (from the destinations on the reversed
graph) for a subset of destinations; its time is extrapolated to all 200.

Run: nice .venv/bin/python -m benchmarks.bench_network [--side 460] [--nx-sources 4]
Targets (issue 3): ≥ 15× networkx, < 15 s, < 3 GB.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np
import shapely
from pyproj import CRS

from reliefplan.geo import WGS84, project
from reliefplan.solvers import network as rn

UTM = CRS.from_epsg(32636)
X0, Y0 = 560_000.0, 3_440_000.0


def synthetic_roads(side: int, step_m: float, keep: float, rng: np.random.Generator) -> rn.RoadLines:
    """Jittered grid: nodes every step_m (± 20 %), each street kept with probability `keep`."""
    ij = np.stack(np.meshgrid(np.arange(side), np.arange(side), indexing="ij"), axis=-1).reshape(-1, 2)
    xy = ij * step_m + rng.uniform(-0.2, 0.2, size=ij.shape) * step_m + (X0, Y0)
    idx = np.arange(side * side).reshape(side, side)
    a = np.concatenate([idx[:-1, :].ravel(), idx[:, :-1].ravel()])
    b = np.concatenate([idx[1:, :].ravel(), idx[:, 1:].ravel()])
    sel = rng.random(len(a)) < keep
    a, b = a[sel], b[sel]
    coords = np.stack([xy[a], xy[b]], axis=1)
    lines = project(shapely.linestrings(coords), UTM, WGS84)
    classes = np.array(["primary", "secondary", "tertiary", "residential", "residential", "residential"], dtype=object)
    return rn.RoadLines.from_geometry(
        lines,
        highway=classes[rng.integers(len(classes), size=len(a))],
        oneway=(rng.random(len(a)) < 0.10).astype(np.int8),
        source="synthetic",
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="bench_network")
    ap.add_argument("--side", type=int, default=460)
    ap.add_argument("--keep", type=float, default=0.64)
    ap.add_argument("--origins", type=int, default=10_000)
    ap.add_argument("--destinations", type=int, default=200)
    ap.add_argument("--nx-sources", type=int, default=4)
    args = ap.parse_args(argv or [])
    rng = np.random.default_rng(42)

    t0 = time.perf_counter()
    roads = synthetic_roads(args.side, 100.0, args.keep, rng)
    t_gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    # max_segment_m above the street length: one link per street and direction, as in the graph
    net = rn.build_network(roads, mode="drive", crs=UTM, params=rn.NetworkParams.default(max_segment_m=1000.0))
    t_build = time.perf_counter() - t0
    lo, hi = net.node_xy.min(axis=0), net.node_xy.max(axis=0)
    origins = rng.uniform(lo, hi, size=(args.origins, 2))
    dests = rng.uniform(lo, hi, size=(args.destinations, 2))
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    t0 = time.perf_counter()
    tt = rn.travel_time_matrix(net, origins, dests, max_snap_m=None)
    t_ours = time.perf_counter() - t0
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    tt_plain = rn.travel_time_matrix(net, origins, dests, max_snap_m=None, contract=False)
    t_plain = time.perf_counter() - t0
    assert np.array_equal(tt_plain.time_s, tt.time_s) and np.array_equal(tt_plain.distance_m, tt.distance_m)

    import networkx as nx

    t0 = time.perf_counter()
    g = nx.DiGraph()
    coo = net.graph_time_s.tocoo()
    g.add_weighted_edges_from(zip(coo.col.tolist(), coo.row.tolist(), coo.data.tolist()), weight="time")  # reversed
    t_nx_build = time.perf_counter() - t0
    d_nodes = rn.snap(net, dests).node
    o_nodes = rn.snap(net, origins).node
    k = min(args.nx_sources, len(d_nodes))
    t0 = time.perf_counter()
    nx_rows = []
    for v in d_nodes[:k]:
        lengths = nx.single_source_dijkstra_path_length(g, int(v), weight="time")
        nx_rows.append([lengths.get(int(u), np.inf) for u in o_nodes])
    t_nx = (time.perf_counter() - t0) / k * len(d_nodes)
    # same answers (network part): ours minus snap legs vs networkx
    legs_s = (tt.origin_snap_m[:, None] + tt.destination_snap_m[None, :k]) / net.walk_speed_m_s
    ours = tt.time_s[:, :k] - legs_s
    same_node = o_nodes[:, None] == d_nodes[None, :k]
    diff = np.abs(np.where(same_node, 0, ours) - np.array(nx_rows).T)
    max_diff = float(np.nanmax(np.where(same_node, 0, diff)))

    print(
        f"graph: {net.n_nodes:,} nodes, {net.n_links:,} directed links "
        f"(dropped {net.dropped_nodes:,} nodes outside the largest strongly connected component)"
    )
    print(f"generate lines {t_gen:.1f} s; build_network {t_build:.1f} s; networkx graph build {t_nx_build:.1f} s")
    print(
        f"matrix {args.origins:,} x {args.destinations}: reliefplan {t_ours:.2f} s "
        f"(time + distance + snapping); networkx {t_nx:.1f} s extrapolated from {k} sources"
    )
    print(
        f"ratio networkx / reliefplan: {t_nx / t_ours:.1f}x (target >= 15x); target < 15 s: "
        f"{'met' if t_ours < 15 else 'NOT met'}"
    )
    print(f"without pass-through-node contraction: {t_plain:.2f} s, {t_nx / t_plain:.1f}x networkx (same results)")
    print(f"peak RSS: {rss0:,.0f} MiB before the matrix, {rss1:,.0f} MiB after (target < 3072 MiB)")
    print(f"reachable pairs {tt.reachable.mean():.4f}; max |reliefplan - networkx| time on the subset {max_diff:.3f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
