"""The synthetic second place (`second_place.py`) as a scenario folder with an existing settlement and arrivals at
its border crossing: two camps already stand (West hill in 4 blocks, East plateau as a whole site), a flood strip
(the footprint `hazard`) covers the southern 100 m of West hill's block HW-A, and people arrive at the crossing
day by day. Every figure is set by hand, nothing is shaped by Rafah.

Figures to check by hand (see tests/test_monitoring.py):

* HILL-WEST is 800 m x 700 m = 560,000 m2; at usable fraction 0.8: 448,000 m2. Its four blocks are the 400 m x
  350 m quarters (140,000 m2 each) with 3,000 / 4,000 / 2,500 / 500 people = 10,000: 44.8 m2 per person, just under
  Sphere's 45 -> not met. Latrines 60 / 70 / 50 / 20 = 200: 50 people per latrine (met at 1:50); taps 12 / 10 / 10 / 8
  = 40: 250 people per tap (met).
* PLATEAU (800 m x 700 m too): one whole-site row, 5,000 people, 80 latrines (62.5 per latrine: not met), 30 taps
  (166.7 per tap: met), 89.6 m2 per person (met).
"""

from __future__ import annotations

import json
from pathlib import Path

import second_place as sp
import shapely

HILL_BLOCKS = [  # id, x0, y0 (km, the quarter's south-west corner), people, latrines, taps
    ("HW-A", 1.0, 6.0, 3000, 60, 12),
    ("HW-B", 1.4, 6.0, 4000, 70, 10),
    ("HW-C", 1.0, 6.35, 2500, 50, 10),
    ("HW-D", 1.4, 6.35, 500, 20, 8),
]
WATER_POINTS_KM = [(1.2, 6.175), (1.6, 6.175), (1.2, 6.525), (1.6, 6.525)]  # one at each block's centre


def _fc(items: list[tuple[dict, shapely.Geometry]]) -> str:
    return sp._fc(items)


def _pt(x_km: float, y_km: float) -> shapely.Point:
    return shapely.Point(sp.X0 + x_km * 1000, sp.Y0 + y_km * 1000)


def build(
    folder: Path,
    *,
    snapshot: bool = True,
    arrivals: bool = False,
    hazard: bool = False,
    arrivals_rows: list[tuple[str, float]] | None = None,
    supply: bool = False,
    horizon: int = 30,
    installed: list[tuple[str, str, int, int]] | None = None,
) -> Path:
    """Write the scenario folder; returns it. Scenario `main`."""
    folder.mkdir(parents=True, exist_ok=True)
    # the villages mostly fend for themselves (10 % depend on aid); camp residents and arrivals all do
    zones = [
        (
            {"id": code, "name": name, "population": n, "aid_dependent_share": 0.1},
            sp._box_km(4 * c, 5 * r, 4 * c + 4, 5 * r + 5),
        )
        for code, name, c, r, n in sp.VILLAGES
    ]
    (folder / "zones.geojson").write_text(_fc(zones))
    sites = [({"id": sid, "name": name}, sp._box_km(*b)) for sid, name, *b in sp.SITES]
    (folder / "sites.geojson").write_text(_fc(sites))
    ll = sp._lonlat(_pt(*sp.CROSSING_KM))
    (folder / "entry_points.csv").write_text(
        f"id,name,lon,lat,trucks_per_day\nXING-EAST,East border crossing,{ll.x:.7f},{ll.y:.7f},40\n"
    )
    blocks = [
        ({"id": bid, "site_id": "HILL-WEST"}, sp._box_km(x, y, x + 0.4, y + 0.35)) for bid, x, y, *_ in HILL_BLOCKS
    ]
    (folder / "blocks.geojson").write_text(_fc(blocks))
    (folder / "water_points.geojson").write_text(
        _fc([({"id": f"W{k}", "taps": 4}, _pt(*p)) for k, p in enumerate(WATER_POINTS_KM)])
    )
    lines = ["date,site_id,block_id,people,latrines,taps"]
    lines += [f"2026-03-01,HILL-WEST,{bid},{n},{la},{t}" for bid, _, _, n, la, t in HILL_BLOCKS]
    lines += ["2026-03-01,PLATEAU,,5000,80,30"]
    (folder / "snapshot.csv").write_text("\n".join(lines) + "\n")
    # a flood strip across the south of West hill's block HW-A (its southern 100 m) and beyond
    (folder / "hazard.geojson").write_text(_fc([({"id": "flood-strip"}, sp._box_km(0.9, 5.9, 1.4, 6.1))]))
    rows = arrivals_rows or [("2026-03-01", 0), ("2026-03-11", 1000), ("2026-03-21", 1000), ("2026-03-25", 0)]
    (folder / "arrivals.csv").write_text("date,point,people\n" + "".join(f"{d},XING-EAST,{n}\n" for d, n in rows))
    if installed:
        (folder / "installed.csv").write_text(
            "date,site_id,latrines,taps\n" + "".join(f"{d},{s},{la},{t}\n" for d, s, la, t in installed)
        )
    mon = {"snapshot": "snapshot.csv", "blocks": "blocks.geojson", "water_points": "water_points.geojson"}
    if installed:
        mon["installed"] = "installed.csv"
    scen: dict = {"description": "test"}
    if hazard:
        scen["footprints"] = ["hazard"]
    doc = {
        "title": "Hillside settlement (synthetic)",
        "crs": "EPSG:32626",
        "horizon_days": horizon,
        "layout": {"enabled": False},
        "evacuation": {"enabled": False},
        "supply": {"enabled": supply},
        "layers": {
            "zones": {"file": "zones.geojson"},
            "sites": {"file": "sites.geojson", "usable_fraction": 0.8},
            "entry_points": {"file": "entry_points.csv"},
        },
        "footprints": {"hazard": {"file": "hazard.geojson", "start_day": 0}},
        "scenarios": {"main": scen},
    }
    if snapshot:
        doc["monitoring"] = mon
    if arrivals:
        doc["arrivals"] = {"file": "arrivals.csv", "start_date": "2026-03-01", "source": "synthetic test series"}
    (folder / "scenario.yaml").write_text(json.dumps(doc, indent=1))
    return folder
