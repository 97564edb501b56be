"""The input: scenario models and the folder loader (``folder``), layer and data-file readers, road and closure
files, assistance-package and uncertainty specs, the movement block (evacuation orders over days, ``movement``),
the ground under candidate sites, and ``reliefplan init``.

Everything that reads input lives here. May import: standards, plan-free core (``_errors``, ``geo``,
``_rounding``). Never a solver, a stage or a writer.
"""
