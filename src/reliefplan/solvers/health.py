"""What shortfalls do to people's health: a risk projection per group and day, with its uncertainty.

From each group's daily energy intake (as a share of its requirement), water (L/person/day), people per
latrine and covered space (m2/person), over parameter draws:

1. adults' weight (Hall et al. 2011, ``energy_balance``), children's weight loss = adults' x a ratio;
2. acute malnutrition: WHZ < -2 / < -3 in children 6-59 months, BMI < 18.5 / < 16 in adults (``nutrition``);
3. relative risk of diarrhoea (water x latrines) and acute respiratory infection (crowding) (``wash_risk``);
4. mortality: under-5 = baseline x wasting hazard (Olofin et al. 2013, relative to the pre-crisis WHZ
   distribution) x infection multiplier + children newly pushed below WHZ -5 (the growth standards'
   implausibility flag, read as a survival limit); 5 and over = baseline x infection multiplier + adults
   newly falling below the BMI survival limit (Henry 1990); crude = the two weighted by the under-5 share;
5. the first day each threshold (Sphere mortality doubling and absolute, WHO wasting "very high", IPC
   Phase 5 famine criteria and all three together) is met, per group, as P10/P50/P90 over draws.

These are RISK PROJECTIONS, NOT PREDICTIONS: every output is a distribution over declared parameter
uncertainty (later also over the plan's ensemble), and death figures are only ever reported with their
interval. Days are indices from 0 (the plan's first day); a value on day t is at the end of day t.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import ndtri

from .._errors import InputError, Problem
from ..scenario._healthdata import HealthData, draw_quantiles, load_health_data
from .nutrition import fit_baseline_whz
from ..scenario.folder import PopulationStructure
from .health_model import _adult_log_weight, _adults, _malnutrition, _mortality
from .wash_risk import relative_risk

#: what the layer leaves out, printed next to its figures
NOT_MODELLED = (
    "glycogen and body-water changes (Hall's full model adds 1-2 kg of early water weight)",
    "infection-driven weight loss and its feedback on wasting; oedematous malnutrition (kwashiorkor)",
    "pregnant and lactating women's extra needs; infants under 6 months and breastfeeding",
    "starvation deaths of children 5-17 y (only adults' BMI survival limit and the under-5 wasting hazard)",
    "treatment of acute malnutrition and health-care access; epidemics beyond the diarrhoea/ARI risk ratios",
    "trauma deaths; deaths do not deplete the population the rates apply to",
    "uneven sharing of food within a group by age (every age gets the same share of its requirement)",
)

PERCENTILES = (10, 50, 90)
STATEMENT = (
    "Risk projection, not a prediction: figures are ranges over declared parameter uncertainty "
    "(P10/P50/P90), resting on published equations and labelled assumptions."
)
#: the health thresholds, in words: the one list of them. data/health/health.yaml gives the figures of the first
#: nine (a threshold there without words here is projected but has no verdict row); the last is all three IPC Phase 5
#: criteria at once (`_crossing_days`). Each gets a verdict row per group (stages.health) and is named in the
#: headline and "how long can it hold" (analysis.hold).
THRESHOLD_WORDS = {
    "sphere_cdr_doubling": "crude death rate doubles (Sphere emergency)",
    "sphere_u5dr_doubling": "under-5 death rate doubles (Sphere emergency)",
    "sphere_cdr_absolute": "crude death rate >= 1/10,000/day (Sphere emergency)",
    "sphere_u5dr_absolute": "under-5 death rate >= 2/10,000/day (Sphere emergency)",
    "who_wasting_very_high": "acute malnutrition (GAM) >= 15 % (WHO 'very high')",
    "ipc5_food_gap": "households in extreme food gap >= 20 % (IPC Phase 5 criterion)",
    "ipc5_gam": "acute malnutrition (GAM) >= 30 % (IPC Phase 5 criterion)",
    "ipc5_cdr": "crude death rate >= 2/10,000/day (IPC Phase 5 criterion)",
    "ipc5_u5dr": "under-5 death rate >= 4/10,000/day (IPC Phase 5 criterion)",
    "ipc5_famine": "all three IPC Phase 5 (Famine) criteria at once",
}


@dataclass(frozen=True)
class HealthInputs:
    """Per group and day, what the plan delivers and how people live (arrays [G] or [G, T]).

    ``intake_share_of_requirement`` = kcal eaten per person / kcal required per person (age/sex weighted);
    ``baseline`` may give per-group arrays for ``baseline_gam_share``, ``baseline_sam_share``,
    ``baseline_cdr_per_10k_day``, ``baseline_u5dr_per_10k_day`` (else the data file's figures).
    """

    group_ids: list[str]
    people: np.ndarray
    intake_share_of_requirement: np.ndarray
    water_l_per_person_day: np.ndarray
    people_per_latrine: np.ndarray
    covered_m2_per_person: np.ndarray
    under5_share: np.ndarray
    adult_share: np.ndarray
    baseline: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class Crossing:
    """First day a threshold is met for a group, over draws (None = not met within the horizon)."""

    group_id: str
    threshold: str
    indicator: str
    limit: str
    day_p10: int | None
    day_p50: int | None
    day_p90: int | None
    share_of_draws: float
    source: str


@dataclass(frozen=True)
class ThresholdInfo:
    indicator: str
    limit: str
    source: str


@dataclass
class HealthProjection:
    """Indicators [D, G, T] over draws, first-crossing days [D, G] per threshold and excess deaths [D, G].

    Everything is kept per draw, so projections of several ensemble members pool into one (``pool``) and
    their percentiles then cover both parameter and plan uncertainty.
    """

    group_ids: list[str]
    n_days: int
    indicators: dict[str, np.ndarray]
    crossing_days: dict[str, np.ndarray]  # threshold -> first day per draw and group, -1 = not met
    thresholds: dict[str, ThresholdInfo]
    excess_deaths_draws: np.ndarray  # [D, G]
    assumptions: list[str]
    not_modelled: tuple[str, ...] = NOT_MODELLED

    @property
    def n_draws(self) -> int:
        return int(self.excess_deaths_draws.shape[0])

    def percentiles(self, name: str) -> np.ndarray:
        """P10, P50, P90 over draws of an indicator: [3, G, T]."""
        return np.percentile(self.indicators[name], PERCENTILES, axis=0)

    @property
    def crossings(self) -> list[Crossing]:
        out = []
        for name, days in self.crossing_days.items():
            info = self.thresholds[name]
            pct = day_percentiles(days)  # [3, G]
            crossed = np.mean(days >= 0, axis=0)
            for i, gid in enumerate(self.group_ids):
                p10, p50, p90 = (None if x < 0 else int(x) for x in pct[:, i])
                out.append(
                    Crossing(
                        group_id=gid,
                        threshold=name,
                        indicator=info.indicator,
                        limit=info.limit,
                        day_p10=p10,
                        day_p50=p50,
                        day_p90=p90,
                        share_of_draws=float(crossed[i]),
                        source=info.source,
                    )
                )
        return out

    def crossing(self, group_id: str, threshold: str) -> Crossing:
        return next(c for c in self.crossings if c.group_id == group_id and c.threshold == threshold)

    @property
    def excess_deaths(self) -> dict[str, tuple[float, float, float]]:
        """Excess deaths over the horizon per group: (P10, P50, P90); never report one without the others."""
        pct = np.percentile(self.excess_deaths_draws, PERCENTILES, axis=0)
        return {gid: (float(pct[0, i]), float(pct[1, i]), float(pct[2, i])) for i, gid in enumerate(self.group_ids)}

    def hold_days(self) -> dict[str, Crossing | None]:
        """ "How long can it hold": per group, the threshold met first (earliest median day), or None."""
        best: dict[str, Crossing | None] = {gid: None for gid in self.group_ids}
        for c in self.crossings:
            if c.day_p50 is None:
                continue
            cur = best[c.group_id]
            if cur is None or (c.day_p50, c.day_p10 or 0) < (cur.day_p50, cur.day_p10 or 0):
                best[c.group_id] = c
        return best

    def to_dict(self, *, series: bool = False) -> dict[str, Any]:
        """JSON-ready summary: crossings, hold days, excess deaths (intervals only), assumptions; ``series``
        adds P10/P50/P90 of every indicator per group and day."""
        out: dict[str, Any] = {
            "statement": STATEMENT,
            "draws": self.n_draws,
            "days": self.n_days,
            "crossings": [c.__dict__ for c in self.crossings],
            "hold": {
                gid: (
                    None
                    if c is None
                    else {"threshold": c.threshold, "day_p10": c.day_p10, "day_p50": c.day_p50, "day_p90": c.day_p90}
                )
                for gid, c in self.hold_days().items()
            },
            "excess_deaths": {
                gid: {"p10": round(a, 1), "p50": round(b, 1), "p90": round(c, 1)}
                for gid, (a, b, c) in self.excess_deaths.items()
            },
            "assumptions": self.assumptions,
            "not_modelled": list(self.not_modelled),
        }
        if series:
            out["series"] = {
                name: {
                    gid: {f"p{q}": np.round(pc[j, i], 6).tolist() for j, q in enumerate(PERCENTILES)}
                    for i, gid in enumerate(self.group_ids)
                }
                for name in self.indicators
                for pc in [self.percentiles(name)]
            }
        return out


def pool(projections: list[HealthProjection]) -> HealthProjection:
    """One projection over the draws of several (e.g. one per ensemble member; same groups and days)."""
    first = projections[0]
    for p in projections[1:]:
        if (
            p.group_ids != first.group_ids
            or p.n_days != first.n_days
            or set(p.crossing_days) != set(first.crossing_days)
        ):
            raise ValueError("projections to pool must share groups, days and thresholds")

    def cat(draws: Iterable[np.ndarray]) -> np.ndarray:
        return np.concatenate(list(draws), axis=0)

    return HealthProjection(
        group_ids=list(first.group_ids),
        n_days=first.n_days,
        indicators={k: cat(p.indicators[k] for p in projections) for k in first.indicators},
        crossing_days={k: cat(p.crossing_days[k] for p in projections) for k in first.crossing_days},
        thresholds=dict(first.thresholds),
        excess_deaths_draws=cat(p.excess_deaths_draws for p in projections),
        assumptions=sorted(set().union(*(p.assumptions for p in projections))),
    )


_DRAWN = (
    "physical_activity_level",
    "child_to_adult_weight_loss_ratio",
    "whz_lms_s",
    "whz_survival_limit",
    "adult_bmi_log_sd",
    "bmi_survival_limit",
    "household_intake_log_sd",
    "extreme_gap_share_of_requirement",
    "hr_mild_wasting",
    "hr_moderate_wasting",
    "hr_severe_wasting",
    "baseline_cdr_per_10k_day",
    "baseline_u5dr_per_10k_day",
    "u5_diarrhoea_death_share",
    "u5_ari_death_share",
    "over5_diarrhoea_death_share",
    "over5_ari_death_share",
)
_CURVES = ("water_l_per_person_day", "people_per_latrine", "covered_m2_per_person")
_BASELINES = ("baseline_gam_share", "baseline_sam_share", "baseline_cdr_per_10k_day", "baseline_u5dr_per_10k_day")


def age_shares(structure: PopulationStructure) -> tuple[float, float]:
    """Shares of the population aged under 5 and 18 and over, from age bands "A to B yo" (sexes summed).

    A band's people are spread evenly over its years (ASSUMPTION where a band straddles 5 or 18).
    """
    total = under5 = adults = 0.0
    problems = []
    for band in structure.bands:
        m = re.match(r"^\s*(\d+)\s*(?:to|-)\s*(\d+)", band.age)
        if not m or int(m.group(2)) < int(m.group(1)):
            problems.append(
                Problem(
                    file=structure.file,
                    feature=band.age,
                    field="age",
                    message="expected an age band 'A to B yo' with A <= B (years)",
                )
            )
            continue
        lo, hi = int(m.group(1)), int(m.group(2))
        people = band.male + band.female
        years = hi - lo + 1
        total += people
        under5 += people * max(0, min(hi, 4) - lo + 1) / years
        adults += people * max(0, hi - max(lo, 18) + 1) / years
    if problems:
        raise InputError(problems)
    if total <= 0:
        raise InputError(Problem(file=structure.file, field="age", message="expected age bands with people"))
    return under5 / total, adults / total


def _check_inputs(x: HealthInputs) -> tuple[int, int]:
    g = len(x.group_ids)
    share = np.asarray(x.intake_share_of_requirement)
    if share.ndim != 2 or share.shape[0] != g or share.shape[1] < 1:
        raise InputError(
            Problem(
                file="health inputs",
                field="intake_share_of_requirement",
                message=f"expected shape [groups={g}, days], got {share.shape}",
            )
        )
    t = share.shape[1]
    problems = []
    checks = {
        "people": (0, np.inf),
        "intake_share_of_requirement": (0, np.inf),
        "water_l_per_person_day": (0, np.inf),
        "people_per_latrine": (0, np.inf),
        "covered_m2_per_person": (0, np.inf),
        "under5_share": (0, 1),
        "adult_share": (0, 1),
    }
    for name, (lo, hi) in checks.items():
        a = np.asarray(getattr(x, name), dtype=float)
        try:
            np.broadcast_to(a if a.ndim == 2 else a.reshape(-1, 1), (g, t))
        except ValueError:
            problems.append(
                Problem(file="health inputs", field=name, message=f"expected shape [{g}] or [{g}, {t}], got {a.shape}")
            )
            continue
        if not np.all(np.isfinite(a)) or np.any(a < lo) or np.any(a > hi):
            problems.append(
                Problem(file="health inputs", field=name, message=f"expected finite values in [{lo}, {hi}]")
            )
    if np.any(np.asarray(x.under5_share) + np.asarray(x.adult_share) > 1 + 1e-9):
        problems.append(
            Problem(
                file="health inputs", field="under5_share/adult_share", message="expected under-5 + adult shares <= 1"
            )
        )
    for name in x.baseline:
        if name not in _BASELINES:
            problems.append(
                Problem(file="health inputs", field=f"baseline.{name}", message=f"expected one of {list(_BASELINES)}")
            )
    if problems:
        raise InputError(problems)
    return g, t


def _per_group(a: np.ndarray, g: int, t: int) -> np.ndarray:
    a = np.asarray(a, dtype=np.float32)
    return np.broadcast_to(a if a.ndim == 2 else a.reshape(-1, 1), (g, t))


def project_health(
    inputs: HealthInputs, data: HealthData | None = None, *, n_draws: int = 50, seed: int | None = 0
) -> HealthProjection:
    """Project the health indicators and threshold crossings of every group over ``n_draws`` parameter draws.

    ``n_draws = 0`` runs the central values only (one "draw"; its P10 = P50 = P90).
    """
    data = data or load_health_data()
    g, t = _check_inputs(inputs)
    p = data.parameters
    u = draw_quantiles(list(_DRAWN) + list(_CURVES), n_draws, seed)
    # Draw-by-group-by-day arrays are float32: prevalences and rates need no more, and it halves the memory
    # traffic that dominates the cost at 200 groups x 180 days x 50 draws.
    v = {name: p[name].at(u[name])[:, None, None].astype(np.float32) for name in _DRAWN}  # [D, 1, 1]
    d = len(u[_DRAWN[0]])

    share = _per_group(inputs.intake_share_of_requirement, g, t)

    # 1. adults' weight
    body, cshare = _adults(data)
    log_w = _adult_log_weight(data, body, cshare, share, v["physical_activity_level"][:, 0, 0])  # [D, G, T]
    adult_loss = 1.0 - np.exp(log_w)

    # 2. malnutrition
    mu0, sd0 = (
        a.astype(np.float32)[:, None]
        for a in fit_baseline_whz(
            _base(inputs, data, "baseline_gam_share", g), _base(inputs, data, "baseline_sam_share", g)
        )
    )
    m = _malnutrition(mu0, sd0, data, v, body, cshare, log_w, adult_loss, share)

    # 3. infection risk
    rr_dia, rr_ari = _infection_risk(inputs, data, {name: ndtri(u[name]) for name in _CURVES}, g, t)

    # 4. mortality (deaths per 10,000 per day)
    u5 = _per_group(inputs.under5_share, g, t)[None]
    adults = _per_group(inputs.adult_share, g, t)[None]
    u5dr0 = _baseline_rate(inputs, "baseline_u5dr_per_10k_day", v, g)
    cdr0 = _baseline_rate(inputs, "baseline_cdr_per_10k_day", v, g)
    u5dr, cdr = _mortality(v, m, rr_dia, rr_ari, u5, adults, u5dr0, cdr0, d, g)

    indicators = {
        "adult_weight_loss_share": adult_loss,
        "child_weight_loss_share": m.child_loss,
        "gam_share": m.gam,
        "sam_share": m.sam,
        "adult_bmi_below_18_5_share": m.bmi_18,
        "adult_bmi_below_16_share": m.bmi_16,
        "extreme_food_gap_share": m.gap,
        "rr_diarrhoea": rr_dia,
        "rr_ari": rr_ari,
        "starved_share": (np.maximum.accumulate(m.child_lethal, axis=-1) - m.child_lethal0) * u5
        + (np.maximum.accumulate(m.lethal, axis=-1) - m.lethal0) * adults,
        "u5dr_per_10k_day": u5dr,
        "cdr_per_10k_day": cdr,
    }
    baselines = {"cdr_per_10k_day": cdr0, "u5dr_per_10k_day": u5dr0}
    crossing_days, thresholds = _crossing_days(indicators, baselines, data)
    people = _per_group(inputs.people, g, t)[None]
    excess = np.asarray(np.sum((cdr - cdr0) * people, axis=-1, dtype=np.float64) / 1e4)  # [D, G]
    assumptions = sorted(
        {f"{k}: {p[k].label()}" for k in _DRAWN if p[k].assumption}
        | {f"{name}: {a.where}" for name, c in data.dose_response.items() for a in c.anchors if a.assumption}
    )
    return HealthProjection(
        group_ids=list(inputs.group_ids),
        n_days=t,
        indicators=indicators,
        crossing_days=crossing_days,
        thresholds=thresholds,
        excess_deaths_draws=excess,
        assumptions=assumptions,
    )


def _infection_risk(
    inputs: HealthInputs, data: HealthData, z: dict[str, np.ndarray], g: int, t: int
) -> tuple[np.ndarray, np.ndarray]:
    """RR of diarrhoea (water x latrines) and of acute respiratory infection (crowding): [D, G, T] each."""

    def rr(name: str) -> np.ndarray:
        return relative_risk(data.dose_response[name], _per_group(getattr(inputs, name), g, t), z[name])

    return rr("water_l_per_person_day") * rr("people_per_latrine"), rr("covered_m2_per_person")


def _baseline_rate(inputs: HealthInputs, key: str, drawn: dict[str, np.ndarray], g: int) -> np.ndarray:
    """A baseline death rate: the plan's per-group figure [1, G, 1] if given, else the drawn figure [D, 1, 1]."""
    if key in inputs.baseline:
        return _base(inputs, None, key, g)[None, :, None].astype(np.float32)
    return drawn[key]


def _base(inputs: HealthInputs, data: HealthData | None, key: str, g: int) -> np.ndarray:
    if key in inputs.baseline:
        a = np.broadcast_to(np.asarray(inputs.baseline[key], dtype=float), (g,))
        if not np.all(np.isfinite(a)) or np.any(a <= 0):
            raise InputError(
                Problem(file="health inputs", field=f"baseline.{key}", message="expected positive finite values")
            )
        return a
    assert data is not None
    return np.full(g, data.value(key))


def first_day(met: np.ndarray) -> np.ndarray:
    """First day index along the last axis where ``met`` holds; -1 where never."""
    any_ = met.any(axis=-1)
    return np.where(any_, met.argmax(axis=-1), -1)


def day_percentiles(days: np.ndarray) -> np.ndarray:
    """P10/P50/P90 over draws (axis 0) of first-crossing days, -1 (never) ranked after the horizon: [3, ...].

    Inverted-CDF percentiles, so each is a day some draw actually crossed on; -1 in the result = not met
    within the horizon in that share of draws.
    """
    never = np.iinfo(np.int64).max
    ranked = np.sort(np.where(days < 0, never, days), axis=0)
    n = ranked.shape[0]
    idx = [max(int(np.ceil(q / 100 * n)) - 1, 0) for q in PERCENTILES]
    out = ranked[idx]
    return np.where(out == never, -1, out)


def _crossing_days(
    ind: dict[str, np.ndarray], baselines: dict[str, np.ndarray], data: HealthData
) -> tuple[dict[str, np.ndarray], dict[str, ThresholdInfo]]:
    met: dict[str, np.ndarray] = {}
    info: dict[str, ThresholdInfo] = {}
    for name, th in data.thresholds.items():
        x = ind[th.indicator]
        if th.rule == ">=":
            met[name] = x >= th.value
            limit = f">= {th.value:g}"
        else:
            met[name] = x >= th.value * baselines[th.indicator]
            limit = f">= {th.value:g} x baseline"
        info[name] = ThresholdInfo(indicator=th.indicator, limit=limit, source=f"{th.where} [{th.source}]")
    # IPC area Famine: all three outcomes at once (mortality by crude or under-5 rate)
    met["ipc5_famine"] = met["ipc5_food_gap"] & met["ipc5_gam"] & (met["ipc5_cdr"] | met["ipc5_u5dr"])
    info["ipc5_famine"] = ThresholdInfo(
        indicator="ipc5_food_gap & ipc5_gam & (ipc5_cdr | ipc5_u5dr)",
        limit="food gap, GAM and mortality thresholds all met the same day",
        source="IPC 3.1 area classification Famine (Phase 5) [ipc2021]",
    )
    return {name: first_day(m) for name, m in met.items()}, info
