"""The evaluation pages: the evaluations list with headline scores and model and
dataset refs, choosing evaluations to compare, and the comparison page's summary
deltas per scorer, per-row outputs and scores, and the disagreement filter.

Two ``weave.Evaluation`` runs of different models on the same dataset are made
by the real SDK into the live server's data folder.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from heron import weave
from heron.settings import Settings
from tests.ui.conftest import SCREENSHOTS, UiServer

ROWS = 60  # more than a page of 50: the rows table pages


def _shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"evaluations-{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def evaluated(ui_server: UiServer) -> Iterator[dict[str, Any]]:
    """Models `exact` (right on every row) and `shouty` (right on rows divisible by 3)."""
    project = f"e{uuid.uuid4().hex[:8]}"
    client = weave.init(f"me/{project}", settings=Settings(dir=ui_server.server.data_dir))

    class Answerer(weave.Model):
        shout_every: int

        @weave.op
        def predict(self, question: str) -> str:
            n = int(question[1:])
            return question.upper() if self.shout_every and n % 3 else question

    @weave.op
    def match(answer: str, output: str) -> dict[str, bool]:
        return {"correct": answer == output}

    @weave.op
    def length(output: str) -> int:
        return len(output)

    rows = [{"question": f"q{i}", "answer": f"q{i}"} for i in range(ROWS)]
    evaluation = weave.Evaluation(
        name="qa-eval", dataset=weave.Dataset(name="qa", rows=rows), scorers=[match, length]
    )
    # In a thread of its own: Playwright's sync API keeps an event loop running in this
    # one once the module's browser has started, and asyncio.run() refuses to nest.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        first = pool.submit(
            asyncio.run, evaluation.evaluate(Answerer(name="exact", shout_every=0))
        ).result()
        second = pool.submit(
            asyncio.run, evaluation.evaluate(Answerer(name="shouty", shout_every=3))
        ).result()
    assert first["match"]["correct"]["true_fraction"] == 1.0
    assert client.flush(timeout=60)
    weave.finish()
    found = ui_server.store.get_calls(
        "me", project, filter={"op_names": ["Evaluation.evaluate"]}, sort_by=[("started_at", "asc")]
    )
    assert len(found) == 2
    yield {"project": project, "ids": [c["id"] for c in found], "second": second}


def test_list_and_choose_two(page: Any, ui_server: UiServer, evaluated: dict[str, Any]) -> None:
    project = evaluated["project"]
    first, second = evaluated["ids"]
    page.goto(ui_server.url(f"/me/{project}/weave/evaluations"))
    table = page.locator(".evaluations-table")
    expect(table.locator("tbody tr")).to_have_count(2)
    row = table.locator(f"tr[data-call='{first}']")
    expect(row.locator(".eval-model")).to_contain_text("exact")
    expect(row.locator(".eval-dataset")).to_contain_text("qa")
    expect(row.locator(".score-chip[data-metric='match.correct.true_fraction']")).to_have_text(
        "match 1"
    )
    shouty = table.locator(f"tr[data-call='{second}']")
    expect(shouty.locator(".score-chip[data-metric='match.correct.true_fraction']")).to_have_text(
        "match 0.33333"
    )
    expect(shouty.locator("[data-status]")).to_have_text("success")
    expect(page.locator(".compare-hint")).to_be_visible()
    # Newest first: tick the older evaluation first so it is the baseline.
    row.locator("input[type=checkbox]").check()
    shouty.locator("input[type=checkbox]").check()
    _shot(page, "list")
    page.locator(".compare-button").click()
    expect(page).to_have_url(
        ui_server.url(f"/me/{project}/weave/compare-evaluations?ids={first},{second}")
    )
    expect(page.locator(".compare-summary")).to_be_visible()


def test_compare_summary_rows_and_filter(
    page: Any, ui_server: UiServer, evaluated: dict[str, Any]
) -> None:
    project = evaluated["project"]
    first, second = evaluated["ids"]
    page.goto(ui_server.url(f"/me/{project}/weave/compare-evaluations?ids={first},{second}"))
    summary = page.locator(".compare-summary")
    accuracy = summary.locator("tr[data-metric='match.correct.true_fraction']")
    expect(accuracy.locator("td[data-eval='0']")).to_have_text("1")
    expect(accuracy.locator("td[data-eval='1']")).to_have_text("0.33333")
    expect(accuracy.locator(".delta")).to_have_text("−0.66667")
    expect(accuracy.locator(".delta")).to_have_attribute("data-better", "false")
    # Lengths are equal (upper case keeps the length); model latency is lower-is-better.
    expect(summary.locator("tr[data-metric='length.mean'] .delta")).to_have_text("±0")
    expect(summary.locator("tr[data-metric='model_latency.mean']")).to_be_visible()
    expect(summary.locator("tr[data-metric='Latency (s)'] td[data-eval='1']")).not_to_be_empty()

    rows = page.locator(".compare-rows tbody tr")
    expect(rows).to_have_count(50)
    expect(page.locator(".pager-range")).to_have_text(f"1–50 of {ROWS}")
    expect(page.locator("[data-disagree='40']")).to_have_text(f"40 of {ROWS} rows disagree")
    q1 = rows.filter(has_text=re.compile(r'"q1"'))
    expect(q1.locator("td[data-eval='0'] .eval-output")).to_have_text("q1")
    expect(q1.locator("td[data-eval='1'] .eval-output")).to_have_text("Q1")
    expect(q1.locator("td[data-eval='1'] [data-scorer='match'].score-differs")).to_contain_text(
        "false"
    )
    _shot(page, "compare")

    page.locator(".disagree-toggle").check()
    expect(rows).to_have_count(40)
    expect(page.locator(".pager-range")).to_have_text("1–40 of 40")
    expect(page.locator(".compare-rows tbody tr[data-disagree='false']")).to_have_count(0)
    expect(rows.filter(has_text=re.compile(r'"q3"'))).to_have_count(0)  # right in both: hidden
    expect(rows.filter(has_text=re.compile(r'"q4"'))).to_have_count(1)
    _shot(page, "compare-disagree")


def test_compare_needs_two(page: Any, ui_server: UiServer, evaluated: dict[str, Any]) -> None:
    project = evaluated["project"]
    page.goto(ui_server.url(f"/me/{project}/weave/compare-evaluations"))
    expect(page.locator(".empty")).to_contain_text("Pick two or more evaluations")
