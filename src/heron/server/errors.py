"""One place where Heron's error codes become HTTP statuses, and back into bodies.

Domain code raises :class:`heron.errors.HeronError` subclasses that carry a
stable ``code``; only this module knows HTTP. Every error leaves the server as::

    {"error": {"code": "not_found", "message": "run a/b/c does not exist"}}

and :class:`heron.store.http.HttpStore` turns the code back into the same
exception class with :func:`heron.errors.error_for_code`.

=====================================  ======
error                                  status
=====================================  ======
NotFoundError (``not_found``)          404
UsageError and subclasses              400
ConflictError (``conflict``)           409
StoreUnavailableError                  503
a body over HERON_MAX_REQUEST_BYTES    413 (``too_large``, see ``heron.server.limits``)
anything else                          500
=====================================  ======
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from heron.errors import (
    ConflictError,
    HeronError,
    NotFoundError,
    StoreUnavailableError,
    UsageError,
)
from heron.server.responses import JSONResponse

log = logging.getLogger(__name__)

# Ordered: the first class an error is an instance of decides its status.
_STATUS_BY_CLASS: tuple[tuple[type[HeronError], int], ...] = (
    (NotFoundError, 404),
    (UsageError, 400),
    (ConflictError, 409),
    (StoreUnavailableError, 503),
)
TOO_LARGE_CODE = "too_large"
"""The code of a 413: a request body over what the server reads into memory."""
# Codes for errors that do not come from a HeronError (routing, HTTP itself).
_CODE_BY_STATUS = {
    400: UsageError.code,
    404: NotFoundError.code,
    405: "method_not_allowed",
    409: ConflictError.code,
    413: TOO_LARGE_CODE,
    503: StoreUnavailableError.code,
}


def http_status(error: HeronError) -> int:
    """The HTTP status for a Heron error: 404, 400, 409, 503, else 500."""
    for cls, status in _STATUS_BY_CLASS:
        if isinstance(error, cls):
            return status
    return 500


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    """The one error shape: ``{"error": {"code": ..., "message": ...}}``."""
    return JSONResponse({"error": {"code": code, "message": message}}, status, headers=headers)


async def _heron_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HeronError)
    status = http_status(exc)
    if status >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, exc, exc_info=exc)
    return error_response(status, exc.code, str(exc))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error_response(400, UsageError.code, _describe_validation(exc.errors()))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _CODE_BY_STATUS.get(exc.status_code, "heron_error" if exc.status_code >= 500 else "")
    if not code:
        code = f"http_{exc.status_code}"
    message = str(exc.detail)
    if exc.status_code == 404 and message == "Not Found":
        message = f"no API route {request.method} {request.url.path}; see /docs for the routes"
    return error_response(exc.status_code, code, message, headers=exc.headers)


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    # Starlette logs the traceback itself after this handler answers.
    return error_response(500, "internal_error", f"internal server error: {type(exc).__name__}")


def _describe_validation(errors: Any) -> str:
    """``query.limit: Input should be less than or equal to 10000; body: Field required``."""
    parts = []
    for error in errors:
        where = ".".join(str(p) for p in error.get("loc", ()))
        parts.append(f"{where}: {error.get('msg', 'invalid')}" if where else error.get("msg"))
    return "invalid request: " + "; ".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    """Route every error, ours or FastAPI's, through the one error shape."""
    app.add_exception_handler(HeronError, _heron_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
