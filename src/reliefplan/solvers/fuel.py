"""Fuel as a commodity: litres a day by use, and how much water the fuel delivered can produce.

Uses are declared with their rate (figures in data/delivery.yaml, `fuel.*`): water production per m³ by
technology, hospitals per facility, bakeries per tonne of flour, trucks per km. When less fuel arrives
than needed, it is shared out in the declared priority order (a use gets all it needs before the next
gets any); water production then follows from the fuel its plants received, so a fuel shortfall cuts
water in litres a person can count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .._errors import InputError, Problem


@dataclass(frozen=True)
class FuelUse:
    """One use of fuel: `amount` units a day (m³ of water, hospitals, t of flour, km) at `l_per_unit`.

    water_m3: True when the unit is m³ of water produced (so a shortfall is reported as lost water).
    """

    name: str
    amount_per_day: float
    l_per_unit: float
    water_m3: bool = False

    @property
    def need_l_per_day(self) -> float:
        return self.amount_per_day * self.l_per_unit


@dataclass(frozen=True)
class FuelAllocation:
    """Fuel shared over the uses: litres each got, what that runs, and the water it produces."""

    need_l_per_day: dict[str, float]
    allocated_l_per_day: dict[str, float]
    served_share: dict[str, float]  # allocated / need per use (1.0 when nothing is needed)
    water_m3_per_day: float  # water produced by the water uses with their fuel
    water_lost_m3_per_day: float  # water not produced for lack of fuel
    shortfall_l_per_day: float


def use_problems(uses: list[FuelUse], file: str = "<fuel>") -> list[Problem]:
    """Every bad figure: repeated names, negative or non-finite amounts and rates."""
    probs: list[Problem] = []
    seen: set[str] = set()
    for k, u in enumerate(uses):
        if u.name in seen:
            probs.append(Problem(file, f"use {u.name!r} repeated", f"uses[{k}]", "name"))
        seen.add(u.name)
        for field in ("amount_per_day", "l_per_unit"):
            v = getattr(u, field)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < 0:
                probs.append(Problem(file, f"expected a number >= 0, got {v!r}", f"uses[{k}] ({u.name})", field))
    return probs


def allocate_fuel(available_l_per_day: float, uses: list[FuelUse], file: str = "<fuel>") -> FuelAllocation:
    """Share `available_l_per_day` over `uses` in their order (first = highest priority)."""
    probs = use_problems(uses, file)
    if not (
        isinstance(available_l_per_day, int | float) and math.isfinite(available_l_per_day) and available_l_per_day >= 0
    ):
        probs.append(Problem(file, f"expected a number >= 0, got {available_l_per_day!r}", None, "available_l_per_day"))
    if probs:
        raise InputError(probs)
    left = float(available_l_per_day)
    need: dict[str, float] = {}
    got: dict[str, float] = {}
    share: dict[str, float] = {}
    water = lost = 0.0
    for u in uses:
        n = u.need_l_per_day
        g = min(n, left)
        left -= g
        need[u.name], got[u.name] = n, g
        share[u.name] = 1.0 if n == 0 else g / n
        if u.water_m3:
            made = u.amount_per_day * share[u.name]
            water += made
            lost += u.amount_per_day - made
    return FuelAllocation(need, got, share, water, lost, max(0.0, sum(need.values()) - float(available_l_per_day)))
