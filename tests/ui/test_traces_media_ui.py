"""Media in calls on the dashboard: a PIL image output shown as an image, a huge string
as its preview with a download link, audio as a player (bytes from the blob store)."""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np
from PIL import Image as PILImage
from playwright.sync_api import expect

import heron
from heron import weave
from heron.settings import Settings
from heron.weave.serialize import MAX_STRING
from tests.ui.conftest import SCREENSHOTS, UiServer


def test_image_audio_and_large_text_stubs_render(ui_server: UiServer, page: Any) -> None:
    project = f"m{uuid.uuid4().hex[:8]}"
    client = weave.init(f"me/{project}", settings=Settings(dir=ui_server.server.data_dir))
    huge = "lorem ipsum " * (MAX_STRING // 10)

    @weave.op
    def draw(size: int, notes: str) -> dict[str, Any]:
        picture = PILImage.new("RGB", (size, size // 2), (0, 128, 255))
        clip = heron.Audio(np.zeros(800, dtype=np.float32), sample_rate=8000)
        return {"picture": picture, "clip": clip}

    draw(24, huge)
    assert client.flush(timeout=60)
    weave.finish()
    (call,) = ui_server.store.get_calls("me", project)
    page.goto(ui_server.url(f"/me/{project}/weave/calls/{call['id']}"))
    image = page.locator("[data-section=output] img.call-image")
    expect(image).to_be_visible()
    page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    assert page.evaluate(
        "(img) => [img.naturalWidth, img.naturalHeight]", image.element_handle()
    ) == [24, 12]
    audio = page.locator("[data-section=output] audio.call-audio")
    expect(audio).to_have_count(1)
    preview = page.locator("[data-section=inputs] pre.blob-preview")
    expect(preview).to_contain_text("lorem ipsum lorem")
    link = page.locator("[data-section=inputs] a.blob-download")
    expect(link).to_contain_text("download all")
    href = link.get_attribute("href")
    assert href is not None and href.endswith(".txt")
    body = page.request.get(ui_server.url(href))
    assert body.ok and body.text() == huge
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "trace-media.png"), full_page=True)
