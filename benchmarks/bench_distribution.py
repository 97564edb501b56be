"""Few large distribution points or many small ones, at Rafah scale (synthetic), with the siting engine.

Run: .venv/bin/python -m benchmarks.bench_distribution [--time-limit S]

1.2 million people spread evenly over 8 km x 8 km (25 x 25 zones of 320 m), 400 candidate points on a
400 m grid, walking at 0.833 m/s (the walk profile) x 1.3 for the street network; a fortnightly food
parcel per household of 5.6 collected at counters serving 30 households an hour for 8 hours (figures and
their status in data/delivery.yaml), points loaded to at most 85 %. Options: 4 points of 19 counters
(~300,000 people each at 85 %), 60 points of 2 counters and 200 points of 1 counter. Baseline in the same process:
the time of the 4-point solve.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def main() -> None:
    from reliefplan.scenario.delivery_data import figure
    from reliefplan.solvers.distribution import PointService, compare_layouts

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--time-limit", type=float, default=60.0, help="siting time limit per option (s)")
    args, _ = ap.parse_known_args()
    g = (np.arange(25) + 0.5) * 320.0
    zx, zy = np.meshgrid(g, g)
    c = (np.arange(20) + 0.5) * 400.0
    cx, cy = np.meshgrid(c, c)
    walk_s = (
        1.3 * np.hypot(zx.ravel()[:, None] - cx.ravel()[None, :], zy.ravel()[:, None] - cy.ravel()[None, :]) / 0.833
    )
    people = np.full(zx.size, 1_200_000 / zx.size)
    rate = figure("distribution_points.collections_per_server_h").value
    hours = figure("distribution_points.hours_per_day").value
    hh = figure("distribution_points.people_per_collection").value
    days = figure("distribution_points.food_parcel_interval_days").value
    util = figure("distribution_points.max_utilisation").value
    options = [
        ("4 large", 4, PointService(19, rate, hours, hh, days)),
        ("60 medium", 60, PointService(2, rate, hours, hh, days)),
        ("200 small", 200, PointService(1, rate, hours, hh, days)),
    ]
    print("distribution points at Rafah scale (synthetic; 1.2 M people, 625 zones, 400 candidates)\n")
    base = None
    for opt in options:
        t = time.perf_counter()
        (row,) = compare_layouts(people, walk_s, [opt], max_utilisation=util, time_limit_s=args.time_limit)
        wall = time.perf_counter() - t
        base = base or wall
        print(
            f"  {row.label:9s} capacity {row.people_capacity_per_point:9,.0f} people/point  placed "
            f"{row.people_placed:9,.0f}  unreached {row.people_unreached:9,.0f}  walk mean {row.walk_mean_min:5.1f} "
            f"P90 {row.walk_p90_min:5.1f} max {row.walk_max_min:5.1f} min  queue mean {row.queue_mean_min:5.1f} "
            f"worst {row.queue_worst_min:5.1f} min  round trip {row.round_trip_mean_min:5.1f} min  "
            f"siting {row.siting_status} gap {100 * row.siting_gap:.2f} % {wall:.1f} s ({wall / base:.1f}x the 4-point solve, "
            f"load {os.getloadavg()[0]:.2f})"
        )


if __name__ == "__main__":
    main()
