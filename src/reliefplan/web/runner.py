"""Plan runs as background jobs: each run plans in its own folder, progress goes to the store as it happens."""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import shutil
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from .._errors import InputError, Problem, ReliefplanError
from ..scenario._inputs import load_yaml
from ..scenario.config import layout_update
from ..scenario.folder import SCENARIO_FILE, load_scenario
from ..store import Output, Run, Store, file_digest, iter_files
from .progress import Tracker
from .uploads import unpack

log = logging.getLogger("reliefplan.web")


class Closure(BaseModel):
    """An entry point closed (or throttled) for some days."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    entry_point: str = Field(min_length=1, max_length=100)
    first_day: int = Field(ge=0, le=3650)
    last_day: int = Field(ge=0, le=3650)
    capacity_factor: float = Field(default=0.0, ge=0, le=1)  # share of capacity left, as scenario.yaml allows
    reason: str = Field(default="", max_length=500)


class RunParams(BaseModel):
    """Changes to the named scenario for this run; anything left out keeps the scenario's own value."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    profile: str | None = Field(default=None, max_length=100, description="standards profile, e.g. sphere-2018")
    horizon_days: int | None = Field(default=None, ge=1, le=365, description="planning horizon (days)")
    entry_capacity: Literal["declared", "design", "observed"] | None = Field(
        default=None, description="entry-point capacity preset: declared, design or observed (needs a series)"
    )
    layout: bool | None = Field(
        default=None, description="draw the camps' layouts (slower); not drawn, a site's capacity is still its layout's"
    )
    evacuation: bool | None = Field(default=None, description="time the evacuation")
    supply: bool | None = Field(default=None, description="plan daily deliveries")
    closures: list[Closure] = Field(default=[], max_length=50, description="extra entry-point closures")
    ensemble_runs: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description=(
            "run an uncertainty ensemble of this many members over the scenario's `uncertainty:` block instead of "
            "one plan (outputs: members.parquet, summary.json, ensemble.html and the plan with P(met) per row)"
        ),
    )
    ensemble_seed: int = Field(
        default=0, ge=0, le=2**63 - 1, description="seed of the ensemble (same seed, same members)"
    )
    package: str | None = Field(
        default=None,
        max_length=200,
        description=("count the resources of this assistance package (`packages:` in scenario.yaml) in the plan"),
    )
    assess: bool = Field(
        default=False,
        description=(
            "test every assistance package of the folder against this scenario instead of one plan (outputs: "
            "assessment.json, assessment.html, pairs/PACKAGE--SCENARIO/plan.json)"
        ),
    )

    @model_validator(mode="after")
    def _one_kind(self) -> "RunParams":
        if sum([bool(self.ensemble_runs), self.assess, self.package is not None and not self.assess]) > 1:
            raise ValueError("choose one of: ensemble_runs, assess, package")
        return self


def _merged(doc: dict[str, Any], settings: dict[str, Any], key: str) -> dict[str, Any]:
    top, own = doc.get(key), settings.get(key)
    # a scenario's block replaces the top-level one, so start from the effective values
    return {
        **(top if isinstance(top, dict) else {}),
        **(own if isinstance(own, dict) else {}),
    }  # a scenario's block replaces the top-level one, so start from the effective values


def scenario_yaml_for_run(doc: dict[str, Any], scenario: str, params: RunParams) -> dict[str, Any]:
    """scenario.yaml with the run's parameters written into the named scenario's settings."""
    doc = dict(doc)
    scenarios = dict(doc.get("scenarios") or {})
    settings = dict(scenarios.get(scenario) or {})
    if params.profile is not None:
        std = _merged(doc, settings, "standards")
        settings["standards"] = {**std, "profile": params.profile}
    if params.horizon_days is not None:
        settings["horizon_days"] = params.horizon_days
    if params.layout is not None:
        # as `ensemble --no-layout`: not drawn, a site's capacity is still its layout's
        settings["layout"] = {**_merged(doc, settings, "layout"), **layout_update(params.layout)}
    if params.evacuation is not None:
        settings["evacuation"] = {**_merged(doc, settings, "evacuation"), "enabled": params.evacuation}
    if params.entry_capacity is not None or params.supply is not None or params.closures:
        supply = _merged(doc, settings, "supply")
        if params.entry_capacity is not None:
            supply["entry_capacity"] = params.entry_capacity
        if params.supply is not None:
            supply["enabled"] = params.supply
        if params.closures:
            supply["disruptions"] = list(supply.get("disruptions") or []) + [c.model_dump() for c in params.closures]
        settings["supply"] = supply
    scenarios[scenario] = settings
    doc["scenarios"] = scenarios
    if params.horizon_days is not None and not params.assess and isinstance(doc.get("packages"), dict):
        # every package in the folder is checked against the horizon (issue 11: a resource available after it is
        # an input error), so a shorter horizon chosen here would fail on packages this run never applies (the
        # Rafah example's pier opens on day 11): the run's copy keeps only the one it applies, with its bases
        doc["packages"] = _applied_packages(doc["packages"], params.package)
    return doc


def _applied_packages(packages: dict[str, Any], name: str | None) -> dict[str, Any]:
    """``name`` and the packages it extends (none when ``name`` is None); unknown names are left for the loader
    to report."""
    kept: dict[str, Any] = {}
    while name is not None and name in packages and name not in kept:
        kept[name] = packages[name]
        base = packages[name].get("extends") if isinstance(packages[name], dict) else None
        name = base if isinstance(base, str) else None
    return kept


def ensure_upload_dir(store: Store, upload_id: str) -> Path:
    """The extracted upload; re-extracted from the zip kept in the database when the folder is gone."""
    folder = store.upload_dir(upload_id)
    if not (folder / SCENARIO_FILE).is_file():
        data = store.upload_zip(upload_id)
        if data is None:
            raise InputError(Problem(file="upload", feature=upload_id, message="no such upload"))
        shutil.rmtree(folder, ignore_errors=True)
        unpack(data, folder)
    return folder


def prepare_input(store: Store, run: Run) -> Path:
    """Copy the upload into the run's own folder, with the run's parameters applied to scenario.yaml."""
    src = ensure_upload_dir(store, run.upload_id)
    dst = store.run_dir(run.id) / "input"
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, symlinks=False)
    doc = load_yaml(dst / SCENARIO_FILE)
    if not isinstance(doc, dict):
        raise InputError(Problem(file=SCENARIO_FILE, message="expected a YAML mapping at the top level"))
    doc = scenario_yaml_for_run(doc, run.scenario, RunParams.model_validate(run.params))
    (dst / SCENARIO_FILE).write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return dst


def relative_problems(e: InputError, *folders: Path) -> list[dict[str, Any]]:
    """The problems as dicts, with server folders cut from file names (users see their own paths only)."""
    out = []
    for p in e.problems:
        f = p.file
        for folder in folders:
            prefix = str(folder.resolve()) + os.sep
            f = f.replace(prefix, "")
            prefix = str(folder) + os.sep
            f = f.replace(prefix, "")
        out.append({"file": f, "feature": p.feature, "field": p.field, "message": p.message})
    return out


def _message(problems: list[dict[str, Any]]) -> str:
    return "\n".join(str(Problem(**p)) for p in problems)


def execute(store: Store, run_id: str) -> None:
    """Plan one queued run and record its outputs (or its error), in this process. Never raises."""
    if store.start_run(run_id):
        execute_started(store, run_id)


def execute_started(store: Store, run_id: str) -> None:
    """Plan a run already marked running; record its outputs or its error. Never raises."""
    from ..analysis.headline import assessment_lines, headline
    from ..analysis.packages import apply_package
    from ..outputs.files import output_set
    from ..outputs.products import write_run
    from ..pipeline import run as run_pipeline
    from ..scenario.packages import resolve

    run = store.get_run(run_id)
    if run is None:
        return
    folder = store.run_dir(run_id) / "input"

    def report(message: str, share: float | None) -> None:
        store.set_progress(run_id, message, share)

    try:
        params = RunParams.model_validate(run.params or {})
        kind = "assess" if params.assess else "ensemble" if params.ensemble_runs else "plan"
        step = Tracker(report, kind)
        step("loading the scenario")
        folder = prepare_input(store, run)
        sc = load_scenario(folder, run.scenario)
        out = store.output_dir(run_id)
        extra: dict[str, Any] = {}
        if params.assess:
            step.pairs = len(sc.packages)
            with output_set(out) as tmp:
                plan, result = _assess(sc, tmp, step)
            extra = {
                "pairs": len(result.pairs),
                "pairs_passed": sum(p.passed for p in result.pairs),
                "assessment": assessment_lines([p.model_dump(mode="json") for p in result.pairs]),
            }
        elif params.ensemble_runs:
            plan, extra = _ensemble(sc, folder, run.scenario, params.ensemble_runs, params.ensemble_seed, out, step)
        else:
            if params.package is not None:
                sc = apply_package(sc, resolve(sc.packages, params.package, SCENARIO_FILE), params.package)
            done = run_pipeline(sc, progress=step)
            plan = done.plan
            write_run(sc, done, out, step)
        outputs = [Output(p.relative_to(out).as_posix(), p.stat().st_size, file_digest(p)) for p in iter_files(out)]
        h = headline(plan)
        summary = {
            "title": plan.scenario_title or plan.scenario,
            "displaced": plan.people.displaced,
            "sheltered": plan.people.sheltered,
            "unsheltered": plan.people.unsheltered,
            "sites_opened": sum(s.open for s in plan.sites),
            "sites": len(plan.sites),
            "indicators_not_met": h.failed,
            "checks": h.checked,
            "siting": {"status": plan.siting.status, "gap": plan.siting.gap},
            "package": plan.package,
            "headline": None if params.assess else h.model_dump(mode="json"),
            **extra,
        }
        store.finish_run(run_id, status="done", outputs=outputs, summary=summary)
    except InputError as e:
        problems = relative_problems(e, folder, store.data_dir)
        store.finish_run(run_id, status="failed", error=_message(problems), problems=problems)
    except ReliefplanError as e:
        store.finish_run(run_id, status="failed", error=str(e).replace(str(folder) + os.sep, ""))
    except Exception as e:  # a bug: keep the server up, record it, log the traceback for the operator
        log.exception("run %s crashed", run_id)
        store.finish_run(run_id, status="error", error=f"internal error ({type(e).__name__}); see the server log")


def _ensemble(
    sc: Any, folder: Path, scenario: str, runs: int, seed: int, out: Path, step: Any
) -> tuple[Any, dict[str, Any]]:
    """The run's uncertainty ensemble of ``runs`` members, in this process: its plan (read back from plan.json, for
    the summary) and the summary's ensemble headline."""
    from ..analysis.ensemble import run_ensemble
    from ..analysis.headline_ensemble import ensemble_lines
    from ..outputs.files import read_plan
    from ..outputs.products import write_ensemble_run

    res = run_ensemble(
        folder,
        scenario,
        runs,
        seed,
        engine="local",
        workers=1,
        progress=lambda k, n: step(f"ensemble member {k}/{n}"),
    )
    write_ensemble_run(sc, res, out, step=step)
    return read_plan(out / "plan.json"), {"ensemble": ensemble_lines(res.summary)}


def _assess(sc: Any, out: Path, step: Any) -> tuple[Any, Any]:
    """Every package of the folder against the run's scenario: the first pair's plan (for the summary) and
    the assessment."""
    from ..analysis.assess import assess
    from ..outputs.files import write_plan
    from ..outputs.products import pair_folder, write_assessment_run

    plans: list[Any] = []

    def keep(pkg: str, scen: str, done: Any) -> None:
        write_plan(done.plan, out / pair_folder(pkg, scen))
        plans.append(done.plan)

    result = assess({sc.name: sc}, list(sc.packages), on_plan=keep, progress=lambda msg: step(f"assessing {msg}"))
    write_assessment_run(result, out)
    return plans[0], result


def _child(url: str, data_dir: str, run_id: str) -> None:
    """Entry point of a run's own process: its own database connection, then the run."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C on the server stops the server; it ends its runs
    store = Store(url, Path(data_dir), upgrade=False)
    try:
        execute_started(store, run_id)
    finally:
        store.close()


def _context() -> Any:
    """forkserver: children fork from a clean server that has reliefplan imported (fast, and never a fork of
    the web server's threads); spawn where there is no forkserver."""
    methods = mp.get_all_start_methods()
    if "forkserver" not in methods:
        return mp.get_context("spawn")
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(
        [
            "reliefplan.pipeline",
            "reliefplan.outputs.products",
            "reliefplan.analysis.ensemble",
            "reliefplan.analysis.assess",
            "reliefplan.web.runner",
        ]
    )
    return ctx


class Jobs:
    """Plan runs, each in a process of its own (so that cancelling one really stops it), at most `workers` at
    once; queued runs wait in a thread pool whose threads each watch one run's process."""

    def __init__(self, store: Store, workers: int = 2, *, grace_s: float = 5.0):
        self.store = store
        self.grace_s = grace_s
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="reliefplan-run")
        self._futures: dict[str, Future[None]] = {}
        self._procs: dict[str, Any] = {}
        self._cancelled: set[str] = set()
        self._lock = threading.Lock()
        self._ctx = _context()
        self._stopping = False

    def submit(self, run_id: str) -> None:
        fut = self._pool.submit(self._run, run_id)
        with self._lock:
            self._futures[run_id] = fut
        fut.add_done_callback(lambda _f: self._forget(run_id))

    def _run(self, run_id: str) -> None:
        with self._lock:
            if self._stopping or run_id in self._cancelled or not self.store.start_run(run_id):
                return
            proc = self._ctx.Process(
                target=_child,
                args=(self.store.url, str(self.store.data_dir), run_id),
                name=f"reliefplan-run-{run_id[:8]}",
            )
            proc.start()
            self._procs[run_id] = proc
        proc.join()
        with self._lock:
            self._procs.pop(run_id, None)
            cancelled = run_id in self._cancelled
        if cancelled:
            self.store.cancel_run(run_id)
            _remove_partial_outputs(self.store, run_id)
        elif self._stopping:
            self.store.finish_run(
                run_id,
                status="interrupted",
                only_active=True,
                error="the server stopped before this run finished; start it again",
            )
        elif proc.exitcode != 0:
            log.error("run %s: its process ended with exit code %s", run_id, proc.exitcode)
            self.store.finish_run(
                run_id,
                status="error",
                only_active=True,
                error=f"internal error (the run's process ended with exit code {proc.exitcode}; "
                "out of memory?); see the server log",
            )

    def cancel(self, run_id: str) -> bool:
        """Stop a queued or running run: a queued one never starts, a running one's process is terminated
        (killed after `grace_s`). False when the run is not active in this server."""
        with self._lock:
            fut, proc = self._futures.get(run_id), self._procs.get(run_id)
            if fut is None and proc is None:
                return False
            self._cancelled.add(run_id)
        if proc is not None:
            proc.terminate()
            proc.join(self.grace_s)
            if proc.is_alive():
                proc.kill()
        elif fut is not None and fut.cancel():
            self.store.cancel_run(run_id)
        return True

    def _forget(self, run_id: str) -> None:
        with self._lock:
            self._futures.pop(run_id, None)
            self._cancelled.discard(run_id)

    def active(self) -> int:
        with self._lock:
            return len(self._futures)

    def pid(self, run_id: str) -> int | None:
        """The process id of a running run (None when it is not running here)."""
        with self._lock:
            proc = self._procs.get(run_id)
        return None if proc is None else proc.pid

    def shutdown(self, wait: bool = True) -> None:
        """Stop taking runs and end the running ones (the next start marks them interrupted)."""
        with self._lock:
            self._stopping = True
            procs = list(self._procs.values())
        self._pool.shutdown(wait=False, cancel_futures=True)
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.join(self.grace_s)
            if proc.is_alive():
                proc.kill()
        if wait:
            self._pool.shutdown(wait=True)


def _remove_partial_outputs(store: Store, run_id: str) -> None:
    """The temporary output set a terminated run was writing (its final folder is never half-written)."""
    for p in store.run_dir(run_id).glob(".out.tmp-*"):
        shutil.rmtree(p, ignore_errors=True)
