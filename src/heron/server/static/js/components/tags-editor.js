// A run's tags as chips: × removes one, typing a tag and Enter adds it; each change is saved.
import { html, useState } from "../../vendor/preact-htm.js";
import { ErrorBox } from "./common.js";

export function TagsEditor({ tags, onSave }) {
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  const save = async (next) => {
    setBusy(true);
    try {
      await onSave(next);
      setError(null);
      return true;
    } catch (e) {
      setError(e);
      return false;
    } finally {
      setBusy(false);
    }
  };
  const add = async () => {
    const tag = text.trim();
    if (!tag) return;
    if (tag.length > 64) return setError(new Error("A tag is 1-64 characters."));
    if (tags.includes(tag)) return setText("");
    if (await save([...tags, tag])) setText("");
  };
  return html`<div class="tags-editor">
    <div class="chips">
      ${tags.map(
        (tag) => html`<span class="chip tag" key=${tag} data-tag=${tag}>
          ${tag}
          <button class="chip-x" aria-label=${"Remove tag " + tag} disabled=${busy} onClick=${() => save(tags.filter((t) => t !== tag))}>×</button>
        </span>`,
      )}
      ${tags.length === 0 && html`<span class="muted">No tags.</span>`}
    </div>
    <input
      class="tag-input"
      aria-label="Add a tag"
      placeholder="Add a tag and press Enter"
      value=${text}
      disabled=${busy}
      onInput=${(e) => setText(e.currentTarget.value)}
      onKeyDown=${(e) => e.key === "Enter" && add()}
    />
    <${ErrorBox} error=${error} />
  </div>`;
}
