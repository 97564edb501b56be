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
import traceback
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ._errors import InputError, Problem
from ._uncertainty import MemberInputs, observed_series, sample_member
from .scenario import SCENARIO_FILE, Scenario, load_scenario

Engine = Literal["local", "dask"]
Progress = Callable[[int, int], None]  # (members finished, members in all)
PERCENTILES = (10, 50, 90)


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
    from .travel import TravelCache

    key = (folder, name, layout)
    if key not in _STATE:
        sc = load_scenario(folder, name)
        if layout is not None:
            sc.layout = sc.layout.model_copy(update={"enabled": layout})
        _STATE[key] = (sc, TravelCache())
    return _STATE[key]


def member_scenario(sc: Scenario, m: MemberInputs) -> Scenario:
    """The base scenario with one member's draws applied (shallow copies: geometry and roads are shared)."""
    zones = [z.model_copy(update={"population": max(0, int(round(z.population * m.population_factor[z.id])))})
             if z.id in m.population_factor else z for z in sc.zones]
    sites = [s.model_copy(update={"usable_fraction": m.usable_fraction[s.id]}) if s.id in m.usable_fraction else s
             for s in sc.sites]
    entries = [e.model_copy(update={"trucks_per_day": m.trucks_per_day[e.id]}) if e.id in m.trucks_per_day else e
               for e in sc.entry_points]
    from .scenario import DisruptionSpec

    extra = [DisruptionSpec(entry_point=e, first_day=a, last_day=b, capacity_factor=f,
                            reason="sampled closure (ensemble)") for e, a, b, f in m.closures]
    supply_update: dict[str, Any] = {"disruptions": list(sc.supply.disruptions) + extra}
    update: dict[str, Any] = {"zones": zones, "sites": sites, "entry_points": entries,
                              "road_capacity_factor": m.road_capacity_factor}
    if m.observed_trucks is not None:
        supply_update["entry_capacity"] = "observed"
        update["observed_trucks"] = {k: np.asarray(v, dtype=float) for k, v in m.observed_trucks.items()}
    update["supply"] = sc.supply.model_copy(update=supply_update)
    return sc.model_copy(update=update)


def key_results(plan: Any) -> dict[str, Any]:
    """The numbers an ensemble keeps of a plan (NaN = not computed / no shortfall within the horizon)."""
    p = plan.people
    out: dict[str, Any] = {"population": p.population, "displaced": p.displaced, "sheltered": p.sheltered,
                           "unsheltered": p.unsheltered, "siting_status": plan.siting.status,
                           "conserved": bool(p.sheltered + p.unsheltered == p.displaced)}
    ev = plan.evacuation or {}
    clear = ev.get("clearance_hours", ev.get("clearance_h"))
    out["clearance_h"] = math.nan if clear is None else float(clear)
    if plan.supply:
        s = plan.supply
        out["supply_status"] = s.get("status")
        out["supply_residual_t"] = float(s.get("max_conservation_residual_t") or 0.0)
        for k, v in s["shortfall_t"].items():
            out[f"shortfall_t.{k}"] = float(v)
        for k, v in s["required_t"].items():
            out[f"required_t.{k}"] = float(v)
        for k, v in s["first_shortfall_day"].items():
            out[f"first_shortfall_day.{k}"] = math.nan if v is None else float(v)
        out["shortfall_t.total"] = float(sum(s["shortfall_t"].values()))
    for row in plan.verdict:
        out[f"met.{row.indicator}@{row.scope}"] = math.nan if row.met is None else float(row.met)
    return out


def run_member(task: MemberTask) -> dict[str, Any]:
    """One member: never raises; a failure comes back as status 'failed' with the error."""
    from .pipeline import run

    row: dict[str, Any] = {"member": task.inputs.index, "attempts": task.attempt}
    try:
        sc, cache = _base(task.folder, task.scenario, task.layout)
        plan = run(member_scenario(sc, task.inputs), cache=cache).plan
        row.update(key_results(plan))
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
    return {"member": task.inputs.index, "attempts": task.attempt, "status": "failed",
            "error": f"{type(exc).__name__}: {exc}"}


def _run_serial(tasks: list[MemberTask], fn: Callable[[MemberTask], dict[str, Any]],
                tick: Callable[[], None]) -> dict[int, dict[str, Any]]:
    rows: dict[int, dict[str, Any]] = {}
    for task in tasks:
        t: MemberTask | None = task
        while t is not None:
            t = _retry_or_keep(fn(t), t, rows)
        tick()
    return rows


def _run_pool(tasks: list[MemberTask], fn: Callable[[MemberTask], dict[str, Any]], workers: int,
              tick: Callable[[], None]) -> dict[int, dict[str, Any]]:
    rows: dict[int, dict[str, Any]] = {}
    # spawn: the solvers start threads, and forking a threaded parent can deadlock
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        pending: dict[Future, MemberTask] = {pool.submit(fn, t): t for t in tasks}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                task = pending.pop(fut)
                exc = fut.exception()
                again = _retry_or_keep(_failed_row(task, exc) if exc else fut.result(), task, rows)
                if again is None:
                    tick()
                else:
                    pending[pool.submit(fn, again)] = again
    return rows


def _run_dask(tasks: list[MemberTask], fn: Callable[[MemberTask], dict[str, Any]], scheduler: str | None,
              dask_local: int | None, tick: Callable[[], None]) -> dict[int, dict[str, Any]]:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:  # pragma: no cover - optional dependency
        raise InputError(Problem(file="--scheduler", message="Dask is not installed; pip install 'dask[distributed]'"))
    cluster = None
    try:
        if scheduler is not None:
            try:
                client = Client(scheduler, timeout="10s")
            except (OSError, TimeoutError, ValueError) as e:
                raise InputError(Problem(file="--scheduler", field="scheduler",
                                         message=f"cannot reach the Dask scheduler at {scheduler!r} "
                                                 f"(expected tcp://HOST:PORT of a running scheduler): {e}")) from None
        else:
            cluster = LocalCluster(n_workers=dask_local, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address=None)
            client = Client(cluster)
        rows: dict[int, dict[str, Any]] = {}
        with client:
            futs = {}
            for t in tasks:
                f = client.submit(fn, t, pure=False, key=f"reliefplan-member-{t.inputs.index}-{t.attempt}")
                futs[f.key] = t
            ac = as_completed(list(client.futures_of(list(futs)) if False else []))
            ac = as_completed([client.submit(lambda x: x, None, pure=False)] if False else [])
            ac.update(_futures(client, futs))
            for fut in ac:
                task = futs.pop(fut.key)
                try:
                    row = fut.result()
                except Exception as e:  # noqa: BLE001 - a worker died or the task could not run
                    row = _failed_row(task, e)
                again = _retry_or_keep(row, task, rows)
                if again is None:
                    tick()
                else:
                    f = client.submit(fn, again, pure=False, key=f"reliefplan-member-{again.inputs.index}-2")
                    futs[f.key] = again
                    ac.add(f)
        return rows
    finally:
        if cluster is not None:
            cluster.close()
