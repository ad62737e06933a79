// One registry collection: the model card (markdown, editable), tags, how to use it,
// the linked versions with their aliases (add, move, remove: a promotion rule's
// refusal shows its reason), the promotion rules, the alias history, and the lineage
// of the chosen version (the URL hash, #v2, so it can be linked).
import { html, render, useEffect } from "../../vendor/preact-htm.js";
import { api } from "../lib/api.js";
import { fmtAgo, fmtTime } from "../lib/format.js";
import { createStore, useStore } from "../lib/store.js";
import { Empty, ErrorBox, Swatch, pageParams } from "../components/common.js";
import { AliasEditor } from "../components/alias-editor.js";
import { LineageGraph } from "../components/lineage-graph.js";
import { ModelCard } from "../components/model-card.js";
import { PromotionRules } from "../components/promotion-rules.js";
import { TagsEditor } from "../components/tags-editor.js";

const LINEAGE_DEPTH = 4;
// Who changed an alias, when no API key says so: the dashboard (there are no sign-ins yet).
const ACTOR = "dashboard";

const { root, entity, registry, collection } = pageParams();
const enc = encodeURIComponent;
const base = `/registries/${enc(entity)}/${enc(registry)}/collections/${enc(collection)}`;
const store = createStore({ info: null, versions: null, history: null, chosen: null, lineage: null, error: null });

const sourceName = (s) => `${s.entity}/${s.project}/${s.name}:v${s.version}`;
const sourceHref = (s) => `/${[s.entity, s.project, "artifacts", s.type, s.name, "v" + s.version].map(enc).join("/")}`;
const runHref = (path) => {
  const [e, p, id] = path.split("/");
  return `/${enc(e)}/${enc(p)}/runs/${enc(id)}`;
};

function wantedVersion(versions) {
  const m = /^#v(\d+)$/.exec(window.location.hash);
  const asked = m && versions.find((v) => v.version === Number(m[1]));
  return asked || versions.find((v) => v.aliases.includes("latest")) || versions[versions.length - 1] || null;
}

async function load() {
  try {
    const [info, { versions }, { changes }] = await Promise.all([
      api.get(base),
      api.get(base + "/versions"),
      api.get(base + "/alias-history"),
    ]);
    store.set({ info, versions, history: changes, error: null });
    await choose(wantedVersion(versions));
  } catch (error) {
    store.set({ error });
  }
}

async function choose(version) {
  store.set({ chosen: version ? version.version : null, lineage: null });
  if (!version) return;
  const s = version.source;
  const path = `/projects/${enc(s.entity)}/${enc(s.project)}/artifacts/${enc(s.name)}/versions/v${s.version}/lineage`;
  try {
    const lineage = await api.get(path, { depth: LINEAGE_DEPTH, direction: "both" });
    if (store.get().chosen === version.version) store.set({ lineage });
  } catch (error) {
    store.set({ error });
  }
}

/** After an alias change every version's list moves, and the history grows. */
async function reload() {
  const [{ versions }, { changes }] = await Promise.all([api.get(base + "/versions"), api.get(base + "/alias-history")]);
  store.set({ versions, history: changes });
}

async function addAlias(version, alias) {
  await api.put(`${base}/aliases/${enc(alias)}`, { version, actor: ACTOR });
  await reload();
}

async function removeAlias(alias) {
  await api.del(`${base}/aliases/${enc(alias)}?actor=${enc(ACTOR)}`);
  await reload();
}

async function patch(body) {
  store.set({ info: await api.patch(base, body) });
}

async function setRule(alias, rule) {
  store.set({ info: await api.put(`${base}/rules/${enc(alias)}`, rule) });
}

async function removeRule(alias) {
  store.set({ info: await api.del(`${base}/rules/${enc(alias)}`) });
}

function Usage({ info }) {
  const path = registry === "model" ? `registry/${info.name}` : `registry/${registry}/${info.name}`;
  const snippet = `run.use_model("${path}:latest")`;
  return html`<div class="panel usage">
    <h2>Usage</h2>
    <pre class="usage-snippet">${snippet}</pre>
    <p class="muted">Any alias or <code>v2</code> may take the place of <code>latest</code>; link a version from its artifact page or with <code>run.link_model(path, "${info.name}")</code>.</p>
  </div>`;
}

function Versions({ versions, chosen }) {
  if (versions.length === 0)
    return html`<${Empty}>No versions linked yet. Open an artifact version and use <b>Link to registry</b>, or call <code>artifact.link("${registry === "model" ? "" : registry + "/"}${collection}")</code>.<//>`;
  return html`<table class="grid linked-versions">
    <thead><tr><th>Version</th><th>Source artifact</th><th>Logged by</th><th>Linked</th><th>Aliases</th></tr></thead>
    <tbody>
      ${[...versions].reverse().map(
        (v) => html`<tr key=${v.version} data-version=${"v" + v.version} class=${v.version === chosen ? "chosen" : ""}>
          <td>
            <a class="version-pick" href=${"#v" + v.version} title="Show this version's lineage" onClick=${(e) => (e.preventDefault(), (window.location.hash = "v" + v.version))}>v${v.version}</a>
          </td>
          <td><a class="source-link" href=${sourceHref(v.source)}>${sourceName(v.source)}</a> <span class="type-badge">${v.source.type}</span></td>
          <td>${v.source.created_by ? html`<a class="run-link" href=${runHref(v.source.created_by)}><${Swatch} runId=${v.source.created_by.split("/")[2]} />${v.source.created_by}</a>` : html`<span class="muted">no run</span>`}</td>
          <td title=${fmtTime(v.linked_at)}>${fmtAgo(v.linked_at)}${v.linked_by ? html`<span class="muted"> by ${v.linked_by}</span>` : null}</td>
          <td class="aliases-cell"><${AliasEditor} aliases=${v.aliases} onAdd=${(alias) => addAlias(v.version, alias)} onRemove=${removeAlias} /></td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}

const versionLabel = (n) => (n === null || n === undefined ? html`<span class="muted">none</span>` : html`<span class="mono">v${n}</span>`);

function AliasHistory({ history }) {
  if (history.length === 0) return html`<p class="muted">No alias has moved yet.</p>`;
  return html`<table class="grid alias-history">
    <thead><tr><th>When</th><th>Alias</th><th>Change</th><th>Who</th></tr></thead>
    <tbody>
      ${[...history].reverse().map(
        (c, k) => html`<tr key=${k} data-alias=${c.alias}>
          <td title=${fmtTime(c.at)}>${fmtTime(c.at)} <span class="muted">(${fmtAgo(c.at)})</span></td>
          <td><span class="chip alias small">${c.alias}</span></td>
          <td class="change">${versionLabel(c.from_version)} → ${versionLabel(c.to_version)}</td>
          <td>${c.actor || html`<span class="muted">unknown</span>`}</td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}

function CollectionPage() {
  const { info, versions, history, chosen, lineage, error } = useStore(store);
  useEffect(() => {
    load();
    const onHash = () => {
      const { versions } = store.get();
      if (versions) choose(wantedVersion(versions));
    };
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  if (!info || !versions || !history)
    return html`<section class="page collection-page"><${ErrorBox} error=${error} />${!error && html`<p class="muted">Loading…</p>`}</section>`;
  const shown = versions.find((v) => v.version === chosen);
  return html`<section class="page collection-page">
    <div class="page-head">
      <h1 class="collection-title">${info.name}</h1>
      <a class="type-badge" href=${`/${enc(entity)}/registry#${enc(registry)}`}>${registry} registry</a>
      <span class="muted">${info.version_count} version${info.version_count === 1 ? "" : "s"} · updated ${fmtAgo(info.updated_at)}</span>
    </div>
    <${ErrorBox} error=${error} />
    <div class="collection-grid">
      <div class="collection-main">
        <${ModelCard} markdown=${info.description} onSave=${(description) => patch({ description })} />
      </div>
      <div class="collection-side">
        <div class="panel"><h2>Tags</h2><${TagsEditor} tags=${info.tags} onSave=${(tags) => patch({ tags })} /></div>
        <${Usage} info=${info} />
        <${PromotionRules} rules=${info.rules} onSet=${setRule} onRemove=${removeRule} />
      </div>
    </div>
    <h2>Versions</h2>
    <${Versions} versions=${versions} chosen=${chosen} />
    ${shown &&
    html`<h2>Lineage of v${shown.version} <span class="muted">(${sourceName(shown.source)})</span></h2>
      ${lineage ? html`<${LineageGraph} data=${lineage} current=${sourceName(shown.source)} />` : html`<p class="muted">Loading…</p>`}`}
    <h2>Alias history</h2>
    <${AliasHistory} history=${history} />
  </section>`;
}

render(html`<${CollectionPage} />`, root);
