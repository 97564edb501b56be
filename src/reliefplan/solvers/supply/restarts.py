"""Warm or cold: whether an ensemble worker's next member restarts its supply LP from the last member's optimum or
solves it cold, as the worker's first member did, by which of the two has cost this worker less.

A warm restart pays where the members' optima lie close together (Rafah `full`: 0.2-0.8 s against 3.1 s cold) and
loses where they do not (`staged-orders-2024`: warm 1.6-10.1 s, median 3.9 s, against 1.5-4.3 s cold: the draws
move people, departure days and road capacity, so most of the LP's bounds differ member to member). The cost is the
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

#: Warm solves judged together: a worker leaves the warm path when `WARM_LOSSES` of its last `WARM_WINDOW` warm
#: solves cost more than the cold median (two of three: the median of three, decided after two if both lose). One
#: loss is not enough: the first warm restart after a cold solve pays about a cold solve even where warm pays
#: (Rafah `full`, members 1-3: 4.02, 0.55, 0.77 s warm against 3.12 s cold)
WARM_WINDOW = 3
WARM_LOSSES = 2

#: Cold solves whose median is the reference (the worker's first member's, then those of its cold members)
COLD_WINDOW = 3

#: Cold members before a worker on the cold path tries the warm path again (the draws may have moved closer), judged
#: afresh by the rule above; doubled each time such a probe loses within its first `WARM_WINDOW` warm solves, up to
#: `PROBE_AFTER_MAX`, so a worker that keeps losing warm pays a probe ever more rarely
PROBE_AFTER = 4
PROBE_AFTER_MAX = 32

#: CPU seconds by which a warm solve must cost more than the cold median to count as a loss (a small LP's solves
#: take milliseconds, where a garbage collection in the thread decides; the Rafah LPs' paths differ by seconds)
NOISE_S = 0.05


@dataclass
class Restarts:
    """A worker's record of its supply LP solves of one structure (CPU s, the last few of each path) and the path
    its next member takes. `next_warm` says it; `record` adds a solve that ended at an optimum."""

    warm_s: list[float] = field(default_factory=list)  # the current warm stretch's last solves
    cold_s: list[float] = field(default_factory=list)
    cold: bool = False  # warm restarts lost: members solve cold
    cold_since: int = 0  # cold members since the switch to cold
    warm_run: int = 0  # warm solves since the switch to warm
    probing: bool = False  # the warm stretch is a probe (not the worker's first)
    probe_after: int = field(default_factory=lambda: PROBE_AFTER)

    def next_warm(self) -> bool:
        """Whether the next member restarts warm."""
        return not self.cold

    def record(self, warm: bool, cpu_s: float) -> None:
        """Add a solve's cost and switch path: to cold when `WARM_LOSSES` of the last `WARM_WINDOW` warm solves cost
        more than the median of the last cold ones by more than `NOISE_S`; to warm again (a probe) after
        `probe_after` cold members."""
        if not warm:
            self.cold_s = [*self.cold_s, cpu_s][-COLD_WINDOW:]
            if self.cold:
                self.cold_since += 1
                if self.cold_since >= self.probe_after:
                    self.cold, self.warm_s, self.warm_run, self.probing = False, [], 0, True
            return
        self.warm_s = [*self.warm_s, cpu_s][-WARM_WINDOW:]
        self.warm_run += 1
        if not self.cold_s:  # nothing to compare with (the cold solve stopped without an optimum)
            return
        limit = statistics.median(self.cold_s) + NOISE_S
        if sum(w > limit for w in self.warm_s) >= WARM_LOSSES:
            lost_probe = self.probing and self.warm_run <= WARM_WINDOW
            self.probe_after = min(2 * self.probe_after, PROBE_AFTER_MAX) if lost_probe else PROBE_AFTER
            self.cold, self.cold_since, self.probing = True, 0, False
