"""Offline tracing keeps calls in the call log; ``heron sync`` sends them exactly once."""

from __future__ import annotations

from pathlib import Path

from heron import weave
from heron.sdk.sync import sync_paths
from heron.settings import Settings
from heron.store.sql import SqlStore


def test_offline_calls_are_sent_by_heron_sync_once(tmp_path: Path) -> None:
    offline = Settings(dir=tmp_path / "home", mode="offline")
    weave.init("me/offline-traces", settings=offline)

    @weave.op
    def double(x: int) -> int:
        return 2 * x

    @weave.op
    def total(n: int) -> int:
        return sum(double(i) for i in range(n))

    assert total(5) == 20
    weave.finish()

    online = Settings(dir=tmp_path / "home")
    (result,) = sync_paths(None, online)
    assert result.error is None and result.state == "calls" and result.applied > 0
    store = SqlStore.from_settings(online)
    try:
        calls = store.get_calls("me", "offline-traces", limit=100)
        assert sorted(c["op_name"] for c in calls) == ["double"] * 5 + ["total"]
        # Synced logs are complete: a second sync finds nothing to send.
        assert sync_paths(None, online) == []
        again = sync_paths([tmp_path / "home" / "weave"], online)
        assert [r.applied for r in again] == [0]
        assert len(store.get_calls("me", "offline-traces", limit=100)) == 6
    finally:
        store.close()


def test_heron_sync_puts_the_blobs_offline_calls_staged(tmp_path: Path) -> None:
    offline = Settings(dir=tmp_path / "home", mode="offline")
    weave.init("me/offline-blobs", settings=offline)

    @weave.op
    def echo(text: str) -> int:
        return len(text)

    long_text = "w" * 150_000  # over the limit: stored whole as a blob, a stub in the call
    assert echo(long_text) == 150_000
    weave.finish()

    online = Settings(dir=tmp_path / "home")
    (result,) = sync_paths(None, online)
    assert result.error is None and result.applied > 0
    store = SqlStore.from_settings(online)
    try:
        (call,) = store.get_calls("me", "offline-blobs", limit=10)
        stub = call["inputs"]["text"]
        assert stub["_type"] == "blob" and stub["size"] == 150_000
        with store.blobs.open(stub["sha256"]) as f:
            assert f.read() == long_text.encode()
    finally:
        store.close()
