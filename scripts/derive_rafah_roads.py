"""Derive examples/rafah-2024/roads_arterial.geojson from the openrouteservice routes in shared/data/gaza_geo.

The nine ORS driving routes follow real OSM roads between Gaza's towns and overlap along
shared arterials (Salah al-Din, al-Rashid). Their vertices are clustered within SNAP_M
metres so shared stretches become one road, the de-duplicated segments are merged into
lines per (highway, name), and the result is an ARTERIAL-ONLY network: only the roads these
routes use. jabalia-rafah.geojson is excluded: it is hand-drawn (no ORS summary).

highway classes are guessed from the ORS `waytype` extra (1 State Road → primary,
2 Road → secondary, 3 Street → residential, 4 Path / 5 Track → track, other → road).

Run: .venv/bin/python scripts/derive_rafah_roads.py [--shared ../shared] [--check]
--check also routes between every route's endpoints on the derived network and prints
the distance error against the ORS summaries (the README figures).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import shapely
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from reliefplan.geo import WGS84, local_crs, project

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "examples" / "rafah-2024" / "roads_arterial.geojson"
SNAP_M = 5.0
EXCLUDED = {"jabalia-rafah.geojson": "hand-drawn line, not an ORS route (no summary)"}
WAYTYPE_TO_HIGHWAY = {1: "primary", 2: "secondary", 3: "residential", 4: "track", 5: "track"}
HIGHWAY_RANK = {"primary": 0, "secondary": 1, "residential": 2, "track": 3, "road": 4}
ATTRIBUTION = (
    "© OpenStreetMap contributors, ODbL 1.0 (roads routed by openrouteservice, "
    "via mushon/nibal @ 8c8ea12015da10af1eded0218d802e9898d799eb map/*.geojson)"
)


def read_routes(route_dir: Path) -> list[dict]:
    """Each ORS route: name, lon/lat coords, per-vertex highway and street name, way_points, summary."""
    routes = []
    for f in sorted(route_dir.glob("*.geojson")):
        if f.name in EXCLUDED:
            continue
        fc = json.loads(f.read_text(encoding="utf-8"))
        line = next(ft for ft in fc["features"] if ft["geometry"]["type"] == "LineString")
        props = line["properties"]
        coords = np.asarray(line["geometry"]["coordinates"], dtype=float)[:, :2]
        n = len(coords)
        highway = np.full(n, "road", dtype=object)
        for a, b, value in props.get("extras", {}).get("waytype", {}).get("values", []):
            highway[a : b + 1] = WAYTYPE_TO_HIGHWAY.get(int(value), "road")
        name = np.full(n, "", dtype=object)
        for seg in props.get("segments", []):
            for step in seg.get("steps", []):
                a, b = step["way_points"]
                if step.get("name") and step["name"] != "-":
                    name[a:b] = step["name"]
        routes.append(
            {
                "file": f.name,
                "coords": coords,
                "highway": highway,
                "name": name,
                "way_points": props["way_points"],
                "summary_km": props["summary"]["distance"],
                "segment_km": [s["distance"] for s in props["segments"]],
            }
        )
    return routes


def derive(route_dir: Path) -> dict:
    routes = read_routes(route_dir)
    all_ll = np.vstack([r["coords"] for r in routes])
    crs = local_crs(tuple(shapely.total_bounds(shapely.points(all_ll))))
    xy = shapely.get_coordinates(project(shapely.points(all_ll), WGS84, crs))

    # cluster vertices within SNAP_M: overlapping routes then share their vertices exactly
    pairs = cKDTree(xy).query_pairs(SNAP_M, output_type="ndarray")
    n = len(xy)
    adj = sparse.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, cluster = csgraph.connected_components(adj, directed=False)
    rep = np.zeros((cluster.max() + 1, 2))
    np.add.at(rep, cluster, xy)
    rep /= np.bincount(cluster)[:, None]

    seg_hw: dict[tuple[int, int], str] = {}
    seg_names: dict[tuple[int, int], Counter] = defaultdict(Counter)
    seg_routes: dict[tuple[int, int], set] = defaultdict(set)
    start = 0
    for r in routes:
        c = cluster[start : start + len(r["coords"])]
        start += len(r["coords"])
        for i in range(len(c) - 1):
            a, b = int(c[i]), int(c[i + 1])
            if a == b:
                continue
            key = (min(a, b), max(a, b))
            hw = r["highway"][i]
            if key not in seg_hw or HIGHWAY_RANK[hw] < HIGHWAY_RANK[seg_hw[key]]:
                seg_hw[key] = hw
            if r["name"][i]:
                seg_names[key][r["name"][i]] += 1
            seg_routes[key].add(r["file"].removesuffix(".geojson"))

    groups: dict[tuple[str, str], list] = defaultdict(list)
    for key, hw in seg_hw.items():
        nm = seg_names[key].most_common(1)[0][0] if seg_names[key] else ""
        groups[(hw, nm)].append(key)
    features = []
    for (hw, nm), keys in sorted(groups.items()):
        segs = shapely.linestrings([rep[[a, b]] for a, b in keys])
        merged = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(segs)))
        ll = project(merged, crs, WGS84)
        for g, g_m in zip(ll, merged):
            coords = np.round(shapely.get_coordinates(g), 7)
            used_by = sorted(set().union(*(seg_routes[k] for k in keys)))
            features.append(
                {
                    "type": "Feature",
                    "properties": {
                        "highway": hw,
                        "name": nm or None,
                        "oneway": "no",
                        "length_m": round(float(shapely.length(g_m)), 1),
                        "highway_source": "guessed from openrouteservice waytype",
                        "source": "openrouteservice routes " + ", ".join(used_by) + "; " + ATTRIBUTION,
                    },
                    "geometry": {"type": "LineString", "coordinates": coords.tolist()},
                }
            )
    return {
        "type": "FeatureCollection",
        "name": "roads_arterial",
        "description": (
            "ARTERIAL-ONLY road network of the Gaza Strip: the roads used by nine openrouteservice "
            "driving routes between its towns, overlapping stretches merged (vertices within "
            f"{SNAP_M} m joined). Not a full street network: for one, point the scenario at an OSM "
            "extract (.osm.pbf) of the Gaza Strip. highway classes guessed from ORS waytype."
        ),
        "attribution": ATTRIBUTION,
        "license": "ODbL-1.0",
        "features": features,
    }


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def check(route_dir: Path, roads_path: Path) -> list[dict]:
    """Drive-mode distance on the derived network between each ORS leg's ends vs the ORS summary."""
    from reliefplan.solvers import network as rn

    roads = rn.load_roads(roads_path)
    net = rn.build_network(roads, mode="drive")
    rows = []
    for r in read_routes(route_dir):
        wp = r["way_points"]
        ends = rn.to_xy(r["coords"][wp], net.crs)
        tt = rn.travel_time_matrix(net, ends, ends)
        legs = [float(tt.distance_m[i, i + 1]) for i in range(len(wp) - 1)]
        for i, (got, want_km) in enumerate(zip(legs, r["segment_km"])):
            rows.append(
                {
                    "route": r["file"].removesuffix(".geojson"),
                    "leg": i + 1,
                    "ors_km": want_km,
                    "network_km": round(got / 1000, 3),
                    "error_pct": round((got / 1000 / want_km - 1) * 100, 2),
                    "snap_m": round(float(max(tt.origin_snap_m[i], tt.origin_snap_m[i + 1])), 1),
                }
            )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    route_dir = args.shared / "data" / "gaza_geo" / "routes_ors"
    fc = derive(route_dir)
    write_atomic(args.out, json.dumps(fc, ensure_ascii=False, separators=(",", ":")) + "\n")
    total = sum(f["properties"]["length_m"] for f in fc["features"])
    print(f"wrote {args.out}: {len(fc['features'])} lines, {total / 1000:.1f} km")
    if args.check:
        rows = check(route_dir, args.out)
        print("| route | leg | ORS km | network km | error % | max snap m |")
        print("|---|---|---|---|---|---|")
        for r in rows:
            print(
                f"| {r['route']} | {r['leg']} | {r['ors_km']:.3f} | {r['network_km']:.3f} | {r['error_pct']:+.2f} "
                f"| {r['snap_m']} |"
            )
        err = np.array([abs(r["error_pct"]) for r in rows])
        print(f"legs: {len(rows)}; mean |error| {err.mean():.2f} %, max |error| {err.max():.2f} %")


if __name__ == "__main__":
    main()
