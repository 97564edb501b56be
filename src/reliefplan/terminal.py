"""What the CLI prints: progress that survives redirection, tables sized to the terminal, numbers for people.

On a terminal, progress is a Rich bar or spinner; when stderr is a file or a pipe (a log, CI, `2> run.log`)
a live display would print nothing, so each stage and every tenth of a count becomes one plain line with the
elapsed time. Tables fold long cells to the terminal's width instead of cropping them; redirected output is
not folded at 80 columns (a log is read in an editor, where a wrapped row helps no one).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console

#: width of redirected output (a file or a pipe) unless COLUMNS says otherwise
REDIRECTED_WIDTH = 200
#: a plain progress line at least this often while a count advances (s)
PLAIN_EVERY_S = 30.0


def fit(console: Console) -> Console:
    """Let a console that writes to a file or a pipe use a wide line (COLUMNS, else REDIRECTED_WIDTH)."""
    if not console.is_terminal:
        console.width = int(os.environ.get("COLUMNS") or 0) or REDIRECTED_WIDTH
    return console


def duration(seconds: float) -> str:
    """'45 s', '3 min 05 s', '2 h 10 min' (whole units; elapsed and remaining times)."""
    s = int(round(max(0.0, seconds)))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def whole(x: float | None) -> str:
    """People (and other counts) as whole numbers with thousands separators; None -> '-'."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{round(x):,}"


def number(x: float | None, unit: str = "") -> str:
    """A figure for people to read: shares as per cent, counts whole, small values with 3 significant digits."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    if unit.startswith("share"):
        return f"{100.0 * x:.0f} %" if abs(x) >= 0.1 or x == 0 else f"{100.0 * x:.1f} %"
    if float(x).is_integer() or abs(x) >= 100:
        return f"{round(x):,}"
    return f"{x:,.1f}" if abs(x) >= 10 else f"{x:.3g}"


class Progress:
    """One progress display: `stage(text)` for a step, `count(done, total)` / `advance()` for a counted task."""

    def __init__(self, console: Console, label: str, total: int | None) -> None:
        self.console, self.label, self.total = console, label, total
        self.done = 0
        self.start = time.monotonic()
        self._bar: Any = None
        self._task: Any = None
        self._last_text = ""
        self._last_step = 0
        self._last_t = self.start

    # -- Rich, on a terminal ------------------------------------------------------------------------------
    def _open_bar(self) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress

        if self.total is None:
            cols: tuple[Any, ...] = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
        else:
            cols = (
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
            )
        self._bar = RichProgress(*cols, console=self.console, transient=self.total is None)
        self._bar.start()
        self._task = self._bar.add_task(self.label, total=self.total)

    def _close_bar(self) -> None:
        if self._bar is not None:
            self._bar.stop()

    # -- plain lines, when redirected -----------------------------------------------------------------------
    def _line(self, text: str) -> None:
        self.console.print(
            f"[{time.monotonic() - self.start:7.1f} s] {text}", markup=False, highlight=False, soft_wrap=True
        )

    def _count_line(self) -> None:
        elapsed = time.monotonic() - self.start
        total = self.total or 0
        share = f" ({100 * self.done // total} %)" if total else ""
        left = ""
        if total and 0 < self.done < total:
            left = f", about {duration(elapsed / self.done * (total - self.done))} left"
        self._line(f"{self.label}: {self.done:,} of {total:,} done{share}{left}")

    # -- the interface ---------------------------------------------------------------------------------------
    def stage(self, text: str) -> None:
        """A new step ('solving the supply plan'); shown once per change."""
        if self._bar is not None:
            self._bar.update(self._task, description=text)
        elif text != self._last_text:
            self._line(text)
        self._last_text = text

    def count(self, done: int, total: int | None = None) -> None:
        """`done` of the task's total are finished."""
        if total is not None:
            self.total = total
        self.done = done
        if self._bar is not None:
            self._bar.update(self._task, completed=done, total=self.total)
            return
        step = 10 * done // self.total if self.total else done
        now = time.monotonic()
        if step != self._last_step or now - self._last_t >= PLAIN_EVERY_S or done == self.total:
            self._last_step, self._last_t = step, now
            self._count_line()

    def advance(self, n: int = 1) -> None:
        self.count(self.done + n)


@contextmanager
def progress(console: Console, label: str, total: int | None = None) -> Iterator[Progress]:
    """A Rich bar (or spinner when `total` is None) on a terminal, plain timestamped lines otherwise."""
    p = Progress(console, label, total)
    if console.is_terminal:
        p._open_bar()
    elif total is None:
        p._line(label)
        p._last_text = label
    try:
        yield p
    finally:
        p._close_bar()


def print_headline(console: Console, h: Any, *, title: str | None = None) -> None:
    """The plan's headline (`headline.Headline`) as the last thing a run prints: the verdict in colour, then
    for whom, from when and by how much, what binds, the smallest fix, and the failing checks by kind."""
    from .analysis.headline import lines

    text = lines(h)
    colour = "green" if h.holds else "red"
    if title:
        console.print(f"[bold]{title}[/]", highlight=False, soft_wrap=True)
    head, _, rest = text[0].partition(":") if not h.holds else (text[0], "", "")
    console.print(f"[bold {colour}]{head}[/]" + (f":{rest}" if rest else ""), highlight=False, soft_wrap=True)
    for line in text[1:]:
        console.print(line, markup=False, highlight=False, soft_wrap=True)
