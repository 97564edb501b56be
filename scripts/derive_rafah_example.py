"""Derive the bundled example ``examples/rafah-2024/`` from the shared real data.

Usage::

    python scripts/derive_rafah_example.py [--shared PATH] [--out PATH]

Reads ``../shared/data`` (relative to the repository root by default) and writes the
example's zones, footprints, sites, entry points, age/sex structure and scenario.yaml
deterministically (same input -> byte-identical output). Prints the derived figures as
JSON on stdout; README.md and ATTRIBUTION.md in the example quote them.

The roads layer (``roads_arterial.geojson``) is produced by a separate script and is
neither read nor written here. Only json/csv + shapely/pyproj/numpy are used.

Geometry work is done in WGS84 lon/lat on a fixed 1e-6 degree grid (shapely's
``grid_size``), so the written coordinates (6 decimals, ~0.1 m) are exactly the ones the
overlay produced and adjacent zones share identical vertices. Areas are measured in
UTM zone 36N (EPSG:32636).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import mapping, shape

GRID_DEG = 1e-6  # coordinate grid of every shipped geometry (6 decimals)
SLIVER_M2 = 1_000.0  # polygon parts smaller than this are merged into a neighbouring zone
METRIC_EPSG = 32636  # WGS 84 / UTM zone 36N, covers the Gaza Strip

RAFAH_PCODE = "PS0275"
RAFAH_POP_FIGURE_ID = "rafah_pop_2024_05"  # UNRWA: 1.4 M in Rafah before the 6 May 2024 orders
KEREM_SHALOM_CAPACITY_ID = "kerem_shalom_capacity"
MAWASI_DENSITY_ID = "mawasi_density"
UNDER18_SHARE = 0.47  # PCBS end-2023: 1.06 M of 2.3 M under 18 (figures row pcbs_gaza_pop_end2023)
MAU_WINDOW = ("2024-05-01", "2024-05-05")
TRUCK_MONTH = ("2024-04-01", "2024-04-30")
DEFAULT_USABLE_FRACTION = 0.7
PAYLOAD_T = 20  # STANDARDS.md logistics: 15-25 t per truck commonly assumed; mid-range

# IDF map of 6 May 2024 (same for the order blocks and the humanitarian-zone blocks)
EO_DATE = "2024-05-06"

AGE_BANDS: list[tuple[str, list[str]]] = [
    ("0 to 4yo", ["0mo", "1 to 11mo", "12 to 59mo"]),
    ("5 to 9yo", ["5 to 9yo"]),
    ("10 to 14yo", ["10 to 14yo"]),
    ("15 to 19yo", ["15 to 19yo"]),
    (
        "20 to 59yo",
        [
            "20 to 24yo",
            "25 to 29yo",
            "30 to 34yo",
            "35 to 39yo",
            "40 to 44yo",
            "45 to 49yo",
            "50 to 54yo",
            "55 to 59yo",
        ],
    ),
    ("60 to 100yo", ["60 to 64yo", "65 to 69yo", "70 to 74yo", "75 to 79yo", "80 to 100yo"]),
]
SHARE_DECIMALS = 6

_TO_METRIC = Transformer.from_crs(4326, METRIC_EPSG, always_xy=True)


# ---------------------------------------------------------------- helpers


def area_m2(geom: shapely.Geometry) -> float:
    """Planar area (m2) of a lon/lat geometry measured in EPSG:32636."""
    return float(shapely.transform(geom, lambda xy: np.column_stack(_TO_METRIC.transform(xy[:, 0], xy[:, 1]))).area)


def polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Valid, polygon-only version of geom on the 1e-6 grid (drops points/lines)."""
    geom = shapely.set_precision(shapely.make_valid(geom), GRID_DEG)
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    polys = [q for p in parts for q in shapely.get_parts(p) if not q.is_empty]
    if not polys:
        return shapely.Polygon()
    out = polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)
    return shapely.orient_polygons(out, exterior_cw=False)  # RFC 7946 winding


def _round(obj: Any) -> Any:
    if isinstance(obj, float):
        return round(obj, 6)
    if isinstance(obj, (list, tuple)):
        return [_round(o) for o in obj]
    return obj


def feature(props: dict[str, Any], geom: shapely.Geometry) -> dict[str, Any]:
    g = mapping(geom)
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": g["type"], "coordinates": _round(g["coordinates"])},
    }


def write_text(path: Path, text: str) -> None:
    """Write atomically (temp file in the same directory, then os.replace)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; shipped files must be world-readable
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_geojson(path: Path, name: str, features: list[dict[str, Any]]) -> None:
    fc = {"type": "FeatureCollection", "name": name, "features": features}
    # one feature per line: small diffs, still valid JSON
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features]
    head = json.dumps({k: v for k, v in fc.items() if k != "features"}, ensure_ascii=False)[:-1]
    write_text(path, head + ',"features":[\n' + ",\n".join(lines) + "\n]}\n")


def write_csv(path: Path, rows: list[list[Any]]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    write_text(path, buf.getvalue())


def largest_remainder(total: int, weights: list[float]) -> list[int]:
    """Integers proportional to weights that sum exactly to total (Hamilton's method)."""
    w = np.asarray(weights, dtype=float)
    quota = total * w / w.sum()
    base = np.floor(quota).astype(np.int64)
    short = total - int(base.sum())
    # ties broken by index so the result is deterministic
    order = sorted(range(len(w)), key=lambda i: (-(quota[i] - base[i]), i))
    for i in order[:short]:
        base[i] += 1
    return [int(x) for x in base]


def block_label(value: float | int | str) -> str:
    """IDF map block number as printed on the map: 37 -> "37", 37.1 -> "37.1" (sub-block)."""
    v = float(value)
    return str(int(v)) if v.is_integer() else f"{v:g}"


def load_fc(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)["features"]


def figure_row(shared: Path, fig_id: str) -> dict[str, str]:
    with (shared / "figures" / "published_figures.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["id"] == fig_id:
                return row
    raise KeyError(f"published_figures.csv has no row {fig_id!r}")


# ---------------------------------------------------------------- zones


@dataclass
class Zone:
    zid: str
    name: str
    block: int | None
    geom: shapely.Geometry


def build_zones(
    governorate: shapely.Geometry, blocks: list[tuple[int, shapely.Geometry]]
) -> tuple[list[Zone], dict[str, Any]]:
    """Tile the governorate with the IDF blocks (clipped; lower block number wins overlaps)
    plus one remainder zone; polygon parts < SLIVER_M2 are merged into the zone sharing the
    longest border with them (into the remainder if they touch nothing else)."""
    zones: list[Zone] = []
    taken = shapely.Polygon()
    overlap_m2 = 0.0
    for block, g in sorted(blocks, key=lambda b: b[0]):
        clipped = polygonal(shapely.intersection(g, governorate, grid_size=GRID_DEG))
        if clipped.is_empty:
            continue
        piece = polygonal(shapely.difference(clipped, taken, grid_size=GRID_DEG))
        overlap_m2 += area_m2(clipped) - area_m2(piece)
        if piece.is_empty:
            continue
        zones.append(Zone(f"RAFAH-B{block}", f"Rafah - IDF map block {block}", block, piece))
        taken = shapely.union(taken, piece, grid_size=GRID_DEG)
    rest = polygonal(shapely.difference(governorate, taken, grid_size=GRID_DEG))
    zones.append(Zone("RAFAH-REST", "Rafah - rest of governorate (no IDF map block)", None, rest))

    # sliver pass: collect every small part, then re-attach it to its best neighbour
    merged: list[dict[str, Any]] = []
    keep: list[list[shapely.Geometry]] = []
    slivers: list[tuple[int, shapely.Geometry]] = []
    for zi, z in enumerate(zones):
        parts = list(shapely.get_parts(z.geom))
        big = [p for p in parts if area_m2(p) >= SLIVER_M2]
        keep.append(big)
        slivers.extend((zi, p) for p in parts if area_m2(p) < SLIVER_M2)
    rest_i = len(zones) - 1
    for zi, part in slivers:
        best, best_len = rest_i, 0.0
        for zj, big in enumerate(keep):
            if zj == zi or not big:
                continue
            shared_len = shapely.intersection(part.boundary, shapely.union_all(big).boundary, grid_size=GRID_DEG).length
            if shared_len > best_len:
                best, best_len = zj, shared_len
        keep[best].append(part)
        merged.append({"from": zones[zi].zid, "to": zones[best].zid, "area_m2": round(area_m2(part), 1)})
    out: list[Zone] = []
    for z, parts in zip(zones, keep):
        if not parts:
            continue
        z.geom = polygonal(shapely.union_all(parts, grid_size=GRID_DEG))
        out.append(z)
    info = {"block_overlap_removed_m2": round(overlap_m2, 1), "slivers_merged": merged}
    return out, info


# ---------------------------------------------------------------- main derivation


def derive(shared: Path, out: Path) -> dict[str, Any]:
    """Write every example file (except roads) into out; return the derived figures."""
    geo = shared / "gaza_geo"
    figs: dict[str, Any] = {}

    # governorate -------------------------------------------------------
    gov = [
        f
        for f in load_fc(geo / "cod_ab_pse_adm2_gaza_governorates.geojson")
        if f["properties"]["adm2_pcode"] == RAFAH_PCODE
    ]
    assert len(gov) == 1, "expected exactly one PS0275 feature"
    gp = gov[0]["properties"]
    governorate = polygonal(shape(gov[0]["geometry"]))
    gov_m2 = area_m2(governorate)
    figs["governorate_area_km2"] = round(gov_m2 / 1e6, 4)
    figs["governorate_area_km2_cod"] = gp["area_sqkm"]

    # zones ---------------------------------------------------------------
    blocks = [
        (int(f["properties"]["block"]), shape(f["geometry"]))
        for f in load_fc(geo / "idf_evacuation_blocks_dedup.geojson")
    ]
    blocks = [(b, g) for b, g in blocks if g.intersects(governorate)]
    zones, zinfo = build_zones(governorate, blocks)
    z_m2 = [area_m2(z.geom) for z in zones]
    pop_row = figure_row(shared, RAFAH_POP_FIGURE_ID)
    total_pop = int(pop_row["value"])
    pops = largest_remainder(total_pop, z_m2)
    # pcode is the governorate's: the blocks are not an administrative level
    zone_feats = [
        feature(
            {
                "id": z.zid,
                "name": z.name,
                "pcode": RAFAH_PCODE,
                "idf_block": None if z.block is None else str(z.block),
                "area_m2": round(a, 1),
                "population": p,
            },
            z.geom,
        )
        for z, a, p in zip(zones, z_m2, pops)
    ]
    write_geojson(out / "zones.geojson", "zones", zone_feats)
    # The full-scale footprint is the union of the zones (the COD polygon on the 1e-6 grid):
    # grid snapping of the block/governorate intersections moves vertices by < 0.1 m, and
    # using the union guarantees every zone lies wholly inside the footprint (share 1.0).
    zone_union = polygonal(shapely.union_all([z.geom for z in zones], grid_size=GRID_DEG))
    union_m2 = area_m2(zone_union)
    write_geojson(
        out / "footprint_rafah_governorate.geojson",
        "footprint_rafah_governorate",
        [
            feature(
                {
                    "id": RAFAH_PCODE,
                    "name": f"{gp['adm2_name']} governorate",
                    "pcode": RAFAH_PCODE,
                    "start_day": 0,
                    "area_km2_cod": gp["area_sqkm"],
                    "source": f"OCHA COD-AB cod-ab-pse adm2 {RAFAH_PCODE} (valid_on {gp['valid_on']}) via HDX; "
                    "union of zones.geojson on a 1e-6 degree grid",
                },
                zone_union,
            )
        ],
    )
    rest = [(a, p) for z, a, p in zip(zones, z_m2, pops) if z.zid == "RAFAH-REST"][0]
    figs["zones"] = {
        "n_zones": len(zones),
        "n_block_zones": len(zones) - 1,
        "blocks_intersecting_governorate": len(blocks),
        "sum_area_km2": round(sum(z_m2) / 1e6, 4),
        "union_area_km2": round(union_m2 / 1e6, 4),
        "area_diff_vs_governorate_pct": round(100 * (sum(z_m2) - gov_m2) / gov_m2, 5),
        "union_diff_vs_cod_area_sqkm_pct": round(100 * (union_m2 / 1e6 - gp["area_sqkm"]) / gp["area_sqkm"], 3),
        "union_vs_cod_polygon_symdiff_m2": round(
            area_m2(shapely.symmetric_difference(zone_union, shape(gov[0]["geometry"]))), 1
        ),
        "rest_area_km2": round(rest[0] / 1e6, 4),
        "rest_population": rest[1],
        "population_total": sum(pops),
        "density_per_km2": round(total_pop / (gov_m2 / 1e6), 1),
        "smallest_zone_km2": round(min(z_m2) / 1e6, 4),
        "largest_zone_km2": round(max(z_m2) / 1e6, 4),
        **zinfo,
    }

    # population cross-check (Meta MAU adults scaled to all ages) ------------
    mau_path = shared / "population" / "meta_mau_population_gaza_adm2_daily_2023-10-13_2024-05-14.csv"
    with mau_path.open(encoding="utf-8") as fh:
        mau = [
            (r["collection_date"], float(r["pop_mau_lower"]))
            for r in csv.DictReader(fh)
            if r["ADM2_PCODE"] == RAFAH_PCODE
            and r["agesex"] == "T_18Plus"
            and MAU_WINDOW[0] <= r["collection_date"] <= MAU_WINDOW[1]
        ]
    adults = float(np.mean([v for _, v in mau]))
    total_mau = adults / (1 - UNDER18_SHARE)
    figs["population_crosscheck"] = {
        "figure": total_pop,
        "figure_source": f"{pop_row['stated_by']} {pop_row['source_url']}",
        "mau_dates": [d for d, _ in mau],
        "mau_adults_mean": round(adults),
        "mau_total_scaled": round(total_mau),
        "diff_vs_figure_pct": round(100 * (total_mau - total_pop) / total_pop, 1),
    }

    # targeted footprint: the 6 May 2024 order blocks ------------------------
    eo = sorted(
        load_fc(geo / "evacuation_order_east_rafah_2024-05-06_blocks.geojson"),
        key=lambda f: int(f["properties"]["Block"]),
    )
    eo_feats, eo_geoms = [], []
    for f in eo:
        p, g = f["properties"], polygonal(shape(f["geometry"]))
        eo_geoms.append(g)
        eo_feats.append(
            feature(
                {
                    "id": f"EO-2024-05-06-B{int(p['Block'])}",
                    "name": f"Evacuation order 6 May 2024 - IDF map block {int(p['Block'])}",
                    "idf_block": block_label(p["Block"]),
                    "start_day": 0,
                    "date": EO_DATE,
                    "source": p["Source"],
                    "idf_map": p["IDFMap"],
                    "gazamaps": p["GazaMaps"],
                },
                g,
            )
        )
    write_geojson(out / "footprint_east_rafah_2024-05-06.geojson", "footprint_east_rafah_2024-05-06", eo_feats)
    eo_union = shapely.union_all(eo_geoms, grid_size=GRID_DEG)
    eo_in = shapely.intersection(eo_union, governorate, grid_size=GRID_DEG)
    eo_pop = sum(
        p * area_m2(shapely.intersection(z.geom, eo_union, grid_size=GRID_DEG)) / a
        for z, a, p in zip(zones, z_m2, pops)
    )
    figs["footprint_east_rafah"] = {
        "blocks": [int(f["properties"]["Block"]) for f in eo],
        "area_km2": round(sum(area_m2(g) for g in eo_geoms) / 1e6, 4),
        "union_area_km2": round(area_m2(eo_union) / 1e6, 4),
        "inside_governorate_km2": round(area_m2(eo_in) / 1e6, 4),
        "people_inside_area_weighted": round(eo_pop),
    }

    # candidate sites: 6 May 2024 humanitarian-zone blocks -------------------
    hz = sorted(
        load_fc(geo / "humanitarian_zone_idf_2024-05-06_blocks.geojson"), key=lambda f: float(f["properties"]["Block"])
    )
    existing, figs["existing_population"] = site_residents(shared, [polygonal(shape(f["geometry"])) for f in hz])
    hz_feats, hz_geoms, hz_in_gov = [], [], []
    for f, resident in zip(hz, existing):
        p, g = f["properties"], polygonal(shape(f["geometry"]))
        lab = block_label(p["Block"])
        hz_geoms.append(g)
        a = area_m2(g)
        inside = area_m2(shapely.intersection(g, governorate, grid_size=GRID_DEG))
        if inside > 0:
            hz_in_gov.append({"id": f"HZ-B{lab}", "inside_km2": round(inside / 1e6, 4), "share": round(inside / a, 3)})
        hz_feats.append(
            feature(
                {
                    "id": f"HZ-B{lab}",
                    "name": f"Humanitarian zone 6 May 2024 - IDF map block {lab}",
                    "idf_block": lab,
                    "area_m2": round(a, 1),
                    "usable_fraction": DEFAULT_USABLE_FRACTION,
                    "existing_population": resident,
                    "date": EO_DATE,
                    "source": p["Source"],
                },
                g,
            )
        )
    write_geojson(out / "sites.geojson", "sites", hz_feats)
    hz_union = shapely.union_all(hz_geoms, grid_size=GRID_DEG)
    hz_m2 = sum(area_m2(g) for g in hz_geoms)
    mawasi = figure_row(shared, MAWASI_DENSITY_ID)
    figs["sites"] = {
        "n_sites": len(hz_feats),
        "sum_area_km2": round(hz_m2 / 1e6, 4),
        "union_area_km2": round(area_m2(hz_union) / 1e6, 4),
        "inside_rafah_governorate_km2": round(
            area_m2(shapely.intersection(hz_union, governorate, grid_size=GRID_DEG)) / 1e6, 4
        ),
        "inside_east_rafah_order_km2": round(
            area_m2(shapely.intersection(hz_union, eo_union, grid_size=GRID_DEG)) / 1e6, 4
        ),
        "sites_touching_governorate": hz_in_gov,
        "capacity_at_45m2_usable_0_7": int(hz_m2 * DEFAULT_USABLE_FRACTION // 45),
        "capacity_at_45m2_usable_1_0": int(hz_m2 // 45),
        "mawasi_density_figure": f"{mawasi['value']} {mawasi['unit']} ({mawasi['stated_by']}, {mawasi['source_url']})",
    }

    # entry points --------------------------------------------------------
    figs["entry_points"] = write_entry_points(shared, out / "entry_points.csv")

    # everyone the crossings feed: other governorates, cargo as carried, local water ---------
    figs["served_populations"] = write_served(shared, out / "served_populations.geojson", figs["existing_population"])
    figs["cargo_payload"] = write_cargo_payload(shared, out / "cargo_payload_apr_2024.csv")
    figs["food_mix"] = write_food_mix(shared, out / "food_mix_apr_2024.csv")
    figs["water_sources"] = write_water_sources(shared, out / "water_sources.csv")
    figs["observed_entry_capacity"] = write_observed_entry_capacity(shared, out / "entry_capacity_observed_2024.csv")

    # age / sex -------------------------------------------------------------
    figs["age_sex"] = write_age_sex(shared, out / "age_sex.csv")

    if not (out / "scenario.yaml").exists():  # the shipped one is extended by hand (uncertainty, packages)
        write_text(out / "scenario.yaml", SCENARIO_YAML.format(usable=DEFAULT_USABLE_FRACTION))
    return figs


def site_residents(shared: Path, sites: list[shapely.Geometry]) -> tuple[list[int], dict[str, Any]]:
    """People already in each candidate site before the operation: each governorate's Meta-MAU population
    (adults, lower bound, mean of MAU_WINDOW, scaled to all ages) spread evenly over its area, for the part
    of the site outside Rafah governorate (Rafah's own people are the zones' population, not counted twice)."""
    adm2 = load_fc(shared / "gaza_geo" / "cod_ab_pse_adm2_gaza_governorates.geojson")
    with (shared / "population" / "meta_mau_population_gaza_adm2_daily_2023-10-13_2024-05-14.csv").open(
        encoding="utf-8"
    ) as fh:
        rows = [
            r
            for r in csv.DictReader(fh)
            if r["agesex"] == "T_18Plus" and MAU_WINDOW[0] <= r["collection_date"] <= MAU_WINDOW[1]
        ]
    out = np.zeros(len(sites))
    info: dict[str, Any] = {
        "source": "Meta MAU model (edarin/Gaza_displacement_analytics), T_18Plus pop_mau_lower, "
        f"mean {MAU_WINDOW[0]}..{MAU_WINDOW[1]}, / (1 - {UNDER18_SHARE}) for all ages",
        "governorates": {},
    }
    for f in adm2:
        pcode = f["properties"]["adm2_pcode"]
        if pcode == RAFAH_PCODE:
            continue
        adults = [float(r["pop_mau_lower"]) for r in rows if r["ADM2_PCODE"] == pcode]
        gov = polygonal(shape(f["geometry"]))
        density = float(np.mean(adults)) / (1 - UNDER18_SHARE) / area_m2(gov)
        inside = np.array([area_m2(shapely.intersection(g, gov, grid_size=GRID_DEG)) for g in sites])
        out += density * inside
        if inside.sum() > 0:
            info["governorates"][pcode] = {
                "name": f["properties"]["adm2_name"],
                "population_all_ages": round(float(np.mean(adults)) / (1 - UNDER18_SHARE)),
                "density_per_km2": round(density * 1e6, 1),
                "site_area_km2": round(float(inside.sum()) / 1e6, 4),
                "residents_in_sites": round(float((density * inside).sum())),
            }
    counts = [int(round(v)) for v in out]
    info["total"] = sum(counts)
    return counts, info


def write_entry_points(shared: Path, path: Path) -> dict[str, Any]:
    """Kerem Shalom and Rafah crossing with April-2024 observed mean trucks/day (UNRWA)."""
    with (shared / "gaza_geo" / "crossings.csv").open(encoding="utf-8") as fh:
        coords = {r["name"]: (float(r["lon"]), float(r["lat"])) for r in csv.DictReader(fh) if r["lon"]}
    with (shared / "aid" / "unrwa_trucks_daily_by_crossing_category.csv").open(encoding="utf-8") as fh:
        trucks = [r for r in csv.DictReader(fh) if TRUCK_MONTH[0] <= r["date"] <= TRUCK_MONTH[1]]
    n_days = int((np.datetime64(TRUCK_MONTH[1]) - np.datetime64(TRUCK_MONTH[0])).astype(int)) + 1
    ks_cap = figure_row(shared, KEREM_SHALOM_CAPACITY_ID)
    spec = [  # (id, display name, crossings.csv name, UNRWA crossing name, design, design source)
        (
            "KEREM-SHALOM",
            "Kerem Shalom (Karm Abu Salem)",
            "Kerem Shalom Crossing",
            "Kerem Shalom",
            450,
            f"design 450/day after upgrade: {ks_cap['stated_by']} {ks_cap['source_url']}",
        ),
        (
            "RAFAH-CROSSING",
            "Rafah crossing (Egypt-Gaza)",
            "Rafah Border Crossing",
            "Rafah Crossing",
            None,
            "design capacity: no sourced figure offline (left blank); closed to aid after 7 May 2024",
        ),
    ]
    rows: list[list[Any]] = [
        ["id", "name", "lon", "lat", "trucks_per_day", "payload_t", "design_trucks_per_day", "closes_day", "source"],
        [
            "#loc+id",
            "#loc+name",
            "#geo+lon",
            "#geo+lat",
            "#capacity+trucks+observed",
            "#capacity+payload_t",
            "#capacity+trucks+design",
            "#date+closed",
            "#meta+source",
        ],
    ]
    with (shared / "aid" / "unrwa_trucks_daily_by_crossing_category.csv").open(encoding="utf-8") as fh:
        last_entry = {}
        for r in csv.DictReader(fh):
            if int(r["trucks"]) > 0:
                last_entry[r["crossing"]] = max(last_entry.get(r["crossing"], ""), r["date"])
    info: dict[str, Any] = {"period": list(TRUCK_MONTH), "calendar_days": n_days}
    for eid, name, cname, uname, design, dsrc in spec:
        mine = [r for r in trucks if r["crossing"] == uname]
        total = sum(int(r["trucks"]) for r in mine)
        days_with_data = len({r["date"] for r in mine})
        by_cat: dict[str, int] = {}
        for r in mine:
            by_cat[r["cargo_category"]] = by_cat.get(r["cargo_category"], 0) + int(r["trucks"])
        mean = round(total / n_days, 1)
        lon, lat = coords[cname]
        # a crossing with no recorded entry after day 0 of the example is closed from its own data
        last = last_entry.get(uname, "")
        closes = ""
        if last and last < (np.datetime64(DAY0) + np.timedelta64(30, "D")).astype(str):
            gap = int((np.datetime64(last) + np.timedelta64(1, "D") - np.datetime64(DAY0)).astype(int))
            closes = max(0, gap) if last_after(shared, uname, last) else ""
        rows.append(
            [
                eid,
                name,
                lon,
                lat,
                mean,
                PAYLOAD_T,
                "" if design is None else design,
                closes,
                f"coords: Wikipedia infobox ({cname}); trucks_per_day: UNRWA Gaza supplies and dispatch "
                f"tracking, mean of {TRUCK_MONTH[0]}..{TRUCK_MONTH[1]} all cargo categories "
                f"({total} trucks / {n_days} days); payload_t: assumption (15-25 t range); {dsrc}"
                + (
                    f"; closes_day {closes}: no entry in the UNRWA list after {last} (day 0 = {DAY0})"
                    if closes != ""
                    else ""
                ),
            ]
        )
        info[eid] = {
            "trucks_total": total,
            "days_with_entries": days_with_data,
            "mean_per_calendar_day": mean,
            "mean_per_day_with_entries": round(total / days_with_data, 1),
            "by_category": by_cat,
        }
    info["all_crossings_mean_per_day"] = round(sum(int(r["trucks"]) for r in trucks) / n_days, 1)
    write_csv(path, rows)
    return info


def last_after(shared: Path, crossing: str, last: str) -> bool:
    """The UNRWA list goes on after `last` (so no entry at `crossing` afterwards means it was closed)."""
    with (shared / "aid" / "unrwa_trucks_daily_by_crossing_category.csv").open(encoding="utf-8") as fh:
        return any(r["date"] > last and r["crossing"] != crossing for r in csv.DictReader(fh))


def write_age_sex(shared: Path, path: Path) -> dict[str, Any]:
    """Aggregate LSHTM prop_age_sex to the intake_req age bands; shares of total population."""
    src: dict[str, tuple[float, float]] = {}
    with (shared / "aid" / "lshtm_gaza_food_data_csv" / "prop_age_sex.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["age"]:
                src[r["age"]] = (float(r["male"] or "nan"), float(r["female"] or "nan"))
    raw_sum = sum(m + f for a, (m, f) in src.items() if a not in ("pregnant", "lactating"))
    used = [a for _, members in AGE_BANDS for a in members]
    assert sorted(used) == sorted(a for a in src if a not in ("pregnant", "lactating")), "age bands mismatch"
    shares = [sum(src[a][k] for a in members) / raw_sum for _, members in AGE_BANDS for k in (0, 1)]
    # round to 6 decimals so the column total is exactly 1 (largest remainder on micro-units)
    units = largest_remainder(10**SHARE_DECIMALS, shares)
    rows: list[list[Any]] = [["age", "male", "female"], ["#group+age", "#population+m+pct", "#population+f+pct"]]
    for i, (band, _) in enumerate(AGE_BANDS):
        rows.append([band, f"{units[2 * i] / 10**SHARE_DECIMALS:.6f}", f"{units[2 * i + 1] / 10**SHARE_DECIMALS:.6f}"])
    for extra in ("pregnant", "lactating"):
        rows.append([extra, "", f"{src[extra][1]:.6f}"])
    write_csv(path, rows)
    return {
        "raw_sum_of_shares": raw_sum,
        "male_share": round(sum(units[0::2]) / 10**SHARE_DECIMALS, 6),
        "under5_share": round((units[0] + units[1]) / 10**SHARE_DECIMALS, 6),
        "share_0_to_19": round(sum(units[:8]) / 10**SHARE_DECIMALS, 6),
        "pregnant": round(src["pregnant"][1], 6),
        "lactating": round(src["lactating"][1], 6),
    }


# ---------------------------------------------------------------- everyone the crossings feed

#: day 0 of the example: the 6 May 2024 order
DAY0 = "2024-05-06"
#: the governorates fed through the same southern crossings as Rafah: LSHTM groups Rafah, Khan Younis and
#: Deir al-Balah as "south-central" (aid/lshtm_gaza_food_data_csv/prop_reliant.csv); the north was reached by
#: the northern crossings (Erez, Western Erez) and convoys
SERVED_PCODES = ("PS0265", "PS0270")
#: COGAT classifications of the land-crossing consignments (one consignment = one truck) per commodity
COGAT_CLASS = {"food": "Food", "water": "Water", "medical": "Medical Supplies", "shelter_nfi": "Shelter Equipment"}
#: UNRWA line list descriptions -> LSHTM kcal_equi items (where the words differ)
FOOD_ALIASES = {
    "lemon": "lemons",
    "lemons": "lemons",
    "onions": "onions",
    "potatoes": "potatoes",
    "oranges": "oranges",
    "apples": "apples",
    "bananas": "banana",
    "frozen chicken": "frozen chicken",
    "tomato sauce": "tomato sauce",
    "semolina": "semolina flour",
    "pistachio": "pistachios",
    "canned beans": "canned beans",
    "biscuit": "biscuits",
    "dates": "dates",
    "sweets": "arabic sweets",
    "oil": "oil",
    "cooking oil": "cooking oil",
    "ghee": "clarified butter",
    "juice": "juice",
}
#: kg per pallet: UNRWA palletisation (LSHTM kg_pallet.csv) where the item is listed, else WFP's measured mean
PALLET_KG_WFP = 705.9


def _xlsx_rows(path: Path, sheet: str) -> list[list[Any]]:
    """Cell values of one worksheet of an .xlsx file (stdlib only): strings and numbers, None where empty."""
    import re
    import xml.etree.ElementTree as ET
    import zipfile

    ns = {
        "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    }
    with zipfile.ZipFile(path) as z:
        strings = [
            "".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t"))
            for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", ns)
        ]
        wb = ET.fromstring(z.read("xl/workbook.xml"))
        rid = next(s.get(f"{{{ns['r']}}}id") for s in wb.find("m:sheets", ns) if s.get("name") == sheet)
        rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        target = next(r.get("Target") for r in rels if r.get("Id") == rid)
        root = ET.fromstring(z.read(f"xl/{target}"))
    rows = []
    for row in root.iter(f"{{{ns['m']}}}row"):
        cells: dict[int, Any] = {}
        for c in row.findall("m:c", ns):
            col = 0
            for ch in re.match(r"[A-Z]+", c.get("r")).group(0):
                col = col * 26 + ord(ch) - 64
            v = c.find("m:v", ns)
            if v is None:
                continue
            cells[col - 1] = strings[int(v.text)] if c.get("t") == "s" else float(v.text)
        rows.append([cells.get(i) for i in range(max(cells) + 1)] if cells else [])
    return rows


def _cogat_date(text: str) -> str:
    import datetime as dt

    day, month, year = text.split()
    return dt.date(int(year), dt.datetime.strptime(month[:3], "%b").month, int(day)).isoformat()


def write_cargo_payload(shared: Path, path: Path) -> dict[str, Any]:
    """t per truck by commodity: mean tonnage of COGAT's land-crossing consignments in TRUCK_MONTH (a consignment
    is one truck; rows without tonnage left out)."""
    tons: dict[str, list[float]] = {k: [] for k in COGAT_CLASS}
    missing = {k: 0 for k in COGAT_CLASS}
    by_class = {v: k for k, v in COGAT_CLASS.items()}
    with (shared / "aid" / "cogat_gaza_aid_consignments_2023-10-21_2024-09-17.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            k = by_class.get(r["Classification"])
            if (
                k is None
                or r["Route"] != "Land Crossings"
                or not TRUCK_MONTH[0] <= _cogat_date(r["Date"]) <= TRUCK_MONTH[1]
            ):
                continue
            try:
                tons[k].append(float(r["Aid (tons)"]))
            except ValueError:
                missing[k] += 1
    rows: list[list[Any]] = [
        ["commodity", "t_per_truck", "trucks", "tonnes", "trucks_without_tonnage", "source"],
        [
            "#item+name",
            "#capacity+payload_t",
            "#output+trucks+num",
            "#output+tonnes",
            "#output+trucks+missing",
            "#meta+source",
        ],
    ]
    info = {}
    for k, v in tons.items():
        mean = round(sum(v) / len(v), 2)
        rows.append(
            [
                k,
                mean,
                len(v),
                round(sum(v), 1),
                missing[k],
                f"COGAT line list (aid/cogat_gaza_aid_consignments_...csv), Land Crossings, '{COGAT_CLASS[k]}', "
                f"{TRUCK_MONTH[0]}..{TRUCK_MONTH[1]}: mean t per consignment (one truck)",
            ]
        )
        info[k] = {"t_per_truck": mean, "trucks": len(v), "without_tonnage": missing[k]}
    write_csv(path, rows)
    return info


def write_food_mix(shared: Path, path: Path) -> dict[str, Any]:
    """The food the trucks carried in TRUCK_MONTH and its energy density: UNRWA's line list (food trucks, pallets
    per item; a description naming several items splits its pallets equally), kg per pallet (LSHTM kg_pallet) and
    kcal per kg (LSHTM kcal_equi; food parcels from LSHTM's parcel contents). Items with no energy figure (mixed
    'food items', ready-to-eat meals) and water are left out of the mix and their share is reported."""
    import datetime as dt

    lshtm = shared / "aid" / "lshtm_gaza_food_data_csv"
    with (lshtm / "kcal_equi.csv").open(encoding="utf-8") as fh:
        kcal = {r["item"].strip().lower(): float(r["kcal_kg"]) for r in csv.DictReader(fh) if r["kcal_kg"]}
    with (lshtm / "kg_pallet.csv").open(encoding="utf-8") as fh:
        pallet = {
            r["item"].strip().lower(): float(r["kg_pallet"])
            for r in csv.DictReader(fh)
            if r["agency"] == "UNRWA" and r["item"] and r["item"] != "other"
        }
    parcels: dict[tuple[str, str], list[tuple[float, float]]] = {}
    with (lshtm / "parcels.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["kg"] and r["kcal_kg"]:
                parcels.setdefault((r["agency"], r["version"]), []).append((float(r["kg"]), float(r["kcal_kg"])))
    parcel_kcal = float(np.mean([sum(k * c for k, c in p) / sum(k for k, _ in p) for p in parcels.values()]))
    kcal["food parcels"] = parcel_kcal
    rows = _xlsx_rows(shared / "aid" / "unrwa_commodities_received_2024-11-11.xlsx", "Suppy Page")
    head = [str(h) for h in rows[0]]
    col = {h: i for i, h in enumerate(head)}
    start = dt.date(1899, 12, 30)
    lo, hi = dt.date.fromisoformat(TRUCK_MONTH[0]), dt.date.fromisoformat(TRUCK_MONTH[1])
    pallets: dict[str, float] = {}
    trucks = other_units = 0
    for r in rows[1:]:
        r = r + [None] * (len(head) - len(r))
        when = r[col["Received Date"]]
        if not isinstance(when, float) or r[col["Cargo Category"]] != "Food Items":
            continue
        if not lo <= start + dt.timedelta(days=int(when)) <= hi:
            continue
        trucks += 1
        if r[col["Units"]] != "Pallets" or not isinstance(r[col["Quantity"]], float):
            other_units += 1
            continue
        parts = [p.strip().lower() for p in str(r[col["Description of Cargo"]]).split("+") if p.strip()]
        for p in parts:
            pallets[p] = pallets.get(p, 0.0) + r[col["Quantity"]] / len(parts)
    mix, left_out = [], {}
    for item, n in sorted(pallets.items(), key=lambda kv: -kv[1]):
        name = FOOD_ALIASES.get(item, item)
        if name.endswith("s") and name not in kcal and name[:-1] in kcal:
            name = name[:-1]
        if item == "water" or name not in kcal:
            left_out[item] = n
            continue
        kg = pallet.get(name, PALLET_KG_WFP)
        mix.append((item, n, kg, kcal[name]))
    out: list[list[Any]] = [
        ["item", "t", "kcal_per_kg", "pallets", "kg_per_pallet", "source"],
        [
            "#item+name",
            "#output+tonnes",
            "#indicator+kcal_per_kg",
            "#output+pallets",
            "#indicator+kg_per_pallet",
            "#meta+source",
        ],
    ]
    for item, n, kg, kc in mix:
        out.append(
            [
                item,
                round(n * kg / 1000.0, 1),
                round(kc, 1),
                round(n, 1),
                kg,
                "UNRWA line list (pallets, food trucks "
                + f"{TRUCK_MONTH[0]}..{TRUCK_MONTH[1]}); LSHTM kcal_equi"
                + (" (food parcels: mean of LSHTM parcel contents)" if item == "food parcels" else "")
                + ("; kg/pallet: UNRWA palletisation" if kg != PALLET_KG_WFP else "; kg/pallet: WFP mean 705.9"),
            ]
        )
    write_csv(path, out)
    t = sum(n * kg / 1000.0 for _, n, kg, _ in mix)
    total_pallets = sum(pallets.values())
    return {
        "trucks": trucks,
        "trucks_not_in_pallets": other_units,
        "items": len(mix),
        "tonnes_in_mix": round(t, 1),
        "kcal_per_kg": round(sum(n * kg * kc for _, n, kg, kc in mix) / (t * 1000), 1),
        "food_parcel_kcal_per_kg": round(parcel_kcal, 1),
        "pallet_share_left_out": round(sum(left_out.values()) / total_pallets, 4),
        "left_out_largest": {k: round(v) for k, v in sorted(left_out.items(), key=lambda kv: -kv[1])[:8]},
    }


def write_served(shared: Path, path: Path, residents: dict[str, Any]) -> dict[str, Any]:
    """The other people the southern crossings fed: each served governorate's Meta-MAU population (as for the site
    residents) less the people already counted on the candidate sites in it."""
    adm2 = {
        f["properties"]["adm2_pcode"]: f
        for f in load_fc(shared / "gaza_geo" / "cod_ab_pse_adm2_gaza_governorates.geojson")
    }
    feats, info = [], {}
    for pcode in SERVED_PCODES:
        g = residents["governorates"][pcode]
        served = g["population_all_ages"] - g["residents_in_sites"]
        f = adm2[pcode]
        feats.append(
            feature(
                {
                    "id": pcode,
                    "name": f"{f['properties']['adm2_name']} governorate",
                    "pcode": pcode,
                    "population": served,
                    "population_all_ages": g["population_all_ages"],
                    "residents_on_candidate_sites": g["residents_in_sites"],
                    "source": residents["source"] + "; less the residents counted on the candidate sites",
                },
                polygonal(shape(f["geometry"])),
            )
        )
        info[pcode] = {"name": f["properties"]["adm2_name"], "served": served}
    write_geojson(path, "served_populations", feats)
    info["total"] = sum(v["served"] for v in info.values())
    return info


WATER_SOURCES = [
    # id, name, label point (osm_municipality_label_points.csv name_en), m3/day, reach km, source
    (
        "MEKOROT-BANI-SUHAILA",
        "Mekorot pipeline connection, Bani Suhaila (Khan Younis)",
        "Bani Suheila",
        16800,
        8,
        "COGAT, 10 Apr 2024 (via TPS / JewishPress 12 Apr 2024, https://www.jewishpress.com/news/breaking-news/"
        "un-fails-to-distribute-aid-as-idf-has-water-lines-repaired-in-gaza/2024/04/12/): repaired line supplies over "
        "400,000 people with 42 L/person/day (= 16,800 m3/day); ASSUMPTION: located at the Bani Suheila label point "
        "(OSM) and reaching 8 km (the Khan Younis network)",
    ),
    (
        "DESAL-SOUTH",
        "Southern Gaza seawater desalination plant (UNICEF/EU, 2017)",
        "Deir el-Balah",
        1500,
        12,
        "Israeli officials via Fox News Digital / All Israel News, June-July 2024 (https://cp.allisrael.com/israel-to-"
        "supply-electricity-to-gaza-desalination-plant-to-boost-water-production-in-designated-humanitarian-zone): "
        "about 1,500 m3/day on generators and solar before its grid connection in July 2024, serving Deir al-Balah, "
        "Khan Younis and al-Mawasi; ASSUMPTION: located at the Deir el-Balah label point (OSM; OCHA places the plant in "
        "Deir al Balah) and reaching 12 km",
    ),
]


def write_water_sources(shared: Path, path: Path) -> dict[str, Any]:
    """Local water production in May 2024 with its citation (figures from published reports; locations from the
    OSM label points). Groundwater wells are not declared: see the example README."""
    with (shared / "gaza_geo" / "osm_municipality_label_points.csv").open(encoding="utf-8") as fh:
        pts = {r["name_en"]: (float(r["lon"]), float(r["lat"])) for r in csv.DictReader(fh)}
    rows: list[list[Any]] = [
        ["id", "name", "lon", "lat", "m3_per_day", "reach_km", "from_day", "source"],
        [
            "#loc+id",
            "#loc+name",
            "#geo+lon",
            "#geo+lat",
            "#capacity+water+m3",
            "#geo+reach_km",
            "#date+start",
            "#meta+source",
        ],
    ]
    for wid, name, label, m3, reach, src in WATER_SOURCES:
        lon, lat = pts[label]
        rows.append([wid, name, round(lon, 6), round(lat, 6), m3, reach, 0, src])
    write_csv(path, rows)
    return {"sources": len(WATER_SOURCES), "m3_per_day": sum(w[3] for w in WATER_SOURCES)}


SCENARIO_YAML = """\
# Generated by scripts/derive_rafah_example.py - see README.md (derivation) and ATTRIBUTION.md.
title: "Rafah, Gaza - May 2024"
description: >-
  Rafah governorate (OCHA COD PS0275) in early May 2024, about 1.4 million people
  (UNRWA), split into IDF evacuation-map blocks. Two operation footprints: the
  6 May 2024 eastern-Rafah evacuation order (8 blocks, ~6.3 km2) and the whole
  governorate. Candidate shelter sites are the 93 blocks of the humanitarian zone
  the IDF designated on 6 May 2024 (~61 km2), at a planning usable fraction of 0.7.
crs: auto
standards:
  profile: sphere-2018
  overrides: {{}}
population_structure: age_sex.csv   # LSHTM (Checchi et al.) Gaza age/sex shares
household_size: 5.6                 # Gaza 2022 census mean, via LSHTM gaza_food_data.xlsx 'general'
horizon_days: 30
layers:
  zones:
    file: zones.geojson
    fields: {{}}
  sites:
    file: sites.geojson
    usable_fraction: {usable}           # ASSUMPTION (see README), varied by the ensemble issue
  entry_points:
    file: entry_points.csv
  roads:
    file: roads_arterial.geojson
footprints:
  east-rafah-order:
    file: footprint_east_rafah_2024-05-06.geojson
    start_day: 0
  rafah-governorate:
    file: footprint_rafah_governorate.geojson
    start_day: 0
scenarios:
  targeted:
    description: "6 May 2024 eastern-Rafah evacuation order (8 blocks, ~6.3 km2)"
    footprints: [east-rafah-order]
    horizon_days: 30
    standards:
      profile: sphere-2018
  full:
    description: "Full-scale operation: all of Rafah governorate"
    footprints: [rafah-governorate]
    horizon_days: 30
    standards:
      profile: sphere-2018
"""


#: the example's crossings in the UNRWA line list, and the period of the observed series (issue 21: 180 days from
#: 1 April 2024 reach 27 September; the line list ends on 30 September 2024)
OBSERVED_CROSSINGS = {"KEREM-SHALOM": "Kerem Shalom", "RAFAH-CROSSING": "Rafah Crossing"}
OBSERVED_FIRST, OBSERVED_LAST = "2024-04-01", "2024-09-30"


def write_observed_entry_capacity(shared: Path, path: Path) -> dict[str, Any]:
    """Trucks per day per crossing and cargo category (UNRWA line list, summed by date), every calendar day of the
    period for both crossings (0 where no truck entered)."""
    import datetime as dt

    cats = {
        "Food Items": "food",
        "Non-Food Items": "nfi",
        "Medical Supplies": "medical",
        "Medical Supply": "medical",
        "Mixed Items": "mixed",
    }
    by = {}
    with open(shared / "aid" / "unrwa_trucks_daily_by_crossing_category.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if OBSERVED_FIRST <= r["date"] <= OBSERVED_LAST and r["crossing"] in OBSERVED_CROSSINGS.values():
                key = (r["date"], r["crossing"], cats.get(r["cargo_category"], "mixed"))
                by[key] = by.get(key, 0) + int(float(r["trucks"]))
    rows: list[list[Any]] = [
        [
            "date",
            "day_from_2024_05_06",
            "entry_point_id",
            "crossing_unrwa",
            "trucks_food",
            "trucks_nfi",
            "trucks_medical",
            "trucks_mixed",
            "trucks_total",
        ],
        [
            "#date",
            "#date+offset",
            "#loc+id",
            "#loc+name",
            "#capacity+trucks+observed+food",
            "#capacity+trucks+observed+nfi",
            "#capacity+trucks+observed+medical",
            "#capacity+trucks+observed+mixed",
            "#capacity+trucks+observed+total",
        ],
    ]
    day, last, op = dt.date.fromisoformat(OBSERVED_FIRST), dt.date.fromisoformat(OBSERVED_LAST), dt.date(2024, 5, 6)
    while day <= last:
        for eid, name in OBSERVED_CROSSINGS.items():
            n = [by.get((day.isoformat(), name, c), 0) for c in ("food", "nfi", "medical", "mixed")]
            rows.append([day.isoformat(), (day - op).days, eid, name, *n, sum(n)])
        day += dt.timedelta(days=1)
    write_csv(path, rows)
    return {"observed_first": OBSERVED_FIRST, "observed_last": OBSERVED_LAST, "rows": len(rows) - 2}


def main(argv: list[str] | None = None) -> int:
    repo = Path(__file__).resolve().parents[1]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--shared",
        type=Path,
        default=Path(__file__).resolve().parents[2] / "shared" / "data",
        help="folder with the shared real data (default: ../shared/data next to the repo)",
    )
    ap.add_argument("--out", type=Path, default=repo / "examples" / "rafah-2024")
    args = ap.parse_args(argv)
    if not args.shared.is_dir():
        print(f"error: shared data folder not found: {args.shared}", file=sys.stderr)
        return 2
    figs = derive(args.shared, args.out)
    json.dump(figs, sys.stdout, indent=1, ensure_ascii=False)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
