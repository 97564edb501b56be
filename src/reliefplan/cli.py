"""Command-line interface (Typer + Rich): thin over the library."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from ._errors import InputError, Problem, ReliefplanError

app = typer.Typer(help="reliefplan: plan evacuation, sheltering and supply, and say whether the plan holds.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
standards_app = typer.Typer(help="Standards profiles (planning figures with sources).", no_args_is_help=True)
app.add_typer(standards_app, name="standards")

console = Console()
err_console = Console(stderr=True)
MAX_RUNS = 100_000  # ensemble members


def _print_version(value: bool) -> None:
    if value:
        from . import __version__

        console.print(f"reliefplan {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _main(version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                       help="print the version and exit")) -> None:
    """reliefplan: plan evacuation, sheltering and supply, and say whether the plan holds."""
    from .terminal import fit

    fit(console)
    fit(err_console)


def fail(e: ReliefplanError) -> None:
    """Print an error for people (every problem on its own line) and exit non-zero."""
    err_console.print(f"[bold red]error:[/] {e}", markup=True, highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def _exit_on_sigterm() -> None:
    """A TERM signal unwinds like Ctrl-C, so a half-written output set is removed (see output.output_set)."""
    import signal
    import sys

    signal.signal(signal.SIGTERM, lambda _sig, _frame: sys.exit(143))


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
    from .outputs.files import check_output_folder
    from .outputs.products import write_run
    from .pipeline import run
    from .scenario.folder import load_scenario
    from .stages.travel import TravelCache
    from .terminal import progress

    client = None
    _exit_on_sigterm()
    try:
        check_output_folder(out)
        with progress(err_console, "loading scenario") as bar:
            sc = load_scenario(scenario_dir, scenario)
            if package is not None:
                from .analysis.packages import apply_package
                from .scenario.packages import resolve

                sc = apply_package(sc, resolve(sc.packages, package, str(scenario_dir / "scenario.yaml")), package)
            if scheduler is not None:
                from .solvers.site_times import connect

                client = connect(scheduler)
            done = run(sc, progress=bar.stage, cache=TravelCache(client=client) if client is not None else None)
            paths = write_run(sc, done, out, bar.stage)
    except ReliefplanError as e:
        fail(e)
        return
    finally:
        if client is not None:
            client.close()
    _summary(done.plan)
    _wrote(out, paths, headline_of=done.plan)


def _wrote(out: Path, paths: list[Path], headline_of=None) -> None:
    """The files of a run in one line each per kind, the plan's headline (`headline_of`: a Plan), then the page
    to open."""
    names = [p.relative_to(out).as_posix() if p.is_relative_to(out) else str(p) for p in paths]
    tables = [n for n in names if n.startswith("tables/")]
    rest = [n for n in names if not n.startswith("tables/")]
    listed = ", ".join(rest + ([f"tables/*.csv ({len(tables)} tables)"] if tables else []))
    console.print(f"wrote {len(paths)} files to [bold]{out}[/]: {listed}", soft_wrap=True, highlight=False)
    if headline_of is not None:
        from .analysis.headline import headline
        from .terminal import print_headline

        print_headline(console, headline(headline_of))
    page = next((p for p in paths if p.name == "report.html"), None) or next(
        (p for p in paths if p.name.endswith(".html")), None)
    if page is not None:
        console.print(f"open [bold]{page}[/] in a browser (works offline)", highlight=False, soft_wrap=True)


def _movement_lines(m, days: int) -> list[tuple[str, str]]:  # m: MovementResult
    """Summary rows of the move over days: each order's departures, unordered leavers, the run's outcome."""
    out = []
    for o in m.orders:
        inside = "" if o.inside_at_operation is None else \
            f"; {o.inside_at_operation:,} still inside when the operation starts (day {o.operation_day:g})"
        out.append((f"order '{o.footprint}' (day {o.day:g})",
                    f"{o.left_by_day[-1]:,} of {o.people:,} left by day {days - 1} "
                    f"({o.curve.get('kind')} curve, final share {o.final_share:.0%}){inside}"))
    u = m.unordered
    if u.left_by_day and u.left_by_day[-1]:
        out.append(("left without an order", f"{u.left_by_day[-1]:,} of {u.people:,} outside the ordered areas"))
    run = m.runs.get(m.assignment)
    if run is not None:
        other = m.runs.get("plan" if m.assignment == "arrival" else "arrival")
        walk = f"{run.walking_over_h:,} walk over {m.max_walk_h:g} h ({run.vulnerable_walking_over_h:,} vulnerable)"
        if other is not None:
            walk += f"; under the {other.assignment} run {other.walking_over_h:,}"
        out.append(("move over days (arrival order)" if run.assignment == "arrival" else "move over days (plan)",
                    f"{run.at_sites:,} at a place, {run.on_road:,} on the road, {run.without_place:,} without a "
                    f"place, {run.at_origin:,} at home on day {days - 1}; {run.turned_away:,} turned away from full "
                    f"sites, {run.redisplaced:,} re-displaced"))
        out.append(("walking burden", walk))
    return out


def _summary(p) -> None:  # p: Plan
    from .terminal import number

    t = Table(title=f"{p.scenario_title or p.scenario} — scenario '{p.scenario}'", show_header=False)
    pp = p.people
    t.add_row("everyone in the plan", f"{pp.in_plan:,} ({pp.population:,} in the zones, {pp.site_residents:,} living on "
                                      f"the sites, {pp.served_elsewhere:,} served elsewhere)")
    t.add_row("displaced", f"{pp.displaced:,}")
    t.add_row("sheltered", f"{pp.sheltered:,}")
    t.add_row("unsheltered", (f"[bold red]{pp.unsheltered:,}[/] ({pp.overflow_on_sites:,} on site land beyond the "
                              f"camps, {pp.overflow_on_zone_land:,} on other land, {pp.remaining_in_operation_area:,} "
                              "left in the operation area)") if pp.unsheltered else "0")
    t.add_row("sites opened", f"{sum(s.open for s in p.sites)} of {len(p.sites)}")
    need = p.needs_all or p.needs
    t.add_row("water need (everyone)", f"{need.water_l_per_day / 1000:,.0f} m³/day")
    t.add_row("food need (everyone)", f"{need.food_kg_per_day / 1000:,.0f} t/day ({need.kcal_per_person_day:,.0f} "
                                      f"kcal/person/day at {need.food_kcal_per_kg:,.0f} kcal/kg)")
    gap = "no plan" if p.siting.gap is None else f"gap {p.siting.gap:.2%}"
    t.add_row("siting", f"{p.siting.solver}: {p.siting.status}, {gap}, {p.siting.solve_time_s:.2f} s")
    if p.movement is not None:
        for label, text in _movement_lines(p.movement, p.horizon_days):
            t.add_row(label, text)
    console.print(t)
    if p.groups and p.groups.get("summary"):
        g = Table(title="what reaches each group (delivered per person present, mean over the horizon; worst day)")
        for col in ("group", "people", "water L/person/day", "kcal/person/day", "water / food / medical met",
                    "owed tents+kits (max)"):
            g.add_column(col, justify="left" if col == "group" else "right")
        for r in p.groups["summary"]:
            share = r["met_share"]
            g.add_row(r["group"], f"{r['people_max']:,}",
                      "—" if r["water_l_per_person_day"] is None else
                      f"{r['water_l_per_person_day']:,.1f} ({r['water_l_per_person_day_min']:,.1f})",
                      "—" if r["kcal_per_person_day"] is None else
                      f"{r['kcal_per_person_day']:,.0f} ({r['kcal_per_person_day_min']:,.0f})",
                      " / ".join(f"{share.get(k, 1.0):.0%}" for k in ("water", "food", "medical")),
                      f"{r['people_owed_shelter_items_max'] or 0:,}")
        console.print(g)
    _settlement(p)
    failed = [i for i in p.verdict if i.met is False]
    scen = [i for i in p.verdict if i.scope == "scenario"]
    v = Table(title="verdict (scenario-wide)")
    v.add_column("indicator", overflow="fold")
    for col in ("value", "target", "met", "severity"):
        v.add_column(col, justify="right" if col == "value" else "left")
    for i in scen:
        colour = {"ok": "green", "minor": "yellow", "major": "dark_orange", "critical": "red"}.get(i.severity, "white")
        unit = "" if i.unit.startswith("share") else f" {i.unit}"
        target = "—" if i.severity == "info" else f"{i.comparison} {number(i.target, i.unit)}{unit}"
        v.add_row(i.indicator, "—" if i.value is None else number(i.value, i.unit) + (unit if i.severity == "info" else ""),
                  target,
                  {True: "yes", False: "no", None: "n/a"}[i.met], f"[{colour}]{i.severity}[/]")
    console.print(v)
    group_failed = sum(1 for i in failed if i.scope.startswith("group:"))
    local_failed = sum(1 for i in failed if i.scope != "scenario" and not i.scope.startswith("group:"))
    console.print(f"{len(failed):,} of {sum(1 for i in p.verdict if i.met is not None):,} checks not met "
                  f"({group_failed:,} per group, {local_failed:,} per site or location); every check is in "
                  "plan.json 'verdict' and tables/verdict.csv.", highlight=False)


def _settlement(p) -> None:  # p: Plan
    """Monitored sites (snapshot figures, standards not met, after the plan) and arrivals, when the plan has them."""
    from .terminal import number

    if p.arrivals is not None:
        a = p.arrivals
        console.print(f"arrivals: {a['people']:,} people at {len(a['points'])} point(s) from {a['start_date']}; "
                      + "; ".join(f"{x['id']}: {x['people']:,} (days {x['first_day']}-{x['last_day']}, peak "
                                  f"{x['peak_per_day']:,}/day), {x['sheltered']:,} with a site place"
                                  for x in a["points"]), highlight=False, soft_wrap=True)
    m = p.monitoring
    if m is None:
        return
    t = Table(title=f"Monitored sites: snapshot of {m.date} ({m.people:,} people, {m.relocated:,} to relocate)"
              if m.date else "Monitored sites: latrines and taps installed, day by day")
    t.add_column("site", no_wrap=True)
    for col in ("people", "m²/p", "p/latrine", "p/tap", "water m", "after plan", "+latrines"):
        t.add_column(col, justify="right")
    t.add_column("not met", overflow="fold")
    short = {"m2_per_person": "m²", "people_per_latrine": "latrines", "people_per_tap": "taps",
             "max_distance_to_water_m": "water walk", "max_distance_to_latrine_m": "latrine walk"}
    for s in m.sites:
        missed = ", ".join(short.get(k, k) for k, ok in s.standards_met.items() if ok is False) or "none"
        t.add_row(s.id, f"{s.people:,}", number(s.m2_per_person, ""), number(s.people_per_latrine, ""),
                  number(s.people_per_tap, ""), number(s.max_distance_to_water_m, "m"), f"{s.people_after:,}",
                  "—" if s.additional_latrines is None else f"{s.additional_latrines:,}", missed)
    console.print(t)


@standards_app.command("show")
def standards_show(
    profile: str = typer.Argument("sphere-2018", help="profile name"),
    fmt: str = typer.Option("table", "--format", "-f", help="table (for reading), csv or json (every field)"),
) -> None:
    """List the figures of a standards profile with their sources."""
    from .standards import figure_rows, load_standards

    if fmt not in ("table", "csv", "json"):
        fail(ReliefplanError(f"--format: expected table, csv or json, got '{fmt}'"))
    try:
        std = load_standards(profile)
    except ReliefplanError as e:
        fail(e)
        return
    rows = figure_rows(std)
    if fmt == "json":
        typer.echo(std.model_dump_json(indent=1))
        return
    if fmt == "csv":
        import csv
        import io

        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        typer.echo(buf.getvalue(), nl=False)
        return
    # one numbered citation per distinct source, so the table itself stays narrow
    refs: dict[str, int] = {}
    where = console.width >= 110  # on a narrow terminal the chapter column would fold every row into many lines
    t = Table(title=f"{std.profile}: {std.title}")
    t.add_column("figure", overflow="fold")
    t.add_column("value", justify="right")
    t.add_column("unit", min_width=16)
    if where:
        t.add_column("where in the source")
    t.add_column("src", no_wrap=True)
    t.add_column("verified", no_wrap=True, min_width=8)
    for r in rows:
        n = refs.setdefault(r["source"], len(refs) + 1)
        t.add_row(r["key"], f"{r['value']:g}", r["unit"], *((r["chapter"],) if where else ()), f"[{n}]",
                  "yes" if r["verified"] else "[yellow]no[/]")
    console.print(t)
    for src, n in refs.items():
        console.print(f"[{n}] {src}", markup=False, highlight=False)
    b = std.ration_basket
    console.print(f"ration basket '{b.name}': {b.kg_per_person_day:.3f} kg, {b.kcal_per_person_day:,.0f} kcal "
                  f"per person per day — {b.source}", highlight=False)
    console.print(f"{sum(not r['verified'] for r in rows)} of {len(rows)} figures not verified against the "
                  "source text; `--format csv` or `--format json` gives every field"
                  + ("" if where else ", including where in the source each figure is") + ".", highlight=False)


@app.command("compare")
def compare_cmd(plan_a: Path, plan_b: Path,
                out: Optional[Path] = typer.Option(None, "--out", "-o", help="write OUT/comparison.html")) -> None:
    """Print two plans side by side (B - A); with --out also write a comparison report."""
    from .analysis.compare import compare
    from .outputs.files import read_plan
    from .outputs.report import write_comparison_from_files

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
    from .analysis.headline import headline
    from .terminal import print_headline

    for tag, p in (("A", a), ("B", b)):
        print_headline(console, headline(p), title=f"{tag} — '{p.scenario}'")
    if page is not None:
        console.print(f"wrote [bold]{page}[/]; open it in a browser (works offline)", highlight=False)


def _num(x: float | None, sign: bool = False) -> str:
    if x is None:
        return "—"
    spec = ",.0f" if abs(x) >= 100 or float(x).is_integer() else ",.2f"
    return format(x, ("+" if sign else "") + spec)


@app.command()
def schema(out: Optional[Path] = typer.Option(None, "--out", help="write the JSON Schema here"),
           of: str = typer.Option("plan", "--of", help="plan (plan.json) or assessment (assessment.json)")) -> None:
    """Print (or write) the JSON Schema of plan.json or assessment.json, generated from the result models."""
    from .analysis.assess import assessment_json_schema_text
    from .outputs.files import write_text_atomic
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
    """List the named scenarios of a scenario folder, each with its description."""
    from .scenario.folder import read_scenario_file

    try:
        cfg = read_scenario_file(scenario_dir)
    except ReliefplanError as e:
        fail(e)
        return
    t = Table(title=cfg.title or str(scenario_dir), show_lines=False)
    t.add_column("scenario", overflow="fold", style="bold")
    t.add_column("description", overflow="fold")
    for name, sc in cfg.scenarios.items():
        t.add_row(name, sc.description or "-")
    console.print(t)


__all__ = ["app", "InputError"]

# ---- commands of other modules are appended below this line, one function each ----


@app.command("init")
def init_cmd(
    out: Path = typer.Argument(..., help="the scenario folder to create (must not exist or be empty)"),
    boundaries: Path = typer.Option(..., "--boundaries", help="admin boundaries with P-codes (COD-AB: ADMn_PCODE)"),
    population: Path = typer.Option(..., "--population",
                                    help="CSV keyed by P-code (HXL row accepted) or a raster of people per pixel"),
    sites: Path = typer.Option(..., "--sites", help="candidate site outlines (polygons)"),
    footprint: Optional[Path] = typer.Option(None, "--footprint", help="the area an order empties (polygons)"),
    arrivals: Optional[Path] = typer.Option(None, "--arrivals",
                                            help="CSV date,point,people: daily arrivals at the entry points"),
    start_date: Optional[str] = typer.Option(None, "--start-date", help="ISO date of day 0 (arrivals, snapshot)"),
    snapshot: Optional[Path] = typer.Option(None, "--snapshot",
                                            help="CSV date,site_id,block_id,people,latrines,taps: camps as they are"),
    entry_points: Optional[Path] = typer.Option(None, "--entry-points", help="crossings: CSV lon,lat or points"),
    roads: Optional[Path] = typer.Option(None, "--roads", help="OpenStreetMap extract (.osm.pbf/.osm) or lines"),
    title: str = typer.Option("", "--title"),
    boundaries_layer: Optional[str] = typer.Option(None, "--boundaries-layer", help="GeoPackage layer"),
    admin_level: Optional[int] = typer.Option(None, "--admin-level", help="default: the finest with a P-code"),
    pcode_field: Optional[str] = typer.Option(None, "--pcode-field"),
    name_field: Optional[str] = typer.Option(None, "--name-field"),
    population_pcode_field: Optional[str] = typer.Option(None, "--population-pcode-field"),
    population_field: Optional[str] = typer.Option(None, "--population-field"),
    usable_fraction: Optional[float] = typer.Option(None, "--usable-fraction", min=0, max=1,
                                                    help="constant share of each site people can use"),
    trucks_per_day: Optional[float] = typer.Option(None, "--trucks-per-day", min=0,
                                                   help="for entry points without the column (an ASSUMPTION)"),
    start_day: float = typer.Option(0.0, "--start-day", min=0, help="the day the order's area empties"),
    dem: Optional[Path] = typer.Option(None, "--dem", help="elevation GeoTIFF (metres)"),
    max_slope_pct: Optional[float] = typer.Option(None, "--max-slope-pct", min=0),
    landcover: Optional[Path] = typer.Option(None, "--landcover", help="land-cover raster or land-use polygons"),
    exclude_classes: Optional[str] = typer.Option(None, "--exclude-classes", help="comma-separated classes"),
    hazard: list[str] = typer.Option([], "--hazard", help="FILE[:BUFFER_M[:KIND]], repeatable"),
    buildings: Optional[Path] = typer.Option(None, "--buildings", help="building footprints (polygons)"),
    building_buffer_m: float = typer.Option(0.0, "--building-buffer-m", min=0),
) -> None:
    """Build a scenario folder from standard data, check it, and say what to do next."""
    from .scenario.scaffold import Hazard, InitInputs, init_scenario

    try:
        hazards = []
        for h in hazard:
            file, _, rest = h.partition(":")
            buf, _, kind = rest.partition(":")
            try:
                hazards.append(Hazard(Path(file), float(buf or 0), kind))
            except ValueError:
                raise InputError(Problem(file=file, field="--hazard",
                                         message=f"expected FILE[:BUFFER_M[:KIND]], got {h!r}")) from None
        done = init_scenario(out, InitInputs(
            boundaries=boundaries, population=population, sites=sites, footprint=footprint, arrivals=arrivals,
            start_date=start_date, snapshot=snapshot,
            entry_points=entry_points, roads=roads, title=title, boundaries_layer=boundaries_layer,
            admin_level=admin_level, pcode_field=pcode_field, name_field=name_field,
            population_pcode_field=population_pcode_field, population_field=population_field,
            usable_fraction=usable_fraction, trucks_per_day=trucks_per_day, start_day=start_day, dem=dem,
            max_slope_pct=max_slope_pct, landcover=landcover,
            exclude_classes=[c.strip() for c in (exclude_classes or "").split(",") if c.strip()],
            hazards=hazards, buildings=buildings, building_buffer_m=building_buffer_m))
    except ReliefplanError as e:
        fail(e)
        return
    sc = done.scenario
    console.print(f"wrote [bold]{done.folder}[/]: {len(sc.zones)} zones, "
                  f"{sum(z.population for z in sc.zones):,} people, {len(sc.sites)} sites; checked with the loader",
                  highlight=False, soft_wrap=True)
    console.print("choices made (also at the top of scenario.yaml):", highlight=False)
    for c in done.choices:
        console.print(f"  - {c}", highlight=False, soft_wrap=True, markup=False)
    console.print("next:", highlight=False)
    for i, s in enumerate(done.next_steps, 1):
        console.print(f"  {i}. {s}", highlight=False, soft_wrap=True, markup=False)


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

    from .outputs.files import write_long_csv
    from .solvers.network import travel_times_between_files

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

    from .solvers.evacuation import read_instance, result_to_dict, solve_evacuation

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

    from .solvers.supply import result_to_dict, solve_supply
    from .solvers.sustain import read_supply_file, sustain, sustain_to_dict

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
    from .solvers.layout import layout_site_file, params_for_profile, summary_rows, write_layout_gpkg

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

    from .solvers.siting import read_instance_file, result_to_json, solve_siting

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
    workers: Optional[int] = typer.Option(None, "--workers",
                                          help="local process pool size (1 = in this process; default: one per "
                                               "CPU core, at most one per member)"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler, tcp://HOST:PORT"),
    dask_local: Optional[int] = typer.Option(None, "--dask-local", help="start a Dask LocalCluster of K workers"),
    layout: Optional[bool] = typer.Option(None, "--layout/--no-layout", help="camp layouts on/off (default: scenario)"),
    out: Path = typer.Option(..., "--out", help="folder for members.parquet and summary.json"),
    base_plan: bool = typer.Option(True, "--plan/--no-plan",
                                   help="also plan the scenario as declared and write it to OUT with each verdict "
                                        "row's probability of being met over the ensemble"),
) -> None:
    """Run the plan N times over the scenario's declared uncertainty; P10/P50/P90, P(met), sensitivity."""
    from .analysis.ensemble import default_workers, run_ensemble
    from .outputs.files import check_output_folder
    from .outputs.products import write_ensemble_run
    from .scenario.folder import load_scenario
    from .terminal import progress

    if scheduler is not None and dask_local is not None:
        fail(ReliefplanError("give either --scheduler or --dask-local, not both"))
    engine = "dask" if scheduler is not None or dask_local is not None else "local"
    if workers is None:
        workers = default_workers(runs)
    _exit_on_sigterm()
    try:
        if not 1 <= runs <= MAX_RUNS:
            raise ReliefplanError(f"--runs: expected 1 to {MAX_RUNS:,} members, got {runs}")
        check_output_folder(out)
        with progress(err_console, f"ensemble {scenario}", total=runs) as bar:
            res = run_ensemble(scenario_dir, scenario, runs, seed, engine=engine, workers=workers,
                               scheduler=scheduler, dask_local=dask_local, layout=layout, progress=bar.count)
        sc = load_scenario(scenario_dir, scenario)
        if layout is not None:
            sc.layout.enabled = layout
        if base_plan:
            with progress(err_console, "planning the scenario as declared") as bar:
                paths = write_ensemble_run(sc, res, out, base_plan=base_plan, step=bar.stage)
        else:
            paths = write_ensemble_run(sc, res, out, base_plan=False)
    except ReliefplanError as e:
        fail(e)
        return
    s = res.summary
    table = Table(title=f"ensemble {scenario}: {s['ok']}/{s['members']} members ok, seed {seed}")
    for col in ("outcome", "P10", "P50", "P90"):
        table.add_column(col, justify="left" if col == "outcome" else "right", overflow="fold")
    from .words import outcome_words

    for name, q in s["outcomes"].items():
        table.add_row(outcome_words(name), *(_outcome(name, q.get(k)) for k in ("p10", "p50", "p90")))
    console.print(table)
    for f in s["failed"]:
        console.print(f"[red]member {f['member']} failed after {f['attempts']} attempt(s):[/] {f['error']}")
    console.print(f"wrote {paths[0]}, {paths[1]} and {paths[2]}", highlight=False)
    if base_plan:
        console.print(f"wrote {paths[3]} (the scenario as declared, each verdict row with its P(met)) and its report",
                      highlight=False)
    from .analysis.headline import ensemble_lines, headline
    from .outputs.files import read_plan
    from .terminal import print_headline

    lines = ensemble_lines(s)
    console.print(f"[bold]How sure is the plan?[/] {lines[0]}", highlight=False, soft_wrap=True)
    for line in lines[1:]:
        console.print(f"  - {line}", markup=False, highlight=False, soft_wrap=True)
    if base_plan:
        print_headline(console, headline(read_plan(paths[3])), title="The scenario as declared:")
    console.print(f"open [bold]{paths[2]}[/] in a browser (works offline)", highlight=False, soft_wrap=True)


def _outcome(name: str, v: float | None) -> str:
    """An ensemble percentile: people and tonnes whole, hours as 'h min', days as 'day d' (null: never short)."""
    from .words import outcome_value

    return outcome_value(name, v)


@app.command("serve")
def serve_cmd(
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on (loopback by default)"),
    port: int = typer.Option(8000, "--port", help="TCP port"),
    store: Optional[str] = typer.Option(None, "--store", help="database URL (postgresql://…, sqlite:///…) or a folder "
                                        "(SQLite inside); default: the per-user data folder, printed at start"),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help="folder for uploads and run outputs "
                                            "(default: the --store folder, or the per-user data folder)"),
    token: Optional[str] = typer.Option(None, "--token", help="require this bearer token on every API call "
                                        "(default: env RELIEFPLAN_TOKEN; none = open)"),
    workers: int = typer.Option(2, "--workers", help="plan runs at once"),
    allowed_host: Optional[list[str]] = typer.Option(None, "--allowed-host", help="a name clients reach this server "
                                                     "by (Host header), repeatable; loopback names are always "
                                                     "allowed, '*' allows any (only with a token)"),
) -> None:
    """Serve the web app and API (OpenAPI at /docs) over a persistent run store."""
    from .web import serve

    try:
        serve(host, port, store, token=token, data_dir=data_dir, workers=workers, allowed_hosts=allowed_host)
    except ReliefplanError as e:
        fail(e)


@app.command("assess")
def assess_cmd(
    scenario_dir: Path = typer.Argument(..., help="scenario folder with scenario.yaml and its 'packages:' block"),
    packages: Optional[str] = typer.Option(None, "--packages", help="comma-separated package names (default: all)"),
    scenarios: Optional[str] = typer.Option(None, "--scenarios", help="comma-separated scenario names (default: all)"),
    from_day: int = typer.Option(0, "--from-day", help="day from which a minimal addition of trucks can arrive"),
    out: Path = typer.Option(..., "--out", "-o", help="folder for assessment.json, assessment.html and pairs/"),
) -> None:
    """Plan every (package, scenario) pair; say which pass, and the smallest addition that would make each pass."""
    from .analysis.assess import assess
    from .outputs.files import check_output_folder, moved, output_set, write_plan
    from .outputs.products import pair_folder, write_assessment_run
    from .scenario.folder import Problem, load_scenario, read_scenario_file
    from .terminal import progress

    _exit_on_sigterm()
    try:
        check_output_folder(out)
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
        with progress(err_console, "package x scenario pairs", total=len(names) * len(pkgs)) as bar, \
                output_set(out) as tmp:
            bar.stage("loading scenarios")
            loaded = {n: load_scenario(scenario_dir, n) for n in names}

            def pair_done(pkg: str, scen: str, done) -> None:
                write_plan(done.plan, tmp / pair_folder(pkg, scen))
                bar.advance()

            result = assess(loaded, pkgs, from_day=from_day, on_plan=pair_done, progress=bar.stage)
            paths = moved(write_assessment_run(result, tmp), tmp, out)
    except ReliefplanError as e:
        fail(e)
        return
    t = Table(title=f"assistance packages x operations ({result.timings_s['total']:.0f} s)")
    for col in ("package", "scenario", "verdict", "unsheltered", "clearance h", "first short (day)",
                "water L/p/d (worst group)", "failed"):
        t.add_column(col, overflow="fold")
    for p in result.pairs:
        short = ", ".join(f"{k} {v}" for k, v in p.first_shortfall_day.items() if v is not None) or "none"
        water = [(v["water_l_per_person_day"], g) for g, v in p.groups.items() if v.get("water_l_per_person_day")
                 is not None]
        t.add_row(p.package, p.scenario, "[green]passes[/]" if p.passed else "[red]fails[/]", f"{p.unsheltered:,}",
                  "-" if p.clearance_hours is None else f"{p.clearance_hours:.1f}", short,
                  "-" if not water else "{:.1f} ({})".format(*min(water)), f"{sum(p.failed.values()):,}")
    console.print(t)
    from .analysis.headline import assessment_lines, fails_text

    for p in result.pairs:
        if p.passed:
            continue
        h = p.headline
        console.print(f"[bold]{p.package} x {p.scenario}[/]: [red]{fails_text(sum(p.failed.values()))}[/]"
                      + (f" ({', '.join(f'{k.title} {k.failed:,}' for k in h.kinds)})" if h else ""),
                      highlight=False, soft_wrap=True)
        if h and h.findings:
            console.print(f"  {h.findings[0]}", markup=False, highlight=False, soft_wrap=True)
        console.print(f"  binding: {p.binding}", markup=False, highlight=False, soft_wrap=True)
        for x in p.additions:
            check = {True: "verified", False: "not verified", None: "by hand"}[x.verified]
            console.print(f"  {x.text} [dim](tolerance {x.tolerance}; {check})[/]", highlight=False, soft_wrap=True)
        for x in p.not_addressable:
            console.print(f"  [dim]not a package matter: {x}[/]", highlight=False, soft_wrap=True)
    console.print(f"wrote [bold]{paths[0]}[/], {paths[1]} and {out / 'pairs'}/*/plan.json", highlight=False)
    summary = assessment_lines([p.model_dump(mode="json") for p in result.pairs])
    colour = "green" if all(p.passed for p in result.pairs) else "red"
    console.print(f"[bold {colour}]{summary[0]}[/]", highlight=False, soft_wrap=True)
    for line in summary[1:]:
        console.print(f"  - {line}", markup=False, highlight=False, soft_wrap=True)
    console.print(f"open [bold]{paths[1]}[/] in a browser (works offline)", highlight=False, soft_wrap=True)


@app.command("solve-routing")
def solve_routing_cmd(
    instance: Path = typer.Argument(..., help="JSON (depots, stops, vehicles) or a Solomon VRPTW text file"),
    time_limit: float = typer.Option(10.0, "--time-limit", help="search time limit (s)"),
    fmt: str = typer.Option("auto", "--format", help="auto, json or solomon"),
    vehicles: Optional[int] = typer.Option(None, "--vehicles", help="Solomon: fleet size (default: the file's NUMBER)"),
) -> None:
    """Daily vehicle routes from hubs to distribution points: vehicles, distance, load, unserved stops; prints JSON."""
    import json

    from .solvers.routing import read_instance_file, result_to_json, solve_routing

    try:
        inst = read_instance_file(instance, fmt, vehicles)
        res = solve_routing(inst, time_limit_s=time_limit, file=str(instance))
    except ReliefplanError as e:
        fail(e)
        return
    typer.echo(json.dumps(result_to_json(res, inst), indent=1))
