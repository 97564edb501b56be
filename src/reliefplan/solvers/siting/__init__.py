"""Shelter siting and allocation: capacitated facility location, solved with a proven bound.

Clients are origin zones (demand = people), facilities are candidate sites (capacity = people).
``cost[i, j]`` is the cost of serving ALL of client i's demand from facility j (the classic CFLP
convention; the pipeline passes travel_time_s x people), so sending a fraction of the demand pays that
fraction of the cost. The optimiser decides which sites to open (when there are opening costs or
open-count limits) and who goes where; it always reports status, objective, best bound and gap.

- No opening decisions (all fixed costs 0, no open-count limits, not single-source): the problem is a
  transportation problem, solved exactly with OR-Tools min-cost flow in whole people.
- Small instances: the LP relaxation of the strong formulation (HiGHS); when it is integral it is
  the proven optimum, otherwise the strong MILP in HiGHS.
- Otherwise: a Lagrangian relaxation (bound + primal open sets), min-cost-flow allocation of those
  open sets, a drop/add/swap local search, then the strong MILP in HiGHS warm-started with the best
  plan (on large instances a relaxed MILP over each client's cheapest sites, see `solve_siting`).

The package: ``instance`` (the instance and result types, validation, the standalone JSON format), ``solve``
(``solve_siting``: active arcs, presolve, transportation, the result), ``search`` (the search over open sets) and
``allocate`` (a plan on the active arcs, the greedy single-source allocation to an open set);
the CFLP internals it uses are in ``solvers/cflp/``.
"""

from .instance import (
    DEFAULT_UNMET_FACTOR,
    ArcCosts,
    SitingInstance,
    SitingResult,
    default_unmet_penalty,
    instance_from_json,
    instance_problems,
    read_instance_file,
    result_to_json,
    validate_instance,
)
from .solve import solve_siting

__all__ = [
    "DEFAULT_UNMET_FACTOR",
    "ArcCosts",
    "SitingInstance",
    "SitingResult",
    "default_unmet_penalty",
    "instance_from_json",
    "instance_problems",
    "read_instance_file",
    "result_to_json",
    "solve_siting",
    "validate_instance",
]
