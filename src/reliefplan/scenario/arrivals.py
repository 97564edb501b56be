"""People arriving day by day at entry or transit points (a border crossing, a reception centre), as an alternative
or an addition to operation footprints emptying zones.

scenario.yaml::

    arrivals:
      file: arrivals.csv           # date, point, people (per day; linear between a point's rows, 0 outside them)
      start_date: 2026-03-01       # day 0 of the plan
      points: transit_points.geojson   # points: id, name; default: the entry_points layer
      transit_radius_m: 100        # the area people gather in at a point before they walk on
      source: "UNHCR daily arrivals dashboard, ..."

Each point must lie in (or within 100 m of) a population zone; its arrivals become a zone ``arrivals:<point id>``
whose people leave on the day they arrive (`stages.arrivals`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pydantic import Field

from .._errors import InputError, Problem
from ..geo import WGS84, project
from ._inputs import FolderFile, Strict, folder_file
from ._layers import read_csv_rows, read_layer
from ._series import IsoDate, dated_rows, iso_date, linear_by_day, whole_per_day

ZONE_PREFIX = "arrivals:"
MAX_PEOPLE_PER_DAY = 10**8
POINT_TOLERANCE_M = 100.0  # a crossing drawn on the boundary line still belongs to the zone beside it


class ArrivalsSpec(Strict):
    """Daily arrivals at points (see the module docstring)."""

    file: FolderFile
    start_date: IsoDate
    points: FolderFile | None = None
    transit_radius_m: float = Field(default=100.0, gt=0, le=10_000)
    source: str = ""


@dataclass
class Arrivals:
    """Whole people arriving per point and day; each point's zone (index into the scenario's zones)."""

    file: str
    start_date: str
    point_ids: list[str]
    point_names: list[str]
    point_lonlat: np.ndarray  # [P, 2]
    point_m: np.ndarray  # object: metric points
    zone_index: np.ndarray  # int [P]: the zone each point lies in
    by_day: np.ndarray  # int64 [P, days]
    transit_radius_m: float
    source: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return int(self.by_day.sum())


def _start(spec: ArrivalsSpec, cfg: str) -> dt.date:
    d = iso_date(spec.start_date)
    if d is None:
        raise InputError(
            Problem(
                file=cfg,
                field="arrivals.start_date",
                message=f"expected an ISO date (YYYY-MM-DD), got {spec.start_date!r}",
            )
        )
    return d


def load_arrivals(
    folder: Path, spec: ArrivalsSpec, zones: list[Any], entry_points: list[Any], crs: Any, days: int, cfg: str
) -> Arrivals:
    """Read the series and the points, check them against the zones (metric geometry set) and the horizon; raises
    an InputError listing every problem (file, row or feature, field)."""
    start = _start(spec, cfg)
    problems: list[Problem] = []
    pts, ppath, where = _points(folder, spec, entry_points, cfg, problems)
    series = _series(folder, spec, [p[0] for p in pts], where, start, days, problems)
    used = [k for k, p in enumerate(pts) if p[0] in series]
    metric = project(np.array([pts[k][2] for k in used] + [None], dtype=object)[:-1], WGS84, crs) if used else []
    zone_index = _point_zones(zones, [pts[k][0] for k in used], metric, ppath, problems)
    if problems:
        raise InputError(problems)
    by_day = np.zeros((len(used), days), dtype=np.int64)
    for row, k in enumerate(used):
        a = np.array(sorted(series[pts[k][0]]), dtype=float)
        by_day[row] = whole_per_day(linear_by_day(a[:, 0], a[:, 1], days, hold=False))
    lonlat = np.array([[pts[k][2].x, pts[k][2].y] for k in used], dtype=float).reshape(-1, 2)
    return Arrivals(
        file=spec.file,
        start_date=start.isoformat(),
        point_ids=[pts[k][0] for k in used],
        point_names=[pts[k][1] for k in used],
        point_lonlat=lonlat,
        point_m=np.array(list(metric) + [None], dtype=object)[:-1],
        zone_index=np.array(zone_index),
        by_day=by_day,
        transit_radius_m=spec.transit_radius_m,
        source=spec.source,
    )


def _points(
    folder: Path, spec: ArrivalsSpec, entry_points: list[Any], cfg: str, problems: list[Problem]
) -> tuple[list[tuple[str, str, Any]], Path, str]:
    """(id, name, WGS84 point) of each arrival point: its own file, or the scenario's entry points; the file they
    come from, and how to name it in a message."""
    if spec.points is None:
        return [(e.id, e.name, e.geometry) for e in entry_points], Path(cfg), "the entry_points layer"
    ppath = folder_file(folder, spec.points, field="arrivals.points")
    pts = []
    for f in read_layer(ppath):
        pid = str(f.properties.get("id") or "").strip() or str(f.index)
        if f.geometry is None or f.geometry.geom_type != "Point":
            problems.append(
                Problem(file=str(ppath), feature=pid, field="geometry", message=f.geometry_error or "expected a point")
            )
            continue
        pts.append((pid, str(f.properties.get("name") or ""), f.geometry))
    return pts, ppath, ppath.name


def _series(
    folder: Path,
    spec: ArrivalsSpec,
    ids: list[str],
    where: str,
    start: dt.date,
    days: int,
    problems: list[Problem],
) -> dict[str, list[tuple[int, float]]]:
    """Point id -> (day, people arriving) rows of the series (date, point, people), each checked."""
    path = folder_file(folder, spec.file, field="arrivals.file")
    rows = read_csv_rows(path)
    if not rows or not {"date", "point", "people"} <= set(rows[0]):
        raise InputError(
            Problem(file=str(path), field="date", message="expected columns date, point, people and at least one row")
        )
    series: dict[str, list[tuple[int, float]]] = {}
    for feat, pid, t, r in dated_rows(
        path, rows, "point", ids, start, days, problems, f"one of {ids[:20]} (from {where})"
    ):
        raw = (r.get("people") or "").strip()
        try:
            n = float(raw.replace(",", ""))
        except ValueError:
            n = float("nan")
        if not np.isfinite(n) or n < 0 or n > MAX_PEOPLE_PER_DAY:
            problems.append(
                Problem(
                    file=str(path),
                    feature=feat,
                    field="people",
                    message=f"expected people arriving per day, a number >= 0 (arrivals cannot go "
                    f"negative; people leaving are not arrivals), got {raw!r}",
                )
            )
            continue
        if any(day == t for day, _ in series.get(pid, [])):
            problems.append(
                Problem(
                    file=str(path),
                    feature=feat,
                    field="date",
                    message=f"point {pid!r} dated {r.get('date')} twice; expected one row per point and date",
                )
            )
            continue
        series.setdefault(pid, []).append((t, n))
    return series


def _point_zones(zones: list[Any], ids: list[str], metric: Any, ppath: Path, problems: list[Problem]) -> list[int]:
    """The zone of each point (metric): the zone covering it, else the nearest within POINT_TOLERANCE_M, else -1
    and a problem."""
    zone_geoms = np.array([z.geometry_m for z in zones], dtype=object)
    tree = shapely.STRtree(zone_geoms)
    zone_index = []
    for pid, g in zip(ids, metric):
        hits = tree.query(g, predicate="dwithin", distance=POINT_TOLERANCE_M)
        if hits.size == 0:
            problems.append(
                Problem(
                    file=str(ppath),
                    feature=pid,
                    field="geometry",
                    message=f"the point matches no population zone (none within "
                    f"{POINT_TOLERANCE_M:g} m); expected a point inside a zone",
                )
            )
            zone_index.append(-1)
            continue
        inside = [h for h in hits if zone_geoms[h].covers(g)]
        zone_index.append(int(inside[0] if inside else hits[np.argmin(shapely.distance(zone_geoms[hits], g))]))
    return zone_index


def arrival_zones(a: Arrivals, crs: Any) -> list[dict[str, Any]]:
    """The zones people arrive into: a disc of the transit radius around each point (fields of `folder.Zone`)."""
    discs = shapely.buffer(a.point_m, a.transit_radius_m)
    lonlat = project(discs, crs, WGS84)
    return [
        dict(
            id=f"{ZONE_PREFIX}{pid}",
            source=f"{a.file}#{pid}",
            geometry=ll,
            geometry_m=g,
            name=name or pid,
            population=int(a.by_day[k].sum()),
        )
        for k, (pid, name, g, ll) in enumerate(zip(a.point_ids, a.point_names, discs, lonlat))
    ]
