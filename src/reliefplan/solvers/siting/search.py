"""Shelter siting: the search over open sets when there are opening decisions (``_OpeningSearch``), in phases:
the LP relaxation of the strong formulation (small instances), the Lagrangian branch-and-bound (large plain
ones), the Lagrangian heuristic with a local search, then the strong MILP in HiGHS warm-started with the best
plan (restricted to each client's cheapest sites on large instances)."""

from __future__ import annotations

import math
import time
from typing import Any, Callable

import numpy as np

from ..cflp.bnb import lagrangian_bnb
from ..cflp.flow import is_integral, solve_transport
from ..cflp.lagrange import LagrangeOutcome, choose_open, facility_values, lagrangian
from ..cflp.mip import MipOutcome, solve_mip
from .allocate import _Plan, greedy_single_source
from .instance import SitingInstance, SitingResult

#: instances with at most this many usable client-site pairs start with the LP relaxation of the
#: strong formulation (often integral, hence optimal) and otherwise go from a short Lagrangian phase
#: straight to the exact MILP, skipping the local search (HiGHS solves them in milliseconds).
_SMALL_ARCS = 20_000
#: share of the time left that the Lagrangian branch-and-bound may use on a plain instance before HiGHS takes
#: over (it proves 1,000 x 100 optimal in ~34 s and gets 2,000 x 200 to 0.105 % in 48 s).
_BNB_SHARE = 0.8
#: above this many pairs the MILP keeps each client's cheapest sites (plus a relaxed far column): on
#: 1,000 x 100 the full model finds better plans within a minute, on 2,000 x 200 it is too large.
_NEAR_ARCS = 150_000
#: in a full MILP above _SMALL_ARCS pairs, x_ij <= y_j rows only for each client's cheapest sites
#: (plus the arcs the Lagrangian prices below the client's multiplier and the best plan's arcs).
_LINK_K = 10
#: each client's cheapest sites kept in a restricted MILP (fewer when arc_limit is small).
_NEAR_K = 15


#: `finish(status, plan, bound, solver, message, stats)`: the SitingResult of a plan on the active arcs.
_Finish = Callable[[str, "_Plan | None", float, str, str, dict[str, Any]], SitingResult]


class _OpeningSearch:
    """The search over open sets of an instance with opening decisions, on its active arcs (clients with demand,
    sites that may open). Every open set is allocated exactly (min-cost flow; greedily when single-source) and
    remembered; `best` holds the best plan, and each phase may raise the bound or prove the plan optimal."""

    def __init__(
        self,
        inst: SitingInstance,
        t0: float,
        time_limit_s: float,
        mip_gap: float,
        arc_limit: int,
        d: np.ndarray,
        capacity: np.ndarray,
        fixed: np.ndarray,
        must: np.ndarray,
        never: np.ndarray,
        ai: np.ndarray,
        aj: np.ndarray,
        arc_cost: np.ndarray,
        unit: np.ndarray,
        penalty: float | None,
        finish: _Finish,
    ) -> None:
        self.inst, self.t0, self.time_limit_s, self.mip_gap, self.arc_limit = inst, t0, time_limit_s, mip_gap, arc_limit
        self.d, self.capacity, self.fixed, self.must, self.never = d, capacity, fixed, must, never
        self.ai, self.aj, self.arc_cost, self.unit, self.penalty, self.finish = ai, aj, arc_cost, unit, penalty, finish
        self.n_f, self.n_a, self.n_cl = capacity.size, ai.size, d.size
        self.integral = is_integral(d)
        self.small = self.n_a <= min(_SMALL_ARCS, arc_limit)
        self.dense = np.full((self.n_cl, self.n_f), np.inf)
        self.dense[ai, aj] = arc_cost
        self.cache: dict[bytes, float] = {}
        self.best: list[_Plan] = []
        self.stats: dict[str, Any] = {"evaluations": 0}
        self.order_ss = np.argsort(-d, kind="stable")
        self.lp_bound = -np.inf
        self.bnb_bound = -np.inf

    def _left_s(self) -> float:
        return self.time_limit_s - (time.perf_counter() - self.t0)

    def _proven(self, bound: float, slack: float = 0.0) -> bool:
        """The best plan is within mip_gap (+ slack) of `bound`."""
        if not self.best:
            return False
        objective = self.best[0].objective
        return bool(objective - bound <= (self.mip_gap + slack) * abs(objective))

    def solve(self) -> SitingResult:
        done = self._lp_relaxation() if self.small else None
        if done is None and (
            _BNB_SHARE > 0
            and not self.small
            and not self.inst.single_source
            and self.inst.min_open is None
            and self.inst.max_open is None
            and not self.must.any()
        ):
            done = self._branch_and_bound()
        if done is not None:
            return done
        lag = self._lagrangian_heuristic()
        bound = max(lag.bound, self.lp_bound, self.bnb_bound)
        solver = "lagrangian-heuristic" if "bnb" not in self.stats else "lagrangian-bnb"
        if self._proven(bound):
            return self.finish(
                "optimal",
                self.best[0],
                bound,
                solver,
                "heuristic plan proven optimal by the Lagrangian bound",
                self.stats,
            )
        return self._mip(lag, bound)

    # ------------------------------------------------------------------ evaluating open sets

    def evaluate(self, y_open: np.ndarray, cost_steps: float = 1e6) -> _Plan | None:
        """Allocate optimally (or greedily, single-source) to a fixed open set; None if infeasible."""
        inst, aj, d = self.inst, self.aj, self.d
        if inst.max_open is not None and y_open.sum() > inst.max_open:
            return None
        if inst.min_open is not None and y_open.sum() < inst.min_open:
            return None
        sel = y_open[aj]
        self.stats["evaluations"] += 1
        if inst.single_source:
            return greedy_single_source(
                y_open,
                self.ai,
                self.aj,
                self.d,
                self.dense,
                self.capacity,
                self.order_ss,
                self.penalty,
                self.arc_cost,
                self.fixed,
                self.must | (inst.min_open is not None),
            )
        sol = solve_transport(self.ai[sel], aj[sel], self.unit[sel], d, self.capacity, self.penalty, cost_steps)
        if sol.status != "optimal":
            return None
        flow = np.zeros(self.n_a)
        flow[sel] = sol.flow
        used = np.bincount(aj, weights=flow, minlength=self.n_f) > 0
        keep_closed = inst.min_open is not None
        y = (y_open & (used | self.must | keep_closed)).astype(float)
        obj = sol.objective + float(self.fixed @ y)
        return _Plan(obj, flow / d[self.ai], y, sol.unmet / d, flow if self.integral else None)

    def consider(self, y_open: np.ndarray) -> float:
        """Evaluate an open set (repaired to cover the demand when everyone must be served), once; the best
        objective so far."""
        never, capacity, d, best = self.never, self.capacity, self.d, self.best
        y_open = y_open & ~never
        if self.penalty is None and capacity @ y_open < d.sum() - 1e-9 and self.inst.max_open is None:
            # repair: add the cheapest capacity (fixed cost per person) until demand is covered
            cand = np.flatnonzero(~y_open & ~never & (capacity > 0))
            cand = cand[np.argsort(self.fixed[cand] / capacity[cand], kind="stable")]
            y_open = y_open.copy()
            for j in cand:
                y_open[j] = True
                if capacity @ y_open >= d.sum() - 1e-9:
                    break
        key = np.packbits(y_open).tobytes()
        if key not in self.cache:
            plan = self.evaluate(y_open)
            self.cache[key] = plan.objective if plan is not None else np.inf
            if plan is not None and (not best or plan.objective < best[0].objective - 1e-9):
                best[:] = [plan]
        return best[0].objective if best else np.inf

    def _y_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Bounds on y before any fixing: must-open and free sites (without max_open) open, never-open closed."""
        y_lo = np.where(self.must | ((self.fixed == 0) & (self.inst.max_open is None)), 1.0, 0.0) * ~self.never
        y_hi = np.where(self.never, 0.0, 1.0)
        return y_lo, y_hi

    # ------------------------------------------------------------------ phases

    def _lp_relaxation(self) -> SitingResult | None:
        """The LP relaxation of the strong formulation is often integral on small instances (it is on every
        OR-Library cap instance shipped here); one HiGHS LP then proves the plan optimal in milliseconds,
        without the MILP machinery."""
        inst, d, penalty, fixed, arc_cost = self.inst, self.d, self.penalty, self.fixed, self.arc_cost
        mip_gap = self.mip_gap
        y_lo, y_hi = self._y_bounds()
        lp = solve_mip(
            self.ai,
            self.aj,
            arc_cost,
            d,
            self.capacity,
            fixed,
            y_lo,
            y_hi,
            inst.min_open,
            inst.max_open,
            None if penalty is None else float(penalty),
            inst.single_source,
            max(0.05, self._left_s()),
            mip_gap,
            None,
            relax=True,
        )
        self.stats["lp_bound"] = lp.bound
        if lp.status == "optimal" and lp.x is not None and lp.y is not None and lp.u is not None:
            self.lp_bound = lp_bound = lp.bound
            y_int = bool(np.all(np.abs(lp.y - np.rint(lp.y)) <= 1e-7))
            x_int = not inst.single_source or bool(
                np.all(np.abs(lp.x - np.rint(lp.x)) <= 1e-7) and np.all(np.abs(lp.u - np.rint(lp.u)) <= 1e-7)
            )
            if y_int and x_int:
                y_lp = np.rint(lp.y)
                plan: _Plan | None = None
                if inst.single_source:
                    xs, us = np.rint(lp.x), np.rint(lp.u)
                    plan = _Plan(
                        float(xs @ arc_cost + fixed @ y_lp + float(penalty or 0.0) * (d @ us)),
                        xs,
                        y_lp,
                        us,
                        xs * d[self.ai],
                    )
                else:
                    plan = self.evaluate(y_lp > 0.5, cost_steps=1e9)
                if plan is not None and plan.objective - lp_bound <= mip_gap * abs(plan.objective):
                    self.stats["t_heuristic_s"] = time.perf_counter() - self.t0
                    return self.finish(
                        "optimal",
                        plan,
                        lp_bound,
                        "highs-lp",
                        "the LP relaxation of the strong formulation is integral",
                        self.stats,
                    )
                if plan is not None:
                    self.best[:] = [plan]
        elif lp.status == "infeasible" and penalty is None:
            return self.finish(
                "infeasible",
                None,
                float("nan"),
                "highs-lp",
                "HiGHS proved that even the LP relaxation has no plan meeting all constraints",
                self.stats,
            )
        return None

    def _branch_and_bound(self) -> SitingResult | None:
        """Lagrangian branch-and-bound over the open decisions: proves large plain instances within a fraction
        of HiGHS's time (its node LPs carry every client-site pair). If it runs out of time, HiGHS goes on
        from its plan and bound with what is left."""
        d, penalty, best = self.d, self.penalty, self.best
        cols = np.flatnonzero(~self.never)
        c_b, cap_b, f_b = self.dense[:, cols], self.capacity[cols], self.fixed[cols]
        if penalty is not None:  # unmet demand = a free site as large as the demand, at the penalty
            c_b = np.column_stack([c_b, float(penalty) * d])
            cap_b, f_b = np.append(cap_b, d.sum()), np.append(f_b, 0.0)
        share = max(0.05, _BNB_SHARE * self._left_s())
        bb = lagrangian_bnb(c_b, d, cap_b, f_b, share, gap=self.mip_gap)
        self.stats["bnb"] = {
            "status": bb.status,
            "objective": bb.objective,
            "bound": bb.bound,
            "gap": bb.gap,
            "nodes": bb.nodes,
            "time_s": bb.time_s,
        }
        if bb.y is not None:
            y_open = np.zeros(self.n_f, dtype=bool)
            y_open[cols] = bb.y[: cols.size]
            plan = self.evaluate(y_open, cost_steps=1e9)
            if plan is not None and (not best or plan.objective < best[0].objective):
                best[:] = [plan]
        if math.isfinite(bb.bound):
            self.bnb_bound = bb.bound
        if bb.status == "infeasible" and penalty is None:
            return self.finish(
                "infeasible",
                None,
                float("nan"),
                "lagrangian-bnb",
                "total capacity of the sites that may open is below the demand, or a client has no site",
                self.stats,
            )
        # (the search prunes at exactly mip_gap, so allow for rounding as `finish` does)
        if self._proven(self.bnb_bound, 1e-12):
            self.stats["t_heuristic_s"] = time.perf_counter() - self.t0
            return self.finish(
                "optimal",
                best[0],
                self.bnb_bound,
                "lagrangian-bnb",
                f"Lagrangian branch-and-bound: {bb.nodes} nodes",
                self.stats,
            )
        return None

    def _lagrangian_heuristic(self) -> LagrangeOutcome:
        """Seed, the Lagrangian relaxation (probing some of its open sets), its own open set, then a local search."""
        inst, never, must, capacity, best, t0 = self.inst, self.never, self.must, self.capacity, self.best, self.t0
        budget = max(0.05, self._left_s())
        # Seed: every site that may open (feasible if anything is), or the largest ones up to max_open.
        if inst.max_open is None:
            self.consider(~never)
        else:
            seed = must.copy()
            room = max(0, inst.max_open - int(must.sum()))
            cand = np.flatnonzero(~must & ~never)
            seed[cand[np.argsort(-capacity[cand], kind="stable")[:room]]] = True
            self.consider(seed)
        calls = [0, 0.0]  # probes, seconds spent allocating
        t_lag = time.perf_counter()

        def probe(y_open: np.ndarray) -> float:
            # Allocating an open set costs a min-cost flow: try every 4th Lagrangian open set, and keep
            # allocation below half of the Lagrangian's time so the multipliers keep converging.
            calls[0] += 1
            if calls[0] % 4 == 1 and calls[1] <= 0.5 * (time.perf_counter() - t_lag) + 0.05:
                t = time.perf_counter()
                out = self.consider(y_open)
                calls[1] += time.perf_counter() - t
                return out
            return best[0].objective if best else np.inf

        dense, d, fixed = self.dense, self.d, self.fixed
        lag = lagrangian(
            dense,
            d,
            capacity,
            fixed,
            must,
            never,
            inst.min_open,
            inst.max_open,
            None if self.penalty is None else float(self.penalty),
            probe,
            max_iter=10 if self.small else 1500,
            time_budget_s=(0.1 if self.small else 0.3) * budget,
        )
        self.consider(
            choose_open(
                facility_values(dense, d, capacity, fixed, lag.lam)[0],
                capacity,
                must,
                never,
                inst.min_open,
                inst.max_open,
                None,
            )[0]
            > 0
        )
        self.stats["lagrangian_iterations"] = lag.iterations
        self.stats["lagrangian_bound"] = lag.bound
        self._local_search(lag)
        self.stats["heuristic_objective"] = best[0].objective if best else float("inf")
        self.stats["t_heuristic_s"] = time.perf_counter() - t0
        return lag

    def _local_search(self, lag: LagrangeOutcome) -> None:
        """First improvement: drop the least used open site, open one of the sites the relaxation likes most, or
        swap a lightly used site for a closed one that serves similar zones."""
        dense, d, capacity, must, never, fixed, best = (
            self.dense,
            self.d,
            self.capacity,
            self.must,
            self.never,
            self.fixed,
            self.best,
        )
        v_lag = facility_values(dense, d, capacity, fixed, lag.lam)[0]
        unit_cols = np.where(np.isfinite(dense), dense / d[:, None], np.nan)
        deadline = self.t0 + 0.35 * self.time_limit_s

        def similar(j: int, cand: np.ndarray, k: int) -> np.ndarray:
            diff = np.nanmean(np.abs(unit_cols[:, cand] - unit_cols[:, [j]]), axis=0)
            return cand[np.argsort(np.nan_to_num(diff, nan=np.inf), kind="stable")[:k]]

        # On small instances HiGHS finds and proves the optimum faster than this search in Python.
        improved = not self.small
        while improved and best and time.perf_counter() < deadline:
            improved = False
            cur = best[0]
            cur_open = cur.y > 0.5
            load = np.bincount(self.aj, weights=cur.x * d[self.ai], minlength=self.n_f)
            opened = np.flatnonzero(cur_open & ~must & (fixed > 0))
            opened = opened[np.argsort(load[opened] / np.maximum(capacity[opened], 1e-12), kind="stable")]
            closed = np.flatnonzero(~cur_open & ~never)
            closed_by_v = closed[np.argsort(v_lag[closed], kind="stable")]
            trials: list[tuple[list[int], list[int]]] = [([j], []) for j in opened.tolist()]
            trials += [([], [k]) for k in closed_by_v[:8].tolist()]
            if closed.size:
                trials += [([j], [k]) for j in opened.tolist() for k in similar(j, closed, 3).tolist()]
            for drop, add in trials:
                if time.perf_counter() >= deadline:
                    break
                trial = cur_open.copy()
                trial[drop] = False
                trial[add] = True
                before = best[0].objective
                self.consider(trial)
                if best[0].objective < before - 1e-9 * abs(before):
                    improved = True
                    break

    # ------------------------------------------------------------------ the MILP

    def _fixings(self, upper: float) -> tuple[np.ndarray, np.ndarray]:
        """Bounds on y. Lagrangian fixing: flipping facility j away from its choice in the relaxation
        raises the (cover-free) Lagrangian bound by |v_j|; if that reaches `upper`, no plan cheaper
        than `upper` flips j."""
        y_lo, y_hi = self._y_bounds()
        if self.can_fix and math.isfinite(upper):
            free, lam_value, lag0 = self.free, self.lam_value, self.lag0
            close = free & (lam_value >= 0) & (lag0 + lam_value >= upper)
            force = free & (lam_value < 0) & (lag0 - lam_value >= upper)
            y_hi[close] = 0.0
            y_lo[force] = 1.0
        return y_lo, y_hi

    def _near_arcs(self, keep: np.ndarray, k: int) -> np.ndarray:
        """Each client's k cheapest arcs among `keep`, the arcs the Lagrangian prices below the
        client's multiplier (those the LP relaxation can use), and the best plan's arcs."""
        ai, n_a = self.ai, self.n_a
        by_client = np.lexsort((np.where(keep, self.unit, np.inf), ai))
        first = np.searchsorted(ai[by_client], np.arange(self.n_cl))
        rank = np.empty(n_a, dtype=np.int64)
        rank[by_client] = np.arange(n_a) - first[ai[by_client]]
        near = (rank < k) | (self.arc_cost < self.lam[ai])
        if self.best:
            near |= self.best[0].x > 0
        return keep & near

    def _run_mip(self, k_near: int | None, limit_s: float, widen: np.ndarray) -> tuple[MipOutcome, float]:
        """One HiGHS run over the arcs of facilities not fixed closed; with k_near, each client keeps
        its near arcs (all arcs for `widen` clients) and the rest becomes its relaxed far column."""
        inst, ai, aj, arc_cost, d, fixed, penalty, best = (
            self.inst,
            self.ai,
            self.aj,
            self.arc_cost,
            self.d,
            self.fixed,
            self.penalty,
            self.best,
        )
        fix_ub = best[0].objective if best else np.inf
        y_lo, y_hi = self._fixings(fix_ub)
        keep = y_hi[aj] > 0
        far_cost = None
        if k_near is not None:
            near = self._near_arcs(keep, k_near) | (keep & widen[ai])
            dropped = keep & ~near
            far_cost = np.full(self.n_cl, np.inf)
            np.minimum.at(far_cost, ai[dropped], arc_cost[dropped])
            keep = near
        sub = np.flatnonzero(keep)
        start = (best[0].x[sub], best[0].y, best[0].u) if best else None
        # the capacity rows link every arc, so the model stays exact with fewer x_ij <= y_j rows
        link = self._near_arcs(keep, _LINK_K)[sub] if k_near is None and sub.size > _SMALL_ARCS else None
        mip = solve_mip(
            ai[sub],
            aj[sub],
            arc_cost[sub],
            d,
            self.capacity,
            fixed,
            y_lo,
            y_hi,
            inst.min_open,
            inst.max_open,
            None if penalty is None else float(penalty),
            inst.single_source,
            limit_s,
            self.mip_gap,
            start,
            link,
            far_cost,
        )
        far_used = 0 if mip.far is None else int((mip.far > 1e-9).sum())
        self.stats.setdefault("mip_runs", []).append(
            {
                "arcs": int(sub.size),
                "status": mip.status,
                "link_rows": int(sub.size if link is None else link.sum()),
                "far_columns": int(np.isfinite(far_cost).sum()) if far_cost is not None else 0,
                "far_used": far_used,
                "nodes": mip.nodes,
                "bound": mip.bound,
                "fixed_closed": int((y_hi == 0).sum()),
                "fixed_open": int((y_lo == 1).sum()),
            }
        )
        self._adopt(mip, sub, far_used)
        # The MILP (with far columns: a relaxation) is exact for plans cheaper than fix_ub, so its
        # bound holds for the full instance; if it has no plan, none is cheaper than fix_ub.
        if mip.status == "infeasible":
            return mip, fix_ub if math.isfinite(fix_ub) else float("nan")
        return mip, min(mip.bound, fix_ub)

    def _adopt(self, mip: MipOutcome, sub: np.ndarray, far_used: int) -> None:
        """Make the MILP's plan (on the arcs `sub`) the best one when it is better; a plan leaning on far columns
        or split between sites is re-allocated over all usable arcs first."""
        if mip.x is None or mip.y is None or mip.u is None:
            return
        inst, arc_cost, d, fixed, penalty, best = self.inst, self.arc_cost, self.d, self.fixed, self.penalty, self.best
        x = np.zeros(self.n_a)
        x[sub] = mip.x
        mplan = None
        if far_used == 0:
            mplan = _Plan(float(x @ arc_cost + fixed @ mip.y + float(penalty or 0.0) * (d @ mip.u)), x, mip.y, mip.u)
        if not inst.single_source or mplan is None:
            # Re-allocate the MILP's open set over ALL usable arcs: min-cost flow gives whole
            # people and is never worse than the (possibly relaxed) MILP allocation up to rounding.
            realloc = self.evaluate(mip.y > 0.5, cost_steps=1e9)
            if realloc is not None and (mplan is None or realloc.objective <= mplan.objective * (1 + 1e-9) + 1e-9):
                mplan = realloc
        if mplan is not None and (not best or mplan.objective < best[0].objective):
            best[:] = [mplan]

    def _mip(self, lag: LagrangeOutcome, bound: float) -> SitingResult:
        """HiGHS on the strong formulation, warm-started with the best plan and with facilities fixed by the
        Lagrangian; on large instances restricted to each client's near sites plus a relaxed far column, widened
        for the clients whose plan used it (a few rounds at most)."""
        inst, best, stats, t0 = self.inst, self.best, self.stats, self.t0
        self.lam = lag.lam
        self.lam_value, _ = facility_values(self.dense, self.d, self.capacity, self.fixed, lag.lam)
        self.free = ~self.must & ~self.never
        self.lag0 = float(
            lag.lam.sum() + self.lam_value[self.must].sum() + np.minimum(0.0, self.lam_value[self.free]).sum()
        )
        if self.penalty is not None:
            self.lag0 += float(np.minimum(0.0, float(self.penalty) * self.d - lag.lam).sum())
        self.can_fix = inst.min_open is None and inst.max_open is None

        n_cl = self.n_cl
        n_live = int(self._fixings(best[0].objective if best else np.inf)[1][self.aj].sum())
        restrict = n_live > min(self.arc_limit, _NEAR_ARCS)
        k_near = max(3, min(_NEAR_K, self.arc_limit // max(n_cl, 1))) if restrict else None
        widen = np.zeros(n_cl, dtype=bool)
        solver = "lagrangian-heuristic"
        mip_status = "not run"
        for _round in range(4):
            remaining = self._left_s()
            if remaining <= 0.05:
                mip_status = "time_limit"
                break
            mip, mip_bound = self._run_mip(k_near, remaining, widen)
            solver = "highs-mip" if "bnb" not in stats else "lagrangian-bnb + highs-mip"
            if math.isfinite(mip_bound):
                bound = max(bound, mip_bound)
            mip_status = mip.status
            if self._proven(bound):
                break
            if mip.status == "infeasible":
                if best:
                    mip_status = "infeasible below the incumbent (incumbent optimal)"
                break
            # The relaxation was solved but its plan leaned on far columns: give those clients all their
            # sites and solve again (a few rounds at most).
            if mip.status != "optimal" or mip.far is None or not np.any(mip.far > 1e-9) or k_near is None:
                break
            widen |= mip.far > 1e-9
        stats["t_mip_s"] = time.perf_counter() - t0 - stats["t_heuristic_s"]
        notes = []
        if restrict:
            notes.append(
                f"HiGHS ran on each client's {k_near} cheapest sites (of {n_live} client-site pairs) plus "
                "a relaxed far column per client, so its bound is valid for the full instance"
            )
        notes.append(f"HiGHS status {mip_status}")
        if not best:
            if mip_status == "infeasible":
                return self.finish(
                    "infeasible",
                    None,
                    float("nan"),
                    "highs-mip",
                    "HiGHS proved that no plan meets all constraints",
                    stats,
                )
            return self.finish("time_limit", None, bound, solver, "no feasible plan found within the time limit", stats)
        if self._proven(bound):
            status = "optimal"
        elif mip_status == "time_limit" or time.perf_counter() - t0 >= self.time_limit_s * 0.99:
            status = "time_limit"
        else:
            status = "feasible"
        return self.finish(status, best[0], bound, solver, "; ".join(notes), stats)
