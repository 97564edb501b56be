"""Who leaves when: whole people per origin and day on the order and unordered curves, split by mode with the
vehicles' daily limit."""

from __future__ import annotations

import numpy as np

from ..._rounding import largest_remainder
from ...scenario.movement import ModeSpec
from ..departures import cumulative_people, origin_share_left
from .instance import DaysInstance


def departure_schedule(inst: DaysInstance) -> np.ndarray:
    """Whole people who have left each origin by the end of each day: int [origin, day] (cumulative)."""
    t = np.arange(1, inst.horizon_days + 1, dtype=float)
    u_start = inst.unordered_start_day
    if u_start is None:
        u_start = float(inst.order_day.min()) if len(inst.order_day) else 0.0
    u_curve = inst.unordered_curve or (inst.order_curves[0] if inst.order_curves else None)
    out = np.zeros((len(inst.origin_node), inst.horizon_days), dtype=np.int64)
    for o in range(len(inst.origin_node)):
        k = int(inst.origin_order[o])
        s = origin_share_left(
            t,
            order_curve=inst.order_curves[k] if k >= 0 else None,
            order_day=float(inst.order_day[k]) if k >= 0 else None,
            unordered_share=float(inst.origin_unordered_share[o]),
            unordered_curve=u_curve,
            unordered_start_day=u_start,
        )
        out[o] = cumulative_people(int(inst.origin_people[o]), s)
    return out


def split_modes(n: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Whole people per (row, mode), each row split by the shares (largest remainder)."""
    out = np.zeros((len(n), len(shares)), dtype=np.int64)
    for i in np.flatnonzero(n):
        out[i] = largest_remainder(n[i] * shares, int(n[i]))
    return out


def cap_modes(by_mode: np.ndarray, modes: list[ModeSpec], limit_used: np.ndarray) -> np.ndarray:
    """Move people beyond a mode's daily availability to the first unlimited mode (in place, returns it)."""
    fallback = next((i for i, m in enumerate(modes) if m.max_people_per_day is None), None)
    for i, m in enumerate(modes):
        if m.max_people_per_day is None or fallback is None:
            continue
        room = max(0, int(m.max_people_per_day) - int(limit_used[i]))
        total = int(by_mode[:, i].sum())
        if total > room:
            keep = largest_remainder(by_mode[:, i] * (room / total), room, cap=by_mode[:, i])
            by_mode[:, fallback] += by_mode[:, i] - keep
            by_mode[:, i] = keep
        limit_used[i] += int(by_mode[:, i].sum())
    return by_mode
