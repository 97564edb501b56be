"""Run store on SQLite and on PostgreSQL (for real when RELIEFPLAN_TEST_PG_URL is set; .ci/run sets it)."""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy")

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from reliefplan.store import Output, Store, resolve_store, safe_url

PG_ENV = "RELIEFPLAN_TEST_PG_URL"


def need_postgres() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        msg = f"PostgreSQL tests need {PG_ENV}=postgresql+psycopg://user:pass@127.0.0.1/db (.ci/run sets it)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(reason=msg)  # no PostgreSQL here; CI sets the URL, and fails above without it
    return url


@pytest.fixture(params=["sqlite", "postgresql"], name="store_url")
def store_url_fixture(request, tmp_path: Path):
    """(database URL, data folder): a fresh SQLite file, or a fresh schema in the test PostgreSQL database."""
    if request.param == "sqlite":
        yield resolve_store(str(tmp_path / "store"))
        return
    base, _ = resolve_store(need_postgres())
    schema = "t_" + uuid.uuid4().hex[:16]
    eng = create_engine(base)
    with eng.begin() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    try:
        yield url, tmp_path / "data"
    finally:
        with eng.begin() as c:
            c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        eng.dispose()


@pytest.fixture
def store(store_url):
    s = Store(*store_url)
    yield s
    s.close()


def _upload(store: Store, data: bytes = b"zip bytes") -> str:
    uid = uuid.uuid4().hex
    store.add_upload(
        upload_id=uid, name="sc.zip", title="t", zip_bytes=data, n_files=3, root="sc", scenarios=["a", "b"]
    )
    return uid


def test_resolve_store(tmp_path):
    url, data = resolve_store(str(tmp_path / "x"))
    assert url == f"sqlite:///{tmp_path / 'x' / 'reliefplan.sqlite'}" and data == tmp_path / "x"
    url, data = resolve_store("postgresql://u:secret@db/x", tmp_path)
    assert url == "postgresql+psycopg://u:secret@db/x" and data == tmp_path
    assert "secret" not in safe_url(url) and "***" in safe_url(url)


def test_schema_from_migrations(store):
    tables = set(inspect(store.engine).get_table_names())
    assert {"uploads", "runs", "outputs", "alembic_version"} <= tables
    with store.engine.connect() as c:
        assert c.execute(text("select version_num from alembic_version")).scalar() == "0002"
    assert "share_done" in {col["name"] for col in inspect(store.engine).get_columns("runs")}
    Store(store.url, store.data_dir).close()  # migrating again is a no-op


def test_a_store_of_the_first_schema_is_upgraded(tmp_path):
    """A store made before runs had a share done keeps its runs; the new column starts empty."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    from reliefplan.store import MIGRATIONS_DIR

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    eng = create_engine(url)
    with eng.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(text("insert into uploads values ('u', 'n', 't', '2024-01-01', 1, 1, 's', 'r', '[]', x'00')"))
        conn.execute(
            text(
                "insert into runs (id, upload_id, scenario, params, status, progress, steps, created_at) "
                "values ('r', 'u', 'main', '{}', 'done', 'done', 3, '2024-01-01')"
            )
        )
    eng.dispose()
    s = Store(url, tmp_path)
    run = s.get_run("r")
    assert run is not None and run.steps == 3 and run.share_done is None
    s.set_progress("r", "verdict", 0.5)
    assert s.get_run("r").share_done == 0.5
    s.close()


def test_run_lifecycle(store):
    uid = _upload(store, b"\x00\x01zip")
    assert store.upload_zip(uid) == b"\x00\x01zip"
    u = store.get_upload(uid)
    assert u.scenarios == ["a", "b"] and u.size_bytes == 5 and u.created_at.tzinfo is not None
    run = store.add_run(uid, "a", {"horizon_days": 3})
    assert run.status == "queued" and run.outputs == []
    assert store.start_run(run.id) and not store.start_run(run.id)  # only a queued run starts, once
    for msg in ("displacement", "needs", "siting"):
        store.set_progress(run.id, msg)
    r = store.get_run(run.id)
    assert (r.status, r.progress, r.steps) == ("running", "siting", 3) and r.started_at is not None
    store.finish_run(
        run.id,
        status="done",
        outputs=[Output("plan.json", 10, "ab"), Output("tables/x.csv", 2, "cd")],
        summary={"displaced": 7},
    )
    r = store.get_run(run.id)
    assert r.status == "done" and r.summary == {"displaced": 7} and r.params == {"horizon_days": 3}
    assert [(o.name, o.size_bytes) for o in r.outputs] == [("plan.json", 10), ("tables/x.csv", 2)]
    assert r.finished_at >= r.started_at >= r.created_at


def test_interrupt_and_delete(store):
    uid = _upload(store)
    a, b, c = (store.add_run(uid, "a", {}) for _ in range(3))
    store.start_run(a.id)
    store.finish_run(c.id, status="failed", error="bad input", problems=[{"file": "x", "message": "m"}])
    assert store.interrupt_active() == 2
    assert {r.id: r.status for r in store.list_runs(uid)} == {a.id: "interrupted", b.id: "interrupted", c.id: "failed"}
    assert store.get_run(c.id).problems == [{"file": "x", "message": "m"}]
    assert not store.start_run(b.id)  # an interrupted run never starts later
    d = store.add_run(uid, "b", {})
    assert store.delete_run(d.id) is False  # still queued
    assert store.delete_upload(uid) == [d.id]  # refused: an active run
    store.finish_run(d.id, status="error", error="x")
    store.run_dir(d.id).mkdir(parents=True)
    assert store.delete_run(d.id) is True and not store.run_dir(d.id).exists()
    assert store.delete_run(d.id) is None
    assert store.delete_upload(uid) == []
    assert store.get_upload(uid) is None and store.list_runs() == []


def test_concurrent_progress_writes(store):
    """Many threads writing progress to many runs at once: every write lands (short transactions)."""
    uid = _upload(store)
    runs = [store.add_run(uid, "a", {"i": i}) for i in range(8)]
    for r in runs:
        store.start_run(r.id)

    def work(run_id: str) -> None:
        for k in range(25):
            store.set_progress(run_id, f"step {k}")

    threads = [threading.Thread(target=work, args=(r.id,)) for r in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = {r.id: (r.steps, r.progress, r.params["i"]) for r in store.list_runs()}
    assert got == {r.id: (25, "step 24", i) for i, r in enumerate(runs)}
