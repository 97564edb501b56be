"""Declared uncertainty of a scenario (the `uncertainty:` block); ``analysis.sampling`` draws ensemble members.

Parameters act on named inputs (``target``):

* ``zone.population_error`` - relative error e; a zone's population becomes round(population x (1 + e)), >= 0;
* ``site.usable_fraction`` - the usable fraction itself, clipped to [0, 1];
* ``entry.trucks_per_day`` - declared trucks per day of a crossing, >= 0;
* ``roads.capacity_factor`` - multiplies every walking link's capacity (evacuation), >= 0.01;
* ``chain.loss_share`` - the share lost after an entry point (``supply.chain``; ids: entry points), in [0, 1];
* ``chain.movements_allowed_share`` - the share of convoy movements facilitated, every day, in [0, 1];
* ``entry.availability`` - the share of a sea or air entry's units available (``supply.entries``), in [0, 1].

Samples outside a quantity's range are clipped (never rejected) and counted per parameter, so the
summary says how often it happened. Crossing closures are a day-by-day two-state (open/closed) Markov
chain; daily entry capacity can instead be a moving-block bootstrap of an observed series.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, model_validator

from .._errors import InputError, Problem, field_path
from ._inputs import FolderFile, Strict, folder_file

Target = Literal[
    "zone.population_error",
    "site.usable_fraction",
    "entry.trucks_per_day",
    "roads.capacity_factor",
    "chain.loss_share",
    "chain.movements_allowed_share",
    "entry.availability",
]
#: targets acting on the delivery chain (issue 20): their ids are entry points with a chain, or sea/air entries
CHAIN_TARGETS = ("chain.loss_share", "chain.movements_allowed_share", "entry.availability")

#: range each target's sample is clipped to
BOUNDS: dict[str, tuple[float, float]] = {
    "zone.population_error": (-1.0, np.inf),
    "site.usable_fraction": (0.0, 1.0),
    "entry.trucks_per_day": (0.0, np.inf),
    "roads.capacity_factor": (0.01, np.inf),  # a road with no capacity never clears: floor at 1 %
    "chain.loss_share": (0.0, 1.0),
    "chain.movements_allowed_share": (0.0, 1.0),
    "entry.availability": (0.0, 1.0),
}


_Strict = Strict  # unknown keys, NaN/inf and numbers beyond ±1e12 are errors


class _Param(_Strict):
    target: Target
    ids: list[str] | None = None  # features the parameter acts on; None = all of the target's layer
    each: bool = False  # True: an independent draw per feature; False: one draw shared by all of them


class Uniform(_Param):
    dist: Literal["uniform"]
    low: float
    high: float

    @model_validator(mode="after")
    def _check(self) -> Uniform:
        if not self.low <= self.high:
            raise ValueError(f"uniform needs low <= high, got low={self.low:g}, high={self.high:g}")
        return self

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, n)


class Triangular(_Param):
    dist: Literal["triangular"]
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _check(self) -> Triangular:
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError(
                f"triangular needs low <= mode <= high and low < high, got "
                f"low={self.low:g}, mode={self.mode:g}, high={self.high:g}"
            )
        return self

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.triangular(self.low, self.mode, self.high, n)


class Normal(_Param):
    dist: Literal["normal"]
    mean: float
    sd: float = Field(ge=0)

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.normal(self.mean, self.sd, n)


class Lognormal(_Param):
    """exp(N(log(median), sigma)): a positive factor with a given median and log-scale spread."""

    dist: Literal["lognormal"]
    median: float = Field(gt=0)
    sigma: float = Field(ge=0)

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.lognormal(np.log(self.median), self.sigma, n)


class Choice(_Param):
    dist: Literal["choice"]
    values: list[float] = Field(min_length=1)
    p: list[float] | None = None  # probabilities, same length as values, summing to 1; None = equal

    @model_validator(mode="after")
    def _check(self) -> Choice:
        if self.p is not None:
            if len(self.p) != len(self.values):
                raise ValueError(
                    f"choice needs one probability per value: {len(self.values)} values, {len(self.p)} probabilities"
                )
            if min(self.p) < 0 or abs(sum(self.p) - 1.0) > 1e-9:
                raise ValueError(f"choice probabilities must be >= 0 and sum to 1, got {self.p}")
        return self

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.choice(np.asarray(self.values, dtype=float), size=n, p=self.p)


Parameter = Annotated[Uniform | Triangular | Normal | Lognormal | Choice, Field(discriminator="dist")]


class ClosureProcess(_Strict):
    """A crossing that closes on any open day with `probability_per_day`; closures last `mean_days` on average
    (geometric lengths); the crossing is open on day 0."""

    entry_point: str
    probability_per_day: float = Field(ge=0, le=1)
    mean_days: float = Field(ge=1)
    capacity_factor: float = Field(default=0.0, ge=0)  # 0 = closed


class Bootstrap(_Strict):
    """Daily trucks per crossing resampled in blocks of consecutive days from an observed series (CSV:
    date, entry_point_id, <column>); one block start is shared by all crossings (keeps their correlation)."""

    file: FolderFile
    block_days: int = Field(default=7, ge=1, le=3650)
    column: str = "trucks_total"
    first_date: str | None = None  # ISO; default the file's first date
    last_date: str | None = None  # ISO; default the file's last date


class UncertaintySpec(_Strict):
    parameters: dict[str, Parameter] = {}
    closures: list[ClosureProcess] = []
    entry_capacity_bootstrap: Bootstrap | None = None


def ids_by_target(
    zone_ids: list[str],
    site_ids: list[str],
    entry_ids: list[str],
    chain_ids: list[str] | None = None,
    mode_entry_ids: list[str] | None = None,
) -> dict[str, list[str]]:
    """The ids each per-feature parameter target may name (chain_ids: entry points with a declared chain;
    mode_entry_ids: the sea and air entries)."""
    return {
        "zone.population_error": zone_ids,
        "site.usable_fraction": site_ids,
        "entry.trucks_per_day": entry_ids,
        "chain.loss_share": chain_ids or [],
        "chain.movements_allowed_share": chain_ids or [],
        "entry.availability": mode_entry_ids or [],
    }


def uncertainty_problems(
    spec: UncertaintySpec,
    file: str,
    zone_ids: list[str] | None,
    site_ids: list[str],
    entry_ids: list[str] | None,
    folder: Any = None,
    chain_ids: list[str] | None = None,
    mode_entry_ids: list[str] | None = None,
) -> list[Problem]:
    """Ids the block names that the scenario does not have, contradictory settings and (given the scenario
    folder) the problems of the bootstrap series. chain_ids: entry points with a declared chain; mode_entry_ids:
    the sea and air entries (supply.entries); zone_ids, entry_ids None: that layer is not read whole, so the ids
    naming it are not checked."""
    unread = {t for t, ids in (("zone.population_error", zone_ids), ("entry.trucks_per_day", entry_ids)) if ids is None}
    layer = ids_by_target(zone_ids or [], site_ids, entry_ids or [], chain_ids, mode_entry_ids)
    out: list[Problem] = []
    for name, p in spec.parameters.items():
        where = f"uncertainty.parameters.{name}.ids"
        if p.target == "roads.capacity_factor":
            if p.ids or p.each:
                out.append(
                    Problem(
                        file=file,
                        field=where,
                        message="roads.capacity_factor is one factor for all roads; expected no ids and each: false",
                    )
                )
            continue
        known = layer[p.target]
        if p.target in CHAIN_TARGETS and not known:
            out.append(
                Problem(
                    file=file,
                    field=f"uncertainty.parameters.{name}.target",
                    message=f"{p.target} needs "
                    + ("a supply.entries entry point" if p.target == "entry.availability" else "a supply.chain entry")
                    + " to act on",
                )
            )
        for i in p.ids or []:
            if i not in known and p.target not in unread:
                out.append(Problem(file=file, field=where, message=f"unknown id {i!r}; expected one of {known}"))
        if p.target == "entry.trucks_per_day" and spec.entry_capacity_bootstrap is not None:
            out.append(
                Problem(
                    file=file,
                    field=f"uncertainty.parameters.{name}.target",
                    message="entry.trucks_per_day has no effect when entry_capacity_bootstrap replaces "
                    "the declared capacity; remove one of them",
                )
            )
    for k, c in enumerate(spec.closures):
        if entry_ids is not None and c.entry_point not in entry_ids:
            out.append(
                Problem(
                    file=file,
                    feature=f"entry point {c.entry_point}",
                    field=field_path("uncertainty.closures", k, "entry_point"),
                    message=f"unknown entry point {c.entry_point!r}; expected one of {entry_ids}",
                )
            )
    b = spec.entry_capacity_bootstrap
    if b is not None and folder is not None:
        try:
            observed_series(
                folder_file(folder, b.file, source=file, field="uncertainty.entry_capacity_bootstrap.file"),
                b.column,
                b.first_date,
                b.last_date,
            )
        except InputError as e:
            out += e.problems
    return out


def observed_series(
    path: Any, column: str = "trucks_total", first_date: str | None = None, last_date: str | None = None
) -> dict[str, np.ndarray]:
    """The whole observed series (or first..last date) per entry point, one value per day."""
    import datetime as dt

    from ._layers import read_csv_rows
    from .supply_data import read_observed_trucks

    dates = [(r.get("date") or "").strip() for r in read_csv_rows(path)]
    try:
        iso = sorted(dt.date.fromisoformat(d) for d in dates if d and not d.startswith("#"))
        first = dt.date.fromisoformat(first_date) if first_date else None
        end = dt.date.fromisoformat(last_date) if last_date else (iso[-1] if iso else None)
    except ValueError as e:
        raise InputError(Problem(file=str(path), field="date", message=f"expected ISO dates: {e}")) from None
    if not iso or end is None:
        raise InputError(Problem(file=str(path), message="no observations"))
    start = first or iso[0]
    days = (end - start).days + 1
    if not 1 <= days <= 36_500:
        raise InputError(
            Problem(
                file=str(path),
                field="date",
                message=f"the series from {start} to {end} is "
                f"{days} days long; expected 1 to 36,500 days (first_date before last_date)",
            )
        )
    return read_observed_trucks(path, start.isoformat(), days, column=column)
