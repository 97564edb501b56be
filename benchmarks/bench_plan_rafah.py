"""A whole plan of the bundled example, everyone in it: `full` over 60 days, camp layouts on.

Run: `python -m benchmarks.bench_plan_rafah [--scenario full] [--days 60] [--repeats 2]`. Each run loads the scenario
and plans it in a fresh cache (as `reliefplan plan` does, without writing files). Prints wall and CPU time, the
stages, the supply LP's own times, and the ratio to the same plan over 30 days (the example's horizon) run first in
this process; then the plan in fresh processes, as `reliefplan plan` runs it, with the imports and each stage's wall
and CPU time (CPU includes the camp layouts' background thread while it runs). Every line carries the load average of
the (shared) machine. Target (issue 16): < 10 s wall on 2 cores for 60 days.

The first plan after a fresh clone also compiles the numba kernels (evacuation steps, queue, the layouts' cover;
about 3 s CPU, once): they are cached on disk next to their modules, and the in-process runs above warm that cache.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.bench_ensemble import _stepper
from reliefplan.pipeline import run
from reliefplan.scenario.folder import load_scenario

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "rafah-2024"


def plan_once(name: str, days: int) -> tuple[float, float, dict[str, float], dict[str, float]]:
    """(wall s, CPU s, stage seconds, supply LP seconds) of load + plan."""
    stages: dict[str, float] = {}
    step = _stepper(stages)
    t0, c0 = time.perf_counter(), time.process_time()
    sc = load_scenario(EXAMPLE, name)
    sc = sc.model_copy(update={"horizon_days": days})
    done = run(sc, step)
    step("end")
    lp = done.deliveries.result.timings_s if done.deliveries is not None else {}
    return time.perf_counter() - t0, time.process_time() - c0, stages, lp


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="bench_plan_rafah")
    ap.add_argument("--scenario", default="full")
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=2)
    a = ap.parse_args(argv or [])
    load = lambda: f"load {os.getloadavg()[0]:.1f}"  # noqa: E731
    fmt = lambda d: ", ".join(f"{k} {v:.2f}" for k, v in d.items() if v >= 0.005)  # noqa: E731
    plan_once(a.scenario, 30)  # imports, HiGHS and OR-Tools warm-up
    base = [plan_once(a.scenario, 30) for _ in range(a.repeats)]
    wall30 = statistics.median(b[0] for b in base)
    print(
        f"baseline {a.scenario} over 30 days: {wall30:.2f} s wall, {statistics.median(b[1] for b in base):.2f} s CPU; "
        f"{load()}",
        flush=True,
    )
    runs = [plan_once(a.scenario, a.days) for _ in range(a.repeats)]
    wall, cpu = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
    stages, lp = runs[-1][2], runs[-1][3]
    print(
        f"{a.scenario} over {a.days} days, in this process: {wall:.2f} s wall, {cpu:.2f} s CPU = "
        f"{wall / wall30:.2f}x the 30-day plan [{fmt(stages)}] [supply LP: {fmt(lp)}]; {load()}",
        flush=True,
    )
    # a fresh process, as `reliefplan plan` runs (imports and the camp-layout fits included; files not written)
    code = (
        "import time; t, c = time.perf_counter(), time.process_time(); "
        "from benchmarks.bench_plan_rafah import plan_stages; "
        f"plan_stages({a.scenario!r}, {a.days}, t, c)"
    )
    cold = []
    for _ in range(a.repeats):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=str(EXAMPLE.parents[1])
        )
        cold.append(json.loads(out.stdout.splitlines()[-1]))
        print(f"  fresh process: {fmt_pair(cold[-1])}; {load()}", flush=True)
    cw, cc = statistics.median(c["total"][0] for c in cold), statistics.median(c["total"][1] for c in cold)
    print(
        f"{a.scenario} over {a.days} days, fresh process (imports included): {cw:.2f} s wall, {cc:.2f} s CPU "
        f"= {cw / wall30:.2f}x the 30-day plan in this process; target < 10 s wall -> "
        f"{'OK' if cw < 10 else 'MISSED'}; {load()}",
        flush=True,
    )


def fmt_pair(d: dict[str, list[float]]) -> str:
    """'stage wall/CPU' for the stages of at least 5 ms."""
    return ", ".join(f"{k} {w:.2f}/{c:.2f}" for k, (w, c) in d.items() if w >= 0.005)


def plan_stages(name: str, days: int, t0: float, c0: float) -> None:
    """Print (JSON) the wall and CPU seconds since (t0, c0) of the imports, each stage and the whole, in a fresh
    process."""
    stages: dict[str, float] = {}
    cpu: dict[str, float] = {}
    out = {"imports": [time.perf_counter() - t0, time.process_time() - c0]}
    step = _stepper(stages, cpu)
    step("load")
    sc = load_scenario(EXAMPLE, name).model_copy(update={"horizon_days": days})
    run(sc, step)
    step("end")
    out |= {k: [stages[k], cpu[k]] for k in stages}
    out["total"] = [time.perf_counter() - t0, time.process_time() - c0]
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
