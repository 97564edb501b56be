"""`reliefplan init`: a scenario folder from standard humanitarian data.

Inputs: administrative boundaries with P-codes (COD-AB style, fields ADMn_PCODE and ADMn_EN/ADMn_NAME) as the
zones; a population table keyed by P-code (CSV, an HXL hashtag row accepted; COD-PS style T_TL or
#population+total) or a population raster of people per pixel (zonal sums); site outlines; an order or footprint
polygon; optionally entry points, an OpenStreetMap extract of the roads and the ground (DEM, land cover, hazards,
buildings). Writes a commented scenario.yaml naming every choice made (ASSUMPTION where it is a guess), checks the
folder with the normal loader, and only then puts it in place: on any problem nothing is written.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from .._errors import InputError, Problem
from .._rounding import largest_remainder
from ..geo import WGS84, project
from ._layers import Feature, read_layer, read_text
from ._raster import inside, open_raster, read_window, window
from .folder import SCENARIO_FILE, Scenario, load_scenario

POLYGONAL = ("Polygon", "MultiPolygon")
NAME_SUFFIXES = ("EN", "NAME", "REF", "FR", "ES", "PT", "AR")  # COD-AB name fields, in order of preference
POPULATION_HEADERS = ("population", "pop", "t_tl", "total", "total_population", "pop_total")
SCENARIO_NAME = "main"


@dataclass
class Hazard:
    file: Path
    buffer_m: float = 0.0
    kind: str = ""


@dataclass
class InitInputs:
    """What `reliefplan init` was given. Paths are the user's files; they are copied into the folder."""

    boundaries: Path
    population: Path  # .csv table keyed by P-code, or a raster of people per pixel (.tif)
    sites: Path
    footprint: Path | None = None  # the area an order empties
    arrivals: Path | None = None  # CSV date, point, people: daily arrivals at the entry points
    start_date: str | None = None  # ISO date of day 0 (needed by arrivals; a snapshot's date otherwise)
    snapshot: Path | None = None  # CSV date, site_id, block_id, people, latrines, taps: an existing settlement
    entry_points: Path | None = None
    roads: Path | None = None  # .osm.pbf / .osm extract, or GeoJSON/GeoPackage lines
    boundaries_layer: str | None = None
    admin_level: int | None = None  # default: the finest level with a P-code field
    pcode_field: str | None = None
    name_field: str | None = None
    population_pcode_field: str | None = None
    population_field: str | None = None
    title: str = ""
    usable_fraction: float | None = None
    trucks_per_day: float | None = None  # for entry points without the column
    start_day: float = 0.0
    dem: Path | None = None
    max_slope_pct: float | None = None
    landcover: Path | None = None
    exclude_classes: list[str] = field(default_factory=list)
    hazards: list[Hazard] = field(default_factory=list)
    buildings: Path | None = None
    building_buffer_m: float = 0.0


@dataclass
class InitResult:
    folder: Path
    choices: list[str]  # what was mapped and assumed, as written into scenario.yaml
    scenario: Scenario  # the folder loaded by the normal loader
    next_steps: list[str]


# ---- boundaries -------------------------------------------------------------------------------------------

_PCODE = re.compile(r"^adm(\d)_pcode$", re.IGNORECASE)


def _fields(feats: list[Feature]) -> list[str]:
    seen: dict[str, None] = {}
    for f in feats:
        seen.update(dict.fromkeys(f.properties))
    return list(seen)


def _pick_pcode(path: Path, names: list[str], level: int | None, given: str | None) -> tuple[str, int | None]:
    if given is not None:
        if given not in names:
            raise InputError(Problem(file=str(path), field=given, message=f"no such field; the file has {names}"))
        m = _PCODE.match(given)
        return given, int(m.group(1)) if m else level
    levels = {int(m.group(1)): n for n in names if (m := _PCODE.match(n))}
    if level is not None:
        if level not in levels:
            raise InputError(
                Problem(
                    file=str(path),
                    field=f"ADM{level}_PCODE",
                    message=(
                        f"no P-code field for admin level {level}; the file has {sorted(levels) or 'no ADMn_PCODE field'}"
                    ),
                )
            )
        return levels[level], level
    if not levels:
        raise InputError(
            Problem(
                file=str(path),
                field="ADMn_PCODE",
                message=(
                    "no P-code field; expected a COD-AB field such as ADM2_PCODE (or name one with --pcode-field)"
                ),
            )
        )
    finest = max(levels)
    return levels[finest], finest


def _zones(inp: InitInputs, choices: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    path = inp.boundaries
    feats = read_layer(path, inp.boundaries_layer)
    if not feats:
        raise InputError(Problem(file=str(path), message="no features; expected administrative boundary polygons"))
    names = _fields(feats)
    pfield, level = _pick_pcode(path, names, inp.admin_level, inp.pcode_field)
    nfield = inp.name_field
    if nfield is None and level is not None:
        nfield = next((f"ADM{level}_{s}" for s in NAME_SUFFIXES if f"ADM{level}_{s}" in names), None) or next(
            (n for n in names for s in NAME_SUFFIXES if n.lower() == f"adm{level}_{s.lower()}"), None
        )
    problems, zones, seen = [], [], set()
    for f in feats:
        code = str(f.properties.get(pfield) or "").strip()
        if not code:
            problems.append(Problem(file=str(path), feature=str(f.index), field=pfield, message="missing P-code"))
            continue
        if code in seen:
            problems.append(Problem(file=str(path), feature=code, field=pfield, message="duplicate P-code"))
        seen.add(code)
        g = f.geometry
        if g is None or g.geom_type not in POLYGONAL or g.is_empty:
            problems.append(
                Problem(
                    file=str(path),
                    feature=code,
                    field="geometry",
                    message=f"expected a polygon, got {None if g is None else g.geom_type}",
                )
            )
            continue
        zones.append(
            {
                "pcode": code,
                "name": str(f.properties.get(nfield) or "") if nfield else "",
                "geometry": shapely.make_valid(g) if not g.is_valid else g,
            }
        )
    if problems:
        raise InputError(problems)
    choices.append(
        f"zones: {len(zones)} boundaries of {path.name}, P-code from field '{pfield}'"
        + (
            f" (admin level {level}, the finest in the file)"
            if inp.admin_level is None and inp.pcode_field is None and level is not None
            else ""
        )
        + (f", names from '{nfield}'" if nfield else ", no name field found")
    )
    return zones, names


# ---- population -------------------------------------------------------------------------------------------


def _hxl_attrs(tag: str) -> tuple[str, set[str]]:
    parts = tag.strip().lower().split("+")
    return parts[0], {p.strip() for p in parts[1:]}


def _population_table(path: Path, zones: list[dict[str, Any]], inp: InitInputs, choices: list[str]) -> np.ndarray:
    text = read_text(path, "population table")
    rows = list(csv.reader(io.StringIO(text)))
    if len(rows) < 2:
        raise InputError(Problem(file=str(path), message="no data rows; expected a header and one row per P-code"))
    header = [h.strip() for h in rows[0]]
    hxl = rows[1] if all((c or "").strip().startswith("#") or not (c or "").strip() for c in rows[1]) else None
    first = 2 if hxl else 1
    tags = [(c or "").strip() for c in hxl] if hxl else [""] * len(header)

    def col(given: str | None, by_header, by_tag, what: str, field: str) -> int:
        if given is not None:
            if given in header:
                return header.index(given)
            if given in tags:
                return tags.index(given)
            raise InputError(Problem(file=str(path), field=given, message=f"no such column; the header is {header}"))
        for i, h in enumerate(header):
            if by_header(h):
                return i
        for i, t in enumerate(tags):
            if t and by_tag(*_hxl_attrs(t)):
                return i
        raise InputError(
            Problem(
                file=str(path),
                field=field,
                message=f"no {what} column found in {header}"
                + (f" / {tags}" if hxl else "")
                + f"; name it with --{field.replace('_', '-')}",
            )
        )

    pc = col(
        inp.population_pcode_field,
        lambda h: bool(_PCODE.match(h)) or h.lower() in ("pcode", "p_code"),
        lambda tag, attrs: re.fullmatch(r"#adm\d", tag) is not None and ("code" in attrs or "pcode" in attrs),
        "P-code",
        "population_pcode_field",
    )
    pop = col(
        inp.population_field,
        lambda h: h.lower() in POPULATION_HEADERS,
        lambda tag, attrs: tag == "#population" and attrs <= {"total", "all", "ind", "i"},
        "population",
        "population_field",
    )
    index = {z["pcode"]: k for k, z in enumerate(zones)}
    values = np.full(len(zones), -1, dtype=np.int64)
    problems = []
    for i, row in enumerate(rows[first:]):
        line = first + i + 1
        if not any((c or "").strip() for c in row):
            continue
        code = row[pc].strip() if pc < len(row) else ""
        raw = row[pop].strip() if pop < len(row) else ""
        where = dict(file=str(path), feature=f"row {line}")
        if code not in index:
            problems.append(
                Problem(
                    **where,
                    field=header[pc],
                    message=(
                        f"P-code {code!r} matches no boundary in {inp.boundaries.name}" if code else "missing P-code"
                    ),
                )
            )
            continue
        try:
            n = float(raw.replace(",", "")) if raw else float("nan")
            if not np.isfinite(n) or n < 0:
                raise ValueError
        except ValueError:
            problems.append(
                Problem(**where, field=header[pop], message=f"expected a number of people >= 0, got {raw!r}")
            )
            continue
        if values[index[code]] >= 0:
            problems.append(Problem(**where, field=header[pc], message=f"P-code {code!r} appears twice"))
        values[index[code]] = int(round(n))
    missing = [z["pcode"] for z, v in zip(zones, values) if v < 0]
    if missing and not problems:
        problems.append(
            Problem(
                file=str(path),
                field=header[pc],
                message=(
                    f"no population row for {len(missing)} boundar{'y' if len(missing) == 1 else 'ies'} "
                    f"({', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''}); expected one row per P-code"
                ),
            )
        )
    if problems:
        raise InputError(problems)
    choices.append(
        f"population: column '{header[pop]}' of {path.name}, joined on P-code column '{header[pc]}'"
        + (" (HXL row read)" if hxl else "")
        + f"; {int(values.sum()):,} people in {len(zones)} zones"
    )
    return values


def _population_raster(path: Path, zones: list[dict[str, Any]], choices: list[str]) -> np.ndarray:
    import rasterio

    r = open_raster(path)
    geoms = np.empty(len(zones), dtype=object)
    geoms[:] = [z["geometry"] for z in zones]
    in_crs = project(geoms, WGS84, r.crs)
    exact = np.zeros(len(zones))
    with rasterio.open(path) as ds:
        for k, g in enumerate(in_crs):
            row0, col0, h, w = window(r, g, 0)
            mask = inside(g, r.transform, row0, col0, h, w, touched=False)
            v = read_window(ds, row0, col0, h, w)[mask]
            exact[k] = float(np.nansum(v))
    total = int(round(exact.sum()))
    people = largest_remainder(exact, total)
    choices.append(
        f"population: zonal sums of the raster {path.name} ({total:,} people); each pixel counts wholly "
        "for the zone holding its centre (no pixel counted twice, none split), nodata pixels count 0"
    )
    choices.append("ASSUMPTION: raster values are people per pixel (e.g. WorldPop 'ppp'), not densities per km2")
    return people


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
    if "footprint" in files:
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
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(Problem(file=str(out), message="exists and is not empty; expected a new folder"))
    choices: list[str] = []
    zones, _ = _zones(inp, choices)
    if inp.population.suffix.lower() == ".csv":
        people = _population_table(inp.population, zones, inp, choices)
    else:
        people = _population_raster(inp.population, zones, choices)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.init-", dir=out.parent))
    try:
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
            _geojson(
                tmp / "footprint.geojson", [({"id": str(f.properties.get("id", f.index))}, f.geometry) for f in fp]
            )
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
        ground = _ground(inp, tmp, choices)
        (tmp / SCENARIO_FILE).write_text(_yaml_text(inp, files, choices, ground), encoding="utf-8")
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
        (tmp / "ATTRIBUTION.md").write_text(_attribution(sources), encoding="utf-8")
        try:
            load_scenario(tmp, SCENARIO_NAME)
        except InputError as e:  # name the folder the user asked for, not the staging one
            raise InputError(
                [
                    Problem(
                        file=p.file.replace(str(tmp), str(out)), message=p.message, feature=p.feature, field=p.field
                    )
                    for p in e.problems
                ]
            ) from None
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
