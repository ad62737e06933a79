"""The weave objects and row tables part of the Store contract, on SQLite, PostgreSQL and HTTP."""

from __future__ import annotations

import math
import secrets
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from heron.errors import InvalidValueError, NotFoundError, UsageError
from heron.settings import Settings
from heron.store.base import OBJECT_FIELDS, Store, canonical_json, json_digest
from heron.store.http import HttpStore

PROJECT = "objects"


# ------------------------------------------------------------------ objects


def test_same_content_is_the_same_version_new_content_the_next(store: Store, entity: str) -> None:
    first = store.create_object(entity, PROJECT, "prompt", {"text": "hi", "n": 1})
    assert set(first) == set(OBJECT_FIELDS)
    assert first["version_index"] == 0 and first["is_latest"] and first["kind"] == "object"
    assert first["digest"] == json_digest(canonical_json({"n": 1, "text": "hi"}))
    # Key order does not matter: the digest is of canonical JSON.
    again = store.create_object(entity, PROJECT, "prompt", {"n": 1, "text": "hi"})
    assert again["digest"] == first["digest"] and again["version_index"] == 0
    second = store.create_object(entity, PROJECT, "prompt", {"text": "hello", "n": 1})
    assert second["version_index"] == 1 and second["is_latest"]
    # Publishing the old content again leaves it as v0 (not latest), adds nothing.
    old = store.create_object(entity, PROJECT, "prompt", {"text": "hi", "n": 1})
    assert old["version_index"] == 0 and not old["is_latest"]
    versions = store.list_object_versions(entity, PROJECT, "prompt")
    assert [v["version_index"] for v in versions] == [0, 1]
    assert [v["is_latest"] for v in versions] == [False, True]


def test_get_by_latest_index_and_digest(store: Store, entity: str) -> None:
    v0 = store.create_object(entity, PROJECT, "cfg", {"a": [1, 2.5, None, True]})
    v1 = store.create_object(entity, PROJECT, "cfg", {"a": "x"}, base_object_class="Config")
    assert store.get_object(entity, PROJECT, "cfg")["val"] == {"a": "x"}
    assert store.get_object(entity, PROJECT, "cfg", "latest")["base_object_class"] == "Config"
    assert store.get_object(entity, PROJECT, "cfg", "v0")["val"] == {"a": [1, 2.5, None, True]}
    got = store.get_object(entity, PROJECT, "cfg", v0["digest"])
    assert got["version_index"] == 0 and not got["is_latest"]
    assert store.get_object(entity, PROJECT, "cfg", "v1")["digest"] == v1["digest"]


def test_values_keep_nonfinite_floats(store: Store, entity: str) -> None:
    made = store.create_object(entity, PROJECT, "nums", {"x": math.nan, "y": -math.inf})
    got = store.get_object(entity, PROJECT, "nums")
    assert math.isnan(got["val"]["x"]) and got["val"]["y"] == -math.inf
    assert made["digest"] == got["digest"]


def test_ops_and_objects_version_apart(store: Store, entity: str) -> None:
    store.create_object(entity, PROJECT, "score", {"rows": 3})
    op = store.create_object(entity, PROJECT, "score", {"code": "def score(): ..."}, kind="op")
    assert op["version_index"] == 0 and op["kind"] == "op"
    assert store.get_object(entity, PROJECT, "score", kind="op")["val"]["code"].startswith("def")
    assert store.get_object(entity, PROJECT, "score")["val"] == {"rows": 3}
    everything = store.list_objects(entity, PROJECT)
    assert [(o["object_id"], o["kind"]) for o in everything] == [
        ("score", "object"),
        ("score", "op"),
    ]
    assert [o["kind"] for o in store.list_objects(entity, PROJECT, kind="op")] == ["op"]


def test_list_objects_filters_latest_and_classes(store: Store, entity: str) -> None:
    store.create_object(entity, PROJECT, "b-model", {"v": 1}, base_object_class="Model")
    store.create_object(entity, PROJECT, "b-model", {"v": 2}, base_object_class="Model")
    store.create_object(entity, PROJECT, "a-data", {"rows": "t"}, base_object_class="Dataset")
    latest = store.list_objects(entity, PROJECT)
    assert [(o["object_id"], o["version_index"]) for o in latest] == [("a-data", 0), ("b-model", 1)]
    assert all(o["is_latest"] for o in latest)
    every = store.list_objects(entity, PROJECT, latest_only=False)
    assert [(o["object_id"], o["version_index"]) for o in every] == [
        ("a-data", 0),
        ("b-model", 0),
        ("b-model", 1),
    ]
    models = store.list_objects(entity, PROJECT, base_object_classes=["Model"], latest_only=False)
    assert [o["val"]["v"] for o in models] == [1, 2]
    assert store.list_objects(entity, PROJECT, base_object_classes=[]) == []
    page = store.list_objects(entity, PROJECT, latest_only=False, limit=1, offset=1)
    assert [(o["object_id"], o["version_index"]) for o in page] == [("b-model", 0)]
    assert store.list_objects(entity, "no-such-project") == []


def test_delete_a_version(store: Store, entity: str) -> None:
    v0 = store.create_object(entity, PROJECT, "doc", {"v": 0})
    store.create_object(entity, PROJECT, "doc", {"v": 1})
    gone = store.delete_object_version(entity, PROJECT, "doc", "latest")
    assert gone["version_index"] == 1
    assert store.get_object(entity, PROJECT, "doc")["version_index"] == 0
    with pytest.raises(NotFoundError, match="deleted"):
        store.get_object(entity, PROJECT, "doc", "v1")
    assert [v["version_index"] for v in store.list_object_versions(entity, PROJECT, "doc")] == [0]
    with pytest.raises(NotFoundError):
        store.delete_object_version(entity, PROJECT, "doc", "v1")
    # New content never reuses a deleted index; the deleted content comes back as v1.
    assert store.create_object(entity, PROJECT, "doc", {"v": 2})["version_index"] == 2
    back = store.create_object(entity, PROJECT, "doc", {"v": 1})
    assert back["version_index"] == 1
    store.delete_object_version(entity, PROJECT, "doc", v0["digest"])
    store.delete_object_version(entity, PROJECT, "doc", "v1")
    store.delete_object_version(entity, PROJECT, "doc", "v2")
    with pytest.raises(NotFoundError, match="no object 'doc'"):
        store.get_object(entity, PROJECT, "doc")
    assert store.list_objects(entity, PROJECT) == []


def test_object_errors(store: Store, entity: str) -> None:
    store.create_object(entity, PROJECT, "thing", {"v": 0})
    with pytest.raises(NotFoundError, match="no object 'nope'"):
        store.get_object(entity, PROJECT, "nope")
    with pytest.raises(NotFoundError, match="no version v7"):
        store.get_object(entity, PROJECT, "thing", "v7")
    with pytest.raises(NotFoundError):
        store.get_object(entity, "no-such-project", "thing")
    with pytest.raises(UsageError, match="invalid version"):
        store.get_object(entity, PROJECT, "thing", "seven")
    with pytest.raises(UsageError, match="invalid object name"):
        store.create_object(entity, PROJECT, "has space", {})
    with pytest.raises(UsageError, match="invalid object name"):
        store.create_object(entity, PROJECT, "a/b:c", {})
    with pytest.raises(UsageError, match="kind must be"):
        store.create_object(entity, PROJECT, "thing", {}, kind="table")
    with pytest.raises(InvalidValueError, match="not JSON data"):
        store.create_object(entity, PROJECT, "thing", {1: "int key"})


def test_concurrent_writers_get_distinct_versions(store: Store, entity: str) -> None:
    results: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def publish(i: int) -> None:
        try:
            results.append(store.create_object(entity, PROJECT, "raced", {"i": i}))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=publish, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(r["version_index"] for r in results) == list(range(6))


# ------------------------------------------------------------------ tables


def rows_of(n: int, start: int = 0, pad: int = 0) -> list[dict[str, Any]]:
    return [{"id": i, "text": f"row {i}" + "x" * pad} for i in range(start, start + n)]


def test_table_round_trip_and_idempotence(store: Store, entity: str) -> None:
    tricky = {"s": 'tab\there\nnew \\ back "q" é 😀 \r', "\\N": None}
    rows = [*rows_of(2), tricky, {"nan": math.nan, "nested": {"list": [1, "two"]}}, "bare", 7]
    table = store.create_table(entity, PROJECT, rows)
    assert table["row_count"] == 6 and len(table["digest"]) == 64
    assert store.create_table(entity, PROJECT, rows)["digest"] == table["digest"]
    assert store.get_table(entity, PROJECT, table["digest"])["row_count"] == 6
    got = store.table_rows(entity, PROJECT, table["digest"])
    assert [r["index"] for r in got] == list(range(6))
    assert [r["val"] for r in got[:3]] == rows[:3]
    assert math.isnan(got[3]["val"]["nan"]) and got[3]["val"]["nested"] == {"list": [1, "two"]}
    assert got[4]["val"] == "bare" and got[5]["val"] == 7
    assert got[0]["digest"] == json_digest(canonical_json(rows[0]))
    page = store.table_rows(entity, PROJECT, table["digest"], offset=2, limit=2)
    assert [r["index"] for r in page] == [2, 3]
    assert store.table_rows(entity, PROJECT, table["digest"], offset=10) == []
    other = store.create_table(entity, PROJECT, list(reversed(rows)))
    assert other["digest"] != table["digest"]
    empty = store.create_table(entity, PROJECT, [])
    assert empty["row_count"] == 0 and store.table_rows(entity, PROJECT, empty["digest"]) == []


def test_table_with_base_appends(store: Store, entity: str) -> None:
    base = store.create_table(entity, PROJECT, rows_of(4))
    more = store.create_table(entity, PROJECT, rows_of(2, start=4), base=base["digest"])
    assert more["row_count"] == 6
    whole = store.create_table(entity, PROJECT, rows_of(6))
    assert whole["digest"] == more["digest"]  # same rows, same table, however made
    got = store.table_rows(entity, PROJECT, more["digest"])
    assert [r["val"]["id"] for r in got] == list(range(6))
    # The base is untouched.
    assert len(store.table_rows(entity, PROJECT, base["digest"])) == 4
    with pytest.raises(NotFoundError):
        store.create_table(entity, PROJECT, rows_of(1), base="0" * 64)


def test_staged_upload_in_parts(store: Store, entity: str) -> None:
    upload = secrets.token_hex(16)
    assert store.stage_table_rows(entity, PROJECT, upload, 3, rows_of(2, start=3)) == 2
    with pytest.raises(UsageError, match="holds 2 staged rows"):
        store.commit_table(entity, PROJECT, upload, 5)
    assert store.stage_table_rows(entity, PROJECT, upload, 0, rows_of(3)) == 5
    # A retried part replaces itself.
    assert store.stage_table_rows(entity, PROJECT, upload, 0, rows_of(3)) == 5
    table = store.commit_table(entity, PROJECT, upload, 5)
    assert table == store.get_table(entity, PROJECT, table["digest"])
    assert table["digest"] == store.create_table(entity, PROJECT, rows_of(5))["digest"]
    assert [r["val"]["id"] for r in store.table_rows(entity, PROJECT, table["digest"])] == list(
        range(5)
    )
    # An upload on top of a base; and one whose rows already form a table.
    again = secrets.token_hex(16)
    store.stage_table_rows(entity, PROJECT, again, 0, rows_of(2, start=5))
    longer = store.commit_table(entity, PROJECT, again, 2, base=table["digest"])
    assert longer["row_count"] == 7
    assert [r["val"]["id"] for r in store.table_rows(entity, PROJECT, longer["digest"])] == list(
        range(7)
    )
    dup = secrets.token_hex(16)
    store.stage_table_rows(entity, PROJECT, dup, 0, rows_of(5))
    assert store.commit_table(entity, PROJECT, dup, 5)["digest"] == table["digest"]
    with pytest.raises(UsageError, match="invalid upload id"):
        store.stage_table_rows(entity, PROJECT, "not-an-upload-id", 0, rows_of(1))


def test_table_errors(store: Store, entity: str) -> None:
    with pytest.raises(NotFoundError):
        store.get_table(entity, PROJECT, "a" * 64)
    with pytest.raises(NotFoundError):
        store.table_rows(entity, PROJECT, "a" * 64)
    with pytest.raises(UsageError, match="invalid table digest"):
        store.get_table(entity, PROJECT, "latest")
    with pytest.raises(InvalidValueError, match="table row 1"):
        store.create_table(entity, PROJECT, [{"ok": 1}, {2: "int key"}])
    with pytest.raises(UsageError, match="rows must be a list"):
        store.create_table(entity, PROJECT, "not rows")  # type: ignore[arg-type]


def test_hundred_thousand_rows_in_one_call(store: Store, entity: str) -> None:
    n = 100_000
    rows = rows_of(n, pad=150)  # ~20 MB of JSON: over HTTP this goes up in two parts
    started = time.perf_counter()
    table = store.create_table(entity, PROJECT, rows)
    took = time.perf_counter() - started
    assert table["row_count"] == n
    page = store.table_rows(entity, PROJECT, table["digest"], offset=54_321, limit=1000)
    assert [r["val"]["id"] for r in page] == list(range(54_321, 55_321))
    assert page[0]["val"] == rows[54_321]
    tail = store.table_rows(entity, PROJECT, table["digest"], offset=n - 5)
    assert [r["index"] for r in tail] == list(range(n - 5, n))
    print(f"{type(store).__name__}: 100,000 rows stored in {took:.2f}s")


def test_http_uploads_big_tables_in_parts(live_server: Any, tmp_path: Path, entity: str) -> None:
    store = HttpStore(Settings(dir=tmp_path / "client", base_url=live_server.base_url))
    store.table_part_bytes = 2000  # about 40 rows a request
    rows = rows_of(300, pad=10)
    table = store.create_table(entity, PROJECT, rows, base=None)
    assert table["row_count"] == 300
    assert [r["val"] for r in store.table_rows(entity, PROJECT, table["digest"])] == rows
    more = store.create_table(
        entity, PROJECT, rows_of(100, start=300, pad=10), base=table["digest"]
    )
    assert more["digest"] == store.create_table(entity, PROJECT, rows_of(400, pad=10))["digest"]
    store.close()


# ------------------------------------------------------------------ calls by ref


def test_calls_filter_by_input_and_output_refs(store: Store, entity: str) -> None:
    base = f"weave:///{entity}/{PROJECT}/object"
    model_v0, model_v1 = f"{base}/Model:{'0' * 64}", f"{base}/Model:{'1' * 64}"
    data = f"{base}/data:{'2' * 64}"

    def call(seq: int, inputs: dict[str, Any], output: Any) -> dict[str, Any]:
        return {
            "seq": seq,
            "type": "call",
            "id": f"c{seq}",
            "trace_id": f"t{seq}",
            "parent_id": None,
            "op_name": "Model.predict",
            "display_name": None,
            "inputs": inputs,
            "attributes": {},
            "started_at": float(seq),
            "output": output,
            "exception": None,
            "summary": {},
            "ended_at": seq + 0.5,
        }

    records = [
        call(1, {"self": model_v0, "x": 1}, "plain"),
        call(2, {"self": model_v1, "x": 2}, {"made": [data]}),
        call(3, {"config": {"nested": [model_v0]}}, data),
        call(4, {"x": f"{base}/Model2:{'0' * 64}", "y": model_v0 + "/attr/x"}, None),
        call(5, {"x": 5}, 7),
    ]
    store.apply_calls(entity, PROJECT, "refs", records)

    def ids(**filter: Any) -> list[str]:
        return [c["id"] for c in store.get_calls(entity, PROJECT, filter=filter)]

    assert ids(input_refs=[model_v0]) == ["c1", "c3"]
    assert ids(input_refs=[model_v0, model_v1]) == ["c1", "c2", "c3"]
    assert ids(input_refs=[f"{base}/Model:*"]) == ["c1", "c2", "c3", "c4"]  # c4: a path into v0
    assert ids(input_refs=[f"{base}/Model2:*"]) == ["c4"]
    assert ids(output_refs=[data]) == ["c2", "c3"]
    assert ids(input_refs=[model_v1], output_refs=[data]) == ["c2"]
    assert ids(input_refs=[data]) == []
    assert ids(input_refs=[]) == []
    assert store.count_calls(entity, PROJECT, filter={"input_refs": [model_v0]}) == 2
    with pytest.raises(UsageError, match="input_refs"):
        store.get_calls(entity, PROJECT, filter={"input_refs": model_v0})
