"""The service cover (`solvers/layout/services._cover`) as it was before its greedy repair was compiled (issue 16's
60-day Rafah plan, r10): every ball a cKDTree query. Kept as the reference that tests/test_cover_kernel.py compares
the current `_cover` against, index for index."""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial import cKDTree

_SHRINK = 0.25


def cover(
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

    tree = cKDTree(uv)
    failed: list[int] = []
    if radius is not None:
        r = radius + 1e-6
        dist = cKDTree(uv[chosen]).query(uv, p=p_norm)[0] if chosen.any() else np.full(n, np.inf)
        unc = dist > r
        for i in np.flatnonzero(unc):
            if not unc[i]:
                continue
            cand = np.asarray(tree.query_ball_point(uv[i], r, p=p_norm), dtype=np.int64)
            cand = cand[allowed[cand] & ~chosen[cand]]
            if len(cand) == 0:
                failed.append(int(i))
                unc[i] = False
                continue
            balls = tree.query_ball_point(uv[cand], r, p=p_norm)
            gains = [int(unc[np.asarray(b, dtype=np.int64)].sum()) for b in balls]
            k = int(np.argmax(gains))
            chosen[cand[k]] = True
            unc[np.asarray(balls[k], dtype=np.int64)] = False
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
