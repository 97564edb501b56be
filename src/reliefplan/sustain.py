"""Sustainment: day-by-day coverage, stocks and first shortfall day from a supply plan; disruptions.

Coverage of a site, commodity and day is consumption / need (1 where nothing is needed), where
consumption = delivered + produced + stock drawn down, as planned by ``supply.solve_supply``.
People figures assume the shortfall of a site is shared equally by everyone present:

* ``people_below_standard`` — everyone present at a site on a day its coverage is below 1
  (equal sharing puts every person below the standard);
* ``people_unserved_equivalent`` — (1 − coverage) × people, the head-count the shortfall would
  leave with nothing if it were concentrated instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ._errors import InputError, Problem
from ._layers import read_json
from .supply import SupplyInstance, SupplyResult, instance_from_dict

COVERAGE_TOL = 1e-6  # coverage above 1 − this counts as met (solver noise)


@dataclass(frozen=True)
class Disruption:
    """A crossing closed (``capacity_factor`` 0) or cut to a share of its capacity on given days."""

    entry_point: str
    days: tuple[int, ...]
    capacity_factor: float = 0.0
    reason: str = ""


@dataclass
class CommoditySustain:
    commodity: str
    required_t: float
    shortfall_t: float
    first_shortfall_day: int | None
    sites_short_first_day: list[str]  # sites short on that day
    coverage_by_day: list[float]  # all sites together
    people_below_standard_by_day: list[float] | None


@dataclass
class SustainResult:
    days: int
    commodity_ids: list[str]
    site_ids: list[str]
    coverage: np.ndarray  # [K, S, T] share of need met
    stock_days_of_need: np.ndarray  # [K, S, T] end-of-day stock / next day's need (inf where no need)
    people_below_standard: np.ndarray | None  # [K, S, T]
    people_unserved_equivalent: np.ndarray | None  # [K, S, T]
    first_shortfall_day_by_site: dict[str, dict[str, int | None]]  # commodity -> site -> day
    commodities: list[CommoditySustain]

    @property
    def first_shortfall_day(self) -> dict[str, int | None]:
        return {c.commodity: c.first_shortfall_day for c in self.commodities}

    @property
    def total_shortfall_t(self) -> dict[str, float]:
        return {c.commodity: c.shortfall_t for c in self.commodities}


def apply_disruptions(inst: SupplyInstance, disruptions: Sequence[Disruption],
                      file: str = "scenario") -> SupplyInstance:
    """A copy of the instance with closures and capacity cuts applied to per-day entry capacity."""
    problems: list[Problem] = []
    ids = {e.id: i for i, e in enumerate(inst.entry_points)}
    for i, d in enumerate(disruptions):
        feat = f"disruptions[{i}]"
        if d.entry_point not in ids:
            problems.append(Problem(file=file, feature=feat, field="entry_point",
                                    message=f"unknown entry point {d.entry_point!r}; expected one of {sorted(ids)}"))
        bad = [t for t in d.days if not 0 <= t < inst.days]
        if bad:
            problems.append(Problem(file=file, feature=feat, field="days",
                                    message=f"days {bad} are outside the horizon 0..{inst.days - 1}"))
        if not 0.0 <= d.capacity_factor <= 1.0:
            problems.append(Problem(file=file, feature=feat, field="capacity_factor",
                                    message=f"expected a share between 0 and 1, got {d.capacity_factor}"))
    if problems:
        raise InputError(problems)
    caps = {e.id: e.capacity_t(inst.days, inst.payload_t) for e in inst.entry_points}
    for d in disruptions:
        caps[d.entry_point][list(d.days)] *= d.capacity_factor
    entries = [replace(e, capacity_t_by_day=[float(v) for v in caps[e.id]], closed_days=(), opening_day=0)
               for e in inst.entry_points]
    return replace(inst, entry_points=entries)


def disruptions_from_list(raw: Any, file: str = "<instance>") -> list[Disruption]:
    """Parse ``[{"entry_point", "days": [..] | "first_day"/"last_day", "capacity_factor"?, "reason"?}]``."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InputError(Problem(file=file, field="disruptions", message="expected a list"))
    out: list[Disruption] = []
    problems: list[Problem] = []
    for i, d in enumerate(raw):
        feat = f"disruptions[{i}]"
        if not isinstance(d, dict) or not isinstance(d.get("entry_point"), str):
            problems.append(Problem(file=file, feature=feat, field="entry_point", message="expected an entry point id"))
            continue
        days = d.get("days")
        if days is None and isinstance(d.get("first_day"), int) and isinstance(d.get("last_day"), int):
            days = list(range(d["first_day"], d["last_day"] + 1))
        if not isinstance(days, list) or not all(isinstance(t, int) and not isinstance(t, bool) for t in days):
            problems.append(Problem(file=file, feature=feat, field="days",
                                    message="expected a list of integer days (or first_day and last_day)"))
            continue
        f = d.get("capacity_factor", 0.0)
        if isinstance(f, bool) or not isinstance(f, (int, float)):
            problems.append(Problem(file=file, feature=feat, field="capacity_factor", message="expected a number"))
            continue
        out.append(Disruption(entry_point=d["entry_point"], days=tuple(days), capacity_factor=float(f),
                              reason=str(d.get("reason", ""))))
    if problems:
        raise InputError(problems)
    return out


def read_supply_file(path: str | Path) -> tuple[SupplyInstance, list[Disruption]]:
    """Read a supply instance JSON and apply its optional ``disruptions`` list."""
    path = Path(path)
    data = read_json(path, "instance file")
    inst = instance_from_dict(data, file=str(path))
    disruptions = disruptions_from_list(data.get("disruptions") if isinstance(data, dict) else None, str(path))
    return (apply_disruptions(inst, disruptions, str(path)) if disruptions else inst), disruptions


def sustain(inst: SupplyInstance, result: SupplyResult, *, tol_t: float = 1e-6) -> SustainResult:
    """Coverage series, people below standard and first shortfall day per commodity and site."""
    S, T = len(result.site_ids), result.days
    need = result.demand_t
    consumed = np.clip(result.consumed_t, 0.0, need)
    with np.errstate(divide="ignore", invalid="ignore"):
        coverage = np.where(need > 0, consumed / np.where(need > 0, need, 1.0), 1.0)
        nxt = np.concatenate([need[:, :, 1:], need[:, :, -1:]], axis=2)
        stock_days = np.where(nxt > 0, result.site_stock_t / np.where(nxt > 0, nxt, 1.0), np.inf)
    short = result.shortfall_t > tol_t + COVERAGE_TOL * need
    people = None
    if all(s.people is not None for s in inst.sites):
        people = np.array([np.asarray(s.people, dtype=float) for s in inst.sites]).reshape(S, T)
    below = unserved = None
    if people is not None:
        below = np.where(short, people[None, :, :], 0.0)
        unserved = (1.0 - coverage) * people[None, :, :]
    by_site: dict[str, dict[str, int | None]] = {}
    commodities: list[CommoditySustain] = []
    for k, kid in enumerate(result.commodity_ids):
        by_site[kid] = {}
        for s, sid in enumerate(result.site_ids):
            days = np.flatnonzero(short[k, s])
            by_site[kid][sid] = int(days[0]) if days.size else None
        any_day = np.flatnonzero(short[k].any(axis=0))
        first = int(any_day[0]) if any_day.size else None
        total_need = need[k].sum(axis=0)
        cov_day = np.where(total_need > 0, consumed[k].sum(axis=0) / np.where(total_need > 0, total_need, 1.0), 1.0)
        commodities.append(CommoditySustain(
            commodity=kid, required_t=float(need[k].sum()), shortfall_t=float(result.shortfall_t[k].sum()),
            first_shortfall_day=first,
            sites_short_first_day=[] if first is None else [result.site_ids[s] for s in
                                                              np.flatnonzero(short[k, :, first])],
            coverage_by_day=[float(v) for v in cov_day],
            people_below_standard_by_day=None if below is None else [float(v) for v in below[k].sum(axis=0)]))
    return SustainResult(days=T, commodity_ids=list(result.commodity_ids), site_ids=list(result.site_ids),
                         coverage=coverage, stock_days_of_need=stock_days, people_below_standard=below,
                         people_unserved_equivalent=unserved, first_shortfall_day_by_site=by_site,
                         commodities=commodities)


def sustain_to_dict(s: SustainResult) -> dict[str, object]:
    """Compact JSON form: per commodity totals and series (site detail stays in the arrays)."""
    return {
        "first_shortfall_day": s.first_shortfall_day,
        "shortfall_t": {c.commodity: round(c.shortfall_t, 3) for c in s.commodities},
        "commodities": [{"commodity": c.commodity, "required_t": round(c.required_t, 3),
                         "shortfall_t": round(c.shortfall_t, 3), "first_shortfall_day": c.first_shortfall_day,
                         "sites_short_first_day": c.sites_short_first_day,
                         "coverage_by_day": [round(v, 4) for v in c.coverage_by_day],
                         "people_below_standard_by_day": c.people_below_standard_by_day}
                        for c in s.commodities],
        "first_shortfall_day_by_site": s.first_shortfall_day_by_site,
    }
