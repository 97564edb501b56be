"""Whole-people rounding that conserves totals exactly (largest remainder)."""

from __future__ import annotations

import numpy as np


def largest_remainder(exact: np.ndarray, total: int, cap: np.ndarray | None = None) -> np.ndarray:
    """Integers close to `exact` that sum to `total`, never above `cap` (when given)."""
    exact = np.asarray(exact, dtype=float)
    base = np.floor(exact).astype(np.int64)
    if cap is not None:
        base = np.minimum(base, cap)
    short = int(total - base.sum())
    if short > 0:
        frac = exact - base
        room = np.ones_like(base, dtype=bool) if cap is None else base < cap
        order = np.argsort(-np.where(room, frac, -np.inf), kind="stable")
        base[order[:short]] += 1
    return base


def largest_remainder_rows(exact: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """`largest_remainder(exact[i], totals[i])` for every row of ``exact`` [R, M] at once (no cap): the same whole
    numbers, the same stable order of remainders."""
    exact = np.asarray(exact, dtype=float)
    base = np.floor(exact).astype(np.int64)
    short = np.asarray(totals, dtype=np.int64) - base.sum(axis=1)
    order = np.argsort(-(exact - base), axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(exact.shape[1])[None, :], axis=1)
    return base + (rank < short[:, None])
