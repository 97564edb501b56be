"""Logistics hubs chosen in the plan (``supply.hubs``): which candidate hubs to open and which locations each
supplies (`solvers.hubs.choose_hubs`: the siting engine on tonne-km by road, capacity in t/day, opening cost,
declared hubs always open), then built into the supply instance: the entry points' trucks go to an open hub's
gate (at most its capacity a day passes into it), the hub holds stock, and trucks run from the hub to the locations
it supplies. A location no open hub can take keeps its direct corridors (reported as unmet by the hubs)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..plan_supply import HubPlan, HubRow, HubSiting
from ..scenario.delivery_specs import HubCandidate
from ..scenario.folder import Scenario
from ..solvers import hubs as hub_siting
from ..solvers.hubs import choose_hubs
from ..solvers.supply import Arc, Site, Warehouse

GATE = ":gate"


def add_hubs(
    sc: Scenario,
    location_ids: list[str],
    location_xy: np.ndarray,
    sites: list[Site],
    warehouses: list[Warehouse],
    arcs: list[Arc],
    entry_ids: list[str],
    make_arcs: Callable[[list[str], list[str], np.ndarray], list[Arc]],
) -> tuple[list[Warehouse], list[Arc], HubPlan]:
    """The instance's warehouses and arcs with the chosen hubs in them, and the hub plan for plan.json.
    make_arcs(sources, targets, hours) -> truck corridors."""
    from .last_mile import road_matrix

    def road(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        tt = road_matrix(sc, a, b)
        return tt.time_s / 3600.0, np.nan_to_num(tt.distance_m, nan=np.inf) / 1000.0

    spec = sc.supply.hubs
    assert spec is not None
    cands = spec.candidates
    hxy = _candidate_xy(sc, cands)
    need = _mean_need(location_ids, sites)
    hours_lh, km_lh = road(location_xy, hxy)
    plan = choose_hubs(
        need,
        [c.id for c in cands],
        np.array([c.capacity_t_per_day for c in cands]),
        km_lh,
        hub_cost_tkm=np.array([c.cost_tkm for c in cands]),
        hub_open_day=np.array([c.open_day for c in cands]),
        day=0,
        declared=np.array([c.declared for c in cands]),
        max_hubs=spec.max_hubs,
        time_limit_s=spec.time_limit_s,
        file=str(sc.folder / "scenario.yaml"),
    )
    served = {location_ids[i] for i in np.flatnonzero(plan.hub_of_point >= 0)}
    # the entries' corridors to a location a hub supplies go through that hub instead
    arcs = [a for a in arcs if not (a.source in entry_ids and a.target in served)]
    warehouses = list(warehouses)
    ent_xy = np.array([[e.geometry_m.x, e.geometry_m.y] for e in sc.entry_points if e.id in entry_ids]).reshape(-1, 2)
    open_idx = np.flatnonzero(plan.open_mask)
    if open_idx.size:
        hours_eh, _ = road(ent_xy, hxy[open_idx])
        arcs += make_arcs(
            [e.id for e in sc.entry_points if e.id in entry_ids], [cands[j].id + GATE for j in open_idx], hours_eh
        )
    rows = []
    for j in open_idx:
        h = cands[j].id
        mine = np.flatnonzero(plan.hub_of_point == j)
        warehouses += [Warehouse(id=h + GATE, capacity_t=0.0), Warehouse(id=h, capacity_t=cands[j].storage_t)]
        arcs.append(Arc(source=h + GATE, target=h, trucked=False, capacity_t_per_day=cands[j].capacity_t_per_day))
        arcs += make_arcs([h], [location_ids[i] for i in mine], hours_lh[mine, j][None, :])
        rows.append(
            HubRow(
                hub=h,
                locations=int(mine.size),
                t_per_day=round(float(plan.tonnes_per_hub[j]), 1),
                capacity_t_per_day=cands[j].capacity_t_per_day,
                utilisation=round(float(plan.utilisation[j]), 3),
                declared=cands[j].declared,
            )
        )
    return warehouses, arcs, _hub_plan(plan, rows, location_ids)


def _hub_plan(plan: hub_siting.HubPlan, rows: list[HubRow], location_ids: list[str]) -> HubPlan:
    """The hub plan for plan.json from the siting result ``plan`` (`choose_hubs`)."""
    return HubPlan(
        open=plan.open_ids,
        hubs=rows,
        tkm_per_day=round(plan.tkm_per_day, 1),
        unmet_t_per_day=round(float(plan.unmet_t_per_day.sum()), 1),
        locations_without_hub=[location_ids[i] for i in np.flatnonzero(plan.hub_of_point < 0)],
        siting=HubSiting.model_validate(plan.siting),
        not_modelled=[
            "hubs are chosen once, on each location's mean daily need over the horizon (all commodities, "
            "water included), before the supply plan; a hub opening after day 0 is not chosen",
            "locations no open hub can take keep their direct corridors from the entry points",
        ],
    )


def _candidate_xy(sc: Scenario, cands: list[HubCandidate]) -> np.ndarray:
    """The candidate hubs in the metric CRS; InputError for a candidate outside the territory (a hub must stand in
    a zone, or an area of the other populations the same entries feed)."""
    import shapely

    from .._errors import InputError
    from ..geo import WGS84, project
    from ..solvers.distribution import zone_problems

    areas = [z.geometry for z in sc.zones] + [p.geometry for p in sc.served if p.geometry.geom_type != "Point"]
    probs = zone_problems(
        [c.id for c in cands],
        np.array([c.lon for c in cands]),
        np.array([c.lat for c in cands]),
        areas,
        file=str(sc.folder / "scenario.yaml"),
        kind="supply.hubs.candidates",
    )
    if probs:
        raise InputError(probs)
    pts = np.empty(len(cands), dtype=object)
    pts[:] = [shapely.Point(c.lon, c.lat) for c in cands]
    hxy = np.array([[g.x, g.y] for g in project(pts, WGS84, sc.crs)]).reshape(len(cands), 2)
    return hxy


def _mean_need(location_ids: list[str], sites: list[Site]) -> np.ndarray:
    """Each location's mean daily need over the horizon, t (every group's and commodity's demand)."""
    need = np.zeros(len(location_ids))
    by_id = {s.id: s for s in sites}
    for i, lid in enumerate(location_ids):
        s = by_id[lid]
        parts = [np.asarray(v, dtype=float) for g in s.groups.values() for v in g.values()] + [
            np.asarray(v, dtype=float) for v in s.demand_t.values()
        ]
        need[i] = float(np.sum([p.mean() for p in parts])) if parts else 0.0
    return need
