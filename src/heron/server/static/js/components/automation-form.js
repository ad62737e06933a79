// The form that creates an automation: a name, an optional project, the trigger (an
// event and its filters) and the action (a webhook: URL, headers, payload template,
// secret, retries; or a stored report template). Checked here first, so a mistake is
// named before the request; the server checks again and its message is shown too.
import { html, useState } from "../../vendor/preact-htm.js";
import { ErrorBox } from "./common.js";
import { RULE_OPS } from "./promotion-rules.js";

export const EVENTS = {
  artifact_version_created: { label: "A new artifact version is logged", filters: ["type", "name"] },
  version_linked: { label: "A version is linked into a collection", filters: ["registry", "collection"] },
  alias_added: { label: "A collection alias moves to a version", filters: ["alias", "registry", "collection"] },
  run_finished: { label: "A run finishes or fails", filters: [] },
  run_metric: { label: "A run's summary metric crosses a threshold", filters: [] },
};

const HINTS = {
  type: "artifact type (model)",
  name: "artifact name",
  registry: "registry (model)",
  collection: "collection",
  alias: "alias, a glob (prod*)",
};

/** "Name: value" lines -> {Name: value}; throws naming the first bad line. */
export function parseHeaders(text) {
  const headers = {};
  text.split("\n").forEach((line, k) => {
    if (!line.trim()) return;
    const at = line.indexOf(":");
    if (at <= 0) throw new Error(`Header line ${k + 1} ("${line.trim()}") is not "Name: value".`);
    headers[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  });
  return headers;
}

function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`The ${what} is not valid JSON: ${e.message}`);
  }
}

/** The API body for the form's fields; throws an Error saying what to fix. */
export function automationBody(f) {
  if (!f.name.trim()) throw new Error("Name the automation.");
  const trigger = { event: f.event };
  for (const key of EVENTS[f.event].filters) if (f.filters[key] && f.filters[key].trim()) trigger[key] = f.filters[key].trim();
  if (f.event === "run_finished") {
    trigger.states = ["finished", "failed"].filter((s) => f.states[s]);
    if (!trigger.states.length) throw new Error("Choose at least one run state: finished or failed.");
  }
  if (f.event === "run_metric") {
    const value = Number(f.metric.value);
    if (!f.metric.key.trim()) throw new Error("Name the summary metric to watch, e.g. val/accuracy.");
    if (f.metric.value.trim() === "" || !Number.isFinite(value)) throw new Error(`The threshold must be a number, not "${f.metric.value}".`);
    Object.assign(trigger, { key: f.metric.key.trim(), op: f.metric.op, value });
  }
  let action;
  if (f.kind === "webhook") {
    if (!/^https?:\/\//.test(f.url.trim())) throw new Error("The webhook URL must start with http:// or https://.");
    action = { kind: "webhook", url: f.url.trim(), headers: parseHeaders(f.headers) };
    if (f.payload.trim()) action.payload = parseJson(f.payload, "payload template");
    const retries = Number(f.retries);
    if (!Number.isInteger(retries) || retries < 0 || retries > 10) throw new Error("Retries must be a whole number from 0 to 10.");
    action.retries = retries;
  } else {
    const template = parseJson(f.template, "report template");
    if (!template || typeof template !== "object" || Array.isArray(template)) throw new Error('The report template must be a JSON object, e.g. {"title": "..."}.');
    action = { kind: "report", template };
  }
  const body = { name: f.name.trim(), trigger, action, enabled: f.enabled };
  if (f.project.trim()) body.project = f.project.trim();
  if (f.kind === "webhook" && f.secret) body.secret = f.secret;
  return body;
}

const PAYLOAD_HINT = '{"text": "${collection} ${version} is now ${alias}"}';

const EMPTY = {
  name: "",
  project: "",
  event: "alias_added",
  filters: {},
  states: { finished: true, failed: true },
  metric: { key: "", op: ">=", value: "" },
  kind: "webhook",
  url: "",
  headers: "",
  payload: "",
  secret: "",
  retries: "3",
  template: '{"title": "${collection} ${version} is now ${alias}"}',
  enabled: true,
};

export function AutomationForm({ onCreate, onClose }) {
  const [f, setF] = useState(EMPTY);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const set = (patch) => setF((old) => ({ ...old, ...patch }));
  const field = (key) => (e) => set({ [key]: e.currentTarget.value });

  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    let body;
    try {
      body = automationBody(f);
    } catch (err) {
      return setError(err);
    }
    setBusy(true);
    try {
      await onCreate(body);
      setF(EMPTY);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return html`<form class="panel automation-form" onSubmit=${submit}>
    <h2>New automation</h2>
    <div class="form-grid">
      <label>Name <input aria-label="Automation name" placeholder="deploy-on-production" value=${f.name} onInput=${field("name")} /></label>
      <label>Project <input aria-label="Project" placeholder="every project" value=${f.project} onInput=${field("project")} /></label>
    </div>
    <fieldset>
      <legend>When</legend>
      <select aria-label="Event" value=${f.event} onChange=${(e) => set({ event: e.currentTarget.value, filters: {} })}>
        ${Object.entries(EVENTS).map(([name, ev]) => html`<option key=${name} value=${name}>${name}: ${ev.label}</option>`)}
      </select>
      <div class="form-grid">
        ${EVENTS[f.event].filters.map(
          (key) => html`<label key=${key}>${key}
            <input aria-label=${"Filter " + key} placeholder=${HINTS[key] + ", any when empty"} value=${f.filters[key] || ""} onInput=${(e) => set({ filters: { ...f.filters, [key]: e.currentTarget.value } })} />
          </label>`,
        )}
        ${f.event === "run_finished" &&
        ["finished", "failed"].map(
          (s) => html`<label key=${s} class="check"><input type="checkbox" checked=${f.states[s]} onChange=${(e) => set({ states: { ...f.states, [s]: e.currentTarget.checked } })} /> ${s}</label>`,
        )}
        ${f.event === "run_metric" &&
        html`<label>metric <input aria-label="Metric key" placeholder="val/accuracy" value=${f.metric.key} onInput=${(e) => set({ metric: { ...f.metric, key: e.currentTarget.value } })} /></label>
          <label>op
            <select aria-label="Metric operator" value=${f.metric.op} onChange=${(e) => set({ metric: { ...f.metric, op: e.currentTarget.value } })}>
              ${RULE_OPS.map((o) => html`<option key=${o} value=${o}>${o}</option>`)}
            </select>
          </label>
          <label>threshold <input aria-label="Metric threshold" placeholder="0.95" value=${f.metric.value} onInput=${(e) => set({ metric: { ...f.metric, value: e.currentTarget.value } })} /></label>`}
      </div>
    </fieldset>
    <fieldset>
      <legend>Do</legend>
      <div class="kind-choice">
        <label class="check"><input type="radio" name="kind" checked=${f.kind === "webhook"} onChange=${() => set({ kind: "webhook" })} /> Call a webhook</label>
        <label class="check"><input type="radio" name="kind" checked=${f.kind === "report"} onChange=${() => set({ kind: "report" })} /> Store a report</label>
      </div>
      ${f.kind === "webhook"
        ? html`<div class="form-grid">
              <label class="wide">URL <input aria-label="Webhook URL" placeholder="https://ci.example/hooks/deploy" value=${f.url} onInput=${field("url")} /></label>
              <label>Secret <input type="password" autocomplete="new-password" aria-label="Webhook secret" placeholder="signs the body (optional)" value=${f.secret} onInput=${field("secret")} /></label>
              <label>Retries <input type="number" min="0" max="10" aria-label="Retries" value=${f.retries} onInput=${field("retries")} /></label>
            </div>
            <label>Headers <span class="muted">(one "Name: value" a line)</span>
              <textarea aria-label="Webhook headers" rows="2" placeholder="X-Team: ml" value=${f.headers} onInput=${field("headers")}></textarea>
            </label>
            <label>Payload template <span class="muted">(JSON; <code>${"${field}"}</code> is filled from the event; empty sends the event)</span>
              <textarea aria-label="Payload template" rows="4" class="mono" placeholder=${PAYLOAD_HINT} value=${f.payload} onInput=${field("payload")}></textarea>
            </label>`
        : html`<label>Report template <span class="muted">(JSON, stored with each event)</span>
            <textarea aria-label="Report template" rows="3" class="mono" value=${f.template} onInput=${field("template")}></textarea>
          </label>`}
    </fieldset>
    <label class="check"><input type="checkbox" checked=${f.enabled} onChange=${(e) => set({ enabled: e.currentTarget.checked })} /> Enabled</label>
    <div class="form-buttons">
      <button type="submit" class="primary" disabled=${busy}>Create automation</button>
      <button type="button" disabled=${busy} onClick=${onClose}>Cancel</button>
    </div>
    <${ErrorBox} error=${error} />
  </form>`;
}
