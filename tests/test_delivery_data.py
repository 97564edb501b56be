"""Delivery figures (data/delivery.yaml): sources, ranges, re-derivation from the shared COGAT data; fuel."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from reliefplan._errors import InputError
from reliefplan.scenario.delivery_data import delivery_figures, figure
from reliefplan.solvers.fuel import FuelUse, allocate_fuel

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"


def test_every_figure_has_a_source_and_assumptions_say_why():
    figs = delivery_figures()
    assert len(figs) > 40
    for f in figs.values():
        assert f.source and f.unit
        if f.is_assumption:
            assert not f.verified and f.note


def test_payloads_positive_and_shares_in_unit_interval():
    figs = delivery_figures()
    for path, f in figs.items():
        if "payload_t_per_truck" in path or path.endswith("t_per_sortie_c130"):
            assert f.value > 0
        if f.unit == "share":
            assert 0 <= f.value <= 1, path
    for obs in figure("chain.convoy_facilitated_share").value:
        assert 0 <= obs["share"] <= 1
        if "planned" in obs and "facilitated" in obs:
            assert obs["share"] == pytest.approx(obs["facilitated"] / obs["planned"], abs=0.006)


def test_unknown_figure_is_a_clear_error():
    with pytest.raises(InputError, match="no figure 'fuel.nope'"):
        figure("fuel.nope")


@pytest.mark.skipif(not (SHARED / "aid").exists(), reason="shared data not present")
def test_cogat_figures_re_derive_from_the_shared_data():
    spec = importlib.util.spec_from_file_location("derive", REPO / "scripts" / "derive_delivery_figures.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    derived = mod.derive(SHARED)
    for path, value in derived.items():
        f = figure(path)
        if isinstance(value, dict) and "median" in value:
            assert f.value == pytest.approx(value["median"], abs=0.05), path
        elif isinstance(value, dict):
            assert f.value == value, path
        else:
            assert f.value == pytest.approx(value), path


def test_fuel_priority_hand_checked():
    uses = [
        FuelUse("hospitals", 10, 7833.0),  # 78,330 L
        FuelUse("desalination", 15_000, 1.1, water_m3=True),  # 16,500 L
        FuelUse("wells", 60_000, 0.15, water_m3=True),  # 9,000 L
        FuelUse("bakeries", 200, 100.0),
    ]  # 20,000 L
    full = allocate_fuel(200_000, uses)
    assert full.shortfall_l_per_day == 0 and full.water_m3_per_day == 75_000 and full.water_lost_m3_per_day == 0
    short = allocate_fuel(90_000, uses)  # hospitals 78,330; desalination gets 11,670 of 16,500
    assert short.allocated_l_per_day["hospitals"] == 78_330
    assert short.served_share["desalination"] == pytest.approx(11_670 / 16_500)
    assert short.allocated_l_per_day["wells"] == 0 and short.allocated_l_per_day["bakeries"] == 0
    assert short.water_m3_per_day == pytest.approx(15_000 * 11_670 / 16_500)
    assert short.water_m3_per_day + short.water_lost_m3_per_day == pytest.approx(75_000)
    assert short.shortfall_l_per_day == pytest.approx(123_830 - 90_000)


def test_fuel_bad_input():
    with pytest.raises(InputError) as e:
        allocate_fuel(-1, [FuelUse("a", -2, 1.0), FuelUse("a", 1, float("nan"))])
    text = str(e.value)
    assert "available_l_per_day" in text and "repeated" in text and "amount_per_day" in text and "l_per_unit" in text
