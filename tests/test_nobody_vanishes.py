"""Nobody vanishes: every person is in exactly one place each day and in every check, and the verdict never reads
better because people were left out (less land, more people, fewer trucks, longer closures)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import fc, feat, square, write_scenario

from reliefplan.pipeline import run
from reliefplan.scenario.folder import load_scenario

TOL = 1e-6
CSV = "id,name,lon,lat,trucks_per_day\nKS,Kerem Shalom,34.27056,31.22083,{tpd}\n"


def _folder(
    tmp_path: Path,
    *,
    usable: float = 1.0,
    pop: int = 10000,
    tpd: float = 12,
    horizon: int = 6,
    extra: dict | None = None,
    residents: int = 500,
    served: int = 3000,
) -> Path:
    """Zone A (in the footprint) and B (staying), two candidate sites with residents, a governorate next door fed
    through the same crossing."""
    zones = fc([feat({"id": "A", "population": pop}, square(0, 0)), feat({"id": "B", "population": pop}, square(1, 0))])
    sites = fc(
        [
            feat({"id": "S1", "usable_fraction": usable, "existing_population": residents}, square(0, 3)),
            feat({"id": "S2", "usable_fraction": usable / 2, "existing_population": residents}, square(3, 3)),
        ]
    )
    d = write_scenario(
        tmp_path,
        zones=zones,
        sites=sites,
        entry_points=CSV.format(tpd=tpd),
        config={"horizon_days": horizon, "layout": {"enabled": False}, **(extra or {})},
    )
    if served:
        (d / "served.geojson").write_text(json.dumps(fc([feat({"id": "G", "population": served}, square(5, 5))])))
        cfg = yaml.safe_load((d / "scenario.yaml").read_text())
        cfg["layers"]["served_populations"] = {"file": "served.geojson"}
        (d / "scenario.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return d


def _plan(folder: Path):
    return run(load_scenario(folder, "main"))


def _coverage(plan) -> dict[tuple[str, str], float]:
    """(group, commodity) -> share of the horizon's need met, and ('all', commodity) for everyone."""
    out = {(g["group"], k): v for g in plan.groups.model_dump()["summary"] for k, v in g["met_share"].items()}
    out.update({("all", c.commodity): c.met_share for c in plan.sustain.commodities})
    return out


def _never_better(worse, better) -> None:
    """Every group's coverage in `worse` is at most its coverage in `better` (groups present in both)."""
    a, b = _coverage(worse), _coverage(better)
    for key in a.keys() & b.keys():
        assert a[key] <= b[key] + TOL, (key, a[key], b[key])


def test_everyone_is_in_exactly_one_place_every_day(tmp_path):
    run_ = _plan(_folder(tmp_path, usable=0.2))
    p, pres = run_.plan.people, None
    from reliefplan.pipeline import shelter

    sh = shelter(load_scenario(tmp_path, "main"))
    pres = sh.presence
    assert p.unsheltered > 0 and p.overflow_on_sites > 0  # small sites: some people without a camp place
    assert p.in_plan == p.population + p.site_residents + p.served_elsewhere == 2 * 10000 + 1000 + 3000
    per_day = pres.people.sum(axis=(0, 1))
    assert (per_day == p.in_plan).all()  # everyone, every day
    for g, name in enumerate(pres.groups):
        assert (pres.people[:, g, :].sum(axis=0) == pres.totals[name]).all()
    assert pres.totals == {
        "staying": 10000,
        "sheltered": p.sheltered,
        "overflow": p.unsheltered,
        "site_residents": 1000,
        "served_elsewhere": 3000,
    }
    assert (pres.people >= 0).all() and pres.people.dtype.kind == "i"
    # and every one of them is in the supply plan: the need is everyone's
    water = sum(r.required_t for r in run_.plan.supply.daily if r.commodity == "water" and r.day == 3)
    assert water == pytest.approx(p.in_plan * 15 / 1000)


def test_overflow_goes_to_the_nearest_land_with_room_up_to_the_density(tmp_path):
    cfg = {"overflow": {"policy": "nearest_outside", "max_density_per_km2": 12000, "source": "test"}}
    plan = _plan(_folder(tmp_path, usable=0.2, extra=cfg)).plan
    p = plan.people
    # each site is ~1.05 km2: 12,000/km2 holds ~12,600 people, less the residents and the camp's people
    site_area = {s.id: s.area_m2 for s in plan.sites}
    for s in plan.sites:
        assert s.existing_population + s.population + s.overflow <= site_area[s.id] * 12000 / 1e6 + 1
    assert p.overflow_on_sites + p.overflow_on_zone_land + p.remaining_in_operation_area == p.unsheltered
    row = next(v for v in plan.verdict if v.indicator == "people_remaining_in_operation_area")
    assert row.value == p.remaining_in_operation_area and "12,000 people/km2" in row.note
    inside = _plan(_folder(tmp_path / "in", usable=0.2, extra={"overflow": {"policy": "inside"}})).plan
    assert inside.people.remaining_in_operation_area == inside.people.unsheltered > 0
    assert next(v for v in inside.verdict if v.indicator == "people_remaining_in_operation_area").met is False


def test_less_land_never_improves_anyone_s_coverage(tmp_path):
    wide = _plan(_folder(tmp_path / "wide", usable=1.0, tpd=8)).plan
    narrow = _plan(_folder(tmp_path / "narrow", usable=0.1, tpd=8)).plan
    assert narrow.people.unsheltered > wide.people.unsheltered
    assert narrow.people.in_plan == wide.people.in_plan  # nobody left out
    _never_better(narrow, wide)
    w = next(v for v in narrow.verdict if v.indicator == "water_need_met_share" and v.scope == "scenario")
    assert w.met is False  # the crossing cannot carry everyone's water, whatever the land


def test_more_people_never_improve_anyone_s_coverage(tmp_path):
    base = _plan(_folder(tmp_path / "a", tpd=8)).plan
    more = _plan(_folder(tmp_path / "b", tpd=8, pop=15000)).plan
    _never_better(more, base)
    served = _plan(_folder(tmp_path / "c", tpd=8, served=9000)).plan
    _never_better(served, base)
    assert _coverage(served)[("all", "water")] < _coverage(base)[("all", "water")]


@pytest.mark.parametrize("low, high", [(4, 8), (8, 12), (12, 40)])
def test_more_trucks_never_worsen_anyone_s_coverage(tmp_path, low, high):
    _never_better(_plan(_folder(tmp_path / "lo", tpd=low)).plan, _plan(_folder(tmp_path / "hi", tpd=high)).plan)


def test_a_longer_closure_never_improves_anyone_s_coverage(tmp_path):
    def closed(last: int, name: str):
        dis = [{"entry_point": "KS", "first_day": 1, "last_day": last}]
        return _plan(_folder(tmp_path / name, tpd=12, extra={"supply": {"disruptions": dis}})).plan

    short, long_ = closed(1, "short"), closed(3, "long")
    _never_better(long_, short)
    assert _coverage(long_)[("all", "water")] < _coverage(short)[("all", "water")]


def test_owed_tents_are_delivered_when_capacity_allows(tmp_path):
    """The crossing is shut on day 0, when everyone arrives; from day 1 it has room: every household owed shelter
    items gets them, and the plan counts the people without them until then."""
    dis = [{"entry_point": "KS", "first_day": 0, "last_day": 0}]
    plan = _plan(_folder(tmp_path, tpd=400, extra={"supply": {"disruptions": dis}})).plan
    groups = {g["group"]: g for g in plan.groups.model_dump()["summary"]}
    sheltered = groups["sheltered"]
    assert sheltered["people_owed_shelter_items_max"] == pytest.approx(plan.people.sheltered, abs=2)
    assert sheltered["people_owed_shelter_items_last_day"] == 0
    owed = [r["people_owed_shelter_items"] for r in plan.groups.model_dump()["daily"] if r["group"] == "sheltered"]
    assert owed[0] > 0 and owed[1] == pytest.approx(0, abs=1e-6)
    assert sheltered["met_share"]["shelter_nfi"] == pytest.approx(1 - 1 / 6, abs=1e-3)  # one day of six without


def test_headline_figures_per_group(tmp_path):
    plan = _plan(_folder(tmp_path, tpd=1000)).plan
    for g in plan.groups.model_dump()["summary"]:
        assert g["water_l_per_person_day"] == pytest.approx(15.0, rel=1e-6)
        assert g["kcal_per_person_day"] == pytest.approx(plan.needs.kcal_per_person_day, rel=1e-6)
        assert g["cumulative_kcal_deficit_per_person"] == pytest.approx(0, abs=1e-3)
    rows = {(v.indicator, v.scope) for v in plan.verdict}
    for g in ("staying", "sheltered", "site_residents", "served_elsewhere"):
        assert ("water_l_per_person_day", f"group:{g}") in rows and ("kcal_per_person_day", f"group:{g}") in rows
    scarce = _plan(_folder(tmp_path / "s", tpd=5)).plan
    g = next(x for x in scarce.groups.model_dump()["summary"] if x["group"] == "staying")
    assert g["water_l_per_person_day"] < 15 and g["cumulative_water_deficit_l_per_person"] > 0
    days = [r for r in scarce.groups.model_dump()["daily"] if r["group"] == "staying"]
    deficits = [r["cumulative_water_deficit_l_per_person"] for r in days]
    assert deficits == sorted(deficits) and deficits[-1] == pytest.approx(
        g["cumulative_water_deficit_l_per_person"], abs=0.1
    )


def test_entry_capacity_row_uses_the_plan_s_capacity_and_counts_water(tmp_path):
    dis = [{"entry_point": "KS", "first_day": 0, "last_day": 2}]
    plan = _plan(_folder(tmp_path, tpd=12, extra={"supply": {"disruptions": dis}})).plan
    row = next(v for v in plan.verdict if v.indicator == "entry_trucks_per_day_vs_need")
    assert row.value == pytest.approx(12 * 3 / 6)  # closed half the horizon
    water_loads = plan.people.in_plan * 0.015 / 15.0  # 15 L each, 15 m3 per tanker
    assert row.target > water_loads
    assert "water" in row.note


def test_entry_point_inside_the_operation_area_closes(tmp_path):
    """A crossing inside the footprint closes on the footprint's start day unless declared to stay open."""
    csv = "id,name,lon,lat,trucks_per_day\nKS,KS,34.27056,31.22083,50\nIN,Inside,34.255,31.285,50\n"
    d = write_scenario(tmp_path / "a", entry_points=csv, config={"horizon_days": 4, "layout": {"enabled": False}})
    plan = run(load_scenario(d, "main")).plan
    assert plan.supply.entry_closures["IN"].closes_day == 0
    assert all(u.used_t == 0 for u in plan.supply.entry_use if u.entry_point == "IN")
    open_csv = (
        csv.replace("trucks_per_day\n", "trucks_per_day,stays_open\n")
        .replace(",50\nIN", ",50,\nIN")
        .replace("31.285,50\n", "31.285,50,true\n")
    )
    d2 = write_scenario(tmp_path / "b", entry_points=open_csv, config={"horizon_days": 4, "layout": {"enabled": False}})
    assert "IN" not in run(load_scenario(d2, "main")).plan.supply.entry_closures


def test_priority_sharing_serves_the_first_group_first(tmp_path):
    order = ["sheltered", "overflow", "site_residents", "staying", "served_elsewhere"]
    plan = _plan(_folder(tmp_path, tpd=8, extra={"sharing": {"policy": "priority", "priority": order}})).plan
    cov = _coverage(plan)
    present = [g for g in order if (g, "water") in cov]
    assert present == ["sheltered", "site_residents", "staying", "served_elsewhere"]
    for k in ("water", "food"):  # each group does at least as well as the groups after it
        for first, then in zip(present, present[1:]):
            assert cov[(first, k)] >= cov[(then, k)] - 1e-6, (k, first, then)
    assert cov[("sheltered", "food")] == pytest.approx(1.0) and cov[("served_elsewhere", "water")] < 0.5
    equal = _coverage(_plan(_folder(tmp_path / "eq", tpd=8)).plan)
    assert all(equal[(g, "water")] == pytest.approx(equal[("all", "water")], abs=1e-6) for g in present)


def test_a_scenario_without_entry_points_does_not_hold(tmp_path):
    """No entry points: nothing can be delivered, so the crossings check counts 0 trucks/day against everyone's need
    and the plan does not hold (it read "The plan holds: all checks are met", with no supply row at all)."""
    import yaml

    from reliefplan.pipeline import make_plan
    from reliefplan.scenario.folder import load_scenario

    d = write_scenario(tmp_path / "s", config={"layout": {"enabled": False}})
    cfg = yaml.safe_load((d / "scenario.yaml").read_text())
    cfg["layers"].pop("entry_points")
    (d / "scenario.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    plan = make_plan(load_scenario(d, "main"))
    row = next(v for v in plan.verdict if v.indicator == "entry_trucks_per_day_vs_need")
    assert row.value == 0 and row.target > 0 and not row.met
    assert plan.supply is None
    assert any(a.startswith("Supply not planned: the scenario declares no entry points") for a in plan.assumptions)
    from reliefplan.analysis.headline import headline

    hl = headline(plan)
    assert not hl.holds and hl.lead.startswith("The plan does not hold")
