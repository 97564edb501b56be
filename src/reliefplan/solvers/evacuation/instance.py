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


class _Reader:
    """Reads node ids and numbers out of the instance's objects, collecting every problem."""

    def __init__(self, file: str, node_ids: list[str]) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.index: dict[str, int] = {}
        for i, nid in enumerate(node_ids):
            if nid in self.index:
                self.problems.append(Problem(file=file, feature=f"nodes[{i}]", message=f"duplicate node id '{nid}'"))
            self.index.setdefault(nid, i)

    def node(self, obj: Any, where: str, key: str) -> int:
        """Index of the node ``obj[key]`` names (-1 and a problem if missing or unknown)."""
        if not isinstance(obj, dict) or key not in obj:
            self.problems.append(Problem(file=self.file, feature=where, field=key, message="missing node id"))
            return -1
        nid = str(obj[key])
        if nid not in self.index:
            self.problems.append(Problem(file=self.file, feature=where, field=key, message=f"unknown node id '{nid}'"))
            return -1
        return self.index[nid]

    def nonneg(self, obj: Any, where: str, key: str, default: float | None = None, integer: bool = False) -> float:
        """The finite number >= 0 at ``obj[key]`` (``default`` if absent and given; 0.0 and a problem if bad)."""
        file, problems = self.file, self.problems
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
    r = _Reader(file, node_ids)
    af, at, att, acap = [], [], [], []
    for i, a in enumerate(data["arcs"]):
        where = f"arcs[{i}]"
        af.append(r.node(a, where, "from"))
        at.append(r.node(a, where, "to"))
        att.append(r.nonneg(a, where, "travel_time_s"))
        acap.append(r.nonneg(a, where, "capacity_per_h"))
    sn, sp_, sr, ss, raw_routes = [], [], [], [], []
    for i, s in enumerate(data["sources"]):
        where = f"sources[{i}]"
        sn.append(r.node(s, where, "node"))
        sp_.append(int(r.nonneg(s, where, "people", integer=True)))
        sr.append(r.nonneg(s, where, "release_s", default=0.0))
        ss.append(r.nonneg(s, where, "spread_s", default=0.0))
        raw_routes.append(s.get("route") if isinstance(s, dict) else None)
    kn, kc = [], []
    for i, k in enumerate(data["sinks"]):
        where = f"sinks[{i}]"
        kn.append(r.node(k, where, "node"))
        if isinstance(k, dict) and k.get("capacity") is not None:
            kc.append(r.nonneg(k, where, "capacity"))
        else:
            kc.append(np.inf)
    if not data["sinks"]:
        r.problems.append(
            Problem(file=file, field="sinks", message="expected at least one sink (a site people can reach)")
        )
    routes: list[np.ndarray | None] | None = None
    if any(x is not None for x in raw_routes) and not r.problems:
        routes = _routes_of(r, raw_routes, af, at, att, acap)
    if r.problems:
        raise InputError(r.problems)
    inst = EvacuationInstance(
        node_ids=node_ids,
        arc_from=np.asarray(af),
        arc_to=np.asarray(at),
        arc_travel_time_s=np.asarray(att),
        arc_capacity_per_h=np.asarray(acap),
        source_node=np.asarray(sn),
        source_people=np.asarray(sp_),
        source_release_s=np.asarray(sr),
        source_spread_s=np.asarray(ss),
        sink_node=np.asarray(kn),
        sink_capacity=np.asarray(kc),
        routes=routes,
    )
    validate_instance(inst, file=file)
    return inst


def _routes_of(
    r: _Reader, raw_routes: list[Any], af: list[int], at: list[int], att: list[float], acap: list[float]
) -> list[np.ndarray | None]:
    """Each source's route as arc indices: a route is a node sequence, each hop on the quickest arc between the two
    nodes (the widest among equally quick ones)."""
    file, problems, index = r.file, r.problems, r.index
    best: dict[tuple[int, int], int] = {}
    for i in np.lexsort((-np.asarray(acap), np.asarray(att))):
        best.setdefault((af[i], at[i]), int(i))
    routes: list[np.ndarray | None] = []
    for i, rt in enumerate(raw_routes):
        where = f"sources[{i}]"
        if rt is None:
            routes.append(None)
            continue
        if not isinstance(rt, list) or len(rt) < 1:
            problems.append(Problem(file=file, feature=where, field="route", message="expected a list of node ids"))
            routes.append(None)
            continue
        ids = [str(x) for x in rt]
        unknown = [x for x in ids if x not in index]
        if unknown:
            problems.append(Problem(file=file, feature=where, field="route", message=f"unknown node id(s) {unknown}"))
            routes.append(None)
            continue
        arcs = []
        for u, v in zip(ids[:-1], ids[1:]):
            a = best.get((index[u], index[v]))
            if a is None:
                problems.append(Problem(file=file, feature=where, field="route", message=f"no arc from '{u}' to '{v}'"))
                break
            arcs.append(a)
        routes.append(np.asarray(arcs, dtype=np.int64))
    return routes


def read_instance(path: str | Path) -> EvacuationInstance:
    """Read and validate a JSON instance file (see ``instance_from_dict``)."""
    path = Path(path)
    data = read_json(path, "instance file")
    return instance_from_dict(data, file=str(path))


def validate_instance(inst: EvacuationInstance, file: str = "<instance>") -> None:
    """Raise InputError listing every inconsistency (indices, negative values, broken routes)."""
    problems = _length_problems(inst, file)
    if problems:
        raise InputError(problems)
    problems += _value_problems(inst, file)
    if inst.routes is not None:
        _add_route_problems(inst, file, problems)
    if problems:
        raise InputError(problems)


def _length_problems(inst: EvacuationInstance, file: str) -> list[Problem]:
    """Arrays that do not have one value per arc, source or sink."""
    problems: list[Problem] = []
    m = inst.n_arcs

    def check_len(name: str, arr: np.ndarray, k: int) -> None:
        if len(arr) != k:
            problems.append(Problem(file=file, field=name, message=f"expected {k} values, got {len(arr)}"))

    for name in ("arc_to", "arc_travel_time_s", "arc_capacity_per_h"):
        check_len(name, getattr(inst, name), m)
    for name in ("source_people", "source_release_s", "source_spread_s"):
        check_len(name, getattr(inst, name), len(inst.source_node))
    check_len("sink_capacity", inst.sink_capacity, len(inst.sink_node))
    return problems


def _value_problems(inst: EvacuationInstance, file: str) -> list[Problem]:
    """Node indices out of range, negative or non-finite numbers, bad sink capacities."""
    problems: list[Problem] = []
    n = inst.n_nodes
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
    return problems


def _add_route_problems(inst: EvacuationInstance, file: str, problems: list[Problem]) -> None:
    """Given routes that are not one per source, leave the arcs, break, or do not end at a sink (checked only
    while ``problems`` is empty: a route over bad arcs says nothing more)."""
    assert inst.routes is not None
    m = inst.n_arcs
    if len(inst.routes) != len(inst.source_node):
        problems.append(
            Problem(
                file=file,
                field="routes",
                message=f"expected one route (or None) per source, got {len(inst.routes)}",
            )
        )
        return
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
