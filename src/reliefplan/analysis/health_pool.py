"""Ensemble health: pool every member's health draws into one distribution, so the P10/P50/P90 of "threshold
crossed from day D", of the death rates and of excess deaths cover both the plan's uncertainty (members: population,
land, roads, crossings) and the health model's (draws within a member) — not a percentile of member medians.

A member keeps its draws compactly (`member_draws`: first-crossing days, horizon-mean and last-day rates, excess
deaths, per draw and group); `pool_members` concatenates the draws of every member that has a group (a member
without people in a group contributes no draws to it) and takes inverted-CDF percentiles for days (a day some draw
crossed on; never crossed ranks after the horizon) and linear ones for rates. Each member counts in proportion to
its draws (all members use the scenario's `health.draws`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..solvers.health import PERCENTILES, HealthProjection, day_percentiles

#: rates kept per draw and group: horizon mean and last day
RATES = ("cdr_per_10k_day", "u5dr_per_10k_day", "gam_share")


def member_draws(p: HealthProjection | None) -> dict[str, Any] | None:
    """What a member keeps of its health projection: per draw and group [D, G]."""
    if p is None:
        return None
    rates: dict[str, np.ndarray] = {}
    for name in RATES:
        if name in p.indicators:
            x = np.asarray(p.indicators[name], dtype=float)
            rates[f"{name}.mean"] = x.mean(axis=2)
            rates[f"{name}.last_day"] = x[:, :, -1]
    return {
        "groups": list(p.group_ids),
        "crossing_days": {k: np.asarray(v, dtype=np.int64) for k, v in p.crossing_days.items()},
        "rates": rates,
        "excess_deaths": np.asarray(p.excess_deaths_draws, dtype=float),
    }


def _by_group(members: list[dict[str, Any]], get: Any) -> dict[str, np.ndarray]:
    """group -> the draws of every member that has it, concatenated."""
    out: dict[str, list[np.ndarray]] = {}
    for m in members:
        a = get(m)
        if a is None:
            continue
        for i, g in enumerate(m["groups"]):
            out.setdefault(g, []).append(np.asarray(a)[:, i])
    return {g: np.concatenate(v) for g, v in out.items()}


def _linear(x: np.ndarray) -> dict[str, float]:
    pct = np.percentile(x, PERCENTILES)
    return {f"p{q}": round(float(v), 6) for q, v in zip(PERCENTILES, pct)}


def pool_members(members: list[dict[str, Any] | None]) -> dict[str, Any] | None:
    """Pooled P10/P50/P90 over members x model draws (None when no member has a health projection)."""
    ms = [m for m in members if m]
    if not ms:
        return None
    thresholds = sorted({k for m in ms for k in m["crossing_days"]})
    crossings = []
    for th in thresholds:
        for g, days in sorted(_by_group(ms, lambda m, th=th: m["crossing_days"].get(th)).items()):
            pct = day_percentiles(days.reshape(-1, 1))[:, 0]
            crossings.append(
                {
                    "group": g,
                    "threshold": th,
                    **{f"day_p{q}": None if d < 0 else int(d) for q, d in zip(PERCENTILES, pct)},
                    "share_of_draws": round(float(np.mean(days >= 0)), 4),
                    "draws": int(days.size),
                }
            )
    names = sorted({k for m in ms for k in m["rates"]})
    rates = {
        name: {g: _linear(x) for g, x in sorted(_by_group(ms, lambda m, n=name: m["rates"].get(n)).items())}
        for name in names
    }
    deaths = {g: _linear(x) for g, x in sorted(_by_group(ms, lambda m: m["excess_deaths"]).items())}
    return {
        "members": len(ms),
        "draws": int(sum(m["excess_deaths"].shape[0] for m in ms)),
        "crossings": crossings,
        "rates": rates,
        "excess_deaths": {g: {k: round(v, 1) for k, v in d.items()} for g, d in deaths.items()},
        "notes": [
            "Pooled over every member's health draws (members x model draws): the ranges cover the plan's "
            "uncertainty and the health model's together. Days: inverted-CDF percentiles (a day some draw crossed "
            "on; null: not crossed within the horizon at that percentile); rates (per 10,000 per day; GAM as a "
            "share) and excess deaths: linear percentiles. These are risk projections, not predictions.",
        ],
    }
