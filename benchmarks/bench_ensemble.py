"""Ensemble throughput: members per minute on 1 and 2 workers, and a member's cost vs a cold plan.

Run: `python -m benchmarks.bench_ensemble [--runs N] [--rafah NAME [--layout]] [--dask-local K]`.
Default: the small synthetic scenario of tests/conftest.py (layouts off). `--rafah full` runs the bundled
example (examples/rafah-2024, copied with an uncertainty block) instead: about 8 s per member with layouts
off, so keep --runs small on a shared machine. Figures are ratios against baselines run in the same process:

* member / cold plan: a warm member (scenario loaded, travel times and layout fits cached in the worker)
  against load_scenario + plan in a fresh cache. Target (issue 10): <= 25 %.
* 2 workers / 1 worker members per minute (pool start-up included). Target: >= 1.7x.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

from reliefplan import ensemble
from reliefplan.pipeline import run
from reliefplan.scenario import load_scenario

SYNTHETIC_UNC = {
    "parameters": {
        "pop": {"target": "zone.population_error", "dist": "normal", "mean": 0, "sd": 0.15, "each": True},
        "frac": {"target": "site.usable_fraction", "dist": "triangular", "low": 0.3, "mode": 0.6, "high": 0.9},
        "tpd": {"target": "entry.trucks_per_day", "dist": "uniform", "low": 4, "high": 12},
    },
    "closures": [{"entry_point": "KS", "probability_per_day": 0.05, "mean_days": 3}],
}

RAFAH_UNC = {
    "parameters": {
        "population_error": {"target": "zone.population_error", "dist": "normal", "mean": 0, "sd": 0.1},
        "usable_fraction": {"target": "site.usable_fraction", "dist": "triangular", "low": 0.5, "mode": 0.7,
                            "high": 0.85},
        "road_capacity": {"target": "roads.capacity_factor", "dist": "lognormal", "median": 1.0, "sigma": 0.25},
    },
    "closures": [{"entry_point": "KEREM-SHALOM", "probability_per_day": 0.05, "mean_days": 3}],
    "entry_capacity_bootstrap": {"file": "entry_capacity_observed_2024.csv", "block_days": 7},
}


def synthetic(tmp: Path) -> tuple[Path, str]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from conftest import write_scenario  # type: ignore[import-not-found]

    return write_scenario(tmp / "synthetic", config={"layout": {"enabled": False}, "uncertainty": SYNTHETIC_UNC}), "main"


def rafah(tmp: Path, name: str) -> tuple[Path, str]:
    src = Path(__file__).resolve().parents[1] / "examples" / "rafah-2024"
    dst = tmp / "rafah"
    dst.mkdir()
    for f in src.iterdir():
        if f.name != "scenario.yaml":
            (dst / f.name).symlink_to(f)
    cfg = yaml.safe_load((src / "scenario.yaml").read_text())
    cfg["uncertainty"] = RAFAH_UNC
    (dst / "scenario.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return dst, name


def member_vs_cold(folder: Path, name: str, layout: bool, repeats: int) -> tuple[float, float, float]:
    """Mean seconds of a cold plan (load + plan, empty cache), of the same plan from a warm worker (same
    inputs: what reuse alone saves) and of a warm ensemble member (sampled inputs)."""
    cold = []
    for _ in range(repeats):
        t = time.perf_counter()
        sc = load_scenario(folder, name)
        sc.layout = sc.layout.model_copy(update={"enabled": layout})
        run(sc)
        cold.append(time.perf_counter() - t)
    sc = load_scenario(folder, name)
    members = ensemble.draw_members(sc, repeats + 1, seed=1)
    tasks = [ensemble.MemberTask(str(folder.resolve()), name, layout, m) for m in members]
    ensemble.run_member(tasks[0])  # warms this process's scenario and caches
    warm = []
    for task in tasks[1:]:
        t = time.perf_counter()
        row = ensemble.run_member(task)
        warm.append(time.perf_counter() - t)
        assert row["status"] == "ok", row.get("error")
    base, cache = ensemble._base(str(folder.resolve()), name, layout)
    same = []
    for _ in range(repeats):
        t = time.perf_counter()
        run(base, cache=cache)
        same.append(time.perf_counter() - t)
    return statistics.mean(cold), statistics.mean(same), statistics.mean(warm)


def throughput(folder: Path, name: str, runs: int, layout: bool, **engine) -> float:
    t = time.perf_counter()
    res = ensemble.run_ensemble(folder, name, runs, seed=1, layout=layout, **engine)
    dt = time.perf_counter() - t
    assert res.summary["ok"] == runs, res.failed
    return runs / dt * 60.0


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="bench_ensemble")
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--rafah", default=None, help="scenario of examples/rafah-2024 (e.g. full, targeted)")
    ap.add_argument("--layout", action="store_true", help="camp layouts on (Rafah only)")
    ap.add_argument("--dask-local", type=int, default=0, help="also measure a Dask LocalCluster of K workers")
    a = ap.parse_args(argv or [])  # `python -m benchmarks` calls main() with no arguments
    with tempfile.TemporaryDirectory() as tmp:
        folder, name = rafah(Path(tmp), a.rafah) if a.rafah else synthetic(Path(tmp))
        layout = bool(a.layout and a.rafah)
        print(f"scenario: {'rafah-2024/' + a.rafah if a.rafah else 'synthetic (tests/conftest.py)'}, "
              f"layouts {'on' if layout else 'off'}, {a.runs} members", flush=True)
        cold_s, same_s, warm_s = member_vs_cold(folder, name, layout, repeats=3 if a.rafah else 10)
        print(f"cold plan (load + plan): {cold_s:.3f} s; same plan in a warm worker: {same_s:.3f} s "
              f"({same_s / cold_s:.0%}); warm member (sampled inputs): {warm_s:.3f} s; "
              f"member / cold = {warm_s / cold_s:.0%} (target <= 25 %)", flush=True)
        one = throughput(folder, name, a.runs, layout, workers=1)
        print(f"1 worker (in process): {one:.1f} members/min", flush=True)
        two = throughput(folder, name, a.runs, layout, workers=2)
        print(f"2 workers (process pool, start-up included): {two:.1f} members/min; "
              f"2 / 1 = {two / one:.2f}x (target >= 1.7x)", flush=True)
        if a.dask_local:
            dk = throughput(folder, name, a.runs, layout, engine="dask", dask_local=a.dask_local)
            print(f"Dask LocalCluster {a.dask_local} workers (start-up included): {dk:.1f} members/min; "
                  f"vs 1 worker {dk / one:.2f}x", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
