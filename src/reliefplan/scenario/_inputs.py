"""What every input model shares: finite, bounded numbers; file keys confined to the scenario folder; YAML
read once, within size, depth and expansion limits.

A scenario key that names a file is declared with the type `FolderFile` (or `FolderFile | None`). Validated
with ``context={"folder": <scenario folder>}``, such a value must be a relative path without '..' that
resolves (symlinks followed) to a regular file inside the folder; `folder_file` checks it again right
before the file is read. Nothing else may build a path from scenario input.
"""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Annotated, Any

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from .._errors import InputError, Problem

#: a number in an input model larger than this (in size) is refused: figures this large are mistakes, and
#: their products overflow to infinity
MAX_NUMBER = 1e12
MAX_YAML_BYTES = 2 * 1024 * 1024
MAX_YAML_DEPTH = 40
MAX_YAML_NODES = 200_000  # after expanding aliases ('billion laughs')
MAX_INPUT_BYTES = 512 * 1024 * 1024  # one layer or table file


def _check_number(v: Any, path: str = "") -> None:
    if isinstance(v, bool):
        return
    if isinstance(v, (int, float)):
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError(f"expected a finite number, got {v}{path}")
        if abs(v) > MAX_NUMBER:
            raise ValueError(f"expected a number of at most {MAX_NUMBER:g} in size, got {float(v):g}{path}")
    elif isinstance(v, dict):
        for k, x in v.items():
            _check_number(x, f" (at {k})")
    elif isinstance(v, (list, tuple)):
        for i, x in enumerate(v):
            _check_number(x, f" (at [{i}])")


class Strict(BaseModel):
    """Base of every scenario.yaml model: unknown keys, NaN/inf and numbers beyond ±MAX_NUMBER are errors."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _finite_and_bounded(cls, v: Any) -> Any:
        _check_number(v)
        return v


# ---- naming an entry of a list in an error ------------------------------------------------------------------

#: keys that identify an entry of a scenario.yaml list, in the order they are looked for
_ID_KEYS = ("id", "name", "site", "footprint", "entry_point")


def item_feature(list_key: str, item: Any) -> str | None:
    """How an error names an entry of the list `list_key` (the feature): by the key that identifies it, e.g.
    "footprint east-rafah-order" for an order, "site HZ-B101" for a site's phases, "mode cart" for a mode (by its
    name, after the list); None when the entry has no such key (its field path then gives its position)."""
    if not isinstance(item, dict):
        return None
    for key in _ID_KEYS:
        v = item.get(key)
        if isinstance(v, str | int) and not isinstance(v, bool) and str(v).strip():
            word = _singular(list_key) if key in ("id", "name") else key.replace("_", " ")
            return f"{word} {v}"
    return None


def _singular(key: str) -> str:
    """entries -> entry, modes -> mode: what one entry of a list key is called."""
    return key[:-3] + "y" if key.endswith("ies") else key.removesuffix("s")


def loc_feature(doc: Any, loc: tuple[Any, ...]) -> str | None:
    """The feature of a schema error at `loc` in the document `doc`: the innermost list entry on the way that
    `item_feature` can name, or the id keying a ``by_...`` mapping (None if none)."""
    found, node, key = None, doc, ""
    for part in loc:
        if isinstance(node, dict) and part in node:
            if key.startswith("by_"):  # a mapping keyed by id: by_zone: {R1: 0.5} names zone R1
                found = f"{key.removeprefix('by_')} {part}"
            key, node = str(part), node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            found = item_feature(key, node) or found
        else:
            break
    return found


# ---- file keys ----------------------------------------------------------------------------------------------


class FileKey:
    """Marks a str field as naming a file inside the scenario folder (see `FolderFile`)."""

    def __repr__(self) -> str:
        return "FileKey()"


FILE_KEY = FileKey()


def path_problem(name: str, folder: Path | None) -> str | None:
    """Why `name` cannot be a file inside `folder` (lexical checks only when folder is None). A missing file is
    no problem here: its reader says so, naming the file."""
    if not name or "\x00" in name:
        return "expected a file name"
    if PurePosixPath(name).is_absolute() or PureWindowsPath(name).is_absolute() or PureWindowsPath(name).drive:
        return f"'{name}' is outside the scenario folder (an absolute path); expected a relative path inside it"
    if ".." in PurePosixPath(name.replace("\\", "/")).parts:
        return f"'{name}' is outside the scenario folder ('..'); expected a relative path inside it, without '..'"
    if folder is None:
        return None
    base = Path(folder).resolve()
    try:
        target = (base / name).resolve()
    except (OSError, RuntimeError) as e:  # symlink loops
        return f"'{name}' cannot be resolved ({e}); expected a file inside the scenario folder"
    if not target.is_relative_to(base):
        return f"'{name}' is outside the scenario folder (through a symbolic link); expected a file inside it"
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return None
    except OSError as e:
        return f"'{name}' cannot be read ({e.strerror})"
    if not stat.S_ISREG(mode):
        return f"'{name}' is not a regular file (a folder, device or pipe); expected a data file"
    return None


def _check_file_key(value: str, info: ValidationInfo) -> str:
    folder = (info.context or {}).get("folder") if info is not None else None
    why = path_problem(value, None if folder is None else Path(folder))
    if why is not None:
        raise ValueError(why)
    return value


#: a scenario key naming a file inside the scenario folder; the only way a scenario may name a file
FolderFile = Annotated[str, FILE_KEY, Field(min_length=1, max_length=1000), AfterValidator(_check_file_key)]


def folder_file(
    folder: Path | str, name: str, *, source: str | None = None, field: str | None = None, what: str = "file"
) -> Path:
    """The path of file key `name` of a scenario folder, checked again at read time: inside the folder, a regular
    file, and there. Raises InputError naming `source` (default: the scenario file) and `field`, the key that
    names the file (a missing file is fixed there: a typo in the name, or a file not copied with the folder);
    `what` says what the file is ("layer file", "table")."""
    why = path_problem(name, Path(folder))
    if why is None and not (Path(folder) / name).exists():
        why = f"{name}: {what} not found in the scenario folder"
    if why is not None:
        raise InputError(Problem(file=source or str(Path(folder) / "scenario.yaml"), field=field, message=why))
    return Path(folder) / name


def read_regular_bytes(path: Path, what: str = "file", max_bytes: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of a regular file (not a device, pipe or folder), at most max_bytes."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a pipe must not block the open
    except FileNotFoundError:
        raise InputError(Problem(file=str(path), message=f"{what} not found")) from None
    except OSError as e:
        raise InputError(Problem(file=str(path), message=f"{what} cannot be read ({e.strerror})")) from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise InputError(Problem(file=str(path), message=f"{what} is not a regular file"))
        if st.st_size > max_bytes:
            raise InputError(
                Problem(file=str(path), message=f"{what} is {st.st_size:,} bytes; at most {max_bytes:,} accepted")
            )
        return fh.read(max_bytes)


def check_regular(path: Path, what: str = "file") -> None:
    """Refuse a path that is not a regular file right before a library (GDAL, osmium) opens it by name."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise InputError(Problem(file=str(path), message=f"{what} not found")) from None
    except OSError as e:
        raise InputError(Problem(file=str(path), message=f"{what} cannot be read ({e.strerror})")) from None
    if not stat.S_ISREG(mode):
        raise InputError(Problem(file=str(path), message=f"{what} is not a regular file"))


# ---- YAML ---------------------------------------------------------------------------------------------------

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _duplicate_key(node: yaml.MappingNode) -> str | None:
    """A key given twice in one mapping (PyYAML would silently keep the last value)."""
    seen: dict[tuple[str, str], int] = {}
    for k, _v in node.value:
        if not isinstance(k, yaml.ScalarNode) or k.tag == "tag:yaml.org,2002:merge":
            continue
        line = k.start_mark.line + 1
        if (k.tag, k.value) in seen:
            first = seen[(k.tag, k.value)]
            return f"has the key '{k.value}' twice in one block (lines {first} and {line}); expected each key once"
        seen[(k.tag, k.value)] = line
    return None


def _node_problem(root: yaml.Node) -> str | None:
    """Depth and alias-expanded size of a composed YAML document, without recursion."""
    size: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        if depth > MAX_YAML_DEPTH:
            return f"nested more than {MAX_YAML_DEPTH} levels deep"
        key = id(node)
        if isinstance(node, yaml.ScalarNode):
            size[key] = 1
            continue
        children = [c for pair in node.value for c in pair] if isinstance(node, yaml.MappingNode) else list(node.value)
        if done:
            size[key] = 1 + sum(size.get(id(c), 1) for c in children)
            if size[key] > MAX_YAML_NODES:
                return f"more than {MAX_YAML_NODES:,} values once its aliases are expanded"
            continue
        if key in size:
            continue
        twice = _duplicate_key(node) if isinstance(node, yaml.MappingNode) else None
        if twice is not None:
            return twice
        stack.append((node, depth, True))
        stack.extend((c, depth + 1, False) for c in children if id(c) not in size)
    return None


def load_yaml(path: Path, what: str = "scenario file") -> Any:
    """Parse a YAML file once, refusing more than MAX_YAML_BYTES, MAX_YAML_DEPTH levels or MAX_YAML_NODES."""
    data = read_regular_bytes(path, what, MAX_YAML_BYTES)
    if not data.strip():
        raise InputError(Problem(file=str(path), message=f"{what} is empty"))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(
            Problem(file=str(path), message=f"not valid UTF-8 text (byte {e.start}); expected UTF-8")
        ) from None
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        why = None if node is None else _node_problem(node)
        if why is not None:
            raise InputError(Problem(file=str(path), message=f"{what} {why}"))
        return None if node is None else loader.construct_document(node)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InputError(
            Problem(file=str(path), message=f"invalid YAML{where}: {getattr(e, 'problem', None) or e}")
        ) from None
    finally:
        loader.dispose()
