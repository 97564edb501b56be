"""Dose-response curves for water, latrines and crowding: anchors, interpolation, monotone draws."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reliefplan.scenario._healthdata import load_health_data
from reliefplan.solvers.wash_risk import relative_risk

CURVES = load_health_data().dose_response
CENTRAL = np.array([np.nan])


@pytest.mark.parametrize("name", sorted(CURVES))
def test_central_curve_passes_through_its_anchors(name):
    curve = CURVES[name]
    x = np.array([a.exposure for a in curve.anchors])
    assert np.allclose(relative_risk(curve, x, CENTRAL)[0], [a.rr for a in curve.anchors])


def test_water_interpolates_in_log_log_and_is_flat_beyond():
    water = CURVES["water_l_per_person_day"]
    # 35 L between 50 L (RR 1) and 20 L (RR 1.33): ln RR = ln 1.33 * ln(50/35) / ln(50/20)
    expected = math.exp(math.log(1.33) * math.log(50 / 35) / math.log(50 / 20))
    assert relative_risk(water, np.array([35.0]), CENTRAL)[0, 0] == pytest.approx(expected)
    assert expected == pytest.approx(1.1174, abs=1e-4)
    rr = relative_risk(water, np.array([100.0, 1.0]), CENTRAL)[0]
    assert rr[0] == 1.0 and rr[1] == pytest.approx(2.05)


@pytest.mark.parametrize("name", sorted(CURVES))
def test_draws_keep_curves_monotone_and_ordered(name):
    curve = CURVES[name]
    lo, hi = min(a.exposure for a in curve.anchors), max(a.exposure for a in curve.anchors)
    x = np.geomspace(lo / 2, hi * 2, 40)
    z = np.array([-1.96, 0.0, 1.96])
    rr = relative_risk(curve, x, z)  # [3, 40]
    assert np.all(rr >= 1.0 - 1e-6)
    # more water or space: lower risk; more users per latrine: higher risk
    worse_upwards = name == "people_per_latrine"
    assert np.all((np.diff(rr, axis=1) if worse_upwards else -np.diff(rr, axis=1)) >= -1e-6)
    assert np.all(rr[0] <= rr[1] + 1e-6) and np.all(rr[1] <= rr[2] + 1e-6)
    # at z = +-1.96 the anchors hit their published interval
    for a in curve.anchors:
        if a.low is not None:
            got = relative_risk(curve, np.array([a.exposure]), z)[:, 0]
            assert got == pytest.approx([a.low, a.rr, a.high], rel=1e-3)
