"""The supply instance and result types: commodities, entry points, warehouses, sites, production, arcs, the
instance, binding constraints and the result, with the model's constants (units: tonnes, days).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

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
#: relative, at most: which (cell, day) goes short among equally deprived plans, by a hash of its identity; at most
#: half the time tie-break's step between two days (`tiebreak`)
CELL_TIE_BREAK = 1e-6
#: HiGHS' dual feasibility tolerance on the supply LP (its default 1e-7): reduced costs this close to 0 count as
#: optimal, so with 1e-7 the tie-breaks above were partly below it and a plan's (site, day) shortfalls still depended
#: on the starting basis; at 1e-10 five starts gave the same plan to the tonne on 5 Rafah members (`tiebreak`)
DUAL_TOL = 1e-10
FAIR_WEIGHT = 1e-4  # distance from the common share, relative to the deprivation weight (see the module doc)
GROUP_PRIORITY_FACTOR = 10.0  # a group's deprivation weighs this many times the next group's (priority sharing)
SHARING = ("equal", "priority", "none")
#: items owed until delivered are shared equally too (the split is otherwise arbitrary: members of an ensemble
#: gave different, equally optimal, tent deliveries per site); ~1.5x the deprivation solve on the 60-day Rafah plan
SHARE_OWED = True
MODES = ("land", "sea", "air")
METHODS = ("auto", "sifting", "direct")  # how the LP is solved (solve.solve_supply); each gives its optimum
SIFT_TOL = DUAL_TOL  # a held column prices in below this reduced cost (the dual feasibility tolerance)
#: a series' first pricing releases its held days from this many days before its first negative reduced cost to its
#: last, a later one the whole series (sifting._to_release); whole series at once cost 2.5x the iterations over 365 days
SIFT_WINDOW_DAYS = 30
#: sifting gives up when its first pricing would release more than this share of the held stock columns: sites then
#: stock all through the horizon (crossings scarce and uneven: sampled or observed daily trucks), the primal re-solve
#: of so large a release is the slowest way to the optimum, and the whole LP is solved by the dual simplex from
#: scratch instead (sifting._sift; Rafah full-180d with a member's draws releases 82 %: 56.3 k of 68.7 k)
SIFT_GIVE_UP_SHARE = 0.5
#: ... and releases at least this many: below it the primal re-solve is quick, and the cold dual simplex was not faster
#: (Rafah `full`, 30 days, cold plans of members' draws releasing 5.7-7.0 k of 11.0 k: 23.6 s against 19.4 s over three)
SIFT_GIVE_UP_COLUMNS = 20_000
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
        return np.array(
            [
                [
                    e.payload(self.payload_t) if e.uniform_payload else self.payload(c, e.payload_t)
                    for e in self.entry_points
                ]
                for c in self.commodities
            ],
            dtype=float,
        ).reshape(len(self.commodities), len(self.entry_points))


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
    method: str = "direct"  # how the deprivation LP was solved (sifting: solves and columns priced in)
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
        return {
            k: float(self.shortfall_t[i][..., -1].sum() if self.carry_over[i] else self.shortfall_t[i].sum())
            for i, k in enumerate(self.commodity_ids)
        }

    def first_shortfall_day(self, tol_t: float = 1e-6) -> dict[str, int | None]:
        out: dict[str, int | None] = {}
        ref = self.need_to_date_t()
        for i, k in enumerate(self.commodity_ids):
            short = self.shortfall_t[i] > tol_t + 1e-6 * ref[i]  # solver noise is not a shortfall
            days = np.flatnonzero(short.any(axis=0))
            out[k] = int(days[0]) if days.size else None
        return out


def owed_to_date(demand: np.ndarray, carry_over: Sequence[bool] | np.ndarray) -> np.ndarray:
    """[K, ..., T]: each commodity's need of the day, or for a carry-over commodity everything owed so far."""
    out = np.array(demand, dtype=float, copy=True)
    for k, carry in enumerate(carry_over):
        if carry:
            out[k] = np.cumsum(out[k], axis=-1)
    return out
