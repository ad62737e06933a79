// A project's artifacts in three columns: types, the artifacts of the chosen type
// (with version counts), and the versions of the chosen artifact, each linking to
// its version page. The choice is the URL hash (#type/name), so it can be linked.
import { html, render, useEffect } from "../../vendor/preact-htm.js";
import { api } from "../lib/api.js";
import { fmtAgo, fmtTime } from "../lib/format.js";
import { createStore, useStore } from "../lib/store.js";
import { Empty, ErrorBox, pageParams } from "../components/common.js";
import { fmtBytes } from "../components/run-files.js";

const { root, entity, project } = pageParams();
const enc = encodeURIComponent;
const projectPath = `/projects/${enc(entity)}/${enc(project)}`;
const store = createStore({ types: null, artifacts: null, versions: null, type: null, name: null, error: null });

function fromHash() {
  const [type, name] = window.location.hash.replace(/^#/, "").split("/").map(decodeURIComponent);
  return { type: type || null, name: name || null };
}

function choose(type, name = null) {
  window.location.hash = [type, name].filter(Boolean).map(enc).join("/");
}

async function loadTypes() {
  try {
    const { types } = await api.get(projectPath + "/artifact-types");
    store.set({ types, error: null });
    const wanted = fromHash();
    const type = types.some((t) => t.name === wanted.type) ? wanted.type : types.length ? types[0].name : null;
    if (type) await select(type, wanted.type === type ? wanted.name : null);
  } catch (error) {
    store.set({ error });
  }
}

async function select(type, name) {
  try {
    if (type !== store.get().type || store.get().artifacts === null) {
      store.set({ type, artifacts: null, versions: null, name: null });
      store.set({ artifacts: (await api.get(projectPath + "/artifacts", { type })).artifacts });
    }
    const known = store.get().artifacts.some((a) => a.name === name);
    store.set({ name: known ? name : null, versions: null });
    if (known) store.set({ versions: (await api.get(`${projectPath}/artifacts/${enc(name)}/versions`)).versions });
  } catch (error) {
    store.set({ error });
  }
}

const versionHref = (v) => `/${[entity, project, "artifacts", v.type, v.name, "v" + v.version].map(enc).join("/")}`;

function Column({ title, children, name }) {
  return html`<div class="panel art-column" data-column=${name}><h2>${title}</h2>${children}</div>`;
}

function ArtifactsPage() {
  const { types, artifacts, versions, type, name, error } = useStore(store);
  useEffect(() => {
    loadTypes();
    const onHash = () => {
      const wanted = fromHash();
      if (wanted.type) select(wanted.type, wanted.name);
    };
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);

  if (types === null) return html`<section class="page artifacts-page"><${ErrorBox} error=${error} />${!error && html`<p class="muted">Loading…</p>`}</section>`;
  if (types.length === 0)
    return html`<section class="page artifacts-page">
      <${Empty}>No artifacts in ${project} yet. Log one with <code>run.log_artifact(heron.Artifact("name", type="dataset"))</code>.<//>
    </section>`;
  return html`<section class="page artifacts-page">
    <div class="page-head"><h1>Artifacts</h1></div>
    <${ErrorBox} error=${error} />
    <div class="art-columns">
      <${Column} title="Types" name="types">
        <ul class="art-list">
          ${types.map(
            (t) => html`<li key=${t.name} class=${t.name === type ? "chosen" : ""} data-type=${t.name}>
              <a href=${"#" + enc(t.name)} onClick=${(e) => (e.preventDefault(), choose(t.name))}>${t.name}</a>
              <span class="muted count">${t.artifact_count}</span>
            </li>`,
          )}
        </ul>
      <//>
      <${Column} title=${type ? `Artifacts of type ${type}` : "Artifacts"} name="artifacts">
        ${artifacts === null
          ? html`<p class="muted">Loading…</p>`
          : html`<table class="grid">
              <thead><tr><th>Name</th><th class="num">Versions</th><th>Updated</th></tr></thead>
              <tbody>
                ${artifacts.map(
                  (a) => html`<tr key=${a.name} class=${a.name === name ? "chosen" : ""} data-artifact=${a.name}>
                    <td><a href=${"#" + enc(a.type) + "/" + enc(a.name)} onClick=${(e) => (e.preventDefault(), choose(a.type, a.name))}>${a.name}</a></td>
                    <td class="num">${a.version_count}</td>
                    <td title=${fmtTime(a.updated_at)}>${fmtAgo(a.updated_at)}</td>
                  </tr>`,
                )}
              </tbody>
            </table>`}
      <//>
      <${Column} title=${name ? `Versions of ${name}` : "Versions"} name="versions">
        ${!name
          ? html`<p class="muted">Choose an artifact to see its versions.</p>`
          : versions === null
            ? html`<p class="muted">Loading…</p>`
            : html`<table class="grid">
                <thead><tr><th>Version</th><th>Aliases</th><th class="num">Files</th><th class="num">Size</th><th>Logged</th></tr></thead>
                <tbody>
                  ${[...versions].reverse().map(
                    (v) => html`<tr key=${v.version} data-version=${"v" + v.version}>
                      <td><a href=${versionHref(v)}>v${v.version}</a></td>
                      <td>${v.aliases.map((a) => html`<span key=${a} class="chip alias small">${a}</span>`)}</td>
                      <td class="num">${v.file_count}</td>
                      <td class="num">${fmtBytes(v.size)}</td>
                      <td title=${fmtTime(v.created_at)}>${fmtAgo(v.created_at)}</td>
                    </tr>`,
                  )}
                </tbody>
              </table>`}
      <//>
    </div>
  </section>`;
}

render(html`<${ArtifactsPage} />`, root);
