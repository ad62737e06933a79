"""Notices printed for the user (wandb style, on stderr), never ``warnings.warn``.

``warnings.warn`` would turn into errors under ``pytest -W error`` in the
user's own test suite; Heron's advice is printed instead, prefixed ``heron:``,
and silenced by ``HERON_SILENT`` / ``settings.silent``. The ``heron`` logger
gets the same text, for applications that route logging.
"""

from __future__ import annotations

import logging
import sys

log = logging.getLogger("heron")


def notice(message: str, *, silent: bool = False) -> None:
    """Print ``heron: <message>`` to stderr (unless silent) and log it at INFO."""
    log.info(message)
    if silent:
        return
    try:
        sys.stderr.write(f"heron: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed or broken stderr must not break the user's code
        pass
