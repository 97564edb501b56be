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

Code: `operate_supply` runs the days, one function per step (`_arrivals`, `_produce` and `_produce_at_locations`,
`_load_crossing`, `_send`, `_consume_and_store`), on the instance's arrays, the running state (stock, owed, in
transit) and the days' record of `operate_arrays`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from .model import DEEP_FACTOR, DEEP_SHARE, SupplyInstance, SupplyResult, owed_to_date
from .operate_arrays import Days, Fixed, Reference, State, fixed_arrays, initial_stock, start_state
from .results import fleet_requirements, named_fields

STATUS = "operated (no foresight)"


def operate_supply(
    instance: SupplyInstance,
    reference: Reference = None,
    *,
    deep_share: float = DEEP_SHARE,
    deep_factor: float = DEEP_FACTOR,
) -> SupplyResult:
    """The instance operated day by day without foresight (module doc); ``reference``: the plan whose cargo mix the
    crossings load into the trucks the day's lack leaves (None: those trucks stay empty), or what makes it when
    first needed."""
    t0 = time.perf_counter()
    fx = fixed_arrays(instance, reference, deep_share, deep_factor)
    st, rec = start_state(fx), Days.zeros(fx)
    T = fx.net.T
    for t in range(T):
        ready_e = _arrivals(fx, st, rec, t)
        need_q = fx.cell_dem[:, :, t] + np.where(fx.net.carry[:, None], st.owed, 0.0)  # [K, Q] with what is owed
        need_s = need_q @ fx.site_cells.T  # [K, S]
        # deprivation per tonne lacking today; an item owed until delivered is short again every day it is not
        w_t = fx.prio * np.where(fx.net.carry, T - t, 1.0)
        for n in fx.order:
            _node_day(fx, st, rec, n, t, ready_e, need_s, w_t)
        _produce_at_locations(fx, st, rec, t, need_s)
        _consume_and_store(fx, st, rec, t, need_q, need_s)
    result = _result(fx, st, rec)
    result.fleet = fleet_requirements(instance, result)
    result.solve_time_s = time.perf_counter() - t0
    result.timings_s = {"operate": result.solve_time_s}
    return result


def _arrivals(fx: Fixed, st: State, rec: Days, t: int) -> np.ndarray:
    """Step 1: goods due today arrive at the warehouses and locations; returns [K, E] t out of inspection today at
    each crossing."""
    E, W = fx.net.E, fx.net.W
    arr = st.due[:, :, t]
    st.coming -= arr
    st.stock += arr[:, E:]
    rec.delivered[:, :, t] += arr[:, E + W :]
    return arr[:, :E].copy()


def _node_day(
    fx: Fixed, st: State, rec: Days, n: int, t: int, ready_e: np.ndarray, need_s: np.ndarray, w_t: np.ndarray
) -> None:
    """Steps 2-4 at crossing or warehouse ``n`` on day ``t``: a crossing loads its trucks, a warehouse makes what its
    production lines can; then the node sends along its arcs."""
    net, E, W = fx.net, fx.net.E, fx.net.W
    a = fx.out_arcs[n]
    if n < E and a.size == 0:
        rec.entry_use_lost[:, n, t] += ready_e[:, n]
        return
    lack, deep, room = _lack_room(
        st.stock + st.coming[:, E:], need_s, fx.cap, E, W, fx.deep_share, fx.fed_wh, fx.out_arcs, net.dst, fx.allowed
    )
    inside = t + net.dd[a] < net.T  # goods arriving after the horizon are not sent (the LP's rule too)
    can = fx.allowed[:, a] * inside  # [K, a] the arc takes the commodity and arrives in time
    want = lack[:, net.dst[a]] * can / fx.keep_a[a]  # [K, a] t to send to cover the lack
    free = room[net.dst[a]] * inside  # [a]
    if n < E:
        deep_a = deep[:, net.dst[a]] * can / fx.keep_a[a]
        avail = _load_crossing(fx, st, rec, n, t, ready_e, can.any(axis=1), want, deep_a, free, w_t)
    else:
        avail, free = _produce(fx, st, rec, n, t, want, free)
    if a.size == 0 or not avail.any():
        return
    _send(fx, st, rec, n, t, avail, want, free, can)


def _load_crossing(
    fx: Fixed,
    st: State,
    rec: Days,
    e: int,
    t: int,
    ready_e: np.ndarray,
    can: np.ndarray,
    want: np.ndarray,
    deep_a: np.ndarray,
    free: np.ndarray,
    w_t: np.ndarray,
) -> np.ndarray:
    """Step 3 at crossing ``e``: if open, its trucks load the lack of the locations it serves (``want`` [K, a] t,
    ``deep_a`` its deep part; ``can`` [K] some arc takes the commodity), then the reference's mix into ``free``
    storage; returns [K] t out of inspection today, to send on."""
    net, keep = fx.net, fx.keep_e[e]
    if net.cap_e[e, t] > 0 and t + net.delay[e] < net.T:
        x = _load(
            net.cap_e[e, t] / fx.pay_e[e],
            fx.pay_ke[:, e],
            lambda: fx.mix.at(e, t),
            want.sum(axis=1) / keep,
            deep_a.sum(axis=1) / keep,
            w_t * (fx.deep_factor if fx.tiers else 1.0),
            w_t,
            can,
            float(free.sum()) / keep,
        )
        rec.entry_use[:, e, t] = x
        if net.delay[e] == 0:
            ready_e[:, e] += x * keep
        else:
            st.due[:, e, t + net.delay[e]] += x * keep
            st.coming[:, e] += x * keep
    avail = ready_e[:, e].copy()
    ready_e[:, e] = 0.0
    return avail


def _produce(
    fx: Fixed, st: State, rec: Days, n: int, t: int, want: np.ndarray, free: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Step 2 at warehouse ``n``: each production line makes up to its rate and the inputs held, only what the
    targets lack (``want`` [K, a] t; a store keeps what it makes, up to its room: a package's tents); returns ([K] t
    to send, [a] t of free storage the node may fill: none where local production covers the lack only)."""
    j = n - fx.net.E
    made = np.flatnonzero(fx.prod_n == n)
    for p in made:
        k = fx.prod_k[p]
        q = min(fx.rate[p, t], float(want[k].sum()) + max(fx.cap[j] - st.stock[:, j].sum(), 0.0))
        inputs = fx.inst.production[p].inputs
        for ik, f in inputs.items():
            q = min(q, st.stock[fx.net.kidx[ik], j] / f) if f > 0 else q
        q = max(q, 0.0)
        rec.prod[p, t] = q
        st.stock[k, j] += q
        for ik, f in inputs.items():
            st.stock[fx.net.kidx[ik], j] -= q * f
            rec.input_used[fx.net.kidx[ik], t] += q * f
    avail = st.stock[:, j].copy()
    if made.size and not fx.has_in[n]:
        free = free * 0.0  # local production covers the lack only (module doc)
    return avail, free


def _send(
    fx: Fixed,
    st: State,
    rec: Days,
    n: int,
    t: int,
    avail: np.ndarray,
    want: np.ndarray,
    free: np.ndarray,
    can: np.ndarray,
) -> None:
    """Step 4: node ``n`` sends ``avail`` [K] t along its arcs (``can`` [K, a]: the arc takes the commodity and
    arrives within the horizon): the targets' lack first, then their free storage; a crossing sends all it let
    through (what no arc can take is lost there), a warehouse keeps the rest."""
    net, E, W = fx.net, fx.net.E, fx.net.W
    a = fx.out_arcs[n]
    x = _share(avail, want, free, can)
    if n < E:  # a crossing holds no stock: what inspection let through goes on, over storage if need be
        x += _spread(avail - x.sum(axis=1), can)
    x = _arc_caps(x, fx.arc_cap_t[a], fx.arc_loads[a, t], fx.pay_ka[:, a], fx.trucked[a])
    sent = x.sum(axis=1)
    if n < E:
        rec.entry_use_lost[:, n, t] += avail - sent
    else:
        st.stock[:, n - E] -= sent
    rec.flow[:, a, t] = x
    got = x * fx.keep_a[a]
    d, dst = net.dd[a], net.dst[a]
    now = d == 0
    np.add.at(st.stock, (slice(None), dst[now] - E), got[:, now])  # type: ignore[arg-type]
    site_now = now & (dst >= E + W)
    np.add.at(rec.delivered[:, :, t], (slice(None), dst[site_now] - E - W), got[:, site_now])  # type: ignore[arg-type]
    later = ~now
    if later.any():
        np.add.at(st.due, (slice(None), dst[later], t + d[later]), got[:, later])  # type: ignore[arg-type]
        np.add.at(st.coming, (slice(None), dst[later]), got[:, later])  # type: ignore[arg-type]


def _produce_at_locations(fx: Fixed, st: State, rec: Days, t: int, need_s: np.ndarray) -> None:
    """Step 2 at the locations themselves (a location's own well), after the day's trucks, before consumption: up to
    the rate, what the location lacks today."""
    E, W = fx.net.E, fx.net.W
    for p in np.flatnonzero(fx.prod_n >= E + W):
        s, k = fx.prod_n[p] - E - W, fx.prod_k[p]
        q = min(fx.rate[p, t], max(need_s[k, s] - st.stock[k, W + s], 0.0))
        rec.prod[p, t] = q
        st.stock[k, W + s] += q
        rec.produced_site[k, s, t] += q


def _consume_and_store(fx: Fixed, st: State, rec: Days, t: int, need_q: np.ndarray, need_s: np.ndarray) -> None:
    """Step 5: each report cell consumes the same share of its need (``need_q`` [K, Q] t, ``need_s`` [K, S] per
    location: equal sharing), the rest is stored; an item owed until delivered stays owed."""
    W = fx.net.W
    have = st.stock[:, W:]
    used_s = np.minimum(have, need_s)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(need_s > 0, used_s / np.where(need_s > 0, need_s, 1.0), 0.0)  # [K, S]
    used_q = need_q * share[:, fx.cell_site]
    rec.cell_used[:, :, t] = used_q
    short_q = need_q - used_q
    rec.cell_short[:, :, t] = short_q
    st.owed = np.where(fx.net.carry[:, None], short_q, 0.0)
    st.stock[:, W:] = np.maximum(have - used_s, 0.0)
    st.over_storage = max(st.over_storage, float(np.max(st.stock[:, W:].sum(axis=0) - fx.cap[W:], initial=0.0)))
    rec.stock_t[:, :, t] = st.stock


def _result(fx: Fixed, st: State, rec: Days) -> SupplyResult:
    """The days' record as a plan's arrays (per location and per report cell), its deprivation and conservation
    residual, and a message on what was not optimised (no fleet or timings yet)."""
    inst, net, site_cells, carry, W = fx.inst, fx.net, fx.site_cells, fx.net.carry, fx.net.W
    # what an item owed until delivered hands out on a day: the day's need and what was owed, less what is still owed
    cell_short_c = np.clip(rec.cell_short, 0.0, owed_to_date(fx.cell_dem, carry))
    used_s_t = np.einsum("kqt,sq->kst", rec.cell_used, site_cells)
    entry_lost = rec.entry_use * (1.0 - fx.keep_e)[None, :, None] + rec.entry_use_lost
    arc_lost = rec.flow * (1.0 - fx.keep_a)[None, :, None]
    residual = _residual(
        rec.stock_t,
        rec.entry_use,
        entry_lost,
        arc_lost,
        rec.prod,
        fx.prod_k,
        used_s_t,
        rec.input_used,
        st.due[:, :, net.T :],
        inst,
        net.kidx,
        net.K,
        net.M,
    )
    return SupplyResult(
        status=STATUS,
        objective_deprivation=deprivation(inst, fx.cell_dem, cell_short_c, carry, fx.deep_share, fx.deep_factor),
        objective_trucks=None,
        best_bound=None,
        gap=None,
        days=net.T,
        entry_capacity_t=net.cap_e,
        entry_use_t=rec.entry_use,
        flow_t=rec.flow,
        warehouse_stock_t=rec.stock_t[:, :W],
        site_stock_t=rec.stock_t[:, W:],
        production_t=rec.prod,
        demand_t=np.einsum("kqt,sq->kst", fx.cell_dem, site_cells),
        shortfall_t=np.einsum("kqt,sq->kst", cell_short_c, site_cells),
        delivered_t=rec.delivered,
        produced_at_site_t=rec.produced_site,
        binding=[],
        fleet=[],
        max_conservation_residual_t=residual,
        solve_time_s=0.0,
        message="; ".join(
            _notes(fx.mix.reference is not None, st.over_storage, float(rec.entry_use_lost.sum()), inst.sharing)
        ),
        method="operate",
        consumed_t=used_s_t,
        cell_shortfall_t=cell_short_c,
        cell_consumed_t=rec.cell_used,
        entry_lost_t=entry_lost,
        arc_lost_t=arc_lost,
        **named_fields(inst, carry, fx.cell_site, fx.cell_group, fx.cell_dem, fx.cell_people),
    )


def _notes(has_reference: bool, over_storage_t: float, stranded_t: float, sharing: str = "equal") -> list[str]:
    """The result's message: what was not optimised, the rule, and goods kept above storage or lost unsent."""
    notes = [
        "operated day by day without foresight: no optimisation, so no binding constraints, shadow prices or gap",
        "crossings load the day's lack, most deprivation per truckload first"
        + (", then the declared plan's cargo mix into free storage" if has_reference else "")
        + "; groups share each location's goods equally"
        + (
            f" (NOT MODELLED when operated: the scenario's '{sharing}' sharing between groups)"
            if sharing not in ("equal", "none")
            else ""
        ),
    ]
    if over_storage_t > 1e-6:
        notes.append(
            f"goods already on the way found no storage room on arrival: up to {over_storage_t:,.1f} t kept above it"
        )
    if stranded_t > 1e-6:
        notes.append(
            f"{stranded_t:,.1f} t out of inspection found no arc to take it on (arc capacity): counted as lost at "
            "the crossing"
        )
    return notes


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
    mix_k: Callable[[], np.ndarray],
    lack_t: np.ndarray,
    deep_t: np.ndarray,
    w_deep: np.ndarray,
    w_lack: np.ndarray,
    can: np.ndarray,
    room_t: float,
) -> np.ndarray:
    """[K] t a crossing loads into ``trucks``: first today's lack, the most deprivation per truckload first (the deep
    part of a lack, beyond deep_share of the need, at its deep weight ``w_deep``, then the rest at ``w_lack``, per
    tonne); then the trucks left by the mix (``mix_k()``: truckload shares, asked for only then), at most the free
    room in all, trucks a full commodity leaves going to the others."""
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
    room = float(room_t)
    if room <= 1e-12:
        return x
    mix = np.where(can, mix_k(), 0.0)
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
    init = initial_stock(inst, kidx, K).sum(axis=1)
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
