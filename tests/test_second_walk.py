"""The siting prices the second walk of people whose place ends within the horizon (issue 21, phases; #19
re-displacement): `stages.second_walk` and `stages.allocation`. Small cases by brute force over every assignment,
with each place's days, re-move and walk computed by a day loop independent of the solver's arrays."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from conftest import fc, feat, square, write_scenario
from phases_reference import place_day_share

from reliefplan.scenario.folder import load_scenario
from reliefplan.scenario.phases import PhasesSpec
from reliefplan.solvers.network import NetworkParams
from reliefplan.stages.allocation import allocate
from reliefplan.stages.second_walk import re_move

P = NetworkParams.default()


@pytest.fixture(scope="module")
def three_sites(tmp_path_factory: pytest.TempPathFactory):
    """Two zones and three sites (geometry unused: walking times and site points are given to `allocate`)."""
    sites = fc([feat({"id": f"S{k + 1}", "usable_fraction": 1.0}, square(3 * k, 3)) for k in range(3)])
    folder = write_scenario(tmp_path_factory.mktemp("w2") / "sc", sites=sites)
    return load_scenario(folder, "main")


def _with(sc, phases: dict, days: int, opening_cost: float = 0.0):
    """The scenario with these phases and horizon; an opening cost on S3 makes the siting decide which sites open
    (one facility per site, the MILP path)."""
    sites = [s.model_copy(update={"opening_cost": opening_cost * (k == 2)}) for k, s in enumerate(sc.sites)]
    return sc.model_copy(update={"phases": PhasesSpec(**phases), "horizon_days": days, "sites": sites})


def _walk_s(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.hypot(*(a - b))) * P.circuity / P.walk_speed_m_s


def _place_costs(ph: PhasesSpec, places: np.ndarray, xy: np.ndarray, days: int, penalty: float):
    """Per place (site, j-th place) for people arriving on day 0, by a day loop: (site, extra cost s, re-displaced,
    second walk s). Place j of site s exists on day t when the site has at least j places then."""
    ns = len(places)
    cap = np.array([[places[s]] * days for s in range(ns)], dtype=np.int64)
    for p in ph.sites:
        s = int(p.site[1:]) - 1
        for t in range(days):
            kept = places[s]
            for sh in p.shrinks:
                if t >= sh.day:
                    kept = int(np.floor(places[s] * sh.share + 1e-9))
            shut = (p.opens_day is not None and t < p.opens_day) or (p.closes_day is not None and t >= p.closes_day)
            cap[s, t] = 0 if shut else kept
    out = []
    for s in range(ns):
        for j in range(1, places[s] + 1):
            exists = [cap[s, t] >= j for t in range(days)]
            days_with = sum(exists)
            end = next((t for t in range(days) if not exists[t]), None)
            walk = 0.0
            if end is not None:
                others = [o for o in range(ns) if o != s and cap[o, end] > 0]
                walk = min((_walk_s(xy[s], xy[o]) for o in others), default=0.0)
            moved = bool(exists[0]) and end is not None
            cost = penalty * (1 - days_with / days) if ph.siting == "capacity_days" else penalty * (not exists[0])
            cost += walk * ph.second_walk + ph.redisplacement_cost_days * penalty / days * moved
            out.append((s, cost, moved, walk))
    return out


def _brute(demand, places, walk, slots, penalty, per_site: bool, opening_cost: float = 0.0):
    """The cheapest plan over every assignment of whole people (zone -> site or no place): (cost, people
    re-displaced, their second walk s). A site's people take its cheapest places (tranches) or, per site, each pays
    the mean over its places."""
    ns = len(places)
    by_site = [sorted((c, m, w) for s_, c, m, w in slots if s_ == s) for s in range(ns)]
    best = (np.inf, 0.0, 0.0)
    splits = [
        [x for x in itertools.product(range(n + 1), repeat=ns + 1) if sum(x) == n] for n in demand
    ]  # per zone: people per site and without a place
    for plan in itertools.product(*splits):
        n_s = [sum(p[s] for p in plan) for s in range(ns)]
        if any(n > places[s] for s, n in enumerate(n_s)):
            continue
        cost = sum(p[s] * walk[z][s] for z, p in enumerate(plan) for s in range(ns)) + penalty * sum(
            p[ns] for p in plan
        )
        cost += opening_cost * (n_s[2] > 0)
        moved = second = 0.0
        for s, n in enumerate(n_s):
            use = by_site[s][:n] if not per_site else [tuple(np.mean(by_site[s], axis=0))] * n if n else []
            cost += sum(c for c, _, _ in use)
            moved += sum(m for _, m, _ in use)
            second += sum(w for _, _, w in use)  # re-displaced or diverted on arrival
        if cost < best[0] - 1e-6:
            best = (cost, moved, second)
    return best


CASES = [
    ({"siting": "capacity_days", "sites": [{"site": "S1", "closes_day": 3}]}, False),
    ({"siting": "capacity_days", "sites": [{"site": "S2", "shrinks": [{"day": 2, "share": 0.5}]}]}, False),
    (
        {
            "siting": "capacity_days",
            "sites": [{"site": "S1", "closes_day": 4}, {"site": "S3", "shrinks": [{"day": 1, "share": 0.34}]}],
        },
        False,
    ),
    ({"siting": "re_move", "sites": [{"site": "S1", "closes_day": 2}]}, False),
    ({"siting": "re_move", "redisplacement_cost_days": 0, "sites": [{"site": "S2", "closes_day": 5}]}, False),
    ({"siting": "capacity_days", "second_walk": False, "sites": [{"site": "S1", "closes_day": 3}]}, False),
    ({"siting": "capacity_days", "sites": [{"site": "S1", "closes_day": 3}]}, True),
    ({"siting": "re_move", "sites": [{"site": "S2", "shrinks": [{"day": 3, "share": 0.5}]}]}, True),
]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("phases", "per_site"), CASES)
def test_the_siting_is_the_cheapest_plan_by_brute_force(three_sites, phases, per_site, seed):
    rng = np.random.default_rng(seed)
    days = 6
    demand = rng.integers(1, 4, size=2)
    places = rng.integers(1, 4, size=3)
    walk = rng.uniform(600.0, 4_000.0, size=(2, 3))
    xy = rng.uniform(0.0, 3_000.0, size=(3, 2))
    opening = 2_000.0 if per_site else 0.0  # per site: one facility per site (opening decisions); else tranches
    sc = _with(three_sites, phases, days, opening)
    alloc = allocate(sc, demand.astype(np.int64), places.astype(np.int64), walk, site_xy=xy)
    penalty = sc.siting.unmet_penalty_factor * walk.max()
    assert alloc.unmet_penalty_per_person_s == pytest.approx(penalty)
    slots = _place_costs(sc.phases, places, xy, days, penalty)
    cost, moved, second = _brute(demand, places, walk, slots, penalty, per_site, opening)
    assert alloc.siting.status == "optimal"
    assert alloc.siting.objective == pytest.approx(cost, rel=1e-6)
    assert alloc.re_move.redisplaced == pytest.approx(moved, abs=1e-6)
    assert alloc.re_move.second_walk_person_h == pytest.approx(second / 3600.0, rel=1e-6, abs=1e-6)


def test_equal_distance_the_plan_prefers_the_site_that_stays_open(three_sites):
    # 100 people, 1 h from S1 (closes on day 10 of 30) and from S2 (open all along), room for all at either
    xy = np.array([[0.0, 0.0], [1_000.0, 0.0], [5_000.0, 0.0]])
    walk = np.full((2, 3), 3_600.0)
    for rule in ("capacity_days", "re_move"):
        sc = _with(three_sites, {"siting": rule, "sites": [{"site": "S1", "closes_day": 10}]}, 30)
        a = allocate(sc, np.array([100, 0]), np.array([200, 200, 0]), walk, site_xy=xy)
        assert a.by_site.tolist() == [0, 100, 0], rule
        assert (a.re_move.redisplaced, a.re_move.second_walk_person_h) == (0.0, 0.0)
    # the rule before (days without a place only): under `re_move` the two tie; pricing the walk breaks it
    sc = _with(
        three_sites,
        {
            "siting": "re_move",
            "second_walk": False,
            "redisplacement_cost_days": 0,
            "sites": [{"site": "S1", "closes_day": 10}],
        },
        30,
    )
    a = allocate(sc, np.array([100, 0]), np.array([200, 200, 0]), walk, site_xy=xy)
    assert a.siting.objective == pytest.approx(100 * 3_600.0, rel=1e-6)


def test_a_much_nearer_closing_site_is_used_and_its_second_walk_reported(three_sites):
    # S1 is 10 min away and closes on day 10 of 30; S2 is 3 h away (S1 -> S2: 1 km, 26 min). With `re_move` the
    # people moved on find a place: 10 min + 26 min + 3 days' cost (penalty 10 x 3 h / 30 per day = 3 h) < 3 h? No:
    # 3.6 h > 3 h, so S2; without the re-displacement cost (0 days) S1 wins and the walk is reported
    xy = np.array([[0.0, 0.0], [1_000.0, 0.0], [5_000.0, 0.0]])
    walk = np.array([[600.0, 10_800.0, np.inf], [np.inf, np.inf, np.inf]])
    w2 = 1_000.0 * P.circuity / P.walk_speed_m_s
    phases = {"siting": "re_move", "sites": [{"site": "S1", "closes_day": 10}]}
    sc = _with(three_sites, phases, 30)
    a = allocate(sc, np.array([100, 0]), np.array([200, 200, 0]), walk, site_xy=xy)
    assert a.by_site.tolist() == [0, 100, 0]
    assert a.siting.objective == pytest.approx(100 * 10_800.0, rel=1e-6)
    sc = _with(three_sites, {**phases, "redisplacement_cost_days": 0}, 30)
    a = allocate(sc, np.array([100, 0]), np.array([200, 200, 0]), walk, site_xy=xy)
    assert a.by_site.tolist() == [100, 0, 0]
    assert a.siting.objective == pytest.approx(100 * (600.0 + w2), rel=1e-6)
    assert a.re_move.redisplaced == 100 and a.re_move.second_walk_person_h == pytest.approx(100 * w2 / 3600)
    # capacity-days prices the 20 days after the closure as without a place: 10 min + 2/3 x 30 h > 3 h, so S2
    sc = _with(three_sites, {**phases, "siting": "capacity_days", "redisplacement_cost_days": 0}, 30)
    assert allocate(sc, np.array([100, 0]), np.array([200, 200, 0]), walk, site_xy=xy).by_site.tolist() == [0, 100, 0]


def test_second_walk_to_the_nearest_site_with_places_that_day(three_sites):
    # S1 closes on day 4; S2 (nearest) closes on day 2, so S1's people walk to S3 on day 4
    xy = np.array([[0.0, 0.0], [500.0, 0.0], [0.0, 2_000.0]])
    spec = PhasesSpec(sites=[{"site": "S1", "closes_day": 4}, {"site": "S2", "closes_day": 2}])
    rm = re_move(spec, ["S1", "S2", "S3"], np.array([10, 10, 10]), xy, 6)
    assert rm.tranche_site.tolist() == [0, 1, 2]
    assert rm.redisplaced[0].tolist() == [True] * 4 + [False] * 2
    assert rm.diverted[0].tolist() == [False] * 4 + [True] * 2
    assert rm.walk_s[0, 0] == pytest.approx(2_000.0 * P.circuity / P.walk_speed_m_s)
    assert rm.walk_s[1, 0] == pytest.approx(500.0 * P.circuity / P.walk_speed_m_s)  # S2 closes first: S1 is open
    assert rm.walk_s[2].tolist() == [0.0] * 6  # S3 never closes


def test_per_site_mean_matches_the_place_day_share():
    spec = PhasesSpec(
        sites=[
            {"site": "A", "closes_day": 2},
            {"site": "B", "shrinks": [{"day": 1, "share": 0.5}, {"day": 3, "share": 0.25}]},
            {"site": "D", "opens_day": 2, "shrinks": [{"day": 2, "share": 0.5}]},
        ]
    )
    ids, places = ["A", "B", "C", "D"], np.array([10, 8, 5, 6])
    rm = re_move(spec, ids, places, np.zeros((4, 2)) + np.arange(4)[:, None], 4).per_site(places)
    np.testing.assert_allclose(rm.share, place_day_share(spec, ids, places, 4))
    # B: half its places end on day 1, a quarter on day 3: 3/4 of the people planned there on day 0 move again
    assert rm.redisplaced[1, 0] == pytest.approx(0.75)
    # D: half its places never exist (diverted on arrival), the other half is not there before day 2
    assert rm.diverted[3].tolist() == [1.0, 1.0, 0.5, 0.5]


def test_scarce_places_a_short_stay_no_longer_pays_for_the_re_move(tmp_path: Path):
    from test_phases import _scenario, _sheltered_at

    from reliefplan.pipeline import shelter

    # The two-zone scenario: zone A's 10,000 people, S1 (5,298 s away) closes on day 5 of 20, S2 (6,906 s) keeps
    # 5,860 places; penalty 10 x 6,906 = 69,056 s. A person at S1: 5,298 + 69,056 x 15/20 (days without a place)
    # + 4,455 (S1 -> S2, 2,855 m x 1.3 / 0.833 m/s) + 69,056 x 3/20 (re-displacement) = 71,903 > 69,056 (no place):
    # the plan leaves the 4,140 without a place rather than move them twice. Without the walk and the cost
    # (the rule before): 57,090 < 69,056, S1 is filled and 4,140 are re-displaced.
    phases = {"sites": [{"site": "S1", "closes_day": 5}, {"site": "S2", "shrinks": [{"day": 0, "share": 0.5}]}]}
    sh = shelter(_scenario(tmp_path / "a", {"siting": "capacity_days", **phases}))
    assert sh.alloc.by_site.tolist() == [0, 5_860] and sh.alloc.re_move.redisplaced == 0
    s = sh.presence.phases.summary()
    # nor does anyone without a place: the overflow prices S1's land as 5,298 + 4,455 + 10,358 = 20,111 s against
    # 6,906 s to S2's land, which has room: nobody moves again
    assert (s["lost_place"], sh.overflow.by_site.tolist(), s["redisplaced"]) == (0, [0, 4_140], 0)
    before = {"siting": "capacity_days", "second_walk": False, "redisplacement_cost_days": 0, **phases}
    sh = shelter(_scenario(tmp_path / "b", before))
    assert _sheltered_at(sh.presence, "S1") == [4_140] * 5 + [0] * 15
    rm = sh.alloc.re_move
    assert rm.redisplaced == 4_140 and not rm.second_walk_priced
    assert sh.overflow.by_site.tolist() == [0, 0]  # all 10,000 hold a place
    # the plan's expected second walk is the phases' listed walk (S1 -> S2, the same estimate)
    (move,) = [m for m in sh.presence.phases.summary()["moves"] if m["reason"] == "redisplaced"]
    assert move["people"] == 4_140
    assert rm.second_walk_person_h == pytest.approx(4_140 * move["walk_h"], abs=4_140 * 0.005)  # walk_h: 0.01 h


def test_plan_json_and_report_say_what_the_plan_expects(tmp_path: Path):
    from test_phases import _scenario

    from reliefplan.outputs.report import render_report
    from reliefplan.pipeline import make_plan

    # ignoring the phases, all 10,000 of zone A are planned into S1, which closes on day 5: the plan expects them
    # to move again, 2,855 m to S2 (4,455 s each)
    plan = make_plan(_scenario(tmp_path, {"sites": [{"site": "S1", "closes_day": 5}]}))
    rm = plan.siting.re_move
    assert (rm.rule, rm.redisplaced, rm.diverted, rm.second_walk_priced) == ("ignore", 10_000, 0, False)
    assert rm.second_walk_person_h == pytest.approx(10_000 * 4_455 / 3600, rel=2e-3)
    assert plan.phases.redisplaced == 10_000
    again = type(plan).model_validate_json(plan.model_dump_json())
    assert again.siting.re_move == rm
    html = render_report(plan, {})
    assert "planned into places that end within the horizon" in html
    assert "ASSUMPTION" not in rm.note  # ignored: nothing priced
    plan = make_plan(
        _scenario(tmp_path / "aware", {"siting": "capacity_days", "sites": [{"site": "S1", "closes_day": 5}]})
    )
    assert "3 days without a place (ASSUMPTION" in plan.siting.re_move.note
    assert "ASSUMPTION" in render_report(plan, {})
    assert make_plan(_scenario(tmp_path / "none", None)).siting.re_move is None


@pytest.mark.parametrize(
    ("phases", "field"),
    [
        ({"redisplacement_cost_days": -1}, "redisplacement_cost_days"),
        ({"siting": "second_walk"}, "siting"),
        ({"second_walk": "maybe"}, "second_walk"),
    ],
)
def test_bad_re_move_keys_name_file_and_field(tmp_path: Path, phases, field):
    from reliefplan._errors import InputError

    folder = write_scenario(tmp_path / "sc", config={"horizon_days": 20, "phases": phases})
    with pytest.raises(InputError) as e:
        load_scenario(folder, "main")
    text = str(e.value)
    assert "scenario.yaml" in text and field in text


def test_waves_price_the_re_move_by_arrival_day(three_sites):
    # 50 leave on day 0 and 50 on day 8 of 10; S1 (10 min) closes on day 9, S2 (1 h, 1 km from S1) has 50 places.
    # Penalty 10 x 1 h = 36,000 s. At S1 the day-0 wave costs 600 + 36,000 x 1/10 + 1,561 (walk on) + 3 x 3,600
    # (3 days at 36,000 / 10) = 16,561 s, the day-8 wave 600 + 36,000 / 2 + 1,561 + 3 x 18,000 = 74,161 s: the
    # first wave goes to S1 and moves again on day 9, the second to S2
    xy = np.array([[0.0, 0.0], [1_000.0, 0.0], [5_000.0, 0.0]])
    walk = np.array([[600.0, 3_600.0, np.inf], [np.inf, np.inf, np.inf]])
    leaving = np.zeros((2, 10), dtype=np.int64)
    leaving[0, [0, 8]] = 50
    sc = _with(three_sites, {"sites": [{"site": "S1", "closes_day": 9}]}, 10)
    a = allocate(sc, np.array([100, 0]), np.array([100, 50, 0]), walk, leaving_by_day=leaving, site_xy=xy)
    assert a.by_site.tolist() == [50, 50, 0] and a.siting.status == "optimal"
    w2 = 1_000.0 * P.circuity / P.walk_speed_m_s
    assert (a.re_move.redisplaced, a.re_move.diverted) == (50, 0)
    assert a.re_move.second_walk_person_h == pytest.approx(50 * w2 / 3600)


def test_land_that_closes_costs_the_overflow_its_re_move():
    from reliefplan.stages.second_walk import land_re_move_s

    # S1 closes on day 4 of 10 (S2 nearest, 500 m), S2 opens on day 2 (people on its land before: walk on to S1
    # on day 0, no re-displacement cost), S3 open all along; penalty 10,000 s: 3 days cost 3,000 s
    xy = np.array([[0.0, 0.0], [500.0, 0.0], [0.0, 2_000.0]])
    spec = PhasesSpec(sites=[{"site": "S1", "closes_day": 4}, {"site": "S2", "opens_day": 2}])
    w = P.circuity / P.walk_speed_m_s
    got = land_re_move_s(spec, ["S1", "S2", "S3"], xy, 10, 10_000.0)
    np.testing.assert_allclose(got, [500.0 * w + 3_000.0, 500.0 * w, 0.0])
    assert land_re_move_s(spec.model_copy(update={"siting": "ignore"}), ["S1", "S2", "S3"], xy, 10, 1.0).sum() == 0
