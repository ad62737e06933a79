"""weave.Dataset: rows as a stored table, paged reads, pandas, add_rows; embedded and server."""

from __future__ import annotations

import datetime
import math
from typing import Any

import pandas as pd
import pytest
from pydantic import ValidationError

from heron import weave
from heron.errors import UsageError
from heron.weave.client import WeaveClient


def test_rows_len_iteration_indexing_in_memory() -> None:
    ds = weave.Dataset(name="qa", rows=({"q": f"{i}+1?", "a": i + 1} for i in range(5)))
    assert len(ds) == 5 and ds[0] == {"q": "0+1?", "a": 1} and ds[-1]["a"] == 5
    assert [row["a"] for row in ds] == [1, 2, 3, 4, 5]
    assert ds.rows[1:3] == [{"q": "1+1?", "a": 2}, {"q": "2+1?", "a": 3}]
    with pytest.raises(IndexError):
        ds[5]
    with pytest.raises(ValidationError, match="row 1 must be a non-empty dict"):
        weave.Dataset(name="bad", rows=[{"a": 1}, "not a dict"])
    with pytest.raises(ValidationError, match="at least one row"):
        weave.Dataset(name="empty", rows=[])
    with pytest.raises(ValidationError, match="iterable of dicts"):
        weave.Dataset(name="bad", rows={"a": 1})


def test_publish_and_read_back_lazily(client: WeaveClient) -> None:
    rows = [{"id": i, "text": f"row {i}", "tags": ["x"] * (i % 3)} for i in range(2500)]
    ref = weave.publish(weave.Dataset(name="corpus", rows=rows))
    again = weave.publish(weave.Dataset(name="corpus", rows=list(rows)))
    assert again.digest == ref.digest  # same rows, same version
    stored = client.store().get_object(client.entity, client.project, "corpus")
    assert stored["base_object_class"] == "Dataset"
    table_uri = stored["val"]["rows"]
    assert table_uri.startswith(f"weave:///{client.entity}/{client.project}/table/")
    got = weave.ref("corpus").get()
    assert isinstance(got, weave.Dataset) and got.ref.digest == ref.digest
    assert got.rows.ref is not None and got.rows.ref.uri() == table_uri
    assert len(got) == 2500
    assert got[1234] == rows[1234] and got[-1] == rows[-1]
    assert got.rows[998:1003] == rows[998:1003]
    assert list(got) == rows
    changed = weave.publish(weave.Dataset(name="corpus", rows=rows[:-1]))
    assert changed.digest != ref.digest
    assert len(weave.ref("corpus:v1").get()) == 2499 and len(weave.ref("corpus:v0").get()) == 2500
    # Publishing a dataset read back stores nothing new: the table is already there.
    assert weave.publish(got).digest == ref.digest


def test_hundred_thousand_rows_publish_and_page(client: WeaveClient) -> None:
    n = 100_000
    rows = [{"id": i, "question": f"what is {i} squared?", "answer": i * i} for i in range(n)]
    ref = weave.publish(weave.Dataset(name="big", rows=rows))
    got = ref.get()
    assert len(got) == n
    assert got[0] == rows[0] and got[54_321] == rows[54_321] and got[n - 1] == rows[n - 1]
    assert got.rows[70_000:70_010] == rows[70_000:70_010]
    count = 0
    for i, row in enumerate(got):
        if i % 9_973 == 0:
            assert row == rows[i]
        count += 1
    assert count == n


def test_add_rows_makes_a_new_version(client: WeaveClient) -> None:
    first = weave.Dataset(name="grow", rows=[{"n": 1}, {"n": 2}])
    weave.publish(first)
    read = weave.ref("grow").get()
    bigger = read.add_rows([{"n": 3}, {"n": 4}])
    assert [r["n"] for r in bigger] == [1, 2, 3, 4]
    assert [r["n"] for r in weave.ref("grow").get()] == [1, 2, 3, 4]
    assert [r["n"] for r in weave.ref("grow:v0").get()] == [1, 2]
    assert [r["n"] for r in read] == [1, 2]  # the version read is unchanged
    # Appending to a dataset never published publishes it first.
    fresh = weave.Dataset(name="fresh", rows=[{"n": 0}]).add_rows([{"n": 1}])
    assert [r["n"] for r in weave.ref("fresh").get()] == [0, 1] and len(fresh) == 2
    versions = client.store().list_object_versions(client.entity, client.project, "fresh")
    assert [v["version_index"] for v in versions] == [0, 1]
    with pytest.raises(UsageError, match="row 2 must be a non-empty dict"):
        read.add_rows(["nope"])


def test_pandas_round_trip(client: WeaveClient) -> None:
    df = pd.DataFrame(
        {
            "text": ["a", "b", "c"],
            "score": [0.5, math.nan, 2.0],
            "count": [1, 2, 3],
            "when": pd.to_datetime(
                ["2024-01-01", "2024-02-03 04:05:06", "2024-12-31"], format="ISO8601"
            ),
            "ok": [True, False, True],
        }
    )
    ds = weave.Dataset.from_pandas(df)
    ds.name = "frame"
    back = weave.publish(ds).get().to_pandas()
    pd.testing.assert_frame_equal(back, df, check_dtype=False)
    assert back["count"].tolist() == [1, 2, 3] and math.isnan(back["score"][1])
    assert back["when"][1] == datetime.datetime(2024, 2, 3, 4, 5, 6)


def test_from_calls(client: WeaveClient) -> None:
    @weave.op
    def double(x: int) -> int:
        return 2 * x

    for i in range(3):
        double(i)
    ds = weave.Dataset.from_calls(client.get_calls(filter={"op_names": ["double"]}))
    assert [(row["inputs"]["x"], row["output"]) for row in ds] == [(0, 0), (1, 2), (2, 4)]
    ds.name = "doubles"
    got: Any = weave.publish(ds).get()
    assert [row["op_name"] for row in got] == ["double"] * 3


def test_unstorable_rows_are_named(client: WeaveClient) -> None:
    ds = weave.Dataset(name="odd", rows=[{"ok": 1}, {"handle": object()}])
    with pytest.raises(UsageError, match=r"row 1\['handle'\]: a object is not JSON data"):
        weave.publish(ds)
