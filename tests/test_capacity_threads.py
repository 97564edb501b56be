"""The capacity pass on two threads (stages/camps._capacity_threads) gives each site the figure it gets one site after
the other, in site order, and an error in a site is raised as before."""

from __future__ import annotations

import pytest
import shapely
import shapely.affinity

from reliefplan._errors import InputError
from reliefplan.solvers.layout import LayoutParams
from reliefplan.solvers.layout import grid as layout_grid
from reliefplan.solvers.layout import services as layout_services
from reliefplan.stages.camps import _capacity_batch, _capacity_threads


def _clear() -> None:
    layout_grid._fit_cached.cache_clear()
    layout_grid._slots_cached.cache_clear()
    layout_services._full_services_cached.cache_clear()


def _sites() -> list[tuple[shapely.Geometry, int, str, str]]:
    out = []
    for k in range(7):
        side = 120.0 + 55.0 * k
        square = shapely.box(0, 0, side, side * (0.6 + 0.1 * k))
        site = shapely.difference(square, shapely.box(side / 2, 0, side, side / 3)) if k % 2 else square
        out.append((shapely.affinity.rotate(site, 17.0 * k), 0, f"S{k}", "sites.geojson"))
    out.append((shapely.box(0, 0, 3, 3), 0, "tiny", "sites.geojson"))  # too small for one plot: 0 people
    return out


def test_threads_give_the_sequential_figures_in_order() -> None:
    jobs, params = _sites(), LayoutParams()
    _clear()
    one_by_one = _capacity_batch(jobs, params, None)
    _clear()
    assert _capacity_threads(jobs, params, None) == one_by_one
    assert one_by_one[-1] == 0 and min(one_by_one[:-1]) > 0
    no_build = [shapely.LineString([(0, 50), (400, 50)])]
    _clear()
    one_by_one = _capacity_batch(jobs, params, no_build)
    _clear()
    assert _capacity_threads(jobs, params, no_build) == one_by_one


def test_a_bad_site_is_an_input_error() -> None:
    jobs = _sites()[:3] + [(shapely.Point(0, 0), 0, "P", "sites.geojson")]
    with pytest.raises(InputError, match="expected a Polygon"):
        _capacity_threads(jobs, LayoutParams(), None)
