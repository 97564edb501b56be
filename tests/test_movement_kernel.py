"""The compiled per-step kernel of the hourly movement gives exactly what the array version gave (kept as the
reference in movement_reference.py) on small random cases: jams, links shorter than a step, several modes with
a vehicle limit, successive orders with re-displacement, overflow, arrival order and a plan."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from movement_reference import simulate_reference

from reliefplan.solvers import movement_days as md
from reliefplan.solvers.departures import EmpiricalCurve, LogisticCurve


def grid_instance(seed: int, step_s: float) -> md.DaysInstance:
    """A 5 x 5 grid (both directions), lengths 40-900 m (some shorter than a step), tight capacities on half
    the links, 6 origins on two orders, 5 sites (one ordered later, one overflow)."""
    rng = np.random.default_rng(seed)
    side = 5
    frm, to = [], []
    for r in range(side):
        for c in range(side):
            v = r * side + c
            if c + 1 < side:
                frm += [v, v + 1]
                to += [v + 1, v]
            if r + 1 < side:
                frm += [v, v + side]
                to += [v + side, v]
    m = len(frm)
    length = np.repeat(rng.uniform(40, 900, m // 2), 2)
    cap = np.where(rng.random(m) < 0.5, rng.uniform(100, 600, m), 1e9)
    nodes = rng.choice(side * side, 11, replace=False)
    modes = [
        md.ModeSpec(name="foot", share=0.6, speed_m_s=1.1),
        md.ModeSpec(name="cart", share=0.3, speed_m_s=1.6, road_use=1.5),
        md.ModeSpec(name="car", share=0.1, speed_m_s=6.0, road_use=4.0, max_people_per_day=60, on_foot=False),
    ]
    return md.DaysInstance(
        n_nodes=side * side,
        arc_from=frm,
        arc_to=to,
        arc_length_m=length,
        arc_capacity_per_h=cap,
        origin_node=nodes[:6],
        origin_people=rng.integers(200, 3000, 6),
        origin_order=[0, 0, 0, 1, 1, -1],
        origin_unordered_share=[0, 0, 0, 0.3, 0.3, 0.5],
        origin_access_m=rng.uniform(0, 400, 6),
        origin_vulnerable_share=rng.uniform(0, 0.3, 6),
        site_node=nodes[6:],
        site_capacity=[*rng.integers(500, 4000, 4), 0],
        site_order=[-1, 1, -1, -1, -1],
        site_overflow=[False, False, False, False, True],
        modes=modes,
        horizon_days=4,
        order_day=[0.0, 1.0],
        order_curves=[
            LogisticCurve(final_share=0.9, midpoint_days=1.0, width_days=0.4),
            EmpiricalCurve(days=[1, 2], share=[0.6, 1.0]),
        ],
        order_operation_day=[1.0, np.nan],
        departure_hours=(6.0, 9.0),
        step_s=step_s,
        max_walk_h=0.3,
    )


def assert_same(a: md.DaysResult, b: md.DaysResult) -> None:
    """Every field equal: arrays element by element, floats bit for bit."""
    for k, v in vars(a).items():
        w = getattr(b, k)
        if isinstance(v, np.ndarray):
            np.testing.assert_array_equal(v, w, err_msg=k)
        else:
            assert v == w, k


@pytest.mark.parametrize(("seed", "step_s"), [(0, 60.0), (1, 300.0), (2, 120.0), (3, 60.0)])
@pytest.mark.parametrize("assignment", ["arrival", "plan"])
def test_kernel_equals_the_array_version(seed: int, step_s: float, assignment: Any) -> None:
    inst = grid_instance(seed, step_s)
    plan = md.staged_plan(inst).people if assignment == "plan" else None
    got = md.simulate(inst, assignment=assignment, plan=plan)
    want = simulate_reference(inst, assignment=assignment, plan=plan)
    assert_same(got, want)
    assert got.bottlenecks, "a case without a jam would not test the congested pass"
    assert got.redisplaced > 0 or assignment == "plan"
