"""report.html, comparison.html, ensemble.html and assessment.html: self-contained, offline pages with maps,
charts, the verdict and (assessment) a package x scenario heat map.

Leaflet and Chart.js are shipped as package data (``assets/``) and inlined into each page together with
the plan's layers as GeoJSON, so the page opens from a USB stick with no network: no tiles, no CDN.

The package: this module renders report.html and comparison.html; ``ensemble`` and ``assessment`` their pages;
``page`` what every page shares (assets, the Jinja environment, safe JSON); ``views`` what report.html shows as
plain data, with ``core`` (the core plan's charts), ``generic`` (a section no view knows) and one module per
stage family (``stages`` names them: ``evacuation``, ``supply``, ``layouts``, ``movement``; ``settlement``,
``phases``), built from ``blocks``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from ...analysis.compare import compare
from ...plan import Plan
from ..export import optional_sections
from ..files import write_text_atomic
from ..layers import Layer
from . import core, views
from .assessment import ASSESSMENT_COLOURS, assessment_level, render_assessment, write_assessment_report
from .ensemble import render_ensemble, write_ensemble_report
from .page import _common, _env, _icons, _markdown, _ready, _script_json

ATTRIBUTION_FILE = "ATTRIBUTION.md"

__all__ = [
    "write_report",
    "write_comparison",
    "render_report",
    "render_comparison",
    "read_attribution",
    "write_plan_products",
    "write_comparison_from_files",
    "render_ensemble",
    "write_ensemble_report",
    "render_assessment",
    "write_assessment_report",
    "assessment_level",
    "ASSESSMENT_COLOURS",
]


def read_attribution(scenario_dir: Path) -> str | None:
    """The scenario folder's ATTRIBUTION.md, or None when there is none."""
    p = Path(scenario_dir) / ATTRIBUTION_FILE
    return p.read_text(encoding="utf-8") if p.is_file() else None


def _absent_charts(plan: Plan, *more: Plan) -> list[tuple[str, str]]:
    present = set(optional_sections(plan))
    for p in more:
        present &= set(optional_sections(p))
    return [(title, section) for title, section in views.EXPECTED_CHARTS if section not in present]


def render_report(
    plan: Plan, layers: Mapping[str, Layer], *, attribution: str | None = None, files: Sequence[str] = ()
) -> str:
    """The report page as one HTML string (see `write_report`)."""
    from ...analysis.headline import headline

    sections, missing = views.sections(plan)
    charts = _ready(core.core_charts(plan) + [c for s in sections for c in s["charts"]])
    omitted = core.core_omitted(plan) + [o for s in sections for o in s["omitted"]]
    data = {"maps": [{"id": "map", "layers": views.map_layers(layers)}], "charts": charts, "icons": _icons()}
    return (
        _env()
        .get_template("report.html.j2")
        .render(
            plan=plan,
            headline=headline(plan),
            kpis=views.kpis(plan),
            charts=charts,
            absent_charts=_absent_charts(plan),
            omitted=omitted,
            verdict=views.verdict_view(plan),
            needs=views.needs_rows(plan),
            sites=views.site_rows(plan),
            sections=sections,
            missing=missing,
            attribution_html=_markdown(attribution),
            files=list(files),
            data_json=_script_json(data),
            **_common(plan.reliefplan_version),
        )
    )


def write_report(
    plan: Plan, layers: Mapping[str, Layer], out_dir: Path, *, attribution: str | None = None, files: Sequence[str] = ()
) -> Path:
    """Write out_dir/report.html: map of every layer, charts, verdict with sources, needs, assumptions and
    attribution (markdown text, e.g. the scenario's ATTRIBUTION.md). `files` are links to list (relative paths)."""
    path = Path(out_dir) / "report.html"
    write_text_atomic(path, render_report(plan, layers, attribution=attribution, files=files))
    return path


def _labels(a: Plan, b: Plan) -> tuple[str, str]:
    if a.scenario != b.scenario:
        return a.scenario, b.scenario
    return f"A ({a.scenario})", f"B ({b.scenario})"


def render_comparison(
    plan_a: Plan,
    layers_a: Mapping[str, Layer],
    plan_b: Plan,
    layers_b: Mapping[str, Layer],
    *,
    attribution: str | None = None,
) -> str:
    """The comparison page as one HTML string (see `write_comparison`)."""
    from ...analysis.headline import headline

    name_a, name_b = _labels(plan_a, plan_b)
    secs_a, _ = views.sections(plan_a)
    secs_b, _ = views.sections(plan_b)
    # a chart of each plan's own worst cases (different categories in A and B) does not overlay
    ca = [c for c in core.core_charts(plan_a) + [c for s in secs_a for c in s["charts"]] if c.get("compare", True)]
    cb = [c for c in core.core_charts(plan_b) + [c for s in secs_b for c in s["charts"]] if c.get("compare", True)]
    charts = _ready(views.overlay_charts(ca, cb, name_a, name_b))
    sources: dict[str, int] = {}
    va, vb = views.verdict_view(plan_a, sources), views.verdict_view(plan_b, sources)
    data = {
        "maps": [
            {"id": "map-a", "layers": views.map_layers(layers_a)},
            {"id": "map-b", "layers": views.map_layers(layers_b)},
        ],
        "charts": charts,
        "icons": _icons(),
        "sync_maps": True,
    }
    return (
        _env()
        .get_template("comparison.html.j2")
        .render(
            a=plan_a,
            b=plan_b,
            headline_a=headline(plan_a),
            headline_b=headline(plan_b),
            rows=compare(plan_a, plan_b),
            charts=charts,
            absent_charts=_absent_charts(plan_a, plan_b),
            verdict_a=va,
            verdict_b=vb,
            sources=[(n, s) for s, n in sources.items()],
            attribution_html=_markdown(attribution),
            data_json=_script_json(data),
            **_common(plan_a.reliefplan_version),
        )
    )


def write_comparison(
    plan_a: Plan,
    layers_a: Mapping[str, Layer],
    plan_b: Plan,
    layers_b: Mapping[str, Layer],
    out_dir: Path,
    *,
    attribution: str | None = None,
) -> Path:
    """Write out_dir/comparison.html: both maps side by side (stacked on phones), KPI table with B − A,
    charts of both plans overlaid, scenario-wide verdicts."""
    path = Path(out_dir) / "comparison.html"
    write_text_atomic(path, render_comparison(plan_a, layers_a, plan_b, layers_b, attribution=attribution))
    return path


def write_plan_products(
    plan: Plan, layers: Mapping[str, Layer], out_dir: Path, *, attribution: str | None = None
) -> list[Path]:
    """Everything a planner opens, next to plan.json: plan.gpkg (every layer), tables/*.csv (HXL),
    ATTRIBUTION.md (when given, so `compare` finds it later) and report.html linking them. Returns the paths."""
    from ..export import write_geopackage, write_tables

    out_dir = Path(out_dir)
    paths = [write_geopackage(layers, out_dir / "plan.gpkg")]
    paths += write_tables(plan, out_dir, layers)
    if attribution:
        write_text_atomic(out_dir / ATTRIBUTION_FILE, attribution)
        paths.append(out_dir / ATTRIBUTION_FILE)
    links = ["plan.json"] + [p.relative_to(out_dir).as_posix() for p in paths]
    paths.append(write_report(plan, layers, out_dir, attribution=attribution, files=links))
    return paths


def write_comparison_from_files(plan_a: Path, plan_b: Path, out_dir: Path) -> Path:
    """comparison.html from two plan.json files; their layers come from the plan.gpkg next to each and the
    attribution from the ATTRIBUTION.md next to each (both when they differ)."""
    from ..export import read_geopackage
    from ..files import read_plan

    a, b = read_plan(Path(plan_a)), read_plan(Path(plan_b))
    la = read_geopackage(Path(plan_a).with_name("plan.gpkg"))
    lb = read_geopackage(Path(plan_b).with_name("plan.gpkg"))
    texts = list(
        dict.fromkeys(t for t in (read_attribution(Path(plan_a).parent), read_attribution(Path(plan_b).parent)) if t)
    )
    return write_comparison(a, la, b, lb, out_dir, attribution="\n\n".join(texts) or None)
