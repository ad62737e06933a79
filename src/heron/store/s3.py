"""The S3 BlobStore: blobs as objects ``<prefix>/<ab>/<sha256>`` in any S3-compatible bucket.

Chosen with ``HERON_BLOB_URL=s3://bucket/prefix``. Credentials and region come
from the standard AWS chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``,
``AWS_PROFILE``, ``~/.aws``, instance roles); the endpoint of MinIO, Ceph or
another S3-compatible store from ``HERON_S3_ENDPOINT_URL`` (else boto3's own
``AWS_ENDPOINT_URL``). boto3 is imported only when such a store is opened.

Large files go up in parallel multipart uploads (boto3's transfer manager).
S3 cannot rename, so a file is hashed before it is uploaded and hashed again
on the way up: if it changed in between, the object is removed and the file
sent again under its new name. ``open`` gives a seekable reader (ranged GETs),
so media range requests and Parquet tables work as on a local folder.

>>> blobs = S3BlobStore.from_url("s3://ml-bucket/heron", endpoint_url="http://minio:9000")
... # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
import time
from collections.abc import Iterator
from typing import Any, BinaryIO, NoReturn

from heron.errors import MissingDependencyError, NotFoundError, StoreError, UsageError
from heron.store.base import BlobStore
from heron.store.blobs import _SHA256_RE, check_sha256, file_digest

MULTIPART_THRESHOLD = 64 << 20
"""Files at least this big go up in parts, several at a time."""
MULTIPART_CHUNKSIZE = 8 << 20
"""The smallest part; a file of more than ``_MAX_PARTS`` of them gets bigger parts."""
MAX_CONCURRENCY = 4
"""Parts of one file in flight at once (each held in memory while it is sent)."""
_MAX_PARTS = 9_000  # S3 allows 10,000
_PUT_ATTEMPTS = 3
_NOT_FOUND = frozenset({"404", "NoSuchKey", "NotFound"})
_loader: Any = None
_loader_lock = threading.Lock()


def parse_s3_url(url: str) -> tuple[str, str]:
    """``(bucket, prefix)`` of ``s3://bucket/prefix`` (the prefix without outer slashes)."""
    if not isinstance(url, str) or not url.lower().startswith("s3://"):
        raise UsageError(f"{url!r} is not an S3 URL: write s3://bucket/prefix")
    bucket, _, prefix = url[len("s3://") :].partition("/")
    if not bucket:
        raise UsageError(f"S3 URL {url!r} names no bucket: write s3://bucket/prefix")
    return bucket, prefix.strip("/")


def s3_client(endpoint_url: str | None = None) -> Any:
    """A boto3 S3 client from the standard AWS settings, at ``endpoint_url`` when given."""
    try:
        import boto3
        import botocore.session
        from botocore.config import Config
    except ImportError:
        raise MissingDependencyError.for_extra("boto3", "s3") from None
    global _loader
    with _loader_lock:
        if _loader is None:
            import botocore.loaders

            _loader = botocore.loaders.create_loader()
    # A fresh session reads the credentials now; the shared loader parses the
    # service models once per process, not once per client.
    session = botocore.session.get_session()
    session.register_component("data_loader", _loader)
    config = Config(
        connect_timeout=10,
        read_timeout=60,
        max_pool_connections=64,  # put_staged's 8 threads, each sending parts in parallel
        # MinIO, Ceph and most S3-compatible stores serve path-style URLs out of the box.
        s3={"addressing_style": "path"} if endpoint_url else None,
    )
    return boto3.session.Session(botocore_session=session).client(
        "s3", endpoint_url=endpoint_url, config=config
    )


def describe_error(exc: BaseException, where: str) -> str:
    """A one-line account of a boto3 failure at ``where`` (an ``s3://`` URI), saying what to do."""
    from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

    if isinstance(exc, NoCredentialsError):
        return (
            f"{where}: no AWS credentials found; set AWS_ACCESS_KEY_ID and"
            " AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)"
        )
    if isinstance(exc, EndpointConnectionError):
        return f"{where}: the S3 endpoint is unreachable ({exc}); check HERON_S3_ENDPOINT_URL"
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "?"))
        if code == "NoSuchBucket":
            return f"{where}: the bucket does not exist; create it or fix the URL"
        if code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
            return f"{where}: access denied ({code}); check the AWS credentials and bucket policy"
        if code in _NOT_FOUND:
            return f"{where}: no such object"
        return f"{where}: S3 answered {code}: {error.get('Message') or exc}"
    return f"{where}: {exc}"


def _code(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    return str(response.get("Error", {}).get("Code")) if isinstance(response, dict) else None


class S3BlobStore(BlobStore):
    """Blobs as objects of one bucket under a prefix; see the module docstring."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        client: Any = None,
        multipart_threshold: int = MULTIPART_THRESHOLD,
        multipart_chunksize: int = MULTIPART_CHUNKSIZE,
        max_concurrency: int = MAX_CONCURRENCY,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url
        self.client = client if client is not None else s3_client(endpoint_url)
        self._multipart = (multipart_threshold, multipart_chunksize, max_concurrency)
        self._transfer = self._transfer_config(0)

    def _transfer_config(self, size: int) -> Any:
        """How boto3 moves an object of ``size`` bytes: parts, at most ``max_concurrency``
        of them in memory at once, big enough that the object fits in S3's part limit."""
        from boto3.s3.transfer import TransferConfig

        threshold, chunksize, concurrency = self._multipart
        config = TransferConfig(
            multipart_threshold=threshold,
            multipart_chunksize=max(chunksize, -(-size // _MAX_PARTS)),
            max_concurrency=concurrency,
        )
        config.max_in_memory_upload_chunks = concurrency  # s3transfer's, not in boto3's __init__
        return config

    @classmethod
    def from_url(cls, url: str, endpoint_url: str | None = None) -> S3BlobStore:
        """The store of ``s3://bucket/prefix``."""
        bucket, prefix = parse_s3_url(url)
        return cls(bucket, prefix, endpoint_url=endpoint_url)

    def __repr__(self) -> str:
        return f"S3BlobStore({self.url!r})"

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    def key(self, sha256: str) -> str:
        check_sha256(sha256)
        name = f"{sha256[:2]}/{sha256}"
        return f"{self.prefix}/{name}" if self.prefix else name

    # ------------------------------------------------------------------ writes

    def put(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        if not self._touch(sha256):
            self._call(self.client.put_object, sha256, Body=data)
        return sha256

    def put_file(self, path: str) -> tuple[str, int]:
        for _ in range(_PUT_ATTEMPTS):
            # Hash first: most puts of a known file find it stored and send nothing.
            sha256, size = file_digest(path)
            if self._touch(sha256):
                return sha256, size
            sent, sent_size = self._upload(path, sha256)
            if sent == sha256:
                return sha256, sent_size
            # The file changed after it was hashed: its object has the wrong bytes.
            self._call(self.client.delete_object, sha256)
        raise StoreError(f"{path} kept changing while it was uploaded to {self.url}; try again")

    def _upload(self, path: str, sha256: str) -> tuple[str, int]:
        """Send a file to ``sha256``'s key; the digest and size of what was sent."""
        with open(path, "rb") as f:
            reader = _HashingReader(f)
            config = self._transfer_config(os.fstat(f.fileno()).st_size)
            try:
                self.client.upload_fileobj(reader, self.bucket, self.key(sha256), Config=config)
            except Exception as exc:
                self._raise(exc, sha256)
        return reader.digest.hexdigest(), reader.size

    def _touch(self, sha256: str) -> bool:
        """Refresh a stored blob's modified time (True), so ``heron gc``'s grace period spares it.

        S3 has no ``utime``: the object is copied onto itself (server-side, in
        parts when large) with a new metadata stamp.
        """
        if not self.exists(sha256):
            return False
        key = self.key(sha256)
        try:
            self.client.copy(
                {"Bucket": self.bucket, "Key": key},
                self.bucket,
                key,
                ExtraArgs={
                    "MetadataDirective": "REPLACE",
                    "Metadata": {"heron-put": str(time.time())},
                },
                Config=self._transfer,
            )
        except Exception as exc:
            if _code(exc) in _NOT_FOUND:
                return False  # collected meanwhile: put it again
            self._raise(exc, sha256)
        return True

    def delete(self, sha256: str) -> bool:
        if not self.exists(sha256):
            return False
        self._call(self.client.delete_object, sha256)
        return True

    # ------------------------------------------------------------------ reads

    def exists(self, sha256: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
        except Exception as exc:
            if _code(exc) in _NOT_FOUND:
                return False
            self._raise(exc, sha256)
        return True

    def open(self, sha256: str) -> BinaryIO:
        key = self.key(sha256)
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            if _code(exc) in _NOT_FOUND:
                raise NotFoundError(f"blob {sha256} is not in the blob store {self.url}") from None
            self._raise(exc, sha256)
        raw = _ObjectReader(self, key, response["Body"], int(response["ContentLength"]))
        return io.BufferedReader(raw, buffer_size=1 << 20)

    def download_file(self, sha256: str, path: str) -> None:
        """Write the blob to ``path``, large ones in parallel ranged GETs (unverified: the
        caller hashes what landed)."""
        try:
            self.client.download_file(self.bucket, self.key(sha256), path, Config=self._transfer)
        except Exception as exc:
            if _code(exc) in _NOT_FOUND:
                raise NotFoundError(f"blob {sha256} is not in the blob store {self.url}") from None
            self._raise(exc, sha256)

    def list_blobs(self) -> Iterator[tuple[str, int, float]]:
        start = f"{self.prefix}/" if self.prefix else ""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=start
        )
        try:
            for page in pages:
                for item in page.get("Contents", ()):
                    name = item["Key"][len(start) :]
                    first, _, sha256 = name.partition("/")
                    if _SHA256_RE.match(sha256) and first == sha256[:2]:
                        yield sha256, int(item["Size"]), item["LastModified"].timestamp()
        except Exception as exc:
            if isinstance(exc, GeneratorExit):
                raise
            raise StoreError(describe_error(exc, self.url)) from None

    # ------------------------------------------------------------------ plumbing

    def _call(self, method: Any, sha256: str, **kwargs: Any) -> Any:
        """``method`` on the blob's key; boto3 errors become StoreErrors that say what to fix."""
        try:
            return method(Bucket=self.bucket, Key=self.key(sha256), **kwargs)
        except Exception as exc:
            self._raise(exc, sha256)

    def _raise(self, exc: Exception, sha256: str) -> NoReturn:
        from botocore.exceptions import BotoCoreError, ClientError

        if isinstance(exc, (BotoCoreError, ClientError)):
            where = f"s3://{self.bucket}/{self.key(sha256)}"
            raise StoreError(describe_error(exc, where)) from None
        raise exc


class _HashingReader:
    """A file read once, front to back, hashing what is read (not seekable on purpose:
    boto3 then reads parts in order instead of seeking around in threads)."""

    def __init__(self, f: BinaryIO) -> None:
        self._f = f
        self.digest: hashlib._Hash = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        block = self._f.read(n)
        self.digest.update(block)
        self.size += len(block)
        return block

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False


class _ObjectReader(io.RawIOBase):
    """A seekable reader of an S3 object: one GET streamed front to back, a ranged GET
    from the new position after a seek (only when the next read needs it)."""

    def __init__(self, store: S3BlobStore, key: str, body: Any, size: int) -> None:
        self._store, self._key, self._size = store, key, size
        self._body: Any = body
        self._body_at = 0
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_SET:
            pos = offset
        elif whence == os.SEEK_CUR:
            pos = self._pos + offset
        elif whence == os.SEEK_END:
            pos = self._size + offset
        else:
            raise ValueError(f"invalid whence {whence!r}")
        if pos < 0:
            raise ValueError(f"negative seek position {pos}")
        self._pos = pos
        return pos

    def readinto(self, buffer: Any) -> int:
        if self._pos >= self._size or not len(buffer):
            return 0
        if self._body is None or self._body_at != self._pos:
            self._reopen()
        data = self._body.read(len(buffer))
        if not data:
            raise StoreError(
                f"s3://{self._store.bucket}/{self._key} ended at byte {self._pos}"
                f" of {self._size}; the object changed or the connection broke"
            )
        n = len(data)
        memoryview(buffer).cast("B")[:n] = data
        self._pos += n
        self._body_at += n
        return n

    def _reopen(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None
        try:
            response = self._store.client.get_object(
                Bucket=self._store.bucket, Key=self._key, Range=f"bytes={self._pos}-"
            )
        except Exception as exc:
            raise StoreError(
                describe_error(exc, f"s3://{self._store.bucket}/{self._key}")
            ) from None
        self._body, self._body_at = response["Body"], self._pos

    def close(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None
        super().close()
