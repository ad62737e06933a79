"""What only the server does: it records an API key (as a fingerprint) as the actor."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx

from heron.artifacts.entities import ManifestEntry
from heron.settings import Settings
from heron.store.http import HttpStore


def test_the_api_key_is_the_actor_and_never_stored(
    live_server: Any, entity: str, tmp_path: Path
) -> None:
    settings = Settings(dir=tmp_path, base_url=live_server.base_url, api_key="secret-key")
    store = HttpStore(settings)
    try:
        entry = ManifestEntry("m.pt", store.blobs.put(b"m"), 1)
        store.log_artifact(entity, "p", "cnn", "model", [entry])
        store.link_version(entity, "model", "m", entity, "p", "cnn", actor="e/p/run")
        store.set_collection_alias(entity, "model", "m", "staging", 0, actor="someone")
        actors = {c.actor for c in store.alias_history(entity, "model", "m")}
        fingerprint = hashlib.sha256(b"secret-key").hexdigest()[:12]
        assert actors == {f"api-key:{fingerprint}"}
    finally:
        store.close()
    url = f"{live_server.base_url}/api/v1/registries/{entity}/model/collections/m/alias-history"
    answer = httpx.get(url)
    assert answer.status_code == 200 and "secret-key" not in answer.text
    refused = httpx.put(
        url.replace("alias-history", "rules/production"),
        json={"metric": "acc", "op": "~", "value": 1},
    )
    assert refused.status_code == 400 and "op" in refused.json()["error"]["message"]
