"""`reliefplan init` on the synthetic second place: standard files in, a checked scenario folder out, then a plan."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
import second_place as sp
import shapely
from rasterio.transform import from_origin
from typer.testing import CliRunner

from reliefplan._errors import InputError
from reliefplan.cli import app
from reliefplan.scenario.scaffold import Hazard, InitInputs, init_scenario

runner = CliRunner()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    return sp.build(tmp_path_factory.mktemp("second_place") / "inputs")


def _inputs(p: dict[str, Path], **kw) -> InitInputs:
    base = dict(
        boundaries=p["boundaries"],
        population=p["population"],
        sites=p["sites"],
        footprint=p["footprint"],
        entry_points=p["entry_points"],
        roads=p["roads"],
        dem=p["dem"],
        max_slope_pct=10.0,
        hazards=[Hazard(p["river"], 50.0, "flood")],
        title="Hillside (synthetic)",
    )
    return InitInputs(**{**base, **kw})


def test_init_then_plan_the_second_place(inputs, tmp_path):
    out = tmp_path / "hillside"
    res = runner.invoke(
        app,
        [
            "init",
            str(out),
            "--boundaries",
            str(inputs["boundaries"]),
            "--population",
            str(inputs["population"]),
            "--sites",
            str(inputs["sites"]),
            "--footprint",
            str(inputs["footprint"]),
            "--entry-points",
            str(inputs["entry_points"]),
            "--roads",
            str(inputs["roads"]),
            "--dem",
            str(inputs["dem"]),
            "--max-slope-pct",
            "10",
            "--hazard",
            f"{inputs['river']}:50:flood",
            "--title",
            "Hillside (synthetic)",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "P-code from field 'ADM2_PCODE'" in res.output and "reliefplan plan" in res.output
    text = (out / "scenario.yaml").read_text()
    assert "column 'T_TL'" in text and "HXL row read" in text and "ASSUMPTION" in text
    assert (out / "ATTRIBUTION.md").exists() and (out / "roads.osm").exists() and (out / "dem_20m.tif").exists()
    zones = json.loads((out / "zones.geojson").read_text())["features"]
    assert {f["properties"]["id"]: f["properties"]["population"] for f in zones} == {
        code: n for code, _, _, _, n in sp.VILLAGES
    }

    res = runner.invoke(app, ["plan", str(out), "--scenario", "main", "--out", str(tmp_path / "plan")])
    assert res.exit_code == 0, res.output
    plan = json.loads((tmp_path / "plan" / "plan.json").read_text())
    people = plan["people"]
    # the order empties 2.4 of Rivermouth's 4 km width and 2.4 km x 2.5 km of Millford's 4 km x 5 km
    assert people["displaced"] == round(0.6 * 40_000) + round(0.6 * 0.5 * 30_000) == 33_000
    assert people["sheltered"] + people["unsheltered"] == people["displaced"]
    sites = {s["id"]: s for s in plan["sites"]}
    assert sites["HILL-EAST"]["capacity"] == 0  # 8 % base rise and hills: steeper than 10 % throughout
    assert sites["PLATEAU"]["usable_fraction"] == pytest.approx(1.0)
    assert 0 < sites["FLOODPLAIN"]["usable_fraction"] < 1
    assert any("Usable land from the ground for 5 of 5 sites" in a for a in plan["assumptions"])
    assert (tmp_path / "plan" / "report.html").stat().st_size > 10_000


def test_floodplain_site_loses_the_buffered_river(inputs, tmp_path):
    sc = init_scenario(tmp_path / "f", _inputs(inputs)).scenario
    site = next(s for s in sc.sites if s.id == "FLOODPLAIN")
    river = shapely.buffer(sp.river_polygon(), 50.0)  # in the place's own UTM zone, as is the scenario's CRS
    assert sc.crs.to_epsg() == 32626
    assert site.ground.excluded_m2["hazard"] == pytest.approx(site.geometry_m.intersection(river).area, rel=1e-3)
    assert site.ground.excluded_m2["slope"] == 0  # the flood plain is flat


def test_pcode_matching_no_boundary_names_file_row_and_field(inputs, tmp_path):
    bad = tmp_path / "pop.csv"
    bad.write_text(inputs["population"].read_text().replace("XS0104,", "XS0999,"))
    with pytest.raises(InputError) as e:
        init_scenario(tmp_path / "out", _inputs(inputs, population=bad))
    [p] = e.value.problems
    assert (p.file, p.feature, p.field) == (str(bad), "row 6", "ADM2_PCODE")
    assert "'XS0999' matches no boundary in xs_adm2.geojson" in p.message
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out.init-*"))


def test_cli_bad_input_exits_2_and_writes_nothing(inputs, tmp_path):
    bad = tmp_path / "pop.csv"
    bad.write_text(inputs["population"].read_text().replace("40000", "many"))
    res = runner.invoke(
        app,
        [
            "init",
            str(tmp_path / "o"),
            "--boundaries",
            str(inputs["boundaries"]),
            "--population",
            str(bad),
            "--sites",
            str(inputs["sites"]),
            "--footprint",
            str(inputs["footprint"]),
        ],
    )
    assert res.exit_code == 2
    assert "row 4" in res.output and "T_TL" in res.output and "'many'" in res.output
    assert not (tmp_path / "o").exists()


def test_population_by_hxl_tag_and_missing_rows(inputs, tmp_path):
    pop = tmp_path / "pop.csv"
    pop.write_text(
        "code,people\n#adm2+code,#population+total\nXS0101,5\nXS0102,6\nXS0103,7\nXS0104,8\nXS0105,9\nXS0106,10\n"
    )
    sc = init_scenario(tmp_path / "a", _inputs(inputs, population=pop)).scenario
    assert [z.population for z in sc.zones] == [5, 6, 7, 8, 9, 10]
    pop.write_text("code,people\n#adm2+code,#population+total\nXS0101,5\n")
    with pytest.raises(InputError, match=r"no population row for 5 boundaries \(XS0102"):
        init_scenario(tmp_path / "b", _inputs(inputs, population=pop))


def test_population_raster_counts_each_pixel_once_for_the_zone_of_its_centre(inputs, tmp_path):
    # 200 m pixels of 3 people over the place; zones are 4 km x 5 km blocks on pixel edges: 20 x 25 pixels each
    path = tmp_path / "pop.tif"
    cols, rows = int(sp.W / 200), int(sp.H / 200)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=cols + 1,
        height=rows,
        count=1,
        dtype="float32",
        crs="EPSG:32626",
        transform=from_origin(sp.X0 - 50, sp.Y0 + sp.H, 200, 200),
    ) as ds:
        ds.write(np.full((rows, cols + 1), 3.0, np.float32), 1)  # shifted 50 m: columns straddle the edges
    res = init_scenario(tmp_path / "r", _inputs(inputs, population=path))
    pops = [z.population for z in res.scenario.zones]
    assert sum(pops) == 3 * 20 * 25 * 6 and all(p == 3 * 20 * 25 for p in pops)  # straddling pixels: by centre
    assert any("ASSUMPTION: raster values are people per pixel" in c for c in res.choices)


def test_entry_points_without_trucks_need_a_figure(inputs, tmp_path):
    ep = tmp_path / "ep.csv"
    ep.write_text("id,lon,lat\nX,-29.76,9.99\n")
    with pytest.raises(InputError, match="trucks_per_day.*--trucks-per-day"):
        init_scenario(tmp_path / "a", _inputs(inputs, entry_points=ep))
    res = init_scenario(tmp_path / "b", _inputs(inputs, entry_points=ep, trucks_per_day=25))
    assert res.scenario.entry_points[0].trucks_per_day == 25
    assert "ASSUMPTION: 1 entry point(s) without trucks_per_day" in (tmp_path / "b" / "scenario.yaml").read_text()


def test_refuses_a_non_empty_folder_and_arrivals_without_day_0(inputs, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(InputError, match="not empty"):
        init_scenario(tmp_path / "full", _inputs(inputs))
    with pytest.raises(InputError, match="--start-date"):
        init_scenario(tmp_path / "new", _inputs(inputs, arrivals=tmp_path / "arrivals.csv"))


def test_boundaries_without_pcodes(inputs, tmp_path):
    b = tmp_path / "adm.geojson"
    b.write_text(inputs["boundaries"].read_text().replace("_PCODE", "_CODE"))
    with pytest.raises(InputError) as e:
        init_scenario(tmp_path / "o", _inputs(inputs, boundaries=b))
    assert e.value.problems[0].field == "ADMn_PCODE" and "--pcode-field" in str(e.value)
    res = init_scenario(tmp_path / "o", _inputs(inputs, boundaries=b, pcode_field="ADM2_CODE"))
    assert [z.pcode for z in res.scenario.zones] == [v[0] for v in sp.VILLAGES]


def test_a_start_date_that_is_not_a_date_is_refused_even_when_nothing_reads_it(inputs, tmp_path):
    """Was silently ignored with only a footprint (checked only with arrivals or a snapshot)."""
    with pytest.raises(InputError) as e:
        init_scenario(tmp_path / "o", _inputs(inputs, start_date="2024-99-01"))
    assert e.value.problems[0].field == "--start-date" and "ISO date" in e.value.problems[0].message
    assert not (tmp_path / "o").exists()
