"""Fixtures for the data-type tests: the SDK's clients, and a helper that logs and reads back."""

from __future__ import annotations

from typing import Any

from heron.entities import RunKey
from heron.sdk.client import Client
from heron.settings import Settings
from tests.sdk.conftest import online, online_client, sdk_server  # noqa: F401 (fixtures)


def log_and_read(
    client: Client, settings: Settings, rows: list[dict[str, Any]]
) -> tuple[Any, list[dict[str, Any]]]:
    """Log ``rows`` in a fresh run, finish it, and return the store and the stored rows."""
    run = client.init(project="media")
    for row in rows:
        run.log(row)
    run.finish()
    store = client.store(settings)
    keys = sorted({key for row in rows for key in row})
    return store, store.read_history(RunKey(run.entity, run.project, run.id), keys=keys)
