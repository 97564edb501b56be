"""Usable land from a 10,000 x 10,000 DEM and land-cover raster over 100 sites.

Run: python -m benchmarks usable_land. Writes two tiled GeoTIFFs (float32 elevations of rolling hills and uint8
land-cover classes, 10 m pixels, UTM 36N, 100 km x 100 km) into a temporary folder, strip by strip so the
generation itself stays small, then assesses 100 hexagonal sites of 0.5-6 km2 spread over the raster (slope
<= 10 %, class 3 excluded). The baseline, in the same process, is the naive way: read both rasters whole, slope
of the whole DEM (numpy.gradient), rasterise every site onto the full grid and count. Targets: < 60 s and
< 4 GB peak RSS for the windowed assessment; the figures are ratios against the baseline on a shared machine.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import shapely
from pyproj import CRS

from reliefplan.scenario import usable_land as ul

N = 10_000  # pixels per side
PX = 10.0  # metres
X0, Y0 = 500_000.0, 3_500_000.0
CRS_M = CRS.from_epsg(32636)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_rasters(folder: Path) -> tuple[Path, Path]:
    """Rolling hills (slopes 0-~25 %) and land cover (class 3 'water' in valley bottoms, 1 elsewhere)."""
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    prof = dict(
        driver="GTiff",
        width=N,
        height=N,
        count=1,
        crs="EPSG:32636",
        tiled=True,
        blockxsize=256,
        blockysize=256,
        transform=from_origin(X0, Y0, PX, PX),
    )
    dem, lc = folder / "dem.tif", folder / "landcover.tif"
    x = np.arange(N) * PX
    with (
        rasterio.open(dem, "w", dtype="float32", nodata=-9999, **prof) as d,
        rasterio.open(lc, "w", dtype="uint8", nodata=255, **prof) as c,
    ):
        for r0 in range(0, N, 512):
            y = (r0 + np.arange(min(512, N - r0)))[:, None] * PX
            z = 60 * np.sin(x / 900.0) * np.cos(y / 1300.0) + 25 * np.sin((x + y) / 400.0)
            win = Window(0, r0, N, z.shape[0])
            d.write(z.astype(np.float32), 1, window=win)
            c.write(np.where(z < -70, 3, 1).astype(np.uint8), 1, window=win)
    return dem, lc


def sites(n: int = 100, seed: int = 7) -> np.ndarray:
    """Hexagons of 0.5-6 km2 on a jittered 10 x 10 grid over the raster (metric)."""
    rng = np.random.default_rng(seed)
    side = N * PX / 10
    out = np.empty(n, dtype=object)
    ang = np.linspace(0, 2 * np.pi, 7)[:-1]
    for k in range(n):
        cx = X0 + (k % 10 + 0.5) * side + rng.uniform(-1500, 1500)
        cy = Y0 - (k // 10 + 0.5) * side + rng.uniform(-1500, 1500)
        r = np.sqrt(rng.uniform(0.5e6, 6e6) / 2.598)  # hexagon area = 2.598 r^2
        out[k] = shapely.Polygon(np.column_stack([cx + r * np.cos(ang), cy + r * np.sin(ang)]))
    return out


def baseline(dem: Path, lc: Path, geoms: np.ndarray, max_slope: float, bad: float) -> np.ndarray:
    """Usable fraction per site from whole-raster reads (the naive way)."""
    import rasterio
    from rasterio.features import rasterize

    with rasterio.open(dem) as d:
        z = d.read(1, masked=True).filled(np.nan).astype(np.float32)
        transform = d.transform
    gy, gx = np.gradient(z, PX)
    del z
    steep = 100 * np.hypot(gx, gy) > max_slope
    del gx, gy
    with rasterio.open(lc) as c:
        water = c.read(1) == bad
    label = rasterize(
        [(g, k + 1) for k, g in enumerate(geoms)], out_shape=(N, N), transform=transform, fill=0, dtype="int16"
    )
    total = np.bincount(label.ravel(), minlength=len(geoms) + 1)[1:]
    out_ = np.bincount(label[steep | water], minlength=len(geoms) + 1)[1:]
    return 1.0 - out_ / np.maximum(total, 1)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench_usable_land_") as tmp:
        t0 = time.perf_counter()
        # written by a child process, so this process's peak RSS is the assessment's (and then the baseline's)
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            dem, lc = pool.submit(write_rasters, Path(tmp)).result()
        print(
            f"rasters: {N:,} x {N:,} px of {PX:g} m, DEM {dem.stat().st_size / 1e6:,.0f} MB, land cover "
            f"{lc.stat().st_size / 1e6:,.0f} MB, written in {time.perf_counter() - t0:.1f} s "
            f"(peak RSS so far {_rss_mb():,.0f} MB)"
        )
        geoms = sites()
        ground = ul.Ground(
            dem=ul.open_raster(dem), max_slope_pct=10.0, landcover=ul.open_raster(lc), exclude_classes=(3.0,)
        )
        before = _rss_mb()
        t0 = time.perf_counter()
        got = ul.assess(geoms, CRS_M, ground)
        t_win = time.perf_counter() - t0
        peak_win = _rss_mb()
        area = shapely.area(geoms).sum()
        px = sum(r.pixels for r in got)
        print(
            f"windowed: {t_win:.2f} s for {len(geoms)} sites ({area / 1e6:,.0f} km2, {px:,} pixels), peak RSS "
            f"{peak_win:,.0f} MB (+{peak_win - before:,.0f} MB) | targets < 60 s, < 4,096 MB: "
            f"{'met' if t_win < 60 and peak_win < 4096 else 'NOT met'}"
        )
        t0 = time.perf_counter()
        base = baseline(dem, lc, geoms, 10.0, 3.0)
        t_base = time.perf_counter() - t0
        peak_base = _rss_mb()
        frac = np.array([r.usable_fraction for r in got])
        print(
            f"baseline (whole rasters): {t_base:.2f} s, peak RSS {peak_base:,.0f} MB | windowed = "
            f"{t_win / t_base:.3f} x the baseline's time; max |fraction difference| "
            f"{np.abs(frac - base).max():.2e}; usable {100 * (frac * shapely.area(geoms)).sum() / area:.1f} % | "
            f"load {os.getloadavg()[0]:.1f} (shared machine)"
        )


if __name__ == "__main__":
    main()
