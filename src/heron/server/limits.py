"""A bound on the request bodies the server reads into memory (``HERON_MAX_REQUEST_BYTES``).

JSON routes read their body whole (``await request.body()``, FastAPI's models),
so without a bound one client could make a replica hold gigabytes.
:class:`BodySizeLimit`, a pure ASGI middleware, answers 413 ``too_large`` in
the usual error shape:

- at once, before a byte of the body is read, when ``Content-Length`` is over
  the limit;
- the moment a body sent without one (chunked) passes the limit.

``PUT /api/v1/blobs/{sha256}`` is exempt: it streams to the blob store (its
size is bounded by the disk) and is checked against its digest.

>>> app = BodySizeLimit(app, max_bytes=64 << 20)     # doctest: +SKIP
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from heron.server.errors import TOO_LARGE_CODE, error_response
from heron.server.routes import API_PREFIX

# One path segment of exactly 64 lowercase hex digits: no dots, no slashes, so
# no path trick (``/blobs/../runs/...``, ``%2F``) can reach another route.
_BLOB_UPLOAD = re.compile(re.escape(API_PREFIX) + r"/blobs/[0-9a-f]{64}")
_SETTING = "HERON_MAX_REQUEST_BYTES"


class BodySizeLimit:
    """Refuse (413) any request body over ``max_bytes``, blob uploads excepted."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_blob_upload(scope):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            message = f"the request body is {declared:,} bytes; {self._most()}"
            await _refusal(message)(scope, receive, send)
            return
        guard = _CountedBody(self.max_bytes, scope, receive, send)
        try:
            await self.app(scope, guard.receive, guard.send)
        except Exception:
            # Once refused, whatever the app made of the cut-off body is moot.
            if not guard.refused:
                raise

    def _most(self) -> str:
        return (
            f"the most this server reads into memory is {self.max_bytes:,} bytes"
            f" ({_SETTING} on the server raises it)"
        )


def is_blob_upload(scope: Scope) -> bool:
    """True for ``PUT /api/v1/blobs/{sha256}``, matched on the path Starlette routes on.

    Starlette routes on the percent-decoded ``path`` less ``root_path`` and
    does not resolve dot segments, so the same path is matched here, whole.
    """
    if scope.get("method") != "PUT":
        return False
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root + "/"):
        path = path[len(root) :]
    return _BLOB_UPLOAD.fullmatch(path) is not None


class _BodyTooLarge(Exception):
    """Raised into the app by ``receive`` once the body passed the limit."""


class _CountedBody:
    """One request's ``receive`` and ``send``, counting the body as it arrives."""

    def __init__(self, max_bytes: int, scope: Scope, receive: Receive, send: Send) -> None:
        self.max_bytes = max_bytes
        self.received = 0
        self.refused = False
        self._response_started = False
        self._scope = scope
        self._receive = receive
        self._send = send

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.max_bytes:
                await self._refuse()
                raise _BodyTooLarge
        return message

    async def send(self, message: Message) -> None:
        if self.refused:
            return  # the 413 has gone out; the app's own answer goes nowhere
        if message["type"] == "http.response.start":
            self._response_started = True
        await self._send(message)

    async def _refuse(self) -> None:
        if self._response_started:
            return  # too late for a 413: the server drops the connection instead
        message = (
            f"the request body (sent without Content-Length) is over {self.max_bytes:,}"
            f" bytes: {self.received:,} had arrived when it was cut off; the most this"
            f" server reads into memory is {self.max_bytes:,} bytes"
            f" ({_SETTING} on the server raises it)"
        )
        await _refusal(message)(self._scope, self._receive, self._send)
        self.refused = True


def _content_length(scope: Scope) -> int | None:
    """The declared body size, or None (chunked; a malformed one the server refuses itself)."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _refusal(message: str) -> ASGIApp:
    # Close the connection: the rest of the body is never read, so it cannot carry
    # another request.
    return error_response(413, TOO_LARGE_CODE, message, headers={"Connection": "close"})
