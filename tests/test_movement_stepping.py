"""The ordinary steps of an hourly run in one compiled call (`movement_days.stepping.advance`) give exactly what
the same run stepped one step at a time gives (`_Sim.compiled_steps = False`): jams, links shorter than a step,
re-displacement, overflow, arrival order and a plan, and every way `advance` hands a step back."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from test_movement_kernel import assert_same, grid_instance

from reliefplan.solvers import movement_days as md
from reliefplan.solvers.movement_days import places_kernel, simulation, stepping


def _one_at_a_time(monkeypatch: pytest.MonkeyPatch, inst: md.DaysInstance, **kw: Any) -> md.DaysResult:
    with monkeypatch.context() as m:
        m.setattr(simulation._Sim, "compiled_steps", False)
        return md.simulate(inst, **kw)


@pytest.mark.parametrize(("seed", "step_s"), [(0, 60.0), (1, 300.0), (2, 120.0), (5, 300.0), (6, 60.0), (7, 120.0)])
@pytest.mark.parametrize("assignment", ["arrival", "plan"])
def test_compiled_steps_equal_steps_one_at_a_time(monkeypatch, seed, step_s, assignment):
    inst = grid_instance(seed, step_s)
    plan = md.staged_plan(inst).people if assignment == "plan" else None
    got = md.simulate(inst, assignment=assignment, plan=plan)
    want = _one_at_a_time(monkeypatch, inst, assignment=assignment, plan=plan)
    assert_same(got, want)
    assert got.walking_over_h.sum() > 0
    assert got.bottlenecks or seed > 5  # seeds 0-5 jam


def test_every_way_of_handing_a_step_back_is_taken(monkeypatch):
    """Calls of `advance` by why they stopped, on runs with sites filling up (arrival order) and a plan; and
    people turned away from a full site within a compiled call (arrivals handed back: the next test)."""
    seen: dict[int, int] = {}
    turned = []
    plain = simulation._Sim._advance

    def counted(self, *a):
        before = self.turned_away
        out = plain(self, *a)
        seen[out[1]] = seen.get(out[1], 0) + 1
        turned.append(self.turned_away - before)
        return out

    monkeypatch.setattr(simulation._Sim, "_advance", counted)
    for seed in (1, 3):
        inst = grid_instance(seed, 300.0)
        md.simulate(inst)
        md.simulate(inst, assignment="plan", plan=md.staged_plan(inst).people)
    assert {stepping.DAY_DONE, stepping.STEP_IN_PYTHON} <= set(seen), seen
    assert max(turned) > 0


def test_full_buffers_of_long_walks_hand_the_arrivals_back(monkeypatch):
    """With room for one long walk a call (and a round of arrivals needs two), arrivals go through Python:
    the same result."""
    inst = grid_instance(3, 60.0)
    want = md.simulate(inst)
    plain = simulation._Sim.__init__

    def small(self, *a):
        plain(self, *a)
        self._step_state = (np.zeros(2, np.int64), np.zeros(1), np.zeros(1, np.int64), np.zeros(2, np.int64))

    seen = []
    plain_advance = simulation._Sim._advance

    def counted(self, *a):
        out = plain_advance(self, *a)
        seen.append(out[1])
        return out

    monkeypatch.setattr(simulation._Sim, "__init__", small)
    monkeypatch.setattr(simulation._Sim, "_advance", counted)
    got = md.simulate(inst)
    assert_same(got, want)
    assert want.vulnerable_walking_over_h > 0
    assert any(k >= stepping.ARRIVALS_IN_PYTHON for k in seen), seen


def test_without_the_route_table_new_destinations_go_through_python(monkeypatch):
    inst = grid_instance(4, 120.0)
    want = md.simulate(inst)
    monkeypatch.setattr(simulation, "_ROUTE_TABLE", 0)
    assert_same(md.simulate(inst), want)


def test_compiled_quota_split_equals_largest_remainder():
    """`places_kernel.largest_remainder_capped` (the quota split of the planned departures and the places taken at a
    full site) against `_rounding.largest_remainder`, with ties and caps."""
    from reliefplan._rounding import largest_remainder

    rng = np.random.default_rng(0)
    for _ in range(300):
        cap = rng.integers(0, 6, rng.integers(1, 9))
        total = int(rng.integers(0, cap.sum() + 1))
        exact = cap * (total / max(cap.sum(), 1)) if rng.random() < 0.5 else rng.integers(0, 4, len(cap)) / 2.0
        exact = np.minimum(exact, cap)
        total = min(total, int(np.floor(exact).sum()) + int((exact > np.floor(exact)).sum()))
        want = largest_remainder(exact, total, cap=cap)
        np.testing.assert_array_equal(places_kernel.largest_remainder_capped(exact, total, cap), want)


def test_a_member_after_another_equals_a_cold_run_with_compiled_steps():
    """A worker's second run on the same roads (routes and segments made by the first) equals a cold run."""
    from reliefplan.solvers.movement_days import routes

    base = grid_instance(2, 120.0)
    member = replace(base, arc_capacity_per_h=base.arc_capacity_per_h * 0.7, origin_people=base.origin_people + 37)
    routes._SEGMENTS.clear()
    cold = md.simulate(member)
    md.simulate(base)
    assert_same(md.simulate(member), cold)


def test_the_compiled_steps_cache_is_keyed_on_the_kernel_source():
    """numba caches `advance` with the kernel functions it calls compiled in, but checks only stepping.py for
    changes: the kernel's source hash is a closure variable, part of the cache key, of each function calling it."""
    stamp = stepping._KERNEL_STAMP
    assert len(stamp) == 16
    for fn in (stepping.advance, stepping._arrive, stepping._short_round):
        assert stamp in [c.cell_contents for c in fn.py_func.__closure__ or ()]


def test_compiled_quota_split_equals_the_loop_it_replaced():
    """`places_kernel.split_quota` (the day's planned departures over their sites) against the Python loop of
    `schedule.day_events` before it, on random quotas (origins and re-displaced sites' streams)."""
    from reliefplan._rounding import largest_remainder

    rng = np.random.default_rng(1)
    for _ in range(50):
        n_o, n_s = 4, 5
        quota = rng.integers(0, 30, (n_o, n_s)) * (rng.random((n_o, n_s)) < 0.6)
        streams = rng.integers(0, n_o + 2, 12)
        people = rng.integers(1, 60, 12)
        want_j, want_n, want_parts, q = [], [], [], quota.copy()
        for s, n in zip(streams.tolist(), people.tolist()):
            parts = 0
            if s < n_o and q[s].any():
                give = min(n, int(q[s].sum()))
                alloc = largest_remainder(q[s] * (give / q[s].sum()), give, cap=q[s])
                q[s] -= alloc
                for jj in np.flatnonzero(alloc).tolist():
                    want_j.append(jj)
                    want_n.append(int(alloc[jj]))
                    parts += 1
                n -= give
            if n:
                want_j.append(-1)
                want_n.append(n)
                parts += 1
            want_parts.append(parts)
        got_q = quota.copy()
        j, n, parts = places_kernel.split_quota(streams, people, got_q, n_o)
        assert j.tolist() == want_j and n.tolist() == want_n and parts.tolist() == want_parts
        np.testing.assert_array_equal(got_q, q)
