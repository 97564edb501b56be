"""Per phase of a plan (the days between declared events: sites opening, shrinking, closing, operations ending),
what changes: sites closed, camp places lost, people re-displaced, people who lost their place, people home, and
the first day in the phase each standard falls short. Read from plan.json's `phases` and `sustain` blocks."""

from __future__ import annotations

from typing import Any

from ..plan import PhaseEvent, Plan

#: a day's coverage this close to 1 is LP round-off, not a shortfall (as `stages.verdict.SHARE_TOL`)
COVERAGE_TOL = 1e-6


def phase_days(plan: Plan) -> list[int]:
    """Day 0 and each day a declared phase event falls on, within the horizon."""
    ev = plan.phases.events if plan.phases is not None else []
    return sorted({0} | {e.day for e in ev if 0 <= e.day < plan.horizon_days})


def _in(series: list[int], a: int, b: int) -> int:
    """Increase of a cumulative by-day series over days a..b."""
    if not series:
        return 0
    return int(series[b]) - (int(series[a - 1]) if a > 0 else 0)


def first_short_in(plan: Plan, a: int, b: int) -> dict[str, int | None]:
    """Per commodity: the first day in a..b on which the need of everyone in the plan is not fully met."""
    out: dict[str, int | None] = {}
    for c in plan.sustain.commodities if plan.sustain is not None else []:
        cov = c.coverage_by_day
        out[c.commodity] = next((t for t in range(a, min(b + 1, len(cov))) if cov[t] < 1.0 - COVERAGE_TOL), None)
    return out


def _events_words(events: list[PhaseEvent]) -> str:
    """The day's events by kind: "closes: S1, S2; shrinks: S3 (to 50%)"."""
    kinds: dict[str, list[str]] = {}
    for e in events:
        name = str(e.site or e.footprint)
        kinds.setdefault(e.event, []).append(name + (f" (to {e.share:.0%})" if e.share is not None else ""))
    return "; ".join(f"{k}: {', '.join(v)}" for k, v in kinds.items())


def phase_rows(plan: Plan, days: list[int] | None = None) -> list[dict[str, Any]]:
    """One row per phase: from_day, to_day, the events on its first day, sites closed, places at its start and lost
    on its first day, people re-displaced / diverted / losing their place / returned home during it, and the first
    day in it each standard falls short. days: the phases' first days (default: this plan's, `phase_days`); pass
    another plan's to line two plans up."""
    ph = plan.phases
    days = sorted(set(days if days is not None else phase_days(plan)) | {0})
    T = plan.horizon_days
    places = ph.places_by_day if ph is not None else []
    events = ph.events if ph is not None else []
    rows = []
    for i, a in enumerate(days):
        b = (days[i + 1] - 1) if i + 1 < len(days) else T - 1
        on = [e for e in events if e.day == a]
        rows.append(
            {
                "phase": i + 1,
                "from_day": a,
                "to_day": b,
                "events": _events_words(on),
                "sites_closed": sum(1 for e in on if e.event == "closes"),
                "places_at_start": int(places[a]) if places else None,
                "places_lost": max(int(places[a - 1]) - int(places[a]), 0) if places and a > 0 else 0,
                "redisplaced": _in(ph.redisplaced_by_day if ph is not None else [], a, b),
                "diverted": _in(ph.diverted_by_day if ph is not None else [], a, b),
                "lost_place": _in(ph.lost_place_by_day if ph is not None else [], a, b),
                "returned": _in(ph.returned_by_day if ph is not None else [], a, b),
                "first_short_day": first_short_in(plan, a, b),
            }
        )
    return rows
