"""The run page: overview and edits, charts, console logs (search, live tail, 100k lines), files."""

from __future__ import annotations

import json
import struct
import uuid
import zlib
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from heron.entities import RunKey
from tests.ui.conftest import UiServer

METADATA = {
    "python": "3.11.4",
    "python_implementation": "CPython",
    "os": "Linux-6.1-x86_64-with-glibc2.36",
    "host": "gpu-box-7",
    "gpu": "NVIDIA H100",
    "gpu_count": 8,
    "program": "train.py",
    "args": ["--lr", "0.01"],
    "cwd": "/home/me/project",
    "git": {
        "commit": "0123456789abcdef0123456789abcdef01234567",
        "branch": "main",
        "dirty": True,
        "remote": "git@example.com:me/project.git",
    },
}


def project() -> str:
    return f"p{uuid.uuid4().hex[:8]}"


def run_url(ui: UiServer, key: RunKey, tab: str = "") -> str:
    return ui.url(f"/{key.entity}/{key.project}/runs/{key.run_id}" + (f"#{tab}" if tab else ""))


def add_output(ui: UiServer, key: RunKey, seq: int, start: int, lines: list[str]) -> None:
    ui.store.apply(key, "console", [{"seq": seq, "type": "output", "start": start, "lines": lines}])


def png(width: int, height: int) -> bytes:
    """A valid RGB PNG of one colour (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x20\x80\xe0" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_overview_shows_the_run_and_edits_tags_and_notes(ui_server: UiServer, page: Any) -> None:
    key = ui_server.seed(
        project(),
        name="brave-heron-1",
        host="gpu-box-7",
        tags=["baseline", "old"],
        metadata=METADATA,
        config={"lr": 0.01, "optimizer": {"name": "adam", "beta1": 0.9}, "epochs": 10},
        summary={"acc": 0.93, "loss": 0.21},
    )
    page.goto(run_url(ui_server, key))
    expect(page.locator(".run-title")).to_have_text("brave-heron-1")
    expect(page.locator(".page-head .state")).to_have_text("finished")
    fields = page.locator("table.fields")
    expect(fields.locator('tr[data-field="Host"] td')).to_have_text("gpu-box-7")
    expect(fields.locator('tr[data-field="OS"] td')).to_contain_text("Linux-6.1")
    expect(fields.locator('tr[data-field="Python"] td')).to_have_text("CPython 3.11.4")
    expect(fields.locator('tr[data-field="GPU"] td')).to_have_text("8 × NVIDIA H100")
    expect(fields.locator('tr[data-field="Command"] td')).to_have_text("python train.py --lr 0.01")
    commit = fields.locator('tr[data-field="Git commit"] td')
    expect(commit).to_contain_text("0123456789")
    expect(commit.locator("[data-dirty]")).to_have_attribute("data-dirty", "true")
    expect(fields.locator('tr[data-field="Duration"] td')).to_have_text("1s")

    # Config and summary tables, flattened, with search.
    config = page.locator('[data-kv="config"]')
    expect(config.locator("tbody tr")).to_have_count(4)
    expect(config.locator('tr[data-key="optimizer.name"] td')).to_have_text("adam")
    config.get_by_placeholder("Search config").fill("OPTIM")
    expect(config.locator("tbody tr")).to_have_count(2)
    config.get_by_placeholder("Search config").fill("adam")  # values match too
    expect(config.locator("tbody tr")).to_have_count(1)
    config.get_by_placeholder("Search config").fill("nothing-like-it")
    expect(config).to_contain_text("No key or value matches")
    summary = page.locator('[data-kv="summary"]')
    expect(summary.locator('tr[data-key="acc"] td')).to_have_text("0.93")

    # Tags: remove one, add one; notes: edit and save. Both persist.
    page.get_by_role("button", name="Remove tag old").click()
    expect(page.locator(".chip.tag")).to_have_count(1)
    page.get_by_label("Add a tag").fill("best")
    page.get_by_label("Add a tag").press("Enter")
    expect(page.locator('.chip.tag[data-tag="best"]')).to_be_visible()
    page.get_by_role("button", name="Edit notes").click()
    page.get_by_label("Notes").fill("lr 0.01 works\nsecond line")
    page.get_by_role("button", name="Save notes").click()
    expect(page.locator(".notes-text")).to_have_text("lr 0.01 works\nsecond line")

    page.reload()
    expect(page.locator(".chip.tag")).to_have_count(2)
    expect(page.locator(".chip.tag").first).to_contain_text("baseline")
    expect(page.locator('.chip.tag[data-tag="best"]')).to_be_visible()
    expect(page.locator(".notes-text")).to_have_text("lr 0.01 works\nsecond line")
    stored = ui_server.store.get_run(key)
    assert stored.tags == ["baseline", "best"] and stored.notes == "lr 0.01 works\nsecond line"


def test_state_and_summary_refresh_while_running(ui_server: UiServer, page: Any) -> None:
    key = ui_server.seed(project(), state="running", summary={"acc": 0.5})
    page.goto(run_url(ui_server, key))
    expect(page.locator(".page-head .state")).to_have_text("running")
    expect(page.locator('[data-kv="summary"] tr[data-key="acc"] td')).to_have_text("0.5")
    ui_server.store.apply(
        key,
        "later",
        [
            {"seq": 1, "type": "summary", "summary": {"acc": 0.75}},
            {"seq": 2, "type": "exit", "state": "failed", "exit_code": 3},
        ],
    )
    expect(page.locator(".page-head .state")).to_have_text("failed", timeout=12_000)
    expect(page.locator('[data-kv="summary"] tr[data-key="acc"] td')).to_have_text("0.75")
    expect(page.locator('tr[data-field="State"] td')).to_contain_text("exit code 3")


def test_logs_search_and_live_tail(ui_server: UiServer, page: Any) -> None:
    key = ui_server.seed(project(), state="running")
    add_output(ui_server, key, 1, 0, ["starting", "epoch 0 loss 0.9", "epoch 1 loss 0.5"])
    page.goto(run_url(ui_server, key, "logs"))
    lines = page.locator(".log-line:not(.pending)")
    expect(lines).to_have_count(3)
    expect(page.locator(".log-status")).to_have_text("3 lines")
    expect(lines.nth(1).locator(".ln")).to_have_text("2")
    expect(lines.nth(1).locator(".lt")).to_have_text("epoch 0 loss 0.9")

    # New lines appear while the page is open (polled every 2 s).
    add_output(ui_server, key, 2, 3, ["epoch 2 loss 0.3", "WARNING: LOSS is small"])
    expect(lines).to_have_count(5)
    expect(lines.last).to_contain_text("WARNING: LOSS is small")

    # Search: case-insensitive, line numbers kept, matches marked; and it tails too.
    page.get_by_placeholder("Search logs").fill("loss")
    expect(page.locator(".log-status")).to_have_text("4 matching lines")
    expect(lines).to_have_count(4)
    expect(lines.first.locator(".ln")).to_have_text("2")
    expect(lines.last.locator("mark")).to_have_text("LOSS")
    add_output(ui_server, key, 3, 5, ["epoch 3 loss 0.2", "saving"])
    expect(page.locator(".log-status")).to_have_text("5 matching lines")
    expect(lines.last).to_contain_text("epoch 3 loss 0.2")
    page.get_by_placeholder("Search logs").fill("no such text")
    expect(page.locator(".log-empty")).to_have_text("No line matches.")
    page.get_by_placeholder("Search logs").fill("")
    expect(page.locator(".log-status")).to_have_text("7 lines")
    expect(lines.last).to_contain_text("saving")


def test_a_100k_line_log_keeps_only_the_visible_rows(ui_server: UiServer, page: Any) -> None:
    key = ui_server.seed(project())
    total = 100_000
    for seq, start in enumerate(range(0, total, 10_000), 1):
        add_output(
            ui_server, key, seq, start, [f"line {i:06d}" for i in range(start, start + 10_000)]
        )
    page.goto(run_url(ui_server, key, "logs"))
    expect(page.locator(".log-status")).to_have_text("100,000 lines")
    expect(page.locator('.log-line[data-line="1"]')).to_contain_text("line 000000")
    assert page.locator(".log-line").count() < 200  # virtualised: not 100,000 nodes

    view = page.locator(".log-view")
    view.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    expect(page.locator('.log-line[data-line="100000"]')).to_contain_text("line 099999")
    view.evaluate("el => { el.scrollTop = el.scrollHeight / 2; }")
    expect(page.locator('.log-line[data-line="50001"]')).to_contain_text("line 050000")
    assert page.locator(".log-line").count() < 200

    page.get_by_placeholder("Search logs").fill("line 0999")
    expect(page.locator(".log-status")).to_have_text("100 matching lines")
    expect(page.locator(".log-line").first).to_have_attribute("data-line", "99901")
    view.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    expect(page.locator('.log-line[data-line="100000"] mark')).to_have_text("line 0999")


def test_files_preview_text_json_png_and_download(ui_server: UiServer, page: Any) -> None:
    key = ui_server.seed(project())
    contents = {
        "output.log": b"epoch 1\nepoch 2\n",
        "config.json": json.dumps({"lr": 0.01, "layers": [64, 32]}).encode(),
        "media/sample.png": png(40, 20),
    }
    records = []
    for seq, (name, data) in enumerate(contents.items(), 1):
        sha256 = ui_server.store.blobs.put(data)
        records.append(
            {"seq": seq, "type": "file", "name": name, "sha256": sha256, "size": len(data)}
        )
    ui_server.store.apply(key, "files", records)

    page.goto(run_url(ui_server, key, "files"))
    rows = page.locator("table.files tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator('tr[data-file="output.log"] td.num')).to_have_text("16 B")

    page.get_by_role("button", name="output.log").click()
    expect(page.locator(".file-preview pre")).to_have_text("epoch 1\nepoch 2\n")

    page.get_by_role("button", name="config.json").click()
    pretty = json.dumps({"lr": 0.01, "layers": [64, 32]}, indent=2)
    expect(page.locator(".file-preview pre.json")).to_have_text(pretty)

    page.get_by_role("button", name="media/sample.png").click()
    image = page.locator(".file-preview img")
    expect(image).to_be_visible()
    page.wait_for_function(
        "() => { const i = document.querySelector('.file-preview img');"
        " return i && i.complete && i.naturalWidth === 40; }"
    )

    link = page.locator('tr[data-file="config.json"] a.download')
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == "config.json"
    assert Path(download.path()).read_bytes() == contents["config.json"]


def test_tab_follows_the_url_hash(ui_server: UiServer, page: Any) -> None:
    key = ui_server.seed(project())
    page.goto(run_url(ui_server, key, "files"))
    expect(page.get_by_role("tab", name="Files")).to_have_attribute("aria-selected", "true")
    page.get_by_role("tab", name="Logs").click()
    expect(page).to_have_url(run_url(ui_server, key, "logs"))
    expect(page.locator(".log-empty")).to_have_text("This run has no console output.")
    page.go_back()
    expect(page.get_by_role("tab", name="Files")).to_have_attribute("aria-selected", "true")
    page.get_by_role("tab", name="Overview").click()
    expect(page.locator("table.fields")).to_be_visible()


def test_charts_and_system_tabs_draw_this_runs_metrics(ui_server: UiServer, page: Any) -> None:
    key = ui_server.seed(project(), steps=30, metrics=lambda s: {"train/loss": 1.0 / (s + 1)})
    samples = [
        {
            "seq": i + 1,
            "type": "system",
            "row": {
                "_step": i,
                "_runtime": float(i),
                "_timestamp": 1.0e9 + i,
                "system/cpu": 10.0 + i,
            },
        }
        for i in range(10)
    ]
    ui_server.store.apply(key, "system", samples)

    page.goto(run_url(ui_server, key, "charts"))
    loss = page.locator('.run-charts[data-stream="history"] [data-title="train/loss"]')
    expect(loss.locator("canvas").first).to_be_visible()
    expect(page.locator('[data-title="system/cpu"]')).to_have_count(0)

    page.get_by_role("tab", name="System").click()
    cpu = page.locator('.run-charts[data-stream="system"] [data-title="system/cpu"]')
    expect(cpu.locator("canvas").first).to_be_visible()
