// LLM conversations: a list of {role, content} messages shown as chat bubbles.
// Content may be a string (markdown-rendered when it looks like markdown) or a
// list of parts (text, images as data URIs); tool calls show their arguments.
import { html } from "../../vendor/preact-htm.js";
import { Markdown, looksLikeMarkdown } from "./markdown.js";
import { InlineImage, JsonView, isImageUri } from "./jsonview.js";

function Text({ text }) {
  return looksLikeMarkdown(text) ? html`<${Markdown} text=${text} />` : html`<div class="chat-text">${text}</div>`;
}

function Part({ part }) {
  if (typeof part === "string") return html`<${Text} text=${part} />`;
  if (!part || typeof part !== "object") return html`<${JsonView} value=${part} />`;
  if (typeof part.text === "string") return html`<${Text} text=${part.text} />`;
  const url = part.image_url && (typeof part.image_url === "string" ? part.image_url : part.image_url.url);
  if (typeof url === "string") {
    // Remote images are links, not <img>: opening a trace must not call out to other hosts.
    return isImageUri(url) ? html`<${InlineImage} value=${url} />` : html`<a href=${url} target="_blank" rel="noopener noreferrer">${url}</a>`;
  }
  if (part.type === "image" && part.source && part.source.type === "base64") {
    const uri = `data:${part.source.media_type};base64,${part.source.data}`;
    if (isImageUri(uri)) return html`<${InlineImage} value=${uri} />`;
  }
  return html`<${JsonView} value=${part} openDepth=${1} />`;
}

function Content({ content }) {
  if (content === null || content === undefined) return null;
  if (typeof content === "string") return html`<${Text} text=${content} />`;
  if (Array.isArray(content)) return content.map((part, i) => html`<${Part} key=${i} part=${part} />`);
  return html`<${JsonView} value=${content} openDepth=${1} />`;
}

function ToolCalls({ calls }) {
  return calls.map((tool, i) => {
    const fn = tool && tool.function ? tool.function : tool || {};
    return html`<div key=${i} class="chat-tool">
      <span class="chip small">tool call</span> <code>${String(fn.name || tool.name || "?")}</code>
      <pre>${typeof fn.arguments === "string" ? fn.arguments : JSON.stringify(fn.arguments ?? tool.input ?? {}, null, 2)}</pre>
    </div>`;
  });
}

export function Chat({ messages }) {
  return html`<div class="chat" data-messages=${messages.length}>
    ${messages.map(
      (m, i) => html`<div key=${i} class=${"chat-message role-" + String(m.role).replace(/[^a-z_-]/gi, "")} data-role=${m.role}>
        <div class="chat-role">${m.role}${m.name ? html` <span class="muted">${m.name}</span>` : ""}</div>
        <div class="chat-body">
          <${Content} content=${m.content} />
          ${Array.isArray(m.tool_calls) && html`<${ToolCalls} calls=${m.tool_calls} />`}
        </div>
      </div>`,
    )}
  </div>`;
}
