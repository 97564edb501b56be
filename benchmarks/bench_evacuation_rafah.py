"""Evacuation timing on the Rafah example (full-scale, ~0.85-0.93 M people with a site): time and peak memory.

Run: python -m benchmarks evacuation_rafah. The baseline in the same process is the queue model on the same
instance, so the figure is a ratio, not a wall-clock promise. Each time is the median of REPEATS runs, printed
with the machine's load average (the machine is shared).
"""

from __future__ import annotations

import os
import resource
import statistics
import time
from pathlib import Path

import numpy as np

from reliefplan.scenario.folder import load_scenario
from reliefplan.solvers.evacuation import solve_evacuation
from reliefplan.stages.allocation import allocate
from reliefplan.stages.capacity import site_capacity
from reliefplan.stages.displacement import displace
from reliefplan.stages.movement import evacuation_instance
from reliefplan.stages.travel import walking_times

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "rafah-2024"
REPEATS = 3


def main() -> None:
    sc = load_scenario(EXAMPLE, "full")
    d = displace(sc.zones, sc.footprints, sc.crs)
    cap = site_capacity(sc.sites, sc.footprints, sc.standards)
    times = walking_times(sc, d.displaced_part_m, cap.point_xy)
    alloc = allocate(sc, d.displaced, cap.capacity, times.time_s)
    site_people = np.bincount(alloc.site, weights=alloc.people, minlength=len(sc.sites)).astype(np.int64)
    zone_people = np.bincount(alloc.zone, weights=alloc.people, minlength=len(sc.zones)).astype(np.int64)
    print(
        f"network: {times.network['nodes']} nodes, {times.network['links']} links; "
        f"{int(site_people.sum()):,} people to move"
    )
    for departure in ("all_at_once", "spread"):
        sc.evacuation.departure = departure
        inst, _ = evacuation_instance(
            sc,
            times.graph,
            times.samples_xy,
            times.samples_zone,
            d.days,
            d.displaced_by_day,
            zone_people,
            cap.point_xy,
            site_people,
            [s.id for s in sc.sites],
        )
        out = {}
        for method in ("exact", "queue"):
            secs = []
            for _ in range(REPEATS):
                t0 = time.perf_counter()
                r = solve_evacuation(inst, method=method)
                secs.append(time.perf_counter() - t0)
            out[method] = (statistics.median(secs), r)
        (te, re_), (tq, rq) = out["exact"], out["queue"]
        print(
            f"{departure:12s} exact {te:6.2f} s (step {re_.time_step_s:g} s, clearance {re_.clearance_s / 3600:.1f} h)"
            f" | queue {tq:6.2f} s (clearance {rq.clearance_s / 3600:.1f} h) | exact/queue time {te / tq:.2f}x"
            f" | {re_.status}, load {os.getloadavg()[0]:.1f}"
        )
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
