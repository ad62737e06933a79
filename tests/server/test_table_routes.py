"""GET /api/v1/tables/{sha256} and /stats: a logged table paged, sorted and filtered."""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterator

import pytest

from heron.data_types import MemorySink, Table
from heron.server.app import create_app
from heron.settings import Settings
from tests.server.test_api import assert_error

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

IMAGE = {"_type": "image-file", "path": "media/images/a.png", "sha256": "cd" * 32, "size": 3}


def parquet(table: Table) -> bytes:
    sink = MemorySink()
    table.to_stub(sink, "t")
    (data,) = sink.files.values()
    return data


def upload(client: TestClient, data: bytes) -> str:
    sha = hashlib.sha256(data).hexdigest()
    assert client.put(f"/api/v1/blobs/{sha}", content=data).status_code == 201
    return sha


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def sha(client: TestClient) -> str:
    rows = [[i, f"item {i % 3}", i / 10, IMAGE if i % 2 else None] for i in range(30)]
    table = Table(columns=["id", "label", "score", "pic"], data=rows)
    table.add_data(30, None, float("nan"), None)
    return upload(client, parquet(table))


def test_pages_sort_and_filter(client: TestClient, sha: str) -> None:
    first = client.get(f"/api/v1/tables/{sha}").json()
    assert first["columns"] == ["id", "label", "score", "pic"]
    assert first["column_types"] == {
        "id": "number",
        "label": "string",
        "score": "number",
        "pic": "image-file",
    }
    assert (first["total"], first["nrows"], len(first["rows"])) == (31, 31, 31)
    assert first["rows"][1] == [1, "item 1", 0.1, IMAGE]
    assert first["rows"][30] == [30, None, {"$f": "nan"}, None]  # NaN survives as a tag

    params = {"sort": "score", "desc": "true", "offset": 1, "limit": 3}
    page = client.get(f"/api/v1/tables/{sha}", params=params).json()
    assert [row[0] for row in page["rows"]] == [28, 27, 26]

    params = {"filter": 'label == "item 1" and score > 1', "sort": "id", "limit": 2}
    page = client.get(f"/api/v1/tables/{sha}", params=params).json()
    assert [row[0] for row in page["rows"]] == [13, 16]
    assert (page["total"], page["nrows"]) == (6, 31)


def test_stats(client: TestClient, sha: str) -> None:
    body = client.get(f"/api/v1/tables/{sha}/stats", params={"filter": "id < 10"}).json()
    assert (body["total"], body["nrows"]) == (10, 31)
    assert body["stats"]["score"] == {
        "type": "number",
        "count": 10,
        "nulls": 0,
        "min": 0.0,
        "max": 0.9,
        "mean": pytest.approx(0.45),
    }
    assert body["stats"]["label"]["top"][0] == ["item 0", 4]
    assert body["stats"]["pic"] == {"type": "image-file", "count": 5, "nulls": 5}


def test_errors(client: TestClient, sha: str) -> None:
    url = f"/api/v1/tables/{sha}"
    assert_error(client.get(url, params={"filter": "score >"}), 400, "usage_error", "bad filter")
    assert_error(client.get(url, params={"filter": "nope == 1"}), 400, "usage_error", "'nope'")
    assert_error(client.get(url, params={"sort": "nope"}), 400, "usage_error")
    assert_error(client.get(url, params={"limit": 5000}), 400, "usage_error")
    assert_error(client.get(url, params={"offset": -1}), 400, "usage_error")
    assert_error(client.get(f"{url}/stats", params={"filter": "label > 1"}), 400, "usage_error")
    assert_error(client.get("/api/v1/tables/" + "0" * 64), 404, "not_found")
    assert_error(client.get("/api/v1/tables/xyz"), 400, "usage_error")
    not_parquet = upload(client, b"just some bytes")
    response = client.get(f"/api/v1/tables/{not_parquet}")
    assert_error(response, 400, "usage_error", "not a Parquet table")


def test_a_decoded_table_is_cached_per_app(client: TestClient, sha: str) -> None:
    client.get(f"/api/v1/tables/{sha}")
    cache = client.app.state.table_cache  # type: ignore[attr-defined]
    assert len(cache) == 1
    client.get(f"/api/v1/tables/{sha}/stats")
    assert len(cache) == 1
