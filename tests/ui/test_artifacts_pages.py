"""The artifacts pages: a project's types, artifacts and versions, and one version's page.

Artifacts are logged through the real SDK against the live server: a ``prep``
run logs ``digits`` twice (v0, then v1 with a changed file) and a ``train``
run uses v1, so the lineage graph has run → version → run.
"""

from __future__ import annotations

import struct
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

import heron
from heron.sdk.client import Client
from heron.settings import Settings
from tests.ui.conftest import SCREENSHOTS, UiServer


def tiny_png(width: int = 8, height: int = 8) -> bytes:
    """A valid RGB PNG (a red/blue checker), written without an imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\x00"
        + b"".join(b"\xff\x00\x00" if (x + y) % 2 else b"\x00\x00\xff" for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def sdk(ui_server: UiServer, tmp_path: Path) -> Iterator[Client]:
    settings = Settings(
        dir=tmp_path / "client", base_url=ui_server.base_url, stats=False, git=False
    )
    client = Client(settings, install_hooks=False)
    yield client
    client.teardown()


@pytest.fixture
def logged(sdk: Client, tmp_path: Path) -> dict[str, Any]:
    """``digits`` v0 and v1 (logged by ``prep``), v1 used by ``train``; a ``model`` too."""
    project = f"a{uuid.uuid4().hex[:8]}"
    data = tmp_path / "data"
    (data / "images").mkdir(parents=True)
    (data / "notes.txt").write_text("hand-written digits\n")
    (data / "rows.csv").write_text('x,label\n1,"one, uno"\n2,two\n')
    (data / "meta.json").write_text('{"classes": 10, "split": {"train": 0.8}}')
    (data / "images" / "digit.png").write_bytes(tiny_png())

    prep = sdk.init(project=project, job_type="prep")
    v0 = heron.Artifact("digits", "dataset", description="first cut", metadata={"rows": 2})
    v0.add_dir(str(data))
    prep.log_artifact(v0)
    (data / "notes.txt").write_text("hand-written digits, cleaned\n")
    v1 = heron.Artifact(
        "digits", "dataset", description="cleaned", metadata={"rows": 2, "clean": True}
    )
    v1.add_dir(str(data))
    v1.add(
        heron.Table(columns=["digit", "label"], data=[[1, "one"], [2, "two"], [3, "three"]]),
        "samples",
    )
    prep.log_artifact(v1, aliases=["best"])
    prep.finish()

    train = sdk.init(project=project, job_type="train")
    train.use_artifact("digits:v1")
    model = tmp_path / "model.pt"
    model.write_bytes(b"weights")
    train.log_model(model, name="cnn")
    train.finish()
    return {
        "entity": prep.entity,
        "project": project,
        "prep": prep.id,
        "train": train.id,
        "train_name": train.name,
    }


def test_types_artifacts_and_versions_are_listed(
    ui_server: UiServer, page: Any, logged: dict[str, Any]
) -> None:
    base = f"/{logged['entity']}/{logged['project']}"
    page.goto(ui_server.url(base + "/artifacts"))
    types = page.locator('[data-column="types"] li')
    expect(types).to_have_count(2)
    expect(page.locator('[data-type="dataset"]')).to_contain_text("1")
    expect(page.locator('[data-type="dataset"]')).to_have_class("chosen")
    row = page.locator('[data-artifact="digits"]')
    expect(row.locator("td.num")).to_have_text("2")
    row.get_by_role("link", name="digits").click()
    versions = page.locator('[data-column="versions"] tbody tr')
    expect(versions).to_have_count(2)
    expect(versions.first).to_have_attribute("data-version", "v1")
    expect(versions.first).to_contain_text("latest")
    expect(versions.first).to_contain_text("best")
    page.screenshot(path=str(SCREENSHOTS / "artifacts-list.png"), full_page=True)

    page.locator('[data-type="model"] a').click()
    expect(page.locator('[data-artifact="cnn"]')).to_be_visible()
    expect(page.locator(".tab-link.active")).to_have_text("Artifacts")

    page.goto(ui_server.url(base + "/artifacts#dataset/digits"))  # the choice is linkable
    page.locator('[data-column="versions"] a', has_text="v0").click()
    expect(page).to_have_url(ui_server.url(base + "/artifacts/dataset/digits/v0"))
    expect(page.locator(".description")).to_have_text("first cut")


def test_version_page_shows_metadata_files_and_previews(
    ui_server: UiServer, page: Any, logged: dict[str, Any]
) -> None:
    entity, project = logged["entity"], logged["project"]
    page.goto(ui_server.url(f"/{entity}/{project}/artifacts/dataset/digits/latest"))
    expect(page.locator(".artifact-title")).to_have_text("digits:v1")
    expect(page.locator(".description")).to_have_text("cleaned")
    expect(page.locator('[data-kv="metadata"] [data-key="clean"]')).to_contain_text("true")
    expect(page.locator(".usage-snippet")).to_have_text(
        f'run.use_artifact("{entity}/{project}/digits:v1")'
    )
    expect(page.locator(".about")).to_contain_text(f"{entity}/{project}/{logged['prep']}")

    tree = page.locator(".file-tree")
    for name in ("notes.txt", "rows.csv", "meta.json", "digit.png"):
        expect(tree.locator(".tree-file", has_text=name)).to_be_visible()
    expect(tree.locator('[data-folder="images"]')).to_be_visible()

    tree.get_by_role("button", name="notes.txt").click()
    preview = page.locator('.artifact-preview[data-preview="notes.txt"]')
    expect(preview.locator("pre.file-text")).to_have_text("hand-written digits, cleaned\n")
    href = preview.locator("a.download").get_attribute("href")
    assert href is not None
    assert httpx.get(ui_server.url(href)).text == "hand-written digits, cleaned\n"

    tree.get_by_role("button", name="meta.json").click()
    expect(page.locator(".artifact-preview pre.json")).to_contain_text('"train": 0.8')

    tree.get_by_role("button", name="rows.csv").click()
    cells = page.locator(".csv-table tbody tr").first.locator("td")
    expect(cells).to_have_text(["1", "one, uno"])

    tree.get_by_role("button", name="digit.png").click()
    image = page.locator(".artifact-preview img.artifact-image")
    expect(image).to_be_visible()
    page.wait_for_function(
        "() => { const i = document.querySelector('img.artifact-image');"
        " return i && i.complete && i.naturalWidth === 8; }"
    )
    expect(image).to_have_css("width", "128px")  # a tiny image is drawn larger

    # A logged heron.Table: its stub and its Parquet file open in the table viewer.
    tree.get_by_role("button", name="samples.table.json").click()
    table = page.locator(".artifact-preview .tv-table")
    expect(table).to_have_attribute("data-total", "3")
    expect(table.locator("tbody tr").nth(2)).to_contain_text("three")
    tree.get_by_role("button", name=".parquet").click()
    expect(page.locator(".artifact-preview .tv-table")).to_have_attribute("data-total", "3")


def test_aliases_are_edited_through_the_api_and_persist(
    ui_server: UiServer, page: Any, logged: dict[str, Any]
) -> None:
    entity, project = logged["entity"], logged["project"]
    page.goto(ui_server.url(f"/{entity}/{project}/artifacts/dataset/digits/v0"))
    editor = page.locator(".alias-editor")
    expect(editor).to_have_attribute("data-aliases", "")
    editor.get_by_label("New alias").fill("best")  # moves "best" off v1
    editor.get_by_role("button", name="Add").click()
    expect(editor).to_have_attribute("data-aliases", "best")
    editor.get_by_label("New alias").fill("v7")
    editor.get_by_role("button", name="Add").click()
    expect(editor.get_by_role("alert")).to_contain_text("collides with version names")

    page.reload()
    expect(page.locator(".alias-editor")).to_have_attribute("data-aliases", "best")
    v1 = ui_server.store.get_artifact_version(entity, project, "digits", "v1")
    assert v1.aliases == ["latest"]

    page.goto(ui_server.url(f"/{entity}/{project}/artifacts/dataset/digits/v1"))
    editor = page.locator(".alias-editor")
    expect(editor.locator('[data-alias="latest"] button')).to_have_count(0)  # latest is fixed
    page.goto(ui_server.url(f"/{entity}/{project}/artifacts/dataset/digits/v0"))
    page.get_by_role("button", name="Remove alias best").click()
    expect(page.locator(".alias-editor")).to_have_attribute("data-aliases", "")
    assert ui_server.store.get_artifact_version(entity, project, "digits", "v0").aliases == []


def test_lineage_graph_links_runs_and_versions(
    ui_server: UiServer, page: Any, logged: dict[str, Any]
) -> None:
    entity, project = logged["entity"], logged["project"]
    prep, train = f"{entity}/{project}/{logged['prep']}", f"{entity}/{project}/{logged['train']}"
    page.goto(ui_server.url(f"/{entity}/{project}/artifacts/dataset/digits/v1"))
    graph = page.locator(".lineage")
    here = f"{entity}/{project}/digits:v1"
    expect(graph.locator(f'[data-node="{here}"]')).to_have_class("lineage-node artifact current")
    expect(graph.locator(f'[data-node="{prep}"]')).to_have_attribute("data-kind", "run")
    expect(graph.locator(f'[data-node="{train}"]')).to_have_attribute("data-kind", "run")
    expect(graph.locator(f'[data-node="{train}"]')).to_contain_text(logged["train_name"])
    expect(graph.locator(f'[data-node="{train}"]')).to_contain_text(f"train · {logged['train']}")
    expect(graph.locator(f'[data-node="{entity}/{project}/cnn:v0"]')).to_be_visible()
    expect(
        graph.locator(f'.lineage-edge.logged[data-from="{prep}"][data-to="{here}"]')
    ).to_have_count(1)
    expect(
        graph.locator(f'.lineage-edge.used[data-from="{here}"][data-to="{train}"]')
    ).to_have_count(1)

    # Layers run left to right: prep, then digits:v1, then train.
    xs = [graph.locator(f'[data-node="{n}"]').bounding_box()["x"] for n in (prep, here, train)]
    assert xs == sorted(xs) and len(set(xs)) == 3

    svg = graph.locator("svg")
    before = float(svg.get_attribute("data-scale") or 0)
    graph.get_by_role("button", name="Zoom in").click()
    expect(svg).not_to_have_attribute("data-scale", f"{before:.3f}")

    svg.scroll_into_view_if_needed()
    box = svg.bounding_box()
    assert box is not None
    zoomed = svg.get_attribute("data-scale")
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, 300)  # scrolling down zooms out
    expect(svg).not_to_have_attribute("data-scale", zoomed or "")
    assert float(svg.get_attribute("data-scale") or 9) < float(zoomed or 0)
    graph.get_by_role("button", name="Fit").click()
    node = graph.locator(f'[data-node="{train}"]')
    start = node.bounding_box()
    assert start is not None
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    page.mouse.down()
    page.mouse.move(box["x"] + 65, box["y"] + 45, steps=5)
    page.mouse.up()
    moved = node.bounding_box()
    assert moved is not None and abs(moved["x"] - start["x"] - 60) < 2  # panned, not navigated
    expect(page).to_have_url(ui_server.url(f"/{entity}/{project}/artifacts/dataset/digits/v1"))

    node.click()
    expect(page).to_have_url(ui_server.url(f"/{entity}/{project}/runs/{logged['train']}"))
    page.goto(ui_server.url(f"/{entity}/{project}/artifacts/dataset/digits/v1"))
    page.locator(f'.lineage [data-node="{prep}"]').focus()
    page.keyboard.press("Enter")  # nodes are links for the keyboard too
    expect(page).to_have_url(ui_server.url(f"/{entity}/{project}/runs/{logged['prep']}"))
    page.goto(ui_server.url(f"/{entity}/{project}/artifacts/dataset/digits/v1"))
    page.locator(".lineage").locator(f'[data-node="{entity}/{project}/cnn:v0"]').click()
    expect(page).to_have_url(ui_server.url(f"/{entity}/{project}/artifacts/model/cnn/v0"))
    expect(page.locator(".artifact-title")).to_have_text("cnn:v0")


def test_unknown_artifacts_are_readable_404s(ui_server: UiServer, logged: dict[str, Any]) -> None:
    # Fetched without the browser: Chromium logs every 404 document as a console error.
    entity, project = logged["entity"], logged["project"]
    back = f'href="/{entity}/{project}/artifacts"'
    for path, text, link in [
        (f"/{entity}/{project}/artifacts/dataset/nope/v0", "no dataset artifact nope:v0", back),
        (f"/{entity}/{project}/artifacts/dataset/digits/v9", "no dataset artifact digits:v9", back),
        (f"/{entity}/{project}/artifacts/model/digits/v0", "no model artifact digits:v0", back),
        (f"/{entity}/{project}/artifacts/dataset/digits/bad%20alias", "digits:bad alias", back),
        (f"/{entity}/nothing-here/artifacts", f"no project {entity}/nothing-here", 'href="/"'),
    ]:
        response = httpx.get(ui_server.url(path))
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")
        assert text in response.text and link in response.text


def test_a_project_without_artifacts_says_how_to_log_one(ui_server: UiServer, page: Any) -> None:
    project = f"e{uuid.uuid4().hex[:8]}"
    ui_server.seed(project)
    page.goto(ui_server.url(f"/me/{project}/artifacts"))
    expect(page.locator(".empty")).to_contain_text("run.log_artifact")
