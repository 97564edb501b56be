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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import InputError, Problem
from ..scenario._layers import read_json
from .supply import SupplyInstance, SupplyResult, instance_from_dict, owed_to_date

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
    shortfall_t: float  # t short over the horizon; for a carry-over commodity, t still owed at the end
    first_shortfall_day: int | None
    sites_short_first_day: list[str]  # sites short on that day
    coverage_by_day: list[float]  # all sites together
    people_below_standard_by_day: list[float] | None
    met_share: float = 1.0  # share of the horizon's need met (carry-over: of the person-days owed, had)
    carry_over: bool = False


@dataclass
class GroupSustain:
    """One group of people (all cells of that group), per commodity [K, T]: need, handed out, short."""

    group: str
    need_t: np.ndarray  # need arising each day
    consumed_t: np.ndarray
    shortfall_t: np.ndarray  # carry-over: still owed at the end of the day
    owed_t: np.ndarray  # what the shortfall is measured against (the day's need, or all owed so far)
    people: np.ndarray  # [T] people present (NaN if not given)
    met_share: dict[str, float]
    first_shortfall_day: dict[str, int | None]


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
    groups: dict[str, GroupSustain] = field(default_factory=dict)
    met_share_by_site: dict[str, list[float | None]] = field(default_factory=dict)  # None where nothing is needed

    @property
    def first_shortfall_day(self) -> dict[str, int | None]:
        return {c.commodity: c.first_shortfall_day for c in self.commodities}

    @property
    def total_shortfall_t(self) -> dict[str, float]:
        return {c.commodity: c.shortfall_t for c in self.commodities}


def apply_disruptions(
    inst: SupplyInstance, disruptions: Sequence[Disruption], file: str = "scenario"
) -> SupplyInstance:
    """A copy of the instance with closures and capacity cuts applied to per-day entry capacity."""
    problems: list[Problem] = []
    ids = {e.id: i for i, e in enumerate(inst.entry_points)}
    for i, d in enumerate(disruptions):
        feat = f"disruptions[{i}]"
        if d.entry_point not in ids:
            problems.append(
                Problem(
                    file=file,
                    feature=feat,
                    field="entry_point",
                    message=f"unknown entry point {d.entry_point!r}; expected one of {sorted(ids)}",
                )
            )
        bad = [t for t in d.days if not 0 <= t < inst.days]
        if bad:
            problems.append(
                Problem(
                    file=file,
                    feature=feat,
                    field="days",
                    message=f"days {bad} are outside the horizon 0..{inst.days - 1}",
                )
            )
        if not 0.0 <= d.capacity_factor <= 1.0:
            problems.append(
                Problem(
                    file=file,
                    feature=feat,
                    field="capacity_factor",
                    message=f"expected a share between 0 and 1, got {d.capacity_factor}",
                )
            )
    if problems:
        raise InputError(problems)
    caps = {e.id: e.capacity_t(inst.days, inst.payload_t) for e in inst.entry_points}
    for d in disruptions:
        caps[d.entry_point][list(d.days)] *= d.capacity_factor
    entries = [
        replace(e, capacity_t_by_day=[float(v) for v in caps[e.id]], closed_days=(), opening_day=0)
        for e in inst.entry_points
    ]
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
            problems.append(
                Problem(
                    file=file,
                    feature=feat,
                    field="days",
                    message="expected a list of integer days (or first_day and last_day)",
                )
            )
            continue
        f = d.get("capacity_factor", 0.0)
        if isinstance(f, bool) or not isinstance(f, (int, float)):
            problems.append(Problem(file=file, feature=feat, field="capacity_factor", message="expected a number"))
            continue
        out.append(
            Disruption(
                entry_point=d["entry_point"],
                days=tuple(days),
                capacity_factor=float(f),
                reason=str(d.get("reason", "")),
            )
        )
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


def _met_share(consumed: np.ndarray, need: np.ndarray, short: np.ndarray, owed: np.ndarray, carry: bool) -> float:
    """Share of the need met over the horizon; for a carry-over commodity, of the person-days owed, those had."""
    if carry:
        total = float(owed.sum())
        return 1.0 if total <= 0 else 1.0 - float(short.sum()) / total
    total = float(need.sum())
    return 1.0 if total <= 0 else float(np.minimum(consumed, need).sum()) / total


def _met_shares(
    consumed: np.ndarray, need: np.ndarray, short: np.ndarray, owed: np.ndarray, carry: np.ndarray
) -> np.ndarray:
    """`_met_share` of every commodity and site at once: [K, S] from [K, S, T] (sums over the contiguous day axis,
    so each is the sum `_met_share` takes of its site's row)."""

    def day_sum(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a, dtype=float).sum(axis=2)

    owed_t, need_t = day_sum(owed), day_sum(need)
    with np.errstate(divide="ignore", invalid="ignore"):
        owed_share = np.where(owed_t <= 0, 1.0, 1.0 - day_sum(short) / owed_t)
        need_share = np.where(need_t <= 0, 1.0, day_sum(np.minimum(consumed, need)) / need_t)
    return np.where(carry[:, None], owed_share, need_share)


def _first(short: np.ndarray) -> int | None:
    days = np.flatnonzero(short)
    return int(days[0]) if days.size else None


def sustain(inst: SupplyInstance, result: SupplyResult, *, tol_t: float = 1e-6) -> SustainResult:
    """Coverage series, people below standard and first shortfall day per commodity, site and group.

    For a commodity owed until delivered (tents and kits) coverage on a day is the share of what is owed so far
    that people have, and people below standard are everyone present at a site where something is still owed."""
    S, T = len(result.site_ids), result.days
    carry = np.asarray(result.carry_over, dtype=bool)
    need = result.demand_t
    owed = result.need_to_date_t()
    assert result.consumed_t is not None  # SupplyResult.__post_init__ fills it
    consumed = np.clip(result.consumed_t, 0.0, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        daily_cov = np.where(need > 0, np.minimum(consumed, need) / np.where(need > 0, need, 1.0), 1.0)
        owed_cov = np.where(owed > 0, 1.0 - result.shortfall_t / np.where(owed > 0, owed, 1.0), 1.0)
        coverage = np.where(carry[:, None, None], owed_cov, daily_cov)
        nxt = np.concatenate([need[:, :, 1:], need[:, :, -1:]], axis=2)
        stock_days = np.where(nxt > 0, result.site_stock_t / np.where(nxt > 0, nxt, 1.0), np.inf)
    short = result.shortfall_t > tol_t + COVERAGE_TOL * owed
    people = None
    if all(s.people is not None for s in inst.sites) and inst.sites:
        people = np.array([np.asarray(s.people, dtype=float) for s in inst.sites]).reshape(S, T)
    elif result.cell_people is not None and result.cell_site is not None and result.cell_people.size:
        # people per site from its cells (each person is in one cell)
        people = np.zeros((S, T))
        np.add.at(people, result.cell_site, np.nan_to_num(result.cell_people))
    below = unserved = None
    if people is not None:
        below = np.where(short, people[None, :, :], 0.0)
        unserved = (1.0 - coverage) * people[None, :, :]
    by_site: dict[str, dict[str, int | None]] = {}
    commodities: list[CommoditySustain] = []
    first_site = np.where(short.any(axis=2), short.argmax(axis=2), -1).tolist()  # [K, S] first short day, -1 none
    for k, kid in enumerate(result.commodity_ids):
        by_site[kid] = {sid: None if d < 0 else d for sid, d in zip(result.site_ids, first_site[k])}
        first = _first(short[k].any(axis=0))
        if carry[k]:
            tot = owed[k].sum(axis=0)
            cov_day = np.where(tot > 0, 1.0 - result.shortfall_t[k].sum(axis=0) / np.where(tot > 0, tot, 1.0), 1.0)
        else:
            tot = need[k].sum(axis=0)
            cov_day = np.where(tot > 0, np.minimum(consumed[k], need[k]).sum(axis=0) / np.where(tot > 0, tot, 1.0), 1.0)
        commodities.append(
            CommoditySustain(
                commodity=kid,
                required_t=float(need[k].sum()),
                shortfall_t=float(result.shortfall_t[k][:, -1].sum() if carry[k] else result.shortfall_t[k].sum()),
                first_shortfall_day=first,
                sites_short_first_day=[]
                if first is None
                else [result.site_ids[s] for s in np.flatnonzero(short[k, :, first])],
                coverage_by_day=[float(v) for v in cov_day],
                people_below_standard_by_day=None if below is None else [float(v) for v in below[k].sum(axis=0)],
                met_share=_met_share(consumed[k], need[k], result.shortfall_t[k], owed[k], bool(carry[k])),
                carry_over=bool(carry[k]),
            )
        )
    share = _met_shares(consumed, need, result.shortfall_t, owed, carry)
    by_site_share = {
        kid: [v if has else None for v, has in zip(share[k].tolist(), need[k].any(axis=1).tolist())]
        for k, kid in enumerate(result.commodity_ids)
    }
    return SustainResult(
        days=T,
        commodity_ids=list(result.commodity_ids),
        site_ids=list(result.site_ids),
        coverage=coverage,
        stock_days_of_need=stock_days,
        people_below_standard=below,
        people_unserved_equivalent=unserved,
        first_shortfall_day_by_site=by_site,
        commodities=commodities,
        groups=group_sustain(result, tol_t=tol_t),
        met_share_by_site=by_site_share,
    )


def group_sustain(result: SupplyResult, *, tol_t: float = 1e-6) -> dict[str, GroupSustain]:
    """Need, consumption and shortfall per group of people, over all its cells."""
    if (
        result.cell_demand_t is None
        or result.cell_site is None
        or result.cell_consumed_t is None
        or result.cell_shortfall_t is None
    ):
        return {}
    carry = np.asarray(result.carry_over, dtype=bool)
    K, _, T = result.cell_demand_t.shape
    out: dict[str, GroupSustain] = {}
    groups = np.array(result.cell_group, dtype=object)
    for g in dict.fromkeys(result.cell_group):
        q = np.flatnonzero(groups == g)
        need = result.cell_demand_t[:, q].sum(axis=1)
        used = result.cell_consumed_t[:, q].sum(axis=1)
        short = result.cell_shortfall_t[:, q].sum(axis=1)
        owed = owed_to_date(need, carry)
        people = result.cell_people[q] if result.cell_people is not None else np.full((q.size, T), np.nan)
        people = np.nansum(people, axis=0) if not np.isnan(people).all() else np.full(T, np.nan)
        ids = result.commodity_ids
        out[g] = GroupSustain(
            group=g,
            need_t=need,
            consumed_t=used,
            shortfall_t=short,
            owed_t=owed,
            people=people,
            met_share={k: _met_share(used[i], need[i], short[i], owed[i], bool(carry[i])) for i, k in enumerate(ids)},
            first_shortfall_day={k: _first(short[i] > tol_t + COVERAGE_TOL * owed[i]) for i, k in enumerate(ids)},
        )
    return out


def sustain_to_dict(s: SustainResult) -> dict[str, object]:
    """Compact JSON form: per commodity totals and series (site detail stays in the arrays)."""
    return {
        "first_shortfall_day": s.first_shortfall_day,
        "shortfall_t": {c.commodity: round(c.shortfall_t, 3) for c in s.commodities},
        "commodities": [
            {
                "commodity": c.commodity,
                "required_t": round(c.required_t, 3),
                "shortfall_t": round(c.shortfall_t, 3),
                "met_share": round(c.met_share, 6),
                "owed_until_delivered": c.carry_over,
                "first_shortfall_day": c.first_shortfall_day,
                "sites_short_first_day": c.sites_short_first_day,
                "coverage_by_day": [round(v, 4) for v in c.coverage_by_day],
                "people_below_standard_by_day": c.people_below_standard_by_day,
            }
            for c in s.commodities
        ],
        "first_shortfall_day_by_site": s.first_shortfall_day_by_site,
    }
