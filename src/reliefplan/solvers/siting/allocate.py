"""Shelter siting: a plan on the active arcs, and the greedy single-source allocation to a fixed open set."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class _Plan:
    """A candidate plan on the active arcs: fraction per arc, open mask, unmet fraction per client."""

    objective: float
    x: np.ndarray
    y: np.ndarray
    u: np.ndarray
    people: np.ndarray | None = None  # integral flows when min-cost flow produced them


def greedy_single_source(
    y_open: np.ndarray,
    ai: np.ndarray,
    aj: np.ndarray,
    d: np.ndarray,
    dense: np.ndarray,
    capacity: np.ndarray,
    order: np.ndarray,
    penalty: float | None,
    arc_cost: np.ndarray,
    fixed: np.ndarray,
    keep_open: np.ndarray,
) -> _Plan | None:
    """Each client whole to its cheapest open site with room left, clients in `order` (largest first); None when
    one fits nowhere and there is no `penalty` for unmet demand. Arcs (ai, aj) with cost `arc_cost` per client,
    `dense` the same as a clients x sites matrix (inf: no arc); a site stays open when used or in `keep_open`."""
    n_a, n_cl, n_f = ai.size, d.size, capacity.size
    resid = capacity * y_open
    x = np.zeros(n_a)
    u = np.zeros(n_cl)
    arc_index = np.full((n_cl, n_f), -1, dtype=np.int64)
    arc_index[ai, aj] = np.arange(n_a)
    pref = np.argsort(np.where(y_open[None, :], dense, np.inf), axis=1)
    for i in order:
        placed = False
        for j in pref[i]:
            if not y_open[j] or not np.isfinite(dense[i, j]):
                break
            if resid[j] >= d[i] - 1e-9:
                resid[j] -= d[i]
                x[arc_index[i, j]] = 1.0
                placed = True
                break
        if not placed:
            if penalty is None:
                return None
            u[i] = 1.0
    used = np.bincount(aj, weights=x, minlength=n_f) > 0
    y = (y_open & (used | keep_open)).astype(float)
    obj = float(x @ arc_cost) + float(fixed @ y) + float(penalty or 0.0) * float(d @ u)
    return _Plan(obj, x, y, u, x * d[ai])
