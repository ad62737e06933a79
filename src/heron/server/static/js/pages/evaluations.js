// The evaluations of a project: each `Evaluation.evaluate` call with its model,
// dataset, headline number per scorer, start and status, newest first, paged on
// the server. Tick two or more to compare them side by side.
import { html, render, useEffect, useState } from "../../vendor/preact-htm.js";
import { fmtAgo, fmtTime, fmtValue } from "../lib/format.js";
import { callHref, callsApi, fmtCount, statusOf } from "../lib/calls.js";
import { EVALUATE_OP, headlines, parseRef } from "../lib/evals.js";
import { objectsApi, weaveHref } from "../lib/weave.js";
import { Empty, ErrorBox, pageParams } from "../components/common.js";
import { RefChip } from "../components/jsonview.js";
import { Pager } from "../components/pager.js";

const { root, entity, project } = pageParams();
const calls = callsApi(entity, project);
const objects = objectsApi(entity, project);
const FILTER = { op_names: [EVALUATE_OP] };

function compareHref(ids) {
  return `${weaveHref(entity, project, "compare-evaluations")}?ids=${ids.map(encodeURIComponent).join(",")}`;
}

/** The Evaluation objects the calls name (their `self`), fetched once each. */
async function evaluationObjects(rows) {
  const uris = [...new Set(rows.map((c) => c.inputs && c.inputs.self).filter((u) => parseRef(u)))];
  const found = await Promise.all(
    uris.map((uri) => {
      const ref = parseRef(uri);
      return objects.get("object", ref.name, ref.digest).catch(() => null);
    }),
  );
  return Object.fromEntries(uris.map((uri, i) => [uri, found[i]]));
}

function nameOf(call, evaluation) {
  if (call.display_name) return call.display_name;
  return evaluation ? evaluation.object_id : parseRef(call.inputs && call.inputs.self)?.name || call.id.slice(0, 8);
}

function EvaluationsPage() {
  const [page, setPage] = useState(0);
  const [pageSize, setPageSize] = useState(50);
  const [data, setData] = useState(null);
  const [selected, setSelected] = useState([]);
  const [error, setError] = useState(null);
  useEffect(() => {
    let stale = false;
    (async () => {
      try {
        const [found, total] = await Promise.all([
          calls.query({ filter: FILTER, sort_by: [["started_at", "desc"]], limit: pageSize, offset: page * pageSize }),
          calls.count(FILTER),
        ]);
        const evals = await evaluationObjects(found.calls);
        if (!stale) setData({ rows: found.calls, total, evals });
      } catch (e) {
        if (!stale) setError(e);
      }
    })();
    return () => (stale = true);
  }, [page, pageSize]);
  const toggle = (id) => setSelected(selected.includes(id) ? selected.filter((s) => s !== id) : [...selected, id]);
  return html`<section class="page evaluations-page">
    <div class="page-head">
      <h1>Evaluations</h1>
      ${data && html`<span class="muted" data-total=${data.total}>${fmtCount(data.total)}</span>`}
    </div>
    <${ErrorBox} error=${error} />
    ${data && data.total > 0 &&
    html`<div class="eval-actions">
      ${selected.length >= 2
        ? html`<a class="button compare-button" href=${compareHref(selected)}>Compare ${selected.length} evaluations</a>`
        : html`<span class="muted compare-hint">Tick two or more evaluations to compare them.</span>`}
      ${selected.length > 0 && html`<button type="button" class="link-button" onClick=${() => setSelected([])}>Clear</button>`}
    </div>`}
    ${data === null
      ? !error && html`<p class="muted">Loading…</p>`
      : data.total === 0
        ? html`<${Empty}>No evaluations in ${project} yet. Run one with <code>await weave.Evaluation(dataset=..., scorers=[...]).evaluate(model)</code>.<//>`
        : html`<div class="table-scroll"><table class="grid evaluations-table">
              <thead><tr><th></th><th>Evaluation</th><th>Model</th><th>Dataset</th><th>Scores</th><th>Started</th><th>Status</th></tr></thead>
              <tbody>${data.rows.map((call) => {
                const evaluation = data.evals[call.inputs && call.inputs.self];
                const dataset = evaluation && evaluation.val && evaluation.val.dataset;
                const model = call.inputs && call.inputs.model;
                const status = statusOf(call);
                return html`<tr key=${call.id} data-call=${call.id}>
                  <td><input type="checkbox" aria-label=${"Select " + nameOf(call, evaluation)} checked=${selected.includes(call.id)} onChange=${() => toggle(call.id)} /></td>
                  <td><a href=${callHref(entity, project, call.id)}>${nameOf(call, evaluation)}</a></td>
                  <td class="eval-model">${typeof model === "string" && model.startsWith("weave:///") ? html`<${RefChip} value=${model} />` : fmtValue(model)}</td>
                  <td class="eval-dataset">${typeof dataset === "string" && dataset.startsWith("weave:///") ? html`<${RefChip} value=${dataset} />` : ""}</td>
                  <td class="eval-scores">${headlines(call.output).map(
                    ([metric, value]) => html`<span key=${metric} class="chip small score-chip" data-metric=${metric} title=${metric}>${metric.split(".")[0]} ${fmtValue(value)}</span>`,
                  )}</td>
                  <td title=${fmtTime(call.started_at)}>${fmtAgo(call.started_at)}</td>
                  <td><span class=${"call-status status-" + status} data-status=${status}>${status}</span></td>
                </tr>`;
              })}</tbody>
            </table></div>
            <${Pager} page=${page} pageSize=${pageSize} total=${data.total} onPage=${setPage}
              onPageSize=${(size) => (setPageSize(size), setPage(0))} />`}
  </section>`;
}

render(html`<${EvaluationsPage} />`, root);
