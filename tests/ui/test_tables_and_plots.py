"""Logged tables and Vega-Lite charts in the dashboard, logged for real through the SDK.

The table viewer pages, sorts, filters and summarises on the server, so the
checks read what the page shows after each click; a million-row table must
sort about as fast as a small one. Plot panels draw their marks with Vega-Lite.
"""

from __future__ import annotations

import io
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

import heron
from heron.entities import RunKey
from heron.sdk.client import Client
from heron.settings import Settings
from tests.ui.conftest import SCREENSHOTS, UiServer, wait_until

np = pytest.importorskip("numpy")
LABELS = ("cat", "dog", "bird")
ROWS = 120


def project() -> str:
    return f"t{uuid.uuid4().hex[:8]}"


@pytest.fixture
def sdk(ui_server: UiServer, tmp_path: Any) -> Iterator[Client]:
    """The SDK of this process, sending to the live server as a training script would."""
    settings = Settings(
        dir=tmp_path / "client", base_url=ui_server.base_url, stats=False, git=False
    )
    client = Client(settings, install_hooks=False)
    yield client
    client.teardown()


def acc_of(i: int, shift: float = 0.0) -> float:
    return round((i * 37 % ROWS) / ROWS + shift, 4)


def digit(i: int) -> Any:
    pixels = np.zeros((16, 16, 3), dtype=np.uint8)
    pixels[:, : 1 + i % 16] = (200, 40 + i % 200, 90)
    return pixels


def eval_table(shift: float = 0.0, *, images: bool = True) -> heron.Table:
    columns = ["id", "acc", "label"] + (["image"] if images else [])
    table = heron.Table(columns=columns)
    for i in range(ROWS):
        row = [i, acc_of(i, shift), LABELS[i % 3]]
        table.add_data(*row, *([heron.Image(digit(i), caption=f"img {i}")] if images else []))
    return table


def finish_and_wait(ui_server: UiServer, run: Any) -> RunKey:
    run.finish()
    key = RunKey(run.entity, run.project, run.id)
    wait_until(lambda: ui_server.store.get_run(key).state == "finished")
    return key


def first_cell(page: Any, column: str, grid: int = 0) -> str:
    return str(
        page.locator(".tv-grid")
        .nth(grid)
        .locator(f'.tv-row td[data-col="{column}"]')
        .first.inner_text()
    )


def test_the_table_viewer_pages_sorts_filters_summarises_and_shows_images(
    ui_server: UiServer, page: Any, sdk: Client
) -> None:
    name = project()
    run = sdk.init(project=name)
    run.log({"eval": eval_table()})
    finish_and_wait(ui_server, run)

    page.goto(ui_server.url(f"/{run.entity}/{name}/workspace"))
    panel = page.locator('.table-panel[data-key="eval"]')
    table = panel.locator(".tv-table")
    expect(table).to_have_attribute("data-total", str(ROWS))
    expect(panel.locator(".tv-row")).to_have_count(50)
    assert first_cell(page, "id") == "0"
    assert page.evaluate("typeof window.vegaEmbed") == "undefined"  # Vega loads only for plots

    # Pages: next, then 100 rows a page.
    panel.get_by_role("button", name="Next page").click()
    expect(panel.locator('.tv-row td[data-col="id"]').first).to_have_text("50")
    expect(panel.locator(".tv-range")).to_contain_text("51–100 of 120")
    panel.get_by_label("Rows per page").select_option("100")
    expect(panel.locator(".tv-row")).to_have_count(100)
    expect(panel.locator('.tv-row td[data-col="id"]').first).to_have_text("0")

    # Sorts: ascending, then descending, by clicking the header.
    accs = sorted(acc_of(i) for i in range(ROWS))
    header = panel.locator('th[data-col="acc"] button')
    header.click()
    expect(panel.locator('th[data-col="acc"]')).to_have_attribute("aria-sort", "ascending")
    expect(panel.locator('.tv-row td[data-col="acc"]').first).to_have_text(f"{accs[0]:g}")
    header.click()
    expect(panel.locator('th[data-col="acc"]')).to_have_attribute("aria-sort", "descending")
    expect(panel.locator('.tv-row td[data-col="acc"]').first).to_have_text(f"{accs[-1]:g}")

    # Filters by expression.
    expected = sum(1 for i in range(ROWS) if acc_of(i) > 0.5 and LABELS[i % 3] == "cat")
    panel.get_by_label("Filter rows").fill('acc > 0.5 and label == "cat"')
    panel.get_by_label("Filter rows").press("Enter")
    expect(table).to_have_attribute("data-total", str(expected))
    expect(panel.locator(".tv-range")).to_contain_text(f"of {expected} (filtered from 120)")
    labels = panel.locator('.tv-row td[data-col="label"]').all_inner_texts()
    assert labels and set(labels) == {"cat"}
    panel.get_by_label("Filter rows").fill("")
    panel.get_by_label("Filter rows").press("Enter")
    expect(table).to_have_attribute("data-total", str(ROWS))

    # Column statistics.
    panel.get_by_role("button", name="Column stats").click()
    stats = panel.locator(".tv-stats")
    expect(stats.locator('td[data-col="acc"]')).to_contain_text("min 0")
    expect(stats.locator('td[data-col="acc"]')).to_contain_text("mean")
    expect(stats.locator('td[data-col="label"]')).to_contain_text("3 distinct")
    expect(stats.locator('td[data-col="label"]')).to_contain_text("cat")

    # Image cells are thumbnails that load, and enlarge on a click.
    thumb = panel.locator("img.tv-thumb").first
    expect(thumb).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )
    assert thumb.evaluate("img => img.naturalWidth") == 16
    thumb.click()
    zoom = page.locator(".media-zoom")
    expect(zoom).to_be_visible()
    page.keyboard.press("Escape")
    expect(zoom).to_have_count(0)


def test_a_broken_filter_is_explained_inline(
    ui_server: UiServer, browser: Any, sdk: Client
) -> None:
    """Its own page: the server's 400 shows in the console, the one error this page may have."""
    name = project()
    run = sdk.init(project=name)
    run.log({"eval": eval_table(images=False)})
    finish_and_wait(ui_server, run)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"uncaught: {exc}"))
    page.on("console", lambda msg: msg.type == "error" and problems.append(msg.text))
    try:
        page.goto(ui_server.url(f"/{run.entity}/{name}/workspace"))
        panel = page.locator('.table-panel[data-key="eval"]')
        expect(panel.locator(".tv-row")).to_have_count(50)
        box = panel.get_by_label("Filter rows")
        for expression, words in (("acc >", "bad filter"), ("nope == 1", "nope")):
            box.fill(expression)
            box.press("Enter")
            expect(panel.locator(".tv-filter-error")).to_contain_text(words)
            expect(panel.locator(".tv-row")).to_have_count(50)  # the last good page stays
        box.fill('label == "dog"')
        box.press("Enter")
        expect(panel.locator(".tv-filter-error")).to_have_count(0)
        expect(panel.locator(".tv-table")).to_have_attribute("data-total", str(ROWS // 3))
        page.screenshot(path=str(SCREENSHOTS / "test_a_broken_filter_is_explained_inline.png"))
    finally:
        context.close()
    assert problems and all("status of 400" in p for p in problems), problems


def test_the_same_table_key_compares_across_runs(
    ui_server: UiServer, page: Any, sdk: Client
) -> None:
    name = project()
    for shift in (0.0, 10.0):
        run = sdk.init(project=name, name=f"shift-{shift:g}")
        run.log({"eval": eval_table(shift, images=False)})
        finish_and_wait(ui_server, run)

    page.goto(ui_server.url(f"/{run.entity}/{name}/workspace"))
    panel = page.locator('.table-panel[data-key="eval"]')
    grids = panel.locator(".tv-grid")
    expect(grids).to_have_count(2)
    expect(panel.locator(".tv-tables.side-by-side")).to_have_count(0)
    expect(grids.nth(0).locator(".tv-run-col").nth(1)).to_contain_text("shift-")
    # One sort for both runs: each table's first row is its own smallest acc.
    panel.locator('th[data-col="acc"] button').first.click()
    expect(grids.nth(0).locator('th[data-col="acc"]')).to_have_attribute("aria-sort", "ascending")
    expect(grids.nth(1).locator('th[data-col="acc"]')).to_have_attribute("aria-sort", "ascending")
    firsts = {first_cell(page, "acc", 0), first_cell(page, "acc", 1)}
    assert firsts == {"0", "10"}
    page.screenshot(path=str(SCREENSHOTS / "tables-compare-one-after-another.png"), full_page=True)

    panel.get_by_label("Runs").select_option(label="All 2 runs, side by side")
    expect(panel.locator(".tv-tables.side-by-side .tv-grid")).to_have_count(2)
    page.screenshot(path=str(SCREENSHOTS / "tables-compare-side-by-side.png"), full_page=True)
    panel.get_by_label("Runs").select_option(label="shift-10")
    expect(grids).to_have_count(1)
    expect(panel.locator(".tv-run-col")).to_have_count(0)
    expect(panel.locator('.tv-row td[data-col="acc"]').first).to_have_text("10")


def test_audio_and_html_cells_play_and_open_in_place(
    ui_server: UiServer, page: Any, sdk: Client
) -> None:
    name = project()
    run = sdk.init(project=name)
    tone = np.sin(np.linspace(0, 440 * 2 * np.pi, 8000)).astype(np.float32)
    table = heron.Table(columns=["name", "sound", "report"])
    table.add_data("a", heron.Audio(tone, sample_rate=8000), heron.Html("<h1>Report A</h1>"))
    table.add_data("b", None, heron.Html("<h1>Report B</h1>"))
    run.log({"clips": table})
    finish_and_wait(ui_server, run)

    page.goto(ui_server.url(f"/{run.entity}/{name}/workspace"))
    panel = page.locator('.table-panel[data-key="clips"]')
    expect(panel.locator(".tv-row")).to_have_count(2)
    audio = panel.locator('td[data-col="sound"] audio')
    expect(audio).to_have_count(1)
    assert str(audio.get_attribute("src")).endswith(".wav")
    expect(panel.locator(".tv-row").nth(1).locator('td[data-col="sound"]')).to_have_text("–")
    panel.locator(".tv-row").nth(1).get_by_role("button", name="Show HTML").click()
    frame = page.locator(".tv-lightbox iframe")
    expect(frame).to_have_attribute("sandbox", re.compile("^(allow-scripts)?$"))
    expect(page.frame_locator(".tv-lightbox iframe").locator("h1")).to_have_text("Report B")
    page.keyboard.press("Escape")
    expect(page.locator(".tv-lightbox")).to_have_count(0)


def million_row_table(ui_server: UiServer, name: str) -> tuple[RunKey, int]:
    """A run whose step 0 holds a 1,000,000-row table, built with pyarrow and applied directly."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    n = 1_000_000
    rng = np.random.default_rng(7)
    table = pa.table(
        {
            "id": np.arange(n, dtype=np.int64),
            "value": rng.random(n),
            "label": pa.array(np.array(LABELS)[np.arange(n) % 3]),
        }
    )
    sink = io.BytesIO()
    pq.write_table(table, sink)
    data = sink.getvalue()
    sha256 = ui_server.store.blobs.put(data)
    stub = {
        "_type": "table-file",
        "path": f"media/tables/big_{sha256[:20]}.parquet",
        "sha256": sha256,
        "size": len(data),
        "format": "parquet",
        "nrows": n,
        "ncols": 3,
        "columns": ["id", "value", "label"],
        "column_types": {"id": "number", "value": "number", "label": "string"},
    }
    key = ui_server.seed(name, steps=0)
    row = {"_step": 0, "_runtime": 1.0, "_timestamp": time.time(), "big": stub}
    ui_server.store.apply(
        key,
        "big",
        [
            {"seq": 1, "type": "file", "name": stub["path"], "sha256": sha256, "size": len(data)},
            {"seq": 2, "type": "history", "row": row},
        ],
    )
    return key, n


SORT_TIMER = """async (column) => {
  const cell = () => document.querySelector(`.tv-row td[data-col="${column}"]`).textContent;
  const before = cell();
  const started = performance.now();
  document.querySelector(`th[data-col="${column}"] button`).click();
  while (cell() === before) await new Promise((resolve) => requestAnimationFrame(resolve));
  return performance.now() - started;
}"""


def test_a_million_row_table_sorts_in_the_browser_in_about_a_second(
    ui_server: UiServer, page: Any
) -> None:
    name = project()
    key, n = million_row_table(ui_server, name)
    page.goto(ui_server.url(f"/me/{name}/runs/{key.run_id}#charts"))
    panel = page.locator('.table-panel[data-key="big"]')
    expect(panel.locator(".tv-table")).to_have_attribute("data-total", str(n), timeout=30_000)
    expect(panel.locator(".tv-range")).to_contain_text("1–50 of 1,000,000")
    elapsed_ms = page.evaluate(SORT_TIMER, "value")
    print(f"\n1,000,000-row table: click on 'value' to the first row sorted: {elapsed_ms:.0f} ms")
    expect(panel.locator('th[data-col="value"]')).to_have_attribute("aria-sort", "ascending")
    assert float(first_cell(page, "value")) < 1e-4  # the smallest of a million uniform draws
    assert elapsed_ms < 5000, f"sorting a million rows took {elapsed_ms:.0f} ms"
    panel.get_by_role("button", name="Last page").click()
    expect(panel.locator(".tv-range")).to_contain_text("999,951–1,000,000 of 1,000,000")
    assert float(first_cell(page, "value")) > 0.999  # the largest values, in ascending order


def test_a_vega_lite_plot_draws_its_marks_with_tooltips(
    ui_server: UiServer, page: Any, sdk: Client
) -> None:
    name = project()
    run = sdk.init(project=name)
    points = heron.Table(columns=["x", "y"], data=[[i, (i * 7) % 11] for i in range(30)])
    run.log({"pr": heron.plot.scatter(points, "x", "y", title="y against x")})
    run.log({"eval": eval_table(images=False)})
    key = finish_and_wait(ui_server, run)

    for url in (
        f"/{run.entity}/{name}/workspace",
        f"/{run.entity}/{name}/runs/{key.run_id}#charts",
    ):
        page.goto(ui_server.url(url))
        plot = page.locator('.plot-panel[data-key="pr"]')
        symbols = plot.locator("svg .mark-symbol path")
        expect(symbols).to_have_count(30, timeout=30_000)
        expect(plot.locator("svg")).to_contain_text("y against x")
        expect(page.locator('.table-panel[data-key="eval"] .tv-row')).to_have_count(50)
        symbols.nth(5).hover(force=True)
        tooltip = page.locator("#vg-tooltip-element")
        expect(tooltip).to_have_class(re.compile(r"\bvisible\b"), timeout=5_000)
        expect(tooltip).to_contain_text("y")
