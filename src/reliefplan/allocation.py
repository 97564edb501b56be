"""First allocation: fill the nearest sites by straight-line distance (placeholder for the siting optimiser)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class AllocationResult:
    """flows as parallel arrays (origin index, site index, people); unmet people per origin."""

    origin: np.ndarray
    site: np.ndarray
    people: np.ndarray
    unmet: np.ndarray
    method: str
    status: str
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    note: str = ""


def nearest_fill(cost: np.ndarray, demand: np.ndarray, capacity: np.ndarray) -> AllocationResult:
    """Greedy: take (origin, site) pairs in increasing cost and move as many people as fit.

    Not optimal; used only where no optimiser is available. Conserves people exactly:
    sum(people of origin i) + unmet[i] == demand[i].
    """
    demand_left = demand.astype(np.int64).copy()
    cap_left = capacity.astype(np.int64).copy()
    order = np.argsort(cost, axis=None, kind="stable")
    rows, cols, amounts = [], [], []
    n_sites = cost.shape[1]
    for flat in order:
        i, j = divmod(int(flat), n_sites)
        if not np.isfinite(cost[i, j]):  # sorted ascending: only unreachable pairs remain
            break
        if demand_left[i] == 0 or cap_left[j] == 0:
            continue
        q = min(demand_left[i], cap_left[j])
        demand_left[i] -= q
        cap_left[j] -= q
        rows.append(i), cols.append(j), amounts.append(q)
        if not demand_left.any() or not cap_left.any():
            break
    return AllocationResult(
        origin=np.array(rows, dtype=np.int64), site=np.array(cols, dtype=np.int64),
        people=np.array(amounts, dtype=np.int64), unmet=demand_left, method="nearest-fill (straight line)",
        status="heuristic", objective=float(sum(cost[i, j] * q for i, j, q in zip(rows, cols, amounts))),
        note="greedy placeholder: not an optimum, no bound",
    )
