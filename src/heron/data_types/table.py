"""Tables for ``run.log``: rows of numbers, strings, bools, JSON and media, kept as Parquet.

>>> table = heron.Table(columns=["id", "image", "label"])          # doctest: +SKIP
>>> table.add_data(0, heron.Image(pixels), "cat")                  # doctest: +SKIP
>>> run.log({"predictions": table})                                # doctest: +SKIP
>>> run.log({"big": heron.Table(dataframe=df)})                    # doctest: +SKIP

The API is wandb's (``add_data``, ``add_column``, ``get_column``,
``get_dataframe``, ``iterrows``, ``columns``, ``data``). Each column has one
type, set by its first value that is not None (or by ``dtype``): ``number``
(ints, floats, numpy scalars), ``string``, ``bool``, ``json`` (dicts, lists,
arrays), or a media type (``image-file``, ``audio-file``, …). A cell of
another type is refused, naming its row and column, unless
``allow_mixed_types=True`` (then the column becomes ``json``).

Logging writes one Parquet file (one Arrow column per table column, built
column-wise, so a million rows log in about a second): media cells are
logged as files of their own and stored as the JSON text of their stub, JSON
cells as JSON text; the column types ride in the Parquet schema's metadata, so
the server can page, sort and filter the file without the stub. Read a
logged table back with ``heron.Api().run(path).table(key)`` or
:meth:`Table.from_parquet`. pyarrow is needed (``pip install 'heron[media]'``)
and imported only when a table is built.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO, ClassVar

import orjson

from heron.data_types.base import Media, MediaSink
from heron.errors import InvalidValueError, MissingDependencyError, UsageError

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["COLUMN_TYPES", "MEDIA_CELL_TYPES", "Table", "require_pyarrow"]

MEDIA_CELL_TYPES = frozenset(
    {"image-file", "audio-file", "video-file", "html-file", "object3D-file"}
)
"""Media that may sit in a table cell (stored as the JSON text of its stub)."""
COLUMN_TYPES = frozenset({"number", "string", "bool", "json"}) | MEDIA_CELL_TYPES
METADATA_KEY = b"heron"
"""Parquet schema metadata key holding ``{"column_types": {...}}``."""

_DTYPE_NAMES = {int: "number", float: "number", str: "string", bool: "bool"}
_DTYPE_NAMES.update({dict: "json", list: "json", tuple: "json"})
_ARROW_FAILURES: tuple[type[BaseException], ...] = (OverflowError, TypeError, ValueError)


def require_pyarrow() -> Any:
    """The ``pyarrow`` module, or a :class:`MissingDependencyError` naming the ``media`` extra."""
    try:
        import pyarrow
        import pyarrow.parquet  # loads the submodule as pyarrow.parquet
    except ImportError:
        raise MissingDependencyError.for_extra("pyarrow (needed for tables)", "media") from None
    return pyarrow


def _dtype_kind(dtype: Any) -> str | None:
    """A column type from a ``dtype`` entry: a type name, a Python type or a Media class."""
    if dtype is None:
        return None
    if isinstance(dtype, str):
        if dtype in COLUMN_TYPES:
            return dtype
    elif dtype in _DTYPE_NAMES:
        return _DTYPE_NAMES[dtype]
    elif isinstance(dtype, type) and issubclass(dtype, Media):
        kind = getattr(dtype, "_type", None)
        if kind in MEDIA_CELL_TYPES:
            return str(kind)
    raise UsageError(
        f"unknown table dtype {dtype!r}: use int, float, str, bool, dict, list, a media class"
        f" (heron.Image, …) or one of {sorted(COLUMN_TYPES)}"
    )


def cell_kind(value: Any) -> str | None:
    """The column type a cell belongs in (None for None); raises for a value that cannot go in."""
    kind = type(value)
    if value is None:
        return None
    if kind is bool:
        return "bool"
    if kind is int or kind is float:
        return "number"
    if kind is str:
        return "string"
    if isinstance(value, Media):
        media = getattr(value, "_type", None)
        if media in MEDIA_CELL_TYPES:
            return str(media)
        raise TypeError(f"a {kind.__name__} cannot be a table cell")
    if isinstance(value, dict):
        media = value.get("_type")
        return media if media in MEDIA_CELL_TYPES else "json"  # a read-back media stub
    if isinstance(value, (list, tuple)):
        return "json"
    if kind.__module__ == "numpy":
        if getattr(value, "ndim", 0):
            return "json"  # an array: stored as nested lists
        dtype_kind = getattr(getattr(value, "dtype", None), "kind", "")
        if dtype_kind == "b":
            return "bool"
        if dtype_kind in "iuf" and dtype_kind:
            return "number"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    raise TypeError(f"a {kind.__name__} cannot be a table cell")


def _arrow_kind(arrow_type: Any) -> str | None:
    """The column type of an Arrow array pyarrow inferred by itself (None: not a simple one)."""
    import pyarrow as pa

    t = pa.types
    if t.is_integer(arrow_type) or t.is_floating(arrow_type):
        return "number"
    if t.is_boolean(arrow_type):
        return "bool"
    if t.is_string(arrow_type) or t.is_large_string(arrow_type):
        return "string"
    if t.is_null(arrow_type):
        return "null"
    return None


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):  # numpy scalars and arrays inside JSON cells
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _dumps(value: Any) -> str:
    return orjson.dumps(value, default=_json_default, option=orjson.OPT_SERIALIZE_NUMPY).decode()


class _Column:
    """One column: its values as a Python list, an Arrow array, or both (kept in step)."""

    __slots__ = ("arrow", "kind", "name", "values")

    def __init__(
        self, name: str, kind: str | None, values: list[Any] | None, arrow: Any = None
    ) -> None:
        self.name, self.kind = name, kind
        self.values, self.arrow = values, arrow

    def as_list(self) -> list[Any]:
        if self.values is None:
            self.values = self.arrow.to_pylist()
        return self.values

    def append(self, value: Any) -> None:
        self.as_list().append(value)
        self.arrow = None


class Table(Media):
    """A table of rows to log: wandb's ``Table``, stored as one Parquet file.

    ``columns`` names the columns (wandb's default ``["Input", "Output",
    "Expected"]`` when left out); ``data`` (or the legacy ``rows``) is a list of
    rows, a 2-D numpy array or a pandas DataFrame; ``dataframe`` is a pandas
    DataFrame (its own column names win). ``dtype`` fixes column types up
    front: one type for every column or a list with one per column (None
    leaves a column to its first value).
    """

    _type: ClassVar[str] = "table-file"

    def __init__(
        self,
        columns: Sequence[str] | None = None,
        data: Any = None,
        rows: Any = None,
        dataframe: Any = None,
        dtype: Any = None,
        allow_mixed_types: bool = False,
        **_wandb_only: Any,
    ) -> None:
        require_pyarrow()
        self._allow_mixed = bool(allow_mixed_types)
        self._cols: list[_Column] = []
        self._nrows = 0
        if dataframe is None and data is not None and _is_dataframe(data):
            dataframe, data = data, None
        if dataframe is not None:
            self._init_from_dataframe(dataframe, dtype)
            return
        if columns is None:
            columns = ["Input", "Output", "Expected"]
        if isinstance(columns, str):
            raise UsageError("columns must be a list of column names, not a string")
        names = list(columns)
        if data is None:
            data = rows
        if data is not None and type(data).__module__ == "numpy":
            if getattr(data, "ndim", 0) != 2:
                raise InvalidValueError("a numpy array of table data must be 2-D (rows, columns)")
            data = data.tolist()
        kinds = self._dtype_kinds(dtype, len(names))
        self._init_from_rows(names, kinds, [] if data is None else data)

    # ------------------------------------------------------------ building

    @staticmethod
    def _dtype_kinds(dtype: Any, ncols: int) -> list[str | None]:
        if isinstance(dtype, (list, tuple)):
            if len(dtype) != ncols:
                raise UsageError(f"dtype has {len(dtype)} entries for {ncols} columns")
            return [_dtype_kind(d) for d in dtype]
        return [_dtype_kind(dtype)] * ncols

    def _init_from_rows(self, names: list[str], kinds: list[str | None], data: Any) -> None:
        named: list[_Column] = []
        for name in names:
            self._check_new_name(name, named)
            named.append(_Column(name, None, []))
        rows = data if isinstance(data, list) else list(data)
        width = len(names)
        for i, row in enumerate(rows):
            if not isinstance(row, (list, tuple)) or len(row) != width:
                shape = f"{len(row)} values" if isinstance(row, (list, tuple)) else repr(row)
                raise InvalidValueError(
                    f"table row {i} has {shape}; each row needs {width} values,"
                    f" one per column {names}"
                )
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
        for name, kind, values in zip(names, kinds, columns, strict=True):
            self._cols.append(self._build_column(name, list(values), kind))
        self._nrows = len(rows)

    def _init_from_dataframe(self, frame: Any, dtype: Any) -> None:
        pa = require_pyarrow()
        names = [str(c) for c in frame.columns]
        kinds = self._dtype_kinds(dtype, len(names))
        for i, name in enumerate(names):
            self._check_new_name(name, self._cols)
            series = frame.iloc[:, i]
            arrow = None
            if getattr(series.dtype, "kind", "O") in "biuf":  # numpy-backed: no per-cell work
                arrow = pa.array(series.to_numpy())
                found = _arrow_kind(arrow.type)
                if kinds[i] not in (None, found):
                    arrow = None  # let the cell-by-cell check name the first wrong cell
            if arrow is not None:
                self._cols.append(_Column(name, _arrow_kind(arrow.type), None, arrow))
            else:  # objects, strings, categories: missing values (NaN, NA) become None
                values, missing = series.tolist(), series.isna().to_numpy()
                if missing.any():
                    values = [
                        None if m else v for v, m in zip(values, missing.tolist(), strict=True)
                    ]
                self._cols.append(self._build_column(name, values, kinds[i]))
        self._nrows = len(frame)

    @staticmethod
    def _check_new_name(name: Any, cols: list[_Column]) -> None:
        if not isinstance(name, str) or not name:
            raise UsageError(f"a table column name must be a non-empty string, not {name!r}")
        if any(c.name == name for c in cols):
            raise UsageError(f"the table already has a column named {name!r}")

    def _build_column(self, name: str, values: list[Any], kind: str | None) -> _Column:
        """A column from Python values: pyarrow infers simple ones; the rest is checked by cell."""
        pa = require_pyarrow()
        if kind is None or kind in ("number", "string", "bool"):
            try:
                arrow = pa.array(values)
            except (*_ARROW_FAILURES, pa.ArrowException):
                arrow = None
            found = None if arrow is None else _arrow_kind(arrow.type)
            if found is not None and kind in (None, found):
                if found == "null":
                    return _Column(name, kind, values)
                return _Column(name, found, values, arrow)
        column = _Column(name, kind, values)
        for row, value in enumerate(values):
            column.kind = self._checked_kind(column, row, value)
        return column

    def _checked_kind(self, column: _Column, row: int, value: Any) -> str | None:
        """The column's type once ``value`` (at ``row``) is in it; raises when it cannot be."""
        try:
            kind = cell_kind(value)
        except TypeError as exc:
            raise InvalidValueError(
                f"table row {row}, column {column.name!r}: {exc}; cells may be numbers,"
                " strings, bools, None, dicts/lists (JSON) or media (heron.Image, …)"
            ) from None
        if kind is None or kind == column.kind or (column.kind == "json" and kind in _JSONABLE):
            return column.kind
        if column.kind is None:
            return kind
        if self._allow_mixed:
            return "json"
        raise InvalidValueError(
            f"table row {row}, column {column.name!r}: a {type(value).__name__} ({kind}) in a"
            f" column of {column.kind} values; convert it, or pass allow_mixed_types=True"
            " to keep mixed values as JSON"
        )

    # ------------------------------------------------------------ wandb's API

    @property
    def columns(self) -> list[str]:
        """The column names, in order."""
        return [c.name for c in self._cols]

    @property
    def data(self) -> list[list[Any]]:
        """The rows, each a list with one value per column."""
        if not self._cols:
            return []
        return [list(row) for row in zip(*(c.as_list() for c in self._cols), strict=True)]

    @property
    def column_types(self) -> dict[str, str]:
        """Each column's type (``number``, ``string``, ``bool``, ``json`` or a media type)."""
        return {c.name: c.kind or "string" for c in self._cols}

    @property
    def nrows(self) -> int:
        return self._nrows

    def add_data(self, *data: Any) -> None:
        """Append one row: one value per column, in column order."""
        if len(data) != len(self._cols):
            raise InvalidValueError(
                f"add_data got {len(data)} values for {len(self._cols)} columns {self.columns}"
            )
        kinds = [
            self._checked_kind(c, self._nrows, v) for c, v in zip(self._cols, data, strict=True)
        ]
        for column, kind, value in zip(self._cols, kinds, data, strict=True):
            column.kind = kind
            column.append(value)
        self._nrows += 1

    def add_row(self, *data: Any) -> None:
        """wandb's older name for :meth:`add_data`."""
        self.add_data(*data)

    def add_column(self, name: str, data: Any, optional: bool = False) -> None:
        """Append a column; ``data`` has one value per row (any number when the table is empty)."""
        self._check_new_name(name, self._cols)
        values = data.tolist() if type(data).__module__ == "numpy" else list(data)
        if self._cols and len(values) != self._nrows:
            raise InvalidValueError(
                f"column {name!r} has {len(values)} values for a table of {self._nrows} rows"
            )
        self._cols.append(self._build_column(name, values, None))
        self._nrows = len(values)

    def get_column(self, name: str, convert_to: str | None = None) -> Any:
        """A column's values as a list, or a numpy array with ``convert_to="numpy"``."""
        column = self._column(name)
        if convert_to is None:
            return list(column.as_list())
        if convert_to != "numpy":
            raise UsageError(f"convert_to must be None or 'numpy', not {convert_to!r}")
        if column.arrow is not None and column.arrow.null_count == 0:
            return column.arrow.to_numpy(zero_copy_only=False)
        import numpy as np

        return np.array(column.as_list())

    def get_index(self) -> list[int]:
        """The row indexes, ``[0, 1, …, nrows - 1]``."""
        return list(range(self._nrows))

    def get_dataframe(self) -> Any:
        """The table as a pandas DataFrame (media cells as their stub dicts once logged)."""
        import pandas as pd

        frame = {}
        for column in self._cols:
            if column.arrow is not None and column.arrow.null_count == 0:
                frame[column.name] = column.arrow.to_numpy(zero_copy_only=False)
            else:
                frame[column.name] = column.as_list()
        return pd.DataFrame(frame, columns=self.columns)

    def iterrows(self) -> Iterator[tuple[int, list[Any]]]:
        """``(index, row)`` for each row, in order."""
        lists = [c.as_list() for c in self._cols]
        for i in range(self._nrows):
            yield i, [values[i] for values in lists]

    def _column(self, name: str) -> _Column:
        for column in self._cols:
            if column.name == name:
                return column
        raise UsageError(f"the table has no column {name!r}; its columns are {self.columns}")

    # ------------------------------------------------------------ Parquet

    def to_arrow(self, sink: MediaSink | None = None, key: str = "table") -> pa.Table:
        """The table as an Arrow table; media cells are logged to ``sink`` (needed if any)."""
        pa = require_pyarrow()
        arrays = [self._arrow_column(c, sink, key) for c in self._cols]
        meta = {"column_types": self.column_types}
        schema = pa.schema(
            [pa.field(c.name, a.type) for c, a in zip(self._cols, arrays, strict=True)],
            metadata={METADATA_KEY: orjson.dumps(meta)},
        )
        return pa.Table.from_arrays(arrays, schema=schema)

    def _arrow_column(self, column: _Column, sink: MediaSink | None, key: str) -> Any:
        pa = require_pyarrow()
        if column.arrow is not None:
            return column.arrow
        values = column.as_list()
        if column.kind is None:
            return pa.array(values, type=pa.string())  # every cell None
        if column.kind in MEDIA_CELL_TYPES or column.kind == "json":
            texts = [self._cell_text(column, row, v, sink, key) for row, v in enumerate(values)]
            return pa.array(texts, type=pa.string())
        try:
            return pa.array(values)
        except (*_ARROW_FAILURES, pa.ArrowException):  # ints beyond int64 and the like
            if column.kind == "number":
                return pa.array([None if v is None else float(v) for v in values])
            return pa.array([None if v is None else str(v) for v in values], type=pa.string())

    @staticmethod
    def _cell_text(
        column: _Column, row: int, value: Any, sink: MediaSink | None, key: str
    ) -> str | None:
        if value is None:
            return None
        if isinstance(value, Media):
            if sink is None:
                raise UsageError("a table with media cells needs a run to keep their files")
            value = value._heron_serialize(sink, f"{key}/{column.name}")
        try:
            return _dumps(value)
        except TypeError as exc:
            raise InvalidValueError(
                f"table row {row}, column {column.name!r} is not JSON: {exc}"
            ) from None

    def to_parquet(self, sink: MediaSink | None = None, key: str = "table") -> bytes:
        """The Parquet bytes :meth:`to_stub` logs."""
        pa = require_pyarrow()
        out = io.BytesIO()
        pa.parquet.write_table(self.to_arrow(sink, key), out)
        return out.getvalue()

    def to_stub(self, sink: MediaSink, key: str) -> dict[str, Any]:
        data = self.to_parquet(sink, key)
        return {
            "_type": self._type,
            **sink.store_media(key, "tables", "parquet", data),
            "format": "parquet",
            "nrows": self._nrows,
            "ncols": len(self._cols),
            "columns": self.columns,
            "column_types": self.column_types,
        }

    @classmethod
    def from_arrow(cls, arrow_table: pa.Table) -> Table:
        """A Table from an Arrow table written by :meth:`to_arrow` (or any simple one)."""
        kinds = column_types_of(arrow_table)
        table = cls(columns=[])
        for name, array in zip(arrow_table.column_names, arrow_table.columns, strict=True):
            kind = kinds[name]
            if kind in ("number", "string", "bool"):
                table._cols.append(_Column(name, kind, None, array.combine_chunks()))
            elif _arrow_kind(array.type) in ("string", "null"):  # JSON text, as Heron writes it
                values = [None if s is None else orjson.loads(s) for s in array.to_pylist()]
                table._cols.append(_Column(name, kind, values))
            else:  # lists and structs of a Parquet file Heron did not write
                table._cols.append(_Column(name, kind, array.to_pylist()))
        table._nrows = arrow_table.num_rows
        return table

    @classmethod
    def from_parquet(cls, source: bytes | BinaryIO) -> Table:
        """Read a table logged by :meth:`to_stub` from its Parquet bytes (or a file object)."""
        pa = require_pyarrow()
        data = pa.BufferReader(source) if isinstance(source, bytes) else source
        return cls.from_arrow(pa.parquet.read_table(data))

    # ------------------------------------------------------------ comparisons

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Table):
            return NotImplemented
        return self.columns == other.columns and self.data == other.data

    __hash__ = None  # type: ignore[assignment]

    def __len__(self) -> int:
        return self._nrows

    def __repr__(self) -> str:
        return f"<heron.Table {self._nrows} rows x {len(self._cols)} columns {self.columns}>"


_JSONABLE = frozenset({"number", "string", "bool", "json"})
"""Cell types a ``json`` column takes as they are."""


def column_types_of(arrow_table: Any) -> dict[str, str]:
    """Each column's type: from Heron's schema metadata, else guessed from the Arrow types.

    Columns Heron did not write and that are not numbers, bools or strings
    are reported as ``json`` (the reader turns them into JSON text).
    """
    meta = arrow_table.schema.metadata or {}
    stored = (
        orjson.loads(meta[METADATA_KEY]).get("column_types", {}) if METADATA_KEY in meta else {}
    )
    out = {}
    for name, field in zip(arrow_table.column_names, arrow_table.schema, strict=True):
        kind = stored.get(name)
        if kind not in COLUMN_TYPES:
            found = _arrow_kind(field.type)
            kind = "string" if found == "null" else found or "json"
        out[name] = kind
    return out


def _is_dataframe(value: Any) -> bool:
    return type(value).__module__.startswith("pandas") and hasattr(value, "iloc")
