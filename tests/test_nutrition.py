"""WHZ and BMI prevalence after weight change, and household food gaps, against hand calculations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import ndtr

from reliefplan._errors import InputError
from reliefplan.solvers.nutrition import (
    extreme_food_gap_share,
    fit_baseline_whz,
    pooled_log_bmi,
    share_below_bmi,
    wasting_shares,
    whz_after_weight_loss,
)

L = -0.3521  # WHO 2006 weight-for-height, every height
S_85 = 0.08156  # boys 85 cm (M = 11.6707 kg; the table's -2 SD weight is 10.0 kg)
M_85 = 11.6707


def lms_z(weight: float) -> float:
    return ((weight / M_85) ** L - 1) / (L * S_85)


def test_whz_shift_is_the_lms_transform():
    # a median boy of 85 cm who loses 10 % of his weight
    assert whz_after_weight_loss(0.0, 0.10, L, S_85) == pytest.approx(lms_z(0.9 * M_85), abs=1e-12)
    # by hand: (0.9^-0.3521 - 1) / (-0.3521 * 0.08156) = 0.037784 / -0.028717 = -1.3157
    assert whz_after_weight_loss(0.0, 0.10, L, S_85) == pytest.approx(-1.3157, abs=1e-3)
    # the table's -2 SD weight (10.0 kg, rounded to 0.1 kg) is reached from the median after losing 14.3 %
    assert whz_after_weight_loss(0.0, 1 - 10.0 / M_85, L, S_85) == pytest.approx(-2.0, abs=0.06)
    # from z0 = -1: the child weighs M (1 + L S z0)^(1/L); same rule
    w0 = M_85 * (1 + L * S_85 * -1.0) ** (1 / L)
    assert whz_after_weight_loss(-1.0, 0.05, L, S_85) == pytest.approx(lms_z(0.95 * w0), abs=1e-12)


def test_baseline_fit_and_shift():
    mu, sd = fit_baseline_whz(0.0322, 0.0041)
    assert ndtr((-2 - mu) / sd) == pytest.approx(0.0322)
    assert ndtr((-3 - mu) / sd) == pytest.approx(0.0041)
    p1, gam, sam = wasting_shares(mu, sd, np.array([0.0, 0.05, 0.10]), L, 0.083)
    assert gam[0] == pytest.approx(0.0322) and sam[0] == pytest.approx(0.0041)
    assert np.all(np.diff(gam) > 0) and np.all(np.diff(sam) > 0) and np.all(p1 > gam) and np.all(gam > sam)
    # by simulation: children drawn from the fitted normal, each shifted by the exact transform
    z0 = np.random.default_rng(3).normal(mu, sd, 400_000)
    assert np.mean(whz_after_weight_loss(z0, 0.10, L, 0.083) < -2) == pytest.approx(gam[2], abs=0.002)
    with pytest.raises(InputError, match="SAM share < GAM share"):
        fit_baseline_whz(0.03, 0.05)


def test_adult_bmi_share_by_hand():
    # ln BMI ~ N(ln 25, 0.2); 10 % weight loss: (ln 18.5 - ln 25 - ln 0.9) / 0.2 = -0.978722 -> 0.16386
    got = share_below_bmi(18.5, math.log(25), np.array(0.2), np.log(np.array(0.9)))
    assert float(got) == pytest.approx(0.16386, abs=1e-4)
    mean, sd = pooled_log_bmi(np.array([64.0, 100.0]), np.array([1.6, 1.6]), np.array([1.0, 1.0]), 0.1)
    mu = [math.log(25), math.log(39.0625)]
    assert mean == pytest.approx(sum(mu) / 2)
    assert float(sd) == pytest.approx(math.sqrt(0.01 + ((mu[1] - mu[0]) / 2) ** 2))


def test_extreme_food_gap_by_hand():
    # mean intake = requirement, ln-sd 0.37, cut at half: (ln 0.5 - (0 - 0.37^2/2)) / 0.37 = -1.68837 -> 0.04567
    assert float(extreme_food_gap_share(np.array(1.0), 0.37, 0.5)) == pytest.approx(0.04567, abs=1e-4)
    shares = extreme_food_gap_share(np.array([1.0, 0.8, 0.5, 0.2]), 0.37, 0.5)
    assert np.all(np.diff(shares) > 0)
