"""HttpStore on the wire: headers, retries, deadlines, error mapping (a scripted server)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from heron._version import __version__
from heron.entities import RunKey
from heron.errors import (
    ConflictError,
    HeronError,
    InvalidNameError,
    NotFoundError,
    StoreUnavailableError,
    UsageError,
)
from heron.settings import Settings
from heron.store.http import HttpStore
from tests.helpers.live_server import free_port
from tests.server._support import CaptureServer, Reply, history_record

RUN = RunKey("me", "proj", "abc123")


@pytest.fixture
def make_store(tmp_path: Path) -> Iterator[Callable[..., HttpStore]]:
    """Build HttpStores on a URL (closed after the test)."""
    made: list[HttpStore] = []

    def make(
        url: str, api_key: str | None = None, http_timeout: float = 5.0, **kwargs: Any
    ) -> HttpStore:
        settings = Settings(
            dir=tmp_path / "client", base_url=url, api_key=api_key, http_timeout=http_timeout
        )
        made.append(HttpStore(settings, **kwargs))
        return made[-1]

    yield make
    for store in made:
        store.close()


def test_bearer_key_and_user_agent_are_sent(
    make_store: Callable[..., HttpStore], capture: CaptureServer
) -> None:
    capture.default = Reply(200, {"projects": []})
    store = make_store(capture.url, api_key="s3cret-key")
    assert store.list_projects() == []
    seen = capture.seen[-1]
    assert seen.path == "/api/v1/projects"
    assert seen.headers["authorization"] == "Bearer s3cret-key"
    assert seen.headers["user-agent"] == f"heron/{__version__}"


def test_no_authorization_header_without_a_key(
    make_store: Callable[..., HttpStore], capture: CaptureServer
) -> None:
    capture.default = Reply(200, {"projects": []})
    make_store(capture.url).list_projects(entity="me")
    assert "authorization" not in capture.seen[-1].headers
    assert capture.seen[-1].path == "/api/v1/projects?entity=me"


def test_5xx_answers_are_retried_until_one_succeeds(
    make_store: Callable[..., HttpStore], capture: CaptureServer
) -> None:
    capture.script = [
        Reply(503, {"error": {"code": "store_unavailable", "message": "db restarting"}}),
        Reply(500, {"error": {"code": "store_error", "message": "deadlock"}}),
        Reply(502, raw=b"<html>bad gateway</html>"),
    ]
    capture.default = Reply(200, {"watermark": 7})
    store = make_store(capture.url, retry_deadline=10.0)
    records = [history_record(7, 3, loss=0.5)]
    assert store.apply(RUN, "stream-1", records) == 7
    assert len(capture.seen) == 4
    # apply is idempotent by design: every attempt sent the very same batch.
    assert len({s.body for s in capture.seen}) == 1
    assert capture.seen[0].path == "/api/v1/runs/me/proj/abc123/records"


def test_5xx_past_the_deadline_raises_store_unavailable(
    make_store: Callable[..., HttpStore], capture: CaptureServer
) -> None:
    capture.default = Reply(503, {"error": {"code": "store_unavailable", "message": "db down"}})
    store = make_store(capture.url, retry_deadline=0.6)
    started = time.monotonic()
    with pytest.raises(StoreUnavailableError) as info:
        store.get_run(RUN)
    elapsed = time.monotonic() - started
    assert 0.5 <= elapsed < 3.0
    message = str(info.value)
    assert capture.url in message and "503" in message and "db down" in message
    assert "HERON_BASE_URL" in message
    assert len(capture.seen) >= 3  # backed off, but did retry


def test_unreachable_server_raises_store_unavailable(make_store: Callable[..., HttpStore]) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    store = make_store(url, retry_deadline=0.4)
    started = time.monotonic()
    with pytest.raises(StoreUnavailableError, match="ConnectError") as info:
        store.watermark(RUN, "s")
    assert 0.35 <= time.monotonic() - started < 3.0
    assert url in str(info.value)


def test_zero_deadline_tries_exactly_once(
    make_store: Callable[..., HttpStore], capture: CaptureServer
) -> None:
    capture.default = Reply(500, {"error": {"code": "store_error", "message": "boom"}})
    with pytest.raises(StoreUnavailableError, match="1 attempt"):
        make_store(capture.url, retry_deadline=0).list_projects()
    assert len(capture.seen) == 1


def test_timeouts_are_retried(make_store: Callable[..., HttpStore], capture: CaptureServer) -> None:
    capture.script = [Reply(200, {"watermark": 1}, delay=1.0)]
    capture.default = Reply(200, {"watermark": 2})
    store = make_store(capture.url, http_timeout=0.2, retry_deadline=10.0)
    assert store.watermark(RUN, "s") == 2
    assert len(capture.seen) == 2


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (404, "not_found", NotFoundError),
        (400, "invalid_name", InvalidNameError),
        (400, "usage_error", UsageError),
        (409, "conflict", ConflictError),
        (418, "something_new", HeronError),
    ],
)
def test_error_bodies_become_the_same_exception(
    make_store: Callable[..., HttpStore],
    capture: CaptureServer,
    status: int,
    code: str,
    cls: type[HeronError],
) -> None:
    capture.default = Reply(status, {"error": {"code": code, "message": "what went wrong"}})
    store = make_store(capture.url)
    with pytest.raises(cls, match="what went wrong") as info:
        store.get_run(RUN)
    assert type(info.value) is cls
    assert len(capture.seen) == 1  # 4xx is an answer, not a reason to retry


def test_an_error_page_that_is_not_ours_still_maps_by_status(
    make_store: Callable[..., HttpStore], capture: CaptureServer
) -> None:
    capture.default = Reply(404, raw=b"<html>nginx: not found</html>")
    with pytest.raises(NotFoundError, match="nginx"):
        make_store(capture.url).get_run(RUN)


def test_unauthorized_says_to_check_the_key(
    make_store: Callable[..., HttpStore], capture: CaptureServer
) -> None:
    capture.default = Reply(401, {"error": {"code": "unauthorized", "message": "bad key"}})
    with pytest.raises(HeronError, match="HERON_API_KEY"):
        make_store(capture.url, api_key="wrong").list_projects()


def test_non_finite_floats_travel_as_tags_both_ways(
    make_store: Callable[..., HttpStore], capture: CaptureServer
) -> None:
    capture.default = Reply(200, {"watermark": 3})
    store = make_store(capture.url)
    store.apply(RUN, "s", [history_record(3, 1, a=math.nan, b=math.inf, c=-math.inf, d=None)])
    row = orjson.loads(capture.seen[-1].body)["records"][0]["row"]
    assert row["a"] == {"$f": "nan"} and row["b"] == {"$f": "inf"} and row["c"] == {"$f": "-inf"}
    assert row["d"] is None

    capture.default = Reply(200, {"rows": [{"_step": 1, "x": {"$f": "-inf"}, "y": 2.5}]})
    rows = store.read_history(RUN, keys=["x", "y"])
    assert rows == [{"_step": 1, "x": -math.inf, "y": 2.5}]
    assert capture.seen[-1].path.startswith("/api/v1/runs/me/proj/abc123/history?keys=x&keys=y")


def test_read_history_pages_by_step(
    make_store: Callable[..., HttpStore], capture: CaptureServer
) -> None:
    import heron.store.http as http

    page = http.HISTORY_PAGE
    capture.script = [Reply(200, {"rows": [{"_step": s} for s in range(page)]})]
    capture.default = Reply(200, {"rows": [{"_step": page + 5}]})
    rows = make_store(capture.url).read_history(RUN, min_step=0)
    assert len(rows) == page + 1
    assert f"min_step={page}" in capture.seen[1].path


def test_bad_base_url_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="http://"):
        HttpStore(Settings(dir=tmp_path, base_url="ftp://example.org"))
    with pytest.raises(UsageError, match="HERON_BASE_URL"):
        HttpStore(Settings(dir=tmp_path))
