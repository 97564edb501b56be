"""Plan runs as background jobs: each run plans in its own folder, progress goes to the store as it happens."""

from __future__ import annotations

import logging
import os
import shutil
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from .._errors import InputError, Problem, ReliefplanError
from ..scenario import SCENARIO_FILE
from ..store import Output, Run, Store, file_digest, iter_files
from .uploads import check_references, unpack

log = logging.getLogger("reliefplan.web")


class Closure(BaseModel):
    """An entry point closed (or throttled) for some days."""

    model_config = ConfigDict(extra="forbid")

    entry_point: str = Field(min_length=1, max_length=100)
    first_day: int = Field(ge=0, le=3650)
    last_day: int = Field(ge=0, le=3650)
    capacity_factor: float = Field(default=0.0, ge=0, le=10)
    reason: str = Field(default="", max_length=500)


class RunParams(BaseModel):
    """Changes to the named scenario for this run; anything left out keeps the scenario's own value."""

    model_config = ConfigDict(extra="forbid")

    profile: str | None = Field(default=None, max_length=100, description="standards profile, e.g. sphere-2018")
    horizon_days: int | None = Field(default=None, ge=1, le=365, description="planning horizon (days)")
    entry_capacity: Literal["declared", "design", "observed"] | None = Field(
        default=None, description="entry-point capacity preset: declared, design or observed (needs a series)")
    layout: bool | None = Field(default=None, description="lay out camps (slower)")
    evacuation: bool | None = Field(default=None, description="time the evacuation")
    supply: bool | None = Field(default=None, description="plan daily deliveries")
    closures: list[Closure] = Field(default=[], max_length=50, description="extra entry-point closures")
    ensemble_runs: int | None = Field(default=None, ge=1, le=1000, description=(
        "run an uncertainty ensemble of this many members over the scenario's `uncertainty:` block instead of "
        "one plan (outputs: members.parquet, summary.json, ensemble.html and the plan with P(met) per row)"))
    ensemble_seed: int = Field(default=0, ge=0, description="seed of the ensemble (same seed, same members)")
    package: str | None = Field(default=None, max_length=200, description=(
        "count the resources of this assistance package (`packages:` in scenario.yaml) in the plan"))
    assess: bool = Field(default=False, description=(
        "test every assistance package of the folder against this scenario instead of one plan (outputs: "
        "assessment.json, assessment.html, pairs/PACKAGE--SCENARIO/plan.json)"))

    @model_validator(mode="after")
    def _one_kind(self) -> "RunParams":
        if sum([bool(self.ensemble_runs), self.assess, self.package is not None and not self.assess]) > 1:
            raise ValueError("choose one of: ensemble_runs, assess, package")
        return self


def _merged(doc: dict[str, Any], settings: dict[str, Any], key: str) -> dict[str, Any]:
    top = doc.get(key) if isinstance(doc.get(key), dict) else {}
    own = settings.get(key) if isinstance(settings.get(key), dict) else {}
    return {**top, **own}  # a scenario's block replaces the top-level one, so start from the effective values


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
        settings["layout"] = {**_merged(doc, settings, "layout"), "enabled": params.layout}
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
    return doc


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
    doc = yaml.safe_load((dst / SCENARIO_FILE).read_text(encoding="utf-8"))
    doc = scenario_yaml_for_run(doc, run.scenario, RunParams.model_validate(run.params))
    (dst / SCENARIO_FILE).write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    check_references(dst)
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
    """Plan one queued run and record its outputs (or its error). Never raises."""
    from ..ensemble import run_ensemble
    from ..output import read_plan
    from ..packages import apply_package, resolve
    from ..pipeline import run as run_pipeline
    from ..products import write_ensemble_run, write_run
    from ..scenario import load_scenario

    if not store.start_run(run_id):
        return
    run = store.get_run(run_id)
    if run is None:
        return
    folder = store.run_dir(run_id) / "input"
    try:
        folder = prepare_input(store, run)
        sc = load_scenario(folder, run.scenario)
        out = store.output_dir(run_id)
        shutil.rmtree(out, ignore_errors=True)
        params = RunParams.model_validate(run.params or {})
        extra: dict[str, Any] = {}
        if params.assess:
            plan, result = _assess(sc, out, run_id, store)
            extra = {"pairs": len(result.pairs), "pairs_passed": sum(p.passed for p in result.pairs)}
        elif params.ensemble_runs:
            res = run_ensemble(folder, run.scenario, params.ensemble_runs, params.ensemble_seed, engine="local",
                               workers=1, progress=lambda k, n: store.set_progress(run_id, f"ensemble member {k}/{n}"))
            write_ensemble_run(sc, res, out, step=lambda msg: store.set_progress(run_id, msg))
            plan = read_plan(out / "plan.json")
        else:
            if params.package is not None:
                sc = apply_package(sc, resolve(sc.packages, params.package, SCENARIO_FILE), params.package)
            done = run_pipeline(sc, progress=lambda msg: store.set_progress(run_id, msg))
            plan = done.plan
            write_run(sc, done, out, lambda msg: store.set_progress(run_id, msg))
        outputs = [Output(p.relative_to(out).as_posix(), p.stat().st_size, file_digest(p)) for p in iter_files(out)]
        failed = [i for i in plan.verdict if i.met is False]
        summary = {"title": plan.scenario_title or plan.scenario, "displaced": plan.people.displaced,
                   "sheltered": plan.people.sheltered, "unsheltered": plan.people.unsheltered,
                   "sites_opened": sum(s.open for s in plan.sites), "sites": len(plan.sites),
                   "indicators_not_met": len(failed),
                   "siting": {"status": plan.siting.status, "gap": plan.siting.gap}, "package": plan.package,
                   **extra}
        store.finish_run(run_id, status="done", outputs=outputs, summary=summary)
    except InputError as e:
        problems = relative_problems(e, folder, store.data_dir)
        store.finish_run(run_id, status="failed", error=_message(problems), problems=problems)
    except ReliefplanError as e:
        store.finish_run(run_id, status="failed", error=str(e).replace(str(folder) + os.sep, ""))
    except Exception as e:  # a bug: keep the server up, record it, log the traceback for the operator
        log.exception("run %s crashed", run_id)
        store.finish_run(run_id, status="error", error=f"internal error ({type(e).__name__}); see the server log")


def _assess(sc: Any, out: Path, run_id: str, store: Store) -> tuple[Any, Any]:
    """Every package of the folder against the run's scenario: the first pair's plan (for the summary) and
    the assessment."""
    from ..assess import assess
    from ..output import write_plan
    from ..products import pair_folder, write_assessment_run

    plans: list[Any] = []

    def keep(pkg: str, scen: str, done: Any) -> None:
        write_plan(done.plan, out / pair_folder(pkg, scen))
        plans.append(done.plan)

    result = assess({sc.name: sc}, list(sc.packages), on_plan=keep,
                    progress=lambda msg: store.set_progress(run_id, f"assessing {msg}"))
    write_assessment_run(result, out)
    return plans[0], result


class Jobs:
    """A small pool of worker threads planning queued runs."""

    def __init__(self, store: Store, workers: int = 2):
        self.store = store
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="reliefplan-run")
        self._futures: dict[str, Future[None]] = {}
        self._lock = threading.Lock()

    def submit(self, run_id: str) -> None:
        fut = self._pool.submit(execute, self.store, run_id)
        with self._lock:
            self._futures[run_id] = fut
        fut.add_done_callback(lambda _f: self._forget(run_id))

    def _forget(self, run_id: str) -> None:
        with self._lock:
            self._futures.pop(run_id, None)

    def active(self) -> int:
        with self._lock:
            return len(self._futures)

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=True)
