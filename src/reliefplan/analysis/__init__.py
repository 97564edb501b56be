"""Analyses built on whole plans: scenario comparison (``compare``), uncertainty ensembles (``ensemble``, with
member sampling in ``sampling``), assistance packages applied to a scenario (``packages``) and assessed against
operation scenarios (``assess``).

May import: ``pipeline`` and everything below it (stages, plan, solvers, scenario, standards, core). Never a
writer or a face.
"""
