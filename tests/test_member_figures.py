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


def test_site_shares_and_first_days_equal_one_site_at_a_time(rafah):
    from reliefplan.solvers.sustain import COVERAGE_TOL, _first, _met_share, sustain

    d = rafah[1].deliveries
    res = d.result
    got = sustain(d.instance, res)
    owed = res.need_to_date_t()
    consumed = np.clip(res.consumed_t, 0.0, None)
    for k, kid in enumerate(res.commodity_ids):
        carry = bool(res.carry_over[k])
        for s, sid in enumerate(res.site_ids):
            want = (
                _met_share(consumed[k, s], res.demand_t[k, s], res.shortfall_t[k, s], owed[k, s], carry)
                if res.demand_t[k, s].any()
                else None
            )
            assert got.met_share_by_site[kid][s] == want
            is_short = res.shortfall_t[k, s] > 1e-6 + COVERAGE_TOL * owed[k, s]
            assert got.first_shortfall_day_by_site[kid][sid] == _first(is_short)
    assert any(v is not None for v in got.first_shortfall_day_by_site["water"].values())


def test_fleets_equal_the_corridor_by_corridor_counts(rafah):
    from reliefplan.solvers.supply.results import fleet_by_origin, fleet_requirements

    d = rafah[1].deliveries
    got, want = fleet_requirements(d.instance, d.result), ref.fleet_requirements(d.instance, d.result)
    assert len(got) == len(want) == len(d.instance.arcs)
    for a, b in zip(got, want):
        assert {**a.__dict__, "trucks_per_day": None} == {**b.__dict__, "trucks_per_day": None}
        assert np.array_equal(a.trucks_per_day, b.trucks_per_day) and a.trucks_per_day.dtype == b.trucks_per_day.dtype
    assert any(f.fleet_trucks for f in got)
    got_o, want_o = fleet_by_origin(d.instance, d.result), ref.fleet_by_origin(d.instance, d.result)
    assert [o.node for o in got_o] == [o.node for o in want_o]
    for a, b in zip(got_o, want_o):
        assert (a.max_trucks_per_day, a.fleet_trucks) == (b.max_trucks_per_day, b.fleet_trucks)
        assert np.array_equal(a.trucks_per_day, b.trucks_per_day)
    assert any(o.max_trucks_per_day for o in got_o)


def test_geometry_is_reused_only_for_the_same_geometry(rafah, monkeypatch):
    """An ensemble member's zones and sites are copies with other numbers and the same geometry objects: the zones'
    parts inside the footprints and the sites' free land are computed once, and again for other geometry or start
    days; the results equal those computed afresh."""
    import shapely

    from reliefplan.scenario import model
    from reliefplan.stages import displacement

    sc = rafah[0]
    calls = []
    real = displacement._zone_parts
    monkeypatch.setattr(displacement, "_zone_parts", lambda *a: calls.append(1) or real(*a))
    monkeypatch.setattr(displacement, "_PARTS", type(displacement._PARTS)())
    first = displacement.displace(sc.zones, sc.footprints, sc.crs)
    halved = [z.model_copy(update={"population": z.population // 2}) for z in sc.zones]
    again = displacement.displace(halved, sc.footprints, sc.crs)
    assert len(calls) == 1
    monkeypatch.setattr(displacement, "_PARTS", type(displacement._PARTS)())
    fresh = displacement.displace(halved, sc.footprints, sc.crs)
    assert len(calls) == 2
    for k in ("population", "displaced", "share", "days", "displaced_by_day", "origin_xy", "origin_lonlat"):
        assert np.array_equal(getattr(again, k), getattr(fresh, k)), k
    assert again.displaced.sum() < first.displaced.sum()
    later = [f.model_copy(update={"start_day": f.start_day + 1.0}) for f in sc.footprints]
    assert np.array_equal(displacement.displace(halved, later, sc.crs).days, fresh.days + 1.0)
    assert len(calls) == 3

    free = model.free_geometry(sc.sites, sc.footprints)
    free[0] = None  # the caller's array
    again_free = model.free_geometry([s.model_copy(update={"usable_fraction": 0.1}) for s in sc.sites], sc.footprints)
    fps = shapely.union_all(np.array([f.geometry_m for f in sc.footprints], dtype=object))
    want = shapely.difference(np.array([s.geometry_m for s in sc.sites], dtype=object), fps)
    assert all(shapely.equals_exact(a, b, 0.0) for a, b in zip(again_free, want))
