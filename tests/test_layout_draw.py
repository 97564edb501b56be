"""Camp layouts not drawn (`layout.draw: false`, `ensemble --no-layout`, the web form's unchecked box): each site's
capacity is still the plots its layout fits, so a quicker run never reads kinder than the scenario's own capacity
model; only the opened sites' drawn layouts and their checks are left out, and the plan says so."""

from __future__ import annotations

from conftest import assert_same_key_results, write_scenario

from reliefplan.analysis import ensemble, ensemble_member
from reliefplan.pipeline import run
from reliefplan.scenario.config import LayoutSpec, with_layout
from reliefplan.scenario.folder import load_scenario


def test_with_layout_keeps_the_fit_when_not_drawn():
    off = LayoutSpec(enabled=False)
    assert with_layout(off, True).enabled and with_layout(off, True).draw
    assert not with_layout(off, False).enabled  # a scenario without layouts stays without them
    on = with_layout(LayoutSpec(latrine_phase="medium"), False)
    assert on.enabled and not on.draw and on.latrine_phase == "medium"


def test_not_drawn_keeps_each_sites_layout_capacity(tmp_path):
    folder = write_scenario(tmp_path / "s")
    drawn = run(load_scenario(folder, "main"))
    sc = load_scenario(folder, "main")
    sc.layout = with_layout(sc.layout, False)
    quick = run(sc)
    area = load_scenario(folder, "main")
    area.layout = area.layout.model_copy(update={"enabled": False})
    by_area = run(area)
    cap = [s.capacity for s in drawn.plan.sites]
    assert [s.capacity for s in quick.plan.sites] == cap
    # the layouts fit fewer people than area / space per person: dropping them altogether reads kinder
    assert sum(s.capacity for s in by_area.plan.sites) > sum(cap)
    assert quick.plan.people == drawn.plan.people
    assert drawn.layouts and not quick.layouts
    notes = " ".join(quick.plan.assumptions)
    assert "Camp layouts not drawn" in notes and "capped by the plots its layout holds" in notes
    assert "Camp layouts not drawn" not in " ".join(drawn.plan.assumptions)


def test_member_without_layouts_equals_the_cold_plan_not_drawn(tmp_path):
    """A member (the layout fit shared in its worker) gives the key results of a cold plan of its draws, not drawn."""
    unc = {
        "parameters": {
            "f": {"target": "site.usable_fraction", "dist": "uniform", "low": 0.3, "high": 0.6},
            "pop": {"target": "zone.population_error", "dist": "normal", "mean": 0, "sd": 0.2},
        }
    }
    folder = write_scenario(tmp_path / "e", config={"uncertainty": unc})
    ensemble_member._STATE.clear()
    ensemble_member._SHELTERED.clear()
    members = ensemble.draw_members(load_scenario(folder, "main"), 3, seed=3)
    ensemble.run_member(ensemble.MemberTask(str(folder), "main", False, members[0]))  # warms the worker
    base, cache = ensemble_member._base(str(folder), "main", False)
    assert cache.layout_people, "the worker keeps the layout fit"
    for m in members[1:]:
        warm = ensemble.key_results(ensemble.plan_member(base, cache, m).plan)
        cold_sc = ensemble.member_scenario(load_scenario(folder, "main"), m)
        cold_sc.layout = with_layout(cold_sc.layout, False)
        cold = ensemble.key_results(run(cold_sc, rows=False).plan)
        assert_same_key_results(warm, cold)
        by_area = ensemble.member_scenario(load_scenario(folder, "main"), m)
        by_area.layout = by_area.layout.model_copy(update={"enabled": False})
        assert warm["sheltered"] <= run(by_area, rows=False).plan.people.sheltered
