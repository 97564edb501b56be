"""The supply LP's demand cells: every group a location lists (the report cells) and the cells the LP works with
(a location's groups merged under equal sharing), with their sharing classes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .model import GROUP_PRIORITY_FACTOR, SupplyInstance


def _cells(
    inst: SupplyInstance, kidx: dict[str, int], T: int
) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray, np.ndarray]:
    """(site index, group, need [K, Q, T], people [Q, T], listed [K, Q]) of every report cell: each group a site
    lists (even with no need today: a plan's members keep one LP structure, so the next solve starts warm), or a
    site without groups as one cell 'all' when it needs anything. `listed`: the cell names that commodity."""
    K = len(kidx)
    site_of: list[int] = []
    group_of: list[str] = []
    blocks: list[np.ndarray] = []
    people: list[np.ndarray] = []
    listed: list[np.ndarray] = []
    for s, site in enumerate(inst.sites):
        parts = site.groups or {"all": site.demand_t}
        for g, dem in parts.items():
            d = np.zeros((K, T))
            named = np.zeros(K, dtype=bool)
            for k, v in dem.items():
                d[kidx[k]] = np.asarray(v, dtype=float)
                named[kidx[k]] = True
            if not (site.groups and named.any()) and not d.any():
                continue
            site_of.append(s)
            group_of.append(g)
            blocks.append(d)
            listed.append(named | d.any(axis=1))
            pp = site.group_people.get(g) if site.groups else site.people
            people.append(np.full(T, np.nan) if pp is None else np.asarray(pp, dtype=float))
    demand = np.stack(blocks, axis=1) if blocks else np.zeros((K, 0, T))
    return (
        np.array(site_of, dtype=np.int64),
        group_of,
        demand,
        np.array(people).reshape(len(people), T) if people else np.zeros((0, T)),
        np.array(listed).T.reshape(K, len(listed)) if listed else np.zeros((K, 0), dtype=bool),
    )


@dataclass
class _LpCells:
    """The demand cells the LP works with, per commodity: one per site for a daily commodity under equal sharing
    (the site's groups share its stock and its shortfall in proportion to their need), else one per report cell."""

    k: np.ndarray  # [J] commodity
    site: np.ndarray  # [J]
    cls: np.ndarray  # [J] sharing class (group rank under priority, 0 under equal)
    need: np.ndarray  # [J, T] the day's need
    ref: np.ndarray  # [J, T] what shortfall is measured against (need, or all owed so far)
    members: list[np.ndarray]  # [J] report cells it stands for
    local: np.ndarray  # [J] bool: its site has local supply of its commodity (may do better than the share)


def _lp_cells(
    inst: SupplyInstance,
    cell_site: np.ndarray,
    cell_group: list[str],
    cell_dem: np.ndarray,
    listed: np.ndarray,
    carry: np.ndarray,
    classes: dict[str, int],
    nidx: dict[str, int],
    kidx: dict[str, int],
    E: int,
    W: int,
) -> _LpCells:
    K, Q, T = cell_dem.shape
    local = set()  # (k, site) with production at the site or a pipeline into it from a producer
    producers: dict[int, set[int]] = {}
    for p in inst.production:
        producers.setdefault(nidx[p.node], set()).add(kidx[p.commodity])
    for n, made in producers.items():
        if n >= E + W:
            local |= {(k, n - E - W) for k in made}
    for a in inst.arcs:
        src, dst = nidx[a.source], nidx[a.target]
        if not a.trucked and dst >= E + W:
            local |= {(k, dst - E - W) for k in producers.get(src, ())}
    ks: list[int] = []
    sites: list[int] = []
    cls: list[int] = []
    members: list[np.ndarray] = []
    for k in range(K):
        have = np.flatnonzero(listed[k])
        if inst.sharing == "equal" and not carry[k]:
            for s in np.unique(cell_site[have]):
                ks.append(k)
                sites.append(int(s))
                cls.append(0)
                members.append(have[cell_site[have] == s])
        else:
            for q in have:
                ks.append(k)
                sites.append(int(cell_site[q]))
                cls.append(classes.get(cell_group[q], 0))
                members.append(np.array([q]))
    k_a, s_a = np.array(ks, dtype=np.int64), np.array(sites, dtype=np.int64)
    need = np.array([cell_dem[k, m].sum(axis=0) for k, m in zip(ks, members)]).reshape(len(ks), T)
    ref = need.copy()
    ref[carry[k_a]] = np.cumsum(need[carry[k_a]], axis=1)
    return _LpCells(
        k=k_a,
        site=s_a,
        cls=np.array(cls, dtype=np.int64),
        need=need,
        ref=ref,
        members=members,
        local=np.array([(k, s) in local for k, s in zip(ks, sites)], dtype=bool),
    )


def _sharing_classes(inst: SupplyInstance, cell_group: list[str]) -> tuple[dict[str, int], np.ndarray, int]:
    """(class of each group, deprivation factor per class, number of classes C: 0 without sharing)."""
    groups = list(dict.fromkeys(cell_group))
    if inst.sharing == "priority":
        order = [g for g in inst.group_priority if g in groups] + [g for g in groups if g not in inst.group_priority]
        classes = {g: i for i, g in enumerate(order)}
        gfac_c = np.array([GROUP_PRIORITY_FACTOR ** (len(order) - 1 - i) for i in range(len(order))])
    else:
        classes, gfac_c = {}, np.ones(1)
    return classes, gfac_c, (max(len(classes), 1) if inst.sharing != "none" else 0)
