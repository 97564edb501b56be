"""What the plan's shortfalls do to people's health, per group and location: a risk projection with its range.

From the supply plan: each group's and location's food delivered as a share of its energy requirement, water
delivered per person per day, people per latrine (camp layouts, or the standard ratio) and covered space (tents
delivered, or still owed). These feed ``solvers.health`` (Hall et al. 2011 energy balance, WHO growth standards,
WASH dose-response, Sphere and IPC thresholds; docs/health.md), over parameter draws.

Also "how long can it hold": per group, the first day each standard is short and each health threshold is
projected to be crossed (P10/P50/P90), and what fails first.

RISK PROJECTIONS, NOT PREDICTIONS: figures are ranges over declared parameter uncertainty, for the aid-dependent
people of each group and location.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..plan import Indicator
from ..plan_health import GroupSummary, Health, Hold
from ..scenario._healthdata import HealthSpec, load_health_data
from ..scenario.folder import Scenario
from ..solvers.health import (
    STATEMENT,
    THRESHOLD_WORDS,
    HealthInputs,
    HealthProjection,
    age_shares,
    project_health,
)
from ..solvers.layout import CampLayout
from ..solvers.supply import Site
from ..standards import Standards
from .deliveries import Deliveries
from .presence import Presence
from .verdict import indicator

#: under-5 and adult shares when the scenario gives no age structure (ASSUMPTION, Gaza-like: Checchi et al. 2024)
_DEFAULT_AGE_SHARES = (0.151, 0.533)
#: indicators whose P10/P50/P90 by day go into plan.json per group
SERIES = (
    "adult_weight_loss_share",
    "child_weight_loss_share",
    "gam_share",
    "sam_share",
    "adult_bmi_below_18_5_share",
    "extreme_food_gap_share",
    "rr_diarrhoea",
    "rr_ari",
    "cdr_per_10k_day",
    "u5dr_per_10k_day",
)


@dataclass
class Exposures:
    """Per location, group and day [L, G, T]: what the health model is fed."""

    intake_share: np.ndarray  # kcal had / kcal required
    water_l: np.ndarray  # L/person/day
    people_per_latrine: np.ndarray
    covered_m2: np.ndarray  # covered m2/person
    people: np.ndarray  # people present (0 where the supply plan does not feed them)
    dependent: np.ndarray  # of them, aid-dependent


@dataclass
class PlanHealth:
    groups: HealthProjection | None
    locations: HealthProjection | None
    block: Health  # plan.json `health`
    verdict: list[Indicator]


def _coverage(d: Deliveries, commodity: str) -> np.ndarray | None:
    """Share of need met [L, T] at each location (1 where nothing is needed)."""
    ids = d.sustain.commodity_ids
    return d.sustain.coverage[ids.index(commodity)] if commodity in ids else None


def _water_t(site: Site, days: int) -> np.ndarray:
    """A supply location's water need by day (t), all its groups."""
    return sum((np.asarray(g.get("water", 0.0)) for g in site.groups.values()), np.zeros(days))


def _water_need_l_pp(pres: Presence, d: Deliveries, standard_l: float) -> np.ndarray:
    """Water need per aid-dependent person at each location and day [L, T] (L/person/day): the supply plan's
    (the standard, plus heat where declared); the standard where nobody depends on aid."""
    L, _, T = pres.people.shape
    need_w = np.zeros((L, T))
    dep_loc = pres.dependent.sum(axis=1)
    if d.areas is None:
        where = {lid: i for i, lid in enumerate(pres.location_ids)}
        for site in d.instance.sites:
            if site.id not in where:  # a supply location where no one lives (e.g. `fuel:uses`, a hub)
                continue
            need_w[where[site.id]] = _water_t(site, T)
    else:  # an area's water need shared by its members in proportion to their aid-dependent people
        by_id = {x.id: x for x in d.instance.sites}
        area_w = np.array([_water_t(by_id[a], T) for a in d.areas.presence.location_ids]).reshape(-1, T)
        area_dep = d.areas.presence.dependent.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            per_dep = np.where(area_dep > 0, area_w / np.where(area_dep > 0, area_dep, 1.0), 0.0)
        member = d.areas.area_of >= 0
        need_w[member] = per_dep[d.areas.area_of[member]] * dep_loc[member]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(dep_loc > 0, need_w * 1000.0 / np.where(dep_loc > 0, dep_loc, 1.0), standard_l)


def _sanitation(
    pres: Presence,
    people: np.ndarray,
    layouts: list[CampLayout],
    spec: HealthSpec,
    std: Standards,
    shelter: np.ndarray,
    dep_share: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(people per latrine, covered m2 per person) [L, G, T] by where people are: a camp's layout latrines (the
    acute ratio without layouts) and its tents as delivered (``shelter``: share of those owed [L, T]); overflow land
    and the area being emptied ``health.open_land``; everyone else ``health.home``."""
    L, G, T = people.shape
    home, open_land = spec.home, spec.open_land
    latrine = np.full((L, G, T), home.people_per_latrine)
    covered = np.full((L, G, T), home.covered_m2_per_person)
    kinds = np.array(pres.kinds)
    gi = {g: i for i, g in enumerate(pres.groups)}
    tent_m2 = std.value("covered_area_m2_per_person")
    tented = shelter * tent_m2 + (1.0 - shelter) * spec.uncovered_m2_per_person
    camp = kinds == "site"
    land = (kinds == "site") | (kinds == "zone_land")
    s, o = gi["sheltered"], gi["overflow"]
    latrines_at = {lay.summary.site_id: lay.summary.latrines for lay in layouts}
    camp_ids = np.array(pres.location_ids)[camp]
    camp_people = people[camp][:, s, :]
    per_latrine = np.full(camp_people.shape, std.value("people_per_latrine_acute"))
    for k, sid in enumerate(camp_ids):
        n = latrines_at.get(sid)
        if n:
            per_latrine[k] = np.maximum(camp_people[k], 1.0) / n
    latrine[camp, s, :] = per_latrine
    covered[camp, s, :] = tented[camp]
    latrine[land, o, :] = open_land.people_per_latrine
    covered[land, o, :] = np.minimum(tented[land], open_land.covered_m2_per_person)
    # people who remain in the area being emptied: no planned sanitation either
    latrine[kinds == "zone", o, :] = open_land.people_per_latrine
    # the non-dependent part of each cell keeps the home figures: geometric blend (the curves are log-log)
    latrine = np.exp(dep_share * np.log(latrine) + (1.0 - dep_share) * np.log(home.people_per_latrine))
    covered = np.exp(dep_share * np.log(covered) + (1.0 - dep_share) * np.log(home.covered_m2_per_person))
    return latrine, covered


def exposures(
    sc: Scenario, pres: Presence, d: Deliveries, layouts: list[CampLayout], spec: HealthSpec, kcal_pp: float
) -> Exposures:
    """Food, water, sanitation and covered space per location, group and day, from the supply plan.

    Aid-dependent people get the location's share of their need; the others (declared not aid-dependent) are
    counted at their requirement and at the home figures (``health.home``). People in a camp share its layout's
    latrines (the standard's acute ratio without layouts); people on overflow land have ``health.open_land``'s;
    everyone else (homes, people waiting to move) ``health.home``'s. Movers who arrived have the standard's covered
    area once their tents are delivered and ``uncovered_m2_per_person`` while still owed them.
    """
    std = sc.standards
    people = pres.people.astype(float)  # [L, G, T]
    L, G, T = people.shape
    with np.errstate(divide="ignore", invalid="ignore"):
        dep_share = np.where(people > 0, pres.dependent / np.where(people > 0, people, 1.0), 0.0)
    # presence order -> supply order (a location's supply area when grouped); locations the supply plan does not
    # feed (e.g. people still abroad) are left out of the projection (weight 0)
    rows = d.rows(pres)
    fed = rows >= 0
    people = np.where(fed[:, None, None], people, 0.0)

    def cov(commodity: str) -> np.ndarray:
        c = _coverage(d, commodity)
        return np.ones((L, T)) if c is None else np.where(fed[:, None], np.clip(c[np.maximum(rows, 0)], 0.0, 1.0), 1.0)

    need_l_pp = _water_need_l_pp(pres, d, std.value("water_l_per_person_day"))  # [L, T]
    food = cov("food")[:, None, :]
    water = cov("water")[:, None, :]
    intake = dep_share * food + (1.0 - dep_share)
    water_l = dep_share * water * need_l_pp[:, None, :] + (1.0 - dep_share) * std.value("water_l_per_person_day")

    latrine, covered = _sanitation(pres, people, layouts, spec, std, cov("shelter_nfi"), dep_share)
    if spec.other_kcal_per_person_day:  # food outside the plan (stocks, markets, gardens), for everyone
        intake = intake + spec.other_kcal_per_person_day / kcal_pp
    return Exposures(
        intake_share=intake,
        water_l=water_l,
        people_per_latrine=latrine,
        covered_m2=covered,
        people=people,
        dependent=np.where(fed[:, None, None], pres.dependent, 0.0),
    )


def _by_area(ex: Exposures, area_of: np.ndarray, n: int) -> Exposures:
    """Exposures per supply area [areas, G, T]: people summed, each exposure the people-weighted mean of its
    members' (geometric for latrines and covered space, as `_mean`), so a projection per area is the one a single
    location holding the area's people would get."""
    member = np.flatnonzero(area_of >= 0)
    L, G, T = ex.people.shape
    agg = sp.csr_array((np.ones(member.size), (area_of[member], member)), shape=(n, L))
    w = ex.people

    def total(a: np.ndarray) -> np.ndarray:
        return (agg @ a.reshape(L, G * T)).reshape(n, G, T)

    people = total(w)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(people > 0, 1.0 / np.where(people > 0, people, 1.0), 0.0)

    def mean(x: np.ndarray) -> np.ndarray:
        return total(x * w) * inv

    def gmean(x: np.ndarray) -> np.ndarray:
        return np.exp(mean(np.log(np.maximum(x, 1e-9))))

    return Exposures(
        intake_share=mean(ex.intake_share),
        water_l=mean(ex.water_l),
        people_per_latrine=gmean(ex.people_per_latrine),
        covered_m2=gmean(ex.covered_m2),
        people=people,
        dependent=total(ex.dependent),
    )


def _mean(x: np.ndarray, w: np.ndarray, axis: int, *, log: bool = False) -> np.ndarray:
    """People-weighted mean over an axis (geometric for exposures on log-log curves); 1 where nobody is."""
    tot = w.sum(axis=axis)
    v = np.log(np.maximum(x, 1e-9)) if log else x
    with np.errstate(divide="ignore", invalid="ignore"):
        m = np.where(tot > 0, (v * w).sum(axis=axis) / np.where(tot > 0, tot, 1.0), np.nan)
    return np.exp(m) if log else m


def _fill(a: np.ndarray, value: float) -> np.ndarray:
    return np.where(np.isfinite(a), a, value)


def _inputs(
    ids: list[str], ex: Exposures, axis: int, sc: Scenario, spec: HealthSpec, keep: np.ndarray, u5: float, adult: float
) -> HealthInputs:
    """HealthInputs over groups (axis 0 summed: locations) or locations (axis 1: groups), for rows ``keep``."""
    w = ex.people
    home = spec.home
    intake = _fill(_mean(ex.intake_share, w, axis), 1.0)[keep]
    water = _fill(_mean(ex.water_l, w, axis), sc.standards.value("water_l_per_person_day"))[keep]
    latrine = _fill(_mean(ex.people_per_latrine, w, axis, log=True), home.people_per_latrine)[keep]
    covered = _fill(_mean(ex.covered_m2, w, axis, log=True), home.covered_m2_per_person)[keep]
    n = len(ids)
    baseline = {f"baseline_{k}": np.full(n, v) for k, v in spec.baseline.items()}
    return HealthInputs(
        group_ids=ids,
        people=w.sum(axis=axis)[keep],
        intake_share_of_requirement=intake,
        water_l_per_person_day=water,
        people_per_latrine=latrine,
        covered_m2_per_person=covered,
        under5_share=np.full(n, u5),
        adult_share=np.full(n, adult),
        baseline=baseline,
    )


def _group_food(d: Deliveries) -> dict[str, np.ndarray]:
    """Per group, kcal had / kcal needed by day for its aid-dependent people (1 where nothing is needed)."""
    ids = d.sustain.commodity_ids
    if "food" not in ids:
        return {}
    f = ids.index("food")
    out = {}
    for g, gs in d.sustain.groups.items():
        need, had = gs.need_t[f], gs.consumed_t[f]
        with np.errstate(divide="ignore", invalid="ignore"):
            out[g] = np.where(need > 0, had / np.where(need > 0, need, 1.0), 1.0)
    return out


def plan_health(
    sc: Scenario, pres: Presence, d: Deliveries, layouts: list[CampLayout], kcal_pp: float, *, by_location: bool = True
) -> PlanHealth:
    """The health layer of a plan: projections per group (and per location), plan.json `health`, verdict rows.

    A group's food is the supply plan's group figure (exact under priority sharing too); a location's is its
    share of need met; water, sanitation and covered space as in `exposures`. by_location: False leaves out the
    per-location projection (ensemble members, which keep totals only).
    """
    spec = sc.health
    data = load_health_data(spec.parameters, source_file=str(sc.folder / "scenario.yaml"))
    ex = exposures(sc, pres, d, layouts, spec, kcal_pp)
    if sc.population_structure is not None and sc.population_structure.bands:
        u5, adult = age_shares(sc.population_structure)
        age_note = f"under-5 {u5:.1%} and adult (>= 18 y) {adult:.1%} shares from the scenario's age/sex structure"
    else:
        u5, adult = _DEFAULT_AGE_SHARES
        age_note = (
            f"ASSUMPTION: under-5 {u5:.1%}, adults {adult:.1%} (Gaza, Checchi et al. 2024); the scenario "
            "gives no age/sex structure"
        )
    people_g = ex.people.sum(axis=0)  # [G, T]
    keep_g = people_g.max(axis=1) > 0
    g_ids = [g for g, k in zip(pres.groups, keep_g) if k]
    gin = _inputs(g_ids, ex, 0, sc, spec, keep_g, u5, adult)
    food = _group_food(d)
    share = np.array(gin.intake_share_of_requirement, dtype=float)
    for i, g in enumerate(g_ids):
        if g in food:
            k = pres.group(g)
            dep = ex.dependent[:, k, :].sum(axis=0)
            n = people_g[k]
            with np.errstate(divide="ignore", invalid="ignore"):
                share[i] = (
                    np.where(n > 0, (dep * np.clip(food[g], 0.0, None) + (n - dep)) / np.where(n > 0, n, 1.0), 1.0)
                    + spec.other_kcal_per_person_day / kcal_pp
                )
    gin = HealthInputs(**{**gin.__dict__, "intake_share_of_requirement": share})
    groups = project_health(gin, data, n_draws=spec.draws, seed=spec.seed)
    locations = None
    if spec.by_location and by_location:
        ex_l, loc_ids = ex, pres.location_ids
        if d.areas is not None:  # national scale: one projection per supply area (supply_areas.py), not per zone
            loc_ids = d.areas.presence.location_ids
            ex_l = _by_area(ex, d.areas.area_of, len(loc_ids))
        people_l = ex_l.people.sum(axis=1)
        keep_l = people_l.max(axis=1) > 0
        l_ids = [lid for lid, k in zip(loc_ids, keep_l) if k]
        if l_ids:
            locations = project_health(
                _inputs(l_ids, ex_l, 1, sc, spec, keep_l, u5, adult), data, n_draws=spec.draws, seed=spec.seed
            )
    block = _block(groups, locations, gin, spec, age_note)
    if locations is not None and d.areas is not None:
        block.locations_note = (
            "per supply area (supply.areas): the projection of the area's people together, from the "
            "people-weighted mean of its members' exposures; not per zone or camp"
        )
    return PlanHealth(
        groups=groups, locations=locations, block=block, verdict=health_indicators(groups, sc.horizon_days)
    )


def _round(a: np.ndarray, nd: int = 4) -> list[float]:
    return [round(x, nd) for x in np.asarray(a, dtype=float).tolist()]


def _block(
    groups: HealthProjection, locations: HealthProjection | None, gin: HealthInputs, spec: HealthSpec, age_note: str
) -> Health:
    """plan.json `health`: per group the series (P10/P50/P90 by day), crossings, excess deaths as intervals; per
    location what is crossed first."""
    summary = groups.to_dict(series=False)
    pct = {name: groups.percentiles(name) for name in SERIES}  # [3, G, T] each, once
    series = {
        name: {
            gid: {f"p{q}": _round(p[j, i]) for j, q in enumerate((10, 50, 90))}
            for i, gid in enumerate(groups.group_ids)
        }
        for name, p in pct.items()
    }
    last = {
        name: {
            gid: {f"p{q}": round(float(p[j, i, -1]), 4) for j, q in enumerate((10, 50, 90))}
            for i, gid in enumerate(groups.group_ids)
        }
        for name, p in pct.items()
    }
    inputs = {
        gid: {
            "intake_share_of_requirement": _round(
                np.broadcast_to(gin.intake_share_of_requirement, (len(gin.group_ids), groups.n_days))[i], 3
            ),
            "water_l_per_person_day": _round(
                np.broadcast_to(gin.water_l_per_person_day, (len(gin.group_ids), groups.n_days))[i], 2
            ),
            "people_per_latrine": _round(
                np.broadcast_to(gin.people_per_latrine, (len(gin.group_ids), groups.n_days))[i], 1
            ),
            "covered_m2_per_person": _round(
                np.broadcast_to(gin.covered_m2_per_person, (len(gin.group_ids), groups.n_days))[i], 2
            ),
        }
        for i, gid in enumerate(gin.group_ids)
    }
    out: dict[str, Any] = {
        "statement": STATEMENT + " Figures are for the aid-dependent people of each group and location, from what "
        "the supply plan delivers to them.",
        "draws": summary["draws"],
        "days": summary["days"],
        "seed": spec.seed,
        "crossings": summary["crossings"],
        "hold": summary["hold"],
        "excess_deaths": summary["excess_deaths"],
        "last_day": last,
        "series": series,
        "inputs": inputs,
        "assumptions": [
            age_note,
            spec.home.source,
            spec.open_land.source,
            f"ASSUMPTION: people still owed a tent have {spec.uncovered_m2_per_person:g} m2 covered each "
            "(open air or makeshift shelter)",
            "latrines in a camp: its layout's (the standard's acute ratio without layouts); latrines are "
            "built, not delivered, in this plan",
        ]
        + summary["assumptions"],
        "not_modelled": summary["not_modelled"],
    }
    if locations is not None:
        hold = locations.hold_days()
        out["locations"] = {
            lid: (
                None
                if c is None
                else {"threshold": c.threshold, "day_p10": c.day_p10, "day_p50": c.day_p50, "day_p90": c.day_p90}
            )
            for lid, c in hold.items()
        }
        out["locations_crossed"] = [c.__dict__ for c in locations.crossings if c.day_p10 is not None]
    return Health.model_validate(out)


def health_indicators(p: HealthProjection, horizon_days: int) -> list[Indicator]:
    """One verdict row per group and threshold: the day the threshold is projected to be crossed (median over
    draws), against the horizon; met when it is not crossed within the horizon at the median."""
    out = []
    for c in p.crossings:
        if c.threshold not in THRESHOLD_WORDS:  # one verdict row per group and named threshold
            continue
        value = float(horizon_days if c.day_p50 is None else c.day_p50)
        if c.day_p10 is None:
            note = f"not crossed within {horizon_days} days in any draw"
        else:
            note = (
                f"projected to be crossed from day {_day(c.day_p50, horizon_days)} (P10-P90: day {c.day_p10} to "
                f"{_day(c.day_p90, horizon_days)}) in {c.share_of_draws:.0%} of {p.n_draws or 1} draws"
            )
        out.append(
            indicator(
                f"health_{c.threshold}",
                f"group:{c.group_id}",
                value,
                float(horizon_days),
                "day first crossed (P50)",
                ">=",
                c.source,
                note=f"{c.indicator} {c.limit}: {note}; risk projection, not a prediction",
            )
        )
    return out


def _day(day: int | None, horizon: int) -> str:
    return f"beyond {horizon - 1}" if day is None else str(day)


def hold(groups_summary: list[GroupSummary], health: HealthProjection | None, horizon_days: int) -> Hold:
    """ "How long can it hold": per group, the first day each standard falls short and each health threshold is
    projected to be crossed (P10/P50/P90), and what fails first; over all groups, the earliest of each."""
    out: dict[str, Any] = {"horizon_days": horizon_days, "groups": {}, "first_standard": None, "first_health": None}
    crossings = {} if health is None else {(c.group_id, c.threshold): c for c in health.crossings}
    for g in groups_summary:
        gid = g.group
        standards = dict(g.first_shortfall_day)
        first_std = min(((v, k) for k, v in standards.items() if v is not None), default=None)
        th = {
            name: {
                "day_p10": c.day_p10,
                "day_p50": c.day_p50,
                "day_p90": c.day_p90,
                "share_of_draws": round(c.share_of_draws, 3),
            }
            for (grp, name), c in crossings.items()
            if grp == gid
        }
        first_h = min(
            ((c["day_p50"], c["day_p10"] or 0, name) for name, c in th.items() if c["day_p50"] is not None),
            default=None,
        )
        out["groups"][gid] = {
            "standards": standards,
            "health": th,
            "first_standard": None if first_std is None else {"standard": first_std[1], "day": first_std[0]},
            "first_health": None
            if first_h is None
            else {"threshold": first_h[2], **{k: th[first_h[2]][k] for k in ("day_p10", "day_p50", "day_p90")}},
        }
        rec = out["groups"][gid]
        if rec["first_standard"] and (
            out["first_standard"] is None or rec["first_standard"]["day"] < out["first_standard"]["day"]
        ):
            out["first_standard"] = {"group": gid, **rec["first_standard"]}
        if rec["first_health"] and (
            out["first_health"] is None or rec["first_health"]["day_p50"] < out["first_health"]["day_p50"]
        ):
            out["first_health"] = {"group": gid, **rec["first_health"]}
    return Hold.model_validate(out)
