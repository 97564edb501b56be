"""Sourced figures for the delivery chain (data/delivery.yaml): entry modes, the chain, points, fuel."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from .._errors import InputError, Problem

_FILE = "data/delivery.yaml"


@dataclass(frozen=True)
class Figure:
    """One figure: value (a number, a [low, high] pair, a list of dated observations or a table), its
    unit and source; verified False marks an ASSUMPTION or a figure not checked against its original."""

    path: str
    value: Any
    unit: str
    source: str
    verified: bool
    note: str = ""

    @property
    def is_assumption(self) -> bool:
        return self.source.strip().upper().startswith("ASSUMPTION")


def _walk(node: Any, path: str, out: dict[str, Figure], probs: list[Problem]) -> None:
    if isinstance(node, dict) and "source" in node:
        missing = [k for k in ("value", "unit", "verified") if k not in node]
        if missing:
            probs.append(Problem(_FILE, f"missing {', '.join(missing)}", path))
            return
        if not isinstance(node["verified"], bool):
            probs.append(Problem(_FILE, f"expected true or false, got {node['verified']!r}", path, "verified"))
        fig = Figure(
            path,
            node["value"],
            str(node["unit"]),
            str(node["source"]),
            bool(node["verified"]),
            str(node.get("note", "")).strip(),
        )
        if fig.is_assumption and not fig.note:
            probs.append(Problem(_FILE, "an ASSUMPTION needs a note with its reasoning", path, "note"))
        if fig.is_assumption and fig.verified:
            probs.append(Problem(_FILE, "an ASSUMPTION cannot be verified: true", path, "verified"))
        out[path] = fig
        return
    if isinstance(node, dict):
        for k, v in node.items():
            _walk(v, f"{path}.{k}" if path else str(k), out, probs)


@cache
def delivery_figures() -> dict[str, Figure]:
    """Every figure of data/delivery.yaml by its dotted path (e.g. 'entry_modes.air.t_per_sortie_c130')."""
    doc = yaml.safe_load(resources.files("reliefplan").joinpath(_FILE).read_text(encoding="utf-8"))
    out: dict[str, Figure] = {}
    probs: list[Problem] = []
    for key in ("entry_modes", "chain", "distribution_points", "fuel"):
        _walk(doc.get(key, {}), key, out, probs)
    if probs:
        raise InputError(probs)
    return out


def figure(path: str) -> Figure:
    """One figure by its dotted path; an unknown path is an InputError listing the known ones nearby."""
    figs = delivery_figures()
    if path not in figs:
        head = path.rsplit(".", 1)[0]
        near = sorted(p for p in figs if p.startswith(head)) or sorted(figs)[:10]
        raise InputError(Problem(_FILE, f"no figure {path!r}; expected one of {near}"))
    return figs[path]
