"""Fuel as a commodity of the plan (``supply.fuel``, or a package's ``fuel``): trucked in like the others (a tanker's
tonnes from data/delivery.yaml) or entering as a declared series, and used by

* water production: each declared water use names its source (a water_sources layer id, ``local`` for the
  per-1,000-people production, ``package`` for a package's water) and its litres per m³; the plant makes water
  only with the fuel that reaches it that day (`supply.Production.inputs`), so a fuel shortfall cuts water;
* every other use (hospital generators, bakeries, the truck fleet): a need in litres a day at one virtual location
  ``fuel:uses``, one group per use, a tonne short weighted as a tonne of food short (ASSUMPTION, said in the plan).

Nothing here runs unless fuel is declared.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .._errors import InputError, Problem
from ..plan_supply import FuelDay, FuelPlan, FuelUseMet
from ..plan_supply import FuelUse as FuelUseRow
from ..scenario.delivery_data import figure
from ..scenario.delivery_specs import FuelSpec, step_series
from ..scenario.folder import Scenario
from ..solvers.fuel import FuelUse, use_problems
from ..solvers.supply import Arc, Commodity, Production, Site, SupplyInstance, SupplyResult, Warehouse

FUEL = "fuel"
USES = "fuel:uses"
ENTERED = "fuel:entered"
LOCAL, PACKAGE = "local", "package"


def density_t_per_l() -> float:
    return float(figure("fuel.fuel_density_kg_per_l").value) / 1000.0


def tanker_t() -> tuple[float, str]:
    f = figure("entry_modes.land.payload_t_per_truck.fuel")
    return float(f.value), f"{f.source} (data/delivery.yaml entry_modes.land.payload_t_per_truck.fuel)"


def _check_uses(spec: FuelSpec, water_nodes: dict[str, list[str]], file: str) -> None:
    """Each fuel use's figures and water source, or an `InputError` naming every problem."""
    uses = [FuelUse(u.name, u.amount_per_day, u.l_per_unit, water_m3=u.water_source is not None) for u in spec.uses]
    probs = use_problems(uses, file)
    for i, u in enumerate(spec.uses):
        if u.water_source is not None and u.water_source not in water_nodes:
            probs.append(
                Problem(
                    file,
                    f"unknown water source '{u.water_source}'; expected one of {sorted(water_nodes)}",
                    f"supply.fuel.uses[{i}] ({u.name})",
                    "water_source",
                )
            )
    if probs:
        raise InputError(probs)


@dataclass(frozen=True)
class FuelFigures:
    """The fuel figures a plan reports with their sources: plan.json ``supply.fuel``'s first keys."""

    uses: list[FuelUseRow]
    density_kg_per_l: float
    tanker_t: float  # t of fuel per tanker
    tanker_source: str
    weight_note: str
    trucked: bool  # fuel may come through the crossings in tankers
    entered_source: str


def _fuel_info(spec: FuelSpec, dens: float, pay: float, pay_src: str) -> FuelFigures:
    """The fuel figures a plan reports, with their sources."""
    return FuelFigures(
        uses=[
            FuelUseRow(
                name=u.name,
                amount_per_day=u.amount_per_day,
                l_per_unit=u.l_per_unit,
                water_source=u.water_source,
                source=u.source,
            )
            for u in spec.uses
        ],
        density_kg_per_l=dens * 1000.0,
        tanker_t=pay,
        tanker_source=pay_src,
        weight_note=(
            "ASSUMPTION: a tonne of fuel short for hospitals, bakeries and trucks weighs as much as a "
            "tonne of food short (its person-days); fuel for water is valued by the water it makes, "
            "so the plan fuels the water plants first where water is short"
        ),
        trucked=spec.trucked,
        entered_source=spec.source,
    )


def add_fuel(
    sc: Scenario,
    commodities: list[Commodity],
    warehouses: list[Warehouse],
    sites: list[Site],
    production: list[Production],
    arcs: list[Arc],
    entry_ids: list[str],
    round_trip_h: float,
    water_nodes: dict[str, list[str]],
    storage_days: float,
) -> tuple[list[Commodity], list[Warehouse], list[Site], list[Production], list[Arc], FuelFigures]:
    """The supply instance's parts with fuel in them. ``water_nodes``: source id ('local', 'package' or a layer id)
    -> the production nodes it stands for. Returns the parts and the fuel figures with their sources."""
    spec = sc.supply.fuel
    assert spec is not None
    file = str(sc.folder / "scenario.yaml")
    days = sc.horizon_days
    dens = density_t_per_l()
    _check_uses(spec, water_nodes, file)
    # ASSUMPTION: a tonne of fuel for hospitals, bakeries and trucks weighs as much as a tonne of food
    weight = next((c.priority for c in commodities if c.id == "food"), max(c.priority for c in commodities))
    pay, pay_src = tanker_t()
    commodities = [*commodities, Commodity(FUEL, priority=weight, unit_weight_t=dens, unit="L", payload_t=pay)]
    production = list(production)
    plants: list[str] = []
    for u in spec.uses:
        if u.water_source is None:
            continue
        nodes = set(water_nodes[u.water_source])
        for i, p in enumerate(production):
            if p.node in nodes and p.commodity == "water":
                production[i] = replace(p, inputs={**p.inputs, FUEL: u.l_per_unit * dens})  # t fuel per t water
                plants.append(p.node)
    other = [u for u in spec.uses if u.water_source is None]
    sites = list(sites)
    need_t = {u.name: np.full(days, u.amount_per_day * u.l_per_unit * dens) for u in other}
    if other:
        peak = float(np.sum(list(need_t.values()), axis=0).max(initial=0.0))
        sites.append(
            Site(
                id=USES,
                demand_t={},
                storage_t=storage_days * peak,
                groups={n: {FUEL: list(v)} for n, v in need_t.items()},
            )
        )
    targets = [*dict.fromkeys(plants), *([USES] if other else [])]
    arcs = list(arcs)
    if spec.trucked:
        arcs += [
            Arc(source=e, target=t, round_trip_h=round_trip_h, commodities=(FUEL,)) for e in entry_ids for t in targets
        ]
    warehouses = list(warehouses)
    entered = step_series(spec.entered_l_per_day, days) * dens
    if entered.any():
        warehouses.append(Warehouse(id=ENTERED))
        production.append(Production(node=ENTERED, commodity=FUEL, t_per_day=list(entered)))
        arcs += [Arc(source=ENTERED, target=t, trucked=False, commodities=(FUEL,)) for t in targets]
    return commodities, warehouses, sites, production, arcs, _fuel_info(spec, dens, pay, pay_src)


def fuel_report(info: FuelFigures, inst: SupplyInstance, res: SupplyResult) -> FuelPlan:
    """plan.json ``supply.fuel``: per day litres entered (trucked and declared), delivered to each use and needed,
    water made with fuel and the water capacity idle for want of it, with the figures' sources."""
    kid = res.commodity_ids.index(FUEL)
    wid = res.commodity_ids.index("water") if "water" in res.commodity_ids else None
    dens = info.density_kg_per_l / 1000.0
    T = res.days
    trucked = res.entry_use_t[kid].sum(axis=0)
    declared = np.zeros(T)
    plants_made, plants_cap, fuel_plants = np.zeros(T), np.zeros(T), np.zeros(T)
    for p, pr in enumerate(inst.production):
        if pr.node == ENTERED:
            declared += res.production_t[p]
        elif FUEL in pr.inputs:
            plants_made += res.production_t[p]
            plants_cap += np.asarray(pr.t_per_day)
            fuel_plants += res.production_t[p] * pr.inputs[FUEL]
    s = res.site_ids.index(USES) if USES in res.site_ids else None
    by_use: dict[str, FuelUseMet] = {}
    if (
        s is not None
        and res.cell_site is not None
        and res.cell_demand_t is not None
        and res.cell_consumed_t is not None
    ):
        for q in np.flatnonzero(res.cell_site == s):
            g = res.cell_group[q]
            need = res.cell_demand_t[kid, q]
            got = res.cell_consumed_t[kid, q]
            by_use[g] = FuelUseMet(
                need_l_per_day=round(float(need.mean() / dens)),
                delivered_l_per_day=round(float(got.mean() / dens)),
                met_share=round(float(got.sum() / need.sum()), 4) if need.sum() > 0 else None,
                first_short_day=next((t for t in range(T) if got[t] < need[t] - 1e-6), None),
            )
    idle = plants_cap - plants_made
    water_short = res.shortfall_t[wid].sum(axis=0) if wid is not None else np.zeros(T)
    lost = np.minimum(idle, water_short)  # water short somewhere while a fuel-driven plant stood idle
    return FuelPlan(
        **vars(info),
        entered_l=round(float((trucked + declared).sum() / dens)),
        trucked_l=round(float(trucked.sum() / dens)),
        declared_l=round(float(declared.sum() / dens)),
        to_water_l=round(float(fuel_plants.sum() / dens)),
        water_made_with_fuel_m3=round(float(plants_made.sum())),
        water_capacity_fuel_driven_m3=round(float(plants_cap.sum())),
        water_not_made_while_short_m3=round(float(lost.sum())),
        uses_other_than_water=by_use,
        daily=[
            FuelDay(
                day=t,
                entered_l=round(float((trucked[t] + declared[t]) / dens)),
                to_water_l=round(float(fuel_plants[t] / dens)),
                water_made_m3=round(float(plants_made[t]), 1),
                water_not_made_while_short_m3=round(float(lost[t]), 1),
            )
            for t in range(T)
        ],
        not_modelled=[
            "fuel for water is used the day it reaches the plant (no tank at the plant); fuel for "
            "other uses is stored at one virtual depot with the sites' days of storage",
            "the fuel the delivery trucks burn is a declared use (amount a day), not computed from the routes",
        ],
    )
