// "Link to registry" on an artifact version's page: pick a registry and a collection
// (an unknown name makes a new one), give aliases, and link; a promotion rule that
// refuses an alias refuses the link, and its reason is shown.
import { html, useEffect, useState } from "../../vendor/preact-htm.js";
import { api } from "../lib/api.js";
import { aliasProblem } from "./alias-editor.js";
import { ErrorBox } from "./common.js";

const enc = encodeURIComponent;
const ACTOR = "dashboard";

export function LinkToRegistry({ version }) {
  const [open, setOpen] = useState(false);
  const [registries, setRegistries] = useState(null);
  const [registry, setRegistry] = useState("model");
  const [collections, setCollections] = useState([]);
  const [collection, setCollection] = useState(version.name);
  const [aliases, setAliases] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [linked, setLinked] = useState(null);
  const entity = version.entity;

  useEffect(() => {
    if (!open || registries) return;
    api.get(`/registries/${enc(entity)}`).then((data) => setRegistries(data.registries), setError);
  }, [open]);
  useEffect(() => {
    if (!open) return;
    let live = true;
    api.get(`/registries/${enc(entity)}/${enc(registry)}/collections`).then(
      (data) => live && setCollections(data.collections),
      () => live && setCollections([]), // a registry that does not exist yet has none
    );
    return () => {
      live = false;
    };
  }, [open, registry]);

  const submit = async (e) => {
    e.preventDefault();
    const wanted = aliases.split(",").map((a) => a.trim()).filter(Boolean);
    const problem = wanted.map(aliasProblem).find(Boolean);
    if (problem) return setError(new Error(problem));
    setBusy(true);
    setError(null);
    try {
      const path = `/registries/${enc(entity)}/${enc(registry)}/collections/${enc(collection.trim())}/versions`;
      const body = { entity, project: version.project, name: version.name, ref: "v" + version.version, aliases: wanted, actor: ACTOR };
      setLinked(await api.post(path, body));
      setAliases("");
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const href = linked && `/${enc(entity)}/registry/${enc(linked.registry)}/${enc(linked.collection)}#v${linked.version}`;
  return html`<div class="panel link-registry">
    <div class="section-head">
      <h2>Registry</h2>
      ${!open && html`<button type="button" onClick=${() => setOpen(true)}>Link to registry</button>`}
    </div>
    ${linked &&
    html`<p class="linked-note" role="status">Linked as <a href=${href}>${linked.registry}/${linked.collection} v${linked.version}</a>${linked.aliases.length ? ` (${linked.aliases.join(", ")})` : ""}.</p>`}
    ${open
      ? html`<form class="link-form" onSubmit=${submit}>
          <label>Registry
            <select aria-label="Registry" value=${registry} onChange=${(e) => setRegistry(e.currentTarget.value)}>
              ${(registries || [{ name: "model" }]).map((r) => html`<option key=${r.name} value=${r.name}>${r.name}</option>`)}
            </select>
          </label>
          <label>Collection
            <input list="link-collections" aria-label="Collection" required value=${collection} onInput=${(e) => setCollection(e.currentTarget.value)} />
            <datalist id="link-collections">${collections.map((c) => html`<option key=${c.name} value=${c.name} />`)}</datalist>
          </label>
          <label>Aliases
            <input aria-label="Link aliases" placeholder="staging, candidate" value=${aliases} onInput=${(e) => setAliases(e.currentTarget.value)} />
          </label>
          <div class="form-buttons">
            <button type="submit" class="primary" disabled=${busy || !collection.trim()}>Link</button>
            <button type="button" disabled=${busy} onClick=${() => (setOpen(false), setError(null))}>Close</button>
          </div>
          <p class="muted">A new collection name makes the collection. The version becomes its next vN and takes <code>latest</code>.</p>
        </form>`
      : !linked && html`<p class="muted">Register this version as a version of a model collection.</p>`}
    <${ErrorBox} error=${error} />
  </div>`;
}
