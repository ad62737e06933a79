// Logged tables on the server: pages of a table's rows, its column statistics,
// and a key's logged values by step.
//
// A table's rows never come to the browser whole: /tables/{sha256} sorts, filters
// and pages them on the server, so a million-row table costs one page.
import { api, runPath } from "./api.js";

/**
 * One page of a table: {columns, column_types, rows, total, nrows}.
 * `sort` is a column name or null; `filter` the server's expression language.
 */
export function fetchTablePage(sha256, { offset = 0, limit = 50, sort = null, desc = false, filter = "" } = {}, signal) {
  const params = { offset, limit, sort, desc: sort ? desc : null, filter: filter || null };
  return api.get(`/tables/${encodeURIComponent(sha256)}`, params, signal);
}

/** Per-column statistics of a table (after `filter`): {column: {type, count, nulls, ...}}. */
export async function fetchTableStats(sha256, filter = "", signal) {
  const data = await api.get(`/tables/${encodeURIComponent(sha256)}/stats`, { filter: filter || null }, signal);
  return data.stats;
}

const MAX_PAGE_ROWS = 1000; // the server's largest page

/** The first `limit` rows of a table as objects by column name (for Vega), and its row count. */
export async function fetchTableRecords(sha256, limit) {
  const first = await fetchTablePage(sha256, { limit: Math.min(limit, MAX_PAGE_ROWS) });
  const pages = [first];
  const end = Math.min(limit, first.total);
  const rest = [];
  for (let offset = first.rows.length; offset < end && first.rows.length; offset += MAX_PAGE_ROWS)
    rest.push(fetchTablePage(sha256, { offset, limit: Math.min(MAX_PAGE_ROWS, end - offset) }));
  pages.push(...(await Promise.all(rest)));
  const { columns } = first;
  const records = pages.flatMap((page) => page.rows.map((row) => Object.fromEntries(columns.map((name, i) => [name, row[i]]))));
  return { total: first.total, records };
}

/** A media cell as its stub object; cells stored as JSON text are parsed (null if neither). */
export function cellStub(value) {
  if (value && typeof value === "object") return value;
  if (typeof value !== "string" || !value.startsWith("{")) return null;
  try {
    return JSON.parse(value);
  } catch {
    return null;
  }
}

const MAX_VALUES_PER_RUN = 1000;

/**
 * The values of `key` one run logged, by step: [{step, value}] in step order, only
 * the rows whose value has `_type` in `types` (a table stub, a plot stub...).
 * Past 1000 values, 1000 spread evenly over the steps, the first and the latest included.
 */
export async function fetchKeyValues(entity, project, runId, key, types) {
  const data = await api.get(runPath(entity, project, runId) + "/history/sample", { keys: [key], samples: MAX_VALUES_PER_RUN });
  return data.rows
    .filter((row) => row[key] && typeof row[key] === "object" && types.includes(row[key]._type))
    .map((row) => ({ step: row._step, value: row[key] }));
}
