"""Command-line interface (Typer + Rich): thin over the library. ``reliefplan.cli:app`` is the entry point.

The package: ``_common`` (the app, its consoles, errors for people, the files a run wrote), ``plans`` (plan,
compare, ensemble, assess), ``inputs`` (standards, scenarios, schema, init), ``solvers`` (the standalone solvers
on their JSON instances) and ``serve`` (the web service). Every command is registered below, in the order
``reliefplan --help`` lists them. Heavy modules are imported inside each command, so that ``reliefplan --help``
starts without scipy, shapely or pyproj. A new command: a function in the module of its face, registered here.
"""

from . import inputs, plans, serve, solvers
from ._common import MAX_RUNS, _outcome, app, console, err_console, fail, standards_app

app.command()(plans.plan)
standards_app.command("show")(inputs.standards_show)
app.command("compare")(plans.compare_cmd)
app.command()(inputs.schema)
app.command("scenarios")(inputs.scenarios_cmd)
app.command("init")(inputs.init_cmd)
app.command("travel-times")(solvers.travel_times_cmd)
app.command("solve-evacuation")(solvers.solve_evacuation_cmd)
app.command("solve-supply")(solvers.solve_supply_cmd)
app.command("layout")(solvers.layout_cmd)
app.command("solve-siting")(solvers.solve_siting_cmd)
app.command("ensemble")(plans.ensemble_cmd)
app.command("serve")(serve.serve_cmd)
app.command("assess")(plans.assess_cmd)
app.command("solve-routing")(solvers.solve_routing_cmd)

__all__ = ["MAX_RUNS", "_outcome", "app", "console", "err_console", "fail", "standards_app"]
