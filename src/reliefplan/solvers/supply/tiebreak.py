"""A deterministic tie-break between the supply LP's equally deprived plans: which cell goes short on which day.

The deprivation cost of a shortfall column is a weight per cell (commodity, priority, sharing class) times a weight
per day (`model.TIME_TIE_BREAK`). Costs of that product form leave exact ties: cell A short on day 1 and cell B
on day 2 costs the same as A on day 2 and B on day 1 when A and B weigh the same, and the sites' stock lets a plan
move goods between days. On a Rafah `full` member (water scarce) the dual simplex, the primal simplex, another
random seed and warm restarts from two other members gave the same optimum and the same shortfall per commodity
and day, but up to 1,540 t of water on other (site, day) cells, 660-820 cells in all: which equal optimum a plan
showed depended on its starting basis. Each (cell, day) cost is therefore multiplied by 1 + δ·h, with h in [0, 1)
from a hash of the cell's identity (commodity, site and group ids, not positions) and the day, so that the optimal
plan is unique and the same for every start: δ = `model.CELL_TIE_BREAK` (1e-6), at most half the time
tie-break's step between two days, so a plan still serves people now rather than later. It works together with
a tighter dual feasibility tolerance (`model.DUAL_TOL`, 1e-10 instead of HiGHS' 1e-7): with δ alone 30-60 cells
still differed between starts (exchanges whose cost difference fell below 1e-7), with both none did (five starts
on each of five Rafah members, `full` and `targeted`; `tests/test_supply_unique.py`). The deprivation a plan reports
leaves δ out (`lp._Lp.true1`); the optimum's deprivation is at most δ (relative) above the least.
"""

from __future__ import annotations

import hashlib

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def cell_day_factors(keys: list[str], days: int, delta: float) -> np.ndarray:
    """[J, T] cost factors 1 + delta·h, h in [0, 1) from a hash of ``keys[j]`` and the day (splitmix64's finaliser
    over blake2b of the key: the same cell and day get the same factor in every plan and process)."""
    seeds = np.array(
        [int.from_bytes(hashlib.blake2b(k.encode(), digest_size=8).digest(), "little") for k in keys], dtype=np.uint64
    )
    with np.errstate(over="ignore"):  # modular arithmetic on purpose
        x = seeds[:, None] ^ (np.arange(1, days + 1, dtype=np.uint64)[None, :] * _GOLDEN)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return 1.0 + delta * (x >> np.uint64(11)).astype(float) / float(2**53)


def cell_keys(
    commodity_ids: list[str], site_ids: list[str], k: np.ndarray, site: np.ndarray, groups: list[str]
) -> list[str]:
    """One identity per LP cell: its commodity, site and the groups it stands for."""
    return [f"{commodity_ids[a]}\x1f{site_ids[b]}\x1f{g}" for a, b, g in zip(k.tolist(), site.tolist(), groups)]
