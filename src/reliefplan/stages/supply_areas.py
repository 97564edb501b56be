"""Supply areas: the locations a supply plan feeds, grouped so that its LP stays bounded at national scale (#24).

The supply LP has variables per location, crossing, day and commodity. With one location per zone it grows with the
zone count: 10,000 zones (1 M people) passed 13 GB. When a plan has more locations than ``supply.max_locations``
(scenario.yaml, default 300; the Rafah example has 145), they are grouped by this rule, and otherwise left one per location:

* camps (candidate sites) stay one location each while they are at most half the budget; beyond that they are
  grouped like the rest, on half the budget;
* every other location (a zone's people, zone land taking overflow, a served population) is grouped with the
  locations of the same kind whose point lies in the same square cell of a grid over the territory; the cell side
  is the smallest of 1, 2, 4, 8 ... km for which the areas fit the rest of the budget.

An area holds the sum of its members' people, aid-dependent people and arrivals per group and day, so everyone is
counted and each group keeps its own need and shortfall; its storage is its members' (days of each one's peak
need, summed). Goods reach an area at its central member (the member
nearest the people-weighted centroid): the area's driving times are that member's. A member's share of need met is
its area's (figures disaggregated in proportion to need); the plan says so next to the supply figures.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from .presence import Presence

#: the smallest grid cell tried (m); doubled until the areas fit
FIRST_CELL_M = 1000.0


@dataclass
class SupplyAreas:
    """The supply plan's locations when grouped: one aggregated `Presence` location per area."""

    presence: Presence  # one location per area, in area order (kinds: the members' kind)
    area_of: np.ndarray  # int [L]: the area of each location of the plan's presence (-1: not fed, e.g. abroad)
    camp_cell_m: float | None  # grid side for camps (None: one area per camp)
    cell_m: float  # grid side for the other locations
    max_locations: int
    # [areas] sum of the members' peak aid-dependent people over the area's peak: a member's storage is days of its
    # own peak need, so the area's storage is its peak need times this (1 for an area of one location)
    storage_scale: np.ndarray
    location_ids: list[str]  # the plan's presence locations, as `area_of` indexes them

    @property
    def members(self) -> np.ndarray:
        """Locations in each area [areas]."""
        return np.bincount(self.area_of[self.area_of >= 0], minlength=len(self.presence.location_ids))

    def to_dict(self) -> dict[str, object]:
        """plan.json `supply.areas`: the rule, the sizes, each area's members (location ids) and how per-location
        figures are read."""
        members: dict[str, list[str]] = {a: [] for a in self.presence.location_ids}
        for lid, a in zip(self.location_ids, self.area_of.tolist()):
            if a >= 0:
                members[self.presence.location_ids[a]].append(lid)
        locations = int((self.area_of >= 0).sum())
        camps = (
            "one area per camp"
            if self.camp_cell_m is None
            else f"camps grouped in {self.camp_cell_m / 1000:g} km grid cells"
        )
        return {
            "locations": locations,
            "areas": len(self.presence.location_ids),
            "max_locations": self.max_locations,
            "camp_cell_km": None if self.camp_cell_m is None else self.camp_cell_m / 1000.0,
            "cell_km": self.cell_m / 1000.0,
            "members_max": int(self.members.max(initial=0)),
            "rule": (
                f"{locations:,} locations over the budget of {self.max_locations:,} (supply.max_locations): "
                f"{camps}; zones, zone land and served populations grouped by kind in "
                f"{self.cell_m / 1000:g} km grid cells; an area's need is the sum of its members' (every person "
                "counted, groups kept apart); goods reach it at its central member"
            ),
            "note": (
                "supply, sustainment and location figures are per area; a zone's or camp's share of need met is its "
                "area's (disaggregated in proportion to need: read each member's from its area in `members`); "
                "driving times within an area are not modelled"
            ),
            "members": members,
        }


def _cells(xy: np.ndarray, kind: np.ndarray, side_m: float) -> np.ndarray:
    """Area index of each point: the same kind in the same grid cell of side ``side_m``."""
    c = np.floor((xy - xy.min(axis=0)) / side_m).astype(np.int64)
    n = int(c.max(initial=0)) + 1
    return np.unique((kind * n + c[:, 0]) * n + c[:, 1], return_inverse=True)[1].ravel()


def _grid(xy: np.ndarray, kind: np.ndarray, budget: int) -> tuple[np.ndarray, float]:
    """The smallest cell side (FIRST_CELL_M x 2^k) whose areas fit the budget, and each point's area."""
    side = FIRST_CELL_M
    while True:
        area = _cells(xy, kind, side)
        if area.size == 0 or int(area.max()) + 1 <= budget:
            return area, side
        side *= 2.0


def supply_areas(pres: Presence, fed: np.ndarray, max_locations: int) -> SupplyAreas | None:
    """Group the fed locations (bool [L]) into at most ``max_locations`` areas by the module's rule; None when they
    fit as they are (the plan keeps one supply location per location)."""
    idx = np.flatnonzero(fed)
    if idx.size <= max_locations:
        return None
    kinds = np.array(pres.kinds)[idx]
    names, kind = np.unique(kinds, return_inverse=True)
    xy = pres.xy[idx].reshape(-1, 2)
    camp = kinds == "site"
    area = np.empty(idx.size, dtype=np.int64)
    camp_cell: float | None = None
    if camp.sum() <= max_locations // 2:
        area[camp] = np.arange(int(camp.sum()))
    else:
        area[camp], camp_cell = _grid(xy[camp], kind[camp], max_locations // 2)
    n_camp = int(area[camp].max(initial=-1)) + 1
    rest = ~camp
    if len(np.unique(kind[rest])) > max_locations - n_camp:
        raise ValueError(f"supply.max_locations {max_locations} is too small for the kinds of location in this plan")
    sub, cell = _grid(xy[rest], kind[rest], max_locations - n_camp)
    area[rest] = n_camp + sub
    n = n_camp + (int(sub.max(initial=-1)) + 1)
    # sum members per area: a sparse [areas, members] indicator times the [members, G*T] arrays
    agg = sp.csr_array((np.ones(idx.size), (area, np.arange(idx.size))), shape=(n, idx.size))
    L, G, T = pres.people.shape

    def total(a: np.ndarray) -> np.ndarray:
        return (agg @ a[idx].reshape(idx.size, G * T)).reshape(n, G, T)

    people = np.rint(total(pres.people.astype(float))).astype(np.int64)
    # the central member: nearest the people-weighted centroid (the plain centroid where nobody is)
    w = pres.people[idx].sum(axis=(1, 2)).astype(float)
    cnt = np.bincount(area, minlength=n).astype(float)
    wsum = np.bincount(area, weights=w, minlength=n)
    cent = np.column_stack(
        [
            np.where(
                wsum > 0,
                np.bincount(area, weights=w * xy[:, k], minlength=n) / np.where(wsum > 0, wsum, 1.0),
                np.bincount(area, weights=xy[:, k], minlength=n) / cnt,
            )
            for k in range(2)
        ]
    )
    d2 = ((xy - cent[area]) ** 2).sum(axis=1)
    order = np.lexsort((d2, area))
    first = order[np.r_[True, area[order][1:] != area[order][:-1]]]
    ids = [pres.location_ids[idx[m]] if camp_cell is None and camp[m] else "" for m in first]
    for a, m in enumerate(first):
        if not ids[a]:
            size = camp_cell if camp[m] and camp_cell is not None else cell
            c = np.floor((xy[m] - xy[camp == camp[m]].min(axis=0)) / size).astype(int)
            ids[a] = f"area:{names[kind[m]]}:{size / 1000:g}km:{c[0]}_{c[1]}"
    grouped = replace(
        pres,
        location_ids=ids,
        kinds=[str(names[kind[m]]) for m in first],
        xy=xy[first],
        people=people,
        dependent=total(pres.dependent),
        arrivals=total(pres.arrivals),
    )
    dep_peak = np.bincount(area, weights=pres.dependent[idx].sum(axis=1).max(axis=1), minlength=n)
    area_peak = grouped.dependent.sum(axis=1).max(axis=1)
    scale = np.where(area_peak > 0, dep_peak / np.where(area_peak > 0, area_peak, 1.0), 1.0)
    area_of = np.full(L, -1, dtype=np.int64)
    area_of[idx] = area
    return SupplyAreas(
        presence=grouped,
        area_of=area_of,
        camp_cell_m=camp_cell,
        cell_m=cell,
        max_locations=max_locations,
        storage_scale=scale,
        location_ids=list(pres.location_ids),
    )
