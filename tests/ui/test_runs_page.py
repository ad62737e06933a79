"""The runs table (/{entity}/{project}): sort, filter, search, group, columns, bulk actions, paging.

Each test seeds its own project (the server is shared by the module) and
drives the page in Chromium the way a person would.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from heron.entities import RunKey
from tests.ui.conftest import UiServer

ROWS = "table.runs-table tbody tr[data-run]"
NAMES = ROWS + " td.name"


def names(page: Any) -> Any:
    return page.locator(NAMES)


def header(page: Any, column: str) -> Any:
    return page.locator(f'table.runs-table th[data-col="{column}"] button.sort')


def add_filter(page: Any, field: str, op: str, value: str) -> None:
    page.get_by_label("Filter field").fill(field)
    page.get_by_label("Filter operator").select_option(op)
    page.get_by_label("Filter value").fill(value)
    page.get_by_role("button", name="Add filter").click()


def saved_spec(ui: UiServer, project: str) -> dict[str, Any] | None:
    view = ui.store.get_view("me", project, "runset")
    return view.spec if view else None


def seed_four(ui: UiServer, project: str) -> None:
    runs = [
        ("alpha-1", 0.001, "adam", 0.71, ["baseline"]),
        ("alpha-2", 0.01, "adam", 0.93, []),
        ("beta-1", 0.1, "sgd", 0.55, ["baseline"]),
        ("beta-2", 1.0, "sgd", 0.80, []),
    ]
    for i, (name, lr, opt, acc, tags) in enumerate(runs):
        ui.seed(
            project,
            name,
            name=name,
            config={"lr": lr, "optimizer": {"name": opt}},
            summary={"acc": acc},
            tags=tags,
            created_at=time.time() - 1000 + i * 10,
        )


def test_runs_are_listed_sorted_by_header_filtered_and_searched(
    ui_server: UiServer, page: Any
) -> None:
    seed_four(ui_server, "rt-sort")
    page.goto(ui_server.url("/me/rt-sort"))
    # Newest first by default; config and summary keys are columns.
    expect(names(page)).to_have_text(["beta-2", "beta-1", "alpha-2", "alpha-1"])
    expect(
        page.locator('tr[data-run="alpha-2"] td[data-col="config.optimizer.name"]')
    ).to_have_text("adam")
    expect(page.locator('tr[data-run="alpha-2"] td[data-col="summary.acc"]')).to_have_text("0.93")
    expect(page.locator('tr[data-run="beta-1"] td[data-col="tags"]')).to_have_text("baseline")
    expect(page.locator('tr[data-run="beta-1"] .state')).to_have_text("finished")

    header(page, "summary.acc").click()  # largest first
    expect(names(page)).to_have_text(["alpha-2", "beta-2", "alpha-1", "beta-1"])
    header(page, "summary.acc").click()
    expect(names(page)).to_have_text(["beta-1", "alpha-1", "beta-2", "alpha-2"])
    expect(page.locator('th[data-col="summary.acc"]')).to_have_attribute("aria-sort", "ascending")
    header(page, "name").click()
    expect(names(page)).to_have_text(["alpha-1", "alpha-2", "beta-1", "beta-2"])

    add_filter(page, "config.lr", ">=", "0.01")  # "0.01" is parsed as a number
    expect(names(page)).to_have_text(["alpha-2", "beta-1", "beta-2"])
    add_filter(page, "config.optimizer.name", "=", "sgd")
    expect(names(page)).to_have_text(["beta-1", "beta-2"])
    expect(page.locator(".filter-bar .chip")).to_have_count(2)
    page.get_by_label("Remove filter config.lr").click()
    expect(names(page)).to_have_text(["beta-1", "beta-2"])
    add_filter(page, "tags", "in", "baseline,other")
    expect(names(page)).to_have_text(["beta-1"])
    page.get_by_label("Remove filter tags").click()
    page.get_by_label("Remove filter config.optimizer.name").click()
    expect(names(page)).to_have_count(4)

    add_filter(page, "name", "regex", "(")
    expect(page.locator(".filter-error")).to_contain_text("regular expression")
    expect(page.locator(".filter-bar .chip")).to_have_count(0)

    page.get_by_placeholder("Search runs by name, id or tag").fill("ALPHA")
    expect(names(page)).to_have_text(["alpha-1", "alpha-2"])
    page.get_by_placeholder("Search runs by name, id or tag").fill("nothing-like-this")
    expect(page.locator(".empty")).to_contain_text("No runs match")

    page.get_by_placeholder("Search runs by name, id or tag").fill("")
    expect(names(page)).to_have_count(4)
    expect(page.get_by_role("link", name="alpha-1")).to_have_attribute(
        "href", "/me/rt-sort/runs/alpha-1"
    )


def test_group_by_config_shows_counts_and_aggregates_and_expands(
    ui_server: UiServer, page: Any
) -> None:
    seed_four(ui_server, "rt-group")
    page.goto(ui_server.url("/me/rt-group"))
    expect(names(page)).to_have_count(4)
    page.get_by_label("Group by").select_option("config.optimizer.name")

    groups = page.locator("tr.group-row")
    expect(groups).to_have_count(2)
    adam = page.locator('tr.group-row[data-group="adam"]')
    expect(adam.locator(".group-count")).to_have_text("2 runs")
    # mean of 0.71 and 0.93, with min–max underneath
    expect(adam.locator("td.agg")).to_have_text("0.820.71–0.93")
    sgd = page.locator('tr.group-row[data-group="sgd"]')
    expect(sgd.locator("td.agg .agg-range")).to_have_text("0.55–0.8")
    expect(names(page)).to_have_count(0)

    sgd.get_by_role("button", name="config.optimizer.name: sgd").click()
    expect(names(page)).to_have_text(["beta-2", "beta-1"])
    adam.locator("button.group-toggle").click()
    expect(names(page)).to_have_count(4)

    page.get_by_label("Group by").select_option("")
    expect(page.locator("tr.group-row")).to_have_count(0)
    expect(names(page)).to_have_count(4)


def test_column_choice_filters_and_order_persist_across_reload(
    ui_server: UiServer, page: Any
) -> None:
    config = {f"k{i:02d}": i for i in range(10)}  # more than the 8 shown by default
    ui_server.seed("rt-cols", "one", config=config, summary={"acc": 0.5}, host="gpu-7")
    ui_server.seed("rt-cols", "two", config={**config, "k00": 100}, summary={"acc": 0.6})
    page.goto(ui_server.url("/me/rt-cols"))
    expect(names(page)).to_have_count(2)
    expect(page.locator('th[data-col="config.k09"]')).to_have_count(0)
    expect(page.locator('th[data-col="host"]')).to_have_count(0)

    page.get_by_role("button", name="Columns").click()
    picker = page.get_by_role("dialog", name="Columns")
    picker.get_by_label("Find a column").fill("k09")
    # Checking a column moves it to the shown list, so click rather than check().
    picker.locator('.picker-hidden li[data-column="config.k09"] input').click()
    picker.get_by_label("Find a column").fill("")
    picker.locator('.picker-hidden li[data-column="host"] input').click()
    picker.locator('.picker-shown li[data-column="user"] input').click()
    expect(picker.locator(".picker-shown li").last).to_have_attribute("data-column", "host")
    # Shown: 6 base fields, config.k00..k07, summary.acc, k09, host. Host goes up
    # one place; then k09 (now 17th) goes up 16 places, to the front.
    picker.get_by_label("Move host up").click()
    for _ in range(16):
        picker.get_by_label("Move config.k09 up").click()
    expect(picker.get_by_label("Move config.k09 up")).to_be_disabled()
    picker.get_by_role("button", name="Done").click()

    cols = page.locator("table.runs-table thead th[data-col]")
    expect(cols.nth(1)).to_have_attribute("data-col", "config.k09")
    expect(page.locator('th[data-col="user"]')).to_have_count(0)
    expect(page.locator('tr[data-run="one"] td[data-col="host"]')).to_have_text("gpu-7")
    header(page, "config.k00").click()
    expect(names(page)).to_have_text(["two", "one"])
    add_filter(page, "summary.acc", "<", "0.9")
    expect(page.locator(".filter-bar .chip")).to_have_count(1)

    # The state is saved to the server (debounced); wait until it is there.
    deadline = time.time() + 10
    spec: dict[str, Any] | None = None
    while time.time() < deadline:
        spec = saved_spec(ui_server, "rt-cols")
        if spec and spec.get("filters") == {"summary.acc": {"$lt": 0.9}}:
            break
        time.sleep(0.2)
    assert spec is not None
    assert spec["columns"][0] == "config.k09"
    assert "host" in spec["columns"] and "user" not in spec["columns"]
    assert spec["order"] == "-config.k00"
    assert spec["filters"] == {"summary.acc": {"$lt": 0.9}}

    page.reload()
    expect(names(page)).to_have_text(["two", "one"])
    expect(cols.nth(1)).to_have_attribute("data-col", "config.k09")
    expect(page.locator('th[data-col="user"]')).to_have_count(0)
    expect(page.locator(".filter-bar .chip")).to_have_text(["summary.acc < 0.9×"])
    expect(page.locator('th[data-col="config.k00"]')).to_have_attribute("aria-sort", "descending")


def test_selection_bulk_tag_compare_and_delete(ui_server: UiServer, page: Any) -> None:
    for i in range(3):
        ui_server.seed("rt-bulk", f"run{i}", created_at=time.time() - 100 + i)
    page.goto(ui_server.url("/me/rt-bulk"))
    expect(names(page)).to_have_count(3)

    page.get_by_label("Select all runs on this page").check()
    expect(page.locator(".selected-count")).to_have_text("3 selected")
    page.get_by_label("Select run1").uncheck()
    expect(page.locator(".selected-count")).to_have_text("2 selected")

    page.get_by_label("Tag name").fill("best")
    page.get_by_role("button", name="Add tag").click()
    expect(page.locator('tr[data-run="run0"] td[data-col="tags"]')).to_have_text("best")
    expect(page.locator('tr[data-run="run2"] td[data-col="tags"]')).to_have_text("best")
    expect(page.locator('tr[data-run="run1"] td[data-col="tags"]')).to_have_text("")
    assert ui_server.store.get_run(RunKey("me", "rt-bulk", "run0")).tags == ["best"]
    page.get_by_label("Tag name").fill("best")
    page.get_by_role("button", name="Remove tag").click()
    expect(page.locator('tr[data-run="run0"] td[data-col="tags"]')).to_have_text("")

    page.get_by_label("Hide run2 in the workspace").click()
    expect(page.get_by_label("Show run2 in the workspace")).to_have_attribute(
        "aria-pressed", "true"
    )

    # "Compare in workspace" saves the selection now and opens the workspace.
    page.route(
        "**/me/rt-bulk/workspace",
        lambda route: route.fulfill(
            body="<!doctype html><p>workspace</p>", content_type="text/html"
        ),
    )
    page.get_by_role("button", name="Compare in workspace").click()
    expect(page).to_have_url(ui_server.url("/me/rt-bulk/workspace"))
    spec = saved_spec(ui_server, "rt-bulk")
    assert spec is not None
    assert sorted(spec["selected"]) == ["run0", "run2"]
    assert spec["hidden"] == ["run2"]

    page.goto(ui_server.url("/me/rt-bulk"))
    expect(page.locator(".selected-count")).to_have_text("2 selected")
    page.get_by_role("button", name="Delete…").click()
    expect(page.get_by_role("alertdialog")).to_contain_text("Delete 2 runs")
    page.get_by_role("button", name="Cancel").click()
    expect(names(page)).to_have_count(3)
    page.get_by_role("button", name="Delete…").click()
    page.get_by_role("button", name="Yes, delete").click()
    expect(names(page)).to_have_text(["run1"])
    expect(page.locator(".bulk-actions")).to_contain_text("Select runs")
    assert ui_server.store.count_runs("me", "rt-bulk") == 1


def test_running_run_turns_finished_without_reload(ui_server: UiServer, page: Any) -> None:
    key = ui_server.seed("rt-live", "live", state="running")
    page.goto(ui_server.url("/me/rt-live"))
    badge = page.locator('tr[data-run="live"] .state')
    expect(badge).to_have_text("running")
    ui_server.store.apply(
        key,
        "seed",
        [{"seq": 2, "type": "exit", "state": "failed", "exit_code": 1, "ended_at": time.time()}],
    )
    expect(badge).to_have_text("failed", timeout=12_000)  # polled every 5 s


def test_a_project_without_runs_says_how_to_log_one(ui_server: UiServer, page: Any) -> None:
    ui_server.store.delete_run(ui_server.seed("rt-emptied", "gone"))
    page.goto(ui_server.url("/me/rt-emptied"))
    expect(page.locator(".empty")).to_contain_text("No runs in this project yet")
    expect(page.locator(".run-total")).to_have_text("0 runs")


@pytest.fixture(scope="module")
def big_project(ui_server: UiServer) -> str:
    """2,500 runs with config and summary, seeded straight into the store."""
    ui_server.seed_many("rt-big", 2500)
    return "rt-big"


def test_thousands_of_runs_page_on_the_server(
    ui_server: UiServer, page: Any, big_project: str
) -> None:
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/api/v1/runs/" in r.url else None)
    page.goto(ui_server.url(f"/me/{big_project}"))
    expect(names(page)).to_have_count(50)
    pager = page.locator(".pager-range")
    expect(pager).to_have_text(re.compile(r"^1–50 of 2\D?500$"))
    expect(names(page).first).to_have_text("run-02499")  # newest first
    assert all("lite=true" in url and "limit=50" in url for url in requests)

    page.get_by_role("button", name="Next ›").click()
    expect(pager).to_have_text(re.compile(r"^51–100 of 2\D?500$"))
    expect(names(page).first).to_have_text("run-02449")
    page.get_by_label("Rows per page").select_option("100")
    expect(pager).to_have_text(re.compile(r"^1–100 of 2\D?500$"))
    expect(names(page)).to_have_count(100)
    expect(page.get_by_role("button", name="‹ Prev")).to_be_disabled()
    page.get_by_role("button", name="Next ›").click()
    expect(names(page).first).to_have_text("run-02399")

    header(page, "summary.acc").click()
    expect(names(page).first).to_have_text("run-02499")
    header(page, "runtime").click()  # longest first: the seeded runtime grows with i % 97
    expect(page.locator(f"{ROWS} td[data-col='runtime']").first).to_have_text("1m 36s")
