"""The example's key plan figures, to prove a change leaves the plan's behaviour unchanged.

``python tests/key_figures.py out/rafah-2024/full/plan.json`` prints them for a plan.json; the stored figures
(``tests/data/example_key_figures.json``, made before the code moved into folders) are checked by
``test_example_plan.py``.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def key_figures(plan: dict[str, Any]) -> dict[str, Any]:
    """People by group, sheltered/unsheltered, sites opened, clearance, shortfalls per commodity, trucks."""
    ev = plan.get("evacuation") or {}
    sup = plan.get("supply") or {}
    sus = plan.get("sustain") or {}
    return {
        "people": plan["people"],
        "groups": {
            g["group"]: {k: g[k] for k in ("people_max", "people_last_day", "met_share", "first_shortfall_day")}
            for g in (plan.get("groups") or {}).get("summary", [])
        },
        "sites_opened": sorted(plan["siting"]["open_sites"]),
        "siting_status": plan["siting"]["status"],
        "clearance_hours": ev.get("clearance_hours"),
        "evacuation_arrived": ev.get("arrived"),
        "evacuation_not_arrived": ev.get("not_arrived"),
        "supply_status": sup.get("status"),
        "supply_shortfall_t": sup.get("shortfall_t"),
        "supply_first_shortfall_day": sup.get("first_shortfall_day"),
        "sustain_shortfall_t": sus.get("shortfall_t"),
        "truckloads": (sup.get("objective") or {}).get("truckloads"),
        "fleet_trucks": sup.get("fleet_trucks"),
        "verdict_failed": sorted({v["indicator"] for v in plan["verdict"] if v["met"] is False}),
    }


if __name__ == "__main__":
    print(
        json.dumps(
            {p: key_figures(json.loads(open(p, encoding="utf-8").read())) for p in sys.argv[1:]},
            indent=1,
            sort_keys=True,
        )
    )
