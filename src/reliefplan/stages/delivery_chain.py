"""The plan's delivery chain: sea and air entry points and the stages after an entry point (collection, convoy
movements allowed, losses) as parts of the supply instance, and their report in plan.json ``supply.chain``.
Nothing here runs unless the scenario (or a package) declares ``supply.entries`` or ``supply.chain``."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import shapely

from ..plan_supply import ChainMode, ChainStage, DeliveryChain, StepFigure
from ..scenario.delivery_specs import ModeEntrySpec, StepValue, step_series
from ..scenario.folder import Scenario
from ..solvers.chain import (
    EntryChain,
    ModeFigures,
    availability_by_day,
    chain_report,
    land_cost_usd_per_t,
    mode_figures,
)
from ..solvers.supply import Arc, EntryPoint, SupplyInstance, SupplyResult


def declared(sc: Scenario) -> bool:
    return bool(sc.supply.entries or sc.supply.chain)


def mode_entries(
    sc: Scenario,
    location_ids: list[str],
    location_xy: np.ndarray,
    land_payload_t: float,
    one_way_h: Callable[[np.ndarray, np.ndarray], np.ndarray],
    make_arcs: Callable[..., list[Arc]],
) -> tuple[list[EntryPoint], list[Arc]]:
    """The scenario's (and packages') sea and air entries as supply entry points with their corridors, and per
    entry its figures and their sources. Sea and land: trucked corridors from the landing point by road; air:
    bundles fall at every location (no trucks), carrying only ``commodities`` (default food)."""
    from ..geo import WGS84, project

    entries, arcs = [], []
    for e, fig, avail, _how, pay, kinds in _modes(sc, land_payload_t):
        cap = e.units_per_day * avail * pay
        entries.append(
            EntryPoint(
                id=e.id,
                payload_t=pay,
                capacity_t_by_day=list(cap),
                mode=e.mode,
                loss_share=fig.loss_share,
                uniform_payload=e.mode != "land",
                cost_usd_per_t=fig.cost_usd_per_t,
            )
        )
        if e.mode == "air" or e.lon is None or e.lat is None:
            arcs += [Arc(source=e.id, target=nid, trucked=False, commodities=kinds) for nid in location_ids]
        else:
            pt = np.empty(1, dtype=object)
            pt[:] = [shapely.Point(e.lon, e.lat)]
            g = project(pt, WGS84, sc.crs)[0]
            h = one_way_h(np.array([[g.x, g.y]]), location_xy)
            arcs += [a if not kinds else _only(a, kinds) for a in make_arcs([e.id], location_ids, h)]
    return entries, arcs


def _modes(
    sc: Scenario, land_payload_t: float
) -> list[tuple[ModeEntrySpec, ModeFigures, np.ndarray, str, float, tuple[str, ...]]]:
    """Per declared sea/air entry: (spec, figures, share available per day, how, t per unit, commodities)."""
    days = sc.horizon_days
    file = str(sc.folder / "scenario.yaml")
    out = []
    for k, e in enumerate(sc.supply.entries):
        feat = f"supply.entries[{k}] ({e.id})"
        fig = mode_figures(
            e.mode,
            payload_t=e.payload_t,
            loss_share=e.loss_share,
            cost_usd_per_t=e.cost_usd_per_t,
            file=file,
            feature=feat,
        )
        avail, how = availability_by_day(e.availability, days, e.from_day, file=file, feature=feat)
        if e.until_day is not None:
            avail[e.until_day + 1 :] = 0.0
        kinds = tuple(e.commodities) or (("food",) if e.mode == "air" else ())
        out.append((e, fig, avail, how, fig.payload_t or land_payload_t, kinds))
    return out


def modes_info(sc: Scenario, land_payload_t: float) -> list[ChainMode]:
    """Each declared sea/air entry's figures and their sources, for plan.json."""
    return [
        ChainMode(
            entry_point=e.id,
            mode=e.mode,
            unit=fig.unit,
            units_per_day=e.units_per_day,
            payload_t=pay,
            availability=how,
            available_share_mean=round(float(avail.mean()), 4),
            loss_share=fig.loss_share,
            cost_usd_per_t=fig.cost_usd_per_t,
            commodities=list(kinds) or "all",
            sources={**_sources(fig), "declared": e.source},
        )
        for e, fig, avail, how, pay, kinds in _modes(sc, land_payload_t)
    ]


def _only(a: Arc, kinds: tuple[str, ...]) -> Arc:
    from dataclasses import replace

    return replace(a, commodities=kinds)


def _sources(fig: ModeFigures) -> dict[str, str]:
    return {k: v for k, v in fig.sources.items() if v != "declared"}


def land_costs(entries: list[EntryPoint]) -> list[EntryPoint]:
    """The layer's land crossings with the land cost per tonne (data/delivery.yaml)."""
    from dataclasses import replace

    cost, _how = land_cost_usd_per_t()
    return [replace(e, cost_usd_per_t=cost) if e.mode == "land" and e.cost_usd_per_t is None else e for e in entries]


def entry_chains(sc: Scenario, inst: SupplyInstance) -> list[EntryChain]:
    """The declared stages after each entry point, as daily series. Convoy movements allowed a day = the share
    facilitated x the movements requested (declared, else the entry's mean truckloads a day over the horizon)."""
    days = inst.days
    by_id = {e.id: i for i, e in enumerate(inst.entry_points)}
    out = []
    for c in sc.supply.chain:
        ep = inst.entry_points[by_id[c.entry_point]]
        cap = np.asarray(ep.capacity_t(days, inst.payload_t), dtype=float)
        loads = cap / (ep.payload(inst.payload_t) if ep.mode == "land" else inst.payload_t)  # trucks a day
        # requested movements: declared, else the entry's mean truckloads a day over the horizon (closed days
        # count as 0, so more trucks or fewer closures never allow fewer movements)
        requested = c.movements_loads_per_day if c.movements_loads_per_day is not None else float(loads.mean())
        out.append(
            EntryChain(
                entry_id=c.entry_point,
                collection_loads_by_day=None
                if c.collection_loads_per_day is None
                else list(step_series(c.collection_loads_per_day, days)),
                movements_loads_by_day=None
                if c.movements_allowed_share is None
                else list(step_series(c.movements_allowed_share, days, 1.0) * requested),
                loss_share=c.loss_share,
                collection_days=c.collection_days,
                movement_days=c.movement_days,
                sources=(c.source,) if c.source else (),
            )
        )
    return out


def chain_summary(sc: Scenario, inst: SupplyInstance, res: SupplyResult) -> DeliveryChain:
    """plan.json ``supply.chain``: per entry point and day the tonnes entered, collected, moved, lost and delivered,
    the backlog, the binding stage, cost per tonne delivered; the figures used with their sources; what is not
    modelled."""
    stages = [
        ChainStage(
            entry_point=c.entry_point,
            collection_loads_per_day=_plain(c.collection_loads_per_day),
            movements_allowed_share=_plain(c.movements_allowed_share),
            movements_loads_per_day=c.movements_loads_per_day,
            loss_share=c.loss_share,
            source=c.source,
        )
        for c in sc.supply.chain
    ]
    return DeliveryChain.model_validate(
        {
            **chain_report(inst, res),
            "modes": modes_info(sc, inst.payload_t),
            "stages": stages,
            "land_cost_usd_per_t_source": land_cost_usd_per_t()[1],
            "not_modelled": [
                "Costs are reported, not optimised: the plan minimises deprivation, then truckloads; cost per tonne "
                "delivered = the entry's cost per tonne entered x tonnes entered / tonnes handed on to a location or "
                "warehouse (losses raise it).",
                "Availability given as a share is applied as an expected value every day; the 'pier-2024' pattern "
                "places the 2024 pier's operating and down days in order (the LP then knows them ahead: a forecast "
                "the planner did not have).",
                "Airdrops fall at every location in proportion to the plan's choice; where they land, who can reach "
                "them and the people hurt by them are not modelled (loss_share stands for bundles lost or unsafe).",
                "The backlog is only what the plan chooses to send ahead of collection; trucks sent regardless of "
                "collection (as in June-July 2024) would add to it.",
            ],
        }
    )


def _plain(v: StepValue | None) -> float | list[StepFigure] | None:
    if isinstance(v, list):
        return [StepFigure(from_day=s.from_day, value=s.value) for s in v]
    return v
