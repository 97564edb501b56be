"""Scenario uploads: a zip checked entry by entry before anything is written, then the scenario's own files only.

Refused: more bytes or entries (files and folders) than the limits, absolute paths, '..', drive letters,
backslashes, symlinks and other special files, duplicate names, names too long for a file system, a file and a
folder of the same name, a declared size that lies (zip bombs are caught while extracting), and a scenario.yaml
that names a file outside its own folder (checked by the scenario models themselves, see reliefplan.scenario._inputs).
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .._errors import InputError, Problem
from ..scenario.folder import SCENARIO_FILE, read_scenario_file

MAX_ZIP_BYTES = 50 * 1024 * 1024
MAX_FILES = 200
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_NAME_BYTES = 200  # one path component (file systems allow 255; the server adds its own prefix)
MAX_PATH_BYTES = 1000


@dataclass(frozen=True)
class Limits:
    max_zip_bytes: int = MAX_ZIP_BYTES
    max_files: int = MAX_FILES
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES


@dataclass(frozen=True)
class Unpacked:
    root: str  # folder of scenario.yaml inside the zip ('' = top level)
    n_files: int
    title: str
    scenarios: list[str]


def _bad(name: str, message: str) -> Problem:
    return Problem(file="upload.zip", feature=name, message=message)


def _member_path(info: zipfile.ZipInfo) -> tuple[PurePosixPath | None, str | None]:
    name = info.filename
    mode = info.external_attr >> 16
    if "\\" in name or "\x00" in name:
        return None, "backslash or NUL in the name; expected a plain relative path"
    p = PurePosixPath(name)
    if p.is_absolute() or name.startswith("/") or (p.parts and ":" in p.parts[0]):
        return None, "absolute path; expected a path relative to the scenario folder"
    if any(part == ".." for part in p.parts):
        return None, "'..' in the path (zip-slip); expected a path inside the scenario folder"
    if (
        any(len(part.encode("utf-8")) > MAX_NAME_BYTES for part in p.parts)
        or len(name.encode("utf-8")) > MAX_PATH_BYTES
    ):
        return None, f"name too long; expected at most {MAX_NAME_BYTES} bytes per folder or file name"
    if mode and stat.S_ISLNK(mode):
        return None, "symbolic link; expected regular files only"
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):  # 0: zips made without Unix modes
        return None, "special file; expected regular files only"
    return p, None


def check_zip(
    data: bytes, limits: Limits = Limits()
) -> tuple[zipfile.ZipFile, list[tuple[zipfile.ZipInfo, PurePosixPath]]]:
    """Open and vet a zip; raises InputError listing every refused entry."""
    if len(data) > limits.max_zip_bytes:
        raise InputError(_bad("(whole file)", f"{len(data):,} bytes; at most {limits.max_zip_bytes:,} accepted"))
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        raise InputError(_bad("(whole file)", f"not a readable zip archive: {e}")) from None
    problems: list[Problem] = []
    files = [i for i in infos if not i.is_dir()]
    if len(infos) > limits.max_files:  # folder entries too: each one is a mkdir
        problems.append(
            _bad("(whole file)", f"{len(infos)} entries (files and folders); at most {limits.max_files} accepted")
        )
    total = sum(i.file_size for i in files)
    if total > limits.max_unpacked_bytes:
        problems.append(
            _bad("(whole file)", f"{total:,} bytes unpacked; at most {limits.max_unpacked_bytes:,} accepted")
        )
    seen: set[str] = set()
    members = []
    for info in infos:
        p, why = _member_path(info)
        if why is not None:
            problems.append(_bad(info.filename, why))
            continue
        assert p is not None
        key = p.as_posix().rstrip("/")
        if not info.is_dir():
            if key.lower() in seen:
                problems.append(_bad(info.filename, "duplicate name"))
            seen.add(key.lower())
            if info.flag_bits & 0x1:
                problems.append(_bad(info.filename, "encrypted entry; expected a plain zip"))
            members.append((info, p))
    folders = {str(q) for _, p in members for q in p.parents}
    folders |= {str(PurePosixPath(i.filename.rstrip("/"))) for i in infos if i.is_dir()}
    problems += [_bad(i.filename, "a file and a folder of the same name") for i, p in members if str(p) in folders]
    if problems:
        raise InputError(problems)
    return zf, members


def _scenario_root(members: list[tuple[zipfile.ZipInfo, PurePosixPath]]) -> PurePosixPath:
    """The shallowest folder holding scenario.yaml (zips of a folder usually have one top-level directory)."""
    roots = sorted((p.parent for _, p in members if p.name == SCENARIO_FILE), key=lambda q: len(q.parts))
    if not roots:
        raise InputError(_bad(SCENARIO_FILE, "no scenario.yaml in the zip; expected a scenario folder"))
    if len(roots) > 1 and len(roots[0].parts) == len(roots[1].parts):
        raise InputError(
            _bad(SCENARIO_FILE, f"several scenario folders ({', '.join(map(str, roots))}); expected one per upload")
        )
    return roots[0]


def unpack(data: bytes, dest: Path, limits: Limits = Limits()) -> Unpacked:
    """Check the zip, extract the scenario folder's files into dest (created; must not exist), validate
    scenario.yaml. Nothing is left in dest on failure."""
    zf, members = check_zip(data, limits)
    root = _scenario_root(members)
    dest = Path(dest)
    tmp = Path(tempfile.mkdtemp(prefix=".upload-", dir=dest.parent if dest.parent.exists() else None))
    try:
        written = 0
        n = 0
        for info, p in members:
            try:
                rel = p.relative_to(root)
            except ValueError:
                continue  # outside the scenario folder: not ours to read
            target = tmp.joinpath(*rel.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "xb") as out:
                while chunk := src.read(1 << 16):
                    written += len(chunk)
                    if written > limits.max_unpacked_bytes:  # the header lied about the size
                        raise InputError(
                            _bad(info.filename, f"unpacks to more than {limits.max_unpacked_bytes:,} bytes")
                        )
                    out.write(chunk)
            n += 1
        try:
            cfg = read_scenario_file(tmp)  # scenario.yaml parsed once; its file keys confined to the folder
        except InputError as e:  # name files as the user knows them, not by the server's temp folder
            raise InputError(
                [
                    Problem(
                        file=p.file.replace(str(tmp) + os.sep, ""), message=p.message, feature=p.feature, field=p.field
                    )
                    for p in e.problems
                ]
            ) from None
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, dest)
    except (zipfile.BadZipFile, EOFError, NotImplementedError, zlib.error) as e:  # truncated data, unknown compression
        shutil.rmtree(tmp, ignore_errors=True)
        raise InputError(_bad("(whole file)", f"corrupt zip: {e}")) from None
    except OSError as e:  # the file system refused a name the checks let through
        shutil.rmtree(tmp, ignore_errors=True)
        raise InputError(
            _bad(Path(getattr(e, "filename", None) or "(whole file)").name, f"cannot be extracted ({e.strerror})")
        ) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Unpacked(
        root=root.as_posix() if root.parts else "", n_files=n, title=cfg.title, scenarios=list(cfg.scenarios)
    )
