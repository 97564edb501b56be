"""Camp layout, the people's steps of ``generate_layout``: how many slots to use, the households on the plots
left once services have taken theirs, each service's catchment and the stalls and taps it needs, and the notes on
what the site could not hold or cover."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy.spatial import cKDTree

from .grid import _boxes, _Grid
from .model import LayoutParams
from .services import _place_services, _Services


def _slots_in_use(
    uv_sorted: np.ndarray, need: int, people: int, full: _Services, p: LayoutParams, plot_m: float
) -> tuple[int, _Services]:
    """How many slots to use, in fill order, and the services among them: the fewest that leave a plot for each
    of the `need` households once services have taken theirs (every slot, with the site's services, when the
    site cannot hold them all)."""
    n_slots = len(uv_sorted)
    if need >= n_slots - full.count:
        return n_slots, full
    m = need
    while True:
        svc = _place_services(uv_sorted[:m], people, p, plot_m)
        housing = m - svc.count
        if housing >= need or m == n_slots:
            return m, svc
        m = min(n_slots, m + (need - housing))


@dataclass
class _Housing:
    """The family plots: which of the slots in use they are (fill-order positions), their people, grid-frame
    centres (n, 2) and polygons, and the people housed in all."""

    local: np.ndarray
    people: np.ndarray
    uv: np.ndarray
    geometry: np.ndarray
    held: int


def _house(
    g: _Grid, uv_sorted: np.ndarray, m: int, svc: _Services, people: int, p: LayoutParams, plot_m: float
) -> _Housing:
    """Households take the slots in use that no service took, in fill order, one household per plot."""
    hh = p.household_size
    is_service = np.zeros(m, dtype=bool)
    for arr in (svc.latrine, svc.water, svc.health, svc.dist):
        is_service[arr] = True
    local = np.flatnonzero(~is_service)
    n_plots = len(local)
    # whole people: with a mean household of e.g. 5.6, plot k holds the people between floor(k * 5.6) and
    # floor((k + 1) * 5.6), so plots hold 5 or 6 and n plots hold floor(n * 5.6) (the epsilon absorbs float error)
    bounds = np.floor(np.arange(n_plots + 1) * hh + 1e-9).astype(np.int64)
    held = min(int(people), int(bounds[-1]))
    # the last plot may be part-full; plots beyond the people (when services freed more than needed) stay empty
    plot_people = np.clip(held - bounds[:-1], 0, np.diff(bounds))
    half = plot_m / 2
    uh, vh = uv_sorted[local, 0], uv_sorted[local, 1]
    geometry = _boxes(g, uh - half, vh - half, uh + half, vh + half)
    return _Housing(local, plot_people, np.stack([uh, vh], axis=1), geometry, held)


@dataclass
class _Catchments:
    """Each plot's distance (m) to its nearest latrine block and water point; the people each service is nearest
    to; the latrine stalls (whole female:male modules) and taps those people need."""

    latrine_m: np.ndarray
    water_m: np.ndarray
    latrine: np.ndarray
    water: np.ndarray
    health: np.ndarray
    distribution: np.ndarray
    stalls: np.ndarray
    stalls_female: np.ndarray
    stalls_male: np.ndarray
    taps: np.ndarray


def _catchments(uv_sorted: np.ndarray, housing: _Housing, svc: _Services, p: LayoutParams) -> _Catchments:
    p_norm = 1.0 if p.distance_metric == "grid" else 2.0
    n_plots = len(housing.local)
    weights = housing.people.astype(float)

    def catchment(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if len(idx) == 0 or n_plots == 0:
            return np.full(n_plots, np.inf), np.zeros(len(idx), dtype=np.int64)
        d, a = cKDTree(uv_sorted[idx]).query(housing.uv, p=p_norm)
        return d, np.bincount(a, weights=weights, minlength=len(idx)).round().astype(np.int64)

    lat_d, lat_served = catchment(svc.latrine)
    wat_d, wat_served = catchment(svc.water)
    _, hp_served = catchment(svc.health)
    _, dp_served = catchment(svc.dist)

    fr = Fraction(p.latrine_female_share).limit_denominator(20)
    module, module_f = max(1, fr.denominator), fr.numerator
    stalls = np.maximum(1, np.ceil(lat_served / p.people_per_latrine)).astype(np.int64)
    modules = np.ceil(stalls / module).astype(np.int64)
    stalls, stalls_f = modules * module, modules * module_f
    taps = np.maximum(1, np.ceil(wat_served / p.people_per_tap)).astype(np.int64)
    return _Catchments(
        lat_d, wat_d, lat_served, wat_served, hp_served, dp_served, stalls, stalls_f, stalls - stalls_f, taps
    )


def _shortfall_notes(svc: _Services, p: LayoutParams, held: int, people: int) -> list[str]:
    notes = []
    if svc.uncoverable_latrine:
        notes.append(
            f"{svc.uncoverable_latrine} slot(s) have no free slot within "
            f"{p.max_distance_to_latrine_m:g} m for a latrine block"
        )
    if svc.uncoverable_water:
        notes.append(
            f"{svc.uncoverable_water} slot(s) have no free slot within "
            f"{p.max_distance_to_water_m:g} m for a water point"
        )
    if held < people:
        notes.append(f"the site holds {held:,} of {people:,} people; {people - held:,} have no plot")
    return notes
