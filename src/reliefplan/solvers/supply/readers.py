"""Reading a supply instance: the standalone JSON format (``instance_from_dict``, ``read_instance``), every
problem reported with its file, feature and field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..._errors import InputError, Problem, field_path
from ...scenario._layers import read_json
from .model import (
    _EPS,
    DEFAULT_OPERATING_H_PER_DAY,
    DEFAULT_PAYLOAD_T,
    MODES,
    Arc,
    Commodity,
    EntryPoint,
    Production,
    Site,
    SupplyInstance,
    Warehouse,
)
from .validate import _share_problem, instance_problems

# --------------------------------------------------------------------------------------------
# Reading and validation
# --------------------------------------------------------------------------------------------


def _num(
    value: Any,
    problems: list[Problem],
    file: str,
    feature: str | None,
    fld: str,
    *,
    allow_none: bool = False,
    integer: bool = False,
    minimum: float = 0.0,
) -> Any:
    if value is None and allow_none:
        return None
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok and integer and float(value) != int(value):
        ok = False
    if not ok or value < minimum:
        kind = "an integer" if integer else "a number"
        problems.append(
            Problem(file=file, feature=feature, field=fld, message=f"expected {kind} >= {minimum:g}, got {value!r}")
        )
        return None
    return int(value) if integer else float(value)


def _series(
    value: Any, days: int, problems: list[Problem], file: str, feature: str, fld: str, scale: float = 1.0
) -> np.ndarray | None:
    """A number (constant every day) or a list of `days` non-negative numbers."""
    if isinstance(value, list):
        if len(value) != days:
            problems.append(
                Problem(
                    file=file,
                    feature=feature,
                    field=fld,
                    message=f"expected {days} daily values (one per day), got {len(value)}",
                )
            )
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


@dataclass
class _Reader:
    """What every feature reader needs: the file (for problems), the horizon, the problems found so far and the
    commodities read."""

    file: str
    days: int
    problems: list[Problem]
    cmap: dict[str, Commodity] = field(default_factory=dict)

    def num(self, value: Any, feature: str | None, fld: str, **kw: Any) -> Any:
        return _num(value, self.problems, self.file, feature, fld, **kw)

    def series(self, value: Any, feature: str, fld: str, scale: float = 1.0) -> np.ndarray | None:
        return _series(value, self.days, self.problems, self.file, feature, fld, scale)

    def problem(self, feature: str | None, fld: str | None, message: str) -> None:
        self.problems.append(Problem(file=self.file, feature=feature, field=fld, message=message))

    def with_id(self, feature: str, raw: Any) -> bool:
        """Whether ``raw`` is an object with a string id (if not, says so)."""
        if isinstance(raw, dict) and isinstance(raw.get("id"), str):
            return True
        self.problem(feature, "id", "expected an object with a string id")
        return False

    def amounts(self, raw: Any, feat: str, fld: str, as_series: bool) -> dict[str, Any]:
        """{commodity: t} from `fld_t...` or units from the unit field (needs unit_weight_t)."""
        out: dict[str, Any] = {}
        if raw is None:
            return out
        if not isinstance(raw, dict):
            self.problem(feat, fld, "expected {commodity: value}")
            return out
        units = "units" in fld
        for k, v in raw.items():
            if k not in self.cmap:
                self.problem(feat, f"{fld}.{k}", f"unknown commodity; expected one of {sorted(self.cmap)}")
                continue
            scale = 1.0
            if units:
                uw = self.cmap[k].unit_weight_t
                if uw is None:
                    self.problem(
                        feat,
                        f"{fld}.{k}",
                        f"commodity '{k}' has no unit_weight_t, so amounts in units cannot be converted to tonnes",
                    )
                    continue
                scale = uw
            if as_series:
                s = self.series(v, feat, f"{fld}.{k}", scale)
                if s is not None:
                    out[k] = out.get(k, 0.0) + s
            else:
                n = self.num(v, feat, f"{fld}.{k}")
                if n is not None:
                    out[k] = out.get(k, 0.0) + n * scale
        return out

    def tonnes(self, obj: dict[str, Any], feat: str, t_field: str, units_field: str, as_series: bool) -> dict[str, Any]:
        """{commodity: t} from the tonnes field plus the units field converted at each unit weight."""
        out = self.amounts(obj.get(t_field), feat, t_field, as_series)
        for k, v in self.amounts(obj.get(units_field), feat, units_field, as_series).items():
            out[k] = out.get(k, 0.0) + v
        return out


def _read_commodity(r: _Reader, i: int, c: Any) -> Commodity | None:
    feat = _feature("commodities", i, c)
    if not r.with_id(feat, c):
        return None
    uw = c.get("unit_weight_t")
    if uw is None and c.get("unit_weight_kg") is not None:
        uw = r.num(c["unit_weight_kg"], feat, "unit_weight_kg", minimum=_EPS)
        uw = None if uw is None else uw / 1000.0
    elif uw is not None:
        uw = r.num(uw, feat, "unit_weight_t", minimum=_EPS)
    carry = c.get("carry_over", False)
    if not isinstance(carry, bool):
        r.problem(feat, "carry_over", "expected true or false")
        carry = False
    return Commodity(
        id=c["id"],
        priority=r.num(c.get("priority", 1.0), feat, "priority") or 0.0,
        unit_weight_t=uw,
        unit=c.get("unit"),
        unit_volume_m3=r.num(c.get("unit_volume_m3"), feat, "unit_volume_m3", allow_none=True),
        payload_t=r.num(c.get("payload_t"), feat, "payload_t", allow_none=True, minimum=_EPS),
        carry_over=carry,
    )


def _read_entry(r: _Reader, i: int, e: Any, payload: float | None) -> EntryPoint | None:
    feat = _feature("entry_points", i, e)
    if not r.with_id(feat, e):
        return None
    pay = r.num(e.get("payload_t"), feat, "payload_t", allow_none=True, minimum=_EPS)
    by_day = None
    for fld, scale in (("capacity_t_by_day", 1.0), ("trucks_by_day", pay or payload or DEFAULT_PAYLOAD_T)):
        if e.get(fld) is not None:
            s = r.series(e[fld], feat, fld, scale)
            by_day = s if s is not None else by_day
    cap = r.num(e.get("capacity_t_per_day"), feat, "capacity_t_per_day", allow_none=True)
    trucks = r.num(e.get("trucks_per_day"), feat, "trucks_per_day", allow_none=True)
    if (
        cap is None
        and trucks is None
        and by_day is None
        and not any(
            e.get(f) is not None for f in ("capacity_t_per_day", "trucks_per_day", "capacity_t_by_day", "trucks_by_day")
        )
    ):
        r.problem(
            feat,
            "capacity_t_per_day",
            "expected capacity_t_per_day, trucks_per_day, capacity_t_by_day or trucks_by_day",
        )
    closed: list[int] = []
    raw_closed = e.get("closed_days", [])
    if not isinstance(raw_closed, list):
        r.problem(feat, "closed_days", "expected a list of days")
        raw_closed = []
    for j, d in enumerate(raw_closed):
        dd = r.num(d, feat, field_path("closed_days", j), integer=True)
        if dd is not None and dd >= r.days:
            r.problem(feat, field_path("closed_days", j), f"day {dd} is outside the horizon 0..{r.days - 1}")
        elif dd is not None:
            closed.append(dd)
    opening = r.num(e.get("opening_day", 0), feat, "opening_day", integer=True)
    delay = r.num(e.get("inspection_delay_days", 0), feat, "inspection_delay_days", integer=True)
    mode = e.get("mode", "land")
    if mode not in MODES:
        r.problem(feat, "mode", f"unknown mode {mode!r}; expected one of {list(MODES)}")
    loss = e.get("loss_share", 0.0)
    r.problems.extend(_share_problem(loss, r.file, feat, "loss_share"))
    cost = r.num(e.get("cost_usd_per_t"), feat, "cost_usd_per_t", allow_none=True)
    return EntryPoint(
        id=e["id"],
        capacity_t_per_day=cap,
        trucks_per_day=trucks,
        payload_t=pay,
        capacity_t_by_day=None if by_day is None else list(by_day),
        closed_days=tuple(closed),
        opening_day=opening or 0,
        inspection_delay_days=delay or 0,
        mode=str(mode),
        loss_share=float(loss) if not _share_problem(loss, r.file, feat, "") else 0.0,
        uniform_payload=mode in ("sea", "air"),
        cost_usd_per_t=cost,
    )


def _read_warehouse(r: _Reader, i: int, w: Any) -> Warehouse | None:
    feat = _feature("warehouses", i, w)
    if not r.with_id(feat, w):
        return None
    init = r.tonnes(w, feat, "initial_t", "initial_units", False)
    return Warehouse(
        id=w["id"], capacity_t=r.num(w.get("capacity_t"), feat, "capacity_t", allow_none=True), initial_t=init
    )


def _read_site(r: _Reader, i: int, s: Any) -> Site | None:
    feat = _feature("sites", i, s)
    if not r.with_id(feat, s):
        return None
    demand = r.tonnes(s, feat, "demand_t_per_day", "demand_units_per_day", True)
    init = r.tonnes(s, feat, "initial_t", "initial_units", False)
    storage = r.num(s.get("storage_t"), feat, "storage_t", allow_none=True)
    if s.get("storage_days") is not None:
        sd = r.num(s["storage_days"], feat, "storage_days")
        if sd is not None:
            peak = float(np.sum([v for v in demand.values()], axis=0).max()) if demand else 0.0
            storage = sd * peak  # days of need at the peak daily need
    people = None
    if s.get("people") is not None:
        p = r.series(s["people"], feat, "people")
        people = None if p is None else list(p)
    groups: dict[str, dict[str, list[float]]] = {}
    group_people: dict[str, list[float]] = {}
    raw_groups = s.get("groups") or {}
    if not isinstance(raw_groups, dict):
        r.problem(feat, "groups", "expected {group: {demand_t_per_day: {...}, people: [...]}}")
        raw_groups = {}
    for g, spec in raw_groups.items():
        if not isinstance(spec, dict):
            r.problem(feat, f"groups.{g}", "expected an object")
            continue
        groups[str(g)] = {
            k: list(v)
            for k, v in r.tonnes(spec, f"{feat} group {g}", "demand_t_per_day", "demand_units_per_day", True).items()
        }
        if spec.get("people") is not None:
            gp = r.series(spec["people"], feat, f"groups.{g}.people")
            if gp is not None:
                group_people[str(g)] = list(gp)
    return Site(
        id=s["id"],
        demand_t={k: list(v) for k, v in demand.items()},
        storage_t=storage,
        initial_t=init,
        people=people,
        groups=groups,
        group_people=group_people,
    )


def _read_production(r: _Reader, i: int, p: Any) -> Production | None:
    feat = f"production[{i}]"
    if not isinstance(p, dict):
        r.problem(feat, None, "expected an object")
        return None
    k = p.get("commodity")
    if k not in r.cmap:
        r.problem(feat, "commodity", f"unknown commodity {k!r}; expected one of {sorted(r.cmap)}")
        return None
    rate = None
    if p.get("t_per_day") is not None:
        rate = r.series(p["t_per_day"], feat, "t_per_day")
    elif p.get("units_per_day") is not None:
        uw = r.cmap[k].unit_weight_t
        if uw is None:
            r.problem(feat, "units_per_day", f"commodity '{k}' has no unit_weight_t")
        else:
            rate = r.series(p["units_per_day"], feat, "units_per_day", uw)
    else:
        r.problem(feat, "t_per_day", "expected t_per_day")
    inputs = p.get("inputs") or {}
    if not isinstance(inputs, dict):
        r.problem(feat, "inputs", "expected {commodity: t per t}")
        inputs = {}
    inputs = {str(c): r.num(v, feat, f"inputs.{c}") for c, v in inputs.items()}
    if rate is None:
        return None
    return Production(
        node=str(p.get("node")),
        commodity=k,
        t_per_day=list(rate),
        inputs={c: v for c, v in inputs.items() if v is not None},
    )


def _read_arc(r: _Reader, i: int, a: Any) -> Arc | None:
    feat = f"arcs[{i}]"
    if not isinstance(a, dict):
        r.problem(feat, None, "expected an object")
        return None
    trucked = a.get("trucked", True)
    if not isinstance(trucked, bool):
        r.problem(feat, "trucked", "expected true or false")
        trucked = True
    loss = a.get("loss_share", 0.0)
    r.problems.extend(_share_problem(loss, r.file, feat, "loss_share"))
    loads = (
        None
        if a.get("capacity_loads_by_day") is None
        else r.series(a["capacity_loads_by_day"], feat, "capacity_loads_by_day")
    )
    return Arc(
        source=str(a.get("from")),
        target=str(a.get("to")),
        trucked=trucked,
        loss_share=float(loss) if not _share_problem(loss, r.file, feat, "") else 0.0,
        capacity_loads_by_day=None if loads is None else list(loads),
        stage=str(a.get("stage", "")),
        travel_days=r.num(a.get("travel_days", 0), feat, "travel_days", integer=True) or 0,
        capacity_t_per_day=r.num(a.get("capacity_t_per_day"), feat, "capacity_t_per_day", allow_none=True),
        round_trip_h=r.num(a.get("round_trip_h"), feat, "round_trip_h", allow_none=True, minimum=_EPS),
        payload_t=r.num(a.get("payload_t"), feat, "payload_t", allow_none=True, minimum=_EPS),
    )


def _read_sharing(r: _Reader, data: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    sharing = data.get("sharing") or {}
    if not isinstance(sharing, dict):
        r.problem(None, "sharing", "expected {policy: equal|priority|none, priority: [groups]}")
        sharing = {}
    order = sharing.get("priority") or []
    if not isinstance(order, list) or not all(isinstance(g, str) for g in order):
        r.problem(None, "sharing.priority", "expected a list of group names")
        order = []
    return str(sharing.get("policy", "none")), tuple(order)


def instance_from_dict(data: Any, file: str = "<instance>") -> SupplyInstance:
    """Build and validate an instance from the JSON form (README: "Supply"); all problems at once."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise InputError(
            Problem(
                file=file,
                message="expected a JSON object with days, commodities, entry_points, warehouses, sites, arcs",
            )
        )
    days = _num(data.get("days"), problems, file, None, "days", integer=True, minimum=1)
    if days is None:
        raise InputError(problems)
    payload = _num(data.get("payload_t", DEFAULT_PAYLOAD_T), problems, file, None, "payload_t", minimum=_EPS)
    op_h = _num(
        data.get("operating_h_per_day", DEFAULT_OPERATING_H_PER_DAY),
        problems,
        file,
        None,
        "operating_h_per_day",
        minimum=_EPS,
    )
    for key in ("commodities", "entry_points", "sites", "arcs"):
        if not isinstance(data.get(key), list) or not data.get(key):
            problems.append(Problem(file=file, field=key, message="expected a non-empty list"))
    if problems:
        raise InputError(problems)

    r = _Reader(file=file, days=days, problems=problems)
    commodities = [c for i, raw in enumerate(data["commodities"]) if (c := _read_commodity(r, i, raw)) is not None]
    r.cmap = {c.id: c for c in commodities}
    entries = [e for i, raw in enumerate(data["entry_points"]) if (e := _read_entry(r, i, raw, payload)) is not None]
    warehouses = [
        w for i, raw in enumerate(data.get("warehouses") or []) if (w := _read_warehouse(r, i, raw)) is not None
    ]
    sites = [s for i, raw in enumerate(data["sites"]) if (s := _read_site(r, i, raw)) is not None]
    production = [
        p for i, raw in enumerate(data.get("production") or []) if (p := _read_production(r, i, raw)) is not None
    ]
    arcs = [a for i, raw in enumerate(data["arcs"]) if (a := _read_arc(r, i, raw)) is not None]
    policy, order = _read_sharing(r, data)
    inst = SupplyInstance(
        days=days,
        commodities=commodities,
        entry_points=entries,
        warehouses=warehouses,
        sites=sites,
        arcs=arcs,
        production=production,
        payload_t=payload or DEFAULT_PAYLOAD_T,
        operating_h_per_day=op_h or DEFAULT_OPERATING_H_PER_DAY,
        sharing=policy,
        group_priority=order,
    )
    problems.extend(instance_problems(inst, file))
    if problems:
        raise InputError(list(dict.fromkeys(problems)))  # a problem found twice is said once
    return inst


def read_instance(path: str | Path) -> SupplyInstance:
    """Read a JSON instance file (see ``instance_from_dict``)."""
    path = Path(path)
    data = read_json(path, "instance file")
    return instance_from_dict(data, file=str(path))
