"""Writing and reading metric history in chunks (see :mod:`heron.store.sql.tables`).

The write path works column-wise: rows with the same keys (nearly all of a
batch) are grouped, each key's values are pulled out as one list, and a column
whose values are all ints and floats is taken whole; only columns holding other
values (strings, bools, lists, dicts, None) are split value by value. Numeric
points are appended to the key's last chunk while it holds fewer than
:data:`CHUNK_POINTS` points (a read-modify-write of one small blob) and to new
chunks after that; other values are upserted into ``history_values``. Chunks
are packed with the standard ``array`` module, whose conversions run in C as
numpy's do: the write path does not import numpy (~50 ms), which a process
that logs a short run would otherwise pay before its first point is stored.

The read path decodes chunks with numpy and rebuilds rows by step. A key's
points are returned in step order; when the same step was logged twice (a
resumed run rewriting steps), the point written last wins.
"""

from __future__ import annotations

import math
import sys
from array import array
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, groupby
from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa

from heron.entities import KeyInfo, Series
from heron.errors import InvalidValueError, UsageError
from heron.records import decode_value, dumps_faithful
from heron.store.base import MAX_BUCKETS
from heron.store.sql import statements as q
from heron.store.sql.tables import CHUNK_POINTS, history_chunks, history_keys, history_values

if TYPE_CHECKING:
    import numpy as np

_EXACT_INT = 2**53
"""Ints beyond this are not exact as float64; they are kept as JSON values instead."""
_NUMBER_TYPES = frozenset((int, float))
MAX_KEY_LENGTH = 512

# ====================================================================== writes


class _Points:
    """What one batch logs to one key: numeric columns and other values.

    ``step_parts`` hold step lists, shared by every key of a row group;
    ``value_parts`` the matching values (lists of ints and floats).
    """

    __slots__ = ("bounds", "has_float", "other", "step_parts", "value_parts")

    def __init__(self) -> None:
        self.step_parts: list[list[int]] = []
        self.value_parts: list[list[float]] = []
        self.other: list[tuple[int, Any]] = []
        self.has_float = False
        self.bounds: list[int] = []
        """Smallest and largest step of each part, appended as pairs."""

    @property
    def numeric_count(self) -> int:
        return sum(len(part) for part in self.step_parts)

    def add_numeric(self, steps: list[int], lo: int, hi: int, values: list[float]) -> None:
        self.step_parts.append(steps)
        self.value_parts.append(values)
        self.bounds += (lo, hi)

    def add_mixed(self, steps: Sequence[int], values: Sequence[Any]) -> None:
        """Sort a column holding non-numbers value by value."""
        num_steps: list[int] = []
        num_values: list[float] = []
        for step, value in zip(steps, values, strict=True):
            kind = type(value)
            if kind is float or (kind is int and -_EXACT_INT <= value <= _EXACT_INT):
                num_steps.append(step)
                num_values.append(value)
                self.has_float = self.has_float or kind is float
            elif kind is dict and "$f" in value and type(decoded := decode_value(value)) is float:
                num_steps.append(step)
                num_values.append(decoded)
                self.has_float = True
            else:
                self.other.append((step, value))
        if num_steps:
            self.add_numeric(num_steps, min(num_steps), max(num_steps), num_values)


def _check_key(key: Any) -> None:
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidValueError(f"invalid history key {key!r}: use 1-{MAX_KEY_LENGTH} characters")


def collect(rows_by_code: dict[int, list[dict[str, Any]]]) -> dict[tuple[int, str], _Points]:
    """Split each stream's rows into points per (stream code, key)."""
    points: dict[tuple[int, str], _Points] = {}
    for code, rows in rows_by_code.items():
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for names, same in groupby(rows, key=tuple):  # runs of rows with the same keys
            group = groups.get(names)
            if group is None:
                groups[names] = list(same)
            else:
                group.extend(same)
        for names, group in groups.items():
            if "_step" not in names:
                raise InvalidValueError("a history row needs an integer '_step'; the SDK stamps it")
            # One comprehension per name: transposing with zip(*rows) looks faster, but keeps
            # thousands of objects alive at once and sets off garbage collections.
            columns = {name: [row[name] for row in group] for name in names}
            steps = columns.pop("_step")
            if set(map(type, steps)) != {int}:
                bad = next(s for s in steps if type(s) is not int)
                raise InvalidValueError(f"a history row's '_step' must be an integer, not {bad!r}")
            lo, hi = min(steps), max(steps)
            for key, values in columns.items():
                p = points.get((code, key))
                if p is None:
                    _check_key(key)
                    p = points[(code, key)] = _Points()
                types = set(map(type, values))
                if types <= _NUMBER_TYPES and (
                    int not in types or -_EXACT_INT <= min(values) <= max(values) <= _EXACT_INT
                ):
                    p.add_numeric(steps, lo, hi, values)
                    p.has_float = p.has_float or float in types
                else:
                    p.add_mixed(steps, values)
    return points


def append(
    conn: sa.Connection,
    run_pk: int,
    rows_by_code: dict[int, list[dict[str, Any]]],
    *,
    new_run: bool = False,
) -> None:
    """Store history rows (per stream code) of one run; part of ``apply``'s transaction.

    ``new_run`` says the run was created in this transaction, so it has no keys yet.
    """
    points = collect(rows_by_code)
    if not points:
        return
    codes = sorted({code for code, _ in points})
    known = {} if new_run else _known_keys(conn, run_pk, codes)
    key_ids = _insert_keys(conn, run_pk, codes, {k: p for k, p in points.items() if k not in known})
    if known:
        updates = [_key_stats(known[k], p) for k, p in points.items() if k in known]
        if updates:
            conn.execute(q.UPDATE_KEYS, updates)
        key_ids.update((k, known[k].id) for k in points if k in known)
    _append_chunks(
        conn,
        {key_ids[k]: p for k, p in points.items() if p.step_parts},
        [known[k].id for k, p in points.items() if k in known and p.step_parts],
    )
    _upsert_values(conn, {key_ids[k]: p for k, p in points.items() if p.other})


def _known_keys(
    conn: sa.Connection, run_pk: int, codes: list[int]
) -> dict[tuple[int, str], KeyRow]:
    rows = conn.execute(q.KNOWN_KEYS, {"run": run_pk, "codes": codes})
    found = {}
    for code, *columns in rows:
        key = KeyRow(*columns)
        found[(code, key.key)] = key
    return found


def _key_stats(key: KeyRow, p: _Points) -> dict[str, Any]:
    """The key's stats (``b_id``: its id) once ``p`` is added to them."""
    other_steps = [s for s, _ in p.other]
    lo, hi = min(p.bounds + other_steps), max(p.bounds + other_steps)
    return {
        "b_id": key.id,
        "count": key.count + p.numeric_count + len(p.other),
        "min_step": lo if key.max_step < 0 else min(key.min_step, lo),
        "max_step": max(key.max_step, hi),
        "numeric": key.numeric and not p.other,
        "integer": key.integer and not p.has_float,
    }


def _insert_keys(
    conn: sa.Connection, run_pk: int, codes: list[int], new: dict[tuple[int, str], _Points]
) -> dict[tuple[int, str], int]:
    """Add keys to the run, with the stats of their first points; return their ids."""
    if not new:
        return {}
    params = []
    for (code, key), p in new.items():
        stats = _key_stats(KeyRow(0, key, 0, 0, -1, True, True), p)  # from no values yet
        del stats["b_id"]
        params.append({"run": run_pk, "stream": code, "key": key, **stats})
    if conn.dialect.insert_executemany_returning:
        return {(code, key): i for code, key, i in conn.execute(q.INSERT_KEYS_RETURNING, params)}
    conn.execute(q.INSERT_KEYS, params)  # SQLite before 3.35 has no RETURNING
    return {k: row.id for k, row in _known_keys(conn, run_pk, codes).items() if k in new}


def _arrays(p: _Points) -> tuple[list[int], list[float]]:
    """A key's new points as (steps, values) lists in step order (a stable sort)."""
    if len(p.step_parts) == 1:
        steps, values = p.step_parts[0], p.value_parts[0]
    else:
        steps = list(chain.from_iterable(p.step_parts))
        values = list(chain.from_iterable(p.value_parts))
    ordered = sorted(steps)  # timsort: linear on steps that are in order already
    if ordered != steps:
        order = sorted(range(len(steps)), key=steps.__getitem__)
        steps, values = ordered, [values[i] for i in order]
    return steps, values


def _pack(typecode: str, items: Sequence[float]) -> bytes:
    """Little-endian int64 (``q``) or float64 (``d``) bytes, as chunks store them."""
    packed = array(typecode, items)
    if _BIG_ENDIAN:
        packed.byteswap()
    return packed.tobytes()


def _unpack(typecode: str, data: bytes) -> list[Any]:
    unpacked = array(typecode)
    unpacked.frombytes(data)
    if _BIG_ENDIAN:
        unpacked.byteswap()
    return unpacked.tolist()


_BIG_ENDIAN = sys.byteorder == "big"


def _chunk_params(steps: list[int], values: list[float]) -> dict[str, Any]:
    total = sum(values)
    if math.isfinite(total):  # then every value is (NaN or ±Inf would carry into the sum)
        finite: Sequence[float] = values
    else:  # some NaN or ±Inf, or finite values whose sum overflowed
        finite = [v for v in values if math.isfinite(v)]
    return {
        "first_step": min(steps),
        "last_step": max(steps),
        "n": len(steps),
        "steps": _pack("q", steps),
        "values": _pack("d", values),
        "vmin": float(min(finite)) if finite else None,
        "vmax": float(max(finite)) if finite else None,
    }


def _append_chunks(conn: sa.Connection, by_key: dict[int, _Points], old_keys: list[int]) -> None:
    """Append points to their keys' last chunks (only ``old_keys`` can have chunks already)."""
    if not by_key:
        return
    open_chunks = {}
    if old_keys:
        open_chunks = {
            row.key_id: row for row in conn.execute(q.OPEN_CHUNKS, {"key_ids": old_keys})
        }
    updates: list[dict[str, Any]] = []
    inserts: list[dict[str, Any]] = []
    for key_id, p in by_key.items():
        steps, values = _arrays(p)
        start = 0
        chunk = open_chunks.get(key_id)
        if chunk is not None:
            start = CHUNK_POINTS - chunk.n
            merged_steps = _unpack("q", chunk.steps) + steps[:start]
            merged_values = _unpack("d", chunk.values) + values[:start]
            updates.append({"b_id": chunk.id, **_chunk_params(merged_steps, merged_values)})
        for i in range(start, len(steps), CHUNK_POINTS):
            params = _chunk_params(steps[i : i + CHUNK_POINTS], values[i : i + CHUNK_POINTS])
            inserts.append({"key_id": key_id, **params})
    if updates:
        conn.execute(q.UPDATE_CHUNKS, updates)
    if inserts:
        conn.execute(q.INSERT_CHUNKS, inserts)


def _upsert_values(conn: sa.Connection, by_key: dict[int, _Points]) -> None:
    if not by_key:
        return
    latest: dict[tuple[int, int], str] = {}
    for key_id, p in by_key.items():
        for step, value in p.other:
            latest[(key_id, step)] = dumps_faithful(value).decode()
    conn.execute(
        q.UPSERT_VALUES[conn.dialect.name],
        [{"key_id": k, "step": s, "payload": v} for (k, s), v in latest.items()],
    )


# ====================================================================== reads


def _np() -> Any:
    import numpy

    return numpy


@dataclass(frozen=True)
class KeyRow:
    id: int
    key: str
    count: int
    min_step: int
    max_step: int
    numeric: bool
    integer: bool

    def info(self, kind: str | None = None) -> KeyInfo:
        return KeyInfo(self.key, self.count, self.min_step, self.max_step, self.numeric, kind)


def key_rows(
    conn: sa.Connection, run_pk: int, code: int, keys: Sequence[str] | None = None
) -> list[KeyRow]:
    """The keys of one stream of a run (only ``keys``, if given), sorted by name."""
    t = history_keys
    query = sa.select(
        t.c.id, t.c.key, t.c.count, t.c.min_step, t.c.max_step, t.c.numeric, t.c.integer
    ).where(t.c.run == run_pk, t.c.stream == code)
    if keys is not None:
        if isinstance(keys, str):
            raise UsageError("keys must be a list of key names, not a string")
        query = query.where(t.c.key.in_(list(keys)))
    return sorted((KeyRow(*row) for row in conn.execute(query)), key=lambda r: r.key)


def key_infos(conn: sa.Connection, run_pk: int, code: int) -> list[KeyInfo]:
    """The keys of one stream of a run with their ``kind`` (see :func:`value_kinds`)."""
    rows = key_rows(conn, run_pk, code)
    kinds = value_kinds(conn, [k.id for k in rows if not k.numeric])
    return [k.info(kinds.get(k.id)) for k in rows]


def value_kind(payload: str) -> str | None:
    """What a stored value is, for the dashboard: its ``_type``, ``"image-list"``, or None."""
    if not payload.startswith(("{", "[")):
        return None  # a string, bool or null: no need to parse it
    value = orjson.loads(payload)
    if isinstance(value, list) and value:
        first = value[0]
        if isinstance(first, dict) and first.get("_type") == "image-file":
            return "image-list"
        return None
    kind = value.get("_type") if isinstance(value, dict) else None
    return kind if isinstance(kind, str) else None


def value_kinds(conn: sa.Connection, key_ids: Sequence[int]) -> dict[int, str | None]:
    """The kind of each key id's first non-null value, in one query.

    A key's values share a kind in practice, so one stored value answers for
    all of them; ``(key_id, step)`` is the primary key, so the first step of
    each key is an index lookup, and no schema change records kinds apart.
    """
    if not key_ids:
        return {}
    v, first = history_values, history_values.alias("first")
    first_step = (
        sa.select(sa.func.min(first.c.step))
        .where(first.c.key_id == v.c.key_id, first.c.payload != "null")
        .scalar_subquery()
    )
    query = sa.select(v.c.key_id, v.c.payload).where(
        v.c.key_id.in_(list(key_ids)), v.c.step == first_step
    )
    return {key_id: value_kind(payload) for key_id, payload in conn.execute(query)}


def load_points(
    conn: sa.Connection, key_ids: Sequence[int], lo: int | None = None, hi: int | None = None
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Numeric points per key id with ``lo <= step < hi``: (steps int64, values float64)."""
    return {key_id: (steps, values) for key_id, steps, values in iter_points(conn, key_ids, lo, hi)}


def iter_points(
    conn: sa.Connection, key_ids: Sequence[int], lo: int | None = None, hi: int | None = None
) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """``(key_id, steps, values)`` of each key with points in ``lo <= step < hi``, key by key.

    Steps come sorted and unique (of equal steps, the point written last). The
    chunks stream from one query in index order (ordering by chunk id would make
    the database sort the blobs); a caller that lets go of each key's arrays
    before the next keeps memory flat, and the allocator reuses the same pages,
    which matters more than it seems: fresh pages for a few hundred MB of
    points cost more than reading them.
    """
    if not key_ids:
        return
    c = history_chunks
    query = sa.select(c.c.key_id, c.c.id, c.c.steps, c.c["values"]).where(
        c.c.key_id.in_(list(key_ids))
    )
    if lo is not None:
        query = query.where(c.c.last_step >= lo)
    if hi is not None:
        query = query.where(c.c.first_step < hi)
    rows = conn.execute(query.order_by(c.c.key_id, c.c.first_step))
    for key_id, chunks in groupby(rows, key=_first):
        yield key_id, *_key_points(list(chunks), lo, hi)


def _first(row: Any) -> Any:
    return row[0]


def _chunk_id(row: Any) -> Any:
    return row[1]


def _key_points(chunks: list[Any], lo: int | None, hi: int | None) -> tuple[np.ndarray, np.ndarray]:
    """One key's points from its chunk rows ``(key_id, chunk_id, steps, values)``."""
    np = _np()
    if len(chunks) == 1:
        steps = np.frombuffer(chunks[0][2], dtype="<i8")
        values = np.frombuffer(chunks[0][3], dtype="<f8")
    else:
        chunks.sort(key=_chunk_id)  # in write order, for "last written wins"
        steps = np.frombuffer(b"".join([chunk[2] for chunk in chunks]), dtype="<i8")
        values = np.frombuffer(b"".join([chunk[3] for chunk in chunks]), dtype="<f8")
    if len(steps) > 1 and not bool(np.all(steps[1:] > steps[:-1])):
        order = np.argsort(steps, kind="stable")
        steps, values = steps[order], values[order]
        keep = np.ones(len(steps), dtype=bool)
        keep[:-1] = steps[1:] != steps[:-1]  # the last written of equal steps wins
        steps, values = steps[keep], values[keep]
    if lo is not None or hi is not None:
        first = 0 if lo is None else int(np.searchsorted(steps, lo, "left"))
        last = len(steps) if hi is None else int(np.searchsorted(steps, hi, "left"))
        steps, values = steps[first:last], values[first:last]
    return steps, values


def load_other(
    conn: sa.Connection, key_ids: Sequence[int], lo: int | None = None, hi: int | None = None
) -> dict[int, tuple[list[int], list[str]]]:
    """Non-numeric values per key id with ``lo <= step < hi``: (steps, JSON texts)."""
    if not key_ids:
        return {}
    v = history_values
    query = sa.select(v.c.key_id, v.c.step, v.c.payload).where(v.c.key_id.in_(list(key_ids)))
    if lo is not None:
        query = query.where(v.c.step >= lo)
    if hi is not None:
        query = query.where(v.c.step < hi)
    out: dict[int, tuple[list[int], list[str]]] = defaultdict(lambda: ([], []))
    for key_id, step, payload in conn.execute(query.order_by(v.c.key_id, v.c.step)):
        out[key_id][0].append(step)
        out[key_id][1].append(payload)
    return dict(out)


class _Loaded:
    """The points of some keys over a step range, ready to be cut into rows."""

    def __init__(
        self, conn: sa.Connection, keys: list[KeyRow], lo: int | None, hi: int | None
    ) -> None:
        self.keys = keys
        self.numeric = load_points(conn, [k.id for k in keys if k.count], lo, hi)
        self.other = load_other(conn, [k.id for k in keys if not k.numeric], lo, hi)

    def steps(self) -> np.ndarray:
        """Every step at which any of the keys has a value, sorted."""
        np = _np()
        parts = [s for s, _ in self.numeric.values()]
        parts += [np.asarray(s, dtype=np.int64) for s, _ in self.other.values()]
        if not parts:
            return np.zeros(0, dtype=np.int64)
        union = parts[0]  # sorted and unique already (see load_points)
        for part in parts[1:]:
            # Keys logged together share their steps: skip the merge for them.
            if not (len(part) == len(union) and bool(np.array_equal(part, union))):
                union = np.union1d(union, part)
        return union

    def rows(self, steps: np.ndarray) -> list[dict[str, Any]]:
        """One row per step in ``steps`` (sorted, each holding at least one value)."""
        np = _np()
        n = len(steps)
        rows: list[dict[str, Any]] = [{"_step": s} for s in steps.tolist()]
        if not n:
            return rows
        index: dict[int, int] | None = None
        for key in self.keys:
            if key.id in self.numeric:
                key_steps, values = self.numeric[key.id]
                pos = np.searchsorted(steps, key_steps)
                inside = pos < n
                inside[inside] = steps[pos[inside]] == key_steps[inside]
                name, as_int = key.key, key.integer
                for p, value in zip(pos[inside].tolist(), values[inside].tolist(), strict=True):
                    rows[p][name] = int(value) if as_int else value
            if key.id in self.other:
                if index is None:
                    index = {s: i for i, s in enumerate(steps.tolist())}
                for step, payload in zip(*self.other[key.id], strict=True):
                    at = index.get(step)
                    if at is not None:
                        rows[at][key.key] = decode_value(orjson.loads(payload))
        return rows


def read_rows(
    conn: sa.Connection,
    keys: list[KeyRow],
    lo: int | None,
    hi: int | None,
    limit: int | None,
) -> list[dict[str, Any]]:
    """Rows with ``lo <= _step < hi`` in step order, at most ``limit`` of them."""
    if not keys or (limit is not None and limit <= 0):
        return []
    bound = _limit_bound(conn, keys, lo, limit) if limit is not None else None
    if bound is not None and (hi is None or bound + 1 < hi):
        rows = _read(conn, keys, lo, bound + 1, limit)
        if len(rows) >= limit:  # type: ignore[operator]
            return rows
    return _read(conn, keys, lo, hi, limit)


def _read(
    conn: sa.Connection, keys: list[KeyRow], lo: int | None, hi: int | None, limit: int | None
) -> list[dict[str, Any]]:
    loaded = _Loaded(conn, keys, lo, hi)
    steps = loaded.steps()
    if limit is not None:
        steps = steps[:limit]
    return loaded.rows(steps)


def _limit_bound(
    conn: sa.Connection, keys: list[KeyRow], lo: int | None, limit: int | None
) -> int | None:
    """A step by which the first ``limit`` rows from ``lo`` surely end, or None.

    The densest key alone has ``limit`` values at or before the bound, so the
    rows (the union over keys) do too; reading stops there instead of at the
    end of the history. Found from chunk metadata, without reading points.
    """
    if limit is None:
        return None
    densest = max(keys, key=lambda k: k.count)
    if densest.numeric:
        np = _np()
        c = history_chunks
        query = sa.select(c.c.steps).where(c.c.key_id == densest.id)
        if lo is not None:
            query = query.where(c.c.last_step >= lo)
        query = query.order_by(c.c.first_step).limit(min(limit + 1, 64))
        found: list[Any] = []
        total = 0
        for (blob,) in conn.execute(query):
            steps = np.frombuffer(blob, "<i8")
            if lo is not None:
                steps = steps[steps >= lo]
            found.append(steps)
            total += len(steps)
            if total >= limit:
                # The limit-th smallest of these steps: that many values lie at or before it.
                return int(np.partition(np.concatenate(found), limit - 1)[limit - 1])
        return None
    v = history_values
    query = sa.select(v.c.step).where(v.c.key_id == densest.id)
    if lo is not None:
        query = query.where(v.c.step >= lo)
    step = conn.execute(query.order_by(v.c.step).offset(limit - 1).limit(1)).scalar()
    return None if step is None else int(step)


def sample_rows(conn: sa.Connection, keys: list[KeyRow], samples: int) -> list[dict[str, Any]]:
    """At most ``samples`` rows spread evenly over the steps, first and last included."""
    if samples < 1:
        raise UsageError("samples must be at least 1")
    if not keys:
        return []
    np = _np()
    loaded = _Loaded(conn, keys, None, None)
    steps = loaded.steps()
    if len(steps) > samples:
        picks = np.unique(np.round(np.linspace(0, len(steps) - 1, samples)).astype(np.int64))
        steps = steps[picks]
    return loaded.rows(steps)


# ====================================================================== series

SERIES_BATCH_KEYS = 4096
""":func:`series_many` reads the chunks of at most this many keys per query."""


def check_series_args(buckets: Any, min_x: Any, max_x: Any) -> None:
    if not isinstance(buckets, int) or not 1 <= buckets <= MAX_BUCKETS:
        raise UsageError(f"buckets must be an integer from 1 to {MAX_BUCKETS}, not {buckets!r}")
    for name, bound in (("min_x", min_x), ("max_x", max_x)):
        if bound is not None and (not isinstance(bound, (int, float)) or math.isnan(bound)):
            raise UsageError(f"{name} must be a number, not {bound!r}")


def _step_bounds(min_x: float | None, max_x: float | None) -> tuple[int | None, int | None]:
    """The step range ``lo <= step < hi`` of the x range, when x is ``_step``."""
    lo = None if min_x is None else math.ceil(min_x) if math.isfinite(min_x) else None
    hi = None if max_x is None else math.floor(max_x) + 1 if math.isfinite(max_x) else None
    return lo, hi


def series(
    conn: sa.Connection,
    run_pk: int,
    code: int,
    key: str,
    *,
    x_axis: str,
    min_x: float | None,
    max_x: float | None,
    buckets: int,
) -> Series:
    """A key's numeric points over ``x_axis``, bucketed into at most ``buckets`` entries."""
    check_series_args(buckets, min_x, max_x)
    empty = _empty(key, x_axis)
    wanted = [key] if x_axis == "_step" else [key, x_axis]
    found = {k.key: k.id for k in key_rows(conn, run_pk, code, wanted)}
    if key not in found or (x_axis != "_step" and x_axis not in found):
        return empty
    lo, hi = _step_bounds(min_x, max_x) if x_axis == "_step" else (None, None)
    points = load_points(conn, list(found.values()), lo, hi)
    return _series_of(points, found, key, x_axis, min_x, max_x, buckets)


def series_many(
    conn: sa.Connection,
    runs: dict[int, str],
    code: int,
    keys: Sequence[str],
    *,
    x_axis: str,
    min_x: float | None,
    max_x: float | None,
    buckets: int,
) -> list[tuple[str, Series]]:
    """:func:`series` of each key of each run (``{run pk: run id}``), as ``(run_id, series)``.

    Runs lacking a key (or the x axis key) are left out. The key rows come in
    one query and the chunks in one more per :data:`SERIES_BATCH_KEYS` keys;
    each key's points are bucketed as soon as they are read (with the x axis
    key, once both are), so memory holds a few keys' points at a time.
    """
    check_series_args(buckets, min_x, max_x)
    keys = list(dict.fromkeys(keys))
    if not runs or not keys:
        return []
    on_steps = x_axis == "_step"
    wanted = keys if on_steps else [*keys, x_axis]
    t = history_keys
    query = sa.select(t.c.run, t.c.key, t.c.id).where(
        t.c.run.in_(list(runs)), t.c.stream == code, t.c.key.in_(wanted)
    )
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for run_pk, key, key_id in conn.execute(query):
        found[run_pk][key] = key_id
    charted = [pk for pk in runs if pk in found and (on_steps or x_axis in found[pk])]
    owner = {key_id: (pk, key) for pk in charted for key, key_id in found[pk].items()}
    lo, hi = _step_bounds(min_x, max_x) if on_steps else (None, None)
    done: dict[tuple[int, str], Series] = {}
    pending: dict[int, dict[int, tuple[np.ndarray, np.ndarray]]] = defaultdict(dict)

    def chart(pk: int, points: dict[int, tuple[np.ndarray, np.ndarray]], key: str) -> None:
        done[(pk, key)] = _series_of(points, found[pk], key, x_axis, min_x, max_x, buckets)

    key_ids = list(owner)
    for i in range(0, len(key_ids), SERIES_BATCH_KEYS):
        for key_id, steps, values in iter_points(conn, key_ids[i : i + SERIES_BATCH_KEYS], lo, hi):
            pk, key = owner[key_id]
            if on_steps:
                chart(pk, {key_id: (steps, values)}, key)
                continue
            pending[pk][key_id] = (steps, values)
            if len(pending[pk]) == len(found[pk]):  # the run's keys and its x axis are in
                points = pending.pop(pk)
                for name in keys:
                    if name in found[pk]:
                        chart(pk, points, name)
    for pk, points in pending.items():  # runs with a key that has no numeric points
        for name in keys:
            if name in found[pk]:
                chart(pk, points, name)
    return [
        (runs[pk], done.get((pk, key)) or _empty(key, x_axis))
        for pk in charted
        for key in keys
        if key in found[pk]
    ]


def _empty(key: str, x_axis: str) -> Series:
    return Series(key, x_axis, [], [], [], [], [], [], False, 0)


def _series_of(
    points: dict[int, tuple[np.ndarray, np.ndarray]],
    key_ids: dict[str, int],
    key: str,
    x_axis: str,
    min_x: float | None,
    max_x: float | None,
    buckets: int,
) -> Series:
    """The series of ``key`` from loaded points (by key id; ``key_ids`` maps names to ids)."""
    np = _np()
    empty = _empty(key, x_axis)
    y_points = points.get(key_ids[key])
    if y_points is None:
        return empty
    if x_axis == "_step":
        # iter_points cut the steps to the x range already, sorted and unique; they stay
        # ints here, so bucketing needs no float copy of them.
        x, y = y_points
    else:
        x_points = points.get(key_ids[x_axis])
        if x_points is None:
            return empty
        y_steps, y_all = y_points
        x_steps, x_all = x_points
        if len(y_steps) == len(x_steps) and bool(np.array_equal(y_steps, x_steps)):
            x, y = x_all, y_all  # logged together: every step pairs up
        else:
            _, iy, ix = np.intersect1d(y_steps, x_steps, assume_unique=True, return_indices=True)
            y, x = y_all[iy], x_all[ix]
        keep = np.isfinite(x)
        if min_x is not None:
            keep &= x >= min_x
        if max_x is not None:
            keep &= x <= max_x
        if not bool(keep.all()):
            x, y = x[keep], y[keep]
        if len(x) > 1 and not bool(np.all(x[1:] >= x[:-1])):
            order = np.argsort(x, kind="stable")
            x, y = x[order], y[order]
    return _bucketed(key, x_axis, x, y, min_x, max_x, buckets)


def _bucketed(
    key: str,
    x_axis: str,
    x: np.ndarray,
    y: np.ndarray,
    min_x: float | None,
    max_x: float | None,
    buckets: int,
) -> Series:
    """Points (``x`` sorted, finite, inside the range) cut into equal-width x buckets."""
    np = _np()
    total = len(x)
    if total == 0:
        return _empty(key, x_axis)
    if total <= buckets:
        ys = _floats(y)
        xs = x.astype(np.float64, copy=False).tolist()
        return Series(key, x_axis, xs, ys, list(ys), list(ys), list(ys), [1] * total, False, total)
    lo_x = float(x[0]) if min_x is None or not math.isfinite(min_x) else float(min_x)
    hi_x = float(x[-1]) if max_x is None or not math.isfinite(max_x) else float(max_x)
    width = (hi_x - lo_x) / buckets
    if width > 0:
        # Bucket i holds lo_x + i * width <= x < lo_x + (i + 1) * width (the last one, x = hi_x
        # too); x is sorted, so its starts are found by binary search, not point by point.
        edges = lo_x + np.arange(1, buckets) * width
        if x.dtype.kind == "i":  # steps: the first step >= an edge is the first >= its ceiling
            edges = np.ceil(edges).astype(x.dtype)
        starts = np.r_[0, np.searchsorted(x, edges, "left")]
        starts = starts[np.r_[True, starts[1:] != starts[:-1]] & (starts < total)]
    else:
        starts = np.zeros(1, dtype=np.int64)
    ends = np.r_[starts[1:], total]
    counts = ends - starts
    sums = np.add.reduceat(y, starts)
    counted = counts
    if np.isnan(sums).any():  # only then is it worth leaving NaN points out point by point
        valid = ~np.isnan(y)
        counted = np.add.reduceat(valid.astype(np.int64), starts)
        sums = np.add.reduceat(np.where(valid, y, 0.0), starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counted > 0, sums / np.maximum(counted, 1), np.nan)
    return Series(
        key=key,
        x_axis=x_axis,
        x=x[ends - 1].astype(np.float64, copy=False).tolist(),
        min=_floats(np.fmin.reduceat(y, starts)),
        max=_floats(np.fmax.reduceat(y, starts)),
        mean=_floats(means),
        last=_floats(y[ends - 1]),
        count=counts.tolist(),
        sampled=True,
        total_points=total,
    )


def _floats(values: np.ndarray) -> list[float | None]:
    """Floats for JSON: NaN becomes None (±Inf stay)."""
    if not _np().isnan(values).any():
        return values.tolist()
    return [None if v != v else v for v in values.tolist()]
