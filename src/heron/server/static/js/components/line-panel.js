// A line panel: one batched series request for all its runs and keys, re-requested
// for the visible x range on zoom and every 10 s for runs still running, with
// about one bucket per pixel of its width.
import { html, useEffect, useMemo, useRef, useState } from "../../vendor/preact-htm.js";
import { runColor } from "../lib/colors.js";
import { usePoll } from "../lib/poll.js";
import { bucketsFor, fetchSeries, smooth } from "../lib/series.js";
import { useWidth } from "../lib/size.js";
import { ErrorBox } from "./common.js";
import { LineChart } from "./line-chart.js";

const DASHES = [null, [6, 4], [2, 3], [10, 3, 2, 3]];
const LIVE_MS = 10000;

export function LinePanel({ entity, project, stream, runs, keys, xAxis, smoothing, logY, height, onDrawn }) {
  const [zoomed, setZoom] = useState(null);
  const zoom = zoomed && zoomed.xAxis === xAxis ? zoomed : null; // a zoom means nothing on another x axis
  const [series, setSeries] = useState(null);
  const [error, setError] = useState(null);
  const generation = useRef(0);
  const box = useRef(null);
  const width = useWidth(box, null);
  const buckets = width ? bucketsFor(width) : null; // known once laid out: fetch no sooner
  const runIds = runs.map((r) => r.run_id);
  const runsKey = runIds.join(",");
  const keysKey = keys.join("\u0000");

  const load = async (ids, merge) => {
    if (!buckets) return;
    const mine = ++generation.current;
    try {
      const found = await fetchSeries({ entity, project, runIds: ids, keys, xAxis, minX: zoom ? zoom.min : null, maxX: zoom ? zoom.max : null, buckets, stream });
      if (mine !== generation.current) return; // a newer request (zoom, new runs) won
      setError(null);
      if (!merge) setSeries(found);
      else {
        const fresh = new Set(ids);
        setSeries((old) => [...(old || []).filter((s) => !fresh.has(s.run_id)), ...found]);
      }
    } catch (e) {
      if (mine === generation.current) setError(e);
    }
  };

  useEffect(() => {
    load(runIds, false);
  }, [runsKey, keysKey, xAxis, zoom && zoom.min, zoom && zoom.max, buckets, stream]);

  usePoll(
    async () => {
      const live = runs.filter((r) => r.state === "running").map((r) => r.run_id);
      if (series !== null && live.length) await load(live, true);
    },
    LIVE_MS,
    [runsKey, keysKey, xAxis, zoom && zoom.min, zoom && zoom.max, buckets, stream],
  );

  const lines = useMemo(() => {
    if (!series) return [];
    const names = new Map(runs.map((r) => [r.run_id, r.name || r.run_id]));
    const order = new Map(runIds.map((id, i) => [id, i]));
    const sorted = series.filter((s) => order.has(s.run_id)).sort((a, b) => order.get(a.run_id) - order.get(b.run_id) || keys.indexOf(a.key) - keys.indexOf(b.key));
    return sorted.map((s) => {
      const k = keys.indexOf(s.key);
      const label = keys.length > 1 ? `${names.get(s.run_id)} · ${s.key}` : names.get(s.run_id);
      const smoothed = smoothing ? smooth(s.mean, smoothing) : s.mean;
      return {
        id: keys.length > 1 ? `${s.run_id}:${s.key}` : s.run_id,
        runId: s.run_id,
        label,
        color: runColor(s.run_id),
        x: s.x,
        y: smoothed,
        raw: smoothing ? s.mean : null,
        min: s.sampled ? s.min : null,
        max: s.sampled ? s.max : null,
        dash: DASHES[k % DASHES.length],
      };
    });
  }, [series, smoothing, runsKey, keysKey]);

  useEffect(() => {
    if (series !== null && !lines.length && onDrawn) onDrawn(); // nothing to draw is drawn too
  }, [series, lines.length]);

  const sampled = series && series.some((s) => s.sampled);
  return html`<div class="line-panel" ref=${box} data-zoomed=${zoom ? "true" : "false"} data-sampled=${sampled ? "true" : "false"}>
    <${ErrorBox} error=${error} />
    ${zoom &&
    html`<div class="zoom-bar">
      <span class="muted">zoomed to ${zoom.min.toPrecision(4)} – ${zoom.max.toPrecision(4)}</span>
      <button class="link-button" onClick=${() => setZoom(null)}>Reset zoom</button>
    </div>`}
    ${series === null
      ? html`<div class="chart-placeholder muted" style=${{ height: height + "px" }}>Loading…</div>`
      : lines.length === 0
        ? html`<div class="chart-placeholder muted" style=${{ height: height + "px" }}>No data for these runs${zoom ? " in this range" : ""}.</div>`
        : html`<${LineChart}
            lines=${lines}
            xAxis=${xAxis}
            logY=${logY}
            zoom=${zoom}
            height=${height}
            onZoom=${(min, max) => setZoom({ min, max, xAxis })}
            onResetZoom=${() => setZoom(null)}
            onDrawn=${onDrawn}
          />`}
    ${lines.length > 0 && html`<${Legend} lines=${lines} />`}
  </div>`;
}

function Legend({ lines }) {
  return html`<div class="chart-legend">
    ${lines.map(
      (line) => html`<span class="chart-legend-item" key=${line.id} title=${line.label}>
        <span class="swatch" style=${{ background: line.color }}></span>${line.label}
      </span>`,
    )}
  </div>`;
}
