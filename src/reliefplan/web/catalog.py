"""What an uploaded scenario folder offers: its scenarios and packages with their descriptions, and the entry points
each scenario can close (for the page's dropdowns and for checking closures before a run starts)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from .._errors import InputError
from ..scenario._fields import _feature_id, _prop
from ..scenario._inputs import folder_file
from ..scenario._layers import read_layer
from ..scenario.folder import ScenarioFile, read_scenario_file


class EntryPointChoice(BaseModel):
    id: str
    name: str = ""


class ScenarioChoice(BaseModel):
    name: str
    description: str = ""
    horizon_days: int
    entry_points: list[EntryPointChoice] = []


class PackageChoice(BaseModel):
    name: str
    description: str = ""
    extends: str | None = None


class Catalog(BaseModel):
    """An upload's choices: scenarios (with their entry points) and assistance packages."""

    title: str = ""
    description: str = ""
    scenarios: list[ScenarioChoice]
    packages: list[PackageChoice]


def _entry_points(folder: Path, cfg: ScenarioFile, name: str) -> list[EntryPointChoice]:
    own = cfg.scenarios[name].layers
    spec = own.entry_points if own is not None and own.entry_points is not None else cfg.layers.entry_points
    if spec is None:
        return []
    try:  # an unreadable file is the run's to report, with every other problem of the folder
        feats = read_layer(folder_file(folder, spec.file, field="layers.entry_points.file"), spec.layer)
    except InputError:
        return []
    return [EntryPointChoice(id=_feature_id(f, spec), name=str(_prop(f, spec, "name") or "")) for f in feats]


def upload_catalog(folder: Path) -> Catalog:
    """The choices of a scenario folder (scenario.yaml read once; entry points from each scenario's layer)."""
    cfg = read_scenario_file(folder)
    scenarios = [
        ScenarioChoice(
            name=n,
            description=s.description or cfg.description,
            horizon_days=s.horizon_days or cfg.horizon_days,
            entry_points=_entry_points(folder, cfg, n),
        )
        for n, s in cfg.scenarios.items()
    ]
    packages = [PackageChoice(name=n, description=p.description, extends=p.extends) for n, p in cfg.packages.items()]
    return Catalog(title=cfg.title, description=cfg.description, scenarios=scenarios, packages=packages)
