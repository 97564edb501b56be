"""Walking times from the displaced part of each zone to each site: on the roads, or straight line if none."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import shapely

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


@dataclass
class TravelCache:
    """Walking times already computed in this process, keyed by what they depend on: the roads object, the
    origin geometry, the site points and the sampling settings (ensemble members that only change numbers
    such as population or usable fraction reuse the network and the matrices)."""

    entries: dict[str, tuple[Any, ZoneSiteTimes]] = field(default_factory=dict)  # key -> (roads object, times)
    layout_people: dict[str, np.ndarray] = field(default_factory=dict)  # site layout fits (pipeline), same idea
    supply_lp: dict[str, Any] = field(default_factory=dict)  # the last supply LP's HiGHS model, for a warm start
    drive_h: dict[str, Any] = field(default_factory=dict)  # truck driving times between points (deliveries)
    hits: int = 0
    misses: int = 0


def _cache_key(sc: Scenario, origin_parts_m: np.ndarray, site_xy: np.ndarray, spacing_m: float,
               max_snap_m: float | None) -> str:
    h = hashlib.sha1()
    h.update(repr((id(sc.roads), sc.crs.to_string(), spacing_m, max_snap_m)).encode())
    for wkb in shapely.to_wkb(np.asarray(origin_parts_m, dtype=object)):
        h.update(b"\0" if wkb is None else wkb)
    h.update(np.ascontiguousarray(site_xy, dtype=float).tobytes())
    return h.hexdigest()


def geometry_key(geoms: np.ndarray, *extra: Any) -> str:
    """A digest of metric geometries (WKB) and settings, for caches keyed on unchanged geometry."""
    h = hashlib.sha1(repr(extra).encode())
    for wkb in shapely.to_wkb(np.asarray(geoms, dtype=object)):
        h.update(b"\0" if wkb is None else wkb)
    return h.hexdigest()


def walking_times(sc: Scenario, origin_parts_m: np.ndarray, site_xy: np.ndarray, *,
                  sample_spacing_m: float = 500.0, max_snap_m: float | None = None,
                  cache: TravelCache | None = None) -> ZoneSiteTimes:
    """Mean walking time over sample points of each zone's displaced part to a point inside each site.

    max_snap_m=None: every point snaps however far the nearest road is (the off-road leg is walked);
    an arterial-only network otherwise leaves outlying points without a route.
    cache: reuse (and fill) walking times computed earlier in this process for the same geometry and roads.
    """
    if cache is None:
        return _walking_times(sc, origin_parts_m, site_xy, sample_spacing_m, max_snap_m)
    key = _cache_key(sc, origin_parts_m, site_xy, sample_spacing_m, max_snap_m)
    hit = cache.entries.get(key)
    if hit is not None and hit[0] is sc.roads:  # the same roads object, not one that reused its id
        cache.hits += 1
        got = hit[1]
    else:
        cache.misses += 1
        got = _walking_times(sc, origin_parts_m, site_xy, sample_spacing_m, max_snap_m)
        cache.entries[key] = (sc.roads, got)
    return replace(got, network=dict(got.network))  # arrays are shared read-only; the summary dict is not


def _walking_times(sc: Scenario, origin_parts_m: np.ndarray, site_xy: np.ndarray, sample_spacing_m: float,
                   max_snap_m: float | None) -> ZoneSiteTimes:
    samples_xy, zone_of = zone_sample_points(origin_parts_m, spacing_m=sample_spacing_m)
    params = NetworkParams.default()
    net = None
    if sc.roads is None:
        tt: TravelTimes = straight_line_matrix(samples_xy, site_xy, speed_m_s=params.walk_speed_m_s)
        summary = fallback_summary("walk", params=params)
    else:
        net = build_network(sc.roads, mode="walk", crs=sc.crs, params=params, closures=sc.closures)
        tt = travel_time_matrix(net, samples_xy, site_xy, max_snap_m=max_snap_m)
        summary = net.summary()
        summary["origin_sample_points"] = int(len(samples_xy))
        summary["mean_origin_snap_m"] = float(np.mean(tt.origin_snap_m))
        summary["max_origin_snap_m"] = float(np.max(tt.origin_snap_m))
        summary["max_site_snap_m"] = float(np.max(tt.destination_snap_m))
    agg = aggregate_origins(tt, zone_of, len(origin_parts_m))
    return ZoneSiteTimes(time_s=agg.time_s, distance_m=agg.distance_m, network=summary, fallback=tt.fallback,
                         graph=net, samples_xy=samples_xy, samples_zone=zone_of)
