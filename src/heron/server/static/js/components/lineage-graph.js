// The lineage of an artifact version as an interactive DAG in plain SVG: runs and
// versions as nodes, `logged` (run -> version) and `used` (version -> run) edges,
// drag to pan, wheel or buttons to zoom, click (or Enter on) a node to open its page.
import { html, useEffect, useMemo, useRef, useState } from "../../vendor/preact-htm.js";
import { api, runPath } from "../lib/api.js";
import { runColor } from "../lib/colors.js";
import { NODE_H, NODE_W, layoutLayers, lineageGraph } from "../lib/lineage.js";
import { useWidth } from "../lib/size.js";

const MIN_HEIGHT = 200;
const MAX_HEIGHT = 520;
const PAD = 24;
const MIN_SCALE = 0.2;
const MAX_SCALE = 3;
const CLICK_SLOP = 4; // px a pointer may move and still count as a click, not a drag

const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
const clip = (text, n = 24) => (text.length > n ? text.slice(0, n - 1) + "…" : text);

/** The drawing's height: room for the graph at full size, within bounds. */
const heightFor = (layout) => clamp(layout.height + 6 * PAD, MIN_HEIGHT, MAX_HEIGHT);

function fitView(layout, width) {
  const height = heightFor(layout);
  const scale = clamp(Math.min((width - 2 * PAD) / layout.width, (height - 2 * PAD) / layout.height), MIN_SCALE, 1.25);
  return { scale, x: (width - layout.width * scale) / 2, y: (height - layout.height * scale) / 2 };
}

function edgePath(a, b) {
  const x1 = a.x + NODE_W;
  const y1 = a.y + NODE_H / 2;
  const x2 = b.x;
  const y2 = b.y + NODE_H / 2;
  const bend = Math.max(40, Math.abs(x2 - x1) / 2);
  return `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`;
}

/**
 * {run path: run} for the graph's runs, asked once per project, so nodes can show
 * names and job types (a run the server does not know yet keeps its id).
 */
function useRuns(paths) {
  const [runs, setRuns] = useState({});
  useEffect(() => {
    const byProject = new Map();
    for (const path of paths) {
      const [entity, project, runId] = path.split("/");
      const key = entity + "/" + project;
      if (!byProject.has(key)) byProject.set(key, { entity, project, ids: [] });
      byProject.get(key).ids.push(runId);
    }
    let live = true;
    Promise.all(
      [...byProject.values()].map(({ entity, project, ids }) =>
        api
          .get(runPath(entity, project), { filters: { run_id: { $in: ids } }, lite: true, limit: ids.length })
          .then((page) => page.runs, () => []),
      ),
    ).then((pages) => live && setRuns(Object.fromEntries(pages.flat().map((r) => [`${r.entity}/${r.project}/${r.run_id}`, r]))));
    return () => {
      live = false;
    };
  }, [paths.join("\n")]);
  return runs;
}

function withRuns(graph, runs) {
  const nodes = graph.nodes.map((n) => {
    const run = n.kind === "run" && runs[n.id];
    return run ? { ...n, label: run.name || n.runId, sub: run.job_type ? `${run.job_type} · ${n.runId}` : n.runId } : n;
  });
  return { ...graph, nodes };
}

export function LineageGraph({ data, current }) {
  const runs = useRuns(data.runs);
  const graph = useMemo(() => withRuns(lineageGraph(data), runs), [data, runs]);
  const layout = useMemo(() => layoutLayers(graph), [graph]);
  const box = useRef(null);
  const width = useWidth(box, 800);
  const height = heightFor(layout);
  const [view, setView] = useState(null);
  const drag = useRef(null);

  useEffect(() => setView(fitView(layout, width)), [layout, width]);
  const shown = view || fitView(layout, width);

  const zoomAt = (factor, cx, cy) =>
    setView((old) => {
      const v = old || shown;
      const scale = clamp(v.scale * factor, MIN_SCALE, MAX_SCALE);
      const k = scale / v.scale;
      return { scale, x: cx - (cx - v.x) * k, y: cy - (cy - v.y) * k };
    });
  const onWheel = (e) => {
    e.preventDefault();
    const rect = e.currentTarget.getBoundingClientRect();
    zoomAt(Math.exp(-e.deltaY * 0.0015), e.clientX - rect.left, e.clientY - rect.top);
  };
  const onPointerDown = (e) => {
    if (e.button !== 0) return;
    drag.current = { sx: e.clientX, sy: e.clientY, vx: shown.x, vy: shown.y, moved: false };
  };
  const onPointerMove = (e) => {
    const d = drag.current;
    if (!d) return;
    const dx = e.clientX - d.sx;
    const dy = e.clientY - d.sy;
    if (!d.moved && Math.hypot(dx, dy) < CLICK_SLOP) return;
    if (!d.moved) e.currentTarget.setPointerCapture(e.pointerId);
    d.moved = true;
    setView({ scale: shown.scale, x: d.vx + dx, y: d.vy + dy });
  };
  const onPointerUp = (e) => {
    const d = drag.current;
    drag.current = null;
    if (d && d.moved) return;
    const node = e.target.closest && e.target.closest("[data-href]");
    if (node) window.location.assign(node.dataset.href);
  };
  const onKeyDown = (e) => {
    if (e.key === "Enter" && e.target.dataset && e.target.dataset.href) window.location.assign(e.target.dataset.href);
  };

  const pos = layout.positions;
  return html`<div class="lineage panel" ref=${box} data-nodes=${graph.nodes.length} data-edges=${graph.edges.length}>
    <div class="lineage-tools">
      <span class="legend"><span class="lg-logged"></span>logged</span>
      <span class="legend"><span class="lg-used"></span>used</span>
      <span class="muted">Drag to pan, scroll to zoom, click a node to open it.</span>
      <span class="lineage-buttons">
        <button type="button" aria-label="Zoom in" onClick=${() => zoomAt(1.25, width / 2, height / 2)}>+</button>
        <button type="button" aria-label="Zoom out" onClick=${() => zoomAt(0.8, width / 2, height / 2)}>−</button>
        <button type="button" onClick=${() => setView(fitView(layout, width))}>Fit</button>
      </span>
    </div>
    <svg
      class="lineage-svg"
      width=${width - 2}
      height=${height}
      role="group"
      aria-label="Lineage graph"
      data-scale=${shown.scale.toFixed(3)}
      onWheel=${onWheel}
      onPointerDown=${onPointerDown}
      onPointerMove=${onPointerMove}
      onPointerUp=${onPointerUp}
      onPointerCancel=${() => (drag.current = null)}
      onKeyDown=${onKeyDown}
    >
      <defs>
        <marker id="lineage-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M0,0 L10,5 L0,10 z" fill="#94a3b8" />
        </marker>
      </defs>
      <g transform=${`translate(${shown.x},${shown.y}) scale(${shown.scale})`}>
        ${graph.edges.map(
          (e) => html`<path
            key=${e.from + ">" + e.to}
            class=${"lineage-edge " + e.kind}
            data-from=${e.from}
            data-to=${e.to}
            d=${edgePath(pos.get(e.from), pos.get(e.to))}
            marker-end="url(#lineage-arrow)"
          />`,
        )}
        ${graph.nodes.map((n) => {
          const p = pos.get(n.id);
          const here = n.id === current;
          return html`<g
            key=${n.id}
            class=${"lineage-node " + n.kind + (here ? " current" : "")}
            transform=${`translate(${p.x},${p.y})`}
            data-node=${n.id}
            data-kind=${n.kind}
            data-href=${n.href}
            tabindex="0"
            role="link"
            aria-label=${(n.kind === "run" ? "Run " : "Artifact ") + n.label}
          >
            <title>${n.id}</title>
            <rect width=${NODE_W} height=${NODE_H} rx=${n.kind === "run" ? 22 : 6} />
            ${n.kind === "run"
              ? html`<circle cx="16" cy=${NODE_H / 2} r="6" fill=${runColor(n.runId)} />`
              : html`<rect class="art-mark" x="10" y=${NODE_H / 2 - 6} width="12" height="12" rx="2" />`}
            <text x="30" y="19" class="node-label">${clip(n.label)}</text>
            <text x="30" y="34" class="node-sub">${clip(n.sub, 26)}</text>
          </g>`;
        })}
      </g>
    </svg>
  </div>`;
}
