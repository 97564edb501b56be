"""The time discretisation both methods share: travel times in whole steps, whole people per step under a link's
capacity, departures per step from a release schedule, the automatic step, and jam statistics per link.
"""

from __future__ import annotations

import numpy as np

NICE_STEPS_S = (1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 300, 600, 900, 1200, 1800, 3600, 7200)


def _steps(travel_time_s: np.ndarray, dt: float) -> np.ndarray:
    """Travel time in whole steps, rounded up, at least one step."""
    return np.maximum(1, np.ceil(travel_time_s / dt - 1e-9)).astype(np.int64)


def _cap_at(rate_per_step: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Whole people entering per step, rounding the cumulative capacity so totals stay exact."""
    return (np.floor((t + 1) * rate_per_step + 1e-7) - np.floor(t * rate_per_step + 1e-7)).astype(np.int64)


RELEASE_CHUNK = 4_000_000  # (item, step) pairs expanded at a time: a national move has ~10^8


def _release_layers(
    people: np.ndarray, release_s: np.ndarray, spread_s: np.ndarray, dt: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(item, step, people) of departures: uniform release over [r, r+s), each at the next step start."""
    k0 = np.ceil(release_s / dt - 1e-9).astype(np.int64)
    k1 = np.where(spread_s > 0, np.ceil((release_s + spread_s) / dt - 1e-9), k0).astype(np.int64)
    k1 = np.maximum(k1, k0)
    cnt = np.where(people > 0, k1 - k0 + 1, 0)
    if (
        cnt.sum() > RELEASE_CHUNK and len(people) > 1
    ):  # by blocks of items, in item order: the same triples, bounded memory
        ends = np.searchsorted(np.cumsum(cnt), np.arange(RELEASE_CHUNK, int(cnt.sum()), RELEASE_CHUNK))
        bounds = np.unique(np.r_[0, np.maximum(ends, 1), len(people)])
        parts = [
            _release_layers(people[a:b], release_s[a:b], spread_s[a:b], dt) for a, b in zip(bounds[:-1], bounds[1:])
        ]
        return (
            np.concatenate([p[0] + a for p, a in zip(parts, bounds[:-1])]),
            np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]),
        )
    item = np.repeat(np.arange(len(people)), cnt)
    first = np.repeat(np.cumsum(cnt) - cnt, cnt)
    k = k0[item] + (np.arange(len(item)) - first)
    r, s, p = release_s[item], spread_s[item], people[item]
    frac = np.where(s > 0, np.clip((k * dt - r) / np.where(s > 0, s, 1.0), 0.0, 1.0), 1.0)
    frac[np.r_[first[1:] != first[:-1], True] if len(item) else np.zeros(0, bool)] = 1.0  # last step: everyone
    cum = np.floor(p * frac + 1e-9).astype(np.int64)
    prev = np.r_[0, cum[:-1]] if len(cum) else cum
    is_first = np.arange(len(item)) == first
    amount = np.where(is_first, cum, cum - prev)
    nz = amount > 0
    return item[nz], k[nz], amount[nz]


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
