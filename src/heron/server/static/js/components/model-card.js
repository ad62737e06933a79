// A collection's model card: its markdown rendered safely, and an editor (a text area
// with Save / Cancel) that saves the new card through the API.
import { html, useMemo, useState } from "../../vendor/preact-htm.js";
import { renderMarkdown } from "../lib/safe-markdown.js";
import { ErrorBox } from "./common.js";

export function ModelCard({ markdown, onSave }) {
  const [draft, setDraft] = useState(null); // null: not editing
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const rendered = useMemo(() => renderMarkdown(markdown || ""), [markdown]);

  const save = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onSave(draft);
      setDraft(null);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return html`<div class="panel model-card">
    <div class="section-head">
      <h2>Model card</h2>
      ${draft === null && html`<button type="button" onClick=${() => setDraft(markdown || "")}>Edit</button>`}
    </div>
    ${draft === null
      ? markdown
        ? html`<div class="markdown">${rendered}</div>`
        : html`<p class="muted">No model card yet. Edit it to describe the model in markdown: what it does, its data, its metrics.</p>`
      : html`<form class="card-form" onSubmit=${save}>
          <textarea
            class="card-input"
            aria-label="Model card (markdown)"
            rows="12"
            value=${draft}
            onInput=${(e) => setDraft(e.currentTarget.value)}
          ></textarea>
          <div class="form-buttons">
            <button type="submit" class="primary" disabled=${busy}>Save</button>
            <button type="button" disabled=${busy} onClick=${() => (setDraft(null), setError(null))}>Cancel</button>
          </div>
        </form>`}
    <${ErrorBox} error=${error} />
  </div>`;
}
