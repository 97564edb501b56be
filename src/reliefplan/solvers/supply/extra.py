"""Parametric questions on a supply instance: a copy with more entry capacity, the least extra capacity that meets
every need, and whether an instance meets every need at all.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from .lp import _build_lp
from .model import DEEP_FACTOR, DEEP_SHARE, SupplyInstance
from .solve import _highs
from .validate import validate_instance


def with_extra_capacity(
    inst: SupplyInstance,
    entry_id: str,
    first_day: int,
    last_day: int,
    extra_t_per_day: float,
    *,
    open_days_only: bool = False,
) -> SupplyInstance:
    """A copy with ``extra_t_per_day`` more capacity at one entry on days first..last (to re-solve);
    ``open_days_only``: days the crossing is closed (zero capacity) stay closed."""
    entries = []
    for e in inst.entry_points:
        if e.id == entry_id:
            cap = e.capacity_t(inst.days, inst.payload_t)
            days = np.zeros(inst.days, dtype=bool)
            days[first_day : last_day + 1] = True
            cap[days & (cap > 0) if open_days_only else days] += extra_t_per_day
            e = replace(e, capacity_t_by_day=list(cap), closed_days=(), opening_day=0)
        entries.append(e)
    return replace(inst, entry_points=entries)


@dataclass
class ExtraCapacity:
    """The least capacity to add at one crossing from a day on so that no commodity is short anywhere."""

    entry_id: str
    first_day: int
    status: str  # optimal | infeasible | <HiGHS status>
    t_per_day: float | None  # None when no amount suffices
    trucks_per_day: float | None
    message: str = ""


def min_extra_entry_capacity(
    inst: SupplyInstance,
    entry_id: str,
    first_day: int = 0,
    *,
    time_limit_s: float = 60.0,
    keep: dict[str, Any] | None = None,
) -> ExtraCapacity:
    """Parametric solve: minimise x (t/day added at ``entry_id`` on each open day from ``first_day``) such that
    every demand is met on every day. Days the crossing is closed (zero capacity) stay closed.

    One LP on the supply model with the shortfall columns fixed at zero and one column x in every capacity
    row of that crossing; ``infeasible`` means no amount at that crossing from that day ends the shortfall
    (it starts earlier, or elsewhere in the network). ``keep``: receives the solved model under ``entry_id``, from
    which `meets_every_need` re-solves the same network warm.
    """
    import highspy

    validate_instance(inst)
    e = [x.id for x in inst.entry_points].index(entry_id)
    T = inst.days
    payload = inst.entry_points[e].payload(inst.payload_t)
    days = np.arange(max(0, first_day), T)
    days = days[inst.entry_points[e].capacity_t(T, inst.payload_t)[days] > 0]
    if days.size == 0:
        return ExtraCapacity(
            entry_id, first_day, "infeasible", None, None, f"{entry_id} is closed on every day from day {first_day}"
        )
    lp = _build_lp(inst, DEEP_SHARE, DEEP_FACTOR)
    r0, _owners = lp.rows["entry_capacity"]
    col = sp.csc_matrix(
        (-np.ones(days.size), (r0 + e * T + days, np.zeros(days.size, dtype=np.int64))), shape=(lp.matrix.shape[0], 1)
    )
    lp.matrix = sp.hstack([lp.matrix, col], format="csc")
    upper = lp.col_upper.copy()
    upper[lp.short_cols] = 0.0
    lp.col_upper = np.append(upper, np.inf)
    lp.cost1 = np.append(np.zeros(lp.n_col), 1.0)
    lp.n_col += 1
    h, _ = _highs(lp, time_limit_s, None)
    h.run()
    if keep is not None:
        keep[entry_id] = (h, lp)
    ms = h.getModelStatus()
    if ms == highspy.HighsModelStatus.kInfeasible:
        return ExtraCapacity(
            entry_id,
            first_day,
            "infeasible",
            None,
            None,
            f"no extra capacity at {entry_id} from day {first_day} ends the shortfall: "
            "some need falls before goods from there can arrive, or behind another limit",
        )
    if ms != highspy.HighsModelStatus.kOptimal:
        return ExtraCapacity(
            entry_id,
            first_day,
            h.modelStatusToString(ms),
            None,
            None,
            f"HiGHS stopped with '{h.modelStatusToString(ms)}'",
        )
    x = max(0.0, float(np.asarray(h.getSolution().col_value)[-1]))
    return ExtraCapacity(entry_id, first_day, "optimal", x, x / payload)


def meets_every_need(inst: SupplyInstance, *, time_limit_s: float = 60.0, warm: tuple[Any, Any] | None = None) -> bool:
    """Whether the instance meets every need on every day: its supply LP with every shortfall fixed at zero has a
    solution. ``warm``: a model kept by `min_extra_entry_capacity` for the same network (an instance that differs
    only in entry capacity, e.g. `with_extra_capacity`); its extra column is held at zero and the instance's own
    bounds are passed in, so the simplex restarts from that basis."""
    import highspy

    validate_instance(inst)
    lp = _build_lp(inst, DEEP_SHARE, DEEP_FACTOR)
    upper = lp.col_upper.copy()
    upper[lp.short_cols] = 0.0
    h = None
    if warm is not None:
        h, old = warm
        same = (
            old.matrix.shape[0] == lp.matrix.shape[0]
            and old.n_col == lp.n_col + 1
            and np.array_equal(old.matrix.indptr[: lp.n_col + 1], lp.matrix.indptr)
            and np.array_equal(old.matrix.indices[: lp.matrix.nnz], lp.matrix.indices)
            and np.array_equal(old.matrix.data[: lp.matrix.nnz], lp.matrix.data)
        )
        if same:  # every bound passed (the model may hold an earlier check's), the extra column held at zero
            n, m = lp.n_col + 1, lp.matrix.shape[0]
            h.changeColsBounds(n, np.arange(n, dtype=np.int32), np.zeros(n), np.append(upper, 0.0))
            h.changeRowsBounds(m, np.arange(m, dtype=np.int32), lp.row_lower, lp.row_upper)
            h.setOptionValue("time_limit", float(time_limit_s) + h.getRunTime())
        else:
            h = None
    if h is None:
        lp.col_upper = upper
        lp.cost1 = np.zeros(lp.n_col)
        h, _ = _highs(lp, time_limit_s, None)
    h.run()
    return bool(h.getModelStatus() == highspy.HighsModelStatus.kOptimal)
