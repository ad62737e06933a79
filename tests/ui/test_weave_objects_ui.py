"""The weave object pages: objects, ops, datasets and models lists, a version page
with its JSON tree, refs as links, the version history and line diffs (code diffs
for ops), the dataset viewer paging rows from the server, a model's calls.

Everything is published through the real weave SDK into the live server's
data folder (the server reads the same SQLite database).
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from heron import weave
from heron.settings import Settings
from tests.ui.conftest import UiServer
from tests.ui.test_artifacts_pages import tiny_png

PWN = '<img src="nope.png" onerror="window.__pwned = 1">'


@pytest.fixture(scope="module")
def published(ui_server: UiServer) -> Iterator[dict[str, Any]]:
    """Two versions of a prompt and of an op, a 120-row dataset with images, a model."""
    project = f"o{uuid.uuid4().hex[:8]}"
    client = weave.init(f"me/{project}", settings=Settings(dir=ui_server.server.data_dir))

    class Prompt(weave.Object):
        text: str
        k: int = 3

    weave.publish(Prompt(text="Answer briefly.", k=3), name="qa-prompt")
    weave.publish(Prompt(text=f"Answer briefly and cite. {PWN}", k=5), name="qa-prompt")

    _score_v0()(1)
    assert client.flush(timeout=60)
    _score_v1()(2)

    image = "data:image/png;base64," + base64.b64encode(tiny_png(8, 8)).decode()
    rows = [{"question": f"q{i}", "answer": str(i), "picture": image} for i in range(120)]
    weave.publish(weave.Dataset(name="questions", rows=rows))

    class Echo(weave.Model):
        prefix: str
        prompt: Prompt

        @weave.op
        def predict(self, question: str) -> str:
            return self.prefix + question

    model = Echo(prefix="A: ", prompt=Prompt(text="Be kind.", k=1), name="echo")
    model.predict("hi")
    model.predict("there")
    assert client.flush(timeout=60)
    weave.finish()
    yield {"project": project}


def _score_v0() -> Any:
    @weave.op
    def score(x: int) -> int:
        return 2 * x

    return score


def _score_v1() -> Any:
    @weave.op
    def score(x: int) -> int:
        doubled = 2 * x
        return doubled + 1

    return score


def _url(ui_server: UiServer, project: str, path: str) -> str:
    return ui_server.url(f"/me/{project}/weave/{path}")


def test_lists_show_each_kind(page: Any, ui_server: UiServer, published: dict[str, Any]) -> None:
    project = published["project"]
    page.goto(_url(ui_server, project, "objects"))
    prompt = page.locator("tr[data-object='qa-prompt']")
    expect(prompt).to_contain_text("Prompt")
    expect(prompt.locator("td.num")).to_have_text("2")
    expect(prompt).to_contain_text("v1")
    expect(page.locator("tr[data-object='questions']")).to_contain_text("Dataset")

    page.locator(".weave-tab", has_text="Ops").click()
    expect(page).to_have_url(_url(ui_server, project, "ops"))
    expect(page.locator("tr[data-object='score'] td.num")).to_have_text("2")
    expect(page.locator("tr[data-object='Echo.predict']")).to_be_visible()
    expect(page.locator("tr[data-object='qa-prompt']")).to_have_count(0)

    page.goto(_url(ui_server, project, "models"))
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tr[data-object='echo']")).to_contain_text("Echo")
    page.goto(_url(ui_server, project, "datasets"))
    expect(page.locator("tbody tr")).to_have_count(1)
    page.locator(".search").fill("nothing-like-this")
    expect(page.locator("tbody tr")).to_have_count(0)
    page.screenshot(path=str(ui_server_shot("lists")), full_page=True)


def ui_server_shot(name: str) -> Any:
    from tests.ui.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"weave-objects-{name}.png"


def test_object_version_diff(page: Any, ui_server: UiServer, published: dict[str, Any]) -> None:
    project = published["project"]
    page.goto(_url(ui_server, project, "objects"))
    page.locator("tr[data-object='qa-prompt'] a").click()
    expect(page.locator("h1.object-title")).to_have_text("qa-prompt")
    expect(page.locator(".versions-table tbody tr")).to_have_count(2)
    expect(page.locator(".json-view")).to_contain_text(PWN)  # text, not markup
    assert page.evaluate("window.__pwned") is None
    # v1 is shown; the diff is against v0 by default: k and text changed.
    removed = page.locator(".diff-line[data-op='-'] .diff-text")
    added = page.locator(".diff-line[data-op='+'] .diff-text")
    expect(removed).to_have_text(['  "k": 3,', '  "text": "Answer briefly."'])
    expect(added).to_have_count(2)
    expect(added.nth(0)).to_have_text('  "k": 5,')
    expect(page.locator(".diff-added-count")).to_have_text("+2")
    # Open v0 from the version list: now it has no earlier version, so it diffs against v1.
    page.locator(".versions-table a", has_text="v0").click()
    expect(page.locator(".page-head .chip")).to_have_text("v0")
    expect(page.locator(".diff-line[data-op='-']")).to_have_count(2)
    page.screenshot(path=str(ui_server_shot("object-diff")), full_page=True)


def test_op_code_diff(page: Any, ui_server: UiServer, published: dict[str, Any]) -> None:
    project = published["project"]
    page.goto(_url(ui_server, project, "ops/score/versions/latest"))
    expect(page.locator(".op-code").first).to_contain_text("doubled = 2 * x")
    expect(page.locator(".version-diff h2")).to_have_text("Code diff")
    expect(page.locator(".diff-line[data-op='-'] .diff-text")).to_have_text(["    return 2 * x"])
    expect(page.locator(".diff-line[data-op='+'] .diff-text")).to_have_text(
        ["    doubled = 2 * x", "    return doubled + 1"]
    )
    expect(page.locator(".diff-line[data-op=' ']")).to_have_count(2)
    page.screenshot(path=str(ui_server_shot("op-diff")), full_page=True)


def test_dataset_viewer_pages_rows(
    page: Any, ui_server: UiServer, published: dict[str, Any]
) -> None:
    project = published["project"]
    page.goto(_url(ui_server, project, "datasets"))
    page.locator("tr[data-object='questions'] a").click()
    table = page.locator(".dataset-table")
    expect(table.locator("th[data-column]")).to_have_text(["question", "answer", "picture"])
    expect(table.locator("tbody tr")).to_have_count(50)
    expect(table.locator("tbody tr").first).to_contain_text("q0")
    expect(table.locator("tbody tr").first.locator("img.call-image")).to_be_visible()
    expect(page.locator(".pager-range")).to_have_text("1–50 of 120")
    page.locator(".pager button", has_text="Next").click()
    expect(table.locator("tbody tr").first).to_contain_text("q50")
    page.locator(".pager button", has_text="Next").click()
    expect(table.locator("tbody tr")).to_have_count(20)
    expect(table.locator("tbody tr").last).to_contain_text("q119")
    page.screenshot(path=str(ui_server_shot("dataset")), full_page=True)


def test_model_page(page: Any, ui_server: UiServer, published: dict[str, Any]) -> None:
    project = published["project"]
    page.goto(_url(ui_server, project, "models"))
    page.locator("tr[data-object='echo'] a").click()
    expect(page.locator(".model-attrs tr[data-attr='prefix']")).to_contain_text("A:")
    # A nested object is a ref chip linking to its version page.
    prompt_ref = page.locator(".model-attrs tr[data-attr='prompt'] a.ref-chip")
    expect(prompt_ref).to_contain_text("Prompt")
    expect(page.locator("[data-op-attr='predict'] .op-code")).to_contain_text(
        "self.prefix + question"
    )
    expect(page.locator(".used-by tbody tr")).to_have_count(2)
    expect(page.locator(".used-by")).to_contain_text("Echo.predict")
    page.screenshot(path=str(ui_server_shot("model")), full_page=True)
    prompt_ref.click()
    expect(page.locator("h1.object-title")).to_have_text("Prompt")
    expect(page.locator(".json-view")).to_contain_text("Be kind.")


def test_unknown_version_is_a_404_page(ui_server: UiServer, published: dict[str, Any]) -> None:
    import httpx

    project = published["project"]
    answer = httpx.get(_url(ui_server, project, "objects/qa-prompt/versions/v9"))
    assert answer.status_code == 404
    assert "There is no object qa-prompt:v9" in answer.text
    assert httpx.get(_url(ui_server, project, "nothing-here")).status_code == 404
