"""Supply areas (issue 24): over supply.max_locations, locations are grouped by a stated rule; nobody vanishes."""

import numpy as np
import pytest
from conftest import fc, feat, square, write_scenario

from reliefplan.pipeline import run
from reliefplan.scenario.folder import GROUPS, load_scenario
from reliefplan.stages.overflow import land_candidates
from reliefplan.stages.presence import Presence
from reliefplan.stages.supply_areas import supply_areas

T = 3


def _presence() -> Presence:
    """8 zones on a line, 2 camps and one location abroad (not fed); people grow with the index."""
    zx = [0, 100, 900, 1500, 2100, 3000, 3100, 5000]
    ids = [f"zone:z{i}" for i in range(8)] + ["S1", "S2", "abroad:p"]
    kinds = ["zone"] * 8 + ["site", "site", "abroad"]
    xy = np.array([[x, 0.0] for x in zx] + [[200.0, 0.0], [4000.0, 0.0], [9000.0, 0.0]])
    G = len(GROUPS)
    people = np.zeros((11, G, T), dtype=np.int64)
    for k in range(11):
        people[k, k % G, :] = 10 * (k + 1)
    return Presence(
        location_ids=ids,
        kinds=kinds,
        xy=xy,
        groups=GROUPS,
        people=people,
        dependent=people * 0.5,
        arrivals=np.zeros(people.shape),
        totals={},
    )


def test_locations_within_the_budget_are_left_alone():
    pres = _presence()
    fed = np.array([k != "abroad" for k in pres.kinds])
    assert supply_areas(pres, fed, 10) is None  # 10 fed locations fit a budget of 10


def test_grouping_follows_the_rule_and_counts_everyone():
    pres = _presence()
    fed = np.array([k != "abroad" for k in pres.kinds])
    a = supply_areas(pres, fed, 5)
    assert a is not None
    # 2 camps <= 5 // 2: one area each, keeping their ids. The 8 zones get 3 areas: 1 km cells give 5 (x // 1000
    # = 0,0,0,1,2,3,3,5), 2 km cells give 3 (0,0,0,0,1,1,1,2)
    assert a.camp_cell_m is None and a.cell_m == 2000.0
    assert a.presence.location_ids[:2] == ["S1", "S2"]
    assert a.area_of.tolist() == [2, 2, 2, 2, 3, 3, 3, 4, 0, 1, -1]
    assert a.members.tolist() == [1, 1, 4, 3, 1]
    assert len(set(a.presence.location_ids)) == 5 and a.presence.kinds == ["site", "site", "zone", "zone", "zone"]
    # nobody vanishes: per group and day, areas hold exactly the fed locations' people
    assert (a.presence.people.sum(axis=0) == pres.people[fed].sum(axis=0)).all()
    assert a.presence.people[2].sum() == pres.people[:4].sum()
    assert np.allclose(a.presence.dependent.sum(axis=0), pres.dependent[fed].sum(axis=0))
    # central member: people-weighted centroid of zones 0-3 (10, 20, 30, 40 people at x 0, 100, 900, 1500) is
    # x = (0 + 2000 + 27000 + 60000) / 100 = 890: zone 2 (x 900)
    assert a.presence.xy[2].tolist() == [900.0, 0.0]
    # storage: each zone has one group and a constant count, so members' peaks sum to the area's peak
    assert np.allclose(a.storage_scale, 1.0)
    d = a.to_dict()
    assert d["locations"] == 10 and d["areas"] == 5 and d["cell_km"] == 2.0
    assert "disaggregated in proportion" in d["note"]
    assert d["members"] == {
        "S1": ["S1"],
        "S2": ["S2"],
        "area:zone:2km:0_0": ["zone:z0", "zone:z1", "zone:z2", "zone:z3"],
        "area:zone:2km:1_0": ["zone:z4", "zone:z5", "zone:z6"],
        "area:zone:2km:2_0": ["zone:z7"],
    }


def test_camps_are_grouped_beyond_half_the_budget():
    pres = _presence()
    fed = np.array([k != "abroad" for k in pres.kinds])
    a = supply_areas(pres, fed, 3)  # 2 camps > 3 // 2: camps share cells too (1 km: 2 cells > 1; 4 km: 1 cell)
    assert a is not None and a.camp_cell_m == 4000.0
    assert a.area_of[8] == a.area_of[9] == 0
    assert a.presence.location_ids[0].startswith("area:site:4km:")
    assert len(a.presence.location_ids) <= 3
    assert (a.presence.people.sum(axis=0) == pres.people[fed].sum(axis=0)).all()


def _grid_scenario(tmp_path, trucks: float, **supply):
    zones = fc(
        [
            feat({"id": f"Z{i}{j}", "population": 2000 + 100 * i + 10 * j}, square(i, j))
            for i in range(4)
            for j in range(4)
        ]
    )
    sites = fc([feat({"id": "S1", "usable_fraction": 1.0}, square(5, 5)), feat({"id": "S2"}, square(6, 0))])
    csv = f"id,name,lon,lat,trucks_per_day,payload_t\nKS,Kerem Shalom,34.27056,31.22083,{trucks},20\n"
    cfg = {"horizon_days": 6, "layout": {"enabled": False}, "supply": supply} if supply else {"horizon_days": 6}
    if not supply:
        cfg["layout"] = {"enabled": False}
    folder = write_scenario(tmp_path, zones=zones, sites=sites, entry_points=csv, config=cfg)
    return run(load_scenario(folder, "main")).plan


@pytest.mark.parametrize("trucks", [200, 8])
def test_a_grouped_plan_counts_everyone_and_says_how(tmp_path, trucks):
    whole = _grid_scenario(tmp_path / "w", trucks)
    grouped = _grid_scenario(tmp_path / "g", trucks, max_locations=10)
    assert whole.supply.areas is None and whole.supply.locations == 18  # 16 zones + 2 sites
    a = grouped.supply.areas
    assert a is not None and a.locations == 18 and grouped.supply.locations <= 10
    assert "supply.max_locations" in a.rule and "disaggregated in proportion to need" in a.note
    assert sorted(m for ms in a.members.values() for m in ms) == sorted(
        [f"zone:Z{i}{j}" for i in range(4) for j in range(4)] + ["S1", "S2"]
    )
    # everyone counted: the need is the same tonnes, group by group
    assert grouped.supply.required_t == pytest.approx(whole.supply.required_t, rel=1e-9)
    assert grouped.groups is not None and whole.groups is not None
    people = {g.group: g.people_max for g in grouped.groups.summary}
    assert people == {g.group: g.people_max for g in whole.groups.summary}
    short_w, short_g = sum(whole.supply.shortfall_t.values()), sum(grouped.supply.shortfall_t.values())
    if trucks == 200:
        assert short_w == pytest.approx(0, abs=1e-3) and short_g == pytest.approx(0, abs=1e-3)
    else:  # 160 t/day for ~30,000 people: short either way, by at least need - capacity
        req = sum(grouped.supply.required_t.values())
        assert short_g >= req - 160 * 6 - 1e-6 and short_g == pytest.approx(short_w, rel=0.05)
    # health per supply area, said so
    h = grouped.health
    assert h is not None and h.locations is not None and h.locations_note is not None
    assert 0 < len(h.locations) <= 10
    assert all(k.startswith("area:") or k in ("S1", "S2") for k in h.locations)
    assert "per supply area" in h.locations_note


def test_land_candidates_are_the_nearest_zones_with_room():
    xy = np.array([[0.0, 0], [1000, 0], [2000, 0], [3000, 0], [10000, 0]])
    left = np.array([5, 0, 0, 0, 0])
    room = np.array([0, 0, 3, 9, 9])
    i, d = land_candidates(xy, xy, left, room, k=2)
    assert i.tolist() == [0, 0] and d.tolist() == [2, 3]  # zone 4 (10 km) is third nearest: left out
    i, d = land_candidates(xy, xy, left, room, k=64)  # no more zones with room than k: all of them
    assert d.tolist() == [2, 3, 4]
    assert land_candidates(xy, xy, np.zeros(5, int), room)[0].size == 0
