"""Walking times from the displaced part of each zone to each site: on the roads, or straight line if none."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import shapely

from ..scenario.folder import Scenario
from ..scenario.roads import RoadLines
from ..solvers.network import (
    Network,
    NetworkParams,
    NetworkSummary,
    build_network,
    fallback_summary,
    snap,
    zone_sample_points,
)
from ..solvers.site_times import GroupTimes, group_straight_times, group_times

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client

    from .deliveries import DriveCache, SupplyWarmStart


@dataclass
class ZoneSiteTimes:
    """Walking times (s) and distances (m) from the zones whose people move to the sites, as sparse pairs.

    Only pairs with a route and, when the scenario sets siting.max_walk_h, a mean walk within it are listed;
    `time_s` / `distance_m` give the dense [zone, site] matrices (inf / NaN elsewhere) for small scenarios.
    """

    pairs: GroupTimes
    network: NetworkSummary  # the plan.json `network` block
    fallback: bool
    graph: Network | None = None  # the walking network (None on fallback), reused by the evacuation stage
    samples_xy: np.ndarray | None = None  # origin sample points (metric) and the zone of each, every zone
    samples_zone: np.ndarray | None = None

    @property
    def time_s(self) -> np.ndarray:
        return self.pairs.dense()[0]

    @property
    def distance_m(self) -> np.ndarray:
        return self.pairs.dense()[1]


@dataclass
class TravelCache:
    """Walking times already computed in this process, keyed by what they depend on: the roads object, the
    origin geometry, the site points and the sampling settings (ensemble members that only change numbers
    such as population or usable fraction reuse the network and the matrices)."""

    entries: dict[str, tuple[RoadLines | None, ZoneSiteTimes]] = field(default_factory=dict)  # key -> (roads, times)
    layout_people: dict[str, np.ndarray] = field(default_factory=dict)  # site layout fits (pipeline), same idea
    supply_lp: SupplyWarmStart = field(default_factory=dict)  # the last supply LP's HiGHS model, for a warm start
    drive_h: DriveCache = field(default_factory=dict)  # truck driving times between points (deliveries)
    hits: int = 0
    misses: int = 0
    client: Client | None = None  # walking-time trees and camp layouts by site batch on this Dask cluster


def _cache_key(
    sc: Scenario,
    origin_parts_m: np.ndarray,
    site_xy: np.ndarray,
    spacing_m: float,
    max_snap_m: float | None,
    moving: np.ndarray | None,
) -> str:
    h = hashlib.sha1()
    h.update(repr((id(sc.roads), sc.crs.to_string(), spacing_m, max_snap_m, sc.siting.max_walk_h)).encode())
    for wkb in shapely.to_wkb(np.asarray(origin_parts_m, dtype=object)):
        h.update(b"\0" if wkb is None else wkb)
    h.update(np.ascontiguousarray(site_xy, dtype=float).tobytes())
    h.update(b"all" if moving is None else np.packbits(np.asarray(moving, dtype=bool)).tobytes())
    return h.hexdigest()


def geometry_key(geoms: np.ndarray, *extra: object) -> str:
    """A digest of metric geometries (WKB) and settings, for caches keyed on unchanged geometry."""
    h = hashlib.sha1(repr(extra).encode())
    for wkb in shapely.to_wkb(np.asarray(geoms, dtype=object)):
        h.update(b"\0" if wkb is None else wkb)
    return h.hexdigest()


def walking_times(
    sc: Scenario,
    origin_parts_m: np.ndarray,
    site_xy: np.ndarray,
    *,
    moving: np.ndarray | None = None,
    sample_spacing_m: float = 500.0,
    max_snap_m: float | None = None,
    cache: TravelCache | None = None,
) -> ZoneSiteTimes:
    """Mean walking time over sample points of each zone's displaced part to a point inside each site.

    moving: zones whose people move (bool per zone); only their pairs are computed (None: every zone).
    Pairs whose mean walk exceeds siting.max_walk_h are left out (the siting may not use them), and the
    shortest-path trees stop a little beyond it.
    max_snap_m=None: every point snaps however far the nearest road is (the off-road leg is walked);
    an arterial-only network otherwise leaves outlying points without a route.
    cache: reuse (and fill) walking times computed earlier in this process for the same geometry and roads;
    its `client` (a dask.distributed Client) runs the trees by site batch on that cluster.
    """
    client = cache.client if cache is not None else None
    if cache is None:
        return _walking_times(sc, origin_parts_m, site_xy, sample_spacing_m, max_snap_m, moving, client)
    key = _cache_key(sc, origin_parts_m, site_xy, sample_spacing_m, max_snap_m, moving)
    hit = cache.entries.get(key)
    if hit is not None and hit[0] is sc.roads:  # the same roads object, not one that reused its id
        cache.hits += 1
        got = hit[1]
    else:
        cache.misses += 1
        got = _walking_times(sc, origin_parts_m, site_xy, sample_spacing_m, max_snap_m, moving, client)
        cache.entries[key] = (sc.roads, got)
    return replace(got, network=got.network.copy())  # arrays are shared read-only; the summary dict is not


def _walking_times(
    sc: Scenario,
    origin_parts_m: np.ndarray,
    site_xy: np.ndarray,
    sample_spacing_m: float,
    max_snap_m: float | None,
    moving: np.ndarray | None,
    client: Client | None,
) -> ZoneSiteTimes:
    samples_xy, zone_of = zone_sample_points(origin_parts_m, spacing_m=sample_spacing_m)
    routed = np.ones(len(zone_of), dtype=bool) if moving is None else np.asarray(moving, dtype=bool)[zone_of]
    params = NetworkParams.default()
    max_walk_s = sc.siting.max_walk_h * 3600.0 if sc.siting.max_walk_h is not None else None
    n_zones = len(origin_parts_m)
    net = None
    if sc.roads is None:
        pairs = group_straight_times(
            samples_xy[routed],
            zone_of[routed],
            n_zones,
            site_xy,
            speed_m_s=params.walk_speed_m_s,
            circuity=params.circuity,
            max_mean_s=max_walk_s,
        )
        summary = fallback_summary("walk", params=params)
    else:
        net = build_network(sc.roads, mode="walk", crs=sc.crs, params=params, closures=sc.closures)
        pairs = group_times(
            net,
            samples_xy[routed],
            zone_of[routed],
            n_zones,
            site_xy,
            max_mean_s=max_walk_s,
            max_snap_m=max_snap_m,
            client=client,
        )
        summary = net.summary()
        origin_snap_m = snap(net, samples_xy, max_snap_m=max_snap_m, file="origins").distance_m
        summary["origin_sample_points"] = int(len(samples_xy))
        summary["mean_origin_snap_m"] = float(np.mean(origin_snap_m))
        summary["max_origin_snap_m"] = float(np.max(origin_snap_m))
        summary["max_site_snap_m"] = float(
            np.max(snap(net, site_xy, max_snap_m=max_snap_m, file="destinations").distance_m)
        )
    return ZoneSiteTimes(
        pairs=pairs, network=summary, fallback=sc.roads is None, graph=net, samples_xy=samples_xy, samples_zone=zone_of
    )
