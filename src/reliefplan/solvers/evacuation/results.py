"""Results on the original network: flows mapped from condensed chains back to their arcs, bottlenecks with their
saturation times and delays, and the JSON summary of ``reliefplan solve-evacuation``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.sparse as sp

from .condensation import _Net
from .model import Bottleneck, EvacuationInstance, EvacuationResult, _Core


def _map_flows(net: _Net, n_arcs: int, core: _Core, dt: float) -> sp.csr_array:
    """Flows on original arcs: every member of a chain carries its chain's flow, shifted by its offset."""
    if len(net.member_arc) == net.m and not net.member_offset_s.any():  # no merged chains: one to one
        T = core.T if not len(core.flow_t) else max(core.T, int(core.flow_t.max()) + 1)
        return sp.coo_array((core.flow_val, (net.member_arc[core.flow_arc], core.flow_t)), shape=(n_arcs, T)).tocsr()
    cnt = np.diff(net.member_ptr)[core.flow_arc]
    rep = np.repeat(np.arange(len(core.flow_arc)), cnt)
    pos = net.member_ptr[core.flow_arc][rep] + (np.arange(len(rep)) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    arcs = net.member_arc[pos]
    shift = np.floor(net.member_offset_s[pos] / dt + 1e-9).astype(np.int64)
    t = core.flow_t[rep] + shift
    T = max(core.T, int(t.max()) + 1 if len(t) else 0)
    return sp.coo_array((core.flow_val[rep], (arcs, t)), shape=(n_arcs, T)).tocsr()


def _bottlenecks(net: _Net, core: _Core, dt: float) -> list[Bottleneck]:
    out = []
    for c in np.flatnonzero(core.jam_first >= 0).tolist():
        shift = math.floor(net.bottleneck_offset_s[c] / dt + 1e-9) * dt
        cap = float(net.capacity_per_h[c])
        q = float(core.max_queue[c])
        out.append(
            Bottleneck(
                arc=int(net.bottleneck_arc[c]),
                saturated_from_s=float(core.jam_first[c] * dt + shift),
                saturated_until_s=float((core.jam_last[c] + 1) * dt + shift),
                saturated_s=float(core.jam_steps[c] * dt),
                max_queue_people=q,
                max_delay_s=q / cap * 3600.0 if cap > 0 else math.inf,
            )
        )
    out.sort(key=lambda b: (-b.max_delay_s, -b.saturated_s))
    return out


def result_to_dict(
    result: EvacuationResult, instance: EvacuationInstance, *, include_flows: bool = True
) -> dict[str, Any]:
    """JSON-ready summary (node ids instead of indices; times in seconds)."""
    ids = instance.node_ids
    dt = result.time_step_s
    arrivals = []
    for j, t in zip(*np.nonzero(result.sink_arrivals)):
        arrivals.append(
            {
                "sink": ids[instance.sink_node[j]],
                "sink_index": int(j),
                "t_s": float((t + 1) * dt),
                "people": int(result.sink_arrivals[j, t]),
            }
        )
    arrivals.sort(key=lambda r: (r["sink_index"], r["t_s"]))
    flows = []
    if include_flows:
        csr = result.arc_flows
        for a in np.flatnonzero(np.diff(csr.indptr)).tolist():
            cols = csr.indices[csr.indptr[a] : csr.indptr[a + 1]]
            vals = csr.data[csr.indptr[a] : csr.indptr[a + 1]]
            o = np.argsort(cols)
            cols, vals = cols[o], vals[o]
            series = np.zeros(int(cols[-1] - cols[0] + 1))
            series[cols - cols[0]] = vals
            flows.append(
                {
                    "arc": a,
                    "from": ids[instance.arc_from[a]],
                    "to": ids[instance.arc_to[a]],
                    "start_s": float(cols[0] * dt),
                    "people_per_step": [round(float(v), 3) for v in series],
                }
            )
    return {
        "status": result.status,
        "method": result.method,
        "routing": result.routing,
        "time_step_s": dt,
        "horizon_s": result.horizon_s,
        "clearance_s": result.clearance_s,
        "clearance_h": None if result.clearance_s is None else result.clearance_s / 3600.0,
        "cleared": result.cleared,
        "total_people": result.total_people,
        "arrived": result.arrived,
        "not_arrived": result.not_arrived,
        "objective_person_s": result.objective_person_s,
        "best_bound_person_s": result.best_bound_person_s,
        "gap": result.gap,
        "condensed": {"nodes": result.condensed_nodes, "arcs": result.condensed_arcs},
        "arrivals": arrivals,
        "arc_flows": flows,
        "bottlenecks": [
            {
                "arc": b.arc,
                "from": ids[instance.arc_from[b.arc]],
                "to": ids[instance.arc_to[b.arc]],
                "saturated_from_s": b.saturated_from_s,
                "saturated_until_s": b.saturated_until_s,
                "saturated_s": b.saturated_s,
                "max_queue_people": round(b.max_queue_people, 1),
                "max_delay_s": b.max_delay_s,
            }
            for b in result.bottlenecks
        ],
        "explanations": result.explanations,
    }
