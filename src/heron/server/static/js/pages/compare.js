// Two or more evaluations side by side (?ids=a,b[,c]: their evaluate calls):
// a summary table per scorer metric with each evaluation's value and its delta
// from the first, model latency and tokens; then the dataset rows, each with
// every evaluation's output and scores, with a switch to keep only the rows
// where the scorers disagree.
import { html, render, useEffect, useState } from "../../vendor/preact-htm.js";
import { fmtValue } from "../lib/format.js";
import { callHref, callLabel, callsApi, fmtLatency, latencyOf, tokensOf } from "../lib/calls.js";
import { childrenOf, lowerIsBetter, matchRows, metricsOf, parseRef, scoresOf } from "../lib/evals.js";
import { weaveHref } from "../lib/weave.js";
import { Empty, ErrorBox, pageParams } from "../components/common.js";
import { CallValue } from "../components/callvalue.js";
import { RefChip } from "../components/jsonview.js";
import { Cell } from "../components/dataset-rows.js";
import { Pager, PAGE_SIZES } from "../components/pager.js";

const { root, entity, project } = pageParams();
const calls = callsApi(entity, project);
const ids = (new URLSearchParams(window.location.search).get("ids") || "").split(",").map((s) => s.trim()).filter(Boolean);

function evalName(call) {
  return call.display_name || parseRef(call.inputs && call.inputs.self)?.name || callLabel(call);
}

function modelName(call) {
  const ref = parseRef(call.inputs && call.inputs.model);
  return ref ? ref.name : "";
}

/** The summary rows: every metric of any evaluation, then latency and tokens. */
function summaryRows(evals) {
  const metrics = [];
  for (const call of evals) for (const [m] of metricsOf(call.output)) if (!metrics.includes(m)) metrics.push(m);
  const rows = metrics.map((metric) => ({
    metric,
    values: evals.map((c) => new Map(metricsOf(c.output)).get(metric)),
    lower: lowerIsBetter(metric),
  }));
  rows.push({ metric: "Latency (s)", values: evals.map(latencyOf), lower: true, format: fmtLatency });
  const tokens = evals.map(tokensOf);
  if (tokens.some((t) => t !== null)) rows.push({ metric: "Tokens", values: tokens, lower: true });
  return rows;
}

function Delta({ value, base, lower, format }) {
  if (typeof value !== "number" || typeof base !== "number") return null;
  const delta = value - base;
  if (delta === 0) return html`<span class="delta muted" data-delta="0">±0</span>`;
  const better = lower ? delta < 0 : delta > 0;
  const text = (delta > 0 ? "+" : "−") + (format ? format(Math.abs(delta)) : fmtValue(Math.abs(delta)));
  return html`<span class=${"delta " + (better ? "delta-up" : "delta-down")} data-better=${String(better)}>${text}</span>`;
}

function Summary({ evals }) {
  return html`<div class="table-scroll"><table class="grid compare-summary">
    <thead><tr><th>Metric</th>${evals.map((c, i) => html`<th key=${c.id} colspan=${i ? 2 : 1} class="num">${evalName(c)} <span class="muted">${modelName(c)}</span></th>`)}</tr></thead>
    <tbody>${summaryRows(evals).map(
      (row) => html`<tr key=${row.metric} data-metric=${row.metric}>
        <th>${row.metric}</th>
        ${row.values.map((v, i) => html`
          <td key=${"v" + i} class="num" data-eval=${i}>${v === undefined || v === null ? html`<span class="muted">—</span>` : row.format ? row.format(v) : fmtValue(v)}</td>
          ${i > 0 && html`<td key=${"d" + i} class="num delta-cell"><${Delta} value=${v} base=${row.values[0]} lower=${row.lower} format=${row.format} /></td>`}`)}
      </tr>`,
    )}</tbody>
  </table></div>`;
}

function Scores({ child, other }) {
  const scores = scoresOf(child);
  const base = scoresOf(other);
  return html`<div class="score-list">${Object.entries(scores).map(([scorer, value]) => {
    const differs = other && JSON.stringify(base[scorer]) !== JSON.stringify(value);
    return html`<span key=${scorer} class=${"score" + (differs ? " score-differs" : "")} data-scorer=${scorer}>
      <span class="muted">${scorer}:</span> <${Cell} value=${value} /></span>`;
  })}</div>`;
}

function Rows({ evals, rows }) {
  const [onlyDisagree, setOnlyDisagree] = useState(false);
  const [page, setPage] = useState(0);
  const [pageSize, setPageSize] = useState(PAGE_SIZES[0]);
  const shown = onlyDisagree ? rows.filter((r) => r.disagree) : rows;
  const disagreeing = rows.filter((r) => r.disagree).length;
  const start = Math.min(page, Math.max(0, Math.ceil(shown.length / pageSize) - 1)) * pageSize;
  return html`<div class="compare-rows-panel">
    <div class="eval-actions">
      <label><input type="checkbox" class="disagree-toggle" checked=${onlyDisagree}
        onChange=${(e) => (setOnlyDisagree(e.currentTarget.checked), setPage(0))} /> Only rows where they disagree</label>
      <span class="muted" data-disagree=${disagreeing}>${disagreeing} of ${rows.length} rows disagree</span>
    </div>
    ${shown.length === 0
      ? html`<${Empty}>${onlyDisagree ? "The evaluations agree on every row." : "No rows."}<//>`
      : html`<div class="table-scroll"><table class="grid compare-rows">
          <thead><tr><th>Row</th>${evals.map((c) => html`<th key=${c.id}>${evalName(c)} <span class="muted">${modelName(c)}</span></th>`)}</tr></thead>
          <tbody>${shown.slice(start, start + pageSize).map(
            (row) => html`<tr key=${row.key} class=${row.disagree ? "disagree" : ""} data-disagree=${String(row.disagree)}>
              <td class="row-example"><${CallValue} value=${row.example} /></td>
              ${row.results.map(
                (child, i) => html`<td key=${i} data-eval=${i}>${child
                  ? html`<div class="eval-output">${child.exception ? html`<span class="error-text">${child.exception.split("\n")[0]}</span>` : html`<${CallValue} value=${child.output && child.output.output} />`}</div>
                      <${Scores} child=${child} other=${i > 0 ? row.results[0] : null} />
                      <a class="muted" href=${callHref(entity, project, child.id)}>trace</a>`
                  : html`<span class="muted">no result</span>`}</td>`,
              )}
            </tr>`,
          )}</tbody>
        </table></div>
        <${Pager} page=${start / pageSize} pageSize=${pageSize} total=${shown.length} onPage=${setPage}
          onPageSize=${(size) => (setPageSize(size), setPage(0))} />`}
  </div>`;
}

function ComparePage() {
  const [evals, setEvals] = useState(null);
  const [rows, setRows] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    if (ids.length < 1) return;
    (async () => {
      try {
        const found = await Promise.all(ids.map((id) => calls.get(id)));
        setEvals(found);
        const children = await Promise.all(found.map((c) => childrenOf(calls, c.id)));
        setRows(matchRows(children));
      } catch (e) {
        setError(e);
      }
    })();
  }, []);
  const back = html`<a href=${weaveHref(entity, project, "evaluations")}>← Evaluations</a>`;
  if (ids.length < 2) {
    return html`<section class="page compare-page"><div class="page-head">${back}<h1>Compare evaluations</h1></div>
      <${Empty}>Pick two or more evaluations to compare on the evaluations page (the URL takes <code>?ids=a,b</code>).<//></section>`;
  }
  return html`<section class="page compare-page">
    <div class="page-head">${back}<h1>Compare evaluations</h1>
      ${evals && html`<span class="muted">${evals.map((c, i) => html`${i ? " vs " : ""}<a href=${callHref(entity, project, c.id)}>${evalName(c)}</a>`)}</span>`}
    </div>
    <${ErrorBox} error=${error} />
    ${evals && html`<div class="panel weave-panel"><h2>Models</h2><div class="compare-models">${evals.map(
      (c) => html`<span key=${c.id} class="compare-model">${evalName(c)}: ${typeof (c.inputs && c.inputs.model) === "string" && c.inputs.model.startsWith("weave:///") ? html`<${RefChip} value=${c.inputs.model} />` : fmtValue(c.inputs && c.inputs.model)}</span>`,
    )}</div></div>
    <div class="panel weave-panel"><h2>Summary</h2><${Summary} evals=${evals} /></div>`}
    ${!error && (rows === null
      ? html`<p class="muted">Loading rows…</p>`
      : html`<div class="panel weave-panel"><h2>Rows</h2><${Rows} evals=${evals} rows=${rows} /></div>`)}
  </section>`;
}

render(html`<${ComparePage} />`, root);
