"""Last-mile routing: a daily vehicle-routing plan from hubs to distribution points (OR-Tools).

A capacitated vehicle-routing problem with time windows (VRPTW), with several depots (hubs) when the
instance has them. Each vehicle leaves its hub once, serves stops inside their windows, and is back
before the hub closes. The objective is the total distance (plus a distance-equivalent fixed cost per
vehicle used, when given); a stop is left out only when it cannot be served, and every stop left out
is reported with the reason. OR-Tools' routing library searches (the best of four construction
heuristics, then guided local search until the time limit); it is a heuristic and proves no bound, so
no gap is stated here — benchmarks/bench_routing.py measures the gap to the published best-known Solomon solutions.

Units: distances in metres, times in seconds from the start of the day, loads in the instance's
`load_unit`. Solomon instances have no units: one distance unit is read as 1 m and one time unit as
1 s (travel time = distance), which keeps their published distances comparable.

The package: ``instance`` (types, validation, screening), ``solve`` (OR-Tools search, schedules, the plan
check) and ``formats`` (JSON and Solomon files, the result as JSON).
"""

from .formats import instance_from_json, read_instance_file, read_solomon, result_to_json, solomon_from_text
from .instance import (
    NOT_MODELLED,
    Route,
    RoutingInstance,
    RoutingResult,
    Unserved,
    instance_problems,
    screen_stops,
    validate_instance,
)
from .solve import route_problems, solve_routing

__all__ = [
    "NOT_MODELLED",
    "Route",
    "RoutingInstance",
    "RoutingResult",
    "Unserved",
    "instance_from_json",
    "instance_problems",
    "read_instance_file",
    "read_solomon",
    "result_to_json",
    "route_problems",
    "screen_stops",
    "solomon_from_text",
    "solve_routing",
    "validate_instance",
]
