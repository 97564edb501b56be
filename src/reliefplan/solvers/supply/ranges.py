"""How determined each group's share is when supplies are short: ranges over the supply LP's optimal face.

When supplies are short the supply LP has many equally deprived optima: which group and which location goes short
on which day is then picked by a fixed tie-break (`tiebreak`, and `model.TIME_TIE_BREAK`). A figure such as "served
elsewhere gets 9.3 L/person/day" is one point of that face. This module gives, for a linear figure of the report
cells' shortfall (a group's horizon total of a commodity, or its mean per person per day), the least and the most
over every plan that is as good as the reported one under the declared sharing policy:

* no more deprived: the reported objective (`SupplyResult.objective_deprivation`, priority-weighted tonnes short,
  tie-breaks excluded) at most the reported plan's, and under ``priority`` sharing the same with each group's
  weight (`model.GROUP_PRIORITY_FACTOR` per rank), which is the policy's own deprivation;
* no further from equal shares: under ``equal`` or ``priority`` sharing the weighted tonnes by which cells fall
  below (or, with their own water, rise above) the common share (the `model.FAIR_WEIGHT` term) at most the
  reported plan's. Without it the face is far wider: with ``deep_factor`` 1 the objective is the plain
  priority-weighted shortfall, and a plan that starves one group to feed another fully is as deprived;

each up to `FACE_TOL` of the row's magnitude at the reported plan (floating point: see `FACE_TOL`). Each is an LP on
the same model with those rows added, solved twice (least, most) by the primal simplex from the deprivation
optimum's basis (which satisfies the rows), one after the other. A solve that ends without an optimum leaves its
end of the range unknown (None), never a number.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from .cells import _sharing_classes
from .lp import _Lp
from .model import SupplyInstance
from .solve import _highs

#: the face's rows hold each criterion at most at the reported plan's value plus this share of the row's magnitude
#: there (Σ |a_j x_j|), for floating point: the reported plan satisfies its own rows whatever HiGHS' scaling and
#: feasibility tolerance (1e-7) make of them. Rafah `full`: a plan may be 1.05 weighted t more deprived (of 1.05
#: million); the ranges at 0, 1e-7 and 1e-6 agree to 0.001 L/person/day, all solves optimal even at 0; a commodity met
#: in full then reads a hair below (food 2,059.065 for 2,059.07 kcal/person/day; docs/supply.md)
FACE_TOL = 1e-6


@dataclass
class FaceRange:
    """The least and the most of one figure ``v · cell shortfall`` over the optimal face (None: that solve did not
    reach an optimum; its status says why), and the CPU seconds of its two solves."""

    least: float | None
    most: float | None
    status_least: str
    status_most: str
    cpu_s: float


@dataclass
class FaceRanges:
    """The ranges, in the order of the figures asked for, with the face's tolerance and rows."""

    ranges: list[FaceRange]
    tol: float
    rows: list[str]  # which criteria the face holds (deprivation, group_weighted, fair_share)
    solves: int
    cpu_s: float


def face_rows(instance: SupplyInstance, lp: _Lp) -> list[tuple[str, np.ndarray]]:
    """The face's criteria as row coefficients over the LP's columns: ``deprivation`` (the reported objective), under
    priority sharing ``group_weighted`` (the same with each group's weight), and with sharing ``fair_share`` (the
    weighted tonnes off the common share: the c1 and b columns)."""
    rows = [("deprivation", lp.true1)]
    if instance.sharing == "none":
        return rows
    weight = _group_weight(instance, lp)
    if instance.sharing == "priority":
        rows.append(("group_weighted", lp.true1 * weight))
    fair = np.zeros(lp.n_col)
    lo, hi = lp.off["c1"], lp.off["sig1"]  # c1 and c2 (c2 only without sharing)
    fair[lo:hi] = np.abs(lp.true1[lo:hi] * weight[lo:hi])
    fair[lp.off["b"] :] = np.abs(lp.true1[lp.off["b"] :] * weight[lp.off["b"] :])
    rows.append(("fair_share", fair))
    return rows


def _group_weight(instance: SupplyInstance, lp: _Lp) -> np.ndarray:
    """Each column's group priority weight (1 but under priority sharing): a cell's from its report cell, a common
    share's from its class."""
    weight = np.ones(lp.n_col)
    if instance.sharing != "priority":
        return weight
    classes, gfac_c, C = _sharing_classes(instance, lp.cell_group)
    by_cell = np.array([gfac_c[classes.get(g, 0)] for g in lp.cell_group], dtype=float)
    sm = lp.short_map.tocsc()
    cols = np.flatnonzero(np.diff(sm.indptr) > 0)
    q = (sm.indices[sm.indptr[cols]] // lp.T) % lp.Q  # a priority cell stands for one report cell
    weight[cols] = by_cell[q]
    sig = np.arange(lp.off["sig1"], lp.off["b"])
    weight[sig] = gfac_c[((sig - lp.off["sig1"]) // lp.T) % C]
    return weight


def face_ranges(
    instance: SupplyInstance,
    keep: dict[str, Any],
    figures: sp.csr_matrix | np.ndarray,
    *,
    tol: float = FACE_TOL,
    time_limit_s: float | None = None,
) -> FaceRanges:
    """The least and the most of each figure (a row of ``figures``: weights over the report cells' shortfall,
    [n, K * Q * T] in `SupplyResult.cell_shortfall_t`'s order) over the optimal face of the plan `solve_supply`
    left in ``keep``. ``time_limit_s``: per solve (wall, HiGHS' clock; None: the plan's own)."""
    t0 = time.process_time()
    if time_limit_s is None:
        time_limit_s = float(keep.get("time_limit_s", 60.0))
    lp: _Lp = keep["lp"]
    x = np.maximum(keep["x"], 0.0)
    named = face_rows(instance, lp)
    a = sp.csr_matrix(np.array([r for _, r in named]))
    act = a @ x
    mag = abs(a).multiply(x[None, :]).sum(axis=1).A1
    face = replace(
        lp,
        matrix=sp.vstack([lp.matrix, a]).tocsc(),
        row_lower=np.concatenate([lp.row_lower, np.full(len(named), -np.inf)]),
        row_upper=np.concatenate([lp.row_upper, act + tol * np.maximum(mag, 1.0)]),
    )
    h, highspy = _highs(face, time_limit_s, keep.get("threads"), scale=keep.get("scale"), compact=True)
    h.setOptionValue("dual_feasibility_tolerance", 1e-7)  # HiGHS' default: no tie-break to resolve here
    start = None
    if keep.get("basis") is not None and not keep.get("warm"):  # a warm member's model holds other columns: cold
        start = highspy.HighsBasis()
        start.col_status = list(keep["basis"].col_status)
        start.row_status = list(keep["basis"].row_status) + [highspy.HighsBasisStatus.kBasic] * len(named)
        start.valid = True
        h.setBasis(start)
    # the primal simplex, each solve from the last one's optimum (a vertex of the same face): on Rafah `full` 10.6 s
    # CPU for 4 solves, against 17.0 s from the deprivation optimum each time and 103 s by the dual simplex
    h.setOptionValue("simplex_strategy", 4)
    w = sp.csr_matrix(figures)
    cost = np.asarray((lp.short_map.T @ w.T).todense()).T  # [n, n_col]
    cols = np.arange(lp.n_col, dtype=np.int32)
    out: list[FaceRange] = []
    for c in cost:
        t1 = time.process_time()
        ends: list[tuple[float | None, str]] = []
        for sign in (1.0, -1.0):
            h.changeColsCost(lp.n_col, cols, sign * c)
            h.setOptionValue("time_limit", float(time_limit_s) + h.getRunTime())  # HiGHS' clock runs on
            h.run()
            st = h.getModelStatus()
            value = (
                float(c @ np.asarray(h.getSolution().col_value)) if st == highspy.HighsModelStatus.kOptimal else None
            )
            ends.append((value, h.modelStatusToString(st)))
        out.append(FaceRange(ends[0][0], ends[1][0], ends[0][1], ends[1][1], time.process_time() - t1))
    return FaceRanges(out, tol, [n for n, _ in named], 2 * len(out), time.process_time() - t0)
