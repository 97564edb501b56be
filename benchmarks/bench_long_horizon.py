"""The extended period (issue 21): the full-scale Rafah plan over 180 days, all stages (seasons in the needs, the
health layer), against the same plan over 60 days run first in this process.

Run: `python -m benchmarks long_horizon [--scenario full-180d] [--days 180] [--base-days 60] [--repeats 1]`.
Prints wall and CPU time, the stages and the supply LP's own times for each, the ratio 180 / 60 days, and where the
time goes; every line carries the load average of the (shared) machine. Target (issue 21): < 30 s wall on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

from benchmarks.bench_plan_rafah import plan_once


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="bench_long_horizon")
    ap.add_argument("--scenario", default="full-180d")
    ap.add_argument("--days", type=int, default=180)
    ap.add_argument("--base-days", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=1)
    a = ap.parse_args(argv or [])
    load = lambda: f"load {os.getloadavg()[0]:.1f}"  # noqa: E731
    fmt = lambda d: ", ".join(f"{k} {v:.2f}" for k, v in sorted(d.items(), key=lambda kv: -kv[1]) if v >= 0.05)  # noqa: E731
    plan_once(a.scenario, 10)  # imports, HiGHS and OR-Tools warm-up
    out = {}
    for days in (a.base_days, a.days):
        runs = [plan_once(a.scenario, days) for _ in range(a.repeats)]
        wall, cpu = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
        out[days] = wall
        print(
            f"{a.scenario} over {days} days: {wall:.2f} s wall, {cpu:.2f} s CPU [stages: {fmt(runs[-1][2])}] "
            f"[supply LP: {fmt(runs[-1][3])}]; {load()}",
            flush=True,
        )
    wall = out[a.days]
    print(
        f"ratio {a.days} / {a.base_days} days: {wall / out[a.base_days]:.2f}x (days x{a.days / a.base_days:.1f}); "
        f"target < 30 s wall -> {'OK' if wall < 30 else 'MISSED'}; {load()}",
        flush=True,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
