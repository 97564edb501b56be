"""What an ensemble member of a scenario with successive orders reuses or computes more cheaply never changes a
result: the ways to the sites (`routes.segments`, keyed on the site's node: runs with other destinations share
them, tests/test_movement_member.py; capacities in another order do not), the departures split by mode in one
single array call (`schedule.split_modes`), and the siting's check for repeated pairs (`siting.instance._repeats`)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from test_movement_kernel import grid_instance

from reliefplan._rounding import largest_remainder
from reliefplan.solvers import movement_days as md
from reliefplan.solvers.movement_days import routes, simulation
from reliefplan.solvers.movement_days.schedule import split_modes
from reliefplan.solvers.siting.instance import _repeats


def test_capacities_in_another_order_get_their_own_segments(monkeypatch):
    """The tie-break between parallel quickest links is the widest, so the order of capacities is in the key:
    capacities scaled alike (the road capacity draw) share the segments, capacities in another order do not
    (routes made in Python: networks too large for the route table)."""
    monkeypatch.setattr(simulation, "_ROUTE_TABLE", 0)
    inst = grid_instance(0, 120.0)
    routes._SEGMENTS.clear()
    md.simulate(inst)
    md.simulate(replace(inst, arc_capacity_per_h=inst.arc_capacity_per_h * 0.5))
    assert len(routes._SEGMENTS) == 1
    rng = np.random.default_rng(0)
    md.simulate(replace(inst, arc_capacity_per_h=inst.arc_capacity_per_h * rng.uniform(0.5, 2.0, len(inst.arc_from))))
    assert len(routes._SEGMENTS) == 2


@pytest.mark.parametrize("seed", range(4))
def test_split_modes_equals_largest_remainder_row_by_row(seed):
    rng = np.random.default_rng(seed)
    n = rng.integers(0, 5000, 300)
    n[::7] = 0
    n[::11] = rng.integers(1, 4, len(n[::11]))
    for shares in (
        np.array([0.6, 0.3, 0.1]),
        np.array([0.5, 0.25, 0.25]),
        np.array([1.0, 0.0]),
        rng.dirichlet([1] * 4),
    ):
        got = split_modes(n, shares)
        want = np.array([largest_remainder(k * shares, int(k)) if k else np.zeros(len(shares), int) for k in n])
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(got.sum(axis=1), n)


@pytest.mark.parametrize("seed", range(5))
def test_repeated_pairs_found_as_by_unique(seed):
    rng = np.random.default_rng(seed)
    keys = rng.choice(10_000, 2_000, replace=seed % 2 == 0)
    assert _repeats(keys) == (len(np.unique(keys)) != len(keys))
    assert not _repeats(np.zeros(0, np.int64)) and not _repeats(np.array([3]))
