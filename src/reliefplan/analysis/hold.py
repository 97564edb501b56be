""" "How long can it hold": per plan and group, the first day a standard falls short and the first day a health
threshold is projected to be crossed (P10-P90), in words and as figures for the headline, comparison and assessment.

Reads plan.json's `hold` block (stages.health.hold); health days are risk projections, not predictions.
"""

from __future__ import annotations

from ..plan import Plan
from ..plan_health import FirstCrossing, GroupFirstCrossing
from ..solvers.health import THRESHOLD_WORDS

STANDARD_WORDS = {"water": "water", "food": "food", "medical": "medical supplies", "shelter_nfi": "tents and kits"}
GROUP_WORDS = {"site_residents": "site residents", "served_elsewhere": "served elsewhere"}


def _g(g: str) -> str:
    return GROUP_WORDS.get(g, g)


def _range(c: GroupFirstCrossing | FirstCrossing, horizon: int) -> str:
    hi = c.day_p90
    return f"P10-P90: day {c.day_p10} to {'beyond ' + str(horizon - 1) if hi is None else hi}"


def hold_lines(plan: Plan) -> list[str]:
    """What fails first, per group, in words (empty when the plan has no supply plan)."""
    h = plan.hold
    if not h:
        return []
    horizon = h.horizon_days
    out = []
    fs, fh = h.first_standard, h.first_health
    head = (
        f"first standard short: {STANDARD_WORDS.get(fs.standard, fs.standard)} on day {fs.day} ({_g(fs.group)})"
        if fs
        else f"every standard met for {horizon} days"
    )
    if plan.health is None:
        head += "; health thresholds not projected (no supply plan solution, or the health layer is off)"
    elif fh:
        head += (
            f"; first health threshold projected to be crossed: {THRESHOLD_WORDS.get(fh.threshold, fh.threshold)}"
            f" from day {fh.day_p50} ({_g(fh.group)}; {_range(fh, horizon)})"
        )
    else:
        head += f"; no health threshold projected to be crossed within {horizon} days (median over draws)"
    out.append(head)
    for gid, g in h.groups.items():
        parts = []
        if g.first_standard:
            s = g.first_standard
            parts.append(f"{STANDARD_WORDS.get(s.standard, s.standard)} short from day {s.day}")
        if g.first_health:
            c = g.first_health
            parts.append(f"{THRESHOLD_WORDS.get(c.threshold, c.threshold)} from day {c.day_p50} ({_range(c, horizon)})")
        if parts:
            out.append(f"{_g(gid)}: " + "; ".join(parts))
    if plan.health is not None:
        out.append("health days are risk projections, not predictions (ranges over declared parameter uncertainty)")
    return out


def hold_days(plan: Plan) -> dict[str, dict[str, int | None]]:
    """Per group: the first day a standard is short and the median first day a health threshold is crossed."""
    return {
        gid: {
            "first_standard_day": g.first_standard.day if g.first_standard else None,
            "first_health_day_p50": g.first_health.day_p50 if g.first_health else None,
            "first_health_day_p10": g.first_health.day_p10 if g.first_health else None,
        }
        for gid, g in (plan.hold.groups if plan.hold else {}).items()
    }


def first_health_day(plan: Plan) -> float | None:
    fh = plan.hold.first_health if plan.hold else None
    return None if not fh or fh.day_p50 is None else float(fh.day_p50)


def first_standard_day(plan: Plan) -> float | None:
    fs = plan.hold.first_standard if plan.hold else None
    return None if not fs else float(fs.day)
