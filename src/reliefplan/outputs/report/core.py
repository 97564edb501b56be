"""The core plan's charts: people, zones, sites, truckloads needed and available, departures per day."""

from __future__ import annotations

from typing import Any

from ...plan import Plan
from ...words import COMMODITY_COLOURS, PEOPLE_COLOURS, _chart
from .blocks import _num_label


def core_charts(plan: Plan) -> list[dict[str, Any]]:
    """Charts from the core plan: people, zones, sites, trucks, departures (an empty one left out)."""
    return _core(plan)[0]


def core_omitted(plan: Plan) -> list[tuple[str, str]]:
    """(title, why) of the core charts left out because they would be empty or say one thing."""
    return _core(plan)[1]


def _core(plan: Plan) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    omitted: list[tuple[str, str]] = []
    charts = [_people_chart(plan)]
    for chart, left_out in (_zones_chart(plan), _sites_chart(plan)):
        if chart is not None:
            charts.append(chart)
        else:
            omitted.append(left_out)
    charts.append(_trucks_chart(plan))
    departures, why = _departures_chart(plan)
    if departures is not None:
        charts.append(departures)
    else:
        omitted.append(why)
    order = {"people": 0, "trucks": 1, "zones": 2, "sites": 3, "departures": 4}  # narrow charts pair up first
    return sorted(charts, key=lambda c: order.get(c["id"], 9)), omitted


def _people_chart(plan: Plan) -> dict[str, Any]:
    """Displaced, sheltered, without a shelter place, staying."""
    p = plan.people
    cats = ["displaced", "sheltered", "unsheltered", "staying"]
    return _chart(
        "people",
        "People: displaced, sheltered, without a shelter place, staying",
        ["displaced", "sheltered", "without a shelter place", "staying"],
        [
            {
                "label": "people",
                "data": [p.displaced, p.sheltered, p.unsheltered, p.staying],
                "colors": [PEOPLE_COLOURS[c] for c in cats],
            }
        ],
        y_title="people",
    )


def _zones_chart(plan: Plan) -> tuple[dict[str, Any] | None, tuple[str, str]]:
    """Displaced people per zone, sheltered and not, largest first; None and why when no zone has any."""
    zones = sorted((z for z in plan.zones if z.displaced > 0), key=lambda z: -z.displaced)
    why = ("Displaced people per zone", "no zone has displaced people in this plan")
    if not zones:
        return None, why
    labels = [z.name or z.id for z in zones]
    chart = _chart(
        "zones",
        "Displaced people per zone: sheltered and without a shelter place",
        labels,
        [
            {"label": "sheltered", "data": [z.sheltered for z in zones], "color": PEOPLE_COLOURS["sheltered"]},
            {
                "label": "without a shelter place",
                "data": [z.unsheltered for z in zones],
                "color": PEOPLE_COLOURS["unsheltered"],
            },
        ],
        stacked=True,
        y_title="people",
        x_title="zone",
        note=f"{len(zones)} zone(s) with displaced people, largest first",
    )
    return chart, why


def _sites_chart(plan: Plan) -> tuple[dict[str, Any] | None, tuple[str, str]]:
    """Each site's capacity with the people allocated (and already there) over it; None and why when no site has
    capacity or people."""
    sites = sorted(
        (s for s in plan.sites if s.capacity > 0 or s.population > 0 or s.existing_population > 0),
        key=lambda s: (-(s.population + s.existing_population), -s.capacity),
    )
    why = ("Site capacity and people allocated", "no site has capacity or people in this plan")
    if not sites:
        return None, why
    labels = [s.name or s.id for s in sites]
    ds = [
        {"label": "capacity (additional people)", "data": [s.capacity for s in sites], "color": "#c3cad3"},
        {"label": "people allocated", "data": [s.population for s in sites], "color": PEOPLE_COLOURS["sheltered"]},
    ]
    if any(s.existing_population for s in sites):
        ds.append({"label": "people already there", "data": [s.existing_population for s in sites], "color": "#555f6d"})
    chart = _chart(
        "sites",
        "Site capacity and people allocated, per site",
        labels,
        ds,
        y_title="people",
        x_title="site",
        overlap=True,
        note="bars drawn over the capacity bar; sites with capacity or people, most people first",
    )
    return chart, why


def _trucks_chart(plan: Plan) -> dict[str, Any]:
    """Truckloads per day needed (food and medical supplies; water if all of it were trucked) and available at
    each crossing and at all of them."""
    n = plan.needs_all or plan.needs
    avail = [e.trucks_per_day for e in plan.entry_points]
    labels = ["needed: food + medical supplies (everyone)", "needed: water, if all of it were trucked (everyone)"]
    data = [n.trucks_per_day_food_medical, n.water_tankers_per_day]
    colors = [COMMODITY_COLOURS["food"], COMMODITY_COLOURS["water"]]
    for e in plan.entry_points:
        labels.append(f"available: {e.name or e.id}")
        data.append(e.trucks_per_day)
        colors.append("#7f7f7f")
    if avail:
        labels.append("available: all crossings")
        data.append(sum(avail))
        colors.append("#3d3d3d")
    return _chart(
        "trucks",
        "Truckloads per day: needed and available at the crossings",
        labels,
        [{"label": "trucks per day", "data": data, "colors": colors}],
        horizontal=True,
        x_title="trucks per day",
        note="needs of everyone fed through the crossings, at each commodity's payload; available: "
        "declared trucks per day (the verdict's entry row uses the capacity as planned)",
    )


def _departures_chart(plan: Plan) -> tuple[dict[str, Any] | None, tuple[str, str]]:
    """People leaving the operation area per day; None and why when everyone leaves on one day or no one does."""
    days: dict[float, int] = {}
    for z in plan.zones:
        for day, people in z.departures:
            days[day] = days.get(day, 0) + people
    title = "People leaving the operation area per day"
    if len(days) > 1:
        xs = sorted(days)
        chart = _chart(
            "departures",
            title,
            [_num_label(x) for x in xs],
            [{"label": "people leaving", "data": [days[x] for x in xs], "color": "#555f6d"}],
            x_title="day of the operation (day 0: the order)",
            y_title="people",
            note="when each part of the operation area is emptied; arrival times need the evacuation stage",
        )
        return chart, (title, "")
    if days:
        ((day, people),) = days.items()
        return None, (title, f"everyone leaves on day {_num_label(day)}: {people:,} people")
    return None, (title, "no one leaves in this plan")
