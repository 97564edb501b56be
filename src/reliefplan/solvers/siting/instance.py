"""Shelter siting: the instance (``SitingInstance``, dense or sparse ``ArcCosts``), the result
(``SitingResult``), their validation and the standalone JSON format."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..._errors import InputError, Problem
from ...scenario._json_fields import FieldReader
from ...scenario._layers import read_json

#: unmet demand penalty used when an instance asks for the default: this many times the largest
#: per-person assignment cost (so leaving a person unsheltered is always worse than any move).
DEFAULT_UNMET_FACTOR = 10.0


@dataclass(frozen=True)
class ArcCosts:
    """A sparse `cost`: only the usable client-facility pairs (every other pair is not allowed).

    client, facility : indices of each pair; cost : cost of serving all of the client's demand there.
    Large instances (100,000 zones x 1,000 sites) pass these instead of a dense matrix."""

    client: np.ndarray
    facility: np.ndarray
    cost: np.ndarray


@dataclass(frozen=True)
class SitingInstance:
    """A capacitated facility-location instance (arrays; ids only for reporting).

    Attributes
    ----------
    facility_ids, client_ids : unique ids.
    capacity : people each facility can hold, shape (n_facilities,).
    fixed_cost : cost of opening each facility (0 = free, no opening decision), shape (n_facilities,).
    demand : people per client, shape (n_clients,).
    cost : shape (n_clients, n_facilities); cost of serving all of client i's demand from j. Or `ArcCosts`
        (sparse: pairs not listed are not allowed).
    allowed : optional bool mask of usable client->facility pairs (e.g. travel_time_s <= max walk).
        Arcs with a non-finite cost are never usable. A vulnerable group with a shorter walking limit
        is modelled as its own client (same zone, its own demand and its own allowed row).
    must_open, never_open : optional bool masks per facility.
    single_source : every client goes to one facility (communities kept together).
    min_open, max_open : optional limits on the number of open facilities.
    unmet_penalty : cost per person left unserved; None = all demand must be served (an over-full
        instance is then 'infeasible'). Set it so that over-full scenarios return a plan with
        unsheltered people instead; see `default_unmet_penalty`.
    """

    facility_ids: list[str]
    capacity: np.ndarray
    fixed_cost: np.ndarray
    client_ids: list[str]
    demand: np.ndarray
    cost: np.ndarray | ArcCosts
    allowed: np.ndarray | None = None
    must_open: np.ndarray | None = None
    never_open: np.ndarray | None = None
    single_source: bool = False
    min_open: int | None = None
    max_open: int | None = None
    unmet_penalty: float | None = None


@dataclass(frozen=True)
class SitingResult:
    """Outcome of `solve_siting`.

    status : 'optimal' (gap <= mip_gap against a bound valid for the full instance), 'time_limit'
        (stopped by the time limit; objective/bound/gap say how good the plan is), 'feasible' (a plan
        with a gap, no time limit hit, e.g. a relaxed MILP whose plan needed its far columns) or
        'infeasible' (no plan serves everyone; `message` says why).
    objective : fixed costs of open facilities + assignment cost + unmet_penalty x unmet people.
    bound : lower bound on the optimum of the full instance; gap = (objective - bound) / |objective|.
    open_mask / open_ids : facilities opened.
    assign_client, assign_facility, assign_fraction, assign_people : sparse assignment triples
        (client index, facility index, fraction of the client's demand, people).
    unmet_people : per client; assigned + unmet == demand (exactly, for whole-people demand).
    facility_people : people allocated to each facility.
    solver : 'ortools-min-cost-flow' | 'highs-lp' (transportation LP, or an integral LP relaxation) |
        'highs-mip' | 'lagrangian-heuristic'.
    """

    status: str
    objective: float
    bound: float
    gap: float
    open_mask: np.ndarray
    open_ids: list[str]
    assign_client: np.ndarray
    assign_facility: np.ndarray
    assign_fraction: np.ndarray
    assign_people: np.ndarray
    unmet_people: np.ndarray
    facility_people: np.ndarray
    solver: str
    solve_time_s: float
    message: str = ""
    fixed_cost_total: float = 0.0
    assignment_cost_total: float = 0.0
    unmet_cost_total: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------------- validation


def default_unmet_penalty(
    cost: np.ndarray | ArcCosts, demand: np.ndarray, factor: float = DEFAULT_UNMET_FACTOR
) -> float:
    """`factor` x the largest finite per-person assignment cost (at least 1.0)."""
    d = np.asarray(demand, dtype=float)
    if isinstance(cost, ArcCosts):
        d_arc = d[cost.client]
        with np.errstate(divide="ignore", invalid="ignore"):
            unit = np.asarray(cost.cost, dtype=float) / d_arc
        unit = unit[np.isfinite(unit) & (d_arc > 0)]
    else:
        c = np.asarray(cost, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            unit = c / d[:, None]
        unit = unit[np.isfinite(unit) & (d[:, None] > 0)]
    return float(max(1.0, factor * float(unit.max(initial=0.0))))


def validate_instance(inst: SitingInstance, file: str = "<instance>") -> None:
    """Raise InputError listing every problem in `inst` (shapes, NaN/inf, negatives, repeated ids)."""
    probs = instance_problems(inst, file)
    if probs:
        raise InputError(probs)


def instance_problems(inst: SitingInstance, file: str = "<instance>") -> list[Problem]:
    """Every problem in `inst` (shapes, NaN/inf, negatives, repeated ids); empty when it is valid."""
    probs: list[Problem] = []
    n_f, n_c = len(inst.facility_ids), len(inst.client_ids)
    for kind, ids in (("facilities", inst.facility_ids), ("clients", inst.client_ids)):
        seen: dict[str, int] = {}
        for k, fid in enumerate(ids):
            if fid in seen:
                probs.append(Problem(file, f"id {fid!r} repeated (first at index {seen[fid]})", f"{kind}[{k}]", "id"))
            seen.setdefault(fid, k)

    def vec(name: str, arr: np.ndarray, n: int, kind: str, ident: list[str]) -> None:
        a = np.asarray(arr, dtype=float)
        if a.shape != (n,):
            probs.append(Problem(file, f"expected {n} values, got shape {a.shape}", None, name))
            return
        for k in np.flatnonzero(~np.isfinite(a)):
            probs.append(Problem(file, "expected a finite number", f"{kind}[{k}] ({ident[k]})", name))
        for k in np.flatnonzero(a < 0):
            probs.append(Problem(file, f"expected >= 0, got {a[k]:g}", f"{kind}[{k}] ({ident[k]})", name))

    vec("capacity", inst.capacity, n_f, "facilities", inst.facility_ids)
    vec("fixed_cost", inst.fixed_cost, n_f, "facilities", inst.facility_ids)
    vec("demand", inst.demand, n_c, "clients", inst.client_ids)
    probs += _cost_problems(inst, file)
    probs += _open_problems(inst, file)
    if inst.unmet_penalty is not None and not (math.isfinite(inst.unmet_penalty) and inst.unmet_penalty > 0):
        probs.append(
            Problem(file, f"expected a finite number > 0 or null, got {inst.unmet_penalty}", None, "unmet_penalty")
        )
    return probs


def _cost_problems(inst: SitingInstance, file: str) -> list[Problem]:
    """The cost: a sparse one's arcs, or a dense clients x sites matrix with a finite cost >= 0 on every usable
    pair (`allowed`, of the same shape)."""
    probs: list[Problem] = []
    n_f, n_c = len(inst.facility_ids), len(inst.client_ids)
    if isinstance(inst.cost, ArcCosts):
        probs += _arc_problems(inst.cost, n_c, n_f, file)
        if inst.allowed is not None:
            probs.append(
                Problem(file, "a sparse cost lists the allowed pairs itself; expected allowed=None", None, "allowed")
            )
        c = None
    else:
        c = np.asarray(inst.cost, dtype=float)
    if c is None:
        pass
    elif c.shape != (n_c, n_f):
        probs.append(
            Problem(file, f"expected a {n_c} x {n_f} matrix (clients x facilities), got shape {c.shape}", None, "cost")
        )
    else:
        usable = np.ones_like(c, dtype=bool) if inst.allowed is None else np.asarray(inst.allowed, dtype=bool)
        if usable.shape != c.shape:
            probs.append(Problem(file, f"expected shape {c.shape}, got {usable.shape}", None, "allowed"))
            usable = np.ones_like(c, dtype=bool)
        bad = usable & ~np.isfinite(c)
        for i, j in zip(*np.nonzero(bad), strict=True):
            probs.append(
                Problem(
                    file,
                    f"expected a finite cost for usable pair, got {c[i, j]}",
                    f"clients[{i}] ({inst.client_ids[i]}) x facilities[{j}] ({inst.facility_ids[j]})",
                    "cost",
                )
            )
        for i, j in zip(*np.nonzero(usable & np.isfinite(c) & (c < 0)), strict=True):
            probs.append(
                Problem(
                    file,
                    f"expected cost >= 0, got {c[i, j]:g}",
                    f"clients[{i}] ({inst.client_ids[i]}) x facilities[{j}] ({inst.facility_ids[j]})",
                    "cost",
                )
            )
    return probs


def _open_problems(inst: SitingInstance, file: str) -> list[Problem]:
    """must_open and never_open (one boolean per site, never both), min_open and max_open (whole, in order)."""
    probs: list[Problem] = []
    n_f = len(inst.facility_ids)
    for name, m in (("must_open", inst.must_open), ("never_open", inst.never_open)):
        if m is not None and np.asarray(m).shape != (n_f,):
            probs.append(Problem(file, f"expected {n_f} booleans, got shape {np.asarray(m).shape}", None, name))
    if (
        inst.must_open is not None
        and inst.never_open is not None
        and np.asarray(inst.must_open).shape == (n_f,)
        and np.asarray(inst.never_open).shape == (n_f,)
    ):
        for j in np.flatnonzero(np.asarray(inst.must_open, bool) & np.asarray(inst.never_open, bool)):
            probs.append(
                Problem(file, "both must_open and never_open", f"facilities[{j}] ({inst.facility_ids[j]})", "must_open")
            )
    for name, v in (("min_open", inst.min_open), ("max_open", inst.max_open)):
        if v is not None and (int(v) != v or v < 0):
            probs.append(Problem(file, f"expected a whole number >= 0, got {v}", None, name))
    if inst.min_open is not None and inst.max_open is not None and inst.min_open > inst.max_open:
        probs.append(Problem(file, f"min_open {inst.min_open} > max_open {inst.max_open}", None, "min_open"))
    return probs


# --------------------------------------------------------------------------------------- JSON I/O


def _arc_problems(arcs: ArcCosts, n_c: int, n_f: int, file: str) -> list[Problem]:
    """Problems of a sparse cost: lengths, indices in range, each pair once, finite costs >= 0."""
    i, j, c = (np.asarray(a) for a in (arcs.client, arcs.facility, arcs.cost))
    if not (i.shape == j.shape == c.shape and i.ndim == 1):
        return [
            Problem(
                file, f"expected three equally long vectors, got shapes {i.shape}, {j.shape}, {c.shape}", None, "cost"
            )
        ]
    probs = []
    if len(i) and (i.min() < 0 or i.max() >= n_c or j.min() < 0 or j.max() >= n_f):
        probs.append(Problem(file, f"pair indices outside {n_c} clients x {n_f} facilities", None, "cost"))
    elif _repeats(i.astype(np.int64) * n_f + j):
        probs.append(Problem(file, "a client-facility pair is listed twice", None, "cost"))
    c = c.astype(float)
    for k in np.flatnonzero(~np.isfinite(c) | (c < 0))[:20]:
        probs.append(Problem(file, f"expected a finite cost >= 0, got {c[k]}", f"pair {k}", "cost"))
    return probs


def _repeats(keys: np.ndarray) -> bool:
    """Whether some key occurs twice (sorted neighbours: ~10x quicker than np.unique's hash on 141,000 pairs)."""
    k = np.sort(keys)
    return bool((k[1:] == k[:-1]).any())


def instance_from_json(obj: Any, file: str = "<instance>") -> SitingInstance:
    """Build a SitingInstance from the standalone JSON format (see README), collecting all problems.

    Keys: facilities [{id, capacity, fixed_cost=0, must_open=false, never_open=false}],
    clients [{id, demand}], cost [[...]] (null = pair not allowed), single_source=false,
    min_open, max_open, max_cost_per_person (pairs above it are not allowed),
    unmet_penalty (number per person; null = all demand must be served; absent = default).
    """
    probs: list[Problem] = []
    if not isinstance(obj, dict):
        raise InputError(Problem(file, "expected a JSON object with facilities, clients and cost"))
    facs = obj.get("facilities")
    clis = obj.get("clients")
    for key, val in (("facilities", facs), ("clients", clis)):
        if not isinstance(val, list):
            probs.append(Problem(file, "expected a list of objects", None, key))
    if not isinstance(facs, list) or not isinstance(clis, list):
        raise InputError(probs)

    fields = FieldReader(file, probs)
    num, ident = fields.number, fields.ident

    fac_ids = [ident("facilities", k, f) for k, f in enumerate(facs)]
    cli_ids = [ident("clients", k, c) for k, c in enumerate(clis)]
    capacity = np.array([num("facilities", k, f, "capacity", None) for k, f in enumerate(facs)])
    fixed = np.array([num("facilities", k, f, "fixed_cost", 0.0) for k, f in enumerate(facs)])
    demand = np.array([num("clients", k, c, "demand", None) for k, c in enumerate(clis)])
    must = np.array([bool(f.get("must_open", False)) if isinstance(f, dict) else False for f in facs], dtype=np.bool_)
    never = np.array([bool(f.get("never_open", False)) if isinstance(f, dict) else False for f in facs], dtype=np.bool_)
    cost, allowed = _cost_matrix(obj.get("cost"), cli_ids, fac_ids, file, probs)
    single = obj.get("single_source", False)
    if not isinstance(single, bool):
        probs.append(Problem(file, f"expected true or false, got {single!r}", None, "single_source"))
        single = False
    limits: dict[str, int | None] = {}
    for key in ("min_open", "max_open"):
        v = obj.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
            probs.append(Problem(file, f"expected a whole number >= 0 or null, got {v!r}", None, key))
            v = None
        limits[key] = v
    max_unit = obj.get("max_cost_per_person")
    if max_unit is not None and (isinstance(max_unit, bool) or not isinstance(max_unit, int | float)):
        probs.append(Problem(file, f"expected a number or null, got {max_unit!r}", None, "max_cost_per_person"))
        max_unit = None
    if max_unit is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            unit = np.where(demand[:, None] > 0, cost / demand[:, None], 0.0)
        allowed &= unit <= float(max_unit)
    penalty: float | None = None
    if "unmet_penalty" not in obj:
        with np.errstate(invalid="ignore"):
            penalty = default_unmet_penalty(
                np.where(allowed & np.isfinite(cost), cost, np.nan), np.maximum(demand, 0.0)
            )
    else:
        p = obj["unmet_penalty"]
        if p is not None and (isinstance(p, bool) or not isinstance(p, int | float)):
            probs.append(Problem(file, f"expected a number > 0 or null, got {p!r}", None, "unmet_penalty"))
        else:
            penalty = None if p is None else float(p)
    inst = SitingInstance(
        fac_ids,
        capacity,
        fixed,
        cli_ids,
        demand,
        cost,
        allowed=allowed,
        must_open=must if must.any() else None,
        never_open=never if never.any() else None,
        single_source=single,
        min_open=limits["min_open"],
        max_open=limits["max_open"],
        unmet_penalty=penalty,
    )
    probs += instance_problems(inst, file)
    if probs:
        raise InputError(probs)
    return inst


def _cost_matrix(
    rows: Any, cli_ids: list[str], fac_ids: list[str], file: str, probs: list[Problem]
) -> tuple[np.ndarray, np.ndarray]:
    """The `cost` rows as a dense (clients, facilities) matrix and the mask of allowed pairs (null, a bad value
    or a bad row: not allowed); every problem is added to `probs`."""
    n_c, n_f = len(cli_ids), len(fac_ids)
    cost = np.full((n_c, n_f), np.inf)
    allowed = np.ones((n_c, n_f), dtype=bool)
    if not isinstance(rows, list):
        probs.append(Problem(file, "expected a list of rows (one per client)", None, "cost"))
        return cost, allowed
    if len(rows) != n_c:
        probs.append(Problem(file, f"expected {n_c} rows (one per client), got {len(rows)}", None, "cost"))
    for i, row in enumerate(rows[:n_c]):
        if not isinstance(row, list) or len(row) != n_f:
            got = len(row) if isinstance(row, list) else type(row).__name__
            probs.append(
                Problem(
                    file, f"expected {n_f} values (one per facility), got {got}", f"cost row {i} ({cli_ids[i]})", "cost"
                )
            )
            allowed[i, :] = False
            continue
        for j, v in enumerate(row):
            if v is None:
                allowed[i, j] = False
            elif isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                probs.append(
                    Problem(
                        file,
                        f"expected a finite number or null, got {v!r}",
                        f"cost[{i}][{j}] ({cli_ids[i]} -> {fac_ids[j]})",
                        "cost",
                    )
                )
                allowed[i, j] = False
            else:
                cost[i, j] = float(v)
    return cost, allowed


def read_instance_file(path: str | Path) -> SitingInstance:
    """Read a standalone siting instance (JSON, format of `instance_from_json`)."""
    p = Path(path)
    obj = read_json(p, "instance file")
    return instance_from_json(obj, str(p))


def result_to_json(result: SitingResult, inst: SitingInstance) -> dict[str, Any]:
    """The standalone solver's output document (JSON-ready)."""

    def num(v: float) -> float | None:
        return float(v) if math.isfinite(v) else None

    return {
        "status": result.status,
        "objective": num(result.objective),
        "bound": num(result.bound),
        "gap": num(result.gap),
        "open": list(result.open_ids),
        "assignment": [
            {"client": inst.client_ids[i], "facility": inst.facility_ids[j], "fraction": float(fr), "people": float(pp)}
            for i, j, fr, pp in zip(
                result.assign_client.tolist(),
                result.assign_facility.tolist(),
                result.assign_fraction.tolist(),
                result.assign_people.tolist(),
                strict=True,
            )
        ],
        "unmet": [
            {"client": inst.client_ids[i], "people": float(result.unmet_people[i])}
            for i in np.flatnonzero(result.unmet_people > 0)
        ],
        "unmet_people_total": float(result.unmet_people.sum()),
        "costs": {
            "fixed": result.fixed_cost_total,
            "assignment": result.assignment_cost_total,
            "unmet": result.unmet_cost_total,
        },
        "solver": result.solver,
        "solve_time_s": result.solve_time_s,
        "message": result.message,
    }
