"""Exception types: a few, specific, each saying what was expected."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where it is and what was expected."""

    file: str
    message: str
    feature: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.feature is not None:
            where += f", feature {self.feature}"
        if self.field is not None:
            where += f", field '{self.field}'"
        return f"{where}: {self.message}"


def field_path(*parts: str | int | None) -> str:
    """A field's path in an input file: its keys and list positions joined by dots (``movement.orders.1.day``,
    ``movement.modes.*.share`` for every item). The style of every schema error, so that one style is met
    everywhere; None and empty parts are left out."""
    return ".".join(str(p) for p in parts if p is not None and p != "")


def schema_message(error: Mapping[str, Any]) -> str:
    """The message of one schema (pydantic) error for people: without pydantic's 'Value error, ' prefix, and with
    the value given when the message is pydantic's bare expectation ('Input should be greater than 0, got -2')."""
    msg = str(error["msg"]).removeprefix("Value error, ")
    given = error.get("input")
    if (
        msg.startswith("Input should")
        and ", got " not in msg
        and (given is None or isinstance(given, str | int | float))
    ):
        shown = repr(given)
        msg += f", got {shown if len(shown) <= 80 else shown[:77] + '...'}"
    return msg


class ReliefplanError(Exception):
    """Base class of every error reliefplan raises on purpose."""


class InputError(ReliefplanError):
    """Input files or parameters are wrong; carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        lines = [str(p) for p in self.problems]
        head = f"{len(lines)} problem(s) in the input" if len(lines) > 1 else "problem in the input"
        super().__init__(head + ":\n  " + "\n  ".join(lines))


class SolverError(ReliefplanError):
    """A solver failed for a reason that is not a property of the plan (e.g. the library crashed)."""


class OutputError(ReliefplanError):
    """An output would break its own contract (e.g. plan.json against its schema); nothing is written."""
