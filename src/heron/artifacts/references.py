"""References: artifact entries that point at data elsewhere instead of copying it.

A reference is tracked by a checksum so that changed data makes a new
version: ``sha256:<hex>`` of a ``file://`` file's content, the ``ETag`` (or
else ``Last-Modified``) of an ``http(s)://`` resource, the ``ETag`` (and
version id, in a versioned bucket) of an ``s3://`` object, or the URI itself
when ``checksum=False``.

``s3://bucket/key`` names one object, ``s3://bucket/prefix`` every object
under ``prefix/`` (at most ``max_objects``). S3 references use the standard
AWS credentials and ``HERON_S3_ENDPOINT_URL``, like the S3 blob store. A
download fetches the recorded version (in a versioned bucket) and refuses an
object whose ETag is no longer the recorded one.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlparse

from heron.errors import StoreError, UsageError
from heron.store.blobs import file_digest

SCHEMES = ("file", "http", "https", "s3")
HTTP_TIMEOUT = 30.0
DEFAULT_MAX_OBJECTS = 10_000
"""How many objects an ``s3://`` prefix reference may hold unless ``max_objects`` says more."""
_VERSION_SEP = ";version:"
_clients: dict[str | None, Any] = {}
_clients_lock = threading.Lock()


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
            f"reference {uri!r}: the {scheme}:// scheme is not supported;"
            " use file://, http(s):// or s3://"
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


def s3_references(
    uri: str, checksum: bool, max_objects: int | None = None
) -> list[tuple[str, str, str, int]]:
    """``(relative path, uri, digest, size)`` of an object, or of every object under a prefix.

    The digest is ``etag:<etag>`` (with ``;version:<id>`` in a versioned
    bucket), or the object's URI when ``checksum`` is off. More objects than
    ``max_objects`` (default :data:`DEFAULT_MAX_OBJECTS`) are refused.
    """
    from heron.store.s3 import describe_error, parse_s3_url

    limit = DEFAULT_MAX_OBJECTS if max_objects is None else max_objects
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise UsageError(f"max_objects must be a positive integer, not {max_objects!r}")
    bucket, key = parse_s3_url(uri)
    key = uri[len("s3://") + len(bucket) + 1 :]  # the key as written (parse strips slashes)
    client = _s3()
    if key and not key.endswith("/"):
        try:
            head = client.head_object(Bucket=bucket, Key=key)
        except Exception as exc:
            if _status(exc) != 404:
                raise StoreError(describe_error(exc, f"reference {uri}")) from None
        else:
            name = key.rsplit("/", 1)[-1]
            digest = _s3_digest(head["ETag"], head.get("VersionId"))
            return [
                (name, f"s3://{bucket}/{key}", digest if checksum else uri, head["ContentLength"])
            ]
    prefix = key if not key or key.endswith("/") else key + "/"
    found: list[tuple[str, str, str, int]] = []
    for item_key, etag, version, size in _list_objects(client, bucket, prefix, uri):
        if item_key.endswith("/"):
            continue  # a "folder" marker some tools write
        if len(found) == limit:
            raise UsageError(
                f"reference {uri!r} holds more than {limit} objects; pass"
                " max_objects=<n> to add_reference() to allow more, or reference a"
                " narrower prefix"
            )
        ref = f"s3://{bucket}/{item_key}"
        found.append(
            (item_key[len(prefix) :], ref, _s3_digest(etag, version) if checksum else ref, size)
        )
    if not found:
        raise UsageError(f"reference {uri!r}: no object or prefix of that name in the bucket")
    return found


def _list_objects(
    client: Any, bucket: str, prefix: str, uri: str
) -> Iterator[tuple[str, str, str | None, int]]:
    """``(key, etag, version id, size)`` of the current objects under ``prefix``, sorted by key.

    Version ids come from the versions listing; where that is denied or not
    implemented (an S3-compatible store without versioning) the plain listing
    is used and no version is recorded.
    """
    from heron.store.s3 import describe_error

    try:
        pages = client.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix)
        current = [
            (v["Key"], v["ETag"], v.get("VersionId"), int(v["Size"]))
            for page in pages
            for v in page.get("Versions", ())
            if v.get("IsLatest", True)
        ]
    except Exception as exc:
        if _code(exc) == "NoSuchBucket" or _status(exc) is None:
            raise StoreError(describe_error(exc, f"reference {uri}")) from None
    else:
        yield from sorted(current)
        return
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", ()):
                yield item["Key"], item["ETag"], None, int(item["Size"])
    except Exception as exc:
        raise StoreError(describe_error(exc, f"reference {uri}")) from None


def _s3_digest(etag: str, version: str | None) -> str:
    digest = f"etag:{etag.strip(chr(34))}"
    return digest + _VERSION_SEP + version if version and version != "null" else digest


def s3_source(uri: str, digest: str, chunk: int) -> Iterator[bytes]:
    """The bytes of a referenced object: the recorded version, refused if its ETag changed."""
    from heron.store.s3 import describe_error, parse_s3_url

    bucket, _ = parse_s3_url(uri)
    key = uri[len("s3://") + len(bucket) + 1 :]
    etag, version = None, None
    if digest.startswith("etag:"):
        etag, _, version = digest[len("etag:") :].partition(_VERSION_SEP)
    args = {"Bucket": bucket, "Key": key, **({"VersionId": version} if version else {})}
    try:
        response = _s3().get_object(**args)
    except Exception as exc:
        raise StoreError(describe_error(exc, f"reference {uri}")) from None
    body = response["Body"]
    try:
        got = str(response.get("ETag", "")).strip('"')
        if etag is not None and got != etag:
            raise StoreError(
                f"reference {uri} changed since it was logged (ETag {got}, recorded {etag});"
                " log a new version to track the new content"
            )
        try:
            while block := body.read(chunk):
                yield block
        except Exception as exc:
            raise StoreError(describe_error(exc, f"reference {uri}")) from None
    finally:
        body.close()


def _s3() -> Any:
    """The S3 client of references (one per endpoint, shared by threads)."""
    from heron.settings import Settings
    from heron.store.s3 import s3_client

    endpoint = Settings.from_env().s3_endpoint_url
    with _clients_lock:
        client = _clients.get(endpoint)
        if client is None:
            client = _clients[endpoint] = s3_client(endpoint)
        return client


def _status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return int(status) if status is not None else None


def _code(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    return str(response.get("Error", {}).get("Code")) if isinstance(response, dict) else None
