"""Evacuation timing benchmark: exact (time-expanded min-cost flow) vs queue model on synthetic grids.

Run: ``nice .venv/bin/python -m benchmarks.bench_evacuation [--quick] [--skip-large]``.

* grid: a 45 × 45 street grid, every block side split into 3 links (9,945 nodes / 23,760 links,
  2,021 / 7,912 after condensing), 50 sources, 10 sites on the southern edge, 1.4 million people
  leaving over 4 h; exact vs queue.
* large: 70 × 70 grid with blocks split in 3 (24,220 nodes / 57,960 links), 10 k sources
  (mid-block nodes, which cannot be condensed away), 10 sites; queue model and the exact method
  at a 30 min step.

Each case runs in a forked child so peak memory (max RSS, includes OR-Tools) is per case.
Figures are printed with ratios against the queue model of the same network and against a
baseline run in the same process (one all-pairs-to-sites Dijkstra on the same graph).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time

import numpy as np

from reliefplan.solvers.evacuation import EvacuationInstance, condense, solve_evacuation

WALK_M_PER_S = 1.0  # people on foot with carts and children


def grid_instance(
    nx: int, ny: int, split: int, n_sources: int, n_sinks: int, people: int, sources_midblock: bool, seed: int = 0
) -> EvacuationInstance:
    """Two-way street grid; main roads every 5th line carry 6,000/h, side streets 1,200–3,000/h."""
    rng = np.random.default_rng(seed)
    ids: dict[tuple, int] = {}

    def node(key: tuple) -> int:
        return ids.setdefault(key, len(ids))

    frm, to, tt, cap = [], [], [], []
    mid_nodes = []
    for x in range(nx):
        for y in range(ny):
            for dx, dy in ((1, 0), (0, 1)):
                if x + dx >= nx or y + dy >= ny:
                    continue
                main = (y % 5 == 0) if dx else (x % 5 == 0)
                c = 6000.0 if main else float(rng.integers(4, 11) * 300)
                length = float(rng.uniform(80, 160))
                chain = (
                    [node(("i", x, y))]
                    + [node(("m", x, y, dx, k)) for k in range(split - 1)]
                    + [node(("i", x + dx, y + dy))]
                )
                mid_nodes.extend(chain[1:-1])
                for u, v in zip(chain[:-1], chain[1:]):
                    # a narrow spot somewhere on a side street now and then
                    cc = c * (0.5 if (not main and rng.random() < 0.1) else 1.0)
                    for a, b in ((u, v), (v, u)):
                        frm.append(a)
                        to.append(b)
                        tt.append(length / WALK_M_PER_S)
                        cap.append(cc)
    n = len(ids)
    inter = [ids[("i", x, y)] for x in range(nx) for y in range(ny // 3, ny)]
    pool = np.asarray(mid_nodes if sources_midblock else inter)
    src = rng.choice(pool, size=n_sources, replace=False)
    w = rng.gamma(2.0, size=n_sources)
    ppl = np.floor(people * w / w.sum()).astype(np.int64)
    ppl[0] += people - ppl.sum()
    sinks = [ids[("i", int(x), 0)] for x in np.linspace(1, nx - 2, n_sinks).round().astype(int)]
    return EvacuationInstance(
        node_ids=[str(i) for i in range(n)],
        arc_from=frm,
        arc_to=to,
        arc_travel_time_s=tt,
        arc_capacity_per_h=cap,
        source_node=src,
        source_people=ppl,
        source_release_s=np.zeros(n_sources),
        source_spread_s=np.full(n_sources, 4 * 3600.0),
        sink_node=sinks,
        sink_capacity=[None] * n_sinks,
    )


def _child(conn, inst: EvacuationInstance, kwargs: dict) -> None:
    t0 = time.perf_counter()
    res = solve_evacuation(inst, **kwargs)
    dt = time.perf_counter() - t0
    conn.send(
        {
            "s": dt,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "clearance_h": res.clearance_s / 3600 if res.clearance_s else None,
            "step": res.time_step_s,
            "method": res.method,
            "arrived": res.arrived,
            "not_arrived": res.not_arrived,
            "bottlenecks": len(res.bottlenecks),
            "cond": (res.condensed_nodes, res.condensed_arcs),
        }
    )


def run_case(inst: EvacuationInstance, **kwargs) -> dict:
    ctx = mp.get_context("fork")
    a, b = ctx.Pipe()
    p = ctx.Process(target=_child, args=(b, inst, kwargs))
    p.start()
    out = a.recv()
    p.join()
    return out


def baseline_s(inst: EvacuationInstance) -> float:
    """Machine-speed yardstick: Dijkstra from every site over the original graph."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import dijkstra

    g = sp.csr_array((inst.arc_travel_time_s, (inst.arc_to, inst.arc_from)), shape=(inst.n_nodes, inst.n_nodes))
    t0 = time.perf_counter()
    dijkstra(g, indices=inst.sink_node)
    return time.perf_counter() - t0


def report(name: str, inst: EvacuationInstance, cases: dict[str, dict]) -> None:
    base = baseline_s(inst)
    net = condense(inst)
    print(
        f"\n== {name}: {inst.n_nodes:,} nodes / {inst.n_arcs:,} links -> condensed {net.n:,} / {net.m:,}; "
        f"{len(inst.source_node):,} sources, {len(inst.sink_node)} sites, {inst.total_people:,} people"
    )
    print(f"   baseline (Dijkstra from every site): {base * 1000:.1f} ms")
    q = cases.get("queue")
    for label, r in cases.items():
        ratio = f"{r['s'] / q['s']:.2f}x queue" if q and label != "queue" else ""
        ch = "n/a" if r["clearance_h"] is None else f"{r['clearance_h']:.2f} h"
        print(
            f"   {label:<14} {r['method']:<6} step {r['step']:>6g} s  time {r['s']:7.2f} s "
            f"({r['s'] / base:8.0f}x baseline) {ratio:>12}  peak RSS {r['rss_mb']:7.0f} MB  clearance {ch}  "
            f"arrived {r['arrived']:,}  not arrived {r['not_arrived']:,}  bottlenecks {r['bottlenecks']}"
        )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller grid (smoke run)")
    ap.add_argument("--skip-large", action="store_true")
    args, _ = ap.parse_known_args(argv)  # `python -m benchmarks evacuation` passes its own names
    size = 15 if args.quick else 45
    g = grid_instance(size, size, 3, 50 if not args.quick else 10, 10 if not args.quick else 3, 1_400_000, False)
    cases = {"queue": run_case(g, method="queue"), "exact": run_case(g, method="exact")}
    if not args.quick:
        cases["queue same step"] = run_case(g, method="queue", time_step_s=cases["exact"]["step"])
    report("grid", g, cases)
    if not args.skip_large and not args.quick:
        big = grid_instance(70, 70, 3, 10_000, 10, 1_400_000, True, seed=1)
        cases = {
            "queue": run_case(big, method="queue"),
            "exact 1800 s": run_case(big, method="exact", time_step_s=1800.0),
        }
        report("large", big, cases)


if __name__ == "__main__":
    main()
