"""The plan's rows from the stages' results: zones, sites, flows, entry points, the siting's figures, the head
count and everyone's location by day."""

from __future__ import annotations

import numpy as np
import shapely

from ..geo import to_lon_lat
from ..plan import EntryPointResult, Flow, People, SiteResult, Siting, SitingReMove, ZoneResult
from ..scenario.folder import Scenario
from .allocation import AllocationResult
from .capacity import SiteCapacity
from .displacement import Displacement
from .needs import needs_for
from .overflow import Overflow
from .presence import Presence
from .second_walk import PlannedReMove
from .travel import ZoneSiteTimes


def zone_results(sc: Scenario, d: Displacement, alloc: AllocationResult, ov: Overflow) -> list[ZoneResult]:
    sheltered = alloc.by_zone
    zone_land_by_zone = ov.zone_land_by_zone
    default = sc.population_spec.aid_dependent_share
    out = []
    for i, z in enumerate(sc.zones):
        departures = [(float(day), int(n)) for day, n in zip(d.days, d.displaced_by_day[i]) if n > 0]
        out.append(
            ZoneResult(
                id=z.id,
                name=z.name,
                pcode=z.pcode,
                population=int(d.population[i]),
                displaced=int(d.displaced[i]),
                staying=int(d.staying[i]),
                displaced_share=float(d.share[i]),
                start_day=d.start_day(i),
                departures=departures,
                sheltered=int(sheltered[i]),
                unsheltered=int(alloc.unmet[i]),
                overflow_on_sites=int(ov.to_site[i].sum()),
                overflow_on_zone_land=int(zone_land_by_zone[i]),
                remaining_in_operation_area=int(ov.inside[i]),
                aid_dependent_share=z.aid_dependent_share if z.aid_dependent_share is not None else default,
                lon=float(d.origin_lonlat[i, 0]),
                lat=float(d.origin_lonlat[i, 1]),
            )
        )
    return out


def site_results(
    sc: Scenario, cap: SiteCapacity, alloc: AllocationResult, ov: Overflow, kcal_pp: float
) -> list[SiteResult]:
    pop = alloc.by_site
    over = ov.by_site
    lonlat = to_lon_lat(shapely.points(cap.point_xy), sc.crs)
    opened = [int(p) for p in pop if p > 0]
    needs = iter(
        needs_for(
            opened,
            sc.standards,
            household_size=sc.household_size,
            kcal_per_person_day=kcal_pp,
            cargo=sc.cargo,
            food_mix=sc.food_mix,
        )
    )
    out = []
    for j, s in enumerate(sc.sites):
        present = int(pop[j]) + s.existing_population + int(over[j])
        out.append(
            SiteResult(
                id=s.id,
                name=s.name,
                area_m2=float(cap.area_m2[j]),
                excluded_area_m2=float(cap.excluded_area_m2[j]),
                usable_fraction=s.usable_fraction,
                usable_area_m2=float(cap.usable_area_m2[j]),
                existing_population=s.existing_population,
                capacity=int(cap.capacity[j]),
                population=int(pop[j]),
                overflow=int(over[j]),
                m2_per_person=float(cap.usable_area_m2[j] / present) if present else None,
                open=bool(pop[j] > 0),
                needs=next(needs) if pop[j] > 0 else None,
                lon=float(lonlat[j].x),
                lat=float(lonlat[j].y),
            )
        )
    return out


def _finite(x: float | None) -> float | None:
    """None for a figure the solver could not give (NaN/inf: no plan, no bound)."""
    return None if x is None or not np.isfinite(x) else float(x)


def head_count(d: Displacement, sheltered: int, unsheltered: int, ov: Overflow, pres: Presence) -> People:
    """The plan's head count: who lives in the territory, who is displaced, where they are, who depends on aid."""
    displaced = int(d.displaced.sum())
    dependent = pres.dependent[:, :, -1].sum()
    people = People(
        population=int(d.population.sum()),
        displaced=displaced,
        staying=int(d.staying.sum()),
        sheltered=sheltered,
        unsheltered=unsheltered,
        overflow_on_sites=int(ov.to_site.sum()),
        overflow_on_zone_land=int(ov.to_zone_land.sum()),
        remaining_in_operation_area=int(ov.inside.sum()),
        site_residents=pres.totals["site_residents"],
        served_elsewhere=pres.totals["served_elsewhere"],
        in_plan=int(sum(pres.totals.values())),
        aid_dependent=int(round(float(dependent))),
    )
    return people


def flow_results(sc: Scenario, times: ZoneSiteTimes, alloc: AllocationResult, ov: Overflow) -> list[Flow]:
    """People from each zone to each site (by group), then the overflow: to sites, and to land in zones."""
    flow_time_s, flow_distance_m = times.pairs.lookup(alloc.zone, alloc.site)
    flows = [
        Flow(
            zone=sc.zones[i].id,
            site=sc.sites[j].id,
            group=g,
            people=int(q),
            distance_m=float(dist),
            travel_time_s=float(t),
        )
        for i, j, g, q, t, dist in zip(alloc.zone, alloc.site, alloc.group, alloc.people, flow_time_s, flow_distance_m)
    ]
    oi, oj = np.nonzero(ov.to_site)
    over_time_s, over_distance_m = times.pairs.lookup(oi, oj)
    flows += [
        Flow(
            zone=sc.zones[i].id,
            site=sc.sites[j].id,
            group="overflow",
            people=int(ov.to_site[i, j]),
            distance_m=float(dist),
            travel_time_s=float(t),
        )
        for i, j, t, dist in zip(oi, oj, over_time_s, over_distance_m)
    ]
    if ov.to_zone_land.nnz > 0:
        land_pairs = ov.to_zone_land.tocoo()
        land_ll = to_lon_lat(shapely.points(ov.zone_land_xy), sc.crs)
        land_time_s = (
            ov.zone_land_times.lookup(land_pairs.row, land_pairs.col)[0]
            if ov.zone_land_times
            else np.full(land_pairs.nnz, np.nan)
        )
        flows += [
            Flow(
                zone=sc.zones[i].id,
                site=f"overflow:{sc.zones[k].id}",
                group="overflow",
                people=int(n),
                distance_m=float("nan"),
                travel_time_s=float(t),
                to_lon=float(land_ll[k].x),
                to_lat=float(land_ll[k].y),
            )
            # the canonical CSR's stored pairs, row by row as np.nonzero gave them on the dense array
            for i, k, n, t in zip(land_pairs.row, land_pairs.col, land_pairs.data, land_time_s)
        ]
    return flows


def entry_results(sc: Scenario) -> list[EntryPointResult]:
    """The entry points as the plan reports them (payload: the point's own, else the standard truck's)."""
    std = sc.standards
    return [
        EntryPointResult(
            id=e.id,
            name=e.name,
            trucks_per_day=e.trucks_per_day,
            design_trucks_per_day=e.design_trucks_per_day,
            payload_t=e.payload_t or std.value("truck_payload_t"),
            lon=e.geometry.x,
            lat=e.geometry.y,
        )
        for e in sc.entry_points
    ]


def siting_result(alloc: AllocationResult) -> Siting:
    """How the sites were chosen: solver, status, objective, bound and gap (None where not finite)."""
    return Siting(
        solver=alloc.siting.solver,
        status=alloc.siting.status,
        objective=_finite(alloc.siting.objective),
        bound=_finite(alloc.siting.bound),
        gap=_finite(alloc.siting.gap),
        solve_time_s=alloc.siting.solve_time_s,
        open_sites=list(alloc.siting.open_ids),
        message=alloc.siting.message,
        unmet_penalty_per_person_s=alloc.unmet_penalty_per_person_s,
        re_move=None if alloc.re_move is None else planned_re_move_result(alloc.re_move),
    )


def planned_re_move_result(rm: PlannedReMove) -> SitingReMove:
    """The re-moves the siting's plan expects, in whole people (rounded expectations with opening decisions)."""
    return SitingReMove(
        rule=rm.rule,
        second_walk_priced=rm.second_walk_priced,
        redisplacement_cost_days=rm.redisplacement_cost_days,
        redisplaced=int(round(rm.redisplaced)),
        diverted=int(round(rm.diverted)),
        second_walk_person_h=round(rm.second_walk_person_h, 1),
        note=rm.note,
    )


def presence_rows(pres: Presence) -> list[dict[str, int]]:
    """Everyone, every day: people by group and kind of location at the end of the day, and how many are in the
    operation area."""
    kinds = np.array(pres.kinds)
    out = []
    for t in range(pres.days):
        row: dict[str, int] = {"day": t, "in_operation_area": int(pres.inside_operation[t])}
        for g, name in enumerate(pres.groups):
            for k in ("zone", "site", "zone_land", "served", "abroad"):
                n = int(pres.people[kinds == k, g, t].sum())
                if n:
                    row[f"{name}_at_{k}"] = n
        out.append(row)
    return out
