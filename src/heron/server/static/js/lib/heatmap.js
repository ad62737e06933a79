// The histogram heat-map: one column per logged step (x = step), one pixel row per
// slice of the value range (y = bin), the colour the count there, each step's
// column scaled to its own peak so a distribution's shape shows at every step.

const STOPS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]]; // viridis
const EMPTY = [248, 250, 252];

/** Viridis colour of `t` in [0, 1]. */
export function colormap(t) {
  const x = Math.min(1, Math.max(0, t)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  return STOPS[i].map((c, k) => Math.round(c + (STOPS[i + 1][k] - c) * f));
}

/** The value range every histogram of `rows` ([{step, value: {bins, values}}]) spans. */
export function valueRange(rows) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const { value } of rows) {
    const bins = value.bins || [];
    if (bins.length < 2) continue;
    lo = Math.min(lo, bins[0]);
    hi = Math.max(hi, bins[bins.length - 1]);
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return null;
  return hi > lo ? [lo, hi] : [lo - 0.5, hi + 0.5];
}

/** The left pixel of each row's column, plus the right edge: columns sit at their step. */
export function columnEdges(rows, width) {
  const steps = rows.map((r) => r.step);
  const gaps = steps.slice(1).map((s, i) => s - steps[i]).sort((a, b) => a - b);
  const gap = gaps.length ? Math.max(1, gaps[gaps.length >> 1]) : 1;
  const lo = steps[0];
  const span = steps[steps.length - 1] - lo + gap;
  return [...steps.map((s) => Math.floor(((s - lo) / span) * width)), width];
}

/** Count density of one histogram over `height` pixel rows of [lo, hi], top row = hi. */
function column(value, lo, hi, height) {
  const out = new Float64Array(height);
  const bins = value.bins || [];
  const counts = value.values || [];
  const perPixel = (hi - lo) / height;
  for (let b = 0; b < counts.length && b + 1 < bins.length; b++) {
    const a = bins[b];
    const z = bins[b + 1];
    const count = counts[b];
    if (!(z > a) || !Number.isFinite(count) || count <= 0) continue;
    const density = count / (z - a);
    const first = Math.max(0, Math.floor((a - lo) / perPixel));
    const last = Math.min(height - 1, Math.ceil((z - lo) / perPixel) - 1);
    for (let p = first; p <= last; p++) {
      const p0 = lo + p * perPixel;
      const overlap = Math.min(z, p0 + perPixel) - Math.max(a, p0);
      if (overlap > 0) out[height - 1 - p] += (density * overlap) / perPixel;
    }
  }
  return out;
}

/** Draw `rows` into `canvas` (its width/height in device pixels); returns the drawn value range. */
export function drawHeatmap(canvas, rows) {
  const ctx = canvas.getContext("2d");
  const { width, height } = canvas;
  const range = valueRange(rows);
  const image = ctx.createImageData(width, height);
  for (let i = 0; i < image.data.length; i += 4) image.data.set([...EMPTY, 255], i);
  if (range && rows.length) {
    const edges = columnEdges(rows, width);
    rows.forEach(({ value }, i) => {
      const x0 = edges[i];
      const x1 = Math.max(x0 + 1, edges[i + 1]);
      const dens = column(value, range[0], range[1], height);
      const peak = Math.max(...dens);
      if (!(peak > 0)) return;
      for (let y = 0; y < height; y++) {
        if (dens[y] <= 0) continue;
        const rgb = colormap(dens[y] / peak);
        for (let x = x0; x < Math.min(x1, width); x++) image.data.set([...rgb, 255], (y * width + x) * 4);
      }
    });
  }
  ctx.putImageData(image, 0, 0);
  return range;
}
