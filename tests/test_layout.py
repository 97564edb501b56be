"""Camp layout: hand-checked counts, geometry invariants, standards by brute force, capacity truth, I/O."""

from __future__ import annotations

import json
import math

import numpy as np
import pyogrio
import pyogrio.raw
import pytest
import shapely
from pyproj import CRS
from typer.testing import CliRunner

from reliefplan._errors import InputError
from reliefplan.solvers.layout import (
    LAYERS,
    CampLayout,
    LayoutParams,
    generate_layout,
    layout_capacity,
    load_site_polygon,
    params_for_profile,
    plot_side_m,
    write_layout_gpkg,
)

SQUARE = shapely.box(0, 0, 1000, 1000)
L_SHAPE = shapely.Polygon([(0, 0), (1000, 0), (1000, 400), (400, 400), (400, 1000), (0, 1000)])
HOLED = shapely.Polygon([(0, 0), (800, 0), (800, 800), (0, 800)], [[(300, 300), (500, 300), (500, 500), (300, 500)]])
MULTI = shapely.MultiPolygon([shapely.box(0, 0, 400, 400), shapely.box(600, 0, 900, 500)])
UTM = CRS.from_epsg(32636)

# 12 m plots, pinned orientation and origin: the grid can be counted by hand
PINNED = LayoutParams(plot_area_m2=144.0, orientation_deg=0.0, search_phase=False)


@pytest.fixture(scope="module")
def square_10k() -> CampLayout:
    return generate_layout(SQUARE, 10_000, LayoutParams(), site_id="sq")


def grid_uv(lay: CampLayout, xy: np.ndarray) -> np.ndarray:
    a = math.radians(lay.summary.orientation_deg)
    c, s = math.cos(a), math.sin(a)
    return np.stack([c * xy[:, 0] + s * xy[:, 1], -s * xy[:, 0] + c * xy[:, 1]], axis=1)


def brute_max_distance(lay: CampLayout, services: np.ndarray) -> tuple[float, float]:
    """(max over plots of the nearest straight-line distance, same along the grid, L1) by full distance matrix."""
    plots = shapely.get_coordinates(shapely.centroid(lay.plots.geometry))
    pts = shapely.get_coordinates(services)
    l2 = np.sqrt(((plots[:, None, :] - pts[None, :, :]) ** 2).sum(-1)).min(axis=1).max()
    pu, su = grid_uv(lay, plots), grid_uv(lay, pts)
    l1 = np.abs(pu[:, None, :] - su[None, :, :]).sum(-1).min(axis=1).max()
    return float(l2), float(l1)


def assert_geometry_ok(lay: CampLayout, site: shapely.Geometry, no_build: shapely.Geometry | None = None) -> None:
    plots = lay.plots.geometry
    assert len(plots) > 0
    assert shapely.covers(site, plots).all(), "a plot leaves the site"
    if no_build is not None:
        assert not shapely.intersects(no_build, shapely.buffer(plots, -1e-6)).any(), "a plot is in a no-build area"
    # no plot overlaps another plot, a road, a firebreak or a service slot (beyond rounding)
    others = np.concatenate([plots, lay.roads.geometry, lay.firebreaks.geometry])
    tree = shapely.STRtree(others)
    a, b = tree.query(plots, predicate="intersects")
    keep = a != b
    # fixed-precision overlay: plots share edges with roads, and floating overlay of nearly coincident edges
    # can misreport a touching pair as overlapping
    overlap = shapely.area(shapely.intersection(plots[a[keep]], others[b[keep]], grid_size=1e-6))
    assert overlap.max(initial=0.0) < 1e-6
    for layer in ("water_points", "latrines", "health_posts", "distribution_points"):
        pts = lay.layer(layer).geometry
        if len(pts):
            assert not shapely.contains_properly(shapely.union_all(plots), pts).any(), layer


def assert_standards_by_brute_force(lay: CampLayout, p: LayoutParams) -> None:
    s = lay.summary
    assert s.people == int(lay.plots.attributes["people"].sum())
    w_l2, w_l1 = brute_max_distance(lay, lay.water_points.geometry)
    l_l2, l_l1 = brute_max_distance(lay, lay.latrines.geometry)
    assert w_l2 <= w_l1 + 1e-6 and l_l2 <= l_l1 + 1e-6
    assert w_l1 <= p.max_distance_to_water_m + 1e-6
    assert l_l1 <= p.max_distance_to_latrine_m + 1e-6
    assert s.max_plot_to_water_m == pytest.approx(w_l1, abs=0.01)
    assert s.max_plot_to_latrine_m == pytest.approx(l_l1, abs=0.01)
    taps = lay.water_points.attributes["taps"]
    assert s.taps == taps.sum() >= math.ceil(s.people / p.people_per_tap)
    assert (lay.water_points.attributes["people_served"] <= taps * p.people_per_tap).all()
    assert lay.water_points.attributes["people_served"].sum() == s.people
    f, m = lay.latrines.attributes["stalls_female"], lay.latrines.attributes["stalls_male"]
    assert s.latrines == (f + m).sum() >= math.ceil(s.people / p.people_per_latrine)
    assert (f == 3 * m).all() and s.latrines_female == 3 * s.latrines_male
    assert (lay.latrines.attributes["stalls"] * p.people_per_latrine >= lay.latrines.attributes["people_served"]).all()
    assert s.health_posts >= math.ceil(s.people / p.people_per_health_post)
    assert s.distribution_points >= math.ceil(s.people / p.people_per_distribution_point)
    assert all(v for k, v in s.standards_met.items() if k != "capacity"), s.standards_met
    assert s.standards_met["capacity"] == (s.shortfall == 0)


def test_square_slot_count_by_hand() -> None:
    lay = generate_layout(SQUARE, 10_000, PINNED)
    # A 10 m perimeter setback leaves 980 m x 980 m. Along x, a block is 4 communities of 4 plots with 3 m
    # paths: 4*48 + 3*3 = 201 m; 201 + 10 + 201 > 300 so a 30 m firebreak follows each block: 231 m per
    # 16 columns. 4 * 231 = 924 m -> 64 columns; 56 m left: one community (48 m) -> 68 columns.
    # Along y, a community is 2 rows + 3 m path + 2 rows = 51 m; a block 4*51 + 3*3 = 213 m, + 30 m firebreak
    # = 243 m per 16 rows. 4 * 243 = 972 m -> 64 rows; 8 m left -> none. 68 * 64 = 4352 slots.
    assert lay.summary.slots == 68 * 64
    assert lay.summary.plots == 2000 and lay.summary.people == 10_000 and lay.summary.shortfall == 0
    assert lay.summary.plot_side_m == 12.0
    assert lay.summary.max_built_up_run_m == 213.0
    # every block is a full 16-community block or a cut one, and all plots of a community stay together
    assert (lay.blocks.attributes["communities"] <= 16).all()
    assert lay.blocks.attributes["plots"].sum() == 2000
    assert_geometry_ok(lay, SQUARE)
    assert_standards_by_brute_force(lay, PINNED)


def test_square_10k_standards(square_10k: CampLayout) -> None:
    s = square_10k.summary
    assert s.plots == 2000 and s.people == 10_000 and s.people_requested == 10_000 and s.shortfall == 0
    assert s.taps >= 40 and s.latrines >= 200 and s.health_posts == 1 and s.distribution_points >= 2
    assert s.covered_m2_per_person == 3.5
    assert s.gross_m2_per_person >= 45.0
    assert_geometry_ok(square_10k, SQUARE)
    assert_standards_by_brute_force(square_10k, LayoutParams())


def test_plot_side_derived_from_45_m2() -> None:
    p = LayoutParams()
    side = plot_side_m(p)
    # a plot must hold the family shelter (3.5 m²/person x 5) plus the 2 m gap between structures
    assert side >= math.sqrt(17.5) + 2.0
    # a full site built at that size gives at least 45 m² of ground per person
    lay = generate_layout(SQUARE, 10**6, p)
    assert lay.summary.shortfall > 0
    assert lay.summary.gross_m2_per_person >= 45.0
    assert lay.summary.standards_met["site_area"]
    assert plot_side_m(LayoutParams(plot_area_m2=200.0)) == pytest.approx(math.sqrt(200.0))


@pytest.mark.parametrize("name,site", [("L", L_SHAPE), ("holed", HOLED), ("multi", MULTI)])
def test_irregular_sites(name: str, site: shapely.Geometry) -> None:
    lay = generate_layout(site, 6_000, LayoutParams(), site_id=name)
    assert lay.summary.people == 6_000
    assert_geometry_ok(lay, site)
    assert_standards_by_brute_force(lay, LayoutParams())
    if name == "L":  # nothing in the notch
        notch = shapely.box(400, 400, 1000, 1000)
        assert not shapely.intersects(notch, shapely.buffer(lay.plots.geometry, -1e-6)).any()
    if name == "holed":
        hole = shapely.Polygon(HOLED.interiors[0])
        assert not shapely.intersects(hole, shapely.buffer(lay.plots.geometry, -1e-6)).any()
    if name == "multi":  # a full multi-part site uses both parts
        full = generate_layout(site, 10**6, LayoutParams())
        for part in site.geoms:
            assert shapely.covers(part, full.plots.geometry).any()


def test_no_build_areas_are_kept_clear() -> None:
    shore = shapely.LineString([(0, 600), (1000, 700)])
    lay = generate_layout(SQUARE, 10**6, LayoutParams(no_build_buffer_m=25.0), no_build=[shore])
    assert_geometry_ok(lay, SQUARE, no_build=shore.buffer(25.0))
    full = generate_layout(SQUARE, 10**6, LayoutParams())
    assert lay.summary.capacity < full.summary.capacity
    everything = generate_layout(SQUARE, 100, LayoutParams(), no_build=[SQUARE.buffer(5)])
    assert everything.summary.people == 0 and everything.summary.shortfall == 100
    assert "no-build" in everything.summary.notes[0]


def test_capacity_truth() -> None:
    p = LayoutParams()
    cap = layout_capacity(L_SHAPE, p)
    assert cap > 0 and cap % p.household_size == 0
    over = generate_layout(L_SHAPE, cap + 5_000, p)
    s = over.summary
    assert s.people == cap == s.capacity
    assert s.people == s.plots * p.household_size
    assert s.shortfall == 5_000 and not s.standards_met["capacity"]
    assert any("have no plot" in n for n in s.notes)
    exact = generate_layout(L_SHAPE, cap, p)
    assert exact.summary.shortfall == 0 and exact.summary.people == cap
    assert_standards_by_brute_force(over, p)
    # fewer people use fewer slots, and a part-full last plot is counted as it is
    small = generate_layout(L_SHAPE, 1_003, p)
    assert small.summary.people == 1_003 and small.summary.plots == 201
    assert sorted(set(small.plots.attributes["people"].tolist())) == [3, 5]


def test_mean_household_size_gives_whole_people() -> None:
    """A mean household of 5.6 (the Rafah example): plots hold 5 or 6 people, floor(k * 5.6) after k plots, and a
    full site holds a whole number of people (an ensemble member's full site held 1959.9999999999998 and stopped)."""
    p = LayoutParams(household_size=5.6)
    cap = layout_capacity(L_SHAPE, p)
    over = generate_layout(L_SHAPE, int(cap) + 5_000, p)
    s = over.summary
    people = over.plots.attributes["people"]
    assert isinstance(s.people, int) and s.people == math.floor(s.plots * 5.6 + 1e-9)
    assert int(people.sum()) == s.people and set(people.tolist()) <= {5, 6}
    # by hand: 20 people in ceil(20 / 5.6) = 4 plots of 5, 6, 5, 4 (floor(5.6) = 5, floor(11.2) = 11, floor(16.8) = 16)
    small = generate_layout(L_SHAPE, 20, p)
    assert small.summary.people == 20 and small.plots.attributes["people"].tolist() == [5, 6, 5, 4]


def test_random_polygons_property() -> None:
    rng = np.random.default_rng(7)
    p = LayoutParams()
    for k in range(3):
        n = 14
        ang = np.sort(rng.uniform(0, 2 * np.pi, n))
        r = rng.uniform(250, 650, n)
        site = shapely.Polygon(np.c_[r * np.cos(ang), r * np.sin(ang)])
        if not site.is_valid:
            site = shapely.make_valid(site)
        nb = shapely.Point(rng.uniform(-100, 100, 2)).buffer(60)
        lay = generate_layout(site, int(rng.integers(2_000, 40_000)), p, no_build=[nb], site_id=f"r{k}")
        assert_geometry_ok(lay, site, no_build=nb)
        assert_standards_by_brute_force(lay, p)


def test_euclidean_metric_and_unhcr_distance() -> None:
    p = LayoutParams(distance_metric="euclidean", max_distance_to_water_m=100.0)
    lay = generate_layout(HOLED, 8_000, p)
    w_l2, _ = brute_max_distance(lay, lay.water_points.geometry)
    l_l2, _ = brute_max_distance(lay, lay.latrines.geometry)
    assert w_l2 <= 100.0 + 1e-6 and l_l2 <= 50.0 + 1e-6
    assert lay.summary.max_plot_to_water_m == pytest.approx(w_l2, abs=0.01)


def test_profiles() -> None:
    sphere = params_for_profile("sphere-2018")
    assert (sphere.people_per_latrine, sphere.people_per_tap, sphere.max_distance_to_water_m) == (50, 250, 500)
    assert sphere.firebreak_width_m == 30 and sphere.household_size == 5
    unhcr = params_for_profile("unhcr-emergency", household_size=6)
    assert unhcr.max_distance_to_water_m == 100 and unhcr.firebreak_width_m == 50 and unhcr.household_size == 6
    with pytest.raises(InputError) as e:
        params_for_profile("nonsense")
    assert e.value.problems[0].field == "profile"


def test_too_small_and_too_thin_give_zero_not_a_crash() -> None:
    for site in (shapely.box(0, 0, 15, 15), shapely.box(0, 0, 2000, 25)):
        lay = generate_layout(site, 500)
        s = lay.summary
        assert (s.people, s.plots, s.shortfall, s.capacity) == (0, 0, 500, 0)
        assert "too small or too thin" in s.notes[0]
        assert all(len(lay.layer(name)) == 0 for name in LAYERS)


def test_bad_input_names_every_problem() -> None:
    with pytest.raises(InputError) as e:
        generate_layout(shapely.LineString([(0, 0), (1, 1)]), -3, site_id="s7", source="sites.geojson")
    fields = {(p.file, p.feature, p.field) for p in e.value.problems}
    assert fields == {("sites.geojson", "s7", "geometry"), ("sites.geojson", "s7", "people")}
    with pytest.raises(InputError, match="empty or degenerate"):
        generate_layout(shapely.Polygon([(0, 0), (1, 1), (2, 2), (0, 0)]), 10)
    with pytest.raises(InputError) as e:
        generate_layout(SQUARE, 10, LayoutParams(people_per_tap=0, latrine_female_share=1.5))
    assert {p.field for p in e.value.problems} == {"people_per_tap", "latrine_female_share"}
    # an invalid (bow-tie) polygon is repaired and says so
    bowtie = shapely.Polygon([(0, 0), (600, 600), (600, 0), (0, 600), (0, 0)])
    lay = generate_layout(bowtie, 100)
    assert lay.summary.people == 100 and "repaired" in lay.summary.notes[0]


def test_geopackage_round_trip(tmp_path, square_10k: CampLayout) -> None:
    other = generate_layout(MULTI, 3_000, site_id="multi")
    tiny = generate_layout(shapely.box(0, 0, 5, 5), 10, site_id="tiny")
    out = tmp_path / "layout.gpkg"
    write_layout_gpkg([square_10k, other, tiny], out, UTM)
    assert [p.name for p in tmp_path.iterdir()] == ["layout.gpkg"]  # no temp file left behind
    layers = dict(pyogrio.list_layers(out))
    assert set(layers) == set(LAYERS)
    for name in LAYERS:
        meta, _, geom, data = pyogrio.raw.read(out, layer=name)
        fields = list(meta["fields"])
        assert "site_id" in fields
        site_ids = data[fields.index("site_id")]
        assert len(geom) == len(square_10k.layer(name)) + len(other.layer(name))
        assert set(site_ids) <= {"sq", "multi"}
        assert meta["crs"] == "EPSG:4326"
        lonlat = shapely.get_coordinates(shapely.from_wkb(geom))
        assert (np.abs(lonlat[:, 0]) <= 180).all() and (np.abs(lonlat[:, 1]) <= 90).all()
    meta, _, _, data = pyogrio.raw.read(out, layer="plots")
    people = data[list(meta["fields"]).index("people")]
    assert people.sum() == 10_000 + 3_000


def test_cli_layout(tmp_path) -> None:
    from reliefplan.cli import app

    x, y = 34.25, 31.30
    site = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": "camp-a",
                "properties": {},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[x, y], [x + 0.006, y], [x + 0.006, y + 0.006], [x, y + 0.006], [x, y]]],
                },
            }
        ],
    }
    path = tmp_path / "site.geojson"
    path.write_text(json.dumps(site))
    out = tmp_path / "layout.gpkg"
    res = CliRunner().invoke(app, ["layout", str(path), "--people", "5000", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "camp-a" in res.output and out.exists()
    meta, _, _, data = pyogrio.raw.read(out, layer="plots")
    assert set(data[list(meta["fields"]).index("site_id")]) == {"camp-a"}

    bad = tmp_path / "line.geojson"
    bad.write_text(
        json.dumps(
            {
                "type": "Feature",
                "id": 3,
                "properties": {},
                "geometry": {"type": "LineString", "coordinates": [[x, y], [x + 0.01, y]]},
            }
        )
    )
    res = CliRunner().invoke(app, ["layout", str(bad), "--people", "10", "--out", str(out)])
    assert res.exit_code == 2
    with pytest.raises(InputError) as e:
        load_site_polygon(bad)
    assert (e.value.problems[0].feature, e.value.problems[0].field) == ("3", "geometry")
