"""The workspace: line panels per logged key in prefix sections, chart controls,
zoom that re-requests detail, tooltips, panel layout saved server-side, and the
bar / scatter / parallel-coordinates panels."""

from __future__ import annotations

import json
import math
import uuid
from typing import Any

import httpx
from playwright.sync_api import expect

from tests.ui.conftest import UiServer

COLOURED_PIXELS = """(panel) => {
  // Pixels of a run's colour (saturated), not the grey grid, axes or white background.
  const canvas = panel.querySelector("canvas");
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 0; i < data.length; i += 4) {
    const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
    if (a > 100 && Math.max(r, g, b) - Math.min(r, g, b) > 60) n++;
  }
  return n;
}"""

SIGNATURE = """(panel) => {
  // A cheap fingerprint of what the canvas shows, to tell that a setting changed it.
  const canvas = panel.querySelector("canvas");
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let h = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3]) h = (h * 31 + data[i] + 7 * data[i + 1] + 13 * data[i + 2] + i) % 1000000007;
  }
  return h;
}"""


def project_name() -> str:
    return "ws-" + uuid.uuid4().hex[:8]


def panel(page: Any, key: str) -> Any:
    return page.locator(f'.ws-panel[data-title="{key}"]')


def drawn(page: Any, key: str) -> Any:
    """The panel of ``key`` once its chart is on screen, with at least one line drawn."""
    target = panel(page, key)
    expect(target.locator(".line-chart canvas")).to_be_visible()
    page.wait_for_function(f"(p) => ({COLOURED_PIXELS})(p) > 50", arg=target.element_handle())
    return target


def series_body(request: Any) -> dict[str, Any]:
    """The JSON body of a POST /projects/{e}/{p}/series request; {} for any other request."""
    if request.method != "POST" or not request.url.endswith("/series"):
        return {}
    body: dict[str, Any] = json.loads(request.post_data or "{}")
    return body


def wait_saved(page: Any) -> None:
    expect(page.locator(".save-state")).to_have_attribute("data-state", "saved")


def test_panels_per_key_in_prefix_sections_with_lines_drawn(ui_server: UiServer, page: Any) -> None:
    project = project_name()
    for i in range(3):
        ui_server.seed(
            project,
            f"run-{i}",
            steps=30,
            metrics=lambda s, i=i: {
                "train/loss": 1 / (s + 1 + i),
                "train/acc": s / 30,
                "val/loss": 2 / (s + 2),
                "lr": 0.1 * (i + 1),
            },
        )

    page.goto(ui_server.url(f"/me/{project}/workspace"))
    sections = page.locator(".ws-section")
    expect(sections).to_have_count(3)
    expect(sections.nth(0)).to_have_attribute("data-section", "Charts")
    expect(page.locator('.ws-section[data-section="train"] .ws-panel')).to_have_count(2)
    expect(page.locator('.ws-section[data-section="val"] .ws-panel')).to_have_count(1)
    expect(page.locator('.ws-section[data-section="Charts"] .ws-panel')).to_have_count(1)

    for key in ("train/loss", "train/acc", "val/loss", "lr"):
        drawn(page, key)
    legend = panel(page, "train/loss").locator(".chart-legend-item")
    expect(legend).to_have_count(3)
    expect(legend.first).to_contain_text("run-")
    marks = page.evaluate("performance.getEntriesByType('mark').map((m) => m.name)")
    assert "heron:first-panel" in marks and "heron:all-panels" in marks

    page.get_by_placeholder("Search panels").fill("loss")
    expect(page.locator(".ws-panel")).to_have_count(2)
    page.get_by_placeholder("Search panels").fill("no-such-key")
    expect(page.locator(".empty")).to_contain_text("No panel matches")
    page.get_by_placeholder("Search panels").fill("")
    drawn(page, "train/loss")


def test_smoothing_log_scale_and_x_axis_change_the_chart(ui_server: UiServer, page: Any) -> None:
    project = project_name()
    ui_server.seed(
        project,
        "noisy",
        steps=200,
        metrics=lambda s: {
            "loss": math.exp(-s / 40) * (1.5 if s % 2 else 0.5) + 0.01,
            "tokens": s * s,
        },
    )
    page.goto(ui_server.url(f"/me/{project}/workspace"))
    chart = drawn(page, "loss")
    signature = chart.evaluate(SIGNATURE)

    page.get_by_label("Smoothing", exact=True).fill("0.9")
    expect(page.locator(".smoothing-value")).to_have_text("0.90")
    page.wait_for_function(
        f"([p, s]) => ({SIGNATURE})(p) !== s", arg=[chart.element_handle(), signature]
    )
    smoothed = chart.evaluate(SIGNATURE)

    page.get_by_label("Log scale").check()
    expect(chart.locator(".line-chart")).to_have_attribute("data-log", "true")
    page.wait_for_function(
        f"([p, s]) => ({SIGNATURE})(p) !== s", arg=[chart.element_handle(), smoothed]
    )

    with page.expect_request(lambda r: series_body(r).get("x_axis") == "tokens"):
        page.get_by_label("X axis", exact=True).select_option("tokens")
    expect(chart.locator(".line-chart")).to_have_attribute("data-x-axis", "tokens")
    drawn(page, "loss")

    # One panel can differ from the workspace: its own x axis.
    chart.get_by_label("Panel settings").click()
    chart.get_by_label("Panel x axis").select_option("_runtime")
    expect(chart.locator(".line-chart")).to_have_attribute("data-x-axis", "_runtime")
    expect(panel(page, "tokens").locator(".line-chart")).to_have_attribute("data-x-axis", "tokens")


def test_zoom_re_requests_the_visible_range_and_resets(ui_server: UiServer, page: Any) -> None:
    project = project_name()
    ui_server.seed(project, "long", steps=3000, metrics=lambda s: {"loss": math.sin(s / 50)})
    page.goto(ui_server.url(f"/me/{project}/workspace"))
    chart = drawn(page, "loss")
    expect(chart.locator(".line-panel")).to_have_attribute("data-sampled", "true")

    box = chart.locator(".u-over").bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2

    with page.expect_request(lambda r: series_body(r).get("min_x") is not None) as caught:
        page.mouse.move(box["x"] + box["width"] * 0.4, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.45, y, steps=5)
        page.mouse.up()
    zoomed = series_body(caught.value)
    # About a bucket per pixel of the chart, never every point.
    assert 300 <= zoomed["buckets"] <= 1000 and zoomed["runs"] == ["long"], zoomed
    assert 1000 < zoomed["min_x"] < zoomed["max_x"] < 1500, zoomed
    expect(chart.locator(".line-panel")).to_have_attribute("data-zoomed", "true")
    # 5% of 3000 steps is ~150 points: full detail, no longer downsampled.
    expect(chart.locator(".line-panel")).to_have_attribute("data-sampled", "false")
    drawn(page, "loss")

    chart.get_by_role("button", name="Reset zoom").click()
    expect(chart.locator(".line-panel")).to_have_attribute("data-zoomed", "false")
    expect(chart.locator(".line-panel")).to_have_attribute("data-sampled", "true")


def test_tooltip_lists_every_runs_value_at_the_cursor(ui_server: UiServer, page: Any) -> None:
    project = project_name()
    for i in range(3):
        ui_server.seed(
            project, f"r{i}", name=f"name-{i}", steps=20, metrics=lambda s, i=i: {"acc": 10 * i + s}
        )
    page.goto(ui_server.url(f"/me/{project}/workspace"))
    chart = drawn(page, "acc")
    box = chart.locator(".u-over").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] - 2, box["y"] + box["height"] / 2)
    tooltip = chart.locator(".chart-tooltip")
    expect(tooltip).to_be_visible()
    rows = tooltip.locator(".chart-tooltip-row")
    expect(rows).to_have_count(3)
    expect(tooltip.locator(".chart-tooltip-x")).to_have_text("19")
    # Sorted by value: name-2 logged 20 + 19 at the last step.
    expect(rows.nth(0)).to_contain_text("name-2")
    expect(rows.nth(0).locator(".chart-tooltip-value")).to_have_text("39")
    expect(rows.nth(2).locator(".chart-tooltip-value")).to_have_text("19")
    page.mouse.move(5, 5)
    expect(tooltip).to_have_count(0)


def test_running_runs_are_re_requested_live(ui_server: UiServer, page: Any) -> None:
    project = project_name()
    ui_server.seed(project, "done", steps=10)
    live = ui_server.seed(project, "live", steps=10, state="running")
    page.goto(ui_server.url(f"/me/{project}/workspace"))
    chart = drawn(page, "loss")
    expect(chart.locator(".line-chart")).to_have_attribute("data-points", "20")

    rows = [
        {"seq": 12 + i, "type": "history", "row": {"_step": 10 + i, "loss": 0.01}}
        for i in range(10)
    ]
    ui_server.store.apply(live, "seed", rows)
    # Only the running run is asked for again, within the 10 s poll.
    with page.expect_request(lambda r: series_body(r).get("runs") == ["live"], timeout=15_000):
        pass
    expect(chart.locator(".line-chart")).to_have_attribute("data-points", "30")


def test_add_remove_and_reorder_panels_persist_across_reload(
    ui_server: UiServer, page: Any
) -> None:
    project = project_name()
    for i in range(2):
        ui_server.seed(project, f"r{i}", steps=10, metrics=lambda s: {"a": s, "b": -s, "c": s * 2})
    page.goto(ui_server.url(f"/me/{project}/workspace"))
    titles = page.locator('.ws-section[data-section="Charts"] .ws-panel')
    expect(titles).to_have_count(3)
    expect(titles.nth(0)).to_have_attribute("data-title", "a")

    panel(page, "a").get_by_label("Move down").click()
    expect(titles.nth(0)).to_have_attribute("data-title", "b")
    expect(titles.nth(1)).to_have_attribute("data-title", "a")
    panel(page, "c").get_by_label("Remove panel").click()
    expect(titles).to_have_count(2)

    page.get_by_role("button", name="Add panel").click()
    dialog = page.get_by_role("dialog", name="Add panel")
    dialog.get_by_role("checkbox", name="a", exact=True).check()
    dialog.get_by_role("checkbox", name="c", exact=True).check()
    dialog.get_by_role("button", name="Add").click()
    custom = page.locator('.ws-section[data-section="Custom"] .ws-panel')
    expect(custom).to_have_count(1)
    expect(custom).to_have_attribute("data-title", "a, c")
    drawn(page, "a, c")
    wait_saved(page)

    page.reload()
    expect(page.locator(".ws-section").first).to_have_attribute("data-section", "Custom")
    expect(custom).to_have_attribute("data-title", "a, c")
    expect(titles).to_have_count(2)
    expect(titles.nth(0)).to_have_attribute("data-title", "b")
    expect(titles.nth(1)).to_have_attribute("data-title", "a")
    # Two keys in one panel: a line per run and key.
    expect(custom.locator(".line-chart")).to_have_attribute("data-lines", "4")

    # Drag "a" back before "b".
    panel(page, "a").locator(".drag-handle").drag_to(panel(page, "b"))
    expect(titles.nth(0)).to_have_attribute("data-title", "a")
    wait_saved(page)
    page.reload()
    expect(titles.nth(0)).to_have_attribute("data-title", "a")


def test_bar_scatter_and_parallel_panels_render(ui_server: UiServer, page: Any) -> None:
    project = project_name()
    for i in range(4):
        ui_server.seed(
            project,
            f"r{i}",
            steps=3,
            config={"lr": 0.001 * (i + 1), "optimizer": ("adam", "sgd")[i % 2], "layers": 2 + i},
            summary={"acc": 0.5 + i / 10, "loss": 1 - i / 10},
        )
    page.goto(ui_server.url(f"/me/{project}/workspace"))
    drawn(page, "loss")

    def add(kind: str, fill: Any) -> None:
        page.get_by_role("button", name="Add panel").click()
        dialog = page.get_by_role("dialog", name="Add panel")
        dialog.get_by_label("Panel kind").select_option(kind)
        fill(dialog)
        dialog.get_by_role("button", name="Add").click()
        expect(dialog).to_have_count(0)

    add("bar", lambda d: d.get_by_label("Metric").select_option("summary.acc"))
    bars = page.locator('.ws-panel[data-type="bar"] .bar')
    expect(bars).to_have_count(4)
    expect(page.locator('.ws-panel[data-type="bar"] .bar[data-run="r0"]')).to_contain_text("0.5")

    add(
        "scatter",
        lambda d: (
            d.get_by_label("X").select_option("config.lr"),
            d.get_by_label("Y").select_option("summary.loss"),
        ),
    )
    points = page.locator('.ws-panel[data-type="scatter"] circle.point')
    expect(points).to_have_count(4)
    xs = [float(points.nth(i).get_attribute("cx") or "nan") for i in range(4)]
    ys = [float(points.nth(i).get_attribute("cy") or "nan") for i in range(4)]
    assert len(set(xs)) == 4 and len(set(ys)) == 4, (xs, ys)
    expect(page.locator('.ws-panel[data-type="scatter"]')).to_have_attribute(
        "data-title", "loss vs lr"
    )

    def parallel(dialog: Any) -> None:
        for field in ("config.lr", "config.optimizer", "summary.acc"):
            dialog.get_by_role("checkbox", name=field).check()

    add("parallel", parallel)
    lines = page.locator('.ws-panel[data-type="parallel"] polyline.pc-line')
    expect(lines).to_have_count(4)
    expect(page.locator('.ws-panel[data-type="parallel"] .pc-axis')).to_have_count(3)

    # A clear message instead of an empty panel.
    page.get_by_role("button", name="Add panel").click()
    dialog = page.get_by_role("dialog", name="Add panel")
    dialog.get_by_label("Panel kind").select_option("scatter")
    dialog.get_by_role("button", name="Add").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Choose both")
    dialog.get_by_role("button", name="Cancel").click()


def test_full_screen_panel_and_runset_selection(ui_server: UiServer, page: Any) -> None:
    project = project_name()
    for i in range(3):
        ui_server.seed(project, f"r{i}", steps=10, metrics=lambda s, i=i: {"loss": s + i})
    response = httpx.put(
        ui_server.url(f"/api/v1/projects/me/{project}/views/runset"),
        json={"spec": {"selected": ["r0", "r2"], "hidden": ["r2"]}},
    )
    assert response.status_code == 200, response.text

    page.goto(ui_server.url(f"/me/{project}/workspace"))
    chart = drawn(page, "loss")
    expect(chart.locator(".chart-legend-item")).to_have_count(1)
    expect(chart.locator(".chart-legend-item")).to_have_text("r0")

    chart.get_by_label("Full screen").click()
    expect(chart).to_have_class("panel ws-panel panel-full")
    box = chart.bounding_box()
    assert box is not None and box["width"] > 1000
    page.keyboard.press("Escape")
    expect(chart).not_to_have_class("panel ws-panel panel-full")


def test_a_key_logged_at_one_step_is_drawn_as_a_dot(ui_server: UiServer, page: Any) -> None:
    project = project_name()
    ui_server.seed(project, "r0", steps=1, metrics=lambda step: {"final/acc": 0.9})
    page.goto(ui_server.url(f"/me/{project}/workspace"))
    target = panel(page, "final/acc")
    expect(target.locator(".line-chart canvas")).to_be_visible()
    # One 8-pixel dot in the run's colour, where a line of one point would draw nothing.
    page.wait_for_function(f"(p) => ({COLOURED_PIXELS})(p) > 20", arg=target.element_handle())
