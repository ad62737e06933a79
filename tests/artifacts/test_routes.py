"""The artifact endpoints' statuses, as a client without the SDK sees them."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import httpx


def test_statuses_of_the_artifact_endpoints(sdk_server: Any) -> None:
    entity = f"e{uuid.uuid4().hex[:12]}"
    base = f"{sdk_server.base_url}/api/v1"
    data = b"hello"
    sha256 = hashlib.sha256(data).hexdigest()
    with httpx.Client(base_url=base) as http:
        assert http.put(f"/blobs/{sha256}", content=data).status_code in (200, 201)
        body = {
            "name": "greeting",
            "type": "dataset",
            "manifest": [{"path": "hello.txt", "digest": sha256, "size": 5}],
        }
        url = f"/projects/{entity}/p/artifacts"
        first = http.post(url, json=body)
        assert first.status_code == 201 and first.json()["version"]["aliases"] == ["latest"]
        again = http.post(url, json=body)
        assert again.status_code == 200 and again.json()["created"] is False

        conflict = http.post(url, json={**body, "type": "model"})
        assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "conflict"
        missing = {**body, "manifest": [{"path": "x", "digest": "a" * 64}]}
        assert http.post(url, json=missing).status_code == 404
        escaping = {**body, "manifest": [{"path": "../x", "digest": sha256}]}
        assert http.post(url, json=escaping).json()["error"]["code"] == "invalid_name"

        alias = f"{url}/greeting/aliases"
        assert http.put(f"{alias}/v1", json={"version": 0}).status_code == 400
        assert http.put(f"{alias}/prod", json={"version": 0}).json()["aliases"] == [
            "latest",
            "prod",
        ]
        assert http.delete(f"{alias}/prod").status_code == 204
        assert http.delete(f"{alias}/prod").status_code == 404

        version = f"{url}/greeting/versions/v0"
        assert http.get(f"{version}/manifest").json()["entries"][0]["path"] == "hello.txt"
        assert http.get(f"{url}/greeting/versions/v5").status_code == 404
        lineage = http.get(f"{version}/lineage", params={"depth": 0})
        assert lineage.status_code == 400
