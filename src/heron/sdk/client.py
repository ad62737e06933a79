"""The client: ``heron.init`` and the module-level functions are methods of one of these.

``heron/__init__.py`` makes a default :class:`Client` and exposes its methods
as ``heron.init``, ``heron.log``, ``heron.finish``, …; tests build isolated
clients with their own settings instead of patching globals.

Reinit (a second ``init()`` while a run is active) follows wandb's default in
scripts: the previous run is finished first (``reinit="finish_previous"``,
also ``True``/``None``/``False``/``"default"``). ``"return_previous"`` hands
back the active run; ``"create_new"`` keeps both (``heron.run`` is the newest).

>>> client = Client(Settings(dir="/tmp/heron-demo", mode="offline"))  # doctest: +SKIP
>>> run = client.init(project="demo"); run.log({"x": 1}); run.finish()  # doctest: +SKIP
"""

from __future__ import annotations

import atexit
import functools
import os
import secrets
import socket
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from heron.entities import RunKey, check_label, check_name, check_notes, check_run_id
from heron.errors import ConflictError, HeronError, NotFoundError, NotInitializedError, UsageError
from heron.records import LOG_SUFFIX, LogHeader
from heron.sdk import names
from heron.sdk.config import as_config_dict, load_config_yaml
from heron.sdk.disabled import DisabledRun
from heron.sdk.output import notice
from heron.sdk.run import Run, RunSetup, check_tags
from heron.sdk.user_settings import settings_overrides
from heron.sdk.writer import LogWriter, RecordQueue
from heron.settings import Settings, save_login

if TYPE_CHECKING:
    from heron.entities import RunInfo
    from heron.store.base import Store

AnyRun = Run | DisabledRun
_RESUME = {True: "auto", "allow": "allow", "auto": "auto", "must": "must", "never": "never"}
_REINIT = {
    None: "finish_previous",
    True: "finish_previous",
    False: "finish_previous",
    "default": "finish_previous",
    "finish_previous": "finish_previous",
    "return_previous": "return_previous",
    "create_new": "create_new",
}
_AUTO_RESUME_FILE = "auto-resume.json"
CONFIG_DEFAULTS = "config-defaults.yaml"


class Client:
    """Holds the active runs, the opened stores and the exit hooks of one process."""

    def __init__(self, settings: Settings | None = None, *, install_hooks: bool = True) -> None:
        self._settings = settings
        self._install = install_hooks
        self._runs: list[AnyRun] = []
        self._warned: set[str] = set()
        self._stores: dict[tuple[Any, ...], Store] = {}
        self._lock = threading.RLock()
        self._hooks_installed = False
        self._exit_code: int | None = None

    # ---------------------------------------------------------------- state

    @property
    def run(self) -> AnyRun | None:
        """The newest active run, or None."""
        return self._runs[-1] if self._runs else None

    def settings(self) -> Settings:
        """The base settings: the client's own, else read from the environment now."""
        return self._settings if self._settings is not None else Settings.from_env()

    def store(self, settings: Settings) -> Store:
        """The store the settings point at, opened once per client and shared by its runs."""
        key = (
            settings.base_url,
            settings.api_key,
            settings.resolved_database_url,
            settings.resolved_blob_url,
        )
        with self._lock:
            store = self._stores.get(key)
            if store is None:
                from heron.store import open_store

                store = self._stores[key] = open_store(settings)
            return store

    # ---------------------------------------------------------------- init

    def init(
        self,
        project: str | None = None,
        entity: str | None = None,
        name: str | None = None,
        id: str | None = None,
        notes: str | None = None,
        tags: Sequence[str] | None = None,
        group: str | None = None,
        job_type: str | None = None,
        config: Any = None,
        dir: str | os.PathLike[str] | None = None,
        mode: str | None = None,
        resume: bool | str | None = None,
        reinit: bool | str | None = None,
        settings: Any = None,
        config_include_keys: Sequence[str] | None = None,
        config_exclude_keys: Sequence[str] | None = None,
        allow_val_change: bool | None = None,
        **unknown: Any,
    ) -> AnyRun:
        """Start a run (wandb's ``init``); unknown wandb arguments are ignored with a notice.

        >>> run = heron.init(project="digits", config={"lr": 0.01})  # doctest: +SKIP
        """
        changes = settings_overrides(settings)
        named = {
            "project": project,
            "entity": entity,
            "run_id": id,
            "run_name": name,
            "notes": notes,
            "tags": check_tags(tags) if tags is not None else None,
            "run_group": group,
            "job_type": job_type,
            "mode": mode,
        }
        changes.update({k: v for k, v in named.items() if v is not None})
        s = self.settings().replace(**changes)
        for arg in unknown:
            if arg not in self._warned:
                self._warned.add(arg)
                notice(
                    f"init() ignores the argument {arg!r} (Heron does not support it)",
                    silent=s.silent,
                )
        if reinit is None and isinstance(settings, dict):
            reinit = settings.get("reinit")
        if reinit not in _REINIT:
            raise UsageError(
                f"reinit must be one of {', '.join(str(k) for k in _REINIT if k is not None)},"
                f" not {reinit!r}"
            )
        policy = _REINIT[reinit]
        if self._runs and policy == "return_previous":
            return self._runs[-1]
        if self._runs and policy == "finish_previous":
            for previous in list(self._runs):
                previous.finish()

        run_config = dict(as_config_dict(config))
        if os.path.isfile(CONFIG_DEFAULTS):  # wandb reads this file from the working directory
            run_config = {**load_config_yaml(Path(CONFIG_DEFAULTS)), **run_config}
        if config_include_keys:
            run_config = {k: v for k, v in run_config.items() if k in set(config_include_keys)}
        if config_exclude_keys:
            run_config = {k: v for k, v in run_config.items() if k not in set(config_exclude_keys)}
        check_label("name", s.run_name)
        check_label("group", s.run_group)
        check_label("job type", s.job_type)
        check_notes(s.notes)
        entity_name = check_name("entity", s.entity or names.default_entity())
        project_name = check_name("project", s.project or "uncategorized")

        if s.mode == "disabled":
            disabled = DisabledRun(
                project=project_name,
                entity=entity_name,
                run_id=s.run_id or names.generate_id(),
                name=s.run_name or names.generate_name(),
                config=run_config,
                tags=tuple(s.tags or ()),
                notes=s.notes,
                group=s.run_group,
                job_type=s.job_type,
            )
            disabled.on_finish = self._forget
            self._runs.append(disabled)
            return disabled
        return self._start(s, entity_name, project_name, run_config, resume, dir, allow_val_change)

    def _start(
        self,
        s: Settings,
        entity: str,
        project: str,
        config: dict[str, Any],
        resume: bool | str | None,
        dir: str | os.PathLike[str] | None,
        allow_val_change: bool | None,
    ) -> Run:
        resume_mode = _resume_mode(resume if resume is not None else s.resume)
        runs_dir = Path(dir).expanduser() if dir is not None else s.runs_dir
        run_id = s.run_id
        if run_id is None and resume_mode == "auto":
            run_id = _read_auto_resume(runs_dir, entity, project)
        run_id = check_run_id(run_id or names.generate_id())
        key = RunKey(entity, project, run_id)
        now = time.time()
        info = self._find_resumable(s, key, resume_mode) if resume_mode else None

        summary: dict[str, Any] = {}
        start_time, first_step, created_at, first_output_line = now, 0, now, 0
        name = s.run_name or names.generate_name()
        tags, notes = tuple(s.tags or ()), s.notes
        group, job_type = s.run_group, s.job_type
        if info is not None:
            merged = dict(info.config)
            merged.update(config)
            config = merged
            summary = dict(info.summary)
            first_step = info.last_step + 1
            start_time = now - info.runtime
            created_at = info.created_at
            name = s.run_name or info.name
            tags = tuple(s.tags) if s.tags is not None else tuple(info.tags)
            notes = s.notes if s.notes is not None else info.notes
            group = s.run_group or info.group
            job_type = s.job_type or info.job_type
            first_output_line = self._stored_output_lines(s, key)

        folder = _new_folder(runs_dir, run_id, now)
        log_path = folder / f"run-{run_id}{LOG_SUFFIX}"
        stream = f"{run_id}-{secrets.token_hex(6)}"
        host = _hostname()
        user = names.default_entity()
        header = LogHeader(stream, entity, project, run_id, os.getpid(), host, now)
        queue = RecordQueue(s.queue_size)
        writer = LogWriter(log_path, header, queue)
        setup = RunSetup(
            settings=s,
            key=key,
            name=name,
            folder=folder,
            log_path=log_path,
            stream=stream,
            tags=tags,
            notes=notes,
            group=group,
            job_type=job_type,
            config={},
            summary=summary,
            start_time=start_time,
            created_at=created_at,
            first_step=first_step,
            first_output_line=first_output_line,
            resumed=info is not None,
            host=host,
            user=user,
            open_store=lambda: self.store(s),
            on_finish=self._forget,
        )
        run = Run(setup, writer, queue)
        record: dict[str, Any] = {
            "type": "run",
            "name": name,
            "tags": list(tags),
            "notes": notes,
            "group": group,
            "job_type": job_type,
            "host": host,
            "user": user,
        }
        if info is None:
            record["created_at"] = created_at
        queue.put(record)
        if config:
            run.config.update(config, allow_val_change=True if info else bool(allow_val_change))
        if resume_mode == "auto":
            _write_auto_resume(runs_dir, key)
        # Said before console capture starts: output.log holds the program's output, not ours.
        verb = "resuming" if info is not None else "tracking"
        notice(f"{verb} run {name} ({key.path}) in {folder}", silent=s.silent)
        run._start_threads()
        self._runs.append(run)
        self._install_hooks()
        return run

    def _find_resumable(self, s: Settings, key: RunKey, mode: str) -> RunInfo | None:
        if s.mode != "online":
            return None
        try:
            info = self.store(s).get_run(key)
        except NotFoundError:
            info = None
        except HeronError as exc:
            if mode in ("must", "never"):
                raise
            notice(f"cannot check whether run {key.path} exists ({exc}); starting it anew")
            return None
        if info is None and mode == "must":
            raise NotFoundError(
                f"resume='must' but run {key.path} does not exist; check the id or use"
                " resume='allow'"
            )
        if info is not None and mode == "never":
            raise ConflictError(
                f"resume='never' but run {key.path} already exists; pick another id or use"
                " resume='allow'"
            )
        return info

    def _stored_output_lines(self, s: Settings, key: RunKey) -> int:
        """How many console lines a resumed run already has: its new lines number on from there."""
        try:
            return self.store(s).read_output(key, limit=0).total
        except HeronError as exc:
            notice(f"cannot count the console lines of {key.path} ({exc}); numbering from 0")
            return 0

    # ---------------------------------------------------------------- module functions

    def _require_run(self, what: str) -> AnyRun:
        run = self.run
        if run is None:
            raise NotInitializedError(f"call heron.init() before heron.{what}()")
        return run

    def log(
        self, data: Any, step: int | None = None, commit: bool | None = None, sync: Any = None
    ) -> None:
        """Log to the active run (see :meth:`heron.sdk.run.Run.log`)."""
        self._require_run("log").log(data, step=step, commit=commit)

    def define_metric(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Define a metric on the active run (see :meth:`heron.sdk.run.Run.define_metric`)."""
        return self._require_run("define_metric").define_metric(name, *args, **kwargs)

    def save(self, glob_str: Any = None, base_path: Any = None, policy: str = "live") -> list[str]:
        """Save files with the active run (see :meth:`heron.sdk.run.Run.save`)."""
        return self._require_run("save").save(glob_str, base_path, policy)

    def finish(self, exit_code: int | None = None, quiet: bool | None = None) -> None:
        """Finish the active run; does nothing when there is none."""
        run = self.run
        if run is not None:
            run.finish(exit_code=exit_code, quiet=quiet)

    def login(
        self,
        key: str | None = None,
        relogin: bool | None = None,
        host: str | None = None,
        **unknown: Any,
    ) -> bool:
        """Remember a server (``host``) and API key for later runs; embedded needs neither.

        >>> heron.login(host="http://heron.internal:8765", key="...")  # doctest: +SKIP
        """
        settings = self.settings()
        if host is None and key is None:
            return True
        save_login(settings.dir, host or settings.base_url, key or settings.api_key)
        return True

    def teardown(self) -> None:
        """Finish every run and close the stores (tests call this)."""
        for run in list(self._runs):
            run.finish()
        with self._lock:
            stores, self._stores = list(self._stores.values()), {}
        for store in stores:
            store.close()

    def _forget(self, run: AnyRun) -> None:
        if run in self._runs:
            self._runs.remove(run)
        if isinstance(run, Run) and run.state == "finished":
            _clear_auto_resume(run)

    # ---------------------------------------------------------------- exit hooks

    def _install_hooks(self) -> None:
        """Finish runs at exit with the process exit code (as wandb does)."""
        if self._hooks_installed or not self._install:
            return
        self._hooks_installed = True
        atexit.register(self._at_exit)
        previous_hook = sys.excepthook
        previous_exit = sys.exit

        def excepthook(kind: Any, value: Any, tb: Any) -> None:
            self._exit_code = 1
            previous_hook(kind, value, tb)

        def exit_hook(code: Any = None) -> None:
            self._exit_code = _exit_status(code)
            previous_exit(code)

        sys.excepthook = excepthook
        sys.exit = exit_hook  # type: ignore[assignment]

    def _at_exit(self) -> None:
        for run in list(self._runs):
            try:
                run.finish(exit_code=self._exit_code or 0)
            except Exception as exc:  # at exit nothing is left to protect but the message
                notice(f"could not finish run {run.path}: {exc}")


@functools.cache
def _hostname() -> str:
    return socket.gethostname()


def _exit_status(code: Any) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    return 1


def _resume_mode(resume: bool | str | None) -> str | None:
    if resume is None or resume is False:
        return None
    if resume not in _RESUME:
        raise UsageError(
            f"resume must be one of 'allow', 'auto', 'must', 'never' or True, not {resume!r}"
        )
    return _RESUME[resume]


def _new_folder(runs_dir: Path, run_id: str, now: float) -> Path:
    """Make ``run-<time>-<id>/files`` under ``runs_dir``: two mkdir calls when it exists."""
    stamp = time.strftime("%Y%m%d_%H%M%S", time.localtime(now))
    root = os.fspath(runs_dir)
    for attempt in range(1000):
        suffix = f"-{attempt}" if attempt else ""
        folder = os.path.join(root, f"run-{stamp}-{run_id}{suffix}")
        try:
            os.mkdir(folder)
        except FileExistsError:
            continue
        except FileNotFoundError:  # the first run under this folder
            runs_dir.mkdir(parents=True, exist_ok=True)
            try:
                os.mkdir(folder)
            except FileExistsError:
                continue
        os.mkdir(os.path.join(folder, "files"))
        return Path(folder)
    raise UsageError(f"cannot create a run folder for {run_id} in {runs_dir}")


def _read_auto_resume(runs_dir: Path, entity: str, project: str) -> str | None:
    try:
        data = orjson.loads((runs_dir / _AUTO_RESUME_FILE).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    if isinstance(data, dict) and data.get("entity") == entity and data.get("project") == project:
        run_id = data.get("run_id")
        return run_id if isinstance(run_id, str) else None
    return None


def _write_auto_resume(runs_dir: Path, key: RunKey) -> None:
    data = {"entity": key.entity, "project": key.project, "run_id": key.run_id}
    (runs_dir / _AUTO_RESUME_FILE).write_bytes(orjson.dumps(data))


def _clear_auto_resume(run: Run) -> None:
    path = run.folder.parent / _AUTO_RESUME_FILE
    try:
        data = orjson.loads(path.read_bytes())
        if data.get("run_id") == run.id:
            path.unlink()
    except (OSError, orjson.JSONDecodeError, AttributeError):
        pass
