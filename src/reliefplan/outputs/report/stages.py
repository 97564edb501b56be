"""The optional stages of a plan as a planner reads them, one module per family: `evacuation`, `supply` (and
sustainment), `layouts`, `movement`; `settlement` and `phases` add theirs in `views.sections`. Figures and tables in
words with units, charts with titles and axes in words, solver notes in plain words with the technical note beside
them. The full detail stays in plan.json and the CSV tables; a stage not known here is shown by the generic
`views.section_view`. What a stage view holds: `blocks`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...plan import Plan
from .evacuation import evacuation_view
from .layouts import layout_view
from .movement import movement_view
from .supply import supply_view, sustain_view

#: plan section -> its view (a section not named here: `views.section_view`)
STAGE_VIEWS: dict[str, Callable[[Plan, Any], dict[str, Any]]] = {
    "evacuation": evacuation_view,
    "supply": supply_view,
    "sustain": sustain_view,
    "layout": layout_view,
    "movement": movement_view,
}
