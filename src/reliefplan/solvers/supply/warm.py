"""The supply LP kept warm between plans of one structure (ensemble members): one HiGHS model holding the live
columns of every plan solved on it so far, re-solved by the dual simplex from the last optimum.

Members of one ensemble share the LP's matrix except the sharing coefficients (the cells' need), and differ in
bounds (crossing capacity per day, need, closures) and costs. Half of the columns of the Rafah plans are dead (fixed
at 0: flows after the last day anyone needs a commodity, `lp._no_dead_goods`), and which ones moves a little with
the people (44,000-45,600 of 88,620 live over ten `full` members; 45,655 in their union). The model starts with the
first plan's live columns (`compact.CompactHighs`) and gains a later plan's new live columns with ``addCols``: HiGHS
keeps its basis, the new columns nonbasic at 0, so the restart stays warm. Each iteration of the dual simplex then
prices about half the columns it would on the whole LP (0.41 s against 0.47 s CPU per member, median of seven).

A warm member restarts the dual simplex from the last member's optimum, with Devex pricing (`solve.WARM_EDGE_WEIGHTS`),
and is sifted again holding only the stock columns the last member did not need either (58 of 10,962 after the
first warm `full` members). Solving it whole instead was measured and not kept: over 20 warm `full` members the same
in all (15.8 s against 15.1 s CPU, median 0.40 s against 0.44 s), over 8 `targeted` members dearer (5.1 s against
4.3 s, median 0.57 s against 0.49 s): its members need little stock.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .compact import CompactHighs, live_columns
from .lp import _Lp


def grow(model: CompactHighs, lp: _Lp) -> int:
    """Add ``lp``'s live columns the model lacks (with ``lp``'s costs, bounds and coefficients), keeping the
    model's basis; the number added."""
    new = live_columns(lp.col_upper)
    new = new[model._pos[new] < 0]
    if new.size:
        a = lp.matrix[:, new].tocsc()
        model._h.addCols(
            new.size,
            lp.cost1[new],
            np.zeros(new.size),
            lp.col_upper[new],
            a.nnz,
            a.indptr[:-1].astype(np.int32),
            a.indices.astype(np.int32),
            a.data,
        )
        model._pos[new] = model._live.size + np.arange(new.size)
        model._live = np.concatenate([model._live, new])
        model._cost[new] = lp.cost1[new]
    # the dead columns' reduced costs are read with this member's coefficients (the sharing ones change)
    model._dead = np.flatnonzero(model._pos < 0)
    model._dead_t = lp.matrix[:, model._dead].T.tocsr()
    return int(new.size)


def in_model(model: Any, cols: np.ndarray) -> np.ndarray:
    """The mask of ``cols`` the model holds (every column for a whole-LP model)."""
    if isinstance(model, CompactHighs):
        return model._pos[cols] >= 0
    return np.ones(cols.size, dtype=bool)
