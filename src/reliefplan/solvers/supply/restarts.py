"""Warm or cold: whether an ensemble worker's next member restarts its supply LP from the last member's optimum or
solves it cold, as the worker's first member did, by which of the two has cost this worker less.

A warm restart pays where the members' optima lie close together (Rafah `full`: 0.3-0.4 s against 4-5 s cold) and
loses where they do not (`staged-orders-2024`: warm 1.5-7.8 s, median 4.7 s, against about 3 s cold: the draws move
people, departure days and road capacity, so most of the LP's bounds differ member to member). The cost is the
thread's CPU seconds of the whole `solve_supply`, model build and truckload solve included: simplex iterations do
not compare the two paths (a cold solve runs presolve and dual steepest edge on a fresh model, a warm one Devex on
the kept unpresolved model: other costs per iteration, and the staged-orders LP's iterations cost 3x the declared
scenario's at the same count), and CPU seconds of one thread leave out the waiting that a shared machine adds to
wall time. Neighbouring members share the load, so a warm and a cold cost measured minutes apart compare fairly;
the medians absorb the rest (docs/supply.md, "A worker's members solve warm or cold by what each has cost").
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

#: Warm members whose median CPU is compared with the cold solves' median: three, so that one member far from its
#: predecessor (the first warm ones after a worker's cold start pay about a cold solve) does not switch a worker
#: whose other restarts are cheap (Rafah `full` members 1-3: 5.23, 0.73, 1.42 s warm)
WARM_WINDOW = 3

#: Cold solves whose median is the reference (the worker's first member's, then those of its cold members)
COLD_WINDOW = 3

#: Cold members before a worker on the cold path tries one warm restart again (the draws may have moved closer);
#: doubled after each probe that loses, up to `PROBE_AFTER_MAX`, so a worker that keeps losing warm pays a probe
#: ever more rarely
PROBE_AFTER = 4
PROBE_AFTER_MAX = 32

#: CPU seconds by which warm must lose before a worker switches (a small LP's solves take milliseconds, where a
#: garbage collection in the thread decides; the Rafah LPs' paths differ by seconds)
NOISE_S = 0.05


@dataclass
class Restarts:
    """A worker's record of its supply LP solves of one structure (CPU s, the last few of each path) and the path
    its next member takes. `next_warm` says it; `record` adds a solve that ended at an optimum."""

    warm_s: list[float] = field(default_factory=list)
    cold_s: list[float] = field(default_factory=list)
    cold: bool = False  # warm restarts kept losing: members solve cold
    cold_since: int = 0  # cold members since the switch or the last probe
    probe_after: int = field(default_factory=lambda: PROBE_AFTER)

    def next_warm(self) -> bool:
        """Whether the next member restarts warm: on the warm path, or as a probe after `probe_after` cold ones."""
        return not self.cold or self.cold_since >= self.probe_after

    def record(self, warm: bool, cpu_s: float) -> None:
        """Add a solve's cost and switch path: to cold when the median of the last `WARM_WINDOW` warm solves is above
        the median of the last cold ones by more than `NOISE_S`; back to warm when a probe costs no more than that."""
        if not warm:
            self.cold_s = [*self.cold_s, cpu_s][-COLD_WINDOW:]
            if self.cold:
                self.cold_since += 1
            return
        self.warm_s = [*self.warm_s, cpu_s][-WARM_WINDOW:]
        if not self.cold_s:  # nothing to compare with (the cold solve stopped without an optimum)
            return
        cold_s = statistics.median(self.cold_s)
        if self.cold:  # a probe
            if cpu_s <= cold_s + NOISE_S:
                self.cold, self.warm_s, self.probe_after = False, [cpu_s], PROBE_AFTER
            else:
                self.cold_since, self.probe_after = 0, min(2 * self.probe_after, PROBE_AFTER_MAX)
        elif len(self.warm_s) == WARM_WINDOW and statistics.median(self.warm_s) > cold_s + NOISE_S:
            self.cold, self.cold_since = True, 0
