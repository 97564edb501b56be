"""Roads → network → travel-time matrices, checked by hand and against networkx."""

from __future__ import annotations

import json
import math
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import shapely
from pyproj import CRS

from reliefplan._errors import InputError
from reliefplan.geo import WGS84, project
from reliefplan.outputs.files import write_long_csv
from reliefplan.scenario import roads as rr
from reliefplan.solvers import network as rn

UTM = CRS.from_epsg(32636)
X0, Y0 = 600_000.0, 3_460_000.0  # near Rafah, metres in UTM 36N
REPO = Path(__file__).resolve().parents[1]
SHARED_ROUTES = REPO.parent / "shared" / "data" / "gaza_geo" / "routes_ors"
EXAMPLE_ROADS = REPO / "examples" / "rafah-2024" / "roads_arterial.geojson"
WALK = rn.NetworkParams.default().walk_speed_m_s


def ll_lines(lines_xy: list[list[tuple[float, float]]]) -> np.ndarray:
    """Metric offsets from (X0, Y0) → WGS84 LineStrings."""
    geoms = np.array([shapely.LineString(np.asarray(c, dtype=float) + (X0, Y0)) for c in lines_xy], dtype=object)
    return project(geoms, UTM, WGS84)


def roads(lines_xy, **props) -> rn.RoadLines:
    return rn.RoadLines.from_geometry(ll_lines(lines_xy), **props)


def xy(*pts) -> np.ndarray:
    return np.asarray(pts, dtype=float) + (X0, Y0)


def write_geojson(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def line_feature(coords_xy, **props) -> dict:
    g = ll_lines([coords_xy])[0]
    return {"type": "Feature", "properties": props, "geometry": json.loads(shapely.to_geojson(g))}


# ------------------------------------------------------------------ hand calculations


def test_straight_road_walk_time_is_length_over_speed():
    net = rn.build_network(roads([[(0, 0), (1000, 0)]]), mode="walk", crs=UTM)
    tt = rn.travel_time_matrix(net, xy((0, 0)), xy((1000, 0), (400, 30)))
    assert tt.distance_m[0, 0] == pytest.approx(1000.0, abs=0.05)
    assert tt.time_s[0, 0] == pytest.approx(1000.0 / WALK, abs=0.05)
    # (400, 30) snaps to the node at (400, 0) (segments ≤ 50 m): 400 m on the road + 30 m leg
    assert tt.destination_snap_m[1] == pytest.approx(30.0, abs=1e-6)
    assert tt.distance_m[0, 1] == pytest.approx(430.0, abs=0.05)
    assert tt.time_s[0, 1] == pytest.approx(430.0 / WALK, abs=0.05)
    assert not tt.fallback and tt.method == "network"
    # a point onto itself is zero, not out to the node and back
    self_tt = rn.travel_time_matrix(net, xy((400, 30)), xy((400, 30)))
    assert self_tt.time_s[0, 0] == 0.0


def test_drive_speed_by_class_and_maxspeed():
    r = roads(
        [[(0, 0), (1000, 0)], [(1000, 0), (2000, 0)]], highway=["primary", "residential"], maxspeed_kmh=[np.nan, 36.0]
    )
    net = rn.build_network(r, mode="drive", crs=UTM)
    tt = rn.travel_time_matrix(net, xy((0, 0)), xy((1000, 0), (2000, 0)))
    primary = 1000 / (65 / 3.6)
    assert tt.time_s[0, 0] == pytest.approx(primary, abs=0.1)
    assert tt.time_s[0, 1] == pytest.approx(primary + 1000 / 10.0, abs=0.1)  # maxspeed 36 km/h = 10 m/s wins


def test_distance_follows_the_fastest_path_not_the_shortest():
    # short residential (25 km/h) 1 km vs a 1.6 km detour on primary (65 km/h)
    lines = [[(0, 0), (1000, 0)], [(0, 0), (0, 300), (1000, 300), (1000, 0)]]
    net = rn.build_network(roads(lines, highway=["residential", "primary"]), mode="drive", crs=UTM)
    tt = rn.travel_time_matrix(net, xy((0, 0)), xy((1000, 0)))
    assert tt.distance_m[0, 0] == pytest.approx(1600.0, abs=0.1)
    assert tt.time_s[0, 0] == pytest.approx(1600 / (65 / 3.6), abs=0.1)
    walk = rn.build_network(roads(lines, highway=["residential", "primary"]), mode="walk", crs=UTM)
    assert rn.travel_time_matrix(walk, xy((0, 0)), xy((1000, 0))).distance_m[0, 0] == pytest.approx(1000, abs=0.1)


def test_oneway_respected_for_drive_and_ignored_for_walk():
    # square loop 0→1→2→3→0 of 500 m sides; the bottom side (0→1) is one-way eastbound
    a, b, c, d = (0, 0), (500, 0), (500, 500), (0, 500)
    r = roads([[a, b], [b, c], [c, d], [d, a]], highway="primary", oneway=[1, 0, 0, 0])
    net = rn.build_network(r, mode="drive", crs=UTM)
    tt = rn.travel_time_matrix(net, xy(a, b), xy(a, b))
    v = 65 / 3.6
    assert tt.time_s[0, 1] == pytest.approx(500 / v, abs=0.1)
    assert tt.time_s[1, 0] == pytest.approx(1500 / v, abs=0.1)  # around the other three sides
    assert tt.distance_m[1, 0] == pytest.approx(1500, abs=0.1)
    walk = rn.build_network(r, mode="walk", crs=UTM)
    assert rn.travel_time_matrix(walk, xy(b), xy(a)).distance_m[0, 0] == pytest.approx(500, abs=0.1)
    # oneway = -1: traffic goes against the drawing
    r2 = roads([[a, b], [b, c], [c, d], [d, a]], highway="primary", oneway=[-1, 0, 0, 0])
    tt2 = rn.travel_time_matrix(rn.build_network(r2, mode="drive", crs=UTM), xy(a), xy(b))
    assert tt2.distance_m[0, 0] == pytest.approx(1500, abs=0.1)


def test_oneway_dead_end_is_not_strongly_connected_and_is_dropped():
    # a two-way road plus a one-way spur leaving it: cars can enter the spur but never leave
    r = roads([[(0, 0), (100, 0)], [(100, 0), (100, 100)]], highway="primary", oneway=[0, 1])
    net = rn.build_network(r, mode="drive", crs=UTM, params=rn.NetworkParams.default(max_segment_m=1000))
    assert net.n_nodes == 2 and net.dropped_nodes == 1 and net.dropped_component_sizes == (1,)
    assert net.summary()["dropped_links"] == 1
    walk = rn.build_network(r, mode="walk", crs=UTM, params=rn.NetworkParams.default(max_segment_m=1000))
    assert walk.n_nodes == 3 and walk.dropped_nodes == 0


def test_parallel_links_keep_the_fastest():
    r = roads([[(0, 0), (1000, 0)], [(0, 0), (1000, 0)]], highway=["residential", "primary"])
    net = rn.build_network(r, mode="drive", crs=UTM)
    tt = rn.travel_time_matrix(net, xy((0, 0)), xy((1000, 0)))
    assert tt.time_s[0, 0] == pytest.approx(1000 / (65 / 3.6), abs=0.1)


def test_capacities_by_width_class_and_override():
    r = roads(
        [[(0, 0), (100, 0)], [(0, 10), (100, 10)], [(0, 20), (100, 20)]],
        highway=["primary", "residential", "residential"],
        width_m=[np.nan, 4.0, np.nan],
        capacity_per_h=[np.nan, np.nan, 999.0],
    )
    p = rn.NetworkParams.default(max_segment_m=1000)
    walk = rn.build_network(r, mode="walk", crs=UTM, params=p)  # three separate lines: keeps one
    caps = {}
    for i in range(3):
        single = rn.RoadLines.from_geometry(
            r.geometry[i : i + 1],
            highway=r.highway[i : i + 1],
            width_m=r.width_m[i : i + 1],
            capacity_per_h=r.capacity_per_h[i : i + 1],
        )
        caps[i] = (
            rn.build_network(single, mode="walk", crs=UTM, params=p).link_capacity_per_h[0],
            rn.build_network(single, mode="drive", crs=UTM, params=p).link_capacity_per_h[0],
        )
    assert walk.dropped_component_sizes == (2, 2)
    assert caps[0] == (12 * 4500, 2 * 1800)  # primary: 12 m default width; 2 lanes per direction
    assert caps[1] == (4 * 4500, 1 * 1800)  # 4 m wide two-way: one lane per direction
    assert caps[2] == (999.0, 999.0)  # per-feature override
    assert walk.capacity_unit == "persons_per_h"


# ------------------------------------------------------------------ noding


def test_lines_crossing_at_a_shared_vertex_connect():
    r = roads([[(0, 0), (50, 0), (100, 0)], [(50, -50), (50, 0), (50, 50)]])
    net = rn.build_network(r, mode="walk", crs=UTM, params=rn.NetworkParams.default(max_segment_m=1000))
    assert net.dropped_nodes == 0 and net.n_nodes == 5
    tt = rn.travel_time_matrix(net, xy((0, 0)), xy((50, 50)))
    assert tt.distance_m[0, 0] == pytest.approx(100.0, abs=0.05)


def test_lines_crossing_without_shared_vertex_do_not_connect():
    # like an OSM bridge: geometries cross at (50, 0) but neither line has a vertex there
    r = roads([[(0, 0), (100, 0)], [(50, -60), (50, -30), (50, 60)]], highway="residential")
    p = rn.NetworkParams.default(max_segment_m=1000)
    net = rn.build_network(r, mode="walk", crs=UTM, params=p)
    # two components: the 3-node vertical line is kept, the 2-node horizontal one dropped and reported
    assert net.n_nodes == 3 and set(net.link_feature.tolist()) == {"1"}
    assert net.dropped_nodes == 2 and net.dropped_component_sizes == (2,) and net.dropped_links == 2
    with pytest.raises(InputError, match="outside the network's extent; a larger limit .*--max-snap-m"):
        rn.travel_time_matrix(net, xy((0, 0)), xy((50, -60)), max_snap_m=10)


# ------------------------------------------------------------------ against networkx


def _nx_graph(net: rn.Network) -> nx.DiGraph:
    g = nx.DiGraph()
    coo = net.graph_time_s.tocoo()
    length = net.graph_length_m.tocoo()
    for u, v, t, ln in zip(coo.row, coo.col, coo.data, length.data):
        g.add_edge(int(u), int(v), time=float(t), length=float(ln))
    return g


def _grid(n: int, step: float, rng: np.random.Generator):
    """n×n street grid; every line a street with a random class, some one-way."""
    lines, hw, ow = [], [], []
    classes = ["primary", "secondary", "tertiary", "residential"]
    for i in range(n):
        lines.append([(0, i * step), ((n - 1) * step, i * step)])
        lines.append([(i * step, 0), (i * step, (n - 1) * step)])
        hw += [classes[rng.integers(4)], classes[rng.integers(4)]]
        ow += [int(rng.random() < 0.2), int(rng.random() < 0.2)]
    # streets must share vertices at crossings: give every line all grid vertices
    full = []
    for c in lines:
        (x0, y0), (x1, y1) = c
        k = np.linspace(0, 1, n)
        full.append(list(zip(x0 + (x1 - x0) * k, y0 + (y1 - y0) * k)))
    return full, hw, ow


@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_grid_matrix_matches_networkx(mode):
    rng = np.random.default_rng(7)
    lines, hw, ow = _grid(8, 120.0, rng)
    r = roads(lines, highway=hw, oneway=ow)
    net = rn.build_network(r, mode=mode, crs=UTM)
    pts = net.node_xy[rng.choice(net.n_nodes, 12, replace=False)]
    dst = net.node_xy[rng.choice(net.n_nodes, 5, replace=False)]
    tt = rn.travel_time_matrix(net, pts, dst)  # 5 destinations < 12 origins: runs on the transposed graph
    tt2 = rn.travel_time_matrix(net, dst, pts)
    g = _nx_graph(net)
    on, dn = rn.snap(net, pts).node, rn.snap(net, dst).node
    for i, u in enumerate(on):
        times = nx.single_source_dijkstra_path_length(g, int(u), weight="time")
        for j, v in enumerate(dn):
            assert tt.time_s[i, j] == pytest.approx(times[int(v)], abs=0.2)
            path = nx.dijkstra_path(g, int(u), int(v), weight="time")
            plen = sum(g[a][b]["length"] for a, b in zip(path[:-1], path[1:]))
            if mode == "walk":  # uniform speed: fastest = shortest, unique length
                assert tt.distance_m[i, j] == pytest.approx(plen, abs=0.1)
            back = nx.single_source_dijkstra_path_length(g, int(v), weight="time")[int(u)]
            assert tt2.time_s[j, i] == pytest.approx(back, abs=0.2)
    # in drive mode distance is the length of *a* fastest path: its time must equal the optimum
    assert np.all(tt.distance_m >= 0)


def test_grid_drive_distance_is_consistent_with_a_fastest_path():
    rng = np.random.default_rng(3)
    lines, hw, _ = _grid(6, 200.0, rng)
    net = rn.build_network(roads(lines, highway=hw), mode="drive", crs=UTM)
    g = _nx_graph(net)
    nodes = rng.choice(net.n_nodes, 6, replace=False)
    tt = rn.travel_time_matrix(net, net.node_xy[nodes], net.node_xy[nodes])
    for i, u in enumerate(nodes):
        for j, v in enumerate(nodes):
            paths = list(nx.all_shortest_paths(g, int(u), int(v), weight="time")) if u != v else [[u]]
            lengths = [sum(g[a][b]["length"] for a, b in zip(p[:-1], p[1:])) for p in paths]
            assert min(lengths) - 0.1 <= tt.distance_m[i, j] <= max(lengths) + 0.1


@pytest.mark.skipif(not EXAMPLE_ROADS.exists(), reason="example roads not generated")
def test_example_network_matches_networkx():
    net = rn.build_network(rn.load_roads(EXAMPLE_ROADS), mode="drive")
    rng = np.random.default_rng(11)
    src = rng.choice(net.n_nodes, 4, replace=False)
    dst = rng.choice(net.n_nodes, 30, replace=False)
    tt = rn.travel_time_matrix(net, net.node_xy[src], net.node_xy[dst])
    g = _nx_graph(net)
    for i, u in enumerate(src):
        times = nx.single_source_dijkstra_path_length(g, int(u), weight="time")
        want = np.array([times[int(v)] for v in dst])
        np.testing.assert_allclose(tt.time_s[i], want, atol=0.5)  # ≤ 0.0005 s rounding per link


# ------------------------------------------------------------------ example vs openrouteservice


@pytest.mark.skipif(not (SHARED_ROUTES.exists() and EXAMPLE_ROADS.exists()), reason="shared data not present")
def test_example_routes_match_ors_summaries():
    net = rn.build_network(rn.load_roads(EXAMPLE_ROADS), mode="drive")
    errors = []
    for f in sorted(SHARED_ROUTES.glob("*.geojson")):
        if f.name == "jabalia-rafah.geojson":
            continue
        line = next(ft for ft in json.loads(f.read_text())["features"] if ft["geometry"]["type"] == "LineString")
        coords = np.asarray(line["geometry"]["coordinates"])[:, :2]
        wp = line["properties"]["way_points"]
        ends = rn.to_xy(coords[wp], net.crs)
        tt = rn.travel_time_matrix(net, ends, ends)
        for k, seg in enumerate(line["properties"]["segments"]):
            errors.append(tt.distance_m[k, k + 1] / 1000 / seg["distance"] - 1)
    errors = np.abs(errors)
    assert len(errors) == 15
    assert np.median(errors) < 0.005
    assert errors.max() < 0.10  # one leg takes a faster arterial than ORS chose (see README)


def test_example_file_is_attributed():
    fc = json.loads(EXAMPLE_ROADS.read_text())
    assert "OpenStreetMap" in fc["attribution"] and fc["license"] == "ODbL-1.0"
    assert "ARTERIAL-ONLY" in fc["description"]
    assert {f["properties"]["highway"] for f in fc["features"]} <= {"primary", "secondary", "residential", "track"}


# ------------------------------------------------------------------ OSM files

LON0, LAT0 = 34.25, 31.28
OSM_NODES = {
    1: (0, 0),
    2: (0.001, 0),
    3: (0.002, 0),
    4: (0.003, 0),
    5: (0.001, -0.001),
    6: (0.001, 0.001),
    7: (0.0025, -0.001),
    8: (0.0025, 0.001),
}


def _geod_m(*ids: int) -> float:
    """Geodesic length of the polyline through OSM_NODES ids (independent of reliefplan's projection)."""
    from pyproj import Geod

    ll = np.array([OSM_NODES[i] for i in ids]) + (LON0, LAT0)
    return float(Geod(ellps="WGS84").line_length(ll[:, 0], ll[:, 1]))


def _write_osm(path: Path) -> None:
    osmium = pytest.importorskip("osmium")
    from osmium.osm.mutable import Node, Way

    w = osmium.SimpleWriter(str(path))
    for nid, (dx, dy) in OSM_NODES.items():
        w.add_node(Node(id=nid, location=(LON0 + dx, LAT0 + dy), tags={}))
    w.add_way(Way(id=100, nodes=[1, 2, 3, 4], tags={"highway": "secondary", "maxspeed": "36"}))
    w.add_way(Way(id=101, nodes=[5, 2, 6], tags={"highway": "residential", "oneway": "yes"}))  # northbound only
    w.add_way(Way(id=102, nodes=[7, 8], tags={"highway": "primary", "bridge": "yes"}))  # crosses 100, no shared node
    w.add_way(Way(id=103, nodes=[6, 8], tags={"highway": "residential"}))
    w.add_way(Way(id=104, nodes=[7, 4], tags={"highway": "residential"}))
    w.add_way(Way(id=105, nodes=[5, 7], tags={"building": "yes"}))  # not a road
    w.close()


def _osm_xy(net, *ids):
    return rn.to_xy(np.array([OSM_NODES[i] for i in ids]) + (LON0, LAT0), net.crs)


@pytest.mark.parametrize("suffix", [".osm", ".osm.pbf"])
def test_osm_file_oneway_and_bridge(tmp_path, suffix):
    path = tmp_path / f"tiny{suffix}"
    _write_osm(path)
    r = rn.load_roads(path)
    ids = r.feature_id.tolist()
    assert sorted(ids) == ["w100", "w101", "w102", "w103", "w104"]
    assert r.oneway[ids.index("w101")] == 1 and r.highway[ids.index("w101")] == "residential"
    assert r.maxspeed_kmh[ids.index("w100")] == 36.0 and np.isnan(r.maxspeed_kmh[ids.index("w102")])

    net = rn.build_network(r, mode="drive")
    tt = rn.travel_time_matrix(net, _osm_xy(net, 3, 6), _osm_xy(net, 3, 6))
    assert tt.distance_m[0, 1] == pytest.approx(_geod_m(3, 2, 6), rel=2e-3)  # with the one-way
    assert tt.distance_m[1, 0] == pytest.approx(_geod_m(6, 8, 7, 4, 3), rel=2e-3)  # against it: round the loop
    # node 5 can only be left (one-way out): not strongly connected, dropped and reported
    assert net.dropped_nodes >= 1 and rn.snap(net, _osm_xy(net, 5)).distance_m[0] > 30
    # the 36 km/h maxspeed of way 100: 3→2 at 10 m/s, then 2→6 residential at 25 km/h
    assert tt.time_s[0, 1] == pytest.approx(_geod_m(3, 2) / 10 + _geod_m(2, 6) / (25 / 3.6), rel=2e-3)

    walk = rn.build_network(r, mode="walk")
    assert walk.dropped_nodes == 0  # pedestrians ignore oneway
    tw = rn.travel_time_matrix(walk, _osm_xy(walk, 3), _osm_xy(walk, 8, 5))
    # the bridge crosses way 100 between nodes 3 and 4 without a shared node: no shortcut (158 m) there
    assert tw.distance_m[0, 0] == pytest.approx(_geod_m(3, 2, 6, 8), rel=2e-3)
    assert tw.distance_m[0, 1] == pytest.approx(_geod_m(3, 2, 5), rel=2e-3)  # walking against the one-way


# ------------------------------------------------------------------ closures


def test_closures_close_and_slow():
    r = roads([[(0, 0), (1000, 0)], [(0, 0), (0, 500), (1000, 500), (1000, 0)]])
    box = project(shapely.box(X0 + 400, Y0 - 10, X0 + 600, Y0 + 10), UTM, WGS84)
    closed = rn.Closures(polygons=np.array([box]), time_factor=np.array([np.inf]))
    net = rn.build_network(r, mode="walk", crs=UTM, closures=closed)
    tt = rn.travel_time_matrix(net, xy((0, 0)), xy((1000, 0)))
    assert tt.distance_m[0, 0] == pytest.approx(2000, abs=0.1)  # detour around the closure
    assert net.closed_links > 0 and net.summary()["closed_links"] == net.closed_links
    slow = rr.closures_from_damage(np.array([box]), np.array([50.0]), count_for_double_time=50.0)
    net2 = rn.build_network(r, mode="walk", crs=UTM, closures=slow)
    tt2 = rn.travel_time_matrix(net2, xy((0, 0)), xy((1000, 0)))
    # 200 m of the direct road at half speed: 800 m + 2 × 200 m equivalent
    assert tt2.time_s[0, 0] == pytest.approx((800 + 400) / WALK, abs=0.5)
    assert tt2.distance_m[0, 0] == pytest.approx(1000, abs=0.1)


def test_load_closures_file(tmp_path):
    poly = project(shapely.box(X0, Y0, X0 + 100, Y0 + 100), UTM, WGS84)
    gj = json.loads(shapely.to_geojson(poly))
    path = write_geojson(
        tmp_path / "c.geojson",
        [
            {"type": "Feature", "properties": {"factor": 3}, "geometry": gj},
            {"type": "Feature", "properties": {"factor": None}, "geometry": gj},
        ],
    )
    c = rr.load_closures(path)
    assert c.time_factor.tolist() == [3.0, np.inf]
    bad = write_geojson(tmp_path / "b.geojson", [{"type": "Feature", "properties": {"factor": 0.5}, "geometry": gj}])
    with pytest.raises(InputError, match="feature 0, field 'factor'"):
        rr.load_closures(bad)


# ------------------------------------------------------------------ cutoff, unreachable, fallback


def test_cutoff_makes_pairs_unreachable_and_csv_cells_empty(tmp_path):
    net = rn.build_network(roads([[(0, 0), (1000, 0)]]), mode="walk", crs=UTM)
    tt = rn.travel_time_matrix(net, xy((0, 0)), xy((100, 0), (900, 0)), cutoff_s=500)
    assert tt.time_s[0, 0] == pytest.approx(100 / WALK, abs=0.01)
    assert math.isinf(tt.time_s[0, 1]) and math.isnan(tt.distance_m[0, 1])
    assert tt.reachable.tolist() == [[True, False]]
    out = tmp_path / "tt.csv"
    write_long_csv(out, tt, ["o"], ["near", "far"])
    assert out.read_text().splitlines() == [
        "origin_id,destination_id,distance_m,travel_time_s",
        "o,near,100.0,120.0",
        "o,far,,",
    ]


def test_straight_line_fallback():
    tt = rn.straight_line_matrix(
        np.array([[0.0, 0.0]]), np.array([[300.0, 400.0], [0.0, 0.0]]), speed_m_s=1.0, circuity=1.3
    )
    assert tt.fallback and tt.method == "straight_line"
    np.testing.assert_allclose(tt.distance_m, [[650.0, 0.0]])
    np.testing.assert_allclose(tt.time_s, [[650.0, 0.0]])
    assert rn.straight_line_matrix(np.zeros((1, 2)), np.ones((1, 2)), speed_m_s=1.0).circuity == 1.3
    s = rn.fallback_summary("walk")
    assert s["fallback"] is True and s["circuity"] == 1.3 and s["circuity_source"]


def test_summary_fields():
    net = rn.build_network(roads([[(0, 0), (1000, 0)]]), mode="walk", crs=UTM)
    s = net.summary()
    assert s["mode"] == "walk" and s["fallback"] is False and s["nodes"] == 21 and s["links"] == 40
    assert s["road_length_km"] == pytest.approx(1.0) and s["source"] == "roads"
    json.dumps(s)


# ------------------------------------------------------------------ bad input


def test_bad_road_files(tmp_path):
    empty = write_geojson(tmp_path / "empty.geojson", [])
    with pytest.raises(InputError, match="empty.geojson"):
        rn.load_roads(empty)
    pts = write_geojson(
        tmp_path / "points.geojson",
        [{"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [34.2, 31.3]}}],
    )
    with pytest.raises(InputError, match="not a road network"):
        rn.load_roads(pts)
    bad = write_geojson(
        tmp_path / "bad.geojson",
        [line_feature([(0, 0), (10, 0)], id="a", capacity="lots"), line_feature([(0, 0), (0, 10)], id="b", width=-3)],
    )
    with pytest.raises(InputError) as e:
        rn.load_roads(bad)
    msg = str(e.value)
    assert "feature a, field 'capacity'" in msg and "feature b, field 'width'" in msg
    (tmp_path / "junk.osm").write_text("this is not xml")
    with pytest.raises(InputError, match="junk.osm"):
        rn.load_roads(tmp_path / "junk.osm")
    with pytest.raises(InputError, match="not found"):
        rn.load_roads(tmp_path / "missing.geojson")


def test_no_usable_ways(tmp_path):
    foot = write_geojson(tmp_path / "foot.geojson", [line_feature([(0, 0), (10, 0)], highway="footway")])
    r = rn.load_roads(foot)
    rn.build_network(r, mode="walk", crs=UTM)
    with pytest.raises(InputError, match="no road usable for mode 'drive'"):
        rn.build_network(r, mode="drive", crs=UTM)
    with pytest.raises(InputError, match="unknown mode"):
        rn.build_network(r, mode="fly", crs=UTM)  # type: ignore[arg-type]


def test_bad_points(tmp_path):
    net = rn.build_network(roads([[(0, 0), (1000, 0)]]), mode="walk", crs=UTM)
    with pytest.raises(InputError) as e:
        rn.travel_time_matrix(net, xy((0, 0), (0, 9000)), xy((0, 0)), origin_ids=["ok", "far"])
    assert "origins, feature far" in str(e.value) and "feature ok" not in str(e.value)
    p = tmp_path / "p.csv"
    p.write_text("id,x,y\na,1,2\n")
    with pytest.raises(InputError, match="missing column"):
        rn.load_points(p)
    p.write_text("id,lon,lat\n#id,#geo+lon,#geo+lat\na,34.2,31.3\na,34.2,31.3\nb,east,31\nc,200,31\n")
    with pytest.raises(InputError) as e:
        rn.load_points(p)
    msg = str(e.value)
    assert "feature a, field 'id': duplicate id" in msg and "feature b, field 'lon/lat'" in msg and "feature c" in msg


def test_points_geojson(tmp_path):
    f = write_geojson(
        tmp_path / "p.geojson",
        [{"type": "Feature", "properties": {"id": "x"}, "geometry": {"type": "Point", "coordinates": [34.2, 31.3]}}],
    )
    pts = rn.load_points(f)
    assert pts.ids.tolist() == ["x"] and pts.lon_lat.tolist() == [[34.2, 31.3]]


# ------------------------------------------------------------------ CLI


def test_cli_travel_times(tmp_path):
    from typer.testing import CliRunner

    from reliefplan.cli import app

    road = write_geojson(tmp_path / "r.geojson", [line_feature([(0, 0), (1000, 0)], highway="primary")])
    lon_lat = project(shapely.points(xy((0, 0), (1000, 0))), UTM, WGS84)
    pts = tmp_path / "p.csv"
    pts.write_text("id,lon,lat\n" + "".join(f"{n},{g.x},{g.y}\n" for n, g in zip("ab", lon_lat)))
    out = tmp_path / "o.csv"
    res = CliRunner().invoke(app, ["travel-times", str(road), str(pts), "--mode", "walk", "--out", str(out)])
    assert res.exit_code == 0, res.output
    rows = out.read_text().splitlines()
    assert rows[0] == "origin_id,destination_id,distance_m,travel_time_s" and len(rows) == 5
    assert rows[2].startswith("a,b,1000.0,")
    assert json.loads(res.stdout)["nodes"] == 21
    res = CliRunner().invoke(app, ["travel-times", str(road), str(pts), "--mode", "fly"])
    assert res.exit_code == 2


def test_zone_samples_and_aggregation():
    big = shapely.box(X0, Y0 - 1000, X0 + 2000, Y0 + 1000)  # 2 km x 2 km → 16 grid points at 500 m
    small = shapely.box(X0 + 100, Y0 + 10, X0 + 150, Y0 + 40)  # too small for the grid
    pts, zone = rn.zone_sample_points(np.array([big, small]), spacing_m=500, max_points=25)
    assert np.bincount(zone).tolist() == [16, 1]
    assert shapely.contains_xy(small, *pts[zone == 1][0])
    net = rn.build_network(roads([[(0, 0), (2000, 0)]]), mode="walk", crs=UTM)
    tt = rn.travel_time_matrix(net, pts, xy((0, 0)))
    agg = rn.aggregate_origins(tt, zone, 2)
    assert agg.time_s.shape == (2, 1)
    assert agg.time_s[0, 0] == pytest.approx(tt.time_s[zone == 0, 0].mean())
    assert agg.distance_m[1, 0] == pytest.approx(tt.distance_m[zone == 1, 0][0])
    # unreachable samples are left out; a group with none reachable stays unreachable
    cut = rn.travel_time_matrix(net, pts, xy((0, 0)), cutoff_s=900)
    agg_cut = rn.aggregate_origins(cut, zone, 2)
    assert np.isfinite(agg_cut.time_s[1, 0])
    assert agg_cut.time_s[0, 0] == pytest.approx(cut.time_s[(zone == 0) & cut.reachable[:, 0], 0].mean())


def test_geopackage_in_a_metric_crs_with_multilines(tmp_path):
    import pyogrio.raw

    lines = np.array(
        [
            shapely.MultiLineString([[(X0, Y0), (X0 + 500, Y0)], [(X0 + 500, Y0), (X0 + 500, Y0 + 300)]]),
            shapely.Point(X0, Y0),
        ],
        dtype=object,
    )
    path = tmp_path / "roads.gpkg"
    pyogrio.raw.write(
        path,
        geometry=shapely.to_wkb(lines),
        field_data=[np.array(["primary", "primary"], dtype=object)],
        fields=["highway"],
        crs="EPSG:32636",
        geometry_type="Unknown",
        driver="GPKG",
    )
    r = rn.load_roads(path)
    assert len(r) == 2 and r.skipped_features == 1 and r.feature_id.tolist() == ["0", "0"]
    net = rn.build_network(r, mode="drive", crs=UTM)
    tt = rn.travel_time_matrix(net, xy((0, 0)), xy((500, 300)))
    assert tt.distance_m[0, 0] == pytest.approx(800, abs=0.1)


def test_empty_point_sets_and_leg_speed():
    net = rn.build_network(roads([[(0, 0), (1000, 0)]]), mode="drive", crs=UTM)
    assert rn.travel_time_matrix(net, np.empty((0, 2)), xy((0, 0))).time_s.shape == (0, 1)
    tt = rn.travel_time_matrix(net, xy((0, 100)), xy((1000, 0)), leg_speed_m_s=10.0)
    assert tt.time_s[0, 0] == pytest.approx(10.0 + 1000 / (25 / 3.6), abs=0.05)  # 'road' class: 25 km/h


@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_chain_contraction_changes_nothing(mode):
    rng = np.random.default_rng(5)
    lines, hw, ow = _grid(7, 150.0, rng)
    keep_line = rng.random(len(lines)) < 0.8
    lines = [ln for ln, k in zip(lines, keep_line) if k]
    r = roads(lines, highway=np.array(hw)[keep_line], oneway=np.array(ow)[keep_line])
    net = rn.build_network(r, mode=mode, crs=UTM)  # 50 m pieces: most nodes are pass-through
    lo, hi = net.node_xy.min(axis=0), net.node_xy.max(axis=0)
    pts = rng.uniform(lo, hi, size=(40, 2))
    dst = rng.uniform(lo, hi, size=(7, 2))
    for a, b in ((pts, dst), (dst, pts)):
        fast = rn.travel_time_matrix(net, a, b, max_snap_m=None)
        slow = rn.travel_time_matrix(net, a, b, max_snap_m=None, contract=False)
        np.testing.assert_array_equal(fast.time_s, slow.time_s)
        np.testing.assert_array_equal(fast.distance_m, slow.distance_m)
    w, _, _ = rn._lexicographic_graph(net.graph_time_s, net.graph_length_m, 0.001, 0.01)
    small, new_id = rn._contract_chains(w, np.zeros(net.n_nodes, dtype=bool))
    assert small.shape[0] < net.n_nodes / 2
