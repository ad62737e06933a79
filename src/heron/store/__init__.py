"""Storage: the Store interface and its implementations, chosen from the settings.

Nothing heavy is imported here; :func:`open_store` imports SQLAlchemy or httpx
only when a store is actually opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from heron.settings import Settings
    from heron.store.base import Store


def open_store(settings: Settings) -> Store:
    """The store the settings point at: a ``heron server`` if ``base_url`` is set, else embedded."""
    if settings.is_remote:
        from heron.store.http import HttpStore

        return HttpStore(settings)
    from heron.store.sql import SqlStore

    return SqlStore.from_settings(settings)
