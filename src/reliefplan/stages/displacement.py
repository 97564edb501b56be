"""Who must move and when: operation footprints x population zones."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import CRS

from .._errors import InputError, Problem
from .._memo import LastCall
from .._rounding import largest_remainder
from ..geo import to_lon_lat
from ..scenario.folder import Footprint, Zone


@dataclass
class Displacement:
    """Per zone (same order as the input zones): displaced people by start day, and staying people."""

    zone_ids: list[str]
    population: np.ndarray  # int, people per zone
    displaced: np.ndarray  # int, people per zone inside the footprint
    share: np.ndarray  # float, area share of each zone inside the footprint
    days: np.ndarray  # float, distinct start days (ascending)
    displaced_by_day: np.ndarray  # int [zone, day]
    origin_xy: np.ndarray  # metric [zone, 2]: a point inside the displaced part (or the zone)
    origin_lonlat: np.ndarray  # WGS84 [zone, 2]
    displaced_part_m: np.ndarray  # shapely polygons: the part of each zone people leave (the zone if none)

    @property
    def staying(self) -> np.ndarray:
        return self.population - self.displaced

    def start_day(self, i: int) -> float | None:
        nz = np.nonzero(self.displaced_by_day[i])[0]
        return float(self.days[nz[0]]) if nz.size else None


_PARTS: LastCall[tuple[np.ndarray, np.ndarray, np.ndarray]] = LastCall()


def _zone_parts(zone_geoms: np.ndarray, footprints: list[Footprint]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(footprint start days, share of each zone's area emptied on each of them [Z, days], each zone's part inside
    the footprints): the geometry alone, the same for every ensemble member (`displace` keeps the last)."""
    problems = []
    fp_geoms = np.array([f.geometry_m for f in footprints], dtype=object)
    tree = shapely.STRtree(zone_geoms)
    for f, g in zip(footprints, fp_geoms):
        hits = tree.query(g, predicate="intersects")
        if hits.size == 0 or shapely.area(shapely.intersection(zone_geoms[hits], g)).sum() <= 0:
            file, _, index = f.source.partition("#")
            problems.append(
                Problem(
                    file=file,
                    feature=f"{index} (id {f.id})",
                    field="geometry",
                    message=f"footprint of operation '{f.operation}' touches no population zone; "
                    "expected it to overlap at least one zone",
                )
            )
    if problems:
        raise InputError(problems)

    days = np.array(sorted({f.start_day for f in footprints}), dtype=float)
    zone_area = shapely.area(zone_geoms)
    covered_so_far = None
    exact_by_day = np.zeros((len(zone_geoms), len(days)))
    for k, day in enumerate(days):
        union = shapely.union_all(fp_geoms[[f.start_day == day for f in footprints]])
        new = union if covered_so_far is None else shapely.difference(union, covered_so_far)
        covered_so_far = union if covered_so_far is None else shapely.union(covered_so_far, union)
        exact_by_day[:, k] = shapely.area(shapely.intersection(zone_geoms, new)) / zone_area

    return days, exact_by_day, shapely.intersection(zone_geoms, shapely.union_all(fp_geoms))


def displace(zones: list[Zone], footprints: list[Footprint], crs: CRS) -> Displacement:
    """Area-weighted share of each zone's population inside the footprint, split by the day each part is emptied.

    A part of a zone covered by several footprints leaves on the earliest start day.
    """
    zone_geoms = np.array([z.geometry_m for z in zones], dtype=object)
    key = (*zone_geoms, None, *(x for f in footprints for x in (f.geometry_m, f.start_day)))
    days, exact_by_day, inside = _PARTS.get(key, lambda: _zone_parts(zone_geoms, footprints))
    days = days.copy()  # the Displacement's own
    population = np.array([z.population for z in zones], dtype=np.int64)
    share = np.clip(exact_by_day.sum(axis=1), 0.0, 1.0)
    exact = population * share
    displaced = largest_remainder(exact, int(round(exact.sum())), cap=population)
    by_day = np.zeros((len(zones), len(days)), dtype=np.int64)
    for i in np.nonzero(displaced)[0]:
        by_day[i] = largest_remainder(exact_by_day[i] * population[i], int(displaced[i]))

    part = np.array(
        [p if d > 0 and not p.is_empty else z for p, z, d in zip(inside, zone_geoms, displaced)], dtype=object
    )
    pts = shapely.point_on_surface(part)
    origin_xy = shapely.get_coordinates(pts)
    lonlat = shapely.get_coordinates(to_lon_lat(pts, crs))
    return Displacement(
        zone_ids=[z.id for z in zones],
        population=population,
        displaced=displaced,
        share=share,
        days=days,
        displaced_by_day=by_day,
        origin_xy=origin_xy,
        origin_lonlat=lonlat,
        displaced_part_m=part,
    )
