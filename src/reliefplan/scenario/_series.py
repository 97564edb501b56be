"""Dated tables shared by the monitoring snapshot, the installed-services series and the arrivals series: ISO dates
turned into day numbers of the plan, values linear between dated rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import BeforeValidator, Field

from .._errors import Problem


def _as_text(v: Any) -> Any:
    return v.isoformat() if isinstance(v, dt.date) else v


#: a date key of scenario.yaml: YAML reads an unquoted 2026-03-01 as a date, a quoted one as text; both are kept as
#: the ISO text and checked where the date is used (so the error names the key)
IsoDate = Annotated[str, BeforeValidator(_as_text), Field(max_length=32)]


def iso_date(text: Any) -> dt.date | None:
    """An ISO date (YYYY-MM-DD), or None when `text` is not one."""
    try:
        return dt.date.fromisoformat(str(text or "").strip())
    except ValueError:
        return None


def day_of(
    date: dt.date, start: dt.date, days: int, path: Path | str, feature: str, field: str = "date"
) -> tuple[int | None, Problem | None]:
    """The plan's day number of `date` (day 0 = `start`), or the problem of a date outside the horizon."""
    d = (date - start).days
    if 0 <= d < days:
        return d, None
    last = start + dt.timedelta(days=days - 1)
    return None, Problem(
        file=str(path),
        feature=feature,
        field=field,
        message=f"{date} is outside the horizon {start}..{last} (day {d}); expected a date within "
        f"it (day 0 is {start}, {days} days)",
    )


def linear_by_day(day: np.ndarray, value: np.ndarray, days: int, *, hold: bool) -> np.ndarray:
    """[days] values linear between dated rows (day, value), rows sorted by day.

    hold: before the first and after the last row keep the end value (counts of things installed); otherwise 0
    there (a daily rate of arrivals: nothing outside the dated period)."""
    t = np.arange(days, dtype=float)
    out = np.interp(t, day.astype(float), value.astype(float))
    if not hold:
        out[(t < day[0]) | (t > day[-1])] = 0.0
    return out


def whole_per_day(rate: np.ndarray) -> np.ndarray:
    """Whole people per day whose running total stays within half a person of the running total of `rate`."""
    total = np.floor(np.cumsum(rate) + 0.5).astype(np.int64)
    return np.diff(total, prepend=0)


def dated_rows(
    path: Path,
    rows: list[dict[str, str]],
    key: str,
    known: Any,
    start: Any,
    days: int,
    problems: list[Problem],
    unknown: str,
) -> list[tuple[str, str, int, dict[str, str]]]:
    """(feature, key value, day, row) of the rows whose `key` is `known` and whose ISO `date` falls within the
    horizon from `start`; the problem of every other row is added (`unknown`: what is expected of the key)."""
    out = []
    for i, r in enumerate(rows):
        feat = f"row {i + 1}"
        k = (r.get(key) or "").strip()
        if k not in known:
            problems.append(
                Problem(
                    file=str(path),
                    feature=feat,
                    field=key,
                    message=f"unknown {key.replace('_', ' ')} {k!r}; expected {unknown}",
                )
            )
            continue
        d = iso_date(r.get("date"))
        if d is None:
            problems.append(
                Problem(
                    file=str(path),
                    feature=feat,
                    field="date",
                    message=f"expected an ISO date (YYYY-MM-DD), got {r.get('date')!r}",
                )
            )
            continue
        t, why = day_of(d, start, days, path, feat)
        if why is not None:
            problems.append(why)
            continue
        assert t is not None  # day_of gives a day or a problem
        out.append((feat, k, int(t), r))
    return out
