"""The greedy repair of the service cover (`services._cover`), compiled with numba: which slots no service covers
yet, and which candidate covers the most of them.

Both count the points of a ball exactly as scipy's cKDTree.query_ball_point and cKDTree.query measure them
(L1: |du| + |dv| <= r; L2: du² + dv² <= r², and the nearest distance sqrt(du² + dv²) > r for "not covered"), so
they find the same sets; the order in which the candidates are tried (which settles ties) stays the tree's. The
points are bucketed in square cells a little wider than the radius, so a ball only looks at 3 x 3 cells.
Compiled on first use and cached on disk (numba ``cache=True``); they release the GIL, so the layouts drawn in the
background (pipeline._in_background) do not hold up the main thread while they count.
"""

from __future__ import annotations

import numpy as np
from numba import njit


class Cells:
    """Points bucketed in square cells of side > radius, the cell keys sorted (`lo`: the corner the cells start
    from, shared by the buckets of one problem)."""

    def __init__(self, uv: np.ndarray, radius: float, lo: np.ndarray | None = None) -> None:
        self.uv = np.ascontiguousarray(uv, dtype=np.float64)
        self.radius = float(radius)
        # wider than the radius by a margin rounding cannot eat: a ball never reaches past the next cell
        self.side = self.radius * 1.001 + 1e-9
        self.lo = lo if lo is not None else self.uv.min(axis=0) if len(self.uv) else np.zeros(2)
        cx, cy = _cell_xy(self.uv, self.lo, self.side)
        self.ny = int(cy.max()) + 3 if len(cy) else 3
        key = cx * self.ny + cy
        self.order = np.argsort(key, kind="stable")
        self.keys = key[self.order]


def _cell_xy(uv: np.ndarray, lo: np.ndarray, side: float) -> tuple[np.ndarray, np.ndarray]:
    # +1: the cells around the lowest point have non-negative indices
    return (
        np.floor((uv[:, 0] - lo[0]) / side).astype(np.int64) + 1,
        np.floor((uv[:, 1] - lo[1]) / side).astype(np.int64) + 1,
    )


def uncovered(cells: Cells, chosen: np.ndarray, p_norm: float) -> np.ndarray:
    """Points farther than the radius from every chosen point (the nearest distance as cKDTree.query gives it)."""
    near = Cells(cells.uv[chosen], cells.radius, cells.lo)
    return _uncovered(cells.uv, near.uv, near.lo, near.side, near.ny, near.order, near.keys, near.radius, p_norm == 1.0)


def best_candidate(cells: Cells, cand: np.ndarray, unc: np.ndarray, p_norm: float) -> int:
    """Position in `cand` of the first candidate whose ball holds the most uncovered points; those points are
    marked covered in `unc` (in place)."""
    return int(
        _best(cells.uv, cells.lo, cells.side, cells.ny, cells.order, cells.keys, cand, unc, cells.radius, p_norm == 1.0)
    )


@njit(cache=True, nogil=True)
def _dist(x0: float, x1: float, y0: float, y1: float, l1: bool) -> float:
    """cKDTree's point-to-point distance: the L1 sum, or the squared L2 sum."""
    if l1:
        return abs(x0 - y0) + abs(x1 - y1)
    d0 = x0 - y0
    d1 = x1 - y1
    return d0 * d0 + d1 * d1


@njit(cache=True, nogil=True)
def _range(keys: np.ndarray, first: int, last: int) -> tuple[int, int]:
    return int(np.searchsorted(keys, first, side="left")), int(np.searchsorted(keys, last, side="right"))


@njit(cache=True, nogil=True)
def _uncovered(
    uv: np.ndarray,
    pts: np.ndarray,
    lo: np.ndarray,
    side: float,
    ny: int,
    order: np.ndarray,
    keys: np.ndarray,
    r: float,
    l1: bool,
) -> np.ndarray:
    n = uv.shape[0]
    out = np.ones(n, dtype=np.bool_)
    for i in range(n):
        x0, x1 = uv[i, 0], uv[i, 1]
        cx = int(np.floor((x0 - lo[0]) / side)) + 1
        cy = int(np.floor((x1 - lo[1]) / side)) + 1
        best = np.inf
        for dx in range(-1, 2):
            a, b = _range(keys, (cx + dx) * ny + cy - 1, (cx + dx) * ny + cy + 1)
            for s in range(a, b):
                j = order[s]
                d = _dist(x0, x1, pts[j, 0], pts[j, 1], l1)
                if d < best:
                    best = d
        # cKDTree.query returns the L1 sum itself, or the square root of the L2 sum
        out[i] = (best if l1 else np.sqrt(best)) > r
    return out


@njit(cache=True, nogil=True)
def _best(
    uv: np.ndarray,
    lo: np.ndarray,
    side: float,
    ny: int,
    order: np.ndarray,
    keys: np.ndarray,
    cand: np.ndarray,
    unc: np.ndarray,
    r: float,
    l1: bool,
) -> int:
    bound = r if l1 else r * r
    best_k, best_gain = 0, -1
    for k in range(len(cand)):
        c = cand[k]
        x0, x1 = uv[c, 0], uv[c, 1]
        cx = int(np.floor((x0 - lo[0]) / side)) + 1
        cy = int(np.floor((x1 - lo[1]) / side)) + 1
        gain = 0
        for dx in range(-1, 2):
            a, b = _range(keys, (cx + dx) * ny + cy - 1, (cx + dx) * ny + cy + 1)
            for s in range(a, b):
                j = order[s]
                if unc[j] and _dist(x0, x1, uv[j, 0], uv[j, 1], l1) <= bound:
                    gain += 1
        if gain > best_gain:
            best_k, best_gain = k, gain
    c = cand[best_k]
    x0, x1 = uv[c, 0], uv[c, 1]
    cx = int(np.floor((x0 - lo[0]) / side)) + 1
    cy = int(np.floor((x1 - lo[1]) / side)) + 1
    for dx in range(-1, 2):
        a, b = _range(keys, (cx + dx) * ny + cy - 1, (cx + dx) * ny + cy + 1)
        for s in range(a, b):
            j = order[s]
            if unc[j] and _dist(x0, x1, uv[j, 0], uv[j, 1], l1) <= bound:
                unc[j] = False
    return best_k
