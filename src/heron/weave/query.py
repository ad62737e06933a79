"""The lazy, sliceable result of ``client.get_calls``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, overload

from heron.errors import UsageError
from heron.weave.call import Call

if TYPE_CHECKING:
    from heron.weave.client import WeaveClient


class CallsIter:
    """Calls fetched ``page_size`` at a time as you iterate.

    ``calls[3]`` fetches one call, ``calls[10:20]`` is another lazy iterator,
    ``len(calls)`` counts in the store, ``calls.to_pandas()`` gives one row per
    call with ``inputs.*``/``output.*``/``summary.*`` columns flattened one
    level.
    """

    def __init__(
        self,
        client: WeaveClient,
        filter: dict[str, Any],
        sort_by: list[tuple[str, str]],
        *,
        limit: int | None,
        offset: int,
        page_size: int,
        include_costs: bool = False,
        query: dict[str, Any] | None = None,
        columns: list[str] | None = None,
        include_feedback: bool = False,
    ) -> None:
        for name, value in (("limit", limit), ("offset", offset), ("page_size", page_size)):
            if value is not None and (
                not isinstance(value, int) or isinstance(value, bool) or value < 0
            ):
                raise UsageError(f"{name} must be a non-negative integer, not {value!r}")
        if page_size < 1:
            raise UsageError("page_size must be at least 1")
        self._client = client
        self._filter = filter
        self._sort_by = sort_by
        self._limit = limit
        self._offset = offset
        self._page_size = page_size
        self._include_costs = include_costs
        self._query = query
        self._columns = columns
        self._include_feedback = include_feedback

    def _page(self, offset: int, limit: int) -> list[Call]:
        store = self._client._read_store()
        rows = store.get_calls(
            self._client.entity,
            self._client.project,
            filter=self._filter,
            sort_by=self._sort_by,
            limit=limit,
            offset=offset,
            include_costs=self._include_costs,
            query=self._query,
            columns=self._columns,
            include_feedback=self._include_feedback,
        )
        return [Call.from_dict(row, client=self._client) for row in rows]

    def __iter__(self) -> Iterator[Call]:
        done = 0
        while self._limit is None or done < self._limit:
            want = (
                self._page_size if self._limit is None else min(self._page_size, self._limit - done)
            )
            page = self._page(self._offset + done, want)
            yield from page
            done += len(page)
            if len(page) < want:
                return

    def __len__(self) -> int:
        store = self._client._read_store()
        total = store.count_calls(
            self._client.entity, self._client.project, filter=self._filter, query=self._query
        )
        left = max(0, total - self._offset)
        return left if self._limit is None else min(left, self._limit)

    @overload
    def __getitem__(self, index: int) -> Call: ...

    @overload
    def __getitem__(self, index: slice) -> CallsIter: ...

    def __getitem__(self, index: int | slice) -> Call | CallsIter:
        if isinstance(index, slice):
            start, stop, step = index.start or 0, index.stop, index.step
            if step not in (None, 1) or start < 0 or (stop is not None and stop < 0):
                raise UsageError("calls slices take non-negative start and stop, and no step")
            limit = None if stop is None else max(0, stop - start)
            if self._limit is not None:
                limit = (
                    max(0, self._limit - start)
                    if limit is None
                    else min(limit, max(0, self._limit - start))
                )
            return CallsIter(
                self._client,
                self._filter,
                self._sort_by,
                limit=limit,
                offset=self._offset + start,
                page_size=self._page_size,
                include_costs=self._include_costs,
                query=self._query,
                columns=self._columns,
                include_feedback=self._include_feedback,
            )
        if not isinstance(index, int) or isinstance(index, bool):
            raise UsageError(f"calls are indexed by int or slice, not {type(index).__name__}")
        if index < 0:
            index += len(self)
        if index < 0 or (self._limit is not None and index >= self._limit):
            raise IndexError("call index out of range")
        page = self._page(self._offset + index, 1)
        if not page:
            raise IndexError("call index out of range")
        return page[0]

    def to_pandas(self) -> Any:
        """A pandas DataFrame of the calls (pandas is imported only here)."""
        try:
            import pandas as pd
        except ImportError:
            from heron.errors import MissingDependencyError

            raise MissingDependencyError.for_extra("pandas", "pandas") from None
        rows = [call.to_dict() for call in self]
        if self._columns is not None:
            from heron.store.sql.calls import check_columns

            keep = check_columns(self._columns)
            rows = [{k: v for k, v in row.items() if k in keep} for row in rows]
        if not rows:
            return pd.DataFrame(columns=["id", "trace_id", "parent_id", "op_name"])
        return pd.json_normalize(rows, max_level=1)

    def __repr__(self) -> str:
        query = f", query={self._query!r}" if self._query is not None else ""
        return (
            f"CallsIter(filter={self._filter!r}{query}, limit={self._limit}, offset={self._offset})"
        )
