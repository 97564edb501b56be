"""The share of a run done, from the stage messages the pipeline, the ensemble and the assessment send.

A plan's share is the share of its stages begun (every stage counts the same: an honest 'stage k of n', not a
time estimate); an ensemble's is its members done, then the declared plan's stages; an assessment's is its pairs
begun. A message this module does not know leaves the share where it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable

#: the plan's stage messages in the order they come (pipeline.run, then products.write_run_files), by prefix
PLAN_STAGES = (
    "loading",
    "displacement",
    "needs",
    "site capacity",
    "walking times",
    "siting",
    "overflow",
    "camp layouts",
    "evacuation timing",
    "verdict",
    "supply",
    "writing plan.json",
    "writing layout.gpkg",
    "writing report.html",
)
#: share of an ensemble run spent on its members (the rest: planning the scenario as declared, writing)
ENSEMBLE_MEMBERS_SHARE = 0.85
_MEMBER = re.compile(r"ensemble member (\d+)/(\d+)")


def plan_share(message: str) -> float | None:
    """Stages begun before this one, as a share of all the plan's stages (None: not a plan stage)."""
    for i, stage in enumerate(PLAN_STAGES):
        if message.startswith(stage):
            return i / len(PLAN_STAGES)
    return None


class Tracker:
    """Turns a run's messages into (message, share) for `Store.set_progress`; `kind`: plan, ensemble or assess."""

    def __init__(self, report: Callable[[str, float | None], None], kind: str = "plan", pairs: int = 0):
        self.report, self.kind, self.pairs = report, kind, pairs
        self.share: float | None = 0.0
        self.pair = 0

    def __call__(self, message: str) -> None:
        share = None
        if self.kind == "ensemble":
            m = _MEMBER.match(message)
            if m:
                share = ENSEMBLE_MEMBERS_SHARE * int(m.group(1)) / max(1, int(m.group(2)))
            elif (p := plan_share(message)) is not None:
                share = ENSEMBLE_MEMBERS_SHARE + (1.0 - ENSEMBLE_MEMBERS_SHARE) * p
        elif self.kind == "assess":
            if message.startswith("assessing "):
                share = self.pair / max(1, self.pairs)
                self.pair += 1
                message = f"{message} (pair {self.pair} of {self.pairs})"
        else:
            share = plan_share(message)
        if share is not None and (self.share is None or share >= self.share):
            self.share = share
        self.report(message, self.share)
