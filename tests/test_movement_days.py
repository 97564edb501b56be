"""The multi-day movement model against hand calculations and brute force on small cases."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from reliefplan.solvers import movement_days as md
from reliefplan._errors import InputError
from reliefplan.solvers.departures import EmpiricalCurve

ALL_DAY0 = EmpiricalCurve(days=[1], share=[1.0])  # everyone leaves on the order's day
FOOT = md.ModeSpec(name="foot", share=1.0, speed_m_s=1.0)
BIG = 1e9


def line(lengths: list[float], caps: list[float] | None = None) -> dict:
    """Nodes 0..n on a line, both directions, given link lengths (m) and capacities (people/h)."""
    caps = caps or [BIG] * len(lengths)
    n = len(lengths) + 1
    frm = list(range(n - 1)) + list(range(1, n))
    to = list(range(1, n)) + list(range(n - 1))
    return dict(n_nodes=n, arc_from=frm, arc_to=to, arc_length_m=lengths * 2, arc_capacity_per_h=caps * 2)


def inst(
    net: dict,
    *,
    origins: list[tuple[int, int, int]],
    sites: list[tuple[int, int]],
    orders=(ALL_DAY0,),
    order_day=(0.0,),
    modes=(FOOT,),
    horizon=3,
    hours=(6, 7),
    step_s=60.0,
    **kw,
) -> md.DaysInstance:
    """origins: (node, people, order); sites: (node, capacity); one-minute steps (hand calculations)."""
    return md.DaysInstance(
        step_s=step_s,
        **net,
        origin_node=[o[0] for o in origins],
        origin_people=[o[1] for o in origins],
        origin_order=[o[2] for o in origins],
        site_node=[s[0] for s in sites],
        site_capacity=[s[1] for s in sites],
        modes=list(modes),
        horizon_days=horizon,
        order_day=list(order_day),
        order_curves=list(orders),
        departure_hours=hours,
        **kw,
    )


def test_free_flow_single_path_by_hand():
    # 1,000 people leave evenly 06:00-07:00 (60 steps), walk 1,200 m at 1 m/s = 20 steps
    r = md.simulate(inst(line([600, 600]), origins=[(0, 1000, 0)], sites=[(2, 2000)]))
    hour = r.arrivals_site_hour[0]
    # arrivals 20 min after departure: those leaving in the first 40 min arrive in hour 6
    assert hour[6] == (2 * 1000 * 40 + 60) // 120 == 667
    assert hour[7] == 333 and hour.sum() == 1000
    assert r.arrivals_site_day[0].tolist() == [1000, 0, 0]
    assert r.mean_trip_h[0] == pytest.approx(1 / 3)
    assert r.mean_free_flow_h[0] == pytest.approx(1 / 3)
    assert r.bottlenecks == []
    assert r.left_by_order[0].tolist() == [1000, 1000, 1000]
    assert r.at_origin_day.tolist() == [0, 0, 0] and r.at_sites_day.tolist() == [1000, 1000, 1000]


def test_capacity_bottleneck_by_hand():
    # the first link lets through 600 people/h = 10 per step: 1,000 people take 100 steps
    r = md.simulate(inst(line([600, 600], [600, BIG]), origins=[(0, 1000, 0)], sites=[(2, 2000)]))
    hour = r.arrivals_site_hour[0]
    # first arrival at 06:20, then 10 per minute: 40 minutes in hour 6, 60 in hour 7
    assert (hour[6], hour[7], hour.sum()) == (400, 600, 1000)
    assert len(r.bottlenecks) == 1 and r.bottlenecks[0]["capacity_per_h"] == 600
    # queueing: the n-th person (of 1,000 released at 16.7/min) waits (n/10 - n/16.7) min
    assert r.mean_trip_h[0] > r.mean_free_flow_h[0]


def test_travel_time_between_steps_is_unbiased():
    # 650 m at 1 m/s: 10.83 steps; a sixth of each step's flow takes 11 steps, the rest 10
    r = md.simulate(inst(line([650]), origins=[(0, 600, 0)], sites=[(1, 1000)], hours=(6, 16)))
    assert r.mean_trip_h[0] * 3600 == pytest.approx(650, abs=1.0)
    assert r.mean_free_flow_h[0] * 3600 == pytest.approx(650)


def test_sites_fill_in_arrival_order_and_the_plan_avoids_the_detour():
    # S1 7.2 km east, S2 7.3 km west; 150 people leave within the hour, all before anyone arrives: all head for
    # S1 (it has room when they leave), 50 find it full and walk on to S2 (14.5 km more)
    net = line([7300, 7200])  # node 0 = S2, node 1 = origin, node 2 = S1
    i = inst(net, origins=[(1, 150, 0)], sites=[(2, 100), (0, 100)], max_walk_h=3.0, hours=(6, 7), horizon=2)
    a = md.simulate(i)
    assert a.occupancy_site_day[:, -1].tolist() == [100, 50]
    assert a.turned_away == 50
    assert a.walking_over_h[0] == 50  # 2 h then 4 h more
    plan = md.staged_plan(i)
    assert plan.people.tolist() == [[100, 50]] and plan.unmet.tolist() == [0]
    p = md.simulate(i, assignment="plan", plan=plan.people)
    assert p.occupancy_site_day[:, -1].tolist() == [100, 50]
    assert p.turned_away == 0 and p.walking_over_h[0] == 0
    assert p.mean_trip_h[0] * 3600 == pytest.approx((100 * 7200 + 50 * 7300) / 150, abs=1.0)
    assert a.mean_trip_h[0] * 3600 == pytest.approx((100 * 7200 + 50 * (7200 + 14500)) / 150, abs=1.0)
    c = md.compare(a, p)
    assert c["turned_away"] == {"arrival": 50, "plan": 0, "difference": -50}


def test_successive_orders_redisplace_people_from_a_site_ordered_later():
    # origin 0 (order 0, day 0) -> S1 at node 1 (1 km); S1 is inside order 1 (day 2): its people move on to S2
    curve2 = EmpiricalCurve(days=[1], share=[1.0])
    i = inst(
        line([1000, 1000]),
        origins=[(0, 100, 0)],
        sites=[(1, 100), (2, 200)],
        orders=(ALL_DAY0, curve2),
        order_day=(0.0, 2.0),
        horizon=4,
        site_order=[1, -1],
        order_operation_day=[np.nan, 3.0],
    )
    r = md.simulate(i)
    assert r.occupancy_site_day.tolist() == [[100, 100, 0, 0], [0, 0, 100, 100]]
    assert r.redisplaced == 100
    assert r.redisplaced_by_order.tolist() == [[0, 0, 0, 0], [0, 0, 100, 100]]
    assert r.inside_at_operation.tolist() == [-1, 0]
    assert r.trips_mode[0] == 200  # a re-displacement is a second trip
    # the plan knows the later order: nobody is sent to S1, so nobody is moved twice
    p = md.simulate(i, assignment="plan", plan=md.staged_plan(i).people)
    assert p.redisplaced == 0 and p.occupancy_site_day[:, -1].tolist() == [0, 100]


def test_first_wave_is_not_left_without_a_place_for_a_later_one():
    # one site of 100 places, 1 km from the second wave's origin and 10 km from the first wave's
    net = line([10000, 1000])  # node 0: first wave, node 1: site, node 2: second wave
    i = inst(
        net,
        origins=[(0, 100, 0), (2, 100, 1)],
        sites=[(1, 100)],
        orders=(ALL_DAY0, ALL_DAY0),
        order_day=(0.0, 3.0),
        horizon=5,
    )
    plan = md.staged_plan(i)
    assert plan.people[:, 0].tolist() == [100, 0] and plan.unmet.tolist() == [0, 100]
    assert plan.wave.tolist() == [0, 1]
    p = md.simulate(i, assignment="plan", plan=plan.people)
    assert p.occupancy_site_day[0].tolist() == [100] * 5  # 10 km: there the same day
    assert p.without_place_day[-1] == 100


def _brute_force_plan(unit: np.ndarray, demand: list[int], cap: list[int], wave: list[int]):
    """Lexicographic optimum by enumeration: most people of wave 0 placed, then wave 1, ..., then least walking."""
    n_o, n_s = unit.shape
    per_origin = []
    for o in range(n_o):
        opts = []
        for xs in itertools.product(*(range(min(demand[o], cap[j]) + 1) for j in range(n_s))):
            if sum(xs) <= demand[o] and all(np.isfinite(unit[o, j]) or x == 0 for j, x in enumerate(xs)):
                opts.append(xs)
        per_origin.append(opts)
    best, best_key = None, None
    waves = sorted(set(wave))
    for combo in itertools.product(*per_origin):
        x = np.array(combo)
        if (x.sum(axis=0) > np.array(cap)).any():
            continue
        placed = [-int(x[[o for o in range(n_o) if wave[o] == w]].sum()) for w in waves]
        walk = float(np.where(x > 0, x * np.where(np.isfinite(unit), unit, 0), 0).sum())
        key = (*placed, round(walk, 6))
        if best_key is None or key < best_key:
            best, best_key = x, key
    return best, best_key


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_staged_plan_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    # a line of 6 nodes; three origins on three waves, three small sites
    lengths = rng.integers(200, 2000, 5).astype(float).tolist()
    nodes = rng.choice(6, 6, replace=False)
    origins = [(int(nodes[k]), int(rng.integers(1, 4)), k) for k in range(3)]
    sites = [(int(nodes[3 + k]), int(rng.integers(1, 4))) for k in range(3)]
    i = inst(line(lengths), origins=origins, sites=sites, orders=(ALL_DAY0,) * 3, order_day=(0.0, 1.0, 2.0))
    plan = md.staged_plan(i)
    pos = np.concatenate([[0], np.cumsum(lengths)])
    unit = np.abs(pos[[o[0] for o in origins]][:, None] - pos[[s[0] for s in sites]][None, :])
    want, key = _brute_force_plan(unit, [o[1] for o in origins], [s[1] for s in sites], [0, 1, 2])
    got_key = (*[-int(plan.people[k].sum()) for k in range(3)], round(float((plan.people * unit).sum()), 6))
    assert got_key == key


def test_unordered_leavers_modes_and_vehicle_limit():
    foot = md.ModeSpec(name="foot", share=0.5, speed_m_s=1.0)
    car = md.ModeSpec(name="car", share=0.5, speed_m_s=5.0, road_use=2.0, max_people_per_day=10, on_foot=False)
    i = inst(
        line([1000, 1000]),
        origins=[(0, 100, 0), (1, 100, -1)],
        sites=[(2, 1000)],
        modes=(foot, car),
        origin_unordered_share=[0.0, 0.4],
        unordered_curve=ALL_DAY0,
    )
    r = md.simulate(i)
    assert r.left_unordered.tolist() == [40, 40, 40]
    assert r.left_by_order[0].tolist() == [100, 100, 100]
    assert r.departures_mode_day[:, 0].tolist() == [130, 10]  # 70 each way wanted a car; 10 found one
    assert r.at_origin_day[-1] == 60 and r.at_sites_day[-1] == 140


def test_walking_burden_and_vulnerable_share():
    # origin 0 walks 8 h, origin 1 walks 1 h (1 m/s); 6 h threshold; a fifth of origin 0 is vulnerable
    net = line([28800 - 3600, 3600])
    i = inst(
        net, origins=[(0, 50, 0), (1, 70, 0)], sites=[(2, 1000)], max_walk_h=6.0, origin_vulnerable_share=[0.2, 0.5]
    )
    r = md.simulate(i)
    assert r.walking_over_h.tolist() == [50]
    assert r.vulnerable_walking_over_h == pytest.approx(10.0)


def test_still_walking_at_the_horizon_counts_in_the_burden():
    i = inst(line([90000]), origins=[(0, 30, 0)], sites=[(1, 100)], horizon=1, max_walk_h=6.0, hours=(6, 7))
    r = md.simulate(i)
    assert r.on_road_day.tolist() == [30] and r.walking_over_h.tolist() == [30]


def test_no_site_with_room_means_without_a_place_and_everyone_is_counted():
    i = inst(line([1000]), origins=[(0, 100, 0)], sites=[(1, 30)])
    r = md.simulate(i)
    assert r.at_sites_day[-1] == 30 and r.without_place_day[-1] == 70
    assert r.at_origin_day + r.on_road_day + r.at_sites_day + r.without_place_day == pytest.approx([100] * 3)


def test_overflow_site_takes_whoever_finds_no_place():
    i = inst(line([1000, 1000]), origins=[(0, 100, 0)], sites=[(1, 30), (2, 0)], site_overflow=[False, True])
    r = md.simulate(i)
    assert r.occupancy_site_day[:, -1].tolist() == [30, 70] and r.without_place_day[-1] == 0


def test_origin_without_road_cannot_leave():
    net = line([1000])
    net = dict(net, n_nodes=3)  # node 2 is on no road
    i = inst(net, origins=[(2, 40, 0), (0, 10, 0)], sites=[(1, 100)])
    r = md.simulate(i)
    assert r.cannot_leave == 40 and r.at_origin_day[-1] == 40 and r.at_sites_day[-1] == 10


def test_step_does_not_change_whole_step_travel():
    kw = dict(origins=[(0, 500, 0)], sites=[(2, 1000)], hours=(6, 8))
    a = md.simulate(inst(line([1200, 1200]), step_s=60, **kw))
    b = md.simulate(inst(line([1200, 1200]), step_s=300, **kw))
    assert a.arrivals_site_day.tolist() == b.arrivals_site_day.tolist()
    assert a.mean_free_flow_h[0] == pytest.approx(b.mean_free_flow_h[0])


@pytest.mark.parametrize("step", [60, 300, 900, 3600])
def test_links_shorter_than_a_step_are_crossed_within_it(step):
    # twenty 130 m links (130 s each at 1 m/s): 2,600 s whatever the step, in expectation
    r = md.simulate(inst(line([130.0] * 20), origins=[(0, 3000, 0)], sites=[(20, 5000)], hours=(6, 18), step_s=step))
    assert r.mean_trip_h[0] * 3600 == pytest.approx(2600, rel=0.02)
    assert r.at_sites_day[0] == 3000


# ------------------------------------------------------------------------------------------ bad input


def _spec(**over):
    base = {"orders": [{"footprint": "east", "day": 0}], "modes": [{"name": "foot", "share": 1.0, "speed_m_s": 0.8}]}
    base.update(over)
    return base


@pytest.mark.parametrize(
    "data,field,words",
    [
        (_spec(modes=[{"name": "foot", "share": 1.0, "speed_m_s": 0}]), "movement.modes.0.speed_m_s", "greater than 0"),
        (_spec(modes=[{"name": "foot", "share": 0.7, "speed_m_s": 1}]), "movement.modes.*.share", "sum to 0.7"),
        (
            _spec(modes=[{"name": "foot", "share": 1.3, "speed_m_s": 1}]),
            "movement.modes.0.share",
            "less than or equal to 1",
        ),
        (_spec(orders=[{"footprint": "east", "day": 40}]), "movement.orders.0.day", "outside the horizon"),
        (_spec(orders=[{"footprint": "west", "day": 1}]), "movement.orders.0.footprint", "unknown footprint"),
        (
            _spec(
                orders=[
                    {"footprint": "east", "day": 0, "curve": {"kind": "empirical", "days": [1, 2], "share": [0.5, 0.4]}}
                ]
            ),
            "movement.orders.0.curve.share",
            "must not decrease",
        ),
        (
            _spec(
                orders=[
                    {
                        "footprint": "east",
                        "day": 0,
                        "curve": {"kind": "weibull", "final_share": 1.2, "scale_days": 3, "shape": 1},
                    }
                ]
            ),
            "movement.orders.0.curve.final_share",
            "less than or equal to 1",
        ),
        (_spec(unordered={"share": -0.1}), "movement.unordered.share", "greater than or equal to 0"),
        (_spec(departure_hours=[18, 6]), "movement", "departure_hours"),
        (_spec(step_s=70), "movement", "divisor of 3600"),
    ],
)
def test_bad_movement_keys_name_file_feature_and_field(data, field, words):
    with pytest.raises(InputError) as e:
        md.movement_spec_from_dict(data, file="scenario.yaml", horizon_days=30, footprints=["east"])
    probs = e.value.problems
    assert any(p.file == "scenario.yaml" and (p.field or "").startswith(field) for p in probs), probs
    assert words in str(e.value)


def test_bad_instance_arrays():
    i = inst(
        line([1000]), origins=[(0, 10, 0)], sites=[(1, 10)], order_day=(5.0,), horizon=3, origin_unordered_share=[1.5]
    )
    with pytest.raises(InputError) as e:
        md.simulate(i)
    fields = {p.field for p in e.value.problems}
    assert {"day", "origin_unordered_share"} <= fields


def test_default_modes_have_sources():
    modes = md.default_modes()
    assert sum(m.share for m in modes) == pytest.approx(1.0)
    assert all(m.source for m in modes) and not md.mode_problems(modes, "modes.yaml")


def test_a_segment_of_several_links_moves_as_its_tightest_link_allows():
    # one-hour steps: both 600 m links form one segment; the second lets 600 people/h through
    r = md.simulate(inst(line([600, 600], [BIG, 600]), origins=[(0, 1000, 0)], sites=[(2, 2000)], step_s=3600))
    hour = r.arrivals_site_hour[0]
    assert hour.sum() == 1000 and hour.max() <= 600
    assert [b["capacity_per_h"] for b in r.bottlenecks] == [600]
    assert r.mean_trip_h[0] > r.mean_free_flow_h[0]


@pytest.mark.parametrize("seed", range(6))
def test_fewer_places_or_more_people_never_read_better(seed):
    """Monotonicity: cutting site places or adding people never lowers the people without a place."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(500, 5000, 7).astype(float).tolist()
    net = line(lengths, rng.choice([BIG, 2000, 500], 7).tolist())
    nodes = rng.choice(8, 8, replace=False)
    origins = [(int(nodes[k]), int(rng.integers(100, 3000)), 0) for k in range(4)]
    sites = [(int(nodes[4 + k]), int(rng.integers(200, 2000))) for k in range(3)]
    base = md.simulate(inst(net, origins=origins, sites=sites, step_s=300))
    fewer = md.simulate(inst(net, origins=origins, sites=[(n, int(c * 0.7)) for n, c in sites], step_s=300))
    more = md.simulate(inst(net, origins=[(n, p + 500, o) for n, p, o in origins], sites=sites, step_s=300))
    assert fewer.without_place_day[-1] >= base.without_place_day[-1]
    assert fewer.at_sites_day[-1] <= base.at_sites_day[-1]
    assert more.without_place_day[-1] >= base.without_place_day[-1]
    for r in (base, fewer, more):  # nobody vanishes
        assert (r.at_origin_day + r.on_road_day + r.at_sites_day + r.without_place_day == r.total_people).all()


def test_left_out_arrays_take_their_defaults_and_given_ones_are_kept() -> None:
    base = dict(
        **line([100.0]),
        origin_node=[0, 0],
        origin_people=[3, 4],
        origin_order=[0, -1],
        site_node=[1],
        site_capacity=[7],
        modes=[FOOT],
        horizon_days=2,
        order_day=[0.0],
        order_curves=[ALL_DAY0],
    )
    left_out = md.DaysInstance(**base)
    as_none = md.DaysInstance(**base, origin_access_m=None, site_order=None, site_overflow=None)
    for i in (left_out, as_none):
        assert np.isnan(i.order_operation_day).tolist() == [True]
        assert i.origin_unordered_share.tolist() == [0.0, 0.0]
        assert i.origin_access_m.tolist() == [0.0, 0.0]
        assert i.origin_vulnerable_share.tolist() == [0.0, 0.0]
        assert i.site_order.tolist() == [-1]
        assert i.site_overflow.tolist() == [False]
        assert (i.origin_ids, i.site_ids) == (["0", "1"], ["0"])
    given = md.DaysInstance(
        **base, origin_access_m=np.array([5.0, 6.0]), site_order=np.array([0]), origin_ids=["a", "b"]
    )
    assert given.origin_access_m.tolist() == [5.0, 6.0]
    assert given.site_order.tolist() == [0]
    assert given.origin_ids == ["a", "b"]
    assert md.instance_problems(left_out) == []
