"""Assistance packages applied to a scenario: a new scenario with the package's entry capacity, prepared land,
extra sites, warehouses, tents, water, hospital beds and fleet in it (the stages read only the scenario).
The package specs and their checks are ``scenario.packages``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import shapely

from .._errors import InputError, Problem
from ..scenario._inputs import folder_file
from ..scenario.delivery_specs import chain_problems
from ..scenario.folder import Scenario, Site, Warehouse, free_geometry
from ..scenario.packages import PackageSpec, SitesElement, _read_sites, package_problems
from ..scenario.supply_data import read_observed_trucks


def _by_day(elements: list[Any], field: str, days: int) -> np.ndarray:
    """Σ of ``field`` over the elements available on each day."""
    out = np.zeros(days)
    for el in elements:
        out[el.from_day :] += float(getattr(el, field))
    return out


def prepare_land(sites: list[Any], free_area_m2: np.ndarray, km2: float) -> list[Any]:
    """Sites with raised usable fractions: the km² go to the candidate sites in proportion to the land (outside
    the footprints) still unusable, up to all of it."""
    room = np.array([(1.0 - s.usable_fraction) for s in sites]) * free_area_m2
    total = float(room.sum())
    add = float(km2) * 1e6
    if total <= 0 or add <= 0:
        return list(sites)
    share = min(1.0, add / total)
    return [
        s.model_copy(update={"usable_fraction": min(1.0, s.usable_fraction + share * (1.0 - s.usable_fraction))})
        for s in sites
    ]


def preparable_km2(sc: Scenario) -> float:
    """Candidate-site land outside the footprints that is not yet usable (the most prepared_area can add)."""
    free = shapely.area(np.asarray(free_geometry(sc.sites, sc.footprints), dtype=object))
    return float(sum((1.0 - s.usable_fraction) * a for s, a in zip(sc.sites, free))) / 1e6


def _extra_sites(sc: Scenario, el: SitesElement, name: str, i: int) -> list[Any]:
    from ..geo import WGS84, project

    out = [Site(**s) for s in _read_sites(Path(sc.folder), el, name, i, [s.id for s in sc.sites])]
    if out:
        geoms = np.empty(len(out), dtype=object)
        geoms[:] = [s.geometry for s in out]
        for s, g in zip(out, project(geoms, WGS84, sc.crs)):
            s.geometry_m = g
    return out


def _with_chain(sc: Scenario, pkg: PackageSpec, name: str, file: str, notes: list[str]) -> Any:
    """The scenario's supply block with the package's pier and airdrops as entry points and its chain stages
    replacing the scenario's at the same entry points."""
    if not (pkg.pier or pkg.airdrops or pkg.chain or pkg.fuel or pkg.hubs or pkg.distribution):
        return sc.supply
    entries = [*sc.supply.entries, *pkg.pier, *pkg.airdrops]
    ids = [e.id for e in sc.entry_points] + [e.id for e in entries]
    problems = chain_problems(pkg.chain, ids, file, f"packages.{name}.chain")
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        problems.append(Problem(file, f"entry point id(s) {dup} used twice", f"packages.{name}", "pier/airdrops"))
    if problems:
        raise InputError(problems)
    mine = {c.entry_point for c in pkg.chain}
    chain = [c for c in sc.supply.chain if c.entry_point not in mine] + list(pkg.chain)
    for e in [*pkg.pier, *pkg.airdrops]:
        notes.append(
            f"{e.mode} entry '{e.id}': {e.units_per_day:g} {'shuttle trips' if e.mode == 'sea' else 'sorties'}"
            f"/day from day {e.from_day}"
            + (f" to day {e.until_day}" if e.until_day is not None else "")
            + (f" ({e.source})" if e.source else "")
        )
    return sc.supply.model_copy(
        update={
            "entries": entries,
            "chain": chain,
            "fuel": pkg.fuel or sc.supply.fuel,
            "hubs": pkg.hubs or sc.supply.hubs,
            "distribution": pkg.distribution or sc.supply.distribution,
        }
    )


def _entry_trucks(sc: Scenario, pkg: PackageSpec, name: str, notes: list[str]) -> dict[str, np.ndarray]:
    """Trucks per day at each crossing: the scenario's (or the package's observed series), then the package's
    elements set or added on their days."""
    from ..stages.deliveries import entry_trucks_by_day

    days = sc.horizon_days
    if pkg.entry_series is not None:
        series = read_observed_trucks(
            folder_file(sc.folder, pkg.entry_series.file, field=f"packages.{name}.entry_series.file"),
            pkg.entry_series.start,
            days,
            repeat_last_days=pkg.entry_series.repeat_last_days,
        )
        trucks = {e.id: np.asarray(series.get(e.id, np.zeros(days)), dtype=float) for e in sc.entry_points}
        if pkg.entry_series.repeat_last_days:
            notes.append(
                f"ASSUMPTION: after the last date of {pkg.entry_series.file}, its last "
                f"{pkg.entry_series.repeat_last_days} days of trucks repeat in turn (no later data)"
            )
    else:
        trucks = {k: v.copy() for k, v in entry_trucks_by_day(sc).items()}
    for el in pkg.entry_capacity:
        last = days if el.until_day is None else min(days, el.until_day + 1)
        if el.mode == "set":
            trucks[el.entry_point][el.from_day : last] = el.trucks_per_day
        else:
            trucks[el.entry_point][el.from_day : last] += el.trucks_per_day
    return trucks


def _shelter_land(sc: Scenario, pkg: PackageSpec, name: str, notes: list[str]) -> list[Site]:
    """The sites with the package's prepared land and its extra sites (counted as ready when people arrive)."""
    sites = list(sc.sites)
    if pkg.prepared_area:
        free = shapely.area(np.asarray(free_geometry(sc.sites, sc.footprints), dtype=object))
        sites = prepare_land(sites, free, sum(e.km2 for e in pkg.prepared_area))  # counted as ready (see notes)
        notes.append(
            f"Prepared site area: {sum(e.km2 for e in pkg.prepared_area):g} km2 of candidate land made "
            "usable, shared over the sites in proportion to their unusable land (capped at all of it)."
        )
    for i, el in enumerate(pkg.sites):
        sites += _extra_sites(sc.model_copy(update={"sites": sites}), el, name, i)
    if any(e.from_day > 0 for e in [*pkg.prepared_area, *pkg.sites]):
        notes.append(
            "Shelter land added after day 0 is counted as ready when people arrive; its from_day is "
            "reported, not modelled in the siting."
        )
    return sites


def apply_package(sc: Scenario, pkg: PackageSpec, name: str) -> Scenario:
    """The scenario with the package's resources in it (a new object; ``sc`` is not changed)."""
    from ..geo import WGS84, project

    file = str(Path(sc.folder) / "scenario.yaml")
    days = sc.horizon_days
    problems = package_problems(pkg, name, days, [e.id for e in sc.entry_points], file)
    if problems:
        raise InputError(problems)
    notes = [f"Assistance package '{name}': {pkg.description}".rstrip(": ")] + list(pkg.assumptions)

    trucks = _entry_trucks(sc, pkg, name, notes)
    sites = _shelter_land(sc, pkg, name, notes)
    warehouses = list(sc.warehouses)
    if pkg.warehouses:
        pts = np.empty(len(pkg.warehouses), dtype=object)
        pts[:] = [shapely.Point(w.lon, w.lat) for w in pkg.warehouses]
        for w, g, gm in zip(pkg.warehouses, pts, project(pts, WGS84, sc.crs)):
            warehouses.append(
                Warehouse(
                    id=w.id, source=f"package {name}", geometry=g, geometry_m=gm, name=w.id, capacity_t=w.capacity_t
                )
            )
    hh = sc.household_size
    tents = [(el.from_day, int(el.count), float(el.people_per_tent or hh)) for el in pkg.tents]
    if tents:
        notes.append(
            "Package tents come with their household kits, are already inside the area (they do not use "
            "crossing capacity) and reach the sites without delay; a tent that arrives after its household "
            "does not count (the need is on arrival)."
        )
    supply = _with_chain(sc, pkg, name, file, notes)
    beds = _by_day(pkg.field_hospitals, "beds", days) if pkg.field_hospitals else None
    if beds is not None and sc.hospital_beds_by_day is not None:
        beds = beds + np.asarray(sc.hospital_beds_by_day)
    return sc.model_copy(
        update={
            "package": name,
            "package_notes": notes,
            "entry_trucks_by_day": trucks,
            "sites": sites,
            "supply": supply,
            "warehouses": warehouses,
            "tent_stock": [*sc.tent_stock, *tents],
            "water_m3_by_day": (_by_day(pkg.water, "m3_per_day", days) if pkg.water else sc.water_m3_by_day),
            "hospital_beds_by_day": beds if beds is not None else sc.hospital_beds_by_day,
            "fleet_trucks_by_day": _by_day(pkg.fleet, "trucks", days) if pkg.fleet else sc.fleet_trucks_by_day,
        }
    )
