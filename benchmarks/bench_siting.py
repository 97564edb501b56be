"""Benchmark of reliefplan.solvers.siting against the way an analyst would do it today (PuLP + CBC).

Run: .venv/bin/python -m benchmarks.bench_siting [--quick] [--full-baseline] [--time-limit S]

Cases (each in its own process, so peak memory is per case):
- OR-Library cap41, cap71, cap131 (shipped in tests/data/siting; published optima known);
- transportation 10,000 zones x 200 sites, no opening costs (OR-Tools min-cost flow);
- synthetic CFLP 2,000 x 200 with opening costs, and 1,000 x 100 (the size of Beasley's capa/b/c,
  which are too large to ship here);
each against a PuLP + CBC model in the style of PySAL spopt (x_ij <= y_j, capacity rows, same objective)
given the same time limit. The PuLP baseline of the 10,000 x 200 transportation case runs on the first
2,000 zones unless --full-baseline (2 M PuLP variables need minutes and several GB).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import queue
import resource
import signal
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "siting"
ORLIB_OPTIMA = {"cap41": 1040444.375, "cap71": 932615.750, "cap131": 793439.562}


def synthetic(n_c: int, n_f: int, seed: int = 0, ratio: float = 3.0, fixed: bool = True) -> Any:
    """Random CFLP in the style of Cornuejols, Sridharan & Thizy (1991), in people and seconds.

    Zones and sites uniform on a 10 km square; demand 50-1,499 people; total capacity `ratio` x
    total demand; cost = walking time (1.2 m/s straight line) x people; opening cost grows with
    sqrt(capacity) (people-seconds, i.e. comparable to moving people).
    """
    from reliefplan.solvers.siting import SitingInstance

    rng = np.random.default_rng(seed)
    pc = rng.uniform(0, 10_000, (n_c, 2))
    pf = rng.uniform(0, 10_000, (n_f, 2))
    demand = rng.integers(50, 1500, n_c).astype(float)
    cap = rng.uniform(10, 160, n_f)
    cap = np.floor(cap * ratio * demand.sum() / cap.sum())
    walk_s = np.hypot(pc[:, None, 0] - pf[None, :, 0], pc[:, None, 1] - pf[None, :, 1]) / 1.2
    fc = (rng.uniform(0, 90, n_f) + rng.uniform(100, 110, n_f) * np.sqrt(cap)) * 1000 if fixed else np.zeros(n_f)
    return SitingInstance(
        [f"s{j}" for j in range(n_f)], cap, fc, [f"z{i}" for i in range(n_c)], demand, walk_s * demand[:, None]
    )


def make_instance(name: str) -> Any:
    from reliefplan.solvers.orlib import read_orlib_cap

    if name in ORLIB_OPTIMA:
        return read_orlib_cap(DATA / f"{name}.txt")
    kind, size = name.split("_")
    n_c, n_f = (int(v) for v in size.split("x"))
    if kind == "transport":
        return synthetic(n_c, n_f, seed=1, ratio=1.2, fixed=False)
    return synthetic(n_c, n_f, seed=0, ratio=3.0)


def _load() -> str:
    """1-minute load average of the (shared) machine, printed next to every figure."""
    return f"load {os.getloadavg()[0]:.2f}"


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_ours(name: str, time_limit_s: float, repeats: int = 1) -> dict[str, Any]:
    """solve_siting on a fresh copy of the instance `repeats` times; time_s is the median wall clock."""
    import highspy  # noqa: F401  (imports are not part of the solve time)
    from ortools.graph.python import min_cost_flow  # noqa: F401

    from reliefplan.solvers.siting import solve_siting

    inst = make_instance(name)
    base = _peak_rss_mb()
    walls, cpus = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        r = solve_siting(inst, time_limit_s=time_limit_s)
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return {
        "status": r.status,
        "objective": r.objective,
        "bound": r.bound,
        "gap": r.gap,
        "time_s": statistics.median(walls),
        "times_s": walls,
        "cpu_s": statistics.median(cpus),
        "solver": r.solver,
        "open": int(r.open_mask.sum()),
        "peak_rss_mb": _peak_rss_mb(),
        "rss_before_mb": base,
        "stats": r.stats,
    }


def run_pulp(name: str, time_limit_s: float, max_clients: int | None = None, repeats: int = 1) -> dict[str, Any]:
    """spopt-style PuLP model (loops over lpSum), solved by the CBC bundled with PuLP; model building
    and solving are timed together, `repeats` times (time_s is the median)."""
    import pulp  # noqa: F401  (imports are not part of the solve time)

    inst = make_instance(name)
    runs = [_pulp_once(inst, time_limit_s, max_clients) for _ in range(repeats)]
    out = runs[-1]
    out["times_s"] = [r["time_s"] for r in runs]
    out["time_s"] = statistics.median(out["times_s"])
    out["build_s"] = statistics.median([r["build_s"] for r in runs])
    out["cpu_s"] = statistics.median([r["cpu_s"] for r in runs])
    return out


def _pulp_once(inst: Any, time_limit_s: float, max_clients: int | None) -> dict[str, Any]:
    import pulp

    cost, demand, cap, fixed = inst.cost, inst.demand, inst.capacity, inst.fixed_cost
    if max_clients is not None:
        cost, demand = cost[:max_clients], demand[:max_clients]
    n_c, n_f = cost.shape
    opening = bool(np.any(fixed > 0))
    t, c0 = time.perf_counter(), time.process_time()
    ch0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    prob = pulp.LpProblem("cflp", pulp.LpMinimize)
    x = [[pulp.LpVariable(f"x_{i}_{j}", 0, 1) for j in range(n_f)] for i in range(n_c)]
    y = [pulp.LpVariable(f"y_{j}", cat="Binary") for j in range(n_f)] if opening else None
    obj = pulp.lpSum(cost[i, j] * x[i][j] for i in range(n_c) for j in range(n_f))
    if y is not None:
        obj += pulp.lpSum(fixed[j] * y[j] for j in range(n_f))
    prob += obj
    for i in range(n_c):
        prob += pulp.lpSum(x[i][j] for j in range(n_f)) == 1
    for j in range(n_f):
        load = pulp.lpSum(demand[i] * x[i][j] for i in range(n_c))
        prob += (load <= cap[j] * y[j]) if y is not None else (load <= cap[j])
    if y is not None:
        for i in range(n_c):
            for j in range(n_f):
                prob += x[i][j] <= y[j]
    build = time.perf_counter() - t
    status = prob.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s))
    wall = time.perf_counter() - t
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CBC runs as a child process
    cpu = time.process_time() - c0 + (ch.ru_utime - ch0.ru_utime) + (ch.ru_stime - ch0.ru_stime)
    return {
        "status": pulp.LpStatus[status],
        "proven": prob.sol_status == pulp.LpSolutionOptimal,
        "objective": pulp.value(prob.objective),
        "time_s": wall,
        "cpu_s": cpu,
        "build_s": build,
        "clients": n_c,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _runner(q: Any, fn: Any, args: tuple[Any, ...]) -> None:
    os.setpgrp()  # own process group, so a stuck CBC child can be stopped with it
    q.put(fn(*args))


def _in_child(fn: Any, *args: Any, cap_s: float | None = None) -> dict[str, Any] | None:
    """Run fn(*args) in a fresh process; None if it has not answered within cap_s (then it is killed)."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_runner, args=(q, fn, args))
    p.start()
    try:
        out = q.get(timeout=cap_s)
    except queue.Empty:
        os.killpg(p.pid, signal.SIGKILL)
        p.join()
        return None
    p.join()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="classic instances and the transportation case only")
    ap.add_argument("--full-baseline", action="store_true", help="PuLP on the full 10,000 x 200 transportation")
    ap.add_argument("--time-limit", type=float, default=60.0, help="time limit per solve, both solvers (s)")
    ap.add_argument("--no-baseline", action="store_true", help="skip PuLP + CBC")
    ap.add_argument("--repeats", type=int, default=7, help="timed solves per classic instance (median reported)")
    ap.add_argument(
        "--baseline-cap",
        type=float,
        default=300.0,
        help="wall-clock cap for a PuLP + CBC run incl. model building (CBC can overrun its limit)",
    )
    args = ap.parse_args()
    tl = args.time_limit

    print("reliefplan siting benchmark (each case in a fresh process; times are wall clock)\n")
    print("classic OR-Library instances (target: proven optimal in < 1 s each; >= 10x PuLP + CBC)")
    print(f"  (median of {args.repeats} solves in one process each, model building included for both)")
    for name, opt in ORLIB_OPTIMA.items():
        ours = _in_child(run_ours, name, tl, args.repeats)
        line = (
            f"  {name:7s} ours {ours['status']:8s} obj {ours['objective']:14.3f} (published {opt:.3f}, "
            f"diff {ours['objective'] - opt:+.3f}) gap {ours['gap']:.1e} {1000 * ours['time_s']:.1f} ms "
            f"({ours['solver']}, {_load()})"
        )
        if not args.no_baseline:
            base = _in_child(run_pulp, name, tl, None, args.repeats, cap_s=args.baseline_cap)
            assert base is not None
            line += (
                f" | PuLP+CBC {base['status']} obj {base['objective']:.3f} {1000 * base['time_s']:.1f} ms"
                f" (build {1000 * base['build_s']:.1f} ms) -> ratio {base['time_s'] / ours['time_s']:.1f}x ({_load()})"
            )
        print(line)

    print("\ntransportation 10,000 x 200, no opening costs (target < 2 s)")
    ours = _in_child(run_ours, "transport_10000x200", tl)
    print(
        f"  ours {ours['status']} obj {ours['objective']:.6e} gap {ours['gap']:.1e} {ours['time_s']:.2f} s "
        f"(cpu {ours['cpu_s']:.2f} s) peak RSS {ours['peak_rss_mb']:.0f} MB ({ours['solver']}, {_load()})"
    )
    if not args.no_baseline:
        m = None if args.full_baseline else 2000
        base = _in_child(run_pulp, "transport_10000x200", 600.0, m, cap_s=None)
        if m is not None:
            from reliefplan.solvers.siting import SitingInstance, solve_siting

            full = make_instance("transport_10000x200")
            sub = SitingInstance(
                full.facility_ids, full.capacity, full.fixed_cost, full.client_ids[:m], full.demand[:m], full.cost[:m]
            )
            t = time.perf_counter()
            r = solve_siting(sub)
            ours_sub = time.perf_counter() - t
            print(
                f"  PuLP+CBC on the first {m} zones: {base['status']} obj {base['objective']:.6e} "
                f"{base['time_s']:.1f} s (build {base['build_s']:.1f} s, peak RSS {base['peak_rss_mb']:.0f} MB); "
                f"ours on the same {m} zones: obj {r.objective:.6e} {ours_sub:.2f} s -> ratio "
                f"{base['time_s'] / ours_sub:.0f}x ({_load()})"
            )
        else:
            print(
                f"  PuLP+CBC: {base['status']} obj {base['objective']:.6e} {base['time_s']:.1f} s "
                f"-> ratio {base['time_s'] / ours['time_s']:.0f}x ({_load()})"
            )
    if args.quick:
        return
    for name, target in (
        ("cflp_1000x100", "proven optimal or <= 0.1 % gap in 60 s"),
        ("cflp_2000x200", "time, memory, gap"),
    ):
        print(f"\nsynthetic CFLP {name.split('_')[1]} with opening costs ({target})")
        ours = _in_child(run_ours, name, tl)
        print(
            f"  ours {ours['status']} obj {ours['objective']:.6e} bound {ours['bound']:.6e} "
            f"gap {100 * ours['gap']:.3f} % {ours['time_s']:.1f} s (cpu {ours['cpu_s']:.1f} s), {ours['open']} open, "
            f"peak RSS {ours['peak_rss_mb']:.0f} MB ({ours['solver']}, {_load()})"
        )
        st = ours["stats"]
        if "bnb" in st:
            b = st["bnb"]
            print(
                f"    Lagrangian branch-and-bound: {b['status']}, {b['nodes']} nodes in {b['time_s']:.1f} s, "
                f"bound {b['bound']:.6e}, gap {100 * b['gap']:.3f} %"
            )
        for run in st.get("mip_runs", []):
            print(
                f"    Lagrangian bound {st.get('lagrangian_bound', float('nan')):.6e}; HiGHS on {run['arcs']} arcs "
                f"({run.get('far_columns', 0)} far columns, {run.get('link_rows', 0)} x<=y rows): {run['status']}, "
                f"bound {run['bound']:.6e}, {run.get('nodes', 0)} nodes"
            )
        if not args.no_baseline:
            base = _in_child(run_pulp, name, tl, cap_s=args.baseline_cap)
            if base is None:
                print(
                    f"  PuLP+CBC (timeLimit {tl:.0f} s): no answer after {args.baseline_cap:.0f} s wall clock "
                    f"(model building + CBC, which overran its limit); stopped -> ratio > "
                    f"{args.baseline_cap / ours['time_s']:.0f}x with no plan at all from the baseline ({_load()})"
                )
                continue
            rel = (base["objective"] - ours["objective"]) / ours["objective"] if base["objective"] else float("nan")
            print(
                f"  PuLP+CBC (same {tl:.0f} s limit): {base['status']} proven={base['proven']} "
                f"obj {base['objective'] if base['objective'] is not None else float('nan'):.6e} "
                f"({100 * rel:+.2f} % vs ours) {base['time_s']:.1f} s (cpu {base['cpu_s']:.1f} s) incl. build "
                f"{base['build_s']:.1f} s, "
                f"peak RSS {base['peak_rss_mb']:.0f} MB ({_load()})"
            )


if __name__ == "__main__":
    main()
