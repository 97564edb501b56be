"""A scenario's people on the ground before the plan: a monitored settlement's residents (snapshot) and the
people arriving at transit points, applied to the loaded zones and sites (called by `folder.load_scenario`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .._errors import InputError, Problem
from ..geo import WGS84, project
from .arrivals import Arrivals, ArrivalsSpec, arrival_zones, load_arrivals
from .monitoring import Monitoring, MonitoringSpec, load_monitoring, relocate

RELOCATE_PREFIX = "relocate:"


def apply_settlement(
    folder: Path,
    cfg: str,
    monitoring: MonitoringSpec | None,
    arrivals: ArrivalsSpec | None,
    zones: list[Any],
    sites: list[Any],
    footprints: list[Any],
    entry_points: list[Any],
    crs: Any,
    days: int,
    zone_model: Any,
) -> tuple[list[Any], list[Any], Monitoring | None, Arrivals | None]:
    """Zones and sites (`folder.Zone`, `folder.Site`) with the settlement applied: monitored residents on their
    sites (minus those inside a footprint, who become a zone `relocate:<site>`), and a zone `arrivals:<point>` per
    transit point. zone_model: the Zone class (this module sits below folder.py)."""
    mon = arr = None
    problems: list[Problem] = []
    if monitoring is not None:
        try:
            mon = load_monitoring(folder, monitoring, sites, crs, days, cfg)
        except InputError as e:
            problems += e.problems
    if arrivals is not None:
        try:
            arr = load_arrivals(folder, arrivals, zones, entry_points, crs, days, cfg)
        except InputError as e:
            problems += e.problems
    if mon is not None and arr is not None and mon.start_date != arr.start_date:
        problems.append(
            Problem(
                file=cfg,
                field="arrivals.start_date",
                message=f"day 0 is {arr.start_date} here but {mon.start_date} for monitoring; expected one day 0",
            )
        )
    if problems:
        raise InputError(problems)
    zones = list(zones)
    if mon is not None and mon.unit_people.size:
        moved, parts = relocate(mon, sites, footprints)
        people = np.bincount(mon.unit_site, weights=mon.unit_people, minlength=len(sites)).astype(np.int64)
        out = np.bincount(mon.unit_site, weights=moved, minlength=len(sites)).astype(np.int64)
        listed = set(mon.unit_site.tolist())
        sites = [
            s.model_copy(update={"existing_population": int(people[j] - out[j])}) if j in listed else s
            for j, s in enumerate(sites)
        ]
        for j, part in enumerate(parts):
            if part is not None and out[j] > 0:
                zones.append(
                    zone_model(
                        id=f"{RELOCATE_PREFIX}{sites[j].id}",
                        source=f"{mon.file}#{sites[j].id}",
                        geometry=project(part, crs, WGS84),
                        geometry_m=part,
                        name=f"{sites[j].name or sites[j].id}: residents inside the footprint",
                        population=int(out[j]),
                    )
                )
    if arr is not None:
        zones += [zone_model(**z) for z in arrival_zones(arr, crs)]
    return zones, sites, mon, arr
