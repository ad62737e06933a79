"""The home page: every project, with run count, last activity and search."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.ui.conftest import UiServer


def test_projects_are_listed_with_run_counts_and_search(ui_server: UiServer, page: Any) -> None:
    for _ in range(3):
        ui_server.seed("vision", steps=5)
    ui_server.seed("nlp-baselines", steps=5)

    page.goto(ui_server.url("/"))
    rows = page.locator("table.projects tbody tr")
    expect(rows).to_have_count(2)
    vision = page.locator('tr[data-project="vision"]')
    expect(vision.locator("td.num")).to_have_text("3")

    page.get_by_placeholder("Search projects").fill("nlp")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("nlp-baselines")

    page.get_by_placeholder("Search projects").fill("nothing-like-this")
    expect(page.locator(".empty")).to_contain_text("No project matches")

    page.get_by_placeholder("Search projects").fill("")
    page.get_by_role("link", name="vision").click()
    expect(page).to_have_url(ui_server.url("/me/vision"))
