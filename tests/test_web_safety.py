"""The server under hostile or broken requests: Host and Origin checks, streamed size cap, cancel (a real stop of
the run's process), upload shapes that must be 422, documented error bodies, offline /docs."""

from __future__ import annotations

import os
import time
import zipfile

import pytest

pytest.importorskip("fastapi")

from conftest import write_scenario
from fastapi.testclient import TestClient
from test_web import BASE, post_zip, wait, zip_entries, zip_folder

from reliefplan.store import Store, resolve_store
from reliefplan.web import create_app, host_names
from reliefplan.web.uploads import Limits


@pytest.fixture
def store(tmp_path):
    st = Store(*resolve_store(str(tmp_path / "store")))
    yield st
    st.close()


@pytest.fixture
def client(store):
    with TestClient(create_app(store, token="", workers=1), base_url=BASE) as c:
        yield c


def test_host_check_refuses_other_names(store):
    with TestClient(create_app(store, token=""), base_url="http://evil.example:8000") as c:
        r = c.get("/api/options")
        assert r.status_code == 400 and "unknown Host 'evil.example'" in r.json()["detail"]
    with TestClient(
        create_app(store, token="", allowed_hosts=["plans.example.org"]), base_url="http://plans.example.org"
    ) as c:
        assert c.get("/api/options").status_code == 200
    for base in ("http://localhost:8000", "http://[::1]:8000", BASE):
        with TestClient(create_app(store, token=""), base_url=base) as c:
            assert c.get("/api/options").status_code == 200, base


def test_host_names_for_serve():
    assert "*" not in host_names("127.0.0.1", None, None)
    assert "10.0.0.5" in host_names("10.0.0.5", None, None)
    assert host_names("0.0.0.0", None, "t0ken")[-1] == "*"
    assert "plans.example.org" in host_names("0.0.0.0", ["plans.example.org"], None)
    from reliefplan._errors import ReliefplanError

    with pytest.raises(ReliefplanError, match="--allowed-host"):
        host_names("0.0.0.0", None, None)  # open mode on every interface: names must be given
    with pytest.raises(ReliefplanError, match="needs a token"):
        host_names("127.0.0.1", ["*"], None)


def test_cross_site_requests_refused(client, tmp_path):
    data = zip_folder(write_scenario(tmp_path / "sc"))
    r = client.post(
        "/api/uploads", files={"file": ("sc.zip", data, "application/zip")}, headers={"Origin": "https://evil.example"}
    )
    assert r.status_code == 403 and "evil.example" in r.json()["detail"]
    r = client.post(
        "/api/uploads", files={"file": ("sc.zip", data, "application/zip")}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert r.status_code == 403
    r = client.post("/api/uploads", files={"file": ("sc.zip", data, "application/zip")}, headers={"Origin": "null"})
    assert r.status_code == 403
    assert client.get("/api/uploads", headers={"Origin": "https://evil.example"}).status_code == 200  # reads: CORS
    same = client.post("/api/uploads", files={"file": ("sc.zip", data, "application/zip")}, headers={"Origin": BASE})
    assert same.status_code == 201, same.text
    assert len(client.get("/api/uploads").json()) == 1  # only the same-origin one


def test_chunked_upload_refused_while_streaming(store):
    """A body without Content-Length (chunked) is cut off at the cap as it streams in, not spooled first."""
    import asyncio
    import json as _json

    limits = Limits(max_zip_bytes=64 * 1024)
    app = create_app(store, token="", limits=limits)
    pulled = 0
    sent: list[dict] = []

    async def receive():  # 8 MB in 64 kB pieces, as an ASGI server hands over a chunked body
        nonlocal pulled
        if pulled >= 8 * 1024 * 1024:
            return {"type": "http.request", "body": b"", "more_body": False}
        head = (
            b""
            if pulled
            else (
                b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.zip"\r\n'
                b"Content-Type: application/zip\r\n\r\n"
            )
        )
        pulled += 65536
        return {"type": "http.request", "body": head + b"0" * (65536 - len(head)), "more_body": True}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/uploads",
        "raw_path": b"/api/uploads",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"content-type", b"multipart/form-data; boundary=x"),
            (b"transfer-encoding", b"chunked"),
        ],
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
    }
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert start["status"] == 413 and "larger than" in _json.loads(body)["detail"], body
    assert pulled <= limits.max_zip_bytes + 1024 * 1024 + 65536  # read up to the cap, never the 8 MB
    app.state.jobs.shutdown()


def _zip_info(name: str, mode: int = 0o100644) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = mode << 16
    return info


def test_upload_shapes_are_422_not_500(client, tmp_path):
    yaml_ok = (write_scenario(tmp_path / "sc") / "scenario.yaml").read_bytes()
    shapes = {
        "over-long name": [("sc/scenario.yaml", yaml_ok), ("sc/" + "a" * 300 + ".csv", b"x")],
        "over-long folder": [("sc/scenario.yaml", yaml_ok), ("sc/" + "d" * 256 + "/x.csv", b"x")],
        "file and folder of one name": [("sc/scenario.yaml", yaml_ok), ("sc/zones", b"x"), ("sc/zones/a.csv", b"x")],
        "deep YAML": [("sc/scenario.yaml", b"title: " + b"[" * 900 + b"]" * 900 + b"\n")],
        "deep block YAML": [
            ("sc/scenario.yaml", "".join(f"{' ' * i}k{i}:\n" for i in range(200)).encode() + b" " * 200 + b"x: 1\n")
        ],
        "YAML aliases": [
            (
                "sc/scenario.yaml",
                b"a: &a [x,x,x,x,x,x,x,x,x,x]\n"
                + b"".join(
                    f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n".encode()
                    for p, c in zip("abcdefg", "bcdefgh")
                ),
            )
        ],
        "YAML too large": [("sc/scenario.yaml", b"# " + b"x" * (3 * 1024 * 1024) + b"\n")],
        "YAML not a mapping": [("sc/scenario.yaml", b"- 1\n- 2\n")],
    }
    for what, entries in shapes.items():
        r = post_zip(client, zip_entries(entries))
        assert r.status_code == 422, (what, r.status_code, r.text[:300])
        assert r.json()["problems"], what
    folders = zip_entries([("sc/scenario.yaml", yaml_ok)] + [(_zip_info(f"sc/d{i}/"), b"") for i in range(250)])
    r = post_zip(client, folders)
    assert r.status_code == 422 and "entries (files and folders)" in r.text  # directory entries count
    assert client.get("/api/uploads").json() == []


def test_scenario_file_keys_outside_the_upload_are_refused(client, tmp_path):
    keys = {
        "packages": {
            "p": {
                "entry_series": {"file": "/etc/passwd", "start": "2024-01-01"},
                "sites": [{"file": "../../other-run/out/plan.json"}],
            }
        },
        "uncertainty": {"entry_capacity_bootstrap": {"file": "/dev/zero"}},
    }
    folder = write_scenario(tmp_path / "sc", config=keys)
    r = post_zip(client, zip_folder(folder))
    assert r.status_code == 422
    fields = {p["field"] for p in r.json()["problems"]}
    assert {
        "packages.p.entry_series.file",
        "packages.p.sites.0.file",
        "uncertainty.entry_capacity_bootstrap.file",
    } <= fields
    assert "root:" not in r.text  # nothing of the file is echoed


def test_error_bodies_and_openapi(store):
    with TestClient(create_app(store, token=""), base_url=BASE) as c:
        bad_json = c.post("/api/runs", content=b"{not json", headers={"Content-Type": "application/json"})
        assert bad_json.status_code == 400 and bad_json.json()["detail"] == "malformed JSON body"
        invalid = c.post("/api/runs", json={"upload_id": "x", "scenario": "main", "params": {"horizon_days": 0}})
        assert invalid.status_code == 422
        body = invalid.json()
        assert set(body) == {"detail", "problems"} and body["problems"][0]["field"] == "body.params.horizon_days"
        spec = c.get("/openapi.json").json()
        assert "securitySchemes" not in spec.get("components", {})  # open mode: no auth declared
        runs = spec["paths"]["/api/runs"]["post"]["responses"]
        assert runs["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/Problems")
        assert runs["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/Problems")
        cmp = spec["paths"]["/api/compare/{run_a}/{run_b}"]["get"]["responses"]
        assert "application/json" in cmp["404"]["content"]
        assert "HTTPValidationError" not in spec["components"]["schemas"]
        assert "/api/runs/{run_id}/cancel" in spec["paths"]
        missing = c.get("/api/compare/a/b")
        assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/json")
    with TestClient(create_app(store, token="t0ken"), base_url=BASE) as c:
        spec = c.get("/openapi.json", headers={"Authorization": "Bearer t0ken"}).json()
        assert "HTTPBearer" in spec["components"]["securitySchemes"]


def test_docs_work_offline(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        r = client.get(f"/static/swagger-ui/{asset}")
        assert r.status_code == 200 and len(r.content) > 100_000, asset
    assert client.get("/static/swagger-ui/LICENSE").status_code == 200


def _ensemble_folder(tmp_path):
    unc = {"parameters": {"trucks": {"target": "entry.trucks_per_day", "dist": "uniform", "low": 3, "high": 7}}}
    return write_scenario(tmp_path / "sc", config={"uncertainty": unc, "layout": {"enabled": False}, "horizon_days": 5})


def test_cancel_stops_the_running_process_and_a_queued_run(client, tmp_path):
    c = client  # one worker: the second run waits in the queue
    uid = post_zip(c, zip_folder(_ensemble_folder(tmp_path))).json()["id"]
    long = c.post("/api/runs", json={"upload_id": uid, "scenario": "main", "params": {"ensemble_runs": 1000}}).json()[
        "id"
    ]
    queued = c.post("/api/runs", json={"upload_id": uid, "scenario": "main", "params": {}}).json()["id"]
    end = time.monotonic() + 120
    while "ensemble member" not in c.get(f"/api/runs/{long}").json()["progress"]:
        assert time.monotonic() < end, "the ensemble never started"
        time.sleep(0.1)
    pid = c.app.state.jobs.pid(long)
    assert pid is not None and _alive(pid)

    r = c.post(f"/api/runs/{queued}/cancel")
    assert r.status_code == 202 and r.json()["status"] == "cancelled"
    t0 = time.monotonic()
    r = c.post(f"/api/runs/{long}/cancel")
    assert r.status_code == 202
    run = wait(c, long, 30)
    assert run["status"] == "cancelled" and run["error"] == "cancelled by a user"
    assert time.monotonic() - t0 < 15
    assert not _alive(pid)  # the process is gone, not left planning in the background
    steps = run["steps"]
    time.sleep(1.0)
    assert c.get(f"/api/runs/{long}").json()["steps"] == steps
    assert c.get(f"/api/runs/{queued}").json()["started_at"] is None  # never started
    assert c.post(f"/api/runs/{long}/cancel").status_code == 409  # already ended
    assert c.post("/api/runs/nope/cancel").status_code == 404
    assert not list(c.app.state.store.run_dir(long).glob(".out.tmp-*"))
    assert c.delete(f"/api/runs/{long}").status_code == 204  # a cancelled run is finished: it can be deleted


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped) counts as gone
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return False


def test_run_failures_are_failed_runs_with_problems(client, tmp_path):
    bad = write_scenario(
        tmp_path / "sc",
        config={"horizon_days": 5},
        entry_points="id,name,lon,lat,trucks_per_day\nKS,Kerem,34.27,31.22,40,extra\n",
    )
    r = post_zip(client, zip_folder(bad))
    assert r.status_code == 201, r.text  # the upload checks scenario.yaml; layers are read when planning
    run = wait(client, client.post("/api/runs", json={"upload_id": r.json()["id"], "scenario": "main"}).json()["id"])
    assert run["status"] == "failed", run
    assert run["problems"][0]["file"] == "entry_points.csv" and "more cell(s) than" in run["problems"][0]["message"]
