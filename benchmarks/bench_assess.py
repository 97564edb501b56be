"""Assistance-package matrix: the example's packages x scenarios, against one full-scale plan and the pairs run apart.

Run: `python -m benchmarks.bench_assess [--scenarios targeted,full] [--packages A,B|all] [--skip-apart]`. Figures
are ratios against baselines run in the same process:

* matrix / one full-scale plan: `assess` over every (package, scenario) pair (`make demo`'s four packages by
  default), minimal additions included, against load_scenario + plan of `full` with nothing cached. Target
  (issue 11): < 3x.
* pairs run apart / matrix: the same pairs planned one by one (apply the package, plan from scratch), without
  minimal additions: the saving from sharing travel times, layout fits and sheltering.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from reliefplan.analysis.assess import assess
from reliefplan.analysis.packages import apply_package
from reliefplan.pipeline import run
from reliefplan.scenario.folder import load_scenario
from reliefplan.scenario.packages import resolve

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "rafah-2024"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenarios", default="targeted,full")
    # the benchmark's case (issue 11) is `make demo`'s four packages; the example has gained delivery-chain ones since
    ap.add_argument("--packages", default="none,observed-apr-2024,observed-jun-2024,tent-cities-2024", help="or 'all'")
    ap.add_argument("--skip-apart", action="store_true", help="do not plan the pairs one by one")
    args = ap.parse_args(argv if argv is not None else [])
    names = args.scenarios.split(",")

    t = time.perf_counter()
    run(load_scenario(EXAMPLE, "full"))
    one_full = time.perf_counter() - t
    print(f"one full-scale plan, cold: {one_full:.1f} s (max RSS so far {_rss_mb():.0f} MB)", flush=True)

    t = time.perf_counter()
    scs = {n: load_scenario(EXAMPLE, n) for n in names}
    declared = list(next(iter(scs.values())).packages)
    packages = declared if args.packages == "all" else args.packages.split(",")
    result = assess(scs, packages)
    matrix = time.perf_counter() - t
    print(
        f"matrix {len(packages)} packages x {len(names)} scenarios: {matrix:.1f} s "
        f"({result.timings_s}); {matrix / one_full:.2f}x one full-scale plan (target < 3x); "
        f"max RSS {_rss_mb():.0f} MB",
        flush=True,
    )
    for p in result.pairs:
        print(
            f"  {p.package:>18} x {p.scenario:<9} {'pass' if p.passed else 'fail'}  {p.seconds:5.1f} s  "
            f"{'reused' if p.shelter_reused else 'planned'}  " + "; ".join(a.text for a in p.additions)
        )

    if args.skip_apart:
        return
    t = time.perf_counter()
    for n in names:
        for pkg in packages:
            sc = load_scenario(EXAMPLE, n)
            run(apply_package(sc, resolve(sc.packages, pkg), pkg))
    apart = time.perf_counter() - t
    print(
        f"the {len(packages) * len(names)} pairs planned apart (no minimal additions): {apart:.1f} s; "
        f"the matrix with additions takes {matrix / apart:.2f}x of that ({apart / matrix:.2f}x faster)"
    )


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
