"""Ensemble throughput: members per minute on 1 and 2 workers, and a member's cost vs a cold plan.

Run: `python -m benchmarks.bench_ensemble [--runs N] [--members M] [--rafah NAME [--horizon-days D] [--layout [off|fit|on]]
[--supply-only]] [--supply plan|operate] [--no-throughput] [--same-draws N] [--repeats R] [--cold-plans N]
[--dask-local K]`.
Default: the small synthetic scenario of tests/conftest.py (layouts off). `--rafah full` runs the bundled
example (examples/rafah-2024, copied, with its own uncertainty block) instead: 2-10 s per member with layouts off,
so 200 members take ~15-20 min on one worker. `--rafah full-180d` (or `targeted-180d`) runs the example's 180-day
scenarios of issue 21 (seasons and the health layer on), `--horizon-days D` overrides a scenario's horizon; each
run is printed as it ends (a 180-day member takes minutes: `--members 6 --repeats 1 --same-draws 1`). Figures are
ratios against baselines run in the same process, medians, each line with the load average of the (shared) machine:

* member / cold plan: a warm member (scenario loaded, travel times and layout fits cached in the worker)
  against load_scenario + plan in a fresh cache, both with their stage times, wall and CPU (this process's CPU
  seconds: steadier than wall time on a shared machine). Target (issues 10, 16, 19, 21): <= 25 %.
  `--same-draws N` also times cold plans of the first N members' draws: the base scenario's cold plan solves
  the scenario's declared crossings, a member the sampled ones, whose supply LP can be much harder (see
  docs/ensemble.md), so this is what a member costs against the same work done without reuse.
* 2 workers / 1 worker members per minute, start-up (process start, scenario load, first member of each
  worker) included and excluded. Target: >= 1.7x.
* `--cold-plans N`: N cold plans in each of 2 processes at once, against members on 2 workers: what a member costs
  when both keep every core busy (a plan runs its camp layouts and its two movement runs on a second thread, so
  one plan alone is faster in wall time than its share of two cores)."""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import yaml

from reliefplan.analysis import ensemble, ensemble_member
from reliefplan.pipeline import run
from reliefplan.scenario.config import with_layout
from reliefplan.scenario.folder import load_scenario
from reliefplan.solvers.movement_days import routes

SYNTHETIC_UNC = {
    "parameters": {
        "pop": {"target": "zone.population_error", "dist": "normal", "mean": 0, "sd": 0.15, "each": True},
        "frac": {"target": "site.usable_fraction", "dist": "triangular", "low": 0.3, "mode": 0.6, "high": 0.9},
        "tpd": {"target": "entry.trucks_per_day", "dist": "uniform", "low": 4, "high": 12},
    },
    "closures": [{"entry_point": "KS", "probability_per_day": 0.05, "mean_days": 3}],
}


def synthetic(tmp: Path) -> tuple[Path, str]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from conftest import write_scenario  # type: ignore[import-not-found]

    return write_scenario(
        tmp / "synthetic", config={"layout": {"enabled": False}, "uncertainty": SYNTHETIC_UNC}
    ), "main"


# Supply uncertainty only (`--supply-only`: Kerem Shalom closures, daily trucks resampled from the 2024 line list):
# members share the sheltering, and re-solve only the supply plan.
SUPPLY_KEYS = ("closures", "entry_capacity_bootstrap")


def rafah(
    tmp: Path, name: str, supply_only: bool = False, horizon_days: int | None = None, layout: str = "off"
) -> tuple[Path, str]:
    """The example copied to ``tmp`` with its own uncertainty block (only its supply part if ``supply_only``; and
    scenario ``name``'s horizon overridden; ``layout`` "off": no camp layouts at all, capacity by area)."""
    src = Path(__file__).resolve().parents[1] / "examples" / "rafah-2024"
    dst = tmp / "rafah"
    shutil.copytree(src, dst)  # a copy: the scenario reader refuses files reached through a symbolic link
    cfg = yaml.safe_load((src / "scenario.yaml").read_text())
    if supply_only:
        cfg["uncertainty"] = {k: cfg["uncertainty"][k] for k in SUPPLY_KEYS}
    if horizon_days is not None:
        cfg["scenarios"][name]["horizon_days"] = horizon_days
    if layout == "off":
        cfg["layout"] = {**cfg.get("layout", {}), "enabled": False}
    (dst / "scenario.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return dst, name


def _load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def _cold(folder: Path, name: str, layout: bool | None, draws: Any = None) -> tuple[float, float, dict, dict]:
    """(wall s, CPU s, wall and CPU s per stage) of a cold plan: load + plan in an empty cache; ``draws``: a
    member's inputs applied to the scenario first (a cold plan of the same draws)."""
    ensemble_member._STATE.clear()
    ensemble_member._SHELTERED.clear()
    _clear_fit_caches()
    routes._SEGMENTS.clear()  # the ways to the sites of the hourly movement (scenarios with orders)
    st: dict[str, float] = {}
    st_cpu: dict[str, float] = {}
    c = time.process_time()
    t = time.perf_counter()
    sc = load_scenario(folder, name)
    if layout is not None:  # as a member does (`ensemble_member._base`)
        sc.layout = with_layout(sc.layout, layout)
    if draws is not None:
        sc = ensemble.member_scenario(sc, draws)
    step = _stepper(st, st_cpu)
    run(sc, step)
    step("end")
    return time.perf_counter() - t, time.process_time() - c, st, st_cpu


def member_vs_cold(
    folder: Path,
    name: str,
    layout: bool | None,
    repeats: int,
    members_n: int,
    same_draws: int = 0,
    log: Any = None,
    supply: str = "plan",
) -> dict:
    """Medians (wall and CPU s, and per stage) of a cold plan (load + plan, empty cache), of the same plan from a
    warm worker (same inputs: what reuse alone saves) and of a warm ensemble member (sampled inputs); with
    ``same_draws`` > 0, also of cold plans of the first ``same_draws`` members' draws (what the sampled inputs
    alone cost, without any reuse). CPU is this process's (steadier than wall time on a shared machine).
    log: called with a line per run as it ends (long horizons take minutes)."""
    med = statistics.median
    stages = lambda rows: {k: med([r.get(k, 0.0) for r in rows]) for k in rows[0]}
    out: dict[str, Any] = {}
    say = log or (lambda _line: None)

    def timed(label: str, r: tuple[float, float, dict, dict]) -> tuple[float, float, dict, dict]:
        top = sorted(r[3].items(), key=lambda kv: -kv[1])[:4]
        say(f"  {label}: {r[0]:.2f} s wall, {r[1]:.2f} s CPU [{', '.join(f'{k} {v:.2f}' for k, v in top)}]; {_load()}")
        return r

    def keep(label: str, runs: list[tuple[float, float, dict, dict]]) -> None:
        out[label] = med([r[0] for r in runs])
        out[label + "_cpu"] = med([r[1] for r in runs])
        out[label + "_stages"] = stages([r[2] for r in runs])
        out[label + "_stages_cpu"] = stages([r[3] for r in runs])

    keep("cold", [timed("cold plan", _cold(folder, name, layout)) for _ in range(repeats)])
    sc = load_scenario(folder, name)
    members = ensemble.draw_members(sc, members_n + 1, seed=1)
    key = str(folder.resolve())
    c = time.process_time()
    ensemble.run_member(ensemble.MemberTask(key, name, layout, members[0], supply=supply))  # warms the caches
    say(f"  first member (warms the worker): {time.process_time() - c:.2f} s CPU; {_load()}")
    base, cache = ensemble_member._base(key, name, layout)
    warm = []
    for m in members[1:]:
        st: dict[str, float] = {}
        st_cpu: dict[str, float] = {}
        step = _stepper(st, st_cpu)
        c = time.process_time()
        t = time.perf_counter()
        ensemble.plan_member(base, cache, m, step, supply=supply)
        step("end")
        warm.append(timed(f"member {m.index}", (time.perf_counter() - t, time.process_time() - c, st, st_cpu)))
    keep("member", warm)
    same = []
    for _ in range(repeats):
        t = time.perf_counter()
        run(base, cache=cache)
        same.append(time.perf_counter() - t)
        say(f"  same inputs, warm worker: {same[-1]:.2f} s wall; {_load()}")
    out["same"] = med(same)
    if same_draws:
        keep(
            "cold_same_draws",
            [
                timed(f"cold plan of member {m.index}'s draws", _cold(folder, name, layout, m))
                for m in members[1 : 1 + same_draws]
            ],
        )
    return out


def _clear_fit_caches() -> None:
    """A cold plan fits every site's camp layout again (the layout solver remembers fits in the process)."""
    from reliefplan.solvers.layout import grid, services

    for mod in (grid, services):
        for f in vars(mod).values():
            if hasattr(f, "cache_clear"):
                f.cache_clear()


def _stepper(store: dict[str, float], cpu: dict[str, float] | None = None):
    """A progress callback that adds each stage's wall seconds to ``store`` (and CPU seconds to ``cpu``)."""
    last: list[Any] = [time.perf_counter(), None, time.process_time()]

    def step(msg: str) -> None:
        now, now_cpu = time.perf_counter(), time.process_time()
        if last[1] is not None:
            store[last[1]] = store.get(last[1], 0.0) + now - last[0]
            if cpu is not None:
                cpu[last[1]] = cpu.get(last[1], 0.0) + now_cpu - last[2]
        last[0], last[1], last[2] = now, msg, now_cpu

    return step


def _cold_plans(folder: str, name: str, layout: bool | None, plans: int) -> list[float]:
    """Wall s of ``plans`` cold plans one after the other in this (worker) process."""
    return [_cold(Path(folder), name, layout)[0] for _ in range(plans)]


def cold_throughput(folder: Path, name: str, layout: bool | None, plans: int, workers: int = 2) -> float:
    """Cold plans per minute with ``workers`` processes planning at once (each warmed by a first plan, as a worker
    is by its first member): what a member is weighed against when both use every core. The two movement runs and
    the camp layouts of a plan use a second thread, which the other process's plans need too."""
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        list(pool.map(_cold_plans, *zip(*[(str(folder), name, layout, 1)] * workers)))
        t = time.perf_counter()
        done = sum(len(w) for w in pool.map(_cold_plans, *zip(*[(str(folder), name, layout, plans)] * workers)))
        return done / (time.perf_counter() - t) * 60.0


def throughput(folder: Path, name: str, runs: int, layout: bool | None, **engine: Any) -> tuple[float, float]:
    """Members per minute with start-up (process start, scenario load, first member per worker) included,
    and excluded: counted from the moment as many members finished as there are workers."""
    workers = int(engine.get("workers") or engine.get("dask_local") or 1)
    ensemble_member._STATE.clear()  # the in-process worker starts cold too
    ensemble_member._SHELTERED.clear()
    stamps: list[float] = []
    t = time.perf_counter()
    res = ensemble.run_ensemble(
        folder,
        name,
        runs,
        seed=1,
        layout=layout,
        progress=lambda done, total: stamps.append(time.perf_counter()),
        **engine,
    )
    dt = time.perf_counter() - t
    assert res.summary["ok"] == runs, res.failed
    steady = (runs - workers) / max(stamps[-1] - stamps[workers - 1], 1e-9) * 60.0 if runs > workers else math.nan
    return runs / dt * 60.0, steady


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="bench_ensemble")
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--rafah", default=None, help="scenario of examples/rafah-2024 (e.g. full, targeted, full-180d)")
    ap.add_argument("--horizon-days", type=int, default=None, help="override the Rafah scenario's horizon (days)")
    ap.add_argument(
        "--layout",
        nargs="?",
        const="on",
        default="off",
        choices=("off", "fit", "on"),
        help="Rafah only: off = no camp layouts (capacity by area; default), fit = capacity from the layout fit, "
        "camps not drawn (`ensemble --no-layout`), on = drawn (the scenario as declared)",
    )
    ap.add_argument(
        "--supply-only",
        action="store_true",
        help="Rafah with supply uncertainty only (closures, observed trucks): members share the sheltering",
    )
    ap.add_argument("--no-throughput", action="store_true", help="member / cold only")
    ap.add_argument(
        "--cold-plans",
        type=int,
        default=0,
        help="also time N cold plans in each of 2 processes at once, against members on 2 workers",
    )
    ap.add_argument("--dask-local", type=int, default=0, help="also measure a Dask LocalCluster of K workers")
    ap.add_argument("--members", type=int, default=12, help="warm members timed stage by stage")
    ap.add_argument("--repeats", type=int, default=0, help="cold plans timed (default 3 for Rafah, 10 synthetic)")
    ap.add_argument(
        "--same-draws", type=int, default=0, help="also time cold plans of the first N members' draws (no reuse)"
    )
    ap.add_argument(
        "--supply", default="plan", choices=("plan", "operate"), help="members' supply: planned, or operated day by day"
    )
    a = ap.parse_args(argv or [])  # `python -m benchmarks` calls main() with no arguments
    with tempfile.TemporaryDirectory() as tmp:
        mode = a.layout if a.rafah else "off"
        folder, name = (
            rafah(Path(tmp), a.rafah, a.supply_only, a.horizon_days, mode) if a.rafah else synthetic(Path(tmp))
        )
        layout = {"off": None, "fit": False, "on": True}[mode]
        print(
            f"scenario: {'rafah-2024/' + a.rafah if a.rafah else 'synthetic (tests/conftest.py)'}"
            f"{', supply uncertainty only' if a.supply_only and a.rafah else ''}, "
            f"layouts {mode}, {a.runs} members",
            flush=True,
        )
        r = member_vs_cold(
            folder,
            name,
            layout,
            repeats=a.repeats or (3 if a.rafah else 10),
            members_n=a.members,
            same_draws=a.same_draws,
            log=lambda line: print(line, flush=True),
            supply=a.supply,
        )
        fmt = lambda st: ", ".join(f"{k} {v:.2f}" for k, v in st.items() if v >= 0.005)
        print(
            f"cold plan (load + plan), median: {r['cold']:.3f} s wall [{fmt(r['cold_stages'])}], "
            f"{r['cold_cpu']:.3f} s CPU [{fmt(r['cold_stages_cpu'])}]; {_load()}",
            flush=True,
        )
        print(
            f"same plan in a warm worker: {r['same']:.3f} s ({r['same'] / r['cold']:.0%}); warm member (sampled "
            f"inputs), median of {a.members}: {r['member']:.3f} s wall [{fmt(r['member_stages'])}], "
            f"{r['member_cpu']:.3f} s CPU [{fmt(r['member_stages_cpu'])}]; member / cold = "
            f"{r['member'] / r['cold']:.0%} wall, {r['member_cpu'] / r['cold_cpu']:.0%} CPU (target <= 25 %); {_load()}",
            flush=True,
        )
        if a.same_draws:
            print(
                f"cold plan of the same draws, median of {a.same_draws}: {r['cold_same_draws']:.3f} s wall "
                f"[{fmt(r['cold_same_draws_stages'])}], {r['cold_same_draws_cpu']:.3f} s CPU "
                f"[{fmt(r['cold_same_draws_stages_cpu'])}]; member / cold plan of the same draws = "
                f"{r['member'] / r['cold_same_draws']:.0%} wall, {r['member_cpu'] / r['cold_same_draws_cpu']:.0%} CPU; "
                f"{_load()}",
                flush=True,
            )
        if a.no_throughput:
            return
        if a.cold_plans:
            colds = cold_throughput(folder, name, layout, a.cold_plans)
            print(f"2 processes planning at once: {colds:.1f} cold plans/min; {_load()}", flush=True)
        one, one_steady = throughput(folder, name, a.runs, layout, workers=1, supply=a.supply)
        print(
            f"1 worker (in process): {one:.1f} members/min start-up included, {one_steady:.1f} excluded; {_load()}",
            flush=True,
        )
        two, two_steady = throughput(folder, name, a.runs, layout, workers=2, supply=a.supply)
        print(
            f"2 workers (process pool): {two:.1f} members/min start-up included, {two_steady:.1f} excluded; "
            f"2 / 1 = {two / one:.2f}x included, {two_steady / one_steady:.2f}x excluded (target >= 1.7x); {_load()}",
            flush=True,
        )
        if a.cold_plans:
            print(
                f"on both cores, a member costs {colds / two_steady:.0%} of a cold plan (cold plans/min over members/min "
                f"on 2 workers, start-up excluded; target <= 25 %)",
                flush=True,
            )
        if a.dask_local:
            dk, dk_steady = throughput(folder, name, a.runs, layout, engine="dask", dask_local=a.dask_local)
            print(
                f"Dask LocalCluster {a.dask_local} workers: {dk:.1f} members/min start-up included, "
                f"{dk_steady:.1f} excluded; vs 1 worker {dk / one:.2f}x / {dk_steady / one_steady:.2f}x; {_load()}",
                flush=True,
            )


if __name__ == "__main__":
    main(sys.argv[1:])
