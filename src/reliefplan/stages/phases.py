"""Phases: sites that open, shrink or close on a date, and people returning home after an operation ends.

Applied to the presence (`stages.presence`) as cohorts: every group of people who arrived together at a
destination (a site or zone land) from one zone, or a site's residents, is a row of whole people by day. Day by
day, in order:

* **returns**: from a footprint's ``end_day``, its zones' displaced people go home on the declared return curve
  (share of the zone's movers returned by each day); they are taken from the rows at their destinations in
  proportion to the people there (largest remainder), and counted at their zone as ``staying`` from then on (home,
  no camp place). People still on their way on that day are not returned (ASSUMPTION: they complete the move).
* **sites**: a site is closed before its ``opens_day`` and from its ``closes_day``; from a ``shrinks`` day it keeps
  that share of its planned places. Everyone at a closed site (residents and people on its land too), and the
  people beyond a shrunk site's places (the last moved in first), move again that day to the nearest open sites
  with room (straight line), keep a place there, and otherwise stay on the shrunk site's land (a closed site's
  people: the nearest open site's land) as ``overflow``, without a place.
  People at a site the day before who move are *re-displaced*; people arriving at a closed site are *diverted*.

Everyone stays somewhere every day (checked exactly); only groups change (sheltered -> overflow, movers -> staying).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._rounding import largest_remainder
from ..plan import Indicator
from ..plan_phases import RoutedPhaseMoves
from ..scenario.phases import PhasesSpec
from ..solvers.network import NetworkParams
from .verdict import indicator


def _last(people_by_day: list[int]) -> int:
    """The running total on the last day (0 with no days)."""
    return people_by_day[-1] if people_by_day else 0


@dataclass
class PhaseResult:
    """What the phases did, by day (cumulative counts of people)."""

    redisplaced_by_day: list[int] = field(default_factory=list)  # people moved again from a site they were at
    diverted_by_day: list[int] = field(default_factory=list)  # arrivals turned to another site (closed, full)
    returned_by_day: list[int] = field(default_factory=list)  # displaced people back home
    lost_place_by_day: list[int] = field(default_factory=list)  # moved people who found no place (now overflow)
    places_by_day: list[int] = field(default_factory=list)  # camp places available at the end of each day
    notes: list[str] = field(default_factory=list)
    # every move the phases make: (day, from location, to location, reason, with a place, people)
    moves: list[tuple[int, int, int, str, bool, int]] = field(default_factory=list)
    location_ids: list[str] = field(default_factory=list)  # names of the locations `moves` index
    distance_m: dict[tuple[int, int], float] = field(default_factory=dict)  # straight line, per (from, to)
    events: list[dict[str, object]] = field(default_factory=list)  # what the scenario declares, by day
    routed: list[RoutedPhaseMoves] | None = None  # the re-moves on the roads (`stages.phase_moves`), per day

    def move_rows(self) -> list[dict[str, object]]:
        """The moves by day, from, to, reason and place (people summed), with the straight-line distance and a
        walking-time estimate (straight line x the network's fallback circuity at the walking speed, not routed)."""
        params = NetworkParams.default()
        total: dict[tuple[int, int, int, str, bool], int] = {}
        for t, a, b, why, place, n in self.moves:
            total[(t, a, b, why, place)] = total.get((t, a, b, why, place), 0) + n
        name = self.location_ids or [str(i) for i in range(max((max(m[1], m[2]) for m in self.moves), default=0) + 1)]
        out = []
        for (t, a, b, why, place), n in sorted(total.items()):
            if n <= 0:
                continue
            d = self.distance_m.get((a, b), 0.0)
            out.append(
                {
                    "day": t,
                    "from": name[a],
                    "to": name[b],
                    "reason": why,
                    "with_place": place,
                    "people": n,
                    "distance_m": round(d, 1),
                    "walk_h": round(d * params.circuity / params.walk_speed_m_s / 3600.0, 2),
                }
            )
        return out

    def summary(self) -> dict[str, object]:
        return {
            "redisplaced": _last(self.redisplaced_by_day),
            "diverted": _last(self.diverted_by_day),
            "returned": _last(self.returned_by_day),
            "lost_place": _last(self.lost_place_by_day),
            "redisplaced_by_day": self.redisplaced_by_day,
            "diverted_by_day": self.diverted_by_day,
            "returned_by_day": self.returned_by_day,
            "lost_place_by_day": self.lost_place_by_day,
            "places_by_day": self.places_by_day,
            "redisplaced_person_km": round(
                sum(n * self.distance_m.get((a, b), 0.0) for _, a, b, why, _, n in self.moves if why == "redisplaced")
                / 1000.0,
                1,
            ),
            "moves": self.move_rows(),
            "events": self.events,
            "routed": self.routed,
            "notes": self.notes,
        }


def site_places_by_day(
    spec: PhasesSpec, site_ids: list[str], places: np.ndarray, days: int
) -> tuple[np.ndarray, np.ndarray]:
    """(places [site, day] available, closed [site, day]) under the phases: planned places scaled by the
    latest shrink share, 0 before opening and from closing."""
    ns = len(site_ids)
    cap = np.repeat(np.asarray(places, dtype=np.int64).reshape(ns, 1), days, axis=1)
    closed = np.zeros((ns, days), dtype=bool)
    index = {s: i for i, s in enumerate(site_ids)}
    for p in spec.sites:
        i = index[p.site]
        for s in p.shrinks:
            cap[i, s.day :] = int(np.floor(places[i] * s.share + 1e-9))
        if p.opens_day is not None:
            closed[i, : p.opens_day] = True
        if p.closes_day is not None:
            closed[i, p.closes_day :] = True
    cap[closed] = 0
    return cap, closed


def place_tranches(
    spec: PhasesSpec, site_ids: list[str], places: np.ndarray, days: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each site's places split by how long they exist: (site of each tranche, places in it, [tranche, arrival day]
    share of the days from arrival to the horizon's end on which its places exist). A site without phases is one
    tranche (share 1); a site keeping half its places from day 8 is two (the half kept, share 1; the half lost, the
    days before 8); a closed site's places exist only while it is open. Places that never exist are in none."""
    cap, _ = site_places_by_day(spec, site_ids, np.asarray(places, dtype=np.int64), days)
    remaining = (days - np.arange(days))[None, :]
    site_of, size, exists = [], [], []
    for s in range(len(site_ids)):
        lo = 0
        for hi in np.unique(cap[s][cap[s] > 0]).tolist():
            site_of.append(s)
            size.append(hi - lo)
            exists.append(cap[s] >= hi)
            lo = hi
    if not site_of:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, days))
    e = np.array(exists, dtype=float)
    share = np.cumsum(e[:, ::-1], axis=1)[:, ::-1] / remaining
    return np.array(site_of, np.int64), np.array(size, np.int64), share


def closed_within(spec: PhasesSpec, site_ids: list[str], days: int, stay_days: int) -> np.ndarray:
    """[site, arrival day] True where the site is closed (not yet open, or closed) on any of the ``stay_days``
    days from arrival (counted up to the horizon's end): the siting's minimum-stay rule."""
    _, closed = site_places_by_day(spec, site_ids, np.ones(len(site_ids)), days)
    # closed days in [a, a + stay): a window sum over the cumulative count
    c = np.concatenate([np.zeros((len(site_ids), 1)), np.cumsum(closed, axis=1)], axis=1)
    a = np.arange(days)
    end = np.minimum(a + stay_days, days)
    return (c[:, end] - c[:, a]) > 0


def declared_events(spec: PhasesSpec, days: int) -> list[dict[str, object]]:
    """The declared phases as dated events (day, what, site or footprint, share kept), by day."""
    ev: list[dict[str, object]] = []
    for p in spec.sites:
        if p.opens_day is not None and 0 < p.opens_day < days:
            ev.append({"day": p.opens_day, "event": "opens", "site": p.site})
        if p.closes_day is not None and p.closes_day < days:
            ev.append({"day": p.closes_day, "event": "closes", "site": p.site})
        ev += [{"day": s.day, "event": "shrinks", "site": p.site, "share": s.share} for s in p.shrinks if s.day < days]
    ev += [
        {"day": r.end_day, "event": "operation ends", "footprint": r.footprint}
        for r in spec.returns
        if r.end_day < days
    ]
    return sorted(ev, key=lambda e: (int(str(e["day"])), str(e["event"]), str(e.get("site", e.get("footprint")))))


def apply_phases(
    spec: PhasesSpec,
    *,
    people: np.ndarray,
    dependent: np.ndarray,
    arrivals: np.ndarray,
    groups: tuple[str, ...],
    nz: int,
    ns: int,
    site_ids: list[str],
    places: np.ndarray,
    xy: np.ndarray,
    rows: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    zone_return: np.ndarray,
) -> PhaseResult:
    """Apply the phases in place to people / dependent / arrivals [location, group, day].

    rows: (zone index (-1: residents), location index, group index, share aid-dependent, people [row, day]) of
    everyone at a destination: the presence's arrived flows and the sites' residents.
    zone_return: [zone, day] share of each zone's movers returned home by the end of each day.
    Sites are locations nz .. nz + ns - 1."""
    T = people.shape[2]
    cap, closed = site_places_by_day(spec, site_ids, places, T)
    out = PhaseResult(
        notes=[
            "People leaving a closed or shrunk site go to the nearest open sites with room by straight line, nearest "
            "first (phases.moves lists each move); nobody moves back into a site that opens or grows again, and a "
            "return frees no place for people without one.",
            _siting_note(spec),
            "Returned people are counted at home as staying: the state of their homes (damage, services) is not "
            "modelled; people still on their way when the operation ends complete the move (ASSUMPTION).",
        ]
    )
    out.events = declared_events(spec, T)
    c = _Cohorts(people, dependent, arrivals, groups, nz, ns, xy, rows, cap, closed, out)
    for t in range(T):
        c.returns(t, zone_return)
        for s in range(ns):
            c.site_day(s, t)
        out.redisplaced_by_day.append(c.red)
        out.diverted_by_day.append(c.div)
        out.returned_by_day.append(c.ret)
        out.lost_place_by_day.append(c.lost)
        out.places_by_day.append(int(cap[:, t].sum()))
    return out


class _Cohorts:
    """The rows of people at destinations while the phases are applied day by day (`apply_phases`): each move
    makes a new row (rows never change location), and the running counts of people re-displaced, diverted,
    returned and without a place."""

    def __init__(
        self,
        people: np.ndarray,
        dependent: np.ndarray,
        arrivals: np.ndarray,
        groups: tuple[str, ...],
        nz: int,
        ns: int,
        xy: np.ndarray,
        rows: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
        cap: np.ndarray,
        closed: np.ndarray,
        out: PhaseResult,
    ) -> None:
        self.people, self.dependent, self.arrivals = people, dependent, arrivals
        gi = {g: i for i, g in enumerate(groups)}
        self.g_sh, self.g_ov, self.g_stay = gi["sheltered"], gi["overflow"], gi["staying"]
        self.T = people.shape[2]
        self.nz, self.xy, self.site_xy = nz, xy, xy[nz : nz + ns]
        self.cap, self.closed, self.out = cap, closed, out
        self.zone: list[int] = [int(v) for v in rows[0]]
        self.loc: list[int] = [int(v) for v in rows[1]]
        self.grp: list[int] = [int(v) for v in rows[2]]
        self.share: list[float] = [float(v) for v in rows[3]]
        R = np.asarray(rows[4], dtype=np.int64)
        # a row holds a camp place when sheltered, or residents moved to another site
        self.place = [g == self.g_sh for g in self.grp]
        self.R: list[np.ndarray] = [R[k].copy() for k in range(len(self.zone))]
        self.by_loc: dict[int, list[int]] = {}
        self.by_zone: dict[int, list[int]] = {}
        for k in range(len(self.R)):
            self.by_loc.setdefault(self.loc[k], []).append(k)
            self.by_zone.setdefault(self.zone[k], []).append(k)
        self.movers_of_zone = np.zeros(nz, dtype=np.int64)
        for z, g, v in zip(self.zone, self.grp, self.R):
            if z >= 0 and g in (self.g_sh, self.g_ov):
                self.movers_of_zone[z] += v[-1]
        self.returned = np.zeros(nz, dtype=np.int64)
        self.red = self.div = self.ret = self.lost = 0

    def move(self, k: int, t: int, v: np.ndarray, loc: int, grp: int, place: bool, count: bool = True) -> None:
        """Move v[t:] people of row k to a new row at loc from day t (people, dependent, shelter-item arrivals)."""
        out, Rl = self.out, self.R
        src, g0, sh = self.loc[k], self.grp[k], self.share[k]
        prev = int(Rl[k][t - 1]) if t > 0 else 0
        today = max(int(Rl[k][t]) - prev, 0)  # arrived today: they leave first, as diverted, not re-displaced
        again = max(int(v[0]) - today, 0)
        Rl[k][t:] -= v
        self.people[src, g0, t:] -= v
        self.dependent[src, g0, t:] -= v * sh
        self.people[loc, grp, t:] += v
        self.dependent[loc, grp, t:] += v * sh
        gone = np.maximum(np.diff(v, prepend=again), 0)  # arrivals at the source that now go elsewhere
        if (a_b := (src, loc)) not in out.distance_m:
            out.distance_m[a_b] = float(np.hypot(*(self.xy[loc] - self.xy[src])))
        if not count:  # a return home, or people losing their place where they are
            if grp == self.g_stay:
                out.moves.append((t, src, loc, "returned", False, int(v[0])))
        else:
            if again:
                out.moves.append((t, src, loc, "redisplaced", place, again))
            for i in np.flatnonzero(gone).tolist():  # arrivals sent on, on their day, from where they were bound
                out.moves.append((t + i, src, loc, "diverted", place, int(gone[i])))
        self.arrivals[src, g0, t:] -= gone * sh
        if grp != self.g_stay:  # people going home need no camp shelter items (ASSUMPTION: homes not counted)
            self.arrivals[loc, grp, t:] += np.diff(v, prepend=0) * sh
        if count:
            self.red += again
            self.div += int(v[-1]) - again
        self.zone.append(self.zone[k])
        self.loc.append(loc)
        self.grp.append(grp)
        self.share.append(sh)
        self.place.append(place)
        row = np.zeros(self.T, dtype=np.int64)
        row[t:] = v
        Rl.append(row)
        self.by_loc.setdefault(loc, []).append(len(Rl) - 1)
        self.by_zone.setdefault(self.zone[k], []).append(len(Rl) - 1)

    def relocate(self, k: int, t: int, v: np.ndarray) -> None:
        """Send v (people of row k from day t) to the nearest open sites with room, else the nearest open land."""
        nz, xy, site_xy = self.nz, self.xy, self.site_xy
        here = self.loc[k] - nz
        open_ = np.flatnonzero(~self.closed[:, t])
        if not open_.size:  # nowhere open: they stay near their home zone without a place
            z = self.zone[k] if self.zone[k] >= 0 else int(np.argmin(((xy[:nz] - xy[self.loc[k]]) ** 2).sum(axis=1)))
            self.move(k, t, v, z, self.g_ov, False)
            if self.grp[k] != self.g_ov:
                self.lost += int(v[-1])
            return
        order = open_[np.argsort(((site_xy[open_] - site_xy[here]) ** 2).sum(axis=1), kind="stable")]
        order = order[order != here]
        want = self.grp[k] != self.g_ov  # overflow stays overflow: it held no place
        rest = v.copy()
        for s in order if want else []:
            if rest[0] <= 0:
                break
            room = int(self.cap[s, t] - sum(int(self.R[j][t]) for j in self.by_loc.get(nz + s, []) if self.place[j]))
            if room <= 0:
                continue
            m = min(room, int(rest[0]))
            part = np.minimum(np.floor(rest * (m / rest[0]) + 1e-9).astype(np.int64), rest)
            part[0] = m
            part = np.minimum(part, rest)
            self.move(k, t, part, nz + s, self.grp[k], True)
            rest = rest - part
        if rest.any():
            # a shrunk site's people without room elsewhere stay on its land; a closed site's go to the nearest open
            target = here if not self.closed[here, t] else int(order[0] if order.size else open_[0])
            # on the same site's land they lose their place but do not move: not a re-displacement
            self.move(k, t, rest, nz + target, self.g_ov, False, count=target != here)
            if want:
                self.lost += int(rest[-1])

    def returns(self, t: int, zone_return: np.ndarray) -> None:
        """Day t's returns home: each zone's share due, taken from its movers' rows in proportion (largest
        remainder)."""
        for z in np.flatnonzero(zone_return[:, t] > 0).tolist():
            need = int(np.floor(self.movers_of_zone[z] * zone_return[z, t] + 1e-9)) - int(self.returned[z])
            ks = [k for k in self.by_zone.get(int(z), []) if self.grp[k] in (self.g_sh, self.g_ov) and self.R[k][t] > 0]
            have = np.array([self.R[k][t] for k in ks], dtype=np.int64)
            need = min(need, int(have.sum()))
            if need <= 0:
                continue
            take = largest_remainder(have * (need / have.sum()), need, cap=have)
            for k, a in zip(ks, take.tolist()):
                if a:
                    self.move(k, t, np.full(self.T - t, a, dtype=np.int64), z, self.g_stay, False, count=False)
            self.returned[z] += need
            self.ret += need

    def site_day(self, s: int, t: int) -> None:
        """Site s on day t: a closed site empties; a shrunk or over-full one sheds the people last moved in."""
        ks = [k for k in self.by_loc.get(self.nz + s, []) if self.R[k][t] > 0]
        if not ks:
            return
        if self.closed[s, t]:
            for k in ks:
                self.relocate(k, t, self.R[k][t:].copy())
            return
        excess = sum(int(self.R[k][t]) for k in ks if self.place[k]) - int(self.cap[s, t])
        for k in reversed([k for k in ks if self.place[k]]):
            if excess <= 0:
                break
            a = min(excess, int(self.R[k][t]))
            v = self.R[k][t:].copy() if a == self.R[k][t] else np.full(self.T - t, a, dtype=np.int64)
            self.relocate(k, t, v)
            excess -= a


def _siting_note(spec: PhasesSpec) -> str:
    """What the siting knew of the phases (the rule, `stages.allocation`)."""
    if spec.siting == "ignore":
        rule = "the siting ignored the phases (phases.siting: ignore): it planned people into sites as if each held "
        rule += "its places all the horizon"
    else:
        rule = (
            "the siting priced the phases by capacity-days: a person planned into a site that later closes or shrinks "
            "costs, for each day without a place there, that share of the cost of no place at all"
            if spec.siting == "capacity_days"
            else "the siting priced only the phases' re-moves (phases.siting: re_move), as if people moved on find a place"
        )
        rule += (
            (", plus the second walk to the nearest other site with places" if spec.second_walk else "")
            + f" and {spec.redisplacement_cost_days:g} days without a place per re-displacement (siting.re_move: the "
            "re-moves the plan expects); where places are scarce a site that closes is still filled when its days with "
            "a place outweigh that, and its people move again on the closing day"
        )
    if spec.min_stay_days is not None:
        rule += (
            f"; sites closed on any of the first {spec.min_stay_days} days of a stay were not planned for, nor "
            "their land used for people without a place (phases.min_stay_days)"
        )
    return rule[0].upper() + rule[1:] + "."


def sheltered_share_by_day(row: Indicator, people: np.ndarray, groups: tuple[str, ...], ph: PhaseResult) -> Indicator:
    """The `displaced_people_sheltered_share` row under phases: on each day, people holding a camp place over the
    people displaced that day (with a place or without one, wherever they are: everyone who left home and is not back),
    and the row's value is the worst day. People who lost their place when a site closed or shrank are counted
    without one from that day; people returned home are no longer displaced (they are counted at home)."""
    g_sh, g_ov = groups.index("sheltered"), groups.index("overflow")
    with_place = people[:, g_sh, :].sum(axis=0)
    away = with_place + people[:, g_ov, :].sum(axis=0)
    share = np.divide(with_place, away, out=np.ones(with_place.shape), where=away > 0)
    t = int(np.argmin(share))
    s = ph.summary()
    note = (
        f"worst day {t}: {int(with_place[t]):,} of {int(away[t]):,} displaced people hold a camp place; day 0: "
        f"{int(with_place[0]):,} of {int(away[0]):,}. Counted day by day under the phases: {s['lost_place']:,} lost "
        f"their place when sites closed or shrank (residents of a closed site without a new one count as displaced "
        f"from then), {s['returned']:,} returned home (counted at home, not here)"
    )
    return indicator(
        row.indicator, row.scope, float(share[t]), row.target, row.unit, row.comparison, row.source, note=note
    )


def phase_indicators(ph: PhaseResult) -> list[Indicator]:
    """Verdict rows: people moved again by sites closing or shrinking, and moved people who found no place."""
    s = ph.summary()
    return [
        indicator(
            "people_redisplaced_by_site_phases",
            "scenario",
            float(_last(ph.redisplaced_by_day)),
            0.0,
            "people",
            "<=",
            "reliefplan: a place given must not be taken away again (phases: sites closing or shrinking)",
            note=f"{s['redisplaced']:,} people at a site that closed or shrank moved again; {s['diverted']:,} "
            f"arrivals diverted from a closed or full site; {s['returned']:,} displaced people returned "
            "home (declared return curves)",
        ),
        indicator(
            "people_lost_place_by_site_phases",
            "scenario",
            float(_last(ph.lost_place_by_day)),
            0.0,
            "people",
            "<=",
            "reliefplan: everyone who moves again finds a place",
            note=f"{s['lost_place']:,} people moved from a closed or shrunk site found no place at an open "
            "site with room and are on its land without one (overflow)",
        ),
    ]
