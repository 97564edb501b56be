"""Validation of a typed supply instance: every inconsistency (ids, nodes, horizons, signs, lengths) as a
``Problem``; ``validate_instance`` raises them together.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..._errors import InputError, Problem
from .model import MODES, SHARING, EntryPoint, Site, SupplyInstance, Warehouse


@dataclass
class _Checks:
    """Problems in the order found. Sign checks are collected and run at once (hundreds per plan): the values go
    into one flat list and each check keeps (position in P, feature, field, its slice of that list)."""

    file: str
    T: int
    kids: list[str]
    P: list[Problem] = field(default_factory=list)
    signs: list[tuple[int, str, str, int, int]] = field(default_factory=list)
    values: list[Any] = field(default_factory=list)

    def add(self, feature: str | None, fld: str, message: str) -> None:
        self.P.append(Problem(file=self.file, feature=feature, field=fld, message=message))

    def neg(self, feat: str, fld: str, v: Any) -> None:
        start = len(self.values)
        if isinstance(v, np.ndarray):
            self.values.extend(v.ravel().tolist())
        elif isinstance(v, (list, tuple)):
            self.values.extend(v)
        else:
            self.values.append(v)
        self.signs.append((len(self.P), feat, fld, start, len(self.values)))

    def problems(self) -> list[Problem]:
        """The problems with the failed sign checks in place, in the order the checks were made."""
        everything = np.asarray(self.values, dtype=float)
        bad = ~np.isfinite(everything) | (everything < 0)
        if bad.any():
            for at, feat, fld, a, b in reversed(self.signs):
                if bad[a:b].any():
                    self.P.insert(
                        at,
                        Problem(
                            file=self.file, feature=feat, field=fld, message="expected non-negative finite numbers"
                        ),
                    )
        return self.P


def _check_ids(inst: SupplyInstance, c: _Checks) -> dict[str, str]:
    """Unique node and commodity ids; returns where each node id is defined."""
    ids: dict[str, str] = {}
    nodes: tuple[tuple[str, Sequence[EntryPoint | Warehouse | Site]], ...] = (
        ("entry_points", inst.entry_points),
        ("warehouses", inst.warehouses),
        ("sites", inst.sites),
    )
    for kind, items in nodes:
        for i, x in enumerate(items):
            if x.id in ids:
                c.add(f"{kind}[{i}] ({x.id})", "id", f"id already used by {ids[x.id]}; node ids must be unique")
            ids[x.id] = f"{kind}[{i}]"
    if len(set(c.kids)) != len(c.kids):
        c.P.append(Problem(file=c.file, field="commodities", message="commodity ids must be unique"))
    for i, k in enumerate(inst.commodities):
        c.neg(f"commodities[{i}] ({k.id})", "priority", k.priority)
    return ids


def _check_entries(inst: SupplyInstance, c: _Checks) -> None:
    T = c.T
    for i, e in enumerate(inst.entry_points):
        feat = f"entry_points[{i}] ({e.id})"
        for fld in ("capacity_t_per_day", "trucks_per_day"):
            if getattr(e, fld) is not None:
                c.neg(feat, fld, getattr(e, fld))
        if e.capacity_t_by_day is not None:
            if len(e.capacity_t_by_day) != T:
                c.add(feat, "capacity_t_by_day", f"expected {T} daily values, got {len(e.capacity_t_by_day)}")
            c.neg(feat, "capacity_t_by_day", e.capacity_t_by_day)
        for d in e.closed_days:
            if not 0 <= d < T:
                c.add(feat, "closed_days", f"day {d} is outside the horizon 0..{T - 1}")
        if not 0 <= e.opening_day < T:
            c.add(feat, "opening_day", f"day {e.opening_day} is outside the horizon 0..{T - 1}")
        if e.inspection_delay_days < 0:
            c.add(feat, "inspection_delay_days", "expected >= 0")
        if e.mode not in MODES:
            c.add(feat, "mode", f"unknown mode {e.mode!r}; expected one of {list(MODES)}")
        c.P.extend(_share_problem(e.loss_share, c.file, feat, "loss_share"))
        if e.payload_t is not None and not e.payload_t > 0:
            c.add(feat, "payload_t", f"expected > 0, got {e.payload_t!r}")
        if e.cost_usd_per_t is not None:
            c.neg(feat, "cost_usd_per_t", e.cost_usd_per_t)


def _check_stocks(inst: SupplyInstance, c: _Checks) -> None:
    """Storage capacity and initial stock of warehouses and sites."""
    holders: list[tuple[str, int, Warehouse | Site, float | None]] = [
        *(("warehouses", i, w, w.capacity_t) for i, w in enumerate(inst.warehouses)),
        *(("sites", i, s, s.storage_t) for i, s in enumerate(inst.sites)),
    ]
    for kind, i, x, cap in holders:
        feat = f"{kind}[{i}] ({x.id})"
        fld = "capacity_t" if kind == "warehouses" else "storage_t"
        if cap is not None:
            c.neg(feat, fld, cap)
        for k, v in x.initial_t.items():
            if k not in c.kids:
                c.add(feat, f"initial_t.{k}", "unknown commodity")
            c.neg(feat, f"initial_t.{k}", v)
        if cap is not None and sum(x.initial_t.values()) > cap + 1e-9:
            c.add(feat, "initial_t", f"initial stock {sum(x.initial_t.values()):g} t exceeds {fld} {cap:g} t")


def _check_sites(inst: SupplyInstance, c: _Checks) -> None:
    """Sites' and groups' daily need and people."""
    T = c.T
    for i, s in enumerate(inst.sites):
        feat = f"sites[{i}] ({s.id})"
        for k, v in s.demand_t.items():
            if k not in c.kids:
                c.add(feat, f"demand_t_per_day.{k}", "unknown commodity")
            if len(v) != T:
                c.add(feat, f"demand_t_per_day.{k}", f"expected {T} daily values, got {len(v)}")
            c.neg(feat, f"demand_t_per_day.{k}", v)
        if s.people is not None and len(s.people) != T:
            c.add(feat, "people", f"expected {T} daily values")
        for g, dem in s.groups.items():
            for k, v in dem.items():
                fld = f"groups.{g}.demand_t_per_day.{k}"
                if k not in c.kids:
                    c.add(feat, fld, "unknown commodity")
                if len(v) != T:
                    c.add(feat, fld, f"expected {T} daily values")
                c.neg(feat, fld, v)
        for g, v in s.group_people.items():
            if len(v) != T:
                c.add(feat, f"groups.{g}.people", f"expected {T} daily values")


def _check_production(inst: SupplyInstance, c: _Checks) -> None:
    stock_nodes = {x.id for x in inst.warehouses} | {x.id for x in inst.sites}
    for i, p in enumerate(inst.production):
        feat = f"production[{i}]"
        if p.node not in stock_nodes:
            c.add(feat, "node", f"unknown node {p.node!r}; production must be at a warehouse or site")
        if p.commodity not in c.kids:
            c.add(feat, "commodity", "unknown commodity")
        if len(p.t_per_day) != c.T:
            c.add(feat, "t_per_day", f"expected {c.T} daily values")
        c.neg(feat, "t_per_day", p.t_per_day)
        for k, v in p.inputs.items():
            if k not in c.kids or k == p.commodity:
                others = [x for x in c.kids if x != p.commodity]
                c.add(feat, f"inputs.{k}", f"expected another commodity, one of {others}")
            c.neg(feat, f"inputs.{k}", v)


def _check_arcs(inst: SupplyInstance, c: _Checks, ids: dict[str, str]) -> None:
    entry_ids = {e.id for e in inst.entry_points}
    for i, a in enumerate(inst.arcs):
        feat = f"arcs[{i}]"
        for fld, node in (("from", a.source), ("to", a.target)):
            if node not in ids:
                c.add(feat, fld, f"unknown node {node!r}; expected an entry point, warehouse or site id")
        if a.target in entry_ids:
            c.add(feat, "to", "arcs cannot lead into an entry point (entry points hold no stock)")
        if a.source == a.target:
            c.add(feat, "to", "an arc needs two different nodes")
        if a.travel_days < 0:
            c.add(feat, "travel_days", "expected an integer >= 0")
        if a.capacity_t_per_day is not None:
            c.neg(feat, "capacity_t_per_day", a.capacity_t_per_day)
        c.P.extend(_share_problem(a.loss_share, c.file, feat, "loss_share"))
        if a.capacity_loads_by_day is not None:
            if len(a.capacity_loads_by_day) != c.T:
                c.add(feat, "capacity_loads_by_day", f"expected {c.T} daily values, got {len(a.capacity_loads_by_day)}")
            c.neg(feat, "capacity_loads_by_day", a.capacity_loads_by_day)


def _check_settings(inst: SupplyInstance, c: _Checks) -> None:
    """Payloads, the sharing policy and the operating hours."""
    if inst.payload_t <= 0:
        c.add(None, "payload_t", "expected > 0")
    for i, k in enumerate(inst.commodities):
        if k.payload_t is not None and not k.payload_t > 0:
            c.add(f"commodities[{i}] ({k.id})", "payload_t", f"expected t per truck > 0, got {k.payload_t!r}")
    if inst.sharing not in SHARING:
        c.add(None, "sharing.policy", f"unknown sharing policy {inst.sharing!r}; expected one of {list(SHARING)}")
    known = {g for s in inst.sites for g in s.groups} or {"all"}
    unknown = [g for g in inst.group_priority if g not in known] if inst.sharing == "priority" else []
    if unknown:
        c.add(None, "sharing.priority", f"unknown group(s) {unknown}; expected some of {sorted(known)}")
    if inst.operating_h_per_day <= 0:
        c.add(None, "operating_h_per_day", "expected > 0")


def instance_problems(inst: SupplyInstance, file: str = "<instance>") -> list[Problem]:
    """Every inconsistency of a typed instance (ids, nodes, horizons, signs, lengths)."""
    c = _Checks(file=file, T=inst.days, kids=[k.id for k in inst.commodities])
    if c.T < 1:
        c.add(None, "days", f"expected at least 1 day, got {c.T}")
        return c.P
    ids = _check_ids(inst, c)
    _check_entries(inst, c)
    _check_stocks(inst, c)
    _check_sites(inst, c)
    _check_production(inst, c)
    _check_arcs(inst, c, ids)
    _check_settings(inst, c)
    return c.problems()


def _share_problem(v: Any, file: str, feat: str, fld: str) -> list[Problem]:
    ok = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and 0.0 <= v <= 1.0
    return [] if ok else [Problem(file=file, feature=feat, field=fld, message=f"expected a share in [0, 1], got {v!r}")]


def validate_instance(inst: SupplyInstance, file: str = "<instance>") -> None:
    problems = instance_problems(inst, file)
    if problems:
        raise InputError(problems)
