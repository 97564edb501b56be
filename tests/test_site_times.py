"""Walking times at national scale (issue 24): sparse, from the sites, cut off, on Dask; same results as before."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from conftest import EXAMPLE

from reliefplan.pipeline import shelter
from reliefplan.scenario.folder import load_scenario
from reliefplan.solvers import network as rn
from reliefplan.solvers.site_times import GroupTimes, group_straight_times, group_times
from reliefplan.solvers.siting import ArcCosts, SitingInstance, solve_siting
from reliefplan.stages.capacity import site_capacity
from reliefplan.stages.displacement import displace

# The example's figures measured with the code before issue 24 (dense matrices over every zone's sample
# points; commit 23f6e56), layouts and evacuation off so that the test stays fast.
BEFORE = {
    "targeted": dict(
        displaced=137375,
        sheltered=137375,
        unsheltered=0,
        objective=2063122617.5520334,
        person_s=2063122617.5520337,
        flows=38,
        open=32,
        time_sum_moving=17259146.064802714,
        time_max_moving=39615.47879727407,
        distance_sum_moving=14376885.83565101,
        penalty=396154.78797274065,
        mean_origin_snap_m=1374.2055164993437,
    ),
    "full": dict(
        displaced=1400000,
        sheltered=761003,
        unsheltered=638997,
        objective=274452813665.0275,
        person_s=13149871900.080383,
        flows=136,
        open=93,
        time_sum_moving=98815804.42393894,
        time_max_moving=40892.671133815515,
        distance_sum_moving=82313540.65188777,
        penalty=408926.71133815515,
        mean_origin_snap_m=1374.2062344287444,
    ),
}


@pytest.mark.parametrize("name", ["targeted", "full"])
def test_example_key_figures_unchanged(name):
    sc = load_scenario(EXAMPLE, name)
    sc.layout.enabled = False
    sc.evacuation.enabled = False
    sh = shelter(sc)
    want = BEFORE[name]
    a, t, dist = sh.alloc, sh.times.time_s, sh.times.distance_m
    moving = np.flatnonzero(sh.displacement.displaced > 0)
    assert (sh.people.displaced, sh.people.sheltered, sh.people.unsheltered) == (
        want["displaced"],
        want["sheltered"],
        want["unsheltered"],
    )
    assert a.siting.status == "optimal"
    assert a.siting.objective == pytest.approx(want["objective"], rel=1e-12)
    assert float((a.people * t[a.zone, a.site]).sum()) == pytest.approx(want["person_s"], rel=1e-12)
    assert (len(a.people), len(a.siting.open_ids)) == (want["flows"], want["open"])
    assert a.unmet_penalty_per_person_s == pytest.approx(want["penalty"], rel=1e-12)
    assert float(t[moving].sum()) == pytest.approx(want["time_sum_moving"], rel=1e-12)
    assert float(t[moving].max()) == pytest.approx(want["time_max_moving"], rel=1e-12)
    assert float(np.nansum(dist[moving])) == pytest.approx(want["distance_sum_moving"], rel=1e-12)
    assert sh.times.network["origin_sample_points"] == 199  # every zone's sample points, as before
    assert sh.times.network["mean_origin_snap_m"] == pytest.approx(want["mean_origin_snap_m"], rel=1e-12)
    # only the zones whose people move are computed
    assert set(np.unique(sh.times.pairs.group)) <= set(moving)


@pytest.fixture(scope="module")
def rafah_full():
    sc = load_scenario(EXAMPLE, "full")
    d = displace(sc.zones, sc.footprints, sc.crs)
    cap = site_capacity(sc.sites, sc.footprints, sc.standards)
    xy, zone = rn.zone_sample_points(d.displaced_part_m)
    net = rn.build_network(sc.roads, mode="walk", crs=sc.crs, closures=sc.closures)
    return sc, net, xy, zone, cap.point_xy


def _reference(net, xy, zone, n_zones, site_xy, groups, max_mean_s):
    """The dense path: one matrix over every sample point, averaged per zone, cut by the mean."""
    agg = rn.aggregate_origins(rn.travel_time_matrix(net, xy, site_xy, max_snap_m=None), zone, n_zones)
    return GroupTimes.from_dense(agg.time_s, agg.distance_m, max_mean_s=max_mean_s, groups=groups).dense()


@pytest.mark.parametrize("limit_h", [None, 1.0, 3.0, 6.0])
@pytest.mark.parametrize("zones", [slice(0, 50), slice(40, 44)])  # from the sites / from the origin points
def test_group_times_equal_the_dense_matrix_to_the_bit(rafah_full, limit_h, zones):
    sc, net, xy, zone, site_xy = rafah_full
    groups = np.arange(len(sc.zones))[zones]
    sel = np.isin(zone, groups)
    limit = None if limit_h is None else limit_h * 3600.0
    got = group_times(net, xy[sel], zone[sel], len(sc.zones), site_xy, max_mean_s=limit)
    t, d = got.dense()
    ref_t, ref_d = _reference(net, xy, zone, len(sc.zones), site_xy, groups, limit)
    assert np.array_equal(t, ref_t)
    assert np.array_equal(d, ref_d, equal_nan=True)
    assert len(got) == np.isfinite(ref_t).sum()


def test_undecided_pairs_are_recomputed_without_the_cutoff(rafah_full):
    """With no slack beyond the limit, many zone means cannot be decided from the cut trees: the result is
    still exactly the dense one."""
    sc, net, xy, zone, site_xy = rafah_full
    limit = 3.0 * 3600.0
    got = group_times(net, xy, zone, len(sc.zones), site_xy, max_mean_s=limit, spread_s=0.0)
    ref_t, ref_d = _reference(net, xy, zone, len(sc.zones), site_xy, None, limit)
    t, d = got.dense()
    assert np.array_equal(t, ref_t) and np.array_equal(d, ref_d, equal_nan=True)


def test_straight_line_fallback_equals_the_dense_one():
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 20_000, (300, 2))
    zone = np.sort(rng.integers(0, 40, 300))
    sites = rng.uniform(0, 20_000, (17, 2))
    tt = rn.straight_line_matrix(xy, sites, speed_m_s=0.8, circuity=1.3)
    agg = rn.aggregate_origins(tt, zone, 40)
    for limit in (None, 4 * 3600.0):
        got = group_straight_times(xy, zone, 40, sites, speed_m_s=0.8, circuity=1.3, max_mean_s=limit).dense()
        ref = GroupTimes.from_dense(agg.time_s, agg.distance_m, max_mean_s=limit).dense()
        assert np.array_equal(got[0], ref[0]) and np.array_equal(got[1], ref[1], equal_nan=True)


def test_lookup_and_dense_agree():
    g = GroupTimes(
        group=np.array([0, 0, 2]),
        destination=np.array([1, 3, 0]),
        time_s=np.array([5.0, 6.0, 7.0]),
        distance_m=np.array([1.0, 2.0, 3.0]),
        n_groups=3,
        n_destinations=4,
    )
    t, d = g.lookup(np.array([0, 2, 1, 0]), np.array([3, 0, 0, 0]))
    assert list(t) == [6.0, 7.0, np.inf, np.inf] and list(d[:2]) == [2.0, 3.0] and np.isnan(d[2:]).all()
    dense_t, _ = g.dense()
    assert dense_t[0, 1] == 5.0 and np.isinf(dense_t[1]).all()
    assert g.rows(0) == slice(0, 2) and g.rows(1) == slice(2, 2)


def _old_zone_sample_points(polys, spacing_m=500.0, max_points=25):
    """The loop the vectorised sampler replaced (reference)."""
    out_xy, out_zone = [], []
    for z, poly in enumerate(polys):
        x0, y0, x1, y1 = shapely.bounds(poly)
        gx = np.arange(x0 + spacing_m / 2, x1, spacing_m)
        gy = np.arange(y0 + spacing_m / 2, y1, spacing_m)
        pts = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2) if len(gx) and len(gy) else np.empty((0, 2))
        if len(pts):
            pts = pts[shapely.contains_xy(poly, pts[:, 0], pts[:, 1])]
        if len(pts) > max_points:
            pts = pts[np.linspace(0, len(pts) - 1, max_points).round().astype(int)]
        if len(pts) == 0:
            p = shapely.point_on_surface(poly)
            pts = np.array([[p.x, p.y]])
        out_xy.append(pts)
        out_zone.append(np.full(len(pts), z))
    return np.vstack(out_xy), np.concatenate(out_zone)


def test_vectorised_sample_points_equal_the_loop():
    rng = np.random.default_rng(1)
    polys = []
    for _ in range(400):  # from tiny (no grid point) to large (thinned to 25) and concave
        c = rng.uniform(-1e6, 1e6, 2) + 5e5
        r = rng.uniform(50, 6000)
        ang = np.sort(rng.uniform(0, 2 * np.pi, rng.integers(3, 12)))
        rad = r * rng.uniform(0.3, 1, len(ang))
        polys.append(
            shapely.make_valid(shapely.Polygon(np.column_stack([c[0] + rad * np.cos(ang), c[1] + rad * np.sin(ang)])))
        )
    polys = np.array(polys, dtype=object)
    for spacing in (500.0, 137.3):
        xy, zone = rn.zone_sample_points(polys, spacing_m=spacing)
        ref_xy, ref_zone = _old_zone_sample_points(polys, spacing)
        assert np.array_equal(xy, ref_xy) and np.array_equal(zone, ref_zone)


def test_sparse_costs_solve_like_the_dense_matrix():
    """Opening costs (Lagrangian/MILP path) and the transportation path: same plan from ArcCosts."""
    rng = np.random.default_rng(7)
    n_c, n_f = 60, 12
    unit = rng.uniform(100, 5000, (n_c, n_f))
    unit[rng.random((n_c, n_f)) < 0.4] = np.inf
    demand = rng.integers(50, 400, n_c).astype(float)
    cost = unit * demand[:, None]
    i, j = np.nonzero(np.isfinite(cost))
    for fixed in (np.zeros(n_f), rng.uniform(1e5, 5e5, n_f)):
        common = dict(
            facility_ids=[f"f{k}" for k in range(n_f)],
            capacity=rng.uniform(900, 3000, n_f).round(),
            fixed_cost=fixed,
            client_ids=[f"c{k}" for k in range(n_c)],
            demand=demand,
            unmet_penalty=5e4,
        )
        dense = solve_siting(SitingInstance(cost=cost, allowed=np.isfinite(cost), **common), time_limit_s=20)
        shuffled = rng.permutation(len(i))  # any order of pairs
        arcs = solve_siting(
            SitingInstance(cost=ArcCosts(i[shuffled], j[shuffled], cost[i, j][shuffled]), **common), time_limit_s=20
        )
        assert arcs.objective == pytest.approx(dense.objective, rel=1e-9)
        assert arcs.status == dense.status == "optimal"
        assert list(arcs.open_ids) == list(dense.open_ids)


def test_sparse_costs_are_validated():
    from reliefplan._errors import InputError

    inst = SitingInstance(
        facility_ids=["a", "b"],
        capacity=np.ones(2),
        fixed_cost=np.zeros(2),
        client_ids=["c"],
        demand=np.ones(1),
        cost=ArcCosts(np.array([0, 0]), np.array([1, 1]), np.array([1.0, 2.0])),
    )
    with pytest.raises(InputError, match="listed twice"):
        solve_siting(inst)
    inst = SitingInstance(
        facility_ids=["a"],
        capacity=np.ones(1),
        fixed_cost=np.zeros(1),
        client_ids=["c"],
        demand=np.ones(1),
        cost=ArcCosts(np.array([0]), np.array([3]), np.array([1.0])),
    )
    with pytest.raises(InputError, match="outside"):
        solve_siting(inst)


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_dask_cluster_gives_the_local_result(rafah_full, dask_client):
    """Site batches on a Dask LocalCluster (2 worker processes): identical pairs."""
    sc, net, xy, zone, site_xy = rafah_full
    local = group_times(net, xy, zone, len(sc.zones), site_xy, max_mean_s=4 * 3600.0)
    remote = group_times(net, xy, zone, len(sc.zones), site_xy, max_mean_s=4 * 3600.0, client=dask_client)
    for a, b in (
        (local.group, remote.group),
        (local.destination, remote.destination),
        (local.time_s, remote.time_s),
        (local.distance_m, remote.distance_m),
    ):
        assert np.array_equal(a, b)


def test_plan_with_a_scheduler_equals_the_local_plan(tmp_path, dask_client):
    """`reliefplan plan --scheduler`: the walking times run on the cluster, the plan is the local one."""
    import json

    from conftest import add_north_road, write_scenario
    from typer.testing import CliRunner

    from reliefplan.cli import app

    folder = write_scenario(tmp_path / "sc", config={"layout": {"enabled": False}})
    add_north_road(folder)
    runner = CliRunner()
    local = runner.invoke(app, ["plan", str(folder), "--scenario", "main", "--out", str(tmp_path / "a")])
    remote = runner.invoke(
        app,
        [
            "plan",
            str(folder),
            "--scenario",
            "main",
            "--out",
            str(tmp_path / "b"),
            "--scheduler",
            dask_client.scheduler.address,
        ],
    )
    assert local.exit_code == 0 and remote.exit_code == 0, remote.output
    a, b = (json.loads((tmp_path / x / "plan.json").read_text()) for x in ("a", "b"))
    assert a["flows"] == b["flows"] and a["flows"] and a["network"]["fallback"] is False
    assert a["siting"]["objective"] == b["siting"]["objective"]


def test_plan_with_an_unreachable_scheduler_exits_2(tmp_path, monkeypatch):
    from conftest import write_scenario
    from typer.testing import CliRunner

    from reliefplan.cli import app
    from reliefplan.solvers import site_times

    monkeypatch.setattr(site_times, "SCHEDULER_TIMEOUT_S", 1.0)
    folder = write_scenario(tmp_path / "sc")
    got = CliRunner().invoke(
        app,
        ["plan", str(folder), "--scenario", "main", "--out", str(tmp_path / "out"), "--scheduler", "tcp://127.0.0.1:9"],
    )
    assert got.exit_code == 2 and "cannot reach the Dask scheduler" in got.output
    assert not (tmp_path / "out").exists()
