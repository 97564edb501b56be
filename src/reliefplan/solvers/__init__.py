"""Standalone solvers, each usable on its own (with a JSON instance and a CLI command where it has one):
road networks and travel times, shelter siting (``siting`` with its CFLP internals in ``cflp/``), evacuation
timing and movement over days, camp layout, multi-day supply, sustainment, last-mile routing, distribution
points, hubs, fuel, seasons and health.

May import: ``scenario`` (readers and input types), ``standards`` and the core (``_errors``, ``geo``,
``_rounding``). Never a stage, the pipeline, an analysis or a writer: solvers do not write files.
"""
