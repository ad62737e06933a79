"""Downloads are verified; references are tracked by checksum; models round-trip."""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import heron
from heron.api import Api
from heron.errors import StoreError, UsageError
from heron.sdk.client import Client
from heron.settings import Settings


def _log_files(client: Client, tmp_path: Path) -> heron.Run:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("alpha")
    (src / "sub" / "b.txt").write_text("beta")
    run = client.init(project="dl")
    art = heron.Artifact("docs", "dataset")
    art.add_dir(src)
    with art.new_file("notes/readme.md") as f:
        f.write("# docs")
    run.log_artifact(art)
    return run


def test_download_lands_in_artifacts_name_version_and_verifies(
    online_client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = _log_files(online_client, tmp_path)
    monkeypatch.chdir(tmp_path)
    used = run.use_artifact("docs:latest")
    root = Path(used.download())
    assert root == Path("artifacts") / "docs:v0"
    assert (root / "a.txt").read_text() == "alpha"
    assert (root / "sub" / "b.txt").read_text() == "beta"
    assert (root / "notes" / "readme.md").read_text() == "# docs"
    used.verify()
    assert Path(used.get_path("a.txt")).read_text() == "alpha"

    (root / "a.txt").write_text("tampered")
    with pytest.raises(StoreError, match=r"a\.txt does not match its digest"):
        used.verify()
    used.download()  # a damaged local copy is fetched again
    used.verify()
    (root / "sub" / "b.txt").unlink()
    with pytest.raises(StoreError, match="missing"):
        used.verify()
    run.finish()


def test_a_damaged_blob_is_refused_on_download(settings: Settings, tmp_path: Path) -> None:
    online = settings.replace(meta=False, silent=True)
    client = Client(online, install_hooks=False)
    try:
        run = _log_files(client, tmp_path)
        entry = run.use_artifact("docs:v0").get_entry("a.txt")
        blob = Path(online.resolved_blob_url) / entry.digest[:2] / entry.digest[2:]
        blob.write_bytes(b"bit rot")
        target = tmp_path / "out"
        with pytest.raises(StoreError, match=r"refused a\.txt: its bytes hash to"):
            run.use_artifact("docs:v0").download(target)
        assert not (target / "a.txt").exists()
        assert [p.name for p in target.iterdir() if p.name.startswith(".heron")] == []
        run.finish()
    finally:
        client.teardown()


def test_file_references_are_not_copied_and_change_makes_a_version(
    online_client: Client, tmp_path: Path
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "x.csv").write_text("a,b\n1,2\n")
    run = online_client.init(project="refs")
    art = heron.Artifact("table", "dataset")
    art.add_reference(shared.as_uri())
    assert run.log_artifact(art).version == "v0"
    [entry] = art.files()
    assert entry.ref == (shared / "x.csv").as_uri() and entry.digest.startswith("sha256:")

    (shared / "x.csv").write_text("a,b\n1,3\n")
    art = heron.Artifact("table", "dataset")
    art.add_reference(shared.as_uri())
    assert run.log_artifact(art).version == "v1"
    out = Path(run.use_artifact("table:v1").download(tmp_path / "out"))
    assert (out / "x.csv").read_text() == "a,b\n1,3\n"
    with pytest.raises(StoreError, match=r"refused x\.csv"):
        run.use_artifact("table:v0").download(tmp_path / "old")  # the file changed since v0
    run.finish()


@pytest.fixture
def http_files(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A loopback HTTP server over a folder (it sends Last-Modified)."""
    folder = tmp_path / "www"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", folder
    finally:
        server.shutdown()
        server.server_close()


def test_http_references_track_last_modified(
    online_client: Client, tmp_path: Path, http_files: tuple[str, Path]
) -> None:
    base, folder = http_files
    (folder / "w.bin").write_bytes(b"weights")
    run = online_client.init(project="refs")
    art = heron.Artifact("remote", "model")
    art.add_reference(f"{base}/w.bin")
    run.log_artifact(art)
    [entry] = art.files()
    assert entry.digest.startswith("last-modified:") and entry.size == 7
    out = Path(run.use_artifact("remote:latest").download(tmp_path / "out"))
    assert (out / "w.bin").read_bytes() == b"weights"
    missing = heron.Artifact("remote", "model")
    with pytest.raises(StoreError, match="answered HTTP 404"):
        missing.add_reference(f"{base}/nope.bin")
    run.finish()


def test_log_model_and_use_model(
    online_client: Client, online: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # use_model downloads into ./artifacts
    weights = tmp_path / "model.pt"
    weights.write_bytes(b"\x00\x01weights")
    run = online_client.init(project="models")
    logged = run.log_model(weights, name="digits-cnn", aliases=["staging"])
    assert (logged.type, logged.version, logged.aliases) == ("model", "v0", ["latest", "staging"])
    path = run.use_model("digits-cnn:staging")
    assert Path(path).read_bytes() == b"\x00\x01weights" and Path(path).name == "model.pt"
    run.finish()
    api = Api(settings=online)
    art = api.artifact(f"{run.entity}/models/digits-cnn:v0", type="model")
    root = art.download(tmp_path / "again")
    assert (Path(root) / "model.pt").read_bytes() == b"\x00\x01weights"
    api.close()


# ---------------------------------------------------------------- where files land


def test_download_targets_resolve_symlinks_like_realpath(tmp_path: Path) -> None:
    """Targets resolves each folder once, with the answers os.path.realpath gives."""
    from heron.artifacts.transfer import Targets, target_path

    root = tmp_path / "root"
    (root / "real").mkdir(parents=True)
    (root / "alias").symlink_to(root / "real")  # a symlink that stays inside: allowed
    (root / "real" / "link.txt").symlink_to(root / "real" / "file.txt")
    targets = Targets(str(root))
    for path in ["a.txt", "real/b.txt", "alias/c.txt", "real/link.txt", "new/sub/d.txt"]:
        expected = os.path.realpath(root / path)
        assert targets.path(path) == target_path(str(root), path) == expected
    assert targets.path("alias/e.txt") == str(root / "real" / "e.txt")


def test_download_targets_refuse_symlinks_out_of_the_root(tmp_path: Path) -> None:
    from heron.artifacts.transfer import Targets

    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "root"
    root.mkdir()
    (root / "out").symlink_to(outside)
    (root / "secret.txt").symlink_to(outside / "secret.txt")
    targets = Targets(str(root))
    assert targets.path("fine.txt") == os.path.join(os.path.realpath(root), "fine.txt")
    for path in ["out/x.txt", "secret.txt", "../outside/x.txt", "a/../../outside/x.txt"]:
        with pytest.raises(UsageError, match="would escape the download root"):
            targets.path(path)
    for path in ["..", "a/..", ".", "a/", ""]:
        with pytest.raises(UsageError, match="does not name a file"):
            targets.path(path)
    assert not (outside / "secret.txt").exists()


def test_download_does_not_write_through_a_symlink_out_of_the_root(
    online_client: Client, tmp_path: Path
) -> None:
    run = _log_files(online_client, tmp_path)
    used = run.use_artifact("docs:latest")
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "out"
    root.mkdir()
    (root / "sub").symlink_to(outside)
    with pytest.raises(UsageError, match="would escape"):
        used.download(root)
    assert list(outside.iterdir()) == []
    run.finish()
