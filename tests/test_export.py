"""GeoPackage with every plan layer, and CSV tables with a valid HXL hashtag row."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pyogrio
import pytest
import shapely
from conftest import EXAMPLE, fc, feat, planned, square, write_scenario

from reliefplan.outputs.export import (
    pcode_hashtag,
    plan_tables,
    read_geopackage,
    site_compliance,
    write_geopackage,
    write_tables,
)
from reliefplan.outputs.layers import Layer
from reliefplan.plan import Plan

# HXL 1.1: '#' + tag, then '+attribute's; lowercase letters, digits, underscore
HXL_TAG = re.compile(r"^#[a-z][a-z0-9_]*(\s*\+[a-z][a-z0-9_]*)*$")


_planned = planned


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> tuple[Plan, dict[str, Layer]]:
    zones = fc(
        [
            feat({"id": "A", "population": 10000, "name": "zone A", "pcode": "PS0275"}, square(0, 0)),
            feat({"id": "B", "population": 10000, "name": "zone B", "pcode": "PS0270"}, square(1, 0)),
        ]
    )
    sites = fc(
        [
            feat({"id": "S1", "usable_fraction": 1.0}, square(0, 3)),
            feat({"id": "S2", "usable_fraction": 0.5}, square(1.25, 0.25, 0.005)),
        ]
    )  # inside zone B
    return _planned(write_scenario(tmp_path_factory.mktemp("export") / "sc", zones=zones, sites=sites))


def _read_csv(path: Path) -> tuple[list[str], list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, tags, data = rows[0], rows[1], rows[2:]
    return header, tags, [dict(zip(header, r)) for r in data]


# ---- GeoPackage ---------------------------------------------------------------------------------


def test_geopackage_has_every_layer_with_its_features(synthetic, tmp_path):
    plan, layers = synthetic
    layers = dict(layers)
    layers["roads"] = Layer(
        "roads",
        "LineString",
        [shapely.LineString([(34.25, 31.28), (34.27, 31.29)])],
        [{"id": "r1", "highway": "primary", "lanes": None, "tags": {"oneway": True}}],
    )
    path = write_geopackage(layers, tmp_path / "plan.gpkg")
    listed = {str(n): str(t) for n, t in pyogrio.list_layers(path)}
    assert set(listed) == {"zones", "footprint", "sites", "flows", "entry_points", "roads"}
    assert listed["zones"] == "MultiPolygon" and listed["flows"] == "LineString" and listed["entry_points"] == "Point"
    for name, layer in layers.items():
        info = pyogrio.read_info(path, layer=name)
        assert info["features"] == len(layer.geometries)
        assert info["crs"] == "EPSG:4326"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.gpkg"]  # no temp or journal files left


def test_geopackage_round_trip_values(synthetic, tmp_path):
    plan, layers = synthetic
    layers = dict(layers)
    layers["roads"] = Layer(
        "roads",
        "LineString",
        [shapely.LineString([(34.25, 31.28), (34.27, 31.29)])] * 2,
        [
            {"id": "r1", "lanes": None, "tags": {"oneway": True}, "open": None},
            {"id": "r2", "lanes": 2, "tags": [1, 2], "open": False},
        ],
    )
    back = read_geopackage(write_geopackage(layers, tmp_path / "plan.gpkg"))
    z = {p["id"]: p for p in back["zones"].properties}
    assert z["A"]["displaced"] == 10000 and z["A"]["pcode"] == "PS0275" and z["B"]["staying"] == 10000
    assert z["B"]["start_day"] is None  # nobody leaves zone B
    s = {p["id"]: p for p in back["sites"].properties}
    assert s["S1"]["open"] is True and s["S1"]["population"] + s["S2"]["population"] == 10000
    assert [s[r.id]["population"] for r in plan.sites] == [r.population for r in plan.sites]
    assert [s[r.id]["compliance"] for r in plan.sites] == [site_compliance(plan)[r.id] for r in plan.sites]
    assert sum(p["people"] for p in back["flows"].properties) == plan.people.sheltered
    assert back["entry_points"].properties[0]["design_trucks_per_day"] is None
    assert back["roads"].properties == [
        {"id": "r1", "lanes": None, "tags": {"oneway": True}, "open": None},
        {"id": "r2", "lanes": 2, "tags": [1, 2], "open": False},
    ]
    assert type(back["roads"].properties[1]["lanes"]) is int  # not 2.0, though the column has a null
    for name, layer in layers.items():
        for g0, g1 in zip(layer.geometries, back[name].geometries):
            assert shapely.equals_exact(
                shapely.normalize(g0 if g0.geom_type != "Polygon" else shapely.MultiPolygon([g0])),
                shapely.normalize(g1),
                1e-9,
            )


def test_geopackage_write_is_atomic(synthetic, tmp_path):
    plan, layers = synthetic
    path = write_geopackage(layers, tmp_path / "plan.gpkg")
    before = path.read_bytes()
    broken = dict(layers)
    broken["bad"] = Layer("bad", "Point", [shapely.Point(0, 0)], [])  # geometries and properties disagree
    with pytest.raises(ValueError, match="bad"):
        write_geopackage(broken, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.gpkg"]


def test_mixed_geometries_are_written_as_unknown(tmp_path):
    layer = Layer(
        "mixed",
        "Point",
        [shapely.Point(1, 2), shapely.box(0, 0, 1, 1), None],
        [{"a": 1, "b": True}, {"a": 2, "b": None}, {"a": None, "b": False}],
    )
    back = read_geopackage(write_geopackage({"mixed": layer}, tmp_path / "m.gpkg"))["mixed"]
    assert back.geometry_type == "Unknown" and back.geometries[2] is None
    assert back.geometries[1].equals(shapely.box(0, 0, 1, 1))
    assert back.properties == layer.properties


def test_empty_layer_is_written(tmp_path):
    path = write_geopackage({"bottlenecks": Layer("bottlenecks", "LineString")}, tmp_path / "x.gpkg")
    assert pyogrio.read_info(path, layer="bottlenecks")["features"] == 0
    assert read_geopackage(path)["bottlenecks"].geometries == []


def test_read_geopackage_missing_file_is_an_input_error(tmp_path):
    from reliefplan._errors import InputError

    with pytest.raises(InputError, match="GeoPackage not found"):
        read_geopackage(tmp_path / "nope.gpkg")


# ---- HXL tables -----------------------------------------------------------------------------------


def test_pcode_hashtag():
    assert pcode_hashtag(["PS0275", "PS0270"]) == "#adm2+code"
    assert pcode_hashtag(["PS02"]) == "#adm1+code"
    assert pcode_hashtag(["PS0275"], "origin") == "#adm2+origin+code"
    assert pcode_hashtag(["PS02", "PS0275"]) == "#loc+code"  # mixed levels
    assert pcode_hashtag(["PS027"]) == "#loc+code"  # odd digit count: not a COD P-code
    assert pcode_hashtag(["block-3"]) == "#loc+code"


def test_tables_have_valid_hxl_rows_and_right_values(synthetic, tmp_path):
    plan, layers = synthetic
    paths = write_tables(plan, tmp_path, layers)
    assert {p.name for p in paths} == {
        "people_by_zone.csv",
        "people_by_site.csv",
        "needs.csv",
        "needs_basket.csv",
        "needs_all_basket.csv",
        "flows.csv",
        "verdict.csv",
    }
    for p in paths:
        header, tags, rows = _read_csv(p)
        assert len(tags) == len(header) and all(HXL_TAG.match(t) for t in tags), (p.name, tags)
        assert all(len(r) == len(header) for r in rows)

    header, tags, rows = _read_csv(tmp_path / "tables" / "people_by_zone.csv")
    tag = dict(zip(header, tags))
    assert tag["zone_name"] == "#loc+name" and tag["pcode"] == "#adm2+code"
    assert tag["displaced"] == "#affected+displaced+num" and tag["population"] == "#population+num"
    by_id = {r["zone_id"]: r for r in rows}
    assert by_id["A"]["displaced"] == "10000" and by_id["A"]["pcode"] == "PS0275"
    assert by_id["B"]["displaced"] == "0" and by_id["B"]["staying"] == "10000"

    header, tags, rows = _read_csv(tmp_path / "tables" / "people_by_site.csv")
    tag = dict(zip(header, tags))
    assert tag["zone_pcode"] == "#adm2+code" and tag["site_id"] == "#loc+id"
    site = {r["site_id"]: r for r in rows}
    assert site["S2"]["zone_pcode"] == "PS0270" and site["S1"]["zone_pcode"] == ""  # S1 lies in no zone
    assert int(site["S1"]["allocated"]) + int(site["S2"]["allocated"]) == 10000
    assert [site[s.id]["allocated"] for s in plan.sites] == [str(s.population) for s in plan.sites]
    assert site["S1"]["compliance"] == site_compliance(plan)["S1"]

    header, tags, rows = _read_csv(tmp_path / "tables" / "needs.csv")
    scen = rows[0]
    assert scen["scope"] == "scenario" and scen["people"] == "10000"
    assert float(scen["water_l_per_day"]) == 10000 * 15  # Sphere 15 l/person/day
    assert [r["site_id"] for r in rows[1:]] == [s.id for s in plan.sites if s.open]  # per open site

    header, tags, rows = _read_csv(tmp_path / "tables" / "flows.csv")
    assert dict(zip(header, tags))["zone_pcode"] == "#adm2+origin+code"
    assert sum(int(r["people"]) for r in rows) == plan.people.sheltered

    header, tags, rows = _read_csv(tmp_path / "tables" / "verdict.csv")
    assert len(rows) == len(plan.verdict) and "#severity" in tags and "#meta+source" in tags
    assert all(r["source"] for r in rows)


def test_tables_without_pcodes_have_no_pcode_column(tmp_path):
    plan, layers = _planned(write_scenario(tmp_path / "sc"))
    header, tags, _ = _read_csv(write_tables(plan, tmp_path / "out", layers)[0])
    assert "pcode" not in header and not any("+code" in t for t in tags)


def test_optional_section_records_become_hxl_tables(synthetic):
    plan, _ = synthetic
    daily = [
        {"day": d, "commodity": c, "needed_t": 10.0, "delivered_t": 8.0 + d, "coverage": (8.0 + d) / 10}
        for d in range(3)
        for c in ("food", "water")
    ]
    p = plan.model_copy(update={"supply": {"first_shortfall_day": 0, "daily": daily}})
    tables = plan_tables(p)
    t = tables["supply_daily"]
    assert t.columns == ["day", "commodity", "needed_t", "delivered_t", "coverage"]
    assert t.hxl == [
        "#date+day+num",
        "#item+name",
        "#indicator+needed_t+num",
        "#indicator+delivered_t+num",
        "#indicator+coverage+num",
    ]
    assert len(t.rows) == 6 and all(HXL_TAG.match(x) for x in t.hxl)


@pytest.mark.slow
def test_rafah_exports(tmp_path):
    plan, layers = _planned(EXAMPLE, "full")
    back = read_geopackage(write_geopackage(layers, tmp_path / "plan.gpkg"))
    assert {k: len(v.geometries) for k, v in back.items()} == {k: len(v.geometries) for k, v in layers.items()}
    header, tags, rows = _read_csv(
        next(p for p in write_tables(plan, tmp_path, layers) if p.name == "people_by_zone.csv")
    )
    assert dict(zip(header, tags))["pcode"] == "#adm2+code"
    assert sum(int(r["displaced"]) for r in rows) == 1_400_000
