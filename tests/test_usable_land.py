"""Usable land from the ground: slopes, land cover, hazards, buildings on small rasters the tests write."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
import shapely
from conftest import fc, feat, write_scenario
from pyproj import CRS
from rasterio.transform import from_origin

from reliefplan._errors import InputError
from reliefplan.geo import WGS84, project
from reliefplan.scenario import usable_land as ul
from reliefplan.scenario.folder import load_scenario

UTM = CRS.from_epsg(32636)
X0, Y0 = 600_000.0, 3_460_000.0  # a corner in UTM 36N (near Gaza)
PX = 10.0  # metres per pixel


def write_tif(path: Path, data: np.ndarray, *, crs="EPSG:32636", transform=None, nodata=None) -> Path:
    transform = transform if transform is not None else from_origin(X0, Y0, PX, PX)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=data.shape[0],
        width=data.shape[1],
        count=1,
        dtype=data.dtype,
        crs=crs,
        transform=transform,
        nodata=nodata,
    ) as ds:
        ds.write(data, 1)
    return path


def box_px(c0: float, r0: float, c1: float, r1: float) -> shapely.Polygon:
    """A rectangle in UTM over pixel columns c0..c1 and rows r0..r1 of the test grid (edges on pixel edges)."""
    return shapely.box(X0 + c0 * PX, Y0 - r1 * PX, X0 + c1 * PX, Y0 - r0 * PX)


def kinked_dem(rows: int = 20, cols: int = 20, kink: int = 10, grade: float = 0.2) -> np.ndarray:
    """Flat west of column `kink`, rising `grade` (m/m) eastwards from it."""
    col = np.arange(cols)
    z = np.where(col >= kink, grade * PX * (col - kink), 0.0)
    return np.tile(z, (rows, 1)).astype(np.float32)


# ---- slope -------------------------------------------------------------------------------------------------


def test_slope_of_planes_is_exact_everywhere_including_edges():
    y, x = np.mgrid[0:6, 0:7].astype(float)
    assert np.allclose(ul.slope_pct(0.1 * x * 10, 10.0, 10.0), 10.0)  # 10 cm per m eastwards
    assert np.allclose(ul.slope_pct(0.03 * x * 5 + 0.04 * y * 5, 5.0, 5.0), 5.0)  # 3-4-5: 5 %
    assert np.allclose(ul.slope_pct(np.zeros((3, 3)), 1.0, 1.0), 0.0)


def test_slope_next_to_nodata_is_one_sided_and_nodata_has_none():
    z = 0.1 * 10 * np.tile(np.arange(6, dtype=float), (5, 1))
    z[2, 3] = np.nan
    s = ul.slope_pct(z, 10.0, 10.0)
    assert np.isnan(s[2, 3])
    assert np.allclose(np.delete(s.ravel(), 2 * 6 + 3), 10.0)
    lone = np.full((3, 3), np.nan)
    lone[1, 1] = 5.0  # no neighbour on either axis
    assert np.isnan(ul.slope_pct(lone, 1.0, 1.0)[1, 1])


def test_geographic_pixel_size_is_geodesic():
    r = ul.Raster(path=Path("x"), crs=WGS84, transform=from_origin(34.0, 0.0005, 0.001, 0.001), width=1, height=1)
    dx, dy = ul.pixel_size_m(r, np.array([0]))
    assert dx[0, 0] == pytest.approx(111.319, abs=0.01)  # 0.001 deg of longitude on the equator (a = 6378137 m)
    assert dy[0, 0] == pytest.approx(110.574, abs=0.01)  # 0.001 deg of latitude there
    r60 = ul.Raster(path=Path("x"), crs=WGS84, transform=from_origin(34.0, 60.0005, 0.001, 0.001), width=1, height=1)
    assert ul.pixel_size_m(r60, np.array([0]))[0][0, 0] == pytest.approx(55.80, abs=0.01)


# ---- rasters ------------------------------------------------------------------------------------------------


def test_slope_limit_excludes_the_steep_columns(tmp_path):
    # kink at column 10: its central difference is 10 % (kept at a 10 % limit), columns 11..19 are 20 % (out)
    g = ul.Ground(dem=ul.open_raster(write_tif(tmp_path / "dem.tif", kinked_dem())), max_slope_pct=10.0)
    [r] = ul.assess(np.array([box_px(0, 0, 20, 20)]), UTM, g)
    assert r.assessed_area_m2 == pytest.approx(200 * 200)
    assert r.pixels == 400
    assert r.excluded_m2["slope"] == pytest.approx(9 * 20 * PX * PX)
    assert r.usable_fraction == pytest.approx(11 / 20)
    assert r.covered


def test_site_edge_uses_the_neighbour_outside_it(tmp_path):
    # the site stops at column 12; its column-11 pixel still sees column 12 (halo), so 20 %, not one-sided
    g = ul.Ground(dem=ul.open_raster(write_tif(tmp_path / "dem.tif", kinked_dem())), max_slope_pct=15.0)
    [r] = ul.assess(np.array([box_px(0, 0, 12, 20)]), UTM, g)
    assert r.excluded_m2["slope"] == pytest.approx(1 * 20 * PX * PX)


def test_landcover_classes_then_slope_then_no_data(tmp_path):
    lc = np.ones((20, 20), np.uint8)
    lc[:5, :] = 3  # water in the top quarter
    lc[5:10, 15:] = 255  # nodata: 5 x 5 pixels, all steep
    dem = kinked_dem()
    dem[18:, :2] = -9999  # 2 x 2 flat pixels without elevation
    g = ul.Ground(
        dem=ul.open_raster(write_tif(tmp_path / "dem.tif", dem, nodata=-9999)),
        max_slope_pct=10.0,
        landcover=ul.open_raster(write_tif(tmp_path / "lc.tif", lc, nodata=255)),
        exclude_classes=(3.0,),
    )
    [r] = ul.assess(np.array([box_px(0, 0, 20, 20)]), UTM, g)
    a = PX * PX
    assert r.excluded_m2["landcover"] == pytest.approx(100 * a)
    assert r.excluded_m2["slope"] == pytest.approx(9 * 15 * a)  # steep columns below the water rows
    assert r.excluded_m2["no_data"] == pytest.approx(4 * a)  # the steep nodata block counts as slope
    assert r.usable_area_m2 == pytest.approx((400 - 100 - 135 - 4) * a)
    keep = ul.assess(np.array([box_px(0, 0, 20, 20)]), UTM, ul.Ground(**{**g.__dict__, "nodata_excluded": False}))
    assert keep[0].excluded_m2["no_data"] == 0 and keep[0].usable_area_m2 == pytest.approx(165 * a)


def test_landcover_on_another_grid_is_sampled_at_dem_pixel_centres(tmp_path):
    lc = np.zeros((10, 10), np.uint8)  # 20 m pixels, same origin: DEM pixel (r, c) lies in lc (r // 2, c // 2)
    lc[:, 5:] = 7
    g = ul.Ground(
        dem=ul.open_raster(write_tif(tmp_path / "dem.tif", np.zeros((20, 20), np.float32))),
        max_slope_pct=5.0,
        exclude_classes=(7.0,),
        landcover=ul.open_raster(write_tif(tmp_path / "lc.tif", lc, transform=from_origin(X0, Y0, 20, 20))),
    )
    [r] = ul.assess(np.array([box_px(0, 0, 20, 20)]), UTM, g)
    assert r.usable_fraction == pytest.approx(0.5)


def test_geographic_dem_slope(tmp_path):
    # 0.0001 deg pixels near Rafah; z rises 10 cm per metre eastwards along each row's geodesic pixel width
    t = from_origin(34.25, 31.30, 0.0001, 0.0001)
    r = ul.Raster(path=Path("x"), crs=WGS84, transform=t, width=50, height=50)
    dx, _ = ul.pixel_size_m(r, np.arange(50))
    z = (0.1 * dx * np.arange(50)[None, :]).astype(np.float64)
    path = write_tif(tmp_path / "dem.tif", z, crs="EPSG:4326", transform=t)
    site = project(shapely.box(34.2510, 31.2960, 34.2540, 31.2990), WGS84, UTM)
    g = ul.Ground(dem=ul.open_raster(path), max_slope_pct=9.9)
    [res] = ul.assess(np.array([site]), UTM, g)
    assert res.usable_fraction == pytest.approx(0.0, abs=1e-9)  # all ~10.0 %: steeper than 9.9
    [res] = ul.assess(np.array([site]), UTM, ul.Ground(dem=g.dem, max_slope_pct=10.05))
    assert res.usable_fraction == pytest.approx(1.0)


def test_windowed_reads_match_a_brute_force_over_the_whole_raster(tmp_path):
    rng = np.random.default_rng(3)
    z = np.cumsum(rng.normal(0, 1.5, (60, 80)), axis=1).astype(np.float32)  # rough terrain
    path = write_tif(tmp_path / "dem.tif", z)
    sites = [
        shapely.Point(X0 + 150, Y0 - 200).buffer(120),
        box_px(-5, 30, 30, 70),  # the second crosses the edge
        shapely.Polygon([(X0 + 500, Y0 - 50), (X0 + 790, Y0 - 103), (X0 + 600, Y0 - 400)]),
    ]  # no centre on an edge
    g = ul.Ground(dem=ul.open_raster(path), max_slope_pct=12.0)
    got = ul.assess(np.array(sites, dtype=object), UTM, g)
    # brute force: numpy's gradient on the whole raster (one-sided at its edges), shapely per pixel centre on a
    # grid beyond the raster (pixels outside it have no data)
    gy, gx = np.gradient(z.astype(float), PX)
    steep = np.zeros((80, 100), bool)
    steep[10:70, 10:90] = 100 * np.hypot(gx, gy) > 12.0
    outside = np.ones((80, 100), bool)
    outside[10:70, 10:90] = False
    rows, cols = np.mgrid[-10:70, -10:90]
    cx, cy = X0 + (cols + 0.5) * PX, Y0 - (rows + 0.5) * PX
    for site, r in zip(sites, got):
        inside = shapely.contains_xy(site, cx, cy)
        assert r.pixels == inside.sum()
        assert r.excluded_m2["slope"] == pytest.approx(steep[inside].mean() * site.area)
        assert r.excluded_m2["no_data"] == pytest.approx(outside[inside].mean() * site.area)


# ---- vectors ------------------------------------------------------------------------------------------------


def _wgs(g: shapely.Geometry) -> shapely.Geometry:
    return project(g, UTM, WGS84)


def test_hazard_and_building_buffers_are_exact():
    site = box_px(0, 0, 20, 20)  # 200 m x 200 m
    river = box_px(-5, 8, 25, 10)  # 20 m wide, across the site and beyond
    house = box_px(2, 2, 3, 3)  # 10 m x 10 m, well inside
    g = ul.Ground(vectors={"hazard": [(_wgs(river), 10.0)], "building": [(_wgs(house), 5.0)]})
    [r] = ul.assess(np.array([site]), UTM, g)
    assert r.excluded_m2["hazard"] == pytest.approx(40 * 200, rel=1e-6)  # 20 m + 2 x 10 m
    assert r.excluded_m2["building"] == pytest.approx(100 + 4 * 10 * 5 + np.pi * 25, rel=2e-3)  # rounded corners
    assert r.usable_area_m2 + sum(r.excluded_m2.values()) == pytest.approx(200 * 200)
    assert r.covered and r.pixels == 0


def test_vector_exclusions_come_before_raster_ones(tmp_path):
    g = ul.Ground(
        dem=ul.open_raster(write_tif(tmp_path / "dem.tif", kinked_dem())),
        max_slope_pct=10.0,
        vectors={"hazard": [(_wgs(box_px(10, -2, 22, 22)), 0.0)]},
    )  # covers the whole steep half
    [r] = ul.assess(np.array([box_px(0, 0, 20, 20)]), UTM, g)
    assert r.excluded_m2["hazard"] == pytest.approx(100 * 200, rel=1e-6)
    assert r.excluded_m2["slope"] == pytest.approx(0.0, abs=1e-6)
    assert r.usable_fraction == pytest.approx(0.5, rel=1e-6)


def test_site_outside_every_raster_keeps_the_constant(tmp_path):
    g = ul.Ground(dem=ul.open_raster(write_tif(tmp_path / "dem.tif", kinked_dem())), max_slope_pct=10.0)
    [r] = ul.assess(np.array([box_px(100, 100, 120, 120)]), UTM, g)
    assert not r.covered and r.excluded_m2["no_data"] == 0


# ---- bad input ----------------------------------------------------------------------------------------------


def test_raster_without_crs_is_an_error_naming_the_file(tmp_path):
    path = tmp_path / "dem_nocrs.tif"
    with rasterio.open(
        path, "w", driver="GTiff", height=4, width=4, count=1, dtype="float32", transform=from_origin(X0, Y0, PX, PX)
    ) as ds:
        ds.write(np.zeros((4, 4), np.float32), 1)
    with pytest.raises(InputError) as e:
        ul.open_raster(path)
    assert e.value.problems[0].file == str(path) and e.value.problems[0].field == "crs"
    assert "coordinate reference system" in str(e.value)


def test_spec_needs_its_pairs():
    with pytest.raises(ValueError, match="max_slope_pct"):
        ul.UsableLandSpec(dem="dem.tif")
    with pytest.raises(ValueError, match="exclude_classes"):
        ul.UsableLandSpec(landcover="lc.tif")
    with pytest.raises(ValueError, match="at least one"):
        ul.UsableLandSpec()


# ---- in a scenario -----------------------------------------------------------------------------------------


def _ground_scenario(tmp_path: Path, usable_land: dict) -> Path:
    """The conftest scenario, its site S1 over a DEM whose eastern part is steep, a river hazard across it."""
    folder = write_scenario(tmp_path / "sc")
    sc = load_scenario(folder, "main")
    s1 = next(s for s in sc.sites if s.id == "S1").geometry_m
    minx, miny, maxx, maxy = s1.bounds
    cols, rows = int((maxx - minx) // PX) + 4, int((maxy - miny) // PX) + 4
    x0, y0 = minx - 2 * PX, maxy + 2 * PX
    col = np.arange(cols)
    kink = cols // 2
    z = np.tile(np.where(col >= kink, 0.3 * PX * (col - kink), 0.0), (rows, 1)).astype(np.float32)
    write_tif(folder / "dem.tif", z, transform=from_origin(x0, y0, PX, PX))
    river = project(shapely.box(minx - 50, (miny + maxy) / 2 - 15, maxx + 50, (miny + maxy) / 2 + 15), UTM, WGS84)
    (folder / "river.geojson").write_text(json.dumps(fc([feat({"id": "river"}, shapely.geometry.mapping(river))])))
    cfg = (
        (folder / "scenario.yaml")
        .read_text()
        .replace(
            "sites:\n    file: sites.geojson\n",
            "sites:\n    file: sites.geojson\n    usable_land: " + json.dumps(usable_land) + "\n",
        )
    )
    (folder / "scenario.yaml").write_text(cfg)
    return folder


def test_scenario_usable_land_sets_the_fraction_and_the_notes(tmp_path):
    folder = _ground_scenario(
        tmp_path,
        {
            "dem": "dem.tif",
            "max_slope_pct": 10,
            "hazards": [{"file": "river.geojson", "buffer_m": 10, "kind": "flood"}],
        },
    )
    sc = load_scenario(folder, "main")
    s1, s2 = sc.sites
    assert s1.ground is not None and s1.ground.covered
    ex = s1.ground.excluded_m2
    river = project(shapely.from_geojson((folder / "river.geojson").read_text()).geoms[0], WGS84, UTM)
    assert ex["hazard"] == pytest.approx(s1.geometry_m.intersection(river.buffer(10)).area, rel=1e-9)
    assert 0.3 < ex["slope"] / s1.ground.assessed_area_m2 < 0.6
    assert s1.usable_fraction == pytest.approx(s1.ground.usable_fraction)
    assert s2.ground is not None and s2.ground.covered  # vectors speak for every site
    assert any("Usable land from the ground" in n for n in sc.ground_notes)
    assert any("flood" in n for n in sc.ground_notes)


def test_scenario_dem_covering_one_site_leaves_the_other_on_its_constant(tmp_path):
    folder = _ground_scenario(tmp_path, {"dem": "dem.tif", "max_slope_pct": 10})
    sc = load_scenario(folder, "main")
    s1, s2 = sc.sites
    assert s1.ground.covered and not s2.ground.covered
    assert s2.usable_fraction == 0.5  # its own property, kept
    assert any("ASSUMPTION" in n and "S2" in n for n in sc.ground_notes)


def test_scenario_bad_ground_inputs_list_every_problem(tmp_path):
    folder = _ground_scenario(
        tmp_path, {"dem": "missing.tif", "max_slope_pct": 10, "landcover": "lc.tif", "exclude_classes": ["water"]}
    )
    with pytest.raises(InputError) as e:
        load_scenario(folder, "main")
    text = str(e.value)
    assert "missing.tif: raster not found" in text
    assert "lc.tif: raster not found" in text
    assert "exclude_classes" in text and "'water' is not a number" in text
    cfg = (folder / "scenario.yaml").read_text().replace('"max_slope_pct": 10, ', "")
    (folder / "scenario.yaml").write_text(cfg)
    with pytest.raises(InputError, match="layers.sites.usable_land"):
        load_scenario(folder, "main")


def _osm_area(path: Path, rings: list[tuple[str, str, shapely.Polygon]]) -> None:
    """Closed OSM ways (one per ring) with one tag each, as OSM XML."""
    nodes, ways, nid = [], [], 0
    for k, (key, value, poly) in enumerate(rings):
        ll = _wgs(poly)
        refs = []
        for x, y in list(ll.exterior.coords)[:-1]:
            nid += 1
            nodes.append(f'<node id="{nid}" version="1" lat="{y:.8f}" lon="{x:.8f}"/>')
            refs.append(nid)
        nd = "".join(f'<nd ref="{r}"/>' for r in refs + refs[:1])
        ways.append(f'<way id="{k + 1}" version="1">{nd}<tag k="{key}" v="{value}"/></way>')
    path.write_text('<?xml version="1.0"?><osm version="0.6">' + "".join(nodes + ways) + "</osm>")


def test_osm_extract_gives_land_use_and_buildings(tmp_path):
    osm = tmp_path / "extract.osm"
    _osm_area(
        osm,
        [
            ("natural", "water", box_px(0, 0, 20, 5)),
            ("landuse", "meadow", box_px(0, 5, 20, 10)),
            ("building", "yes", box_px(2, 12, 4, 14)),
        ],
    )
    spec = ul.UsableLandSpec(
        landcover="extract.osm", exclude_classes=["water", "wetland"], buildings={"file": "extract.osm", "buffer_m": 0}
    )
    g = ul.load_ground(tmp_path, spec, "scenario.yaml")
    [r] = ul.assess(np.array([box_px(0, 0, 20, 20)]), UTM, g)
    assert r.excluded_m2["landcover"] == pytest.approx(200 * 50, rel=1e-4)  # the water, not the meadow
    assert r.excluded_m2["building"] == pytest.approx(20 * 20, rel=1e-3)  # OSM keeps 7 decimals
