"""People arriving at transit points day by day: who is displaced when (their zone `arrivals:<point>` empties on
the day they arrive), and where they are before they arrive (abroad: in the plan, fed by nobody in it)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import shapely

from .._rounding import largest_remainder
from ..geo import to_lon_lat
from ..plan import ArrivalPoint, Arrivals
from ..scenario.arrivals import ZONE_PREFIX
from ..scenario.folder import Scenario
from .allocation import AllocationResult
from .displacement import Displacement, displace
from .presence import Presence

ABROAD = "abroad"  # the kind of location of people who have not arrived yet


def arrival_rows(sc: Scenario) -> np.ndarray:
    """Indices of the arrival zones in sc.zones (they come last, in the order of `sc.arrivals.point_ids`)."""
    if sc.arrivals is None:
        return np.zeros(0, dtype=np.int64)
    n = len(sc.arrivals.point_ids)
    return np.arange(len(sc.zones) - n, len(sc.zones))


def displace_all(sc: Scenario) -> Displacement:
    """Footprints empty the zones (as `displacement.displace`); each arrival zone's people leave it on the day they
    arrive. Without arrivals, exactly `displace`."""
    if sc.arrivals is None:
        return displace(sc.zones, sc.footprints, sc.crs)
    rows = arrival_rows(sc)
    real = sc.zones[: rows[0]] if rows.size else sc.zones
    d = displace(real, sc.footprints, sc.crs)
    a = sc.arrivals
    days = np.union1d(d.days, np.flatnonzero(a.by_day.sum(axis=0) > 0).astype(float))
    by_day = np.zeros((len(sc.zones), days.size), dtype=np.int64)
    by_day[: len(real), np.searchsorted(days, d.days)] = d.displaced_by_day
    cols = np.searchsorted(days, np.arange(a.by_day.shape[1], dtype=float).clip(max=days[-1] if days.size else 0))
    for k, i in enumerate(rows):
        np.add.at(by_day[i], cols[a.by_day[k] > 0], a.by_day[k][a.by_day[k] > 0])
    total = a.by_day.sum(axis=1).astype(np.int64)
    discs = np.array([sc.zones[i].geometry_m for i in rows], dtype=object)
    xy = np.array([[p.x, p.y] for p in a.point_m], dtype=float).reshape(-1, 2)
    return Displacement(
        zone_ids=d.zone_ids + [sc.zones[i].id for i in rows],
        population=np.concatenate([d.population, total]),
        displaced=np.concatenate([d.displaced, total]),
        share=np.concatenate([d.share, np.ones(rows.size)]),
        days=days,
        displaced_by_day=by_day,
        origin_xy=np.vstack([d.origin_xy.reshape(-1, 2), xy]),
        origin_lonlat=np.vstack(
            [
                d.origin_lonlat.reshape(-1, 2),
                shapely.get_coordinates(to_lon_lat(shapely.points(xy), sc.crs)).reshape(-1, 2),
            ]
        ),
        displaced_part_m=np.concatenate([d.displaced_part_m, discs]),
    )


def abroad(pres: Presence, sc: Scenario, sheltered_by_zone: np.ndarray, overflow_by_zone: np.ndarray) -> Presence:
    """Presence with the people who have not arrived yet moved from their arrival zone to a location
    `abroad:<point>` (kind 'abroad', no aid need in this plan): on day t, everyone due at a point after t.

    sheltered_by_zone / overflow_by_zone: people of each zone with a camp place / without one (all overflow kinds).
    Each group's part abroad is its share of the point's people not yet arrived, in whole people."""
    if sc.arrivals is None:
        return pres
    a = sc.arrivals
    rows = arrival_rows(sc)
    gs, go = pres.group("sheltered"), pres.group("overflow")
    due = a.by_day.sum(axis=1, keepdims=True) - np.cumsum(a.by_day, axis=1)  # [P, T] not yet arrived
    P, T = due.shape
    people = np.concatenate([pres.people, np.zeros((P,) + pres.people.shape[1:], dtype=np.int64)])
    dependent = np.concatenate([pres.dependent, np.zeros((P,) + pres.dependent.shape[1:])])
    arrivals = np.concatenate([pres.arrivals, np.zeros((P,) + pres.arrivals.shape[1:])])
    L = pres.people.shape[0]
    for k, z in enumerate(rows):
        total = sheltered_by_zone[z] + overflow_by_zone[z]
        if total == 0:
            continue
        loc = pres.location_ids.index(f"zone:{sc.zones[z].id}")
        ideal = np.array([sheltered_by_zone[z], overflow_by_zone[z]], dtype=float)[:, None] * due[k] / total
        for t in np.flatnonzero(due[k]):
            here = people[loc, [gs, go], t]
            out = largest_remainder(ideal[:, t], int(due[k, t]), cap=here)
            with np.errstate(invalid="ignore", divide="ignore"):
                keep = np.where(here > 0, (here - out) / np.maximum(here, 1), 0.0)
            dependent[loc, [gs, go], t] *= keep
            people[loc, [gs, go], t] -= out
            people[L + k, [gs, go], t] += out
    xy = np.array([[p.x, p.y] for p in a.point_m], dtype=float).reshape(-1, 2)
    moved = people[L:].sum(axis=(0, 1))
    out_p = replace(
        pres,
        location_ids=pres.location_ids + [f"{ABROAD}:{p}" for p in a.point_ids],
        kinds=pres.kinds + [ABROAD] * P,
        xy=np.vstack([pres.xy, xy]),
        people=people,
        dependent=dependent,
        arrivals=arrivals,
        inside_operation=np.maximum(pres.inside_operation - moved, 0),
    )
    out_p.check()
    return out_p


def present(pres: Presence) -> np.ndarray:
    """[T] people in the territory each day (everyone in the plan but those who have not arrived yet)."""
    mask = np.array([k != ABROAD for k in pres.kinds])
    return pres.people[mask].sum(axis=(0, 1))


def arrivals_summary(sc: Scenario, d: Displacement, alloc: AllocationResult) -> Arrivals:
    """The plan.json `arrivals` block: per point, people by day and where they went; totals."""
    a = sc.arrivals
    rows = arrival_rows(sc)
    points = []
    for k, z in enumerate(rows):
        series = a.by_day[k]
        nz = np.flatnonzero(series)
        points.append(
            ArrivalPoint(
                id=a.point_ids[k],
                name=a.point_names[k],
                zone=sc.zones[int(a.zone_index[k])].id,
                lon=float(a.point_lonlat[k, 0]),
                lat=float(a.point_lonlat[k, 1]),
                people=int(series.sum()),
                first_day=int(nz[0]) if nz.size else None,
                last_day=int(nz[-1]) if nz.size else None,
                peak_per_day=int(series.max(initial=0)),
                by_day=[int(x) for x in series],
                sheltered=int(alloc.by_zone[z]),
                without_a_site_place=int(alloc.unmet[z]),
            )
        )
    return Arrivals(
        file=a.file,
        start_date=a.start_date,
        source=a.source,
        people=a.total,
        by_day=[int(x) for x in a.by_day.sum(axis=0)],
        points=points,
    )


def is_arrival_zone(zone_id: str) -> bool:
    return zone_id.startswith(ZONE_PREFIX)
