"""Derive the 11 May 2024 Rafah evacuation-order footprint and the observed departures of the example's
`staged-orders-2024` scenario from /work/shared/data (re-run to regenerate; see examples/rafah-2024/ATTRIBUTION.md).

* footprint_west_rafah_2024-05-11.geojson: the IDF map blocks ordered out ("Displaced") on 11 May 2024 05:52 GMT
  (gaza_geo/idf_evacuation_zone_2024-05-06_to_2024-05-11_rafah.geojson, gazamaps.com records via mushon/nibal)
  that overlap the example's Rafah zones (the same order also covered blocks in the north: left out), day 5 of
  the horizon (day 0 = the 6 May 2024 order).
* departures_rafah_2024_observed.csv: the published counts of people who had left Rafah after 6 May 2024
  (src/reliefplan/data/departures/rafah_2024_published.csv, UNRWA statements), comment lines dropped.

Usage: python scripts/derive_staged_orders.py [SHARED_DATA_DIR]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import shapely
from shapely.geometry import shape

sys.path.insert(0, str(Path(__file__).resolve().parent))
from derive_rafah_example import GRID_DEG, block_label, feature, polygonal, write_geojson, write_text  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "rafah-2024"
ORDER_DATE = "2024-05-11"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    shared = Path(args[0]) if args else Path("/work/shared/data")
    records = json.loads(
        (shared / "gaza_geo" / "idf_evacuation_zone_2024-05-06_to_2024-05-11_rafah.geojson").read_text(encoding="utf-8")
    )["features"]
    zones = json.loads((EXAMPLE / "zones.geojson").read_text(encoding="utf-8"))["features"]
    rafah = shapely.union_all([shape(z["geometry"]) for z in zones], grid_size=GRID_DEG)
    feats = []
    for f in sorted(records, key=lambda f: int(f["properties"]["Block"])):
        p = f["properties"]
        if p["StatusText"] != "Displaced" or not p["Date"].startswith("Sat, 11 May 2024"):
            continue
        g = polygonal(shape(f["geometry"]))
        if shapely.area(shapely.intersection(g, rafah, grid_size=GRID_DEG)) <= 0.5 * shapely.area(g):
            continue  # blocks of the same order outside Rafah governorate
        feats.append(
            feature(
                {
                    "id": f"EO-{ORDER_DATE}-B{int(p['Block'])}",
                    "name": f"Evacuation order 11 May 2024 - IDF map block {int(p['Block'])}",
                    "idf_block": block_label(p["Block"]),
                    "start_day": 5,
                    "date": ORDER_DATE,
                    "source": p["Source"],
                    "idf_map": p["IDFMap"],
                    "gazamaps": p["GazaMaps"],
                },
                g,
            )
        )
    write_geojson(EXAMPLE / "footprint_west_rafah_2024-05-11.geojson", "footprint_west_rafah_2024-05-11", feats)
    src = REPO / "src" / "reliefplan" / "data" / "departures" / "rafah_2024_published.csv"
    lines = [ln for ln in src.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    write_text(EXAMPLE / "departures_rafah_2024_observed.csv", "\n".join(lines) + "\n")
    print(f"{len(feats)} blocks of the 11 May 2024 order in Rafah; {len(lines) - 1} observed points")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
