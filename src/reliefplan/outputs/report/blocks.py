"""The building blocks of a stage view: the view dict, its folded tables, charts left out with a reason when empty.

A stage view is a dict: ``{"name", "title", "figures": [(label, text)], "notes": [{"text", "detail"}],
"tables": [{"title", "columns", "rows", "total", "open", "note"}], "technical": [(label, text)],
"charts": [chart spec], "omitted": [(chart title, why)]}``.
"""

from __future__ import annotations

import math
from typing import Any, TypeGuard

from ...plan import Plan

#: a folded table shows at most this many rows; all rows are in plan.json and tables/*.csv
TABLE_ROWS = 500


def _view(name: str, title: str) -> dict[str, Any]:
    return {
        "name": name,
        "title": title,
        "figures": [],
        "notes": [],
        "tables": [],
        "technical": [],
        "charts": [],
        "omitted": [],
    }


def _table(
    title: str,
    columns: list[str],
    rows: list[list[Any]],
    *,
    open: bool = False,
    note: str = "",
    total: int | None = None,
) -> dict[str, Any]:
    return {
        "title": title,
        "columns": columns,
        "rows": rows[:TABLE_ROWS],
        "total": len(rows) if total is None else total,
        "open": open,
        "note": note,
    }


def _is_num(v: Any) -> TypeGuard[int | float]:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _any_nonzero(datasets: list[dict[str, Any]]) -> bool:
    return any(_is_num(x) and x != 0 for d in datasets for x in d["data"])


def _add(view: dict[str, Any], chart: dict[str, Any], empty_why: str) -> None:
    """Add a chart, or say why it is left out when every value in it is zero or missing."""
    if chart["labels"] and _any_nonzero(chart["datasets"]):
        view["charts"].append(chart)
    else:
        view["omitted"].append((chart["title"], empty_why))


def _entry_names(plan: Plan) -> dict[str, str]:
    return {e.id: e.name or e.id for e in plan.entry_points}


def _days_axis() -> str:
    return "day of the operation (day 0: the order)"


# ---- evacuation ----------------------------------------------------------------------------------------------


def _num_label(x: float) -> str:
    return f"{x:g}"
