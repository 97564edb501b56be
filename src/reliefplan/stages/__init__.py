"""The plan's steps, each applying a solver to a scenario: displacement, needs, capacity, travel, allocation,
overflow, camps, movement (or orders: the move over days), presence, deliveries, verdict. ``pipeline.py`` runs
them in order.

Stages neither read files nor print. May import: ``plan`` (result models), ``solvers``, ``scenario``,
``standards`` and the core. Never the pipeline, an analysis or a writer.
"""
