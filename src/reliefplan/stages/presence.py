"""Where every person in the plan is on each day, by group: nobody vanishes.

Locations: the zones (people staying; displaced people until they arrive at their destination; people who remain
in the operation area), the candidate sites (their residents, the camp's people, overflow on their land), the land
of zones outside the footprint that takes overflow, and the other populations the same entry points feed.

Groups (``scenario.GROUPS``): ``staying`` (outside the footprint), ``sheltered`` (displaced, with a camp place),
``overflow`` (displaced, without one), ``site_residents`` (already living on a candidate site) and
``served_elsewhere``. Every person is in exactly one group and at exactly one location at the end of each day.

A displaced person arrives at the destination on the day their zone's part is emptied, or, when the move was timed,
when the destination's arrival curve says so (whichever is later; people are counted where they are at the end of
the day); until then they are at their zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely

from ..plan import EvacuationTiming
from ..scenario.folder import GROUPS, Scenario
from .overflow import Overflow
from .phases import PhaseResult, apply_phases

#: groups whose people move to a destination (and need shelter items when they arrive)
MOVERS = ("sheltered", "overflow")


@dataclass
class Presence:
    """people[l, g, t]: people of group g at location l at the end of day t (whole people)."""

    location_ids: list[str]  # "zone:<id>", a site id, "overflow:<zone id>" (zone land), "served:<id>"
    kinds: list[str]  # zone | site | zone_land | served
    xy: np.ndarray  # metric [L, 2]
    groups: tuple[str, ...]
    people: np.ndarray  # int64 [L, G, T]
    dependent: np.ndarray  # float [L, G, T]: of them, people who depend on aid
    arrivals: np.ndarray  # float [L, G, T]: aid-dependent people arriving (movers only), for shelter items
    totals: dict[str, int]  # people per group (the same every day)
    inside_operation: np.ndarray = field(default_factory=lambda: np.zeros(0))  # int [T]: in the emptied area
    phases: PhaseResult | None = None  # sites closing, shrinking, opening; returns (their counts)

    @property
    def days(self) -> int:
        return int(self.people.shape[2])

    def group(self, name: str) -> int:
        return self.groups.index(name)

    def check(self) -> None:
        """Every person in exactly one place each day: per group the locations sum to its total, every day."""
        if self.phases is not None:  # phases move people between groups (home, no place): the sum is conserved
            per_day = self.people.sum(axis=(0, 1))
            if (per_day != sum(self.totals.values())).any() or (self.people < 0).any():
                raise AssertionError(
                    f"people not conserved under phases: {per_day.min()}..{per_day.max()} per "
                    f"day, expected {sum(self.totals.values())}"
                )
            return
        for g, name in enumerate(self.groups):
            per_day = self.people[:, g, :].sum(axis=0)
            if (per_day != self.totals[name]).any() or (self.people[:, g, :] < 0).any():
                raise AssertionError(
                    f"people not conserved in group '{name}': {per_day.min()}..{per_day.max()} "
                    f"per day, expected {self.totals[name]}"
                )


def _arrival_fraction(evacuation: EvacuationTiming | None, dest_ids: list[str], days: int) -> np.ndarray:
    """[destinations, days] share of each destination's people arrived by the end of each day (1 if not timed)."""
    out = np.ones((len(dest_ids), days))
    if not evacuation:
        return out
    index = {d: i for i, d in enumerate(dest_ids)}
    got = np.zeros((len(dest_ids), days))
    for a in evacuation.arrivals:
        i = index.get(a.site)
        if i is not None:
            got[i, min(int(a.t_s // 86400), days - 1)] += a.people
    total = got.sum(axis=1, keepdims=True)
    frac = np.divide(np.cumsum(got, axis=1), total, out=np.ones_like(got), where=total > 0)
    return np.clip(frac, 0.0, 1.0)


def _departed_fraction(displaced_by_day: np.ndarray, start_days: np.ndarray, days: int) -> np.ndarray:
    """[zones, days] share of each zone's displaced people who have left by the end of each day."""
    day_index = np.minimum(np.floor(start_days).astype(np.int64), days - 1)
    left = np.zeros((displaced_by_day.shape[0], days))
    for k, t in enumerate(day_index):
        left[:, t] += displaced_by_day[:, k]
    total = displaced_by_day.sum(axis=1, keepdims=True)
    return np.divide(np.cumsum(left, axis=1), total, out=np.ones_like(left), where=total > 0)


def presence(
    sc: Scenario,
    displaced_by_day: np.ndarray,
    start_days: np.ndarray,
    staying: np.ndarray,
    sheltered_flows: tuple[np.ndarray, np.ndarray, np.ndarray],
    overflow: Overflow,
    site_xy: np.ndarray,
    evacuation: EvacuationTiming | None,
    arrival_share: np.ndarray | None = None,
    site_places: np.ndarray | None = None,
) -> Presence:
    """Everyone's location by group and day.

    sheltered_flows: (zone index, site index, people) of the siting; overflow: where the people without a camp place go;
    evacuation: the plan's evacuation block (arrivals per destination id over time) or None;
    arrival_share: [destination, day] share of each destination's people arrived by the end of each day (the
    movement over days, `orders.move_over_days`), instead of the evacuation block's arrivals;
    site_places: camp places per site (residents taken off), needed when the scenario declares ``phases``."""
    T = sc.horizon_days
    nz, ns = len(sc.zones), len(sc.sites)
    default = sc.population_spec.aid_dependent_share
    zone_share = np.array([z.aid_dependent_share if z.aid_dependent_share is not None else default for z in sc.zones])
    residents = np.array([s.existing_population for s in sc.sites], dtype=np.int64)
    # destinations: sites, then zone land with overflow
    land = np.flatnonzero(overflow.by_zone_land)
    dest_ids = [s.id for s in sc.sites] + [f"overflow:{sc.zones[k].id}" for k in land]
    fz_a, fd_a, fg_a, fq_a = _flows(sheltered_flows, overflow, land, ns)
    # share arrived by the end of each day: the zone must have left and the destination have received them
    frac = (
        np.minimum(
            _departed_fraction(displaced_by_day, start_days, T)[fz_a],
            (_arrival_fraction(evacuation, dest_ids, T) if arrival_share is None else arrival_share)[fd_a],
        )
        if fq_a.size
        else np.zeros((0, T))
    )
    arrived = np.floor(fq_a[:, None] * frac + 1e-9).astype(np.int64)
    arrived[frac >= 1.0 - 1e-12] = np.broadcast_to(fq_a[:, None], arrived.shape)[frac >= 1.0 - 1e-12]
    share_f = zone_share[fz_a] if fz_a.size else np.zeros(0)
    people, dependent, arrivals = _counts(
        sc, staying, overflow, zone_share, residents, land.size, (fz_a, fd_a, fg_a, fq_a), arrived, share_f
    )
    xy = _location_xy(sc, site_xy, overflow, land)
    phased = None
    if sc.phases is not None:
        if site_places is None:
            raise ValueError("phases need the sites' places (site_places)")
        phased = _phased(
            sc, (people, dependent, arrivals), (fz_a, fd_a, fg_a), share_f, arrived, residents, site_places, xy
        )
    totals = {
        "staying": int(np.sum(staying)),
        "sheltered": int(sheltered_flows[2].sum()),
        "overflow": overflow.total,
        "site_residents": int(residents.sum()),
        "served_elsewhere": int(sum(p.population for p in sc.served)),
    }
    # in the operation area at the end of the day: displaced people not yet gone, and those who stay there
    g_sh, g_ov = GROUPS.index("sheltered"), GROUPS.index("overflow")
    inside = people[:nz, g_sh, :].sum(axis=0) + people[:nz, g_ov, :].sum(axis=0)
    out = Presence(
        location_ids=[f"zone:{z.id}" for z in sc.zones]
        + [s.id for s in sc.sites]
        + dest_ids[ns:]
        + [f"served:{p.id}" for p in sc.served],
        kinds=["zone"] * nz + ["site"] * ns + ["zone_land"] * land.size + ["served"] * len(sc.served),
        xy=xy,
        groups=GROUPS,
        people=people,
        dependent=dependent,
        arrivals=arrivals,
        totals=totals,
        inside_operation=inside,
        phases=phased,
    )
    if phased is not None:
        phased.location_ids = out.location_ids
    out.check()
    return out


def _phased(
    sc: Scenario,
    counts: tuple[np.ndarray, np.ndarray, np.ndarray],
    flows: tuple[np.ndarray, np.ndarray, np.ndarray],
    share_f: np.ndarray,
    arrived: np.ndarray,
    residents: np.ndarray,
    site_places: np.ndarray,
    xy: np.ndarray,
) -> PhaseResult:
    """Apply the scenario's phases to ``counts`` (people, dependent, arrivals) in place: the rows are the arrived
    flows (zone, destination, group) and the sites' residents."""
    assert sc.phases is not None
    T = sc.horizon_days
    nz, ns = len(sc.zones), len(sc.sites)
    fz_a, fd_a, fg_a = flows
    default = sc.population_spec.aid_dependent_share
    rows = (
        np.concatenate([fz_a, np.full(ns, -1)]),
        np.concatenate([nz + fd_a, nz + np.arange(ns)]),
        np.concatenate([fg_a, np.full(ns, GROUPS.index("site_residents"))]),
        np.concatenate([share_f, np.full(ns, default)]),
        np.vstack([arrived.reshape(-1, T), np.repeat(residents[:, None], T, axis=1)]),
    )
    return apply_phases(
        sc.phases,
        people=counts[0],
        dependent=counts[1],
        arrivals=counts[2],
        groups=GROUPS,
        nz=nz,
        ns=ns,
        site_ids=[s.id for s in sc.sites],
        places=site_places,
        xy=xy,
        rows=rows,
        zone_return=zone_returns(sc, T),
    )


def _flows(
    sheltered_flows: tuple[np.ndarray, np.ndarray, np.ndarray], overflow: Overflow, land: np.ndarray, ns: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(zone, destination, group, people) of every flow of movers: the siting's sheltered people to sites, overflow
    to sites' land and to zone land (destination ns + j for the j-th zone land in ``land``)."""
    g_sh, g_ov = GROUPS.index("sheltered"), GROUPS.index("overflow")
    flows: list[tuple[int, int, int, int]] = []
    zi, si, q = sheltered_flows
    for z, s, n in zip(zi.tolist(), si.tolist(), q.tolist()):
        if n > 0:
            flows.append((z, s, g_sh, n))
    for z, s in zip(*np.nonzero(overflow.to_site)):
        flows.append((int(z), int(s), g_ov, int(overflow.to_site[z, s])))
    by_land = overflow.to_zone_land.tocsc()  # a column's rows come out sorted, as np.flatnonzero gave them
    by_land.sort_indices()
    for j, k in enumerate(land):
        col = slice(by_land.indptr[k], by_land.indptr[k + 1])
        for z, n in zip(by_land.indices[col].tolist(), by_land.data[col].tolist()):
            if n != 0:
                flows.append((z, ns + j, g_ov, int(n)))
    fz, fd, fg, fq = np.array(flows, dtype=np.int64).reshape(-1, 4).T
    return fz, fd, fg, fq


def _counts(
    sc: Scenario,
    staying: np.ndarray,
    overflow: Overflow,
    zone_share: np.ndarray,
    residents: np.ndarray,
    n_land: int,
    flows: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    arrived: np.ndarray,
    share_f: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(people, dependent, arrivals) [location, group, day] before phases: people staying, movers waiting at their
    zone or arrived at their destination, site residents, served populations; arrivals are the aid-dependent movers
    arriving each day (they need shelter items then)."""
    T = sc.horizon_days
    nz, ns = len(sc.zones), len(sc.sites)
    gi = {g: i for i, g in enumerate(GROUPS)}
    default = sc.population_spec.aid_dependent_share
    fz_a, fd_a, fg_a, fq_a = flows
    waiting = fq_a[:, None] - arrived
    L = nz + ns + n_land + len(sc.served)
    people = np.zeros((L, len(GROUPS), T), dtype=np.int64)
    dependent = np.zeros((L, len(GROUPS), T))
    people[:nz, gi["staying"], :] = np.asarray(staying, dtype=np.int64)[:, None]
    dependent[:nz, gi["staying"], :] = (np.asarray(staying) * zone_share)[:, None]
    people[:nz, gi["overflow"], :] += overflow.inside[:, None]
    dependent[:nz, gi["overflow"], :] += (overflow.inside * zone_share)[:, None]
    np.add.at(people, (fz_a, fg_a), waiting)
    np.add.at(dependent, (fz_a, fg_a), waiting * share_f[:, None])
    np.add.at(people, (nz + fd_a, fg_a), arrived)
    np.add.at(dependent, (nz + fd_a, fg_a), arrived * share_f[:, None])
    people[nz : nz + ns, gi["site_residents"], :] = residents[:, None]
    dependent[nz : nz + ns, gi["site_residents"], :] = (residents * default)[:, None]
    for j, p in enumerate(sc.served):
        people[nz + ns + n_land + j, gi["served_elsewhere"], :] = p.population
        share = p.aid_dependent_share if p.aid_dependent_share is not None else default
        dependent[nz + ns + n_land + j, gi["served_elsewhere"], :] = p.population * share
    arrivals = np.zeros((L, len(GROUPS), T))
    moved = np.diff(arrived, axis=1, prepend=0) * share_f[:, None] if fq_a.size else np.zeros((0, T))
    np.add.at(arrivals, (nz + fd_a, fg_a), moved)
    return people, dependent, arrivals


def _location_xy(sc: Scenario, site_xy: np.ndarray, overflow: Overflow, land: np.ndarray) -> np.ndarray:
    """Metric [L, 2] point of every location: zones and served populations at a point on their surface, sites at
    ``site_xy``, zone land at the overflow's point."""
    nz, ns = len(sc.zones), len(sc.sites)
    zone_xy = shapely.get_coordinates(
        shapely.point_on_surface(np.array([z.geometry_m for z in sc.zones], dtype=object))
    ).reshape(nz, 2)
    served_xy = shapely.get_coordinates(
        shapely.point_on_surface(np.array([p.geometry_m for p in sc.served], dtype=object))
    ).reshape(len(sc.served), 2)
    return np.vstack([zone_xy, np.asarray(site_xy, dtype=float).reshape(ns, 2), overflow.zone_land_xy[land], served_xy])


def zone_returns(sc: Scenario, days: int) -> np.ndarray:
    """[zone, day] share of each zone's displaced people returned home by the end of each day: a zone returns
    only when every footprint of the scenario over it has a declared return (the smallest share of them)."""
    out = np.zeros((len(sc.zones), days))
    if sc.phases is None or not sc.phases.returns:
        return out
    curves = {r.footprint: np.array(r.curve.share_by_day(r.end_day, days)) for r in sc.phases.returns}
    zone_geoms = np.array([z.geometry_m for z in sc.zones], dtype=object)
    covering: list[set[str]] = [set() for _ in sc.zones]
    for f in sc.footprints:
        hit = shapely.area(shapely.intersection(zone_geoms, f.geometry_m)) > 0
        for z in np.flatnonzero(hit):
            covering[z].add(f.operation)
    for k, ops in enumerate(covering):
        if ops and ops <= set(curves):
            out[k] = np.min([curves[o] for o in ops], axis=0)
    return out
