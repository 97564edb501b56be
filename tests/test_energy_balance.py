"""Hall et al. (2011) energy balance against hand calculations and the paper's published rules of thumb."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reliefplan.scenario._healthdata import load_health_data
from reliefplan.solvers.energy_balance import (
    Body,
    HallConstants,
    jackson_fat_mass_kg,
    linearised_rho_tau,
    maintenance_intake_kcal_per_day,
    mifflin_rmr_kcal_per_day,
    simulate_adult_weight,
)

KJ = 0.239005736  # kcal per kJ

# One overweight man, the kind of adult Hall 2011's rules of thumb describe: 90 kg, 1.75 m, 40 y, PAL 1.5.
MAN = Body(weight_kg=np.array(90.0), height_m=np.array(1.75), age_years=np.array(40.0), female=np.array(False))


def test_constants_in_data_file_match_the_paper_in_kcal():
    k = HallConstants.from_data(load_health_data())
    assert k.rho_fat_kcal_per_kg == pytest.approx(39.5e3 * KJ, rel=1e-4)  # 39.5 MJ/kg
    assert k.rho_lean_kcal_per_kg == pytest.approx(7.6e3 * KJ, rel=1e-4)
    assert k.gamma_fat_kcal_per_kg_day == pytest.approx(13 * KJ, rel=1e-3)
    assert k.gamma_lean_kcal_per_kg_day == pytest.approx(92 * KJ, rel=1e-3)
    assert k.eta_fat_kcal_per_kg == pytest.approx(750 * KJ, rel=1e-4)
    assert k.eta_lean_kcal_per_kg == pytest.approx(960 * KJ, rel=1e-4)
    assert k == HallConstants()


def test_rmr_and_fat_mass_by_hand():
    # Mifflin: 9.99*90 + 6.25*175 - 4.92*40 + 5 = 899.1 + 1093.75 - 196.8 + 5
    assert float(mifflin_rmr_kcal_per_day(MAN)) == pytest.approx(1801.05, abs=1e-6)
    # Jackson (men): 90/100 * (0.14*40 + 37.31*ln(90/1.75^2) - 103.94) = 0.9 * 27.78937
    assert float(jackson_fat_mass_kg(MAN)) == pytest.approx(
        0.9 * (5.6 + 37.31 * math.log(90 / 1.75**2) - 103.94), rel=1e-9
    )
    assert float(jackson_fat_mass_kg(MAN)) == pytest.approx(25.0104, abs=1e-3)
    woman = Body(np.array(90.0), np.array(1.75), np.array(40.0), np.array(True))
    assert float(jackson_fat_mass_kg(woman)) > float(jackson_fat_mass_kg(MAN)) + 8  # women carry more fat at equal BMI
    assert float(maintenance_intake_kcal_per_day(MAN, 1.5)) == pytest.approx(1.5 * 1801.05)


def test_linearised_rho_and_tau_by_hand():
    # delta = (0.9*1.5 - 1) * 1801.05/90 = 7.00408; a = 10.4/25.01043 = 0.415826
    # storage = 9440.7 + 179.25 + a*(1816.4 + 229.45) = 10470.67
    # rho = storage / (0.76 * (1 + a)) = 9730.85 kcal/kg; tau = storage / (3.107 + delta + a*(21.99 + delta)) = 472.34 d
    rho, tau = linearised_rho_tau(MAN, 1.5)
    assert float(rho) == pytest.approx(9730.85, abs=0.05)
    assert float(tau) == pytest.approx(472.34, abs=0.01)


def test_hall_2011_rules_of_thumb():
    """Hall 2011 (summary and text): for an overweight adult every 100 kJ/day less intake ends in about 1 kg
    less weight, half of it in about a year and 95 % in about 3 years."""
    dei = -100 * KJ
    w = simulate_adult_weight(MAN, np.full(10 * 365, dei), 1.5)
    change = w - 90.0
    final = change[-1]
    rho, tau = linearised_rho_tau(MAN, 1.5)
    assert final == pytest.approx(dei * tau / rho, rel=0.02)  # the nonlinear model settles where the linear one says
    assert -1.3 < final < -0.8  # "about 1 kg"
    half_years = np.argmax(change <= 0.5 * final) / 365
    assert 0.7 < half_years < 1.3  # "about 1 year"
    p95_years = np.argmax(change <= 0.95 * final) / 365
    assert 2.5 < p95_years < 5.0  # "about 3 years" (3 tau = 3.9 y for this man)


@pytest.mark.parametrize("dei", [-100.0, -300.0])
def test_small_deficits_follow_the_linearised_solution(dei):
    """W(t) = W0 + dEI tau/rho (1 - exp(-t/tau)) with AT instantaneous; the model builds AT over 14 days,
    which adds about beta_AT * dEI * 14 d / rho of early loss (0.02 kg per 100 kcal/day)."""
    rho, tau = float(linearised_rho_tau(MAN, 1.5)[0]), float(linearised_rho_tau(MAN, 1.5)[1])
    w = simulate_adult_weight(MAN, np.full(365, dei), 1.5)
    for t in (30, 180, 365):
        lin = dei * tau / rho * (1 - math.exp(-t / tau))
        lag = 0.14 * dei * 14 / rho * 1.2  # the AT lag, with some room for the nonlinearity
        assert w[t] - 90 == pytest.approx(lin + lag, abs=0.015 * abs(lin) + 0.01)


def test_no_intake_change_keeps_weight_and_cohort_reduction_matches():
    body = Body(np.array([60.0, 80.0]), np.array([1.6, 1.8]), np.array([30.0, 50.0]), np.array([True, False]))
    w = simulate_adult_weight(body, np.zeros((20, 1)), 1.6)
    assert np.allclose(w, [[60.0, 80.0]] * 21)
    dei = np.full((50, 1), -0.3)
    full = simulate_adult_weight(body, dei, 1.6, relative=True)
    reduced = simulate_adult_weight(body, dei, 1.6, relative=True, cohort_shares=np.array([1.0, 3.0]))
    assert np.allclose(reduced, np.log(full / full[0]) @ np.array([0.25, 0.75]))
    # relative intake: -30 % of maintenance is the same as that many kcal
    kcal = simulate_adult_weight(body, dei * maintenance_intake_kcal_per_day(body, 1.6), 1.6)
    assert np.allclose(kcal, full)
