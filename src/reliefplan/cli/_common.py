"""The app, its consoles and what every command shares: the version flag, errors for people, the files a run
wrote.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console

from .._errors import ReliefplanError

if TYPE_CHECKING:
    from ..plan import Plan

app = typer.Typer(
    help="reliefplan: plan evacuation, sheltering and supply, and say whether the plan holds.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
standards_app = typer.Typer(help="Standards profiles (planning figures with sources).", no_args_is_help=True)
app.add_typer(standards_app, name="standards")

console = Console()
err_console = Console(stderr=True)
MAX_RUNS = 100_000  # ensemble members


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        console.print(f"reliefplan {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="print the version and exit"
    ),
) -> None:
    """reliefplan: plan evacuation, sheltering and supply, and say whether the plan holds."""
    from ..terminal import fit

    fit(console)
    fit(err_console)


def fail(e: ReliefplanError) -> None:
    """Print an error for people (every problem on its own line) and exit non-zero."""
    err_console.print(f"[bold red]error:[/] {e}", markup=True, highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def interrupted(out: Path) -> NoReturn:
    """Ctrl-C: say what became of OUT (the output set is removed while unwinding, see output.output_set), exit 130."""
    err_console.print(
        f"interrupted: nothing written; {out} is as it was before this run", markup=False, highlight=False
    )
    raise typer.Exit(code=130)


def above_zero(value: float | None) -> float | None:
    """Option callback: refuse a value <= 0 as Click refuses one outside ``min=`` (a usage error, exit 2)."""
    if value is not None and not value > 0:
        raise typer.BadParameter(f"expected a number > 0, got {value:g}")
    return value


def _exit_on_sigterm() -> None:
    """A TERM signal unwinds like Ctrl-C, so a half-written output set is removed (see output.output_set)."""
    import signal
    import sys

    signal.signal(signal.SIGTERM, lambda _sig, _frame: sys.exit(143))


def _wrote(out: Path, paths: list[Path], headline_of: Plan | None = None) -> None:
    """The files of a run in one line each per kind, the plan's headline (`headline_of`: a Plan), then the page
    to open."""
    names = [p.relative_to(out).as_posix() if p.is_relative_to(out) else str(p) for p in paths]
    tables = [n for n in names if n.startswith("tables/")]
    rest = [n for n in names if not n.startswith("tables/")]
    listed = ", ".join(rest + ([f"tables/*.csv ({len(tables)} tables)"] if tables else []))
    console.print(f"wrote {len(paths)} files to [bold]{out}[/]: {listed}", soft_wrap=True, highlight=False)
    if headline_of is not None:
        from ..analysis.headline import headline
        from ..terminal import print_headline

        print_headline(console, headline(headline_of))
    page = next((p for p in paths if p.name == "report.html"), None) or next(
        (p for p in paths if p.name.endswith(".html")), None
    )
    if page is not None:
        console.print(f"open [bold]{page}[/] in a browser (works offline)", highlight=False, soft_wrap=True)


def _num(x: float | None, sign: bool = False) -> str:
    if x is None:
        return "—"
    spec = ",.0f" if abs(x) >= 100 or float(x).is_integer() else ",.2f"
    return format(x, ("+" if sign else "") + spec)


def _outcome(name: str, v: float | None) -> str:
    """An ensemble percentile: people and tonnes whole, hours as 'h min', days as 'day d' (null: never short)."""
    from ..words import outcome_value

    return outcome_value(name, v)
