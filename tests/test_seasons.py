"""Wear and seasons: tent renewals, winterisation kits, heat water, flooded area; bad input."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
import shapely

from reliefplan._errors import InputError
from reliefplan.solvers.seasons import (
    FloodZone,
    day_months,
    flood_usable_share,
    heat_extra_water_l,
    load_seasons_data,
    tent_replacements,
    weibull_failure_pmf,
    winterisation_kits_owed,
)


def test_weibull_pmf_median_and_mean():
    pmf = weibull_failure_pmf(300, 3.0, 3000)
    assert pmf[0] == 0 and pmf.sum() == pytest.approx(1.0)
    assert np.cumsum(pmf)[300] == pytest.approx(0.5, abs=0.005)  # half the tents gone by the median age
    scale = 300 / math.log(2) ** (1 / 3)
    assert (np.arange(3000) * pmf).sum() == pytest.approx(scale * math.gamma(1 + 1 / 3), abs=1.0)


def test_tent_renewals_by_hand_and_in_the_long_run():
    # every tent fails in its third day of age (median 2.5 d, near-degenerate shape; by hand): 10 issued on
    # day 0 -> 10 replaced on days 3, 6 and 9
    issued = np.zeros((1, 12))
    issued[0, 0] = 10
    r = tent_replacements(issued, median_days=2.5, shape=200.0)
    assert np.allclose(r[0], [0, 0, 0, 10, 0, 0, 10, 0, 0, 10, 0, 0], atol=1e-6)
    # renewal theorem: in the long run replacements per day -> tents / mean lifetime
    issued = np.zeros((1, 3000))
    issued[0, 0] = 1000
    r = tent_replacements(issued, 300, 3.0)
    mean_life = 300 / math.log(2) ** (1 / 3) * math.gamma(4 / 3)
    assert r[0, 2500:].mean() == pytest.approx(1000 / mean_life, rel=0.02)


def test_winterisation_once_per_household_per_season():
    months = day_months(dt.date(2024, 10, 30), 200)  # 30 Oct 2024 .. mid-May 2025
    hh = np.array([np.where(np.arange(200) < 40, 100.0, 150.0)])  # 50 more households from 8 Dec
    kits = winterisation_kits_owed(hh, months, [11, 12, 1, 2, 3])
    assert kits[0, :2].sum() == 0 and kits[0, 2] == 100  # owed on 1 November for everyone present
    assert kits[0, 40] == 50 and kits.sum() == 150  # later arrivals on arrival, nobody twice
    with pytest.raises(InputError, match=r"seasons\.winterisation\.months.*1-12"):
        winterisation_kits_owed(hh, months, [0, 13])


def test_heat_water_in_hot_months_only():
    months = day_months(dt.date(2024, 5, 30), 5)  # 30, 31 May, 1-3 June
    extra = heat_extra_water_l(np.array([[1000.0] * 5]), months, [6, 7, 8, 9], 0.5)
    assert extra.tolist() == [[0, 0, 500, 500, 500]]


def test_flooded_share_by_hand():
    sites = [shapely.box(0, 0, 100, 100), shapely.box(200, 0, 300, 100)]
    zones = [
        FloodZone("coast", shapely.box(50, 0, 150, 100), (12, 1), 1.0),
        FloodZone("wadi", shapely.box(0, 0, 100, 50), (1,), 0.5),
    ]
    usable = flood_usable_share(sites, zones, np.array([1, 12, 6]))
    # January: half the site fully lost, plus the wadi's quarter not already lost, at half -> 1 - 0.5 - 0.125
    assert usable.tolist() == [[0.375, 0.5, 1.0], [1.0, 1.0, 1.0]]


def test_bad_season_and_flood_input_name_the_field():
    with pytest.raises(InputError, match=r"seasons\.tent_lifespan\.median_days.*> 0"):
        load_seasons_data({"tent_lifespan": {"median_days": 0}})
    with pytest.raises(InputError, match=r"seasons\.heat\.months.*1-12"):
        load_seasons_data({"heat": {"months": [6, 13]}})
    with pytest.raises(InputError, match=r"seasons\.heat\.hot_days.*unknown key"):
        load_seasons_data({"heat": {"hot_days": 3}})
    with pytest.raises(InputError, match=r"seasons\.monsoon.*unknown section"):
        load_seasons_data({"monsoon": {}})
    data = load_seasons_data({"tent_lifespan": {"median_days": 240}, "winterisation": {"months": [12, 1, 2]}})
    assert data.tent_lifespan.median_days.value == 240 and data.winterisation.months.value == [12, 1, 2]
    with pytest.raises(InputError, match="tent_lifespan"):
        weibull_failure_pmf(-5, 3, 10)
    zone = FloodZone("z7", shapely.box(0, 0, 1, 1), (0, 4), 1.2)
    with pytest.raises(InputError) as err:
        flood_usable_share([shapely.box(0, 0, 1, 1)], [zone], np.array([4]))
    text = str(err.value)
    assert "feature z7, field 'months'" in text and "feature z7, field 'usable_share_lost'" in text
