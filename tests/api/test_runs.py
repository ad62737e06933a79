"""api.projects / api.runs: filters, order and paging, on every kind of store."""

from __future__ import annotations

from typing import Any

import pytest

from heron.errors import InvalidNameError, NotFoundError, UsageError
from tests.api.conftest import T0, make_run


@pytest.fixture
def seven(api: Any, project: str) -> list[str]:
    """Seven runs with distinct lr/acc/tags/states, created one minute apart."""
    ids = []
    for i in range(7):
        run_id = f"run{i}"
        make_run(
            api,
            project,
            run_id,
            name=f"model-{i}",
            config={
                "lr": 0.001 * 10 ** (i % 3),
                "arch": "cnn" if i % 2 else "mlp",
                "opt": {"b": i},
            },
            summary={"acc": 0.5 + i * 0.05, "loss": 1.0 - i * 0.1},
            tags=["best"] if i in (2, 5) else [],
            state="failed" if i == 3 else "finished",
            created_at=T0 + 60 * i,
        )
        ids.append(run_id)
    return ids


def ids(runs: Any) -> list[str]:
    return [r.id for r in runs]


def test_runs_default_order_is_newest_first(api: Any, project: str, seven: list[str]) -> None:
    runs = api.runs(f"alice/{project}")
    assert len(runs) == 7
    assert ids(runs) == list(reversed(seven))
    assert ids(api.runs(f"alice/{project}", order="+created_at")) == seven
    assert ids(api.runs(f"alice/{project}", order="+createdAt")) == seven


def test_order_by_summary_and_config(api: Any, project: str, seven: list[str]) -> None:
    by_acc = api.runs(f"alice/{project}", order="-summary_metrics.acc")
    assert ids(by_acc) == list(reversed(seven))
    by_loss = api.runs(f"alice/{project}", order="+summary_metrics.loss")
    assert ids(by_loss) == list(reversed(seven))


FILTER_CASES: list[tuple[dict[str, Any], set[str]]] = [
    ({"state": "failed"}, {"run3"}),
    ({"state": {"$ne": "finished"}}, {"run3"}),
    ({"config.arch": "cnn"}, {"run1", "run3", "run5"}),
    ({"config.lr": {"$gt": 0.05}}, {"run2", "run5"}),
    ({"config.lr": {"$lte": 0.001}}, {"run0", "run3", "run6"}),
    ({"config.opt.b": {"$in": [1, 4]}}, {"run1", "run4"}),
    ({"summary_metrics.acc": {"$gte": 0.75}}, {"run5", "run6"}),
    ({"summary_metrics.acc": {"$lt": 0.6}}, {"run0", "run1"}),
    ({"tags": "best"}, {"run2", "run5"}),
    ({"tags": {"$in": ["best"]}}, {"run2", "run5"}),
    ({"name": {"$regex": "^model-[12]$"}}, {"run1", "run2"}),
    ({"display_name": "model-4"}, {"run4"}),
    ({"state": {"$nin": ["finished"]}}, {"run3"}),
    ({"$or": [{"tags": "best"}, {"state": "failed"}]}, {"run2", "run3", "run5"}),
    (
        {"$and": [{"config.arch": "cnn"}, {"summary_metrics.acc": {"$gt": 0.6}}]},
        {"run3", "run5"},
    ),
    ({"created_at": {"$gte": T0 + 300}}, {"run5", "run6"}),
    ({"createdAt": {"$lt": "2023-11-14T22:14:20"}}, {"run0"}),
]


def test_filters(api: Any, project: str, seven: list[str]) -> None:
    # One test over every case: the seven runs are written once per store kind.
    for filters, expected in FILTER_CASES:
        runs = api.runs(f"alice/{project}", filters=filters)
        assert set(ids(runs)) == expected, filters
        assert len(runs) == len(expected), filters


def test_bad_filter_names_the_operator(api: Any, project: str, seven: list[str]) -> None:
    with pytest.raises(UsageError, match=r"\$bogus"):
        list(api.runs(f"alice/{project}", filters={"config.lr": {"$bogus": 1}}))
    with pytest.raises(UsageError, match="filters must be a dict"):
        api.runs(f"alice/{project}", filters=[("state", "x")])  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="cannot read"):
        api.runs(f"alice/{project}", filters={"created_at": {"$gt": "yesterday"}})


def test_paging_reads_page_by_page(api: Any, project: str, seven: list[str]) -> None:
    runs = api.runs(f"alice/{project}", order="+created_at", per_page=2)
    assert ids(runs) == seven
    assert sorted(runs._pages) == [0, 1, 2, 3]
    fresh = api.runs(f"alice/{project}", order="+created_at", per_page=2)
    assert fresh[3].id == "run3"
    assert sorted(fresh._pages) == [1]  # only the page holding index 3 was read
    assert fresh[-1].id == "run6"
    assert ids(fresh[1:4]) == ["run1", "run2", "run3"]
    assert ids(fresh[5:100]) == ["run5", "run6"]
    assert ids(fresh[::3]) == ["run0", "run3", "run6"]
    assert ids(fresh[-2:]) == ["run5", "run6"]
    with pytest.raises(IndexError):
        fresh[7]
    with pytest.raises(UsageError, match="per_page"):
        api.runs(f"alice/{project}", per_page=0)


def test_project_name_alone_finds_its_entity(api: Any, project: str, seven: list[str]) -> None:
    assert len(api.runs(project)) == 7
    run = api.run(f"{project}/run2")
    assert run.entity == "alice"
    assert api.run(f"alice/{project}/runs/run2") == run
    assert api.run(f"{project}/runs/run2") == run


def test_unknown_project_has_no_runs(api: Any, project: str) -> None:
    runs = api.runs(f"alice/{project}")
    assert len(runs) == 0
    assert list(runs) == []
    assert not runs


def test_projects(api: Any, project: str, seven: list[str]) -> None:
    make_run(api, project, "other", entity="bob")
    mine = [p for p in api.projects() if p.name == project]
    assert {(p.entity, p.run_count) for p in mine} == {("alice", 7), ("bob", 1)}
    assert project in [p.name for p in api.projects("bob")]
    assert all(p.entity == "bob" for p in api.projects("bob"))
    proj = api.project(project, entity="alice")
    assert (proj.entity, proj.name, proj.run_count, proj.path) == (
        "alice",
        project,
        7,
        ["alice", project],
    )
    assert len(proj.runs()) == 7
    assert api.project(f"bob/{project}").run_count == 1
    with pytest.raises(NotFoundError, match="no project"):
        api.project("does-not-exist")


def test_bad_paths_are_usage_errors(api: Any) -> None:
    with pytest.raises(UsageError, match="entity/project"):
        api.runs("a/b/c")
    with pytest.raises(InvalidNameError):
        api.runs("bad name/x")
    with pytest.raises(UsageError, match="name a project"):
        api.runs()
    with pytest.raises(NotFoundError):
        api.run("alice/nothing-here/abc")
