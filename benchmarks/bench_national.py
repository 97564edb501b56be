"""National scale (issue 24): the whole plan at 1 M, 3 M and 10 M people, time and peak memory per stage.

Run: ``python -m benchmarks.bench_national [--sizes 1m,3m,10m] [--without layout,evacuation,supply]
[--no-write] [--nx] [--profile DIR] [--keep DIR] [--timeout S] [--max-rss-gb 16]``

A size whose resident memory passes --max-rss-gb (default 16, the issue's target) is stopped and reported
with the stages it finished: the machine is shared.

Each size is generated (benchmarks/national.py, seeded) into a temporary folder (or ``--keep DIR``) and planned
in a fresh process, so that its peak memory is its own. Stages are timed through the pipeline's progress
callback (one stage runs from its message to the next one); loading the scenario and writing the outputs
(``products.write_run``: plan.json, GeoJSON, layout.gpkg, plan.gpkg, tables, report) are stages too.

Peak memory per stage is the kernel's resident-set high-water mark (VmHWM of /proc/self/status), reset at
the start of every stage by writing 5 to /proc/self/clear_refs. Unlike tracemalloc it sees the memory of the
C/C++ solvers (HiGHS, OR-Tools, LEMON) and of scipy's Dijkstra, and costs nothing while the stage runs;
unlike a sampling thread it cannot miss a short peak. Where clear_refs is not writable the figure is the
process's peak so far (getrusage), marked with '*'.

CPU time (time.process_time, all threads of the process) is reported next to wall time: on a shared machine it
is the steadier figure. The cost curve is each size's time (and memory) over the previous size's. ``--nx`` adds, on the 1 M case,
the straightforward way of doing the network -> walking times -> siting part: a networkx graph of the same
road links, one networkx Dijkstra per site with the walking limit as cutoff, the same zone means, and the
transportation model in PuLP solved by CBC; it prints both times, their ratio and whether the answers agree.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.national import SIZES, write_national

_CLEAR = Path("/proc/self/clear_refs")


def _rss_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class StageClock:
    """Times stages from progress messages; peak RSS per stage from the kernel high-water mark."""

    def __init__(self) -> None:
        self.stages: list[dict[str, Any]] = []
        self._name: str | None = None
        self._t0 = 0.0
        self._c0 = 0.0
        self.resettable = True

    def _reset_peak(self) -> None:
        try:
            _CLEAR.write_text("5")
        except OSError:
            self.resettable = False

    def __call__(self, name: str) -> None:
        self.stop()
        self._name, self._t0, self._c0 = name, time.perf_counter(), time.process_time()
        self._reset_peak()

    def stop(self) -> None:
        if self._name is not None:
            self.stages.append(
                {
                    "stage": self._name,
                    "time_s": time.perf_counter() - self._t0,
                    "cpu_s": time.process_time() - self._c0,
                    "peak_mib": _rss_mib(),
                }
            )
        self._name = None


def _stage_group(name: str) -> str:
    """Report names: the pipeline's messages, shortened."""
    for key, short in (
        ("loading", "load"),
        ("displacement", "displacement"),
        ("needs", "needs"),
        ("site capacity", "site capacity"),
        ("walking times", "walking times"),
        ("siting", "siting"),
        ("camp layouts", "camp layouts"),
        ("evacuation", "evacuation"),
        ("verdict", "verdict"),
        ("supply", "supply"),
        ("writing", "writing"),
    ):
        if name.startswith(key):
            return short
    return name


def _current_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return 0.0


def _guard(limit_mib: float, clock: StageClock, head: dict[str, Any]) -> None:
    """Stop this process, reporting the stages done, when its resident memory passes limit_mib (the
    machine is shared: a plan over the target must not take everyone's memory)."""

    def watch() -> None:
        while True:
            rss = _current_rss_mib()
            if rss > limit_mib:
                done = {_stage_group(s["stage"]): s for s in clock.stages}
                print(
                    "RESULT "
                    + json.dumps(
                        {
                            **head,
                            "stages": done,
                            "error": f"stopped in stage "
                            f"'{clock._name}': resident memory {rss:,.0f} MiB over the "
                            f"{limit_mib:,.0f} MiB limit",
                        }
                    ),
                    flush=True,
                )
                os._exit(3)
            time.sleep(0.2)

    threading.Thread(target=watch, daemon=True).start()


def plan_one(
    size: str, folder: Path, without: set[str], write: bool, profile: Path | None, max_rss_mib: float = 16 * 1024
) -> dict[str, Any]:
    """Generate (if needed) and plan one size in this process; per-stage time and peak memory."""
    from reliefplan.pipeline import run
    from reliefplan.scenario.folder import load_scenario

    info = write_national(size, folder, layout="layout" not in without)
    clock = StageClock()
    _guard(
        max_rss_mib,
        clock,
        {
            "size": size,
            "people": info.people,
            "zones": info.zones,
            "emptied_zones": info.emptied_zones,
            "sites": info.sites,
            "road_edges": info.road_edges,
            "load": os.getloadavg()[0],
        },
    )
    prof = cProfile.Profile() if profile is not None else None
    t0 = time.perf_counter()
    if prof is not None:
        prof.enable()
    clock("loading scenario")
    sc = load_scenario(folder, info.scenario)
    sc.evacuation.enabled = "evacuation" not in without
    sc.supply.enabled = "supply" not in without
    done = run(sc, progress=clock)
    if write:
        from reliefplan.outputs.products import write_run

        write_run(sc, done, folder / "out", clock)
    clock.stop()
    if prof is not None:
        prof.disable()
        profile.mkdir(parents=True, exist_ok=True)
        prof.dump_stats(str(profile / f"national_{size}.prof"))
    total = time.perf_counter() - t0
    grouped: dict[str, dict[str, float]] = {}
    for s in clock.stages:
        g = grouped.setdefault(_stage_group(s["stage"]), {"time_s": 0.0, "cpu_s": 0.0, "peak_mib": 0.0})
        g["time_s"] += s["time_s"]
        g["cpu_s"] += s["cpu_s"]
        g["peak_mib"] = max(g["peak_mib"], s["peak_mib"])
    p = done.plan
    return {
        "size": size,
        "people": info.people,
        "zones": info.zones,
        "emptied_zones": info.emptied_zones,
        "sites": info.sites,
        "road_edges": info.road_edges,
        "total_s": total,
        "total_cpu_s": sum(s["cpu_s"] for s in clock.stages),
        "peak_mib": max(s["peak_mib"] for s in clock.stages),
        "resettable": clock.resettable,
        "stages": grouped,
        "displaced": p.people.displaced,
        "sheltered": p.people.sheltered,
        "unsheltered": p.people.unsheltered,
        "siting": {
            "solver": p.siting.solver,
            "status": p.siting.status,
            "objective": p.siting.objective,
            "gap": p.siting.gap,
        },
        "network": {k: getattr(p.network, k, None) for k in ("nodes", "links", "origin_sample_points")},
        "load": os.getloadavg()[0],
    }


def _fmt_row(name: str, cur: dict[str, float] | None, prev: dict[str, float] | None, star: str) -> str:
    if cur is None:
        return f"  {name:<16} {'-':>9} {'-':>9} {'-':>9}"
    ratio = ""
    if prev is not None and prev["cpu_s"] > 0.05:
        ratio = (
            f"  x{cur['time_s'] / prev['time_s']:.1f} wall, x{cur['cpu_s'] / prev['cpu_s']:.1f} cpu, "
            f"x{cur['peak_mib'] / max(prev['peak_mib'], 1):.1f} mem"
        )
    return f"  {name:<16} {cur['time_s']:>8.1f}s {cur['cpu_s']:>8.1f}s {cur['peak_mib']:>8,.0f}M{star}{ratio}"


def report(results: list[dict[str, Any]]) -> None:
    """Per size: stage wall time, CPU time and peak memory, with ratios to the previous size (the cost curve)."""
    prev = None
    for r in results:
        star = "" if r.get("resettable", True) else "*"
        print(
            f"\n{r['size']}: {r['people']:,} people, {r['zones']:,} zones ({r['emptied_zones']:,} emptied), "
            f"{r['sites']:,} sites, {r['road_edges']:,} road edges  [load average {r['load']:.1f}]"
        )
        if "error" in r:
            print(f"  FAILED: {r['error']}")
            for name, cur in r.get("stages", {}).items():
                print(_fmt_row(name, cur, None, star))
            prev = None
            continue
        print(
            f"  network {r['network']}; displaced {r['displaced']:,}, sheltered {r['sheltered']:,}, "
            f"unsheltered {r['unsheltered']:,}; siting {r['siting']}"
        )
        print(f"  {'stage':<16} {'wall':>9} {'cpu':>9} {'peak RSS':>9}")
        for name, cur in r["stages"].items():
            print(_fmt_row(name, cur, prev["stages"].get(name) if prev else None, star))
        whole = {"time_s": r["total_s"], "cpu_s": r["total_cpu_s"], "peak_mib": r["peak_mib"]}
        print(
            _fmt_row(
                "whole plan",
                whole,
                {"time_s": prev["total_s"], "cpu_s": prev["total_cpu_s"], "peak_mib": prev["peak_mib"]}
                if prev
                else None,
                star,
            )
        )
        prev = r


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="bench_national")
    ap.add_argument("--sizes", default="1m,3m,10m")
    ap.add_argument("--without", default="", help="stages switched off: layout,evacuation,supply")
    ap.add_argument("--no-write", action="store_true", help="do not time writing the outputs")
    ap.add_argument("--nx", action="store_true", help="networkx + PuLP on the 1 M case (network -> siting)")
    ap.add_argument("--profile", type=Path, default=None, help="write a cProfile per size into this folder")
    ap.add_argument("--keep", type=Path, default=None, help="write the scenarios here (default: a temp folder)")
    ap.add_argument("--timeout", type=float, default=3600.0, help="seconds per size")
    ap.add_argument(
        "--max-rss-gb",
        type=float,
        default=16.0,
        help="stop a size whose resident memory passes this (the target is < 16 GB)",
    )
    ap.add_argument("--one", default=None, help=argparse.SUPPRESS)  # child process: plan one size, print JSON
    ap.add_argument("--folder", type=Path, default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv or [])
    without = {w for w in a.without.split(",") if w}
    if a.one:
        print(
            "RESULT " + json.dumps(plan_one(a.one, a.folder, without, not a.no_write, a.profile, a.max_rss_gb * 1024)),
            flush=True,
        )
        return
    sizes = [s for s in a.sizes.split(",") if s]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        ap.error(f"unknown size(s) {unknown}; expected {list(SIZES)}")
    results = []
    with tempfile.TemporaryDirectory(prefix="reliefplan-national-") as tmp:
        base = a.keep or Path(tmp)
        for s in sizes:
            cmd = (
                [
                    sys.executable,
                    "-m",
                    "benchmarks.bench_national",
                    "--one",
                    s,
                    "--folder",
                    str(base / s),
                    "--without",
                    a.without,
                    "--max-rss-gb",
                    str(a.max_rss_gb),
                ]
                + (["--no-write"] if a.no_write else [])
                + (["--profile", str(a.profile)] if a.profile else [])
            )
            t0 = time.perf_counter()
            try:
                out = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout)
                lines = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
                if not lines:
                    raise RuntimeError((out.stderr or out.stdout).strip().splitlines()[-1:] or ["no output"])
                results.append(json.loads(lines[-1][len("RESULT ") :]))
            except (subprocess.TimeoutExpired, RuntimeError) as e:
                info = SIZES[s]
                results.append(
                    {
                        "size": s,
                        "people": info.people,
                        "zones": info.zones,
                        "emptied_zones": 0,
                        "sites": info.sites,
                        "road_edges": info.road_edges,
                        "load": os.getloadavg()[0],
                        "error": f"after {time.perf_counter() - t0:.0f} s: {e}",
                    }
                )
            report(results[-1:])
            sys.stdout.flush()
        print("\n=== cost curve (ratios to the previous size) ===")
        report(results)
        if a.nx and "1m" in sizes:
            from benchmarks.national_nx import compare_1m

            compare_1m(base / "1m")


if __name__ == "__main__":
    main(sys.argv[1:])
