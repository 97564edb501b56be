"""What the groups' ranges over the supply LP's equally good plans cost (`supply.group_ranges`, docs/supply.md).

Run: `python -m benchmarks.bench_group_ranges [--scenario=full] [--repeat=2]`. Plans the Rafah example's scenario
without the ranges and with them, alternately, in the same process after a warm-up plan (imports, caches), and
prints CPU and wall seconds of each plan, the range solves' own CPU seconds and count, the ratio with / without,
and each group's ranges. CPU is what to read on a shared machine (wall mostly measures the neighbours).
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path

from reliefplan import pipeline
from reliefplan.scenario.folder import load_scenario

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "rafah-2024"


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    opts = dict(a.removeprefix("--").split("=", 1) for a in argv if "=" in a)
    name, repeat = opts.get("scenario", "full"), int(opts.get("repeat", "2"))
    sc = load_scenario(EXAMPLE, name)
    pipeline.run(sc)  # warm-up
    cpu: dict[bool, list[float]] = {False: [], True: []}
    wall: dict[bool, list[float]] = {False: [], True: []}
    last = None
    for _ in range(repeat):
        for flag in (False, True):
            sc.supply.group_ranges = flag
            c0, w0 = _cpu(), time.perf_counter()
            run = pipeline.run(sc)
            cpu[flag].append(_cpu() - c0)
            wall[flag].append(time.perf_counter() - w0)
            last = run if flag else last
    assert last is not None and last.plan.groups is not None and last.plan.groups.ranges is not None
    rg = last.plan.groups.ranges
    base, with_ = min(cpu[False]), min(cpu[True])
    print(f"scenario {name}, load {os.getloadavg()[0]:.1f}")
    print(
        f"plan without ranges: CPU {[round(v, 2) for v in cpu[False]]} s, wall {[round(v, 2) for v in wall[False]]} s"
    )
    print(f"plan with ranges:    CPU {[round(v, 2) for v in cpu[True]]} s, wall {[round(v, 2) for v in wall[True]]} s")
    print(f"range solves: {rg.solves}, {rg.cpu_s} s CPU; with / without (best CPU): {with_ / base:.2f}x")
    for r in rg.rows:
        print(
            f"  {r.group:17s} {r.commodity:12s} {r.unit:18s} {r.reported:>10,.3f}  [{r.least}, {r.most}]"
            f"  {r.status_least}/{r.status_most}"
        )


if __name__ == "__main__":
    main()
