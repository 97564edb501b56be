"""An ensemble member of a scenario with the move over days (docs/movement.md): the member drops the side-by-side
comparison run when its verdict does not need it, and keeps exactly the figures a cold plan of the same sampled
parameters gives."""

from __future__ import annotations

import math

import pytest
from conftest import add_north_road, write_scenario

from reliefplan.analysis.ensemble import key_results, member_scenario
from reliefplan.analysis.sampling import MemberInputs
from reliefplan.pipeline import run
from reliefplan.scenario.folder import load_scenario
from reliefplan.stages.travel import TravelCache

CURVE = {"kind": "empirical", "days": [1, 2], "share": [0.5, 0.8], "source": "test"}


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        (isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y)) or x == y
        for x, y in ((a[k], b[k]) for k in a)
    )


@pytest.mark.parametrize("assignment, runs", [("plan", {"plan"}), ("arrival", {"plan", "arrival"})])
def test_member_keeps_the_reported_run_and_equals_a_cold_plan(tmp_path, assignment, runs):
    movement = {
        "orders": [{"footprint": "op", "day": 0, "operation_day": 1, "curve": CURVE}],
        "unordered": {"share": 0.3, "source": "test"},
        "assignment": assignment,
        "vulnerable_share": 0.2,
    }
    folder = write_scenario(tmp_path, config={"horizon_days": 6, "movement": movement})
    add_north_road(folder)
    sc = load_scenario(folder, "main")
    sc.layout.enabled = False
    sc.supply.enabled = False
    m = MemberInputs(
        index=3, population_factor={"A": 1.13, "B": 0.9}, usable_fraction={"S1": 0.8}, road_capacity_factor=0.2
    )
    member_sc = member_scenario(sc, m)
    assert member_sc.movement is not None and member_sc.movement.compare is False
    cache = TravelCache()
    run(member_scenario(sc, MemberInputs(index=0)), cache=cache, rows=False)  # a warm cache, as in a worker
    member = run(member_sc, cache=cache, rows=False).plan
    # the cold plan: the same sampled figures, comparison on, nothing cached
    cold = run(member_sc.model_copy(update={"movement": sc.movement}), rows=False).plan
    assert set(member.movement.runs) == runs and set(cold.movement.runs) == {"plan", "arrival"}
    assert member.movement.runs[assignment] == cold.movement.runs[assignment]
    assert _same(key_results(member), key_results(cold))
    assert member.people.displaced == cold.people.displaced > 0
