// A config or summary as a two-column table of flattened (dotted) keys, with a
// search box over keys and values. Keys starting with "_" are Heron's own and left out.
import { html, useMemo, useState } from "../../vendor/preact-htm.js";
import { flatten, fmtValue } from "../lib/format.js";
import { SearchBox } from "./common.js";

export function KeyValueTable({ title, name, data }) {
  const [query, setQuery] = useState("");
  const rows = useMemo(
    () =>
      Object.entries(flatten(data || {}))
        .filter(([key]) => !key.startsWith("_"))
        .sort(([a], [b]) => a.localeCompare(b)),
    [data],
  );
  const needle = query.trim().toLowerCase();
  const shown = needle
    ? rows.filter(([key, value]) => key.toLowerCase().includes(needle) || fmtValue(value).toLowerCase().includes(needle))
    : rows;
  return html`<div class="kv panel" data-kv=${name}>
    <div class="kv-head">
      <h2>${title}</h2>
      <span class="muted">${rows.length} keys</span>
      <${SearchBox} value=${query} onInput=${setQuery} placeholder=${"Search " + title.toLowerCase()} />
    </div>
    ${rows.length === 0
      ? html`<p class="muted">No ${title.toLowerCase()}.</p>`
      : shown.length === 0
        ? html`<p class="muted">No key or value matches.</p>`
        : html`<table class="grid kv-table">
            <tbody>
              ${shown.map(
                ([key, value]) => html`<tr key=${key} data-key=${key}>
                  <th class="mono">${key}</th>
                  <td class="mono">${fmtValue(value)}</td>
                </tr>`,
              )}
            </tbody>
          </table>`}
  </div>`;
}
