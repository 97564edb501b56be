"""Queue model step loop (issue 24): the current `_solve_queue` against the loop before the change (kept in
tests/queue_reference.py), on the same streams, CPU time in the same process, results compared bit for bit.

Run: ``nice .venv/bin/python -m benchmarks.bench_queue_steps [--grid 70] [--sources 10000] [--step 60]
[--stagger-h 48]``.

The instance is bench_evacuation's street grid (blocks split in 3, mid-block sources, 10 sites on the southern
edge, 1.4 M people leaving over 4 h). The streams and routes are built once (the solver's own path); only the
step loop is timed. CPU time (time.process_time) is the steadier figure on a shared machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import reliefplan.solvers.evacuation.queue as queue_mod
from benchmarks.bench_evacuation import grid_instance
from reliefplan.solvers.evacuation import solve_evacuation

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from queue_reference import _solve_queue as reference_solve_queue  # noqa: E402

FIELDS = ("arrivals", "flow_arc", "flow_t", "flow_val", "jam_first", "jam_last", "jam_steps", "max_queue")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--grid", type=int, default=70, help="grid side (intersections)")
    ap.add_argument("--sources", type=int, default=10_000)
    ap.add_argument("--step", type=float, default=60.0, help="time step, s")
    ap.add_argument(
        "--stagger-h",
        type=float,
        default=0.0,
        help="sources start at random times over this many hours, each leaving over 30 min (national-like: "
        "many routes, few in use at once)",
    )
    args, _ = ap.parse_known_args(argv)
    inst = grid_instance(args.grid, args.grid, 3, args.sources, 10, 1_400_000, True, seed=1)
    if args.stagger_h > 0:
        rng = np.random.default_rng(2)
        inst.source_release_s = rng.uniform(0, args.stagger_h * 3600, len(inst.source_node))
        inst.source_spread_s = np.full(len(inst.source_node), 1800.0)
    calls: list[tuple] = []
    current = queue_mod._solve_queue

    def capture(*a, **k):
        calls.append((a, k))
        return current(*a, **k)

    queue_mod._solve_queue = capture
    try:
        solve_evacuation(inst, method="queue", time_step_s=args.step)
    finally:
        queue_mod._solve_queue = current
    a, k = calls[0]
    t0 = time.process_time()
    old = reference_solve_queue(*a, **k)
    t_old = time.process_time() - t0
    t0 = time.process_time()
    new = current(*a, **k)
    t_new = time.process_time() - t0
    same = new.T == old.T and all(np.array_equal(getattr(new, f), getattr(old, f)) for f in FIELDS)
    streams = a[2]
    print(
        f"queue steps: grid {args.grid}x{args.grid}, {inst.n_arcs:,} links, {len(streams):,} streams, "
        f"{new.T:,} steps of {args.step:g} s\n"
        f"   before {t_old:8.2f} s CPU   after {t_new:8.2f} s CPU   ratio {t_old / max(t_new, 1e-9):6.1f}x   "
        f"identical: {same}"
    )


if __name__ == "__main__":
    main()
