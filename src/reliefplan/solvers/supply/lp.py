"""The supply LP (see the package docstring for the model): column and row layout, demand cells, the matrix,
bounds and the two objectives, built as arrays for HiGHS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from .cells import _cells, _lp_cells, _LpCells, _sharing_classes
from .model import (
    CELL_TIE_BREAK,
    FAIR_WEIGHT,
    SHARE_OWED,
    TIME_TIE_BREAK,
    EntryPoint,
    Site,
    SupplyInstance,
    Warehouse,
    owed_to_date,
)
from .tiebreak import cell_day_factors, cell_keys


@dataclass
class _Sizes:
    """Commodities, entry points, warehouses, sites, arcs, production lines and days."""

    K: int
    E: int
    W: int
    S: int
    A: int
    P: int
    T: int


@dataclass
class _Lp(_Sizes):
    """Index layout and arrays of the LP (columns: flow, entry_use, stock, production, then the shortfall columns:
    c1, c2 per demand cell and day, sig1, sig2 per commodity, sharing class and day, b per cell and day)."""

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
    site_stock_cols: np.ndarray  # site stock columns a restricted LP may start without (solve's sifting)


Terms = list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]  # (LP cell, day, column, coefficient)


@dataclass
class _Net(_Sizes):
    """Sizes and indices of an instance as the LP uses them (nodes: entries, then warehouses, then sites)."""

    kidx: dict[str, int]
    nidx: dict[str, int]
    src: np.ndarray  # [A] node an arc leaves
    dst: np.ndarray  # [A] node it reaches
    dd: np.ndarray  # [A] travel days
    delay: np.ndarray  # [E] inspection days
    cap_e: np.ndarray  # [E, T] t
    carry: np.ndarray  # [K] bool: owed until delivered

    @property
    def N(self) -> int:
        return self.E + self.W + self.S

    @property
    def M(self) -> int:  # nodes that hold stock
        return self.W + self.S

    def bal(self, k: np.ndarray, n: np.ndarray, t: np.ndarray) -> np.ndarray:
        """The balance row of commodity k at node n on day t."""
        return (k * self.N + n) * self.T + t


def _net(inst: SupplyInstance) -> _Net:
    T, E = inst.days, len(inst.entry_points)
    nodes: list[EntryPoint | Warehouse | Site] = [*inst.entry_points, *inst.warehouses, *inst.sites]
    nidx = {x.id: i for i, x in enumerate(nodes)}
    return _Net(
        K=len(inst.commodities),
        E=E,
        W=len(inst.warehouses),
        S=len(inst.sites),
        A=len(inst.arcs),
        P=len(inst.production),
        T=T,
        kidx={c.id: i for i, c in enumerate(inst.commodities)},
        nidx=nidx,
        src=np.array([nidx[a.source] for a in inst.arcs], dtype=np.int64),
        dst=np.array([nidx[a.target] for a in inst.arcs], dtype=np.int64),
        dd=np.array([a.travel_days for a in inst.arcs], dtype=np.int64),
        delay=np.array([e.inspection_delay_days for e in inst.entry_points], dtype=np.int64),
        cap_e=np.array([e.capacity_t(T, inst.payload_t) for e in inst.entry_points]).reshape(E, T),
        carry=np.array([c.carry_over for c in inst.commodities], dtype=bool),
    )


@dataclass
class _Entries:
    """The matrix's entries in the order they are added, and the rows' bounds; ``r0`` is the next free row."""

    r0: int
    rows: list[np.ndarray] = field(default_factory=list)
    cols: list[np.ndarray] = field(default_factory=list)
    vals: list[np.ndarray] = field(default_factory=list)
    lower: list[np.ndarray] = field(default_factory=list)
    upper: list[np.ndarray] = field(default_factory=list)

    def put(self, r: np.ndarray, c: np.ndarray, v: float | np.ndarray) -> None:
        self.rows.append(r)
        self.cols.append(c)
        self.vals.append(np.broadcast_to(np.asarray(v, dtype=float), r.shape))

    def add_rows(self, lower: np.ndarray, upper: np.ndarray) -> None:
        self.lower.append(lower)
        self.upper.append(upper)
        self.r0 += lower.size


@dataclass
class _Columns:
    """The column layout: block sizes and first columns (flow, entry, stock, prod, c1, c2, sig1, sig2, b), the
    sharing classes (C), the LP cells (J) and those that may do better than the common share (b_cells)."""

    sizes: dict[str, int]
    off: dict[str, int]
    n_col: int
    C: int
    J: int
    b_cells: np.ndarray

    @property
    def B(self) -> int:
        return self.b_cells.size


def _columns(net: _Net, cells: _LpCells, C: int, tiers: bool, shared: bool) -> _Columns:
    K, A, E, M, P, T = net.K, net.A, net.E, net.M, net.P, net.T
    J = cells.k.size
    b_cells = (
        np.flatnonzero(cells.local & (~net.carry[cells.k] | SHARE_OWED)) if shared else np.zeros(0, dtype=np.int64)
    )
    B = b_cells.size
    sizes = {
        "flow": K * A * T,
        "entry": K * E * T,
        "stock": K * M * T,
        "prod": P * T,
        "c1": J * T,
        "c2": J * T if tiers and not shared else 0,
        "sig1": K * C * T,
        "sig2": K * C * T if tiers and shared else 0,
        "b": B * T,
    }
    off, n_col = {}, 0
    for name, n in sizes.items():
        off[name], n_col = n_col, n_col + n
    return _Columns(sizes=sizes, off=off, n_col=n_col, C=C, J=J, b_cells=b_cells)


def _goods_columns(inst: SupplyInstance, net: _Net, off: dict[str, int], col_upper: np.ndarray, m: _Entries) -> None:
    """Flow, entry use, stock and production in the balance rows, with their bounds."""
    K, E, A, M, T, bal = net.K, net.E, net.A, net.M, net.T, net.bal
    # flow: +1 where it leaves, -1 where (and when) it arrives
    kk, aa, tt = (x.ravel() for x in np.indices((K, A, T)))
    fcol = off["flow"] + np.arange(K * A * T)
    arrive = tt + net.dd[aa]
    inside = arrive < T
    col_upper[fcol[~inside]] = 0.0
    m.put(bal(kk, net.src[aa], tt), fcol, 1.0)
    keep_a = 1.0 - np.array([a.loss_share for a in inst.arcs], dtype=float)  # what arrives of a tonne sent
    m.put(bal(kk[inside], net.dst[aa[inside]], arrive[inside]), fcol[inside], -keep_a[aa[inside]])
    # entry use: -1 in the entry's balance on the day inspection is over
    kk, ee, tt = (x.ravel() for x in np.indices((K, E, T)))
    ucol = off["entry"] + np.arange(K * E * T)
    ready = tt + net.delay[ee]
    inside = ready < T
    col_upper[ucol[~inside | (net.cap_e[ee, tt] <= 0)]] = 0.0
    keep_e = 1.0 - np.array([e.loss_share for e in inst.entry_points], dtype=float)  # usable share of a tonne entered
    m.put(bal(kk[inside], ee[inside], ready[inside]), ucol[inside], -keep_e[ee[inside]])
    # stock carried from t to t+1
    kk, jj, tt = (x.ravel() for x in np.indices((K, M, T)))
    icol = off["stock"] + np.arange(K * M * T)
    m.put(bal(kk, E + jj, tt), icol, 1.0)
    nxt = tt + 1 < T
    m.put(bal(kk[nxt], E + jj[nxt], tt[nxt] + 1), icol[nxt], -1.0)


def _no_dead_goods(
    inst: SupplyInstance, net: _Net, off: dict[str, int], col_upper: np.ndarray, demand: np.ndarray
) -> None:
    """Nothing goes where nobody needs it: a site takes a commodity only up to the last day someone there needs it
    (and never if nobody does), and an arc carries only its commodities. Presolve then drops those columns."""
    K, E, W, S, A, M, T = net.K, net.E, net.W, net.S, net.A, net.M, net.T
    fcol = off["flow"] + np.arange(K * A * T)
    owed_site = owed_to_date(demand, net.carry)  # [K, S, T]
    last = np.where(owed_site.any(axis=2), T - 1 - np.argmax(owed_site[:, :, ::-1] > 0, axis=2), -1)  # [K, S]
    to_site = net.dst >= E + W
    kk, aa, tt = (x.ravel() for x in np.indices((K, A, T)))
    dead = to_site[aa] & (tt + net.dd[aa] > last[kk, np.maximum(net.dst[aa] - E - W, 0)])
    allowed = np.array(
        [[not a.commodities or c.id in a.commodities for a in inst.arcs] for c in inst.commodities], dtype=bool
    ).reshape(K, A)
    col_upper[fcol[dead | ~allowed[kk, aa]]] = 0.0
    kk, ss, tt = (x.ravel() for x in np.indices((K, S, T)))
    col_upper[off["stock"] + (kk * M + W + ss) * T + tt] = np.where(tt >= last[kk, ss], 0.0, np.inf)


def _production_columns(
    inst: SupplyInstance, net: _Net, off: dict[str, int], col_upper: np.ndarray, m: _Entries
) -> None:
    """Local production: +1 at its node and day (-1 in the balance), up to its rate; its inputs (fuel) are used up
    where and when it is produced."""
    P, T = net.P, net.T
    if not P:
        return
    pk = np.array([net.kidx[p.commodity] for p in inst.production], dtype=np.int64)
    pn = np.array([net.nidx[p.node] for p in inst.production], dtype=np.int64)
    pp, tt = (x.ravel() for x in np.indices((P, T)))
    qcol = off["prod"] + np.arange(P * T)
    m.put(net.bal(pk[pp], pn[pp], tt), qcol, -1.0)
    col_upper[qcol] = np.array([p.t_per_day for p in inst.production], dtype=float).ravel()
    for i, p in enumerate(inst.production):
        for k, f in p.inputs.items():
            days_i = np.arange(T)
            m.put(net.bal(np.full(T, net.kidx[k]), np.full(T, pn[i]), days_i), off["prod"] + i * T + days_i, float(f))


def _shortfall_terms(
    net: _Net, cells: _LpCells, cols: _Columns, deep_share: float, col_upper: np.ndarray
) -> tuple[Terms, np.ndarray]:
    """A cell's shortfall s[j, t] = (sig1 + sig2)[k, class, t] x ref[j, t] + c1 + c2 - b: each term is a column
    with a coefficient, listed once for the balance rows, the extra rows, the costs and the report map. Also
    returns which (cell, day) pairs hold the common share."""
    K, T, C, J, B = net.K, net.T, cols.C, cols.J, cols.B
    sizes, off, b_cells = cols.sizes, cols.off, cols.b_cells
    jj, tt = (x.ravel() for x in np.indices((J, T)))
    rflat = cells.ref.ravel()
    terms: Terms = [(jj, tt, off["c1"] + jj * T + tt, np.ones(J * T))]
    if sizes["c2"]:
        terms.append((jj, tt, off["c2"] + jj * T + tt, np.ones(J * T)))
        col_upper[off["c1"] + jj * T + tt] = deep_share * rflat
        col_upper[off["c2"] + jj * T + tt] = (1.0 - deep_share) * rflat
    else:
        col_upper[off["c1"] + jj * T + tt] = rflat
    # the common share holds for every commodity under equal or priority sharing (see SHARE_OWED)
    on_share = (~net.carry[cells.k[jj]] | SHARE_OWED) if C else np.zeros(J * T, dtype=bool)
    for name in ("sig1", "sig2"):
        if sizes[name]:
            terms.append(
                (
                    jj[on_share],
                    tt[on_share],
                    off[name] + (cells.k[jj[on_share]] * C + cells.cls[jj[on_share]]) * T + tt[on_share],
                    rflat[on_share],
                )
            )
    if sizes["sig2"]:
        col_upper[off["sig1"] : off["sig1"] + K * C * T] = deep_share
        col_upper[off["sig2"] : off["sig2"] + K * C * T] = 1.0 - deep_share
    elif C:
        col_upper[off["sig1"] : off["sig1"] + K * C * T] = 1.0
    if B:
        bj, bt = (x.ravel() for x in np.indices((B, T)))
        terms.append((b_cells[bj], bt, off["b"] + bj * T + bt, -np.ones(B * T)))
        col_upper[off["b"] + bj * T + bt] = cells.ref[b_cells[bj], bt]
    return terms, on_share


def _shortfall_balance(inst: SupplyInstance, net: _Net, cells: _LpCells, terms: Terms, m: _Entries) -> np.ndarray:
    """The shortfall terms in the balance rows (less consumed on the day; owed again the next day for carry-over
    commodities), and the balance rows' right-hand side: minus the need, plus the initial stock on day 0."""
    K, E, M, T = net.K, net.E, net.M, net.T
    nodes = E + net.W + cells.site
    again = net.carry[cells.k]
    for cj, ct, col, coef in terms:  # zero coefficients (no need that day) are kept: one structure for all needs
        m.put(net.bal(cells.k[cj], nodes[cj], ct), col, -coef)  # short on the day: less consumed
        nx = again[cj] & (ct + 1 < T)  # owed again the next day
        m.put(net.bal(cells.k[cj[nx]], nodes[cj[nx]], ct[nx] + 1), col[nx], coef[nx])
    init = np.zeros((K, M))
    holders: list[Warehouse | Site] = [*inst.warehouses, *inst.sites]
    for j, x in enumerate(holders):
        for k, v in x.initial_t.items():
            init[net.kidx[k], j] += v
    jj, tt = (x.ravel() for x in np.indices((cells.k.size, T)))
    rhs = np.zeros(K * net.N * T)
    np.add.at(rhs, net.bal(cells.k[jj], nodes[jj], tt), -cells.need.ravel())
    rhs[net.bal(np.arange(K)[:, None], E + np.arange(M)[None, :], np.zeros((1, 1), dtype=np.int64)).ravel()] += (
        init.ravel()
    )
    return rhs


def _capacity_rows(
    inst: SupplyInstance, net: _Net, off: dict[str, int], m: _Entries
) -> dict[str, tuple[int, np.ndarray]]:
    """Capacity rows (<=): entry (in trucks), arc (t and truckloads), warehouse and site storage; per kind its first
    row and owners (one block of T rows each)."""
    K, E, W, A, M, T = net.K, net.E, net.W, net.A, net.M, net.T
    rows: dict[str, tuple[int, np.ndarray]] = {}

    def cap_block(kind: str, owners: np.ndarray, caps: np.ndarray, col_of: Any, coef: Any = 1.0) -> None:
        """One row per (owner, day): Σ_k coef[k, owner] var[k, owner, t] ≤ caps[owner, t]."""
        if owners.size == 0:
            return
        B_ = owners.size
        kk, bb, tt = (x.ravel() for x in np.indices((K, B_, T)))
        m.put(m.r0 + bb * T + tt, col_of(kk, owners[bb], tt), 1.0 if np.isscalar(coef) else coef[kk, owners[bb]])
        rows[kind] = (m.r0, owners)
        m.add_rows(np.full(B_ * T, -np.inf), np.asarray(caps, dtype=float).reshape(B_ * T))

    # a truck carries payload[k] of commodity k: capacity (t at the entry's own payload) counts trucks
    pay_e = np.array([e.payload(inst.payload_t) for e in inst.entry_points], dtype=float)
    pay_ke = inst.entry_payloads()
    cap_block(
        "entry_capacity",
        np.arange(E),
        net.cap_e,
        lambda k, e, t: off["entry"] + (k * E + e) * T + t,
        pay_e[None, :] / pay_ke,
    )
    ac = np.array([i for i, a in enumerate(inst.arcs) if a.capacity_t_per_day is not None], dtype=np.int64)
    cap_block(
        "arc_capacity",
        ac,
        np.repeat([[inst.arcs[i].capacity_t_per_day] for i in ac], T, axis=1) if ac.size else np.zeros((0, T)),
        lambda k, a, t: off["flow"] + (k * A + a) * T + t,
    )
    lc = np.array([i for i, a in enumerate(inst.arcs) if a.capacity_loads_by_day is not None], dtype=np.int64)
    if lc.size:  # a stage counted in truckloads (collection, convoy movements): Σ_k flow_k / payload_k <= loads
        pay_ka = np.array([[inst.payload(c, a.payload_t) for a in inst.arcs] for c in inst.commodities]).reshape(K, A)
        cap_block(
            "arc_loads",
            lc,
            np.array([inst.arcs[i].capacity_loads_by_day for i in lc], dtype=float),
            lambda k, a, t: off["flow"] + (k * A + a) * T + t,
            1.0 / pay_ka,
        )
    wc = np.array([i for i, w in enumerate(inst.warehouses) if w.capacity_t is not None], dtype=np.int64)
    cap_block(
        "warehouse_storage",
        wc,
        np.repeat([[inst.warehouses[i].capacity_t] for i in wc], T, axis=1) if wc.size else np.zeros((0, T)),
        lambda k, j, t: off["stock"] + (k * M + j) * T + t,
    )
    sc = np.array([i for i, s in enumerate(inst.sites) if s.storage_t is not None], dtype=np.int64)
    cap_block(
        "site_storage",
        sc,
        np.repeat([[inst.sites[i].storage_t] for i in sc], T, axis=1) if sc.size else np.zeros((0, T)),
        lambda k, j, t: off["stock"] + (k * M + W + j) * T + t,
    )
    return rows


def _cell_rows(m: _Entries, terms: Terms, sel: np.ndarray, lag: int, upper: np.ndarray, sign: float = 1.0) -> None:
    """One row per (cell, day) in `sel` (a [J, T] mask): sign x (s[j, t] - s[j, t - 1] if lag) <= upper."""
    J, T = sel.shape
    rid = np.full((J, T), -1, dtype=np.int64)
    n = int(sel.sum())
    rid[sel] = m.r0 + np.arange(n)
    for cj, ct, col, coef in terms:
        r = rid[cj, ct]
        ok = r >= 0
        m.put(r[ok], col[ok], sign * coef[ok])
        if lag:
            prev = ct + 1 < T
            r = rid[cj[prev], ct[prev] + 1]
            ok = r >= 0
            m.put(r[ok], col[prev][ok], -sign * coef[prev][ok])
    m.add_rows(np.full(n, -np.inf), upper[sel])


def _shortfall_rows(
    inst: SupplyInstance, net: _Net, cells: _LpCells, cols: _Columns, terms: Terms, m: _Entries
) -> None:
    J, T = cols.J, net.T
    again = net.carry[cells.k]
    # nothing owed is taken back: s[t] - s[t-1] <= need[t] (s[0] <= need[0]) for carry-over commodities
    if J:
        _cell_rows(m, terms, np.repeat(again[:, None], T, axis=1), 1, cells.need)
    # a cell that may do better than the common share (its own well) does not do better than its need: s >= 0
    if cols.B:
        mask = np.zeros((J, T), dtype=bool)
        mask[cols.b_cells] = True
        _cell_rows(m, terms, mask, 0, np.zeros((J, T)), -1.0)
    # groups with their own share at one site (priority) cannot hand their goods to another: s <= need
    if inst.sharing == "priority" and J:
        _cell_rows(m, terms, np.repeat(~again[:, None], T, axis=1), 0, cells.ref)


def _costs(
    inst: SupplyInstance,
    net: _Net,
    cells: _LpCells,
    cols: _Columns,
    gfac_c: np.ndarray,
    on_share: np.ndarray,
    deep_factor: float,
    deep_c1: float,
    cell_group: list[str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(deprivation cost with tie-breaks, deprivation as reported, truckloads) per column."""
    K, E, A, T, C, J, B = net.K, net.E, net.A, net.T, cols.C, cols.J, cols.B
    sizes, off, b_cells = cols.sizes, cols.off, cols.b_cells
    jj, tt = (x.ravel() for x in np.indices((J, T)))
    rflat = cells.ref.ravel()
    prio = np.array([c.priority for c in inst.commodities], dtype=float)
    # Tie-break between equally costly plans: a shortfall on a later day costs a hair less, so the
    # plan serves people now and only rations early where the convex cost asks for it.
    later = 1.0 + TIME_TIE_BREAK * (T - 1 - np.arange(T)) / max(T - 1, 1)
    # and which cell goes short on which day among equally deprived plans: by a hash of its identity (`tiebreak`)
    keys = cell_keys(inst, cells.k, cells.site, [{cell_group[q] for q in m} for m in cells.members])
    tie = cell_day_factors(keys, T, min(CELL_TIE_BREAK, 0.5 * TIME_TIE_BREAK / max(T - 1, 1)))
    gfac = gfac_c[cells.cls] if C > 1 else np.ones(J)
    w = prio[cells.k] * gfac  # [J] deprivation weight per tonne
    cost1 = np.zeros(cols.n_col)
    true1 = np.zeros(cols.n_col)
    c1 = off["c1"] + jj * T + tt
    # shared: a cell worse off than the common share pays the deep rate (with tiers) and the sharing penalty
    cost1[c1] = (w[jj] * later[tt] * tie[jj, tt]) * np.where(on_share, deep_c1 * (1.0 + FAIR_WEIGHT), 1.0)
    true1[c1] = prio[cells.k[jj]] * np.where(on_share, deep_c1, 1.0)
    if sizes["c2"]:
        cost1[off["c2"] + jj * T + tt] = w[jj] * later[tt] * tie[jj, tt] * deep_factor
        true1[off["c2"] + jj * T + tt] = prio[cells.k[jj]] * deep_factor
    for name, f in (("sig1", 1.0), ("sig2", deep_factor)):
        if sizes[name]:
            js, ts = jj[on_share], tt[on_share]
            col = off[name] + (cells.k[js] * C + cells.cls[js]) * T + ts
            np.add.at(cost1, col, w[js] * later[ts] * rflat[on_share] * f)
            np.add.at(true1, col, prio[cells.k[js]] * rflat[on_share] * f)
    if B:
        bj, bt = (x.ravel() for x in np.indices((B, T)))
        cost1[off["b"] + bj * T + bt] = -w[b_cells[bj]] * later[bt] * tie[b_cells[bj], bt] * (1.0 - FAIR_WEIGHT)
        true1[off["b"] + bj * T + bt] = -prio[cells.k[b_cells[bj]]]
    cost2 = np.zeros(cols.n_col)
    if A:
        trucked = np.array([a.trucked for a in inst.arcs], dtype=float)
        per_a = (
            np.array([[1.0 / inst.payload(c, a.payload_t) for a in inst.arcs] for c in inst.commodities])
            * trucked[None, :]
        )
        cost2[off["flow"] : off["flow"] + K * A * T] = np.repeat(per_a.ravel(), T)
    if E:
        cost2[off["entry"] : off["entry"] + K * E * T] = np.repeat((1.0 / inst.entry_payloads()).ravel(), T)
    return cost1, true1, cost2


def _report_map(cells: _LpCells, terms: Terms, cell_dem: np.ndarray, n_col: int) -> sp.csr_matrix:
    """Each report cell's shortfall from the LP columns: a merged cell's shortfall is shared by its groups in
    proportion to their need (a cell of one group, or of a carry-over commodity, stands for itself)."""
    K, Q, T = cell_dem.shape
    J = cells.k.size
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
    return sp.csr_matrix(
        (
            np.concatenate(m_vals) if m_vals else np.zeros(0),
            (
                np.concatenate(m_rows) if m_rows else np.zeros(0, dtype=np.int64),
                np.concatenate(m_cols) if m_cols else np.zeros(0, dtype=np.int64),
            ),
        ),
        shape=(K * Q * T, n_col),
    )


def _site_stock_cols(inst: SupplyInstance, net: _Net, off: dict[str, int], col_upper: np.ndarray) -> np.ndarray:
    """Site stock columns that may be 0 in a feasible plan: all with a positive bound, except the series of a site
    and commodity with initial stock (which must be held until it is used)."""
    K, W, S, M, T = net.K, net.W, net.S, net.M, net.T
    kk, ss = (x.ravel() for x in np.indices((K, S)))
    has_init = np.array([[inst.sites[s].initial_t.get(c.id, 0.0) > 0 for s in range(S)] for c in inst.commodities])
    keep = ~has_init.reshape(K, S)[kk, ss]
    cols = (off["stock"] + ((kk[keep] * M + W + ss[keep]) * T)[:, None] + np.arange(T)[None, :]).ravel()
    return cols[col_upper[cols] > 0].astype(np.int64)


def _build_lp(inst: SupplyInstance, deep_share: float, deep_factor: float, transit: int = 0) -> _Lp:
    """The LP in the column and row order the solve and the warm starts rely on: balance rows, then capacity rows,
    then the shortfall rows; columns as `_Columns` lays them out. The last ``transit`` warehouses are transit hubs
    (`corridors.aggregate`): their stock is fixed at 0."""
    net = _net(inst)
    K, S, T = net.K, net.S, net.T
    cell_site, cell_group, cell_dem, cell_people, listed = _cells(inst, net.kidx, T)
    demand = np.zeros((K, S, T))
    np.add.at(demand, (slice(None), cell_site), cell_dem)  # type: ignore[arg-type]  # numpy's stubs: no slice
    shared = inst.sharing != "none"
    classes, gfac_c, C = _sharing_classes(inst, cell_group)
    cells = _lp_cells(
        inst, cell_site, cell_group, cell_dem, listed, net.carry, classes, net.nidx, net.kidx, net.E, net.W
    )
    tiers = deep_factor != 1.0 and deep_share < 1.0
    cols = _columns(net, cells, C, tiers, shared)
    n_bal = K * net.N * T

    col_upper = np.full(cols.n_col, np.inf)
    m = _Entries(r0=n_bal)
    _goods_columns(inst, net, cols.off, col_upper, m)
    _no_dead_goods(inst, net, cols.off, col_upper, demand)
    if transit:
        hub = net.W - transit + np.arange(transit)
        col_upper[
            (cols.off["stock"] + (np.arange(K)[:, None, None] * net.M + hub[None, :, None]) * T + np.arange(T)).ravel()
        ] = 0.0
    _production_columns(inst, net, cols.off, col_upper, m)
    terms, on_share = _shortfall_terms(net, cells, cols, deep_share, col_upper)
    rhs = _shortfall_balance(inst, net, cells, terms, m)
    m.lower.append(rhs)
    m.upper.append(rhs)
    rows = _capacity_rows(inst, net, cols.off, m)
    _shortfall_rows(inst, net, cells, cols, terms, m)

    matrix = sp.csc_matrix(
        (np.concatenate(m.vals), (np.concatenate(m.rows), np.concatenate(m.cols))), shape=(m.r0, cols.n_col)
    )
    matrix.sum_duplicates()  # explicit zeros stay: the sharing coefficients of a day nobody needs anything
    # the sharing columns' coefficients are the cells' need (all of their entries): updated on a warm start
    sig_lo, sig_hi = cols.off["sig1"], cols.off["sig2"] + cols.sizes["sig2"]
    fair_entries = np.arange(matrix.indptr[sig_lo], matrix.indptr[sig_hi], dtype=np.int64)
    deep_c1 = deep_factor if shared and tiers else 1.0
    cost1, true1, cost2 = _costs(inst, net, cells, cols, gfac_c, on_share, deep_factor, deep_c1, cell_group)
    return _Lp(
        K=K,
        E=net.E,
        W=net.W,
        S=S,
        A=net.A,
        P=net.P,
        T=T,
        Q=cell_site.size,
        off=cols.off,
        n_col=cols.n_col,
        n_bal=n_bal,
        rows=rows,
        matrix=matrix,
        row_lower=np.concatenate(m.lower),
        row_upper=np.concatenate(m.upper),
        col_upper=col_upper,
        cost1=cost1,
        true1=true1,
        cost2=cost2,
        rhs_bal=rhs,
        entry_cap=net.cap_e,
        demand=demand,
        arc_src=net.src,
        arc_dst=net.dst,
        arc_days=net.dd,
        cell_site=cell_site,
        cell_group=cell_group,
        cell_demand=cell_dem,
        cell_people=cell_people,
        carry=net.carry,
        short_map=_report_map(cells, terms, cell_dem, cols.n_col),
        short_cols=np.arange(cols.off["c1"], cols.n_col, dtype=np.int64),
        fair_entries=fair_entries,
        site_stock_cols=_site_stock_cols(inst, net, cols.off, col_upper),
    )
