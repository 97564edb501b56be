"""The driver: checks the arguments, condenses the network, bounds the move (people deliverable, throughput, a
horizon estimate), chooses the method and the time step, and assembles the result on the original arcs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Literal

import numpy as np

from ..._errors import InputError, Problem, SolverError
from .condensation import _Net, condense
from .exact import _Expanded, _solve_exact, _TooLarge
from .instance import validate_instance
from .model import EvacuationInstance, EvacuationResult, Method, Routing, _Core
from .paths import _reverse_dist, _static_flows
from .queue import _run_queue
from .results import _bottlenecks, _map_flows
from .steps import _choose_step, _release_layers

# Time-expanded size the automatic step aims for (arcs of the expanded graph); OR-Tools' max flow
# handles a million arcs in about a second.
EXPANDED_ARCS_TARGET = 1_500_000
# Steps the automatic step aims for (bounds the resolution on small networks).
STEPS_TARGET_EXACT = 400
STEPS_TARGET_QUEUE = 3_000
MAX_HORIZON_S = 30 * 86_400.0  # an evacuation longer than a month is not a walk
MAX_USER_STEPS = 10_000  # a given time step must cover the evacuation in at most this many steps (memory, time)
# Auto picks the exact method only if it can run at this resolution or finer.
AUTO_EXACT_MAX_STEP_S = 1800.0


def solve_evacuation(
    instance: EvacuationInstance,
    *,
    time_step_s: float | None = None,
    horizon_s: float | None = None,
    routing: Routing = "free",
    method: Method = "auto",
) -> EvacuationResult:
    """Schedule the move: clearance time, arrivals per sink, flows per arc and bottlenecks.

    ``time_step_s`` None chooses a step (exact: the expanded graph stays near
    ``EXPANDED_ARCS_TARGET`` arcs). ``horizon_s`` None runs until everyone who can arrive has;
    otherwise people not arrived by ``horizon_s`` are reported as not arrived.
    ``routing="free"`` lets the exact method choose routes (the queue model then uses shortest
    routes); ``"fixed"`` follows ``instance.routes`` (shortest where None) with the queue model.
    """
    validate_instance(instance)
    _check_arguments(routing, method, time_step_s, horizon_s)
    explanations: list[str] = []
    net = condense(instance)
    reach = _reach_sites(instance, net, explanations)
    horizon_est_s = _horizon_estimate(instance, net, reach)
    if horizon_s is not None:
        horizon_est_s = horizon_s
    _check_step_count(time_step_s, horizon_est_s)

    auto = method == "auto"
    chosen = _auto_method(routing, time_step_s, horizon_est_s, net, reach, explanations) if method == "auto" else method

    core: _Core | None = None
    if chosen == "exact":
        dt = time_step_s or _exact_step(horizon_est_s, net, reach)
        try:
            core = _run_exact(instance, net, reach, dt, horizon_s)
        except _TooLarge as exc:
            if not auto:
                raise SolverError(str(exc)) from exc
            chosen = "queue"
            explanations.append(f"{exc}; the queue model ran instead")
        qnet = net
        sink_index = reach.ok_sink
    if core is None:
        dt = time_step_s or _choose_step(1.5 * horizon_est_s, 0, STEPS_TARGET_QUEUE, None)
        T_fixed = None if horizon_s is None else int(math.floor(horizon_s / dt + 1e-9))
        core, qnet = _run_queue(instance, net, reach.src_net, reach.sinks_net, routing, dt, T_fixed)
        sink_index = np.arange(len(instance.sink_node))
        if routing == "free":
            explanations.append(
                "queue model: everyone takes the quickest route to the nearest site with room "
                "(no re-routing around queues), so clearance is an upper bound on the best achievable"
            )
    explanations.extend(core.notes)
    return _result(instance, net, qnet, core, sink_index, dt, chosen, routing, horizon_s, explanations)


def _check_arguments(routing: str, method: str, time_step_s: float | None, horizon_s: float | None) -> None:
    """Raise InputError for a routing, method, step or horizon the solver does not take."""
    if routing not in ("free", "fixed"):
        raise InputError(
            Problem(file="<arguments>", field="routing", message=f"expected free or fixed, got {routing!r}")
        )
    if method not in ("auto", "exact", "queue"):
        raise InputError(
            Problem(file="<arguments>", field="method", message=f"expected auto, exact or queue, got {method!r}")
        )
    if routing == "fixed" and method == "exact":
        raise InputError(
            Problem(
                file="<arguments>",
                field="method",
                message="fixed routes are simulated with the queue model; the exact method optimises free routes",
            )
        )
    for name, v in (("time_step_s", time_step_s), ("horizon_s", horizon_s)):
        if v is not None and not (math.isfinite(v) and 0 < v <= MAX_HORIZON_S):
            raise InputError(
                Problem(
                    file="<arguments>",
                    field=name,
                    message=f"expected a number > 0 and <= {MAX_HORIZON_S:g} s (30 days), got {v}",
                )
            )


@dataclass(frozen=True)
class _Reach:
    """Who can reach which site on the condensed network, and how many people it can take at what rate."""

    src_net: np.ndarray  # condensed node of each source (-1: on no road with capacity to a site)
    sinks_net: np.ndarray  # condensed node of each sink (-1: unreachable)
    ok_src: np.ndarray  # sources with people and a way out
    ok_sink: np.ndarray  # sinks on the condensed network
    deliverable: int  # people the reachable sites can take, with unlimited time
    rate_per_h: float  # the network's throughput, people per hour


def _reach_sites(instance: EvacuationInstance, net: _Net, explanations: list[str]) -> _Reach:
    """Sources with a way out, reachable sinks, people deliverable and throughput; says who cannot leave."""
    node_map = net.node_map(instance.n_nodes)
    src_net = node_map[instance.source_node]
    sinks_net = node_map[instance.sink_node]
    people = instance.source_people

    # people on no road with capacity towards any site
    for i in np.flatnonzero((src_net < 0) & (people > 0)).tolist():
        explanations.append(
            f"source {i} at node '{instance.node_ids[instance.source_node[i]]}': no link with capacity "
            f"leads to any site with room; {int(people[i]):,} people cannot leave"
        )
    ok_src = np.flatnonzero((src_net >= 0) & (people > 0))
    ok_sink = np.flatnonzero(sinks_net >= 0)
    deliverable, rate_per_h = (0, 0.0)
    if len(ok_src) and len(ok_sink):
        deliverable, rate_per_h = _static_flows(
            net, src_net[ok_src], people[ok_src], sinks_net[ok_sink], instance.sink_capacity[ok_sink]
        )
    reachable_people = int(people[ok_src].sum())
    if deliverable < reachable_people:
        explanations.append(
            f"the sites reachable from the sources can take only {deliverable:,} of "
            f"{reachable_people:,} people who can leave; {reachable_people - deliverable:,} have no place"
        )
    return _Reach(src_net, sinks_net, ok_src, ok_sink, deliverable, rate_per_h)


def _horizon_estimate(instance: EvacuationInstance, net: _Net, reach: _Reach) -> float:
    """Seconds: last release + walk to the nearest site + everyone through the network's throughput."""
    if reach.deliverable <= 0:
        return 3600.0
    ok_src = reach.ok_src
    d_s = _reverse_dist(net, np.unique(reach.sinks_net[reach.ok_sink]), net.travel_time_s, min_only=True)
    ends = instance.source_release_s[ok_src] + instance.source_spread_s[ok_src] + d_s[reach.src_net[ok_src]]
    return float(np.max(ends[np.isfinite(ends)])) + reach.deliverable / max(reach.rate_per_h, 1e-9) * 3600.0


def _check_step_count(time_step_s: float | None, horizon_est_s: float) -> None:
    """Raise InputError when a given step needs more than MAX_USER_STEPS steps to cover the move."""
    if time_step_s is not None and 1.5 * horizon_est_s / time_step_s > MAX_USER_STEPS:
        need = 1.5 * horizon_est_s / MAX_USER_STEPS
        raise InputError(
            Problem(
                file="<arguments>",
                field="time_step_s",
                message=(
                    f"a time step of {time_step_s:g} s needs about {1.5 * horizon_est_s / time_step_s:,.0f} steps to cover "
                    f"this evacuation (about {horizon_est_s / 3600:,.1f} h); at most {MAX_USER_STEPS:,} steps: use a step of "
                    f"at least {math.ceil(need):g} s, or leave it out to let the solver choose"
                ),
            )
        )


def _exact_step(horizon_est_s: float, net: _Net, reach: _Reach) -> float:
    """The exact method's automatic step: the expanded network stays near EXPANDED_ARCS_TARGET arcs."""
    return _choose_step(
        1.5 * horizon_est_s, net.m + net.n + len(reach.ok_sink), STEPS_TARGET_EXACT, EXPANDED_ARCS_TARGET
    )


def _auto_method(
    routing: Routing, time_step_s: float | None, horizon_est_s: float, net: _Net, reach: _Reach, explanations: list[str]
) -> Literal["exact", "queue"]:
    """Exact when routes are free and it can run at a useful resolution (or at the given step), else queue."""
    if routing == "fixed":
        return "queue"
    dt_ex = time_step_s or _exact_step(horizon_est_s, net, reach)
    if dt_ex <= AUTO_EXACT_MAX_STEP_S or time_step_s is not None:
        return "exact"
    explanations.append("network too large for the exact method at a useful resolution; the queue model ran instead")
    return "queue"


def _run_exact(instance: EvacuationInstance, net: _Net, reach: _Reach, dt: float, horizon_s: float | None) -> _Core:
    """The exact method at step ``dt`` (raises _TooLarge when the expanded network would not fit)."""
    ok_src, ok_sink = reach.ok_src, reach.ok_sink
    T_fixed = None if horizon_s is None else int(math.floor(horizon_s / dt + 1e-9))
    T_upper = None
    rel_item, rel_k, rel_amt = _release_layers(
        instance.source_people[ok_src], instance.source_release_s[ok_src], instance.source_spread_s[ok_src], dt
    )
    ex = _Expanded(
        net,
        dt,
        reach.src_net[ok_src][rel_item],
        rel_k,
        rel_amt,
        reach.sinks_net[ok_sink],
        instance.sink_capacity[ok_sink],
        reach.deliverable,
    )
    return _solve_exact(ex, reach.rate_per_h, T_fixed, T_upper)


def _result(
    instance: EvacuationInstance,
    net: _Net,
    qnet: _Net,
    core: _Core,
    sink_index: np.ndarray,
    dt: float,
    method: Literal["exact", "queue"],
    routing: Routing,
    horizon_s: float | None,
    explanations: list[str],
) -> EvacuationResult:
    """The result on the original arcs and sinks (``qnet``: the network the method ran on)."""
    total = instance.total_people
    k_all = len(instance.sink_node)
    arrivals = np.zeros((k_all, core.T), dtype=np.int64)
    arrivals[sink_index] = core.arrivals[:, : core.T]
    arrived = int(arrivals.sum())
    not_arrived = total - arrived
    if horizon_s is not None and not_arrived > 0:
        explanations.append(f"{not_arrived:,} people had not arrived by the horizon of {horizon_s / 3600:.2f} h")
    step_end = (np.arange(core.T) + 1) * dt
    any_arr = arrivals.sum(axis=0) > 0
    clearance = float(step_end[np.flatnonzero(any_arr)[-1]]) if any_arr.any() else (0.0 if total == 0 else None)
    n_arcs = instance.n_arcs
    bottlenecks = _bottlenecks(qnet, core, dt)
    objective = bound = gap = None
    if method == "exact" and core.objective is not None:
        objective = core.objective  # min-cost flow: optimal, so the bound equals it
        bound, gap = objective, 0.0
    return EvacuationResult(
        status=core.status,
        method=method,
        routing=routing,
        time_step_s=dt,
        horizon_s=core.T * dt,
        clearance_s=clearance,
        total_people=total,
        arrived=arrived,
        not_arrived=not_arrived,
        sink_arrivals=arrivals,
        arc_flows_of=partial(_map_flows, qnet, n_arcs, core, dt),
        bottlenecks=bottlenecks,
        objective_person_s=objective,
        best_bound_person_s=bound,
        gap=gap,
        explanations=explanations,
        condensed_nodes=net.n,
        condensed_arcs=net.m,
    )
