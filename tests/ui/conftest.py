"""Browser tests: a real ``heron server`` and Debian's Chromium driven by Playwright.

* ``ui_server`` — one server for the module over its own data folder;
  ``seed`` writes runs straight into that folder's SQLite store (the server
  reads the same database, as a second process would).
* ``page`` — a fresh browser page per test that fails the test on any
  console error or uncaught exception, so a broken module cannot pass.
* ``refusals`` — for a test that makes the server refuse something on
  purpose: the 4xx codes its ``page`` was answered, which it then asserts.

Every test leaves a full-page screenshot in ``build/ui-screenshots/`` (or
``$HERON_UI_SHOTS``): CI keeps them as artifacts, and people look at them.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from heron.entities import RunKey
from heron.errors import NotFoundError
from heron.records import encode_nonfinite
from heron.settings import Settings
from heron.store.sql import SqlStore
from tests.helpers.live_server import LiveServer

CHROMIUM = os.environ.get("HERON_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Read at import: the autouse fixture of tests/conftest.py clears HERON_* variables.
SCREENSHOTS = Path(
    os.environ.get("HERON_UI_SHOTS")
    or Path(__file__).resolve().parents[2] / "build" / "ui-screenshots"
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/ui with ``ui`` (``-m "not ui"`` skips the browser)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.ui)


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Poll ``condition`` (a store not knowing the run yet counts as False) until it holds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if condition():
                return
        except NotFoundError:
            pass
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one test module: Playwright's sync API keeps an event loop running in
    this thread while it lives, which would break later tests that call asyncio.run()."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed: pip install -e '.[dev]'")
    if not shutil.which(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install -y chromium")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class UiServer:
    """A live server plus a store on the same database, to seed runs."""

    def __init__(self, data_dir: Path) -> None:
        self.server = LiveServer(data_dir)
        self.store = SqlStore.from_settings(Settings(dir=data_dir))

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def url(self, path: str) -> str:
        return self.base_url + path

    def seed(
        self,
        project: str,
        run_id: str | None = None,
        *,
        entity: str = "me",
        steps: int = 0,
        metrics: Callable[[int], dict[str, Any]] | None = None,
        state: str | None = "finished",
        config: dict[str, Any] | None = None,
        summary: dict[str, Any] | None = None,
        **attrs: Any,
    ) -> RunKey:
        """One run with ``steps`` history rows from ``metrics(step)``; returns its key."""
        key = RunKey(entity, project, run_id or uuid.uuid4().hex[:8])
        now = time.time()
        created = attrs.pop("created_at", now - steps - 60)
        records: list[dict[str, Any]] = [
            {
                "seq": 1,
                "type": "run",
                "name": attrs.pop("name", key.run_id),
                "created_at": created,
                **attrs,
            }
        ]
        if config is not None:
            records.append({"seq": len(records) + 1, "type": "config", "config": config})
        for step in range(steps):
            row = {"_step": step, "_runtime": float(step), "_timestamp": created + step}
            row.update(metrics(step) if metrics else {"loss": 1.0 / (step + 1)})
            records.append(
                {"seq": len(records) + 1, "type": "history", "row": encode_nonfinite(row)}
            )
        if summary is not None:
            records.append({"seq": len(records) + 1, "type": "summary", "summary": summary})
        if state is not None and state != "running":
            records.append(
                {
                    "seq": len(records) + 1,
                    "type": "exit",
                    "state": state,
                    "exit_code": 0 if state == "finished" else 1,
                    "ended_at": created + steps + 1,
                }
            )
        self.store.apply(key, "seed", records)
        return key

    def seed_many(self, project: str, count: int, *, entity: str = "me") -> list[RunKey]:
        """``count`` finished runs without history, fast: one ``apply`` per run.

        Run ``i`` is ``run-{i:05d}``, created ``i`` seconds after the first
        (so the newest sorts first), with ``config.lr = i / count``,
        ``config.optimizer`` cycling adam/sgd/rmsprop, ``summary.acc = i / count``
        and a runtime of ``i % 97`` seconds.
        """
        start = time.time() - count - 3600
        keys: list[RunKey] = []
        for i in range(count):
            key = RunKey(entity, project, f"run-{i:05d}")
            created = start + i
            self.store.apply(
                key,
                "seed",
                [
                    {"seq": 1, "type": "run", "name": key.run_id, "created_at": created},
                    {
                        "seq": 2,
                        "type": "config",
                        "config": {"lr": i / count, "optimizer": ("adam", "sgd", "rmsprop")[i % 3]},
                    },
                    {"seq": 3, "type": "summary", "summary": {"acc": i / count}},
                    {
                        "seq": 4,
                        "type": "exit",
                        "state": "finished",
                        "exit_code": 0,
                        "ended_at": created + i % 97,
                    },
                ],
            )
            keys.append(key)
        return keys


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    ui = UiServer(tmp_path_factory.mktemp("ui-server"))
    with ui.server:
        yield ui
    ui.store.close()


@pytest.fixture
def refusals() -> list[int]:
    """The 4xx answers (status codes, in order) the ``page`` was given, when the test asks.

    Chromium logs each one as a console error; a test that makes the server
    refuse something on purpose takes this fixture and asserts the codes it
    caused, and only those are let through.
    """
    return []


_REFUSAL = re.compile(r"^Failed to load resource: the server responded with a status of (4\d\d)")


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    refused = request.getfixturevalue("refusals") if "refusals" in request.fixturenames else None

    def on_console(msg: Any) -> None:
        if msg.type != "error":
            return
        match = _REFUSAL.match(msg.text)
        if refused is not None and match:
            refused.append(int(match.group(1)))
        else:
            problems.append(f"console.{msg.type}: {msg.text}")

    page.on("pageerror", lambda exc: problems.append(f"uncaught: {exc}"))
    page.on("console", on_console)
    page.set_default_timeout(15_000)
    yield page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in request.node.name)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    context.close()
    assert not problems, "the page reported errors:\n" + "\n".join(problems)
