"""Where people head, made in compiled code (`movement_days.route_kernel`): the routes equal those made in Python
from the memoised segments, element by element; the targets equal the nearest site by brute force; a run whose
element arrays fill up (Python grows them) equals one with room."""

from __future__ import annotations

import numpy as np
import pytest
from test_movement_kernel import assert_same, grid_instance

from reliefplan.solvers import movement_days as md
from reliefplan.solvers.movement_days import routes, simulation
from reliefplan.solvers.movement_days.routes import prepare_network

ELEMENT_ARRAYS = ("ptr", "nar", "next", "site", "mode", "directed", "k", "f", "use", "ff_s", "size", "off")


def _sim(inst: md.DaysInstance, table: bool, cap: int = 1024) -> simulation._Sim:
    sim = simulation._Sim(inst, prepare_network(inst), None)
    sim.el = routes.Elements(cap)
    if not table:
        sim._route_of = np.zeros(0, np.int64)
        sim.segments = routes.segments(sim.net, 1.0 / (sim.speed * sim.dt))
    return sim


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("cap", [1, 1024])
def test_compiled_routes_equal_routes_made_in_python(seed, cap):
    inst = grid_instance(seed, [60.0, 120.0, 300.0][seed % 3])
    compiled, python = _sim(inst, True, cap), _sim(inst, False)
    rng = np.random.default_rng(seed)
    n_c, n_s, n_m = compiled.net.cnet.n, compiled.n_s, compiled.n_m
    asked = [(int(rng.integers(n_c)), int(rng.integers(n_s)), int(rng.integers(n_m)), bool(rng.random() < 0.5))]
    for _ in range(300):  # new ways, ways joining others part-way, and ways asked again
        asked.append(asked[int(rng.integers(len(asked)))] if rng.random() < 0.2 else asked[-1])
        asked[-1] = (int(rng.integers(n_c)), int(rng.integers(n_s)), int(rng.integers(n_m)), bool(rng.random() < 0.5))
    reachable = compiled.net.site_row >= 0
    got = [compiled._route(*a) for a in asked if reachable[a[1]]]
    want = [python._route(*a) for a in asked if reachable[a[1]]]
    assert got == want and -1 in got  # some ways start at their site's node
    a, b = compiled.el, python.el
    assert a.n == b.n > 50 and a.n_arcs == b.n_arcs and a.slots == b.slots
    for name in ELEMENT_ARRAYS:
        np.testing.assert_array_equal(getattr(a, name)[: a.n], getattr(b, name)[: b.n], err_msg=name)
    np.testing.assert_array_equal(a.arcs[: a.n_arcs], b.arcs[: b.n_arcs])
    assert (cap == 1) == (a.grown > 0)


def _nearest_by_brute_force(sim: simulation._Sim) -> np.ndarray:
    """Per node: the nearest site with room (not an overflow place), else the nearest overflow place, else the
    nearest open site; ties to the lower site; -1 when none can be reached."""
    dist, row, over = sim.net.paths.dist, sim.net.site_row, sim.inst.site_overflow
    room = ~sim.closed & (sim.capacity - sim.occ - sim.held > 0)
    ok = ~sim.closed & (row >= 0)
    out = np.full(sim.net.cnet.n, -1)
    for v in range(len(out)):
        for mask in (ok & room & ~np.asarray(over), ok & np.asarray(over), ok):
            d = [(dist[row[s], v], s) for s in np.flatnonzero(mask) if np.isfinite(dist[row[s], v])]
            if d:
                out[v] = min(d)[1]
                break
    return out


@pytest.mark.parametrize("seed", range(4))
def test_targets_are_the_nearest_site_with_room(seed):
    inst = grid_instance(seed, 120.0)
    sim = _sim(inst, True)
    rng = np.random.default_rng(seed)
    nodes = np.arange(sim.net.cnet.n)
    for _ in range(40):  # sites filling, emptying, closing; the targets follow
        sim.occ[:] = rng.integers(0, 2, sim.n_s) * sim.capacity.clip(0, 5000)
        sim.held[:] = rng.integers(0, 2, sim.n_s)
        sim.closed[:] = (rng.random(sim.n_s) < 0.2) | (sim.net.site_row < 0)
        np.testing.assert_array_equal(sim._targets(nodes), _nearest_by_brute_force(sim))


@pytest.mark.parametrize("assignment", ["arrival", "plan"])
def test_a_run_whose_element_arrays_fill_up_equals_one_with_room(monkeypatch, assignment):
    inst = grid_instance(3, 120.0)
    plan = md.staged_plan(inst).people if assignment == "plan" else None
    want = md.simulate(inst, assignment=assignment, plan=plan)
    grown = []

    def small(cap: int = 1024) -> routes.Elements:
        grown.append(el := routes.Elements(2))
        return el

    monkeypatch.setattr(simulation, "Elements", small)
    assert_same(md.simulate(inst, assignment=assignment, plan=plan), want)
    assert grown[-1].grown > 3
