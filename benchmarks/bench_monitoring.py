"""Monitoring 35 sites and 2,000 blocks: target < 10 s for the whole plan (load, checks, siting of the people a
hazard displaces).

Run: python -m benchmarks monitoring. Writes a synthetic settlement into a temporary folder (UTM 26N, mid-Atlantic,
nothing real): 35 sites of 1.2 km x 1 km on a 7 x 5 grid, 2,000 blocks (57-58 per site, 150 m x 125 m), a snapshot
row per block (people, latrines, taps), a water point at every block centre and 4 latrines per block (10,000
points), one zone under the whole settlement and a hazard strip across 5 sites whose residents must move. Camp
layouts, supply and evacuation are off: the figures are those of monitoring itself.

Baselines in the same process: (1) the same scenario without the `monitoring:` block (the plan's own cost), so the
ratio is what monitoring adds; (2) the farthest walks by brute force (every sample point to every point of its
site, numpy broadcasting) against the KD-tree used, on the same samples.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely
from pyproj import CRS

from reliefplan.geo import WGS84, project

UTM = CRS.from_epsg(32626)
X0, Y0 = 200_000.0, 1_100_000.0
SITES, BLOCKS = 35, 2_000
SITE_W, SITE_H, BW, BH = 1200.0, 1000.0, 150.0, 125.0


def _fc(items: list[tuple[dict, shapely.Geometry]]) -> str:
    geoms = project(np.array([g for _, g in items], dtype=object), UTM, WGS84)
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": p, "geometry": shapely.geometry.mapping(g)}
                for (p, _), g in zip(items, geoms)
            ],
        }
    )


def build(folder: Path, *, monitoring: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(23)
    sites, blocks, water, latrines, rows = [], [], [], [], ["date,site_id,block_id,people,latrines,taps"]
    per_site = np.full(SITES, BLOCKS // SITES)
    per_site[: BLOCKS - per_site.sum()] += 1
    for s in range(SITES):
        x0, y0 = X0 + (s % 7) * 2000.0, Y0 + (s // 7) * 2000.0
        sid = f"S{s:02d}"
        sites.append(({"id": sid}, shapely.box(x0, y0, x0 + SITE_W, y0 + SITE_H)))
        for b in range(per_site[s]):
            bx, by = x0 + (b % 8) * BW, y0 + (b // 8) * BH
            bid = f"{sid}-B{b:02d}"
            blocks.append(({"id": bid, "site_id": sid}, shapely.box(bx, by, bx + BW, by + BH)))
            water.append(({"id": f"W-{bid}", "taps": 2}, shapely.Point(bx + BW / 2, by + BH / 2)))
            latrines += [
                ({"id": f"L-{bid}-{k}", "stalls": 4}, shapely.Point(bx + BW * fx, by + BH * fy))
                for k, (fx, fy) in enumerate([(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)])
            ]
            rows.append(
                f"2026-03-01,{sid},{bid},{int(rng.integers(200, 900))},{int(rng.integers(4, 20))},"
                f"{int(rng.integers(1, 4))}"
            )
    (folder / "sites.geojson").write_text(_fc(sites))
    (folder / "blocks.geojson").write_text(_fc(blocks))
    (folder / "water.geojson").write_text(_fc(water))
    (folder / "latrines.geojson").write_text(_fc(latrines))
    (folder / "snapshot.csv").write_text("\n".join(rows) + "\n")
    zone = shapely.box(X0 - 1000, Y0 - 1000, X0 + 15_000, Y0 + 11_000)
    (folder / "zones.geojson").write_text(_fc([({"id": "Z1", "population": 100_000}, zone)]))
    (folder / "hazard.geojson").write_text(
        _fc([({"id": "flood"}, shapely.box(X0 - 500, Y0 + 200, X0 + 14_000, Y0 + 300))])
    )
    doc = {
        "title": "monitoring benchmark (synthetic)",
        "crs": "EPSG:32626",
        "horizon_days": 30,
        "layout": {"enabled": False},
        "evacuation": {"enabled": False},
        "supply": {"enabled": False},
        "layers": {"zones": {"file": "zones.geojson"}, "sites": {"file": "sites.geojson", "usable_fraction": 0.9}},
        "footprints": {"hazard": {"file": "hazard.geojson"}},
        "scenarios": {"main": {"footprints": ["hazard"]}},
    }
    if monitoring:
        doc["monitoring"] = {
            "snapshot": "snapshot.csv",
            "blocks": "blocks.geojson",
            "water_points": "water.geojson",
            "latrines": "latrines.geojson",
        }
    (folder / "scenario.yaml").write_text(json.dumps(doc))
    return folder


def _plan_s(folder: Path) -> tuple[float, object]:
    from reliefplan.pipeline import run
    from reliefplan.scenario.folder import load_scenario

    t = time.perf_counter()
    plan = run(load_scenario(folder, "main")).plan
    return time.perf_counter() - t, plan


def main() -> None:
    from reliefplan.stages.monitoring import farthest_walk_m, sample_points

    with tempfile.TemporaryDirectory() as tmp:
        with_m, without = build(Path(tmp) / "with"), build(Path(tmp) / "without", monitoring=False)
        _plan_s(without)  # warm imports and caches for both
        t_base, _ = _plan_s(without)
        t_mon, plan = _plan_s(with_m)
        m = plan.monitoring
        print(
            f"{len(m.sites)} sites, {m.blocks:,} blocks, {m.people:,} people, {m.relocated:,} relocated: "
            f"plan with monitoring {t_mon:.2f} s (target < 10 s: {'met' if t_mon < 10 else 'NOT met'}); "
            f"the same plan without the monitoring block {t_base:.2f} s -> ratio {t_mon / t_base:.2f}"
        )
        # the farthest walks: KD-tree (used) against brute force, on the same blocks and points
        geoms = np.array(
            [
                shapely.box(X0 + (b % 8) * BW, Y0 + (b // 8) * BH, X0 + (b % 8 + 1) * BW, Y0 + (b // 8 + 1) * BH)
                for b in range(BLOCKS // SITES)
            ],
            dtype=object,
        )
        pts = np.array([[g.centroid.x, g.centroid.y] for g in geoms])
        geoms = np.tile(geoms, SITES)
        t = time.perf_counter()
        fast = farthest_walk_m(geoms, pts)
        t_fast = time.perf_counter() - t
        t = time.perf_counter()
        xy, unit = sample_points(geoms)
        d = np.sqrt(((xy[:, None, :] - pts[None, :, :]) ** 2).sum(axis=-1)).min(axis=1)
        slow = np.zeros(geoms.size)
        np.maximum.at(slow, unit, d)
        t_slow = time.perf_counter() - t
        assert np.allclose(fast, slow)
        print(
            f"farthest walks for {geoms.size:,} blocks ({xy.shape[0]:,} samples): KD-tree {t_fast:.3f} s, brute "
            f"force {t_slow:.3f} s -> ratio {t_fast / t_slow:.2f} (same answers); machine shared with other jobs"
        )


if __name__ == "__main__":
    main()
