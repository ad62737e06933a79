// Long strings in calls (prompts, model answers) rendered as markdown, safely:
// lib/safe-markdown.js builds Preact nodes from the text (never innerHTML).
import { html } from "../../vendor/preact-htm.js";
import { renderMarkdown } from "../lib/safe-markdown.js";

export function Markdown({ text }) {
  return html`<div class="markdown">${renderMarkdown(String(text))}</div>`;
}

/** Whether a string reads better as markdown than as one plain line. */
export function looksLikeMarkdown(text) {
  if (typeof text !== "string" || text.length < 40) return false;
  return text.includes("\n") || /(^|\s)(#{1,6} |\*\*|`)/.test(text) || text.length > 160;
}
