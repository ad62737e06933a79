// An entity's registries, each with its collections (name, the model card's first
// line, tags, version count, last update), a search over them, and a form to create
// a collection (in a new registry too: the registry is made with it).
import { html, render, useEffect, useState } from "../../vendor/preact-htm.js";
import { api } from "../lib/api.js";
import { fmtAgo, fmtTime } from "../lib/format.js";
import { markdownSummary } from "../lib/safe-markdown.js";
import { createStore, useStore } from "../lib/store.js";
import { Empty, ErrorBox, SearchBox, pageParams } from "../components/common.js";

const { root, entity } = pageParams();
const enc = encodeURIComponent;
const store = createStore({ registries: null, collections: {}, error: null, made: null });

async function load() {
  try {
    const { registries } = await api.get(`/registries/${enc(entity)}`);
    const lists = await Promise.all(registries.map((r) => api.get(`/registries/${enc(entity)}/${enc(r.name)}/collections`)));
    store.set({ registries, collections: Object.fromEntries(registries.map((r, k) => [r.name, lists[k].collections])), error: null });
  } catch (error) {
    store.set({ error });
  }
}

const collectionHref = (registry, name) => `/${enc(entity)}/registry/${enc(registry)}/${enc(name)}`;

function CreateCollection({ registries }) {
  const [open, setOpen] = useState(false);
  const [registry, setRegistry] = useState("model");
  const [name, setName] = useState("");
  const [tags, setTags] = useState("");
  const [card, setCard] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  if (!open) return html`<button type="button" class="primary" onClick=${() => setOpen(true)}>New collection</button>`;

  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = {
        name: name.trim(),
        description: card.trim() ? card : null,
        tags: tags.split(",").map((t) => t.trim()).filter(Boolean),
      };
      const target = registry.trim() || "model";
      await api.post(`/registries/${enc(entity)}/${enc(target)}/collections`, body);
      store.set({ made: `${target}/${body.name}` });
      setName("");
      setTags("");
      setCard("");
      setOpen(false);
      await load();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`<form class="panel create-collection" onSubmit=${submit}>
    <h2>New collection</h2>
    <div class="form-grid">
      <label>Registry
        <input list="registry-names" aria-label="Registry" value=${registry} onInput=${(e) => setRegistry(e.currentTarget.value)} />
        <datalist id="registry-names">${registries.map((r) => html`<option key=${r.name} value=${r.name} />`)}</datalist>
      </label>
      <label>Name <input aria-label="Collection name" placeholder="digits-cnn" required value=${name} onInput=${(e) => setName(e.currentTarget.value)} /></label>
      <label>Tags <input aria-label="Collection tags" placeholder="vision, mnist" value=${tags} onInput=${(e) => setTags(e.currentTarget.value)} /></label>
    </div>
    <label class="card-label">Model card (markdown)
      <textarea aria-label="Model card" rows="6" placeholder="# Digits CNN&#10;What the model does, its data, its metrics." value=${card} onInput=${(e) => setCard(e.currentTarget.value)}></textarea>
    </label>
    <div class="form-buttons">
      <button type="submit" class="primary" disabled=${busy || !name.trim()}>Create</button>
      <button type="button" disabled=${busy} onClick=${() => (setOpen(false), setError(null))}>Cancel</button>
    </div>
    <${ErrorBox} error=${error} />
  </form>`;
}

function Collections({ registry, collections, needle, made }) {
  const shown = collections.filter(
    (c) => !needle || c.name.toLowerCase().includes(needle) || c.tags.some((t) => t.toLowerCase().includes(needle)) || (c.description || "").toLowerCase().includes(needle),
  );
  if (collections.length === 0) return html`<p class="muted">No collections yet.</p>`;
  if (shown.length === 0) return html`<p class="muted">No collection matches.</p>`;
  return html`<table class="grid collections">
    <thead><tr><th>Collection</th><th>Description</th><th>Tags</th><th class="num">Versions</th><th>Updated</th></tr></thead>
    <tbody>
      ${shown.map(
        (c) => html`<tr key=${c.name} data-collection=${c.name} class=${made === `${registry}/${c.name}` ? "chosen" : ""}>
          <td><a href=${collectionHref(registry, c.name)}>${c.name}</a></td>
          <td class="summary">${markdownSummary(c.description) || html`<span class="muted">No model card.</span>`}</td>
          <td>${c.tags.map((t) => html`<span key=${t} class="chip tag small">${t}</span>`)}</td>
          <td class="num">${c.version_count}</td>
          <td title=${fmtTime(c.updated_at)}>${fmtAgo(c.updated_at)}</td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}

function RegistryPage() {
  const { registries, collections, error, made } = useStore(store);
  const [query, setQuery] = useState("");
  useEffect(() => {
    load();
  }, []);
  if (registries === null)
    return html`<section class="page registry-page"><${ErrorBox} error=${error} />${!error && html`<p class="muted">Loading…</p>`}</section>`;
  const needle = query.trim().toLowerCase();
  const total = Object.values(collections).reduce((n, list) => n + list.length, 0);
  return html`<section class="page registry-page">
    <div class="page-head">
      <h1>Registry</h1>
      <span class="muted">${entity}: ${registries.length} registr${registries.length === 1 ? "y" : "ies"}, ${total} collection${total === 1 ? "" : "s"}</span>
      <${SearchBox} value=${query} onInput=${setQuery} placeholder="Search collections" />
      <${CreateCollection} registries=${registries} />
    </div>
    <${ErrorBox} error=${error} />
    ${total === 0 &&
    html`<${Empty}>No registered models yet. Link one with <code>run.link_model("model.pt", "digits-cnn")</code>, from an artifact version's page, or create a collection here.<//>`}
    ${registries.map(
      (r) => html`<section key=${r.name} class="registry-section" id=${r.name} data-registry=${r.name}>
        <h2>${r.name} <span class="muted">registry</span></h2>
        ${r.description && html`<p class="muted">${r.description}</p>`}
        <${Collections} registry=${r.name} collections=${collections[r.name] || []} needle=${needle} made=${made} />
      </section>`,
    )}
  </section>`;
}

render(html`<${RegistryPage} />`, root);
