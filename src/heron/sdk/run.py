"""The Run: what ``heron.init()`` returns, wandb compatible.

A Run turns every change (a logged row, a config change, a file) into a
record on its :class:`~heron.sdk.writer.RecordQueue`; the writer thread
appends records to the run log and the sender thread ships them to the store
(see :mod:`heron.sdk.writer` and :mod:`heron.sdk.sender`). Nothing on the
caller's thread does I/O in ``log()``.

>>> import heron
>>> with heron.init(project="demo", mode="offline") as run:   # doctest: +SKIP
...     run.log({"loss": 0.5})
"""

from __future__ import annotations

import dataclasses
import glob as globlib
import hashlib
import os
import shutil
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from heron.entities import RunKey, check_label, check_notes
from heron.errors import InvalidValueError, NotInitializedError, StepError, UsageError
from heron.sdk.config import Config, dump_config_yaml
from heron.sdk.output import log as logger
from heron.sdk.output import notice
from heron.sdk.sender import Sender
from heron.sdk.summary import MetricDefinition, Summary
from heron.sdk.values import coerce_step, prepare_row
from heron.sdk.writer import BYTES_FIELD, Faithful, LogWriter, RecordQueue

if TYPE_CHECKING:
    from heron.artifacts.artifact import Artifact
    from heron.sdk.background import Job
    from heron.settings import Settings
    from heron.store.base import Store

SUMMARY_EVERY = 2.0
"""Seconds between summary snapshots while running (they are coalesced, not per row)."""
OUTPUT_LINES_PER_RECORD = 1000
_STEP_WARNINGS = 5
_SAVE_POLICIES = ("live", "now", "end")


@dataclasses.dataclass
class RunSetup:
    """Everything :class:`Run` needs, decided by ``init()``."""

    settings: Settings
    key: RunKey
    name: str
    folder: Path
    log_path: Path
    stream: str
    tags: tuple[str, ...] = ()
    notes: str | None = None
    group: str | None = None
    job_type: str | None = None
    config: dict[str, Any] = dataclasses.field(default_factory=dict)
    summary: dict[str, Any] = dataclasses.field(default_factory=dict)
    start_time: float = 0.0
    created_at: float | None = None
    first_step: int = 0
    first_output_line: int = 0
    """Console lines of a resumed run continue numbering after the stored ones."""
    resumed: bool = False
    host: str | None = None
    user: str | None = None
    open_store: Callable[[], Store] | None = None
    on_finish: Callable[[Run], None] | None = None


class Run:
    """A run being recorded. Build it with ``heron.init()``, not directly."""

    def __init__(self, setup: RunSetup, writer: LogWriter, queue: RecordQueue) -> None:
        self._setup = setup
        self._settings = setup.settings
        self._key = setup.key
        self._name = setup.name
        self._tags = tuple(setup.tags)
        self._notes = setup.notes
        self._group = setup.group
        self._job_type = setup.job_type
        self._start = setup.start_time
        self._resumed = setup.resumed
        self._folder = setup.folder
        self._files_dir = setup.folder / "files"
        self._log_path = setup.log_path
        self._queue = queue
        self._put = queue.put
        self._writer = writer
        self._sender: Sender | None = None
        self._finished = False
        self._lock = threading.RLock()
        self._step = setup.first_step
        self._pending: dict[str, Any] = {}
        self._pending_nf = False
        self._pending_time = 0.0
        self._strict = setup.settings.strict_steps
        self._step_warnings = 0
        self._summary_at = 0.0
        self._system_step = 0
        self._output_line = setup.first_output_line
        self._saves: list[tuple[str, str, str]] = []
        self._logged_files: dict[str, tuple[int, int]] = {}
        self._context: list[Any] = []
        self._metadata_job: Job | None = None
        self.state = "running"
        """running, then finished or failed (crashed is decided by the store or ``heron sync``)."""
        self.exit_code: int | None = None
        self._summary = Summary(setup.summary, sink=self)
        self._media_paths: set[str] = set()
        self._config = Config(emit=self._emit_config)
        if setup.config:
            self._config.update(setup.config, allow_val_change=True)

    # ---------------------------------------------------------------- start/stop

    def _start_threads(self) -> None:
        """Start the writer (and, online, the sender), then context capture."""
        settings = self._settings
        self._writer.start()
        if settings.mode == "online" and self._setup.open_store is not None:
            self._sender = Sender(
                self._log_path,
                self._setup.open_store,
                heartbeat_interval=settings.heartbeat_interval,
                writer_done=self._writer.written,
                run_id=self._key.run_id,
            )
            self._writer.on_write = self._sender.wake.set
            # finish() tells the writer whether the log still needs an fsync.
            self._writer.fsync_decision_timeout = settings.finish_timeout + 5.0
            self._sender.start()
        self._start_context()

    def _start_context(self) -> None:
        settings = self._settings
        if settings.console != "off":
            try:
                from heron.sdk.console import ConsoleCapture

                console = ConsoleCapture(self._files_dir / "output.log", self._emit_output)
                console.start()
                self._context.append(console)
            except ImportError:
                logger.debug("heron.sdk.console is not available")
        if settings.stats:
            try:
                from heron.sdk.system import SystemMonitor

                monitor = SystemMonitor(settings.stats_interval, self._emit_system)
                monitor.start()
                self._context.append(monitor)
            except ImportError:
                logger.debug("heron.sdk.system is not available")
        if settings.meta:
            from heron.sdk.background import submit

            self._metadata_job = submit(self._collect_metadata)

    def _collect_metadata(self) -> None:
        try:
            from heron.sdk.metadata import collect_metadata

            metadata = collect_metadata(self._settings, self._files_dir)
        except ImportError:
            return
        except Exception as exc:  # metadata is a nicety: never break the run for it
            logger.warning("heron: could not collect run metadata: %s", exc)
            return
        if metadata and not self._finished:
            self._put({"type": "run", "metadata": metadata})

    # ---------------------------------------------------------------- log

    def log(
        self,
        data: Mapping[str, Any],
        step: int | None = None,
        commit: bool | None = None,
        sync: bool | None = None,
    ) -> None:
        """Log a row of metrics, with wandb's step and commit rules.

        Without ``step``, the data joins the pending row, which is committed
        at the current step unless ``commit=False``. A larger ``step`` first
        commits the pending row, then moves to that step and leaves the data
        pending (a later larger step, ``commit=True`` or ``finish()`` commits
        it). A smaller step is dropped with a notice (StepError under
        ``HERON_STRICT_STEPS``). ``sync`` is accepted for wandb compatibility and ignored.

        >>> run.log({"loss": 0.25, "eval": {"acc": 0.9}})   # doctest: +SKIP
        """
        if self._finished:
            raise NotInitializedError(
                f"run {self._key.run_id} is finished; start another with heron.init()"
            )
        if type(data) is not dict and not isinstance(data, Mapping):
            raise InvalidValueError(
                f"log() takes a dict of key -> value, not {type(data).__name__}"
            )
        row, nonfinite = prepare_row(data, self)
        if step is None:
            pending = self._pending
            if not pending and (commit is None or commit):
                # The usual call: nothing pending, so this row is committed as it is.
                self._commit_row(row, nonfinite, time.time())
                return
            if pending:
                pending.update(row)
            else:
                self._pending = row
            if nonfinite:
                self._pending_nf = True
            self._pending_time = time.time()
            if commit is None or commit:
                self._commit()
            return
        self._log_at(row, nonfinite, coerce_step(step), commit)

    def _log_at(self, row: dict[str, Any], nonfinite: bool, step: int, commit: bool | None) -> None:
        if step < self._step:
            message = (
                f"step {step} is smaller than the current step {self._step}; the data logged"
                f" with step={step} is dropped ({', '.join(sorted(row)[:5])})"
            )
            if self._strict:
                raise StepError(message + ". Log with increasing steps.")
            self._step_warnings += 1
            if self._step_warnings <= _STEP_WARNINGS:
                suffix = " (further step notices are silenced)"
                notice(
                    message + (suffix if self._step_warnings == _STEP_WARNINGS else ""),
                    silent=self._settings.silent,
                )
            return
        if step > self._step:
            if self._pending:
                self._commit()
            self._step = step
        if self._pending:
            self._pending.update(row)
        else:
            self._pending = row
        self._pending_nf = self._pending_nf or nonfinite
        self._pending_time = time.time()
        if commit:
            self._commit()

    def _commit(self) -> None:
        row = self._pending
        if not row:
            return
        self._pending = {}
        nonfinite = self._pending_nf
        self._pending_nf = False
        self._commit_row(row, nonfinite, self._pending_time)

    def _commit_row(self, row: dict[str, Any], nonfinite: bool, now: float) -> None:
        """Stamp a row (a dict of our own, not the caller's) and send it as a history record."""
        row["_step"] = self._step
        row["_runtime"] = now - self._start
        row["_timestamp"] = now
        self._step += 1
        summary = self._summary
        if summary._defs:
            summary.observe_row(row)
        else:
            summary._data.update(row)
        if nonfinite:
            self._put(Faithful(type="history", row=row))
        else:
            self._put({"type": "history", "row": row})
        if now - self._summary_at > SUMMARY_EVERY:
            self._summary_at = now
            self._put({"type": "summary", "summary": summary.snapshot()})

    def _emit_system(self, sample: dict[str, float]) -> None:
        """The SystemMonitor's callback: one ``system`` record per sample (own ``_step``)."""
        if self._finished:
            return
        now = time.time()
        row: dict[str, Any] = dict(sample)
        row["_step"] = self._system_step
        row["_runtime"] = now - self._start
        row["_timestamp"] = now
        self._system_step += 1
        self._put(Faithful(type="system", row=row))

    def store_media(self, key: str, kind: str, ext: str, data: bytes) -> dict[str, Any]:
        """The :class:`~heron.data_types.MediaSink` of this run: queue a media file.

        The file is named by its content; the writer thread writes it into the
        run's folder and logs a ``file`` record, which the sender uploads. The
        same bytes under the same key are queued once.
        """
        from heron.data_types.base import media_path

        self._check_open()
        sha256 = hashlib.sha256(data).hexdigest()
        path = media_path(kind, key, sha256, ext)
        if path not in self._media_paths:
            self._media_paths.add(path)
            local = str(self._files_dir / path)
            self._put({"type": "file", "name": path, "path": local, BYTES_FIELD: data})
        return {"path": path, "sha256": sha256, "size": len(data)}

    def _emit_output(self, lines: list[str]) -> None:
        """ConsoleCapture's callback (one call at a time): ``output`` records of <= 1000 lines."""
        for i in range(0, len(lines), OUTPUT_LINES_PER_RECORD):
            part = lines[i : i + OUTPUT_LINES_PER_RECORD]
            self._put({"type": "output", "start": self._output_line, "lines": part})
            self._output_line += len(part)

    def _emit_config(self, config: dict[str, Any]) -> None:
        if not self._finished:
            self._put({"type": "config", "config": config})

    def _emit_run(self, **fields: Any) -> None:
        self._check_open()
        self._put({"type": "run", **fields})

    def _check_open(self) -> None:
        if self._finished:
            raise NotInitializedError(
                f"run {self._key.run_id} is finished; start another with heron.init()"
            )

    # ---------------------------------------------------------------- metrics, files

    def define_metric(
        self,
        name: str,
        step_metric: str | None = None,
        step_sync: bool | None = None,
        hidden: bool | None = None,
        summary: str | None = None,
        goal: str | None = None,
        **unknown: Any,
    ) -> MetricDefinition:
        """Say how a metric (or a ``prefix/*`` glob) is plotted and summarised.

        >>> run.define_metric("val/loss", step_metric="epoch", summary="min", goal="minimize")
        ... # doctest: +SKIP
        """
        self._check_open()
        definition = MetricDefinition.build(name, step_metric, step_sync, hidden, summary, goal)
        self._summary.define(definition)
        self._put({"type": "metric", "metric": definition.to_record()})
        return definition

    def save(
        self,
        glob_str: str | os.PathLike[str] | None = None,
        base_path: str | os.PathLike[str] | None = None,
        policy: str = "live",
    ) -> list[str]:
        """Keep files with the run: copied (``now``) or linked (``live``, ``end``) into ``dir``.

        ``now`` uploads the file as it is; ``live`` uploads it now and again at
        finish; ``end`` at finish. Names in the run are relative to
        ``base_path`` (default: the current directory for relative globs, the
        glob's folder for absolute ones). Returns the paths in the run folder.
        """
        self._check_open()
        if policy not in _SAVE_POLICIES:
            raise UsageError(
                f"save policy must be one of {', '.join(_SAVE_POLICIES)}, not {policy!r}"
            )
        if glob_str is None:
            raise UsageError("save() needs a file path or glob, e.g. run.save('model.pt')")
        pattern = os.fspath(glob_str)
        base = os.fspath(base_path) if base_path is not None else _default_base(pattern)
        saved = self._save_matches(pattern, base, policy)
        if policy != "now":
            self._saves.append((pattern, base, policy))
        return saved

    def _save_matches(self, pattern: str, base: str, policy: str) -> list[str]:
        saved = []
        for match in sorted(globlib.glob(pattern, recursive=True)):
            if not os.path.isfile(match):
                continue
            name = os.path.relpath(os.path.abspath(match), os.path.abspath(base))
            if name.startswith(".."):
                raise UsageError(
                    f"cannot save {match!r}: it is outside base_path {base!r}; pass a base_path"
                    " that contains it"
                )
            dest = self._files_dir / name
            if not (dest.exists() and os.path.samefile(match, dest)):
                dest.parent.mkdir(parents=True, exist_ok=True)
                if dest.is_symlink() or dest.exists():
                    dest.unlink()
                if policy == "now":
                    shutil.copy2(match, dest)
                else:
                    os.symlink(os.path.abspath(match), dest)
            if policy != "end":
                self._log_file(name, dest)
            saved.append(str(dest))
        return saved

    def _log_file(self, name: str, path: Path | str, stat: os.stat_result | None = None) -> None:
        if stat is None:
            try:
                stat = os.stat(path)
            except OSError:
                return
        version = (stat.st_mtime_ns, stat.st_size)
        if self._logged_files.get(name) == version:
            return
        self._logged_files[name] = version
        self._put({"type": "file", "name": name, "path": str(path)})

    def _log_run_files(self) -> None:
        for pattern, base, policy in self._saves:
            try:
                self._save_matches(pattern, base, policy)
            except (OSError, UsageError) as exc:
                logger.warning("heron: cannot save %s at finish: %s", pattern, exc)
        found = _files_under(os.fspath(self._files_dir), "")
        found.sort(key=lambda item: item[0].split("/"))  # the order of sorted(Path.rglob())
        media = self._media_paths
        for name, path, stat in found:
            # Media files travel with their own records; the writer may be mid-write on them.
            if name in media or name.endswith(".partial"):
                continue
            self._log_file(name, path, stat)

    # ---------------------------------------------------------------- artifacts

    def log_artifact(
        self,
        artifact_or_path: Artifact | str | os.PathLike[str],
        name: str | None = None,
        type: str | None = None,
        aliases: list[str] | None = None,
    ) -> Artifact:
        """Queue an artifact's version through the run log, logged by this run.

        Takes a :class:`heron.Artifact` or a file/folder path (then ``name``
        and ``type`` name it). Returns at once (offline too: ``heron sync``
        sends it); ``art.wait()`` blocks until the store holds the version.
        The same content as an existing version makes no new version (a
        notice says so); new content makes ``v{n+1}`` and moves ``latest``;
        ``aliases`` move to the version.

        >>> run.log_artifact("data/", name="digits", type="dataset")  # doctest: +SKIP
        """
        from heron.artifacts import runs

        return runs.log_artifact(self, artifact_or_path, name, type, aliases)

    def use_artifact(self, artifact_or_name: Artifact | str, type: str | None = None) -> Artifact:
        """Record that this run uses ``[entity/project/]name:v3|latest|alias``; return it.

        >>> run.use_artifact("digits:latest").download()  # doctest: +SKIP
        """
        from heron.artifacts import runs

        return runs.use_artifact(self, artifact_or_name, type)

    def log_model(
        self,
        path: str | os.PathLike[str],
        name: str | None = None,
        aliases: list[str] | None = None,
    ) -> Artifact:
        """Log a model file or folder as a ``model`` artifact."""
        from heron.artifacts import runs

        return runs.log_model(self, path, name, aliases)

    def use_model(self, name: str) -> str:
        """Use and download a model artifact; the local path of its file (or folder)."""
        from heron.artifacts import runs

        return runs.use_model(self, name)

    def link_artifact(
        self, artifact: Artifact, target_path: str, aliases: list[str] | None = None
    ) -> None:
        """Link a logged artifact into ``registry/[<registry>/]<collection>`` with ``aliases``.

        >>> run.link_artifact(art, "registry/digits-cnn", aliases=["staging"])  # doctest: +SKIP
        """
        from heron.artifacts import runs

        runs.link_artifact(self, artifact, target_path, aliases)

    def link_model(
        self,
        path: str | os.PathLike[str],
        registered_model_name: str,
        name: str | None = None,
        aliases: list[str] | None = None,
    ) -> Artifact:
        """Log a model and link it into the ``model`` registry's collection of that name.

        >>> run.link_model("model.pt", "digits-cnn", aliases=["staging"])  # doctest: +SKIP
        """
        from heron.artifacts import runs

        return runs.link_model(self, path, registered_model_name, name, aliases)

    # ---------------------------------------------------------------- finish

    def finish(self, exit_code: int | None = None, quiet: bool | None = None) -> None:
        """End the run: commit the pending row, send what is left, mark it finished or failed.

        Waits at most ``settings.finish_timeout`` seconds for the store; what
        was not sent stays in the run log and a ``heron sync`` hint is printed.
        Calling it again does nothing.
        """
        with self._lock:
            if self._finished:
                return
            self._commit()
            for part in reversed(self._context):
                try:
                    part.stop()
                except Exception as exc:
                    logger.warning("heron: could not stop %s: %s", type(part).__name__, exc)
            if self._metadata_job is not None:
                self._metadata_job.wait(5.0)
            self._finished = True
            exit_code = 0 if exit_code is None else int(exit_code)
            self.exit_code = exit_code
            self.state = "finished" if exit_code == 0 else "failed"
            silent = self._settings.silent if quiet is None else quiet
            deadline = time.monotonic() + self._settings.finish_timeout
            try:
                dump_config_yaml(self._config._data, self._files_dir / "config.yaml")
            except (OSError, ValueError) as exc:
                logger.warning("heron: cannot write config.yaml: %s", exc)
            self._log_run_files()
            self._put({"type": "summary", "summary": self._summary.snapshot()})
            self._put(
                {
                    "type": "exit",
                    "state": self.state,
                    "exit_code": exit_code,
                    "ended_at": time.time(),
                }
            )
            self._writer.close(max(0.1, deadline - time.monotonic()), wait_for_fsync=False)
            self._wait_for_sender(deadline, silent)
            self._writer.done.wait(max(0.1, deadline - time.monotonic()))
            self._raise_internal_errors_under_pytest()
            if self._setup.on_finish is not None:
                self._setup.on_finish(self)

    def _wait_for_sender(self, deadline: float, silent: bool) -> None:
        sender = self._sender
        folder = self._folder
        if sender is None:
            if self._settings.mode == "offline":
                notice(
                    f"offline run saved in {folder}; send it with: heron sync {folder}",
                    silent=silent,
                )
            return
        sender.wake.set()
        delivered = sender.done.wait(max(0.0, deadline - time.monotonic()))
        # The log needs an fsync only while it is the one copy of what was not sent.
        self._writer.decide_fsync(needed=not delivered)
        if delivered:
            return
        sender.stop()
        reason = f" ({sender.last_error})" if sender.last_error else ""
        notice(
            f"could not send every record of run {self._key.path} within"
            f" {self._settings.finish_timeout:g}s{reason}; they are kept in {self._log_path}."
            f" Send them later with: heron sync {folder}",
            silent=False,
        )

    def _raise_internal_errors_under_pytest(self) -> None:
        """Internal failures are only logged for users, but tests must see them (STYLE 7)."""
        if "PYTEST_CURRENT_TEST" not in os.environ:
            return
        errors = [self._writer.error, self._sender.unexpected_error if self._sender else None]
        for error in errors:
            if error is not None:
                raise error

    def __enter__(self) -> Run:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> Literal[False]:
        self.finish(exit_code=1 if exc_type is not None else 0)
        return False

    # ---------------------------------------------------------------- properties

    @property
    def id(self) -> str:
        return self._key.run_id

    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        if not value:
            raise UsageError(f"a run name must be a non-empty string, not {value!r}")
        check_label("name", value)
        self._emit_run(name=value)
        self._name = value

    @property
    def notes(self) -> str | None:
        return self._notes

    @notes.setter
    def notes(self, value: str | None) -> None:
        check_notes(value)
        self._emit_run(notes=value)
        self._notes = value

    @property
    def tags(self) -> tuple[str, ...]:
        return self._tags

    @tags.setter
    def tags(self, value: Any) -> None:
        tags = check_tags(value)
        self._emit_run(tags=list(tags))
        self._tags = tags

    @property
    def project(self) -> str:
        return self._key.project

    @property
    def entity(self) -> str:
        return self._key.entity

    @property
    def path(self) -> str:
        return self._key.path

    @property
    def group(self) -> str | None:
        return self._group

    @property
    def job_type(self) -> str | None:
        return self._job_type

    @property
    def url(self) -> str | None:
        """The run's page on the server; for the embedded store, where its database lives."""
        settings = self._settings
        if settings.mode != "online":
            return None
        if settings.base_url:
            return f"{settings.base_url}/{self.entity}/{self.project}/runs/{self.id}"
        return f"{settings.resolved_database_url}#{self.path}"

    @property
    def dir(self) -> str:
        """The run's files folder (``config.yaml``, ``output.log``, saved files)."""
        return str(self._files_dir)

    @property
    def folder(self) -> Path:
        """The run folder holding the run log and ``files/``."""
        return self._folder

    @property
    def log_path(self) -> Path:
        return self._log_path

    @property
    def step(self) -> int:
        return self._step

    @property
    def resumed(self) -> bool:
        return self._resumed

    @property
    def offline(self) -> bool:
        return self._settings.mode == "offline"

    @property
    def disabled(self) -> bool:
        return False

    @property
    def start_time(self) -> float:
        return self._start

    @property
    def config(self) -> Config:
        return self._config

    @property
    def summary(self) -> Summary:
        return self._summary

    @property
    def settings(self) -> Settings:
        return self._settings

    def project_name(self) -> str:
        return self.project

    def __repr__(self) -> str:
        return f"<Run {self.path} name={self._name!r} state={self.state}>"


def check_tags(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    tags = tuple(value)
    for tag in tags:
        if not isinstance(tag, str) or not tag or len(tag) > 64:
            raise UsageError(f"tags must be strings of 1-64 characters, not {tag!r}")
    return tags


def _files_under(folder: str, prefix: str) -> list[tuple[str, str, os.stat_result]]:
    """(name relative to the top folder, path, stat) of each file under ``folder``.

    Like ``Path.rglob("*")`` filtered by ``is_file()`` (links to files count,
    links to folders are not followed), in one ``scandir`` per folder.
    """
    found: list[tuple[str, str, os.stat_result]] = []
    try:
        with os.scandir(folder) as listing:
            entries = list(listing)
    except OSError:
        return found
    for entry in entries:
        name = prefix + entry.name
        try:
            if entry.is_dir(follow_symlinks=False):
                found.extend(_files_under(entry.path, name + "/"))
            elif entry.is_file():
                found.append((name, entry.path, entry.stat()))
        except OSError:  # gone, or a dangling link: not a file to keep
            continue
    return found


def _default_base(pattern: str) -> str:
    if not os.path.isabs(pattern):
        return "."
    parts = Path(pattern).parts
    fixed = []
    for part in parts[:-1]:
        if any(ch in part for ch in "*?["):
            break
        fixed.append(part)
    return str(Path(*fixed)) if fixed else os.sep
