"""plan.json `supply`'s declared parts: the delivery chain, fuel, one day's last-mile routes, hubs and the camps'
distribution points (docs/delivery.md). Each is present only when the scenario (or a package) declares it."""

from __future__ import annotations

from pydantic import Field

from .plan_base import Out, absent


class StepFigure(Out):
    """One step of a declared series: the value from this day on."""

    from_day: int
    value: float


# ---- supply.chain ----------------------------------------------------------------------------------------------------


class ChainDay(Out):
    """One entry point and day, tonnes summed over commodities."""

    day: int
    entered_t: float = Field(description="entered at the entry point (t)")
    lost_at_entry_t: float = Field(description="lost at the entry point (t)")
    collected_t: float | None = Field(description="collected inside (t; None: no collection stage declared)")
    moved_t: float | None = Field(description="moved on by the convoys allowed (t; None: no movements stage)")
    lost_on_route_t: float = Field(description="lost on the way to the locations (t)")
    delivered_t: float = Field(description="handed on to a location or warehouse, arriving that day (t)")
    backlog_t: float | None = Field(description="waiting for collection at the end of the day (t)")
    collected_waiting_t: float = Field(description="collected or moved, waiting for the next stage (t)")
    binding: list[str] = Field(description="the stages that bind that day: entry, collection, movements")


class ChainEntry(Out):
    """One entry point over the horizon: tonnes entered, lost, delivered; what binds; cost."""

    entry_point: str
    mode: str = Field(description="land | sea | air")
    unit: str = Field(description="what a unit is: truck, shuttle, sortie")
    payload_t: float | None = Field(description="t per unit (None for land: each commodity's truck payload)")
    loss_share: float = Field(description="share lost at the entry point")
    entered_t: float = Field(description="t entered over the horizon")
    lost_at_entry_t: float = Field(description="t lost at the entry point")
    lost_on_route_t: float = Field(description="t lost on the way")
    delivered_t: float = Field(description="t handed on to locations or warehouses")
    backlog_last_day_t: float | None = Field(description="t waiting for collection at the end of the horizon")
    cost_usd_per_t_entered: float | None = Field(description="cost per tonne entered (USD/t; None: unknown)")
    cost_usd: int | None = Field(description="cost of the tonnes entered (USD)")
    cost_usd_per_t_delivered: float | None = Field(description="cost per tonne delivered, losses included (USD/t)")
    binding_days: dict[str, int] = Field(description="stage -> days it binds")
    binds_most: str | None = Field(description="the stage that binds on the most days")
    daily: list[ChainDay] | None = Field(
        default=None, exclude_if=absent, description="by day (left out for ensemble members)"
    )


class ChainMode(Out):
    """A declared sea or air entry (or an extra land crossing) and the figures it rests on."""

    entry_point: str
    mode: str = Field(description="land | sea | air")
    unit: str = Field(description="truck, shuttle or sortie")
    units_per_day: float = Field(description="units a day when available")
    payload_t: float = Field(description="t per unit")
    availability: str = Field(description="how the share of units available by day was set")
    available_share_mean: float = Field(description="mean share of units available over the horizon")
    loss_share: float = Field(description="share lost or unsafe")
    cost_usd_per_t: float | None = Field(description="cost per tonne entered (USD/t)")
    commodities: list[str] | str = Field(description="what it carries ('all': everything)")
    sources: dict[str, str] = Field(description="figure -> its source (data/delivery.yaml or declared)")


class ChainStage(Out):
    """The declared stages after one entry point."""

    entry_point: str
    collection_loads_per_day: float | list[StepFigure] | None = Field(description="loads a day collected inside")
    movements_allowed_share: float | list[StepFigure] | None = Field(
        description="share of requested convoy movements facilitated"
    )
    movements_loads_per_day: float | None = Field(description="movements requested (loads/day; None: entry's mean)")
    loss_share: float = Field(description="share of what moves lost on the way")
    source: str


class DeliveryChain(Out):
    """plan.json `supply.chain`: per entry point tonnes entered, collected, moved, lost and delivered, the backlog,
    what binds, cost; totals; the figures used with their sources; what is not modelled."""

    entry_points: list[ChainEntry]
    entered_t: float = Field(description="t entered over the horizon, all entry points")
    lost_t: float = Field(description="t lost at entry points and on the way")
    delivered_t: float = Field(description="t handed on to locations or warehouses")
    cost_usd: int | None = Field(description="cost of all tonnes entered (USD; None: a cost unknown)")
    cost_usd_per_t_delivered: float | None = Field(description="USD per tonne delivered")
    modes: list[ChainMode]
    stages: list[ChainStage]
    land_cost_usd_per_t_source: str
    not_modelled: list[str]


# ---- supply.fuel -----------------------------------------------------------------------------------------------------


class FuelUse(Out):
    name: str
    amount_per_day: float = Field(description="units a day (hospitals, t of flour, km driven, m3 of water)")
    l_per_unit: float = Field(description="litres of fuel per unit")
    water_source: str | None = Field(description="the water source this use runs (None: not water)")
    source: str


class FuelUseMet(Out):
    need_l_per_day: int = Field(description="need, mean over the horizon (L/day)")
    delivered_l_per_day: int = Field(description="delivered, mean over the horizon (L/day)")
    met_share: float | None = Field(description="share of the need met (None: nothing needed)")
    first_short_day: int | None = Field(description="first day short (None: never)")


class FuelDay(Out):
    day: int
    entered_l: int = Field(description="litres entered that day (trucked and declared)")
    to_water_l: int = Field(description="litres burnt making water")
    water_made_m3: float = Field(description="water made with fuel (m3)")
    water_not_made_while_short_m3: float = Field(description="fuel-driven capacity idle while water was short (m3)")


class FuelPlan(Out):
    """plan.json `supply.fuel`: litres entered, delivered to each use and needed, water made with fuel and the water
    capacity idle for want of it, with the figures' sources."""

    uses: list[FuelUse]
    density_kg_per_l: float
    tanker_t: float = Field(description="t of fuel per tanker")
    tanker_source: str
    weight_note: str
    trucked: bool = Field(description="fuel may come through the crossings in tankers")
    entered_source: str
    entered_l: int = Field(description="litres entered over the horizon")
    trucked_l: int
    declared_l: int
    to_water_l: int
    water_made_with_fuel_m3: int
    water_capacity_fuel_driven_m3: int
    water_not_made_while_short_m3: int
    uses_other_than_water: dict[str, FuelUseMet] = Field(description="use -> need and delivery")
    daily: list[FuelDay] | None = Field(
        default=None, exclude_if=absent, description="by day (left out for ensemble members)"
    )
    not_modelled: list[str]


# ---- supply.last_mile ------------------------------------------------------------------------------------------------


class UnservedStop(Out):
    stop: str
    t: float = Field(description="tonnes not delivered (t)")
    code: str
    reason: str


class VehicleRoute(Out):
    vehicle: str
    stops: list[str]
    load_t: float
    distance_km: float


class RoutedLoads(Out):
    """The part-loads of one origin routed as a capacitated VRP with time windows (only ``stops`` when none)."""

    stops: int = Field(description="locations left with a part-load")
    status: str | None = Field(default=None, exclude_if=absent, description="OR-Tools routing status")
    vehicles_used: int | None = Field(default=None, exclude_if=absent)
    distance_km: float | None = Field(default=None, exclude_if=absent)
    load_t: float | None = Field(default=None, exclude_if=absent, description="t delivered on the routes")
    unserved_t: float | None = Field(default=None, exclude_if=absent)
    unserved: list[UnservedStop] | None = Field(default=None, exclude_if=absent)
    routes: list[VehicleRoute] | None = Field(default=None, exclude_if=absent)
    solve_time_s: float | None = Field(default=None, exclude_if=absent)


class LastMileOrigin(Out):
    origin: str = Field(description="crossing, node after its chain, warehouse or pier")
    locations: int
    tonnes: float = Field(description="t trucked from this origin that day, after losses")
    full_loads: int = Field(description="full truckloads, straight to their location and back")
    full_loads_km: float = Field(description="km driven by the full loads")
    routed: RoutedLoads


class LastMile(Out):
    """plan.json `supply.last_mile`: the declared day's routes per origin (stages.last_mile)."""

    day: int
    vehicle_capacity_t: float
    vehicles_per_origin: int
    working_day_h: list[float] = Field(description="[start, end] hour of the working day")
    service_min: float = Field(description="minutes unloading at a location")
    origins: list[LastMileOrigin]
    not_modelled: list[str]


# ---- supply.hubs -----------------------------------------------------------------------------------------------------


class HubRow(Out):
    hub: str
    locations: int = Field(description="locations the hub supplies")
    t_per_day: float = Field(description="mean t/day through the hub")
    capacity_t_per_day: float
    utilisation: float = Field(description="t_per_day / capacity_t_per_day")
    declared: bool = Field(description="an existing hub, always open")


class HubSiting(Out):
    status: str
    objective: float | None = Field(description="tonne-km a day + opening costs")
    bound: float | None
    gap: float | None
    solver: str
    message: str


class HubPlan(Out):
    """plan.json `supply.hubs`: the hubs opened and the locations each supplies (stages.hub_plan)."""

    open: list[str]
    hubs: list[HubRow]
    tkm_per_day: float = Field(description="tonne-km a day from the hubs to the locations")
    unmet_t_per_day: float = Field(description="t/day no open hub can take")
    locations_without_hub: list[str]
    siting: HubSiting
    not_modelled: list[str]


# ---- supply.distribution_points --------------------------------------------------------------------------------------


class DistributionSite(Out):
    """One opened camp's distribution points: load, queue, and the walk from the family plots (None: no points or
    nobody)."""

    site: str
    points: int
    people: int
    people_max_per_point: int | None = Field(default=None, exclude_if=absent)
    capacity_people_per_point: int | None = Field(default=None, exclude_if=absent)
    utilisation_max: float | None = Field(description="arrivals / service capacity at the busiest point")
    wait_mean_min: float | None = Field(description="mean wait at the busiest point (min)")
    wait_max_min: float | None = Field(default=None, exclude_if=absent, description="longest wait (min)")
    unserved_collections_per_day: float
    walk_mean_m: float | None = Field(description="people-weighted mean walk, plot to nearest point (m)")
    walk_max_m: float | None = Field(description="longest walk, plot to nearest point (m)")


class PointServiceFigures(Out):
    servers: int
    collections_per_server_h: float
    hours_per_day: float
    people_per_collection: float
    interval_days: float = Field(description="days between a household's collections")
    service_cv: float = Field(description="coefficient of variation of one collection's service time")


class DistributionPoints(Out):
    """plan.json `supply.distribution_points` (stages.distribution_sites)."""

    sites: list[DistributionSite]
    service: PointServiceFigures
    sources: dict[str, str] = Field(description="figure -> its source")


# ---- sustain ---------------------------------------------------------------------------------------------------------


class SustainCommodity(Out):
    """One commodity over all locations and the horizon."""

    commodity: str
    required_t: float = Field(description="need over the horizon (t)")
    shortfall_t: float = Field(description="need not met (t; items owed until delivered: still owed at the end)")
    met_share: float = Field(description="share of the horizon's need met (owed items: of the person-days owed, had)")
    owed_until_delivered: bool = Field(description="unmet need carries over to later days")
    first_shortfall_day: int | None = Field(description="first day any location is short (None: never)")
    sites_short_first_day: list[str] = Field(description="locations short on that day")
    coverage_by_day: list[float] = Field(description="share of need met, all locations together, by day")
    people_below_standard_by_day: list[float] | None = Field(description="people below the standard by day")


class Sustain(Out):
    """plan.json `sustain` (solvers.sustain): coverage series per commodity, first shortfall day per commodity and
    location, people below standard."""

    first_shortfall_day: dict[str, int | None] = Field(description="commodity -> first day short (None: never)")
    shortfall_t: dict[str, float] = Field(description="commodity -> t short over the horizon")
    commodities: list[SustainCommodity]
    first_shortfall_day_by_site: dict[str, dict[str, int | None]] = Field(
        description="commodity -> location -> first day short (None: never)"
    )


# ---- supply -------------------------------------------------------------------------------------------------------------


class SupplyObjective(Out):
    deprivation: float | None = Field(description="priority-weighted shortfall the LP minimised (t x priority)")
    truckloads: float | None = Field(description="truckloads of the second, lexicographic stage (loads)")


class SupplyDay(Out):
    """One day and commodity, over all locations (sums of the rounded per-location rows)."""

    day: int
    commodity: str
    required_t: float = Field(description="need of the day (t; tents and kits: owed on arrival)")
    delivered_t: float = Field(description="delivered to the locations (t)")
    produced_t: float = Field(description="produced on site, e.g. local water (t)")
    shortfall_t: float = Field(description="need not met (t; tents and kits: still owed at the end of the day)")


class SupplyDelivery(Out):
    """One day, location and commodity."""

    day: int
    site: str = Field(description="location id (site, zone or served population)")
    commodity: str
    required_t: float = Field(description="need of the day (t)")
    delivered_t: float = Field(description="delivered (t)")
    produced_t: float = Field(description="produced on site (t)")
    consumed_t: float = Field(description="consumed (t)")
    stock_end_t: float = Field(description="stock at the end of the day (t)")
    shortfall_t: float = Field(description="need not met (t)")


class EntryUse(Out):
    """One entry point and day."""

    entry_point: str
    day: int
    capacity_t: float = Field(description="what the entry point can take that day (t)")
    used_t: float = Field(description="tonnes entered (t)")
    trucks_available: float = Field(description="capacity in trucks at the entry point's payload (trucks)")
    trucks_used: int = Field(description="trucks the tonnes entered need (trucks)")
    by_commodity_t: dict[str, float] = Field(description="tonnes entered per commodity (t)")


class BindingResult(Out):
    """A constraint that limits the supply plan, what relaxing it would buy (LP duals), in words."""

    kind: str = Field(description="entry, arc, warehouse_storage, site_storage, or a chain stage")
    id: str = Field(description="the entry point, road, store or stage")
    first_day: int
    last_day: int
    shadow_price: list[float] = Field(description="dual value per day (priority-weighted t per unit of step)")
    step: float = Field(description="the change the text speaks of, in step_unit")
    step_unit: str = Field(description="trucks/day, loads/day, or t of storage")
    predicted_cut: float = Field(description="priority-weighted shortfall the step would cut (upper bound)")
    commodity: str | None = Field(description="the commodity the cut is for, when only one")
    predicted_cut_t: float | None = Field(description="tonnes of that commodity's shortfall cut (t)")
    text: str


class EntryClosure(Out):
    closes_day: int = Field(description="first day the entry point takes nothing")
    reason: str


class SupplyAreas(Out):
    """plan.json `supply.areas`: over supply.max_locations, how the locations were grouped into supply areas
    (stages/supply_areas.py) and how per-location figures are read."""

    locations: int = Field(description="locations grouped")
    areas: int = Field(description="supply areas the LP feeds")
    max_locations: int = Field(description="the location budget (supply.max_locations)")
    camp_cell_km: float | None = Field(description="grid cell side camps are grouped in (km; None: one area per camp)")
    cell_km: float = Field(description="grid cell side zones, zone land and served populations are grouped in (km)")
    members_max: int = Field(description="most locations in one area")
    rule: str = Field(description="the grouping rule in words")
    note: str = Field(description="how a member's figures are read")
    members: dict[str, list[str]] = Field(description="area id -> its member location ids")


class SupplyPlan(Out):
    """plan.json `supply`: the daily deliveries (stages.deliveries over solvers.supply), status and gap, what
    binds; the chain, fuel, last-mile, hub and distribution-point parts only when declared (absent otherwise)."""

    status: str = Field(description="optimal | time_limit | infeasible | ... (HiGHS, lower case)")
    objective: SupplyObjective | None
    best_bound: float | None = Field(description="lower bound on the deprivation objective")
    gap: float | None = Field(description="(objective - bound) / objective")
    method: str = Field(default="direct", description="how the LP was solved: sifting (with its solves) or direct")
    days: int = Field(description="days of the supply horizon")
    entry_capacity: str = Field(description="how entry capacity is set (scenario supply.entry_capacity)")
    daily: list[SupplyDay]
    deliveries: list[SupplyDelivery] = Field(description="per day, location and commodity (empty for ensemble members)")
    entry_use: list[EntryUse] = Field(description="per entry point and day (empty for ensemble members)")
    binding: list[BindingResult] = Field(description="binding constraints, largest predicted cut first")
    shortfall_t: dict[str, float] = Field(description="per commodity, need not met over the horizon (t)")
    required_t: dict[str, float] = Field(description="per commodity, need over the horizon (t)")
    first_shortfall_day: dict[str, int | None] = Field(description="per commodity, first day short (None: never)")
    fleet_trucks: int = Field(description="trucks the deliveries need at the same time (trucks)")
    trucks_per_day: list[int] = Field(description="trucks on the road each day (trucks)")
    max_conservation_residual_t: float | None = Field(description="largest flow-balance residual of the LP (t)")
    sharing: str = Field(description="how scarce supply is shared between locations (scenario sharing.policy)")
    carry_over: dict[str, bool] = Field(description="per commodity: unmet need carries over to later days")
    payload_t: dict[str, float] = Field(description="t per truck by commodity (water: per vehicle)")
    payload_source: dict[str, str]
    food_kcal_per_kg: float = Field(description="energy density of the food delivered (kcal/kg)")
    entry_closures: dict[str, EntryClosure] = Field(description="entry point id -> when it closes and why")
    local_water_m3_per_day: list[float] = Field(description="water produced locally each day (m3)")
    locations: int = Field(description="locations the supply plan feeds")
    areas: SupplyAreas | None = Field(
        default=None,
        exclude_if=absent,
        description=(
            "when the locations were more than supply.max_locations: how they were grouped into supply areas "
            "(stages/supply_areas.py) and how per-location figures are read"
        ),
    )
    chain: DeliveryChain | None = Field(
        default=None,
        exclude_if=absent,
        description=("entry modes and the delivery chain, when declared (docs/delivery.md)"),
    )
    fuel: FuelPlan | None = Field(default=None, exclude_if=absent, description="fuel, when declared")
    last_mile: LastMile | None = Field(
        default=None,
        exclude_if=absent,
        description=("one day's last-mile routes per origin, when supply.routing is declared"),
    )
    hubs: HubPlan | None = Field(default=None, exclude_if=absent, description="hubs, when declared")
    distribution_points: DistributionPoints | None = Field(
        default=None,
        exclude_if=absent,
        description=("per opened site its distribution points and queues, when supply.distribution is declared"),
    )
