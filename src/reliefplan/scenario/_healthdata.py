"""The health layer's figures as data (``data/health/*.yaml``): typed, sourced, and drawn for uncertainty.

A figure carries its source, where in it, ``verified`` and ``assumption`` flags, and optionally a range
(``low``/``high``) with a distribution. Draws are made by inverse CDF at quantiles, so one quantile can move a
whole dose-response curve (it stays monotone) and draws are reproducible from a seed.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy.special import ndtri

from .._errors import InputError, Problem, field_path
from ._inputs import Strict

Dist = Literal["fixed", "uniform", "loguniform", "ci95"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Param(_Strict):
    """One figure: central value, optional range and distribution, and where it comes from."""

    value: float
    unit: str = ""
    low: float | None = None
    high: float | None = None
    dist: Dist = "fixed"
    source: str
    where: str = ""
    verified: bool = False
    assumption: bool = False

    @model_validator(mode="after")
    def _check(self) -> Param:
        if self.dist != "fixed":
            if self.low is None or self.high is None:
                raise ValueError(f"dist '{self.dist}' needs low and high")
            if not self.low <= self.value <= self.high:
                raise ValueError(f"expected low <= value <= high, got {self.low:g}, {self.value:g}, {self.high:g}")
            if self.dist in ("loguniform", "ci95") and self.low <= 0:
                raise ValueError(f"dist '{self.dist}' needs low > 0, got {self.low:g}")
        return self

    def at(self, u: np.ndarray) -> np.ndarray:
        """Values at quantiles ``u`` in (0, 1); NaN (the central run) and ``fixed`` give the value itself."""
        u = np.asarray(u, dtype=float)
        if self.dist == "fixed":
            return np.full(u.shape, self.value)
        lo, hi = float(self.low), float(self.high)  # type: ignore[arg-type]
        if self.dist == "uniform":
            out = lo + u * (hi - lo)
        elif self.dist == "loguniform":
            out = np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo)))
        else:
            out = split_lognormal(self.value, lo, hi, ndtri(u))
        return np.where(np.isnan(u), self.value, out)

    def label(self) -> str:
        tag = " ASSUMPTION" if self.assumption else ""
        return f"{self.where} [{self.source}]{tag}"


def split_lognormal(median: float, low: float, high: float, z: np.ndarray) -> np.ndarray:
    """Log-normal through ``median`` whose 2.5 % / 97.5 % points are ``low`` / ``high`` (each side its own spread)."""
    z = np.asarray(z, dtype=float)
    lo_sd = (np.log(median) - np.log(low)) / 1.959964
    hi_sd = (np.log(high) - np.log(median)) / 1.959964
    return np.exp(np.log(median) + z * np.where(z < 0, lo_sd, hi_sd))


class ListParam(_Strict):
    value: list[int]
    source: str
    where: str = ""
    verified: bool = False
    assumption: bool = False


class Anchor(_Strict):
    exposure: float
    rr: float
    low: float | None = None
    high: float | None = None
    source: str
    where: str = ""
    verified: bool = True
    assumption: bool = False


class DoseResponse(_Strict):
    """Relative risk of ``outcome`` against an exposure, log-linear in log(exposure) between anchors."""

    outcome: Literal["diarrhoea", "ari"]
    anchors: list[Anchor]

    @model_validator(mode="after")
    def _check(self) -> DoseResponse:
        x = [a.exposure for a in self.anchors]
        if len(x) < 2 or min(x) <= 0 or len(set(x)) != len(x):
            raise ValueError("expected at least two anchors with distinct positive exposures")
        return self


class Threshold(_Strict):
    indicator: Literal["cdr_per_10k_day", "u5dr_per_10k_day", "gam_share", "extreme_food_gap_share"]
    rule: Literal[">=", ">= baseline x"]
    value: float
    source: str
    where: str = ""
    verified: bool = False


class Cohort(_Strict):
    name: str
    sex: Literal["female", "male"]
    age_years: float
    weight_kg: float
    height_m: float
    share: float

    @model_validator(mode="after")
    def _check(self) -> Cohort:
        if not (self.age_years >= 18 and self.weight_kg > 0 and 0.5 < self.height_m < 2.5 and self.share >= 0):
            raise ValueError(
                f"cohort {self.name!r}: expected age >= 18 y, weight > 0 kg, height in (0.5, 2.5) m, share >= 0"
            )
        return self


class CohortTable(_Strict):
    source: str
    cohorts: list[Cohort]


class HealthData(_Strict):
    title: str
    sources: dict[str, str]
    parameters: dict[str, Param]
    dose_response: dict[str, DoseResponse]
    thresholds: dict[str, Threshold]
    adult_cohorts: CohortTable

    def value(self, key: str) -> float:
        return self.parameters[key].value


@lru_cache(maxsize=None)
def _raw(name: str) -> dict[str, Any]:
    path = resources.files("reliefplan") / "data" / "health" / f"{name}.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_health_data(overrides: dict[str, Any] | None = None, *, source_file: str = "scenario.yaml") -> HealthData:
    """The shipped health figures with a scenario's ``health.parameters`` overrides applied.

    An override is a number (replaces the value, drops the range) or a mapping with any of
    ``value``/``low``/``high``/``dist``. Unknown keys and invalid ranges are input errors naming the field.
    """
    raw = _raw("health")
    data = HealthData(**raw)
    problems: list[Problem] = []
    params = dict(data.parameters)
    for key, new in (overrides or {}).items():
        field = f"health.parameters.{key}"
        if key not in params:
            problems.append(
                Problem(
                    file=source_file, field=field, message=f"unknown health parameter; expected one of {sorted(params)}"
                )
            )
            continue
        old = params[key].model_dump()
        if isinstance(new, bool) or not isinstance(new, (int, float, dict)):
            problems.append(
                Problem(file=source_file, field=field, message=f"expected a number or a mapping, got {new!r}")
            )
            continue
        upd = {"value": float(new), "dist": "fixed", "low": None, "high": None} if not isinstance(new, dict) else new
        try:
            params[key] = Param(**{**old, **upd, "source": f"scenario override ({old['source']})", "assumption": False})
        except (ValidationError, TypeError) as exc:
            problems.append(Problem(file=source_file, field=field, message=_first_error(exc)))
            continue
        bad = _out_of_range(data.parameters[key], params[key])
        if bad:
            problems.append(Problem(file=source_file, field=field, message=bad))
    if problems:
        raise InputError(problems)
    return data.model_copy(update={"parameters": params})


def _out_of_range(shipped: Param, new: Param) -> str | None:
    """Why an override cannot be this figure, or None: it keeps the shipped figure's sign (a weight, a rate, a
    ratio stays positive; a z-score limit stays negative), a share lies in [0, 1] and an activity level (TEE/RMR) is
    at least 1."""
    figures = [x for x in (new.value, new.low, new.high) if x is not None]
    if shipped.unit.startswith("share") and not all(0.0 <= x <= 1.0 for x in figures):
        return f"expected a share in [0, 1] ({shipped.unit}), got {', '.join(f'{x:g}' for x in figures)}"
    if shipped.unit == "TEE/RMR" and min(figures) < 1.0:
        return f"expected an activity level >= 1 (TEE/RMR), got {min(figures):g}"
    if shipped.value > 0 and min(figures) <= 0:
        return f"expected > 0 ({shipped.unit or 'as the shipped figure'}), got {min(figures):g}"
    if shipped.value < 0 and max(figures) >= 0:
        return f"expected < 0 ({shipped.unit or 'as the shipped figure'}), got {max(figures):g}"
    return None


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        return f"{err['msg'].removeprefix('Value error, ')} (at {field_path(*err['loc']) or 'value'})"
    return str(exc)


def draw_quantiles(names: list[str], n_draws: int, seed: int | None) -> dict[str, np.ndarray]:
    """Independent uniform quantiles per name; ``n_draws == 0`` is the central run (quantile NaN = central value)."""
    if n_draws <= 0:
        return {n: np.array([np.nan]) for n in names}
    rng = np.random.default_rng(seed)
    # Quantiles kept off the exact 0/1 so ci95 draws stay finite.
    return {n: rng.uniform(1e-6, 1 - 1e-6, n_draws) for n in names}


# ---- scenario.yaml keys: `health:` and `seasons:` --------------------------------------


class HealthPlace(Strict):
    """Sanitation and covered space where the plan builds nothing (homes, open land): people per latrine and
    covered m2 per person, with where the figures come from."""

    people_per_latrine: float
    covered_m2_per_person: float
    source: str = "ASSUMPTION"

    @model_validator(mode="after")
    def _check(self) -> HealthPlace:
        if not (0 < self.people_per_latrine <= 1e6 and 0 < self.covered_m2_per_person <= 1e4):
            raise ValueError("expected people_per_latrine > 0 and covered_m2_per_person > 0")
        return self


_HOME = HealthPlace(
    people_per_latrine=5.0,
    covered_m2_per_person=3.5,
    source=(
        "ASSUMPTION: people in their own or a host home have a household latrine and the Sphere covered area (the "
        "dose-response reference; kinder than crowded host homes)"
    ),
)
_OPEN_LAND = HealthPlace(
    people_per_latrine=100.0,
    covered_m2_per_person=3.5,
    source=(
        "ASSUMPTION: no sanitation is planned on overflow land, taken at 100 people per latrine (the last anchor of the "
        "dose-response curve, which is flat beyond); covered space from the tents delivered"
    ),
)


class HealthSpec(Strict):
    """`health:` in scenario.yaml (file level, or per named scenario, replacing it as a whole).

    The health layer runs on every plan with a supply plan unless ``enabled: false``."""

    enabled: bool = True
    draws: int = Field(default=50, ge=0, le=2000)
    seed: int = Field(default=0, ge=0)
    parameters: dict[str, Any] = {}
    baseline: dict[str, float] = {}
    other_kcal_per_person_day: float = Field(default=0.0, ge=0, le=10_000)
    home: HealthPlace = _HOME
    open_land: HealthPlace = _OPEN_LAND
    uncovered_m2_per_person: float = Field(default=1.0, gt=0, le=3.5)
    by_location: bool = True


_BASELINE_KEYS = ("gam_share", "sam_share", "cdr_per_10k_day", "u5dr_per_10k_day")


def health_spec_problems(spec: HealthSpec, source_file: str, field: str = "health") -> list[Problem]:
    """Unknown parameters or baselines and invalid ranges, each naming the field (checked at load time)."""
    problems: list[Problem] = []
    try:
        load_health_data(spec.parameters, source_file=source_file)
    except InputError as e:
        problems += [replace(p, field=f"{field}.{(p.field or '').removeprefix('health.')}") for p in e.problems]
    for k, v in spec.baseline.items():
        if k not in _BASELINE_KEYS:
            problems.append(
                Problem(
                    file=source_file,
                    field=f"{field}.baseline.{k}",
                    message=f"unknown baseline; expected one of {list(_BASELINE_KEYS)}",
                )
            )
        elif not (v > 0 and (v < 1 or not k.endswith("_share"))):
            problems.append(
                Problem(
                    file=source_file,
                    field=f"{field}.baseline.{k}",
                    message=f"expected a positive figure{' below 1' if k.endswith('_share') else ''}, got {v}",
                )
            )
    return problems
