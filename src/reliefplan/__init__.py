"""reliefplan: plan the evacuation, sheltering and supply of a displaced population, and say whether it holds."""

from ._errors import InputError, Problem, ReliefplanError, SolverError
from .compare import compare
from .pipeline import make_plan
from .plan import Plan
from .scenario import Scenario, list_scenarios, load_scenario
from .standards import Standards, load_standards

__all__ = [
    "InputError", "Problem", "ReliefplanError", "SolverError", "Plan", "Scenario", "Standards",
    "compare", "list_scenarios", "load_scenario", "load_standards", "make_plan",
]
