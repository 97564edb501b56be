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
) -> None:
    """Plan one named scenario and write OUT/plan.json."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from .layers import plan_layers
    from .output import write_geojson, write_plan
    from .pipeline import make_plan
    from .scenario import load_scenario

    try:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                      console=err_console, transient=True) as bar:
            task = bar.add_task("loading scenario", total=None)
            sc = load_scenario(scenario_dir, scenario)
            result = make_plan(sc, progress=lambda msg: bar.update(task, description=msg))
            bar.update(task, description="writing plan.json")
            path = write_plan(result, out)
            flows_path = write_geojson(plan_layers(sc, result)["flows"], out / "flows.geojson")
    except ReliefplanError as e:
        fail(e)
        return
    _summary(result)
    console.print(f"wrote [bold]{path}[/] and {flows_path.name} (zone -> site desire lines)")


def _summary(p) -> None:  # p: Plan
    t = Table(title=f"{p.scenario_title or p.scenario} — scenario '{p.scenario}'", show_header=False)
    t.add_row("displaced", f"{p.people.displaced:,}")
    t.add_row("sheltered", f"{p.people.sheltered:,}")
    t.add_row("unsheltered", f"[bold red]{p.people.unsheltered:,}[/]" if p.people.unsheltered else "0")
    t.add_row("sites opened", f"{sum(s.open for s in p.sites)} of {len(p.sites)}")
    t.add_row("water need", f"{p.needs.water_l_per_day / 1000:,.0f} m³/day")
    t.add_row("food need", f"{p.needs.food_kg_per_day / 1000:,.0f} t/day ({p.needs.kcal_per_person_day:,.0f} kcal/person/day)")
    t.add_row("allocation", f"{p.allocation.method} ({p.allocation.status})")
    console.print(t)
    failed = [i for i in p.verdict if i.met is False]
    scen = [i for i in p.verdict if i.scope == "scenario"]
    v = Table(title="verdict (scenario-wide)")
    v.add_column("indicator", overflow="fold")
    for col in ("value", "target", "met", "severity"):
        v.add_column(col)
    for i in scen:
        colour = {"ok": "green", "minor": "yellow", "major": "dark_orange", "critical": "red"}.get(i.severity, "white")
        v.add_row(i.indicator, "—" if i.value is None else f"{i.value:,.3g}", f"{i.comparison} {i.target:,.3g} {i.unit}",
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
def compare_cmd(plan_a: Path, plan_b: Path) -> None:
    """Print two plans side by side (B - A)."""
    from .compare import compare
    from .output import read_plan

    try:
        a, b = read_plan(plan_a), read_plan(plan_b)
    except ReliefplanError as e:
        fail(e)
        return
    t = Table(title=f"'{a.scenario}' vs '{b.scenario}'")
    for col in ("", a.scenario, b.scenario, f"{b.scenario} - {a.scenario}", "unit"):
        t.add_column(col, justify="right")
    for r in compare(a, b):
        t.add_row(r.key, _num(r.a), _num(r.b), _num(r.diff, sign=True), r.unit)
    console.print(t)


def _num(x: float | None, sign: bool = False) -> str:
    if x is None:
        return "—"
    spec = ",.0f" if abs(x) >= 100 or float(x).is_integer() else ",.2f"
    return format(x, ("+" if sign else "") + spec)


@app.command()
def schema(out: Optional[Path] = typer.Option(None, "--out", help="write the JSON Schema of plan.json here")) -> None:
    """Print (or write) the JSON Schema of plan.json, generated from the result models."""
    from .output import write_text_atomic
    from .plan import plan_json_schema_text

    text = plan_json_schema_text()
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
