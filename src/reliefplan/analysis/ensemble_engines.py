"""Ensemble engines: members in this process, on a process pool (adaptive batches) or on a Dask cluster; a
failed member is retried once."""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from multiprocessing import get_context
from typing import Any

from .._errors import InputError, Problem
from ..solvers.site_times import connect
from .ensemble_member import MemberTask

SCHEDULER_TIMEOUT_S = 10.0  # how long to try reaching a Dask scheduler


def _retry_or_keep(row: dict[str, Any], task: MemberTask, rows: dict[int, dict[str, Any]]) -> MemberTask | None:
    if row.get("status") == "ok" or task.attempt >= 2:
        rows[task.inputs.index] = row
        return None
    return MemberTask(task.folder, task.scenario, task.layout, task.inputs, attempt=task.attempt + 1)


def _failed_row(task: MemberTask, exc: BaseException) -> dict[str, Any]:
    return {
        "member": task.inputs.index,
        "attempts": task.attempt,
        "status": "failed",
        "error": f"{type(exc).__name__}: {exc}",
    }


def _run_serial(
    tasks: list[MemberTask], fn: Callable[[MemberTask], dict[str, Any]], tick: Callable[[], None]
) -> dict[int, dict[str, Any]]:
    rows: dict[int, dict[str, Any]] = {}
    for task in tasks:
        t: MemberTask | None = task
        while t is not None:
            t = _retry_or_keep(fn(t), t, rows)
        tick()
    return rows


MAX_BATCH = 16  # members per task: small members (~10 ms) would otherwise pay more in messaging than in work


def run_batch(fn: Callable[[MemberTask], dict[str, Any]], tasks: list[MemberTask]) -> list[dict[str, Any]]:
    """Several members in one task (runs in a worker); one member's exception does not stop the others."""
    out = []
    for t in tasks:
        try:
            out.append(fn(t))
        except Exception as e:  # noqa: BLE001 - reported per member
            out.append(_failed_row(t, e))
    return out


def _batches(tasks: list[MemberTask], workers: int) -> list[list[MemberTask]]:
    size = max(1, min(MAX_BATCH, len(tasks) // (4 * workers)))
    return [tasks[k : k + size] for k in range(0, len(tasks), size)]


def _settle(
    batch: list[MemberTask],
    got: list[dict[str, Any]] | BaseException,
    rows: dict[int, dict[str, Any]],
    tick: Callable[[], None],
) -> list[MemberTask]:
    """Keep finished members, return those to retry."""
    retry = []
    for i, task in enumerate(batch):
        row = _failed_row(task, got) if isinstance(got, BaseException) else got[i]
        again = _retry_or_keep(row, task, rows)
        if again is None:
            tick()
        else:
            retry.append(again)
    return retry


BATCH_TARGET_S = 1.0  # a batch's work once member times are known: messaging stays small, the tail stays short


def _timed_batch(
    fn: Callable[[MemberTask], dict[str, Any]], tasks: list[MemberTask]
) -> tuple[list[dict[str, Any]], float]:
    """``run_batch`` plus its wall time in the worker (sizes the next batches)."""
    t = time.perf_counter()
    rows = run_batch(fn, tasks)
    return rows, time.perf_counter() - t


def _batch_size(worker_s: float, timed: int, left: int, workers: int) -> int:
    """Members in the next batch: one until member times are known, then ~BATCH_TARGET_S of work (at most
    MAX_BATCH), never more than a fair share of what is left (two batches per worker)."""
    size = 1
    if timed:
        size = int(min(MAX_BATCH, max(1, BATCH_TARGET_S / max(worker_s / timed, 1e-6))))
    return max(1, min(size, left // (2 * workers) or 1))


def _run_pool(
    tasks: list[MemberTask], fn: Callable[[MemberTask], dict[str, Any]], workers: int, tick: Callable[[], None]
) -> dict[int, dict[str, Any]]:
    """Members on a process pool. Batches start at one member and grow to ~BATCH_TARGET_S of work once
    member times are known: fast members do not drown in messaging, slow ones (seconds) do not leave a
    worker idle behind a long last batch. Two batches per worker stay in flight."""
    rows: dict[int, dict[str, Any]] = {}
    queue = deque(tasks)
    spent = [0.0, 0]  # worker seconds, members timed

    def next_batch() -> list[MemberTask]:
        size = _batch_size(spent[0], spent[1], len(queue), workers)
        return [queue.popleft() for _ in range(min(size, len(queue)))]

    # spawn: the solvers start threads, and forking a threaded parent can deadlock
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        pending: dict[Future, list[MemberTask]] = {}

        def submit(batch: list[MemberTask]) -> None:
            pending[pool.submit(_timed_batch, fn, batch)] = batch

        while queue and len(pending) < 2 * workers:
            submit(next_batch())
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                batch = pending.pop(fut)
                exc = fut.exception()
                if exc is None:
                    got, seconds = fut.result()
                    spent[0] += seconds
                    spent[1] += len(batch)
                retry = _settle(batch, exc if exc is not None else got, rows, tick)
                if retry:
                    submit(retry)
            while queue and len(pending) < 2 * workers:
                submit(next_batch())
    return rows


def _run_dask(
    tasks: list[MemberTask],
    fn: Callable[[MemberTask], dict[str, Any]],
    scheduler: str | None,
    dask_local: int | None,
    tick: Callable[[], None],
) -> dict[int, dict[str, Any]]:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:  # pragma: no cover - optional dependency
        raise InputError(
            Problem(file="--scheduler", message="Dask is not installed; pip install 'dask[distributed]'")
        ) from None
    cluster = None
    try:
        if scheduler is not None:
            client = connect(scheduler, SCHEDULER_TIMEOUT_S)
        else:
            cluster = LocalCluster(
                n_workers=dask_local, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
            )
            client = Client(cluster)
        rows: dict[int, dict[str, Any]] = {}
        with client:
            n_workers = max(1, len(client.scheduler_info().get("workers", {})))
            tag = os.urandom(4).hex()  # keys unique per ensemble on a shared cluster
            batches: dict[str, list[MemberTask]] = {}

            def submit(batch: list[MemberTask]) -> Any:
                key = f"reliefplan-members-{tag}-{batch[0].inputs.index}-{batch[0].attempt}"
                batches[key] = batch
                return client.submit(run_batch, fn, batch, pure=False, key=key)

            ac = as_completed([submit(b) for b in _batches(tasks, n_workers)])
            for fut in ac:
                batch = batches.pop(fut.key)
                try:
                    got: list[dict[str, Any]] | BaseException = fut.result()
                except Exception as e:  # noqa: BLE001 - a worker died or the task could not run
                    got = e
                retry = _settle(batch, got, rows, tick)
                if retry:
                    ac.add(submit(retry))
        return rows
    finally:
        if cluster is not None:
            cluster.close()
