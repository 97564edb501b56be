"""Ensemble health pooled over members x model draws (issue 21): hand-calculated percentiles, the same crossings
as the health model's own `pool` of whole projections, and `summarise` carrying the pooled block."""

from __future__ import annotations

import numpy as np
import pytest

from reliefplan.analysis.health_pool import member_draws, pool_members
from reliefplan.solvers.health import HealthProjection, ThresholdInfo, pool


def _m(groups, days, cdr, deaths):
    return {
        "groups": groups,
        "crossing_days": {"ipc5_cdr": np.array(days)},
        "rates": {"cdr_per_10k_day.mean": np.array(cdr, dtype=float)},
        "excess_deaths": np.array(deaths, dtype=float),
    }


def test_pooled_by_hand():
    # member 1: sheltered only, 3 draws (one never crosses); member 2: sheltered and overflow, 3 draws
    m1 = _m(["sheltered"], [[10], [12], [-1]], [[1], [2], [3]], [[5], [6], [7]])
    m2 = _m(["sheltered", "overflow"], [[20, 5], [22, 6], [24, 7]], [[4, 1], [5, 1], [6, 1]], [[8, 1], [9, 1], [10, 1]])
    p = pool_members([m1, None, m2])  # a member without health (no supply solution) adds nothing
    assert (p["members"], p["draws"]) == (2, 6)
    c = {(x["group"], x["threshold"]): x for x in p["crossings"]}
    # sheltered: 10, 12, 20, 22, 24, never; inverted CDF over 6 draws: ranks ceil(0.6)=1, ceil(3)=3, ceil(5.4)=6
    assert c[("sheltered", "ipc5_cdr")] == {
        "group": "sheltered",
        "threshold": "ipc5_cdr",
        "day_p10": 10,
        "day_p50": 20,
        "day_p90": None,
        "share_of_draws": round(5 / 6, 4),
        "draws": 6,
    }
    # overflow: member 2's 3 draws only: 5, 6, 7
    assert (c[("overflow", "ipc5_cdr")]["day_p10"], c[("overflow", "ipc5_cdr")]["day_p90"]) == (5, 7)
    # rates 1..6 (linear): P10 = 1 + 0.1 x 5 = 1.5, P50 = 3.5, P90 = 5.5; excess deaths 5..10: 5.5, 7.5, 9.5
    assert p["rates"]["cdr_per_10k_day.mean"]["sheltered"] == pytest.approx({"p10": 1.5, "p50": 3.5, "p90": 5.5})
    assert p["excess_deaths"]["sheltered"] == {"p10": 5.5, "p50": 7.5, "p90": 9.5}
    # not the median of member medians (12 and 22): the pooled median is a day a draw crossed on, 20
    assert pool_members([None]) is None


def _projection(rng, draws: int, days: int) -> HealthProjection:
    g = ["sheltered", "overflow"]
    cdr = rng.gamma(2.0, 0.5, size=(draws, 2, days))
    return HealthProjection(
        group_ids=g,
        n_days=days,
        indicators={"cdr_per_10k_day": cdr, "u5dr_per_10k_day": 2 * cdr, "gam_share": cdr / 10},
        crossing_days={
            "ipc5_cdr": rng.integers(-1, days, size=(draws, 2)),
            "sphere_cdr_doubling": rng.integers(-1, days, size=(draws, 2)),
        },
        thresholds={k: ThresholdInfo("cdr", ">= 2", "test") for k in ("ipc5_cdr", "sphere_cdr_doubling")},
        excess_deaths_draws=rng.gamma(3.0, 10.0, size=(draws, 2)),
        assumptions=[],
    )


def test_pooled_equals_the_models_own_pool_of_projections():
    rng = np.random.default_rng(7)
    ps = [_projection(rng, 40, 30) for _ in range(5)]
    got = pool_members([member_draws(p) for p in ps])
    whole = pool(ps)  # the health model's pooling of whole projections (every indicator, every day)
    want = {(c.group_id, c.threshold): (c.day_p10, c.day_p50, c.day_p90) for c in whole.crossings}
    assert {(c["group"], c["threshold"]): (c["day_p10"], c["day_p50"], c["day_p90"]) for c in got["crossings"]} == want
    for i, g in enumerate(whole.group_ids):
        assert got["excess_deaths"][g]["p50"] == pytest.approx(whole.excess_deaths[g][1], abs=0.05)
        mean = whole.indicators["cdr_per_10k_day"][:, i, :].mean(axis=1)
        assert got["rates"]["cdr_per_10k_day.mean"][g]["p90"] == pytest.approx(np.percentile(mean, 90), abs=1e-6)
    assert got["draws"] == 200


def test_summarise_carries_the_pooled_block_and_drops_the_draws():
    from reliefplan.analysis.ensemble import summarise

    rng = np.random.default_rng(3)
    rows = [
        {
            "member": k,
            "status": "ok",
            "conserved": True,
            "sheltered": 10,
            "health_draws": member_draws(_projection(rng, 10, 5)),
        }
        for k in range(3)
    ]
    rows.append({"member": 3, "status": "failed", "health_draws": member_draws(_projection(rng, 10, 5))})
    s = summarise(rows, [], 5)
    assert s["health_pooled"]["members"] == 3 and s["health_pooled"]["draws"] == 30
    assert all("health_draws" not in r for r in rows)  # pooled, not written per member


def test_ensemble_page_shows_the_pooled_health():
    from reliefplan.outputs.report import render_ensemble

    m1 = _m(["sheltered"], [[10], [12], [-1]], [[1], [2], [3]], [[5], [6], [7]])
    summary = {
        "scenario": "t",
        "members": 1,
        "ok": 1,
        "seed": 0,
        "engine": "serial",
        "workers": 1,
        "conserved_in_every_member": True,
    }
    html = render_ensemble({**summary, "health_pooled": pool_members([m1])})
    assert "Health risk, pooled over 1 members" in html and "day 10" in html and "not crossed" in html
    assert "Health risk, pooled" not in render_ensemble(summary)
