"""Distribution points: daily throughput, queue and walking time, and where to put a declared number.

A distribution point has `servers` counters (lines) open `hours_per_day`; each counter serves
`collections_per_server_h` collections an hour. One collection supplies `people_per_collection`
people (a household, when one member collects for it) for `interval_days` days (1 for daily water or
bread, 14 for a fortnightly food parcel). So a point keeps supplied

    people_capacity = servers x collections_per_server_h x hours_per_day x people_per_collection x interval_days

and the people it serves arrive at  lambda = people / (people_per_collection x interval_days) / hours_per_day
collections per hour, spread over the opening hours.

Queue time (`queue`):
* utilisation rho = lambda / (servers x mu) < 1: the mean wait of the M/M/c queue (Erlang C; Gross, Shortle,
  Thompson & Harris, *Fundamentals of Queueing Theory*, 4th ed., Wiley 2008, section 2.3), scaled by the
  Allen-Cunneen factor (1 + cv_s^2) / 2 for a service time with coefficient of variation cv_s (Allen,
  *Probability, Statistics and Queueing Theory*, 2nd ed., Academic Press 1990, section 6.2; exact for
  M/M/c at cv_s = 1, and the usual G/G/c approximation otherwise). Collectors who come independently of
  one another over the opening hours are a Poisson stream, which is what the M in M/M/c assumes.
* rho >= 1: no steady state exists, and the deterministic fluid queue over one opening day is used
  (a lower bound: randomness only adds to it)
  (Newell, *Applications of Queueing Theory*, 2nd ed., Chapman & Hall 1982, ch. 2): with arrivals at rate
  lambda over H hours and service at c x mu, the queue grows at lambda - c x mu; the collectors served are
  those who arrived in the first H c mu / lambda hours, their mean wait is H (lambda - c mu) / (2 lambda), the
  last served waited H (lambda - c mu) / lambda, and (lambda - c mu) H collections a day are not served.
Not modelled (said in the output): arrival peaks at opening (queues formed before the doors open),
people turned away coming back the next day, and crowd safety.

Placement (`place_points`) reuses the siting engine: zones are clients (people), candidate points are
facilities whose capacity is `max_utilisation` x their people capacity (a design utilisation: near 1 the
stationary queue grows without bound), the cost is walking time x people, and exactly `n_points` open.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import shapely

from .._errors import InputError, Problem
from .siting import SitingInstance, SitingResult, default_unmet_penalty, solve_siting


@dataclass(frozen=True)
class PointService:
    """How one distribution point works (every figure from data/delivery.yaml or the scenario)."""

    servers: int
    collections_per_server_h: float
    hours_per_day: float
    people_per_collection: float = 1.0
    interval_days: float = 1.0
    service_cv: float = 1.0  # coefficient of variation of one collection's service time

    def problems(self, file: str = "<service>", feature: str | None = None) -> list[Problem]:
        """Every out-of-range figure (servers a whole number >= 1, rates and hours > 0, hours <= 24)."""
        out: list[Problem] = []
        if isinstance(self.servers, bool) or int(self.servers) != self.servers or self.servers < 1:
            out.append(Problem(file, f"expected a whole number >= 1, got {self.servers!r}", feature, "servers"))
        for name in ("collections_per_server_h", "hours_per_day", "people_per_collection", "interval_days"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
                out.append(Problem(file, f"expected a number > 0, got {v!r}", feature, name))
        if isinstance(self.hours_per_day, int | float) and self.hours_per_day > 24:
            out.append(
                Problem(file, f"expected at most 24 hours a day, got {self.hours_per_day:g}", feature, "hours_per_day")
            )
        if not (isinstance(self.service_cv, int | float) and math.isfinite(self.service_cv) and self.service_cv >= 0):
            out.append(Problem(file, f"expected a number >= 0, got {self.service_cv!r}", feature, "service_cv"))
        return out


def collections_per_day(svc: PointService) -> float:
    """Collections one point can serve in a day: servers x rate x opening hours."""
    return svc.servers * svc.collections_per_server_h * svc.hours_per_day


def people_capacity(svc: PointService) -> float:
    """People one point keeps supplied: collections a day x people per collection x days one lasts."""
    return collections_per_day(svc) * svc.people_per_collection * svc.interval_days


@dataclass(frozen=True)
class QueueResult:
    """Queue at points serving `people` (arrays, one value per point).

    utilisation: arrival rate / service capacity. wait_mean_min: mean wait of those served (M/M/c with
    the Allen-Cunneen factor below utilisation 1, fluid above). wait_max_min: the fluid model's last
    served collector (0 below utilisation 1, where the stationary queue has no maximum). unserved_per_day:
    collections a day beyond the point's capacity. method: 'erlang_c' or 'fluid' per point.
    """

    utilisation: np.ndarray
    wait_mean_min: np.ndarray
    wait_max_min: np.ndarray
    unserved_per_day: np.ndarray
    method: list[str]


def erlang_c(servers: np.ndarray, offered_erlangs: np.ndarray) -> np.ndarray:
    """Probability that an arrival waits in M/M/c (Erlang C), by the stable Erlang B recursion.

    servers: c per point; offered_erlangs: a = lambda / mu per point, a < c (else 1.0 is returned).
    """
    c = np.asarray(servers, dtype=np.int64)
    a = np.asarray(offered_erlangs, dtype=float)
    b = np.ones_like(a)
    for k in range(1, int(c.max(initial=0)) + 1):
        nb = a * b / (k + a * b)
        b = np.where(k <= c, nb, b)  # Erlang B(k, a) up to each point's own c
    rho = a / np.maximum(c, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        pw = b / (1.0 - rho * (1.0 - b))
    return np.where(rho < 1.0, pw, 1.0)


def queue(people: np.ndarray, svc: PointService) -> QueueResult:
    """Queue at points that each serve `people` (array), all working as `svc`."""
    p = np.asarray(people, dtype=float)
    H = svc.hours_per_day
    lam = p / (svc.people_per_collection * svc.interval_days) / H  # collections per hour
    mu = svc.collections_per_server_h
    c = np.full(p.shape, int(svc.servers))
    cap = c * mu
    rho = lam / cap
    pw = erlang_c(c, lam / mu)
    with np.errstate(divide="ignore", invalid="ignore"):
        wq_h = np.where(rho < 1.0, pw / (cap - lam), 0.0) * (1.0 + svc.service_cv**2) / 2.0
        over = rho >= 1.0
        fluid_mean_h = np.where(over, H * (lam - cap) / (2.0 * lam), 0.0)
        fluid_max_h = np.where(over, H * (lam - cap) / lam, 0.0)
    wait_mean = np.where(over, fluid_mean_h, wq_h) * 60.0
    return QueueResult(
        rho,
        wait_mean,
        fluid_max_h * 60.0,
        np.where(over, (lam - cap) * H, 0.0),
        ["fluid" if o else "erlang_c" for o in np.atleast_1d(over)],
    )


def walking_time_s(distance_m: np.ndarray, speed_m_s: float) -> np.ndarray:
    """One-way walking time (s) over `distance_m` at `speed_m_s` (e.g. the walk profile's 0.833 m/s)."""
    if not (math.isfinite(speed_m_s) and speed_m_s > 0):
        raise InputError(Problem("<walk>", f"expected a speed > 0 m/s, got {speed_m_s!r}", None, "speed_m_s"))
    return np.asarray(distance_m, dtype=float) / speed_m_s


def locations_outside_zones(lon: np.ndarray, lat: np.ndarray, zones: list[shapely.Geometry]) -> np.ndarray:
    """Boolean mask of the points (WGS84) that lie in no zone polygon (boundary counts as inside)."""
    area = shapely.union_all([z for z in zones if z is not None])
    return ~shapely.intersects_xy(area, np.asarray(lon, float), np.asarray(lat, float))


def zone_problems(
    ids: list[str], lon: np.ndarray, lat: np.ndarray, zones: list[shapely.Geometry], *, file: str, kind: str
) -> list[Problem]:
    """One Problem per point outside every zone ('a hub or point outside every zone' is bad input)."""
    out = locations_outside_zones(lon, lat, zones)
    return [
        Problem(
            file,
            f"({float(lon[k]):.5f}, {float(lat[k]):.5f}) lies in no zone; expected a location "
            "inside the territory's zones",
            f"{kind}[{k}] ({ids[k]})",
            "geometry",
        )
        for k in np.flatnonzero(out)
    ]


# --------------------------------------------------------------------------------------- placement


@dataclass(frozen=True)
class Placement:
    """Outcome of `place_points`: which candidates open, who walks where, and the queues there.

    assign_zone, assign_point, assign_people: sparse triples (zone index, candidate index, people).
    people_per_point: per candidate (0 where closed). unreached_people: per zone, people with no open point
    within the walking limit or its capacity. walk_*: one-way walking time of the people placed,
    weighted by people. queue: at the open points. siting: status/gap of the placement solve.
    """

    open_ids: list[str]
    open_mask: np.ndarray
    assign_zone: np.ndarray
    assign_point: np.ndarray
    assign_people: np.ndarray
    people_per_point: np.ndarray
    unreached_people: np.ndarray
    walk_mean_min: float
    walk_p90_min: float
    walk_max_min: float
    queue: QueueResult
    people_capacity_per_point: float
    siting: dict[str, Any] = field(default_factory=dict)
    not_modelled: list[str] = field(default_factory=list)


NOT_MODELLED = [
    "arrival peaks at opening (queues formed before the doors open): waits assume arrivals spread over the hours",
    "people turned away returning the next day (an over-full point's unserved collections are counted, not carried)",
    "crowd safety and protection risks at large points",
]


def place_points(
    zone_people: np.ndarray,
    walk_s: np.ndarray,
    n_points: int,
    svc: PointService,
    *,
    max_utilisation: float,
    point_ids: list[str] | None = None,
    max_walk_s: float | None = None,
    time_limit_s: float = 30.0,
    file: str = "<points>",
) -> Placement:
    """Open exactly `n_points` of the candidate points so that people walk least; report walk and queues.

    zone_people: people per zone (n_zones,). walk_s: one-way walking time zone -> candidate (n_zones,
    n_candidates); np.inf = no path. Each open point keeps at most max_utilisation x `people_capacity(svc)`
    people supplied; people beyond every open point's capacity or walking limit are `unreached_people`,
    never dropped.
    """
    people = np.asarray(zone_people, dtype=float)
    w = np.asarray(walk_s, dtype=float)
    n_z, n_c = w.shape if w.ndim == 2 else (0, 0)
    ids = point_ids if point_ids is not None else [f"p{j}" for j in range(n_c)]
    probs = _input_problems(people, w, n_points, svc, max_utilisation, ids, file)
    if probs:
        raise InputError(probs)
    cap = people_capacity(svc) * float(max_utilisation)
    allowed = np.isfinite(w) if max_walk_s is None else np.isfinite(w) & (w <= max_walk_s)
    cost = np.where(allowed, w, 0.0) * people[:, None]
    inst = SitingInstance(
        list(ids),
        np.full(n_c, cap),
        np.zeros(n_c),
        [f"z{i}" for i in range(n_z)],
        people,
        np.where(allowed, cost, np.inf),
        allowed=allowed,
        min_open=int(n_points),
        max_open=int(n_points),
        unmet_penalty=default_unmet_penalty(np.where(allowed, cost, np.nan), people),
    )
    sited = solve_siting(inst, time_limit_s=time_limit_s, file=file)
    res, rounds = _relocate(inst, sited, sited, file, "relocation")
    # a second start for the relocation: the greedy uncapacitated placement (Kuehn & Hamburger 1963)
    greedy = _allocate(inst, _greedy_open(people, np.where(allowed, w, np.inf), int(n_points)), file)
    if sited.status != "infeasible" and greedy.status == "optimal":
        other, r2 = _relocate(inst, _against(greedy, sited, "greedy start"), sited, file, "greedy start + relocation")
        rounds += r2
        if other.objective < res.objective * (1 - 1e-9):
            res = other
    return _placement(res, w, ids, svc, rounds)


def _input_problems(
    people: np.ndarray,
    w: np.ndarray,
    n_points: int,
    svc: PointService,
    max_utilisation: float,
    ids: list[str],
    file: str,
) -> list[Problem]:
    """The service's problems, then a walking matrix, point count, utilisation or ids that do not fit."""
    n_c = w.shape[1] if w.ndim == 2 else 0
    probs = svc.problems(file)
    if w.ndim != 2 or w.shape[0] != people.size:
        probs.append(
            Problem(file, f"expected a {people.size} x n_candidates matrix, got shape {w.shape}", None, "walk_s")
        )
    if isinstance(n_points, bool) or int(n_points) != n_points or not 1 <= n_points <= max(n_c, 1):
        probs.append(
            Problem(
                file, f"expected a whole number from 1 to {n_c} (the candidates), got {n_points!r}", None, "n_points"
            )
        )
    if not (isinstance(max_utilisation, int | float) and 0 < max_utilisation <= 1):
        probs.append(Problem(file, f"expected a share in (0, 1], got {max_utilisation!r}", None, "max_utilisation"))
    if len(ids) != n_c:
        probs.append(Problem(file, f"expected {n_c} point ids, got {len(ids)}", None, "point_ids"))
    return probs


def _placement(res: SitingResult, w: np.ndarray, ids: list[str], svc: PointService, rounds: int) -> Placement:
    """The chosen siting as points opened, each zone's point, people per point, walks, queues and solver figures."""
    zi, pj, pp = res.assign_client, res.assign_facility, res.assign_people
    per_point = np.bincount(pj, weights=pp, minlength=len(ids))
    mean, p90, mx = _walk_minutes(w[zi, pj] / 60.0, pp)
    opened = res.open_mask.copy()
    return Placement(
        [ids[j] for j in np.flatnonzero(opened)],
        opened,
        zi,
        pj,
        pp,
        per_point,
        res.unmet_people,
        mean,
        p90,
        mx,
        queue(per_point[opened], svc),
        people_capacity(svc),
        {
            "status": res.status,
            "gap": res.gap,
            "solver": res.solver,
            "solve_time_s": res.solve_time_s,
            "message": res.message,
            "relocation_rounds": rounds,
        },
        list(NOT_MODELLED),
    )


def _walk_minutes(wt: np.ndarray, pp: np.ndarray) -> tuple[float, float, float]:
    """(mean, P90, longest) one-way walk in minutes over the people assigned `pp`; NaN when nobody is."""
    if pp.sum() > 0:
        order = np.argsort(wt, kind="stable")
        cum = np.cumsum(pp[order]) / pp.sum()
        p90 = float(wt[order][min(int(np.searchsorted(cum, 0.9)), order.size - 1)])
        mean, mx = float(wt @ pp / pp.sum()), float(wt.max())
    else:
        p90 = mean = mx = float("nan")
    return mean, p90, mx


def _greedy_open(people: np.ndarray, walk: np.ndarray, n: int) -> np.ndarray:
    """Open n candidates one at a time, each time the one that most cuts people x walking time (no capacities)."""
    best = np.full(people.size, np.inf)
    opened = np.zeros(walk.shape[1], dtype=bool)
    for _ in range(n):
        with np.errstate(invalid="ignore"):
            total = np.where(
                np.isfinite(np.minimum(best[:, None], walk)),
                people[:, None] * np.minimum(best[:, None], walk),
                1e30 * people[:, None],
            ).sum(axis=0)
        total[opened] = np.inf
        j = int(np.argmin(total))
        opened[j] = True
        best = np.minimum(best, walk[:, j])
    return opened


def _allocate(inst: SitingInstance, open_mask: np.ndarray, file: str) -> SitingResult:
    """Everyone to the given open points (min-cost flow with capacities; the rest unmet at the penalty)."""
    return solve_siting(
        SitingInstance(
            inst.facility_ids,
            inst.capacity,
            inst.fixed_cost,
            inst.client_ids,
            inst.demand,
            inst.cost,
            allowed=inst.allowed,
            never_open=~open_mask,
            unmet_penalty=inst.unmet_penalty,
        ),
        file=file,
    )


def _against(plan: SitingResult, sited: SitingResult, how: str) -> SitingResult:
    """`plan` judged against the siting solve's bound (valid for the whole instance): status, gap, solver."""
    gap = max(0.0, (plan.objective - sited.bound) / max(abs(plan.objective), 1e-12))
    status = "optimal" if gap <= 1e-6 else ("feasible" if sited.status == "optimal" else sited.status)
    return replace(
        plan,
        status=status,
        bound=sited.bound,
        gap=gap,
        solver=f"{sited.solver} + {how}",
        solve_time_s=sited.solve_time_s,
        message=f"{sited.message}; improved by {how}",
    )


def _relocate(
    inst: SitingInstance, start: SitingResult, sited: SitingResult, file: str, how: str, max_rounds: int = 50
) -> tuple[SitingResult, int]:
    """Improve an n-point placement by alternating location and allocation (Cooper 1964, SIAM Review
    6(1):37-53): move each open point to the candidate that serves its current people with the least
    walking, re-allocate everyone (min-cost flow with capacities), repeat while the cost falls. Plans are
    judged against the siting bound (`sited`), which stays valid. Returns the best plan and the rounds."""
    if start.status == "infeasible" or not start.open_mask.any():
        return start, 0
    people = np.asarray(inst.demand, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        unit = np.asarray(inst.cost, float) / np.maximum(people, 1e-12)[:, None]
    unit = np.where(np.asarray(inst.allowed, bool) & np.isfinite(unit), unit, 1e30)  # unreachable: never chosen
    best, rounds = start, 0
    for rounds in range(1, max_rounds + 1):  # noqa: B007 - the count is reported after the loop
        opened = np.flatnonzero(best.open_mask)
        slot = {j: k for k, j in enumerate(opened)}
        load = np.zeros((opened.size, people.size))
        point_row = np.array([slot[j] for j in best.assign_facility], dtype=np.intp)
        np.add.at(load, (point_row, best.assign_client), best.assign_people)
        moved = load @ unit  # each open point's people walked to every candidate, (n_open, n_candidates)
        new = opened.copy()
        taken = set(opened.tolist())
        for k in np.argsort(-load.sum(axis=1), kind="stable"):
            taken.discard(int(new[k]))
            new[k] = next(int(c) for c in np.argsort(moved[k], kind="stable") if int(c) not in taken)
            taken.add(int(new[k]))
        if set(new.tolist()) == set(opened.tolist()):
            break
        fixed_open = np.zeros(len(inst.facility_ids), dtype=bool)
        fixed_open[new] = True
        trial = _allocate(inst, fixed_open, file)
        if trial.status != "optimal" or trial.objective >= best.objective * (1 - 1e-9):
            break
        best = _against(trial, sited, how)
    return best, rounds


@dataclass(frozen=True)
class LayoutSummary:
    """One row of `compare_layouts`: a number of points, how each works, and what people face."""

    label: str
    points: int
    people_capacity_per_point: float
    people_placed: float
    people_unreached: float
    walk_mean_min: float
    walk_p90_min: float
    walk_max_min: float
    queue_mean_min: float  # mean over people placed
    queue_worst_min: float  # worst point's mean wait
    collections_unserved_per_day: float
    round_trip_mean_min: float  # 2 x walk + queue, mean over people placed
    siting_status: str
    siting_gap: float


def compare_layouts(
    zone_people: np.ndarray,
    walk_s: np.ndarray,
    options: list[tuple[str, int, PointService]],
    *,
    max_utilisation: float,
    max_walk_s: float | None = None,
    time_limit_s: float = 30.0,
) -> list[LayoutSummary]:
    """Place each option (label, number of points, how they work) and summarise it, e.g. 4 large hubs
    for ~300,000 people each against hundreds of small points, on the same zones and candidates."""
    rows = []
    for label, n, svc in options:
        pl = place_points(
            zone_people,
            walk_s,
            n,
            svc,
            max_utilisation=max_utilisation,
            max_walk_s=max_walk_s,
            time_limit_s=time_limit_s,
        )
        placed = float(pl.assign_people.sum())
        served = pl.people_per_point[pl.open_mask]
        q = pl.queue
        q_mean = float(q.wait_mean_min @ served / served.sum()) if served.sum() > 0 else float("nan")
        rows.append(
            LayoutSummary(
                label,
                n,
                pl.people_capacity_per_point,
                placed,
                float(pl.unreached_people.sum()),
                pl.walk_mean_min,
                pl.walk_p90_min,
                pl.walk_max_min,
                q_mean,
                float(q.wait_mean_min.max(initial=0.0)),
                float(q.unserved_per_day.sum()),
                2 * pl.walk_mean_min + q_mean,
                pl.siting["status"],
                pl.siting["gap"],
            )
        )
    return rows
