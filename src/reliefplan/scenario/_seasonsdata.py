"""Wear-and-season figures as data (``data/health/seasons.yaml``) with a scenario's ``seasons:`` overrides applied.

Read here (the scenario layer) so a bad ``seasons:`` block is refused when the scenario loads; the computations
are in ``solvers.seasons``.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from .._errors import InputError, Problem, field_path, schema_message
from ._healthdata import ListParam, Param


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_months(months: list[int]) -> list[int]:
    bad = [m for m in months if not (isinstance(m, int) and 1 <= m <= 12)]
    if bad:
        raise ValueError(f"months must be whole numbers 1-12, got {bad}")
    return months


class MonthsParam(ListParam):
    _months = field_validator("value")(_check_months)


def _within(p: Param, low: float, high: float | None = None, *, above: bool = False) -> Param:
    """The figure, its low and its high all >= low (> low if `above`) and <= high: a negative amount or a zero
    weight would make a need smaller than its data, a share above 1 would take more land than there is."""
    named = [(x, k) for x, k in ((p.value, ""), (p.low, " (low)"), (p.high, " (high)")) if x is not None]
    bad = [f"{x:g}{k}" for x, k in named if (x <= low if above else x < low) or (high is not None and x > high)]
    if bad:
        want = f"> {low:g}" if above else f"in [{low:g}, {high:g}]" if high is not None else f">= {low:g}"
        raise ValueError(f"must be {want}, got {', '.join(bad)}")
    return p


class TentLifespan(_Strict):
    distribution: str = "weibull"
    median_days: Param
    shape: Param

    @field_validator("median_days", "shape")
    @classmethod
    def _positive(cls, p: Param) -> Param:
        return _within(p, 0, above=True)


class Winterisation(_Strict):
    months: MonthsParam
    kits_per_household: Param
    kit_weight_kg: Param
    blankets_per_person: Param

    @field_validator("kits_per_household", "blankets_per_person")
    @classmethod
    def _count(cls, p: Param) -> Param:
        return _within(p, 0)

    @field_validator("kit_weight_kg")
    @classmethod
    def _weight(cls, p: Param) -> Param:
        return _within(p, 0, above=True)


class Heat(_Strict):
    months: MonthsParam
    extra_water_l_per_person_day: Param

    @field_validator("extra_water_l_per_person_day")
    @classmethod
    def _amount(cls, p: Param) -> Param:
        return _within(p, 0)


class Flood(_Strict):
    default_usable_share_lost: Param

    @field_validator("default_usable_share_lost")
    @classmethod
    def _share(cls, p: Param) -> Param:
        return _within(p, 0, 1)


class SeasonsData(_Strict):
    title: str
    sources: dict[str, str]
    tent_lifespan: TentLifespan
    winterisation: Winterisation
    heat: Heat
    flood: Flood


@lru_cache(maxsize=None)
def _raw() -> dict[str, Any]:
    path = resources.files("reliefplan") / "data" / "health" / "seasons.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_seasons_data(
    overrides: dict[str, dict[str, Any]] | None = None, *, source_file: str = "scenario.yaml"
) -> SeasonsData:
    """The shipped wear/season figures with a scenario's ``seasons:`` block applied (same keys, plain values).

    E.g. ``{"tent_lifespan": {"median_days": 240}, "heat": {"months": [5, 6, 7, 8, 9]}}``. Lifespans <= 0,
    months outside 1-12 and unknown keys are input errors naming the field.
    """
    raw = {k: (dict(v) if isinstance(v, dict) else v) for k, v in _raw().items()}
    problems: list[Problem] = []
    for section, values in (overrides or {}).items():
        if section not in SeasonsData.model_fields or section in ("title", "sources"):
            problems.append(
                Problem(
                    file=source_file,
                    field=f"seasons.{section}",
                    message="unknown section; expected tent_lifespan, winterisation, heat or flood",
                )
            )
            continue
        if not isinstance(values, dict):
            problems.append(
                Problem(file=source_file, field=f"seasons.{section}", message=f"expected a mapping, got {values!r}")
            )
            continue
        for key, value in values.items():
            if key not in raw[section] or key == "distribution":
                problems.append(
                    Problem(
                        file=source_file,
                        field=field_path("seasons", section, key),
                        message=f"unknown key; expected one of {sorted(k for k in raw[section] if k != 'distribution')}",
                    )
                )
                continue
            old = dict(raw[section][key])
            new = value if isinstance(value, dict) else {"value": value, "low": None, "high": None, "dist": "fixed"}
            if "dist" not in old:
                new = {k: v for k, v in new.items() if k not in ("low", "high", "dist")}
            raw[section][key] = {**old, **new, "source": f"scenario override ({old['source']})", "assumption": False}
    if problems:
        raise InputError(problems)
    try:
        return SeasonsData.model_validate(raw)
    except ValidationError as exc:
        raise InputError(
            [
                Problem(
                    file=source_file,
                    field=field_path("seasons", *(p for p in e["loc"] if p != "value")),
                    message=schema_message(e),
                )
                for e in exc.errors()
            ]
        ) from None


SECTIONS = ("tent_lifespan", "winterisation", "heat", "flood")


def seasons_problems(
    seasons: dict[str, Any] | None, start_date: Any, source_file: str, field: str = "seasons"
) -> list[Problem]:
    """A declared ``seasons:`` block needs ``start_date`` (days -> months) and valid figures; every problem at once."""
    if seasons is None:
        return []
    out: list[Problem] = []
    if start_date is None:
        out.append(
            Problem(
                file=source_file,
                field="start_date",
                message="expected the calendar date of day 0 (YYYY-MM-DD): `seasons:` maps days to months",
            )
        )
    if not isinstance(seasons, dict):
        return out + [Problem(file=source_file, field=field, message=f"expected a mapping, got {seasons!r}")]
    bad = [k for k in seasons if k not in SECTIONS]
    out += [
        Problem(file=source_file, field=f"{field}.{k}", message=f"unknown section; expected one of {list(SECTIONS)}")
        for k in bad
    ]
    try:
        load_seasons_data(season_overrides(seasons), source_file=source_file)
    except InputError as e:
        out += [
            Problem(file=p.file, field=(p.field or "").replace("seasons", field, 1), message=p.message)
            for p in e.problems
            if not any((p.field or "").startswith(f"seasons.{k}") for k in bad)
        ]
    return out


def season_overrides(seasons: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The figures a ``seasons:`` block overrides (sections declared with ``{}`` or ``true`` take the defaults)."""
    out: dict[str, dict[str, Any]] = {}
    for k, v in seasons.items():
        if k not in SECTIONS:
            continue
        if v is True or v is None:
            v = {}
        out[k] = {kk: vv for kk, vv in v.items() if kk != "layer"} if isinstance(v, dict) else v
    return out


def read_flood_layer(
    folder: Any, seasons: dict[str, Any] | None, source_file: str
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """The flood layer a ``seasons.flood.layer`` names: polygons with ``months`` (1-12, a list or "6,7,8") and
    ``usable_share_lost`` (0-1, default the shipped figure). Returns records (id, WGS84 geometry, months, share)
    and every problem, naming the file, the feature and the field."""
    from pathlib import Path

    from ._inputs import folder_file
    from ._layers import read_layer

    flood = (seasons or {}).get("flood")
    if not isinstance(flood, dict) or not flood.get("layer"):
        return [], []
    try:
        path = folder_file(Path(folder), flood["layer"], field="seasons.flood.layer")
        feats = read_layer(path)
    except InputError as e:
        return [], list(e.problems)
    default = load_seasons_data().flood.default_usable_share_lost.value
    out, problems = [], []
    for f in feats:
        fid = str(f.properties.get("id", f.index))
        raw = f.properties.get("months")
        try:
            months = [int(m) for m in (raw.split(",") if isinstance(raw, str) else () if raw is None else raw)]
            if (
                not months
                or any(not 1 <= m <= 12 for m in months)
                or any(isinstance(m, float) and not m.is_integer() for m in (raw if isinstance(raw, list) else []))
            ):
                raise ValueError
        except (TypeError, ValueError, AttributeError):
            problems.append(
                Problem(
                    file=str(path),
                    feature=fid,
                    field="months",
                    message=f"expected months as whole numbers 1-12 (a list or '6,7,8'), got {raw!r}",
                )
            )
            continue
        share = f.properties.get("usable_share_lost", default)
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1:
            problems.append(
                Problem(
                    file=str(path),
                    feature=fid,
                    field="usable_share_lost",
                    message=f"expected a share in [0, 1], got {share!r}",
                )
            )
            continue
        if f.geometry is None or f.geometry.is_empty or f.geometry.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(
                Problem(file=str(path), feature=fid, field="geometry", message=f.geometry_error or "expected a polygon")
            )
            continue
        out.append({"id": fid, "geometry": f.geometry, "months": tuple(months), "usable_share_lost": float(share)})
    return out, problems
