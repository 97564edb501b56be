"""Web API over both stores: uploads (and the refused ones), runs, outputs, comparison, auth, restart, concurrency."""

from __future__ import annotations

import io
import json
import re
import stat
import threading
import time
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from conftest import write_scenario
from fastapi.testclient import TestClient
from test_store import store_url_fixture  # noqa: F401  (the parametrised store fixture 'store_url')

from reliefplan.store import Store, resolve_store
from reliefplan.web import create_app
from reliefplan.web.uploads import Limits

FAST = {"layout": False, "evacuation": False, "supply": False}
BASE = "http://127.0.0.1:8000"  # the server answers to loopback names only (Host check)


def zip_folder(folder: Path, prefix: str = "sc/") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                z.write(p, prefix + p.relative_to(folder).as_posix())
    return buf.getvalue()


def zip_entries(entries: list[tuple[str | zipfile.ZipInfo, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            z.writestr(name, data)
    return buf.getvalue()


@pytest.fixture(scope="module")
def scenario_zip(tmp_path_factory) -> bytes:
    return zip_folder(write_scenario(tmp_path_factory.mktemp("web") / "sc"))


def post_zip(c: TestClient, data: bytes, name: str = "sc.zip"):
    return c.post("/api/uploads", files={"file": (name, data, "application/zip")})


def wait(c: TestClient, run_id: str, timeout_s: float = 120.0) -> dict:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        r = c.get(f"/api/runs/{run_id}").json()
        if r["status"] not in ("queued", "running"):
            return r
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not finish in {timeout_s} s")


@pytest.fixture
def client(store_url):
    store = Store(*store_url)
    with TestClient(create_app(store, token="", workers=2), base_url=BASE) as c:
        yield c
    store.close()


def test_upload_run_outputs_compare_delete(client, scenario_zip):
    c = client
    up = post_zip(c, scenario_zip)
    assert up.status_code == 201, up.text
    u = up.json()
    assert (u["scenarios"], u["root"], u["n_files"], u["title"]) == (["main"], "sc", 5, "test")
    assert c.get(f"/api/uploads/{u['id']}/scenarios").json() == ["main"]
    assert [x["id"] for x in c.get("/api/uploads").json()] == [u["id"]]

    r = c.post("/api/runs", json={"upload_id": u["id"], "scenario": "main", "params": {"layout": False}})
    assert r.status_code == 202 and r.json()["status"] in ("queued", "running")
    a = wait(c, r.json()["id"])
    assert a["status"] == "done", a
    assert a["summary"]["displaced"] == 10000  # the footprint covers zone A: its 10,000 people
    assert a["summary"]["sheltered"] + a["summary"]["unsheltered"] == 10000
    assert a["steps"] >= 6 and a["progress"] == "done"
    names = {o["name"] for o in a["outputs"]}
    assert {"plan.json", "report.html", "plan.gpkg", "tables/verdict.csv", "tables/flows.csv"} <= names
    plan = c.get(f"/api/runs/{a['id']}/files/plan.json").json()
    assert plan["scenario"] == "main" and plan["people"]["displaced"] == 10000
    rep = c.get(f"/api/runs/{a['id']}/files/report.html")
    assert rep.status_code == 200 and rep.headers["content-type"].startswith("text/html") and "<html" in rep.text
    gpkg = c.get(f"/api/runs/{a['id']}/files/plan.gpkg")
    assert gpkg.content[:16] == b"SQLite format 3\x00"
    csv = c.get(f"/api/runs/{a['id']}/files/tables/verdict.csv")
    assert csv.status_code == 200 and csv.text.count("\n") > 2
    for bad in ("../../etc/passwd", "%2e%2e/%2e%2e/etc/passwd", "input/scenario.yaml", "nope.json"):
        assert c.get(f"/api/runs/{a['id']}/files/{bad}").status_code == 404

    r = c.post(
        "/api/runs",
        json={
            "upload_id": u["id"],
            "scenario": "main",
            "params": {**FAST, "profile": "unhcr-emergency", "horizon_days": 7},
        },
    )
    b = wait(c, r.json()["id"])
    assert b["status"] == "done" and b["params"] == {**FAST, "profile": "unhcr-emergency", "horizon_days": 7}
    plan_b = c.get(f"/api/runs/{b['id']}/files/plan.json").json()
    assert plan_b["horizon_days"] == 7 and plan_b["standards"]["profile"] == "unhcr-emergency"
    assert "report.html" in {o["name"] for o in b["outputs"]}

    cmp = c.get(f"/api/compare/{a['id']}/{b['id']}")
    assert cmp.status_code == 200 and "<html" in cmp.text
    assert c.get(f"/api/compare/{a['id']}/nope").status_code == 404

    assert c.delete(f"/api/runs/{b['id']}").status_code == 204
    assert c.get(f"/api/runs/{b['id']}").status_code == 404
    assert c.delete(f"/api/uploads/{u['id']}").status_code == 204
    assert c.get("/api/runs").json() == [] and c.get("/api/uploads").json() == []


def test_bad_requests(client, scenario_zip):
    c = client
    uid = post_zip(c, scenario_zip).json()["id"]
    r = c.post("/api/runs", json={"upload_id": uid, "scenario": "nope"})
    assert r.status_code == 422 and "main" in r.json()["detail"]
    r = c.post("/api/runs", json={"upload_id": uid, "scenario": "main", "params": {"profile": "nope"}})
    assert r.status_code == 422 and "sphere-2018" in r.json()["detail"]
    assert (
        c.post("/api/runs", json={"upload_id": uid, "scenario": "main", "params": {"horizon_days": 0}}).status_code
        == 422
    )
    assert c.post("/api/runs", json={"upload_id": "x", "scenario": "main"}).status_code == 404
    assert c.get("/api/runs/x").status_code == 404


def test_closures_and_capacity_reach_the_plan(client, scenario_zip):
    c = client
    uid = post_zip(c, scenario_zip).json()["id"]
    base = {"layout": False, "evacuation": False, "horizon_days": 6}
    runs = [
        c.post("/api/runs", json={"upload_id": uid, "scenario": "main", "params": p}).json()["id"]
        for p in (base, {**base, "closures": [{"entry_point": "KS", "first_day": 2, "last_day": 3}]})
    ]
    open_, closed = (wait(c, r) for r in runs)
    assert open_["status"] == closed["status"] == "done"
    assert open_["share_done"] == 1.0 and open_["elapsed_s"] > 0
    # a closure of an entry point the upload does not have, or beyond the horizon: refused before the run
    wrong = c.post(
        "/api/runs",
        json={
            "upload_id": uid,
            "scenario": "main",
            "params": {
                **base,
                "closures": [
                    {"entry_point": "KS", "first_day": 9, "last_day": 9},
                    {"entry_point": "XX", "first_day": 2, "last_day": 3},
                ],
            },
        },
    )
    assert wrong.status_code == 422
    assert [p["field"] for p in wrong.json()["problems"]] == [
        "body.params.closures.0.first_day",
        "body.params.closures.1.entry_point",
    ]
    assert "no entry point 'XX' in scenario 'main'; expected one of ['KS']" in wrong.json()["detail"]
    assert "days 0 to 5" in wrong.json()["detail"]
    use = {
        name: {u["day"]: u for u in c.get(f"/api/runs/{r['id']}/files/plan.json").json()["supply"]["entry_use"]}
        for name, r in (("open", open_), ("closed", closed))
    }
    assert use["open"][2]["capacity_t"] > 0
    assert use["closed"][2]["capacity_t"] == use["closed"][3]["capacity_t"] == 0  # closed: nothing enters
    assert use["closed"][4]["capacity_t"] == use["open"][4]["capacity_t"]  # open again afterwards


def test_input_error_is_a_failed_run_with_problems(client, tmp_path):
    folder = write_scenario(tmp_path / "sc", config={"supply": {"entry_capacity": "observed"}})
    c = client
    uid = post_zip(c, zip_folder(folder)).json()["id"]
    r = wait(c, c.post("/api/runs", json={"upload_id": uid, "scenario": "main", "params": FAST}).json()["id"])
    assert r["status"] == "failed" and r["problems"] and r["outputs"] == []
    assert str(tmp_path) not in r["error"] and "/runs/" not in r["error"]  # no server paths shown


@pytest.mark.parametrize(
    "entries, expect",
    [
        ([("sc/scenario.yaml", b"x"), ("../evil.txt", b"x")], "zip-slip"),
        ([("sc/scenario.yaml", b"x"), ("sc/../../evil.txt", b"x")], "zip-slip"),
        ([("sc/scenario.yaml", b"x"), ("/etc/evil", b"x")], "absolute"),
        ([("sc/scenario.yaml", b"x"), ("C:/evil", b"x")], "absolute"),
        ([("sc/scenario.yaml", b"x"), ("sc\\..\\evil", b"x")], "backslash"),
        ([("sc/zones.geojson", b"{}")], "no scenario.yaml"),
        ([("a/scenario.yaml", b"x"), ("b/scenario.yaml", b"x")], "several scenario folders"),
    ],
)
def test_refused_zips(client, entries, expect):
    r = post_zip(client, zip_entries(entries))
    assert r.status_code == 422 and expect in r.text, r.text
    assert client.get("/api/uploads").json() == []


def test_refused_symlink_and_outside_references(client, tmp_path):
    link = zipfile.ZipInfo("sc/zones.geojson")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    r = post_zip(client, zip_entries([("sc/scenario.yaml", b"x"), (link, b"/etc/passwd")]))
    assert r.status_code == 422 and "symbolic link" in r.text
    for bad in ("/etc/passwd", "../../../etc/passwd"):
        folder = write_scenario(tmp_path / f"sc{len(bad)}", config={"population_structure": bad})
        r = post_zip(client, zip_folder(folder))
        assert r.status_code == 422 and "outside the scenario folder" in r.text and "population_structure" in r.text
    r = post_zip(client, zip_entries([("sc/scenario.yaml", b"title: [unclosed")]))
    assert r.status_code == 422 and r.json()["problems"][0]["file"] == "scenario.yaml", r.text
    r = post_zip(client, zip_entries([("sc/scenario.yaml", b"title: x\nlayers: 3\n")]))
    assert r.status_code == 422 and {p["field"] for p in r.json()["problems"]} >= {"layers", "footprints", "scenarios"}
    assert ".upload-" not in r.text
    r = post_zip(client, b"not a zip")
    assert r.status_code == 422 and "not a readable zip" in r.text


def test_limits(store_url, scenario_zip, tmp_path):
    store = Store(*store_url)
    small = Limits(max_zip_bytes=len(scenario_zip) - 1, max_files=3, max_unpacked_bytes=10_000)
    with TestClient(create_app(store, token="", limits=small), base_url=BASE) as c:
        r = post_zip(c, scenario_zip)
        assert r.status_code in (413, 422) and "bytes" in r.text
        many = zip_entries([("sc/scenario.yaml", b"x")] + [(f"sc/f{i}.txt", b"x") for i in range(5)])
        r = post_zip(c, many)
        assert r.status_code == 422 and "6 entries (files and folders); at most 3" in r.text
        bomb = zip_entries([("sc/scenario.yaml", b"x"), ("sc/big.bin", b"\0" * 50_000)])
        assert len(bomb) < small.max_zip_bytes  # small on the wire, large unpacked
        r = post_zip(c, bomb)
        assert r.status_code == 422 and "unpacked" in r.text
        assert list((store.data_dir / "uploads").glob("*")) == []  # nothing left behind
    store.close()


def test_token_auth(store_url, scenario_zip):
    store = Store(*store_url)
    with TestClient(create_app(store, token="s3cret-t0ken"), base_url=BASE) as c:
        assert c.get("/").status_code == 200  # the page holds no data
        for method, path in (
            ("get", "/api/uploads"),
            ("get", "/api/runs"),
            ("get", "/openapi.json"),
            ("get", "/docs"),
            ("get", "/api/runs/x/files/plan.json"),
            ("delete", "/api/runs/x"),
        ):
            assert getattr(c, method)(path).status_code == 401, path
            assert getattr(c, method)(path, headers={"Authorization": "Bearer wrong"}).status_code == 401
        r = c.post("/api/uploads", files={"file": ("sc.zip", scenario_zip, "application/zip")})
        assert r.status_code == 401 and "s3cret" not in r.text
        ok = {"Authorization": "Bearer s3cret-t0ken"}
        assert c.get("/api/uploads", headers=ok).status_code == 200
        assert c.get("/api/options", headers={"X-Reliefplan-Token": "s3cret-t0ken"}).json()["auth"] is True
        assert c.get("/openapi.json", headers=ok).status_code == 200
    store.close()


def test_token_from_env(store_url, monkeypatch):
    monkeypatch.setenv("RELIEFPLAN_TOKEN", "from-env")
    store = Store(*store_url)
    with TestClient(create_app(store), base_url=BASE) as c:
        assert c.get("/api/runs").status_code == 401
        assert c.get("/api/runs", headers={"Authorization": "Bearer from-env"}).status_code == 200
    store.close()


def test_restart_loses_nothing(store_url, scenario_zip):
    store = Store(*store_url)
    with TestClient(create_app(store, token=""), base_url=BASE) as c:
        uid = post_zip(c, scenario_zip).json()["id"]
        done = wait(c, c.post("/api/runs", json={"upload_id": uid, "scenario": "main", "params": FAST}).json()["id"])
        plan = c.get(f"/api/runs/{done['id']}/files/plan.json").content
    cut = store.add_run(uid, "main", {})  # as if the server died while this run ran
    store.start_run(cut.id)
    store.close()

    store = Store(*store_url)  # a new server process on the same store
    import shutil

    shutil.rmtree(store.upload_dir(uid))  # the extracted copy is rebuilt from the zip kept in the database
    with TestClient(create_app(store, token=""), base_url=BASE) as c:
        assert c.get(f"/api/runs/{done['id']}").json()["status"] == "done"
        assert c.get(f"/api/runs/{done['id']}/files/plan.json").content == plan
        r = c.get(f"/api/runs/{cut.id}").json()
        assert r["status"] == "interrupted" and "start it again" in r["error"]
        again = wait(c, c.post("/api/runs", json={"upload_id": uid, "scenario": "main", "params": FAST}).json()["id"])
        assert again["status"] == "done"
        assert c.get(f"/api/runs/{again['id']}/files/plan.json").json()["people"] == json.loads(plan)["people"]
    store.close()


def test_twenty_concurrent_runs(store_url, scenario_zip):
    """20 runs started at once from 20 threads, each with its own horizon: all finish, none mixes outputs."""
    store = Store(*store_url)
    with TestClient(create_app(store, token="", workers=4), base_url=BASE) as c:
        uid = post_zip(c, scenario_zip).json()["id"]
        ids: dict[int, str] = {}

        def start(h: int) -> None:
            r = c.post("/api/runs", json={"upload_id": uid, "scenario": "main", "params": {**FAST, "horizon_days": h}})
            assert r.status_code == 202
            ids[h] = r.json()["id"]

        threads = [threading.Thread(target=start, args=(h,)) for h in range(1, 21)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(ids) == 20 and len(set(ids.values())) == 20
        for h, rid in ids.items():
            r = wait(c, rid, timeout_s=300)
            assert r["status"] == "done", r
            assert c.get(f"/api/runs/{rid}/files/plan.json").json()["horizon_days"] == h
        assert len(c.get("/api/runs").json()) == 20
    store.close()


def test_openapi_documents_the_api(client):
    spec = client.get("/openapi.json").json()
    paths = set(spec["paths"])
    assert {
        "/api/uploads",
        "/api/runs",
        "/api/runs/{run_id}",
        "/api/runs/{run_id}/files/{name}",
        "/api/compare/{run_a}/{run_b}",
        "/api/uploads/{upload_id}/scenarios",
    } <= paths
    assert client.get("/docs").status_code == 200
    page = client.get("/").text
    assert "<script" in page and "http://" not in page and "https://" not in page  # offline: nothing fetched elsewhere


def test_schemathesis_no_server_errors(store_url, scenario_zip):
    """Property-based requests generated from the OpenAPI spec (bounded): never a 5xx."""
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error

    store = Store(*store_url)
    app = create_app(store, token="", allowed_hosts=["*"])  # schemathesis sends its own Host
    with TestClient(app, base_url=BASE) as c:  # something to find: an upload and a finished run
        uid = post_zip(c, scenario_zip).json()["id"]
        wait(c, c.post("/api/runs", json={"upload_id": uid, "scenario": "main", "params": FAST}).json()["id"])
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    ops = [r.ok() for r in schema.get_all_operations()]
    assert len(ops) >= 10
    for op in ops:

        @given(case=op.as_strategy())
        @settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate(checks=[not_a_server_error])

        check()
    app.state.jobs.shutdown(wait=True)
    store.close()


# ---- the page, in headless Chromium against a live server on loopback ------------------------------------------


@pytest.fixture
def live_server(tmp_path):
    import socket

    import uvicorn

    store = Store(*resolve_store(str(tmp_path / "store")))
    app = create_app(store, token="page-token")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    end = time.monotonic() + 20
    while not server.started and time.monotonic() < end:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    store.close()


def _page_flow(live_server: str, zpath: Path, scenario: str, expect: list[str], *, closures: str = "") -> None:
    """Through the page: token, upload, parameters, run, watch progress, open the report; no request leaves."""
    from test_report import CHROMIUM, CHROMIUM_ARGS, _need_browser, watched_page

    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        page, errors = watched_page(browser.new_context(locale="en-US"))
        offsite: list[str] = []
        page.on(
            "request",
            lambda r: None if r.url.startswith((live_server, "blob:", "data:", "about:")) else offsite.append(r.url),
        )
        page.goto(live_server + "/")
        page.wait_for_selector("#auth-section:not([hidden])")  # the server wants a token
        page.fill("#token", "page-token")
        page.click("#token-save")
        page.wait_for_function("document.documentElement.dataset.ready === '1'")
        page.set_input_files("#zip", str(zpath))
        page.click("#upload")
        page.wait_for_function("document.querySelector('#scenario').options.length > 0")
        page.select_option("#scenario", scenario)
        page.select_option("#profile", "unhcr-emergency")
        page.fill("#horizon", "10")
        page.uncheck("#layout")
        # the scenario's description and entry points come from the upload; the closure example uses a real id
        entry = page.evaluate("chosenScenario().entry_points[0].id")
        assert page.inner_text("#scenario-desc").endswith(
            page.evaluate(
                "'entry points: ' + chosenScenario().entry_points.map(e => e.id + (e.name ? ' (' + e.name + ')' : '')).join(', ')"
            )
        )
        assert f"{entry} 3-9" in page.inner_text("#closure-example")
        # closures are checked as they are typed: an unknown entry point or a day beyond the horizon stops the run
        page.fill("#closures", "XX 1-2")
        assert "no entry point 'XX'" in page.inner_text("#closures-check") and page.is_disabled("#run")
        page.fill("#closures", f"{entry} 12-13")
        assert "beyond the horizon (days 0 to 9)" in page.inner_text("#closures-check") and page.is_disabled("#run")
        page.fill("#closures", closures)
        assert page.is_enabled("#run") and "bad" not in page.get_attribute("#closures-check", "class")
        page.click("#run")
        page.wait_for_selector("tr[data-status='queued'], tr[data-status='running']")  # shown while it plans
        page.wait_for_selector("tr[data-status='done']", timeout=300_000)
        row = "tr[data-status='done']"
        assert re.search(r"took \d+ (s|min)", page.inner_text(f"{row} td.status-done"))
        # the verdict: the headline's words and counts, as on the report
        verdict = page.inner_text(f"{row} td.verdict")
        assert re.search(r"(holds · all [\d,]+ checks met|does not hold · fails [\d,]+ of [\d,]+ checks)", verdict)
        page.click(f"{row} button.report")
        page.wait_for_selector("#viewer-section:not([hidden])")
        frame = page.frame_locator("#viewer")
        frame.locator("html[data-ready='1']").wait_for(timeout=60_000)
        assert frame.locator(".leaflet-overlay-pane svg path").count() > 0  # the report's map drew the plan
        assert frame.locator("#headline").count() == 1
        head = frame.locator("#headline .hl-verdict").inner_text()
        assert ("fails" in head) == ("does not hold" in verdict)
        # the report's own links to the run's files work from the viewer (through the API, with the token)
        with page.expect_download() as got:
            frame.locator("a[href='tables/verdict.csv']").click()
        assert got.value.suggested_filename == "verdict.csv"
        text = page.inner_text("#runs")
        for e in expect:
            assert e in text, (e, text)
        browser.close()
    assert errors == [] and offsite == []


def test_page_uploads_runs_and_shows_report(live_server, tmp_path):
    zpath = tmp_path / "scenario.zip"
    zpath.write_bytes(zip_folder(write_scenario(tmp_path / "sc")))
    _page_flow(
        live_server,
        zpath,
        "main",
        ["10,000 displaced", "standards unhcr-emergency · 10 days · camp layouts not drawn", "KS at 50 % on days 1–2"],
        closures="KS 1-2 0.5",
    )


@pytest.mark.slow
def test_page_plans_the_rafah_example(live_server, tmp_path):
    from conftest import EXAMPLE

    zpath = tmp_path / "rafah-2024.zip"
    zpath.write_bytes(zip_folder(EXAMPLE, prefix="rafah-2024/"))
    _page_flow(live_server, zpath, "targeted", ["displaced", "unhcr-emergency"])


def test_a_shorter_horizon_ignores_packages_the_run_does_not_apply(client, tmp_path):
    """A package resource after the chosen horizon is an input error only for runs that use the package (the Rafah
    example's pier opens on day 11; a 10-day plan of it once failed on that)."""
    packages = {
        "late": {"tents": [{"count": 10, "from_day": 8}]},
        "later": {"extends": "late", "tents": [{"count": 5, "from_day": 1}]},
    }
    folder = write_scenario(tmp_path / "sc", config={"packages": packages})
    uid = post_zip(client, zip_folder(folder)).json()["id"]

    def go(**params):
        body = {"upload_id": uid, "scenario": "main", "params": {"layout": False, "horizon_days": 5, **params}}
        return wait(client, client.post("/api/runs", json=body).json()["id"])

    assert go()["status"] == "done"
    failed = go(package="later")  # applied: its base's tents on day 8 do not fit 5 days
    assert failed["status"] == "failed" and "packages.late.tents[0]" in failed["error"], failed
    assert "outside the horizon" in failed["error"]


def test_ensemble_runs_as_a_job(client, tmp_path):
    unc = {"parameters": {"trucks": {"target": "entry.trucks_per_day", "dist": "uniform", "low": 3, "high": 7}}}
    folder = write_scenario(tmp_path / "sc", config={"uncertainty": unc})
    c = client
    uid = post_zip(c, zip_folder(folder)).json()["id"]
    params = {"layout": False, "horizon_days": 5, "ensemble_runs": 3, "ensemble_seed": 7}
    run = wait(c, c.post("/api/runs", json={"upload_id": uid, "scenario": "main", "params": params}).json()["id"])
    assert run["status"] == "done", run
    names = {o["name"] for o in run["outputs"]}
    assert {"members.parquet", "summary.json", "ensemble.html", "plan.json", "report.html"} <= names
    summary = c.get(f"/api/runs/{run['id']}/files/summary.json").json()
    assert summary["ok"] == 3 and summary["seed"] == 7
    plan = c.get(f"/api/runs/{run['id']}/files/plan.json").json()
    assert any(r["p_met"] is not None for r in plan["verdict"])


def test_packages_and_assessment_as_jobs(client, tmp_path):
    packages = {"none": {}, "more": {"entry_capacity": [{"entry_point": "KS", "trucks_per_day": 50}]}}
    folder = write_scenario(
        tmp_path / "sc", config={"packages": packages, "horizon_days": 5, "layout": {"enabled": False}}
    )
    c = client
    uid = post_zip(c, zip_folder(folder)).json()["id"]
    one = wait(
        c, c.post("/api/runs", json={"upload_id": uid, "scenario": "main", "params": {"package": "more"}}).json()["id"]
    )
    assert one["status"] == "done", one
    assert one["summary"]["package"] == "more"
    assert c.get(f"/api/runs/{one['id']}/files/plan.json").json()["package"] == "more"
    both = wait(
        c, c.post("/api/runs", json={"upload_id": uid, "scenario": "main", "params": {"assess": True}}).json()["id"]
    )
    assert both["status"] == "done", both
    names = {o["name"] for o in both["outputs"]}
    assert {"assessment.json", "assessment.html", "pairs/none--main/plan.json", "pairs/more--main/plan.json"} <= names
    assert both["summary"]["pairs"] == 2
    data = c.get(f"/api/runs/{both['id']}/files/assessment.json").json()
    assert [p["package"] for p in data["pairs"]] == ["none", "more"]
    bad = c.post("/api/runs", json={"upload_id": uid, "scenario": "main", "params": {"package": "ghost"}})
    assert bad.status_code == 422 and "no package named 'ghost' in this upload" in bad.json()["detail"]
    assert bad.json()["problems"][0]["field"] == "body.params.package"
    # the choices the page offers: scenarios with descriptions and entry points, packages with descriptions
    cat = c.get(f"/api/uploads/{uid}/catalog").json()
    assert [p["name"] for p in cat["packages"]] == ["none", "more"]
    assert cat["scenarios"][0]["name"] == "main" and cat["scenarios"][0]["horizon_days"] == 5
    assert cat["scenarios"][0]["entry_points"] == [{"id": "KS", "name": "Kerem Shalom"}]
    assert both["summary"]["headline"] is None and both["summary"]["assessment"][0].endswith("pass every check.")
    assert one["summary"]["headline"]["failed"] == one["summary"]["indicators_not_met"]
    refused = c.post(
        "/api/runs", json={"upload_id": uid, "scenario": "main", "params": {"assess": True, "ensemble_runs": 3}}
    )
    assert refused.status_code == 422


def test_page_links_every_output_of_a_run(live_server, tmp_path):
    """Plan, assessment and ensemble runs: each page and file linked from the run list, the pages' own links
    followed through the API, comparisons listed; no console error."""
    import httpx
    from test_report import CHROMIUM, CHROMIUM_ARGS, _need_browser, watched_page

    _need_browser()
    from playwright.sync_api import sync_playwright

    unc = {"parameters": {"trucks": {"target": "entry.trucks_per_day", "dist": "uniform", "low": 3, "high": 7}}}
    packages = {
        "none": {"description": "nothing more"},
        "more": {
            "description": "50 more trucks a day",
            "entry_capacity": [{"entry_point": "KS", "trucks_per_day": 50}],
        },
    }
    folder = write_scenario(
        tmp_path / "sc",
        config={"packages": packages, "uncertainty": unc, "horizon_days": 5, "layout": {"enabled": False}},
    )
    auth = {"Authorization": "Bearer page-token"}
    with httpx.Client(base_url=live_server, headers=auth, timeout=60) as c:
        uid = c.post("/api/uploads", files={"file": ("sc.zip", zip_folder(folder), "application/zip")}).json()["id"]
        ids = {
            kind: c.post("/api/runs", json={"upload_id": uid, "scenario": "main", "params": p}).json()["id"]
            for kind, p in (
                ("plan", {}),
                ("more", {"package": "more"}),
                ("assess", {"assess": True}),
                ("ensemble", {"ensemble_runs": 3}),
            )
        }
        end = time.monotonic() + 180
        while time.monotonic() < end and any(
            c.get(f"/api/runs/{i}").json()["status"] in ("queued", "running") for i in ids.values()
        ):
            time.sleep(0.2)
        assert all(c.get(f"/api/runs/{i}").json()["status"] == "done" for i in ids.values())
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        page, errors = watched_page(browser.new_context(locale="en-US"))
        page.add_init_script("sessionStorage.setItem('reliefplan-token', 'page-token')")
        page.goto(live_server + "/")
        page.wait_for_function("document.documentElement.dataset.ready === '1'")
        # packages as a dropdown with their descriptions
        assert page.eval_on_selector_all("#package option", "os => os.map(o => o.textContent)") == [
            "none: the scenario alone",
            "none — nothing more",
            "more — 50 more trucks a day",
        ]

        def row(kind: str) -> str:
            return f"tr[data-run='{ids[kind]}']"

        assert page.inner_text(f"{row('more')} td.params") == "package more"
        assert page.inner_text(f"{row('assess')} td.params") == "every package tested"
        pages = {k: page.eval_on_selector_all(f"{row(k)} button.page", "bs => bs.map(b => b.textContent)") for k in ids}
        assert pages == {
            "plan": ["report"],
            "more": ["report"],
            "assess": ["assessment"],
            "ensemble": ["report", "ensemble"],
        }
        files = page.eval_on_selector_all(f"{row('assess')} button.file", "bs => bs.map(b => b.dataset.name)")
        assert {"assessment.json", "pairs/none--main/plan.json", "pairs/more--main/plan.json"} <= set(files)
        assert "2 package × scenario plans" in page.inner_text(f"{row('assess')} td.outputs")
        assert "pair(s) pass every check" in page.inner_text(f"{row('assess')} td.verdict")
        # the assessment page: its pair links download the pair's plan.json through the API
        page.click(f"{row('assess')} button.assessment")
        frame = page.frame_locator("#viewer")
        frame.locator("html[data-ready='1']").wait_for(timeout=30_000)
        assert frame.locator("#headline").count() == 1
        with page.expect_download() as got:
            frame.locator("a.pair-link[href='pairs/more--main/plan.json']").click()
        assert got.value.suggested_filename == "plan.json"
        # the ensemble page links the declared plan's report, which opens in the viewer
        page.click(f"{row('ensemble')} button.ensemble")
        frame.locator("#ensemble-headline").wait_for(timeout=30_000)
        frame.locator("a[href='report.html']").first.click()
        page.wait_for_function("document.querySelector('#viewer-title').textContent.startsWith('report')")
        frame.locator("#headline").wait_for(timeout=30_000)
        # two runs compared: the comparison is listed and shows both headlines
        page.check(f"{row('plan')} input[type=checkbox]")
        page.check(f"{row('more')} input[type=checkbox]")
        page.click("#compare")
        frame.locator("#headline-b").wait_for(timeout=60_000)
        assert page.inner_text("#comparisons") == "main vs main"
        browser.close()
    assert errors == []
