"""Shelter siting and allocation: capacitated facility location, solved with a proven bound.

Clients are origin zones (demand = people), facilities are candidate sites (capacity = people).
``cost[i, j]`` is the cost of serving ALL of client i's demand from facility j (the classic CFLP
convention; the pipeline passes travel_time_s x people), so sending a fraction of the demand pays that
fraction of the cost. The optimiser decides which sites to open (when there are opening costs or
open-count limits) and who goes where; it always reports status, objective, best bound and gap.

- No opening decisions (all fixed costs 0, no open-count limits, not single-source): the problem is a
  transportation problem, solved exactly with OR-Tools min-cost flow in whole people.
- Small instances: the LP relaxation of the strong formulation (HiGHS); when it is integral it is
  the proven optimum, otherwise the strong MILP in HiGHS.
- Otherwise: a Lagrangian relaxation (bound + primal open sets), min-cost-flow allocation of those
  open sets, a drop/add/swap local search, then the strong MILP in HiGHS warm-started with the best
  plan (on large instances a relaxed MILP over each client's cheapest sites, see `solve_siting`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import InputError, Problem
from ..scenario._json_fields import FieldReader
from ..scenario._layers import read_json
from .cflp.bnb import lagrangian_bnb
from .cflp.flow import is_integral, solve_transport
from .cflp.lagrange import choose_open, facility_values, lagrangian
from .cflp.mip import solve_mip

#: unmet demand penalty used when an instance asks for the default: this many times the largest
#: per-person assignment cost (so leaving a person unsheltered is always worse than any move).
DEFAULT_UNMET_FACTOR = 10.0
#: instances with at most this many usable client-site pairs start with the LP relaxation of the
#: strong formulation (often integral, hence optimal) and otherwise go from a short Lagrangian phase
#: straight to the exact MILP, skipping the local search (HiGHS solves them in milliseconds).
_SMALL_ARCS = 20_000
#: share of the time left that the Lagrangian branch-and-bound may use on a plain instance before HiGHS takes
#: over (it proves 1,000 x 100 optimal in ~34 s and gets 2,000 x 200 to 0.105 % in 48 s).
_BNB_SHARE = 0.8
#: above this many pairs the MILP keeps each client's cheapest sites (plus a relaxed far column): on
#: 1,000 x 100 the full model finds better plans within a minute, on 2,000 x 200 it is too large.
_NEAR_ARCS = 150_000
#: in a full MILP above _SMALL_ARCS pairs, x_ij <= y_j rows only for each client's cheapest sites
#: (plus the arcs the Lagrangian prices below the client's multiplier and the best plan's arcs).
_LINK_K = 10
#: each client's cheapest sites kept in a restricted MILP (fewer when arc_limit is small).
_NEAR_K = 15


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

def default_unmet_penalty(cost: np.ndarray | ArcCosts, demand: np.ndarray,
                          factor: float = DEFAULT_UNMET_FACTOR) -> float:
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
                probs.append(Problem(file, f"id {fid!r} repeated (first at index {seen[fid]})",
                                     f"{kind}[{k}]", "id"))
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
    if isinstance(inst.cost, ArcCosts):
        probs += _arc_problems(inst.cost, n_c, n_f, file)
        if inst.allowed is not None:
            probs.append(Problem(file, "a sparse cost lists the allowed pairs itself; expected allowed=None",
                                 None, "allowed"))
        c = None
    else:
        c = np.asarray(inst.cost, dtype=float)
    if c is None:
        pass
    elif c.shape != (n_c, n_f):
        probs.append(Problem(file, f"expected a {n_c} x {n_f} matrix (clients x facilities), got shape {c.shape}",
                             None, "cost"))
    else:
        usable = np.ones_like(c, dtype=bool) if inst.allowed is None else np.asarray(inst.allowed, dtype=bool)
        if usable.shape != c.shape:
            probs.append(Problem(file, f"expected shape {c.shape}, got {usable.shape}", None, "allowed"))
            usable = np.ones_like(c, dtype=bool)
        bad = usable & ~np.isfinite(c)
        for i, j in zip(*np.nonzero(bad), strict=True):
            probs.append(Problem(file, f"expected a finite cost for usable pair, got {c[i, j]}",
                                 f"clients[{i}] ({inst.client_ids[i]}) x facilities[{j}] ({inst.facility_ids[j]})",
                                 "cost"))
        for i, j in zip(*np.nonzero(usable & np.isfinite(c) & (c < 0)), strict=True):
            probs.append(Problem(file, f"expected cost >= 0, got {c[i, j]:g}",
                                 f"clients[{i}] ({inst.client_ids[i]}) x facilities[{j}] ({inst.facility_ids[j]})",
                                 "cost"))
    for name, m in (("must_open", inst.must_open), ("never_open", inst.never_open)):
        if m is not None and np.asarray(m).shape != (n_f,):
            probs.append(Problem(file, f"expected {n_f} booleans, got shape {np.asarray(m).shape}", None, name))
    if (inst.must_open is not None and inst.never_open is not None
            and np.asarray(inst.must_open).shape == (n_f,) and np.asarray(inst.never_open).shape == (n_f,)):
        for j in np.flatnonzero(np.asarray(inst.must_open, bool) & np.asarray(inst.never_open, bool)):
            probs.append(Problem(file, "both must_open and never_open", f"facilities[{j}] ({inst.facility_ids[j]})",
                                 "must_open"))
    for name, v in (("min_open", inst.min_open), ("max_open", inst.max_open)):
        if v is not None and (int(v) != v or v < 0):
            probs.append(Problem(file, f"expected a whole number >= 0, got {v}", None, name))
    if inst.min_open is not None and inst.max_open is not None and inst.min_open > inst.max_open:
        probs.append(Problem(file, f"min_open {inst.min_open} > max_open {inst.max_open}", None, "min_open"))
    if inst.unmet_penalty is not None and not (math.isfinite(inst.unmet_penalty) and inst.unmet_penalty > 0):
        probs.append(Problem(file, f"expected a finite number > 0 or null, got {inst.unmet_penalty}", None,
                             "unmet_penalty"))
    return probs


# --------------------------------------------------------------------------------------- JSON I/O

def _arc_problems(arcs: ArcCosts, n_c: int, n_f: int, file: str) -> list[Problem]:
    """Problems of a sparse cost: lengths, indices in range, each pair once, finite costs >= 0."""
    i, j, c = (np.asarray(a) for a in (arcs.client, arcs.facility, arcs.cost))
    if not (i.shape == j.shape == c.shape and i.ndim == 1):
        return [Problem(file, f"expected three equally long vectors, got shapes {i.shape}, {j.shape}, {c.shape}",
                        None, "cost")]
    probs = []
    if len(i) and (i.min() < 0 or i.max() >= n_c or j.min() < 0 or j.max() >= n_f):
        probs.append(Problem(file, f"pair indices outside {n_c} clients x {n_f} facilities", None, "cost"))
    elif len(np.unique(i.astype(np.int64) * n_f + j)) != len(i):
        probs.append(Problem(file, "a client-facility pair is listed twice", None, "cost"))
    c = c.astype(float)
    for k in np.flatnonzero(~np.isfinite(c) | (c < 0))[:20]:
        probs.append(Problem(file, f"expected a finite cost >= 0, got {c[k]}", f"pair {k}", "cost"))
    return probs


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

    n_c, n_f = len(clis), len(facs)
    cost = np.full((n_c, n_f), np.inf)
    allowed = np.ones((n_c, n_f), dtype=bool)
    rows = obj.get("cost")
    if not isinstance(rows, list):
        probs.append(Problem(file, "expected a list of rows (one per client)", None, "cost"))
    else:
        if len(rows) != n_c:
            probs.append(Problem(file, f"expected {n_c} rows (one per client), got {len(rows)}", None, "cost"))
        for i, row in enumerate(rows[:n_c]):
            if not isinstance(row, list) or len(row) != n_f:
                got = len(row) if isinstance(row, list) else type(row).__name__
                probs.append(Problem(file, f"expected {n_f} values (one per facility), got {got}",
                                     f"cost row {i} ({cli_ids[i]})", "cost"))
                allowed[i, :] = False
                continue
            for j, v in enumerate(row):
                if v is None:
                    allowed[i, j] = False
                elif isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                    probs.append(Problem(file, f"expected a finite number or null, got {v!r}",
                                         f"cost[{i}][{j}] ({cli_ids[i]} -> {fac_ids[j]})", "cost"))
                    allowed[i, j] = False
                else:
                    cost[i, j] = float(v)
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
            penalty = default_unmet_penalty(np.where(allowed & np.isfinite(cost), cost, np.nan),
                                            np.maximum(demand, 0.0))
    else:
        p = obj["unmet_penalty"]
        if p is not None and (isinstance(p, bool) or not isinstance(p, int | float)):
            probs.append(Problem(file, f"expected a number > 0 or null, got {p!r}", None, "unmet_penalty"))
        else:
            penalty = None if p is None else float(p)
    inst = SitingInstance(fac_ids, capacity, fixed, cli_ids, demand, cost, allowed=allowed,
                          must_open=must if must.any() else None, never_open=never if never.any() else None,
                          single_source=single, min_open=limits["min_open"], max_open=limits["max_open"],
                          unmet_penalty=penalty)
    probs += instance_problems(inst, file)
    if probs:
        raise InputError(probs)
    return inst


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
        "assignment": [{"client": inst.client_ids[i], "facility": inst.facility_ids[j],
                        "fraction": float(fr), "people": float(pp)}
                       for i, j, fr, pp in zip(result.assign_client.tolist(), result.assign_facility.tolist(),
                                               result.assign_fraction.tolist(), result.assign_people.tolist(),
                                               strict=True)],
        "unmet": [{"client": inst.client_ids[i], "people": float(result.unmet_people[i])}
                  for i in np.flatnonzero(result.unmet_people > 0)],
        "unmet_people_total": float(result.unmet_people.sum()),
        "costs": {"fixed": result.fixed_cost_total, "assignment": result.assignment_cost_total,
                  "unmet": result.unmet_cost_total},
        "solver": result.solver,
        "solve_time_s": result.solve_time_s,
        "message": result.message,
    }


# --------------------------------------------------------------------------------------- solving

@dataclass
class _Plan:
    """A candidate plan on the active arcs: fraction per arc, open mask, unmet fraction per client."""

    objective: float
    x: np.ndarray
    y: np.ndarray
    u: np.ndarray
    people: np.ndarray | None = None  # integral flows when min-cost flow produced them


def solve_siting(instance: SitingInstance, *, time_limit_s: float = 60.0, mip_gap: float = 1e-6,
                 arc_limit: int = 1_000_000, file: str = "<instance>") -> SitingResult:
    """Decide which facilities to open and who goes where, with status, objective, bound and gap.

    time_limit_s bounds the whole solve (heuristics + MILP). mip_gap is the relative gap at which a
    plan counts as optimal. When the MILP would have more than min(arc_limit, 150,000) usable pairs,
    each client keeps only its cheapest pairs inside the MILP plus one capacity-free "far" column
    priced at its cheapest dropped pair: a relaxation of the full instance, so HiGHS's bound stays
    valid for it; plans are re-allocated over all pairs.
    """
    t0 = time.perf_counter()
    validate_instance(instance, file)
    inst = instance
    n_f = len(inst.facility_ids)
    demand = np.asarray(inst.demand, dtype=float)
    capacity = np.asarray(inst.capacity, dtype=float)
    fixed = np.asarray(inst.fixed_cost, dtype=float)
    must = np.zeros(n_f, bool) if inst.must_open is None else np.asarray(inst.must_open, bool)
    never = np.zeros(n_f, bool) if inst.never_open is None else np.asarray(inst.never_open, bool)
    penalty = inst.unmet_penalty

    active = np.flatnonzero(demand > 0)
    d = demand[active]
    if isinstance(inst.cost, ArcCosts):  # the same arcs, in the same (client, facility) order, as a dense cost
        ci, aj = np.asarray(inst.cost.client, np.int64), np.asarray(inst.cost.facility, np.int64)
        arc_cost = np.asarray(inst.cost.cost, dtype=float)
        rank = np.full(len(demand), -1, dtype=np.int64)
        rank[active] = np.arange(active.size)
        ok = (rank[ci] >= 0) & ~never[aj] & np.isfinite(arc_cost)
        order = np.lexsort((aj[ok], ci[ok]))
        ai, aj, arc_cost = rank[ci[ok]][order], aj[ok][order], arc_cost[ok][order]
    else:
        cost = np.asarray(inst.cost, dtype=float)
        usable = np.isfinite(cost) & ~never[None, :]
        if inst.allowed is not None:
            usable &= np.asarray(inst.allowed, bool)
        ai, aj = np.nonzero(usable[active])
        arc_cost = cost[active][ai, aj]
    unit = arc_cost / d[ai]

    def finish(status: str, plan: _Plan | None, bound: float, solver: str, message: str,
               stats: dict[str, Any]) -> SitingResult:
        unmet_people = demand.copy()
        open_mask = must.copy()
        if plan is None:
            z = np.zeros(0, dtype=np.int64)
            zf = np.zeros(0)
            return SitingResult(status, float("nan"), bound, float("nan"), open_mask,
                                [inst.facility_ids[j] for j in np.flatnonzero(open_mask)], z, z, zf, zf,
                                unmet_people, np.zeros(n_f), solver, time.perf_counter() - t0, message,
                                stats=stats)
        people = plan.people if plan.people is not None else plan.x * d[ai]
        keep = people > 1e-9
        a_c, a_f, p_ = active[ai[keep]], aj[keep], people[keep]
        unmet_people[active] = d - np.bincount(ai[keep], weights=p_, minlength=d.size)
        unmet_people[active] = np.where(np.abs(unmet_people[active]) < 1e-9, 0.0, unmet_people[active])
        fac_people = np.bincount(a_f, weights=p_, minlength=n_f)
        # zero-cost sites count as open only when used (or needed for min_open)
        chosen = plan.y > 0.5
        if inst.min_open is None:
            chosen &= fixed > 0
        open_mask = chosen | must | (fac_people > 0)
        fixed_total = float(fixed @ open_mask)
        assign_total = float(p_ @ unit[keep])
        unmet_total = float(unmet_people.sum()) * float(penalty or 0.0)
        objective = fixed_total + assign_total + unmet_total
        bnd = min(bound, objective)
        gap = 0.0 if objective == bnd else (objective - bnd) / max(abs(objective), 1e-12)
        # min-cost flow is exact up to rounding unit costs to integers (bound accounts for it)
        tol = max(mip_gap, 1e-6) if solver == "ortools-min-cost-flow" else mip_gap
        if status == "optimal" and gap > tol + 1e-12:
            status = "feasible"
        return SitingResult(status, objective, bnd, gap, open_mask,
                            [inst.facility_ids[j] for j in np.flatnonzero(open_mask)],
                            a_c.astype(np.int64), a_f.astype(np.int64), p_ / demand[a_c], p_, unmet_people,
                            fac_people, solver, time.perf_counter() - t0, message, fixed_total, assign_total,
                            unmet_total, stats)

    # Clients that cannot be served at all make the instance infeasible unless unmet is allowed.
    reach = np.zeros(d.size, bool)
    reach[ai] = True
    if penalty is None:
        msgs = []
        if not reach.all():
            lost = [inst.client_ids[active[k]] for k in np.flatnonzero(~reach)]
            msgs.append(f"{len(lost)} client(s) have no usable facility: {', '.join(lost[:10])}"
                        + (" ..." if len(lost) > 10 else ""))
        cap_total = float(capacity[~never].sum())
        if cap_total < d.sum() - 1e-9:
            msgs.append(f"total demand {d.sum():g} exceeds total capacity {cap_total:g} of facilities "
                        "that may open; set unmet_penalty to get a plan with unmet demand")
        if msgs:
            return finish("infeasible", None, float("nan"), "presolve", "; ".join(msgs), {})

    opening = bool(np.any(fixed[~never] > 0)) or inst.min_open is not None or inst.max_open is not None
    if not opening and not inst.single_source:
        sol = solve_transport(ai, aj, unit, d, capacity, penalty)
        if sol.status != "optimal":
            return finish("infeasible", None, float("nan"), sol.solver,
                          "no allocation serves all demand within capacities and allowed pairs", {})
        y = np.ones(n_f)
        y[never] = 0.0
        plan = _Plan(sol.objective, sol.flow / d[ai], y, sol.unmet / d, sol.flow)
        res = finish("optimal", plan, sol.bound, sol.solver, "transportation problem (no opening decisions)", {})
        return res

    return _solve_opening(inst, t0, time_limit_s, mip_gap, arc_limit, d, capacity, fixed, must, never,
                          ai, aj, arc_cost, unit, penalty, finish)


def _solve_opening(inst: SitingInstance, t0: float, time_limit_s: float, mip_gap: float, arc_limit: int,
                   d: np.ndarray, capacity: np.ndarray, fixed: np.ndarray, must: np.ndarray,
                   never: np.ndarray, ai: np.ndarray, aj: np.ndarray, arc_cost: np.ndarray,
                   unit: np.ndarray, penalty: float | None, finish: Any) -> SitingResult:
    n_f, n_a, n_cl = capacity.size, ai.size, d.size
    integral = is_integral(d)
    small = n_a <= min(_SMALL_ARCS, arc_limit)
    dense = np.full((n_cl, n_f), np.inf)
    dense[ai, aj] = arc_cost
    cache: dict[bytes, float] = {}
    best: list[_Plan] = []
    stats: dict[str, Any] = {"evaluations": 0}

    def evaluate(y_open: np.ndarray, cost_steps: float = 1e6) -> _Plan | None:
        """Allocate optimally (or greedily, single-source) to a fixed open set; None if infeasible."""
        if inst.max_open is not None and y_open.sum() > inst.max_open:
            return None
        if inst.min_open is not None and y_open.sum() < inst.min_open:
            return None
        sel = y_open[aj]
        stats["evaluations"] += 1
        if inst.single_source:
            return _greedy_single_source(y_open, sel)
        sol = solve_transport(ai[sel], aj[sel], unit[sel], d, capacity, penalty, cost_steps)
        if sol.status != "optimal":
            return None
        flow = np.zeros(n_a)
        flow[sel] = sol.flow
        used = np.bincount(aj, weights=flow, minlength=n_f) > 0
        keep_closed = inst.min_open is not None
        y = (y_open & (used | must | keep_closed)).astype(float)
        obj = sol.objective + float(fixed @ y)
        return _Plan(obj, flow / d[ai], y, sol.unmet / d, flow if integral else None)

    order_ss = np.argsort(-d, kind="stable")

    def _greedy_single_source(y_open: np.ndarray, sel: np.ndarray) -> _Plan | None:
        resid = capacity * y_open
        x = np.zeros(n_a)
        u = np.zeros(n_cl)
        arc_index = np.full((n_cl, n_f), -1, dtype=np.int64)
        arc_index[ai, aj] = np.arange(n_a)
        pref = np.argsort(np.where(y_open[None, :], dense, np.inf), axis=1)
        for i in order_ss:
            placed = False
            for j in pref[i]:
                if not y_open[j] or not np.isfinite(dense[i, j]):
                    break
                if resid[j] >= d[i] - 1e-9:
                    resid[j] -= d[i]
                    x[arc_index[i, j]] = 1.0
                    placed = True
                    break
            if not placed:
                if penalty is None:
                    return None
                u[i] = 1.0
        used = np.bincount(aj, weights=x, minlength=n_f) > 0
        y = (y_open & (used | must | (inst.min_open is not None))).astype(float)
        obj = float(x @ arc_cost) + float(fixed @ y) + float(penalty or 0.0) * float(d @ u)
        return _Plan(obj, x, y, u, x * d[ai])

    def consider(y_open: np.ndarray) -> float:
        y_open = y_open & ~never
        if penalty is None and capacity @ y_open < d.sum() - 1e-9 and inst.max_open is None:
            # repair: add the cheapest capacity (fixed cost per person) until demand is covered
            cand = np.flatnonzero(~y_open & ~never & (capacity > 0))
            cand = cand[np.argsort(fixed[cand] / capacity[cand], kind="stable")]
            y_open = y_open.copy()
            for j in cand:
                y_open[j] = True
                if capacity @ y_open >= d.sum() - 1e-9:
                    break
        key = np.packbits(y_open).tobytes()
        if key not in cache:
            plan = evaluate(y_open)
            cache[key] = plan.objective if plan is not None else np.inf
            if plan is not None and (not best or plan.objective < best[0].objective - 1e-9):
                best[:] = [plan]
        return best[0].objective if best else np.inf

    lp_bound = -np.inf
    if small:
        # The LP relaxation of the strong formulation is often integral on small instances (it is on
        # every OR-Library cap instance shipped here); one HiGHS LP then proves the plan optimal in
        # milliseconds, without the MILP machinery.
        y_lo = np.where(must | ((fixed == 0) & (inst.max_open is None)), 1.0, 0.0) * ~never
        y_hi = np.where(never, 0.0, 1.0)
        lp = solve_mip(ai, aj, arc_cost, d, capacity, fixed, y_lo, y_hi, inst.min_open, inst.max_open,
                       None if penalty is None else float(penalty), inst.single_source,
                       max(0.05, time_limit_s - (time.perf_counter() - t0)), mip_gap, None, relax=True)
        stats["lp_bound"] = lp.bound
        if lp.status == "optimal" and lp.x is not None and lp.y is not None and lp.u is not None:
            lp_bound = lp.bound
            y_int = bool(np.all(np.abs(lp.y - np.rint(lp.y)) <= 1e-7))
            x_int = not inst.single_source or bool(np.all(np.abs(lp.x - np.rint(lp.x)) <= 1e-7)
                                                  and np.all(np.abs(lp.u - np.rint(lp.u)) <= 1e-7))
            if y_int and x_int:
                y_lp = np.rint(lp.y)
                plan: _Plan | None = None
                if inst.single_source:
                    xs, us = np.rint(lp.x), np.rint(lp.u)
                    plan = _Plan(float(xs @ arc_cost + fixed @ y_lp + float(penalty or 0.0) * (d @ us)), xs,
                                 y_lp, us, xs * d[ai])
                else:
                    plan = evaluate(y_lp > 0.5, cost_steps=1e9)
                if plan is not None and plan.objective - lp_bound <= mip_gap * abs(plan.objective):
                    stats["t_heuristic_s"] = time.perf_counter() - t0
                    return finish("optimal", plan, lp_bound, "highs-lp",
                                  "the LP relaxation of the strong formulation is integral", stats)
                if plan is not None:
                    best[:] = [plan]
        elif lp.status == "infeasible" and penalty is None:
            return finish("infeasible", None, float("nan"), "highs-lp",
                          "HiGHS proved that even the LP relaxation has no plan meeting all constraints", stats)

    bnb_bound = -np.inf
    if (_BNB_SHARE > 0 and not small and not inst.single_source and inst.min_open is None
            and inst.max_open is None and not must.any()):
        # Lagrangian branch-and-bound over the open decisions: proves large plain instances within a fraction
        # of HiGHS's time (its node LPs carry every client-site pair). If it runs out of time, HiGHS goes on
        # from its plan and bound with what is left.
        cols = np.flatnonzero(~never)
        c_b, cap_b, f_b = dense[:, cols], capacity[cols], fixed[cols]
        if penalty is not None:  # unmet demand = a free site as large as the demand, at the penalty
            c_b = np.column_stack([c_b, float(penalty) * d])
            cap_b, f_b = np.append(cap_b, d.sum()), np.append(f_b, 0.0)
        share = max(0.05, _BNB_SHARE * (time_limit_s - (time.perf_counter() - t0)))
        bb = lagrangian_bnb(c_b, d, cap_b, f_b, share, gap=mip_gap)
        stats["bnb"] = {"status": bb.status, "objective": bb.objective, "bound": bb.bound, "gap": bb.gap,
                        "nodes": bb.nodes, "time_s": bb.time_s}
        if bb.y is not None:
            y_open = np.zeros(n_f, dtype=bool)
            y_open[cols] = bb.y[: cols.size]
            plan = evaluate(y_open, cost_steps=1e9)
            if plan is not None and (not best or plan.objective < best[0].objective):
                best[:] = [plan]
        if math.isfinite(bb.bound):
            bnb_bound = bb.bound
        if bb.status == "infeasible" and penalty is None:
            return finish("infeasible", None, float("nan"), "lagrangian-bnb",
                          "total capacity of the sites that may open is below the demand, or a client has no site",
                          stats)
        # (the search prunes at exactly mip_gap, so allow for rounding as `finish` does)
        if best and best[0].objective - bnb_bound <= (mip_gap + 1e-12) * abs(best[0].objective):
            stats["t_heuristic_s"] = time.perf_counter() - t0
            return finish("optimal", best[0], bnb_bound, "lagrangian-bnb",
                          f"Lagrangian branch-and-bound: {bb.nodes} nodes", stats)

    budget = max(0.05, time_limit_s - (time.perf_counter() - t0))
    # Seed: every site that may open (feasible if anything is), or the largest ones up to max_open.
    if inst.max_open is None:
        consider(~never)
    else:
        seed = must.copy()
        room = max(0, inst.max_open - int(must.sum()))
        cand = np.flatnonzero(~must & ~never)
        seed[cand[np.argsort(-capacity[cand], kind="stable")[:room]]] = True
        consider(seed)
    calls = [0, 0.0]  # probes, seconds spent allocating
    t_lag = time.perf_counter()

    def probe(y_open: np.ndarray) -> float:
        # Allocating an open set costs a min-cost flow: try every 4th Lagrangian open set, and keep
        # allocation below half of the Lagrangian's time so the multipliers keep converging.
        calls[0] += 1
        if calls[0] % 4 == 1 and calls[1] <= 0.5 * (time.perf_counter() - t_lag) + 0.05:
            t = time.perf_counter()
            out = consider(y_open)
            calls[1] += time.perf_counter() - t
            return out
        return best[0].objective if best else np.inf

    lag = lagrangian(dense, d, capacity, fixed, must, never, inst.min_open, inst.max_open,
                     None if penalty is None else float(penalty), probe,
                     max_iter=10 if small else 1500, time_budget_s=(0.1 if small else 0.3) * budget)
    consider(choose_open(facility_values(dense, d, capacity, fixed, lag.lam)[0], capacity, must, never,
                         inst.min_open, inst.max_open, None)[0] > 0)
    stats["lagrangian_iterations"] = lag.iterations
    stats["lagrangian_bound"] = lag.bound
    # Local search (first improvement): drop the least used open site, open one of the sites the
    # relaxation likes most, or swap a lightly used site for a closed one that serves similar zones.
    v_lag = facility_values(dense, d, capacity, fixed, lag.lam)[0]
    unit_cols = np.where(np.isfinite(dense), dense / d[:, None], np.nan)
    deadline = t0 + 0.35 * time_limit_s

    def similar(j: int, cand: np.ndarray, k: int) -> np.ndarray:
        diff = np.nanmean(np.abs(unit_cols[:, cand] - unit_cols[:, [j]]), axis=0)
        return cand[np.argsort(np.nan_to_num(diff, nan=np.inf), kind="stable")[:k]]

    # On small instances HiGHS finds and proves the optimum faster than this search in Python.
    improved = not small
    while improved and best and time.perf_counter() < deadline:
        improved = False
        cur = best[0]
        cur_open = cur.y > 0.5
        load = np.bincount(aj, weights=cur.x * d[ai], minlength=n_f)
        opened = np.flatnonzero(cur_open & ~must & (fixed > 0))
        opened = opened[np.argsort(load[opened] / np.maximum(capacity[opened], 1e-12), kind="stable")]
        closed = np.flatnonzero(~cur_open & ~never)
        closed_by_v = closed[np.argsort(v_lag[closed], kind="stable")]
        trials: list[tuple[list[int], list[int]]] = [([j], []) for j in opened.tolist()]
        trials += [([], [k]) for k in closed_by_v[:8].tolist()]
        if closed.size:
            trials += [([j], [k]) for j in opened.tolist() for k in similar(j, closed, 3).tolist()]
        for drop, add in trials:
            if time.perf_counter() >= deadline:
                break
            trial = cur_open.copy()
            trial[drop] = False
            trial[add] = True
            before = best[0].objective
            consider(trial)
            if best[0].objective < before - 1e-9 * abs(before):
                improved = True
                break
    stats["heuristic_objective"] = best[0].objective if best else float("inf")
    stats["t_heuristic_s"] = time.perf_counter() - t0
    bound = max(lag.bound, lp_bound, bnb_bound)
    solver = "lagrangian-heuristic" if "bnb" not in stats else "lagrangian-bnb"
    if best and best[0].objective - bound <= mip_gap * abs(best[0].objective):
        return finish("optimal", best[0], bound, solver, "heuristic plan proven optimal by the Lagrangian bound",
                      stats)

    lam_value, _ = facility_values(dense, d, capacity, fixed, lag.lam)
    free = ~must & ~never
    lag0 = float(lag.lam.sum() + lam_value[must].sum() + np.minimum(0.0, lam_value[free]).sum())
    if penalty is not None:
        lag0 += float(np.minimum(0.0, float(penalty) * d - lag.lam).sum())
    can_fix = inst.min_open is None and inst.max_open is None

    def fixings(upper: float) -> tuple[np.ndarray, np.ndarray]:
        """Bounds on y. Lagrangian fixing: flipping facility j away from its choice in the relaxation
        raises the (cover-free) Lagrangian bound by |v_j|; if that reaches `upper`, no plan cheaper
        than `upper` flips j."""
        y_lo = np.where(must | ((fixed == 0) & (inst.max_open is None)), 1.0, 0.0) * ~never
        y_hi = np.where(never, 0.0, 1.0)
        if can_fix and math.isfinite(upper):
            close = free & (lam_value >= 0) & (lag0 + lam_value >= upper)
            force = free & (lam_value < 0) & (lag0 - lam_value >= upper)
            y_hi[close] = 0.0
            y_lo[force] = 1.0
        return y_lo, y_hi

    def near_arcs(keep: np.ndarray, k: int) -> np.ndarray:
        """Each client's k cheapest arcs among `keep`, the arcs the Lagrangian prices below the
        client's multiplier (those the LP relaxation can use), and the best plan's arcs."""
        by_client = np.lexsort((np.where(keep, unit, np.inf), ai))
        first = np.searchsorted(ai[by_client], np.arange(n_cl))
        rank = np.empty(n_a, dtype=np.int64)
        rank[by_client] = np.arange(n_a) - first[ai[by_client]]
        near = (rank < k) | (arc_cost < lag.lam[ai])
        if best:
            near |= best[0].x > 0
        return keep & near

    def run_mip(k_near: int | None, limit_s: float, widen: np.ndarray) -> tuple[Any, float]:
        """One HiGHS run over the arcs of facilities not fixed closed; with k_near, each client keeps
        its near arcs (all arcs for `widen` clients) and the rest becomes its relaxed far column."""
        fix_ub = best[0].objective if best else np.inf
        y_lo, y_hi = fixings(fix_ub)
        keep = y_hi[aj] > 0
        far_cost = None
        if k_near is not None:
            near = near_arcs(keep, k_near) | (keep & widen[ai])
            dropped = keep & ~near
            far_cost = np.full(n_cl, np.inf)
            np.minimum.at(far_cost, ai[dropped], arc_cost[dropped])
            keep = near
        sub = np.flatnonzero(keep)
        start = (best[0].x[sub], best[0].y, best[0].u) if best else None
        # the capacity rows link every arc, so the model stays exact with fewer x_ij <= y_j rows
        link = near_arcs(keep, _LINK_K)[sub] if k_near is None and sub.size > _SMALL_ARCS else None
        mip = solve_mip(ai[sub], aj[sub], arc_cost[sub], d, capacity, fixed, y_lo, y_hi, inst.min_open,
                        inst.max_open, None if penalty is None else float(penalty), inst.single_source,
                        limit_s, mip_gap, start, link, far_cost)
        far_used = 0 if mip.far is None else int((mip.far > 1e-9).sum())
        stats.setdefault("mip_runs", []).append({"arcs": int(sub.size), "status": mip.status,
                                                 "link_rows": int(sub.size if link is None else link.sum()),
                                                 "far_columns": int(np.isfinite(far_cost).sum())
                                                 if far_cost is not None else 0,
                                                 "far_used": far_used, "nodes": mip.nodes,
                                                 "bound": mip.bound, "fixed_closed": int((y_hi == 0).sum()),
                                                 "fixed_open": int((y_lo == 1).sum())})
        if mip.x is not None and mip.y is not None and mip.u is not None:
            x = np.zeros(n_a)
            x[sub] = mip.x
            mplan = None
            if far_used == 0:
                mplan = _Plan(float(x @ arc_cost + fixed @ mip.y + float(penalty or 0.0) * (d @ mip.u)),
                              x, mip.y, mip.u)
            if not inst.single_source or mplan is None:
                # Re-allocate the MILP's open set over ALL usable arcs: min-cost flow gives whole
                # people and is never worse than the (possibly relaxed) MILP allocation up to rounding.
                realloc = evaluate(mip.y > 0.5, cost_steps=1e9)
                if realloc is not None and (mplan is None
                                            or realloc.objective <= mplan.objective * (1 + 1e-9) + 1e-9):
                    mplan = realloc
            if mplan is not None and (not best or mplan.objective < best[0].objective):
                best[:] = [mplan]
        # The MILP (with far columns: a relaxation) is exact for plans cheaper than fix_ub, so its
        # bound holds for the full instance; if it has no plan, none is cheaper than fix_ub.
        if mip.status == "infeasible":
            return mip, fix_ub if math.isfinite(fix_ub) else float("nan")
        return mip, min(mip.bound, fix_ub)

    n_live = int(fixings(best[0].objective if best else np.inf)[1][aj].sum())
    restrict = n_live > min(arc_limit, _NEAR_ARCS)
    k_near = max(3, min(_NEAR_K, arc_limit // max(n_cl, 1))) if restrict else None
    widen = np.zeros(n_cl, dtype=bool)
    solver = "lagrangian-heuristic"
    mip_status = "not run"
    for _round in range(4):
        remaining = time_limit_s - (time.perf_counter() - t0)
        if remaining <= 0.05:
            mip_status = "time_limit"
            break
        mip, mip_bound = run_mip(k_near, remaining, widen)
        solver = "highs-mip" if "bnb" not in stats else "lagrangian-bnb + highs-mip"
        if math.isfinite(mip_bound):
            bound = max(bound, mip_bound)
        mip_status = mip.status
        if best and best[0].objective - bound <= mip_gap * abs(best[0].objective):
            break
        if mip.status == "infeasible":
            if best:
                mip_status = "infeasible below the incumbent (incumbent optimal)"
            break
        # The relaxation was solved but its plan leaned on far columns: give those clients all their
        # sites and solve again (a few rounds at most).
        if mip.status != "optimal" or mip.far is None or not np.any(mip.far > 1e-9) or k_near is None:
            break
        widen |= mip.far > 1e-9
    stats["t_mip_s"] = time.perf_counter() - t0 - stats["t_heuristic_s"]
    notes = []
    if restrict:
        notes.append(f"HiGHS ran on each client's {k_near} cheapest sites (of {n_live} client-site pairs) plus a "
                     "relaxed far column per client, so its bound is valid for the full instance")
    notes.append(f"HiGHS status {mip_status}")
    if not best:
        if mip_status == "infeasible":
            return finish("infeasible", None, float("nan"), "highs-mip",
                          "HiGHS proved that no plan meets all constraints", stats)
        return finish("time_limit", None, bound, solver, "no feasible plan found within the time limit", stats)
    if best[0].objective - bound <= mip_gap * abs(best[0].objective):
        status = "optimal"
    elif mip_status == "time_limit" or time.perf_counter() - t0 >= time_limit_s * 0.99:
        status = "time_limit"
    else:
        status = "feasible"
    return finish(status, best[0], bound, solver, "; ".join(notes), stats)
