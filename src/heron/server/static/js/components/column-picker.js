// Choose which columns the runs table shows, and in what order: checkboxes to
// show or hide, up/down buttons to move a shown column.
import { html, useState } from "../../vendor/preact-htm.js";

/** Run fields every project has; config.* and summary.* columns come from the server. */
export const BASE_COLUMNS = ["state", "created_at", "runtime", "user", "host", "tags", "group", "job_type", "notes"];
export const COLUMN_LABELS = {
  name: "Name", state: "State", created_at: "Created", runtime: "Runtime", user: "User", host: "Host",
  tags: "Tags", group: "Group", job_type: "Job type", notes: "Notes",
};

export function columnLabel(column) {
  return COLUMN_LABELS[column] || column;
}

/** Every column the project offers, base fields first. */
export function allColumns(keys) {
  return [...BASE_COLUMNS, ...keys.config.map((k) => "config." + k), ...keys.summary.map((k) => "summary." + k)];
}

/** What a project shows before anyone chose: the base fields and the first few config/summary keys. */
export function defaultColumns(keys) {
  return [
    "state", "created_at", "runtime", "user", "tags", "group", "job_type",
    ...keys.config.slice(0, 8).map((k) => "config." + k),
    ...keys.summary.slice(0, 8).map((k) => "summary." + k),
  ];
}

export function ColumnPicker({ columns, available, onChange, onClose }) {
  const [needle, setNeedle] = useState("");
  const shown = new Set(columns);
  const hidden = available.filter((c) => !shown.has(c) && c.toLowerCase().includes(needle.toLowerCase()));
  const move = (index, delta) => {
    const next = [...columns];
    const [item] = next.splice(index, 1);
    next.splice(index + delta, 0, item);
    onChange(next);
  };
  return html`
    <div class="column-picker panel" role="dialog" aria-label="Columns">
      <div class="picker-head">
        <strong>Columns</strong>
        <input type="search" placeholder="Find a column" aria-label="Find a column" value=${needle}
          onInput=${(e) => setNeedle(e.currentTarget.value)} />
        <button type="button" onClick=${onClose}>Done</button>
      </div>
      <div class="picker-lists">
        <ol class="picker-shown">
          ${columns.map(
            (column, i) => html`<li key=${column} data-column=${column}>
              <label><input type="checkbox" checked onChange=${() => onChange(columns.filter((c) => c !== column))} />
                ${columnLabel(column)}</label>
              <span class="picker-move">
                <button type="button" aria-label=${`Move ${column} up`} disabled=${i === 0}
                  onClick=${() => move(i, -1)}>↑</button>
                <button type="button" aria-label=${`Move ${column} down`} disabled=${i === columns.length - 1}
                  onClick=${() => move(i, 1)}>↓</button>
              </span>
            </li>`,
          )}
        </ol>
        <ul class="picker-hidden">
          ${hidden.map(
            (column) => html`<li key=${column} data-column=${column}>
              <label><input type="checkbox" onChange=${() => onChange([...columns, column])} />
                ${columnLabel(column)}</label>
            </li>`,
          )}
          ${hidden.length === 0 && html`<li class="muted">No other columns.</li>`}
        </ul>
      </div>
    </div>
  `;
}
