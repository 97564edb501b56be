"""Every scenario.yaml model is Strict (no unknown keys, no NaN/inf, no number beyond ±1e12) and every key that
names a file is a FolderFile (confined to the scenario folder). A new key added without them fails here."""

from __future__ import annotations

import re
import types
import typing
from pathlib import Path

import pytest
import yaml
from conftest import EXAMPLE, write_scenario
from pydantic import BaseModel

from reliefplan._errors import InputError
from reliefplan.scenario._inputs import FILE_KEY, MAX_NUMBER, Strict, folder_file
from reliefplan.scenario.folder import ScenarioFile, load_scenario, read_scenario_file

PATH_LIKE = re.compile(r"(^|_)(file|files|path|paths|dir|folder|raster|series_file)(_|$)")
DATA_SUFFIXES = (
    ".geojson",
    ".json",
    ".gpkg",
    ".csv",
    ".osm",
    ".pbf",
    ".tif",
    ".tiff",
    ".yaml",
    ".yml",
    ".parquet",
    ".shp",
    ".zip",
    ".xlsx",
    ".txt",
)


def _args(tp: typing.Any) -> tuple[typing.Any, ...]:
    return typing.get_args(tp)


def _is_file_key(tp: typing.Any) -> bool:
    """True for FolderFile and FolderFile | None (and lists of them)."""
    if typing.get_origin(tp) is typing.Annotated:
        return any(m is FILE_KEY for m in tp.__metadata__)
    if typing.get_origin(tp) in (typing.Union, types.UnionType, list, tuple):
        members = [a for a in _args(tp) if a is not type(None) and a is not Ellipsis]
        return bool(members) and all(_is_file_key(a) for a in members)
    return False


def _field_type(model: type[BaseModel], name: str) -> typing.Any:
    f = model.model_fields[name]
    return typing.Annotated[(f.annotation, *f.metadata)] if f.metadata else f.annotation


def _models(tp: typing.Any, seen: set[type]) -> None:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        if tp in seen:
            return
        seen.add(tp)
        for name in tp.model_fields:
            _models(_field_type(tp, name), seen)
        return
    for a in _args(tp):
        _models(a, seen)


def all_models() -> list[type[BaseModel]]:
    seen: set[type] = set()
    _models(ScenarioFile, seen)
    return sorted(seen, key=lambda m: m.__name__)


def _str_fields(tp: typing.Any) -> bool:
    """The field holds strings (possibly optional or in a list)."""
    if tp is str:
        return True
    if typing.get_origin(tp) is typing.Annotated:
        return _str_fields(_args(tp)[0])
    return any(_str_fields(a) for a in _args(tp) if a is not type(None))


def test_every_scenario_model_is_strict():
    models = all_models()
    assert len(models) > 20  # the walk reaches packages, uncertainty, layers...
    loose = [m.__name__ for m in models if not issubclass(m, Strict)]
    assert loose == [], f"not Strict (unknown keys, NaN/inf, unbounded numbers): {loose}"
    for m in models:
        assert m.model_config.get("allow_inf_nan") is False and m.model_config.get("extra") == "forbid", m


def test_every_path_like_field_is_a_folder_file():
    """Name-based: a string field called *file*, *path*, *dir*, *folder* must be confined."""
    bad = [
        f"{m.__name__}.{n}"
        for m in all_models()
        for n in m.model_fields
        if PATH_LIKE.search(n) and _str_fields(_field_type(m, n)) and not _is_file_key(_field_type(m, n))
    ]
    assert bad == [], f"path-like keys not declared as FolderFile: {bad}"


def _type_at(model: typing.Any, key: typing.Any) -> typing.Any:
    """The annotation reached from `model` by one key of a YAML document (None if unknown)."""
    origin = typing.get_origin(model)
    if origin is typing.Annotated:
        return _type_at(_args(model)[0], key)
    if origin in (typing.Union, types.UnionType):
        for a in _args(model):
            t = _type_at(a, key)
            if t is not None:
                return t
        return None
    if origin is dict:
        return _args(model)[1]
    if origin in (list, tuple):
        return _args(model)[0]
    if isinstance(model, type) and issubclass(model, BaseModel) and isinstance(key, str) and key in model.model_fields:
        return _field_type(model, key)
    return None


def _leaves(doc: typing.Any, path: tuple = ()) -> typing.Iterator[tuple[tuple, typing.Any]]:
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _leaves(v, path + (i,))
    else:
        yield path, doc


@pytest.mark.parametrize("folder", [EXAMPLE, "fuzz-base"])
def test_every_file_named_in_a_scenario_is_read_through_a_folder_file(folder, tmp_path):
    """Value-based: every value in a real scenario.yaml that names a data file sits at a FolderFile key."""
    if folder == "fuzz-base":
        from fuzzing import BASE, write_files

        write_files(tmp_path / "f", BASE)
        folder = tmp_path / "f"
    doc = yaml.safe_load((Path(folder) / "scenario.yaml").read_text())
    found = 0
    for path, value in _leaves(doc):
        if not (isinstance(value, str) and value.lower().endswith(DATA_SUFFIXES)):
            continue
        tp: typing.Any = ScenarioFile
        for key in path:
            tp = _type_at(tp, key)
            assert tp is not None, path
        assert _is_file_key(tp), f"{'.'.join(map(str, path))} = {value!r} is not a FolderFile key"
        found += 1
    assert found >= 5


def test_folder_files_refuse_escapes_and_special_files(tmp_path):
    d = write_scenario(tmp_path / "sc")
    outside = tmp_path / "secret.csv"
    outside.write_text("age,male,female\n")
    (d / "link.csv").symlink_to(outside)
    (d / "loop.csv").symlink_to(d / "loop.csv")
    import os

    os.mkfifo(d / "pipe.csv")
    cases = {
        "/etc/passwd": "absolute path",
        "../secret.csv": "'..'",
        "link.csv": "symbolic link",
        "pipe.csv": "not a regular file",
        "tables": "not a regular file",
        "/dev/zero": "absolute path",
    }
    (d / "tables").mkdir()
    for name, why in cases.items():
        with pytest.raises(InputError) as e:
            folder_file(d, name, field="population_structure")
        assert why in str(e.value) and "population_structure" in str(e.value), name
        cfg = yaml.safe_load((d / "scenario.yaml").read_text()) | {"population_structure": name}
        (d / "scenario.yaml").write_text(yaml.safe_dump(cfg))
        with pytest.raises(InputError) as e:
            read_scenario_file(d)
        assert any(p.field == "population_structure" and why in p.message for p in e.value.problems), name
    with pytest.raises(InputError):
        folder_file(d, "loop.csv")


def test_non_finite_and_huge_numbers_refused_everywhere(tmp_path):
    cfg = {
        "evacuation": {"spread_h": float("nan")},
        "supply": {"site_storage_days": float("inf")},
        "standards": {"overrides": {"water_l_per_person_day": float("nan")}},
        "packages": {"p": {"water": [{"m3_per_day": 1e300}]}},
        "uncertainty": {
            "parameters": {"x": {"target": "entry.trucks_per_day", "dist": "normal", "mean": float("-inf"), "sd": 1}}
        },
    }
    d = write_scenario(tmp_path / "sc", config=cfg)
    with pytest.raises(InputError) as e:
        read_scenario_file(d)
    fields = {p.field for p in e.value.problems}
    assert {
        "evacuation.spread_h",
        "supply.site_storage_days",
        "standards.overrides.water_l_per_person_day",
        "packages.p.water.0.m3_per_day",
        "uncertainty.parameters.x.normal.mean",
    } <= fields
    assert any(f"{MAX_NUMBER:g}" in p.message for p in e.value.problems)


def test_a_new_file_key_is_confined_by_its_type(tmp_path):
    """The mechanism, for a key that does not exist yet: declare it FolderFile and it is checked."""
    from reliefplan.scenario._inputs import FolderFile

    class NewBlock(Strict):
        departures_file: FolderFile

    d = write_scenario(tmp_path / "sc")
    with pytest.raises(Exception, match="outside the scenario folder"):
        NewBlock.model_validate({"departures_file": "../../x.csv"}, context={"folder": d})
    assert NewBlock.model_validate({"departures_file": "zones.geojson"}, context={"folder": d})


def test_example_loads_with_every_key_checked():
    sc = load_scenario(EXAMPLE, "targeted")
    assert sc.population_structure is not None and sc.packages


def test_a_scenario_may_replace_every_layer():
    from reliefplan.scenario.folder import Layers, LayersOverride

    assert set(LayersOverride.model_fields) == set(Layers.model_fields)
    for name, f in LayersOverride.model_fields.items():  # the same kind of layer spec, optional
        assert (
            f.annotation == Layers.model_fields[name].annotation | None
            or f.annotation == Layers.model_fields[name].annotation
        )
