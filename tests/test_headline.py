"""The headline: one typed verdict per plan, counted the same on every page and in the CLI."""

from __future__ import annotations

import pytest
from conftest import fc, feat, square, write_scenario

from reliefplan.analysis.headline import Headline, check_kinds, headline, kind_of, lines
from reliefplan.pipeline import make_plan
from reliefplan.scenario.folder import load_scenario


def _plan(folder, *, trucks: float = 100.0, sites=None, horizon: int = 5):
    write_scenario(
        folder,
        sites=sites,
        config={"horizon_days": horizon},
        entry_points=f"id,name,lon,lat,trucks_per_day\nKS,Kerem Shalom,34.27056,31.22083,{trucks}\n",
    )
    sc = load_scenario(folder, "main")
    sc.layout.enabled = False
    return make_plan(sc)


@pytest.fixture(scope="module")
def short(tmp_path_factory):
    """10 trucks/day for 20,000 people: water falls short for both groups from day 0."""
    return _plan(tmp_path_factory.mktemp("hl") / "sc", trucks=10)


@pytest.fixture(scope="module")
def enough(tmp_path_factory):
    return _plan(tmp_path_factory.mktemp("hl") / "sc", trucks=100)


def test_a_plan_that_holds(enough):
    h = headline(enough)
    assert h.holds and h.verdict == "holds" and h.failed == 0 and h.kinds == [] and h.binds == []
    assert h.checked == sum(1 for r in enough.verdict if r.met is not None)
    assert h.summary.startswith("The plan holds: all ") and "20,000 people" in h.summary
    assert h.smallest_fix == [] and h.smallest_fix_note == "nothing to fix: every check is met"
    assert lines(h) == [h.summary]


def test_counts_are_the_verdict_rows(short):
    h = headline(short)
    failed = [r for r in short.verdict if r.met is False]
    assert not h.holds and h.failed == len(failed) and h.failed == sum(k.failed for k in h.kinds)
    assert h.checked == sum(1 for r in short.verdict if r.met is not None)
    # every failed row is in exactly one kind; every kind's checked count is its assessed rows
    for k in check_kinds(short):
        rows = [r for r in short.verdict if kind_of(r.indicator) == k.kind and r.met is not None]
        assert (k.checked, k.failed) == (len(rows), sum(1 for r in rows if r.met is False))
    assert {k.kind for k in h.kinds} == {kind_of(r.indicator) for r in failed} == {"water", "entry_capacity"}


def test_for_whom_from_when_by_how_much(short):
    h = headline(short)
    groups = {g["group"]: g for g in short.groups.model_dump()["summary"]}
    assert set(groups) == {"staying", "sheltered"}
    assert h.people_short == 20_000 == h.people_in_plan and h.first_day == 0
    assert h.lead == "The plan does not hold for everyone in the plan (20,000 people, both groups) from day 0"
    water = next(k for k in h.kinds if k.kind == "water")
    assert water.groups_failed == ["staying", "sheltered"] and water.groups_checked == 2 and water.first_day == 0
    assert (water.places_failed, water.places_checked) == (2, 2) and water.severity == "critical"
    worst = min(groups.values(), key=lambda g: g["water_l_per_person_day"])
    figure = f"{worst['water_l_per_person_day']:.1f} L/person/day"
    assert f"worst {figure} ({worst['group']}) against ≥ 15 L/person/day" in water.text
    assert water.text.startswith("water: ") and "2 of 2 groups short from day 0 (staying and sheltered)" in water.text
    assert h.findings[0].startswith(
        "water falls short from day 0 for staying and sheltered (20,000 people); "
        f"worst {worst['group']}: {worst['water_l_per_person_day']:.1f} L/person/day"
    )
    entry = next(k for k in h.kinds if k.kind == "entry_capacity")
    row = next(r for r in short.verdict if r.indicator == "entry_trucks_per_day_vs_need")
    assert entry.text == (
        f"crossing capacity: the crossings admit 10 trucks/day on average against {row.target:.1f} needed"
    )


def test_what_binds_and_the_fix_not_computed_for_one_plan(short):
    h = headline(short)
    assert h.binds and h.binds[0].startswith("crossing capacity at Kerem Shalom on days 0–4: +50 trucks/day there")
    assert "shadow-price estimate" in h.binds[0]
    assert not h.smallest_fix_computed and h.smallest_fix == []
    assert "not computed for a single plan" in h.smallest_fix_note and "reliefplan assess" in h.smallest_fix_note
    assert "--out <folder>`" in h.smallest_fix_note  # the command as hinted runs (assess needs --out)
    fixed = headline(short, fixes=["+12 trucks/day at KS from day 0"], fixes_note="parametric LP")
    assert fixed.smallest_fix_computed and fixed.smallest_fix == ["+12 trucks/day at KS from day 0"]
    assert "Smallest change that would fix it:" in lines(fixed) and "  - +12 trucks/day at KS from day 0" in lines(
        fixed
    )


def test_more_trucks_never_read_worse(tmp_path):
    got = [headline(_plan(tmp_path / str(t), trucks=t)) for t in (5, 10, 20, 100)]
    assert [h.failed for h in got] == sorted((h.failed for h in got), reverse=True)
    assert [h.holds for h in got][-1] is True and not got[0].holds


def test_people_without_a_shelter_place_come_first(tmp_path):
    tiny = fc([feat({"id": "S1", "usable_fraction": 0.05}, square(0, 3))])  # ~1,170 places for 10,000 people
    plan = _plan(tmp_path / "sc", sites=tiny)
    assert plan.people.unsheltered > 0
    h = headline(plan)
    p = plan.people
    assert h.findings[0].startswith(f"{p.unsheltered:,} of {p.displaced:,} displaced people")
    assert h.kinds[0].kind == "shelter_places" and h.binds[0].startswith("shelter land: the 1 open site(s) of 1 hold")
    assert h.people_short >= p.unsheltered


def test_round_trip_and_schema(short):
    h = headline(short)
    assert Headline.model_validate_json(h.model_dump_json()) == h
    assert "kinds" in Headline.model_json_schema()["properties"]


def test_site_colours_use_every_check_of_the_site_supply_included(short):
    from reliefplan.outputs.layers import site_compliance

    rows = [r for r in short.verdict if r.scope == "site:S1"]
    failing = [r for r in rows if r.met is False]
    assert [r.indicator for r in failing] == ["water_need_met_share"]  # only the supply fails at this site
    assert site_compliance(short)["S1"] == failing[0].severity != "ok"


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("people_redisplaced_by_site_phases", "148 people move again from a site that closed or shrank"),
        ("people_lost_place_by_site_phases", "148 people moved from a closed or shrunk site and found no place"),
    ],
)
def test_phase_rows_in_words_without_repeating_their_kind(name, words):
    """A phases row said its own name twice in the kind line ('people redisplaced by site phases: people
    redisplaced by site phases: 148 people')."""
    from reliefplan.analysis.headline_words import _scenario_row_text
    from reliefplan.stages.verdict import indicator

    row = indicator(name, "scenario", 148.0, 0.0, "people", "<=", "test")
    assert _scenario_row_text(row) == words


def test_people_who_change_group_are_counted_once(short):
    """A person who changes group (returns home, re-moved by phases) is in each group's own maximum; the headline
    counted the sum of those maxima (34,336 of 30,000 people in a plan with returns) instead of the groups' people
    on their fullest day."""
    plan = short.model_copy(deep=True)
    for g in plan.groups.summary:  # as if 1,000 people had moved from one group to the other mid-horizon
        g.people_max += 1_000
    h = headline(plan)
    assert h.people_short == 20_000
    assert h.findings[0].startswith("water falls short from day 0 for staying and sheltered (20,000 people); ")


def test_only_a_place_failing_names_no_count_of_people(enough):
    """A monitored camp short of latrines, every group served: the lead read 'does not hold for 0 of 141,000
    people'."""
    plan = enough.model_copy(deep=True)
    row = next(r for r in plan.verdict if r.scope.startswith("site:") and r.met is True)
    row.met, row.severity = False, "critical"
    h = headline(plan)
    assert not h.holds and h.people_short == 0 and h.failed == 1
    assert h.lead == "The plan does not hold" and h.summary.startswith("The plan does not hold: ")
