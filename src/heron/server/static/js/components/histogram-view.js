// A logged histogram: the selected step's bars, and below them a heat-map of every
// step (x = step, y = value, colour = count) with the selected step marked; a click
// on the heat-map selects the step under the pointer.
import { html, useEffect, useRef } from "../../vendor/preact-htm.js";
import { fmtValue } from "../lib/format.js";
import { columnEdges, drawHeatmap, valueRange } from "../lib/heatmap.js";
import { useWidth } from "../lib/size.js";

const BAR_HEIGHT = 110;
const HEAT_HEIGHT = 120;
const SCALE_WIDTH = 40; // the heat-map's value labels, left of it

function Bars({ value, range, width, colour }) {
  const bins = value.bins || [];
  const counts = value.values || [];
  const peak = Math.max(0, ...counts.filter(Number.isFinite));
  if (!range || !peak) return html`<div class="chart-placeholder muted" style=${{ minHeight: BAR_HEIGHT + "px" }}>Empty histogram.</div>`;
  const x = (v) => ((v - range[0]) / (range[1] - range[0])) * width;
  return html`<svg class="histogram-bars" width=${width} height=${BAR_HEIGHT} data-bins=${counts.length} aria-label="Histogram at the selected step">
    ${counts.map((c, i) => {
      const h = (Math.max(0, c) / peak) * (BAR_HEIGHT - 14);
      const x0 = x(bins[i]);
      const w = Math.max(1, x(bins[i + 1]) - x0 - (counts.length < 64 ? 1 : 0));
      return html`<rect key=${i} x=${x0} y=${BAR_HEIGHT - h} width=${w} height=${h} fill=${colour}><title>${`${fmtValue(bins[i])} – ${fmtValue(bins[i + 1])}: ${c}`}</title></rect>`;
    })}
    <text class="tick" x="2" y="10">${fmtValue(peak)}</text>
  </svg>`;
}

export function HistogramView({ rows, row, colour, onStep, onShown }) {
  const box = useRef(null);
  const canvas = useRef(null);
  const width = Math.max(120, useWidth(box, 400));
  const heatWidth = width - SCALE_WIDTH;
  const range = valueRange(rows);
  const rowsKey = rows.length ? `${rows.length}:${rows[rows.length - 1].step}` : "0";

  useEffect(() => {
    const el = canvas.current;
    if (!el) return;
    const ratio = window.devicePixelRatio || 1;
    el.width = Math.round(heatWidth * ratio);
    el.height = Math.round(HEAT_HEIGHT * ratio);
    drawHeatmap(el, rows);
    el.dataset.drawn = "true";
    if (onShown) onShown();
  }, [rowsKey, width]);

  const edges = rows.length ? columnEdges(rows, heatWidth) : [];
  const at = row ? rows.indexOf(row) : -1;
  const pick = (e) => {
    const x = e.clientX - e.currentTarget.getBoundingClientRect().left;
    let i = edges.findIndex((edge, k) => k < rows.length && x >= edge && x < edges[k + 1]);
    if (i < 0) i = rows.length - 1;
    onStep(rows[i].step);
  };
  return html`<div class="histogram-view" ref=${box}>
    ${row && html`<${Bars} value=${row.value} range=${range} width=${width} colour=${colour} />`}
    <div class="histogram-axis muted"><span>${range ? fmtValue(range[0]) : ""}</span><span>value</span><span>${range ? fmtValue(range[1]) : ""}</span></div>
    <div class="heatmap-row">
      <div class="heatmap-scale muted" style=${{ width: SCALE_WIDTH + "px", height: HEAT_HEIGHT + "px" }}>
        <span>${range ? fmtValue(range[1]) : ""}</span><span>value</span><span>${range ? fmtValue(range[0]) : ""}</span>
      </div>
      <div class="heatmap-frame" style=${{ height: HEAT_HEIGHT + "px" }}>
        <canvas class="histogram-heatmap" ref=${canvas} style=${{ width: heatWidth + "px", height: HEAT_HEIGHT + "px" }} onClick=${pick} title="Click to show a step" aria-label="Histograms over steps"></canvas>
        ${at >= 0 && html`<div class="heatmap-marker" style=${{ left: edges[at] + "px", width: Math.max(2, edges[at + 1] - edges[at]) + "px" }}></div>`}
      </div>
    </div>
    <div class="histogram-axis muted" style=${{ marginLeft: SCALE_WIDTH + "px" }}><span>step ${rows.length ? rows[0].step : ""}</span><span>step</span><span>${rows.length ? rows[rows.length - 1].step : ""}</span></div>
  </div>`;
}
