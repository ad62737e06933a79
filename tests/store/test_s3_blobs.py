"""What is particular to the S3 blob store: choosing it, multipart uploads, clear errors.

The BlobStore contract itself runs on S3 in test_blobs.py; these tests use the
same moto server on loopback.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from heron.errors import NotFoundError, StoreError, UsageError
from heron.settings import Settings
from heron.store.blobs import LocalBlobStore, open_blob_store
from heron.store.s3 import S3BlobStore, parse_s3_url
from tests.helpers.live_server import free_port
from tests.helpers.s3_server import MotoS3, moto_s3, s3

__all__ = ["moto_s3", "s3"]


def test_the_blob_url_picks_the_backend(tmp_path: Path, s3: MotoS3) -> None:
    bucket = s3.make_bucket()
    settings = Settings(
        dir=tmp_path, blob_url=f"s3://{bucket}/a/b/", s3_endpoint_url=s3.endpoint_url
    )
    blobs = open_blob_store(settings)
    assert isinstance(blobs, S3BlobStore)
    assert (blobs.bucket, blobs.prefix, blobs.url) == (bucket, "a/b", f"s3://{bucket}/a/b")
    digest = blobs.put(b"via settings")
    assert s3.client().get_object(Bucket=bucket, Key=f"a/b/{digest[:2]}/{digest}")[
        "Body"
    ].read() == (b"via settings")

    local = open_blob_store(Settings(dir=tmp_path))
    assert isinstance(local, LocalBlobStore) and local.root == tmp_path / "blobs"
    by_url = open_blob_store(Settings(dir=tmp_path, blob_url=f"file://{tmp_path}/other"))
    assert isinstance(by_url, LocalBlobStore) and by_url.root == tmp_path / "other"
    with pytest.raises(UsageError, match=r"gs:// scheme is not supported; use a folder"):
        open_blob_store(Settings(dir=tmp_path, blob_url="gs://bucket/x"))
    with pytest.raises(UsageError, match="file:// URL names a local folder"):
        open_blob_store(Settings(dir=tmp_path, blob_url="file://host/x"))


def test_the_endpoint_setting_is_read_from_the_environment() -> None:
    env = {"HERON_BLOB_URL": "s3://bucket/p", "HERON_S3_ENDPOINT_URL": "http://minio:9000"}
    settings = Settings.from_env(env)
    assert (settings.blob_url, settings.s3_endpoint_url) == ("s3://bucket/p", "http://minio:9000")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("s3://bucket", ("bucket", "")),
        ("s3://bucket/", ("bucket", "")),
        ("s3://bucket/team/heron/", ("bucket", "team/heron")),
        ("S3://bucket/x", ("bucket", "x")),
    ],
)
def test_parse_s3_url(url: str, expected: tuple[str, str]) -> None:
    assert parse_s3_url(url) == expected


@pytest.mark.parametrize("url", ["s3://", "s3:///prefix", "http://bucket/x", "bucket/x"])
def test_bad_s3_urls_are_refused(url: str) -> None:
    with pytest.raises(UsageError, match=r"s3://bucket/prefix"):
        parse_s3_url(url)


def test_large_files_go_up_in_parts(s3: MotoS3, tmp_path: Path) -> None:
    bucket = s3.make_bucket()
    blobs = S3BlobStore(
        bucket,
        endpoint_url=s3.endpoint_url,
        multipart_threshold=5 << 20,
        multipart_chunksize=5 << 20,
    )
    data = os.urandom(12 << 20)
    (tmp_path / "big").write_bytes(data)
    digest, size = blobs.put_file(str(tmp_path / "big"))
    assert (digest, size) == (hashlib.sha256(data).hexdigest(), len(data))
    head = s3.client().head_object(Bucket=bucket, Key=blobs.key(digest))
    assert head["ETag"].strip('"').endswith("-3")  # a multipart object of three parts
    assert blobs.get(digest) == data
    assert s3.client().list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    blobs.download_file(digest, str(tmp_path / "back"))  # ranged GETs in parallel
    assert (tmp_path / "back").read_bytes() == data
    with pytest.raises(NotFoundError, match=r"0{64} is not in the blob store"):
        blobs.download_file("0" * 64, str(tmp_path / "nothing"))
    # Putting it again copies it onto itself (to refresh its time), in parts too.
    assert blobs.put_file(str(tmp_path / "big")) == (digest, size)
    assert blobs.get(digest) == data


def test_a_missing_bucket_is_a_clear_error(s3: MotoS3, tmp_path: Path) -> None:
    blobs = S3BlobStore("no-such-bucket-here", "p", endpoint_url=s3.endpoint_url)
    with pytest.raises(StoreError, match=r"s3://no-such-bucket-here/p/.*the bucket does not exist"):
        blobs.put(b"data")
    (tmp_path / "f").write_bytes(b"data")
    with pytest.raises(StoreError, match="the bucket does not exist; create it or fix the URL"):
        blobs.put_file(str(tmp_path / "f"))
    with pytest.raises(StoreError, match="the bucket does not exist"):
        list(blobs.list_blobs())


def test_an_unreachable_endpoint_is_a_clear_error(
    s3: MotoS3, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # the standard AWS settings apply
    blobs = S3BlobStore("bucket", endpoint_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(StoreError, match=r"the S3 endpoint is unreachable .*HERON_S3_ENDPOINT_URL"):
        blobs.exists("0" * 64)


def test_missing_credentials_are_a_clear_error(s3: MotoS3, monkeypatch: pytest.MonkeyPatch) -> None:
    bucket = s3.make_bucket()
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance-role lookup
    blobs = S3BlobStore(bucket, endpoint_url=s3.endpoint_url)
    with pytest.raises(StoreError, match="no AWS credentials found; set AWS_ACCESS_KEY_ID"):
        blobs.put(b"x")


def test_boto3_is_imported_only_for_s3_and_its_absence_names_the_extra() -> None:
    code = (
        "import sys\n"
        "import heron, heron.store.blobs, heron.store.s3\n"
        "assert 'boto3' not in sys.modules, 'boto3 imported too early'\n"
        "sys.modules['boto3'] = None\n"
        "from heron.settings import Settings\n"
        "heron.store.blobs.open_blob_store(Settings(blob_url='s3://bucket/p'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "MissingDependencyError: boto3 is not installed; run: pip install 'heron[s3]'" in (
        done.stderr
    )
