"""One ensemble member, as a worker runs it: the worker's base scenario and travel cache (loaded once), the
member's draws applied to the scenario, its plan (reusing the last member's sheltering when its draws allow) and
the key results an ensemble keeps."""

from __future__ import annotations

import functools
import gc
import math
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..scenario.config import with_layout
from ..scenario.folder import Scenario, load_scenario
from .health_pool import member_draws
from .sampling import MemberInputs


@dataclass
class MemberTask:
    folder: str
    scenario: str
    layout: bool | None  # None: as the scenario says
    inputs: MemberInputs
    attempt: int = 1
    supply: str = "plan"  # plan: the supply LP over the horizon (foresight); operate: day by day without foresight


_STATE: dict[tuple[str, str, bool | None], tuple[Scenario, Any]] = {}


def _base(folder: str, name: str, layout: bool | None) -> tuple[Scenario, Any]:
    """The scenario and travel cache of this worker process, loaded once."""
    from ..stages.travel import TravelCache

    key = (folder, name, layout)
    if key not in _STATE:
        if not _STATE:  # first member in this process (see reliefplan/__init__.py for why)
            from threadpoolctl import threadpool_limits

            threadpool_limits(limits=1, user_api="blas")
        sc = load_scenario(folder, name)
        if layout is not None:
            sc.layout = with_layout(sc.layout, layout)
        _STATE[key] = (sc, TravelCache())
    return _STATE[key]


def member_scenario(sc: Scenario, m: MemberInputs) -> Scenario:
    """The base scenario with one member's draws applied (shallow copies: geometry and roads are shared)."""
    zones = [
        z.model_copy(update={"population": max(0, round(z.population * m.population_factor[z.id]))})
        if z.id in m.population_factor
        else z
        for z in sc.zones
    ]
    sites = [
        s.model_copy(update={"usable_fraction": m.usable_fraction[s.id]}) if s.id in m.usable_fraction else s
        for s in sc.sites
    ]
    trucks = dict(m.trucks_per_day)
    if m.observed_trucks is not None:  # the declared-capacity indicator should see the resampled mean
        trucks.update({k: float(np.mean(v)) for k, v in m.observed_trucks.items()})
    entries = [e.model_copy(update={"trucks_per_day": trucks[e.id]}) if e.id in trucks else e for e in sc.entry_points]
    from ..scenario.folder import DisruptionSpec

    extra = [
        DisruptionSpec(entry_point=e, first_day=a, last_day=b, capacity_factor=f, reason="sampled closure (ensemble)")
        for e, a, b, f in m.closures
    ]
    supply_update: dict[str, Any] = {"disruptions": list(sc.supply.disruptions) + extra}
    if m.chain_loss_share or m.movements_allowed_share:  # the delivery chain's sampled shares (issue 20)
        supply_update["chain"] = [
            c.model_copy(
                update={
                    **(
                        {"loss_share": m.chain_loss_share[c.entry_point]} if c.entry_point in m.chain_loss_share else {}
                    ),
                    **(
                        {"movements_allowed_share": m.movements_allowed_share[c.entry_point]}
                        if c.entry_point in m.movements_allowed_share
                        else {}
                    ),
                }
            )
            for c in sc.supply.chain
        ]
    if m.availability:
        supply_update["entries"] = [
            e.model_copy(update={"availability": m.availability[e.id]}) if e.id in m.availability else e
            for e in sc.supply.entries
        ]
    # a member records shortfalls, not truck counts: the truck-minimising second solve changes no outcome
    # unless a fleet is declared (its verdict row compares the fleet the trucks need)
    supply_update["minimise_trucks"] = sc.fleet_trucks_by_day is not None and sc.supply.minimise_trucks
    update: dict[str, Any] = {
        "zones": zones,
        "sites": sites,
        "entry_points": entries,
        "road_capacity_factor": m.road_capacity_factor,
    }
    if m.observed_trucks is not None:
        supply_update["entry_capacity"] = "observed"
        update["observed_trucks"] = {k: np.asarray(v, dtype=float) for k, v in m.observed_trucks.items()}
    update["supply"] = sc.supply.model_copy(update=supply_update)
    if sc.movement is not None and sc.movement.compare:
        # a member keeps the run its verdict reports and the plan's run presence follows: the side-by-side
        # comparison (a second hourly simulation when the reported run is the plan's) changes no kept figure
        update["movement"] = sc.movement.model_copy(update={"compare": False})
    return sc.model_copy(update=update)


def key_results(plan: Any) -> dict[str, Any]:
    """The numbers an ensemble keeps of a plan (NaN = not computed / no shortfall within the horizon)."""
    p = plan.people
    out: dict[str, Any] = {
        "population": p.population,
        "displaced": p.displaced,
        "sheltered": p.sheltered,
        "unsheltered": p.unsheltered,
        "siting_status": plan.siting.status,
        "conserved": bool(p.sheltered + p.unsheltered == p.displaced),
    }
    clear = plan.evacuation.clearance_hours if plan.evacuation else None
    out["clearance_h"] = math.nan if clear is None else float(clear)
    if plan.supply:
        s = plan.supply
        out["supply_status"] = s.status
        out["supply_residual_t"] = float(s.max_conservation_residual_t or 0.0)
        for k, v in s.shortfall_t.items():
            out[f"shortfall_t.{k}"] = float(v)
        for k, v in s.required_t.items():
            out[f"required_t.{k}"] = float(v)
        for k, v in s.first_shortfall_day.items():
            out[f"first_shortfall_day.{k}"] = math.nan if v is None else float(v)
        out["shortfall_t.total"] = float(sum(s.shortfall_t.values()))
    for c in plan.health.crossings if plan.health else []:  # earliest median day over groups, per threshold
        k = f"first_health_day.{c.threshold}"
        day = math.nan if c.day_p50 is None else float(c.day_p50)
        days = [d for d in (out.get(k, math.nan), day) if not math.isnan(d)]
        out[k] = min(days) if days else math.nan
    for row in plan.verdict:
        out[f"met.{row.indicator}@{row.scope}"] = math.nan if row.met is None else float(row.met)
    return out


# The last member's sheltering (displacement to the move): (base scenario, the draws it depends on, Sheltering).
_SHELTERED: list[tuple[Scenario, tuple[Any, ...], Any]] = []


def shelter_inputs(m: MemberInputs) -> tuple[Any, ...]:
    """The draws the sheltering depends on (population, usable land, road capacity); crossings, closures and the
    observed-truck bootstrap only reach the supply plan."""
    return (
        tuple(sorted(m.population_factor.items())),
        tuple(sorted(m.usable_fraction.items())),
        m.road_capacity_factor,
    )


#: supply modes of a member (`MemberTask.supply`)
SUPPLY_MODES = ("plan", "operate")
# The declared scenario's supply plan per base scenario, whose cargo mix operated members load: (base, result).
_REFERENCE: list[tuple[Scenario, Any]] = []


def reference_plan(base: Scenario, cache: Any) -> Any:
    """The declared scenario's supply result (its LP over the horizon), planned once per worker and base scenario:
    what an operator knows in advance (no member's draws); operated members load its cargo mix into trucks left
    over (asked for only then, from within a member's supply stage)."""
    if not (_REFERENCE and _REFERENCE[0][0] is base):
        from ..pipeline import run

        done = run(base, cache=cache, rows=False)
        _REFERENCE[:] = [(base, None if done.deliveries is None else done.deliveries.result)]
    return _REFERENCE[0][1]


def plan_member(
    base: Scenario,
    cache: Any,
    m: MemberInputs,
    progress: Callable[[str], None] | None = None,
    supply: str = "plan",
) -> Any:
    """One member's plan (pipeline.PlanRun, without daily rows) on a worker's base scenario and travel cache.

    A member whose population, usable-fraction and road-capacity draws equal the previous member's of the same
    base (ensembles over supply uncertainty only: crossings, closures, observed trucks) reuses that member's
    sheltering, the displacement through the evacuation timing, which those draws alone decide; the supply LP
    then re-solves warm from the previous member's basis (deliveries keep it in the cache).

    supply "operate": the member's supply is operated day by day without foresight (`operate_supply`), loading the
    declared plan's cargo mix (`reference_plan`, planned when some member first has trucks to spare: on scarce
    crossings never) instead of re-planning over the horizon with its draws known."""
    from ..pipeline import finish, shelter
    from ..stages.deliveries import Operate

    operate = Operate(functools.partial(reference_plan, base, cache)) if supply == "operate" else None
    sc = member_scenario(base, m)
    key = shelter_inputs(m)
    if _SHELTERED and _SHELTERED[0][0] is base and _SHELTERED[0][1] == key:
        sh = _SHELTERED[0][2]
    else:
        sh = shelter(sc, progress, cache=cache)
        _SHELTERED[:] = [(base, key, sh)]
    return finish(sc, sh, progress, cache=cache, rows=False, operate=operate)


@functools.cache  # once per worker
def _freeze_once() -> None:
    """After a worker's first member: what the worker keeps (scenario, travel cache, the supply LP's model, ~200 k
    Python objects on Rafah) leaves the cyclic garbage collector's view (`gc.freeze`), so the full collections a
    member's allocations trigger no longer walk it each time (Rafah `full`: 62 ms of collections a member, 7 ms
    after). At most the first member's cyclic garbage is kept for good."""
    gc.collect()
    gc.freeze()


def run_member(task: MemberTask) -> dict[str, Any]:
    """One member: never raises; a failure comes back as status 'failed' with the error."""
    row: dict[str, Any] = {"member": task.inputs.index, "attempts": task.attempt}
    try:
        sc, cache = _base(task.folder, task.scenario, task.layout)
        run = plan_member(sc, cache, task.inputs, supply=task.supply)
        _freeze_once()
        plan = run.plan
        row.update(key_results(plan))
        row["health_draws"] = member_draws(run.health)  # pooled by `summarise`, not kept per member
        if not row["conserved"]:
            raise AssertionError("people not conserved")
        row["status"], row["error"] = "ok", ""
    except Exception as e:  # noqa: BLE001 - reported per member, the ensemble goes on
        row["status"] = "failed"
        row["error"] = f"{type(e).__name__}: {e}"
        row["traceback"] = traceback.format_exc(limit=5)
    return row
