// One artifact version: what it is (metadata, description, aliases, size), how to
// use it (the SDK snippet), its files with previews and downloads, the other
// versions of the artifact, and its lineage as a graph of runs and versions.
import { html, render, useEffect } from "../../vendor/preact-htm.js";
import { api } from "../lib/api.js";
import { fmtAgo, fmtTime } from "../lib/format.js";
import { createStore, useStore } from "../lib/store.js";
import { ErrorBox, Swatch, pageParams } from "../components/common.js";
import { AliasEditor } from "../components/alias-editor.js";
import { ArtifactFiles } from "../components/artifact-files.js";
import { KeyValueTable } from "../components/kv-table.js";
import { LineageGraph } from "../components/lineage-graph.js";
import { LinkToRegistry } from "../components/link-to-registry.js";
import { fmtBytes } from "../components/run-files.js";

const LINEAGE_DEPTH = 4;

const { root, entity, project, artifactType, artifactName, version: ref } = pageParams();
const enc = encodeURIComponent;
const artifactPath = `/projects/${enc(entity)}/${enc(project)}/artifacts/${enc(artifactName)}`;
const store = createStore({ version: null, entries: null, lineage: null, versions: null, error: null });

const versionHref = (v) => `/${[v.entity, v.project, "artifacts", v.type, v.name, "v" + v.version].map(enc).join("/")}`;

async function load() {
  try {
    const version = await api.get(`${artifactPath}/versions/${enc(ref)}`);
    store.set({ version, error: null });
    const at = `${artifactPath}/versions/v${version.version}`;
    const [manifest, lineage, versions] = await Promise.all([
      api.get(at + "/manifest"),
      api.get(at + "/lineage", { depth: LINEAGE_DEPTH, direction: "both" }),
      api.get(artifactPath + "/versions"),
    ]);
    store.set({ entries: manifest.entries, lineage, versions: versions.versions });
  } catch (error) {
    store.set({ error });
  }
}

/** Aliases move between versions, so after a change every version's list is read again. */
async function reloadAliases() {
  const { version } = store.get();
  const [fresh, versions] = await Promise.all([
    api.get(`${artifactPath}/versions/v${version.version}`),
    api.get(artifactPath + "/versions"),
  ]);
  store.set({ version: fresh, versions: versions.versions });
}

async function addAlias(alias) {
  await api.put(`${artifactPath}/aliases/${enc(alias)}`, { version: store.get().version.version });
  await reloadAliases();
}

async function removeAlias(alias) {
  await api.del(`${artifactPath}/aliases/${enc(alias)}`);
  await reloadAliases();
}

function CreatedBy({ path }) {
  if (!path) return html`<span class="muted">not logged by a run</span>`;
  const [e, p, runId] = path.split("/");
  return html`<a class="run-link" href=${`/${enc(e)}/${enc(p)}/runs/${enc(runId)}`}><${Swatch} runId=${runId} />${path}</a>`;
}

function Usage({ version }) {
  const snippet = `run.use_artifact("${version.entity}/${version.project}/${version.name}:v${version.version}")`;
  const copy = () => navigator.clipboard && navigator.clipboard.writeText(snippet).catch(() => {});
  return html`<div class="panel usage">
    <div class="section-head"><h2>Usage</h2><button type="button" onClick=${copy}>Copy</button></div>
    <pre class="usage-snippet">${snippet}</pre>
    <p class="muted">Then <code>.download()</code> for the files, checked against their digests.</p>
  </div>`;
}

function Versions({ versions, current }) {
  if (!versions) return null;
  return html`<div class="panel versions-list">
    <h2>Versions</h2>
    <table class="grid">
      <tbody>
        ${[...versions].reverse().map(
          (v) => html`<tr key=${v.version} class=${v.version === current ? "chosen" : ""} data-version=${"v" + v.version}>
            <td><a href=${versionHref(v)}>v${v.version}</a></td>
            <td>${v.aliases.map((a) => html`<span key=${a} class="chip alias small">${a}</span>`)}</td>
            <td class="num">${fmtBytes(v.size)}</td>
            <td title=${fmtTime(v.created_at)}>${fmtAgo(v.created_at)}</td>
          </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

function ArtifactPage() {
  const { version, entries, lineage, versions, error } = useStore(store);
  useEffect(() => {
    load();
  }, []);
  if (!version) {
    return html`<section class="page artifact-page"><${ErrorBox} error=${error} />${!error && html`<p class="muted">Loading…</p>`}</section>`;
  }
  const current = `${version.entity}/${version.project}/${version.name}:v${version.version}`;
  return html`<section class="page artifact-page">
    <div class="page-head">
      <h1 class="artifact-title">${version.name}<span class="muted">:v${version.version}</span></h1>
      <span class="type-badge">${artifactType}</span>
      <span class="muted">${version.file_count} files · ${fmtBytes(version.size)} · logged ${fmtAgo(version.created_at)}</span>
    </div>
    <${ErrorBox} error=${error} />
    <div class="artifact-grid">
      <div class="artifact-main">
        <div class="panel about">
          <table class="grid fields">
            <tbody>
              <tr><th>Description</th><td class="description">${version.description || html`<span class="muted">No description.</span>`}</td></tr>
              <tr><th>Logged by</th><td><${CreatedBy} path=${version.created_by} /></td></tr>
              <tr><th>Created</th><td>${fmtTime(version.created_at)}</td></tr>
              <tr><th>Digest</th><td class="mono">${version.digest}</td></tr>
              <tr><th>Aliases</th><td><${AliasEditor} aliases=${version.aliases} onAdd=${addAlias} onRemove=${removeAlias} /></td></tr>
            </tbody>
          </table>
        </div>
        <${KeyValueTable} title="Metadata" name="metadata" data=${version.metadata} />
      </div>
      <div class="artifact-side">
        <${Usage} version=${version} />
        <${LinkToRegistry} version=${version} />
        <${Versions} versions=${versions} current=${version.version} />
      </div>
    </div>
    <h2>Files</h2>
    ${entries ? html`<${ArtifactFiles} entries=${entries} name=${version.name} />` : html`<p class="muted">Loading…</p>`}
    <h2>Lineage</h2>
    ${lineage ? html`<${LineageGraph} data=${lineage} current=${current} />` : html`<p class="muted">Loading…</p>`}
  </section>`;
}

render(html`<${ArtifactPage} />`, root);
