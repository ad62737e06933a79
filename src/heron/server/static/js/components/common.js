// Small pieces every page uses: state badges, search boxes, errors, run names.
import { html } from "../../vendor/preact-htm.js";
import { runColor } from "../lib/colors.js";

export function StateBadge({ state }) {
  return html`<span class=${"state state-" + state} data-state=${state}>${state}</span>`;
}

export function Swatch({ runId }) {
  return html`<span class="swatch" style=${{ background: runColor(runId) }}></span>`;
}

export function RunLink({ entity, project, run }) {
  const href = `/${encodeURIComponent(entity)}/${encodeURIComponent(project)}/runs/${encodeURIComponent(run.run_id)}`;
  return html`<a class="run-link" href=${href}><${Swatch} runId=${run.run_id} />${run.name || run.run_id}</a>`;
}

export function SearchBox({ value, onInput, placeholder = "Search", label }) {
  return html`<input
    class="search"
    type="search"
    aria-label=${label || placeholder}
    placeholder=${placeholder}
    value=${value}
    onInput=${(e) => onInput(e.currentTarget.value)}
  />`;
}

export function ErrorBox({ error }) {
  if (!error) return null;
  return html`<div class="error-box" role="alert">${error.message || String(error)}</div>`;
}

export function Empty({ children }) {
  return html`<div class="empty">${children}</div>`;
}

/** The data-* attributes of <main id="app">, as written by the server's page template. */
export function pageParams() {
  const app = document.getElementById("app");
  return { root: app, ...app.dataset };
}
