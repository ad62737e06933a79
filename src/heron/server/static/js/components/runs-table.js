// The runs table: one row per run, any chosen columns, sort by clicking a
// header (the server sorts), checkboxes to select runs, an eye to hide a run
// from the workspace charts.
import { html } from "../../vendor/preact-htm.js";
import { fmtAgo, fmtDuration, fmtTime, fmtValue, flatten } from "../lib/format.js";
import { RunLink, StateBadge } from "./common.js";
import { columnLabel } from "./column-picker.js";

/** Seconds from start to end, or to the last heartbeat while the run is going. */
export function runtime(run) {
  const end = run.ended_at ?? run.heartbeat_at ?? run.created_at;
  return Math.max(0, (end || run.created_at) - run.created_at);
}

/** The `order` the server takes for a column; null where a column cannot be sorted. */
export function sortField(column) {
  return column === "tags" ? null : column;
}

function cellValue(run, column, flat) {
  if (column.startsWith("config.")) return flat.config[column.slice(7)];
  if (column.startsWith("summary.")) return flat.summary[column.slice(8)];
  return run[column];
}

function Cell({ run, column, flat }) {
  if (column === "state") return html`<td data-col="state"><${StateBadge} state=${run.state} /></td>`;
  if (column === "created_at") {
    return html`<td data-col="created_at" title=${fmtTime(run.created_at)}>${fmtAgo(run.created_at)}</td>`;
  }
  if (column === "runtime") return html`<td class="num" data-col="runtime">${fmtDuration(runtime(run))}</td>`;
  if (column === "tags") {
    return html`<td data-col="tags">${(run.tags || []).map((t) => html`<span class="tag" key=${t}>${t}</span>`)}</td>`;
  }
  const value = cellValue(run, column, flat);
  const text = value && typeof value === "object" && value._type ? `[${value._type}]` : fmtValue(value);
  const numeric = typeof value === "number";
  return html`<td class=${numeric ? "num" : column === "notes" ? "notes" : ""} data-col=${column} title=${text}>${text}</td>`;
}

export function SortHeader({ column, order, onSort, className = "" }) {
  const field = sortField(column);
  if (!field) return html`<th class=${className} data-col=${column}>${columnLabel(column)}</th>`;
  const direction = order === field ? "asc" : order === "-" + field ? "desc" : null;
  // Numbers and times read best largest/newest first, names A→Z.
  const first = column === "name" ? field : "-" + field;
  const next = direction === null ? first : direction === "asc" ? "-" + field : field;
  return html`<th class=${"sortable " + className} data-col=${column}
    aria-sort=${direction === "asc" ? "ascending" : direction === "desc" ? "descending" : "none"}>
    <button type="button" class="sort" onClick=${() => onSort(next)}>
      ${columnLabel(column)}<span class="sort-mark">${direction === "asc" ? " ▲" : direction === "desc" ? " ▼" : ""}</span>
    </button>
  </th>`;
}

export function RunRow({ run, columns, ctx }) {
  const flat = { config: flatten(run.config), summary: flatten(run.summary) };
  const selected = ctx.selected.has(run.run_id);
  const hidden = ctx.hidden.has(run.run_id);
  return html`<tr data-run=${run.run_id} class=${(selected ? "selected " : "") + (hidden ? "run-hidden" : "")}>
    <td class="pick">
      <input type="checkbox" aria-label=${`Select ${run.name || run.run_id}`} checked=${selected}
        onChange=${(e) => ctx.onSelect([run.run_id], e.currentTarget.checked)} />
    </td>
    <td class="eye">
      <button type="button" class="eye-toggle" aria-pressed=${hidden}
        title=${hidden ? "Hidden from workspace charts: click to show" : "Shown in workspace charts: click to hide"}
        aria-label=${`${hidden ? "Show" : "Hide"} ${run.name || run.run_id} in the workspace`}
        onClick=${() => ctx.onToggleHidden(run.run_id)}>${hidden ? "◌" : "●"}</button>
    </td>
    <td class="name" data-col="name"><${RunLink} entity=${ctx.entity} project=${ctx.project} run=${run} /></td>
    ${columns.map((column) => html`<${Cell} key=${column} run=${run} column=${column} flat=${flat} />`)}
  </tr>`;
}

export function RunsTable({ runs, columns, order, onSort, ctx }) {
  const ids = runs.map((r) => r.run_id);
  const all = ids.length > 0 && ids.every((id) => ctx.selected.has(id));
  const some = !all && ids.some((id) => ctx.selected.has(id));
  return html`
    <div class="table-scroll">
      <table class="grid runs-table">
        <thead>
          <tr>
            <th class="pick">
              <input type="checkbox" aria-label="Select all runs on this page" checked=${all}
                ref=${(el) => el && (el.indeterminate = some)}
                onChange=${(e) => ctx.onSelect(ids, e.currentTarget.checked)} />
            </th>
            <th class="eye" title="Shown in the workspace"></th>
            <${SortHeader} column="name" order=${order} onSort=${onSort} className="name" />
            ${columns.map((c) => html`<${SortHeader} key=${c} column=${c} order=${order} onSort=${onSort} />`)}
          </tr>
        </thead>
        <tbody>
          ${runs.map((run) => html`<${RunRow} key=${run.run_id} run=${run} columns=${columns} ctx=${ctx} />`)}
        </tbody>
      </table>
    </div>
  `;
}
