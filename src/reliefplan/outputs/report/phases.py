"""Report view of the phases (sites opening, shrinking, closing; people going home): per phase what changes, the
moves the phases cause, camp places and people re-displaced by day. Same shape as the views of `stages`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...analysis.hold import STANDARD_WORDS
from ...analysis.phase_table import phase_rows
from ...plan import Plan
from ...words import _chart, number
from .blocks import _add, _table, _view


def phases_view(plan: Plan, ph: Mapping[str, Any]) -> dict[str, Any]:
    """Per phase: events, sites closed, places lost, re-displaced, without a place, home, first day short."""
    v = _view("phases", "Phases: sites that close, shrink or open, and people going home")
    rows = phase_rows(plan)
    commodities = sorted({c for r in rows for c in r["first_short_day"]})
    v["figures"] += [
        ("people re-displaced (moved again from a site)", number(ph.get("redisplaced"))),
        ("of the moved, without a place", number(ph.get("lost_place"))),
        ("arrivals diverted from a closed or full site", number(ph.get("diverted"))),
        ("people returned home", number(ph.get("returned"))),
        ("re-displaced walking, straight line", f"{number(ph.get('redisplaced_person_km'))} person-km"),
    ]
    v["tables"].append(_phase_table(rows, commodities))
    v["tables"].append(_moves_table(ph.get("moves") or []))
    routed = ph.get("routed") or []
    if routed:
        v["tables"].append(_routed_table(routed))
    _add(v, _by_day_chart(plan, ph), "no places and nobody moved")
    v["notes"] += [{"text": str(n), "detail": None} for n in ph.get("notes") or []]
    return v


def _phase_table(rows: list[dict[str, Any]], commodities: list[str]) -> dict[str, Any]:
    """What changes in each phase: events, sites closed, places, re-displaced, home, first day short."""
    return _table(
        "What changes in each phase",
        [
            "days",
            "events",
            "sites closed",
            "places at start",
            "places lost",
            "re-displaced",
            "without a place",
            "home",
        ]
        + [f"first day {STANDARD_WORDS.get(c, c)} short" for c in commodities],
        [
            [
                f"{r['from_day']}-{r['to_day']}",
                r["events"] or "—",
                number(r["sites_closed"]),
                number(r["places_at_start"]),
                number(r["places_lost"]),
                number(r["redisplaced"]),
                number(r["lost_place"]),
                number(r["returned"]),
            ]
            + ["—" if r["first_short_day"].get(c) is None else number(r["first_short_day"][c]) for c in commodities]
            for r in rows
        ],
        open=True,
        note="first day short: the first day in the phase on which the need of everyone in the plan is not met "
        "(— : met every day of the phase)",
    )


def _moves_table(moves: list[Any]) -> dict[str, Any]:
    """The moves the phases cause in the daily model: when, from where, to where, why, how many, how far."""
    return _table(
        "Moves the phases cause (daily model; with roads, each day's re-moves are also run on them, below)",
        ["day", "from", "to", "why", "with a place", "people", "distance (straight line)", "walk (estimate)"],
        [
            [
                m["day"],
                m["from"],
                m["to"],
                m["reason"],
                "yes" if m["with_place"] else "no",
                number(m["people"]),
                f"{number(m['distance_m'])} m",
                f"{m['walk_h']} h",
            ]
            for m in moves
        ],
        note="walk estimate: straight line x the network's fallback circuity at the walking speed; not routed",
    )


def _routed_table(routed: list[Any]) -> dict[str, Any]:
    """The re-moves run on the roads, one run per day."""
    return _table(
        "The re-moves on the roads (hourly movement model, one run per day)",
        [
            "day",
            "people",
            "from sites",
            "to",
            "arrived that day",
            "on the road at its end",
            "last arrival",
            "mean trip",
            f"walking over {routed[0]['max_walk_h']:g} h",
        ],
        [
            [
                r["day"],
                number(r["people"]),
                number(r["from_sites"]),
                number(r["to_locations"]),
                number(r["arrived_by_day"][0]),
                number(r["on_road_end_of_day"]),
                "—" if r["last_arrival_h"] is None else f"hour {r['last_arrival_h']}",
                f"{r['mean_trip_h']} h",
                number(r["walking_over_max_h"]),
            ]
            for r in routed
        ],
        open=True,
        note="ASSUMPTION: everyone moved on a day leaves that day over its departure hours; the hours count "
        "from the start of that day",
    )


def _by_day_chart(plan: Plan, ph: Mapping[str, Any]) -> dict[str, Any]:
    """Camp places, and people re-displaced, without a place and home (cumulative), by day."""
    days = list(range(plan.horizon_days))
    return _chart(
        "phases-by-day",
        "Camp places and people moved again, by day",
        days,
        [
            {"label": "camp places", "data": ph.get("places_by_day") or [], "type": "line"},
            {"label": "re-displaced (cumulative)", "data": ph.get("redisplaced_by_day") or []},
            {"label": "without a place after a move (cumulative)", "data": ph.get("lost_place_by_day") or []},
            {"label": "returned home (cumulative)", "data": ph.get("returned_by_day") or []},
        ],
        type="bar",
        x_title="day of the plan",
        y_title="people / places",
    )


VIEWS = {"phases": phases_view}
