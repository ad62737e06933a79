"""Everything a run holds is shown as text, and a run logged through the SDK shows up live.

The first test plants HTML and script in every field a page displays; none of
it may run. The second drives a real SDK run against the live server while
the pages are open, as a user watching training would.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from heron.entities import RunKey
from heron.sdk import console
from heron.sdk.client import Client
from heron.settings import Settings
from tests.ui.conftest import UiServer, wait_until

SCRIPT = "<script>window.__pwned = 1</script>"
IMG = '<img src="nope.png" onerror="window.__pwned = 2">'


def project() -> str:
    return f"p{uuid.uuid4().hex[:8]}"


def assert_not_run(page: Any) -> None:
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img[src='nope.png']").count() == 0


def test_html_in_names_tags_notes_config_and_logs_is_shown_as_text(
    ui_server: UiServer, page: Any
) -> None:
    name = project()
    key = ui_server.seed(
        name,
        steps=5,
        name=SCRIPT,
        tags=[IMG],
        notes=f"notes {SCRIPT}",
        group=IMG,
        config={"html": IMG, SCRIPT: 1},
        summary={"comment": SCRIPT},
        metrics=lambda step: {IMG: float(step)},
    )
    ui_server.store.apply(key, "out", [{"seq": 1, "type": "output", "start": 0, "lines": [IMG]}])

    page.goto(ui_server.url(f"/me/{name}"))
    expect(page.locator(".run-link").first).to_contain_text(SCRIPT)
    expect(page.get_by_text(IMG).first).to_be_visible()
    assert_not_run(page)

    page.goto(ui_server.url(f"/me/{name}/runs/{key.run_id}#overview"))
    expect(page.locator(".run-title")).to_have_text(SCRIPT)
    expect(page.locator('[data-kv="config"]')).to_contain_text(IMG)
    expect(page.locator('[data-kv="summary"]')).to_contain_text(SCRIPT)
    assert_not_run(page)

    page.goto(ui_server.url(f"/me/{name}/runs/{key.run_id}#logs"))
    expect(page.locator(".log-line .lt").first).to_have_text(IMG)
    assert_not_run(page)

    page.goto(ui_server.url(f"/me/{name}/workspace"))
    expect(page.locator(".ws-panel", has_text=IMG)).to_be_visible()
    assert_not_run(page)


@pytest.fixture
def sdk(ui_server: UiServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    """The SDK of this process, sending to the live server as a training script would."""
    monkeypatch.setattr(console, "FLUSH_INTERVAL", 0.1)
    settings = Settings(
        dir=tmp_path / "client", base_url=ui_server.base_url, stats=False, git=False
    ).replace(console="wrap")
    client = Client(settings, install_hooks=False)
    yield client
    client.teardown()


def test_a_run_logged_through_the_sdk_updates_charts_logs_and_state_live(
    ui_server: UiServer, page: Any, sdk: Client
) -> None:
    name = project()
    run = sdk.init(project=name, config={"lr": 0.01})
    for step in range(10):
        run.log({"train/loss": 1.0 / (step + 1)})
    print("epoch 0 done")
    sys.stdout.flush()
    key = RunKey(run.entity, name, run.id)
    wait_until(lambda: ui_server.store.read_output(key).total > 0)  # the sender delivered

    page.goto(ui_server.url(f"/{run.entity}/{name}/workspace"))
    chart = page.locator('.ws-panel[data-title="train/loss"] .line-chart')
    expect(chart).to_have_attribute("data-points", "10", timeout=20_000)
    for step in range(10, 25):
        run.log({"train/loss": 1.0 / (step + 1)})
    expect(chart).to_have_attribute("data-points", "25", timeout=30_000)

    page.goto(ui_server.url(f"/{run.entity}/{name}/runs/{run.id}#logs"))
    lines = page.locator(".log-line .lt")
    expect(lines.first).to_have_text("epoch 0 done", timeout=20_000)
    print("epoch 1 done")
    expect(page.get_by_text("epoch 1 done")).to_be_visible(timeout=20_000)

    page.goto(ui_server.url(f"/{run.entity}/{name}/runs/{run.id}#overview"))
    expect(page.locator(".page-head .state")).to_have_text("running")
    run.finish()
    expect(page.locator(".page-head .state")).to_have_text("finished", timeout=20_000)
