// Feedback counted for a traces-table cell: "👍2 👎 📝" (kept apart from the
// feedback panel so the table page loads fewer modules).
import { html } from "../../vendor/preact-htm.js";
import { NOTE } from "../lib/calls.js";

/** Compact counts for a table cell: "👍 2  📝 1". */
export function FeedbackCounts({ counts }) {
  if (!counts) return null;
  const notes = counts.types[NOTE] || 0;
  const other = counts.total - notes - Object.values(counts.reactions).reduce((a, b) => a + b, 0);
  return html`<span class="feedback-counts" title=${`${counts.total} feedback`}>
    ${Object.entries(counts.reactions).map(([emoji, n]) => html`<span key=${emoji}>${emoji}${n > 1 ? n : ""}</span>`)}
    ${notes > 0 && html`<span>📝${notes > 1 ? notes : ""}</span>`}
    ${other > 0 && html`<span class="muted">+${other}</span>`}
  </span>`;
}
