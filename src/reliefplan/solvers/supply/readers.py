"""Reading a supply instance: the standalone JSON format (``instance_from_dict``, ``read_instance``), every
problem reported with its file, feature and field.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from ..._errors import InputError, Problem
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
