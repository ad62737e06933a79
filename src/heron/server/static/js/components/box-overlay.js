// Bounding boxes drawn over their image (SVG in the image's pixel space): one
// rectangle per box in its class's colour, labelled with the class (or the box's
// caption) and its scores.
import { html } from "../../vendor/preact-htm.js";
import { classColor, classLabel, classRgb, isHidden } from "../lib/media.js";

/** Dark text on light class colours (yellow, cyan), white on the rest. */
function textColour(id) {
  const [r, g, b] = classRgb(id);
  return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? "#111" : "#fff";
}

function fmtScores(scores) {
  return Object.entries(scores || {})
    .filter(([, v]) => typeof v === "number")
    .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(2)}`)
    .join(" ");
}

/** A box's corners in pixels; fractions (domain null) are scaled by the image's size. */
function corners(box, width, height) {
  const p = box.position || {};
  const sx = box.domain === "pixel" ? 1 : width;
  const sy = box.domain === "pixel" ? 1 : height;
  return { x: p.minX * sx, y: p.minY * sy, w: (p.maxX - p.minX) * sx, h: (p.maxY - p.minY) * sy };
}

export function BoxOverlay({ name, set, classes, width, height, scale, hidden }) {
  if (isHidden(hidden, "box", name)) return null;
  const labels = { ...(classes || {}), ...(set.class_labels || {}) };
  const font = 11 / (scale || 1); // about 11 screen pixels however the image is scaled
  const boxes = (set.box_data || []).filter((b) => b && b.position && !isHidden(hidden, "box", name, b.class_id));
  return html`<svg class="box-overlay" data-boxes=${name} data-count=${boxes.length} viewBox=${`0 0 ${width} ${height}`} preserveAspectRatio="none" aria-hidden="true">
    ${boxes.map((box, i) => {
      const { x, y, w, h } = corners(box, width, height);
      if (![x, y, w, h].every(Number.isFinite)) return null;
      const colour = classColor(box.class_id);
      const text = [box.box_caption || classLabel(labels, box.class_id), fmtScores(box.scores)].filter(Boolean).join(" ");
      const above = y - font * 1.3 >= 0;
      return html`<g key=${i} class="box" data-class=${box.class_id}>
        <rect x=${x} y=${y} width=${w} height=${h} fill="none" stroke=${colour} stroke-width="2" vector-effect="non-scaling-stroke" />
        <rect class="box-label-bg" x=${x} y=${above ? y - font * 1.3 : y} width=${text.length * font * 0.6 + font * 0.4} height=${font * 1.3} fill=${colour} />
        <text x=${x + font * 0.2} y=${(above ? y : y + font * 1.3) - font * 0.3} font-size=${font} fill=${textColour(box.class_id)}>${text}</text>
      </g>`;
    })}
  </svg>`;
}
