// "Add panel": choose the kind of chart, what it shows, and which of the
// workspace's runs it shows (all of them, by default, as they change).
import { html, useState } from "../../vendor/preact-htm.js";
import { runFields } from "../lib/fields.js";
import { KIND_LABELS } from "../lib/media.js";
import { SearchBox, Swatch } from "./common.js";

const KINDS = [
  { value: "line", label: "Line plot (history keys)" },
  { value: "media", label: "Media (images, audio, video, HTML, 3D, histograms)" },
  { value: "bar", label: "Bar chart (summary metric per run)" },
  { value: "scatter", label: "Scatter plot (config or summary vs summary)" },
  { value: "parallel", label: "Parallel coordinates (config → summary)" },
];

function FieldSelect({ label, fields, value, onChange }) {
  return html`<label>${label}
    <select aria-label=${label} value=${value} onChange=${(e) => onChange(e.currentTarget.value)}>
      <option value="">Choose…</option>
      ${fields.map((f) => html`<option value=${f}>${f}</option>`)}
    </select>
  </label>`;
}

function Checklist({ label, items, chosen, onToggle, render = (item) => item }) {
  return html`<fieldset class="checklist" aria-label=${label}>
    <legend>${label}</legend>
    ${items.map(
      (item) => html`<label key=${item.id ?? item}>
        <input type="checkbox" checked=${chosen.includes(item.id ?? item)} onChange=${() => onToggle(item.id ?? item)} />
        ${render(item)}
      </label>`,
    )}
  </fieldset>`;
}

const toggle = (list, item) => (list.includes(item) ? list.filter((x) => x !== item) : [...list, item]);

export function PanelEditor({ keys, mediaKeys = [], runs, onAdd, onCancel }) {
  const [kind, setKind] = useState("line");
  const [chosenKeys, setChosenKeys] = useState([]);
  const [keyFilter, setKeyFilter] = useState("");
  const [metric, setMetric] = useState("");
  const [mediaKey, setMediaKey] = useState("");
  const [x, setX] = useState("");
  const [axes, setAxes] = useState([]);
  const [allRuns, setAllRuns] = useState(true);
  const [chosenRuns, setChosenRuns] = useState(runs.map((r) => r.run_id));
  const [problem, setProblem] = useState(null);

  const numericFields = runFields(runs);
  const anyFields = runFields(runs, { text: true });
  const needle = keyFilter.trim().toLowerCase();
  const shownKeys = keys.filter((k) => !needle || k.toLowerCase().includes(needle));

  const submit = (e) => {
    e.preventDefault();
    const base = { type: kind, runs: allRuns ? null : chosenRuns };
    let spec;
    if (kind === "line") spec = chosenKeys.length ? { ...base, keys: chosenKeys } : "Choose at least one key to plot.";
    else if (kind === "media") spec = mediaKey ? { ...base, keys: [mediaKey] } : mediaKeys.length ? "Choose the media key to show." : "No run logged media yet: log images, audio, video, HTML, 3D objects or histograms first.";
    else if (kind === "bar") spec = metric ? { ...base, metric } : "Choose the summary metric to compare.";
    else if (kind === "scatter") spec = x && metric ? { ...base, x, y: metric } : "Choose both the x field and the y metric.";
    else spec = axes.length >= 2 ? { ...base, axes } : "Choose at least two fields (config first, then summary).";
    if (!allRuns && !chosenRuns.length) spec = "Choose at least one run, or show all the workspace's runs.";
    if (typeof spec === "string") return setProblem(spec);
    onAdd(spec);
  };

  return html`<div class="modal-backdrop">
    <form class="panel-editor panel" role="dialog" aria-label="Add panel" onSubmit=${submit}>
      <h2>Add panel</h2>
      <label>Kind
        <select aria-label="Panel kind" value=${kind} onChange=${(e) => { setKind(e.currentTarget.value); setProblem(null); }}>
          ${KINDS.map((k) => html`<option value=${k.value}>${k.label}</option>`)}
        </select>
      </label>
      ${kind === "line" &&
      html`<div>
        <${SearchBox} value=${keyFilter} onInput=${setKeyFilter} placeholder="Filter keys" />
        <${Checklist} label="Keys" items=${shownKeys} chosen=${chosenKeys} onToggle=${(k) => setChosenKeys(toggle(chosenKeys, k))} />
      </div>`}
      ${kind === "media" &&
      html`<label>Key
        <select aria-label="Media key" value=${mediaKey} onChange=${(e) => setMediaKey(e.currentTarget.value)}>
          <option value="">Choose…</option>
          ${mediaKeys.map((k) => html`<option value=${k.key}>${k.key} (${KIND_LABELS[k.kind] || k.kind})</option>`)}
        </select>
      </label>`}
      ${kind === "bar" && html`<${FieldSelect} label="Metric" fields=${numericFields.summary} value=${metric} onChange=${setMetric} />`}
      ${kind === "scatter" &&
      html`<div class="editor-row">
        <${FieldSelect} label="X" fields=${[...anyFields.config, ...numericFields.summary]} value=${x} onChange=${setX} />
        <${FieldSelect} label="Y" fields=${numericFields.summary} value=${metric} onChange=${setMetric} />
      </div>`}
      ${kind === "parallel" &&
      html`<${Checklist}
        label="Axes (in this order)"
        items=${[...anyFields.config, ...numericFields.summary]}
        chosen=${axes}
        onToggle=${(f) => setAxes(toggle(axes, f))}
        render=${(f) => html`${f}${axes.includes(f) ? html` <span class="muted">#${axes.indexOf(f) + 1}</span>` : null}`}
      />`}
      <label class="inline"><input type="checkbox" checked=${allRuns} onChange=${() => setAllRuns(!allRuns)} /> All the workspace's runs</label>
      ${!allRuns &&
      html`<${Checklist}
        label="Runs"
        items=${runs.map((r) => ({ id: r.run_id, run: r }))}
        chosen=${chosenRuns}
        onToggle=${(id) => setChosenRuns(toggle(chosenRuns, id))}
        render=${(item) => html`<${Swatch} runId=${item.id} />${item.run.name || item.id}`}
      />`}
      ${problem && html`<div class="error-box" role="alert">${problem}</div>`}
      <div class="editor-buttons">
        <button type="button" onClick=${onCancel}>Cancel</button>
        <button type="submit" class="primary">Add</button>
      </div>
    </form>
  </div>`;
}
