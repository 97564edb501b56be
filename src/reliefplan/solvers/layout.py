"""Camp layout: a modular tent-camp plan inside a site polygon, with services placed so the standards hold.

The plan follows UNHCR modular planning: family plots (one household, its shelter and the space around it)
grouped into communities (16 plots, 4 x 4, with a path between the second and third row so that every plot
fronts a path), blocks (16 communities, 4 x 4, paths between communities, access roads between blocks) and
sectors (2 x 2 blocks). Firebreaks replace the access road (or, if a block is longer than the firebreak
interval, a community path) wherever the built-up run since the last firebreak would otherwise exceed the
interval (Sphere: 30 m every 300 m); a perimeter road runs inside the site edge. The grid is the
product of two 1-D sequences (columns and rows), so plots, paths, roads and firebreaks never overlap by construction.

Every plot is a candidate slot; latrine blocks, water points, health posts and distribution points take
slots too, and the households live in the rest. Distances are measured plot centre to service centre,
by default along the grid (L1 in the grid frame, a walking proxy on the orthogonal path network; always
at least the straight-line distance), or straight-line with ``distance_metric="euclidean"``.

All geometry is in a local metric CRS (metres); ``write_layout_gpkg`` reprojects to WGS84.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field, fields, replace
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import numpy as np
import shapely
from scipy.cluster.vq import kmeans2
from scipy.spatial import cKDTree

from .._errors import InputError, Problem

if TYPE_CHECKING:  # pragma: no cover
    from pyproj import CRS

    from ..standards import Standards

Geometry: TypeAlias = shapely.Geometry
_SHRINK = 0.25  # share of a plot pitch the seed cells shrink by (measured: fewest blocks after repair)
MAX_PLOTS = 500_000  # family plots per site (2.5 million people, 70-110 km2 at Sphere figures): beyond, a mistake

LAYERS = ("plots", "blocks", "roads", "firebreaks", "water_points", "latrines", "health_posts",
          "distribution_points")


# --------------------------------------------------------------------------------------------------
# parameters
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LayoutParams:
    """Planning figures for one camp layout (units in the names). Defaults: Sphere 2018 + UNHCR modular planning."""

    household_size: int = 5                      # people per family plot; UNHCR modular planning (family ~5)
    covered_area_m2_per_person: float = 3.5      # Sphere 2018, shelter and settlement standard 3
    site_area_m2_per_person: float = 45.0        # Sphere 2018, shelter std 2: plots+roads+services+firebreaks
    plot_area_m2: float | None = None            # gross family plot; None: derived from site_area_m2_per_person
    service_slot_share: float = 1 / 12           # expected share of slots taken by services, used in that derivation
    structure_gap_m: float = 2.0                 # Sphere 2018, shelter std 2 (>= 2 m between structures; verify)
    community_households: int = 16               # UNHCR: community = 16 families
    block_communities: int = 16                  # UNHCR: block = 16 communities
    sector_blocks: int = 4                       # UNHCR: sector = 4 blocks
    path_width_m: float = 3.0                    # footpath between communities/plot rows (planning choice; verify)
    access_road_width_m: float = 10.0            # access road between blocks, incl. drainage (planning choice; verify)
    firebreak_width_m: float = 30.0              # Sphere 2018 shelter std 2: 30 m ... (verify); UNHCR 1999: 50 m
    firebreak_interval_m: float = 300.0          # ... every 300 m of built-up area
    people_per_tap: int = 250                    # Sphere 2018 WASH water supply std 2.1 (tap at 7.5 L/min)
    taps_per_water_point_max: int = 6            # tapstand size (planning choice)
    max_distance_to_water_m: float = 500.0       # Sphere 2018 WASH 2.1; UNHCR 1999: 100 m
    people_per_latrine: int = 50                 # Sphere 2018 WASH excreta std 2: 1:50 first phase, 1:20 medium term
    latrine_female_share: float = 0.75           # Sphere 2018 WASH excreta std 2: female:male 3:1
    max_distance_to_latrine_m: float = 50.0      # Sphere 2018 WASH excreta std 2, p. 117
    latrine_block_max_stalls: int = 20           # stalls one plot-sized latrine block can hold (planning choice)
    people_per_health_post: int = 10_000         # Sphere 2018 health systems std 1.1 (primary health unit; verify)
    people_per_distribution_point: int = 5_000   # UNHCR Emergency Handbook service ratios (verify)
    no_build_buffer_m: float = 0.0               # extra clearance around every no-build geometry
    perimeter_setback_m: float = 10.0            # perimeter road / drainage inside the site edge (planning choice)
    distance_metric: Literal["grid", "euclidean"] = "grid"
    orientation_deg: float | None = None         # None: search the orientation that fits the most plots
    search_phase: bool = True                    # also try shifting the grid origin

    @classmethod
    def from_standards(cls, standards: Standards, *, latrine_phase: Literal["acute", "medium"] = "acute",
                       **overrides: Any) -> LayoutParams:
        """Fill the figures a standards profile has (same keys), then apply explicit overrides."""
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key in known:
            if key in standards.figures:
                values[key] = standards.value(key)
        if latrine_phase == "acute" and "people_per_latrine_acute" in standards.figures:
            values["people_per_latrine"] = standards.value("people_per_latrine_acute")
        for key in ("household_size", "community_households", "block_communities", "sector_blocks",
                    "people_per_tap", "people_per_latrine", "people_per_health_post",
                    "people_per_distribution_point", "taps_per_water_point_max", "latrine_block_max_stalls"):
            if key in values:
                values[key] = int(round(values[key]))
        values.update(overrides)
        return cls(**values)

    def problems(self, source: str = "LayoutParams") -> list[Problem]:
        """Every figure that is out of range, each naming its field."""
        out: list[Problem] = []
        positive = ("household_size", "covered_area_m2_per_person", "site_area_m2_per_person", "community_households",
                    "block_communities", "sector_blocks", "firebreak_interval_m", "people_per_tap",
                    "taps_per_water_point_max", "max_distance_to_water_m", "people_per_latrine",
                    "max_distance_to_latrine_m", "latrine_block_max_stalls", "people_per_health_post",
                    "people_per_distribution_point")
        non_negative = ("structure_gap_m", "path_width_m", "access_road_width_m", "firebreak_width_m",
                        "no_build_buffer_m", "perimeter_setback_m")
        for name in positive:
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) or v <= 0:
                out.append(Problem(file=source, field=name, message=f"expected a positive number, got {v!r}"))
        for name in non_negative:
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) or v < 0:
                out.append(Problem(file=source, field=name, message=f"expected a non-negative number, got {v!r}"))
        if self.plot_area_m2 is not None and not (self.plot_area_m2 > 0 and math.isfinite(self.plot_area_m2)):
            out.append(Problem(file=source, field="plot_area_m2",
                               message=f"expected a positive number or None, got {self.plot_area_m2!r}"))
        if not 0 <= self.latrine_female_share <= 1:
            out.append(Problem(file=source, field="latrine_female_share",
                               message=f"expected a share in [0, 1], got {self.latrine_female_share!r}"))
        if not 0 <= self.service_slot_share < 1:
            out.append(Problem(file=source, field="service_slot_share",
                               message=f"expected a share in [0, 1), got {self.service_slot_share!r}"))
        if self.distance_metric not in ("grid", "euclidean"):
            out.append(Problem(file=source, field="distance_metric",
                               message=f"expected 'grid' or 'euclidean', got {self.distance_metric!r}"))
        return out


# Built-in presets for the CLI's --profile when no standards data is at hand. The pipeline should use
# LayoutParams.from_standards(load_standards(profile)) so that every figure carries its source.
PRESETS: dict[str, LayoutParams] = {
    "sphere-2018": LayoutParams(),
    # UNHCR Emergency Handbook / 1999 handbook variants (all flagged "verify" in STANDARDS.md)
    "unhcr-emergency": LayoutParams(max_distance_to_water_m=100.0, people_per_tap=80, firebreak_width_m=50.0),
}


def params_for_profile(profile: str, **overrides: Any) -> LayoutParams:
    """LayoutParams for a standards profile: from the standards data if it loads, else from PRESETS."""
    try:
        from ..standards import load_standards

        return LayoutParams.from_standards(load_standards(profile), **overrides)
    except InputError:
        if profile not in PRESETS:
            raise InputError(Problem(file="command line", field="profile", message=(
                f"unknown profile '{profile}'; expected one of {sorted(PRESETS)}"))) from None
        return replace(PRESETS[profile], **overrides)


# --------------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------------

@dataclass
class Features:
    """One layer: geometries (local metric CRS) and attribute columns of the same length."""

    geometry: np.ndarray
    attributes: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(len(self.geometry))


@dataclass
class LayoutSummary:
    site_id: str
    plots: int                       # family plots housing people
    slots: int                       # plot-sized slots that fit (plots + service slots, used or not)
    people: int                      # people the layout holds (capacity truth)
    people_requested: int
    shortfall: int                   # people requested that have no plot
    capacity: int                    # people the whole site could hold with this layout
    taps: int
    taps_required: int               # ceil(people / people_per_tap): the ratio alone
    water_points: int
    latrines: int                    # latrine stalls (drop holes)
    latrines_female: int
    latrines_male: int
    latrines_required: int           # ceil(people / people_per_latrine): the ratio alone (distance needs more)
    latrine_blocks: int
    health_posts: int
    distribution_points: int
    max_plot_to_water_m: float | None
    max_plot_to_latrine_m: float | None
    max_people_per_health_post: int
    max_people_per_distribution_point: int
    covered_m2_per_person: float
    gross_m2_per_person: float | None    # footprint of used blocks incl. their roads/firebreaks, per person held
    site_m2_per_person: float | None     # whole usable site area per person held
    plot_side_m: float
    orientation_deg: float
    max_built_up_run_m: float
    distance_metric: str
    standards_met: dict[str, bool]
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class CampLayout:
    """A camp plan: layers in the local metric CRS plus the summary figures."""

    site_id: str
    params: LayoutParams
    plots: Features
    blocks: Features
    roads: Features
    firebreaks: Features
    water_points: Features
    latrines: Features
    health_posts: Features
    distribution_points: Features
    summary: LayoutSummary

    def layer(self, name: str) -> Features:
        return getattr(self, name)


# --------------------------------------------------------------------------------------------------
# the 1-D grid sequence
# --------------------------------------------------------------------------------------------------

@dataclass
class _Axis:
    lo: np.ndarray          # start of each plot column (m from the axis origin)
    comm: np.ndarray        # community index along the axis
    block: np.ndarray       # block index along the axis (a firebreak always starts a new block)
    gap_before: np.ndarray  # width of the separator before each column (0: adjacent plot)
    gap_after: np.ndarray
    sep_lo: np.ndarray      # separators: start, end, kind
    sep_hi: np.ndarray
    sep_kind: np.ndarray    # "path" | "access_road" | "firebreak"
    max_run_m: float        # longest built-up run between firebreaks


def _axis(length_m: float, plot_m: float, plots_per_comm: int, run_plots: int, comms_per_block: int,
          p: LayoutParams) -> _Axis:
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
        return _Axis(lo_a, np.zeros(0, np.int64), np.zeros(0, np.int64), gap_before, gap_before,
                     np.zeros(0), np.zeros(0), np.zeros(0, dtype=str), 0.0)
    gap_after = np.append(gap_before[1:], 0.0)
    s = np.asarray(seps, dtype=object).reshape(-1, 3)
    return _Axis(lo_a, np.asarray(comm), np.asarray(block), gap_before, gap_after,
                 s[:, 0].astype(float), s[:, 1].astype(float), s[:, 2].astype(str), max_run)


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
    origin: np.ndarray       # world xy of grid (0, 0)
    ax: _Axis
    ay: _Axis
    u0: float                # grid-frame offset of the axis origins
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
    return _Axis(a.lo[:n], a.comm[:n], a.block[:n], a.gap_before[:n], np.append(a.gap_before[1:n], 0.0),
                 a.sep_lo[:k], a.sep_hi[:k], a.sep_kind[:k], a.max_run_m)


def _make_grid(usable: Geometry, angle_deg: float, phase_u: float, phase_v: float, plot_m: float,
               p: LayoutParams, origin: np.ndarray, axes: tuple[_Axis, _Axis]) -> _Grid:
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
    maybe = np.flatnonzero(~inside & shapely.contains_xy(er_in, x, y))
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
        scored += [(score(a, fu, fv), -i, a, fu, fv) for _, i, a, _, _ in scored[:3]
                   for fu, fv in ((0.5, 0.0), (0.0, 0.5), (0.5, 0.5))]
    _, _, best, fu0, fv0 = max(scored)
    pu, pv = fu0 * period_u, fv0 * period_v
    if p.search_phase:
        fr = (fu0, fu0 + 0.25, fu0 + 0.5, fu0 + 0.75)
        pu = max((f * period_u for f in fr),
                 key=lambda ph: _score(_make_grid(usable, best, ph, pv, plot_m, p, origin, axes), geoms))
        fr = (fv0, fv0 + 0.25, fv0 + 0.5, fv0 + 0.75)
        pv = max((f * period_v for f in fr),
                 key=lambda ph: _score(_make_grid(usable, best, pu, ph, plot_m, p, origin, axes), geoms))
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
    order: np.ndarray       # fill order (indices into the fitted slots)
    uv_sorted: np.ndarray   # grid-frame centres (m) in fill order


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


@lru_cache(maxsize=1024)
def _full_services_cached(usable_wkb: bytes, plot_m: float, p: LayoutParams) -> _Services:
    """Services over every fitted slot of a site. Independent of the people: with a target of at least the
    slots' capacity, health and distribution points follow the free slots. The capacity stage lays each site
    out for 0 people and the plan (or each ensemble member) lays it out again, so this runs once per site."""
    sl = _slots_cached(usable_wkb, plot_m, p)
    svc = _place_services(sl.uv_sorted, len(sl.order) * p.household_size, p, plot_m)
    for a in (svc.latrine, svc.water, svc.health, svc.dist):
        a.setflags(write=False)
    return svc


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


# --------------------------------------------------------------------------------------------------
# service placement
# --------------------------------------------------------------------------------------------------

def _cover(uv: np.ndarray, allowed: np.ndarray, radius: float | None, cap_slots: float | None, p_norm: float,
           pitch_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Choose service slots among `allowed` so that every point is within `radius` of one (p_norm metric) and
    no service has more than `cap_slots` points nearest to it. Returns (chosen indices, uncoverable indices).

    Seeds one slot per grid cell (cell small enough for the radius and the capacity), then repairs coverage
    greedily (the candidate that covers the most uncovered points), then splits overloaded services.
    """
    n = len(uv)
    if n == 0 or not allowed.any():
        return np.empty(0, dtype=np.int64), np.arange(n)
    # Seed cells: an L1 ball is a square of side 2r in the (u+v, u-v) frame, so tile that frame; an L2 ball
    # contains the square of side r*sqrt(2). Shrink a little: the slot nearest a cell's middle is off-centre
    # (the repair below catches what the shrink misses).
    st = np.stack([uv[:, 0] + uv[:, 1], uv[:, 0] - uv[:, 1]], axis=1) if p_norm == 1 else uv
    sides = []
    if radius is not None:
        sides.append(max(pitch_m, 2 * (radius - _SHRINK * pitch_m)) if p_norm == 1 else
                     max(pitch_m, math.sqrt(2) * (radius - pitch_m / 2)))
    if cap_slots is not None:
        # a cell of area cap_slots * pitch² holds at most cap_slots slots (st-frame areas are doubled for L1)
        a = cap_slots * pitch_m * pitch_m * (2.0 if p_norm == 1 else 1.0)
        sides.append(max(pitch_m, math.sqrt(a)))
    side = min(sides) if sides else float(np.ptp(st, axis=0).max() + 1.0)
    cell_xy = np.floor((st - st.min(axis=0)) / side).astype(np.int64)
    _, inv = np.unique(cell_xy[:, 0] * (cell_xy[:, 1].max() + 1) + cell_xy[:, 1], return_inverse=True)
    cnt = np.bincount(inv)
    mean = np.stack([np.bincount(inv, uv[:, 0]) / cnt, np.bincount(inv, uv[:, 1]) / cnt], axis=1)
    d = np.linalg.norm(uv - mean[inv], ord=p_norm, axis=1) if p_norm != 1 else np.abs(uv - mean[inv]).sum(axis=1)
    d = np.where(allowed, d, np.inf)
    order = np.lexsort((d, inv))
    first = order[np.flatnonzero(np.diff(inv[order], prepend=-1))]
    chosen = np.zeros(n, dtype=bool)
    chosen[first[np.isfinite(d[first])]] = True

    tree = cKDTree(uv)
    failed: list[int] = []
    if radius is not None:
        r = radius + 1e-6
        dist = cKDTree(uv[chosen]).query(uv, p=p_norm)[0] if chosen.any() else np.full(n, np.inf)
        unc = dist > r
        for i in np.flatnonzero(unc):
            if not unc[i]:
                continue
            cand = np.asarray(tree.query_ball_point(uv[i], r, p=p_norm), dtype=np.int64)
            cand = cand[allowed[cand] & ~chosen[cand]]
            if len(cand) == 0:
                failed.append(int(i))
                unc[i] = False
                continue
            balls = tree.query_ball_point(uv[cand], r, p=p_norm)
            gains = [int(unc[np.asarray(b, dtype=np.int64)].sum()) for b in balls]
            k = int(np.argmax(gains))
            chosen[cand[k]] = True
            unc[np.asarray(balls[k], dtype=np.int64)] = False
    if cap_slots is not None and chosen.any():
        for _ in range(64):
            centres = np.flatnonzero(chosen)
            dist, a = cKDTree(uv[centres]).query(uv, p=p_norm)
            load = np.bincount(a, minlength=len(centres))
            over = load > cap_slots
            if not over.any():
                break
            pick = over[a] & allowed & ~chosen
            if not pick.any():
                break
            idx = np.flatnonzero(pick)
            o = np.lexsort((-dist[idx], a[idx]))
            far = idx[o[np.flatnonzero(np.diff(a[idx][o], prepend=-1))]]
            chosen[far] = True
    return np.flatnonzero(chosen), np.asarray(failed, dtype=np.int64)


def _place_k(uv: np.ndarray, allowed: np.ndarray, k: int) -> np.ndarray:
    """k service slots spread over the points (k-means on a sample, snapped to distinct allowed slots)."""
    cand = np.flatnonzero(allowed)
    if k <= 0 or len(cand) == 0:
        return np.empty(0, dtype=np.int64)
    if k >= len(cand):
        return cand
    rng = np.random.default_rng(0)
    sample = uv if len(uv) <= 5_000 else uv[rng.choice(len(uv), 5_000, replace=False)]
    if k == 1:
        centres = sample.mean(axis=0, keepdims=True)
    else:
        centres, _ = kmeans2(sample, k, minit="++", rng=rng)
    tree = cKDTree(uv[cand])
    taken = np.zeros(len(cand), dtype=bool)
    out = []
    for c in centres:
        kk = min(len(cand), 32)
        while True:
            _, nn = tree.query(c, k=kk)
            nn = np.atleast_1d(nn)
            free = nn[~taken[nn]]
            if len(free) or kk == len(cand):
                break
            kk = min(len(cand), kk * 4)
        if len(free):
            taken[free[0]] = True
            out.append(cand[free[0]])
    return np.asarray(out, dtype=np.int64)


@dataclass
class _Services:
    latrine: np.ndarray
    water: np.ndarray
    health: np.ndarray
    dist: np.ndarray
    uncoverable_latrine: int
    uncoverable_water: int

    @property
    def count(self) -> int:
        return len(self.latrine) + len(self.water) + len(self.health) + len(self.dist)


def _place_services(uv: np.ndarray, people_target: int, p: LayoutParams, pitch_m: float) -> _Services:
    """Service slots among the used slots `uv` (grid frame); housing is whatever is left."""
    n = len(uv)
    p_norm = 1.0 if p.distance_metric == "grid" else 2.0
    free = np.ones(n, dtype=bool)
    hh = p.household_size
    lat, lat_fail = _cover(uv, free, p.max_distance_to_latrine_m,
                           p.latrine_block_max_stalls * p.people_per_latrine / hh, p_norm, pitch_m)
    free[lat] = False
    wat, wat_fail = _cover(uv, free, p.max_distance_to_water_m,
                           p.taps_per_water_point_max * p.people_per_tap / hh, p_norm, pitch_m)
    free[wat] = False
    people_est = min(people_target, int(free.sum()) * hh)
    hp = _place_k(uv, free, math.ceil(people_est / p.people_per_health_post))
    free[hp] = False
    people_est = min(people_target, int(free.sum()) * hh)
    dp = _place_k(uv, free, math.ceil(people_est / p.people_per_distribution_point))
    return _Services(lat, wat, hp, dp, len(lat_fail), len(wat_fail))


# --------------------------------------------------------------------------------------------------
# the stage
# --------------------------------------------------------------------------------------------------

def _validate_site(site: Any, source: str, site_id: str) -> tuple[list[Problem], Geometry | None, list[str]]:
    notes: list[str] = []
    if not isinstance(site, (shapely.Polygon, shapely.MultiPolygon)):
        kind = getattr(site, "geom_type", type(site).__name__)
        return [Problem(file=source, feature=site_id, field="geometry",
                        message=f"expected a Polygon or MultiPolygon, got {kind}")], None, notes
    if not site.is_empty and not site.is_valid:
        reason = shapely.is_valid_reason(site)
        site = _polygonal(shapely.make_valid(site))
        notes.append(f"site polygon was invalid ({reason}); repaired with make_valid")
    if site.is_empty or not math.isfinite(site.area) or site.area <= 0:
        return [Problem(file=source, feature=site_id, field="geometry",
                        message="expected a polygon with positive area, got an empty or degenerate one")], None, notes
    return [], site, notes


def _polygonal(g: Geometry) -> Geometry:
    parts = [q for q in shapely.get_parts(g) if isinstance(q, (shapely.Polygon, shapely.MultiPolygon))]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _empty(kind: str) -> np.ndarray:
    return np.empty(0, dtype=object)


def generate_layout(site_polygon_m: Geometry, people: int, params: LayoutParams | None = None, *,
                    site_id: str = "site", no_build: list[Geometry] | None = None,
                    source: str = "site polygon") -> CampLayout:
    """Lay out a camp for `people` inside `site_polygon_m` (local metric CRS, metres).

    People beyond what the polygon holds are reported as shortfall (never placed). A polygon too small or
    too thin for one plot gives a layout with 0 people and the reason in summary.notes.
    """
    p = params or LayoutParams()
    problems = p.problems()
    if isinstance(people, bool) or not isinstance(people, (int, np.integer)) or people < 0:
        problems.append(Problem(file=source, feature=site_id, field="people",
                                message=f"expected a whole number >= 0, got {people!r}"))
    site_problems, site, notes = _validate_site(site_polygon_m, source, site_id)
    problems += site_problems
    nb_geoms = []
    for i, g in enumerate(no_build or []):
        if not isinstance(g, shapely.Geometry):
            problems.append(Problem(file=source, feature=f"no_build[{i}]", field="geometry",
                                    message=f"expected a geometry, got {type(g).__name__}"))
        elif not g.is_empty:
            nb_geoms.append(g if g.is_valid else shapely.make_valid(g))
    if problems:
        raise InputError(problems)
    assert site is not None
    people = int(people)

    region = site  # the site minus no-build areas: roads may run here, plots need the setback too
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
    plot_m = plot_side_m(p)
    if site.area / plot_m ** 2 > MAX_PLOTS:  # the grid's arrays are sized by the plot count
        raise InputError(Problem(file=source, feature=site_id, field="plot size", message=(
            f"a {site.area / 1e6:,.1f} km2 site in {plot_m:.2f} m plots is about {site.area / plot_m ** 2:,.0f} "
            f"plots; at most {MAX_PLOTS:,} per site: check household_size and the area figures "
            "(covered_area_m2_per_person, site_area_m2_per_person), or split the site")))
    hh = p.household_size
    covered = min(p.covered_area_m2_per_person, max(0.0, plot_m - p.structure_gap_m) ** 2 / hh)

    if region.is_empty or region.area <= 0:
        notes.append("no-build areas cover the whole site")
        g, inside = None, np.zeros(0, dtype=bool)
    elif usable.is_empty or usable.area <= 0:
        notes.append(f"site too small or too thin for one {plot_m:.1f} m family plot "
                     f"inside a {p.perimeter_setback_m:g} m perimeter setback")
        g, inside = None, np.zeros(0, dtype=bool)
    else:
        usable_wkb = shapely.to_wkb(usable)
        g, inside = _fit_cached(usable_wkb, plot_m, p)
    if g is None or not inside.any():
        if not notes or ("cover the whole site" not in notes[-1] and "too thin" not in notes[-1]):
            notes.append(f"site too small or too thin for one {plot_m:.1f} m family plot")
        return _empty_layout(site_id, p, people, plot_m, covered, region, notes, g)

    sl = _slots_cached(usable_wkb, plot_m, p)
    iu, iv, comm_key, block_key, sector_key = sl.iu, sl.iv, sl.comm_key, sl.block_key, sl.sector_key
    order, uv_sorted, n_slots = sl.order, sl.uv_sorted, len(sl.order)

    need = math.ceil(people / hh)
    # services over every slot (the site's capacity): the same for any number of people, so kept per site
    full = _full_services_cached(usable_wkb, plot_m, p)
    capacity = (n_slots - full.count) * hh
    if need == 0:
        return _empty_layout(site_id, p, people, plot_m, covered, region, notes, g, capacity, n_slots)
    if need >= n_slots - full.count:
        m, svc = n_slots, full
    else:
        m = need
        while True:
            svc = _place_services(uv_sorted[:m], people, p, plot_m)
            housing = m - svc.count
            if housing >= need or m == n_slots:
                break
            m = min(n_slots, m + (need - housing))

    used = order[:m]
    is_service = np.zeros(m, dtype=bool)
    for arr in (svc.latrine, svc.water, svc.health, svc.dist):
        is_service[arr] = True
    house_local = np.flatnonzero(~is_service)
    n_plots = len(house_local)
    held = min(people, n_plots * hh)
    plot_people = np.full(n_plots, hh, dtype=np.int64)
    # the last plot may be part-full; plots beyond the people (when services freed more than needed) stay empty
    cum = np.cumsum(plot_people)
    plot_people = np.clip(held - (cum - hh), 0, hh)

    half = plot_m / 2
    uh, vh = uv_sorted[house_local, 0], uv_sorted[house_local, 1]
    plot_geoms = _boxes(g, uh - half, vh - half, uh + half, vh + half)

    p_norm = 1.0 if p.distance_metric == "grid" else 2.0
    uv_house = np.stack([uh, vh], axis=1)
    weights = plot_people.astype(float)

    def catchment(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if len(idx) == 0 or n_plots == 0:
            return np.full(n_plots, np.inf), np.zeros(len(idx), dtype=np.int64)
        d, a = cKDTree(uv_sorted[idx]).query(uv_house, p=p_norm)
        return d, np.bincount(a, weights=weights, minlength=len(idx)).round().astype(np.int64)

    lat_d, lat_served = catchment(svc.latrine)
    wat_d, wat_served = catchment(svc.water)
    _, hp_served = catchment(svc.health)
    _, dp_served = catchment(svc.dist)

    fr = Fraction(p.latrine_female_share).limit_denominator(20)
    module, module_f = max(1, fr.denominator), fr.numerator
    stalls = np.maximum(1, np.ceil(lat_served / p.people_per_latrine)).astype(np.int64)
    modules = np.ceil(stalls / module).astype(np.int64)
    stalls, stalls_f = modules * module, modules * module_f
    stalls_m = stalls - stalls_f
    taps = np.maximum(1, np.ceil(wat_served / p.people_per_tap)).astype(np.int64)

    def points(idx: np.ndarray) -> np.ndarray:
        x, y = _to_world(g, uv_sorted[idx, 0], uv_sorted[idx, 1])
        return shapely.points(x, y) if len(idx) else _empty("point")

    def ids(prefix: str, n: int) -> np.ndarray:
        return np.asarray([f"{site_id}-{prefix}{i + 1}" for i in range(n)], dtype=object)

    # blocks: grid-frame bounding box of each used block's slots
    ub, uinv = np.unique(block_key[used], return_inverse=True)
    iu_u, iv_u = iu[used], iv[used]
    b_iu_lo = np.full(len(ub), np.iinfo(np.int64).max)
    b_iu_hi = np.full(len(ub), -1)
    b_iv_lo = b_iu_lo.copy()
    b_iv_hi = b_iu_hi.copy()
    np.minimum.at(b_iu_lo, uinv, iu_u)
    np.maximum.at(b_iu_hi, uinv, iu_u)
    np.minimum.at(b_iv_lo, uinv, iv_u)
    np.maximum.at(b_iv_hi, uinv, iv_u)
    bu_lo = g.u0 + g.ax.lo[b_iu_lo]
    bu_hi = g.u0 + g.ax.lo[b_iu_hi] + plot_m
    bv_lo = g.v0 + g.ay.lo[b_iv_lo]
    bv_hi = g.v0 + g.ay.lo[b_iv_hi] + plot_m
    block_geoms = _boxes(g, bu_lo, bv_lo, bu_hi, bv_hi)
    house_block = uinv[house_local]
    block_plots = np.bincount(house_block, minlength=len(ub))
    block_people = np.bincount(house_block, weights=plot_people, minlength=len(ub)).astype(np.int64)
    block_comms = _count_unique_per_group(uinv, comm_key[used])
    block_ids = ids("B", len(ub))
    sector_of_block = np.zeros(len(ub), dtype=np.int64)
    sector_of_block[uinv] = sector_key[used]
    _, sector_rank = np.unique(sector_of_block, return_inverse=True)

    # camp footprint: used blocks grown by the separators on each side (perimeter road / firebreak included)
    edge = max(p.perimeter_setback_m, p.access_road_width_m)
    foot_boxes = _boxes(g, bu_lo - _grow(g.ax.gap_before[b_iu_lo], edge), bv_lo - _grow(g.ay.gap_before[b_iv_lo], edge),
                        bu_hi + _grow(g.ax.gap_after[b_iu_hi], edge), bv_hi + _grow(g.ay.gap_after[b_iv_hi], edge))
    footprint = _polygonal(shapely.intersection(shapely.union_all(foot_boxes), region))
    inner = _polygonal(shapely.intersection(footprint, usable))
    roads_g, roads_kind, roads_w, fb_g, fb_w = _separators(g, inner, (bu_lo.min(), bv_lo.min()),
                                                           (bu_hi.max(), bv_hi.max()), p)
    ring = _polygonal(shapely.difference(footprint, usable)) if usable is not region else shapely.Polygon()
    if not ring.is_empty:
        roads_g = np.concatenate([roads_g, np.array([ring], dtype=object)])
        roads_kind = np.append(roads_kind, "perimeter_road").astype(object)
        roads_w = np.append(roads_w, p.perimeter_setback_m)

    plots = Features(plot_geoms, {
        "plot_id": ids("P", n_plots),
        "block_id": block_ids[house_block],
        "sector": (sector_rank[house_block] + 1).astype(np.int64),
        "people": plot_people,
        "area_m2": np.full(n_plots, plot_m * plot_m),
    })
    blocks = Features(block_geoms, {
        "block_id": block_ids,
        "sector": (sector_rank + 1).astype(np.int64),
        "communities": np.asarray(block_comms, dtype=np.int64),
        "plots": block_plots.astype(np.int64),
        "people": block_people,
    })
    roads = Features(roads_g, {"kind": roads_kind, "width_m": roads_w, "area_m2": shapely.area(roads_g)})
    firebreaks = Features(fb_g, {"width_m": fb_w, "area_m2": shapely.area(fb_g)})
    water = Features(points(svc.water), {"point_id": ids("W", len(svc.water)), "taps": taps,
                                         "people_served": wat_served})
    latr = Features(points(svc.latrine), {"block_id": ids("L", len(svc.latrine)), "stalls": stalls,
                                          "stalls_female": stalls_f, "stalls_male": stalls_m,
                                          "people_served": lat_served})
    health = Features(points(svc.health), {"post_id": ids("H", len(svc.health)), "people_served": hp_served})
    distr = Features(points(svc.dist), {"point_id": ids("D", len(svc.dist)), "people_served": dp_served})

    max_w = float(wat_d.max()) if n_plots else None
    max_l = float(lat_d.max()) if n_plots else None
    if svc.uncoverable_latrine:
        notes.append(f"{svc.uncoverable_latrine} slot(s) have no free slot within "
                     f"{p.max_distance_to_latrine_m:g} m for a latrine block")
    if svc.uncoverable_water:
        notes.append(f"{svc.uncoverable_water} slot(s) have no free slot within "
                     f"{p.max_distance_to_water_m:g} m for a water point")
    if held < people:
        notes.append(f"the site holds {held:,} of {people:,} people; {people - held:,} have no plot")
    max_run = max(g.ax.max_run_m, g.ay.max_run_m)
    summary = _summary(site_id, p, n_plots, n_slots, held, people, capacity, taps, stalls, stalls_f, stalls_m,
                       hp_served, dp_served, max_w, max_l, covered, float(footprint.area), float(region.area),
                       plot_m, g.angle_deg, max_run, notes)
    return CampLayout(site_id, p, plots, blocks, roads, firebreaks, water, latr, health, distr, summary)


def _count_unique_per_group(group: np.ndarray, value: np.ndarray) -> np.ndarray:
    pair = np.unique(np.stack([group, value], axis=1), axis=0)
    return np.bincount(pair[:, 0], minlength=int(group.max()) + 1)


def _grow(gaps: np.ndarray, edge_m: float) -> np.ndarray:
    """How far a block's footprint reaches past its plots: the separator there, or a road at the grid's edge."""
    return np.where(gaps > 0, gaps, edge_m)


def _separators(g: _Grid, footprint: Geometry, lo: tuple[float, float], hi: tuple[float, float],
                p: LayoutParams) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
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
    width = np.asarray([{"path": p.path_width_m, "access_road": p.access_road_width_m,
                         "firebreak": p.firebreak_width_m}[k] for k in kind], dtype=float)
    is_fb = kind == "firebreak"
    return (clipped[~is_fb], kind[~is_fb].astype(object), width[~is_fb], clipped[is_fb], width[is_fb])


def _summary(site_id: str, p: LayoutParams, n_plots: int, n_slots: int, held: int, people: int, capacity: int,
             taps: np.ndarray, stalls: np.ndarray, stalls_f: np.ndarray, stalls_m: np.ndarray,
             hp_served: np.ndarray, dp_served: np.ndarray, max_w: float | None, max_l: float | None,
             covered: float, footprint_m2: float, usable_m2: float, plot_m: float, angle: float,
             max_run: float, notes: list[str]) -> LayoutSummary:
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
        site_id=site_id, plots=n_plots, slots=n_slots, people=held, people_requested=people,
        shortfall=max(0, people - held), capacity=capacity, taps=int(taps.sum()),
        taps_required=math.ceil(held / p.people_per_tap), water_points=len(taps),
        latrines_required=math.ceil(held / p.people_per_latrine),
        latrines=n_stalls, latrines_female=n_f, latrines_male=int(stalls_m.sum()), latrine_blocks=len(stalls),
        health_posts=len(hp_served), distribution_points=len(dp_served),
        max_plot_to_water_m=None if max_w is None else round(max_w, 2),
        max_plot_to_latrine_m=None if max_l is None else round(max_l, 2),
        max_people_per_health_post=int(hp_served.max()) if len(hp_served) else 0,
        max_people_per_distribution_point=int(dp_served.max()) if len(dp_served) else 0,
        covered_m2_per_person=round(covered, 3),
        gross_m2_per_person=None if gross is None else round(gross, 2),
        site_m2_per_person=None if site_pp is None else round(site_pp, 2),
        plot_side_m=round(plot_m, 3), orientation_deg=round(angle, 3), max_built_up_run_m=round(max_run, 2),
        distance_metric="grid (L1 along the plot grid)" if p.distance_metric == "grid" else "straight line",
        standards_met=met, notes=notes)


def _empty_layout(site_id: str, p: LayoutParams, people: int, plot_m: float, covered: float, usable: Geometry,
                  notes: list[str], g: _Grid | None, capacity: int = 0, n_slots: int = 0) -> CampLayout:
    e = np.empty(0, dtype=object)
    z = np.empty(0, dtype=np.int64)
    f = np.empty(0, dtype=float)
    summary = _summary(site_id, p, 0, n_slots, 0, people, capacity, z, z, z, z, z, z, None, None, covered, 0.0,
                       float(usable.area) if not usable.is_empty else 0.0, plot_m,
                       g.angle_deg if g is not None else 0.0, 0.0, notes)
    return CampLayout(
        site_id, p,
        Features(e, {"plot_id": e, "block_id": e, "sector": z, "people": z, "area_m2": f}),
        Features(e, {"block_id": e, "sector": z, "communities": z, "plots": z, "people": z}),
        Features(e, {"kind": e, "width_m": f, "area_m2": f}),
        Features(e, {"width_m": f, "area_m2": f}),
        Features(e, {"point_id": e, "taps": z, "people_served": z}),
        Features(e, {"block_id": e, "stalls": z, "stalls_female": z, "stalls_male": z, "people_served": z}),
        Features(e, {"post_id": e, "people_served": z}),
        Features(e, {"point_id": e, "people_served": z}),
        summary)


def layout_capacity(site_polygon_m: Geometry, params: LayoutParams | None = None,
                    no_build: list[Geometry] | None = None, *, site_id: str = "site",
                    source: str = "site polygon") -> int:
    """People the polygon can hold with a full layout (plots minus service slots, times household size)."""
    lay = generate_layout(site_polygon_m, 0, params, site_id=site_id, no_build=no_build, source=source)
    return lay.summary.capacity


# --------------------------------------------------------------------------------------------------
# input and output
# --------------------------------------------------------------------------------------------------

def load_site_polygon(path: Path) -> tuple[Geometry, str]:
    """Read a GeoJSON file holding one Polygon/MultiPolygon (Feature, FeatureCollection of one, or bare
    geometry) in WGS84 lon/lat. Returns the geometry and the feature's id (or name, or index)."""
    src = str(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(Problem(file=src, message="file not found")) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(Problem(file=src, message=f"expected GeoJSON, could not parse it: {e}")) from None
    feats: list[dict[str, Any]]
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        feats = list(data.get("features") or [])
    elif isinstance(data, dict) and data.get("type") == "Feature":
        feats = [data]
    elif isinstance(data, dict) and "coordinates" in data:
        feats = [{"type": "Feature", "geometry": data, "properties": {}}]
    else:
        raise InputError(Problem(file=src, message="expected a GeoJSON Feature, FeatureCollection or geometry"))
    if len(feats) != 1:
        raise InputError(Problem(file=src, field="features",
                                 message=f"expected exactly one polygon feature, got {len(feats)}"))
    f = feats[0]
    props = f.get("properties") or {}
    fid = str(f.get("id", props.get("id", props.get("site_id", props.get("name", 0)))))
    try:
        geom = shapely.geometry.shape(f.get("geometry"))
    except Exception as e:  # noqa: BLE001 - shapely raises several types for malformed GeoJSON
        raise InputError(Problem(file=src, feature=fid, field="geometry",
                                 message=f"expected a GeoJSON Polygon or MultiPolygon: {e}")) from None
    if not isinstance(geom, (shapely.Polygon, shapely.MultiPolygon)):
        raise InputError(Problem(file=src, feature=fid, field="geometry",
                                 message=f"expected a Polygon or MultiPolygon, got {geom.geom_type}"))
    if geom.is_empty:
        raise InputError(Problem(file=src, feature=fid, field="geometry", message="the polygon is empty"))
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise InputError(Problem(file=src, feature=fid, field="geometry",
                                 message="expected WGS84 longitude/latitude coordinates"))
    return geom, fid


_SCHEMA: dict[str, tuple[str, dict[str, str]]] = {
    "plots": ("Polygon", {"plot_id": "str", "block_id": "str", "sector": "int", "people": "int", "area_m2": "float"}),
    "blocks": ("Polygon", {"block_id": "str", "sector": "int", "communities": "int", "plots": "int", "people": "int"}),
    "roads": ("MultiPolygon", {"kind": "str", "width_m": "float", "area_m2": "float"}),
    "firebreaks": ("MultiPolygon", {"width_m": "float", "area_m2": "float"}),
    "water_points": ("Point", {"point_id": "str", "taps": "int", "people_served": "int"}),
    "latrines": ("Point", {"block_id": "str", "stalls": "int", "stalls_female": "int", "stalls_male": "int",
                           "people_served": "int"}),
    "health_posts": ("Point", {"post_id": "str", "people_served": "int"}),
    "distribution_points": ("Point", {"point_id": "str", "people_served": "int"}),
}
_DTYPE = {"str": object, "int": np.int64, "float": np.float64}


def write_layout_gpkg(layouts: list[CampLayout], path: Path, crs: CRS) -> None:
    """Write every layout's layers to one GeoPackage in WGS84 (reprojected from `crs`), atomically."""
    import pyogrio.raw

    from ..geo import WGS84, project

    path = Path(path)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.gpkg")
    if tmp.exists():
        tmp.unlink()
    try:
        for name in LAYERS:
            gtype, schema = _SCHEMA[name]
            geoms: list[np.ndarray] = []
            cols: dict[str, list[np.ndarray]] = {"site_id": [], **{k: [] for k in schema}}
            for lay in layouts:
                f = lay.layer(name)
                geoms.append(np.asarray(f.geometry, dtype=object))
                cols["site_id"].append(np.full(len(f), lay.site_id, dtype=object))
                for k, t in schema.items():
                    cols[k].append(np.asarray(f.attributes[k]).astype(_DTYPE[t]))
            geom = np.concatenate(geoms) if geoms else np.empty(0, dtype=object)
            if len(geom):
                geom = project(geom, crs, WGS84)
                if gtype == "MultiPolygon":
                    geom = np.asarray([q if isinstance(q, shapely.MultiPolygon) else shapely.MultiPolygon([q])
                                       for q in geom], dtype=object)
            data = [np.concatenate(v) if v else np.empty(0, dtype=_DTYPE.get(schema.get(k, "str"), object))
                    for k, v in cols.items()]
            pyogrio.raw.write(str(tmp), shapely.to_wkb(geom) if len(geom) else np.empty(0, dtype=object), data,
                              list(cols), layer=name, driver="GPKG", geometry_type=gtype, crs=WGS84.to_wkt(),
                              promote_to_multi=False)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def layout_site_file(path: Path, people: int, params: LayoutParams | None = None,
                     site_id: str | None = None) -> tuple[CampLayout, CRS]:
    """Load a one-feature GeoJSON site polygon (WGS84), lay it out in its local UTM CRS; return layout and CRS."""
    from ..geo import WGS84, local_crs, project

    geom, fid = load_site_polygon(path)
    crs = local_crs(geom.bounds)
    site_m = project(geom, WGS84, crs)
    return generate_layout(site_m, people, params, site_id=site_id or fid, source=str(path)), crs


def summary_rows(s: LayoutSummary) -> list[tuple[str, str, bool | None]]:
    """(figure, value, standard met or None) rows for a human-readable summary table."""
    met = s.standards_met

    def num(v: float | None, fmt: str = ",.0f") -> str:
        return "-" if v is None else format(v, fmt)

    return [
        ("people held / requested", f"{s.people:,} / {s.people_requested:,}", met["capacity"]),
        ("shortfall (no plot)", f"{s.shortfall:,}", None),
        ("site capacity (people)", f"{s.capacity:,}", None),
        ("family plots / slots", f"{s.plots:,} / {s.slots:,}", None),
        ("plot side (m)", num(s.plot_side_m, ".1f"), None),
        ("covered m²/person", num(s.covered_m2_per_person, ".2f"), met["covered_area"]),
        ("gross m²/person (used blocks)", num(s.gross_m2_per_person, ".1f"), met["site_area"]),
        ("longest built-up run (m)", num(s.max_built_up_run_m), met["firebreaks"]),
        ("water points / taps (ratio)", f"{s.water_points:,} / {s.taps:,} ({s.taps_required:,})",
         met["water_ratio"]),
        ("max plot → water (m)", num(s.max_plot_to_water_m), met["water_distance"]),
        ("latrine blocks / stalls F+M (ratio)",
         f"{s.latrine_blocks:,} / {s.latrines_female:,}+{s.latrines_male:,} ({s.latrines_required:,})",
         met["latrine_ratio"] and met["latrine_female_share"]),
        ("max plot → latrine (m)", num(s.max_plot_to_latrine_m), met["latrine_distance"]),
        ("health posts", f"{s.health_posts:,}", met["health_posts"]),
        ("distribution points", f"{s.distribution_points:,}", met["distribution_points"]),
        ("orientation (°)", num(s.orientation_deg, ".1f"), None),
        ("distances", s.distance_metric, None),
    ]
