"""Command-line interface (Typer + Rich): thin over the library."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from ._errors import InputError, ReliefplanError

app = typer.Typer(help="reliefplan: plan evacuation, sheltering and supply, and say whether the plan holds.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
standards_app = typer.Typer(help="Standards profiles (planning figures with sources).", no_args_is_help=True)
app.add_typer(standards_app, name="standards")

console = Console()
err_console = Console(stderr=True)


def fail(e: ReliefplanError) -> None:
    """Print an error for people (every problem on its own line) and exit non-zero."""
    err_console.print(f"[bold red]error:[/] {e}", markup=True, highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


@app.command()
def plan(
    scenario_dir: Path = typer.Argument(..., help="scenario folder holding scenario.yaml"),
    scenario: str = typer.Option(..., "--scenario", "-s", help="name of a scenario in scenario.yaml"),
    out: Path = typer.Option(..., "--out", "-o", help="output folder; plan.json is written there"),
    package: Optional[str] = typer.Option(None, "--package", "-p",
                                          help="count the resources of this assistance package (scenario.yaml)"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler",
                                            help="Dask scheduler tcp://HOST:PORT: walking times by site batch "
                                                 "on its cluster (same results)"),
) -> None:
    """Plan one named scenario and write OUT/plan.json."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from .pipeline import run
    from .products import write_run
    from .scenario import load_scenario
    from .travel import TravelCache

    client = None
    try:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                      console=err_console, transient=True) as bar:
            task = bar.add_task("loading scenario", total=None)
            sc = load_scenario(scenario_dir, scenario)
            if package is not None:
                from .packages import apply_package, resolve

                sc = apply_package(sc, resolve(sc.packages, package, str(scenario_dir / "scenario.yaml")), package)
            if scheduler is not None:
                from .site_times import connect

                client = connect(scheduler)
            done = run(sc, progress=lambda msg: bar.update(task, description=msg),
                       cache=TravelCache(client=client) if client is not None else None)
            paths = write_run(sc, done, out, lambda msg: bar.update(task, description=msg))
    except ReliefplanError as e:
        fail(e)
        return
    finally:
        if client is not None:
            client.close()
    _summary(done.plan)
    console.print(f"wrote [bold]{paths[0]}[/]")
    for p in paths[1:]:
        console.print(f"      {p}")


def _summary(p) -> None:  # p: Plan
    t = Table(title=f"{p.scenario_title or p.scenario} — scenario '{p.scenario}'", show_header=False)
    t.add_row("displaced", f"{p.people.displaced:,}")
    t.add_row("sheltered", f"{p.people.sheltered:,}")
    t.add_row("unsheltered", f"[bold red]{p.people.unsheltered:,}[/]" if p.people.unsheltered else "0")
    t.add_row("sites opened", f"{sum(s.open for s in p.sites)} of {len(p.sites)}")
    t.add_row("water need", f"{p.needs.water_l_per_day / 1000:,.0f} m³/day")
    t.add_row("food need", f"{p.needs.food_kg_per_day / 1000:,.0f} t/day ({p.needs.kcal_per_person_day:,.0f} kcal/person/day)")
    t.add_row("siting", f"{p.siting.solver}: {p.siting.status}, gap {p.siting.gap:.2%}, {p.siting.solve_time_s:.2f} s")
    console.print(t)
    failed = [i for i in p.verdict if i.met is False]
    scen = [i for i in p.verdict if i.scope == "scenario"]
    v = Table(title="verdict (scenario-wide)")
    v.add_column("indicator", no_wrap=True)
    for col in ("value", "target", "met", "severity"):
        v.add_column(col)
    for i in scen:
        colour = {"ok": "green", "minor": "yellow", "major": "dark_orange", "critical": "red"}.get(i.severity, "white")
        target = "—" if i.severity == "info" else f"{i.comparison} {i.target:,.3g} {i.unit}"
        v.add_row(i.indicator, "—" if i.value is None else f"{i.value:,.3g} {i.unit if i.severity == 'info' else ''}",
                  target,
                  {True: "yes", False: "no", None: "n/a"}[i.met], f"[{colour}]{i.severity}[/]")
    console.print(v)
    site_failed = sum(1 for i in failed if i.scope.startswith("site:"))
    console.print(f"{len(failed)} indicator(s) not met ({site_failed} at site level); see plan.json 'verdict'.")


@standards_app.command("show")
def standards_show(profile: str = typer.Argument("sphere-2018", help="profile name")) -> None:
    """List the figures of a standards profile with their sources."""
    from .standards import load_standards

    try:
        std = load_standards(profile)
    except ReliefplanError as e:
        fail(e)
        return
    t = Table(title=f"{std.profile}: {std.title}")
    t.add_column("figure", no_wrap=True)
    for col in ("value", "unit", "chapter / standard (edition) — source", "verified"):
        t.add_column(col, overflow="fold")
    for k, f in std.figures.items():
        t.add_row(k, f"{f.value:g}", f.unit, f"{f.chapter} ({f.edition}) — {f.source}",
                  "yes" if f.verified else "[yellow]no[/]")
    console.print(t)
    b = std.ration_basket
    console.print(f"ration basket '{b.name}': {b.kg_per_person_day:.3f} kg, {b.kcal_per_person_day:,.0f} kcal "
                  f"per person per day — {b.source}")


@app.command("compare")
def compare_cmd(plan_a: Path, plan_b: Path,
                out: Optional[Path] = typer.Option(None, "--out", "-o", help="write OUT/comparison.html")) -> None:
    """Print two plans side by side (B - A); with --out also write a comparison report."""
    from .compare import compare
    from .output import read_plan
    from .report import write_comparison_from_files

    try:
        a, b = read_plan(plan_a), read_plan(plan_b)
        page = write_comparison_from_files(plan_a, plan_b, out) if out is not None else None
    except ReliefplanError as e:
        fail(e)
        return
    t = Table(title=f"'{a.scenario}' vs '{b.scenario}'")
    for col in ("", a.scenario, b.scenario, f"{b.scenario} - {a.scenario}", "unit"):
        t.add_column(col, justify="right")
    for r in compare(a, b):
        t.add_row(r.key, _num(r.a), _num(r.b), _num(r.diff, sign=True), r.unit)
    console.print(t)
    if page is not None:
        console.print(f"wrote [bold]{page}[/]")


def _num(x: float | None, sign: bool = False) -> str:
    if x is None:
        return "—"
    spec = ",.0f" if abs(x) >= 100 or float(x).is_integer() else ",.2f"
    return format(x, ("+" if sign else "") + spec)


@app.command()
def schema(out: Optional[Path] = typer.Option(None, "--out", help="write the JSON Schema here"),
           of: str = typer.Option("plan", "--of", help="plan (plan.json) or assessment (assessment.json)")) -> None:
    """Print (or write) the JSON Schema of plan.json or assessment.json, generated from the result models."""
    from .assess import assessment_json_schema_text
    from .output import write_text_atomic
    from .plan import plan_json_schema_text

    if of not in ("plan", "assessment"):
        fail(ReliefplanError(f"--of: expected plan or assessment, got '{of}'"))
    text = plan_json_schema_text() if of == "plan" else assessment_json_schema_text()
    if out is None:
        typer.echo(text, nl=False)
    else:
        write_text_atomic(out, text)


@app.command("scenarios")
def scenarios_cmd(scenario_dir: Path) -> None:
    """List the named scenarios of a scenario folder."""
    from .scenario import list_scenarios

    try:
        for name in list_scenarios(scenario_dir):
            typer.echo(name)
    except ReliefplanError as e:
        fail(e)


__all__ = ["app", "InputError"]

# ---- commands of other modules are appended below this line, one function each ----


@app.command("travel-times")
def travel_times_cmd(
    roads: Path = typer.Argument(..., help="road file: .osm/.osm.pbf, GeoJSON or GeoPackage lines"),
    points: Path = typer.Argument(..., help="CSV id,lon,lat or GeoJSON points with `id`"),
    mode: str = typer.Option(..., "--mode", help="walk or drive"),
    to: Optional[Path] = typer.Option(None, "--to", help="destination points (default: POINTS to POINTS)"),
    cutoff_s: Optional[float] = typer.Option(None, "--cutoff-s", help="pairs slower than this are left empty"),
    max_snap_m: float = typer.Option(5000.0, "--max-snap-m", help="points farther than this from a road are an error"),
    out: Optional[Path] = typer.Option(None, "--out", help="CSV to write (default: print the CSV)"),
) -> None:
    """Network travel times, long-form CSV origin_id,destination_id,distance_m,travel_time_s."""
    import json

    from .network import travel_times_between_files, write_long_csv

    try:
        tt, oid, did, net = travel_times_between_files(roads, points, mode=mode, to_path=to, cutoff_s=cutoff_s,
                                                       max_snap_m=max_snap_m)
    except ReliefplanError as e:
        fail(e)
        return
    text = write_long_csv(out, tt, oid, did)
    if out is None:
        typer.echo(text, nl=False)
    else:
        summary = net.summary() | {"pairs": int(tt.time_s.size), "unreachable_pairs": int((~tt.reachable).sum()),
                                   "max_snap_m": round(float(max(tt.origin_snap_m.max(), tt.destination_snap_m.max())), 1),
                                   "out": str(out)}
        typer.echo(json.dumps(summary, indent=2))


@app.command("solve-evacuation")
def solve_evacuation_cmd(
    instance: Path = typer.Argument(..., help="JSON: nodes, arcs (from,to,travel_time_s,capacity_per_h), sources, sinks"),
    time_step: Optional[float] = typer.Option(None, "--time-step", help="time step in seconds (default: chosen)"),
    horizon: Optional[float] = typer.Option(None, "--horizon", help="stop after this many seconds (default: until clear)"),
    routing: str = typer.Option("free", "--routing", help="free (optimised routes) or fixed (given/shortest routes)"),
    method: str = typer.Option("auto", "--method", help="auto, exact (time-expanded flow) or queue (point queues)"),
    flows: bool = typer.Option(True, "--flows/--no-flows", help="include per-arc flow time series"),
) -> None:
    """Clearance time, arrivals per site and bottlenecks of an evacuation; prints JSON."""
    import json

    from .evacuation import read_instance, result_to_dict, solve_evacuation

    try:
        inst = read_instance(instance)
        res = solve_evacuation(inst, time_step_s=time_step, horizon_s=horizon, routing=routing,  # type: ignore[arg-type]
                               method=method)  # type: ignore[arg-type]
    except ReliefplanError as e:
        fail(e)
        return
    typer.echo(json.dumps(result_to_dict(res, inst, include_flows=flows), indent=1))


@app.command("solve-supply")
def solve_supply_cmd(
    instance: Path = typer.Argument(..., help="JSON: days, commodities, entry_points, warehouses, sites, arcs"),
    time_limit: float = typer.Option(60.0, "--time-limit", help="HiGHS time limit per solve (s)"),
    step_trucks: float = typer.Option(50.0, "--step-trucks", help="capacity change the binding statements speak of"),
    deep_factor: float = typer.Option(2.0, "--deep-factor", help="cost factor of shortfall beyond half the need (1 = linear)"),
    trucks: str = typer.Option("auto", "--trucks", help="truckload objective: auto, second_solve, epsilon or off"),
) -> None:
    """Daily supply through capacity-limited crossings: deliveries, shortfalls, binding constraints; prints JSON."""
    import json

    from .supply import result_to_dict, solve_supply
    from .sustain import read_supply_file, sustain, sustain_to_dict

    try:
        inst, _ = read_supply_file(instance)
        res = solve_supply(inst, time_limit_s=time_limit, step_trucks_per_day=step_trucks, deep_factor=deep_factor,
                           trucks=trucks, file=str(instance))
    except ReliefplanError as e:
        fail(e)
        return
    out = result_to_dict(res, inst)
    out["sustain"] = sustain_to_dict(sustain(inst, res))
    typer.echo(json.dumps(out, indent=1))


@app.command("layout")
def layout_cmd(
    site_polygon: Path = typer.Argument(..., help="GeoJSON with one Polygon/MultiPolygon feature (WGS84)"),
    people: int = typer.Option(..., "--people", help="people to house on the site"),
    profile: str = typer.Option("sphere-2018", "--profile", help="standards profile: sphere-2018 or unhcr-emergency"),
    household_size: Optional[int] = typer.Option(None, "--household-size", help="people per family plot"),
    site_id: Optional[str] = typer.Option(None, "--site-id", help="site id in the output (default: feature id)"),
    out: Path = typer.Option(Path("layout.gpkg"), "--out", "-o", help="GeoPackage to write"),
) -> None:
    """Lay out one tent camp inside SITE_POLYGON; write OUT (GeoPackage, WGS84) and print a summary."""
    from .layout import layout_site_file, params_for_profile, summary_rows, write_layout_gpkg

    try:
        overrides = {} if household_size is None else {"household_size": household_size}
        lay, crs = layout_site_file(site_polygon, people, params_for_profile(profile, **overrides), site_id=site_id)
        write_layout_gpkg([lay], out, crs)
    except ReliefplanError as e:
        fail(e)
        return
    s = lay.summary
    table = Table(title=f"camp layout: {s.site_id} ({profile})")
    for col, justify in (("figure", "left"), ("value", "right"), ("standard met", "center")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for label, value, ok in summary_rows(s):
        table.add_row(label, value, "" if ok is None else ("[green]yes[/]" if ok else "[red]no[/]"))
    console.print(table)
    for note in s.notes:
        console.print(f"[yellow]note:[/] {note}")
    console.print(f"wrote {out}")


@app.command("solve-siting")
def solve_siting_cmd(
    instance: Path = typer.Argument(..., help="JSON: facilities [{id,capacity,fixed_cost}], clients [{id,demand}], cost"),
    time_limit: float = typer.Option(60.0, "--time-limit", help="time limit for the whole solve (s)"),
    mip_gap: float = typer.Option(1e-6, "--mip-gap", help="relative gap at which a plan counts as optimal"),
) -> None:
    """Capacitated facility location: which sites to open and who goes where; prints JSON."""
    import json

    from .siting import read_instance_file, result_to_json, solve_siting

    try:
        inst = read_instance_file(instance)
        res = solve_siting(inst, time_limit_s=time_limit, mip_gap=mip_gap, file=str(instance))
    except ReliefplanError as e:
        fail(e)
        return
    typer.echo(json.dumps(result_to_json(res, inst), indent=1))


@app.command("ensemble")
def ensemble_cmd(
    scenario_dir: Path = typer.Argument(..., help="scenario folder with scenario.yaml (and its 'uncertainty:' block)"),
    scenario: str = typer.Option(..., "--scenario", help="named scenario"),
    runs: int = typer.Option(..., "--runs", help="number of members (>= 1)"),
    seed: int = typer.Option(0, "--seed", help="seed; the same seed gives the same members on every engine"),
    workers: int = typer.Option(1, "--workers", help="local process pool size (1 = in this process)"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler, tcp://HOST:PORT"),
    dask_local: Optional[int] = typer.Option(None, "--dask-local", help="start a Dask LocalCluster of K workers"),
    layout: Optional[bool] = typer.Option(None, "--layout/--no-layout", help="camp layouts on/off (default: scenario)"),
    out: Path = typer.Option(..., "--out", help="folder for members.parquet and summary.json"),
    base_plan: bool = typer.Option(True, "--plan/--no-plan",
                                   help="also plan the scenario as declared and write it to OUT with each verdict "
                                        "row's probability of being met over the ensemble"),
) -> None:
    """Run the plan N times over the scenario's declared uncertainty; P10/P50/P90, P(met), sensitivity."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn, TimeRemainingColumn

    from .ensemble import run_ensemble
    from .products import write_ensemble_run
    from .scenario import load_scenario

    if scheduler is not None and dask_local is not None:
        fail(ReliefplanError("give either --scheduler or --dask-local, not both"))
    engine = "dask" if scheduler is not None or dask_local is not None else "local"
    try:
        with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), TimeRemainingColumn(), console=err_console) as bar:
            task = bar.add_task(f"ensemble {scenario}", total=runs)
            res = run_ensemble(scenario_dir, scenario, runs, seed, engine=engine, workers=workers,
                               scheduler=scheduler, dask_local=dask_local, layout=layout,
                               progress=lambda done, total: bar.update(task, completed=done))
        sc = load_scenario(scenario_dir, scenario)
        if layout is not None:
            sc.layout.enabled = layout
        paths = write_ensemble_run(sc, res, out, base_plan=base_plan)
    except ReliefplanError as e:
        fail(e)
        return
    s = res.summary
    table = Table(title=f"ensemble {scenario}: {s['ok']}/{s['members']} members ok, seed {seed}")
    for col in ("outcome", "P10", "P50", "P90"):
        table.add_column(col, justify="left" if col == "outcome" else "right")
    for name, q in s["outcomes"].items():
        none = "none" if name.startswith("first_shortfall_day.") else "-"  # null: no shortfall within the horizon
        table.add_row(name, *(none if q.get(k) is None else f"{q[k]:,.1f}" for k in ("p10", "p50", "p90")))
    console.print(table)
    for f in s["failed"]:
        console.print(f"[red]member {f['member']} failed after {f['attempts']} attempt(s):[/] {f['error']}")
    console.print(f"wrote {paths[0]}, {paths[1]} and {paths[2]}")
    if base_plan:
        console.print(f"wrote {paths[3]} (the scenario as declared, each verdict row with its P(met)) and its report")


@app.command("serve")
def serve_cmd(
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on (loopback by default)"),
    port: int = typer.Option(8000, "--port", help="TCP port"),
    store: Optional[str] = typer.Option(None, "--store", help="database URL (postgresql://…, sqlite:///…) or a folder "
                                        "(SQLite inside); default ./reliefplan-store"),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help="folder for uploads and run outputs "
                                            "(default: the --store folder, or ./reliefplan-store)"),
    token: Optional[str] = typer.Option(None, "--token", help="require this bearer token on every API call "
                                        "(default: env RELIEFPLAN_TOKEN; none = open)"),
    workers: int = typer.Option(2, "--workers", help="plan runs at once"),
) -> None:
    """Serve the web app and API (OpenAPI at /docs) over a persistent run store."""
    from .web import serve

    serve(host, port, store, token=token, data_dir=data_dir, workers=workers)


@app.command("assess")
def assess_cmd(
    scenario_dir: Path = typer.Argument(..., help="scenario folder with scenario.yaml and its 'packages:' block"),
    packages: Optional[str] = typer.Option(None, "--packages", help="comma-separated package names (default: all)"),
    scenarios: Optional[str] = typer.Option(None, "--scenarios", help="comma-separated scenario names (default: all)"),
    from_day: int = typer.Option(0, "--from-day", help="day from which a minimal addition of trucks can arrive"),
    out: Path = typer.Option(..., "--out", "-o", help="folder for assessment.json, assessment.html and pairs/"),
) -> None:
    """Plan every (package, scenario) pair; say which pass, and the smallest addition that would make each pass."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .assess import assess
    from .output import write_plan
    from .products import pair_folder, write_assessment_run
    from .scenario import Problem, load_scenario, read_scenario_file

    try:
        cfg = read_scenario_file(scenario_dir)
        names = [s.strip() for s in scenarios.split(",") if s.strip()] if scenarios else list(cfg.scenarios)
        pkgs = [s.strip() for s in packages.split(",") if s.strip()] if packages else list(cfg.packages)
        unknown = [Problem(file=str(scenario_dir / "scenario.yaml"), field="packages",
                           message=f"no package named '{p}'; expected one of {sorted(cfg.packages)}")
                   for p in pkgs if p not in cfg.packages]
        unknown += [Problem(file=str(scenario_dir / "scenario.yaml"), field="scenarios",
                            message=f"no scenario named '{s}'; expected one of {list(cfg.scenarios)}")
                    for s in names if s not in cfg.scenarios]
        if unknown:
            raise InputError(unknown)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err_console) as bar:
            task = bar.add_task("loading scenarios", total=len(names) * len(pkgs))
            loaded = {n: load_scenario(scenario_dir, n) for n in names}

            def pair_done(pkg: str, scen: str, done) -> None:
                write_plan(done.plan, out / pair_folder(pkg, scen))
                bar.advance(task)

            result = assess(loaded, pkgs, from_day=from_day, on_plan=pair_done,
                            progress=lambda msg: bar.update(task, description=msg))
        paths = write_assessment_run(result, out)
    except ReliefplanError as e:
        fail(e)
        return
    t = Table(title=f"assistance packages x operations ({result.timings_s['total']:.0f} s)")
    for col in ("package", "scenario", "verdict", "unsheltered", "clearance h", "first short (day)", "failed"):
        t.add_column(col, overflow="fold")
    for p in result.pairs:
        short = ", ".join(f"{k} {v}" for k, v in p.first_shortfall_day.items() if v is not None) or "none"
        t.add_row(p.package, p.scenario, "[green]pass[/]" if p.passed else "[red]fail[/]", f"{p.unsheltered:,}",
                  "-" if p.clearance_hours is None else f"{p.clearance_hours:.1f}", short, str(sum(p.failed.values())))
    console.print(t)
    for p in result.pairs:
        if p.passed:
            continue
        console.print(f"[bold]{p.package} x {p.scenario}[/]: binding: {p.binding}")
        for x in p.additions:
            check = {True: "verified", False: "not verified", None: "by hand"}[x.verified]
            console.print(f"  {x.text} [dim](tolerance {x.tolerance}; {check})[/]")
        for x in p.not_addressable:
            console.print(f"  [dim]not a package matter: {x}[/]")
    console.print(f"wrote [bold]{paths[0]}[/], {paths[1]} and {out / 'pairs'}/*/plan.json")
