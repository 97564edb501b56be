"""reliefplan: plan the evacuation, sheltering and supply of a displaced population, and say whether it holds."""

import os as _os

# Our array work is many small vector operations: OpenBLAS's extra threads only spin-wait between them and take
# a core from the other ensemble worker (2 workers went from 1.7x to 2.0x one; siting used 2 CPU-seconds per
# second for the same wall time). Effective when numpy is not loaded yet; a user's own setting wins. Ensemble
# workers (Dask ones may load numpy first) also limit it with threadpoolctl.
_os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from typing import TYPE_CHECKING

from ._errors import InputError, Problem, ReliefplanError, SolverError

# The public API loads on first use, so `import reliefplan.cli` (and `reliefplan --help`) does not pull in the
# whole pipeline with scipy, shapely, pyproj and pyogrio.
_LAZY = {
    "compare": "analysis.compare",
    "make_plan": "pipeline",
    "Plan": "plan",
    "Scenario": "scenario.folder",
    "list_scenarios": "scenario.folder",
    "load_scenario": "scenario.folder",
    "Standards": "standards",
    "load_standards": "standards",
}

if TYPE_CHECKING:
    from .analysis.compare import compare
    from .pipeline import make_plan
    from .plan import Plan
    from .scenario.folder import Scenario, list_scenarios, load_scenario
    from .standards import Standards, load_standards


def __getattr__(name: str):
    if name == "__version__":  # the installed distribution's version
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("reliefplan")
        except PackageNotFoundError:  # running from a source tree without install
            return "0+unknown"
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "InputError",
    "Problem",
    "ReliefplanError",
    "SolverError",
    "Plan",
    "Scenario",
    "Standards",
    "compare",
    "list_scenarios",
    "load_scenario",
    "load_standards",
    "make_plan",
]
