"""Overflow to zone land is a sparse zones x zones array: same people as the dense transportation result."""

import numpy as np
import scipy.sparse as sp
from conftest import fc, feat, square, write_scenario

from reliefplan.pipeline import run, shelter
from reliefplan.scenario.folder import load_scenario
from reliefplan.stages.overflow import Overflow, _transport, land_candidates

INF = np.inf


def test_transport_returns_the_hand_solved_pairs_sparse():
    # zones 0 and 2 have people without a place; zones 1 and 2 have room (4 and 10)
    demand = np.array([5, 0, 7])
    room = np.array([0, 4, 10])
    time_s = np.array([[0.0, 10.0, 100.0], [0.0, 0.0, 0.0], [0.0, 50.0, 20.0]])
    out = _transport(demand, room, time_s, ["a", "b", "c"])
    assert sp.issparse(out) and out.dtype == np.int64 and out.shape == (3, 3)
    # by hand: zone 0 fills zone 1's 4 places (10 s) and sends its fifth to zone 2 (100 s); zone 2's 7 stay near
    # (20 s): 40 + 100 + 140 = 280 person-seconds, the least; any swap with zone 2 costs more
    dense = np.array([[0, 4, 1], [0, 0, 0], [0, 0, 7]])
    assert (out.toarray() == dense).all()
    assert out.nnz == 3  # only the used pairs are stored


def test_transport_leaves_the_unreachable_and_the_excess_unassigned():
    demand = np.array([20, 3, 0])
    room = np.array([0, 4, 10])
    time_s = np.array([[0.0, 10.0, INF], [0.0, INF, 30.0], [0.0, 0.0, 0.0]])
    out = _transport(demand, room, time_s, ["a", "b", "c"])
    # zone 0 reaches only zone 1 (room 4): 16 stay; zone 1 reaches only zone 2 and fits
    assert (out.toarray() == np.array([[0, 4, 0], [0, 0, 3], [0, 0, 0]])).all()
    assert _transport(np.zeros(3, int), room, time_s, ["a", "b", "c"]).nnz == 0
    assert _transport(demand, np.zeros(3, int), time_s, ["a", "b", "c"]).nnz == 0


def test_overflow_totals_read_the_sparse_array_like_the_dense_one():
    dense = np.array([[0, 4, 1], [0, 0, 0], [2, 0, 7]], dtype=np.int64)
    to_site = np.array([[1, 0], [0, 2], [0, 0]], dtype=np.int64)
    inside = np.array([3, 0, 1], dtype=np.int64)
    ov = Overflow(
        policy="nearest_outside",
        max_density_per_km2=1.0,
        density_source="test",
        to_site=to_site,
        to_zone_land=sp.csr_array(dense),
        inside=inside,
        site_room=np.zeros(2, np.int64),
        zone_room=np.zeros(3, np.int64),
        zone_land_xy=np.zeros((3, 2)),
        zone_land_times=None,
    )
    assert (ov.by_zone_land == dense.sum(axis=0)).all() and ov.by_zone_land.shape == (3,)
    assert (ov.zone_land_by_zone == dense.sum(axis=1)).all() and ov.zone_land_by_zone.shape == (3,)
    assert ov.total == 3 + 14 + 4
    land = np.flatnonzero(ov.by_zone_land)  # the receiving zones' columns, as the movement stage reads them
    assert (ov.to_zone_land[:, land].toarray() == dense[:, land]).all()
    assert [(int(i), int(k)) for i, k in zip(*ov.to_zone_land.nonzero())] == list(zip(*np.nonzero(dense)))


def _overflow_scenario(tmp_path, zones, **extra):
    """Two small sites with residents, the footprint over zone A, overflow at 5,000 people/km2."""
    cfg = {
        "horizon_days": 4,
        "layout": {"enabled": False},
        "overflow": {"policy": "nearest_outside", "max_density_per_km2": 5000, "source": "test"},
        **extra,
    }
    sites = fc(
        [
            feat({"id": "S1", "usable_fraction": 0.2, "existing_population": 500}, square(0, 3)),
            feat({"id": "S2", "usable_fraction": 0.1, "existing_population": 500}, square(3, 3)),
        ]
    )
    return write_scenario(tmp_path, zones=zones, sites=sites, config=cfg)


def test_a_plan_with_overflow_on_zone_land_keeps_everyone(tmp_path):
    # zone A (in the footprint, 10,000) is displaced; zone B next door has 1,000 people staying on ~1.05 km2. At
    # 5,000 people/km2 the two sites' land cannot hold all of A's people without a camp place: the rest walk to B
    zones = fc(
        [feat({"id": "A", "population": 10000}, square(0, 0)), feat({"id": "B", "population": 1000}, square(1, 0))]
    )
    folder = _overflow_scenario(tmp_path, zones)
    plan = run(load_scenario(folder, "main")).plan
    p = plan.people
    assert p.overflow_on_zone_land > 0
    assert p.overflow_on_sites + p.overflow_on_zone_land + p.remaining_in_operation_area == p.unsheltered
    by_zone = {z.id: z for z in plan.zones}
    assert by_zone["A"].overflow_on_zone_land == p.overflow_on_zone_land and by_zone["B"].overflow_on_zone_land == 0
    land = [f for f in plan.flows if f.site.startswith("overflow:")]
    assert [(f.zone, f.site) for f in land] == [("A", "overflow:B")]
    assert land[0].people == p.overflow_on_zone_land and land[0].travel_time_s > 0
    # presence reads the sparse column of zone B's land: everyone is somewhere every day, overflow included
    pres = shelter(load_scenario(folder, "main")).presence
    assert (pres.people.sum(axis=(0, 1)) == p.in_plan).all()
    assert pres.totals["overflow"] == p.unsheltered


def test_zone_land_goes_only_to_the_nearest_candidates(tmp_path, monkeypatch):
    # as above, plus zone C (100 people) two squares east of B: with one candidate per zone (the nearest, B) the
    # rest of A's people remain in the operation area; with the default (every zone with room) C takes some
    zones = fc(
        [
            feat({"id": "A", "population": 10000}, square(0, 0)),
            feat({"id": "B", "population": 5100}, square(1, 0)),
            feat({"id": "C", "population": 100}, square(3, 0)),
        ]
    )
    folder = _overflow_scenario(tmp_path, zones, supply={"enabled": False})
    every = run(load_scenario(folder, "main")).plan.people
    monkeypatch.setattr(land_candidates, "__defaults__", (1,))
    nearest = run(load_scenario(folder, "main")).plan.people
    for p in (every, nearest):
        assert p.overflow_on_sites + p.overflow_on_zone_land + p.remaining_in_operation_area == p.unsheltered
    # ~450 are left after the sites' land; B holds ~1.05 km2 x 5,000 - 5,100 ~ 170, C ~ 5,170: only the default
    # reaches C and places everyone
    assert every.remaining_in_operation_area == 0
    assert 0 < nearest.overflow_on_zone_land < every.overflow_on_zone_land
    assert nearest.remaining_in_operation_area == every.overflow_on_zone_land - nearest.overflow_on_zone_land
    assert nearest.unsheltered == every.unsheltered
