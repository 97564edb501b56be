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

The package: ``model`` (the planning figures and the result types), ``grid`` (the modular grid and its fit to the
polygon), ``services`` (where latrines, water points, health posts and distribution points go; ``cover_kernel`` its
greedy repair compiled), ``housing`` (the slots in use, the households on them, each service's catchment),
``generate`` (``generate_layout`` step by step, ``layout_capacity``) and ``writer`` (site file in, GeoPackage out).
"""

from .generate import generate_layout, layout_capacity
from .grid import plot_side_m, shelter_side_m
from .model import (
    LAYERS,
    MAX_PLOTS,
    PRESETS,
    CampLayout,
    Features,
    Geometry,
    LayoutParams,
    LayoutSummary,
    params_for_profile,
)
from .writer import layout_site_file, load_site_polygon, summary_rows, write_layout_gpkg

__all__ = [
    "LAYERS",
    "MAX_PLOTS",
    "PRESETS",
    "CampLayout",
    "Features",
    "Geometry",
    "LayoutParams",
    "LayoutSummary",
    "generate_layout",
    "layout_capacity",
    "layout_site_file",
    "load_site_polygon",
    "params_for_profile",
    "plot_side_m",
    "shelter_side_m",
    "summary_rows",
    "write_layout_gpkg",
]
