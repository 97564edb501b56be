"""The delivery chain in a plan (issue 20): the example's June 2024 packages with the chain, a pier, fuel."""

from __future__ import annotations

from pathlib import Path

import pytest

from reliefplan._errors import InputError
from reliefplan.analysis.packages import apply_package
from reliefplan.scenario.folder import load_scenario
from reliefplan.scenario.packages import PackageSpec, resolve

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "rafah-2024"


@pytest.fixture(scope="module")
def targeted():
    return load_scenario(EXAMPLE, "targeted")


def round_trips(plan) -> None:
    """plan.json as written reads back into the same typed plan and matches the shipped schema."""
    from reliefplan.outputs.files import check_plan_json
    from reliefplan.plan import Plan

    text = plan.model_dump_json(indent=2)
    check_plan_json(text)
    assert Plan.model_validate_json(text).model_dump_json(indent=2) == text


def test_pier_package_chain_figures(targeted):
    from reliefplan import pipeline
    from reliefplan.scenario.delivery_specs import DistributionSpec, RoutingSpec

    sc = apply_package(targeted, resolve(targeted.packages, "jun-2024-pier"), "jun-2024-pier")
    parts = {"routing": RoutingSpec(time_limit_s=2), "distribution": DistributionSpec(servers=2)}
    sc = sc.model_copy(update={"supply": sc.supply.model_copy(update=parts)})
    plan = pipeline.run(sc).plan
    round_trips(plan)  # typed to the leaves: chain, last mile, distribution points, groups, health, hold
    dp = plan.supply.distribution_points
    assert (
        dp is not None
        and dp.service.servers == 2
        and {r.site for r in dp.sites} == {s.id for s in plan.sites if s.open}
    )
    lm = plan.supply.last_mile.model_dump()  # every tonne trucked that day: full loads, routed part-loads or unserved
    assert {o["origin"] for o in lm["origins"]} == {"KEREM-SHALOM:moved", "PIER-2024"}
    for o in lm["origins"]:
        r = o["routed"]
        assert o["tonnes"] == pytest.approx(
            o["full_loads"] * 20.0 + r.get("load_t", 0) + r.get("unserved_t", 0), abs=0.5
        )
        assert all(x["load_t"] <= 20.0 + 1e-6 for x in r.get("routes", []))
    chain = plan.supply.chain.model_dump()
    by = {e["entry_point"]: e for e in chain["entry_points"]}
    pier, ks = by["PIER-2024"], by["KEREM-SHALOM"]
    # the pier: 2.29 shuttle trips x 123.5 t on the days the 2024 pier operated, from day 11 (8 days in 30)
    assert pier["mode"] == "sea" and pier["entered_t"] <= 8 * 2.29 * 123.5 + 1e-6
    assert pier["cost_usd_per_t_delivered"] == pytest.approx(26045, rel=1e-3)
    # Kerem Shalom: 10 % of what moves is lost; convoy movements bind on most days
    assert ks["lost_on_route_t"] == pytest.approx(0.1 * (ks["lost_on_route_t"] + ks["delivered_t"]), rel=1e-6)
    assert ks["binds_most"] == "movements"
    for e in chain["entry_points"]:  # nothing vanishes along the chain
        end = (e["daily"][-1]["backlog_t"] or 0.0) + e["daily"][-1]["collected_waiting_t"]
        assert e["entered_t"] == pytest.approx(
            e["lost_at_entry_t"] + e["lost_on_route_t"] + e["delivered_t"] + end, abs=1e-3
        )
    assert chain["delivered_t"] == pytest.approx(sum(e["delivered_t"] for e in chain["entry_points"]), abs=1e-2)
    assert plan.supply.max_conservation_residual_t < 1e-6


def test_package_chain_bad_input(targeted):
    pkg = PackageSpec.model_validate({"chain": [{"entry_point": "NOWHERE", "loss_share": 0.1}]})
    with pytest.raises(InputError, match=r"packages\.bad\.chain\[0\].*unknown entry point 'NOWHERE'"):
        apply_package(targeted, pkg, "bad")
    with pytest.raises(ValueError, match="needs lon and lat"):
        PackageSpec.model_validate({"pier": [{"id": "p", "units_per_day": 1}]})
    with pytest.raises(ValueError, match="movements_allowed_share"):
        PackageSpec.model_validate({"chain": [{"entry_point": "KEREM-SHALOM", "movements_allowed_share": 1.4}]})
    with pytest.raises(ValueError, match="less than or equal to 1"):
        PackageSpec.model_validate({"airdrops": [{"id": "a", "units_per_day": 1, "loss_share": 2}]})


def test_ensemble_samples_chain_shares(targeted):
    import numpy as np

    from reliefplan.analysis.ensemble import member_scenario
    from reliefplan.analysis.sampling import sample_member
    from reliefplan.scenario._uncertainty import UncertaintySpec, uncertainty_problems

    spec = UncertaintySpec.model_validate(
        {
            "parameters": {
                "looting": {"target": "chain.loss_share", "dist": "uniform", "low": 0.0, "high": 0.75},
                "approvals": {"target": "chain.movements_allowed_share", "dist": "uniform", "low": 0.3, "high": 0.65},
                "pier": {"target": "entry.availability", "dist": "uniform", "low": 0.2, "high": 0.4},
            }
        }
    )
    sc = apply_package(targeted, resolve(targeted.packages, "jun-2024-pier"), "jun-2024-pier")
    m = sample_member(
        spec,
        0,
        np.random.SeedSequence(7),
        zone_ids=[],
        site_ids=[],
        entry_ids=["KEREM-SHALOM"],
        days=sc.horizon_days,
        chain_ids=["KEREM-SHALOM"],
        mode_entry_ids=["PIER-2024"],
    )
    assert 0 <= m.chain_loss_share["KEREM-SHALOM"] <= 0.75
    assert 0.3 <= m.movements_allowed_share["KEREM-SHALOM"] <= 0.65 and 0.2 <= m.availability["PIER-2024"] <= 0.4
    member = member_scenario(sc, m)
    (chain,) = member.supply.chain
    assert chain.loss_share == m.chain_loss_share["KEREM-SHALOM"]
    assert chain.movements_allowed_share == m.movements_allowed_share["KEREM-SHALOM"]
    assert member.supply.entries[0].availability == m.availability["PIER-2024"]
    # a chain target with nothing to act on is refused
    probs = uncertainty_problems(spec, "scenario.yaml", [], [], ["KEREM-SHALOM"])
    assert {p.field for p in probs} >= {"uncertainty.parameters.looting.target", "uncertainty.parameters.pier.target"}


def test_hubs_chosen_in_the_plan(targeted):
    """Hubs chosen by the siting engine carry the trucks to the locations they take; their capacity can only cut
    deliveries, so no commodity is less short than in the example's plan without hubs (stored key figures)."""
    import json

    from reliefplan import pipeline
    from reliefplan.scenario.delivery_specs import HubsSpec

    hubs = HubsSpec.model_validate(
        {
            "max_hubs": 2,
            "candidates": [
                {"id": "HUB-RAFAH", "lon": 34.255, "lat": 31.285, "capacity_t_per_day": 8000},
                {"id": "HUB-KY", "lon": 34.305, "lat": 31.345, "capacity_t_per_day": 8000},
                {"id": "HUB-DAB", "lon": 34.35, "lat": 31.415, "capacity_t_per_day": 8000},
            ],
        }
    )
    sc = targeted.model_copy(update={"supply": targeted.supply.model_copy(update={"hubs": hubs})})
    plan = pipeline.run(sc).plan
    round_trips(plan)
    h = plan.supply.hubs.model_dump()
    assert len(h["open"]) == 2 and h["siting"]["status"] == "optimal"
    assert all(r["t_per_day"] <= r["capacity_t_per_day"] + 1e-6 for r in h["hubs"])
    assert plan.supply.max_conservation_residual_t < 1e-6
    stored = json.loads((Path(__file__).parent / "data" / "example_key_figures.json").read_text())["targeted"]
    for k, v in stored["supply_shortfall_t"].items():
        assert plan.supply.shortfall_t[k] >= v - 1e-3


def test_hub_outside_every_zone_is_refused(targeted):
    from reliefplan import pipeline
    from reliefplan.scenario.delivery_specs import HubsSpec

    hubs = HubsSpec.model_validate({"candidates": [{"id": "SEA", "lon": 34.0, "lat": 31.3, "capacity_t_per_day": 10}]})
    sc = targeted.model_copy(update={"supply": targeted.supply.model_copy(update={"hubs": hubs})})
    with pytest.raises(InputError, match=r"supply\.hubs\.candidates\[0\] \(SEA\).*lies in no zone"):
        pipeline.run(sc)


def test_package_hubs_and_points_resolve(targeted):
    packages = {
        "base": PackageSpec.model_validate({"distribution": {"servers": 2}}),
        "more": PackageSpec.model_validate(
            {
                "extends": "base",
                "hubs": {"candidates": [{"id": "H", "lon": 34.255, "lat": 31.285, "capacity_t_per_day": 100}]},
            }
        ),
    }
    pkg = resolve(packages, "more")
    assert pkg.distribution.servers == 2 and pkg.hubs.candidates[0].id == "H"
    sc = apply_package(targeted, pkg, "more")
    assert sc.supply.hubs.candidates[0].id == "H" and sc.supply.distribution.servers == 2


def test_fuel_package_plan_with_health(targeted):
    """The fuel uses are a supply location where nobody lives: the health layer skips it (a crash in `make demo`
    when fuel and the health layer first met)."""
    from reliefplan import pipeline

    sc = apply_package(targeted, resolve(targeted.packages, "jun-2024-fuel"), "jun-2024-fuel")
    sc.layout.enabled = False
    plan = pipeline.run(sc).plan
    assert plan.supply.fuel is not None and plan.health is not None
    round_trips(plan)
    assert plan.people.sheltered + plan.people.unsheltered == plan.people.displaced
