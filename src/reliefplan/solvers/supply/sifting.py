"""Sifting for the supply LP: solve with most site stock columns held at 0, release those that price in, re-solve
(Bixby, Gregory, Lustig, Marsten & Shanno 1992), and give up for the whole LP when most of them price in at once.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .lp import _Lp
from .model import SIFT_GIVE_UP_COLUMNS, SIFT_GIVE_UP_SHARE, SIFT_TOL, SIFT_WINDOW_DAYS


def _to_release(held: np.ndarray, neg: np.ndarray, days: int, priced: np.ndarray) -> np.ndarray:
    """The ``held`` columns to release when the held columns ``neg`` have a negative reduced cost. Columns are laid
    out in series of ``days`` (a site's stock of one commodity, day by day). A series priced in for the first time
    releases its held days from `SIFT_WINDOW_DAYS` before its first negative day to its last: stock that pays on day
    t tends to pay from a few days earlier (goods brought in while the crossings have room), and releasing only the
    priced columns moved that back a day per round (180 rounds over 365 days). A series already in ``priced`` (its
    window was not enough: over 180 days the stock then reached a day further each round) is released whole.
    Releasing every priced series whole at once let the primal simplex wander: over 365 days 7,444 iterations
    against 2,986 (docs/supply.md)."""
    series, day = neg // days, neg % days
    n = int(held.max()) // days + 1 if held.size else 0
    first, last = np.full(n, days, dtype=np.int64), np.full(n, -1, dtype=np.int64)
    np.minimum.at(first, series, day)
    np.maximum.at(last, series, day)
    again = np.isin(np.arange(n), priced)
    first = np.where(again, 0, first - SIFT_WINDOW_DAYS)
    last = np.where(again & (last >= 0), days, last)
    hs, hd = held // days, held % days
    return held[(hd <= last[hs]) & (hd >= first[hs])]


def _sift(
    lp: _Lp, h: Any, highspy: Any, held: np.ndarray, time_limit_s: float, give_up: bool = False
) -> tuple[np.ndarray, int, bool]:
    """(columns still held at 0, solves, whether it gave up): solve with the ``held`` columns fixed at 0, then
    release held columns around those with a negative reduced cost (`_to_release`) and re-solve with the primal simplex
    from the same basis, until no held column has one: the basis is then optimal for the whole LP too (each held column
    sits at its lower bound 0 with a reduced cost >= 0). This is sifting (Bixby, Gregory, Lustig, Marsten & Shanno 1992,
    "Very large-scale linear programming: a case study in combining interior point and simplex methods", Operations
    Research 40(5)): the example's sites hold stock in few series, and the LP without it solves several times faster.
    Should the restricted LP stop without an optimum, every held column is released and the whole LP decides. With
    ``give_up`` (a deprivation solve holding every site stock column), should the first pricing release more than
    `SIFT_GIVE_UP_SHARE` of them and at least `SIFT_GIVE_UP_COLUMNS`, sifting gives up (`_give_up`): the whole LP by the
    dual simplex from scratch. (A warm member holds only what the last member left held, and restarts from its basis; a
    member after one that gave up solves cold: `solve.COLD_AFTER_GIVE_UP`; so does one while warm restarts cost the
    worker more: `solve.WARM_OR_COLD`.)"""
    strategy = h.getOptionValue("simplex_strategy")[1]
    perturbation = h.getOptionValue("dual_simplex_cost_perturbation_multiplier")[1]
    solves, gave_up = 0, False
    priced = np.zeros(0, dtype=np.int64)  # series released before
    try:
        while True:
            h.run()
            solves += 1
            if not held.size:
                return held, solves, gave_up
            primal = 4  # the solution stays feasible, new columns to price in
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                release = held
            else:
                rc = np.asarray(h.getSolution().col_dual, dtype=float)[held]
                neg = held[rc < -SIFT_TOL]
                if not neg.size:
                    return held, solves, gave_up
                release = _to_release(held, neg, lp.T, priced)
                big = release.size > max(SIFT_GIVE_UP_SHARE * held.size, SIFT_GIVE_UP_COLUMNS)
                if give_up and solves == 1 and big:
                    release, primal, gave_up = held, _give_up(h), True
                priced = np.union1d(priced, neg // lp.T)
            h.changeColsBounds(release.size, release.astype(np.int32), np.zeros(release.size), lp.col_upper[release])
            held = np.setdiff1d(held, release, assume_unique=True)
            h.setOptionValue("time_limit", float(time_limit_s) + h.getRunTime())  # HiGHS' clock runs on
            h.setOptionValue("simplex_strategy", primal)
    finally:
        h.setOptionValue("simplex_strategy", strategy)
        h.setOptionValue("dual_simplex_cost_perturbation_multiplier", perturbation)


def _give_up(h: Any) -> int:
    """Prepare ``h`` to solve the whole LP from scratch by the dual simplex without cost perturbation; returns that
    simplex_strategy. When most held columns price in, the restricted basis is far from the whole LP's optimum:
    Rafah full-180d with a member's draws (234 k rows, 275 k columns, 82 % of the held stock released at the first
    pricing): the primal re-solve from the restricted basis took > 190 s CPU; the dual simplex from that basis
    (dual infeasible) > 259 s; from scratch 175 s with HiGHS' cost perturbation and 115 s without
    (docs/supply.md)."""
    h.clearSolver()
    h.setOptionValue("dual_simplex_cost_perturbation_multiplier", 0.0)
    return 1
