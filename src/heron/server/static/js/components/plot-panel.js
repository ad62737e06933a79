// The workspace panel of a plot key (heron.plot.*): a Vega-Lite chart over the
// rows of the plot's table, one chart per run at the chosen step (latest by default).
// Vega is loaded on the first plot a page shows. Props: {entity, project, runs,
// keyName, height, onDrawn}.
import { html, useEffect, useMemo, useRef, useState } from "../../vendor/preact-htm.js";
import { useKeyValues, valuesAt } from "../lib/key-values.js";
import { fetchTableRecords } from "../lib/tables.js";
import { loadVegaEmbed } from "../lib/vega.js";
import { ErrorBox, Swatch } from "./common.js";
import { StepSelect } from "./step-select.js";

const MAX_RUNS = 6;
const MAX_ROWS = 10000;
const TYPES = ["plot"];

/** The stub's Vega-Lite spec with its table's rows as the dataset "table", tooltips on, sized to the panel. */
export function embeddableSpec(stub, records, height) {
  const spec = { ...stub.spec };
  spec.data = spec.data || { name: "table" };
  spec.datasets = { ...(spec.datasets || {}), table: records };
  if (stub.title && !spec.title) spec.title = stub.title;
  if (spec.width === undefined) spec.width = "container";
  if (spec.height === undefined) spec.height = height;
  const config = spec.config || {};
  spec.config = { ...config, mark: { tooltip: true, ...(config.mark || {}) } };
  return spec;
}

function PlotChart({ stub, height, onDrawn }) {
  const box = useRef(null);
  const [error, setError] = useState(null);
  const [note, setNote] = useState(null);
  useEffect(() => {
    let live = true;
    let result = null;
    Promise.all([loadVegaEmbed(), fetchTableRecords(stub.table.sha256, MAX_ROWS)])
      .then(([vegaEmbed, { records, total }]) => {
        if (!live) return null;
        if (total > records.length) setNote(`The first ${records.length.toLocaleString("en-US")} of ${total.toLocaleString("en-US")} rows.`);
        return vegaEmbed(box.current, embeddableSpec(stub, records, height), { actions: false, renderer: "svg", mode: "vega-lite" });
      })
      .then((embedded) => {
        if (!embedded) return;
        result = embedded;
        if (!live) result.finalize();
        else if (onDrawn) onDrawn();
      })
      .catch((e) => {
        if (!live) return;
        setError(new Error(`The chart could not be drawn: ${e.message}`));
        if (onDrawn) onDrawn();
      });
    return () => {
      live = false;
      if (result) result.finalize();
    };
  }, [stub.table.sha256, JSON.stringify(stub.spec), height]);
  return html`<div class="plot-chart">
    <${ErrorBox} error=${error} />
    <div class="plot-canvas" ref=${box}></div>
    ${note && html`<div class="muted plot-note">${note}</div>`}
  </div>`;
}

export function PlotPanel({ entity, project, runs, keyName, height, onDrawn }) {
  const [step, setStep] = useState(null);
  const { values, error, steps } = useKeyValues({ entity, project, runs, keyName, types: TYPES, maxRuns: MAX_RUNS });
  const found = useMemo(() => valuesAt(runs.slice(0, MAX_RUNS), values, step), [runs, values, step]);
  const drawn = useRef(false);
  const done = () => {
    if (drawn.current) return;
    drawn.current = true;
    if (onDrawn) onDrawn();
  };
  useEffect(() => {
    if (values !== null && !found.length) done(); // nothing to show is drawn too
  }, [values, found.length]);

  if (values === null) return html`<div class="chart-placeholder muted">Loading…</div>`;
  const chartHeight = Math.max(160, found.length > 1 ? Math.round(height * 0.8) : height - 40);
  return html`<div class="plot-panel" data-key=${keyName}>
    <${ErrorBox} error=${error} />
    <div class="media-panel-bar">
      <${StepSelect} steps=${steps} step=${step} onStep=${setStep} />
      ${runs.length > MAX_RUNS && html`<span class="muted">the first ${MAX_RUNS} of ${runs.length} runs</span>`}
    </div>
    ${found.length === 0 && html`<div class="chart-placeholder muted">No chart logged for these runs${step === null ? "" : ` at step ${step}`}.</div>`}
    ${found.map(
      (f) => html`<div class="plot-run" key=${f.runId} data-run=${f.runId}>
        ${found.length > 1 && html`<div class="tv-run-title"><${Swatch} runId=${f.runId} />${f.name}</div>`}
        <${PlotChart} stub=${f.value} height=${chartHeight} onDrawn=${done} />
      </div>`,
    )}
  </div>`;
}
