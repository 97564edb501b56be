"""Exports for GIS and HDX: every plan layer in one GeoPackage, and CSV tables with an HXL hashtag row.

All writers are atomic (temp file in the target folder, then os.replace), so a crash never leaves a
half-written file where a previous good one was.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import pyogrio.raw
import shapely

from .._errors import InputError, Problem
from ..plan import Needs, Plan
from .files import write_text_atomic
from .layers import Layer, site_compliance

GPKG_CRS = "EPSG:4326"
_JSON_FIELDS_KEY = "reliefplan_json_fields"  # layer metadata: columns holding JSON text (lists, dicts)
_MULTI = {"MultiPolygon": "Polygon", "MultiLineString": "LineString", "MultiPoint": "Point"}

# ---- GeoPackage ------------------------------------------------------------------------------


@dataclass
class _Column:
    name: str
    values: np.ndarray
    mask: np.ndarray | None
    is_json: bool = False


def _column(name: str, values: list[Any]) -> _Column:
    """One GeoPackage column: bool, int64, float64 (NaN = null), text, or JSON text for anything nested."""
    present = [v for v in values if v is not None]
    nulls = np.array([v is None for v in values], dtype=bool)
    mask = nulls if nulls.any() else None
    if present and all(isinstance(v, (bool, np.bool_)) for v in present):
        return _Column(name, np.array([bool(v) if v is not None else False for v in values]), mask)
    if present and all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in present):
        return _Column(name, np.array([int(v) if v is not None else 0 for v in values], dtype=np.int64), mask)
    if present and all(
        isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)) for v in present
    ):
        return _Column(name, np.array([math.nan if v is None else float(v) for v in values], dtype=np.float64), None)
    if all(isinstance(v, str) for v in present):
        return _Column(name, np.array(values, dtype=object), None)
    encoded = [None if v is None else json.dumps(v, default=str, separators=(",", ":")) for v in values]
    return _Column(name, np.array(encoded, dtype=object), None, is_json=True)


def _columns(props: Sequence[Mapping[str, Any]]) -> list[_Column]:
    names: dict[str, None] = {}
    for p in props:
        names.update(dict.fromkeys(p))
    # GeoPackage column names are case-insensitive and 'fid' is the primary key
    seen: set[str] = set()
    out = []
    for n in names:
        col = "fid_" if n.lower() == "fid" else n
        if col.lower() in seen:
            continue
        seen.add(col.lower())
        out.append(_column(col, [p.get(n) for p in props]))
    return out


def _geometry_type(layer: Layer) -> str:
    """The declared geometry type, if every feature fits it (Polygon promoted to MultiPolygon etc.)."""
    names = {g.geom_type for g in layer.geometries if g is not None}
    declared = layer.geometry_type
    allowed = {declared, _MULTI.get(declared, declared)}
    return declared if names <= allowed else "Unknown"


def _wkb(layer: Layer, geometry_type: str) -> np.ndarray:
    geoms = list(layer.geometries)
    single = _MULTI.get(geometry_type)
    if single:
        multi = getattr(shapely, geometry_type)
        geoms = [multi([g]) if g is not None and g.geom_type == single else g for g in geoms]
    return shapely.to_wkb(np.array(geoms, dtype=object))


def write_geopackage(layers: Mapping[str, Layer], path: Path) -> Path:
    """Write every layer (WGS84, EPSG:4326) into one GeoPackage; layer names are the dict keys.

    Properties become columns (bool, integer, real, text); lists and dicts are stored as JSON text
    and listed in the layer metadata so `read_geopackage` decodes them again.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:8]}.tmp.gpkg")
    try:
        for name, layer in layers.items():
            if len(layer.geometries) != len(layer.properties):
                raise ValueError(
                    f"layer {name!r}: {len(layer.geometries)} geometries but {len(layer.properties)} property rows"
                )
            gtype = _geometry_type(layer)
            cols = _columns(layer.properties)
            json_fields = [c.name for c in cols if c.is_json]
            pyogrio.raw.write(
                tmp,
                _wkb(layer, gtype),
                [c.values for c in cols],
                [c.name for c in cols],
                field_mask=[c.mask for c in cols] if any(c.mask is not None for c in cols) else None,
                layer=name,
                driver="GPKG",
                geometry_type=gtype,
                crs=GPKG_CRS,
                append=False,
                layer_metadata={_JSON_FIELDS_KEY: json.dumps(json_fields)} if json_fields else None,
            )
        if not layers:
            raise ValueError("no layers to write")
        os.replace(tmp, path)
    finally:
        for p in (
            tmp,
            tmp.with_name(tmp.name + "-wal"),
            tmp.with_name(tmp.name + "-shm"),
            tmp.with_name(tmp.name + "-journal"),
        ):
            p.unlink(missing_ok=True)
    return path


def _py(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def read_geopackage(path: Path) -> dict[str, Layer]:
    """Read every layer of a GeoPackage written by `write_geopackage` (geometries in WGS84)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(
            Problem(file=str(path), message="GeoPackage not found (written next to plan.json by `reliefplan plan`)")
        )
    try:
        names = [str(n) for n, _ in pyogrio.list_layers(path)]
    except Exception as e:  # GDAL raises its own error types for unreadable files
        raise InputError(Problem(file=str(path), message=f"not a readable GeoPackage: {e}")) from None
    out: dict[str, Layer] = {}
    for name in names:
        meta, _fids, wkb, fields = pyogrio.raw.read(path, layer=name)
        md = pyogrio.read_info(path, layer=name).get("layer_metadata") or {}
        json_fields = set(json.loads(md.get(_JSON_FIELDS_KEY, "[]")))
        columns = [str(c) for c in meta["fields"]]
        # integer and boolean columns with nulls come back as float64 (NaN = null): restore the declared type
        kinds = [np.dtype(str(d)).kind if str(d) != "object" else "O" for d in meta["dtypes"]]
        geoms = shapely.from_wkb(wkb) if wkb is not None else []
        props = []
        for i in range(len(geoms)):
            row = {}
            for c, arr, kind in zip(columns, fields, kinds):
                v = _py(arr[i])
                if v is not None and kind in "iub" and isinstance(v, float):
                    v = bool(v) if kind == "b" else int(v)
                if c in json_fields and isinstance(v, str):
                    v = json.loads(v)
                row[c] = v
            props.append(row)
        gtype = meta.get("geometry_type") or "Unknown"
        out[name] = Layer(name, gtype, list(geoms), props)
    return out


# ---- CSV tables with an HXL hashtag row -----------------------------------------------------------


@dataclass
class Table:
    """A flat table: column names, one HXL hashtag per column, rows (lists of cells)."""

    name: str
    columns: list[str]
    hxl: list[str]
    rows: list[list[Any]]

    def to_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(self.columns)
        w.writerow(self.hxl)
        for r in self.rows:
            w.writerow([_cell(v) for v in r])
        return buf.getvalue()


def _cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        return repr(round(v, 6)) if not v.is_integer() else str(int(v)) if abs(v) < 1e15 else repr(v)
    if isinstance(v, (list, dict, tuple)):
        return json.dumps(v, separators=(",", ":"))
    return v


_HXL_ATTR = re.compile(r"[^a-z0-9_]+")


def _attr(name: str) -> str:
    """A valid HXL attribute (lowercase letters, digits, underscore; starts with a letter)."""
    a = _HXL_ATTR.sub("_", name.lower()).strip("_") or "value"
    return a if a[0].isalpha() else "v_" + a


_PCODE = re.compile(r"^[A-Z]{2,3}(\d+)$")


def pcode_hashtag(pcodes: Sequence[str], role: str = "") -> str:
    """HXL hashtag for a column of P-codes: `#admN+code` when every code reads as a COD P-code
    (country letters + 2 digits per admin level, e.g. PS0275 = adm2), otherwise `#loc+code`."""
    levels: set[int | None] = set()
    for p in pcodes:
        m = _PCODE.match(p or "")
        if p and (not m or len(m.group(1)) % 2):
            levels.add(None)
        elif m:
            levels.add(len(m.group(1)) // 2)
    role = f"+{role}" if role else ""
    level = next(iter(levels)) if len(levels) == 1 else None
    if level is not None and 1 <= level <= 5:
        return f"#adm{level}{role}+code"
    return f"#loc{role}+code"


def _site_pcodes(plan: Plan, layers: Mapping[str, Layer] | None) -> dict[str, str]:
    """P-code of the zone containing each site's point, when zones carry P-codes and geometries are given."""
    if not layers or "zones" not in layers:
        return {}
    zl = layers["zones"]
    codes = [str(p.get("pcode") or "") for p in zl.properties]
    if not any(codes) or not zl.geometries:
        return {}
    tree = shapely.STRtree(np.array(zl.geometries, dtype=object))
    pts = shapely.points([(s.lon, s.lat) for s in plan.sites])
    site_idx, zone_idx = tree.query(pts, predicate="intersects")
    out: dict[str, str] = {}
    for i, j in zip(site_idx.tolist(), zone_idx.tolist()):
        out.setdefault(plan.sites[i].id, codes[j])
    return out


def _needs_columns() -> list[str]:
    return [k for k in Needs.model_fields if k not in ("people", "basket")]


def _needs_row(n: Needs) -> list[Any]:
    return [getattr(n, k) for k in _needs_columns()]


def plan_tables(plan: Plan, layers: Mapping[str, Layer] | None = None) -> dict[str, Table]:
    """The plan as flat tables keyed by file stem: people per zone and site, needs, basket, flows, verdict,
    plus one table per list of records in any optional section (e.g. supply per day)."""
    t: dict[str, Table] = {
        "people_by_zone": _people_by_zone(plan),
        "people_by_site": _people_by_site(plan, layers),
        **_needs_tables(plan),
        "flows": _flows_table(plan),
        "verdict": _verdict_table(plan),
    }
    for section, data in optional_sections(plan).items():
        for key, records in _record_lists(data):
            name = f"{section}_{key}".replace(".", "_")
            t[name] = _records_table(name, records)
    return t


def _people_by_zone(plan: Plan) -> Table:
    """People per zone: population, displaced, staying, sheltered or not, when they leave, where the zone is."""
    zone_tag = pcode_hashtag([z.pcode for z in plan.zones if z.pcode])
    has_pcodes = any({z.id: z.pcode for z in plan.zones}.values())
    cols = (
        ["zone_id", "zone_name"]
        + (["pcode"] if has_pcodes else [])
        + [
            "population",
            "displaced",
            "staying",
            "sheltered",
            "unsheltered",
            "displaced_share",
            "start_day",
            "lon",
            "lat",
        ]
    )
    hxl = (
        ["#loc+id", "#loc+name"]
        + ([zone_tag] if has_pcodes else [])
        + [
            "#population+num",
            "#affected+displaced+num",
            "#population+staying+num",
            "#affected+displaced+sheltered+num",
            "#affected+displaced+unsheltered+num",
            "#indicator+displaced_share+num",
            "#indicator+start_day+num",
            "#geo+lon",
            "#geo+lat",
        ]
    )
    return Table(
        "people_by_zone",
        cols,
        hxl,
        [
            [z.id, z.name]
            + ([z.pcode] if has_pcodes else [])
            + [
                z.population,
                z.displaced,
                z.staying,
                z.sheltered,
                z.unsheltered,
                z.displaced_share,
                z.start_day,
                z.lon,
                z.lat,
            ]
            for z in plan.zones
        ],
    )


def _people_by_site(plan: Plan, layers: Mapping[str, Layer] | None) -> Table:
    """People per site: capacity, who lives there already, who is allocated, area, compliance, where it is."""
    site_pc = _site_pcodes(plan, layers)
    comp = site_compliance(plan)
    with_pc = bool(site_pc)
    cols = (
        ["site_id", "site_name"]
        + (["zone_pcode"] if with_pc else [])
        + [
            "capacity",
            "existing_population",
            "allocated",
            "present",
            "usable_area_m2",
            "m2_per_person",
            "open",
            "compliance",
            "lon",
            "lat",
        ]
    )
    hxl = (
        ["#loc+id", "#loc+name"]
        + ([pcode_hashtag(list(site_pc.values()))] if with_pc else [])
        + [
            "#capacity+ind+num",
            "#population+existing+num",
            "#affected+displaced+num",
            "#population+total+num",
            "#indicator+usable_area_m2+num",
            "#indicator+m2_per_person+num",
            "#status+open",
            "#severity+compliance",
            "#geo+lon",
            "#geo+lat",
        ]
    )
    return Table(
        "people_by_site",
        cols,
        hxl,
        [
            [s.id, s.name]
            + ([site_pc.get(s.id, "")] if with_pc else [])
            + [
                s.capacity,
                s.existing_population,
                s.population,
                s.population + s.existing_population,
                s.usable_area_m2,
                s.m2_per_person,
                s.open,
                comp[s.id],
                s.lon,
                s.lat,
            ]
            for s in plan.sites
        ],
    )


def _needs_tables(plan: Plan) -> dict[str, Table]:
    """Needs and the daily basket for the scenario and per site."""
    ncols = _needs_columns()
    rows = [["scenario", "", "", plan.needs.people] + _needs_row(plan.needs)]
    rows += [["site", s.id, s.name, s.needs.people] + _needs_row(s.needs) for s in plan.sites if s.needs]
    needs = Table(
        "needs",
        ["scope", "site_id", "site_name", "people"] + ncols,
        ["#meta+scope", "#loc+id", "#loc+name", "#affected+displaced+num"]
        + [f"#indicator+{_attr(c)}+num" for c in ncols],
        rows,
    )
    brows = [["scenario", "", b.item, b.kg_per_day] for b in plan.needs.basket]
    brows += [["site", s.id, b.item, b.kg_per_day] for s in plan.sites if s.needs for b in s.needs.basket]
    basket = Table(
        "needs_basket",
        ["scope", "site_id", "item", "kg_per_day"],
        ["#meta+scope", "#loc+id", "#item+name", "#indicator+kg_per_day+num"],
        brows,
    )
    return {"needs": needs, "needs_basket": basket}


def _flows_table(plan: Plan) -> Table:
    """People from each zone to each site, with distance and walking time."""
    zone_pcode = {z.id: z.pcode for z in plan.zones}
    has_pcodes = any(zone_pcode.values())
    cols = ["zone_id"] + (["zone_pcode"] if has_pcodes else []) + ["site_id", "people", "distance_m", "travel_time_s"]
    hxl = (
        ["#loc+origin+id"]
        + ([pcode_hashtag([z.pcode for z in plan.zones if z.pcode], "origin")] if has_pcodes else [])
        + ["#loc+dest+id", "#affected+displaced+num", "#indicator+distance_m+num", "#indicator+travel_time_s+num"]
    )
    return Table(
        "flows",
        cols,
        hxl,
        [
            [f.zone]
            + ([zone_pcode.get(f.zone, "")] if has_pcodes else [])
            + [f.site, f.people, f.distance_m, f.travel_time_s]
            for f in plan.flows
        ],
    )


def _verdict_table(plan: Plan) -> Table:
    """Every verdict row: indicator, scope, value against target, met, severity, source."""
    return Table(
        "verdict",
        ["indicator", "scope", "site_id", "value", "target", "comparison", "unit", "met", "severity", "source", "note"],
        [
            "#indicator+name",
            "#meta+scope",
            "#loc+id",
            "#indicator+value+num",
            "#indicator+target+num",
            "#indicator+comparison",
            "#indicator+unit",
            "#indicator+met",
            "#severity",
            "#meta+source",
            "#description",
        ],
        [
            [
                i.indicator,
                i.scope.split(":", 1)[0],
                i.scope.split(":", 1)[1] if ":" in i.scope else "",
                i.value,
                i.target,
                i.comparison,
                i.unit,
                i.met,
                i.severity,
                i.source,
                i.note,
            ]
            for i in plan.verdict
        ],
    )


# ---- optional plan sections (added by later stages) ------------------------------------------------

CORE_FIELDS = frozenset(
    {
        "reliefplan_version",
        "scenario",
        "scenario_title",
        "description",
        "crs",
        "horizon_days",
        "people",
        "needs",
        "zones",
        "sites",
        "flows",
        "unsheltered_by_zone",
        "siting",
        "network",
        "entry_points",
        "verdict",
        "standards",
        "assumptions",
        "warnings",
    }
)


def optional_sections(plan: Plan) -> dict[str, Any]:
    """Every non-core field of the plan that is present (not None), as plain JSON-ready data."""
    out: dict[str, Any] = {}
    names = list(type(plan).model_fields) + list(
        (plan.model_extra or {}) if plan.model_config.get("extra") == "allow" else []
    )
    for name in names:
        if name in CORE_FIELDS:
            continue
        v = getattr(plan, name, None)
        if v is None or v == [] or v == {}:
            continue
        if hasattr(v, "model_dump"):
            v = v.model_dump(mode="json")
        elif isinstance(v, list):
            v = [x.model_dump(mode="json") if hasattr(x, "model_dump") else x for x in v]
        out[name] = v
    return out


def _record_lists(data: Any, prefix: str = "", depth: int = 0) -> list[tuple[str, list[dict[str, Any]]]]:
    """(dotted key, records) for every non-empty list of dicts in a section, two levels deep."""
    if isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
        return [(prefix or "records", data)]
    out: list[tuple[str, list[dict[str, Any]]]] = []
    if isinstance(data, dict) and depth < 2:
        for k, v in data.items():
            out += _record_lists(v, f"{prefix}.{k}" if prefix else str(k), depth + 1)
    return out


_KNOWN_TAGS = {
    "day": "#date+day+num",
    "t_day": "#date+day+num",
    "t_s": "#date+time_s+num",
    "t_h": "#date+time_h+num",
    "site": "#loc+id",
    "site_id": "#loc+id",
    "zone": "#loc+origin+id",
    "zone_id": "#loc+origin+id",
    "crossing": "#loc+crossing+id",
    "entry_point": "#loc+crossing+id",
    "commodity": "#item+name",
    "item": "#item+name",
    "people": "#affected+num",
    "id": "#meta+id",
    "name": "#meta+name",
}


def _records_table(name: str, records: list[dict[str, Any]]) -> Table:
    cols: dict[str, None] = {}
    for r in records:
        cols.update(dict.fromkeys(r))
    hxl = []
    for c in cols:
        vals = [r.get(c) for r in records if r.get(c) is not None]
        numeric = bool(vals) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals)
        hxl.append(_KNOWN_TAGS.get(c) or (f"#indicator+{_attr(c)}+num" if numeric else f"#meta+{_attr(c)}"))
    return Table(name, list(cols), hxl, [[r.get(c) for c in cols] for r in records])


def write_tables(plan: Plan, out_dir: Path, layers: Mapping[str, Layer] | None = None) -> list[Path]:
    """Write the plan's CSV tables (header row, HXL hashtag row, data) into out_dir/tables/; returns the paths.

    Pass the plan's layers to add the P-code of the zone containing each site."""
    folder = Path(out_dir) / "tables"
    paths = []
    for name, table in plan_tables(plan, layers).items():
        p = folder / f"{name}.csv"
        write_text_atomic(p, table.to_csv())
        paths.append(p)
    return paths
