"""Road networks: OSM/GeoJSON lines → routable graph → many-to-many travel-time matrices.

Units: metres (local metric CRS), seconds, persons/h (walk) or vehicles/h (drive).

Pipeline use::

    roads = load_roads(path)                                  # loader (reads the file)
    crs = network_crs(roads)                                  # or the scenario's CRS
    net = build_network(roads, mode="walk", crs=crs)          # stage: no I/O
    tt = travel_time_matrix(net, zone_xy, site_xy)            # [n_zone, n_site] seconds / metres
    plan_network = net.summary()                              # plan.json `network`
    # no roads: straight_line_matrix(zone_xy, site_xy, speed_m_s=...) and fallback_summary("walk")

The package: ``graph`` (profiles, ``Network``, ``build_network``), ``matrices`` (snapping, travel-time matrices,
zone sample points, straight-line fallback) and ``points`` (point files and the ``travel-times`` command).
The underscored names re-exported below are the exact-sum internals ``site_times`` builds on.
"""

from ...scenario.roads import Closures, RoadLines, load_roads
from .graph import (
    MODES,
    Mode,
    Network,
    NetworkParams,
    NetworkSummary,
    build_network,
    fallback_summary,
    network_crs,
)
from .matrices import _L_RES_M as _L_RES_M
from .matrices import _T_RES_S as _T_RES_S
from .matrices import (
    DEFAULT_MAX_SNAP_M,
    Snapped,
    TravelTimes,
    aggregate_origins,
    snap,
    straight_line_matrix,
    travel_time_matrix,
    zone_sample_points,
)
from .matrices import _contract_chains as _contract_chains
from .matrices import _lexicographic_graph as _lexicographic_graph
from .points import Points, load_points, to_xy, travel_times_between_files

__all__ = [
    "DEFAULT_MAX_SNAP_M",
    "MODES",
    "Closures",
    "Mode",
    "Network",
    "NetworkParams",
    "NetworkSummary",
    "Points",
    "RoadLines",
    "Snapped",
    "TravelTimes",
    "aggregate_origins",
    "build_network",
    "fallback_summary",
    "load_points",
    "load_roads",
    "network_crs",
    "snap",
    "straight_line_matrix",
    "to_xy",
    "travel_time_matrix",
    "travel_times_between_files",
    "zone_sample_points",
]
