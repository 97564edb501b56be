"""Departure response: the share of an area's people who have left by each day after an evacuation order.

A curve gives ``s(t)``, the cumulative share of the people present when the order is issued who have left
``t`` days after it (``s(t) = 0`` for ``t <= 0``, non-decreasing, at most 1). Three kinds:

* ``logistic``: ``s(t) = A (σ((t - m)/w) - σ(-m/w)) / (1 - σ(-m/w))`` with σ the logistic function,
  ``A = final_share``, ``m = midpoint_days``, ``w = width_days``. Normalised so that ``s(0) = 0``.
* ``weibull``: ``s(t) = A (1 - exp(-(t/λ)^k))``, ``λ = scale_days``, ``k = shape``.
* ``empirical``: ``(days, share)`` points, linear in between, from ``(0, 0)`` to the first point, flat after
  the last.

``final_share`` is the share who ever leave: people who stay despite the order are part of the curve.
People outside the ordered areas may leave too (``UnorderedSpec``); ``origin_share_left`` composes the
two as independent reasons to leave. ``fit_curve`` fits a parametric curve to observed (day, share) points by
least squares (scipy). The shipped defaults (``default_curves``) are fitted to the October 2023 order for
the north of the Gaza Strip and validated on the May 2024 Rafah departures; see docs/departures.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import TypeAdapter, ValidationError

from .._errors import InputError, Problem, field_path, schema_message

# the input models live with the scenario (they are scenario.yaml keys); re-exported here for the solvers
from ..scenario.movement import (  # noqa: F401
    DepartureCurve,
    DistanceDecay,
    EmpiricalCurve,
    LogisticCurve,
    UnorderedSpec,
    WeibullCurve,
)

DEFAULTS_FILE = "data/departures/defaults.yaml"


# pydantic types TypeAdapter's argument as type[T], which an Annotated union (a typing form) may not match; mypy
# accepts it on a fresh run and rejects it on an incremental one, hence the two codes
_CURVE: TypeAdapter[LogisticCurve | WeibullCurve | EmpiricalCurve] = TypeAdapter(DepartureCurve)  # type: ignore[arg-type, unused-ignore]


def _problems(err: ValidationError, file: str, feature: str | None, prefix: str = "") -> list[Problem]:
    out = []
    for e in err.errors():
        loc = [str(p) for p in e["loc"] if p not in ("logistic", "weibull", "empirical")]
        msg = schema_message(e)
        out.append(Problem(file=file, feature=feature, field=field_path(prefix, *loc) or None, message=msg))
    return out


def curve_from_dict(
    data: Any, *, file: str = "<curve>", feature: str | None = None, field: str = ""
) -> LogisticCurve | WeibullCurve | EmpiricalCurve:
    """Validate a curve mapping (``kind`` + parameters); InputError names file, feature and field."""
    try:
        return _CURVE.validate_python(data)
    except ValidationError as err:
        raise InputError(_problems(err, file, feature, field)) from None


# --------------------------------------------------------------------------------------------- evaluation


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # no overflow for large |x|


def share_left(curve: LogisticCurve | WeibullCurve | EmpiricalCurve, t_days: Any) -> np.ndarray:
    """Cumulative share of the people present at the order who have left ``t_days`` after it (0 for t <= 0)."""
    t = np.asarray(t_days, dtype=float)
    pos = np.maximum(t, 0.0)
    if isinstance(curve, LogisticCurve):
        s0 = _sigmoid(np.asarray(-curve.midpoint_days / curve.width_days))
        s = curve.final_share * (_sigmoid((pos - curve.midpoint_days) / curve.width_days) - s0) / (1.0 - s0)
    elif isinstance(curve, WeibullCurve):
        s = curve.final_share * -np.expm1(-((pos / curve.scale_days) ** curve.shape))
    else:
        s = np.interp(pos, np.r_[0.0, curve.days], np.r_[0.0, curve.share])
    return np.where(t > 0, np.clip(s, 0.0, 1.0), 0.0)


def final_share(curve: LogisticCurve | WeibullCurve | EmpiricalCurve) -> float:
    """Share who ever leave (the curve's limit)."""
    return float(curve.share[-1]) if isinstance(curve, EmpiricalCurve) else float(curve.final_share)


def days_to_share(curve: LogisticCurve | WeibullCurve | EmpiricalCurve, share: float) -> float | None:
    """Days after the order until ``share`` of the people have left; None if the curve never gets there."""
    if share <= 0:
        return 0.0
    if final_share(curve) < share:
        return None
    if isinstance(curve, EmpiricalCurve):
        d, s = np.r_[0.0, curve.days], np.r_[0.0, curve.share]
        k = int(np.searchsorted(s, share, side="left"))
        if s[k] == share:
            return float(d[k])
        return float(d[k - 1] + (share - s[k - 1]) / (s[k] - s[k - 1]) * (d[k] - d[k - 1]))
    if final_share(curve) == share:  # reached only in the limit
        return None
    from scipy.optimize import brentq  # lazily: scipy.optimize costs ~0.2 s of start-up a plan rarely needs

    hi = 1.0
    while share_left(curve, hi) < share:
        hi *= 2.0
    return float(brentq(lambda x: float(share_left(curve, x)) - share, 0.0, hi, xtol=1e-9))


def cumulative_people(people: int, shares: np.ndarray) -> np.ndarray:
    """Whole people who have left by each point of a non-decreasing share series (rounded, never decreasing)."""
    return np.floor(people * np.maximum.accumulate(np.asarray(shares, dtype=float)) + 0.5 + 1e-9).astype(np.int64)


# --------------------------------------------------------------------------------------------- fitting


@dataclass(frozen=True)
class CurveFit:
    """A least-squares fit: the curve, its root-mean-square error in share, and the points it was fitted to."""

    curve: LogisticCurve | WeibullCurve
    rmse: float
    n_points: int
    days: np.ndarray
    observed: np.ndarray

    @property
    def residuals(self) -> np.ndarray:
        return share_left(self.curve, self.days) - self.observed


def _make(kind: str, p: np.ndarray, source: str) -> LogisticCurve | WeibullCurve:
    if kind == "logistic":
        return LogisticCurve(final_share=float(p[0]), midpoint_days=float(p[1]), width_days=float(p[2]), source=source)
    return WeibullCurve(final_share=float(p[0]), scale_days=float(p[1]), shape=float(p[2]), source=source)


def fit_curve(kind: Literal["logistic", "weibull"], days: Any, share: Any, *, source: str = "") -> CurveFit:
    """Least-squares fit of a parametric curve to observed (days after the order, share left) points.

    Parameters are bounded (final share in [0, 1], times and shapes > 0); several starting points are tried
    and the best fit kept, so the result does not hinge on one initial guess.
    """
    if kind not in ("logistic", "weibull"):
        raise InputError(Problem(file="<fit>", field="kind", message=f"expected logistic or weibull, got {kind!r}"))
    t = np.asarray(days, dtype=float)
    y = np.asarray(share, dtype=float)
    ok = np.isfinite(t) & np.isfinite(y)
    t, y = t[ok], y[ok]
    if len(t) < 3:
        raise InputError(
            Problem(file="<fit>", field="days", message=f"expected at least 3 observed points, got {len(t)}")
        )
    from scipy.optimize import least_squares  # lazily, as brentq above

    span = max(float(t.max()), 1.0)
    lo = np.array([0.0, 1e-3, 1e-3])
    hi = np.array([1.0, 20.0 * span, 20.0 * span if kind == "logistic" else 20.0])

    def resid(p: np.ndarray) -> np.ndarray:
        return share_left(_make(kind, p, ""), t) - y

    best = None
    top = float(np.clip(y.max(), 0.05, 1.0))
    for a in (top, min(1.0, 1.2 * top), 1.0):
        for m in (0.25 * span, 0.5 * span, span):
            for w in (0.1 * span, 0.3 * span) if kind == "logistic" else (0.7, 1.0, 2.0):
                p0 = np.clip([a, m, w], lo + 1e-9, hi - 1e-9)
                r = least_squares(resid, p0, bounds=(lo, hi), method="trf", x_scale="jac")
                if best is None or r.cost < best.cost:
                    best = r
    assert best is not None
    curve = _make(kind, best.x, source)
    rmse = float(np.sqrt(np.mean(resid(best.x) ** 2)))
    return CurveFit(curve=curve, rmse=rmse, n_points=len(t), days=t, observed=y)


@dataclass(frozen=True)
class CurveError:
    """How a curve predicts observed points: root-mean-square and largest errors in share, mean bias
    (predicted minus observed), and the error in the day the observations reach a share (e.g. 50 %)."""

    rmse: float
    max_abs: float
    bias: float
    n_points: int

    def to_dict(self) -> dict[str, float]:
        return {"rmse": self.rmse, "max_abs": self.max_abs, "bias": self.bias, "n_points": self.n_points}


def curve_error(curve: LogisticCurve | WeibullCurve | EmpiricalCurve, days: Any, share: Any) -> CurveError:
    """Error of ``curve`` against observed (days after the order, share left) points."""
    t = np.asarray(days, dtype=float)
    y = np.asarray(share, dtype=float)
    r = share_left(curve, t) - y
    return CurveError(
        rmse=float(np.sqrt(np.mean(r**2))), max_abs=float(np.max(np.abs(r))), bias=float(np.mean(r)), n_points=len(t)
    )


def observed_days_to_share(days: Any, share: Any, target: float) -> float | None:
    """Day the observed series first reaches ``target``, linear between points (None if it never does)."""
    t = np.asarray(days, dtype=float)
    y = np.maximum.accumulate(np.asarray(share, dtype=float))
    k = int(np.searchsorted(y, target, side="left"))
    if k >= len(y):
        return None
    if k == 0:
        return float(t[0]) if y[0] >= target else None
    return float(t[k - 1] + (target - y[k - 1]) / (y[k] - y[k - 1]) * (t[k] - t[k - 1]))


# --------------------------------------------------------------------------------------------- defaults


@cache
def _defaults_doc() -> dict[str, Any]:
    text = resources.files("reliefplan").joinpath(DEFAULTS_FILE).read_text(encoding="utf-8")
    return yaml.safe_load(text)


def default_curves() -> dict[str, LogisticCurve | WeibullCurve | EmpiricalCurve]:
    """The shipped departure curves by name (fitted to October 2023, north Gaza; see docs/departures.md)."""
    doc = _defaults_doc()
    return {
        name: curve_from_dict(spec["curve"], file=DEFAULTS_FILE, feature=name, field="curve")
        for name, spec in doc["curves"].items()
    }


def default_curve() -> LogisticCurve | WeibullCurve | EmpiricalCurve:
    """The curve a scenario gets when it declares none (``default`` in the defaults file)."""
    return default_curves()[_defaults_doc()["default"]]


# --------------------------------------------------------------------------------------------- unordered


def unordered_from_dict(data: Any, *, file: str = "<unordered>", field: str = "unordered") -> UnorderedSpec:
    """Validate an ``unordered`` mapping; InputError names the file and the field."""
    try:
        return UnorderedSpec.model_validate(data)
    except ValidationError as err:
        raise InputError(_problems(err, file, None, field)) from None


def unordered_shares(spec: UnorderedSpec, zone_ids: list[str], distance_to_order_m: Any | None = None) -> np.ndarray:
    """Share of each zone's people (outside the ordered areas) who leave without an order."""
    base = np.full(len(zone_ids), spec.share, dtype=float)
    if spec.decay is not None:
        if distance_to_order_m is None:
            raise InputError(
                Problem(
                    file="<unordered>",
                    field="decay",
                    message="distance decay needs each zone's distance to the ordered areas",
                )
            )
        d_km = np.maximum(np.asarray(distance_to_order_m, dtype=float), 0.0) / 1000.0
        base = base * 0.5 ** (d_km / spec.decay.half_distance_km)
    for i, z in enumerate(zone_ids):
        if z in spec.by_zone:
            base[i] = spec.by_zone[z]
    return base


def timing(curve: LogisticCurve | WeibullCurve | EmpiricalCurve) -> LogisticCurve | WeibullCurve | EmpiricalCurve:
    """The same curve rescaled to reach 1: its shape in time only."""
    a = final_share(curve)
    if a <= 0:
        raise InputError(
            Problem(
                file="<curve>", field="final_share", message="a curve whose final share is 0 has no timing to borrow"
            )
        )
    if isinstance(curve, EmpiricalCurve):
        return curve.model_copy(update={"share": [s / a for s in curve.share]})
    return curve.model_copy(update={"final_share": 1.0})


def origin_share_left(
    t_days: Any,
    *,
    order_curve: Any = None,
    order_day: float | None = None,
    unordered_share: float = 0.0,
    unordered_curve: Any = None,
    unordered_start_day: float = 0.0,
) -> np.ndarray:
    """Cumulative share of an origin's people who have left by day ``t_days`` (days since day 0).

    Leaving without an order (``unordered_share`` x the timing of ``unordered_curve`` from
    ``unordered_start_day``) and leaving on the order (``order_curve`` from ``order_day``) are independent
    reasons: the share still there is the product of the shares each leaves in place.
    """
    t = np.asarray(t_days, dtype=float)
    stay = np.ones_like(t)
    if unordered_share > 0 and unordered_curve is not None:
        stay = stay * (1.0 - unordered_share * share_left(timing(unordered_curve), t - unordered_start_day))
    if order_curve is not None and order_day is not None:
        stay = stay * (1.0 - share_left(order_curve, t - order_day))
    return 1.0 - stay
