"""Displacement, site capacity and the first allocation against hand calculations and brute force."""

import numpy as np
import pytest
from conftest import fc, feat, square, write_scenario

from reliefplan._rounding import largest_remainder
from reliefplan.pipeline import make_plan
from reliefplan.scenario.folder import load_scenario
from reliefplan.stages.capacity import site_capacity
from reliefplan.stages.displacement import displace


def half_square(i, j):
    g = square(i, j)
    ring = g["coordinates"][0]
    x0, y0 = ring[0]
    x1 = (ring[0][0] + ring[1][0]) / 2
    y1 = ring[2][1]
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def test_area_weighted_share_and_start_days(tmp_path):
    fps = fc(
        [
            feat({"id": "west-half-A", "start_day": 0}, half_square(0, 0)),
            feat({"id": "all-A-later", "start_day": 3}, square(0, 0)),
            feat({"id": "B", "start_day": 5}, square(1, 0)),
        ]
    )
    sc = load_scenario(write_scenario(tmp_path / "s", footprints=fps), "main")
    d = displace(sc.zones, sc.footprints, sc.crs)
    assert d.displaced.tolist() == [10000, 10000]
    assert d.days.tolist() == [0, 3, 5]
    # zone A: west half leaves on day 0, the rest on day 3 (area-weighted: ~5,000 each)
    a0, a3, a5 = d.displaced_by_day[0]
    assert a0 + a3 == 10000 and a5 == 0 and abs(a0 - 5000) <= 5
    assert d.displaced_by_day[1].tolist() == [0, 0, 10000]
    assert d.start_day(0) == 0 and d.start_day(1) == 5


def test_people_outside_footprint_stay(tmp_path):
    fps = fc([feat({"id": "half"}, half_square(0, 0))])
    sc = load_scenario(write_scenario(tmp_path / "s", footprints=fps), "main")
    d = displace(sc.zones, sc.footprints, sc.crs)
    assert abs(int(d.displaced[0]) - 5000) <= 5 and d.displaced[1] == 0
    assert (d.displaced + d.staying == d.population).all()


def test_largest_remainder_conserves_and_caps():
    exact = np.array([0.5, 0.5, 0.5, 2.9])
    out = largest_remainder(exact, 4, cap=np.array([1, 0, 1, 3]))
    assert out.sum() == 4 and (out <= [1, 0, 1, 3]).all() and out[1] == 0


def test_site_capacity_hand_calculation(tmp_path):
    sites = fc(
        [
            feat({"id": "S1", "usable_fraction": 0.5}, square(0, 3)),
            feat({"id": "S2", "max_population": 1000, "existing_population": 400}, square(3, 3)),
            feat({"id": "S3", "existing_population": 10**6}, square(6, 3)),
            feat({"id": "S4-in-footprint"}, square(0, 0)),
        ]
    )
    sc = load_scenario(write_scenario(tmp_path / "s", sites=sites), "main")
    cap = site_capacity(sc.sites, sc.footprints, sc.standards)
    area1 = cap.area_m2[0]
    assert cap.capacity[0] == int(np.floor(area1 * 0.5 / 45))
    assert cap.capacity[1] == 600  # min(area/45, 1000) - 400 already there
    assert cap.capacity[2] == 0  # over-full already: no room, never negative
    assert cap.capacity[3] == 0 and cap.excluded_area_m2[3] == pytest.approx(cap.area_m2[3])


def test_overfull_scenario_reports_unsheltered_per_zone(tmp_path):
    fps = fc(
        [
            feat(
                {"id": "all"},
                {
                    "type": "Polygon",
                    "coordinates": [[[34.2, 31.2], [34.4, 31.2], [34.4, 31.29], [34.2, 31.29], [34.2, 31.2]]],
                },
            )
        ]
    )
    sites = fc([feat({"id": "tiny", "max_population": 1234}, square(0, 3))])
    plan = make_plan(load_scenario(write_scenario(tmp_path / "s", sites=sites, footprints=fps), "main"))
    assert plan.people.displaced == 20000
    assert plan.people.sheltered == 1234
    assert plan.people.sheltered + plan.people.unsheltered == plan.people.displaced
    assert sum(plan.unsheltered_by_zone.values()) == 20000 - 1234
    share = next(i for i in plan.verdict if i.indicator == "displaced_people_sheltered_share")
    assert share.met is False and share.severity == "critical"
    assert share.value == pytest.approx(1234 / 20000)


def test_siting_minimises_walking_and_respects_limits(tmp_path):
    # two zones displaced; S1 is near A, S2 far; S1 holds everyone -> everyone to S1 (optimal, exact)
    fps = fc(
        [
            feat(
                {"id": "AB"},
                {
                    "type": "Polygon",
                    "coordinates": [[[34.25, 31.28], [34.27, 31.28], [34.27, 31.29], [34.25, 31.29], [34.25, 31.28]]],
                },
            )
        ]
    )
    sites = fc([feat({"id": "S1"}, square(0, 2)), feat({"id": "S2"}, square(8, 8))])
    d = write_scenario(tmp_path / "s", sites=sites, footprints=fps)
    plan = make_plan(load_scenario(d, "main"))
    assert plan.siting.status == "optimal" and plan.siting.gap <= 1e-6
    assert {f.site for f in plan.flows} == {"S1"} and plan.people.sheltered == 20000
    # a 1.5-hour walking limit leaves S2 out of reach; S1 capped at 15,000 -> 5,000 unsheltered, explained per zone
    sites = fc([feat({"id": "S1", "max_population": 15000}, square(0, 2)), feat({"id": "S2"}, square(8, 8))])
    d = write_scenario(tmp_path / "t", sites=sites, footprints=fps, config={"siting": {"max_walk_h": 1.5}})
    plan = make_plan(load_scenario(d, "main"))
    assert plan.people.sheltered == 15000 and plan.people.unsheltered == 5000
    assert sum(plan.unsheltered_by_zone.values()) == 5000
    assert all(f.travel_time_s <= 5400 for f in plan.flows)


def test_vulnerable_group_gets_its_own_walking_limit(tmp_path):
    fps = fc([feat({"id": "A"}, square(0, 0))])
    sites = fc([feat({"id": "near", "max_population": 2000}, square(0, 1)), feat({"id": "far"}, square(0, 6))])
    cfg = {"siting": {"vulnerable_share": 0.2, "vulnerable_max_walk_h": 1.0}}
    plan = make_plan(load_scenario(write_scenario(tmp_path / "s", sites=sites, footprints=fps, config=cfg), "main"))
    vul = [f for f in plan.flows if f.group == "vulnerable"]
    assert sum(f.people for f in vul) == 2000 and all(f.site == "near" for f in vul)
    assert plan.people.sheltered + plan.people.unsheltered == plan.people.displaced == 10000
