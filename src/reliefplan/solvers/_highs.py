"""HiGHS without its start-up banner (the standalone solvers print JSON on stdout)."""

from __future__ import annotations

import os
import sys
from typing import Any


def quiet_highs() -> Any:
    """A silent highspy.Highs(): its C++ constructor prints a banner on fd 1, which would corrupt JSON
    written to stdout by the CLI, so fd 1 points at /dev/null while it is built."""
    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        h = highspy.Highs()  # type: ignore[no-untyped-call]  # highspy's constructor carries no annotations
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
    h.setOptionValue("output_flag", False)
    return h
