"""What `reliefplan init` was given (`InitInputs`), and the zones and people read from it: administrative
boundaries with P-codes, joined to a population table (CSV, HXL accepted) or summed from a population raster."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import shapely

from .._errors import InputError, Problem
from .._rounding import largest_remainder
from ..geo import WGS84, project
from ._fields import POLYGONAL
from ._layers import Feature, read_layer, read_text
from ._raster import inside, open_raster, read_window, window

NAME_SUFFIXES = ("EN", "NAME", "REF", "FR", "ES", "PT", "AR")  # COD-AB name fields, in order of preference
POPULATION_HEADERS = ("population", "pop", "t_tl", "total", "total_population", "pop_total")


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


def boundary_zones(inp: InitInputs, choices: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """The zones: each boundary polygon with its P-code and name (the fields used are appended to `choices`)."""
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


def population_table(path: Path, zones: list[dict[str, Any]], inp: InitInputs, choices: list[str]) -> np.ndarray:
    """People per zone from a table keyed by P-code (CSV; an HXL hashtag row under the header is read too)."""
    text = read_text(path, "population table")
    rows = list(csv.reader(io.StringIO(text)))
    if len(rows) < 2:
        raise InputError(Problem(file=str(path), message="no data rows; expected a header and one row per P-code"))
    header = [h.strip() for h in rows[0]]
    hxl = rows[1] if all((c or "").strip().startswith("#") or not (c or "").strip() for c in rows[1]) else None
    first = 2 if hxl else 1
    table = _Table(path, header, [(c or "").strip() for c in hxl] if hxl else [""] * len(header), hxl is not None)
    pc = table.column(
        inp.population_pcode_field,
        lambda h: bool(_PCODE.match(h)) or h.lower() in ("pcode", "p_code"),
        lambda tag, attrs: re.fullmatch(r"#adm\d", tag) is not None and ("code" in attrs or "pcode" in attrs),
        "P-code",
        "population_pcode_field",
    )
    pop = table.column(
        inp.population_field,
        lambda h: h.lower() in POPULATION_HEADERS,
        lambda tag, attrs: tag == "#population" and attrs <= {"total", "all", "ind", "i"},
        "population",
        "population_field",
    )
    values = _joined(path, rows, first, header, pc, pop, zones, inp.boundaries.name)
    choices.append(
        f"population: column '{header[pop]}' of {path.name}, joined on P-code column '{header[pc]}'"
        + (" (HXL row read)" if hxl else "")
        + f"; {int(values.sum()):,} people in {len(zones)} zones"
    )
    return values


@dataclass
class _Table:
    """A population table's header and HXL tags, to find a column by name, header or tag."""

    path: Path
    header: list[str]
    tags: list[str]
    hxl: bool

    def column(
        self,
        given: str | None,
        by_header: Callable[[str], bool],
        by_tag: Callable[[str, set[str]], bool],
        what: str,
        field: str,
    ) -> int:
        """The column named by the user (header or tag), else the first whose header, then tag, fits."""
        header, tags = self.header, self.tags
        if given is not None:
            if given in header:
                return header.index(given)
            if given in tags:
                return tags.index(given)
            raise InputError(
                Problem(file=str(self.path), field=given, message=f"no such column; the header is {header}")
            )
        for i, h in enumerate(header):
            if by_header(h):
                return i
        for i, t in enumerate(tags):
            if t and by_tag(*_hxl_attrs(t)):
                return i
        raise InputError(
            Problem(
                file=str(self.path),
                field=field,
                message=f"no {what} column found in {header}"
                + (f" / {tags}" if self.hxl else "")
                + f"; name it with --{field.replace('_', '-')}",
            )
        )


def _joined(
    path: Path,
    rows: list[list[str]],
    first: int,
    header: list[str],
    pc: int,
    pop: int,
    zones: list[dict[str, Any]],
    boundaries_name: str,
) -> np.ndarray:
    """People per zone from the table's rows (column `pc` the P-code, `pop` the people): every zone exactly once."""
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
                    message=(f"P-code {code!r} matches no boundary in {boundaries_name}" if code else "missing P-code"),
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
    return values


def population_raster(path: Path, zones: list[dict[str, Any]], choices: list[str]) -> np.ndarray:
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
