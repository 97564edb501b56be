"""The camp layouts as a planner reads them: each camp against the standards, and the farthest walks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...plan import Plan
from ...words import _chart, number
from .blocks import _add, _table, _view

LAYOUT_STANDARD_WORDS = {
    "capacity": "everyone has a plot",
    "covered_area": "covered area per person",
    "site_area": "site area per person",
    "firebreaks": "firebreaks",
    "water_ratio": "people per tap",
    "water_distance": "distance to water",
    "latrine_ratio": "people per latrine",
    "latrine_female_share": "share of latrines for women",
    "latrine_distance": "distance to a latrine",
    "health_posts": "people per health post",
    "distribution_points": "people per distribution point",
}


def layout_view(plan: Plan, layouts: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Each camp's layout against the standards, and the farthest walks."""
    v = _view("layout", "Camp layouts: plots, water, latrines, services")
    housed = sum(x.get("people") or 0 for x in layouts)
    asked = sum(x.get("people_requested") or 0 for x in layouts)
    failing = [x for x in layouts if not all((x.get("standards_met") or {}).values())]
    v["figures"] += [
        ("camps laid out", number(len(layouts))),
        ("people with a family plot", f"{number(housed)} of {number(asked)}"),
        ("camps missing at least one standard", number(len(failing))),
    ]
    v["tables"].append(_camp_table(layouts))
    _add(v, _walks_chart(plan, layouts) | {"compare": False}, "no camp is laid out")
    return v


def _camp_table(layouts: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Each camp, those missing a standard first: people, plots, taps, latrines, services, walks, areas."""
    rows = []
    for x in sorted(layouts, key=lambda x: (all((x.get("standards_met") or {}).values()), -(x.get("people") or 0))):
        missed = [
            LAYOUT_STANDARD_WORDS.get(k, k.replace("_", " "))
            for k, ok in (x.get("standards_met") or {}).items()
            if not ok
        ]
        rows.append(
            [
                x.get("site_id"),
                number(x.get("people")),
                number(x.get("people_requested")),
                number(x.get("plots")),
                f"{number(x.get('taps'))} ({number(x.get('taps_required'))})",
                f"{number(x.get('latrines'))} ({number(x.get('latrines_required'))})",
                number(x.get("health_posts")),
                number(x.get("distribution_points")),
                number(x.get("max_plot_to_water_m")),
                number(x.get("max_plot_to_latrine_m")),
                number(x.get("covered_m2_per_person")),
                number(x.get("site_m2_per_person")),
                ", ".join(missed) or "none",
                "; ".join(map(str, x.get("notes") or [])) or "",
            ]
        )
    return _table(
        "Each camp",
        [
            "site",
            "people housed",
            "people allocated",
            "family plots",
            "taps (needed)",
            "latrines (needed)",
            "health posts",
            "distribution points",
            "farthest plot to water (m)",
            "farthest plot to a latrine (m)",
            "covered m² per person",
            "site m² per person",
            "standards not met",
            "notes",
        ],
        rows,
        note="camps missing a standard first; the layouts themselves are in layout.gpkg",
    )


def _walks_chart(plan: Plan, layouts: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The farthest walk from a family plot to water and to a latrine, per camp (the 40 farthest from water), with
    the standard's distance to water."""
    limit = plan.standards.figures.get("max_distance_to_water_m")
    top = sorted(layouts, key=lambda x: -(x.get("max_plot_to_water_m") or 0))[:40]
    ds: list[dict[str, Any]] = [
        {"label": "farthest plot to water", "data": [x.get("max_plot_to_water_m") for x in top], "color": "#0072B2"},
        {
            "label": "farthest plot to a latrine",
            "data": [x.get("max_plot_to_latrine_m") for x in top],
            "color": "#8C564B",
        },
    ]
    if limit is not None:
        ds.append(
            {
                "label": f"standard: water within {number(limit.value)} m",
                "type": "line",
                "dash": True,
                "data": [limit.value] * len(top),
                "color": "#555f6d",
            }
        )
    return _chart(
        "layout-walks",
        "Farthest walk from a family plot, per camp",
        [x.get("site_id") for x in top],
        ds,
        x_title="camp",
        y_title="metres",
        note=(
            f"the {len(top)} camps with the farthest walk to water of {len(layouts)}" if len(layouts) > len(top) else ""
        ),
    )
