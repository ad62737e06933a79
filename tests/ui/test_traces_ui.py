"""The traces dashboard: the traces table with its filters, one trace's call tree,
waterfall and call detail, feedback from the page, and a trace of 100,000 calls.

Calls are traced by the real weave SDK into the live server's data folder
(the server reads the same SQLite database); the big trace is written straight
through ``Store.apply_calls``, as ``benchmarks/bench_weave.py`` measures it.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from heron import weave
from heron.settings import Settings
from tests.ui.conftest import UiServer
from tests.ui.test_artifacts_pages import tiny_png

ANSWER = "**Paris** is the capital of France.\n\n- it is on the Seine\n- it has the Louvre"
PWN = '<img src="nope.png" onerror="window.__pwned = 1">'


@pytest.fixture(scope="module")
def traced(ui_server: UiServer) -> Iterator[dict[str, Any]]:
    """Four traces: two answers (nested retrieve + chat), a failing op, an image caption."""
    project = f"t{uuid.uuid4().hex[:8]}"
    client = weave.init(f"me/{project}", settings=Settings(dir=ui_server.server.data_dir))

    @weave.op
    def retrieve(query: str) -> list[str]:
        return [f"doc about {query}", PWN]

    @weave.op
    def chat(messages: list[dict[str, str]], model: str = "gpt-4o-mini") -> dict[str, Any]:
        return {
            "model": model,
            "choices": [{"message": {"role": "assistant", "content": ANSWER}}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 8, "total_tokens": 20},
        }

    @weave.op
    def answer(question: str) -> str:
        docs = retrieve(question)
        reply = chat(
            [
                {"role": "system", "content": "Answer briefly. " + " ".join(docs)},
                {"role": "user", "content": question},
            ]
        )
        return str(reply["choices"][0]["message"]["content"])

    @weave.op
    def flaky(x: int) -> int:
        raise ValueError(f"boom at {x}")

    @weave.op
    def caption(image: str) -> str:
        return "a red and blue checker"

    with weave.attributes({"env": "prod"}):
        answer("What is the capital of France?")
    with weave.attributes({"env": "dev"}):
        answer(f"Who wrote {PWN}?")
    with pytest.raises(ValueError):
        flaky(7)
    caption("data:image/png;base64," + base64.b64encode(tiny_png(16, 16)).decode())
    assert client.flush(timeout=60)
    weave.finish()
    found = ui_server.store.get_calls(
        "me", project, filter={"trace_roots_only": True}, sort_by=[("started_at", "desc")]
    )
    roots = {c["op_name"]: c for c in found}  # the first answer (env prod) wins: it is last
    yield {"project": project, "roots": roots}


def traces_url(ui_server: UiServer, project: str, query: str = "") -> str:
    return ui_server.url(f"/me/{project}/weave/traces{query}")


def rows(page: Any) -> Any:
    return page.locator("table.traces-table tbody tr")


def test_traces_table_lists_roots_and_filters_by_op_status_and_attribute(
    ui_server: UiServer, page: Any, traced: dict[str, Any]
) -> None:
    project = traced["project"]
    page.goto(traces_url(ui_server, project))
    expect(rows(page)).to_have_count(4)
    expect(page.locator("[data-total]")).to_have_text("4 traces")
    newest = rows(page).first  # newest first
    expect(newest.locator(".op-cell")).to_have_text("caption")
    expect(rows(page).locator("[data-status=error]")).to_have_count(1)
    answer_row = page.locator("tr[data-op=answer]").first
    expect(answer_row.locator("td.preview").first).to_contain_text("question:")
    expect(answer_row.locator("td.num").nth(1)).to_have_text("20")  # tokens rolled up
    assert page.evaluate("window.__pwned") is None

    page.get_by_label("Op", exact=True).select_option("flaky")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first.locator("td.preview").nth(1)).to_contain_text("ValueError: boom at 7")
    assert "op=flaky" in page.url
    page.get_by_label("Op", exact=True).select_option("")
    page.get_by_label("Status").select_option("error")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_have_attribute("data-op", "flaky")
    page.get_by_label("Status").select_option("success")
    expect(rows(page)).to_have_count(3)

    page.get_by_label("Attribute filter").fill("env = prod")
    page.get_by_label("Attribute filter").press("Enter")
    expect(rows(page)).to_have_count(1)
    expect(page.locator(".filter-chip")).to_contain_text("env = prod")

    page.reload()  # the filters are in the URL
    expect(rows(page)).to_have_count(1)
    expect(page.get_by_label("Status")).to_have_value("success")
    page.locator(".filter-chip button").click()
    page.get_by_label("Status").select_option("")
    page.get_by_role("button", name="All calls").click()
    expect(rows(page)).to_have_count(8)  # 2 x (answer, retrieve, chat) + flaky + caption
    page.locator("button[data-sort=latency]").click()
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("Latency")
    page.get_by_label("Time range").select_option("1h")
    expect(rows(page)).to_have_count(8)


def test_trace_view_shows_tree_waterfall_and_rendered_detail(
    ui_server: UiServer, page: Any, traced: dict[str, Any]
) -> None:
    project = traced["project"]
    page.goto(traces_url(ui_server, project, "?op=answer&attr=env%3Dprod"))
    page.locator("tr[data-op=answer] .op-cell a").click()
    expect(page.locator(".tree-row[data-call]")).to_have_count(3)
    root = traced["roots"]["answer"]
    assert page.url.endswith(f"/weave/calls/{root['id']}")
    labels = page.locator(".tree-row[data-call] .tree-op").all_inner_texts()
    assert labels == ["answer", "retrieve", "chat"]
    expect(page.locator(".tree-row[data-depth='1']")).to_have_count(2)
    expect(page.locator(".wf-bar")).to_have_count(3)
    root_bar = page.locator(".tree-row[data-depth='0'] .wf-bar").bounding_box()
    child_bar = page.locator(".tree-row[data-depth='1'] .wf-bar").last.bounding_box()
    assert root_bar and child_bar and root_bar["width"] > child_bar["width"] > 0
    assert child_bar["x"] >= root_bar["x"]
    expect(page.locator(".trace-stats")).to_contain_text("3 calls")
    detail = page.locator(".call-detail")
    expect(detail.locator("h2")).to_have_text("answer")
    expect(detail.locator("[data-section=attributes]")).to_contain_text("prod")
    expect(detail.locator("[data-section=output] .markdown strong")).to_have_text("Paris")

    page.locator(".tree-row[data-call] .tree-op", has_text="chat").click()
    expect(detail.locator("h2")).to_have_text("chat")
    inputs = detail.locator("[data-section=inputs]")
    expect(inputs.locator(".chat-message")).to_have_count(2)
    expect(inputs.locator(".chat-message[data-role=user]")).to_contain_text("capital of France")
    output = detail.locator("[data-section=output]")
    expect(output.locator(".chat-message[data-role=assistant] li")).to_have_count(2)
    expect(detail.locator(".usage-table [data-model=gpt-4o-mini]")).to_contain_text("20")
    assert "/weave/calls/" in page.url and not page.url.endswith(root["id"])

    page.keyboard.press("ArrowUp")  # the tree has focus after the click
    expect(detail.locator("h2")).to_have_text("retrieve")
    page.screenshot(path=str(_shot("trace-view")), full_page=True)

    flaky = traced["roots"]["flaky"]
    page.goto(ui_server.url(f"/me/{project}/weave/calls/{flaky['id']}"))
    exception = page.locator(".call-detail pre.exception")
    expect(exception).to_contain_text("ValueError: boom at 7")
    expect(exception).to_contain_text("Traceback")
    expect(page.locator(".wf-bar.wf-error")).to_have_count(1)

    caption = traced["roots"]["caption"]
    page.goto(ui_server.url(f"/me/{project}/weave/calls/{caption['id']}"))
    image = page.locator("[data-section=inputs] img.call-image")
    expect(image).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth", image.element_handle()) == 16


def test_html_in_calls_is_shown_as_text(
    ui_server: UiServer, page: Any, traced: dict[str, Any]
) -> None:
    project = traced["project"]
    retrieved = ui_server.store.get_calls("me", project, filter={"op_names": ["retrieve"]})
    dev = next(c for c in retrieved if PWN in c["inputs"]["query"])
    page.goto(ui_server.url(f"/me/{project}/weave/calls/{dev['id']}"))
    expect(page.locator("[data-section=inputs]")).to_contain_text(PWN)
    expect(page.locator("[data-section=output]")).to_contain_text(PWN)
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img[src='nope.png']").count() == 0


def test_reactions_and_notes_persist(
    ui_server: UiServer, page: Any, traced: dict[str, Any]
) -> None:
    project = traced["project"]
    call = traced["roots"]["caption"]
    page.goto(ui_server.url(f"/me/{project}/weave/calls/{call['id']}"))
    panel = page.locator(".feedback-panel")
    expect(panel).to_contain_text("No feedback yet.")
    panel.locator("button[data-emoji='👍']").click()
    expect(panel.locator("button[data-emoji='👍']")).to_have_attribute("aria-pressed", "true")
    panel.get_by_label("Note").fill("the checker is 16 px")
    panel.get_by_role("button", name="Add note").click()
    expect(panel.locator(".feedback-item")).to_have_count(2)

    page.reload()
    panel = page.locator(".feedback-panel")
    expect(panel.locator(".feedback-note")).to_have_text("the checker is 16 px")
    expect(panel.locator(".feedback-emoji")).to_have_text("👍")
    stored = ui_server.store.list_feedback("me", project, call["id"])
    assert [(f["feedback_type"], f["payload"]) for f in stored] == [
        ("wandb.reaction.1", {"emoji": "👍"}),
        ("wandb.note.1", {"note": "the checker is 16 px"}),
    ]

    page.goto(traces_url(ui_server, project, "?feedback=%F0%9F%91%8D"))
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first.locator(".feedback-counts")).to_contain_text("👍")
    expect(rows(page).first.locator(".feedback-counts")).to_contain_text("📝")

    page.goto(ui_server.url(f"/me/{project}/weave/calls/{call['id']}"))
    panel = page.locator(".feedback-panel")
    panel.locator(".feedback-item[data-type='wandb.note.1'] button").click()
    expect(panel.locator(".feedback-item")).to_have_count(1)
    panel.locator("button[data-emoji='👍']").click()  # toggles the reaction off
    expect(panel).to_contain_text("No feedback yet.")
    assert ui_server.store.list_feedback("me", project, call["id"]) == []


def seed_wide_trace(ui_server: UiServer, project: str, children: int) -> str:
    """A root with ``children`` direct children, written as whole ``call`` records."""
    store = ui_server.store
    root_id = "root-" + uuid.uuid4().hex[:8]
    start = time.time() - 3600
    end = start + children * 0.001 + 1

    def record(seq: int, call_id: str, parent: str | None, op: str, t0: float, t1: float) -> Any:
        return {
            "seq": seq,
            "type": "call",
            "id": call_id,
            "trace_id": root_id,
            "parent_id": parent,
            "op_name": op,
            "display_name": None,
            "inputs": {"i": seq - 2} if parent else {},
            "attributes": {},
            "started_at": t0,
            "output": seq,
            "exception": None,
            "summary": {"status_counts": {"success": 1, "error": 0}},
            "ended_at": t1,
        }

    batch = [record(1, root_id, None, "fan_out", start, end)]
    for i in range(children):
        t0 = start + 0.5 + i * 0.001
        batch.append(record(i + 2, f"c{i:06d}", root_id, "leaf", t0, t0 + 0.0008))
        if len(batch) == 10_000:
            store.apply_calls("me", project, "seed", batch)
            batch = []
    if batch:
        store.apply_calls("me", project, "seed", batch)
    return root_id


def test_a_trace_of_100000_calls_opens_and_scrolls(ui_server: UiServer, page: Any) -> None:
    project = f"big{uuid.uuid4().hex[:6]}"
    children = 100_000
    root_id = seed_wide_trace(ui_server, project, children)

    started = time.perf_counter()
    page.goto(ui_server.url(f"/me/{project}/weave/calls/{root_id}"))
    scroller = page.locator(".tree-scroll")
    expect(scroller).to_have_attribute("data-rows", str(children + 1))
    expect(page.locator(".tree-row[data-call='c000000']")).to_be_visible()
    opened = time.perf_counter() - started
    assert opened < 10, f"opening the trace took {opened:.1f} s"
    expect(page.locator(".trace-stats")).to_contain_text("100,001 calls")
    dom_rows = page.locator(".tree-row").count()
    assert dom_rows < 100, f"{dom_rows} rows in the DOM: the list is not virtualised"

    for target in (50_000, 99_990, 1_234):  # jump far, to the end, and back
        scroller.evaluate(f"(el) => {{ el.scrollTop = {target} * 26; }}")
        expect(page.locator(f".tree-row[data-call='c{target:06d}']")).to_be_visible()
    for _ in range(20):  # and scroll as a wheel would
        page.mouse.move(300, 400)
        page.mouse.wheel(0, 1500)
    expect(page.locator(".tree-row.pending")).to_have_count(0)
    middle = scroller.evaluate(
        """(el) => {
          const box = el.getBoundingClientRect();
          const y = box.top + box.height / 2;
          const row = [...el.querySelectorAll('.tree-row[data-call]')].find((r) => {
            const b = r.getBoundingClientRect();
            return b.top <= y && y < b.bottom;
          });
          return row && row.dataset.call;
        }"""
    )
    assert middle is not None and middle > "c001234"  # the wheel went down from row 1,234

    page.locator(f".tree-row[data-call='{middle}']").click()
    expect(page.locator(".call-detail h2")).to_have_text("leaf")
    expect(page.locator(".call-detail [data-section=inputs]")).to_contain_text(str(int(middle[1:])))


def _shot(name: str) -> Any:
    from tests.ui.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"
