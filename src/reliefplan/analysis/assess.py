"""Assistance packages against operation scenarios: a plan per pair, and the least addition that passes.

Pairs share what they can: one travel cache (walking networks, travel times, camp-layout fits) for all,
and one sheltering (siting, layouts, evacuation) per scenario and shelter part of a package, so packages
that only add supply re-run the supply plan and the verdict only.

Minimal additions, one per resource that can close a failed indicator, each given the rest of the pair's plan:
- shelter land: prepared area on the candidate sites, by bisection on the siting (tolerance 0.01 km²), then
  new land by the capacity formula (site area per person) once the candidate land is all prepared;
- supply: trucks/day at one crossing from a day on, by a parametric LP (the least capacity with no shortfall
  anywhere, `supply.min_extra_entry_capacity`), rounded up to whole trucks and confirmed by a re-solve;
- tents (shelter items short), beds and fleet: by hand from the shortfall (exact for stock ready on day 0).
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Literal

import numpy as np
from pydantic import BaseModel, Field

from .._errors import InputError, Problem
from ..pipeline import PlanRun, Sheltering, _version, finish, shelter
from ..plan import Plan, json_schema
from ..plan_supply import DeliveryChain
from ..scenario.folder import Scenario
from ..scenario.packages import PackageSpec, resolve, shelter_key
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
from ..stages.travel import TravelCache
from .headline import Headline, headline
from .hold import hold_days
from .packages import apply_package, preparable_km2, prepare_land

Progress = Callable[[str], None]

#: bisection tolerance on prepared site area (km²): about 220 people at 45 m² per person
AREA_TOL_KM2 = 0.01
#: pairs planned at once (threads: a pair's time is mostly in HiGHS, which releases the GIL)
PAIR_WORKERS = max(1, min(2, os.cpu_count() or 1))

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


class PairResult(BaseModel):
    package: str
    scenario: str
    passed: bool = Field(description="every verdict indicator met")
    displaced: int
    sheltered: int
    unsheltered: int
    clearance_hours: float | None
    remaining_in_operation_area: int = Field(default=0, description="displaced people with nowhere to go")
    in_plan: int = Field(default=0, description="everyone the plan accounts for (and feeds)")
    groups: dict[str, dict[str, float | None]] = Field(
        default={},
        description=(
            "per group: water_l_per_person_day and kcal_per_person_day delivered (mean over the horizon), "
            "cumulative_kcal_deficit_per_person, people_owed_shelter_items_max"
        ),
    )
    first_shortfall_day: dict[str, int | None] = Field(description="commodity -> first day short (None: never)")
    shortfall_t: dict[str, float]
    delivery: dict[str, Any] | None = Field(
        default=None,
        description=(
            "the declared delivery chain (None: none declared): tonnes entered, lost and delivered, cost in USD and per "
            "tonne delivered, over all entry points and per entry point (mode, binding stage)"
        ),
    )
    failed: dict[str, int] = Field(description="failed indicator -> number of rows (scenario or sites)")
    binding: str = Field(description="the constraint that limits the plan most, in words")
    additions: list[Addition]
    not_addressable: list[str] = Field(description="failed indicators no package resource acts on, and why")
    shelter_reused: bool = Field(description="siting, layouts and evacuation came from another pair's plan")
    seconds: float
    hold: dict[str, dict[str, int | None]] = Field(
        default={},
        description=(
            "how long can it hold, per group: first_standard_day (first day a standard is short), first_health_day_p50 "
            "and _p10 (first day a health threshold is projected to be crossed; a risk projection)"
        ),
    )
    headline: Headline | None = Field(
        default=None,
        description="the pair's headline (as on its report and in the "
        "CLI), with the least additions as its smallest fix",
    )


class PackageSummary(BaseModel):
    name: str
    description: str
    extends: str | None
    elements: list[str]
    assumptions: list[str]


class Assessment(BaseModel):
    """`assessment.json`: every (package, scenario) pair, planned, with what would make it pass."""

    reliefplan_version: str
    title: str
    packages: list[PackageSummary]
    scenarios: list[str]
    addition_from_day: int
    pairs: list[PairResult]
    timings_s: dict[str, float]
    notes: list[str]


def assessment_json_schema() -> dict[str, Any]:
    return json_schema(Assessment, "assessment")


def assessment_json_schema_text() -> str:
    return json.dumps(assessment_json_schema(), indent=2, sort_keys=True) + "\n"


@dataclass
class _Shared:
    cache: TravelCache = field(default_factory=TravelCache)
    shelters: dict[tuple[str, str], Sheltering] = field(default_factory=dict)
    timings: dict[str, float] = field(
        default_factory=lambda: {"shelter": 0.0, "supply_and_verdict": 0.0, "additions": 0.0}
    )


def _delivery(chain: DeliveryChain | None) -> dict[str, Any] | None:
    """A pair's delivery chain in short: totals and per entry point (plan.json supply.chain without the days)."""
    if not chain:
        return None
    keys = (
        "mode",
        "entered_t",
        "lost_at_entry_t",
        "lost_on_route_t",
        "delivered_t",
        "cost_usd",
        "cost_usd_per_t_delivered",
        "binds_most",
    )
    return {
        **{
            k: getattr(chain, k) for k in ("entered_t", "lost_t", "delivered_t", "cost_usd", "cost_usd_per_t_delivered")
        },
        "entry_points": {e.entry_point: {k: getattr(e, k) for k in keys} for e in chain.entry_points},
    }


def _elements(pkg: PackageSpec) -> list[str]:
    out = []
    for e in pkg.entry_capacity:
        verb = "set to" if e.mode == "set" else "+"
        out.append(
            f"{e.entry_point}: {verb} {e.trucks_per_day:g} trucks/day from day {e.from_day}"
            + (f" to {e.until_day}" if e.until_day is not None else "")
        )
    if pkg.entry_series is not None:
        out.append(f"every crossing: observed daily trucks from {pkg.entry_series.start} ({pkg.entry_series.file})")
    out += [
        f"{e.count:,} tents ({e.people_per_tent or 'household'} people each) from day {e.from_day}" for e in pkg.tents
    ]
    out += [f"{e.km2:g} km2 of candidate land prepared from day {e.from_day}" for e in pkg.prepared_area]
    out += [f"shelter sites from {e.file} (usable {e.usable_fraction:g}) from day {e.from_day}" for e in pkg.sites]
    out += [f"{e.m3_per_day:,g} m3/day of water from day {e.from_day}" for e in pkg.water]
    out += [f"{e.beds:,} field-hospital beds from day {e.from_day}" for e in pkg.field_hospitals]
    out += [
        f"warehouse {e.id} ({'unlimited' if e.capacity_t is None else f'{e.capacity_t:,g} t'})" for e in pkg.warehouses
    ]
    out += [f"{e.trucks:,} trucks from day {e.from_day}" for e in pkg.fleet]
    out += [
        f"{e.mode} entry {e.id}: {e.units_per_day:g} {'shuttle trips' if e.mode == 'sea' else 'sorties'}/day"
        f" from day {e.from_day}" + (f", availability {e.availability}" if e.availability is not None else "")
        for e in [*pkg.pier, *pkg.airdrops]
    ]
    out += [
        f"after {c.entry_point}: "
        + ", ".join(
            x
            for x in (
                f"collection {c.collection_loads_per_day} loads/day" if c.collection_loads_per_day is not None else "",
                "convoy movements allowed "
                + (
                    f"{c.movements_allowed_share:g}"
                    if not isinstance(c.movements_allowed_share, list)
                    else ", ".join(f"{s.value:g} from day {s.from_day}" for s in c.movements_allowed_share)
                )
                if c.movements_allowed_share is not None
                else "",
                f"{c.loss_share:.0%} lost on the way" if c.loss_share else "",
            )
            if x
        )
        for c in pkg.chain
    ]
    if pkg.fuel is not None:
        out.append(
            f"fuel: {len(pkg.fuel.uses)} use(s)"
            + (", entering outside the truck plan" if pkg.fuel.entered_l_per_day is not None else "")
        )
    if pkg.hubs is not None:
        out.append(
            f"hubs: up to {pkg.hubs.max_hubs or len(pkg.hubs.candidates)} of {len(pkg.hubs.candidates)} candidates"
        )
    if pkg.distribution is not None:
        out.append(f"distribution points: {pkg.distribution.servers} counter(s) each")
    return out or ["nothing beyond the scenario as declared"]


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
    best = None
    kept: dict[str, Any] = {}
    for e in inst.entry_points:
        got = min_extra_entry_capacity(inst, e.id, from_day, time_limit_s=sc.supply.time_limit_s, keep=kept)
        if got.trucks_per_day is not None and (best is None or got.trucks_per_day < best.trucks_per_day):
            best = got
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
    payload = best.t_per_day / best.trucks_per_day if best.trucks_per_day else 0.0
    trucks = math.ceil(best.trucks_per_day - 1e-6)
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
        tolerance=f"1 truck/day ({best.trucks_per_day:,.2f} exact)",
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


def _binding(plan: Plan) -> str:
    if plan.people.unsheltered > 0:
        return f"shelter land: {plan.people.unsheltered:,} people have no site place"
    if plan.supply and plan.supply.binding:
        b = plan.supply.binding[0]
        return f"{b.kind.replace('_', ' ')} at {b.id} (days {b.first_day}-{b.last_day})"
    failed = _failed(plan)
    return ", ".join(sorted(failed)) if failed else "none (every indicator met)"


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


def _fixes_note(not_addressable: list[str]) -> str:
    note = "least additions, one per resource, each holding the rest of the plan as it is (`reliefplan assess`)"
    return note + (f"; no package resource acts on {'; '.join(not_addressable)}" if not_addressable else "")


def assess(
    scenarios: dict[str, Scenario],
    package_names: list[str],
    *,
    from_day: int = 0,
    progress: Progress | None = None,
    on_plan: Callable[[str, str, PlanRun], None] | None = None,
) -> Assessment:
    """Plan every (package, scenario) pair and find each failing pair's minimal additions.

    scenarios: loaded scenarios by name (all from one folder, so they share packages).
    on_plan: called with each pair's plan (to write it out), so nothing but the summary is held.
    """
    step = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    first = next(iter(scenarios.values()))
    file = str(first.folder / "scenario.yaml")
    if not package_names:
        raise InputError(
            Problem(
                file=file,
                field="packages",
                message="no packages to assess; declare some under "
                "`packages:` in scenario.yaml or name them with --packages",
            )
        )
    specs = {n: resolve(first.packages, n, file) for n in package_names}
    shared = _Shared()
    pairs: list[PairResult] = []
    lock = threading.Lock()

    def plan_pair(
        pname: str, sname: str, sc: Scenario, sh: Sheltering, reused: bool, t: float
    ) -> tuple[PairResult, PlanRun]:
        """Supply, verdict and minimal additions of one pair (runs in a worker thread)."""
        t1 = time.perf_counter()
        run = finish(sc, sh, cache=shared.cache, warm=False)
        t2 = time.perf_counter()
        additions, rest = assess_pair(sc, run, sh, from_day=min(from_day, sc.horizon_days - 1))
        with lock:
            shared.timings["supply_and_verdict"] += t2 - t1
            shared.timings["additions"] += time.perf_counter() - t2
        return _pair_result(pname, sname, run.plan, additions, rest, reused, t), run

    def collect(job: tuple[str, str, Future]) -> None:
        pname, sname, fut = job
        result, run = fut.result()
        pairs.append(result)
        if on_plan is not None:
            on_plan(pname, sname, run)

    # Pairs run PAIR_WORKERS at a time in threads (their time is in HiGHS, which releases the GIL); sheltering
    # (siting, the move) stays in this thread, and results are reported in pair order.
    with ThreadPoolExecutor(max_workers=PAIR_WORKERS, thread_name_prefix="reliefplan-pair") as pool:
        running: deque[tuple[str, str, Future]] = deque()
        for sname, sc0 in scenarios.items():
            for pname, pkg in specs.items():
                while len(running) >= PAIR_WORKERS:
                    collect(running.popleft())
                t = time.perf_counter()
                step(f"{pname} x {sname}")
                sc = apply_package(sc0, pkg, pname)
                key = (sname, shelter_key(pkg))
                reused = key in shared.shelters
                if not reused:
                    shared.shelters[key] = shelter(sc, cache=shared.cache)
                    shared.timings["shelter"] += time.perf_counter() - t
                running.append(
                    (pname, sname, pool.submit(plan_pair, pname, sname, sc, shared.shelters[key], reused, t))
                )
        while running:
            collect(running.popleft())
    shared.timings["total"] = time.perf_counter() - t0
    return Assessment(
        reliefplan_version=_version(),
        title=first.title,
        packages=_package_summaries(first, specs, package_names),
        scenarios=list(scenarios),
        addition_from_day=from_day,
        pairs=pairs,
        timings_s={k: round(v, 2) for k, v in shared.timings.items()},
        notes=_notes(from_day),
    )


def _pair_result(
    pname: str,
    sname: str,
    plan: Plan,
    additions: list[Addition],
    rest: list[str],
    reused: bool,
    t: float,
) -> PairResult:
    """One pair's figures for the assessment: who is where, supply shortfalls, what fails and binds, the minimal
    additions (``t``: when the pair started, for its seconds)."""
    fsd = plan.supply.first_shortfall_day if plan.supply else {}
    short = plan.supply.shortfall_t if plan.supply else {}
    keys = (
        "water_l_per_person_day",
        "kcal_per_person_day",
        "cumulative_kcal_deficit_per_person",
        "people_owed_shelter_items_max",
    )
    return PairResult(
        package=pname,
        scenario=sname,
        passed=not _failed(plan),
        displaced=plan.people.displaced,
        sheltered=plan.people.sheltered,
        unsheltered=plan.people.unsheltered,
        remaining_in_operation_area=plan.people.remaining_in_operation_area,
        in_plan=plan.people.in_plan,
        groups={g.group: {k: getattr(g, k) for k in keys} for g in (plan.groups.summary if plan.groups else [])},
        clearance_hours=plan.evacuation.clearance_hours if plan.evacuation else None,
        first_shortfall_day={k: v for k, v in fsd.items()},
        shortfall_t={k: round(float(v), 1) for k, v in (short.items() if isinstance(short, dict) else [])},
        delivery=_delivery(plan.supply.chain if plan.supply else None),
        failed=_failed(plan),
        binding=_binding(plan),
        additions=additions,
        not_addressable=rest,
        shelter_reused=reused,
        seconds=round(time.perf_counter() - t, 2),
        hold=hold_days(plan),
        headline=headline(plan, fixes=[a.text for a in additions], fixes_note=_fixes_note(rest)),
    )


def _package_summaries(
    first: Scenario, specs: dict[str, PackageSpec], package_names: list[str]
) -> list[PackageSummary]:
    """Each assessed package: description, what it extends, its elements and assumptions."""
    return [
        PackageSummary(
            name=n,
            description=first.packages[n].description,
            extends=first.packages[n].extends,
            elements=_elements(specs[n]),
            assumptions=specs[n].assumptions,
        )
        for n in package_names
    ]


def _notes(from_day: int) -> list[str]:
    """How to read an assessment."""
    return [
        "A pair passes when every verdict indicator is met (scenario-wide and per site).",
        "Each minimal addition holds the rest of the pair's plan as it is: land is found for the people "
        "without a place, and trucks for the people with one; adding land adds people to supply, so "
        "re-assess with the additions in a package to see them together.",
        f"Supply additions are available from day {from_day} on the days the crossing is open, and feed "
        "everyone in the plan: the displaced wherever they are, the people staying, the sites' residents and the "
        "other populations fed through the same crossings.",
    ]
