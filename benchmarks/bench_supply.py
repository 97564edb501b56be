"""Supply LP at the issue's size: 200 sites × 60 days × 4 commodities × 5 crossings × 10 warehouses.

Run: `python -m benchmarks.bench_supply [--hard] [--chain]`, `--rafah` for the example's chain + pier + fuel LP
alone (against the same LP solved as before and today's), or `--methods [--scenario=full-180d]
[--days=30,60,180,365]` for the example's supply LP solved directly and by sifting in the same process. Prints build+solve time (wall and CPU: on a
shared machine wall time mostly measures the neighbours), the LP size, the process's peak resident
memory and the ratio to a 20-site baseline run first in the same process. Target: < 10 s and
< 2 GB on 2 cores. `--hard` adds 50 sites each served by 3 warehouses over capped roads.

Everyone in the plan (issue 16): the same 200 sites with their groups (people sheltered there and residents) and
100 more locations for the people the same crossings feed elsewhere, shared equally, tents owed until delivered,
a payload per commodity; reported as a ratio against today's instance of the same size (200 + 100 plain sites,
every need a daily flow, no sharing) solved in the same process.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from dataclasses import replace

import numpy as np

from reliefplan.solvers.supply import (
    Arc,
    Commodity,
    EntryPoint,
    Production,
    Site,
    SupplyInstance,
    Warehouse,
    solve_supply,
)

KG_PP = {"water": 15.0, "food": 0.55, "medical": 0.011, "shelter_nfi": 0.5}  # kg/person/day


def make_instance(
    n_sites: int = 200,
    days: int = 60,
    n_entries: int = 5,
    n_warehouses: int = 10,
    seed: int = 1,
    warehouses_per_site: int = 1,
    road_caps: bool = False,
) -> SupplyInstance:
    """A synthetic instance whose crossings are short of need, with closures and arrival curves.

    Every crossing reaches every warehouse (0-1 day); each site is served by `warehouses_per_site`
    warehouses (the last mile from a district warehouse: 1 by default), roads capped in t/day
    only if `road_caps`. Sites hold 3 days of their final need; a quarter have wells (40 % of water).
    """
    rng = np.random.default_rng(seed)
    kg_pp = KG_PP  # kg/person/day
    prio = {"water": 3.0, "food": 2.0, "medical": 4.0, "shelter_nfi": 1.0}
    commodities = [Commodity(id=k, priority=prio[k]) for k in kg_pp]
    people = rng.integers(2_000, 12_000, n_sites).astype(float)
    arrive = rng.integers(0, 10, n_sites)  # day everyone of a site has arrived (linear ramp)
    t = np.arange(days)
    ramp = np.clip((t[None, :] + 1) / (arrive[:, None] + 1), 0, 1)
    present = people[:, None] * ramp
    sites = []
    for s in range(n_sites):
        demand = {k: list(present[s] * kg / 1000.0) for k, kg in kg_pp.items()}
        need = sum(v[-1] for v in demand.values())
        sites.append(Site(id=f"s{s}", demand_t=demand, storage_t=3.0 * need, people=list(present[s])))
    total_need = float(sum(sum(v[-1] for v in s.demand_t.values()) for s in sites))
    entries = []
    for e in range(n_entries):
        closed = tuple(range(20 + 3 * e, 25 + 3 * e)) if e < 2 else ()
        entries.append(
            EntryPoint(
                id=f"e{e}", capacity_t_per_day=0.15 * total_need, closed_days=closed, inspection_delay_days=int(e % 2)
            )
        )
    warehouses = [
        Warehouse(id=f"w{w}", capacity_t=0.5 * total_need, initial_t={"food": 100.0}) for w in range(n_warehouses)
    ]
    arcs = [
        Arc(source=f"e{e}", target=f"w{w}", travel_days=int(rng.integers(0, 2)), round_trip_h=6.0)
        for e in range(n_entries)
        for w in range(n_warehouses)
    ]
    for s in range(n_sites):
        cap = 0.5 * sum(v[-1] for v in sites[s].demand_t.values()) if road_caps else None
        for w in rng.choice(n_warehouses, warehouses_per_site, replace=False):
            arcs.append(Arc(source=f"w{w}", target=f"s{s}", travel_days=0, round_trip_h=3.0, capacity_t_per_day=cap))
    production = [
        Production(node=f"s{s}", commodity="water", t_per_day=[0.4 * sites[s].demand_t["water"][-1]] * days)
        for s in range(0, n_sites, 4)
    ]
    return SupplyInstance(
        days=days,
        commodities=commodities,
        entry_points=entries,
        warehouses=warehouses,
        sites=sites,
        arcs=arcs,
        production=production,
    )


def everyone_instance(
    n_sites: int = 200, n_served: int = 100, days: int = 60, seed: int = 1, groups: bool = True
) -> SupplyInstance:
    """`make_instance` with every site's people split into the camp's people (arriving on a ramp, owed tents on
    arrival) and residents (there from day 0, no tents), plus `n_served` locations of people fed elsewhere, and a
    payload per commodity. groups=False: the same people and locations as plain sites with daily needs only and no
    sharing (the model before everyone was in the plan)."""
    base = make_instance(n_sites, days=days, seed=seed)
    rng = np.random.default_rng(seed + 1)
    pay = {"water": 20.0, "food": 22.0, "medical": 15.0, "shelter_nfi": 14.0}
    commodities = [
        replace(c, payload_t=pay[c.id] if groups else None, carry_over=groups and c.id == "shelter_nfi")
        for c in base.commodities
    ]
    sites = []
    for s in base.sites:
        people = np.asarray(s.people)
        residents = np.full(days, float(rng.integers(500, 3000)))
        camp = {k: list(people * kg / 1000.0) for k, kg in KG_PP.items() if k != "shelter_nfi"}
        arrivals = np.diff(people, prepend=0.0)
        camp["shelter_nfi"] = list(arrivals * 17.5 / 1000.0)  # a tent and kits per 5.6 people, on arrival
        res = {k: list(residents * kg / 1000.0) for k, kg in KG_PP.items() if k != "shelter_nfi"}
        if groups:
            sites.append(
                replace(
                    s,
                    demand_t={},
                    groups={"sheltered": camp, "site_residents": res},
                    group_people={"sheltered": list(people), "site_residents": list(residents)},
                )
            )
        else:
            total = {k: list(np.add(camp[k], res.get(k, 0.0))) for k in camp}
            sites.append(replace(s, demand_t=total, people=list(people + residents)))
    arcs = list(base.arcs)
    for j in range(n_served):
        people = np.full(days, float(rng.integers(5_000, 30_000)))
        need = {k: list(people * kg / 1000.0) for k, kg in KG_PP.items() if k != "shelter_nfi"}
        sid = f"served{j}"
        sites.append(
            Site(
                id=sid,
                demand_t={} if groups else need,
                storage_t=3.0 * sum(v[-1] for v in need.values()),
                groups={"served_elsewhere": need} if groups else {},
                group_people={"served_elsewhere": list(people)} if groups else {},
                people=None if groups else list(people),
            )
        )
        arcs.append(Arc(source=f"w{j % len(base.warehouses)}", target=sid, travel_days=0, round_trip_h=3.0))
    return replace(base, commodities=commodities, sites=sites, arcs=arcs, sharing="equal" if groups else "none")


def run(n_sites: int, **kw: object) -> tuple[float, float]:
    inst = make_instance(n_sites, **kw)  # type: ignore[arg-type]
    t0, c0 = time.perf_counter(), time.process_time()
    res = solve_supply(inst, time_limit_s=300)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    short = res.shortfall_by_commodity_t()
    fmt = lambda v: "n/a" if v is None else f"{v:,.0f}"  # noqa: E731
    print(
        f"  {n_sites} sites {kw or ''}: {res.status}, {dt:.2f} s wall, {cpu:.2f} s CPU ("
        + ", ".join(f"{k} {v:.2f} s" for k, v in res.timings_s.items())
        + f"), deprivation {fmt(res.objective_deprivation)}, truckloads {fmt(res.objective_trucks)}, shortfall t "
        + ", ".join(f"{k} {v:,.0f}" for k, v in short.items())
        + f", conservation residual {res.max_conservation_residual_t:.2e} t {res.message}",
        flush=True,
    )
    return dt, cpu


def chain_instance(n_sites: int = 200, days: int = 60) -> SupplyInstance:
    """The synthetic instance with the delivery chain (issue 20): after every crossing a backlog, collection at 60 %
    and convoy movements at 50 % of its trucks a day, 10 % lost on the way; plus a pier (every other day) and
    airdrops (10 % lost) reaching every warehouse."""
    from reliefplan.solvers.chain import EntryChain, with_chain

    base = make_instance(n_sites, days)
    entries = list(base.entry_points) + [
        EntryPoint(
            id="pier",
            payload_t=120.0,
            capacity_t_by_day=[240.0 * (d % 2) for d in range(days)],
            mode="sea",
            uniform_payload=True,
        ),
        EntryPoint(
            id="air", payload_t=2.9, capacity_t_by_day=[29.0] * days, mode="air", loss_share=0.1, uniform_payload=True
        ),
    ]
    arcs = list(base.arcs) + [
        Arc(source=e, target=w.id, travel_days=0, trucked=e == "pier", round_trip_h=4.0)
        for e in ("pier", "air")
        for w in base.warehouses
    ]
    inst = replace(base, entry_points=entries, arcs=arcs)
    chains = [
        EntryChain(
            e.id,
            collection_loads_by_day=list(0.6 * e.capacity_t(days, inst.payload_t) / inst.payload_t),
            movements_loads_by_day=list(0.5 * e.capacity_t(days, inst.payload_t) / inst.payload_t),
            loss_share=0.1,
        )
        for e in base.entry_points
    ]
    return with_chain(inst, chains)


def chain_ratio() -> None:
    """The chain instance against today's (the same sites without it), CPU in the same process."""
    got = {}
    for label, inst in (("today's instance", make_instance(200)), ("with the delivery chain", chain_instance())):
        c0 = time.process_time()
        res = solve_supply(inst, time_limit_s=300)
        got[label] = time.process_time() - c0
        print(
            f"  200 sites x 60 days, {label}: {res.status}, {got[label]:.2f} s CPU "
            f"({', '.join(f'{k} {v:.2f} s' for k, v in res.timings_s.items())}), load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    chain, today = got["with the delivery chain"], got["today's instance"]
    print(f"supply chain 200x60: {chain:.2f} s CPU = {chain / today:.2f}x today's instance ({today:.2f} s CPU)")


def rafah_ratio(days: int = 60) -> None:
    """The example's `full` plan over `days` with June 2024's crossings as observed: today's supply LP (no chain),
    then the LP with the chain after Kerem Shalom, the 2024 pier and fuel (packages jun-2024-pier + jun-2024-fuel)
    solved as before (every corridor its own columns, ``transit_hubs=False``) and through transit hubs
    (`solvers.supply.corridors`, the default), in the same process, each cold (instances built first), with the
    options the plan uses (`stages.deliveries.deliver`)."""
    from pathlib import Path

    from reliefplan.analysis.packages import apply_package
    from reliefplan.pipeline import shelter
    from reliefplan.scenario.folder import load_scenario
    from reliefplan.scenario.packages import resolve
    from reliefplan.stages.deliveries import supply_instance

    folder = Path(__file__).resolve().parents[1] / "examples" / "rafah-2024"
    sc = load_scenario(folder, "full")
    # a shared machine's wall clock is not the LP's: a generous limit, so every solve reaches optimality
    sc = sc.model_copy(update={"horizon_days": days, "supply": sc.supply.model_copy(update={"time_limit_s": 900.0})})
    today = apply_package(sc, resolve(sc.packages, "observed-jun-2024"), "observed-jun-2024")
    pkg = resolve(sc.packages, "jun-2024-pier")
    chain = apply_package(
        sc, pkg.model_copy(update={"fuel": resolve(sc.packages, "jun-2024-fuel").fuel}), "jun-2024-pier+fuel"
    )
    sh = shelter(today)
    drive: dict = {}
    inst = {
        name: supply_instance(s, sh.presence, sh.kcal_pp, drive)[0] for name, s in (("today", today), ("chain", chain))
    }
    from reliefplan.solvers.supply import solve as supply_solve

    got, objective = {}, {}
    scale = supply_solve.BACKLOG_SCALE_STRATEGY
    runs = (  # label, instance, transit hubs, scaling for a backlog (None: HiGHS' default, as before)
        ("today's supply LP", "today", True, scale),
        ("chain + pier + fuel as before (every corridor, HiGHS' default scaling)", "chain", False, None),
        ("chain + pier + fuel, transit hubs, HiGHS' default scaling", "chain", True, None),
        ("chain + pier + fuel now (transit hubs, max-value scaling)", "chain", True, scale),
    )
    for label, name, hubs, sc_strategy in runs:
        supply_solve.BACKLOG_SCALE_STRATEGY = sc_strategy
        c0, t0 = time.process_time(), time.perf_counter()
        r = solve_supply(inst[name], time_limit_s=900.0, deep_factor=sc.supply.deep_shortfall_factor, transit_hubs=hubs)
        got[label] = time.process_time() - c0
        objective[label] = (r.objective_deprivation, r.objective_trucks)
        print(
            f"  Rafah full x {days} days, {label}: {r.status}, {got[label]:.2f} s CPU, "
            f"{time.perf_counter() - t0:.2f} s wall (LP: "
            f"{', '.join(f'{k} {v:.2f} s' for k, v in r.timings_s.items())}; {r.method}), deprivation "
            f"{r.objective_deprivation:,.4f}, truckloads {r.objective_trucks:,.4f}, load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    supply_solve.BACKLOG_SCALE_STRATEGY = scale
    now, before, base = (got[r[0]] for r in (runs[3], runs[1], runs[0]))
    (z_now, _), (z_before, _) = objective[runs[3][0]], objective[runs[1][0]]
    print(
        f"supply Rafah {days} days: chain + pier + fuel {now:.2f} s CPU = {now / before:.2f}x the same LP solved "
        f"as before ({before:.2f} s CPU) = {now / base:.2f}x today's supply LP ({base:.2f} s CPU); deprivation "
        f"relative difference {abs(z_now - z_before) / max(abs(z_before), 1e-9):.1e}; target < 10 s CPU -> "
        f"{'OK' if now < 10 else 'MISSED'}"
    )


def method_ratio(scenario: str = "full", days_list: tuple[int, ...] = (30, 60, 180, 365)) -> None:
    """The example's supply LP solved directly and by sifting (solvers.supply.sifting._sift), each cold, in the same
    process (CPU: the machine is shared): the time of each, the ratio and the deprivation objectives (the same
    optimum within HiGHS' tolerances). Days beyond the scenario's horizon repeat its inputs (`horizon_days`)."""
    from pathlib import Path

    from reliefplan.pipeline import shelter
    from reliefplan.scenario.folder import load_scenario
    from reliefplan.stages.deliveries import supply_instance

    folder = Path(__file__).resolve().parents[1] / "examples" / "rafah-2024"
    drive: dict = {}
    for days in days_list:
        sc = load_scenario(folder, scenario)
        sc = sc.model_copy(
            update={"horizon_days": days, "supply": sc.supply.model_copy(update={"time_limit_s": 900.0})}
        )
        sh = shelter(sc)
        inst = supply_instance(sc, sh.presence, sh.kcal_pp, drive)[0]
        got = {}
        for method in ("direct", "sifting"):
            c0, t0 = time.process_time(), time.perf_counter()
            r = solve_supply(inst, time_limit_s=900.0, deep_factor=sc.supply.deep_shortfall_factor, method=method)
            got[method] = (time.process_time() - c0, r.objective_deprivation or float("nan"))
            print(
                f"  {scenario} x {days} days, {method}: {r.status}, {got[method][0]:.2f} s CPU, "
                f"{time.perf_counter() - t0:.2f} s wall ({', '.join(f'{k} {v:.2f} s' for k, v in r.timings_s.items())}"
                f"); {r.method}; load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
        (d, zd), (f, zf) = got["direct"], got["sifting"]
        print(
            f"supply {scenario} {days} days: sifting {f:.2f} s CPU = {f / d:.2f}x direct ({d:.2f} s CPU); "
            f"deprivation {zf:,.3f} vs {zd:,.3f} (relative difference {abs(zf - zd) / max(abs(zd), 1e-9):.1e})",
            flush=True,
        )


def peak_rss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024.0 if sys.platform != "darwin" else kb / 1024.0 / 1024.0


def main() -> None:
    if "--rafah" in sys.argv:  # only the example's chain + pier + fuel LP against today's (issue 20's target)
        rafah_ratio()
        return
    if "--methods" in sys.argv:  # only the direct vs sifting comparison on the example
        opt = {a.split("=", 1)[0]: a.split("=", 1)[1] for a in sys.argv if "=" in a}
        days = opt.get("--days", "30,60,180,365")
        method_ratio(opt.get("--scenario", "full-180d"), tuple(int(d) for d in days.split(",")))
        return
    base, _ = run(20)
    inst = make_instance(200)
    K, A, T = len(inst.commodities), len(inst.arcs), inst.days
    print(
        f"  LP size (before presolve): {K * A * T + K * (len(inst.warehouses) + len(inst.sites)) * T:,} flow+stock "
        f"columns, {K * (len(inst.entry_points) + len(inst.warehouses) + len(inst.sites)) * T:,} balance rows"
    )
    full, cpu = run(200)
    rss = peak_rss_mb()
    print(
        f"supply 200x60x4x5x10: {full:.2f} s wall, {cpu:.2f} s CPU ({full / base:.1f}x the 20-site baseline "
        f"{base:.2f} s); "
        f"peak RSS {rss:,.0f} MB; target < 10 s and < 2048 MB -> wall {'OK' if full < 10 else 'MISSED'}, "
        f"CPU {'OK' if cpu < 10 else 'MISSED'}, memory {'OK' if rss < 2048 else 'MISSED'}"
    )
    # everyone in the plan: today's model of the same size first, then groups, served locations and sharing
    times = {}
    for label, groups in (
        ("today's model (plain sites, daily needs, no sharing)", False),
        ("everyone (groups, served locations, equal sharing, owed tents)", True),
    ):
        inst = everyone_instance(groups=groups)
        t0, c0 = time.perf_counter(), time.process_time()
        res = solve_supply(inst, time_limit_s=300, deep_factor=1.0 if groups else 2.0)
        times[groups] = (time.perf_counter() - t0, time.process_time() - c0)
        print(
            f"  200 sites + 100 served x 60 days, {label}: {res.status}, {times[groups][0]:.2f} s wall, "
            f"{times[groups][1]:.2f} s CPU ({', '.join(f'{k} {v:.2f} s' for k, v in res.timings_s.items())}), "
            f"{len(inst.sites)} locations, load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    print(
        f"supply everyone 200+100x60: {times[True][0]:.2f} s wall, {times[True][1]:.2f} s CPU = "
        f"{times[True][1] / times[False][1]:.2f}x today's instance of the same size (CPU; "
        f"{times[False][1]:.2f} s)"
    )
    if "--chain" in sys.argv:
        chain_ratio()
        rafah_ratio()
    if "--hard" in sys.argv:  # denser last mile: 3 warehouses per site, roads capped (much harder for simplex)
        run(50, warehouses_per_site=3, road_caps=True)


if __name__ == "__main__":
    main()
