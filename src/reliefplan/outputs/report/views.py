"""What the report shows, as plain data: chart specs, GeoJSON layers, tables. No HTML here.

Chart specs are dicts the page's script hands to Chart.js:
``{"id", "title", "type": "bar"|"line", "labels", "datasets": [{"label", "data"}], "x_title", "y_title",
"stacked", "horizontal", "note"}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import shapely

from ...plan import Plan
from ...words import number
from ..export import optional_sections
from ..layers import Layer, site_compliance
from .generic import EXPECTED_SECTIONS, _jsonable, _pretty, section_view

# Charts the issue asks for that need an optional section, and which section provides them.
EXPECTED_CHARTS: list[tuple[str, str]] = [
    ("Arrivals over time", "evacuation"),
    ("Daily coverage per commodity", "supply"),
    ("Trucks needed vs available per crossing", "supply"),
    ("Shortfall over time", "sustain"),
]

SEVERITY_ORDER = {"critical": 0, "major": 1, "minor": 2, "info": 3, "ok": 4}
COORD_DECIMALS = 6  # ~0.1 m: more only inflates the page


def layer_geojson(layer: Layer) -> dict[str, Any]:
    """A layer as a GeoJSON FeatureCollection with coordinates rounded to 1e-6 degrees."""
    geoms = np.array(layer.geometries, dtype=object)
    if len(geoms):
        geoms = shapely.transform(geoms, lambda xy: np.round(xy, COORD_DECIMALS))
    feats = []
    for g, p in zip(geoms, layer.properties):
        if g is None or g.is_empty:
            continue
        feats.append({"type": "Feature", "properties": _jsonable(p), "geometry": shapely.geometry.mapping(g)})
    return {"type": "FeatureCollection", "features": feats}


#: how the map shows a layer: its title in the layer switcher and legend; `aoi`: the map opens on these
#: (the area of interest, not the whole road network); `on`: drawn when the page opens; `min_zoom`: drawn
#: automatically from this zoom level on (camp layouts: hundreds of blocks that would hide the site colours)
MAP_LAYER_DISPLAY: dict[str, dict[str, Any]] = {
    "zones": {"title": "Zones: people displaced", "aoi": True},
    "footprint": {"title": "Operation area", "aoi": True},
    "sites": {"title": "Shelter sites: worst verdict", "aoi": True},
    "flows": {"title": "Zone → site moves", "on": False},
    "entry_points": {"title": "Entry points (crossings)"},
    "roads": {"title": "Roads"},
    "bottlenecks": {"title": "Evacuation bottlenecks"},
    "camp_blocks": {"title": "Camp layout: blocks", "on": False, "min_zoom": 15},
    "camp_firebreaks": {"title": "Camp layout: firebreaks", "on": False, "min_zoom": 15},
}
#: drawing order: areas under lines under points (a layer not named here: by its geometry type)
MAP_LAYER_RANK = {
    "zones": 0,
    "footprint": 1,
    "sites": 2,
    "camp_blocks": 3,
    "camp_firebreaks": 3.5,
    "roads": 5,
    "bottlenecks": 5.5,
    "flows": 6,
    "entry_points": 9,
}


#: OSM road classes from the most important down, for thinning the report's road layer
ROAD_CLASSES = ("motorway", "trunk", "primary", "secondary", "tertiary", "unclassified", "residential")
#: road links the report's map draws one by one; a larger network (a country: 1 M links, ~160 MB of GeoJSON, a
#: page no browser opens) is drawn as its main classes merged into long lines, within REPORT_MAX_ROAD_POINTS
#: coordinates (~6 MB of page). The roads are context on that map; plan.gpkg keeps every link.
REPORT_MAX_ROAD_LINKS = 20_000
REPORT_MAX_ROAD_POINTS = 250_000


def thin_roads(
    roads: Layer, max_links: int = REPORT_MAX_ROAD_LINKS, max_points: int = REPORT_MAX_ROAD_POINTS
) -> tuple[Layer, str | None]:
    """The road layer as it is when it has at most max_links links; otherwise one merged line per road class,
    the most important classes first (ROAD_CLASSES; `_link` roads count with their class), as many as fit in
    max_points coordinates, and a title saying what was left out."""
    n = len(roads.geometries)
    if n <= max_links:
        return roads, None
    rank = {c: i for i, c in enumerate(ROAD_CLASSES)}
    ranks = np.array(
        [rank.get(str(p.get("highway", "")).removesuffix("_link"), len(ROAD_CLASSES)) for p in roads.properties]
    )
    geoms = np.array(roads.geometries, dtype=object)
    kept = Layer(roads.name, "MultiLineString")
    points = links = 0
    for r, name in enumerate((*ROAD_CLASSES, "other")):  # "other": tracks, paths, untagged, ...
        parts = shapely.get_parts(geoms[ranks == r])
        if not len(parts):
            continue
        merged = shapely.line_merge(shapely.multilinestrings(parts))  # links meeting end to end become one line
        if points + shapely.get_num_coordinates(merged) > max_points:
            break
        points += int(shapely.get_num_coordinates(merged))
        links += int((ranks == r).sum())
        kept.add(merged, highway=name)
    if links == n:
        return kept, f"Roads ({n:,} links merged by class; each link is in plan.gpkg)"
    what = f"{kept.properties[-1]['highway']} and above" if links else "none drawn, the main class alone is too large"
    return kept, f"Roads: {what} ({links:,} of {n:,} links; every link is in plan.gpkg)"


def map_layers(layers: Mapping[str, Layer]) -> list[dict[str, Any]]:
    """Every layer for the map script, in drawing order, with how to show it (see MAP_LAYER_DISPLAY); a road
    network over REPORT_MAX_ROAD_LINKS links keeps its most important classes (`thin_roads`)."""

    def order(item: tuple[str, Layer]) -> tuple[float, str]:
        name, layer = item
        if name in MAP_LAYER_RANK:
            return MAP_LAYER_RANK[name], name
        gt = layer.geometry_type.lower()
        return (3 if "polygon" in gt else 5 if "line" in gt else 8 if "point" in gt else 4), name

    out = []
    for name, layer in sorted(layers.items(), key=order):
        show = {"title": _pretty(name).capitalize(), "aoi": False, "on": True, "min_zoom": None}
        show.update(MAP_LAYER_DISPLAY.get(name, {}))
        if name == "roads":
            layer, title = thin_roads(layer)
            show["title"] = title or show["title"]
        out.append({"name": name, "geometry_type": layer.geometry_type, "geojson": layer_geojson(layer), **show})
    return out


def shorten(chart: dict[str, Any]) -> dict[str, Any]:
    """The chart with the words all its category labels share moved into the axis title."""
    labels, prefix = short_labels([str(x) for x in chart["labels"]])
    if not prefix:
        return chart
    key = "y_title" if chart.get("horizontal") else "x_title"
    return chart | {"labels": labels, key: f"{chart.get(key) or 'label'}: {prefix} …"}


def short_labels(labels: list[str], min_count: int = 6) -> tuple[list[str], str]:
    """Drop the words every label starts with ('Rafah - IDF map block 3' -> '3'); returns (labels, prefix)."""
    if len(labels) < min_count:
        return labels, ""
    first = labels[0]
    n = 0
    for i in range(len(first)):
        if all(len(lab) > i and lab[i] == first[i] for lab in labels):
            n = i + 1
        else:
            break
    cut = first[:n].rfind(" ") + 1  # whole words only
    if cut < 4 or any(len(lab) <= cut for lab in labels):
        return labels, ""
    return [lab[cut:] for lab in labels], first[:cut].rstrip(" -")


def sections(plan: Plan) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """(views of present optional sections, [(name, description)] of expected sections that are absent).

    The stages reliefplan knows are shown in words (`stages.STAGE_VIEWS`); any other section generically."""
    from .phases import VIEWS as PHASE_VIEWS
    from .settlement import VIEWS
    from .stages import STAGE_VIEWS

    STAGE_VIEWS = {**STAGE_VIEWS, **VIEWS, **PHASE_VIEWS}
    present = optional_sections(plan)
    views = []
    for k, v in present.items():
        try:
            views.append(STAGE_VIEWS[k](plan, v) if k in STAGE_VIEWS else section_view(k, v))
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            # a stage whose shape changed must not take the report down: show its figures as they are
            view = section_view(k, v)
            view["notes"].append(
                {"text": "Shown as the plan stores it: its layout was not recognised.", "detail": None}
            )
            views.append(view)
    missing = [(k, d) for k, d in EXPECTED_SECTIONS.items() if k not in present]
    return views, missing


def verdict_view(plan: Plan, sources: dict[str, int] | None = None) -> dict[str, Any]:
    """Verdict rows (scenario-wide first, then per site/zone, failing first) and their numbered sources.

    Pass the same `sources` dict for several plans to number their sources in one list."""
    from .supply import plain_note

    sources = {} if sources is None else sources
    rows = []
    for i in plan.verdict:
        ref = sources.setdefault(i.source, len(sources) + 1)
        note, detail = plain_note(i.note, plan)  # solver statements in plain words, the technical text beside
        rows.append(
            {
                "indicator": i.indicator,
                "scope": i.scope,
                "value": i.value,
                "target": i.target,
                "unit": i.unit,
                "comparison": i.comparison,
                "met": i.met,
                "severity": i.severity,
                "note": note,
                "detail": detail,
                "ref": ref,
                "p_met": i.p_met,
            }
        )
    scenario = [r for r in rows if r["scope"] == "scenario"]
    local = sorted(
        (r for r in rows if r["scope"] != "scenario"),
        key=lambda r: (SEVERITY_ORDER.get(str(r["severity"]), 9), str(r["scope"]), str(r["indicator"])),
    )
    failed_local = sum(1 for r in local if r["met"] is False)
    return {
        "scenario": scenario,
        "local": local,
        "failed_local": failed_local,
        "sources": [(n, s) for s, n in sources.items()],
    }


def kpis(plan: Plan) -> list[tuple[str, str, str]]:
    """Headline figures: (label, value, css class)."""
    from ...analysis.headline import headline

    p = plan.people
    h = headline(plan)
    out = [
        ("everyone in the plan", f"{p.in_plan:,}", ""),
        ("displaced", f"{p.displaced:,}", ""),
        ("sheltered", f"{p.sheltered:,}", "good" if p.sheltered else ""),
        ("unsheltered", f"{p.unsheltered:,}", "bad" if p.unsheltered else "good"),
        (
            "left in the operation area",
            f"{p.remaining_in_operation_area:,}",
            "bad" if p.remaining_in_operation_area else "good",
        ),
        ("sites opened", f"{sum(s.open for s in plan.sites)} of {len(plan.sites)}", ""),
        ("water need (everyone)", f"{(plan.needs_all or plan.needs).water_l_per_day / 1000:,.0f} m³/day", ""),
    ]
    summary = plan.groups.summary if plan.groups else []
    water = [(g.water_l_per_person_day, g.group) for g in summary if g.water_l_per_person_day is not None]
    if water:
        litres, group = min(water, key=lambda x: x[0])
        fig = plan.standards.figures.get("water_l_per_person_day")
        target = fig.value if fig is not None else 15
        out.append(
            (
                f"water delivered, worst group ({group})",
                f"{litres:,.1f} L/person/day",
                "bad" if litres < target - 1e-6 else "good",
            )
        )
    food = [(g.kcal_per_person_day, g) for g in summary if g.kcal_per_person_day is not None]
    if food:
        kcal, worst = min(food, key=lambda x: x[0])
        out.append(
            (
                f"food delivered, worst group ({worst.group})",
                f"{kcal:,.0f} kcal/person/day",
                "bad" if worst.met_share.get("food", 1.0) < 1 - 1e-6 else "good",
            )
        )
    out.append(("checks not met", f"{h.failed:,} of {h.checked:,}", "bad" if h.failed else "good"))
    return out


def needs_rows(plan: Plan) -> list[tuple[str, str, str]]:
    """(need, value, unit) for the needs table."""
    n = plan.needs
    f = number
    return [
        ("people", f(n.people), "people"),
        ("water", f(n.water_l_per_day / 1000), "m³/day"),
        ("survival water", f(n.survival_water_l_per_day / 1000), "m³/day"),
        ("energy", f(round(n.kcal_per_person_day)), "kcal/person/day"),
        ("food", f(n.food_kg_per_day / 1000), "t/day"),
        ("medical kits", f(n.medical_kits_per_day), "kits/day"),
        ("households", f(n.households), "households"),
        ("tents", f(n.tents), "tents"),
        ("household NFI kits", f(n.nfi_kits), "kits"),
        ("shelter items (one-off)", f(round(n.shelter_items_kg / 1000)), "t"),
        ("covered area", f(n.covered_area_m2 / 1e6), "km²"),
        ("site area", f(n.site_area_m2 / 1e6), "km²"),
        (
            "latrines, first phase (female / male)",
            f"{f(n.latrines)} ({f(n.latrines_female)} / {f(n.latrines_male)})",
            "latrines",
        ),
        ("latrines, medium term", f(n.latrines_medium_term), "latrines"),
        ("water taps", f(n.water_taps), "taps"),
        ("health posts / centres / hospitals", f"{f(n.health_posts)} / {f(n.health_centres)} / {f(n.hospitals)}", ""),
        ("hospital beds", f(n.hospital_beds), "beds"),
        ("health workers", f(n.health_workers), "people"),
        ("distribution points", f(n.distribution_points), "points"),
        ("trucks, food + medical supplies", f(n.trucks_per_day_food_medical), "trucks/day"),
        ("water tankers, if all water were trucked", f(n.water_tankers_per_day), "tankers/day"),
    ]


def site_rows(plan: Plan) -> list[dict[str, Any]]:
    comp = site_compliance(plan)
    rows = [
        {
            "id": s.id,
            "name": s.name,
            "capacity": s.capacity,
            "population": s.population,
            "existing": s.existing_population,
            "m2pp": s.m2_per_person,
            "compliance": comp[s.id],
        }
        for s in plan.sites
    ]
    return sorted(rows, key=lambda r: (-(r["population"] + r["existing"]), r["id"]))


def merged_labels(a: list[Any], b: list[Any]) -> list[Any]:
    """The axis of two charts drawn as one: numeric labels (days, hours, steps) in numeric order, others in
    order of appearance."""
    labels = list(dict.fromkeys([*a, *b]))
    try:
        return sorted(labels, key=lambda x: float(x))
    except (TypeError, ValueError):
        return labels


def overlay_charts(a: list[dict[str, Any]], b: list[dict[str, Any]], name_a: str, name_b: str) -> list[dict[str, Any]]:
    """Charts of plan A and plan B with the same id drawn as one chart (A and B datasets overlaid)."""
    by_b = {c["id"]: c for c in b}
    out = []
    for ca in a:
        cb = by_b.pop(ca["id"], None)
        if cb is None:
            out.append(ca | {"title": f"{ca['title']} ({name_a} only)"})
            continue
        labels = merged_labels(ca["labels"], cb["labels"])
        ds: list[dict[str, Any]] = []
        for tag, c, tone in ((name_a, ca, "a"), (name_b, cb, "b")):
            pos = {lab: i for i, lab in enumerate(c["labels"])}
            for d in c["datasets"]:  # a series may be shorter than its chart's axis: missing, not zero
                data = [
                    d["data"][pos[lab]] if pos.get(lab, len(d["data"])) < len(d["data"]) else None for lab in labels
                ]
                same = next((x for x in ds if x["base"] == d["label"] and x["data"] == data), None)
                if same is not None:  # identical in A and B (e.g. site capacity): draw once
                    same.update(label=f"{name_a} and {name_b}: {d['label']}", tone="n")
                    continue
                ds.append({"label": f"{tag}: {d['label']}", "tone": tone, "data": data, "base": d["label"]})
        for d in ds:
            del d["base"]
        out.append(ca | {"labels": labels, "datasets": ds, "overlay": True, "overlap": False})
    out += [c | {"title": f"{c['title']} ({name_b} only)"} for c in by_b.values()]
    return out
