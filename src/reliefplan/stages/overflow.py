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
from scipy.spatial import cKDTree

from ..scenario.folder import Scenario
from ..solvers.site_times import GroupTimes
from ..solvers.siting import ArcCosts, SitingInstance, default_unmet_penalty, solve_siting

#: zone lands with room each zone's people may be sent to (the nearest in a straight line); every one of them when
#: a plan has no more (the Rafah example has 50 zones). Bounds the walking times asked for (#24: a dense
#: zones x zones matrix is 74 GiB at 100,000 zones).
LAND_NEIGHBOURS = 64


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
    # walking times [zones, zones] of the pairs the zone-land tier considered (`land_candidates` within the walking
    # limit), sparse; None when no one needed zone land
    zone_land_times: GroupTimes | None

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
    """`_transport_pairs` over a dense [clients, destinations] time matrix (inf: not usable)."""
    i, j = np.nonzero(np.isfinite(time_s))
    return _transport_pairs(demand, room, i, j, time_s[i, j], time_s.shape, ids)


def _transport_pairs(
    demand: np.ndarray,
    room: np.ndarray,
    client: np.ndarray,
    dest: np.ndarray,
    time_s: np.ndarray,
    shape: tuple[int, int],
    ids: list[str],
) -> sp.csr_array:
    """Whole people [clients, destinations] minimising person-seconds over the listed (client, dest, time_s) pairs,
    as a canonical sparse array of the used pairs; who fits nowhere stays unassigned. Pairs not listed, or
    beyond the walking limit (siting.max_walk_h: no time), are not usable."""
    n, m = shape
    out = sp.csr_array((n, m), dtype=np.int64)
    clients = np.flatnonzero(demand > 0)
    dests = np.flatnonzero(room > 0)
    ok = (demand[client] > 0) & (room[dest] > 0) & np.isfinite(time_s)
    if clients.size == 0 or dests.size == 0 or not ok.any():
        return out
    ci, dj = np.searchsorted(clients, client[ok]), np.searchsorted(dests, dest[ok])
    arcs = ArcCosts(client=ci, facility=dj, cost=time_s[ok] * demand[client[ok]])
    d = demand[clients].astype(float)
    inst = SitingInstance(
        facility_ids=[ids[j] for j in dests],
        capacity=room[dests].astype(float),
        fixed_cost=np.zeros(dests.size),
        client_ids=[str(i) for i in clients],
        demand=d,
        cost=arcs,
        unmet_penalty=default_unmet_penalty(arcs, d),
    )
    res = solve_siting(inst)
    people = np.rint(res.assign_people).astype(np.int64)
    # COO -> CSR sums repeated pairs (as np.add.at did on the dense array); rounding may leave zeros: drop them
    out = sp.coo_array((people, (clients[res.assign_client], dests[res.assign_facility])), shape=(n, m)).tocsr()
    out.sum_duplicates()
    out.eliminate_zeros()
    return out


def land_candidates(
    client_xy: np.ndarray, land_xy: np.ndarray, left: np.ndarray, room: np.ndarray, k: int = LAND_NEIGHBOURS
) -> tuple[np.ndarray, np.ndarray]:
    """(client zone, land zone) pairs for the zone-land tier: each zone with people left and the ``k`` zones with
    room whose land point is nearest its own point in a straight line (all of them when there are at most k)."""
    clients, dests = np.flatnonzero(left > 0), np.flatnonzero(room > 0)
    k = min(k, dests.size)
    if clients.size == 0 or k == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if k == dests.size:
        return np.repeat(clients, k), np.tile(dests, clients.size)
    _, j = cKDTree(land_xy[dests]).query(client_xy[clients], k=k)
    i, d = np.repeat(clients, k), dests[np.asarray(j).reshape(-1)]
    order = np.lexsort((d, i))
    return i[order], d[order]


def place_overflow(
    sc: Scenario,
    unmet: np.ndarray,
    staying: np.ndarray,
    site_free_area_m2: np.ndarray,
    site_people: np.ndarray,
    site_times: GroupTimes,
    zone_land_times: Callable[[np.ndarray, np.ndarray], GroupTimes] | None = None,
) -> Overflow:
    """Send each zone's people without a site place (``unmet``) to overflow land by the scenario's policy.

    site_people: camp people allocated to each site (residents are taken from the sites); site_times: walking
    times [zones, sites] (sparse pairs); zone_land_times(xy, moving) -> walking times [zones, points] from the
    zones marked moving to the points (asked only when someone is left after the candidate sites and some zone
    has room; only for `land_candidates`).
    """
    unmet = np.asarray(unmet, dtype=np.int64)
    nz, ns = len(sc.zones), len(sc.sites)
    density, source = max_density(sc)
    site_room = _site_room(sc, density, site_free_area_m2, site_people)
    zone_geoms = np.array([z.geometry_m for z in sc.zones], dtype=object)
    zone_room, land_xy = _zone_land(sc, density, zone_geoms, staying)
    to_site = np.zeros((nz, ns), dtype=np.int64)
    to_land = sp.csr_array((nz, nz), dtype=np.int64)
    land_times = None
    left = unmet.copy()
    if sc.overflow.policy == "nearest_outside" and left.any():
        st = site_times
        to_site = _transport_pairs(
            left, site_room, st.group, st.destination, st.time_s, (nz, ns), [s.id for s in sc.sites]
        ).toarray()
        left = left - to_site.sum(axis=1)
        if left.any() and zone_room.any() and zone_land_times is not None:
            zone_xy = shapely.get_coordinates(shapely.point_on_surface(zone_geoms)).reshape(nz, 2)
            land_times = _candidate_land_times(zone_xy, land_xy, left, zone_room, zone_land_times)
            to_land = _transport_pairs(
                left,
                zone_room,
                land_times.group,
                land_times.destination,
                land_times.time_s,
                (nz, nz),
                [f"overflow:{z.id}" for z in sc.zones],
            )
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
        zone_land_times=land_times,
    )


def _site_room(sc: Scenario, density: float, site_free_area_m2: np.ndarray, site_people: np.ndarray) -> np.ndarray:
    """People each candidate site's land beyond its camp still holds at ``density`` (per km²)."""
    residents = np.array([s.existing_population for s in sc.sites], dtype=np.int64)
    return np.maximum(
        np.floor(np.asarray(site_free_area_m2) * (density / 1e6) + 1e-9).astype(np.int64)
        - residents
        - np.asarray(site_people, dtype=np.int64),
        0,
    )


def _zone_land(
    sc: Scenario, density: float, zone_geoms: np.ndarray, staying: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(people each zone's land outside the footprints still holds at ``density``, a point on that land [zones, 2])."""
    if sc.footprints:
        fp = shapely.union_all(np.array([f.geometry_m for f in sc.footprints], dtype=object))
        outside = shapely.difference(zone_geoms, fp)
    else:
        outside = zone_geoms
    out_area = shapely.area(outside)
    zone_room = np.maximum(
        np.floor(out_area * (density / 1e6) + 1e-9).astype(np.int64) - np.asarray(staying, np.int64), 0
    )
    land = np.array([o if not o.is_empty else z for o, z in zip(outside, zone_geoms)], dtype=object)
    return zone_room, shapely.get_coordinates(shapely.point_on_surface(land)).reshape(len(zone_geoms), 2)


def _candidate_land_times(
    zone_xy: np.ndarray,
    land_xy: np.ndarray,
    left: np.ndarray,
    zone_room: np.ndarray,
    zone_land_times: Callable[[np.ndarray, np.ndarray], GroupTimes],
) -> GroupTimes:
    """Walking times [zones, zones] from the zones with people left to the `land_candidates` only."""
    nz = len(zone_xy)
    ci, cd = land_candidates(zone_xy, land_xy, left, zone_room)
    dests = np.unique(cd)
    got = zone_land_times(land_xy[dests], left > 0)
    # back to zone indices (dests is sorted, so (group, destination) order holds), candidates only
    dz = dests[got.destination]
    keep = np.isin(got.group * nz + dz, ci * nz + cd)
    return GroupTimes(
        group=got.group[keep],
        destination=dz[keep],
        time_s=got.time_s[keep],
        distance_m=got.distance_m[keep],
        n_groups=nz,
        n_destinations=nz,
        max_mean_s=got.max_mean_s,
    )
