"""Supply OPERATED day by day without foresight: an ensemble member's crossings admit that day's trucks and the goods
are loaded and shared by a myopic rule, instead of a plan over the whole horizon (the LP, `solve`), which knows the
member's closures and daily trucks from day 0 and so pre-positions stock ahead of closures nobody could foresee.

The rule, each day ``t`` (tonnes; nothing it uses is known later than day ``t``):

1. goods due today arrive (in transit, or out of inspection at a crossing);
2. local production (wells, plants: production lines at nodes without incoming arcs) first: each line makes up to
   its rate what the locations it reaches lack today (a store with room, such as a package's tents, keeps the rest);
3. each open crossing, then each warehouse, in the order goods flow (arcs), loads and sends on:

   * a crossing fills that day's trucks (capacity with closures applied, counted in trucks as the LP does) with the
     day's lack of the locations it serves, the most deprivation per truckload first (the LP's weights: priority x
     payload, the part of a lack beyond ``deep_share`` of the need at ``deep_factor``, an item owed until delivered
     x the days left, as it is short again each day); trucks left over carry the cargo mix in truckloads the
     reference plan (``reference``: the declared scenario's plan) used there that day, else its mix there over the
     horizon (no reference: nothing more), into the free storage of the locations it serves;
   * goods leave along the arcs to the locations (and warehouses) the node serves: first each one's lack (its
     need today, plus what is still owed of an item owed until delivered, minus what it holds and what is on the
     way to it), in proportion to it (equal sharing, as the plan's default), then what is left in proportion to
     the storage each has free; a warehouse keeps what it could not send (up to its capacity); what inspection let
     through at a crossing goes on even above storage (a crossing holds no stock); what no arc can take (arc
     capacity) is lost there;

4. each location consumes up to its need (every group the same share of its need: equal sharing) and stores the
   rest (up to its storage); an item owed until delivered stays owed.

Losses at the crossings and on the way are as the instance declares. Goods already committed (on the way, in
inspection) that find no room on arrival are kept above the storage capacity and the result's message says how
much (nothing vanishes). Not modelled: priority sharing between groups (groups share equally), the production of
plants fed by trucked fuel is made after the trucks are sent (the trucks do not count on it that day).

The result has the arrays of a plan (`SupplyResult`): need, shortfall and consumption per cell, commodity and day,
stock, entry use, flows; no binding constraints or duals (nothing was optimised), gap None, status
``STATUS``. Its deprivation is the LP's measure of the same shortfalls without the sharing term: per report cell,
``priority x (s1 + deep_factor x s2)`` with ``s1 <= deep_share x need``.
"""

from __future__ import annotations

import time
from collections import deque

import numpy as np

from .cells import _cells
from .lp import _net
from .model import DEEP_FACTOR, DEEP_SHARE, Site, SupplyInstance, SupplyResult, Warehouse, owed_to_date
from .results import fleet_requirements

STATUS = "operated (no foresight)"


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
    return seen + [n for n in range(n_nodes) if n not in set(seen)]


def operate_supply(
    instance: SupplyInstance,
    reference: SupplyResult | None = None,
    *,
    deep_share: float = DEEP_SHARE,
    deep_factor: float = DEEP_FACTOR,
) -> SupplyResult:
    """The instance operated day by day without foresight (module doc); ``reference``: the plan whose cargo mix the
    crossings load into the trucks the day's lack leaves (None: those trucks stay empty)."""
    t0 = time.perf_counter()
    inst, net = instance, _net(instance)
    K, E, W, S, A, P, T = net.K, net.E, net.W, net.S, net.A, net.P, net.T
    N, M = E + W + S, W + S
    cell_site, cell_group, cell_dem, cell_people, _listed = _cells(inst, net.kidx, T)
    Q = cell_site.size
    carry = net.carry
    # site of each cell as a [S, Q] 0/1 matrix: cell needs summed per site
    site_cells = np.zeros((S, Q))
    site_cells[cell_site, np.arange(Q)] = 1.0

    # node arrays: stock held at warehouses and sites (by node index - E), capacity, arrivals still to come
    cap = np.full(M, np.inf)
    for j, w in enumerate(inst.warehouses):
        if w.capacity_t is not None:
            cap[j] = w.capacity_t
    for s, site in enumerate(inst.sites):
        if site.storage_t is not None:
            cap[W + s] = site.storage_t
    stock = np.zeros((K, M))
    holders: list[Warehouse | Site] = [*inst.warehouses, *inst.sites]
    for j, h in enumerate(holders):
        for k, v in h.initial_t.items():
            stock[net.kidx[k], j] += v
    horizon_pad = int(max(net.dd.max(initial=0), net.delay.max(initial=0))) + 1
    due = np.zeros((K, N, T + horizon_pad))  # goods arriving at a node (or out of inspection at a crossing) on a day
    coming = np.zeros((K, N))  # everything still to arrive at a node
    keep_a = 1.0 - np.array([a.loss_share for a in inst.arcs], dtype=float)
    keep_e = 1.0 - np.array([e.loss_share for e in inst.entry_points], dtype=float)
    allowed = np.array(
        [[not a.commodities or c.id in a.commodities for a in inst.arcs] for c in inst.commodities], dtype=bool
    ).reshape(K, A)
    pay_ke = inst.entry_payloads()  # [K, E]
    pay_e = np.array([e.payload(inst.payload_t) for e in inst.entry_points], dtype=float)
    arc_cap_t = np.array([np.inf if a.capacity_t_per_day is None else a.capacity_t_per_day for a in inst.arcs])
    arc_loads = np.array(
        [
            np.full(T, np.inf) if a.capacity_loads_by_day is None else np.asarray(a.capacity_loads_by_day, float)[:T]
            for a in inst.arcs
        ]
    ).reshape(A, T)
    pay_ka = np.array([[inst.payload(c, a.payload_t) for a in inst.arcs] for c in inst.commodities]).reshape(K, A)
    trucked = np.array([a.trucked for a in inst.arcs], dtype=bool)
    out_arcs: list[np.ndarray] = [np.flatnonzero(net.src == n) for n in range(N)]
    prod_k = np.array([net.kidx[p.commodity] for p in inst.production], dtype=np.int64)
    prod_n = np.array([net.nidx[p.node] for p in inst.production], dtype=np.int64)
    rate = np.array([p.t_per_day for p in inst.production], dtype=float).reshape(P, T)
    has_in = np.zeros(N, dtype=bool)
    has_in[net.dst] = True
    producer = np.zeros(N, dtype=bool)
    producer[prod_n] = True
    order = [n for n in _order(N, net.src, net.dst, producer & ~has_in) if n < E + W]
    # warehouses goods reach and send on, downstream ones first (their lack adds up upstream)
    fed_wh = [n - E for n in reversed(order) if E <= n and has_in[n] and out_arcs[n].size]
    mix_day, mix_horizon = reference_mix(inst, reference)
    prio = np.array([c.priority for c in inst.commodities], dtype=float)
    tiers = deep_factor != 1.0 and deep_share < 1.0

    entry_use = np.zeros((K, E, T))
    flow = np.zeros((K, A, T))
    prod = np.zeros((P, T))
    stock_t = np.zeros((K, M, T))
    cell_short = np.zeros((K, Q, T))
    cell_used = np.zeros((K, Q, T))
    delivered = np.zeros((K, S, T))
    produced_site = np.zeros((K, S, T))
    input_used = np.zeros((K, T))  # production inputs (fuel) used up
    stranded = np.zeros(K)  # out of inspection at a crossing with no arc to take it (capacity): lost there
    entry_use_lost = np.zeros((K, E, T))
    owed = np.zeros((K, Q))  # items owed until delivered, still owed from earlier days
    over_storage = 0.0

    for t in range(T):
        arr = due[:, :, t]
        coming -= arr
        stock += arr[:, E:]
        delivered[:, :, t] += arr[:, E + W :]
        ready_e = arr[:, :E].copy()  # out of inspection today at each crossing
        need_q = cell_dem[:, :, t] + np.where(carry[:, None], owed, 0.0)  # [K, Q] today, with what is still owed
        need_s = need_q @ site_cells.T  # [K, S]
        # deprivation per tonne lacking today; an item owed until delivered is short again every day it is not
        w_t = prio * np.where(carry, T - t, 1.0)

        for n in order:
            a = out_arcs[n]
            if n < E and a.size == 0:
                stranded += ready_e[:, n]
                entry_use_lost[:, n, t] += ready_e[:, n]
                continue
            lack, deep, room = _lack_room(
                stock + coming[:, E:], need_s, cap, E, W, deep_share, fed_wh, out_arcs, net.dst, allowed
            )
            inside = t + net.dd[a] < T  # goods arriving after the horizon are not sent (the LP's rule too)
            want = lack[:, net.dst[a]] * allowed[:, a] * inside / keep_a[a]  # [K, a] t to send to cover the lack
            free = room[net.dst[a]] * inside  # [a]
            if n < E:
                e = n
                if net.cap_e[e, t] > 0 and t + net.delay[e] < T:
                    x = _load(
                        net.cap_e[e, t] / pay_e[e],
                        pay_ke[:, e],
                        mix_day[:, e, t] if mix_day[:, e, t].any() else mix_horizon[:, e],
                        want.sum(axis=1) / keep_e[e],
                        (deep[:, net.dst[a]] * allowed[:, a] * inside / keep_a[a]).sum(axis=1) / keep_e[e],
                        w_t * (deep_factor if tiers else 1.0),
                        w_t,
                        (allowed[:, a] * inside).any(axis=1),
                        float(free.sum()) / keep_e[e],
                    )
                    entry_use[:, e, t] = x
                    if net.delay[e] == 0:
                        ready_e[:, e] += x * keep_e[e]
                    else:
                        due[:, e, t + net.delay[e]] += x * keep_e[e]
                        coming[:, e] += x * keep_e[e]
                avail = ready_e[:, e].copy()
                ready_e[:, e] = 0.0
            else:
                j = n - E
                made = np.flatnonzero(prod_n == n)
                for p in made:  # production: up to the rate and the inputs held, only what the targets lack
                    k = prod_k[p]
                    # a store keeps what it makes (up to its room: a package's tents); a plant makes what is lacking
                    q = min(rate[p, t], float(want[k].sum()) + max(cap[j] - stock[:, j].sum(), 0.0))
                    for ik, f in inst.production[p].inputs.items():
                        q = min(q, stock[net.kidx[ik], j] / f) if f > 0 else q
                    q = max(q, 0.0)
                    prod[p, t] = q
                    stock[k, j] += q
                    for ik, f in inst.production[p].inputs.items():
                        stock[net.kidx[ik], j] -= q * f
                        input_used[net.kidx[ik], t] += q * f
                avail = stock[:, j].copy()
                if made.size and not has_in[n]:
                    free = free * 0.0  # local production covers the lack only (module doc)
            if a.size == 0 or not avail.any():
                continue
            x = _share(avail, want, free, allowed[:, a] * inside)
            if n < E:  # a crossing holds no stock: what inspection let through goes on, over storage if need be
                x += _spread(avail - x.sum(axis=1), allowed[:, a] * inside)
            x = _arc_caps(x, arc_cap_t[a], arc_loads[a, t], pay_ka[:, a], trucked[a])
            sent = x.sum(axis=1)
            if n < E:
                stranded += avail - sent
                entry_use_lost[:, n, t] += avail - sent
            else:
                stock[:, n - E] -= sent
            flow[:, a, t] = x
            got = x * keep_a[a]
            d, dst = net.dd[a], net.dst[a]
            now = d == 0
            np.add.at(stock, (slice(None), dst[now] - E), got[:, now])  # type: ignore[arg-type]
            site_now = now & (dst >= E + W)
            np.add.at(delivered[:, :, t], (slice(None), dst[site_now] - E - W), got[:, site_now])  # type: ignore[arg-type]
            later = ~now
            if later.any():
                np.add.at(due, (slice(None), dst[later], t + d[later]), got[:, later])  # type: ignore[arg-type]
                np.add.at(coming, (slice(None), dst[later]), got[:, later])  # type: ignore[arg-type]

        # production at the locations themselves (a site's own well): before the day's consumption
        for p in np.flatnonzero(prod_n >= E + W):
            s, k = prod_n[p] - E - W, prod_k[p]
            q = min(rate[p, t], max(need_s[k, s] - stock[k, W + s], 0.0))
            prod[p, t] = q
            stock[k, W + s] += q
            produced_site[k, s, t] += q

        # consumption: each cell the same share of its need (equal sharing), the rest stored
        have = stock[:, W:]
        used_s = np.minimum(have, need_s)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(need_s > 0, used_s / np.where(need_s > 0, need_s, 1.0), 0.0)  # [K, S]
        used_q = need_q * share[:, cell_site]
        cell_used[:, :, t] = used_q
        short_q = need_q - used_q
        cell_short[:, :, t] = short_q
        owed = np.where(carry[:, None], short_q, 0.0)
        stock[:, W:] = np.maximum(have - used_s, 0.0)
        over_storage = max(over_storage, float(np.max(stock[:, W:].sum(axis=0) - cap[W:], initial=0.0)))
        stock_t[:, :, t] = stock

    # what an item owed until delivered hands out on a day: the day's need and what was owed, less what is still owed
    cell_used_k = cell_used
    cell_short_c = np.clip(cell_short, 0.0, owed_to_date(cell_dem, carry))
    short_s = np.einsum("kqt,sq->kst", cell_short_c, site_cells)
    used_s_t = np.einsum("kqt,sq->kst", cell_used_k, site_cells)
    demand = np.einsum("kqt,sq->kst", cell_dem, site_cells)
    entry_lost = entry_use * (1.0 - keep_e)[None, :, None] + entry_use_lost
    arc_lost = flow * (1.0 - keep_a)[None, :, None]
    residual = _residual(
        stock_t,
        entry_use,
        entry_lost,
        arc_lost,
        prod,
        prod_k,
        used_s_t,
        input_used,
        due[:, :, T:],
        inst,
        net.kidx,
        K,
        M,
    )
    notes = [
        "operated day by day without foresight: no optimisation, so no binding constraints, shadow prices or gap",
        "crossings load the day's lack, most deprivation per truckload first"
        + (", then the declared plan's cargo mix into free storage" if reference is not None else "")
        + "; groups share each location's goods equally",
    ]
    if over_storage > 1e-6:
        notes.append(
            f"goods already on the way found no storage room on arrival: up to {over_storage:,.1f} t kept above it"
        )
    if stranded.sum() > 1e-6:
        notes.append(
            f"{stranded.sum():,.1f} t out of inspection found no arc to take it on (arc capacity): counted as lost at "
            "the crossing"
        )
    result = SupplyResult(
        status=STATUS,
        objective_deprivation=deprivation(inst, cell_dem, cell_short_c, carry, deep_share, deep_factor),
        objective_trucks=None,
        best_bound=None,
        gap=None,
        days=T,
        commodity_ids=[c.id for c in inst.commodities],
        entry_ids=[e.id for e in inst.entry_points],
        warehouse_ids=[w.id for w in inst.warehouses],
        site_ids=[s.id for s in inst.sites],
        entry_capacity_t=net.cap_e,
        entry_use_t=entry_use,
        flow_t=flow,
        warehouse_stock_t=stock_t[:, :W],
        site_stock_t=stock_t[:, W:],
        production_t=prod,
        demand_t=demand,
        shortfall_t=short_s,
        delivered_t=delivered,
        produced_at_site_t=produced_site,
        binding=[],
        fleet=[],
        max_conservation_residual_t=residual,
        solve_time_s=0.0,
        message="; ".join(notes),
        method="operate",
        consumed_t=used_s_t,
        carry_over=[bool(c) for c in carry],
        cell_site=cell_site,
        cell_group=cell_group,
        cell_demand_t=cell_dem,
        cell_shortfall_t=cell_short_c,
        cell_consumed_t=cell_used_k,
        cell_people=cell_people,
        entry_lost_t=entry_lost,
        arc_lost_t=arc_lost,
    )
    result.fleet = fleet_requirements(inst, result)
    result.solve_time_s = time.perf_counter() - t0
    result.timings_s = {"operate": result.solve_time_s}
    return result


def _lack_room(
    hold: np.ndarray,
    need_s: np.ndarray,
    cap: np.ndarray,
    E: int,
    W: int,
    deep_share: float,
    fed_wh: list[int],
    out_arcs: list[np.ndarray],
    dst: np.ndarray,
    allowed: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """([K, N] what each node lacks today, [K, N] the part of it beyond deep_share of the need (deprivation at
    deep_factor), [N] its free storage), after what it holds and has coming (``hold`` [K, W + S]); a warehouse lacks
    what the locations it serves lack (through its arcs, one level), less what it holds."""
    K, N = hold.shape[0], E + hold.shape[1]
    lack = np.zeros((K, N))
    deep = np.zeros((K, N))
    room = np.zeros(N)
    left = np.maximum(hold[:, W:] - need_s, 0.0)
    lack[:, E + W :] = np.maximum(need_s - hold[:, W:], 0.0)
    deep[:, E + W :] = np.maximum(lack[:, E + W :] - deep_share * need_s, 0.0)
    room[E + W :] = np.maximum(cap[W:] - left.sum(axis=0), 0.0)
    room[E : E + W] = np.maximum(cap[:W] - hold[:, :W].sum(axis=0), 0.0)
    for j in fed_wh:  # warehouses goods reach: their own room, and what their arcs' targets lack
        a = out_arcs[E + j]
        lack[:, E + j] = np.maximum((lack[:, dst[a]] * allowed[:, a]).sum(axis=1) - hold[:, j], 0.0)
        deep[:, E + j] = np.maximum((deep[:, dst[a]] * allowed[:, a]).sum(axis=1) - hold[:, j], 0.0)
        room[E + j] += room[dst[a]].sum()
    return lack, deep, room


def _load(
    trucks: float,
    pay_k: np.ndarray,
    mix_k: np.ndarray,
    lack_t: np.ndarray,
    deep_t: np.ndarray,
    w_deep: np.ndarray,
    w_lack: np.ndarray,
    can: np.ndarray,
    room_t: float,
) -> np.ndarray:
    """[K] t a crossing loads into ``trucks``: first today's lack, the most deprivation per truckload first (the deep
    part of a lack, beyond deep_share of the need, at its deep weight ``w_deep``, then the rest at ``w_lack``, per
    tonne); then the trucks left by the mix (truckload shares), at most the free room in all, trucks a full commodity
    leaves going to the others."""
    x = np.zeros_like(pay_k)
    left = float(trucks)
    if left <= 0:
        return x
    # the lack in segments: (weight per truckload, commodity, t)
    segs = [(w_deep[k] * pay_k[k], k, deep_t[k]) for k in range(pay_k.size) if can[k] and deep_t[k] > 0]
    segs += [(w_lack[k] * pay_k[k], k, lack_t[k] - deep_t[k]) for k in range(pay_k.size) if can[k]]
    for _w, k, t in sorted(segs, key=lambda s: -s[0]):
        take = min(max(t, 0.0), left * pay_k[k])
        x[k] += take
        left -= take / pay_k[k]
        if left <= 1e-12:
            return x
    mix = np.where(can, mix_k, 0.0)
    room = float(room_t)
    open_k = mix > 0
    for _ in range(pay_k.size + 1):  # each round fills the room or uses every truck
        if left <= 1e-12 or room <= 1e-12 or not open_k.any():
            break
        w = np.where(open_k, mix, 0.0)
        add = left * w / w.sum() * pay_k
        if add.sum() > room:
            add *= room / add.sum()
        x += add
        room -= float(add.sum())
        left -= float((add / pay_k).sum())
    return x


def _share(avail: np.ndarray, want: np.ndarray, free: np.ndarray, can: np.ndarray) -> np.ndarray:
    """[K, a] t sent along a node's arcs: each target's lack first, in proportion to it; then what is left in
    proportion to the targets' free storage (their total at most)."""
    tot = want.sum(axis=1)
    f = np.where(tot > avail, avail / np.where(tot > 0, tot, 1.0), 1.0)
    x = want * f[:, None]
    rest = np.maximum(avail - x.sum(axis=1), 0.0)  # [K]
    room = np.where(can, free[None, :], 0.0)  # [K, a]
    endless = np.isinf(room)  # a warehouse without a capacity: what is left is shared by such targets alone
    room = np.where(endless.any(axis=1, keepdims=True), endless.astype(float), room)
    per_k = room.sum(axis=1)
    spread = np.where(per_k[:, None] > 0, room / np.where(per_k > 0, per_k, 1.0)[:, None], 0.0) * rest[:, None]
    total = spread.sum()
    cap = float(free.sum())
    if total > cap:
        spread *= cap / total if total > 0 else 0.0
    # a target's free room is shared by every commodity: at most its room in all
    by_target = spread.sum(axis=0)
    scale = np.where(by_target > free, free / np.where(by_target > 0, by_target, 1.0), 1.0)
    return x + spread * scale[None, :]


def _spread(rest: np.ndarray, can: np.ndarray) -> np.ndarray:
    """[K, a] ``rest`` [K] shared equally by the arcs that can carry each commodity."""
    n = can.sum(axis=1)
    return np.where(can, (np.where(n > 0, rest / np.where(n > 0, n, 1), 0.0))[:, None], 0.0)


def _arc_caps(
    x: np.ndarray, cap_t: np.ndarray, loads: np.ndarray, pay_k: np.ndarray, trucked: np.ndarray
) -> np.ndarray:
    """[K, a] the flows scaled down to each arc's capacity in t and in truckloads a day."""
    t = x.sum(axis=0)
    f = np.where(t > cap_t, cap_t / np.where(t > 0, t, 1.0), 1.0)
    lo = np.where(trucked, (x / pay_k).sum(axis=0), 0.0)
    f = np.minimum(f, np.where(lo > loads, loads / np.where(lo > 0, lo, 1.0), 1.0))
    return x * f[None, :]


def deprivation(
    inst: SupplyInstance,
    cell_dem: np.ndarray,
    cell_short: np.ndarray,
    carry: np.ndarray,
    deep_share: float = DEEP_SHARE,
    deep_factor: float = DEEP_FACTOR,
) -> float:
    """The LP's deprivation of these shortfalls without its sharing term: per report cell and day
    ``priority x (s1 + deep_factor x s2)``, ``s1 = min(s, deep_share x ref)``, ref the need (or all owed so far)."""
    ref = owed_to_date(cell_dem, carry)
    prio = np.array([c.priority for c in inst.commodities], dtype=float)
    tiers = deep_factor != 1.0 and deep_share < 1.0
    s1 = np.minimum(cell_short, deep_share * ref) if tiers else cell_short
    s2 = cell_short - s1
    return float((prio[:, None, None] * (s1 + deep_factor * s2)).sum())


def _residual(
    stock_t: np.ndarray,
    entry_use: np.ndarray,
    entry_lost: np.ndarray,
    arc_lost: np.ndarray,
    prod: np.ndarray,
    prod_k: np.ndarray,
    used_s: np.ndarray,
    input_used: np.ndarray,
    beyond: np.ndarray,
    inst: SupplyInstance,
    kidx: dict[str, int],
    K: int,
    M: int,
) -> float:
    """Largest |goods in - goods out| over commodities (t): initial stock + entered + produced = consumed + used by
    production + lost + stock at the end + still on the way after the horizon."""
    init = np.zeros(K)
    holders: list[Warehouse | Site] = [*inst.warehouses, *inst.sites]
    for h in holders:
        for k, v in h.initial_t.items():
            init[kidx[k]] += v
    made = np.zeros(K)
    np.add.at(made, prod_k, prod.sum(axis=1))
    goods_in = init + entry_use.sum(axis=(1, 2)) + made
    goods_out = (
        used_s.sum(axis=(1, 2))
        + input_used.sum(axis=1)
        + entry_lost.sum(axis=(1, 2))
        + arc_lost.sum(axis=(1, 2))
        + (stock_t[:, :, -1].sum(axis=1) if stock_t.shape[2] else 0.0)
        + beyond.sum(axis=(1, 2))
    )
    return float(np.abs(goods_in - goods_out).max(initial=0.0))
