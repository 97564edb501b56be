"""Ensembles: the plan run N times over a scenario's declared uncertainty, on a process pool or a Dask cluster.

Member i draws its inputs from child i of ``numpy.random.SeedSequence(seed)`` in the parent, so a seed gives
the same members, and the same results, on every engine and any worker count. Workers load the scenario once
and keep the walking network and travel-time matrices (travel.TravelCache) across the members they run.
One member: ``ensemble_member``; engines: ``ensemble_engines``; the summary: ``ensemble_summary``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .._cpus import usable_cpus
from .._errors import InputError, Problem
from ..plan import Plan
from ..scenario._inputs import folder_file
from ..scenario._uncertainty import observed_series
from ..scenario.folder import SCENARIO_FILE, Scenario, load_scenario
from .ensemble_engines import _run_dask, _run_pool, _run_serial
from .ensemble_member import (
    SUPPLY_MODES,
    MemberTask,
    key_results,
    member_scenario,
    plan_member,
    run_member,
    shelter_inputs,
)
from .ensemble_summary import summarise
from .sampling import MemberInputs, sample_member

Engine = Literal["local", "dask"]
Progress = Callable[[int, int], None]  # (members finished, members in all)


@dataclass
class EnsembleResult:
    """Per-member rows (inputs and key results, failed members included) and the summary."""

    members: list[dict[str, Any]]
    summary: dict[str, Any]
    failed: list[dict[str, Any]] = field(default_factory=list)


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
    return max(1, min(usable_cpus(), runs))


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
    supply: str = "plan",
) -> EnsembleResult:
    """Run `runs` members of a scenario over its declared uncertainty.

    engine 'local': a process pool of `workers` (1 = in this process); 'dask': the scheduler at `scheduler`
    (tcp://HOST:PORT) or a LocalCluster of `dask_local` workers on loopback. A failed member is retried
    once, then reported in `failed` (its row stays, status 'failed').
    supply: 'plan' (each member's supply LP over the horizon, knowing its draws) or 'operate' (day by day without
    foresight: `ensemble_member.plan_member`).
    """
    _check_arguments(runs, engine, workers, scheduler, dask_local, supply)
    folder = Path(folder).resolve()
    sc = load_scenario(folder, scenario)
    inputs = draw_members(sc, runs, seed)
    tasks = [MemberTask(str(folder), scenario, layout, m, supply=supply) for m in inputs]
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
    summary = _summary(
        members,
        inputs,
        sc.horizon_days,
        scenario=scenario,
        folder=folder,
        runs=runs,
        seed=seed,
        engine=engine,
        workers=dask_local if engine == "dask" and scheduler is None else workers,
        scheduler=scheduler,
        supply=supply,
    )
    return EnsembleResult(members=members, summary=summary, failed=summary["failed"])


def _check_arguments(
    runs: int, engine: Engine, workers: int, scheduler: str | None, dask_local: int | None, supply: str
) -> None:
    """Raise an InputError naming each of run_ensemble's arguments that is out of range."""
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
    if supply not in SUPPLY_MODES:
        problems.append(
            Problem(
                file="--supply", field="supply", message=f"expected one of {', '.join(SUPPLY_MODES)}, got {supply!r}"
            )
        )
    if problems:
        raise InputError(problems)


#: what members knew of their crossings, by supply mode (a note of the summary)
_FORESIGHT_NOTES = {
    "operate": (
        "Members' supply operated day by day without foresight (--supply operate): each day's crossings admit "
        "that day's trucks, loaded with the day's lack (most deprivation per truckload first), then the declared "
        "plan's cargo mix into free storage; no member knows its closures or daily trucks in advance. With "
        "--supply plan (the default) each member re-plans over the horizon knowing them: an upper bound."
    ),
    "plan": (
        "Each member is planned knowing its own draws from day 0 (its sampled closures, its daily truck counts): "
        "its supply plan stocks goods ahead of a closure nobody could foresee. Shortfalls, first shortfall days "
        "and p_met are therefore the best those crossings allow, kinder than operating day by day without "
        "foresight (--supply operate runs the members that way)."
    ),
}


def _summary(
    members: list[dict[str, Any]],
    inputs: list[MemberInputs],
    horizon_days: int,
    *,
    scenario: str,
    folder: Path,
    runs: int,
    seed: int,
    engine: Engine,
    workers: int | None,
    scheduler: str | None,
    supply: str,
) -> dict[str, Any]:
    """The members' summary (`summarise`) with how the ensemble was run and a note on what members knew of their
    crossings (``_FORESIGHT_NOTES``)."""
    summary = summarise(members, inputs, horizon_days)
    summary.update(
        {
            "scenario": scenario,
            "folder": str(folder),
            "runs": runs,
            "seed": seed,
            "engine": engine,
            "workers": workers,
            "scheduler": scheduler,
            "supply": supply,
        }
    )
    summary["notes"].append(_FORESIGHT_NOTES[supply])  # supply checked by _check_arguments
    return summary


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
