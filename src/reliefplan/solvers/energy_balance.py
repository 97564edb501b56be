"""Adult body weight from daily energy intake: the Hall et al. (2011) energy-balance model.

Re-implemented from the published equations (Hall KD et al., Lancet 2011;378:826-37, web appendix), not
from any code. State per person: fat mass F (kg) and adaptive thermogenesis AT (kcal/day). Lean mass
follows Forbes' partition dL/dF = C/F, so L = L0 + C ln(F/F0). Energy balance in deviations from the
initial steady state (where intake = PAL x RMR):

    (rho_F + eta_F) dF/dt + (rho_L + eta_L) dL/dt
        = (1 - beta_TEF) dEI - AT - gamma_F dF - gamma_L dL - delta dBW
    dAT/dt = (beta_AT dEI - AT) / tau_AT,    delta = ((1 - beta_TEF) PAL - 1) RMR0 / BW0

which is Hall's adult model without its glycogen and extracellular-fluid compartments (they add 1-2 kg of
early water weight and are not modelled here). Linearised about the start, with AT at its steady state,
it is the one-equation model the Gaza projections used (web appendix eq. 14):

    dBW/dt = dEI / rho - (BW - BW0) / tau,
    rho = (rho_F + eta_F + a (rho_L + eta_L)) / ((1 - beta) (1 + a)),
    tau = (rho_F + eta_F + a (rho_L + eta_L)) / (gamma_F + delta + a (gamma_L + delta)),
    a = C / F0, beta = beta_TEF + beta_AT.

Initial fat mass from Jackson et al. (2002), resting metabolic rate from Mifflin-St Jeor (1990), as in the
web appendix. Units: kg, m, years, kcal/day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..scenario._healthdata import HealthData


@dataclass(frozen=True)
class HallConstants:
    """Hall et al. (2011) constants in kcal (see data/health/health.yaml for each source)."""

    rho_fat_kcal_per_kg: float = 9440.7
    rho_lean_kcal_per_kg: float = 1816.4
    gamma_fat_kcal_per_kg_day: float = 3.107
    gamma_lean_kcal_per_kg_day: float = 21.99
    eta_fat_kcal_per_kg: float = 179.25
    eta_lean_kcal_per_kg: float = 229.45
    beta_tef: float = 0.10
    beta_at: float = 0.14
    tau_at_days: float = 14.0
    forbes_c_kg: float = 10.4

    @classmethod
    def from_data(cls, data: HealthData) -> HallConstants:
        return cls(**{f: data.value(f) for f in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Body:
    """Adults at the start (arrays broadcast together): weight, height, age, sex."""

    weight_kg: np.ndarray
    height_m: np.ndarray
    age_years: np.ndarray
    female: np.ndarray  # bool

    @property
    def bmi(self) -> np.ndarray:
        return np.asarray(self.weight_kg) / np.asarray(self.height_m) ** 2


def mifflin_rmr_kcal_per_day(body: Body) -> np.ndarray:
    """Resting metabolic rate (kcal/day), Mifflin et al. 1990: 9.99 W + 6.25 H_cm - 4.92 age + 5 (men) / - 161 (women)."""
    base = 9.99 * np.asarray(body.weight_kg) + 625.0 * np.asarray(body.height_m) - 4.92 * np.asarray(body.age_years)
    return base + np.where(body.female, -161.0, 5.0)


def jackson_fat_mass_kg(body: Body) -> np.ndarray:
    """Fat mass (kg), Jackson et al. 2002 as used by Hall 2011: W/100 (0.14 age + a ln BMI - b).

    Women a = 39.96, b = 102.01; men a = 37.31, b = 103.94 (women carry more fat at equal BMI:
    at BMI 25 and 40 y these give 32 % and 22 %).
    """
    a = np.where(body.female, 39.96, 37.31)
    b = np.where(body.female, 102.01, 103.94)
    pct = 0.14 * np.asarray(body.age_years) + a * np.log(body.bmi) - b
    return np.asarray(body.weight_kg) * np.clip(pct, 2.0, 70.0) / 100.0


def maintenance_intake_kcal_per_day(body: Body, pal: np.ndarray | float) -> np.ndarray:
    """Intake at which weight is stable at the start: PAL x RMR (Hall's initial energy balance)."""
    return np.asarray(pal) * mifflin_rmr_kcal_per_day(body)


def linearised_rho_tau(
    body: Body, pal: np.ndarray | float, k: HallConstants = HallConstants()
) -> tuple[np.ndarray, np.ndarray]:
    """Hall's linearised model: energy per kg of weight change rho (kcal/kg) and time constant tau (days).

    A sustained intake change dEI ends, after a few tau, in a weight change dEI tau / rho (kg).
    """
    fat0 = jackson_fat_mass_kg(body)
    a = k.forbes_c_kg / fat0
    delta = _delta(body, pal, k)
    storage = k.rho_fat_kcal_per_kg + k.eta_fat_kcal_per_kg + a * (k.rho_lean_kcal_per_kg + k.eta_lean_kcal_per_kg)
    rho = storage / ((1.0 - k.beta_tef - k.beta_at) * (1.0 + a))
    tau = storage / (k.gamma_fat_kcal_per_kg_day + delta + a * (k.gamma_lean_kcal_per_kg_day + delta))
    return rho, tau


def _delta(body: Body, pal: np.ndarray | float, k: HallConstants) -> np.ndarray:
    """Activity expenditure per kg of body weight (kcal/kg/day), fixed at its initial value."""
    return ((1.0 - k.beta_tef) * np.asarray(pal) - 1.0) * mifflin_rmr_kcal_per_day(body) / np.asarray(body.weight_kg)


def simulate_adult_weight(
    body: Body,
    delta_intake: np.ndarray,
    pal: np.ndarray | float,
    k: HallConstants = HallConstants(),
    *,
    relative: bool = False,
    cohort_shares: np.ndarray | None = None,
) -> np.ndarray:
    """Daily body weight under an intake change, by Heun (RK2) steps of one day.

    ``delta_intake`` has shape ``[T, ...]`` broadcastable against the body arrays: the change of energy intake
    from the initial maintenance intake on each day, in kcal/day, or (``relative=True``) as a share of
    maintenance (intake / maintenance - 1). Returns weight ``[T + 1, ...]`` (index 0 = start), or with
    ``cohort_shares`` (weights over the last axis) the share-weighted mean of ln(BW / BW0) over that axis,
    shape ``[T + 1, ...without the last axis]``, which keeps memory at one day's state.
    """
    bw0 = np.asarray(body.weight_kg, dtype=float)
    fat0 = jackson_fat_mass_kg(body)
    delta = _delta(body, pal, k)
    shape = np.broadcast_shapes(bw0.shape, np.shape(delta), np.shape(delta_intake)[1:])
    maint = maintenance_intake_kcal_per_day(body, pal) if relative else 1.0
    fat = np.broadcast_to(fat0, shape).astype(float)
    at = np.zeros(shape)
    c = k.forbes_c_kg
    lean_cost = k.rho_lean_kcal_per_kg + k.eta_lean_kcal_per_kg
    fat_cost = k.rho_fat_kcal_per_kg + k.eta_fat_kcal_per_kg
    min_fat = 0.02 * fat0  # fat cannot vanish; death comes long before (see bmi_survival_limit)

    def rates(f: np.ndarray, a_t: np.ndarray, dei: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d_lean = c * np.log(f / fat0)
        d_fat = f - fat0
        free = (
            (1.0 - k.beta_tef) * dei
            - a_t
            - k.gamma_fat_kcal_per_kg_day * d_fat
            - k.gamma_lean_kcal_per_kg_day * d_lean
            - delta * (d_fat + d_lean)
        )
        return free / (fat_cost + (c / f) * lean_cost), (k.beta_at * dei - a_t) / k.tau_at_days

    def weight_of(f: np.ndarray) -> np.ndarray:
        return bw0 + (f - fat0) + c * np.log(f / fat0)

    n_days = np.shape(delta_intake)[0]
    if cohort_shares is None:
        out = np.empty((n_days + 1, *shape))
        out[0] = np.broadcast_to(bw0, shape)
    else:
        w = np.asarray(cohort_shares, dtype=float)
        w = w / w.sum()
        out = np.zeros((n_days + 1, *shape[:-1]))
    for t in range(n_days):
        dei = np.asarray(delta_intake[t]) * maint
        f1, a1 = rates(fat, at, dei)
        fat_p = np.maximum(fat + f1, min_fat)
        f2, a2 = rates(fat_p, at + a1, dei)
        fat = np.maximum(fat + 0.5 * (f1 + f2), min_fat)
        at = at + 0.5 * (a1 + a2)
        if cohort_shares is None:
            out[t + 1] = weight_of(fat)
        else:
            out[t + 1] = np.log(weight_of(fat) / bw0) @ w
    return out
