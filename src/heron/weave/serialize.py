"""Turning any input or output into JSON for the call log, without ever raising.

:func:`to_json` keeps JSON values as they are and converts the rest:

* dict keys become strings; tuples and sets become lists;
* weave Objects (a Model as ``self``), ops and refs become ref URIs
  (``weave:///…``), the objects published as a new version when changed;
* pydantic models (``model_dump``), dataclasses and objects with ``to_dict``
  or ``__dict__`` become dicts with a ``_type`` naming their class;
* ``bytes`` that are UTF-8 become text, others ``{"_type": "bytes", "hex"}``;
  strings that are not valid UTF-8 (lone surrogates) and NUL characters,
  which PostgreSQL's JSONB refuses, are replaced by U+FFFD;
* NaN and infinities become ``{"$f": ...}`` tags (see :mod:`heron.records`);
* a cycle becomes ``"<cycle: Type>"``, nesting past :data:`MAX_DEPTH` a repr;
* strings longer than :data:`MAX_STRING` are cut, with the full length and
  the sha256 of the full value noted after the kept part; while a client
  traces they become blob stubs instead, and non-UTF-8 bytes, PIL images,
  ``heron.Image``/``heron.Audio`` and paths to files media stubs, their bytes
  stored as blobs (see :mod:`heron.weave.blobs`);
* anything else, or anything whose conversion raised, is its safe repr.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from typing import Any

from heron.weave import blobs

MAX_STRING = 100_000
"""Characters kept of one string value."""
MAX_DEPTH = 32
MAX_ITEMS = 10_000
"""Items kept of one list or dict (the rest noted in a last entry)."""
_REPR_MAX = 1_000
_PLAIN = (int, bool, type(None))


def to_json(value: Any) -> Any:
    """``value`` as plain JSON data (see the module docstring); never raises."""
    kind = type(value)
    if kind is dict:
        if _flat_plain(value):  # the common case, without the recursive walk
            return dict(value)
    elif kind in _PLAIN:
        return value
    return _walk(value)


def to_json_owned(value: Any) -> Any:
    """:func:`to_json` of a value the caller made and gives up: a flat dict of plain
    values is returned as it is, not copied (an op's inputs dict, on the traced path)."""
    if type(value) is dict:
        return value if _flat_plain(value) else _walk(value)
    return to_json(value)


def _flat_plain(value: dict[Any, Any]) -> bool:
    """Whether a dict is already JSON as stored: str keys; short ASCII strings without
    NUL, finite floats, ints, bools and None as values."""
    for k, v in value.items():
        if type(k) is not str:
            return False
        t = type(v)
        if t is str:
            if len(v) > 256 or not v.isascii() or "\x00" in v:
                return False
        elif t is float:
            if v - v != 0:  # NaN or infinite
                return False
        elif t not in _PLAIN:
            return False
    return True


def _walk(value: Any) -> Any:
    try:
        return _convert(value, 0, set())
    except Exception as exc:  # the last line of defence: tracing never breaks the caller
        return f"<unserializable {type(value).__name__}: {_safe_repr(exc)}>"


def _convert(value: Any, depth: int, seen: set[int]) -> Any:
    kind = type(value)
    if kind is str:
        return _text(value, blob=True)
    if kind in _PLAIN:
        return value
    if kind is float:
        if math.isfinite(value):
            return value
        return {"$f": "nan" if value != value else ("inf" if value > 0 else "-inf")}
    if depth >= MAX_DEPTH:
        return _safe_repr(value)
    marker = id(value)
    if marker in seen:
        return f"<cycle: {kind.__name__}>"
    if isinstance(value, dict):
        seen.add(marker)
        try:
            out: dict[str, Any] = {}
            for i, (k, v) in enumerate(value.items()):
                if i >= MAX_ITEMS:
                    out["..."] = f"{len(value) - MAX_ITEMS} more items"
                    break
                out[k if type(k) is str else _text(str(k))] = _convert(v, depth + 1, seen)
            return out
        finally:
            seen.discard(marker)
    if isinstance(value, (list, tuple, set, frozenset)):
        seen.add(marker)
        try:
            items = list(value)
            converted = [_convert(v, depth + 1, seen) for v in items[:MAX_ITEMS]]
            if len(items) > MAX_ITEMS:
                converted.append(f"... {len(items) - MAX_ITEMS} more items")
            return converted
        finally:
            seen.discard(marker)
    if isinstance(value, str):
        return _text(str(value), blob=True)
    if isinstance(value, (int, float)):  # subclasses (enums, numpy scalars that subclass)
        return _convert(float(value) if isinstance(value, float) else int(value), depth, seen)
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        try:
            return _text(data.decode("utf-8"), blob=True)
        except UnicodeDecodeError:
            stub = blobs.binary(data) if blobs.stager is not None else None
            if stub is not None:
                return stub
            return {"_type": "bytes", "size": len(data), "hex": data[:_REPR_MAX].hex()}
    return _object(value, depth, seen)


def _object(value: Any, depth: int, seen: set[int]) -> Any:
    marker = id(value)
    seen.add(marker)
    try:
        fields: Any = None
        if blobs.stager is not None:
            stub = blobs.media(value)
            if stub is not None:
                return stub
        ref_uri = getattr(type(value), "_heron_ref_uri", None)
        if ref_uri is not None:  # a weave Object, op or ref: its version's URI
            uri = ref_uri(value)
            if uri is not None:
                return uri
        if hasattr(value, "model_dump") and callable(value.model_dump):
            fields = value.model_dump()
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        elif hasattr(value, "tolist") and callable(value.tolist):  # numpy arrays and scalars
            return _convert(value.tolist(), depth + 1, seen)
        elif isinstance(getattr(value, "__dict__", None), dict) and not callable(value):
            fields = {k: v for k, v in vars(value).items() if not k.startswith("_")}
        if isinstance(fields, dict):
            out = _convert(fields, depth + 1, seen)
            if isinstance(out, dict):
                return {"_type": type(value).__name__, **out}
        return _safe_repr(value)
    except Exception:
        return _safe_repr(value)
    finally:
        seen.discard(marker)


def _text(value: str, blob: bool = False) -> Any:
    """``value`` safe for JSONB; a long one cut (or, for a value, ``blob``, a blob stub)."""
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            value = "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in value)
    if "\x00" in value:
        value = value.replace("\x00", "\ufffd")
    if len(value) > MAX_STRING:
        stub = blobs.large_text(value) if blob and blobs.stager is not None else None
        if stub is not None:
            return stub
        digest = hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()
        return f"{value[:MAX_STRING]}… [truncated: {len(value)} characters, sha256 {digest}]"
    return value


def _safe_repr(value: Any) -> str:
    try:
        text = repr(value)
    except Exception as exc:
        text = f"<{type(value).__name__} object (repr failed: {type(exc).__name__})>"
    return _text(text[:_REPR_MAX])
