// A dataset's rows, paged from its row table on the server: columns from the
// keys of the rows shown, cells compact (images as thumbnails, long text cut,
// nested values as one-line previews with the full value on hover).
import { html, useEffect, useState } from "../../vendor/preact-htm.js";
import { preview } from "../lib/calls.js";
import { fmtValue } from "../lib/format.js";
import { objectsApi } from "../lib/weave.js";
import { ErrorBox } from "./common.js";
import { InlineImage, RefChip, isImageStub, isImageUri, isRef } from "./jsonview.js";
import { Pager, PAGE_SIZES } from "./pager.js";

const CELL_CHARS = 120;

/** Column names in first-seen order over a page of row values. */
export function columnsOf(values) {
  const seen = new Set();
  for (const v of values) {
    if (v && typeof v === "object" && !Array.isArray(v)) Object.keys(v).forEach((k) => seen.add(k));
    else seen.add("value");
  }
  return [...seen];
}

export function Cell({ value }) {
  if (value === undefined) return html`<span class="muted">—</span>`;
  if (isImageStub(value) || isImageUri(value)) return html`<${InlineImage} value=${value} />`;
  if (isRef(value)) return html`<${RefChip} value=${value} />`;
  if (typeof value === "string") {
    const cut = value.length > CELL_CHARS ? value.slice(0, CELL_CHARS - 1) + "…" : value;
    return html`<span title=${value.length > CELL_CHARS ? value : null}>${cut}</span>`;
  }
  if (value !== null && typeof value === "object") {
    const full = JSON.stringify(value);
    return html`<span class="mono" title=${full.length > 2000 ? full.slice(0, 2000) + "…" : full}>${preview(value, false)}</span>`;
  }
  return html`<span class="mono">${fmtValue(value) || "null"}</span>`;
}

export function DatasetRows({ entity, project, digest }) {
  const [page, setPage] = useState(0);
  const [pageSize, setPageSize] = useState(PAGE_SIZES[0]);
  const [total, setTotal] = useState(null);
  const [rows, setRows] = useState(null);
  const [error, setError] = useState(null);
  const objects = objectsApi(entity, project);
  useEffect(() => {
    objects.table(digest).then((t) => setTotal(t.row_count), setError);
  }, [digest]);
  useEffect(() => {
    let stale = false;
    objects.rows(digest, page * pageSize, pageSize).then((r) => !stale && setRows(r), setError);
    return () => (stale = true);
  }, [digest, page, pageSize]);
  if (error) return html`<${ErrorBox} error=${error} />`;
  if (rows === null || total === null) return html`<p class="muted">Loading rows…</p>`;
  const values = rows.map((r) => r.val);
  const columns = columnsOf(values);
  const cell = (v, c) => (v && typeof v === "object" && !Array.isArray(v) ? v[c] : c === "value" ? v : undefined);
  return html`<div class="dataset-rows" data-rows=${total}>
    <div class="table-scroll"><table class="grid dataset-table">
      <thead><tr><th class="num">#</th>${columns.map((c) => html`<th key=${c} data-column=${c}>${c}</th>`)}</tr></thead>
      <tbody>
        ${rows.map(
          (r) => html`<tr key=${r.index} data-row=${r.index}>
            <td class="num muted">${r.index}</td>
            ${columns.map((c) => html`<td key=${c}><${Cell} value=${cell(r.val, c)} /></td>`)}
          </tr>`,
        )}
      </tbody>
    </table></div>
    <${Pager} page=${page} pageSize=${pageSize} total=${total} onPage=${setPage}
      onPageSize=${(size) => (setPageSize(size), setPage(0))} />
  </div>`;
}
