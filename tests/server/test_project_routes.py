"""The project-level routes of the dashboard: runs search/lite, columns, keys, groups,
many-run series, views and bulk changes (TestClient over a real SQLite store)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from heron.server.app import create_app
from heron.settings import Settings
from heron.store.base import MAX_VIEW_BYTES
from tests.server._support import history_record, run_record
from tests.server.test_api import assert_error, post_records

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

PROJECT = "/api/v1/projects/me/proj"
RUNS = "/api/v1/runs/me/proj"


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def make_run(client: TestClient, run_id: str, steps: int = 5, **fields: Any) -> None:
    config = fields.pop("config", None)
    summary = fields.pop("summary", None)
    records = [run_record(1, **fields)]
    if config is not None:
        records.append({"seq": 2, "type": "config", "config": config})
    if summary is not None:
        records.append({"seq": 3, "type": "summary", "summary": summary})
    records += [history_record(10 + i, i, loss=1.0 / (i + 1)) for i in range(steps)]
    post_records(client, records, f"{RUNS}/{run_id}")


def tags_of(client: TestClient) -> dict[str, list[str]]:
    runs = client.get(RUNS, params={"lite": "true", "limit": 100}).json()["runs"]
    return {r["run_id"]: r["tags"] for r in runs}


# ---------------------------------------------------------------------- runs list


def test_runs_search_and_lite(client: TestClient) -> None:
    make_run(client, "r1", name="resnet", tags=["a"], metadata={"python": "3.11"})
    make_run(client, "r2", name="bert", tags=["ResNet-like"])
    make_run(client, "r3", name="mlp")
    body = client.get(RUNS, params={"search": "RESNET", "order": "run_id"}).json()
    assert [r["run_id"] for r in body["runs"]] == ["r1", "r2"] and body["total"] == 2
    assert body["runs"][0]["metadata"] == {"python": "3.11"}
    lite = client.get(RUNS, params={"search": "resnet", "lite": "true", "limit": 0}).json()
    assert lite == {"runs": [], "total": 2}
    lite = client.get(RUNS, params={"lite": "true", "order": "-runtime"}).json()
    assert len(lite["runs"]) == 3 and all("metadata" not in r for r in lite["runs"])


# ---------------------------------------------------------------------- columns, keys, groups


def test_columns_and_keys(client: TestClient) -> None:
    make_run(client, "r1", config={"lr": 0.1, "opt": {"name": "adam"}}, summary={"acc": 1})
    make_run(client, "r2", steps=8, config={"_wandb": {}}, summary={"_step": 3, "loss": 2})
    assert client.get(f"{PROJECT}/columns").json() == {
        "config": ["lr", "opt.name"],
        "summary": ["acc", "loss"],
    }
    keys = {k["key"]: k for k in client.get(f"{PROJECT}/keys").json()["keys"]}
    assert list(keys) == ["_runtime", "_timestamp", "loss"]  # the x axes are keys too
    assert keys["loss"] == {
        "key": "loss",
        "count": 2,
        "min_step": 0,
        "max_step": 7,
        "numeric": True,
        "kind": None,
    }
    assert client.get(f"{PROJECT}/keys", params={"stream": "system"}).json() == {"keys": []}
    assert_error(client.get(f"{PROJECT}/keys", params={"stream": "x"}), 400, "usage_error")
    assert client.get("/api/v1/projects/me/none/columns").json() == {"config": [], "summary": []}
    assert_error(client.get("/api/v1/projects/me/b%20d/columns"), 400, "invalid_name")


def test_groups(client: TestClient) -> None:
    make_run(client, "r1", config={"opt": "adam"}, summary={"acc": 0.5})
    make_run(client, "r2", config={"opt": "adam"}, summary={"acc": 0.7})
    make_run(client, "r3", config={"opt": "sgd"}, summary={"acc": 0.1})
    params: dict[str, Any] = {"by": "config.opt", "metrics": ["summary.acc", "runtime"]}
    groups = client.get(f"{PROJECT}/groups", params=params).json()["groups"]
    assert [(g["value"], g["count"]) for g in groups] == [("adam", 2), ("sgd", 1)]
    assert groups[0]["aggregates"]["summary.acc"] == pytest.approx(
        {"min": 0.5, "max": 0.7, "mean": 0.6}
    )
    assert set(groups[0]["aggregates"]) == {"summary.acc", "runtime"}
    params = {"by": "config.opt", "filters": json.dumps({"summary.acc": {"$gt": 0.6}})}
    groups = client.get(f"{PROJECT}/groups", params=params).json()["groups"]
    assert groups == [{"value": "adam", "count": 1, "aggregates": {}}]
    params = {"by": "state", "search": "r3"}
    groups = client.get(f"{PROJECT}/groups", params=params).json()["groups"]
    assert groups == [{"value": "running", "count": 1, "aggregates": {}}]
    assert_error(client.get(f"{PROJECT}/groups", params={"by": "tags"}), 400, "usage_error")
    assert_error(client.get(f"{PROJECT}/groups"), 400, "usage_error", "by")
    bad = client.get(f"{PROJECT}/groups", params={"by": "state", "filters": "{nope"})
    assert_error(bad, 400, "usage_error", "filters")


# ---------------------------------------------------------------------- series


def test_series_of_many_runs(client: TestClient) -> None:
    make_run(client, "r1", steps=30)
    make_run(client, "r2", steps=3)
    body = {"runs": ["r2", "ghost", "r1"], "keys": ["loss", "nope"], "buckets": 10}
    found = client.post(f"{PROJECT}/series", json=body).json()["series"]
    assert [(s["run_id"], s["key"], s["total_points"]) for s in found] == [
        ("r2", "loss", 3),
        ("r1", "loss", 30),
    ]
    single = client.get(f"{RUNS}/r1/series", params={"key": "loss", "buckets": 10}).json()
    assert found[1] == {"run_id": "r1", **single}
    zoom = {"runs": ["r1"], "keys": ["loss"], "min_x": 5, "max_x": 9, "x_axis": "_step"}
    assert client.post(f"{PROJECT}/series", json=zoom).json()["series"][0]["x"] == [
        5.0,
        6.0,
        7.0,
        8.0,
        9.0,
    ]


def test_series_request_limits(client: TestClient) -> None:
    too_many = {"runs": [f"r{i}" for i in range(501)], "keys": ["loss"]}
    assert_error(client.post(f"{PROJECT}/series", json=too_many), 400, "usage_error", "runs")
    too_many = {"runs": ["r1"], "keys": [f"k{i}" for i in range(65)]}
    assert_error(client.post(f"{PROJECT}/series", json=too_many), 400, "usage_error", "keys")
    bad = {"runs": ["r1"], "keys": ["loss"], "buckets": 0}
    assert_error(client.post(f"{PROJECT}/series", json=bad), 400, "usage_error", "buckets")
    bad = {"runs": ["r1"], "keys": ["loss"], "extra": 1}
    assert_error(client.post(f"{PROJECT}/series", json=bad), 400, "usage_error")


# ---------------------------------------------------------------------- views


def test_views(client: TestClient) -> None:
    make_run(client, "r1")
    url = f"{PROJECT}/views/runset"
    assert client.get(url).json() == {"name": "runset", "spec": None, "updated_at": None}
    spec = {"filters": {"state": "finished"}, "search": "", "selected": ["r1"], "hidden": []}
    saved = client.put(url, json={"spec": spec})
    assert saved.status_code == 200, saved.text
    assert saved.json()["spec"] == spec and saved.json()["name"] == "runset"
    assert client.get(url).json() == saved.json()
    assert_error(client.put(url, json={"spec": [1]}), 400, "invalid_value", "JSON object")
    assert_error(client.put(url, json={}), 400, "usage_error", "spec")
    just_over = {"spec": {"x": "y" * MAX_VIEW_BYTES}}
    assert_error(client.put(url, json=just_over), 400, "invalid_value", "limit")
    huge = {"spec": {"x": "y" * (MAX_VIEW_BYTES + 4096)}}  # refused before it is read
    assert_error(client.put(url, json=huge), 400, "usage_error", "at most")
    missing = client.put("/api/v1/projects/me/none/views/runset", json={"spec": {}})
    assert_error(missing, 404, "not_found", "me/none")
    assert_error(client.put(f"{PROJECT}/views/bad%20name", json={"spec": {}}), 400, "invalid_name")
    assert client.get(url).json()["spec"] == spec


# ---------------------------------------------------------------------- bulk


def test_bulk_tags(client: TestClient) -> None:
    make_run(client, "r1", tags=["keep", "old"])
    make_run(client, "r2", tags=["new"])
    make_run(client, "r3", tags=["old"])
    body = {"run_ids": ["r1", "r2"], "add_tags": ["new"], "remove_tags": ["old"]}
    response = client.post(f"{PROJECT}/runs/bulk", json=body)
    assert response.json() == {"updated": 1, "deleted": 0}  # r2 had "new" and no "old"
    assert tags_of(client) == {"r1": ["keep", "new"], "r2": ["new"], "r3": ["old"]}


def test_bulk_with_unknown_runs_changes_nothing(client: TestClient) -> None:
    make_run(client, "r1", tags=["a"])
    body = {"run_ids": ["r1", "ghost", "phantom"], "add_tags": ["b"]}
    response = client.post(f"{PROJECT}/runs/bulk", json=body)
    assert_error(response, 404, "not_found", "ghost, phantom")
    assert "nothing was changed" in response.json()["error"]["message"]
    body = {"run_ids": ["r1", "ghost"], "delete": True}
    assert_error(client.post(f"{PROJECT}/runs/bulk", json=body), 404, "not_found", "ghost")
    assert tags_of(client) == {"r1": ["a"]}


def test_bulk_delete(client: TestClient) -> None:
    for run_id in ("r1", "r2", "r3"):
        make_run(client, run_id)
    body = {"run_ids": ["r1", "r3", "r1"], "delete": True}
    assert client.post(f"{PROJECT}/runs/bulk", json=body).json() == {"updated": 0, "deleted": 2}
    assert list(tags_of(client)) == ["r2"]
    assert_error(client.get(f"{RUNS}/r1"), 404, "not_found")


def test_bulk_refuses_mixed_or_bad_requests(client: TestClient) -> None:
    make_run(client, "r1")
    url = f"{PROJECT}/runs/bulk"
    mixed = {"run_ids": ["r1"], "delete": True, "add_tags": ["x"]}
    assert_error(client.post(url, json=mixed), 400, "usage_error", "delete")
    both = {"run_ids": ["r1"], "add_tags": ["x"], "remove_tags": ["x"]}
    assert_error(client.post(url, json=both), 400, "usage_error", "both")
    assert_error(client.post(url, json={"run_ids": []}), 400, "usage_error", "run_ids")
    assert_error(client.post(url, json={"run_ids": ["bad id"]}), 400, "invalid_name")
    assert tags_of(client) == {"r1": []}


# ---------------------------------------------------------------------- openapi


def test_openapi_documents_the_project_routes(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    expected = {
        "/api/v1/projects/{entity}/{project}/columns": "get",
        "/api/v1/projects/{entity}/{project}/keys": "get",
        "/api/v1/projects/{entity}/{project}/groups": "get",
        "/api/v1/projects/{entity}/{project}/series": "post",
        "/api/v1/projects/{entity}/{project}/views/{name}": "put",
        "/api/v1/projects/{entity}/{project}/runs/bulk": "post",
    }
    for path, method in expected.items():
        operation = paths[path][method]
        ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert "$ref" in ok, path
        assert "404" in operation["responses"]
    schemas = spec["components"]["schemas"]
    assert {"run_id", "x", "mean"} <= set(schemas["RunSeriesOut"]["properties"])
    assert set(schemas["ViewOut"]["properties"]) == {"name", "spec", "updated_at"}
    assert "search" in {
        p["name"] for p in paths["/api/v1/runs/{entity}/{project}"]["get"]["parameters"]
    }
