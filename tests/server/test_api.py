"""The /api/v1 endpoints, in process (FastAPI's TestClient over a real SQLite store)."""

from __future__ import annotations

import hashlib
import math
import warnings
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from heron._version import __version__
from heron.records import decode_value, dumps_faithful
from heron.server.app import create_app
from heron.settings import Settings
from tests.server._support import history_record, run_record

with warnings.catch_warnings():
    # Starlette 1.x asks for the httpx2 fork in its TestClient; plain httpx works the same.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

RUN = "/api/v1/runs/me/proj/r1"


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def post_records(client: TestClient, records: list[dict[str, Any]], run: str = RUN) -> int:
    body = dumps_faithful({"stream": "s1", "records": records})
    response = client.post(f"{run}/records", content=body)
    assert response.status_code == 200, response.text
    return int(response.json()["watermark"])


def make_run(client: TestClient, run: str = RUN, steps: int = 5, **fields: Any) -> None:
    records = [run_record(1, **fields)]
    records += [history_record(i + 2, i, loss=1.0 / (i + 1), acc=i / 10) for i in range(steps)]
    assert post_records(client, records, run) == steps + 1


def assert_error(response: Any, status: int, code: str, match: str = "") -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    assert match in body["error"]["message"]


# ------------------------------------------------------------------ basics


def test_health(client: TestClient) -> None:
    response = client.get("/api/v1/health")
    assert response.json() == {"status": "ok", "version": __version__}


def test_front_page_is_the_dashboard_and_docs_stay_reachable(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "/static/js/pages/projects.js" in response.text
    assert "swagger" in client.get("/docs").text.lower()
    assert client.get("/static/vendor/uPlot.esm.js").status_code == 200
    # A page shell for a project or run; the reserved first segments stay the API's.
    make_run(client)
    entity, project, run_id = RUN.split("/")[-3:]
    assert f'data-project="{project}"' in client.get(f"/{entity}/{project}").text
    page = client.get(f"/{entity}/{project}/runs/{run_id}")
    assert f'data-run-id="{run_id}"' in page.text
    assert_error(client.get("/api/v1"), 404, "not_found")
    # Unknown projects and runs get a page a person can read, with a way back.
    missing = client.get(f"/{entity}/no-such-project")
    assert missing.status_code == 404
    assert "There is no project" in missing.text and 'href="/"' in missing.text
    missing = client.get(f"/{entity}/{project}/runs/nosuchrun")
    assert missing.status_code == 404 and "There is no run nosuchrun" in missing.text
    assert_error(client.get("/me/bad%20name"), 400, "invalid_name")


def test_openapi_documents_every_route(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = set(spec["paths"])
    assert {
        "/api/v1/health",
        "/api/v1/projects",
        "/api/v1/runs/{entity}/{project}",
        "/api/v1/runs/{entity}/{project}/{run_id}",
        "/api/v1/runs/{entity}/{project}/{run_id}/records",
        "/api/v1/runs/{entity}/{project}/{run_id}/watermark",
        "/api/v1/runs/{entity}/{project}/{run_id}/history",
        "/api/v1/runs/{entity}/{project}/{run_id}/history/keys",
        "/api/v1/runs/{entity}/{project}/{run_id}/history/sample",
        "/api/v1/runs/{entity}/{project}/{run_id}/series",
        "/api/v1/runs/{entity}/{project}/{run_id}/files",
        "/api/v1/runs/{entity}/{project}/{run_id}/files/{name}",
        "/api/v1/blobs/{sha256}",
    } <= paths
    assert set(spec["paths"]["/api/v1/blobs/{sha256}"]) == {"get", "put", "head"}
    records = spec["paths"]["/api/v1/runs/{entity}/{project}/{run_id}/records"]["post"]
    assert (
        "records" in records["requestBody"]["content"]["application/json"]["schema"]["properties"]
    )
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    # Invalid requests are answered 400 in the one error shape, and documented so.
    responses = spec["paths"]["/api/v1/runs/{entity}/{project}"]["get"]["responses"]
    assert "422" not in responses and "400" in responses
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_any_bearer_key_is_accepted_for_now(client: TestClient) -> None:
    headers = {"Authorization": "Bearer anything-at-all"}
    assert client.get("/api/v1/projects", headers=headers).status_code == 200
    assert client.get("/api/v1/projects").status_code == 200


# ------------------------------------------------------------------ runs


def test_records_create_a_run_and_answer_the_watermark(client: TestClient) -> None:
    make_run(client, steps=3, tags=["a"])
    run = client.get(RUN).json()
    assert run["run_id"] == "r1" and run["name"] == "first-run" and run["state"] == "running"
    assert run["tags"] == ["a"] and run["last_step"] == 2
    watermark = client.get(f"{RUN}/watermark", params={"stream": "s1"}).json()
    assert watermark == {"watermark": 4}
    assert client.get(f"{RUN}/watermark", params={"stream": "other"}).json() == {"watermark": 0}
    # Sending the same batch again changes nothing (apply is at-most-once per seq).
    assert post_records(client, [history_record(4, 2, loss=9.0)]) == 4
    rows = client.get(f"{RUN}/history", params={"keys": "loss"}).json()["rows"]
    assert [r["_step"] for r in rows] == [0, 1, 2] and rows[2]["loss"] == pytest.approx(1 / 3)
    # An empty batch is a heartbeat.
    assert post_records(client, []) == 4


def test_list_runs_filters_orders_pages_and_counts(client: TestClient) -> None:
    for i in range(5):
        records = [run_record(1, name=f"run-{i}"), {"seq": 2, "type": "config", "config": {"i": i}}]
        post_records(client, records, f"/api/v1/runs/me/proj/r{i}")
    page = client.get("/api/v1/runs/me/proj", params={"limit": 2, "order": "+config.i"}).json()
    assert page["total"] == 5
    assert [r["run_id"] for r in page["runs"]] == ["r0", "r1"]
    page = client.get(
        "/api/v1/runs/me/proj",
        params={
            "filters": orjson.dumps({"config.i": {"$gte": 3}}).decode(),
            "order": "-config.i",
            "offset": 1,
        },
    ).json()
    assert page["total"] == 2 and [r["run_id"] for r in page["runs"]] == ["r3"]
    counted = client.get("/api/v1/runs/me/proj", params={"limit": 0}).json()
    assert counted == {"runs": [], "total": 5}
    assert client.get("/api/v1/runs/me/nothing-here").json() == {"runs": [], "total": 0}
    projects = client.get("/api/v1/projects", params={"entity": "me"}).json()["projects"]
    assert [(p["name"], p["run_count"]) for p in projects] == [("proj", 5)]
    assert client.get("/api/v1/projects", params={"entity": "nobody"}).json() == {"projects": []}


def test_bad_filters_are_400(client: TestClient) -> None:
    make_run(client)
    bad = client.get("/api/v1/runs/me/proj", params={"filters": "{not json"})
    assert_error(bad, 400, "usage_error", "filters must be a JSON object")
    bad = client.get("/api/v1/runs/me/proj", params={"filters": "[1]"})
    assert_error(bad, 400, "usage_error", "not list")
    bad = client.get("/api/v1/runs/me/proj", params={"filters": '{"state": {"$bogus": 1}}'})
    assert_error(bad, 400, "usage_error", "$bogus")


def test_patch_and_delete_a_run(client: TestClient) -> None:
    make_run(client)
    patched = client.patch(
        RUN, json={"name": "renamed", "tags": ["x", "y"], "summary": {"best": {"$f": "inf"}}}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == "renamed" and patched.json()["tags"] == ["x", "y"]
    assert decode_value(client.get(RUN).json()["summary"])["best"] == math.inf
    assert_error(client.patch(RUN, json={"colour": "red"}), 400, "usage_error", "colour")
    assert client.delete(RUN).status_code == 204
    assert_error(client.get(RUN), 404, "not_found")
    assert_error(client.delete(RUN), 404, "not_found")


# ------------------------------------------------------------------ history


def test_history_keys_rows_samples_and_series(client: TestClient) -> None:
    make_run(client, steps=50)
    keys = client.get(f"{RUN}/history/keys").json()["keys"]
    by_name = {k["key"]: k for k in keys}
    assert by_name["loss"]["count"] == 50 and by_name["loss"]["max_step"] == 49
    rows = client.get(
        f"{RUN}/history", params={"keys": ["loss", "acc"], "min_step": 10, "max_step": 20}
    ).json()["rows"]
    assert [r["_step"] for r in rows] == list(range(10, 20))
    assert set(rows[0]) == {"_step", "loss", "acc"}
    limited = client.get(f"{RUN}/history", params={"limit": 7}).json()["rows"]
    assert len(limited) == 7
    sampled = client.get(f"{RUN}/history/sample", params={"samples": 10}).json()["rows"]
    assert len(sampled) <= 10 and sampled[0]["_step"] == 0 and sampled[-1]["_step"] == 49
    series = client.get(f"{RUN}/series", params={"key": "loss", "buckets": 5}).json()
    assert series["key"] == "loss" and series["sampled"] is True
    assert len(series["x"]) == 5 and sum(series["count"]) == 50 == series["total_points"]
    system = client.get(f"{RUN}/history/keys", params={"stream": "system"}).json()
    assert system == {"keys": []}


def test_series_bucket_limit_is_400(client: TestClient) -> None:
    make_run(client)
    response = client.get(f"{RUN}/series", params={"key": "loss", "buckets": 10_001})
    assert_error(response, 400, "usage_error", "query.buckets")
    assert_error(client.get(f"{RUN}/series"), 400, "usage_error", "query.key")


def test_non_finite_values_round_trip(client: TestClient) -> None:
    post_records(
        client,
        [
            run_record(1),
            history_record(2, 0, x=math.nan, y=math.inf, z=-math.inf, s="text"),
            history_record(3, 1, x=1.5),
        ],
    )
    response = client.get(f"{RUN}/history", params={"keys": ["x", "y", "z", "s"]})
    assert b'{"$f":"nan"}' in response.content and b'{"$f":"-inf"}' in response.content
    rows = decode_value(response.json()["rows"])
    assert math.isnan(rows[0]["x"]) and rows[0]["y"] == math.inf and rows[0]["z"] == -math.inf
    assert rows[0]["s"] == "text" and rows[1] == {"_step": 1, "x": 1.5}


# ------------------------------------------------------------------ files and blobs


def put_blob(client: TestClient, data: bytes) -> str:
    sha = hashlib.sha256(data).hexdigest()
    response = client.put(f"/api/v1/blobs/{sha}", content=data)
    assert response.status_code in (200, 201), response.text
    return sha


def test_files_list_lookup_and_download(client: TestClient) -> None:
    data = b"epoch 1: loss 0.3\n" * 1000
    sha = put_blob(client, data)
    file_record = {"seq": 2, "type": "file", "name": "logs/output.log", "sha256": sha}
    post_records(client, [run_record(1), {**file_record, "size": len(data)}])
    files = client.get(f"{RUN}/files").json()["files"]
    assert [(f["name"], f["sha256"], f["size"]) for f in files] == [
        ("logs/output.log", sha, len(data))
    ]
    one = client.get(f"{RUN}/files", params={"name": "logs/output.log"}).json()
    assert one["files"] == files
    assert_error(client.get(f"{RUN}/files", params={"name": "nope"}), 404, "not_found")
    download = client.get(f"{RUN}/files/logs/output.log")
    assert download.status_code == 200 and download.content == data
    assert download.headers["content-length"] == str(len(data))
    assert download.headers["x-heron-sha256"] == sha
    assert "output.log" in download.headers["content-disposition"]
    assert_error(client.get(f"{RUN}/files/logs/missing.log"), 404, "not_found")


def test_blob_put_get_head(client: TestClient) -> None:
    data = bytes(range(256)) * 4096  # 1 MiB, several chunks
    sha = hashlib.sha256(data).hexdigest()
    assert client.head(f"/api/v1/blobs/{sha}").status_code == 404
    first = client.put(f"/api/v1/blobs/{sha}", content=data)
    assert first.status_code == 201 and first.json() == {
        "sha256": sha,
        "size": len(data),
        "created": True,
    }
    again = client.put(f"/api/v1/blobs/{sha}", content=data)
    assert again.status_code == 200 and again.json()["created"] is False
    assert client.head(f"/api/v1/blobs/{sha}").status_code == 200
    got = client.get(f"/api/v1/blobs/{sha}")
    assert got.content == data and got.headers["etag"] == f'"{sha}"'
    assert "immutable" in got.headers["cache-control"]
    missing = "0" * 64
    assert_error(client.get(f"/api/v1/blobs/{missing}"), 404, "not_found")


def test_blob_whose_bytes_do_not_match_its_name_is_refused(
    client: TestClient, settings: Settings
) -> None:
    claimed = hashlib.sha256(b"what I claim").hexdigest()
    response = client.put(f"/api/v1/blobs/{claimed}", content=b"something else")
    assert_error(response, 400, "usage_error", "hash to")
    assert client.head(f"/api/v1/blobs/{claimed}").status_code == 404
    stored = list((settings.dir / "blobs").rglob("*"))
    assert not [p for p in stored if p.is_file()]


@pytest.mark.parametrize(
    "name",
    [
        "ABCDEF" + "0" * 58,  # uppercase
        "abc",  # too short
        "0" * 63 + "g",  # not hex
        "..%2F..%2Fheron.db",
        "%2E%2E",
    ],
)
def test_bad_blob_names_are_refused(client: TestClient, name: str) -> None:
    for method in ("GET", "PUT"):
        response = client.request(method, f"/api/v1/blobs/{name}", content=b"x")
        assert response.status_code in (400, 404), response.text
        assert response.json()["error"]["code"] in ("usage_error", "not_found")
        assert b"SQLite" not in response.content


# ------------------------------------------------------------------ errors


def test_error_shapes(client: TestClient) -> None:
    assert_error(client.get("/api/v1/runs/me/proj/nope"), 404, "not_found")
    assert_error(client.get("/api/v1/runs/me/proj/bad%20id"), 400, "invalid_name", "run id")
    assert_error(client.get("/api/v1/no/such/route"), 404, "not_found", "/docs")
    assert_error(client.get("/api/v1/runs/me/proj", params={"limit": -1}), 400, "usage_error")
    assert_error(client.delete("/api/v1/projects"), 405, "method_not_allowed")
    response = client.post(f"{RUN}/records", content=b"{not json")
    assert_error(response, 400, "usage_error", "not valid JSON")
    response = client.post(f"{RUN}/records", json={"records": []})
    assert_error(response, 400, "usage_error", '"stream"')
    response = client.post(f"{RUN}/records", json={"stream": "s", "records": [1, 2]})
    assert_error(response, 400, "usage_error", "JSON objects")
    # Records for a run that was never created: the store's NotFoundError, as a 404.
    response = client.post(
        f"{RUN}/records", json={"stream": "s", "records": [history_record(1, 0)]}
    )
    assert_error(response, 404, "not_found")
