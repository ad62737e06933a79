"""The registry pages: an entity's registries and collections, a collection (model card,
versions with editable aliases, promotion rules, alias history, lineage), and linking an
artifact version into a collection from its page.

Each test seeds its own entity into the live server's database: two runs of ``digits``
(``weak``, val/accuracy 0.91, and ``strong``, 0.97) each log a version of the ``cnn``
model, an ``eval`` run uses v1, and both versions are linked into ``digits-cnn``, whose
``production`` alias requires val/accuracy >= 0.95.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from heron.artifacts.entities import ManifestEntry
from heron.entities import RunKey
from tests.ui.conftest import SCREENSHOTS, UiServer

CARD = """# Digits CNN

Trained on **MNIST** with `torch`; see [the paper](https://example.org/paper).

| metric | value |
|---|--:|
| accuracy | 0.97 |

- small
- fast

<script>window.__pwned = 1</script> [click me](javascript:window.__pwned=2)
"""


@pytest.fixture
def seeded(ui_server: UiServer) -> dict[str, Any]:
    store = ui_server.store
    entity = f"r{uuid.uuid4().hex[:8]}"
    runs: dict[str, RunKey] = {}
    for name, accuracy in (("weak", 0.91), ("strong", 0.97)):
        runs[name] = ui_server.seed(
            "digits", name, entity=entity, job_type="train", summary={"val/accuracy": accuracy}
        )
        content = f"weights of {name}".encode()
        entry = ManifestEntry("model.pt", store.blobs.put(content), len(content))
        store.log_artifact(entity, "digits", "cnn", "model", [entry], run=runs[name])
    runs["eval"] = ui_server.seed("digits", "eval", entity=entity, job_type="eval")
    store.use_artifact(runs["eval"], entity, "digits", "cnn", "v1")
    store.create_collection(entity, "model", "digits-cnn", description=CARD, tags=["vision"])
    store.link_version(
        entity, "model", "digits-cnn", entity, "digits", "cnn", "v0", actor="user:alice"
    )
    store.link_version(
        entity,
        "model",
        "digits-cnn",
        entity,
        "digits",
        "cnn",
        "v1",
        aliases=["staging"],
        actor="user:alice",
    )
    store.set_alias_rule(
        entity,
        "model",
        "digits-cnn",
        "production",
        {"metric": "val/accuracy", "op": ">=", "value": 0.95},
    )
    return {"entity": entity, "runs": runs, "base": f"/{entity}/registry/model/digits-cnn"}


def test_registry_page_lists_collections_and_creates_one(
    ui_server: UiServer, page: Any, refusals: list[int], seeded: dict[str, Any]
) -> None:
    entity = seeded["entity"]
    page.goto(ui_server.url(f"/{entity}/digits"))  # the project's tabs lead to the registry
    page.locator(".tab-link", has_text="Registry").click()
    expect(page).to_have_url(ui_server.url(f"/{entity}/registry"))
    expect(page.locator(".tab-link.active")).to_have_text("Registry")

    row = page.locator('[data-registry="model"] [data-collection="digits-cnn"]')
    expect(row.locator("td.summary")).to_have_text("Digits CNN")
    expect(row.locator(".chip.tag")).to_have_text(["vision"])
    expect(row.locator("td.num")).to_have_text("2")

    page.get_by_role("button", name="New collection").click()
    form = page.locator(".create-collection")
    form.get_by_label("Registry").fill("experiments")  # a new registry comes with it
    form.get_by_label("Collection name").fill("tiny-mlp")
    form.get_by_label("Collection tags").fill("tabular, small")
    form.get_by_label("Model card").fill("## Tiny MLP\nA baseline.")
    form.get_by_role("button", name="Create").click()
    made = page.locator('[data-registry="experiments"] [data-collection="tiny-mlp"]')
    expect(made.locator("td.summary")).to_have_text("Tiny MLP")
    expect(made.locator(".chip.tag")).to_have_text(["tabular", "small"])
    expect(made.locator("td.num")).to_have_text("0")
    info = ui_server.store.get_collection(entity, "experiments", "tiny-mlp")
    assert (info.tags, info.description) == (["tabular", "small"], "## Tiny MLP\nA baseline.")

    page.get_by_role("button", name="New collection").click()  # a taken name says so
    form.get_by_label("Registry").fill("model")
    form.get_by_label("Collection name").fill("digits-cnn")
    form.get_by_role("button", name="Create").click()
    expect(form.get_by_role("alert")).to_contain_text("already exists")
    assert refusals == [409]
    form.get_by_role("button", name="Cancel").click()

    page.get_by_label("Search collections").fill("tabular")
    expect(page.locator("[data-collection]")).to_have_count(1)
    page.get_by_label("Search collections").fill("")
    page.screenshot(path=str(SCREENSHOTS / "registry-page.png"), full_page=True)

    row.get_by_role("link", name="digits-cnn").click()
    expect(page).to_have_url(ui_server.url(seeded["base"]))
    expect(page.locator(".collection-title")).to_have_text("digits-cnn")


def test_collection_page_shows_card_versions_rules_history_and_lineage(
    ui_server: UiServer, page: Any, seeded: dict[str, Any]
) -> None:
    entity, runs = seeded["entity"], seeded["runs"]
    page.goto(ui_server.url(seeded["base"]))
    card = page.locator(".model-card .markdown")
    expect(card.locator("h2")).to_have_text("Digits CNN")
    expect(card.locator("strong")).to_have_text("MNIST")
    expect(card.locator("code")).to_have_text("torch")
    expect(card.get_by_role("link", name="the paper")).to_have_attribute(
        "href", "https://example.org/paper"
    )
    expect(card.locator("table.md-table td")).to_have_text(["accuracy", "0.97"])
    expect(card.locator("li")).to_have_text(["small", "fast"])
    # Markup in the card is text: no script element, no javascript: link.
    expect(card).to_contain_text("<script>window.__pwned = 1</script>")
    expect(card.locator("script")).to_have_count(0)
    expect(card.locator("a", has_text="click me")).to_have_count(0)
    assert page.evaluate("window.__pwned") is None

    rows = page.locator(".linked-versions tbody tr")
    expect(rows).to_have_count(2)
    v1 = page.locator('.linked-versions tr[data-version="v1"]')
    expect(v1.locator(".alias-editor")).to_have_attribute("data-aliases", "latest,staging")
    expect(v1.locator(".source-link")).to_have_text(f"{entity}/digits/cnn:v1")
    expect(v1.locator(".source-link")).to_have_attribute(
        "href", f"/{entity}/digits/artifacts/model/cnn/v1"
    )
    expect(v1).to_contain_text(runs["strong"].path)
    expect(v1).to_contain_text("by user:alice")

    rule = page.locator('.promotion-rules [data-rule="production"]')
    expect(rule).to_contain_text("summary val/accuracy >= 0.95")

    history = page.locator(".alias-history tbody tr")
    expect(history).to_have_count(3)  # latest → v0, latest v0 → v1, staging → v1
    expect(history.first).to_contain_text("staging")
    expect(history.first.locator(".change")).to_have_text("none → v1")
    expect(history.first).to_contain_text("user:alice")

    # The lineage shown is the chosen version's (latest first): its run and the eval run.
    graph = page.locator(".lineage")
    here = f"{entity}/digits/cnn:v1"
    expect(graph.locator(f'[data-node="{here}"]')).to_have_class("lineage-node artifact current")
    expect(graph.locator(f'[data-node="{runs["strong"].path}"]')).to_be_visible()
    expect(graph.locator(f'[data-node="{runs["eval"].path}"]')).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "collection-page.png"), full_page=True)

    page.locator('.linked-versions tr[data-version="v0"] .version-pick').click()
    expect(page).to_have_url(ui_server.url(seeded["base"] + "#v0"))
    expect(page.locator('.linked-versions tr[data-version="v0"]')).to_have_class("chosen")
    v0 = f"{entity}/digits/cnn:v0"
    expect(graph.locator(f'[data-node="{v0}"]')).to_have_class("lineage-node artifact current")
    expect(graph.locator(f'[data-node="{runs["weak"].path}"]')).to_be_visible()
    expect(graph.locator(f'[data-node="{runs["eval"].path}"]')).to_have_count(0)

    page.reload()  # the choice is in the URL
    expect(graph.locator(f'[data-node="{v0}"]')).to_have_class("lineage-node artifact current")
    v1.locator(".source-link").click()
    expect(page.locator(".artifact-title")).to_have_text("cnn:v1")


def test_aliases_are_added_moved_and_removed_and_the_history_shows_it(
    ui_server: UiServer, page: Any, seeded: dict[str, Any]
) -> None:
    entity = seeded["entity"]
    page.goto(ui_server.url(seeded["base"]))
    v0 = page.locator('.linked-versions tr[data-version="v0"]')
    v1 = page.locator('.linked-versions tr[data-version="v1"]')
    v0.get_by_label("New alias").fill("candidate")
    v0.get_by_role("button", name="Add").click()
    expect(v0.locator(".alias-editor")).to_have_attribute("data-aliases", "candidate")

    v1.get_by_label("New alias").fill("candidate")  # moves it off v0
    v1.get_by_role("button", name="Add").click()
    expect(v1.locator(".alias-editor")).to_have_attribute(
        "data-aliases", "candidate,latest,staging"
    )
    expect(v0.locator(".alias-editor")).to_have_attribute("data-aliases", "")

    v1.get_by_role("button", name="Remove alias staging").click()
    expect(v1.locator(".alias-editor")).to_have_attribute("data-aliases", "candidate,latest")

    history = page.locator(".alias-history tbody tr")
    expect(history).to_have_count(6)
    expect(history.nth(0).locator(".change")).to_have_text("v1 → none")
    expect(history.nth(0)).to_contain_text("staging")
    expect(history.nth(1).locator(".change")).to_have_text("v0 → v1")
    expect(history.nth(1)).to_contain_text("candidate")
    expect(history.nth(2).locator(".change")).to_have_text("none → v0")
    for k in range(3):
        expect(history.nth(k)).to_contain_text("dashboard")
    page.screenshot(path=str(SCREENSHOTS / "collection-aliases.png"), full_page=True)

    changes = ui_server.store.alias_history(entity, "model", "digits-cnn")
    assert [(c.alias, c.from_version, c.to_version, c.actor) for c in changes[-3:]] == [
        ("candidate", None, 0, "dashboard"),
        ("candidate", 0, 1, "dashboard"),
        ("staging", 1, None, "dashboard"),
    ]
    page.reload()
    expect(v1.locator(".alias-editor")).to_have_attribute("data-aliases", "candidate,latest")


def test_a_promotion_rule_refusal_shows_its_reason_and_rules_are_edited(
    ui_server: UiServer, page: Any, refusals: list[int], seeded: dict[str, Any]
) -> None:
    entity, weak = seeded["entity"], seeded["runs"]["weak"]
    page.goto(ui_server.url(seeded["base"]))
    v0 = page.locator('.linked-versions tr[data-version="v0"]')
    v0.get_by_label("New alias").fill("production")
    v0.get_by_role("button", name="Add").click()
    alert = v0.get_by_role("alert")
    expect(alert).to_contain_text(
        f"alias 'production' requires summary 'val/accuracy' >= 0.95, but run {weak.path} has 0.91"
    )
    expect(v0.locator(".alias-editor")).to_have_attribute("data-aliases", "")
    assert refusals == [400]
    page.screenshot(path=str(SCREENSHOTS / "collection-rule-refusal.png"), full_page=True)

    v1 = page.locator('.linked-versions tr[data-version="v1"]')
    v1.get_by_label("New alias").fill("production")
    v1.get_by_role("button", name="Add").click()
    expect(v1.locator(".alias-editor")).to_have_attribute(
        "data-aliases", "latest,production,staging"
    )

    rules = page.locator(".promotion-rules")
    rules.get_by_label("Rule alias").fill("staging")
    rules.get_by_label("Rule metric").fill("val/accuracy")
    rules.get_by_label("Rule operator").select_option(">")
    rules.get_by_label("Rule value").fill("0.99")
    rules.get_by_role("button", name="Set rule").click()
    expect(rules.locator('[data-rule="staging"]')).to_contain_text("summary val/accuracy > 0.99")
    info = ui_server.store.get_collection(entity, "model", "digits-cnn")
    assert info.rules["staging"] == {"metric": "val/accuracy", "op": ">", "value": 0.99}

    rules.get_by_label("Rule alias").fill("best")
    rules.get_by_label("Rule metric").fill("val/accuracy")
    rules.get_by_label("Rule value").fill("high")
    rules.get_by_role("button", name="Set rule").click()
    expect(rules.get_by_role("alert")).to_contain_text('must be a number, not "high"')

    rules.get_by_role("button", name="Remove rule production").click()
    expect(rules.locator("[data-rule]")).to_have_count(1)
    assert set(ui_server.store.get_collection(entity, "model", "digits-cnn").rules) == {"staging"}
    v0.get_by_label("New alias").fill("production")  # no rule now: v0 may take it
    v0.get_by_role("button", name="Add").click()
    expect(v0.locator(".alias-editor")).to_have_attribute("data-aliases", "production")


def test_model_card_and_tags_are_edited(
    ui_server: UiServer, page: Any, seeded: dict[str, Any]
) -> None:
    page.goto(ui_server.url(seeded["base"]))
    card = page.locator(".model-card")
    card.get_by_role("button", name="Edit").click()
    card.get_by_label("Model card (markdown)").fill("# Digits CNN v2\n\n*Retrained* weekly.")
    card.get_by_role("button", name="Save").click()
    expect(card.locator(".markdown h2")).to_have_text("Digits CNN v2")
    expect(card.locator(".markdown em")).to_have_text("Retrained")

    page.get_by_label("Add a tag").fill("production-ready")
    page.get_by_label("Add a tag").press("Enter")
    expect(page.locator(".tags-editor .chip")).to_have_count(2)
    page.get_by_role("button", name="Remove tag vision").click()
    expect(page.locator(".tags-editor .chip")).to_have_count(1)
    expect(page.locator(".tags-editor .chip")).to_have_attribute("data-tag", "production-ready")
    info = ui_server.store.get_collection(seeded["entity"], "model", "digits-cnn")
    assert info.tags == ["production-ready"]
    assert info.description == "# Digits CNN v2\n\n*Retrained* weekly."


def test_an_artifact_version_is_linked_from_its_page(
    ui_server: UiServer, page: Any, refusals: list[int], seeded: dict[str, Any]
) -> None:
    entity = seeded["entity"]
    page.goto(ui_server.url(f"/{entity}/digits/artifacts/model/cnn/v1"))
    panel = page.locator(".link-registry")
    panel.get_by_role("button", name="Link to registry").click()
    expect(panel.get_by_label("Registry")).to_have_value("model")
    panel.get_by_label("Collection").fill("mnist-prod")
    panel.get_by_label("Link aliases").fill("candidate, production")
    panel.get_by_role("button", name="Link").click()
    note = panel.get_by_role("status")
    expect(note).to_contain_text("Linked as model/mnist-prod v0")
    page.screenshot(path=str(SCREENSHOTS / "artifact-link-to-registry.png"), full_page=True)
    linked = ui_server.store.get_linked_version(entity, "model", "mnist-prod", "production")
    assert linked.source.qualified_name == f"{entity}/digits/cnn:v1"
    assert [c.actor for c in ui_server.store.alias_history(entity, "model", "mnist-prod")] == [
        "dashboard"
    ] * 3

    # A rule that refuses an alias refuses the whole link, with its reason.
    page.goto(ui_server.url(f"/{entity}/digits/artifacts/model/cnn/v0"))
    panel.get_by_role("button", name="Link to registry").click()
    panel.get_by_label("Collection").fill("digits-cnn")
    panel.get_by_label("Link aliases").fill("production")
    panel.get_by_role("button", name="Link").click()
    expect(panel.get_by_role("alert")).to_contain_text("requires summary 'val/accuracy' >= 0.95")
    expect(panel.get_by_role("status")).to_have_count(0)
    assert refusals == [400]

    page.goto(ui_server.url(f"/{entity}/digits/artifacts/model/cnn/v1"))
    panel.get_by_role("button", name="Link to registry").click()
    panel.get_by_label("Collection").fill("mnist-prod")
    panel.get_by_label("Link aliases").fill("v3")
    panel.get_by_role("button", name="Link").click()
    expect(panel.get_by_role("alert")).to_contain_text("collides with version names")
    panel.get_by_label("Link aliases").fill("")
    panel.get_by_role("button", name="Link").click()  # already linked: keeps its number
    expect(note).to_contain_text("Linked as model/mnist-prod v0")
    note.get_by_role("link").click()
    expect(page).to_have_url(ui_server.url(f"/{entity}/registry/model/mnist-prod#v0"))
    expect(page.locator('.linked-versions tr[data-version="v0"] .alias-editor')).to_have_attribute(
        "data-aliases", "candidate,latest,production"
    )


def test_projects_page_links_to_the_entity_pages(
    ui_server: UiServer, page: Any, seeded: dict[str, Any]
) -> None:
    entity = seeded["entity"]
    page.goto(ui_server.url("/"))
    row = page.locator("tr", has=page.locator(f'a[href="/{entity}/digits"]'))
    row.get_by_role("link", name="automations").click()
    expect(page).to_have_url(ui_server.url(f"/{entity}/automations"))
    page.go_back()
    row.get_by_role("link", name="registry").click()
    expect(page).to_have_url(ui_server.url(f"/{entity}/registry"))


def test_unknown_collections_are_readable_404s(ui_server: UiServer, seeded: dict[str, Any]) -> None:
    # Fetched without the browser: Chromium logs every 404 document as a console error.
    entity = seeded["entity"]
    back = f'href="/{entity}/registry"'
    for path, text, link in [
        (f"/{entity}/registry/model/nope", "no collection nope in the model registry", back),
        (f"/{entity}/registry/other/digits-cnn", "no collection digits-cnn in the other", back),
        (f"/{entity}/registry/model/bad%20name", "no collection bad name", back),
    ]:
        response = httpx.get(ui_server.url(path))
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")
        assert text in response.text and link in response.text
    assert httpx.get(ui_server.url("/api/registry")).status_code == 404
    for path in (f"/{entity}/registry", f"/{entity}/automations"):
        response = httpx.get(ui_server.url(path))
        assert response.status_code == 200 and f'data-entity="{entity}"' in response.text
