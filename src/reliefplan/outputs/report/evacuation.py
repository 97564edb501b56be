"""The evacuation stage as a planner reads it: clearance, arrivals over time, the road links that jam."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import Any

from ...plan import Plan
from ...words import _chart, clock, hours, number, share
from .blocks import _add, _is_num, _table, _view


def evacuation_view(plan: Plan, ev: Mapping[str, Any]) -> dict[str, Any]:
    """Clearance, arrivals over time, jammed links; solver figures behind a click."""
    v = _view("evacuation", "Evacuation: when people reach their sites")
    moving = ev.get("people_moving", ev.get("total_people"))
    bottlenecks = list(ev.get("bottlenecks") or [])
    v["figures"] += _figures(ev, moving, bottlenecks)
    for text in ev.get("explanations") or []:
        v["notes"].append({"text": str(text), "detail": None})
    v["technical"] += _technical(ev)
    if bottlenecks:
        v["tables"].append(_bottleneck_table(bottlenecks))
    _arrival_charts(v, plan, ev, moving)
    return v


def _figures(ev: Mapping[str, Any], moving: Any, bottlenecks: list[Any]) -> list[tuple[str, str]]:
    """Clearance time, people moving and arrived, departures, routes and the links that jam."""
    clear_h = ev.get("clearance_hours")
    if clear_h is None and ev.get("clearance_s") is not None:
        clear_h = ev["clearance_s"] / 3600.0
    figures = [
        (
            "time until the last person reaches a site",
            hours(clear_h) if clear_h is not None else "not everyone arrives within the modelled time",
        ),
        ("people moving", number(moving)),
        ("arrived at their site", number(ev.get("arrived"))),
    ]
    if ev.get("not_arrived"):
        figures.append(("not arrived", number(ev["not_arrived"])))
    if ev.get("departure"):
        dep = str(ev["departure"]).replace("_", " ")
        figures.append(
            (
                "departures",
                dep
                + (
                    f", evenly over {hours(ev['spread_h'])}"
                    if ev["departure"] == "spread" and ev.get("spread_h")
                    else ""
                ),
            )
        )
    if ev.get("routing"):
        figures.append(
            (
                "routes",
                {"free": "chosen by the plan over the road network", "fixed": "shortest routes, fixed"}.get(
                    ev["routing"], ev["routing"]
                ),
            )
        )
    delays = [b.get("max_delay_h", (b.get("max_delay_s") or 0) / 3600.0) or 0.0 for b in bottlenecks]
    figures.append(
        (
            "road links that jam",
            f"{len(bottlenecks)}, longest wait {hours(max(delays))}" if bottlenecks else "none: no link is saturated",
        )
    )
    return figures


def _technical(ev: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The solver's status, method, time step, objective, bound, gap and network size (those it reports)."""
    step_s = ev.get("time_step_s")
    return [
        (k, t)
        for k, t in (
            ("solver status", ev.get("status")),
            ("method", ev.get("method")),
            ("time step", hours(step_s / 3600.0) if step_s else None),
            (
                "objective (person-hours travelling)",
                number(ev["objective_person_s"] / 3600.0) if _is_num(ev.get("objective_person_s")) else None,
            ),
            (
                "best bound (person-hours)",
                number(ev["best_bound_person_s"] / 3600.0) if _is_num(ev.get("best_bound_person_s")) else None,
            ),
            ("optimality gap", share(ev["gap"]) if _is_num(ev.get("gap")) else None),
            (
                "network solved (nodes / links)",
                " / ".join(number(x) for x in (ev.get("condensed") or {}).values()) or None,
            ),
        )
        if t is not None
    ]


def _bottleneck_table(bottlenecks: list[Any]) -> dict[str, Any]:
    """The road links that jam: capacity, when saturated, longest queue and wait."""
    rows = []
    for b in bottlenecks:
        f = b.get("saturated_from_h", (b.get("saturated_from_s") or 0) / 3600.0)
        u = b.get("saturated_until_h", (b.get("saturated_until_s") or 0) / 3600.0)
        rows.append(
            [
                b.get("link", b.get("arc", f"{b.get('from')} → {b.get('to')}")),
                number(b.get("capacity_per_h")),
                f"{clock(f)} – {clock(u)}",
                number(b.get("max_queue_people")),
                hours(b.get("max_delay_h", (b.get("max_delay_s") or 0) / 3600.0)),
            ]
        )
    return _table(
        "Road links that jam, longest wait first",
        [
            "link",
            "capacity (people/h)",
            "saturated (h:mm since departures began)",
            "longest queue (people)",
            "longest wait",
        ],
        rows,
        open=True,
        note="the links are drawn on the map as 'Evacuation bottlenecks'",
    )


def _arrival_charts(v: dict[str, Any], plan: Plan, ev: Mapping[str, Any], moving: Any) -> None:
    """People reaching their sites per hour (or 10 minutes), and their running total."""
    by_t: dict[float, float] = {}
    for r in ev.get("arrivals") or []:
        if _is_num(r.get("t_s")) and _is_num(r.get("people")):
            by_t[float(r["t_s"])] = by_t.get(float(r["t_s"]), 0.0) + float(r["people"])
    # a fixed clock, whatever the solver's time step: hours (10 minutes for a move under 6 h), every bin from the
    # first to the last shown, so two plans' charts line up when compared
    last = max(by_t, default=0.0)
    bin_s = 3600.0 if last > 6 * 3600.0 else 600.0
    n_bins = int(math.ceil(last / bin_s - 1e-9))
    counts = [0.0] * n_bins
    for t, q in by_t.items():
        counts[max(0, int(math.ceil(t / bin_s - 1e-9)) - 1)] += q
    labels = [clock((k + 1) * bin_s / 3600.0) for k in range(n_bins)]
    x_title = "time since departures began (h:mm, end of each " + ("hour)" if bin_s == 3600.0 else "10 minutes)")
    _add(
        v,
        _chart(
            "evacuation-arrivals",
            "People reaching their sites, per " + ("hour" if bin_s == 3600.0 else "10 minutes"),
            labels,
            [{"label": "people arriving", "data": counts, "color": "#56B4E9"}],
            x_title=x_title,
            y_title="people",
            note=f"all {plan.people.sheltered:,} sheltered people, summed over the sites",
        ),
        "no one moves in this plan",
    )
    total = [float(x) for x in itertools.accumulate(counts)]
    ds: list[dict[str, Any]] = [{"label": "people at their sites", "data": total, "color": "#0072B2"}]
    if _is_num(moving) and n_bins:
        ds.append(
            {
                "label": f"everyone moving ({number(moving)})",
                "data": [moving] * n_bins,
                "color": "#9aa5b1",
                "dash": True,
            }
        )
    _add(
        v,
        _chart(
            "evacuation-arrived",
            "People at their sites, running total",
            labels,
            ds,
            type="line",
            x_title=x_title,
            y_title="people",
        ),
        "no one moves in this plan",
    )
