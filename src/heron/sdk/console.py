"""Console capture: tee ``sys.stdout`` and ``sys.stderr`` into a run's ``output.log``.

:class:`ConsoleCapture` replaces the two text streams by thin wrappers that
pass every write on to the stream they wrap (so the terminal, or pytest's
capture, sees exactly what it saw before) and keep a copy for the file.

What the file holds:

- lines as the terminal finally shows them: a carriage return starts the
  line over, so a progress bar that redraws itself hundreds of times with
  ``\\r`` leaves one line, its last state;
- stdout and stderr lines interleaved in the order they were completed,
  *without* a prefix (the file reads like the terminal did);
- a partial last line, completed with a newline when capture stops.

Writes to the file are buffered and flushed at least every second by one
named daemon thread shared by all captures (it ends when none is active),
and on :meth:`ConsoleCapture.stop`. A run that prints nothing leaves no file.

With ``on_lines``, each flush also hands its completed lines (without the
newline, cut at 64 KiB) to that callback, in order and one call at a time: the
Run turns them into ``output`` records, so the dashboard can tail a run while
it is still running instead of waiting for ``output.log`` at finish.

Writes that bypass ``sys.stdout`` (``sys.stdout.buffer``, ``os.write(1, …)``,
C extensions) are not captured; that needs file-descriptor redirection.

>>> capture = ConsoleCapture(Path("/tmp/output.log"))
>>> capture.start()
>>> print("epoch 1")
epoch 1
>>> capture.stop()
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from heron.entities import cut_output_line

__all__ = ["ConsoleCapture"]

logger = logging.getLogger("heron.console")

FLUSH_INTERVAL = 1.0
"""Seconds between two flushes of captured text to the file."""
_INLINE_FLUSH_CHARS = 1 << 20
"""Pending text beyond this is written at once, so a flood cannot grow memory."""


_registry_lock = threading.Lock()
_active: list[ConsoleCapture] = []
_flusher: threading.Thread | None = None


def _flush_loop() -> None:
    """One thread flushes every active capture; it ends when none is left."""
    global _flusher
    while True:
        time.sleep(FLUSH_INTERVAL)
        with _registry_lock:
            captures = list(_active)
            if not captures:
                _flusher = None
                return
        for capture in captures:
            capture.flush()


def _register(capture: ConsoleCapture) -> None:
    global _flusher
    with _registry_lock:
        _active.append(capture)
        if _flusher is None:
            _flusher = threading.Thread(target=_flush_loop, name="heron-console-flush", daemon=True)
            _flusher.start()


def _unregister(capture: ConsoleCapture) -> None:
    with _registry_lock:
        if capture in _active:
            _active.remove(capture)


class _LineState:
    """One stream's unfinished line, with terminal carriage-return semantics."""

    __slots__ = ("partial", "restart")

    def __init__(self) -> None:
        self.partial = ""
        self.restart = False
        """A ``\\r`` was seen: the next text replaces ``partial`` instead of extending it."""

    def feed(self, text: str, out: list[str]) -> None:
        """Consume ``text``; append each line it completes (with its newline) to ``out``."""
        pieces = text.split("\n")
        last = len(pieces) - 1
        for i, piece in enumerate(pieces):
            if piece:
                if "\r" in piece:
                    for j, segment in enumerate(piece.split("\r")):
                        if j:
                            self.restart = True
                        if segment:
                            self._add(segment)
                else:
                    self._add(piece)
            if i < last:
                out.append(self.partial + "\n")
                self.partial = ""
                self.restart = False

    def _add(self, segment: str) -> None:
        if self.restart:
            self.partial = segment
            self.restart = False
        else:
            self.partial += segment


class _Tee:
    """Stands in for a text stream: forwards everything, copies writes to the capture."""

    def __init__(self, original: TextIO, capture: ConsoleCapture, state: _LineState) -> None:
        self._original = original
        self._capture: ConsoleCapture | None = capture
        self._state = state

    def write(self, text: str) -> int:
        written = self._original.write(text)
        capture = self._capture
        if capture is not None and text:
            capture._feed(self._state, text)
        return written

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self._original.flush()

    def isatty(self) -> bool:
        return self._original.isatty()

    def fileno(self) -> int:
        return self._original.fileno()

    def detach_capture(self) -> None:
        """Stop copying; from now on this is a plain pass-through."""
        self._capture = None

    def __getattr__(self, name: str) -> Any:
        # encoding, errors, buffer, closed, ...: whatever the wrapped stream has.
        return getattr(self._original, name)


class ConsoleCapture:
    """Copies what the program prints to ``sys.stdout``/``sys.stderr`` into ``path``.

    ``stop()`` restores the streams that were there at ``start()``. When
    another wrapper was installed on top meanwhile (pytest's capture, a
    second run), the streams are left as they are and our wrapper turns into
    a pass-through, so nothing printed later is lost or duplicated.
    """

    def __init__(self, path: Path, on_lines: Callable[[list[str]], None] | None = None) -> None:
        self.path = Path(path)
        self.on_lines = on_lines
        self._lock = threading.Lock()
        self._pending: list[str] = []
        self._pending_chars = 0
        self._file_lock = threading.Lock()
        self._states: list[_LineState] = []
        self._tees: dict[str, _Tee] = {}
        self._failed = False
        self._callback_failed = False

    def start(self) -> None:
        """Wrap the streams (a no-op when already started).

        The file and its folder are created at the first flush that has
        something to write: a run that prints nothing leaves no empty file.
        """
        if self._tees:
            return
        for name in ("stdout", "stderr"):
            original = getattr(sys, name)
            if original is None:  # pythonw and some embedders have no streams
                continue
            state = _LineState()
            self._states.append(state)
            tee = _Tee(original, self, state)
            self._tees[name] = tee
            setattr(sys, name, tee)
        _register(self)

    def stop(self) -> None:
        """Restore the streams and write out every captured line."""
        if not self._tees:
            return
        for name, tee in self._tees.items():
            tee.detach_capture()
            if getattr(sys, name) is tee:
                setattr(sys, name, tee._original)
        self._tees = {}
        _unregister(self)
        with self._lock:
            for state in self._states:
                if state.partial:
                    self._pending.append(state.partial + "\n")
                    state.partial = ""
            self._states = []
        self.flush()

    def __enter__(self) -> ConsoleCapture:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------- internals

    def _feed(self, state: _LineState, text: str) -> None:
        with self._lock:
            before = len(self._pending)
            state.feed(text, self._pending)
            for line in self._pending[before:]:
                self._pending_chars += len(line)
            flood = self._pending_chars > _INLINE_FLUSH_CHARS
        if flood:
            self.flush()

    def flush(self) -> None:
        """Write the completed lines captured so far to the file (and give them to ``on_lines``)."""
        # The file lock is taken first and held across taking the lines, so two
        # flushes can never write their batches out of order.
        with self._file_lock:
            with self._lock:
                lines, self._pending, self._pending_chars = self._pending, [], 0
            if not lines:
                return
            data = "".join(lines).encode("utf-8", "replace")
            try:
                self._append(data)
            except OSError as exc:
                if not self._failed:  # say it once; the terminal still has everything
                    self._failed = True
                    logger.warning("heron: cannot write console output to %s: %r", self.path, exc)
            if self.on_lines is not None:
                self._hand_over(lines)

    def _hand_over(self, lines: list[str]) -> None:
        """Give the callback the lines without their newlines; never let it break the program."""
        assert self.on_lines is not None
        try:
            self.on_lines([cut_output_line(line[:-1]) for line in lines])
        except Exception as exc:
            if not self._callback_failed:
                self._callback_failed = True
                logger.warning("heron: cannot record console output lines: %r", exc)

    def _append(self, data: bytes) -> None:
        try:
            with open(self.path, "ab") as f:
                f.write(data)
                return
        except FileNotFoundError:  # the first write: make the folder
            self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "ab") as f:
            f.write(data)
