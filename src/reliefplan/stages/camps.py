"""Camp layouts for the plan: layout capacity per candidate site, then a layout for each opened site."""

from __future__ import annotations

import numpy as np

from .._errors import InputError, Problem
from ..scenario.folder import Scenario
from ..solvers.layout import CampLayout, Geometry, LayoutParams, generate_layout, layout_capacity


def layout_params(sc: Scenario) -> LayoutParams:
    """The layout figures of the scenario; a figure out of range is an error in scenario.yaml (the field that
    set it: household_size, layout.*, or the standards override)."""
    spec = sc.layout
    p = LayoutParams.from_standards(
        sc.standards, latrine_phase=spec.latrine_phase, household_size=sc.household_size,
        distance_metric=spec.distance_metric, search_phase=spec.search_origin,
        no_build_buffer_m=spec.no_build_buffer_m)
    fields = {"household_size": "household_size", "no_build_buffer_m": "layout.no_build_buffer_m"}
    problems = [Problem(file=str(sc.folder / "scenario.yaml"), message=q.message,
                        field=fields.get(q.field or "", f"standards.overrides.{q.field}")) for q in p.problems()]
    if problems:
        raise InputError(problems)
    return p


def _no_build(sc: Scenario) -> list[Geometry] | None:
    return list(sc.no_build_m) or None


def layout_capacities(sc: Scenario, free_geoms: np.ndarray, params: LayoutParams) -> np.ndarray:
    """People the modular layout fits on each site's free part (before the usable fraction)."""
    return np.array([0.0 if g.is_empty else layout_capacity(g, params, _no_build(sc), site_id=s.id,
                                                             source=s.source.partition("#")[0])
                     for s, g in zip(sc.sites, free_geoms)])


def lay_out(sc: Scenario, free_geoms: np.ndarray, people: np.ndarray, params: LayoutParams) -> list[CampLayout]:
    """A layout for every site that receives people, in site order."""
    return [generate_layout(g, int(n), params, site_id=s.id, no_build=_no_build(sc), source=s.source.partition("#")[0])
            for s, g, n in zip(sc.sites, free_geoms, people) if n > 0]
