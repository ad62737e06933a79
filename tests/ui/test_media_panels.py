"""Media panels in the workspace and on the run page: images with a step slider,
mask and box overlays and a full-size view, galleries, audio, video, sandboxed
HTML, 3D point clouds and meshes, histogram bars and heat-maps.

Runs are seeded with real media bytes (Pillow PNGs, a ``wave`` WAV, a GIF, a
WebM Chromium records itself) put in the blob store, and history rows holding
the stubs the data types write (docs: the media contract).
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import math
import time
import uuid
import wave
from typing import Any

import pytest
from playwright.sync_api import expect

from heron.entities import RunKey
from tests.ui.conftest import UiServer

PIL = pytest.importorskip("PIL.Image", reason="Pillow makes the test images")

COLOURED = """(canvas) => {
  // Saturated pixels (a class colour, a run colour, a heat-map cell), not grey or white.
  const copy = document.createElement("canvas");
  copy.width = canvas.width;
  copy.height = canvas.height;
  const ctx = copy.getContext("2d");
  ctx.drawImage(canvas, 0, 0);
  const data = ctx.getImageData(0, 0, copy.width, copy.height).data;
  let n = 0;
  for (let i = 0; i < data.length; i += 4) {
    const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
    if (a > 50 && Math.max(r, g, b) - Math.min(r, g, b) > 50) n++;
  }
  return n;
}"""


def project_name() -> str:
    return "media-" + uuid.uuid4().hex[:8]


def png(width: int, height: int, colour: tuple[int, int, int], mode: str = "RGB") -> bytes:
    image = PIL.new(mode, (width, height), colour if mode == "RGB" else colour[0])
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def mask_png(width: int, height: int) -> bytes:
    """Left half class 1 (cat), right half class 2 (dog), a top band class 0 (background)."""
    image = PIL.new("L", (width, height), 0)
    for y in range(4, height):
        for x in range(width):
            image.putpixel((x, y), 1 if x < width // 2 else 2)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def gif(frames: int = 4) -> bytes:
    images = [PIL.new("RGB", (40, 30), (60 * i, 120, 200 - 40 * i)) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:], duration=100)
    return out.getvalue()


def wav(seconds: float = 0.5, rate: int = 8000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        samples = (
            int(12000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(int(seconds * rate))
        )
        w.writeframes(b"".join(s.to_bytes(2, "little", signed=True) for s in samples))
    return out.getvalue()


class Seeder:
    """History rows of media stubs for one run, their bytes in the blob store."""

    def __init__(self, ui: UiServer, project: str, run_id: str, name: str | None = None) -> None:
        self.ui = ui
        self.key = RunKey("me", project, run_id)
        self.created = time.time() - 600
        self.records: list[dict[str, Any]] = [
            {"seq": 1, "type": "run", "name": name or run_id, "created_at": self.created}
        ]
        self.files: dict[str, dict[str, Any]] = {}

    def put(self, key: str, kind: str, ext: str, data: bytes) -> dict[str, Any]:
        sha256 = self.ui.store.blobs.put(data)
        path = f"media/{kind}/{key.replace('/', '_')}_{sha256[:20]}.{ext}"
        self.files[path] = {"type": "file", "name": path, "sha256": sha256, "size": len(data)}
        return {"path": path, "sha256": sha256, "size": len(data)}

    def stub(self, type_: str, key: str, ext: str, data: bytes, **fields: Any) -> dict[str, Any]:
        """The stub of a ``type_`` value logged under ``key``, its bytes stored."""
        folder = type_.removesuffix("-file")
        return {"_type": type_, **self.put(key, folder, ext, data), **fields}

    def image(self, key: str, data: bytes, width: int, height: int, **extra: Any) -> dict[str, Any]:
        return self.stub(
            "image-file", key, "png", data, format="png", width=width, height=height, **extra
        )

    def log(self, step: int, row: dict[str, Any]) -> None:
        stamps = {"_step": step, "_runtime": float(step), "_timestamp": self.created + step}
        self.records.append({"type": "history", "row": {**stamps, **row}})

    def apply(self) -> RunKey:
        records = [*self.records, *self.files.values()]
        records.append(
            {"type": "exit", "state": "finished", "exit_code": 0, "ended_at": time.time()}
        )
        for seq, record in enumerate(records, 1):
            record["seq"] = seq
        self.ui.store.apply(self.key, "seed", records)
        return self.key


def media_panel(page: Any, key: str) -> Any:
    return page.locator(f'.ws-panel[data-type="media"][data-title="{key}"]')


def loaded_image(locator: Any) -> None:
    expect(locator).to_be_visible()
    locator.page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=locator.element_handle()
    )


def coloured(page: Any, canvas: Any) -> int:
    return int(page.evaluate(COLOURED, canvas.element_handle()))


def seed_images(
    ui: UiServer, project: str, run_id: str, steps: int, colours: list[tuple[int, int, int]]
) -> RunKey:
    run = Seeder(ui, project, run_id)
    mask = run.put("samples", "images", "png", mask_png(32, 24))
    labels = {"1": "cat", "2": "dog"}
    cat = {"minX": 2, "maxX": 14, "minY": 3, "maxY": 20}
    dog = {"minX": 0.55, "maxX": 0.95, "minY": 0.2, "maxY": 0.9}  # fractions of the size
    boxes = [
        {"position": cat, "domain": "pixel", "class_id": 1, "scores": {"conf": 0.91}},
        {"position": dog, "domain": None, "class_id": 2, "box_caption": "a dog"},
    ]
    for step in range(steps):
        image = png(32, 24, colours[step % len(colours)])
        sample = run.image(
            "samples",
            image,
            32,
            24,
            caption=f"{run_id} step {step}",
            masks={"pred": {"_type": "mask", **mask, "class_labels": labels}},
            boxes={"gt": {"box_data": boxes, "class_labels": labels}},
        )
        run.log(step, {"samples": sample, "loss": 1 / (step + 1)})
    return run.apply()


def test_images_follow_the_step_slider_with_mask_and_box_overlays(
    ui_server: UiServer, page: Any
) -> None:
    project = project_name()
    seed_images(ui_server, project, "run-a", 3, [(200, 30, 30), (30, 200, 30), (30, 30, 200)])
    seed_images(ui_server, project, "run-b", 2, [(240, 240, 240)])
    page.goto(ui_server.url(f"/me/{project}/workspace"))

    target = media_panel(page, "samples")
    expect(page.locator('.ws-panel[data-type="line"][data-title="loss"]')).to_have_count(1)
    columns = target.locator(".media-column")
    expect(columns).to_have_count(2)
    expect(columns.nth(0).locator(".media-run")).to_contain_text("run-")
    expect(target.locator(".media-panel")).to_have_attribute(
        "data-step", "2"
    )  # the last step by default
    column_a = target.locator('.media-column[data-run-id="run-a"]')
    image = column_a.locator(".image-frame img")
    loaded_image(image)
    expect(column_a.locator("figcaption")).to_have_text("run-a step 2")
    # run-b logged up to step 1: it shows its latest image and says at which step.
    expect(target.locator('.media-column[data-run-id="run-b"]')).to_have_attribute("data-step", "1")

    src = image.get_attribute("src")
    assert src and src.startswith("/api/v1/media/") and src.endswith(".png")
    target.get_by_label("Step", exact=True).fill("0")
    expect(target.locator(".media-panel")).to_have_attribute("data-step", "0")
    expect(column_a.locator("figcaption")).to_have_text("run-a step 0")
    loaded_image(image)
    assert image.get_attribute("src") != src

    mask = column_a.locator('canvas.mask-overlay[data-mask="pred"]')
    expect(mask).to_have_attribute("data-painted", "true")
    both = coloured(page, mask)
    assert both > 32 * 16, "the cat and dog halves of the mask are painted"
    target.get_by_role("checkbox", name="pred: cat").uncheck()
    page.wait_for_function(f"([c, n]) => ({COLOURED})(c) < n", arg=[mask.element_handle(), both])
    dog_only = coloured(page, mask)
    assert 0 < dog_only < both
    target.get_by_role("checkbox", name="Mask pred").uncheck()
    expect(column_a.locator("canvas.mask-overlay")).to_have_count(0)
    target.get_by_role("checkbox", name="Mask pred").check()
    expect(mask).to_have_attribute("data-painted", "true")

    boxes = column_a.locator('svg.box-overlay[data-boxes="gt"]')
    expect(boxes).to_have_attribute("data-count", "2")
    expect(boxes).to_contain_text("cat conf 0.91")
    expect(boxes).to_contain_text("a dog")
    target.get_by_role("checkbox", name="gt: dog").uncheck()
    expect(boxes).to_have_attribute("data-count", "1")
    target.get_by_role("checkbox", name="Boxes gt").uncheck()
    expect(column_a.locator("svg.box-overlay")).to_have_count(0)
    target.get_by_role("checkbox", name="Boxes gt").check()
    expect(boxes).to_have_attribute("data-count", "1")  # the class stays off

    image.click()
    zoom = page.get_by_role("dialog", name="Full size image")
    expect(zoom).to_be_visible()
    big = zoom.locator(".image-frame img")
    loaded_image(big)
    assert big.bounding_box()["width"] > 300, "the full-size view scales a small image up"
    expect(zoom.locator("svg.box-overlay")).to_have_attribute("data-count", "1")
    page.keyboard.press("Escape")
    expect(zoom).to_have_count(0)


def test_a_gallery_shows_every_image_as_a_thumbnail(ui_server: UiServer, page: Any) -> None:
    project = project_name()
    run = Seeder(ui_server, project, "gallery-run")
    for step in range(2):
        colours = [(40 * i, 100 + step * 50, 220 - 40 * i) for i in range(5 + step)]
        images = [png(20, 20, c) for c in colours]
        row = [
            run.image("val/examples", data, 20, 20, caption=f"#{i}")
            for i, data in enumerate(images)
        ]
        run.log(step, {"val/examples": row})
    run.apply()
    page.goto(ui_server.url(f"/me/{project}/workspace"))

    section = page.locator('.ws-section[data-section="val"]')
    thumbs = section.locator('.ws-panel[data-title="val/examples"] .image-gallery img')
    expect(thumbs).to_have_count(6)
    for i in range(6):
        loaded_image(thumbs.nth(i))
    media_panel(page, "val/examples").get_by_label("Step", exact=True).fill("0")
    expect(thumbs).to_have_count(5)
    thumbs.nth(3).click()
    zoom = page.get_by_role("dialog", name="Full size image")
    expect(zoom).to_contain_text("4 of 5")
    loaded_image(zoom.locator("img"))
    zoom.get_by_label("Close").click()
    expect(zoom).to_have_count(0)


RECORD_WEBM = """async () => {
  // Chromium records a short WebM of a canvas animation: a real video file to log.
  const canvas = document.createElement("canvas");
  canvas.width = 64;
  canvas.height = 48;
  const ctx = canvas.getContext("2d");
  const recorder = new MediaRecorder(canvas.captureStream(15), { mimeType: "video/webm" });
  const chunks = [];
  recorder.ondataavailable = (e) => chunks.push(e.data);
  const done = new Promise((resolve) => (recorder.onstop = resolve));
  recorder.start();
  for (let i = 0; i < 12; i++) {
    ctx.fillStyle = `hsl(${i * 30}, 80%, 50%)`;
    ctx.fillRect(0, 0, 64, 48);
    await new Promise((r) => setTimeout(r, 40));
  }
  recorder.stop();
  await done;
  const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text);
}"""


def test_audio_and_video_players_load_their_files(ui_server: UiServer, page: Any) -> None:
    project = project_name()
    page.goto(ui_server.url("/"))
    webm = base64.b64decode(page.evaluate(RECORD_WEBM))
    run = Seeder(ui_server, project, "av-run")
    tone = run.stub(
        "audio-file",
        "audio/tone",
        "wav",
        wav(),
        format="wav",
        sample_rate=8000,
        duration=0.5,
        caption="440 Hz",
    )
    clip = run.stub(
        "video-file", "video/clip", "webm", webm, format="webm", width=64, height=48, fps=15
    )
    anim = run.stub(
        "video-file", "video/anim", "gif", gif(), format="gif", width=40, height=30, fps=10
    )
    run.log(0, {"audio/tone": tone, "video/clip": clip, "video/anim": anim})
    run.apply()
    page.goto(ui_server.url(f"/me/{project}/workspace"))

    audio = media_panel(page, "audio/tone").locator("audio")
    expect(audio).to_have_attribute("controls", "")
    page.wait_for_function(
        "(a) => a.readyState >= 1 && Math.abs(a.duration - 0.5) < 0.01", arg=audio.element_handle()
    )
    expect(media_panel(page, "audio/tone")).to_contain_text("440 Hz")
    expect(media_panel(page, "audio/tone")).to_contain_text("8000 Hz")

    video = media_panel(page, "video/clip").locator("video")
    video.scroll_into_view_if_needed()
    page.wait_for_function(
        "(v) => v.readyState >= 1 && v.videoWidth === 64", arg=video.element_handle()
    )
    animation = media_panel(page, "video/anim").locator("img")
    animation.scroll_into_view_if_needed()
    loaded_image(animation)
    assert animation.evaluate("(img) => img.naturalWidth") == 40


HOSTILE_HTML = """<!doctype html><html><body>
<h1>Model report</h1><p id="result">script did not run</p>
<script>
  let outcome;
  try {
    parent.document.body.innerHTML = "<h1>pwned</h1>";
    outcome = "reached the dashboard";
  } catch (e) {
    outcome = "blocked: " + e.name;
  }
  try { parent.localStorage.setItem("pwned", "1"); } catch (e) {}
  document.getElementById("result").textContent = outcome;
</script></body></html>"""


def test_html_runs_in_a_sandbox_that_cannot_touch_the_dashboard(
    ui_server: UiServer, page: Any
) -> None:
    project = project_name()
    run = Seeder(ui_server, project, "html-run")
    run.log(
        0,
        {
            "report": {
                "_type": "html-file",
                **run.put("report", "html", "html", HOSTILE_HTML.encode()),
            }
        },
    )
    run.apply()
    page.goto(ui_server.url(f"/me/{project}/workspace"))

    frame = media_panel(page, "report").locator("iframe.html-view")
    expect(frame).to_have_attribute("sandbox", "allow-scripts")
    inside = page.frame_locator('.ws-panel[data-title="report"] iframe.html-view')
    expect(inside.locator("h1")).to_have_text("Model report")
    expect(inside.locator("#result")).to_have_text("blocked: SecurityError")
    expect(page.locator(".topbar .brand")).to_have_text("Heron")
    expect(page.locator("body")).not_to_contain_text("pwned")
    assert page.evaluate("localStorage.getItem('pwned')") is None


def point_cloud(n: int = 3000) -> list[list[float]]:
    """A spiral of points in three categories."""
    return [
        [math.cos(i / 50) * (1 + i / n), math.sin(i / 50) * (1 + i / n), i / n * 2 - 1, i % 3]
        for i in range(n)
    ]


CUBE_OBJ = "\n".join(
    [f"v {x} {y} {z}" for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)]
    + ["f 1 3 4 2", "f 5 6 8 7", "f 1 2 6 5", "f 3 7 8 4", "f 1 5 7 3", "f 2 4 8 6"]
)


def test_point_clouds_and_meshes_draw_in_webgl(ui_server: UiServer, page: Any) -> None:
    project = project_name()
    run = Seeder(ui_server, project, "3d-run")
    cloud = json.dumps(point_cloud()).encode()
    cloud_stub = run.stub(
        "object3D-file", "scene/cloud", "pts.json", cloud, format="pts.json", points=3000
    )
    mesh_stub = run.stub("object3D-file", "scene/mesh", "obj", CUBE_OBJ.encode(), format="obj")
    run.log(0, {"scene/cloud": cloud_stub, "scene/mesh": mesh_stub})
    run.apply()
    three = []
    page.on("request", lambda r: three.append(r.url) if "/vendor/three/" in r.url else None)
    page.goto(ui_server.url(f"/me/{project}/workspace"))

    for key, least in (("scene/cloud", 500), ("scene/mesh", 2000)):
        canvas = media_panel(page, key).locator("canvas.object3d-canvas")
        canvas.scroll_into_view_if_needed()
        expect(canvas).to_have_attribute("data-drawn", "true")
        assert coloured(page, canvas) > least, f"{key}: the 3D view drew too few pixels"
    expect(media_panel(page, "scene/cloud")).to_contain_text("3,000 points")
    assert any(url.endswith("three.module.js") for url in three)

    # Dragging turns the view: the picture changes.
    canvas = media_panel(page, "scene/cloud").locator("canvas.object3d-canvas")
    before = canvas.evaluate("(c) => c.toDataURL()")
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 120, box["y"] + box["height"] / 2 + 30, steps=8)
    page.mouse.up()
    page.wait_for_function("([c, s]) => c.toDataURL() !== s", arg=[canvas.element_handle(), before])


def test_three_js_loads_only_for_3d_panels(ui_server: UiServer, page: Any) -> None:
    project = project_name()
    seed_images(ui_server, project, "plain", 1, [(200, 30, 30)])
    three = []
    page.on("request", lambda r: three.append(r.url) if "/vendor/three/" in r.url else None)
    page.goto(ui_server.url(f"/me/{project}/workspace"))
    loaded_image(media_panel(page, "samples").locator(".image-frame img"))
    assert three == []


def histogram(step: int, bins: int = 24) -> dict[str, Any]:
    """A bell curve whose centre moves right and whose spread narrows with the step."""
    centre, spread = -2 + step * 0.2, 1.5 / (1 + step / 20)
    edges = [centre - 4 + 8 * i / bins for i in range(bins + 1)]
    values = [
        round(1000 * math.exp(-(((a + b) / 2 - centre) ** 2) / (2 * spread**2)))
        for a, b in itertools.pairwise(edges)
    ]
    return {"_type": "histogram", "bins": edges, "values": values}


BAR_HEIGHTS = (
    "(svg) => [...svg.querySelectorAll('rect')].map((r) => r.getAttribute('height')).join()"
)


def test_histograms_show_bars_and_a_heat_map_over_steps(ui_server: UiServer, page: Any) -> None:
    project = project_name()
    for run_id in ("hist-a", "hist-b"):
        run = Seeder(ui_server, project, run_id)
        for step in range(0, 40, 2):
            run.log(step, {"weights/layer1": histogram(step + (3 if run_id == "hist-b" else 0))})
        run.apply()
    page.goto(ui_server.url(f"/me/{project}/workspace"))

    target = media_panel(page, "weights/layer1")
    expect(target.locator(".media-column")).to_have_count(2)
    expect(target.locator(".media-panel")).to_have_attribute("data-step", "38")
    bars = target.locator('.media-column[data-run-id="hist-a"] svg.histogram-bars')
    expect(bars.locator("rect")).to_have_count(24)
    heatmap = target.locator('.media-column[data-run-id="hist-a"] canvas.histogram-heatmap')
    expect(heatmap).to_have_attribute("data-drawn", "true")
    assert coloured(page, heatmap) > 2000, "the heat-map is drawn"

    # A click on the heat-map's left edge selects the first step; the bars follow.
    shape = bars.evaluate(BAR_HEIGHTS)
    heatmap.click(position={"x": 2, "y": 40})
    expect(target.locator(".media-panel")).to_have_attribute("data-step", "0")
    page.wait_for_function(
        f"([svg, s]) => ({BAR_HEIGHTS})(svg) !== s",
        arg=[bars.element_handle(), shape],
    )
    expect(target.get_by_label("Step", exact=True)).to_have_value("0")


def test_many_runs_get_a_run_selector(ui_server: UiServer, page: Any) -> None:
    project = project_name()
    for i in range(5):
        seed_images(ui_server, project, f"run-{i}", 1, [(50 * i, 100, 150)])
    page.goto(ui_server.url(f"/me/{project}/workspace"))

    target = media_panel(page, "samples")
    picker = target.get_by_label("Run", exact=True)
    expect(picker.locator("option")).to_have_count(5)
    expect(target.locator(".media-column")).to_have_count(1)
    picker.select_option("run-3")
    expect(target.locator(".media-column")).to_have_attribute("data-run-id", "run-3")
    expect(target.locator("figcaption")).to_have_text("run-3 step 0")
    loaded_image(target.locator(".image-frame img"))


def test_add_panel_offers_media_keys(ui_server: UiServer, page: Any) -> None:
    project = project_name()
    seed_images(ui_server, project, "run-x", 2, [(10, 200, 90)])
    page.goto(ui_server.url(f"/me/{project}/workspace"))
    loaded_image(media_panel(page, "samples").locator(".image-frame img"))

    page.get_by_role("button", name="Add panel").click()
    editor = page.get_by_role("dialog", name="Add panel")
    editor.get_by_label("Panel kind").select_option("media")
    editor.get_by_role("button", name="Add").click()
    expect(editor.get_by_role("alert")).to_contain_text("Choose the media key")
    editor.get_by_label("Media key").select_option("samples")
    editor.get_by_role("button", name="Add").click()

    custom = page.locator('.ws-section[data-section="Custom"] .ws-panel[data-type="media"]')
    expect(custom).to_have_count(1)
    loaded_image(custom.locator(".image-frame img"))


def test_the_run_page_charts_tab_shows_media(ui_server: UiServer, page: Any) -> None:
    project = project_name()
    key = seed_images(ui_server, project, "run-page", 3, [(220, 120, 20)])
    page.goto(ui_server.url(f"/me/{project}/runs/{key.run_id}#charts"))

    charts = page.locator('.run-charts[data-stream="history"]')
    target = charts.locator('.ws-panel[data-type="media"][data-title="samples"]')
    loaded_image(target.locator(".image-frame img"))
    expect(target.locator(".media-column")).to_have_count(1)
    expect(target.locator("figcaption")).to_have_text("run-page step 2")
    expect(charts.locator('.ws-panel[data-type="line"][data-title="loss"]')).to_have_count(1)
