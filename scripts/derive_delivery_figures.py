"""Re-derive the COGAT-based figures of src/reliefplan/data/delivery.yaml from the shared aid data.

    python scripts/derive_delivery_figures.py [--shared PATH]

Reads ../shared/data/aid/cogat_gaza_aid_consignments_2023-10-21_2024-09-17.csv (relative to the
repository root by default) and prints each derived figure next to the value in delivery.yaml. The
test suite runs `derive` and compares (tests/test_delivery_data.py).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
COGAT = "aid/cogat_gaza_aid_consignments_2023-10-21_2024-09-17.csv"
LAND_CLASSES = {
    "food": "Food",
    "water": "Water",
    "medical": "Medical Supplies",
    "shelter": "Shelter Equipment",
    "mixed": "Combined Aid",
    "fuel": "Fuel",
    "cooking_gas": "Gas",
}
PIER_FROM, PIER_TO = dt.date(2024, 5, 17), dt.date(2024, 7, 17)
PIER_ANCHORED = dt.date(2024, 5, 17)  # first day with deliveries; anchored to the beach on 16-17 May
LSHTM_DROPS = "aid/lshtm_gaza_food_data_csv/boats_airdrops.csv"
MEAL_KG = 0.227  # a meal ready to eat weighs about half a pound (CSIS, Cancian 2024)


def _date(s: str) -> dt.date:
    return dt.datetime.strptime(s.replace("Sept", "Sep"), "%d %b %Y").date()


def _spells(days: list[dt.date], first: dt.date, last: dt.date) -> tuple[list[int], list[int]]:
    """Lengths of the runs of consecutive operating days and of the gaps between them, first..last."""
    on = {d for d in days}
    runs: list[tuple[bool, int]] = []
    d = first
    while d <= last:
        state = d in on
        if runs and runs[-1][0] == state:
            runs[-1] = (state, runs[-1][1] + 1)
        else:
            runs.append((state, 1))
        d += dt.timedelta(days=1)
    return [n for s, n in runs if s], [n for s, n in runs if not s]


def derive(shared_data: Path) -> dict[str, Any]:
    """The derived figures by their delivery.yaml path (medians, sums, shares)."""
    rows = list(csv.DictReader((shared_data / COGAT).open(encoding="utf-8")))
    for r in rows:
        r["t"] = None if r["Aid (tons)"] in ("-", "") else float(r["Aid (tons)"])
        r["d"] = _date(r["Date"])
    out: dict[str, Any] = {}
    land = [r for r in rows if r["Route"] == "Land Crossings" and r["t"] is not None]
    for key, cls in LAND_CLASSES.items():
        t = [r["t"] for r in land if r["Classification"] == cls]
        out[f"entry_modes.land.payload_t_per_truck.{key}"] = {
            "median": statistics.median(t),
            "mean": round(statistics.mean(t), 2),
            "records": len(t),
        }
    pier = [
        r for r in rows if r["Route"].startswith("Maritime") and PIER_FROM <= r["d"] <= PIER_TO and r["t"] is not None
    ]
    days = {r["d"] for r in pier if r["t"] > 0}
    tonnes = sum(r["t"] for r in pier)
    out["entry_modes.sea.pier_2024_days_operated"] = len(days)
    out["entry_modes.sea.pier_2024_tonnes_cogat"] = tonnes
    out["entry_modes.sea.pier_2024_t_per_day_operated"] = round(tonnes / len(days))
    out["entry_modes.sea.pier_2024_t_per_record"] = round(tonnes / len(pier), 1)
    up, down = _spells(sorted(days), PIER_ANCHORED, PIER_TO)
    out["entry_modes.sea.pier_2024_spells"] = {"operating_days": up, "down_days": down}
    total = sum(r["t"] for r in rows if r["t"] is not None)
    air = [r for r in rows if r["Route"].startswith("Aerial") and r["t"] is not None]
    out["entry_modes.air.tonnes_cogat"] = round(sum(r["t"] for r in air))
    out["entry_modes.air.share_of_tonnage_all"] = round(sum(r["t"] for r in air) / total, 4)
    by_month: dict[str, float] = defaultdict(float)
    air_month: dict[str, float] = defaultdict(float)
    fuel_month: dict[str, float] = defaultdict(float)
    for r in rows:
        if r["t"] is None:
            continue
        m = r["d"].strftime("%Y-%m")
        by_month[m] += r["t"]
        if r["Route"].startswith("Aerial"):
            air_month[m] += r["t"]
        if r["Route"] == "Land Crossings" and r["Classification"] == "Fuel":
            fuel_month[m] += r["t"]
    out["entry_modes.air.share_of_tonnage_peak_month"] = round(max(air_month[m] / by_month[m] for m in air_month), 4)
    out["fuel.cogat_fuel_t_by_month"] = {m: round(v) for m, v in sorted(fuel_month.items())}
    drops = [r for r in csv.DictReader((shared_data / LSHTM_DROPS).open(encoding="utf-8")) if r["route"] == "air"]
    kg = sum(float(r["kg"]) for r in drops if r["unit"].strip() in ("MT", "lbs"))
    meals = sum(float(r["units"]) for r in drops if r["unit"].strip() == "meals")
    out["entry_modes.air.tonnes_lshtm"] = round((kg + meals * MEAL_KG) / 1000)
    out["entry_modes.air.lshtm_events"] = len(drops)
    return out


def main() -> None:
    import yaml

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    args = ap.parse_args()
    data = yaml.safe_load((REPO / "src" / "reliefplan" / "data" / "delivery.yaml").read_text(encoding="utf-8"))
    for path, value in derive(args.shared).items():
        node: Any = data
        for part in path.split("."):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        print(f"{path}: derived {value}  |  delivery.yaml {node.get('value') if isinstance(node, dict) else node}")


if __name__ == "__main__":
    main()
