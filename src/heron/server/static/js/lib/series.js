// Chart data for the workspace: downsampled series from the server, smoothing,
// and the sections that group panels by key prefix.
//
// Series always come bucketed over the visible x range, never every point: about one
// bucket per horizontal pixel of the chart (each with its min/max, so nothing visible
// is lost), at most 1000. Fewer buckets keep a workspace of 100 long runs fast.
import { api } from "./api.js";

export const BUCKETS = 1000;
const MIN_BUCKETS = 100;

/** Buckets for a chart `width` CSS pixels wide: rounded up to 100s, so resizes rarely refetch. */
export function bucketsFor(width) {
  return Math.min(BUCKETS, Math.max(MIN_BUCKETS, Math.ceil(width / 100) * 100));
}
const MAX_RUNS_PER_REQUEST = 500;
const MAX_KEYS_PER_REQUEST = 64;

/** x-axis choices every chart offers before the logged metrics. */
export const X_AXES = [
  { value: "_step", label: "Step" },
  { value: "_runtime", label: "Relative time" },
  { value: "_timestamp", label: "Wall time" },
];

function chunks(items, size) {
  const out = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

// Panels queue their requests, in the order they asked (the panels in view first), one
// at a time: a series request is CPU-bound on the server, so running several at once
// only delays the first chart without finishing the last one sooner.
const IN_FLIGHT = 1;
const queue = [];
let running = 0;

function pump() {
  while (running < IN_FLIGHT && queue.length) {
    const { job, resolve, reject } = queue.shift();
    running += 1;
    job()
      .then(resolve, reject)
      .finally(() => {
        running -= 1;
        pump();
      });
  }
}

function queued(job) {
  return new Promise((resolve, reject) => {
    queue.push({ job, resolve, reject });
    pump();
  });
}

const projectPath = (entity, project) => `/projects/${encodeURIComponent(entity)}/${encodeURIComponent(project)}`;

/**
 * Series of `keys` for `runIds`: [{run_id, key, x, min, max, mean, last, sampled, ...}].
 * One POST per panel (split only past the server's limits of 500 runs and 64 keys);
 * runs that never logged a key are left out.
 */
export async function fetchSeries({ entity, project, runIds, keys, xAxis = "_step", minX = null, maxX = null, buckets = BUCKETS, stream = "history" }) {
  if (!runIds.length || !keys.length) return [];
  const query = { x_axis: xAxis, min_x: minX, max_x: maxX, buckets, stream };
  const parts = [];
  for (const runs of chunks(runIds, MAX_RUNS_PER_REQUEST))
    for (const keyPart of chunks(keys, MAX_KEYS_PER_REQUEST))
      parts.push(queued(() => api.post(projectPath(entity, project) + "/series", { runs, keys: keyPart, ...query })));
  return (await Promise.all(parts)).flatMap((data) => data.series);
}

/** The keys logged to `stream` by any run of the project, sorted by key. */
export async function fetchKeys({ entity, project, stream = "history" }) {
  const data = await api.get(projectPath(entity, project) + "/keys", { stream });
  return data.keys;
}

/**
 * Exponential moving average as W&B's smoothing slider does it (0 = raw, 0.99 = very smooth),
 * debiased so the first points are not pulled towards zero. Non-finite values pass through.
 */
export function smooth(values, weight) {
  if (!weight) return values;
  const out = new Array(values.length);
  let last = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || !Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    n += 1;
    out[i] = last / (1 - Math.pow(weight, n));
  }
  return out;
}

/** The section a key's chart sits in: its prefix before the first "/", else "Charts". */
export function sectionOf(key) {
  const cut = key.indexOf("/");
  return cut > 0 ? key.slice(0, cut) : "Charts";
}

/** Index of the x value nearest to `x` in the sorted array `xs` (-1 when empty). */
export function nearestIndex(xs, x) {
  if (!xs.length) return -1;
  let lo = 0;
  let hi = xs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(xs[lo - 1] - x) <= Math.abs(xs[lo] - x)) return lo - 1;
  return lo;
}
