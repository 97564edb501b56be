"""The optional stages of a plan (evacuation, supply, sustain, camp layouts) as a planner reads them: figures and
tables in words with units, charts with titles and axes in words, solver notes in plain words with the technical
note beside them. The full detail stays in plan.json and the CSV tables; a stage not known here is shown by the
generic `views.section_view`.

A stage view is a dict: ``{"name", "title", "figures": [(label, text)], "notes": [{"text", "detail"}],
"tables": [{"title", "columns", "rows", "total", "open", "note"}], "technical": [(label, text)],
"charts": [chart spec], "omitted": [(chart title, why)]}``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from typing import Any

from ...plan import Plan, SupplyPlan
from ...words import _chart, clock, commodity_colour, commodity_words, hours, number, share

#: a folded table shows at most this many rows; all rows are in plan.json and tables/*.csv
TABLE_ROWS = 500


def _view(name: str, title: str) -> dict[str, Any]:
    return {
        "name": name,
        "title": title,
        "figures": [],
        "notes": [],
        "tables": [],
        "technical": [],
        "charts": [],
        "omitted": [],
    }


def _table(
    title: str,
    columns: list[str],
    rows: list[list[Any]],
    *,
    open: bool = False,
    note: str = "",
    total: int | None = None,
) -> dict[str, Any]:
    return {
        "title": title,
        "columns": columns,
        "rows": rows[:TABLE_ROWS],
        "total": len(rows) if total is None else total,
        "open": open,
        "note": note,
    }


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _any_nonzero(datasets: list[dict[str, Any]]) -> bool:
    return any(_is_num(x) and x != 0 for d in datasets for x in d["data"])


def _add(view: dict[str, Any], chart: dict[str, Any], empty_why: str) -> None:
    """Add a chart, or say why it is left out when every value in it is zero or missing."""
    if chart["labels"] and _any_nonzero(chart["datasets"]):
        view["charts"].append(chart)
    else:
        view["omitted"].append((chart["title"], empty_why))


def _entry_names(plan: Plan) -> dict[str, str]:
    return {e.id: e.name or e.id for e in plan.entry_points}


def _days_axis() -> str:
    return "day of the operation (day 0: the order)"


# ---- evacuation ----------------------------------------------------------------------------------------------


def evacuation_view(plan: Plan, ev: Mapping[str, Any]) -> dict[str, Any]:
    """Clearance, arrivals over time, jammed links; solver figures behind a click."""
    v = _view("evacuation", "Evacuation: when people reach their sites")
    clear_h = ev.get("clearance_hours")
    if clear_h is None and ev.get("clearance_s") is not None:
        clear_h = ev["clearance_s"] / 3600.0
    moving = ev.get("people_moving", ev.get("total_people"))
    v["figures"] += [
        (
            "time until the last person reaches a site",
            hours(clear_h) if clear_h is not None else "not everyone arrives within the modelled time",
        ),
        ("people moving", number(moving)),
        ("arrived at their site", number(ev.get("arrived"))),
    ]
    if ev.get("not_arrived"):
        v["figures"].append(("not arrived", number(ev["not_arrived"])))
    if ev.get("departure"):
        dep = str(ev["departure"]).replace("_", " ")
        v["figures"].append(
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
        v["figures"].append(
            (
                "routes",
                {"free": "chosen by the plan over the road network", "fixed": "shortest routes, fixed"}.get(
                    ev["routing"], ev["routing"]
                ),
            )
        )
    bottlenecks = list(ev.get("bottlenecks") or [])
    delays = [b.get("max_delay_h", (b.get("max_delay_s") or 0) / 3600.0) or 0.0 for b in bottlenecks]
    v["figures"].append(
        (
            "road links that jam",
            f"{len(bottlenecks)}, longest wait {hours(max(delays))}" if bottlenecks else "none: no link is saturated",
        )
    )
    for text in ev.get("explanations") or []:
        v["notes"].append({"text": str(text), "detail": None})
    step_s = ev.get("time_step_s")
    v["technical"] += [
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
    if bottlenecks:
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
        v["tables"].append(
            _table(
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
        )
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
    ds = [{"label": "people at their sites", "data": total, "color": "#0072B2"}]
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
    return v


# ---- supply ----------------------------------------------------------------------------------------------------


def binding_words(b: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """A binding constraint in plain words: '+50 trucks/day at Kerem Shalom from day 0 to day 29 would cut the
    water shortfall by up to about 30,002 t'."""
    where = names.get(str(b.get("id")), str(b.get("id", "")))
    first, last = b.get("first_day"), b.get("last_day")
    if first is None:
        when = ""
    elif last is None or last == first:
        when = f" on day {first}"
    else:
        when = f" from day {first} to day {last}"
    step = f"+{number(b.get('step'))} {b.get('step_unit', '')}".rstrip() if b.get("step") else "more capacity"
    what = (
        f"{commodity_words(str(b.get('commodity')))} shortfall"
        if b.get("commodity")
        else "shortfall (several commodities at once)"
    )
    cut = f" by up to about {number(b['predicted_cut_t'])} t" if _is_num(b.get("predicted_cut_t")) else ""
    kind = str(b.get("kind", "")).replace("_", " ")
    subject = f"at {where}" if kind == "entry capacity" else f"on {kind} {where}".rstrip()
    return f"{step} {subject}{when} would cut the {what}{cut}."


def plain_note(note: str, plan: Plan) -> tuple[str, str | None]:
    """A verdict note with each solver statement (a binding constraint's text) put in plain words; the
    technical text comes back as the second item (None when there was none)."""
    names = _entry_names(plan)
    detail = []
    # a plan assembled by hand may hold a supply of another shape: the report shows it as stored
    for b in plan.supply.binding if isinstance(plan.supply, SupplyPlan) else []:
        text = b.text
        if text and text in note:
            note = note.replace(text, binding_words(b.model_dump(), names).rstrip("."))
            detail.append(text)
    return note, ("; ".join(dict.fromkeys(detail)) or None)


def supply_view(plan: Plan, sp: Mapping[str, Any]) -> dict[str, Any]:
    """Per commodity: need, delivered, short, from when; what binds in plain words; crossings and fleet."""
    v = _view("supply", "Supply: what reaches the sites each day")
    names = _entry_names(plan)
    daily = list(sp.get("daily") or [])
    required = dict(sp.get("required_t") or {})
    short = dict(sp.get("shortfall_t") or {})
    first = dict(sp.get("first_shortfall_day") or {})
    delivered: dict[str, float] = {}
    for r in daily:
        if _is_num(r.get("delivered_t")):
            delivered[r["commodity"]] = delivered.get(r["commodity"], 0.0) + r["delivered_t"]
    commodities = list(dict.fromkeys([*required, *short, *(r.get("commodity") for r in daily)]))
    days = sp.get("days") or plan.horizon_days
    if sp.get("entry_capacity"):
        v["figures"].append(
            (
                "crossing capacity",
                {
                    "declared": "as declared per crossing",
                    "design": "published design capacity",
                    "observed": "as observed (daily series)",
                }.get(sp["entry_capacity"], str(sp["entry_capacity"])),
            )
        )
    if _is_num(sp.get("fleet_trucks")):
        v["figures"].append(("trucks needed inside the area (fleet)", number(sp["fleet_trucks"])))
    rows = []
    for c in commodities:
        need = required.get(c)
        s = short.get(c)
        got = delivered.get(c, need - s if _is_num(need) and _is_num(s) else None)
        met = 1.0 - s / need if _is_num(need) and need > 0 and _is_num(s) else None
        day = first.get(c)
        rows.append(
            [
                commodity_words(c),
                number(need),
                number(got),
                number(s),
                share(met),
                "never" if day is None else f"day {day}",
            ]
        )
    if rows:
        v["tables"].append(
            _table(
                f"Each commodity over the {days} days",
                ["commodity", "need (t)", "delivered (t)", "short (t)", "share of need met", "first day short"],
                rows,
                open=True,
                note="'never': no shortfall within the horizon",
            )
        )
    for b in sp.get("binding") or []:
        v["notes"].append({"text": "What binds: " + binding_words(b, names), "detail": b.get("text")})
    v["technical"] += [
        (k, t)
        for k, t in (
            ("solver status", sp.get("status")),
            (
                "objective: deprivation (weighted person-days short)",
                number((sp.get("objective") or {}).get("deprivation"))
                if isinstance(sp.get("objective"), Mapping)
                else None,
            ),
            (
                "objective: truckloads",
                number((sp.get("objective") or {}).get("truckloads"))
                if isinstance(sp.get("objective"), Mapping)
                else None,
            ),
            ("best bound", number(sp.get("best_bound")) if _is_num(sp.get("best_bound")) else None),
            ("optimality gap", share(sp["gap"]) if _is_num(sp.get("gap")) else None),
            (
                "largest conservation residual (t)",
                f"{sp['max_conservation_residual_t']:.2g}" if _is_num(sp.get("max_conservation_residual_t")) else None,
            ),
        )
        if t is not None
    ]

    day_axis = list(range(days))
    by_c: dict[str, dict[str, list[float]]] = {}
    for r in daily:
        if _is_num(r.get("day")) and 0 <= r["day"] < days:
            acc = by_c.setdefault(
                r["commodity"], {k: [0.0] * days for k in ("required_t", "delivered_t", "shortfall_t")}
            )
            for k in acc:
                if _is_num(r.get(k)):
                    acc[k][int(r["day"])] += r[k]
    if not (plan.sustain and plan.sustain.commodities) and by_c:
        _add(
            v,
            coverage_chart(
                {
                    c: [d / n if n > 0 else None for d, n in zip(a["delivered_t"], a["required_t"])]
                    for c, a in by_c.items()
                }
            ),
            "no commodity has a need in this plan",
        )
    _add(
        v,
        _chart(
            "supply-shortfall",
            "Shortfall per day, by commodity",
            [str(d) for d in day_axis],
            [
                {
                    "label": commodity_words(c),
                    "data": [round(x, 3) for x in a["shortfall_t"]],
                    "color": commodity_colour(c),
                }
                for c, a in by_c.items()
            ],
            type="line",
            x_title=_days_axis(),
            y_title="tonnes short",
        ),
        "no commodity falls short on any day",
    )
    entry = list(sp.get("entry_use") or [])
    crossings = list(dict.fromkeys(r.get("entry_point") for r in entry))
    trucks_ds = []
    spare = ["#000000", "#56B4E9", "#7F7F7F", "#8C564B", "#E69F00"]
    for i, e in enumerate(crossings):
        rs = {int(r["day"]): r for r in entry if r.get("entry_point") == e and _is_num(r.get("day"))}
        colour = spare[i % len(spare)]
        trucks_ds.append(
            {
                "label": f"{names.get(e, e)}: used",
                "color": colour,
                "data": [rs[d].get("trucks_used") if d in rs else None for d in day_axis],
            }
        )
        trucks_ds.append(
            {
                "label": f"{names.get(e, e)}: available",
                "color": colour,
                "dash": True,
                "data": [rs[d].get("trucks_available") if d in rs else None for d in day_axis],
            }
        )
    if entry:
        _add(
            v,
            _chart(
                "supply-trucks",
                "Trucks per day at each crossing: used and available",
                [str(d) for d in day_axis],
                trucks_ds,
                type="line",
                x_title=_days_axis(),
                y_title="trucks per day",
                note="dashed: trucks the crossing can take that day",
            ),
            "no truck crosses in this plan",
        )
        carried: dict[str, list[float]] = {}
        for r in entry:
            for c, t in (r.get("by_commodity_t") or {}).items():
                if _is_num(t) and _is_num(r.get("day")) and 0 <= r["day"] < days:
                    carried.setdefault(c, [0.0] * days)[int(r["day"])] += t
        _add(
            v,
            _chart(
                "supply-carried",
                "What comes through the crossings each day, by commodity",
                [str(d) for d in day_axis],
                [
                    {"label": commodity_words(c), "data": [round(x, 1) for x in t], "color": commodity_colour(c)}
                    for c, t in carried.items()
                ],
                stacked=True,
                x_title=_days_axis(),
                y_title="tonnes per day",
                note="all crossings together",
            ),
            "nothing comes through the crossings",
        )
    fleet = sp.get("trucks_per_day") or []
    if fleet:
        _add(
            v,
            _chart(
                "supply-fleet",
                "Truckloads driven per day inside the area",
                [str(d) for d in range(len(fleet))],
                [{"label": "truckloads", "data": list(fleet), "color": "#555f6d"}],
                x_title=_days_axis(),
                y_title="truckloads per day",
                note=f"from the crossings and hubs to the sites; fleet needed: {number(sp.get('fleet_trucks'))} trucks",
            ),
            "no truck drives inside the area",
        )
    site_short: dict[str, dict[str, float]] = {}
    for r in sp.get("deliveries") or []:
        if _is_num(r.get("shortfall_t")) and r["shortfall_t"] > 0:
            d = site_short.setdefault(str(r.get("site")), {})
            d[r["commodity"]] = d.get(r["commodity"], 0.0) + r["shortfall_t"]
    if site_short:
        cs = [c for c in commodities if any(c in d for d in site_short.values())]
        order = sorted(site_short, key=lambda s: -sum(site_short[s].values()))
        rows = [
            [
                s,
                *(number(site_short[s].get(c)) if c in site_short[s] else "—" for c in cs),
                number(sum(site_short[s].values())),
            ]
            for s in order
        ]
        v["tables"].append(
            _table(
                f"Sites short of supply: {len(order)} of {sum(1 for s in plan.sites if s.open)} open sites",
                ["site", *(f"{commodity_words(c)} short (t)" for c in cs), "all short (t)"],
                rows,
                note="over the horizon, most short first; per site and day in tables/supply_deliveries.csv",
            )
        )
    if entry:
        rows = [
            [
                f"day {r.get('day')}",
                names.get(r.get("entry_point"), r.get("entry_point")),
                number(r.get("trucks_available")),
                number(r.get("trucks_used")),
                number(r.get("capacity_t")),
                number(r.get("used_t")),
                " · ".join(
                    f"{commodity_words(c)} {number(t)}"
                    for c, t in (r.get("by_commodity_t") or {}).items()
                    if _is_num(t) and t > 0
                )
                or "—",
            ]
            for r in entry
        ]
        v["tables"].append(
            _table(
                "Each crossing, day by day",
                [
                    "day",
                    "crossing",
                    "trucks available",
                    "trucks used",
                    "capacity (t)",
                    "carried (t)",
                    "carried, by commodity (t)",
                ],
                rows,
                note="also in tables/supply_entry_use.csv",
            )
        )
    _chain_tables(v, sp, names)
    return v


def _chain_tables(v: dict[str, Any], sp: dict[str, Any], names: Mapping[str, str]) -> None:
    """The delivery chain after each entry point and the fuel, when the plan declares them (issue 20)."""
    chain = sp.get("chain") or {}
    if chain.get("entry_points"):
        rows = [
            [
                names.get(e["entry_point"], e["entry_point"]),
                e.get("mode") or "—",
                number(e.get("entered_t")),
                number((e.get("lost_at_entry_t") or 0) + (e.get("lost_on_route_t") or 0)),
                number(e.get("delivered_t")),
                number(e.get("backlog_last_day_t")),
                number(e.get("cost_usd_per_t_delivered")),
                e.get("binds_most") or "—",
            ]
            for e in chain["entry_points"]
        ]
        v["tables"].append(
            _table(
                "The delivery chain after each entry point",
                [
                    "entry point",
                    "mode",
                    "entered (t)",
                    "lost (t)",
                    "delivered (t)",
                    "backlog, last day (t)",
                    "cost per t delivered (USD)",
                    "binds most",
                ],
                rows,
                note="over the horizon; per day in plan.json supply.chain; the figures' sources and what is not modelled "
                "are there too",
            )
        )
    fuel = sp.get("fuel") or {}
    if fuel:
        rows = [
            [
                u,
                number(f.get("need_l_per_day")),
                number(f.get("delivered_l_per_day")),
                number(None if f.get("met_share") is None else 100 * f["met_share"]),
            ]
            for u, f in (fuel.get("uses_other_than_water") or {}).items()
        ]
        rows.append(
            [
                "water plants",
                "—",
                number(fuel.get("to_water_l", 0) / max(len(fuel.get("daily") or [1]), 1)),
                f"{number(fuel.get('water_made_with_fuel_m3'))} of {number(fuel.get('water_capacity_fuel_driven_m3'))}"
                " m3 made",
            ]
        )
        v["tables"].append(
            _table(
                "Fuel by use",
                ["use", "need (L/day)", "delivered (L/day, mean)", "% of need met"],
                rows,
                note=f"{number(fuel.get('entered_l'))} L entered over the horizon; per day in plan.json supply.fuel",
            )
        )


def coverage_chart(series: Mapping[str, list[float | None]]) -> dict[str, Any]:
    """Share of each day's need delivered, per commodity, in per cent."""
    n = max((len(s) for s in series.values()), default=0)
    return _chart(
        "coverage",
        "Share of each day's need delivered, by commodity",
        [str(d) for d in range(n)],
        [
            {
                "label": commodity_words(c),
                "color": commodity_colour(c),
                "data": [None if x is None else round(100.0 * x, 1) for x in s],
            }
            for c, s in series.items()
        ],
        type="line",
        x_title=_days_axis(),
        y_title="% of the day's need",
        percent=True,
    )


# ---- sustainment ------------------------------------------------------------------------------------------------


def sustain_view(plan: Plan, su: Mapping[str, Any]) -> dict[str, Any]:
    """Who is below the standard, from when, at which sites."""
    v = _view("sustain", "Sustainment: who falls below the standard, from when")
    coms = list(su.get("commodities") or [])
    rows = []
    for c in coms:
        below = [x for x in c.get("people_below_standard_by_day") or [] if _is_num(x)]
        day = c.get("first_shortfall_day")
        rows.append(
            [
                commodity_words(c["commodity"]),
                "never" if day is None else f"day {day}",
                number(len(c.get("sites_short_first_day") or [])) if day is not None else "—",
                number(max(below)) if below else "—",
                number(below[-1]) if below else "—",
                share(min((x for x in c.get("coverage_by_day") or [] if _is_num(x)), default=None)),
            ]
        )
    if rows:
        v["tables"].append(
            _table(
                "Each commodity",
                [
                    "commodity",
                    "first day short",
                    "sites short that day",
                    "people below the standard, worst day",
                    "people below the standard, last day",
                    "lowest daily share of need met",
                ],
                rows,
                open=True,
            )
        )
    if coms:
        _add(
            v,
            coverage_chart({c["commodity"]: list(c.get("coverage_by_day") or []) for c in coms}),
            "no commodity has a need in this plan",
        )
        n = max(len(c.get("people_below_standard_by_day") or []) for c in coms)
        _add(
            v,
            _chart(
                "sustain-people-below",
                "People below the standard each day, by commodity",
                [str(d) for d in range(n)],
                [
                    {
                        "label": commodity_words(c["commodity"]),
                        "color": commodity_colour(c["commodity"]),
                        "data": list(c.get("people_below_standard_by_day") or []),
                    }
                    for c in coms
                ],
                type="line",
                x_title=_days_axis(),
                y_title="people",
            ),
            "no one falls below a standard on any day",
        )
    by_site = su.get("first_shortfall_day_by_site") or {}
    if isinstance(by_site, Mapping) and by_site:
        cs = list(by_site)
        sites = list(dict.fromkeys(s for c in cs for s in (by_site[c] or {})))
        short = [s for s in sites if any((by_site[c] or {}).get(s) is not None for c in cs)]
        first = {s: min(d for c in cs if (d := (by_site[c] or {}).get(s)) is not None) for s in short}
        short.sort(key=lambda s: (first[s], s))
        rows = [[s, *("—" if (d := (by_site[c] or {}).get(s)) is None else f"day {d}" for c in cs)] for s in short]
        v["tables"].append(
            _table(
                f"First day short at each site: {len(short)} of {len(sites)} sites short of something",
                ["site", *(commodity_words(c) for c in cs)],
                rows,
                note=f"'—': not short within the horizon; {len(sites) - len(short)} site(s) never short",
            )
        )
    return v


# ---- camp layouts ------------------------------------------------------------------------------------------------

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
    v["tables"].append(
        _table(
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
    )
    limit = plan.standards.figures.get("max_distance_to_water_m")
    top = sorted(layouts, key=lambda x: -(x.get("max_plot_to_water_m") or 0))[:40]
    ds = [
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
    walks = _chart(
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
    _add(v, walks | {"compare": False}, "no camp is laid out")
    return v


# ---- movement over days --------------------------------------------------------------------------------------

_RUN_WORDS = {"arrival": "sites fill in the order people arrive", "plan": "the plan's assignment (the siting)"}


def movement_view(plan: Plan, mv: Mapping[str, Any]) -> dict[str, Any]:
    """The move over days: each order's departure curve with the observed series over it, where everyone is each
    day, arrivals by mode, the walking burden and the arrival-order run beside the plan."""
    v = _view("movement", "How people move over days: departures, arrivals, walking burden")
    days = plan.horizon_days
    labels = list(range(days))
    orders = list(mv.get("orders") or [])
    unordered = mv.get("unordered") or {}
    for o in orders:
        left = o["left_by_day"]
        inside = (
            ""
            if o.get("inside_at_operation") is None
            else f"; {number(o['inside_at_operation'])} still inside when the operation starts (day "
            f"{number(o.get('operation_day'))})"
        )
        v["figures"].append(
            (
                f"order on '{o['footprint']}', day {number(o['day'])}",
                f"{number(left[-1])} of {number(o['people'])} people left by day {days - 1} "
                f"({share(left[-1] / o['people'] if o['people'] else 0)}){inside}",
            )
        )
    if unordered.get("people") and (unordered.get("left_by_day") or [0])[-1]:
        v["figures"].append(
            (
                "left without an order",
                f"{number(unordered['left_by_day'][-1])} of "
                f"{number(unordered['people'])} people outside the ordered areas",
            )
        )
    runs = mv.get("runs") or {}
    run = runs.get(mv.get("assignment")) or next(iter(runs.values()), None)
    if run is not None:
        v["figures"] += [
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
        for n in run.get("notes") or []:
            v["notes"].append({"text": str(n), "detail": None})
    total_people = sum(o["people"] for o in orders) + int(unordered.get("people") or 0)
    for k, o in enumerate(orders):
        d0 = float(o["day"])
        ds = [
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
            series: list[float | None] = [None] * days
            for t, y in zip(obs["days"], obs["share"]):
                d = int(round(d0 + t - 1))  # t days after the order = the end of day d0 + t - 1
                if 0 <= d < days:
                    series[d] = 100.0 * y
            ds.append({"label": f"observed: {obs['label']}", "data": series, "color": "#D55E00"})
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
    if run is not None:
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
    cmp = mv.get("comparison")
    if cmp:
        rows = [
            [key_label, number(r["arrival"]), number(r["plan"]), number(r["difference"])]
            for key_label, r in ((k.replace("_", " "), r) for k, r in cmp.items() if k != "mean_trip_h")
        ]
        rows += [
            [f"mean trip, {m} (h)", f"{r['arrival']:.2f}", f"{r['plan']:.2f}", f"{r['plan'] - r['arrival']:+.2f}"]
            for m, r in (cmp.get("mean_trip_h") or {}).items()
        ]
        v["tables"].append(
            _table(
                "Undirected (arrival order) against the plan, on the horizon's last day",
                ["figure", "arrival order", "plan", "plan − arrival"],
                rows,
                open=True,
                note="what direction could achieve: the plan sends each person to a planned place",
            )
        )
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


#: plan section -> its view (a section not named here: `views.section_view`)
STAGE_VIEWS: dict[str, Callable[[Plan, Any], dict[str, Any]]] = {
    "evacuation": evacuation_view,
    "supply": supply_view,
    "sustain": sustain_view,
    "layout": layout_view,
    "movement": movement_view,
}
