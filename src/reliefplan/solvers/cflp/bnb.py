"""Lagrangian branch-and-bound for the plain CFLP (in the style of Görtz & Klose, 2012).

Every node relaxes the demand constraints sum_j x_ij = 1 with multipliers lam_i (cost units per
client). The relaxation splits into one continuous knapsack per facility (`facility_values`) plus
the LP relaxation of the cover sum_j cap_j y_j >= total demand over the open decisions (valid
because no demand may go unmet); its value is a lower bound for every plan in the node's subtree,
and at the dual optimum it equals the strong LP bound of the node. (An exact 0-1 knapsack for the
cover was tried: it lifted the root bound of the 1,000 x 100 benchmark by 6e-6 relative, not worth
its cost per iteration.) Multipliers come from Polyak subgradient steps towards the cutoff,
warm-started at the parent's multipliers with a fresh, large step (theta = 2): a child inherits
nearly converged multipliers, but its fixed facility moves the dual optimum far enough that small
inherited steps stall. Nodes are taken best bound first and branch on the facility whose averaged
relaxed opening (a volume-algorithm style primal estimate) is closest to 1/2. Reduced-cost
(Lagrangian) fixing closes or opens facilities whose flip would lift the bound past the cutoff, and
each node's rounded-up open set is allocated exactly (`solve_transport`) as a candidate plan.

Plain case only: every client fully served, fractional assignment, no groups, no open-count limits.
"""

from __future__ import annotations

import heapq
import itertools
import math
import time
from dataclasses import dataclass, field

import numpy as np

from .flow import solve_transport
from .lagrange import choose_open, facility_values, fill_knapsacks, lagrangian


@dataclass
class BnbOutcome:
    """Result of `lagrangian_bnb`.

    status : 'optimal' (search finished: objective proven within `gap` of the optimum; exactly
        optimal when gap = 0),
        'time_limit' (stopped; objective/bound/gap still valid) or 'infeasible' (capacity too small).
    objective : cost of the best plan found (same units as cost and fixed).
    bound : proven lower bound on the optimum; gap = (objective - bound) / |objective|.
    y : open facilities of the best plan (bool), None if no plan.
    nodes : nodes evaluated; time_s : wall clock; history : (time_s, objective, bound) samples.
    """

    status: str
    objective: float
    bound: float
    gap: float
    y: np.ndarray | None
    nodes: int
    time_s: float
    history: list[tuple[float, float, float]] = field(default_factory=list)


@dataclass
class _Incumbent:
    objective: float = math.inf
    y: np.ndarray | None = None


@dataclass
class _Node:
    must: np.ndarray
    never: np.ndarray
    lam: np.ndarray
    ybar: np.ndarray
    theta: float
    depth: int


_NEAR_M = 30  # arcs per client kept for the fast per-iteration knapsacks


def _near_arcs(cost: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each client's m cheapest facilities (n_c x m), their costs, and the next cheapest cost."""
    order = np.argsort(cost, axis=1, kind="stable")
    near = order[:, :m]
    near_cost = np.take_along_axis(cost, near, axis=1)
    nxt = (
        np.take_along_axis(cost, order[:, m : m + 1], axis=1)[:, 0]
        if m < cost.shape[1]
        else np.full(cost.shape[0], np.inf)
    )
    return near, near_cost, nxt


def _facility_values_near(
    near: np.ndarray,
    near_cost: np.ndarray,
    demand: np.ndarray,
    capacity: np.ndarray,
    fixed: np.ndarray,
    lam: np.ndarray,
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """`facility_values` over each client's near arcs only: exact whenever no client's multiplier
    exceeds its first dropped cost (only arcs with cost < lam_i enter a knapsack).

    One argsort on facility + scaled ratio replaces a two-key lexsort (ratios closer than ~1e-13
    of their range may swap, which changes a knapsack value by as little).
    """
    ii, mm = np.nonzero(near_cost < lam[:, None])
    jj = near[ii, mm]
    r = near_cost[ii, mm] - lam[ii]
    q = r / demand[ii]
    lo, hi = float(q.min(initial=0.0)), float(q.max(initial=0.0))
    order = np.argsort(jj + 0.5 * (q - lo) / max(hi - lo, 1e-300))
    return fill_knapsacks(ii[order], jj[order], r[order], capacity, fixed, demand)


def lagrangian_bnb(
    cost: np.ndarray,
    demand: np.ndarray,
    capacity: np.ndarray,
    fixed: np.ndarray,
    time_limit_s: float,
    start_open: np.ndarray | None = None,
    start_objective: float | None = None,
    gap: float = 1e-3,
    root_iterations: int = 1500,
    node_iterations: int = 80,
    child_theta: float | None = 2.0,
    stall_halve: int = 10,
    ybar_weight: float = 0.2,
) -> BnbOutcome:
    """Branch-and-bound over the open decisions y with Lagrangian node bounds.

    cost[i, j] : cost of serving all of client i's demand from facility j (inf = not allowed).
    demand[i] : people (all must be served); capacity[j] : people; fixed[j] : opening cost (same
    units as cost). time_limit_s : wall-clock budget of this call (checked between branchings, so it
    may overrun by one node pair). start_open / start_objective : a known plan (its open set and
    cost) used as the first incumbent. gap : relative gap at which a node is pruned
    (bound >= incumbent * (1 - gap)); 0 searches for the exact optimum (up to float tolerances).
    Tuning: root_iterations (subgradient steps at the root), node_iterations (per child),
    child_theta (Polyak step factor each child starts with; None = inherit the parent's),
    stall_halve (steps without improvement before the factor halves), ybar_weight (weight of the
    newest relaxed opening in the averaged primal estimate used for branching).
    """
    t0 = time.perf_counter()
    cost = np.asarray(cost, dtype=float)
    demand = np.asarray(demand, dtype=float)
    capacity = np.asarray(capacity, dtype=float)
    fixed = np.asarray(fixed, dtype=float)
    total = float(demand.sum())
    if float(capacity.sum()) < total - 1e-9:
        return BnbOutcome("infeasible", math.nan, math.nan, math.nan, None, 0, time.perf_counter() - t0, [])
    keep = demand > 0  # clients without demand change nothing (and would divide by zero)
    cost, demand = cost[keep], demand[keep]
    if not np.isfinite(cost).any(axis=1).all():
        return BnbOutcome("infeasible", math.nan, math.nan, math.nan, None, 0, time.perf_counter() - t0, [])
    search = _Search(cost, demand, total, capacity, fixed, t0, time_limit_s, gap, stall_halve, ybar_weight)
    if start_open is not None and start_objective is not None:
        search.inc.objective, search.inc.y = float(start_objective), np.asarray(start_open, bool).copy()
    return search.run(root_iterations, node_iterations, child_theta)


class _Search:
    """The branch-and-bound's state: the incumbent, the open sets already allocated, the node heap and the lowest
    bound among pruned subtrees and Lagrangian fixings (`floor`, still valid)."""

    def __init__(
        self,
        cost: np.ndarray,
        demand: np.ndarray,
        total: float,
        capacity: np.ndarray,
        fixed: np.ndarray,
        t0: float,
        time_limit_s: float,
        gap: float,
        stall_halve: int,
        ybar_weight: float,
    ) -> None:
        self.cost, self.demand, self.capacity, self.fixed = cost, demand, capacity, fixed
        self.t0, self.time_limit_s, self.gap = t0, time_limit_s, gap
        self.stall_halve, self.ybar_weight = stall_halve, ybar_weight
        self.n_c, self.n_f = cost.shape
        self.total = total  # of every client's demand, as the caller summed it
        self.ai, self.aj = np.nonzero(np.isfinite(cost))
        self.near, self.near_cost, self.next_cost = _near_arcs(cost, min(_NEAR_M, self.n_f))
        self.unit = cost[self.ai, self.aj] / np.maximum(demand[self.ai], 1e-300)
        self.cache: dict[bytes, tuple[float, float]] = {}  # open set -> (plan cost, lower bound on its optimum)
        self.inc = _Incumbent()
        self.flow_time = 0.0
        self.floor = math.inf
        self.heap: list[tuple[float, int, int, _Node]] = []
        self.tie = itertools.count()
        self.nodes = 1
        self.history: list[tuple[float, float, float]] = []
        self.last_sample = 0.0

    def values(self, lam: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        if np.any(lam > self.next_cost):
            return facility_values(self.cost, self.demand, self.capacity, self.fixed, lam)
        return _facility_values_near(self.near, self.near_cost, self.demand, self.capacity, self.fixed, lam)

    def evaluate(self, y_open: np.ndarray) -> None:
        """Allocate exactly to the open set; keep it if it beats the incumbent."""
        key = np.packbits(y_open).tobytes()
        if key in self.cache:
            return
        ai, aj = self.ai, self.aj
        t = time.perf_counter()
        sel = y_open[aj]
        sol = solve_transport(ai[sel], aj[sel], self.unit[sel], self.demand, self.capacity, None, 1e9)
        self.flow_time += time.perf_counter() - t
        if sol.status != "optimal":
            self.cache[key] = (math.inf, math.inf)
            return
        used = np.bincount(aj[sel], weights=sol.flow, minlength=self.n_f) > 0
        obj = sol.objective + float(self.fixed[used].sum())
        self.cache[key] = (obj, sol.bound + float(self.fixed[y_open].sum()))
        if obj < self.inc.objective:
            self.inc.objective, self.inc.y = obj, used

    def cutoff(self) -> float:
        ub = self.inc.objective
        return ub - self.gap * abs(ub) if math.isfinite(ub) else math.inf

    def _out_of_time(self) -> bool:
        return time.perf_counter() - self.t0 > self.time_limit_s

    def solve_node(self, node: _Node, max_iter: int) -> tuple[float, np.ndarray | None]:
        """Subgradient on the node's Lagrangian dual; returns (bound, relaxed y at the best lam).

        Updates node.lam/ybar/theta and fixes facilities in node.must/node.never in place.
        """
        capacity, total = self.capacity, self.total
        lam = node.lam
        best, best_lam, best_y = -math.inf, lam, None
        theta, stall = node.theta, 0
        free_any = True
        if float(capacity[~node.never].sum()) < total - 1e-9:
            return math.inf, None
        for _ in range(max_iter):
            if self._out_of_time():  # the best multipliers so far still give a valid bound
                break
            value, (xi, xj, xf) = self.values(lam)
            y, y_val = choose_open(value, capacity, node.must, node.never, None, None, total)
            lval = float(lam.sum()) + y_val
            if lval > best + 1e-12 * abs(lval):
                best, best_lam, best_y, stall = lval, lam, y, 0
            else:
                stall += 1
                if stall >= self.stall_halve:
                    theta, stall = theta * 0.5, 0
            cut = self.cutoff()
            if best >= cut:
                break
            if free_any and math.isfinite(cut):
                free_any = self._fix(node, lam, value, y, cut)
            node.ybar = (1.0 - self.ybar_weight) * node.ybar + self.ybar_weight * y
            served = np.bincount(xi, weights=xf * y[xj], minlength=self.n_c)
            g = 1.0 - served
            norm = float(g @ g)
            if norm < 1e-12 or theta < 1e-5:
                break
            target = cut if math.isfinite(cut) else abs(lval) * 1.01 + 1.0
            lam = lam + theta * max(target - lval, 1e-6 * abs(target)) / norm * g
        node.lam, node.theta = best_lam, max(theta, 1e-3)
        return best, best_y

    def _fix(self, node: _Node, lam: np.ndarray, value: np.ndarray, y: np.ndarray, cut: float) -> bool:
        """Lagrangian (reduced-cost) fixing. mu = the covering LP's dual price (ratio of its critical facility);
        with it, the bound of the subtree that flips free j from its LP choice is at least
        l_mu + |value_j - mu cap_j|. Past the cutoff, no plan worth finding flips j. Whether any facility is
        still free."""
        capacity = self.capacity
        free = ~node.must & ~node.never
        crit = free & (y > 0) & (value > 0) & (capacity > 0)
        mu = float((value[crit] / capacity[crit]).max()) if crit.any() else 0.0
        rc = value - mu * capacity
        l_mu = float(lam.sum() + mu * self.total + rc[node.must].sum() + np.minimum(0.0, rc[free]).sum())
        close = free & (rc >= 0) & (l_mu + rc >= cut)
        force = free & (rc < 0) & (l_mu - rc >= cut)
        if close.any() or force.any():
            self.floor = min(self.floor, cut)
            node.never |= close
            node.must |= force
        return bool((~node.must & ~node.never).any())

    def global_bound(self) -> float:
        lb = min(self.heap[0][0] if self.heap else math.inf, self.floor)
        return min(lb, self.inc.objective)

    def sample(self, force: bool = False) -> None:
        t = time.perf_counter() - self.t0
        if force or t - self.last_sample >= 1.0:
            self.last_sample = t
            self.history.append((t, self.inc.objective, self.global_bound()))

    def push(self, bound: float, node: _Node) -> None:
        """Keep a node to branch on if its bound is below the cutoff, else count its subtree as pruned."""
        if bound < self.cutoff():
            heapq.heappush(self.heap, (bound, -node.depth, next(self.tie), node))
        else:
            self.floor = min(self.floor, bound)

    def run(self, root_iterations: int, node_iterations: int, child_theta: float | None) -> BnbOutcome:
        # Root: the plain subgradient of _cflp_lagrange gives good multipliers quickly.
        n_f = self.n_f
        none = np.zeros(n_f, bool)
        root_lag = lagrangian(
            self.cost,
            self.demand,
            self.capacity,
            self.fixed,
            none,
            none,
            None,
            None,
            None,
            lambda _y: self.inc.objective,
            max_iter=root_iterations,
            time_budget_s=0.2 * self.time_limit_s,
        )
        root = _Node(none.copy(), none.copy(), root_lag.lam, np.full(n_f, 0.5), 0.5, 0)
        root_bound, root_y = self.solve_node(root, root_iterations // 3)
        if root_y is not None:
            self.evaluate(root_y > 0)
        self.push(root_bound, root)
        self.sample(True)
        while self.heap and time.perf_counter() - self.t0 < self.time_limit_s:
            key, _, _, parent = heapq.heappop(self.heap)
            if key >= self.cutoff():
                self.floor = min(self.floor, key)
                continue
            free = ~parent.must & ~parent.never
            if not free.any():
                # every facility decided: the exact allocation is this leaf's optimum
                self.evaluate(parent.must.copy())
                self.floor = min(self.floor, max(key, self.cache[np.packbits(parent.must).tobytes()][1]))
                continue
            self._branch(key, parent, free, node_iterations, child_theta)
            self.sample()
        self.sample(True)
        obj = self.inc.objective
        bound = self.global_bound()
        status = "optimal" if not self.heap else "time_limit"
        g = (obj - bound) / max(abs(obj), 1e-12) if math.isfinite(obj) else math.nan
        return BnbOutcome(
            status, obj, bound, max(0.0, g), self.inc.y, self.nodes, time.perf_counter() - self.t0, self.history
        )

    def _branch(
        self, key: float, parent: _Node, free: np.ndarray, node_iterations: int, child_theta: float | None
    ) -> None:
        """Open and close the free facility whose averaged relaxed opening is closest to 1/2."""
        score = np.where(free, np.abs(parent.ybar - 0.5), np.inf)
        j = int(np.argmin(score))
        for open_j in (True, False):
            child = _Node(
                parent.must.copy(),
                parent.never.copy(),
                parent.lam,
                parent.ybar.copy(),
                parent.theta if child_theta is None else child_theta,
                parent.depth + 1,
            )
            (child.must if open_j else child.never)[j] = True
            child.ybar[j] = 1.0 if open_j else 0.0
            bnd, y = self.solve_node(child, node_iterations)
            self.nodes += 1
            bnd = max(bnd, key)  # a child's relaxation is never weaker than its parent's
            if y is not None and self.flow_time <= 0.3 * (time.perf_counter() - self.t0):
                self.evaluate(y > 0)
            self.push(bnd, child)
