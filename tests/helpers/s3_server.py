"""A real S3 protocol server on a free loopback port (moto's server mode), for tests.

    with MotoS3() as s3:
        bucket = s3.make_bucket()
        blobs = S3BlobStore(bucket, "heron", endpoint_url=s3.endpoint_url)

The server keeps its buckets in this process's memory; each test makes its
own bucket (a fresh name), so tests never see each other's objects.
:func:`aws_env` holds the dummy credentials every boto3 client here uses.
A test module takes the fixtures with ``from tests.helpers.s3_server import
moto_s3, s3`` (``s3``: the server, with the credentials set for the test).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

from tests.helpers.live_server import free_port

_AWS_VARIABLES = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3")


def aws_env(folder: Path) -> dict[str, str]:
    """Dummy AWS credentials and region, and no shared config files (``folder`` holds none)."""
    return {
        "AWS_ACCESS_KEY_ID": "heron-test",
        "AWS_SECRET_ACCESS_KEY": "heron-test-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(folder / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(folder / "aws-credentials"),
    }


class MotoS3:
    """moto's ``ThreadedMotoServer`` on 127.0.0.1:<free port>."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        self.port = free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request

    def __enter__(self) -> MotoS3:
        self._server.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.stop()

    def client(self) -> Any:
        """A boto3 S3 client of this server (the credentials come from :func:`aws_env`)."""
        from heron.store.s3 import s3_client

        return s3_client(self.endpoint_url)

    def make_bucket(self, versioned: bool = False) -> str:
        """A new, empty bucket; ``versioned`` turns on object versioning."""
        name = f"heron-{uuid.uuid4().hex[:16]}"
        client = self.client()
        client.create_bucket(Bucket=name)
        if versioned:
            client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        return name


@pytest.fixture(scope="module")
def moto_s3() -> Iterator[MotoS3]:
    """One moto S3 server for a test module."""
    pytest.importorskip("boto3", reason="the S3 tests need: pip install 'heron[s3]'")
    pytest.importorskip("moto.server", reason="the S3 tests need moto[server] (the dev extra)")
    with MotoS3() as server:
        yield server


@pytest.fixture
def s3(moto_s3: MotoS3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MotoS3:
    """The module's moto server, with dummy AWS credentials in this test's environment."""
    for name in _AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in aws_env(tmp_path).items():
        monkeypatch.setenv(name, value)
    return moto_s3
