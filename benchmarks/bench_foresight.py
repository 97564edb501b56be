"""How much kinder foresight is: the same ensemble members (seed 1) with each member's supply planned over the
horizon knowing its draws (``plan``, the LP) and operated day by day without foresight (``operate``), and what a
member costs in each mode.

Run: `python -m benchmarks.bench_foresight [--rafah NAME] [--members N] [--layout off|fit]`; prints per commodity
P10/P50/P90 of the shortfall (t) and of the first shortfall day, both modes, and the members' median CPU seconds.
Members run in this process, one after the other (workers=1), on a (shared) machine: CPU seconds are this process's.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from reliefplan.analysis import ensemble, ensemble_member

from .bench_ensemble import _load, rafah


def _pct(values: list[float], days: bool) -> str:
    """P10 / P50 / P90 as the ensemble summary computes them: a first day never reached ranks after the horizon
    ("none"), tonnes linear."""
    v = np.array(values, dtype=float)
    if days:
        p = np.percentile(np.where(np.isnan(v), np.inf, v), [10, 50, 90], method="inverted_cdf")
        return " / ".join("none" if not np.isfinite(x) else f"{x:.0f}" for x in p)
    p = np.percentile(v[np.isfinite(v)], [10, 50, 90])
    return " / ".join(f"{x:,.0f}" for x in p)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="bench_foresight")
    ap.add_argument("--rafah", default="full")
    ap.add_argument("--members", type=int, default=20)
    ap.add_argument("--layout", default="fit", choices=("off", "fit"))
    ap.add_argument("--horizon-days", type=int, default=None)
    ap.add_argument("--save", default=None, help="write both modes' member rows to this JSON file")
    a = ap.parse_args(argv or [])
    with tempfile.TemporaryDirectory() as tmp:
        folder, name = rafah(Path(tmp), a.rafah, horizon_days=a.horizon_days, layout=a.layout)
        layout = None if a.layout == "off" else False
        rows = {}
        for mode in ("operate", "plan"):
            ensemble_member._STATE.clear()
            ensemble_member._SHELTERED.clear()
            ensemble_member._REFERENCE.clear()
            c, t = time.process_time(), time.perf_counter()
            res = ensemble.run_ensemble(folder, name, a.members, seed=1, layout=layout, workers=1, supply=mode)
            print(
                f"{mode}: {a.members} members in {time.perf_counter() - t:.1f} s wall, {time.process_time() - c:.1f} s "
                f"CPU ({res.summary['ok']} ok); {_load()}",
                flush=True,
            )
            rows[mode] = res.members
        keys = sorted(k for k in rows["plan"][0] if k.startswith(("shortfall_t.", "first_shortfall_day.")))
        print(f"rafah-2024/{a.rafah}, {a.members} members, seed 1: P10 / P50 / P90, plan (foresight) | operate")
        for k in keys:
            p = [float(r.get(k, math.nan)) for r in rows["plan"]]
            o = [float(r.get(k, math.nan)) for r in rows["operate"]]
            worse = sum(1 for x, y in zip(p, o) if (y > x + 1e-6 if k.startswith("short") else _earlier(y, x)))
            days = k.startswith("first")
            print(f"  {k}: {_pct(p, days)} | {_pct(o, days)}; operate worse in {worse}/{len(p)}", flush=True)
        if a.save:
            Path(a.save).write_text(json.dumps(rows, default=str))


def _earlier(day_o: float, day_p: float) -> bool:
    """The operated member is short earlier than the planned one (NaN: never short)."""
    if math.isnan(day_o):
        return False
    return math.isnan(day_p) or day_o < day_p


if __name__ == "__main__":
    main(sys.argv[1:])
