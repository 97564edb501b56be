"""Writers: every output is written atomically (temp file in the same folder, then rename)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from .layers import Layer
from .plan import Plan


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary shared files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def plan_to_json(plan: Plan) -> str:
    return plan.model_dump_json(indent=2) + "\n"


def write_plan(plan: Plan, out_dir: Path) -> Path:
    path = Path(out_dir) / "plan.json"
    write_text_atomic(path, plan_to_json(plan))
    return path


def write_geojson(layer: Layer, path: Path) -> Path:
    write_text_atomic(path, json.dumps(layer.to_geojson(), separators=(",", ":")) + "\n")
    return path


def read_plan(path: Path) -> Plan:
    from ._errors import InputError, Problem
    from ._layers import read_text

    text = read_text(Path(path), "plan file")
    try:
        return Plan.model_validate(json.loads(text))
    except (json.JSONDecodeError, ValueError) as e:
        raise InputError(Problem(file=str(path), message=f"not a reliefplan plan.json: {e}")) from None
