"""The delivery log pages back by id (``before``), on every store: SQLite, PostgreSQL, HTTP."""

from __future__ import annotations

import pytest

from heron.artifacts.entities import ManifestEntry
from heron.errors import NotFoundError, UsageError
from heron.store.base import Store


def test_deliveries_page_back_by_id_and_new_ones_do_not_shift_a_page(
    store: Store, entity: str
) -> None:
    auto = store.create_automation(
        entity,
        "audit",
        {"event": "artifact_version_created"},
        {"kind": "report", "template": {"title": "${artifact_version}"}},
    )

    def log(k: int) -> None:
        content = b"model %d" % k
        entry = ManifestEntry("m.bin", store.blobs.put(content), len(content))
        store.log_artifact(entity, "p", "cnn", "model", [entry])

    for k in range(7):
        log(k)  # a report action stores its delivery at once
    newest = store.list_deliveries(entity, auto.id)
    assert len(newest) == 7 and [d.id for d in newest] == sorted(
        (d.id for d in newest), reverse=True
    )

    first = store.list_deliveries(entity, auto.id, limit=3)
    log(7)  # arrives between two page reads
    second = store.list_deliveries(entity, auto.id, limit=3, before=first[-1].id)
    third = store.list_deliveries(entity, auto.id, limit=3, before=second[-1].id)
    assert [d.id for d in first + second + third] == [d.id for d in newest]
    assert [d.event["version"] for d in third] == ["v0"]
    assert store.list_deliveries(entity, auto.id, before=third[-1].id) == []
    assert store.list_deliveries(entity, auto.id, limit=1)[0].event["version"] == "v7"


def test_a_bad_cursor_or_automation_is_refused(store: Store, entity: str) -> None:
    auto = store.create_automation(
        entity, "a", {"event": "version_linked"}, {"kind": "report", "template": {}}
    )
    with pytest.raises(NotFoundError):
        store.list_deliveries(entity, auto.id + 1000, before=5)
    with pytest.raises(UsageError, match="limit"):
        store.list_deliveries(entity, auto.id, limit=0, before=5)
