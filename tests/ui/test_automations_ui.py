"""The automations page: create an automation in the form, see it deliver to a webhook
receiver on loopback (sent by the live server's worker), read the delivery log (paged,
each delivery's request and attempts), disable and enable it, delete it.

Events are caused the way a user would: moving a collection alias on the collection
page, or through the server's HTTP API, so the server process queues and sends them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from heron.artifacts.entities import ManifestEntry
from heron.artifacts.registry import SIGNATURE_HEADER, verify_signature
from tests.registry.conftest import Receiver, wait_for
from tests.ui.conftest import SCREENSHOTS, UiServer


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def entity(ui_server: UiServer) -> str:
    """An entity whose ``digits-cnn`` collection links two versions of ``cnn``."""
    store = ui_server.store
    name = f"a{uuid.uuid4().hex[:8]}"
    for k in range(2):
        content = b"weights %d" % k
        entry = ManifestEntry("model.pt", store.blobs.put(content), len(content))
        store.log_artifact(name, "digits", "cnn", "model", [entry])
        store.link_version(name, "model", "digits-cnn", name, "digits", "cnn", f"v{k}")
    return name


def move_alias(ui_server: UiServer, entity: str, alias: str, version: int) -> None:
    """Move a collection alias through the server's API (the server emits the event)."""
    path = f"/api/v1/registries/{entity}/model/collections/digits-cnn/aliases/{alias}"
    response = httpx.put(ui_server.url(path), json={"version": version, "actor": "ci"})
    assert response.status_code == 200, response.text


def fill_webhook(form: Any, name: str, url: str) -> None:
    form.get_by_label("Automation name").fill(name)
    form.get_by_label("Event").select_option("alias_added")
    form.get_by_label("Filter alias").fill("prod*")
    form.get_by_label("Filter collection").fill("digits-cnn")
    form.get_by_label("Webhook URL").fill(url)


def test_an_automation_made_in_the_form_delivers_and_its_log_shows_it(
    ui_server: UiServer, page: Any, entity: str, receiver: Receiver
) -> None:
    page.goto(ui_server.url(f"/{entity}/automations"))
    expect(page.locator(".empty")).to_contain_text("No automations yet")
    page.get_by_role("button", name="New automation").click()
    form = page.locator(".automation-form")
    fill_webhook(form, "promote-hook", receiver.url("/hook"))
    form.get_by_label("Webhook secret").fill("s3cret")
    form.get_by_label("Webhook headers").fill("X-Team: ml\nAuthorization: Bearer t0ken")
    form.get_by_label("Payload template").fill(
        '{"text": "${collection} ${version} is now ${alias}", "aliases": "${aliases}"}'
    )
    page.screenshot(path=str(SCREENSHOTS / "automation-form.png"), full_page=True)
    form.get_by_role("button", name="Create automation").click()

    row = page.locator('tr[data-automation="promote-hook"]')
    expect(row.locator(".trigger")).to_have_text("alias_added · alias=prod*, collection=digits-cnn")
    expect(row).to_contain_text(f"POST {receiver.url('/hook')}")
    expect(row.locator(".chip.signed")).to_be_visible()
    expect(row.locator(".last-delivery")).to_have_text("none yet")
    [made] = ui_server.store.list_automations(entity)
    assert made.has_secret and made.action["headers"]["X-Team"] == "ml"
    expect(page).to_have_url(ui_server.url(f"/{entity}/automations#{made.id}"))
    log = page.locator(".delivery-log")
    expect(log.locator(".empty-log")).to_be_visible()

    # Promote v1 on the collection page: the server queues the event and its worker sends it.
    page.goto(ui_server.url(f"/{entity}/registry/model/digits-cnn"))
    v1 = page.locator('.linked-versions tr[data-version="v1"]')
    v1.get_by_label("New alias").fill("production")
    v1.get_by_role("button", name="Add").click()
    expect(v1.locator(".alias-editor")).to_have_attribute("data-aliases", "latest,production")
    [request] = wait_for(lambda: receiver.received("/hook"), what="the webhook")
    assert verify_signature("s3cret", request["body"], request["headers"][SIGNATURE_HEADER])
    assert request["headers"]["X-Team"] == "ml"
    assert json.loads(request["body"]) == {
        "text": "digits-cnn v1 is now production",
        "aliases": ["latest", "production"],
    }

    wait_for(
        lambda: [
            d for d in ui_server.store.list_deliveries(entity, made.id) if d.status != "pending"
        ],
        what="the delivery to be recorded",
    )
    page.goto(ui_server.url(f"/{entity}/automations#{made.id}"))
    delivery = log.locator("tbody tr[data-delivery]")
    expect(delivery).to_have_count(1)
    expect(delivery).to_have_attribute("data-status", "delivered")
    expect(delivery.locator(".response-code")).to_have_text("200")
    expect(delivery).to_contain_text("alias_added")
    expect(row.locator(".last-delivery [data-status]")).to_have_text("delivered")
    delivery.get_by_role("button", name="Details of delivery").click()
    details = log.locator(".delivery-details")
    expect(details).to_contain_text(f"POST {receiver.url('/hook')}")
    expect(details.locator(".request-body")).to_contain_text("digits-cnn v1 is now production")
    expect(details).to_contain_text("X-Team")
    expect(details).to_contain_text("(hidden)")  # the Authorization header's value is masked
    expect(details).not_to_contain_text("t0ken")
    expect(details.locator(".attempts tbody tr")).to_have_count(1)
    expect(details.locator(".attempts tbody td").nth(2)).to_have_text("200")
    page.screenshot(path=str(SCREENSHOTS / "automation-delivery-log.png"), full_page=True)


def test_a_disabled_automation_ignores_events_until_enabled(
    ui_server: UiServer, page: Any, entity: str, receiver: Receiver
) -> None:
    page.goto(ui_server.url(f"/{entity}/automations"))
    page.get_by_role("button", name="New automation").click()
    form = page.locator(".automation-form")
    fill_webhook(form, "gated", receiver.url("/gated"))
    form.get_by_role("button", name="Create automation").click()
    row = page.locator('tr[data-automation="gated"]')
    switch = row.get_by_role("switch", name="Enabled gated")
    expect(switch).to_be_checked()

    switch.uncheck()
    expect(row).to_have_attribute("data-enabled", "false")
    [auto] = ui_server.store.list_automations(entity)
    assert auto.enabled is False
    move_alias(ui_server, entity, "production", 0)  # ignored: the automation is off

    switch.check()
    expect(row).to_have_attribute("data-enabled", "true")
    move_alias(ui_server, entity, "production", 1)
    delivered = wait_for(
        lambda: [
            d for d in ui_server.store.list_deliveries(entity, auto.id) if d.status != "pending"
        ],
        what="the delivery after enabling",
    )
    # Had the disabled automation queued anything, it would be here, before this one.
    assert [d.event["version"] for d in ui_server.store.list_deliveries(entity, auto.id)] == ["v1"]
    assert [json.loads(r["body"])["version"] for r in receiver.received("/gated")] == ["v1"]
    assert delivered[0].status == "delivered"
    expect(page.locator(".delivery-log tbody tr[data-delivery]")).to_have_count(1)
    page.screenshot(path=str(SCREENSHOTS / "automation-enable-toggle.png"), full_page=True)


def test_the_delivery_log_pages_by_twenty(ui_server: UiServer, page: Any, entity: str) -> None:
    auto = ui_server.store.create_automation(
        entity,
        "audit",
        {"event": "alias_added", "alias": "production"},
        {"kind": "report", "template": {"title": "${collection} ${version}"}},
    )
    for k in range(45):  # report actions are stored at once: 45 deliveries
        move_alias(ui_server, entity, "production", k % 2)
    ids = [d.id for d in ui_server.store.list_deliveries(entity, auto.id)]
    assert len(ids) == 45

    page.goto(ui_server.url(f"/{entity}/automations#{auto.id}"))
    log = page.locator(".delivery-log")
    rows = log.locator("tbody tr[data-delivery]")
    expect(rows).to_have_count(20)
    expect(rows.first).to_have_attribute("data-delivery", str(ids[0]))
    expect(rows.first).to_have_attribute("data-status", "stored")
    expect(log.locator(".pager-range")).to_have_text("1–20")
    expect(log.get_by_role("button", name="‹ Newer")).to_be_disabled()
    log.get_by_role("button", name="Older ›").click()
    expect(log.locator(".pager-range")).to_have_text("21–40")
    expect(rows.first).to_have_attribute("data-delivery", str(ids[20]))
    log.get_by_role("button", name="Older ›").click()
    expect(rows).to_have_count(5)
    expect(log.locator(".pager-range")).to_have_text("41–45")
    expect(rows.last).to_have_attribute("data-delivery", str(ids[44]))
    expect(log.get_by_role("button", name="Older ›")).to_be_disabled()
    rows.first.get_by_role("button").click()
    expect(log.locator(".delivery-details")).to_contain_text("Report template")
    page.screenshot(path=str(SCREENSHOTS / "automation-log-paging.png"), full_page=True)
    log.get_by_role("button", name="‹ Newer").click()
    expect(log.locator(".pager-range")).to_have_text("21–40")


def test_failures_show_in_the_log_and_automations_are_deleted(
    ui_server: UiServer, page: Any, entity: str, receiver: Receiver
) -> None:
    receiver.plan["/down"] = [500]
    page.goto(ui_server.url(f"/{entity}/automations"))
    page.get_by_role("button", name="New automation").click()
    form = page.locator(".automation-form")
    fill_webhook(form, "down", receiver.url("/down"))
    form.get_by_label("Retries").fill("0")
    form.get_by_role("button", name="Create automation").click()
    row = page.locator('tr[data-automation="down"]')
    expect(row).to_be_visible()
    move_alias(ui_server, entity, "production", 0)

    delivery = page.locator(".delivery-log tbody tr[data-delivery]")
    expect(delivery).to_have_attribute("data-status", "failed", timeout=20_000)
    expect(delivery.locator(".response-code")).to_have_text("500")
    expect(delivery.locator(".error-text")).to_have_text("HTTP 500: ok")
    expect(row.locator(".last-delivery [data-status]")).to_have_text("failed", timeout=10_000)
    page.screenshot(path=str(SCREENSHOTS / "automation-failed-delivery.png"), full_page=True)

    row.get_by_role("button", name="Delete down").click()
    row.get_by_role("button", name="Keep").click()
    expect(row).to_be_visible()
    row.get_by_role("button", name="Delete down").click()
    row.get_by_role("button", name="Confirm delete down").click()
    expect(row).to_have_count(0)
    expect(page.locator(".delivery-log")).to_have_count(0)
    assert ui_server.store.list_automations(entity) == []


def test_the_form_names_what_is_wrong(
    ui_server: UiServer, page: Any, refusals: list[int], entity: str
) -> None:
    page.goto(ui_server.url(f"/{entity}/automations"))
    page.get_by_role("button", name="New automation").click()
    form = page.locator(".automation-form")
    alert = form.get_by_role("alert")
    fill_webhook(form, "bad", "ftp://example.invalid/hook")
    form.get_by_role("button", name="Create automation").click()
    expect(alert).to_contain_text("must start with http:// or https://")
    form.get_by_label("Webhook URL").fill("http://127.0.0.1:9/hook")
    form.get_by_label("Payload template").fill('{"text": ')
    form.get_by_role("button", name="Create automation").click()
    expect(alert).to_contain_text("payload template is not valid JSON")
    form.get_by_label("Payload template").fill("")
    form.get_by_label("Webhook headers").fill("no colon here")
    form.get_by_role("button", name="Create automation").click()
    expect(alert).to_contain_text('Header line 1 ("no colon here") is not "Name: value"')
    form.get_by_label("Webhook headers").fill("")

    form.get_by_label("Event").select_option("run_metric")
    form.get_by_label("Metric key").fill("val/accuracy")
    form.get_by_label("Metric threshold").fill("0.9")
    form.get_by_role("button", name="Create automation").click()
    row = page.locator('tr[data-automation="bad"]')
    expect(row.locator(".trigger")).to_have_text("run_metric · val/accuracy >= 0.9")

    page.get_by_role("button", name="New automation").click()  # the server's refusal shows
    fill_webhook(form, "bad", "http://127.0.0.1:9/hook")
    form.get_by_role("button", name="Create automation").click()
    expect(alert).to_contain_text("automation 'bad' already exists")
    assert refusals == [409]  # the one request the server refused
