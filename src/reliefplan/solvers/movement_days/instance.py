"""The movement model's input: the scenario's ``movement`` keys checked against the scenario, the shipped
transport modes, and `DaysInstance` (every array the simulation needs) with its checks."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import yaml
from pydantic import ValidationError

from ..._errors import InputError, Problem, field_path, schema_message
from ...scenario.movement import (
    EmpiricalCurve,
    LogisticCurve,
    ModeSpec,
    MovementSpec,
    OrderSpec,
    WeibullCurve,
    mode_problems,
    movement_problems,
)
from ..departures import default_curve

Curve = LogisticCurve | WeibullCurve | EmpiricalCurve
MODES_FILE = "data/departures/modes.yaml"


def default_modes() -> list[ModeSpec]:
    """The shipped transport modes (data/departures/modes.yaml, with sources and ASSUMPTIONs)."""
    return [ModeSpec.model_validate(m) for m in _modes_doc()["modes"]]


@cache
def _modes_doc() -> dict[str, Any]:
    return yaml.safe_load(resources.files("reliefplan").joinpath(MODES_FILE).read_text(encoding="utf-8"))


def movement_spec_from_dict(
    data: Any, *, file: str, horizon_days: int, footprints: list[str] | None = None
) -> MovementSpec:
    """Validate a ``movement`` mapping against the scenario: every problem named by file, feature and field.

    Orders must fall inside the horizon and name a known footprint; curves must be monotone and at most 1;
    shares in [0, 1]; modes with speed > 0 and shares summing to 1.
    """
    try:
        spec = MovementSpec.model_validate(data)
    except ValidationError as err:
        probs = []
        for e in err.errors():
            loc = [str(p) for p in e["loc"] if p not in ("logistic", "weibull", "empirical")]
            feature = f"orders[{loc[1]}]" if len(loc) > 1 and loc[0] == "orders" else None
            probs.append(
                Problem(
                    file=file,
                    feature=feature,
                    field=field_path("movement", *loc),
                    message=schema_message(e),
                )
            )
        raise InputError(probs) from None
    probs = movement_problems(spec, file=file, horizon_days=horizon_days, footprints=footprints)
    if probs:
        raise InputError(probs)
    return spec


def order_curve(o: OrderSpec) -> Curve:
    return default_curve() if o.curve is None else o.curve


# Marks an optional array left out by the caller; __post_init__ replaces it with the default, so the fields are
# never Optional after construction. Compared by identity, never read.
_UNSET = np.empty(0)


def _unset() -> np.ndarray:
    return _UNSET


def _given(a: Any, default: np.ndarray) -> Any:
    return default if a is _UNSET or a is None else a  # None: as if left out, for untyped callers


def _i64(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.int64).reshape(-1)


def _f64(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=float).reshape(-1)


@dataclass
class DaysInstance:
    """Everything the movement model needs, as arrays (indices refer to the network's nodes).

    Network: directed arcs with length (m) and capacity (pedestrian-equivalents per hour; 0 = closed).
    Origins: a node, people, the order that covers them (-1: none), the share leaving without an order, an
    off-road leg to the node (m), a vulnerable share. Orders: day and curve; ``order_operation_day`` (NaN: not
    given) is when the operation starts. Sites: node, places (residents already taken off), the order covering
    them (-1: none), ``site_overflow`` marks unlimited fall-back places used only when no site has room.
    """

    n_nodes: int
    arc_from: np.ndarray
    arc_to: np.ndarray
    arc_length_m: np.ndarray
    arc_capacity_per_h: np.ndarray
    origin_node: np.ndarray
    origin_people: np.ndarray
    origin_order: np.ndarray
    site_node: np.ndarray
    site_capacity: np.ndarray
    modes: list[ModeSpec]
    horizon_days: int
    order_day: np.ndarray = field(default_factory=lambda: np.zeros(0))
    order_curves: list[Curve] = field(default_factory=list)
    order_operation_day: np.ndarray = field(default_factory=_unset)  # default: NaN (not given)
    origin_unordered_share: np.ndarray = field(default_factory=_unset)  # default: 0
    unordered_curve: Curve | None = None
    unordered_start_day: float | None = None
    origin_access_m: np.ndarray = field(default_factory=_unset)  # default: 0 m
    origin_vulnerable_share: np.ndarray = field(default_factory=_unset)  # default: 0
    site_order: np.ndarray = field(default_factory=_unset)  # default: -1 (no order)
    site_overflow: np.ndarray = field(default_factory=_unset)  # default: False
    departure_hours: tuple[float, float] = (6.0, 18.0)
    step_s: float = 300.0
    max_walk_h: float = 6.0
    origin_ids: list[str] = field(default_factory=list)  # default: "0", "1", ...
    site_ids: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.arc_from, self.arc_to = _i64(self.arc_from), _i64(self.arc_to)
        self.arc_length_m, self.arc_capacity_per_h = _f64(self.arc_length_m), _f64(self.arc_capacity_per_h)
        self.origin_node, self.origin_people, self.origin_order = (
            _i64(self.origin_node),
            _i64(self.origin_people),
            _i64(self.origin_order),
        )
        self.site_node, self.site_capacity = _i64(self.site_node), _i64(self.site_capacity)
        n_o, n_s, n_k = len(self.origin_node), len(self.site_node), len(self.order_curves)
        self.order_day = _f64(self.order_day)
        self.order_operation_day = _f64(_given(self.order_operation_day, np.full(n_k, np.nan)))
        self.origin_unordered_share = _f64(_given(self.origin_unordered_share, np.zeros(n_o)))
        self.origin_access_m = _f64(_given(self.origin_access_m, np.zeros(n_o)))
        self.origin_vulnerable_share = _f64(_given(self.origin_vulnerable_share, np.zeros(n_o)))
        self.site_order = _i64(_given(self.site_order, np.full(n_s, -1)))
        self.site_overflow = np.asarray(_given(self.site_overflow, np.zeros(n_s, bool)), dtype=bool).reshape(-1)
        self.origin_ids = self.origin_ids or [str(i) for i in range(n_o)]
        self.site_ids = self.site_ids or [str(j) for j in range(n_s)]

    @property
    def total_people(self) -> int:
        return int(self.origin_people.sum())


def instance_problems(inst: DaysInstance, file: str = "<instance>") -> list[Problem]:
    """Every inconsistency: lengths, indices, negatives, shares outside [0, 1], orders outside the horizon."""
    p = _length_problems(inst, file)
    return p if p else _value_problems(inst, file) + _timing_problems(inst, file)


def _length_problems(inst: DaysInstance, file: str) -> list[Problem]:
    """Every array as long as the arcs, origins, sites or orders it describes."""
    p: list[Problem] = []
    m, n_o, n_s, n_k = len(inst.arc_from), len(inst.origin_node), len(inst.site_node), len(inst.order_curves)

    def length(name: str, arr: np.ndarray, k: int) -> bool:
        if len(arr) != k:
            p.append(Problem(file=file, field=name, message=f"expected {k} values, got {len(arr)}"))
            return False
        return True

    for name in ("arc_to", "arc_length_m", "arc_capacity_per_h"):
        length(name, getattr(inst, name), m)
    for name in (
        "origin_people",
        "origin_order",
        "origin_unordered_share",
        "origin_access_m",
        "origin_vulnerable_share",
    ):
        length(name, getattr(inst, name), n_o)
    for name in ("site_capacity", "site_order", "site_overflow"):
        length(name, getattr(inst, name), n_s)
    length("order_day", inst.order_day, n_k)
    length("order_operation_day", inst.order_operation_day, n_k)
    return p


def _value_problems(inst: DaysInstance, file: str) -> list[Problem]:
    """Node and order indices in range, numbers finite and >= 0, shares in [0, 1]."""
    p: list[Problem] = []
    n, n_k = inst.n_nodes, len(inst.order_curves)
    for name, arr, kind in (
        ("arc_from", inst.arc_from, "arcs"),
        ("arc_to", inst.arc_to, "arcs"),
        ("origin_node", inst.origin_node, "origins"),
        ("site_node", inst.site_node, "sites"),
    ):
        for i in np.flatnonzero((arr < 0) | (arr >= n)):
            p.append(
                Problem(file=file, feature=f"{kind}[{i}]", field=name, message=f"node {arr[i]} outside 0..{n - 1}")
            )
    for name, arr, kind in (
        ("arc_length_m", inst.arc_length_m, "arcs"),
        ("arc_capacity_per_h", inst.arc_capacity_per_h, "arcs"),
        ("origin_people", inst.origin_people, "origins"),
        ("origin_access_m", inst.origin_access_m, "origins"),
        ("site_capacity", inst.site_capacity, "sites"),
    ):
        for i in np.flatnonzero(~np.isfinite(arr.astype(float)) | (arr < 0)):
            p.append(
                Problem(
                    file=file,
                    feature=f"{kind}[{i}]",
                    field=name,
                    message=f"expected a finite number >= 0, got {arr[i]}",
                )
            )
    for name, arr in (
        ("origin_unordered_share", inst.origin_unordered_share),
        ("origin_vulnerable_share", inst.origin_vulnerable_share),
    ):
        for i in np.flatnonzero(~((arr >= 0) & (arr <= 1))):
            p.append(
                Problem(
                    file=file,
                    feature=f"origins[{i}] ({inst.origin_ids[i]})",
                    field=name,
                    message=f"expected a share in [0, 1], got {arr[i]}",
                )
            )
    for name, arr, kind in (("origin_order", inst.origin_order, "origins"), ("site_order", inst.site_order, "sites")):
        for i in np.flatnonzero((arr < -1) | (arr >= n_k)):
            p.append(
                Problem(file=file, feature=f"{kind}[{i}]", field=name, message=f"order {arr[i]} outside -1..{n_k - 1}")
            )
    return p


def _timing_problems(inst: DaysInstance, file: str) -> list[Problem]:
    """Orders and the unordered start inside the horizon, departure hours, step, walking limit, modes."""
    p: list[Problem] = []
    for k in range(len(inst.order_curves)):
        d, op = inst.order_day[k], inst.order_operation_day[k]
        if not (math.isfinite(d) and 0 <= d < inst.horizon_days):
            p.append(
                Problem(
                    file=file,
                    feature=f"orders[{k}]",
                    field="day",
                    message=f"day {d:g} is outside the horizon of {inst.horizon_days} days",
                )
            )
        if not math.isnan(op) and not (d <= op < inst.horizon_days):
            p.append(
                Problem(
                    file=file,
                    feature=f"orders[{k}]",
                    field="operation_day",
                    message=f"expected a day from the order ({d:g}) to the horizon's last, got {op:g}",
                )
            )
    if inst.unordered_start_day is not None and not (0 <= inst.unordered_start_day < inst.horizon_days):
        p.append(
            Problem(
                file=file,
                field="unordered_start_day",
                message=f"day {inst.unordered_start_day:g} is outside the horizon of {inst.horizon_days} days",
            )
        )
    if inst.origin_unordered_share.any() and inst.unordered_curve is None and not inst.order_curves:
        p.append(
            Problem(file=file, field="unordered_curve", message="people leave without an order but no curve times it")
        )
    if inst.horizon_days < 1:
        p.append(Problem(file=file, field="horizon_days", message="expected at least 1 day"))
    h0, h1 = inst.departure_hours
    if not (0 <= h0 < h1 <= 24):
        p.append(
            Problem(file=file, field="departure_hours", message=f"expected 0 <= start < end <= 24, got {[h0, h1]}")
        )
    if not (10 <= inst.step_s <= 3600) or 3600 % inst.step_s:
        p.append(
            Problem(
                file=file, field="step_s", message=f"expected a divisor of 3600 s, at least 10, got {inst.step_s:g}"
            )
        )
    if not inst.max_walk_h > 0:
        p.append(Problem(file=file, field="max_walk_h", message=f"expected hours > 0, got {inst.max_walk_h}"))
    p += mode_problems(inst.modes, file, "modes")
    return p


def validate_days_instance(inst: DaysInstance, file: str = "<instance>") -> None:
    probs = instance_problems(inst, file)
    if probs:
        raise InputError(probs)


def validate_runs(
    inst: DaysInstance, assignments: tuple[str, ...], plan: np.ndarray | None, file: str = "<instance>"
) -> np.ndarray | None:
    """The instance and the runs asked for (`simulation.simulate_runs`) checked: each run "plan" or "arrival", and
    the plan's people per origin and site, whole and >= 0, when a run follows it. Returns the plan as int64."""
    validate_days_instance(inst, file)
    bad = [a for a in assignments if a not in ("arrival", "plan")]
    if bad or not assignments:
        raise InputError(
            Problem(file=file, field="assignment", message=f"expected arrival or plan, got {(bad or [''])[0]!r}")
        )
    if "plan" not in assignments:
        return None
    if plan is None:
        raise InputError(
            Problem(file=file, field="plan", message="assignment 'plan' needs a plan (people per origin and site)")
        )
    shape = (len(inst.origin_node), len(inst.site_node))
    out = np.asarray(plan, dtype=np.int64)
    if out.shape != shape or (out < 0).any():
        raise InputError(Problem(file=file, field="plan", message=f"expected whole people >= 0 of shape {shape}"))
    return out


def instance_from_network(net: Any, **kwargs: Any) -> DaysInstance:
    """A `DaysInstance` on a `network.Network` (walking: capacities in persons/h), other arrays as keywords."""
    return DaysInstance(
        n_nodes=net.n_nodes,
        arc_from=net.link_from,
        arc_to=net.link_to,
        arc_length_m=net.link_length_m,
        arc_capacity_per_h=net.link_capacity_per_h,
        **kwargs,
    )
