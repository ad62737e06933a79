// A call's inputs or output, each shown in the form that reads best: chat
// messages as a conversation, LLM responses as the reply, images as images,
// long text as markdown, refs as chips, everything else as a JSON tree.
import { html, useState } from "../../vendor/preact-htm.js";
import { isChat } from "../lib/calls.js";
import { Chat } from "./chat.js";
import { BlobStub, InlineImage, JsonView, RefChip, isBlobStub, isImageStub, isImageUri, isRef } from "./jsonview.js";
import { Markdown, looksLikeMarkdown } from "./markdown.js";

/** The messages an LLM response carries: OpenAI `choices[].message`, Anthropic `{role, content}`. */
function replyMessages(value) {
  if (!value || typeof value !== "object" || Array.isArray(value)) return null;
  if (Array.isArray(value.choices)) {
    const messages = value.choices.map((c) => c && c.message).filter((m) => m && typeof m.role === "string");
    return messages.length ? messages : null;
  }
  if (typeof value.role === "string" && "content" in value) return [value];
  return null;
}

function TextValue({ text }) {
  const [raw, setRaw] = useState(false);
  if (!looksLikeMarkdown(text)) return html`<div class="text-value">${text}</div>`;
  return html`<div class="text-value">
    <button type="button" class="link-button view-toggle" onClick=${() => setRaw(!raw)}>${raw ? "markdown" : "raw"}</button>
    ${raw ? html`<pre class="raw-text">${text}</pre>` : html`<${Markdown} text=${text} />`}
  </div>`;
}

/** One value (an argument or an output). */
export function CallValue({ value }) {
  if (value === null || value === undefined) return html`<span class="json-null">None</span>`;
  if (typeof value === "string") {
    if (isRef(value)) return html`<${RefChip} value=${value} />`;
    if (isImageUri(value)) return html`<${InlineImage} value=${value} />`;
    return html`<${TextValue} text=${value} />`;
  }
  if (isImageStub(value)) return html`<${InlineImage} value=${value} />`;
  if (isBlobStub(value)) return html`<${BlobStub} value=${value} />`;
  if (isChat(value)) return html`<${Chat} messages=${value} />`;
  const reply = replyMessages(value);
  if (reply) {
    return html`<div>
      <${Chat} messages=${reply} />
      <details class="raw-json"><summary>Full response</summary><${JsonView} value=${value} openDepth=${1} /></details>
    </div>`;
  }
  return html`<${JsonView} value=${value} />`;
}

/** A call's inputs: one labelled value per argument (`self` last, collapsed). */
export function CallInputs({ inputs }) {
  const entries = Object.entries(inputs || {});
  if (!entries.length) return html`<p class="muted">No inputs.</p>`;
  return html`<div class="call-inputs">
    ${entries.map(
      ([name, value]) => html`<div key=${name} class="call-arg" data-arg=${name}>
        <div class="call-arg-name">${name}</div>
        <div class="call-arg-value"><${CallValue} value=${value} /></div>
      </div>`,
    )}
  </div>`;
}
