"""How people really move, over days: departures from response curves, hourly movement under road capacity,
sites that fill in the order people arrive (or as a plan directs), successive orders and re-displacement.

Method (see docs/movement.md): a point-queue simulation on the condensed road network, stepped every
``step_s`` seconds (default 300) while anyone is on the road and jumping over idle time, with bookkeeping by
the hour and the day.

* Departures: each origin's people leave on ``1 - (1 - u U(t - t_u)) (1 - C_k(t - t_k))`` (leaving without an
  order, share ``u`` with timing ``U``; leaving on its order ``k`` with curve ``C_k``), whole people per day,
  spread evenly over the day's departure hours, split by transport mode (vehicles capped per day).
* Movement: a person heading for a site follows the shortest road to it; every road link takes people at its
  capacity per hour in pedestrian-equivalents (a mode's road use per person), the rest queue at its entry;
  travel times are the link length over the mode's speed, kept unbiased by splitting each step's outflow over
  the two steps around it (carrying the rounding); people cross links shorter than the rest of a step within it.
* Arrival order (``assignment="arrival"``): people head for the nearest site that still has room when they
  leave; when they arrive and it is full or closed they move on to the nearest site with room from there.
  With a ``plan`` (people per origin and site, e.g. from `staged_plan`), planned people go to their planned
  site and undirected people cannot take the places held for them.
* Successive orders: a site inside a later order's footprint closes on that day and the people there leave
  again on that order's curve (re-displacement, counted). People who have moved are not moved otherwise.

Memory: the state is the queue and a travel ring per route element (a link on the way from a node to a site,
by mode and by the origin people left from) plus daily and hourly totals; it does not grow with the horizon or
shrink the step below a minute. Everyone is somewhere at the end of every day (checked exactly).

What lives where:

* `instance`: the scenario's ``movement`` keys checked against the scenario, the shipped modes, `DaysInstance`
  (arrays in) and its checks.
* `schedule`: whole people leaving each origin by day, split by mode with the vehicles' daily limit, and each
  day's release events.
* `routes`: the condensed road network with shortest ways to the sites, and the route elements (segments of
  the way, each with its queue and travel ring).
* `route_kernel`: where people head, compiled: the nearest site with room from every node, and the routes
  (chains of elements) made on first use; Python uses the same functions.
* `simulation`: `simulate` and the step loop (departures, targets, arrivals, re-displacement, the books).
* `kernel`: the per-step work on the elements and links (landing, discharge), compiled with numba.
* `places_kernel`: arrivals taking their places (and the split of planned departures), compiled.
* `stepping`: the steps in one compiled call (departures, new routes, windows ending, arrivals that move on),
  handing a step back to `simulation` only when it needs Python; results identical.
* `result`: `DaysResult` and its totals for plan.json.
* `staged`: the planned assignment (`staged_plan`) and the comparison of the two runs (`compare`).
"""

from ...scenario.movement import ModeSpec, MovementSpec, OrderSpec, mode_problems, movement_problems
from .instance import (
    MODES_FILE,
    Curve,
    DaysInstance,
    default_modes,
    instance_from_network,
    instance_problems,
    movement_spec_from_dict,
    order_curve,
    validate_days_instance,
)
from .result import DaysResult
from .schedule import departure_schedule
from .simulation import simulate, simulate_runs
from .staged import StagedPlan, compare, staged_plan

__all__ = [
    "MODES_FILE",
    "Curve",
    "DaysInstance",
    "DaysResult",
    "ModeSpec",
    "MovementSpec",
    "OrderSpec",
    "StagedPlan",
    "compare",
    "default_modes",
    "departure_schedule",
    "instance_from_network",
    "instance_problems",
    "mode_problems",
    "movement_problems",
    "movement_spec_from_dict",
    "order_curve",
    "simulate",
    "simulate_runs",
    "staged_plan",
    "validate_days_instance",
]
