"""The read side shared by ``run.config`` and ``run.summary``: a dict seen through attributes."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from typing import Any


class DictView:
    """Item, attribute and dict-method reads over ``self._data``.

    Subclasses own the writes (each with its own rules) and set ``_kind`` to
    name themselves in errors: ``run.config.missing`` raises
    ``AttributeError("config has no key 'missing'")``.
    """

    _kind = "mapping"
    _data: dict[str, Any]

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        try:
            return self._data[key]
        except KeyError:
            raise AttributeError(f"{self._kind} has no key {key!r}") from None

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def keys(self) -> Iterable[str]:
        return self._data.keys()

    def items(self) -> Iterable[tuple[str, Any]]:
        return self._data.items()

    def values(self) -> Iterable[Any]:
        return self._data.values()

    def as_dict(self) -> dict[str, Any]:
        """A deep copy as a plain dict."""
        return copy.deepcopy(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)
