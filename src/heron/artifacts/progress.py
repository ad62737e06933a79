"""A progress line on stderr for large artifact transfers.

    heron: uploading dataset: 412/1,000 files, 402.3/976.6 MiB, 212.4 MiB/s

It appears only when a transfer is large enough to be worth watching
(:data:`MIN_BYTES` or :data:`MIN_FILES`) and stderr is a terminal, or when
``HERON_PROGRESS=1`` asks for it anywhere; ``HERON_PROGRESS=0`` and
``HERON_SILENT`` turn it off. The line is redrawn with ``\\r`` at most every
:data:`REDRAW` seconds and ended with a newline when the transfer ends.
Small transfers get :data:`NO_PROGRESS`, whose methods do nothing, so they
pay nothing for it.

>>> with Progress.start("uploading", files=1000, total_bytes=10**9) as progress:
...     progress.advance(1 << 20)  # doctest: +SKIP
"""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from heron.settings import Settings

MIN_BYTES = 50 * 1000**2
MIN_FILES = 100
REDRAW = 0.2


class Progress:
    """Bytes and files moved out of a known total; thread-safe, drawn on ``stream``."""

    def __init__(
        self, label: str, files: int, total_bytes: int, stream: TextIO | None = None
    ) -> None:
        self.label = label
        self.files_total = files
        self.bytes_total = total_bytes
        self.files_done = 0
        self.bytes_done = 0
        self.stream = stream if stream is not None else sys.stderr
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._drawn_at = 0.0
        self._width = 0

    @staticmethod
    def start(
        label: str, files: int, total_bytes: int, settings: Settings | None = None
    ) -> Progress:
        """A reporter for a transfer of ``files`` files and ``total_bytes`` bytes.

        :data:`NO_PROGRESS` (does nothing) when the transfer is small, or when
        the settings or a non-terminal stderr say not to draw.
        """
        if files < MIN_FILES and total_bytes < MIN_BYTES:
            return NO_PROGRESS
        if settings is None:
            from heron.settings import Settings

            settings = Settings.from_env()
        if settings.silent or settings.progress is False:
            return NO_PROGRESS
        if settings.progress is None and not _is_tty(sys.stderr):
            return NO_PROGRESS
        return Progress(label, files, total_bytes)

    def advance(self, nbytes: int, files: int = 0) -> None:
        """Count ``nbytes`` more bytes and ``files`` more whole files; redraw if it is time."""
        with self._lock:
            self.bytes_done += nbytes
            self.files_done += files
            now = time.monotonic()
            if now - self._drawn_at < REDRAW:
                return
            self._drawn_at = now
            self._draw(now, end="")

    def file_done(self, nbytes: int) -> None:
        """A whole file of ``nbytes`` bytes moved."""
        self.advance(nbytes, 1)

    def close(self) -> None:
        """Draw the final line and end it."""
        with self._lock:
            self._draw(time.monotonic(), end="\n")

    def line(self, now: float | None = None) -> str:
        """The progress text (without ``\\r``)."""
        elapsed = max((now or time.monotonic()) - self._started, 1e-6)
        return (
            f"heron: {self.label}: {self.files_done:,}/{self.files_total:,} files,"
            f" {_mib(self.bytes_done)}/{_mib(self.bytes_total)} MiB,"
            f" {_mib(self.bytes_done / elapsed)} MiB/s"
        )

    def _draw(self, now: float, end: str) -> None:
        try:
            text = self.line(now)
            # Spaces wipe what a longer previous line left (no terminal codes in a log file).
            self.stream.write(f"\r{text}{' ' * (self._width - len(text))}{end}")
            self._width = len(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed stderr must not stop a transfer
            pass

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class _NoProgress(Progress):
    """The reporter of transfers too small to report: every method does nothing."""

    def __init__(self) -> None:
        super().__init__("", 0, 0)

    def advance(self, nbytes: int, files: int = 0) -> None:
        pass

    def file_done(self, nbytes: int) -> None:
        pass

    def close(self) -> None:
        pass


NO_PROGRESS: Progress = _NoProgress()


def _mib(n: float) -> str:
    return f"{n / (1 << 20):,.1f}"


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
