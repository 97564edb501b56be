"""Benchmark: camp layout generation (reliefplan.solvers.layout).

Cases
  1. a synthetic irregular 1.5 km² site for 30,000 people (brief for issue 7);
  2. the example's 93 humanitarian-zone sites (~61 km², examples/rafah-2024/sites.geojson) at full-scale
     population (1.4 M people, shared out by site area), laid out site by site (issue 7 target: < 60 s,
     < 4 GB on 2 cores).
Baseline, in the same process: the irreducible geometric work of the same size, i.e. testing every candidate
plot box of one orientation against the polygon with shapely.contains (no search, no services, no output).
The ratio layout / baseline says how much the orientation search, service placement and output cost on top.

Run: nice .venv/bin/python -m benchmarks.bench_layout [--no-example]
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import time
from pathlib import Path

import numpy as np
import shapely

from reliefplan.geo import WGS84, local_crs, project
from reliefplan.solvers.layout import LayoutParams, generate_layout, plot_side_m

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "rafah-2024" / "sites.geojson"


def synthetic_site(area_m2: float, seed: int = 3) -> shapely.Polygon:
    """A lumpy star-shaped polygon of the given area."""
    rng = np.random.default_rng(seed)
    ang = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    r = 1.0 + 0.18 * np.sin(2 * ang + 0.4) + 0.06 * rng.standard_normal(40)
    poly = shapely.Polygon(np.c_[r * np.cos(ang), r * np.sin(ang)])
    k = math.sqrt(area_m2 / poly.area)
    return shapely.affinity.scale(poly, k, k, origin=(0, 0))


def baseline_s(site: shapely.Geometry, plot_m: float) -> tuple[float, int]:
    """Time to test every candidate plot box on a plain grid over the bounds with shapely.contains."""
    t = time.perf_counter()
    x0, y0, x1, y1 = site.bounds
    xs = np.arange(x0, x1, plot_m)
    ys = np.arange(y0, y1, plot_m)
    X, Y = np.meshgrid(xs, ys)
    boxes = shapely.box(X.ravel(), Y.ravel(), X.ravel() + plot_m, Y.ravel() + plot_m)
    shapely.prepare(site)
    n = int(shapely.contains(site, boxes).sum())
    return time.perf_counter() - t, n


def run_synthetic(p: LayoutParams) -> None:
    site = synthetic_site(1.5e6)
    base, n_base = baseline_s(site, plot_side_m(p))
    t = time.perf_counter()
    lay = generate_layout(site, 30_000, p, site_id="synthetic")
    dt = time.perf_counter() - t
    s = lay.summary
    print(
        f"synthetic 1.5 km² site, 30,000 people: {dt:.2f} s ({dt / base:.1f}x baseline {base:.2f} s "
        f"for {n_base:,} boxes)"
    )
    print(
        f"  plots {s.plots:,} / slots {s.slots:,}; people held {s.people:,} (capacity {s.capacity:,}, "
        f"shortfall {s.shortfall:,}); taps {s.taps} at {s.water_points} points; latrine stalls {s.latrines} "
        f"in {s.latrine_blocks} blocks; max plot→water {s.max_plot_to_water_m} m, →latrine "
        f"{s.max_plot_to_latrine_m} m; gross {s.gross_m2_per_person} m²/person; orientation {s.orientation_deg}°"
    )


def run_example(p: LayoutParams, people_total: int) -> None:
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    feats = data["features"]
    geoms = [shapely.geometry.shape(f["geometry"]) for f in feats]
    crs = local_crs(shapely.union_all(geoms).bounds)
    sites = [project(g, WGS84, crs) for g in geoms]
    areas = np.array([g.area for g in sites])
    people = np.floor(people_total * areas / areas.sum()).astype(int)
    plot_m = plot_side_m(p)
    base = sum(baseline_s(g, plot_m)[0] for g in sites)
    t = time.perf_counter()
    held = plots = cap = stalls = taps = 0
    worst_w = worst_l = 0.0
    for f, g, n in zip(feats, sites, people, strict=True):
        s = generate_layout(g, int(n), p, site_id=str(f["properties"].get("id"))).summary
        held += s.people
        plots += s.plots
        cap += s.capacity
        stalls += s.latrines
        taps += s.taps
        worst_w = max(worst_w, s.max_plot_to_water_m or 0.0)
        worst_l = max(worst_l, s.max_plot_to_latrine_m or 0.0)
    dt = time.perf_counter() - t
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"example: {len(sites)} sites, {areas.sum() / 1e6:.1f} km², {people_total:,} people: {dt:.2f} s "
        f"({dt / base:.1f}x baseline {base:.2f} s); peak RSS {rss_mb:,.0f} MB"
    )
    print(
        f"  people held {held:,} in {plots:,} plots; capacity {cap:,}; shortfall {people_total - held:,}; "
        f"taps {taps:,}; latrine stalls {stalls:,}; worst max plot→water {worst_w:.0f} m, →latrine {worst_l:.0f} m"
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="bench_layout")
    ap.add_argument("--no-example", action="store_true", help="skip the 61 km² example run")
    ap.add_argument("--people", type=int, default=1_400_000, help="people over the example sites")
    args = ap.parse_args(argv or [])
    p = LayoutParams()
    run_synthetic(p)
    if not args.no_example and EXAMPLE.exists():
        run_example(p, args.people)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
