"""The base of every plan.json model (plan.py, plan_supply.py, plan_health.py): unknown keys are refused."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


def absent(v: object) -> bool:
    """For ``exclude_if``: a key the block leaves out (rather than writing null) when it has nothing to say."""
    return v is None
