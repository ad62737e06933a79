"""What only the SQL store promises: crash detection, chunk layout, SQLite details, opening."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from heron.entities import KeyInfo, RunKey
from heron.errors import UsageError
from heron.settings import Settings
from heron.store.sql import SqlStore
from heron.store.sql.tables import CHUNK_POINTS, history_chunks
from tests.store.conftest import SQL_KINDS
from tests.store.test_contract import history, start, steps

RUN = RunKey("me", "proj", "r1")


@pytest.mark.parametrize("kind", SQL_KINDS)
def test_silent_running_runs_are_reported_crashed(
    kind: str, make_sql_store: Callable[..., SqlStore]
) -> None:
    # Long enough that a slow, loaded machine still revives r1 within it at the end.
    store = make_sql_store(kind, crash_timeout=1.5)
    start(store, RUN)
    start(store, RunKey("me", "proj", "r2"))
    start(store, RunKey("me", "proj", "done"))
    store.apply(
        RunKey("me", "proj", "done"), "s1", [{"seq": 2, "type": "exit", "state": "finished"}]
    )
    assert store.get_run(RUN).state == "running"
    time.sleep(1.6)
    store.apply(RunKey("me", "proj", "r2"), "s1", [])  # r2's heartbeat keeps it alive
    assert store.get_run(RUN).state == "crashed"
    assert store.count_runs("me", "proj", filters={"state": "crashed"}) == 1
    states = {r.run_id: r.state for r in store.list_runs("me", "proj")}
    assert states == {"r1": "crashed", "r2": "running", "done": "finished"}
    # Records from the run show it alive after all.
    store.apply(RUN, "s1", history(steps(1)))
    assert store.get_run(RUN).state == "running"


def test_chunks_fill_up_before_new_ones_start(sql_store: SqlStore) -> None:
    start(sql_store, RUN)
    sql_store.apply(RUN, "s1", history(steps(10_000)))
    seq = 10_002
    for s in range(10_000, 10_010):
        sql_store.apply(RUN, "s1", history(steps(1, start=s), first_seq=seq))
        seq += 1
    with sql_store.engine.connect() as conn:
        sizes = conn.execute(sa.select(history_chunks.c.n).order_by(history_chunks.c.id))
        assert [n for (n,) in sizes] == [CHUNK_POINTS, CHUNK_POINTS, 10_010 - 2 * CHUNK_POINTS]
    assert len(sql_store.read_history(RUN)) == 10_010


def test_a_step_written_again_keeps_the_last_value(sql_store: SqlStore) -> None:
    start(sql_store, RUN)
    sql_store.apply(RUN, "s1", history([{"_step": s, "x": 1.0, "t": "a"} for s in range(5)]))
    sql_store.apply(
        RUN, "s2", [{"seq": 1, "type": "run"}, *history([{"_step": 2, "x": 9.0, "t": "b"}])]
    )
    rows = sql_store.read_history(RUN)
    assert [r["x"] for r in rows] == [1.0, 1.0, 9.0, 1.0, 1.0]
    assert rows[2]["t"] == "b"
    assert sql_store.series(RUN, "x").last == [1.0, 1.0, 9.0, 1.0, 1.0]


@pytest.mark.parametrize("kind", SQL_KINDS)
@pytest.mark.parametrize("returning", [True, False], ids=["returning", "no-returning"])
def test_key_stats_add_up_over_new_and_known_keys(
    kind: str, returning: bool, make_sql_store: Callable[..., SqlStore]
) -> None:
    store = make_sql_store(kind)
    if not returning:  # as on SQLite before 3.35: new keys' ids are read back instead
        store.engine.dialect.insert_executemany_returning = False
    first = [{"_step": s, "a": s} for s in range(3)]
    store.apply(RUN, "s1", [{"seq": 1, "type": "run"}, *history(first)])
    again: list[dict[str, Any]] = [{"_step": 5, "a": 0.5, "b": "x"}, {"_step": 6, "a": 1, "b": 2.0}]
    # Equal seqs in one batch: the first one counts.
    batch = [*history(again, first_seq=5), *history([{"_step": 9, "a": 9}], first_seq=5)]
    assert store.apply(RUN, "s1", batch) == 6
    assert store.history_keys(RUN) == [
        KeyInfo("a", 5, 0, 6, numeric=True),
        KeyInfo("b", 2, 5, 6, numeric=False),
    ]
    assert store.read_history(RUN) == [
        {"_step": 0, "a": 0.0},
        {"_step": 1, "a": 1.0},
        {"_step": 2, "a": 2.0},
        {"_step": 5, "a": 0.5, "b": "x"},
        {"_step": 6, "a": 1.0, "b": 2.0},
    ]
    assert store.get_run(RUN).last_step == 6


def test_from_settings_creates_the_folders(tmp_path: Path) -> None:
    settings = Settings(dir=tmp_path / "deep" / "home", crash_timeout=7.0)
    store = SqlStore.from_settings(settings)
    try:
        assert (tmp_path / "deep" / "home" / "heron.db").is_file()
        assert (tmp_path / "deep" / "home" / "blobs").is_dir()
        assert store.crash_timeout == 7.0
        start(store, RUN)
        assert store.get_run(RUN).run_id == "r1"
    finally:
        store.close()


@pytest.mark.parametrize("url", ["mysql://x/y", "not a url", "sqlite+nope:///x.db"])
def test_bad_database_urls_are_usage_errors(url: str) -> None:
    with pytest.raises(UsageError):
        SqlStore(url, blobs=None)  # type: ignore[arg-type]


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    store = SqlStore.from_settings(Settings(dir=tmp_path))
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    finally:
        store.close()


_OPEN_AGAIN = """
import sys
from heron.settings import Settings
from heron.store.sql import SqlStore
store = SqlStore.from_settings(Settings(dir=sys.argv[1]))
store.close()
print("alembic" in sys.modules)
"""


def _python(code: str, *args: str) -> str:
    """What ``code`` prints, run in a fresh interpreter (imports start from nothing)."""
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, timeout=120
    )
    return done.stdout.strip()


def test_an_up_to_date_database_opens_without_alembic(tmp_path: Path) -> None:
    SqlStore.from_settings(Settings(dir=tmp_path)).close()
    assert _python(_OPEN_AGAIN, str(tmp_path)) == "False"


_LOG_HISTORY = """
import sys
from heron.entities import RunKey
from heron.settings import Settings
from heron.store.sql import SqlStore
store = SqlStore.from_settings(Settings(dir=sys.argv[1]))
rows = [{"seq": 2 + i, "type": "history", "row": {"_step": i, "loss": i / 3, "n": i}}
        for i in range(5000)]
store.apply(RunKey("me", "p", "r"), "s", [{"seq": 1, "type": "run"}, *rows])
store.close()
print("numpy" in sys.modules)
"""


def test_storing_history_does_not_import_numpy(tmp_path: Path) -> None:
    assert _python(_LOG_HISTORY, str(tmp_path)) == "False"
    store = SqlStore.from_settings(Settings(dir=tmp_path))
    try:
        rows = list(store.scan_history(RunKey("me", "p", "r"), keys=["loss", "n"]))
        assert [r["_step"] for r in rows] == list(range(5000))
        assert rows[4999] == {"_step": 4999, "loss": 4999 / 3, "n": 4999}
    finally:
        store.close()


def test_chunk_bounds_skip_nonfinite_values_and_survive_an_overflowing_sum() -> None:
    from heron.store.sql.history import _chunk_params, _unpack

    params = _chunk_params([3, 1, 2], [1e308, 1e308, -5.0])  # the sum overflows to inf
    assert (params["vmin"], params["vmax"]) == (-5.0, 1e308)
    assert (params["first_step"], params["last_step"], params["n"]) == (1, 3, 3)
    assert _unpack("q", params["steps"]) == [3, 1, 2]
    assert _unpack("d", params["values"]) == [1e308, 1e308, -5.0]
    nan = float("nan")
    params = _chunk_params([0, 1, 2], [nan, float("inf"), 2])
    assert (params["vmin"], params["vmax"]) == (2.0, 2.0)
    assert _chunk_params([0], [nan])["vmin"] is None


_WRITER = """
import sys
from heron.entities import KeyInfo, RunKey
from heron.settings import Settings
from heron.store.sql import SqlStore

home, name = sys.argv[1], sys.argv[2]
store = SqlStore.from_settings(Settings(dir=home))
shared, own = RunKey("me", "proj", "shared"), RunKey("me", "proj", name)
offset = 0 if name == "a" else 1_000_000
for run in (shared, own):
    store.apply(run, name, [{"seq": 1, "type": "run"}])
for batch in range(60):
    for run in (shared, own):
        records = [
            {"seq": 2 + batch * 10 + i, "type": "history",
             "row": {"_step": offset + batch * 10 + i, "loss": 0.5, name: i}}
            for i in range(10)
        ]
        store.apply(run, name, records)
store.close()
"""


@pytest.mark.slow
def test_two_processes_writing_one_sqlite_file_lose_nothing(tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(textwrap.dedent(_WRITER))
    home = tmp_path / "home"  # new: both processes race to create the schema too
    procs = [
        subprocess.Popen([sys.executable, str(script), str(home), name], stderr=subprocess.PIPE)
        for name in ("a", "b")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err.decode()
    store = SqlStore.from_settings(Settings(dir=home))
    try:
        shared = RunKey("me", "proj", "shared")
        rows = store.read_history(shared)
        assert len(rows) == 1200
        assert {k.key: k.count for k in store.history_keys(shared)} == {
            "a": 600,
            "b": 600,
            "loss": 1200,
        }
        assert store.watermark(shared, "a") == store.watermark(shared, "b") == 601
        for name in ("a", "b"):
            assert len(store.read_history(RunKey("me", "proj", name))) == 600
    finally:
        store.close()


@pytest.mark.parametrize("kind", SQL_KINDS)
def test_threads_creating_and_writing_one_run_lose_nothing(
    kind: str, make_sql_store: Callable[..., SqlStore]
) -> None:
    import threading

    store = make_sql_store(kind)
    errors: list[BaseException] = []

    def writer(stream: str, offset: int) -> None:
        try:
            store.apply(RUN, stream, [{"seq": 1, "type": "run"}])
            for batch in range(20):
                rows = [{"_step": offset + batch * 5 + i, "loss": 1.0} for i in range(5)]
                store.apply(RUN, stream, history(rows, first_seq=2 + batch * 5))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(f"s{i}", i * 1000)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert len(store.read_history(RUN)) == 400
    assert [k.count for k in store.history_keys(RUN)] == [400]
    assert [store.watermark(RUN, f"s{i}") for i in range(4)] == [101] * 4
