"""Camp layout: ``generate_layout`` lays a camp out for a number of people inside a site polygon, in steps:
check the inputs; cut out the no-build areas and the perimeter setback; fit the grid (remembered per site);
take the fewest slots, in fill order, that leave a plot for every household once services have taken theirs;
house the people; measure each service's catchment (those two steps in `housing`); draw blocks, roads and
firebreaks; sum up against the standards. ``layout_capacity`` is the same for 0 people."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from ..._errors import InputError, Problem
from .grid import _boxes, _fit_cached, _Grid, _Slots, _slots_cached, _to_world, plot_side_m
from .housing import _Catchments, _catchments, _house, _Housing, _shortfall_notes, _slots_in_use
from .model import MAX_PLOTS, CampLayout, Features, Geometry, LayoutParams, LayoutSummary
from .services import _full_services_cached, _Services


def _validate_site(site: Any, source: str, site_id: str) -> tuple[list[Problem], Geometry | None, list[str]]:
    notes: list[str] = []
    if not isinstance(site, (shapely.Polygon, shapely.MultiPolygon)):
        kind = getattr(site, "geom_type", type(site).__name__)
        return (
            [
                Problem(
                    file=source,
                    feature=site_id,
                    field="geometry",
                    message=f"expected a Polygon or MultiPolygon, got {kind}",
                )
            ],
            None,
            notes,
        )
    if not site.is_empty and not site.is_valid:
        reason = shapely.is_valid_reason(site)
        site = _polygonal(shapely.make_valid(site))
        notes.append(f"site polygon was invalid ({reason}); repaired with make_valid")
    if site.is_empty or not math.isfinite(site.area) or site.area <= 0:
        return (
            [
                Problem(
                    file=source,
                    feature=site_id,
                    field="geometry",
                    message="expected a polygon with positive area, got an empty or degenerate one",
                )
            ],
            None,
            notes,
        )
    return [], site, notes


def _polygonal(g: Geometry) -> Geometry:
    parts = [q for q in shapely.get_parts(g) if isinstance(q, (shapely.Polygon, shapely.MultiPolygon))]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _empty(kind: str) -> np.ndarray:
    return np.empty(0, dtype=object)


def generate_layout(
    site_polygon_m: Geometry,
    people: int,
    params: LayoutParams | None = None,
    *,
    site_id: str = "site",
    no_build: list[Geometry] | None = None,
    source: str = "site polygon",
) -> CampLayout:
    """Lay out a camp for `people` inside `site_polygon_m` (local metric CRS, metres).

    People beyond what the polygon holds are reported as shortfall (never placed). A polygon too small or
    too thin for one plot gives a layout with 0 people and the reason in summary.notes.
    """
    p = params or LayoutParams()
    site, nb_geoms, notes = _checked_inputs(site_polygon_m, people, p, no_build, site_id, source)
    people = int(people)
    region, usable = _usable_area(site, nb_geoms, p)
    plot_m = plot_side_m(p)
    _check_plot_count(site, plot_m, site_id, source)
    hh = p.household_size
    covered = min(p.covered_area_m2_per_person, max(0.0, plot_m - p.structure_gap_m) ** 2 / hh)

    g, inside, usable_wkb = _fit_site(region, usable, plot_m, p, notes)
    if g is None or not inside.any():
        if not notes or ("cover the whole site" not in notes[-1] and "too thin" not in notes[-1]):
            notes.append(f"site too small or too thin for one {plot_m:.1f} m family plot")
        return _empty_layout(site_id, p, people, plot_m, covered, region, notes, g)

    sl = _slots_cached(usable_wkb, plot_m, p)
    n_slots = len(sl.order)
    need = math.ceil(people / hh)
    # services over every slot (the site's capacity): the same for any number of people, so kept per site
    full = _full_services_cached(usable_wkb, plot_m, p)
    capacity = (n_slots - full.count) * hh
    if need == 0:
        return _empty_layout(site_id, p, people, plot_m, covered, region, notes, g, capacity, n_slots)

    m, svc = _slots_in_use(sl.uv_sorted, need, people, full, p, plot_m)
    housing = _house(g, sl.uv_sorted, m, svc, people, p, plot_m)
    served = _catchments(sl.uv_sorted, housing, svc, p)
    plots, blocks, boxes = _plots_and_blocks(g, sl, sl.order[:m], housing, site_id, plot_m)
    footprint, roads, firebreaks = _roads_and_firebreaks(g, boxes, region, usable, p)
    water, latrines, health, distribution = _service_layers(g, sl.uv_sorted, svc, served, site_id)

    n_plots, held = len(housing.local), housing.held
    max_w = float(served.water_m.max()) if n_plots else None
    max_l = float(served.latrine_m.max()) if n_plots else None
    notes += _shortfall_notes(svc, p, held, people)
    max_run = max(g.ax.max_run_m, g.ay.max_run_m)
    summary = _summary(
        site_id,
        p,
        n_plots,
        n_slots,
        held,
        people,
        capacity,
        served.taps,
        served.stalls,
        served.stalls_female,
        served.stalls_male,
        served.health,
        served.distribution,
        max_w,
        max_l,
        covered,
        float(footprint.area),
        float(region.area),
        plot_m,
        g.angle_deg,
        max_run,
        notes,
    )
    return CampLayout(site_id, p, plots, blocks, roads, firebreaks, water, latrines, health, distribution, summary)


def _checked_inputs(
    site_polygon_m: Any, people: Any, p: LayoutParams, no_build: list[Geometry] | None, site_id: str, source: str
) -> tuple[Geometry, list[Geometry], list[str]]:
    """The site polygon (repaired if invalid), the non-empty no-build geometries and the notes so far; an
    InputError naming every problem."""
    problems = p.problems()
    if isinstance(people, bool) or not isinstance(people, (int, np.integer)) or people < 0:
        problems.append(
            Problem(
                file=source, feature=site_id, field="people", message=f"expected a whole number >= 0, got {people!r}"
            )
        )
    site_problems, site, notes = _validate_site(site_polygon_m, source, site_id)
    problems += site_problems
    nb_geoms = []
    for i, g in enumerate(no_build or []):
        if not isinstance(g, shapely.Geometry):
            problems.append(
                Problem(
                    file=source,
                    feature=f"no_build[{i}]",
                    field="geometry",
                    message=f"expected a geometry, got {type(g).__name__}",
                )
            )
        elif not g.is_empty:
            nb_geoms.append(g if g.is_valid else shapely.make_valid(g))
    if problems:
        raise InputError(problems)
    assert site is not None
    return site, nb_geoms, notes


def _usable_area(site: Geometry, nb_geoms: list[Geometry], p: LayoutParams) -> tuple[Geometry, Geometry]:
    """(region, usable): the site minus the no-build areas, where roads may run, and the region minus the
    perimeter setback, where plots go."""
    region = site
    if nb_geoms:
        nb = np.asarray(nb_geoms, dtype=object)
        areal = shapely.area(nb) > 0
        # lines and points exclude a strip: give them at least a hair's width so no plot straddles them
        buf = np.where(areal, p.no_build_buffer_m, max(p.no_build_buffer_m, 1e-3))
        nb = np.where(buf > 0, shapely.buffer(nb, buf), nb)
        region = _polygonal(shapely.difference(site, shapely.union_all(nb)))
    usable = region
    if p.perimeter_setback_m > 0 and not region.is_empty:
        usable = _polygonal(shapely.buffer(region, -p.perimeter_setback_m, join_style="mitre"))
    return region, usable


def _check_plot_count(site: Geometry, plot_m: float, site_id: str, source: str) -> None:
    """The grid's arrays are sized by the plot count: refuse a site of more than MAX_PLOTS plots."""
    if site.area / plot_m**2 > MAX_PLOTS:
        raise InputError(
            Problem(
                file=source,
                feature=site_id,
                field="plot size",
                message=(
                    f"a {site.area / 1e6:,.1f} km2 site in {plot_m:.2f} m plots is about {site.area / plot_m**2:,.0f} "
                    f"plots; at most {MAX_PLOTS:,} per site: check household_size and the area figures "
                    "(covered_area_m2_per_person, site_area_m2_per_person), or split the site"
                ),
            )
        )


def _fit_site(
    region: Geometry, usable: Geometry, plot_m: float, p: LayoutParams, notes: list[str]
) -> tuple[_Grid | None, np.ndarray, bytes]:
    """The fitted grid, its mask of slots inside `usable` and the WKB that keys the per-site caches; no grid
    (and the reason added to `notes`) when nothing is left to build on."""
    if region.is_empty or region.area <= 0:
        notes.append("no-build areas cover the whole site")
        return None, np.zeros(0, dtype=bool), b""
    if usable.is_empty or usable.area <= 0:
        notes.append(
            f"site too small or too thin for one {plot_m:.1f} m family plot "
            f"inside a {p.perimeter_setback_m:g} m perimeter setback"
        )
        return None, np.zeros(0, dtype=bool), b""
    usable_wkb = shapely.to_wkb(usable)
    g, inside = _fit_cached(usable_wkb, plot_m, p)
    return g, inside, usable_wkb


def _ids(site_id: str, prefix: str, n: int) -> np.ndarray:
    return np.asarray([f"{site_id}-{prefix}{i + 1}" for i in range(n)], dtype=object)


@dataclass
class _BlockBoxes:
    """Grid-frame boxes of the used blocks (m) and the grid columns and rows at their edges."""

    u_lo: np.ndarray
    v_lo: np.ndarray
    u_hi: np.ndarray
    v_hi: np.ndarray
    iu_lo: np.ndarray
    iv_lo: np.ndarray
    iu_hi: np.ndarray
    iv_hi: np.ndarray


def _plots_and_blocks(
    g: _Grid, sl: _Slots, used: np.ndarray, housing: _Housing, site_id: str, plot_m: float
) -> tuple[Features, Features, _BlockBoxes]:
    """The plots and blocks layers; a block is the grid-frame bounding box of its used slots."""
    ub, uinv = np.unique(sl.block_key[used], return_inverse=True)
    iu_u, iv_u = sl.iu[used], sl.iv[used]
    b_iu_lo = np.full(len(ub), np.iinfo(np.int64).max)
    b_iu_hi = np.full(len(ub), -1)
    b_iv_lo = b_iu_lo.copy()
    b_iv_hi = b_iu_hi.copy()
    np.minimum.at(b_iu_lo, uinv, iu_u)
    np.maximum.at(b_iu_hi, uinv, iu_u)
    np.minimum.at(b_iv_lo, uinv, iv_u)
    np.maximum.at(b_iv_hi, uinv, iv_u)
    boxes = _BlockBoxes(
        g.u0 + g.ax.lo[b_iu_lo],
        g.v0 + g.ay.lo[b_iv_lo],
        g.u0 + g.ax.lo[b_iu_hi] + plot_m,
        g.v0 + g.ay.lo[b_iv_hi] + plot_m,
        b_iu_lo,
        b_iv_lo,
        b_iu_hi,
        b_iv_hi,
    )
    house_block = uinv[housing.local]
    block_ids = _ids(site_id, "B", len(ub))
    sector_of_block = np.zeros(len(ub), dtype=np.int64)
    sector_of_block[uinv] = sl.sector_key[used]
    _, sector_rank = np.unique(sector_of_block, return_inverse=True)
    n_plots = len(housing.local)
    plots = Features(
        housing.geometry,
        {
            "plot_id": _ids(site_id, "P", n_plots),
            "block_id": block_ids[house_block],
            "sector": (sector_rank[house_block] + 1).astype(np.int64),
            "people": housing.people,
            "area_m2": np.full(n_plots, plot_m * plot_m),
        },
    )
    blocks = Features(
        _boxes(g, boxes.u_lo, boxes.v_lo, boxes.u_hi, boxes.v_hi),
        {
            "block_id": block_ids,
            "sector": (sector_rank + 1).astype(np.int64),
            "communities": np.asarray(_count_unique_per_group(uinv, sl.comm_key[used]), dtype=np.int64),
            "plots": np.bincount(house_block, minlength=len(ub)).astype(np.int64),
            "people": np.bincount(house_block, weights=housing.people, minlength=len(ub)).astype(np.int64),
        },
    )
    return plots, blocks, boxes


def _roads_and_firebreaks(
    g: _Grid, b: _BlockBoxes, region: Geometry, usable: Geometry, p: LayoutParams
) -> tuple[Geometry, Features, Features]:
    """The camp footprint (used blocks grown by the separators on each side, perimeter road and firebreaks
    included) and its roads and firebreaks layers."""
    edge = max(p.perimeter_setback_m, p.access_road_width_m)
    foot_boxes = _boxes(
        g,
        b.u_lo - _grow(g.ax.gap_before[b.iu_lo], edge),
        b.v_lo - _grow(g.ay.gap_before[b.iv_lo], edge),
        b.u_hi + _grow(g.ax.gap_after[b.iu_hi], edge),
        b.v_hi + _grow(g.ay.gap_after[b.iv_hi], edge),
    )
    footprint = _polygonal(shapely.intersection(shapely.union_all(foot_boxes), region))
    inner = _polygonal(shapely.intersection(footprint, usable))
    roads_g, roads_kind, roads_w, fb_g, fb_w = _separators(
        g, inner, (b.u_lo.min(), b.v_lo.min()), (b.u_hi.max(), b.v_hi.max()), p
    )
    ring = _polygonal(shapely.difference(footprint, usable)) if usable is not region else shapely.Polygon()
    if not ring.is_empty:
        roads_g = np.concatenate([roads_g, np.array([ring], dtype=object)])
        roads_kind = np.append(roads_kind, "perimeter_road").astype(object)
        roads_w = np.append(roads_w, p.perimeter_setback_m)
    roads = Features(roads_g, {"kind": roads_kind, "width_m": roads_w, "area_m2": shapely.area(roads_g)})
    firebreaks = Features(fb_g, {"width_m": fb_w, "area_m2": shapely.area(fb_g)})
    return footprint, roads, firebreaks


def _service_layers(
    g: _Grid, uv_sorted: np.ndarray, svc: _Services, c: _Catchments, site_id: str
) -> tuple[Features, Features, Features, Features]:
    """The water points, latrines, health posts and distribution points layers."""

    def points(idx: np.ndarray) -> np.ndarray:
        x, y = _to_world(g, uv_sorted[idx, 0], uv_sorted[idx, 1])
        return shapely.points(x, y) if len(idx) else _empty("point")

    water = Features(
        points(svc.water), {"point_id": _ids(site_id, "W", len(svc.water)), "taps": c.taps, "people_served": c.water}
    )
    latrines = Features(
        points(svc.latrine),
        {
            "block_id": _ids(site_id, "L", len(svc.latrine)),
            "stalls": c.stalls,
            "stalls_female": c.stalls_female,
            "stalls_male": c.stalls_male,
            "people_served": c.latrine,
        },
    )
    health = Features(points(svc.health), {"post_id": _ids(site_id, "H", len(svc.health)), "people_served": c.health})
    distribution = Features(
        points(svc.dist), {"point_id": _ids(site_id, "D", len(svc.dist)), "people_served": c.distribution}
    )
    return water, latrines, health, distribution


def _count_unique_per_group(group: np.ndarray, value: np.ndarray) -> np.ndarray:
    pair = np.unique(np.stack([group, value], axis=1), axis=0)
    return np.bincount(pair[:, 0], minlength=int(group.max()) + 1)


def _grow(gaps: np.ndarray, edge_m: float) -> np.ndarray:
    """How far a block's footprint reaches past its plots: the separator there, or a road at the grid's edge."""
    return np.where(gaps > 0, gaps, edge_m)


def _separators(
    g: _Grid, footprint: Geometry, lo: tuple[float, float], hi: tuple[float, float], p: LayoutParams
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Road/path and firebreak bands of both axes, clipped to the camp footprint."""
    span = p.firebreak_width_m + p.access_road_width_m
    u_lo, v_lo = lo[0] - span, lo[1] - span
    u_hi, v_hi = hi[0] + span, hi[1] + span
    bands = []
    kinds = []
    for a, off, along in ((g.ax, g.u0, True), (g.ay, g.v0, False)):
        s_lo, s_hi = off + a.sep_lo, off + a.sep_hi
        keep = (s_hi > (u_lo if along else v_lo)) & (s_lo < (u_hi if along else v_hi))
        s_lo, s_hi, k = s_lo[keep], s_hi[keep], a.sep_kind[keep]
        n = len(s_lo)
        if along:
            bands.append(_boxes(g, s_lo, np.full(n, v_lo), s_hi, np.full(n, v_hi)))
        else:
            bands.append(_boxes(g, np.full(n, u_lo), s_lo, np.full(n, u_hi), s_hi))
        kinds.append(k)
    band = np.concatenate(bands) if bands else _empty("polygon")
    kind = np.concatenate(kinds) if kinds else np.empty(0, dtype=str)
    shapely.prepare(footprint)
    hit = shapely.intersects(footprint, band)
    band, kind = band[hit], kind[hit]
    clipped = shapely.intersection(band, footprint)
    clipped = np.asarray([_polygonal(c) for c in clipped], dtype=object) if len(clipped) else clipped
    ok = ~shapely.is_empty(clipped) if len(clipped) else np.zeros(0, dtype=bool)
    clipped, kind = clipped[ok], kind[ok]
    width = np.asarray(
        [
            {"path": p.path_width_m, "access_road": p.access_road_width_m, "firebreak": p.firebreak_width_m}[k]
            for k in kind
        ],
        dtype=float,
    )
    is_fb = kind == "firebreak"
    return (clipped[~is_fb], kind[~is_fb].astype(object), width[~is_fb], clipped[is_fb], width[is_fb])


def _summary(
    site_id: str,
    p: LayoutParams,
    n_plots: int,
    n_slots: int,
    held: int,
    people: int,
    capacity: float,
    taps: np.ndarray,
    stalls: np.ndarray,
    stalls_f: np.ndarray,
    stalls_m: np.ndarray,
    hp_served: np.ndarray,
    dp_served: np.ndarray,
    max_w: float | None,
    max_l: float | None,
    covered: float,
    footprint_m2: float,
    usable_m2: float,
    plot_m: float,
    angle: float,
    max_run: float,
    notes: list[str],
) -> LayoutSummary:
    n_stalls, n_f = int(stalls.sum()), int(stalls_f.sum())
    gross = footprint_m2 / held if held else None
    site_pp = usable_m2 / held if held else None
    eps = 1e-6
    met = {
        "capacity": held >= people,
        "covered_area": covered >= p.covered_area_m2_per_person - eps,
        "site_area": gross is not None and gross >= p.site_area_m2_per_person - eps,
        "firebreaks": max_run <= p.firebreak_interval_m + eps,
        "water_ratio": int(taps.sum()) * p.people_per_tap >= held,
        "water_distance": held == 0 or (max_w is not None and max_w <= p.max_distance_to_water_m + eps),
        "latrine_ratio": n_stalls * p.people_per_latrine >= held,
        "latrine_female_share": n_stalls == 0 or n_f >= p.latrine_female_share * n_stalls - eps,
        "latrine_distance": held == 0 or (max_l is not None and max_l <= p.max_distance_to_latrine_m + eps),
        "health_posts": len(hp_served) * p.people_per_health_post >= held,
        "distribution_points": len(dp_served) * p.people_per_distribution_point >= held,
    }
    return LayoutSummary(
        site_id=site_id,
        plots=n_plots,
        slots=n_slots,
        people=held,
        people_requested=people,
        shortfall=max(0, people - held),
        capacity=capacity,
        taps=int(taps.sum()),
        taps_required=math.ceil(held / p.people_per_tap),
        water_points=len(taps),
        latrines_required=math.ceil(held / p.people_per_latrine),
        latrines=n_stalls,
        latrines_female=n_f,
        latrines_male=int(stalls_m.sum()),
        latrine_blocks=len(stalls),
        health_posts=len(hp_served),
        distribution_points=len(dp_served),
        max_plot_to_water_m=None if max_w is None else round(max_w, 2),
        max_plot_to_latrine_m=None if max_l is None else round(max_l, 2),
        max_people_per_health_post=int(hp_served.max()) if len(hp_served) else 0,
        max_people_per_distribution_point=int(dp_served.max()) if len(dp_served) else 0,
        covered_m2_per_person=round(covered, 3),
        gross_m2_per_person=None if gross is None else round(gross, 2),
        site_m2_per_person=None if site_pp is None else round(site_pp, 2),
        plot_side_m=round(plot_m, 3),
        orientation_deg=round(angle, 3),
        max_built_up_run_m=round(max_run, 2),
        distance_metric="grid (L1 along the plot grid)" if p.distance_metric == "grid" else "straight line",
        standards_met=met,
        notes=notes,
    )


def _empty_layout(
    site_id: str,
    p: LayoutParams,
    people: int,
    plot_m: float,
    covered: float,
    usable: Geometry,
    notes: list[str],
    g: _Grid | None,
    capacity: float = 0,
    n_slots: int = 0,
) -> CampLayout:
    e = np.empty(0, dtype=object)
    z = np.empty(0, dtype=np.int64)
    f = np.empty(0, dtype=float)
    summary = _summary(
        site_id,
        p,
        0,
        n_slots,
        0,
        people,
        capacity,
        z,
        z,
        z,
        z,
        z,
        z,
        None,
        None,
        covered,
        0.0,
        float(usable.area) if not usable.is_empty else 0.0,
        plot_m,
        g.angle_deg if g is not None else 0.0,
        0.0,
        notes,
    )
    return CampLayout(
        site_id,
        p,
        Features(e, {"plot_id": e, "block_id": e, "sector": z, "people": z, "area_m2": f}),
        Features(e, {"block_id": e, "sector": z, "communities": z, "plots": z, "people": z}),
        Features(e, {"kind": e, "width_m": f, "area_m2": f}),
        Features(e, {"width_m": f, "area_m2": f}),
        Features(e, {"point_id": e, "taps": z, "people_served": z}),
        Features(e, {"block_id": e, "stalls": z, "stalls_female": z, "stalls_male": z, "people_served": z}),
        Features(e, {"post_id": e, "people_served": z}),
        Features(e, {"point_id": e, "people_served": z}),
        summary,
    )


def layout_capacity(
    site_polygon_m: Geometry,
    params: LayoutParams | None = None,
    no_build: list[Geometry] | None = None,
    *,
    site_id: str = "site",
    source: str = "site polygon",
) -> float:
    """People the polygon can hold with a full layout (plots minus service slots, times household size)."""
    lay = generate_layout(site_polygon_m, 0, params, site_id=site_id, no_build=no_build, source=source)
    return lay.summary.capacity
