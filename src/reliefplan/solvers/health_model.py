"""The health projection's physiology, step by step on [draw, group, day] arrays (``health.project_health``
runs the steps): adults' weight under the energy deficit, children's wasting and adults' thinness, and mortality
from the wasting hazard, the infection risks and the people newly below a survival limit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..scenario._healthdata import HealthData
from .energy_balance import Body, HallConstants, simulate_adult_weight
from .nutrition import extreme_food_gap_share, pooled_log_bmi, share_below_bmi, wasting_shares

_PAL_NODES = 5  # activity levels at which adults' weight is simulated; draws interpolate between them


def _adults(data: HealthData) -> tuple[Body, np.ndarray]:
    cohorts = data.adult_cohorts.cohorts
    body = Body(
        weight_kg=np.array([c.weight_kg for c in cohorts]),
        height_m=np.array([c.height_m for c in cohorts]),
        age_years=np.array([c.age_years for c in cohorts]),
        female=np.array([c.sex == "female" for c in cohorts]),
    )
    return body, np.array([c.share for c in cohorts])


def _adult_log_weight(
    data: HealthData, body: Body, cshare: np.ndarray, share: np.ndarray, pal: np.ndarray
) -> np.ndarray:
    """ln(W/W0) averaged over the adult cohorts [D, G, T]: simulated on a grid of activity levels and
    interpolated at each draw's PAL (weight is smooth in PAL; the grid keeps the cost off the draw count)."""
    pal_grid = np.unique(np.linspace(pal.min(), pal.max(), _PAL_NODES if pal.max() > pal.min() else 1))
    dei = (share.T.astype(float) - 1.0)[:, None, :, None]  # [T, 1, G, 1], relative to maintenance
    log_w_grid = simulate_adult_weight(
        body, dei, pal_grid[:, None, None], HallConstants.from_data(data), relative=True, cohort_shares=cshare
    )[1:]  # [T, K, G]
    return _interp_first_axis(pal_grid, np.moveaxis(log_w_grid, 0, -1).astype(np.float32), pal)


@dataclass(frozen=True)
class _Malnutrition:
    """Step 2 of `project_health`, [D, G, T] arrays (the `*0` and `base` ones at zero weight loss): children's
    weight loss and wasting shares below WHZ -1, -2, -3 and the survival limit; adults' BMI below 18.5, 16 and
    the survival limit; the share of households with an extreme food gap."""

    child_loss: np.ndarray
    wasting: tuple[np.ndarray, np.ndarray, np.ndarray]  # shares below WHZ -1, -2, -3
    base: tuple[np.ndarray, np.ndarray, np.ndarray]  # the same with no weight loss
    child_lethal: np.ndarray
    child_lethal0: np.ndarray
    bmi_18: np.ndarray
    bmi_16: np.ndarray
    lethal: np.ndarray
    lethal0: np.ndarray
    gap: np.ndarray

    @property
    def gam(self) -> np.ndarray:
        return self.wasting[1]

    @property
    def sam(self) -> np.ndarray:
        return self.wasting[2]


def _malnutrition(
    mu0: np.ndarray,
    sd0: np.ndarray,
    data: HealthData,
    v: dict[str, np.ndarray],
    body: Body,
    cshare: np.ndarray,
    log_w: np.ndarray,
    adult_loss: np.ndarray,
    share: np.ndarray,
) -> _Malnutrition:
    """Children's wasting from their weight loss (a multiple of adults') against the pre-crisis WHZ distribution
    (mean mu0, SD sd0), adults' thinness from their log weight, and the extreme food gap from the intake share."""
    p = data.parameters
    child_loss = v["child_to_adult_weight_loss_ratio"] * adult_loss
    lms_l = p["whz_lms_l"].value
    cuts = (-1.0, -2.0, -3.0, v["whz_survival_limit"])
    p1, gam, sam, child_lethal = wasting_shares(mu0, sd0, child_loss, lms_l, v["whz_lms_s"], cuts)
    b1, b2, b3, child_lethal0 = wasting_shares(mu0, sd0, np.zeros((1, 1), np.float32), lms_l, v["whz_lms_s"], cuts)
    log_bmi_mean, log_bmi_sd = pooled_log_bmi(body.weight_kg, body.height_m, cshare, v["adult_bmi_log_sd"])
    return _Malnutrition(
        child_loss=child_loss,
        wasting=(p1, gam, sam),
        base=(b1, b2, b3),
        child_lethal=child_lethal,
        child_lethal0=child_lethal0,
        bmi_18=share_below_bmi(p["bmi_thinness"].value, log_bmi_mean, log_bmi_sd, log_w),
        bmi_16=share_below_bmi(p["bmi_severe_thinness"].value, log_bmi_mean, log_bmi_sd, log_w),
        lethal=share_below_bmi(v["bmi_survival_limit"], log_bmi_mean, log_bmi_sd, log_w),
        lethal0=share_below_bmi(v["bmi_survival_limit"], log_bmi_mean, log_bmi_sd, np.zeros((1, 1, 1), np.float32)),
        gap=extreme_food_gap_share(share[None], v["household_intake_log_sd"], v["extreme_gap_share_of_requirement"]),
    )


def _mortality(
    v: dict[str, np.ndarray],
    m: _Malnutrition,
    rr_dia: np.ndarray,
    rr_ari: np.ndarray,
    u5: np.ndarray,
    adults: np.ndarray,
    u5dr0: np.ndarray,
    cdr0: np.ndarray,
    d: int,
    g: int,
) -> tuple[np.ndarray, np.ndarray]:
    """(under-5, crude) death rates per 10,000 per day: the baselines scaled by the wasting hazard and the
    infection risks, plus the people newly below a survival limit."""

    def hazard(q1: np.ndarray, q2: np.ndarray, q3: np.ndarray) -> np.ndarray:
        return (
            (1.0 - q1)
            + v["hr_mild_wasting"] * (q1 - q2)
            + v["hr_moderate_wasting"] * (q2 - q3)
            + v["hr_severe_wasting"] * q3
        )

    wasting_factor = hazard(*m.wasting) / hazard(*m.base)
    dr5_0 = np.maximum(cdr0 - u5 * u5dr0, 0.0) / np.maximum(1.0 - u5, 1e-9)
    starving_u5 = _newly_below(m.child_lethal0, m.child_lethal, d, g)
    starving = _newly_below(m.lethal0, m.lethal, d, g)
    u5dr = (
        u5dr0
        * wasting_factor
        * (1.0 + v["u5_diarrhoea_death_share"] * (rr_dia - 1.0) + v["u5_ari_death_share"] * (rr_ari - 1.0))
        + 1e4 * starving_u5
    )
    dr5 = dr5_0 * (
        1.0 + v["over5_diarrhoea_death_share"] * (rr_dia - 1.0) + v["over5_ari_death_share"] * (rr_ari - 1.0)
    ) + 1e4 * starving * adults / np.maximum(1.0 - u5, 1e-9)
    cdr = u5 * u5dr + (1.0 - u5) * dr5
    return u5dr, cdr


def _newly_below(start: np.ndarray, share: np.ndarray, d: int, g: int) -> np.ndarray:
    """Daily increase of the highest share so far below a survival limit [D, G, T]: each person dies once."""
    running = np.maximum.accumulate(np.concatenate([np.broadcast_to(start, (d, g, 1)), share], axis=-1), axis=-1)
    return np.diff(running, axis=-1)


def _interp_first_axis(grid: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Linear interpolation of ``values`` [K, ...] on the increasing ``grid`` [K] at points ``at`` [D]."""
    if len(grid) == 1:
        return np.broadcast_to(values, (len(at), *values.shape[1:])).copy()
    i = np.clip(np.searchsorted(grid, at, side="right") - 1, 0, len(grid) - 2)
    w = ((at - grid[i]) / (grid[i + 1] - grid[i])).reshape(-1, *([1] * (values.ndim - 1)))
    return values[i] * (1.0 - w) + values[i + 1] * w
