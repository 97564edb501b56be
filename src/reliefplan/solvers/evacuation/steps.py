"""The time discretisation both methods share: travel times in whole steps, whole people per step under a link's
capacity, departures per step from a release schedule, the automatic step, and jam statistics per link.
"""

from __future__ import annotations

import numpy as np
from numba import njit

NICE_STEPS_S = (1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 300, 600, 900, 1200, 1800, 3600, 7200)


def _steps(travel_time_s: np.ndarray, dt: float) -> np.ndarray:
    """Travel time in whole steps, rounded up, at least one step."""
    return np.maximum(1, np.ceil(travel_time_s / dt - 1e-9)).astype(np.int64)


def _cap_at(rate_per_step: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Whole people entering per step, rounding the cumulative capacity so totals stay exact."""
    return (np.floor((t + 1) * rate_per_step + 1e-7) - np.floor(t * rate_per_step + 1e-7)).astype(np.int64)


def _release_layers(
    people: np.ndarray, release_s: np.ndarray, spread_s: np.ndarray, dt: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(item, step, people) of departures: uniform release over [r, r+s), each at the next step start; in item
    order, then step order, steps where nobody leaves left out."""
    k0 = np.ceil(release_s / dt - 1e-9).astype(np.int64)
    k1 = np.where(spread_s > 0, np.ceil((release_s + spread_s) / dt - 1e-9), k0).astype(np.int64)
    k1 = np.maximum(k1, k0)
    people = np.asarray(people, dtype=np.int64)
    return _release_kernel(people, np.asarray(release_s, float), np.asarray(spread_s, float), float(dt), k0, k1)


@njit(cache=True)
def _release_kernel(
    people: np.ndarray, release_s: np.ndarray, spread_s: np.ndarray, dt: float, k0: np.ndarray, k1: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The departures of `_release_layers`, item by item: the whole people gone by the start of each step
    (rounded down, everyone by the last step), less those gone by the step before (a national move spreads
    ~10^8 (item, step) pairs, most of them empty: only those with people are kept)."""
    size = 0
    for i in range(len(people)):
        if people[i] > 0:
            size += min(k1[i] - k0[i] + 1, people[i])  # a non-empty step takes at least one person
    item = np.empty(size, np.int64)
    step = np.empty(size, np.int64)
    amount = np.empty(size, np.int64)
    c = 0
    for i in range(len(people)):
        p, r, s = people[i], release_s[i], spread_s[i]
        if p <= 0:
            continue
        prev = 0
        for k in range(k0[i], k1[i] + 1):
            frac = 1.0
            if s > 0 and k < k1[i]:
                frac = min(max((k * dt - r) / s, 0.0), 1.0)
            cum = int(np.floor(p * frac + 1e-9))
            if cum - prev > 0:
                item[c], step[c], amount[c] = i, k, cum - prev
                c += 1
            prev = cum
    return item[:c], step[:c], amount[:c]


@njit(cache=True)
def _stable_order(key: np.ndarray) -> np.ndarray:
    """``np.argsort(key, kind="stable")`` for small non-negative integer keys (steps): a counting sort."""
    n_key = key.max() + 1 if len(key) else 0
    start = np.zeros(n_key + 1, np.int64)
    for x in key:
        start[x + 1] += 1
    for j in range(n_key):
        start[j + 1] += start[j]
    order = np.empty(len(key), np.int64)
    for i in range(len(key)):
        order[start[key[i]]] = i
        start[key[i]] += 1
    return order


def _choose_step(horizon_est_s: float, size_per_step: int, steps_target: int, budget: int | None) -> float:
    """Smallest 'nice' step keeping the step count (and, for exact, the expanded size) in budget."""
    for dt in NICE_STEPS_S:
        steps = horizon_est_s / dt
        if steps <= steps_target and (budget is None or steps * size_per_step <= budget):
            return float(dt)
    return float(NICE_STEPS_S[-1])


def _jam_stats(m: int, arc: np.ndarray, t: np.ndarray, queue: np.ndarray) -> tuple[np.ndarray, ...]:
    first = np.full(m, -1, dtype=np.int64)
    last = np.full(m, -1, dtype=np.int64)
    if len(arc):
        first_v = np.full(m, np.iinfo(np.int64).max)
        np.minimum.at(first_v, arc, t)
        first = np.where(first_v == np.iinfo(np.int64).max, -1, first_v)
        np.maximum.at(last, arc, t)
    steps = np.bincount(arc, minlength=m).astype(np.int64)
    mq = np.zeros(m)
    np.maximum.at(mq, arc, queue)
    return first, last, steps, mq
