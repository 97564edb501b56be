"""What supply operated day by day (`operate`) works on: the instance's arrays over the horizon (`Fixed`), the
running state (`State`: stock, owed, in transit) and the days' record (`Days`), all in tonnes, on arrays indexed by
commodity first."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .cells import _cells
from .lp import _Net, _net
from .model import Site, SupplyInstance, SupplyResult, Warehouse


def reference_mix(instance: SupplyInstance, reference: SupplyResult | None) -> tuple[np.ndarray, np.ndarray]:
    """([K, E, T] the reference plan's cargo mix at each crossing and day, in shares of its truckloads, [K, E] its mix
    over the horizon); zeros where the reference sent nothing (or no reference)."""
    K, E, T = len(instance.commodities), len(instance.entry_points), instance.days
    day = np.zeros((K, E, T))
    if reference is not None:
        ki = {k: i for i, k in enumerate(reference.commodity_ids)}
        ei = {e: i for i, e in enumerate(reference.entry_ids)}
        pay = instance.entry_payloads()
        n = min(T, reference.days)
        for k, c in enumerate(instance.commodities):
            for e, ep in enumerate(instance.entry_points):
                if c.id in ki and ep.id in ei:
                    day[k, e, :n] = reference.entry_use_t[ki[c.id], ei[ep.id], :n] / pay[k, e]
    day = np.maximum(day, 0.0)
    horizon = day.sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        tot = day.sum(axis=0, keepdims=True)
        day = np.where(tot > 0, day / np.where(tot > 0, tot, 1.0), 0.0)
        htot = horizon.sum(axis=0, keepdims=True)
        horizon = np.where(htot > 0, horizon / np.where(htot > 0, htot, 1.0), 0.0)
    return day, horizon


#: the plan whose cargo mix trucks left over load: a result, or what makes it on first need (an ensemble worker's
#: declared plan, planned only if some member has trucks to spare), or None
Reference = SupplyResult | Callable[[], SupplyResult | None] | None


@dataclass
class Mix:
    """The reference plan's cargo mix at a crossing and day (`reference_mix`), made on first need: trucks are left
    over once the day's lack is loaded, which on scarce crossings never happens."""

    instance: SupplyInstance
    reference: Reference
    _day: np.ndarray | None = field(default=None, repr=False)
    _horizon: np.ndarray | None = field(default=None, repr=False)

    def at(self, e: int, t: int) -> np.ndarray:
        """[K] truckload shares at crossing ``e`` on day ``t`` (its mix over the horizon where the plan sent
        nothing that day)."""
        if self._day is None or self._horizon is None:
            ref = self.reference() if callable(self.reference) else self.reference
            self._day, self._horizon = reference_mix(self.instance, ref)
        return self._day[:, e, t] if self._day[:, e, t].any() else self._horizon[:, e]


def _order(n_nodes: int, src: np.ndarray, dst: np.ndarray, first: np.ndarray) -> list[int]:
    """Nodes in the order goods flow (Kahn's algorithm; ``first`` nodes ahead of the others when free); nodes on a
    cycle come last, in index order."""
    indeg = np.zeros(n_nodes, dtype=np.int64)
    np.add.at(indeg, dst, 1)
    out: list[list[int]] = [[] for _ in range(n_nodes)]
    for a, s in enumerate(src.tolist()):
        out[s].append(int(dst[a]))
    ready = deque(sorted(np.flatnonzero(indeg == 0).tolist(), key=lambda n: (not first[n], n)))
    seen: list[int] = []
    while ready:
        n = ready.popleft()
        seen.append(n)
        for m in out[n]:
            indeg[m] -= 1
            if indeg[m] == 0:
                ready.append(m)
    done = set(seen)
    return seen + [n for n in range(n_nodes) if n not in done]


@dataclass
class Fixed:
    """What the instance fixes over the horizon, on arrays (K commodities, E crossings, W warehouses, S locations,
    A arcs, P production lines, T days, Q report cells; nodes N = E + W + S, holders M = W + S: warehouses, then
    locations)."""

    inst: SupplyInstance
    net: _Net
    deep_share: float
    deep_factor: float
    tiers: bool  # the deep part of a lack weighs deep_factor
    cell_site: np.ndarray  # [Q] location of each report cell
    cell_group: list[str]  # [Q]
    cell_dem: np.ndarray  # [K, Q, T] t needed
    cell_people: np.ndarray  # [Q, T]
    site_cells: np.ndarray  # [S, Q] 0/1: cell needs summed per location
    cap: np.ndarray  # [M] t storage (inf: none declared)
    keep_a: np.ndarray  # [A] share an arc delivers
    keep_e: np.ndarray  # [E] share a crossing lets through
    allowed: np.ndarray  # [K, A] bool: the arc carries the commodity
    pay_ke: np.ndarray  # [K, E] t a truckload
    pay_e: np.ndarray  # [E] t a truck
    pay_ka: np.ndarray  # [K, A] t a truckload
    arc_cap_t: np.ndarray  # [A] t a day (inf: none)
    arc_loads: np.ndarray  # [A, T] truckloads a day (inf: none)
    trucked: np.ndarray  # [A] bool
    out_arcs: list[np.ndarray]  # [N] arcs leaving each node
    prod_k: np.ndarray  # [P] commodity of each production line
    prod_n: np.ndarray  # [P] its node
    rate: np.ndarray  # [P, T] t a day at most
    has_in: np.ndarray  # [N] bool: an arc leads to the node
    order: list[int]  # crossings and warehouses in the order goods flow
    fed_wh: list[int]  # warehouses goods reach and send on, downstream ones first (their lack adds up upstream)
    mix: Mix  # the reference's cargo mix (truckload shares)
    prio: np.ndarray  # [K] priority


def fixed_arrays(inst: SupplyInstance, reference: Reference, deep_share: float, deep_factor: float) -> Fixed:
    """The instance's arrays (`Fixed`)."""
    net = _net(inst)
    K, E, W, S, A, P, T = net.K, net.E, net.W, net.S, net.A, net.P, net.T
    N, M = E + W + S, W + S
    cell_site, cell_group, cell_dem, cell_people, _listed = _cells(inst, net.kidx, T)
    site_cells = np.zeros((S, cell_site.size))
    site_cells[cell_site, np.arange(cell_site.size)] = 1.0
    cap = np.full(M, np.inf)
    for j, w in enumerate(inst.warehouses):
        if w.capacity_t is not None:
            cap[j] = w.capacity_t
    for s, site in enumerate(inst.sites):
        if site.storage_t is not None:
            cap[W + s] = site.storage_t
    prod_n = np.array([net.nidx[p.node] for p in inst.production], dtype=np.int64)
    out_arcs: list[np.ndarray] = [np.flatnonzero(net.src == n) for n in range(N)]
    has_in = np.zeros(N, dtype=bool)
    has_in[net.dst] = True
    producer = np.zeros(N, dtype=bool)
    producer[prod_n] = True
    order = [n for n in _order(N, net.src, net.dst, producer & ~has_in) if n < E + W]
    return Fixed(
        inst=inst,
        net=net,
        deep_share=deep_share,
        deep_factor=deep_factor,
        tiers=deep_factor != 1.0 and deep_share < 1.0,
        cell_site=cell_site,
        cell_group=cell_group,
        cell_dem=cell_dem,
        cell_people=cell_people,
        site_cells=site_cells,
        cap=cap,
        keep_a=1.0 - np.array([a.loss_share for a in inst.arcs], dtype=float),
        keep_e=1.0 - np.array([e.loss_share for e in inst.entry_points], dtype=float),
        allowed=np.array(
            [[not a.commodities or c.id in a.commodities for a in inst.arcs] for c in inst.commodities], dtype=bool
        ).reshape(K, A),
        pay_ke=inst.entry_payloads(),
        pay_e=np.array([e.payload(inst.payload_t) for e in inst.entry_points], dtype=float),
        pay_ka=np.array([[inst.payload(c, a.payload_t) for a in inst.arcs] for c in inst.commodities]).reshape(K, A),
        arc_cap_t=np.array([np.inf if a.capacity_t_per_day is None else a.capacity_t_per_day for a in inst.arcs]),
        arc_loads=np.array(
            [
                np.full(T, np.inf)
                if a.capacity_loads_by_day is None
                else np.asarray(a.capacity_loads_by_day, float)[:T]
                for a in inst.arcs
            ]
        ).reshape(A, T),
        trucked=np.array([a.trucked for a in inst.arcs], dtype=bool),
        out_arcs=out_arcs,
        prod_k=np.array([net.kidx[p.commodity] for p in inst.production], dtype=np.int64),
        prod_n=prod_n,
        rate=np.array([p.t_per_day for p in inst.production], dtype=float).reshape(P, T),
        has_in=has_in,
        order=order,
        fed_wh=[n - E for n in reversed(order) if E <= n and has_in[n] and out_arcs[n].size],
        mix=Mix(inst, reference),
        prio=np.array([c.priority for c in inst.commodities], dtype=float),
    )


def initial_stock(inst: SupplyInstance, kidx: dict[str, int], K: int) -> np.ndarray:
    """[K, M] t held on day 0 by the warehouses, then the locations."""
    holders: list[Warehouse | Site] = [*inst.warehouses, *inst.sites]
    stock = np.zeros((K, len(holders)))
    for j, h in enumerate(holders):
        for k, v in h.initial_t.items():
            stock[kidx[k], j] += v
    return stock


@dataclass
class State:
    """The running state (t): stock held, items owed until delivered, goods in transit."""

    stock: np.ndarray  # [K, M] at warehouses and locations
    owed: np.ndarray  # [K, Q] still owed from earlier days
    due: np.ndarray  # [K, N, T + pad] arriving at a node (or out of inspection at a crossing) on a day
    coming: np.ndarray  # [K, N] everything still to arrive at a node
    over_storage: float = 0.0  # most kept above a location's storage (goods already committed)


def start_state(fx: Fixed) -> State:
    """Day 0's state: the holders' initial stock, nothing owed or on the way."""
    net = fx.net
    stock = initial_stock(fx.inst, net.kidx, net.K)
    pad = int(max(net.dd.max(initial=0), net.delay.max(initial=0))) + 1
    return State(
        stock=stock,
        owed=np.zeros((net.K, fx.cell_site.size)),
        due=np.zeros((net.K, net.N, net.T + pad)),
        coming=np.zeros((net.K, net.N)),
    )


@dataclass
class Days:
    """What the days record (t), by commodity first."""

    entry_use: np.ndarray  # [K, E, T] loaded at each crossing
    entry_use_lost: np.ndarray  # [K, E, T] out of inspection with no arc to take it on
    flow: np.ndarray  # [K, A, T] sent along each arc
    prod: np.ndarray  # [P, T] made by each production line
    input_used: np.ndarray  # [K, T] production inputs (fuel) used up
    stock_t: np.ndarray  # [K, M, T] held at the end of each day
    delivered: np.ndarray  # [K, S, T] arrived at each location
    produced_site: np.ndarray  # [K, S, T] made at each location
    cell_used: np.ndarray  # [K, Q, T] consumed by each report cell
    cell_short: np.ndarray  # [K, Q, T] short in each report cell

    @classmethod
    def zeros(cls, fx: Fixed) -> Days:
        net, Q = fx.net, fx.cell_site.size
        K, E, S, T = net.K, net.E, net.S, net.T
        return cls(
            entry_use=np.zeros((K, E, T)),
            entry_use_lost=np.zeros((K, E, T)),
            flow=np.zeros((K, net.A, T)),
            prod=np.zeros((net.P, T)),
            input_used=np.zeros((K, T)),
            stock_t=np.zeros((K, net.M, T)),
            delivered=np.zeros((K, S, T)),
            produced_site=np.zeros((K, S, T)),
            cell_used=np.zeros((K, Q, T)),
            cell_short=np.zeros((K, Q, T)),
        )
