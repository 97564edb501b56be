"""Writers: every output is written atomically (temp file in the same folder, then rename), and a run's
output folder as a set (written into a temporary sibling, then swapped into place)."""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from ..plan import Plan
from .layers import Layer

if TYPE_CHECKING:
    from ..solvers.network import TravelTimes


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
    """plan.json, checked against its JSON Schema first (a null or NaN where a number belongs is refused)."""
    path = Path(out_dir) / "plan.json"
    text = plan_to_json(plan)
    check_plan_json(text)
    write_text_atomic(path, text)
    return path


_VALIDATOR = None


def check_plan_json(text: str, path: Path | str = "plan.json") -> None:
    """Raise OutputError listing where `text` breaks schemas/plan.schema.json (and any non-finite number)."""
    import jsonschema_rs

    from .._errors import OutputError
    from ..plan import plan_json_schema_text

    global _VALIDATOR
    if _VALIDATOR is None:
        _VALIDATOR = jsonschema_rs.validator_for(json.loads(plan_json_schema_text()))
    bad: list[str] = []

    def non_finite(c: str) -> None:  # NaN, Infinity
        bad.append(c)

    doc = json.loads(text, parse_constant=non_finite)
    errors = [f"{'/'.join(map(str, e.instance_path)) or '(top)'}: {e.message}" for e in _VALIDATOR.iter_errors(doc)]
    if bad or errors:
        raise OutputError(
            f"{path} would not match its schema, so nothing was written (a defect of reliefplan; "
            f"please report it with the scenario): "
            + "; ".join(([f"non-finite number {c}" for c in bad[:3]] + errors)[:5])
        )


def write_geojson(layer: Layer, path: Path) -> Path:
    write_text_atomic(path, json.dumps(layer.to_geojson(), separators=(",", ":")) + "\n")
    return path


def read_plan(path: Path) -> Plan:
    from .._errors import InputError, Problem
    from ..scenario._layers import read_text

    text = read_text(Path(path), "plan file")
    try:
        return Plan.model_validate(json.loads(text))
    except ValidationError as e:
        raise InputError(Problem(file=str(path), message=f"not a reliefplan plan.json: {_plan_errors(e)}")) from None
    except (json.JSONDecodeError, ValueError) as e:
        raise InputError(Problem(file=str(path), message=f"not a reliefplan plan.json: {e}")) from None


def _plan_errors(e: ValidationError) -> str:
    """A plan.json's validation errors in one line: the missing keys, then the first few others."""
    from .._errors import field_path

    errors = e.errors()
    missing = [field_path(*x["loc"]) for x in errors if x["type"] == "missing"]
    other = [f"{field_path(*x['loc']) or '(top)'}: {x['msg']}" for x in errors if x["type"] != "missing"]
    parts = (
        (
            [f"missing {', '.join(missing[:8])}" + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")]
            if missing
            else []
        )
        + other[:3]
        + ([f"{len(other) - 3} more"] if len(other) > 3 else [])
    )
    return "; ".join(parts) + " (expected the plan.json that `reliefplan plan` writes)"


# ---- the output folder as a set --------------------------------------------------------------------------

#: files at the top of a folder that mark it as a reliefplan run's output (plan, ensemble, assessment)
RUN_MARKERS = ("plan.json", "members.parquet", "summary.json", "assessment.json", "report.html")


def check_output_folder(out: Path) -> None:
    """Refuse an output folder that holds anything but a previous run: the whole folder is replaced."""
    from .._errors import InputError, Problem

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(Problem(file=str(out), message="exists and is not a folder; expected an output folder"))
    if out.is_dir() and any(out.iterdir()) and not any((out / m).is_file() for m in RUN_MARKERS):
        raise InputError(
            Problem(
                file=str(out),
                message="holds files that are not a reliefplan run's output; "
                "expected a new or empty folder, or a previous run's (it is replaced as a whole)",
            )
        )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale(out: Path) -> None:
    """Temporary siblings left by a run that was killed (its process is gone)."""
    for p in out.parent.glob(f".{out.name}.tmp-*"):
        pid = p.name.removeprefix(f".{out.name}.tmp-").split("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(p, ignore_errors=True)


_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    return fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE) == 0


@contextmanager
def output_set(out: Path) -> Iterator[Path]:
    """Yield a temporary sibling folder of `out` to write a run into; on success it replaces `out` in one
    step (the previous run stays complete until then), on failure it is removed and `out` is untouched."""
    out = Path(out).absolute()
    check_output_folder(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(out)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        yield tmp
        if not out.exists():
            os.rename(tmp, out)
        elif _exchange(tmp, out):  # tmp now holds the previous run
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            old = out.parent / f".{out.name}.tmp-{os.getpid()}-old-{uuid.uuid4().hex[:8]}"
            os.rename(out, old)
            os.rename(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def moved(paths: list[Path], tmp: Path, out: Path) -> list[Path]:
    """Paths written under `tmp` as they are after the swap, under `out`."""
    return [Path(out) / Path(p).relative_to(tmp) for p in paths]


def write_long_csv(
    path: Path | str | None, tt: TravelTimes, origin_ids: Sequence[str], destination_ids: Sequence[str]
) -> str | None:
    """Long-form CSV origin_id,destination_id,distance_m,travel_time_s; unreachable → empty cells.

    Writes atomically when path is given; returns the text when path is None.
    """
    import csv
    import io

    import numpy as np

    oi = np.repeat(np.asarray(origin_ids, dtype=object), len(destination_ids))
    di = np.tile(np.asarray(destination_ids, dtype=object), len(origin_ids))
    t = tt.time_s.ravel()
    dist = tt.distance_m.ravel()
    ok = np.isfinite(t)
    t_txt = np.where(ok, np.char.mod("%.1f", np.where(ok, t, 0)), "")
    d_txt = np.where(ok, np.char.mod("%.1f", np.where(ok, dist, 0)), "")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["origin_id", "destination_id", "distance_m", "travel_time_s"])
    w.writerows(zip(oi, di, d_txt, t_txt))
    text = buf.getvalue()
    if path is None:
        return text
    write_text_atomic(Path(path), text)
    return None
