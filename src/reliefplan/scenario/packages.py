"""Assistance packages: named bundles of resources offered for an operation, applied to a scenario.

A package lists what it adds, each element with the day (from the operation's day 0) it becomes available:
extra or replacement entry capacity (trucks/day at a crossing, or a daily series from an observed line list),
tents, prepared site area on the candidate sites, additional shelter sites (polygons), water production,
field-hospital beds, warehouses and a truck fleet. ``extends: other`` starts from another package's
resources. Applying a package to a loaded scenario (``analysis.packages``) gives a new scenario; the stages read
only the scenario.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import shapely
from pydantic import Field

from .._errors import InputError, Problem
from ._inputs import FolderFile, Strict, folder_file
from ._layers import read_layer
from .delivery_specs import AirdropSpec, ChainSpec, DistributionSpec, FuelSpec, HubsSpec, PierSpec

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
    repeat_last_days: int | None = Field(
        default=None, ge=1, le=365
    )  # beyond the file's last date: its last N days again


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
    # the delivery chain (issue 20): a pier (sea entry), airdrops, and stages after an entry point (collection,
    # convoy approvals, losses), each replacing the scenario's chain at that entry point
    pier: list[PierSpec] = []
    airdrops: list[AirdropSpec] = []
    chain: list[ChainSpec] = []
    fuel: FuelSpec | None = None  # replaces the scenario's supply.fuel
    hubs: HubsSpec | None = None  # replaces the scenario's supply.hubs
    distribution: DistributionSpec | None = None  # replaces the scenario's supply.distribution
    assumptions: list[str] = []


#: package elements with a day and a place to check (package_problems)
_ELEMENTS = (
    "entry_capacity",
    "tents",
    "prepared_area",
    "sites",
    "water",
    "field_hospitals",
    "warehouses",
    "fleet",
    "pier",
    "airdrops",
)
#: the list fields a package merges from the packages it extends
_LISTS = (*_ELEMENTS, "chain", "assumptions")
#: the elements that change who is sheltered where (and so the siting, layouts and evacuation)
SHELTER_ELEMENTS = ("prepared_area", "sites")


def resolve(packages: dict[str, PackageSpec], name: str, file: str = "scenario.yaml") -> PackageSpec:
    """The package with everything it extends merged in (the base's elements first)."""
    chain: list[str] = []
    cur: str | None = name
    while cur is not None:
        if cur not in packages:
            where = f"packages.{chain[-1]}.extends" if chain else "packages"
            raise InputError(
                Problem(file=file, field=where, message=f"no package named '{cur}'; expected one of {sorted(packages)}")
            )
        if cur in chain:
            raise InputError(
                Problem(
                    file=file,
                    field=f"packages.{cur}.extends",
                    message="cycle in extends: " + " -> ".join([*chain, cur]),
                )
            )
        chain.append(cur)
        cur = packages[cur].extends
    merged: dict[str, Any] = {k: [] for k in _LISTS}
    series = fuel = hubs = points = None
    for n in reversed(chain):
        p = packages[n]
        for k in _LISTS:
            merged[k] = [*merged[k], *getattr(p, k)]
        series = p.entry_series or series  # the nearest package's series (fuel, hubs, points) wins
        fuel, hubs, points = p.fuel or fuel, p.hubs or hubs, p.distribution or points
    return PackageSpec(
        description=packages[name].description,
        extends=None,
        entry_series=series,
        fuel=fuel,
        hubs=hubs,
        distribution=points,
        **merged,
    )


def shelter_key(pkg: PackageSpec) -> str:
    """Packages with the same key leave sheltering (siting, layouts, evacuation) unchanged between them."""
    return repr([getattr(pkg, k) for k in SHELTER_ELEMENTS])


def package_problems(
    pkg: PackageSpec, name: str, horizon_days: int, entry_ids: list[str] | None, file: str
) -> list[Problem]:
    """Days outside the horizon, unknown crossings, empty ranges: every problem at once (entry_ids None: the
    crossings are not checked)."""
    out: list[Problem] = []
    for kind in _ELEMENTS:
        for i, el in enumerate(getattr(pkg, kind)):
            feat = f"packages.{name}.{kind}[{i}]"
            if el.from_day >= horizon_days:
                out.append(
                    Problem(
                        file=file,
                        feature=feat,
                        field="from_day",
                        message=f"day {el.from_day} is outside the horizon 0..{horizon_days - 1}",
                    )
                )
            if kind == "entry_capacity":
                if entry_ids is not None and el.entry_point not in entry_ids:
                    out.append(
                        Problem(
                            file=file,
                            feature=feat,
                            field="entry_point",
                            message=f"unknown entry point '{el.entry_point}'; expected one of {entry_ids}",
                        )
                    )
                if el.until_day is not None and el.until_day < el.from_day:
                    out.append(Problem(file=file, feature=feat, field="until_day", message="expected >= from_day"))
            if kind in ("pier", "airdrops") and el.id in (entry_ids or []):
                out.append(
                    Problem(
                        file=file,
                        feature=feat,
                        field="id",
                        message=f"entry point id '{el.id}' already used by a crossing",
                    )
                )
            if kind == "warehouses" and el.from_day > 0:
                out.append(
                    Problem(
                        file=file,
                        feature=feat,
                        field="from_day",
                        message="warehouses count from day 0 (time-varying storage is not modelled)",
                    )
                )
    return out


def package_file_problems(
    pkg: PackageSpec, name: str, folder: Path, horizon_days: int, site_ids: list[str]
) -> list[Problem]:
    """The problems of the files a (resolved) package names: its entry series and its extra sites."""
    from .supply_data import read_observed_trucks

    out: list[Problem] = []
    if pkg.entry_series is not None:
        try:
            read_observed_trucks(
                folder_file(folder, pkg.entry_series.file, field=f"packages.{name}.entry_series.file"),
                pkg.entry_series.start,
                horizon_days,
                repeat_last_days=pkg.entry_series.repeat_last_days,
            )
        except InputError as e:
            out += e.problems
    known = list(site_ids)
    for i, el in enumerate(pkg.sites):
        try:
            known += [s["id"] for s in _read_sites(folder, el, name, i, known)]
        except InputError as e:
            out += e.problems
    return out


def _read_sites(folder: Path, el: SitesElement, name: str, i: int, site_ids: list[str]) -> list[dict[str, Any]]:
    """A package's extra sites (WGS84) as ``folder.Site`` fields, their ids new to the scenario."""
    path = folder_file(folder, el.file, field=f"packages.{name}.sites.{i}.file")
    feats = read_layer(path)
    problems, out = [], []
    known = set(site_ids)
    for f in feats:
        fid = str(f.properties.get("id") or f"{Path(el.file).stem}-{f.index}")
        if (
            f.geometry is None
            or f.geometry.geom_type not in ("Polygon", "MultiPolygon")
            or f.geometry.is_empty
            or not shapely.is_valid(f.geometry)
            or f.geometry.area == 0
        ):
            problems.append(
                Problem(
                    file=str(path),
                    feature=fid,
                    field="geometry",
                    message=f.geometry_error or "expected a valid polygon of non-zero area",
                )
            )
            continue
        if fid in known:
            problems.append(
                Problem(
                    file=str(path),
                    feature=fid,
                    field="id",
                    message=f"site id already used (package '{name}', sites[{i}])",
                )
            )
            continue
        known.add(fid)
        out.append(
            dict(
                id=fid,
                source=f"{path.name}#{f.index}",
                geometry=f.geometry,
                name=str(f.properties.get("name") or "")[:500],
                usable_fraction=el.usable_fraction,
            )
        )
    if problems:
        raise InputError(problems)
    return out
