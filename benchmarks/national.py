"""Synthetic national-scale scenarios (issue 24): a scenario folder the normal loader reads.

A square territory of square population zones (1 km), a regular grid of roads, candidate sites outside the
emptied area and crossings on the border:

* zones: ``round(sqrt(n_zones))`` squared zones of 1 km x 1 km; population drawn lognormal and scaled so
  that the total is exactly the requested number of people;
* roads: a regular street grid over the territory with ``2 n (n - 1)`` ≈ the requested number of edges,
  one two-point LineString per street between adjacent crossings (every 10th street primary, every 5th
  secondary, the rest residential);
* footprint: 10 km x 10 km blocks drawn at random until 30 % of the zones are emptied (day 0);
* sites: squares of 3,000-6,000 people's site area (45 m2 per person at a usable fraction of 0.8), each
  inside a zone cell outside the footprint; total capacity ≈ 1.5 x the displaced;
* 10 entry points along the southern and western borders, 60 days, siting.max_walk_h = 12 (a day's walk:
  ASSUMPTION of the benchmark, not a standard); supply.time_limit_s = 900 (HiGHS's limit is wall-clock time, and
  the machine is shared).

Everything is seeded. Files are written with pyogrio (GeoPackage for zones, sites, roads and footprint; CSV
for the crossings) into the folder given, never into the repository.

Run on its own: ``python -m benchmarks.national 1m OUT_FOLDER``.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio.raw
import shapely
import yaml
from pyproj import CRS, Transformer

#: the local metric CRS the territory is drawn in (UTM 35N; origin ~9 N, 25 E); the loader picks its own.
UTM = CRS.from_epsg(32635)
X0, Y0 = 300_000.0, 1_000_000.0
ZONE_M = 1000.0
BLOCK_ZONES = 10  # footprint blocks of 10 x 10 zones
EMPTIED_SHARE = 0.30
SITE_M2_PER_PERSON = 45.0  # Sphere 2018 site area per person (the standards profile the scenario uses)
USABLE_FRACTION = 0.8


@dataclass(frozen=True)
class Size:
    """One benchmark size: people, zones, sites and road edges (as asked; the grids round them)."""

    name: str
    people: int
    zones: int
    sites: int
    road_edges: int


SIZES: dict[str, Size] = {
    "1m": Size("1m", 1_000_000, 10_000, 100, 100_000),
    "3m": Size("3m", 3_000_000, 30_000, 300, 300_000),
    "10m": Size("10m", 10_000_000, 100_000, 1_000, 1_000_000),
}


@dataclass(frozen=True)
class Written:
    """What `write_national` produced (actual counts after rounding to grids)."""

    folder: Path
    scenario: str
    people: int
    zones: int
    emptied_zones: int
    sites: int
    road_edges: int
    side_km: float


def _to_wgs84(geoms: np.ndarray) -> np.ndarray:
    t = Transformer.from_crs(UTM, CRS.from_epsg(4326), always_xy=True)
    return shapely.transform(geoms, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def _write_gpkg(path: Path, geoms: np.ndarray, fields: dict[str, np.ndarray], geometry_type: str) -> None:
    pyogrio.raw.write(
        path,
        shapely.to_wkb(_to_wgs84(geoms)),
        list(fields.values()),
        list(fields),
        driver="GPKG",
        geometry_type=geometry_type,
        crs="EPSG:4326",
    )


def write_national(
    size: Size | str, folder: Path | str, *, seed: int = 24, max_walk_h: float | None = 12.0, layout: bool = True
) -> Written:
    """Write a synthetic national scenario folder (scenario 'national') and return its actual counts."""
    size = SIZES[size] if isinstance(size, str) else size
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)  # drawn in this order: zones, footprint, sites
    n = int(round(math.sqrt(size.zones)))
    side = n * ZONE_M
    zx, zy, population = _write_zones(folder, rng, n, size.people)
    emptied = _write_footprint(folder, rng, n)
    _write_sites(folder, rng, size.sites, zx, zy, emptied)
    n_links = _write_roads(folder, side, size.road_edges)
    _write_entry_points(folder, side)
    cfg = _config(size, n, n_links, seed, max_walk_h, layout)
    (folder / "scenario.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return Written(
        folder=folder,
        scenario="national",
        people=int(population.sum()),
        zones=n * n,
        emptied_zones=int(emptied.sum()),
        sites=size.sites,
        road_edges=n_links,
        side_km=side / 1000,
    )


def _write_zones(
    folder: Path, rng: np.random.Generator, n: int, people: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n x n square zones of 1 km, population lognormal, total exact; returns (x, y of their corners, population)."""
    ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    ii, jj = ii.ravel(), jj.ravel()
    zx, zy = X0 + ii * ZONE_M, Y0 + jj * ZONE_M
    zones = shapely.box(zx, zy, zx + ZONE_M, zy + ZONE_M)
    weight = rng.lognormal(0.0, 0.8, size=n * n)
    population = rng.multinomial(people, weight / weight.sum()).astype(np.int64)
    ids = np.array([f"Z{k:06d}" for k in range(n * n)], dtype=object)
    _write_gpkg(folder / "zones.gpkg", zones, {"id": ids, "population": population}, "Polygon")
    return zx, zy, population


def _write_footprint(folder: Path, rng: np.random.Generator, n: int) -> np.ndarray:
    """Random 10 km blocks until 30 % of the zones are inside; returns the emptied zones [n, n]."""
    nb = math.ceil(n / BLOCK_ZONES)
    emptied = np.zeros((n, n), dtype=bool)
    blocks = []
    for b in rng.permutation(nb * nb):
        if emptied.sum() >= EMPTIED_SHARE * n * n:
            break
        bi, bj = divmod(int(b), nb)
        i0, j0 = bi * BLOCK_ZONES, bj * BLOCK_ZONES
        i1, j1 = min(n, i0 + BLOCK_ZONES), min(n, j0 + BLOCK_ZONES)
        emptied[i0:i1, j0:j1] = True
        blocks.append((i0, j0, i1, j1))
    bx = np.array(blocks, dtype=float)
    fp = shapely.box(X0 + bx[:, 0] * ZONE_M, Y0 + bx[:, 1] * ZONE_M, X0 + bx[:, 2] * ZONE_M, Y0 + bx[:, 3] * ZONE_M)
    _write_gpkg(
        folder / "footprint.gpkg", fp, {"id": np.array([f"B{k}" for k in range(len(fp))], dtype=object)}, "Polygon"
    )
    return emptied


def _write_sites(
    folder: Path, rng: np.random.Generator, n_sites: int, zx: np.ndarray, zy: np.ndarray, emptied: np.ndarray
) -> None:
    """One site per chosen zone cell outside the footprint, its side from its capacity."""
    free_cells = np.flatnonzero(~emptied.ravel())
    cells = rng.choice(free_cells, size=n_sites, replace=False)
    people_cap = rng.uniform(3000, 6000, size=n_sites)
    s_side = np.sqrt(people_cap * SITE_M2_PER_PERSON / USABLE_FRACTION)
    room = ZONE_M - s_side
    sx = zx[cells] + rng.uniform(0, 1, n_sites) * room
    sy = zy[cells] + rng.uniform(0, 1, n_sites) * room
    sites = shapely.box(sx, sy, sx + s_side, sy + s_side)
    _write_gpkg(
        folder / "sites.gpkg",
        sites,
        {"id": np.array([f"S{k:04d}" for k in range(n_sites)], dtype=object)},
        "Polygon",
    )


def _write_roads(folder: Path, side: float, road_edges: int) -> int:
    """A regular grid with ~road_edges streets between adjacent crossings; returns the number of links."""
    g = max(2, int(round(0.5 + math.sqrt(0.25 + road_edges / 2.0))))
    step = side / (g - 1)
    k = np.arange(g)
    a_i, a_j = np.meshgrid(k[:-1], k, indexing="ij")  # east-west streets (i -> i + 1 at row j)
    ew = np.stack(
        [
            np.column_stack([X0 + a_i.ravel() * step, Y0 + a_j.ravel() * step]),
            np.column_stack([X0 + (a_i.ravel() + 1) * step, Y0 + a_j.ravel() * step]),
        ],
        axis=1,
    )
    ns = ew[:, :, ::-1] - np.array([Y0 - X0, X0 - Y0])  # the same streets turned north-south
    street_row = np.concatenate([a_j.ravel(), a_j.ravel()])
    lines = shapely.linestrings(np.concatenate([ew, ns]))
    highway = np.where(street_row % 10 == 0, "primary", np.where(street_row % 5 == 0, "secondary", "residential"))
    _write_gpkg(
        folder / "roads.gpkg", lines, {"id": np.arange(len(lines)), "highway": highway.astype(object)}, "LineString"
    )
    return len(lines)


def _write_entry_points(folder: Path, side: float) -> None:
    """10 crossings on the southern and western borders."""
    t = Transformer.from_crs(UTM, CRS.from_epsg(4326), always_xy=True)
    along = (np.arange(5) + 0.5) / 5 * side
    ex = np.concatenate([X0 + along, np.full(5, X0)])
    ey = np.concatenate([np.full(5, Y0), Y0 + along])
    lon, lat = t.transform(ex, ey)
    rows = ["id,name,lon,lat,trucks_per_day"] + [f"E{k},crossing {k},{lon[k]:.6f},{lat[k]:.6f},300" for k in range(10)]
    (folder / "entry_points.csv").write_text("\n".join(rows) + "\n")


def _config(size: Size, n: int, n_links: int, seed: int, max_walk_h: float | None, layout: bool) -> dict[str, Any]:
    """The scenario.yaml of the folder."""
    return {
        "title": f"Synthetic national scenario {size.name} (issue 24 benchmark)",
        "description": f"{size.people:,} people on {n * n:,} zones of 1 km2; {size.sites} candidate sites; a street "
        f"grid of {n_links:,} links; 30 % of the zones emptied. Seed {seed}.",
        "crs": "auto",
        "horizon_days": 60,
        "siting": {"max_walk_h": max_walk_h} if max_walk_h is not None else {},
        "layout": {"enabled": layout},
        # HiGHS's time limit is wall-clock: on the shared machine (load ~20) the default 60 s stopped the supply LP
        # before optimal at 3 M, and the health layer (which needs an optimal plan) did not run
        "supply": {"time_limit_s": 900},
        "layers": {
            "zones": {"file": "zones.gpkg"},
            "sites": {"file": "sites.gpkg", "usable_fraction": USABLE_FRACTION},
            "entry_points": {"file": "entry_points.csv"},
            "roads": {"file": "roads.gpkg"},
        },
        "footprints": {"emptied": {"file": "footprint.gpkg", "start_day": 0}},
        "scenarios": {"national": {"footprints": ["emptied"]}},
    }


if __name__ == "__main__":
    print(write_national(sys.argv[1], Path(sys.argv[2])))
