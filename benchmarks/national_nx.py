"""The straightforward way of the network -> walking times -> siting part, for bench_national --nx.

networkx: a Graph of the walking network's links (the same links reliefplan routes on), one
``single_source_dijkstra_path_length`` per site with the walking limit as cutoff, the snap legs added and
the times averaged over each moving zone's sample points. PuLP: the transportation model (people per zone
and site, an unsheltered variable per zone at the same penalty, site capacities), solved by CBC.
reliefplan: ``build_network`` + ``site_times.group_times`` + ``allocation.allocate``. Both sides start
from the same loaded scenario, displacement and site capacities; both are timed in this process (wall and
CPU), and the answers are compared (walking times, objective).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(t: tuple[float, float]) -> tuple[float, float]:
    return time.perf_counter() - t[0], time.process_time() - t[1]


def compare_1m(folder: Path, scenario: str = "national") -> dict[str, float]:
    """Run both ways on a written scenario folder and print the comparison."""
    import networkx as nx
    import pulp

    from reliefplan.scenario.folder import load_scenario
    from reliefplan.solvers import network as rn
    from reliefplan.solvers.site_times import group_times
    from reliefplan.stages.allocation import allocate
    from reliefplan.stages.capacity import site_capacity
    from reliefplan.stages.displacement import displace

    sc = load_scenario(folder, scenario)
    d = displace(sc.zones, sc.footprints, sc.crs)
    cap = site_capacity(sc.sites, sc.footprints, sc.standards)
    xy, zone = rn.zone_sample_points(d.displaced_part_m)
    moving = d.displaced > 0
    sel = moving[zone]
    limit_s = sc.siting.max_walk_h * 3600.0

    t = _clock()
    net = rn.build_network(sc.roads, mode="walk", crs=sc.crs)
    times = group_times(net, xy[sel], zone[sel], len(sc.zones), cap.point_xy, max_mean_s=limit_s)
    alloc = allocate(sc, d.displaced, cap.capacity, times)
    ours = _since(t)

    t = _clock()
    g = nx.Graph()
    g.add_weighted_edges_from(
        zip(net.link_from.tolist(), net.link_to.tolist(), net.link_time_s.tolist()), weight="time"
    )
    o = rn.snap(net, xy[sel])
    s = rn.snap(net, cap.point_xy)
    o_leg, s_leg = o.distance_m / net.walk_speed_m_s, s.distance_m / net.walk_speed_m_s
    z_sel = zone[sel]
    zones, start = np.unique(z_sel, return_index=True)
    mean = np.full((len(zones), len(s.node)), np.inf)
    for j, node in enumerate(s.node):
        dist = nx.single_source_dijkstra_path_length(g, int(node), cutoff=limit_s + 4 * 3600.0, weight="time")
        per_sample = np.array([dist.get(int(v), np.inf) for v in o.node]) + o_leg + s_leg[j]
        mean[:, j] = np.add.reduceat(per_sample, start) / np.diff(np.append(start, len(z_sel)))
    t_nx = _since(t)
    prob = _pulp_siting(mean, d.displaced[zones], cap.capacity, limit_s)
    theirs = _since(t)
    objective_nx = float(pulp.value(prob.objective))

    ours_t, _ = times.dense()
    both = np.isfinite(ours_t[zones]) & np.isfinite(mean)
    diff = float(np.abs(ours_t[zones][both] - mean[both]).max())
    print(
        f"\nnetwork -> walking times -> siting on the 1 M case ({len(zones):,} moving zones, {len(s.node)} sites, "
        f"{net.n_nodes:,} nodes; walking limit {sc.siting.max_walk_h:g} h):"
    )
    print(
        f"  reliefplan (build_network + group_times + allocate): {ours[0]:.1f} s wall, {ours[1]:.1f} s CPU; "
        f"objective {alloc.siting.objective:,.0f} ({alloc.siting.status})"
    )
    print(
        f"  networkx + PuLP/CBC: {theirs[0]:.1f} s wall, {theirs[1]:.1f} s CPU in this process "
        f"(graph + Dijkstras {t_nx[0]:.1f} s; CBC runs as a child process, its CPU is not counted); objective "
        f"{objective_nx:,.0f} ({pulp.LpStatus[prob.status]})"
    )
    print(
        f"  ratio networkx+PuLP / reliefplan: x{theirs[0] / ours[0]:.1f} wall; "
        f"objectives differ by {abs(objective_nx - alloc.siting.objective) / alloc.siting.objective:.2e} "
        f"(relative); walking times differ by at most {diff:.3f} s (reliefplan sums links in whole ms)"
    )
    return {"ours_s": ours[0], "nx_s": theirs[0], "ratio": theirs[0] / ours[0]}


def _pulp_siting(mean: np.ndarray, people: np.ndarray, capacity: np.ndarray, limit_s: float) -> Any:
    """The transportation model in PuLP (zones x sites within the walking limit, unmet people at a penalty),
    solved by CBC."""
    import pulp

    from reliefplan.solvers.siting import DEFAULT_UNMET_FACTOR

    allowed = np.isfinite(mean) & (mean <= limit_s)
    penalty = max(1.0, DEFAULT_UNMET_FACTOR * float(mean[allowed].max()))
    prob = pulp.LpProblem("siting", pulp.LpMinimize)
    zi, sj = np.nonzero(allowed)
    x = [pulp.LpVariable(f"x_{a}_{b}", lowBound=0) for a, b in zip(zi, sj)]
    u = [pulp.LpVariable(f"u_{a}", lowBound=0) for a in range(len(people))]
    prob += pulp.lpSum(float(mean[a, b]) * v for a, b, v in zip(zi, sj, x)) + penalty * pulp.lpSum(u)
    by_zone: dict[int, list] = {}
    by_site: dict[int, list] = {}
    for a, b, v in zip(zi, sj, x):
        by_zone.setdefault(int(a), []).append(v)
        by_site.setdefault(int(b), []).append(v)
    for a in range(len(people)):
        prob += pulp.lpSum(by_zone.get(a, [])) + u[a] == float(people[a])
    for b, vs in by_site.items():
        prob += pulp.lpSum(vs) <= float(capacity[b])
    prob.solve(pulp.PULP_CBC_CMD(msg=False))
    return prob
