// Run fields for summary panels: "config.<dotted key>" and "summary.<dotted key>",
// named as the runs table and the filter language name them.
import { flatten } from "./format.js";

const flat = new WeakMap();

function flattened(run) {
  let found = flat.get(run);
  if (!found) {
    found = { config: flatten(run.config || {}), summary: flatten(run.summary || {}) };
    flat.set(run, found);
  }
  return found;
}

/** The value of `field` ("config.lr", "summary.acc") in `run`, or undefined. */
export function fieldValue(run, field) {
  const cut = field.indexOf(".");
  const part = flattened(run)[field.slice(0, cut)];
  return part ? part[field.slice(cut + 1)] : undefined;
}

/** Every config/summary field over `runs` whose values are numbers (or, with `text`, strings too). */
export function runFields(runs, { text = false } = {}) {
  const found = { config: new Set(), summary: new Set() };
  for (const run of runs) {
    const parts = flattened(run);
    for (const part of ["config", "summary"])
      for (const [key, value] of Object.entries(parts[part])) {
        if (key.startsWith("_")) continue;
        if (typeof value === "number" || typeof value === "boolean" || (text && typeof value === "string")) found[part].add(`${part}.${key}`);
      }
  }
  return { config: [...found.config].sort(), summary: [...found.summary].sort() };
}

/** "summary.val/acc" -> "val/acc": the name a chart shows. */
export function fieldLabel(field) {
  return field.slice(field.indexOf(".") + 1);
}

/** A number for charts: numbers as they are, booleans 0/1, anything else null. */
export function numeric(value) {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "boolean") return value ? 1 : 0;
  return null;
}

/**
 * Map values onto [from, to]: numbers linearly (with min/mid/max ticks), anything
 * else as sorted categories, `margin` (a fraction) in from both ends. `pos(v)` is
 * null for a value the axis cannot place.
 */
export function axisScale(values, from, to, margin = 0) {
  const present = values.filter((v) => v !== undefined && v !== null);
  const nums = present.map(numeric);
  if (present.length && nums.every((n) => n !== null)) {
    let lo = Math.min(...nums);
    let hi = Math.max(...nums);
    if (lo === hi) [lo, hi] = [lo - 1, hi + 1];
    const inset = margin * (to - from); // keep points off the frame
    const pos = (v) => {
      const n = numeric(v);
      return n === null ? null : from + inset + ((n - lo) / (hi - lo)) * (to - from - 2 * inset);
    };
    return { pos, ticks: [lo, (lo + hi) / 2, hi] };
  }
  const cats = [...new Set(present.map(String))].sort();
  const inset = margin * (to - from);
  const step = cats.length > 1 ? (to - from - 2 * inset) / (cats.length - 1) : 0;
  const pos = (v) => {
    const i = cats.indexOf(String(v));
    return i < 0 ? null : cats.length > 1 ? from + inset + i * step : (from + to) / 2;
  };
  return { pos, ticks: cats };
}
