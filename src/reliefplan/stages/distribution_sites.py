"""Distribution points in the camps (``supply.distribution``): the queue at each point the camp layout placed (M/M/c
with the Allen-Cunneen factor, or the fluid queue when over capacity; `solvers.distribution.queue`) and the walk
from each family plot to its nearest point, per opened site, with a verdict row per site on the points' load."""

from __future__ import annotations

import numpy as np
import shapely
from scipy.spatial import cKDTree

from ..plan import Indicator
from ..plan_supply import DistributionSite
from ..scenario.delivery_data import figure
from ..scenario.folder import Scenario
from ..solvers.distribution import PointService, people_capacity, queue
from ..solvers.layout import CampLayout
from .verdict import indicator


def service(sc: Scenario) -> tuple[PointService, float, dict[str, str]]:
    """The declared point service (figures not given: data/delivery.yaml `distribution_points.*`), the highest
    utilisation a point may run at, and each figure's source."""
    spec = sc.supply.distribution
    assert spec is not None
    src: dict[str, str] = {}

    def pick(name: str, key: str) -> float:
        v = getattr(spec, name)
        if v is not None:
            src[name] = "declared"
            return float(v)
        f = figure(f"distribution_points.{key}")
        src[name] = (
            "ASSUMPTION: " + f.note.split(";")[0] if f.is_assumption else f.source
        ) + f" (data/delivery.yaml distribution_points.{key})"
        return float(f.value)

    svc = PointService(
        servers=int(spec.servers),
        collections_per_server_h=pick("collections_per_server_h", "collections_per_server_h"),
        hours_per_day=pick("hours_per_day", "hours_per_day"),
        people_per_collection=pick("people_per_collection", "people_per_collection"),
        interval_days=pick("interval_days", "food_parcel_interval_days"),
    )
    return svc, pick("max_utilisation", "max_utilisation"), src


def distribution_by_site(layouts: list[CampLayout], svc: PointService, grid: bool = True) -> list[DistributionSite]:
    """Per camp layout: points, people per point, utilisation, mean wait (worst point), collections a day not served,
    and the walk from each plot to its nearest point (people-weighted mean and the longest; grid = Manhattan)."""
    out = []
    for lay in layouts:
        dp, plots = lay.distribution_points, lay.plots
        served = np.asarray(dp.attributes.get("people_served", np.zeros(len(dp))), dtype=float)
        people = np.asarray(plots.attributes.get("people", np.zeros(len(plots))), dtype=float)
        site, points = lay.site_id, int(len(dp))
        if len(dp) == 0 or people.sum() <= 0:
            out.append(
                DistributionSite(
                    site=site,
                    points=points,
                    people=int(people.sum()),
                    utilisation_max=None,
                    wait_mean_min=None,
                    unserved_collections_per_day=0.0,
                    walk_mean_m=None,
                    walk_max_m=None,
                )
            )
            continue
        q = queue(served, svc)
        pxy = shapely.get_coordinates(shapely.centroid(np.asarray(plots.geometry, dtype=object)))
        dxy = shapely.get_coordinates(np.asarray(dp.geometry, dtype=object))
        dist, _ = cKDTree(dxy).query(pxy, p=1 if grid else 2)
        out.append(
            DistributionSite(
                site=site,
                points=points,
                people=int(people.sum()),
                people_max_per_point=int(served.max()),
                capacity_people_per_point=round(people_capacity(svc)),
                utilisation_max=round(float(q.utilisation.max()), 3),
                wait_mean_min=round(float(q.wait_mean_min.max()), 1),
                wait_max_min=round(float(q.wait_max_min.max()), 1),
                unserved_collections_per_day=round(float(q.unserved_per_day.sum()), 1),
                walk_mean_m=round(float((dist * people).sum() / people.sum()), 1),
                walk_max_m=round(float(dist[people > 0].max()), 1),
            )
        )
    return out


def distribution_indicators(rows: list[DistributionSite], max_utilisation: float, source: str) -> list[Indicator]:
    """One verdict row per site: the busiest point's utilisation against the highest a queue tolerates."""
    return [
        indicator(
            "distribution_point_utilisation",
            f"site:{r.site}",
            r.utilisation_max,
            max_utilisation,
            "arrivals / service capacity",
            "<=",
            source,
            note=f"{r.points} point(s); mean wait at the busiest {r.wait_mean_min} min, walk to the "
            f"nearest point {r.walk_mean_m} m on average, {r.walk_max_m} m at most",
        )
        for r in rows
        if r.utilisation_max is not None
    ]
