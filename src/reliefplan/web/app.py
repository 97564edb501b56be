"""The web service: FastAPI over the run store, plus one offline page at '/'."""

from __future__ import annotations

import logging
import mimetypes
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, File, HTTPException, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from .._errors import InputError, field_path
from ..standards import available_profiles
from ..store import Run, Store, Upload, new_id, resolve_store, safe_url
from .catalog import Catalog, upload_catalog
from .guard import LOOPBACK_HOSTS, BodyLimit, _guard_requests, _host_name
from .models import (
    ERRORS,
    Options,
    Problems,
    RunOut,
    RunRequest,
    UploadOut,
    _problems,
    _run_out,
    _upload_out,
)
from .runner import Jobs, ensure_upload_dir
from .uploads import Limits, unpack

log = logging.getLogger("reliefplan.web")
try:
    VERSION = _version("reliefplan")
except PackageNotFoundError:  # running from a source tree without an install
    VERSION = "0+unknown"


BEARER = HTTPBearer(auto_error=False, description="needed when the server runs with --token")


def _auth(_cred: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)] = None) -> None:
    return None  # enforced by the middleware (which also covers /docs and /openapi.json); declared for OpenAPI


def _request_problem(field: str, message: str) -> dict[str, Any]:
    """A request field's problem in the error body's form (as a 422 from validation names it)."""
    return {"file": None, "feature": None, "field": field, "message": message}


def _choice_problems(cat: Catalog, req: RunRequest) -> list[dict[str, Any]]:
    """A run's package and closures against what the upload offers: each problem with its request field."""
    out = []
    p = req.params
    names = [x.name for x in cat.packages]
    if p.package is not None and not p.assess and p.package not in names:
        out.append(
            _request_problem(
                "body.params.package", f"no package named '{p.package}' in this upload; expected one of {names}"
            )
        )
    sc = next((x for x in cat.scenarios if x.name == req.scenario), None)
    if sc is None:
        return out
    ids = [e.id for e in sc.entry_points]
    horizon = p.horizon_days or sc.horizon_days
    for i, c in enumerate(p.closures):
        where = f"body.params.closures.{i}"
        if ids and c.entry_point not in ids:
            out.append(
                _request_problem(
                    f"{where}.entry_point",
                    f"no entry point '{c.entry_point}' in scenario '{sc.name}'; expected one of {ids}",
                )
            )
        if c.first_day > c.last_day:
            out.append(
                _request_problem(f"{where}.first_day", f"first day {c.first_day} is after last day {c.last_day}")
            )
        elif c.first_day >= horizon:
            out.append(
                _request_problem(
                    f"{where}.first_day", f"day {c.first_day} is beyond the horizon (days 0 to {horizon - 1})"
                )
            )
    return out


def create_app(
    store: Store | str | None = None,
    *,
    data_dir: Path | None = None,
    token: str | None = None,
    workers: int = 2,
    limits: Limits | None = None,
    allowed_hosts: list[str] | None = None,
) -> FastAPI:
    """The app over a store (a Store, a --store value, or None for the per-user data folder). token=None reads
    RELIEFPLAN_TOKEN; an empty token means no auth. allowed_hosts: the names this server answers to in the
    Host header (default: loopback only; '*' any), against DNS rebinding."""
    limits = limits or Limits()
    if not isinstance(store, Store):
        url, folder = resolve_store(store, data_dir)
        store = Store(url, folder)
    st: Store = store
    token = os.environ.get("RELIEFPLAN_TOKEN") if token is None else token
    token = token or None
    hosts = {_host_name(h.lower()) for h in (allowed_hosts or LOOPBACK_HOSTS)}

    n = st.interrupt_active()  # no job of this server exists yet: anything 'running' was cut off by a stop
    log.info("reliefplan store %s (data %s); %d interrupted run(s) marked", safe_url(st.url), st.data_dir, n)
    jobs = Jobs(st, workers)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        jobs.shutdown(wait=False)

    app = FastAPI(
        title="reliefplan",
        version=VERSION,
        lifespan=lifespan,
        dependencies=[Depends(_auth)] if token is not None else [],
        docs_url=None,
        redoc_url=None,
        description="Plan evacuation, sheltering and supply from uploaded scenario folders; every run is "
        "kept with its inputs and outputs. Every error answer has the same body: `detail` "
        "and a list of `problems`.",
        responses={403: ERRORS[403], **({401: {"model": Problems}} if token is not None else {})},
    )
    app.state.store = st
    app.state.jobs = jobs
    app.state.auth = token is not None
    app.add_middleware(BodyLimit, max_bytes=limits.max_zip_bytes + 1024 * 1024)
    _guard_requests(app, hosts, token, limits)
    _page_routes(app, token, limits)
    lookups = _Lookups(st)
    _upload_routes(app, st, limits, lookups)
    _run_routes(app, st, lookups)
    _run_file_routes(app, st, lookups)
    _error_handlers(app)
    return app


def _page_routes(app: FastAPI, token: str | None, limits: Limits) -> None:
    """The page, the offline API docs and the choices the page offers."""

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> HTMLResponse:
        html = files("reliefplan.web").joinpath("static/index.html").read_text(encoding="utf-8")
        if token is not None:  # the page asks for the token first instead of learning it needs one from a 401
            html = html.replace('<html lang="en">', '<html lang="en" data-auth="1">', 1)
        return HTMLResponse(html)

    app.mount(
        "/static/swagger-ui",
        StaticFiles(directory=str(files("reliefplan.web").joinpath("static/swagger-ui"))),
        name="swagger-ui",
    )

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs() -> HTMLResponse:  # Swagger UI from the package: /docs works offline
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="reliefplan API",
            swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/swagger-ui/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get("/api/options", response_model=Options, summary="Choices the page offers and upload limits")
    def options() -> Options:
        return Options(
            version=VERSION,
            profiles=available_profiles(),
            entry_capacity=["declared", "design", "observed"],
            max_zip_bytes=limits.max_zip_bytes,
            max_files=limits.max_files,
            auth=token is not None,
        )


class _Lookups:
    """Uploads and runs by id (404 when there is none), and each upload's choices, read once (uploads never
    change)."""

    def __init__(self, st: Store) -> None:
        self.st = st
        self.catalogs: dict[str, Catalog] = {}

    def upload(self, upload_id: str) -> Upload:
        u = self.st.get_upload(upload_id)
        if u is None:
            raise HTTPException(404, "no such upload")
        return u

    def catalog(self, u: Upload) -> Catalog:
        if u.id not in self.catalogs:
            self.catalogs[u.id] = upload_catalog(ensure_upload_dir(self.st, u.id))
        return self.catalogs[u.id]

    def run(self, run_id: str) -> Run:
        r = self.st.get_run(run_id)
        if r is None:
            raise HTTPException(404, "no such run")
        return r


def _upload_routes(app: FastAPI, st: Store, limits: Limits, lookups: _Lookups) -> None:
    """/api/uploads: upload a scenario folder, list, read, catalog, delete."""
    _get_upload, _catalog, catalogs = lookups.upload, lookups.catalog, lookups.catalogs

    @app.post(
        "/api/uploads",
        response_model=UploadOut,
        status_code=201,
        summary="Upload a scenario folder as a zip",
        responses={413: ERRORS[413], 422: ERRORS[422]},
    )
    def create_upload(
        file: Annotated[UploadFile, File(description="zip of a scenario folder holding scenario.yaml")],
    ) -> Any:
        return _add_upload(st, limits, file)

    @app.get("/api/uploads", response_model=list[UploadOut], summary="List uploads, newest first")
    def list_uploads() -> list[UploadOut]:
        return [_upload_out(u) for u in st.list_uploads()]

    @app.get(
        "/api/uploads/{upload_id}",
        response_model=UploadOut,
        summary="One upload",
        responses={404: {"model": Problems}, 422: ERRORS[422]},
    )
    def get_upload(upload_id: str) -> UploadOut:
        return _upload_out(_get_upload(upload_id))

    @app.get(
        "/api/uploads/{upload_id}/scenarios",
        response_model=list[str],
        summary="Named scenarios of an upload",
        responses={404: {"model": Problems}, 422: ERRORS[422]},
    )
    def upload_scenarios(upload_id: str) -> list[str]:
        return _get_upload(upload_id).scenarios

    @app.get(
        "/api/uploads/{upload_id}/catalog",
        response_model=Catalog,
        summary="Scenarios (with descriptions and entry points) and assistance packages of an upload",
        responses={404: {"model": Problems}, 422: ERRORS[422]},
    )
    def upload_choices(upload_id: str) -> Any:
        u = _get_upload(upload_id)
        try:
            return _catalog(u)
        except InputError as e:
            return _problems(422, e, st.data_dir)

    @app.delete(
        "/api/uploads/{upload_id}",
        status_code=204,
        summary="Delete an upload and its finished runs",
        responses={404: {"model": Problems}, 409: {"model": Problems}, 422: ERRORS[422]},
    )
    def delete_upload(upload_id: str) -> Response:
        _get_upload(upload_id)
        active = st.delete_upload(upload_id)
        catalogs.pop(upload_id, None)
        if active:
            raise HTTPException(409, f"{len(active)} run(s) of this upload are still queued or running")
        return Response(status_code=204)


def _add_upload(st: Store, limits: Limits, file: UploadFile) -> UploadOut | JSONResponse:
    """A zip read within the limit, unpacked and checked into the store (422 with every problem when it is not a
    scenario folder)."""
    data = file.file.read(limits.max_zip_bytes + 1)
    if len(data) > limits.max_zip_bytes:
        raise HTTPException(413, f"zip larger than {limits.max_zip_bytes:,} bytes")
    uid = new_id()
    dest = st.upload_dir(uid)
    try:
        info = unpack(data, dest, limits)
    except InputError as e:
        return _problems(422, e, dest.parent)
    name = Path(file.filename or "upload.zip").name[:255]
    return _upload_out(
        st.add_upload(
            upload_id=uid,
            name=name,
            title=info.title[:500],
            zip_bytes=data,
            n_files=info.n_files,
            root=info.root,
            scenarios=info.scenarios,
        )
    )


def _run_routes(app: FastAPI, st: Store, lookups: _Lookups) -> None:
    """/api/runs: start, list, read, cancel."""
    _get_upload, _catalog, _get_run = lookups.upload, lookups.catalog, lookups.run

    @app.post(
        "/api/runs",
        response_model=RunOut,
        status_code=202,
        summary="Start a plan run in the background",
        responses={400: ERRORS[400], 404: {"model": Problems}, 422: ERRORS[422]},
    )
    def create_run(req: RunRequest, request: Request) -> Any:
        u = _get_upload(req.upload_id)
        problems = []
        if req.scenario not in u.scenarios:
            problems.append(
                _request_problem("body.scenario", f"no scenario named '{req.scenario}'; expected one of {u.scenarios}")
            )
        if req.params.profile is not None and req.params.profile not in available_profiles():
            problems.append(
                _request_problem(
                    "body.params.profile",
                    f"no standards profile '{req.params.profile}'; expected one of {available_profiles()}",
                )
            )
        if not problems:
            try:
                problems = _choice_problems(_catalog(u), req)
            except InputError:
                problems = []  # the folder's own problems are the run's to report, all at once
        if problems:
            return JSONResponse(
                status_code=422,
                content={
                    "detail": "; ".join(f"{p['field']}: {p['message']}" for p in problems)[:2000],
                    "problems": problems,
                },
            )
        run = st.add_run(u.id, req.scenario, req.params.model_dump(exclude_defaults=True))
        request.app.state.jobs.submit(run.id)
        return _run_out(run)

    @app.get("/api/runs", response_model=list[RunOut], summary="List runs, newest first", responses={422: ERRORS[422]})
    def list_runs(upload_id: str | None = None) -> list[RunOut]:
        return [_run_out(r) for r in st.list_runs(upload_id)]

    @app.get(
        "/api/runs/{run_id}",
        response_model=RunOut,
        summary="Status, progress, summary and outputs of a run",
        responses={404: {"model": Problems}, 422: ERRORS[422]},
    )
    def get_run(run_id: str) -> RunOut:
        return _run_out(_get_run(run_id))

    @app.post(
        "/api/runs/{run_id}/cancel",
        response_model=RunOut,
        status_code=202,
        summary="Cancel a queued or running run (its process is stopped; nothing of it is kept but the record)",
        responses={404: {"model": Problems}, 409: {"model": Problems}, 422: ERRORS[422]},
    )
    def cancel_run(run_id: str, request: Request) -> RunOut:
        r = _get_run(run_id)
        if r.status not in ("queued", "running"):
            raise HTTPException(409, f"run {run_id} is {r.status}; only queued or running runs can be cancelled")
        if not request.app.state.jobs.cancel(run_id):
            st.cancel_run(run_id)  # queued in a store whose server stopped: nothing runs it
        return _run_out(_get_run(run_id))


def _run_file_routes(app: FastAPI, st: Store, lookups: _Lookups) -> None:
    """A run's output files, deleting a run with its files, and the comparison page of two runs."""
    _get_run = lookups.run

    @app.get(
        "/api/runs/{run_id}/files/{name:path}",
        summary="One output: plan.json, report.html, plan.gpkg, tables/*.csv, …",
        response_class=FileResponse,
        responses={404: {"model": Problems, "content": {"application/json": {}}}, 422: ERRORS[422]},
    )
    def run_file(run_id: str, name: str) -> FileResponse:
        r = _get_run(run_id)
        if name not in {o.name for o in r.outputs}:  # only files the run recorded: no path is built from input
            raise HTTPException(404, "no such output of this run")
        path = st.output_dir(run_id) / name
        if not path.is_file():
            raise HTTPException(404, "output file missing from the data folder")
        media = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if name.endswith(".gpkg"):
            media = "application/geopackage+sqlite3"
        return FileResponse(path, media_type=media)

    @app.delete(
        "/api/runs/{run_id}",
        status_code=204,
        summary="Delete a finished run and its files",
        responses={404: {"model": Problems}, 409: {"model": Problems}, 422: ERRORS[422]},
    )
    def delete_run(run_id: str) -> Response:
        ok = st.delete_run(run_id)
        if ok is None:
            raise HTTPException(404, "no such run")
        if ok is False:
            raise HTTPException(409, "run still queued or running")
        return Response(status_code=204)

    @app.get(
        "/api/compare/{run_a}/{run_b}",
        response_class=HTMLResponse,
        summary="comparison.html of two finished runs (B against A)",
        responses={
            404: {"model": Problems, "content": {"application/json": {}}},
            409: {"model": Problems, "content": {"application/json": {}}},
            422: {**ERRORS[422], "content": {"application/json": {}}},
        },
    )
    def compare_runs(run_a: str, run_b: str) -> FileResponse:
        from ..outputs.report import write_comparison_from_files

        a, b = _get_run(run_a), _get_run(run_b)
        for r in (a, b):
            if r.status != "done":
                raise HTTPException(409, f"run {r.id} is {r.status}; both runs must be done")
        out = st.comparison_dir(a.id, b.id)
        page_path = out / "comparison.html"
        if not page_path.is_file():
            try:
                write_comparison_from_files(st.output_dir(a.id) / "plan.json", st.output_dir(b.id) / "plan.json", out)
            except InputError as e:
                return _problems(422, e, st.data_dir)  # type: ignore[return-value]
        return FileResponse(page_path, media_type="text/html")


def _error_handlers(app: FastAPI) -> None:
    """Every error answer has the same body: ``detail`` and a list of ``problems``."""

    @app.exception_handler(StarletteHTTPException)  # FastAPI's HTTPException and Starlette's own 404 / 405
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status_code, content={"detail": str(exc.detail), "problems": []}, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        problems = [_request_problem(field_path(*e.get("loc", ())), str(e.get("msg", ""))) for e in errors]
        if any(e.get("type") == "json_invalid" for e in errors):
            return JSONResponse(status_code=400, content={"detail": "malformed JSON body", "problems": problems})
        return JSONResponse(
            status_code=422,
            content={
                "detail": "; ".join(f"{p['field']}: {p['message']}" for p in problems)[:2000],
                "problems": problems,
            },
        )
