"""The share of a site's places' days, in closed form: the oracle `second_walk.ReMove.per_site` is checked against
(it was the siting's capacity-days price before the second walk)."""

from __future__ import annotations

import numpy as np

from reliefplan.scenario.phases import PhasesSpec
from reliefplan.stages.phases import site_places_by_day


def place_day_share(spec: PhasesSpec, site_ids: list[str], places: np.ndarray, days: int) -> np.ndarray:
    """[site, arrival day] share of the days from arrival to the horizon's end on which a place at the site exists
    (its places under the phases over its planned places; 1 for a site with no phases, 0 for a site without
    places)."""
    places = np.asarray(places, dtype=float)
    cap, _ = site_places_by_day(spec, site_ids, places, days)
    per = np.divide(cap, places[:, None], out=np.zeros(cap.shape), where=places[:, None] > 0)
    # mean over t >= a: reverse cumulative sums over the remaining days
    rest = np.cumsum(per[:, ::-1], axis=1)[:, ::-1]
    return rest / (days - np.arange(days))[None, :]
