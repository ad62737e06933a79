// The traces table: a project's weave calls, trace roots by default, paged and
// sorted on the server. Filters (op, status, time range, attributes, feedback)
// live in the URL's query string, so a filtered view can be linked and reloaded.
import { html, render, useEffect, useState } from "../../vendor/preact-htm.js";
import { createStore, useStore } from "../lib/store.js";
import { fmtAgo, fmtTime } from "../lib/format.js";
import {
  REACTIONS,
  callHref,
  callLabel,
  callsApi,
  costOf,
  fmtCost,
  fmtCount,
  fmtLatency,
  idsOf,
  latencyOf,
  preview,
  statusOf,
  tokensOf,
} from "../lib/calls.js";
import { Empty, ErrorBox, pageParams } from "../components/common.js";
import { Pager, PAGE_SIZES } from "../components/pager.js";
import { FeedbackCounts } from "../components/feedback-counts.js";

const { root, entity, project } = pageParams();
const calls = callsApi(entity, project);

const RANGES = { "": "Any time", "1h": "Last hour", "24h": "Last 24 hours", "7d": "Last 7 days", "30d": "Last 30 days", custom: "Between…" };
const RANGE_SECONDS = { "1h": 3600, "24h": 86400, "7d": 7 * 86400, "30d": 30 * 86400 };
const SORTABLE = { started_at: "Started", latency: "Latency", op_name: "Op" };

/** The table's state from the URL (?roots=0&op=...&status=...&sort=-started_at...). */
function fromUrl() {
  const q = new URLSearchParams(window.location.search);
  const attrs = q.getAll("attr").map((a) => {
    const at = a.indexOf("=");
    return { key: a.slice(0, at), raw: a.slice(at + 1) };
  });
  const size = Number(q.get("size"));
  return {
    roots: q.get("roots") !== "0",
    op: q.get("op") || "",
    status: q.get("status") || "",
    range: q.get("range") || "",
    from: q.get("from") || "",
    to: q.get("to") || "",
    attrs: attrs.filter((a) => a.key),
    feedback: q.get("feedback") || "",
    sort: q.get("sort") || "-started_at",
    page: Math.max(0, Number(q.get("page")) || 0),
    pageSize: PAGE_SIZES.includes(size) ? size : 50,
  };
}

function toUrl(s) {
  const q = new URLSearchParams();
  if (!s.roots) q.set("roots", "0");
  for (const name of ["op", "status", "range", "feedback"]) if (s[name]) q.set(name, s[name]);
  if (s.range === "custom") {
    if (s.from) q.set("from", s.from);
    if (s.to) q.set("to", s.to);
  }
  s.attrs.forEach((a) => q.append("attr", `${a.key}=${a.raw}`));
  if (s.sort !== "-started_at") q.set("sort", s.sort);
  if (s.page) q.set("page", String(s.page));
  if (s.pageSize !== 50) q.set("size", String(s.pageSize));
  const qs = q.toString();
  window.history.replaceState(null, "", window.location.pathname + (qs ? "?" + qs : ""));
}

/** `value` typed in the attribute box: JSON numbers, true/false/null and "quoted" strings, else text. */
function parseAttrValue(raw) {
  const text = raw.trim();
  if (/^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null|".*")$/.test(text)) {
    try {
      return JSON.parse(text);
    } catch (_) {
      return text;
    }
  }
  return text;
}

function toFilter(s) {
  const filter = {};
  if (s.roots) filter.trace_roots_only = true;
  if (s.op) filter.op_names = [s.op];
  if (s.status) filter.statuses = [s.status];
  if (s.range in RANGE_SECONDS) filter.started_after = Date.now() / 1000 - RANGE_SECONDS[s.range];
  if (s.range === "custom") {
    const from = Date.parse(s.from);
    const to = Date.parse(s.to);
    if (Number.isFinite(from)) filter.started_after = from / 1000;
    if (Number.isFinite(to)) filter.started_before = to / 1000;
  }
  if (s.attrs.length) filter.attributes = Object.fromEntries(s.attrs.map((a) => [a.key, parseAttrValue(a.raw)]));
  if (s.feedback === "any") filter.has_feedback = true;
  else if (s.feedback === "none") filter.has_feedback = false;
  else if (s.feedback) filter.reactions = [s.feedback];
  return filter;
}

const store = createStore(fromUrl());
const change = (patch) => store.set({ page: 0, ...patch });

// The benchmark (benchmarks/bench_traces_ui.py) reads this mark: the first rows on screen.
let rowsMarked = false;
function markFirstRows() {
  if (rowsMarked) return;
  rowsMarked = true;
  requestAnimationFrame(() => performance.mark("heron:traces-rows"));
}

function StatusBadge({ call }) {
  const status = statusOf(call);
  return html`<span class=${"call-status status-" + status} data-status=${status}>${status}</span>`;
}

function AttributeFilter({ attrs }) {
  const [text, setText] = useState("");
  const [problem, setProblem] = useState(null);
  const add = (e) => {
    e.preventDefault();
    const at = text.indexOf("=");
    const key = at > 0 ? text.slice(0, at).trim().replace(/^attributes\./, "") : "";
    if (!key || at === text.length - 1) {
      setProblem("Write key = value, e.g. env = prod");
      return;
    }
    setProblem(null);
    setText("");
    change({ attrs: [...attrs.filter((a) => a.key !== key), { key, raw: text.slice(at + 1).trim() }] });
  };
  return html`<form class="attr-filter" onSubmit=${add}>
    <input type="text" aria-label="Attribute filter" placeholder="attribute = value" value=${text}
      onInput=${(e) => setText(e.currentTarget.value)} title=${problem || "Filter by an attribute: key = value"} />
    ${problem && html`<span class="error-text">${problem}</span>`}
    ${attrs.map(
      (a) => html`<span key=${a.key} class="chip filter-chip" data-attr=${a.key}>${a.key} = ${a.raw}
        <button type="button" class="link-button" aria-label=${"Remove " + a.key}
          onClick=${() => change({ attrs: attrs.filter((b) => b.key !== a.key) })}>✕</button></span>`,
    )}
  </form>`;
}

function Filters({ state, ops }) {
  const opNames = Object.keys(ops || {});
  return html`<div class="trace-filters">
    <div class="segmented" role="group" aria-label="Which calls">
      <button type="button" class=${state.roots ? "active" : ""} aria-pressed=${state.roots} onClick=${() => change({ roots: true, op: "" })}>Traces</button>
      <button type="button" class=${state.roots ? "" : "active"} aria-pressed=${!state.roots} onClick=${() => change({ roots: false, op: "" })}>All calls</button>
    </div>
    <label>Op
      <select aria-label="Op" value=${state.op} onChange=${(e) => change({ op: e.currentTarget.value })}>
        <option value="">All ops</option>
        ${state.op && !opNames.includes(state.op) && html`<option value=${state.op}>${state.op}</option>`}
        ${opNames.map((name) => html`<option key=${name} value=${name}>${name} (${fmtCount(ops[name])})</option>`)}
      </select>
    </label>
    <label>Status
      <select aria-label="Status" value=${state.status} onChange=${(e) => change({ status: e.currentTarget.value })}>
        <option value="">Any</option>
        <option value="success">success</option>
        <option value="error">error</option>
        <option value="running">running</option>
      </select>
    </label>
    <label>Started
      <select aria-label="Time range" value=${state.range} onChange=${(e) => change({ range: e.currentTarget.value })}>
        ${Object.entries(RANGES).map(([value, label]) => html`<option key=${value} value=${value}>${label}</option>`)}
      </select>
    </label>
    ${state.range === "custom" &&
    html`<input type="datetime-local" aria-label="From" value=${state.from} onChange=${(e) => change({ from: e.currentTarget.value })} />
      <span class="muted">to</span>
      <input type="datetime-local" aria-label="To" value=${state.to} onChange=${(e) => change({ to: e.currentTarget.value })} />`}
    <label>Feedback
      <select aria-label="Feedback" value=${state.feedback} onChange=${(e) => change({ feedback: e.currentTarget.value })}>
        <option value="">Any</option>
        <option value="any">Has feedback</option>
        <option value="none">No feedback</option>
        ${REACTIONS.map((emoji) => html`<option key=${emoji} value=${emoji}>Reaction ${emoji}</option>`)}
      </select>
    </label>
    <${AttributeFilter} attrs=${state.attrs} />
  </div>`;
}

function SortHeader({ field, sort, className = "" }) {
  const active = sort.replace(/^-/, "") === field;
  const desc = sort.startsWith("-");
  const next = active ? (desc ? field : "-" + field) : field === "op_name" ? field : "-" + field;
  return html`<th class=${className} aria-sort=${active ? (desc ? "descending" : "ascending") : "none"}>
    <button type="button" class="sort-button" data-sort=${field} onClick=${() => change({ sort: next })}>
      ${SORTABLE[field]}${active ? (desc ? " ↓" : " ↑") : ""}
    </button>
  </th>`;
}

function CallsTable({ rows, counts, sort, showCost }) {
  return html`<div class="table-scroll"><table class="grid traces-table">
    <thead><tr>
      <${SortHeader} field="op_name" sort=${sort} />
      <th>Status</th>
      <${SortHeader} field="started_at" sort=${sort} />
      <${SortHeader} field="latency" sort=${sort} className="num" />
      <th>Inputs</th>
      <th>Output</th>
      <th class="num">Tokens</th>
      ${showCost && html`<th class="num">Cost</th>`}
      <th>Feedback</th>
    </tr></thead>
    <tbody>
      ${rows.map((call) => {
        const output = call.exception ? call.exception.split("\n")[0] : preview(call.output);
        return html`<tr key=${call.id} data-call=${call.id} data-op=${call.op_name}>
          <td class="op-cell"><a href=${callHref(entity, project, call.id)} title=${call.op_name}>${callLabel(call)}</a></td>
          <td><${StatusBadge} call=${call} /></td>
          <td title=${fmtTime(call.started_at)}>${fmtAgo(call.started_at)}</td>
          <td class="num">${fmtLatency(latencyOf(call))}</td>
          <td class="preview" title=${preview(call.inputs)}>${preview(call.inputs)}</td>
          <td class=${"preview" + (call.exception ? " error-text" : "")} title=${output}>${output}</td>
          <td class="num">${fmtCount(tokensOf(call))}</td>
          ${showCost && html`<td class="num">${fmtCost(costOf(call))}</td>`}
          <td><${FeedbackCounts} counts=${counts[call.id]} /></td>
        </tr>`;
      })}
    </tbody>
  </table></div>`;
}

function TracesPage() {
  const state = useStore(store);
  const [data, setData] = useState(null); // {rows, total, counts}
  const [ops, setOps] = useState(null);
  const [error, setError] = useState(null);
  const key = JSON.stringify(state); // not the filter: "last hour" moves with the clock

  // The op menu waits for the first rows: they matter more on a cold page.
  const rowsShown = data !== null;
  useEffect(() => {
    if (rowsShown) calls.countBy("op_name", state.roots ? { trace_roots_only: true } : null).then(setOps, setError);
  }, [state.roots, rowsShown]);

  useEffect(() => {
    toUrl(state);
    const filter = toFilter(state);
    let stale = false;
    const field = state.sort.replace(/^-/, "");
    const body = {
      filter,
      sort_by: [[field, state.sort.startsWith("-") ? "desc" : "asc"]],
      limit: state.pageSize,
      offset: state.page * state.pageSize,
      include_costs: true,
    };
    (async () => {
      try {
        const [page, total] = await Promise.all([calls.query(body), calls.count(filter)]);
        if (stale) return;
        setData({ rows: page.calls, total, counts: {} });
        setError(null);
        markFirstRows();
        const counts = await calls.feedbackCounts(idsOf(page.calls));
        if (!stale) setData({ rows: page.calls, total, counts });
      } catch (e) {
        if (!stale) setError(e);
      }
    })();
    return () => (stale = true);
  }, [key]);

  const showCost = data !== null && data.rows.some((c) => costOf(c) !== null);
  const filtered = Boolean(state.op || state.status || state.range || state.attrs.length || state.feedback);
  return html`<section class="page traces-page">
    <div class="page-head">
      <h1>Traces</h1>
      ${data && html`<span class="muted" data-total=${data.total}>${fmtCount(data.total)} ${state.roots ? "trace" : "call"}${data.total === 1 ? "" : "s"}</span>`}
    </div>
    <${Filters} state=${state} ops=${ops} />
    <${ErrorBox} error=${error} />
    ${data === null
      ? !error && html`<p class="muted">Loading…</p>`
      : data.total === 0 && !filtered
        ? html`<${Empty}>No calls in ${project} yet. Trace a function with <code>@weave.op</code> after <code>weave.init("${project}")</code>.<//>`
        : data.rows.length === 0
          ? html`<${Empty}>No calls match these filters.<//>`
          : html`<${CallsTable} rows=${data.rows} counts=${data.counts} sort=${state.sort} showCost=${showCost} />
              <${Pager} page=${state.page} pageSize=${state.pageSize} total=${data.total}
                onPage=${(page) => store.set({ page })} onPageSize=${(pageSize) => change({ pageSize })} />`}
  </section>`;
}

render(html`<${TracesPage} />`, root);
