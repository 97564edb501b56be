"""Commands on whole plans: plan, compare, ensemble and assess, with the plan's summary on the terminal."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Optional

import typer
from rich.table import Table

from .._errors import InputError, ReliefplanError

if TYPE_CHECKING:
    from ..analysis.assess import Assessment
    from ..pipeline import PlanRun
    from ..plan import MovementResult, Plan
    from ..scenario.config import ScenarioFile

from ._common import MAX_RUNS, _exit_on_sigterm, _num, _outcome, _wrote, console, err_console, fail, interrupted


def plan(
    scenario_dir: Path = typer.Argument(..., help="scenario folder holding scenario.yaml"),
    scenario: str = typer.Option(..., "--scenario", "-s", help="name of a scenario in scenario.yaml"),
    out: Path = typer.Option(..., "--out", "-o", help="output folder; plan.json is written there"),
    package: Optional[str] = typer.Option(
        None, "--package", "-p", help="count the resources of this assistance package (scenario.yaml)"
    ),
    scheduler: Optional[str] = typer.Option(
        None,
        "--scheduler",
        help="Dask scheduler tcp://HOST:PORT: walking times and camp "
        "layouts by site batch on its cluster (same results)",
    ),
    group_ranges: bool = typer.Option(
        False,
        "--group-ranges",
        help="when supplies are short, also give each group's least and most water, food and share of each need "
        "over the equally good supply plans (2 more LP solves per group and commodity; as supply.group_ranges: "
        "true; plan.json groups.ranges)",
    ),
) -> None:
    """Plan one named scenario and write OUT/plan.json."""
    from ..outputs.files import check_output_folder
    from ..outputs.products import write_run
    from ..pipeline import run
    from ..scenario.folder import load_scenario
    from ..stages.travel import TravelCache
    from ..terminal import progress

    client = None
    _exit_on_sigterm()
    try:
        check_output_folder(out)
        with progress(err_console, "loading scenario") as bar:
            sc = load_scenario(scenario_dir, scenario)
            if package is not None:
                from ..analysis.packages import apply_package
                from ..scenario.packages import resolve

                sc = apply_package(sc, resolve(sc.packages, package, str(scenario_dir / "scenario.yaml")), package)
            if group_ranges:
                sc = sc.model_copy(update={"supply": sc.supply.model_copy(update={"group_ranges": True})})
            if scheduler is not None:
                from ..solvers.site_times import connect

                client = connect(scheduler)
            done = run(sc, progress=bar.stage, cache=TravelCache(client=client) if client is not None else None)
            paths = write_run(sc, done, out, bar.stage)
    except ReliefplanError as e:
        fail(e)
        return
    except KeyboardInterrupt:
        interrupted(out)
    finally:
        if client is not None:
            client.close()
    _summary(done.plan)
    _wrote(out, paths, headline_of=done.plan)


def _movement_lines(m: MovementResult, days: int) -> list[tuple[str, str]]:
    """Summary rows of the move over days: each order's departures, unordered leavers, the run's outcome."""
    out = []
    for o in m.orders:
        inside = (
            ""
            if o.inside_at_operation is None
            else f"; {o.inside_at_operation:,} still inside when the operation starts (day {o.operation_day:g})"
        )
        out.append(
            (
                f"order '{o.footprint}' (day {o.day:g})",
                f"{o.left_by_day[-1]:,} of {o.people:,} left by day {days - 1} "
                f"({o.curve.kind} curve, final share {o.final_share:.0%}){inside}",
            )
        )
    u = m.unordered
    if u.left_by_day and u.left_by_day[-1]:
        out.append(("left without an order", f"{u.left_by_day[-1]:,} of {u.people:,} outside the ordered areas"))
    run = m.runs.get(m.assignment)
    if run is not None:
        other = m.runs.get("plan" if m.assignment == "arrival" else "arrival")
        walk = f"{run.walking_over_h:,} walk over {m.max_walk_h:g} h ({run.vulnerable_walking_over_h:,} vulnerable)"
        if other is not None:
            walk += f"; under the {other.assignment} run {other.walking_over_h:,}"
        out.append(
            (
                "move over days (arrival order)" if run.assignment == "arrival" else "move over days (plan)",
                f"{run.at_sites:,} at a place, {run.on_road:,} on the road, {run.without_place:,} without a "
                f"place, {run.at_origin:,} at home on day {days - 1}; {run.turned_away:,} turned away from full "
                f"sites, {run.redisplaced:,} re-displaced",
            )
        )
        out.append(("walking burden", walk))
    return out


def _summary(p: Plan) -> None:
    """The plan on the terminal: people, needs, siting, the move, the groups, the settlement, the verdict."""
    t = Table(title=f"{p.scenario_title or p.scenario} — scenario '{p.scenario}'", show_header=False)
    pp = p.people
    t.add_row(
        "everyone in the plan",
        f"{pp.in_plan:,} ({pp.population:,} in the zones, {pp.site_residents:,} living on "
        f"the sites, {pp.served_elsewhere:,} served elsewhere)",
    )
    t.add_row("displaced", f"{pp.displaced:,}")
    t.add_row("sheltered", f"{pp.sheltered:,}")
    t.add_row(
        "unsheltered",
        (
            f"[bold red]{pp.unsheltered:,}[/] ({pp.overflow_on_sites:,} on site land beyond the "
            f"camps, {pp.overflow_on_zone_land:,} on other land, {pp.remaining_in_operation_area:,} "
            "left in the operation area)"
        )
        if pp.unsheltered
        else "0",
    )
    t.add_row("sites opened", f"{sum(s.open for s in p.sites)} of {len(p.sites)}")
    need = p.needs_all or p.needs
    t.add_row("water need (everyone)", f"{need.water_l_per_day / 1000:,.0f} m³/day")
    t.add_row(
        "food need (everyone)",
        f"{need.food_kg_per_day / 1000:,.0f} t/day ({need.kcal_per_person_day:,.0f} "
        f"kcal/person/day at {need.food_kcal_per_kg:,.0f} kcal/kg)",
    )
    gap = "no plan" if p.siting.gap is None else f"gap {p.siting.gap:.2%}"
    t.add_row("siting", f"{p.siting.solver}: {p.siting.status}, {gap}, {p.siting.solve_time_s:.2f} s")
    if p.movement is not None:
        for label, text in _movement_lines(p.movement, p.horizon_days):
            t.add_row(label, text)
    console.print(t)
    _groups_table(p)
    _settlement(p)
    _verdict_table(p)


def _groups_table(p: Plan) -> None:
    """What reaches each group, when the plan has groups."""
    if not (p.groups and p.groups.summary):
        return
    ranges = _ranges_by_group(p)
    g = Table(
        title="what reaches each group (delivered per aid-dependent person present, mean over the horizon; worst day)",
        # the LP's optimum is rarely unique in who goes short when: say so next to the figures it affects
        caption="when supplies are short, this split between groups is one of several equally deprived plans "
        "(a fixed tie-break picks it; the total deprivation is the same in all of them)"
        + (
            "; range: any plan as little deprived (and no further from equal shares) gives the group between these "
            "water / food figures"
            if ranges
            else "; `plan --group-ranges` gives each group's range"
            if p.groups.ranges is None
            else f"; ranges {p.groups.ranges.meaning}"
        ),
    )
    cols = ["group", "people", "water L/person/day", "kcal/person/day"]
    cols += ["range water / kcal"] if ranges else []
    cols += ["water / food / medical met", "owed tents+kits (max)"]
    for col in cols:
        g.add_column(col, justify="left" if col == "group" else "right")
    for r in p.groups.summary:
        share = r.met_share
        extra = [ranges.get(r.group, "—")] if ranges else []
        g.add_row(
            r.group,
            f"{r.people_max:,}",
            "—"
            if r.water_l_per_person_day is None
            else f"{r.water_l_per_person_day:,.1f} ({r.water_l_per_person_day_min:,.1f})",
            "—"
            if r.kcal_per_person_day is None
            else f"{r.kcal_per_person_day:,.0f} ({r.kcal_per_person_day_min:,.0f})",
            *extra,
            " / ".join(f"{share.get(k, 1.0):.0%}" for k in ("water", "food", "medical")),
            f"{r.people_owed_shelter_items_max or 0:,}",
        )
    console.print(g)


def _ranges_by_group(p: Plan) -> dict[str, str]:
    """Per group, its water and food ranges over the equally good plans in words ('8.0-10.9 / 2,059'; '?' for an
    end whose LP did not solve), when the plan has them."""
    if p.groups is None or p.groups.ranges is None:
        return {}
    fmt = {"water": "{:,.1f}", "food": "{:,.0f}"}
    out: dict[str, dict[str, str]] = {}
    for r in p.groups.ranges.rows:
        if r.commodity not in fmt:
            continue
        lo, hi = ("?" if v is None else fmt[r.commodity].format(v) for v in (r.least, r.most))
        out.setdefault(r.group, {})[r.commodity] = lo if lo == hi else f"{lo}–{hi}"
    return {g: " / ".join(v.get(k, "—") for k in fmt) for g, v in out.items()}


def _verdict_table(p: Plan) -> None:
    """The scenario-wide verdict and how many checks are not met."""
    from ..terminal import number

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
        v.add_row(
            i.indicator,
            "—" if i.value is None else number(i.value, i.unit) + (unit if i.severity == "info" else ""),
            target,
            {True: "yes", False: "no", None: "n/a"}[i.met],
            f"[{colour}]{i.severity}[/]",
        )
    console.print(v)
    group_failed = sum(1 for i in failed if i.scope.startswith("group:"))
    local_failed = sum(1 for i in failed if i.scope != "scenario" and not i.scope.startswith("group:"))
    console.print(
        f"{len(failed):,} of {sum(1 for i in p.verdict if i.met is not None):,} checks not met "
        f"({group_failed:,} per group, {local_failed:,} per site or location); every check is in "
        "plan.json 'verdict' and tables/verdict.csv.",
        highlight=False,
    )


def _settlement(p: Plan) -> None:
    """Monitored sites (snapshot figures, standards not met, after the plan) and arrivals, when the plan has them."""
    from ..terminal import number

    if p.arrivals is not None:
        a = p.arrivals
        console.print(
            f"arrivals: {a.people:,} people at {len(a.points)} point(s) from {a.start_date}; "
            + "; ".join(
                f"{x.id}: {x.people:,} (days {x.first_day}-{x.last_day}, peak "
                f"{x.peak_per_day:,}/day), {x.sheltered:,} with a site place"
                for x in a.points
            ),
            highlight=False,
            soft_wrap=True,
        )
    m = p.monitoring
    if m is None:
        return
    t = Table(
        title=f"Monitored sites: snapshot of {m.date} ({m.people:,} people, {m.relocated:,} to relocate)"
        if m.date
        else "Monitored sites: latrines and taps installed, day by day"
    )
    t.add_column("site", no_wrap=True)
    for col in ("people", "m²/p", "p/latrine", "p/tap", "water m", "after plan", "+latrines"):
        t.add_column(col, justify="right")
    t.add_column("not met", overflow="fold")
    short = {
        "m2_per_person": "m²",
        "people_per_latrine": "latrines",
        "people_per_tap": "taps",
        "max_distance_to_water_m": "water walk",
        "max_distance_to_latrine_m": "latrine walk",
    }
    for s in m.sites:
        missed = ", ".join(short.get(k, k) for k, ok in s.standards_met.items() if ok is False) or "none"
        t.add_row(
            s.id,
            f"{s.people:,}",
            number(s.m2_per_person, ""),
            number(s.people_per_latrine, ""),
            number(s.people_per_tap, ""),
            number(s.max_distance_to_water_m, "m"),
            f"{s.people_after:,}",
            "—" if s.additional_latrines is None else f"{s.additional_latrines:,}",
            missed,
        )
    console.print(t)


def compare_cmd(
    plan_a: Path = typer.Argument(..., help="plan.json of the first plan (A)"),
    plan_b: Path = typer.Argument(..., help="plan.json of the second plan (B), shown as B - A"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="write OUT/comparison.html"),
) -> None:
    """Print two plans side by side (B - A); with --out also write a comparison report."""
    from ..analysis.compare import compare
    from ..outputs.files import read_plan
    from ..outputs.report import write_comparison_from_files

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
    from ..analysis.headline import headline
    from ..terminal import print_headline

    for tag, p in (("A", a), ("B", b)):
        print_headline(console, headline(p), title=f"{tag} — '{p.scenario}'")
    if page is not None:
        console.print(f"wrote [bold]{page}[/]; open it in a browser (works offline)", highlight=False)


def ensemble_cmd(
    scenario_dir: Path = typer.Argument(..., help="scenario folder with scenario.yaml (and its 'uncertainty:' block)"),
    scenario: str = typer.Option(..., "--scenario", "-s", help="named scenario"),
    runs: int = typer.Option(..., "--runs", help="number of members (>= 1)"),
    seed: int = typer.Option(0, "--seed", min=0, help="seed; the same seed gives the same members on every engine"),
    workers: Optional[int] = typer.Option(
        None,
        "--workers",
        help="local process pool size (1 = in this process; default: one per CPU core, at most one per member)",
    ),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler, tcp://HOST:PORT"),
    dask_local: Optional[int] = typer.Option(None, "--dask-local", help="start a Dask LocalCluster of K workers"),
    layout: bool = typer.Option(
        False,
        "--layout/--no-layout",
        help="draw every member's camp layouts (about 3 s a member on the example); by default they are not drawn, "
        "and each site still holds only what its layout fits. The scenario as declared (--plan) is planned as declared",
    ),
    out: Path = typer.Option(..., "--out", "-o", help="folder for members.parquet and summary.json"),
    base_plan: bool = typer.Option(
        True,
        "--plan/--no-plan",
        help="also plan the scenario as declared and write it to OUT with each verdict "
        "row's probability of being met over the ensemble",
    ),
    supply: str = typer.Option(
        "plan",
        "--supply",
        help="plan: each member re-plans its supply over the horizon knowing its draws (closures, daily trucks) from "
        "day 0, an upper bound on coverage; operate: each member operates day by day without foresight, loading the "
        "declared plan's cargo mix into the trucks its day's lack leaves (docs/ensemble.md)",
    ),
) -> None:
    """Run the plan N times over the scenario's declared uncertainty; P10/P50/P90, P(met), sensitivity."""
    from ..analysis.ensemble import default_workers, run_ensemble
    from ..outputs.files import check_output_folder
    from ..outputs.products import write_ensemble_run
    from ..scenario.config import with_layout
    from ..scenario.folder import load_scenario
    from ..terminal import progress

    if scheduler is not None and dask_local is not None:
        fail(ReliefplanError("give either --scheduler or --dask-local, not both"))
    engine: Literal["local", "dask"] = "dask" if scheduler is not None or dask_local is not None else "local"
    if workers is None:
        workers = default_workers(runs)
    _exit_on_sigterm()
    try:
        if not 1 <= runs <= MAX_RUNS:
            raise ReliefplanError(f"--runs: expected 1 to {MAX_RUNS:,} members, got {runs}")
        check_output_folder(out)
        with progress(err_console, f"ensemble {scenario}", total=runs) as bar:
            res = run_ensemble(
                scenario_dir,
                scenario,
                runs,
                seed,
                engine=engine,
                workers=workers,
                scheduler=scheduler,
                dask_local=dask_local,
                layout=layout,
                progress=bar.count,
                supply=supply,
            )
        sc = load_scenario(scenario_dir, scenario)
        if layout:
            sc.layout = with_layout(sc.layout, layout)
        if base_plan:
            with progress(err_console, "planning the scenario as declared") as bar:
                paths = write_ensemble_run(sc, res, out, base_plan=base_plan, step=bar.stage)
        else:
            paths = write_ensemble_run(sc, res, out, base_plan=False)
    except ReliefplanError as e:
        fail(e)
        return
    except KeyboardInterrupt:
        interrupted(out)
    _print_ensemble(res.summary, scenario, seed, paths, base_plan)


def _print_ensemble(s: dict[str, Any], scenario: str, seed: int, paths: list[Path], base_plan: bool) -> None:
    """The ensemble's outcomes (P10/P50/P90), failed members, files written and how sure the plan is."""
    table = Table(title=f"ensemble {scenario}: {s['ok']}/{s['members']} members ok, seed {seed}")
    for col in ("outcome", "P10", "P50", "P90"):
        table.add_column(col, justify="left" if col == "outcome" else "right", overflow="fold")
    from ..words import outcome_words

    for name, q in s["outcomes"].items():
        table.add_row(outcome_words(name), *(_outcome(name, q.get(k)) for k in ("p10", "p50", "p90")))
    console.print(table)
    for f in s["failed"]:
        console.print(f"[red]member {f['member']} failed after {f['attempts']} attempt(s):[/] {f['error']}")
    console.print(f"wrote {paths[0]}, {paths[1]} and {paths[2]}", highlight=False)
    if base_plan:
        console.print(
            f"wrote {paths[3]} (the scenario as declared, each verdict row with its P(met)) and its report",
            highlight=False,
        )
    from ..analysis.headline import headline
    from ..analysis.headline_ensemble import ensemble_lines
    from ..outputs.files import read_plan
    from ..terminal import print_headline

    lines = ensemble_lines(s)
    console.print(f"[bold]How sure is the plan?[/] {lines[0]}", highlight=False, soft_wrap=True)
    for line in lines[1:]:
        console.print(f"  - {line}", markup=False, highlight=False, soft_wrap=True)
    if base_plan:
        print_headline(console, headline(read_plan(paths[3])), title="The scenario as declared:")
    console.print(f"open [bold]{paths[2]}[/] in a browser (works offline)", highlight=False, soft_wrap=True)


def assess_cmd(
    scenario_dir: Path = typer.Argument(..., help="scenario folder with scenario.yaml and its 'packages:' block"),
    packages: Optional[str] = typer.Option(None, "--packages", help="comma-separated package names (default: all)"),
    scenarios: Optional[str] = typer.Option(None, "--scenarios", help="comma-separated scenario names (default: all)"),
    from_day: int = typer.Option(0, "--from-day", min=0, help="day from which a minimal addition of trucks can arrive"),
    out: Path = typer.Option(..., "--out", "-o", help="folder for assessment.json, assessment.html and pairs/"),
) -> None:
    """Plan every (package, scenario) pair; say which pass, and the smallest addition that would make each pass."""
    from ..analysis.assess import assess, from_day_problems
    from ..outputs.files import check_output_folder, moved, output_set, write_plan
    from ..outputs.products import pair_folder, write_assessment_run
    from ..scenario.folder import load_scenario, read_scenario_file
    from ..terminal import progress

    _exit_on_sigterm()
    try:
        check_output_folder(out)
        cfg = read_scenario_file(scenario_dir)
        names = [s.strip() for s in scenarios.split(",") if s.strip()] if scenarios else list(cfg.scenarios)
        pkgs = [s.strip() for s in packages.split(",") if s.strip()] if packages else list(cfg.packages)
        _check_names(scenario_dir, cfg, pkgs, names)
        horizons = {n: cfg.scenarios[n].horizon_days or cfg.horizon_days for n in names}
        late = from_day_problems(horizons, from_day, str(scenario_dir / "scenario.yaml"), "--from-day")
        if late:
            raise InputError(late)
        with (
            progress(err_console, "package x scenario pairs", total=len(names) * len(pkgs)) as bar,
            output_set(out) as tmp,
        ):
            bar.stage("loading scenarios")
            loaded = {n: load_scenario(scenario_dir, n) for n in names}

            def pair_done(pkg: str, scen: str, done: PlanRun) -> None:
                write_plan(done.plan, tmp / pair_folder(pkg, scen))
                bar.advance()

            result = assess(loaded, pkgs, from_day=from_day, on_plan=pair_done, progress=bar.stage)
            paths = moved(write_assessment_run(result, tmp), tmp, out)
    except ReliefplanError as e:
        fail(e)
        return
    except KeyboardInterrupt:
        interrupted(out)
    _print_assessment(result, paths, out)


def _check_names(scenario_dir: Path, cfg: ScenarioFile, pkgs: list[str], names: list[str]) -> None:
    """Every package and scenario asked for exists in scenario.yaml; else an InputError naming each unknown one."""
    from .._errors import Problem

    asked = (("packages", "package", pkgs, sorted(cfg.packages)), ("scenarios", "scenario", names, list(cfg.scenarios)))
    unknown = [
        Problem(
            file=str(scenario_dir / "scenario.yaml"),
            field=field,
            message=f"no {kind} named '{name}'; expected one of {known}",
        )
        for field, kind, wanted, known in asked
        for name in wanted
        if name not in known
    ]
    if unknown:
        raise InputError(unknown)


def _print_assessment(result: Assessment, paths: list[Path], out: Path) -> None:
    """Each pair's verdict and figures; for each failing pair what fails, what binds and the smallest addition."""
    t = Table(title=f"assistance packages x operations ({result.timings_s['total']:.0f} s)")
    for col in (
        "package",
        "scenario",
        "verdict",
        "unsheltered",
        "clearance h",
        "first short (day)",
        "water L/p/d (worst group)",
        "failed",
    ):
        t.add_column(col, overflow="fold")
    for p in result.pairs:
        short = ", ".join(f"{k} {v}" for k, v in p.first_shortfall_day.items() if v is not None) or "none"
        water = [
            (v["water_l_per_person_day"], g) for g, v in p.groups.items() if v.get("water_l_per_person_day") is not None
        ]
        t.add_row(
            p.package,
            p.scenario,
            "[green]passes[/]" if p.passed else "[red]fails[/]",
            f"{p.unsheltered:,}",
            "-" if p.clearance_hours is None else f"{p.clearance_hours:.1f}",
            short,
            "-" if not water else "{:.1f} ({})".format(*min(water)),
            f"{sum(p.failed.values()):,}",
        )
    console.print(t)
    from ..analysis.headline import assessment_lines, fails_text

    for p in result.pairs:
        if p.passed:
            continue
        h = p.headline
        console.print(
            f"[bold]{p.package} x {p.scenario}[/]: [red]{fails_text(sum(p.failed.values()))}[/]"
            + (f" ({', '.join(f'{k.title} {k.failed:,}' for k in h.kinds)})" if h else ""),
            highlight=False,
            soft_wrap=True,
        )
        if h and h.findings:
            console.print(f"  {h.findings[0]}", markup=False, highlight=False, soft_wrap=True)
        console.print(f"  binding: {p.binding}", markup=False, highlight=False, soft_wrap=True)
        for x in p.additions:
            check = {True: "verified", False: "not verified", None: "by hand"}[x.verified]
            console.print(f"  {x.text} [dim](tolerance {x.tolerance}; {check})[/]", highlight=False, soft_wrap=True)
        for why in p.not_addressable:
            console.print(f"  [dim]not a package matter: {why}[/]", highlight=False, soft_wrap=True)
    console.print(f"wrote [bold]{paths[0]}[/], {paths[1]} and {out / 'pairs'}/*/plan.json", highlight=False)
    summary = assessment_lines([p.model_dump(mode="json") for p in result.pairs])
    colour = "green" if all(p.passed for p in result.pairs) else "red"
    console.print(f"[bold {colour}]{summary[0]}[/]", highlight=False, soft_wrap=True)
    for line in summary[1:]:
        console.print(f"  - {line}", markup=False, highlight=False, soft_wrap=True)
    console.print(f"open [bold]{paths[1]}[/] in a browser (works offline)", highlight=False, soft_wrap=True)
