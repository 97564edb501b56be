"""Reading and checking an evacuation instance: the JSON format of ``reliefplan solve-evacuation`` (every problem
collected, naming the feature and the field) and the consistency checks every solve runs first.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from ..._errors import InputError, Problem
from ...scenario._layers import read_json
from .model import EvacuationInstance


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    if not math.isfinite(float(v)):
        return None
    return float(v)


def instance_from_dict(data: Any, file: str = "<instance>") -> EvacuationInstance:
    """Parse the JSON instance format of ``reliefplan solve-evacuation``; collect every problem.

    ``{"nodes": [ids], "arcs": [{"from", "to", "travel_time_s", "capacity_per_h"}],
    "sources": [{"node", "people", "release_s", "spread_s"?, "route"?: [node ids]}],
    "sinks": [{"node", "capacity": null | number}]}``
    """
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise InputError(Problem(file=file, message="expected a JSON object with nodes, arcs, sources, sinks"))
    for key in ("nodes", "arcs", "sources", "sinks"):
        if not isinstance(data.get(key), list):
            problems.append(Problem(file=file, field=key, message="expected a list"))
    if problems:
        raise InputError(problems)
    node_ids = [str(x) for x in data["nodes"]]
    index: dict[str, int] = {}
    for i, nid in enumerate(node_ids):
        if nid in index:
            problems.append(Problem(file=file, feature=f"nodes[{i}]", message=f"duplicate node id '{nid}'"))
        index.setdefault(nid, i)

    def node_of(obj: Any, where: str, key: str) -> int:
        if not isinstance(obj, dict) or key not in obj:
            problems.append(Problem(file=file, feature=where, field=key, message="missing node id"))
            return -1
        nid = str(obj[key])
        if nid not in index:
            problems.append(Problem(file=file, feature=where, field=key, message=f"unknown node id '{nid}'"))
            return -1
        return index[nid]

    def nonneg(obj: Any, where: str, key: str, default: float | None = None, integer: bool = False) -> float:
        if not isinstance(obj, dict):
            problems.append(Problem(file=file, feature=where, message="expected an object"))
            return 0.0
        if key not in obj:
            if default is not None:
                return default
            problems.append(Problem(file=file, feature=where, field=key, message="missing, expected a number >= 0"))
            return 0.0
        v = _num(obj[key])
        if v is None or v < 0:
            problems.append(
                Problem(file=file, feature=where, field=key, message=f"expected a finite number >= 0, got {obj[key]!r}")
            )
            return 0.0
        if integer and v != int(v):
            problems.append(Problem(file=file, feature=where, field=key, message=f"expected whole people, got {v}"))
            return 0.0
        return v

    af, at, att, acap = [], [], [], []
    for i, a in enumerate(data["arcs"]):
        where = f"arcs[{i}]"
        af.append(node_of(a, where, "from"))
        at.append(node_of(a, where, "to"))
        att.append(nonneg(a, where, "travel_time_s"))
        acap.append(nonneg(a, where, "capacity_per_h"))
    sn, sp_, sr, ss, raw_routes = [], [], [], [], []
    for i, s in enumerate(data["sources"]):
        where = f"sources[{i}]"
        sn.append(node_of(s, where, "node"))
        sp_.append(int(nonneg(s, where, "people", integer=True)))
        sr.append(nonneg(s, where, "release_s", default=0.0))
        ss.append(nonneg(s, where, "spread_s", default=0.0))
        raw_routes.append(s.get("route") if isinstance(s, dict) else None)
    kn, kc = [], []
    for i, k in enumerate(data["sinks"]):
        where = f"sinks[{i}]"
        kn.append(node_of(k, where, "node"))
        if isinstance(k, dict) and k.get("capacity") is not None:
            kc.append(nonneg(k, where, "capacity"))
        else:
            kc.append(np.inf)
    if not data["sinks"]:
        problems.append(
            Problem(file=file, field="sinks", message="expected at least one sink (a site people can reach)")
        )
    routes: list[np.ndarray | None] | None = None
    if any(r is not None for r in raw_routes) and not problems:
        # a route is a node sequence; each hop takes the quickest arc between the two nodes
        best: dict[tuple[int, int], int] = {}
        for i in np.lexsort((-np.asarray(acap), np.asarray(att))):
            best.setdefault((af[i], at[i]), int(i))
        routes = []
        for i, r in enumerate(raw_routes):
            where = f"sources[{i}]"
            if r is None:
                routes.append(None)
                continue
            if not isinstance(r, list) or len(r) < 1:
                problems.append(Problem(file=file, feature=where, field="route", message="expected a list of node ids"))
                routes.append(None)
                continue
            ids = [str(x) for x in r]
            unknown = [x for x in ids if x not in index]
            if unknown:
                problems.append(
                    Problem(file=file, feature=where, field="route", message=f"unknown node id(s) {unknown}")
                )
                routes.append(None)
                continue
            arcs = []
            for u, v in zip(ids[:-1], ids[1:]):
                a = best.get((index[u], index[v]))
                if a is None:
                    problems.append(
                        Problem(file=file, feature=where, field="route", message=f"no arc from '{u}' to '{v}'")
                    )
                    break
                arcs.append(a)
            routes.append(np.asarray(arcs, dtype=np.int64))
    if problems:
        raise InputError(problems)
    inst = EvacuationInstance(
        node_ids=node_ids,
        arc_from=af,
        arc_to=at,
        arc_travel_time_s=att,
        arc_capacity_per_h=acap,
        source_node=sn,
        source_people=sp_,
        source_release_s=sr,
        source_spread_s=ss,
        sink_node=kn,
        sink_capacity=kc,
        routes=routes,
    )
    validate_instance(inst, file=file)
    return inst


def read_instance(path: str | Path) -> EvacuationInstance:
    """Read and validate a JSON instance file (see ``instance_from_dict``)."""
    path = Path(path)
    data = read_json(path, "instance file")
    return instance_from_dict(data, file=str(path))


def validate_instance(inst: EvacuationInstance, file: str = "<instance>") -> None:
    """Raise InputError listing every inconsistency (indices, negative values, broken routes)."""
    problems: list[Problem] = []
    n, m = inst.n_nodes, inst.n_arcs

    def check_len(name: str, arr: np.ndarray, k: int) -> None:
        if len(arr) != k:
            problems.append(Problem(file=file, field=name, message=f"expected {k} values, got {len(arr)}"))

    for name in ("arc_to", "arc_travel_time_s", "arc_capacity_per_h"):
        check_len(name, getattr(inst, name), m)
    for name in ("source_people", "source_release_s", "source_spread_s"):
        check_len(name, getattr(inst, name), len(inst.source_node))
    check_len("sink_capacity", inst.sink_capacity, len(inst.sink_node))
    if problems:
        raise InputError(problems)
    for name, arr, feat in (
        ("from", inst.arc_from, "arcs"),
        ("to", inst.arc_to, "arcs"),
        ("node", inst.source_node, "sources"),
        ("node", inst.sink_node, "sinks"),
    ):
        for i in np.flatnonzero((arr < 0) | (arr >= n)):
            problems.append(
                Problem(
                    file=file, feature=f"{feat}[{i}]", field=name, message=f"node index {arr[i]} outside 0..{n - 1}"
                )
            )
    for name, arr, feat in (
        ("travel_time_s", inst.arc_travel_time_s, "arcs"),
        ("capacity_per_h", inst.arc_capacity_per_h, "arcs"),
        ("people", inst.source_people, "sources"),
        ("release_s", inst.source_release_s, "sources"),
        ("spread_s", inst.source_spread_s, "sources"),
    ):
        bad = ~np.isfinite(arr.astype(float)) | (arr < 0)
        for i in np.flatnonzero(bad):
            problems.append(
                Problem(
                    file=file,
                    feature=f"{feat}[{i}]",
                    field=name,
                    message=f"expected a finite number >= 0, got {arr[i]}",
                )
            )
    for i in np.flatnonzero(np.isnan(inst.sink_capacity) | (inst.sink_capacity < 0)):
        problems.append(
            Problem(
                file=file,
                feature=f"sinks[{i}]",
                field="capacity",
                message=f"expected null or a number >= 0, got {inst.sink_capacity[i]}",
            )
        )
    if inst.routes is not None:
        if len(inst.routes) != len(inst.source_node):
            problems.append(
                Problem(
                    file=file,
                    field="routes",
                    message=f"expected one route (or None) per source, got {len(inst.routes)}",
                )
            )
        else:
            sink_set = set(inst.sink_node.tolist())
            for i, r in enumerate(inst.routes):
                if r is None or problems:
                    continue
                where = f"sources[{i}]"
                if np.any((r < 0) | (r >= m)):
                    problems.append(Problem(file=file, feature=where, field="route", message="arc index out of range"))
                    continue
                nodes = [int(inst.source_node[i])] + inst.arc_to[r].tolist()
                if len(r) and (np.any(inst.arc_from[r] != np.asarray(nodes[:-1]))):
                    problems.append(
                        Problem(
                            file=file,
                            feature=where,
                            field="route",
                            message="arcs do not form a path starting at the source",
                        )
                    )
                elif nodes[-1] not in sink_set:
                    problems.append(
                        Problem(
                            file=file,
                            feature=where,
                            field="route",
                            message=f"route ends at '{inst.node_ids[nodes[-1]]}', which is not a sink",
                        )
                    )
    if problems:
        raise InputError(problems)
