"""Build the FastAPI app over a Store, and serve it with uvicorn.

>>> from heron.settings import Settings
>>> app = create_app(Settings(dir="/tmp/heron-doc"))     # doctest: +SKIP
>>> serve(Settings.from_env(), port=8765)                 # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI

from heron._version import __version__
from heron.server import ui
from heron.server.errors import install_error_handlers
from heron.server.limits import BodySizeLimit
from heron.server.routes import API_PREFIX, api_router
from heron.settings import Settings
from heron.store.base import Store

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def create_app(settings: Settings, store: Store | None = None) -> FastAPI:
    """The Heron ASGI app: ``/api/v1`` over ``store``, the dashboard, OpenAPI docs at ``/docs``.

    With no ``store``, the SQL store of ``settings`` is opened (the database
    at ``settings.resolved_database_url`` and its blob store) and closed at
    shutdown; a store passed in stays the caller's to close. The app holds
    nothing but that store, so any number of replicas can serve one database.
    Request bodies read into memory are bounded by ``settings.max_request_bytes``
    (see :mod:`heron.server.limits`).
    """
    owned = store is None
    if store is None:
        from heron.store.sql import SqlStore

        store = SqlStore.from_settings(settings)
    the_store = store

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            the_store.close()

    app = FastAPI(
        title="Heron",
        version=__version__,
        summary="Self-hostable experiment tracking: the HTTP API of heron server.",
        description=(
            "Every resource lives under `/api/v1`. Errors come back as "
            '`{"error": {"code": ..., "message": ...}}`. Non-finite floats travel as '
            '`{"$f": "nan" | "inf" | "-inf"}`. Send `Authorization: Bearer <api key>`.'
        ),
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.store = the_store
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    app.include_router(api_router())
    _document_400_not_422(app)

    # The dashboard comes last: its /{entity}/{project} pages must not shadow the API.
    app.mount("/static", ui.static_files(), name="static")
    app.include_router(ui.router)
    return app


def _document_400_not_422(app: FastAPI) -> None:
    """Make ``/openapi.json`` say what the server does: invalid requests are 400, not 422."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = FastAPI.openapi(app)
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    operation.get("responses", {}).pop("422", None)
            for name in ("HTTPValidationError", "ValidationError"):
                schema.get("components", {}).get("schemas", {}).pop(name, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def serve(settings: Settings, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Run the server in this process until interrupted (loopback only by default).

    Bind to ``0.0.0.0`` explicitly to reach it from other machines; put it
    behind TLS when it leaves a trusted network.
    """
    import uvicorn

    app = create_app(settings)
    shown = f"[{host}]" if ":" in host else host
    print(
        f"Heron dashboard: http://{shown}:{port}/  (API: {API_PREFIX}, API docs: /docs)", flush=True
    )
    print(f"  database: {_redact(settings.resolved_database_url)}", flush=True)
    print(f"  blobs:    {settings.resolved_blob_url}", flush=True)
    sys.stdout.flush()
    uvicorn.run(app, host=host, port=port, log_level="info", timeout_graceful_shutdown=5)


def _redact(url: str) -> str:
    """Hide a password in a database URL before printing it."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, hostpart = rest.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return url
    return f"{scheme}://{userinfo.split(':', 1)[0]}:***@{hostpart}"
