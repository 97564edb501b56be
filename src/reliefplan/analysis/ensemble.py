"""Ensembles: the plan run N times over a scenario's declared uncertainty, on a process pool or a Dask cluster.

Member i draws its inputs from child i of ``numpy.random.SeedSequence(seed)`` in the parent, so a seed gives
the same members, and the same results, on every engine and any worker count. Workers load the scenario once
and keep the walking network and travel-time matrices (travel.TravelCache) across the members they run.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
import traceback
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .health_pool import member_draws, pool_members

from .._errors import InputError, Problem
from ..scenario._inputs import folder_file
from ..scenario._uncertainty import observed_series
from .sampling import MemberInputs, sample_member
from ..plan import Plan
from ..scenario.folder import SCENARIO_FILE, Scenario, load_scenario
from ..solvers.site_times import connect

Engine = Literal["local", "dask"]
Progress = Callable[[int, int], None]  # (members finished, members in all)
PERCENTILES = (10, 50, 90)
SCHEDULER_TIMEOUT_S = 10.0  # how long to try reaching a Dask scheduler


@dataclass
class MemberTask:
    folder: str
    scenario: str
    layout: bool | None  # None: as the scenario says
    inputs: MemberInputs
    attempt: int = 1


@dataclass
class EnsembleResult:
    """Per-member rows (inputs and key results, failed members included) and the summary."""

    members: list[dict[str, Any]]
    summary: dict[str, Any]
    failed: list[dict[str, Any]] = field(default_factory=list)


# ---- one member (runs in a worker) ----------------------------------------------------

_STATE: dict[tuple[str, str, bool | None], tuple[Scenario, Any]] = {}


def _base(folder: str, name: str, layout: bool | None) -> tuple[Scenario, Any]:
    """The scenario and travel cache of this worker process, loaded once."""
    from ..stages.travel import TravelCache

    key = (folder, name, layout)
    if key not in _STATE:
        if not _STATE:  # first member in this process (see reliefplan/__init__.py for why)
            from threadpoolctl import threadpool_limits

            threadpool_limits(limits=1, user_api="blas")
        sc = load_scenario(folder, name)
        if layout is not None:
            sc.layout = sc.layout.model_copy(update={"enabled": layout})
        _STATE[key] = (sc, TravelCache())
    return _STATE[key]


def member_scenario(sc: Scenario, m: MemberInputs) -> Scenario:
    """The base scenario with one member's draws applied (shallow copies: geometry and roads are shared)."""
    zones = [
        z.model_copy(update={"population": max(0, round(z.population * m.population_factor[z.id]))})
        if z.id in m.population_factor
        else z
        for z in sc.zones
    ]
    sites = [
        s.model_copy(update={"usable_fraction": m.usable_fraction[s.id]}) if s.id in m.usable_fraction else s
        for s in sc.sites
    ]
    trucks = dict(m.trucks_per_day)
    if m.observed_trucks is not None:  # the declared-capacity indicator should see the resampled mean
        trucks.update({k: float(np.mean(v)) for k, v in m.observed_trucks.items()})
    entries = [e.model_copy(update={"trucks_per_day": trucks[e.id]}) if e.id in trucks else e for e in sc.entry_points]
    from ..scenario.folder import DisruptionSpec

    extra = [
        DisruptionSpec(entry_point=e, first_day=a, last_day=b, capacity_factor=f, reason="sampled closure (ensemble)")
        for e, a, b, f in m.closures
    ]
    supply_update: dict[str, Any] = {"disruptions": list(sc.supply.disruptions) + extra}
    if m.chain_loss_share or m.movements_allowed_share:  # the delivery chain's sampled shares (issue 20)
        supply_update["chain"] = [
            c.model_copy(
                update={
                    **(
                        {"loss_share": m.chain_loss_share[c.entry_point]} if c.entry_point in m.chain_loss_share else {}
                    ),
                    **(
                        {"movements_allowed_share": m.movements_allowed_share[c.entry_point]}
                        if c.entry_point in m.movements_allowed_share
                        else {}
                    ),
                }
            )
            for c in sc.supply.chain
        ]
    if m.availability:
        supply_update["entries"] = [
            e.model_copy(update={"availability": m.availability[e.id]}) if e.id in m.availability else e
            for e in sc.supply.entries
        ]
    # a member records shortfalls, not truck counts: the truck-minimising second solve changes no outcome
    # unless a fleet is declared (its verdict row compares the fleet the trucks need)
    supply_update["minimise_trucks"] = sc.fleet_trucks_by_day is not None and sc.supply.minimise_trucks
    update: dict[str, Any] = {
        "zones": zones,
        "sites": sites,
        "entry_points": entries,
        "road_capacity_factor": m.road_capacity_factor,
    }
    if m.observed_trucks is not None:
        supply_update["entry_capacity"] = "observed"
        update["observed_trucks"] = {k: np.asarray(v, dtype=float) for k, v in m.observed_trucks.items()}
    update["supply"] = sc.supply.model_copy(update=supply_update)
    if sc.movement is not None and sc.movement.compare:
        # a member keeps the run its verdict reports and the plan's run presence follows: the side-by-side
        # comparison (a second hourly simulation when the reported run is the plan's) changes no kept figure
        update["movement"] = sc.movement.model_copy(update={"compare": False})
    return sc.model_copy(update=update)


#: outcomes that are a first day (None/NaN: not within the horizon, ranked after it); health days are the earliest
#: median first-crossing day over groups of each member (a risk projection)
_DAY_OUTCOMES = ("first_shortfall_day.", "first_health_day.")


def key_results(plan: Any) -> dict[str, Any]:
    """The numbers an ensemble keeps of a plan (NaN = not computed / no shortfall within the horizon)."""
    p = plan.people
    out: dict[str, Any] = {
        "population": p.population,
        "displaced": p.displaced,
        "sheltered": p.sheltered,
        "unsheltered": p.unsheltered,
        "siting_status": plan.siting.status,
        "conserved": bool(p.sheltered + p.unsheltered == p.displaced),
    }
    clear = plan.evacuation.clearance_hours if plan.evacuation else None
    out["clearance_h"] = math.nan if clear is None else float(clear)
    if plan.supply:
        s = plan.supply
        out["supply_status"] = s.status
        out["supply_residual_t"] = float(s.max_conservation_residual_t or 0.0)
        for k, v in s.shortfall_t.items():
            out[f"shortfall_t.{k}"] = float(v)
        for k, v in s.required_t.items():
            out[f"required_t.{k}"] = float(v)
        for k, v in s.first_shortfall_day.items():
            out[f"first_shortfall_day.{k}"] = math.nan if v is None else float(v)
        out["shortfall_t.total"] = float(sum(s.shortfall_t.values()))
    for c in plan.health.crossings if plan.health else []:  # earliest median day over groups, per threshold
        k = f"first_health_day.{c.threshold}"
        day = math.nan if c.day_p50 is None else float(c.day_p50)
        days = [d for d in (out.get(k, math.nan), day) if not math.isnan(d)]
        out[k] = min(days) if days else math.nan
    for row in plan.verdict:
        out[f"met.{row.indicator}@{row.scope}"] = math.nan if row.met is None else float(row.met)
    return out


# The last member's sheltering (displacement to the move): (base scenario, the draws it depends on, Sheltering).
_SHELTERED: list[tuple[Scenario, tuple[Any, ...], Any]] = []


def shelter_inputs(m: MemberInputs) -> tuple[Any, ...]:
    """The draws the sheltering depends on (population, usable land, road capacity); crossings, closures and the
    observed-truck bootstrap only reach the supply plan."""
    return (
        tuple(sorted(m.population_factor.items())),
        tuple(sorted(m.usable_fraction.items())),
        m.road_capacity_factor,
    )


def plan_member(base: Scenario, cache: Any, m: MemberInputs, progress: Callable[[str], None] | None = None) -> Any:
    """One member's plan (pipeline.PlanRun, without daily rows) on a worker's base scenario and travel cache.

    A member whose population, usable-fraction and road-capacity draws equal the previous member's of the same
    base (ensembles over supply uncertainty only: crossings, closures, observed trucks) reuses that member's
    sheltering, the displacement through the evacuation timing, which those draws alone decide; the supply LP
    then re-solves warm from the previous member's basis (deliveries keep it in the cache)."""
    from ..pipeline import finish, shelter

    sc = member_scenario(base, m)
    key = shelter_inputs(m)
    if _SHELTERED and _SHELTERED[0][0] is base and _SHELTERED[0][1] == key:
        sh = _SHELTERED[0][2]
    else:
        sh = shelter(sc, progress, cache=cache)
        _SHELTERED[:] = [(base, key, sh)]
    return finish(sc, sh, progress, cache=cache, rows=False)


def run_member(task: MemberTask) -> dict[str, Any]:
    """One member: never raises; a failure comes back as status 'failed' with the error."""
    row: dict[str, Any] = {"member": task.inputs.index, "attempts": task.attempt}
    try:
        sc, cache = _base(task.folder, task.scenario, task.layout)
        run = plan_member(sc, cache, task.inputs)
        plan = run.plan
        row.update(key_results(plan))
        row["health_draws"] = member_draws(run.health)  # pooled by `summarise`, not kept per member
        if not row["conserved"]:
            raise AssertionError("people not conserved")
        row["status"], row["error"] = "ok", ""
    except Exception as e:  # noqa: BLE001 - reported per member, the ensemble goes on
        row["status"] = "failed"
        row["error"] = f"{type(e).__name__}: {e}"
        row["traceback"] = traceback.format_exc(limit=5)
    return row


# ---- engines ----------------------------------------------------------------------------


def _retry_or_keep(row: dict[str, Any], task: MemberTask, rows: dict[int, dict[str, Any]]) -> MemberTask | None:
    if row.get("status") == "ok" or task.attempt >= 2:
        rows[task.inputs.index] = row
        return None
    return MemberTask(task.folder, task.scenario, task.layout, task.inputs, attempt=task.attempt + 1)


def _failed_row(task: MemberTask, exc: BaseException) -> dict[str, Any]:
    return {
        "member": task.inputs.index,
        "attempts": task.attempt,
        "status": "failed",
        "error": f"{type(exc).__name__}: {exc}",
    }


def _run_serial(
    tasks: list[MemberTask], fn: Callable[[MemberTask], dict[str, Any]], tick: Callable[[], None]
) -> dict[int, dict[str, Any]]:
    rows: dict[int, dict[str, Any]] = {}
    for task in tasks:
        t: MemberTask | None = task
        while t is not None:
            t = _retry_or_keep(fn(t), t, rows)
        tick()
    return rows


MAX_BATCH = 16  # members per task: small members (~10 ms) would otherwise pay more in messaging than in work


def run_batch(fn: Callable[[MemberTask], dict[str, Any]], tasks: list[MemberTask]) -> list[dict[str, Any]]:
    """Several members in one task (runs in a worker); one member's exception does not stop the others."""
    out = []
    for t in tasks:
        try:
            out.append(fn(t))
        except Exception as e:  # noqa: BLE001 - reported per member
            out.append(_failed_row(t, e))
    return out


def _batches(tasks: list[MemberTask], workers: int) -> list[list[MemberTask]]:
    size = max(1, min(MAX_BATCH, len(tasks) // (4 * workers)))
    return [tasks[k : k + size] for k in range(0, len(tasks), size)]


def _settle(
    batch: list[MemberTask],
    got: list[dict[str, Any]] | BaseException,
    rows: dict[int, dict[str, Any]],
    tick: Callable[[], None],
) -> list[MemberTask]:
    """Keep finished members, return those to retry."""
    retry = []
    for i, task in enumerate(batch):
        row = _failed_row(task, got) if isinstance(got, BaseException) else got[i]
        again = _retry_or_keep(row, task, rows)
        if again is None:
            tick()
        else:
            retry.append(again)
    return retry


BATCH_TARGET_S = 1.0  # a batch's work once member times are known: messaging stays small, the tail stays short


def _timed_batch(
    fn: Callable[[MemberTask], dict[str, Any]], tasks: list[MemberTask]
) -> tuple[list[dict[str, Any]], float]:
    """``run_batch`` plus its wall time in the worker (sizes the next batches)."""
    t = time.perf_counter()
    rows = run_batch(fn, tasks)
    return rows, time.perf_counter() - t


def _batch_size(worker_s: float, timed: int, left: int, workers: int) -> int:
    """Members in the next batch: one until member times are known, then ~BATCH_TARGET_S of work (at most
    MAX_BATCH), never more than a fair share of what is left (two batches per worker)."""
    size = 1
    if timed:
        size = int(min(MAX_BATCH, max(1, BATCH_TARGET_S / max(worker_s / timed, 1e-6))))
    return max(1, min(size, left // (2 * workers) or 1))


def _run_pool(
    tasks: list[MemberTask], fn: Callable[[MemberTask], dict[str, Any]], workers: int, tick: Callable[[], None]
) -> dict[int, dict[str, Any]]:
    """Members on a process pool. Batches start at one member and grow to ~BATCH_TARGET_S of work once
    member times are known: fast members do not drown in messaging, slow ones (seconds) do not leave a
    worker idle behind a long last batch. Two batches per worker stay in flight."""
    rows: dict[int, dict[str, Any]] = {}
    queue = deque(tasks)
    spent = [0.0, 0]  # worker seconds, members timed

    def next_batch() -> list[MemberTask]:
        size = _batch_size(spent[0], spent[1], len(queue), workers)
        return [queue.popleft() for _ in range(min(size, len(queue)))]

    # spawn: the solvers start threads, and forking a threaded parent can deadlock
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        pending: dict[Future, list[MemberTask]] = {}

        def submit(batch: list[MemberTask]) -> None:
            pending[pool.submit(_timed_batch, fn, batch)] = batch

        while queue and len(pending) < 2 * workers:
            submit(next_batch())
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                batch = pending.pop(fut)
                exc = fut.exception()
                if exc is None:
                    got, seconds = fut.result()
                    spent[0] += seconds
                    spent[1] += len(batch)
                retry = _settle(batch, exc if exc is not None else got, rows, tick)
                if retry:
                    submit(retry)
            while queue and len(pending) < 2 * workers:
                submit(next_batch())
    return rows


def _run_dask(
    tasks: list[MemberTask],
    fn: Callable[[MemberTask], dict[str, Any]],
    scheduler: str | None,
    dask_local: int | None,
    tick: Callable[[], None],
) -> dict[int, dict[str, Any]]:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:  # pragma: no cover - optional dependency
        raise InputError(Problem(file="--scheduler", message="Dask is not installed; pip install 'dask[distributed]'"))
    cluster = None
    try:
        if scheduler is not None:
            client = connect(scheduler, SCHEDULER_TIMEOUT_S)
        else:
            cluster = LocalCluster(
                n_workers=dask_local, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
            )
            client = Client(cluster)
        rows: dict[int, dict[str, Any]] = {}
        with client:
            n_workers = max(1, len(client.scheduler_info().get("workers", {})))
            tag = os.urandom(4).hex()  # keys unique per ensemble on a shared cluster
            batches: dict[str, list[MemberTask]] = {}

            def submit(batch: list[MemberTask]) -> Any:
                key = f"reliefplan-members-{tag}-{batch[0].inputs.index}-{batch[0].attempt}"
                batches[key] = batch
                return client.submit(run_batch, fn, batch, pure=False, key=key)

            ac = as_completed([submit(b) for b in _batches(tasks, n_workers)])
            for fut in ac:
                batch = batches.pop(fut.key)
                try:
                    got: list[dict[str, Any]] | BaseException = fut.result()
                except Exception as e:  # noqa: BLE001 - a worker died or the task could not run
                    got = e
                retry = _settle(batch, got, rows, tick)
                if retry:
                    ac.add(submit(retry))
        return rows
    finally:
        if cluster is not None:
            cluster.close()


# ---- summary ----------------------------------------------------------------------------


def _pct(values: np.ndarray, method: str = "linear") -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for q in PERCENTILES:
        v = float(np.percentile(values, q, method=method)) if len(values) else math.nan
        out[f"p{q}"] = None if not math.isfinite(v) else v
    return out


def summarise(rows: list[dict[str, Any]], inputs: list[MemberInputs], horizon_days: int) -> dict[str, Any]:
    """P10/P50/P90 of the outcomes, probability each verdict indicator is met, Spearman sensitivity."""
    from scipy.stats import spearmanr

    draws = [(r.get("status") == "ok", r.pop("health_draws", None)) for r in rows]  # never kept per member
    health = pool_members([d for ok_, d in draws if ok_])
    ok = [r for r in rows if r.get("status") == "ok"]
    by_member = {m.index: m for m in inputs}
    cols = sorted({k for r in ok for k in r})
    outcome_cols = [
        c
        for c in cols
        if c in ("displaced", "sheltered", "unsheltered", "clearance_h")
        or c.startswith(("shortfall_t.",) + _DAY_OUTCOMES)
    ]

    def column(c: str) -> np.ndarray:
        return np.array([np.nan if r.get(c) is None else float(r[c]) for r in ok], dtype=float)

    outcomes: dict[str, Any] = {}
    for c in outcome_cols:
        v = column(c)
        if c.startswith(_DAY_OUTCOMES):
            # no shortfall within the horizon counts as later than any day: a null percentile means "none"
            v = np.where(np.isnan(v), np.inf, v)
            outcomes[c] = {
                **_pct(v, "inverted_cdf"),
                "p_shortfall": float(np.mean(np.isfinite(v))) if len(v) else None,
                "n": len(v),
            }
        else:
            fin = v[np.isfinite(v)]
            outcomes[c] = {**_pct(fin), "mean": float(fin.mean()) if len(fin) else None, "n": len(fin)}
    by_day = {}
    for c in outcome_cols:
        if c.startswith("first_shortfall_day."):  # (health days: their percentiles only)
            v = np.where(np.isnan(column(c)), np.inf, column(c))
            by_day[c.split(".", 1)[1]] = [float(np.mean(v > d)) for d in range(horizon_days)] if len(v) else []
    verdict = {}
    for c in cols:
        if c.startswith("met."):
            v = column(c)
            assessed = v[~np.isnan(v)]
            verdict[c[4:]] = {"p_met": float(assessed.mean()) if len(assessed) else None, "n_assessed": len(assessed)}
    names = sorted({k for m in inputs for k in m.inputs})
    x = {n: np.array([by_member[r["member"]].inputs.get(n, np.nan) for r in ok], dtype=float) for n in names}
    sensitivity: dict[str, list[dict[str, Any]]] = {}
    for c in outcome_cols:
        y = column(c)
        if c.startswith(_DAY_OUTCOMES):
            y = np.where(np.isnan(y), horizon_days, y)  # censored at the horizon; ranks stay right
        bars = []
        for n, xv in x.items():
            keep = np.isfinite(xv) & np.isfinite(y)
            if keep.sum() < 3 or np.ptp(xv[keep]) == 0 or np.ptp(y[keep]) == 0:
                continue
            rho = float(spearmanr(xv[keep], y[keep]).statistic)
            if math.isfinite(rho):
                bars.append({"input": n, "spearman_rho": rho})
        sensitivity[c] = sorted(bars, key=lambda b: -abs(b["spearman_rho"]))
    clipped: dict[str, int] = {}
    for m in inputs:
        for k, n in m.clipped.items():
            clipped[k] = clipped.get(k, 0) + n
    failed = [
        {"member": r["member"], "attempts": r.get("attempts"), "error": r.get("error")}
        for r in rows
        if r.get("status") != "ok"
    ]
    return {
        "members": len(rows),
        "ok": len(ok),
        "failed": failed,
        "retried": int(sum(1 for r in rows if (r.get("attempts") or 1) > 1)),
        "conserved_in_every_member": all(bool(r.get("conserved")) for r in ok),
        "clipped_samples": clipped,
        "outcomes": outcomes,
        "p_no_shortfall_through_day": by_day,
        "verdict_p_met": verdict,
        "sensitivity": sensitivity,
        "health_pooled": health,
        "notes": [
            (
                "Percentiles over successful members; first_shortfall_day percentiles are null when no shortfall "
                "happens within the horizon at that percentile."
            ),
            (
                "Sensitivity: Spearman rank correlation of each sampled input with each outcome (tornado data, "
                "largest |rho| first); first shortfall day censored at the horizon."
            ),
            (
                "Samples outside a quantity's range are clipped to it (population >= 0, usable fraction in [0, 1], "
                "trucks >= 0, road capacity factor >= 0.01); clipped_samples counts them per parameter."
            ),
        ],
    }


# ---- the ensemble -----------------------------------------------------------------------


def draw_members(sc: Scenario, runs: int, seed: int) -> list[MemberInputs]:
    """Member inputs from SeedSequence(seed): member i uses child i."""
    spec = sc.uncertainty
    if spec is None:
        raise InputError(
            Problem(
                file=str(sc.folder / SCENARIO_FILE),
                field="uncertainty",
                message=f"scenario '{sc.name}' declares no uncertainty; expected an "
                "'uncertainty:' block (parameters, closures, entry_capacity_bootstrap)",
            )
        )
    observed = None
    if spec.entry_capacity_bootstrap is not None:
        b = spec.entry_capacity_bootstrap
        observed = observed_series(
            folder_file(sc.folder, b.file, field="uncertainty.entry_capacity_bootstrap.file"),
            b.column,
            b.first_date,
            b.last_date,
        )
        missing = [e.id for e in sc.entry_points if e.id not in observed]
        if missing or not observed:
            raise InputError(
                Problem(
                    file=str(sc.folder / b.file),
                    field="entry_point_id",
                    message=f"no observations for entry point(s) {missing}; the bootstrap "
                    f"needs every crossing of the scenario",
                )
            )
    children = np.random.SeedSequence(seed).spawn(runs)
    zone_ids, site_ids = [z.id for z in sc.zones], [s.id for s in sc.sites]
    entry_ids = [e.id for e in sc.entry_points]
    chain_ids, mode_ids = [c.entry_point for c in sc.supply.chain], [e.id for e in sc.supply.entries]
    return [
        sample_member(
            spec,
            i,
            child,
            zone_ids=zone_ids,
            site_ids=site_ids,
            entry_ids=entry_ids,
            days=sc.horizon_days,
            observed=observed,
            chain_ids=chain_ids,
            mode_entry_ids=mode_ids,
        )
        for i, child in enumerate(children)
    ]


def default_workers(runs: int) -> int:
    """One worker per CPU core this process may use, at most one per member, at least 1."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, runs))


def run_ensemble(
    folder: str | Path,
    scenario: str,
    runs: int,
    seed: int = 0,
    *,
    engine: Engine = "local",
    workers: int = 1,
    scheduler: str | None = None,
    dask_local: int | None = None,
    layout: bool | None = None,
    progress: Progress | None = None,
    member_fn: Callable[[MemberTask], dict[str, Any]] = run_member,
) -> EnsembleResult:
    """Run `runs` members of a scenario over its declared uncertainty.

    engine 'local': a process pool of `workers` (1 = in this process); 'dask': the scheduler at `scheduler`
    (tcp://HOST:PORT) or a LocalCluster of `dask_local` workers on loopback. A failed member is retried
    once, then reported in `failed` (its row stays, status 'failed').
    """
    problems = []
    if runs < 1:
        problems.append(Problem(file="--runs", field="runs", message=f"expected at least 1 member, got {runs}"))
    if engine == "local" and workers < 1:
        problems.append(Problem(file="--workers", field="workers", message=f"expected >= 1 worker, got {workers}"))
    if engine == "dask" and scheduler is None and (dask_local is None or dask_local < 1):
        problems.append(
            Problem(
                file="--dask-local",
                field="dask_local",
                message="expected a scheduler address or a LocalCluster size >= 1",
            )
        )
    if problems:
        raise InputError(problems)
    folder = Path(folder).resolve()
    sc = load_scenario(folder, scenario)
    inputs = draw_members(sc, runs, seed)
    tasks = [MemberTask(str(folder), scenario, layout, m) for m in inputs]
    done = [0]

    def tick() -> None:
        done[0] += 1
        if progress is not None:
            progress(done[0], runs)

    if engine == "dask":
        rows = _run_dask(tasks, member_fn, scheduler, dask_local, tick)
    elif workers == 1:
        rows = _run_serial(tasks, member_fn, tick)
    else:
        rows = _run_pool(tasks, member_fn, workers, tick)
    members = []
    for m in inputs:
        row = dict(rows[m.index])
        row.pop("traceback", None)
        row.update({f"input:{k}": v for k, v in m.inputs.items()})
        row["closures"] = json.dumps(m.closures)
        members.append(row)
    summary = summarise(members, inputs, sc.horizon_days)
    summary.update(
        {
            "scenario": scenario,
            "folder": str(folder),
            "runs": runs,
            "seed": seed,
            "engine": engine,
            "workers": dask_local if engine == "dask" and scheduler is None else workers,
            "scheduler": scheduler,
        }
    )
    return EnsembleResult(members=members, summary=summary, failed=summary["failed"])


def _atomic(path: Path, write: Callable[[str], None]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_ensemble(result: EnsembleResult, out_dir: str | Path) -> dict[str, Path]:
    """members.parquet (one row per member: inputs and key results) and summary.json, written atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cols = sorted({k for r in result.members for k in r}, key=lambda k: (k != "member", k))
    table = pa.Table.from_pydict({c: [r.get(c) for r in result.members] for c in cols})
    paths = {"members": out / "members.parquet", "summary": out / "summary.json"}
    _atomic(paths["members"], lambda p: pq.write_table(table, p))
    text = json.dumps(result.summary, indent=2, sort_keys=False, allow_nan=False) + "\n"
    _atomic(paths["summary"], lambda p: Path(p).write_text(text, encoding="utf-8"))
    return paths


__all__ = [
    "EnsembleResult",
    "MemberTask",
    "draw_members",
    "key_results",
    "member_scenario",
    "plan_member",
    "run_ensemble",
    "run_member",
    "shelter_inputs",
    "summarise",
    "write_ensemble",
]


def annotate_verdict(plan: Plan, summary: dict[str, Any]) -> Plan:
    """The plan with each verdict row's probability of being met over the ensemble (`p_met`)."""
    probs = summary.get("verdict_p_met") or {}
    rows = [
        row.model_copy(update={"p_met": (probs.get(f"{row.indicator}@{row.scope}") or {}).get("p_met")})
        for row in plan.verdict
    ]
    return plan.model_copy(update={"verdict": rows})
