"""``heron gc`` and ``heron artifact cache cleanup``: what they do and what they print."""

from __future__ import annotations

from typing import TYPE_CHECKING

from heron.artifacts.cache import ArtifactCache, parse_size

if TYPE_CHECKING:
    from heron.settings import Settings


def gc(settings: Settings, *, grace_seconds: float, dry_run: bool) -> str:
    """Collect the unreferenced blobs of the store the settings point at; a one-line report."""
    from heron.errors import UsageError
    from heron.store import open_store

    if grace_seconds < 0:
        raise UsageError(f"--grace must be >= 0 seconds, not {grace_seconds:g}")
    store = open_store(settings)
    try:
        report = store.gc(grace_seconds, dry_run=dry_run)
    finally:
        store.close()
    return f"heron gc: {report.describe()}"


def cache_cleanup(settings: Settings, max_size: str | None) -> str:
    """Trim the download cache to ``max_size`` (default its cap); a one-line report."""
    cache = ArtifactCache.from_env(settings)
    cap = parse_size(max_size) if max_size is not None else cache.max_bytes
    removed, freed = cache.cleanup(cap)
    return (
        f"heron artifact cache: removed {removed} file(s), freed {freed} bytes;"
        f" {cache.size()} bytes left in {cache.root}"
    )
