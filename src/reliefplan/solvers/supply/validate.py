"""Validation of a typed supply instance: every inconsistency (ids, nodes, horizons, signs, lengths) as a
``Problem``; ``validate_instance`` raises them together.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..._errors import InputError, Problem
from .model import MODES, SHARING, SupplyInstance


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
