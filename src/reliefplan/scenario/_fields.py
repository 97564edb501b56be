"""The loader's field readers: a problem collector, and a layer feature's id, numbers, flags and geometry, each
checked with a message naming the file, the feature and the field."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import shapely

from .._errors import InputError, Problem
from ._inputs import MAX_NUMBER, folder_file
from ._layers import Feature, read_layer
from .config import FootprintSpec, LayerSpec

POLYGONAL = ("Polygon", "MultiPolygon")


class _Collector:
    """Gathers problems across all layers so the user sees every one at once."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, file: Path | str, message: str, feature: str | None = None, field: str | None = None) -> None:
        self.problems.append(Problem(file=str(file), message=message, feature=feature, field=field))

    def raise_if_any(self) -> None:
        if self.problems:
            raise InputError(self.problems)


def _path(folder: Path, name: str, col: _Collector, field: str, what: str = "file") -> Path | None:
    """A file key's path, checked again at read time (see _inputs.folder_file); None after a problem."""
    try:
        return folder_file(folder, name, field=field, what=what)
    except InputError as e:
        col.problems.extend(e.problems)
        return None


def _read(
    folder: Path, spec: LayerSpec | FootprintSpec, col: _Collector, field: str = "file"
) -> tuple[Path, list[Feature]] | None:
    path = _path(folder, spec.file, col, field, "layer file")
    if path is None:
        return None
    try:
        return path, read_layer(path, spec.layer)
    except InputError as e:
        col.problems.extend(e.problems)
        return None


def _prop(f: Feature, spec: LayerSpec | None, name: str) -> Any:
    key = spec.fields.get(name, name) if isinstance(spec, LayerSpec) else name
    return f.properties.get(key)


def _feature_id(f: Feature, spec: LayerSpec | FootprintSpec | None) -> str:
    raw = _prop(f, spec if isinstance(spec, LayerSpec) else None, "id")
    return str(raw) if raw not in (None, "") else str(f.index)


def _number(
    col: _Collector,
    path: Path,
    f: Feature,
    fid: str,
    field: str,
    value: Any,
    *,
    required: bool,
    integer: bool = False,
    lo: float | None = 0.0,
    hi: float | None = MAX_NUMBER,
) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            col.add(path, "missing; expected a number" + (" >= 0" if lo == 0 else ""), fid, field)
        return None
    try:
        x = float(value)
        if isinstance(value, bool) or math.isnan(x) or math.isinf(x):
            raise ValueError
    except (TypeError, ValueError):
        col.add(path, f"expected a number, got {value!r}", fid, field)
        return None
    if lo is not None and x < lo:
        col.add(path, f"expected a number >= {lo:g}, got {x:g}", fid, field)
        return None
    if hi is not None and x > hi:
        col.add(path, f"expected a number <= {hi:g}, got {x:g}", fid, field)
        return None
    return float(round(x)) if integer else x


def _positive(
    col: _Collector, path: Path, f: Feature, fid: str, field: str, value: Any, what: str, required: bool = True
) -> float | None:
    """A number > 0 (`what` says what it is, for the message), or None after saying what was expected."""
    x = _number(col, path, f, fid, field, value, required=required, lo=None)
    if x is not None and x <= 0:
        col.add(path, f"expected {what} > 0, got {x:g}", fid, field)
        return None
    return x


def _flag(col: _Collector, path: Path, fid: str, field: str, value: Any) -> bool:
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "yes", "1"}:
        return True
    if text in {"false", "no", "0"}:
        return False
    col.add(path, f"expected true or false, got {value!r}", fid, field)
    return False


def _check_geometry(col: _Collector, path: Path, f: Feature, fid: str, kinds: tuple[str, ...]) -> bool:
    g = f.geometry
    if f.geometry_error is not None:
        col.add(path, f.geometry_error, fid, "lon/lat")
        return False
    if g is None:
        col.add(path, f"missing geometry; expected {' or '.join(kinds)}", fid, "geometry")
        return False
    if g.geom_type not in kinds:
        col.add(path, f"wrong geometry type {g.geom_type}; expected {' or '.join(kinds)}", fid, "geometry")
        return False
    if g.is_empty:
        col.add(path, "empty geometry", fid, "geometry")
        return False
    if not shapely.is_valid(g):
        col.add(
            path,
            f"invalid geometry ({shapely.is_valid_reason(g)}); expected a valid, non-self-intersecting polygon",
            fid,
            "geometry",
        )
        return False
    if kinds == POLYGONAL and g.area == 0:
        col.add(path, "polygon has zero area", fid, "geometry")
        return False
    return True


def _unique(col: _Collector, path: Path, ids: list[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            col.add(path, "duplicate id; ids must be unique within a layer", i, "id")
        seen.add(i)
