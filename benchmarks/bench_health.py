"""Health layer at the issue's size: 200 groups x 180 days x 50 parameter draws (and the wear functions).

Run: `python -m benchmarks.bench_health`. Prints wall and CPU time (on a shared machine wall time mostly
measures the neighbours) and the ratio to a 20-group baseline run first in the same process.
Target: the 200-group projection well under 1 s CPU on 2 cores.
"""

from __future__ import annotations

import time

import numpy as np

from reliefplan.solvers.health import HealthInputs, project_health
from reliefplan.solvers.seasons import tent_replacements


def make_inputs(n_groups: int, days: int = 180, seed: int = 1) -> HealthInputs:
    """Groups between 40 % and 110 % of their energy requirement, with noisy water, latrines and space."""
    rng = np.random.default_rng(seed)
    share = np.clip(rng.uniform(0.4, 1.1, (n_groups, 1)) + rng.normal(0, 0.05, (n_groups, days)), 0, None)
    return HealthInputs(
        group_ids=[f"g{i}" for i in range(n_groups)],
        people=rng.integers(1_000, 20_000, n_groups).astype(float),
        intake_share_of_requirement=share,
        water_l_per_person_day=rng.uniform(3, 60, (n_groups, days)),
        people_per_latrine=rng.uniform(5, 200, (n_groups, days)),
        covered_m2_per_person=rng.uniform(1, 4, (n_groups, days)),
        under5_share=np.full(n_groups, 0.15),
        adult_share=np.full(n_groups, 0.5),
    )


def timed(label: str, fn) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"  {label}: {wall:.3f} s wall, {cpu:.3f} s CPU", flush=True)
    return wall, cpu


def main() -> None:
    project_health(make_inputs(5, 10), n_draws=5)  # imports and caches out of the timing
    small = make_inputs(20)
    big = make_inputs(200)
    _, base_cpu = timed("baseline: 20 groups x 180 days x 50 draws", lambda: project_health(small, n_draws=50))
    _, cpu = timed("200 groups x 180 days x 50 draws", lambda: project_health(big, n_draws=50))
    timed("200 groups x 180 days, central run (no draws)", lambda: project_health(big, n_draws=0))
    issued = np.zeros((200, 365))
    issued[:, 0] = 5_000
    timed("tent renewals, 200 sites x 365 days", lambda: tent_replacements(issued, 300, 3.0))
    print(f"  ratio 200/20 groups (CPU): {cpu / base_cpu:.1f}x; target < 1 s CPU: {'met' if cpu < 1.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
