"""Project-level Store queries (search, runtime order, lite runs, columns, keys, groups,
many-run series, saved views), run on SQLite, PostgreSQL and HTTP."""

from __future__ import annotations

import math
from typing import Any

import pytest

from heron.entities import RunKey, View
from heron.errors import InvalidNameError, NotFoundError, UsageError
from heron.store.base import MAX_VIEW_BYTES, Store
from tests.store.test_contract import history, key, steps


def make_run(
    store: Store,
    entity: str,
    run_id: str,
    *,
    rows: list[dict[str, Any]] | None = None,
    config: dict[str, Any] | None = None,
    summary: dict[str, Any] | None = None,
    exit_after: float | None = None,
    project: str = "proj",
    **attrs: Any,
) -> RunKey:
    """A run with the given attributes, config, summary and history rows."""
    run = key(entity, run_id, project)
    records: list[dict[str, Any]] = [{"seq": 1, "type": "run", **attrs}]
    if config is not None:
        records.append({"seq": 2, "type": "config", "config": config})
    if summary is not None:
        records.append({"seq": 3, "type": "summary", "summary": summary})
    records += history(rows or [], first_seq=4)
    if exit_after is not None:
        created = attrs.get("created_at", 0.0)
        records.append(
            {
                "seq": 4 + len(rows or []),
                "type": "exit",
                "state": "finished",
                "exit_code": 0,
                "ended_at": created + exit_after,
            }
        )
    store.apply(run, "s1", records)
    return run


def ids(runs: list[Any]) -> list[str]:
    return [r.run_id for r in runs]


# ---------------------------------------------------------------------- search, order, lite


def test_search_matches_name_run_id_and_tags_ignoring_case(store: Store, entity: str) -> None:
    make_run(store, entity, "alpha", name="ResNet-50 baseline", tags=["vision"], created_at=1)
    make_run(store, entity, "beta", name="bert", tags=["NLP", "Big_Model"], created_at=2)
    make_run(store, entity, "gamma-resnet", name="other", created_at=3)
    make_run(store, entity, "delta", name="50% dropout", created_at=4)

    def found(text: str, **kwargs: Any) -> list[str]:
        return sorted(ids(store.list_runs(entity, "proj", search=text, **kwargs)))

    assert found("resnet") == ["alpha", "gamma-resnet"]
    assert found("nlp") == ["beta"]
    assert found("BETA") == ["beta"]
    assert found("") == ["alpha", "beta", "delta", "gamma-resnet"]
    # LIKE wildcards are plain characters.
    assert found("%") == ["delta"]
    assert found("g_m") == ["beta"]
    assert found("nothing") == []
    assert found("a", filters={"name": "bert"}) == ["beta"]
    assert store.count_runs(entity, "proj", search="resnet") == 2
    assert store.count_runs(entity, "proj", search="resnet", filters={"name": "other"}) == 1


def test_order_by_runtime_uses_heartbeat_while_running(store: Store, entity: str) -> None:
    now = store.get_run(make_run(store, entity, "probe")).heartbeat_at
    make_run(store, entity, "short", created_at=now - 1000, exit_after=5)
    make_run(store, entity, "long", created_at=now - 1000, exit_after=500)
    # Still running: runtime runs to its last heartbeat (now), about 100 s.
    make_run(store, entity, "live", created_at=now - 100)
    order = ids(
        store.list_runs(entity, "proj", order="-runtime", filters={"run_id": {"$ne": "probe"}})
    )
    assert order == ["long", "live", "short"]
    assert ids(store.list_runs(entity, "proj", order="runtime", limit=2)) == ["probe", "short"]


def test_lite_runs_leave_metadata_out(store: Store, entity: str) -> None:
    make_run(store, entity, "r1", metadata={"python": "3.11"}, tags=["t"], config={"lr": 0.1})
    full = store.list_runs(entity, "proj")[0]
    lite = store.list_runs(entity, "proj", lite=True)[0]
    assert full.metadata == {"python": "3.11"} and lite.metadata == {}
    assert (lite.tags, lite.config, lite.name) == (["t"], {"lr": 0.1}, "r1")


def test_bad_search_or_order_is_a_usage_error(store: Store, entity: str) -> None:
    make_run(store, entity, "r1")
    with pytest.raises(UsageError, match="unknown order field"):
        store.list_runs(entity, "proj", order="-bogus")


# ---------------------------------------------------------------------- columns and keys


def test_project_columns_flatten_config_and_summary(store: Store, entity: str) -> None:
    make_run(
        store,
        entity,
        "r1",
        config={"lr": 0.1, "optimizer": {"name": "adam", "betas": [0.9, 0.99]}, "_wandb": {"x": 1}},
        summary={"acc": 0.9, "_step": 10, "img": {"_type": "image-file", "path": "a.png"}},
    )
    make_run(
        store,
        entity,
        "r2",
        config={"lr": 0.2, "epochs": 3, "nested": {"deep": {"er": 1}, "_hidden": 2}},
        summary={"loss": {"min": 0.1}, "bad": float("nan")},
    )
    assert store.project_columns(entity, "proj") == {
        "config": ["epochs", "lr", "nested.deep.er", "optimizer.betas", "optimizer.name"],
        "summary": ["acc", "bad", "img", "loss.min"],
    }
    assert store.project_columns(entity, "nothing") == {"config": [], "summary": []}


def test_project_keys_count_runs_and_span_steps(store: Store, entity: str) -> None:
    make_run(store, entity, "r1", rows=[{"_step": s, "loss": 1.0, "acc": 0.5} for s in range(3)])
    make_run(
        store,
        entity,
        "r2",
        rows=[{"_step": s, "loss": 1.0, "note": "text"} for s in range(5, 9)],
    )
    make_run(store, entity, "r3", rows=[{"_step": 20, "note": 2.0}])
    found = {k.key: k for k in store.project_keys(entity, "proj")}
    assert list(found) == ["acc", "loss", "note"]
    assert (found["loss"].count, found["loss"].min_step, found["loss"].max_step) == (2, 0, 8)
    assert (found["acc"].count, found["acc"].numeric) == (1, True)
    assert (found["note"].count, found["note"].min_step, found["note"].max_step) == (2, 5, 20)
    assert found["note"].numeric is False
    assert store.project_keys(entity, "proj", stream="system") == []
    assert store.project_keys(entity, "nothing") == []
    with pytest.raises(UsageError, match="stream"):
        store.project_keys(entity, "proj", stream="bogus")


def test_keys_say_what_kind_of_media_they_hold(store: Store, entity: str) -> None:
    image = {"_type": "image-file", "path": "media/images/a.png", "sha256": "ab", "size": 3}
    table = {"_type": "table-file", "path": "media/tables/t.parquet", "sha256": "cd", "size": 9}
    hist = {"_type": "histogram", "bins": [0, 1, 2], "values": [3, 4]}
    make_run(
        store,
        entity,
        "m1",
        rows=[
            {"_step": 0, "loss": 1.0, "img": image, "gallery": [image, image], "note": "hi"},
            {"_step": 1, "loss": 0.5, "hist": None, "tags": [1, 2], "cfg": {"a": 1}},
            {"_step": 2, "hist": hist},
        ],
    )
    make_run(store, entity, "m2", rows=[{"_step": 0, "tbl": table, "img": 3.0}])
    make_run(store, entity, "m3", rows=[{"_step": 0, "img": image}])
    expected = {
        "cfg": None,
        "gallery": "image-list",
        "hist": "histogram",
        "img": "image-file",
        "loss": None,
        "note": None,
        "tags": None,
        "tbl": "table-file",
    }
    assert {k.key: k.kind for k in store.project_keys(entity, "proj")} == expected
    run_keys = {k.key: k.kind for k in store.history_keys(key(entity, "m1"))}
    assert run_keys == {k: v for k, v in expected.items() if k != "tbl"}
    assert {k.key: k.kind for k in store.history_keys(key(entity, "m2"))} == {
        "img": None,
        "tbl": "table-file",
    }


# ---------------------------------------------------------------------- groups


def test_group_runs_by_config_with_aggregates(store: Store, entity: str) -> None:
    make_run(store, entity, "a1", config={"opt": "adam", "lr": 1}, summary={"acc": 0.5})
    make_run(store, entity, "a2", config={"opt": "adam", "lr": 2}, summary={"acc": 0.7})
    make_run(store, entity, "s1", config={"opt": "sgd", "lr": 3}, summary={"acc": "n/a"})
    make_run(store, entity, "n1", config={"lr": 4}, summary={"acc": 0.1})
    make_run(store, entity, "n2", config={"opt": None, "lr": 5}, summary={})
    groups = store.group_runs(entity, "proj", "config.opt", metrics=["summary.acc", "config.lr"])
    assert [(g.value, g.count) for g in groups] == [("adam", 2), ("sgd", 1), (None, 2)]
    adam, sgd, none = groups
    assert adam.aggregates["summary.acc"] == pytest.approx({"min": 0.5, "max": 0.7, "mean": 0.6})
    assert adam.aggregates["config.lr"] == {"min": 1.0, "max": 2.0, "mean": 1.5}
    assert sgd.aggregates["summary.acc"] == {"min": None, "max": None, "mean": None}
    assert none.aggregates["summary.acc"] == pytest.approx({"min": 0.1, "max": 0.1, "mean": 0.1})
    assert none.aggregates["config.lr"] == {"min": 4.0, "max": 5.0, "mean": 4.5}

    filtered = store.group_runs(entity, "proj", "config.opt", filters={"config.lr": {"$gt": 1}})
    assert [(g.value, g.count, g.aggregates) for g in filtered] == [
        ("adam", 1, {}),
        ("sgd", 1, {}),
        (None, 2, {}),
    ]
    searched = store.group_runs(entity, "proj", "config.opt", search="a")
    assert [(g.value, g.count) for g in searched] == [("adam", 2)]


def test_group_values_keep_their_json_types(store: Store, entity: str) -> None:
    for i, value in enumerate([32, 32, 64, 0.5, True, "32", [1, 2], {"a": 1}]):
        make_run(store, entity, f"r{i}", config={"v": value})
    groups = store.group_runs(entity, "proj", "config.v")
    assert [(g.value, g.count) for g in groups] == [
        (True, 1),
        (0.5, 1),
        (32, 2),
        (64, 1),
        ("32", 1),
        ([1, 2], 1),
        ({"a": 1}, 1),
    ]
    assert type(groups[2].value) is int


def test_group_runs_by_columns(store: Store, entity: str) -> None:
    make_run(store, entity, "r1", group="g1", job_type="train", created_at=0, exit_after=10)
    make_run(store, entity, "r2", group="g1", created_at=0, exit_after=30)
    make_run(store, entity, "r3", job_type="eval")
    by_group = store.group_runs(entity, "proj", "group", metrics=["runtime"])
    assert [(g.value, g.count) for g in by_group] == [("g1", 2), (None, 1)]
    assert by_group[0].aggregates["runtime"] == {"min": 10.0, "max": 30.0, "mean": 20.0}
    by_state = store.group_runs(entity, "proj", "state")
    assert [(g.value, g.count) for g in by_state] == [("finished", 2), ("running", 1)]
    assert store.group_runs(entity, "nothing", "state") == []


def test_group_runs_refuses_bad_fields(store: Store, entity: str) -> None:
    make_run(store, entity, "r1")
    with pytest.raises(UsageError, match="tags"):
        store.group_runs(entity, "proj", "tags")
    with pytest.raises(UsageError, match="unknown group field"):
        store.group_runs(entity, "proj", "bogus")
    with pytest.raises(UsageError, match="not a number"):
        store.group_runs(entity, "proj", "state", metrics=["name"])
    with pytest.raises(UsageError, match="unknown metric field"):
        store.group_runs(entity, "proj", "state", metrics=["bogus"])


# ---------------------------------------------------------------------- series of many runs


def test_series_many_matches_series_per_run(store: Store, entity: str) -> None:
    runs = {
        "r1": make_run(store, entity, "r1", rows=steps(3000)),
        "r2": make_run(
            store, entity, "r2", rows=[{"_step": s, "loss": s * 2.0, "acc": s} for s in range(50)]
        ),
        "r3": make_run(store, entity, "r3", rows=[{"_step": 0, "other": 1.0}]),
    }
    found = store.series_many(
        entity, "proj", ["r2", "ghost", "r3", "r1", "r2"], ["loss", "acc"], buckets=100
    )
    assert [(run_id, s.key) for run_id, s in found] == [
        ("r2", "loss"),
        ("r2", "acc"),
        ("r1", "loss"),
    ]
    for run_id, s in found:
        assert s == store.series(runs[run_id], s.key, buckets=100)
    assert found[2][1].sampled and found[2][1].total_points == 3000
    zoomed = store.series_many(entity, "proj", ["r1"], ["loss"], min_x=100, max_x=199.5, buckets=10)
    assert zoomed[0][1] == store.series(runs["r1"], "loss", min_x=100, max_x=199.5, buckets=10)
    assert zoomed[0][1].total_points == 100
    assert store.series_many(entity, "proj", [], ["loss"]) == []
    assert store.series_many(entity, "nothing", ["r1"], ["loss"]) == []


def test_series_many_over_another_x_axis(store: Store, entity: str) -> None:
    rows = [{"_step": s, "_runtime": s * 0.5, "loss": 1.0 / (s + 1)} for s in range(20)]
    run = make_run(store, entity, "r1", rows=rows)
    make_run(store, entity, "r2", rows=[{"_step": 0, "loss": 1.0}])  # no _runtime: left out
    found = store.series_many(
        entity, "proj", ["r1", "r2"], ["loss"], x_axis="_runtime", min_x=1.0, max_x=3.0
    )
    assert [run_id for run_id, _ in found] == ["r1"]
    assert found[0][1] == store.series(run, "loss", x_axis="_runtime", min_x=1.0, max_x=3.0)
    assert found[0][1].x == [1.0, 1.5, 2.0, 2.5, 3.0]


def test_series_many_keeps_nan_and_checks_arguments(store: Store, entity: str) -> None:
    rows = [{"_step": s, "v": math.nan if s % 3 == 0 else float(s)} for s in range(30)]
    run = make_run(store, entity, "r1", rows=rows)
    found = store.series_many(entity, "proj", ["r1"], ["v"], buckets=5)
    assert found == [("r1", store.series(run, "v", buckets=5))]
    with pytest.raises(UsageError, match="buckets"):
        store.series_many(entity, "proj", ["r1"], ["v"], buckets=0)
    with pytest.raises(UsageError, match="stream"):
        store.series_many(entity, "proj", ["r1"], ["v"], stream="bogus")


# ---------------------------------------------------------------------- views


def test_views_round_trip_and_replace(store: Store, entity: str) -> None:
    make_run(store, entity, "r1")
    assert store.get_view(entity, "proj", "runset") is None
    spec = {"filters": {"state": "finished"}, "selected": ["r1"], "ratio": math.inf}
    saved = store.put_view(entity, "proj", "runset", spec)
    assert isinstance(saved, View) and saved.name == "runset" and saved.spec == spec
    got = store.get_view(entity, "proj", "runset")
    assert got is not None and got.spec == spec
    assert got.updated_at == pytest.approx(saved.updated_at)
    store.put_view(entity, "proj", "runset", {"search": "x"})
    again = store.get_view(entity, "proj", "runset")
    assert again is not None and again.spec == {"search": "x"}
    assert store.get_view(entity, "proj", "workspace") is None
    assert store.get_view(entity, "nothing", "runset") is None


def test_put_view_checks_project_name_and_spec(store: Store, entity: str) -> None:
    make_run(store, entity, "r1")
    with pytest.raises(NotFoundError, match="project"):
        store.put_view(entity, "nothing", "runset", {})
    with pytest.raises(InvalidNameError):
        store.put_view(entity, "proj", "bad name!", {})
    with pytest.raises(UsageError, match="JSON object"):
        store.put_view(entity, "proj", "runset", ["not", "a", "dict"])  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="limit"):
        store.put_view(entity, "proj", "runset", {"blob": "x" * MAX_VIEW_BYTES})
    assert store.get_view(entity, "proj", "runset") is None


def test_default_series_many_agrees(store: Store, entity: str) -> None:
    """The Store base class's series_many (one series() call each) gives the same answer."""
    make_run(store, entity, "r1", rows=[{"_step": s, "_runtime": s / 2, "a": s} for s in range(40)])
    make_run(store, entity, "r2", rows=[{"_step": 0, "b": 1.0}])
    for x_axis in ("_step", "_runtime"):
        args = (entity, "proj", ["r2", "ghost", "r1"], ["a", "b"])
        expected = store.series_many(*args, x_axis=x_axis, buckets=7)
        assert Store.series_many(store, *args, x_axis=x_axis, buckets=7) == expected
        assert [run_id for run_id, _ in expected] == (["r2", "r1"] if x_axis == "_step" else ["r1"])
