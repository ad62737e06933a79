// A media panel: one logged media key (images, galleries, audio, video, HTML, 3D,
// histograms) for the workspace's runs, one column per run (a run selector past
// MAX_COLUMNS runs), at the step the slider picks (the last step by default).
// Each column shows its run's value at the latest step it logged at or before
// the selected one. Runs still running are asked again every 10 s.
import { html, useEffect, useMemo, useRef, useState } from "../../vendor/preact-htm.js";
import { runColor } from "../lib/colors.js";
import { fmtValue } from "../lib/format.js";
import { fetchMediaRows, overlaySets, rowAt } from "../lib/media.js";
import { usePoll } from "../lib/poll.js";
import { AudioView } from "./audio-view.js";
import { ErrorBox, Swatch } from "./common.js";
import { HistogramView } from "./histogram-view.js";
import { HtmlView } from "./html-view.js";
import { ImageGallery } from "./image-gallery.js";
import { ImageView } from "./image-view.js";
import { MediaZoom } from "./media-zoom.js";
import { Object3DView } from "./object3d-view.js";
import { OverlayToggles } from "./overlay-toggles.js";
import { VideoView } from "./video-view.js";

const MAX_COLUMNS = 4;
const LIVE_MS = 10000;

/** What one column shows for its run's row at the selected step. */
function renderValue({ value, rows, row, run, height, hidden, setStep, zoomTo, shown }) {
  const name = run.name || run.run_id;
  if (Array.isArray(value)) return html`<${ImageGallery} stubs=${value} onZoom=${(stub, i) => zoomTo(stub, `${name} · ${i + 1} of ${value.length}`)} />`;
  if (!value || typeof value !== "object") return html`<div class="media-missing muted">Not media: ${fmtValue(value)}</div>`;
  switch (value._type) {
    case "image-file":
      return html`<${ImageView} stub=${value} height=${height} hidden=${hidden} onZoom=${() => zoomTo(value, `${name} · step ${row.step}`)} />`;
    case "histogram":
      return html`<${HistogramView} rows=${rows} row=${row} colour=${runColor(run.run_id)} onStep=${setStep} onShown=${shown} />`;
    case "audio-file":
      return html`<${AudioView} stub=${value} />`;
    case "video-file":
      return html`<${VideoView} stub=${value} height=${height} onZoom=${() => zoomTo({ ...value, masks: null, boxes: null }, name)} />`;
    case "html-file":
      return html`<${HtmlView} stub=${value} height=${height} onShown=${shown} />`;
    case "object3D-file":
      return html`<${Object3DView} stub=${value} height=${height} onShown=${shown} />`;
    default:
      return html`<div class="media-missing muted">This panel cannot show ${value._type || "this value"}.</div>`;
  }
}

function StepSlider({ steps, index, onIndex }) {
  if (steps.length < 2) return steps.length ? html`<div class="step-slider muted">step ${steps[0]}</div>` : null;
  return html`<label class="step-slider">
    <span>Step</span>
    <input type="range" aria-label="Step" min="0" max=${steps.length - 1} step="1" value=${index} onInput=${(e) => onIndex(Number(e.currentTarget.value))} />
    <span class="mono step-value">${steps[index]}</span>
    <span class="muted">of ${steps[0]}–${steps[steps.length - 1]}</span>
  </label>`;
}

export function MediaPanel({ entity, project, runs, keyName, height, onDrawn }) {
  const [picked, setPicked] = useState(null);
  const [loaded, setLoaded] = useState(() => new Map()); // run_id -> rows | Error
  const [step, setStep] = useState(null); // null: follow the last step
  const [hidden, setHidden] = useState(() => new Set());
  const [zoom, setZoom] = useState(null);
  const drawnOnce = useRef(false);
  const many = runs.length > MAX_COLUMNS;
  const shown = many ? [runs.find((r) => r.run_id === picked) || runs[0]] : runs;
  const shownKey = shown.map((r) => r.run_id).join(",");
  const anyRunning = shown.some((r) => r.state === "running");

  usePoll(
    async () => {
      const ids = shown.filter((r) => !loaded.has(r.run_id) || r.state === "running").map((r) => r.run_id);
      if (!ids.length) return;
      const found = await Promise.all(
        ids.map((runId) =>
          fetchMediaRows({ entity, project, runId, key: keyName }).then(
            (rows) => [runId, rows],
            (e) => [runId, e],
          ),
        ),
      );
      setLoaded((old) => {
        const next = new Map(old);
        found.forEach(([runId, rows]) => next.set(runId, rows));
        return next;
      });
    },
    anyRunning ? LIVE_MS : 0,
    [entity, project, keyName, shownKey, anyRunning],
  );

  const steps = useMemo(() => {
    const all = new Set();
    for (const r of shown) {
      const rows = loaded.get(r.run_id);
      if (Array.isArray(rows)) rows.forEach((row) => all.add(row.step));
    }
    return [...all].sort((a, b) => a - b);
  }, [loaded, shownKey]);
  const index = step === null ? steps.length - 1 : Math.max(0, steps.findIndex((s) => s >= step));
  const selected = steps.length ? steps[index] : null;
  const ready = shown.every((r) => loaded.has(r.run_id));

  const current = shown.map((run) => {
    const rows = loaded.get(run.run_id);
    return { run, rows, row: Array.isArray(rows) ? rowAt(rows, selected) : null };
  });
  const sets = overlaySets(current.flatMap(({ row }) => (row ? [].concat(row.value) : [])));

  const shownOnce = () => {
    if (drawnOnce.current || !onDrawn) return;
    drawnOnce.current = true;
    onDrawn();
  };
  useEffect(() => {
    // Images and players are on screen as soon as their element is: HTML, 3D and
    // histograms report when they have drawn (shownOnce), as does an empty panel.
    const waits = current.some(({ row }) => row && row.value && ["histogram", "html-file", "object3D-file"].includes(row.value._type));
    if (ready && !waits) shownOnce();
  }, [ready]);

  const toggle = (id) =>
    setHidden((old) => {
      const next = new Set(old);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const onIndex = (i) => setStep(i >= steps.length - 1 ? null : steps[i]);
  const chooseStep = (s) => setStep(s >= steps[steps.length - 1] ? null : s);

  return html`<div class="media-panel" data-key=${keyName} data-step=${selected ?? ""} data-ready=${ready ? "true" : "false"}>
    <div class="media-controls">
      ${many &&
      html`<label class="media-run-picker">Run
        <select aria-label="Run" value=${shown[0].run_id} onChange=${(e) => setPicked(e.currentTarget.value)}>
          ${runs.map((r) => html`<option key=${r.run_id} value=${r.run_id}>${r.name || r.run_id}</option>`)}
        </select>
      </label>`}
      <${StepSlider} steps=${steps} index=${index} onIndex=${onIndex} />
    </div>
    <${OverlayToggles} sets=${sets} hidden=${hidden} onToggle=${toggle} />
    ${!ready && html`<div class="chart-placeholder muted">Loading…</div>`}
    ${ready &&
    html`<div class="media-columns" style=${{ gridTemplateColumns: `repeat(${shown.length}, minmax(0, 1fr))` }}>
      ${current.map(
        ({ run, rows, row }) => html`<div class="media-column" key=${run.run_id} data-run-id=${run.run_id} data-step=${row ? row.step : ""}>
          <div class="media-run">
            <${Swatch} runId=${run.run_id} /><span class="media-run-name" title=${run.name || run.run_id}>${run.name || run.run_id}</span>
            ${row && row.step !== selected && html`<span class="muted"> · step ${row.step}</span>`}
          </div>
          ${rows instanceof Error
            ? html`<${ErrorBox} error=${rows} />`
            : !row
              ? html`<div class="media-missing muted">This run logged no ${keyName}.</div>`
              : renderValue({ value: row.value, rows, row, run, height, hidden, setStep: chooseStep, zoomTo: (stub, title) => setZoom({ stub, title }), shown: shownOnce })}
        </div>`,
      )}
    </div>`}
    ${zoom && html`<${MediaZoom} stub=${zoom.stub} title=${zoom.title} hidden=${hidden} onClose=${() => setZoom(null)} />`}
  </div>`;
}
