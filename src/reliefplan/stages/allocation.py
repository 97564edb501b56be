"""Who goes to which site: the scenario's zones and sites as a capacitated facility-location instance."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._rounding import largest_remainder
from ..scenario.folder import Scenario
from ..solvers.site_times import GroupTimes
from ..solvers.siting import ArcCosts, SitingInstance, SitingResult, default_unmet_penalty, solve_siting


@dataclass
class AllocationResult:
    """Flows as parallel arrays (zone index, site index, group, people); unsheltered people per zone."""

    zone: np.ndarray
    site: np.ndarray
    group: np.ndarray  # object: "all" | "general" | "vulnerable"
    people: np.ndarray
    unmet: np.ndarray  # per zone
    unmet_vulnerable: np.ndarray  # per zone, part of `unmet`
    siting: SitingResult
    unmet_penalty_per_person_s: float
    by_site: np.ndarray  # people sent to each site
    by_zone: np.ndarray  # people of each zone who have a site


def _clients(sc: Scenario, displaced: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(zone index, group, demand) per client: a zone splits into general + vulnerable when a limit applies."""
    spec = sc.siting
    shares = np.array([z.vulnerable_share if z.vulnerable_share is not None else spec.vulnerable_share
                       for z in sc.zones])
    split = spec.vulnerable_max_walk_h is not None
    vulnerable = largest_remainder(displaced * shares, int(round((displaced * shares).sum())), cap=displaced) \
        if split else np.zeros_like(displaced)
    zone, group, demand = [], [], []
    for i, n in enumerate(displaced):
        if n == 0:
            continue
        if vulnerable[i] > 0:
            zone += [i, i]
            group += ["general", "vulnerable"]
            demand += [int(n - vulnerable[i]), int(vulnerable[i])]
        else:
            zone.append(i)
            group.append("all")
            demand.append(int(n))
    return np.array(zone, dtype=np.int64), np.array(group, dtype=object), np.array(demand, dtype=np.int64)


def _whole_people(res: SitingResult, demand: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whole people per assignment and unmet per client, conserving each client's demand exactly.

    Transportation solves are integral already; a MILP may split a person, so each client's
    assignments are rounded by largest remainder to its rounded sheltered total.
    """
    people = np.rint(res.assign_people).astype(np.int64)
    if np.allclose(res.assign_people, people, atol=1e-6):
        sheltered = np.bincount(res.assign_client, weights=people, minlength=demand.size).astype(np.int64)
        return people, demand - sheltered
    people = np.zeros(res.assign_people.size, dtype=np.int64)
    unmet = demand.copy()
    for c in np.unique(res.assign_client):
        rows = np.flatnonzero(res.assign_client == c)
        total = min(int(round(res.assign_people[rows].sum())), int(demand[c]))
        people[rows] = largest_remainder(res.assign_people[rows], total)
        unmet[c] = demand[c] - total
    return people, unmet


def _client_arcs(pairs: GroupTimes, zone: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(client, site, walking time) of every listed pair of each client's zone."""
    lo = np.searchsorted(pairs.group, zone, side="left")
    n = np.searchsorted(pairs.group, zone, side="right") - lo
    client = np.repeat(np.arange(zone.size), n)
    idx = np.repeat(lo, n) + np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    return client, pairs.destination[idx], pairs.time_s[idx]


def allocate(sc: Scenario, displaced: np.ndarray, capacity: np.ndarray,
             time_s: np.ndarray | GroupTimes) -> AllocationResult:
    """Minimise people x walking time (+ opening costs), leaving people unsheltered only when nothing fits.

    time_s: walking times [zone, site] (inf: no route), dense or as sparse pairs (`travel.ZoneSiteTimes.pairs`;
    pairs not listed have no route or are over the walking limit).
    Unsheltered people cost `unmet_penalty_factor` x the longest allowed walk each, so the optimiser
    shelters everyone it can; pairs with no route or over the walking limit are not allowed.
    """
    spec = sc.siting
    zone, group, demand = _clients(sc, displaced.astype(np.int64))
    if not isinstance(time_s, GroupTimes):
        time_s = GroupTimes.from_dense(time_s, np.zeros_like(time_s), groups=np.unique(zone))
    client, site, unit = _client_arcs(time_s, zone)
    allowed = np.isfinite(unit)
    if spec.max_walk_h is not None:
        allowed &= unit <= spec.max_walk_h * 3600.0
    if spec.vulnerable_max_walk_h is not None:
        allowed &= (group[client] != "vulnerable") | (unit <= spec.vulnerable_max_walk_h * 3600.0)
    client, site = client[allowed], site[allowed]
    arcs = ArcCosts(client=client, facility=site, cost=unit[allowed] * demand[client])
    penalty = default_unmet_penalty(arcs, demand, factor=spec.unmet_penalty_factor)
    sites = sc.sites
    fixed = np.array([s.opening_cost for s in sites], dtype=float)
    inst = SitingInstance(
        facility_ids=[s.id for s in sites], capacity=capacity.astype(float), fixed_cost=fixed,
        client_ids=[f"{sc.zones[i].id}/{g}" for i, g in zip(zone, group)], demand=demand.astype(float), cost=arcs,
        must_open=np.array([s.must_open for s in sites]),
        never_open=np.array([s.never_open for s in sites]), single_source=spec.single_site_per_zone,
        min_open=spec.min_open_sites, max_open=spec.max_open_sites, unmet_penalty=penalty)
    res = solve_siting(inst, time_limit_s=spec.time_limit_s)
    people, unmet_client = _whole_people(res, demand)
    keep = people > 0
    n_z = len(sc.zones)
    unmet = np.bincount(zone, weights=unmet_client, minlength=n_z).astype(np.int64)
    unmet_v = np.bincount(zone[group == "vulnerable"], weights=unmet_client[group == "vulnerable"],
                          minlength=n_z).astype(np.int64)
    flow_zone, flow_site, flow_people = zone[res.assign_client[keep]], res.assign_facility[keep], people[keep]
    return AllocationResult(
        zone=flow_zone, site=flow_site, group=group[res.assign_client[keep]], people=flow_people, unmet=unmet,
        unmet_vulnerable=unmet_v, siting=res, unmet_penalty_per_person_s=penalty,
        by_site=np.bincount(flow_site, weights=flow_people, minlength=len(sc.sites)).astype(np.int64),
        by_zone=np.bincount(flow_zone, weights=flow_people, minlength=n_z).astype(np.int64))
