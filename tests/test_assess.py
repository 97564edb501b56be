"""Assistance packages (`packages.py`) and the package x scenario assessment (`assess.py`)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import fc, feat, square, write_scenario

from reliefplan._errors import InputError
from reliefplan.analysis.additions import _unsheltered_with
from reliefplan.analysis.assess import assess, assessment_json_schema
from reliefplan.analysis.packages import apply_package
from reliefplan.pipeline import finish, run, shelter
from reliefplan.scenario.folder import load_scenario
from reliefplan.scenario.packages import PackageSpec, resolve

PACKAGES = {
    "none": {"description": "nothing"},
    "trucks": {"description": "more trucks", "entry_capacity": [{"entry_point": "KS", "trucks_per_day": 1}]},
    "trucks-tents": {"extends": "trucks", "tents": [{"count": 500}]},
    "land": {"extends": "trucks-tents", "prepared_area": [{"km2": 0.05}]},
}


def _folder(tmp_path: Path, *, packages=None, usable=(0.2, 0.1), tpd: float = 10, horizon: int = 6) -> Path:
    sites = fc(
        [
            feat({"id": "S1", "usable_fraction": usable[0]}, square(0, 3)),
            feat({"id": "S2", "usable_fraction": usable[1]}, square(3, 3)),
        ]
    )
    csv = (
        "id,name,lon,lat,trucks_per_day\n#loc+id,#loc+name,#geo+lon,#geo+lat,#capacity\n"
        f"KS,Kerem Shalom,34.27056,31.22083,{tpd}\n"
    )
    return write_scenario(
        tmp_path / "sc",
        sites=sites,
        entry_points=csv,
        config={
            "horizon_days": horizon,
            "layout": {"enabled": False},
            "packages": PACKAGES if packages is None else packages,
        },
    )


def _load(folder: Path) -> dict:
    return {"main": load_scenario(folder, "main")}


# ---- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "packages, field, words",
    [
        ({"a": {"extends": "nope"}}, "packages.a.extends", "no package named 'nope'"),
        ({"a": {"extends": "b"}, "b": {"extends": "a"}}, "packages.a.extends", "cycle in extends"),
        ({"a": {"entry_capacity": [{"entry_point": "XX", "trucks_per_day": 5}]}}, "entry_point", "unknown entry point"),
        ({"a": {"tents": [{"count": 10, "from_day": 99}]}}, "from_day", "outside the horizon"),
    ],
)
def test_bad_packages_are_named(tmp_path, packages, field, words):
    folder = _folder(tmp_path, packages=packages)
    with pytest.raises(InputError) as e:
        load_scenario(folder, "main")
    text = str(e.value)
    assert "scenario.yaml" in text and field in text and words in text


def test_negative_amounts_are_refused_with_the_field(tmp_path):
    folder = _folder(tmp_path, packages={"a": {"tents": [{"count": -3}]}})
    with pytest.raises(InputError) as e:
        load_scenario(folder, "main")
    assert "packages.a.tents.0.count" in str(e.value) and "greater than or equal to 0" in str(e.value)


def test_unknown_package_name_in_assess(tmp_path):
    scs = _load(_folder(tmp_path))
    with pytest.raises(InputError, match="no package named 'ghost'"):
        assess(scs, ["ghost"])


def test_extends_merges_the_base_first(tmp_path):
    sc = load_scenario(_folder(tmp_path), "main")
    pkg = resolve(sc.packages, "land")
    assert [e.trucks_per_day for e in pkg.entry_capacity] == [1]
    assert [t.count for t in pkg.tents] == [500] and [a.km2 for a in pkg.prepared_area] == [0.05]


# ---- applying a package ------------------------------------------------------------------------


def test_entry_capacity_add_and_set_by_day(tmp_path):
    sc = load_scenario(
        _folder(
            tmp_path,
            packages={
                "a": {"entry_capacity": [{"entry_point": "KS", "trucks_per_day": 5, "from_day": 2, "until_day": 3}]},
                "b": {
                    "extends": "a",
                    "entry_capacity": [{"entry_point": "KS", "trucks_per_day": 1, "mode": "set", "from_day": 5}],
                },
            },
        ),
        "main",
    )
    a = apply_package(sc, resolve(sc.packages, "a"), "a")
    b = apply_package(sc, resolve(sc.packages, "b"), "b")
    assert list(a.entry_trucks_by_day["KS"]) == [10, 10, 15, 15, 10, 10]
    assert list(b.entry_trucks_by_day["KS"]) == [10, 10, 15, 15, 10, 1]
    assert sc.entry_trucks_by_day is None  # the loaded scenario is not changed


def test_tents_cover_shelter_items_without_crossing_capacity(tmp_path):
    folder = _folder(tmp_path, usable=(1.0, 1.0), tpd=0.001)
    sc = load_scenario(folder, "main")
    base = run(sc).plan
    assert base.supply.shortfall_t["shelter_nfi"] > 0
    households = base.people.sheltered / sc.household_size
    pkg = PackageSpec(tents=[{"count": math.ceil(households)}])
    with_tents = run(apply_package(sc, pkg, "t")).plan
    assert with_tents.supply.shortfall_t["shelter_nfi"] == pytest.approx(0, abs=0.01)
    assert with_tents.supply.shortfall_t["water"] == pytest.approx(base.supply.shortfall_t["water"], rel=1e-6)


# ---- the assessment ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    folder = _folder(tmp_path_factory.mktemp("assess"))
    scs = _load(folder)
    return folder, scs, assess(scs, list(PACKAGES))


def test_people_conserved_in_every_pair(matrix):
    _folder_, _scs, a = matrix
    for p in a.pairs:
        assert p.sheltered + p.unsheltered == p.displaced == 10000


def test_monotone_adding_resources_never_worsens(matrix):
    _folder_, _scs, a = matrix
    by = {p.package: p for p in a.pairs}
    chain = ["none", "trucks", "trucks-tents"]  # each extends the one before, adding supply
    for lo, hi in zip(chain, chain[1:]):
        assert set(by[hi].failed) <= set(by[lo].failed), (lo, hi)
        assert by[hi].unsheltered == by[lo].unsheltered
        for k, v in by[hi].shortfall_t.items():
            assert v <= by[lo].shortfall_t[k] + 0.1, (lo, hi, k)
    # tents inside the area free crossing capacity: shelter items owed no longer, and more water
    assert by["trucks-tents"].shortfall_t["shelter_nfi"] <= by["trucks"].shortfall_t["shelter_nfi"]
    assert by["trucks-tents"].shortfall_t["water"] < by["trucks"].shortfall_t["water"]
    assert not {"shelter_nfi_need_met_share"} & set(by["trucks-tents"].failed)
    # land shelters more people, who then need supplying too: fewer unsheltered, and the supply verdict may fall
    assert by["land"].unsheltered < by["trucks-tents"].unsheltered
    assert by["land"].sheltered > by["trucks-tents"].sheltered


def test_matrix_equals_pairs_planned_one_by_one(matrix):
    folder, scs, a = matrix
    sc = scs["main"]
    for p in a.pairs:
        alone = run(apply_package(load_scenario(folder, "main"), resolve(sc.packages, p.package), p.package)).plan
        assert (alone.people.sheltered, alone.people.unsheltered) == (p.sheltered, p.unsheltered)
        assert {k: round(v, 1) for k, v in alone.supply.shortfall_t.items()} == p.shortfall_t
        failed = {}
        for v in alone.verdict:
            if v.met is False:
                failed[v.indicator] = failed.get(v.indicator, 0) + 1
        assert failed == p.failed
    # packages that only add supply reuse the sheltering; prepared land re-plans it
    assert [p.shelter_reused for p in a.pairs] == [False, True, True, False]


def test_minimal_trucks_by_hand(tmp_path):
    """Everyone is in place from day 0 (the displaced at the site, the others at home) and needs the same every day,
    plus shelter sets on day 0 only: the day-0 need, in truckloads at each commodity's payload (water 15 t per
    tanker, the rest 20 t), sets the least constant capacity (nothing can be stocked before day 0)."""
    folder = _folder(tmp_path, usable=(1.0, 1.0), tpd=10, packages={"none": {}})
    scs = _load(folder)
    a = assess(scs, ["none"])
    pair = a.pairs[0]
    sc = scs["main"]
    plan = run(sc).plan
    payload = plan.supply.payload_t
    assert payload == {"water": 15.0, "food": 20.0, "medical": 20.0, "shelter_nfi": 20.0}
    loads = sum(r.required_t / payload[r.commodity] for r in plan.supply.daily if r.day == 0)
    add = next(x for x in pair.additions if x.resource == "entry_capacity")
    assert add.amount == math.ceil(loads - 10 - 1e-9)
    assert add.entry_point == "KS" and add.verified is True
    assert float(add.tolerance.split("(")[1].split()[0].replace(",", "")) == pytest.approx(loads - 10, abs=0.01)


def test_minimal_prepared_area_is_least_within_tolerance(tmp_path):
    folder = _folder(tmp_path, tpd=1000, packages={"none": {}})
    scs = _load(folder)
    a = assess(scs, ["none"])
    pair = a.pairs[0]
    assert pair.unsheltered > 0
    add = next(x for x in pair.additions if x.resource == "prepared_area")
    assert add.verified is True and add.unit == "km2"
    sc = scs["main"]
    sh = shelter(sc)
    assert _unsheltered_with(sc, sh, add.amount) == 0
    assert _unsheltered_with(sc, sh, add.amount - 0.02) > 0
    # by hand: the site area per person times the people without a place, within the usable-area rule
    per = sc.standards.value("site_area_m2_per_person")
    assert add.amount == pytest.approx(pair.unsheltered * per / 1e6, abs=0.03)
    # and applying it in a package shelters everyone
    prepared = apply_package(sc, PackageSpec(prepared_area=[{"km2": add.amount}]), "x")
    assert finish(prepared, shelter(prepared)).plan.people.unsheltered == 0


def test_beds_and_fleet_are_assessed_when_declared(tmp_path):
    folder = _folder(
        tmp_path,
        usable=(1.0, 1.0),
        tpd=1000,
        packages={"h": {"field_hospitals": [{"beds": 3}], "fleet": [{"trucks": 1}]}},
    )
    a = assess(_load(folder), ["h"])
    pair = a.pairs[0]
    assert "inpatient_beds_per_10000" in pair.failed and "fleet_trucks_available" in pair.failed
    beds = next(x for x in pair.additions if x.resource == "hospital_beds")
    # Sphere 10 beds per 10,000 people, for everyone in the plan (10,000 displaced and 10,000 staying)
    assert beds.amount == math.ceil(20000 * 10 / 10000) - 3
    fleet = next(x for x in pair.additions if x.resource == "fleet")
    assert fleet.amount >= 1


def test_assessment_json_validates_against_the_shipped_schema(matrix):
    import jsonschema

    _folder_, _scs, a = matrix
    shipped = Path(__file__).resolve().parents[1] / "schemas" / "assessment.schema.json"
    assert json.loads(shipped.read_text()) == assessment_json_schema(), "run `make schema`"
    jsonschema.validate(json.loads(a.model_dump_json()), assessment_json_schema())


def test_cli_assess_writes_outputs(tmp_path):
    from typer.testing import CliRunner

    from reliefplan.cli import app

    folder = _folder(tmp_path, packages={"none": {}, "trucks": PACKAGES["trucks"]})
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["assess", str(folder), "--out", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads((out / "assessment.json").read_text())
    assert [(p["package"], p["scenario"]) for p in data["pairs"]] == [("none", "main"), ("trucks", "main")]
    assert (out / "assessment.html").exists() and (out / "pairs" / "trucks--main" / "plan.json").exists()
    assert json.loads((out / "pairs" / "trucks--main" / "plan.json").read_text())["package"] == "trucks"
    bad = CliRunner().invoke(app, ["assess", str(folder), "--packages", "ghost", "--out", str(out)])
    assert bad.exit_code == 2 and "no package named 'ghost'" in bad.output


def test_example_declares_the_four_packages():
    cfg = yaml.safe_load(
        (Path(__file__).resolve().parents[1] / "examples" / "rafah-2024" / "scenario.yaml").read_text()
    )
    assert list(cfg["packages"]) == [
        "none",
        "observed-apr-2024",
        "observed-jun-2024",
        "tent-cities-2024",
        "jun-2024-chain",
        "jun-2024-pier",
        "jun-2024-airdrops",
        "jun-2024-more-trucks",
        "jun-2024-fuel",
    ]
    sc = load_scenario(Path(__file__).resolve().parents[1] / "examples" / "rafah-2024", "targeted")
    jun = apply_package(sc, resolve(sc.packages, "observed-jun-2024"), "observed-jun-2024")
    assert np.mean(jun.entry_trucks_by_day["KEREM-SHALOM"]) == pytest.approx(1999 / 30)
    assert np.sum(jun.entry_trucks_by_day["RAFAH-CROSSING"]) == 0
    tents = apply_package(sc, resolve(sc.packages, "tent-cities-2024"), "tent-cities-2024")
    assert tents.tent_stock == [(0, 375000, 5.6)] and set(tents.entry_trucks_by_day["KEREM-SHALOM"]) == {450.0}


def test_cli_plan_with_a_package(tmp_path):
    from typer.testing import CliRunner

    from reliefplan.cli import app

    folder = _folder(tmp_path, packages={"trucks": PACKAGES["trucks"]})
    res = CliRunner().invoke(
        app, ["plan", str(folder), "-s", "main", "--package", "trucks", "--out", str(tmp_path / "o")]
    )
    assert res.exit_code == 0, res.output
    plan = json.loads((tmp_path / "o" / "plan.json").read_text())
    assert plan["package"] == "trucks" and any("Assistance package 'trucks'" in a for a in plan["assumptions"])
    bad = CliRunner().invoke(
        app, ["plan", str(folder), "-s", "main", "--package", "nope", "--out", str(tmp_path / "x")]
    )
    assert bad.exit_code == 2 and "no package named 'nope'" in bad.output and not (tmp_path / "x").exists()


def test_extra_sites_water_and_warehouses(tmp_path):
    folder = _folder(tmp_path, tpd=0.001, packages={"none": {}})
    (folder / "extra.geojson").write_text(json.dumps(fc([feat({"id": "NEW", "name": "new camp"}, square(0, 5))])))
    sc = load_scenario(folder, "main")
    base = run(sc).plan
    need_m3 = base.supply.required_t["water"] / sc.horizon_days  # 1 t per m3, the same every day here
    pkg = PackageSpec(
        sites=[{"file": "extra.geojson"}],
        water=[{"m3_per_day": need_m3 * 3}],
        warehouses=[{"id": "WH", "lon": 34.27, "lat": 31.26, "capacity_t": 500}],
    )
    plus = apply_package(sc, pkg, "x")
    assert [s.id for s in plus.sites][-1] == "NEW" and plus.sites[-1].usable_fraction == 1.0
    assert plus.warehouses[-1].id == "WH" and plus.warehouses[-1].geometry_m is not None
    plan = run(plus).plan
    assert plan.people.unsheltered < base.people.unsheltered and "NEW" in plan.siting.open_sites
    assert base.supply.shortfall_t["water"] > 100
    assert plan.supply.shortfall_t["water"] == pytest.approx(0, abs=0.01)
    dup = PackageSpec(sites=[{"file": "extra.geojson"}, {"file": "extra.geojson"}])
    with pytest.raises(InputError, match="site id already used"):
        apply_package(sc, dup, "dup")


def test_prepared_area_adds_exactly_its_km2_of_usable_land(tmp_path):
    sc = load_scenario(_folder(tmp_path, packages={"none": {}}), "main")
    base = shelter(sc)
    plus = apply_package(sc, PackageSpec(prepared_area=[{"km2": 0.05, "from_day": 2}, {"km2": 0.02}]), "x")
    added = shelter(plus).capacity.usable_area_m2.sum() - base.capacity.usable_area_m2.sum()
    assert added == pytest.approx(0.07e6, rel=1e-6)


def test_from_day_past_a_horizon_is_refused_not_clipped(tmp_path):
    """Was clipped quietly to the horizon's last day: additions 'from day 40' of a 6-day plan were from day 5."""
    from typer.testing import CliRunner

    from reliefplan.cli import app

    folder = _folder(tmp_path, horizon=6)
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["assess", str(folder), "--from-day", "6", "--out", str(out)])
    text = " ".join(res.output.split())
    assert res.exit_code == 2 and "scenario.yaml, feature scenario main, field '--from-day'" in text, res.output
    assert "day 6 is past the horizon of 6 days (0 .. 5)" in text and not out.exists()
    with pytest.raises(InputError, match="past the horizon of 6 days") as e:
        assess(_load(folder), ["trucks"], from_day=40)
    assert e.value.problems[0].field == "from_day"
