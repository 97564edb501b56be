"""Standards profiles as data: every planning figure with its edition, chapter, source and a verified flag."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from ._errors import InputError, Problem

DEFAULT_PROFILE = "sphere-2018"


class Figure(BaseModel):
    """One planning figure and where it comes from."""

    model_config = ConfigDict(extra="forbid")

    key: str
    value: float
    unit: str
    edition: str
    chapter: str
    source: str
    verified: bool
    #: where the figure was checked against the source text (URL + section/page), or why it could not be
    checked: str = ""
    overridden: bool = False


class BasketItem(BaseModel):
    item: str
    g_per_person_day: float = Field(ge=0)
    kcal_per_100g: float = Field(ge=0)


class RationBasket(BaseModel):
    name: str
    source: str
    verified: bool
    checked: str = ""
    items: list[BasketItem]

    @property
    def kg_per_person_day(self) -> float:
        return sum(i.g_per_person_day for i in self.items) / 1000.0

    @property
    def kcal_per_person_day(self) -> float:
        return sum(i.g_per_person_day * i.kcal_per_100g / 100.0 for i in self.items)

    @property
    def kcal_per_kg(self) -> float:
        return self.kcal_per_person_day / self.kg_per_person_day


class EnergyBand(BaseModel):
    age: str
    male: float
    female: float


class EnergyRequirements(BaseModel):
    source: str
    verified: bool
    checked: str = ""
    bands: list[EnergyBand]
    extra_kcal: dict[str, float] = {}


class Standards(BaseModel):
    """A resolved profile: figures by key (after inheritance and overrides), basket, energy table."""

    profile: str
    title: str
    figures: dict[str, Figure]
    ration_basket: RationBasket
    energy_requirements: EnergyRequirements

    def value(self, key: str) -> float:
        return self.figures[key].value

    def figure(self, key: str) -> Figure:
        return self.figures[key]

    def cite(self, key: str) -> str:
        """Short citation for verdict rows: 'chapter — source (unverified)'."""
        f = self.figures[key]
        tail = "" if f.verified else " [figure not verified against the handbook text]"
        return f"{f.chapter}. {f.source}{tail}"


def figure_rows(std: Standards) -> list[dict[str, Any]]:
    """Every figure of a resolved profile as a flat row (key, value, unit, edition, chapter, source, verified, ...)."""
    return [f.model_dump() for f in std.figures.values()]


def available_profiles() -> list[str]:
    folder = resources.files("reliefplan") / "data" / "standards"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


@lru_cache(maxsize=None)
def _raw_profile(name: str) -> dict[str, Any]:
    path = resources.files("reliefplan") / "data" / "standards" / f"{name}.yaml"
    if not path.is_file():
        raise InputError(
            Problem(
                file="standards",
                field="profile",
                message=f"unknown standards profile '{name}'; expected one of {available_profiles()}",
            )
        )
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _merged(name: str, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    if name in seen:
        raise InputError(
            Problem(file="standards", field="extends", message=f"profile inheritance loops: {seen + (name,)}")
        )
    raw = _raw_profile(name)
    if "extends" not in raw:
        return {**raw, "figures": dict(raw["figures"])}
    base = _merged(raw["extends"], seen + (name,))
    merged = {**base, **{k: v for k, v in raw.items() if k != "figures"}}
    merged["figures"] = {**base["figures"], **raw.get("figures", {})}
    return merged


#: figures an override may set to 0 (every other one divides something, or 0 would make it meaningless)
MAY_BE_ZERO = {
    "structure_gap_m",
    "firebreak_width_m",
    "nfi_kits_per_household",
    "beds_per_10000",
    "health_workers_per_10000",
    "tent_weight_kg",
    "nfi_kit_weight_kg",
    "survival_water_l_per_person_day",
    "sheltered_share_target",
}


def override_problem(figure: Figure, value: Any) -> str | None:
    """Why `value` cannot replace `figure` (None when it can): finite, > 0 (>= 0 for MAY_BE_ZERO), shares <= 1."""
    import math

    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return f"expected a finite number, got {value!r}"
    share = figure.unit.startswith("share")
    if value < 0 or (value == 0 and figure.key not in MAY_BE_ZERO and not share):
        return (
            f"expected a number {'>= 0' if figure.key in MAY_BE_ZERO or share else '> 0'} "
            f"({figure.unit}), got {value!r}"
        )
    if share and value > 1:
        return f"expected a share between 0 and 1, got {value!r}"
    # counts of people, distances and areas size the camp layout's arrays: a tap per 0.001 people is a typo
    floor = (
        1.0
        if (figure.unit.startswith("people") or figure.unit == "m") and value != 0
        else 0.5
        if figure.unit.startswith("m2")
        else None
    )
    if floor is not None and value < floor:
        return f"expected at least {floor:g} {figure.unit}, got {value:g}"
    if value > 1e9:
        return f"expected at most 1e9 {figure.unit}, got {value:g}"
    return None


def load_standards(
    profile: str = DEFAULT_PROFILE, overrides: dict[str, float] | None = None, *, source_file: str | None = None
) -> Standards:
    """Resolve a profile (with `extends`) and apply numeric overrides; unknown keys are input errors."""
    try:
        raw = _merged(profile)
    except InputError as e:
        if source_file is None:
            raise
        raise InputError(
            [Problem(file=source_file, field=f"standards.{p.field}", message=p.message) for p in e.problems]
        ) from None  # the profile was named in the scenario file
    figures = {k: Figure(key=k, **v) for k, v in raw["figures"].items()}
    problems: list[Problem] = []
    for key, value in (overrides or {}).items():
        if key not in figures:
            problems.append(
                Problem(
                    file=source_file or "scenario.yaml",
                    field=f"standards.overrides.{key}",
                    message=f"unknown standards figure; expected one of {sorted(figures)}",
                )
            )
            continue
        why = override_problem(figures[key], value)
        if why is not None:
            problems.append(
                Problem(file=source_file or "scenario.yaml", field=f"standards.overrides.{key}", message=why)
            )
            continue
        old = figures[key]
        figures[key] = old.model_copy(
            update={
                "value": float(value),
                "overridden": True,
                "source": f"scenario override (profile value {old.value:g} {old.unit}; {old.source})",
            }
        )
    if problems:
        raise InputError(problems)
    return Standards(
        profile=raw["profile"],
        title=raw["title"],
        figures=figures,
        ration_basket=RationBasket(**raw["ration_basket"]),
        energy_requirements=EnergyRequirements(**raw["energy_requirements"]),
    )
