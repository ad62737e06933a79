"""Lazy, paginated collections of runs and the Project record (wandb's ``api.runs()``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, overload

from heron.api._util import iso, normalize_filters, normalize_order
from heron.api.run import Run
from heron.entities import Project as ProjectInfo
from heron.errors import UsageError

if TYPE_CHECKING:
    from heron.api.api import Api


class Runs:
    """The runs of a project matching ``filters``, in ``order``, fetched ``per_page`` at a time.

    Nothing is read until it is used: ``len()`` asks the store for a count,
    iteration and indexing fetch only the pages they touch, and each page is
    kept, so iterating twice reads the store once.

    >>> runs = heron.Api().runs("me/digits", {"config.lr": {"$lt": 0.1}})  # doctest: +SKIP
    >>> len(runs), runs[0].name, [r.id for r in runs[:5]]                  # doctest: +SKIP
    """

    def __init__(
        self,
        api: Api,
        entity: str,
        project: str,
        filters: dict[str, Any] | None = None,
        order: str | None = "-created_at",
        per_page: int = 50,
    ) -> None:
        if not isinstance(per_page, int) or per_page < 1:
            raise UsageError(f"per_page must be a positive integer, not {per_page!r}")
        self._api = api
        self.entity = entity
        self.project = project
        self.filters = normalize_filters(filters)
        self.order = normalize_order(order)
        self.per_page = per_page
        self._pages: dict[int, list[Run]] = {}
        self._length: int | None = None

    def _page(self, number: int) -> list[Run]:
        if number not in self._pages:
            infos = self._api.store.list_runs(
                self.entity,
                self.project,
                filters=self.filters,
                order=self.order,
                limit=self.per_page,
                offset=number * self.per_page,
            )
            self._pages[number] = [Run(self._api, info) for info in infos]
        return self._pages[number]

    def __len__(self) -> int:
        if self._length is None:
            self._length = self._api.store.count_runs(
                self.entity, self.project, filters=self.filters
            )
        return self._length

    def __iter__(self) -> Iterator[Run]:
        number = 0
        while True:
            page = self._page(number)
            yield from page
            if len(page) < self.per_page:
                return
            number += 1

    @overload
    def __getitem__(self, index: int) -> Run: ...

    @overload
    def __getitem__(self, index: slice) -> list[Run]: ...

    def __getitem__(self, index: int | slice) -> Run | list[Run]:
        if isinstance(index, slice):
            if (index.start or 0) >= 0 and index.stop is not None and index.stop >= 0:
                # Non-negative bounds need no count: fetch only the pages in range.
                positions = range(index.start or 0, index.stop, index.step or 1)
                out = []
                for i in positions:
                    run = self._at(i)
                    if run is None:
                        break
                    out.append(run)
                return out
            return [self[i] for i in range(len(self))[index]]
        if not isinstance(index, int):
            raise TypeError(f"runs indices must be integers or slices, not {type(index).__name__}")
        if index < 0:
            index += len(self)
        run = self._at(index) if index >= 0 else None
        if run is None:
            raise IndexError("runs index out of range")
        return run

    def _at(self, index: int) -> Run | None:
        page = self._page(index // self.per_page)
        offset = index % self.per_page
        return page[offset] if offset < len(page) else None

    def __bool__(self) -> bool:
        return self._at(0) is not None

    def __repr__(self) -> str:
        return f"<Runs {self.entity}/{self.project}>"


class Project:
    """A project: its name, entity and run count; ``runs()`` lists its runs."""

    def __init__(self, api: Api, info: ProjectInfo) -> None:
        self._api = api
        self._info = info

    name = property(lambda self: self._info.name)
    entity = property(lambda self: self._info.entity)
    run_count = property(lambda self: self._info.run_count)

    @property
    def id(self) -> str:
        return f"{self.entity}/{self.name}"

    @property
    def path(self) -> list[str]:
        return [self.entity, self.name]

    @property
    def url(self) -> str:
        return self._api._project_url(self.entity, self.name)

    @property
    def created_at(self) -> str | None:
        return iso(self._info.created_at)

    @property
    def last_activity(self) -> str | None:
        return iso(self._info.last_activity)

    def runs(
        self, filters: dict[str, Any] | None = None, order: str = "-created_at", per_page: int = 50
    ) -> Runs:
        return Runs(self._api, self.entity, self.name, filters, order, per_page)

    def __repr__(self) -> str:
        return f"<Project {self.entity}/{self.name} ({self.run_count} runs)>"


__all__ = ["Project", "Runs"]
