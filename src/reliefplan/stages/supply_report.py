"""A plan's deliveries (`Deliveries`, made by `deliveries.deliver`) and what plan.json says of them: `supply` (per
day, per crossing, fleet, the delivery chain's parts) and `groups` (what reaches each person of each group)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..plan import SupplyPlan
from ..plan_health import GroupDay, Groups, GroupSummary
from ..plan_supply import DeliveryChain, EntryClosure, FuelPlan, HubPlan, LastMile, SupplyDay, Sustain
from ..plan_supply import SupplyAreas as AreasFigures
from ..scenario.folder import Scenario
from ..solvers.supply import (
    CommoditySpec,
    SupplyInstance,
    SupplyResult,
    fleet_by_origin,
    result_to_dict,
    site_figures_t,
)
from ..solvers.sustain import GroupSustain, SustainResult, sustain_to_dict
from .group_ranges import group_ranges
from .presence import Presence
from .supply_areas import SupplyAreas


@dataclass
class Deliveries:
    instance: SupplyInstance
    result: SupplyResult
    sustain: SustainResult
    one_way_h: np.ndarray  # [entry, node]
    specs: list[CommoditySpec]  # per commodity (t per person, payloads)
    food_kcal_per_kg: float
    closures: dict[str, EntryClosure]  # entry id -> the day it closes and why
    local_water_t: np.ndarray  # [days] local water production available (wells, plants, packages)
    chain: DeliveryChain | None = None  # the declared delivery chain's figures (delivery_chain.py), else None
    fuel: FuelPlan | None = None  # fuel delivered and used (fuel_plan.py), when declared and solved
    hubs: HubPlan | None = None  # the hubs opened (hub_plan.py), when declared
    last_mile: LastMile | None = None  # one day's last-mile routes (last_mile.py), when declared and solved
    areas: SupplyAreas | None = None  # locations grouped into supply areas (supply_areas.py), else None
    face: dict[str, Any] | None = None  # the supply LP kept for the groups' ranges (supply.group_ranges), else None

    def rows(self, pres: Presence) -> np.ndarray:
        """Row of each presence location in the supply plan's sites (its area's when grouped); -1: not fed."""
        index = {sid: i for i, sid in enumerate(self.sustain.site_ids)}
        if self.areas is not None:
            at = np.array([index.get(a, -1) for a in self.areas.presence.location_ids] + [-1], dtype=np.int64)
            return at[self.areas.area_of]  # area_of -1 picks the trailing -1
        return np.array([index.get(lid, -1) for lid in pres.location_ids], dtype=np.int64)


def group_figures(d: Deliveries, *, rows: bool = True, dependent: dict[str, np.ndarray] | None = None) -> Groups:
    """plan.json `groups` (without its ``presence`` rows): per group, what reaches each person — litres of water and kcal of food delivered per
    person per day, share of each need met, people still owed shelter items, cumulative energy and water deficit
    per person — over the horizon and (rows) day by day.

    dependent: per group, aid-dependent people present each day [T]; the per-person figures are then per
    aid-dependent person (the others find their own, `population.aid_dependent_share`, and are not counted as
    receiving nothing)."""
    spec = {s.commodity.id: s for s in d.specs}
    kid = {k: i for i, k in enumerate(d.result.commodity_ids)}
    summary: list[GroupSummary] = []
    by_day: list[GroupDay] = []
    per_person: dict[str, np.ndarray] = {}
    for g, gs in d.sustain.groups.items():
        people = np.nan_to_num(gs.people)
        if not people.any():  # a group this plan has nobody in (listed for one LP structure across plans)
            continue
        per = people if dependent is None or g not in dependent else np.asarray(dependent[g], dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = np.where(per > 0, 1.0 / np.where(per > 0, per, 1.0), 0.0)
        per_person[g] = inv
        fig: dict[str, np.ndarray] = {}
        if "water" in kid:
            w = kid["water"]
            fig["water_l_per_person_day"] = gs.consumed_t[w] * 1000.0 * inv
            fig["water_need_l_per_person_day"] = gs.need_t[w] * 1000.0 * inv
            fig["cumulative_water_deficit_l_per_person"] = np.cumsum(gs.shortfall_t[w] * 1000.0 * inv)
        if "food" in kid:
            f = kid["food"]
            kcal_t = d.food_kcal_per_kg * 1000.0
            fig["kcal_per_person_day"] = gs.consumed_t[f] * kcal_t * inv
            fig["kcal_need_per_person_day"] = gs.need_t[f] * kcal_t * inv
            fig["cumulative_kcal_deficit_per_person"] = np.cumsum(gs.shortfall_t[f] * kcal_t * inv)
        if "shelter_nfi" in kid and spec["shelter_nfi"].t_per_person > 0:
            fig["people_owed_shelter_items"] = gs.shortfall_t[kid["shelter_nfi"]] / spec["shelter_nfi"].t_per_person
        summary.append(_group_summary(g, people, per, fig, gs))
        if rows:
            for t in range(d.result.days):
                by_day.append(
                    GroupDay.model_validate(
                        {
                            "group": g,
                            "day": t,
                            "people": int(people[t]),
                            **{k: round(float(v[t]), 3) for k, v in fig.items()},
                        }
                    )
                )
    ranges = None
    if d.face is not None and rows:  # supply.group_ranges, a plan (not an ensemble member)
        ranges = group_ranges(d.instance, d.result, d.face, d.food_kcal_per_kg, per_person)
    return Groups(food_kcal_per_kg=round(d.food_kcal_per_kg, 1), summary=summary, daily=by_day, ranges=ranges)


def supply_summary(d: Deliveries, sc: Scenario, *, rows: bool = True) -> tuple[SupplyPlan, Sustain]:
    """plan.json `supply` (per-day totals, trucks needed vs available per crossing, fleet) and `sustain`;
    ``rows=False``: without the per-site and per-crossing daily rows (ensemble members)."""
    full = result_to_dict(d.result, d.instance, rows=rows)
    days = d.instance.days
    res = d.result
    # per day and commodity, summed over sites from the rounded per-site figures (as the rows show them)
    figures = site_figures_t(res)
    sums = {k: figures[k].sum(axis=1) for k in ("required_t", "delivered_t", "produced_t", "shortfall_t")}
    daily = [
        SupplyDay(
            day=t,
            commodity=c,
            required_t=round(float(sums["required_t"][i, t]), 3),
            delivered_t=round(float(sums["delivered_t"][i, t]), 3),
            produced_t=round(float(sums["produced_t"][i, t]), 3),
            shortfall_t=round(float(sums["shortfall_t"][i, t]), 3),
        )
        for t in range(days)
        for i, c in sorted(enumerate(res.commodity_ids), key=lambda ic: ic[1])
    ]
    fleet = fleet_by_origin(d.instance, d.result)
    chain = d.chain
    if chain is not None and not rows:
        chain = chain.model_copy(
            update={"entry_points": [e.model_copy(update={"daily": None}) for e in chain.entry_points]}
        )
    plan = SupplyPlan(
        status=str(full["status"]).lower(),
        objective=full.get("objective"),
        best_bound=full.get("best_bound"),
        gap=full.get("gap"),
        method=d.result.method,
        days=days,
        entry_capacity=sc.supply.entry_capacity,
        daily=daily,
        deliveries=full["deliveries"],
        entry_use=full["entry_use"],
        binding=full["binding"],
        shortfall_t=full["shortfall_t"],
        required_t=full["required_t"],
        first_shortfall_day=full["first_shortfall_day"],
        fleet_trucks=int(sum(f.fleet_trucks or 0 for f in fleet)),
        trucks_per_day=[int(v) for v in sum((f.trucks_per_day for f in fleet), np.zeros(days))],
        max_conservation_residual_t=full.get("max_conservation_residual_t"),
        sharing=sc.sharing.policy,
        carry_over=full["carry_over"],
        payload_t=_payloads_t(d.specs),
        payload_source={s.commodity.id: s.payload_source for s in d.specs},
        food_kcal_per_kg=round(d.food_kcal_per_kg, 1),
        entry_closures=d.closures,
        local_water_m3_per_day=[round(float(v), 1) for v in d.local_water_t],
        locations=len(d.instance.sites),
        areas=None if d.areas is None else AreasFigures.model_validate(d.areas.to_dict()),
        chain=chain,
        fuel=d.fuel if rows or d.fuel is None else d.fuel.model_copy(update={"daily": None}),
        last_mile=d.last_mile,
        hubs=d.hubs,
    )
    return plan, Sustain.model_validate(sustain_to_dict(d.sustain))


def _payloads_t(specs: list[CommoditySpec]) -> dict[str, float]:
    """t per truck by commodity."""
    out = {}
    for s in specs:
        assert s.commodity.payload_t is not None  # load_commodities gives every commodity its payload
        out[s.commodity.id] = s.commodity.payload_t
    return out


def _group_summary(
    g: str, people: np.ndarray, per: np.ndarray, fig: dict[str, np.ndarray], gs: GroupSustain
) -> GroupSummary:
    """One group's row of `groups.summary`: people, what reached each (aid-dependent) person, shares met."""
    last = int(np.flatnonzero(per > 0)[-1]) if (per > 0).any() else 0
    present = per > 0

    def mean(key: str) -> float | None:
        return round(float(fig[key][present].mean()), 3) if key in fig and present.any() else None

    return GroupSummary(
        group=g,
        people_max=int(people.max(initial=0)),
        people_last_day=int(people[-1]),
        aid_dependent_max=int(round(float(per.max(initial=0)))),
        water_l_per_person_day=mean("water_l_per_person_day"),
        water_l_per_person_day_min=round(float(fig["water_l_per_person_day"][present].min()), 3)
        if "water_l_per_person_day" in fig and present.any()
        else None,
        kcal_per_person_day=mean("kcal_per_person_day"),
        kcal_per_person_day_min=round(float(fig["kcal_per_person_day"][present].min()), 1)
        if "kcal_per_person_day" in fig and present.any()
        else None,
        met_share={k: round(v, 6) for k, v in gs.met_share.items()},
        first_shortfall_day=gs.first_shortfall_day,
        cumulative_kcal_deficit_per_person=round(float(fig["cumulative_kcal_deficit_per_person"][last]), 1)
        if "cumulative_kcal_deficit_per_person" in fig
        else None,
        cumulative_water_deficit_l_per_person=round(float(fig["cumulative_water_deficit_l_per_person"][last]), 1)
        if "cumulative_water_deficit_l_per_person" in fig
        else None,
        people_owed_shelter_items_max=int(round(float(fig["people_owed_shelter_items"].max(initial=0))))
        if "people_owed_shelter_items" in fig
        else None,
        people_owed_shelter_items_last_day=int(round(float(fig["people_owed_shelter_items"][-1])))
        if "people_owed_shelter_items" in fig
        else None,
    )
