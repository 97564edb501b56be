"""Wear and seasons over an extended period: what they add to daily needs and take from site capacity.

* Tents wear out: a Weibull lifetime (median, shape); every tent issued, and every replacement, fails at
  some age and is owed again (a renewal process), so replacements per day follow from the issue schedule.
* Winterisation: in the cold months every household present is owed a kit, once per season.
* Heat: in the hot months each person needs more drinking water (Sphere's 2.5-3 L range, top end).
* Flooding: polygons with the months they flood and the share of their area lost; a site loses the
  flooded share of its area (and so of its capacity) in those months.

Figures and their sources are in ``data/health/seasons.yaml``; a scenario overrides them. Plain functions
from arrays to arrays ([sites, days]); day index 0 is the plan's start date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from .._errors import InputError, Problem
from ..scenario._seasonsdata import SeasonsData, _check_months, load_seasons_data  # noqa: F401 (re-exported)


def day_months(start: dt.date, n_days: int) -> np.ndarray:
    """Calendar month (1-12) of each day index 0 .. n_days-1 from ``start``."""
    return np.array([(start + dt.timedelta(days=i)).month for i in range(n_days)], dtype=np.int8)


def weibull_failure_pmf(median_days: float, shape: float, n_days: int) -> np.ndarray:
    """P(a tent fails at age a days), a = 0 .. n_days-1 (age 0 = the day it is issued: never)."""
    if median_days <= 0 or shape <= 0:
        raise InputError(
            Problem(
                file="seasons",
                field="tent_lifespan",
                message=f"expected median_days > 0 and shape > 0, got {median_days}, {shape}",
            )
        )
    scale = median_days / np.log(2.0) ** (1.0 / shape)
    cdf = 1.0 - np.exp(-((np.arange(n_days) / scale) ** shape))  # P(failed by age a)
    return np.r_[0.0, np.diff(cdf)]


def tent_replacements(issued: np.ndarray, median_days: float, shape: float) -> np.ndarray:
    """Expected tents to replace each day [S, T] given tents issued each day [S, T] (a renewal process).

    A tent issued on day s fails on day t with probability pmf(t - s); its replacement starts a new life.
    So r_t = sum_{s < t} (issued_s + r_s) pmf(t - s). Tents issued before day 0 belong in ``issued[:, 0]``
    (their age is not known; they are treated as new on day 0).
    """
    issued = np.atleast_2d(np.asarray(issued, dtype=float))
    if np.any(issued < 0) or not np.all(np.isfinite(issued)):
        raise InputError(Problem(file="seasons", field="issued", message="expected finite tents issued >= 0"))
    n = issued.shape[1]
    pmf = weibull_failure_pmf(median_days, shape, n)
    rev = pmf[::-1]  # rev[n-1-k] = pmf[k]
    stock = issued.copy()  # tents starting a life on each day: issued + replacements
    out = np.zeros_like(issued)
    for t in range(1, n):
        out[:, t] = stock[:, :t] @ rev[n - 1 - t : n - 1]  # sum_s stock_s pmf[t - s], s < t
        stock[:, t] += out[:, t]
    return out


def winterisation_kits_owed(
    households: np.ndarray, months: np.ndarray, season_months: Sequence[int], kits_per_household: float = 1.0
) -> np.ndarray:
    """Kits owed each day [S, T]: in a season (a run of days in ``season_months``) every household present
    is owed one kit, once; households arriving later in the season are owed theirs on arrival."""
    _months_or_error(season_months, "seasons.winterisation.months")
    hh = np.atleast_2d(np.asarray(households, dtype=float))
    cold = np.isin(months, list(season_months))
    out = np.zeros_like(hh)
    covered = np.zeros(hh.shape[0])
    for t in range(hh.shape[1]):
        if not cold[t]:
            covered[:] = 0.0  # the season ended: next season's kits are owed again
            continue
        need = np.maximum(hh[:, t] - covered, 0.0)
        out[:, t] = need * kits_per_household
        covered += need
    return out


def heat_extra_water_l(
    people: np.ndarray, months: np.ndarray, heat_months: Sequence[int], extra_l_per_person_day: float
) -> np.ndarray:
    """Extra water (L/day) [S, T] in the hot months: people x extra litres per person per day."""
    _months_or_error(heat_months, "seasons.heat.months")
    return np.atleast_2d(np.asarray(people, dtype=float)) * (
        np.isin(months, list(heat_months)) * extra_l_per_person_day
    )


@dataclass(frozen=True)
class FloodZone:
    """Land that floods: a polygon (projected, metres), its months (1-12) and the share of it lost then."""

    id: str
    geometry: shapely.Geometry
    months: tuple[int, ...]
    usable_share_lost: float = 1.0


def check_flood_zones(zones: Sequence[FloodZone], source_file: str = "flood layer") -> None:
    problems = []
    for z in zones:
        bad = [m for m in z.months if not (isinstance(m, (int, np.integer)) and 1 <= m <= 12)]
        if bad or not z.months:
            problems.append(
                Problem(
                    file=source_file,
                    feature=z.id,
                    field="months",
                    message=f"expected months as whole numbers 1-12, got {list(z.months)}",
                )
            )
        if not 0.0 <= z.usable_share_lost <= 1.0:
            problems.append(
                Problem(
                    file=source_file,
                    feature=z.id,
                    field="usable_share_lost",
                    message=f"expected a share in [0, 1], got {z.usable_share_lost}",
                )
            )
        if z.geometry is None or z.geometry.is_empty or z.geometry.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(Problem(file=source_file, feature=z.id, field="geometry", message="expected a polygon"))
    if problems:
        raise InputError(problems)


def flood_usable_share(sites: Sequence[shapely.Geometry], zones: Sequence[FloodZone], months: np.ndarray) -> np.ndarray:
    """Share of each site's area usable each day [S, T] (1 = all of it).

    In month m a site loses sum over loss levels of (area flooded at that level) x level; zones of the same
    month are merged first, so overlapping polygons are not counted twice.
    """
    check_flood_zones(zones)
    site_arr = np.asarray(sites, dtype=object)
    area = shapely.area(site_arr)
    lost = np.zeros((len(site_arr), 13))
    for m in range(1, 13):
        active = [z for z in zones if m in z.months]
        # highest loss first: land already counted at a higher loss is removed from lower ones
        done = None
        for level in sorted({z.usable_share_lost for z in active}, reverse=True):
            geom = shapely.union_all([z.geometry for z in active if z.usable_share_lost == level])
            if done is not None:
                geom = shapely.difference(geom, done)
            lost[:, m] += level * shapely.area(shapely.intersection(site_arr, geom))
            done = geom if done is None else shapely.union(done, geom)
    share_lost = np.divide(lost, area[:, None], out=np.zeros_like(lost), where=area[:, None] > 0)
    return 1.0 - np.clip(share_lost, 0.0, 1.0)[:, months]


def _months_or_error(months: Sequence[int], field: str) -> None:
    try:
        _check_months(list(months))
    except ValueError as exc:
        raise InputError(Problem(file="scenario.yaml", field=field, message=str(exc))) from None
