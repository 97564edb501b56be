"""The loader's tables and cargo: the population structure (age and sex shares), the truck payload file, the food
mix delivered and the observed truck series, each checked against the standards and the commodities."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from .._errors import InputError, Problem
from ..standards import Standards
from ._fields import _Collector, _number, _path, _positive
from ._inputs import folder_file
from ._layers import Feature, read_csv_rows
from .config import CargoSpec, SupplySpec
from .model import AgeBand, PopulationStructure


def _population_structure(folder: Path, file: str, col: _Collector, field: str) -> PopulationStructure | None:
    path = _path(folder, file, col, field)
    if path is None:
        return None
    try:
        rows = read_csv_rows(path)
    except InputError as e:
        col.problems.extend(e.problems)
        return None
    bands: list[AgeBand] = []
    extra = {"pregnant": 0.0, "lactating": 0.0}
    for i, row in enumerate(rows):
        age = (row.get("age") or "").strip()
        if not age:
            continue
        if age in extra:
            v = _number(col, path, Feature(i, row, None), age, "female", row.get("female"), required=True, hi=1.0)
            extra[age] = v or 0.0
            continue
        m = _number(col, path, Feature(i, row, None), age, "male", row.get("male"), required=True, hi=1.0)
        w = _number(col, path, Feature(i, row, None), age, "female", row.get("female"), required=True, hi=1.0)
        if m is not None and w is not None:
            bands.append(AgeBand(age=age, male=m, female=w))
    total = sum(b.male + b.female for b in bands)
    if bands and abs(total - 1.0) > 1e-3:
        col.add(
            path, f"age/sex shares sum to {total:.4f}; expected 1 (shares of the total population)", field="male+female"
        )
    return PopulationStructure(file=file, bands=bands, **extra)


def _band_problems(folder: Path, structure: PopulationStructure, standards: Standards, col: _Collector) -> None:
    """Age bands the standards profile has no energy requirement for."""
    known = [b.age for b in standards.energy_requirements.bands]
    seen: set[str] = set()
    for b in structure.bands:
        if b.age not in known:
            col.add(
                folder / structure.file,
                f"unknown age band '{b.age}'; expected one of {known} (the energy "
                f"table of the '{standards.profile}' profile)",
                b.age,
                "age",
            )
        elif b.age in seen:
            col.add(folder / structure.file, "age band listed twice", b.age, "age")
        seen.add(b.age)


def _cargo(folder: Path, cfg_path: Path, cargo: CargoSpec, col: _Collector) -> tuple[CargoSpec, list[dict[str, Any]]]:
    """(cargo with its payload file and food mix applied, the food mix rows)."""
    if cargo.payload_file:
        cargo = _payload_file(folder, cfg_path, cargo, col)
    col.problems.extend(_cargo_problems(cargo, cfg_path))
    food_mix: list[dict[str, Any]] = []
    if cargo.food_mix_file:
        food_mix = _food_mix(folder, cargo.food_mix_file, col)
        total = sum(r["t"] for r in food_mix)
        if total > 0:
            cargo = cargo.model_copy(
                update={"food_kcal_per_kg": sum(r["t"] * r["kcal_per_kg"] for r in food_mix) / total}
            )
    return cargo, food_mix


def _payload_file(folder: Path, cfg_path: Path, cargo: CargoSpec, col: _Collector) -> CargoSpec:
    """The cargo block with t per truck by commodity read from its payload file (each row's commodity checked
    here, so a problem names the file and row it comes from)."""
    if cargo.payload_t:
        col.add(cfg_path, "give cargo.payload_t or cargo.payload_file, not both", field="cargo.payload_file")
        return cargo
    known = _commodity_ids()
    try:
        path = folder_file(folder, str(cargo.payload_file), field="cargo.payload_file")
        rows = read_csv_rows(path)
    except InputError as e:
        col.problems.extend(e.problems)
        return cargo
    payload, sources = {}, {}
    for i, row in enumerate(rows):
        cid = (row.get("commodity") or "").strip()
        v = _positive(
            col,
            path,
            Feature(i, row, None),
            cid or f"row {i + 1}",
            "t_per_truck",
            row.get("t_per_truck"),
            "t per truck",
        )
        if cid not in known:
            col.add(path, f"unknown commodity '{cid}'; expected one of {known}", cid or f"row {i + 1}", "commodity")
        elif v is not None:
            payload[cid] = v
            sources[cid] = f"{path.name}: {row.get('source') or 'no source given'}"
    return cargo.model_copy(update={"payload_t": payload, "payload_sources": sources})


def _food_mix(folder: Path, file: str, col: _Collector) -> list[dict[str, Any]]:
    """The food mix delivered: rows of item, t, kcal_per_kg (t as shares or tonnes)."""
    try:
        path = folder_file(folder, file, field="cargo.food_mix_file")
        rows = read_csv_rows(path)
    except InputError as e:
        col.problems.extend(e.problems)
        return []
    out: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        item = (row.get("item") or "").strip() or f"row {i + 1}"
        t = _number(col, path, Feature(i, row, None), item, "t", row.get("t"), required=True)
        kcal = _number(col, path, Feature(i, row, None), item, "kcal_per_kg", row.get("kcal_per_kg"), required=True)
        if t is not None and kcal is not None:
            out.append({"item": item, "t": t, "kcal_per_kg": kcal, "source": row.get("source") or ""})
    if not out or sum(r["t"] for r in out) <= 0:
        col.add(path, "no food in the mix; expected rows of item, t (> 0 in all), kcal_per_kg", field="t")
    return out


def _commodity_ids() -> list[str]:
    """The ids of the packaged commodity table, in its order (what a cargo row may name)."""
    from .supply_data import _commodities_yaml

    return [c["id"] for c in _commodities_yaml()["commodities"]]


def _cargo_problems(cargo: CargoSpec, cfg_path: Path) -> list[Problem]:
    known = _commodity_ids()
    out = []
    for k, v in cargo.payload_t.items():
        if k not in known:
            out.append(
                Problem(
                    file=str(cfg_path),
                    field=f"cargo.payload_t.{k}",
                    message=f"unknown commodity '{k}'; expected one of {known}",
                )
            )
        elif not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            out.append(
                Problem(
                    file=str(cfg_path), field=f"cargo.payload_t.{k}", message=f"expected t per truck > 0, got {v!r}"
                )
            )
    if cargo.food_mix_file and cargo.food_kcal_per_kg is not None:
        out.append(
            Problem(
                file=str(cfg_path),
                field="cargo.food_kcal_per_kg",
                message="give food_kcal_per_kg or food_mix_file, not both",
            )
        )
    return out


def _observed(
    folder: Path, cfg_path: Path, spec: SupplySpec, days: int, col: _Collector, where: str
) -> dict[str, Any] | None:
    if not spec.observed_file or not spec.observed_start:
        col.add(
            cfg_path,
            "entry_capacity 'observed' needs observed_file and observed_start (ISO date of day 0)",
            field=f"{where}supply.observed_file",
        )
        return None
    from .supply_data import read_observed_trucks

    path = _path(folder, spec.observed_file, col, f"{where}supply.observed_file")
    if path is None:
        return None
    try:
        return read_observed_trucks(path, spec.observed_start, days)
    except InputError as e:
        col.problems.extend(e.problems)
        return None
