"""The standalone solvers on their JSON instances: travel times, evacuation, supply, layout, siting, routing."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from .._errors import ReliefplanError
from ._common import above_zero, console, fail


def travel_times_cmd(
    roads: Path = typer.Argument(..., help="road file: .osm/.osm.pbf, GeoJSON or GeoPackage lines"),
    points: Path = typer.Argument(..., help="CSV id,lon,lat or GeoJSON points with `id`"),
    mode: str = typer.Option(..., "--mode", help="walk or drive"),
    to: Optional[Path] = typer.Option(None, "--to", help="destination points (default: POINTS to POINTS)"),
    cutoff_s: Optional[float] = typer.Option(None, "--cutoff-s", min=0, help="pairs slower than this are left empty"),
    max_snap_m: float = typer.Option(
        5000.0, "--max-snap-m", min=0, help="points farther than this from a road are an error"
    ),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="CSV to write (default: print the CSV)"),
) -> None:
    """Network travel times, long-form CSV origin_id,destination_id,distance_m,travel_time_s."""
    import json

    from ..outputs.files import write_long_csv
    from ..solvers.network import travel_times_between_files

    try:
        tt, oid, did, net = travel_times_between_files(
            roads, points, mode=mode, to_path=to, cutoff_s=cutoff_s, max_snap_m=max_snap_m
        )
    except ReliefplanError as e:
        fail(e)
        return
    text = write_long_csv(out, tt, [str(o) for o in oid], [str(d) for d in did])
    if out is None:
        typer.echo(text, nl=False)
    else:
        summary = net.summary() | {
            "pairs": int(tt.time_s.size),
            "unreachable_pairs": int((~tt.reachable).sum()),
            "max_snap_m": round(float(max(tt.origin_snap_m.max(), tt.destination_snap_m.max())), 1),
            "out": str(out),
        }
        typer.echo(json.dumps(summary, indent=2))


def solve_evacuation_cmd(
    instance: Path = typer.Argument(
        ..., help="JSON: nodes, arcs (from,to,travel_time_s,capacity_per_h), sources, sinks"
    ),
    time_step: Optional[float] = typer.Option(
        None, "--time-step-s", "--time-step", help="time step in seconds (default: chosen)"
    ),
    horizon: Optional[float] = typer.Option(
        None, "--horizon-s", "--horizon", help="stop after this many seconds (default: until clear)"
    ),
    routing: str = typer.Option("free", "--routing", help="free (optimised routes) or fixed (given/shortest routes)"),
    method: str = typer.Option("auto", "--method", help="auto, exact (time-expanded flow) or queue (point queues)"),
    flows: bool = typer.Option(True, "--flows/--no-flows", help="include per-arc flow time series"),
) -> None:
    """Clearance time, arrivals per site and bottlenecks of an evacuation; prints JSON."""
    import json

    from ..solvers.evacuation import read_instance, result_to_dict, solve_evacuation

    try:
        inst = read_instance(instance)
        res = solve_evacuation(
            inst,
            time_step_s=time_step,
            horizon_s=horizon,
            routing=routing,  # type: ignore[arg-type]
            method=method,  # type: ignore[arg-type]
        )
    except ReliefplanError as e:
        fail(e)
        return
    typer.echo(json.dumps(result_to_dict(res, inst, include_flows=flows), indent=1))


def solve_supply_cmd(
    instance: Path = typer.Argument(..., help="JSON: days, commodities, entry_points, warehouses, sites, arcs"),
    time_limit: float = typer.Option(
        60.0, "--time-limit-s", "--time-limit", min=0, help="HiGHS time limit per solve (s)"
    ),
    step_trucks: float = typer.Option(
        50.0, "--step-trucks", callback=above_zero, help="capacity change the binding statements speak of"
    ),
    deep_factor: float = typer.Option(
        2.0, "--deep-factor", help="cost factor of shortfall beyond half the need (1 = linear)"
    ),
    trucks: str = typer.Option("auto", "--trucks", help="truckload objective: auto, second_solve, epsilon or off"),
    method: str = typer.Option(
        "auto", "--method", help="LP solve: auto, sifting (sites' stock priced in) or direct (one solve); same optimum"
    ),
) -> None:
    """Daily supply through capacity-limited crossings: deliveries, shortfalls, binding constraints; prints JSON."""
    import json

    from ..solvers.supply import result_to_dict, solve_supply
    from ..solvers.sustain import read_supply_file, sustain, sustain_to_dict

    try:
        inst, _ = read_supply_file(instance)
        res = solve_supply(
            inst,
            time_limit_s=time_limit,
            step_trucks_per_day=step_trucks,
            deep_factor=deep_factor,
            trucks=trucks,
            method=method,
            file=str(instance),
        )
    except ReliefplanError as e:
        fail(e)
        return
    out = result_to_dict(res, inst)
    out["sustain"] = sustain_to_dict(sustain(inst, res))
    typer.echo(json.dumps(out, indent=1))


def layout_cmd(
    site_polygon: Path = typer.Argument(..., help="GeoJSON with one Polygon/MultiPolygon feature (WGS84)"),
    people: int = typer.Option(..., "--people", min=0, help="people to house on the site"),
    profile: str = typer.Option("sphere-2018", "--profile", help="standards profile: sphere-2018 or unhcr-emergency"),
    household_size: Optional[int] = typer.Option(None, "--household-size", min=1, help="people per family plot"),
    site_id: Optional[str] = typer.Option(None, "--site-id", help="site id in the output (default: feature id)"),
    out: Path = typer.Option(Path("layout.gpkg"), "--out", "-o", help="GeoPackage to write"),
) -> None:
    """Lay out one tent camp inside SITE_POLYGON; write OUT (GeoPackage, WGS84) and print a summary."""
    from ..solvers.layout import layout_site_file, params_for_profile, summary_rows, write_layout_gpkg

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


def solve_siting_cmd(
    instance: Path = typer.Argument(
        ..., help="JSON: facilities [{id,capacity,fixed_cost}], clients [{id,demand}], cost"
    ),
    time_limit: float = typer.Option(
        60.0, "--time-limit-s", "--time-limit", min=0, help="time limit for the whole solve (s)"
    ),
    mip_gap: float = typer.Option(
        1e-6, "--mip-gap", min=0, max=1, help="relative gap at which a plan counts as optimal"
    ),
) -> None:
    """Capacitated facility location: which sites to open and who goes where; prints JSON."""
    import json

    from ..solvers.siting import read_instance_file, result_to_json, solve_siting

    try:
        inst = read_instance_file(instance)
        res = solve_siting(inst, time_limit_s=time_limit, mip_gap=mip_gap, file=str(instance))
    except ReliefplanError as e:
        fail(e)
        return
    typer.echo(json.dumps(result_to_json(res, inst), indent=1))


def solve_routing_cmd(
    instance: Path = typer.Argument(..., help="JSON (depots, stops, vehicles) or a Solomon VRPTW text file"),
    time_limit: float = typer.Option(10.0, "--time-limit-s", "--time-limit", min=0, help="search time limit (s)"),
    fmt: str = typer.Option("auto", "--format", help="auto, json or solomon"),
    vehicles: Optional[int] = typer.Option(
        None, "--vehicles", min=1, help="Solomon: fleet size (default: the file's NUMBER)"
    ),
) -> None:
    """Daily vehicle routes from hubs to distribution points: vehicles, distance, load, unserved stops; prints JSON."""
    import json

    from ..solvers.routing import read_instance_file, result_to_json, solve_routing

    try:
        inst = read_instance_file(instance, fmt, vehicles)
        res = solve_routing(inst, time_limit_s=time_limit, file=str(instance))
    except ReliefplanError as e:
        fail(e)
        return
    typer.echo(json.dumps(result_to_json(res, inst), indent=1))
