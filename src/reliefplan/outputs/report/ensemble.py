"""ensemble.html: an uncertainty ensemble's P10/P50/P90 outcomes, chance of no shortfall by day, what drives the
outcomes (tornado charts), the chance each check is met and the pooled health projection."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ... import words
from ...plan import Plan
from ..files import write_text_atomic
from .page import _common, _env, _icons, _package_version, _ready, _script_json


def render_ensemble(
    summary: Mapping[str, Any],
    *,
    tornado_outcomes: tuple[str, ...] = ("unsheltered", "shortfall_t.total", "clearance_h"),
    plan: Plan | None = None,
) -> str:
    """The ensemble page: its headline (and the declared plan's, given `plan`), P10/P50/P90 table, probability of
    no shortfall through each day (a fan of curves per commodity), tornado charts of Spearman sensitivity,
    probability each scenario-wide indicator is met."""
    from ...analysis.headline import headline
    from ...analysis.headline_ensemble import ensemble_lines

    charts = _fan_charts(summary) + _tornado_charts(summary, tornado_outcomes)
    outcomes = summary.get("outcomes") or {}
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


def _fan_charts(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The chance that each commodity has not yet fallen short by each day, and the shortfall's P10/P50/P90."""
    charts = []
    fan = summary.get("p_no_shortfall_through_day") or {}
    if fan:
        days = max(len(v) for v in fan.values())
        charts.append(
            words._chart(
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
            words._chart(
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
    return charts


def _tornado_charts(summary: Mapping[str, Any], tornado_outcomes: tuple[str, ...]) -> list[dict[str, Any]]:
    """For each outcome, its uncertain inputs by Spearman rank correlation (the ten strongest)."""
    charts = []
    for outcome in tornado_outcomes:
        rows = (summary.get("sensitivity") or {}).get(outcome) or []
        rows = [r for r in rows if r.get("spearman_rho") is not None][:10]
        if rows:
            charts.append(
                words._chart(
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
    return charts


def _pooled_health(h: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The ensemble's pooled health block as table rows (`analysis.health_pool`): thresholds crossed (by median
    day), horizon-mean death rates and excess deaths, each P10 / P50 / P90 over members x model draws."""
    if not h:
        return None
    from ...solvers.health import THRESHOLD_WORDS

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
