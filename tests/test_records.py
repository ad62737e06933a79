"""heron.records: the value codec and the run log format, including damage recovery."""

from __future__ import annotations

import math
from pathlib import Path

import orjson
import pytest

from heron.errors import RunLogError
from heron.records import (
    LogHeader,
    LogReader,
    decode_value,
    dumps_faithful,
    encode_lines,
    encode_nonfinite,
    read_header,
)

HEADER = LogHeader("stream-1", "me", "proj", "r1", 123, "box", 1.5)


def write_log(path: Path, records: list[dict], tail: bytes = b"") -> Path:
    path.write_bytes(HEADER.to_line() + encode_lines(records) + tail)
    return path


def records(n: int, start: int = 1) -> list[dict]:
    return [
        {"seq": s, "type": "history", "row": {"_step": s, "x": s / 2}}
        for s in range(start, start + n)
    ]


def test_nonfinite_values_survive_json() -> None:
    value = {"a": math.nan, "b": [math.inf, {"c": -math.inf}], "d": 1.5, "e": "nan"}
    back = decode_value(orjson.loads(dumps_faithful(value)))
    assert math.isnan(back["a"]) and back["b"] == [math.inf, {"c": -math.inf}]
    assert back["d"] == 1.5 and back["e"] == "nan"
    assert encode_nonfinite((1.0, math.nan)) == [1.0, {"$f": "nan"}]
    assert decode_value({"$f": "other"}) == {"$f": "other"}


def test_round_trip(tmp_path: Path) -> None:
    path = write_log(tmp_path / "run.heronlog", records(100))
    reader = LogReader(path)
    assert reader.header == HEADER == read_header(path)
    assert list(reader) == records(100)
    assert reader.damage == [] and reader.last_seq == 100


def test_read_follows_a_growing_log(tmp_path: Path) -> None:
    path = write_log(tmp_path / "run.heronlog", records(3))
    reader = LogReader(path)
    assert reader.read() == records(3)
    assert reader.read() == []
    line = encode_lines(records(1, start=4))
    with open(path, "ab") as f:
        f.write(line[:10])  # a line being written: not read yet, not damage
    assert reader.read() == [] and reader.damage == []
    with open(path, "ab") as f:
        f.write(line[10:])
    assert reader.read() == records(1, start=4)


def test_torn_tail_is_reported_on_the_final_read(tmp_path: Path) -> None:
    torn = encode_lines(records(1, start=6))[:-7]
    path = write_log(tmp_path / "run.heronlog", records(5), tail=torn)
    reader = LogReader(path)
    assert reader.read() == records(5) and reader.damage == []
    assert reader.read(final=True) == []
    (damage,) = reader.damage
    assert damage.after_seq == 5 and damage.end - damage.start == len(torn)
    assert "after record 5" in damage.describe()


def test_corrupt_middle_line_is_skipped_and_later_records_kept(tmp_path: Path) -> None:
    path = write_log(tmp_path / "run.heronlog", records(10))
    data = path.read_bytes()
    lines = data.split(b"\n")
    lines[4] = lines[4].replace(b'"x"', b'"y"')  # record 4: CRC no longer matches
    lines[6] = b"garbage"  # record 6: not a record line at all
    path.write_bytes(b"\n".join(lines))
    reader = LogReader(path)
    got = list(reader)
    assert [r["seq"] for r in got] == [1, 2, 3, 5, 7, 8, 9, 10]
    assert [d.after_seq for d in reader.damage] == [3, 5]


def test_out_of_order_seq_is_damage(tmp_path: Path) -> None:
    path = write_log(tmp_path / "run.heronlog", [*records(3), *records(1, start=2)])
    reader = LogReader(path)
    assert [r["seq"] for r in reader] == [1, 2, 3]
    assert [d.after_seq for d in reader.damage] == [3]


@pytest.mark.parametrize(
    "first_line", [b"", b"not a log\n", b"HERONLOG1 {broken\n", b'HERONLOG1 {"stream": "s"}\n']
)
def test_a_file_without_a_good_header_is_a_run_log_error(tmp_path: Path, first_line: bytes) -> None:
    path = tmp_path / "x.heronlog"
    path.write_bytes(first_line + encode_lines(records(1)))
    with pytest.raises(RunLogError):
        LogReader(path)
    with pytest.raises(RunLogError, match="cannot read"):
        LogReader(tmp_path / "missing.heronlog")
