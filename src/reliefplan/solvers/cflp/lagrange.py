"""Lagrangian relaxation of the demand constraints of the CFLP: a valid lower bound and open sets.

Relaxing sum_j x_ij + u_i = 1 with multipliers lam_i splits the problem by facility: each facility
solves a continuous knapsack (fill its capacity with the clients of most negative reduced cost
c_ij - lam_i per person) and opens when fixed cost + knapsack value < 0. The bound equals the LP
bound of the strong formulation (x_ij <= y_j), and when unmet demand is not allowed it is further
tightened with the LP relaxation of the cover cut sum_j cap_j y_j >= total demand.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass
class LagrangeOutcome:
    """Best lower bound found, the multipliers that gave it, and the iterations run."""

    bound: float
    lam: np.ndarray
    iterations: int


def facility_values(
    cost: np.ndarray, demand: np.ndarray, capacity: np.ndarray, fixed: np.ndarray, lam: np.ndarray
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per-facility value f_j + knapsack_j(lam) and the knapsack solution as sparse (i, j, fraction).

    Only pairs with negative reduced cost c_ij - lam_i can enter a knapsack, and they are few, so the
    work is on those entries only (sorted by facility, then by reduced cost per person).
    """
    reduced = cost - lam[:, None]  # inf where the arc is not allowed
    jj, ii = np.nonzero((reduced < 0).T)  # grouped by facility
    r = reduced[ii, jj]
    dem = demand[ii]
    order = np.lexsort((r / dem, jj))
    return fill_knapsacks(ii[order], jj[order], r[order], capacity, fixed, demand)


def fill_knapsacks(
    ii: np.ndarray, jj: np.ndarray, r: np.ndarray, capacity: np.ndarray, fixed: np.ndarray, demand: np.ndarray
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Each facility takes its entries (client ii, reduced cost r < 0) in the given order until full.

    Entries must be grouped by facility jj and, within one, sorted by reduced cost per person."""
    dem = demand[ii]
    cum = np.cumsum(dem)
    starts = np.searchsorted(jj, np.arange(capacity.size))
    before = cum - dem - np.concatenate([[0.0], cum])[starts[jj]]
    frac = np.clip((capacity[jj] - before) / dem, 0.0, 1.0)
    value = fixed + np.bincount(jj, weights=frac * r, minlength=capacity.size)
    return value, (ii, jj, frac)


def choose_open(
    value: np.ndarray,
    capacity: np.ndarray,
    must: np.ndarray,
    never: np.ndarray,
    min_open: int | None,
    max_open: int | None,
    cover: float | None,
) -> tuple[np.ndarray, float]:
    """Open set minimising sum value_j y_j under must/never/cardinality; returns (y in [0,1], value).

    With `cover` (total demand, unmet not allowed, no cardinality limits) the LP relaxation of
    sum cap_j y_j >= cover is added, which may open one facility fractionally.
    """
    y = np.where(must, 1.0, 0.0)
    free = ~must & ~never
    if min_open is None and max_open is None:
        y[free & (value < 0)] = 1.0
        if cover is not None:
            short = cover - float(capacity @ y)
            if short > 1e-9:
                cand = np.flatnonzero(free & (y == 0) & (capacity > 0))
                cand = cand[np.argsort(value[cand] / capacity[cand], kind="stable")]
                for j in cand:
                    take = min(1.0, short / capacity[j])
                    y[j] = take
                    short -= take * capacity[j]
                    if short <= 1e-9:
                        break
        return y, float(value @ y)
    n_must = int(must.sum())
    cand = np.flatnonzero(free)
    cand = cand[np.argsort(value[cand], kind="stable")]
    lo = max(0, (min_open or 0) - n_must)
    hi = max(0, (max_open if max_open is not None else cand.size + n_must) - n_must)
    n_neg = int((value[cand] < 0).sum())
    k = min(max(n_neg, lo), hi, cand.size)
    y[cand[:k]] = 1.0
    return y, float(value @ y)


def lagrangian(
    cost: np.ndarray,
    demand: np.ndarray,
    capacity: np.ndarray,
    fixed: np.ndarray,
    must: np.ndarray,
    never: np.ndarray,
    min_open: int | None,
    max_open: int | None,
    penalty_per_person: float | None,
    upper_bound: Callable[[np.ndarray], float],
    max_iter: int = 300,
    time_budget_s: float = 5.0,
) -> LagrangeOutcome:
    """Subgradient optimisation of the Lagrangian dual.

    `upper_bound(open_mask)` is called with each iteration's open set (a primal heuristic may try it)
    and returns the best known upper bound.
    """
    t0 = time.perf_counter()
    n_c = demand.size
    unmet_full = None if penalty_per_person is None else penalty_per_person * demand
    cover = float(demand.sum()) if (penalty_per_person is None and min_open is None and max_open is None) else None
    # Start from each client's cheapest cost including its share of the facility's fixed cost:
    # a much better estimate of the marginal cost of serving it than the bare assignment cost.
    share = cost + fixed[None, :] * (demand[:, None] / np.maximum(capacity[None, :], 1e-12))
    finite = np.where(np.isfinite(share), share, np.nan)
    with np.errstate(all="ignore"):
        lam = np.nanmin(finite, axis=1)
    lam = np.where(np.isfinite(lam), lam, 0.0)
    if unmet_full is not None:
        lam = np.minimum(lam, unmet_full)
    best, best_lam = -np.inf, lam.copy()
    theta, stall = 2.0, 0
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is reported after the loop
        value, (xi, xj, xf) = facility_values(cost, demand, capacity, fixed, lam)
        y, y_value = choose_open(value, capacity, must, never, min_open, max_open, cover)
        served = np.bincount(xi, weights=xf * y[xj], minlength=n_c)
        if unmet_full is not None:
            u = (unmet_full - lam < 0).astype(float)
            lval = float(lam.sum() + y_value + np.minimum(0.0, unmet_full - lam).sum())
        else:
            u = np.zeros(n_c)
            lval = float(lam.sum() + y_value)
        if not np.isfinite(best) or lval > best + 1e-9 * max(1.0, abs(best)):
            best, best_lam, stall = lval, lam.copy(), 0
        else:
            stall += 1
            if stall >= 20:
                theta, stall = theta / 2.0, 0
        g = 1.0 - served - u
        norm = float(g @ g)
        ub = upper_bound(y > 0)
        if norm < 1e-12 or theta < 1e-4 or (np.isfinite(ub) and ub - best <= 1e-7 * abs(ub)):
            break
        if time.perf_counter() - t0 > time_budget_s:
            break
        target = ub if np.isfinite(ub) else abs(lval) * 1.05 + 1.0
        lam = lam + theta * max(target - lval, 1e-6 * abs(target)) / norm * g
    return LagrangeOutcome(best, best_lam, it)
