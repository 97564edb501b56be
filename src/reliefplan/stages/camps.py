"""Camp layouts for the plan: layout capacity per candidate site, then a layout for each opened site."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from .._cpus import usable_cpus
from .._errors import InputError, Problem
from ..scenario.folder import Scenario
from ..solvers.layout import CampLayout, Geometry, LayoutParams, generate_layout, layout_capacity
from .travel import TravelCache, geometry_key

if TYPE_CHECKING:
    from distributed import Client


T = TypeVar("T")
#: sites to fit, (free part, people, site id, source file) each -> one result per site
Jobs = list[tuple[Geometry, int, str, str]]


def layout_params(sc: Scenario) -> LayoutParams:
    """The layout figures of the scenario; a figure out of range is an error in scenario.yaml (the field that
    set it: household_size, layout.*, or the standards override)."""
    spec = sc.layout
    p = LayoutParams.from_standards(
        sc.standards,
        latrine_phase=spec.latrine_phase,
        household_size=sc.household_size,
        distance_metric=spec.distance_metric,
        search_phase=spec.search_origin,
        no_build_buffer_m=spec.no_build_buffer_m,
    )
    fields = {"household_size": "household_size", "no_build_buffer_m": "layout.no_build_buffer_m"}
    problems = [
        Problem(
            file=str(sc.folder / "scenario.yaml"),
            message=q.message,
            field=fields.get(q.field or "", f"standards.overrides.{q.field}"),
        )
        for q in p.problems()
    ]
    if problems:
        raise InputError(problems)
    return p


def _no_build(sc: Scenario) -> list[Geometry] | None:
    return list(sc.no_build_m) or None


def layout_capacities(
    sc: Scenario, free_geoms: np.ndarray, params: LayoutParams, *, client: Client | None = None
) -> np.ndarray:
    """People the modular layout fits on each site's free part (before the usable fraction).

    client: a dask.distributed Client to fit the sites by batch on its cluster (the same figures)."""
    todo = [j for j, g in enumerate(free_geoms) if not g.is_empty]
    batch = _capacity_batch if client is not None else _capacity_threads
    fits = _by_site(client, batch, sc, free_geoms, np.zeros(len(free_geoms), dtype=np.int64), todo, params)
    out = np.zeros(len(free_geoms))
    out[todo] = fits
    return out


def lay_out(
    sc: Scenario, free_geoms: np.ndarray, people: np.ndarray, params: LayoutParams, *, client: Client | None = None
) -> list[CampLayout]:
    """A layout for every site that receives people, in site order.

    client: a dask.distributed Client to lay the sites out by batch on its cluster (the same layouts)."""
    todo = [j for j, n in enumerate(people) if n > 0]
    return _by_site(client, _layout_batch, sc, free_geoms, people, todo, params)


# One site's work is small (~10-100 ms) and a task costs the scheduler ~1 ms: a few batches per worker thread
# keep every worker busy to the end without flooding the scheduler.
BATCHES_PER_THREAD = 4


def _by_site(
    client: Client | None,
    batch_fn: Callable[[Jobs, LayoutParams, list[Geometry] | None], list[T]],
    sc: Scenario,
    free_geoms: np.ndarray,
    people: np.ndarray,
    todo: list[int],
    params: LayoutParams,
) -> list[T]:
    """batch_fn over the sites `todo`, here or by batch on the Dask cluster; one result per site, in `todo` order.

    On the cluster site j goes to worker j mod n (another one only if that one is gone), so that the layout pass
    finds the site's fitted grid in the cache the capacity pass left in that worker."""
    jobs = [(free_geoms[j], int(people[j]), sc.sites[j].id, sc.sites[j].source.partition("#")[0]) for j in todo]
    no_build = _no_build(sc)
    if client is None or not jobs:
        return batch_fn(jobs, params, no_build)
    nthreads: dict[str, int] = client.nthreads()
    workers = sorted(nthreads)
    if not workers:  # a cluster without workers yet
        return batch_fn(jobs, params, no_build)
    shared = client.scatter(no_build, broadcast=True, hash=False) if no_build else None
    futures, order = [], []
    for w, addr in enumerate(workers):
        mine = [k for k, j in enumerate(todo) if j % len(workers) == w]
        size = max(1, -(-len(mine) // (BATCHES_PER_THREAD * max(1, nthreads[addr]))))
        for b in range(0, len(mine), size):
            batch = mine[b : b + size]
            futures.append(
                client.submit(
                    batch_fn,
                    [jobs[k] for k in batch],
                    params,
                    shared,
                    workers=[addr],
                    allow_other_workers=True,
                    pure=False,
                )
            )
            order.extend(batch)
    out: dict[int, T] = {}
    for k, r in zip(order, [r for batch in client.gather(futures) for r in batch]):
        out[k] = r
    return [out[k] for k in range(len(jobs))]


def _layout_batch(jobs: Jobs, params: LayoutParams, no_build: list[Geometry] | None) -> list[CampLayout]:
    return [
        generate_layout(g, n, params, site_id=site_id, no_build=no_build, source=source)
        for g, n, site_id, source in jobs
    ]


def _capacity_batch(jobs: Jobs, params: LayoutParams, no_build: list[Geometry] | None) -> list[float]:
    return [layout_capacity(g, params, no_build, site_id=site_id, source=source) for g, _n, site_id, source in jobs]


def _capacity_threads(jobs: Jobs, params: LayoutParams, no_build: list[Geometry] | None) -> list[float]:
    """_capacity_batch on two threads, a site at a time, results in site order. The capacity pass stands before the
    siting, on the plan's critical path, and spends most of its time where the GIL is released (GEOS, cKDTree, the
    cover kernels): the sites are independent, so the figures are the same as one after the other."""
    if len(jobs) < 2 or usable_cpus() < 2:
        return _capacity_batch(jobs, params, no_build)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="reliefplan-capacity") as pool:
        return list(pool.map(lambda job: _capacity_batch([job], params, no_build)[0], jobs))


def layout_fit(sc: Scenario, free: np.ndarray, params: LayoutParams, cache: TravelCache | None) -> np.ndarray:
    """People each site's free land holds under the camp layout (from the cache when it holds the same fit)."""
    # the layout fit depends on geometry and layout settings only: ensemble members share it
    key = (
        geometry_key(
            free, repr(params), [s.id for s in sc.sites], geometry_key(np.asarray(sc.no_build_m, dtype=object))
        )
        if cache is not None
        else ""
    )
    fit = cache.layout_people.get(key) if cache is not None else None
    if fit is None:
        fit = layout_capacities(sc, free, params, client=cache.client if cache is not None else None)
        if cache is not None:
            cache.layout_people[key] = fit
    return fit
