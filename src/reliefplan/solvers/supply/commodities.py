"""Commodities from data (data/commodities.yaml + a standards profile): payloads, cargo mixes and per-person
needs, and the daily demand they give for the people present.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...scenario.supply_data import _commodities_yaml
from .model import Commodity

# --------------------------------------------------------------------------------------------
# Commodities from data (data/commodities.yaml + a standards profile)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommoditySpec:
    """A commodity with its per-person need resolved against a standards profile."""

    commodity: Commodity
    name: str
    need: str  # "daily" or "on_arrival" (owed until delivered)
    t_per_person: float  # t per person per day (daily) or per person arriving (on_arrival)
    source: str
    payload_source: str = ""


def cargo_figures(standards: Any, cargo: Any = None) -> tuple[dict[str, float], dict[str, str], float, str]:
    """(t per truck by commodity, their sources, kcal per kg of the food delivered, its source): the scenario's
    cargo block where it says so, else the profile (water by tanker at 1 t/m3, the rest at the truck payload,
    food at the ration basket's energy density). The needs table and the supply plan both use these."""
    raw = _commodities_yaml()
    v = standards.value
    declared = dict(getattr(cargo, "payload_t", None) or {})
    payload, sources = {}, {}
    for c in raw["commodities"]:
        cid = c["id"]
        if cid in declared:
            payload[cid] = float(declared[cid])
            sources[cid] = (
                (getattr(cargo, "payload_sources", None) or {}).get(cid)
                or getattr(cargo, "payload_source", "")
                or "ASSUMPTION: scenario.yaml cargo.payload_t, no source given"
            )
        else:
            key = c.get("payload_from", "truck_payload_t")
            payload[cid] = float(v(key))
            sources[cid] = standards.cite(key)
    kcal = getattr(cargo, "food_kcal_per_kg", None)
    if kcal:
        food_src = getattr(cargo, "food_source", "") or "scenario.yaml cargo (food delivered)"
    else:
        kcal = standards.ration_basket.kcal_per_kg
        food_src = f"ration basket '{standards.ration_basket.name}' ({standards.ration_basket.source})"
    return payload, sources, float(kcal), food_src


def load_commodities(
    standards: Any, *, kcal_per_person_day: float | None = None, cargo: Any = None
) -> list[CommoditySpec]:
    """Resolve ``data/commodities.yaml`` against a ``standards.Standards`` profile (its overrides apply) and a
    scenario's cargo (t per truck by commodity, the energy density of the food delivered)."""
    raw = _commodities_yaml()
    v = standards.value
    basket = standards.ration_basket
    kcal = v("kcal_per_person_day") if kcal_per_person_day is None else kcal_per_person_day
    payload, pay_src, food_kcal_kg, food_src = cargo_figures(standards, cargo)
    out: list[CommoditySpec] = []
    for c in raw["commodities"]:
        cid = c["id"]
        if cid == "water":
            unit_t, per_person = 1.0, v("water_l_per_person_day") * 0.001
            src = f"{standards.cite('water_l_per_person_day')}; 1 t/m3"
        elif cid == "food":
            unit_t = basket.kg_per_person_day / 1000.0
            per_person = kcal / food_kcal_kg / 1000.0
            src = f"{kcal:,.0f} kcal/person/day at {food_kcal_kg:,.0f} kcal/kg ({food_src})"
        elif cid == "medical":
            unit_t = v("medical_kit_weight_kg") / 1000.0
            per_person = unit_t / v("medical_kit_people") / v("medical_kit_days")
            src = standards.cite("medical_kit_weight_kg")
        elif cid == "shelter_nfi":
            tents_pp = max(1.0 / v("household_size"), v("covered_area_m2_per_person") / v("tent_covered_area_m2"))
            kits_pp = v("nfi_kits_per_household") / v("household_size")
            unit_t = (v("tent_weight_kg") + v("nfi_kits_per_household") * v("nfi_kit_weight_kg")) / 1000.0
            per_person = (tents_pp * v("tent_weight_kg") + kits_pp * v("nfi_kit_weight_kg")) / 1000.0
            src = f"{standards.cite('tent_weight_kg')}; {standards.cite('nfi_kit_weight_kg')}"
        else:  # a commodity added to the file with plain figures
            unit_t = float(c["unit_weight_t"])
            per_person = float(c.get("t_per_person_day", 0.0))
            src = str(c.get("source", ""))
        need = c.get("need", "daily")
        out.append(
            CommoditySpec(
                commodity=Commodity(
                    id=cid,
                    priority=float(c["priority"]),
                    unit_weight_t=unit_t,
                    unit=c.get("unit"),
                    unit_volume_m3=c.get("unit_volume_m3"),
                    payload_t=payload[cid],
                    carry_over=need == "on_arrival",
                ),
                name=c.get("name", cid),
                need=need,
                t_per_person=per_person,
                source=src,
                payload_source=pay_src[cid],
            )
        )
    return out


def demand_from_people(
    people_by_day: np.ndarray, specs: Sequence[CommoditySpec], residents: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Site demand (t/day, [sites, days]) from people present per site and day (arrival curves).

    Daily commodities scale with the people present; on-arrival items (tents, kits) are needed on
    the day people arrive (the increase over the previous day; everyone present on day 0 arrives then).
    residents: people already living at each site, present every day; they need the daily commodities
    but arrive with their shelter.
    """
    people = np.asarray(people_by_day, dtype=float)
    arrivals = np.diff(people, axis=-1, prepend=0.0).clip(min=0.0)
    daily = people if residents is None else people + np.asarray(residents, dtype=float)[:, None]
    return {s.commodity.id: (daily if s.need == "daily" else arrivals) * s.t_per_person for s in specs}
