"""Last-mile routing: instance formats (the standalone JSON format and Solomon's VRPTW text files) and the
result as JSON."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from ..._errors import InputError, Problem
from ...scenario._json_fields import FieldReader
from ...scenario._layers import read_json, read_text
from .instance import NOT_MODELLED, RoutingInstance, RoutingResult, validate_instance

# --------------------------------------------------------------------------------------- readers


def _euclid(xy: np.ndarray) -> np.ndarray:
    return np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])


def solomon_from_text(text: str, file: str = "<solomon>", vehicles: int | None = None) -> RoutingInstance:
    """Parse the Solomon VRPTW text format (Solomon 1987; the 25/50/100-customer and Homberger files).

    Layout: a name line; 'VEHICLE', a 'NUMBER CAPACITY' header and the fleet size and capacity;
    'CUSTOMER', a header, then one row per node: number, x, y, demand, ready time, due date, service
    time. Node 0 is the depot (its ready/due is the working day). Distances are Euclidean in double
    precision (not truncated), travel time = distance. `vehicles` overrides the fleet size.
    """
    lines = text.splitlines()
    name = next((ln.strip() for ln in lines if ln.strip()), "")
    upper = [ln.strip().upper() for ln in lines]

    def find(word: str) -> int:
        for k, ln in enumerate(upper):
            if ln.startswith(word):
                return k
        raise InputError(Problem(file, f"no '{word}' section; expected the Solomon VRPTW text layout"))

    k_v, k_c = find("VEHICLE"), find("CUSTOMER")
    fleet = _solomon_fleet(lines, k_v, k_c, file)
    a = _solomon_rows(lines, k_c, file)
    number, capacity = fleet
    n_veh = number if vehicles is None else float(vehicles)
    if n_veh < 1 or n_veh != int(n_veh):
        raise InputError(
            Problem(
                file,
                f"expected a whole number of vehicles >= 1, got {n_veh:g}",
                None,
                "NUMBER" if vehicles is None else "vehicles",
            )
        )
    n_veh = int(n_veh)
    d = _euclid(a[:, 1:3])
    ids = [str(int(x)) if float(x).is_integer() else str(x) for x in a[:, 0]]
    inst = RoutingInstance(
        depot_ids=[ids[0]],
        stop_ids=ids[1:],
        demand=a[1:, 3],
        service_time_s=a[1:, 6],
        window_open_s=a[1:, 4],
        window_close_s=a[1:, 5],
        depot_open_s=a[:1, 4],
        depot_close_s=a[:1, 5],
        vehicle_ids=[f"v{k + 1}" for k in range(n_veh)],
        vehicle_depot=np.zeros(n_veh, dtype=np.int64),
        vehicle_capacity=np.full(n_veh, capacity),
        distance_m=d,
        travel_time_s=d,
        load_unit="unit",
        name=name,
    )
    validate_instance(inst, file)
    return inst


def _solomon_fleet(lines: list[str], k_v: int, k_c: int, file: str) -> list[float]:
    """[number, capacity] from the first all-numbers line between VEHICLE (line k_v) and CUSTOMER (line k_c)."""
    fleet: list[float] | None = None
    for k in range(k_v + 1, k_c):
        toks = lines[k].split()
        if toks and all(_is_number(t) for t in toks):
            if len(toks) != 2:
                raise InputError(
                    Problem(file, f"expected 2 numbers (NUMBER CAPACITY), got {len(toks)}", f"line {k + 1}", "VEHICLE")
                )
            fleet = [float(t) for t in toks]
            break
    if fleet is None:
        raise InputError(Problem(file, "no fleet line (NUMBER CAPACITY) under VEHICLE", None, "VEHICLE"))
    return fleet


def _solomon_rows(lines: list[str], k_c: int, file: str) -> np.ndarray:
    """The node rows after CUSTOMER (line k_c): 7 numbers each, the depot first; every bad row named."""
    rows: list[list[float]] = []
    probs: list[Problem] = []
    for k in range(k_c + 1, len(lines)):
        toks = lines[k].split()
        if not toks or not _is_number(toks[0]):
            continue  # header or blank line
        if len(toks) != 7 or not all(_is_number(t) for t in toks):
            probs.append(
                Problem(
                    file,
                    f"expected 7 numbers (CUST NO., XCOORD., YCOORD., DEMAND, READY TIME, "
                    f"DUE DATE, SERVICE TIME), got {lines[k].strip()!r}",
                    f"line {k + 1}",
                )
            )
            continue
        rows.append([float(t) for t in toks])
    if probs:
        raise InputError(probs)
    if len(rows) < 2:
        raise InputError(
            Problem(
                file, f"expected a depot row and at least one customer row, got {len(rows)} row(s)", None, "CUSTOMER"
            )
        )
    return np.array(rows)


def _is_number(tok: str) -> bool:
    try:
        float(tok)
    except ValueError:
        return False
    return True


def read_solomon(path: str | Path, vehicles: int | None = None) -> RoutingInstance:
    """Read a Solomon VRPTW text file (see `solomon_from_text`)."""
    p = Path(path)
    return solomon_from_text(read_text(p, "Solomon instance"), str(p), vehicles)


def instance_from_json(obj: Any, file: str = "<instance>") -> RoutingInstance:
    """Build a RoutingInstance from the standalone JSON format, collecting every problem.

    Keys: depots [{id, x, y, open_s=0, close_s}], stops [{id, x, y, demand, service_s=0, open_s=0,
    close_s=depot close}], vehicles [{id, depot, capacity, count=1}] (count > 1 makes ids id-1..id-N),
    and either distance_m / travel_time_s matrices (depots then stops; null = no road) or coordinates
    in metres (x, y: projected) with speed_m_per_s; vehicle_fixed_cost_m=0, load_unit='kg'.
    """
    probs: list[Problem] = []
    if not isinstance(obj, dict):
        raise InputError(Problem(file, "expected a JSON object with depots, stops and vehicles"))
    for key in ("depots", "stops", "vehicles"):
        if not isinstance(obj.get(key), list) or not obj.get(key):
            probs.append(Problem(file, "expected a non-empty list of objects", None, key))
    if probs:
        raise InputError(probs)

    fields = FieldReader(file, probs)
    num, ident = fields.number, fields.ident

    deps, sts, vehs = obj["depots"], obj["stops"], obj["vehicles"]
    depot_ids = [ident("depots", k, d) for k, d in enumerate(deps)]
    stop_ids = [ident("stops", k, s) for k, s in enumerate(sts)]
    d_open = np.array([num("depots", k, d, "open_s", 0.0) for k, d in enumerate(deps)])
    d_close = np.array([num("depots", k, d, "close_s") for k, d in enumerate(deps)])
    day_end = float(d_close.max()) if d_close.size else 0.0
    demand = np.array([num("stops", k, s, "demand") for k, s in enumerate(sts)])
    service = np.array([num("stops", k, s, "service_s", 0.0) for k, s in enumerate(sts)])
    w_open = np.array([num("stops", k, s, "open_s", 0.0) for k, s in enumerate(sts)])
    w_close = np.array([num("stops", k, s, "close_s", day_end) for k, s in enumerate(sts)])
    v_ids, v_dep, v_cap = _fleet(vehs, depot_ids, fields, file, probs)
    mats = _matrices(obj, deps, sts, fields, file, probs)
    fixed = obj.get("vehicle_fixed_cost_m", 0.0)
    if isinstance(fixed, bool) or not isinstance(fixed, int | float):
        probs.append(Problem(file, f"expected a number >= 0, got {fixed!r}", None, "vehicle_fixed_cost_m"))
        fixed = 0.0
    if probs:
        raise InputError(probs)
    inst = RoutingInstance(
        depot_ids,
        stop_ids,
        demand,
        service,
        w_open,
        w_close,
        d_open,
        d_close,
        v_ids,
        np.array(v_dep, dtype=np.int64),
        np.array(v_cap),
        mats["distance_m"],
        mats["travel_time_s"],
        float(fixed),
        str(obj.get("load_unit", "kg")),
        str(obj.get("name", "")),
    )
    validate_instance(inst, file)
    return inst


def _fleet(
    vehs: list[Any], depot_ids: list[str], fields: FieldReader, file: str, probs: list[Problem]
) -> tuple[list[str], list[int], list[float]]:
    """(ids, depot index, capacity) of every vehicle, a `count` of N expanded to id-1..id-N; problems collected."""
    num, ident = fields.number, fields.ident
    where = {d: k for k, d in enumerate(depot_ids)}
    v_ids: list[str] = []
    v_dep: list[int] = []
    v_cap: list[float] = []
    for k, v in enumerate(vehs):
        vid = ident("vehicles", k, v)
        cap = num("vehicles", k, v, "capacity")
        count = v.get("count", 1) if isinstance(v, dict) else 1
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            probs.append(
                Problem(file, f"expected a whole number >= 1, got {count!r}", f"vehicles[{k}] ({vid})", "count")
            )
            count = 1
        dep = v.get("depot") if isinstance(v, dict) else None
        if str(dep) not in where:
            probs.append(
                Problem(file, f"unknown depot {dep!r}; expected one of {depot_ids}", f"vehicles[{k}] ({vid})", "depot")
            )
            dep = depot_ids[0]
        for c in range(count):
            v_ids.append(vid if count == 1 else f"{vid}-{c + 1}")
            v_dep.append(where[str(dep)])
            v_cap.append(cap)
    return v_ids, v_dep, v_cap


def _matrices(
    obj: dict[str, Any], deps: list[Any], sts: list[Any], fields: FieldReader, file: str, probs: list[Problem]
) -> dict[str, np.ndarray]:
    """distance_m and travel_time_s (depots then stops) as given, else from the x, y coordinates (metres) and
    speed_m_per_s; problems collected."""
    num = fields.number
    n = len(deps) + len(sts)
    mats: dict[str, np.ndarray] = {}
    for key in ("distance_m", "travel_time_s"):
        if key in obj:
            mats[key] = _matrix(obj[key], n, key, file, probs)
    if len(mats) < 2:
        pts = [*deps, *sts]
        kinds = ["depots"] * len(deps) + ["stops"] * len(sts)
        idx = list(range(len(deps))) + list(range(len(sts)))
        xy = np.array([[num(kd, i, p, "x"), num(kd, i, p, "y")] for kd, i, p in zip(kinds, idx, pts, strict=True)])
        if "distance_m" not in mats:
            mats["distance_m"] = _euclid(xy) if xy.size else np.zeros((0, 0))
        if "travel_time_s" not in mats:
            speed = obj.get("speed_m_per_s")
            if isinstance(speed, bool) or not isinstance(speed, int | float) or not speed > 0:
                probs.append(
                    Problem(
                        file,
                        f"expected a speed > 0 (m/s) to turn distances into travel times, got {speed!r}",
                        None,
                        "speed_m_per_s",
                    )
                )
                speed = 1.0
            mats["travel_time_s"] = mats["distance_m"] / float(speed)
    return mats


def _matrix(rows: Any, n: int, key: str, file: str, probs: list[Problem]) -> np.ndarray:
    m = np.full((n, n), np.inf)
    if not isinstance(rows, list) or len(rows) != n:
        probs.append(Problem(file, f"expected {n} rows (depots then stops)", None, key))
        return m
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != n:
            probs.append(Problem(file, f"expected {n} values", f"row {i}", key))
            continue
        for j, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                probs.append(Problem(file, f"expected a finite number or null, got {v!r}", f"[{i}][{j}]", key))
            else:
                m[i, j] = float(v)
    return m


def read_instance_file(path: str | Path, fmt: str = "auto", vehicles: int | None = None) -> RoutingInstance:
    """Read a routing instance: JSON (`instance_from_json`) or Solomon text; fmt 'auto' goes by content."""
    p = Path(path)
    if fmt not in ("auto", "json", "solomon"):
        raise InputError(Problem(str(p), f"unknown format {fmt!r}; expected auto, json or solomon"))
    text = read_text(p, "routing instance")
    if fmt == "solomon" or (fmt == "auto" and not text.lstrip().startswith("{")):
        return solomon_from_text(text, str(p), vehicles)
    inst = instance_from_json(read_json(p, "routing instance"), str(p))
    if vehicles is not None:
        raise InputError(
            Problem(str(p), "--vehicles applies to Solomon files; give the fleet in 'vehicles'", None, "vehicles")
        )
    return inst


def result_to_json(res: RoutingResult, inst: RoutingInstance) -> dict[str, Any]:
    """The standalone solver's output document (JSON-ready)."""
    return {
        "name": inst.name,
        "status": res.status,
        "vehicles_used": res.vehicles_used,
        "vehicles_available": len(inst.vehicle_ids),
        "distance_m": round(res.distance_m, 3),
        "load_delivered": res.load_delivered,
        "load_unserved": res.load_unserved,
        "load_unit": inst.load_unit,
        "stops_served": sum(len(r.stop_ids) for r in res.routes),
        "stops_unserved": len(res.unserved),
        "routes": [
            {
                "vehicle": r.vehicle_id,
                "depot": r.depot_id,
                "stops": r.stop_ids,
                "service_start_s": [round(t, 3) for t in r.service_start_s],
                "load": r.load,
                "distance_m": round(r.distance_m, 3),
                "start_s": round(r.start_s, 3),
                "end_s": round(r.end_s, 3),
            }
            for r in res.routes
            if r.stop_ids
        ],
        "unserved": [{"stop": u.stop_id, "demand": u.demand, "code": u.code, "reason": u.reason} for u in res.unserved],
        "gap": None,
        "solver": res.solver,
        "solve_time_s": round(res.solve_time_s, 3),
        "message": res.message,
        "not_modelled": NOT_MODELLED,
        "stats": res.stats,
    }
