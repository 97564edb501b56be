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


def days_result(sim: Any, assignment: str, T: int) -> DaysResult:
    """A run's books (`simulation._Sim` ``sim``) as a `DaysResult`; people still on the road at the end count
    with their trips so far."""
    inst, dt, el = sim.inst, sim.dt, sim.el
    e_of_slot = np.repeat(np.arange(el.n), el.size[: el.n])
    rs = np.flatnonzero(el.ring_n[: el.slots])
    _still_walking(sim, el.mode[e_of_slot[rs]], el.ring_n[rs], el.ring_dep[rs], el.ring_vul[rs], T)
    qi = np.flatnonzero(el.queue[: el.n])
    _still_walking(sim, el.mode[qi], el.queue[qi], el.qdep[qi], el.qvul[qi], T)
    notes = []
    if sim.turned_away:
        notes.append(f"{sim.turned_away:,} arrivals found their site full or closed and moved on")
    if sim.without_home:
        notes.append(f"{sim.without_home:,} people left but no open site could be reached: without a place")
    if sim.cannot_leave:
        notes.append(f"{sim.cannot_leave:,} people would leave but have no road to any site: counted at home")
    trips = np.maximum(sim.trips, 1)
    return DaysResult(
        assignment=assignment,
        step_s=dt,
        total_people=inst.total_people,
        order_ids=[f"order-{k}" for k in range(sim.n_k)],
        site_ids=list(inst.site_ids or []),
        mode_names=[m.name for m in inst.modes],
        left_by_order=np.cumsum(sim.left_order_inc, axis=1),
        left_unordered=np.cumsum(sim.left_unordered_inc),
        redisplaced_by_order=np.cumsum(sim.redisp_inc, axis=1),
        inside_at_operation=sim.inside_at_op,
        arrivals_site_day=sim.arr_site_day,
        arrivals_site_hour=sim.arr_site_hour,
        occupancy_site_day=sim.occ_day,
        departures_mode_day=sim.dep_mode_day,
        arrivals_mode_day=sim.arr_mode_day,
        at_origin_day=sim.at_origin_day,
        on_road_day=sim.on_road_day,
        at_sites_day=sim.at_sites_day,
        without_place_day=sim.without_day,
        turned_away=sim.turned_away,
        redisplaced=sim.redisplaced,
        cannot_leave=sim.cannot_leave,
        walking_over_h=sim.over,
        vulnerable_walking_over_h=sim.over_vul,
        max_walk_h=inst.max_walk_h,
        trips_mode=sim.trips.copy(),
        mean_trip_h=sim.trip_steps * dt / 3600.0 / trips,
        mean_free_flow_h=sim.ff_sum / trips / 3600.0,
        bottlenecks=bottlenecks(sim.net.cnet, sim._links, sim.dt),
        notes=notes,
        network={"nodes": sim.net.cnet.n, "links": sim.net.cnet.m, "route_elements": sim.el.n},
    )


def _still_walking(sim: Any, modes: np.ndarray, people: np.ndarray, dep: np.ndarray, vul: np.ndarray, T: int) -> None:
    """People on the road at the horizon's end who have been walking longer than max_walk_h already."""
    long = (people > 0) & (T - dep / np.maximum(people, 1) > sim.h_steps) & sim.on_foot[modes]
    if long.any():
        sim.over += np.bincount(modes[long], weights=people[long], minlength=sim.n_m).astype(np.int64)
        sim.over_vul += float(vul[long].sum())
