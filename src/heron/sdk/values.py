"""Validating and flattening what ``run.log()`` receives: the hot path.

:func:`prepare_row` turns a user dict into a flat ``{"a/b": value}`` dict of
JSON-able values, raising :class:`~heron.errors.InvalidValueError` naming the
key at the first mistake. A dict of string keys and plain numbers (the
usual training row) is checked in one tight pass and copied whole; in other
rows plain ``int``/``float``/``str``/``bool``/``None`` values take a fast
path of one ``type()`` lookup each, and everything else (nested dicts, lists,
numpy/torch scalars, rich data types) goes through :func:`_convert`.

Rich data types plug in through one hook: a value whose type has a
``_heron_serialize(sink, key)`` method is replaced by what that method returns
(a JSON-able stub, after the value has handed its files to ``sink``, the run:
see :mod:`heron.data_types.base`), and the result is validated like any other
value; a dict stub stays one value (it is not flattened into ``key/field``
keys).

>>> prepare_row({"loss": 0.5, "eval": {"acc": 1}}, None)
({'loss': 0.5, 'eval/acc': 1}, False)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import orjson

from heron.errors import InvalidValueError

MAX_KEY_LENGTH = 256
MAX_VALUE_BYTES = 1 << 20
"""Largest string or list, serialized as JSON, that one ``log()`` value may hold."""

INT_MIN, INT_MAX = -(2**63), 2**63 - 1
"""Logged integers must fit in 64 bits, as JSON libraries and databases store them."""
# Below this, a row's sum of absolute values proves every number finite and in range.
_FAST_LIMIT = 2.0**63

# A str of fewer than this many characters cannot exceed MAX_VALUE_BYTES in UTF-8.
_SAFE_STR_CHARS = MAX_VALUE_BYTES // 4
_isfinite = math.isfinite
_NUMBERS = frozenset({float, int, bool})


def prepare_row(data: Mapping[str, Any], run: Any) -> tuple[dict[str, Any], bool]:
    """Validate and flatten one ``log()`` dict; return it with a "has NaN/±Inf" flag."""
    if type(data) is dict:
        # The usual row: short string keys and plain numbers. Check them in one
        # tight pass, copy in C, and test every number once through the sum of
        # absolute values: a NaN, a ±Inf or an integer too big for 64 bits
        # anywhere makes it fail the bound. Any other row, including one with
        # a mistake, takes the full pass below, which flags or raises.
        for key, value in data.items():
            if type(key) is not str or not 0 < len(key) <= MAX_KEY_LENGTH:
                break
            if type(value) not in _NUMBERS:
                break
        else:
            try:
                if sum(map(abs, data.values())) < _FAST_LIMIT:
                    return dict(data), False
            except OverflowError:  # a huge int, or floats whose sum overflows
                pass
    out: dict[str, Any] = {}
    nonfinite = False
    for key, value in data.items():
        if type(key) is not str or not key:
            _bad_key(key)
        if len(key) > MAX_KEY_LENGTH:
            _long_key(key)
        kind = type(value)
        if kind is float:
            if not _isfinite(value):
                nonfinite = True
            out[key] = value
        elif kind is int:
            if not INT_MIN <= value <= INT_MAX:
                _big_int(key, value)
            out[key] = value
        elif kind is bool or value is None:
            out[key] = value
        elif kind is str:
            if len(value) > _SAFE_STR_CHARS:
                _check_size(key, value)
            out[key] = value
        elif isinstance(value, Mapping):
            if _flatten(key, value, out, run):
                nonfinite = True
        else:
            converted, flag = _convert(key, value, run)
            out[key] = converted
            nonfinite = nonfinite or flag
    return out, nonfinite


def _flatten(prefix: str, data: Mapping[Any, Any], out: dict[str, Any], run: Any) -> bool:
    flag = False
    for key, value in data.items():
        if type(key) is not str:
            raise InvalidValueError(
                f"cannot log {prefix!r}: nested key {key!r} is a {type(key).__name__};"
                " keys must be strings"
            )
        full = f"{prefix}/{key}"
        if len(full) > MAX_KEY_LENGTH:
            _long_key(full)
        if isinstance(value, Mapping) and not hasattr(type(value), "_heron_serialize"):
            flag = _flatten(full, value, out, run) or flag
        else:
            out[full], value_flag = _convert(full, value, run)
            flag = flag or value_flag
    return flag


def _check_keys(prefix: str, data: Mapping[Any, Any]) -> Mapping[str, Any]:
    for key in data:
        if type(key) is not str:
            raise InvalidValueError(
                f"cannot log {prefix!r}: nested key {key!r} is a {type(key).__name__};"
                " keys must be strings"
            )
    return data


def _convert(key: str, value: Any, run: Any, depth: int = 0) -> tuple[Any, bool]:
    """A JSON-able form of a value that is not a plain scalar, and its NaN/Inf flag."""
    if depth > 64:
        raise InvalidValueError(f"cannot log {key!r}: the value is nested too deeply")
    serialize = getattr(type(value), "_heron_serialize", None)
    if serialize is not None:
        if run is None:
            raise InvalidValueError(
                f"cannot store {key!r} here: a {type(value).__name__} needs a run to keep its"
                " files; log it with run.log() or set it on run.summary"
            )
        return _convert(key, serialize(value, run, key), run, depth + 1)
    kind = type(value)
    if kind is float:
        return value, not _isfinite(value)
    if kind is int:
        if not INT_MIN <= value <= INT_MAX:
            _big_int(key, value)
        return value, False
    if kind is bool or value is None:
        return value, False
    if kind is str:
        _check_size(key, value)
        return value, False
    if isinstance(value, bool):
        return bool(value), False
    if isinstance(value, float):  # numpy.float64 and other float subclasses
        number = float(value)
        return number, not _isfinite(number)
    if isinstance(value, int):  # IntEnum and other int subclasses
        return _convert(key, int(value), run, depth + 1)
    if isinstance(value, str):
        return _convert(key, str(value), run, depth + 1)
    if isinstance(value, (list, tuple)):
        items, flag = [], False
        for item in value:
            converted, item_flag = _convert(key, item, run, depth + 1)
            items.append(converted)
            flag = flag or item_flag
        if depth == 0:
            _check_size(key, items)
        return items, flag
    if isinstance(value, Mapping):
        result, flag = {}, False
        for k, v in _check_keys(key, value).items():
            result[k], v_flag = _convert(key, v, run, depth + 1)
            flag = flag or v_flag
        return result, flag
    # numpy / torch / jax scalars and one-element arrays: `.item()` gives a Python number.
    item = getattr(value, "item", None)
    shape = getattr(value, "shape", None)
    if callable(item) and (shape is None or shape == () or _size(shape) == 1):
        try:
            scalar = item()
        except (TypeError, ValueError, RuntimeError):
            pass
        else:
            if type(scalar) in (int, float, bool, str):
                return _convert(key, scalar, run, depth + 1)
    tolist = getattr(value, "tolist", None)
    if callable(tolist) and shape is not None:
        return _convert(key, tolist(), run, depth)
    raise InvalidValueError(
        f"cannot log {key!r}: a value of type {type(value).__module__}.{type(value).__qualname__}"
        " is not supported; log numbers, strings, bools, None, lists or dicts"
        " (convert it with float(), int() or str())"
    )


def _size(shape: Any) -> int:
    total = 1
    for dim in shape:
        total *= int(dim)
    return total


def _check_size(key: str, value: Any) -> None:
    size = len(value.encode("utf-8", "surrogatepass")) if isinstance(value, str) else 0
    if not isinstance(value, str):
        size = len(orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY))
    if size > MAX_VALUE_BYTES:
        raise InvalidValueError(
            f"cannot log {key!r}: its value is {size:,} bytes as JSON, over the limit of"
            f" {MAX_VALUE_BYTES:,} bytes (1 MiB); save large data as a file with run.save()"
        )


def _big_int(key: str, value: int) -> None:
    raise InvalidValueError(
        f"cannot log {key!r}: the integer {value} does not fit in 64 bits"
        f" ({INT_MIN} to {INT_MAX}); log float(value) or str(value) instead"
    )


def _bad_key(key: object) -> None:
    raise InvalidValueError(
        f"cannot log key {key!r}: keys must be non-empty strings"
        + (f", not {type(key).__name__}" if type(key) is not str else "")
    )


def _long_key(key: str) -> None:
    raise InvalidValueError(
        f"cannot log key {key[:40]!r}...: keys may be at most {MAX_KEY_LENGTH} characters,"
        f" this one has {len(key)}"
    )


def coerce_step(step: Any) -> int:
    """An explicit ``log(step=...)`` as an int (numpy integers accepted); raise otherwise."""
    if type(step) is not int:
        if isinstance(step, bool) or not hasattr(step, "__index__"):
            raise InvalidValueError(f"step must be a non-negative integer, not {step!r}")
        step = int(step.__index__())
    if step < 0:
        raise InvalidValueError(f"step must be a non-negative integer, not {step!r}")
    return int(step)
