"""Movement over days on the Rafah example: 1.4 M people, 30 days of departures, movement stepped every minute.

Run: python -m benchmarks movement. Two successive orders (eastern Rafah on day 0, the whole governorate on day
5), half of the people outside the first footprint leaving before their order, the default modes and curves,
sites filling in arrival order; then the staged plan and the same days under it. The baseline, in the same
process and on the same network, is today's evacuation stage (movement.evacuation_instance + solve_evacuation,
everyone leaving within the 12 h spread): the figure is a ratio, not a wall-clock promise. Targets: < 30 s and
< 4 GB peak for the arrival-order run. Each time is the median of REPEATS runs, printed with the machine's load.

`python -m benchmarks.bench_movement --staged`: the example scenario ``staged-orders-2024`` as an ensemble
member (sampled inputs, warm worker: bench_ensemble.member_vs_cold) against a cold plan and a cold plan of the
member's draws, stage by stage, with the CPU seconds of the hourly runs; first with the kernel stepping one
step at a time (before), then with the ordinary steps in one compiled call (`stepping.advance`, after);
``--kernel-only``: only the latter; ``--array``: the array version first; ``--routes``: routes made in Python
(before 7 Dec 2026: every step with a new destination handed back), then in the compiled steps
(`route_kernel`). Target (issue 19): a member <= 25 % of a cold plan; its two hourly runs <= 1.0 s CPU.

Before / after, in the same process: the compiled per-step kernel (solvers/movement_days/kernel.py) against
the array version it replaced (tests/movement_reference.py), on the 30-day run (identical results checked) and,
with ``--staged``, on the member / cold ratio. CPU seconds of this process are printed beside wall seconds:
the machine is shared, and wall time then measures the other jobs too.
"""

from __future__ import annotations

import contextlib
import os
import resource
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from reliefplan.pipeline import run
from reliefplan.scenario.folder import load_scenario
from reliefplan.solvers import movement_days as md
from reliefplan.solvers.departures import default_curve
from reliefplan.solvers.evacuation import solve_evacuation
from reliefplan.solvers.network import snap
from reliefplan.stages.allocation import allocate
from reliefplan.stages.capacity import site_capacity
from reliefplan.stages.displacement import displace
from reliefplan.stages.movement import evacuation_instance
from reliefplan.stages.travel import walking_times

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "rafah-2024"
REPEATS = 3


def rafah_days() -> tuple[md.DaysInstance, dict]:
    """The days instance of the example, built with the existing loaders and stages."""
    sc = load_scenario(EXAMPLE, "full")
    east = load_scenario(EXAMPLE, "targeted").footprints
    d = displace(sc.zones, sc.footprints, sc.crs)
    cap = site_capacity(sc.sites, sc.footprints, sc.standards)
    times = walking_times(sc, d.displaced_part_m, cap.point_xy)
    net = times.graph
    pts = times.samples_xy
    s = snap(net, pts)
    zone = times.samples_zone
    per_zone = np.bincount(zone, minlength=len(sc.zones))
    people = np.zeros(len(pts), np.int64)
    for z in range(len(sc.zones)):  # each zone's people spread over its sample points
        idx = np.flatnonzero(zone == z)
        people[idx] = np.floor(d.population[z] / per_zone[z]) + (np.arange(len(idx)) < d.population[z] % per_zone[z])
    east_union = shapely.union_all([f.geometry_m for f in east])
    in_east = shapely.contains_xy(east_union, pts[:, 0], pts[:, 1])
    gov = shapely.union_all([f.geometry_m for f in sc.footprints])
    site_in_gov = shapely.contains_xy(gov, cap.point_xy[:, 0], cap.point_xy[:, 1])
    curve = default_curve()
    inst = md.instance_from_network(
        net,
        origin_node=s.node,
        origin_people=people,
        origin_order=np.where(in_east, 0, 1),
        origin_access_m=s.distance_m,
        origin_unordered_share=np.where(in_east, 0.0, 0.5),
        site_node=snap(net, cap.point_xy).node,
        site_capacity=cap.capacity,
        site_order=np.where(site_in_gov, 1, -1),
        modes=md.default_modes(),
        horizon_days=30,
        order_day=[0.0, 5.0],
        order_curves=[curve, curve],
        order_operation_day=[1.0, 6.0],
        step_s=300.0,
        max_walk_h=6.0,
        origin_vulnerable_share=np.full(len(pts), 0.15),
        site_ids=[x.id for x in sc.sites],
    )
    return inst, {"sc": sc, "d": d, "cap": cap, "times": times}


def baseline(ctx: dict) -> tuple[float, object]:
    """Today's evacuation stage on the same network (plan of who goes where, then the timed move)."""
    sc, d, cap, times = ctx["sc"], ctx["d"], ctx["cap"], ctx["times"]
    alloc = allocate(sc, d.displaced, cap.capacity, times.time_s)
    ev, _ = evacuation_instance(
        sc,
        times.graph,
        times.samples_xy,
        times.samples_zone,
        d.days,
        d.displaced_by_day,
        alloc.by_zone,
        cap.point_xy,
        alloc.by_site,
        [x.id for x in sc.sites],
    )
    t0 = time.perf_counter()
    r = solve_evacuation(ev)
    return time.perf_counter() - t0, r


def _median(fn, repeats: int = REPEATS):
    secs, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        secs.append(time.perf_counter() - t0)
    return statistics.median(secs), out


def _reference() -> Any:
    """The array version of the per-step work (tests/movement_reference.py), the baseline of the kernel."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    import movement_reference  # type: ignore[import-not-found]

    return movement_reference


@contextlib.contextmanager
def _array_version() -> Iterator[None]:
    """Every simulation in the block runs on the array version (as before the compiled kernel)."""
    from reliefplan.solvers.movement_days import simulation

    kernel_sim = simulation._Sim
    simulation._Sim = _reference().ReferenceSim
    try:
        yield
    finally:
        simulation._Sim = kernel_sim


#: camp layouts in the `--staged` plans: not drawn (`ensemble --no-layout`: capacity from the layout fit; before
#: 7 Dec False dropped the fit too); the drawn layouts are not the question here
LAYOUT = False


def staged_member(members: int = 2) -> None:
    """An ensemble member of ``staged-orders-2024`` (layouts off, see LAYOUT) against a cold plan and a cold plan
    of the member's draws, on the array version and on the kernel, in this process."""
    from benchmarks.bench_ensemble import member_vs_cold

    fmt = lambda st: ", ".join(f"{k} {v:.2f}" for k, v in st.items() if v >= 0.01)  # noqa: E731
    # untimed: imports, and the kernel compiled (or loaded from numba's cache) as in any worker after its first use
    t0 = time.perf_counter()
    run(load_scenario(EXAMPLE, "staged-orders-2024"))
    print(f"warm-up plan (imports, kernel compiled or loaded): {time.perf_counter() - t0:.1f} s", flush=True)
    ratios = {}
    versions: list[tuple[str, contextlib.AbstractContextManager[None]]] = [
        ("array version", _array_version()),
        ("kernel, one step at a time (before)", _one_step_at_a_time()),
        ("kernel, compiled steps (after)", contextlib.nullcontext()),
    ]
    if "--array" not in sys.argv:
        versions = versions[1:]
    if "--kernel-only" in sys.argv:
        versions = versions[-1:]
    if "--routes" in sys.argv:
        versions = [
            ("routes made in Python (before)", _routes_in_python()),
            ("routes and targets made in the compiled steps (after)", contextlib.nullcontext()),
        ]
    for label, ctx in versions:
        with ctx, _simulation_cpu() as sim_cpu:
            # the example declares its uncertainty (scenario.yaml): members are drawn as `reliefplan ensemble` does;
            # with a cold plan of the first member's draws (what the member must equal, without any reuse)
            r = member_vs_cold(EXAMPLE, "staged-orders-2024", LAYOUT, repeats=1, members_n=members, same_draws=1)
        # calls in order: the cold plan's two runs, the warm-up member's two, each member's two, the same plan's
        # two, the cold plan of the same draws' two
        runs = [sum(sim_cpu[i : i + 2]) for i in range(0, len(sim_cpu), 2)]
        print(
            f"  hourly runs, CPU: cold plan {runs[0]:.2f} s, members {', '.join(f'{x:.2f}' for x in runs[2:-2])} s, "
            f"cold plan of the same draws {runs[-1]:.2f} s"
        )
        cold_s, cold_c, warm_s, warm_c = r["cold"], r["cold_cpu"], r["member"], r["member_cpu"]
        ratios[label] = (warm_s / cold_s, warm_c / cold_c)
        print(f"{label}: staged-orders-2024 cold plan (load + plan): {cold_s:.1f} s, CPU {cold_c:.1f} s")
        print(f"  wall [{fmt(r['cold_stages'])}]; CPU [{fmt(r['cold_stages_cpu'])}]")
        print(
            f"  same plan in a warm worker {r['same']:.1f} s ({r['same'] / cold_s:.0%}); member (sampled inputs), "
            f"median of {members}: {warm_s:.1f} s, CPU {warm_c:.1f} s; wall [{fmt(r['member_stages'])}]; CPU "
            f"[{fmt(r['member_stages_cpu'])}]"
        )
        print(
            f"  cold plan of the same draws: {r['cold_same_draws']:.1f} s, CPU {r['cold_same_draws_cpu']:.1f} s; "
            f"CPU [{fmt(r['cold_same_draws_stages_cpu'])}]"
        )
        print(
            f"  member / cold = {warm_s / cold_s:.0%} wall, {warm_c / cold_c:.0%} CPU (target <= 25 %); member / cold "
            f"plan of the same draws = {warm_s / r['cold_same_draws']:.0%} wall, "
            f"{warm_c / r['cold_same_draws_cpu']:.0%} CPU; load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    if len(ratios) >= 2:
        (bw, bc), (aw, ac) = list(ratios.values())[-2:]
        print(f"member / cold: {bw:.0%} -> {aw:.0%} wall, {bc:.0%} -> {ac:.0%} CPU")


@contextlib.contextmanager
def _one_step_at_a_time() -> Iterator[None]:
    """Every simulation in the block steps one step at a time through `_Sim` (as before `stepping.advance`)."""
    from reliefplan.solvers.movement_days import simulation

    simulation._Sim.compiled_steps = False
    try:
        yield
    finally:
        simulation._Sim.compiled_steps = True


@contextlib.contextmanager
def _routes_in_python() -> Iterator[None]:
    """Every simulation in the block makes its routes in Python (`_Sim._route_here`, segments memoised per network,
    as before 7 Dec 2026): without the route table, the compiled steps hand back every step with a new destination."""
    from reliefplan.solvers.movement_days import simulation

    table = simulation._ROUTE_TABLE
    simulation._ROUTE_TABLE = 0
    try:
        yield
    finally:
        simulation._ROUTE_TABLE = table


@contextlib.contextmanager
def _simulation_cpu() -> Iterator[list[float]]:
    """CPU seconds of each hourly run (`movement_days.simulate`) in the block, in call order."""
    out: list[float] = []
    plain = md.simulate

    def timed(*args: Any, **kwargs: Any) -> Any:
        c = time.process_time()
        try:
            return plain(*args, **kwargs)
        finally:
            out.append(time.process_time() - c)

    md.simulate = timed
    try:
        yield out
    finally:
        md.simulate = plain


def main(argv: list[str] | None = None) -> None:
    if argv and "--staged" in argv:
        staged_member()
        return
    inst, ctx = rafah_days()
    print(
        f"network: {inst.n_nodes} nodes, {len(inst.arc_from)} links; {len(inst.origin_node)} origins, "
        f"{len(inst.site_node)} sites; {inst.total_people:,} people; 30 days, step {inst.step_s:g} s"
    )
    runs = [baseline(ctx) for _ in range(REPEATS)]
    t_base, base = statistics.median(r[0] for r in runs), runs[-1][1]
    print(
        f"baseline (evacuation stage, {base.method}): {t_base:.2f} s, clearance {(base.clearance_s or 0) / 3600:.1f} h"
    )
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    md.simulate(md.DaysInstance(**dict(vars(inst), horizon_days=7)))  # compiles the kernel (or loads it)
    c0 = time.process_time()
    t_arr, arr = _median(lambda: md.simulate(inst))
    cpu_arr = (time.process_time() - c0) / REPEATS
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    s = arr.summary()
    print(
        f"arrival order: {t_arr:.2f} s (CPU {cpu_arr:.2f} s) = {t_arr / t_base:.0f}x the evacuation stage | peak RSS "
        f"{rss1:.0f} MB (+{rss1 - rss0:.0f} MB over the baseline's) | {arr.network['route_elements']:,} route "
        f"elements | load {os.getloadavg()[0]:.1f}"
    )
    ref = _reference()
    c0 = time.process_time()
    t_ref, before = _median(lambda: ref.simulate_reference(inst), 1)
    cpu_ref = time.process_time() - c0
    same = all(
        np.array_equal(v, getattr(before, k)) if isinstance(v, np.ndarray) else v == getattr(before, k)
        for k, v in vars(arr).items()
    )
    print(
        f"  array version (before the kernel): {t_ref:.2f} s (CPU {cpu_ref:.2f} s); kernel / array version "
        f"{t_arr / t_ref:.2f} wall, {cpu_arr / cpu_ref:.2f} CPU; results {'identical' if same else 'DIFFER'}"
    )
    fine = dict(vars(inst), step_s=60.0)
    t_fine, r_fine = _median(lambda: md.simulate(md.DaysInstance(**fine)), 1)
    print(
        f"  the same at 60 s steps: {t_fine:.2f} s; walking > 6 h {int(r_fine.walking_over_h.sum()):,} vs "
        f"{s['walking_over_h']['people']:,}, at sites {int(r_fine.at_sites_day[-1]):,} vs {s['at_sites']:,}"
    )
    print(
        f"  at sites {s['at_sites']:,}, on road {s['on_road']:,}, at origin {s['at_origin']:,}, without place "
        f"{s['without_place']:,}; turned away {s['turned_away']:,}; re-displaced {s['redisplaced']:,}"
    )
    print(
        f"  inside at operation start {s['inside_at_operation']}; walking > 6 h {s['walking_over_h']['people']:,} "
        f"(vulnerable {s['walking_over_h']['vulnerable']:,})"
    )
    print(f"  trips {s['trips']}; bottlenecks {len(arr.bottlenecks)}")
    t_plan, plan = _median(lambda: md.staged_plan(inst), 1)
    t_pr, planned = _median(lambda: md.simulate(inst, assignment="plan", plan=plan.people), 1)
    print(
        f"staged plan: {t_plan:.2f} s ({plan.solver}, {plan.status}, unmet {int(plan.unmet.sum()):,}); "
        f"planned days {t_pr:.2f} s"
    )
    for k, v in md.compare(arr, planned).items():
        print(f"  {k}: {v}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB (whole process)")


if __name__ == "__main__":
    main(sys.argv[1:])
