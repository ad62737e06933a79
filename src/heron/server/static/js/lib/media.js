// Rich media in the workspace: which keys get a media panel, where a stub's bytes
// live, a run's values of a key by step, and stable colours for classes.
//
// A stub is the JSON a history row holds for a logged media value
// ({"_type": "image-file", "sha256", "format", ...}); its bytes are served,
// cacheable forever, at /api/v1/media/{sha256}.{ext}.
import { api, API, runPath } from "./api.js";

/** Key kinds (from /keys) shown by the media panel. */
export const MEDIA_KINDS = new Set(["image-file", "image-list", "audio-file", "video-file", "html-file", "object3D-file", "histogram"]);

/** The panel type that shows a key of `kind`, or null when no panel shows it (numbers: line panels). */
export function panelTypeOf(kind) {
  if (MEDIA_KINDS.has(kind)) return "media";
  if (kind === "table-file") return "table";
  if (kind === "plot") return "plot";
  return null;
}

/** Human words for a kind, for the panel editor. */
export const KIND_LABELS = {
  "image-file": "images",
  "image-list": "image galleries",
  "audio-file": "audio",
  "video-file": "video",
  "html-file": "HTML",
  "object3D-file": "3D objects",
  histogram: "histograms",
  "table-file": "tables",
  plot: "plots",
};

// The extension the media endpoint serves a stub's format under.
const EXT = { "pts.json": "json" };

/** The URL of a stub's bytes: /api/v1/media/{sha256}.{ext}. */
export function mediaUrl(stub) {
  const fromPath = stub.path ? stub.path.slice(stub.path.lastIndexOf(".") + 1) : "";
  const ext = stub.format ? EXT[stub.format] || stub.format : fromPath || "bin";
  return `${API}/media/${encodeURIComponent(stub.sha256)}.${ext}`;
}

/** `response` of fetch(mediaUrl(...)), or a clear error when the server did not serve it. */
export async function fetchMedia(stub, as = "text") {
  const response = await fetch(mediaUrl(stub));
  if (!response.ok) throw new Error(`The ${stub._type || "media"} file could not be loaded (HTTP ${response.status}).`);
  return as === "arrayBuffer" ? response.arrayBuffer() : response.text();
}

const MAX_ROWS = 100000;

/** A run's values of `key` by step: [{step, value}] in step order (empty when it never logged it). */
export async function fetchMediaRows({ entity, project, runId, key }) {
  const data = await api.get(runPath(entity, project, runId) + "/history", { keys: [key], limit: MAX_ROWS });
  return data.rows.filter((row) => row[key] !== undefined && row[key] !== null).map((row) => ({ step: row._step, value: row[key] }));
}

/** The row of `rows` shown at `step`: the last one logged at or before it (else the first). */
export function rowAt(rows, step) {
  if (!rows.length) return null;
  if (step === null) return rows[rows.length - 1];
  let lo = 0;
  let hi = rows.length - 1;
  if (rows[0].step > step) return rows[0];
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (rows[mid].step <= step) lo = mid;
    else hi = mid - 1;
  }
  return rows[lo];
}

const CLASS_PALETTE = [
  [230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48], [145, 30, 180],
  [70, 240, 240], [240, 50, 230], [210, 245, 60], [250, 190, 212], [0, 128, 128], [220, 190, 255],
  [170, 110, 40], [255, 250, 200], [128, 0, 0], [170, 255, 195], [128, 128, 0], [255, 215, 180],
  [0, 0, 128], [128, 128, 128],
];

/** [r, g, b] of class `id`: the same class has the same colour in every image and panel. */
export function classRgb(id) {
  const n = Number(id);
  return CLASS_PALETTE[(Number.isFinite(n) ? Math.abs(Math.trunc(n)) : String(id).length) % CLASS_PALETTE.length];
}

export function classColor(id, alpha = 1) {
  const [r, g, b] = classRgb(id);
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

/** The label of class `id` in `labels` ({"<id>": "<label>"}), else the id. */
export function classLabel(labels, id) {
  return (labels && labels[String(id)]) || String(id);
}

/**
 * The mask and box sets of some image stubs, for the panel's toggles:
 * [{type: "mask"|"box", name, labels: {"<id>": "<label>"}}], each set once.
 */
export function overlaySets(stubs) {
  const sets = new Map();
  for (const stub of stubs) {
    if (!stub || typeof stub !== "object") continue;
    for (const [type, group] of [["mask", stub.masks], ["box", stub.boxes]]) {
      for (const [name, set] of Object.entries(group || {})) {
        const id = `${type}:${name}`;
        const labels = { ...(stub.classes || {}), ...((set && set.class_labels) || {}) };
        if (type === "box") for (const box of (set && set.box_data) || []) if (!(String(box.class_id) in labels)) labels[String(box.class_id)] = String(box.class_id);
        const known = sets.get(id);
        sets.set(id, { type, name, labels: { ...(known ? known.labels : {}), ...labels } });
      }
    }
  }
  return [...sets.values()];
}

/** Whether the overlay `type`/`name` (and class `id`, when given) is switched off in `hidden`. */
export function isHidden(hidden, type, name, id) {
  return hidden.has(`${type}:${name}`) || (id !== undefined && hidden.has(`${type}:${name}:${id}`));
}
