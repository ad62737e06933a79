// What to do with the selected runs: compare them in the workspace, add or
// remove a tag, or delete them (after an explicit confirmation).
import { html, useState } from "../../vendor/preact-htm.js";

export function BulkActions({ count, busy, onCompare, onTag, onDelete, onClear }) {
  const [tag, setTag] = useState("");
  const [confirming, setConfirming] = useState(false);
  const tagged = (action) => (event) => {
    event.preventDefault();
    const name = tag.trim();
    if (name) onTag(action, name).then((ok) => ok && setTag(""));
  };
  if (count === 0) {
    return html`<div class="bulk-actions muted">Select runs to compare them, tag them or delete them.</div>`;
  }
  return html`
    <div class="bulk-actions" role="toolbar" aria-label="Selected runs">
      <strong class="selected-count">${count} selected</strong>
      <button type="button" class="primary" onClick=${onCompare}>Compare in workspace</button>
      <form class="bulk-tag" onSubmit=${tagged("add")}>
        <input placeholder="tag" aria-label="Tag name" value=${tag} onInput=${(e) => setTag(e.currentTarget.value)} />
        <button type="submit" disabled=${busy}>Add tag</button>
        <button type="button" disabled=${busy} onClick=${tagged("remove")}>Remove tag</button>
      </form>
      ${confirming
        ? html`<span class="confirm-delete" role="alertdialog" aria-label="Confirm delete">
            Delete ${count} run${count === 1 ? "" : "s"} with their history? This cannot be undone.
            <button type="button" class="danger" disabled=${busy}
              onClick=${() => onDelete().then(() => setConfirming(false))}>Yes, delete</button>
            <button type="button" onClick=${() => setConfirming(false)}>Cancel</button>
          </span>`
        : html`<button type="button" class="danger" onClick=${() => setConfirming(true)}>Delete…</button>`}
      <button type="button" class="link" onClick=${onClear}>Clear selection</button>
    </div>
  `;
}
