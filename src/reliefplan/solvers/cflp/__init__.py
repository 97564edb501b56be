"""Internals of ``solvers.siting``: the capacitated facility-location problem's transportation solves
(``flow``), Lagrangian bound (``lagrange``), branch-and-bound (``bnb``) and MILP (``mip``).

May import: other ``solvers`` helpers (``_highs``) and the core. Never ``siting`` itself.
"""
