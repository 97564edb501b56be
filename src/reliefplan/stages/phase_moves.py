"""The re-moves the phases cause, routed: each closing day's re-displaced people walk from the site they leave to
where the phases send them (`stages.phases`, `phases.moves`), on the walking network under road capacity, with the
hourly movement model (`solvers.movement_days.simulate`, run as is: one run per day with re-displacements).

ASSUMPTION: everyone moved on a day leaves that day, spread evenly over the day's departure hours (the model's
default departure window); the move is simulated over ``DAYS`` days from then. The runs show how long the re-move
takes and where it jams; the presence keeps the daily model's whole-day arrival (everyone there by the end of the
closing day), so the supply plan and the verdict do not depend on these runs."""

from __future__ import annotations

import numpy as np

from ..plan_movement import MovementBottleneck
from ..plan_phases import RoutedPhaseMoves
from ..scenario.folder import Scenario
from ..scenario.movement import EmpiricalCurve
from ..solvers import movement_days as md
from ..solvers.network import Network, snap
from .phases import PhaseResult

#: days each re-move is simulated for, from its first departure
DAYS = 3


def route_phase_moves(sc: Scenario, net: Network, xy: np.ndarray, ph: PhaseResult) -> list[RoutedPhaseMoves]:
    """One row per day with re-displacements: people, arrived by the end of that day and of the next days
    (cumulative, from that day), on the road at the end of it, hours from its start until the last arrival, the
    longest mode's mean trip (queues included), people walking over the limit, the worst bottlenecks.

    xy: metric coordinates of the presence's locations (the indices `ph.moves` refers to)."""
    spec = sc.movement
    out = []
    days = sorted({m[0] for m in ph.moves if m[3] == "redisplaced"})
    for day in days:
        moves = [m for m in ph.moves if m[0] == day and m[3] == "redisplaced" and m[5] > 0]
        src = sorted({m[1] for m in moves})
        dst = sorted({m[2] for m in moves})
        plan = np.zeros((len(src), len(dst)), np.int64)
        for m in moves:
            plan[src.index(m[1]), dst.index(m[2])] += m[5]
        o, d = snap(net, xy[src]), snap(net, xy[dst])
        inst = md.DaysInstance(
            n_nodes=len(net.node_xy),
            arc_from=net.link_from,
            arc_to=net.link_to,
            arc_length_m=net.link_length_m,
            arc_capacity_per_h=net.link_capacity_per_h * sc.road_capacity_factor,
            origin_node=o.node,
            origin_people=plan.sum(axis=1),
            origin_order=np.zeros(len(src), np.int64),
            site_node=d.node,
            site_capacity=plan.sum(axis=0),
            modes=(spec.modes if spec is not None and spec.modes else None) or md.default_modes(),
            horizon_days=DAYS,
            order_day=np.array([0.0]),
            order_curves=[EmpiricalCurve(days=[0.0, 1.0], share=[0.0, 1.0])],
            origin_access_m=o.distance_m,
            max_walk_h=spec.max_walk_h if spec is not None else 6.0,
            origin_ids=[ph.location_ids[i] if ph.location_ids else str(i) for i in src],
            site_ids=[ph.location_ids[i] if ph.location_ids else str(i) for i in dst],
        )
        r = md.simulate(inst, assignment="plan", plan=plan)
        hours = np.flatnonzero(r.arrivals_site_hour.sum(axis=0))
        out.append(
            RoutedPhaseMoves(
                day=day,
                people=int(plan.sum()),
                from_sites=len(src),
                to_locations=len(dst),
                arrived_by_day=np.cumsum(r.arrivals_site_day.sum(axis=0)).astype(int).tolist(),  # from `day`
                on_road_end_of_day=int(r.on_road_day[0]),
                last_arrival_h=None if not hours.size else int(hours[-1]) + 1,
                mean_trip_h=round(float(np.nanmax(r.mean_trip_h, initial=0.0)), 2),
                walking_over_max_h=int(r.walking_over_h.sum()),
                max_walk_h=r.max_walk_h,
                cannot_leave=r.cannot_leave,
                bottlenecks=[MovementBottleneck.model_validate(b) for b in r.bottlenecks[:3]],
            )
        )
    return out
