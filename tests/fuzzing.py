"""Fuzzing `reliefplan plan`: mutate a small scenario folder, plan it in a separate process, judge the outcome.

Used by tests/test_fuzz.py (a few dozen Hypothesis cases in `make test`, >= 2,000 in `make fuzz`). A case is
planned the way `reliefplan plan` does it (load, optional package, run, write the output set) in a worker
process with a memory cap, so that a hang or a memory blow-up is caught and counted instead of taking the
test run down. Every outcome is one of:

* ``error``  - a clean InputError/ReliefplanError whose problems each name an input file, nothing written;
* ``plan``   - plan.json and the rest of the set written, plan.json valid against its schema, every number
  finite, people conserved (sheltered + unsheltered = displaced, zones and sites add up);
* ``crash``  - any other exception (a defect), with where it was raised;
* ``hang``   - no answer within the time limit (a defect);
and a defect list (error naming no file, output left after an error, non-finite number, conservation break).
"""

from __future__ import annotations

import copy
import csv
import io
import json
import math
import multiprocessing as mp
import shutil
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from conftest import LAT0, LON0, D, fc, feat, square
from hypothesis import strategies as st

MEMORY_LIMIT_BYTES = 6 * 1024**3


def base_files() -> dict[str, Any]:
    """The unmutated scenario: file name -> content (dicts are JSON/YAML documents, lists are CSV rows)."""
    x = LON0 + D / 2
    files: dict[str, Any] = {
        "zones.geojson": fc(
            [
                feat({"id": "A", "population": 6000, "name": "zone A"}, square(0, 0)),
                feat({"id": "B", "population": 4000, "name": "zone B"}, square(1, 0)),
            ]
        ),
        "sites.geojson": fc(
            [
                feat({"id": "S1", "usable_fraction": 0.8}, square(0, 2, 0.006)),
                feat({"id": "S2", "usable_fraction": 0.5, "existing_population": 100}, square(2, 2, 0.006)),
            ]
        ),
        "footprint.geojson": fc([feat({"id": "F1"}, square(0, 0))]),
        "roads.geojson": fc(
            [
                feat(
                    {"highway": "primary", "width": 8},
                    {"type": "LineString", "coordinates": [[x, LAT0 + D / 2], [x, LAT0 + 2.3 * D]]},
                ),
                feat(
                    {"highway": "residential"},
                    {"type": "LineString", "coordinates": [[x, LAT0 + 2.3 * D], [x + 2 * D, LAT0 + 2.3 * D]]},
                ),
            ]
        ),
        "extra_sites.geojson": fc([feat({"id": "X1"}, square(4, 2, 0.004))]),
        "no_build.geojson": fc([feat({"id": "shore"}, square(0.1, 2.1, 0.001))]),
        "entry_points.csv": [
            ["id", "name", "lon", "lat", "trucks_per_day", "payload_t", "inspection_delay_days"],
            ["#loc+id", "#loc+name", "#geo+lon", "#geo+lat", "#capacity", "#capacity+t", "#delay"],
            ["KS", "Kerem Shalom", "34.27056", "31.22083", "40", "20", "1"],
        ],
        "warehouses.csv": [["id", "name", "lon", "lat", "capacity_t"], ["W1", "hub", "34.262", "31.26", "500"]],
        "age_sex.csv": [
            ["age", "male", "female"],
            ["#group+age", "#m", "#f"],
            ["0 to 4yo", "0.08", "0.08"],
            ["5 to 9yo", "0.07", "0.07"],
            ["10 to 14yo", "0.06", "0.06"],
            ["15 to 19yo", "0.05", "0.05"],
            ["20 to 59yo", "0.2", "0.2"],
            ["60 to 100yo", "0.04", "0.04"],
            ["pregnant", "", "0.02"],
        ],
        "observed.csv": [["date", "entry_point_id", "trucks_total"], ["#date", "#loc+id", "#capacity"]]
        + [[f"2024-05-{d:02d}", "KS", str(30 + d)] for d in range(1, 31)],
    }
    files["scenario.yaml"] = {
        "title": "fuzz",
        "population_structure": "age_sex.csv",
        "horizon_days": 10,
        "layers": {
            "zones": {"file": "zones.geojson"},
            "sites": {"file": "sites.geojson"},
            "entry_points": {"file": "entry_points.csv"},
            "warehouses": {"file": "warehouses.csv"},
            "roads": {"file": "roads.geojson"},
        },
        "layout": {"enabled": True, "no_build": "no_build.geojson"},
        "evacuation": {"spread_h": 2},
        "supply": {"disruptions": [{"entry_point": "KS", "first_day": 2, "last_day": 3}], "time_limit_s": 20},
        "siting": {"time_limit_s": 20},
        "packages": {
            "tents": {"tents": [{"count": 500, "from_day": 0}], "water": [{"m3_per_day": 50, "from_day": 1}]},
            "series": {
                "extends": "tents",
                "entry_series": {"file": "observed.csv", "start": "2024-05-01"},
                "sites": [{"file": "extra_sites.geojson", "usable_fraction": 0.6}],
            },
        },
        "footprints": {"op": {"file": "footprint.geojson", "start_day": 0}},
        "scenarios": {
            "main": {"footprints": ["op"]},
            "observed": {
                "footprints": ["op"],
                "supply": {
                    "entry_capacity": "observed",
                    "observed_file": "observed.csv",
                    "observed_start": "2024-05-02",
                },
            },
        },
    }
    return files


# ---- mutations (plain data, so Hypothesis can shrink them and a failing case can be replayed) ---------------

NASTY_NUMBERS = [
    0,
    -1,
    1,
    2,
    0.5,
    -0.5,
    1e-9,
    1e9,
    1e300,
    -1e300,
    2**53,
    2**63,
    10**30,
    math.nan,
    math.inf,
    -math.inf,
    3650,
    100000,
]
NASTY_STRINGS = [
    "",
    " ",
    "x",
    "nan",
    "inf",
    "-inf",
    "1e300",
    "true",
    "../zones.geojson",
    "/etc/passwd",
    "/dev/zero",
    "../../../../etc/hostname",
    "zones.geojson",
    "observed.csv",
    "sites.geojson",
    "x" * 300,
    "é\u0000",
    "2024-13-45",
    "EPSG:4326",
    "EPSG:32636",
    "KS",
]
NASTY_VALUES = NASTY_NUMBERS + NASTY_STRINGS + [None, True, False, [], {}, [1, 2], {"a": 1}, [[[[[]]]]]]

#: scenario.yaml options with plausible and implausible values (keys that size arrays first)
OPTIONS: dict[tuple[str, ...], list[Any]] = {
    ("horizon_days",): [1, 2, 30, 400, 10**6, 0, -3, 2.5],
    ("household_size",): [1, 5.6, 1e-9, 0.01, 1000, 1e9],
    ("evacuation", "time_step_s"): [0.001, 0.5, 1, 60, 600, 1e6],
    ("evacuation", "spread_h"): [0, 1, 1e6, 1e300],
    ("evacuation", "max_clearance_h"): [0.01, 1e300],
    ("evacuation", "method"): ["exact", "queue", "auto", "magic"],
    ("evacuation", "routing"): ["fixed", "free"],
    ("evacuation", "departure"): ["all_at_once", "spread"],
    ("siting", "min_open_sites"): [0, 1, 2, 3, 50],
    ("siting", "max_open_sites"): [0, 1, 5],
    ("siting", "max_walk_h"): [1e-6, 0.1, 1e9],
    ("siting", "single_site_per_zone"): [True, False],
    ("siting", "vulnerable_share"): [0.3, 1.0],
    ("siting", "vulnerable_max_walk_h"): [1e-6, 0.5],
    ("siting", "unmet_penalty_factor"): [1.000001, 1e300],
    ("layout", "enabled"): [True, False],
    ("layout", "no_build"): ["roads.geojson", "footprint.geojson", "../x.geojson", "/etc/passwd"],
    ("layout", "no_build_buffer_m"): [0, 5, 1e6],
    ("layout", "latrine_phase"): ["medium"],
    ("layout", "distance_metric"): ["euclidean"],
    ("supply", "enabled"): [True, False],
    ("supply", "site_storage_days"): [0, 1e300],
    ("supply", "local_water_m3_per_day"): [1, 1e300],
    ("supply", "entry_capacity"): ["design", "observed"],
    ("supply", "observed_file"): ["observed.csv", "/etc/passwd", "age_sex.csv"],
    ("supply", "observed_start"): ["2024-05-01", "2024-05-30", "1999-01-01", "nope"],
    ("supply", "disruptions"): [
        [{"entry_point": "KS", "first_day": 5, "last_day": 2}],
        [{"entry_point": "KS", "first_day": 0, "last_day": 500}],
        [{"entry_point": "NOPE", "first_day": 0, "last_day": 1}],
        [{"entry_point": "KS", "first_day": 0, "last_day": 9, "capacity_factor": 1e300}],
    ],
    ("standards", "profile"): ["unhcr-emergency", "nope"],
    ("standards", "overrides"): [
        {"water_l_per_person_day": 0},
        {"site_area_m2_per_person": 0},
        {"household_size": 0},
        {"truck_payload_t": 0},
        {"water_l_per_person_day": 1e300},
        {"covered_area_m2_per_person": 1e-9},
        {"site_area_m2_per_person": 1e9},
    ],
    ("existing_hospital_beds",): [0, 10, 10**12],
    ("crs",): ["EPSG:32636", "EPSG:4326", "nope", "EPSG:3857"],
    ("packages", "tents", "tents"): [[{"count": 10**12}], [{"count": 5, "people_per_tent": 1e-9}]],
    ("packages", "series", "entry_series", "file"): ["/etc/passwd", "../observed.csv", "zones.geojson"],
    ("packages", "series", "sites"): [[{"file": "/dev/zero"}], [{"file": "zones.geojson"}]],
    ("uncertainty",): [{"entry_capacity_bootstrap": {"file": "/etc/passwd"}}],
    ("layers", "closures"): [{"file": "footprint.geojson"}, {"file": "sites.geojson", "fields": {"factor": "id"}}],
    ("scenarios", "main", "layers"): [{"roads": {"file": "roads.geojson"}}, {"zones": {"file": "/etc/passwd"}}],
    ("scenarios", "main", "standards"): [{"profile": "unhcr-emergency"}, {"overrides": {"water_l_per_person_day": 5}}],
}


@dataclass(frozen=True)
class Mutation:
    """One change to the base folder. kind: yaml_set, yaml_del, yaml_key, option, json_prop, json_props,
    json_geom, json_top, csv_cell, csv_row, csv_bytes, deep_yaml."""

    kind: str
    file: str = "scenario.yaml"
    path: tuple[Any, ...] = ()
    value: Any = None


GEO_FILES = [
    "zones.geojson",
    "sites.geojson",
    "footprint.geojson",
    "roads.geojson",
    "extra_sites.geojson",
    "no_build.geojson",
]
CSV_FILES = ["entry_points.csv", "warehouses.csv", "age_sex.csv", "observed.csv"]
PROPS = [
    "id",
    "population",
    "usable_fraction",
    "max_population",
    "existing_population",
    "opening_cost",
    "must_open",
    "never_open",
    "vulnerable_share",
    "start_day",
    "highway",
    "width",
    "capacity",
    "closed",
    "maxspeed",
    "oneway",
    "lanes",
    "name",
]
GEOMS = [
    None,
    {"type": "Point", "coordinates": [34.25, 31.28]},
    {"type": "Point", "coordinates": [math.nan, 31.28]},
    {"type": "Polygon", "coordinates": [[[200, 100], [201, 100], [201, 101], [200, 100]]]},
    {"type": "Polygon", "coordinates": [[[34.25, 31.28], [math.inf, 31.28], [34.26, 31.29], [34.25, 31.28]]]},
    {"type": "Polygon", "coordinates": []},
    {"type": "Polygon", "coordinates": "x"},
    {
        "type": "Polygon",
        "coordinates": [[[34.25, 31.28], [34.26, 31.29], [34.26, 31.28], [34.25, 31.29], [34.25, 31.28]]],
    },
    {"type": "LineString", "coordinates": [[34.25, 31.28], [34.25, 31.28]]},
    {"type": "LineString", "coordinates": [[34.25, 31.28], [1e300, 31.3]]},
    {"type": "Polygon", "coordinates": [[[-179, -89], [179, -89], [179, 89], [-179, 89], [-179, -89]]]},
    {"type": "Polygon", "coordinates": [[[34.2, 31.2], [34.4, 31.2], [34.4, 31.4], [34.2, 31.4], [34.2, 31.2]]]},
    {"type": "Nope"},
    "geometry",
]
CRS_MEMBERS = [
    {"type": "name", "properties": {"name": "EPSG:32636"}},
    {"type": "name", "properties": []},
    {"type": "name", "properties": "x"},
    [],
    "EPSG:4326",
    {"properties": {"name": 5}},
    {"type": "name", "properties": {"name": "EPSG:999999"}},
]


def _yaml_paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _yaml_paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _yaml_paths(v, prefix + (i,))
    return out


BASE = base_files()
YAML_PATHS = _yaml_paths(BASE["scenario.yaml"])


PLAUSIBLE_VALUES = [0, 1, 3, 250, 1000, 0.3, 0.9, 2.5, "12", "0.5", "", None, True, False, "S1", "A"]


def mutation() -> st.SearchStrategy[Mutation]:
    value = st.sampled_from(NASTY_VALUES)
    plausible = st.sampled_from(PLAUSIBLE_VALUES)
    option = st.sampled_from(list(OPTIONS)).flatmap(
        lambda p: st.builds(Mutation, kind=st.just("option"), path=st.just(p), value=st.sampled_from(OPTIONS[p]))
    )
    return st.one_of(
        option,
        option,  # options that size arrays, twice as often: many of their values are valid
        st.builds(
            Mutation,
            kind=st.just("json_prop"),
            file=st.sampled_from(GEO_FILES),
            path=st.tuples(st.integers(0, 2), st.sampled_from(PROPS)),
            value=plausible,
        ),
        st.builds(Mutation, kind=st.just("yaml_set"), path=st.sampled_from(YAML_PATHS), value=value),
        st.builds(Mutation, kind=st.just("yaml_del"), path=st.sampled_from(YAML_PATHS)),
        st.builds(
            Mutation,
            kind=st.just("yaml_key"),
            path=st.sampled_from(YAML_PATHS),
            value=st.sampled_from(["bogus", "file", "layers", "standards", 5, None]),
        ),
        st.builds(
            Mutation,
            kind=st.just("json_prop"),
            file=st.sampled_from(GEO_FILES),
            path=st.tuples(st.integers(0, 2), st.sampled_from(PROPS)),
            value=value,
        ),
        st.builds(
            Mutation,
            kind=st.just("json_props"),
            file=st.sampled_from(GEO_FILES),
            path=st.tuples(st.integers(0, 2)),
            value=st.sampled_from([None, [], "x", 5, [1, 2]]),
        ),
        st.builds(
            Mutation,
            kind=st.just("json_geom"),
            file=st.sampled_from(GEO_FILES),
            path=st.tuples(st.integers(0, 2)),
            value=st.sampled_from(GEOMS),
        ),
        st.builds(
            Mutation,
            kind=st.just("json_top"),
            file=st.sampled_from(GEO_FILES),
            path=st.sampled_from([("crs",), ("features",), ("type",), ()]),
            value=st.sampled_from(CRS_MEMBERS + [None, [], "x", [5], [{"type": "Feature"}]]),
        ),
        st.builds(
            Mutation,
            kind=st.just("csv_cell"),
            file=st.sampled_from(CSV_FILES),
            path=st.tuples(st.integers(0, 4), st.integers(0, 8)),
            value=st.sampled_from([str(v) for v in NASTY_NUMBERS] + NASTY_STRINGS + ["#hxl", "x" * 140_000]),
        ),
        st.builds(
            Mutation,
            kind=st.just("csv_row"),
            file=st.sampled_from(CSV_FILES),
            path=st.tuples(st.integers(0, 4)),
            value=st.sampled_from(["extra_cells", "drop", "short", "dup_header", "blank"]),
        ),
        st.builds(
            Mutation,
            kind=st.just("csv_bytes"),
            file=st.sampled_from(CSV_FILES + GEO_FILES),
            value=st.sampled_from([b"", b"\xff\xfe\x00bad", b"id\n", b"\n\n", b"{}"]),
        ),
        st.builds(Mutation, kind=st.just("deep_yaml"), value=st.sampled_from([50, 5000])),
    )


def mutations() -> st.SearchStrategy[list[Mutation]]:
    return st.lists(mutation(), min_size=1, max_size=3)


def _get(doc: Any, path: tuple[Any, ...]) -> tuple[Any, Any] | None:
    """(container, key) of path in doc, or None when the path no longer exists."""
    cur = doc
    for k in path[:-1]:
        try:
            cur = cur[k]
        except (KeyError, IndexError, TypeError):
            return None
    if (isinstance(cur, dict) and path[-1] in cur) or (
        isinstance(cur, list) and isinstance(path[-1], int) and path[-1] < len(cur)
    ):
        return cur, path[-1]
    return None


def _set_option(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    cur = doc
    for k in path[:-1]:
        if not isinstance(cur.get(k), dict):
            cur[k] = {}
        cur = cur[k]
    cur[path[-1]] = copy.deepcopy(value)


def apply(files: dict[str, Any], muts: list[Mutation]) -> dict[str, Any]:
    """The base files with the mutations applied (raw bytes replace a file's document)."""
    files = copy.deepcopy(files)
    for m in muts:
        doc = files.get(m.file)
        if isinstance(doc, bytes) and m.kind not in ("csv_bytes", "deep_yaml"):
            continue
        if m.kind in ("yaml_set", "yaml_del", "yaml_key"):
            got = _get(doc, m.path)
            if got is None:
                continue
            c, k = got
            if m.kind == "yaml_set":
                c[k] = copy.deepcopy(m.value)
            elif m.kind == "yaml_del":
                del c[k]
            elif isinstance(c, dict) and k in c:
                c[m.value] = c.pop(k)
        elif m.kind == "option":
            _set_option(doc, m.path, m.value)
        elif m.kind in ("json_prop", "json_props", "json_geom"):
            feats = doc.get("features") if isinstance(doc, dict) else None
            if not isinstance(feats, list) or not feats:
                continue
            f = feats[m.path[0] % len(feats)]
            if not isinstance(f, dict):
                continue
            if m.kind == "json_prop":
                if isinstance(f.get("properties"), dict):
                    f["properties"][m.path[1]] = copy.deepcopy(m.value)
            elif m.kind == "json_props":
                f["properties"] = copy.deepcopy(m.value)
            else:
                f["geometry"] = copy.deepcopy(m.value)
        elif m.kind == "json_top" and isinstance(doc, dict):
            if m.path:
                doc[m.path[0]] = copy.deepcopy(m.value)
            else:
                files[m.file] = copy.deepcopy(m.value)
        elif m.kind == "csv_cell" and isinstance(doc, list):
            r, c = m.path
            if r < len(doc):
                row = doc[r]
                if c < len(row):
                    row[c] = m.value
                else:
                    row.append(m.value)
        elif m.kind == "csv_row" and isinstance(doc, list) and doc:
            r = m.path[0] % len(doc)
            if m.value == "extra_cells":
                doc[r] = doc[r] + ["surplus", "cells"]
            elif m.value == "drop":
                del doc[r]
            elif m.value == "short":
                doc[r] = doc[r][:1]
            elif m.value == "dup_header":
                doc.insert(r, list(doc[0]))
            else:
                doc.insert(r, [])
        elif m.kind == "csv_bytes":
            files[m.file] = m.value
        elif m.kind == "deep_yaml":
            files["scenario.yaml"] = ("title: " + "[" * int(m.value) + "]" * int(m.value) + "\n").encode()
    return files


def write_files(folder: Path, files: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, doc in files.items():
        path = folder / name
        if isinstance(doc, bytes):
            path.write_bytes(doc)
        elif name.endswith(".yaml"):
            path.write_text(yaml.safe_dump(doc, sort_keys=False) if not isinstance(doc, str) else doc)
        elif name.endswith(".csv") and isinstance(doc, list):
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\n").writerows(doc)
            path.write_text(buf.getvalue())
        else:
            path.write_text(json.dumps(doc))  # NaN/Infinity are written as such: readers must refuse them


# ---- running one case --------------------------------------------------------------------------------------


@dataclass
class Outcome:
    kind: str  # error | plan | crash | hang
    where: str = ""  # crash: file:line of the raising frame; error: first problem
    message: str = ""
    defects: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _plan_case(folder: str, scenario: str, package: str | None, out: str) -> Outcome:
    """Plan one case in this process the way `reliefplan plan` does; classify the result."""
    import time

    from reliefplan._errors import InputError, ReliefplanError
    from reliefplan.analysis.packages import apply_package
    from reliefplan.outputs.products import write_run
    from reliefplan.pipeline import run
    from reliefplan.scenario.folder import load_scenario
    from reliefplan.scenario.packages import resolve

    t0 = time.perf_counter()
    outp = Path(out)
    try:
        sc = load_scenario(folder, scenario)
        if package is not None:
            sc = apply_package(sc, resolve(sc.packages, package, str(Path(folder) / "scenario.yaml")), package)
        done = run(sc)
        write_run(sc, done, outp)
    except ReliefplanError as e:
        o = Outcome("error", message=str(e)[:2000], seconds=time.perf_counter() - t0)
        problems = e.problems if isinstance(e, InputError) else []
        if type(e).__name__ == "OutputError":  # plan.json refused by its own schema check: a defect
            o.defects.append(f"plan.json fails its schema (refused before writing): {str(e)[:300]}")
        elif not problems:
            o.defects.append(f"error without problems: {str(e)[:200]}")
        for p in problems:
            if not p.file or not _names_input_file(p.file, folder):
                o.defects.append(f"error names no input file: {p}")
        if outp.exists():
            o.defects.append("output written after an error")
        return o
    except BaseException as e:  # noqa: BLE001 - a crash is what we are looking for
        tb = traceback.extract_tb(e.__traceback__)
        frame = next((f for f in reversed(tb) if "reliefplan" in f.filename), tb[-1] if tb else None)
        where = f"{Path(frame.filename).name}:{frame.lineno} ({type(e).__name__})" if frame else type(e).__name__
        return Outcome(
            "crash", where=where, message=f"{type(e).__name__}: {str(e)[:500]}", seconds=time.perf_counter() - t0
        )
    o = Outcome("plan", seconds=time.perf_counter() - t0)
    o.defects += check_outputs(outp)
    return o


def _names_input_file(name: str, folder: str) -> bool:
    base = Path(folder).resolve()
    p = Path(name)
    if not p.is_absolute():  # a file of the folder, by its name
        return (base / p).is_file()
    try:
        return p.resolve().is_relative_to(base) or p.is_relative_to(Path(folder))
    except OSError:
        return False


_SCHEMA_VALIDATOR = None


def check_outputs(out: Path) -> list[str]:
    """Defects of a written plan: schema, non-finite numbers, conservation, a missing member of the set."""
    global _SCHEMA_VALIDATOR
    defects = []
    for name in ("plan.json", "report.html", "plan.gpkg", "flows.geojson"):
        if not (out / name).is_file():
            defects.append(f"output set incomplete: {name} missing")
    leftovers = [p.name for p in out.parent.iterdir() if p.name.startswith(".") and p.name != out.name]
    leftovers += [p.name for p in out.rglob(".*")]
    if leftovers:
        defects.append(f"temporary files left: {leftovers[:5]}")
    if not (out / "plan.json").is_file():
        return defects
    text = (out / "plan.json").read_text()
    doc = json.loads(text)
    bad = []

    def walk(v: Any, path: str) -> None:
        if isinstance(v, float) and not math.isfinite(v):
            bad.append(path)
        elif isinstance(v, dict):
            for k, x in v.items():
                walk(x, f"{path}.{k}")
        elif isinstance(v, list):
            for i, x in enumerate(v):
                walk(x, f"{path}[{i}]")

    walk(doc, "")
    if bad:
        defects.append(f"non-finite number in plan.json at {bad[:3]}")
    if _SCHEMA_VALIDATOR is None:
        import jsonschema

        from reliefplan.plan import plan_json_schema_text

        _SCHEMA_VALIDATOR = jsonschema.Draft202012Validator(json.loads(plan_json_schema_text()))
    errs = list(_SCHEMA_VALIDATOR.iter_errors(doc))
    if errs:
        defects.append(
            "plan.json fails its schema: "
            + "; ".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message[:100]}" for e in errs[:3])
        )
    p = doc["people"]
    if p["sheltered"] + p["unsheltered"] != p["displaced"] or p["displaced"] + p["staying"] != p["population"]:
        defects.append(f"conservation: people {p}")
    zones = doc["zones"]
    if sum(z["displaced"] for z in zones) != p["displaced"] or sum(z["sheltered"] for z in zones) != p["sheltered"]:
        defects.append("conservation: zones do not add up to the totals")
    if sum(s["population"] for s in doc["sites"]) != p["sheltered"]:
        defects.append("conservation: sites do not add up to the sheltered")
    if sum(f["people"] for f in doc["flows"]) != p["sheltered"]:
        defects.append("conservation: flows do not add up to the sheltered")
    ev = doc.get("evacuation")
    if ev and "arrived" in ev and "not_arrived" in ev and ev.get("total_people") is not None:
        if ev["arrived"] + ev["not_arrived"] != ev["total_people"]:
            defects.append("conservation: evacuation arrived + not arrived != total")
    return defects


def _worker(conn: Any) -> None:
    import resource
    import warnings

    warnings.simplefilter("ignore")
    try:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    except (ValueError, OSError):
        pass
    while True:
        job = conn.recv()
        if job is None:
            return
        try:
            conn.send(_plan_case(*job))
        except BaseException as e:  # noqa: BLE001 - never leave the parent waiting
            conn.send(Outcome("crash", where=f"worker ({type(e).__name__})", message=str(e)[:500]))


class Runner:
    """One worker process planning cases; restarted after a hang or when it dies."""

    def __init__(self, timeout_s: float = 60.0):
        self.timeout_s = timeout_s
        self._ctx = mp.get_context("spawn")
        self._proc: Any = None
        self._conn: Any = None

    def _start(self) -> None:
        parent, child = self._ctx.Pipe()
        self._proc = self._ctx.Process(target=_worker, args=(child,), daemon=True)
        self._proc.start()
        self._conn = parent

    def stop(self) -> None:
        if self._proc is not None:
            try:
                self._conn.send(None)
            except (OSError, BrokenPipeError):
                pass
            self._proc.join(5)
            if self._proc.is_alive():
                self._proc.kill()
                self._proc.join()
        self._proc = None

    def run(self, folder: Path, scenario: str, package: str | None, out: Path) -> Outcome:
        if self._proc is None or not self._proc.is_alive():
            self._start()
        self._conn.send((str(folder), scenario, package, str(out)))
        if self._conn.poll(self.timeout_s):
            try:
                return self._conn.recv()
            except EOFError:
                pass
            code = self._proc.exitcode
            self.stop()
            return Outcome("crash", where=f"worker died (exit {code})", message="killed (memory?)")
        self._proc.kill()
        self._proc.join()
        self._proc = None
        return Outcome(
            "hang", where="timeout", message=f"no answer within {self.timeout_s:g} s", seconds=self.timeout_s
        )


def run_case(
    runner: Runner, root: Path, muts: list[Mutation], scenario: str = "main", package: str | None = None
) -> Outcome:
    """Write the mutated folder under root, plan it, clean up."""
    case = root / "case"
    shutil.rmtree(case, ignore_errors=True)
    write_files(case / "in", apply(BASE, muts))
    out = case / "out" / "plan"
    (case / "out").mkdir(parents=True)
    try:
        return runner.run(case / "in", scenario, package, out)
    finally:
        shutil.rmtree(case, ignore_errors=True)


def summarise(outcomes: list[tuple[list[Mutation], str, Outcome]]) -> dict[str, Any]:
    """Counts per outcome kind and defect class, and the distinct crash places."""
    kinds = {k: sum(1 for *_, o in outcomes if o.kind == k) for k in ("error", "plan", "crash", "hang")}
    defects = [d for *_, o in outcomes for d in o.defects]
    crash_places = sorted({o.where for *_, o in outcomes if o.kind == "crash"})
    return {
        "cases": len(outcomes),
        **kinds,
        "crash_places": len(crash_places),
        "non_finite": sum(1 for d in defects if "non-finite" in d or "fails its schema" in d),
        "conservation_breaks": sum(1 for d in defects if d.startswith("conservation")),
        "errors_naming_no_file": sum(1 for d in defects if "names no input file" in d or "without problems" in d),
        "output_after_error": sum(1 for d in defects if d.startswith("output written")),
        "incomplete_or_temp_outputs": sum(1 for d in defects if d.startswith(("output set", "temporary"))),
        "crashes_at": crash_places,
        "defect_examples": sorted(set(defects))[:40],
        "seconds_max": round(max((o.seconds for *_, o in outcomes), default=0.0), 2),
    }
