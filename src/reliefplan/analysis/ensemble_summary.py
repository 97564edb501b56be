"""An ensemble's summary: P10/P50/P90 of the members' outcomes, the probability that each verdict indicator is
met, Spearman sensitivity of every sampled input, the health draws pooled over members."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..solvers.supply.operate import STATUS as OPERATE_STATUS
from .health_pool import pool_members
from .sampling import MemberInputs

PERCENTILES = (10, 50, 90)

#: outcomes that are a first day (None/NaN: not within the horizon, ranked after it); health days are the earliest
#: median first-crossing day over groups of each member (a risk projection)
_DAY_OUTCOMES = ("first_shortfall_day.", "first_health_day.")

#: an ensemble member's supply operated day by day (`--supply operate`): no optimum is sought, none is missing
OPERATED = OPERATE_STATUS.lower()

NOTES = [
    (
        "Percentiles over successful members; first_shortfall_day percentiles are null when no shortfall "
        "happens within the horizon at that percentile."
    ),
    (
        "Sensitivity: Spearman rank correlation of each sampled input with each outcome (tornado data, "
        "largest |rho| first); first shortfall day censored at the horizon."
    ),
    (
        "A member whose supply LP stopped without an optimum (e.g. its time limit, supply.time_limit_s, in wall "
        "seconds) counts everything owed as short: it reads worse, never better; supply_not_optimal lists them."
    ),
    (
        "Samples outside a quantity's range are clipped to it (population >= 0, usable fraction in [0, 1], "
        "trucks >= 0, road capacity factor >= 0.01); clipped_samples counts them per parameter."
    ),
]


def _pct(values: np.ndarray, method: str = "linear") -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for q in PERCENTILES:
        v = float(np.percentile(values, q, method=method)) if len(values) else math.nan
        out[f"p{q}"] = None if not math.isfinite(v) else v
    return out


def _column(ok: list[dict[str, Any]], c: str) -> np.ndarray:
    """Outcome ``c`` of every successful member (NaN where missing)."""
    return np.array([np.nan if r.get(c) is None else float(r[c]) for r in ok], dtype=float)


def _outcomes(ok: list[dict[str, Any]], outcome_cols: list[str]) -> dict[str, Any]:
    """P10/P50/P90 (and mean) of each outcome; first days also the share of members with one."""
    outcomes: dict[str, Any] = {}
    for c in outcome_cols:
        v = _column(ok, c)
        if c.startswith(_DAY_OUTCOMES):
            # no shortfall within the horizon counts as later than any day: a null percentile means "none"
            v = np.where(np.isnan(v), np.inf, v)
            outcomes[c] = {
                **_pct(v, "inverted_cdf"),
                "p_shortfall": float(np.mean(np.isfinite(v))) if len(v) else None,
                "n": len(v),
            }
        else:
            fin = v[np.isfinite(v)]
            outcomes[c] = {**_pct(fin), "mean": float(fin.mean()) if len(fin) else None, "n": len(fin)}
    return outcomes


def _no_shortfall_through_day(ok: list[dict[str, Any]], outcome_cols: list[str], horizon_days: int) -> dict[str, Any]:
    """Per commodity, the share of members without a shortfall through each day (health days: percentiles only)."""
    by_day = {}
    for c in outcome_cols:
        if c.startswith("first_shortfall_day."):
            v = np.where(np.isnan(_column(ok, c)), np.inf, _column(ok, c))
            by_day[c.split(".", 1)[1]] = [float(np.mean(v > d)) for d in range(horizon_days)] if len(v) else []
    return by_day


def _verdict_p_met(ok: list[dict[str, Any]], cols: list[str]) -> dict[str, Any]:
    """Per verdict row, the share of the members that assessed it in which it is met."""
    verdict = {}
    for c in cols:
        if c.startswith("met."):
            v = _column(ok, c)
            assessed = v[~np.isnan(v)]
            verdict[c[4:]] = {"p_met": float(assessed.mean()) if len(assessed) else None, "n_assessed": len(assessed)}
    return verdict


def _sensitivity(
    ok: list[dict[str, Any]], inputs: list[MemberInputs], outcome_cols: list[str], horizon_days: int
) -> dict[str, list[dict[str, Any]]]:
    """Tornado data: per outcome, the Spearman rank correlation of every sampled input, largest |rho| first."""
    from scipy.stats import spearmanr

    by_member = {m.index: m for m in inputs}
    names = sorted({k for m in inputs for k in m.inputs})
    x = {n: np.array([by_member[r["member"]].inputs.get(n, np.nan) for r in ok], dtype=float) for n in names}
    sensitivity: dict[str, list[dict[str, Any]]] = {}
    for c in outcome_cols:
        y = _column(ok, c)
        if c.startswith(_DAY_OUTCOMES):
            y = np.where(np.isnan(y), horizon_days, y)  # censored at the horizon; ranks stay right
        bars = []
        for n, xv in x.items():
            keep = np.isfinite(xv) & np.isfinite(y)
            if keep.sum() < 3 or np.ptp(xv[keep]) == 0 or np.ptp(y[keep]) == 0:
                continue
            rho = float(spearmanr(xv[keep], y[keep]).statistic)
            if math.isfinite(rho):
                bars.append({"input": n, "spearman_rho": rho})
        sensitivity[c] = sorted(bars, key=lambda b: -abs(b["spearman_rho"]))
    return sensitivity


def summarise(rows: list[dict[str, Any]], inputs: list[MemberInputs], horizon_days: int) -> dict[str, Any]:
    """P10/P50/P90 of the outcomes, probability each verdict indicator is met, Spearman sensitivity."""
    draws = [(r.get("status") == "ok", r.pop("health_draws", None)) for r in rows]  # never kept per member
    health = pool_members([d for ok_, d in draws if ok_])
    ok = [r for r in rows if r.get("status") == "ok"]
    cols = sorted({k for r in ok for k in r})
    outcome_cols = [
        c
        for c in cols
        if c in ("displaced", "sheltered", "unsheltered", "clearance_h")
        or c.startswith(("shortfall_t.",) + _DAY_OUTCOMES)
    ]
    clipped: dict[str, int] = {}
    for m in inputs:
        for k, n in m.clipped.items():
            clipped[k] = clipped.get(k, 0) + n
    failed = [
        {"member": r["member"], "attempts": r.get("attempts"), "error": r.get("error")}
        for r in rows
        if r.get("status") != "ok"
    ]
    return {
        "members": len(rows),
        "ok": len(ok),
        "failed": failed,
        "retried": int(sum(1 for r in rows if (r.get("attempts") or 1) > 1)),
        "conserved_in_every_member": all(bool(r.get("conserved")) for r in ok),
        "supply_not_optimal": [
            {"member": r["member"], "supply_status": r["supply_status"]}
            for r in ok
            if r.get("supply_status") not in (None, "optimal", OPERATED)
        ],
        "clipped_samples": clipped,
        "outcomes": _outcomes(ok, outcome_cols),
        "p_no_shortfall_through_day": _no_shortfall_through_day(ok, outcome_cols, horizon_days),
        "verdict_p_met": _verdict_p_met(ok, cols),
        "sensitivity": _sensitivity(ok, inputs, outcome_cols, horizon_days),
        "health_pooled": health,
        "notes": list(NOTES),
    }
