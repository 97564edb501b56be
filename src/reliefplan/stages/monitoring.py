"""An existing settlement checked as it is: per block and per site, m2 per person, people per latrine and per tap,
the farthest walk to water and to a latrine, against the profile's standards; then each site after the plan
(residents who stay, plus the people the siting sends to its spare capacity), and day by day against what is
installed."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypedDict

import numpy as np
import shapely
from scipy.spatial import cKDTree

from ..plan import Comparison, Indicator, MonitoredBlock, MonitoredSite, MonitoringResult, SiteResult
from ..scenario.folder import Scenario
from ..scenario.monitoring import Monitoring
from .verdict import indicator

#: standard name -> (target, comparison, source), as `targets` gives them
Targets = dict[str, tuple[float, Comparison, str]]


class UnitFigures(TypedDict):
    """A block's or a site's figures against the standards (None where the data says nothing)."""

    m2_per_person: float | None
    people_per_latrine: float | None
    people_per_tap: float | None
    max_distance_to_water_m: float | None
    max_distance_to_latrine_m: float | None
    standards_met: dict[str, bool | None]


SAMPLES_PER_UNIT = 256  # grid points per block or site for the farthest walk, plus its vertices
MIN_SPACING_M = 5.0

#: standard name -> (figure key in the profile, comparison)
STANDARDS: dict[str, tuple[str | None, Comparison]] = {
    "m2_per_person": ("site_area_m2_per_person", ">="),
    "people_per_latrine": (None, "<="),
    "people_per_tap": ("people_per_tap", "<="),
    "max_distance_to_water_m": ("max_distance_to_water_m", "<="),
    "max_distance_to_latrine_m": ("max_distance_to_latrine_m", "<="),
}


def latrine_key(sc: Scenario) -> str:
    """The latrine ratio of the layout phase: first phase (acute) or medium term."""
    return "people_per_latrine_acute" if sc.layout.latrine_phase == "acute" else "people_per_latrine"


def targets(sc: Scenario) -> Targets:
    """standard name -> (target, comparison, source)."""
    std = sc.standards
    out = {}
    for name, (key, cmp) in STANDARDS.items():
        key = key or latrine_key(sc)
        out[name] = (std.value(key), cmp, std.cite(key))
    return out


def sample_points(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(xy [n, 2], unit index [n]): every vertex of each polygon and a grid inside it of about SAMPLES_PER_UNIT
    points (spacing >= MIN_SPACING_M)."""
    vxy, vidx = shapely.get_coordinates(geoms, return_index=True)
    b = shapely.bounds(geoms)
    area = shapely.area(geoms)
    step = np.maximum(np.sqrt(area / SAMPLES_PER_UNIT), MIN_SPACING_M)
    nx = np.maximum(np.ceil((b[:, 2] - b[:, 0]) / step), 1).astype(np.int64)
    ny = np.maximum(np.ceil((b[:, 3] - b[:, 1]) / step), 1).astype(np.int64)
    n = nx * ny
    unit = np.repeat(np.arange(geoms.size), n)
    k = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    ix, iy = k % nx[unit], k // nx[unit]
    x = b[unit, 0] + (ix + 0.5) * step[unit]
    y = b[unit, 1] + (iy + 0.5) * step[unit]
    inside = shapely.contains_xy(geoms[unit], x, y)
    xy = np.vstack([vxy, np.column_stack([x[inside], y[inside]])])
    return xy, np.concatenate([vidx, unit[inside]])


def farthest_walk_m(geoms: np.ndarray, points_xy: np.ndarray | None) -> np.ndarray | None:
    """Per polygon: the largest straight-line distance from a sampled point of it to its nearest point of
    `points_xy` (m); None without points; inf when the list is empty."""
    if points_xy is None:
        return None
    if len(points_xy) == 0:
        return np.full(geoms.size, np.inf)
    xy, unit = sample_points(geoms)
    dist, _ = cKDTree(points_xy).query(xy)
    out = np.zeros(geoms.size)
    np.maximum.at(out, unit, dist)
    return out


def _site_walks(sc: Scenario, m: Monitoring, unit_geoms: np.ndarray, points_xy: np.ndarray | None) -> np.ndarray | None:
    """Farthest walk of each unit to the nearest of the points standing on its own site (NaN: none located there;
    a water point of another camp serves nobody here); None without a points file."""
    if points_xy is None or unit_geoms.size == 0:
        return None
    out = np.full(unit_geoms.size, np.nan)
    pts = shapely.points(points_xy) if len(points_xy) else np.zeros(0, dtype=object)
    for j in np.unique(m.unit_site):
        rows = np.flatnonzero(m.unit_site == j)
        on = shapely.covers(sc.sites[j].geometry_m, pts) if len(pts) else np.zeros(0, dtype=bool)
        if on.any():
            out[rows] = farthest_walk_m(unit_geoms[rows], points_xy[on])
    return out


def _ratio(people: float, count: float) -> float | None:
    if math.isnan(count):
        return None
    return float("inf") if count == 0 and people > 0 else (float(people / count) if count else 0.0)


def _met(value: float | None, target: float, cmp: Comparison) -> bool | None:
    if value is None:
        return None
    return bool(value >= target - 1e-9) if cmp == ">=" else bool(value <= target + 1e-9)


def _finite(v: float | None) -> float | None:
    return None if v is None or not math.isfinite(v) else float(v)


def _unit_figures(
    people: float,
    area: float | None,
    latrines: float,
    taps: float,
    water: float | None,
    latrine_m: float | None,
    tg: Targets,
) -> UnitFigures:
    fig: dict[str, float | None] = {
        "m2_per_person": None if area is None or people == 0 else area / people,
        "people_per_latrine": _ratio(people, latrines),
        "people_per_tap": _ratio(people, taps),
        "max_distance_to_water_m": water,
        "max_distance_to_latrine_m": latrine_m,
    }
    met = {k: _met(v, tg[k][0], tg[k][1]) for k, v in fig.items()}
    return UnitFigures(
        m2_per_person=_finite(fig["m2_per_person"]),
        people_per_latrine=_finite(fig["people_per_latrine"]),
        people_per_tap=_finite(fig["people_per_tap"]),
        max_distance_to_water_m=_finite(fig["max_distance_to_water_m"]),
        max_distance_to_latrine_m=_finite(fig["max_distance_to_latrine_m"]),
        standards_met=met,
    )


def _known(walks: np.ndarray | None, rows: list[int] | np.ndarray) -> float | None:
    """The farthest walk over `rows`, None when unknown (no points file, or no point on the site)."""
    if walks is None or np.size(rows) == 0 or np.isnan(walks[rows]).any():
        return None
    return float(np.max(walks[rows]))


def _count(x: float) -> int | None:
    return None if math.isnan(x) else int(x)


def _daily(people: np.ndarray, installed: np.ndarray | None, per: float) -> tuple[int | None, int | None]:
    """(days with more people per item than the standard, first such day) over the horizon."""
    if installed is None:
        return None, None
    short = np.flatnonzero(people > installed * per + 1e-9)
    return int(short.size), (int(short[0]) if short.size else None)


def monitor(
    sc: Scenario, sites: list[SiteResult], free_usable_m2: np.ndarray, people_by_site_day: np.ndarray | None
) -> tuple[MonitoringResult, list[Indicator]]:
    """The monitoring block of plan.json and its verdict rows.

    sites: the plan's site results (people the plan sends to each); free_usable_m2: usable area outside the
    footprints per site; people_by_site_day: [sites, days] everyone present on each site at the end of each day."""
    m: Monitoring = sc.monitoring
    tg = targets(sc)
    n_sites = len(sc.sites)
    unit_geoms = np.array(
        [g if g is not None else sc.sites[j].geometry_m for g, j in zip(m.unit_geometry_m, m.unit_site)] + [None],
        dtype=object,
    )[:-1]
    water = _site_walks(sc, m, unit_geoms, m.water_xy)
    latr = _site_walks(sc, m, unit_geoms, m.latrine_xy)
    moved = m.unit_relocated if m.unit_relocated is not None else np.zeros_like(m.unit_people)
    site_area = np.array([shapely.area(s.geometry_m) * s.usable_fraction for s in sc.sites])

    snap = _Snapshot(m, tg, water, latr, moved, site_area, _blocks_by_site(m, water, latr, moved, tg))

    out_sites: list[MonitoredSite] = []
    verdict: list[Indicator] = []
    index = {s.id: j for j, s in enumerate(sc.sites)}
    series_sites = {index[k] for k in (*m.installed_latrines, *m.installed_taps)}
    for j in sorted(set(m.unit_site.tolist()) | series_sites):  # in the snapshot, or with an installed series
        day_people = None if people_by_site_day is None else people_by_site_day[j]
        out_sites.append(_site(sc, snap, j, sites[j], float(free_usable_m2[j]), day_people))
        verdict += _site_indicators(out_sites[-1], tg, m, sc.horizon_days)
    names = list(STANDARDS)
    result = MonitoringResult(
        file=m.file,
        date=m.date,
        start_date=m.start_date,
        day=m.day,
        people=int(m.unit_people.sum()),
        relocated=int(moved.sum()),
        blocks=sum(b is not None for b in m.unit_block),
        sites_meeting={k: sum(bool(x.standards_met.get(k)) for x in out_sites) for k in names},
        sites_with_data={k: sum(x.standards_met.get(k) is not None for x in out_sites) for k in names},
        targets={k: v[0] for k, v in tg.items()},
        sites=out_sites,
        notes=m.notes + _notes(m, n_sites, len(out_sites)),
    )
    return result, verdict


@dataclass
class _Snapshot:
    """The snapshot's units with what `monitor` computed for them once: walks, people relocated, site areas."""

    m: Monitoring
    tg: Targets
    water: np.ndarray | None  # farthest walk to water per unit (m), None without water points
    latr: np.ndarray | None  # farthest walk to a latrine per unit (m)
    moved: np.ndarray  # people relocated per unit
    site_area: np.ndarray  # usable m2 per site (whole site x usable fraction)
    blocks: dict[int, list[MonitoredBlock]]  # by site index


def _site(
    sc: Scenario, snap: _Snapshot, j: int, res: SiteResult, free_usable_m2: float, day_people: np.ndarray | None
) -> MonitoredSite:
    """Site j as the snapshot gives it, after the plan, and day by day against the latrines and taps installed."""
    m, tg, s = snap.m, snap.tg, sc.sites[j]
    lat_per, tap_per = tg["people_per_latrine"][0], tg["people_per_tap"][0]
    rows = np.flatnonzero(m.unit_site == j)
    people = int(m.unit_people[rows].sum())
    lat = float(m.unit_latrines[rows].sum()) if rows.size else float("nan")  # NaN: a unit does not say
    taps = float(m.unit_taps[rows].sum()) if rows.size else float("nan")
    wmax, lmax = _known(snap.water, rows), _known(snap.latr, rows)
    f = _unit_figures(people, float(snap.site_area[j]), lat, taps, wmax, lmax, tg)
    after = int(res.existing_population + res.population + res.overflow)
    lat_need, tap_need = math.ceil(after / lat_per), math.ceil(after / tap_per)
    series_l = _series(m.installed_latrines.get(s.id), lat, sc.horizon_days)
    series_t = _series(m.installed_taps.get(s.id), taps, sc.horizon_days)
    dl, fl = _daily(day_people, series_l, lat_per) if day_people is not None else (None, None)
    dt_, ft = _daily(day_people, series_t, tap_per) if day_people is not None else (None, None)
    last_l = None if series_l is None else float(series_l[-1])
    last_t = None if series_t is None else float(series_t[-1])
    return MonitoredSite(
        id=s.id,
        name=s.name,
        people=people,
        relocated=int(snap.moved[rows].sum()),
        usable_area_m2=float(snap.site_area[j]),
        latrines=_count(lat),
        taps=_count(taps),
        spare_capacity=int(res.capacity),
        people_after=after,
        m2_per_person_after=free_usable_m2 / after if after else None,
        latrines_needed_after=lat_need,
        taps_needed_after=tap_need,
        additional_latrines=None if last_l is None else max(0, lat_need - int(last_l)),
        additional_taps=None if last_t is None else max(0, tap_need - int(last_t)),
        days_short_of_latrines=dl,
        first_day_short_of_latrines=fl,
        days_short_of_taps=dt_,
        first_day_short_of_taps=ft,
        blocks=snap.blocks.get(int(j), []),
        **f,
    )


def _blocks_by_site(
    m: Monitoring, water: np.ndarray | None, latr: np.ndarray | None, moved: np.ndarray, tg: Targets
) -> dict[int, list[MonitoredBlock]]:
    """The snapshot's blocks with their figures, by site index (units without a block are whole sites)."""
    blocks: dict[int, list[MonitoredBlock]] = {}
    for u in range(m.unit_people.size):
        if m.unit_block[u] is None:
            continue
        g = m.unit_geometry_m[u]
        f = _unit_figures(
            m.unit_people[u],
            None if g is None else float(g.area),
            m.unit_latrines[u],
            m.unit_taps[u],
            _known(water, [u]),
            _known(latr, [u]),
            tg,
        )
        if g is None:
            f["standards_met"].pop("m2_per_person")
        blocks.setdefault(int(m.unit_site[u]), []).append(
            MonitoredBlock(
                id=str(m.unit_block[u]),
                people=int(m.unit_people[u]),
                relocated=int(moved[u]),
                area_m2=None if g is None else float(g.area),
                latrines=_count(m.unit_latrines[u]),
                taps=_count(m.unit_taps[u]),
                **f,
            )
        )

    return blocks


def _series(installed: np.ndarray | None, count: float, days: int) -> np.ndarray | None:
    """Items installed each day: the installed series, else the snapshot's count held (None if neither says)."""
    if installed is None and not math.isnan(count):
        return np.full(days, count)
    return installed


def _notes(m: Monitoring, n_sites: int, listed: int) -> list[str]:
    if not m.file:
        return [
            f"No snapshot: {listed} of {n_sites} sites checked day by day against the latrines and taps "
            f"installed ({m.installed_file})."
        ]
    return [
        f"Snapshot {m.file} of {m.date} (day {m.day}): its people are on their site every day of the horizon "
        "(births, deaths and departures not modelled); nobody on a monitored site is re-allocated, except the "
        "residents inside an operation footprint, who must move.",
        f"{listed} of {n_sites} sites monitored; the others are empty candidate land unless the sites layer says so.",
        "Site m2 per person: the whole site's area x its usable fraction, over the snapshot's people. Distances: "
        f"straight line from {SAMPLES_PER_UNIT} grid points and the vertices of each block (or site) to the "
        "nearest water point or latrine; a farthest point between samples may lie a little farther.",
    ]


def _site_indicators(s: MonitoredSite, tg: Targets, m: Monitoring, days: int) -> list[Indicator]:
    scope = f"site:{s.id}"
    units = {
        "m2_per_person": "m2/person",
        "people_per_latrine": "people/latrine",
        "people_per_tap": "people/tap",
        "max_distance_to_water_m": "m",
        "max_distance_to_latrine_m": "m",
    }
    out = []
    for k, unit in units.items():
        target, cmp, source = tg[k]
        met = s.standards_met.get(k)
        value = getattr(s, k)
        if met is None:
            continue
        if value is None:  # a ratio over zero items: nothing to compare, and nothing there
            out.append(
                Indicator(
                    indicator=f"monitored_{k}",
                    scope=scope,
                    value=None,
                    target=target,
                    unit=unit,
                    comparison=cmp,
                    met=False,
                    severity="critical",
                    source=source,
                    note=f"snapshot of {m.date}: none for {s.people:,} people",
                )
            )
            continue
        out.append(
            indicator(
                f"monitored_{k}",
                scope,
                value,
                target,
                unit,
                cmp,
                source,
                note=f"snapshot of {m.date}, {s.people:,} people" + (f", {len(s.blocks)} blocks" if s.blocks else ""),
            )
        )
    for what, days_short, first, need, extra in (
        (
            "latrine",
            s.days_short_of_latrines,
            s.first_day_short_of_latrines,
            s.latrines_needed_after,
            s.additional_latrines,
        ),
        ("tap", s.days_short_of_taps, s.first_day_short_of_taps, s.taps_needed_after, s.additional_taps),
    ):
        if days_short is None:
            continue
        out.append(
            indicator(
                f"days_with_enough_{what}s_share",
                scope,
                1.0 - days_short / days,
                1.0,
                "share of days",
                ">=",
                tg[f"people_per_{what}"][2],
                note=("enough every day" if first is None else f"short on {days_short} of {days} days from day {first}")
                + f"; {s.people_after:,} people after the plan need {need:,}"
                + (f" ({extra:,} more than installed at the end)" if extra else ""),
            )
        )
    return out
