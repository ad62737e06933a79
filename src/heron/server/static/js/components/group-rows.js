// Runs grouped by a field: one row per group value with its run count and the
// mean (min–max on hover) of each shown summary column; expanding a group
// lists its runs, fetched page by page with the filter {by: value}.
import { html, useState } from "../../vendor/preact-htm.js";
import { api } from "../lib/api.js";
import { fmtValue } from "../lib/format.js";
import { usePoll } from "../lib/poll.js";
import { columnLabel } from "./column-picker.js";
import { RunRow, SortHeader } from "./runs-table.js";

const GROUP_PAGE = 50;

/** The project's filters narrowed to one group value (a missing value is its own group). */
export function groupFilters(filters, by, value) {
  const cond = { [by]: value === null ? { $exists: false } : value };
  return filters && Object.keys(filters).length ? { $and: [filters, cond] } : cond;
}

function Aggregate({ stats }) {
  if (!stats || stats.mean === null || stats.mean === undefined) return html`<td class="num"></td>`;
  return html`<td class="num agg" title=${`min ${fmtValue(stats.min)} · max ${fmtValue(stats.max)}`}>
    ${fmtValue(stats.mean)}<span class="agg-range">${fmtValue(stats.min)}–${fmtValue(stats.max)}</span>
  </td>`;
}

function GroupBlock({ group, by, columns, query, ctx }) {
  const [open, setOpen] = useState(false);
  const [runs, setRuns] = useState(null);
  const [limit, setLimit] = useState(GROUP_PAGE);
  const [total, setTotal] = useState(group.count);
  const filters = groupFilters(query.filters, by, group.value);
  usePoll(
    async () => {
      if (!open) return;
      const data = await api.get(ctx.runsPath, {
        filters, search: query.search || undefined, order: query.order, limit, lite: true,
      });
      setRuns(data.runs);
      setTotal(data.total);
    },
    open ? 5000 : 0,
    [open, limit, JSON.stringify(filters), query.search, query.order],
  );
  const label = group.value === null ? "(none)" : fmtValue(group.value);
  return html`
    <tr class="group-row" data-group=${label}>
      <td colspan="3" class="group-head">
        <button type="button" class="group-toggle" aria-expanded=${open} onClick=${() => setOpen(!open)}>
          ${open ? "▾ " : "▸ "}<span class="group-by">${columnLabel(by) + ": "}</span><strong class="group-value">${label}</strong>
        </button>
        <span class="group-count" title="runs in this group">${group.count} runs</span>
      </td>
      ${columns.map((c) =>
        c.startsWith("summary.") ? html`<${Aggregate} key=${c} stats=${group.aggregates[c]} />` : html`<td key=${c}></td>`,
      )}
    </tr>
    ${open && runs === null && html`<tr class="group-loading"><td colspan=${columns.length + 3} class="muted">Loading…</td></tr>`}
    ${open && runs && runs.map((run) => html`<${RunRow} key=${run.run_id} run=${run} columns=${columns} ctx=${ctx} />`)}
    ${open && runs && runs.length < total && html`<tr class="group-more"><td colspan=${columns.length + 3}>
      <button type="button" onClick=${() => setLimit(limit + GROUP_PAGE)}>Show more (${runs.length} of ${total})</button>
    </td></tr>`}
  `;
}

export function GroupedRuns({ groups, by, columns, query, onSort, ctx }) {
  return html`
    <div class="table-scroll">
      <table class="grid runs-table grouped">
        <thead>
          <tr>
            <th class="pick"></th>
            <th class="eye"></th>
            <${SortHeader} column="name" order=${query.order} onSort=${onSort} className="name" />
            ${columns.map((c) => html`<${SortHeader} key=${c} column=${c} order=${query.order} onSort=${onSort} />`)}
          </tr>
        </thead>
        <tbody>
          ${groups.map(
            (g) => html`<${GroupBlock} key=${JSON.stringify(g.value)} group=${g} by=${by} columns=${columns}
              query=${query} ctx=${ctx} />`,
          )}
        </tbody>
      </table>
    </div>
  `;
}
