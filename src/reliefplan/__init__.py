"""reliefplan: plan the evacuation, sheltering and supply of a displaced population, and say whether it holds."""

import os as _os

# Our array work is many small vector operations: OpenBLAS's extra threads only spin-wait between them and take
# a core from the other ensemble worker (2 workers went from 1.7x to 2.0x one; siting used 2 CPU-seconds per
# second for the same wall time). Effective when numpy is not loaded yet; a user's own setting wins. Ensemble
# workers (Dask ones may load numpy first) also limit it with threadpoolctl.
_os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from ._errors import InputError, Problem, ReliefplanError, SolverError
from .analysis.compare import compare
from .pipeline import make_plan
from .plan import Plan
from .scenario.folder import Scenario, list_scenarios, load_scenario
from .standards import Standards, load_standards

__all__ = [
    "InputError", "Problem", "ReliefplanError", "SolverError", "Plan", "Scenario", "Standards",
    "compare", "list_scenarios", "load_scenario", "load_standards", "make_plan",
]
