// A preview of one file of an artifact version, by what its name says it is:
// images inline (through the media endpoint), JSON pretty-printed, CSV as a table,
// Parquet and logged heron.Table stubs in the server-paged table viewer, other text
// as is. References are only named (their bytes live elsewhere); big or binary
// files get their download link.
import { html, useEffect, useState } from "../../vendor/preact-htm.js";
import { API } from "../lib/api.js";
import { ErrorBox } from "./common.js";
import { TableViewer } from "./table-viewer.js";

const MAX_PREVIEW_BYTES = 2 << 20;
const MAX_CSV_ROWS = 500;
const IMAGE = /\.(png|jpe?g|gif)$/i;
const CSV = /\.(csv|tsv)$/i;
const PARQUET = /\.parquet$/i;
const TABLE_STUB = /\.table\.json$/i;
const JSON_FILE = /\.json$/i;

/** The URL of a stored file's bytes (blobs are named by the sha256 in the manifest). */
export function blobUrl(entry) {
  return `${API}/blobs/${encodeURIComponent(entry.digest)}`;
}

export const baseName = (path) => path.slice(path.lastIndexOf("/") + 1);

/** Rows of a CSV (or TSV) text: quoted fields may hold the separator, quotes ("") and newlines. */
export function parseCsv(text, sep = ",") {
  const rows = [];
  let row = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') field += text[++i];
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === sep) {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if (field !== "" || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

function CsvTable({ text, sep }) {
  const rows = parseCsv(text, sep);
  if (rows.length === 0) return html`<p class="muted">An empty file.</p>`;
  const [head, ...body] = rows;
  const shown = body.slice(0, MAX_CSV_ROWS);
  return html`<div class="csv-wrap">
    <table class="grid csv-table">
      <thead><tr>${head.map((h, i) => html`<th key=${i}>${h}</th>`)}</tr></thead>
      <tbody>${shown.map((r, i) => html`<tr key=${i}>${head.map((_, j) => html`<td key=${j}>${r[j] ?? ""}</td>`)}</tr>`)}</tbody>
    </table>
    <p class="muted">${body.length > MAX_CSV_ROWS ? `The first ${MAX_CSV_ROWS} of ${body.length} rows.` : `${body.length} rows.`}</p>
  </div>`;
}

const SMALL_IMAGE = 128; // px: icons and MNIST digits are drawn larger, with crisp pixels

function enlargeSmall(e) {
  const img = e.currentTarget;
  const side = Math.max(img.naturalWidth, img.naturalHeight);
  if (side > 0 && side < SMALL_IMAGE) {
    const k = Math.floor(SMALL_IMAGE / side);
    img.style.width = `${img.naturalWidth * k}px`;
    img.classList.add("pixelated");
  }
}

/** What the preview needs to read: nothing (images, references, Parquet), or the text. */
function needsText(entry) {
  return !entry.ref && !IMAGE.test(entry.path) && !PARQUET.test(entry.path) && (entry.size ?? 0) <= MAX_PREVIEW_BYTES;
}

function PreviewBody({ entry, name }) {
  const [text, setText] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    if (!needsText(entry)) return;
    let live = true;
    fetch(blobUrl(entry))
      .then((response) => {
        if (!response.ok) throw new Error(`Could not read ${entry.path}: HTTP ${response.status}`);
        return response.text();
      })
      .then((body) => live && setText(body), (e) => live && setError(e));
    return () => {
      live = false;
    };
  }, [entry.digest]);

  const path = entry.path;
  if (entry.ref) return html`<p>A reference, not stored in Heron: <span class="mono ref-uri">${entry.ref}</span></p>`;
  if (IMAGE.test(path)) {
    const ext = path.slice(path.lastIndexOf(".") + 1).toLowerCase();
    return html`<img class="artifact-image" src=${`${API}/media/${encodeURIComponent(entry.digest)}.${ext}`} alt=${path} onLoad=${enlargeSmall} />`;
  }
  if (PARQUET.test(path)) return html`<${TableViewer} sources=${[{ runId: name, name: path, stub: { sha256: entry.digest } }]} />`;
  if ((entry.size ?? 0) > MAX_PREVIEW_BYTES) return html`<p class="muted">Too large to preview (over 2 MB): download it instead.</p>`;
  if (error) return html`<${ErrorBox} error=${error} />`;
  if (text === null) return html`<p class="muted">Loading…</p>`;
  if (text.includes("\u0000")) return html`<p class="muted">A binary file: download it to open it.</p>`;
  if (CSV.test(path)) return html`<${CsvTable} text=${text} sep=${/\.tsv$/i.test(path) ? "\t" : ","} />`;
  if (JSON_FILE.test(path)) {
    let value;
    try {
      value = JSON.parse(text);
    } catch {
      return html`<p class="muted">Not valid JSON: shown as text.</p><pre class="file-text">${text}</pre>`;
    }
    if (TABLE_STUB.test(path) && value && value._type === "table-file" && value.sha256)
      return html`<${TableViewer} sources=${[{ runId: name, name: path, stub: value }]} />`;
    return html`<pre class="file-text json">${JSON.stringify(value, null, 2)}</pre>`;
  }
  return html`<pre class="file-text">${text || " "}</pre>`;
}

export function ArtifactPreview({ entry, name }) {
  return html`<div class="panel artifact-preview" data-preview=${entry.path}>
    <div class="preview-head">
      <strong class="mono">${entry.path}</strong>
      ${!entry.ref && html`<a class="download" href=${blobUrl(entry)} download=${baseName(entry.path)}>Download</a>`}
    </div>
    <${PreviewBody} key=${entry.digest} entry=${entry} name=${name} />
  </div>`;
}
