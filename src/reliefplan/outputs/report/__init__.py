"""report.html, comparison.html, ensemble.html and assessment.html: self-contained, offline pages with maps,
charts, the verdict and (assessment) a package x scenario heat map.

Leaflet and Chart.js are shipped as package data (``assets/``) and inlined into each page together with
the plan's layers as GeoJSON, so the page opens from a USB stick with no network: no tiles, no CDN.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
import markupsafe

from ... import words
from ...analysis.compare import compare
from ...plan import Plan
from ..files import write_text_atomic
from ..layers import Layer
from . import views

LEAFLET_VERSION = "1.9.4"
CHARTJS_VERSION = "4.6.1"
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


@cache
def _asset(name: str) -> str:
    text = resources.files(__package__).joinpath("assets", name).read_text(encoding="utf-8")
    # a source-map comment would make developer tools fetch a file we do not ship
    return re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", text)


@cache
def _data_uri(name: str) -> str:
    raw = resources.files(__package__).joinpath("assets", "images", name).read_bytes()
    return "data:image/png;base64," + base64.b64encode(raw).decode("ascii")


@cache
def _leaflet_css() -> str:
    css = _asset("leaflet.css")
    return re.sub(r"url\(images/([a-z0-9-]+\.png)\)", lambda m: f"url({_data_uri(m.group(1))})", css)


def _icons() -> dict[str, str]:
    return {
        "icon": _data_uri("marker-icon.png"),
        "icon2x": _data_uri("marker-icon-2x.png"),
        "shadow": _data_uri("marker-shadow.png"),
    }


def _num(v: Any, sign: bool = False) -> str:
    """Numbers for people: thousands separators, few decimals; None -> '—'; `sign`: '+' on positive values."""
    text = words.number(v)
    if sign and isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0:
        return "+" + text
    return text


@cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("reliefplan.outputs.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["num"] = _num
    env.filters["qty"] = words.quantity
    env.filters["hours"] = words.hours
    env.filters["cmp"] = lambda c: words.COMPARISON_WORDS.get(c, c)
    env.filters["links"] = _links
    env.filters["sentence"] = lambda t: (str(t)[:1].upper() + str(t)[1:]) if t else ""
    env.filters["code"] = _code
    env.filters["wbr"] = lambda t: markupsafe.escape(t).replace("/", markupsafe.Markup("/<wbr>"))
    return env


def _code(text: Any) -> markupsafe.Markup:
    """Text with its `commands` as <code> (escaped otherwise)."""
    parts = markupsafe.escape("" if text is None else str(text)).split("`")
    return markupsafe.Markup("").join(
        markupsafe.Markup(f"<code>{p}</code>") if i % 2 else p for i, p in enumerate(parts)
    )


_URL = re.compile(r"https?://[^\s<>\"')]+[^\s<>\"').,;]")


def _links(text: Any) -> markupsafe.Markup:
    """Text with its web addresses as links (escaped otherwise): a cited source one click away."""
    out, last = [], 0
    s = "" if text is None else str(text)
    for m in _URL.finditer(s):
        out += [
            markupsafe.escape(s[last : m.start()]),
            markupsafe.Markup('<a href="{0}" rel="noreferrer">{0}</a>').format(m.group(0)),
        ]
        last = m.end()
    out.append(markupsafe.escape(s[last:]))
    return markupsafe.Markup("").join(out)


def _script_json(data: Any) -> str:
    """JSON safe inside a <script> element (no '</' or HTML comment openers)."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _markdown(text: str | None) -> str | None:
    if not text or not text.strip():
        return None
    from markdown_it import MarkdownIt  # a dependency of rich

    html = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").render(text)
    # the attribution sits under the page's own h2: its headings move down two levels
    return re.sub(r"<(/?)h([1-6])>", lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + 2)}>", html)


def read_attribution(scenario_dir: Path) -> str | None:
    """The scenario folder's ATTRIBUTION.md, or None when there is none."""
    p = Path(scenario_dir) / ATTRIBUTION_FILE
    return p.read_text(encoding="utf-8") if p.is_file() else None


def _common(version: str) -> dict[str, Any]:
    return {
        "version": version,
        "css_leaflet": _leaflet_css(),
        "css_report": _asset("report.css"),
        "js_leaflet": _asset("leaflet.js"),
        "js_chart": _asset("chart.umd.min.js"),
        "js_report": _asset("report.js"),
        "leaflet_version": LEAFLET_VERSION,
        "chartjs_version": CHARTJS_VERSION,
    }


def _absent_charts(plan: Plan, *more: Plan) -> list[tuple[str, str]]:
    present = set(views.optional_sections(plan))
    for p in more:
        present &= set(views.optional_sections(p))
    return [(title, section) for title, section in views.EXPECTED_CHARTS if section not in present]


def _ready(charts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Charts as the page draws them: shared label words moved to the axis title, commodities in their colours."""
    return [words.paint(views.shorten(c)) for c in charts]


def render_report(
    plan: Plan, layers: Mapping[str, Layer], *, attribution: str | None = None, files: Sequence[str] = ()
) -> str:
    """The report page as one HTML string (see `write_report`)."""
    from ...analysis.headline import headline

    sections, missing = views.sections(plan)
    charts = _ready(views.core_charts(plan) + [c for s in sections for c in s["charts"]])
    omitted = views.core_omitted(plan) + [o for s in sections for o in s["omitted"]]
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
    ca = [c for c in views.core_charts(plan_a) + [c for s in secs_a for c in s["charts"]] if c.get("compare", True)]
    cb = [c for c in views.core_charts(plan_b) + [c for s in secs_b for c in s["charts"]] if c.get("compare", True)]
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


def _package_version() -> str:
    from ...pipeline import _version

    return _version()


def render_ensemble(
    summary: Mapping[str, Any],
    *,
    tornado_outcomes: tuple[str, ...] = ("unsheltered", "shortfall_t.total", "clearance_h"),
    plan: Plan | None = None,
) -> str:
    """The ensemble page: its headline (and the declared plan's, given `plan`), P10/P50/P90 table, probability of
    no shortfall through each day (a fan of curves per commodity), tornado charts of Spearman sensitivity,
    probability each scenario-wide indicator is met."""
    from ...analysis.headline import ensemble_lines, headline

    charts = []
    fan = summary.get("p_no_shortfall_through_day") or {}
    if fan:
        days = max(len(v) for v in fan.values())
        charts.append(
            views._chart(
                "p-no-shortfall",
                "Chance that a commodity has not yet fallen short, by day",
                list(range(days)),
                [{"label": words.commodity_words(k), "data": [round(100.0 * x, 1) for x in v]} for k, v in fan.items()],
                type="line",
                x_title="day of the operation (day 0: the order)",
                y_title="% of members",
                percent=True,
                note="share of members in which the commodity has not yet fallen short by the end of that day",
            )
        )
    outcomes = summary.get("outcomes") or {}
    short = {k: v for k, v in outcomes.items() if k.startswith("shortfall_t.") and v.get("p50") is not None}
    if short:
        charts.append(
            views._chart(
                "shortfall-fan",
                "Shortfall over the horizon: P10, P50 and P90 of the members",
                [
                    words.commodity_words(k.split(".", 1)[1]) if k != "shortfall_t.total" else "all commodities"
                    for k in short
                ],
                [
                    {"label": q.upper(), "data": [v[q] for v in short.values()], "color": c}
                    for q, c in (("p10", "#c3cad3"), ("p50", "#555f6d"), ("p90", "#1f2933"))
                ],
                y_title="tonnes short",
            )
        )
    for outcome in tornado_outcomes:
        rows = (summary.get("sensitivity") or {}).get(outcome) or []
        rows = [r for r in rows if r.get("spearman_rho") is not None][:10]
        if rows:
            charts.append(
                views._chart(
                    f"tornado-{outcome}",
                    f"What drives the {words.outcome_words(outcome).split(' (')[0]}",
                    [r["input"].replace("_", " ") for r in rows],
                    [
                        {
                            "label": "rank correlation",
                            "data": [round(r["spearman_rho"], 3) for r in rows],
                            "colors": ["#D55E00" if r["spearman_rho"] > 0 else "#0072B2" for r in rows],
                        }
                    ],
                    horizontal=True,
                    x_title="Spearman rank correlation with the outcome (−1 to 1)",
                    y_title="uncertain input",
                    note="orange: more of the input, more of the outcome; blue: less",
                )
            )
    verdict = sorted(
        (k.removesuffix("@scenario"), v)
        for k, v in (summary.get("verdict_p_met") or {}).items()
        if k.endswith("@scenario")
    )
    charts = _ready(charts)
    table = [
        (
            words.outcome_words(k),
            *(words.outcome_value(k, o.get(q)) for q in ("p10", "p50", "p90")),
            "—" if o.get("mean") is None else words.outcome_value(k, o["mean"]),
        )
        for k, o in sorted(outcomes.items())
    ]
    data = {"maps": [], "charts": charts, "icons": _icons()}
    return (
        _env()
        .get_template("ensemble.html.j2")
        .render(
            s=summary,
            outcomes=table,
            charts=charts,
            verdict=verdict,
            health=_pooled_health(summary.get("health_pooled")),
            summary_lines=ensemble_lines(dict(summary)),
            headline=None if plan is None else headline(plan),
            data_json=_script_json(data),
            **_common(_package_version()),
        )
    )


def _pooled_health(h: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The ensemble's pooled health block as table rows (`analysis.health_pool`): thresholds crossed (by median
    day), horizon-mean death rates and excess deaths, each P10 / P50 / P90 over members x model draws."""
    if not h:
        return None
    from ...analysis.hold import THRESHOLD_WORDS

    def day(d: Any) -> str:
        return "not crossed" if d is None else f"day {d}"

    crossed = sorted(
        (c for c in h["crossings"] if c["day_p10"] is not None),
        key=lambda c: (c["day_p50"] is None, c["day_p50"] or 0, c["day_p10"]),
    )
    return {
        "members": h["members"],
        "draws": h["draws"],
        "crossings": [
            (
                c["group"],
                THRESHOLD_WORDS.get(c["threshold"], c["threshold"]),
                day(c["day_p10"]),
                day(c["day_p50"]),
                day(c["day_p90"]),
                f"{c['share_of_draws']:.0%}",
            )
            for c in crossed
        ],
        "rates": [
            (name.removesuffix(".mean"), g, *(words.number(v[q]) for q in ("p10", "p50", "p90")))
            for name, by_g in h["rates"].items()
            if name.endswith(".mean")
            for g, v in by_g.items()
        ],
        "deaths": [(g, *(words.number(v[q]) for q in ("p10", "p50", "p90"))) for g, v in h["excess_deaths"].items()],
        "notes": h.get("notes") or [],
    }


def write_ensemble_report(summary: Mapping[str, Any], out_dir: Path, *, plan: Plan | None = None) -> Path:
    """Write out_dir/ensemble.html (see `render_ensemble`); `plan`: the scenario as declared, planned."""
    path = Path(out_dir) / "ensemble.html"
    write_text_atomic(path, render_ensemble(summary, plan=plan))
    return path


#: heat-map classes of a failed pair: the worse of two ladders, share of the displaced left unsheltered
#: (below 1 %, 10 %, 30 % -> level 1, 2, 3; else 4) and kinds of check failing (`headline.kind_of`: water, camp
#: size, ...; up to 2, 4, 6 -> 1, 2, 3; else 4)
_SHARE_STEPS = (0.01, 0.10, 0.30)
_FAILED_STEPS = (2, 4, 6)
#: a failed pair's severity level in words (a level is not a count: the page says "fails N checks" apart)
LEVEL_WORDS = {0: "passes", 1: "low", 2: "moderate", 3: "high", 4: "very high"}
#: ColorBrewer YlOrBr for failures (lightness falls with severity, so it reads in greyscale and with red-green
#: colour blindness) and a bluish green for a pass, apart from them on the blue-yellow axis those readers keep
ASSESSMENT_COLOURS = {0: "#66c2a5", 1: "#fee391", 2: "#fe9929", 3: "#cc4c02", 4: "#662506"}


def assessment_level(pair: Mapping[str, Any]) -> int:
    """Heat-map class of one (package, scenario) pair: 0 when it passes, else 1 (least bad) .. 4 (worst)."""
    if pair.get("passed"):
        return 0
    displaced = pair.get("displaced") or 0
    share = (pair.get("unsheltered") or 0) / displaced if displaced > 0 else 0.0
    by_share = 1 + sum(share >= s for s in _SHARE_STEPS)
    by_failed = 1 + sum(_kinds_failing(pair) > k for k in _FAILED_STEPS)
    return max(by_share, by_failed)


def _kinds_failing(pair: Mapping[str, Any]) -> int:
    from ...analysis.headline import kind_of

    return len({kind_of(i) for i, n in (pair.get("failed") or {}).items() if n})


def _assessment_legend() -> list[dict[str, Any]]:
    pct = [f"{s * 100:g} %" for s in _SHARE_STEPS]
    rules = [
        "every check met",
        f"under {pct[0]} unsheltered and at most {_FAILED_STEPS[0]} kinds of check failing",
        f"under {pct[1]} unsheltered and at most {_FAILED_STEPS[1]} kinds of check failing",
        f"under {pct[2]} unsheltered and at most {_FAILED_STEPS[2]} kinds of check failing",
        f"{pct[2]} or more unsheltered, or more than {_FAILED_STEPS[2]} kinds of check failing",
    ]
    return [
        {
            "level": k,
            "colour": ASSESSMENT_COLOURS[k],
            "rule": r,
            "label": "passes" if k == 0 else f"severity {k} of 4: {LEVEL_WORDS[k]}",
        }
        for k, r in enumerate(rules)
    ]


def _pair_href(package: str, scenario: str) -> str:
    """Relative link to a pair's plan.json (the folder layout of `products.pair_folder`)."""
    return f"pairs/{quote(f'{package}--{scenario}', safe='')}/plan.json"


def _verified(v: Any) -> str:
    return "—" if v is None else ("yes" if v else "no")


def _failed_kinds(pair: Mapping[str, Any]) -> list[tuple[str, int]]:
    """(kind in words, checks failed) of a pair: its headline's kinds, else its failed rows grouped by kind."""
    from ...analysis.headline import KIND_TITLES, kind_of

    h = pair.get("headline") or {}
    if h.get("kinds") is not None:
        return [(k["title"], int(k["failed"])) for k in h["kinds"]]
    by: dict[str, int] = {}
    for i, n in (pair.get("failed") or {}).items():
        k = kind_of(i)
        by[k] = by.get(k, 0) + int(n)
    return [(KIND_TITLES.get(k, words.key_words(k)), n) for k, n in sorted(by.items(), key=lambda kv: -kv[1])]


def _assessment_cell(pair: Mapping[str, Any]) -> dict[str, Any]:
    from ...analysis.headline import fails_text, pair_failed

    level = assessment_level(pair)
    displaced = pair.get("displaced") or 0
    unsheltered = pair.get("unsheltered") or 0
    short_t = pair.get("shortfall_t") or {}
    failed = pair.get("failed") or {}
    groups = pair.get("groups") or {}

    def worst(key: str) -> tuple[str, float] | None:
        got = [(g, v[key]) for g, v in groups.items() if v.get(key) is not None]
        return min(got, key=lambda gv: gv[1]) if got else None

    return {
        "water": worst("water_l_per_person_day"),
        "kcal": worst("kcal_per_person_day"),
        "pair": pair,
        "level": level,
        "href": _pair_href(pair["package"], pair["scenario"]),
        "status": "passes every check" if level == 0 else fails_text(pair_failed(pair)),
        "n_failed": pair_failed(pair),
        "kinds": _failed_kinds(pair),
        "level_word": LEVEL_WORDS[level],
        "lead": (pair.get("headline") or {}).get("lead"),
        "share_pct": 100.0 * unsheltered / displaced if displaced > 0 else None,
        "shortfall": [
            (words.commodity_words(c), d, short_t.get(c))
            for c, d in sorted((pair.get("first_shortfall_day") or {}).items())
        ],
        "failed": sorted(failed.items()),
        "additions": [a | {"verified_text": _verified(a.get("verified"))} for a in pair.get("additions") or []],
    }


def render_assessment(data: Mapping[str, Any]) -> str:
    """The assessment page (`assessment.json` as a dict): a heat map of package x scenario with each pair's
    verdict, unsheltered people, first shortfall day per commodity, binding constraint and least additions
    (each cell links to its plan.json), then the packages, notes and timings."""
    from ...analysis.headline import assessment_lines, pair_failed

    pairs = list(data.get("pairs") or [])
    packages = [p["name"] for p in data.get("packages") or []]
    scenarios = list(data.get("scenarios") or [])
    for p in pairs:  # a pair of a package or scenario not listed still gets its row or column
        if p["package"] not in packages:
            packages.append(p["package"])
        if p["scenario"] not in scenarios:
            scenarios.append(p["scenario"])
    by_key = {(p["package"], p["scenario"]): p for p in pairs}
    rows = [
        (pkg, [_assessment_cell(by_key[pkg, sc]) if (pkg, sc) in by_key else None for sc in scenarios])
        for pkg in packages
    ]
    charts = []
    if pairs:

        def series(key: Any) -> list[dict[str, Any]]:
            return [
                {"label": sc, "data": [key(by_key[pkg, sc]) if (pkg, sc) in by_key else None for pkg in packages]}
                for sc in scenarios
            ]

        charts.append(
            views._chart(
                "unsheltered",
                "People without a shelter place, by package",
                packages,
                series(lambda p: p.get("unsheltered")),
                x_title="package",
                y_title="people",
                note="one bar per operation scenario",
            )
        )
        charts.append(
            views._chart(
                "failed",
                "Checks failed, by package",
                packages,
                series(pair_failed),
                x_title="package",
                y_title="checks",
                note="verdict checks not met (0: the pair passes), as counted on each pair's report and in the CLI",
            )
        )
    version = data.get("reliefplan_version") or _package_version()
    return (
        _env()
        .get_template("assessment.html.j2")
        .render(
            summary=assessment_lines(pairs),
            a=data,
            title=data.get("title") or "Assistance packages",
            scenarios=scenarios,
            rows=rows,
            n_pairs=len(pairs),
            n_passed=sum(1 for p in pairs if p.get("passed")),
            legend=_assessment_legend(),
            package_rows=list(data.get("packages") or []),
            notes=list(data.get("notes") or []),
            timings=sorted((data.get("timings_s") or {}).items()),
            charts=charts,
            data_json=_script_json({"maps": [], "charts": charts, "icons": _icons()}),
            **_common(version),
        )
    )


def write_assessment_report(data: Mapping[str, Any], out_dir: Path) -> Path:
    """Write out_dir/assessment.html (see `render_assessment`), atomically."""
    path = Path(out_dir) / "assessment.html"
    write_text_atomic(path, render_assessment(data))
    return path


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
