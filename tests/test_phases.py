"""Phases (issue 21): sites that open, shrink or close on a date move their people again; people return home
after an operation ends on a declared return curve. Hand-calculated on the synthetic two-zone scenario: zone A
(10,000 people) is emptied on day 0 and goes to S1 (23,442 places); S2 has 11,721 places."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import write_scenario

from reliefplan._errors import InputError
from reliefplan.pipeline import make_plan, shelter
from reliefplan.scenario.folder import load_scenario

S1_PLACES, S2_PLACES = 23_442, 11_721


def _scenario(tmp_path: Path, phases: dict | None, horizon: int = 20):
    """The phase mechanics are tested with a siting that ignores the phases (people planned into a closing site);
    tests that name `siting` test the phase-aware siting."""
    cfg: dict = {"horizon_days": horizon}
    if phases is not None:
        cfg["phases"] = {"siting": "ignore", **phases}
    sc = load_scenario(write_scenario(tmp_path / "sc", config=cfg), "main")
    sc.layout.enabled = False
    sc.supply.enabled = False
    return sc


def _presence(tmp_path: Path, phases: dict | None, horizon: int = 20):
    return shelter(_scenario(tmp_path, phases, horizon)).presence


def _at(pres, loc: str, group: str) -> np.ndarray:
    return pres.people[pres.location_ids.index(loc), pres.group(group)]


def test_base_places_as_assumed(tmp_path):
    pres = _presence(tmp_path, None)
    assert pres.phases is None
    assert (_at(pres, "S1", "sheltered") == 10_000).all() and (_at(pres, "S2", "sheltered") == 0).all()
    sh = shelter(_scenario(tmp_path / "b", None))
    assert sh.capacity.capacity.tolist() == [S1_PLACES, S2_PLACES]


def test_site_closing_moves_its_people_to_the_next_site_with_room(tmp_path):
    pres = _presence(tmp_path, {"sites": [{"site": "S1", "closes_day": 5}]})
    assert _at(pres, "S1", "sheltered").tolist() == [10_000] * 5 + [0] * 15
    assert _at(pres, "S2", "sheltered").tolist() == [0] * 5 + [10_000] * 15
    s = pres.phases.summary()
    assert (s["redisplaced"], s["diverted"], s["lost_place"], s["returned"]) == (10_000, 0, 0, 0)
    assert s["redisplaced_by_day"][:6] == [0, 0, 0, 0, 0, 10_000]
    assert s["places_by_day"][4:6] == [S1_PLACES + S2_PLACES, S2_PLACES]
    # the re-displaced need shelter items again where they arrive (all aid-dependent in this scenario)
    s2 = pres.location_ids.index("S2")
    assert pres.arrivals[s2, pres.group("sheltered"), 5] == pytest.approx(10_000)


def test_shrink_without_room_elsewhere_leaves_people_without_a_place(tmp_path):
    # S1 closes on day 5 (all to S2), S2 keeps half its places from day 8: floor(11,721 / 2) = 5,860 keep a place
    pres = _presence(
        tmp_path, {"sites": [{"site": "S1", "closes_day": 5}, {"site": "S2", "shrinks": [{"day": 8, "share": 0.5}]}]}
    )
    assert _at(pres, "S2", "sheltered")[8:].tolist() == [5_860] * 12
    assert _at(pres, "S2", "overflow")[8:].tolist() == [4_140] * 12  # on S2's land, no place, not moved
    s = pres.phases.summary()
    assert (s["redisplaced"], s["lost_place"]) == (10_000, 4_140)
    assert s["places_by_day"][8] == 5_860


def test_site_opening_later_takes_nobody_before_it(tmp_path):
    pres = _presence(tmp_path, {"sites": [{"site": "S1", "opens_day": 3}]})
    assert _at(pres, "S1", "sheltered").sum() == 0  # diverted to S2 on day 0; nobody moved back
    assert (_at(pres, "S2", "sheltered") == 10_000).all()
    s = pres.phases.summary()
    assert (s["redisplaced"], s["diverted"]) == (0, 10_000)


def test_returns_follow_the_declared_curve(tmp_path):
    # the operation ends on day 10; 50 % back home 5 days later, linearly: 1,000 a day on days 11 .. 15
    pres = _presence(
        tmp_path, {"returns": [{"footprint": "op", "end_day": 10, "curve": {"days": [0, 5], "share": [0.0, 0.5]}}]}
    )
    home = _at(pres, "zone:A", "staying")
    assert home.tolist() == [0] * 11 + [1_000, 2_000, 3_000, 4_000, 5_000] + [5_000] * 4
    assert (_at(pres, "S1", "sheltered") + home == 10_000).all()
    assert pres.phases.summary()["returned"] == 5_000
    assert pres.phases.summary()["redisplaced"] == 0  # going home is not a re-displacement


@pytest.mark.parametrize(
    "phases",
    [
        {"sites": [{"site": "S1", "closes_day": 2}, {"site": "S2", "shrinks": [{"day": 4, "share": 0.3}]}]},
        {
            "sites": [
                {"site": "S2", "opens_day": 1, "closes_day": 6},
                {"site": "S1", "shrinks": [{"day": 3, "share": 0.2}]},
            ],
            "returns": [{"footprint": "op", "end_day": 5, "curve": {"days": [0, 2, 8], "share": [0.1, 0.4, 0.9]}}],
        },
        {
            "siting": "capacity_days",
            "min_stay_days": 3,
            "sites": [{"site": "S1", "closes_day": 2}, {"site": "S2", "shrinks": [{"day": 4, "share": 0.3}]}],
        },
    ],
)
def test_nobody_vanishes_under_phases(tmp_path, phases):
    pres = _presence(tmp_path, phases)
    assert (pres.people.sum(axis=(0, 1)) == 20_000).all() and (pres.people >= 0).all()
    assert (pres.dependent >= -1e-9).all()
    np.testing.assert_allclose(pres.dependent.sum(axis=(0, 1)), 20_000)  # everyone aid-dependent here


def test_an_earlier_closure_never_improves_coverage(tmp_path):
    """People with a camp place, summed over the days, never rise when S1 closes earlier (S2 half its places)."""

    def place_days(day: int) -> int:
        pres = _presence(
            tmp_path / str(day),
            {"sites": [{"site": "S1", "closes_day": day}, {"site": "S2", "shrinks": [{"day": 0, "share": 0.5}]}]},
        )
        kinds = np.array(pres.kinds)
        return int(pres.people[kinds == "site", pres.group("sheltered")].sum())

    got = [place_days(d) for d in (2, 6, 10, 15)]
    assert got == sorted(got) and got[0] < got[-1]


def test_plan_json_and_verdict(tmp_path):
    plan = make_plan(_scenario(tmp_path, {"sites": [{"site": "S1", "closes_day": 5}]}))
    assert plan.phases is not None and plan.phases.redisplaced == 10_000
    rows = {i.indicator: i for i in plan.verdict}
    assert rows["people_redisplaced_by_site_phases"].value == 10_000
    assert rows["people_redisplaced_by_site_phases"].met is False
    assert rows["people_lost_place_by_site_phases"].met is True
    assert make_plan(_scenario(tmp_path / "none", None)).phases is None


@pytest.mark.parametrize(
    "phases, field, words",
    [
        (
            {"returns": [{"footprint": "op", "end_day": 5, "curve": {"days": [0, 5], "share": [0.2, 1.2]}}]},
            "share",
            "[0, 1]",
        ),
        (
            {"returns": [{"footprint": "op", "end_day": 5, "curve": {"days": [0, 5], "share": [0.5, 0.2]}}]},
            "share",
            "must not decrease",
        ),
        (
            {"returns": [{"footprint": "op", "end_day": 25, "curve": {"days": [0], "share": [1]}}]},
            "phases.returns.0.end_day",
            "outside the horizon",
        ),
        (
            {"returns": [{"footprint": "op", "end_day": 0, "curve": {"days": [0], "share": [1]}}]},
            "phases.returns.0.end_day",
            "out of order",
        ),
        (
            {"returns": [{"footprint": "nope", "end_day": 3, "curve": {"days": [0], "share": [1]}}]},
            "phases.returns.0.footprint",
            "unknown footprint",
        ),
        ({"sites": [{"site": "S1", "opens_day": 6, "closes_day": 4}]}, "phases.sites.0.closes_day", "out of order"),
        (
            {"sites": [{"site": "S1", "shrinks": [{"day": 4, "share": 0.5}, {"day": 2, "share": 0.2}]}]},
            "phases.sites.0.shrinks",
            "out of order",
        ),
        ({"sites": [{"site": "S1", "shrinks": [{"day": 4, "share": 1.5}]}]}, "share", "1"),
        (
            {"sites": [{"site": "S1", "opens_day": 6, "shrinks": [{"day": 2, "share": 0.5}]}]},
            "phases.sites.0.shrinks.0.day",
            "out of order",
        ),
        ({"sites": [{"site": "S9", "closes_day": 4}]}, "phases.sites.0.site", "unknown site"),
        ({"sites": [{"site": "S1", "closes_day": 40}]}, "phases.sites.0.closes_day", "outside the horizon"),
    ],
)
def test_bad_phases_name_file_feature_and_field(tmp_path, phases, field, words):
    folder = write_scenario(tmp_path / "sc", config={"horizon_days": 20, "phases": phases})
    with pytest.raises(InputError) as e:
        load_scenario(folder, "main")
    p = e.value.problems[0]
    assert p.file.endswith("scenario.yaml")
    assert field in (p.field or "")
    if field.startswith("phases.sites."):
        assert p.feature.startswith("site S")
    assert words in str(e.value)


def _unit(phases: dict, row: list[int], places=(1_000, 1_000)):
    """One zone (location 0), two sites (locations 1, 2; site 2 is 3 km east); one row of people arriving at site 1."""
    from reliefplan.scenario.folder import GROUPS
    from reliefplan.scenario.phases import PhasesSpec
    from reliefplan.stages.phases import apply_phases

    T, G = len(row), len(GROUPS)
    g = GROUPS.index("sheltered")
    people = np.zeros((3, G, T), dtype=np.int64)
    people[1, g] = row
    people[0, g] = row[-1] - np.array(row)  # still at the zone
    dependent, arrivals = people.astype(float), np.zeros((3, G, T))
    arrivals[1, g] = np.diff(row, prepend=0)
    res = apply_phases(
        PhasesSpec.model_validate(phases),
        people=people,
        dependent=dependent,
        arrivals=arrivals,
        groups=GROUPS,
        nz=1,
        ns=2,
        site_ids=["S1", "S2"],
        places=np.array(places),
        xy=np.array([[0.0, 0.0], [0.0, 1000.0], [3000.0, 1000.0]]),
        rows=(np.array([0]), np.array([1]), np.array([g]), np.array([1.0]), np.array([row])),
        zone_return=np.zeros((1, T)),
    )
    return people[:, g], arrivals[:, g], res.summary()


def test_arrivals_on_the_closing_day_are_diverted_not_redisplaced():
    # 100 arrive each day; S1 closes on day 2: the 100 there since day 1 are re-displaced, today's 100 and
    # tomorrow's 100 diverted; S2 gets 200 on day 2 and 300 on day 3; shelter items follow them
    people, arrivals, s = _unit({"sites": [{"site": "S1", "closes_day": 2}]}, [0, 100, 200, 300])
    assert people[1].tolist() == [0, 100, 0, 0] and people[2].tolist() == [0, 0, 200, 300]
    assert (s["redisplaced"], s["diverted"]) == (100, 200)
    assert arrivals[1].tolist() == [0, 100, 0, 0] and arrivals[2].tolist() == [0, 0, 200, 100]
    assert (people.sum(axis=0) == 300).all()


def test_shrink_moves_the_newest_arrivals_first():
    # S1 keeps 15 % of 1,000 places from day 2: 150; of the 200 there, today's 100 arrivals are diverted first,
    # no one who was there yesterday moves; on day 3 the next 100 arrivals are diverted too
    people, _, s = _unit({"sites": [{"site": "S1", "shrinks": [{"day": 2, "share": 0.15}]}]}, [0, 100, 200, 300])
    assert people[1].tolist() == [0, 100, 150, 150] and people[2].tolist() == [0, 0, 50, 150]
    assert (s["redisplaced"], s["diverted"]) == (0, 150)


def test_supply_and_presence_rows_follow_the_phases(tmp_path):
    """With the supply plan on: the presence rows of plan.json show the moves and the returns, everyone counted."""
    sc = _scenario(
        tmp_path,
        {
            "sites": [{"site": "S1", "closes_day": 5}, {"site": "S2", "shrinks": [{"day": 8, "share": 0.5}]}],
            "returns": [{"footprint": "op", "end_day": 10, "curve": {"days": [0, 5], "share": [0.0, 0.5]}}],
        },
    )
    sc.supply.enabled = True
    rows = make_plan(sc).groups.presence
    assert rows[9] == {
        "day": 9,
        "in_operation_area": 0,
        "staying_at_zone": 10_000,
        "sheltered_at_site": 5_860,
        "overflow_at_site": 4_140,
    }
    # 5,000 home, taken in proportion from 5,860 with a place and 4,140 without: 2,930 and 2,070 remain
    assert rows[19] == {
        "day": 19,
        "in_operation_area": 0,
        "staying_at_zone": 15_000,
        "sheltered_at_site": 2_930,
        "overflow_at_site": 2_070,
    }


# ---- the siting knows the phases (capacity-days, minimum stay) and the moves are listed ---------------------------


def _sheltered_at(pres, site: str) -> list[int]:
    return _at(pres, site, "sheltered").tolist()


def test_capacity_days_siting_avoids_a_closing_site_when_another_has_room(tmp_path):
    # S1 closes on day 5 of 20: each of its places is worth 5/20 of a place at S2, which has room for all 10,000
    pres = _presence(tmp_path, {"siting": "capacity_days", "sites": [{"site": "S1", "closes_day": 5}]})
    assert _sheltered_at(pres, "S1") == [0] * 20 and _sheltered_at(pres, "S2") == [10_000] * 20
    s = pres.phases.summary()
    assert (s["redisplaced"], s["diverted"], s["lost_place"]) == (0, 0, 0) and s["moves"] == []


def test_capacity_days_siting_fills_a_closing_site_when_places_are_scarce(tmp_path):
    # S2 keeps half its places all along: floor(11,721 / 2) = 5,860; 5 days at S1 beat no place, so 4,140 go to S1
    # and move again on day 5 (S2 is full: without a place); ignoring the phases moves all 10,000 from S1.
    # Days only, the re-move not priced (with it the plan refuses the short stay: test_second_walk.py)
    phases = {"sites": [{"site": "S1", "closes_day": 5}, {"site": "S2", "shrinks": [{"day": 0, "share": 0.5}]}]}
    days_only = {"siting": "capacity_days", "second_walk": False, "redisplacement_cost_days": 0}
    aware = _presence(tmp_path / "a", {**days_only, **phases})
    assert _sheltered_at(aware, "S2") == [5_860] * 20
    assert _sheltered_at(aware, "S1") == [4_140] * 5 + [0] * 15
    s = aware.phases.summary()
    assert (s["redisplaced"], s["lost_place"]) == (4_140, 4_140)
    blind = _presence(tmp_path / "b", phases).phases.summary()
    assert (blind["redisplaced"], blind["lost_place"]) == (10_000, 4_140)
    # the same person-days with a place: 10,000 x 5 + 5,860 x 15 = 137,900 either way
    for p in (aware, _presence(tmp_path / "c", phases)):
        kinds = np.array(p.kinds)
        assert int(p.people[kinds == "site", p.group("sheltered")].sum()) == 137_900


def test_capacity_days_siting_plans_a_shrinking_site_by_tranches(tmp_path):
    # S1 keeps 30 % from day 10: floor(23,442 x 0.3) = 7,032 places for all 20 days, 16,410 for 10 of them.
    # The siting fills the lasting 7,032 at S1 and sends 2,968 to S2 (11,721 lasting places): nobody moves again;
    # ignoring the phases puts all 10,000 at S1 and moves the 2,968 newest on day 10
    phases = {"sites": [{"site": "S1", "shrinks": [{"day": 10, "share": 0.3}]}]}
    aware = _presence(tmp_path / "a", {"siting": "capacity_days", **phases})
    assert _sheltered_at(aware, "S1") == [7_032] * 20 and _sheltered_at(aware, "S2") == [2_968] * 20
    assert aware.phases.summary()["redisplaced"] == 0
    blind = _presence(tmp_path / "b", phases)
    assert _sheltered_at(blind, "S1") == [10_000] * 10 + [7_032] * 10
    assert blind.phases.summary()["redisplaced"] == 2_968


def test_minimum_stay_keeps_people_out_of_a_site_closing_too_soon(tmp_path):
    # S1 closes on day 5 < 10 days of minimum stay: not planned; S2 (half, 5,860 places) takes what it can,
    # 4,140 are without a place from the start and nobody is moved again
    phases = {
        "siting": "capacity_days",
        "min_stay_days": 10,
        "sites": [{"site": "S1", "closes_day": 5}, {"site": "S2", "shrinks": [{"day": 0, "share": 0.5}]}],
    }
    sh = shelter(_scenario(tmp_path, phases))
    assert (sh.people.sheltered, sh.people.unsheltered) == (5_860, 4_140)
    assert sh.alloc.by_site.tolist() == [0, 5_860]
    s = sh.presence.phases.summary()
    assert (s["redisplaced"], s["lost_place"]) == (0, 0)
    assert sh.overflow.by_site[0] == 0  # nor on the closing site's land


def test_moves_list_when_from_where_to_where_how_many(tmp_path):
    from reliefplan.solvers.network import NetworkParams

    pres = _presence(tmp_path, {"sites": [{"site": "S1", "closes_day": 5}]})
    (m,) = pres.phases.summary()["moves"]
    a, b = pres.location_ids.index("S1"), pres.location_ids.index("S2")
    d = float(np.hypot(*(pres.xy[b] - pres.xy[a])))
    p = NetworkParams.default()
    assert m == {
        "day": 5,
        "from": "S1",
        "to": "S2",
        "reason": "redisplaced",
        "with_place": True,
        "people": 10_000,
        "distance_m": round(d, 1),
        "walk_h": round(d * p.circuity / p.walk_speed_m_s / 3600.0, 2),
    }
    assert pres.phases.summary()["redisplaced_person_km"] == round(10_000 * d / 1000.0, 1)


def test_moves_list_returns_and_diversions():
    # the unit case (locations unnamed: indices): 100 re-displaced from S1 (1) to S2 (2) on day 2, 100 diverted
    # on day 2 and 100 on day 3
    _, _, s = _unit({"sites": [{"site": "S1", "closes_day": 2}]}, [0, 100, 200, 300])
    got = [(m["day"], m["from"], m["to"], m["reason"], m["people"]) for m in s["moves"]]
    assert got == [(2, "1", "2", "diverted", 100), (2, "1", "2", "redisplaced", 100), (3, "1", "2", "diverted", 100)]


def test_sheltered_share_counts_lost_places_day_by_day(tmp_path):
    # S1 closes on day 5 (all 10,000 to S2), S2 keeps 5,860 places from day 8: from day 8, 5,860 of the 10,000
    # displaced hold a place; the row reads the worst day, 0.586 (it read 1.0 before: planned places only)
    phases = {"sites": [{"site": "S1", "closes_day": 5}, {"site": "S2", "shrinks": [{"day": 8, "share": 0.5}]}]}
    plan = make_plan(_scenario(tmp_path, phases))
    row = {v.indicator: v for v in plan.verdict}["displaced_people_sheltered_share"]
    assert row.value == pytest.approx(0.586) and row.met is False
    assert "worst day 8: 5,860 of 10,000" in row.note and "4,140 lost their place" in row.note
    # returned people are home, not displaced: 5,000 back by day 15, taken in proportion (2,930 with a place)
    phases["returns"] = [{"footprint": "op", "end_day": 10, "curve": {"days": [0, 5], "share": [0.0, 0.5]}}]
    row = {v.indicator: v for v in make_plan(_scenario(tmp_path / "r", phases)).verdict}[
        "displaced_people_sheltered_share"
    ]
    assert row.value == pytest.approx(0.586) and "5,000 returned home" in row.note
    # without phases the row is the plan's share (everyone has a place here)
    assert {v.indicator: v for v in make_plan(_scenario(tmp_path / "n", None)).verdict}[
        "displaced_people_sheltered_share"
    ].value == pytest.approx(1.0)


def test_per_phase_rows_compare_and_report(tmp_path):
    """Per phase (days 0-4, 5-7, 8-19): S1 closes on day 5 (23,442 places lost, 10,000 re-displaced to S2), S2
    keeps 5,860 of 11,721 from day 8 (5,861 lost, 4,140 without a place); in compare beside the plan without phases;
    in the report. Plenty of trucks: no standard short in any phase."""
    from reliefplan.analysis.compare import compare
    from reliefplan.analysis.phase_table import phase_rows
    from reliefplan.outputs.report import render_report

    def plan(phases, where):
        sc = _scenario(tmp_path / where, phases)
        sc.supply.enabled = True
        sc.entry_points[0].trucks_per_day = 10_000
        return make_plan(sc)

    phased = plan(
        {"sites": [{"site": "S1", "closes_day": 5}, {"site": "S2", "shrinks": [{"day": 8, "share": 0.5}]}]}, "p"
    )
    rows = phase_rows(phased)
    got = [
        (r["from_day"], r["to_day"], r["events"], r["sites_closed"], r["places_at_start"], r["places_lost"])
        + (r["redisplaced"], r["lost_place"])
        for r in rows
    ]
    assert got == [
        (0, 4, "", 0, 35_163, 0, 0, 0),
        (5, 7, "closes: S1", 1, 11_721, 23_442, 10_000, 0),
        (8, 19, "shrinks: S2 (to 50%)", 0, 5_860, 5_861, 0, 4_140),
    ]
    assert all(set(r["first_short_day"].values()) == {None} for r in rows)
    base = plan(None, "n")
    cmp = {r.key: r for r in compare(base, phased)}
    assert (cmp["phases: people re-displaced"].a, cmp["phases: people re-displaced"].b) == (None, 10_000)
    assert (cmp["phase days 5-7: re-displaced"].a, cmp["phase days 5-7: re-displaced"].b) == (0, 10_000)
    assert cmp["phase days 8-19: lost their place"].diff == 4_140
    assert cmp["phase days 8-19: first water short"].b is None
    assert cmp["displaced with a place, worst day"].b == pytest.approx(58.6)
    assert not [r for r in compare(base, base) if r.key.startswith("phase")]  # no phases: no phase rows
    html = render_report(phased, {})
    assert "What changes in each phase" in html and "shrinks: S2 (to 50%)" in html and "Moves the phases cause" in html


def test_the_re_moves_are_routed_on_the_roads(tmp_path):
    """With a road network: S1 closing on day 5 sends its 10,000 to S2 on the roads, under road capacity, in one
    hourly-movement run of 3 days from day 5; everyone arrives, nobody is lost on the way."""
    from conftest import add_north_road

    folder = write_scenario(
        tmp_path / "sc",
        config={"horizon_days": 20, "phases": {"siting": "ignore", "sites": [{"site": "S1", "closes_day": 5}]}},
    )
    add_north_road(folder)
    sc = load_scenario(folder, "main")
    sc.layout.enabled = sc.supply.enabled = False
    (r,) = make_plan(sc).phases.routed
    assert (r.day, r.people, r.from_sites, r.to_locations) == (5, 10_000, 1, 1)
    assert len(r.arrived_by_day) == 3 and r.arrived_by_day[-1] == 10_000 and r.cannot_leave == 0
    assert r.arrived_by_day[0] + r.on_road_end_of_day == 10_000
    # without roads nothing is routed (the daily moves stay listed)
    assert make_plan(_scenario(tmp_path / "n", {"sites": [{"site": "S1", "closes_day": 5}]})).phases.routed is None


def test_tranches_day_shares_and_minimum_stay_by_hand():
    from phases_reference import place_day_share

    from reliefplan.scenario.phases import PhasesSpec
    from reliefplan.stages.phases import closed_within, place_tranches

    spec = PhasesSpec.model_validate(
        {
            "sites": [
                {"site": "A", "closes_day": 2},  # 4 days: places on days 0, 1
                {"site": "B", "shrinks": [{"day": 1, "share": 0.5}, {"day": 3, "share": 0.25}]},  # 8 -> 4 -> 2
                {"site": "D", "opens_day": 3},
            ]
        }
    )
    ids, places = ["A", "B", "C", "D"], np.array([10, 8, 5, 6])
    site, size, share = place_tranches(spec, ids, places, 4)
    assert site.tolist() == [0, 1, 1, 1, 2, 3] and size.tolist() == [10, 2, 2, 4, 5, 6]
    # arriving on day 0: A's places 2 of 4 days; B's lowest 2 all 4, next 2 for 3 days, top 4 for 1; D 1 of 4
    np.testing.assert_allclose(share[:, 0], [0.5, 1.0, 0.75, 0.25, 1.0, 0.25])
    np.testing.assert_allclose(share[:, 2], [0.0, 1.0, 0.5, 0.0, 1.0, 0.5])  # from day 2: 2 days left
    # a site's share of all its places' days: B (8 + 4 + 4 + 2) / (8 x 4) = 18 / 32
    np.testing.assert_allclose(place_day_share(spec, ids, places, 4)[:, 0], [0.5, 18 / 32, 1.0, 0.25])
    # a 2-day minimum stay from day 0: A is open days 0-1 (ok), D is closed on days 0-2 (refused); from day 1, A
    # closes on day 2 (refused)
    w = closed_within(spec, ids, 4, 2)
    assert w[:, 0].tolist() == [False, False, False, True] and w[:, 1].tolist() == [True, False, False, True]
