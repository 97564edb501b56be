"""Warm or cold (`solvers/supply/restarts.py`, `solve.WARM_OR_COLD`): a worker's members restart the supply LP warm
while that costs less than solving it cold, switch to cold when the median of the last 3 warm solves costs more,
try warm again after some cold members, and every member, on either path, reaches the direct solve's optimum."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from test_supply_sifting import _random_instance, _uneven_instance

from reliefplan.solvers.supply import restarts, solve, solve_supply
from reliefplan.solvers.supply.restarts import NOISE_S, PROBE_AFTER, PROBE_AFTER_MAX, Restarts


def _fed(r: Restarts, costs: list[tuple[bool, float]]) -> Restarts:
    for warm, cpu_s in costs:
        r.record(warm, cpu_s)
    return r


def test_two_warm_solves_dearer_than_cold_switch_to_cold():
    r = _fed(Restarts(), [(False, 3.0), (True, 6.7)])
    assert r.next_warm()  # one is not enough
    r.record(True, 6.4)
    assert not r.next_warm() and r.cold


def test_two_of_the_last_three_warm_solves_dearer_switch_to_cold():
    r = _fed(Restarts(), [(False, 3.0), (True, 6.7), (True, 1.0), (True, 1.0), (True, 4.0)])
    assert r.next_warm()  # 1 of the last 3
    r.record(True, 4.0)
    assert not r.next_warm()  # 2 of the last 3


def test_one_slow_warm_solve_does_not_switch():
    """Rafah `full`: the first warm member after a worker's cold one pays about a cold solve, the next ones little."""
    r = _fed(Restarts(), [(False, 3.1), (True, 4.0), (True, 0.6), (True, 0.8), (True, 0.3), (True, 9.0)])
    assert r.next_warm() and not r.cold


def test_differences_within_the_noise_switch_nothing():
    r = _fed(Restarts(), [(False, 0.01), (True, 0.03), (True, 0.05), (True, 0.06)])
    assert r.next_warm()
    r.record(True, 0.01 + NOISE_S + 0.02)
    r.record(True, 0.01 + NOISE_S + 0.03)
    assert not r.next_warm()


def test_without_a_cold_cost_warm_goes_on():
    """The worker's cold solve stopped at its time limit (not recorded): nothing to compare with."""
    assert _fed(Restarts(), [(True, 9.0), (True, 9.0), (True, 9.0)]).next_warm()


def _cold_members(r: Restarts, cpu_s: float = 3.0) -> int:
    """Cold solves (``cpu_s`` each) recorded until the worker tries warm again."""
    n = 0
    while not r.next_warm():
        r.record(False, cpu_s)
        n += 1
    return n


def test_a_probe_after_cold_members_and_back_to_warm():
    r = _fed(Restarts(), [(False, 3.0), (True, 6.0), (True, 6.0)])
    assert _cold_members(r) == PROBE_AFTER
    r.record(True, 7.0)  # the probe: its first warm solve loses, one is not enough
    assert r.next_warm()
    r.record(True, 7.0)  # two: cold again, the next probe twice as late
    assert not r.next_warm() and r.probe_after == 2 * PROBE_AFTER
    assert _cold_members(r) == 2 * PROBE_AFTER
    r.record(True, 7.0)  # loses, as the first warm restart after a cold solve tends to
    for cpu_s in (1.0, 1.0, 5.0, 1.0):  # then warm pays: the worker stays warm
        r.record(True, cpu_s)
        assert r.next_warm()
    r.record(True, 5.0)  # 2 of the last 3 lose after a stretch of warm members: cold, probes as at first
    assert not r.next_warm() and r.probe_after == PROBE_AFTER


def test_probes_grow_rarer_up_to_a_bound():
    r = _fed(Restarts(), [(False, 1.0), (True, 2.0), (True, 2.0)])
    gaps = []
    for _ in range(6):
        gaps.append(_cold_members(r, 1.0))
        r.record(True, 2.0)
        r.record(True, 2.0)
    assert gaps == [min(PROBE_AFTER * 2**i, PROBE_AFTER_MAX) for i in range(6)]


def _member(inst, f: float):
    """``inst`` with its crossings scaled by ``f`` and its need by 2 - f (another scarcity per member)."""
    return replace(
        inst,
        entry_points=[replace(e, trucks_per_day=e.trucks_per_day * f) for e in inst.entry_points],
        sites=[
            replace(s, demand_t={k: [v * (2.0 - f) for v in vs] for k, vs in s.demand_t.items()}) for s in inst.sites
        ],
    )


@pytest.fixture
def scripted(monkeypatch):
    """Solves cost what the test says per path (CPU s, {warm: cost}) instead of what the machine measures."""
    costs = {True: 1.0, False: 0.5}
    record = Restarts.record
    monkeypatch.setattr(Restarts, "record", lambda self, warm, _cpu_s: record(self, warm, costs[warm]))
    monkeypatch.setattr(restarts, "PROBE_AFTER", 2)
    monkeypatch.setattr(restarts, "PROBE_AFTER_MAX", 4)
    return costs


def _same_as_direct(hot, member, trucks):
    direct = solve_supply(member, trucks=trucks, method="direct")
    assert hot.status == direct.status == "Optimal"
    assert hot.objective_deprivation == pytest.approx(direct.objective_deprivation, rel=1e-9, abs=1e-7)
    np.testing.assert_allclose(hot.cell_shortfall_t, direct.cell_shortfall_t, atol=1e-5)
    assert hot.max_conservation_residual_t < 1e-6


@pytest.mark.parametrize("sharing", ["equal", "priority"])
def test_members_switch_to_cold_and_back_and_each_equals_the_direct_solve(scripted, sharing):
    """First member cold; 2 warm ones dearer: cold (a new model each, sifted as a plan is: every stock column held);
    a probe after 2 cold members loses twice, the next after 4 wins (warm made cheap meanwhile): warm again."""
    inst = _random_instance(2, sharing, days=10)
    warm: dict = {}
    paths, held = [], []
    model = None
    factors = np.linspace(0.5, 1.5, 14)
    for i, f in enumerate(factors):
        if i == 11:
            scripted[True] = 0.1  # the draws moved closer: the probe wins
        member = _member(inst, float(f))
        trucks = "second_solve" if i % 3 == 0 else "off"
        hot = solve_supply(member, warm=warm, trucks=trucks)
        kept = next(iter(warm.values()))
        paths.append("warm" if kept.h is model else "cold")
        model = kept.h
        held.append(hot.method)
        _same_as_direct(hot, member, trucks)
    assert paths == ["cold"] + ["warm"] * 2 + ["cold"] * 2 + ["warm"] * 2 + ["cold"] * 4 + ["warm"] * 3, paths
    n_stock = held[0].split(" of ")[1].split()[0]
    for i in (3, 4, 7, 8, 9, 10):  # a cold member holds every site stock column at first, as the first one does
        assert held[i].startswith("sifting") and held[i].split(" of ")[1].split()[0] == n_stock, held[i]


def test_without_the_rule_members_stay_warm(scripted, monkeypatch):
    monkeypatch.setattr(solve, "WARM_OR_COLD", False)
    inst = _random_instance(0, "equal", days=10)
    warm: dict = {}
    models = []
    for f in (1.0, 0.6, 1.3, 0.8, 1.1, 0.7):
        member = _member(inst, f)
        hot = solve_supply(member, warm=warm, trucks="off")
        models.append(next(iter(warm.values())).h)
        _same_as_direct(hot, member, "off")
    assert len({id(m) for m in models}) == 1


def test_after_a_give_up_members_solve_whole_whatever_warm_cost(scripted, monkeypatch):
    """`COLD_AFTER_GIVE_UP` comes first: a worker that gave up sifting solves every later member whole, even when
    warm is scripted cheap (warm is then never tried)."""
    from reliefplan.solvers.supply import sifting

    monkeypatch.setattr(sifting, "SIFT_GIVE_UP_COLUMNS", 0)
    scripted[True] = 0.0
    inst = _uneven_instance(1)
    warm: dict = {}
    for i, f in enumerate((1.0, 0.6, 1.3, 0.9)):
        member = replace(
            inst,
            entry_points=[
                replace(e, capacity_t_by_day=[c * f for c in e.capacity_t_by_day]) for e in inst.entry_points
            ],
        )
        hot = solve_supply(member, warm=warm, trucks="off", method="sifting")
        assert ("gave up" in hot.method) and hot.method.startswith("sifting" if i == 0 else "direct"), hot.method
        _same_as_direct(hot, member, "off")
    assert next(iter(warm.values())).restarts.warm_s == []


def test_the_worker_records_what_each_path_cost():
    """Unscripted: the real costs land in the worker's record (the thread's CPU seconds, > 0)."""
    inst = _random_instance(5, "equal", days=10)
    warm: dict = {}
    for f in (1.0, 0.7, 1.2):
        solve_supply(_member(inst, f), warm=warm, trucks="off")
    r = next(iter(warm.values())).restarts
    assert len(r.cold_s) == 1 and len(r.warm_s) == 2 and min(r.cold_s + r.warm_s) > 0.0


@pytest.mark.slow
def test_a_staged_orders_member_solved_cold_by_the_rule_equals_a_cold_plan(scripted, monkeypatch):
    """The example's staged-orders-2024 in a warm worker: its first member cold, the next warm and dearer (scripted,
    one loss enough), so the third solves cold by the rule; that member's key results equal a cold plan of its draws
    with nothing cached."""
    from conftest import EXAMPLE, assert_same_key_results

    from reliefplan.analysis import ensemble, ensemble_member
    from reliefplan.pipeline import run
    from reliefplan.scenario.config import with_layout
    from reliefplan.scenario.folder import load_scenario
    from reliefplan.solvers.movement_days import routes

    monkeypatch.setattr(restarts, "WARM_LOSSES", 1)
    name = "staged-orders-2024"
    members = ensemble.draw_members(load_scenario(EXAMPLE, name), 3, seed=5)
    key = str(EXAMPLE.resolve())
    ensemble_member._STATE.clear()
    ensemble_member._SHELTERED.clear()
    ensemble.run_member(ensemble.MemberTask(key, name, False, members[0]))  # the worker's first member: cold
    base, cache = ensemble_member._base(key, name, False)
    ensemble.plan_member(base, cache, members[1])  # warm, and (scripted) dearer than the cold one
    (kept,) = cache.supply_lp.values()
    assert kept.restarts.cold and not kept.restarts.next_warm()
    member = ensemble.plan_member(base, cache, members[2]).plan
    (again,) = cache.supply_lp.values()
    assert again.h is not kept.h and again.restarts.cold_s == [0.5, 0.5]  # a new model: solved cold
    routes._SEGMENTS.clear()
    cold_sc = ensemble.member_scenario(load_scenario(EXAMPLE, name), members[2])
    cold_sc.layout = with_layout(cold_sc.layout, False)  # as the members: the layout fit, camps not drawn
    cold = run(cold_sc, rows=False).plan
    assert_same_key_results(ensemble.key_results(member), ensemble.key_results(cold))
