"""The supply and sustainment stages as a planner reads them: each commodity's need, delivery and shortfall, what
binds in plain words, the crossings, the fleet, the delivery chain and fuel; who falls below a standard, from when."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...plan import Plan, SupplyPlan
from ...words import _chart, commodity_colour, commodity_words, number, share
from .blocks import _add, _days_axis, _entry_names, _is_num, _table, _view


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
    days = sp.get("days") or plan.horizon_days
    v["figures"] += _figures(sp)
    commodities = _commodity_table(v, sp, daily, days)
    for b in sp.get("binding") or []:
        v["notes"].append({"text": "What binds: " + binding_words(b, names), "detail": b.get("text")})
    v["technical"] += _technical(sp)
    _daily_charts(v, plan, daily, days)
    entry = list(sp.get("entry_use") or [])
    if entry:
        _crossing_charts(v, entry, names, days)
    _fleet_chart(v, sp)
    _sites_short_table(v, plan, sp, commodities)
    if entry:
        v["tables"].append(_crossing_table(entry, names))
    _chain_tables(v, sp, names)
    return v


def _figures(sp: Mapping[str, Any]) -> list[tuple[str, str]]:
    """How the crossing capacity is taken, and the fleet needed inside the area."""
    figures = []
    if sp.get("entry_capacity"):
        figures.append(
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
        figures.append(("trucks needed inside the area (fleet)", number(sp["fleet_trucks"])))
    return figures


def _commodity_table(v: dict[str, Any], sp: Mapping[str, Any], daily: list[Any], days: int) -> list[str]:
    """Each commodity over the horizon: need, delivered, short, share met, first day short. Returns the
    commodities in the order the plan names them."""
    required = dict(sp.get("required_t") or {})
    short = dict(sp.get("shortfall_t") or {})
    first = dict(sp.get("first_shortfall_day") or {})
    delivered: dict[str, float] = {}
    for r in daily:
        if _is_num(r.get("delivered_t")):
            delivered[r["commodity"]] = delivered.get(r["commodity"], 0.0) + r["delivered_t"]
    commodities = list(dict.fromkeys([*required, *short, *(r.get("commodity") for r in daily)]))
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
    return commodities


def _technical(sp: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The solver's status, objectives, bound, gap and conservation residual (those it reports)."""
    return [
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


def _daily_charts(v: dict[str, Any], plan: Plan, daily: list[Any], days: int) -> None:
    """Share of each day's need delivered (unless the sustainment view draws it) and the shortfall per day."""
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
            [str(d) for d in range(days)],
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


def _crossing_charts(v: dict[str, Any], entry: list[Any], names: Mapping[str, str], days: int) -> None:
    """Trucks used and available at each crossing per day, and what comes through them by commodity."""
    day_axis = list(range(days))
    crossings = list(dict.fromkeys(r.get("entry_point") for r in entry))
    trucks_ds: list[dict[str, Any]] = []
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


def _fleet_chart(v: dict[str, Any], sp: Mapping[str, Any]) -> None:
    """Truckloads driven per day inside the area, when the plan reports them."""
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


def _sites_short_table(v: dict[str, Any], plan: Plan, sp: Mapping[str, Any], commodities: list[str]) -> None:
    """The sites short of supply over the horizon, most short first, per commodity."""
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


def _crossing_table(entry: list[Any], names: Mapping[str, str]) -> dict[str, Any]:
    """Each crossing, day by day: trucks available and used, capacity and tonnes carried by commodity."""
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
    return _table(
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


def _chain_tables(v: dict[str, Any], sp: Mapping[str, Any], names: Mapping[str, str]) -> None:
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
