"""Reader for Beasley's OR-Library capacitated warehouse location files (cap41 ... cap134, capa/b/c)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .siting import SitingInstance


def read_orlib_cap(path: str | Path, capacity: float | None = None) -> SitingInstance:
    """Parse an OR-Library `cap*` file into a SitingInstance (no unmet demand allowed).

    Format: n_warehouses n_customers; per warehouse: capacity fixed_cost; per customer: demand then
    n_warehouses costs of allocating ALL of the customer's demand to each warehouse. capa/b/c files
    carry the word 'capacity' instead of a number; pass `capacity` for those.
    """
    tokens = Path(path).read_text().split()
    n_f, n_c = int(tokens[0]), int(tokens[1])
    pos = 2
    cap = np.empty(n_f)
    fixed = np.empty(n_f)
    for j in range(n_f):
        tok = tokens[pos]
        if capacity is not None:
            cap[j] = capacity
        else:
            cap[j] = float(tok)
        fixed[j] = float(tokens[pos + 1])
        pos += 2
    demand = np.empty(n_c)
    cost = np.empty((n_c, n_f))
    for i in range(n_c):
        demand[i] = float(tokens[pos])
        cost[i] = np.array(tokens[pos + 1 : pos + 1 + n_f], dtype=float)
        pos += 1 + n_f
    if pos != len(tokens):
        raise ValueError(f"{path}: {len(tokens) - pos} unexpected trailing values")
    return SitingInstance(
        [f"w{j + 1}" for j in range(n_f)], cap, fixed, [f"c{i + 1}" for i in range(n_c)], demand, cost
    )
