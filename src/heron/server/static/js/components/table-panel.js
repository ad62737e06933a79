// The workspace panel of a table key: each run's table at the chosen step (its
// latest by default) in a TableViewer that compares the runs.
// Props: {entity, project, runs, keyName, height, onDrawn}.
import { html, useEffect, useMemo, useState } from "../../vendor/preact-htm.js";
import { useKeyValues, valuesAt } from "../lib/key-values.js";
import { ErrorBox } from "./common.js";
import { StepSelect } from "./step-select.js";
import { TableViewer } from "./table-viewer.js";

const MAX_RUNS = 20;
const TYPES = ["table-file"];
const MIN_HEIGHT = 420;

export function TablePanel({ entity, project, runs, keyName, height, onDrawn }) {
  const [step, setStep] = useState(null);
  const { values, error, steps } = useKeyValues({ entity, project, runs, keyName, types: TYPES, maxRuns: MAX_RUNS });
  const found = useMemo(() => valuesAt(runs.slice(0, MAX_RUNS), values, step), [runs, values, step]);
  const sources = useMemo(() => found.map((f) => ({ runId: f.runId, name: f.name, stub: f.value })), [found]);
  const sourcesKey = sources.map((s) => s.runId + ":" + s.stub.sha256).join(",");
  const stable = useMemo(() => sources, [sourcesKey]); // the same tables keep their page and sort on a live refresh

  useEffect(() => {
    if (values !== null && !sources.length && onDrawn) onDrawn(); // nothing to show is drawn too
  }, [values, sources.length]);

  if (values === null) return html`<div class="chart-placeholder muted">Loading…</div>`;
  const missing = Math.min(runs.length, MAX_RUNS) - found.length;
  return html`<div class="table-panel" data-key=${keyName}>
    <${ErrorBox} error=${error} />
    <div class="media-panel-bar">
      <${StepSelect} steps=${steps} step=${step} onStep=${setStep} />
      ${found.length === 1 && html`<span class="muted">step ${found[0].step}</span>`}
      ${missing > 0 && html`<span class="muted">${missing} run${missing === 1 ? "" : "s"} without this table${step === null ? "" : " at this step"}</span>`}
      ${runs.length > MAX_RUNS && html`<span class="muted">the first ${MAX_RUNS} of ${runs.length} runs</span>`}
    </div>
    ${stable.length
      ? html`<${TableViewer} sources=${stable} height=${Math.max(MIN_HEIGHT, height)} onDrawn=${onDrawn} />`
      : html`<div class="chart-placeholder muted">No table logged for these runs${step === null ? "" : ` at step ${step}`}.</div>`}
  </div>`;
}
