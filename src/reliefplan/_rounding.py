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
