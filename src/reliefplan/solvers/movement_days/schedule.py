"""Who leaves when: whole people per origin and day on the order and unordered curves, split by mode with the
vehicles' daily limit."""

from __future__ import annotations

import numpy as np

from ..._rounding import largest_remainder, largest_remainder_rows
from ...scenario.movement import ModeSpec
from ..departures import cumulative_people, origin_share_left, share_left
from .instance import DaysInstance
from .places_kernel import split_quota


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
    """Whole people per (row, mode), each row split by the shares (largest remainder, all rows at once)."""
    n = np.asarray(n, dtype=np.int64)
    return largest_remainder_rows(n[:, None] * np.asarray(shares, dtype=float)[None, :], n)


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


def day_events(
    inst: DaysInstance,
    day: int,
    leaving: np.ndarray,
    nodes: tuple[np.ndarray, np.ndarray],
    redisp: tuple[np.ndarray, np.ndarray],
    quota: np.ndarray | None,
    limit_used: np.ndarray,
    start: tuple[int, np.ndarray],
) -> dict[str, np.ndarray]:
    """The day's release events: (stream, mode, directed site or -1, node, people, first step).

    ``leaving``: people leaving each origin today; ``nodes``: condensed node per origin and per site; ``redisp``:
    people at each site when its order came, and how many of them have been scheduled (updated); ``quota``:
    planned people per origin and site still to leave (updated; None in arrival order); ``limit_used``: vehicles'
    places used today (updated); ``start``: the first step of today's departure window, and the access steps per
    origin and mode. A stream is an origin (< n_o) or a site n_o + j whose people leave again."""
    n_o = len(inst.origin_node)
    origin_node, site_node = nodes
    redisp_people, redisp_sched = redisp
    o = np.flatnonzero(leaving)
    rows_s, rows_n, rows_node = [o], [leaving[o]], [origin_node[o]]
    for j in np.flatnonzero(redisp_people).tolist():
        k = int(inst.site_order[j])
        c = share_left(inst.order_curves[k], np.array([day + 1 - inst.order_day[k]]))
        due = int(cumulative_people(int(redisp_people[j]), c)[0]) - int(redisp_sched[j])
        if due > 0:
            redisp_sched[j] += due
            rows_s.append(np.array([n_o + j]))
            rows_n.append(np.array([due]))
            rows_node.append(np.array([site_node[j]]))
    s_all, n_all, node_all = (np.concatenate(x).astype(np.int64) for x in (rows_s, rows_n, rows_node))
    shares = np.array([m.share for m in inst.modes])
    by_mode = cap_modes(split_modes(n_all, shares), inst.modes, limit_used)
    rows, modes = np.nonzero(by_mode)
    people = by_mode[rows, modes]
    if quota is None:  # arrival order: each row leaves undirected
        to_site, part_n, parts = np.full(len(rows), -1, np.int64), people.astype(np.int64), np.ones(len(rows), np.int64)
    else:  # planned people first, split over their planned sites (compiled: a row at a time, in order)
        to_site, part_n, parts = split_quota(s_all[rows], people.astype(np.int64), quota, n_o)
    first, access_steps = start
    s_rows = s_all[rows]
    t0 = np.full(len(rows), first, np.int64)
    from_origin = s_rows < n_o
    t0[from_origin] += access_steps[s_rows[from_origin], modes[from_origin]]
    return {
        "s": np.repeat(s_rows, parts),
        "m": np.repeat(modes.astype(np.int64), parts),
        "j": to_site,
        "node": np.repeat(node_all[rows], parts),
        "n": part_n,
        "t0": np.repeat(t0, parts),
    }
