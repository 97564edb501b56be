"""Scenario A vs B: the key figures side by side with differences."""

from __future__ import annotations

from dataclasses import dataclass

from ..plan import Plan
from .hold import STANDARD_WORDS, first_health_day, first_standard_day, hold_days
from .phase_table import phase_days, phase_rows


@dataclass
class Row:
    key: str
    a: float | None
    b: float | None
    unit: str

    @property
    def diff(self) -> float | None:
        return None if self.a is None or self.b is None else self.b - self.a


def _failed(p: Plan) -> float:
    return float(sum(1 for i in p.verdict if i.met is False))


def _kinds_failing(p: Plan) -> float:
    from .headline import headline

    return float(len(headline(p).kinds))


def _pct(x: float | None) -> float | None:
    return None if x is None else round(100.0 * x, 1)


def _sheltered_pct(p: Plan) -> float | None:
    return _pct(p.people.sheltered / p.people.displaced) if p.people.displaced else None


def _met_pct(commodity: str):
    """Share of everyone's need of a commodity met over the horizon (the verdict's scenario-wide row), in %."""

    def get(p: Plan) -> float | None:
        row = next(
            (i for i in p.verdict if i.scope == "scenario" and i.indicator == f"{commodity}_need_met_share"), None
        )
        return None if row is None else _pct(row.value)

    return get


def _clearance(p: Plan) -> float | None:
    return None if not p.evacuation else p.evacuation.clearance_hours


def _short(commodity: str):
    def get(p: Plan) -> float | None:
        return None if not p.supply else p.supply.shortfall_t.get(commodity)

    return get


def _first_short(commodity: str):
    def get(p: Plan) -> float | None:
        if not p.supply:
            return None
        day = p.supply.first_shortfall_day.get(commodity)
        return None if day is None else float(day)

    return get


GROUPS = ("staying", "sheltered", "overflow", "site_residents", "served_elsewhere")


def _group(name: str, key: str):
    def get(p: Plan) -> float | None:
        rows = [g for g in (p.groups.summary if p.groups else []) if g.group == name]
        return getattr(rows[0], key) if rows else None

    return get


def _group_met_pct(name: str, commodity: str):
    def get(p: Plan) -> float | None:
        rows = [g for g in (p.groups.summary if p.groups else []) if g.group == name]
        share = rows[0].met_share.get(commodity) if rows else None
        return _pct(share)

    return get


def _hold(name: str, key: str):
    def get(p: Plan) -> float | None:
        return hold_days(p).get(name, {}).get(key)

    return get


def compare(a: Plan, b: Plan) -> list[Row]:
    """Key performance indicators of two plans (B - A in `diff`)."""

    def open_sites(p: Plan) -> float:
        return float(sum(s.open for s in p.sites))

    spec = [
        ("everyone in the plan", lambda p: p.people.in_plan, "people"),
        ("people displaced", lambda p: p.people.displaced, "people"),
        ("people sheltered", lambda p: p.people.sheltered, "people"),
        ("people unsheltered", lambda p: p.people.unsheltered, "people"),
        ("displaced with a shelter place", _sheltered_pct, "%"),
        ("unsheltered on site land", lambda p: p.people.overflow_on_sites, "people"),
        ("unsheltered on other land", lambda p: p.people.overflow_on_zone_land, "people"),
        ("left in the operation area", lambda p: p.people.remaining_in_operation_area, "people"),
        ("people staying", lambda p: p.people.staying, "people"),
        ("site residents", lambda p: p.people.site_residents, "people"),
        ("served elsewhere", lambda p: p.people.served_elsewhere, "people"),
        ("sites opened", open_sites, "sites"),
        ("water need (everyone)", lambda p: (p.needs_all or p.needs).water_l_per_day / 1000.0, "m3/day"),
        ("food need (everyone)", lambda p: (p.needs_all or p.needs).food_kg_per_day / 1000.0, "t/day"),
        ("water need (displaced)", lambda p: p.needs.water_l_per_day / 1000.0, "m3/day"),
        ("food need (displaced)", lambda p: p.needs.food_kg_per_day / 1000.0, "t/day"),
        ("energy need (displaced)", lambda p: p.needs.kcal_per_day / 1e6, "Mkcal/day"),
        ("site area needed", lambda p: p.needs.site_area_m2 / 1e6, "km2"),
        ("covered area needed", lambda p: p.needs.covered_area_m2 / 1e6, "km2"),
        ("tents", lambda p: p.needs.tents, "tents"),
        ("latrines (acute)", lambda p: p.needs.latrines, "latrines"),
        ("water taps", lambda p: p.needs.water_taps, "taps"),
        ("health posts", lambda p: p.needs.health_posts, "posts"),
        (
            "food+medical trucks (everyone)",
            lambda p: (p.needs_all or p.needs).trucks_per_day_food_medical,
            "trucks/day",
        ),
        ("evacuation clearance", _clearance, "h"),
        ("water need met (everyone)", _met_pct("water"), "%"),
        ("food need met (everyone)", _met_pct("food"), "%"),
        ("medical need met (everyone)", _met_pct("medical"), "%"),
        ("shelter items need met (everyone)", _met_pct("shelter_nfi"), "%"),
        ("water shortfall (horizon)", _short("water"), "t"),
        ("food shortfall (horizon)", _short("food"), "t"),
        ("first water shortfall", _first_short("water"), "day"),
        ("first food shortfall", _first_short("food"), "day"),
        ("first standard short (any group)", first_standard_day, "day"),
        ("first health threshold crossed, P50 (any group)", first_health_day, "day"),
        ("checks failed", _failed, "checks"),
        ("kinds of check failing", _kinds_failing, "kinds"),
    ]
    for g in GROUPS:
        spec += [
            (f"{g}: water need met", _group_met_pct(g, "water"), "%"),
            (f"{g}: food need met", _group_met_pct(g, "food"), "%"),
            (f"{g}: water delivered", _group(g, "water_l_per_person_day"), "L/person/day"),
            (f"{g}: food delivered", _group(g, "kcal_per_person_day"), "kcal/person/day"),
            (f"{g}: water deficit", _group(g, "cumulative_water_deficit_l_per_person"), "L/person"),
            (f"{g}: owed tents+kits (max)", _group(g, "people_owed_shelter_items_max"), "people"),
            (f"{g}: first standard short", _hold(g, "first_standard_day"), "day"),
            (f"{g}: first health threshold, P50", _hold(g, "first_health_day_p50"), "day"),
        ]
    return [Row(k, _float(f(a)), _float(f(b)), u) for k, f, u in spec] + phase_compare(a, b)


def _phase(key: str):
    def get(p: Plan) -> float | None:
        return None if p.phases is None else float(getattr(p.phases, key))

    return get


def _worst_sheltered_pct(p: Plan) -> float | None:
    row = next((i for i in p.verdict if i.indicator == "displaced_people_sheltered_share"), None)
    return None if row is None else _pct(row.value)


def phase_compare(a: Plan, b: Plan) -> list[Row]:
    """With phases in either plan: their totals, then per phase (the days between either plan's declared events)
    the sites closed, places lost, people re-displaced and losing their place, and the first day each standard
    falls short in the phase; a plan without phases is read over the same days."""
    if not a.phases and not b.phases:
        return []
    out = [
        Row(k, _float(f(a)), _float(f(b)), u)
        for k, f, u in (
            ("phases: people re-displaced", _phase("redisplaced"), "people"),
            ("phases: people who lost their place", _phase("lost_place"), "people"),
            ("phases: people returned home", _phase("returned"), "people"),
            ("phases: re-displaced walking (straight line)", _phase("redisplaced_person_km"), "person-km"),
            ("displaced with a place, worst day", _worst_sheltered_pct, "%"),
        )
    ]
    days = sorted(set(phase_days(a)) | set(phase_days(b)))
    ra, rb = phase_rows(a, days), phase_rows(b, days)
    for x, y in zip(ra, rb):
        head = f"phase days {x['from_day']}-{x['to_day']}"
        for key, words, unit in (
            ("sites_closed", "sites closed", "sites"),
            ("places_lost", "places lost", "places"),
            ("redisplaced", "re-displaced", "people"),
            ("lost_place", "lost their place", "people"),
            ("returned", "returned home", "people"),
        ):
            out.append(Row(f"{head}: {words}", _float(x[key]), _float(y[key]), unit))
        for c in sorted(set(x["first_short_day"]) | set(y["first_short_day"])):
            out.append(
                Row(
                    f"{head}: first {STANDARD_WORDS.get(c, c)} short",
                    _float(x["first_short_day"].get(c)),
                    _float(y["first_short_day"].get(c)),
                    "day",
                )
            )
    return out


def _float(x: float | None) -> float | None:
    return None if x is None else float(x)
