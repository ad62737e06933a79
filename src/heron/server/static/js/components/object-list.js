// The weave object lists (objects, ops, datasets, models): each name's latest
// version with its class, version count and age, filtered by a search box.
import { html, useEffect, useState } from "../../vendor/preact-htm.js";
import { fmtAgo, fmtTime } from "../lib/format.js";
import { classOf, objectsApi, versionHref, weaveHref } from "../lib/weave.js";
import { Empty, ErrorBox, SearchBox } from "./common.js";

const SECTIONS = [
  ["objects", "Objects"],
  ["ops", "Ops"],
  ["models", "Models"],
  ["datasets", "Datasets"],
];

const QUERIES = {
  objects: { kind: "object" },
  ops: { kind: "op" },
  models: { kind: "object", base_object_class: "Model" },
  datasets: { kind: "object", base_object_class: "Dataset" },
};

const HINTS = {
  objects: html`Publish one with <code>weave.publish(obj)</code>.`,
  ops: html`An <code>@weave.op</code> is versioned the first time it runs under <code>weave.init</code>.`,
  models: html`Subclass <code>weave.Model</code> and call its <code>predict</code>, or publish it.`,
  datasets: html`Publish one with <code>weave.publish(weave.Dataset(name=..., rows=[...]))</code>.`,
};

export function SectionTabs({ entity, project, section }) {
  return html`<nav class="weave-tabs" aria-label="Weave objects">
    ${SECTIONS.map(
      ([key, label]) => html`<a key=${key} class=${"weave-tab" + (key === section ? " active" : "")}
        aria-current=${key === section ? "page" : null} href=${weaveHref(entity, project, key)}>${label}</a>`,
    )}
  </nav>`;
}

export function ObjectList({ entity, project, section }) {
  const [objects, setObjects] = useState(null);
  const [error, setError] = useState(null);
  const [search, setSearch] = useState("");
  useEffect(() => {
    objectsApi(entity, project).list(QUERIES[section]).then(setObjects, setError);
  }, [section]);
  const needle = search.trim().toLowerCase();
  const shown = (objects || []).filter((o) => !needle || o.object_id.toLowerCase().includes(needle) || classOf(o).toLowerCase().includes(needle));
  const title = SECTIONS.find(([key]) => key === section)[1];
  return html`<section class="page weave-objects-page">
    <div class="page-head">
      <h1>${title}</h1>
      ${objects && html`<span class="muted" data-total=${objects.length}>${objects.length}</span>`}
      <${SearchBox} value=${search} onInput=${setSearch} placeholder=${"Search " + section} />
    </div>
    <${SectionTabs} entity=${entity} project=${project} section=${section} />
    <${ErrorBox} error=${error} />
    ${objects === null
      ? !error && html`<p class="muted">Loading…</p>`
      : objects.length === 0
        ? html`<${Empty}>No ${section} in ${project} yet. ${HINTS[section]}<//>`
        : html`<div class="table-scroll"><table class="grid objects-table">
            <thead><tr><th>Name</th><th>${section === "ops" ? "Kind" : "Class"}</th><th class="num">Versions</th><th>Latest</th><th>Updated</th></tr></thead>
            <tbody>
              ${shown.map(
                (o) => html`<tr key=${o.object_id} data-object=${o.object_id}>
                  <td><a href=${versionHref(entity, project, section, o.object_id, o.digest)}>${o.object_id}</a></td>
                  <td>${classOf(o)}</td>
                  <td class="num">${o.version_index + 1}</td>
                  <td><span class="chip">v${o.version_index}</span> <span class="muted mono">${o.digest.slice(0, 8)}</span></td>
                  <td title=${fmtTime(o.created_at)}>${fmtAgo(o.created_at)}</td>
                </tr>`,
              )}
            </tbody>
          </table></div>`}
  </section>`;
}
