"""HTML for ``run.log``: a page (text, a ``.html`` path or an open file) stored as a file.

>>> run.log({"report": heron.Html("<h1>Epoch 3</h1><p>all good</p>")})  # doctest: +SKIP
>>> run.log({"report": heron.Html("report.html")})                      # doctest: +SKIP

The dashboard shows it in a sandboxed ``<iframe srcdoc>`` (no scripts run
with the dashboard's rights). With ``inject=True`` (the default, as wandb) a
small stylesheet is put in the page's ``<head>`` so bare fragments read like
the dashboard around them; pass ``inject=False`` to store the page untouched.
"""

from __future__ import annotations

import os
import re
from typing import Any, ClassVar

from heron.data_types.base import Media, MediaSink
from heron.errors import InvalidValueError

__all__ = ["Html"]

INJECTED_STYLE = (
    '<meta charset="utf-8"><style data-heron>body{margin:8px;'
    "font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1f2328}"
    "table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:2px 6px}</style>"
)
_HEAD = re.compile(r"<head(\s[^>]*)?>", re.IGNORECASE)
_HTML = re.compile(r"<html(\s[^>]*)?>", re.IGNORECASE)


class Html(Media):
    """An HTML page: ``data`` is HTML text, the path of an ``.html``/``.htm`` file, or a file."""

    _type: ClassVar[str] = "html-file"

    def __init__(self, data: Any, inject: bool = True) -> None:
        if isinstance(data, os.PathLike) or (
            isinstance(data, str) and data.lower().endswith((".html", ".htm")) and "<" not in data
        ):
            text = _read(os.fspath(data))
        elif isinstance(data, str):
            text = data
        elif hasattr(data, "read"):
            content = data.read()
            text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
            if not isinstance(text, str):
                raise InvalidValueError("Html's file object must read as str or bytes")
        else:
            raise InvalidValueError(
                f"cannot make Html of a {type(data).__qualname__}; pass HTML text,"
                " the path of an .html file, or an open file"
            )
        self.html = _inject(text) if inject else text

    def to_stub(self, sink: MediaSink, key: str) -> dict[str, Any]:
        return sink.store_media(key, "html", "html", self.html.encode("utf-8"))


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError as exc:
        raise InvalidValueError(f"cannot read HTML file {path!r}: {exc.strerror}") from None


def _inject(text: str) -> str:
    """``text`` with :data:`INJECTED_STYLE` at the start of its head (or of the page)."""
    for pattern in (_HEAD, _HTML):
        match = pattern.search(text)
        if match:
            extra = INJECTED_STYLE if pattern is _HEAD else f"<head>{INJECTED_STYLE}</head>"
            return text[: match.end()] + extra + text[match.end() :]
    return INJECTED_STYLE + text
