"""The health projection: invariants (nothing changes at the standard), monotonicity, crossings, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from reliefplan._errors import InputError
from reliefplan.scenario._healthdata import load_health_data
from reliefplan.solvers.health import HealthInputs, age_shares, day_percentiles, first_day, pool, project_health
from reliefplan.scenario.folder import AgeBand, PopulationStructure

T = 120


def inputs(shares, water=50.0, latrine=5.0, space=3.5, **kw) -> HealthInputs:
    shares = np.asarray(shares, dtype=float)
    g = len(shares)
    intake = shares if shares.ndim == 2 else np.repeat(shares[:, None], T, axis=1)
    return HealthInputs(
        group_ids=[f"g{i}" for i in range(g)],
        people=np.full(g, 10_000.0),
        intake_share_of_requirement=intake,
        water_l_per_person_day=np.full(g, water),
        people_per_latrine=np.full(g, latrine),
        covered_m2_per_person=np.full(g, space),
        under5_share=np.full(g, 0.15),
        adult_share=np.full(g, 0.5),
        **kw,
    )


def test_at_the_standard_nothing_changes():
    pr = project_health(inputs([1.0]), n_draws=20)
    ind = pr.indicators
    assert np.allclose(ind["adult_weight_loss_share"], 0, atol=1e-6)
    assert np.allclose(ind["gam_share"], 0.0322, atol=1e-5) and np.allclose(ind["sam_share"], 0.0041, atol=1e-5)
    assert np.allclose(ind["rr_diarrhoea"], 1) and np.allclose(ind["rr_ari"], 1)
    lo, mid, hi = pr.excess_deaths["g0"]
    assert abs(lo) < 1e-3 and abs(mid) < 1e-3 and abs(hi) < 1e-3
    for name in (
        "sphere_cdr_doubling",
        "sphere_u5dr_doubling",
        "who_wasting_very_high",
        "ipc5_gam",
        "ipc5_cdr",
        "ipc5_famine",
    ):
        c = pr.crossing("g0", name)
        assert c.share_of_draws == 0 and c.day_p10 is None and c.day_p50 is None


def test_less_food_water_space_is_never_better():
    pr = project_health(inputs([1.0, 0.8, 0.6, 0.4]), n_draws=30)
    for name in (
        "adult_weight_loss_share",
        "gam_share",
        "sam_share",
        "adult_bmi_below_18_5_share",
        "extreme_food_gap_share",
        "u5dr_per_10k_day",
        "cdr_per_10k_day",
    ):
        x = pr.indicators[name]
        assert np.all(np.diff(x, axis=1) >= -1e-6), name  # every draw, every day: lower intake, higher risk
    deaths = [pr.excess_deaths[f"g{i}"][1] for i in range(4)]
    assert deaths == sorted(deaths) and deaths[-1] > 0
    days = [pr.crossing(f"g{i}", "who_wasting_very_high").day_p50 for i in (2, 3)]
    assert days[0] is None or days[1] <= days[0]
    # worse water, latrines and crowding at full rations: risks and deaths up, nutrition unchanged
    bad = project_health(inputs([1.0], water=7.5, latrine=100.0, space=1.75), n_draws=30)
    assert np.all(bad.indicators["rr_diarrhoea"] > 1.3) and np.all(bad.indicators["rr_ari"] > 1.2)
    assert bad.excess_deaths["g0"][0] > 0
    assert np.allclose(bad.indicators["gam_share"], 0.0322, atol=1e-5)


def test_crossing_days_by_hand():
    # full rations for 10 days, then a fifth of the requirement: the extreme-food-gap share jumps on day 10
    # (with the central log-sd 0.37 and cut 0.5: Phi((ln .5 - ln .2 + .37^2/2)/.37) = 0.995 >= 20 %)
    step = np.where(np.arange(T) < 10, 1.0, 0.2)[None, :]
    pr = project_health(inputs(step), n_draws=0)
    c = pr.crossing("g0", "ipc5_food_gap")
    assert (c.day_p10, c.day_p50, c.day_p90, c.share_of_draws) == (10, 10, 10, 1.0)
    gam = pr.indicators["gam_share"][0, 0]
    assert pr.crossing("g0", "ipc5_gam").day_p50 == int(np.argmax(gam >= 0.30))
    # the famine composite needs all three at once, so never before any of them
    fam = pr.crossing("g0", "ipc5_famine")
    for part in ("ipc5_food_gap", "ipc5_gam"):
        p = pr.crossing("g0", part).day_p50
        assert fam.day_p50 is None or (p is not None and fam.day_p50 >= p)


def test_central_run_and_percentile_helpers():
    pr = project_health(inputs([0.7]), n_draws=0)
    assert pr.n_draws == 1
    p10, p50, p90 = pr.percentiles("gam_share")
    assert np.array_equal(p10, p50) and np.array_equal(p50, p90)
    assert first_day(np.array([[False, True, True], [False, False, False]])).tolist() == [1, -1]
    days = np.array([[3], [5], [-1], [7], [-1], [4], [6], [8], [9], [2]])  # 10 draws, 2 never
    assert day_percentiles(days)[:, 0].tolist() == [2, 6, -1]


def test_plan_baselines_override_the_data_file():
    base = {
        "baseline_cdr_per_10k_day": np.array([0.3]),
        "baseline_u5dr_per_10k_day": np.array([0.5]),
        "baseline_gam_share": np.array([0.08]),
        "baseline_sam_share": np.array([0.01]),
    }
    pr = project_health(inputs([1.0], baseline=base), n_draws=10)
    assert np.allclose(pr.indicators["cdr_per_10k_day"], 0.3, rtol=1e-4)
    assert np.allclose(pr.indicators["u5dr_per_10k_day"], 0.5, rtol=1e-4)
    assert np.allclose(pr.indicators["gam_share"], 0.08, atol=1e-5)


def test_bad_inputs_name_the_field():
    good = inputs([1.0, 0.5])
    with pytest.raises(InputError, match="intake_share_of_requirement"):
        project_health(HealthInputs(**{**good.__dict__, "intake_share_of_requirement": np.ones(3)}))
    with pytest.raises(InputError, match="water_l_per_person_day"):
        project_health(HealthInputs(**{**good.__dict__, "water_l_per_person_day": np.array([10.0, -1.0])}))
    with pytest.raises(InputError, match="people_per_latrine"):
        project_health(HealthInputs(**{**good.__dict__, "people_per_latrine": np.array([np.nan, 3.0])}))
    with pytest.raises(InputError, match="under5_share"):
        project_health(HealthInputs(**{**good.__dict__, "under5_share": np.array([0.2, 1.2])}))
    with pytest.raises(InputError, match="baseline.cdr"):
        project_health(HealthInputs(**{**good.__dict__, "baseline": {"cdr": np.ones(2)}}))


def test_parameter_overrides_are_checked():
    data = load_health_data({"child_to_adult_weight_loss_ratio": 1.5, "bmi_survival_limit": {"value": 12.5}})
    assert data.value("child_to_adult_weight_loss_ratio") == 1.5
    assert data.parameters["child_to_adult_weight_loss_ratio"].dist == "fixed"
    with pytest.raises(InputError, match=r"health\.parameters\.no_such_thing.*unknown health parameter"):
        load_health_data({"no_such_thing": 1})
    with pytest.raises(InputError, match=r"health\.parameters\.whz_lms_s"):
        load_health_data({"whz_lms_s": {"value": 0.5}})  # outside its range [0.080, 0.088]
    with pytest.raises(InputError, match="expected a number or a mapping"):
        load_health_data({"whz_lms_s": "big"})


def test_pooling_members_hold_days_and_summary():
    a = project_health(inputs([0.6, 1.0]), n_draws=10, seed=1)
    b = project_health(inputs([0.4, 1.0]), n_draws=15, seed=2)
    both = pool([a, b])
    assert both.n_draws == 25 and both.indicators["gam_share"].shape == (25, 2, T)
    assert np.array_equal(
        both.crossing_days["ipc5_gam"], np.concatenate([a.crossing_days["ipc5_gam"], b.crossing_days["ipc5_gam"]])
    )
    hold = both.hold_days()
    assert hold["g1"] is None  # full rations, reference conditions: no threshold met
    first = hold["g0"]
    assert first is not None and first.day_p50 == min(
        c.day_p50 for c in both.crossings if c.group_id == "g0" and c.day_p50 is not None
    )
    out = both.to_dict(series=True)
    assert out["statement"].startswith("Risk projection, not a prediction")
    assert set(out["excess_deaths"]["g0"]) == {"p10", "p50", "p90"}  # never a death count without its interval
    assert len(out["series"]["gam_share"]["g0"]["p50"]) == T
    with pytest.raises(ValueError, match="share groups"):
        pool([a, project_health(inputs([1.0]), n_draws=2)])


def test_age_shares_from_the_population_structure():
    bands = [
        AgeBand(age="0 to 4yo", male=0.08, female=0.07),
        AgeBand(age="5 to 9yo", male=0.1, female=0.1),
        AgeBand(age="15 to 19yo", male=0.05, female=0.05),
        AgeBand(age="20 to 59yo", male=0.25, female=0.25),
        AgeBand(age="60 to 100yo", male=0.0, female=0.05),
    ]
    under5, adults = age_shares(PopulationStructure(file="age_sex.csv", bands=bands))
    assert under5 == pytest.approx(0.15)
    assert adults == pytest.approx(0.1 * 2 / 5 + 0.5 + 0.05)  # 18 and 19 of the 15-19 band
    with pytest.raises(InputError, match="age_sex.csv, feature adults, field 'age'"):
        age_shares(PopulationStructure(file="age_sex.csv", bands=[AgeBand(age="adults", male=1, female=0)]))


def test_no_food_at_all_kills_within_months_and_never_more_than_everyone():
    pr = project_health(inputs([0.0], water=0.0, latrine=1e6, space=0.0), n_draws=20)
    starved = pr.indicators["starved_share"]
    assert np.all(np.diff(starved, axis=-1) >= -1e-6) and np.all(starved <= 0.15 + 0.5 + 1e-6)
    famine = pr.crossing("g0", "ipc5_famine")
    assert famine.share_of_draws >= 0.8 and 10 < famine.day_p50 < T  # 120 days: the slowest draws not yet
    assert np.all(np.isfinite(pr.indicators["cdr_per_10k_day"]))


def test_every_threshold_has_words_and_a_verdict_row():
    """One list of thresholds (solvers.health.THRESHOLD_WORDS): every threshold the projection reports, from the data
    file or combined, is named in words, so the verdict (stages.health) and the headline (analysis.hold) cover it."""
    from reliefplan.analysis import hold
    from reliefplan.solvers.health import THRESHOLD_WORDS

    pr = project_health(inputs([0.4]), n_draws=5)
    assert (
        {c.threshold for c in pr.crossings} == set(THRESHOLD_WORDS) == {*load_health_data().thresholds, "ipc5_famine"}
    )
    assert hold.THRESHOLD_WORDS is THRESHOLD_WORDS
