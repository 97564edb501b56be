"""The report's map at national scale: the road layer thinned to its main classes."""

from __future__ import annotations

import shapely


def test_report_map_keeps_the_main_road_classes_of_a_national_network():
    """A network over the report's budget keeps its most important classes; every link stays in plan.gpkg."""
    from reliefplan.outputs.layers import Layer
    from reliefplan.outputs.report.views import map_layers, thin_roads

    roads = Layer("roads", "LineString")
    line = shapely.LineString([(34.0, 31.0), (34.001, 31.0)])
    for hw, n in (("primary", 3), ("primary_link", 1), ("secondary", 4), ("residential", 10), ("track", 2)):
        for _ in range(n):
            roads.add(line, highway=hw)
    same, title = thin_roads(roads, max_links=20)
    assert same is roads and title is None
    kept, title = thin_roads(roads, max_links=9)  # primary 4 (with its link) + secondary 4 = 8 fit; +10 do not
    assert [p["highway"] for p in kept.properties].count("secondary") == 4 and len(kept.geometries) == 8
    assert title == "Roads: secondary and above (8 of 20 links; every link is in plan.gpkg)"
    none, title = thin_roads(roads, max_links=3)
    assert len(none.geometries) == 0 and "none drawn" in (title or "")
    shown = {m["name"]: m for m in map_layers({"roads": roads})}
    assert len(shown["roads"]["geojson"]["features"]) == 20  # under the default budget: every link
