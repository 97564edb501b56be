"""A synthetic second place, nothing like Rafah: hills, a river with its flood plain, six villages with P-codes, a
border crossing. Written as the standard files a planner would have, for `reliefplan init`.

It lies in the middle of the Atlantic (UTM zone 26N, about 29.8 W 9.95 N) so that nobody mistakes it for a real
place. 12 km x 10 km: a river runs north-south through the middle (80 m wide, a 50 m flood buffer), the land
rises from its flood plain at ~8 % to hills on both sides; the eastern edge is a border with one crossing. A flood
order empties the flood plain (2.4 km wide) of the two river villages up to 7.5 km north. Five candidate sites: two
on hills, one on an eastern plateau, one small field, one on the flood plain north of the order, across the river.

Run `python tests/second_place.py FOLDER` to write the input files into FOLDER.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np
import shapely
from pyproj import CRS

UTM = CRS.from_epsg(32626)
X0, Y0 = 200_000.0, 1_100_000.0  # south-west corner, UTM 26N
W, H = 12_000.0, 10_000.0  # m
PX = 20.0  # DEM pixel, m
RIVER_HALF_M = 40.0

VILLAGES = [  # P-code, name, column, row (3 x 2 blocks of 4 km x 5 km), population
    ("XS0101", "Westfield", 0, 0, 12_000),
    ("XS0102", "Rivermouth", 1, 0, 40_000),
    ("XS0103", "Eastgate", 2, 0, 9_000),
    ("XS0104", "Highmoor", 0, 1, 11_000),
    ("XS0105", "Millford", 1, 1, 30_000),
    ("XS0106", "Borderhill", 2, 1, 7_000),
]
SITES = [  # id, name, x0, y0, x1, y1 (km from the corner)
    ("HILL-WEST", "West hill", 1.0, 6.0, 1.8, 6.7),
    ("PLATEAU", "East plateau", 9.4, 2.2, 10.2, 2.9),
    ("FLOODPLAIN", "River meadow", 5.5, 8.0, 6.4, 8.6),
    ("HILL-EAST", "East slope", 8.6, 6.8, 9.3, 7.4),
    ("FIELD", "South field", 2.6, 1.0, 3.2, 1.5),
]
CROSSING_KM = (12.0, 5.0)


def river_x(y: np.ndarray) -> np.ndarray:
    """The river's centre line (m east of the corner) at y (m north of it)."""
    return 6000.0 + 300.0 * np.sin(np.asarray(y) / 1500.0)


def elevation(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Metres: a flat flood plain 1.2 km either side of the river, rising at 8 % beyond, with rolling hills."""
    d = np.abs(x - river_x(y))
    rise = 0.08 * np.maximum(d - 1200.0, 0.0)
    hills = 25.0 * np.sin(x / 700.0) * np.sin(y / 900.0) * (d > 1200.0)
    return 100.0 + rise + hills


def _lonlat(g: shapely.Geometry) -> shapely.Geometry:
    from reliefplan.geo import WGS84, project

    return project(g, UTM, WGS84)


def _box_km(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return shapely.box(X0 + x0 * 1000, Y0 + y0 * 1000, X0 + x1 * 1000, Y0 + y1 * 1000)


def _fc(items: list[tuple[dict, shapely.Geometry]]) -> str:
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": p, "geometry": shapely.geometry.mapping(_lonlat(g))} for p, g in items
            ],
        }
    )


def river_polygon() -> shapely.Polygon:
    y = np.linspace(-200, H + 200, 120)
    xc = river_x(y)
    ring = np.vstack(
        [np.column_stack([X0 + xc - RIVER_HALF_M, Y0 + y]), np.column_stack([X0 + xc + RIVER_HALF_M, Y0 + y])[::-1]]
    )
    return shapely.Polygon(ring)


def _osm(path: Path) -> None:
    """A small road network as OSM XML: a north-south road on each bank, an east-west road to the border over a
    bridge, and tracks to the sites."""
    ways = [  # highway, points (km)
        ("primary", [(0.0, 5.0), (3.0, 5.0), (6.0, 5.0), (9.0, 5.0), (12.0, 5.0)]),
        ("secondary", [(7.6, 0.0), (7.6, 2.5), (7.6, 5.0), (7.6, 7.5), (7.6, 10.0)]),
        ("secondary", [(4.3, 0.0), (4.3, 2.5), (4.3, 5.0), (4.3, 7.5), (4.3, 10.0)]),
        ("track", [(3.0, 5.0), (1.4, 6.0), (1.4, 6.35)]),
        ("track", [(9.0, 5.0), (9.8, 2.9), (9.8, 2.55)]),
        ("track", [(7.6, 1.5), (6.5, 1.5), (6.05, 1.5)]),
        ("track", [(7.6, 7.5), (8.6, 7.1), (8.95, 7.1)]),
        ("track", [(4.3, 1.25), (3.2, 1.25), (2.9, 1.25)]),
        ("residential", [(2.0, 2.5), (4.3, 2.5)]),
        ("residential", [(10.0, 2.5), (7.6, 2.5)]),
        ("residential", [(2.0, 7.5), (4.3, 7.5)]),
        ("residential", [(10.0, 7.5), (7.6, 7.5)]),
    ]
    nodes: dict[tuple[float, float], int] = {}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="reliefplan tests">']
    way_xml = []
    for k, (kind, pts) in enumerate(ways):
        refs = []
        for p in pts:
            if p not in nodes:
                nodes[p] = len(nodes) + 1
                ll = _lonlat(shapely.Point(X0 + p[0] * 1000, Y0 + p[1] * 1000))
                lines.append(f'  <node id="{nodes[p]}" version="1" lat="{ll.y:.7f}" lon="{ll.x:.7f}"/>')
            refs.append(nodes[p])
        nd = "".join(f'<nd ref="{r}"/>' for r in refs)
        way_xml.append(f'  <way id="{k + 1}" version="1">{nd}<tag k="highway" v="{kind}"/></way>')
    path.write_text("\n".join(lines + way_xml + ["</osm>", ""]), encoding="utf-8")


def write_dem(path: Path) -> Path:
    import rasterio
    from rasterio.transform import from_origin

    cols, rows = int(W / PX), int(H / PX)
    x = (np.arange(cols) + 0.5) * PX
    y = H - (np.arange(rows) + 0.5) * PX
    z = elevation(x[None, :], y[:, None]).astype(np.float32)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=cols,
        height=rows,
        count=1,
        dtype="float32",
        crs="EPSG:32626",
        transform=from_origin(X0, Y0 + H, PX, PX),
        nodata=-9999,
    ) as ds:
        ds.write(z, 1)
    return path


def build(folder: Path) -> dict[str, Path]:
    """Write the second place's standard input files into `folder`; returns them by role."""
    folder.mkdir(parents=True, exist_ok=True)
    p = {
        k: folder / v
        for k, v in {
            "boundaries": "xs_adm2.geojson",
            "population": "xs_population_adm2.csv",
            "sites": "candidate_sites.geojson",
            "footprint": "flood_order.geojson",
            "entry_points": "border_crossing.csv",
            "roads": "roads.osm",
            "dem": "dem_20m.tif",
            "river": "river_flood.geojson",
        }.items()
    }
    adm = [
        (
            {
                "ADM0_EN": "Synthetia",
                "ADM0_PCODE": "XS",
                "ADM1_EN": "River District",
                "ADM1_PCODE": "XS01",
                "ADM2_EN": name,
                "ADM2_PCODE": code,
            },
            _box_km(4 * c, 5 * r, 4 * c + 4, 5 * r + 5),
        )
        for code, name, c, r, _ in VILLAGES
    ]
    p["boundaries"].write_text(_fc(adm))
    with p["population"].open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["ADM2_PCODE", "ADM2_EN", "T_TL"])
        w.writerow(["#adm2+code", "#adm2+name", "#population+total"])
        for code, name, _, _, n in VILLAGES:
            w.writerow([code, name, n])
    p["sites"].write_text(_fc([({"id": sid, "name": name}, _box_km(*b)) for sid, name, *b in SITES]))
    p["footprint"].write_text(_fc([({"id": "flood-plain", "reason": "flood warning"}, _box_km(4.8, 0.0, 7.2, 7.5))]))
    ll = _lonlat(shapely.Point(X0 + CROSSING_KM[0] * 1000, Y0 + CROSSING_KM[1] * 1000))
    p["entry_points"].write_text(
        "id,name,lon,lat,trucks_per_day\n#loc+code,#loc+name,#geo+lon,#geo+lat,#capacity\n"
        f"XING-EAST,East border crossing,{ll.x:.7f},{ll.y:.7f},40\n"
    )
    _osm(p["roads"])
    write_dem(p["dem"])
    p["river"].write_text(_fc([({"id": "river", "hazard": "flood"}, river_polygon())]))
    return p


if __name__ == "__main__":
    for role, path in build(Path(sys.argv[1])).items():
        print(f"{role}: {path}")
