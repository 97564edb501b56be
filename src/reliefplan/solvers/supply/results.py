"""The supply result as figures: the truck fleet each corridor and origin needs, per-site tonnes as plan.json
shows them, and the JSON form of a result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .corridors import Corridors
from .lp import _Lp
from .model import CorridorFleet, SupplyInstance, SupplyResult, owed_to_date

# --------------------------------------------------------------------------------------------
# The plan's arrays from the LP solution
# --------------------------------------------------------------------------------------------


def _plan_figures(instance: SupplyInstance, lp: _Lp, x: np.ndarray) -> dict[str, Any]:
    """The plan's arrays from the LP solution ``x`` (t): flows, stocks, production, entry use and losses, and per
    report cell and site what is short and what is consumed, delivered and produced there."""
    K, E, W, S, A, P, T, Q, off = lp.K, lp.E, lp.W, lp.S, lp.A, lp.P, lp.T, lp.Q, lp.off

    def block(name: str, shape: tuple[int, ...]) -> np.ndarray:
        n = int(np.prod(shape))
        return x[off[name] : off[name] + n].reshape(shape)

    flow = block("flow", (K, A, T))
    stock = block("stock", (K, W + S, T))
    prod = block("prod", (P, T))
    cell_short = np.clip((lp.short_map @ x).reshape(K, Q, T), 0.0, owed_to_date(lp.cell_demand, lp.carry))
    cell_used = lp.cell_demand - cell_short
    prev = np.concatenate([np.zeros((K, Q, 1)), cell_short[:, :, :-1]], axis=2)
    cell_used[lp.carry] = (lp.cell_demand + prev - cell_short)[lp.carry]  # owed goods handed out later
    cell_used = np.maximum(cell_used, 0.0)
    short, used = np.zeros((K, S, T)), np.zeros((K, S, T))
    np.add.at(short, (slice(None), lp.cell_site), cell_short)  # type: ignore[arg-type]  # numpy's stubs: no slice
    np.add.at(used, (slice(None), lp.cell_site), cell_used)  # type: ignore[arg-type]  # numpy's stubs: no slice
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
    return dict(
        entry_use_t=entry_use,
        flow_t=flow,
        warehouse_stock_t=stock[:, :W],
        site_stock_t=stock[:, W:],
        production_t=prod,
        shortfall_t=short,
        consumed_t=used,
        delivered_t=delivered,
        produced_at_site_t=produced,
        cell_shortfall_t=cell_short,
        cell_consumed_t=cell_used,
        entry_lost_t=entry_lost,
        arc_lost_t=arc_lost,
    )


def _restore(corr: Corridors, fig: dict[str, Any]) -> dict[str, Any]:
    """The plan's arrays on the original instance's arcs and warehouses (no transit hubs; `corridors`)."""
    if not corr.blocks:
        return fig
    flow = corr.restore_flow(fig["flow_t"])
    loss = np.array([a.loss_share for a in corr.original.arcs], dtype=float)
    return {
        **fig,
        "flow_t": flow,
        "arc_lost_t": flow * loss[None, :, None],
        "warehouse_stock_t": fig["warehouse_stock_t"][:, : corr.n_warehouses],
    }


# --------------------------------------------------------------------------------------------
# Fleet
# --------------------------------------------------------------------------------------------


def named_fields(
    instance: SupplyInstance,
    carry: np.ndarray,
    cell_site: np.ndarray,
    cell_group: list[str],
    cell_demand_t: np.ndarray,
    cell_people: np.ndarray,
) -> dict[str, Any]:
    """A result's ids and report cells (planned or operated alike)."""
    return dict(
        commodity_ids=[c.id for c in instance.commodities],
        entry_ids=[e.id for e in instance.entry_points],
        warehouse_ids=[w.id for w in instance.warehouses],
        site_ids=[s.id for s in instance.sites],
        carry_over=[bool(c) for c in carry],
        cell_site=cell_site,
        cell_group=cell_group,
        cell_demand_t=cell_demand_t,
        cell_people=cell_people,
    )


def _truckloads(inst: SupplyInstance, result: SupplyResult) -> np.ndarray:
    """[A, T] truckloads on each arc and day: Σ_k t_k / payload_k (0 on arcs that are not trucked)."""
    per_carrier: dict[float | None, list[float]] = {}  # t per truck of each commodity, by the arc's own payload
    for arc in inst.arcs:
        if arc.payload_t not in per_carrier:
            per_carrier[arc.payload_t] = [inst.payload(c, arc.payload_t) for c in inst.commodities]
    per_k = np.array([per_carrier[arc.payload_t] for arc in inst.arcs]).reshape(len(inst.arcs), -1).T  # [K, A]
    loads = (result.flow_t / per_k[:, :, None]).sum(axis=0)  # over commodities in order, as arc by arc
    trucked = np.array([arc.trucked for arc in inst.arcs], dtype=bool)
    return np.where(trucked[:, None], loads, 0.0)


def _trips(round_trip_h: float, op_h: float) -> float:
    """Whole trips a truck makes a day (one per ceil(round trip / working day) days when longer than a day)."""
    return (
        float(math.floor(op_h / round_trip_h + 1e-9))
        if round_trip_h <= op_h
        else 1.0 / math.ceil(round_trip_h / op_h - 1e-9)
    )


def fleet_requirements(
    inst: SupplyInstance, result: SupplyResult, operating_h_per_day: float | None = None
) -> list[CorridorFleet]:
    """Trucks per day on each arc (ceil(Σ_k t_k / payload_k)) and the fleet its round trip needs.

    A truck makes ``floor(operating_h / round_trip_h)`` whole trips a day (one trip per
    ``ceil(round_trip_h / operating_h)`` days when the round trip is longer than a working day);
    fleet = ceil(peak trucks per day / trips per truck per day). This is at least the continuous
    estimate trucks × round_trip_h / operating_h, which ignores that trips are whole.
    """
    op_h = operating_h_per_day or inst.operating_h_per_day
    trucks = np.ceil(_truckloads(inst, result) - 1e-6).astype(np.int64)
    trucks[trucks < 0] = 0
    peaks = trucks.max(axis=1).tolist() if trucks.shape[1] else [0] * len(inst.arcs)
    out: list[CorridorFleet] = []
    for a, arc in enumerate(inst.arcs):
        peak = int(peaks[a])
        trips = fleet = None
        if arc.round_trip_h and arc.trucked:
            trips = _trips(arc.round_trip_h, op_h)
            fleet = int(math.ceil(peak / trips - 1e-9))
        out.append(
            CorridorFleet(
                arc=a,
                source=arc.source,
                target=arc.target,
                payload_t=arc.payload_t or inst.payload_t,
                trucks_per_day=trucks[a],
                max_trucks_per_day=peak,
                round_trip_h=arc.round_trip_h,
                trips_per_truck_per_day=trips,
                fleet_trucks=fleet,
            )
        )
    return out


@dataclass
class OriginFleet:
    """Whole trucks leaving one crossing or hub per day, over all its corridors, and the fleet based there."""

    node: str
    trucks_per_day: np.ndarray  # [days] ceil(Σ_arcs Σ_k t_k / payload_k)
    max_trucks_per_day: int
    fleet_trucks: int | None  # None when no corridor from it has a round-trip time


def fleet_by_origin(
    inst: SupplyInstance, result: SupplyResult, operating_h_per_day: float | None = None
) -> list[OriginFleet]:
    """Per origin of trucked corridors: whole trucks per day = ceil(the truckloads of all its corridors that day),
    and the fleet = ceil(max over days of Σ_a truckloads_a / trips per truck per day on a) (trips as in
    `fleet_requirements`).

    The LP splits a crossing's truckloads over every location it feeds, so rounding up corridor by corridor counts
    a truck for every fraction (the 60-day Rafah plan: 201-239 trucks/day from a crossing admitting 146.5); a
    logistician counts whole trucks through the crossing, some of them dropping at more than one location, and a
    fleet based there that serves whichever corridor needs it that day."""
    op_h = operating_h_per_day or inst.operating_h_per_day
    trucked = [a for a, arc in enumerate(inst.arcs) if arc.trucked]
    nodes = list(dict.fromkeys(inst.arcs[a].source for a in trucked))  # in order of their first corridor
    at = {n: i for i, n in enumerate(nodes)}
    la = np.maximum(_truckloads(inst, result)[trucked], 0.0)
    src = np.array([at[inst.arcs[a].source] for a in trucked], dtype=np.int64)
    loads = np.zeros((len(nodes), result.days))
    np.add.at(loads, src, la)  # corridor by corridor, in order
    timed = [i for i, a in enumerate(trucked) if inst.arcs[a].round_trip_h]
    busy = np.zeros((len(nodes), result.days))
    trips = np.array([_trips(float(inst.arcs[trucked[i]].round_trip_h or 0.0), op_h) for i in timed])
    np.add.at(busy, src[timed], la[timed] / trips.reshape(-1, 1))
    has_time = np.zeros(len(nodes), dtype=bool)
    has_time[src[timed]] = True
    out = []
    for i, node in enumerate(nodes):
        trucks = np.maximum(np.ceil(loads[i] - 1e-6), 0).astype(np.int64)
        fleet = int(math.ceil(float(busy[i].max(initial=0.0)) - 1e-6)) if has_time[i] else None
        out.append(
            OriginFleet(
                node=node,
                trucks_per_day=trucks,
                max_trucks_per_day=int(trucks.max(initial=0)),
                fleet_trucks=max(fleet, 0) if fleet is not None else None,
            )
        )
    return out


# --------------------------------------------------------------------------------------------
# JSON output
# --------------------------------------------------------------------------------------------


def _r(x: float, nd: int = 3) -> float:
    v = round(float(x), nd)
    return 0.0 if v == 0 else v


def site_figures_t(result: SupplyResult) -> dict[str, np.ndarray]:
    """Per commodity, site and day (K, S, T), tonnes rounded to 3 decimals as plan.json shows them."""
    assert result.consumed_t is not None  # SupplyResult.__post_init__ fills it
    return {
        name: np.round(a, 3) + 0.0
        for name, a in (
            ("required_t", result.demand_t),
            ("delivered_t", result.delivered_t),
            ("produced_t", result.produced_at_site_t),
            ("consumed_t", result.consumed_t),
            ("stock_end_t", result.site_stock_t),
            ("shortfall_t", result.shortfall_t),
        )
    }


def _delivery_rows(result: SupplyResult) -> list[dict[str, Any]]:
    """One row per day, site and commodity (in that order), figures rounded to 3 decimals."""
    T, S, K = result.days, len(result.site_ids), len(result.commodity_ids)
    # read out as Python floats in day, site, commodity order
    cols = {name: a.transpose(2, 1, 0).ravel().tolist() for name, a in site_figures_t(result).items()}
    names = ("day", "site", "commodity", *cols)
    # zip of columns: 3-4x faster than a dict comprehension per row (11,000 rows per Rafah plan)
    return [
        dict(zip(names, row))
        for row in zip(
            np.repeat(np.arange(T), S * K).tolist(),
            np.tile(np.repeat(result.site_ids, K), T).tolist(),
            result.commodity_ids * (S * T),
            *cols.values(),
        )
    ]


def _entry_use_rows(result: SupplyResult, inst: SupplyInstance) -> list[dict[str, Any]]:
    """One row per entry point and day: capacity, use, trucks available and used, use per commodity."""
    rows = []
    pay_ke = inst.entry_payloads()
    for e, ep in enumerate(inst.entry_points):
        pay = ep.payload(inst.payload_t)
        per_k = pay_ke[:, e]
        for t in range(result.days):
            used = result.entry_use_t[:, e, t]
            rows.append(
                {
                    "entry_point": ep.id,
                    "day": t,
                    "capacity_t": _r(result.entry_capacity_t[e, t]),
                    "used_t": _r(used.sum()),
                    "trucks_available": _r(result.entry_capacity_t[e, t] / pay, 2),
                    "trucks_used": int(math.ceil(float((used / per_k).sum()) - 1e-6)),
                    "by_commodity_t": {kid: _r(used[k]) for k, kid in enumerate(result.commodity_ids)},
                }
            )
    return rows


def result_to_dict(result: SupplyResult, inst: SupplyInstance, *, rows: bool = True) -> dict[str, Any]:
    """The JSON form printed by ``reliefplan solve-supply``; ``rows=False`` leaves the per-day, per-site rows
    (``deliveries``, ``entry_use``) empty: ensemble members keep only totals."""
    deliveries = _delivery_rows(result) if rows else []
    entry_use = _entry_use_rows(result, inst) if rows else []
    lost = {
        kid: float(
            (result.entry_lost_t[k].sum() if result.entry_lost_t is not None else 0.0)
            + (result.arc_lost_t[k].sum() if result.arc_lost_t is not None else 0.0)
        )
        for k, kid in enumerate(result.commodity_ids)
    }
    extra = {"lost_t": {k: _r(v) for k, v in lost.items()}} if any(v > 0 for v in lost.values()) else {}
    return {
        **extra,
        "status": result.status,
        "objective": {
            "deprivation": None if result.objective_deprivation is None else _r(result.objective_deprivation, 6),
            "truckloads": None if result.objective_trucks is None else _r(result.objective_trucks, 6),
        },
        "best_bound": None if result.best_bound is None else _r(result.best_bound, 6),
        "gap": result.gap,
        "message": result.message,
        "method": result.method,
        "deliveries": deliveries,
        "shortfall_t": {k: _r(v) for k, v in result.shortfall_by_commodity_t().items()},
        "required_t": {kid: _r(result.demand_t[k].sum()) for k, kid in enumerate(result.commodity_ids)},
        "carry_over": {kid: bool(c) for kid, c in zip(result.commodity_ids, result.carry_over)},
        "first_shortfall_day": result.first_shortfall_day(),
        "entry_use": entry_use,
        "binding": [
            {
                "kind": b.kind,
                "id": b.id,
                "first_day": b.first_day,
                "last_day": b.last_day,
                "shadow_price": [_r(p, 6) for p in b.shadow_price],
                "step": b.step,
                "step_unit": b.step_unit,
                "predicted_cut": _r(b.predicted_cut),
                "commodity": b.commodity,
                "predicted_cut_t": None if b.predicted_cut_t is None else _r(b.predicted_cut_t),
                "text": b.text,
            }
            for b in result.binding
        ],
        "fleet": [
            {
                "from": f.source,
                "to": f.target,
                "payload_t": f.payload_t,
                "trucks_per_day": f.trucks_per_day.tolist(),
                "max_trucks_per_day": f.max_trucks_per_day,
                "round_trip_h": f.round_trip_h,
                "trips_per_truck_per_day": f.trips_per_truck_per_day,
                "fleet_trucks": f.fleet_trucks,
            }
            for f in result.fleet
        ],
        "operating_h_per_day": inst.operating_h_per_day,
        "max_conservation_residual_t": result.max_conservation_residual_t,
        "solve_time_s": round(result.solve_time_s, 3),
    }
