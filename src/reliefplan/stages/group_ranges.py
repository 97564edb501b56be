"""How determined each group's figure is when supplies are short (``supply.group_ranges``): the least and the most of
each group's water and food per person per day, and of its share of every other need met, over the supply LP's
equally good plans (`solvers.supply.ranges`). The figures are those of `supply_report.group_figures`, as linear
functions of the plan's shortfall per report cell, so the reported figure lies in its range.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from ..plan_health import GroupRange, GroupRanges
from ..solvers.supply import SupplyInstance, SupplyResult, owed_to_date
from ..solvers.supply.ranges import FACE_TOL, face_ranges

MEANING = (
    "any plan as little deprived as this one (and, under the sharing policy, no further from equal shares) gives "
    "this group between 'least' and 'most'; the reported figure is the one a fixed tie-break picks among them"
)


def group_ranges(
    instance: SupplyInstance,
    res: SupplyResult,
    face: dict[str, Any],
    food_kcal_per_kg: float,
    per_person: dict[str, np.ndarray],
) -> GroupRanges | None:
    """The groups' ranges over the optimal face of the plan ``res`` (``face``: kept by `solve_supply`), or None
    without the cells. ``per_person``: per group, 1 / the (aid-dependent) people the figures are per, by day (0:
    nobody), as the groups' figures use."""
    if res.cell_demand_t is None or res.cell_shortfall_t is None:
        return None
    if "lp" not in face:  # no optimum, so no optimal face: say so rather than give ranges
        return GroupRanges(
            meaning=f"not computed: the supply LP ended '{res.status}' without an optimum, so there is no optimal "
            "face to range over",
            face=[],
            tolerance=FACE_TOL,
            solves=0,
            cpu_s=0.0,
            rows=[],
        )
    K, Q, T = res.cell_demand_t.shape
    carry = np.asarray(res.carry_over, dtype=bool)
    scale = {"water": (1000.0, "L/person/day"), "food": (food_kcal_per_kg * 1000.0, "kcal/person/day")}
    groups = np.array(res.cell_group, dtype=object)
    weights, what = [], []
    for g, inv in per_person.items():
        q = np.flatnonzero(groups == g)
        present = inv > 0
        if not (q.size and present.any()):
            continue
        need = res.cell_demand_t[:, q].sum(axis=1)  # [K, T]
        owed = owed_to_date(need, carry)
        for k, kid in enumerate(res.commodity_ids):
            if not need[k].any():
                continue
            v = np.zeros((K, Q, T))
            if kid in scale:  # the mean over present days of (need - short) x unit / people
                f, unit = scale[kid]
                per_day = f * inv / present.sum()
                v[k, q] = per_day
                full = float(need[k] @ per_day)
            else:  # the share of the need met: 1 - short / need (owed items: of what is owed each day)
                total = float(owed[k].sum() if carry[k] else need[k].sum())
                if total <= 0:
                    continue
                v[k, q] = 1.0 / total
                full, unit = 1.0, "share of need met"
            weights.append(v.ravel())
            what.append((g, kid, unit, full))
    if not weights:
        return None
    fr = face_ranges(instance, face, sp.csr_matrix(np.array(weights)))
    short = np.asarray(res.cell_shortfall_t, dtype=float).ravel()
    rows = []
    for (g, kid, unit, full), w, r in zip(what, weights, fr.ranges):
        digits = 6 if unit.startswith("share") else 3
        rows.append(
            GroupRange(
                group=g,
                commodity=kid,
                unit=unit,
                reported=round(full - float(w @ short), digits),
                least=None if r.most is None else round(full - r.most, digits),
                most=None if r.least is None else round(full - r.least, digits),
                status_least=r.status_most,
                status_most=r.status_least,
            )
        )
    return GroupRanges(
        meaning=MEANING, face=fr.rows, tolerance=fr.tol, solves=fr.solves, cpu_s=round(fr.cpu_s, 2), rows=rows
    )
