"""The compiled greedy repair of the camp layout's service cover finds, index for index, what the cKDTree version
found (tests/cover_reference.py): the same balls (L1 and L2, points on the radius included), the same ties."""

from __future__ import annotations

import numpy as np
import pytest
from cover_reference import cover as reference_cover

from reliefplan.solvers.layout.cover_kernel import Cells, best_candidate, uncovered
from reliefplan.solvers.layout.services import _cover


def _grid(rng: np.random.Generator, n_u: int, n_v: int, pitch: float, angle_jitter: bool) -> np.ndarray:
    """Slot centres of a grid with gaps (paths, roads) between some columns and rows, some slots missing."""
    u = np.cumsum(pitch + np.where(rng.random(n_u) < 0.2, rng.choice([1.5, 3.0, 30.0], n_u), 0.0))
    v = np.cumsum(pitch + np.where(rng.random(n_v) < 0.2, rng.choice([1.5, 6.0], n_v), 0.0))
    uu, vv = np.meshgrid(u, v, indexing="ij")
    uv = np.stack([uu.ravel(), vv.ravel()], axis=1) + 1234.5
    if angle_jitter:
        uv = uv + rng.normal(0, 1e-3, uv.shape)
    return uv[rng.random(len(uv)) < 0.85]


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("p_norm", [1.0, 2.0])
def test_cover_matches_the_cKDTree_version(seed: int, p_norm: float) -> None:
    rng = np.random.default_rng(seed)
    pitch = float(rng.choice([7.0, 8.25, 10.0]))
    uv = _grid(rng, int(rng.integers(5, 60)), int(rng.integers(5, 60)), pitch, angle_jitter=seed % 3 == 0)
    allowed = rng.random(len(uv)) < rng.choice([0.3, 0.9, 1.0])
    # radii on the grid's own distances (ties and points exactly on the radius), and off it
    radius = float(rng.choice([30.0, 50.0, 2 * pitch, 3 * pitch - 1e-6, 4.5 * pitch]))
    cap = None if seed % 4 == 0 else float(rng.choice([20.0, 62.5, 125.0]))
    got = _cover(uv, allowed.copy(), radius, cap, p_norm, pitch)
    want = reference_cover(uv, allowed.copy(), radius, cap, p_norm, pitch)
    assert np.array_equal(got[0], want[0])
    assert np.array_equal(got[1], want[1])


@pytest.mark.parametrize("p_norm", [1.0, 2.0])
def test_kernel_balls_against_brute_force(p_norm: float) -> None:
    """uncovered / best_candidate on random points: the nearest chosen point and the best ball by brute force."""
    rng = np.random.default_rng(7)
    uv = np.round(rng.random((400, 2)) * 200, 1)  # on a 0.1 m lattice: many distances exactly equal to r
    r = 20.0
    cells = Cells(uv, r)
    chosen = rng.random(len(uv)) < 0.05
    diff = np.abs(uv[:, None, :] - uv[None, :, :])
    dist = diff.sum(axis=2) if p_norm == 1 else np.sqrt((diff**2).sum(axis=2))
    near = np.where(chosen[None, :], dist, np.inf).min(axis=1)
    unc = uncovered(cells, chosen, p_norm)
    assert np.array_equal(unc, near > r)
    cand = rng.choice(len(uv), 25, replace=False)
    within = dist <= r if p_norm == 1 else (diff**2).sum(axis=2) <= r * r
    gains = (within[cand] & unc[None, :]).sum(axis=1)
    left = unc.copy()
    k = best_candidate(cells, cand, left, p_norm)
    assert k == int(np.argmax(gains))
    assert np.array_equal(left, unc & ~within[cand[k]])


def test_no_point_no_work() -> None:
    uv = np.zeros((0, 2))
    chosen, failed = _cover(uv, np.zeros(0, dtype=bool), 30.0, 10.0, 1.0, 8.0)
    assert len(chosen) == 0 and len(failed) == 0
