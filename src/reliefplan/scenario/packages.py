"""Assistance packages: named bundles of resources offered for an operation, applied to a scenario.

A package lists what it adds, each element with the day (from the operation's day 0) it becomes available:
extra or replacement entry capacity (trucks/day at a crossing, or a daily series from an observed line list),
tents, prepared site area on the candidate sites, additional shelter sites (polygons), water production,
field-hospital beds, warehouses and a truck fleet. ``extends: other`` starts from another package's
resources. Applying a package to a loaded scenario gives a new scenario; the stages read only the scenario.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import shapely
from pydantic import Field

from .._errors import InputError, Problem
from ._inputs import FolderFile, Strict, folder_file
from ._layers import read_layer

if TYPE_CHECKING:
    from .folder import Scenario


_Strict = Strict  # unknown keys, NaN/inf and numbers beyond ±1e12 are errors


class _Element(_Strict):
    from_day: int = Field(default=0, ge=0, le=36_500)  # first day of the operation the resource is there
    source: str = ""  # where the figure comes from, or 'assumption: ...'


class EntryCapacityElement(_Element):
    """Trucks/day at a declared crossing: added to its capacity, or replacing it, from ``from_day`` on."""

    entry_point: str
    trucks_per_day: float = Field(ge=0)
    mode: Literal["add", "set"] = "add"
    until_day: int | None = Field(default=None, ge=0, le=36_500)


class EntrySeriesElement(_Element):
    """Every crossing's capacity replaced by its daily trucks in an observed line list, from a start date."""

    file: FolderFile  # CSV: date, entry_point_id, trucks_total (HXL row allowed)
    start: str  # ISO date of the operation's day 0 in the series


class TentsElement(_Element):
    """Tents (with their household kits) ready at the sites; a tent shelters ``people_per_tent``."""

    count: int = Field(ge=0)
    people_per_tent: float | None = Field(default=None, ge=1, le=50)  # None: the scenario's household size


class PreparedAreaElement(_Element):
    """Candidate-site land made usable (rubble cleared, levelled, drained), in km²."""

    km2: float = Field(ge=0)


class SitesElement(_Element):
    """Additional shelter sites: polygons with an id, at a usable fraction."""

    file: FolderFile
    usable_fraction: float = Field(default=1.0, ge=0, le=1)


class WaterElement(_Element):
    """Water produced or trucked inside the area (desalination, wells, tankers), m³/day over the open sites."""

    m3_per_day: float = Field(ge=0)


class HospitalElement(_Element):
    """Field-hospital inpatient beds."""

    beds: int = Field(ge=0)


class WarehouseElement(_Element):
    """A warehouse between the crossings and the sites."""

    id: str
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    capacity_t: float | None = Field(default=None, ge=0)  # None: unlimited


class FleetElement(_Element):
    """Trucks available to haul from the crossings and warehouses to the sites."""

    trucks: int = Field(ge=0)


class PackageSpec(_Strict):
    """One offered package as written in scenario.yaml under ``packages:``."""

    description: str = ""
    extends: str | None = None
    entry_capacity: list[EntryCapacityElement] = []
    entry_series: EntrySeriesElement | None = None
    tents: list[TentsElement] = []
    prepared_area: list[PreparedAreaElement] = []
    sites: list[SitesElement] = []
    water: list[WaterElement] = []
    field_hospitals: list[HospitalElement] = []
    warehouses: list[WarehouseElement] = []
    fleet: list[FleetElement] = []
    assumptions: list[str] = []


_LISTS = ("entry_capacity", "tents", "prepared_area", "sites", "water", "field_hospitals", "warehouses", "fleet",
          "assumptions")
#: the elements that change who is sheltered where (and so the siting, layouts and evacuation)
SHELTER_ELEMENTS = ("prepared_area", "sites")


def resolve(packages: dict[str, PackageSpec], name: str, file: str = "scenario.yaml") -> PackageSpec:
    """The package with everything it extends merged in (the base's elements first)."""
    chain: list[str] = []
    cur: str | None = name
    while cur is not None:
        if cur not in packages:
            where = f"packages.{chain[-1]}.extends" if chain else "packages"
            raise InputError(Problem(file=file, field=where,
                                     message=f"no package named '{cur}'; expected one of {sorted(packages)}"))
        if cur in chain:
            raise InputError(Problem(file=file, field=f"packages.{cur}.extends",
                                     message="cycle in extends: " + " -> ".join([*chain, cur])))
        chain.append(cur)
        cur = packages[cur].extends
    merged: dict[str, Any] = {k: [] for k in _LISTS}
    series = None
    for n in reversed(chain):
        p = packages[n]
        for k in _LISTS:
            merged[k] = [*merged[k], *getattr(p, k)]
        series = p.entry_series or series  # the nearest package's series wins
    return PackageSpec(description=packages[name].description, extends=None, entry_series=series, **merged)


def shelter_key(pkg: PackageSpec) -> str:
    """Packages with the same key leave sheltering (siting, layouts, evacuation) unchanged between them."""
    return repr([getattr(pkg, k) for k in SHELTER_ELEMENTS])


def package_problems(pkg: PackageSpec, name: str, horizon_days: int, entry_ids: list[str],
                     file: str) -> list[Problem]:
    """Days outside the horizon, unknown crossings, empty ranges: every problem at once."""
    out: list[Problem] = []
    for kind in ("entry_capacity", "tents", "prepared_area", "sites", "water", "field_hospitals", "warehouses",
                 "fleet"):
        for i, el in enumerate(getattr(pkg, kind)):
            feat = f"packages.{name}.{kind}[{i}]"
            if el.from_day >= horizon_days:
                out.append(Problem(file=file, feature=feat, field="from_day",
                                   message=f"day {el.from_day} is outside the horizon 0..{horizon_days - 1}"))
            if kind == "entry_capacity":
                if el.entry_point not in entry_ids:
                    out.append(Problem(file=file, feature=feat, field="entry_point",
                                       message=f"unknown entry point '{el.entry_point}'; expected one of {entry_ids}"))
                if el.until_day is not None and el.until_day < el.from_day:
                    out.append(Problem(file=file, feature=feat, field="until_day", message="expected >= from_day"))
            if kind == "warehouses" and el.from_day > 0:
                out.append(Problem(file=file, feature=feat, field="from_day",
                                   message="warehouses count from day 0 (time-varying storage is not modelled)"))
    return out


def _by_day(elements: list[Any], field: str, days: int) -> np.ndarray:
    """Σ of ``field`` over the elements available on each day."""
    out = np.zeros(days)
    for el in elements:
        out[el.from_day:] += float(getattr(el, field))
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
    return [s.model_copy(update={"usable_fraction": min(1.0, s.usable_fraction + share * (1.0 - s.usable_fraction))})
            for s in sites]


def preparable_km2(sc: Scenario) -> float:
    """Candidate-site land outside the footprints that is not yet usable (the most prepared_area can add)."""
    from ..stages.capacity import free_geometry

    free = shapely.area(np.asarray(free_geometry(sc.sites, sc.footprints), dtype=object))
    return float(sum((1.0 - s.usable_fraction) * a for s, a in zip(sc.sites, free))) / 1e6


def package_file_problems(pkg: PackageSpec, name: str, folder: Path, horizon_days: int,
                          site_ids: list[str]) -> list[Problem]:
    """The problems of the files a (resolved) package names: its entry series and its extra sites."""
    from ..solvers.supply import read_observed_trucks

    out: list[Problem] = []
    if pkg.entry_series is not None:
        try:
            read_observed_trucks(folder_file(folder, pkg.entry_series.file, field=f"packages.{name}.entry_series.file"),
                                 pkg.entry_series.start, horizon_days)
        except InputError as e:
            out += e.problems
    known = list(site_ids)
    for i, el in enumerate(pkg.sites):
        try:
            known += [s.id for s in _read_sites(folder, el, name, i, known)]
        except InputError as e:
            out += e.problems
    return out


def _read_sites(folder: Path, el: SitesElement, name: str, i: int, site_ids: list[str]) -> list[Any]:
    """A package's extra sites (WGS84), their ids new to the scenario."""
    from .folder import Site

    path = folder_file(folder, el.file, field=f"packages.{name}.sites.{i}.file")
    feats = read_layer(path)
    problems, out = [], []
    known = set(site_ids)
    for f in feats:
        fid = str(f.properties.get("id") or f"{Path(el.file).stem}-{f.index}")
        if f.geometry is None or f.geometry.geom_type not in ("Polygon", "MultiPolygon") or f.geometry.is_empty \
                or not shapely.is_valid(f.geometry) or f.geometry.area == 0:
            problems.append(Problem(file=str(path), feature=fid, field="geometry",
                                    message=f.geometry_error or "expected a valid polygon of non-zero area"))
            continue
        if fid in known:
            problems.append(Problem(file=str(path), feature=fid, field="id",
                                    message=f"site id already used (package '{name}', sites[{i}])"))
            continue
        known.add(fid)
        out.append(Site(id=fid, source=f"{path.name}#{f.index}", geometry=f.geometry,
                        name=str(f.properties.get("name") or "")[:500], usable_fraction=el.usable_fraction))
    if problems:
        raise InputError(problems)
    return out


def _extra_sites(sc: Scenario, el: SitesElement, name: str, i: int) -> list[Any]:
    from ..geo import WGS84, project

    out = _read_sites(Path(sc.folder), el, name, i, [s.id for s in sc.sites])
    if out:
        geoms = np.empty(len(out), dtype=object)
        geoms[:] = [s.geometry for s in out]
        for s, g in zip(out, project(geoms, WGS84, sc.crs)):
            s.geometry_m = g
    return out


def apply_package(sc: Scenario, pkg: PackageSpec, name: str) -> Scenario:
    """The scenario with the package's resources in it (a new object; ``sc`` is not changed)."""
    from ..stages.capacity import free_geometry
    from ..stages.deliveries import entry_trucks_by_day
    from ..geo import WGS84, project
    from .folder import Warehouse
    from ..solvers.supply import read_observed_trucks

    file = str(Path(sc.folder) / "scenario.yaml")
    days = sc.horizon_days
    problems = package_problems(pkg, name, days, [e.id for e in sc.entry_points], file)
    if problems:
        raise InputError(problems)
    notes = [f"Assistance package '{name}': {pkg.description}".rstrip(": ")] + list(pkg.assumptions)

    # entry capacity per crossing per day: the scenario's, an observed series, then the package's elements
    if pkg.entry_series is not None:
        series = read_observed_trucks(folder_file(sc.folder, pkg.entry_series.file,
                                                  field=f"packages.{name}.entry_series.file"),
                                      pkg.entry_series.start, days)
        trucks = {e.id: np.asarray(series.get(e.id, np.zeros(days)), dtype=float) for e in sc.entry_points}
    else:
        trucks = {k: v.copy() for k, v in entry_trucks_by_day(sc).items()}
    for el in pkg.entry_capacity:
        last = days if el.until_day is None else min(days, el.until_day + 1)
        if el.mode == "set":
            trucks[el.entry_point][el.from_day:last] = el.trucks_per_day
        else:
            trucks[el.entry_point][el.from_day:last] += el.trucks_per_day

    sites = list(sc.sites)
    if pkg.prepared_area:
        free = shapely.area(np.asarray(free_geometry(sc.sites, sc.footprints), dtype=object))
        sites = prepare_land(sites, free, sum(e.km2 for e in pkg.prepared_area))  # counted as ready (see notes)
        notes.append(f"Prepared site area: {sum(e.km2 for e in pkg.prepared_area):g} km2 of candidate land made "
                     "usable, shared over the sites in proportion to their unusable land (capped at all of it).")
    for i, el in enumerate(pkg.sites):
        sites += _extra_sites(sc.model_copy(update={"sites": sites}), el, name, i)
    if any(e.from_day > 0 for e in [*pkg.prepared_area, *pkg.sites]):
        notes.append("Shelter land added after day 0 is counted as ready when people arrive; its from_day is "
                     "reported, not modelled in the siting.")
    warehouses = list(sc.warehouses)
    if pkg.warehouses:
        pts = np.empty(len(pkg.warehouses), dtype=object)
        pts[:] = [shapely.Point(w.lon, w.lat) for w in pkg.warehouses]
        for w, g, gm in zip(pkg.warehouses, pts, project(pts, WGS84, sc.crs)):
            warehouses.append(Warehouse(id=w.id, source=f"package {name}", geometry=g, geometry_m=gm,
                                        name=w.id, capacity_t=w.capacity_t))
    hh = sc.household_size
    tents = [(el.from_day, int(el.count), float(el.people_per_tent or hh)) for el in pkg.tents]
    if tents:
        notes.append("Package tents come with their household kits, are already inside the area (they do not use "
                     "crossing capacity) and reach the sites without delay; a tent that arrives after its household "
                     "does not count (the need is on arrival).")
    beds = _by_day(pkg.field_hospitals, "beds", days) if pkg.field_hospitals else None
    if beds is not None and sc.hospital_beds_by_day is not None:
        beds = beds + np.asarray(sc.hospital_beds_by_day)
    return sc.model_copy(update={
        "package": name, "package_notes": notes, "entry_trucks_by_day": trucks, "sites": sites,
        "warehouses": warehouses, "tent_stock": [*sc.tent_stock, *tents],
        "water_m3_by_day": (_by_day(pkg.water, "m3_per_day", days) if pkg.water else sc.water_m3_by_day),
        "hospital_beds_by_day": beds if beds is not None else sc.hospital_beds_by_day,
        "fleet_trucks_by_day": _by_day(pkg.fleet, "trucks", days) if pkg.fleet else sc.fleet_trucks_by_day,
    })
