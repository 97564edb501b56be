"""Validation against the LSHTM/JHU Gaza projections (report one, February 2024), nutrition module.

Their published inputs (the intake change per person per day of each scenario, see
tests/data/gaza_projections_2024.yaml) are fed to our re-implementation; their published outputs (adult
weight loss, child GAM) are compared for direction and order of magnitude. Nothing here is tuned to
these outputs: the model's figures come from data/health/health.yaml. Run this file as a script to
print the comparison table that docs/health.md reports.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from reliefplan.scenario._healthdata import draw_quantiles, load_health_data
from reliefplan.solvers.energy_balance import Body, HallConstants, simulate_adult_weight
from reliefplan.solvers.nutrition import fit_baseline_whz, wasting_shares

PUBLISHED = yaml.safe_load((Path(__file__).parent / "data" / "gaza_projections_2024.yaml").read_text())
SCENARIOS = ("ceasefire", "status_quo", "escalation")
PERIODS = ("months_1_3", "months_4_6")


def project(n_draws: int = 200, seed: int = 7) -> dict[str, dict[str, np.ndarray]]:
    """Adult weight loss and GAM per scenario and reporting day: arrays over draws [D, 3] (to date, m1-3, m4-6)."""
    data = load_health_data()
    p = data.parameters
    u = draw_quantiles(["physical_activity_level", "child_to_adult_weight_loss_ratio", "whz_lms_s"], n_draws, seed)
    pal = p["physical_activity_level"].at(u["physical_activity_level"])
    ratio = p["child_to_adult_weight_loss_ratio"].at(u["child_to_adult_weight_loss_ratio"])
    lms_s = p["whz_lms_s"].at(u["whz_lms_s"])
    cohorts = data.adult_cohorts.cohorts
    body = Body(
        np.array([c.weight_kg for c in cohorts]),
        np.array([c.height_m for c in cohorts]),
        np.array([c.age_years for c in cohorts]),
        np.array([c.sex == "female" for c in cohorts]),
    )
    shares = np.array([c.share for c in cohorts])
    days = PUBLISHED["days"]
    change = PUBLISHED["intake_change_kcal_per_person_day"]
    mu0, sd0 = fit_baseline_whz(PUBLISHED["gam"]["pre_war"]["mean"], data.value("baseline_sam_share"))
    out = {}
    for sc in SCENARIOS:
        dei = np.concatenate(
            [np.full(days["to_date"], change["to_date"]), np.full(days["months_4_6"] - days["to_date"], change[sc])]
        )[:, None, None]
        log_w = simulate_adult_weight(body, dei, pal[:, None], HallConstants.from_data(data), cohort_shares=shares)
        at = [days["to_date"], days["months_1_3"], days["months_4_6"]]
        adult = 1.0 - np.exp(log_w[at].T)  # [D, 3]
        gam = wasting_shares(mu0, sd0, ratio[:, None] * adult, data.value("whz_lms_l"), lms_s[:, None])[1]
        out[sc] = {"adult": adult, "gam": gam}
    return out


def table() -> list[tuple[str, str, float, float, float, float, float, float]]:
    """(scenario, period, ours adult central, theirs adult mean, ours GAM P10, P50, P90, theirs GAM median)."""
    res = project()
    central = project(n_draws=0)
    rows = []
    for sc in SCENARIOS:
        for j, per in enumerate(("to_date",) + PERIODS):
            pub_a = (
                PUBLISHED["adult_weight_loss"]["to_date"]
                if per == "to_date"
                else PUBLISHED["adult_weight_loss"][sc][per]
            )
            pub_g = PUBLISHED["gam"]["to_date"] if per == "to_date" else PUBLISHED["gam"][sc][per]
            g10, g50, g90 = np.percentile(res[sc]["gam"][:, j], [10, 50, 90])
            rows.append((sc, per, float(central[sc]["adult"][0, j]), pub_a["mean"], g10, g50, g90, pub_g["median"]))
    return rows


def test_adult_weight_loss_matches_their_model_within_15_percent():
    for sc, per, ours, theirs, *_ in table():
        assert abs(ours - theirs) <= 0.15 * theirs, (sc, per, ours, theirs)


def test_gam_direction_and_order_of_magnitude():
    rows = {(r[0], r[1]): r for r in table()}
    for (sc, per), (_, _, _, _, g10, g50, g90, their_median) in rows.items():
        pub = PUBLISHED["gam"]["to_date"] if per == "to_date" else PUBLISHED["gam"][sc][per]
        assert their_median / 2 <= g50 <= their_median * 2, (sc, per, g50, their_median)  # order of magnitude
        assert g10 <= pub["high"] and g90 >= pub["low"]  # our 80 % interval overlaps their 95 % interval
        assert g50 > PUBLISHED["gam"]["pre_war"]["mean"]  # up from pre-war in every scenario
    # direction: escalation > status quo > ceasefire, and under a ceasefire GAM falls from months 1-3 to 4-6
    for per in PERIODS:
        assert rows[("escalation", per)][5] > rows[("status_quo", per)][5] > rows[("ceasefire", per)][5]
    assert rows[("ceasefire", "months_4_6")][5] < rows[("ceasefire", "months_1_3")][5]
    assert rows[("escalation", "months_4_6")][5] > rows[("escalation", "months_1_3")][5]


if __name__ == "__main__":
    print(
        f"{'scenario':<11} {'period':<11} {'adult ours':>10} {'theirs':>7}   {'GAM ours P10/P50/P90':>22} {'theirs median':>14}"
    )
    for sc, per, oa, ta, g10, g50, g90, tg in table():
        print(f"{sc:<11} {per:<11} {oa:>10.1%} {ta:>7.1%}   {g10:>6.1%} /{g50:>6.1%} /{g90:>6.1%} {tg:>14.1%}")
