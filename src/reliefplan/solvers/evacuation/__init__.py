"""Evacuation timing under road capacity: clearance time, arrival curves and where the move jams.

Two methods, both on a discrete time step Δ (seconds):

* ``exact`` — a time-expanded network (one copy of every node per step, arcs that take
  ``ceil(travel_time_s / Δ)`` steps and carry at most ``capacity_per_h · Δ / 3600`` people per
  step, holdover arcs for waiting, a super-source releasing people on their schedule, a
  super-sink behind the sites). The horizon is the smallest number of steps in which everyone
  who can arrive does: OR-Tools max flows, bounded below by walking time, throughput and the
  relaxation below, then widening + bisection. That is the quickest transshipment, exact for the
  discretisation, with free routing. Within it a min-cost flow minimises the total arrival time
  (ties: move early, wait near the sites, no detours). First the relaxation without link
  capacities (a small transportation problem: nobody waits) is solved; if its quickest routes fit
  every link at every step, its schedule is optimal for the expanded network too. Otherwise
  LEMON's network simplex solves the expanded min-cost flow (3-20x faster than OR-Tools' cost
  scaling on these deep graphs) on the node copies some flow can use, with the departures and the
  sites' totals as node supplies when everyone can arrive (the same optimum, 1.3-1.8x faster); above ``MIN_COST_ARCS_LIMIT`` expanded arcs the
  schedule comes from the max flow instead (clearance still optimal). Bottlenecks are the links
  of a minimum cut one step short of the clearance: the links that set it.
* ``queue`` — a point-queue simulation: people follow given routes (fixed routing) or the
  shortest route to the nearest site with room; every link has an entry queue discharging at
  capacity; vectorised over links with numpy. People of different routes waiting at one link
  leave in proportion to their share of the queue (FIFO for the queue as a whole). It never
  re-routes, so it is never faster than the exact optimum; on a single path both agree exactly.

Time conventions: step ``k`` is the interval ``[kΔ, (k+1)Δ)``. A person released at ``r``
departs at the first step starting at or after ``r``; people who reach a sink during step ``k``
are counted as arrived *by* ``(k+1)Δ``. Reported times are therefore conservative by less than
one step (and by the rounding up of travel times).

Before either method runs, the network is condensed: arcs with zero capacity and nodes on no
source→sink path are removed and chains of degree-2 nodes are merged (travel times add up,
capacity is the minimum). Results are mapped back to the original arcs.

What lives where (each module is one concept; the methods share ``steps``, ``paths`` and ``condensation``):

* ``model`` — ``EvacuationInstance``, ``EvacuationResult``, ``Bottleneck`` (inputs and results);
* ``instance`` — the JSON instance format and its checks (``instance_from_dict``, ``read_instance``,
  ``validate_instance``);
* ``condensation`` — ``condense``: the network the methods run on, and the map back to the original arcs;
* ``steps`` — the time discretisation (steps, capacities per step, release layers, the automatic step);
* ``paths`` — quickest distances and routes to the sites, static max flows;
* ``exact`` — the time-expanded network, quickest horizon, min-cost schedule, minimum-cut bottlenecks;
* ``relaxation`` — the capacity-free relaxation the exact method tries first;
* ``queue`` — the point-queue simulation and its quickest-route streams;
* ``solve`` — ``solve_evacuation``, the driver that picks the method and the step;
* ``results`` — flows and bottlenecks on the original arcs, ``result_to_dict``.

The package imports only ``solvers._mcf`` (max flows, min-cost flows), ``scenario`` (reading JSON) and the core.
"""

from .condensation import condense
from .instance import instance_from_dict, read_instance, validate_instance
from .model import Bottleneck, EvacuationInstance, EvacuationResult, Method, NodeNumbers, Routing
from .paths import _SinkPaths
from .results import result_to_dict
from .solve import MAX_HORIZON_S, MAX_USER_STEPS, solve_evacuation

__all__ = [
    "MAX_HORIZON_S",
    "MAX_USER_STEPS",
    "Bottleneck",
    "EvacuationInstance",
    "EvacuationResult",
    "Method",
    "NodeNumbers",
    "Routing",
    "_SinkPaths",  # the movement kernel (solvers.movement_days) reuses the quickest routes to the sites
    "condense",
    "instance_from_dict",
    "read_instance",
    "result_to_dict",
    "solve_evacuation",
    "validate_instance",
]
