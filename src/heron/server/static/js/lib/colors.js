// Stable run colours: the same run has the same colour on every page and reload.
// The colour comes from a hash of the run id, never from a row's position.

const PALETTE = [
  "#3b82f6", "#ef4444", "#10b981", "#f59e0b", "#8b5cf6", "#ec4899", "#14b8a6", "#f97316",
  "#6366f1", "#84cc16", "#06b6d4", "#d946ef", "#0ea5e9", "#eab308", "#22c55e", "#e11d48",
  "#a855f7", "#64748b", "#b45309", "#0f766e",
];

function hash(text) {
  // FNV-1a, 32 bits: cheap and well spread for short ids.
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function runColor(runId) {
  return PALETTE[hash(String(runId)) % PALETTE.length];
}

/** The colour with an alpha, for faint raw lines and min/max bands. */
export function withAlpha(hex, alpha) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}
