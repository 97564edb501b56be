"""The verdict on the move: evacuation clearance under road capacity, and the move over days under orders (people
left inside at the operation's start, walking burden, re-displacement, people without a place)."""

from __future__ import annotations

from ..plan import EvacuationTiming, Indicator, MovementResult, MovementRun
from .verdict import indicator


def evacuation_indicators(evacuation: EvacuationTiming, max_clearance_h: float) -> list[Indicator]:
    """Everyone who has a site reaches it, within the scenario's clearance target (no humanitarian standard sets one)."""
    moving = evacuation.people_moving
    out = [
        indicator(
            "evacuees_reaching_their_site_share",
            "scenario",
            1.0 if moving == 0 else evacuation.arrived / moving,
            1.0,
            "share",
            ">=",
            "reliefplan: every person allocated a site must be able to reach it over the roads",
            note="; ".join(evacuation.explanations),
        )
    ]
    clearance = evacuation.clearance_hours
    worst = max((b.max_delay_h for b in evacuation.bottlenecks), default=0.0)
    out.append(
        indicator(
            "evacuation_clearance_hours",
            "scenario",
            clearance,
            max_clearance_h,
            "h",
            "<=",
            "scenario planning target (evacuation.max_clearance_h): everyone reaches a site within this time",
            note=(
                f"{evacuation.method} method, {evacuation.routing} routing, step {evacuation.time_step_s:g} s; "
                f"{len(evacuation.bottlenecks)} saturated link(s) listed, worst queueing delay {worst:.1f} h"
            ),
        )
    )
    return out


def movement_indicators(m: MovementResult) -> list[Indicator]:
    """The move over days (the run ``m.assignment``): people still inside each ordered area when its operation
    starts, the walking burden (trips on foot over the declared hours, and the vulnerable among them),
    re-displaced people, and people who left and found no place by the horizon."""
    run = m.runs.get(m.assignment)
    out = _inside_at_operation(m)
    if run is None:
        return out
    out += _walking_rows(m, run)
    out.append(
        indicator(
            "people_redisplaced",
            "scenario",
            float(run.redisplaced),
            0.0,
            "people",
            "<=",
            "reliefplan: a place given must not be ordered out again (successive orders)",
            note=f"{run.redisplaced:,} people had a place in an area a later order covered and moved again "
            f"({m.assignment} run); " + ", ".join(f"{o.footprint}: {o.redisplaced:,}" for o in m.orders),
        )
    )
    out.append(
        indicator(
            "people_left_without_place",
            "scenario",
            float(run.without_place),
            0.0,
            "people",
            "<=",
            "reliefplan: everyone who leaves finds a place",
            note=f"at the horizon ({m.assignment} run): {run.at_sites:,} at sites, {run.on_road:,} on the road, "
            f"{run.without_place:,} left and found no place, {run.at_origin:,} still at home; "
            f"{run.turned_away:,} arrivals turned away from full or closed sites",
        )
    )
    return out


def _inside_at_operation(m: MovementResult) -> list[Indicator]:
    """Per order with an operation day: people still inside its area when the operation starts."""
    out = []
    for o in m.orders:
        if o.operation_day is None or o.inside_at_operation is None:
            continue
        out.append(
            indicator(
                "people_inside_operation_area_at_start",
                "scenario",
                float(o.inside_at_operation),
                0.0,
                "people",
                "<=",
                "reliefplan: nobody may be inside an area when the operation starts",
                note=f"{o.inside_at_operation:,} of {o.people:,} people of '{o.footprint}' still inside on day "
                f"{o.operation_day:g} (order on day {o.day:g}; {m.assignment} run; departure curve "
                f"{o.curve.kind}, final share {o.final_share:.0%})",
            )
        )
    return out


def _walking_rows(m: MovementResult, run: MovementRun) -> list[Indicator]:
    """Trips on foot longer than the declared hours, and the share of the vulnerable among the walkers."""
    out = []
    on_foot = sum(t.trips for name, t in run.trips.items() if any(md.name == name and md.on_foot for md in m.modes))
    out.append(
        indicator(
            "people_walking_over_max_h",
            "scenario",
            float(run.walking_over_h),
            0.0,
            "people",
            "<=",
            f"scenario planning limit (movement.max_walk_h = {m.max_walk_h:g} h); no humanitarian standard sets one",
            note=f"{run.walking_over_h:,} of {on_foot:,} trips on foot longer than {m.max_walk_h:g} h, queues included "
            f"({m.assignment} run); by mode: " + ", ".join(f"{k} {v:,}" for k, v in run.walking_over_h_by_mode.items()),
        )
    )
    share = run.vulnerable_walking_over_h / run.walking_over_h if run.walking_over_h else 0.0
    out.append(
        Indicator(
            indicator="vulnerable_share_walking_over_max_h",
            scope="scenario",
            value=share,
            target=0.0,
            unit="share",
            comparison="<=",
            met=None,
            severity="info",
            source="movement.vulnerable_share (or the zones' vulnerable_share), spread evenly over each origin's walkers "
            "(ASSUMPTION)",
            note=f"{run.vulnerable_walking_over_h:,} vulnerable people among the {run.walking_over_h:,} walking over "
            f"{m.max_walk_h:g} h",
        )
    )
    return out
