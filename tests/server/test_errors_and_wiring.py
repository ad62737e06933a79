"""The error-code → HTTP status table, the CLI arguments, and what each side imports."""

from __future__ import annotations

import subprocess
import sys

import pytest

import heron.errors as errors
from heron.server import errors as server_errors
from heron.server.__main__ import parse_args
from heron.server.app import _redact
from heron.server.routes import history, runs
from heron.store import http


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.NotFoundError("x"), 404),
        (errors.UsageError("x"), 400),
        (errors.InvalidNameError("x"), 400),
        (errors.InvalidValueError("x"), 400),
        (errors.ConfigError("x"), 400),
        (errors.StepError("x"), 400),
        (errors.NotInitializedError("x"), 400),
        (errors.ConflictError("x"), 409),
        (errors.StoreUnavailableError("x"), 503),
        (errors.StoreError("x"), 500),
        (errors.RunLogError("x"), 500),
        (errors.MissingDependencyError("x"), 500),
        (errors.HeronError("x"), 500),
    ],
)
def test_http_status_of_every_error(error: errors.HeronError, status: int) -> None:
    assert server_errors.http_status(error) == status
    # ... and the client turns the code back into the very same class.
    assert errors.error_for_code(error.code) is type(error)


def test_client_pages_fit_the_server_limits() -> None:
    assert http.RUNS_PAGE == runs.MAX_PAGE
    assert http.HISTORY_PAGE == history.MAX_ROWS


def test_arguments() -> None:
    args = parse_args(["--port", "9000", "--data", "/srv/heron", "--database-url", "sqlite://"])
    assert (args.host, args.port, str(args.data), args.database_url) == (
        "127.0.0.1",
        9000,
        "/srv/heron",
        "sqlite://",
    )
    assert parse_args([]).port == 8765


def test_database_passwords_are_not_printed() -> None:
    assert _redact("postgresql+psycopg://heron:hunter2@db:5432/heron") == (
        "postgresql+psycopg://heron:***@db:5432/heron"
    )
    assert _redact("sqlite:////data/heron.db") == "sqlite:////data/heron.db"
    assert _redact("postgresql://heron@db/heron") == "postgresql://heron@db/heron"


def test_the_http_client_does_not_import_the_server_or_sql() -> None:
    code = (
        "import sys, heron.store.http\n"
        "bad = [m for m in ('fastapi', 'starlette', 'uvicorn', 'sqlalchemy') if m in sys.modules]\n"
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_importing_heron_server_is_light() -> None:
    code = "import sys, heron.server; print('fastapi' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
