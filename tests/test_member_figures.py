"""What a plan (and an ensemble member) computes outside its solvers, now as arrays: the same figures as the loops
they replaced (tests/member_reference.py), exactly, on the bundled Rafah example: each location's need by group,
the supply plan's sites, the truckloads the verdict counts, the needs of every site, the health block."""

from __future__ import annotations

import member_reference as ref
import numpy as np
import pytest
from conftest import EXAMPLE

from reliefplan.pipeline import finish, shelter
from reliefplan.scenario.folder import load_scenario
from reliefplan.solvers.supply import load_commodities
from reliefplan.stages import deliveries, health
from reliefplan.stages.needs import compute_needs, needs_for


@pytest.fixture(scope="module")
def rafah():
    """(scenario, its plan run, everyone's presence): `targeted`, layouts off."""
    sc = load_scenario(EXAMPLE, "targeted")
    sc.layout = sc.layout.model_copy(update={"enabled": False})
    sh = shelter(sc)
    return sc, finish(sc, sh), sh.presence


def test_need_by_location_and_group_equals_the_loop(rafah):
    sc, r, pres = rafah
    kcal = r.plan.needs.kcal_per_person_day
    specs = load_commodities(sc.standards, kcal_per_person_day=kcal, cargo=sc.cargo)
    used, need = deliveries.node_demand(pres, specs)
    used_ref, need_ref = ref.node_demand(pres, specs)
    assert used == used_ref and len(used) > 100
    assert need == need_ref  # every location, group, commodity and day, float for float
    ids = [pres.location_ids[i] for i in used]
    sites = deliveries._sites(sc, pres, used, ids, need, specs, None)
    sites_ref = ref._sites(sc, pres, used, ids, need_ref, specs, None)
    assert sites == sites_ref
    assert any(s.storage_t for s in sites)


def test_truckloads_needed_equal_the_sum_one_by_one(rafah):
    sc, r, pres = rafah
    kcal = r.plan.needs.kcal_per_person_day
    dem = deliveries.supply_demand(sc, pres, kcal)
    loads, how = deliveries.truckloads_needed_by_day(sc, pres, kcal, dem)
    loads_ref, how_ref = ref.truckloads_needed_by_day(sc, pres, kcal, dem)
    assert np.array_equal(loads, loads_ref) and how == how_ref
    assert loads.min() > 0


@pytest.mark.parametrize("mix", [True, False])
def test_needs_of_many_sites_equal_one_call_each(rafah, mix):
    sc = rafah[0]
    kw = dict(household_size=sc.household_size, kcal_per_person_day=2_013.7, cargo=sc.cargo)
    kw["food_mix"] = sc.food_mix if mix else None
    if mix:
        assert sc.food_mix  # the example's 2024 cargo mix: one basket line per item
    counts = [0, 1, 5, 6, 7, 12_345, 40_001, 999_999]
    many = needs_for(counts, sc.standards, **kw)
    for n, got in zip(counts, many):
        want = ref.compute_needs(n, sc.standards, **kw)
        assert got.model_dump() == want.model_dump()
        assert compute_needs(n, sc.standards, **kw) == want
    assert needs_for([], sc.standards, **kw) == []


def test_health_block_equals_the_one_percentile_per_row(rafah, monkeypatch):
    sc, r, pres = rafah
    seen = []
    real = health._block
    monkeypatch.setattr(health, "_block", lambda *a: seen.append(a) or real(*a))
    health.plan_health(sc, pres, r.deliveries, r.layouts, r.plan.needs.kcal_per_person_day)
    (args,) = seen
    assert real(*args).model_dump() == ref._block(*args).model_dump()
    assert real(*args).series
