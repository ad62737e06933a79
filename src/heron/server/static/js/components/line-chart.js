// A uPlot line chart of many runs: smoothed lines over faint raw ones, min/max
// bands where the server downsampled, drag-to-zoom, and a tooltip listing every
// run's value at the cursor.
//
// `lines`: [{id, label, color, x, y, raw, min, max, dash}] where `y` is what is
// drawn strongly (smoothed or raw), `raw` the faint line behind it (or null) and
// `min`/`max` the bucket band (or null). Zoom is owned by the caller: a drag
// calls onZoom(min, max) and a double click onResetZoom(); the chart shows
// `zoom` as its x range, so the caller can fetch detail for just that range.
import { html, useEffect, useLayoutEffect, useRef, useState } from "../../vendor/preact-htm.js";
import uPlot from "../../vendor/uPlot.esm.js";
import { withAlpha } from "../lib/colors.js";
import { fmtDuration, fmtTime, fmtValue } from "../lib/format.js";
import { nearestIndex } from "../lib/series.js";

// Tick spacings for the step axis: 1, 2, 5, 10, 20, 50, … never a half step.
const STEP_INCREMENTS = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9].flatMap((p) => [p, 2 * p, 5 * p]);

function fmtX(xAxis, x) {
  if (x === null || x === undefined) return "";
  if (xAxis === "_timestamp") return fmtTime(x) + ":" + String(Math.floor(x % 60)).padStart(2, "0");
  if (xAxis === "_runtime") return fmtDuration(x);
  return fmtValue(x);
}

/** Short tick labels: 1e5 rather than 100000 or 1.000e+5, so the axis stays narrow. */
function fmtTick(t) {
  const abs = Math.abs(t);
  if (abs >= 1e5 || (abs > 0 && abs < 1e-3)) return Number(t.toPrecision(2)).toExponential().replace("e+", "e");
  return fmtValue(t);
}

function positive(values) {
  return values.map((v) => (v === null || v === undefined || v > 0 ? v : null));
}

/** uPlot's aligned data and series options for `lines`. */
function build(lines, logY) {
  const tables = [];
  const series = [{}];
  const bands = [];
  const clean = logY ? positive : (v) => v;
  for (const line of lines) {
    const table = [line.x];
    if (line.min && line.max) {
      const at = series.length;
      table.push(clean(line.max), clean(line.min));
      const edge = { stroke: withAlpha(line.color, 0.15), width: 0.5, points: { show: false } };
      series.push({ ...edge, label: line.label + " max" }, { ...edge, label: line.label + " min" });
      bands.push({ series: [at, at + 1], fill: withAlpha(line.color, 0.12) });
    }
    if (line.raw) {
      table.push(clean(line.raw));
      series.push({ label: line.label + " raw", stroke: withAlpha(line.color, 0.25), width: 1, dash: line.dash, points: { show: false } });
    }
    table.push(clean(line.y));
    // A line of one point draws nothing: show a run's lone points as dots.
    const dots = { show: line.x.length < 2, size: 8, fill: line.color };
    series.push({ label: line.label, stroke: line.color, width: 1.5, dash: line.dash, points: dots });
    tables.push(table);
  }
  return { data: uPlot.join(tables), series, bands };
}

function Tooltip({ tip, xAxis }) {
  if (!tip) return null;
  const style = { left: tip.left + "px", top: tip.top + "px" };
  return html`<div class=${"chart-tooltip" + (tip.flip ? " flip" : "")} style=${style} role="tooltip">
    <div class="chart-tooltip-x">${fmtX(xAxis, tip.x)}</div>
    ${tip.rows.map(
      (row) => html`<div class="chart-tooltip-row" key=${row.id} data-run=${row.id}>
        <span class="swatch" style=${{ background: row.color }}></span>
        <span class="chart-tooltip-name">${row.label}</span>
        <span class="chart-tooltip-value">${fmtValue(row.value)}</span>
      </div>`,
    )}
  </div>`;
}

export function LineChart({ lines, xAxis = "_step", logY = false, zoom = null, height = 220, onZoom, onResetZoom, onDrawn }) {
  const host = useRef(null);
  const plot = useRef(null);
  const [tip, setTip] = useState(null);
  const latest = useRef({});
  latest.current = { lines, xAxis, zoom, onZoom, onResetZoom, onDrawn };

  useLayoutEffect(() => {
    const el = host.current;
    if (!el || !lines.length) return undefined;
    const { data, series, bands } = build(lines, logY);
    const width = Math.max(200, el.clientWidth);
    const showTip = (u) => {
      const left = u.cursor.left;
      if (left === null || left === undefined || left < 0) return setTip(null);
      const cursorX = u.posToVal(left, "x");
      // Snap to the logged x nearest the cursor, then read every run there.
      let x = null;
      for (const line of latest.current.lines) {
        const i = nearestIndex(line.x, cursorX);
        if (i >= 0 && (x === null || Math.abs(line.x[i] - cursorX) < Math.abs(x - cursorX))) x = line.x[i];
      }
      if (x === null) return setTip(null);
      const rows = [];
      for (const line of latest.current.lines) {
        const i = nearestIndex(line.x, x);
        if (i >= 0) rows.push({ id: line.id, label: line.label, color: line.color, value: line.y[i] });
      }
      rows.sort((a, b) => (b.value ?? -Infinity) - (a.value ?? -Infinity));
      const over = u.over.getBoundingClientRect();
      const box = el.getBoundingClientRect();
      const flip = left > u.over.clientWidth / 2;
      const at = over.left - box.left + left;
      setTip({ x, rows, left: flip ? at - 12 : at + 16, top: over.top - box.top + 4, flip });
    };
    const opts = {
      width,
      height,
      legend: { show: false },
      series,
      bands,
      scales: {
        x: {
          time: xAxis === "_timestamp",
          range: (_u, min, max) => {
            const z = latest.current.zoom;
            if (z) return [z.min, z.max];
            return min === max ? [min - 1, max + 1] : [min, max];
          },
        },
        y: logY ? { distr: 3, log: 10 } : {},
      },
      axes: [
        {
          values: xAxis === "_runtime" ? (_u, ticks) => ticks.map((t) => fmtDuration(t)) : undefined,
          incrs: xAxis === "_step" ? STEP_INCREMENTS : undefined, // steps are whole numbers
          size: 36,
          grid: { stroke: "#eef0f3" },
        },
        { size: 56, grid: { stroke: "#eef0f3" }, values: (_u, ticks) => ticks.map(fmtTick) },
      ],
      cursor: { drag: { x: true, y: false, setScale: false }, points: { show: false } },
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 3) return;
            const min = u.posToVal(u.select.left, "x");
            const max = u.posToVal(u.select.left + u.select.width, "x");
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            if (latest.current.onZoom) latest.current.onZoom(min, max);
          },
        ],
        setCursor: [showTip],
        draw: [() => latest.current.onDrawn && latest.current.onDrawn()],
      },
    };
    const u = new uPlot(opts, data, el);
    plot.current = u;
    const reset = () => latest.current.onResetZoom && latest.current.onResetZoom();
    const leave = () => setTip(null);
    u.over.addEventListener("dblclick", reset);
    u.over.addEventListener("mouseleave", leave);
    return () => {
      u.over.removeEventListener("dblclick", reset);
      u.over.removeEventListener("mouseleave", leave);
      u.destroy();
      plot.current = null;
    };
  }, [lines, logY, xAxis, zoom && zoom.min, zoom && zoom.max, height]);

  useEffect(() => {
    const el = host.current;
    if (!el) return undefined;
    const observer = new ResizeObserver(() => {
      const u = plot.current;
      if (u && Math.abs(u.width - el.clientWidth) > 1) u.setSize({ width: Math.max(200, el.clientWidth), height });
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [height]);

  const points = lines.reduce((n, line) => n + line.x.length, 0);
  return html`<div class="line-chart" data-x-axis=${xAxis} data-log=${logY ? "true" : "false"} data-lines=${lines.length} data-points=${points}>
    <div class="line-chart-plot" ref=${host}></div>
    <${Tooltip} tip=${tip} xAxis=${xAxis} />
  </div>`;
}
