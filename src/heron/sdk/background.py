"""One reusable daemon thread for the SDK's short background jobs (run metadata).

Starting a thread costs more than collecting a run's metadata once the
per-process caches are warm, and a process that starts hundreds of short
runs would start hundreds of threads. Jobs go instead to one named daemon
thread, ``heron-background``, which waits :data:`IDLE_EXIT` seconds for the
next job and then ends; the next :func:`submit` starts a new one (also in a
forked child, which inherits no threads).

>>> job = submit(lambda: None)
>>> job.wait(5.0)
True
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable

__all__ = ["Job", "submit"]

log = logging.getLogger("heron")

IDLE_EXIT = 2.0
"""Seconds the thread waits for another job before it ends."""


class Job:
    """A submitted function; :meth:`wait` until it has run (or failed, which is logged)."""

    __slots__ = ("done", "fn")

    def __init__(self, fn: Callable[[], None]) -> None:
        self.fn = fn
        self.done = threading.Event()

    def wait(self, timeout: float | None = None) -> bool:
        """True once the job has run; False if ``timeout`` passed first."""
        return self.done.wait(timeout)


_lock = threading.Lock()
_jobs: queue.SimpleQueue[Job] = queue.SimpleQueue()
_worker: threading.Thread | None = None


def submit(fn: Callable[[], None]) -> Job:
    """Run ``fn`` on the background thread (jobs run one at a time, in order)."""
    global _worker
    job = Job(fn)
    with _lock:
        _jobs.put(job)
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_loop, name="heron-background", daemon=True)
            _worker.start()
    return job


def _loop() -> None:
    global _worker
    while True:
        try:
            job = _jobs.get(timeout=IDLE_EXIT)
        except queue.Empty:
            with _lock:  # submit() holds the lock while it checks for a live worker
                if _jobs.empty():
                    _worker = None
                    return
            continue
        try:
            job.fn()
        except Exception as exc:  # a job must never end the thread other jobs wait on
            log.warning("heron: background job failed: %r", exc)
        finally:
            job.done.set()


def _after_fork_in_child() -> None:
    global _lock, _jobs, _worker
    _lock = threading.Lock()
    _jobs = queue.SimpleQueue()
    _worker = None


os.register_at_fork(after_in_child=_after_fork_in_child)
