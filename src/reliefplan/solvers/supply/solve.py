"""Solving the supply LP with HiGHS: the model (kept warm between ensemble members), the two lexicographic
solves, the result, and the binding constraints in words from the duals.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ..._errors import InputError, Problem, SolverError
from .._highs import quiet_highs
from .compact import CompactHighs, live_columns
from .lp import _build_lp, _Lp
from .model import (
    AUTO_EPSILON_COLUMNS,
    DEEP_FACTOR,
    DEEP_SHARE,
    EPS_TRUCKS,
    FAIR_WEIGHT,
    METHODS,
    SIFT_TOL,
    TIME_TIE_BREAK,
    BindingConstraint,
    SupplyInstance,
    SupplyResult,
    owed_to_date,
)
from .results import fleet_requirements
from .validate import validate_instance


def _highs(
    lp: _Lp, time_limit_s: float, threads: int | None, col_upper: np.ndarray | None = None, compact: bool = False
) -> tuple[Any, Any]:
    """A HiGHS model of ``lp`` (``col_upper``: other column bounds, e.g. with held columns at 0); ``compact``: without
    the columns fixed at 0 (`compact.CompactHighs`, addressed by the whole LP's column indices all the same)."""
    import highspy

    h = quiet_highs()
    h.setOptionValue("time_limit", float(time_limit_s))
    if threads:
        h.setOptionValue("threads", int(threads))
    upper = lp.col_upper if col_upper is None else col_upper
    live = live_columns(lp.col_upper) if compact else np.arange(lp.n_col)
    a = lp.matrix[:, live] if compact else lp.matrix
    model = highspy.HighsLp()
    model.num_col_ = live.size
    model.num_row_ = lp.matrix.shape[0]
    model.col_cost_ = lp.cost1[live]
    model.col_lower_ = np.zeros(live.size)
    model.col_upper_ = upper[live]
    model.row_lower_ = lp.row_lower
    model.row_upper_ = lp.row_upper
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = a.indptr.astype(np.int32)
    model.a_matrix_.index_ = a.indices.astype(np.int32)
    model.a_matrix_.value_ = a.data
    status = h.passModel(model)
    if status == highspy.HighsStatus.kError:
        raise SolverError("HiGHS rejected the supply LP")
    return (CompactHighs(h, live, lp.n_col, lp.matrix, lp.cost1) if compact else h), highspy


def _structure_key(lp: _Lp) -> str:
    """Equal for LPs that differ only in bounds, costs and the sharing coefficients (the people's need)."""
    import hashlib

    h = hashlib.blake2b(digest_size=16)
    data = lp.matrix.data.copy()
    data[lp.fair_entries] = 0.0
    for a in (lp.matrix.indptr, lp.matrix.indices, data):
        h.update(np.ascontiguousarray(a).tobytes())
    return f"{lp.matrix.shape}:{h.hexdigest()}"


def _upper(lp: _Lp, held: np.ndarray) -> np.ndarray:
    """Column bounds with the ``held`` columns at 0."""
    if not held.size:
        return lp.col_upper
    upper = lp.col_upper.copy()
    upper[held] = 0.0
    return upper


def _warm_highs(
    lp: _Lp, time_limit_s: float, threads: int | None, warm: dict[str, Any] | None, held: np.ndarray
) -> tuple[Any, Any, str, np.ndarray]:
    """(model, highspy, key, held): a HiGHS model of ``lp`` with the ``held`` columns at 0: the one kept in ``warm``
    for the same matrix with new bounds and costs (simplex restarts from its last basis, and only the columns still
    held after the last solve are held again), or a new one (kept there for the next call)."""
    import highspy

    if warm is None:  # solved once: without the dead columns (a warm restart needs one structure for all members)
        return (*_highs(lp, time_limit_s, threads, _upper(lp, held), compact=True), "", held)
    key = _structure_key(lp)
    # taken out while in use (a thread running another member meanwhile builds its own), put back by the caller
    kept = warm.pop(key, None)
    warm.clear()  # one model at a time: the members of one ensemble share one structure
    if kept is None:
        h, _ = _highs(lp, time_limit_s, threads, _upper(lp, held))
        return h, highspy, key, held
    h, last, fair_vals, was_held, basis = kept  # last: bounds and costs the model holds (None after a second solve)
    held = np.intersect1d(held, was_held)
    upper = _upper(lp, held)
    n, m = lp.n_col, lp.matrix.shape[0]
    # the sharing rows' coefficients are the cells' need: pass the ones that changed
    new_vals = lp.matrix.data[lp.fair_entries]
    changed = np.flatnonzero(new_vals != fair_vals)
    if changed.size:
        cols = np.searchsorted(lp.matrix.indptr, lp.fair_entries[changed], side="right") - 1
        rws = lp.matrix.indices[lp.fair_entries[changed]]
        for r, c, v in zip(rws.tolist(), cols.tolist(), new_vals[changed].tolist()):
            h.changeCoeff(r, c, v)
    h.setOptionValue("time_limit", float(time_limit_s) + h.getRunTime())  # HiGHS' clock runs on
    h.setOptionValue("simplex_strategy", 0)
    # Less cost perturbation than HiGHS' default (1.0) suits a restart from a neighbour's deprivation optimum:
    # on 16 Rafah members the warm dual simplex took 0.155 s (median) instead of 0.218 s, same optima. After a
    # truckload solve (other costs, held bounds) it does not: a whole plan re-solved then took 2.2 s, not 1.7 s.
    h.setOptionValue("dual_simplex_cost_perturbation_multiplier", 0.2 if last is not None else 1.0)
    # pass only what changed (members share most bounds and every cost)
    col = np.arange(n, dtype=np.int32) if last is None else np.flatnonzero(upper != last[0]).astype(np.int32)
    if col.size:
        h.changeColsBounds(col.size, col, np.zeros(col.size), upper[col])
    row = (
        np.arange(m, dtype=np.int32)
        if last is None
        else np.flatnonzero((lp.row_lower != last[1]) | (lp.row_upper != last[2])).astype(np.int32)
    )
    if row.size:
        h.changeRowsBounds(row.size, row, lp.row_lower[row], lp.row_upper[row])
    if last is None or not np.array_equal(lp.cost1, last[3]):
        h.changeColsCost(n, np.arange(n, dtype=np.int32), lp.cost1)
    if basis is not None:
        # restart from the last deprivation optimum, not from the truckload solve's basis (optimal for other costs
        # with every shortfall held): on 4 members of the 60-day Rafah LP 8.1 s -> see docs/supply.md
        h.setBasis(basis)
    return h, highspy, key, held


def solve_supply(
    instance: SupplyInstance,
    *,
    time_limit_s: float = 60.0,
    deep_share: float = DEEP_SHARE,
    deep_factor: float = DEEP_FACTOR,
    step_trucks_per_day: float = 50.0,
    storage_step_t: float = 100.0,
    trucks: str = "auto",
    threads: int | None = None,
    warm: dict[str, Any] | None = None,
    method: str = "auto",
    file: str = "<instance>",
) -> SupplyResult:
    """Plan daily flows; minimise deprivation, then truckloads. See the module docstring for the model.

    ``trucks``: "second_solve" (exact lexicographic order), "epsilon" (one solve, truckloads weighted
    ``EPS_TRUCKS`` × the smallest priority: faster on large instances, lexicographic only in practice)
    or "off" (deprivation only; flows may carry surplus); "auto" picks "second_solve" up to
    ``AUTO_EPSILON_COLUMNS`` LP columns and "epsilon" above (the second solve can take several times
    the first on large instances).
    ``warm``: a dict kept between calls (ensemble members): an instance with the same constraint matrix
    re-solves from the previous basis instead of from scratch; results are the same optimum.
    ``method``: "sifting" solves the LP without the sites' stock columns first and prices them in until none would
    lower the objective (`_sift`: the same optimum, proven by the reduced costs); "direct" solves the whole LP at
    once; "auto" sifts unless a warehouse may hold unlimited stock (a delivery chain's backlog): there the sites'
    stock is not what makes the LP hard, and sifting measured 1.5x slower (the Rafah chain + pier + fuel, 60 days).
    """
    validate_instance(instance, file)
    if trucks not in ("auto", "second_solve", "epsilon", "off"):
        raise InputError(Problem(file=file, field="trucks", message="expected auto, second_solve, epsilon or off"))
    if method not in METHODS:
        raise InputError(Problem(file=file, field="method", message=f"expected one of {', '.join(METHODS)}"))
    if not 0.0 <= deep_share <= 1.0 or deep_factor < 1.0:
        raise InputError(
            Problem(
                file=file,
                field="deep_share/deep_factor",
                message="expected 0 <= deep_share <= 1 and deep_factor >= 1 (convex cost)",
            )
        )
    t0 = time.perf_counter()
    lp = _build_lp(instance, deep_share, deep_factor)
    eps = 0.0
    if trucks == "auto":
        trucks = "second_solve" if lp.n_col <= AUTO_EPSILON_COLUMNS else "epsilon"
    if trucks == "epsilon":
        prios = [c.priority for c in instance.commodities if c.priority > 0]
        eps = EPS_TRUCKS * (min(prios) if prios else 1.0)
        lp.cost1 = lp.cost1 + eps * lp.cost2
    if method == "auto":
        method = "direct" if any(w.capacity_t is None for w in instance.warehouses) else "sifting"
    held = lp.site_stock_cols if method == "sifting" else np.zeros(0, dtype=np.int64)
    h, highspy, key, held = _warm_highs(lp, time_limit_s, threads, warm, held)
    timings = {"build": time.perf_counter() - t0}
    state: dict[str, Any] = {"held": held}
    try:
        return _solve(
            instance,
            lp,
            h,
            highspy,
            t0,
            timings,
            time_limit_s,
            trucks,
            eps,
            deep_share,
            deep_factor,
            step_trucks_per_day,
            storage_step_t,
            state,
        )
    finally:
        if warm is not None:
            # what the model now holds, unless the truckload solve changed bounds and costs after
            last = (
                None if trucks == "second_solve" else (_upper(lp, state["held"]), lp.row_lower, lp.row_upper, lp.cost1)
            )
            warm[key] = h, last, lp.matrix.data[lp.fair_entries].copy(), state["held"], state.get("basis")


def _sift(lp: _Lp, h: Any, highspy: Any, held: np.ndarray, time_limit_s: float) -> tuple[np.ndarray, int]:
    """(columns still held at 0, solves): solve with the ``held`` columns fixed at 0, then release every series
    (a site's stock of one commodity over all days) in which a held column has a negative reduced cost and re-solve
    with the primal simplex from the same basis, until no held column has one: the basis is then optimal for the
    whole LP too (each held column sits at its lower bound 0 with a reduced cost >= 0). This is sifting (Bixby,
    Gregory, Lustig, Marsten & Shanno 1992, "Very large-scale linear programming: a case study in combining
    interior point and simplex methods", Operations Research 40(5)): the example's sites hold stock in few series,
    and the LP without it solves several times faster. Should the restricted LP stop without an optimum, every
    held column is released and the whole LP decides."""
    strategy = h.getOptionValue("simplex_strategy")[1]
    solves = 0
    try:
        while True:
            h.run()
            solves += 1
            if not held.size:
                return held, solves
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                release = held
            else:
                rc = np.asarray(h.getSolution().col_dual, dtype=float)[held]
                neg = held[rc < -SIFT_TOL]
                if not neg.size:
                    return held, solves
                # the whole series: a site holding stock one day tends to hold it the next (fewer rounds)
                release = held[np.isin(held // lp.T, neg // lp.T)]
            h.changeColsBounds(release.size, release.astype(np.int32), np.zeros(release.size), lp.col_upper[release])
            held = np.setdiff1d(held, release, assume_unique=True)
            h.setOptionValue("time_limit", float(time_limit_s) + h.getRunTime())  # HiGHS' clock runs on
            h.setOptionValue("simplex_strategy", 4)  # primal: the solution stays feasible, new columns to price in
    finally:
        h.setOptionValue("simplex_strategy", strategy)


def _unsolved(lp: _Lp, status: str, time_limit_s: float, t0: float, named: dict[str, Any], method: str) -> SupplyResult:
    """The result when HiGHS stops without an optimum: no plan, everything owed is short."""
    K, E, W, S, A, P, T = lp.K, lp.E, lp.W, lp.S, lp.A, lp.P, lp.T
    z = np.zeros
    owed = owed_to_date(lp.cell_demand, lp.carry)
    return SupplyResult(
        status=status,
        objective_deprivation=None,
        objective_trucks=None,
        best_bound=None,
        gap=None,
        days=T,
        entry_capacity_t=lp.entry_cap,
        entry_use_t=z((K, E, T)),
        flow_t=z((K, A, T)),
        warehouse_stock_t=z((K, W, T)),
        site_stock_t=z((K, S, T)),
        production_t=z((P, T)),
        demand_t=lp.demand,
        shortfall_t=owed_to_date(lp.demand, lp.carry),
        consumed_t=z((K, S, T)),
        delivered_t=z((K, S, T)),
        produced_at_site_t=z((K, S, T)),
        binding=[],
        fleet=[],
        max_conservation_residual_t=float("nan"),
        solve_time_s=time.perf_counter() - t0,
        message=f"HiGHS stopped with status '{status}' (time limit {time_limit_s:g} s); no plan is reported",
        method=method,
        cell_shortfall_t=owed,
        cell_consumed_t=z(owed.shape),
        **named,
    )


def _truckload_solve(
    lp: _Lp,
    h: Any,
    highspy: Any,
    x: np.ndarray,
    time_limit_s: float,
    t0: float,
    timings: dict[str, float],
    held: np.ndarray,
) -> tuple[np.ndarray, float | None, str]:
    """(flows, truckloads, message): fix every shortfall (and the sharing columns) at its optimal value, then
    minimise truckloads. The first solution stays feasible, so simplex restarts from it, and with nothing left to
    trade the truckload solve is a flow problem (0.04 s on the Rafah targeted plan; holding shortfalls at most at
    their value took 6 s). Columns the deprivation solve left ``held`` at 0 are sifted in here too, by their
    reduced cost for truckloads, so the result is still the whole LP's: releasing them all at once and restarting
    took 300 s (time limit) against 7.9 s on bench_supply's 200 + 100 locations x 60 days."""
    nz = lp.short_cols
    short_t = np.clip(x[nz], 0.0, lp.col_upper[nz])
    h.changeColsBounds(nz.size, nz.astype(np.int32), short_t, short_t)
    h.changeColsCost(lp.n_col, np.arange(lp.n_col, dtype=np.int32), lp.cost2)
    h.setOptionValue("time_limit", float(time_limit_s) + h.getRunTime())  # HiGHS' clock runs on
    h.setOptionValue("simplex_strategy", 4)  # primal: the held solution is primal feasible, costs changed
    _sift(lp, h, highspy, held, time_limit_s)
    timings["truckloads"] = time.perf_counter() - t0 - timings["build"] - timings["deprivation"]
    if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
        return np.asarray(h.getSolution().col_value, dtype=float), float(h.getInfo().objective_function_value), ""
    return (
        x,
        None,
        (
            f"second solve (truckloads) ended '{h.modelStatusToString(h.getModelStatus())}'; "
            "flows are those of the first solve (deprivation only)"
        ),
    )


def _plan_figures(instance: SupplyInstance, lp: _Lp, x: np.ndarray) -> dict[str, Any]:
    """The plan's arrays from the LP solution ``x`` (t): flows, stocks, production, entry use and losses, and per
    report cell and site what is short and what is consumed, delivered and produced there."""
    K, E, W, S, A, P, T, Q, off = lp.K, lp.E, lp.W, lp.S, lp.A, lp.P, lp.T, lp.Q, lp.off

    def block(name: str, shape: tuple[int, ...]) -> np.ndarray:
        n = int(np.prod(shape))
        return x[off[name] : off[name] + n].reshape(shape)

    flow = block("flow", (K, A, T))
    stock = block("stock", (K, W + S, T))
    prod = block("prod", (P, T))
    cell_short = np.clip((lp.short_map @ x).reshape(K, Q, T), 0.0, owed_to_date(lp.cell_demand, lp.carry))
    cell_used = lp.cell_demand - cell_short
    prev = np.concatenate([np.zeros((K, Q, 1)), cell_short[:, :, :-1]], axis=2)
    cell_used[lp.carry] = (lp.cell_demand + prev - cell_short)[lp.carry]  # owed goods handed out later
    cell_used = np.maximum(cell_used, 0.0)
    short, used = np.zeros((K, S, T)), np.zeros((K, S, T))
    np.add.at(short, (slice(None), lp.cell_site), cell_short)  # type: ignore[arg-type]  # numpy's stubs: no slice
    np.add.at(used, (slice(None), lp.cell_site), cell_used)  # type: ignore[arg-type]  # numpy's stubs: no slice
    delivered = np.zeros((K, S, T))
    site_arc = np.flatnonzero(lp.arc_dst >= E + W)
    keep_a = np.array([1.0 - a.loss_share for a in instance.arcs], dtype=float)
    for a in site_arc:
        d = int(lp.arc_days[a])
        if d < T:
            delivered[:, lp.arc_dst[a] - E - W, d:] += flow[:, a, : T - d] * keep_a[a]
    entry_use = block("entry", (K, E, T))
    entry_lost = entry_use * np.array([e.loss_share for e in instance.entry_points], dtype=float)[None, :, None]
    arc_lost = flow * (1.0 - keep_a)[None, :, None]
    produced = np.zeros((K, S, T))
    kidx = {c.id: i for i, c in enumerate(instance.commodities)}
    sidx = {s.id: i for i, s in enumerate(instance.sites)}
    for p, pr in enumerate(instance.production):
        if pr.node in sidx:
            produced[kidx[pr.commodity], sidx[pr.node]] += prod[p]
    return dict(
        entry_use_t=entry_use,
        flow_t=flow,
        warehouse_stock_t=stock[:, :W],
        site_stock_t=stock[:, W:],
        production_t=prod,
        shortfall_t=short,
        consumed_t=used,
        delivered_t=delivered,
        produced_at_site_t=produced,
        cell_shortfall_t=cell_short,
        cell_consumed_t=cell_used,
        entry_lost_t=entry_lost,
        arc_lost_t=arc_lost,
    )


def _solve(
    instance: SupplyInstance,
    lp: _Lp,
    h: Any,
    highspy: Any,
    t0: float,
    timings: dict[str, float],
    time_limit_s: float,
    trucks: str,
    eps: float,
    deep_share: float,
    deep_factor: float,
    step_trucks_per_day: float,
    storage_step_t: float,
    state: dict[str, Any],
) -> SupplyResult:
    """Deprivation first, then (``second_solve``) truckloads with the deprivation held; see `solve_supply`.
    ``state["held"]``: columns held at 0 (sifting), updated to those still held after the deprivation solve."""
    n_held = state["held"].size
    state["held"], solves = _sift(lp, h, highspy, state["held"], time_limit_s)
    method = (
        f"sifting: {solves} solves, {n_held - state['held'].size:,} of {n_held:,} site stock columns priced in"
        if n_held
        else "direct"
    )
    timings["deprivation"] = time.perf_counter() - t0 - timings["build"]
    ms = h.getModelStatus()
    status = h.modelStatusToString(ms)
    named: dict[str, Any] = dict(
        commodity_ids=[c.id for c in instance.commodities],
        entry_ids=[e.id for e in instance.entry_points],
        warehouse_ids=[w.id for w in instance.warehouses],
        site_ids=[s.id for s in instance.sites],
        carry_over=[bool(c) for c in lp.carry],
        cell_site=lp.cell_site,
        cell_group=lp.cell_group,
        cell_demand_t=lp.cell_demand,
        cell_people=lp.cell_people,
    )
    if ms != highspy.HighsModelStatus.kOptimal:
        return _unsolved(lp, status, time_limit_s, t0, named, method)
    sol = h.getSolution()
    duals = np.asarray(sol.row_dual, dtype=float)
    x = np.asarray(sol.col_value, dtype=float)
    message = ""
    z2 = None
    if trucks == "second_solve":
        state["basis"] = h.getBasis()  # the deprivation optimum's, for the next warm member
        # the truckload solve over the whole LP (exact lexicographic order: stock may save loads), sifted
        x, z2, message = _truckload_solve(lp, h, highspy, x, time_limit_s, t0, timings, state["held"])
    x = np.maximum(x, 0.0)  # solver noise below the zero bound
    z1 = float(lp.true1 @ x)
    if trucks == "epsilon":
        z2 = float(lp.cost2 @ x)
        message = (
            f"truckloads weighted {eps:.2g} per truckload in the same solve as deprivation "
            "(epsilon method; shadow prices include that weight)"
        )
    res_bal = lp.matrix[: lp.n_bal] @ x - lp.rhs_bal
    result = SupplyResult(
        status=status,
        objective_deprivation=z1,
        objective_trucks=z2,
        best_bound=z1,
        gap=0.0,
        days=lp.T,
        entry_capacity_t=lp.entry_cap,
        demand_t=lp.demand,
        binding=[],
        fleet=[],
        max_conservation_residual_t=float(np.abs(res_bal).max()) if res_bal.size else 0.0,
        solve_time_s=0.0,
        message=message,
        method=method,
        **_plan_figures(instance, lp, x),
        **named,
    )
    prio = np.array([c.priority for c in instance.commodities], dtype=float)
    weighted = prio[:, None, None] * result.cell_shortfall_t * deep_factor  # an upper bound on each cell's deprivation
    result.binding = _binding(
        instance,
        lp,
        duals,
        deep_share,
        deep_factor,
        step_trucks_per_day,
        storage_step_t,
        result.shortfall_t,
        weighted,
        rtol=2 * TIME_TIE_BREAK + 2 * FAIR_WEIGHT + (1e-2 if eps else 0.0),
    )
    result.fleet = fleet_requirements(instance, result)
    result.solve_time_s = time.perf_counter() - t0
    timings["report"] = result.solve_time_s - sum(timings.values())
    result.timings_s = timings
    return result


# --------------------------------------------------------------------------------------------
# Shadow prices in words
# --------------------------------------------------------------------------------------------


def _windows(mask: np.ndarray) -> list[tuple[int, int]]:
    """Runs of consecutive True days as (first, last)."""
    out: list[tuple[int, int]] = []
    start = None
    for t, m in enumerate(mask):
        if m and start is None:
            start = t
        if not m and start is not None:
            out.append((start, t - 1))
            start = None
    if start is not None:
        out.append((start, len(mask) - 1))
    return out


def _days(a: int, b: int) -> str:
    return f"day {a}" if a == b else f"days {a}–{b}"


def _binding(
    inst: SupplyInstance,
    lp: _Lp,
    duals: np.ndarray,
    deep_share: float,
    deep_factor: float,
    step_trucks: float,
    storage_step_t: float,
    short_t: np.ndarray,
    weighted_short: np.ndarray,
    rtol: float,
) -> list[BindingConstraint]:
    # marginal deprivation value of one tonne, per commodity tier (to name what a margin relieves)
    tiers = [(c.id, c.priority, 1.0) for c in inst.commodities]
    if deep_factor != 1.0 and deep_share < 1.0:
        tiers += [(c.id, c.priority * deep_factor, deep_factor) for c in inst.commodities]
    wmax = max([w for _, w, _ in tiers] + [1.0])
    tol = 1e-7 * wmax
    out: list[BindingConstraint] = []
    for kind, (r0, owners) in lp.rows.items():
        T = lp.T
        price = -duals[r0 : r0 + owners.size * T].reshape(owners.size, T)  # cut in deprivation per +1 t
        for b, owner in enumerate(owners):
            for a, z in _windows(price[b] > tol):
                p = price[b, a : z + 1]
                if kind == "entry_capacity":
                    e = inst.entry_points[owner]
                    pay = e.payload(inst.payload_t)
                    name, step, unit, step_t = e.id, step_trucks, "trucks/day", step_trucks * pay
                    what = f"+{step:g} trucks/day ({step_t:,.0f} t/day) at {name} on {_days(a, z)}"
                elif kind == "arc_loads":
                    arc = inst.arcs[owner]
                    pay = arc.payload_t or inst.payload_t
                    # a chain stage after an entry point (chain.with_chain names its nodes "<entry>:<stage>")
                    name = arc.source.split(":")[0] if ":" in arc.source else f"{arc.source}->{arc.target}"
                    step, unit, step_t = step_trucks, "loads/day", step_trucks * pay
                    stage = {"movements": "convoy movements allowed", "collection": "collection"}.get(
                        arc.stage, arc.stage or "a stage in truckloads"
                    )
                    what = f"+{step:g} loads/day (about {step_t:,.0f} t/day) of {stage} after {name} on {_days(a, z)}"
                elif kind == "arc_capacity":
                    arc = inst.arcs[owner]
                    pay = arc.payload_t or inst.payload_t
                    name, step, unit, step_t = (
                        f"{arc.source}->{arc.target}",
                        step_trucks,
                        "trucks/day",
                        step_trucks * pay,
                    )
                    what = f"+{step:g} trucks/day ({step_t:,.0f} t/day) on road {name} on {_days(a, z)}"
                else:
                    x = inst.warehouses[owner] if kind == "warehouse_storage" else inst.sites[owner]
                    name, step, unit, step_t = x.id, storage_step_t, "t of storage", storage_step_t
                    what = (
                        f"+{step:g} t of storage at {'warehouse' if kind == 'warehouse_storage' else 'site'} "
                        f"{name} on {_days(a, z)}"
                    )
                # dual per unit of the row: tonnes, or truckloads for a stage counted in loads
                linear = float(p.sum() * (step if kind == "arc_loads" else step_t))
                # the optimal value is convex in the capacity, so dual × change bounds the cut from above;
                # so does the deprivation left from the window's first day on
                cut = min(linear, float(weighted_short[..., a:].sum()))
                # t per unit of the row: 1, or for a stage in loads the commodity's payload on that arc
                per_unit = (
                    {c.id: inst.payload(c, inst.arcs[owner].payload_t) for c in inst.commodities}
                    if kind == "arc_loads"
                    else {}
                )
                matches = {(k, f) for k, w, f in tiers if np.allclose(p, w * per_unit.get(k, 1.0), rtol=rtol, atol=tol)}
                commodity = cut_t = None
                if len({k for k, _ in matches}) == 1:
                    commodity, f = next(iter(matches))
                    ki = [c.id for c in inst.commodities].index(commodity)
                    prio = inst.commodities[ki].priority
                    cut_t = min(linear / (prio * f), float(short_t[ki, :, a:].sum()))
                    cut = min(cut, cut_t * prio * f)
                    text = f"{what} would cut the {commodity} shortfall by up to about {cut_t:,.0f} t"
                else:
                    text = f"{what} would cut the priority-weighted shortfall by up to about {cut:,.0f}"
                per = (
                    "t of storage"
                    if kind.endswith("storage")
                    else ("load/day" if kind == "arc_loads" else "t/day of capacity")
                )
                text += (
                    f" (shadow price {float(p.mean()):.3g} per {per} and day"
                    f"; dual × change = {linear:,.0f}, exact only for small changes and an upper bound "
                    "beyond — re-solve to confirm)"
                )
                out.append(
                    BindingConstraint(
                        kind=(inst.arcs[owner].stage or kind) if kind == "arc_loads" else kind,
                        id=name,
                        first_day=a,
                        last_day=z,
                        shadow_price=[float(v) for v in p],
                        step=step,
                        step_unit=unit,
                        step_t_per_day=step_t,
                        predicted_cut=cut,
                        commodity=commodity,
                        predicted_cut_t=cut_t,
                        text=text,
                    )
                )
    out.sort(key=lambda c: -c.predicted_cut)
    return out
