"""Multi-day supply through capacity-limited crossings: a HiGHS LP over commodities × arcs × days.

Model (all quantities in tonnes, one period = one day, day ``t`` in ``0..days-1``):

* ``entry_use[k, e, t]`` — tonnes of commodity ``k`` admitted at entry point ``e`` on day ``t``.
  Per entry and day ``Σ_k entry_use ≤ capacity_t[e, t]`` (zero before the opening day and on
  closed days). Goods admitted on day ``t`` are available for onward transport on day
  ``t + inspection_delay_days``; entry points hold no stock.
* ``flow[k, a, t]`` — tonnes leaving along arc ``a`` on day ``t``, arriving on ``t + travel_days``
  (flows that would arrive after the horizon are fixed at 0). Optional ``Σ_k flow ≤ capacity``.
* ``stock[k, j, t]`` — end-of-day inventory at warehouse or site ``j``. Per node and day
  ``Σ_k stock ≤ capacity`` (warehouse ``capacity_t``, site ``storage_t``). Pre-positioning before
  a known closure is simply stock carried over.
* ``production[p, t] ≤ rate`` — local production (wells, desalination) at a warehouse or site.
* ``shortfall[k, q, t] ∈ [0, need]`` per demand *cell* ``q`` — a site, or one group of people at a site
  (``Site.groups``: e.g. sheltered, overflow, residents), each with its own need. For a daily commodity
  consumption = demand − shortfall. For a commodity owed until delivered (``Commodity.carry_over``: tents and
  kits) the shortfall is what is still owed at the end of the day (≤ everything owed so far) and it is owed
  again the next day: consumption = demand[t] + shortfall[t−1] − shortfall[t] ≥ 0 (nothing is taken back).

Conservation, every commodity, node and day (checked on the solution, ``max_conservation_residual_t``)::

    stock[t] − stock[t−1] + out[t] − in[t] − production[t] + Σ_q consumption[q, t] = 0

Trucks: a truck carries ``payload_t`` of one commodity (``Commodity.payload_t``, else the arc's or entry point's,
else the instance's), so entry capacity is counted in trucks: Σ_k use[k] / payload[k] ≤ trucks/day.
Arcs with ``trucked=False`` (pipelines, a water network) carry no truckloads.

Sharing (``SupplyInstance.sharing``): ``equal`` adds, per commodity and day, a common shortfall share σ and
penalises each cell's distance from it (``FAIR_WEIGHT`` × its deprivation weight per tonne, both ways): among
plans with the least deprivation the one closest to equal coverage is chosen, and a cell that can get more
(its own well) or less (out of reach) only moves away from the common share where that cuts deprivation.
``priority`` does the same within each group and weights a group's deprivation by ``GROUP_PRIORITY_FACTOR`` per
rank in ``group_priority`` (first = served first); ``none`` leaves the split to the optimiser.

Objective, lexicographic in two solves:

1. minimise deprivation ``Σ priority_k · (s1 + deep_factor · s2)`` where the shortfall of a day is
   split into ``s1 ≤ deep_share · demand`` and ``s2`` (the rest). With ``deep_factor > 1`` the cost
   is convex, so the optimiser spreads a shortage over days and sites (ration spreading) instead
   of starving one site or one day; every day weighs the same (but see the tie-break below). ``deep_factor = 1``
   gives the plain priority-weighted shortfall. Priority is a weight per tonne: higher is served first.
2. with every shortfall (and the sharing columns) fixed at its optimal value, minimise truckloads
   ``Σ flow / payload + Σ entry_use / payload`` in a second solve. Fixing each shortfall (bounds)
   rather than holding the total (one dense row) keeps the first solution feasible, so the primal simplex
   restarts from it; it keeps the first solve's spread of the shortage, and what is left is a flow problem.
   On large LPs (``trucks="auto"`` above ``AUTO_EPSILON_COLUMNS`` columns) truckloads are instead weighted
   ``EPS_TRUCKS`` ×
   the smallest priority in the one solve: one tonne delivered is worth 10⁴ times more than the
   truckloads that carry it, but this is lexicographic in practice only (tested against the two
   solves), and shadow prices then include that tiny weight.

A relative 1e-4 tie-break makes a later shortfall a hair cheaper than the same shortfall earlier
(serve people now when the total is the same), and one of at most 1e-6 per (cell, day), by a hash of its identity,
picks one plan among equally deprived ones whatever the solver's start (``tiebreak``); the reported deprivation
leaves both out.

Shadow prices (row duals) come from solve 1 and are reported per binding constraint in plain
words; ``dual × change`` is an upper bound on the cut in deprivation (the optimal value is convex
in the capacity) and exact for small enough changes.

The package: ``model`` (the instance and result types, the model's constants), ``readers`` (the standalone JSON
format: ``instance_from_dict``, ``read_instance``), ``validate`` (``instance_problems``, ``validate_instance``),
``commodities`` (commodities, payloads and per-person needs from data/commodities.yaml and a standards profile),
``cells`` (the demand cells and sharing classes), ``lp`` (the LP above as arrays: columns, rows, costs),
``corridors`` (parallel corridors through transit hubs: the same optimum, fewer columns), ``solve``
(``solve_supply``: HiGHS, warm starts, the two solves), ``sifting`` (solve without most site stock, price it in, or give up for the whole LP), ``compact`` (the model of the live columns only,
kept between ensemble members: it gains a member's new live columns and restarts warm), ``binding`` (binding constraints in words), ``extra`` (more entry capacity, the least extra capacity that
meets every need, ``meets_every_need``) and ``results`` (fleets, per-site figures, ``result_to_dict``).
"""

from .commodities import (
    CommoditySpec,
    cargo_figures,
    demand_from_people,
    load_commodities,
)
from .extra import (
    ExtraCapacity,
    meets_every_need,
    min_extra_entry_capacity,
    with_extra_capacity,
)
from .model import (
    AUTO_EPSILON_COLUMNS,
    DEEP_FACTOR,
    DEEP_SHARE,
    DEFAULT_OPERATING_H_PER_DAY,
    DEFAULT_PAYLOAD_T,
    EPS_TRUCKS,
    FAIR_WEIGHT,
    GROUP_PRIORITY_FACTOR,
    MODES,
    SHARE_OWED,
    SHARING,
    TIME_TIE_BREAK,
    Arc,
    BindingConstraint,
    Commodity,
    CorridorFleet,
    EntryPoint,
    Production,
    Site,
    SupplyInstance,
    SupplyResult,
    Warehouse,
    owed_to_date,
)
from .readers import (
    instance_from_dict,
    read_instance,
)
from .results import (
    OriginFleet,
    fleet_by_origin,
    fleet_requirements,
    result_to_dict,
    site_figures_t,
)
from .solve import (
    solve_supply,
)
from .validate import (
    instance_problems,
    validate_instance,
)

__all__ = [
    "AUTO_EPSILON_COLUMNS",
    "Arc",
    "BindingConstraint",
    "Commodity",
    "CommoditySpec",
    "CorridorFleet",
    "DEEP_FACTOR",
    "DEEP_SHARE",
    "DEFAULT_OPERATING_H_PER_DAY",
    "DEFAULT_PAYLOAD_T",
    "EPS_TRUCKS",
    "EntryPoint",
    "ExtraCapacity",
    "FAIR_WEIGHT",
    "GROUP_PRIORITY_FACTOR",
    "MODES",
    "OriginFleet",
    "Production",
    "SHARE_OWED",
    "SHARING",
    "Site",
    "SupplyInstance",
    "SupplyResult",
    "TIME_TIE_BREAK",
    "Warehouse",
    "cargo_figures",
    "demand_from_people",
    "fleet_by_origin",
    "fleet_requirements",
    "instance_from_dict",
    "instance_problems",
    "load_commodities",
    "meets_every_need",
    "min_extra_entry_capacity",
    "owed_to_date",
    "read_instance",
    "result_to_dict",
    "site_figures_t",
    "solve_supply",
    "validate_instance",
    "with_extra_capacity",
]
