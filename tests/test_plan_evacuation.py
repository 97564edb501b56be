"""The plan times the move over the roads: everyone with a site arrives; spreading departures takes longer."""

from conftest import add_north_road, write_scenario

from reliefplan.outputs.layers import plan_layers
from reliefplan.pipeline import make_plan
from reliefplan.scenario.folder import load_scenario


def _with_road(tmp_path, evacuation: dict | None = None, width_m: float | None = None):
    d = write_scenario(tmp_path, config={"evacuation": evacuation} if evacuation else None)
    add_north_road(d, width_m)
    return load_scenario(d, "main")


def test_everyone_with_a_site_arrives(tmp_path):
    sc = _with_road(tmp_path / "a", {"departure": "all_at_once"})
    plan = make_plan(sc)
    ev = plan.evacuation
    assert ev.status == "optimal" and ev.arrived == ev.people_moving == plan.people.sheltered == 10000
    assert sum(a.people for a in ev.arrivals) == 10000
    row = next(i for i in plan.verdict if i.indicator == "evacuees_reaching_their_site_share")
    assert row.met is True
    # 10,000 people on one 1 m wide road at 4,500 persons/h/m: at least 10,000 / 4,500 h = 2.2 h of queueing
    narrow_sc = _with_road(tmp_path / "n", {"departure": "all_at_once"}, width_m=1.0)
    narrow_plan = make_plan(narrow_sc)
    narrow = narrow_plan.evacuation
    assert narrow.clearance_hours >= 10000 / 4500
    assert narrow.bottlenecks and narrow.clearance_hours > ev.clearance_hours
    assert "bottlenecks" in plan_layers(narrow_sc, narrow_plan)


def test_spread_departures_take_at_least_the_spread(tmp_path):
    spread = make_plan(_with_road(tmp_path / "s", {"departure": "spread", "spread_h": 6})).evacuation
    at_once = make_plan(_with_road(tmp_path / "a", {"departure": "all_at_once"})).evacuation
    assert spread.clearance_hours >= 6 - 1e-9
    assert spread.clearance_hours >= at_once.clearance_hours


def test_no_roads_no_evacuation_timing(scenario_dir):
    plan = make_plan(load_scenario(scenario_dir, "main"))
    assert plan.evacuation is None
    assert any("Evacuation timing not computed" in a for a in plan.assumptions)


def test_evacuation_block_is_typed_and_round_trips(tmp_path):
    """plan.json `evacuation` keeps the keys and JSON types it had as a dict, and reads back to the same model."""
    import json

    from reliefplan.plan import Plan

    plan = make_plan(_with_road(tmp_path / "w", {"departure": "all_at_once"}, width_m=1.0))
    doc = json.loads(plan.model_dump_json())["evacuation"]
    assert list(doc) == [
        "status",
        "method",
        "routing",
        "time_step_s",
        "departure",
        "spread_h",
        "clearance_hours",
        "people_moving",
        "arrived",
        "not_arrived",
        "objective_person_s",
        "best_bound_person_s",
        "gap",
        "condensed",
        "arrivals",
        "bottlenecks",
        "explanations",
    ]
    assert list(doc["arrivals"][0]) == ["site", "t_s", "people"] and isinstance(doc["arrivals"][0]["people"], int)
    b = doc["bottlenecks"][0]
    assert list(b) == [
        "link",
        "capacity_per_h",
        "saturated_from_h",
        "saturated_until_h",
        "max_queue_people",
        "max_delay_h",
        "coordinates",
    ]
    assert isinstance(b["max_queue_people"], int) and len(b["coordinates"][0]) == 2
    assert Plan.model_validate_json(plan.model_dump_json()) == plan
