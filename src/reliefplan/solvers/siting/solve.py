"""Shelter siting: ``solve_siting``. Without opening decisions, a transportation problem (min-cost flow); with
them, the search over open sets in ``search`` (LP relaxation, Lagrangian branch-and-bound, Lagrangian heuristic,
HiGHS MILP). Either way, a plan on the active arcs becomes a SitingResult for the whole instance here."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..cflp.flow import solve_transport
from .allocate import _Plan
from .instance import ArcCosts, SitingInstance, SitingResult, validate_instance
from .search import _OpeningSearch


def solve_siting(
    instance: SitingInstance,
    *,
    time_limit_s: float = 60.0,
    mip_gap: float = 1e-6,
    arc_limit: int = 1_000_000,
    file: str = "<instance>",
) -> SitingResult:
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
    ai, aj, arc_cost = _active_arcs(inst, demand, active, never)
    unit = arc_cost / d[ai]
    ctx = _Context(inst, t0, mip_gap, demand, fixed, must, active, ai, aj, unit)

    def finish(
        status: str, plan: _Plan | None, bound: float, solver: str, message: str, stats: dict[str, Any]
    ) -> SitingResult:
        return _result(ctx, status, plan, bound, solver, message, stats)

    # Clients that cannot be served at all make the instance infeasible unless unmet is allowed.
    if penalty is None:
        why = _cannot_serve(inst, active, d, ai, capacity, never)
        if why:
            return finish("infeasible", None, float("nan"), "presolve", why, {})

    opening = bool(np.any(fixed[~never] > 0)) or inst.min_open is not None or inst.max_open is not None
    if not opening and not inst.single_source:
        sol = solve_transport(ai, aj, unit, d, capacity, penalty)
        if sol.status != "optimal":
            return finish(
                "infeasible",
                None,
                float("nan"),
                sol.solver,
                "no allocation serves all demand within capacities and allowed pairs",
                {},
            )
        y = np.ones(n_f)
        y[never] = 0.0
        plan = _Plan(sol.objective, sol.flow / d[ai], y, sol.unmet / d, sol.flow)
        return finish("optimal", plan, sol.bound, sol.solver, "transportation problem (no opening decisions)", {})

    return _OpeningSearch(
        inst,
        t0,
        time_limit_s,
        mip_gap,
        arc_limit,
        d,
        capacity,
        fixed,
        must,
        never,
        ai,
        aj,
        arc_cost,
        unit,
        penalty,
        finish,
    ).solve()


def _active_arcs(
    inst: SitingInstance, demand: np.ndarray, active: np.ndarray, never: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The usable pairs of the clients with demand, in (client, facility) order: (position of the client in
    `active`, facility, cost of the client's whole demand there). Sparse ArcCosts give the same arcs in the same
    order as a dense cost."""
    if isinstance(inst.cost, ArcCosts):
        ci, aj = np.asarray(inst.cost.client, np.int64), np.asarray(inst.cost.facility, np.int64)
        arc_cost = np.asarray(inst.cost.cost, dtype=float)
        rank = np.full(len(demand), -1, dtype=np.int64)
        rank[active] = np.arange(active.size)
        ok = (rank[ci] >= 0) & ~never[aj] & np.isfinite(arc_cost)
        order = np.lexsort((aj[ok], ci[ok]))
        return rank[ci[ok]][order], aj[ok][order], arc_cost[ok][order]
    cost = np.asarray(inst.cost, dtype=float)
    usable = np.isfinite(cost) & ~never[None, :]
    if inst.allowed is not None:
        usable &= np.asarray(inst.allowed, bool)
    ai, aj = np.nonzero(usable[active])
    return ai, aj, cost[active][ai, aj]


def _cannot_serve(
    inst: SitingInstance, active: np.ndarray, d: np.ndarray, ai: np.ndarray, capacity: np.ndarray, never: np.ndarray
) -> str:
    """Why no plan can serve everyone (clients with no usable facility, demand above the capacity that may
    open), or '' when nothing rules it out yet."""
    reach = np.zeros(d.size, bool)
    reach[ai] = True
    msgs = []
    if not reach.all():
        lost = [inst.client_ids[active[k]] for k in np.flatnonzero(~reach)]
        msgs.append(
            f"{len(lost)} client(s) have no usable facility: {', '.join(lost[:10])}"
            + (" ..." if len(lost) > 10 else "")
        )
    cap_total = float(capacity[~never].sum())
    if cap_total < d.sum() - 1e-9:
        msgs.append(
            f"total demand {d.sum():g} exceeds total capacity {cap_total:g} of facilities "
            "that may open; set unmet_penalty to get a plan with unmet demand"
        )
    return "; ".join(msgs)


@dataclass
class _Context:
    """What turns a plan on the active arcs into a SitingResult for the whole instance."""

    inst: SitingInstance
    t0: float
    mip_gap: float
    demand: np.ndarray  # every client
    fixed: np.ndarray
    must: np.ndarray
    active: np.ndarray  # clients with demand
    ai: np.ndarray  # arcs: position in `active`, facility, cost per person
    aj: np.ndarray
    unit: np.ndarray


def _result(
    ctx: _Context, status: str, plan: _Plan | None, bound: float, solver: str, message: str, stats: dict[str, Any]
) -> SitingResult:
    """The SitingResult of a plan (None: no plan): open facilities, assignment triples in people, unmet people,
    the objective in its three parts, and the gap to `bound` (an 'optimal' plan beyond mip_gap is 'feasible')."""
    inst, demand, fixed, must, active, ai, aj = ctx.inst, ctx.demand, ctx.fixed, ctx.must, ctx.active, ctx.ai, ctx.aj
    n_f = len(inst.facility_ids)
    d = demand[active]
    unmet_people = demand.copy()
    open_mask = must.copy()
    if plan is None:
        z = np.zeros(0, dtype=np.int64)
        zf = np.zeros(0)
        return SitingResult(
            status,
            float("nan"),
            bound,
            float("nan"),
            open_mask,
            [inst.facility_ids[j] for j in np.flatnonzero(open_mask)],
            z,
            z,
            zf,
            zf,
            unmet_people,
            np.zeros(n_f),
            solver,
            time.perf_counter() - ctx.t0,
            message,
            stats=stats,
        )
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
    assign_total = float(p_ @ ctx.unit[keep])
    unmet_total = float(unmet_people.sum()) * float(inst.unmet_penalty or 0.0)
    objective = fixed_total + assign_total + unmet_total
    bnd = min(bound, objective)
    gap = 0.0 if objective == bnd else (objective - bnd) / max(abs(objective), 1e-12)
    # min-cost flow is exact up to rounding unit costs to integers (bound accounts for it)
    tol = max(ctx.mip_gap, 1e-6) if solver == "ortools-min-cost-flow" else ctx.mip_gap
    if status == "optimal" and gap > tol + 1e-12:
        status = "feasible"
    return SitingResult(
        status,
        objective,
        bnd,
        gap,
        open_mask,
        [inst.facility_ids[j] for j in np.flatnonzero(open_mask)],
        a_c.astype(np.int64),
        a_f.astype(np.int64),
        p_ / demand[a_c],
        p_,
        unmet_people,
        fac_people,
        solver,
        time.perf_counter() - ctx.t0,
        message,
        fixed_total,
        assign_total,
        unmet_total,
        stats,
    )
