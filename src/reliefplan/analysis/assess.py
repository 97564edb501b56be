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
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from pydantic import BaseModel, Field

from .._cpus import usable_cpus
from .._errors import InputError, Problem
from ..pipeline import PlanRun, Sheltering, _version, finish, shelter
from ..plan import Plan, json_schema
from ..plan_supply import DeliveryChain
from ..scenario.folder import Scenario
from ..scenario.packages import PackageSpec, resolve, shelter_key
from ..stages.travel import TravelCache
from .additions import Addition, _failed, assess_pair
from .headline import Headline, headline
from .hold import hold_days
from .packages import apply_package

Progress = Callable[[str], None]

#: pairs planned at once (threads: a pair's time is mostly in HiGHS, which releases the GIL)
PAIR_WORKERS = min(2, usable_cpus())


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


def _binding(plan: Plan) -> str:
    if plan.people.unsheltered > 0:
        return f"shelter land: {plan.people.unsheltered:,} people have no site place"
    if plan.supply and plan.supply.binding:
        b = plan.supply.binding[0]
        return f"{b.kind.replace('_', ' ')} at {b.id} (days {b.first_day}-{b.last_day})"
    failed = _failed(plan)
    return ", ".join(sorted(failed)) if failed else "none (every indicator met)"


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
    late = from_day_problems(
        {n: sc.horizon_days for n, sc in scenarios.items()}, from_day, str(first.folder / "scenario.yaml")
    )
    if late:
        raise InputError(late)
    specs = _specs(first, package_names)
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
        additions, rest = assess_pair(sc, run, sh, from_day=from_day)
        with lock:
            shared.timings["supply_and_verdict"] += t2 - t1
            shared.timings["additions"] += time.perf_counter() - t2
        return _pair_result(pname, sname, run.plan, additions, rest, reused, t), run

    def collect(job: tuple[str, str, Future[tuple[PairResult, PlanRun]]]) -> None:
        pname, sname, fut = job
        result, run = fut.result()
        pairs.append(result)
        if on_plan is not None:
            on_plan(pname, sname, run)

    # Pairs run PAIR_WORKERS at a time in threads (their time is in HiGHS, which releases the GIL); sheltering
    # (siting, the move) stays in this thread, and results are reported in pair order.
    with ThreadPoolExecutor(max_workers=PAIR_WORKERS, thread_name_prefix="reliefplan-pair") as pool:
        running: deque[tuple[str, str, Future[tuple[PairResult, PlanRun]]]] = deque()
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


def _specs(first: Scenario, package_names: list[str]) -> dict[str, PackageSpec]:
    """Each package named, resolved over what it extends (an InputError when none is named)."""
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
    return {n: resolve(first.packages, n, file) for n in package_names}


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


def from_day_problems(horizons: dict[str, int], from_day: int, file: str, field: str = "from_day") -> list[Problem]:
    """A day for the minimal additions past a scenario's horizon is refused, not clipped to its last day: the
    additions would then answer another question (trucks from day 29, not 40) under the figure asked for.
    horizons: scenario name -> horizon in days."""
    return [
        Problem(
            file=file,
            feature=f"scenario {name}",
            field=field,
            message=f"day {from_day} is past the horizon of {days} days (0 .. {days - 1}); expected a day within the "
            "horizon of every scenario assessed (choose the scenarios with --scenarios, or an earlier day)",
        )
        for name, days in horizons.items()
        if from_day >= days
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
