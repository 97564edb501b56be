"""A plan section no stage view knows, shown as stored: its figures, its lists of records as tables, and charts
read from its keys (time, category and value columns, per-day lists)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ...words import _chart, clock, key_words, number
from .blocks import _num_label

# Optional sections later stages add to the plan, with what the report draws from them.
# Optional sections later stages add to the plan, with what the report draws from them.
EXPECTED_SECTIONS: dict[str, str] = {
    "evacuation": "Evacuation timing (arrivals over time, bottleneck links, clearance time)",
    "supply": "Supply (daily coverage per commodity, trucks needed vs available per crossing, first shortfall day)",
    "sustain": "Sustainment (shortfall over time)",
    "groups": "Everyone in the plan, by group (water and food delivered per person per day, needs met, deficits)",
    "layout": "Camp layouts",
}


def _jsonable(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return str(v)


TIME_KEYS = ("day", "t_day", "time_day", "t_h", "time_h", "hour", "t_s", "time_s", "t")
CATEGORY_KEYS = (
    "commodity",
    "item",
    "crossing",
    "entry_point",
    "sink",
    "site",
    "site_id",
    "zone",
    "zone_id",
    "link",
    "arc",
    "layout",
    "id",
    "name",
)
# value columns charted first (a records list may have many numeric columns; at most MAX_VALUES are charted)
VALUE_PRIORITY = (
    "shortfall",
    "coverage",
    "trucks_needed",
    "trucks_available",
    "trucks_used",
    "needed",
    "available",
    "delivered",
    "required",
    "arrived",
    "arrivals",
    "people",
    "used",
)
CUMULATIVE = ("people", "arrivals", "arrived")  # counts per step also drawn as a running total
UNIT_WORDS = {"t": "tonnes", "s": "seconds", "h": "hours", "m": "metres", "m3": "m³", "kg": "kg", "l": "litres"}
MAX_SERIES = 10
MAX_CATEGORIES = 40
MAX_VALUES = 4


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _priority(key: str) -> int:
    return next((i for i, p in enumerate(VALUE_PRIORITY) if key.startswith(p)), len(VALUE_PRIORITY))


def _family(key: str) -> str:
    """Values in one family share a unit and can share an axis: trucks_*, *_t, *_people ..."""
    if key.startswith("trucks"):
        return "trucks"
    return key.rsplit("_", 1)[-1] if "_" in key else key


def _pretty(key: str) -> str:
    return key_words(key)


def _records_charts(cid: str, title: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Charts for a list of records: lines over time (a series per category), bars per category, or lines
    from per-day lists inside each record (e.g. coverage_by_day per commodity)."""
    keys: dict[str, None] = {}
    for r in records:
        keys.update(dict.fromkeys(r))
    tkey = next((k for k in TIME_KEYS if k in keys and all(_is_num(r.get(k)) for r in records)), None)
    ckey = next((k for k in CATEGORY_KEYS if k in keys and k != tkey), None)
    values = [
        k
        for k in keys
        if k not in (tkey, ckey)
        and not k.endswith("_index")
        and "day" not in k
        and all(_is_num(r.get(k)) or r.get(k) is None for r in records)
        and any(_is_num(r.get(k)) for r in records)
    ]
    values = sorted(values, key=_priority)[:MAX_VALUES]
    if len({r.get("unit") for r in records}) > 1:  # bars in mixed units (L, kcal, shares) would mislead: table only
        values = []
    series_keys = [
        k
        for k in keys
        if k not in (tkey, ckey)
        and all(isinstance(r.get(k), list) and all(_is_num(x) or x is None for x in r[k]) for r in records)
        and any(r.get(k) for r in records)
    ]
    charts: list[dict[str, Any]] = []
    if tkey is not None and values:
        charts += _time_charts(cid, title, records, tkey, ckey, values)
    elif ckey is not None and values:
        charts.append(_category_chart(cid, title, records, ckey, values))
    if ckey is not None and len(records) <= MAX_SERIES:
        for k in series_keys:
            n = max(len(r[k]) for r in records)
            xlab = _index_axis(k)
            charts.append(
                _chart(
                    f"{cid}-{k}",
                    f"{title}: {_pretty(k)}",
                    [str(i) for i in range(n)],
                    [{"label": str(r.get(ckey)), "data": r[k]} for r in records],
                    type="line",
                    x_title=xlab,
                    y_title=_pretty(k.removesuffix("_by_day")),
                )
            )
    return charts


def _series(
    records: list[dict[str, Any]], v: str, tkey: str, ckey: str | None, xs: list[float], pooled: bool
) -> dict[str, list[float | None]]:
    """Value `v` summed per category (one series "all" when pooled) at each time in `xs`."""
    acc: dict[str, dict[float, float]] = {}
    for r in records:
        if _is_num(r.get(v)):
            c = "all" if pooled or not ckey else str(r.get(ckey))
            d = acc.setdefault(c, {})
            d[float(r[tkey])] = d.get(float(r[tkey]), 0.0) + float(r[v])
    return {c: [d.get(x) for x in xs] for c, d in acc.items()}


def _time_charts(
    cid: str, title: str, records: list[dict[str, Any]], tkey: str, ckey: str | None, values: list[str]
) -> list[dict[str, Any]]:
    """Lines over time: the values of one family (one unit) together when few enough series, else one chart per
    value (and its running total for counts)."""
    charts: list[dict[str, Any]] = []
    seconds = tkey in ("t_s", "time_s")
    xlab = "time (h:mm)" if seconds else "day" if "day" in tkey else _pretty(tkey)
    xs = sorted({float(r[tkey]) for r in records})
    cats = list(dict.fromkeys(str(r.get(ckey)) for r in records)) if ckey else ["all"]
    pooled = len(cats) > MAX_SERIES
    labels = [clock(x / 3600.0) if seconds else _num_label(x) for x in xs]
    note = f"summed over {len(cats)} {ckey}s" if pooled else ""
    families: dict[str, list[str]] = {}
    for v in values:
        families.setdefault(_family(v), []).append(v)
    for fam, vs in families.items():
        n_cats = 1 if pooled or not ckey else len(cats)
        if len(vs) > 1 and n_cats * len(vs) <= MAX_SERIES:  # e.g. trucks used vs available per crossing
            sers = {v: _series(records, v, tkey, ckey, xs, pooled) for v in vs}
            order = dict.fromkeys(c for v in vs for c in sers[v])
            ds = [
                {"label": (f"{c}: " if n_cats > 1 else "") + _pretty(v), "data": sers[v][c]}
                for c in order
                for v in vs
                if c in sers[v]
            ]
            charts.append(
                _chart(
                    f"{cid}-{fam}",
                    f"{title}: {', '.join(map(_pretty, vs))}",
                    labels,
                    ds,
                    type="line",
                    x_title=xlab,
                    y_title=UNIT_WORDS.get(fam, fam),
                    note=note,
                )
            )
            continue
        for v in vs:
            ser = _series(records, v, tkey, ckey, xs, pooled)
            drawn = [("", "", ser)]
            if v in CUMULATIVE:
                cum = {c: list(np.cumsum([x or 0.0 for x in d]).tolist()) for c, d in ser.items()}
                drawn.append(("-cumulative", ", running total", cum))
            for suffix, words, data in drawn:
                charts.append(
                    _chart(
                        f"{cid}-{v}{suffix}",
                        f"{title}: {_pretty(v)}{words}",
                        labels,
                        [{"label": c, "data": d} for c, d in data.items()],
                        type="line",
                        x_title=xlab,
                        y_title=_pretty(v),
                        note=note,
                    )
                )
    return charts


def _category_chart(
    cid: str, title: str, records: list[dict[str, Any]], ckey: str, values: list[str]
) -> dict[str, Any]:
    """Bars per category (the MAX_CATEGORIES largest by the first value when there are more)."""
    rows = records
    if len(rows) > MAX_CATEGORIES:
        rows = sorted(rows, key=lambda r: -(r.get(values[0]) or 0))[:MAX_CATEGORIES]
    return _chart(
        cid,
        title,
        [str(r.get(ckey)) for r in rows],
        [{"label": _pretty(v), "data": [r.get(v) for r in rows]} for v in values],
        x_title=_pretty(ckey),
        note=f"first {MAX_CATEGORIES} of {len(records)} by {values[0]}" if len(records) > MAX_CATEGORIES else "",
    )


def section_view(name: str, data: Any) -> dict[str, Any]:
    """A present optional section no stage view knows: its figures, its lists of records (tables) and charts,
    named in words from the keys (see `words.key_words`). Same shape as a `stages` view."""
    title = EXPECTED_SECTIONS.get(name, name.replace("_", " ").capitalize())
    figures: list[tuple[str, str]] = []
    tables: list[dict[str, Any]] = []
    charts: list[dict[str, Any]] = []

    def label_of(path: str) -> str:
        return " · ".join(key_words(p) for p in path.split(".")) if path else title

    def walk(obj: Any, path: str) -> None:
        label = label_of(path)
        if isinstance(obj, Mapping):
            if obj and all(isinstance(v, list) and v and all(_is_num(x) for x in v) for v in obj.values()):
                n = max(len(v) for v in obj.values())
                charts.append(
                    _chart(
                        f"{name}-{path}",
                        f"{title}: {label}",
                        [str(i) for i in range(n)],
                        [{"label": str(k), "data": list(v)} for k, v in list(obj.items())[:MAX_SERIES]],
                        type="line",
                        x_title=_index_axis(path),
                    )
                )
                return
            for k, v in obj.items():
                walk(v, f"{path}.{k}" if path else str(k))
        elif isinstance(obj, list):
            if obj and all(isinstance(r, Mapping) for r in obj):
                cols = list(dict.fromkeys(k for r in obj for k in r))
                tables.append(
                    {
                        "title": label,
                        "columns": [key_words(c) for c in cols],
                        "rows": [[_cell(r.get(c)) for c in cols] for r in obj[:500]],
                        "total": len(obj),
                        "open": False,
                        "note": "",
                    }
                )
                charts.extend(_records_charts(f"{name}-{path}", f"{title}: {label}", list(obj)))
            elif obj and all(_is_num(x) for x in obj):
                charts.append(
                    _chart(
                        f"{name}-{path}",
                        f"{title}: {label}",
                        [str(i) for i in range(len(obj))],
                        [{"label": label, "data": list(obj)}],
                        type="line",
                        x_title=_index_axis(path),
                    )
                )
            elif obj and all(isinstance(x, (list, tuple)) and len(x) == 2 and all(_is_num(y) for y in x) for x in obj):
                charts.append(
                    _chart(
                        f"{name}-{path}",
                        f"{title}: {label}",
                        [_num_label(x[0]) for x in obj],
                        [{"label": label, "data": [x[1] for x in obj]}],
                        type="line",
                    )
                )
            else:
                figures.append((label, ", ".join(map(str, obj)) if obj else "none"))
        else:
            figures.append((label, _cell(obj)))

    walk(data, "")
    return {
        "name": name,
        "title": title,
        "figures": figures,
        "notes": [],
        "tables": tables,
        "technical": [],
        "charts": charts,
        "omitted": [],
    }


def _cell(v: Any) -> str:
    v = _jsonable(v)
    return number(v) if _is_num(v) else "—" if v is None else str(v)


def _index_axis(path: str) -> str:
    return "day" if "day" in path else "position in the list (plan.json)"
