"""The web API's answer and request models (they make the OpenAPI document), the error answers every route can
give, and the store's uploads and runs as answers."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from .._errors import InputError
from ..store import Run, Upload
from .runner import RunParams, relative_problems


class UploadOut(BaseModel):
    id: str
    name: str
    title: str
    created_at: datetime
    size_bytes: int
    n_files: int
    sha256: str
    root: str
    scenarios: list[str]


class OutputOut(BaseModel):
    name: str
    size_bytes: int
    sha256: str
    url: str


class RunOut(BaseModel):
    id: str
    upload_id: str
    scenario: str
    params: dict[str, Any]
    status: str
    progress: str
    steps: int
    share_done: float | None = Field(
        default=None,
        description="share of the run done, 0 to 1 (stages begun, members or pairs done); None when not known",
    )
    elapsed_s: float | None = Field(default=None, description="seconds since the run started (until it ended)")
    error: str | None
    problems: list[dict[str, Any]] | None
    summary: dict[str, Any] | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    outputs: list[OutputOut]


class RunRequest(BaseModel):
    upload_id: str
    scenario: str
    params: RunParams = RunParams()


class Options(BaseModel):
    version: str
    profiles: list[str]
    entry_capacity: list[str]
    max_zip_bytes: int
    max_files: int
    auth: bool


class Problem(BaseModel):
    file: str | None = None
    feature: str | None = None
    field: str | None = None
    message: str


class Problems(BaseModel):
    """Every error answer: a sentence, and each problem with where it is (a request field: `field`, e.g.
    'body.params.horizon_days'; an uploaded file: `file`, `feature`, `field`)."""

    detail: str
    problems: list[Problem] = []


#: error answers every route can give
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problems, "description": "malformed request body (e.g. invalid JSON)"},
    403: {"model": Problems, "description": "cross-site request refused (Origin not this server)"},
    413: {"model": Problems, "description": "request body larger than the upload limit"},
    422: {"model": Problems, "description": "request or upload that does not validate; every problem listed"},
}


def _upload_out(u: Upload) -> UploadOut:
    return UploadOut(**u.__dict__)


def _run_out(r: Run) -> RunOut:
    d = {k: v for k, v in r.__dict__.items() if k != "outputs"}
    elapsed = None
    if r.started_at is not None:
        end = r.finished_at or datetime.now(r.started_at.tzinfo)
        elapsed = round(max(0.0, (end - r.started_at).total_seconds()), 1)
    return RunOut(
        **d,
        elapsed_s=elapsed,
        outputs=[
            OutputOut(name=o.name, size_bytes=o.size_bytes, sha256=o.sha256, url=f"/api/runs/{r.id}/files/{o.name}")
            for o in r.outputs
        ],
    )


def _problems(status: int, e: InputError, *folders: Path) -> JSONResponse:
    probs = relative_problems(e, *folders)
    return JSONResponse(
        status_code=status, content={"detail": "; ".join(p["message"] for p in probs)[:2000], "problems": probs}
    )


def _error(status: int, detail: str, **headers: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": detail, "problems": []}, headers=headers or None)
