"""The report's map at national scale: the road layer thinned to its main classes."""

from __future__ import annotations

import shapely


def test_report_map_keeps_the_main_road_classes_of_a_national_network():
    """A network over the report's budget keeps its most important classes; every link stays in plan.gpkg."""
    from reliefplan.outputs.layers import Layer
    from reliefplan.outputs.report.views import map_layers, thin_roads

    roads = Layer("roads", "LineString")
    x = 0
    for k, (hw, n) in enumerate(
        (("primary", 3), ("primary_link", 1), ("secondary", 4), ("residential", 10), ("track", 2))
    ):
        y = 31.0 + 0.01 * (k > 1) * k  # a primary_link continues its primary; the other classes lie apart
        for _ in range(n):  # links end to end along each street
            roads.add(shapely.LineString([(34.0 + 0.001 * x, y), (34.0 + 0.001 * (x + 1), y)]), highway=hw)
            x += 1
    same, title = thin_roads(roads, max_links=20)
    assert same is roads and title is None
    # over the link budget: one merged line per class, main classes first, within the coordinate budget
    kept, title = thin_roads(roads, max_links=10, max_points=12)  # primary: 4 links, 5 points; secondary 4 (5)
    assert [p["highway"] for p in kept.properties] == ["primary", "secondary"]
    assert title == "Roads: secondary and above (8 of 20 links; every link is in plan.gpkg)"
    _, title = thin_roads(roads, max_links=10)  # within the default coordinate budget: every class, merged
    assert title == "Roads (20 links merged by class; each link is in plan.gpkg)"
    none, title = thin_roads(roads, max_links=10, max_points=3)
    assert len(none.geometries) == 0 and "none drawn" in (title or "")
    shown = {m["name"]: m for m in map_layers({"roads": roads})}
    assert len(shown["roads"]["geojson"]["features"]) == 20  # under the default budget: every link
