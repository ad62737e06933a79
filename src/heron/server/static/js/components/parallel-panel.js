// A parallel-coordinates panel over config -> summary (plain SVG): one vertical
// axis per field, one polyline per run. Text values become evenly spaced categories.
import { html, useEffect, useRef } from "../../vendor/preact-htm.js";
import { runColor } from "../lib/colors.js";
import { axisScale, fieldLabel, fieldValue } from "../lib/fields.js";
import { fmtValue } from "../lib/format.js";
import { useWidth } from "../lib/size.js";

const PAD = { left: 40, right: 40, top: 28, bottom: 16 };

export function ParallelPanel({ runs, axes, height = 260, onDrawn }) {
  const box = useRef(null);
  const width = useWidth(box);
  useEffect(() => onDrawn && onDrawn(), []);
  if (axes.length < 2) return html`<div class="chart-placeholder muted" ref=${box}>Choose at least two fields.</div>`;
  const gap = (width - PAD.left - PAD.right) / (axes.length - 1);
  const scales = axes.map((field) => axisScale(runs.map((r) => fieldValue(r, field)), height - PAD.bottom, PAD.top));
  const lines = runs
    .map((run) => {
      const pts = axes.map((field, i) => {
        const y = scales[i].pos(fieldValue(run, field));
        return y === null ? null : `${PAD.left + i * gap},${y}`;
      });
      return pts.some((p) => p === null) ? null : { run, points: pts.join(" ") };
    })
    .filter(Boolean);
  if (!lines.length) return html`<div class="chart-placeholder muted" ref=${box}>No run has all of ${axes.map(fieldLabel).join(", ")}.</div>`;
  return html`<div class="svg-box" ref=${box}><svg class="parallel-chart" viewBox=${`0 0 ${width} ${height}`} width="100%" height=${height} role="img" aria-label="parallel coordinates">
    ${lines.map(
      (l) => html`<polyline key=${l.run.run_id} class="pc-line" data-run=${l.run.run_id} points=${l.points} fill="none" stroke=${runColor(l.run.run_id)} stroke-width="1.5">
        <title>${l.run.name || l.run.run_id}</title>
      </polyline>`,
    )}
    ${axes.map((field, i) => {
      const x = PAD.left + i * gap;
      return html`<g key=${field} class="pc-axis">
        <line x1=${x} x2=${x} y1=${PAD.top} y2=${height - PAD.bottom} stroke="#6b7785" />
        <text class="axis-title" x=${x} y=${PAD.top - 12} text-anchor=${i === 0 ? "start" : i === axes.length - 1 ? "end" : "middle"}>${fieldLabel(field)}</text>
        ${scales[i].ticks.map((t) => html`<text class="tick" x=${x + 4} y=${scales[i].pos(t) + 4}>${fmtValue(t)}</text>`)}
      </g>`;
    })}
  </svg></div>`;
}
