"""End to end on the bundled Rafah example (fast enough for every run)."""

import pytest
from conftest import EXAMPLE

from reliefplan.pipeline import make_plan
from reliefplan.scenario import load_scenario


@pytest.fixture(scope="module")
def plans():
    return {name: make_plan(load_scenario(EXAMPLE, name)) for name in ("targeted", "full")}


def test_people_conserved_in_both_scenarios(plans):
    for p in plans.values():
        assert p.people.sheltered + p.people.unsheltered == p.people.displaced
        assert p.people.displaced + p.people.staying == p.people.population == 1_400_000
        assert sum(z.sheltered + z.unsheltered for z in p.zones) == p.people.displaced
        assert sum(f.people for f in p.flows) == p.people.sheltered
        for s in p.sites:
            assert s.population <= s.capacity


def test_targeted_scenario_figures(plans):
    p = plans["targeted"]
    # 8 blocks, 6.28 km2 inside the governorate at 1.4 M / 63.98 km2 (area-weighted) = 137,375
    assert p.people.displaced == 137_375
    assert p.people.unsheltered == 0
    assert p.needs.water_l_per_day == 137_375 * 15


def test_full_scenario_runs_out_of_site_area(plans):
    p = plans["full"]
    assert p.people.displaced == 1_400_000
    # usable site area outside the governorate: (60.93 - 0.97) km2 x 0.7 / 45 m2 ~ 932,663 places
    capacity = sum(s.capacity for s in p.sites)
    assert p.people.sheltered == min(capacity, 1_400_000) == 932_663
    assert p.people.unsheltered == 467_337
    share = next(i for i in p.verdict if i.indicator == "displaced_people_sheltered_share")
    assert share.met is False and share.value == pytest.approx(932_663 / 1_400_000)
    area = next(i for i in p.verdict if i.indicator == "usable_site_area_m2_per_displaced_person")
    assert area.met is False and area.value == pytest.approx(30.0, abs=0.3)
