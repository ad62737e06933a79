// The Logs tab: the run's console output with line numbers and search, tailed
// live while the run is running. Only the rows in view are in the DOM and lines
// are fetched a page at a time as they scroll into view, so a 100,000-line log
// scrolls as smoothly as a short one.
import { html, useEffect, useLayoutEffect, useRef, useState } from "../../vendor/preact-htm.js";
import { api, runPath } from "../lib/api.js";
import { usePoll } from "../lib/poll.js";
import { ErrorBox, SearchBox } from "./common.js";

const ROW = 18; // px: one line a row (long lines scroll sideways), so row i sits at i * ROW
const PAGE = 1000;
const OVERSCAN = 40;
const TAIL_MS = 2000;
const SEARCH_DEBOUNCE_MS = 250;

export function RunLogs({ entity, project, runId, running }) {
  const [query, setQuery] = useState("");
  const [search, setSearch] = useState("");
  useEffect(() => {
    const timer = setTimeout(() => setSearch(query.trim()), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [query]);
  const path = runPath(entity, project, runId) + "/output";
  return html`<div class="run-logs">
    <div class="logs-head">
      <${SearchBox} value=${query} onInput=${setQuery} placeholder="Search logs" />
      ${running && html`<span class="live-dot" title="new lines appear every 2 s">live</span>`}
    </div>
    <${LogView} key=${search} path=${path} search=${search} running=${running} />
  </div>`;
}

/** Splits `text` around case-insensitive matches of `needle`, marking them. */
function highlight(text, needle) {
  if (!needle) return text;
  const lower = text.toLowerCase();
  const n = needle.toLowerCase();
  const parts = [];
  let at = 0;
  for (let i = lower.indexOf(n); i !== -1; i = lower.indexOf(n, at)) {
    if (i > at) parts.push(text.slice(at, i));
    parts.push(html`<mark>${text.slice(i, i + n.length)}</mark>`);
    at = i + n.length;
  }
  parts.push(text.slice(at));
  return parts;
}

/**
 * Rows are indexed from 0. Without a search, row i is line i (line numbers have
 * no gaps), so any page can be fetched directly with start = page * PAGE. With a
 * search, row i is the i-th match: matches are fetched in order, each page from
 * the line after the last match seen.
 */
function LogView({ path, search, running }) {
  const view = useRef(null);
  const rows = useRef(new Map()); // row index -> [line_no, text]
  const requested = useRef(new Set()); // pages asked for (no search)
  const busy = useRef(false); // a search page or tail read in flight
  const atBottom = useRef(running); // follow new lines while the reader is at the end
  const [count, setCount] = useState(0);
  const [total, setTotal] = useState(null); // null until the first answer
  const [loaded, setLoaded] = useState(0); // search: matches fetched so far
  const [, setVersion] = useState(0);
  const [scroll, setScroll] = useState({ top: 0, height: 600 });
  const [error, setError] = useState(null);
  const stale = useRef(false);
  useEffect(() => () => (stale.current = true), []);

  const read = async (params) => {
    const data = await api.get(path, { limit: PAGE, ...params, search: search || undefined });
    if (stale.current) return null;
    setError(null);
    return data;
  };
  const grow = (data, lastIndex) => {
    setTotal(data.total);
    setCount((c) => Math.max(c, search ? data.total : Math.max(data.total, lastIndex + 1)));
    setVersion((v) => v + 1);
  };

  const loadPage = async (page) => {
    if (requested.current.has(page)) return;
    requested.current.add(page);
    try {
      const data = await read({ start: page * PAGE });
      if (!data) return;
      for (const line of data.lines) rows.current.set(line[0], line);
      grow(data, data.lines.length ? data.lines[data.lines.length - 1][0] : -1);
    } catch (e) {
      requested.current.delete(page);
      setError(e);
    }
  };

  // Search: the next page of matches, after the last match fetched.
  const loadMatches = async () => {
    if (busy.current) return;
    busy.current = true;
    try {
      const n = rows.current.size;
      const last = n ? rows.current.get(n - 1)[0] : -1;
      const data = await read({ start: last + 1 });
      if (!data) return;
      data.lines.forEach((line, i) => rows.current.set(n + i, line));
      setLoaded(rows.current.size);
      grow(data, rows.current.size - 1);
    } catch (e) {
      setError(e);
    } finally {
      busy.current = false;
    }
  };

  // The tail: lines after the last one known (matches after the last match, when searching).
  const tail = async () => {
    if (search) {
      if (total === null || rows.current.size >= total) await loadMatches();
      return;
    }
    if (busy.current) return;
    busy.current = true;
    try {
      const data = await read({ start: count });
      if (!data) return;
      for (const line of data.lines) rows.current.set(line[0], line);
      grow(data, data.lines.length ? data.lines[data.lines.length - 1][0] : -1);
    } catch (e) {
      setError(e);
    } finally {
      busy.current = false;
    }
  };
  usePoll(tail, running ? TAIL_MS : 0, [running]);

  const first = Math.max(0, Math.floor(scroll.top / ROW) - OVERSCAN);
  const last = Math.min(count, Math.ceil((scroll.top + scroll.height) / ROW) + OVERSCAN);

  // Fetch what scrolled into view and is not here yet.
  useEffect(() => {
    if (total === null || count === 0) return;
    if (search) {
      if (last > rows.current.size && rows.current.size < total) loadMatches();
      return;
    }
    for (let page = Math.floor(first / PAGE); page * PAGE < last; page++) {
      const end = Math.min(last, (page + 1) * PAGE);
      for (let i = Math.max(first, page * PAGE); i < end; i++) {
        if (!rows.current.has(i)) {
          loadPage(page);
          break;
        }
      }
    }
  }, [first, last, total, count, loaded]);

  // Keep following the end while the reader is there.
  useLayoutEffect(() => {
    const el = view.current;
    if (el && atBottom.current && count > 0) el.scrollTop = el.scrollHeight;
  }, [count]);

  useEffect(() => {
    const el = view.current;
    if (!el) return;
    const measure = () => setScroll({ top: el.scrollTop, height: el.clientHeight });
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const onScroll = (e) => {
    const el = e.currentTarget;
    atBottom.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 2 * ROW;
    setScroll({ top: el.scrollTop, height: el.clientHeight });
  };

  const shown = [];
  for (let i = first; i < last; i++) {
    const line = rows.current.get(i);
    shown.push(html`<div class=${"log-line" + (line ? "" : " pending")} key=${i} style=${{ top: i * ROW + "px" }} data-line=${line ? line[0] + 1 : ""}>
      <span class="ln">${line ? line[0] + 1 : search ? "" : i + 1}</span><span class="lt">${line ? highlight(line[1], search) : "…"}</span>
    </div>`);
  }
  let status = "";
  if (total !== null) {
    status = search
      ? `${total.toLocaleString()} matching line${total === 1 ? "" : "s"}`
      : `${count.toLocaleString()} line${count === 1 ? "" : "s"}`;
  }
  return html`<div class="log-wrap">
    <div class="log-status muted" data-total=${total === null ? "" : total}>${total === null ? "Loading…" : status}</div>
    <${ErrorBox} error=${error} />
    <div class="log-view mono" ref=${view} onScroll=${onScroll} tabindex="0" aria-label="Console output">
      ${total !== null && count === 0
        ? html`<div class="log-empty muted">${search ? "No line matches." : running ? "No console output yet: lines appear here as the run prints them." : "This run has no console output."}</div>`
        : html`<div class="log-spacer" style=${{ height: count * ROW + "px" }}>${shown}</div>`}
    </div>
  </div>`;
}
