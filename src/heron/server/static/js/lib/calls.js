// Weave calls as the traces pages see them: where their API lives, status,
// latency, tokens and cost from a call's summary, short previews of values.
import { api } from "./api.js";

export const REACTION = "wandb.reaction.1";
export const NOTE = "wandb.note.1";
export const REACTIONS = ["👍", "👎", "🎉", "🤔", "🚀"];

const enc = encodeURIComponent;

/** The API paths of a project's calls, and the dashboard URL of one call. */
export function callsApi(entity, project) {
  const base = `/projects/${enc(entity)}/${enc(project)}`;
  return {
    query: (body) => api.post(base + "/calls/query", body),
    count: (filter) => api.post(base + "/calls/count", { filter }).then((d) => d.count),
    countBy: (field, filter) => api.post(base + "/calls/count-by", { field, filter }).then((d) => d.counts),
    get: (id) => api.get(`${base}/calls/${enc(id)}`, { include_costs: true }),
    feedback: (id) => api.get(`${base}/calls/${enc(id)}/feedback`).then((d) => d.feedback),
    addFeedback: (id, feedback_type, payload) => api.post(`${base}/calls/${enc(id)}/feedback`, { feedback_type, payload }),
    purgeFeedback: (feedbackId) => api.del(`${base}/feedback/${enc(feedbackId)}`),
    feedbackCounts: (ids) => (ids.length ? api.post(base + "/calls/feedback-counts", { call_ids: ids }).then((d) => d.counts) : Promise.resolve({})),
  };
}

export function callHref(entity, project, callId) {
  return `/${enc(entity)}/${enc(project)}/weave/calls/${enc(callId)}`;
}

export function tracesHref(entity, project) {
  return `/${enc(entity)}/${enc(project)}/weave/traces`;
}

/** "success", "error" or "running" (the store's status filter uses the same words). */
export function statusOf(call) {
  if (call.exception) return "error";
  return call.ended_at === null || call.ended_at === undefined ? "running" : "success";
}

/** An op's short name: `weave:///e/p/op/name:digest` reads as `name`. */
export function opLabel(opName) {
  if (typeof opName !== "string") return "";
  if (!opName.startsWith("weave:///")) return opName;
  const last = opName.slice(opName.lastIndexOf("/") + 1);
  const colon = last.indexOf(":");
  return colon > 0 ? last.slice(0, colon) : last;
}

export function callLabel(call) {
  return call.display_name || opLabel(call.op_name);
}

/** Seconds the call took (null while it runs). */
export function latencyOf(call) {
  if (call.ended_at === null || call.ended_at === undefined) return null;
  return Math.max(0, call.ended_at - call.started_at);
}

export function fmtLatency(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "";
  if (seconds < 1e-3) return `${Math.round(seconds * 1e6)} µs`;
  if (seconds < 1) return `${(seconds * 1000).toFixed(seconds < 0.01 ? 2 : 0)} ms`;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  const m = Math.floor(seconds / 60);
  return `${m}m ${Math.round(seconds - m * 60)}s`;
}

const num = (v) => (typeof v === "number" && Number.isFinite(v) ? v : 0);

/** Tokens summed over the models of `summary.usage` (total, else prompt + completion). */
export function tokensOf(call) {
  const usage = call.summary && call.summary.usage;
  if (!usage || typeof usage !== "object") return null;
  let total = 0;
  let seen = false;
  for (const counts of Object.values(usage)) {
    if (!counts || typeof counts !== "object") continue;
    const t =
      num(counts.total_tokens) ||
      num(counts.prompt_tokens) + num(counts.completion_tokens) ||
      num(counts.input_tokens) + num(counts.output_tokens);
    if (t) {
      total += t;
      seen = true;
    }
  }
  return seen ? total : null;
}

/** Dollars summed over `summary.weave.costs` (present when the query asked for costs). */
export function costOf(call) {
  const costs = call.summary && call.summary.weave && call.summary.weave.costs;
  if (!costs || typeof costs !== "object") return null;
  let total = 0;
  let seen = false;
  for (const c of Object.values(costs)) {
    if (!c || typeof c !== "object") continue;
    if ("prompt_tokens_total_cost" in c || "completion_tokens_total_cost" in c) {
      total += num(c.prompt_tokens_total_cost) + num(c.completion_tokens_total_cost);
      seen = true;
    }
  }
  return seen ? total : null;
}

export function fmtCost(dollars) {
  if (dollars === null || dollars === undefined) return "";
  if (dollars === 0) return "$0";
  if (dollars < 0.01) return "$" + dollars.toPrecision(2);
  return "$" + dollars.toFixed(dollars < 10 ? 4 : 2);
}

export function fmtCount(n) {
  if (n === null || n === undefined) return "";
  return n.toLocaleString("en-US");
}

const PREVIEW_CHARS = 80;

/** A one-line text preview of an input dict or an output: `question: "hi", k: 3`. */
export function preview(value, top = true) {
  const text = previewText(value, top);
  return text.length > PREVIEW_CHARS ? text.slice(0, PREVIEW_CHARS - 1) + "…" : text;
}

function previewText(value, top) {
  if (value === null || value === undefined) return top ? "" : "null";
  if (typeof value === "string") return top ? value.replace(/\s+/g, " ") : JSON.stringify(value.length > 60 ? value.slice(0, 60) + "…" : value);
  if (typeof value !== "object") return String(value);
  if (Array.isArray(value)) {
    if (isChat(value)) {
      const last = value[value.length - 1];
      return `${value.length} messages · ${last.role}: ${textOfContent(last.content).replace(/\s+/g, " ")}`;
    }
    return `[${value.slice(0, 5).map((v) => previewText(v, false)).join(", ")}${value.length > 5 ? ", …" : ""}]`;
  }
  const entries = Object.entries(value).filter(([k]) => k !== "self");
  const parts = entries.slice(0, 6).map(([k, v]) => `${k}: ${previewText(v, false)}`);
  const body = parts.join(", ") + (entries.length > 6 ? ", …" : "");
  return top ? body : `{${body}}`;
}

/** A list of {role, content} messages: an LLM conversation. */
export function isChat(value) {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((m) => m && typeof m === "object" && !Array.isArray(m) && typeof m.role === "string" && ("content" in m || "tool_calls" in m))
  );
}

/** The text of a message's content: a string, or a list of parts ({type: "text", text}). */
export function textOfContent(content) {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((p) => (typeof p === "string" ? p : p && typeof p.text === "string" ? p.text : "")).join(" ");
  if (content === null || content === undefined) return "";
  return JSON.stringify(content);
}

/** The ids of a page of calls. */
export const idsOf = (calls) => calls.map((c) => c.id);
