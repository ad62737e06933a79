// A version's aliases as chips: add one (moving it off whichever version had it) or
// take one off, through the API. `latest` moves by itself, so it has no remove button.
import { html, useState } from "../../vendor/preact-htm.js";
import { ErrorBox } from "./common.js";

const LATEST = "latest";
// The server's rule (heron.artifacts.entities.check_alias), checked here first so a
// typo gets its message without a failed request.
const ALIAS = /^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$/;
const VERSION = /^v\d+$/;

/** Why `alias` cannot be added, or null when it can. */
export function aliasProblem(alias) {
  if (!ALIAS.test(alias)) return `Invalid alias "${alias}": use 1-128 letters, digits, "_", "." or "-", starting with a letter or digit.`;
  if (VERSION.test(alias)) return `Alias "${alias}" collides with version names (v0, v1, …): choose another alias.`;
  if (alias === LATEST) return `"latest" always names the newest version: it cannot be given to another one.`;
  return null;
}

export function AliasEditor({ aliases, onAdd, onRemove }) {
  const [draft, setDraft] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const act = async (fn) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
      return true;
    } catch (e) {
      setError(e);
      return false;
    } finally {
      setBusy(false);
    }
  };
  const submit = async (e) => {
    e.preventDefault();
    const alias = draft.trim();
    if (!alias) return;
    if (aliases.includes(alias)) return setDraft("");
    const problem = aliasProblem(alias);
    if (problem) return setError(new Error(problem));
    if (await act(() => onAdd(alias))) setDraft("");
  };
  return html`<div class="alias-editor" data-aliases=${aliases.join(",")}>
    <div class="chips">
      ${aliases.length === 0 && html`<span class="muted">No aliases.</span>`}
      ${aliases.map(
        (alias) => html`<span key=${alias} class=${"chip alias" + (alias === LATEST ? " fixed" : "")} data-alias=${alias}>
          ${alias}
          ${alias === LATEST
            ? null
            : html`<button type="button" class="chip-x" aria-label=${"Remove alias " + alias} disabled=${busy} onClick=${() => act(() => onRemove(alias))}>×</button>`}
        </span>`,
      )}
    </div>
    <form class="alias-form" onSubmit=${submit}>
      <input
        class="alias-input"
        aria-label="New alias"
        placeholder="Add an alias (best, production…)"
        value=${draft}
        onInput=${(e) => setDraft(e.currentTarget.value)}
      />
      <button type="submit" disabled=${busy || !draft.trim()}>Add</button>
    </form>
    <${ErrorBox} error=${error} />
  </div>`;
}
