"""Wear and seasons in the supply plan's needs: tents that wear out, winterisation kits, more water in the heat.

Off unless the scenario declares a ``seasons:`` block, and each part only when its section is declared
(``tent_lifespan``, ``winterisation``, ``heat``; ``{}`` takes the shipped figures of ``data/health/seasons.yaml``).
Figures and sources: ``solvers.seasons``; days map to months from the scenario's ``start_date``.

* tent wear: every tent handed to an arriving household fails at a Weibull age and is owed again (renewals of
  renewals count); the replacement tents join the shelter items owed until delivered;
* winterisation: in the cold months every aid-dependent household present is owed one kit per season (households
  arriving later in the season on arrival); kits join the shelter items owed;
* heat: in the hot months each aid-dependent person needs the extra drinking water every day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..plan import Flood, FloodedSite, Indicator, Seasons
from ..scenario._seasonsdata import MonthsParam, load_seasons_data, season_overrides
from ..scenario.folder import Scenario
from ..solvers.seasons import (
    day_months,
    heat_extra_water_l,
    tent_replacements,
    winterisation_kits_owed,
)
from ..solvers.supply import CommoditySpec
from .presence import Presence

#: need lists by location index, group and commodity id (t by day), as `deliveries.node_demand` returns them
Need = dict[int, dict[str, dict[str, list[float]]]]


@dataclass
class SeasonNeeds:
    """What wear and the seasons add, in tonnes by day, and how it was counted."""

    added_t: dict[str, np.ndarray] = field(default_factory=dict)  # part -> t by day (all locations)
    items: dict[str, np.ndarray] = field(default_factory=dict)  # part -> tents / kits / m3 by day
    notes: list[str] = field(default_factory=list)

    def summary(self) -> Seasons:
        """plan.json `seasons`: tonnes added over the horizon and by day per part, items, notes."""
        return Seasons(
            added_t_total={k: round(float(v.sum()), 1) for k, v in self.added_t.items()},
            added_t_by_day={k: [round(float(x), 2) for x in v] for k, v in self.added_t.items()},
            items_total={k: round(float(v.sum()), 1) for k, v in self.items.items()},
            notes=self.notes,
        )


def season_needs(sc: Scenario, pres: Presence, specs: list[CommoditySpec], need: Need) -> SeasonNeeds:
    """Add wear and season needs to ``need`` in place (commodities ``water`` and ``shelter_nfi``); what was added."""
    out = SeasonNeeds()
    if sc.seasons is None or sc.start_date is None:
        return out
    declared = season_overrides(sc.seasons)
    data = load_seasons_data(declared, source_file=str(sc.folder / "scenario.yaml"))
    T = pres.days
    months = day_months(sc.start_date, T)
    ids = {s.commodity.id for s in specs}
    std = sc.standards
    dep = pres.dependent  # [L, G, T]

    def add(commodity: str, part: str, t_by_cell: np.ndarray) -> None:
        """t_by_cell [L, G, T] onto the need lists of the cells that have them."""
        for loc, groups in need.items():
            for g, lists in groups.items():
                extra = t_by_cell[loc, pres.group(g)]
                if extra.any():
                    lists[commodity] = list(np.asarray(lists[commodity]) + extra)
        out.added_t[part] = out.added_t.get(part, np.zeros(T)) + t_by_cell.sum(axis=(0, 1))

    if "heat" in declared and "water" in ids:
        h = data.heat
        extra_l = heat_extra_water_l(dep.reshape(-1, T), months, h.months.value, h.extra_water_l_per_person_day.value)
        add("water", "heat_water", extra_l.reshape(dep.shape) / 1000.0)
        out.items["heat_water_m3"] = extra_l.sum(axis=0) / 1000.0
        out.notes.append(
            f"heat: +{h.extra_water_l_per_person_day.value:g} L/person/day in months "
            f"{h.months.value} ({h.extra_water_l_per_person_day.label()}; months: {_label(h.months)})"
        )
    if "tent_lifespan" in declared and "shelter_nfi" in ids:
        tl = data.tent_lifespan
        tents_pp = max(
            1.0 / sc.household_size, std.value("covered_area_m2_per_person") / std.value("tent_covered_area_m2")
        )
        t_per_tent = std.value("tent_weight_kg") / 1000.0
        arrivals = pres.arrivals.reshape(-1, T)
        renewals = tent_replacements(arrivals * tents_pp, tl.median_days.value, tl.shape.value)  # tents by day
        add("shelter_nfi", "tent_replacements", (renewals * t_per_tent).reshape(dep.shape))
        out.items["replacement_tents"] = renewals.sum(axis=0)
        out.notes.append(
            f"tent wear: Weibull lifetime, median {tl.median_days.value:g} days, shape {tl.shape.value:g} "
            f"({tl.median_days.label()}); {tents_pp:.3g} tents per person arriving, {t_per_tent * 1000:g} kg "
            "each; replacements owed from when the tent is handed out (taken as the day people arrive)"
        )
    if "winterisation" in declared and "shelter_nfi" in ids:
        w = data.winterisation
        households = dep.reshape(-1, T) / sc.household_size
        kits = winterisation_kits_owed(households, months, w.months.value, w.kits_per_household.value)
        add("shelter_nfi", "winterisation_kits", (kits * w.kit_weight_kg.value / 1000.0).reshape(dep.shape))
        out.items["winterisation_kits"] = kits.sum(axis=0)
        out.notes.append(
            f"winterisation: {w.kits_per_household.value:g} kit of {w.kit_weight_kg.value:g} kg per "
            f"aid-dependent household present in months {w.months.value}, once per season "
            f"({w.kit_weight_kg.label()}; months: {_label(w.months)})"
        )
    if "flood" in declared:
        out.notes.append(
            "flood: people on site land that floods are counted by day (seasons.flood, verdict row "
            "people_on_flooded_land); site capacity and the siting do not change by month and moving "
            "them is not modelled yet (the movement stage)"
        )
    if out.notes:
        first = sc.start_date.isoformat()
        out.notes.insert(
            0, f"wear and seasons from day 0 = {first} (start_date); {math.ceil(T / 30.4)} months in the horizon"
        )
    return out


def _label(p: MonthsParam) -> str:
    return f"{p.where} [{p.source}]" + (" ASSUMPTION" if p.assumption else "")


def flooded_land(sc: Scenario, pres: Presence, free_sites_m: np.ndarray) -> tuple[Flood | None, Indicator | None]:
    """People on flooded site land: each site's usable share by day (``seasons.flood.layer``) x its people (spread
    evenly over the site). They must move or be protected; moving them is not modelled yet (the movement stage).
    Returns plan.json ``seasons.flood`` and a verdict row (None, None without a flood layer)."""
    if not sc.flood_zones or sc.start_date is None:
        return None, None
    from ..solvers.seasons import FloodZone, flood_usable_share
    from .verdict import indicator

    zones = [
        FloodZone(id=z["id"], geometry=z["geometry_m"], months=z["months"], usable_share_lost=z["usable_share_lost"])
        for z in sc.flood_zones
    ]
    months = day_months(sc.start_date, pres.days)
    usable = flood_usable_share(list(free_sites_m), zones, months)  # [S, T]
    site_rows = [i for i, k in enumerate(pres.kinds) if k == "site"]
    people = pres.people[site_rows].sum(axis=1).astype(float)  # [S, T]
    flooded = people * (1.0 - usable)
    total = flooded.sum(axis=0)
    days = np.flatnonzero(total >= 0.5)
    first = int(days[0]) if days.size else None
    worst = int(np.argmax(total))
    ids = [s.id for s in sc.sites]
    block = Flood(
        zones=len(zones),
        people_on_flooded_land_by_day=[int(round(x)) for x in total],
        first_day=first,
        sites={
            ids[j]: FloodedSite(
                usable_share_min=round(float(usable[j].min()), 4),
                people_on_flooded_land_max=int(round(float(flooded[j].max()))),
            )
            for j in range(len(ids))
            if usable[j].min() < 1.0
        },
        note="people spread evenly over each site; they must move or be protected (not modelled yet: "
        "site capacity and the siting do not change by month)",
    )
    row = indicator(
        "people_on_flooded_land",
        "scenario",
        float(total.max(initial=0.0)),
        0.0,
        "people",
        "<=",
        "reliefplan: nobody sheltered on land that floods (seasons.flood.layer)",
        note=(
            "no site land floods while people are on it"
            if first is None
            else f"from day {first}; worst day {worst}: {total[worst]:,.0f} people on flooded land at "
            f"{sum(1 for j in range(len(ids)) if flooded[j, worst] >= 0.5)} site(s); "
            "moving them is not modelled yet"
        ),
    )
    return block, row
