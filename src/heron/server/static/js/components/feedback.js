// A call's feedback: reactions (emoji buttons that toggle), notes, and any other
// payloads; each item can be deleted. Writes go straight to the API.
import { html, useEffect, useState } from "../../vendor/preact-htm.js";
import { NOTE, REACTION, REACTIONS } from "../lib/calls.js";
import { fmtTime } from "../lib/format.js";
import { ErrorBox } from "./common.js";
import { JsonView } from "./jsonview.js";

export function FeedbackPanel({ calls, callId, onChange }) {
  const [items, setItems] = useState(null);
  const [note, setNote] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  const load = async () => {
    try {
      setItems(await calls.feedback(callId));
      setError(null);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    setItems(null);
    load();
  }, [callId]);

  const act = async (fn) => {
    setBusy(true);
    try {
      await fn();
      await load();
      if (onChange) onChange();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const reactions = (items || []).filter((f) => f.feedback_type === REACTION);
  const mine = (emoji) => reactions.find((f) => f.payload.emoji === emoji);
  const toggle = (emoji) => act(() => (mine(emoji) ? calls.purgeFeedback(mine(emoji).id) : calls.addFeedback(callId, REACTION, { emoji })));
  const addNote = (e) => {
    e.preventDefault();
    const text = note.trim();
    if (!text) return;
    act(async () => {
      await calls.addFeedback(callId, NOTE, { note: text });
      setNote("");
    });
  };
  const count = (emoji) => reactions.filter((f) => f.payload.emoji === emoji).length;

  return html`<div class="feedback-panel">
    <${ErrorBox} error=${error} />
    <div class="reaction-bar" role="group" aria-label="Reactions">
      ${REACTIONS.map(
        (emoji) => html`<button type="button" key=${emoji} class=${"reaction" + (mine(emoji) ? " on" : "")}
          aria-pressed=${Boolean(mine(emoji))} disabled=${busy || items === null} title=${mine(emoji) ? "Remove reaction" : "React"}
          data-emoji=${emoji} onClick=${() => toggle(emoji)}>${emoji}${count(emoji) ? html` <span class="reaction-count">${count(emoji)}</span>` : ""}</button>`,
      )}
    </div>
    <form class="note-form" onSubmit=${addNote}>
      <textarea rows="2" aria-label="Note" placeholder="Add a note" value=${note} onInput=${(e) => setNote(e.currentTarget.value)}></textarea>
      <button type="submit" class="primary" disabled=${busy || !note.trim()}>Add note</button>
    </form>
    ${items === null
      ? html`<p class="muted">Loading…</p>`
      : items.length === 0
        ? html`<p class="muted">No feedback yet.</p>`
        : html`<ul class="feedback-list">
            ${items.map(
              (f) => html`<li key=${f.id} class="feedback-item" data-type=${f.feedback_type}>
                ${f.feedback_type === REACTION
                  ? html`<span class="feedback-emoji">${String(f.payload.emoji ?? "")}</span>`
                  : f.feedback_type === NOTE
                    ? html`<span class="feedback-note">${String(f.payload.note ?? "")}</span>`
                    : html`<span class="feedback-custom"><span class="chip small">${f.feedback_type}</span><${JsonView} value=${f.payload} openDepth=${1} /></span>`}
                <span class="muted feedback-time">${fmtTime(f.created_at)}</span>
                <button type="button" class="link-button danger" title="Delete" aria-label="Delete feedback" disabled=${busy}
                  onClick=${() => act(() => calls.purgeFeedback(f.id))}>✕</button>
              </li>`,
            )}
          </ul>`}
  </div>`;
}
