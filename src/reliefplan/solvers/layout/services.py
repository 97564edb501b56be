"""Camp layout: service slots. Latrine blocks and water points cover every plot within the standard's walking
distance and serve at most their stalls' or taps' people; health posts and distribution points are spread by
k-means over the slots left. Distances are plot centre to service centre in the grid frame (L1 along the grid
by default, a walking proxy; or straight-line)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.cluster.vq import kmeans2
from scipy.spatial import cKDTree

from .cover_kernel import Cells, best_candidate, uncovered
from .grid import _slots_cached
from .model import LayoutParams

_SHRINK = 0.25  # share of a plot pitch the seed cells shrink by (measured: fewest blocks after repair)


# --------------------------------------------------------------------------------------------------
# service placement
# --------------------------------------------------------------------------------------------------


def _cover(
    uv: np.ndarray, allowed: np.ndarray, radius: float | None, cap_slots: float | None, p_norm: float, pitch_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Choose service slots among `allowed` so that every point is within `radius` of one (p_norm metric) and
    no service has more than `cap_slots` points nearest to it. Returns (chosen indices, uncoverable indices).

    Seeds one slot per grid cell (cell small enough for the radius and the capacity), then repairs coverage
    greedily (the candidate that covers the most uncovered points), then splits overloaded services.
    """
    n = len(uv)
    if n == 0 or not allowed.any():
        return np.empty(0, dtype=np.int64), np.arange(n)
    # Seed cells: an L1 ball is a square of side 2r in the (u+v, u-v) frame, so tile that frame; an L2 ball
    # contains the square of side r*sqrt(2). Shrink a little: the slot nearest a cell's middle is off-centre
    # (the repair below catches what the shrink misses).
    st = np.stack([uv[:, 0] + uv[:, 1], uv[:, 0] - uv[:, 1]], axis=1) if p_norm == 1 else uv
    sides = []
    if radius is not None:
        sides.append(
            max(pitch_m, 2 * (radius - _SHRINK * pitch_m))
            if p_norm == 1
            else max(pitch_m, math.sqrt(2) * (radius - pitch_m / 2))
        )
    if cap_slots is not None:
        # a cell of area cap_slots * pitch² holds at most cap_slots slots (st-frame areas are doubled for L1)
        a = cap_slots * pitch_m * pitch_m * (2.0 if p_norm == 1 else 1.0)
        sides.append(max(pitch_m, math.sqrt(a)))
    side = min(sides) if sides else float(np.ptp(st, axis=0).max() + 1.0)
    cell_xy = np.floor((st - st.min(axis=0)) / side).astype(np.int64)
    _, inv = np.unique(cell_xy[:, 0] * (cell_xy[:, 1].max() + 1) + cell_xy[:, 1], return_inverse=True)
    cnt = np.bincount(inv)
    mean = np.stack([np.bincount(inv, uv[:, 0]) / cnt, np.bincount(inv, uv[:, 1]) / cnt], axis=1)
    d = np.linalg.norm(uv - mean[inv], ord=p_norm, axis=1) if p_norm != 1 else np.abs(uv - mean[inv]).sum(axis=1)
    d = np.where(allowed, d, np.inf)
    order = np.lexsort((d, inv))
    first = order[np.flatnonzero(np.diff(inv[order], prepend=-1))]
    chosen = np.zeros(n, dtype=bool)
    chosen[first[np.isfinite(d[first])]] = True

    failed: list[int] = []
    if radius is not None:
        r = radius + 1e-6
        # the candidates come in the tree's order (it settles ties); the balls are counted compiled (cover_kernel)
        cells = Cells(uv, r)
        unc = uncovered(cells, chosen, p_norm)
        tree = cKDTree(uv) if unc.any() else None
        for i in np.flatnonzero(unc):
            assert tree is not None
            if not unc[i]:
                continue
            cand = np.asarray(tree.query_ball_point(uv[i], r, p=p_norm), dtype=np.int64)
            cand = cand[allowed[cand] & ~chosen[cand]]
            if len(cand) == 0:
                failed.append(int(i))
                unc[i] = False
                continue
            chosen[cand[best_candidate(cells, cand, unc, p_norm)]] = True
    if cap_slots is not None and chosen.any():
        for _ in range(64):
            centres = np.flatnonzero(chosen)
            dist, a = cKDTree(uv[centres]).query(uv, p=p_norm)
            load = np.bincount(a, minlength=len(centres))
            over = load > cap_slots
            if not over.any():
                break
            pick = over[a] & allowed & ~chosen
            if not pick.any():
                break
            idx = np.flatnonzero(pick)
            o = np.lexsort((-dist[idx], a[idx]))
            far = idx[o[np.flatnonzero(np.diff(a[idx][o], prepend=-1))]]
            chosen[far] = True
    return np.flatnonzero(chosen), np.asarray(failed, dtype=np.int64)


def _place_k(uv: np.ndarray, allowed: np.ndarray, k: int) -> np.ndarray:
    """k service slots spread over the points (k-means on a sample, snapped to distinct allowed slots)."""
    cand = np.flatnonzero(allowed)
    if k <= 0 or len(cand) == 0:
        return np.empty(0, dtype=np.int64)
    if k >= len(cand):
        return cand
    rng = np.random.default_rng(0)
    sample = uv if len(uv) <= 5_000 else uv[rng.choice(len(uv), 5_000, replace=False)]
    if k == 1:
        centres = sample.mean(axis=0, keepdims=True)
    else:
        centres, _ = kmeans2(sample, k, minit="++", rng=rng)
    tree = cKDTree(uv[cand])
    taken = np.zeros(len(cand), dtype=bool)
    out = []
    k0 = min(len(cand), 32)
    # the 32 nearest of every centre in one query (a point's neighbours come out as they do one point at a time)
    near = tree.query(centres, k=k0)[1].reshape(len(centres), k0)
    for c, nn in zip(centres, near):
        kk = k0
        while True:
            free = nn[~taken[nn]]
            if len(free) or kk == len(cand):
                break
            kk = min(len(cand), kk * 4)
            nn = np.atleast_1d(tree.query(c, k=kk)[1])
        if len(free):
            taken[free[0]] = True
            out.append(cand[free[0]])
    return np.asarray(out, dtype=np.int64)


@dataclass
class _Services:
    latrine: np.ndarray
    water: np.ndarray
    health: np.ndarray
    dist: np.ndarray
    uncoverable_latrine: int
    uncoverable_water: int

    @property
    def count(self) -> int:
        return len(self.latrine) + len(self.water) + len(self.health) + len(self.dist)


def _place_services(uv: np.ndarray, people_target: int, p: LayoutParams, pitch_m: float) -> _Services:
    """Service slots among the used slots `uv` (grid frame); housing is whatever is left."""
    n = len(uv)
    p_norm = 1.0 if p.distance_metric == "grid" else 2.0
    free = np.ones(n, dtype=bool)
    hh = p.household_size
    lat, lat_fail = _cover(
        uv, free, p.max_distance_to_latrine_m, p.latrine_block_max_stalls * p.people_per_latrine / hh, p_norm, pitch_m
    )
    free[lat] = False
    wat, wat_fail = _cover(
        uv, free, p.max_distance_to_water_m, p.taps_per_water_point_max * p.people_per_tap / hh, p_norm, pitch_m
    )
    free[wat] = False
    people_est = min(people_target, int(free.sum()) * hh)
    hp = _place_k(uv, free, math.ceil(people_est / p.people_per_health_post))
    free[hp] = False
    people_est = min(people_target, int(free.sum()) * hh)
    dp = _place_k(uv, free, math.ceil(people_est / p.people_per_distribution_point))
    return _Services(lat, wat, hp, dp, len(lat_fail), len(wat_fail))


@lru_cache(maxsize=1024)
def _full_services_cached(usable_wkb: bytes, plot_m: float, p: LayoutParams) -> _Services:
    """Services over every fitted slot of a site. Independent of the people: with a target of at least the
    slots' capacity, health and distribution points follow the free slots. The capacity stage lays each site
    out for 0 people and the plan (or each ensemble member) lays it out again, so this runs once per site."""
    sl = _slots_cached(usable_wkb, plot_m, p)
    svc = _place_services(sl.uv_sorted, len(sl.order) * p.household_size, p, plot_m)
    for a in (svc.latrine, svc.water, svc.health, svc.dist):
        a.setflags(write=False)
    return svc
