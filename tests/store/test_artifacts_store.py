"""The artifact part of the Store contract, on SQLite, PostgreSQL and a real server."""

from __future__ import annotations

import pytest

from heron.artifacts.entities import ManifestEntry, manifest_digest
from heron.entities import RunKey
from heron.errors import ConflictError, InvalidNameError, NotFoundError, UsageError
from heron.store.base import Store


def _files(store: Store, **contents: bytes) -> list[ManifestEntry]:
    """Put each content as a blob; manifest entries named by the keyword."""
    return [
        ManifestEntry(path.replace("__", "/"), store.blobs.put(data), len(data))
        for path, data in contents.items()
    ]


def test_versions_follow_content(store: Store, entity: str) -> None:
    first = _files(store, a=b"one", b=b"two")
    logged = store.log_artifact(entity, "p", "data", "dataset", first, metadata={"rows": 2})
    assert logged.created and logged.version.version == 0
    v0 = logged.version
    assert v0.digest == manifest_digest(first)
    assert (v0.size, v0.file_count, v0.aliases, v0.metadata) == (6, 2, ["latest"], {"rows": 2})

    again = store.log_artifact(entity, "p", "data", "dataset", list(reversed(first)))
    assert not again.created and again.version.version == 0

    changed = _files(store, a=b"one", b=b"TWO")
    v1 = store.log_artifact(entity, "p", "data", "dataset", changed, aliases=["best"]).version
    assert v1.version == 1 and v1.aliases == ["best", "latest"]
    assert store.get_artifact_version(entity, "p", "data").version == 1
    assert store.get_artifact_version(entity, "p", "data", "v0").aliases == []
    assert [v.version for v in store.list_artifact_versions(entity, "p", "data")] == [0, 1]
    assert store.get_manifest(entity, "p", "data", "v0") == sorted(first, key=lambda e: e.path)

    [info] = store.list_artifacts(entity, "p")
    assert (info.name, info.type, info.version_count, info.latest) == ("data", "dataset", 2, 1)
    assert [(t.name, t.artifact_count) for t in store.list_artifact_types(entity, "p")] == [
        ("dataset", 1)
    ]
    assert store.list_artifacts(entity, "p", type="model") == []
    assert store.list_artifacts(entity, "nothing-here") == []


def test_aliases_name_one_version(store: Store, entity: str) -> None:
    for content in (b"1", b"2", b"3"):
        store.log_artifact(entity, "p", "m", "model", _files(store, w=content))
    assert store.set_alias(entity, "p", "m", "prod", 0).aliases == ["prod"]
    moved = store.set_alias(entity, "p", "m", "prod", 2)
    assert moved.aliases == ["latest", "prod"]
    assert store.get_artifact_version(entity, "p", "m", "v0").aliases == []
    assert store.get_artifact_version(entity, "p", "m", "prod").version == 2
    store.remove_alias(entity, "p", "m", "prod")
    with pytest.raises(NotFoundError, match="no version 'prod'"):
        store.get_artifact_version(entity, "p", "m", "prod")
    with pytest.raises(NotFoundError, match="no alias"):
        store.remove_alias(entity, "p", "m", "prod")
    with pytest.raises(InvalidNameError, match="collides with version names"):
        store.set_alias(entity, "p", "m", "v1", 0)
    with pytest.raises(UsageError, match="latest"):
        store.set_alias(entity, "p", "m", "latest", 0)
    with pytest.raises(NotFoundError, match="no version 'v9'"):
        store.set_alias(entity, "p", "m", "prod", 9)


def test_bad_input_is_refused(store: Store, entity: str) -> None:
    good = _files(store, a=b"x")
    with pytest.raises(InvalidNameError, match="escape"):
        store.log_artifact(entity, "p", "d", "dataset", [ManifestEntry("../etc/passwd", "0" * 64)])
    with pytest.raises(InvalidNameError, match="artifact name"):
        store.log_artifact(entity, "p", "bad name!", "dataset", good)
    with pytest.raises(NotFoundError, match="not in the blob store"):
        store.log_artifact(entity, "p", "d", "dataset", [ManifestEntry("a", "f" * 64, 1)])
    store.log_artifact(entity, "p", "d", "dataset", good)
    with pytest.raises(ConflictError, match="of type 'dataset'"):
        store.log_artifact(entity, "p", "d", "model", good)
    with pytest.raises(NotFoundError, match="not found"):
        store.get_artifact_version(entity, "p", "nope")


def test_references_are_versioned_by_checksum(store: Store, entity: str) -> None:
    ref = [ManifestEntry("x.csv", "etag:abc", None, "https://example.com/x.csv")]
    v0 = store.log_artifact(entity, "p", "r", "dataset", ref).version
    assert store.get_manifest(entity, "p", "r") == ref
    changed = [ManifestEntry("x.csv", "etag:def", None, "https://example.com/x.csv")]
    assert store.log_artifact(entity, "p", "r", "dataset", changed).version.version == 1
    assert v0.version == 0


def test_lineage_edges_and_graph(store: Store, entity: str) -> None:
    producer, trainer, evaluator = (RunKey(entity, "p", r) for r in ("prep", "train", "eval"))
    data = store.log_artifact(
        entity, "p", "data", "dataset", _files(store, d=b"d"), run=producer
    ).version
    assert data.created_by == f"{entity}/p/prep"
    store.use_artifact(trainer, entity, "p", "data", "latest")
    store.use_artifact(trainer, entity, "p", "data", "v0")  # once per pair
    model = store.log_artifact(entity, "p", "model", "model", _files(store, w=b"w"), run=trainer)
    store.use_artifact(evaluator, entity, "p", "model", "v0")

    edges = store.artifact_edges(entity, "p", "data", "v0")
    assert [(e.run, e.kind) for e in edges] == [(producer.path, "logged"), (trainer.path, "used")]
    assert [v.name for v in store.run_artifacts(trainer, "used")] == ["data"]
    assert [v.name for v in store.run_artifacts(trainer, "logged")] == ["model"]
    assert store.run_artifacts(RunKey(entity, "p", "nobody"), "used") == []

    down = store.artifact_lineage(entity, "p", "data", "v0", direction="downstream")
    assert {a.name for a in down.artifacts} == {"data", "model"}
    assert set(down.runs) == {trainer.path, evaluator.path}
    up = store.artifact_lineage(entity, "p", "model", "v0", direction="upstream")
    assert set(up.runs) == {trainer.path, producer.path}
    near = store.artifact_lineage(entity, "p", "model", "v0", depth=1)
    assert set(near.runs) == {trainer.path, evaluator.path}
    assert [a.name for a in near.artifacts] == ["model"]
    assert model.version.qualified_name == f"{entity}/p/model:v0"
    with pytest.raises(UsageError, match="depth"):
        store.artifact_lineage(entity, "p", "model", "v0", depth=0)
