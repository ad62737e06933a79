// The timing waterfall beside the call tree: one bar per call, placed on the
// trace's time axis (left = start, width = latency), so overlaps and gaps show.
import { html } from "../../vendor/preact-htm.js";
import { fmtLatency, latencyOf, statusOf } from "../lib/calls.js";

const MIN_WIDTH_PCT = 0.3;

/** The time axis of a trace: its start and its span in seconds (never 0). */
export function traceSpan(root, now = Date.now() / 1000) {
  const start = root.started_at;
  const end = root.ended_at ?? Math.max(now, start);
  return { start, span: Math.max(end - start, 1e-6) };
}

export function WaterfallBar({ call, axis }) {
  const status = statusOf(call);
  const left = ((call.started_at - axis.start) / axis.span) * 100;
  const latency = latencyOf(call);
  const width = latency === null ? 100 - left : (latency / axis.span) * 100;
  const style = { left: `${Math.max(0, Math.min(100, left))}%`, width: `${Math.max(MIN_WIDTH_PCT, Math.min(100 - Math.max(0, left), width))}%` };
  return html`<div class=${"wf-bar wf-" + status} style=${style} title=${`+${fmtLatency(call.started_at - axis.start)} · ${latency === null ? "running" : fmtLatency(latency)}`}></div>`;
}

export function WaterfallAxis({ axis }) {
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  return html`<div class="wf-axis" aria-hidden="true">
    ${ticks.map((t) => html`<span key=${t} class="wf-tick" style=${{ left: `${t * 100}%` }}>${t === 0 ? "0" : fmtLatency(t * axis.span)}</span>`)}
  </div>`;
}
