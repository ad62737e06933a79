"""The table query engine: pages, stable sorts, the filter language, stats and the cache."""

from __future__ import annotations

import math
import time
from typing import Any

import pytest

from heron.data_types import MemorySink, Table
from heron.errors import UsageError
from heron.store.tables import LoadedTable, TableCache, load_table, query_table, table_stats

IMAGE = {"_type": "image-file", "path": "media/images/a.png", "sha256": "ab" * 32, "size": 3}


def loaded(table: Table) -> LoadedTable:
    sink = MemorySink()
    table.to_stub(sink, "t")
    (data,) = sink.files.values()
    return load_table(data)


@pytest.fixture
def pets() -> LoadedTable:
    table = Table(
        columns=["id", "name", "score", "good", "meta", "pic", "val/loss"],
        data=[
            [0, "Cat", 0.5, True, {"a": 1}, IMAGE, 1.0],
            [1, "dog", None, False, None, None, 2.0],
            [2, "catfish", 0.9, True, [1, 2], IMAGE, 0.5],
            [3, "bird", 0.5, None, {"b": "cat"}, None, float("nan")],
            [4, "dog", 0.1, False, None, IMAGE, 3.0],
        ],
    )
    return loaded(table)


def ids(page: dict[str, Any]) -> list[int]:
    return [row[0] for row in page["rows"]]


def test_a_page_holds_columns_types_rows_and_counts(pets: LoadedTable) -> None:
    page = query_table(pets, offset=1, limit=2)
    assert page["columns"] == ["id", "name", "score", "good", "meta", "pic", "val/loss"]
    assert page["column_types"] == {
        "id": "number",
        "name": "string",
        "score": "number",
        "good": "bool",
        "meta": "json",
        "pic": "image-file",
        "val/loss": "number",
    }
    assert page["rows"] == [
        [1, "dog", None, False, None, None, 2.0],
        [2, "catfish", 0.9, True, [1, 2], IMAGE, 0.5],
    ]
    assert (page["total"], page["nrows"]) == (5, 5)
    assert query_table(pets, offset=5)["rows"] == []
    assert query_table(pets, limit=0)["rows"] == []
    assert query_table(pets, filter="  ")["total"] == 5  # an empty filter box keeps every row


def test_sorts_are_stable_with_missing_values_last(pets: LoadedTable) -> None:
    assert ids(query_table(pets, sort="score")) == [4, 0, 3, 2, 1]
    assert ids(query_table(pets, sort="score", desc=True)) == [2, 0, 3, 4, 1]
    assert ids(query_table(pets, sort="name")) == [0, 3, 2, 1, 4]
    assert ids(query_table(pets, sort="val/loss")) == [2, 0, 1, 4, 3]  # NaN after numbers
    assert ids(query_table(pets, sort="score", offset=1, limit=2)) == [0, 3]


def test_deep_pages_use_a_full_sort_with_the_same_order() -> None:
    n = 12_000  # past the top-k shortcut
    table = loaded(Table(columns=["id", "k"], data=[[i, (i * 7919) % 100] for i in range(n)]))
    near = query_table(table, sort="k", desc=True, offset=0, limit=300)
    far = query_table(table, sort="k", desc=True, offset=11_900, limit=100)
    expected = sorted(range(n), key=lambda i: (-((i * 7919) % 100), i))
    assert ids(near) == expected[:300]
    assert ids(far) == expected[11_900:]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("score > 0.4", [0, 2, 3]),
        ("score >= 0.5 and score < 0.9", [0, 3]),
        ("0.5 == score", [0, 3]),
        ("score = 0.5", [0, 3]),
        ("score != 0.5", [2, 4]),
        ("score == null", [1]),
        ("score != null", [0, 2, 3, 4]),
        ('name == "dog"', [1, 4]),
        ("name == 'Cat' or id >= 4", [0, 4]),
        ('name contains "CAT"', [0, 2]),
        ('meta contains "cat"', [3]),
        ('pic contains "image-file"', [0, 2, 4]),
        ("pic == null", [1, 3]),
        ('name in ["dog", "bird"]', [1, 3, 4]),
        ('name not in ["dog", "bird"]', [0, 2]),
        ("id in [0, 2.0, 9]", [0, 2]),
        ("score in [0.1, null]", [1, 4]),
        ("good", [0, 2]),
        ("not good", [1, 4]),
        ("good == false", [1, 4]),
        ("not (id < 2 or id > 3)", [2, 3]),
        ("`val/loss` > 1", [1, 4]),
        ("val/loss <= 1", [0, 2]),
        ("score < val/loss", [0, 4]),
        ("id > -1 and id < 1e1", [0, 1, 2, 3, 4]),
        ('name == "dog" and (good == false or score > 1) and not id == 1', [4]),
    ],
)
def test_filters(pets: LoadedTable, expression: str, expected: list[int]) -> None:
    page = query_table(pets, filter=expression)
    assert ids(page) == expected
    assert (page["total"], page["nrows"]) == (len(expected), 5)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("score >", "character 8 (the end): expected a column name or a value"),
        ('score > "a"', "'score' is a number column: compare it with a number"),
        ("nope == 1", "no column 'nope'"),
        ("name < 3", "'name' is a string column: compare it with a quoted string"),
        ("good > true", "'good' is a bool column: use == or !="),
        ('score contains "1"', "'score' is a number column"),
        ("meta == 1", "'meta' holds json values: filter it with 'contains' or '== null'"),
        ("(score > 1", "expected ')'"),
        ("score > 1 id", "expected 'and', 'or' or the end of the filter"),
        ("1 == 2", "compare a column with a value or another column"),
        ("name", "expected a comparison"),
        ("score < null", "only == and != compare with null"),
        ("id in [1, id]", "a list after 'in' holds values, not columns"),
        ("id in [1 2]", "expected ',' or ']'"),
        ("name == 'x' ; drop", "cannot read ';"),
        ("name == score", "cannot compare 'name' (string) with 'score' (number)"),
        ("__import__('os')", "no column '__import__'"),
    ],
)
def test_bad_filters_say_what_is_wrong(pets: LoadedTable, expression: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        query_table(pets, filter=expression)
    assert message in str(caught.value)


def test_bad_page_arguments(pets: LoadedTable) -> None:
    with pytest.raises(UsageError, match="cannot sort by 'nope'"):
        query_table(pets, sort="nope")
    with pytest.raises(UsageError, match="limit must be"):
        query_table(pets, limit=5000)
    with pytest.raises(UsageError, match="offset must be"):
        query_table(pets, offset=-1)
    with pytest.raises(UsageError, match="not a Parquet table"):
        load_table(b"not parquet at all")


def test_stats(pets: LoadedTable) -> None:
    result = table_stats(pets)
    stats = result["stats"]
    assert (result["total"], result["nrows"]) == (5, 5)
    assert stats["score"]["type"] == "number"
    assert (stats["score"]["count"], stats["score"]["nulls"]) == (4, 1)
    assert (stats["score"]["min"], stats["score"]["max"]) == (0.1, 0.9)
    assert stats["score"]["mean"] == pytest.approx(0.5)
    assert stats["val/loss"]["mean"] == pytest.approx(6.5 / 4)  # NaN left out
    assert stats["name"] == {
        "type": "string",
        "count": 5,
        "nulls": 0,
        "distinct": 4,
        "top": [["dog", 2], ["Cat", 1], ["bird", 1], ["catfish", 1]],
    }
    assert stats["good"]["top"] == [[False, 2], [True, 2]]
    assert stats["pic"] == {"type": "image-file", "count": 3, "nulls": 2}
    filtered = table_stats(pets, filter='name == "dog"')
    assert filtered["total"] == 2
    assert filtered["stats"]["score"] == {
        "type": "number",
        "count": 1,
        "nulls": 1,
        "min": 0.1,
        "max": 0.1,
        "mean": 0.1,
    }
    assert table_stats(pets, filter='name == "dog"') is filtered  # memoised per filter
    empty = table_stats(pets, filter="id > 100")["stats"]["score"]
    assert empty == {"type": "number", "count": 0, "nulls": 0}


def test_the_cache_keeps_recent_tables_within_its_byte_budget(pets: LoadedTable) -> None:
    size = pets.nbytes
    cache = TableCache(max_bytes=2 * size + size // 2)
    loads: list[str] = []

    def loader(name: str) -> Any:
        def load() -> LoadedTable:
            loads.append(name)
            return LoadedTable(pets.arrow, dict(pets.column_types))

        return load

    cache.get("a", loader("a"))
    cache.get("b", loader("b"))
    cache.get("a", loader("a"))  # a is now the most recent
    cache.get("c", loader("c"))  # over budget: b goes
    cache.get("a", loader("a"))
    cache.get("b", loader("b"))
    assert loads == ["a", "b", "c", "b"]
    assert len(cache) == 2
    tiny = TableCache(max_bytes=size - 1)
    tiny.get("a", loader("a"))
    assert len(tiny) == 0  # too big to keep, still served


@pytest.mark.slow
def test_a_million_rows_page_and_sort_quickly() -> None:
    import numpy as np
    import pandas as pd

    n = 1_000_000
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "i": np.arange(n),
            "x": rng.random(n),
            "s": [f"name{i % 9973}" for i in range(n)],
        }
    )
    table = loaded(Table(dataframe=frame))
    started = time.perf_counter()
    page = query_table(table, sort="x", desc=True, offset=50, limit=50)
    by_name = query_table(table, sort="s", filter="x > 0.25", limit=50)
    elapsed = time.perf_counter() - started
    top = np.sort(frame["x"].to_numpy())[::-1][50:100]
    assert [row[1] for row in page["rows"]] == top.tolist()
    assert by_name["rows"][0][2] == "name0" and by_name["total"] == int((frame["x"] > 0.25).sum())
    assert elapsed < 2.0, f"paging and sorting 1M rows took {elapsed:.2f}s (target: under 1 s)"
    assert not math.isnan(table_stats(table)["stats"]["x"]["mean"])
