"""assessment.html: a heat map of assistance package x operation scenario, each pair's verdict, shortfalls,
binding constraint and least additions, linked to its plan.json."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ... import words
from ..files import write_text_atomic
from .page import _common, _env, _icons, _package_version, _script_json

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
        "status": "passes every check" if level == 0 else fails_text(pair_failed(dict(pair))),
        "n_failed": pair_failed(dict(pair)),
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
            words._chart(
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
            words._chart(
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
