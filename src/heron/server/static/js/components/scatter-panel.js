// A scatter panel: one point per run, x = a config or summary value, y = a summary
// metric (plain SVG). Text x values become evenly spaced categories.
import { html, useEffect, useRef } from "../../vendor/preact-htm.js";
import { runColor } from "../lib/colors.js";
import { axisScale, fieldLabel, fieldValue, numeric } from "../lib/fields.js";
import { fmtValue } from "../lib/format.js";
import { useWidth } from "../lib/size.js";

const PAD = { left: 56, right: 16, top: 12, bottom: 36 };

export function ScatterPanel({ runs, x, y, height = 260, onDrawn }) {
  const box = useRef(null);
  const width = useWidth(box);
  const points = runs
    .map((run) => ({ run, xv: fieldValue(run, x), yv: numeric(fieldValue(run, y)) }))
    .filter((p) => p.xv !== undefined && p.xv !== null && p.yv !== null);
  useEffect(() => onDrawn && onDrawn(), []);
  if (!points.length) return html`<div class="chart-placeholder muted" ref=${box}>No run has both ${fieldLabel(x)} and ${fieldLabel(y)}.</div>`;
  const sx = axisScale(points.map((p) => p.xv), PAD.left, width - PAD.right, 0.05);
  const sy = axisScale(points.map((p) => p.yv), height - PAD.bottom, PAD.top, 0.05);
  return html`<div class="svg-box" ref=${box}><svg class="scatter-chart" viewBox=${`0 0 ${width} ${height}`} width="100%" height=${height} role="img" aria-label=${`${y} against ${x}`}>
    <line x1=${PAD.left} x2=${width - PAD.right} y1=${height - PAD.bottom} y2=${height - PAD.bottom} stroke="#cbd2d9" />
    <line x1=${PAD.left} x2=${PAD.left} y1=${PAD.top} y2=${height - PAD.bottom} stroke="#cbd2d9" />
    ${sx.ticks.map((t) => html`<text class="tick" x=${sx.pos(t)} y=${height - PAD.bottom + 14} text-anchor="middle">${fmtValue(t)}</text>`)}
    ${sy.ticks.map((t) => html`<text class="tick" x=${PAD.left - 4} y=${sy.pos(t) + 4} text-anchor="end">${fmtValue(t)}</text>`)}
    <text class="axis-title" x=${(PAD.left + width - PAD.right) / 2} y=${height - 4} text-anchor="middle">${fieldLabel(x)}</text>
    ${points.map(
      (p) => html`<circle key=${p.run.run_id} class="point" data-run=${p.run.run_id} cx=${sx.pos(p.xv)} cy=${sy.pos(p.yv)} r="5" fill=${runColor(p.run.run_id)}>
        <title>${`${p.run.name || p.run.run_id}: ${fieldLabel(x)}=${fmtValue(p.xv)}, ${fieldLabel(y)}=${fmtValue(p.yv)}`}</title>
      </circle>`,
    )}
  </svg></div>`;
}
