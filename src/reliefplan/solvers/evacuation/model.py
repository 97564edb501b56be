"""The evacuation solver's inputs and results: an instance (who moves from where to where over which links), the
schedule it returns, and the per-method core result both methods hand to the driver.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

Routing = Literal["free", "fixed"]


Method = Literal["auto", "exact", "queue"]


class NodeNumbers(Sequence[str]):
    """Node ids "0".."n-1" without holding n strings (a national network has millions of nodes)."""

    def __init__(self, n: int) -> None:
        self.n = int(n)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [str(j) for j in range(self.n)[i]]
        return str(range(self.n)[i])


@dataclass
class EvacuationInstance:
    """Who moves from where to where over which links. Indices refer to ``node_ids`` / arcs.

    Arcs: ``arc_travel_time_s`` free-flow travel time, ``arc_capacity_per_h`` people who can
    enter the link per hour (0 = closed). Sources: ``source_people`` released from
    ``source_release_s`` uniformly over ``source_spread_s`` (0 = all at once). Sinks:
    ``sink_capacity`` people (``inf`` = unlimited). ``routes`` (optional, fixed routing only):
    per source an array of arc indices from the source to a sink, or None for the shortest.
    """

    node_ids: Sequence[str]
    arc_from: np.ndarray
    arc_to: np.ndarray
    arc_travel_time_s: np.ndarray
    arc_capacity_per_h: np.ndarray
    source_node: np.ndarray
    source_people: np.ndarray
    source_release_s: np.ndarray
    sink_node: np.ndarray
    sink_capacity: np.ndarray
    # None (the default) means all at once: __post_init__ makes it zeros, so after construction it is an array
    source_spread_s: np.ndarray = None  # type: ignore[assignment]
    routes: list[np.ndarray | None] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.node_ids, NodeNumbers):
            self.node_ids = [str(x) for x in self.node_ids]
        self.arc_from = np.asarray(self.arc_from, dtype=np.int64).reshape(-1)
        self.arc_to = np.asarray(self.arc_to, dtype=np.int64).reshape(-1)
        self.arc_travel_time_s = np.asarray(self.arc_travel_time_s, dtype=float).reshape(-1)
        self.arc_capacity_per_h = np.asarray(self.arc_capacity_per_h, dtype=float).reshape(-1)
        self.source_node = np.asarray(self.source_node, dtype=np.int64).reshape(-1)
        self.source_people = np.asarray(self.source_people, dtype=np.int64).reshape(-1)
        self.source_release_s = np.asarray(self.source_release_s, dtype=float).reshape(-1)
        if self.source_spread_s is None:
            self.source_spread_s = np.zeros(len(self.source_node))
        self.source_spread_s = np.asarray(self.source_spread_s, dtype=float).reshape(-1)
        self.sink_node = np.asarray(self.sink_node, dtype=np.int64).reshape(-1)
        cap = np.asarray(
            [np.inf if c is None else c for c in np.asarray(self.sink_capacity, dtype=object).reshape(-1)], dtype=float
        )
        self.sink_capacity = cap
        if self.routes is not None:
            self.routes = [None if r is None else np.asarray(r, dtype=np.int64).reshape(-1) for r in self.routes]

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    @property
    def n_arcs(self) -> int:
        return len(self.arc_from)

    @property
    def total_people(self) -> int:
        return int(self.source_people.sum())


@dataclass(frozen=True)
class Bottleneck:
    """A link where people queue: demand exceeded capacity for ``saturated_s`` seconds.

    ``max_delay_s`` is the time the longest queue needs to discharge at the link's capacity.
    """

    arc: int
    saturated_from_s: float
    saturated_until_s: float
    saturated_s: float
    max_queue_people: float
    max_delay_s: float


@dataclass(frozen=True)
class EvacuationResult:
    """Schedule of the move. Step ``k`` of the arrays covers ``[kΔ, (k+1)Δ)``.

    ``sink_arrivals[j, k]``: people reaching sink j during step k (whole people).
    ``arc_flows[a, k]``: people entering original arc a during step k (sparse, may be fractional
    for the queue model), mapped from the condensed network on first use: at national scale it holds tens of
    millions of entries, and the plan does not read it. ``objective_person_s`` (exact only): total arrival time of everyone,
    person-seconds, minimised; ``best_bound_person_s`` and ``gap`` come with it.
    """

    status: str
    method: Literal["exact", "queue"]
    routing: Routing
    time_step_s: float
    horizon_s: float
    clearance_s: float | None
    total_people: int
    arrived: int
    not_arrived: int
    sink_arrivals: np.ndarray
    arc_flows_of: Callable[[], sp.csr_array] = field(repr=False, compare=False)  # computes ``arc_flows``
    bottlenecks: list[Bottleneck] = field(default_factory=list)
    objective_person_s: float | None = None
    best_bound_person_s: float | None = None
    gap: float | None = None
    explanations: list[str] = field(default_factory=list)
    condensed_nodes: int = 0
    condensed_arcs: int = 0

    @cached_property
    def arc_flows(self) -> sp.csr_array:
        return self.arc_flows_of()

    @property
    def cleared(self) -> bool:
        return self.not_arrived == 0

    @property
    def n_steps(self) -> int:
        return int(self.sink_arrivals.shape[1])

    @property
    def step_end_s(self) -> np.ndarray:
        """Time by which people of each step have arrived, s."""
        return (np.arange(self.n_steps) + 1) * self.time_step_s


@dataclass
class _Core:
    """Method output on the (condensed) network, before mapping back to original arcs."""

    T: int
    arrivals: np.ndarray  # (k sinks, T) whole people
    flow_arc: np.ndarray  # COO over net arcs: arc, step, people
    flow_t: np.ndarray
    flow_val: np.ndarray
    jam_first: np.ndarray  # per net arc, -1 if never jammed
    jam_last: np.ndarray
    jam_steps: np.ndarray
    max_queue: np.ndarray
    status: str
    objective: float | None = None
    notes: list[str] = field(default_factory=list)
