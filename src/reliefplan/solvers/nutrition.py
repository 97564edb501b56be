"""Acute malnutrition from weight change: children's weight-for-height and adults' BMI, and household food gaps.

* Children 6-59 months: the WHO 2006 weight-for-height z-score (WHZ) is an LMS transform of weight at a
  given height, z = ((W/M)^L - 1) / (L S). A child who loses a share f of weight at the same height moves
  from z0 to ((1 - f)^L (1 + L S z0) - 1) / (L S), exactly (M cancels). The pre-crisis WHZ distribution
  is normal, fitted to the pre-crisis shares below -2 (GAM) and -3 (SAM); prevalence after the shift
  is then closed-form. Children's share of weight lost is the adults' times a ratio (the method of the
  LSHTM/JHU Gaza projections, 2024).
* Adults: ln(BMI) is normal (cohorts pooled by moments); weight change shifts it at constant height.
* Households: energy intake per person is log-normal around the group's mean; the share below a fraction of
  the requirement is the IPC "extreme lack of food" proxy.

Shares are fractions in [0, 1]; weights in kg; energy in kcal/person/day.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr, ndtri

from .._errors import InputError, Problem


def fit_baseline_whz(gam_share: np.ndarray | float, sam_share: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Mean and SD of a normal WHZ distribution with P(z < -2) = GAM and P(z < -3) = SAM."""
    gam = np.asarray(gam_share, dtype=float)
    sam = np.asarray(sam_share, dtype=float)
    if np.any(~((0 < sam) & (sam < gam) & (gam < 1))):
        raise InputError(
            Problem(
                file="health inputs",
                field="baseline_gam_share/baseline_sam_share",
                message="expected 0 < SAM share < GAM share < 1",
            )
        )
    q2, q3 = ndtri(gam), ndtri(sam)
    sd = 1.0 / (q2 - q3)  # (-2 - mu)/sd = q2 and (-3 - mu)/sd = q3
    return -2.0 - q2 * sd, sd


def whz_after_weight_loss(
    z0: np.ndarray, loss_share: np.ndarray, lms_l: float | np.ndarray, lms_s: float | np.ndarray
) -> np.ndarray:
    """WHZ of a child at z0 after losing ``loss_share`` of weight at unchanged height (negative = gain)."""
    ls = np.asarray(lms_l) * np.asarray(lms_s)
    return ((1.0 - loss_share) ** lms_l * (1.0 + ls * z0) - 1.0) / ls


def wasting_shares(
    mu0: np.ndarray,
    sd0: np.ndarray,
    loss_share: np.ndarray,
    lms_l: np.ndarray | float,
    lms_s: np.ndarray | float,
    cuts: tuple[float | np.ndarray, ...] = (-1.0, -2.0, -3.0),
) -> tuple[np.ndarray, ...]:
    """Shares of children with WHZ below each cut (default -1, -2 = GAM, -3 = SAM) after a weight loss share.

    WHZ after the loss is increasing in z0, so the share below a cut c is P(z0 < z0*), with z0* the start
    that ends exactly at c: z0* = ((1 + L S c) (1 - f)^-L - 1) / (L S).
    """
    ls = lms_l * lms_s  # no np.asarray: a Python float must not promote float32 arrays
    grow = (1.0 - np.clip(loss_share, -0.5, 0.6)) ** (-lms_l)
    return tuple(ndtr((((1.0 + ls * c) * grow - 1.0) / ls - mu0) / sd0) for c in cuts)


def pooled_log_bmi(
    weight_kg: np.ndarray, height_m: np.ndarray, shares: np.ndarray, within_log_sd: np.ndarray | float
) -> tuple[float, np.ndarray]:
    """Mean and SD of ln(BMI) over cohorts (each log-normal, common spread), matched by moments."""
    w = np.asarray(shares, dtype=float) / np.sum(shares)
    mu_c = np.log(np.asarray(weight_kg) / np.asarray(height_m) ** 2)
    mean = float(w @ mu_c)
    between = float(w @ (mu_c - mean) ** 2)
    return mean, np.sqrt(np.asarray(within_log_sd) ** 2 + between)


def share_below_bmi(
    limit: np.ndarray | float, log_bmi_mean: float | np.ndarray, log_bmi_sd: np.ndarray, log_weight_ratio: np.ndarray
) -> np.ndarray:
    """Share of adults with BMI below ``limit`` after ln(W/W0) = ``log_weight_ratio`` (height unchanged)."""
    log_limit = math.log(limit) if isinstance(limit, (int, float)) else np.log(limit)
    return ndtr((log_limit - log_bmi_mean - log_weight_ratio) / log_bmi_sd)


def extreme_food_gap_share(
    intake_share_of_requirement: np.ndarray, log_sd: np.ndarray | float, cutoff_share: np.ndarray | float
) -> np.ndarray:
    """Share of households eating below ``cutoff_share`` of their requirement, intake log-normal around the mean."""
    mean = np.maximum(np.asarray(intake_share_of_requirement), 1e-9)
    log_median = np.log(mean) - 0.5 * np.asarray(log_sd) ** 2
    return ndtr((np.log(cutoff_share) - log_median) / log_sd)
