"""What an ensemble member of a scenario with successive orders reuses from earlier runs in its worker (the
segments of the ways to the sites, `movement_days.routes.segments`) never changes a result: a member equals a
cold plan of the same draws, run for run and figure by figure."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from test_movement_kernel import assert_same, grid_instance

from reliefplan._errors import InputError
from reliefplan.solvers import movement_days as md
from reliefplan.solvers.movement_days import routes, simulation

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "rafah-2024"


def _member(inst: md.DaysInstance, seed: int) -> md.DaysInstance:
    """The instance with an ensemble member's kind of draws: road capacity and people (lengths unchanged)."""
    rng = np.random.default_rng(seed)
    return replace(
        inst,
        arc_capacity_per_h=inst.arc_capacity_per_h * rng.lognormal(0.0, 0.25),
        origin_people=np.maximum(0, np.rint(inst.origin_people * rng.normal(1.0, 0.1, len(inst.origin_people)))).astype(
            np.int64
        ),
    )


def _other_destinations(inst: md.DaysInstance, seed: int) -> md.DaysInstance:
    """`_member`, with the sites in another order and one more overflow destination at a site's node (as an
    ensemble member's overflow places are): the segments, keyed on the sites' nodes, are shared all the same."""
    rng = np.random.default_rng(seed)
    n_s = len(inst.site_node)
    perm = rng.permutation(n_s)
    extra = int(rng.integers(n_s))
    return replace(
        _member(inst, seed),
        site_node=np.r_[np.asarray(inst.site_node)[perm], np.asarray(inst.site_node)[extra]],
        site_capacity=np.r_[(np.asarray(inst.site_capacity)[perm] * rng.uniform(0.6, 1.2, n_s)).astype(np.int64), 0],
        site_order=np.r_[np.asarray(inst.site_order)[perm], -1],
        site_overflow=np.r_[np.asarray(inst.site_overflow)[perm], True],
        site_ids=[str(j) for j in range(n_s + 1)],
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("assignment", ["arrival", "plan"])
@pytest.mark.parametrize("draws", [_member, _other_destinations])
@pytest.mark.parametrize("table", [True, False])
def test_a_run_after_other_runs_on_the_same_roads_equals_a_cold_run(monkeypatch, seed, assignment, draws, table):
    """With the route table routes are made in compiled code (nothing memoised); without it, in Python from the
    segments memoised per network."""
    if not table:
        monkeypatch.setattr(simulation, "_ROUTE_TABLE", 0)
    base = grid_instance(seed, 120.0)
    member = draws(base, seed + 10)
    plan = md.staged_plan(member).people if assignment == "plan" else None
    routes._SEGMENTS.clear()
    cold = md.simulate(member, assignment=assignment, plan=plan)
    routes._SEGMENTS.clear()
    md.simulate(base)  # the worker's earlier member: other capacities and people, the same roads
    md.simulate(base, assignment="plan", plan=md.staged_plan(base).people)
    warm = md.simulate(member, assignment=assignment, plan=plan)
    assert_same(warm, cold)
    assert warm.bottlenecks and warm.total_people == member.total_people
    if table:
        assert not routes._SEGMENTS
        return
    # the same network's segments, used again: the member's run found most of its ways made
    assert len(routes._SEGMENTS) == 1 and next(iter(routes._SEGMENTS.values()))
    made = len(next(iter(routes._SEGMENTS.values())))
    md.simulate(member, assignment=assignment, plan=plan)
    assert len(routes._SEGMENTS) == 1 and len(next(iter(routes._SEGMENTS.values()))) - made < made


def test_other_roads_or_steps_get_their_own_segments(monkeypatch):
    monkeypatch.setattr(simulation, "_ROUTE_TABLE", 0)  # segments are memoised for the routes made in Python
    routes._SEGMENTS.clear()
    inst = grid_instance(0, 120.0)
    md.simulate(inst)
    md.simulate(replace(inst, step_s=60.0))
    md.simulate(replace(inst, arc_length_m=inst.arc_length_m * 1.5))
    assert len(routes._SEGMENTS) == 3
    for i in range(routes._SEGMENT_NETWORKS + 2):
        md.simulate(replace(inst, arc_length_m=inst.arc_length_m * (2.0 + i), horizon_days=2))
    assert len(routes._SEGMENTS) == routes._SEGMENT_NETWORKS


@pytest.mark.slow
def test_staged_orders_member_equals_a_cold_plan():
    """The example's staged-orders-2024 (two successive orders, both runs): an ensemble member in a warm worker
    (after another member) against a cold plan of the same draws with nothing cached."""
    from reliefplan.analysis import ensemble, ensemble_member
    from reliefplan.pipeline import run
    from reliefplan.scenario.config import with_layout
    from reliefplan.scenario.folder import load_scenario

    name = "staged-orders-2024"
    sc = load_scenario(EXAMPLE, name)
    members = ensemble.draw_members(sc, 2, seed=3)
    key = str(EXAMPLE.resolve())
    ensemble.run_member(ensemble.MemberTask(key, name, False, members[0]))  # warms the worker
    base, cache = ensemble_member._base(key, name, False)
    warm = ensemble.plan_member(base, cache, members[1]).plan
    routes._SEGMENTS.clear()
    cold_sc = ensemble.member_scenario(load_scenario(EXAMPLE, name), members[1])
    cold_sc.layout = with_layout(cold_sc.layout, False)  # as the members: the layout fit, camps not drawn
    cold = run(cold_sc, rows=False).plan
    assert warm.movement is not None and cold.movement is not None
    assert warm.movement.runs["arrival"] == cold.movement.runs["arrival"]
    assert warm.movement.runs["plan"] == cold.movement.runs["plan"]
    assert warm.movement.orders == cold.movement.orders
    assert warm.people == cold.people


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("cores", [1, 2])
@pytest.mark.parametrize("table", [True, False])
def test_the_two_runs_on_two_threads_equal_the_runs_one_after_the_other(monkeypatch, seed, cores, table):
    """`simulate_runs` runs the plan's and the arrival-order runs on two threads (one core: one after the other);
    each equals its run alone, figure by figure, whichever finishes first."""
    if not table:
        monkeypatch.setattr(simulation, "_ROUTE_TABLE", 0)
    monkeypatch.setattr(simulation, "usable_cpus", lambda: cores)
    inst = _other_destinations(grid_instance(seed, 120.0), seed + 20)
    plan = md.staged_plan(inst).people
    alone = {"plan": md.simulate(inst, assignment="plan", plan=plan), "arrival": md.simulate(inst)}
    both = md.simulate_runs(inst, ("plan", "arrival"), plan=plan)
    assert list(both) == ["plan", "arrival"]
    for a, r in both.items():
        assert r.assignment == a
        assert_same(r, alone[a])


def test_simulate_runs_names_a_bad_assignment_and_a_missing_plan():
    inst = grid_instance(0, 120.0)
    with pytest.raises(InputError, match="expected arrival or plan, got 'fastest'"):
        md.simulate_runs(inst, ("plan", "fastest"), plan=md.staged_plan(inst).people)
    with pytest.raises(InputError, match="needs a plan"):
        md.simulate_runs(inst, ("arrival", "plan"))
