"""Solving the supply LP with HiGHS: the model (kept warm between ensemble members), the two lexicographic
solves, the result, and the binding constraints in words from the duals.
"""

from __future__ import annotations

import time
from typing import Any, NamedTuple

import numpy as np

from ..._errors import InputError, Problem, SolverError
from .._highs import quiet_highs
from .binding import _binding
from .compact import CompactHighs, live_columns, needed_rows
from .corridors import Corridors, aggregate, identity
from .lp import _build_lp, _Lp
from .model import (
    AUTO_EPSILON_COLUMNS,
    CELL_TIE_BREAK,
    DEEP_FACTOR,
    DEEP_SHARE,
    DUAL_TOL,
    EPS_TRUCKS,
    FAIR_WEIGHT,
    METHODS,
    TIME_TIE_BREAK,
    SupplyInstance,
    SupplyResult,
    owed_to_date,
)
from .restarts import Restarts
from .results import _plan_figures, _restore, fleet_requirements, named_fields
from .sifting import _give_up, _sift
from .validate import validate_instance

#: HiGHS' simplex_scale_strategy for an LP with a warehouse of unlimited stock (a delivery chain's backlog): 4,
#: scaling by the largest value, took the Rafah chain + pier + fuel LP (60 days) from 11.5 s to 3.5 s CPU, the same
#: optimum; on the LPs without (the example's plans, bench_supply's 200 sites) it was no faster, so they keep
#: HiGHS' default (docs/supply.md)
BACKLOG_SCALE_STRATEGY = 4

#: HiGHS' simplex_dual_edge_weight_strategy on a warm member's restart: 1, Devex. A restart repairs a few thousand
#: primal infeasibilities (3,000-5,000 iterations on Rafah `full`); dual steepest edge (HiGHS' choice, -1) takes a
#: few fewer but dearer iterations: over 20 warm Rafah `full` members, whole solve_supply, median 0.60 -> 0.39 s CPU
#: (sum 18.5 -> 14.1 s), the same optima. A cold solve keeps HiGHS' choice (Devex took 11.1 s against 6.4 s there)
WARM_EDGE_WEIGHTS = 1

#: HiGHS' dual_simplex_cost_perturbation_multiplier on a warm member's restart: 0. With the cell tie-break
#: (`tiebreak`) the LP is far less degenerate; 31 Rafah `full` members replayed, warm median 0.43 -> 0.28-0.29 s CPU
#: against 0.2, `targeted` 0.47-0.59 -> 0.43-0.55 s, the same optima (docs/ensemble.md)
WARM_COST_PERTURBATION = 0.0

#: A member after one whose deprivation solve gave up sifting (`sifting._give_up`: crossings so scarce and uneven
#: that most site stock prices in at once) solves cold, not warm from that member's basis, and gives up at once: the
#: whole LP by the dual simplex from scratch, as a give-up does after its first pricing, without that restricted
#: solve (7-48 s of 35-166 s on Rafah full-180d members, every one of which gave up); and so every later member of
#: that worker. A member after one that stopped without an optimum (a time limit) solves cold as a plan does. Rafah
#: full-180d members restarted warm took 484 s (load 3-8) or ran into the 900-s limit (load 6-9) against 35-166 s cold
#: (docs/supply.md). The 30- and 60-day plans never give up (`SIFT_GIVE_UP_COLUMNS`), so their members stay warm
COLD_AFTER_GIVE_UP = True

#: A worker's members restart warm only while that costs less than solving cold (`restarts.Restarts`: cold once two
#: of the last 3 warm solves cost more than the cold solves' median, in the thread's CPU seconds; warm tried again
#: after 4 cold members, then 8, ... 32 while it keeps losing). Rafah `staged-orders-2024`: warm restarts cost more
#: than the worker's cold solve for most members (docs/supply.md); `full`'s and `targeted`'s members stay warm
WARM_OR_COLD = True


class _Kept(NamedTuple):
    """A worker's supply model kept for its next member (`_warm_highs`)."""

    h: Any  # the HiGHS model (`compact.CompactHighs`)
    last: tuple[np.ndarray, ...] | None  # the bounds and costs it holds; None after a truckload solve changed them
    fair: np.ndarray  # the sharing coefficients it holds
    held: np.ndarray  # the site stock columns still held at 0
    basis: Any  # the deprivation optimum's basis (after a truckload solve), else None: the model's own
    next: str  # how the next member starts: "" warm, "scarce" whole LP at once, "stopped" cold (`COLD_AFTER_GIVE_UP`)
    restarts: Restarts  # what warm and cold solves of this structure cost the worker (`WARM_OR_COLD`)


class _Start(NamedTuple):
    """How a solve starts (`_warm_highs`)."""

    h: Any  # the HiGHS model
    highspy: Any
    key: str  # the LP's structure (`_structure_key`), "" for a plan solved once
    held: np.ndarray  # the site stock columns held at 0 (sifting)
    how: str  # "warm" from the kept model; "cold": a new model, sifted (a plan's too); "whole": the whole LP at once
    restarts: Restarts | None  # the worker's record (None for a plan solved once)


def _highs(
    lp: _Lp,
    time_limit_s: float,
    threads: int | None,
    col_upper: np.ndarray | None = None,
    scale: int | None = None,
    compact: bool = False,
) -> tuple[Any, Any]:
    """A HiGHS model of ``lp`` (``col_upper``: other column bounds, e.g. with held columns at 0; ``scale``: HiGHS'
    simplex_scale_strategy, None: its default; ``compact``: without the columns fixed at 0
    (`compact.CompactHighs`, addressed by the whole LP's column indices all the same))."""
    import highspy

    h = quiet_highs()
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("dual_feasibility_tolerance", DUAL_TOL)  # the tie-breaks above it: one optimum (`tiebreak`)
    if scale is not None:
        h.setOptionValue("simplex_scale_strategy", scale)
    if threads:
        h.setOptionValue("threads", int(threads))
    upper = lp.col_upper if col_upper is None else col_upper
    live = live_columns(lp.col_upper) if compact else np.arange(lp.n_col)
    in_model = np.zeros(lp.n_col, dtype=bool)
    in_model[live] = True
    rows = needed_rows(lp.matrix, in_model, lp.row_lower, lp.row_upper) if compact else np.arange(lp.matrix.shape[0])
    a = lp.matrix[rows][:, live] if compact else lp.matrix
    model = highspy.HighsLp()
    model.num_col_ = live.size
    model.num_row_ = rows.size
    model.col_cost_ = lp.cost1[live]
    model.col_lower_ = np.zeros(live.size)
    model.col_upper_ = upper[live]
    model.row_lower_ = lp.row_lower[rows]
    model.row_upper_ = lp.row_upper[rows]
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = a.indptr.astype(np.int32)
    model.a_matrix_.index_ = a.indices.astype(np.int32)
    model.a_matrix_.value_ = a.data
    status = h.passModel(model)
    if status == highspy.HighsStatus.kError:
        raise SolverError("HiGHS rejected the supply LP")
    return (CompactHighs(h, live, lp.n_col, lp.matrix, lp.cost1, rows) if compact else h), highspy


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
    lp: _Lp,
    time_limit_s: float,
    threads: int | None,
    warm: dict[str, Any] | None,
    held: np.ndarray,
    scale: int | None = None,
) -> _Start:
    """A HiGHS model of ``lp``'s live columns with the ``held`` columns at 0: the one kept in ``warm`` for the same
    matrix, given ``lp``'s new live columns, bounds, costs and sharing coefficients (the dual simplex restarts from
    its last basis, and only the columns still held after the last solve are held again; see `compact`), or a new
    one (kept there for the next call; `_cold_highs`): for the first member, with `COLD_AFTER_GIVE_UP` for a member
    after one whose solve gave up sifting or stopped without an optimum, and with `WARM_OR_COLD` while warm
    restarts cost this worker more than cold solves."""
    import highspy

    if warm is None:  # solved once: without the dead columns
        return _cold_highs(lp, time_limit_s, threads, held, scale, "", None)
    key = _structure_key(lp)
    # taken out while in use (a thread running another member meanwhile builds its own), put back by the caller
    kept = warm.pop(key, None)
    warm.clear()  # one model at a time: the members of one ensemble share one structure
    if kept is None:
        return _cold_highs(lp, time_limit_s, threads, held, scale, key, Restarts())
    if (COLD_AFTER_GIVE_UP and kept.next) or (WARM_OR_COLD and not kept.restarts.next_warm()):
        return _cold_highs(lp, time_limit_s, threads, held, scale, key, kept.restarts, kept.next == "scarce")
    h, last, fair_vals, was_held, basis = kept.h, kept.last, kept.fair, kept.held, kept.basis
    if basis is not None:
        # restart from the last deprivation optimum, not from the truckload solve's basis (optimal for other costs
        # with every shortfall held): on 4 members of the 60-day Rafah LP 8.1 s -> see docs/supply.md
        h.setBasis(basis)
    # after setBasis: HiGHS keeps the basis, new columns at 0, new rows basic
    h.add_live(lp.matrix, lp.cost1, lp.col_upper, lp.row_lower, lp.row_upper)
    # sifted again, holding only the stock columns the last member did not need either (few after some members)
    held = np.intersect1d(held, was_held)
    upper = _upper(lp, held)
    n, m = lp.n_col, lp.matrix.shape[0]
    # the sharing rows' coefficients are the cells' need: pass the ones that changed (of the columns in the model;
    # a column added later comes with its own)
    new_vals = lp.matrix.data[lp.fair_entries]
    changed = np.flatnonzero(new_vals != fair_vals)
    if changed.size:
        cols = np.searchsorted(lp.matrix.indptr, lp.fair_entries[changed], side="right") - 1
        rws = lp.matrix.indices[lp.fair_entries[changed]]
        keep = h.holds(cols)
        h.change_coeffs(rws[keep], cols[keep], new_vals[changed][keep])
    h.setOptionValue("time_limit", float(time_limit_s) + h.getRunTime())  # HiGHS' clock runs on
    h.setOptionValue("simplex_strategy", 0)
    # Less cost perturbation than HiGHS' default (1.0) suits a restart from a neighbour's deprivation optimum
    # (`WARM_COST_PERTURBATION`). After a truckload solve (other costs, held bounds) it does not: a whole plan
    # re-solved then took 2.2 s, not 1.7 s.
    h.setOptionValue("dual_simplex_cost_perturbation_multiplier", WARM_COST_PERTURBATION if last is not None else 1.0)
    h.setOptionValue("simplex_dual_edge_weight_strategy", WARM_EDGE_WEIGHTS)
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
    return _Start(h, highspy, key, held, "warm", kept.restarts)


def _cold_highs(
    lp: _Lp,
    time_limit_s: float,
    threads: int | None,
    held: np.ndarray,
    scale: int | None,
    key: str,
    restarts: Restarts | None,
    whole: bool = False,
) -> _Start:
    """A new model, solved as a plan is, its live columns sifted: a plan's (``restarts`` None) or a worker's member's
    (`CompactHighs.add_live` grows it for later members); ``whole`` (the last member gave up sifting, `COLD_AFTER_GIVE_UP`): nothing held,
    set to give up at once."""
    import highspy

    held = held[:0] if whole else held
    h, _ = _highs(lp, time_limit_s, threads, _upper(lp, held), scale, compact=True)
    if whole:
        h.setOptionValue("simplex_strategy", _give_up(h))
    return _Start(h, highspy, key, held, "whole" if whole else "cold", restarts)


def _check_options(
    instance: SupplyInstance, trucks: str, method: str, deep_share: float, deep_factor: float, file: str
) -> None:
    """The instance and `solve_supply`'s options, or an `InputError` naming each problem."""
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
    transit_hubs: bool = True,
    file: str = "<instance>",
    keep: dict[str, Any] | None = None,
) -> SupplyResult:
    """Plan daily flows; minimise deprivation, then truckloads. See the module docstring for the model.

    ``trucks``: "second_solve" (exact lexicographic order), "epsilon" (one solve, truckloads weighted
    ``EPS_TRUCKS`` × the smallest priority: faster on large instances, lexicographic only in practice)
    or "off" (deprivation only; flows may carry surplus); "auto" picks "second_solve" up to
    ``AUTO_EPSILON_COLUMNS`` LP columns and "epsilon" above (the second solve can take several times
    the first on large instances).
    ``warm``: a dict kept between calls (ensemble members): an instance with the same constraint matrix
    re-solves from the previous basis instead of from scratch (unless the previous solve gave up sifting or
    stopped without an optimum: `COLD_AFTER_GIVE_UP`, or warm restarts have cost more than cold solves there:
    `WARM_OR_COLD`); results are the same optimum.
    ``method``: "sifting" solves the LP without the sites' stock columns first and prices them in until none would
    lower the objective (`_sift`: the same optimum, proven by the reduced costs); "direct" solves the whole LP at
    once; "auto" sifts unless a warehouse may hold unlimited stock (a delivery chain's backlog): there the sites'
    stock is not what makes the LP hard, and sifting measured 1.5x slower (the Rafah chain + pier + fuel, 60 days).
    ``transit_hubs``: solve with every complete block of parallel corridors through a transit hub (`corridors`: the
    same optimum, fewer columns); False solves the instance's arcs as given.
    ``keep``: filled with the LP, the deprivation optimum and its basis, for the ranges over the optimal face
    (`ranges.face_ranges`).
    """
    _check_options(instance, trucks, method, deep_share, deep_factor, file)
    t0 = time.perf_counter()
    corr = aggregate(instance) if transit_hubs else identity(instance)
    lp = _build_lp(corr.instance, deep_share, deep_factor, corr.hubs)
    eps = 0.0
    if trucks == "auto":
        trucks = "second_solve" if lp.n_col <= AUTO_EPSILON_COLUMNS else "epsilon"
    if trucks == "epsilon":
        prios = [c.priority for c in instance.commodities if c.priority > 0]
        eps = EPS_TRUCKS * (min(prios) if prios else 1.0)
        lp.cost1 = lp.cost1 + eps * lp.cost2
    backlog = any(w.capacity_t is None for w in instance.warehouses)
    if method == "auto":
        method = "direct" if backlog else "sifting"
    held = lp.site_stock_cols if method == "sifting" else np.zeros(0, dtype=np.int64)
    scale = BACKLOG_SCALE_STRATEGY if backlog else None
    cpu0 = time.thread_time()  # what this start costs, for `WARM_OR_COLD`: the solving thread's CPU (`restarts`)
    start = _warm_highs(lp, time_limit_s, threads, warm, held, scale)
    h, highspy = start.h, start.highspy
    timings = {"build": time.perf_counter() - t0}
    state: dict[str, Any] = {"held": start.held, "whole": start.how == "whole", "keep": keep}
    if keep is not None:
        keep.update(scale=scale, threads=threads, warm=warm is not None, time_limit_s=time_limit_s)
    try:
        return _solve(
            corr,
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
            _keep_warm(warm, start, lp, trucks, state, time.thread_time() - cpu0)


def _keep_warm(warm: dict[str, Any], start: _Start, lp: _Lp, trucks: str, state: dict[str, Any], cpu_s: float) -> None:
    """Keep the solved model in ``warm`` for the next member, with what it holds and how the next one starts
    (``cpu_s``: what this solve cost, `WARM_OR_COLD`)."""
    h, highspy = start.h, start.highspy
    # what the model now holds, unless the truckload solve changed bounds and costs after
    last = None if trucks == "second_solve" else (_upper(lp, state["held"]), lp.row_lower, lp.row_upper, lp.cost1)
    fair = lp.matrix.data[lp.fair_entries].copy()
    # the next member: warm (""), cold as a plan after a solve that stopped without an optimum (its basis is
    # no optimum to restart from), or the whole LP at once after a give-up (`COLD_AFTER_GIVE_UP`)
    optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    scarce = state.get("gave_up", False) or state["whole"]
    assert start.restarts is not None  # a worker's solve (`_warm_highs`)
    if optimal:  # a solve stopped at its time limit is no cost to compare
        start.restarts.record(start.how == "warm", cpu_s)
    warm[start.key] = _Kept(
        h,
        last,
        fair,
        state["held"],
        state.get("basis"),
        ("scarce" if scarce else "") if optimal else "stopped",
        start.restarts,
    )


def _unsolved(
    corr: Corridors, lp: _Lp, status: str, time_limit_s: float, t0: float, named: dict[str, Any], method: str
) -> SupplyResult:
    """The result when HiGHS stops without an optimum: no plan, everything owed is short."""
    K, E, S, P, T = lp.K, lp.E, lp.S, lp.P, lp.T
    A, W = corr.n_arcs, corr.n_warehouses
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


def _named(instance: SupplyInstance, lp: _Lp) -> dict[str, Any]:
    """The result's ids and report cells."""
    return named_fields(instance, lp.carry, lp.cell_site, lp.cell_group, lp.cell_demand, lp.cell_people)


def _solve(
    corr: Corridors,
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
    give_up = n_held == lp.site_stock_cols.size > 0  # a cold solve (or a member after one that released nothing)
    state["held"], solves, state["gave_up"] = _sift(lp, h, highspy, state["held"], time_limit_s, give_up)
    method = (
        f"sifting: {solves} solves, {n_held - state['held'].size:,} of {n_held:,} site stock columns priced in"
        + (" (gave up: the whole LP by the dual simplex)" if state["gave_up"] else "")
        if n_held
        else "direct"
        + (": the whole LP by the dual simplex (the worker's last member gave up sifting)" if state["whole"] else "")
    )
    timings["deprivation"] = time.perf_counter() - t0 - timings["build"]
    ms = h.getModelStatus()
    status = h.modelStatusToString(ms)
    named = _named(corr.original, lp)
    if ms != highspy.HighsModelStatus.kOptimal:
        return _unsolved(corr, lp, status, time_limit_s, t0, named, method)
    sol = h.getSolution()
    duals = np.asarray(sol.row_dual, dtype=float)
    x = np.asarray(sol.col_value, dtype=float)
    message = ""
    z2 = None
    if state.get("keep") is not None:  # where the ranges over the optimal face start (`ranges`)
        state["keep"].update(lp=lp, basis=h.getBasis(), x=x.copy())
    if trucks == "second_solve":
        state["basis"] = h.getBasis()  # the deprivation optimum's, for the next warm member
        # the truckload solve over the whole LP (exact lexicographic order: stock may save loads), sifted
        x, z2, message = _truckload_solve(lp, h, highspy, x, time_limit_s, t0, timings, state["held"])
    x = np.maximum(x, 0.0)  # solver noise below the zero bound
    if trucks == "epsilon":
        z2 = float(lp.cost2 @ x)
        message = (
            f"truckloads weighted {eps:.2g} per truckload in the same solve as deprivation "
            "(epsilon method; shadow prices include that weight)"
        )
    result = _result(corr, lp, x, status, z2, message, method, named)
    prio = np.array([c.priority for c in corr.original.commodities], dtype=float)
    weighted = prio[:, None, None] * result.cell_shortfall_t * deep_factor  # an upper bound on each cell's deprivation
    result.binding = _binding(
        corr.instance,
        lp,
        duals,
        deep_share,
        deep_factor,
        step_trucks_per_day,
        storage_step_t,
        result.shortfall_t,
        weighted,
        rtol=2 * TIME_TIE_BREAK + 2 * FAIR_WEIGHT + 2 * CELL_TIE_BREAK + (1e-2 if eps else 0.0),
    )
    result.fleet = fleet_requirements(corr.original, result)
    result.solve_time_s = time.perf_counter() - t0
    timings["report"] = result.solve_time_s - sum(timings.values())
    result.timings_s = timings
    return result


def _result(
    corr: Corridors,
    lp: _Lp,
    x: np.ndarray,
    status: str,
    z2: float | None,
    message: str,
    method: str,
    named: dict[str, Any],
) -> SupplyResult:
    """The optimal plan ``x`` as a result on the original instance (binding constraints and fleet to follow)."""
    z1 = float(lp.true1 @ x)
    res_bal = lp.matrix[: lp.n_bal] @ x - lp.rhs_bal
    return SupplyResult(
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
        **_restore(corr, _plan_figures(corr.instance, lp, x)),
        **named,
    )
