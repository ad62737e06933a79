"""The one settings object.

Every knob is read once, here, from ``HERON_*`` environment variables (with
the ``WANDB_*`` names honoured as aliases), the file written by
``heron login``, and explicit overrides, in that order of increasing priority.
The object is then passed down explicitly to the SDK, the stores and the
server; nothing else reads the environment.

>>> s = Settings.from_env({"HERON_DIR": "/tmp/h", "WANDB_MODE": "offline"})
>>> s.mode, str(s.dir)
('offline', '/tmp/h')
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from heron.errors import UsageError

MODES = ("online", "offline", "disabled")
_MODE_ALIASES = {"run": "online", "dryrun": "offline", "offline": "offline", "online": "online"}
CONSOLE_MODES = ("auto", "wrap", "redirect", "off")
LOGIN_FILE = "login.json"


@dataclasses.dataclass(frozen=True)
class Settings:
    """Heron's configuration. Build it with :meth:`from_env`; copy with :meth:`replace`."""

    dir: Path = dataclasses.field(default_factory=lambda: Path("~/.heron").expanduser())
    """Root of the embedded store (``heron.db``, ``blobs/``) and of run folders."""
    base_url: str | None = None
    """A ``heron server`` to send to; None means the embedded store under ``dir``."""
    api_key: str | None = None
    """Sent as ``Authorization: Bearer <key>`` to the server."""
    mode: str = "online"
    """online: log and send; offline: log only (``heron sync`` later); disabled: no-op."""
    database_url: str | None = None
    """SQLAlchemy URL of the embedded/server database; default ``sqlite:///<dir>/heron.db``."""
    blob_url: str | None = None
    """Where blobs live: a folder (default ``<dir>/blobs``), ``file:///…`` or ``s3://bucket/prefix``."""
    s3_endpoint_url: str | None = None
    """The endpoint of an ``s3://`` blob URL (MinIO, Ceph); unset: boto3 reads AWS_ENDPOINT_URL."""
    project: str | None = None
    entity: str | None = None
    run_id: str | None = None
    run_name: str | None = None
    run_group: str | None = None
    job_type: str | None = None
    tags: tuple[str, ...] | None = None
    notes: str | None = None
    resume: str | None = None
    strict_steps: bool = False
    """Raise instead of warning when ``log(step=...)`` goes backwards."""
    console: str = "auto"
    stats: bool = True
    """Sample system metrics (CPU, memory, disk, network, GPU)."""
    stats_interval: float = 15.0
    meta: bool = True
    """Record run metadata (Python, OS, host, packages, program)."""
    git: bool = True
    """Record git remote/branch/commit and a diff when the tree is dirty."""
    silent: bool = False
    progress: bool | None = None
    """A progress line for large artifact transfers: None draws it when stderr is a terminal."""
    heartbeat_interval: float = 10.0
    crash_timeout: float = 120.0
    """A running run whose heartbeat is older than this is reported as crashed."""
    finish_timeout: float = 30.0
    """How long ``finish()`` waits for the store before leaving the rest in the log."""
    http_timeout: float = 10.0
    queue_size: int = 20_000
    """Records held in memory between ``log()`` and the writer thread."""
    max_request_bytes: int = 64 << 20
    """The largest request body the server reads into memory (blob uploads stream, unbounded).

    The HTTP client sends record batches in parts that fit under it.
    """

    # ---------------------------------------------------------------- builders

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read ``HERON_*`` (and ``WANDB_*``) variables, then the login file, then overrides.

        Reading the process environment is cached while the variables and the
        login file stay the same: a process starting hundreds of runs reads
        them once (each ``init()`` asks again, and gets the cached object).
        """
        global _env_cache
        if env is None and cls is Settings:
            key = _env_key()
            cached = _env_cache
            if cached is None or cached[0] != key:
                cached = _env_cache = (key, cls._read_env(os.environ))
            return cached[1].replace(**overrides) if overrides else cached[1]
        return cls._read_env(os.environ if env is None else env, **overrides)

    @classmethod
    def _read_env(cls, env: Mapping[str, str], **overrides: Any) -> Settings:

        def get(name: str, *aliases: str) -> str | None:
            for key in (f"HERON_{name}", *aliases):
                value = env.get(key)
                if value not in (None, ""):
                    return value
            return None

        values: dict[str, Any] = {}
        root = get("DIR")
        if root:
            values["dir"] = Path(root).expanduser()
        heron_dir = Path(values.get("dir") or Path("~/.heron").expanduser())
        values.update(_read_login(heron_dir))

        text_fields = {
            "base_url": ("BASE_URL", "WANDB_BASE_URL"),
            "api_key": ("API_KEY", "WANDB_API_KEY"),
            "database_url": ("DATABASE_URL",),
            "blob_url": ("BLOB_URL",),
            "s3_endpoint_url": ("S3_ENDPOINT_URL",),
            "project": ("PROJECT", "WANDB_PROJECT"),
            "entity": ("ENTITY", "WANDB_ENTITY"),
            "run_id": ("RUN_ID", "WANDB_RUN_ID"),
            "run_name": ("NAME", "WANDB_NAME"),
            "run_group": ("RUN_GROUP", "WANDB_RUN_GROUP"),
            "job_type": ("JOB_TYPE", "WANDB_JOB_TYPE"),
            "notes": ("NOTES", "WANDB_NOTES"),
            "resume": ("RESUME", "WANDB_RESUME"),
            "console": ("CONSOLE", "WANDB_CONSOLE"),
        }
        for field, (name, *aliases) in text_fields.items():
            value = get(name, *aliases)
            if value is not None:
                values[field] = value
        mode = get("MODE", "WANDB_MODE")
        if mode is not None:
            values["mode"] = mode
        if _truthy(get("DISABLED", "WANDB_DISABLED")):
            values["mode"] = "disabled"
        tags = get("TAGS", "WANDB_TAGS")
        if tags is not None:
            values["tags"] = tuple(t.strip() for t in tags.split(",") if t.strip())
        flags: tuple[tuple[str, str, tuple[str, ...]], ...] = (
            ("strict_steps", "STRICT_STEPS", ()),
            ("silent", "SILENT", ("WANDB_SILENT",)),
            ("progress", "PROGRESS", ()),
        )
        for field, name, flag_aliases in flags:
            raw = get(name, *flag_aliases)
            if raw is not None:
                values[field] = _truthy(raw)
        switches: tuple[tuple[str, str, tuple[str, ...]], ...] = (
            ("stats", "DISABLE_STATS", ()),
            ("meta", "DISABLE_META", ("WANDB_DISABLE_META",)),
            ("git", "DISABLE_GIT", ("WANDB_DISABLE_GIT",)),
        )
        for field, name, switch_aliases in switches:
            raw = get(name, *switch_aliases)
            if raw is not None:
                values[field] = not _truthy(raw)
        for field, name in (
            ("stats_interval", "STATS_INTERVAL"),
            ("heartbeat_interval", "HEARTBEAT_INTERVAL"),
            ("crash_timeout", "CRASH_TIMEOUT"),
            ("finish_timeout", "FINISH_TIMEOUT"),
            ("http_timeout", "HTTP_TIMEOUT"),
        ):
            raw = get(name)
            if raw is not None:
                values[field] = _number(f"HERON_{name}", raw, float)
        for field, name in (
            ("queue_size", "QUEUE_SIZE"),
            ("max_request_bytes", "MAX_REQUEST_BYTES"),
        ):
            raw = get(name)
            if raw is not None:
                values[field] = _number(f"HERON_{name}", raw, int)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (None values are ignored)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    def __post_init__(self) -> None:
        object.__setattr__(self, "dir", Path(self.dir).expanduser())
        mode = _MODE_ALIASES.get(self.mode, self.mode)
        if mode not in MODES:
            raise UsageError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        object.__setattr__(self, "mode", mode)
        if self.console not in CONSOLE_MODES:
            raise UsageError(
                f"console must be one of {', '.join(CONSOLE_MODES)}, not {self.console!r}"
            )
        if self.base_url is not None:
            object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        for field in ("stats_interval", "heartbeat_interval", "crash_timeout", "finish_timeout"):
            if getattr(self, field) <= 0:
                raise UsageError(f"{field} must be a positive number of seconds")
        for field in ("queue_size", "max_request_bytes"):
            if getattr(self, field) < 1:
                raise UsageError(f"{field} must be at least 1")

    # ---------------------------------------------------------------- derived

    @property
    def is_remote(self) -> bool:
        """True when records go to a ``heron server`` rather than the embedded store."""
        return self.base_url is not None

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.dir / 'heron.db'}"

    @property
    def resolved_blob_url(self) -> str:
        return self.blob_url or str(self.dir / "blobs")

    @property
    def runs_dir(self) -> Path:
        """Default parent of run folders (each holds the run log and run files)."""
        return self.dir / "runs"


_env_cache: tuple[object, Settings] | None = None
"""The last ``from_env()`` of the process environment, with the key it was read under."""


def _env_key() -> object:
    """What ``from_env()`` depends on: HERON_*/WANDB_* variables, HOME, the login file."""
    environ = os.environ
    variables = [(k, environ[k]) for k in environ if k.startswith(("HERON_", "WANDB_"))]
    root = environ.get("HERON_DIR") or "~/.heron"
    try:
        stat = os.stat(os.path.join(os.path.expanduser(root), LOGIN_FILE))
        login: tuple[int, ...] | None = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    except OSError:
        login = None
    return variables, environ.get("HOME"), login


def save_login(heron_dir: Path, base_url: str | None, api_key: str | None) -> Path:
    """Persist ``heron login`` so later processes send to that server."""
    global _env_cache
    heron_dir.mkdir(parents=True, exist_ok=True)
    path = heron_dir / LOGIN_FILE
    data = {"base_url": base_url, "api_key": api_key}
    path.write_text(json.dumps({k: v for k, v in data.items() if v}, indent=2) + "\n")
    path.chmod(0o600)
    _env_cache = None  # the next from_env() reads the new login
    return path


def _read_login(heron_dir: Path) -> dict[str, str]:
    path = heron_dir / LOGIN_FILE
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: str(v) for k, v in data.items() if k in ("base_url", "api_key") and v}


def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() in ("1", "true", "yes", "on")


def _number(name: str, raw: str, kind: type) -> Any:
    try:
        return kind(raw)
    except ValueError:
        raise UsageError(f"{name} must be a number, not {raw!r}") from None
