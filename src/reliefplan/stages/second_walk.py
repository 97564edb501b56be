"""The second walk: what the siting prices for people whose place ends within the horizon.

A person planned into a site's places walks there once. When their place ends later in the horizon (the site
closes, or shrinks and they hold one of the places it loses) they are re-displaced: they walk again, from the site to
the nearest other site with places that day, and the move itself costs them (``redisplacement_cost_days``, in days
without a place). A person planned into a place that is not there on the day they arrive (a site not yet open) walks
on the same way (diverted; no re-displacement cost: they never settled). The walk is estimated as `stages.phases`
estimates its moves (straight line x the network's fallback circuity at walking speed), so the plan's expectation
and the phases' moves can be read side by side; the phases may send people farther when the nearest site is full.

Places are tranches as in `phases.place_tranches` (a site keeping 30 % from day 10: 30 % for the whole horizon,
70 % until day 10). Without opening decisions the siting plans each tranche; with them, one facility per site,
priced by the mean over its planned places (`ReMove.per_site`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..scenario.folder import Scenario
from ..scenario.phases import PhasesSpec
from ..solvers.network import NetworkParams, straight_line_matrix
from ..solvers.site_times import GroupTimes
from .phases import place_tranches, site_places_by_day


@dataclass(frozen=True)
class ReMove:
    """Each tranche's re-move by arrival day ([tranche, arrival day] arrays; tranche k belongs to site
    ``tranche_site[k]`` and holds ``size[k]`` places)."""

    tranche_site: np.ndarray
    size: np.ndarray
    share: np.ndarray  # share of the days from arrival to the horizon's end on which the place exists
    redisplaced: np.ndarray  # bool: the place exists on arrival and ends within the horizon
    diverted: np.ndarray  # bool: the place is not there on arrival
    walk_s: np.ndarray  # the second walk (re-displaced or diverted), s; 0 when no other site has places that day
    site_walk_s: np.ndarray  # [site, day] walk from each site to the nearest other site with places that day, s

    def per_site(self, places: np.ndarray) -> ReMove:
        """The same per site: the mean over the site's planned ``places`` (shares of its people re-displaced and
        diverted, the mean second walk per person planned there); places that never exist are diverted on arrival
        (share of days 0)."""
        n_sites = len(places)
        total = np.asarray(places, dtype=float)
        never = total - np.bincount(self.tranche_site, weights=self.size, minlength=n_sites)

        def mean(a: np.ndarray, rest: np.ndarray | float) -> np.ndarray:
            w = np.broadcast_to(never[:, None] * rest, (n_sites, a.shape[1])).copy()
            np.add.at(w, self.tranche_site, a * self.size[:, None])
            return np.divide(w, total[:, None], out=np.zeros_like(w), where=total[:, None] > 0)

        return ReMove(
            np.arange(n_sites),
            total,
            mean(self.share, 0.0),
            mean(self.redisplaced.astype(float), 0.0),
            mean(self.diverted.astype(float), 1.0),
            mean(self.walk_s, self.site_walk_s),
            self.site_walk_s,
        )


def nearest_other_site_walk_s(cap: np.ndarray, site_xy: np.ndarray, params: NetworkParams | None = None) -> np.ndarray:
    """[site, day] walking-time estimate (s) from each site to the nearest other site with places that day
    (straight line x fallback circuity at walking speed); 0 where no other site has places."""
    p = params or NetworkParams.default()
    xy = np.asarray(site_xy, dtype=float).reshape(-1, 2)
    time_s = straight_line_matrix(xy, xy, speed_m_s=p.walk_speed_m_s, circuity=p.circuity).time_s
    np.fill_diagonal(time_s, np.inf)
    # the sites with places change only on event days: the nearest per distinct pattern, not per day
    has, day_pattern = np.unique(cap > 0, axis=1, return_inverse=True)
    near = np.where(has[None, :, :], time_s[:, :, None], np.inf).min(axis=1)[:, day_pattern.reshape(-1)]
    return np.where(np.isfinite(near), near, 0.0)


def re_move(spec: PhasesSpec, site_ids: list[str], places: np.ndarray, site_xy: np.ndarray, days: int) -> ReMove:
    """Every tranche's re-move by arrival day under the phases (see the module)."""
    places = np.asarray(places, dtype=np.int64)
    cap, _ = site_places_by_day(spec, site_ids, places, days)
    site, size, share = place_tranches(spec, site_ids, places, days)
    # tranche k holds the site's places from level top - size to top: it exists on days the site has top places
    top = np.zeros(site.size, dtype=np.int64)
    for s in np.unique(site).tolist():
        k = np.flatnonzero(site == s)
        top[k] = np.cumsum(size[k])
    exists = cap[site] >= top[:, None]
    t = np.arange(days)
    # the first day >= a on which the tranche does not exist (days: never, within the horizon)
    gone = np.where(exists, days, t[None, :])
    ends = np.minimum.accumulate(gone[:, ::-1], axis=1)[:, ::-1]
    walk = nearest_other_site_walk_s(cap, site_xy)
    redisplaced = exists & (ends < days)
    diverted = ~exists
    day = np.where(diverted, t[None, :], np.minimum(ends, days - 1))
    walk_s = np.where(redisplaced | diverted, walk[site[:, None], day], 0.0)
    return ReMove(site, size, share, redisplaced, diverted, walk_s, walk)


def redisplacement_cost(spec: PhasesSpec, penalty: float, arrive: np.ndarray, days: int) -> np.ndarray:
    """Per person arriving on each day of ``arrive``: the re-displacement cost, ``redisplacement_cost_days`` days
    without a place, a day costing ``penalty`` (no place at all) over the days from arrival to the horizon's end
    (the capacity-days rule's price of a day)."""
    return spec.redisplacement_cost_days * penalty / (days - np.asarray(arrive, dtype=float))


@dataclass(frozen=True)
class PlannedReMove:
    """What the plan expects of its people's re-moves (the siting's assignment, before the phases run)."""

    rule: str  # the siting's phases rule
    redisplaced: float  # people planned into places that end within the horizon (expected; residents not included)
    diverted: float  # people planned into places not there on the day they arrive
    second_walk_person_h: float  # their extra walking (estimate, see the module)
    redisplacement_cost_days: float
    second_walk_priced: bool
    note: str = ""  # how it was counted, and what is an ASSUMPTION


def planned_re_move(
    spec: PhasesSpec, rm: ReMove, facility: np.ndarray, arrive: np.ndarray, people: np.ndarray
) -> PlannedReMove:
    """The expectation of an assignment: people on (facility of ``rm``, arrival day) pairs."""
    f, a, n = np.asarray(facility, np.int64), np.asarray(arrive, np.int64), np.asarray(people, dtype=float)
    moved = rm.redisplaced[f, a].astype(float)
    on = rm.diverted[f, a].astype(float)
    return PlannedReMove(
        rule=spec.siting,
        redisplaced=float(n @ moved),
        diverted=float(n @ on),
        second_walk_person_h=float(n @ rm.walk_s[f, a]) / 3600.0,
        redisplacement_cost_days=spec.redisplacement_cost_days,
        second_walk_priced=spec.siting != "ignore" and spec.second_walk,
        note=re_move_note(spec),
    )


def re_move_note(spec: PhasesSpec) -> str:
    """What the re-move figures count and which figure is an ASSUMPTION."""
    note = (
        "Expected from the siting's assignment: the plan's people only (the phases also move the sites' residents and "
        "people without a place on a closing site's land). The second walk is the straight line to the nearest other "
        "site with places that day x the network's fallback circuity at walking speed; the phases may send people "
        "farther when that site is full."
    )
    if spec.siting != "ignore":
        declared = "redisplacement_cost_days" in spec.model_fields_set
        note += f" Each re-displacement was priced as {spec.redisplacement_cost_days:g} days without a place" + (
            " (declared)."
            if declared
            else " (ASSUMPTION, the default: the moving day and the days to re-pitch a shelter, find the water "
            "points and be registered for distributions again; no published figure found)."
        )
    return note


def land_re_move_s(spec: PhasesSpec, site_ids: list[str], site_xy: np.ndarray, days: int, penalty: float) -> np.ndarray:
    """Per site, s: what a person put on its land without a place (the overflow, from day 0) pays when the site is
    closed within the horizon: the walk on to the nearest other open site (``second_walk``) and, when they were
    there before, ``redisplacement_cost_days`` days without a place (a day: ``penalty`` over the horizon). 0 for
    sites open all along, and under ``siting: ignore``."""
    n = len(site_ids)
    if spec.siting == "ignore":
        return np.zeros(n)
    _, closed = site_places_by_day(spec, site_ids, np.ones(n, dtype=np.int64), days)
    walk = nearest_other_site_walk_s((~closed).astype(np.int64), site_xy)
    shut = closed.any(axis=1)
    day = np.where(shut, closed.argmax(axis=1), 0)
    cost = walk[np.arange(n), day] * spec.second_walk
    # on the land from day 0: re-displaced (priced as in the siting) unless the site was closed from the start
    return np.where(shut, cost + (day > 0) * redisplacement_cost(spec, penalty, np.zeros(n), days), 0.0)


def land_pairs(sc: Scenario, pairs: GroupTimes, site_xy: np.ndarray, penalty: float) -> GroupTimes:
    """The walking times to the sites' land for the overflow (people without a place), with `land_re_move_s` added
    to the land of sites closed within the horizon: they go to land that lasts where it has room."""
    if sc.phases is None:
        return pairs
    extra = land_re_move_s(sc.phases, [s.id for s in sc.sites], site_xy, sc.horizon_days, penalty)
    return replace(pairs, time_s=pairs.time_s + extra[pairs.destination])
