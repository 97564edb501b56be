"""What the days produced: `DaysResult`, with its totals for plan.json."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class DaysResult:
    """What happened, day by day (``d`` = 0 .. horizon-1; 'by day d' = by the end of day d).

    Conservation: at the end of every day ``at_origin + on_road + at_sites + without_place == total_people``.
    """

    assignment: str
    step_s: float
    total_people: int
    order_ids: list[str]
    site_ids: list[str]
    mode_names: list[str]
    left_by_order: np.ndarray  # int [order, day]: people who have left origins the order covers (cumulative)
    left_unordered: np.ndarray  # int [day]: people who have left origins no order covers (cumulative)
    redisplaced_by_order: np.ndarray  # int [order, day]: people leaving a site the order covers (cumulative)
    inside_at_operation: np.ndarray  # int [order]: people still inside when its operation starts (-1: no day)
    arrivals_site_day: np.ndarray  # int [site, day]: people taking a place (per day)
    arrivals_site_hour: np.ndarray  # int [site, hour]
    occupancy_site_day: np.ndarray  # int [site, day]: people at each site at the end of the day
    departures_mode_day: np.ndarray  # int [mode, day]
    arrivals_mode_day: np.ndarray  # int [mode, day]: people arriving at a place, by mode
    at_origin_day: np.ndarray  # int [day]
    on_road_day: np.ndarray  # int [day]
    at_sites_day: np.ndarray  # int [day]
    without_place_day: np.ndarray  # int [day]: left, found no site with room (near a full site or at home)
    turned_away: int  # arrivals that found their site full or closed and moved on
    redisplaced: int  # people who had a place and were ordered out of it again
    cannot_leave: int  # people whose origin has no road to any site
    walking_over_h: np.ndarray  # int [mode]: trips longer than max_walk_h (on-foot modes; 0 otherwise)
    vulnerable_walking_over_h: float  # of those, the vulnerable (each origin's share spread evenly; ASSUMPTION)
    max_walk_h: float
    trips_mode: np.ndarray  # int [mode]: trips completed (a re-displacement is a second trip)
    mean_trip_h: np.ndarray  # float [mode]: person-hours on the road / trips (queues included)
    mean_free_flow_h: np.ndarray  # float [mode]: the same trips without queues
    bottlenecks: list[dict[str, Any]]
    notes: list[str]
    network: dict[str, int]

    @property
    def n_days(self) -> int:
        return len(self.at_origin_day)

    def summary(self) -> dict[str, Any]:
        """Totals for plan.json (arrays stay in the result)."""
        last = self.n_days - 1
        return {
            "assignment": self.assignment,
            "step_s": self.step_s,
            "total_people": self.total_people,
            "left_by_order": {k: int(self.left_by_order[i, last]) for i, k in enumerate(self.order_ids)},
            "left_unordered": int(self.left_unordered[last]),
            "inside_at_operation": {k: int(v) for k, v in zip(self.order_ids, self.inside_at_operation) if v >= 0},
            "at_sites": int(self.at_sites_day[last]),
            "on_road": int(self.on_road_day[last]),
            "at_origin": int(self.at_origin_day[last]),
            "without_place": int(self.without_place_day[last]),
            "turned_away": self.turned_away,
            "redisplaced": self.redisplaced,
            "cannot_leave": self.cannot_leave,
            "walking_over_h": {
                "hours": self.max_walk_h,
                "people": int(self.walking_over_h.sum()),
                "vulnerable": round(self.vulnerable_walking_over_h),
                "by_mode": {m: int(v) for m, v in zip(self.mode_names, self.walking_over_h)},
            },
            "trips": {
                m: {"trips": int(n), "mean_h": round(float(a), 3), "free_flow_h": round(float(f), 3)}
                for m, n, a, f in zip(self.mode_names, self.trips_mode, self.mean_trip_h, self.mean_free_flow_h)
            },
            "notes": list(self.notes),
        }


def bottlenecks(cnet: Any, links: tuple[np.ndarray, ...], step_s: float, top: int = 25) -> list[dict[str, Any]]:
    """The ``top`` saturated links by largest queue: capacity, hours saturated, from and until (hours from the
    start), largest queue. ``links``: the simulation's link arrays (kernel.LINK_ARRAYS order)."""
    jam_steps, jam_first, jam_last, max_queue = links[3:7]
    jammed = np.flatnonzero(jam_steps)
    order = jammed[np.argsort(-max_queue[jammed], kind="stable")][:top]
    return [
        {
            "link": int(cnet.bottleneck_arc[a]),
            "capacity_per_h": float(cnet.capacity_per_h[a]),
            "saturated_h": float(jam_steps[a] * step_s / 3600.0),
            "from_h": float(jam_first[a] * step_s / 3600.0),
            "until_h": float((jam_last[a] + 1) * step_s / 3600.0),
            "max_queue_people": round(float(max_queue[a])),
        }
        for a in order.tolist()
    ]
