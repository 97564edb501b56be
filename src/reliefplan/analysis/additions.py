"""The least additions that make a planned (package, scenario) pair pass, one per resource, each holding the rest
of the pair's plan: prepared and new land (bisection on the siting), trucks/day at a crossing (parametric LP,
confirmed by a re-solve), tents, hospital beds and hauling fleet (by hand from the shortfall)."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from ..pipeline import PlanRun, Sheltering
from ..plan import Plan
from ..scenario.folder import Scenario
from ..solvers.supply import (
    Arc,
    Production,
    SupplyInstance,
    Warehouse,
    meets_every_need,
    min_extra_entry_capacity,
    with_extra_capacity,
)
from ..stages.allocation import allocate
from ..stages.capacity import site_capacity
from .packages import preparable_km2, prepare_land

#: bisection tolerance on prepared site area (km²): about 220 people at 45 m² per person
AREA_TOL_KM2 = 0.01


_LAND = {"displaced_people_sheltered_share", "usable_site_area_m2_per_displaced_person", "site_area_m2_per_person"}


_SUPPLY = {
    "water_need_met_share",
    "food_need_met_share",
    "medical_need_met_share",
    "shelter_nfi_need_met_share",
    "entry_trucks_per_day_vs_need",
    "water_l_per_person_day",
    "kcal_per_person_day",
}


_WHY_NOT = {
    "people_remaining_in_operation_area": "land outside the operation area within reach (overflow policy and density)",
    "evacuation_clearance_hours": "road capacity and distance (no package resource acts on the move)",
    "evacuees_reaching_their_site_share": "no road route from some zones to their sites",
    "camp_population": "camp size: split the site into camps below the standard (siting max_population)",
    "layout_people_with_a_plot": "the camp layout: plots the site's shape holds",
    "max_distance_plot_to_water_m": "camp layout",
    "max_distance_plot_to_latrine_m": "camp layout",
    "covered_m2_per_person": "camp layout (plot size)",
}


class Addition(BaseModel):
    """The least amount of one resource that closes the indicators it acts on (the others held as planned)."""

    resource: Literal["prepared_area", "new_land", "entry_capacity", "tents", "hospital_beds", "fleet"]
    amount: float | None = Field(description="None: no amount of this resource is enough")
    unit: str
    entry_point: str | None = None
    from_day: int = 0
    method: str
    tolerance: str
    verified: bool | None = Field(default=None, description="a re-solve with the addition confirmed it")
    closes: list[str] = Field(description="the indicators this addition closes")
    text: str


def _failed(plan: Plan) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in plan.verdict:
        if v.met is False:
            out[v.indicator] = out.get(v.indicator, 0) + 1
    return out


def _unsheltered_with(sc: Scenario, sh: Sheltering, km2: float) -> int:
    """People left without a site place when ``km2`` of candidate land is prepared (siting re-solved)."""
    free_area = sh.capacity.area_m2 - sh.capacity.excluded_area_m2
    sites = prepare_land(sc.sites, free_area, km2)
    cap = site_capacity(sites, sc.footprints, sc.standards, layout_people=sh.layout_fit)
    alloc = allocate(sc.model_copy(update={"sites": sites}), sh.displacement.displaced, cap.capacity, sh.times.pairs)
    return int(alloc.unmet.sum())


def _land(sc: Scenario, sh: Sheltering, failed: set[str]) -> list[Addition]:
    """Prepared candidate land first (bisection on the siting), then new land by the capacity formula."""
    per_m2 = sc.standards.value("site_area_m2_per_person")
    closes = sorted(failed & _LAND)
    residents = sum(s.existing_population for s in sc.sites)  # they share the land with the displaced
    area_need_m2 = max(0.0, per_m2 * (sh.people.displaced + residents) - float(sh.capacity.usable_area_m2.sum()))
    room = preparable_km2(sc)
    siting_km2, left, bisected = 0.0, 0, False
    if sh.people.unsheltered > 0:
        left = _unsheltered_with(sc, sh, room) if room > 0 else sh.people.unsheltered
        siting_km2 = room
        if left == 0:  # preparing candidate land is enough: the least that is (unsheltered falls with area)
            lo, bisected = 0.0, True
            while siting_km2 - lo > AREA_TOL_KM2:
                mid = 0.5 * (lo + siting_km2)
                lo, siting_km2 = (lo, mid) if _unsheltered_with(sc, sh, mid) == 0 else (mid, siting_km2)
    prepared = min(room, max(area_need_m2 / 1e6, siting_km2))
    out: list[Addition] = []
    if prepared > 0:
        amount = min(room, math.ceil(prepared / AREA_TOL_KM2 - 1e-9) * AREA_TOL_KM2)
        out.append(
            Addition(
                resource="prepared_area",
                amount=round(amount, 2),
                unit="km2",
                method=(
                    "bisection on the siting (capacity from usable area and layout fit, walking limits kept)"
                    if bisected
                    else "siting re-solved with all candidate land prepared"
                    if left
                    else f"capacity formula (usable area / {per_m2:g} m2 per person)"
                ),
                tolerance=f"{AREA_TOL_KM2:g} km2",
                verified=True if (bisected or left) else None,
                closes=closes,
                text=f"+{amount:,.2f} km2 of prepared land on the candidate sites"
                + (" (all that can be prepared)" if prepared >= room - 1e-9 else ""),
            )
        )
    new_m2 = max(left * per_m2, area_need_m2 - prepared * 1e6)
    if new_m2 >= 0.005e6:
        out.append(
            Addition(
                resource="new_land",
                amount=round(new_m2 / 1e6, 2),
                unit="km2",
                method=f"capacity formula (usable area / {per_m2:g} m2 per person); location not chosen",
                tolerance="0.01 km2",
                verified=False,
                closes=closes,
                text=f"+{new_m2 / 1e6:,.2f} km2 of new usable site land within walking reach"
                + (f" for {left:,} people still without a place" if left else ""),
            )
        )
    return out


def _least_trucks(sc: Scenario, inst: SupplyInstance, from_day: int, closes: list[str], lead: str = "") -> Addition:
    """The least trucks/day at the best crossing (parametric LP per crossing), rounded up and re-solved.

    Whether every need can be met does not depend on how a shortage would be shared, so both LPs leave sharing
    out (no common-share columns: 2-3x faster on the example's plans). The re-solve asks whether the instance with
    the rounded addition meets every need (its supply LP with every shortfall at zero is feasible), restarting from
    the parametric LP's basis."""
    inst = replace(inst, sharing="none")
    best, best_trucks = None, math.inf
    kept: dict[str, Any] = {}
    for e in inst.entry_points:
        got = min_extra_entry_capacity(inst, e.id, from_day, time_limit_s=sc.supply.time_limit_s, keep=kept)
        if got.trucks_per_day is not None and got.trucks_per_day < best_trucks:
            best, best_trucks = got, got.trucks_per_day
    method = "parametric LP (least capacity with no shortfall, every crossing tried), rounded up to whole trucks"
    if best is None:
        return Addition(
            resource="entry_capacity",
            amount=None,
            unit="trucks/day",
            from_day=from_day,
            method=method,
            tolerance="exact",
            verified=False,
            closes=closes,
            text=f"{lead}no extra capacity at any crossing from day {from_day} ends every shortfall"
            + (
                "; the stages after the crossings (collection, convoy movements) or their losses limit "
                "what gets through: see supply.chain"
                if any(a.capacity_loads_by_day is not None or a.loss_share for a in inst.arcs)
                else ""
            ),
        )
    payload = (best.t_per_day or 0.0) / best_trucks if best_trucks else 0.0
    trucks = math.ceil(best_trucks - 1e-6)
    ok = meets_every_need(
        with_extra_capacity(inst, best.entry_id, from_day, inst.days - 1, trucks * payload, open_days_only=True),
        time_limit_s=sc.supply.time_limit_s,
        warm=kept.get(best.entry_id),
    )
    return Addition(
        resource="entry_capacity",
        amount=float(trucks),
        unit="trucks/day",
        entry_point=best.entry_id,
        from_day=from_day,
        method=method,
        tolerance=f"1 truck/day ({best_trucks:,.2f} exact)",
        verified=ok,
        closes=closes,
        text=f"{lead}+{trucks:,} trucks/day at {best.entry_id} from day {from_day}",
    )


def _with_stock(inst: SupplyInstance, commodity: str, t: float) -> SupplyInstance:
    """A copy with ``t`` tonnes of a commodity in stock inside the area on day 0, reaching every site that day."""
    depot = "assess-stock"
    prod = [0.0] * inst.days
    prod[0] = t
    return replace(
        inst,
        warehouses=[*inst.warehouses, Warehouse(id=depot)],
        production=[*inst.production, Production(node=depot, commodity=commodity, t_per_day=prod)],
        arcs=[*inst.arcs, *(Arc(source=depot, target=s.id) for s in inst.sites)],
    )


def _supply(sc: Scenario, run: PlanRun, from_day: int) -> list[Addition]:
    """Trucks/day for every shortfall; and when shelter items are short, tents, then the trucks left with them."""
    d, plan = run.deliveries, run.plan
    assert d is not None  # assess_pair asks for supply additions only when the plan has deliveries
    failed = set(_failed(plan))
    out = [_least_trucks(sc, d.instance, from_day, sorted(_SUPPLY & failed))]
    res = d.result
    k = res.commodity_ids.index("shelter_nfi") if "shelter_nfi" in res.commodity_ids else None
    # the most owed at once (tents and kits are owed until delivered), in tonnes
    owed_t = float(res.shortfall_t[k].sum(axis=0).max()) if k is not None else 0.0
    spec = next((x for x in d.specs if x.commodity.id == "shelter_nfi"), None)
    if owed_t > 0.01 and spec is not None and spec.t_per_person > 0:
        # stock inside the area on day 0 for everyone owed at the worst moment: tents x household size
        t_per_person = spec.t_per_person
        tents = math.ceil(owed_t / (t_per_person * sc.household_size) - 1e-6)
        out.append(
            Addition(
                resource="tents",
                amount=float(tents),
                unit="tents",
                from_day=0,
                method="by hand: the most shelter items owed at once / the need per household, one family tent each, "
                "ready on day 0",
                tolerance="1 tent",
                verified=None,
                closes=["shelter_nfi_need_met_share"],
                text=f"or +{tents:,} tents with household kits, ready inside the area on day 0",
            )
        )
        rest = sorted((_SUPPLY & failed) - {"shelter_nfi_need_met_share"})
        if rest:  # the day-0 rush for tents sets the constant truck figure above; with the tents, what is left?
            stocked = _with_stock(d.instance, "shelter_nfi", tents * sc.household_size * t_per_person)
            out.append(_least_trucks(sc, stocked, from_day, rest, lead="and with those tents: "))
    return out


def _beds(sc: Scenario, run: PlanRun) -> list[Addition]:
    row = next(v for v in run.plan.verdict if v.indicator == "inpatient_beds_per_10000")
    assert run.people_by_day is not None  # the beds row is assessed from the people present each day
    need = np.ceil(run.people_by_day * sc.standards.value("beds_per_10000") / 10000.0 - 1e-9)
    extra = int(max(0.0, float((need - np.asarray(sc.hospital_beds_by_day)).max())))
    return [
        Addition(
            resource="hospital_beds",
            amount=float(extra),
            unit="beds",
            from_day=0,
            method="by hand: beds per 10,000 people present, worst day",
            tolerance="1 bed",
            verified=None,
            closes=[row.indicator],
            text=f"+{extra:,} inpatient beds from day 0",
        )
    ]


def _fleet(run: PlanRun) -> list[Addition]:
    row = next(v for v in run.plan.verdict if v.indicator == "fleet_trucks_available")
    extra = int(math.ceil(row.target - (row.value or 0.0)))
    return [
        Addition(
            resource="fleet",
            amount=float(extra),
            unit="trucks",
            from_day=0,
            method="by hand: fleet the delivery plan's round trips need, less the fleet available",
            tolerance="1 truck",
            verified=None,
            closes=[row.indicator],
            text=f"+{extra:,} trucks in the hauling fleet",
        )
    ]


def assess_pair(sc: Scenario, run: PlanRun, sh: Sheltering, *, from_day: int = 0) -> tuple[list[Addition], list[str]]:
    """Minimal additions for one planned pair, and the failed indicators no package resource acts on."""
    failed = set(_failed(run.plan))
    additions: list[Addition] = []
    if failed & _LAND:
        additions += _land(sc, sh, failed)
    if failed & _SUPPLY and run.deliveries is not None:
        additions += _supply(sc, run, from_day)
    if "inpatient_beds_per_10000" in failed:
        additions += _beds(sc, run)
    if "fleet_trucks_available" in failed:
        additions += _fleet(run)
    handled = _LAND | _SUPPLY | {"inpatient_beds_per_10000", "fleet_trucks_available"}
    rest = [f"{k}: {_WHY_NOT.get(k, 'not a package resource')}" for k in sorted(failed - handled)]
    return additions, rest
