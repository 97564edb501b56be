"""The scenario's ``phases`` block: sites that open, shrink or close on a date, and footprints whose operation ends
on a day with a declared return curve (see docs/movement.md, section "Phases").

The models are the input contract (Strict: unknown keys, NaN/inf are errors); `phases_problems` checks a block
against its scenario (horizon, site ids, footprints); every problem names the file, the feature and the field.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .._errors import Problem, field_path
from ._inputs import Strict
from .movement import EmpiricalCurve


class ReturnCurve(EmpiricalCurve):
    """Share of a footprint's displaced people who have returned home by each day after the operation's end:
    declared points (``days`` after the end day, ``share``), linear in between, flat after the last; non-decreasing
    and at most 1 (checked as a departure curve's points are)."""

    def share_by_day(self, end_day: int, horizon_days: int) -> list[float]:
        """Share returned by the end of each day of the horizon (0 up to the end day)."""
        out = []
        for t in range(horizon_days):
            x = t - end_day
            if x < self.days[0]:
                out.append(0.0 if x < 0 else (self.share[0] if self.days[0] == 0 else 0.0))
                continue
            out.append(_interp(x, self.days, self.share))
        return out


def _interp(x: float, xs: list[float], ys: list[float]) -> float:
    if x >= xs[-1]:
        return ys[-1]
    for i in range(1, len(xs)):
        if x <= xs[i]:
            f = (x - xs[i - 1]) / (xs[i] - xs[i - 1])
            return ys[i - 1] + f * (ys[i] - ys[i - 1])
    return ys[-1]


class SiteShrink(Strict):
    """From ``day`` on, the site keeps ``share`` of its planned places (0: closed to new places)."""

    day: int = Field(ge=0)
    share: float = Field(ge=0, le=1)


class SitePhase(Strict):
    """When a candidate site opens, shrinks or closes (whole days from day 0)."""

    site: str = Field(min_length=1)
    opens_day: int | None = Field(default=None, ge=0)  # nobody arrives before it
    closes_day: int | None = Field(default=None, ge=0)  # everyone there (residents too) moves again that day
    shrinks: list[SiteShrink] = Field(default=[], max_length=100)  # places kept from a day on; days increasing
    source: str = ""


class FootprintReturn(Strict):
    """The operation over a footprint ends on ``end_day``; its displaced people return home on ``curve``."""

    footprint: str = Field(min_length=1)
    end_day: int = Field(ge=0)
    curve: ReturnCurve


class PhasesSpec(Strict):
    """The scenario's ``phases`` block.

    siting: how the siting counts a site's phases (docs/movement.md, "Phases in the siting"): ``capacity_days``
    (default) prices each day a person would be without a place there (closed, not yet open, shrunk) as that share
    of the cost of no place at all, and the re-move (below); ``re_move`` prices only the re-move, as if the people
    moved on found a place (for plans whose places outlast the closures); ``ignore`` plans as if every site held
    its places all the horizon.
    second_walk: the re-move's walk is priced: a person whose place ends within the horizon (closure, shrink) walks
    again from the site to the nearest other site with places that day (straight line x the network's fallback
    circuity at walking speed, as `phases.moves` estimates it); arriving where the place is not there yet, the same
    walk on (diverted).
    redisplacement_cost_days: besides that walk, each re-displacement costs as much as this many days without a
    place (ASSUMPTION, default 3: the moving day and the days to re-pitch a shelter, find water points and be
    registered for distributions again; no published figure found).
    min_stay_days: a site that is closed on any of the first ``min_stay_days`` days of a person's stay is not
    planned for them (nor is its land used for people without a place); None: no minimum."""

    sites: list[SitePhase] = Field(default=[], max_length=10_000)
    returns: list[FootprintReturn] = Field(default=[], max_length=100)
    siting: Literal["capacity_days", "re_move", "ignore"] = "capacity_days"
    second_walk: bool = True
    redisplacement_cost_days: float = Field(default=3.0, ge=0, le=100_000)
    min_stay_days: int | None = Field(default=None, ge=1, le=100_000)


def phases_problems(
    spec: PhasesSpec,
    *,
    file: str,
    horizon_days: int,
    sites: list[str],
    footprints: dict[str, float],
    where: str = "phases",
) -> list[Problem]:
    """What the block contradicts in its scenario: unknown sites or footprints, a site named twice, days outside
    the horizon, an operation ending before it starts. footprints: name -> start day."""
    probs: list[Problem] = []
    seen: set[str] = set()
    for i, p in enumerate(spec.sites):
        probs += _site_problems(p, field_path(where, "sites", i), file, horizon_days, sites, seen)
        seen.add(p.site)
    named: set[str] = set()
    for i, r in enumerate(spec.returns):
        probs += _return_problems(r, field_path(where, "returns", i), file, horizon_days, footprints, named)
        named.add(r.footprint)
    return probs


def _site_problems(
    p: SitePhase, at: str, file: str, horizon_days: int, sites: list[str], seen: set[str]
) -> list[Problem]:
    """One site's phases against the scenario (``at``: the entry's field path; ``seen``: sites named before)."""
    last = horizon_days - 1
    out: list[Problem] = []

    def bad(field: str, message: str) -> None:
        out.append(Problem(file=file, feature=f"site {p.site}", field=field_path(at, field), message=message))

    if p.site not in sites:
        bad("site", f"unknown site; expected one of the scenario's site ids ({len(sites)})")
    if p.site in seen:
        bad("site", "site named twice; expected one entry per site")
    if p.opens_day is not None and p.closes_day is not None and p.closes_day <= p.opens_day:
        bad(
            "closes_day",
            f"closes on day {p.closes_day}, not after it opens (day {p.opens_day}): phases out of order",
        )
    days = [s.day for s in p.shrinks]
    if any(b <= a for a, b in zip(days, days[1:])):
        bad("shrinks", f"shrink days {days}: expected strictly increasing days (phases out of order)")
    for key, day in (("opens_day", p.opens_day), ("closes_day", p.closes_day)):
        if day is not None and day > last:
            bad(key, f"day {day} is outside the horizon of {horizon_days} days (0 .. {last})")
    for k, s in enumerate(p.shrinks):
        if s.day > last:
            bad(field_path("shrinks", k, "day"), f"day {s.day} is outside the horizon of {horizon_days} days")
        if p.opens_day is not None and s.day < p.opens_day:
            bad(
                field_path("shrinks", k, "day"),
                f"day {s.day} is before the site opens (day {p.opens_day}): phases out of order",
            )
    return out


def _return_problems(
    r: FootprintReturn, at: str, file: str, horizon_days: int, footprints: dict[str, float], named: set[str]
) -> list[Problem]:
    """One footprint's return against the scenario (``at``: the entry's field path; ``named``: footprints before)."""
    last = horizon_days - 1
    out: list[Problem] = []

    def bad(field: str, message: str) -> None:
        out.append(Problem(file=file, feature=f"footprint {r.footprint}", field=field_path(at, field), message=message))

    if r.footprint not in footprints:
        bad("footprint", f"unknown footprint; expected one of the scenario's footprints {sorted(footprints)}")
    elif r.end_day <= footprints[r.footprint]:
        bad(
            "end_day",
            f"the operation ends on day {r.end_day}, not after it starts (day "
            f"{footprints[r.footprint]:g}): phases out of order",
        )
    if r.footprint in named:
        bad("footprint", "footprint named twice; expected one return per footprint")
    if r.end_day > last:
        bad("end_day", f"day {r.end_day} is outside the horizon of {horizon_days} days (0 .. {last})")
    return out
