"""Run store: uploads, runs and their outputs, kept in a database (SQLAlchemy 2) plus a data folder.

The database (SQLite file by default, PostgreSQL by URL) holds the uploaded zip bytes, the runs with their
status/progress/errors, and an index of every output file; the files themselves (plan.json, report.html,
plan.gpkg, tables/*.csv) live under ``data_dir/runs/<run id>/out``, one folder per run, so concurrent runs
never write to the same place. Every database write is a short transaction of its own. The schema is created
and upgraded by the Alembic migrations shipped in ``reliefplan/web/migrations``.
"""

from __future__ import annotations

import hashlib
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    select,
    update,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    mapped_column,
    relationship,
    sessionmaker,
)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "web" / "migrations"
SQLITE_FILE = "reliefplan.sqlite"
ACTIVE = ("queued", "running")
FINISHED = ("done", "failed", "error", "interrupted", "cancelled")


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    pass


class UploadRow(Base):
    """One uploaded scenario folder (zip bytes kept as sent; extracted copy under data_dir/uploads/<id>)."""

    __tablename__ = "uploads"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    size_bytes: Mapped[int] = mapped_column(Integer)
    n_files: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    root: Mapped[str] = mapped_column(String(500), default="")  # folder of scenario.yaml inside the zip
    scenarios: Mapped[list[str]] = mapped_column(JSON)
    zip_bytes: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class RunRow(Base):
    """One plan run: its parameters, status and progress, error, a short summary."""

    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    upload_id: Mapped[str] = mapped_column(ForeignKey("uploads.id"), index=True)
    scenario: Mapped[str] = mapped_column(String(255))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), index=True)  # queued running + FINISHED
    progress: Mapped[str] = mapped_column(String(255), default="")
    steps: Mapped[int] = mapped_column(Integer, default=0)
    share_done: Mapped[float | None] = mapped_column(Float, nullable=True)  # 0..1, None: not known
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    problems: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    outputs: Mapped[list[OutputRow]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="OutputRow.name"
    )


class OutputRow(Base):
    """One output file of a run, by its path relative to the run's output folder."""

    __tablename__ = "outputs"
    __table_args__ = (UniqueConstraint("run_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), index=True)
    name: Mapped[str] = mapped_column(String(500))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    run: Mapped[RunRow] = relationship(back_populates="outputs")


@dataclass(frozen=True)
class Output:
    name: str
    size_bytes: int
    sha256: str


@dataclass(frozen=True)
class Upload:
    id: str
    name: str
    title: str
    created_at: datetime
    size_bytes: int
    n_files: int
    sha256: str
    root: str
    scenarios: list[str]


@dataclass(frozen=True)
class Run:
    id: str
    upload_id: str
    scenario: str
    params: dict[str, Any]
    status: str
    progress: str
    steps: int
    error: str | None
    problems: list[dict[str, Any]] | None
    summary: dict[str, Any] | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    outputs: list[Output]
    share_done: float | None = None


def _upload(r: UploadRow) -> Upload:
    return Upload(
        id=r.id,
        name=r.name,
        title=r.title,
        created_at=_aware(r.created_at),
        size_bytes=r.size_bytes,
        n_files=r.n_files,
        sha256=r.sha256,
        root=r.root,
        scenarios=list(r.scenarios),
    )


def _aware(t: datetime | None) -> datetime | None:  # SQLite drops the zone; every time stored is UTC
    if t is None:
        return None
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def _run(r: RunRow) -> Run:
    return Run(
        id=r.id,
        upload_id=r.upload_id,
        scenario=r.scenario,
        params=dict(r.params),
        status=r.status,
        progress=r.progress,
        steps=r.steps,
        error=r.error,
        problems=r.problems,
        summary=r.summary,
        created_at=_aware(r.created_at),
        started_at=_aware(r.started_at),  # type: ignore[arg-type]
        finished_at=_aware(r.finished_at),
        outputs=[Output(o.name, o.size_bytes, o.sha256) for o in r.outputs],
        share_done=r.share_done,
    )


def default_data_dir() -> Path:
    """The per-user data folder (e.g. ~/.local/share/reliefplan/store on Linux; $XDG_DATA_HOME is honoured)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("reliefplan", appauthor=False)) / "store"


def resolve_store(store: str | Path | None, data_dir: str | Path | None = None) -> tuple[str, Path]:
    """(database URL, data folder) from a --store value: a URL, a folder (SQLite inside), or None (default:
    the data folder, else the per-user data folder)."""
    if store is None or "://" not in str(store):
        folder = Path(store) if store is not None else Path(data_dir) if data_dir is not None else default_data_dir()
        return f"sqlite:///{(folder / SQLITE_FILE).resolve()}", Path(data_dir) if data_dir is not None else folder
    url = str(store)
    if url.startswith(("postgresql://", "postgres://")):  # psycopg 3 is the driver shipped with the web extra
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url, Path(data_dir) if data_dir is not None else default_data_dir()


def safe_url(url: str) -> str:
    """The URL with its password hidden, for logs and messages."""
    return make_url(url).render_as_string(hide_password=True)


def _engine(url: str) -> Engine:
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        eng = create_engine(u, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(eng, "connect")
        def _pragmas(dbapi_conn, _record):  # WAL: readers never block the one writer
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return eng
    return create_engine(u, pool_pre_ping=True, pool_size=10, max_overflow=20)


def migrate(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


class Store:
    """Uploads, runs and outputs; thread-safe (one short session per call)."""

    def __init__(self, url: str, data_dir: Path, *, upgrade: bool = True):
        self.url = url
        self.data_dir = Path(data_dir).resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.engine = _engine(url)
        if upgrade:  # a run's own process opens the store the server has migrated already
            migrate(self.engine)
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    # ---- folders -------------------------------------------------------------------------------------

    def upload_dir(self, upload_id: str) -> Path:
        return self.data_dir / "uploads" / upload_id

    def run_dir(self, run_id: str) -> Path:
        return self.data_dir / "runs" / run_id

    def output_dir(self, run_id: str) -> Path:
        return self.run_dir(run_id) / "out"

    def comparison_dir(self, run_a: str, run_b: str) -> Path:
        return self.data_dir / "comparisons" / f"{run_a}-{run_b}"

    # ---- uploads -------------------------------------------------------------------------------------

    def add_upload(
        self, *, upload_id: str, name: str, title: str, zip_bytes: bytes, n_files: int, root: str, scenarios: list[str]
    ) -> Upload:
        row = UploadRow(
            id=upload_id,
            name=name,
            title=title,
            created_at=utcnow(),
            size_bytes=len(zip_bytes),
            n_files=n_files,
            sha256=hashlib.sha256(zip_bytes).hexdigest(),
            root=root,
            scenarios=scenarios,
            zip_bytes=zip_bytes,
        )
        with self._session.begin() as s:
            s.add(row)
        return _upload(row)

    def get_upload(self, upload_id: str) -> Upload | None:
        with self._session() as s:
            r = s.get(UploadRow, upload_id)
            return None if r is None else _upload(r)

    def upload_zip(self, upload_id: str) -> bytes | None:
        with self._session() as s:
            return s.scalar(select(UploadRow.zip_bytes).where(UploadRow.id == upload_id))

    def list_uploads(self) -> list[Upload]:
        with self._session() as s:
            return [_upload(r) for r in s.scalars(select(UploadRow).order_by(UploadRow.created_at.desc()))]

    def delete_upload(self, upload_id: str) -> list[str]:
        """Delete an upload and its finished runs; returns the ids of its active runs (then nothing is deleted)."""
        with self._session.begin() as s:
            runs = list(s.scalars(select(RunRow).where(RunRow.upload_id == upload_id)))
            active = [r.id for r in runs if r.status in ACTIVE]
            if active:
                return active
            for r in runs:
                s.delete(r)
            row = s.get(UploadRow, upload_id)
            if row is not None:
                s.delete(row)
        for r in runs:
            self._remove_run_files(r.id)
        shutil.rmtree(self.upload_dir(upload_id), ignore_errors=True)
        return []

    # ---- runs ----------------------------------------------------------------------------------------

    def add_run(self, upload_id: str, scenario: str, params: dict[str, Any]) -> Run:
        row = RunRow(
            id=new_id(),
            upload_id=upload_id,
            scenario=scenario,
            params=params,
            status="queued",
            progress="queued",
            steps=0,
            created_at=utcnow(),
        )
        with self._session.begin() as s:
            s.add(row)
            row.outputs = []
        return _run(row)

    def get_run(self, run_id: str) -> Run | None:
        with self._session() as s:
            r = s.get(RunRow, run_id)
            return None if r is None else _run(r)

    def list_runs(self, upload_id: str | None = None) -> list[Run]:
        q = select(RunRow).order_by(RunRow.created_at.desc())
        if upload_id is not None:
            q = q.where(RunRow.upload_id == upload_id)
        with self._session() as s:
            return [_run(r) for r in s.scalars(q)]

    def start_run(self, run_id: str) -> bool:
        """queued -> running; False when the run is no longer queued (deleted or interrupted)."""
        with self._session.begin() as s:
            n = s.execute(
                update(RunRow)
                .where(RunRow.id == run_id, RunRow.status == "queued")
                .values(status="running", started_at=utcnow(), progress="starting")
            ).rowcount
        return n == 1

    def set_progress(self, run_id: str, message: str, share: float | None = None) -> None:
        """A new step of a running run; `share`: how much of the run is done (0 to 1), when known."""
        values: dict[str, Any] = {"progress": message[:255], "steps": RunRow.steps + 1}
        if share is not None:
            values["share_done"] = min(1.0, max(0.0, float(share)))
        with self._session.begin() as s:
            s.execute(update(RunRow).where(RunRow.id == run_id).values(**values))

    def finish_run(
        self,
        run_id: str,
        *,
        status: str,
        outputs: list[Output] | None = None,
        summary: dict | None = None,
        error: str | None = None,
        problems: list[dict[str, Any]] | None = None,
        only_active: bool = False,
    ) -> None:
        """Record how a run ended; only_active: unless it has ended already."""
        assert status in FINISHED
        with self._session.begin() as s:
            r = s.get(RunRow, run_id)
            if r is None or (only_active and r.status not in ACTIVE):
                return
            r.status, r.finished_at, r.summary, r.error, r.problems = status, utcnow(), summary, error, problems
            r.progress = status
            if status == "done":
                r.share_done = 1.0
            r.outputs = [OutputRow(name=o.name, size_bytes=o.size_bytes, sha256=o.sha256) for o in outputs or []]

    def cancel_run(self, run_id: str) -> bool:
        """queued/running -> cancelled; False when the run had already ended (or does not exist)."""
        with self._session.begin() as s:
            n = s.execute(
                update(RunRow)
                .where(RunRow.id == run_id, RunRow.status.in_(ACTIVE))
                .values(status="cancelled", finished_at=utcnow(), progress="cancelled", error="cancelled by a user")
            ).rowcount
        return n == 1

    def interrupt_active(self) -> int:
        """Mark runs left queued/running by a stopped server as 'interrupted'; returns how many."""
        with self._session.begin() as s:
            return s.execute(
                update(RunRow)
                .where(RunRow.status.in_(ACTIVE))
                .values(
                    status="interrupted",
                    finished_at=utcnow(),
                    progress="interrupted",
                    error="the server stopped before this run finished; start it again",
                )
            ).rowcount

    def delete_run(self, run_id: str) -> bool | None:
        """None when there is no such run, False when it is still active, True when deleted."""
        with self._session.begin() as s:
            r = s.get(RunRow, run_id)
            if r is None:
                return None
            if r.status in ACTIVE:
                return False
            s.delete(r)
        self._remove_run_files(run_id)
        return True

    def _remove_run_files(self, run_id: str) -> None:
        shutil.rmtree(self.run_dir(run_id), ignore_errors=True)
        comparisons = self.data_dir / "comparisons"
        if comparisons.is_dir():
            for d in comparisons.iterdir():
                if run_id in d.name.split("-"):
                    shutil.rmtree(d, ignore_errors=True)


def iter_files(folder: Path) -> Iterator[Path]:
    """Regular files under folder, sorted, skipping temp files left by atomic writes."""
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not p.is_symlink() and not p.name.startswith("."):
            yield p


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
