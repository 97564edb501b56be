"""The input: scenario models (``config`` for scenario.yaml, ``model`` for the loaded scenario) and the folder
loader (``folder``, with ``_layer_readers``, ``_tables``, ``_checks``, ``_fields``), layer and data-file readers,
road and closure files, assistance-package and uncertainty specs, the movement block (evacuation orders over days,
``movement``), the ground under candidate sites, and ``reliefplan init`` (``scaffold``, ``init_inputs``).

Everything that reads input lives here. May import: standards, plan-free core (``_errors``, ``geo``,
``_rounding``). Never a solver, a stage or a writer.
"""
