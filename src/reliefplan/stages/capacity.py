"""How many people each candidate site can take: usable area / site area per person."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from ..scenario.folder import Footprint, Site, free_geometry
from ..standards import Standards


@dataclass
class SiteCapacity:
    """Per site (input order). Areas in m2 in the local metric CRS; capacity in additional people."""

    site_ids: list[str]
    area_m2: np.ndarray
    excluded_area_m2: np.ndarray
    usable_area_m2: np.ndarray
    capacity: np.ndarray
    point_xy: np.ndarray  # metric, a point inside the usable part (or the site)
    usable_geometry_m: np.ndarray  # shapely polygons: site minus footprint


def site_capacity(
    sites: list[Site], footprints: list[Footprint], standards: Standards, layout_people: np.ndarray | None = None
) -> SiteCapacity:
    """Capacity = min(usable area / site_area_m2_per_person, layout people x usable fraction, max_population)
    - existing population, >= 0.

    The part of a site inside the operation footprint is excluded: nobody can be sheltered in the area being
    emptied. `layout_people` (people the camp layout fits on the free part of each site) is the capacity truth:
    a site whose shape holds fewer plots than its area suggests gets the lower figure.
    """
    geoms = np.array([s.geometry_m for s in sites], dtype=object)
    area = shapely.area(geoms)
    free = free_geometry(sites, footprints)
    free_area = shapely.area(free)
    fraction = np.array([s.usable_fraction for s in sites])
    usable = free_area * fraction
    by_area = np.floor(usable / standards.value("site_area_m2_per_person") + 1e-9).astype(np.int64)
    if layout_people is not None:
        by_area = np.minimum(by_area, np.floor(np.asarray(layout_people) * fraction + 1e-9).astype(np.int64))
    cap_total = np.array([s.max_population if s.max_population is not None else np.iinfo(np.int64).max for s in sites])
    existing = np.array([s.existing_population for s in sites], dtype=np.int64)
    capacity = np.maximum(np.minimum(by_area, cap_total) - existing, 0)
    pts = np.array([shapely.point_on_surface(f if not f.is_empty else g) for f, g in zip(free, geoms)], dtype=object)
    return SiteCapacity(
        site_ids=[s.id for s in sites],
        area_m2=area,
        excluded_area_m2=area - free_area,
        usable_area_m2=usable,
        capacity=capacity,
        point_xy=shapely.get_coordinates(pts),
        usable_geometry_m=free,
    )
