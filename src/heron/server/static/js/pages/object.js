// One version of a weave object or op: its value as a JSON tree (refs link to
// their versions), an op's source, a dataset's rows, a model's attributes,
// predict code and calls; the version history and a line diff of any two.
import { html, render, useEffect, useState } from "../../vendor/preact-htm.js";
import { fmtAgo, fmtTime } from "../lib/format.js";
import { callHref, callLabel, callsApi, fmtLatency, latencyOf, preview, statusOf } from "../lib/calls.js";
import { attributesOf, classOf, diffText, objectsApi, refUri, tableDigest, versionHref, weaveHref } from "../lib/weave.js";
import { Empty, ErrorBox, pageParams } from "../components/common.js";
import { JsonView, isRef } from "../components/jsonview.js";
import { CallValue } from "../components/callvalue.js";
import { DiffView } from "../components/diff.js";
import { DatasetRows } from "../components/dataset-rows.js";
import { SectionTabs } from "../components/object-list.js";

const { root, entity, project, section, objectName, digest } = pageParams();
const objects = objectsApi(entity, project);
const calls = callsApi(entity, project);
const kind = section === "ops" ? "op" : "object";

function Code({ code }) {
  return html`<pre class="op-code">${code}</pre>`;
}

function OpCode({ uri }) {
  const [op, setOp] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    const last = uri.slice(uri.lastIndexOf("/") + 1);
    const at = last.lastIndexOf(":");
    objects.get("op", last.slice(0, at), last.slice(at + 1)).then(setOp, setError);
  }, [uri]);
  if (error) return html`<${ErrorBox} error=${error} />`;
  if (!op) return html`<p class="muted">Loading…</p>`;
  return html`<div class="model-op">
    <a href=${versionHref(entity, project, "ops", op.object_id, op.digest)}>${op.object_id}</a> <span class="muted">v${op.version_index}</span>
    <${Code} code=${op.val.code || ""} />
  </div>`;
}

function ModelDetails({ obj }) {
  const attrs = Object.entries(attributesOf(obj.val)).filter(([, v]) => !(isRef(v) && v.includes("/op/")));
  const ops = Object.entries(attributesOf(obj.val)).filter(([, v]) => isRef(v) && v.includes("/op/"));
  return html`<div class="panel weave-panel">
      <h2>Attributes</h2>
      <table class="kv-table model-attrs"><tbody>
        ${attrs.map(([k, v]) => html`<tr key=${k} data-attr=${k}><th>${k}</th><td><${CallValue} value=${v} /></td></tr>`)}
      </tbody></table>
    </div>
    ${ops.map(
      ([k, v]) => html`<div key=${k} class="panel weave-panel" data-op-attr=${k}><h2>${k}</h2><${OpCode} uri=${v} /></div>`,
    )}
    <div class="panel weave-panel"><h2>Calls</h2><${UsedBy} uri=${refUri(entity, project, obj)} /></div>`;
}

/** The calls whose inputs hold this version (a model's predict calls, an evaluation's runs). */
function UsedBy({ uri }) {
  const [found, setFound] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    const filter = { input_refs: [uri] };
    Promise.all([calls.query({ filter, sort_by: [["started_at", "desc"]], limit: 50 }), calls.count(filter)]).then(
      ([page, total]) => setFound({ rows: page.calls, total }),
      setError,
    );
  }, [uri]);
  if (error) return html`<${ErrorBox} error=${error} />`;
  if (!found) return html`<p class="muted">Loading…</p>`;
  if (!found.rows.length) return html`<p class="muted">No calls used this version.</p>`;
  return html`<p class="muted" data-total=${found.total}>${found.total} ${found.total === 1 ? "call" : "calls"}${found.total > found.rows.length ? `, the latest ${found.rows.length}` : ""}</p>
    <table class="grid used-by"><thead><tr><th>Op</th><th>Status</th><th>Started</th><th class="num">Latency</th><th>Inputs</th><th>Output</th></tr></thead>
    <tbody>${found.rows.map(
      (c) => html`<tr key=${c.id} data-call=${c.id}>
        <td><a href=${callHref(entity, project, c.id)}>${callLabel(c)}</a></td>
        <td><span class=${"call-status status-" + statusOf(c)}>${statusOf(c)}</span></td>
        <td title=${fmtTime(c.started_at)}>${fmtAgo(c.started_at)}</td>
        <td class="num">${fmtLatency(latencyOf(c))}</td>
        <td class="preview">${preview(c.inputs)}</td>
        <td class="preview">${c.exception ? c.exception.split("\n")[0] : preview(c.output)}</td>
      </tr>`,
    )}</tbody></table>`;
}

function Versions({ versions, current, base, onBase }) {
  return html`<table class="grid versions-table">
    <thead><tr><th>Version</th><th>Digest</th><th>Created</th><th>Diff against</th></tr></thead>
    <tbody>${versions
      .slice()
      .reverse()
      .map(
        (v) => html`<tr key=${v.digest} data-version=${v.version_index} class=${v.digest === current.digest ? "current" : ""}>
          <td>${v.digest === current.digest
            ? html`<strong>v${v.version_index}</strong> <span class="muted">(shown)</span>`
            : html`<a href=${versionHref(entity, project, section, v.object_id, v.digest)}>v${v.version_index}</a>`}
            ${v.is_latest && html` <span class="chip small">latest</span>`}</td>
          <td class="mono">${v.digest.slice(0, 12)}</td>
          <td title=${fmtTime(v.created_at)}>${fmtAgo(v.created_at)}</td>
          <td>${v.digest !== current.digest &&
          html`<label class="diff-pick"><input type="radio" name="diff-base" checked=${base && base.digest === v.digest}
            aria-label=${"Diff against v" + v.version_index} onChange=${() => onBase(v)} /> v${v.version_index}</label>`}</td>
        </tr>`,
      )}</tbody>
  </table>`;
}

function ObjectPage() {
  const [obj, setObj] = useState(null);
  const [versions, setVersions] = useState(null);
  const [base, setBase] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    Promise.all([objects.get(kind, objectName, digest), objects.versions(kind, objectName)]).then(([o, vs]) => {
      setObj(o);
      setVersions(vs);
      const before = vs.filter((v) => v.version_index < o.version_index);
      setBase(before.length ? before[before.length - 1] : vs.find((v) => v.digest !== o.digest) || null);
    }, setError);
  }, []);
  if (error) return html`<section class="page"><${ErrorBox} error=${error} /></section>`;
  if (!obj) return html`<section class="page"><p class="muted">Loading…</p></section>`;
  const rows = obj.base_object_class === "Dataset" ? tableDigest(obj.val && obj.val.rows) : null;
  return html`<section class="page weave-object-page" data-kind=${obj.kind}>
    <div class="page-head">
      <a href=${weaveHref(entity, project, section)}>← ${section[0].toUpperCase() + section.slice(1)}</a>
      <h1 class="object-title">${obj.object_id}</h1>
      <span class="chip">v${obj.version_index}</span>
      <span class="muted">${classOf(obj)} · <span class="mono" title=${obj.digest}>${obj.digest.slice(0, 12)}</span> · ${fmtTime(obj.created_at)}</span>
    </div>
    <${SectionTabs} entity=${entity} project=${project} section=${section} />
    ${obj.kind === "op" && html`<div class="panel weave-panel"><h2>Code</h2><${Code} code=${obj.val.code || ""} /></div>`}
    ${rows && html`<div class="panel weave-panel"><h2>Rows</h2><${DatasetRows} entity=${entity} project=${project} digest=${rows} /></div>`}
    ${obj.base_object_class === "Model" && html`<${ModelDetails} obj=${obj} />`}
    ${obj.kind !== "op" && html`<div class="panel weave-panel"><h2>Value</h2><${JsonView} value=${obj.val} openDepth=${3} /></div>`}
    <div class="panel weave-panel">
      <h2>Versions</h2>
      <${Versions} versions=${versions} current=${obj} base=${base} onBase=${setBase} />
    </div>
    <div class="panel weave-panel version-diff">
      <h2>${obj.kind === "op" ? "Code diff" : "Diff"}</h2>
      ${base
        ? html`<${DiffView} before=${diffText(base)} after=${diffText(obj)} oldLabel=${"v" + base.version_index} newLabel=${"v" + obj.version_index} />`
        : html`<${Empty}>This is the only version.<//>`}
    </div>
  </section>`;
}

render(html`<${ObjectPage} />`, root);
