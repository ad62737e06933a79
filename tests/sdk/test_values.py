"""Validation of logged values: mistakes raise at once, naming the key and the type."""

from __future__ import annotations

import enum
import math
from typing import Any

import pytest

from heron.errors import InvalidValueError
from heron.sdk.client import Client
from heron.sdk.values import MAX_VALUE_BYTES, prepare_row

from .conftest import history


class FakeScalar:
    """Quacks like a numpy/torch scalar: ``.item()`` and an empty shape."""

    shape = ()

    def __init__(self, value: float) -> None:
        self.value = value

    def item(self) -> float:
        return self.value


class FakeArray:
    shape = (3,)

    def item(self) -> float:
        raise ValueError("only one element tensors can be converted")

    def tolist(self) -> list[float]:
        return [1.0, 2.0, 3.0]


class Rich:
    """A rich data type: it serializes itself into a JSON stub."""

    def _heron_serialize(self, run: Any, key: str) -> dict[str, Any]:
        return {"_type": "rich", "run": run.id, "key": key}


class Color(enum.IntEnum):
    RED = 1


def test_scalars_pass_through() -> None:
    row, nonfinite = prepare_row({"i": 1, "f": 0.5, "s": "x", "b": True, "n": None}, None)
    assert row == {"i": 1, "f": 0.5, "s": "x", "b": True, "n": None}
    assert not nonfinite


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, [1.0, math.nan], {"a": math.inf}])
def test_nonfinite_values_are_accepted_and_flagged(value: Any) -> None:
    _, nonfinite = prepare_row({"x": value}, None)
    assert nonfinite
    # The same value among plain numbers (the fast path for numeric rows) is flagged too.
    _, nonfinite = prepare_row({"a": 1.0, "b": 2, "x": value}, None)
    assert nonfinite


def test_large_but_valid_numbers_pass_unflagged() -> None:
    row = {"max": 2**63 - 1, "min": -(2**63), "f": 1e300, "g": -1e300}
    assert prepare_row(row, None) == (row, False)


def test_duck_typed_scalars_arrays_enums_and_hook() -> None:
    row, _ = prepare_row(
        {"s": FakeScalar(2.5), "a": FakeArray(), "e": Color.RED, "t": (1, 2)}, None
    )
    assert row == {"s": 2.5, "a": [1.0, 2.0, 3.0], "e": 1, "t": [1, 2]}
    assert type(row["e"]) is int
    with pytest.raises(InvalidValueError, match=r"'r'.*needs a run"):
        prepare_row({"r": Rich()}, None)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({1: 2.0}, "keys must be non-empty strings, not int"),
        ({"": 2.0}, "keys must be non-empty strings"),
        ({"": "text"}, "keys must be non-empty strings"),
        ({"k" * 300: 1}, "at most 256 characters"),
        ({"model": object()}, "cannot log 'model'.*builtins.object"),
        ({"nested": {"inner": {1, 2}}}, "cannot log 'nested/inner'.*set"),
        ({"nested": {3: 1}}, "nested key 3"),
        ({"big": "x" * (MAX_VALUE_BYTES + 1)}, "over the limit of 1,048,576 bytes"),
        ({"biglist": ["y" * 1000] * 1100}, "cannot log 'biglist'.*limit"),
        ({"lst": [object()]}, "cannot log 'lst'"),
        ({"big": 2**70}, "cannot log 'big': the integer 1180591620717411303424 does not fit"),
        ({"a": 0.5, "big": -(2**63) - 1}, "cannot log 'big'.*64 bits"),
        ({"up": 2**70, "down": -(2**70)}, "cannot log 'up'.*64 bits"),
        ({"ids": [1, 2**64]}, "cannot log 'ids'.*64 bits"),
        ({"deep": {"e": Color.RED, "n": {"x": 2**80}}}, "cannot log 'deep/n/x'.*64 bits"),
    ],
)
def test_mistakes_raise_naming_the_key(data: dict[Any, Any], match: str) -> None:
    with pytest.raises(InvalidValueError, match=match):
        prepare_row(data, None)


def test_log_rejects_non_dicts_and_keeps_run_usable(client: Client) -> None:
    run = client.init(project="values")
    with pytest.raises(InvalidValueError, match="takes a dict"):
        run.log([1, 2])  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="'bad'"):
        run.log({"ok": 1, "bad": object()})
    run.log({"ok": 2})
    run.finish()
    assert history(run) == [{"ok": 2, "_step": 0}]


def test_rich_values_are_serialized_with_the_run(client: Client) -> None:
    run = client.init(project="values")
    run.log({"img": Rich()})
    run.finish()
    assert history(run) == [{"img": {"_type": "rich", "run": run.id, "key": "img"}, "_step": 0}]
