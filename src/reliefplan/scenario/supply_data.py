"""Supply input data: the packaged commodity table (``data/commodities.yaml``) and observed truck counts per
crossing per day (line lists such as ``entry_capacity_observed_2024.csv``)."""

from __future__ import annotations

import datetime as dt
import functools
import math
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import InputError, Problem
from ._layers import read_csv_rows


@functools.lru_cache(maxsize=1)
def _commodities_yaml() -> dict[str, Any]:
    """The packaged commodity table, parsed once per process (read only; plans and members share it)."""
    from importlib import resources

    import yaml

    return yaml.safe_load((resources.files("reliefplan") / "data" / "commodities.yaml").read_text(encoding="utf-8"))


def read_observed_trucks(
    path: str | Path, start_date: str, days: int, column: str = "trucks_total", repeat_last_days: int | None = None
) -> dict[str, np.ndarray]:
    """Trucks per day per entry point from an observed line list (``entry_capacity_observed_2024.csv``).

    Returns {entry_point_id: trucks[days]} from ``start_date`` (ISO) on; days outside the file are
    an error, days in range without a row count 0 trucks. Rows starting with '#' (HXL tags) are skipped.
    ``repeat_last_days``: days after the file's last date repeat its last N days in turn (an ASSUMPTION the
    caller states); the file must still cover the start and N days from it.
    """
    path = Path(path)
    try:
        start = dt.date.fromisoformat(start_date)
    except ValueError:
        raise InputError(
            Problem(file=str(path), field="start_date", message=f"expected an ISO date, got {start_date!r}")
        ) from None
    rows = read_csv_rows(path)  # UTF-8, a regular file, no ragged rows; the HXL row is dropped
    missing = [c for c in ("date", "entry_point_id", column) if rows and c not in rows[0]]
    if missing or not rows:
        raise InputError(
            Problem(
                file=str(path),
                field=", ".join(missing) or None,
                message=f"expected columns date, entry_point_id, {column} and at least one row"
                + (f"; missing {missing}" if missing else ""),
            )
        )
    problems: list[Problem] = []
    out: dict[str, np.ndarray] = {}
    covered: set[dt.date] = set()
    for i, r in enumerate(rows):
        if (r.get("date") or "").startswith("#"):
            continue
        try:
            d = dt.date.fromisoformat((r.get("date") or "").strip())
            v = float(r.get(column) or "")
            if not (math.isfinite(v) and 0 <= v <= 1e6) or not (r.get("entry_point_id") or "").strip():
                raise ValueError
        except (TypeError, ValueError):
            problems.append(
                Problem(
                    file=str(path),
                    feature=f"row {i + 1}",
                    field=column,
                    message="expected an ISO date, an entry_point_id and a number of trucks (0 to 1,000,000)",
                )
            )
            continue
        covered.add(d)
        t = (d - start).days
        if 0 <= t < days:
            out.setdefault(r["entry_point_id"].strip(), np.zeros(days))[t] += v
    last = start + dt.timedelta(days=days - 1)
    if repeat_last_days and not problems and covered and start in covered and last not in covered:
        n_data = (max(covered) - start).days + 1
        if n_data >= repeat_last_days:
            for series in out.values():
                for t in range(n_data, days):  # cycle through the last N observed days
                    series[t] = series[n_data - repeat_last_days + (t - n_data) % repeat_last_days]
            last = max(covered)
    if not problems and (start not in covered or last not in covered):
        problems.append(
            Problem(
                file=str(path),
                field="date",
                message=f"the file does not cover {start} to {last} (it covers {min(covered)} to {max(covered)})"
                if covered
                else f"the file does not cover {start} to {last} (no dated rows)",
            )
        )
    if problems:
        raise InputError(problems)
    return out
