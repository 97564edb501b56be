"""The headline of a plan: does it hold — for whom, from which day, by how much, what binds, and the smallest change
that would fix it — then the failing checks grouped and counted by kind.

One pure function from a Plan to a `Headline`, used by report.html, comparison.html, assessment.html, the CLI and
the web app, so that every face says the same thing and counts the same checks: a check is one verdict row, failed
when it is not met (`Indicator.met is False`); rows that cannot be assessed (`met is None`) are counted apart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .. import words
from ..plan import Indicator, Plan, Severity
from ..solvers.health import THRESHOLD_WORDS
from .headline_words import (
    _against,
    _cmp,
    _group,
    _list,
    _one,
    _people,
    _place_name,
    _qty,
    _ratio,
    _scenario_row_text,
    _scope,
    binding_sentence,
)
from .hold import hold_lines

#: verdict indicator -> kind of check (the headline groups and counts failures by kind)
KIND_OF: dict[str, str] = {
    "displaced_people_sheltered_share": "shelter_places",
    "people_remaining_in_operation_area": "left_behind",
    "usable_site_area_m2_per_displaced_person": "site_space",
    "site_area_m2_per_person": "site_space",
    "camp_population": "camp_size",
    "layout_people_with_a_plot": "camp_layout_space",
    "covered_m2_per_person": "camp_layout_space",
    "max_distance_plot_to_water_m": "camp_layout_distances",
    "max_distance_plot_to_latrine_m": "camp_layout_distances",
    "evacuees_reaching_their_site_share": "evacuation",
    "evacuation_clearance_hours": "evacuation",
    "entry_trucks_per_day_vs_need": "entry_capacity",
    "fleet_trucks_available": "fleet",
    "inpatient_beds_per_10000": "hospital_beds",
    "water_need_met_share": "water",
    "water_l_per_person_day": "water",
    "food_need_met_share": "food",
    "kcal_per_person_day": "food",
    "medical_need_met_share": "medical",
    "shelter_nfi_need_met_share": "shelter_nfi",
    "travel_times_on_road_network": "road_network",
    "people_inside_operation_area_at_start": "left_behind",
    "people_walking_over_max_h": "movement",
    "vulnerable_share_walking_over_max_h": "movement",
    "people_redisplaced": "movement",
    "people_left_without_place": "movement",
    **{f"health_{t}": "health" for t in THRESHOLD_WORDS},  # one verdict row per threshold and group
}
#: kinds in the order a planner asks about them (people without shelter, then what people get, then the means)
KIND_TITLES: dict[str, str] = {
    "shelter_places": "shelter places",
    "left_behind": "people left in the operation area",
    "water": "water",
    "food": "food",
    "medical": "medical supplies",
    "shelter_nfi": "shelter items (tents and kits)",
    "site_space": "site space per person",
    "camp_size": "camp size",
    "camp_layout_space": "camp layout: plots and covered space",
    "camp_layout_distances": "camp layout distances",
    "evacuation": "evacuation",
    "movement": "the move over days",
    "entry_capacity": "crossing capacity",
    "fleet": "hauling fleet",
    "hospital_beds": "hospital beds",
    "road_network": "road network",
    "health": "health thresholds (risk projection)",
}
#: kinds that are a commodity of the supply plan (their groups' first shortfall day comes from plan.groups)
COMMODITY_KINDS = ("water", "food", "medical", "shelter_nfi")
SEVERITY_RANK = {"critical": 0, "major": 1, "minor": 2, "info": 3, "ok": 4}
#: a share this close to 1 is LP round-off (as verdict.SHARE_TOL)
SHARE_TOL = 1e-6
#: binding constraints named in the headline (the rest are in the supply section and plan.json)
MAX_BINDS = 3
#: kinds whose title is plural ("shelter items fall short")
_PLURAL = {"medical", "shelter_nfi"}
_PLACE_WORDS = {
    "site": ("site", "sites"),
    "zone": ("zone", "zones"),
    "served": ("served population", "served populations"),
}


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CheckKind(_Out):
    """The checks of one kind (e.g. water: per scenario, per group, per location), counted, with the worst."""

    kind: str = Field(description="key, e.g. 'water', 'camp_layout_distances'")
    title: str = Field(description="the kind in words")
    failed: int = Field(description="checks (verdict rows) of this kind not met")
    checked: int = Field(description="checks of this kind assessed (met or not)")
    severity: Severity = Field(description="worst severity of the failed checks ('ok' when none failed)")
    groups_failed: list[str] = Field(default=[], description="groups of people with a failed check of this kind")
    groups_checked: int = 0
    places_failed: int = Field(default=0, description="sites, zones and served populations with a failed check")
    places_checked: int = 0
    first_day: int | None = Field(default=None, description="first day short (commodities), None: not known or never")
    text: str = Field(description="one line: what fails, for whom, from when, the worst case against its target")


class Headline(_Out):
    """What every page and the CLI say first about one plan."""

    scenario: str
    package: str | None = None
    holds: bool = Field(description="every check assessed is met")
    verdict: str = Field(description="'holds' or 'does not hold'")
    lead: str = Field(
        description="does it hold, for whom, from which day: 'The plan does not hold for everyone in "
        "the plan (…) from day 0'"
    )
    summary: str = Field(description="the lead, the worst finding (by how much) and the failed checks counted")
    findings: list[str] = Field(description="for whom, from which day and by how much, most important first")
    people_short: int = Field(
        description="people in a group with any failed check, plus the displaced without a shelter place"
    )
    people_in_plan: int
    first_day: int | None = Field(description="first day anything falls short (None: never within the horizon)")
    binds: list[str] = Field(
        description="what binds, in words (with the solver's shadow-price estimate where there is one)"
    )
    smallest_fix: list[str] = Field(
        description="the smallest change that would make the plan pass (assessment pairs); empty when not computed"
    )
    smallest_fix_computed: bool
    smallest_fix_note: str = Field(description="how the smallest change was found, or why it was not")
    failed: int = Field(description="checks not met (verdict rows)")
    checked: int = Field(description="checks assessed (verdict rows met or not)")
    not_assessed: int = Field(description="checks that could not be assessed")
    kinds: list[CheckKind] = Field(description="failing kinds of check, worst first")
    hold: list[str] = Field(
        default=[],
        description="how long can it hold: the first day a standard falls short and "
        "a health threshold is projected to be crossed, over all groups then per group",
    )


# ---- the kinds of check --------------------------------------------------------------------------------------------


def kind_of(indicator: str) -> str:
    """The kind of check a verdict indicator belongs to (an unknown indicator is a kind of its own)."""
    return KIND_OF.get(indicator, indicator)


def _group_first_day(plan: Plan, commodity: str, groups: Sequence[str]) -> int | None:
    days = [
        d
        for g in (plan.groups.summary if plan.groups else [])
        if g.group in groups and (d := g.first_shortfall_day.get(commodity)) is not None
    ]
    if days:
        return int(min(days))
    first = plan.supply.first_shortfall_day.get(commodity) if plan.supply else None
    return None if first is None else int(first)


def _kind(plan: Plan, kind: str, rows: list[Indicator]) -> CheckKind:
    failed = [r for r in rows if r.met is False]
    title = KIND_TITLES.get(kind, words.key_words(kind))
    sev: Severity = min((r.severity for r in failed), key=lambda s: SEVERITY_RANK.get(s, 9), default="ok")
    parts: list[str] = []
    for r in (r for r in failed if r.scope == "scenario"):
        parts.append(_scenario_row_text(r))
    # groups of people
    g_rows = [r for r in rows if r.scope.startswith("group:")]
    g_all = list(dict.fromkeys(_scope(r)[1] for r in g_rows))
    g_failed = list(dict.fromkeys(_scope(r)[1] for r in g_rows if r.met is False))
    first_day = _group_first_day(plan, kind, g_failed) if kind in COMMODITY_KINDS and failed else None
    if g_failed:
        g_fail_rows = [r for r in g_rows if r.met is False]
        # the per-person figure (L or kcal per person per day) says more than a share when there is one
        per_person = [r for r in g_fail_rows if not r.unit.startswith("share")] or g_fail_rows
        worst = min(per_person, key=_ratio)
        when = f" from day {first_day}" if first_day is not None else ""
        value = _one(worst.value) + " L/person/day" if worst.unit == "L/person/day" else _qty(worst.value, worst.unit)
        parts.append(
            f"{len(g_failed)} of {len(g_all)} groups short{when} ({_list([_group(g) for g in g_failed])}), "
            f"worst {value} ({_group(_scope(worst)[1])}) {_against(worst)}"
        )
    elif kind in COMMODITY_KINDS and first_day is not None and parts:
        parts[-1] += f", from day {first_day}"
    # places: sites, zones, served populations
    p_rows = [r for r in rows if _scope(r)[0] in _PLACE_WORDS]
    p_all = list(dict.fromkeys(r.scope for r in p_rows))
    p_failed_rows = [r for r in p_rows if r.met is False]
    p_failed = list(dict.fromkeys(r.scope for r in p_failed_rows))
    if p_failed:
        types = list(dict.fromkeys(_scope(r)[0] for r in p_rows))
        if len(types) == 1:
            noun = _PLACE_WORDS[types[0]][1]
            text = f"{len(p_failed)} of {len(p_all)} {noun}"
        else:
            by = [(t, sum(1 for s in p_failed if s.startswith(t + ":"))) for t in types]
            text = (
                f"{len(p_failed)} of {len(p_all)} places ("
                + ", ".join(f"{n:,} {_PLACE_WORDS[t][0 if n == 1 else 1]}" for t, n in by if n)
                + ")"
            )
        if not g_failed:  # the worst place, when no group figure says it already
            worst = min(p_failed_rows, key=_ratio)
            what = words.key_words(worst.indicator) if len({r.indicator for r in p_failed_rows}) > 1 else ""
            text += (
                f", worst {what + ' ' if what else ''}{_qty(worst.value, worst.unit)} "
                f"({_place_name(plan, *_scope(worst))}) {_against(worst)}"
            )
        parts.append(text)
    others = [
        r
        for r in failed
        if r.scope != "scenario" and _scope(r)[0] not in _PLACE_WORDS and not r.scope.startswith("group:")
    ]
    if others:
        parts.append(f"{len(others)} other check(s)")
    return CheckKind(
        kind=kind,
        title=title,
        failed=len(failed),
        checked=len(rows),
        severity=sev,
        groups_failed=g_failed,
        groups_checked=len(g_all),
        places_failed=len(p_failed),
        places_checked=len(p_all),
        first_day=first_day,
        text=f"{title}: " + ("; ".join(parts) if parts else "met"),
    )


def check_kinds(plan: Plan) -> list[CheckKind]:
    """Every kind of check of the plan (failing or not), failing kinds first, worst first."""
    by: dict[str, list[Indicator]] = {}
    for r in plan.verdict:
        if r.met is None:
            continue
        by.setdefault(kind_of(r.indicator), []).append(r)
    order = list(KIND_TITLES)
    kinds = [_kind(plan, k, rows) for k, rows in by.items()]
    return sorted(
        kinds,
        key=lambda k: (
            k.failed == 0,
            SEVERITY_RANK.get(k.severity, 9),
            order.index(k.kind) if k.kind in order else len(order),
            k.kind,
        ),
    )


# ---- findings: for whom, from which day, by how much ----------------------------------------------------------------


def _shelter_finding(plan: Plan) -> str | None:
    p = plan.people
    if p.unsheltered <= 0:
        return None
    where = [
        f"{_people(n)} {w}"
        for n, w in (
            (p.overflow_on_sites, "crowd onto candidate-site land beyond the camps"),
            (p.overflow_on_zone_land, "onto other land outside the operation area"),
            (p.remaining_in_operation_area, "remain in the area being emptied"),
        )
        if n
    ]
    share = words.share(p.unsheltered / p.displaced if p.displaced else None)
    return f"{_people(p.unsheltered)} of {_people(p.displaced)} displaced people ({share}) have no shelter place" + (
        f": {_list(where)}" if where else ""
    )


def _people_in(plan: Plan, groups: set[str]) -> int:
    """People in these groups on the day they are most: a person who changes group (returns home, moves between
    a camp and the land beyond it) is counted once, not in each group's own maximum."""
    if plan.groups is None or not groups:
        return 0
    by_day: dict[int, int] = {}
    for d in plan.groups.daily:
        if d.group in groups:
            by_day[d.day] = by_day.get(d.day, 0) + d.people
    if by_day:
        return max(by_day.values())
    return sum(g.people_max for g in plan.groups.summary if g.group in groups)


def _group_findings(plan: Plan) -> tuple[list[str], set[str]]:
    """Per commodity short for some group: who (groups and people), from which day, by how much (the worst group
    against the standard). Returns the lines and the groups with any shortfall."""
    summary = plan.groups.summary if plan.groups else []
    failed_groups = {_scope(r)[1] for r in plan.verdict if r.met is False and r.scope.startswith("group:")}
    rows = {(r.indicator, _scope(r)[1]): r for r in plan.verdict if r.scope.startswith("group:")}
    lines = []
    for c in COMMODITY_KINDS:
        short = [
            g
            for g in summary
            if g.met_share.get(c, 1.0) < 1.0 - SHARE_TOL
            and any(r.met is False for (i, grp), r in rows.items() if grp == g.group and kind_of(i) == c)
        ]
        if not short:
            continue
        people = _people_in(plan, {g.group for g in short})
        days = [d for g in short if (d := g.first_shortfall_day.get(c)) is not None]
        when = f" from day {min(days)}" if days else ""
        names = _list([_group(g.group) for g in short])
        who = f"{names} ({_people(people)} people)"
        if c == "water":
            worst = min(short, key=lambda g: g.water_l_per_person_day or 0.0)
            target = rows.get(("water_l_per_person_day", worst.group))
            how = (
                f"worst {_group(worst.group)}: {_one(worst.water_l_per_person_day)} L/person/day on "
                f"average, {_one(worst.water_l_per_person_day_min)} on the worst day"
                + (f", against {_cmp(target.comparison)} {words.number(target.target)}" if target else "")
                + f" ({words.share(worst.met_share[c])} of the need)"
            )
        elif c == "food":
            worst = min(short, key=lambda g: g.kcal_per_person_day or 0.0)
            target = rows.get(("kcal_per_person_day", worst.group))
            how = (
                f"worst {_group(worst.group)}: {words.number(round(worst.kcal_per_person_day or 0))} "
                "kcal/person/day on "
                f"average, {words.number(round(worst.kcal_per_person_day_min or 0))} on the worst day"
                + (f", against {_cmp(target.comparison)} {words.number(target.target)}" if target else "")
                + f" ({words.share(worst.met_share[c])} of the need)"
            )
        elif c == "shelter_nfi":
            worst = min(short, key=lambda g: g.met_share[c])
            owed = [f"{_people(g.people_owed_shelter_items_max or 0)} {_group(g.group)}" for g in short]
            how = (
                f"people still owed tents and kits, at most: {_list(owed)}; worst {_group(worst.group)}: "
                f"{words.share(worst.met_share[c])} of the need met"
            )
        else:
            worst = min(short, key=lambda g: g.met_share[c])
            how = f"worst {_group(worst.group)}: {words.share(worst.met_share[c])} of the need met"
        verb = "fall" if c in _PLURAL else "falls"
        lines.append(f"{KIND_TITLES[c]} {verb} short{when} for {who}; {how}")
    return lines, failed_groups


def _people_short(plan: Plan, failed_groups: set[str]) -> int:
    n = _people_in(plan, failed_groups)
    if "overflow" not in failed_groups:
        n += plan.people.unsheltered
    return n


def _first_day(plan: Plan, kinds: list[CheckKind]) -> int | None:
    days = [k.first_day for k in kinds if k.failed and k.first_day is not None]
    if plan.people.unsheltered > 0:  # from the day they must leave
        starts = [z.start_day for z in plan.zones if z.unsheltered > 0 and z.start_day is not None]
        if starts:
            days.append(int(math.floor(min(starts))))
    return min(days) if days else None


# ---- what binds -----------------------------------------------------------------------------------------------------


def _binds(plan: Plan, kinds: list[CheckKind]) -> list[str]:
    out = []
    p = plan.people
    failing = {k.kind for k in kinds if k.failed}
    if p.unsheltered > 0:
        opened = sum(s.open for s in plan.sites)
        out.append(
            f"shelter land: the {opened} open site(s) of {len(plan.sites)} hold {_people(p.sheltered)} of "
            f"{_people(p.displaced)} displaced people at the standard's space per person"
        )
    names = {e.id: e.name or e.id for e in plan.entry_points}
    for b in (plan.supply.binding if plan.supply else [])[:MAX_BINDS]:
        out.append(binding_sentence(b.model_dump(), names))
    ev = plan.evacuation
    if "evacuation" in failing and ev is not None and ev.bottlenecks:
        worst = max(ev.bottlenecks, key=lambda b: b.max_delay_h)
        out.append(
            f"road capacity during the move: {len(ev.bottlenecks)} saturated link(s), worst queueing "
            f"delay {words.hours(worst.max_delay_h)}"
        )
    return out


# ---- the headline ----------------------------------------------------------------------------------------------------


def assess_hint(plan: Plan) -> str:
    return (
        f"not computed for a single plan: `reliefplan assess <scenario folder> --scenarios {plan.scenario} --out <folder>` "
        "finds the least addition of each resource (prepared land, trucks/day at a crossing, tents, beds, "
        "fleet) that makes it pass, and confirms it by re-solving"
    )


def headline(plan: Plan, *, fixes: Sequence[str] | None = None, fixes_note: str | None = None) -> Headline:
    """The headline of a plan. `fixes`: the smallest additions found for it (an assessment pair's), with
    `fixes_note` saying how; None for a single plan (the headline says it was not computed and how to get it)."""
    verdict = plan.verdict
    failed = sum(1 for r in verdict if r.met is False)
    checked = sum(1 for r in verdict if r.met is not None)
    not_assessed = sum(1 for r in verdict if r.met is None and r.severity != "info")
    kinds = check_kinds(plan)
    failing = [k for k in kinds if k.failed]
    holds = failed == 0
    group_lines, failed_groups = _group_findings(plan)
    findings = [x for x in [_shelter_finding(plan)] if x] + group_lines
    people_short = _people_short(plan, failed_groups) if not holds else 0
    first = _first_day(plan, kinds) if not holds else None
    n_groups = len(plan.groups.summary) if plan.groups else 0
    in_plan = plan.people.in_plan or plan.people.population
    if holds:
        lead = (
            f"The plan holds: all {checked:,} checks are met for everyone in the plan ({_people(in_plan)} "
            f"people) over the {plan.horizon_days} days"
        )
        summary = lead + (f"; {not_assessed} check(s) could not be assessed" if not_assessed else "") + "."
    else:
        groups = ""
        if n_groups and failed_groups:
            groups = (
                (", both groups" if n_groups == 2 else f", all {n_groups} groups")
                if len(failed_groups) >= n_groups
                else f", {len(failed_groups)} of {n_groups} groups"
            )
        who = (
            f" for everyone in the plan ({_people(in_plan)} people{groups})"
            if people_short >= in_plan > 0
            else f" for {_people(people_short)} of {_people(in_plan)} people{groups.replace(',', ' in', 1)}"
            if people_short > 0
            else ""  # only checks of places fail (a camp's latrines): no group of people is short
        )
        when = f" from day {first}" if first is not None else ""
        lead = f"The plan does not hold{who}{when}"
        worst = findings[0] if findings else failing[0].text
        summary = f"{lead}: {worst}. {failed:,} of {checked:,} checks fail, in {len(failing)} kind(s)."
    if fixes is not None:
        fix_list, computed = list(fixes), True
        note = fixes_note or "least additions found by `reliefplan assess`, each holding the rest of the plan"
        if holds:
            note = "nothing to fix: every check is met"
    else:
        fix_list, computed = [], False
        note = "nothing to fix: every check is met" if holds else assess_hint(plan)
    return Headline(
        scenario=plan.scenario,
        package=plan.package,
        holds=holds,
        verdict="holds" if holds else "does not hold",
        lead=lead,
        summary=summary,
        findings=findings,
        people_short=people_short,
        people_in_plan=in_plan,
        first_day=first,
        binds=_binds(plan, kinds) if not holds else [],
        smallest_fix=fix_list,
        smallest_fix_computed=computed,
        smallest_fix_note=note,
        failed=failed,
        checked=checked,
        not_assessed=not_assessed,
        kinds=failing,
        hold=hold_lines(plan),
    )


def lines(h: Headline, *, max_kinds: int = 12) -> list[str]:
    """The headline as plain lines (CLI, logs): verdict, findings, what binds, the smallest fix, failing kinds."""
    out = [h.summary if h.holds or not h.findings else h.lead + f" · fails {h.failed:,} of {h.checked:,} checks:"]
    out += [f"  - {x}" for x in h.findings]
    if h.hold and not h.holds:
        out.append(f"How long can it hold: {h.hold[0]}")
        out += [f"  - {x}" for x in h.hold[1:]]
    if h.binds:
        out.append("What binds:")
        out += [f"  - {x}" for x in h.binds]
    if not h.holds:
        if h.smallest_fix:
            out.append("Smallest change that would fix it:")
            out += [f"  - {x}" for x in h.smallest_fix]
        else:
            out.append(f"Smallest change that would fix it: {h.smallest_fix_note}.")
        out.append(f"Failing checks by kind ({h.failed:,} of {h.checked:,}):")
        out += [f"  - {k.text} [{k.failed:,} of {k.checked:,} checks, {k.severity}]" for k in h.kinds[:max_kinds]]
        if len(h.kinds) > max_kinds:
            out.append(f"  - and {len(h.kinds) - max_kinds} more kind(s)")
    return out


# ---- an assessment: packages x scenarios ------------------------------------------------------------------------------


def fails_text(n: int) -> str:
    """'fails 1 check', 'fails 80 checks': a count of checks, never a level."""
    return f"fails {n:,} check{'' if n == 1 else 's'}"


def pair_failed(pair: dict[str, Any]) -> int:
    """Checks a (package, scenario) pair fails: its headline's count, else its failed rows (assessment.json)."""
    h = pair.get("headline") or {}
    return int(h["failed"]) if h.get("failed") is not None else int(sum((pair.get("failed") or {}).values()))


def assessment_lines(pairs: Sequence[dict[str, Any]]) -> list[str]:
    """The headline of an assessment (pairs as in assessment.json): how many pairs pass, and per scenario the
    package that comes closest, with what it fails and its smallest fix."""
    if not pairs:
        return ["No (package, scenario) pair was planned."]
    passed = [p for p in pairs if p.get("passed")]
    scenarios = list(dict.fromkeys(p["scenario"] for p in pairs))
    out = [f"{len(passed)} of {len(pairs)} (package, scenario) pair(s) pass every check."]
    for sc in scenarios:
        mine = [p for p in pairs if p["scenario"] == sc]
        ok = [p["package"] for p in mine if p.get("passed")]
        if ok:
            out.append(f"{sc}: passes with {_list(ok)}.")
            continue
        best = min(mine, key=lambda p: (pair_failed(p), p.get("unsheltered") or 0))
        h = best.get("headline") or {}
        kinds = ", ".join(f"{k['title']} {k['failed']:,}" for k in h.get("kinds") or [])
        line = f"{sc}: no package passes; closest {best['package']}, which {fails_text(pair_failed(best))}"
        line += (f" ({kinds})" if kinds else "") + "."
        fixes = h.get("smallest_fix") or [a.get("text") for a in best.get("additions") or []]
        if fixes:
            line += " Smallest change: " + "; ".join(str(f) for f in fixes) + "."
        out.append(line)
    return out
