"""Derive the `phases` block of the example's `full-180d-zone-shrinks` scenario from /work/shared/data: the
humanitarian zone shrinking through 2024 (see examples/rafah-2024/ATTRIBUTION.md).

A candidate site (examples/rafah-2024/sites.geojson, blocks of the 6 May 2024 humanitarian zone) closes on the
first date after 7 May 2024 on which an IDF evacuation map orders out ("Displaced", StatusText 1) a block covering
more than half of the site's area (gaza_geo/idf_evacuation_orders_records_gazamaps.geojson: gazamaps.com records of
the IDF Arabic-spokesperson maps, via mushon/nibal; the export is truncated at 2,000 records, so closings may be
missing, never invented). Day 0 = 6 May 2024. Prints the YAML block to paste into scenario.yaml.

Usage: python scripts/derive_zone_shrinks.py [SHARED_DATA_DIR] [HORIZON_DAYS]
"""

from __future__ import annotations

import datetime
import json
import sys
from pathlib import Path

from shapely.geometry import shape

REPO = Path(__file__).resolve().parents[1]
DAY0 = datetime.datetime(2024, 5, 6, tzinfo=datetime.timezone.utc)


def closing_days(shared: Path, horizon_days: int) -> list[tuple[str, int, str]]:
    """(site id, day, date) of each example site ordered out within the horizon, by day."""
    recs = json.loads((shared / "gaza_geo" / "idf_evacuation_orders_records_gazamaps.geojson").read_text())
    ordered = sorted(
        (
            (
                datetime.datetime.fromtimestamp(r["properties"]["Date"] / 1000, datetime.timezone.utc),
                shape(r["geometry"]),
            )
            for r in recs["features"]
            if r["properties"].get("StatusText") == "1" and r["properties"].get("Date") and r["geometry"]
        ),
        key=lambda dg: dg[0],
    )
    ordered = [(d, g) for d, g in ordered if d > DAY0 + datetime.timedelta(days=1)]
    out = []
    for s in json.loads((REPO / "examples" / "rafah-2024" / "sites.geojson").read_text())["features"]:
        g = shape(s["geometry"])
        for d, block in ordered:
            if g.intersection(block).area > 0.5 * g.area:
                if (d - DAY0).days < horizon_days:
                    out.append((s["properties"]["id"], (d - DAY0).days, d.date().isoformat()))
                break
    return sorted(out, key=lambda x: (x[1], x[0]))


def main() -> None:
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/shared/data")
    horizon = int(sys.argv[2]) if len(sys.argv) > 2 else 180
    print("    phases:")
    print("      sites:")
    for site, day, date in closing_days(shared, horizon):
        print(
            f'        - {{site: {site}, closes_day: {day}, source: "IDF evacuation map of {date} (gazamaps.com '
            'via mushon/nibal)"}'
        )


if __name__ == "__main__":
    main()
