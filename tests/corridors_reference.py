"""The transit hubs' split of a hub's arrivals over its corridors as it was first written, one greedy pass per
commodity and day in Python: the oracle `corridors._split` (the same passes as arrays) is tested against."""

from __future__ import annotations

import numpy as np

from reliefplan.solvers.supply.corridors import _Block


def _split(b: _Block, sent: np.ndarray, links: np.ndarray) -> np.ndarray:
    """[K, O, J, T] t sent on each original corridor: what each origin sent (``sent`` [K, O, T]) shared over the
    locations the hub passed it on to (``links`` [K, J, T]), each location filled from its nearest origin first."""
    K, n_o, T = sent.shape
    J = links.shape[1]
    f = np.zeros((K, n_o, J, T))
    for k in range(K):
        for tau in range(T):  # the day goods reach the hub and leave it
            src_day = tau - b.days
            ok = src_day >= 0
            arriving = np.where(ok, sent[k, np.arange(n_o), np.maximum(src_day, 0)] * b.keep, 0.0)
            need = links[k, :, tau]
            total, given = float(need.sum()), float(arriving.sum())
            if total <= 0.0 or given <= 0.0:  # (links carrying what never arrived: solver noise, ~1e-15 t)
                continue
            left = arriving * (total / given)
            for j in np.flatnonzero(need > 0):
                want = float(need[j])
                for o in b.order[j]:
                    if want <= 0.0:
                        break
                    take = min(want, float(left[o]))
                    if take > 0.0:
                        # what leaves the origin for it: before the loss
                        f[k, o, j, src_day[o]] += take / b.keep[o] if b.keep[o] > 0 else 0.0
                        left[o] -= take
                        want -= take
                if want > 1e-12 * total:  # rounding: the rest from the origin that has most left
                    o = int(np.argmax(np.where(arriving > 0, left, -np.inf)))
                    f[k, o, j, max(int(src_day[o]), 0)] += want / b.keep[o] if b.keep[o] > 0 else 0.0
                    left[o] -= want
    # an origin whose goods are all lost (loss 1) sent them somewhere: to its first location
    for o in np.flatnonzero(b.keep <= 0):
        f[:, o, 0, :] = sent[:, o, :]
    return f
