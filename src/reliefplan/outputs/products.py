"""Everything a plan run writes next to plan.json, in one place for the CLI and the web app."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ..pipeline import PlanRun
from ..scenario.folder import Scenario
from ..solvers.layout import write_layout_gpkg
from .files import moved, output_set, write_geojson, write_plan
from .layers import plan_layers
from .report import read_attribution, write_ensemble_report, write_plan_products


def write_run(sc: Scenario, done: PlanRun, out: Path, step: Callable[[str], None] | None = None) -> list[Path]:
    """The output folder of a plan as a set (see `output.output_set`): plan.json, flows/bottlenecks GeoJSON,
    layout.gpkg, plan.gpkg, tables and report.html."""
    with output_set(out) as tmp:
        return moved(write_run_files(sc, done, tmp, step), tmp, out)


def write_run_files(sc: Scenario, done: PlanRun, out: Path, step: Callable[[str], None] | None = None) -> list[Path]:
    """plan.json first, then flows/bottlenecks GeoJSON, layout.gpkg, plan.gpkg, tables and report.html."""
    step = step or (lambda _msg: None)
    out = Path(out)
    step("writing plan.json")
    paths = [write_plan(done.plan, out)]
    layers = plan_layers(sc, done.plan, done.layouts)
    paths.append(write_geojson(layers["flows"], out / "flows.geojson"))
    if "bottlenecks" in layers:
        paths.append(write_geojson(layers["bottlenecks"], out / "bottlenecks.geojson"))
    if done.layouts:
        step("writing layout.gpkg")
        write_layout_gpkg(done.layouts, out / "layout.gpkg", sc.crs)
        paths.append(out / "layout.gpkg")
    step("writing report.html, plan.gpkg and tables")
    return paths + write_plan_products(done.plan, layers, out, attribution=read_attribution(sc.folder))


def write_ensemble_run(
    sc: Scenario, result: Any, out: Path, *, base_plan: bool = True, step: Callable[[str], None] | None = None
) -> list[Path]:
    """members.parquet, summary.json, ensemble.html and (base_plan) the declared scenario's plan with each
    verdict row's probability of being met. `result` is an ensemble.EnsembleResult."""
    from ..analysis.ensemble import annotate_verdict, write_ensemble
    from ..pipeline import run

    with output_set(out) as tmp:
        written = write_ensemble(result, tmp)
        done = None
        if base_plan:
            done = run(sc, progress=step)
            done.plan = annotate_verdict(done.plan, result.summary)
        paths = [
            written["members"],
            written["summary"],
            write_ensemble_report(result.summary, tmp, plan=None if done is None else done.plan),
        ]
        if done is not None:
            paths += write_run_files(sc, done, tmp, step)
        return moved(paths, tmp, out)


def pair_folder(package: str, scenario: str) -> str:
    """Where one (package, scenario) pair's plan.json goes, relative to the assessment folder."""
    return f"pairs/{package}--{scenario}"


def write_assessment_run(assessment: Any, out: Path) -> list[Path]:
    """assessment.json (see `assess.Assessment`) and assessment.html next to the pairs' plans."""
    from .files import write_text_atomic
    from .report import write_assessment_report

    out = Path(out)
    data = assessment.model_dump(mode="json")
    path = out / "assessment.json"
    import json

    write_text_atomic(path, json.dumps(data, indent=2, allow_nan=False) + "\n")
    return [path, write_assessment_report(data, out)]
