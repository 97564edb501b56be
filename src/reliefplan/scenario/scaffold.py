"""`reliefplan init`: a scenario folder from standard humanitarian data.

Inputs: administrative boundaries with P-codes (COD-AB style, fields ADMn_PCODE and ADMn_EN/ADMn_NAME) as the
zones; a population table keyed by P-code (CSV, an HXL hashtag row accepted; COD-PS style T_TL or
#population+total) or a population raster of people per pixel (zonal sums); site outlines; an order or footprint
polygon; optionally entry points, an OpenStreetMap extract of the roads and the ground (DEM, land cover, hazards,
buildings). Writes a commented scenario.yaml naming every choice made (ASSUMPTION where it is a guess), checks the
folder with the normal loader, and only then puts it in place: on any problem nothing is written.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from .._errors import InputError, Problem
from ._fields import POLYGONAL
from ._layers import Feature, read_layer
from .folder import SCENARIO_FILE, Scenario, load_scenario
from .init_inputs import Hazard, InitInputs, boundary_zones, population_raster, population_table

__all__ = ["Hazard", "InitInputs", "InitResult", "init_scenario"]

SCENARIO_NAME = "main"


@dataclass
class InitResult:
    folder: Path
    choices: list[str]  # what was mapped and assumed, as written into scenario.yaml
    scenario: Scenario  # the folder loaded by the normal loader
    next_steps: list[str]


# ---- the other layers -------------------------------------------------------------------------------------


def _polygons(path: Path, what: str) -> list[Feature]:
    feats = read_layer(path)
    problems = [
        Problem(
            file=str(path),
            feature=str(f.properties.get("id", f.index)),
            field="geometry",
            message=f"expected a polygon, got {None if f.geometry is None else f.geometry.geom_type}",
        )
        for f in feats
        if f.geometry is None or f.geometry.geom_type not in POLYGONAL
    ]
    if not feats:
        problems.append(Problem(file=str(path), message=f"no features; expected {what} polygons"))
    if problems:
        raise InputError(problems)
    return feats


def _geojson(path: Path, feats: list[tuple[dict[str, Any], shapely.Geometry]]) -> None:
    doc = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": p, "geometry": shapely.geometry.mapping(g)} for p, g in feats],
    }
    path.write_text(json.dumps(doc, ensure_ascii=False, default=_plain))


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else str(v)


def _sites(inp: InitInputs, tmp: Path, choices: list[str]) -> None:
    feats = _polygons(inp.sites, "site")
    out, generated = [], 0
    for f in feats:
        props = {k: v for k, v in f.properties.items() if v is not None}
        if props.get("id") in (None, ""):
            props["id"] = f"S{f.index + 1}"
            generated += 1
        out.append((props, f.geometry))
    _geojson(tmp / "sites.geojson", out)
    choices.append(
        f"sites: {len(out)} outlines from {inp.sites.name}"
        + (f"; {generated} without an 'id' numbered S1, S2, ... in file order" if generated else "")
    )


def _entry_points(inp: InitInputs, tmp: Path, choices: list[str]) -> None:
    assert inp.entry_points is not None
    path = inp.entry_points
    feats = read_layer(path)
    problems, out, filled = [], [], 0
    for f in feats:
        fid = str(f.properties.get("id") or f"E{f.index + 1}")
        if f.geometry is None or f.geometry.geom_type != "Point":
            problems.append(
                Problem(
                    file=str(path),
                    feature=fid,
                    field="geometry",
                    message=f.geometry_error or "expected a point (lon, lat)",
                )
            )
            continue
        props = {k: v for k, v in f.properties.items() if k not in ("lon", "lat") and v not in (None, "")}
        props["id"] = fid
        if "trucks_per_day" not in props:
            if inp.trucks_per_day is None:
                problems.append(
                    Problem(
                        file=str(path),
                        feature=fid,
                        field="trucks_per_day",
                        message=("missing; expected the trucks a day the crossing admits (or give --trucks-per-day)"),
                    )
                )
                continue
            props["trucks_per_day"] = inp.trucks_per_day
            filled += 1
        out.append((props, f.geometry))
    if problems:
        raise InputError(problems)
    _geojson(tmp / "entry_points.geojson", out)
    choices.append(f"entry points: {len(out)} from {path.name}")
    if filled:
        choices.append(
            f"ASSUMPTION: {filled} entry point(s) without trucks_per_day given {inp.trucks_per_day:g} "
            "trucks/day (--trucks-per-day); replace with the crossing's declared or observed figure"
        )


def _copy(src: Path, tmp: Path) -> str:
    if not src.exists():
        raise InputError(Problem(file=str(src), message="file not found"))
    name = src.name
    shutil.copyfile(src, tmp / name)
    return name


# ---- scenario.yaml ----------------------------------------------------------------------------------------


def _y(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False)  # a JSON scalar or list is valid YAML


def _yaml_text(inp: InitInputs, files: dict[str, str], choices: list[str], ground: dict[str, Any] | None) -> str:
    lines = [
        "# scenario.yaml written by `reliefplan init`. Every choice it made is listed here; lines marked",
        "# ASSUMPTION are guesses to replace with what you know. Format: see the README, 'The scenario folder'.",
        "#",
        "# Choices:",
    ]
    lines += [f"#   - {c}" for c in choices]
    title = inp.title or f"{inp.boundaries.stem}: planning scenario"
    lines += [
        "",
        f"title: {_y(title)}",
        "crs: auto                         # metric work in the UTM zone of the data",
        "standards: {profile: sphere-2018}  # or unhcr-emergency",
        "horizon_days: 30                  # ASSUMPTION: plan a month; set to your planning period",
        "layers:",
        f"  zones: {{file: {files['zones']}}}   # id = P-code; population joined from {inp.population.name}",
    ]
    frac = inp.usable_fraction
    site_line = f"  sites:\n    file: {files['sites']}"
    if frac is not None:
        site_line += (
            f"\n    usable_fraction: {frac:g}   # ASSUMPTION (--usable-fraction): share of each site people can use"
        )
    else:
        site_line += (
            "\n    # usable_fraction: 1.0 by default (all of each outline can hold shelters) unless the ground"
            "\n    # below says otherwise or a site has its own usable_fraction property"
        )
    lines.append(site_line)
    if ground:
        lines.append("    usable_land:                  # usable land from the ground (replaces the constant per site)")
        for k, v in ground.items():
            lines.append(f"      {k}: {_y(v)}")
    if "entry_points" in files:
        lines.append(f"  entry_points: {{file: {files['entry_points']}}}")
    if "roads" in files:
        lines.append(f"  roads: {{file: {files['roads']}}}   # walking network (highway=* ways)")
    else:
        lines.append("  # roads: {file: extract.osm.pbf}  # none given: walking times are straight line x circuity")
    if "arrivals" in files:
        lines += [
            "arrivals:                         # daily arrivals at the entry points (docs/monitoring.md)",
            f"  file: {files['arrivals']}",
            f"  start_date: {_y(inp.start_date)}",
            f"  source: {_y('FILL IN: who counted the arrivals, when')}",
        ]
    if "snapshot" in files:
        lines += [
            "monitoring:                       # the existing settlement as it is (docs/monitoring.md)",
            f"  snapshot: {files['snapshot']}",
        ]
        if inp.start_date:
            lines.append(f"  start_date: {_y(inp.start_date)}")
    if "footprint" in files and inp.footprint is not None:
        lines += [
            "footprints:",
            f"  order: {{file: {files['footprint']}, start_day: {inp.start_day:g}, "
            f"description: {_y('the area the order empties, from ' + inp.footprint.name)}}}",
        ]
    else:
        lines += ["footprints: {}                    # no order: people arrive or are already on the sites"]
    what = ["everyone inside the order's area moves"] if "footprint" in files else []
    what += ["people arrive at the crossings day by day"] if "arrivals" in files else []
    what += ["the existing camps are checked as they are"] if "snapshot" in files else []
    lines += [
        "scenarios:",
        f"  {SCENARIO_NAME}: {{footprints: {'[order]' if 'footprint' in files else '[]'}, "
        f"description: {_y('; '.join(what))}}}",
        "",
    ]
    return "\n".join(lines)


def _ground(inp: InitInputs, tmp: Path, choices: list[str]) -> dict[str, Any] | None:
    g: dict[str, Any] = {}
    if inp.dem is not None:
        if inp.max_slope_pct is None:
            raise InputError(
                Problem(
                    file=str(inp.dem),
                    field="max_slope_pct",
                    message="a DEM needs a slope limit (--max-slope-pct), in percent",
                )
            )
        g["dem"] = _copy(inp.dem, tmp)
        g["max_slope_pct"] = inp.max_slope_pct
        choices.append(
            f"usable land: slopes above {inp.max_slope_pct:g} % on {inp.dem.name} are not usable "
            "(elevations read as metres)"
        )
    if inp.landcover is not None:
        if not inp.exclude_classes:
            raise InputError(
                Problem(
                    file=str(inp.landcover),
                    field="exclude_classes",
                    message="land cover needs the classes to exclude (--exclude-classes)",
                )
            )
        g["landcover"] = _copy(inp.landcover, tmp)
        g["exclude_classes"] = [int(c) if str(c).lstrip("-").isdigit() else c for c in inp.exclude_classes]
        choices.append(
            f"usable land: land-cover classes {', '.join(map(str, inp.exclude_classes))} of "
            f"{inp.landcover.name} are not usable"
        )
    if inp.hazards:
        g["hazards"] = [
            {"file": _copy(h.file, tmp), "buffer_m": h.buffer_m, **({"kind": h.kind} if h.kind else {})}
            for h in inp.hazards
        ]
        choices += [
            f"usable land: {h.kind or 'hazard'} areas of {h.file.name} grown by {h.buffer_m:g} m are not usable"
            for h in inp.hazards
        ]
    if inp.buildings is not None:
        g["buildings"] = {"file": _copy(inp.buildings, tmp), "buffer_m": inp.building_buffer_m}
        choices.append(
            f"usable land: buildings of {inp.buildings.name} grown by {inp.building_buffer_m:g} m are not usable"
        )
    return g or None


def _attribution(files: dict[str, str]) -> str:
    rows = "\n".join(f"| {name} | {src} | FILL IN: publisher, date, licence |" for name, src in files.items())
    return (
        "# Attribution\n\nThe data in this folder, as given to `reliefplan init`. Fill in where each file comes "
        "from and its licence; the plan's report copies this page.\n\n| file | from | source and licence |\n"
        f"|---|---|---|\n{rows}\n"
    )


def _next_steps(out: Path, has_roads: bool) -> list[str]:
    steps = [
        f"Read {out / SCENARIO_FILE}: check every choice listed at its top and replace each ASSUMPTION with "
        "what you know (horizon, usable fraction, crossing capacities).",
        f"Fill in {out / 'ATTRIBUTION.md'} (where each file comes from, its licence).",
        f"Plan: reliefplan plan {out} --scenario {SCENARIO_NAME} --out out/{out.name}",
        f"Open out/{out.name}/report.html; the verdict says which standard fails, where and by how much.",
    ]
    if not has_roads:
        steps.insert(2, "Add roads (an OpenStreetMap extract, --roads) for walking times and the evacuation timing.")
    steps.append("Add scenarios (other orders, standards profiles, packages) beside 'main' in scenario.yaml.")
    return steps


def init_scenario(out: Path, inp: InitInputs) -> InitResult:
    """Build, check and write the scenario folder `out` (which must not exist or be empty)."""
    out = Path(out)
    _check_request(out, inp)
    choices: list[str] = []
    zones, _ = boundary_zones(inp, choices)
    if inp.population.suffix.lower() == ".csv":
        people = population_table(inp.population, zones, inp, choices)
    else:
        people = population_raster(inp.population, zones, choices)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.init-", dir=out.parent))
    try:
        files = _write_layers(inp, tmp, zones, people, choices)
        ground = _ground(inp, tmp, choices)
        (tmp / SCENARIO_FILE).write_text(_yaml_text(inp, files, choices, ground), encoding="utf-8")
        (tmp / "ATTRIBUTION.md").write_text(_attribution(_sources(inp)), encoding="utf-8")
        _check_folder(tmp, out)
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return InitResult(
        folder=out,
        choices=choices,
        scenario=load_scenario(out, SCENARIO_NAME),
        next_steps=_next_steps(out, inp.roads is not None),
    )


def _check_request(out: Path, inp: InitInputs) -> None:
    """What init needs before it reads anything: where people come from, and a new folder to write."""
    if inp.footprint is None and inp.arrivals is None and inp.snapshot is None:
        raise InputError(
            Problem(
                file="reliefplan init",
                field="footprint",
                message=(
                    "give the area people must leave (--footprint order.geojson), arrivals at the crossings (--arrivals) "
                    "or a snapshot of the camps (--snapshot)"
                ),
            )
        )
    if inp.arrivals is not None and (inp.entry_points is None or not inp.start_date):
        raise InputError(
            Problem(
                file=str(inp.arrivals),
                field="--entry-points" if inp.entry_points is None else "--start-date",
                message="arrivals need the crossings they come through "
                "(--entry-points) and the date of day 0 (--start-date YYYY-MM-DD)",
            )
        )
    if inp.start_date is not None:
        try:
            date.fromisoformat(inp.start_date)
        except ValueError:
            raise InputError(  # checked here too: without arrivals or a snapshot nothing else reads it
                Problem(
                    file="reliefplan init",
                    field="--start-date",
                    message=f"expected an ISO date (YYYY-MM-DD), got {inp.start_date!r}",
                )
            ) from None
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(Problem(file=str(out), message="exists and is not empty; expected a new folder"))


def _write_layers(
    inp: InitInputs, tmp: Path, zones: list[dict[str, Any]], people: np.ndarray, choices: list[str]
) -> dict[str, str]:
    """The layers and tables written (or copied) into the staging folder: scenario key -> file name."""
    _geojson(
        tmp / "zones.geojson",
        [
            ({"id": z["pcode"], "pcode": z["pcode"], "name": z["name"], "population": int(n)}, z["geometry"])
            for z, n in zip(zones, people)
        ],
    )
    files = {"zones": "zones.geojson"}
    _sites(inp, tmp, choices)
    files["sites"] = "sites.geojson"
    if inp.footprint is not None:
        fp = _polygons(inp.footprint, "footprint")
        _geojson(tmp / "footprint.geojson", [({"id": str(f.properties.get("id", f.index))}, f.geometry) for f in fp])
        files["footprint"] = "footprint.geojson"
        choices.append(
            f"order: {len(fp)} polygon(s) of {inp.footprint.name}, everyone inside leaves from day "
            f"{inp.start_day:g} (area-weighted share of each zone)"
        )
    if inp.arrivals is not None:
        files["arrivals"] = _copy(inp.arrivals, tmp)
        choices.append(
            f"arrivals: {inp.arrivals.name} (date, point, people per day; linear between rows) at "
            f"the entry points, day 0 = {inp.start_date}"
        )
    if inp.snapshot is not None:
        files["snapshot"] = _copy(inp.snapshot, tmp)
        choices.append(f"existing settlement: {inp.snapshot.name}; its people stay on their sites")
    if inp.entry_points is not None:
        _entry_points(inp, tmp, choices)
        files["entry_points"] = "entry_points.geojson"
    if inp.roads is not None:
        files["roads"] = _copy(inp.roads, tmp)
        choices.append(f"roads: {inp.roads.name} as the walking network")
    return files


def _sources(inp: InitInputs) -> dict[str, str]:
    """Each file of the folder -> the user's file(s) it comes from (for ATTRIBUTION.md)."""
    sources = {"zones.geojson": f"{inp.boundaries.name} + {inp.population.name}", "sites.geojson": inp.sites.name}
    if inp.footprint is not None:
        sources["footprint.geojson"] = inp.footprint.name
    if inp.entry_points is not None:
        sources["entry_points.geojson"] = inp.entry_points.name
    for p in (
        inp.roads,
        inp.dem,
        inp.landcover,
        inp.buildings,
        inp.arrivals,
        inp.snapshot,
        *[h.file for h in inp.hazards],
    ):
        if p is not None:
            sources[p.name] = p.name
    return sources


def _check_folder(tmp: Path, out: Path) -> None:
    """The staged folder loaded by the normal loader; its problems name the folder the user asked for."""
    try:
        load_scenario(tmp, SCENARIO_NAME)
    except InputError as e:  # name the folder the user asked for, not the staging one
        raise InputError(
            [
                Problem(file=p.file.replace(str(tmp), str(out)), message=p.message, feature=p.feature, field=p.field)
                for p in e.problems
            ]
        ) from None
