"""The plan walks on the roads when the scenario has them, and says so when it falls back."""

import json

import numpy as np
import pytest
import shapely
from conftest import LAT0, D, add_north_road, write_scenario

from reliefplan.geo import WGS84, project
from reliefplan.pipeline import make_plan
from reliefplan.scenario.folder import load_scenario
from reliefplan.solvers.network import NetworkParams


def test_no_roads_falls_back_and_says_so(scenario_dir):
    plan = make_plan(load_scenario(scenario_dir, "main"))
    assert plan.network.fallback is True
    row = next(i for i in plan.verdict if i.indicator == "travel_times_on_road_network")
    assert row.met is None and "straight-line" in row.note
    p = NetworkParams.default()
    for f in plan.flows:
        assert f.travel_time_s == pytest.approx(f.distance_m / p.walk_speed_m_s)


def test_roads_are_used_for_walking_times(tmp_path):
    d = write_scenario(tmp_path / "s")
    x = add_north_road(d)  # from zone A (centre) north to site S1 (centre), 3 cells = ~3.3 km
    sc = load_scenario(d, "main")
    plan = make_plan(sc)
    assert plan.network.fallback is False and plan.network.source == "roads.geojson"
    assert plan.people.sheltered + plan.people.unsheltered == plan.people.displaced == 10000
    (flow,) = plan.flows
    assert flow.site == "S1" and np.isfinite(flow.travel_time_s)
    # zone A's sample points walk to the road, along ~3 cells of it, then to the site point
    a, b = project(np.array([shapely.Point(x, LAT0 + D / 2), shapely.Point(x, LAT0 + 3.5 * D)]), WGS84, sc.crs)
    assert 0.8 * a.distance(b) <= flow.distance_m <= 1.5 * a.distance(b)
    assert flow.travel_time_s == pytest.approx(flow.distance_m / NetworkParams.default().walk_speed_m_s, rel=1e-3)


def test_closure_layer_slows_the_walk(tmp_path):
    d = write_scenario(tmp_path / "s")
    x = add_north_road(d)
    # the whole road lies in a damaged area where walking takes 3 times as long
    damage = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"factor": 3.0},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[x - D, LAT0], [x + D, LAT0], [x + D, LAT0 + 4 * D], [x - D, LAT0 + 4 * D], [x - D, LAT0]]
                    ],
                },
            }
        ],
    }
    (d / "damage.geojson").write_text(json.dumps(damage))
    base = (d / "scenario.yaml").read_text()
    plain = make_plan(load_scenario(d, "main"))
    (d / "scenario.yaml").write_text(
        base.replace("  entry_points:", "  closures:\n    file: damage.geojson\n  entry_points:")
    )
    slowed = make_plan(load_scenario(d, "main"))
    assert slowed.network.fallback is False and slowed.network.slowed_links > 0
    (a,), (b,) = plain.flows, slowed.flows
    assert b.travel_time_s > a.travel_time_s and b.distance_m == pytest.approx(a.distance_m, rel=1e-6)
