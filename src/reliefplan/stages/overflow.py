"""Where displaced people without a site place go: the overflow policy.

Nobody vanishes from the plan because no camp place exists. Under ``nearest_outside`` people without a place walk
to the nearest land outside the operation area that still has room at the declared maximum physical density:
first the candidate sites (their land beyond the camps: the free area × density, less the camp's people and the
residents), then the land of zones outside the footprint (its area outside the footprint × density, less the
people living there); whoever fits nowhere remains in the operation area. Under ``inside`` all of them remain.
Each tier is a transportation problem minimising person-seconds of walking (``siting.solve_siting``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import shapely

from ..scenario.folder import Scenario
from ..solvers.siting import SitingInstance, default_unmet_penalty, solve_siting


@dataclass
class Overflow:
    """People of each zone without a site place, by where they go; whole people, conserved per zone."""

    policy: str
    max_density_per_km2: float
    density_source: str
    to_site: np.ndarray  # int [zones, sites] to a candidate site's land beyond its camp
    # int [zones, zones] to the land of a zone outside the footprint; sparse (few zones receive anybody, and a
    # dense zones x zones array is 74 GiB at 100,000 zones), canonical CSR: sorted, no duplicates, no stored zeros
    to_zone_land: sp.csr_array
    inside: np.ndarray  # int [zones] remaining in the operation area (in their zone)
    site_room: np.ndarray  # people each candidate site's land still holds at the density (before overflow)
    zone_room: np.ndarray  # people each zone's land outside the footprint still holds
    zone_land_xy: np.ndarray  # metric [zones, 2]: a point on each zone's land outside the footprint
    zone_land_time_s: np.ndarray | None  # [zones, zones] walking time to that land (None when not needed)

    @property
    def total(self) -> int:
        return int(self.to_site.sum() + self.to_zone_land.sum() + self.inside.sum())

    @property
    def by_site(self) -> np.ndarray:
        return self.to_site.sum(axis=0)

    @property
    def by_zone_land(self) -> np.ndarray:
        return np.asarray(self.to_zone_land.sum(axis=0)).ravel()

    @property
    def zone_land_by_zone(self) -> np.ndarray:
        """People of each zone sent to zone land [zones]."""
        return np.asarray(self.to_zone_land.sum(axis=1)).ravel()


def max_density(sc: Scenario) -> tuple[float, str]:
    """(people per km², source): the declared density, else one person per covered m² of the profile."""
    spec = sc.overflow
    if spec.max_density_per_km2 is not None:
        return float(spec.max_density_per_km2), spec.source or "scenario.yaml overflow.max_density_per_km2"
    per = sc.standards.value("covered_area_m2_per_person")
    return 1e6 / per, (
        f"ASSUMPTION: no maximum density declared; the physical limit of one person per "
        f"{per:g} m2 of covered space ({sc.standards.cite('covered_area_m2_per_person')})"
    )


def _transport(demand: np.ndarray, room: np.ndarray, time_s: np.ndarray, ids: list[str]) -> sp.csr_array:
    """Whole people [clients, destinations] minimising person-seconds, as a canonical sparse array of the used
    pairs; who fits nowhere stays unassigned."""
    n, m = time_s.shape
    out = sp.csr_array((n, m), dtype=np.int64)
    clients = np.flatnonzero(demand > 0)
    dest = np.flatnonzero(room > 0)
    if clients.size == 0 or dest.size == 0:
        return out
    t = time_s[np.ix_(clients, dest)]
    cost = np.where(np.isfinite(t), t, np.inf) * demand[clients, None]
    reach = np.isfinite(cost)  # pairs beyond the walking limit (siting.max_walk_h) have no time: not usable
    if not reach.any():
        return out
    inst = SitingInstance(
        facility_ids=[ids[j] for j in dest],
        capacity=room[dest].astype(float),
        fixed_cost=np.zeros(dest.size),
        client_ids=[str(i) for i in clients],
        demand=demand[clients].astype(float),
        cost=np.where(reach, cost, 0.0),
        allowed=reach,
        unmet_penalty=default_unmet_penalty(np.where(np.isfinite(cost), cost, np.nan), demand[clients].astype(float)),
    )
    res = solve_siting(inst)
    people = np.rint(res.assign_people).astype(np.int64)
    # COO -> CSR sums repeated pairs (as np.add.at did on the dense array); rounding may leave zeros: drop them
    out = sp.coo_array((people, (clients[res.assign_client], dest[res.assign_facility])), shape=(n, m)).tocsr()
    out.sum_duplicates()
    out.eliminate_zeros()
    return out


def place_overflow(
    sc: Scenario,
    unmet: np.ndarray,
    staying: np.ndarray,
    site_free_area_m2: np.ndarray,
    site_people: np.ndarray,
    time_s: np.ndarray,
    zone_land_times: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Overflow:
    """Send each zone's people without a site place (``unmet``) to overflow land by the scenario's policy.

    site_people: camp people allocated to each site (residents are taken from the sites); time_s: [zones, sites]
    walking times; zone_land_times(xy) -> [zones, zones] walking times to points on zone land (asked only when
    someone is left after the candidate sites and some zone has room).
    """
    unmet = np.asarray(unmet, dtype=np.int64)
    nz, ns = len(sc.zones), len(sc.sites)
    density, source = max_density(sc)
    per_m2 = density / 1e6
    residents = np.array([s.existing_population for s in sc.sites], dtype=np.int64)
    site_room = np.maximum(
        np.floor(np.asarray(site_free_area_m2) * per_m2 + 1e-9).astype(np.int64)
        - residents
        - np.asarray(site_people, dtype=np.int64),
        0,
    )
    zone_geoms = np.array([z.geometry_m for z in sc.zones], dtype=object)
    if sc.footprints:
        fp = shapely.union_all(np.array([f.geometry_m for f in sc.footprints], dtype=object))
        outside = shapely.difference(zone_geoms, fp)
    else:
        outside = zone_geoms
    out_area = shapely.area(outside)
    zone_room = np.maximum(np.floor(out_area * per_m2 + 1e-9).astype(np.int64) - np.asarray(staying, np.int64), 0)
    land = np.array([o if not o.is_empty else z for o, z in zip(outside, zone_geoms)], dtype=object)
    land_xy = shapely.get_coordinates(shapely.point_on_surface(land)).reshape(nz, 2)
    to_site = np.zeros((nz, ns), dtype=np.int64)
    to_land = sp.csr_array((nz, nz), dtype=np.int64)
    land_time = None
    left = unmet.copy()
    if sc.overflow.policy == "nearest_outside" and left.any():
        to_site = _transport(left, site_room, np.asarray(time_s, dtype=float), [s.id for s in sc.sites]).toarray()
        left = left - to_site.sum(axis=1)
        if left.any() and zone_room.any() and zone_land_times is not None:
            land_time = np.asarray(zone_land_times(land_xy), dtype=float)
            to_land = _transport(left, zone_room, land_time, [f"overflow:{z.id}" for z in sc.zones])
            left = left - np.asarray(to_land.sum(axis=1)).ravel()
    if (left < 0).any() or int(to_site.sum() + to_land.sum() + left.sum()) != int(unmet.sum()):
        raise AssertionError("overflow placement did not conserve people")
    return Overflow(
        policy=sc.overflow.policy,
        max_density_per_km2=density,
        density_source=source,
        to_site=to_site,
        to_zone_land=to_land,
        inside=left,
        site_room=site_room,
        zone_room=zone_room,
        zone_land_xy=land_xy,
        zone_land_time_s=land_time,
    )
