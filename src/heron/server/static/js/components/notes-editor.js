// A run's notes: shown as text; Edit (or a click on them) opens a text box, Save stores them.
import { html, useState } from "../../vendor/preact-htm.js";
import { ErrorBox } from "./common.js";

export function NotesEditor({ notes, onSave }) {
  const [draft, setDraft] = useState(null); // null: not editing
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  const save = async () => {
    setBusy(true);
    try {
      await onSave(draft);
      setDraft(null);
      setError(null);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  if (draft === null) {
    return html`<div class="notes-editor">
      <div class=${"notes-text" + (notes ? "" : " muted")} onClick=${() => setDraft(notes)}>${notes || "No notes."}</div>
      <button onClick=${() => setDraft(notes)}>Edit notes</button>
    </div>`;
  }
  return html`<div class="notes-editor editing">
    <textarea aria-label="Notes" rows="5" value=${draft} onInput=${(e) => setDraft(e.currentTarget.value)}></textarea>
    <div class="actions">
      <button class="primary" disabled=${busy} onClick=${save}>Save notes</button>
      <button disabled=${busy} onClick=${() => setDraft(null)}>Cancel</button>
    </div>
    <${ErrorBox} error=${error} />
  </div>`;
}
