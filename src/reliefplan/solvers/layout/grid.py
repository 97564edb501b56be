"""Camp layout: the modular grid. Two 1-D sequences (columns and rows of plots with the paths, access roads and
firebreaks between them) whose product is the grid, the plot side that gives the standard's m² per person, and
the orientation and phase that fit the most plot-sized slots inside the usable polygon (remembered per site)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely

from .model import Geometry, LayoutParams

# --------------------------------------------------------------------------------------------------
# the 1-D grid sequence
# --------------------------------------------------------------------------------------------------


@dataclass
class _Axis:
    lo: np.ndarray  # start of each plot column (m from the axis origin)
    comm: np.ndarray  # community index along the axis
    block: np.ndarray  # block index along the axis (a firebreak always starts a new block)
    gap_before: np.ndarray  # width of the separator before each column (0: adjacent plot)
    gap_after: np.ndarray
    sep_lo: np.ndarray  # separators: start, end, kind
    sep_hi: np.ndarray
    sep_kind: np.ndarray  # "path" | "access_road" | "firebreak"
    max_run_m: float  # longest built-up run between firebreaks


def _axis(
    length_m: float, plot_m: float, plots_per_comm: int, run_plots: int, comms_per_block: int, p: LayoutParams
) -> _Axis:
    """Columns and separators along one axis from 0 to length_m (a loop over columns of one axis, not plots)."""
    path, road, fb, interval = p.path_width_m, p.access_road_width_m, p.firebreak_width_m, p.firebreak_interval_m
    n_inner = math.ceil(plots_per_comm / run_plots) - 1
    comm_w = plots_per_comm * plot_m + n_inner * path
    block_w = comms_per_block * comm_w + (comms_per_block - 1) * path
    lo: list[float] = []
    comm: list[int] = []
    block: list[int] = []
    gap_b: list[float] = []
    seps: list[tuple[float, float, str]] = []
    pos = run = max_run = 0.0
    c = b = -1
    in_block = 0
    while pos < length_m:
        gap = 0.0
        if c < 0:
            b = 0
        else:
            if in_block >= comms_per_block:
                kind = "firebreak" if run + road + block_w > interval else "access_road"
            else:
                kind = "firebreak" if run + path + comm_w > interval else "path"
            gap = {"path": path, "access_road": road, "firebreak": fb}[kind]
            seps.append((pos, pos + gap, kind))
            pos += gap
            if kind == "firebreak":
                run = 0.0
            else:
                run += gap
            if kind != "path":
                b += 1
                in_block = 0
        c += 1
        in_block += 1
        for k in range(plots_per_comm):
            if k > 0 and k % run_plots == 0:
                seps.append((pos, pos + path, "path"))
                pos += path
                gap = path
            lo.append(pos)
            comm.append(c)
            block.append(b)
            gap_b.append(gap)
            gap = 0.0
            pos += plot_m
        run += comm_w
        max_run = max(max_run, run)
    lo_a = np.asarray(lo, dtype=float)
    gap_before = np.asarray(gap_b, dtype=float)
    if len(lo_a) == 0:
        return _Axis(
            lo_a,
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            gap_before,
            gap_before,
            np.zeros(0),
            np.zeros(0),
            np.zeros(0, dtype=str),
            0.0,
        )
    gap_after = np.append(gap_before[1:], 0.0)
    s = np.asarray(seps, dtype=object).reshape(-1, 3)
    return _Axis(
        lo_a,
        np.asarray(comm),
        np.asarray(block),
        gap_before,
        gap_after,
        s[:, 0].astype(float),
        s[:, 1].astype(float),
        s[:, 2].astype(str),
        max_run,
    )


def _split2(n: int) -> tuple[int, int]:
    """n units as a near-square grid (along x, along y)."""
    nx = max(1, round(math.sqrt(n)))
    return nx, max(1, math.ceil(n / nx))


def _axes_shape(p: LayoutParams) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    return _split2(p.community_households), _split2(p.block_communities), _split2(p.sector_blocks)


def _plot_fraction(plot_m: float, p: LayoutParams) -> float:
    """Share of a long stretch of ground (both axes) covered by plot slots."""
    (cx, cy), (bx, by), _ = _axes_shape(p)
    length = max(20 * p.firebreak_interval_m, 6000.0)
    ax = _axis(length, plot_m, cx, cx, bx, p)
    ay = _axis(length, plot_m, cy, 2, by, p)
    fx = len(ax.lo) * plot_m / (ax.lo[-1] + plot_m)
    fy = len(ay.lo) * plot_m / (ay.lo[-1] + plot_m)
    return fx * fy


def shelter_side_m(p: LayoutParams) -> float:
    """Side of a square shelter giving the household its covered area."""
    return math.sqrt(p.covered_area_m2_per_person * p.household_size)


@lru_cache(maxsize=64)
def plot_side_m(p: LayoutParams) -> float:
    """Side of the square family plot (m): explicit plot_area_m2, or the side at which the modular grid
    (plots, paths, roads, firebreaks, service slots) gives site_area_m2_per_person; never smaller than the
    shelter plus the structure gap."""
    min_side = shelter_side_m(p) + p.structure_gap_m
    if p.plot_area_m2 is not None:
        return math.sqrt(p.plot_area_m2)
    # m² of ground per slot; 2 % design margin so that edge effects do not push a full site below the figure
    target = p.household_size * p.site_area_m2_per_person * (1.0 - p.service_slot_share) * 1.02

    def excess(s: float) -> float:
        return s * s / _plot_fraction(s, p) - target

    lo, hi = min_side, max(min_side, math.sqrt(target))
    if excess(lo) >= 0:
        return lo
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if excess(mid) < 0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


# --------------------------------------------------------------------------------------------------
# fitting the grid into the polygon
# --------------------------------------------------------------------------------------------------


@dataclass
class _Grid:
    angle_deg: float
    origin: np.ndarray  # world xy of grid (0, 0)
    ax: _Axis
    ay: _Axis
    u0: float  # grid-frame offset of the axis origins
    v0: float
    plot_m: float


def _rot(angle_deg: float) -> tuple[float, float]:
    a = math.radians(angle_deg)
    return math.cos(a), math.sin(a)


def _to_world(g: _Grid, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c, s = _rot(g.angle_deg)
    return g.origin[0] + c * u - s * v, g.origin[1] + s * u + c * v


def _to_grid(angle_deg: float, origin: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c, s = _rot(angle_deg)
    dx, dy = x - origin[0], y - origin[1]
    return c * dx + s * dy, -s * dx + c * dy


def _long_axes(usable: Geometry, plot_m: float, p: LayoutParams) -> tuple[_Axis, _Axis]:
    """Both axis sequences, long enough for any orientation and phase (each grid uses a prefix)."""
    (cx, cy), (bx, by), _ = _axes_shape(p)
    x0, y0, x1, y1 = usable.bounds
    reach = math.hypot(x1 - x0, y1 - y0)
    ax = _axis(reach, plot_m, cx, cx, bx, p)
    ay = _axis(reach, plot_m, cy, 2, by, p)
    pad_u, pad_v = 2 * _period(ax, plot_m), 2 * _period(ay, plot_m)
    return _axis(reach + pad_u, plot_m, cx, cx, bx, p), _axis(reach + pad_v, plot_m, cy, 2, by, p)


def _prefix(a: _Axis, length_m: float) -> _Axis:
    """The columns of an axis sequence up to length_m, completing the last community (max_run_m stays the
    pattern's longest run between firebreaks)."""
    n = int(np.searchsorted(a.lo, length_m, side="left"))
    n = len(a.lo) if n >= len(a.lo) else max(n, 1)
    # _axis completes the community it is in when it passes length_m
    n = int(np.searchsorted(a.comm, a.comm[n - 1], side="right"))
    end = a.lo[n - 1]
    k = int(np.searchsorted(a.sep_lo, end, side="left"))
    return _Axis(
        a.lo[:n],
        a.comm[:n],
        a.block[:n],
        a.gap_before[:n],
        np.append(a.gap_before[1:n], 0.0),
        a.sep_lo[:k],
        a.sep_hi[:k],
        a.sep_kind[:k],
        a.max_run_m,
    )


def _make_grid(
    usable: Geometry,
    angle_deg: float,
    phase_u: float,
    phase_v: float,
    plot_m: float,
    p: LayoutParams,
    origin: np.ndarray,
    axes: tuple[_Axis, _Axis],
) -> _Grid:
    xy = shapely.get_coordinates(usable)
    u, v = _to_grid(angle_deg, origin, xy[:, 0], xy[:, 1])
    u0, v0 = float(u.min()) - phase_u, float(v.min()) - phase_v
    ax = _prefix(axes[0], float(u.max()) - u0)
    ay = _prefix(axes[1], float(v.max()) - v0)
    return _Grid(angle_deg, origin, ax, ay, u0, v0, plot_m)


def _centres(g: _Grid, stride: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Grid-frame centres of every candidate slot (optionally every stride-th column and row)."""
    iu = np.arange(0, len(g.ax.lo), stride)
    iv = np.arange(0, len(g.ay.lo), stride)
    IU2, IV2 = np.meshgrid(iu, iv, indexing="ij")
    IU, IV = IU2.ravel(), IV2.ravel()
    half = g.plot_m / 2
    return g.u0 + g.ax.lo[IU] + half, g.v0 + g.ay.lo[IV] + half, IU, IV


def _inside(g: _Grid, u: np.ndarray, v: np.ndarray, geoms: tuple[Geometry, Geometry, Geometry]) -> np.ndarray:
    """Which slots centred at grid-frame (u, v) lie fully inside the usable area: centres deep inside are sure,
    centres near the edge are tested exactly as boxes."""
    usable, er_out, er_in = geoms
    half = g.plot_m / 2
    x, y = _to_world(g, u, v)
    inside = shapely.contains_xy(er_out, x, y)
    rest = np.flatnonzero(~inside)  # only these can be near the edge
    maybe = rest[shapely.contains_xy(er_in, x[rest], y[rest])]
    if len(maybe):
        boxes = _boxes(g, u[maybe] - half, v[maybe] - half, u[maybe] + half, v[maybe] + half)
        inside[maybe] = shapely.contains(usable, boxes)
    return inside


def _score(g: _Grid, geoms: tuple[Geometry, Geometry, Geometry], budget: int = 25_000) -> float:
    """Slots that fit (estimated from every stride-th column and row when there are many)."""
    n = len(g.ax.lo) * len(g.ay.lo)
    stride = max(1, math.ceil(math.sqrt(n / budget)))
    u, v, _, _ = _centres(g, stride)
    return float(_inside(g, u, v, geoms).sum()) * stride * stride


def _fit(usable: Geometry, plot_m: float, p: LayoutParams) -> tuple[_Grid, np.ndarray]:
    """Choose orientation and phase with the most slots; return the grid and a mask of the slots that fit."""
    half = plot_m / 2
    r_in, r_out = half, half * math.sqrt(2)
    # negative buffers approximate arcs by chords: pad so "sure" stays sure and "necessary" stays necessary
    er_out = shapely.buffer(usable, -(r_out * 1.01 + 1e-3), quad_segs=8)
    er_in = shapely.buffer(usable, -(r_in * 0.99 - 1e-3), quad_segs=8) if r_in * 0.99 > 1e-3 else usable
    geoms = (usable, er_out, er_in)
    for geom in geoms:
        shapely.prepare(geom)
    c = usable.centroid
    origin = np.array([c.x, c.y])
    axes = _long_axes(usable, plot_m, p)
    if p.orientation_deg is not None:
        angles = [float(p.orientation_deg) % 180.0]
    else:
        mrr = shapely.get_coordinates(shapely.minimum_rotated_rectangle(usable))
        a0 = math.degrees(math.atan2(mrr[1, 1] - mrr[0, 1], mrr[1, 0] - mrr[0, 0])) % 90.0 if len(mrr) >= 3 else 0.0
        angles = [0.0, a0, a0 + 90.0] + [float(a) for a in range(15, 180, 15)]
        dedup: list[float] = []
        for a in angles:
            a %= 180.0
            if all(min(abs(a - b), 180 - abs(a - b)) > 0.5 for b in dedup):
                dedup.append(a)
        angles = dedup
    g0 = _make_grid(usable, 0.0, 0.0, 0.0, plot_m, p, origin, axes)
    period_u, period_v = _period(g0.ax, plot_m), _period(g0.ay, plot_m)

    # every angle at phase 0; coarse phases for the three best angles (where the firebreaks fall matters as
    # much as the angle); then refine the phase of the best
    def score(a: float, fu: float, fv: float) -> float:
        return _score(_make_grid(usable, a, fu * period_u, fv * period_v, plot_m, p, origin, axes), geoms)

    scored = sorted(((score(a, 0.0, 0.0), -i, a, 0.0, 0.0) for i, a in enumerate(angles)), reverse=True)
    if p.search_phase:
        scored += [
            (score(a, fu, fv), -i, a, fu, fv)
            for _, i, a, _, _ in scored[:3]
            for fu, fv in ((0.5, 0.0), (0.0, 0.5), (0.5, 0.5))
        ]
    _, _, best, fu0, fv0 = max(scored)
    pu, pv = fu0 * period_u, fv0 * period_v
    if p.search_phase:
        fr = (fu0, fu0 + 0.25, fu0 + 0.5, fu0 + 0.75)
        pu = max(
            (f * period_u for f in fr),
            key=lambda ph: _score(_make_grid(usable, best, ph, pv, plot_m, p, origin, axes), geoms),
        )
        fr = (fv0, fv0 + 0.25, fv0 + 0.5, fv0 + 0.75)
        pv = max(
            (f * period_v for f in fr),
            key=lambda ph: _score(_make_grid(usable, best, pu, ph, plot_m, p, origin, axes), geoms),
        )
    g = _make_grid(usable, best, pu, pv, plot_m, p, origin, axes)
    u, v, _, _ = _centres(g)
    return g, _inside(g, u, v, geoms)


# Room for every site of a large scenario: with 32 entries the Rafah example's 93 sites evicted each other
# between the capacity stage and the layouts, so every plan fitted each site twice (1.4 s).
@lru_cache(maxsize=1024)
def _fit_cached(usable_wkb: bytes, plot_m: float, p: LayoutParams) -> tuple[_Grid, np.ndarray]:
    """_fit, remembered: siting asks for a site's capacity, then lays the same site out for its people."""
    g, inside = _fit(shapely.from_wkb(usable_wkb), plot_m, p)
    inside.setflags(write=False)
    return g, inside


@dataclass(frozen=True)
class _Slots:
    """The fitted slots of a site in fill order, with the community, block and sector each belongs to."""

    iu: np.ndarray
    iv: np.ndarray
    comm_key: np.ndarray
    block_key: np.ndarray
    sector_key: np.ndarray
    order: np.ndarray  # fill order (indices into the fitted slots)
    uv_sorted: np.ndarray  # grid-frame centres (m) in fill order


def _fill_order(g: _Grid, inside: np.ndarray, p: LayoutParams) -> _Slots:
    """Whole blocks nearest the middle of the fitted slots first, whole communities within a block."""
    u_all, v_all, iu_all, iv_all = _centres(g)
    u, v, iu, iv = u_all[inside], v_all[inside], iu_all[inside], iv_all[inside]
    (_, _), (_, _), (sx, sy) = _axes_shape(p)
    comm_key = g.ax.comm[iu].astype(np.int64) * (int(g.ay.comm.max()) + 1) + g.ay.comm[iv]
    bu, bv = g.ax.block[iu], g.ay.block[iv]
    block_key = bu.astype(np.int64) * (int(g.ay.block.max()) + 1) + bv
    sector_key = (bu // sx).astype(np.int64) * (int(g.ay.block.max()) // sy + 1) + bv // sy
    _, binv = np.unique(block_key, return_inverse=True)
    bcnt = np.bincount(binv)
    bu_c, bv_c = np.bincount(binv, u) / bcnt, np.bincount(binv, v) / bcnt
    bdist = np.hypot(bu_c - np.median(u), bv_c - np.median(v))
    order = np.lexsort((iv, iu, comm_key, bdist[binv]))
    return _Slots(iu, iv, comm_key, block_key, sector_key, order, np.stack([u[order], v[order]], axis=1))


@lru_cache(maxsize=1024)
def _slots_cached(usable_wkb: bytes, plot_m: float, p: LayoutParams) -> _Slots:
    """_fill_order of the remembered fit: it depends on the site only, not on the people laid out."""
    sl = _fill_order(*_fit_cached(usable_wkb, plot_m, p), p)
    for a in (sl.iu, sl.iv, sl.comm_key, sl.block_key, sl.sector_key, sl.order, sl.uv_sorted):
        a.setflags(write=False)
    return sl


def _period(a: _Axis, plot_m: float) -> float:
    """Length of one repeat of the axis pattern (block plus its following separator)."""
    starts = a.lo[np.flatnonzero(np.diff(a.block, prepend=a.block[0] - 1))]
    return float(starts[1] - starts[0]) if len(starts) > 1 else float(a.lo[-1] + plot_m)


def _boxes(g: _Grid, u_lo: np.ndarray, v_lo: np.ndarray, u_hi: np.ndarray, v_hi: np.ndarray) -> np.ndarray:
    """World polygons of grid-frame rectangles (vectorised)."""
    uu = np.stack([u_lo, u_hi, u_hi, u_lo, u_lo], axis=1)
    vv = np.stack([v_lo, v_lo, v_hi, v_hi, v_lo], axis=1)
    x, y = _to_world(g, uu, vv)
    return shapely.polygons(np.stack([x, y], axis=-1))
