"""``weave.Dataset``: versioned rows, stored as a row table and read back page by page.

A Dataset's value holds only the ref of its rows' table (``weave:///e/p/table/DIGEST``);
the rows are stored once per distinct table, however many Dataset versions
or objects refer to them. Read back, the rows are a :class:`Table` that
fetches :data:`PAGE_ROWS` rows at a time as they are used, so ``len()``, an
index, or the first rows of a 100,000-row dataset cost one small request.

>>> ds = weave.Dataset(name="grammar", rows=[{"id": "0", "sentence": "He no likes it."}])
>>> ref = weave.publish(ds)                      # doctest: +SKIP
>>> weave.ref("grammar").get()[0]["sentence"]     # doctest: +SKIP
'He no likes it.'
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, overload

from pydantic import field_validator

from heron.errors import MissingDependencyError, UsageError
from heron.weave.objects import Object, _Encoder, _publish_client, decode_tagged, publish
from heron.weave.refs import ObjectRef, TableRef

if TYPE_CHECKING:
    import pandas as pd

    from heron.weave.call import Call
    from heron.weave.client import WeaveClient

PAGE_ROWS = 1000
"""Rows fetched per request when a stored table is indexed."""
SCAN_ROWS = 10_000
"""Rows fetched per request when a stored table is iterated."""
_PAGES_KEPT = 8


class Table:
    """Rows in order: a list in memory, or a stored table read lazily.

    ``ref`` is the table's :class:`~heron.weave.refs.TableRef` once it is
    stored (or when it was read from the store); changing the rows through
    :meth:`append` clears it. Rows changed in place after publishing are not
    noticed: build a new Table (or Dataset) instead.
    """

    def __init__(self, rows: Iterable[Any] = ()) -> None:
        if isinstance(rows, (str, bytes, dict)):
            raise UsageError(f"a Table takes an iterable of rows, not a {type(rows).__name__}")
        self._rows: list[Any] | None = list(rows)
        self._ref: TableRef | None = None
        self._client: WeaveClient | None = None
        self._count: int | None = None
        self._pages: dict[int, list[Any]] = {}

    @classmethod
    def _stored(cls, client: WeaveClient, ref: TableRef, row_count: int | None = None) -> Table:
        table = cls()
        table._rows = None
        table._ref = ref
        table._client = client
        table._count = row_count
        return table

    @property
    def ref(self) -> TableRef | None:
        """Where the rows are stored (None until they are)."""
        return self._ref

    @property
    def rows(self) -> list[Any]:
        """Every row as a list (a stored table is read whole: iterate for big ones)."""
        return self._rows if self._rows is not None else list(self)

    def _fetch(self, offset: int, limit: int) -> list[Any]:
        assert self._client is not None and self._ref is not None
        ref = self._ref
        rows = self._client.store().table_rows(
            ref.entity, ref.project, ref.digest, offset=offset, limit=limit
        )
        return [_plain(row["val"]) for row in rows]

    def __len__(self) -> int:
        if self._rows is not None:
            return len(self._rows)
        if self._count is None:
            assert self._client is not None and self._ref is not None
            ref = self._ref
            info = self._client.store().get_table(ref.entity, ref.project, ref.digest)
            self._count = int(info["row_count"])
        return self._count

    def __iter__(self) -> Iterator[Any]:
        if self._rows is not None:
            yield from self._rows
            return
        offset = 0
        while True:
            page = self._fetch(offset, SCAN_ROWS)
            yield from page
            offset += len(page)
            if len(page) < SCAN_ROWS:
                return

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if self._rows is not None:
            return self._rows[index]
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            return self._fetch(start, max(0, stop - start)) if stop > start else []
        if not isinstance(index, int) or isinstance(index, bool):
            raise UsageError(f"rows are indexed by int or slice, not {type(index).__name__}")
        if index < 0:
            index += len(self)
        if index < 0:
            raise IndexError("row index out of range")
        number = index // PAGE_ROWS
        page = self._pages.get(number)
        if page is None:
            page = self._fetch(number * PAGE_ROWS, PAGE_ROWS)
            if len(self._pages) >= _PAGES_KEPT:
                self._pages.pop(next(iter(self._pages)))
            self._pages[number] = page
        offset = index - number * PAGE_ROWS
        if offset >= len(page):
            raise IndexError("row index out of range")
        return page[offset]

    def append(self, row: Any) -> None:
        """Add a row (a stored table is read into memory first); the ref is cleared."""
        if self._rows is None:
            self._rows = list(self)
        self._rows.append(row)
        self._ref = None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Table):
            return NotImplemented
        if self._ref is not None and other._ref is not None and self._ref == other._ref:
            return True
        return len(self) == len(other) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        if self._rows is None and self._ref is not None:
            return f"Table({self._ref.uri()})"
        return f"Table({len(self)} rows)"


def _plain(value: Any) -> Any:
    """A stored row as data: tags (datetimes) decoded; ref URIs stay strings."""
    kind = type(value)
    if kind is dict:
        for item in value.values():
            if type(item) is dict or type(item) is list:
                break
        else:
            if "_type" not in value:
                return value
        tagged = decode_tagged(value)
        if tagged is not value:
            return tagged
        return {k: _plain(v) for k, v in value.items()}
    if kind is list:
        return [_plain(v) for v in value]
    return value


class Dataset(Object):
    """Rows of examples (dicts), versioned: publish it, read it back by ref, evaluate on it.

    ``rows`` takes any iterable of non-empty dicts (or a :class:`Table`);
    ``len``, iteration and indexing read through to the rows. Read from a
    ref, the rows are fetched page by page as they are used.

    >>> ds = weave.Dataset(name="qa", rows=[{"q": "1+1?", "a": "2"}])
    >>> len(ds), ds[0]["a"]
    (1, '2')
    """

    rows: Table

    if TYPE_CHECKING:  # the rows may be any iterable of dicts; the validator makes a Table

        def __init__(
            self,
            *,
            rows: Table | Iterable[dict[str, Any]],
            name: str | None = None,
            description: str | None = None,
        ) -> None: ...

    @field_validator("rows", mode="before")
    @classmethod
    def _to_table(cls, rows: Any) -> Table:
        if isinstance(rows, Table):
            return rows
        if rows is None or isinstance(rows, (str, bytes, dict)) or not isinstance(rows, Iterable):
            raise UsageError(
                f"Dataset rows must be an iterable of dicts, not {type(rows).__name__}"
            )
        table = Table(rows)
        _check_rows(table.rows, 0)
        if not len(table):
            raise UsageError("a Dataset needs at least one row")
        return table

    @classmethod
    def from_calls(cls, calls: Iterable[Call]) -> Dataset:
        """A Dataset of calls, one row per call (``Call.to_dict()``: inputs, output, …)."""
        return cls(rows=[call.to_dict() for call in calls])

    @classmethod
    def from_pandas(cls, df: pd.DataFrame) -> Dataset:
        """A Dataset of a DataFrame's rows (column name → value; NaN kept)."""
        return cls(rows=df.to_dict(orient="records"))

    def to_pandas(self) -> pd.DataFrame:
        """The rows as a DataFrame (pandas is imported only here)."""
        try:
            import pandas as pd
        except ImportError:
            raise MissingDependencyError.for_extra("pandas", "pandas") from None
        return pd.DataFrame(list(self.rows))

    def add_rows(self, rows: Iterable[dict[str, Any]]) -> Dataset:
        """Publish a new version with ``rows`` appended; return it (this one is unchanged).

        The stored rows are not sent again: the store appends the new rows to
        the table it already holds. A Dataset never published is published
        first.
        """
        client = _publish_client()
        added = list(rows)
        _check_rows(added, len(self.rows))
        ref = self.ref if isinstance(self.ref, ObjectRef) else None
        base = self.rows.ref
        if base is None or (base.entity, base.project) != (client.entity, client.project):
            ref = publish(self)
            base = self.rows.ref
        assert base is not None
        encoder = _Encoder(client)
        start = len(self.rows)
        values = [encoder.value(row, f"row {start + i}", 1) for i, row in enumerate(added)]
        encoder.store(later=False)  # objects the rows hold
        made = client.store().create_table(client.entity, client.project, values, base=base.digest)
        table = Table._stored(
            client, TableRef(client.entity, client.project, made["digest"]), made["row_count"]
        )
        new = type(self)(name=self.name, description=self.description, rows=table)
        publish(new, ref.name if ref is not None else None)
        return new

    def __iter__(self) -> Iterator[dict[str, Any]]:  # type: ignore[override]
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> dict[str, Any]:
        if not isinstance(index, int) or isinstance(index, bool):
            raise UsageError(f"Dataset rows are indexed by int, not {type(index).__name__}")
        return self.rows[index]

    def __repr__(self) -> str:
        return f"Dataset(name={self.name!r}, rows={self.rows!r})"


def _check_rows(rows: list[Any], start: int) -> None:
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or not row:
            shown = repr(row)[:80]
            raise UsageError(f"Dataset row {start + i} must be a non-empty dict, not {shown}")
