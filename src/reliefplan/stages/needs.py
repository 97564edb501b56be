"""Requirements from people x standards: daily flows and infrastructure counts."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import TypeAdapter

from ..plan import Needs
from ..scenario.folder import CargoSpec, PopulationStructure
from ..standards import Standards
from ..solvers.supply import cargo_figures


def energy_kcal_per_person_day(standards: Standards, structure: PopulationStructure | None) -> float:
    """Mean energy requirement (kcal/person/day): age/sex-weighted when a structure is given, else the profile figure."""
    if structure is None or not structure.bands:
        return standards.value("kcal_per_person_day")
    table = {b.age.strip(): b for b in standards.energy_requirements.bands}
    kcal = 0.0
    for band in structure.bands:
        req = table.get(band.age.strip())
        if req is None:
            raise KeyError(band.age)
        kcal += band.male * req.male + band.female * req.female
    extra = standards.energy_requirements.extra_kcal
    kcal += structure.pregnant * extra.get("pregnant", 0.0) + structure.lactating * extra.get("lactating", 0.0)
    return kcal


def _split_female(total: int, female_share: float) -> tuple[int, int]:
    female = math.ceil(total * female_share - 1e-9)
    return female, total - female


def compute_needs(
    people: int,
    standards: Standards,
    *,
    household_size: float,
    kcal_per_person_day: float | None = None,
    cargo: CargoSpec | None = None,
    food_mix: Sequence[Mapping[str, float | str]] | None = None,
) -> Needs:
    """Daily needs and facility counts for `people` under `standards`.

    Counts are rounded up (a fraction of a latrine is a latrine); flows stay fractional. Food is the energy need at
    the energy density of the food delivered (the scenario's cargo, else the profile's basket); truckloads use the
    payload per commodity the supply plan uses (`supply.cargo_figures`).
    """
    return needs_for(
        [people],
        standards,
        household_size=household_size,
        kcal_per_person_day=kcal_per_person_day,
        cargo=cargo,
        food_mix=food_mix,
    )[0]


_NEEDS = TypeAdapter(list[Needs])


# The standards figures a site's needs are read from (looked up once for all sites).
_FIGURE_KEYS = (
    "covered_area_m2_per_person",
    "tent_covered_area_m2",
    "people_per_latrine_acute",
    "latrine_female_share",
    "medical_kit_people",
    "medical_kit_days",
    "medical_kit_weight_kg",
    "water_l_per_person_day",
    "survival_water_l_per_person_day",
    "tent_weight_kg",
    "nfi_kits_per_household",
    "nfi_kit_weight_kg",
    "site_area_m2_per_person",
    "people_per_latrine",
    "people_per_tap",
    "people_per_health_post",
    "people_per_health_centre",
    "people_per_hospital",
    "beds_per_10000",
    "health_workers_per_10000",
    "people_per_distribution_point",
)


def needs_for(
    people: Sequence[int],
    standards: Standards,
    *,
    household_size: float,
    kcal_per_person_day: float | None = None,
    cargo: CargoSpec | None = None,
    food_mix: Sequence[Mapping[str, float | str]] | None = None,
) -> list[Needs]:
    """`compute_needs` of each head count in ``people`` (a plan's ~100 sites): the standards' figures and the food
    basket's shares looked up once, and every Needs, with its basket lines, validated in one call (a site's 67
    basket lines built one by one were most of a plan's per-site figures)."""
    v = standards.value
    kcal_pp = v("kcal_per_person_day") if kcal_per_person_day is None else kcal_per_person_day
    basket = standards.ration_basket
    payload, _, food_kcal_kg, _ = cargo_figures(standards, cargo)
    food_kg_pp = kcal_pp / food_kcal_kg  # the food delivered, enough to meet the energy requirement
    scale = food_kg_pp / basket.kg_per_person_day
    if food_mix:  # the mix delivered, by weight
        total_t = sum(float(r["t"]) for r in food_mix)  # rows of cargo.food_mix_file: item, t, kcal_per_kg
        mix = [(str(r["item"]), float(r["t"])) for r in food_mix]
    else:
        items = [(i.item, i.g_per_person_day) for i in basket.items]
    fig = {k: v(k) for k in _FIGURE_KEYS}
    out = []
    for people_n in people:
        n = int(people_n)
        households = math.ceil(n / household_size - 1e-9)
        # A household cannot share a tent with another: at least one tent each, and enough tents for the covered area.
        tents = max(households, math.ceil(n * fig["covered_area_m2_per_person"] / fig["tent_covered_area_m2"] - 1e-9))
        if food_mix:
            lines = [{"item": item, "kg_per_day": n * food_kg_pp * t / total_t} for item, t in mix]
        else:
            lines = [{"item": item, "kg_per_day": n * g / 1000.0 * scale} for item, g in items]
        out.append(_row(n, households, tents, lines, fig, kcal_pp, food_kg_pp, food_kcal_kg, payload))
    return _NEEDS.validate_python(out)


def _row(
    n: int,
    households: int,
    tents: int,
    lines: list[dict[str, Any]],
    fig: dict[str, float],
    kcal_pp: float,
    food_kg_pp: float,
    food_kcal_kg: float,
    payload: dict[str, float],
) -> dict[str, Any]:
    """One head count's Needs fields (units in the model), from the standards' figures ``fig``."""
    latrines = math.ceil(n / fig["people_per_latrine_acute"] - 1e-9)
    lat_f, lat_m = _split_female(latrines, fig["latrine_female_share"])
    medical_kits = n / fig["medical_kit_people"] / fig["medical_kit_days"]
    medical_kg = medical_kits * fig["medical_kit_weight_kg"]
    food_kg = n * food_kg_pp
    water_l = n * fig["water_l_per_person_day"]

    def per(key: str, n: int = n) -> int:
        return math.ceil(n / fig[key] - 1e-9)

    shelter_kg = tents * fig["tent_weight_kg"] + households * fig["nfi_kits_per_household"] * fig["nfi_kit_weight_kg"]
    return {
        "people": n,
        "water_l_per_day": water_l,
        "survival_water_l_per_day": n * fig["survival_water_l_per_person_day"],
        "kcal_per_person_day": kcal_pp,
        "kcal_per_day": n * kcal_pp,
        "food_kg_per_day": food_kg,
        "food_kcal_per_kg": food_kcal_kg,
        "basket": lines,
        "medical_kits_per_day": medical_kits,
        "medical_kg_per_day": medical_kg,
        "households": households,
        "tents": tents,
        "nfi_kits": math.ceil(households * fig["nfi_kits_per_household"] - 1e-9),
        "shelter_items_kg": shelter_kg,
        "covered_area_m2": n * fig["covered_area_m2_per_person"],
        "site_area_m2": n * fig["site_area_m2_per_person"],
        "latrines": latrines,
        "latrines_female": lat_f,
        "latrines_male": lat_m,
        "latrines_medium_term": per("people_per_latrine"),
        "water_taps": per("people_per_tap"),
        "health_posts": per("people_per_health_post"),
        "health_centres": per("people_per_health_centre"),
        "hospitals": per("people_per_hospital"),
        "hospital_beds": math.ceil(n * fig["beds_per_10000"] / 10000 - 1e-9),
        "health_workers": math.ceil(n * fig["health_workers_per_10000"] / 10000 - 1e-9),
        "distribution_points": per("people_per_distribution_point"),
        "trucks_per_day_food_medical": food_kg / 1000.0 / payload["food"] + medical_kg / 1000.0 / payload["medical"],
        "water_tankers_per_day": water_l / 1000.0 / payload["water"],
        "shelter_items_truckloads": shelter_kg / 1000.0 / payload["shelter_nfi"],
        "payload_t": payload,
    }
