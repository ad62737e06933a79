// A bar panel: one summary metric per run, as horizontal bars (plain SVG).
import { html, useEffect, useRef } from "../../vendor/preact-htm.js";
import { runColor } from "../lib/colors.js";
import { fieldValue, numeric } from "../lib/fields.js";
import { fmtValue } from "../lib/format.js";
import { useWidth } from "../lib/size.js";

const ROW = 22;
const LABEL = 140;
const VALUE = 70;

export function BarPanel({ runs, metric, onDrawn }) {
  const box = useRef(null);
  const width = useWidth(box);
  const bars = runs
    .map((run) => ({ run, value: numeric(fieldValue(run, metric)) }))
    .filter((b) => b.value !== null);
  useEffect(() => onDrawn && onDrawn(), []);
  if (!bars.length) return html`<div class="chart-placeholder muted" ref=${box}>No run has ${metric}.</div>`;
  const lo = Math.min(0, ...bars.map((b) => b.value));
  const hi = Math.max(0, ...bars.map((b) => b.value));
  const span = hi - lo || 1;
  const plot = width - LABEL - VALUE;
  const xOf = (v) => LABEL + ((v - lo) / span) * plot;
  const height = bars.length * ROW + 8;
  return html`<div class="svg-box" ref=${box}><svg class="bar-chart" viewBox=${`0 0 ${width} ${height}`} width="100%" height=${height} role="img" aria-label=${metric}>
    <line x1=${xOf(0)} x2=${xOf(0)} y1="0" y2=${height} stroke="#cbd2d9" />
    ${bars.map(({ run, value }, i) => {
      const y = 4 + i * ROW;
      const x0 = xOf(Math.min(0, value));
      const w = Math.max(1, Math.abs(xOf(value) - xOf(0)));
      return html`<g key=${run.run_id} class="bar" data-run=${run.run_id}>
        <title>${`${run.name || run.run_id}: ${fmtValue(value)}`}</title>
        <text x=${LABEL - 6} y=${y + ROW / 2 + 4} text-anchor="end" class="bar-label">${(run.name || run.run_id).slice(0, 20)}</text>
        <rect x=${x0} y=${y + 2} width=${w} height=${ROW - 6} fill=${runColor(run.run_id)} rx="2" />
        <text x=${width - VALUE + 6} y=${y + ROW / 2 + 4} class="bar-value">${fmtValue(value)}</text>
      </g>`;
    })}
  </svg></div>`;
}
