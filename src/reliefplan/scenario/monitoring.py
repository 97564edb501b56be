"""An existing settlement as it is: a dated snapshot of the people, latrines and taps on each site (or each block
of a site), the blocks' outlines, where the water points and latrines stand, and what is installed over time.

scenario.yaml::

    monitoring:
      snapshot: snapshot.csv        # date, site_id, block_id (optional), people, latrines, taps (both optional)
      date: 2026-03-01              # the snapshot's date, when the file has no date column
      start_date: 2026-03-01        # day 0 of the plan (default: the snapshot's date)
      blocks: blocks.geojson        # polygons: id, site_id (per-block area and distances)
      water_points: water_points.geojson   # points: id, taps (optional; distances, and counts the snapshot lacks)
      latrines: latrines.geojson    # points: id, stalls (optional)
      installed: installed.csv      # date, site_id, latrines, taps: installed over time, linear between rows

People on a monitored site are where they are: the snapshot's people become the site's residents (nobody is
re-allocated); new people go to the spare capacity. Residents of the part of a site an operation footprint covers
(a hazard area inside a camp) must move: they become a population zone ``relocate:<site id>`` that the siting
places like any other displaced people.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from .._errors import InputError, Problem
from .._rounding import largest_remainder
from ..geo import WGS84, project
from ._inputs import FolderFile, Strict, folder_file
from ._layers import read_csv_rows, read_layer
from ._series import IsoDate, dated_rows, day_of, iso_date, linear_by_day

MAX_COUNT = 10**10


class MonitoringSpec(Strict):
    """Monitoring an existing settlement (see the module docstring)."""

    snapshot: FolderFile | None = None
    date: IsoDate | None = None
    start_date: IsoDate | None = None
    blocks: FolderFile | None = None
    water_points: FolderFile | None = None
    latrines: FolderFile | None = None
    installed: FolderFile | None = None


@dataclass
class Monitoring:
    """The snapshot as arrays: one unit per snapshot row (a block, or a whole site), metric geometry."""

    file: str
    date: str  # ISO
    start_date: str  # ISO, day 0
    day: int  # the snapshot's day in the plan
    unit_site: np.ndarray  # int: index of the unit's site in the scenario's sites
    unit_block: list[str | None]
    unit_people: np.ndarray  # int
    unit_latrines: np.ndarray  # float, NaN: not known
    unit_taps: np.ndarray  # float, NaN: not known
    unit_geometry_m: np.ndarray  # object: the block polygon, or None (a whole-site row, or no blocks file)
    water_xy: np.ndarray | None = None  # metric [n, 2] of the water points, None: not given
    latrine_xy: np.ndarray | None = None
    installed_file: str | None = None
    installed_latrines: dict[str, np.ndarray] = field(default_factory=dict)  # site id -> [days]
    installed_taps: dict[str, np.ndarray] = field(default_factory=dict)
    unit_relocated: np.ndarray | None = None  # int: of each unit's people, those inside a footprint
    notes: list[str] = field(default_factory=list)


def _count(
    row: dict[str, Any], key: str, path: Path | None, feature: str, problems: list[Problem], required: bool = False
) -> float | None:
    raw = (row.get(key) or "").strip() if isinstance(row.get(key), str) else row.get(key)
    if raw in (None, ""):
        if required:
            problems.append(
                Problem(file=str(path), feature=feature, field=key, message="missing; expected a whole number >= 0")
            )
        return None
    try:
        x = float(str(raw).replace(",", ""))
    except ValueError:
        x = float("nan")
    if not np.isfinite(x) or x < 0 or x > MAX_COUNT or x != round(x):
        problems.append(
            Problem(file=str(path), feature=feature, field=key, message=f"expected a whole number >= 0, got {raw!r}")
        )
        return None
    return x


def _points(
    folder: Path, name: str, key: str, count_field: str, crs: Any, problems: list[Problem]
) -> tuple[np.ndarray, np.ndarray] | None:
    """(metric xy [n, 2], count per point: its `count_field`, default 1)."""
    try:
        path = folder_file(folder, name, field=f"monitoring.{key}")
        feats = read_layer(path)
    except InputError as e:
        problems.extend(e.problems)
        return None
    pts, n = [], []
    for f in feats:
        fid = str(f.properties.get("id") or f.index)
        if f.geometry is None or f.geometry.geom_type != "Point":
            problems.append(
                Problem(file=str(path), feature=fid, field="geometry", message=f.geometry_error or "expected a point")
            )
            continue
        c = _count(f.properties, count_field, path, fid, problems)
        pts.append(f.geometry)
        n.append(1.0 if c is None else c)
    xy = (
        shapely.get_coordinates(project(np.array(pts + [None], dtype=object)[:-1], WGS84, crs))
        if pts
        else np.zeros((0, 2))
    )
    return xy.reshape(-1, 2), np.array(n)


def _blocks(
    folder: Path, name: str, site_ids: list[str], crs: Any, problems: list[Problem]
) -> tuple[Path, dict[str, tuple[str, Any]]]:
    """block id -> (site id, metric polygon)."""
    path = Path(folder) / name
    out: dict[str, tuple[str, Any]] = {}
    try:
        feats = read_layer(folder_file(folder, name, field="monitoring.blocks"))
    except InputError as e:
        problems.extend(e.problems)
        return path, out
    for f in feats:
        bid = str(f.properties.get("id") or "").strip()
        sid = str(f.properties.get("site_id") or "").strip()
        if not bid:
            problems.append(
                Problem(file=str(path), feature=str(f.index), field="id", message="missing; expected a block id")
            )
            continue
        if sid not in site_ids:
            problems.append(
                Problem(
                    file=str(path),
                    feature=bid,
                    field="site_id",
                    message=f"unknown site id {sid!r}; expected one of the sites layer's ids",
                )
            )
            continue
        g = f.geometry
        if g is None or g.geom_type not in ("Polygon", "MultiPolygon") or g.is_empty or not g.is_valid:
            problems.append(
                Problem(
                    file=str(path),
                    feature=bid,
                    field="geometry",
                    message=f.geometry_error or "expected a valid polygon",
                )
            )
            continue
        if bid in out:
            problems.append(Problem(file=str(path), feature=bid, field="id", message="duplicate block id"))
        out[bid] = (sid, g)
    if out:
        geoms = project(np.array([g for _, g in out.values()], dtype=object), WGS84, crs)
        out = {b: (s, g) for (b, (s, _)), g in zip(out.items(), geoms)}
    return path, out


def _dates(
    spec: MonitoringSpec, rows: list[dict[str, str]], path: Path, cfg: str, problems: list[Problem]
) -> dt.date | None:
    """The snapshot's one date: the spec's `date`, or the file's date column (the same on every row)."""
    given = None
    if spec.date is not None:
        given = iso_date(spec.date)
        if given is None:
            problems.append(
                Problem(
                    file=cfg, field="monitoring.date", message=f"expected an ISO date (YYYY-MM-DD), got {spec.date!r}"
                )
            )
            return None
    found: set[dt.date] = set()
    for i, r in enumerate(rows):
        if "date" in r and (r.get("date") or "").strip():
            d = iso_date(r["date"])
            if d is None:
                problems.append(
                    Problem(
                        file=str(path),
                        feature=f"row {i + 1}",
                        field="date",
                        message=f"expected an ISO date (YYYY-MM-DD), got {r['date']!r}",
                    )
                )
            else:
                found.add(d)
    if len(found) > 1:
        problems.append(
            Problem(
                file=str(path),
                field="date",
                message=f"{len(found)} dates ({min(found)} .. "
                f"{max(found)}); a snapshot is one day: expected the same date on every row",
            )
        )
        return None
    if given is not None and found and found != {given}:
        problems.append(
            Problem(
                file=str(path),
                field="date",
                message=f"the file is dated {found.pop()} but monitoring.date says {given}; expected one date",
            )
        )
        return None
    if given is None and not found:
        problems.append(
            Problem(
                file=str(path),
                field="date",
                message="the snapshot has no date; expected a date column or monitoring.date (ISO, YYYY-MM-DD)",
            )
        )
        return None
    return given or found.pop()


def start_of(spec: MonitoringSpec, cfg: str, problems: list[Problem]) -> dt.date | None:
    """Day 0 declared by `monitoring.start_date`, or None (then the snapshot's date)."""
    if spec.start_date is None:
        return None
    d = iso_date(spec.start_date)
    if d is None:
        problems.append(
            Problem(
                file=cfg,
                field="monitoring.start_date",
                message=f"expected an ISO date (YYYY-MM-DD), got {spec.start_date!r}",
            )
        )
    return d


def load_monitoring(folder: Path, spec: MonitoringSpec, sites: list[Any], crs: Any, days: int, cfg: str) -> Monitoring:
    """Read and check the monitoring files against the sites (metric geometry set) and the horizon; raises an
    InputError listing every problem (file, row or feature, field)."""
    problems: list[Problem] = []
    if spec.snapshot is None and spec.installed is None:
        raise InputError(
            Problem(
                file=cfg, field="monitoring", message="expected monitoring.snapshot or monitoring.installed (or both)"
            )
        )
    site_ids = [s.id for s in sites]
    index = {s: j for j, s in enumerate(site_ids)}
    start = start_of(spec, cfg, problems)
    rows: list[dict[str, str]] = []
    path = None
    date = None
    if spec.snapshot is not None:
        path, rows = _snapshot(folder, spec.snapshot)
        date = _dates(spec, rows, path, cfg, problems)
    if start is None:
        start = date
    if start is None and spec.snapshot is None:
        problems.append(
            Problem(
                file=cfg,
                field="monitoring.start_date",
                message="expected the ISO date of day 0 (monitoring.installed is dated)",
            )
        )
    day = 0
    if date is not None and start is not None:
        got, why = day_of(date, start, days, path or cfg, "snapshot", "date")
        if why is not None:
            problems.append(why)
        day = got or 0
    blocks_path: Path | None = None
    blocks: dict[str, tuple[str, Any]] = {}
    if spec.blocks is not None:
        blocks_path, blocks = _blocks(folder, spec.blocks, site_ids, crs, problems)

    unit_site, unit_block, people, lat, taps, geoms = _units(rows, path, site_ids, index, blocks_path, blocks, problems)
    water = _points(folder, spec.water_points, "water_points", "taps", crs, problems) if spec.water_points else None
    latr = _points(folder, spec.latrines, "latrines", "stalls", crs, problems) if spec.latrines else None
    installed_l: dict[str, np.ndarray] = {}
    installed_t: dict[str, np.ndarray] = {}
    if spec.installed is not None and start is not None:
        installed_l, installed_t = _installed(folder, spec.installed, index, start, days, problems)
    if problems:
        raise InputError(problems)
    assert start is not None
    m = Monitoring(
        file=spec.snapshot or "",
        date=date.isoformat() if date else "",
        start_date=start.isoformat(),
        day=day,
        unit_site=np.array(unit_site, dtype=np.int64),
        unit_block=unit_block,
        unit_people=np.array(people, dtype=np.int64),
        unit_latrines=np.array(lat, dtype=float),
        unit_taps=np.array(taps, dtype=float),
        unit_geometry_m=np.array(geoms + [None], dtype=object)[:-1],
        water_xy=None if water is None else water[0],
        latrine_xy=None if latr is None else latr[0],
        installed_file=spec.installed,
        installed_latrines=installed_l,
        installed_taps=installed_t,
    )
    _count_from_points(m, sites, water, latr)
    return m


def _snapshot(folder: Path, snapshot: str) -> tuple[Path, list[dict[str, str]]]:
    """(path, rows) of the snapshot CSV; InputError without site_id and people columns or without rows."""
    path = folder_file(folder, snapshot, field="monitoring.snapshot")
    rows = read_csv_rows(path)
    if not rows or "site_id" not in rows[0] or "people" not in rows[0]:
        raise InputError(
            Problem(
                file=str(path),
                field="site_id",
                message="expected columns site_id, people "
                "(and optionally date, block_id, latrines, taps) and at least one row",
            )
        )
    return path, rows


def _units(
    rows: list[dict[str, str]],
    path: Path | None,
    site_ids: list[str],
    index: dict[str, int],
    blocks_path: Path | None,
    blocks: dict[str, Any],
    problems: list[Problem],
) -> tuple[list[int], list[str | None], list[float], list[float], list[float], list[Any]]:
    """The snapshot's units (a whole site or one of its blocks): site, block, people, latrines, taps, block
    geometry; rows with unknown sites or blocks, repeated units and sites with both kinds of rows are problems."""
    unit_site, unit_block, people, lat, taps, geoms = [], [], [], [], [], []
    seen: set[tuple[str, str | None]] = set()
    for i, r in enumerate(rows):
        feat = f"row {i + 1}"
        sid = (r.get("site_id") or "").strip()
        bid = (r.get("block_id") or "").strip() or None
        if sid not in index:
            problems.append(
                Problem(
                    file=str(path),
                    feature=feat,
                    field="site_id",
                    message=f"unknown site id {sid!r}; expected one of {site_ids[:20]}"
                    + (" ..." if len(site_ids) > 20 else ""),
                )
            )
            continue
        n = _count(r, "people", path, feat, problems, required=True)
        la = _count(r, "latrines", path, feat, problems)
        ta = _count(r, "taps", path, feat, problems)
        if (sid, bid) in seen:
            problems.append(
                Problem(
                    file=str(path),
                    feature=feat,
                    field="block_id" if bid else "site_id",
                    message=f"site {sid!r}" + (f" block {bid!r}" if bid else "") + " listed twice",
                )
            )
            continue
        seen.add((sid, bid))
        g = None
        if bid is not None and blocks:
            g = _block_geometry(sid, bid, blocks, blocks_path, path, feat, problems)
            if g is None:
                continue
        if n is None:
            continue
        unit_site.append(index[sid])
        unit_block.append(bid)
        people.append(n)
        geoms.append(g)
        lat.append(np.nan if la is None else la)
        taps.append(np.nan if ta is None else ta)
    whole = {s for s, b in seen if b is None}
    mixed = sorted(whole & {s for s, b in seen if b is not None})
    for s in mixed:
        problems.append(
            Problem(
                file=str(path),
                feature=f"site {s}",
                field="block_id",
                message="the site has a whole-site row and block rows; expected one or the other",
            )
        )
    return unit_site, unit_block, people, lat, taps, geoms


def _block_geometry(
    sid: str,
    bid: str,
    blocks: dict[str, Any],
    blocks_path: Path | None,
    path: Path | None,
    feat: str,
    problems: list[Problem],
) -> Any:
    """The geometry of a row's block from the blocks file, or None and a problem when the block is not there or lies
    on another site."""
    name = blocks_path.name if blocks_path is not None else "the blocks file"
    if bid not in blocks:
        problems.append(
            Problem(
                file=str(path),
                feature=feat,
                field="block_id",
                message=f"block {bid!r} is not in {name}; expected a block id of the blocks file",
            )
        )
        return None
    if blocks[bid][0] != sid:
        problems.append(
            Problem(
                file=str(path),
                feature=feat,
                field="site_id",
                message=f"block {bid!r} lies on site {blocks[bid][0]!r} in {name}, not {sid!r}",
            )
        )
        return None
    return blocks[bid][1]


def _count_from_points(m: Monitoring, sites: list[Any], water: Any, latr: Any) -> None:
    """Taps and latrine stalls the snapshot does not give, counted from the points inside each unit."""
    for arr, pts, what in ((m.unit_taps, water, "taps"), (m.unit_latrines, latr, "latrine stalls")):
        if pts is None or not np.isnan(arr).any():
            continue
        xy, n = pts
        points = shapely.points(xy)
        for u in np.flatnonzero(np.isnan(arr)):
            g = m.unit_geometry_m[u] if m.unit_geometry_m[u] is not None else sites[m.unit_site[u]].geometry_m
            arr[u] = float(n[shapely.contains(g, points) | shapely.touches(g, points)].sum()) if xy.size else 0.0
        m.notes.append(f"{what} not in the snapshot: counted from the points inside each block or site")


def _installed(
    folder: Path, name: str, index: dict[str, int], start: dt.date, days: int, problems: list[Problem]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Latrines and taps installed on each site by day, linear between dated rows, held before and after."""
    path = folder_file(folder, name, field="monitoring.installed")
    rows = read_csv_rows(path)
    if not rows or "site_id" not in rows[0] or "date" not in rows[0] or not ({"latrines", "taps"} & set(rows[0])):
        problems.append(
            Problem(
                file=str(path),
                field="site_id",
                message="expected columns date, site_id, latrines and/or taps and at least one row",
            )
        )
        return {}, {}
    by: dict[str, dict[str, list[tuple[int, float]]]] = {"latrines": {}, "taps": {}}
    for feat, sid, t, r in dated_rows(path, rows, "site_id", index, start, days, problems, "a site of the sites layer"):
        d = r.get("date")
        for key in ("latrines", "taps"):
            v = _count(r, key, path, feat, problems)
            if v is not None:
                series = by[key].setdefault(sid, [])
                if any(day == t for day, _ in series):
                    problems.append(
                        Problem(
                            file=str(path),
                            feature=feat,
                            field="date",
                            message=f"site {sid!r} dated {d} twice; expected one row per date",
                        )
                    )
                series.append((t, v))
    out: list[dict[str, np.ndarray]] = []
    for key in ("latrines", "taps"):
        got = {}
        for sid, pts in by[key].items():
            pts.sort()
            a = np.array(pts, dtype=float)
            got[sid] = np.floor(linear_by_day(a[:, 0], a[:, 1], days, hold=True) + 1e-9)
        out.append(got)
    return out[0], out[1]


def relocate(m: Monitoring, sites: list[Any], footprints: list[Any]) -> tuple[np.ndarray, list[Any]]:
    """People of each unit inside the operation footprints (area-weighted share of the block, or of the site for a
    whole-site row); returns their count per unit and, per site with any, its part inside the footprints (metric).
    """
    n = m.unit_people.size
    moved = np.zeros(n, dtype=np.int64)
    parts: list[Any] = [None] * len(sites)
    if not footprints or n == 0:
        m.unit_relocated = moved
        return moved, parts
    union = shapely.union_all(np.array([f.geometry_m for f in footprints], dtype=object))
    geoms = np.array(
        [g if g is not None else sites[j].geometry_m for g, j in zip(m.unit_geometry_m, m.unit_site)], dtype=object
    )
    share = np.clip(shapely.area(shapely.intersection(geoms, union)) / shapely.area(geoms), 0.0, 1.0)
    exact = m.unit_people * share
    for j in np.unique(m.unit_site):
        rows = np.flatnonzero(m.unit_site == j)
        moved[rows] = largest_remainder(exact[rows], int(round(exact[rows].sum())), cap=m.unit_people[rows])
        if moved[rows].sum() > 0:
            parts[j] = shapely.intersection(sites[j].geometry_m, union)
    m.unit_relocated = moved
    return moved, parts
