"""Report views of an existing settlement (`monitoring`) and of arrivals at transit points (`arrivals`): the
figures in words, a table per site and per block, arrivals over time. Same shape as the views of `stages`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...plan import Plan
from ...words import _chart, number
from .blocks import _add, _table, _view

WORDS = {
    "m2_per_person": "m² per person",
    "people_per_latrine": "people per latrine",
    "people_per_tap": "people per tap",
    "max_distance_to_water_m": "walk to water",
    "max_distance_to_latrine_m": "walk to a latrine",
}


def _missed(met: Mapping[str, Any]) -> str:
    bad = [WORDS.get(k, k) for k, ok in met.items() if ok is False]
    unknown = [WORDS.get(k, k) for k, ok in met.items() if ok is None]
    return (", ".join(bad) or "none") + (f" (no data: {', '.join(unknown)})" if unknown else "")


#: the columns a site and a block share: the snapshot's figures checked, and the people to relocate
_CHECKED = [
    "people per latrine",
    "people per tap",
    "farthest walk to water (m)",
    "farthest walk to a latrine (m)",
    "standards not met",
    "to relocate",
]


def _checked(x: Mapping[str, Any]) -> list[str]:
    """A site's or a block's values in the `_CHECKED` columns."""
    return [
        number(x["people_per_latrine"]),
        number(x["people_per_tap"]),
        number(x["max_distance_to_water_m"]),
        number(x["max_distance_to_latrine_m"]),
        _missed(x["standards_met"]),
        number(x["relocated"]),
    ]


def monitoring_view(plan: Plan, m: Mapping[str, Any]) -> dict[str, Any]:
    """The snapshot checked site by site and block by block; the sites after the plan."""
    v = _view(
        "monitoring",
        f"Existing settlement: the snapshot of {m['date']} checked against the standards"
        if m["date"]
        else "Existing settlement: latrines and taps installed, day by day",
    )
    targets = m.get("targets") or {}
    v["figures"] += [
        ("people on the monitored sites", number(m["people"])),
        ("sites monitored", number(len(m["sites"]))),
        ("blocks", number(m["blocks"])),
        ("people inside an operation footprint, to relocate", number(m["relocated"])),
    ]
    for k, words in WORDS.items():
        if m["sites_with_data"].get(k):
            v["figures"].append(
                (
                    f"sites meeting {words} (standard {number(targets.get(k))})",
                    f"{number(m['sites_meeting'][k])} of {number(m['sites_with_data'][k])} with data",
                )
            )
    v["tables"].append(_site_table(m["sites"]))
    if any(s["blocks"] for s in m["sites"]):
        v["tables"].append(_block_table(m["sites"]))
    v["notes"] += [{"text": n, "detail": None} for n in m.get("notes") or []]
    return v


def _site_table(sites: list[Any]) -> dict[str, Any]:
    """Each monitored site: the snapshot's figures, the standards missed, and the site after the plan."""
    rows = []
    for s in sites:
        rows.append(
            [
                s["id"],
                number(s["people"]),
                number(s["m2_per_person"]),
                *_checked(s),
                number(s.get("spare_capacity")),
                number(s["people_after"]),
                number(s["additional_latrines"]),
                number(s["additional_taps"]),
                "—" if s["days_short_of_latrines"] is None else number(s["days_short_of_latrines"]),
            ]
        )
    return _table(
        "Each monitored site",
        [
            "site",
            "people",
            "m² per person",
            *_CHECKED,
            "spare capacity",
            "people after the plan",
            "latrines to add",
            "taps to add",
            "days short of latrines",
        ],
        rows,
        open=True,
        note="the snapshot's figures; 'after the plan': residents who stay plus the people the plan sends here",
    )


def _block_table(sites: list[Any]) -> dict[str, Any]:
    """Each block of each monitored site: the snapshot's figures and the standards missed."""
    blocks = []
    for s in sites:
        for b in s["blocks"]:
            blocks.append(
                [
                    s["id"],
                    b["id"],
                    number(b["people"]),
                    number(b["m2_per_person"]),
                    *_checked(b),
                ]
            )
    return _table(
        "Each block",
        [
            "site",
            "block",
            "people",
            "m² per person (block outline)",
            *_CHECKED,
        ],
        blocks,
    )


def arrivals_view(plan: Plan, a: Mapping[str, Any]) -> dict[str, Any]:
    """People arriving at each point over time, and where they went."""
    v = _view("arrivals", "Arrivals at entry and transit points")
    v["figures"] += [
        ("people arriving over the horizon", number(a["people"])),
        ("points", number(len(a["points"]))),
        ("day 0", a["start_date"]),
        ("source", a.get("source") or "not declared (ASSUMPTION)"),
    ]
    v["tables"].append(
        _table(
            "Each point",
            [
                "point",
                "zone",
                "people",
                "first day",
                "last day",
                "peak per day",
                "with a site place",
                "without a site place",
            ],
            [
                [
                    p["id"],
                    p["zone"],
                    number(p["people"]),
                    number(p["first_day"]),
                    number(p["last_day"]),
                    number(p["peak_per_day"]),
                    number(p["sheltered"]),
                    number(p["without_a_site_place"]),
                ]
                for p in a["points"]
            ],
            open=True,
        )
    )
    days = len(a["by_day"])
    _add(
        v,
        _chart(
            "arrivals-by-day",
            "People arriving per day",
            list(range(days)),
            [{"label": p["id"], "data": p["by_day"]} for p in a["points"]],
            type="bar",
            stacked=True,
            x_title="day of the plan (day 0: the start date)",
            y_title="people per day",
        ),
        "nobody arrives within the horizon",
    )
    return v


VIEWS = {"monitoring": monitoring_view, "arrivals": arrivals_view}
