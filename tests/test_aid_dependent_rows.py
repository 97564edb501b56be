"""Per-person water and kcal rows count the aid-dependent people they are about (issue 21, noticed in session 26):
with `aid_dependent_share` 0.5 and every need met, the rows read the standard, not half of it."""

from __future__ import annotations

import pytest
from conftest import write_scenario

from reliefplan.pipeline import make_plan
from reliefplan.scenario.folder import load_scenario


def _plan(tmp_path, share: float):
    cfg = {"horizon_days": 5, "population": {"aid_dependent_share": share}}
    sc = load_scenario(write_scenario(tmp_path / str(share), config=cfg), "main")
    sc.layout.enabled = False
    sc.entry_points[0].trucks_per_day = 10_000  # plenty: every need met
    return make_plan(sc)


def test_rows_per_aid_dependent_person(tmp_path):
    half, whole = _plan(tmp_path, 0.5), _plan(tmp_path, 1.0)
    std = load_scenario(write_scenario(tmp_path / "std"), "main").standards
    for plan in (half, whole):
        rows = {(v.indicator, v.scope): v for v in plan.verdict}
        for g in ("staying", "sheltered"):
            w, k = rows[("water_l_per_person_day", f"group:{g}")], rows[("kcal_per_person_day", f"group:{g}")]
            assert w.value == pytest.approx(std.value("water_l_per_person_day"), rel=1e-6) and w.met is True
            assert k.met is True
    assert half.groups is not None
    summary = {g.group: g for g in half.groups.summary}
    # zone B's 10,000 stay, 5,000 of them aid-dependent; zone A's 10,000 are sheltered, 5,000 aid-dependent
    assert (summary["staying"].people_max, summary["staying"].aid_dependent_max) == (10_000, 5_000)
    note = {(v.indicator, v.scope): v for v in half.verdict}[("water_l_per_person_day", "group:staying")].note
    assert "at most 5,000 of the group's 10,000" in note
    # nobody's need went unmet, so nothing in these rows fails
    assert not [
        v for v in half.verdict if v.indicator in ("water_l_per_person_day", "kcal_per_person_day") and not v.met
    ]
