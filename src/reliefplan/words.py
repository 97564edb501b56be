"""Words, units, number formats and colours the report pages share, so every page says and draws a thing alike.

One colour per commodity on every page (report, comparison, ensemble, assessment): the Okabe-Ito palette, which
stays distinct with the common forms of colour blindness (Okabe & Ito 2008, "Color Universal Design",
https://jfly.uni-koeln.de/color/). Durations in hours and minutes, shares in per cent, people whole.
"""

from __future__ import annotations

import math
from typing import Any

#: commodity id -> colour (Okabe-Ito); a commodity not named here takes one of SPARE_COLOURS by its name
COMMODITY_COLOURS: dict[str, str] = {
    "water": "#0072B2",  # blue
    "food": "#E69F00",  # orange
    "medical": "#CC79A7",  # reddish purple
    "shelter_nfi": "#009E73",  # bluish green
    "fuel": "#D55E00",  # vermillion
}
SPARE_COLOURS = ("#56B4E9", "#000000", "#F0E442", "#8C564B", "#7F7F7F")

COMMODITY_WORDS: dict[str, str] = {
    "water": "water",
    "food": "food",
    "medical": "medical supplies",
    "shelter_nfi": "shelter items",
    "fuel": "fuel",
}

#: the people chart's categories and the sites' allocation, apart from the commodities' colours
PEOPLE_COLOURS = {"displaced": "#555f6d", "sheltered": "#56B4E9", "unsheltered": "#D55E00", "staying": "#9aa5b1"}


def commodity_colour(commodity: str) -> str:
    """The colour of a commodity on every chart of every page (the same name always gets the same colour)."""
    if commodity in COMMODITY_COLOURS:
        return COMMODITY_COLOURS[commodity]
    return SPARE_COLOURS[sum(map(ord, commodity)) % len(SPARE_COLOURS)]


def commodity_words(commodity: str) -> str:
    return COMMODITY_WORDS.get(commodity, commodity.replace("_", " "))


def paint(chart: dict[str, Any]) -> dict[str, Any]:
    """Give each dataset named after a commodity (alone or as 'X: water') that commodity's colour."""
    for d in chart.get("datasets", []):
        if d.get("color") or d.get("colors"):
            continue
        for part in reversed(str(d.get("label", "")).split(": ")):
            key = next((c for c, w in COMMODITY_WORDS.items() if part in (c, w)), None)
            if key is not None:
                d["color"] = commodity_colour(key)
                break
    return chart


def hours(h: float | None) -> str:
    """21.333 -> '21 h 20 min'; 0.75 -> '45 min'; None -> '—'."""
    if h is None or not math.isfinite(h):
        return "—"
    m = int(round(h * 60))
    if m < 60:
        return f"{m} min"
    return f"{m // 60:,} h {m % 60:02d} min" if m % 60 else f"{m // 60:,} h"


def clock(h: float) -> str:
    """An axis label for hours since a start: 2.8333 -> '2:50', 26.5 -> '26:30'."""
    m = int(round(h * 60))
    return f"{m // 60}:{m % 60:02d}"


def share(x: float | None) -> str:
    """0.2609 -> '26 %', 0.004 -> '0.4 %', None -> '—'."""
    if x is None or not math.isfinite(x):
        return "—"
    p = 100.0 * x
    return f"{p:.0f} %" if p == 0 or abs(p) >= 10 or float(round(p)) == p else f"{p:.1f} %"


def number(v: Any) -> str:
    """Numbers for people: thousands separators, few decimals; None -> '—'."""
    if v is None or v == "":
        return "—"
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, float) and not math.isfinite(v):
        return "—"
    if float(v).is_integer() or abs(v) >= 1000:
        return format(v, ",.0f")
    if abs(v) >= 10:
        return format(v, ",.1f")
    return format(v, ".3g")


#: units as a reader writes them
UNIT_WORDS = {"m2": "m²", "km2": "km²", "m3": "m³", "m2/person": "m²/person", "m3/day": "m³/day"}


def quantity(v: Any, unit: str) -> str:
    """A value with its unit in words: shares as per cent, hours as 'h min', the rest with the unit."""
    if v is None:
        return "—"
    if unit.startswith("share"):
        return share(v)
    if unit in ("h", "hours"):
        return hours(v)
    if unit in ("yes/no",):
        return "yes" if v else "no"
    return f"{number(v)} {UNIT_WORDS.get(unit, unit)}".rstrip()


COMPARISON_WORDS = {">=": "≥", "<=": "≤", "==": "=", ">": ">", "<": "<"}

#: column and figure names in words, with the unit the key's suffix carries
KEY_WORDS: dict[str, str] = {
    "required_t": "need (t)",
    "delivered_t": "delivered (t)",
    "shortfall_t": "shortfall (t)",
    "produced_t": "produced on site (t)",
    "consumed_t": "consumed (t)",
    "stock_end_t": "stock at day's end (t)",
    "used_t": "carried (t)",
    "capacity_t": "capacity (t)",
    "trucks_available": "trucks available",
    "trucks_used": "trucks used",
    "people": "people",
    "people_requested": "people to house",
    "site_id": "site",
    "site": "site",
    "commodity": "commodity",
    "day": "day",
    "entry_point": "crossing",
    "first_shortfall_day": "first day short",
    "clearance_hours": "time to clear",
    "people_moving": "people moving",
    "arrived": "arrived",
    "not_arrived": "not arrived",
    "status": "solver status",
    "gap": "optimality gap",
}

#: unit suffixes of plan.json keys
SUFFIX_UNITS = {
    "t": "t",
    "s": "s",
    "h": "h",
    "m": "m",
    "m2": "m²",
    "km2": "km²",
    "m3": "m³",
    "kg": "kg",
    "l": "L",
    "pct": "%",
    "share": "share",
}


def key_words(key: str) -> str:
    """'delivered_t' -> 'delivered (t)', 'max_plot_to_water_m' -> 'max plot to water (m)'."""
    if key in KEY_WORDS:
        return KEY_WORDS[key]
    head, _, tail = key.rpartition("_")
    if head and tail in SUFFIX_UNITS:
        return f"{head.replace('_', ' ')} ({SUFFIX_UNITS[tail]})"
    return key.replace("_", " ")


def outcome_words(name: str) -> str:
    """An ensemble outcome key in words: 'shortfall_t.water' -> 'water shortfall over the horizon (t)'."""
    head, _, com = name.partition(".")
    if head == "shortfall_t":
        return (
            f"{commodity_words(com)} shortfall over the horizon (t)"
            if com != "total"
            else "shortfall over the horizon, all commodities (t)"
        )
    if head == "first_shortfall_day":
        return f"first day {commodity_words(com)} short"
    if head == "first_health_day":  # the threshold's key; its words live with the health model (a higher layer)
        return f"first day health threshold {com.replace('_', ' ')} crossed"
    return {
        "displaced": "people displaced",
        "sheltered": "people sheltered",
        "unsheltered": "people without a shelter place",
        "clearance_h": "time until the last person arrives",
        "clearance_hours": "time until the last person arrives",
    }.get(name, key_words(name))


def outcome_value(name: str, v: float | None) -> str:
    """An ensemble percentile: people and tonnes whole, hours as 'h min', days as 'day d' (null: never short)."""
    if name.startswith("first_shortfall_day."):
        return "none within the horizon" if v is None else f"day {v:g}"
    if name.startswith("first_health_day."):
        return "not within the horizon" if v is None else f"day {v:g}"
    if v is None or not math.isfinite(v):
        return "—"
    if name.endswith(("_h", "_hours")):
        return hours(v)
    return f"{round(v):,}"


def _chart(
    cid: str,
    title: str,
    labels: list[Any],
    datasets: list[dict[str, Any]],
    *,
    type: str = "bar",
    x_title: str = "",
    y_title: str = "",
    stacked: bool = False,
    horizontal: bool = False,
    overlap: bool = False,
    note: str = "",
    percent: bool = False,
) -> dict[str, Any]:
    """A chart spec; a dataset may carry "color", "colors" (per bar), "dash" (dashed line) and "type" (a line
    drawn over bars). `percent`: the values are per cent (axis from 0 to 100)."""
    return {
        "id": cid,
        "title": title,
        "type": type,
        "labels": labels,
        "datasets": datasets,
        "x_title": x_title,
        "y_title": y_title,
        "stacked": stacked,
        "horizontal": horizontal,
        "overlap": overlap,
        "note": note,
        "percent": percent,
    }
