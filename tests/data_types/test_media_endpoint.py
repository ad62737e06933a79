"""GET /api/v1/media/{sha256}.{ext}: the bytes with the right type, cacheable, seekable, safe."""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterator

import pytest

from heron.server.app import create_app
from heron.server.routes.media import CONTENT_TYPES
from heron.settings import Settings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

DATA = bytes(range(256)) * 8


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        sha = hashlib.sha256(DATA).hexdigest()
        assert client.put(f"/api/v1/blobs/{sha}", content=DATA).status_code == 201
        yield client


SHA = hashlib.sha256(DATA).hexdigest()


@pytest.mark.parametrize(
    ("ext", "content_type"),
    [
        ("png", "image/png"),
        ("jpg", "image/jpeg"),
        ("jpeg", "image/jpeg"),
        ("gif", "image/gif"),
        ("wav", "audio/wav"),
        ("mp3", "audio/mpeg"),
        ("ogg", "audio/ogg"),
        ("flac", "audio/flac"),
        ("mp4", "video/mp4"),
        ("webm", "video/webm"),
        ("json", "application/json"),
        ("obj", "text/plain; charset=utf-8"),
        ("gltf", "model/gltf+json"),
        ("glb", "model/gltf-binary"),
        ("html", "text/plain; charset=utf-8"),
        ("txt", "text/plain; charset=utf-8"),  # a weave call's long text, stored as a blob
        ("bin", "application/octet-stream"),  # a weave call's bytes
    ],
)
def test_each_extension_gets_its_content_type(
    client: TestClient, ext: str, content_type: str
) -> None:
    response = client.get(f"/api/v1/media/{SHA}.{ext}")
    assert response.status_code == 200 and response.content == DATA
    assert response.headers["content-type"] == content_type
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["etag"] == f'"{SHA}"'
    assert response.headers["content-length"] == str(len(DATA))


def test_every_served_extension_is_tested() -> None:
    assert len(CONTENT_TYPES) == 17


def test_ranges_and_revalidation(client: TestClient) -> None:
    url = f"/api/v1/media/{SHA}.mp4"
    part = client.get(url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == DATA[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(DATA)}"
    assert part.headers["content-type"] == "video/mp4"
    tail = client.get(url, headers={"Range": "bytes=-5"})
    assert tail.status_code == 206 and tail.content == DATA[-5:]
    rest = client.get(url, headers={"Range": f"bytes={len(DATA) - 3}-"})
    assert rest.content == DATA[-3:]
    clipped = client.get(url, headers={"Range": "bytes=2040-99999"})
    assert clipped.content == DATA[2040:] and clipped.headers["content-length"] == "8"
    outside = client.get(url, headers={"Range": f"bytes={len(DATA)}-"})
    assert outside.status_code == 416
    assert outside.headers["content-range"] == f"bytes */{len(DATA)}"
    cached = client.get(url, headers={"If-None-Match": f'"{SHA}"'})
    assert cached.status_code == 304 and cached.content == b""


def test_bad_requests_are_clear_errors(client: TestClient) -> None:
    unknown = client.get(f"/api/v1/media/{SHA}.exe")
    assert unknown.status_code == 400
    assert unknown.json()["error"]["code"] == "usage_error"
    message = unknown.json()["error"]["message"]
    assert "unknown media extension 'exe'; use one of bin, flac, gif" in message
    bad = client.get("/api/v1/media/ABC.png")
    assert bad.status_code == 400 and "64 lowercase hex" in bad.json()["error"]["message"]
    missing = client.get(f"/api/v1/media/{'0' * 64}.png")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
