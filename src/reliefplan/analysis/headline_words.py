"""The headline's wording: quantities, people, groups, comparisons and lists; a scenario-wide verdict row, a place
and a binding constraint of the supply plan in words."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .. import words
from ..plan import Indicator, Plan

#: group ids in words
GROUP_WORDS = {"site_residents": "site residents", "served_elsewhere": "served elsewhere"}


def _qty(v: float | None, unit: str) -> str:
    return words.quantity(v, unit)


def _people(n: float) -> str:
    return f"{round(n):,}"


def _group(g: str) -> str:
    return GROUP_WORDS.get(g, g.replace("_", " "))


def _one(v: float | None) -> str:
    """Litres per person per day with one decimal (6.2), as the standard is read."""
    return "—" if v is None else f"{v:,.1f}"


def _cmp(c: str) -> str:
    return words.COMPARISON_WORDS.get(c, c)


def _against(r: Indicator) -> str:
    return f"against {_cmp(r.comparison)} {_qty(r.target, r.unit)}"


def _list(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


#: scenario rows that count people, in words after the number
_PEOPLE_ROWS = {
    "people_remaining_in_operation_area": "remain in the area being emptied",
    "people_inside_operation_area_at_start": "are still inside an ordered area when its operation starts",
    "people_walking_over_max_h": "walk longer than the scenario's limit (movement.max_walk_h)",
    "people_redisplaced": "are ordered out of the place they reached",
    "people_left_without_place": "left and found no place",
    "people_redisplaced_by_site_phases": "move again from a site that closed or shrank",
    "people_lost_place_by_site_phases": "moved from a closed or shrunk site and found no place",
}


def _scenario_row_text(r: Indicator) -> str:
    """A scenario-wide row in words: its value, against its target."""
    v = r.value
    i = r.indicator
    if i.endswith("_need_met_share"):
        return f"{words.share(v)} of the need met overall"
    if i == "displaced_people_sheltered_share":
        return f"{words.share(v)} of the displaced have a shelter place {_against(r)}"
    if i == "entry_trucks_per_day_vs_need":
        return f"the crossings admit {words.number(v)} trucks/day on average against {words.number(r.target)} needed"
    if i in _PEOPLE_ROWS:
        return f"{_people(v or 0)} people {_PEOPLE_ROWS[i]}"
    if i == "usable_site_area_m2_per_displaced_person":
        return f"{_qty(v, r.unit)} of usable site land for each displaced person and resident {_against(r)}"
    if i == "evacuation_clearance_hours":
        return f"the last person reaches a site after {words.hours(v)} {_against(r)}"
    if i == "evacuees_reaching_their_site_share":
        return f"{words.share(v)} of the people moving reach their site"
    if i == "inpatient_beds_per_10000":
        return f"{_qty(v, r.unit)} on the worst day {_against(r)}"
    if i == "fleet_trucks_available":
        return f"{words.number(v)} trucks available to haul against {words.number(r.target)} needed"
    return f"{words.key_words(i)}: {_qty(v, r.unit)} {_against(r)}"


def _ratio(r: Indicator) -> float:
    """How far a row is from its target (lower is worse; 1 is met)."""
    if r.value is None:
        return math.inf
    if r.comparison == ">=":
        return 1.0 if r.target <= 0 else r.value / r.target
    return 1.0 if r.value <= 0 else r.target / r.value


def _scope(r: Indicator) -> tuple[str, str]:
    kind, _, ident = r.scope.partition(":")
    return kind, ident


def _place_name(plan: Plan, kind: str, ident: str) -> str:
    if kind == "site":
        s = next((s for s in plan.sites if s.id == ident), None)
        return (s.name or s.id) if s is not None else ident
    if kind == "zone":
        z = next((z for z in plan.zones if z.id == ident), None)
        return (z.name or z.id) if z is not None else ident
    return ident


def _days(first: Any, last: Any) -> str:
    if first is None:
        return ""
    return f"on day {first}" if last is None or last == first else f"on days {first}–{last}"


def binding_sentence(b: dict[str, Any], names: dict[str, str]) -> str:
    """A binding constraint of the supply plan in words, with its shadow-price estimate stated as one."""
    kind = str(b.get("kind", "")).replace("_", " ")
    where = names.get(str(b.get("id")), str(b.get("id", "")))
    subject = {
        "entry capacity": f"crossing capacity at {where}",
        "arc capacity": f"road capacity on {where}",
        "warehouse storage": f"storage at warehouse {where}",
        "site storage": f"storage at site {where}",
    }.get(kind, f"{kind} {where}".strip())
    when = _days(b.get("first_day"), b.get("last_day"))
    step = f"+{words.number(b.get('step'))} {b.get('step_unit', '')}".rstrip() if b.get("step") else "more"
    if isinstance(b.get("predicted_cut_t"), (int, float)) and b.get("commodity"):
        est = (
            f"{step} there would cut the {words.commodity_words(str(b['commodity']))} shortfall by up to about "
            f"{words.number(b['predicted_cut_t'])} t"
        )
    else:
        est = f"{step} there would cut the shortfall (several commodities at once)"
    return f"{subject} {when}: {est} (shadow-price estimate; exact only for small changes)".replace("  ", " ")
