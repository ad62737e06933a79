"""One run as the query API shows it: wandb's ``wandb.apis.public.Run``, on a Heron store."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from heron.api._util import iso
from heron.api.files import File
from heron.entities import RunInfo, RunKey
from heron.errors import NotFoundError, UsageError

if TYPE_CHECKING:
    from heron.api.api import Api
    from heron.artifacts.artifact import Artifact
    from heron.data_types.table import Table
    from heron.store.base import Store

_STREAMS = {"default": "history", "history": "history", "system": "system", "events": "system"}


def _stream(name: str) -> str:
    try:
        return _STREAMS[name]
    except KeyError:
        raise UsageError(
            f"stream must be 'default' (logged metrics) or 'system' (machine metrics), not {name!r}"
        ) from None


def _has_all(row: dict[str, Any], keys: Sequence[str]) -> bool:
    return all(k in row for k in keys)


class Run:
    """A run: its attributes, config, summary, history and files.

    Edit ``name``, ``tags``, ``notes``, ``group``, ``job_type``, ``config`` or
    ``summary`` and call :meth:`update` to save the change.

    >>> run = heron.Api().run("me/digits/abc123")          # doctest: +SKIP
    >>> run.summary["val/accuracy"], run.config["lr"]       # doctest: +SKIP
    >>> df = run.history(keys=["val/loss"])                 # doctest: +SKIP
    """

    def __init__(self, api: Api, info: RunInfo) -> None:
        self._api = api
        self._set(info)

    def _set(self, info: RunInfo) -> None:
        self._info = info
        self.name: str = info.name
        self.tags: list[str] = list(info.tags)
        self.notes: str | None = info.notes
        self.group: str | None = info.group
        self.job_type: str | None = info.job_type
        self.config: dict[str, Any] = copy.deepcopy(info.config)
        self.summary: dict[str, Any] = copy.deepcopy(info.summary)

    @property
    def _store(self) -> Store:
        return self._api.store

    @property
    def _key(self) -> RunKey:
        return self._info.key

    # ------------------------------------------------------------ attributes

    id = property(lambda self: self._info.run_id, doc="The run id (``abc123``).")
    entity = property(lambda self: self._info.entity)
    project = property(lambda self: self._info.project)
    state = property(lambda self: self._info.state, doc="running, finished, failed or crashed.")
    metadata = property(lambda self: self._info.metadata, doc="Python, OS, hardware, git.")
    user = property(lambda self: self._info.user)
    host = property(lambda self: self._info.host)
    exit_code = property(lambda self: self._info.exit_code)
    runtime = property(lambda self: self._info.runtime, doc="Seconds from start to end/now.")
    lastHistoryStep = property(  # wandb's camelCase name
        lambda self: self._info.last_step, doc="The last ``_step`` logged, -1 when none."
    )
    sweep = None

    @property
    def display_name(self) -> str:
        return self.name

    @display_name.setter
    def display_name(self, value: str) -> None:
        self.name = value

    @property
    def path(self) -> list[str]:
        """``[entity, project, id]``, as wandb returns it (``"/".join(run.path)`` for a string)."""
        return [self.entity, self.project, self.id]

    @property
    def url(self) -> str:
        return self._api._run_url(self._key)

    @property
    def created_at(self) -> str | None:
        """Start time, ISO 8601 UTC like wandb (``run.info.created_at`` for unix seconds)."""
        return iso(self._info.created_at)

    @property
    def heartbeat_at(self) -> str | None:
        return iso(self._info.heartbeat_at)

    @property
    def ended_at(self) -> str | None:
        return iso(self._info.ended_at)

    @property
    def info(self) -> RunInfo:
        """The store's record of the run as loaded (timestamps in unix seconds)."""
        return self._info

    @property
    def summary_metrics(self) -> dict[str, Any]:
        """The summary (wandb's older name for ``summary``)."""
        return self.summary

    @property
    def system_metrics(self) -> dict[str, Any]:
        """The latest system-metrics sample (``system/cpu``, ``system/memory``, …)."""
        keys = self._store.history_keys(self._key, stream="system")
        if not keys:
            return {}
        last = max(k.max_step for k in keys)
        rows = self._store.read_history(self._key, min_step=last, stream="system")
        return rows[-1] if rows else {}

    # ------------------------------------------------------------ history

    def history(
        self,
        samples: int = 500,
        keys: Sequence[str] | None = None,
        x_axis: str = "_step",
        pandas: bool = True,
        stream: str = "default",
    ) -> Any:
        """At most ``samples`` history rows spread over the run, first and last included.

        With ``keys``, only those keys (and ``x_axis``), and only rows that have
        all of them, as in wandb. Returns a pandas DataFrame (columns ``_step``,
        ``_runtime``, ``_timestamp`` and the metrics) when pandas is installed
        and ``pandas=True``, else a list of dicts. ``stream="system"`` gives
        the machine metrics.
        """
        if samples < 1:
            raise UsageError("samples must be at least 1")
        wanted = _wanted_keys(keys, x_axis)
        rows = self._store.sample_history(
            self._key, keys=wanted, samples=samples, stream=_stream(stream)
        )
        if wanted is not None:
            rows = [r for r in rows if _has_all(r, wanted)]
        if not pandas:
            return rows
        try:
            import pandas as pd
        except ImportError:
            return rows
        frame = pd.DataFrame.from_records(rows)
        first = [c for c in ("_step", x_axis) if c in frame.columns]
        rest = [c for c in frame.columns if c not in first]
        return frame[list(dict.fromkeys(first)) + rest] if len(frame.columns) else frame

    def scan_history(
        self,
        keys: Sequence[str] | None = None,
        page_size: int = 1000,
        min_step: int | None = None,
        max_step: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every history row with ``min_step <= _step < max_step``, fetched a page at a time.

        With ``keys``, only rows that have all of them, holding those keys
        and ``_step`` (wandb's semantics).
        """
        if page_size < 1:
            raise UsageError("page_size must be at least 1")
        wanted = list(keys) if keys is not None else None
        if isinstance(keys, str):
            raise UsageError("keys must be a list of key names, e.g. keys=['loss']")
        rows = self._store.scan_history(
            self._key, keys=wanted, min_step=min_step, max_step=max_step, page_size=page_size
        )
        if wanted is None:
            return iter(rows)
        return (r for r in rows if _has_all(r, wanted))

    def history_keys(self, stream: str = "default") -> list[str]:
        """The names of the keys logged to a stream."""
        return [k.key for k in self._store.history_keys(self._key, stream=_stream(stream))]

    def table(self, key: str, step: int | None = None) -> Table:
        """A table logged under ``key`` (at ``step``, else the last one), read back.

        Also reads the table behind a ``heron.plot`` chart, and a table set on
        the summary when the key has no history. Media cells come back as
        their stub dicts. Needs pyarrow (``pip install 'heron[media]'``).

        >>> run.table("predictions").get_dataframe()        # doctest: +SKIP
        """
        from heron.data_types.table import Table

        stub = self._logged_value(key, step)
        if isinstance(stub, dict) and stub.get("_type") == "plot":
            stub = stub.get("table")
        if not (isinstance(stub, dict) and stub.get("_type") == "table-file"):
            found = stub.get("_type") if isinstance(stub, dict) else type(stub).__name__
            raise UsageError(f"{key!r} of run {self.id} holds {found}, not a table")
        with self._store.blobs.open(stub["sha256"]) as f:
            return Table.from_parquet(f)

    def _logged_value(self, key: str, step: int | None) -> Any:
        """The value of ``key`` at ``step``; with no step, the last logged one or the summary's."""
        at = step
        if at is None:
            found = [k for k in self._store.history_keys(self._key) if k.key == key]
            at = found[0].max_step if found else None
        if at is not None:
            rows = self._store.read_history(self._key, keys=[key], min_step=at, max_step=at + 1)
            if rows and key in rows[0]:
                return rows[0][key]
        if step is None and key in self.summary:
            return self.summary[key]
        where = f" at step {step}" if step is not None else ""
        raise NotFoundError(f"run {self.id} has no value of {key!r}{where}")

    # ------------------------------------------------------------ files

    def files(self, names: Sequence[str] | None = None) -> list[File]:
        """The run's files (all, or those named), sorted by name."""
        infos = self._store.list_files(self._key)
        if names is not None:
            wanted = set(names)
            infos = [f for f in infos if f.name in wanted]
        return [File(self, f) for f in infos]

    def file(self, name: str) -> File:
        """One file by name; raises NotFoundError."""
        return File(self, self._store.get_file(self._key, name))

    # ------------------------------------------------------------ artifacts

    def logged_artifacts(self) -> list[Artifact]:
        """The artifact versions this run logged, in the order it logged them."""
        return self._artifacts("logged")

    def used_artifacts(self) -> list[Artifact]:
        """The artifact versions this run used, in the order it used them."""
        return self._artifacts("used")

    def _artifacts(self, kind: str) -> list[Artifact]:
        from heron.artifacts.artifact import Artifact

        versions = self._store.run_artifacts(self._key, kind)
        return [Artifact._from_version(v, self._store, self._api) for v in versions]

    # ------------------------------------------------------------ changes

    def update(self) -> None:
        """Save edits to name, tags, notes, group, job_type, config and summary."""
        if not isinstance(self.tags, (list, tuple)) or not all(
            isinstance(t, str) for t in self.tags
        ):
            raise UsageError("run.tags must be a list of strings")
        info = self._store.update_run(
            self._key,
            name=self.name,
            tags=list(self.tags),
            notes=self.notes,
            group=self.group,
            job_type=self.job_type,
            config=dict(self.config),
            summary=dict(self.summary),
        )
        self._set(info)

    save = update

    def delete(self, delete_artifacts: bool = False) -> None:
        """Delete the run with its history and file entries."""
        self._store.delete_run(self._key)

    def load(self, force: bool = False) -> RunInfo:
        """Read the run again from the store (discarding unsaved edits); return its record."""
        self._set(self._store.get_run(self._key))
        return self._info

    def refresh(self) -> Run:
        """Read the run again; return it (for chaining)."""
        self.load(force=True)
        return self

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Run) and other._key == self._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __repr__(self) -> str:
        return f"<Run {'/'.join(self.path)} ({self.state})>"


def _wanted_keys(keys: Sequence[str] | None, x_axis: str) -> list[str] | None:
    if keys is None:
        return None
    if isinstance(keys, str):
        raise UsageError("keys must be a list of key names, e.g. keys=['loss']")
    wanted = list(keys)
    if x_axis != "_step" and x_axis not in wanted:
        wanted.append(x_axis)
    return wanted


__all__ = ["Run"]
