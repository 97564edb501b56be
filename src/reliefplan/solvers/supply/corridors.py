"""Parallel corridors through one transit hub: the same LP optimum with far fewer columns.

In a plan every entry point (a crossing, a pier, the end of a delivery chain) has a corridor to every location it
feeds, uncapped and a day or less long, so the LP has a flow column per origin, location, commodity and day, and a
deprivation optimum can split a location's goods over its origins in countless equally good ways — degenerate
work for the simplex method. Where a set of origins reaches a set of locations by every pair (a complete bipartite
block of uncapped, trucked corridors), `aggregate` replaces the block by a transit hub that holds no stock: one
corridor from each origin to the hub (carrying the origin's travel days, loss, payload and commodities, and its
truckloads) and an untrucked link of 0 days from the hub to each location. Every flow of the block maps to a flow
through the hub and back (`Corridors.restore`), with the same entries, losses, truckloads and arrivals, so the
optimal deprivation and truckloads are those of the LP without hubs (tests/test_supply_corridors.py compares
them, and each solution is checked node by node).

`restore` splits each hub's arrivals over the block's corridors greedily, nearest origin first by round trip (else
in origin order), which leaves at most (origins + locations − 1) corridors in use per commodity and day, as a
vertex of the transportation problem would: the split is one of the optima the LP without hubs could return.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .model import Arc, SupplyInstance, Warehouse

HUB_PREFIX = "transit-hub:"
_Origin = tuple[str, int, float, float | None, tuple[str, ...]]  # source, travel days, loss, payload, commodities


@dataclass
class _Block:
    """One hub: its origin corridors (LP arc index), its links (LP arc index), and the original arc per pair."""

    into: np.ndarray  # [O] LP arcs origin -> hub
    out: np.ndarray  # [J] LP arcs hub -> location
    arcs: np.ndarray  # [O, J] original arc of each origin and location
    days: np.ndarray  # [O] travel days
    keep: np.ndarray  # [O] share of a tonne sent that arrives (1 - loss)
    order: np.ndarray  # [J, O] origins nearest first for each location


@dataclass
class Corridors:
    """The LP's instance (``instance``: kept arcs first, in their order, then each hub's corridors and links; hubs
    after the warehouses) and how to map its flows back onto the original arcs (``restore``)."""

    instance: SupplyInstance
    original: SupplyInstance
    n_arcs: int  # arcs of the original instance
    n_warehouses: int  # warehouses of the original instance (hubs follow)
    kept: np.ndarray  # original arc of each of the LP instance's first kept.size arcs
    blocks: list[_Block] = field(default_factory=list)

    @property
    def hubs(self) -> int:
        return len(self.instance.warehouses) - self.n_warehouses

    def restore_flow(self, flow: np.ndarray) -> np.ndarray:
        """[K, A, T] flows on the original arcs from the LP's [K, A', T] flows."""
        K, _, T = flow.shape
        out = np.zeros((K, self.n_arcs, T))
        out[:, self.kept] = flow[:, : self.kept.size]
        for b in self.blocks:
            out[:, b.arcs.ravel()] = _split(b, flow[:, b.into], flow[:, b.out]).reshape(K, -1, T)
        return out


def _split(b: _Block, sent: np.ndarray, links: np.ndarray) -> np.ndarray:
    """[K, O, J, T] t sent on each original corridor: what each origin sent (``sent`` [K, O, T]) shared over the
    locations the hub passed it on to (``links`` [K, J, T]), each location filled from its nearest origin first.

    Each commodity and hub day is one greedy pass over the locations; the passes are independent, so they run
    side by side as arrays over (commodity, day) and only the locations and their origins are looped over (the
    per-pass loop it replaced is tests/corridors_reference.py; same figures)."""
    K, n_o, T = sent.shape
    J = links.shape[1]
    src = np.arange(T)[None, :] - b.days[:, None]  # [O, T] the day an origin sent what reaches the hub on day tau
    ok = src >= 0
    from_day = np.broadcast_to(np.maximum(src, 0)[None], (K, n_o, T))
    arriving = np.where(ok[None], np.take_along_axis(sent, from_day, axis=2) * b.keep[None, :, None], 0.0)
    # sums over the contiguous last axis: the same (pairwise) sums as a pass's need.sum() and arriving.sum()
    total = np.ascontiguousarray(links.transpose(0, 2, 1)).sum(axis=2)  # [K, T]
    given = np.ascontiguousarray(arriving.transpose(0, 2, 1)).sum(axis=2)
    # (links carrying what never arrived: solver noise, ~1e-15 t)
    live = (total > 0.0) & (given > 0.0)
    left = arriving * np.where(live, total / np.where(live, given, 1.0), 0.0)[:, None, :]
    by_hub_day = np.zeros((K, n_o, J, T))  # t sent from each origin for each location, by the day it reaches the hub
    for j in range(J):
        want = links[:, j, :]
        active = live & (want > 0)
        if not active.any():
            continue
        for o in b.order[j]:
            take = np.minimum(want, left[:, o, :])
            m = active & (want > 0.0) & (take > 0.0)
            if b.keep[o] > 0:  # what leaves the origin for it: before the loss
                by_hub_day[:, o, j, :] += np.where(m, take / b.keep[o], 0.0)
            left[:, o, :] -= np.where(m, take, 0.0)
            want = np.where(m, want - take, want)
        rest = active & (want > 1e-12 * total)  # rounding: the rest from the origin that has most left
        if rest.any():
            most = np.where(arriving > 0, left, -np.inf).argmax(axis=1)  # [K, T]
            for o in range(n_o):
                mo = rest & (most == o)
                if b.keep[o] > 0:
                    by_hub_day[:, o, j, :] += np.where(mo, want / b.keep[o], 0.0)
                left[:, o, :] -= np.where(mo, want, 0.0)
    f = np.zeros((K, n_o, J, T))
    for o in range(n_o):  # back to the day each origin sent it
        d = int(b.days[o])
        f[:, o, :, : max(T - d, 0)] = by_hub_day[:, o, :, d:]
    # an origin whose goods are all lost (loss 1) sent them somewhere: to its first location
    for o in np.flatnonzero(b.keep <= 0):
        f[:, o, 0, :] = sent[:, o, :]
    return f


def identity(inst: SupplyInstance) -> Corridors:
    """The instance as it is (no transit hubs)."""
    return Corridors(inst, inst, len(inst.arcs), len(inst.warehouses), np.arange(len(inst.arcs)))


def _origin(a: Arc) -> _Origin:
    return (a.source, a.travel_days, a.loss_share, a.payload_t, tuple(a.commodities))


def aggregate(inst: SupplyInstance) -> Corridors:
    """The instance with each complete block of at least two origins' uncapped, trucked corridors to locations
    replaced by a transit hub (see the module docstring); the instance itself when there is none."""
    sites = {s.id for s in inst.sites}
    cand = [
        i
        for i, a in enumerate(inst.arcs)
        if a.target in sites and a.trucked and a.capacity_t_per_day is None and a.capacity_loads_by_day is None
    ]
    by_target: dict[str, dict[_Origin, int]] = {}
    for i in cand:
        a = inst.arcs[i]
        by_target.setdefault(a.target, {})[_origin(a)] = i
    by_origins: dict[tuple[_Origin, ...], list[str]] = {}
    for tgt, orig in by_target.items():
        # one corridor per origin and location only: two parallel corridors are not a block's single pair
        if len(orig) == sum(inst.arcs[i].target == tgt for i in cand):
            by_origins.setdefault(tuple(sorted(orig, key=repr)), []).append(tgt)
    blocks = [(o, t) for o, t in by_origins.items() if len(o) >= 2]
    if not blocks:
        return identity(inst)
    grouped = {by_target[t][o] for origins, targets in blocks for o in origins for t in targets}
    kept = np.array([i for i in range(len(inst.arcs)) if i not in grouped], dtype=np.int64)
    arcs = [inst.arcs[i] for i in kept]
    hubs: list[Warehouse] = []
    out: list[_Block] = []
    for n, (origins, targets) in enumerate(blocks):
        hub = f"{HUB_PREFIX}{n}"
        hubs.append(Warehouse(id=hub, capacity_t=None))  # holds nothing: its stock is fixed at 0 in the LP
        into = np.arange(len(arcs), len(arcs) + len(origins))
        arcs += [
            Arc(source=s, target=hub, travel_days=d, payload_t=p, loss_share=loss, commodities=c)
            for s, d, loss, p, c in origins
        ]
        links = np.arange(len(arcs), len(arcs) + len(targets))
        arcs += [Arc(source=hub, target=t, travel_days=0, trucked=False) for t in targets]
        pair = np.array([[by_target[t][o] for t in targets] for o in origins], dtype=np.int64)
        rt = np.array([[inst.arcs[i].round_trip_h or 0.0 for i in row] for row in pair]).reshape(pair.shape)
        out.append(
            _Block(
                into=into,
                out=links,
                arcs=pair,
                days=np.array([o[1] for o in origins], dtype=np.int64),
                keep=np.array([1.0 - o[2] for o in origins]),
                order=np.argsort(rt.T, axis=1, kind="stable"),
            )
        )
    lp_inst = replace(inst, warehouses=[*inst.warehouses, *hubs], arcs=arcs)
    return Corridors(lp_inst, inst, len(inst.arcs), len(inst.warehouses), kept, out)
