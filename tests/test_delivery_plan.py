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


def test_pier_package_chain_figures(targeted):
    from reliefplan import pipeline

    sc = apply_package(targeted, resolve(targeted.packages, "jun-2024-pier"), "jun-2024-pier")
    plan = pipeline.run(sc).plan
    chain = plan.supply["chain"]
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
        assert e["entered_t"] == pytest.approx(e["lost_at_entry_t"] + e["lost_on_route_t"] + e["delivered_t"] + end,
                                               abs=1e-3)
    assert chain["delivered_t"] == pytest.approx(sum(e["delivered_t"] for e in chain["entry_points"]), abs=1e-2)
    assert plan.supply["max_conservation_residual_t"] < 1e-6


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
