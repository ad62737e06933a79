// An entity's automations: each one's trigger and its filters, its action, an enabled
// switch, its last delivery, delete; a form to create one; and the delivery log of the
// chosen automation (the URL hash, #12, so it can be linked).
import { html, render, useState } from "../../vendor/preact-htm.js";
import { api } from "../lib/api.js";
import { fmtAgo, fmtTime } from "../lib/format.js";
import { usePoll } from "../lib/poll.js";
import { createStore, useStore } from "../lib/store.js";
import { Empty, ErrorBox, pageParams } from "../components/common.js";
import { AutomationForm } from "../components/automation-form.js";
import { DeliveryLog, DeliveryStatus } from "../components/delivery-log.js";

const REFRESH_MS = 5000;
const { root, entity } = pageParams();
const path = `/automations/${encodeURIComponent(entity)}`;
const store = createStore({ automations: null, last: {}, error: null, creating: false, chosen: chosenFromHash() });

function chosenFromHash() {
  const m = /^#(\d+)$/.exec(window.location.hash);
  return m ? Number(m[1]) : null;
}
window.addEventListener("hashchange", () => store.set({ chosen: chosenFromHash() }));

async function load() {
  try {
    const { automations } = await api.get(path);
    // The newest delivery of each: one small request per automation (an entity has few).
    const lasts = await Promise.all(
      automations.map((a) => api.get(`${path}/${a.id}/deliveries`, { limit: 1 }).then((d) => d.deliveries[0] || null)),
    );
    store.set({ automations, last: Object.fromEntries(automations.map((a, k) => [a.id, lasts[k]])), error: null });
  } catch (error) {
    store.set({ error });
  }
}

async function create(body) {
  const made = await api.post(path, body);
  store.set({ creating: false });
  window.location.hash = String(made.id);
  await load();
}

async function setEnabled(automation, enabled) {
  try {
    await api.patch(`${path}/${automation.id}`, { enabled });
    await load();
  } catch (error) {
    store.set({ error });
  }
}

async function remove(automation) {
  try {
    await api.del(`${path}/${automation.id}`);
    if (store.get().chosen === automation.id) window.location.hash = "";
    await load();
  } catch (error) {
    store.set({ error });
  }
}

/** "alias_added · alias=production, collection=digits-cnn" */
function triggerText(trigger) {
  const { event, ...filters } = trigger;
  const parts = Object.entries(filters).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join("|") : v}`);
  if (event === "run_metric") return `run_metric · ${trigger.key} ${trigger.op} ${trigger.value}`;
  return parts.length ? `${event} · ${parts.join(", ")}` : event;
}

function ActionText({ action, hasSecret }) {
  if (action.kind === "report") return html`<span>store a report</span>`;
  return html`<span class="mono action-url">POST ${action.url}</span>${hasSecret ? html` <span class="chip small signed" title="Bodies are signed with HMAC-SHA256">signed</span>` : null}`;
}

function DeleteButton({ automation }) {
  const [asking, setAsking] = useState(false);
  if (!asking) return html`<button type="button" class="danger" aria-label=${"Delete " + automation.name} onClick=${() => setAsking(true)}>Delete</button>`;
  return html`<span class="confirm">
    <button type="button" class="danger" aria-label=${"Confirm delete " + automation.name} onClick=${() => remove(automation)}>Confirm delete</button>
    <button type="button" onClick=${() => setAsking(false)}>Keep</button>
  </span>`;
}

function AutomationRow({ a, last, chosen }) {
  return html`<tr data-automation=${a.name} data-enabled=${String(a.enabled)} class=${chosen ? "chosen" : ""}>
    <td><a href=${"#" + a.id} class="automation-name">${a.name}</a></td>
    <td class="mono trigger">${triggerText(a.trigger)}</td>
    <td>${a.project || html`<span class="muted">every project</span>`}</td>
    <td><${ActionText} action=${a.action} hasSecret=${a.has_secret} /></td>
    <td>
      <label class="switch">
        <input type="checkbox" role="switch" aria-label=${"Enabled " + a.name} checked=${a.enabled} onChange=${(e) => setEnabled(a, e.currentTarget.checked)} />
        ${a.enabled ? "on" : "off"}
      </label>
    </td>
    <td class="last-delivery">${last ? html`<${DeliveryStatus} status=${last.status} /> <span class="muted" title=${fmtTime(last.created_at)}>${fmtAgo(last.created_at)}</span>` : html`<span class="muted">none yet</span>`}</td>
    <td><${DeleteButton} automation=${a} /></td>
  </tr>`;
}

function AutomationsPage() {
  const { automations, last, error, creating, chosen } = useStore(store);
  usePoll(load, REFRESH_MS);
  if (automations === null)
    return html`<section class="page automations-page"><${ErrorBox} error=${error} />${!error && html`<p class="muted">Loading…</p>`}</section>`;
  const shown = automations.find((a) => a.id === chosen);
  return html`<section class="page automations-page">
    <div class="page-head">
      <h1>Automations</h1>
      <span class="muted">${entity}: ${automations.length} automation${automations.length === 1 ? "" : "s"}</span>
      ${!creating && html`<button type="button" class="primary" onClick=${() => store.set({ creating: true })}>New automation</button>`}
    </div>
    <${ErrorBox} error=${error} />
    ${creating && html`<${AutomationForm} onCreate=${create} onClose=${() => store.set({ creating: false })} />`}
    ${automations.length === 0
      ? !creating && html`<${Empty}>No automations yet. Create one to call a webhook when a model is promoted, a run fails or a metric crosses a threshold.<//>`
      : html`<table class="grid automations">
          <thead><tr><th>Name</th><th>Trigger</th><th>Project</th><th>Action</th><th>Enabled</th><th>Last delivery</th><th></th></tr></thead>
          <tbody>
            ${automations.map((a) => html`<${AutomationRow} key=${a.id} a=${a} last=${last[a.id]} chosen=${a.id === chosen} />`)}
          </tbody>
        </table>`}
    ${shown
      ? html`<${DeliveryLog} key=${shown.id} entity=${entity} automation=${shown} />`
      : automations.length > 0 && html`<p class="muted">Choose an automation to see its delivery log.</p>`}
  </section>`;
}

render(html`<${AutomationsPage} />`, root);
