"""Multi-day supply through capacity-limited crossings: a HiGHS LP over commodities × arcs × days.

Model (all quantities in tonnes, one period = one day, day ``t`` in ``0..days-1``):

* ``entry_use[k, e, t]`` — tonnes of commodity ``k`` admitted at entry point ``e`` on day ``t``.
  Per entry and day ``Σ_k entry_use ≤ capacity_t[e, t]`` (zero before the opening day and on
  closed days). Goods admitted on day ``t`` are available for onward transport on day
  ``t + inspection_delay_days``; entry points hold no stock.
* ``flow[k, a, t]`` — tonnes leaving along arc ``a`` on day ``t``, arriving on ``t + travel_days``
  (flows that would arrive after the horizon are fixed at 0). Optional ``Σ_k flow ≤ capacity``.
* ``stock[k, j, t]`` — end-of-day inventory at warehouse or site ``j``. Per node and day
  ``Σ_k stock ≤ capacity`` (warehouse ``capacity_t``, site ``storage_t``). Pre-positioning before
  a known closure is simply stock carried over.
* ``production[p, t] ≤ rate`` — local production (wells, desalination) at a warehouse or site.
* ``shortfall[k, q, t] ∈ [0, need]`` per demand *cell* ``q`` — a site, or one group of people at a site
  (``Site.groups``: e.g. sheltered, overflow, residents), each with its own need. For a daily commodity
  consumption = demand − shortfall. For a commodity owed until delivered (``Commodity.carry_over``: tents and
  kits) the shortfall is what is still owed at the end of the day (≤ everything owed so far) and it is owed
  again the next day: consumption = demand[t] + shortfall[t−1] − shortfall[t] ≥ 0 (nothing is taken back).

Conservation, every commodity, node and day (checked on the solution, ``max_conservation_residual_t``)::

    stock[t] − stock[t−1] + out[t] − in[t] − production[t] + Σ_q consumption[q, t] = 0

Trucks: a truck carries ``payload_t`` of one commodity (``Commodity.payload_t``, else the arc's or entry point's,
else the instance's), so entry capacity is counted in trucks: Σ_k use[k] / payload[k] ≤ trucks/day.
Arcs with ``trucked=False`` (pipelines, a water network) carry no truckloads.

Sharing (``SupplyInstance.sharing``): ``equal`` adds, per commodity and day, a common shortfall share σ and
penalises each cell's distance from it (``FAIR_WEIGHT`` × its deprivation weight per tonne, both ways): among
plans with the least deprivation the one closest to equal coverage is chosen, and a cell that can get more
(its own well) or less (out of reach) only moves away from the common share where that cuts deprivation.
``priority`` does the same within each group and weights a group's deprivation by ``GROUP_PRIORITY_FACTOR`` per
rank in ``group_priority`` (first = served first); ``none`` leaves the split to the optimiser.

Objective, lexicographic in two solves:

1. minimise deprivation ``Σ priority_k · (s1 + deep_factor · s2)`` where the shortfall of a day is
   split into ``s1 ≤ deep_share · demand`` and ``s2`` (the rest). With ``deep_factor > 1`` the cost
   is convex, so the optimiser spreads a shortage over days and sites (ration spreading) instead
   of starving one site or one day; every day weighs the same (but see the tie-break below). ``deep_factor = 1``
   gives the plain priority-weighted shortfall. Priority is a weight per tonne: higher is served first.
2. with every shortfall (and the sharing columns) fixed at its optimal value, minimise truckloads
   ``Σ flow / payload + Σ entry_use / payload`` in a second solve. Fixing each shortfall (bounds)
   rather than holding the total (one dense row) keeps the first solution feasible, so the primal simplex
   restarts from it; it keeps the first solve's spread of the shortage, and what is left is a flow problem.
   On large LPs (``trucks="auto"`` above ``AUTO_EPSILON_COLUMNS`` columns) truckloads are instead weighted
   ``EPS_TRUCKS`` ×
   the smallest priority in the one solve: one tonne delivered is worth 10⁴ times more than the
   truckloads that carry it, but this is lexicographic in practice only (tested against the two
   solves), and shadow prices then include that tiny weight.

A relative 1e-4 tie-break makes a later shortfall a hair cheaper than the same shortfall earlier
(serve people now when the total is the same); the reported deprivation leaves it out.

Shadow prices (row duals) come from solve 1 and are reported per binding constraint in plain
words; ``dual × change`` is an upper bound on the cut in deprivation (the optimal value is convex
in the capacity) and exact for small enough changes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._errors import InputError, Problem, SolverError
from ._highs import quiet_highs
from ..scenario._layers import read_json
from ..scenario.supply_data import _commodities_yaml

DEFAULT_PAYLOAD_T = 20.0  # sphere-2018 profile, truck_payload_t (Logistics Cluster planning figure)
# Hours a day trucks can run (crossing and checkpoint opening hours, daylight movement):
# a planning assumption, not a sourced figure; override per instance.
DEFAULT_OPERATING_H_PER_DAY = 10.0
DEEP_SHARE = 0.5
DEEP_FACTOR = 2.0
# with the shortfalls fixed the truckload solve is a flow problem and cheap (0.35 s after a 3 s deprivation solve on
# the 60-day Rafah plan), so the epsilon method is kept for very large instances only
AUTO_EPSILON_COLUMNS = 2_000_000
EPS_TRUCKS = 1e-4  # truckload weight of the epsilon method, relative to the smallest priority
TIME_TIE_BREAK = 1e-4  # relative, day 0 vs the last day (see _build_lp)
FAIR_WEIGHT = 1e-4  # distance from the common share, relative to the deprivation weight (see the module doc)
GROUP_PRIORITY_FACTOR = 10.0  # a group's deprivation weighs this many times the next group's (priority sharing)
SHARING = ("equal", "priority", "none")
#: items owed until delivered are shared equally too (the split is otherwise arbitrary: members of an ensemble
#: gave different, equally optimal, tent deliveries per site); ~1.5x the deprivation solve on the 60-day Rafah plan
SHARE_OWED = True
MODES = ("land", "sea", "air")
_EPS = 1e-9


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Commodity:
    """A commodity; ``priority`` is the deprivation weight per tonne short (higher = served first)."""

    id: str
    priority: float = 1.0
    unit_weight_t: float | None = None  # t per unit (m³ of water, kit, tent, ration); needed for unit inputs
    unit: str | None = None
    unit_volume_m3: float | None = None
    payload_t: float | None = None  # t of this commodity per truck (None: the arc's or entry point's payload)
    carry_over: bool = False  # need owed until delivered (tents, kits), not lost at the end of the day


@dataclass(frozen=True)
class EntryPoint:
    """A crossing. Capacity in t/day, or trucks/day × payload_t; ``capacity_t_by_day`` overrides both."""

    id: str
    capacity_t_per_day: float | None = None
    trucks_per_day: float | None = None
    payload_t: float | None = None
    capacity_t_by_day: Sequence[float] | None = None
    closed_days: tuple[int, ...] = ()
    opening_day: int = 0
    inspection_delay_days: int = 0
    # delivery chain (issue 20; the defaults keep a land crossing as before)
    mode: str = "land"  # land | sea | air
    loss_share: float = 0.0  # share of what enters that is lost or unsafe before anyone can use it (airdrops)
    uniform_payload: bool = False  # True: every commodity counts at payload_t (a shuttle or sortie's tonnes)
    cost_usd_per_t: float | None = None  # cost of a tonne entered (reporting only; None: not known)

    def payload(self, default_t: float) -> float:
        return float(self.payload_t) if self.payload_t else default_t

    def capacity_t(self, days: int, default_payload_t: float) -> np.ndarray:
        """Capacity per day (t), with closures and the opening day applied."""
        if self.capacity_t_by_day is not None:
            cap = np.asarray(self.capacity_t_by_day, dtype=float).copy()
        elif self.capacity_t_per_day is not None:
            cap = np.full(days, float(self.capacity_t_per_day))
        elif self.trucks_per_day is not None:
            cap = np.full(days, float(self.trucks_per_day) * self.payload(default_payload_t))
        else:
            cap = np.zeros(days)
        cap[: max(0, min(days, self.opening_day))] = 0.0
        closed = [d for d in self.closed_days if 0 <= d < days]
        cap[closed] = 0.0
        return cap


@dataclass(frozen=True)
class Warehouse:
    id: str
    capacity_t: float | None = None  # None: unlimited
    initial_t: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Site:
    """A shelter site: demand per commodity per day (t), storage (t) and initial stock (t)."""

    id: str
    demand_t: Mapping[str, Sequence[float]]  # commodity -> [days] t/day (arrival curves allowed)
    storage_t: float | None = None  # None: unlimited
    initial_t: Mapping[str, float] = field(default_factory=dict)
    people: Sequence[float] | None = None  # people present per day, for coverage in people
    # group -> commodity -> [days] t/day: the site's need split by group (each its own shortfall); replaces demand_t
    groups: Mapping[str, Mapping[str, Sequence[float]]] = field(default_factory=dict)
    group_people: Mapping[str, Sequence[float]] = field(default_factory=dict)  # group -> [days] people


@dataclass(frozen=True)
class Production:
    """Local production of one commodity at a warehouse or site, up to ``t_per_day`` each day."""

    node: str
    commodity: str
    t_per_day: Sequence[float]  # [days]
    # commodity -> t used per t produced, taken from the same node's stock that day (fuel for a desalination plant
    # or a well's pump): without it nothing is produced (issue 20)
    inputs: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Arc:
    """A road leg; goods leaving on day t arrive on day t + travel_days."""

    source: str
    target: str
    travel_days: int = 0
    capacity_t_per_day: float | None = None
    round_trip_h: float | None = None
    payload_t: float | None = None
    trucked: bool = True  # False: a pipeline or water network (no truckloads, no fleet)
    commodities: tuple[str, ...] = ()  # what it can carry (empty: everything), e.g. a water network: water
    # delivery chain (issue 20): a share lost on the way (looting, unsafe), and a limit in truckloads a day (a
    # collection or convoy-movement stage, `stage` names it in the binding constraints)
    loss_share: float = 0.0
    capacity_loads_by_day: Sequence[float] | None = None
    stage: str = ""


@dataclass
class SupplyInstance:
    days: int
    commodities: list[Commodity]
    entry_points: list[EntryPoint]
    warehouses: list[Warehouse]
    sites: list[Site]
    arcs: list[Arc]
    production: list[Production] = field(default_factory=list)
    payload_t: float = DEFAULT_PAYLOAD_T
    operating_h_per_day: float = DEFAULT_OPERATING_H_PER_DAY
    sharing: str = "none"  # none | equal | priority (module doc); plans set it from the scenario (default equal)
    group_priority: tuple[str, ...] = ()  # priority sharing: groups served first to last
    meta: dict[str, Any] = field(default_factory=dict)  # figures a plan reports with its instance (not in the LP)

    def payload(self, commodity: Commodity, carrier_payload_t: float | None = None) -> float:
        """t of ``commodity`` per truck: its own payload, else the carrier's (arc, entry point), else the default."""
        return float(commodity.payload_t or carrier_payload_t or self.payload_t)

    def entry_payloads(self) -> np.ndarray:
        """[K, E] t of each commodity per unit (truck, shuttle, sortie) at each entry point."""
        return np.array([[e.payload(self.payload_t) if e.uniform_payload else self.payload(c, e.payload_t)
                          for e in self.entry_points] for c in self.commodities],
                        dtype=float).reshape(len(self.commodities), len(self.entry_points))


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------

@dataclass
class BindingConstraint:
    """A capacity that limits the plan, with its shadow price and a plain-words reading."""

    kind: str  # entry_capacity | arc_capacity | warehouse_storage | site_storage
    id: str
    first_day: int
    last_day: int
    shadow_price: list[float]  # deprivation cut per extra t (of capacity or storage) on each day
    step: float  # the change the text speaks of
    step_unit: str
    step_t_per_day: float
    predicted_cut: float  # deprivation (priority-weighted t) cut: Σ shadow price × step_t
    commodity: str | None  # the commodity whose shortfall the margin relieves, when unambiguous
    predicted_cut_t: float | None  # predicted cut in tonnes of that commodity
    text: str


@dataclass
class CorridorFleet:
    """Trucks per day on one arc and the fleet its round trip needs."""

    arc: int
    source: str
    target: str
    payload_t: float
    trucks_per_day: np.ndarray  # [days] ceil(t/payload)
    max_trucks_per_day: int
    round_trip_h: float | None
    trips_per_truck_per_day: float | None
    fleet_trucks: int | None


@dataclass
class SupplyResult:
    status: str
    objective_deprivation: float | None
    objective_trucks: float | None
    best_bound: float | None
    gap: float | None
    days: int
    commodity_ids: list[str]
    entry_ids: list[str]
    warehouse_ids: list[str]
    site_ids: list[str]
    entry_capacity_t: np.ndarray  # [E, T]
    entry_use_t: np.ndarray  # [K, E, T]
    flow_t: np.ndarray  # [K, A, T] departing on day t
    warehouse_stock_t: np.ndarray  # [K, W, T] end of day
    site_stock_t: np.ndarray  # [K, S, T] end of day
    production_t: np.ndarray  # [P, T]
    demand_t: np.ndarray  # [K, S, T] need arising each day
    shortfall_t: np.ndarray  # [K, S, T] short on the day; for a carry-over commodity, still owed at its end
    delivered_t: np.ndarray  # [K, S, T] arrivals by road
    produced_at_site_t: np.ndarray  # [K, S, T]
    binding: list[BindingConstraint]
    fleet: list[CorridorFleet]
    max_conservation_residual_t: float
    solve_time_s: float
    message: str = ""
    timings_s: dict[str, float] = field(default_factory=dict)  # build, deprivation, truckloads, report
    consumed_t: np.ndarray | None = None  # [K, S, T] handed out (None: demand - shortfall)
    carry_over: list[bool] = field(default_factory=list)  # per commodity
    # demand cells (a site, or one group at a site): site index, group, need, shortfall, consumption, people
    cell_site: np.ndarray | None = None  # [Q]
    cell_group: list[str] = field(default_factory=list)
    cell_demand_t: np.ndarray | None = None  # [K, Q, T]
    cell_shortfall_t: np.ndarray | None = None  # [K, Q, T]
    cell_consumed_t: np.ndarray | None = None  # [K, Q, T]
    cell_people: np.ndarray | None = None  # [Q, T], NaN where not given
    # delivery chain: t lost at each entry (entry loss share x entered) and on each arc (its loss share x departed)
    entry_lost_t: np.ndarray | None = None  # [K, E, T]
    arc_lost_t: np.ndarray | None = None  # [K, A, T]

    def __post_init__(self) -> None:
        if self.consumed_t is None:
            self.consumed_t = self.demand_t - self.shortfall_t
        if not self.carry_over:
            self.carry_over = [False] * len(self.commodity_ids)

    def need_to_date_t(self) -> np.ndarray:
        """[K, S, T] the need a shortfall is measured against: the day's need, or everything owed so far."""
        return owed_to_date(self.demand_t, self.carry_over)

    def shortfall_by_commodity_t(self) -> dict[str, float]:
        """t short over the horizon; for a carry-over commodity, t still owed at the end."""
        return {k: float(self.shortfall_t[i][..., -1].sum() if self.carry_over[i] else self.shortfall_t[i].sum())
                for i, k in enumerate(self.commodity_ids)}

    def first_shortfall_day(self, tol_t: float = 1e-6) -> dict[str, int | None]:
        out: dict[str, int | None] = {}
        ref = self.need_to_date_t()
        for i, k in enumerate(self.commodity_ids):
            short = self.shortfall_t[i] > tol_t + 1e-6 * ref[i]  # solver noise is not a shortfall
            days = np.flatnonzero(short.any(axis=0))
            out[k] = int(days[0]) if days.size else None
        return out


def owed_to_date(demand: np.ndarray, carry_over: Sequence[bool]) -> np.ndarray:
    """[K, ..., T]: each commodity's need of the day, or for a carry-over commodity everything owed so far."""
    out = np.array(demand, dtype=float, copy=True)
    for k, carry in enumerate(carry_over):
        if carry:
            out[k] = np.cumsum(out[k], axis=-1)
    return out


# --------------------------------------------------------------------------------------------
# Reading and validation
# --------------------------------------------------------------------------------------------

def _num(value: Any, problems: list[Problem], file: str, feature: str | None, fld: str, *,
         allow_none: bool = False, integer: bool = False, minimum: float = 0.0) -> Any:
    if value is None and allow_none:
        return None
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok and integer and float(value) != int(value):
        ok = False
    if not ok or value < minimum:
        kind = "an integer" if integer else "a number"
        problems.append(Problem(file=file, feature=feature, field=fld,
                                message=f"expected {kind} >= {minimum:g}, got {value!r}"))
        return None
    return int(value) if integer else float(value)


def _series(value: Any, days: int, problems: list[Problem], file: str, feature: str, fld: str,
            scale: float = 1.0) -> np.ndarray | None:
    """A number (constant every day) or a list of `days` non-negative numbers."""
    if isinstance(value, list):
        if len(value) != days:
            problems.append(Problem(file=file, feature=feature, field=fld,
                                    message=f"expected {days} daily values (one per day), got {len(value)}"))
            return None
        vals = [_num(v, problems, file, feature, f"{fld}[{i}]") for i, v in enumerate(value)]
        if any(v is None for v in vals):
            return None
        return np.asarray(vals, dtype=float) * scale
    v = _num(value, problems, file, feature, fld)
    return None if v is None else np.full(days, v * scale)


def _feature(kind: str, i: int, raw: Any) -> str:
    rid = raw.get("id") if isinstance(raw, dict) else None
    return f"{kind}[{i}]" + (f" ({rid})" if rid is not None else "")


def instance_from_dict(data: Any, file: str = "<instance>") -> SupplyInstance:
    """Build and validate an instance from the JSON form (README: "Supply"); all problems at once."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise InputError(Problem(file=file, message="expected a JSON object with days, commodities, entry_points, "
                                                    "warehouses, sites, arcs"))
    days = _num(data.get("days"), problems, file, None, "days", integer=True, minimum=1)
    if days is None:
        raise InputError(problems)
    payload = _num(data.get("payload_t", DEFAULT_PAYLOAD_T), problems, file, None, "payload_t", minimum=_EPS)
    op_h = _num(data.get("operating_h_per_day", DEFAULT_OPERATING_H_PER_DAY), problems, file, None,
                "operating_h_per_day", minimum=_EPS)
    for key in ("commodities", "entry_points", "sites", "arcs"):
        if not isinstance(data.get(key), list) or not data.get(key):
            problems.append(Problem(file=file, field=key, message="expected a non-empty list"))
    if problems:
        raise InputError(problems)

    commodities: list[Commodity] = []
    for i, c in enumerate(data["commodities"]):
        feat = _feature("commodities", i, c)
        if not isinstance(c, dict) or not isinstance(c.get("id"), str):
            problems.append(Problem(file=file, feature=feat, field="id", message="expected an object with a string id"))
            continue
        uw = c.get("unit_weight_t")
        if uw is None and c.get("unit_weight_kg") is not None:
            uw = _num(c["unit_weight_kg"], problems, file, feat, "unit_weight_kg", minimum=_EPS)
            uw = None if uw is None else uw / 1000.0
        elif uw is not None:
            uw = _num(uw, problems, file, feat, "unit_weight_t", minimum=_EPS)
        carry = c.get("carry_over", False)
        if not isinstance(carry, bool):
            problems.append(Problem(file=file, feature=feat, field="carry_over", message="expected true or false"))
            carry = False
        commodities.append(Commodity(
            id=c["id"], priority=_num(c.get("priority", 1.0), problems, file, feat, "priority") or 0.0,
            unit_weight_t=uw, unit=c.get("unit"),
            unit_volume_m3=_num(c.get("unit_volume_m3"), problems, file, feat, "unit_volume_m3", allow_none=True),
            payload_t=_num(c.get("payload_t"), problems, file, feat, "payload_t", allow_none=True, minimum=_EPS),
            carry_over=carry))
    cmap = {c.id: c for c in commodities}

    def amounts(raw: Any, feat: str, fld: str, as_series: bool) -> dict[str, Any]:
        """{commodity: t} from `fld_t...` or units from the unit field (needs unit_weight_t)."""
        out: dict[str, Any] = {}
        if raw is None:
            return out
        if not isinstance(raw, dict):
            problems.append(Problem(file=file, feature=feat, field=fld, message="expected {commodity: value}"))
            return out
        units = "units" in fld
        for k, v in raw.items():
            if k not in cmap:
                problems.append(Problem(file=file, feature=feat, field=f"{fld}.{k}",
                                        message=f"unknown commodity; expected one of {sorted(cmap)}"))
                continue
            scale = 1.0
            if units:
                if cmap[k].unit_weight_t is None:
                    problems.append(Problem(file=file, feature=feat, field=f"{fld}.{k}",
                                            message=f"commodity '{k}' has no unit_weight_t, so amounts in units "
                                                    "cannot be converted to tonnes"))
                    continue
                scale = cmap[k].unit_weight_t
            if as_series:
                s = _series(v, days, problems, file, feat, f"{fld}.{k}", scale)
                if s is not None:
                    out[k] = out.get(k, 0.0) + s
            else:
                n = _num(v, problems, file, feat, f"{fld}.{k}")
                if n is not None:
                    out[k] = out.get(k, 0.0) + n * scale
        return out

    def tonnes(obj: dict[str, Any], feat: str, t_field: str, units_field: str, as_series: bool) -> dict[str, Any]:
        """{commodity: t} from the tonnes field plus the units field converted at each unit weight."""
        out = amounts(obj.get(t_field), feat, t_field, as_series)
        for k, v in amounts(obj.get(units_field), feat, units_field, as_series).items():
            out[k] = out.get(k, 0.0) + v
        return out

    entries: list[EntryPoint] = []
    for i, e in enumerate(data["entry_points"]):
        feat = _feature("entry_points", i, e)
        if not isinstance(e, dict) or not isinstance(e.get("id"), str):
            problems.append(Problem(file=file, feature=feat, field="id", message="expected an object with a string id"))
            continue
        pay = _num(e.get("payload_t"), problems, file, feat, "payload_t", allow_none=True, minimum=_EPS)
        by_day = None
        for fld, scale in (("capacity_t_by_day", 1.0), ("trucks_by_day", pay or payload or DEFAULT_PAYLOAD_T)):
            if e.get(fld) is not None:
                s = _series(e[fld], days, problems, file, feat, fld, scale)
                by_day = s if s is not None else by_day
        cap = _num(e.get("capacity_t_per_day"), problems, file, feat, "capacity_t_per_day", allow_none=True)
        trucks = _num(e.get("trucks_per_day"), problems, file, feat, "trucks_per_day", allow_none=True)
        if cap is None and trucks is None and by_day is None and not any(
                e.get(f) is not None for f in ("capacity_t_per_day", "trucks_per_day", "capacity_t_by_day",
                                               "trucks_by_day")):
            problems.append(Problem(file=file, feature=feat, field="capacity_t_per_day",
                                    message="expected capacity_t_per_day, trucks_per_day, capacity_t_by_day "
                                            "or trucks_by_day"))
        closed: list[int] = []
        raw_closed = e.get("closed_days", [])
        if not isinstance(raw_closed, list):
            problems.append(Problem(file=file, feature=feat, field="closed_days", message="expected a list of days"))
            raw_closed = []
        for j, d in enumerate(raw_closed):
            dd = _num(d, problems, file, feat, f"closed_days[{j}]", integer=True)
            if dd is not None and dd >= days:
                problems.append(Problem(file=file, feature=feat, field=f"closed_days[{j}]",
                                        message=f"day {dd} is outside the horizon 0..{days - 1}"))
            elif dd is not None:
                closed.append(dd)
        opening = _num(e.get("opening_day", 0), problems, file, feat, "opening_day", integer=True)
        delay = _num(e.get("inspection_delay_days", 0), problems, file, feat, "inspection_delay_days", integer=True)
        mode = e.get("mode", "land")
        if mode not in MODES:
            problems.append(Problem(file=file, feature=feat, field="mode",
                                    message=f"unknown mode {mode!r}; expected one of {list(MODES)}"))
        loss = e.get("loss_share", 0.0)
        problems.extend(_share_problem(loss, file, feat, "loss_share"))
        cost = _num(e.get("cost_usd_per_t"), problems, file, feat, "cost_usd_per_t", allow_none=True)
        entries.append(EntryPoint(id=e["id"], capacity_t_per_day=cap, trucks_per_day=trucks, payload_t=pay,
                                  capacity_t_by_day=None if by_day is None else list(by_day),
                                  closed_days=tuple(closed), opening_day=opening or 0,
                                  inspection_delay_days=delay or 0, mode=str(mode),
                                  loss_share=float(loss) if not _share_problem(loss, file, feat, "") else 0.0,
                                  uniform_payload=mode in ("sea", "air"), cost_usd_per_t=cost))

    warehouses: list[Warehouse] = []
    for i, w in enumerate(data.get("warehouses") or []):
        feat = _feature("warehouses", i, w)
        if not isinstance(w, dict) or not isinstance(w.get("id"), str):
            problems.append(Problem(file=file, feature=feat, field="id", message="expected an object with a string id"))
            continue
        init = tonnes(w, feat, "initial_t", "initial_units", False)
        warehouses.append(Warehouse(id=w["id"], capacity_t=_num(w.get("capacity_t"), problems, file, feat,
                                                                "capacity_t", allow_none=True),
                                    initial_t=init))

    sites: list[Site] = []
    for i, s in enumerate(data["sites"]):
        feat = _feature("sites", i, s)
        if not isinstance(s, dict) or not isinstance(s.get("id"), str):
            problems.append(Problem(file=file, feature=feat, field="id", message="expected an object with a string id"))
            continue
        demand = tonnes(s, feat, "demand_t_per_day", "demand_units_per_day", True)
        init = tonnes(s, feat, "initial_t", "initial_units", False)
        storage = _num(s.get("storage_t"), problems, file, feat, "storage_t", allow_none=True)
        if s.get("storage_days") is not None:
            sd = _num(s["storage_days"], problems, file, feat, "storage_days")
            if sd is not None:
                peak = float(np.sum([v for v in demand.values()], axis=0).max()) if demand else 0.0
                storage = sd * peak  # days of need at the peak daily need
        people = None
        if s.get("people") is not None:
            p = _series(s["people"], days, problems, file, feat, "people")
            people = None if p is None else list(p)
        groups: dict[str, dict[str, list[float]]] = {}
        group_people: dict[str, list[float]] = {}
        raw_groups = s.get("groups") or {}
        if not isinstance(raw_groups, dict):
            problems.append(Problem(file=file, feature=feat, field="groups",
                                    message="expected {group: {demand_t_per_day: {...}, people: [...]}}"))
            raw_groups = {}
        for g, spec in raw_groups.items():
            if not isinstance(spec, dict):
                problems.append(Problem(file=file, feature=feat, field=f"groups.{g}", message="expected an object"))
                continue
            groups[str(g)] = {k: list(v) for k, v in tonnes(spec, f"{feat} group {g}", "demand_t_per_day",
                                                            "demand_units_per_day", True).items()}
            if spec.get("people") is not None:
                gp = _series(spec["people"], days, problems, file, feat, f"groups.{g}.people")
                if gp is not None:
                    group_people[str(g)] = list(gp)
        sites.append(Site(id=s["id"], demand_t={k: list(v) for k, v in demand.items()}, storage_t=storage,
                          initial_t=init, people=people, groups=groups, group_people=group_people))

    production: list[Production] = []
    for i, p in enumerate(data.get("production") or []):
        feat = f"production[{i}]"
        if not isinstance(p, dict):
            problems.append(Problem(file=file, feature=feat, message="expected an object"))
            continue
        k = p.get("commodity")
        if k not in cmap:
            problems.append(Problem(file=file, feature=feat, field="commodity",
                                    message=f"unknown commodity {k!r}; expected one of {sorted(cmap)}"))
            continue
        rate = None
        if p.get("t_per_day") is not None:
            rate = _series(p["t_per_day"], days, problems, file, feat, "t_per_day")
        elif p.get("units_per_day") is not None:
            if cmap[k].unit_weight_t is None:
                problems.append(Problem(file=file, feature=feat, field="units_per_day",
                                        message=f"commodity '{k}' has no unit_weight_t"))
            else:
                rate = _series(p["units_per_day"], days, problems, file, feat, "units_per_day", cmap[k].unit_weight_t)
        else:
            problems.append(Problem(file=file, feature=feat, field="t_per_day", message="expected t_per_day"))
        inputs = p.get("inputs") or {}
        if not isinstance(inputs, dict):
            problems.append(Problem(file=file, feature=feat, field="inputs", message="expected {commodity: t per t}"))
            inputs = {}
        inputs = {str(c): _num(v, problems, file, feat, f"inputs.{c}") for c, v in inputs.items()}
        if rate is not None:
            production.append(Production(node=str(p.get("node")), commodity=k, t_per_day=list(rate),
                                         inputs={c: v for c, v in inputs.items() if v is not None}))

    arcs: list[Arc] = []
    for i, a in enumerate(data["arcs"]):
        feat = f"arcs[{i}]"
        if not isinstance(a, dict):
            problems.append(Problem(file=file, feature=feat, message="expected an object"))
            continue
        trucked = a.get("trucked", True)
        if not isinstance(trucked, bool):
            problems.append(Problem(file=file, feature=feat, field="trucked", message="expected true or false"))
            trucked = True
        loss = a.get("loss_share", 0.0)
        problems.extend(_share_problem(loss, file, feat, "loss_share"))
        loads = None if a.get("capacity_loads_by_day") is None else _series(
            a["capacity_loads_by_day"], days, problems, file, feat, "capacity_loads_by_day")
        arcs.append(Arc(source=str(a.get("from")), target=str(a.get("to")), trucked=trucked,
                        loss_share=float(loss) if not _share_problem(loss, file, feat, "") else 0.0,
                        capacity_loads_by_day=None if loads is None else list(loads), stage=str(a.get("stage", "")),
                        travel_days=_num(a.get("travel_days", 0), problems, file, feat, "travel_days",
                                         integer=True) or 0,
                        capacity_t_per_day=_num(a.get("capacity_t_per_day"), problems, file, feat,
                                                "capacity_t_per_day", allow_none=True),
                        round_trip_h=_num(a.get("round_trip_h"), problems, file, feat, "round_trip_h",
                                          allow_none=True, minimum=_EPS),
                        payload_t=_num(a.get("payload_t"), problems, file, feat, "payload_t", allow_none=True,
                                       minimum=_EPS)))
    sharing = data.get("sharing") or {}
    if not isinstance(sharing, dict):
        problems.append(Problem(file=file, field="sharing", message="expected {policy: equal|priority|none, "
                                                                      "priority: [groups]}"))
        sharing = {}
    order = sharing.get("priority") or []
    if not isinstance(order, list) or not all(isinstance(g, str) for g in order):
        problems.append(Problem(file=file, field="sharing.priority", message="expected a list of group names"))
        order = []
    inst = SupplyInstance(days=days, commodities=commodities, entry_points=entries, warehouses=warehouses,
                          sites=sites, arcs=arcs, production=production, payload_t=payload or DEFAULT_PAYLOAD_T,
                          operating_h_per_day=op_h or DEFAULT_OPERATING_H_PER_DAY,
                          sharing=str(sharing.get("policy", "none")), group_priority=tuple(order))
    problems.extend(instance_problems(inst, file))
    if problems:
        raise InputError(list(dict.fromkeys(problems)))  # a problem found twice is said once
    return inst


def read_instance(path: str | Path) -> SupplyInstance:
    """Read a JSON instance file (see ``instance_from_dict``)."""
    path = Path(path)
    data = read_json(path, "instance file")
    return instance_from_dict(data, file=str(path))


def instance_problems(inst: SupplyInstance, file: str = "<instance>") -> list[Problem]:
    """Every inconsistency of a typed instance (ids, nodes, horizons, signs, lengths)."""
    P: list[Problem] = []
    T = inst.days
    kids = [c.id for c in inst.commodities]
    # sign checks are collected and run at once (hundreds per plan): the values go into one flat list and each
    # check keeps (position in P, feature, field, its slice of that list)
    signs: list[tuple[int, str, str, int, int]] = []
    values: list[Any] = []

    def neg(feat: str, fld: str, v: Any) -> None:
        start = len(values)
        if isinstance(v, np.ndarray):
            values.extend(v.ravel().tolist())
        elif isinstance(v, (list, tuple)):
            values.extend(v)
        else:
            values.append(v)
        signs.append((len(P), feat, fld, start, len(values)))

    if T < 1:
        P.append(Problem(file=file, field="days", message=f"expected at least 1 day, got {T}"))
        return P
    ids: dict[str, str] = {}
    for kind, items in (("entry_points", inst.entry_points), ("warehouses", inst.warehouses), ("sites", inst.sites)):
        for i, x in enumerate(items):
            if x.id in ids:
                P.append(Problem(file=file, feature=f"{kind}[{i}] ({x.id})", field="id",
                                 message=f"id already used by {ids[x.id]}; node ids must be unique"))
            ids[x.id] = f"{kind}[{i}]"
    if len(set(kids)) != len(kids):
        P.append(Problem(file=file, field="commodities", message="commodity ids must be unique"))
    for i, c in enumerate(inst.commodities):
        neg(f"commodities[{i}] ({c.id})", "priority", c.priority)
    for i, e in enumerate(inst.entry_points):
        feat = f"entry_points[{i}] ({e.id})"
        for fld in ("capacity_t_per_day", "trucks_per_day"):
            if getattr(e, fld) is not None:
                neg(feat, fld, getattr(e, fld))
        if e.capacity_t_by_day is not None:
            if len(e.capacity_t_by_day) != T:
                P.append(Problem(file=file, feature=feat, field="capacity_t_by_day",
                                 message=f"expected {T} daily values, got {len(e.capacity_t_by_day)}"))
            neg(feat, "capacity_t_by_day", e.capacity_t_by_day)
        for d in e.closed_days:
            if not 0 <= d < T:
                P.append(Problem(file=file, feature=feat, field="closed_days",
                                 message=f"day {d} is outside the horizon 0..{T - 1}"))
        if not 0 <= e.opening_day < T:
            P.append(Problem(file=file, feature=feat, field="opening_day",
                             message=f"day {e.opening_day} is outside the horizon 0..{T - 1}"))
        if e.inspection_delay_days < 0:
            P.append(Problem(file=file, feature=feat, field="inspection_delay_days", message="expected >= 0"))
        if e.mode not in MODES:
            P.append(Problem(file=file, feature=feat, field="mode",
                             message=f"unknown mode {e.mode!r}; expected one of {list(MODES)}"))
        P.extend(_share_problem(e.loss_share, file, feat, "loss_share"))
        if e.payload_t is not None and not e.payload_t > 0:
            P.append(Problem(file=file, feature=feat, field="payload_t", message=f"expected > 0, got {e.payload_t!r}"))
        if e.cost_usd_per_t is not None:
            neg(feat, "cost_usd_per_t", e.cost_usd_per_t)
    for kind, items in (("warehouses", inst.warehouses), ("sites", inst.sites)):
        for i, x in enumerate(items):
            feat = f"{kind}[{i}] ({x.id})"
            cap = x.capacity_t if kind == "warehouses" else x.storage_t  # type: ignore[union-attr]
            fld = "capacity_t" if kind == "warehouses" else "storage_t"
            if cap is not None:
                neg(feat, fld, cap)
            for k, v in x.initial_t.items():
                if k not in kids:
                    P.append(Problem(file=file, feature=feat, field=f"initial_t.{k}", message="unknown commodity"))
                neg(feat, f"initial_t.{k}", v)
            if cap is not None and sum(x.initial_t.values()) > cap + 1e-9:
                P.append(Problem(file=file, feature=feat, field="initial_t",
                                 message=f"initial stock {sum(x.initial_t.values()):g} t exceeds {fld} {cap:g} t"))
    for i, s in enumerate(inst.sites):
        feat = f"sites[{i}] ({s.id})"
        for k, v in s.demand_t.items():
            if k not in kids:
                P.append(Problem(file=file, feature=feat, field=f"demand_t_per_day.{k}", message="unknown commodity"))
            if len(v) != T:
                P.append(Problem(file=file, feature=feat, field=f"demand_t_per_day.{k}",
                                 message=f"expected {T} daily values, got {len(v)}"))
            neg(feat, f"demand_t_per_day.{k}", v)
        if s.people is not None and len(s.people) != T:
            P.append(Problem(file=file, feature=feat, field="people", message=f"expected {T} daily values"))
        for g, dem in s.groups.items():
            for k, v in dem.items():
                fld = f"groups.{g}.demand_t_per_day.{k}"
                if k not in kids:
                    P.append(Problem(file=file, feature=feat, field=fld, message="unknown commodity"))
                if len(v) != T:
                    P.append(Problem(file=file, feature=feat, field=fld, message=f"expected {T} daily values"))
                neg(feat, fld, v)
        for g, v in s.group_people.items():
            if len(v) != T:
                P.append(Problem(file=file, feature=feat, field=f"groups.{g}.people",
                                 message=f"expected {T} daily values"))
    stock_nodes = {x.id for x in inst.warehouses} | {x.id for x in inst.sites}
    for i, p in enumerate(inst.production):
        feat = f"production[{i}]"
        if p.node not in stock_nodes:
            P.append(Problem(file=file, feature=feat, field="node",
                             message=f"unknown node {p.node!r}; production must be at a warehouse or site"))
        if p.commodity not in kids:
            P.append(Problem(file=file, feature=feat, field="commodity", message="unknown commodity"))
        if len(p.t_per_day) != T:
            P.append(Problem(file=file, feature=feat, field="t_per_day", message=f"expected {T} daily values"))
        neg(feat, "t_per_day", p.t_per_day)
        for k, v in p.inputs.items():
            if k not in kids or k == p.commodity:
                P.append(Problem(file=file, feature=feat, field=f"inputs.{k}",
                                 message=f"expected another commodity, one of {[c for c in kids if c != p.commodity]}"))
            neg(feat, f"inputs.{k}", v)
    entry_ids = {e.id for e in inst.entry_points}
    for i, a in enumerate(inst.arcs):
        feat = f"arcs[{i}]"
        for fld, node in (("from", a.source), ("to", a.target)):
            if node not in ids:
                P.append(Problem(file=file, feature=feat, field=fld,
                                 message=f"unknown node {node!r}; expected an entry point, warehouse or site id"))
        if a.target in entry_ids:
            P.append(Problem(file=file, feature=feat, field="to",
                             message="arcs cannot lead into an entry point (entry points hold no stock)"))
        if a.source == a.target:
            P.append(Problem(file=file, feature=feat, field="to", message="an arc needs two different nodes"))
        if a.travel_days < 0:
            P.append(Problem(file=file, feature=feat, field="travel_days", message="expected an integer >= 0"))
        if a.capacity_t_per_day is not None:
            neg(feat, "capacity_t_per_day", a.capacity_t_per_day)
        P.extend(_share_problem(a.loss_share, file, feat, "loss_share"))
        if a.capacity_loads_by_day is not None:
            if len(a.capacity_loads_by_day) != T:
                P.append(Problem(file=file, feature=feat, field="capacity_loads_by_day",
                                 message=f"expected {T} daily values, got {len(a.capacity_loads_by_day)}"))
            neg(feat, "capacity_loads_by_day", a.capacity_loads_by_day)
    if inst.payload_t <= 0:
        P.append(Problem(file=file, field="payload_t", message="expected > 0"))
    for i, c in enumerate(inst.commodities):
        if c.payload_t is not None and not c.payload_t > 0:
            P.append(Problem(file=file, feature=f"commodities[{i}] ({c.id})", field="payload_t",
                             message=f"expected t per truck > 0, got {c.payload_t!r}"))
    if inst.sharing not in SHARING:
        P.append(Problem(file=file, field="sharing.policy",
                         message=f"unknown sharing policy {inst.sharing!r}; expected one of {list(SHARING)}"))
    known = {g for s in inst.sites for g in s.groups} or {"all"}
    unknown = [g for g in inst.group_priority if g not in known] if inst.sharing == "priority" else []
    if unknown:
        P.append(Problem(file=file, field="sharing.priority",
                         message=f"unknown group(s) {unknown}; expected some of {sorted(known)}"))
    if inst.operating_h_per_day <= 0:
        P.append(Problem(file=file, field="operating_h_per_day", message="expected > 0"))
    everything = np.asarray(values, dtype=float)
    bad = ~np.isfinite(everything) | (everything < 0)
    if bad.any():
        for at, feat, fld, a, b in reversed(signs):  # in place, in the order the checks were made
            if bad[a:b].any():
                P.insert(at, Problem(file=file, feature=feat, field=fld,
                                     message="expected non-negative finite numbers"))
    return P


def _share_problem(v: Any, file: str, feat: str, fld: str) -> list[Problem]:
    ok = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and 0.0 <= v <= 1.0
    return [] if ok else [Problem(file=file, feature=feat, field=fld, message=f"expected a share in [0, 1], got {v!r}")]


def validate_instance(inst: SupplyInstance, file: str = "<instance>") -> None:
    problems = instance_problems(inst, file)
    if problems:
        raise InputError(problems)


# --------------------------------------------------------------------------------------------
# The LP
# --------------------------------------------------------------------------------------------

@dataclass
class _Lp:
    """Index layout and arrays of the LP (columns: flow, entry_use, stock, production, then the shortfall columns:
    c1, c2 per demand cell and day, sig1, sig2 per commodity, sharing class and day, b per cell and day)."""

    K: int
    E: int
    W: int
    S: int
    A: int
    P: int
    T: int
    Q: int  # report cells: (site, group)
    off: dict[str, int]
    n_col: int
    n_bal: int
    rows: dict[str, tuple[int, np.ndarray]]  # kind -> (first row, owner index per block of T rows)
    matrix: sp.csc_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_upper: np.ndarray
    cost1: np.ndarray
    true1: np.ndarray
    cost2: np.ndarray
    rhs_bal: np.ndarray
    entry_cap: np.ndarray  # [E, T]
    demand: np.ndarray  # [K, S, T]
    arc_src: np.ndarray
    arc_dst: np.ndarray
    arc_days: np.ndarray
    cell_site: np.ndarray  # [Q]
    cell_group: list[str]
    cell_demand: np.ndarray  # [K, Q, T]
    cell_people: np.ndarray  # [Q, T] (NaN: not given)
    carry: np.ndarray  # [K] bool
    short_map: sp.csr_matrix  # (K * Q * T) x n_col: each report cell's shortfall from the LP columns
    short_cols: np.ndarray  # every shortfall-type column (fixed in the truckload solve, zero in min_extra)
    fair_entries: np.ndarray  # positions in matrix.data of the sharing coefficients (they are the cells' need)


def _cells(inst: SupplyInstance, kidx: dict[str, int], T: int) -> tuple[np.ndarray, list[str], np.ndarray,
                                                                           np.ndarray, np.ndarray]:
    """(site index, group, need [K, Q, T], people [Q, T], listed [K, Q]) of every report cell: each group a site
    lists (even with no need today: a plan's members keep one LP structure, so the next solve starts warm), or a
    site without groups as one cell 'all' when it needs anything. `listed`: the cell names that commodity."""
    K = len(kidx)
    site_of: list[int] = []
    group_of: list[str] = []
    blocks: list[np.ndarray] = []
    people: list[np.ndarray] = []
    listed: list[np.ndarray] = []
    for s, site in enumerate(inst.sites):
        parts = site.groups or {"all": site.demand_t}
        for g, dem in parts.items():
            d = np.zeros((K, T))
            named = np.zeros(K, dtype=bool)
            for k, v in dem.items():
                d[kidx[k]] = np.asarray(v, dtype=float)
                named[kidx[k]] = True
            if not (site.groups and named.any()) and not d.any():
                continue
            site_of.append(s)
            group_of.append(g)
            blocks.append(d)
            listed.append(named | d.any(axis=1))
            pp = site.group_people.get(g) if site.groups else site.people
            people.append(np.full(T, np.nan) if pp is None else np.asarray(pp, dtype=float))
    demand = np.stack(blocks, axis=1) if blocks else np.zeros((K, 0, T))
    return (np.array(site_of, dtype=np.int64), group_of, demand,
            np.array(people).reshape(len(people), T) if people else np.zeros((0, T)),
            np.array(listed).T.reshape(K, len(listed)) if listed else np.zeros((K, 0), dtype=bool))


@dataclass
class _LpCells:
    """The demand cells the LP works with, per commodity: one per site for a daily commodity under equal sharing
    (the site's groups share its stock and its shortfall in proportion to their need), else one per report cell."""

    k: np.ndarray  # [J] commodity
    site: np.ndarray  # [J]
    cls: np.ndarray  # [J] sharing class (group rank under priority, 0 under equal)
    need: np.ndarray  # [J, T] the day's need
    ref: np.ndarray  # [J, T] what shortfall is measured against (need, or all owed so far)
    members: list[np.ndarray]  # [J] report cells it stands for
    local: np.ndarray  # [J] bool: its site has local supply of its commodity (may do better than the share)


def _lp_cells(inst: SupplyInstance, cell_site: np.ndarray, cell_group: list[str], cell_dem: np.ndarray,
              listed: np.ndarray, carry: np.ndarray, classes: dict[str, int], nidx: dict[str, int],
              kidx: dict[str, int], E: int, W: int) -> _LpCells:
    K, Q, T = cell_dem.shape
    local = set()  # (k, site) with production at the site or a pipeline into it from a producer
    producers: dict[int, set[int]] = {}
    for p in inst.production:
        producers.setdefault(nidx[p.node], set()).add(kidx[p.commodity])
    for n, ks in producers.items():
        if n >= E + W:
            local |= {(k, n - E - W) for k in ks}
    for a in inst.arcs:
        src, dst = nidx[a.source], nidx[a.target]
        if not a.trucked and dst >= E + W:
            local |= {(k, dst - E - W) for k in producers.get(src, ())}
    ks, sites, cls, members = [], [], [], []
    for k in range(K):
        have = np.flatnonzero(listed[k])
        if inst.sharing == "equal" and not carry[k]:
            for s in np.unique(cell_site[have]):
                ks.append(k), sites.append(int(s)), cls.append(0), members.append(have[cell_site[have] == s])
        else:
            for q in have:
                ks.append(k), sites.append(int(cell_site[q])), cls.append(classes.get(cell_group[q], 0))
                members.append(np.array([q]))
    k_a, s_a = np.array(ks, dtype=np.int64), np.array(sites, dtype=np.int64)
    need = np.array([cell_dem[k, m].sum(axis=0) for k, m in zip(ks, members)]).reshape(len(ks), T)
    ref = need.copy()
    ref[carry[k_a]] = np.cumsum(need[carry[k_a]], axis=1)
    return _LpCells(k=k_a, site=s_a, cls=np.array(cls, dtype=np.int64), need=need, ref=ref, members=members,
                    local=np.array([(k, s) in local for k, s in zip(ks, sites)], dtype=bool))


def _build_lp(inst: SupplyInstance, deep_share: float, deep_factor: float) -> _Lp:
    K, E, W, S = len(inst.commodities), len(inst.entry_points), len(inst.warehouses), len(inst.sites)
    A, P, T = len(inst.arcs), len(inst.production), inst.days
    N, M = E + W + S, W + S
    kidx = {c.id: i for i, c in enumerate(inst.commodities)}
    nidx = {x.id: i for i, x in enumerate([*inst.entry_points, *inst.warehouses, *inst.sites])}
    src = np.array([nidx[a.source] for a in inst.arcs], dtype=np.int64)
    dst = np.array([nidx[a.target] for a in inst.arcs], dtype=np.int64)
    dd = np.array([a.travel_days for a in inst.arcs], dtype=np.int64)
    delay = np.array([e.inspection_delay_days for e in inst.entry_points], dtype=np.int64)
    cap_e = np.array([e.capacity_t(T, inst.payload_t) for e in inst.entry_points]).reshape(E, T)
    carry = np.array([c.carry_over for c in inst.commodities], dtype=bool)
    cell_site, cell_group, cell_dem, cell_people, listed = _cells(inst, kidx, T)
    Q = cell_site.size
    demand = np.zeros((K, S, T))
    np.add.at(demand, (slice(None), cell_site), cell_dem)
    init = np.zeros((K, M))
    for j, x in enumerate([*inst.warehouses, *inst.sites]):
        for k, v in x.initial_t.items():
            init[kidx[k], j] += v

    shared = inst.sharing != "none"
    groups = list(dict.fromkeys(cell_group))
    if inst.sharing == "priority":
        order = [g for g in inst.group_priority if g in groups] + [g for g in groups if g not in inst.group_priority]
        classes = {g: i for i, g in enumerate(order)}
        gfac_c = np.array([GROUP_PRIORITY_FACTOR ** (len(order) - 1 - i) for i in range(len(order))])
    else:
        classes, gfac_c = {}, np.ones(1)
    C = max(len(classes), 1) if shared else 0
    cells = _lp_cells(inst, cell_site, cell_group, cell_dem, listed, carry, classes, nidx, kidx, E, W)
    J = cells.k.size
    tiers = deep_factor != 1.0 and deep_share < 1.0
    b_cells = np.flatnonzero(cells.local & (~carry[cells.k] | SHARE_OWED)) if shared else np.zeros(0, dtype=np.int64)
    B = b_cells.size

    sizes = {"flow": K * A * T, "entry": K * E * T, "stock": K * M * T, "prod": P * T,
             "c1": J * T, "c2": J * T if tiers and not shared else 0,
             "sig1": K * C * T, "sig2": K * C * T if tiers and shared else 0, "b": B * T}
    off, n_col = {}, 0
    for name, n in sizes.items():
        off[name], n_col = n_col, n_col + n
    n_bal = K * N * T

    def bal(k: np.ndarray, n: np.ndarray, t: np.ndarray) -> np.ndarray:
        return (k * N + n) * T + t

    rows_i: list[np.ndarray] = []
    cols_i: list[np.ndarray] = []
    vals: list[np.ndarray] = []

    def put(r: np.ndarray, c: np.ndarray, v: float | np.ndarray) -> None:
        rows_i.append(r)
        cols_i.append(c)
        vals.append(np.broadcast_to(np.asarray(v, dtype=float), r.shape))

    col_upper = np.full(n_col, np.inf)
    # flow: +1 where it leaves, -1 where (and when) it arrives
    kk, aa, tt = (x.ravel() for x in np.indices((K, A, T)))
    fcol = off["flow"] + np.arange(K * A * T)
    arrive = tt + dd[aa]
    inside = arrive < T
    col_upper[fcol[~inside]] = 0.0
    put(bal(kk, src[aa], tt), fcol, 1.0)
    keep_a = 1.0 - np.array([a.loss_share for a in inst.arcs], dtype=float)  # what arrives of a tonne sent
    put(bal(kk[inside], dst[aa[inside]], arrive[inside]), fcol[inside], -keep_a[aa[inside]])
    # entry use: -1 in the entry's balance on the day inspection is over
    kk, ee, tt = (x.ravel() for x in np.indices((K, E, T)))
    ucol = off["entry"] + np.arange(K * E * T)
    ready = tt + delay[ee]
    inside = ready < T
    col_upper[ucol[~inside | (cap_e[ee, tt] <= 0)]] = 0.0
    keep_e = 1.0 - np.array([e.loss_share for e in inst.entry_points], dtype=float)  # usable share of a tonne entered
    put(bal(kk[inside], ee[inside], ready[inside]), ucol[inside], -keep_e[ee[inside]])
    # stock carried from t to t+1
    kk, jj, tt = (x.ravel() for x in np.indices((K, M, T)))
    icol = off["stock"] + np.arange(K * M * T)
    put(bal(kk, E + jj, tt), icol, 1.0)
    nxt = tt + 1 < T
    put(bal(kk[nxt], E + jj[nxt], tt[nxt] + 1), icol[nxt], -1.0)
    # Nothing goes where nobody needs it: a site takes a commodity only up to the last day someone there needs it
    # (and never if nobody does), and an arc carries only its commodities. Presolve then drops those columns.
    owed_site = owed_to_date(demand, carry)  # [K, S, T]
    last = np.where(owed_site.any(axis=2), T - 1 - np.argmax(owed_site[:, :, ::-1] > 0, axis=2), -1)  # [K, S]
    to_site = dst >= E + W
    kk, aa, tt = (x.ravel() for x in np.indices((K, A, T)))
    dead = to_site[aa] & (tt + dd[aa] > last[kk, np.maximum(dst[aa] - E - W, 0)])
    allowed = np.array([[not a.commodities or c.id in a.commodities for a in inst.arcs] for c in inst.commodities],
                       dtype=bool).reshape(K, A)
    col_upper[fcol[dead | ~allowed[kk, aa]]] = 0.0
    kk, ss, tt = (x.ravel() for x in np.indices((K, S, T)))
    col_upper[off["stock"] + (kk * M + W + ss) * T + tt] = np.where(tt >= last[kk, ss], 0.0, np.inf)
    # local production
    if P:
        pk = np.array([kidx[p.commodity] for p in inst.production], dtype=np.int64)
        pn = np.array([nidx[p.node] for p in inst.production], dtype=np.int64)
        pp, tt = (x.ravel() for x in np.indices((P, T)))
        qcol = off["prod"] + np.arange(P * T)
        put(bal(pk[pp], pn[pp], tt), qcol, -1.0)
        col_upper[qcol] = np.array([p.t_per_day for p in inst.production], dtype=float).ravel()
        for i, p in enumerate(inst.production):  # inputs used up where and when it is produced (fuel)
            for k, f in p.inputs.items():
                days_i = np.arange(T)
                put(bal(np.full(T, kidx[k]), np.full(T, pn[i]), days_i), off["prod"] + i * T + days_i, float(f))

    # A cell's shortfall s[j, t] = (sig1 + sig2)[k, class, t] x ref[j, t] + c1 + c2 - b: each term is a column
    # with a coefficient; `terms` lists them once, for the balance rows, the extra rows and the report map.
    jj, tt = (x.ravel() for x in np.indices((J, T)))
    rflat = cells.ref.ravel()
    terms: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []  # (cell, day, column, coefficient)
    terms.append((jj, tt, off["c1"] + jj * T + tt, np.ones(J * T)))
    if sizes["c2"]:
        terms.append((jj, tt, off["c2"] + jj * T + tt, np.ones(J * T)))
        col_upper[off["c1"] + jj * T + tt] = deep_share * rflat
        col_upper[off["c2"] + jj * T + tt] = (1.0 - deep_share) * rflat
    else:
        col_upper[off["c1"] + jj * T + tt] = rflat
    # the common share holds for every commodity under equal or priority sharing (see SHARE_OWED)
    on_share = (~carry[cells.k[jj]] | SHARE_OWED) if C else np.zeros(J * T, dtype=bool)
    for name in ("sig1", "sig2"):
        if sizes[name]:
            terms.append((jj[on_share], tt[on_share],
                          off[name] + (cells.k[jj[on_share]] * C + cells.cls[jj[on_share]]) * T + tt[on_share],
                          rflat[on_share]))
    if sizes["sig2"]:
        col_upper[off["sig1"]:off["sig1"] + K * C * T] = deep_share
        col_upper[off["sig2"]:off["sig2"] + K * C * T] = 1.0 - deep_share
    elif C:
        col_upper[off["sig1"]:off["sig1"] + K * C * T] = 1.0
    if B:
        bj, bt = (x.ravel() for x in np.indices((B, T)))
        terms.append((b_cells[bj], bt, off["b"] + bj * T + bt, -np.ones(B * T)))
        col_upper[off["b"] + bj * T + bt] = cells.ref[b_cells[bj], bt]
    nodes = E + W + cells.site
    again = carry[cells.k]
    for cj, ct, col, coef in terms:  # zero coefficients (no need that day) are kept: one structure for all needs
        put(bal(cells.k[cj], nodes[cj], ct), col, -coef)  # short on the day: less consumed
        nx = again[cj] & (ct + 1 < T)  # owed again the next day
        put(bal(cells.k[cj[nx]], nodes[cj[nx]], ct[nx] + 1), col[nx], coef[nx])
    rhs = np.zeros(n_bal)
    np.add.at(rhs, bal(cells.k[jj], nodes[jj], tt), -cells.need.ravel())
    rhs[bal(np.arange(K)[:, None], E + np.arange(M)[None, :], np.zeros((1, 1), dtype=np.int64)).ravel()] \
        += init.ravel()

    # capacity rows (<=): entry, arc, warehouse, site
    row_lo, row_up = [rhs], [rhs]
    rows: dict[str, tuple[int, np.ndarray]] = {}
    r0 = n_bal

    def cap_block(kind: str, owners: np.ndarray, caps: np.ndarray, col_of: Any, coef: Any = 1.0) -> None:
        """One row per (owner, day): Σ_k coef[k, owner] var[k, owner, t] ≤ caps[owner, t]."""
        nonlocal r0
        if owners.size == 0:
            return
        B_ = owners.size
        kk, bb, tt = (x.ravel() for x in np.indices((K, B_, T)))
        put(r0 + bb * T + tt, col_of(kk, owners[bb], tt), 1.0 if np.isscalar(coef) else coef[kk, owners[bb]])
        row_lo.append(np.full(B_ * T, -np.inf))
        row_up.append(np.asarray(caps, dtype=float).reshape(B_ * T))
        rows[kind] = (r0, owners)
        r0 += B_ * T

    # a truck carries payload[k] of commodity k: capacity (t at the entry's own payload) counts trucks
    pay_e = np.array([e.payload(inst.payload_t) for e in inst.entry_points], dtype=float)
    pay_ke = inst.entry_payloads()
    cap_block("entry_capacity", np.arange(E), cap_e, lambda k, e, t: off["entry"] + (k * E + e) * T + t,
              pay_e[None, :] / pay_ke)
    ac = np.array([i for i, a in enumerate(inst.arcs) if a.capacity_t_per_day is not None], dtype=np.int64)
    cap_block("arc_capacity", ac, np.repeat([[inst.arcs[i].capacity_t_per_day] for i in ac], T, axis=1)
              if ac.size else np.zeros((0, T)), lambda k, a, t: off["flow"] + (k * A + a) * T + t)
    lc = np.array([i for i, a in enumerate(inst.arcs) if a.capacity_loads_by_day is not None], dtype=np.int64)
    if lc.size:  # a stage counted in truckloads (collection, convoy movements): Σ_k flow_k / payload_k <= loads
        pay_ka = np.array([[inst.payload(c, a.payload_t) for a in inst.arcs] for c in inst.commodities]).reshape(K, A)
        cap_block("arc_loads", lc, np.array([inst.arcs[i].capacity_loads_by_day for i in lc], dtype=float),
                  lambda k, a, t: off["flow"] + (k * A + a) * T + t, 1.0 / pay_ka)
    wc = np.array([i for i, w in enumerate(inst.warehouses) if w.capacity_t is not None], dtype=np.int64)
    cap_block("warehouse_storage", wc, np.repeat([[inst.warehouses[i].capacity_t] for i in wc], T, axis=1)
              if wc.size else np.zeros((0, T)), lambda k, j, t: off["stock"] + (k * M + j) * T + t)
    sc = np.array([i for i, s in enumerate(inst.sites) if s.storage_t is not None], dtype=np.int64)
    cap_block("site_storage", sc, np.repeat([[inst.sites[i].storage_t] for i in sc], T, axis=1)
              if sc.size else np.zeros((0, T)), lambda k, j, t: off["stock"] + (k * M + W + j) * T + t)

    def cell_rows(sel: np.ndarray, lag: int, upper: np.ndarray, sign: float = 1.0) -> None:
        """One row per (cell, day) in `sel` (a [J, T] mask): sign x (s[j, t] - s[j, t - 1] if lag) <= upper."""
        nonlocal r0
        rid = np.full((J, T), -1, dtype=np.int64)
        n = int(sel.sum())
        rid[sel] = r0 + np.arange(n)
        for cj, ct, col, coef in terms:
            r = rid[cj, ct]
            ok = r >= 0
            put(r[ok], col[ok], sign * coef[ok])
            if lag:
                prev = ct + 1 < T
                r = rid[cj[prev], ct[prev] + 1]
                ok = r >= 0
                put(r[ok], col[prev][ok], -sign * coef[prev][ok])
        row_lo.append(np.full(n, -np.inf))
        row_up.append(upper[sel])
        r0 += n

    # nothing owed is taken back: s[t] - s[t-1] <= need[t] (s[0] <= need[0]) for carry-over commodities
    if J:
        cell_rows(np.repeat(again[:, None], T, axis=1), 1, cells.need)
    # a cell that may do better than the common share (its own well) does not do better than its need: s >= 0
    if B:
        mask = np.zeros((J, T), dtype=bool)
        mask[b_cells] = True
        cell_rows(mask, 0, np.zeros((J, T)), -1.0)
    # groups with their own share at one site (priority) cannot hand their goods to another: s <= need
    if inst.sharing == "priority" and J:
        cell_rows(np.repeat(~again[:, None], T, axis=1), 0, cells.ref)

    rows_all, cols_all, vals_all = np.concatenate(rows_i), np.concatenate(cols_i), np.concatenate(vals)
    matrix = sp.csc_matrix((vals_all, (rows_all, cols_all)), shape=(r0, n_col))
    matrix.sum_duplicates()  # explicit zeros stay: the sharing coefficients of a day nobody needs anything
    # the sharing columns' coefficients are the cells' need (all of their entries): updated on a warm start
    sig_lo, sig_hi = off["sig1"], off["sig2"] + sizes["sig2"]
    fair_entries = np.arange(matrix.indptr[sig_lo], matrix.indptr[sig_hi], dtype=np.int64)

    prio = np.array([c.priority for c in inst.commodities], dtype=float)
    # Tie-break between equally costly plans: a shortfall on a later day costs a hair less, so the
    # plan serves people now and only rations early where the convex cost asks for it.
    later = 1.0 + TIME_TIE_BREAK * (T - 1 - np.arange(T)) / max(T - 1, 1)
    gfac = gfac_c[cells.cls] if C > 1 else np.ones(J)
    w = prio[cells.k] * gfac  # [J] deprivation weight per tonne
    cost1 = np.zeros(n_col)
    true1 = np.zeros(n_col)
    c1 = off["c1"] + jj * T + tt
    # shared: a cell worse off than the common share pays the deep rate (with tiers) and the sharing penalty
    deep_c1 = deep_factor if shared and tiers else 1.0
    cost1[c1] = (w[jj] * later[tt]) * np.where(on_share, deep_c1 * (1.0 + FAIR_WEIGHT), 1.0)
    true1[c1] = prio[cells.k[jj]] * np.where(on_share, deep_c1, 1.0)
    if sizes["c2"]:
        cost1[off["c2"] + jj * T + tt] = w[jj] * later[tt] * deep_factor
        true1[off["c2"] + jj * T + tt] = prio[cells.k[jj]] * deep_factor
    for name, f in (("sig1", 1.0), ("sig2", deep_factor)):
        if sizes[name]:
            js, ts = jj[on_share], tt[on_share]
            col = off[name] + (cells.k[js] * C + cells.cls[js]) * T + ts
            np.add.at(cost1, col, w[js] * later[ts] * rflat[on_share] * f)
            np.add.at(true1, col, prio[cells.k[js]] * rflat[on_share] * f)
    if B:
        cost1[off["b"] + bj * T + bt] = -w[b_cells[bj]] * later[bt] * (1.0 - FAIR_WEIGHT)
        true1[off["b"] + bj * T + bt] = -prio[cells.k[b_cells[bj]]]
    cost2 = np.zeros(n_col)
    if A:
        trucked = np.array([a.trucked for a in inst.arcs], dtype=float)
        per_a = np.array([[1.0 / inst.payload(c, a.payload_t) for a in inst.arcs] for c in inst.commodities]) \
            * trucked[None, :]
        cost2[off["flow"]:off["flow"] + K * A * T] = np.repeat(per_a.ravel(), T)
    if E:
        cost2[off["entry"]:off["entry"] + K * E * T] = np.repeat((1.0 / pay_ke).ravel(), T)

    # report cells' shortfall: a merged cell's shortfall is shared by its groups in proportion to their need (a
    # cell of one group, or of a carry-over commodity, stands for itself)
    count = np.array([m.size for m in cells.members], dtype=np.int64)
    first = np.concatenate([[0], np.cumsum(count)[:-1]]) if J else np.zeros(0, dtype=np.int64)
    flat = np.concatenate(cells.members) if J else np.zeros(0, dtype=np.int64)
    m_rows, m_cols, m_vals = [], [], []
    for cj, ct, col, coef in terms:
        rep = count[cj]
        i = np.repeat(np.arange(cj.size), rep)
        q = flat[first[cj[i]] + np.arange(i.size) - np.repeat(np.cumsum(rep) - rep, rep)]
        k, t = cells.k[cj[i]], ct[i]
        tot = cells.need[cj[i], t]
        share = np.where(rep[i] == 1, 1.0, np.divide(cell_dem[k, q, t], tot, out=1.0 / rep[i], where=tot > 0))
        m_rows.append((k * Q + q) * T + t)
        m_cols.append(col[i])
        m_vals.append(coef[i] * share)
    short_map = sp.csr_matrix((np.concatenate(m_vals) if m_vals else np.zeros(0),
                               (np.concatenate(m_rows) if m_rows else np.zeros(0, dtype=np.int64),
                                np.concatenate(m_cols) if m_cols else np.zeros(0, dtype=np.int64))),
                              shape=(K * Q * T, n_col))
    return _Lp(K=K, E=E, W=W, S=S, A=A, P=P, T=T, Q=Q, off=off, n_col=n_col, n_bal=n_bal, rows=rows, matrix=matrix,
               row_lower=np.concatenate(row_lo), row_upper=np.concatenate(row_up), col_upper=col_upper,
               cost1=cost1, true1=true1, cost2=cost2, rhs_bal=rhs, entry_cap=cap_e, demand=demand, arc_src=src,
               arc_dst=dst, arc_days=dd, cell_site=cell_site, cell_group=cell_group, cell_demand=cell_dem,
               cell_people=cell_people, carry=carry, short_map=short_map,
               short_cols=np.arange(off["c1"], n_col, dtype=np.int64), fair_entries=fair_entries)


def _highs(lp: _Lp, time_limit_s: float, threads: int | None) -> tuple[Any, Any]:
    import highspy

    h = quiet_highs()
    h.setOptionValue("time_limit", float(time_limit_s))
    if threads:
        h.setOptionValue("threads", int(threads))
    model = highspy.HighsLp()
    model.num_col_ = lp.n_col
    model.num_row_ = lp.matrix.shape[0]
    model.col_cost_ = lp.cost1
    model.col_lower_ = np.zeros(lp.n_col)
    model.col_upper_ = lp.col_upper
    model.row_lower_ = lp.row_lower
    model.row_upper_ = lp.row_upper
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = lp.matrix.indptr.astype(np.int32)
    model.a_matrix_.index_ = lp.matrix.indices.astype(np.int32)
    model.a_matrix_.value_ = lp.matrix.data
    status = h.passModel(model)
    if status == highspy.HighsStatus.kError:
        raise SolverError("HiGHS rejected the supply LP")
    return h, highspy


def _structure_key(lp: _Lp) -> str:
    """Equal for LPs that differ only in bounds, costs and the sharing coefficients (the people's need)."""
    import hashlib

    h = hashlib.blake2b(digest_size=16)
    data = lp.matrix.data.copy()
    data[lp.fair_entries] = 0.0
    for a in (lp.matrix.indptr, lp.matrix.indices, data):
        h.update(np.ascontiguousarray(a).tobytes())
    return f"{lp.matrix.shape}:{h.hexdigest()}"


def _warm_highs(lp: _Lp, time_limit_s: float, threads: int | None,
                warm: dict[str, Any] | None) -> tuple[Any, Any, str]:
    """A HiGHS model of ``lp``: the one kept in ``warm`` for the same matrix with new bounds and costs (simplex
    restarts from its last basis), or a new one (kept there for the next call)."""
    import highspy

    if warm is None:
        return (*_highs(lp, time_limit_s, threads), "")
    key = _structure_key(lp)
    # taken out while in use (a thread running another member meanwhile builds its own), put back by the caller
    kept = warm.pop(key, None)
    warm.clear()  # one model at a time: the members of one ensemble share one structure
    if kept is None:
        h, _ = _highs(lp, time_limit_s, threads)
        return h, highspy, key
    h, last, fair_vals = kept  # last: bounds and costs the model holds now (None if a second solve changed them)
    n, m = lp.n_col, lp.matrix.shape[0]
    # the sharing rows' coefficients are the cells' need: pass the ones that changed
    new_vals = lp.matrix.data[lp.fair_entries]
    changed = np.flatnonzero(new_vals != fair_vals)
    if changed.size:
        cols = np.searchsorted(lp.matrix.indptr, lp.fair_entries[changed], side="right") - 1
        rws = lp.matrix.indices[lp.fair_entries[changed]]
        for r, c, v in zip(rws.tolist(), cols.tolist(), new_vals[changed].tolist()):
            h.changeCoeff(r, c, v)
    h.setOptionValue("time_limit", float(time_limit_s) + h.getRunTime())  # HiGHS' clock runs on
    h.setOptionValue("simplex_strategy", 0)
    # Less cost perturbation than HiGHS' default (1.0) suits a restart from a neighbour's deprivation optimum:
    # on 16 Rafah members the warm dual simplex took 0.155 s (median) instead of 0.218 s, same optima. After a
    # truckload solve (other costs, held bounds) it does not: a whole plan re-solved then took 2.2 s, not 1.7 s.
    h.setOptionValue("dual_simplex_cost_perturbation_multiplier", 0.2 if last is not None else 1.0)
    # pass only what changed (members share most bounds and every cost)
    col = np.arange(n, dtype=np.int32) if last is None else np.flatnonzero(lp.col_upper != last[0]).astype(np.int32)
    if col.size:
        h.changeColsBounds(col.size, col, np.zeros(col.size), lp.col_upper[col])
    row = np.arange(m, dtype=np.int32) if last is None else np.flatnonzero(
        (lp.row_lower != last[1]) | (lp.row_upper != last[2])).astype(np.int32)
    if row.size:
        h.changeRowsBounds(row.size, row, lp.row_lower[row], lp.row_upper[row])
    if last is None or not np.array_equal(lp.cost1, last[3]):
        h.changeColsCost(n, np.arange(n, dtype=np.int32), lp.cost1)
    return h, highspy, key


def solve_supply(instance: SupplyInstance, *, time_limit_s: float = 60.0, deep_share: float = DEEP_SHARE,
                 deep_factor: float = DEEP_FACTOR, step_trucks_per_day: float = 50.0, storage_step_t: float = 100.0,
                 trucks: str = "auto", threads: int | None = None, warm: dict[str, Any] | None = None,
                 file: str = "<instance>") -> SupplyResult:
    """Plan daily flows; minimise deprivation, then truckloads. See the module docstring for the model.

    ``trucks``: "second_solve" (exact lexicographic order), "epsilon" (one solve, truckloads weighted
    ``EPS_TRUCKS`` × the smallest priority: faster on large instances, lexicographic only in practice)
    or "off" (deprivation only; flows may carry surplus); "auto" picks "second_solve" up to
    ``AUTO_EPSILON_COLUMNS`` LP columns and "epsilon" above (the second solve can take several times
    the first on large instances).
    ``warm``: a dict kept between calls (ensemble members): an instance with the same constraint matrix
    re-solves from the previous basis instead of from scratch; results are the same optimum.
    """
    validate_instance(instance, file)
    if trucks not in ("auto", "second_solve", "epsilon", "off"):
        raise InputError(Problem(file=file, field="trucks", message="expected auto, second_solve, epsilon or off"))
    if not 0.0 <= deep_share <= 1.0 or deep_factor < 1.0:
        raise InputError(Problem(file=file, field="deep_share/deep_factor",
                                 message="expected 0 <= deep_share <= 1 and deep_factor >= 1 (convex cost)"))
    t0 = time.perf_counter()
    lp = _build_lp(instance, deep_share, deep_factor)
    eps = 0.0
    if trucks == "auto":
        trucks = "second_solve" if lp.n_col <= AUTO_EPSILON_COLUMNS else "epsilon"
    if trucks == "epsilon":
        prios = [c.priority for c in instance.commodities if c.priority > 0]
        eps = EPS_TRUCKS * (min(prios) if prios else 1.0)
        lp.cost1 = lp.cost1 + eps * lp.cost2
    h, highspy, key = _warm_highs(lp, time_limit_s, threads, warm)
    timings = {"build": time.perf_counter() - t0}
    try:
        return _solve(instance, lp, h, highspy, t0, timings, time_limit_s, trucks, eps, deep_share, deep_factor,
                      step_trucks_per_day, storage_step_t)
    finally:
        if warm is not None:
            # what the model now holds, unless the truckload solve changed bounds and costs after
            last = None if trucks == "second_solve" else (lp.col_upper, lp.row_lower, lp.row_upper, lp.cost1)
            warm[key] = h, last, lp.matrix.data[lp.fair_entries].copy()


def _solve(instance: SupplyInstance, lp: _Lp, h: Any, highspy: Any, t0: float, timings: dict[str, float],
           time_limit_s: float, trucks: str, eps: float, deep_share: float, deep_factor: float,
           step_trucks_per_day: float, storage_step_t: float) -> SupplyResult:
    """Deprivation first, then (``second_solve``) truckloads with the deprivation held; see `solve_supply`."""
    h.run()
    timings["deprivation"] = time.perf_counter() - t0 - timings["build"]
    ms = h.getModelStatus()
    status = h.modelStatusToString(ms)
    K, E, W, S, A, P, T = lp.K, lp.E, lp.W, lp.S, lp.A, lp.P, lp.T
    ids = dict(commodity_ids=[c.id for c in instance.commodities], entry_ids=[e.id for e in instance.entry_points],
               warehouse_ids=[w.id for w in instance.warehouses], site_ids=[s.id for s in instance.sites])
    cells = dict(carry_over=[bool(c) for c in lp.carry], cell_site=lp.cell_site, cell_group=lp.cell_group,
                 cell_demand_t=lp.cell_demand, cell_people=lp.cell_people)
    if ms != highspy.HighsModelStatus.kOptimal:
        z = np.zeros
        owed = owed_to_date(lp.cell_demand, lp.carry)
        return SupplyResult(status=status, objective_deprivation=None, objective_trucks=None, best_bound=None,
                            gap=None, days=T, entry_capacity_t=lp.entry_cap, entry_use_t=z((K, E, T)),
                            flow_t=z((K, A, T)), warehouse_stock_t=z((K, W, T)), site_stock_t=z((K, S, T)),
                            production_t=z((P, T)), demand_t=lp.demand,
                            shortfall_t=owed_to_date(lp.demand, lp.carry), consumed_t=z((K, S, T)),
                            delivered_t=z((K, S, T)), produced_at_site_t=z((K, S, T)), binding=[], fleet=[],
                            max_conservation_residual_t=float("nan"), solve_time_s=time.perf_counter() - t0,
                            message=f"HiGHS stopped with status '{status}' (time limit {time_limit_s:g} s); "
                                    "no plan is reported", cell_shortfall_t=owed,
                            cell_consumed_t=z(owed.shape), **cells, **ids)
    sol = h.getSolution()
    z1 = float(h.getInfo().objective_function_value)
    duals = np.asarray(sol.row_dual, dtype=float)
    x = np.asarray(sol.col_value, dtype=float)
    message = ""
    z2 = None
    if trucks == "second_solve":
        # Fix every shortfall (and the sharing columns) at its optimal value: the first solution stays feasible,
        # so simplex restarts from it, and with nothing left to trade the truckload solve is a flow problem (0.04 s
        # on the Rafah targeted plan; holding shortfalls at most at their value took 6 s). Minimise truckloads.
        nz = lp.short_cols
        held = np.clip(x[nz], 0.0, lp.col_upper[nz])
        h.changeColsBounds(nz.size, nz.astype(np.int32), held, held)
        h.changeColsCost(lp.n_col, np.arange(lp.n_col, dtype=np.int32), lp.cost2)
        h.setOptionValue("time_limit", float(time_limit_s) + h.getRunTime())  # HiGHS' clock runs on
        h.setOptionValue("simplex_strategy", 4)  # primal: the held solution is primal feasible, costs changed
        h.run()
        timings["truckloads"] = time.perf_counter() - t0 - timings["build"] - timings["deprivation"]
        if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
            x = np.asarray(h.getSolution().col_value, dtype=float)
            z2 = float(h.getInfo().objective_function_value)
        else:
            message = (f"second solve (truckloads) ended '{h.modelStatusToString(h.getModelStatus())}'; "
                       "flows are those of the first solve (deprivation only)")
    x = np.maximum(x, 0.0)  # solver noise below the zero bound
    z1 = float(lp.true1 @ x)
    if trucks == "epsilon":
        z2 = float(lp.cost2 @ x)
        message = (f"truckloads weighted {eps:.2g} per truckload in the same solve as deprivation "
                   "(epsilon method; shadow prices include that weight)")
    res_bal = lp.matrix[: lp.n_bal] @ x - lp.rhs_bal
    off = lp.off

    def block(name: str, shape: tuple[int, ...]) -> np.ndarray:
        n = int(np.prod(shape))
        return x[off[name]: off[name] + n].reshape(shape)

    flow = block("flow", (K, A, T))
    stock = block("stock", (K, W + S, T))
    prod = block("prod", (P, T))
    Q = lp.Q
    cell_short = np.clip((lp.short_map @ x).reshape(K, Q, T), 0.0, owed_to_date(lp.cell_demand, lp.carry))
    cell_used = lp.cell_demand - cell_short
    prev = np.concatenate([np.zeros((K, Q, 1)), cell_short[:, :, :-1]], axis=2)
    cell_used[lp.carry] = (lp.cell_demand + prev - cell_short)[lp.carry]  # owed goods handed out later
    cell_used = np.maximum(cell_used, 0.0)
    short, used = np.zeros((K, S, T)), np.zeros((K, S, T))
    np.add.at(short, (slice(None), lp.cell_site), cell_short)
    np.add.at(used, (slice(None), lp.cell_site), cell_used)
    delivered = np.zeros((K, S, T))
    site_arc = np.flatnonzero(lp.arc_dst >= E + W)
    keep_a = np.array([1.0 - a.loss_share for a in instance.arcs], dtype=float)
    for a in site_arc:
        d = int(lp.arc_days[a])
        if d < T:
            delivered[:, lp.arc_dst[a] - E - W, d:] += flow[:, a, : T - d] * keep_a[a]
    entry_use = block("entry", (K, E, T))
    entry_lost = entry_use * np.array([e.loss_share for e in instance.entry_points], dtype=float)[None, :, None]
    arc_lost = flow * (1.0 - keep_a)[None, :, None]
    produced = np.zeros((K, S, T))
    kidx = {c.id: i for i, c in enumerate(instance.commodities)}
    sidx = {s.id: i for i, s in enumerate(instance.sites)}
    for p, pr in enumerate(instance.production):
        if pr.node in sidx:
            produced[kidx[pr.commodity], sidx[pr.node]] += prod[p]
    result = SupplyResult(
        status=status, objective_deprivation=z1, objective_trucks=z2, best_bound=z1, gap=0.0, days=T,
        entry_capacity_t=lp.entry_cap, entry_use_t=entry_use, flow_t=flow,
        warehouse_stock_t=stock[:, :W], site_stock_t=stock[:, W:], production_t=prod, demand_t=lp.demand,
        shortfall_t=short, consumed_t=used, delivered_t=delivered, produced_at_site_t=produced, binding=[],
        fleet=[], max_conservation_residual_t=float(np.abs(res_bal).max()) if res_bal.size else 0.0,
        solve_time_s=0.0, message=message, cell_shortfall_t=cell_short, cell_consumed_t=cell_used,
        entry_lost_t=entry_lost, arc_lost_t=arc_lost, **cells, **ids)
    prio = np.array([c.priority for c in instance.commodities], dtype=float)
    weighted = prio[:, None, None] * cell_short * deep_factor  # an upper bound on each cell's deprivation
    result.binding = _binding(instance, lp, duals, deep_share, deep_factor, step_trucks_per_day, storage_step_t,
                              result.shortfall_t, weighted,
                              rtol=2 * TIME_TIE_BREAK + 2 * FAIR_WEIGHT + (1e-2 if eps else 0.0))
    result.fleet = fleet_requirements(instance, result)
    result.solve_time_s = time.perf_counter() - t0
    timings["report"] = result.solve_time_s - sum(timings.values())
    result.timings_s = timings
    return result


# --------------------------------------------------------------------------------------------
# Shadow prices in words
# --------------------------------------------------------------------------------------------

def _windows(mask: np.ndarray) -> list[tuple[int, int]]:
    """Runs of consecutive True days as (first, last)."""
    out: list[tuple[int, int]] = []
    start = None
    for t, m in enumerate(mask):
        if m and start is None:
            start = t
        if not m and start is not None:
            out.append((start, t - 1))
            start = None
    if start is not None:
        out.append((start, len(mask) - 1))
    return out


def _days(a: int, b: int) -> str:
    return f"day {a}" if a == b else f"days {a}–{b}"


def _binding(inst: SupplyInstance, lp: _Lp, duals: np.ndarray, deep_share: float, deep_factor: float,
             step_trucks: float, storage_step_t: float, short_t: np.ndarray,
             weighted_short: np.ndarray, rtol: float) -> list[BindingConstraint]:
    # marginal deprivation value of one tonne, per commodity tier (to name what a margin relieves)
    tiers = [(c.id, c.priority, 1.0) for c in inst.commodities]
    if deep_factor != 1.0 and deep_share < 1.0:
        tiers += [(c.id, c.priority * deep_factor, deep_factor) for c in inst.commodities]
    wmax = max([w for _, w, _ in tiers] + [1.0])
    tol = 1e-7 * wmax
    out: list[BindingConstraint] = []
    for kind, (r0, owners) in lp.rows.items():
        T = lp.T
        price = -duals[r0: r0 + owners.size * T].reshape(owners.size, T)  # cut in deprivation per +1 t
        for b, owner in enumerate(owners):
            for a, z in _windows(price[b] > tol):
                p = price[b, a: z + 1]
                if kind == "entry_capacity":
                    e = inst.entry_points[owner]
                    pay = e.payload(inst.payload_t)
                    name, step, unit, step_t = e.id, step_trucks, "trucks/day", step_trucks * pay
                    what = f"+{step:g} trucks/day ({step_t:,.0f} t/day) at {name} on {_days(a, z)}"
                elif kind == "arc_loads":
                    arc = inst.arcs[owner]
                    pay = arc.payload_t or inst.payload_t
                    # a chain stage after an entry point (chain.with_chain names its nodes "<entry>:<stage>")
                    name = arc.source.split(":")[0] if ":" in arc.source else f"{arc.source}->{arc.target}"
                    step, unit, step_t = step_trucks, "loads/day", step_trucks * pay
                    stage = {"movements": "convoy movements allowed", "collection": "collection"}.get(
                        arc.stage, arc.stage or "a stage in truckloads")
                    what = (f"+{step:g} loads/day (about {step_t:,.0f} t/day) of {stage} after {name} "
                            f"on {_days(a, z)}")
                elif kind == "arc_capacity":
                    arc = inst.arcs[owner]
                    pay = arc.payload_t or inst.payload_t
                    name, step, unit, step_t = f"{arc.source}->{arc.target}", step_trucks, "trucks/day", \
                        step_trucks * pay
                    what = f"+{step:g} trucks/day ({step_t:,.0f} t/day) on road {name} on {_days(a, z)}"
                else:
                    x = inst.warehouses[owner] if kind == "warehouse_storage" else inst.sites[owner]
                    name, step, unit, step_t = x.id, storage_step_t, "t of storage", storage_step_t
                    what = f"+{step:g} t of storage at {'warehouse' if kind == 'warehouse_storage' else 'site'} " \
                           f"{name} on {_days(a, z)}"
                # dual per unit of the row: tonnes, or truckloads for a stage counted in loads
                linear = float(p.sum() * (step if kind == "arc_loads" else step_t))
                # the optimal value is convex in the capacity, so dual × change bounds the cut from above;
                # so does the deprivation left from the window's first day on
                cut = min(linear, float(weighted_short[..., a:].sum()))
                # t per unit of the row: 1, or for a stage in loads the commodity's payload on that arc
                per_unit = ({c.id: inst.payload(c, inst.arcs[owner].payload_t) for c in inst.commodities}
                            if kind == "arc_loads" else {})
                matches = {(k, f) for k, w, f in tiers
                           if np.allclose(p, w * per_unit.get(k, 1.0), rtol=rtol, atol=tol)}
                commodity = cut_t = None
                if len({k for k, _ in matches}) == 1:
                    commodity, f = next(iter(matches))
                    ki = [c.id for c in inst.commodities].index(commodity)
                    prio = inst.commodities[ki].priority
                    cut_t = min(linear / (prio * f), float(short_t[ki, :, a:].sum()))
                    cut = min(cut, cut_t * prio * f)
                    text = f"{what} would cut the {commodity} shortfall by up to about {cut_t:,.0f} t"
                else:
                    text = f"{what} would cut the priority-weighted shortfall by up to about {cut:,.0f}"
                per = "t of storage" if kind.endswith("storage") else (
                    "load/day" if kind == "arc_loads" else "t/day of capacity")
                text += (f" (shadow price {float(p.mean()):.3g} per {per} and day"
                         f"; dual × change = {linear:,.0f}, exact only for small changes and an upper bound "
                         "beyond — re-solve to confirm)")
                out.append(BindingConstraint(kind=(inst.arcs[owner].stage or kind) if kind == "arc_loads" else kind,
                                             id=name, first_day=a, last_day=z,
                                             shadow_price=[float(v) for v in p], step=step, step_unit=unit,
                                             step_t_per_day=step_t, predicted_cut=cut, commodity=commodity,
                                             predicted_cut_t=cut_t, text=text))
    out.sort(key=lambda c: -c.predicted_cut)
    return out


def with_extra_capacity(inst: SupplyInstance, entry_id: str, first_day: int, last_day: int,
                        extra_t_per_day: float, *, open_days_only: bool = False) -> SupplyInstance:
    """A copy with ``extra_t_per_day`` more capacity at one entry on days first..last (to re-solve);
    ``open_days_only``: days the crossing is closed (zero capacity) stay closed."""
    entries = []
    for e in inst.entry_points:
        if e.id == entry_id:
            cap = e.capacity_t(inst.days, inst.payload_t)
            days = np.zeros(inst.days, dtype=bool)
            days[first_day: last_day + 1] = True
            cap[days & (cap > 0) if open_days_only else days] += extra_t_per_day
            e = replace(e, capacity_t_by_day=list(cap), closed_days=(), opening_day=0)
        entries.append(e)
    return replace(inst, entry_points=entries)


@dataclass
class ExtraCapacity:
    """The least capacity to add at one crossing from a day on so that no commodity is short anywhere."""

    entry_id: str
    first_day: int
    status: str  # optimal | infeasible | <HiGHS status>
    t_per_day: float | None  # None when no amount suffices
    trucks_per_day: float | None
    message: str = ""


def min_extra_entry_capacity(inst: SupplyInstance, entry_id: str, first_day: int = 0, *,
                             time_limit_s: float = 60.0, keep: dict[str, Any] | None = None) -> ExtraCapacity:
    """Parametric solve: minimise x (t/day added at ``entry_id`` on each open day from ``first_day``) such that
    every demand is met on every day. Days the crossing is closed (zero capacity) stay closed.

    One LP on the supply model with the shortfall columns fixed at zero and one column x in every capacity
    row of that crossing; ``infeasible`` means no amount at that crossing from that day ends the shortfall
    (it starts earlier, or elsewhere in the network). ``keep``: receives the solved model under ``entry_id``, from
    which `meets_every_need` re-solves the same network warm.
    """
    import highspy

    validate_instance(inst)
    e = [x.id for x in inst.entry_points].index(entry_id)
    T = inst.days
    payload = inst.entry_points[e].payload(inst.payload_t)
    days = np.arange(max(0, first_day), T)
    days = days[inst.entry_points[e].capacity_t(T, inst.payload_t)[days] > 0]
    if days.size == 0:
        return ExtraCapacity(entry_id, first_day, "infeasible", None, None,
                             f"{entry_id} is closed on every day from day {first_day}")
    lp = _build_lp(inst, DEEP_SHARE, DEEP_FACTOR)
    r0, _owners = lp.rows["entry_capacity"]
    col = sp.csc_matrix((-np.ones(days.size), (r0 + e * T + days, np.zeros(days.size, dtype=np.int64))),
                        shape=(lp.matrix.shape[0], 1))
    lp.matrix = sp.hstack([lp.matrix, col], format="csc")
    upper = lp.col_upper.copy()
    upper[lp.short_cols] = 0.0
    lp.col_upper = np.append(upper, np.inf)
    lp.cost1 = np.append(np.zeros(lp.n_col), 1.0)
    lp.n_col += 1
    h, _ = _highs(lp, time_limit_s, None)
    h.run()
    if keep is not None:
        keep[entry_id] = (h, lp)
    ms = h.getModelStatus()
    if ms == highspy.HighsModelStatus.kInfeasible:
        return ExtraCapacity(entry_id, first_day, "infeasible", None, None,
                             f"no extra capacity at {entry_id} from day {first_day} ends the shortfall: "
                             "some need falls before goods from there can arrive, or behind another limit")
    if ms != highspy.HighsModelStatus.kOptimal:
        return ExtraCapacity(entry_id, first_day, h.modelStatusToString(ms), None, None,
                             f"HiGHS stopped with '{h.modelStatusToString(ms)}'")
    x = max(0.0, float(np.asarray(h.getSolution().col_value)[-1]))
    return ExtraCapacity(entry_id, first_day, "optimal", x, x / payload)


def meets_every_need(inst: SupplyInstance, *, time_limit_s: float = 60.0, warm: tuple[Any, Any] | None = None
                     ) -> bool:
    """Whether the instance meets every need on every day: its supply LP with every shortfall fixed at zero has a
    solution. ``warm``: a model kept by `min_extra_entry_capacity` for the same network (an instance that differs
    only in entry capacity, e.g. `with_extra_capacity`); its extra column is held at zero and the instance's own
    bounds are passed in, so the simplex restarts from that basis."""
    import highspy

    validate_instance(inst)
    lp = _build_lp(inst, DEEP_SHARE, DEEP_FACTOR)
    upper = lp.col_upper.copy()
    upper[lp.short_cols] = 0.0
    h = None
    if warm is not None:
        h, old = warm
        same = (old.matrix.shape[0] == lp.matrix.shape[0] and old.n_col == lp.n_col + 1
                and np.array_equal(old.matrix.indptr[: lp.n_col + 1], lp.matrix.indptr)
                and np.array_equal(old.matrix.indices[: lp.matrix.nnz], lp.matrix.indices)
                and np.array_equal(old.matrix.data[: lp.matrix.nnz], lp.matrix.data))
        if same:  # every bound passed (the model may hold an earlier check's), the extra column held at zero
            n, m = lp.n_col + 1, lp.matrix.shape[0]
            h.changeColsBounds(n, np.arange(n, dtype=np.int32), np.zeros(n), np.append(upper, 0.0))
            h.changeRowsBounds(m, np.arange(m, dtype=np.int32), lp.row_lower, lp.row_upper)
            h.setOptionValue("time_limit", float(time_limit_s) + h.getRunTime())
        else:
            h = None
    if h is None:
        lp.col_upper = upper
        lp.cost1 = np.zeros(lp.n_col)
        h, _ = _highs(lp, time_limit_s, None)
    h.run()
    return bool(h.getModelStatus() == highspy.HighsModelStatus.kOptimal)


# --------------------------------------------------------------------------------------------
# Fleet
# --------------------------------------------------------------------------------------------

def fleet_requirements(inst: SupplyInstance, result: SupplyResult,
                       operating_h_per_day: float | None = None) -> list[CorridorFleet]:
    """Trucks per day on each arc (ceil(Σ_k t_k / payload_k)) and the fleet its round trip needs.

    A truck makes ``floor(operating_h / round_trip_h)`` whole trips a day (one trip per
    ``ceil(round_trip_h / operating_h)`` days when the round trip is longer than a working day);
    fleet = ceil(peak trucks per day / trips per truck per day). This is at least the continuous
    estimate trucks × round_trip_h / operating_h, which ignores that trips are whole.
    """
    op_h = operating_h_per_day or inst.operating_h_per_day
    out: list[CorridorFleet] = []
    for a, arc in enumerate(inst.arcs):
        pay = arc.payload_t or inst.payload_t
        per_k = np.array([inst.payload(c, arc.payload_t) for c in inst.commodities])[:, None]
        loads = (result.flow_t[:, a, :] / per_k).sum(axis=0) if arc.trucked else np.zeros(result.days)
        trucks = np.ceil(loads - 1e-6).astype(np.int64)
        trucks[trucks < 0] = 0
        peak = int(trucks.max()) if trucks.size else 0
        trips = fleet = None
        if arc.round_trip_h and arc.trucked:
            trips = float(math.floor(op_h / arc.round_trip_h + 1e-9)) if arc.round_trip_h <= op_h \
                else 1.0 / math.ceil(arc.round_trip_h / op_h - 1e-9)
            fleet = int(math.ceil(peak / trips - 1e-9))
        out.append(CorridorFleet(arc=a, source=arc.source, target=arc.target, payload_t=pay, trucks_per_day=trucks,
                                 max_trucks_per_day=peak, round_trip_h=arc.round_trip_h,
                                 trips_per_truck_per_day=trips, fleet_trucks=fleet))
    return out


@dataclass
class OriginFleet:
    """Whole trucks leaving one crossing or hub per day, over all its corridors, and the fleet based there."""

    node: str
    trucks_per_day: np.ndarray  # [days] ceil(Σ_arcs Σ_k t_k / payload_k)
    max_trucks_per_day: int
    fleet_trucks: int | None  # None when no corridor from it has a round-trip time


def fleet_by_origin(inst: SupplyInstance, result: SupplyResult, operating_h_per_day: float | None = None
                    ) -> list[OriginFleet]:
    """Per origin of trucked corridors: whole trucks per day = ceil(the truckloads of all its corridors that day),
    and the fleet = ceil(max over days of Σ_a truckloads_a / trips per truck per day on a) (trips as in
    `fleet_requirements`).

    The LP splits a crossing's truckloads over every location it feeds, so rounding up corridor by corridor counts
    a truck for every fraction (the 60-day Rafah plan: 201-239 trucks/day from a crossing admitting 146.5); a
    logistician counts whole trucks through the crossing, some of them dropping at more than one location, and a
    fleet based there that serves whichever corridor needs it that day."""
    op_h = operating_h_per_day or inst.operating_h_per_day
    loads: dict[str, np.ndarray] = {}
    busy: dict[str, np.ndarray] = {}
    timed: set[str] = set()
    for a, arc in enumerate(inst.arcs):
        if not arc.trucked:
            continue
        per_k = np.array([inst.payload(c, arc.payload_t) for c in inst.commodities])[:, None]
        la = np.maximum((result.flow_t[:, a, :] / per_k).sum(axis=0), 0.0)
        loads[arc.source] = loads.get(arc.source, np.zeros(result.days)) + la
        if arc.round_trip_h:
            trips = float(math.floor(op_h / arc.round_trip_h + 1e-9)) if arc.round_trip_h <= op_h \
                else 1.0 / math.ceil(arc.round_trip_h / op_h - 1e-9)
            busy[arc.source] = busy.get(arc.source, np.zeros(result.days)) + la / trips
            timed.add(arc.source)
    out = []
    for node, la in loads.items():
        trucks = np.maximum(np.ceil(la - 1e-6), 0).astype(np.int64)
        fleet = int(math.ceil(float(busy[node].max(initial=0.0)) - 1e-6)) if node in timed else None
        out.append(OriginFleet(node=node, trucks_per_day=trucks, max_trucks_per_day=int(trucks.max(initial=0)),
                               fleet_trucks=max(fleet, 0) if fleet is not None else None))
    return out


# --------------------------------------------------------------------------------------------
# JSON output
# --------------------------------------------------------------------------------------------

def _r(x: float, nd: int = 3) -> float:
    v = round(float(x), nd)
    return 0.0 if v == 0 else v


def site_figures_t(result: SupplyResult) -> dict[str, np.ndarray]:
    """Per commodity, site and day (K, S, T), tonnes rounded to 3 decimals as plan.json shows them."""
    return {name: np.round(a, 3) + 0.0 for name, a in (
        ("required_t", result.demand_t), ("delivered_t", result.delivered_t),
        ("produced_t", result.produced_at_site_t), ("consumed_t", result.consumed_t),
        ("stock_end_t", result.site_stock_t), ("shortfall_t", result.shortfall_t))}


def _delivery_rows(result: SupplyResult) -> list[dict[str, Any]]:
    """One row per day, site and commodity (in that order), figures rounded to 3 decimals."""
    T, S, K = result.days, len(result.site_ids), len(result.commodity_ids)
    # read out as Python floats in day, site, commodity order
    cols = {name: a.transpose(2, 1, 0).ravel().tolist() for name, a in site_figures_t(result).items()}
    names = ("day", "site", "commodity", *cols)
    # zip of columns: 3-4x faster than a dict comprehension per row (11,000 rows per Rafah plan)
    return [dict(zip(names, row)) for row in zip(
        np.repeat(np.arange(T), S * K).tolist(), np.tile(np.repeat(result.site_ids, K), T).tolist(),
        result.commodity_ids * (S * T), *cols.values())]


def _entry_use_rows(result: SupplyResult, inst: SupplyInstance) -> list[dict[str, Any]]:
    """One row per entry point and day: capacity, use, trucks available and used, use per commodity."""
    rows = []
    pay_ke = inst.entry_payloads()
    for e, ep in enumerate(inst.entry_points):
        pay = ep.payload(inst.payload_t)
        per_k = pay_ke[:, e]
        for t in range(result.days):
            used = result.entry_use_t[:, e, t]
            rows.append({
                "entry_point": ep.id, "day": t, "capacity_t": _r(result.entry_capacity_t[e, t]),
                "used_t": _r(used.sum()), "trucks_available": _r(result.entry_capacity_t[e, t] / pay, 2),
                "trucks_used": int(math.ceil(float((used / per_k).sum()) - 1e-6)),
                "by_commodity_t": {kid: _r(used[k]) for k, kid in enumerate(result.commodity_ids)}})
    return rows


def result_to_dict(result: SupplyResult, inst: SupplyInstance, *, rows: bool = True) -> dict[str, Any]:
    """The JSON form printed by ``reliefplan solve-supply``; ``rows=False`` leaves the per-day, per-site rows
    (``deliveries``, ``entry_use``) empty: ensemble members keep only totals."""
    deliveries = _delivery_rows(result) if rows else []
    entry_use = _entry_use_rows(result, inst) if rows else []
    lost = {kid: float((result.entry_lost_t[k].sum() if result.entry_lost_t is not None else 0.0)
                       + (result.arc_lost_t[k].sum() if result.arc_lost_t is not None else 0.0))
            for k, kid in enumerate(result.commodity_ids)}
    extra = {"lost_t": {k: _r(v) for k, v in lost.items()}} if any(v > 0 for v in lost.values()) else {}
    return {**extra,
        "status": result.status,
        "objective": {
            "deprivation": None if result.objective_deprivation is None else _r(result.objective_deprivation, 6),
            "truckloads": None if result.objective_trucks is None else _r(result.objective_trucks, 6)},
        "best_bound": None if result.best_bound is None else _r(result.best_bound, 6),
        "gap": result.gap,
        "message": result.message,
        "deliveries": deliveries,
        "shortfall_t": {k: _r(v) for k, v in result.shortfall_by_commodity_t().items()},
        "required_t": {kid: _r(result.demand_t[k].sum()) for k, kid in enumerate(result.commodity_ids)},
        "carry_over": {kid: bool(c) for kid, c in zip(result.commodity_ids, result.carry_over)},
        "first_shortfall_day": result.first_shortfall_day(),
        "entry_use": entry_use,
        "binding": [{"kind": b.kind, "id": b.id, "first_day": b.first_day, "last_day": b.last_day,
                     "shadow_price": [_r(p, 6) for p in b.shadow_price], "step": b.step, "step_unit": b.step_unit,
                     "predicted_cut": _r(b.predicted_cut), "commodity": b.commodity,
                     "predicted_cut_t": None if b.predicted_cut_t is None else _r(b.predicted_cut_t),
                     "text": b.text} for b in result.binding],
        "fleet": [{"from": f.source, "to": f.target, "payload_t": f.payload_t,
                   "trucks_per_day": [int(v) for v in f.trucks_per_day], "max_trucks_per_day": f.max_trucks_per_day,
                   "round_trip_h": f.round_trip_h, "trips_per_truck_per_day": f.trips_per_truck_per_day,
                   "fleet_trucks": f.fleet_trucks} for f in result.fleet],
        "operating_h_per_day": inst.operating_h_per_day,
        "max_conservation_residual_t": result.max_conservation_residual_t,
        "solve_time_s": round(result.solve_time_s, 3),
    }


# --------------------------------------------------------------------------------------------
# Commodities from data (data/commodities.yaml + a standards profile)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CommoditySpec:
    """A commodity with its per-person need resolved against a standards profile."""

    commodity: Commodity
    name: str
    need: str  # "daily" or "on_arrival" (owed until delivered)
    t_per_person: float  # t per person per day (daily) or per person arriving (on_arrival)
    source: str
    payload_source: str = ""


def cargo_figures(standards: Any, cargo: Any = None) -> tuple[dict[str, float], dict[str, str], float, str]:
    """(t per truck by commodity, their sources, kcal per kg of the food delivered, its source): the scenario's
    cargo block where it says so, else the profile (water by tanker at 1 t/m3, the rest at the truck payload,
    food at the ration basket's energy density). The needs table and the supply plan both use these."""
    raw = _commodities_yaml()
    v = standards.value
    declared = dict(getattr(cargo, "payload_t", None) or {})
    payload, sources = {}, {}
    for c in raw["commodities"]:
        cid = c["id"]
        if cid in declared:
            payload[cid] = float(declared[cid])
            sources[cid] = ((getattr(cargo, "payload_sources", None) or {}).get(cid)
                            or getattr(cargo, "payload_source", "") or "ASSUMPTION: scenario.yaml cargo.payload_t, "
                                                                       "no source given")
        else:
            key = c.get("payload_from", "truck_payload_t")
            payload[cid] = float(v(key))
            sources[cid] = standards.cite(key)
    kcal = getattr(cargo, "food_kcal_per_kg", None)
    if kcal:
        food_src = getattr(cargo, "food_source", "") or "scenario.yaml cargo (food delivered)"
    else:
        kcal = standards.ration_basket.kcal_per_kg
        food_src = f"ration basket '{standards.ration_basket.name}' ({standards.ration_basket.source})"
    return payload, sources, float(kcal), food_src


def load_commodities(standards: Any, *, kcal_per_person_day: float | None = None,
                     cargo: Any = None) -> list[CommoditySpec]:
    """Resolve ``data/commodities.yaml`` against a ``standards.Standards`` profile (its overrides apply) and a
    scenario's cargo (t per truck by commodity, the energy density of the food delivered)."""
    raw = _commodities_yaml()
    v = standards.value
    basket = standards.ration_basket
    kcal = v("kcal_per_person_day") if kcal_per_person_day is None else kcal_per_person_day
    payload, pay_src, food_kcal_kg, food_src = cargo_figures(standards, cargo)
    out: list[CommoditySpec] = []
    for c in raw["commodities"]:
        cid = c["id"]
        if cid == "water":
            unit_t, per_person = 1.0, v("water_l_per_person_day") * 0.001
            src = f"{standards.cite('water_l_per_person_day')}; 1 t/m3"
        elif cid == "food":
            unit_t = basket.kg_per_person_day / 1000.0
            per_person = kcal / food_kcal_kg / 1000.0
            src = f"{kcal:,.0f} kcal/person/day at {food_kcal_kg:,.0f} kcal/kg ({food_src})"
        elif cid == "medical":
            unit_t = v("medical_kit_weight_kg") / 1000.0
            per_person = unit_t / v("medical_kit_people") / v("medical_kit_days")
            src = standards.cite("medical_kit_weight_kg")
        elif cid == "shelter_nfi":
            tents_pp = max(1.0 / v("household_size"), v("covered_area_m2_per_person") / v("tent_covered_area_m2"))
            kits_pp = v("nfi_kits_per_household") / v("household_size")
            unit_t = (v("tent_weight_kg") + v("nfi_kits_per_household") * v("nfi_kit_weight_kg")) / 1000.0
            per_person = (tents_pp * v("tent_weight_kg") + kits_pp * v("nfi_kit_weight_kg")) / 1000.0
            src = f"{standards.cite('tent_weight_kg')}; {standards.cite('nfi_kit_weight_kg')}"
        else:  # a commodity added to the file with plain figures
            unit_t = float(c["unit_weight_t"])
            per_person = float(c.get("t_per_person_day", 0.0))
            src = str(c.get("source", ""))
        need = c.get("need", "daily")
        out.append(CommoditySpec(
            commodity=Commodity(id=cid, priority=float(c["priority"]), unit_weight_t=unit_t, unit=c.get("unit"),
                                unit_volume_m3=c.get("unit_volume_m3"), payload_t=payload[cid],
                                carry_over=need == "on_arrival"),
            name=c.get("name", cid), need=need, t_per_person=per_person, source=src, payload_source=pay_src[cid]))
    return out


def demand_from_people(people_by_day: np.ndarray, specs: Sequence[CommoditySpec],
                       residents: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Site demand (t/day, [sites, days]) from people present per site and day (arrival curves).

    Daily commodities scale with the people present; on-arrival items (tents, kits) are needed on
    the day people arrive (the increase over the previous day; everyone present on day 0 arrives then).
    residents: people already living at each site, present every day; they need the daily commodities
    but arrive with their shelter.
    """
    people = np.asarray(people_by_day, dtype=float)
    arrivals = np.diff(people, axis=-1, prepend=0.0).clip(min=0.0)
    daily = people if residents is None else people + np.asarray(residents, dtype=float)[:, None]
    return {s.commodity.id: (daily if s.need == "daily" else arrivals) * s.t_per_person for s in specs}
