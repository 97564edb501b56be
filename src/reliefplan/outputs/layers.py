"""The plan's map layers (WGS84 geometries + properties), for GeoJSON/GeoPackage exports and the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely

from ..geo import to_lon_lat
from ..plan import Plan
from ..scenario.folder import Scenario


@dataclass
class Layer:
    """One map layer: parallel lists of WGS84 shapely geometries and property dicts."""

    name: str
    geometry_type: str  # "Polygon", "MultiPolygon", "Point", "LineString"
    geometries: list[shapely.Geometry] = field(default_factory=list)
    properties: list[dict[str, Any]] = field(default_factory=list)

    def add(self, geometry: shapely.Geometry, **props: Any) -> None:
        self.geometries.append(geometry)
        self.properties.append(props)

    def to_geojson(self) -> dict[str, Any]:
        return {
            "type": "FeatureCollection",
            "name": self.name,
            "features": [
                {"type": "Feature", "properties": p, "geometry": shapely.geometry.mapping(g)}
                for g, p in zip(self.geometries, self.properties)
            ],
        }


_SEVERITY_RANK = {"ok": 0, "info": 0, "minor": 1, "major": 2, "critical": 3}


def site_compliance(plan: Plan) -> dict[str, str]:
    """Worst verdict severity per site id ('ok' when all met, 'closed' for a site nobody is sent to)."""
    worst: dict[str, str] = {}
    for row in plan.verdict:
        if row.scope.startswith("site:"):
            sid = row.scope[5:]
            if _SEVERITY_RANK[row.severity] >= _SEVERITY_RANK.get(worst.get(sid, "ok"), 0):
                worst[sid] = row.severity
    return {s.id: worst.get(s.id, "ok" if s.open else "closed") for s in plan.sites}


#: camp-layout layers light enough for the report's map (plots and service points stay in layout.gpkg)
MAP_LAYOUT_LAYERS = ("blocks", "firebreaks")


def layout_layers(layouts: list[Any], crs: Any) -> list[Layer]:
    """Camp blocks and firebreaks of every laid-out site, in WGS84, one layer each."""
    out = []
    for name in MAP_LAYOUT_LAYERS:
        layer = Layer(f"camp_{name}", "MultiPolygon")
        for lay in layouts:
            feats = getattr(lay, name)
            if not len(feats):
                continue
            geoms = to_lon_lat(np.asarray(feats.geometry, dtype=object), crs)
            cols = {k: v for k, v in feats.attributes.items() if k != "site_id"}
            for i, g in enumerate(geoms):
                layer.add(g, site_id=lay.site_id, **{k: _plain(v[i]) for k, v in cols.items()})
        if layer.geometries:
            out.append(layer)
    return out


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


def plan_layers(sc: Scenario, plan: Plan, layouts: list[Any] | None = None) -> dict[str, Layer]:
    """zones, footprint, sites (coloured by compliance), flows (zone -> site desire lines), entry points,
    roads, evacuation bottlenecks and, given the camp layouts, their blocks and firebreaks."""
    zones = Layer("zones", "MultiPolygon")
    for z, r in zip(sc.zones, plan.zones):
        zones.add(
            z.geometry,
            id=z.id,
            name=z.name,
            pcode=z.pcode,
            population=r.population,
            displaced=r.displaced,
            staying=r.staying,
            sheltered=r.sheltered,
            unsheltered=r.unsheltered,
            start_day=r.start_day,
        )
    footprint = Layer("footprint", "MultiPolygon")
    for fp in sc.footprints:
        footprint.add(fp.geometry, id=fp.id, operation=fp.operation, start_day=fp.start_day)
    compliance = site_compliance(plan)
    sites = Layer("sites", "MultiPolygon")
    for s, sr in zip(sc.sites, plan.sites):
        sites.add(
            s.geometry,
            id=s.id,
            name=s.name,
            capacity=sr.capacity,
            population=sr.population,
            existing_population=sr.existing_population,
            usable_area_m2=sr.usable_area_m2,
            m2_per_person=sr.m2_per_person,
            open=sr.open,
            compliance=compliance[s.id],
        )
    zone_pt = {r.id: (r.lon, r.lat) for r in plan.zones}
    site_pt = {r.id: (r.lon, r.lat) for r in plan.sites}
    flows = Layer("flows", "LineString")
    for f in plan.flows:
        flows.add(
            shapely.LineString([zone_pt[f.zone], site_pt.get(f.site) or (f.to_lon, f.to_lat)]),
            zone=f.zone,
            site=f.site,
            group=f.group,
            people=f.people,
            distance_m=f.distance_m,
            travel_time_s=f.travel_time_s,
        )
    entry = Layer("entry_points", "Point")
    for e in plan.entry_points:
        entry.add(
            shapely.Point(e.lon, e.lat),
            id=e.id,
            name=e.name,
            trucks_per_day=e.trucks_per_day,
            design_trucks_per_day=e.design_trucks_per_day,
            payload_t=e.payload_t,
        )
    out = [zones, footprint, sites, flows, entry]
    if sc.roads is not None:
        roads = Layer("roads", "LineString")
        for g, hw in zip(sc.roads.geometry, sc.roads.highway):
            roads.add(g, highway=str(hw))
        out.insert(0, roads)
    if plan.evacuation and plan.evacuation.bottlenecks:
        bottlenecks = Layer("bottlenecks", "LineString")
        for b in plan.evacuation.bottlenecks:
            bottlenecks.add(shapely.LineString(b.coordinates), **b.model_dump(exclude={"coordinates"}))
        out.append(bottlenecks)
    out += layout_layers(layouts or [], sc.crs)
    return {layer.name: layer for layer in out}


def as_multipolygon(g: shapely.Geometry) -> shapely.Geometry:
    return shapely.MultiPolygon([g]) if g.geom_type == "Polygon" else g
