// A logged table (heron.Table), paged, sorted and filtered on the server.
//
// Props: {sources: [{runId, name, stub}] (one table stub per run: sha256, columns,
// column_types, nrows), height (px of table body before it scrolls), onDrawn}.
// With several runs a selector shows one run's table, or all of them one after
// another (with a run column) or side by side; sort, filter, page size and the
// statistics row apply to every table shown, so the runs compare like for like.
// Image cells are thumbnails (click to enlarge); audio and video cells play in
// place; HTML opens in a sandboxed frame; 3D objects are links to their file.
import { html, useCallback, useEffect, useLayoutEffect, useRef, useState } from "../../vendor/preact-htm.js";
import { ApiError } from "../lib/api.js";
import { fmtValue } from "../lib/format.js";
import { mediaUrl } from "../lib/media.js";
import { cellStub, fetchTablePage, fetchTableStats } from "../lib/tables.js";
import { ErrorBox, Swatch } from "./common.js";
import { HtmlView } from "./html-view.js";
import { MediaZoom } from "./media-zoom.js";
import { Object3DView } from "./object3d-view.js";

const PAGE_SIZES = [50, 100];
const ONE_AFTER_ANOTHER = "stacked";
const SIDE_BY_SIDE = "side";
const NUMBER_TYPES = new Set(["number"]);
const NOTHING_HIDDEN = new Set(); // MediaZoom's overlay toggles: every mask and box shown

const isAbort = (e) => e && e.name === "AbortError";
const count = (n) => (typeof n === "number" ? n.toLocaleString("en-US") : "?");

export function TableViewer({ sources, height = 360, onDrawn }) {
  const [mode, setMode] = useState(ONE_AFTER_ANOTHER); // or SIDE_BY_SIDE, or "run:<id>" for one run
  const [draft, setDraft] = useState("");
  const [filter, setFilter] = useState("");
  const [sort, setSort] = useState({ column: null, desc: false });
  const [limit, setLimit] = useState(PAGE_SIZES[0]);
  const [showStats, setShowStats] = useState(false);
  const [filterErrors, setFilterErrors] = useState({});
  const [enlarged, setEnlarged] = useState(null);
  const drawn = useRef(false);
  const close = useCallback(() => setEnlarged(null), []);

  const shownRun = sources.find((s) => "run:" + s.runId === mode);
  const shown = sources.length === 1 ? sources : shownRun ? [shownRun] : sources;
  const layout = sources.length > 1 && !shownRun ? (mode === SIDE_BY_SIDE ? SIDE_BY_SIDE : ONE_AFTER_ANOTHER) : "";
  const errors = [...new Set(shown.map((s) => filterErrors[s.runId]).filter(Boolean))];

  const apply = (text) => {
    setFilterErrors({});
    setFilter(text.trim());
  };
  const onSort = (column) =>
    setSort((old) => (old.column !== column ? { column, desc: false } : old.desc ? { column: null, desc: false } : { column, desc: true }));
  const onFilterError = (runId, message) => setFilterErrors((old) => (old[runId] === message ? old : { ...old, [runId]: message }));
  const done = () => {
    if (drawn.current) return;
    drawn.current = true;
    if (onDrawn) onDrawn();
  };

  return html`<div class="table-viewer" data-layout=${layout || "one"}>
    <form
      class="tv-toolbar"
      onSubmit=${(e) => {
        e.preventDefault();
        apply(draft);
      }}
    >
      ${sources.length > 1 &&
      html`<select aria-label="Runs" value=${shownRun || layout ? mode : ONE_AFTER_ANOTHER} onChange=${(e) => setMode(e.currentTarget.value)}>
        <option value=${ONE_AFTER_ANOTHER}>All ${sources.length} runs, one after another</option>
        <option value=${SIDE_BY_SIDE}>All ${sources.length} runs, side by side</option>
        ${sources.map((s) => html`<option value=${"run:" + s.runId}>${s.name}</option>`)}
      </select>`}
      <input
        class="tv-filter"
        type="search"
        aria-label="Filter rows"
        placeholder='Filter, e.g. acc > 0.5 and label == "cat"'
        value=${draft}
        onInput=${(e) => setDraft(e.currentTarget.value)}
      />
      <button type="submit">Filter</button>
      ${filter && html`<button type="button" class="link-button" onClick=${() => (setDraft(""), apply(""))}>Clear</button>`}
      <label class="tv-page-size">Rows
        <select aria-label="Rows per page" value=${limit} onChange=${(e) => setLimit(Number(e.currentTarget.value))}>
          ${PAGE_SIZES.map((n) => html`<option value=${n}>${n}</option>`)}
        </select>
      </label>
      <button type="button" aria-pressed=${showStats ? "true" : "false"} class=${showStats ? "active" : ""} onClick=${() => setShowStats(!showStats)}>Column stats</button>
    </form>
    ${errors.map((message) => html`<div class="tv-filter-error" role="alert">${message}</div>`)}
    <div class=${"tv-tables" + (layout === SIDE_BY_SIDE ? " side-by-side" : "")}>
      ${shown.map(
        (source) => html`<${TableGrid}
          key=${source.runId + ":" + source.stub.sha256}
          source=${source}
          titled=${shown.length > 1}
          runColumn=${layout === ONE_AFTER_ANOTHER}
          query=${{ filter, limit, sort: sort.column, desc: sort.desc }}
          showStats=${showStats}
          height=${height}
          onSort=${onSort}
          onEnlarge=${setEnlarged}
          onFilterError=${(message) => onFilterError(source.runId, message)}
          onLoaded=${done}
        />`,
      )}
    </div>
    ${enlarged &&
    (enlarged._type === "image-file" || enlarged.format === "gif"
      ? html`<${MediaZoom} stub=${enlarged} title=${enlarged.caption || "Image"} hidden=${NOTHING_HIDDEN} onClose=${close} />`
      : html`<${Lightbox} stub=${enlarged} onClose=${close} />`)}
  </div>`;
}

/** One run's table: a page of rows, its header (click to sort), stats and pager. */
function TableGrid({ source, titled, runColumn, query, showStats, height, onSort, onEnlarge, onFilterError, onLoaded }) {
  const { stub } = source;
  const queryKey = JSON.stringify(query);
  const [at, setAt] = useState({ offset: 0, queryKey });
  const offset = at.queryKey === queryKey ? at.offset : 0; // a new sort or filter starts on page one
  const setOffset = (value) => setAt({ offset: value, queryKey });
  const [page, setPage] = useState(null);
  const [stats, setStats] = useState(null);
  const [error, setError] = useState(null);
  const [loading, setLoading] = useState(true);

  useEffect(() => {
    const abort = new AbortController();
    setLoading(true);
    fetchTablePage(stub.sha256, { ...query, offset }, abort.signal).then(
      (data) => {
        setPage({ ...data, offset });
        setError(null);
        setLoading(false);
        onFilterError(null);
        onLoaded();
      },
      (e) => {
        if (isAbort(e)) return;
        setLoading(false);
        if (e instanceof ApiError && e.status === 400 && query.filter) onFilterError(e.message);
        else setError(e);
        onLoaded();
      },
    );
    return () => abort.abort();
  }, [stub.sha256, queryKey, offset]);

  useEffect(() => {
    if (!showStats) return undefined;
    const abort = new AbortController();
    fetchTableStats(stub.sha256, query.filter, abort.signal).then(setStats, (e) => !isAbort(e) && !(e instanceof ApiError && e.status === 400 && query.filter) && setError(e));
    return () => abort.abort();
  }, [stub.sha256, query.filter, showStats]);

  const columns = page ? page.columns : stub.columns || [];
  const types = (page && page.column_types) || stub.column_types || {};
  const rows = page ? page.rows : [];
  const total = page ? page.total : stub.nrows;
  const nrows = page ? page.nrows : stub.nrows;
  return html`<div class="tv-grid" data-run=${source.runId}>
    ${titled &&
    html`<div class="tv-run-title"><${Swatch} runId=${source.runId} />${source.name} <span class="muted">${count(nrows)} rows</span></div>`}
    <${ErrorBox} error=${error} />
    <div class="tv-scroll" style=${{ maxHeight: height + "px" }}>
      <table class="tv-table" data-total=${total} data-offset=${offset} data-loading=${loading ? "true" : "false"}>
        <thead>
          <tr>
            ${runColumn && html`<th class="tv-run-col">Run</th>`}
            ${columns.map((name) => {
              const sorted = query.sort === name;
              return html`<th key=${name} data-col=${name} class=${NUMBER_TYPES.has(types[name]) ? "num" : ""} aria-sort=${sorted ? (query.desc ? "descending" : "ascending") : "none"}>
                <button type="button" class="tv-sort" title=${`Sort by ${name}`} onClick=${() => onSort(name)}>
                  ${name}<span class="tv-sort-mark">${sorted ? (query.desc ? " ▼" : " ▲") : ""}</span>
                </button>
                <span class="tv-type muted">${types[name] || ""}</span>
              </th>`;
            })}
          </tr>
          ${showStats &&
          html`<tr class="tv-stats">
            ${runColumn && html`<td></td>`}
            ${columns.map((name) => html`<td key=${name} data-col=${name}><${ColumnStats} stats=${stats && stats[name]} /></td>`)}
          </tr>`}
        </thead>
        <tbody>
          ${rows.map(
            (row, i) => html`<tr class="tv-row" key=${page.offset + i}>
              ${runColumn && html`<td class="tv-run-col"><${Swatch} runId=${source.runId} />${source.name}</td>`}
              ${row.map((value, j) => html`<td data-col=${columns[j]} class=${NUMBER_TYPES.has(types[columns[j]]) ? "num" : ""}><${Cell} type=${types[columns[j]]} value=${value} onEnlarge=${onEnlarge} /></td>`)}
            </tr>`,
          )}
        </tbody>
      </table>
      ${page && !rows.length && html`<div class="tv-none muted">${query.filter ? "No row matches the filter." : "The table has no rows."}</div>`}
    </div>
    <${Pager} offset=${offset} shownFrom=${page ? page.offset : 0} limit=${query.limit} shown=${rows.length} total=${total} nrows=${nrows} onOffset=${setOffset} />
  </div>`;
}

/** Page buttons (for `offset`, the page asked for) and the range of the rows shown (from `shownFrom`). */
function Pager({ offset, shownFrom, limit, shown, total, nrows, onOffset }) {
  const last = Math.max(0, Math.floor((Math.max(total || 0, 1) - 1) / limit) * limit);
  return html`<div class="tv-pager">
    <button type="button" aria-label="First page" disabled=${offset === 0} onClick=${() => onOffset(0)}>«</button>
    <button type="button" aria-label="Previous page" disabled=${offset === 0} onClick=${() => onOffset(Math.max(0, offset - limit))}>‹</button>
    <span class="tv-range">${shown ? `${count(shownFrom + 1)}–${count(shownFrom + shown)}` : "0"} of ${count(total)}${total !== nrows ? ` (filtered from ${count(nrows)})` : ""}</span>
    <button type="button" aria-label="Next page" disabled=${offset + limit >= total} onClick=${() => onOffset(offset + limit)}>›</button>
    <button type="button" aria-label="Last page" disabled=${offset >= last} onClick=${() => onOffset(last)}>»</button>
  </div>`;
}

/** The statistics of one column: numbers get their range and mean, the rest their top values. */
function ColumnStats({ stats }) {
  if (!stats) return html`<span class="muted">…</span>`;
  const lines = [`${count(stats.count)} values${stats.nulls ? `, ${count(stats.nulls)} null` : ""}`];
  if (stats.min !== undefined && stats.min !== null) lines.push(`min ${fmtValue(stats.min)} · max ${fmtValue(stats.max)}`);
  if (stats.mean !== undefined && stats.mean !== null) lines.push(`mean ${fmtValue(stats.mean)}`);
  if (stats.distinct !== undefined && stats.distinct !== null) lines.push(`${count(stats.distinct)} distinct`);
  const top = (stats.top || []).slice(0, 3);
  return html`<div class="tv-stat" title=${(stats.top || []).map(([v, n]) => `${fmtValue(v)}: ${n}`).join("\n")}>
    ${lines.map((line) => html`<div>${line}</div>`)}
    ${top.map(([value, n]) => html`<div class="tv-top"><span class="tv-top-value">${fmtValue(value)}</span> <span class="muted">${count(n)}</span></div>`)}
  </div>`;
}

function Cell({ type, value, onEnlarge }) {
  if (value === null || value === undefined) return html`<span class="tv-null">–</span>`;
  const parsed = type && type.endsWith("-file") ? cellStub(value) : null;
  const stub = parsed && { _type: type, ...parsed };
  if (stub && stub.sha256) {
    const url = mediaUrl(stub);
    if (type === "image-file" || (type === "video-file" && stub.format === "gif"))
      return html`<button type="button" class="tv-thumb-button" title=${stub.caption || "Enlarge"} onClick=${() => onEnlarge(stub)}>
        <img class="tv-thumb" src=${url} alt=${stub.caption || "image"} loading="lazy" />
      </button>`;
    if (type === "audio-file") return html`<audio class="tv-audio" controls preload="none" src=${url}></audio>`;
    if (type === "video-file") return html`<video class="tv-video" controls muted preload="metadata" src=${url}></video>`;
    if (type === "html-file") return html`<button type="button" class="link-button" onClick=${() => onEnlarge(stub)}>Show HTML</button>`;
    if (type === "object3D-file")
      return html`<button type="button" class="link-button" onClick=${() => onEnlarge(stub)}>3D ${stub.format || ""}${stub.points ? ` · ${count(stub.points)} points` : ""}</button>`;
    return html`<a href=${url} download>${type}</a>`;
  }
  const text = fmtValue(value);
  return html`<span class="tv-text" title=${text.length > 40 ? text : null}>${text}</span>`;
}

/** HTML in a sandboxed frame, or a 3D object in its viewer, over the page; Escape or a click outside closes it. */
function Lightbox({ stub, onClose }) {
  useLayoutEffect(() => {  // listening before the lightbox paints (see media-zoom.js)
    const onKey = (e) => e.key === "Escape" && onClose();
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [onClose]);
  const height = Math.max(240, window.innerHeight - 200);
  return html`<div class="modal-backdrop tv-lightbox" onClick=${(e) => e.target === e.currentTarget && onClose()}>
    <div class="tv-lightbox-body panel" role="dialog" aria-label=${stub._type === "html-file" ? "Logged HTML" : "3D object"}>
      <button type="button" class="tv-close" aria-label="Close" title="Close (Esc)" onClick=${onClose}>✕</button>
      ${stub._type === "html-file" ? html`<${HtmlView} stub=${stub} height=${height} />` : html`<${Object3DView} stub=${stub} height=${height} />`}
    </div>
  </div>`;
}
