"""Camp layouts on a Dask cluster (`plan --scheduler`): the same layouts and layout fits as on one machine."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import shapely
from conftest import fc, feat, square, write_scenario


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    from reliefplan.scenario.folder import load_scenario

    # five sites of different shapes (one holds no one) and a no-build strip across two of them
    sites = fc(
        [feat({"id": f"S{k}", "usable_fraction": 1.0}, square(k * 1.5, 3, size=0.004 + 0.001 * k)) for k in range(5)]
    )
    folder = write_scenario(tmp_path_factory.mktemp("dask") / "sc", sites=sites)
    return load_scenario(folder, "main")


def _same_features(a, b) -> None:
    assert len(a) == len(b)
    assert shapely.to_wkb(a.geometry).tolist() == shapely.to_wkb(b.geometry).tolist()
    assert a.attributes.keys() == b.attributes.keys()
    for k in a.attributes:
        assert np.array_equal(a.attributes[k], b.attributes[k]), k


def test_layouts_on_a_cluster_are_the_local_layouts(scenario, client):
    from distributed import get_task_stream

    from reliefplan.stages.camps import lay_out, layout_capacities, layout_params
    from reliefplan.stages.capacity import free_geometry

    sc = scenario
    params = layout_params(sc)
    free = free_geometry(sc.sites, sc.footprints)
    fit_here = layout_capacities(sc, free, params)
    with get_task_stream(client) as tasks:
        fit_there = layout_capacities(sc, free, params, client=client)
    assert sum("_capacity_batch" in t["key"] for t in tasks.data) >= 2  # ran on the cluster, in batches
    assert np.array_equal(fit_here, fit_there) and (fit_here > 0).all()

    people = np.array([1500, 0, 4000, 2500, 10**6])  # site 1 closed; site 4 asked for more than it holds
    here = lay_out(sc, free, people, params)
    with get_task_stream(client) as tasks:
        there = lay_out(sc, free, people, params, client=client)
    assert sum("_layout_batch" in t["key"] for t in tasks.data) >= 2
    assert [lay.site_id for lay in there] == ["S0", "S2", "S3", "S4"]  # site order, closed site left out
    for a, b in zip(here, there, strict=True):
        assert a.summary == b.summary and a.params == b.params
        for f in dataclasses.fields(a):
            if f.name not in ("site_id", "params", "summary"):
                _same_features(getattr(a, f.name), getattr(b, f.name))
    assert there[-1].summary.shortfall > 0 and there[0].summary.people == 1500


def test_plan_with_a_cluster_has_the_local_layouts(scenario, client):
    """The pipeline hands the cluster to both layout steps; the fit cache fills with the same figures."""
    from reliefplan.pipeline import shelter
    from reliefplan.stages.travel import TravelCache

    here = shelter(scenario)
    cache = TravelCache(client=client)
    there = shelter(scenario, cache=cache)
    assert np.array_equal(here.layout_fit, there.layout_fit)
    assert [v for v in cache.layout_people.values()][0] is there.layout_fit
    assert [lay.summary for lay in here.layouts] == [lay.summary for lay in there.layouts]
    assert len(here.layouts) >= 2


def test_plan_command_with_a_scheduler_writes_the_local_layouts(tmp_path, client):
    """`reliefplan plan --scheduler`: the layouts (in their background thread) come from the cluster; the
    plan's layout figures and layout.gpkg equal the local run's."""
    import json

    import pyogrio
    from typer.testing import CliRunner

    from reliefplan.cli import app

    sites = fc([feat({"id": f"S{k}", "usable_fraction": 1.0}, square(k * 1.5, 3, size=0.004)) for k in range(3)])
    folder = write_scenario(tmp_path / "sc", sites=sites, config={"supply": {"enabled": False}})
    for out, more in (("a", []), ("b", ["--scheduler", client.scheduler.address])):
        done = CliRunner().invoke(app, ["plan", str(folder), "--scenario", "main", "--out", str(tmp_path / out), *more])
        assert done.exit_code == 0, done.output
    a, b = (json.loads((tmp_path / x / "plan.json").read_text()) for x in ("a", "b"))
    assert a["layout"] == b["layout"] and a["layout"]
    assert a["sites"] == b["sites"]
    for name, _ in pyogrio.list_layers(tmp_path / "a" / "layout.gpkg"):
        assert (
            pyogrio.read_info(tmp_path / "a" / "layout.gpkg", layer=name)["features"]
            == pyogrio.read_info(tmp_path / "b" / "layout.gpkg", layer=name)["features"]
        )
