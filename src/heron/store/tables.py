"""Queries over logged tables: page, sort, filter and summarise a Parquet table with pyarrow.

The server answers ``GET /api/v1/tables/{sha256}`` and ``…/stats`` with these
pure functions over a decoded table (:class:`LoadedTable`), kept in a small
in-process :class:`TableCache` bounded by bytes, so paging through a
million-row table decodes its Parquet file once.

Filters are a small expression language over column names, parsed by hand
(nothing is evaluated) into a pyarrow compute expression::

    acc > 0.5 and label == "cat"
    not (split in ["train", "val"]) or caption contains "dog"
    `val/loss` <= 0.1 and score != null and is_correct

Comparisons are ``== != < <= > >=`` (``=`` means ``==``); ``in [..]`` tests
membership; ``contains`` matches a substring, ignoring case (on JSON and media
columns it searches their JSON text); ``and``, ``or``, ``not`` and parentheses
combine them; a bool column alone is a condition. Literals are numbers,
strings in single or double quotes, ``true``/``false`` and ``null``. Names
that are not plain identifiers (spaces, ``-`` at the start, keywords) go in
backticks. A comparison with a missing (null) value is false, as in SQL;
``x == null`` and ``x != null`` test for missing values.
"""

from __future__ import annotations

import ast
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

import orjson

from heron.data_types.table import MEDIA_CELL_TYPES, column_types_of, require_pyarrow
from heron.errors import UsageError

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "MAX_PAGE_ROWS",
    "LoadedTable",
    "TableCache",
    "load_table",
    "parse_filter",
    "query_table",
    "table_stats",
]

MAX_PAGE_ROWS = 1000
"""Most rows one page may hold."""
TOP_VALUES = 10
"""How many most frequent values ``stats`` lists for a string or bool column."""
_SELECT_K_LIMIT = 10_000
"""Pages ending before this row are cut with a top-k selection instead of a full sort."""
_TEXT_KINDS = frozenset({"json"}) | MEDIA_CELL_TYPES


@dataclass
class LoadedTable:
    """A decoded table: its Arrow data, each column's type, and memoised stats by filter."""

    arrow: pa.Table
    column_types: dict[str, str]
    stats: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        return int(self.arrow.nbytes)


def load_table(source: bytes | BinaryIO) -> LoadedTable:
    """Decode a Parquet table (as :class:`heron.Table` writes it, or any flat one)."""
    pa = require_pyarrow()
    data = pa.BufferReader(source) if isinstance(source, bytes) else source
    try:
        arrow = pa.parquet.read_table(data)
    except (pa.ArrowException, OSError) as exc:
        raise UsageError(f"this blob is not a Parquet table: {exc}") from None
    arrow = arrow.combine_chunks()
    return LoadedTable(arrow, column_types_of(arrow))


class TableCache:
    """Decoded tables by sha256, least recently used dropped first, at most ``max_bytes``.

    A table larger than the whole budget is decoded for the request and not kept.
    Safe to share between the server's threads.
    """

    def __init__(self, max_bytes: int = 512 << 20) -> None:
        self.max_bytes = max_bytes
        self._tables: OrderedDict[str, LoadedTable] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, sha256: str, load: Callable[[], LoadedTable]) -> LoadedTable:
        with self._lock:
            found = self._tables.get(sha256)
            if found is not None:
                self._tables.move_to_end(sha256)
                return found
        table = load()  # outside the lock: decoding may take a while
        size = table.nbytes
        if size > self.max_bytes:
            return table
        with self._lock:
            if sha256 not in self._tables:
                self._tables[sha256] = table
                self._bytes += size
            while self._bytes > self.max_bytes:
                _, dropped = self._tables.popitem(last=False)
                self._bytes -= dropped.nbytes
        return table

    def __len__(self) -> int:
        return len(self._tables)


# ---------------------------------------------------------------------- filters

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<number>-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<quoted>`[^`]+`)
  | (?P<op>==|!=|<=|>=|<|>|=|\(|\)|\[|\]|,)
  | (?P<name>[A-Za-z_][A-Za-z0-9_./:\-]*)
  )""",
    re.VERBOSE,
)
_KEYWORDS = frozenset({"and", "or", "not", "in", "contains"})
_LITERAL_WORDS = {"true": True, "false": False, "null": None, "none": None}
_COMPARISONS = {"==": "==", "=": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_FLIPPED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_MISSING = object()


@dataclass(frozen=True)
class _Token:
    kind: str  # number, string, name, column (backticked), op, keyword, end
    text: str
    at: int


def _tokens(text: str) -> list[_Token]:
    out, at = [], 0
    while at < len(text):
        if text[at:].strip() == "":
            break
        m = _TOKEN.match(text, at)
        if m is None or m.end() == at:
            at += len(text[at:]) - len(text[at:].lstrip())
            raise UsageError(f"bad filter at character {at + 1}: cannot read {text[at:][:20]!r}")
        kind = m.lastgroup or ""
        value = m.group(kind)
        start = m.start(kind)
        if kind == "name" and value.lower() in _KEYWORDS:
            kind, value = "keyword", value.lower()
        elif kind == "quoted":
            kind, value = "column", value[1:-1]
        out.append(_Token(kind, value, start))
        at = m.end()
    out.append(_Token("end", "", len(text)))
    return out


class _Parser:
    """Recursive descent over the tokens; builds a pyarrow expression, checking column types."""

    def __init__(self, text: str, column_types: dict[str, str], arrow_types: dict[str, Any]):
        self.tokens = _tokens(text)
        self.pos = 0
        self.types = column_types
        self.arrow_types = arrow_types
        self.pc = require_pyarrow().compute

    # -------------------------------------------------------- tokens

    def peek(self) -> _Token:
        return self.tokens[self.pos]

    def take(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def expect(self, kind: str, text: str | None = None) -> _Token:
        token = self.take()
        if token.kind != kind or (text is not None and token.text != text):
            wanted = repr(text) if text is not None else kind
            raise self.error(token, f"expected {wanted}")
        return token

    def error(self, token: _Token, message: str) -> UsageError:
        found = "the end" if token.kind == "end" else repr(token.text)
        return UsageError(f"bad filter at character {token.at + 1} ({found}): {message}")

    def at_keyword(self, word: str) -> bool:
        token = self.peek()
        return token.kind == "keyword" and token.text == word

    # -------------------------------------------------------- grammar

    def parse(self) -> Any:
        expression = self.disjunction()
        token = self.peek()
        if token.kind != "end":
            raise self.error(token, "expected 'and', 'or' or the end of the filter")
        return expression

    def disjunction(self) -> Any:
        expression = self.conjunction()
        while self.at_keyword("or"):
            self.take()
            expression = expression | self.conjunction()
        return expression

    def conjunction(self) -> Any:
        expression = self.negation()
        while self.at_keyword("and"):
            self.take()
            expression = expression & self.negation()
        return expression

    def negation(self) -> Any:
        if self.at_keyword("not"):
            self.take()
            return ~self.negation()
        return self.condition()

    def condition(self) -> Any:
        token = self.peek()
        if token.kind == "op" and token.text == "(":
            self.take()
            expression = self.disjunction()
            self.expect("op", ")")
            return expression
        left = self.operand()
        token = self.peek()
        if token.kind == "op" and token.text in _COMPARISONS:
            self.take()
            return self.compare(left, _COMPARISONS[token.text], self.operand(), token)
        if self.at_keyword("in"):
            self.take()
            return self.membership(left, token)
        if self.at_keyword("not") and self.tokens[self.pos + 1].text == "in":
            self.pos += 2
            return ~self.membership(left, token)
        if self.at_keyword("contains"):
            self.take()
            return self.contains(left, token)
        if isinstance(left, _Column) and self.types[left.name] == "bool":
            return self.pc.field(left.name)
        raise self.error(token, "expected a comparison (== != < <= > >=), 'in' or 'contains'")

    def operand(self) -> Any:
        token = self.take()
        if token.kind == "number":
            return float(token.text) if any(c in token.text for c in ".eE") else int(token.text)
        if token.kind == "string":
            return ast.literal_eval(token.text)  # a string literal and nothing else (tokenizer)
        if token.kind == "name" and token.text.lower() in _LITERAL_WORDS:
            return _LITERAL_WORDS[token.text.lower()]
        if token.kind in ("name", "column"):
            if token.text not in self.types:
                raise self.error(
                    token, f"no column {token.text!r}; the columns are {sorted(self.types)}"
                )
            return _Column(token.text)
        raise self.error(token, "expected a column name or a value")

    # -------------------------------------------------------- conditions

    def compare(self, left: Any, op: str, right: Any, token: _Token) -> Any:
        if not isinstance(left, _Column):
            if not isinstance(right, _Column):
                raise self.error(token, "compare a column with a value or another column")
            left, op, right = right, _FLIPPED[op], left
        kind = self.types[left.name]
        column = self.pc.field(left.name)
        if right is None:
            if op not in ("==", "!="):
                raise self.error(token, "only == and != compare with null")
            return column.is_null() if op == "==" else column.is_valid()
        if isinstance(right, _Column):
            other = self.types[right.name]
            if kind != other or kind in _TEXT_KINDS:
                raise self.error(
                    token, f"cannot compare {left.name!r} ({kind}) with {right.name!r} ({other})"
                )
            value: Any = self.pc.field(right.name)
        else:
            value = self.check_literal(left.name, kind, right, token)
        if kind == "bool" and op not in ("==", "!="):
            raise self.error(token, f"{left.name!r} is a bool column: use == or !=")
        return _apply(column, op, value)

    def check_literal(self, name: str, kind: str, value: Any, token: _Token) -> Any:
        wanted = {"number": (int, float), "string": (str,), "bool": (bool,)}.get(kind)
        if wanted is None:
            raise self.error(
                token, f"{name!r} holds {kind} values: filter it with 'contains' or '== null'"
            )
        if isinstance(value, bool) != (kind == "bool") or not isinstance(value, wanted):
            shown = {"number": "a number", "string": "a quoted string", "bool": "true or false"}
            raise self.error(token, f"{name!r} is a {kind} column: compare it with {shown[kind]}")
        return value

    def membership(self, left: Any, token: _Token) -> Any:
        if not isinstance(left, _Column):
            raise self.error(token, "'in' needs a column on its left")
        self.expect("op", "[")
        values = []
        while not (self.peek().kind == "op" and self.peek().text == "]"):
            item_token = self.peek()
            item = self.operand()
            if isinstance(item, _Column):
                raise self.error(item_token, "a list after 'in' holds values, not columns")
            values.append(item)
            if self.peek().kind == "op" and self.peek().text == ",":
                self.take()
            elif not (self.peek().kind == "op" and self.peek().text == "]"):
                raise self.error(self.peek(), "expected ',' or ']'")
        self.expect("op", "]")
        kind = self.types[left.name]
        present = [self.check_literal(left.name, kind, v, token) for v in values if v is not None]
        column = self.pc.field(left.name)
        pa = require_pyarrow()
        if kind == "number":
            arrow_type = self.arrow_types[left.name]
            if pa.types.is_integer(arrow_type) and all(isinstance(v, int) for v in present):
                found = column.isin(pa.array(present, type=pa.int64()))
            else:
                found = column.cast(pa.float64()).isin(pa.array(present, type=pa.float64()))
        else:
            found = column.isin(pa.array(present, type=self.arrow_types[left.name]))
        return (found | column.is_null()) if None in values else found

    def contains(self, left: Any, token: _Token) -> Any:
        if not isinstance(left, _Column):
            raise self.error(token, "'contains' needs a column on its left")
        pattern_token = self.peek()
        pattern = self.operand()
        if not isinstance(pattern, str):
            raise self.error(pattern_token, "'contains' takes a quoted string")
        if self.types[left.name] in ("number", "bool"):
            raise self.error(token, f"{left.name!r} is a {self.types[left.name]} column")
        return self.pc.match_substring(self.pc.field(left.name), pattern, ignore_case=True)


@dataclass(frozen=True)
class _Column:
    name: str


def _apply(column: Any, op: str, value: Any) -> Any:
    if op == "==":
        return column == value
    if op == "!=":
        return column != value
    if op == "<":
        return column < value
    if op == "<=":
        return column <= value
    if op == ">":
        return column > value
    return column >= value


def parse_filter(text: str, table: LoadedTable) -> Any:
    """The pyarrow expression of a filter over ``table``'s columns; UsageError names a problem."""
    if not isinstance(text, str) or not text.strip():
        raise UsageError("a filter must be a non-empty expression, e.g. acc > 0.5")
    if len(text) > 4000:
        raise UsageError("a filter may be at most 4000 characters long")
    arrow_types = {f.name: f.type for f in table.arrow.schema}
    return _Parser(text, table.column_types, arrow_types).parse()


def _filtered(table: LoadedTable, text: str | None) -> pa.Table:
    if text is None or not text.strip():
        return table.arrow
    return table.arrow.filter(parse_filter(text, table))


# ---------------------------------------------------------------------- pages


def query_table(
    table: LoadedTable,
    *,
    offset: int = 0,
    limit: int = 50,
    sort: str | None = None,
    desc: bool = False,
    filter: str | None = None,
) -> dict[str, Any]:
    """One page of rows after filtering and sorting, as the table endpoint answers it.

    Sorting is stable (ties keep their logged order); missing values sort
    last either way, NaN just before them. JSON and media cells come back
    decoded (media as their stub objects).
    """
    pa = require_pyarrow()
    pc = pa.compute
    if not isinstance(offset, int) or offset < 0:
        raise UsageError("offset must be an integer of 0 or more")
    if not isinstance(limit, int) or not 0 <= limit <= MAX_PAGE_ROWS:
        raise UsageError(f"limit must be an integer from 0 to {MAX_PAGE_ROWS}")
    if sort is not None and sort not in table.column_types:
        raise UsageError(f"cannot sort by {sort!r}: the columns are {list(table.column_types)}")
    rows = _filtered(table, filter)
    total = rows.num_rows
    end = min(offset + limit, total)
    if offset >= end:
        page = rows.slice(0, 0)
    elif sort is None:
        page = rows.slice(offset, end - offset)
    else:
        order = "descending" if desc else "ascending"
        if end <= _SELECT_K_LIMIT:
            # Top-k is O(n); the row number as second key keeps ties in logged order.
            keyed = pa.table({"v": rows.column(sort), "r": _arange(total)})
            indices = pc.select_k_unstable(
                keyed, k=end, sort_keys=[("v", order), ("r", "ascending")]
            )
        else:
            indices = pc.sort_indices(rows, sort_keys=[(sort, order)])
        page = rows.take(indices.slice(offset, end - offset))
    return {
        "columns": list(table.column_types),
        "column_types": dict(table.column_types),
        "rows": _rows(page, table.column_types),
        "total": total,
        "nrows": table.arrow.num_rows,
    }


def _arange(n: int) -> Any:
    import numpy as np

    return np.arange(n, dtype=np.int64)


def _rows(page: pa.Table, column_types: dict[str, str]) -> list[list[Any]]:
    columns = []
    for name, kind in column_types.items():
        values = page.column(name).to_pylist()
        if kind in _TEXT_KINDS and page.schema.field(name).type in _string_types():
            values = [None if v is None else orjson.loads(v) for v in values]
        columns.append(values)
    return [list(row) for row in zip(*columns, strict=True)] if columns else []


def _string_types() -> tuple[Any, ...]:
    pa = require_pyarrow()
    return (pa.string(), pa.large_string())


# ---------------------------------------------------------------------- stats


def table_stats(table: LoadedTable, filter: str | None = None) -> dict[str, Any]:
    """Per column: type, count of values, nulls, and min/max/mean or distinct/top values.

    Numbers get ``min``, ``max`` and ``mean`` (NaN left out); strings and
    bools get ``distinct`` and their ``top`` most frequent values as
    ``[value, count]`` pairs; JSON and media columns only counts. Memoised per
    filter on the cached table.
    """
    memo_key = (filter or "").strip()
    found = table.stats.get(memo_key)
    if found is not None:
        return found
    rows = _filtered(table, filter)
    stats = {
        name: _column_stats(rows.column(name), kind) for name, kind in table.column_types.items()
    }
    result = {"stats": stats, "total": rows.num_rows, "nrows": table.arrow.num_rows}
    if len(table.stats) >= 16:
        table.stats.pop(next(iter(table.stats)))
    table.stats[memo_key] = result
    return result


def _column_stats(column: Any, kind: str) -> dict[str, Any]:
    pa = require_pyarrow()
    pc = pa.compute
    nulls = int(column.null_count)
    out: dict[str, Any] = {"type": kind, "count": len(column) - nulls, "nulls": nulls}
    if kind == "number" and out["count"]:
        values = column
        if pa.types.is_floating(column.type):
            values = pc.filter(column, pc.invert(pc.is_nan(column)))
        bounds = pc.min_max(values).as_py()
        mean = pc.mean(values).as_py()
        out.update(min=bounds["min"], max=bounds["max"], mean=mean)
    elif kind in ("string", "bool") and out["count"]:
        counts = pc.value_counts(column.drop_null())
        ranked = pa.table({"n": counts.field("counts"), "v": counts.field("values")})
        top = pc.select_k_unstable(  # ties by value, so the answer does not vary
            ranked,
            k=min(TOP_VALUES, len(counts)),
            sort_keys=[("n", "descending"), ("v", "ascending")],
        )
        out["distinct"] = len(counts)
        out["top"] = [
            [counts.field("values")[i].as_py(), counts.field("counts")[i].as_py()]
            for i in top.to_pylist()
        ]
    return out
