import math

import pytest

from reliefplan.scenario.folder import AgeBand, PopulationStructure
from reliefplan.stages.needs import compute_needs, energy_kcal_per_person_day
from reliefplan.standards import load_standards

STD = load_standards("sphere-2018")


def test_needs_hand_calculation_10000_people():
    n = compute_needs(10_000, STD, household_size=5)
    assert n.water_l_per_day == 150_000
    assert n.survival_water_l_per_day == 75_000
    assert n.kcal_per_day == 21_000_000
    # basket 0.555 kg carries 2072.25 kcal -> 3733.78 kcal/kg; 21e6 kcal / 3733.78 = 5624.3 kg
    assert n.food_kg_per_day == pytest.approx(21_000_000 / (2072.25 / 0.555))
    assert sum(b.kg_per_day for b in n.basket) == pytest.approx(n.food_kg_per_day)
    assert n.latrines == 200 and n.latrines_female == 150 and n.latrines_male == 50
    assert n.latrines_medium_term == 500
    assert n.water_taps == 40
    assert n.health_posts == 1 and n.health_centres == 1 and n.hospitals == 1
    assert n.hospital_beds == 10 and n.health_workers == 23
    assert n.distribution_points == 2
    assert n.households == 2000
    # covered area 35,000 m2 / 16 m2 per tent = 2,187.5 -> 2,188 tents (more than one per household)
    assert n.tents == 2188
    assert n.covered_area_m2 == 35_000 and n.site_area_m2 == 450_000
    assert n.medical_kits_per_day == pytest.approx(10_000 / 10_000 / 90)
    assert n.trucks_per_day_food_medical == pytest.approx((n.food_kg_per_day + 1000 / 90) / 20_000)
    assert n.water_tankers_per_day == pytest.approx(150 / 15)


def test_counts_round_up_and_zero_people():
    n = compute_needs(251, STD, household_size=5)
    assert n.water_taps == 2 and n.latrines == 6 and n.latrines_female == 5 and n.latrines_male == 1
    z = compute_needs(0, STD, household_size=5)
    assert z.water_taps == 0 and z.latrines == 0 and z.tents == 0 and z.food_kg_per_day == 0


def test_age_sex_energy_requirement_hand_calculation():
    structure = PopulationStructure(
        file="x.csv",
        bands=[AgeBand(age="0 to 4yo", male=0.25, female=0.25), AgeBand(age="20 to 59yo", male=0.25, female=0.25)],
        pregnant=0.02,
        lactating=0.03,
    )
    kcal = energy_kcal_per_person_day(STD, structure)
    expected = 0.25 * (1320 + 1250 + 2460 + 1990) + 0.02 * 285 + 0.03 * 500
    assert kcal == pytest.approx(expected)
    n = compute_needs(1000, STD, household_size=5, kcal_per_person_day=kcal)
    assert n.kcal_per_day == pytest.approx(1000 * expected)


def test_unhcr_profile_changes_water_and_taps():
    u = load_standards("unhcr-emergency")
    n = compute_needs(10_000, u, household_size=5)
    assert n.water_l_per_day == 200_000
    assert n.water_taps == math.ceil(10_000 / 80)
