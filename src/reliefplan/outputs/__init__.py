"""What a run writes: atomic files and plan.json (``files``), the plan's map layers (``layers``), GeoPackage and
HXL CSV exports (``export``), every product of a run in one place (``products``) and the offline HTML pages
(``report/``, with its templates and vendored JS).

May import: ``analysis``, ``pipeline`` and everything below. Never a face (cli, web).
"""
