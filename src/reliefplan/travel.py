"""Walking times from the displaced part of each zone to each site: on the roads, or straight line if none."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .network import (Network, NetworkParams, TravelTimes, aggregate_origins, build_network, fallback_summary,
                      straight_line_matrix, travel_time_matrix, zone_sample_points)
from .scenario import Scenario


@dataclass
class ZoneSiteTimes:
    """[zone, site] walking time (s) and distance (m); inf / NaN where no route exists."""

    time_s: np.ndarray
    distance_m: np.ndarray
    network: dict[str, Any]  # the plan.json `network` block
    fallback: bool
    graph: Network | None = None  # the walking network (None on fallback), reused by the evacuation stage
    samples_xy: np.ndarray | None = None  # origin sample points (metric) and the zone of each
    samples_zone: np.ndarray | None = None


def walking_times(sc: Scenario, origin_parts_m: np.ndarray, site_xy: np.ndarray, *,
                  sample_spacing_m: float = 500.0, max_snap_m: float | None = None) -> ZoneSiteTimes:
    """Mean walking time over sample points of each zone's displaced part to a point inside each site.

    max_snap_m=None: every point snaps however far the nearest road is (the off-road leg is walked);
    an arterial-only network otherwise leaves outlying points without a route.
    """
    samples_xy, zone_of = zone_sample_points(origin_parts_m, spacing_m=sample_spacing_m)
    params = NetworkParams.default()
    net = None
    if sc.roads is None:
        tt: TravelTimes = straight_line_matrix(samples_xy, site_xy, speed_m_s=params.walk_speed_m_s)
        summary = fallback_summary("walk", params=params)
    else:
        net = build_network(sc.roads, mode="walk", crs=sc.crs, params=params)
        tt = travel_time_matrix(net, samples_xy, site_xy, max_snap_m=max_snap_m)
        summary = net.summary()
        summary["origin_sample_points"] = int(len(samples_xy))
        summary["mean_origin_snap_m"] = float(np.mean(tt.origin_snap_m))
        summary["max_origin_snap_m"] = float(np.max(tt.origin_snap_m))
        summary["max_site_snap_m"] = float(np.max(tt.destination_snap_m))
    agg = aggregate_origins(tt, zone_of, len(origin_parts_m))
    return ZoneSiteTimes(time_s=agg.time_s, distance_m=agg.distance_m, network=summary, fallback=tt.fallback,
                         graph=net, samples_xy=samples_xy, samples_zone=zone_of)
