"""Run metadata: the Python, machine, program and git state a run was started with.

:func:`collect_metadata` returns a JSON-ready dict that the SDK stores as the
run's ``metadata`` (wandb's ``wandb-metadata.json``) and writes two run files
beside it: ``requirements.txt`` (every installed distribution as
``name==version``) and, when the git tree has uncommitted changes,
``diff.patch`` (``git diff HEAD``).

Everything is best effort: no git, no repository, a slow disk or a missing
permission leaves that piece out; nothing here raises into the user's program.
The expensive parts (the package list, git for a given working directory, the
hardware) are computed once per process, so a process that starts hundreds
of short runs pays for them once.

>>> from heron.settings import Settings
>>> meta = collect_metadata(Settings(git=False, meta=True), Path("/tmp/run-files"))
>>> sorted(meta["files"])
['requirements.txt']
"""

from __future__ import annotations

import datetime
import functools
import getpass
import logging
import os
import platform
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from heron.settings import Settings

__all__ = ["collect_metadata", "git_info"]

logger = logging.getLogger("heron.metadata")

REQUIREMENTS_FILE = "requirements.txt"
DIFF_FILE = "diff.patch"
GIT_TIMEOUT = 3.0
"""Seconds each ``git`` command may take before its piece is left out."""

_lock = threading.Lock()
_git_cache: dict[str, GitState | None] = {}


class GitState:
    """What git says about one working directory (fields absent git could not tell)."""

    def __init__(self, info: dict[str, Any], diff: bytes) -> None:
        self.info = info
        self.diff = diff


def collect_metadata(settings: Settings, files_dir: Path) -> dict[str, Any]:
    """Describe the environment of a run starting now, writing run files into ``files_dir``.

    With ``settings.meta`` the result holds ``python``, ``python_implementation``,
    ``os``, ``host``, ``username``, ``cpu_count`` (physical), ``cpu_count_logical``,
    ``memory`` (``{"total": bytes}``), ``gpu``/``gpu_count``/``gpu_names``,
    ``program``, ``args``, ``executable``, ``cwd`` and ``started_at`` (ISO 8601,
    UTC), and ``requirements.txt`` is written. With ``settings.git`` and a git
    working tree, ``git`` holds ``remote``, ``branch``, ``commit`` and
    ``dirty``, and a dirty tree writes ``diff.patch``. ``files`` lists the
    names actually written.
    """
    meta: dict[str, Any] = {}
    files: list[str] = []
    try:
        files_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        logger.warning("heron: cannot create %s for run files: %r", files_dir, exc)
    if settings.meta:
        meta.update(_static_info())
        meta.update(_program_info())
        meta["started_at"] = datetime.datetime.now(datetime.timezone.utc).isoformat()
        if _place(files_dir / REQUIREMENTS_FILE, _requirements(), "requirements"):
            files.append(REQUIREMENTS_FILE)
    if settings.git:
        state = git_info(os.getcwd())
        if state is not None:
            meta["git"] = dict(state.info)
            if state.diff and _place(files_dir / DIFF_FILE, state.diff, ("diff", os.getcwd())):
                files.append(DIFF_FILE)
    meta["files"] = files
    return meta


_placed: dict[object, Path] = {}
"""The last copy written of each cached file: later runs hard-link to it."""


def _place(path: Path, data: bytes, key: object) -> bool:
    """Put ``data`` at ``path``, as a hard link to the previous run's copy when possible.

    Run files are never modified after they are written, so runs can share
    one inode; a link costs a tenth of a write on common filesystems. When the
    earlier copy is gone or on another filesystem, write and link to this one.
    """
    source = _placed.get(key)
    if source is not None:
        try:
            os.link(source, path)
            return True
        except FileExistsError:
            if path.read_bytes() == data:
                return True
        except OSError:
            pass
    try:
        # Never write through an existing name: it may be a link shared with other runs.
        path.unlink(missing_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        logger.warning("heron: cannot write run file %s: %r", path, exc)
        return False
    _placed[key] = path
    return True


# ------------------------------------------------------------------ machine and program


@functools.cache
def _static_info() -> dict[str, Any]:
    """What does not change while the process lives (computed once)."""
    from heron.sdk.system import gpu_names

    info: dict[str, Any] = {
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "os": platform.platform(),
        "host": socket.gethostname(),
        "executable": sys.executable,
    }
    try:
        info["username"] = getpass.getuser()
    except Exception:  # no passwd entry and no USER variable, e.g. in some containers
        pass
    try:
        import psutil

        info["cpu_count"] = psutil.cpu_count(logical=False)
        info["cpu_count_logical"] = psutil.cpu_count(logical=True)
        info["memory"] = {"total": psutil.virtual_memory().total}
    except Exception as exc:
        logger.warning("heron: cannot read CPU and memory size: %r", exc)
        info["cpu_count_logical"] = os.cpu_count()
    names = gpu_names()
    if names:
        info["gpu"] = names[0]
        info["gpu_count"] = len(names)
        info["gpu_names"] = names
    return {k: v for k, v in info.items() if v is not None}


def _program_info() -> dict[str, Any]:
    """The program as it was run: these can change between runs of one process."""
    info: dict[str, Any] = {"args": list(sys.argv[1:])}
    main = sys.modules.get("__main__")
    program = getattr(main, "__file__", None) or (sys.argv[0] if sys.argv else "")
    if program and program not in ("-c", "-m"):
        info["program"] = program
        info["program_abspath"] = os.path.abspath(program)
    else:
        info["program"] = "<python with no main file>"
    try:
        info["cwd"] = os.getcwd()
    except OSError:
        pass
    return info


@functools.cache
def _requirements() -> bytes:
    """``name==version`` of every installed distribution, sorted (computed once).

    Read from the ``<name>-<version>.dist-info`` folder names on ``sys.path``,
    which is what installers write: some thirty times faster than parsing
    every ``METADATA`` file through importlib.metadata, which is the fallback
    for folders whose name does not carry a version (old ``.egg-info``).
    The first distribution of a name on the path wins, as for imports.
    """
    pins: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            pin = _pin_from_folder(entry or ".", name)
            if pin is not None:
                pins.setdefault(_normalize(pin[0]), f"{pin[0]}=={pin[1]}")
    return "".join(f"{p}\n" for _, p in sorted(pins.items())).encode()


def _pin_from_folder(entry: str, name: str) -> tuple[str, str] | None:
    if name.endswith(".dist-info"):
        project, _, version = name[: -len(".dist-info")].partition("-")
    elif name.endswith(".egg-info"):
        project, _, rest = name[: -len(".egg-info")].partition("-")
        version = rest.split("-", 1)[0]
    else:
        return None
    if project and version:
        return project, version
    import importlib.metadata

    try:  # a folder name without a version: ask its metadata
        dist = importlib.metadata.Distribution.at(os.path.join(entry, name))
        project, version = dist.metadata["Name"], dist.version
    except Exception:
        return None
    return (project, version) if project and version else None


def _normalize(project: str) -> str:
    """PEP 503 name normalization: ``Typing-Extensions`` and ``typing_extensions`` are one."""
    return re.sub(r"[-_.]+", "-", project).lower()


# ------------------------------------------------------------------ git


def git_info(cwd: str) -> GitState | None:
    """Git remote, branch, commit and dirtiness for ``cwd`` (None outside a work tree).

    Computed once per directory per process; a tree edited between two runs
    of the same process keeps the first answer.
    """
    with _lock:
        if cwd in _git_cache:
            return _git_cache[cwd]
    state = _query_git(cwd)
    with _lock:
        _git_cache[cwd] = state
    return state


def _git(cwd: str, *args: str) -> bytes | None:
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            timeout=GIT_TIMEOUT,
            env=env,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _query_git(cwd: str) -> GitState | None:
    inside = _git(cwd, "rev-parse", "--is-inside-work-tree")
    if inside is None or inside.strip() != b"true":
        return None
    info: dict[str, Any] = {}
    commit = _git(cwd, "rev-parse", "HEAD")
    if commit:
        info["commit"] = commit.decode().strip()
    branch = _git(cwd, "symbolic-ref", "--short", "-q", "HEAD")
    if branch:
        info["branch"] = branch.decode().strip()
    remote = _git(cwd, "config", "--get", "remote.origin.url")
    if remote:
        info["remote"] = _strip_credentials(remote.decode().strip())
    status = _git(cwd, "status", "--porcelain", "--untracked-files=no")
    diff = b""
    if status is not None:
        info["dirty"] = bool(status.strip())
        if info["dirty"] and commit:
            diff = _git(cwd, "diff", "HEAD", "--no-color", "--no-ext-diff") or b""
    return GitState(info, diff)


_CREDENTIALS = re.compile(r"^(https?://)[^/@]*@", re.IGNORECASE)


def _strip_credentials(url: str) -> str:
    """Drop ``user:token@`` from an https remote so secrets never reach the store."""
    return _CREDENTIALS.sub(r"\1", url)
