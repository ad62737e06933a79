"""The Store contract (heron.store.base docstrings), run on SQLite, PostgreSQL and HTTP."""

from __future__ import annotations

import itertools
import math
import time
from typing import Any

import numpy as np
import pytest

from heron.entities import RunKey
from heron.errors import InvalidValueError, NotFoundError, UsageError
from heron.records import encode_nonfinite
from heron.store.base import Store


def key(entity: str, run_id: str = "r1", project: str = "proj") -> RunKey:
    return RunKey(entity, project, run_id)


def start(store: Store, run: RunKey, stream: str = "s1", **attrs: Any) -> int:
    return store.apply(run, stream, [{"seq": 1, "type": "run", **attrs}])


def history(rows: list[dict[str, Any]], first_seq: int = 2, kind: str = "history") -> list[dict]:
    return [
        {"seq": first_seq + i, "type": kind, "row": encode_nonfinite(row)}
        for i, row in enumerate(rows)
    ]


def steps(n: int, start: int = 0, **extra: Any) -> list[dict[str, Any]]:
    return [{"_step": s, "loss": 1.0 / (s + 1), **extra} for s in range(start, start + n)]


# ---------------------------------------------------------------------- runs


def test_first_run_record_creates_project_and_run(store: Store, entity: str) -> None:
    run = key(entity)
    created = time.time() - 100
    start(
        store,
        run,
        name="first",
        tags=["a", "b"],
        notes="hello",
        group="g",
        job_type="train",
        host="box",
        user="me",
        created_at=created,
        metadata={"python": "3.11"},
    )
    info = store.get_run(run)
    assert (info.entity, info.project, info.run_id, info.name) == (entity, "proj", "r1", "first")
    assert info.tags == ["a", "b"] and info.notes == "hello" and info.group == "g"
    assert (info.job_type, info.host, info.user) == ("train", "box", "me")
    assert info.created_at == pytest.approx(created)
    assert info.metadata == {"python": "3.11"}
    assert info.state == "running" and info.last_step == -1
    assert info.heartbeat_at >= created
    projects = store.list_projects(entity)
    assert [(p.entity, p.name, p.run_count) for p in projects] == [(entity, "proj", 1)]


def test_run_defaults(store: Store, entity: str) -> None:
    run = key(entity, "abc")
    start(store, run)
    info = store.get_run(run)
    assert info.name == "abc" and info.tags == [] and info.config == {} and info.summary == {}
    assert info.ended_at is None and info.exit_code is None


def test_unknown_run_needs_a_run_record(store: Store, entity: str) -> None:
    with pytest.raises(NotFoundError):
        store.apply(key(entity), "s1", history(steps(1), first_seq=1))
    with pytest.raises(NotFoundError):
        store.apply(key(entity), "s1", [])
    with pytest.raises(NotFoundError):
        store.get_run(key(entity))


def test_later_run_record_updates_given_fields_only(store: Store, entity: str) -> None:
    run = key(entity)
    start(store, run, name="n1", notes="keep")
    store.apply(run, "s1", [{"seq": 2, "type": "run", "tags": ["x"]}])
    info = store.get_run(run)
    assert (info.name, info.notes, info.tags) == ("n1", "keep", ["x"])


def test_config_summary_replace_and_metrics_merge(store: Store, entity: str) -> None:
    run = key(entity)
    start(store, run)
    store.apply(
        run,
        "s1",
        [
            {"seq": 2, "type": "config", "config": {"lr": 0.1, "opt": {"name": "adam"}}},
            {"seq": 3, "type": "config", "config": {"lr": 0.2}},
            {"seq": 4, "type": "summary", "summary": {"acc": 0.9}},
            {"seq": 5, "type": "metric", "metric": {"name": "acc", "summary": "max"}},
            {"seq": 6, "type": "metric", "metric": {"name": "loss", "step_metric": "epoch"}},
            {"seq": 7, "type": "metric", "metric": {"name": "acc", "summary": "min"}},
        ],
    )
    info = store.get_run(run)
    assert info.config == {"lr": 0.2}
    assert info.summary == {"acc": 0.9}
    assert info.metrics == {
        "acc": {"name": "acc", "summary": "min"},
        "loss": {"name": "loss", "step_metric": "epoch"},
    }


def test_exit_records_and_resume(store: Store, entity: str) -> None:
    run = key(entity)
    start(store, run)
    store.apply(run, "s1", [{"seq": 2, "type": "exit", "state": "failed", "exit_code": 3}])
    info = store.get_run(run)
    assert (info.state, info.exit_code) == ("failed", 3)
    assert info.ended_at is not None
    # A new process resuming the run (a new stream) makes it running again.
    store.apply(run, "s2", [{"seq": 1, "type": "run"}])
    info = store.get_run(run)
    assert (info.state, info.exit_code, info.ended_at) == ("running", None, None)
    store.apply(
        run,
        "s2",
        [{"seq": 2, "type": "exit", "state": "finished", "exit_code": 0, "ended_at": 5.0}],
    )
    info = store.get_run(run)
    assert (info.state, info.exit_code, info.ended_at) == ("finished", 0, 5.0)
    with pytest.raises(InvalidValueError, match="exit state"):
        store.apply(run, "s2", [{"seq": 3, "type": "exit", "state": "done"}])


def test_bad_records_are_refused_whole(store: Store, entity: str) -> None:
    run = key(entity)
    start(store, run)
    with pytest.raises(UsageError, match="unknown type"):
        store.apply(run, "s1", [*history(steps(2)), {"seq": 9, "type": "nope"}])
    with pytest.raises(UsageError, match="seq"):
        store.apply(run, "s1", [{"type": "history", "row": {"_step": 0}}])
    with pytest.raises(UsageError, match="_step"):
        store.apply(run, "s1", [{"seq": 2, "type": "history", "row": {"loss": 1}}])
    assert store.watermark(run, "s1") == 1
    assert store.read_history(run) == []


# ---------------------------------------------------------------------- at most once


def test_replaying_a_batch_applies_it_once(store: Store, entity: str) -> None:
    run = key(entity)
    batch = [{"seq": 1, "type": "run"}, *history(steps(10))]
    assert store.apply(run, "s1", batch) == 11
    assert store.apply(run, "s1", batch) == 11
    assert len(store.read_history(run)) == 10
    assert store.history_keys(run)[0].count == 10


def test_overlapping_batches_and_unsorted_records(store: Store, entity: str) -> None:
    run = key(entity)
    records = [{"seq": 1, "type": "run"}, *history(steps(20))]
    assert store.apply(run, "s1", records[:8]) == 8
    assert store.apply(run, "s1", list(reversed(records[4:15]))) == 15
    assert store.apply(run, "s1", records[10:]) == 21
    rows = store.read_history(run)
    assert [r["_step"] for r in rows] == list(range(20))
    assert {k.key: k.count for k in store.history_keys(run)} == {"loss": 20}
    assert store.get_run(run).last_step == 19


def test_streams_have_their_own_watermarks(store: Store, entity: str) -> None:
    run = key(entity)
    start(store, run, stream="a")
    store.apply(run, "a", history(steps(3)))
    store.apply(run, "b", [{"seq": 1, "type": "run"}, *history(steps(3, start=3))])
    assert store.watermark(run, "a") == 4
    assert store.watermark(run, "b") == 4
    assert store.watermark(run, "c") == 0
    assert store.watermark(key(entity, "other"), "a") == 0
    assert [r["_step"] for r in store.read_history(run)] == list(range(6))


def test_empty_batch_is_a_heartbeat(store: Store, entity: str) -> None:
    run = key(entity)
    start(store, run)
    before = store.get_run(run).heartbeat_at
    time.sleep(0.05)
    assert store.apply(run, "s1", []) == 1
    assert store.get_run(run).heartbeat_at > before


# ---------------------------------------------------------------------- history values


def test_nonfinite_values_round_trip(store: Store, entity: str) -> None:
    run = key(entity)
    start(store, run)
    rows = [{"_step": 0, "x": math.nan}, {"_step": 1, "x": math.inf}, {"_step": 2, "x": -math.inf}]
    store.apply(run, "s1", history(rows))
    store.apply(
        run,
        "s1",
        [
            {
                "seq": 5,
                "type": "summary",
                "summary": encode_nonfinite({"best": math.inf, "nested": {"v": math.nan}}),
            }
        ],
    )
    got = [r["x"] for r in store.read_history(run)]
    assert math.isnan(got[0]) and got[1:] == [math.inf, -math.inf]
    summary = store.get_run(run).summary
    assert summary["best"] == math.inf and math.isnan(summary["nested"]["v"])
    assert store.history_keys(run)[0].numeric


def test_non_numeric_values_round_trip(store: Store, entity: str) -> None:
    run = key(entity)
    start(store, run)
    media = {"_type": "image-file", "sha256": "ab" * 32, "width": 2, "height": 3}
    rows = [
        {"_step": 0, "s": "text", "b": True, "l": [1, 2.5, "x"], "d": {"a": {"b": 1}}},
        {"_step": 1, "s": "more", "b": False, "img": media, "n": None},
    ]
    store.apply(run, "s1", history(rows))
    assert store.read_history(run) == rows
    assert {k.key: k.numeric for k in store.history_keys(run)} == {
        "b": False,
        "d": False,
        "img": False,
        "l": False,
        "n": False,
        "s": False,
    }


def test_ints_read_back_as_ints(store: Store, entity: str) -> None:
    run = key(entity)
    start(store, run)
    big = 2**62 + 1
    rows = [{"_step": 0, "epoch": 1, "f": 1.0, "big": big}, {"_step": 1, "epoch": 2, "f": 2.5}]
    store.apply(run, "s1", history(rows))
    got = store.read_history(run)
    assert got == rows
    assert type(got[0]["epoch"]) is int and type(got[0]["f"]) is float
    assert got[0]["big"] == big


def test_read_history_keys_steps_and_limit(store: Store, entity: str) -> None:
    run = key(entity)
    start(store, run)
    rows = [{"_step": s, "a": s, **({"b": -s} if s % 3 == 0 else {})} for s in range(30)]
    store.apply(run, "s1", history(rows))
    assert store.read_history(run, keys=["b"]) == [
        {"_step": s, "b": -s} for s in range(30) if s % 3 == 0
    ]
    assert store.read_history(run, keys=["a"], min_step=5, max_step=8) == [
        {"_step": 5, "a": 5},
        {"_step": 6, "a": 6},
        {"_step": 7, "a": 7},
    ]
    assert [r["_step"] for r in store.read_history(run, keys=["b"], min_step=4, limit=2)] == [6, 9]
    assert store.read_history(run, limit=0) == []
    assert store.read_history(run, keys=["missing"]) == []
    assert store.read_history(run, min_step=3, limit=1) == [{"_step": 3, "a": 3, "b": -3}]


def test_scan_history_pages_through_everything(store: Store, entity: str) -> None:
    run = key(entity)
    start(store, run)
    rows = [{"_step": s, "x": float(s), **({"y": "odd"} if s % 2 else {})} for s in range(9000)]
    for i in range(0, len(rows), 3000):
        store.apply(run, "s1", history(rows[i : i + 3000], first_seq=2 + i))
    assert list(store.scan_history(run, page_size=1000)) == rows
    assert list(store.scan_history(run, keys=["y"], min_step=8990, page_size=2)) == [
        {"_step": r["_step"], "y": "odd"} for r in rows[8990:] if "y" in r
    ]


def test_chunks_stay_exact_for_trickles_and_bursts(store: Store, entity: str) -> None:
    run = key(entity)
    start(store, run)
    seq = 2
    expected: list[dict[str, Any]] = []
    for size in (1, 1, 4090, 3, 1, 5000, 1, 1):
        batch = steps(size, start=len(expected))
        store.apply(run, "s1", history(batch, first_seq=seq))
        seq += size
        expected += batch
    assert store.read_history(run) == expected
    (info,) = store.history_keys(run)
    assert (info.count, info.min_step, info.max_step) == (len(expected), 0, len(expected) - 1)


def test_sample_history_keeps_first_and_last(store: Store, entity: str) -> None:
    run = key(entity)
    start(store, run)
    store.apply(run, "s1", history(steps(1000)))
    sample = store.sample_history(run, samples=10)
    got = [r["_step"] for r in sample]
    assert len(got) == 10 and got[0] == 0 and got[-1] == 999
    assert got == sorted(got)
    assert all(100 <= b - a <= 112 for a, b in itertools.pairwise(got))
    assert sample[3]["loss"] == pytest.approx(1.0 / (got[3] + 1))
    assert len(store.sample_history(run, samples=5000)) == 1000


def test_system_stream_is_separate(store: Store, entity: str) -> None:
    run = key(entity)
    start(store, run)
    store.apply(
        run, "s1", history([{"_step": 0, "system/cpu": 12.5, "_runtime": 1.0}], kind="system")
    )
    store.apply(run, "s1", history([{"_step": 7, "loss": 1.0}], first_seq=3))
    assert [k.key for k in store.history_keys(run, "system")] == ["_runtime", "system/cpu"]
    assert [k.key for k in store.history_keys(run)] == ["loss"]
    assert store.read_history(run, stream="system") == [
        {"_step": 0, "_runtime": 1.0, "system/cpu": 12.5}
    ]
    assert store.get_run(run).last_step == 7
    with pytest.raises(UsageError, match="stream"):
        store.history_keys(run, "nope")


# ---------------------------------------------------------------------- series


def test_series_is_exact_below_the_bucket_count(store: Store, entity: str) -> None:
    run = key(entity)
    start(store, run)
    store.apply(run, "s1", history(steps(100)))
    series = store.series(run, "loss", buckets=100)
    assert not series.sampled and series.total_points == 100
    assert series.x == [float(s) for s in range(100)]
    assert series.last == [1.0 / (s + 1) for s in range(100)]
    assert series.min == series.max == series.mean == series.last
    assert series.count == [1] * 100


def test_series_buckets_above_the_bucket_count(store: Store, entity: str) -> None:
    run = key(entity)
    start(store, run)
    rng = np.random.default_rng(0)
    y = rng.normal(size=10_000)
    rows = [{"_step": s, "y": float(v)} for s, v in enumerate(y)]
    store.apply(run, "s1", history(rows))
    series = store.series(run, "y", buckets=100)
    assert series.sampled and series.total_points == 10_000
    assert len(series.x) == 100 and sum(series.count) == 10_000
    # Equal-width buckets over x = 0..9999: bucket i holds steps from ceil(i * 99.99).
    edges = [math.ceil(i * 9999 / 100) for i in range(101)]
    edges[-1] = 10_000
    for i in (0, 37, 99):
        part = y[edges[i] : edges[i + 1]]
        assert series.min[i] == pytest.approx(part.min())
        assert series.max[i] == pytest.approx(part.max())
        assert series.mean[i] == pytest.approx(part.mean())
        assert series.last[i] == pytest.approx(part[-1])
        assert series.x[i] == edges[i + 1] - 1
    zoom = store.series(run, "y", min_x=1000, max_x=1049, buckets=100)
    assert not zoom.sampled and zoom.x == [float(s) for s in range(1000, 1050)]


def test_series_leaves_nan_out_of_aggregates(store: Store, entity: str) -> None:
    run = key(entity)
    start(store, run)
    values = [1.0, math.nan, 3.0, math.nan, math.nan, math.nan, 5.0, 7.0]
    store.apply(run, "s1", history([{"_step": s, "v": v} for s, v in enumerate(values)]))
    series = store.series(run, "v", buckets=4)
    assert series.sampled and series.count == [2, 2, 2, 2]
    assert series.mean == [1.0, 3.0, None, 6.0]
    assert series.min == [1.0, 3.0, None, 5.0]
    assert series.max == [1.0, 3.0, None, 7.0]
    assert series.last == [None, None, None, 7.0]
    exact = store.series(run, "v")
    assert exact.last[1] is None and exact.last[2] == 3.0


def test_series_over_runtime_and_another_metric(store: Store, entity: str) -> None:
    run = key(entity)
    start(store, run)
    rows = [{"_step": s, "_runtime": s * 0.5, "loss": 10.0 - s} for s in range(10)]
    rows += [{"_step": s, "epoch": s // 2} for s in range(10, 12)]
    for s in (0, 4, 8):
        rows[s]["epoch"] = s // 4
    store.apply(run, "s1", history(rows))
    by_runtime = store.series(run, "loss", x_axis="_runtime", min_x=1.0, max_x=3.0)
    assert by_runtime.x == [1.0, 1.5, 2.0, 2.5, 3.0]
    assert by_runtime.last == [8.0, 7.0, 6.0, 5.0, 4.0]
    by_epoch = store.series(run, "loss", x_axis="epoch")
    assert by_epoch.x == [0.0, 1.0, 2.0] and by_epoch.last == [10.0, 6.0, 2.0]
    assert store.series(run, "nothing").total_points == 0
    assert store.series(run, "loss", x_axis="nothing").x == []
    with pytest.raises(UsageError, match="buckets"):
        store.series(run, "loss", buckets=0)


# ---------------------------------------------------------------------- listing runs


@pytest.fixture
def many(store: Store, entity: str) -> Store:
    """Five runs with config, summary, tags and states to filter on."""
    specs = [
        ("r1", "alpha", ["base"], {"lr": 0.1, "opt": {"name": "adam"}}, {"acc": 0.5}, "finished"),
        ("r2", "beta", ["base", "big"], {"lr": 0.01, "opt": {"name": "sgd"}}, {"acc": 0.9}, None),
        ("r3", "gamma", [], {"lr": "auto"}, {"acc": 0.7, "loss": 1}, "failed"),
        ("r4", "delta", ["big"], {"lr": 0.001, "layers": [64, 64]}, {}, None),
        ("r5", "alpha-2", ["x"], {"lr": 0.1, "flag": True}, {"acc": 0.2}, "finished"),
    ]
    for i, (run_id, name, tags, config, summary, end) in enumerate(specs):
        run = key(entity, run_id)
        records = [
            {"seq": 1, "type": "run", "name": name, "tags": tags, "created_at": 1000.0 + i},
            {"seq": 2, "type": "config", "config": config},
            {"seq": 3, "type": "summary", "summary": summary},
        ]
        if end:
            records.append({"seq": 4, "type": "exit", "state": end, "exit_code": 0})
        store.apply(run, "s1", records)
    return store


def ids(store: Store, entity: str, filters: Any = None, order: str | None = "created_at") -> list:
    return [r.run_id for r in store.list_runs(entity, "proj", filters=filters, order=order)]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (None, ["r1", "r2", "r3", "r4", "r5"]),
        ({"config.lr": 0.1}, ["r1", "r5"]),
        ({"config.lr": {"$eq": 0.01}}, ["r2"]),
        ({"config.lr": {"$ne": 0.1}}, ["r2", "r3", "r4"]),
        ({"config.lr": {"$gt": 0.01}}, ["r1", "r5"]),
        ({"config.lr": {"$gte": 0.01}}, ["r1", "r2", "r5"]),
        ({"config.lr": {"$lt": 0.01}}, ["r4"]),
        ({"config.lr": {"$lte": 0.01}}, ["r2", "r4"]),
        ({"config.lr": {"$in": [0.01, "auto"]}}, ["r2", "r3"]),
        ({"config.lr": {"$nin": [0.1, 0.01]}}, ["r3", "r4"]),
        ({"config.lr": "auto"}, ["r3"]),
        ({"config.opt.name": "adam"}, ["r1"]),
        ({"config.opt.name": {"$regex": "^s"}}, ["r2"]),
        ({"config.flag": True}, ["r5"]),
        ({"config.layers": [64, 64]}, ["r4"]),
        ({"config.opt": {"$exists": True}}, ["r1", "r2"]),
        ({"config.opt": {"$exists": False}}, ["r3", "r4", "r5"]),
        ({"summary_metrics.acc": {"$gt": 0.6}}, ["r2", "r3"]),
        ({"summary.acc": {"$lt": 0.6}}, ["r1", "r5"]),
        ({"summary_metrics.loss": 1}, ["r3"]),
        ({"tags": "base"}, ["r1", "r2"]),
        ({"tags": {"$in": ["big", "x"]}}, ["r2", "r4", "r5"]),
        ({"tags": {"$nin": ["base"]}}, ["r3", "r4", "r5"]),
        ({"tags": {"$ne": "big"}}, ["r1", "r3", "r5"]),
        ({"tags": {"$all": ["base", "big"]}}, ["r2"]),
        ({"state": "finished"}, ["r1", "r5"]),
        ({"state": {"$in": ["failed", "running"]}}, ["r2", "r3", "r4"]),
        ({"name": {"$regex": "^alpha"}}, ["r1", "r5"]),
        ({"display_name": "beta"}, ["r2"]),
        ({"run_id": {"$in": ["r1", "r4"]}}, ["r1", "r4"]),
        ({"created_at": {"$gte": 1003}}, ["r4", "r5"]),
        ({"$or": [{"tags": "x"}, {"config.lr": 0.01}]}, ["r2", "r5"]),
        ({"$and": [{"tags": "big"}, {"state": "running"}]}, ["r2", "r4"]),
        (
            {"$or": [{"state": "failed"}, {"$and": [{"tags": "base"}, {"summary.acc": 0.5}]}]},
            ["r1", "r3"],
        ),
        ({"config.lr": 0.1, "name": "alpha"}, ["r1"]),
    ],
)
def test_filters(many: Store, entity: str, filters: Any, expected: list[str]) -> None:
    assert ids(many, entity, filters) == expected
    assert many.count_runs(entity, "proj", filters=filters) == len(expected)


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"config.lr": {"$near": 1}}, r"\$near"),
        ({"colour": "red"}, "colour"),
        ({"$xor": []}, r"\$xor"),
        ({"config.lr": {"$in": 0.1}}, "list"),
        ({"config.lr": {"$regex": "("}}, "regex"),
        ({"config.": 1}, "config."),
    ],
)
def test_bad_filters_name_the_problem(many: Store, entity: str, filters: Any, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        many.list_runs(entity, "proj", filters=filters)


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("-created_at", ["r5", "r4", "r3", "r2", "r1"]),
        ("name", ["r1", "r5", "r2", "r4", "r3"]),
        ("-summary_metrics.acc", ["r2", "r3", "r1", "r5", "r4"]),
        ("+summary.acc", ["r5", "r1", "r3", "r2", "r4"]),
        ("config.lr", ["r4", "r2", "r1", "r5", "r3"]),
    ],
)
def test_ordering(many: Store, entity: str, order: str, expected: list[str]) -> None:
    assert ids(many, entity, order=order) == expected


def test_paging_and_unknown_project(many: Store, entity: str) -> None:
    page = many.list_runs(entity, "proj", order="created_at", limit=2, offset=2)
    assert [r.run_id for r in page] == ["r3", "r4"]
    assert many.list_runs(entity, "nope") == []
    assert many.count_runs(entity, "nope") == 0
    with pytest.raises(UsageError, match="order"):
        many.list_runs(entity, "proj", order="-bogus")


def test_list_projects_counts_and_order(store: Store, entity: str) -> None:
    start(store, key(entity, "a", project="old"))
    time.sleep(0.02)
    start(store, key(entity, "a", project="new"))
    start(store, key(entity, "b", project="new"))
    projects = store.list_projects(entity)
    assert [(p.name, p.run_count) for p in projects] == [("new", 2), ("old", 1)]
    assert projects[0].last_activity >= projects[1].last_activity
    assert store.list_projects(entity + "x") == []
    assert any(p.entity == entity for p in store.list_projects())


# ---------------------------------------------------------------------- edits


def test_update_run(store: Store, entity: str) -> None:
    run = key(entity)
    start(store, run, name="before", notes="n", tags=["a"])
    info = store.update_run(
        run, name="after", tags=["b", "c"], config={"lr": 1}, summary={"best": math.nan}
    )
    assert (info.name, info.notes, info.tags, info.config) == ("after", "n", ["b", "c"], {"lr": 1})
    assert math.isnan(store.get_run(run).summary["best"])
    info = store.update_run(run, group="g", job_type="eval")
    assert (info.name, info.group, info.job_type) == ("after", "g", "eval")
    with pytest.raises(NotFoundError):
        store.update_run(key(entity, "ghost"), name="x")


def test_delete_run(store: Store, entity: str) -> None:
    run, other = key(entity), key(entity, "r2")
    for r in (run, other):
        start(store, r)
        store.apply(r, "s1", history([{"_step": 0, "x": 1.0, "s": "text"}]))
    blob = store.blobs.put(b"log text")
    store.apply(
        run, "s1", [{"seq": 3, "type": "file", "name": "output.log", "sha256": blob, "size": 8}]
    )
    store.delete_run(run)
    with pytest.raises(NotFoundError):
        store.get_run(run)
    with pytest.raises(NotFoundError):
        store.delete_run(run)
    assert store.read_history(other) == [{"_step": 0, "s": "text", "x": 1.0}]
    # The id can be used again from scratch.
    start(store, run)
    assert store.read_history(run) == [] and store.list_files(run) == []
    assert store.watermark(run, "s1") == 1


# ---------------------------------------------------------------------- files


def test_files(store: Store, entity: str) -> None:
    run = key(entity)
    start(store, run)
    first, second = store.blobs.put(b"one"), store.blobs.put(b"second version")
    store.apply(
        run,
        "s1",
        [
            {"seq": 2, "type": "file", "name": "z.txt", "sha256": first, "size": 3},
            {"seq": 3, "type": "file", "name": "a/config.yaml", "sha256": first, "size": 3},
            {"seq": 4, "type": "file", "name": "z.txt", "sha256": second, "size": 14},
        ],
    )
    files = store.list_files(run)
    assert [(f.name, f.sha256, f.size) for f in files] == [
        ("a/config.yaml", first, 3),
        ("z.txt", second, 14),
    ]
    assert store.get_file(run, "z.txt").sha256 == second
    assert store.blobs.get(second) == b"second version"
    with pytest.raises(NotFoundError):
        store.get_file(run, "missing.txt")
    with pytest.raises(NotFoundError, match="blob"):
        store.apply(
            run, "s1", [{"seq": 5, "type": "file", "name": "x", "sha256": "0" * 64, "size": 1}]
        )
    assert store.watermark(run, "s1") == 4


def test_unknown_run_reads_raise_not_found(store: Store, entity: str) -> None:
    ghost = key(entity, "ghost")
    for call in (
        lambda: store.get_run(ghost),
        lambda: store.read_history(ghost),
        lambda: store.sample_history(ghost),
        lambda: store.history_keys(ghost),
        lambda: store.series(ghost, "loss"),
        lambda: store.list_files(ghost),
        lambda: store.get_file(ghost, "x"),
        lambda: store.delete_run(ghost),
    ):
        with pytest.raises(NotFoundError):
            call()
