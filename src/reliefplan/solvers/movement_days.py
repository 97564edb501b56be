"""How people really move, over days: departures from response curves, hourly movement under road capacity,
sites that fill in the order people arrive (or as a plan directs), successive orders and re-displacement.

Method (see docs/movement.md): a point-queue simulation on the condensed road network, stepped every
``step_s`` seconds (default 300) while anyone is on the road and jumping over idle time, with bookkeeping by
the hour and the day.

* Departures: each origin's people leave on ``1 - (1 - u U(t - t_u)) (1 - C_k(t - t_k))`` (leaving without an
  order, share ``u`` with timing ``U``; leaving on its order ``k`` with curve ``C_k``), whole people per day,
  spread evenly over the day's departure hours, split by transport mode (vehicles capped per day).
* Movement: a person heading for a site follows the shortest road to it; every road link takes people at its
  capacity per hour in pedestrian-equivalents (a mode's road use per person), the rest queue at its entry;
  travel times are the link length over the mode's speed, kept unbiased by splitting each step's outflow over
  the two steps around it (carrying the rounding); people cross links shorter than the rest of a step within it.
* Arrival order (``assignment="arrival"``): people head for the nearest site that still has room when they
  leave; when they arrive and it is full or closed they move on to the nearest site with room from there.
  With a ``plan`` (people per origin and site, e.g. from `staged_plan`), planned people go to their planned
  site and undirected people cannot take the places held for them.
* Successive orders: a site inside a later order's footprint closes on that day and the people there leave
  again on that order's curve (re-displacement, counted). People who have moved are not moved otherwise.

Memory: the state is the queue and a travel ring per route element (a link on the way from a node to a site,
by mode and by the origin people left from) plus daily and hourly totals; it does not grow with the horizon or
shrink the step below a minute. Everyone is somewhere at the end of every day (checked exactly).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import ValidationError

from .._errors import InputError, Problem
from .._rounding import largest_remainder
from ..scenario.movement import ModeSpec, MovementSpec, OrderSpec, mode_problems, movement_problems  # noqa: F401
from .departures import (
    EmpiricalCurve,
    LogisticCurve,
    WeibullCurve,  # noqa: F401
    cumulative_people,
    default_curve,
    origin_share_left,
    share_left,
)
from . import _movement_kernel as kernel
from .evacuation import EvacuationInstance, _SinkPaths, condense

Curve = LogisticCurve | WeibullCurve | EmpiricalCurve
MODES_FILE = "data/departures/modes.yaml"
_BIG = np.iinfo(np.int64).max // 8


# =============================================================================================== scenario keys


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
                    field=".".join(["movement", *loc]),
                    message=e["msg"].removeprefix("Value error, "),
                )
            )
        raise InputError(probs) from None
    probs = movement_problems(spec, file=file, horizon_days=horizon_days, footprints=footprints)
    if probs:
        raise InputError(probs)
    return spec


def order_curve(o: OrderSpec) -> Curve:
    return default_curve() if o.curve is None else o.curve


# =============================================================================================== instance


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
    order_operation_day: np.ndarray | None = None
    origin_unordered_share: np.ndarray | None = None
    unordered_curve: Curve | None = None
    unordered_start_day: float | None = None
    origin_access_m: np.ndarray | None = None
    origin_vulnerable_share: np.ndarray | None = None
    site_order: np.ndarray | None = None
    site_overflow: np.ndarray | None = None
    departure_hours: tuple[float, float] = (6.0, 18.0)
    step_s: float = 300.0
    max_walk_h: float = 6.0
    origin_ids: list[str] | None = None
    site_ids: list[str] | None = None

    def __post_init__(self) -> None:
        i64 = lambda a: np.asarray(a, dtype=np.int64).reshape(-1)  # noqa: E731
        f64 = lambda a: np.asarray(a, dtype=float).reshape(-1)  # noqa: E731
        self.arc_from, self.arc_to = i64(self.arc_from), i64(self.arc_to)
        self.arc_length_m, self.arc_capacity_per_h = f64(self.arc_length_m), f64(self.arc_capacity_per_h)
        self.origin_node, self.origin_people, self.origin_order = (
            i64(self.origin_node),
            i64(self.origin_people),
            i64(self.origin_order),
        )
        self.site_node, self.site_capacity = i64(self.site_node), i64(self.site_capacity)
        n_o, n_s, n_k = len(self.origin_node), len(self.site_node), len(self.order_curves)
        self.order_day = f64(self.order_day)
        self.order_operation_day = f64(
            np.full(n_k, np.nan) if self.order_operation_day is None else self.order_operation_day
        )
        self.origin_unordered_share = f64(
            np.zeros(n_o) if self.origin_unordered_share is None else self.origin_unordered_share
        )
        self.origin_access_m = f64(np.zeros(n_o) if self.origin_access_m is None else self.origin_access_m)
        self.origin_vulnerable_share = f64(
            np.zeros(n_o) if self.origin_vulnerable_share is None else self.origin_vulnerable_share
        )
        self.site_order = i64(np.full(n_s, -1) if self.site_order is None else self.site_order)
        self.site_overflow = np.asarray(
            np.zeros(n_s, bool) if self.site_overflow is None else self.site_overflow, dtype=bool
        ).reshape(-1)
        self.origin_ids = self.origin_ids or [str(i) for i in range(n_o)]
        self.site_ids = self.site_ids or [str(j) for j in range(n_s)]

    @property
    def total_people(self) -> int:
        return int(self.origin_people.sum())


def instance_problems(inst: DaysInstance, file: str = "<instance>") -> list[Problem]:
    """Every inconsistency: lengths, indices, negatives, shares outside [0, 1], orders outside the horizon."""
    p: list[Problem] = []
    n, m, n_o, n_s, n_k = (
        inst.n_nodes,
        len(inst.arc_from),
        len(inst.origin_node),
        len(inst.site_node),
        len(inst.order_curves),
    )

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
    if p:
        return p
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
    for k in range(n_k):
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


# =============================================================================================== departures


def departure_schedule(inst: DaysInstance) -> np.ndarray:
    """Whole people who have left each origin by the end of each day: int [origin, day] (cumulative)."""
    t = np.arange(1, inst.horizon_days + 1, dtype=float)
    u_start = inst.unordered_start_day
    if u_start is None:
        u_start = float(inst.order_day.min()) if len(inst.order_day) else 0.0
    u_curve = inst.unordered_curve or (inst.order_curves[0] if inst.order_curves else None)
    out = np.zeros((len(inst.origin_node), inst.horizon_days), dtype=np.int64)
    for o in range(len(inst.origin_node)):
        k = int(inst.origin_order[o])
        s = origin_share_left(
            t,
            order_curve=inst.order_curves[k] if k >= 0 else None,
            order_day=float(inst.order_day[k]) if k >= 0 else None,
            unordered_share=float(inst.origin_unordered_share[o]),
            unordered_curve=u_curve,
            unordered_start_day=u_start,
        )
        out[o] = cumulative_people(int(inst.origin_people[o]), s)
    return out


def _split_modes(n: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Whole people per (row, mode), each row split by the shares (largest remainder)."""
    out = np.zeros((len(n), len(shares)), dtype=np.int64)
    for i in np.flatnonzero(n):
        out[i] = largest_remainder(n[i] * shares, int(n[i]))
    return out


def _cap_modes(by_mode: np.ndarray, modes: list[ModeSpec], limit_used: np.ndarray) -> np.ndarray:
    """Move people beyond a mode's daily availability to the first unlimited mode (in place, returns it)."""
    fallback = next((i for i, m in enumerate(modes) if m.max_people_per_day is None), None)
    for i, m in enumerate(modes):
        if m.max_people_per_day is None or fallback is None:
            continue
        room = max(0, int(m.max_people_per_day) - int(limit_used[i]))
        total = int(by_mode[:, i].sum())
        if total > room:
            keep = largest_remainder(by_mode[:, i] * (room / total), room, cap=by_mode[:, i])
            by_mode[:, fallback] += by_mode[:, i] - keep
            by_mode[:, i] = keep
        limit_used[i] += int(by_mode[:, i].sum())
    return by_mode


# =============================================================================================== result


@dataclass
class DaysResult:
    """What happened, day by day (``d`` = 0 .. horizon-1; 'by day d' = by the end of day d).

    Conservation: at the end of every day ``at_origin + on_road + at_sites + without_place == total_people``.
    """

    assignment: str
    step_s: float
    total_people: int
    order_ids: list[str]
    site_ids: list[str]
    mode_names: list[str]
    left_by_order: np.ndarray  # int [order, day]: people who have left origins the order covers (cumulative)
    left_unordered: np.ndarray  # int [day]: people who have left origins no order covers (cumulative)
    redisplaced_by_order: np.ndarray  # int [order, day]: people leaving a site the order covers (cumulative)
    inside_at_operation: np.ndarray  # int [order]: people still inside when its operation starts (-1: no day)
    arrivals_site_day: np.ndarray  # int [site, day]: people taking a place (per day)
    arrivals_site_hour: np.ndarray  # int [site, hour]
    occupancy_site_day: np.ndarray  # int [site, day]: people at each site at the end of the day
    departures_mode_day: np.ndarray  # int [mode, day]
    arrivals_mode_day: np.ndarray  # int [mode, day]: people arriving at a place, by mode
    at_origin_day: np.ndarray  # int [day]
    on_road_day: np.ndarray  # int [day]
    at_sites_day: np.ndarray  # int [day]
    without_place_day: np.ndarray  # int [day]: left, found no site with room (near a full site or at home)
    turned_away: int  # arrivals that found their site full or closed and moved on
    redisplaced: int  # people who had a place and were ordered out of it again
    cannot_leave: int  # people whose origin has no road to any site
    walking_over_h: np.ndarray  # int [mode]: trips longer than max_walk_h (on-foot modes; 0 otherwise)
    vulnerable_walking_over_h: float  # of those, the vulnerable (each origin's share spread evenly; ASSUMPTION)
    max_walk_h: float
    trips_mode: np.ndarray  # int [mode]: trips completed (a re-displacement is a second trip)
    mean_trip_h: np.ndarray  # float [mode]: person-hours on the road / trips (queues included)
    mean_free_flow_h: np.ndarray  # float [mode]: the same trips without queues
    bottlenecks: list[dict[str, Any]]
    notes: list[str]
    network: dict[str, int]

    @property
    def n_days(self) -> int:
        return len(self.at_origin_day)

    def summary(self) -> dict[str, Any]:
        """Totals for plan.json (arrays stay in the result)."""
        last = self.n_days - 1
        return {
            "assignment": self.assignment,
            "step_s": self.step_s,
            "total_people": self.total_people,
            "left_by_order": {k: int(self.left_by_order[i, last]) for i, k in enumerate(self.order_ids)},
            "left_unordered": int(self.left_unordered[last]),
            "inside_at_operation": {k: int(v) for k, v in zip(self.order_ids, self.inside_at_operation) if v >= 0},
            "at_sites": int(self.at_sites_day[last]),
            "on_road": int(self.on_road_day[last]),
            "at_origin": int(self.at_origin_day[last]),
            "without_place": int(self.without_place_day[last]),
            "turned_away": self.turned_away,
            "redisplaced": self.redisplaced,
            "cannot_leave": self.cannot_leave,
            "walking_over_h": {
                "hours": self.max_walk_h,
                "people": int(self.walking_over_h.sum()),
                "vulnerable": round(self.vulnerable_walking_over_h),
                "by_mode": {m: int(v) for m, v in zip(self.mode_names, self.walking_over_h)},
            },
            "trips": {
                m: {"trips": int(n), "mean_h": round(float(a), 3), "free_flow_h": round(float(f), 3)}
                for m, n, a, f in zip(self.mode_names, self.trips_mode, self.mean_trip_h, self.mean_free_flow_h)
            },
            "notes": list(self.notes),
        }


# =============================================================================================== simulation


class _Elements:
    """Growable route elements: a segment of the way to a site (one or more links, about a step long), for one
    mode (and whether the people on it follow the plan). People on an element carry the sum of their departure
    steps and their vulnerable people along."""

    def __init__(self, cap: int = 1024) -> None:
        self.n = 0
        self.ptr = np.zeros(cap, np.int64)  # its links: arcs[ptr : ptr + nar]
        self.nar = np.zeros(cap, np.int64)
        self.arcs = np.zeros(4 * cap, np.int64)
        self.n_arcs = 0
        self.next = np.zeros(cap, np.int64)
        self.site = np.zeros(cap, np.int64)
        self.mode = np.zeros(cap, np.int64)
        self.directed = np.zeros(cap, bool)
        self.k = np.zeros(cap, np.int64)  # whole steps of the travel time (>= 1)
        self.f = np.zeros(cap)  # fraction of the outflow that takes one step more
        self.carry = np.zeros(cap)  # fraction of a person owed to the slower step (unbiased split)
        self.use = np.ones(cap)
        self.ff_s = np.zeros(cap)  # free-flow seconds from this element to the site
        self.queue = np.zeros(cap, np.int64)  # people waiting to enter the link
        self.qdep = np.zeros(cap)  # sum of their departure steps
        self.qvul = np.zeros(cap)  # vulnerable people among them
        self.size = np.ones(cap, np.int64)  # travel ring: slots of this element (k + 2)
        self.off = np.zeros(cap, np.int64)  # its first slot
        self.ring_n = np.zeros(4 * cap, np.int64)  # people on the link, by the step they reach its end
        self.ring_dep = np.zeros(4 * cap)
        self.ring_vul = np.zeros(4 * cap)
        self.slots = 0

    def add(self, arcs: list[int], site: int, mode: int, directed: bool, tau: float, use: float) -> int:
        if self.n == len(self.next):
            for name, a in list(vars(self).items()):
                if isinstance(a, np.ndarray) and not name.startswith("ring") and name != "arcs":
                    b = np.zeros(2 * len(a), a.dtype)
                    b[: len(a)] = a
                    setattr(self, name, b)
        e = self.n
        k = int(math.floor(tau + 1e-9))  # 0: a link shorter than a step, crossed within it
        if self.slots + k + 2 > len(self.ring_n):
            for name in ("ring_n", "ring_dep", "ring_vul"):
                a = getattr(self, name)
                b = np.zeros(max(2 * len(a), self.slots + k + 2), a.dtype)
                b[: self.slots] = a[: self.slots]
                setattr(self, name, b)
        if self.n_arcs + len(arcs) > len(self.arcs):
            b = np.zeros(max(2 * len(self.arcs), self.n_arcs + len(arcs)), np.int64)
            b[: self.n_arcs] = self.arcs[: self.n_arcs]
            self.arcs = b
        self.arcs[self.n_arcs : self.n_arcs + len(arcs)] = arcs
        self.ptr[e], self.nar[e] = self.n_arcs, len(arcs)
        self.n_arcs += len(arcs)
        self.next[e], self.site[e], self.mode[e], self.directed[e] = -1, site, mode, directed
        self.k[e], self.f[e], self.use[e] = k, tau - k, use
        self.size[e], self.off[e] = k + 2, self.slots  # at step t the ring's current slot is off + t % size
        self.slots += k + 2
        self.n += 1
        return e


@dataclass
class _Net:
    n_orig_arcs: int
    cnet: Any  # evacuation._Net (condensed)
    paths: Any  # evacuation._SinkPaths on lengths
    site_row: np.ndarray  # row of each site in paths.dist (-1: unreachable)
    origin_node: np.ndarray  # condensed node per origin (-1: no road to any site)
    site_node: np.ndarray


def _prepare_network(inst: DaysInstance) -> _Net:
    n_o, n_s = len(inst.origin_node), len(inst.site_node)
    ev = EvacuationInstance(
        node_ids=[str(i) for i in range(inst.n_nodes)],
        arc_from=inst.arc_from,
        arc_to=inst.arc_to,
        arc_travel_time_s=inst.arc_length_m,
        arc_capacity_per_h=inst.arc_capacity_per_h,
        source_node=np.concatenate([inst.origin_node, inst.site_node]),
        source_people=np.ones(n_o + n_s, np.int64),
        source_release_s=np.zeros(n_o + n_s),
        sink_node=inst.site_node,
        sink_capacity=np.ones(n_s),
    )
    cnet = condense(ev)  # lengths add up along merged chains; capacity is the chain's smallest
    node_map = cnet.node_map(inst.n_nodes)
    s_node = node_map[inst.site_node]
    reach = np.flatnonzero(s_node >= 0)
    paths = _SinkPaths.build(cnet, cnet.travel_time_s, s_node[reach]) if len(reach) else None
    site_row = np.full(n_s, -1, np.int64)
    site_row[reach] = np.arange(len(reach))
    o_node = node_map[inst.origin_node]
    if paths is not None:
        ok = o_node >= 0
        o_node[ok] = np.where(np.isfinite(paths.dist[:, o_node[ok]]).any(axis=0), o_node[ok], -1)
    else:
        o_node[:] = -1
    return _Net(
        n_orig_arcs=len(inst.arc_from), cnet=cnet, paths=paths, site_row=site_row, origin_node=o_node, site_node=s_node
    )


def simulate(
    inst: DaysInstance,
    *,
    assignment: Literal["arrival", "plan"] = "arrival",
    plan: np.ndarray | None = None,
    file: str = "<instance>",
) -> DaysResult:
    """Run the days: departures, movement under road capacity, sites filling, orders and re-displacement.

    ``plan``: int [origin, site] planned people (``assignment="plan"``); e.g. ``staged_plan(inst).people``.
    """
    validate_days_instance(inst, file)
    if assignment not in ("arrival", "plan"):
        raise InputError(
            Problem(file=file, field="assignment", message=f"expected arrival or plan, got {assignment!r}")
        )
    n_o, n_s = len(inst.origin_node), len(inst.site_node)
    if assignment == "plan":
        if plan is None:
            raise InputError(
                Problem(file=file, field="plan", message="assignment 'plan' needs a plan (people per origin and site)")
            )
        plan = np.asarray(plan, dtype=np.int64)
        if plan.shape != (n_o, n_s) or (plan < 0).any():
            raise InputError(
                Problem(file=file, field="plan", message=f"expected whole people >= 0 of shape {(n_o, n_s)}")
            )
    return _Sim(inst, _prepare_network(inst), plan if assignment == "plan" else None).run(assignment)


class _Sim:
    """One run; see `simulate`. People move as whole numbers; each batch carries the sum of its departure
    steps and its vulnerable people (floats, split in proportion), so trip times need no per-origin tags."""

    def __init__(self, inst: DaysInstance, net: _Net, plan: np.ndarray | None) -> None:
        self.inst, self.net = inst, net
        self.dt = float(inst.step_s)
        self.spd = int(round(86400 / self.dt))  # steps per day
        self.sph = int(round(3600 / self.dt))  # steps per hour
        n_o, n_s, n_m, n_k, H = (
            len(inst.origin_node),
            len(inst.site_node),
            len(inst.modes),
            len(inst.order_curves),
            inst.horizon_days,
        )
        self.n_o, self.n_s, self.n_m, self.n_k, self.H = n_o, n_s, n_m, n_k, H
        self.el = _Elements()
        self.index: dict[tuple[int, int, int, bool], int] = {}
        cn = net.cnet
        self.arc_len = cn.travel_time_s  # the condensed network carries lengths
        self.cap_step = cn.capacity_per_h * self.dt / 3600.0
        self.credit = np.zeros(cn.m)
        self.credit_t = np.full(cn.m, -1, np.int64)  # the step the credit was last topped up
        self.speed = np.array([m.speed_m_s for m in inst.modes])
        self.use = np.array([m.road_use for m in inst.modes])
        self.on_foot = np.array([m.on_foot for m in inst.modes])
        self.max_use = float(self.use.max())
        self.capacity = np.where(inst.site_overflow, _BIG, inst.site_capacity).astype(np.int64)
        self.occ = np.zeros(n_s, np.int64)
        self.occ_vul = np.zeros(n_s)
        self.closed = net.site_row < 0  # reached by nobody
        self.without_at_site = np.zeros(n_s, np.int64)  # left, found no place: waiting near site j
        self.without_vul = np.zeros(n_s)
        self.without_home = 0  # left, but no open site could be reached at all
        self.quota = None if plan is None else plan.copy()
        self.held = np.zeros(n_s, np.int64) if plan is None else plan.sum(axis=0).astype(np.int64)
        self.h_steps = inst.max_walk_h * 3600 / self.dt
        self.pending: list[tuple[np.ndarray, ...]] = []  # arriving: (site, mode, directed, n, dep, vul)
        self.en_route = 0  # people in queues and on links
        self.trips = np.zeros(n_m, np.int64)
        self.trip_steps = np.zeros(n_m)  # sum of (end - departure) steps
        self.over = np.zeros(n_m, np.int64)
        self.over_vul = 0.0
        self.ff_sum = np.zeros(n_m)
        self.turned_away = 0
        self.released_origin = np.zeros(n_o, np.int64)
        self.left_order_inc = np.zeros((n_k, H), np.int64)
        self.left_unordered_inc = np.zeros(H, np.int64)
        self.redisp_inc = np.zeros((n_k, H), np.int64)
        self.redisplaced = 0
        self.arr_site_day = np.zeros((n_s, H), np.int64)
        self.arr_site_hour = np.zeros((n_s, H * 24), np.int64)
        self.arr_mode_day = np.zeros((n_m, H), np.int64)
        self.dep_mode_day = np.zeros((n_m, H), np.int64)
        m = cn.m
        self.jam_steps = np.zeros(m, np.int64)
        self.jam_first = np.full(m, -1, np.int64)
        self.jam_last = np.full(m, -1, np.int64)
        self.max_queue = np.zeros(m)
        self._tgt_key: bytes | None = None
        self._tgt_of_node = np.zeros(0, np.int64)
        self.day = 0

    # ------------------------------------------------------------------ routes and targets
    def _route(self, node: int, site: int, mode: int, directed: bool) -> int:
        """First element from condensed ``node`` to ``site`` (made on first use); -1 if the node is the site's.

        The way is cut into segments at canonical boundaries: the nodes where the remaining free-flow time to
        the site crosses a whole number of steps. Routes from different nodes therefore share their segments
        once they meet a boundary, and a person crosses at most a few segments within one step.
        """
        key = (node, site, mode, directed)
        e0 = self.index.get(key)
        if e0 is not None:
            return e0
        paths, row, target = self.net.paths, int(self.net.site_row[site]), int(self.net.site_node[site])
        if node == target:
            return -1
        el, made, cur, prev = self.el, [], node, -1
        steps_per_m = 1.0 / (self.speed[mode] * self.dt)
        n_c = self.net.cnet.n
        while cur != target:
            e = self.index.get((cur, site, mode, directed))
            if e is not None:
                el.next[prev] = e
                break
            arcs, v, tau = [], cur, 0.0
            while True:
                nxt = int(paths.pred[row, v])
                arc = int(paths.arc_of_key[np.searchsorted(paths.arc_key, v * n_c + nxt)])
                arcs.append(arc)
                tau += self.arc_len[arc] * steps_per_m
                v = nxt
                if v == target:
                    break
                r_v = paths.dist[row, v] * steps_per_m
                r_next = paths.dist[row, int(paths.pred[row, v])] * steps_per_m
                if math.floor(r_v + 1e-9) != math.floor(r_next + 1e-9):  # v is a boundary
                    break
            e = el.add(arcs, site, mode, directed, tau, float(self.use[mode]))
            self.index[(cur, site, mode, directed)] = e
            if prev >= 0:
                el.next[prev] = e
            made.append((e, tau))
            prev, cur = e, v
        for e, tau in reversed(made):  # free-flow time from here to the site
            nx = el.next[e]
            el.ff_s[e] = tau * self.dt + (el.ff_s[nx] if nx >= 0 else 0.0)
        return self.index[key]

    def _room(self) -> np.ndarray:
        """Places an undirected arrival can take now (places held for planned people excluded)."""
        return np.where(self.closed, 0, self.capacity - self.occ - self.held)

    def _targets(self, nodes: np.ndarray) -> np.ndarray:
        """Per condensed node: the nearest site with room; else the nearest overflow site; else the nearest open
        site (people go there and wait without a place); -1 if no open site can be reached."""
        room = self._room() > 0
        key = room.tobytes() + self.closed.tobytes()
        if key != self._tgt_key:  # availability changed: recompute for every node (sites x nodes, small)
            dist, row, over = self.net.paths.dist, self.net.site_row, self.inst.site_overflow
            out = np.full(self.net.cnet.n, -1, np.int64)
            ok = ~self.closed & (row >= 0)
            for mask in (ok & room & ~over, ok & over, ok):
                todo = np.flatnonzero(out < 0)
                if not len(todo) or not mask.any():
                    continue
                cand = np.flatnonzero(mask)
                d = dist[row[cand]][:, todo]
                best = np.argmin(d, axis=0)
                fin = np.isfinite(d[best, np.arange(len(todo))])
                out[todo[fin]] = cand[best[fin]]
            self._tgt_key, self._tgt_of_node = key, out
        return self._tgt_of_node[nodes]

    # ------------------------------------------------------------------ departures, entries, trip ends
    def _depart(self, streams: np.ndarray, modes: np.ndarray, people: np.ndarray) -> np.ndarray:
        """People leave their origin (stream < n_o) or their site (n_o + j, re-displaced) now; their vulnerable
        people (each origin's share; at a site, its share of the site's vulnerable people)."""
        day, n_o, inst = self.day, self.n_o, self.inst
        self.dep_mode_day[:, day] += np.bincount(modes, weights=people, minlength=self.n_m).astype(np.int64)
        vul = np.zeros(len(people))
        o = streams < n_o
        if o.any():
            so, po = streams[o], people[o]
            np.add.at(self.released_origin, so, po)
            k = inst.origin_order[so]
            np.add.at(self.left_order_inc[:, day], k[k >= 0], po[k >= 0])
            self.left_unordered_inc[day] += int(po[k < 0].sum())
            vul[o] = po * inst.origin_vulnerable_share[so]
        for i in np.flatnonzero(~o).tolist():
            j, n = int(streams[i]) - n_o, int(people[i])
            from_site = min(n, int(self.occ[j]))
            share = self.occ_vul[j] / self.occ[j] if self.occ[j] else 0.0
            wait_share = self.without_vul[j] / self.without_at_site[j] if self.without_at_site[j] else 0.0
            vul[i] = from_site * share + (n - from_site) * wait_share
            self.occ_vul[j] -= from_site * share
            self.without_vul[j] -= (n - from_site) * wait_share
            self.occ[j] -= from_site
            self.without_at_site[j] -= n - from_site
            self.redisp_inc[int(inst.site_order[j]), day] += n
            self.redisplaced += n
        return vul

    def _enter(
        self,
        elems: np.ndarray,
        sites: np.ndarray,
        modes: np.ndarray,
        people: np.ndarray,
        dep: np.ndarray,
        vul: np.ndarray,
        directed: np.ndarray,
        t: int,
    ) -> None:
        """Put people on the road at their first element (-1: already at the site; site -1: nowhere to go)."""
        el = self.el
        on = elems >= 0
        if on.any():
            e = elems[on]
            np.add.at(el.queue, e, people[on])
            np.add.at(el.qdep, e, dep[on])
            np.add.at(el.qvul, e, vul[on])
            self.en_route += int(people[on].sum())
            np.add.at(self.ff_sum, modes[on], people[on] * el.ff_s[e])
        at = ~on & (sites >= 0)
        if at.any():
            self.pending.append((sites[at], modes[at], directed[at], people[at], dep[at], vul[at]))
        nowhere = np.flatnonzero(~on & (sites < 0))
        if len(nowhere):
            self._trip_ends(modes[nowhere], people[nowhere], dep[nowhere], vul[nowhere], t)
            self.without_home += int(people[nowhere].sum())

    def _trip_ends(self, modes: np.ndarray, people: np.ndarray, dep: np.ndarray, vul: np.ndarray, t: int) -> None:
        """Trips end (a place, or giving up): trip times, and who walked longer than max_walk_h (per batch)."""
        dur = t - dep / np.maximum(people, 1)  # steps, the batch's mean
        self.trips += np.bincount(modes, weights=people, minlength=self.n_m).astype(np.int64)
        self.trip_steps += np.bincount(modes, weights=people * t - dep, minlength=self.n_m)
        long = (dur > self.h_steps) & self.on_foot[modes]
        if long.any():
            self.over += np.bincount(modes[long], weights=people[long], minlength=self.n_m).astype(np.int64)
            self.over_vul += float(vul[long].sum())

    def _arrivals(self, t: int) -> None:
        """People reaching sites this step take a place if there is room, else move on or wait without one."""
        if len(self.pending) == 1:
            j, mo, d, n, dep, vul = self.pending[0]
        else:
            j, mo, d, n, dep, vul = (np.concatenate(x) for x in zip(*self.pending))
        self.pending = []
        free = np.where(self.closed, 0, self.capacity - self.occ)
        planned = d.any()
        if planned:
            dir_tot = np.bincount(j[d], weights=n[d], minlength=self.n_s)
            und_tot = np.bincount(j[~d], weights=n[~d], minlength=self.n_s)
            # planned people first (their places are held), then undirected people into what is not held
            fits = (dir_tot <= free) & (und_tot <= np.maximum(0, free - self.held))
        else:
            fits = np.bincount(j, weights=n, minlength=self.n_s) <= np.maximum(0, free - self.held)
        ok = fits[j]
        if ok.all():
            take, part = n, np.ones(len(n))
        else:
            take = np.where(ok, n, 0)
            for site in np.unique(j[~ok]).tolist():
                room, held = int(free[site]), int(self.held[site])
                for directed_pass in (True, False) if planned else (False,):
                    rows = np.flatnonzero((j == site) & (d == directed_pass))
                    if not len(rows):
                        continue
                    want = n[rows]
                    cap = room if directed_pass else max(0, room - held)
                    got = want if want.sum() <= cap else largest_remainder(want * (cap / want.sum()), cap, cap=want)
                    take[rows] = got
                    room -= int(got.sum())
                    if directed_pass:
                        held -= int(want.sum())  # a planned place that is not there any more is no longer held
            part = take / np.maximum(n, 1)
        if planned:
            np.subtract.at(self.held, j[d], n[d])  # arrived or turned away: no longer held either way
        acc = take > 0
        if acc.any():
            ja, na = j[acc], take[acc]
            np.add.at(self.occ, ja, na)
            np.add.at(self.occ_vul, ja, vul[acc] * part[acc])
            hour = min(t // self.sph, self.H * 24 - 1)
            np.add.at(self.arr_site_day[:, self.day], ja, na)
            np.add.at(self.arr_site_hour[:, hour], ja, na)
            np.add.at(self.arr_mode_day[:, self.day], mo[acc], na)
            self._trip_ends(mo[acc], na, dep[acc] * part[acc], vul[acc] * part[acc], t)
        rej = np.flatnonzero(take < n)
        if not len(rej):
            return
        jr, mr, nr = j[rej], mo[rej], n[rej] - take[rej]
        dr, vr = dep[rej] * (1 - part[rej]), vul[rej] * (1 - part[rej])
        self.turned_away += int(nr.sum())
        nodes = self.net.site_node[jr]
        tg = self._targets(nodes)
        room = self._room()
        go = (tg >= 0) & (tg != jr)
        go[go] &= room[tg[go]] > 0
        stay = np.flatnonzero(~go)  # nowhere with room: waits near this site without a place
        if len(stay):
            self._trip_ends(mr[stay], nr[stay], dr[stay], vr[stay], t)
            np.add.at(self.without_at_site, jr[stay], nr[stay])
            np.add.at(self.without_vul, jr[stay], vr[stay])
        g = np.flatnonzero(go)
        if len(g):
            elems = np.array([self._route(int(nodes[i]), int(tg[i]), int(mr[i]), False) for i in g], np.int64)
            self._enter(elems, tg[g], mr[g], nr[g], dr[g], vr[g], np.zeros(len(g), bool), t)
            on = np.unique(elems[elems >= 0])
            self._discharge(t, on[self.el.queue[on] > 0])  # they set off again within the step

    # ------------------------------------------------------------------ one day's schedule
    def _schedule(
        self,
        daily: np.ndarray,
        redisp_people: np.ndarray,
        redisp_sched: np.ndarray,
        limit_used: np.ndarray,
        w0: int,
        access_steps: np.ndarray,
    ) -> dict[str, np.ndarray]:
        """Release events of the day: (stream, mode, directed site or -1, node, people, first step)."""
        inst, day, n_o = self.inst, self.day, self.n_o
        o = np.flatnonzero(daily[:, day])
        rows_s, rows_n, rows_node = [o], [daily[o, day]], [self.net.origin_node[o]]
        for j in np.flatnonzero(redisp_people).tolist():
            k = int(inst.site_order[j])
            c = share_left(inst.order_curves[k], np.array([day + 1 - inst.order_day[k]]))
            due = int(cumulative_people(int(redisp_people[j]), c)[0]) - int(redisp_sched[j])
            if due > 0:
                redisp_sched[j] += due
                rows_s.append(np.array([n_o + j])), rows_n.append(np.array([due]))
                rows_node.append(np.array([self.net.site_node[j]]))
        s_all, n_all, node_all = (np.concatenate(x).astype(np.int64) for x in (rows_s, rows_n, rows_node))
        shares = np.array([m.share for m in inst.modes])
        by_mode = _cap_modes(_split_modes(n_all, shares), inst.modes, limit_used)
        out: dict[str, list[int]] = {k: [] for k in ("s", "m", "j", "node", "n", "t0")}
        for i, mo in zip(*np.nonzero(by_mode)):
            s, n = int(s_all[i]), int(by_mode[i, mo])
            parts: list[tuple[int, int]] = []
            if self.quota is not None and s < n_o and self.quota[s].any():
                q = self.quota[s]
                give = min(n, int(q.sum()))
                alloc = largest_remainder(q * (give / q.sum()), give, cap=q)
                q -= alloc
                parts += [(int(jj), int(a)) for jj, a in enumerate(alloc.tolist()) if a]
                n -= give
            if n:
                parts.append((-1, n))
            t0 = day * self.spd + w0 + (int(access_steps[s, mo]) if s < n_o else 0)
            for jj, a in parts:
                for k, v in (("s", s), ("m", int(mo)), ("j", jj), ("node", int(node_all[i])), ("n", a), ("t0", t0)):
                    out[k].append(v)
        return {k: np.asarray(v, np.int64) for k, v in out.items()}

    # ------------------------------------------------------------------ moving
    def _land(self, t: int) -> None:
        """People reaching the end of a link this step: onto the next link's queue, or at their site."""
        el = self.el
        rings = [getattr(el, a) for a in kernel.RING_ARRAYS]
        ends = kernel.land(t, el.n, el.off, el.size, el.next, *rings, el.queue, el.qdep, el.qvul)
        self._reached(*ends)

    def _discharge(self, t: int, qi: np.ndarray | None = None) -> None:
        """Every link lets through its capacity (pedestrian-equivalents) this step; the rest queues. People who
        get through a link shorter than the rest of the step go on to the next one within the step."""
        el = self.el
        if qi is None:
            qi = np.flatnonzero(el.queue[: el.n])
        if not len(qi):
            return
        ends = kernel.discharge(
            np.ascontiguousarray(qi, np.int64),
            t,
            self.max_use,
            self.cap_step,
            self.credit,
            self.credit_t,
            self.jam_steps,
            self.jam_first,
            self.jam_last,
            self.max_queue,
            *(getattr(el, a) for a in kernel.ELEMENT_ARRAYS),
            *(getattr(el, a) for a in kernel.RING_ARRAYS),
        )
        self._reached(*ends)

    def _reached(self, te: np.ndarray, n: np.ndarray, dep: np.ndarray, vul: np.ndarray) -> None:
        """People at the end of their way (elements ``te``): arriving at the element's site this step."""
        if len(te):
            el = self.el
            self.en_route -= int(n.sum())
            self.pending.append((el.site[te], el.mode[te], el.directed[te], n, dep, vul))

    # ------------------------------------------------------------------ the days
    def run(self, assignment: str) -> DaysResult:
        inst, dt, H = self.inst, self.dt, self.H
        n_o, n_s, n_m, n_k = self.n_o, self.n_s, self.n_m, self.n_k
        sched = departure_schedule(inst)
        daily = np.diff(np.concatenate([np.zeros((n_o, 1), np.int64), sched], axis=1), axis=1)
        stuck = self.net.origin_node < 0
        cannot_leave = int(sched[stuck, -1].sum())
        daily[stuck] = 0
        occ_day = np.zeros((n_s, H), np.int64)
        at_origin_day, on_road_day, at_sites_day, without_day = (np.zeros(H, np.int64) for _ in range(4))
        inside_at_op = np.full(n_k, -1, np.int64)
        closing_day = np.where(inst.site_order >= 0, np.floor(inst.order_day[np.maximum(inst.site_order, 0)]), -1)
        redisp_people = np.zeros(n_s, np.int64)  # people at a site when its order came
        redisp_sched = np.zeros(n_s, np.int64)
        w0 = int(round(inst.departure_hours[0] * self.sph))
        W = max(1, int(round(inst.departure_hours[1] * self.sph)) - w0)
        access_steps = np.round(inst.origin_access_m[:, None] / self.speed[None, :] / dt).astype(np.int64)
        keys = ("s", "m", "j", "node", "n", "t0", "tgt", "e")
        ev = {k: np.zeros(0, np.int64) for k in keys}
        limit_used = np.zeros(n_m, np.int64)

        def books(d: int) -> None:
            occ_day[:, d] = self.occ
            at_origin_day[d] = int(inst.origin_people.sum() - self.released_origin.sum())
            on_road_day[d] = self.en_route + sum(int(p[3].sum()) for p in self.pending)
            at_sites_day[d] = int(self.occ.sum())
            without_day[d] = int(self.without_at_site.sum()) + self.without_home
            total = at_origin_day[d] + on_road_day[d] + at_sites_day[d] + without_day[d]
            if total != inst.total_people:  # a hard invariant, never a rounding matter
                raise AssertionError(f"people not conserved on day {d}: {total} != {inst.total_people}")

        t, T, day = 0, H * self.spd, -1
        while t < T:
            if t // self.spd != day:  # ------------------------------------------------ a new day
                if day >= 0:
                    books(day)
                day = self.day = t // self.spd
                limit_used[:] = 0
                for j in np.flatnonzero((closing_day == day) & ~self.closed).tolist():
                    self.closed[j] = True
                    redisp_people[j] = self.occ[j] + self.without_at_site[j]
                for k in range(n_k):  # still inside on the operation's first day, before anyone moves
                    op = inst.order_operation_day[k]
                    if not math.isnan(op) and int(op) == day:
                        home = inst.origin_people - self.released_origin
                        sk = inst.site_order == k
                        inside_at_op[k] = int(home[inst.origin_order == k].sum()) + int(
                            (self.occ[sk] + self.without_at_site[sk]).sum()
                        )
                new = self._schedule(daily, redisp_people, redisp_sched, limit_used, w0, access_steps)
                new["tgt"] = np.full(len(new["n"]), -3, np.int64)
                new["e"] = np.full(len(new["n"]), -3, np.int64)
                ev = {k: np.concatenate([ev[k], new[k]]) for k in keys}
            # ------------------------------------------------------------------------ one step
            self._land(t)
            if len(ev["n"]):  # departures due this step, evenly over the window (rounded)
                i_rel = t - ev["t0"]
                li = np.flatnonzero((i_rel >= 0) & (i_rel < W))
                if len(li):
                    ir, nn = i_rel[li], ev["n"][li]
                    amount = (2 * nn * (ir + 1) + W) // (2 * W) - (2 * nn * ir + W) // (2 * W)
                    go = amount > 0
                    li, amount = li[go], amount[go]
                if len(li):
                    js = ev["j"][li]
                    tg = js.copy()
                    und = js < 0
                    if und.any():
                        tg[und] = self._targets(ev["node"][li[und]])
                    changed = np.flatnonzero(tg != ev["tgt"][li])
                    for c in changed.tolist():  # a new destination: its route
                        i = int(li[c])
                        ev["tgt"][i] = tg[c]
                        ev["e"][i] = (
                            self._route(int(ev["node"][i]), int(tg[c]), int(ev["m"][i]), bool(js[c] >= 0))
                            if tg[c] >= 0
                            else -1
                        )
                    mo = ev["m"][li]
                    vul = self._depart(ev["s"][li], mo, amount)
                    self._enter(ev["e"][li], tg, mo, amount, amount * float(t), vul, js >= 0, t)
                ended = t - ev["t0"] >= W - 1
                if ended.any():
                    ev = {k: v[~ended] for k, v in ev.items()}
            self._discharge(t)
            for _ in range(3):  # arrivals; people moving on to a site at the same node arrive at once
                if not self.pending:
                    break
                self._arrivals(t)
            t += 1
            if not self.en_route and not self.pending and t < T:  # -------------------- idle: jump
                jump = -(-t // self.spd) * self.spd  # the next day's start (now, if this is one)
                if len(ev["n"]):
                    jump = min(jump, max(t, int(ev["t0"].min())))
                t = max(t, jump)
        books(day)
        # people still on the road at the end: their trips so far
        el = self.el
        e_of_slot = np.repeat(np.arange(el.n), el.size[: el.n])
        rs = np.flatnonzero(el.ring_n[: el.slots])
        self._still_walking(el.mode[e_of_slot[rs]], el.ring_n[rs], el.ring_dep[rs], el.ring_vul[rs], T)
        qi = np.flatnonzero(el.queue[: el.n])
        self._still_walking(el.mode[qi], el.queue[qi], el.qdep[qi], el.qvul[qi], T)
        notes = []
        if self.turned_away:
            notes.append(f"{self.turned_away:,} arrivals found their site full or closed and moved on")
        if self.without_home:
            notes.append(f"{self.without_home:,} people left but no open site could be reached: without a place")
        if cannot_leave:
            notes.append(f"{cannot_leave:,} people would leave but have no road to any site: counted at home")
        trips = np.maximum(self.trips, 1)
        return DaysResult(
            assignment=assignment,
            step_s=dt,
            total_people=inst.total_people,
            order_ids=[f"order-{k}" for k in range(n_k)],
            site_ids=list(inst.site_ids),
            mode_names=[m.name for m in inst.modes],
            left_by_order=np.cumsum(self.left_order_inc, axis=1),
            left_unordered=np.cumsum(self.left_unordered_inc),
            redisplaced_by_order=np.cumsum(self.redisp_inc, axis=1),
            inside_at_operation=inside_at_op,
            arrivals_site_day=self.arr_site_day,
            arrivals_site_hour=self.arr_site_hour,
            occupancy_site_day=occ_day,
            departures_mode_day=self.dep_mode_day,
            arrivals_mode_day=self.arr_mode_day,
            at_origin_day=at_origin_day,
            on_road_day=on_road_day,
            at_sites_day=at_sites_day,
            without_place_day=without_day,
            turned_away=self.turned_away,
            redisplaced=self.redisplaced,
            cannot_leave=cannot_leave,
            walking_over_h=self.over,
            vulnerable_walking_over_h=self.over_vul,
            max_walk_h=inst.max_walk_h,
            trips_mode=self.trips.copy(),
            mean_trip_h=self.trip_steps * dt / 3600.0 / trips,
            mean_free_flow_h=self.ff_sum / trips / 3600.0,
            bottlenecks=self._bottlenecks(),
            notes=notes,
            network={"nodes": self.net.cnet.n, "links": self.net.cnet.m, "route_elements": self.el.n},
        )

    def _still_walking(self, modes: np.ndarray, people: np.ndarray, dep: np.ndarray, vul: np.ndarray, T: int) -> None:
        """People on the road at the horizon's end who have been walking longer than max_walk_h already."""
        long = (people > 0) & (T - dep / np.maximum(people, 1) > self.h_steps) & self.on_foot[modes]
        if long.any():
            self.over += np.bincount(modes[long], weights=people[long], minlength=self.n_m).astype(np.int64)
            self.over_vul += float(vul[long].sum())

    def _bottlenecks(self, top: int = 25) -> list[dict[str, Any]]:
        cn = self.net.cnet
        jammed = np.flatnonzero(self.jam_steps)
        order = jammed[np.argsort(-self.max_queue[jammed], kind="stable")][:top]
        return [
            {
                "link": int(cn.bottleneck_arc[a]),
                "capacity_per_h": float(cn.capacity_per_h[a]),
                "saturated_h": float(self.jam_steps[a] * self.dt / 3600.0),
                "from_h": float(self.jam_first[a] * self.dt / 3600.0),
                "until_h": float((self.jam_last[a] + 1) * self.dt / 3600.0),
                "max_queue_people": round(float(self.max_queue[a])),
            }
            for a in order.tolist()
        ]


# =============================================================================================== plan and comparison


@dataclass
class StagedPlan:
    """A planned assignment: people per origin and site, and who has no place, with the solver's status."""

    people: np.ndarray  # int [origin, site]
    unmet: np.ndarray  # int [origin]: expected leavers the plan finds no place for
    demand: np.ndarray  # int [origin]: expected leavers by the horizon
    wave: np.ndarray  # int [origin]: 0 = the first to leave
    status: str
    solver: str
    gap: float
    objective_person_s: float


def staged_plan(inst: DaysInstance, *, avoid_ordered_sites: bool = True, time_limit_s: float = 60.0) -> StagedPlan:
    """Today's siting (``siting.solve_siting``) over everyone expected to leave, waves in order of priority.

    Each origin's expected leavers (by the horizon) form a client of its wave (the day its people start to
    leave). Leaving a person of an earlier wave without a place costs more than any rearrangement of later
    waves can save, so the plan never holds a place for a later wave while an earlier one goes without; within
    that, it minimises the total walking time. ``avoid_ordered_sites`` keeps everyone out of sites a later
    order covers (no planned re-displacement).
    """
    from .siting import SitingInstance, solve_siting

    validate_days_instance(inst)
    net = _prepare_network(inst)
    n_o, n_s = len(inst.origin_node), len(inst.site_node)
    demand = departure_schedule(inst)[:, -1].copy()
    demand[net.origin_node < 0] = 0
    u_start = (
        inst.unordered_start_day
        if inst.unordered_start_day is not None
        else (float(inst.order_day.min()) if len(inst.order_day) else 0.0)
    )
    start = np.where(inst.origin_order >= 0, inst.order_day[np.maximum(inst.origin_order, 0)], u_start)
    days, wave = np.unique(start, return_inverse=True)
    walk = next((m.speed_m_s for m in inst.modes if m.on_foot), inst.modes[0].speed_m_s)
    unit = np.full((n_o, n_s), np.inf)
    reach = (net.site_row >= 0) & ~inst.site_overflow
    if avoid_ordered_sites:
        reach &= inst.site_order < 0
    ok_o = net.origin_node >= 0
    if net.paths is not None and reach.any() and ok_o.any():
        cols = np.flatnonzero(reach)
        unit[np.ix_(ok_o, cols)] = net.paths.dist[net.site_row[cols]][:, net.origin_node[ok_o]].T / walk
    finite = unit[np.isfinite(unit)]
    top = float(finite.max()) if len(finite) else 1.0
    gap_w = (n_s + 2) * top + 1.0  # more than any chain of reassignments can save
    penalty = 10.0 * top + (len(days) - 1 - wave) * gap_w
    clients = np.flatnonzero(demand > 0)
    cost = np.column_stack([unit[clients], penalty[clients]]) * demand[clients, None]
    allowed = np.isfinite(cost)
    cap = np.concatenate([inst.site_capacity.astype(float), [float(demand.sum())]])
    si = SitingInstance(
        facility_ids=[*inst.site_ids, "(no place)"],
        capacity=cap,
        fixed_cost=np.zeros(n_s + 1),
        client_ids=[inst.origin_ids[o] for o in clients],
        demand=demand[clients].astype(float),
        cost=np.where(allowed, cost, np.inf),
        allowed=allowed,
    )
    people = np.zeros((n_o, n_s), np.int64)
    unmet = demand.copy()
    status, solver, gap, obj = "optimal", "none", 0.0, 0.0
    if len(clients):
        res = solve_siting(si, time_limit_s=time_limit_s)
        status, solver, gap = res.status, res.solver, res.gap
        a = np.rint(res.assign_people).astype(np.int64)
        real = res.assign_facility < n_s
        np.add.at(people, (clients[res.assign_client[real]], res.assign_facility[real]), a[real])
        unmet = demand - people.sum(axis=1)
        obj = float((people * np.where(np.isfinite(unit), unit, 0.0)).sum())
    return StagedPlan(
        people=people,
        unmet=unmet,
        demand=demand,
        wave=wave.astype(np.int64),
        status=status,
        solver=solver,
        gap=gap,
        objective_person_s=obj,
    )


def compare(undirected: DaysResult, planned: DaysResult) -> dict[str, Any]:
    """What direction changes: the arrival-order run beside the planned one, figure by figure."""
    a, p = undirected.summary(), planned.summary()
    rows = {
        "at_sites": (a["at_sites"], p["at_sites"]),
        "without_place": (a["without_place"], p["without_place"]),
        "on_road": (a["on_road"], p["on_road"]),
        "turned_away": (a["turned_away"], p["turned_away"]),
        "redisplaced": (a["redisplaced"], p["redisplaced"]),
        "walking_over_h": (a["walking_over_h"]["people"], p["walking_over_h"]["people"]),
        "vulnerable_walking_over_h": (a["walking_over_h"]["vulnerable"], p["walking_over_h"]["vulnerable"]),
    }
    out: dict[str, Any] = {k: {"arrival": x, "plan": y, "difference": y - x} for k, (x, y) in rows.items()}
    out["mean_trip_h"] = {m: {"arrival": a["trips"][m]["mean_h"], "plan": p["trips"][m]["mean_h"]} for m in a["trips"]}
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
