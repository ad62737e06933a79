"""References: artifact entries that point at data elsewhere instead of copying it.

A reference is tracked by a checksum so that changed data makes a new
version: ``sha256:<hex>`` of a ``file://`` file's content, the ``ETag`` (or
else ``Last-Modified``) of an ``http(s)://`` resource, or the URI itself
when ``checksum=False``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from urllib.parse import unquote, urlparse

from heron.errors import StoreError, UsageError
from heron.store.blobs import file_digest

SCHEMES = ("file", "http", "https")
HTTP_TIMEOUT = 30.0


def local_path(uri: str) -> str:
    """The file system path of a ``file://`` URI."""
    parsed = urlparse(uri)
    if parsed.netloc not in ("", "localhost"):
        raise UsageError(f"reference {uri!r}: file:// URIs name a local path (file:///data/x)")
    return unquote(parsed.path)


def scheme_of(uri: object) -> str:
    if not isinstance(uri, str) or "://" not in uri:
        raise UsageError(f"a reference must be a URI such as file:///data/x, not {uri!r}")
    scheme = uri.split("://", 1)[0].lower()
    if scheme not in SCHEMES:
        raise UsageError(
            f"reference {uri!r}: the {scheme}:// scheme is not supported; use file:// or http(s)://"
        )
    return scheme


def file_references(uri: str, checksum: bool) -> Iterator[tuple[str, str, str, int]]:
    """``(relative path, uri, digest, size)`` of a file, or of every file under a folder."""
    path = local_path(uri)
    if os.path.isdir(path):
        for folder, dirs, names in os.walk(path):
            dirs.sort()
            for name in sorted(names):
                full = os.path.join(folder, name)
                rel = os.path.relpath(full, path).replace(os.sep, "/")
                yield rel, "file://" + full, *_file_digest(full, checksum)
        return
    if not os.path.isfile(path):
        raise UsageError(f"reference {uri!r}: no file or folder at {path}")
    yield os.path.basename(path), uri, *_file_digest(path, checksum)


def _file_digest(path: str, checksum: bool) -> tuple[str, int]:
    try:
        if not checksum:
            return "file://" + path, os.path.getsize(path)
        sha256, size = file_digest(path)
    except OSError as exc:
        raise UsageError(f"cannot read referenced file {path}: {exc.strerror}") from None
    return f"sha256:{sha256}", size


def http_reference(uri: str, checksum: bool) -> tuple[str, int | None]:
    """``(digest, size)`` of an HTTP resource from a HEAD request (ETag, else Last-Modified)."""
    if not checksum:
        return uri, None
    import httpx

    try:
        response = httpx.head(uri, follow_redirects=True, timeout=HTTP_TIMEOUT)
    except httpx.HTTPError as exc:
        raise StoreError(f"reference {uri!r} is unreachable: {exc}") from None
    if response.status_code >= 400:
        raise StoreError(f"reference {uri!r} answered HTTP {response.status_code}")
    length = response.headers.get("content-length")
    size = int(length) if length and length.isdigit() else None
    if etag := response.headers.get("etag"):
        return f"etag:{etag}", size
    if modified := response.headers.get("last-modified"):
        return f"last-modified:{modified}", size
    raise StoreError(
        f"reference {uri!r} sends neither ETag nor Last-Modified, so a change could not be"
        " noticed; add it with checksum=False to track the URI alone"
    )
