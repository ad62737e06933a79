// The call tree with its waterfall, as one virtualised list: only the rows on
// screen (plus a few) are in the DOM, so a node with 100,000 children scrolls
// as smoothly as one with ten. Rows whose page is not loaded yet are grey
// placeholders; the pages under the viewport are fetched once scrolling pauses.
// Keys: ↑/↓ move the selection, → opens, ← closes or goes to the parent.
import { html, useEffect, useLayoutEffect, useRef, useState } from "../../vendor/preact-htm.js";
import { callLabel, fmtCount, fmtLatency, latencyOf, statusOf } from "../lib/calls.js";
import { WaterfallAxis, WaterfallBar } from "./waterfall.js";

export const ROW_HEIGHT = 26;
const OVERSCAN = 10;
const LOAD_DELAY_MS = 60;

function Row({ tree, row, top, axis, selected, onSelect }) {
  const style = { transform: `translateY(${top}px)` };
  const indent = { paddingLeft: `${row.depth * 16 + 4}px` };
  if (row.id === undefined) {
    return html`<div class="tree-row pending" style=${style} data-parent=${row.parent} data-index=${row.index}>
      <div class="tree-label" style=${indent}><span class="tree-spacer"></span><span class="skeleton">${row.gone ? "(deleted)" : ""}</span></div>
      <div class="wf-cell"></div>
    </div>`;
  }
  const call = tree.calls.get(row.id);
  const open = tree.expanded.has(row.id);
  const hasKids = tree.hasChildren(row.id);
  const status = statusOf(call);
  const kids = tree.childCounts.get(row.id);
  return html`<div class=${"tree-row" + (selected === row.id ? " selected" : "")} style=${style} role="treeitem"
      aria-level=${row.depth + 1} aria-selected=${selected === row.id} aria-expanded=${hasKids ? open : undefined}
      data-call=${row.id} data-depth=${row.depth} onClick=${() => onSelect(row.id)}>
    <div class="tree-label" style=${indent}>
      ${hasKids
        ? html`<button type="button" class="tree-toggle" aria-label=${open ? "Collapse" : "Expand"}
            onClick=${(e) => (e.stopPropagation(), open ? tree.collapse(row.id) : tree.expand(row.id))}>${open ? "▾" : "▸"}</button>`
        : html`<span class="tree-spacer"></span>`}
      <span class=${"status-dot status-" + status} title=${status}></span>
      <span class="tree-op" title=${call.op_name}>${callLabel(call)}</span>
      ${hasKids && html`<span class="muted tree-kids">${fmtCount(kids)}</span>`}
      <span class="tree-latency">${fmtLatency(latencyOf(call))}</span>
    </div>
    <div class="wf-cell"><${WaterfallBar} call=${call} axis=${axis} /></div>
  </div>`;
}

export function CallTree({ tree, version, axis, selected, onSelect, revealId }) {
  const box = useRef(null);
  const [view, setView] = useState({ top: 0, height: 600 });
  const rows = tree.rows();
  const first = Math.max(0, Math.floor(view.top / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((view.top + view.height) / ROW_HEIGHT) + OVERSCAN);
  const shown = rows.slice(first, last);

  useLayoutEffect(() => {
    const el = box.current;
    const measure = () => setView({ top: el.scrollTop, height: el.clientHeight });
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  // Fetch the pages of the placeholders on screen once scrolling pauses.
  useEffect(() => {
    const timer = setTimeout(() => tree.loadVisible(shown), LOAD_DELAY_MS);
    return () => clearTimeout(timer);
  }, [first, last, version]);

  // Bring a call into view once (the one the page opened with, or one chosen by key).
  const revealed = useRef(null);
  useEffect(() => {
    if (!revealId || revealed.current === revealId) return;
    const index = rows.findIndex((r) => r.id === revealId);
    const el = box.current;
    if (index < 0 || !el) return;
    revealed.current = revealId;
    const y = index * ROW_HEIGHT;
    if (y < el.scrollTop || y + ROW_HEIGHT > el.scrollTop + el.clientHeight) el.scrollTop = Math.max(0, y - el.clientHeight / 3);
  }, [revealId, version]);

  const frame = useRef(0);
  const onScroll = () => {
    if (frame.current) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      const el = box.current;
      if (el) setView({ top: el.scrollTop, height: el.clientHeight });
    });
  };

  const onKey = (e) => {
    const at = rows.findIndex((r) => r.id === selected);
    if (at < 0) return;
    const move = (step) => {
      for (let i = at + step; i >= 0 && i < rows.length; i += step) {
        if (rows[i].id !== undefined) return onSelect(rows[i].id, true);
      }
    };
    const call = tree.calls.get(selected);
    if (e.key === "ArrowDown") move(1);
    else if (e.key === "ArrowUp") move(-1);
    else if (e.key === "ArrowRight" && tree.hasChildren(selected) && !tree.expanded.has(selected)) tree.expand(selected);
    else if (e.key === "ArrowLeft") {
      if (tree.expanded.has(selected)) tree.collapse(selected);
      else if (call.parent_id && tree.calls.has(call.parent_id)) onSelect(call.parent_id, true);
    } else return;
    e.preventDefault();
  };

  return html`<div class="call-tree">
    <div class="tree-head"><div class="tree-label">Call</div><div class="wf-cell"><${WaterfallAxis} axis=${axis} /></div></div>
    <div class="tree-scroll" ref=${box} onScroll=${onScroll} tabIndex="0" role="tree" aria-label="Call tree" onKeyDown=${onKey}
      data-rows=${rows.length}>
      <div class="tree-canvas" style=${{ height: `${rows.length * ROW_HEIGHT}px` }}>
        ${shown.map((row, i) => html`<${Row} key=${row.id ?? `${row.parent}:${row.index}`} tree=${tree} row=${row}
          top=${(first + i) * ROW_HEIGHT} axis=${axis} selected=${selected} onSelect=${onSelect} />`)}
      </div>
    </div>
  </div>`;
}
