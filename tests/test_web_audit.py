"""The API's error bodies are as clear as the CLI's: every one {detail, problems}, each request problem its field."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient
from test_web import BASE, post_zip, scenario_zip  # noqa: F401  (the module-scoped zip fixture)

from reliefplan.store import Store, resolve_store
from reliefplan.web import create_app


@pytest.fixture
def client(tmp_path):
    store = Store(*resolve_store(str(tmp_path / "store")))
    with TestClient(create_app(store, token="", workers=1), base_url=BASE) as c:
        yield c
    store.close()


@pytest.mark.parametrize(("method", "path", "status"), [("get", "/api/nothing", 404), ("put", "/api/runs", 405)])
def test_routes_that_do_not_exist_answer_with_the_documented_body(client, method, path, status):
    """Was {"detail": "Not Found"} without 'problems' (Starlette's own answer, not the app's handler)."""
    res = getattr(client, method)(path)
    assert res.status_code == status
    assert set(res.json()) == {"detail", "problems"} and res.json()["problems"] == []


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"scenario": "nope"}, "body.scenario", "no scenario named 'nope'; expected one of ['main']"),
        ({"params": {"profile": "sphere-2030"}}, "body.params.profile", "no standards profile 'sphere-2030'"),
    ],
)
def test_an_unknown_scenario_or_profile_names_its_request_field(client, scenario_zip, body, field, words):  # noqa: F811
    """Was a 422 with problems [] (the field only in words), unlike a package or a closure."""
    uid = post_zip(client, scenario_zip).json()["id"]
    res = client.post("/api/runs", json={"upload_id": uid, "scenario": "main", **body})
    assert res.status_code == 422
    (p,) = res.json()["problems"]
    assert p["field"] == field and words in p["message"]


def test_a_closure_factor_above_1_is_refused_before_the_run(client, scenario_zip):  # noqa: F811
    """Was accepted up to 10 (the page said 'from 0 (closed) to 10') and then failed the run in the supply stage."""
    uid = post_zip(client, scenario_zip).json()["id"]
    closure = {"entry_point": "KS", "first_day": 1, "last_day": 2, "capacity_factor": 2}
    res = client.post("/api/runs", json={"upload_id": uid, "scenario": "main", "params": {"closures": [closure]}})
    assert res.status_code == 422
    assert [p["field"] for p in res.json()["problems"]] == ["body.params.closures.0.capacity_factor"]


def test_the_start_up_line_names_each_host_once():
    """Was 'answers to Host 127.0.0.1, localhost, ::1, 127.0.0.1' for the default --host."""
    from reliefplan.web import host_names

    names = host_names("127.0.0.1", ["localhost", "plans.example.org"], None)
    assert len(names) == len(set(names)) and "plans.example.org" in names
