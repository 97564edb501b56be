"""Who goes to which site: the scenario's zones and sites as a capacitated facility-location instance."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import shapely

from .._rounding import largest_remainder
from ..scenario.folder import Scenario
from ..solvers.site_times import GroupTimes
from ..solvers.siting import ArcCosts, SitingInstance, SitingResult, default_unmet_penalty, solve_siting
from .phases import closed_within
from .second_walk import PlannedReMove, ReMove, planned_re_move, re_move, redisplacement_cost


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
    re_move: PlannedReMove | None = None  # with phases: the re-moves the plan expects (`stages.second_walk`)


def _clients(sc: Scenario, displaced: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(zone index, group, demand) per client: a zone splits into general + vulnerable when a limit applies."""
    spec = sc.siting
    shares = np.array(
        [z.vulnerable_share if z.vulnerable_share is not None else spec.vulnerable_share for z in sc.zones]
    )
    split = spec.vulnerable_max_walk_h is not None
    vulnerable = (
        largest_remainder(displaced * shares, int(round((displaced * shares).sum())), cap=displaced)
        if split
        else np.zeros_like(displaced)
    )
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


def _without_no_place(res: SitingResult, n_sites: int) -> SitingResult:
    """The result with the "(no place)" facility's assignments dropped (they are the unmet people)."""
    real = res.assign_facility < n_sites
    unmet = res.unmet_people + np.bincount(
        res.assign_client[~real], weights=res.assign_people[~real], minlength=len(res.unmet_people)
    )
    return replace(
        res,
        assign_client=res.assign_client[real],
        assign_facility=res.assign_facility[real],
        assign_fraction=res.assign_fraction[real],
        assign_people=res.assign_people[real],
        unmet_people=unmet,
        open_mask=res.open_mask[:n_sites],
        facility_people=res.facility_people[:n_sites],
        open_ids=[i for i in res.open_ids if i != "(no place)"],
    )


def _per_facility(per_site: list[bool], tranche_site: np.ndarray | None) -> np.ndarray:
    """A per-site flag for each facility of the siting (a site, or one of its tranches)."""
    a = np.array(per_site, dtype=bool)
    return a if tranche_site is None else a[tranche_site]


def _tranches_to_sites(res: SitingResult, tranche_site: np.ndarray, site_ids: list[str]) -> SitingResult:
    """The result with each tranche's assignments given to its site (`phases.place_tranches`)."""
    people = np.bincount(tranche_site, weights=res.facility_people, minlength=len(site_ids))
    is_open = np.zeros(len(site_ids), dtype=bool)
    is_open[tranche_site[res.open_mask & (res.facility_people > 0)]] = True
    return replace(
        res,
        assign_facility=tranche_site[res.assign_facility],
        open_mask=is_open,
        facility_people=people,
        open_ids=[i for i, o in zip(site_ids, is_open) if o],
    )


def _client_arcs(pairs: GroupTimes, zone: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(client, site, walking time) of every listed pair of each client's zone."""
    lo = np.searchsorted(pairs.group, zone, side="left")
    n = np.searchsorted(pairs.group, zone, side="right") - lo
    client = np.repeat(np.arange(zone.size), n)
    idx = np.repeat(lo, n) + np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    return client, pairs.destination[idx], pairs.time_s[idx]


def waves_apply(sc: Scenario) -> bool:
    """Whether the siting can put earlier leavers first (see `allocate`): not with opening decisions, a
    vulnerable group, one site per zone or limits on open sites, which need the facility-location model as is."""
    spec = sc.siting
    return (
        spec.vulnerable_max_walk_h is None
        and not spec.single_site_per_zone
        and spec.min_open_sites is None
        and spec.max_open_sites is None
        and not any(s.opening_cost or s.must_open or s.never_open for s in sc.sites)
    )


def _by_wave(
    zone: np.ndarray, group: np.ndarray, demand: np.ndarray, leaving_by_day: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Clients split by the day their people leave: (zone, group, demand, day) per client."""
    z_out, g_out, d_out, t_out = [], [], [], []
    for z, g, n in zip(zone, group, demand):
        days = np.flatnonzero(leaving_by_day[z])
        split = (
            leaving_by_day[z, days]
            if leaving_by_day[z, days].sum() == n
            else largest_remainder(leaving_by_day[z, days] * n / max(leaving_by_day[z].sum(), 1), int(n))
        )
        for t, q in zip(days, split):
            if q > 0:
                z_out.append(z)
                g_out.append(g)
                d_out.append(int(q))
                t_out.append(int(t))
    return (
        np.array(z_out, np.int64),
        np.array(g_out, dtype=object),
        np.array(d_out, np.int64),
        np.array(t_out, np.int64),
    )


def allocate(
    sc: Scenario,
    displaced: np.ndarray,
    capacity: np.ndarray,
    time_s: np.ndarray | GroupTimes,
    leaving_by_day: np.ndarray | None = None,
    site_xy: np.ndarray | None = None,
) -> AllocationResult:
    """Minimise people x walking time (+ opening costs), leaving people unsheltered only when nothing fits.

    time_s: walking times [zone, site] (inf: no route), dense or as sparse pairs (`travel.ZoneSiteTimes.pairs`;
    pairs not listed have no route or are over the walking limit).
    Unsheltered people cost `unmet_penalty_factor` x the longest allowed walk each, so the optimiser
    shelters everyone it can; pairs with no route or over the walking limit are not allowed.
    leaving_by_day: [zone, day] people leaving each day (orders over days). Where `waves_apply`, each zone's
    people are split by the day they leave, and leaving a person without a place costs more the earlier they
    leave, by more than any chain of reassignments of later leavers could save ((sites + 2) x the longest walk):
    the plan never holds a place for a later wave while an earlier one goes without.
    With phases (`scenario.phases`, ``siting: capacity_days``): each day a person would be at a site without a
    place there costs that share of the penalty for no place at all; where `waves_apply`, each site's places are
    tranches by how long they exist (`phases.place_tranches`). ``min_stay_days``: sites closed on any of a stay's
    first days are not allowed (docs/movement.md, "Phases in the siting"). The re-move is priced too
    (`stages.second_walk`): a person whose place ends within the horizon walks again to the nearest other site with
    places (``second_walk``) and pays ``redisplacement_cost_days`` days without a place; ``re_move`` prices only that.
    site_xy: metric point of each site (the second walk's start and end; None: a point on each site's polygon).
    """
    spec = sc.siting
    zone, group, demand = _clients(sc, displaced.astype(np.int64))
    if not isinstance(time_s, GroupTimes):
        time_s = GroupTimes.from_dense(time_s, np.zeros_like(time_s), groups=np.unique(zone))
    waves = leaving_by_day is not None and waves_apply(sc) and len(zone) > 0
    day = np.zeros(len(zone), dtype=np.int64)  # the day each client leaves (all 0 without waves)
    if waves:
        zone, group, demand, day = _by_wave(zone, group, demand, np.asarray(leaving_by_day))
    client, site, walk = _allowed_arcs(sc, time_s, zone, group, day)
    arcs = ArcCosts(client=client, facility=site, cost=walk * demand[client])
    penalty = default_unmet_penalty(arcs, demand, factor=spec.unmet_penalty_factor)
    fac = _facilities(sc, capacity, arcs, walk, demand, day, penalty, site_xy)
    unmet_penalty: float | None = penalty
    if waves:
        fac = _with_no_place(fac, walk, demand, day, penalty)
        unmet_penalty = None  # everyone is placed: "(no place)" is a facility with room for all
    sites = sc.sites
    inst = SitingInstance(
        facility_ids=fac.ids,
        capacity=fac.capacity,
        fixed_cost=fac.fixed,
        client_ids=[f"{sc.zones[i].id}/{g}" + (f"/day{t}" if waves else "") for i, g, t in zip(zone, group, day)],
        demand=demand.astype(float),
        cost=fac.arcs,
        must_open=np.r_[_per_facility([s.must_open for s in sites], fac.tranche_site), [False] * waves].astype(bool),
        never_open=np.r_[_per_facility([s.never_open for s in sites], fac.tranche_site), [False] * waves].astype(bool),
        single_source=spec.single_site_per_zone,
        min_open=spec.min_open_sites,
        max_open=spec.max_open_sites,
        unmet_penalty=unmet_penalty,
    )
    res = solve_siting(inst, time_limit_s=spec.time_limit_s)
    if waves:
        res = _without_no_place(res, len(fac.ids) - 1)
    expected = None
    if sc.phases is not None and fac.re_move is not None:
        expected = planned_re_move(
            sc.phases, fac.re_move, res.assign_facility, day[res.assign_client], res.assign_people
        )
    if fac.tranche_site is not None:
        res = _tranches_to_sites(res, fac.tranche_site, [s.id for s in sites])
    out = _result(sc, res, zone, group, demand, penalty, merge=waves or fac.tranche_site is not None)
    out.re_move = expected
    return out


def _allowed_arcs(
    sc: Scenario, time_s: GroupTimes, zone: np.ndarray, group: np.ndarray, day: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(client, site, walking time s) of the pairs the siting may use: a route within the walking limits (the
    vulnerable group's own), and with ``min_stay_days`` no site that closes during a stay's first days."""
    spec = sc.siting
    client, site, unit = _client_arcs(time_s, zone)
    allowed = np.isfinite(unit)
    if spec.max_walk_h is not None:
        allowed &= unit <= spec.max_walk_h * 3600.0
    if spec.vulnerable_max_walk_h is not None:
        allowed &= (group[client] != "vulnerable") | (unit <= spec.vulnerable_max_walk_h * 3600.0)
    if sc.phases is not None and sc.phases.min_stay_days is not None:  # sites closing too soon are not planned
        allowed &= ~closed_within(sc.phases, [s.id for s in sc.sites], sc.horizon_days, sc.phases.min_stay_days)[
            site, day[client]
        ]
    return client[allowed], site[allowed], unit[allowed]


@dataclass
class _Facilities:
    """The siting instance's facilities: the sites, or tranches of their places (phases), and their arcs."""

    arcs: ArcCosts
    capacity: np.ndarray  # people
    fixed: np.ndarray  # opening cost
    ids: list[str]
    tranche_site: np.ndarray | None = None  # site index of each tranche, when the facilities are tranches
    extra: float = 0.0  # largest phases cost per person added to an arc (capacity-days, second walk; s)
    re_move: ReMove | None = None  # the re-move of each facility by arrival day (with phases)


def _facilities(
    sc: Scenario,
    capacity: np.ndarray,
    arcs: ArcCosts,
    walk: np.ndarray,
    demand: np.ndarray,
    arrive: np.ndarray,
    penalty: float,
    site_xy: np.ndarray | None,
) -> _Facilities:
    """The sites as facilities. With phases (``siting: capacity_days`` or ``re_move``) each arc costs, besides the
    walk, what the phases will take (`_phases_cost`); without opening decisions each site's places are tranches by
    how long they exist, with them one facility per site priced by the mean over its places."""
    sites = sc.sites
    n_s = len(sites)
    fac = _Facilities(
        arcs=arcs,
        capacity=capacity.astype(float),
        fixed=np.array([s.opening_cost for s in sites], dtype=float),
        ids=[s.id for s in sites],
    )
    if sc.phases is None:
        return fac
    site_ids = [s.id for s in sites]
    if site_xy is None:
        site_xy = shapely.get_coordinates(shapely.point_on_surface(np.array([s.geometry_m for s in sites])))
    rm = re_move(sc.phases, site_ids, capacity, site_xy, sc.horizon_days)
    client, site = arcs.client, arcs.facility
    if sc.phases.siting == "ignore" or not waves_apply(sc):
        # one facility per site: the share of all its places' days and the mean re-move per person planned there
        fac.re_move = rm.per_site(capacity)
        if sc.phases.siting == "ignore":
            return fac
        unit_extra = _phases_cost(sc, fac.re_move, site, arrive[client], penalty)
        fac.arcs = ArcCosts(client=client, facility=site, cost=arcs.cost + unit_extra * demand[client])
        fac.extra = float(unit_extra.max(initial=0.0))
        return fac
    tranche_site = rm.tranche_site
    first = np.searchsorted(tranche_site, np.arange(n_s))
    count = np.bincount(tranche_site, minlength=n_s)
    reps = count[site]
    t_arc = np.repeat(first[site], reps) + np.arange(int(reps.sum())) - np.repeat(np.cumsum(reps) - reps, reps)
    client, walk = np.repeat(client, reps), np.repeat(walk, reps)
    unit_extra = _phases_cost(sc, rm, t_arc, arrive[client], penalty)
    return _Facilities(
        arcs=ArcCosts(client=client, facility=t_arc, cost=(walk + unit_extra) * demand[client]),
        capacity=rm.size.astype(float),
        fixed=fac.fixed[tranche_site],
        ids=[f"{site_ids[s]}#{k}" for k, s in enumerate(tranche_site)],
        tranche_site=tranche_site,
        extra=float(unit_extra.max(initial=0.0)),
        re_move=rm,
    )


def _phases_cost(sc: Scenario, rm: ReMove, facility: np.ndarray, arrive: np.ndarray, penalty: float) -> np.ndarray:
    """Per person on each arc (a facility of ``rm``, people arriving on ``arrive``), s: ``capacity_days``: each day
    without a place there costs that share of ``penalty`` (no place at all); ``re_move``: a place not there on arrival
    is no place. Both: the second walk (``second_walk``) and ``redisplacement_cost_days`` per re-displaced person."""
    ph = sc.phases
    assert ph is not None
    if ph.siting == "capacity_days":
        cost = penalty * (1.0 - rm.share[facility, arrive])
    else:
        cost = penalty * rm.diverted[facility, arrive]
    if ph.second_walk:
        cost = cost + rm.walk_s[facility, arrive]
    return cost + redisplacement_cost(ph, penalty, arrive, sc.horizon_days) * rm.redisplaced[facility, arrive]


def _with_no_place(
    fac: _Facilities, walk: np.ndarray, demand: np.ndarray, day: np.ndarray, penalty: float
) -> _Facilities:
    """Under waves: "(no place)" as a facility with room for all, whose per-person cost falls with the leaving day
    by more than any chain of reassignments of later leavers could save."""
    n_f = len(fac.ids)
    top = float(walk.max(initial=1.0)) + fac.extra
    gap = (n_f + 2) * top + 1.0  # a chain of reassignments passes each facility (site or tranche) once
    ranks = np.unique(day, return_inverse=True)[1]
    cost_np = (penalty + (ranks.max() - ranks) * gap) * demand
    clients = np.arange(len(day))
    return _Facilities(
        arcs=ArcCosts(
            client=np.r_[fac.arcs.client, clients],
            facility=np.r_[fac.arcs.facility, np.full(len(day), n_f)],
            cost=np.r_[fac.arcs.cost, cost_np],
        ),
        capacity=np.r_[fac.capacity, float(demand.sum())],
        fixed=np.r_[fac.fixed, 0.0],
        ids=fac.ids + ["(no place)"],
        tranche_site=fac.tranche_site,
        extra=fac.extra,
        re_move=fac.re_move,
    )


def _result(
    sc: Scenario,
    res: SitingResult,
    zone: np.ndarray,
    group: np.ndarray,
    demand: np.ndarray,
    penalty: float,
    *,
    merge: bool,
) -> AllocationResult:
    """Whole people per flow and unsheltered per zone; merge: one flow per zone, site and group again (waves or
    tranches split them)."""
    people, unmet_client = _whole_people(res, demand)
    keep = people > 0
    n_z = len(sc.zones)
    unmet = np.bincount(zone, weights=unmet_client, minlength=n_z).astype(np.int64)
    unmet_v = np.bincount(
        zone[group == "vulnerable"], weights=unmet_client[group == "vulnerable"], minlength=n_z
    ).astype(np.int64)
    flow_zone, flow_site, flow_people = zone[res.assign_client[keep]], res.assign_facility[keep], people[keep]
    flow_group = group[res.assign_client[keep]]
    if merge:
        key = np.unique(
            np.c_[flow_zone, flow_site, np.unique(flow_group, return_inverse=True)[1]], axis=0, return_inverse=True
        )[1].reshape(-1)
        first = np.unique(key, return_index=True)[1]
        flow_people = np.bincount(key, weights=flow_people).astype(np.int64)
        flow_zone, flow_site, flow_group = flow_zone[first], flow_site[first], flow_group[first]
    return AllocationResult(
        zone=flow_zone,
        site=flow_site,
        group=flow_group,
        people=flow_people,
        unmet=unmet,
        unmet_vulnerable=unmet_v,
        siting=res,
        unmet_penalty_per_person_s=penalty,
        by_site=np.bincount(flow_site, weights=flow_people, minlength=len(sc.sites)).astype(np.int64),
        by_zone=np.bincount(flow_zone, weights=flow_people, minlength=n_z).astype(np.int64),
    )
