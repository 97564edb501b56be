"""Relative risk of diarrhoeal and respiratory disease from water quantity, shared latrines and crowding.

Each exposure has a dose-response curve in ``data/health/health.yaml``: anchors (exposure, RR) from
published comparisons (Howard & Bartram 2003 service levels; Esrey et al. 1991; Heijnen et al. 2014;
Wolf et al. 2022; Jackson et al. 2013), log-linear in log(exposure) between anchors and flat beyond them.
The evidence is thin and the mapping of each published comparison onto an exposure level is ours (marked
ASSUMPTION): the uncertainty is wide and is drawn, one quantile per curve so the curve stays monotone.

Diarrhoea: RR(water) x RR(latrines), independent factors. Acute respiratory infection: RR(crowding).
"""

from __future__ import annotations

import numpy as np

from ..scenario._healthdata import DoseResponse, split_lognormal


def anchor_rr(curve: DoseResponse, z: np.ndarray) -> np.ndarray:
    """RR at each anchor for standard-normal quantiles ``z`` (shape [D]) -> [D, n_anchors]; NaN z = central."""
    z = np.atleast_1d(np.asarray(z, dtype=float))
    cols = []
    for a in curve.anchors:
        if a.low is None or a.high is None:
            cols.append(np.full(z.shape, a.rr))
        else:
            cols.append(np.where(np.isnan(z), a.rr, split_lognormal(a.rr, a.low, a.high, np.nan_to_num(z))))
    return np.stack(cols, axis=-1)


def relative_risk(curve: DoseResponse, exposure: np.ndarray, z: np.ndarray) -> np.ndarray:
    """RR of ``exposure`` (any shape ``S``) under each draw's curve: result [D, *S].

    Piecewise log-linear interpolation of ln RR in ln(exposure) between the anchors, flat outside them.
    """
    xs = np.log([a.exposure for a in curve.anchors])
    order = np.argsort(xs)
    xs = xs[order]
    log_rr = np.log(anchor_rr(curve, z))[:, order].astype(np.float32)  # [D, A]
    x = np.log(np.maximum(np.asarray(exposure, dtype=np.float32), 1e-9))
    x = np.clip(x, xs[0], xs[-1])
    i = np.clip(np.searchsorted(xs, x, side="right") - 1, 0, len(xs) - 2)
    frac = ((x - xs[i]) / (xs[i + 1] - xs[i])).astype(np.float32)
    lo = log_rr[:, i.ravel()].reshape(log_rr.shape[0], *x.shape)
    hi = log_rr[:, i.ravel() + 1].reshape(log_rr.shape[0], *x.shape)
    return np.exp(lo + frac * (hi - lo))
