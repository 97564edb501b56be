"""Commands about inputs: standards profiles, the scenarios of a folder, the JSON Schemas, a new scenario folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.table import Table

from .._errors import InputError, Problem, ReliefplanError
from ._common import console, fail

if TYPE_CHECKING:
    from ..scenario.scaffold import Hazard, InitResult


def standards_show(
    profile: str = typer.Argument("sphere-2018", help="profile name"),
    fmt: str = typer.Option("table", "--format", "-f", help="table (for reading), csv or json (every field)"),
) -> None:
    """List the figures of a standards profile with their sources."""
    from ..standards import figure_rows, load_standards

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
        t.add_row(
            r["key"],
            f"{r['value']:g}",
            r["unit"],
            *((r["chapter"],) if where else ()),
            f"[{n}]",
            "yes" if r["verified"] else "[yellow]no[/]",
        )
    console.print(t)
    for src, n in refs.items():
        console.print(f"[{n}] {src}", markup=False, highlight=False)
    b = std.ration_basket
    console.print(
        f"ration basket '{b.name}': {b.kg_per_person_day:.3f} kg, {b.kcal_per_person_day:,.0f} kcal "
        f"per person per day — {b.source}",
        highlight=False,
    )
    console.print(
        f"{sum(not r['verified'] for r in rows)} of {len(rows)} figures not verified against the "
        "source text; `--format csv` or `--format json` gives every field"
        + ("" if where else ", including where in the source each figure is")
        + ".",
        highlight=False,
    )


def schema(
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="write the JSON Schema here"),
    of: str = typer.Option("plan", "--of", help="plan (plan.json) or assessment (assessment.json)"),
) -> None:
    """Print (or write) the JSON Schema of plan.json or assessment.json, generated from the result models."""
    from ..analysis.assess import assessment_json_schema_text
    from ..outputs.files import write_text_atomic
    from ..plan import plan_json_schema_text

    if of not in ("plan", "assessment"):
        fail(ReliefplanError(f"--of: expected plan or assessment, got '{of}'"))
    text = plan_json_schema_text() if of == "plan" else assessment_json_schema_text()
    if out is None:
        typer.echo(text, nl=False)
    else:
        write_text_atomic(out, text)


def scenarios_cmd(
    scenario_dir: Path = typer.Argument(..., help="scenario folder holding scenario.yaml"),
) -> None:
    """List the named scenarios of a scenario folder, each with its description."""
    from ..scenario.folder import read_scenario_file

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


def init_cmd(
    out: Path = typer.Argument(..., help="the scenario folder to create (must not exist or be empty)"),
    boundaries: Path = typer.Option(..., "--boundaries", help="admin boundaries with P-codes (COD-AB: ADMn_PCODE)"),
    population: Path = typer.Option(
        ..., "--population", help="CSV keyed by P-code (HXL row accepted) or a raster of people per pixel"
    ),
    sites: Path = typer.Option(..., "--sites", help="candidate site outlines (polygons)"),
    footprint: Optional[Path] = typer.Option(None, "--footprint", help="the area an order empties (polygons)"),
    arrivals: Optional[Path] = typer.Option(
        None, "--arrivals", help="CSV date,point,people: daily arrivals at the entry points"
    ),
    start_date: Optional[str] = typer.Option(None, "--start-date", help="ISO date of day 0 (arrivals, snapshot)"),
    snapshot: Optional[Path] = typer.Option(
        None, "--snapshot", help="CSV date,site_id,block_id,people,latrines,taps: camps as they are"
    ),
    entry_points: Optional[Path] = typer.Option(None, "--entry-points", help="crossings: CSV lon,lat or points"),
    roads: Optional[Path] = typer.Option(None, "--roads", help="OpenStreetMap extract (.osm.pbf/.osm) or lines"),
    title: str = typer.Option("", "--title"),
    boundaries_layer: Optional[str] = typer.Option(None, "--boundaries-layer", help="GeoPackage layer"),
    admin_level: Optional[int] = typer.Option(None, "--admin-level", help="default: the finest with a P-code"),
    pcode_field: Optional[str] = typer.Option(None, "--pcode-field"),
    name_field: Optional[str] = typer.Option(None, "--name-field"),
    population_pcode_field: Optional[str] = typer.Option(None, "--population-pcode-field"),
    population_field: Optional[str] = typer.Option(None, "--population-field"),
    usable_fraction: Optional[float] = typer.Option(
        None, "--usable-fraction", min=0, max=1, help="constant share of each site people can use"
    ),
    trucks_per_day: Optional[float] = typer.Option(
        None, "--trucks-per-day", min=0, help="for entry points without the column (an ASSUMPTION)"
    ),
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
    from ..scenario.scaffold import InitInputs, init_scenario

    try:
        done = init_scenario(
            out,
            InitInputs(
                boundaries=boundaries,
                population=population,
                sites=sites,
                footprint=footprint,
                arrivals=arrivals,
                start_date=start_date,
                snapshot=snapshot,
                entry_points=entry_points,
                roads=roads,
                title=title,
                boundaries_layer=boundaries_layer,
                admin_level=admin_level,
                pcode_field=pcode_field,
                name_field=name_field,
                population_pcode_field=population_pcode_field,
                population_field=population_field,
                usable_fraction=usable_fraction,
                trucks_per_day=trucks_per_day,
                start_day=start_day,
                dem=dem,
                max_slope_pct=max_slope_pct,
                landcover=landcover,
                exclude_classes=[c.strip() for c in (exclude_classes or "").split(",") if c.strip()],
                hazards=_hazards(hazard),
                buildings=buildings,
                building_buffer_m=building_buffer_m,
            ),
        )
    except ReliefplanError as e:
        fail(e)
        return
    _print_init(done)


def _hazards(hazard: list[str]) -> list[Hazard]:
    """The --hazard options, each FILE[:BUFFER_M[:KIND]]."""
    from ..scenario.scaffold import Hazard

    hazards = []
    for h in hazard:
        file, _, rest = h.partition(":")
        buf, _, kind = rest.partition(":")
        try:
            hazards.append(Hazard(Path(file), float(buf or 0), kind))
        except ValueError:
            raise InputError(
                Problem(file=file, field="--hazard", message=f"expected FILE[:BUFFER_M[:KIND]], got {h!r}")
            ) from None
    return hazards


def _print_init(done: InitResult) -> None:
    """What init wrote, the choices it made and the next steps."""
    sc = done.scenario
    console.print(
        f"wrote [bold]{done.folder}[/]: {len(sc.zones)} zones, "
        f"{sum(z.population for z in sc.zones):,} people, {len(sc.sites)} sites; checked with the loader",
        highlight=False,
        soft_wrap=True,
    )
    console.print("choices made (also at the top of scenario.yaml):", highlight=False)
    for c in done.choices:
        console.print(f"  - {c}", highlight=False, soft_wrap=True, markup=False)
    console.print("next:", highlight=False)
    for i, s in enumerate(done.next_steps, 1):
        console.print(f"  {i}. {s}", highlight=False, soft_wrap=True, markup=False)
