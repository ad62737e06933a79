"""collect_metadata: machine and program facts, requirements.txt, git in a real repo."""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from heron.sdk import metadata
from heron.sdk.metadata import collect_metadata, git_info
from heron.settings import Settings

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="the git command is absent")


def _git(repo: Path, *args: str) -> None:
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="T",
        GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="T",
        GIT_COMMITTER_EMAIL="t@example.com",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
    )
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env=env)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with one commit on branch ``main`` and an https remote."""
    path = tmp_path / "repo"
    path.mkdir()
    _git(path, "init", "-q", "-b", "main")
    _git(path, "remote", "add", "origin", "https://user:s3cret@git.example.com/team/proj.git")
    (path / "train.py").write_text("print('hello')\n")
    _git(path, "add", "train.py")
    _git(path, "commit", "-q", "-m", "first")
    return path


def test_machine_and_program(settings: Settings, tmp_path: Path) -> None:
    files = tmp_path / "files"
    meta = collect_metadata(settings.replace(meta=True), files)
    assert meta["python"] == ".".join(map(str, sys.version_info[:3]))
    assert meta["python_implementation"] == "CPython"
    assert meta["os"] and meta["host"]
    assert meta["cpu_count_logical"] >= 1
    assert meta["memory"]["total"] > 100 * 2**20
    assert meta["executable"] == sys.executable
    assert meta["args"] == sys.argv[1:]
    assert meta["cwd"] == os.getcwd()
    assert meta["program"]
    started = datetime.datetime.fromisoformat(meta["started_at"])
    assert abs(started.timestamp() - time.time()) < 60
    assert "git" not in meta  # the fixture turns git off


def test_requirements_txt_lists_installed_distributions(settings: Settings, tmp_path: Path) -> None:
    files = tmp_path / "files"
    meta = collect_metadata(settings, files)
    assert meta["files"] == ["requirements.txt"]
    lines = (files / "requirements.txt").read_text().splitlines()
    assert f"psutil=={importlib.metadata.version('psutil')}" in lines
    assert any(line.startswith("heron==") for line in lines)
    assert all("==" in line for line in lines)


def test_meta_off_writes_nothing(settings: Settings, tmp_path: Path) -> None:
    files = tmp_path / "files"
    meta = collect_metadata(settings.replace(meta=False), files)
    assert meta == {"files": []}
    assert not (files / "requirements.txt").exists()


@needs_git
def test_clean_repo(
    settings: Settings, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    files = tmp_path / "files"
    meta = collect_metadata(settings.replace(git=True, meta=False), files)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert meta["git"] == {
        "commit": head,
        "branch": "main",
        "remote": "https://git.example.com/team/proj.git",  # credentials dropped
        "dirty": False,
    }
    assert meta["files"] == []
    assert not (files / "diff.patch").exists()


@needs_git
def test_dirty_repo_writes_diff_patch(
    settings: Settings, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "train.py").write_text("print('hello, changed')\n")
    monkeypatch.chdir(repo)
    files = tmp_path / "files"
    meta = collect_metadata(settings.replace(git=True), files)
    assert meta["git"]["dirty"] is True
    assert sorted(meta["files"]) == ["diff.patch", "requirements.txt"]
    patch = (files / "diff.patch").read_text()
    assert "-print('hello')" in patch and "+print('hello, changed')" in patch


@needs_git
def test_outside_a_repo_there_is_no_git(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.chdir(plain)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    meta = collect_metadata(settings.replace(git=True, meta=False), tmp_path / "files")
    assert "git" not in meta


def test_no_git_command_is_tolerated(
    settings: Settings, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    meta = collect_metadata(settings.replace(git=True, meta=False), tmp_path / "files")
    assert "git" not in meta


def test_unwritable_files_dir_is_tolerated(settings: Settings, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the folder should be")
    meta = collect_metadata(settings, blocker / "files")
    assert meta["files"] == []
    assert meta["python"]


@needs_git
def test_repeated_runs_reuse_what_was_collected(
    settings: Settings, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "train.py").write_text("dirty\n")
    monkeypatch.chdir(repo)
    on = settings.replace(git=True, meta=True)
    collect_metadata(on, tmp_path / "first")
    assert git_info(str(repo)) is git_info(str(repo))  # cached per directory
    for i in range(20):
        meta = collect_metadata(on, tmp_path / f"run{i}")
        assert sorted(meta["files"]) == ["diff.patch", "requirements.txt"]
    # What a run costs is measured by benchmarks/ (200 short runs), not timed here.


def test_later_runs_share_one_copy_of_the_run_files(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(metadata, "_placed", {})
    first = collect_metadata(settings, tmp_path / "run1")
    second = collect_metadata(settings, tmp_path / "run2")
    assert first["files"] == second["files"] == ["requirements.txt"]
    a, b = tmp_path / "run1" / "requirements.txt", tmp_path / "run2" / "requirements.txt"
    assert a.read_bytes() == b.read_bytes()
    assert a.stat().st_ino == b.stat().st_ino  # a hard link, not a second write
    # Every earlier copy deleted: the next run writes a fresh one.
    a.unlink()
    b.unlink()
    third = collect_metadata(settings, tmp_path / "run3")
    assert third["files"] == ["requirements.txt"]
    assert (tmp_path / "run3" / "requirements.txt").stat().st_size > 0


def test_an_existing_file_is_replaced_not_written_through(
    settings: Settings, tmp_path: Path
) -> None:
    collect_metadata(settings, tmp_path / "run1")
    target = tmp_path / "run2" / "requirements.txt"
    target.parent.mkdir()
    target.write_text("stale\n")
    collect_metadata(settings, tmp_path / "run2")
    assert target.read_bytes() == (tmp_path / "run1" / "requirements.txt").read_bytes()


def test_requirements_match_importlib_metadata() -> None:
    listed = {
        metadata._normalize(line.split("==")[0]): line.split("==")[1]
        for line in metadata._requirements().decode().splitlines()
    }
    expected = {
        metadata._normalize(d.metadata["Name"]): d.version
        for d in reversed(list(importlib.metadata.distributions()))  # first on the path wins
    }
    assert listed == expected


def test_requirements_from_folder_names_and_egg_info(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    (site / "Fancy_Pkg-1.2.3.dist-info").mkdir(parents=True)
    (site / "old.egg-info").mkdir()
    (site / "old.egg-info" / "PKG-INFO").write_text(
        "Metadata-Version: 1.0\nName: old-pkg\nVersion: 0.9\n"
    )
    (site / "psutil-0.0.1.dist-info").mkdir()  # shadows the real psutil: first on the path wins
    monkeypatch.setattr(sys, "path", [str(site), *sys.path])
    metadata._requirements.cache_clear()
    try:
        lines = metadata._requirements().decode().splitlines()
    finally:
        metadata._requirements.cache_clear()
    assert "Fancy_Pkg==1.2.3" in lines
    assert "old-pkg==0.9" in lines
    assert "psutil==0.0.1" in lines
    assert not [line for line in lines if line.startswith("psutil==") and line != "psutil==0.0.1"]
