"""The scenario's ``movement`` block: evacuation orders over days (footprints with dates), the departure curve of
each order, people who leave without an order, transport modes, and arrival order vs the planned assignment.

The models are the input contract (Strict: unknown keys, NaN/inf and numbers beyond ±1e12 are errors); the
solvers (`solvers.departures`, `solvers.movement_days`) evaluate them. `movement_problems` checks a block
against its scenario (horizon, footprints); every problem names the file, the feature and the field.
See docs/movement.md and docs/departures.md.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from .._errors import InputError, Problem, field_path
from ._inputs import FolderFile, Strict
from ._layers import read_text


class _Curve(Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    source: str = ""  # where the figures come from, or "ASSUMPTION: ..."


class LogisticCurve(_Curve):
    """Normalised logistic in days after the order."""

    kind: Literal["logistic"] = "logistic"
    final_share: float = Field(ge=0, le=1)  # share of the people present at the order who ever leave
    midpoint_days: float = Field(gt=0, allow_inf_nan=False)  # centre of the logistic, days after the order
    width_days: float = Field(gt=0, allow_inf_nan=False)  # logistic scale, days (10 % -> 90 % takes ~4.4 x this)


class WeibullCurve(_Curve):
    """Weibull cumulative distribution in days after the order, scaled by the final share."""

    kind: Literal["weibull"] = "weibull"
    final_share: float = Field(ge=0, le=1)
    scale_days: float = Field(gt=0, allow_inf_nan=False)  # 63 % of the final share have left by then
    shape: float = Field(gt=0, allow_inf_nan=False)  # < 1: early rush then a long tail; > 1: slow start


class EmpiricalCurve(_Curve):
    """Observed or declared (day, share left) points; linear in between, flat after the last."""

    kind: Literal["empirical"] = "empirical"
    days: list[float] = Field(min_length=1)
    share: list[float] = Field(min_length=1)

    @field_validator("days")
    @classmethod
    def _days_increase(cls, v: list[float]) -> list[float]:
        for i, d in enumerate(v):
            if not math.isfinite(d) or d < 0:
                raise ValueError(
                    f"{field_path('days', i)} = {d}: expected a finite number of days >= 0 after the order"
                )
            if i and d <= v[i - 1]:
                raise ValueError(f"{field_path('days', i)} = {d} after {v[i - 1]}: expected strictly increasing days")
        return v

    @field_validator("share")
    @classmethod
    def _share_monotone(cls, v: list[float]) -> list[float]:
        for i, s in enumerate(v):
            if not (math.isfinite(s) and 0 <= s <= 1):
                raise ValueError(f"{field_path('share', i)} = {s}: expected a share of the people in [0, 1]")
            if i and s < v[i - 1]:
                raise ValueError(
                    f"{field_path('share', i)} = {s} after {v[i - 1]}: a departure (return) curve is the cumulative "
                    "share who have left (returned), so it must not decrease"
                )
        return v

    @model_validator(mode="after")
    def _same_length(self) -> EmpiricalCurve:
        if len(self.days) != len(self.share):
            raise ValueError(
                f"days has {len(self.days)} values and share {len(self.share)}: expected one share per day"
            )
        return self


DepartureCurve = Annotated[LogisticCurve | WeibullCurve | EmpiricalCurve, Field(discriminator="kind")]


class DistanceDecay(_Curve):
    """Share leaving without an order falls with distance to the nearest ordered area: halved every
    ``half_distance_km``."""

    half_distance_km: float = Field(gt=0, allow_inf_nan=False)


class UnorderedSpec(Strict):
    """People outside every ordered area who leave anyway.

    ``share`` is the share of them who ever leave (by zone in ``by_zone``, else ``share``, optionally
    decaying with distance to the nearest ordered area); their timing is ``curve`` (whose own final share
    is ignored: the share comes from here), counted from ``start_day`` (default: the first order's day).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    share: float = Field(default=0.0, ge=0, le=1)
    by_zone: dict[str, Annotated[float, Field(ge=0, le=1)]] = {}
    decay: DistanceDecay | None = None
    curve: DepartureCurve | None = None  # None: the ordered default curve's timing
    start_day: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    source: str = ""


class ModeSpec(Strict):
    """A way of moving: its share of the people leaving, speed, road use per person and daily availability."""

    name: str = Field(min_length=1)
    share: float = Field(ge=0, le=1)
    speed_m_s: float = Field(gt=0)
    road_use: float = Field(default=1.0, gt=0)  # pedestrian-equivalents per person
    max_people_per_day: float | None = Field(default=None, ge=0)  # vehicles x seats x trips
    on_foot: bool = True  # counts in the walking burden
    source: str = ""


class ObservedSeries(Strict):
    """An observed departure series for an order, drawn over its curve in the report (never fitted to).

    CSV with a column of days after the order and a column of the share who had left (``#`` lines are comments).
    """

    file: FolderFile
    days_column: str = "days_after_order"
    share_column: str = "share_left"
    label: str = "observed"
    source: str = ""


class OrderSpec(Strict):
    """An evacuation order: the footprint it covers, its day, how people respond, when the operation starts."""

    footprint: str = Field(min_length=1)
    day: float = Field(ge=0)
    curve: DepartureCurve | None = None  # None: the shipped default (data/departures/defaults.yaml)
    operation_day: float | None = Field(default=None, ge=0)
    observed: ObservedSeries | None = None


class MovementSpec(Strict):
    """The scenario's ``movement`` block (see docs/movement.md)."""

    enabled: bool = True
    orders: list[OrderSpec] = Field(default=[], max_length=100)
    unordered: UnorderedSpec | None = None
    modes: list[ModeSpec] | None = Field(default=None, max_length=20)  # None: data/departures/modes.yaml
    assignment: Literal["arrival", "plan"] = "arrival"
    compare: bool = True  # also run the other assignment and report both
    departure_hours: tuple[float, float] = (6.0, 18.0)  # people leave evenly between these hours of the day
    step_s: float = Field(default=300.0, ge=10, le=3600)
    max_walk_h: float = Field(default=6.0, gt=0)  # walking burden threshold
    vulnerable_share: float = Field(default=0.0, ge=0, le=1)
    avoid_ordered_sites: bool = True  # the plan sends nobody to a site a later order covers

    @model_validator(mode="after")
    def _consistent(self) -> MovementSpec:
        h0, h1 = self.departure_hours
        if not (0 <= h0 < h1 <= 24):
            raise ValueError(f"departure_hours {list(self.departure_hours)}: expected 0 <= start < end <= 24")
        if 3600 % self.step_s:
            raise ValueError(f"step_s {self.step_s:g}: expected a divisor of 3600 s (e.g. 30, 60, 120, 300)")
        return self


def mode_problems(modes: list[ModeSpec], file: str, field: str = "movement.modes") -> list[Problem]:
    """Shares summing to 1, unique names, and an unlimited mode for whoever finds no vehicle."""
    out = []
    if not modes:
        return [Problem(file=file, field=field, message="expected at least one transport mode")]
    total = sum(m.share for m in modes)
    if abs(total - 1.0) > 1e-6:
        out.append(
            Problem(
                file=file, field=field_path(field, "*", "share"), message=f"mode shares sum to {total:g}; expected 1"
            )
        )
    seen: set[str] = set()
    for i, m in enumerate(modes):
        if m.name in seen:
            out.append(
                Problem(
                    file=file,
                    feature=f"mode {m.name}",
                    field=field_path(field, i, "name"),
                    message="mode name repeated",
                )
            )
        seen.add(m.name)
    if all(m.max_people_per_day is not None for m in modes):
        out.append(
            Problem(
                file=file,
                field=field_path(field, "*", "max_people_per_day"),
                message="every mode is limited; expected one without a limit (walking) for the rest",
            )
        )
    return out


def movement_problems(
    spec: MovementSpec, *, file: str, horizon_days: int, footprints: list[str] | None = None, where: str = "movement"
) -> list[Problem]:
    """What the block contradicts in its scenario: orders outside the horizon or naming unknown footprints,
    operation days before their order, an unordered start outside the horizon, inconsistent modes."""
    probs = []
    for i, o in enumerate(spec.orders):
        feature = f"footprint {o.footprint}"
        if o.day >= horizon_days:
            probs.append(
                Problem(
                    file=file,
                    feature=feature,
                    field=field_path(where, "orders", i, "day"),
                    message=f"day {o.day:g} is outside the horizon of {horizon_days} days (0 .. {horizon_days - 1})",
                )
            )
        if o.operation_day is not None and not (o.day <= o.operation_day < horizon_days):
            probs.append(
                Problem(
                    file=file,
                    feature=feature,
                    field=field_path(where, "orders", i, "operation_day"),
                    message=f"expected a day from the order ({o.day:g}) to the horizon's last "
                    f"({horizon_days - 1}), got {o.operation_day:g}",
                )
            )
        if footprints is not None and o.footprint not in footprints:
            probs.append(
                Problem(
                    file=file,
                    feature=feature,
                    field=field_path(where, "orders", i, "footprint"),
                    message=f"unknown footprint; expected one of the scenario's footprints {sorted(footprints)}",
                )
            )
    u = spec.unordered
    if u is not None and u.start_day is not None and u.start_day >= horizon_days:
        probs.append(
            Problem(
                file=file,
                field=field_path(where, "unordered", "start_day"),
                message=f"day {u.start_day:g} is outside the horizon of {horizon_days} days",
            )
        )
    if spec.modes is not None:
        probs += mode_problems(spec.modes, file, f"{where}.modes")
    return probs


def read_observed_departures(path: Path, spec: ObservedSeries) -> tuple[list[float], list[float]]:
    """(days after the order, share left) from an observed-series CSV; lines starting with '#' are comments.

    Refused: a missing column, a day that is not a finite number >= 0, a share outside [0, 1], no rows."""
    text = "\n".join(
        line for line in read_text(path, "observed departures").splitlines() if not line.lstrip().startswith("#")
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    probs: list[Problem] = []
    if not rows:
        raise InputError(Problem(file=str(path), message="no rows; expected days after the order and shares left"))
    for col in (spec.days_column, spec.share_column):
        if col not in rows[0]:
            probs.append(Problem(file=str(path), field=col, message=f"no column '{col}'; columns are {list(rows[0])}"))
    if probs:
        raise InputError(probs)
    days, share = [], []
    for i, r in enumerate(rows):
        try:
            d, s = float(r[spec.days_column]), float(r[spec.share_column])
        except (TypeError, ValueError):
            probs.append(
                Problem(
                    file=str(path),
                    feature=f"row {i + 1}",
                    field=spec.share_column,
                    message=f"expected numbers, got {r[spec.days_column]!r}, {r[spec.share_column]!r}",
                )
            )
            continue
        if not (math.isfinite(d) and d >= 0):
            probs.append(
                Problem(
                    file=str(path),
                    feature=f"row {i + 1}",
                    field=spec.days_column,
                    message=f"expected a finite number of days >= 0, got {d}",
                )
            )
        elif not (math.isfinite(s) and 0 <= s <= 1):
            probs.append(
                Problem(
                    file=str(path),
                    feature=f"row {i + 1}",
                    field=spec.share_column,
                    message=f"expected a share in [0, 1], got {s}",
                )
            )
        else:
            days.append(d)
            share.append(s)
    if probs:
        raise InputError(probs)
    return days, share
