"""Camp layout: the planning figures (``LayoutParams``, from a standards profile) and the result types
(``CampLayout``: one ``Features`` table per layer plus the ``LayoutSummary``). Units in the names; geometry in
the site's local metric CRS."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import numpy as np
import shapely

from ..._errors import InputError, Problem

if TYPE_CHECKING:  # pragma: no cover
    from ...standards import Standards

Geometry: TypeAlias = shapely.Geometry
MAX_PLOTS = 500_000  # family plots per site (2.5 million people, 70-110 km2 at Sphere figures): beyond, a mistake

LAYERS = ("plots", "blocks", "roads", "firebreaks", "water_points", "latrines", "health_posts", "distribution_points")


# --------------------------------------------------------------------------------------------------
# parameters
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LayoutParams:
    """Planning figures for one camp layout (units in the names). Defaults: Sphere 2018 + UNHCR modular planning."""

    household_size: float = 5  # people per family plot (a mean: 5.6 in Gaza); UNHCR modular planning (family ~5)
    covered_area_m2_per_person: float = 3.5  # Sphere 2018, shelter and settlement standard 3
    site_area_m2_per_person: float = 45.0  # Sphere 2018, shelter std 2: plots+roads+services+firebreaks
    plot_area_m2: float | None = None  # gross family plot; None: derived from site_area_m2_per_person
    service_slot_share: float = 1 / 12  # expected share of slots taken by services, used in that derivation
    structure_gap_m: float = 2.0  # Sphere 2018, shelter std 2 (>= 2 m between structures; verify)
    community_households: int = 16  # UNHCR: community = 16 families
    block_communities: int = 16  # UNHCR: block = 16 communities
    sector_blocks: int = 4  # UNHCR: sector = 4 blocks
    path_width_m: float = 3.0  # footpath between communities/plot rows (planning choice; verify)
    access_road_width_m: float = 10.0  # access road between blocks, incl. drainage (planning choice; verify)
    firebreak_width_m: float = 30.0  # Sphere 2018 shelter std 2: 30 m ... (verify); UNHCR 1999: 50 m
    firebreak_interval_m: float = 300.0  # ... every 300 m of built-up area
    people_per_tap: int = 250  # Sphere 2018 WASH water supply std 2.1 (tap at 7.5 L/min)
    taps_per_water_point_max: int = 6  # tapstand size (planning choice)
    max_distance_to_water_m: float = 500.0  # Sphere 2018 WASH 2.1; UNHCR 1999: 100 m
    people_per_latrine: int = 50  # Sphere 2018 WASH excreta std 2: 1:50 first phase, 1:20 medium term
    latrine_female_share: float = 0.75  # Sphere 2018 WASH excreta std 2: female:male 3:1
    max_distance_to_latrine_m: float = 50.0  # Sphere 2018 WASH excreta std 2, p. 117
    latrine_block_max_stalls: int = 20  # stalls one plot-sized latrine block can hold (planning choice)
    people_per_health_post: int = 10_000  # Sphere 2018 health systems std 1.1 (primary health unit; verify)
    people_per_distribution_point: int = 5_000  # UNHCR Emergency Handbook service ratios (verify)
    no_build_buffer_m: float = 0.0  # extra clearance around every no-build geometry
    perimeter_setback_m: float = 10.0  # perimeter road / drainage inside the site edge (planning choice)
    distance_metric: Literal["grid", "euclidean"] = "grid"
    orientation_deg: float | None = None  # None: search the orientation that fits the most plots
    search_phase: bool = True  # also try shifting the grid origin

    @classmethod
    def from_standards(
        cls, standards: Standards, *, latrine_phase: Literal["acute", "medium"] = "acute", **overrides: Any
    ) -> LayoutParams:
        """Fill the figures a standards profile has (same keys), then apply explicit overrides."""
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key in known:
            if key in standards.figures:
                values[key] = standards.value(key)
        if latrine_phase == "acute" and "people_per_latrine_acute" in standards.figures:
            values["people_per_latrine"] = standards.value("people_per_latrine_acute")
        for key in (
            "household_size",
            "community_households",
            "block_communities",
            "sector_blocks",
            "people_per_tap",
            "people_per_latrine",
            "people_per_health_post",
            "people_per_distribution_point",
            "taps_per_water_point_max",
            "latrine_block_max_stalls",
        ):
            if key in values:
                values[key] = int(round(values[key]))
        values.update(overrides)
        return cls(**values)

    def problems(self, source: str = "LayoutParams") -> list[Problem]:
        """Every figure that is out of range, each naming its field."""
        out: list[Problem] = []
        positive = (
            "household_size",
            "covered_area_m2_per_person",
            "site_area_m2_per_person",
            "community_households",
            "block_communities",
            "sector_blocks",
            "firebreak_interval_m",
            "people_per_tap",
            "taps_per_water_point_max",
            "max_distance_to_water_m",
            "people_per_latrine",
            "max_distance_to_latrine_m",
            "latrine_block_max_stalls",
            "people_per_health_post",
            "people_per_distribution_point",
        )
        non_negative = (
            "structure_gap_m",
            "path_width_m",
            "access_road_width_m",
            "firebreak_width_m",
            "no_build_buffer_m",
            "perimeter_setback_m",
        )
        for name in positive:
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) or v <= 0:
                out.append(Problem(file=source, field=name, message=f"expected a positive number, got {v!r}"))
        for name in non_negative:
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) or v < 0:
                out.append(Problem(file=source, field=name, message=f"expected a non-negative number, got {v!r}"))
        if self.plot_area_m2 is not None and not (self.plot_area_m2 > 0 and math.isfinite(self.plot_area_m2)):
            out.append(
                Problem(
                    file=source,
                    field="plot_area_m2",
                    message=f"expected a positive number or None, got {self.plot_area_m2!r}",
                )
            )
        if not 0 <= self.latrine_female_share <= 1:
            out.append(
                Problem(
                    file=source,
                    field="latrine_female_share",
                    message=f"expected a share in [0, 1], got {self.latrine_female_share!r}",
                )
            )
        if not 0 <= self.service_slot_share < 1:
            out.append(
                Problem(
                    file=source,
                    field="service_slot_share",
                    message=f"expected a share in [0, 1), got {self.service_slot_share!r}",
                )
            )
        if self.distance_metric not in ("grid", "euclidean"):
            out.append(
                Problem(
                    file=source,
                    field="distance_metric",
                    message=f"expected 'grid' or 'euclidean', got {self.distance_metric!r}",
                )
            )
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
        from ...standards import load_standards

        return LayoutParams.from_standards(load_standards(profile), **overrides)
    except InputError:
        if profile not in PRESETS:
            raise InputError(
                Problem(
                    file="command line",
                    field="profile",
                    message=(f"unknown profile '{profile}'; expected one of {sorted(PRESETS)}"),
                )
            ) from None
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
    plots: int  # family plots housing people
    slots: int  # plot-sized slots that fit (plots + service slots, used or not)
    people: int  # people the layout holds (capacity truth)
    people_requested: int
    shortfall: int  # people requested that have no plot
    capacity: float  # people the whole site could hold with this layout
    taps: int
    taps_required: int  # ceil(people / people_per_tap): the ratio alone
    water_points: int
    latrines: int  # latrine stalls (drop holes)
    latrines_female: int
    latrines_male: int
    latrines_required: int  # ceil(people / people_per_latrine): the ratio alone (distance needs more)
    latrine_blocks: int
    health_posts: int
    distribution_points: int
    max_plot_to_water_m: float | None
    max_plot_to_latrine_m: float | None
    max_people_per_health_post: int
    max_people_per_distribution_point: int
    covered_m2_per_person: float
    gross_m2_per_person: float | None  # footprint of used blocks incl. their roads/firebreaks, per person held
    site_m2_per_person: float | None  # whole usable site area per person held
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
