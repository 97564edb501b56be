"""Movement over days as a planner reads it: each order's departures against the observed series, where everyone is
each day, arrivals by way of travel, the walking burden, and the arrival-order run beside the plan."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...plan import Plan
from ...words import _chart, clock, hours, number, share
from .blocks import _add, _days_axis, _table, _view

_RUN_WORDS = {"arrival": "sites fill in the order people arrive", "plan": "the plan's assignment (the siting)"}


def movement_view(plan: Plan, mv: Mapping[str, Any]) -> dict[str, Any]:
    """The move over days: each order's departure curve with the observed series over it, where everyone is each
    day, arrivals by mode, the walking burden and the arrival-order run beside the plan."""
    v = _view("movement", "How people move over days: departures, arrivals, walking burden")
    days = plan.horizon_days
    orders = list(mv.get("orders") or [])
    unordered = mv.get("unordered") or {}
    v["figures"] += _order_figures(orders, unordered, days)
    runs = mv.get("runs") or {}
    run = runs.get(mv.get("assignment")) or next(iter(runs.values()), None)
    if run is not None:
        v["figures"] += _run_figures(run, mv, days)
        for n in run.get("notes") or []:
            v["notes"].append({"text": str(n), "detail": None})
    _curve_charts(v, orders, unordered, days)
    if run is not None:
        _run_charts(v, run, days)
    cmp = mv.get("comparison")
    if cmp:
        v["tables"].append(_comparison_table(cmp))
    if run is not None:
        trips = run.get("trips") or {}
        v["tables"].append(
            _table(
                "Trips by way of travel",
                ["way", "trips", "mean trip (h, queues included)", "without queues (h)"],
                [[m, number(t["trips"]), f"{t['mean_h']:.2f}", f"{t['free_flow_h']:.2f}"] for m, t in trips.items()],
            )
        )
    v["technical"] += [
        ("time step", hours(float(mv.get("step_s") or 0) / 3600.0)),
        ("departures between", " – ".join(clock(h) for h in mv.get("departure_hours") or [])),
        (
            "network (nodes / links / route elements)",
            " / ".join(number(x) for x in (mv.get("network") or {}).values()) or "—",
        ),
    ]
    return v


def _order_figures(orders: list[Any], unordered: Mapping[str, Any], days: int) -> list[tuple[str, str]]:
    """How many of each order's people have left by the last day, and how many left without an order."""
    figures = []
    for o in orders:
        left = o["left_by_day"]
        inside = (
            ""
            if o.get("inside_at_operation") is None
            else f"; {number(o['inside_at_operation'])} still inside when the operation starts (day "
            f"{number(o.get('operation_day'))})"
        )
        figures.append(
            (
                f"order on '{o['footprint']}', day {number(o['day'])}",
                f"{number(left[-1])} of {number(o['people'])} people left by day {days - 1} "
                f"({share(left[-1] / o['people'] if o['people'] else 0)}){inside}",
            )
        )
    if unordered.get("people") and (unordered.get("left_by_day") or [0])[-1]:
        figures.append(
            (
                "left without an order",
                f"{number(unordered['left_by_day'][-1])} of "
                f"{number(unordered['people'])} people outside the ordered areas",
            )
        )
    return figures


def _run_figures(run: Mapping[str, Any], mv: Mapping[str, Any], days: int) -> list[tuple[str, str]]:
    """The shown run on the last day: where everyone is, the walking burden, turned away, moved again."""
    return [
        ("shown", _RUN_WORDS.get(run["assignment"], run["assignment"])),
        (
            f"on day {days - 1}",
            f"{number(run['at_sites'])} at a place, {number(run['on_road'])} on the road, "
            f"{number(run['without_place'])} without a place, "
            f"{number(run['at_origin'])} at home",
        ),
        (
            f"walking more than {hours(mv.get('max_walk_h'))}",
            f"{number(run['walking_over_h'])} people ({number(run['vulnerable_walking_over_h'])} vulnerable)",
        ),
        ("turned away from full or closed sites", number(run["turned_away"])),
        ("moved again by a later order", number(run["redisplaced"])),
    ]


def _curve_charts(v: dict[str, Any], orders: list[Any], unordered: Mapping[str, Any], days: int) -> None:
    """Per order: its departure curve, the modelled share who have left and the observed series over them."""
    labels = list(range(days))
    total_people = sum(o["people"] for o in orders) + int(unordered.get("people") or 0)
    for k, o in enumerate(orders):
        d0 = float(o["day"])
        ds: list[dict[str, Any]] = [
            {
                "label": f"departure curve ({o['curve'].get('kind')})",
                "data": [100.0 * x for x in o["curve_share_by_day"]],
                "color": "#0072B2",
                "dash": True,
            },
            {
                "label": "modelled: share of the area's people who have left",
                "data": [100.0 * x / o["people"] if o["people"] else 0.0 for x in o["left_by_day"]],
                "color": "#56B4E9",
            },
        ]
        obs = o.get("observed")
        if obs:
            ds += _observed_series(obs, d0, orders, unordered, days, total_people)
        note = (o["curve"].get("source") or "") + (
            "" if not obs else f" · observed: {obs.get('source') or obs['label']}"
        )
        _add(
            v,
            _chart(
                f"movement-curve-{k}",
                f"Departures after the order on '{o['footprint']}' (day {number(d0)})",
                labels,
                ds,
                type="line",
                x_title=_days_axis(),
                y_title="share who have left (%)",
                percent=True,
                note=note,
            ),
            "nobody lives in this order's area",
        )


def _observed_series(
    obs: Mapping[str, Any],
    d0: float,
    orders: list[Any],
    unordered: Mapping[str, Any],
    days: int,
    total_people: int,
) -> list[dict[str, Any]]:
    """The observed share who have left, on the plan's days, and the modelled share of everyone in the zones
    beside it (an observed series counts everyone, not one order's area)."""
    series: list[float | None] = [None] * days
    for t, y in zip(obs["days"], obs["share"]):
        d = int(round(d0 + t - 1))  # t days after the order = the end of day d0 + t - 1
        if 0 <= d < days:
            series[d] = 100.0 * y
    ds = [{"label": f"observed: {obs['label']}", "data": series, "color": "#D55E00"}]
    if total_people:
        every = [
            sum(x["left_by_day"][d] for x in orders) + (unordered.get("left_by_day") or [0] * days)[d]
            for d in range(days)
        ]
        ds.append(
            {
                "label": "modelled: share of everyone in the zones who has left",
                "data": [100.0 * x / total_people for x in every],
                "color": "#009E73",
            }
        )
    return ds


def _run_charts(v: dict[str, Any], run: Mapping[str, Any], days: int) -> None:
    """Where everyone is at the end of each day, and arrivals at a place per day by way of travel."""
    labels = list(range(days))
    where = [
        ("at home", run["at_origin_by_day"], "#9aa5b1"),
        ("on the road", run["on_road_by_day"], "#E69F00"),
        ("at a place", run["at_sites_by_day"], "#56B4E9"),
        ("left, without a place", run["without_place_by_day"], "#D55E00"),
    ]
    _add(
        v,
        _chart(
            "movement-where",
            "Where everyone of the ordered and unordered areas is, end of each day",
            labels,
            [{"label": n, "data": d, "color": c} for n, d, c in where],
            stacked=True,
            x_title=_days_axis(),
            y_title="people",
        ),
        "nobody in the plan's zones",
    )
    modes = run.get("arrivals_by_mode_day") or {}
    colours = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#F0E442"]
    _add(
        v,
        _chart(
            "movement-arrivals",
            "People arriving at a place each day, by way of travel",
            labels,
            [{"label": m, "data": d, "color": colours[i % len(colours)]} for i, (m, d) in enumerate(modes.items())],
            stacked=True,
            x_title=_days_axis(),
            y_title="people",
        ),
        "nobody arrives anywhere",
    )


def _comparison_table(cmp: Mapping[str, Any]) -> dict[str, Any]:
    """The arrival-order run against the plan on the horizon's last day."""
    rows = [
        [key_label, number(r["arrival"]), number(r["plan"]), number(r["difference"])]
        for key_label, r in ((k.replace("_", " "), r) for k, r in cmp.items() if k != "mean_trip_h")
    ]
    rows += [
        [f"mean trip, {m} (h)", f"{r['arrival']:.2f}", f"{r['plan']:.2f}", f"{r['plan'] - r['arrival']:+.2f}"]
        for m, r in (cmp.get("mean_trip_h") or {}).items()
    ]
    return _table(
        "Undirected (arrival order) against the plan, on the horizon's last day",
        ["figure", "arrival order", "plan", "plan − arrival"],
        rows,
        open=True,
        note="what direction could achieve: the plan sends each person to a planned place",
    )
