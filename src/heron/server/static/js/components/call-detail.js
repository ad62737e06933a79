// One call in full: what ran, when, how it ended (exception with its traceback),
// its inputs and output rendered for reading, attributes, the summary (token
// usage and cost per model, status counts) and its feedback.
import { html } from "../../vendor/preact-htm.js";
import { callLabel, costOf, fmtCost, fmtCount, fmtLatency, latencyOf, statusOf, tokensOf } from "../lib/calls.js";
import { CallInputs, CallValue } from "./callvalue.js";
import { FeedbackPanel } from "./feedback.js";
import { JsonView } from "./jsonview.js";

function fmtStamp(seconds) {
  if (seconds === null || seconds === undefined) return "";
  const d = new Date(seconds * 1000);
  const pad = (n, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

function Section({ title, name, children }) {
  return html`<section class="detail-section" data-section=${name}><h3>${title}</h3>${children}</section>`;
}

function Usage({ summary }) {
  const usage = summary.usage || {};
  const costs = (summary.weave && summary.weave.costs) || {};
  const models = Object.keys(usage);
  if (!models.length) return null;
  const cell = (v) => (typeof v === "number" ? fmtCount(v) : "");
  const cost = (m) => {
    const c = costs[m];
    return c ? fmtCost((c.prompt_tokens_total_cost || 0) + (c.completion_tokens_total_cost || 0)) : "";
  };
  const anyCost = models.some((m) => costs[m]);
  return html`<table class="grid usage-table">
    <thead><tr><th>Model</th><th class="num">Requests</th><th class="num">Prompt tokens</th><th class="num">Completion tokens</th><th class="num">Total tokens</th>${anyCost && html`<th class="num">Cost</th>`}</tr></thead>
    <tbody>
      ${models.map((m) => {
        const u = usage[m] || {};
        const prompt = u.prompt_tokens ?? u.input_tokens;
        const completion = u.completion_tokens ?? u.output_tokens;
        const total = u.total_tokens ?? (typeof prompt === "number" && typeof completion === "number" ? prompt + completion : undefined);
        return html`<tr key=${m} data-model=${m}><td>${m}</td><td class="num">${cell(u.requests)}</td><td class="num">${cell(prompt)}</td>
          <td class="num">${cell(completion)}</td><td class="num">${cell(total)}</td>${anyCost && html`<td class="num">${cost(m)}</td>`}</tr>`;
      })}
    </tbody>
  </table>`;
}

function Summary({ summary }) {
  const counts = summary.status_counts;
  const rest = Object.fromEntries(Object.entries(summary).filter(([k]) => !["usage", "status_counts", "weave", "latency_ms"].includes(k)));
  return html`<div class="call-summary">
    ${counts && html`<p class="status-counts">Calls in this subtree: <span class="status-success-text">${fmtCount(counts.success || 0)} succeeded</span>${", "}<span class=${counts.error ? "error-text" : ""}>${fmtCount(counts.error || 0)} failed</span></p>`}
    <${Usage} summary=${summary} />
    ${Object.keys(rest).length > 0 && html`<${JsonView} value=${rest} openDepth=${1} />`}
  </div>`;
}

export function CallDetail({ call, calls, onSelect, onFeedback }) {
  const status = statusOf(call);
  const tokens = tokensOf(call);
  const cost = costOf(call);
  const facts = [
    ["Op", html`<code class="op-name">${call.op_name}</code>`],
    ["Call id", html`<code>${call.id}</code>`],
    ["Trace id", html`<code>${call.trace_id}</code>`],
    ["Parent", call.parent_id ? html`<a href="#" onClick=${(e) => (e.preventDefault(), onSelect(call.parent_id, true))}><code>${call.parent_id}</code></a>` : html`<span class="muted">none (trace root)</span>`],
    ["Started", fmtStamp(call.started_at)],
    ["Ended", call.ended_at ? fmtStamp(call.ended_at) : html`<span class="muted">running</span>`],
    ["Latency", fmtLatency(latencyOf(call))],
  ];
  if (tokens !== null) facts.push(["Tokens", fmtCount(tokens)]);
  if (cost !== null) facts.push(["Cost", fmtCost(cost)]);
  const attributes = call.attributes || {};
  return html`<div class="call-detail" data-call=${call.id}>
    <div class="detail-head">
      <h2>${callLabel(call)}</h2>
      <span class=${"call-status status-" + status} data-status=${status}>${status}</span>
    </div>
    <dl class="facts">${facts.map(([k, v]) => html`<div key=${k}><dt>${k}</dt><dd>${v}</dd></div>`)}</dl>
    ${call.exception && html`<${Section} title="Exception" name="exception"><pre class="exception">${call.exception}</pre><//>`}
    <${Section} title="Inputs" name="inputs"><${CallInputs} inputs=${call.inputs} /><//>
    ${(!call.exception || (call.output !== null && call.output !== undefined)) &&
    html`<${Section} title="Output" name="output">
      ${status === "running" ? html`<p class="muted">Still running.</p>` : html`<${CallValue} value=${call.output} />`}
    <//>`}
    ${Object.keys(attributes).length > 0 && html`<${Section} title="Attributes" name="attributes"><${JsonView} value=${attributes} /><//>`}
    ${call.summary && Object.keys(call.summary).length > 0 && html`<${Section} title="Summary" name="summary"><${Summary} summary=${call.summary} /><//>`}
    <${Section} title="Feedback" name="feedback"><${FeedbackPanel} calls=${calls} callId=${call.id} onChange=${onFeedback} /><//>
  </div>`;
}
