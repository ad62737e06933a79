"""The no-op run of ``mode="disabled"``: every call is accepted and nothing is recorded.

Scripts keep working unchanged (``run.log``, ``run.config.lr``,
``run.summary[...]``, ``with heron.init(...)``) without touching the disk.
"""

from __future__ import annotations

from typing import Any, Literal

from heron.sdk.config import Config
from heron.sdk.summary import Summary


def _noop(*args: Any, **kwargs: Any) -> None:
    return None


class DisabledRun:
    """Accepts every Run call and does nothing; ``config`` and ``summary`` still hold values."""

    def __init__(
        self,
        *,
        project: str,
        entity: str,
        run_id: str,
        name: str,
        config: dict[str, Any] | None = None,
        tags: tuple[str, ...] = (),
        notes: str | None = None,
        group: str | None = None,
        job_type: str | None = None,
    ) -> None:
        self.id = run_id
        self.name = name
        self.project = project
        self.entity = entity
        self.path = f"{entity}/{project}/{run_id}"
        self.tags = tags
        self.notes = notes
        self.group = group
        self.job_type = job_type
        self.url: str | None = None
        self.dir = ""
        self.step = 0
        self.resumed = False
        self.offline = False
        self.disabled = True
        self.start_time = 0.0
        self.state = "running"
        self.config = Config()
        if config:
            self.config.update(config, allow_val_change=True)
        self.summary = Summary(sink=self)
        self.on_finish: Any = None

    def log(self, data: Any = None, step: Any = None, commit: Any = None, **kwargs: Any) -> None:
        return None

    def store_media(self, key: str, kind: str, ext: str, data: bytes) -> dict[str, Any]:
        """Media set on a disabled run's summary: described, never written."""
        from heron.data_types.base import MemorySink

        return MemorySink().store_media(key, kind, ext, data)

    def finish(self, exit_code: int | None = None, quiet: bool | None = None) -> None:
        if self.state == "running":
            self.state = "finished" if not exit_code else "failed"
            if self.on_finish is not None:
                self.on_finish(self)

    def save(self, *args: Any, **kwargs: Any) -> list[str]:
        return []

    def project_name(self) -> str:
        return self.project

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return _noop

    def __enter__(self) -> DisabledRun:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> Literal[False]:
        self.finish(exit_code=1 if exc_type is not None else 0)
        return False

    def __repr__(self) -> str:
        return f"<DisabledRun {self.path}>"
