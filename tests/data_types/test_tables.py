"""heron.Table: wandb's API, typed columns, Parquet files, and reading a logged table back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

import heron
from heron.api import Api
from heron.data_types import Media, MediaSink, MemorySink, Table
from heron.errors import InvalidValueError, NotFoundError, UsageError
from heron.sdk.client import Client
from heron.settings import Settings


class Pic(Media):
    """A media cell without Pillow: the smallest ``image-file``."""

    _type = "image-file"

    def __init__(self, data: bytes) -> None:
        self.data = data

    def to_stub(self, sink: MediaSink, key: str) -> dict[str, Any]:
        return {**sink.store_media(key, "images", "png", self.data), "format": "png"}


@pytest.fixture
def api(online: Settings) -> Iterator[Api]:
    api = Api(settings=online)
    yield api
    api.close()


def logged_run(client: Client, rows: list[dict[str, Any]], **summary: Any) -> Any:
    run = client.init(project="tables")
    for row in rows:
        run.log(row)
    for key, value in summary.items():
        run.summary[key] = value
    run.finish()
    return run


def test_a_logged_table_reads_back_with_the_same_values(
    online_client: Client, online: Settings, api: Api
) -> None:
    table = heron.Table(columns=["id", "name", "score", "ok", "extra", "pic"])
    table.add_data(0, "cat", 0.5, True, {"k": [1, 2]}, Pic(b"png-0"))
    table.add_data(np.int64(1), "dog", np.float32(0.25), np.bool_(False), [1, "x"], None)
    table.add_data(2, None, None, None, None, Pic(b"png-2"))
    run = logged_run(online_client, [{"preds": table, "loss": 1.0}])

    back = api.run(f"{run.entity}/{run.project}/{run.id}").table("preds")
    assert back.columns == table.columns
    assert back.column_types == {
        "id": "number",
        "name": "string",
        "score": "number",
        "ok": "bool",
        "extra": "json",
        "pic": "image-file",
    }
    rows = back.data
    assert [r[:5] for r in rows] == [
        [0, "cat", 0.5, True, {"k": [1, 2]}],
        [1, "dog", 0.25, False, [1, "x"]],
        [2, None, None, None, None],
    ]
    pic = rows[0][5]
    assert pic["_type"] == "image-file" and pic["path"].startswith("media/images/preds_pic_")
    assert rows[1][5] is None
    files = {f.name: f for f in api.run(f"{run.entity}/{run.project}/{run.id}").files()}
    assert files[pic["path"]].read_bytes() == b"png-0"  # media cells are run files of their own

    stub = online_client.store(online).read_history(run._key, keys=["preds"])[0]["preds"]
    assert {k: stub[k] for k in ("_type", "format", "nrows", "ncols", "columns")} == {
        "_type": "table-file",
        "format": "parquet",
        "nrows": 3,
        "ncols": 6,
        "columns": table.columns,
    }
    assert stub["column_types"] == back.column_types
    assert stub["path"].startswith("media/tables/preds_") and stub["path"].endswith(".parquet")


def test_steps_and_the_summary(online_client: Client, online: Settings, api: Api) -> None:
    first = Table(columns=["a"], data=[[1]])
    second = Table(columns=["a"], data=[[2], [3]])
    final = Table(columns=["b"], data=[["done"]])
    run = logged_run(online_client, [{"t": first}, {"t": second}, {"n": 1.0}], final=final)
    remote = api.run(f"{run.entity}/{run.project}/{run.id}")
    assert remote.table("t") == second
    assert remote.table("t", step=0) == first
    assert remote.table("final") == final
    with pytest.raises(UsageError, match=r"'n' of run \w+ holds float, not a table"):
        remote.table("n")
    with pytest.raises(NotFoundError, match="no value of 't' at step 2"):
        remote.table("t", step=2)
    with pytest.raises(NotFoundError, match="no value of 'nothing'"):
        remote.table("nothing")


def test_a_dataframe_logs_column_wise_and_comes_back() -> None:
    frame = pd.DataFrame(
        {
            "i": np.arange(5, dtype=np.int32),
            "f": [0.5, float("nan"), 1.5, 2.5, 3.5],
            "s": ["a", "b", None, "d", "e"],
            "b": [True, False, True, True, False],
        }
    )
    table = Table(dataframe=frame)
    assert table.column_types == {"i": "number", "f": "number", "s": "string", "b": "bool"}
    sink = MemorySink()
    stub = table.to_stub(sink, "frame")
    assert (stub["nrows"], stub["ncols"]) == (5, 4)
    back = Table.from_parquet(sink.files[stub["path"]])
    pd.testing.assert_frame_equal(back.get_dataframe(), frame, check_dtype=False)
    assert Table(data=frame).columns == ["i", "f", "s", "b"]  # data= takes a DataFrame too


def test_wandb_api() -> None:
    table = Table(columns=["x", "y"], data=np.array([[1, 2], [3, 4]]))
    table.add_column("z", ["a", "b"])
    table.add_row(5, 6, "c")
    assert table.columns == ["x", "y", "z"]
    assert table.data == [[1, 2, "a"], [3, 4, "b"], [5, 6, "c"]]
    assert table.get_column("y") == [2, 4, 6]
    assert table.get_column("y", convert_to="numpy").tolist() == [2, 4, 6]
    assert table.get_index() == [0, 1, 2]
    assert list(table.iterrows()) == [(0, [1, 2, "a"]), (1, [3, 4, "b"]), (2, [5, 6, "c"])]
    assert table.get_dataframe()["z"].tolist() == ["a", "b", "c"]
    assert len(table) == 3
    assert Table().columns == ["Input", "Output", "Expected"]  # wandb's default
    assert Table(columns=["a"], rows=[[1], [2]]).data == [[1], [2]]  # the legacy name
    empty = Table(columns=[])
    empty.add_column("only", [1, 2, 3])
    assert empty.data == [[1], [2], [3]]


def test_cells_that_cannot_go_in_name_their_row_and_column() -> None:
    table = Table(columns=["n", "s"], data=[[1, "a"], [2, "b"]])
    with pytest.raises(InvalidValueError, match=r"row 2, column 'n': a str \(string\)"):
        table.add_data("three", "c")
    with pytest.raises(InvalidValueError, match=r"row 1, column 's': a object cannot"):
        Table(columns=["n", "s"], data=[[1, "a"], [2, object()]])
    with pytest.raises(InvalidValueError, match="row 1 has 1 values; each row needs 2"):
        Table(columns=["n", "s"], data=[[1, "a"], [2]])
    with pytest.raises(InvalidValueError, match="add_data got 1 values for 2 columns"):
        table.add_data(1)
    with pytest.raises(InvalidValueError, match="column 'c' has 3 values for a table of 2 rows"):
        table.add_column("c", [1, 2, 3])
    with pytest.raises(UsageError, match="already has a column named 'n'"):
        table.add_column("n", [1, 2])
    with pytest.raises(UsageError, match="no column 'q'"):
        table.get_column("q")
    with pytest.raises(InvalidValueError, match="row 0, column 'j' is not JSON"):
        Table(columns=["j"], data=[[{"a": object()}]]).to_stub(MemorySink(), "k")
    with pytest.raises(InvalidValueError, match=r"row 1, column 'b': a int \(number\) in a"):
        Table(columns=["b"], data=[[True], [1]])  # bools are not numbers


def test_mixed_types_and_dtype() -> None:
    mixed = Table(columns=["v"], data=[[1], ["two"], [{"three": 3}]], allow_mixed_types=True)
    assert mixed.column_types == {"v": "json"}
    sink = MemorySink()
    stub = mixed.to_stub(sink, "m")
    assert Table.from_parquet(sink.files[stub["path"]]).data == [[1], ["two"], [{"three": 3}]]

    typed = Table(columns=["a", "b"], dtype=[float, str])
    assert typed.column_types == {"a": "number", "b": "string"}
    with pytest.raises(InvalidValueError, match="column 'b': a int"):
        typed.add_data(1.0, 2)
    assert Table(columns=["p"], dtype=Pic).column_types == {"p": "image-file"}
    with pytest.raises(UsageError, match="unknown table dtype"):
        Table(columns=["a"], dtype=complex)
    with pytest.raises(UsageError, match="dtype has 1 entries for 2 columns"):
        Table(columns=["a", "b"], dtype=[int])


def test_a_parquet_file_heron_did_not_write_reads_too() -> None:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow = pa.table({"n": [1, 2], "tags": [[1, 2], []], "s": ["x", None]})
    out = io.BytesIO()
    pq.write_table(arrow, out)
    table = Table.from_parquet(out.getvalue())
    assert table.column_types == {"n": "number", "tags": "json", "s": "string"}
    assert table.data == [[1, [1, 2], "x"], [2, [], None]]


def test_a_million_rows_build_column_wise() -> None:
    n = 1_000_000
    frame = pd.DataFrame({"i": np.arange(n), "x": np.linspace(0, 1, n)})
    sink = MemorySink()
    stub = Table(dataframe=frame).to_stub(sink, "big")
    back = Table.from_parquet(sink.files[stub["path"]])
    assert stub["nrows"] == n
    assert back.get_column("x", convert_to="numpy")[-1] == 1.0
