// An automation's delivery log, newest first and paged by id (a page starts below the
// last id of the one before, so new deliveries arriving never shift it). Each row
// opens to the request sent (URL, headers, body), every attempt (time, status code,
// duration, error) and the event. The first page refreshes itself while shown.
import { html, useState } from "../../vendor/preact-htm.js";
import { api } from "../lib/api.js";
import { fmtAgo, fmtTime } from "../lib/format.js";
import { usePoll } from "../lib/poll.js";
import { ErrorBox } from "./common.js";

export const LOG_PAGE = 20;
const REFRESH_MS = 3000;
const SECRET_HEADER = /authorization|cookie|token|secret|api[-_]?key/i;

export function DeliveryStatus({ status }) {
  return html`<span class=${"state delivery-" + status} data-status=${status}>${status}</span>`;
}

const ms = (v) => (v === null || v === undefined ? "" : `${Math.round(v)} ms`);

function Details({ d }) {
  const request = d.request || {};
  const headers = Object.entries(request.headers || {});
  return html`<div class="delivery-details">
    ${request.url && html`<div><b>POST</b> <span class="mono">${request.url}</span></div>`}
    ${headers.length > 0 &&
    html`<table class="grid kv small"><tbody>
      ${headers.map(([k, v]) => html`<tr key=${k}><th>${k}</th><td class="mono">${SECRET_HEADER.test(k) ? "•••••• (hidden)" : v}</td></tr>`)}
    </tbody></table>`}
    ${request.template && html`<div class="muted">Report template, stored with the event:</div><pre class="json">${JSON.stringify(request.template, null, 2)}</pre>`}
    ${"body" in request && html`<div class="muted">Body</div><pre class="json request-body">${JSON.stringify(request.body, null, 2)}</pre>`}
    <div class="muted">Attempts</div>
    ${d.attempts.length === 0
      ? html`<p class="muted">None yet.</p>`
      : html`<table class="grid attempts small">
          <thead><tr><th>#</th><th>At</th><th>Response</th><th class="num">Took</th><th>Error</th></tr></thead>
          <tbody>
            ${d.attempts.map(
              (a, k) => html`<tr key=${k}>
                <td>${k + 1}</td>
                <td>${fmtTime(a.at)}</td>
                <td>${a.status_code ?? html`<span class="muted">none</span>`}</td>
                <td class="num">${ms(a.duration_ms)}</td>
                <td class="error-text">${a.error || ""}</td>
              </tr>`,
            )}
          </tbody>
        </table>`}
    ${d.next_attempt_at && html`<p class="muted">Next attempt ${fmtTime(d.next_attempt_at)}.</p>`}
    <div class="muted">Event</div>
    <pre class="json">${JSON.stringify(d.event, null, 2)}</pre>
  </div>`;
}

export function DeliveryLog({ entity, automation }) {
  const [cursors, setCursors] = useState([null]); // `before` of each page seen; the last is shown
  const [rows, setRows] = useState(null);
  const [more, setMore] = useState(false);
  const [open, setOpen] = useState(() => new Set());
  const [error, setError] = useState(null);
  const before = cursors[cursors.length - 1];
  const path = `/automations/${encodeURIComponent(entity)}/${automation.id}/deliveries`;

  usePoll(
    async () => {
      try {
        const { deliveries } = await api.get(path, { limit: LOG_PAGE + 1, before });
        setRows(deliveries.slice(0, LOG_PAGE));
        setMore(deliveries.length > LOG_PAGE);
        setError(null);
      } catch (e) {
        setError(e);
      }
    },
    before === null ? REFRESH_MS : 0,
    [automation.id, before],
  );

  const toggle = (id) =>
    setOpen((old) => {
      const next = new Set(old);
      next.has(id) ? next.delete(id) : next.add(id);
      return next;
    });
  const first = (cursors.length - 1) * LOG_PAGE;
  return html`<div class="panel delivery-log" data-automation=${automation.id}>
    <div class="section-head">
      <h2>Deliveries of ${automation.name}</h2>
      <nav class="pager" aria-label="Delivery pages">
        <button type="button" disabled=${cursors.length === 1} onClick=${() => setCursors(cursors.slice(0, -1))}>‹ Newer</button>
        <span class="pager-range">${rows && rows.length ? `${first + 1}–${first + rows.length}` : "none"}</span>
        <button type="button" disabled=${!more} onClick=${() => setCursors([...cursors, rows[rows.length - 1].id])}>Older ›</button>
      </nav>
    </div>
    <${ErrorBox} error=${error} />
    ${rows === null
      ? html`<p class="muted">Loading…</p>`
      : rows.length === 0
        ? html`<p class="muted empty-log">No deliveries yet: they appear here when an event matches the trigger.</p>`
        : html`<table class="grid deliveries">
            <thead><tr><th></th><th>#</th><th>Created</th><th>Event</th><th>Status</th><th class="num">Response</th><th class="num">Took</th><th class="num">Attempts</th><th>Error</th></tr></thead>
            <tbody>
              ${rows.map((d) => {
                const shown = open.has(d.id);
                return html`<tr key=${d.id} data-delivery=${d.id} data-status=${d.status}>
                    <td><button type="button" class="link toggle" aria-expanded=${shown} aria-label=${"Details of delivery " + d.id} onClick=${() => toggle(d.id)}>${shown ? "▾" : "▸"}</button></td>
                    <td>${d.id}</td>
                    <td title=${fmtTime(d.created_at)}>${fmtAgo(d.created_at)}</td>
                    <td class="mono">${d.event.event}</td>
                    <td><${DeliveryStatus} status=${d.status} /></td>
                    <td class="num response-code">${d.response_code ?? ""}</td>
                    <td class="num">${ms(d.duration_ms)}</td>
                    <td class="num">${d.attempts.length}</td>
                    <td class="error-text">${d.error || ""}</td>
                  </tr>
                  ${shown && html`<tr key=${d.id + "-details"} class="details-row"><td colspan="9"><${Details} d=${d} /></td></tr>`}`;
              })}
            </tbody>
          </table>`}
  </div>`;
}
