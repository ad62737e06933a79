// The workspace: charts comparing runs, in sections by key prefix (train/, val/, ...).
//
// A line panel is generated for every numeric key the project logged, a media panel
// for every key of images, audio, video, HTML, 3D objects or histograms, and a table
// or plot panel for every key of tables or plots; the user can add line, media, bar,
// scatter and parallel-coordinates panels, remove and rearrange any,
// and set the x axis, smoothing and scale for all panels or one. The layout is saved
// server-side as the project's view `viewName` (null: nothing is saved, e.g. on a
// run page). Props: {entity, project, runs: [{run_id, name, state?, config?, summary?}]
// (null while the caller still loads them: keys and layout load meanwhile),
// stream: "history" | "system", viewName}.
//
// performance marks "heron:first-panel" and "heron:all-panels" are set when the first
// and the last panel have drawn, for the UI benchmark.
import { html, useEffect, useMemo, useRef, useState } from "../../vendor/preact-htm.js";
import { api, ApiError, runPath } from "../lib/api.js";
import { fieldLabel } from "../lib/fields.js";
import { panelTypeOf } from "../lib/media.js";
import { usePoll } from "../lib/poll.js";
import { fetchKeys, sectionOf, X_AXES } from "../lib/series.js";
import { BarPanel } from "./bar-panel.js";
import { Empty, ErrorBox, SearchBox } from "./common.js";
import { LinePanel } from "./line-panel.js";
import { MediaPanel } from "./media-panel.js";
import { Panel } from "./panel.js";
import { PanelEditor } from "./panel-editor.js";
import { ParallelPanel } from "./parallel-panel.js";
import { PlotPanel } from "./plot-panel.js";
import { ScatterPanel } from "./scatter-panel.js";
import { TablePanel } from "./table-panel.js";

const CUSTOM = "Custom";
const SAVE_DELAY_MS = 400;
const DEFAULT_SETTINGS = { x_axis: "_step", smoothing: 0, log_y: false };
const NO_RUNS = [];
const EMPTY_LAYOUT = { version: 1, settings: DEFAULT_SETTINGS, panels: [], removed: [] };
const SUMMARY_PANELS = new Set(["bar", "scatter", "parallel"]); // the panels that need runs' config and summary

function normalize(spec) {
  if (!spec || typeof spec !== "object") return EMPTY_LAYOUT;
  return {
    version: 1,
    settings: { ...DEFAULT_SETTINGS, ...(spec.settings || {}) },
    panels: Array.isArray(spec.panels) ? spec.panels.filter((p) => p && p.id && p.type) : [],
    removed: Array.isArray(spec.removed) ? spec.removed : [],
  };
}

function mark(name) {
  if (!performance.getEntriesByName(name, "mark").length) performance.mark(name);
}

const newId = () => "p" + Date.now().toString(36) + Math.random().toString(36).slice(2, 6);

export function panelSection(panel) {
  return panel.auto ? sectionOf(panel.keys[0]) : CUSTOM;
}

export function panelTitle(panel) {
  if (panel.type === "line" || panel.keys) return panel.title || panel.keys.join(", ");
  if (panel.type === "bar") return fieldLabel(panel.metric);
  if (panel.type === "scatter") return `${fieldLabel(panel.y)} vs ${fieldLabel(panel.x)}`;
  return "Parallel coordinates";
}

function panelText(panel) {
  return [panelTitle(panel), ...(panel.keys || []), panel.metric, panel.x, panel.y, ...(panel.axes || [])].filter(Boolean).join(" ").toLowerCase();
}

/** Full runs (config and summary) for the summary panels, fetched only when some panel needs them. */
function useRunDetails(entity, project, runs, needed) {
  const [details, setDetails] = useState(() => new Map());
  const runsKey = runs.map((r) => r.run_id).join(",");
  useEffect(() => {
    const missing = runs.filter((r) => !("summary" in r) && !details.has(r.run_id));
    if (!needed || !missing.length) return;
    Promise.all(missing.map((r) => api.get(runPath(entity, project, r.run_id)).catch(() => null))).then((found) =>
      setDetails((old) => {
        const next = new Map(old);
        found.filter(Boolean).forEach((run) => next.set(run.run_id, run));
        return next;
      }),
    );
  }, [needed, runsKey]);
  return useMemo(() => runs.map((r) => ("summary" in r ? r : { ...r, ...(details.get(r.run_id) || {}) })), [runs, details]);
}

function Toolbar({ settings, xKeys, search, onSearch, onSettings, onAdd, saveState }) {
  return html`<div class="ws-toolbar">
    <${SearchBox} value=${search} onInput=${onSearch} placeholder="Search panels" />
    <label>X axis
      <select aria-label="X axis" value=${settings.x_axis} onChange=${(e) => onSettings({ x_axis: e.currentTarget.value })}>
        ${X_AXES.map((a) => html`<option value=${a.value}>${a.label}</option>`)}
        ${xKeys.map((k) => html`<option value=${k}>${k}</option>`)}
      </select>
    </label>
    <label>Smoothing
      <input type="range" aria-label="Smoothing" min="0" max="0.99" step="0.01" value=${settings.smoothing} onInput=${(e) => onSettings({ smoothing: Number(e.currentTarget.value) })} />
      <span class="mono smoothing-value">${settings.smoothing.toFixed(2)}</span>
    </label>
    <label class="inline"><input type="checkbox" aria-label="Log scale" checked=${settings.log_y} onChange=${(e) => onSettings({ log_y: e.currentTarget.checked })} /> Log scale</label>
    <button class="primary" onClick=${onAdd}>Add panel</button>
    <span class="save-state muted" data-state=${saveState instanceof Error ? "error" : saveState || ""}>${saveState === "saving" ? "Saving…" : saveState === "saved" ? "Layout saved" : ""}</span>
  </div>`;
}

export function Workspace({ entity, project, runs: given, stream = "history", viewName = null }) {
  const runs = given || NO_RUNS;
  const [keys, setKeys] = useState(null);
  const [error, setError] = useState(null);
  const [layout, setLayout] = useState(viewName ? null : EMPTY_LAYOUT);
  const [saveState, setSaveState] = useState(null);
  const [search, setSearch] = useState("");
  const [adding, setAdding] = useState(false);
  const drawn = useRef(new Set());
  const root = useRef(null);
  const saveTimer = useRef(null);
  const viewPath = viewName && `/projects/${encodeURIComponent(entity)}/${encodeURIComponent(project)}/views/${encodeURIComponent(viewName)}`;
  const anyRunning = runs.some((r) => r.state === "running");

  useEffect(() => {
    if (!viewPath) return;
    api
      .get(viewPath)
      .then((view) => setLayout(normalize(view && view.spec)))
      .catch((e) => {
        setLayout(EMPTY_LAYOUT);
        if (!(e instanceof ApiError && e.status === 404)) setError(e);
      });
  }, [viewPath]);

  usePoll(
    async () => {
      try {
        setKeys(await fetchKeys({ entity, project, stream }));
      } catch (e) {
        setError(e);
      }
    },
    anyRunning ? 10000 : 0,
    [entity, project, stream, anyRunning],
  );

  const numericKeys = useMemo(() => (keys || []).filter((k) => k.numeric && !k.key.startsWith("_")).map((k) => k.key), [keys]);
  // Keys of media, tables and plots, each with the type of the panel that shows it.
  const richKeys = useMemo(
    () => (keys || []).filter((k) => !k.numeric && !k.key.startsWith("_") && panelTypeOf(k.kind)).map((k) => ({ key: k.key, kind: k.kind, type: panelTypeOf(k.kind) })),
    [keys],
  );

  const panels = useMemo(() => {
    if (!layout) return [];
    const list = [...layout.panels];
    const covered = new Set(list.filter((p) => p.auto).map((p) => p.keys[0]));
    const removed = new Set(layout.removed);
    for (const key of numericKeys) if (!covered.has(key) && !removed.has(key)) list.push({ id: "k:" + key, type: "line", keys: [key], auto: true });
    for (const { key, type } of richKeys) if (!covered.has(key) && !removed.has(key)) list.push({ id: "k:" + key, type, keys: [key], auto: true });
    return list;
  }, [layout, numericKeys, richKeys]);

  const fullRuns = useRunDetails(entity, project, runs, adding || panels.some((p) => SUMMARY_PANELS.has(p.type)));

  const commit = (patch) => {
    const next = { ...layout, panels, ...patch };
    setLayout(next);
    if (!viewPath) return;
    clearTimeout(saveTimer.current);
    setSaveState("saving");
    saveTimer.current = setTimeout(() => {
      api
        .put(viewPath, { spec: next })
        .then(() => setSaveState("saved"))
        .catch((e) => setSaveState(new Error(`The layout could not be saved (${e.message}); your changes last until you reload.`)));
    }, SAVE_DELAY_MS);
  };
  useEffect(() => () => clearTimeout(saveTimer.current), []);

  const onDrawn = (id) => {
    if (drawn.current.has(id)) return;
    drawn.current.add(id);
    mark("heron:first-panel");
    if (panels.every((p) => drawn.current.has(p.id))) mark("heron:all-panels");
    if (root.current) root.current.dataset.drawn = String(drawn.current.size);
  };

  const move = (id, dir) => {
    const i = panels.findIndex((p) => p.id === id);
    const section = panelSection(panels[i]);
    let j = i + dir;
    while (j >= 0 && j < panels.length && panelSection(panels[j]) !== section) j += dir;
    if (j < 0 || j >= panels.length) return;
    const next = [...panels];
    [next[i], next[j]] = [next[j], next[i]];
    commit({ panels: next });
  };
  const dropOn = (movedId, targetId) => {
    const moved = panels.find((p) => p.id === movedId);
    const target = panels.find((p) => p.id === targetId);
    if (!moved || !target || panelSection(moved) !== panelSection(target)) return;
    const next = panels.filter((p) => p.id !== movedId);
    next.splice(next.indexOf(target), 0, moved);
    commit({ panels: next });
  };
  const remove = (panel) =>
    commit({ panels: panels.filter((p) => p.id !== panel.id), removed: panel.auto ? [...layout.removed, panel.keys[0]] : layout.removed });
  const change = (panel, patch) => commit({ panels: panels.map((p) => (p.id === panel.id ? { ...p, ...patch } : p)) });
  const add = (spec) => {
    setAdding(false);
    commit({ panels: [{ id: newId(), ...spec }, ...panels] });
  };

  if (!layout || keys === null || given === null) return html`<div class="workspace"><${ErrorBox} error=${error} /><p class="muted">Loading…</p></div>`;
  const settings = layout.settings;
  const needle = search.trim().toLowerCase();
  const shown = panels.filter((p) => !needle || panelText(p).includes(needle));
  const sections = new Map();
  for (const p of shown) {
    const name = panelSection(p);
    if (!sections.has(name)) sections.set(name, []);
    sections.get(name).push(p);
  }
  const ordered = [...sections.entries()].sort(([a], [b]) => (a === CUSTOM ? -1 : b === CUSTOM ? 1 : 0));
  const xLabel = (X_AXES.find((a) => a.value === settings.x_axis) || { label: settings.x_axis }).label;
  const runsById = new Map(fullRuns.map((r) => [r.run_id, r]));

  const renderPanel = (p) => (full) => {
    const panelRuns = p.runs ? p.runs.map((id) => runsById.get(id)).filter(Boolean) : fullRuns;
    const height = full ? Math.max(320, window.innerHeight - 220) : 220;
    const done = () => onDrawn(p.id);
    if (p.type === "line")
      return html`<${LinePanel}
        entity=${entity}
        project=${project}
        stream=${stream}
        runs=${panelRuns}
        keys=${p.keys}
        xAxis=${p.x_axis || settings.x_axis}
        smoothing=${p.smoothing ?? settings.smoothing}
        logY=${p.log_y ?? settings.log_y}
        height=${height}
        onDrawn=${done}
      />`;
    if (p.type === "media")
      return html`<${MediaPanel} entity=${entity} project=${project} runs=${panelRuns} keyName=${p.keys[0]} height=${full ? height : 260} onDrawn=${done} />`;
    if (p.type === "table") return html`<${TablePanel} entity=${entity} project=${project} runs=${panelRuns} keyName=${p.keys[0]} height=${full ? height : 300} onDrawn=${done} />`;
    if (p.type === "plot") return html`<${PlotPanel} entity=${entity} project=${project} runs=${panelRuns} keyName=${p.keys[0]} height=${full ? height : 260} onDrawn=${done} />`;
    if (p.type === "bar") return html`<${BarPanel} runs=${panelRuns} metric=${p.metric} onDrawn=${done} />`;
    if (p.type === "scatter") return html`<${ScatterPanel} runs=${panelRuns} x=${p.x} y=${p.y} height=${full ? height : 260} onDrawn=${done} />`;
    if (p.type === "parallel") return html`<${ParallelPanel} runs=${panelRuns} axes=${p.axes} height=${full ? height : 260} onDrawn=${done} />`;
    return html`<${ErrorBox} error=${new Error(`Unknown panel type ${p.type}: remove this panel.`)} />`;
  };

  return html`<div class="workspace" ref=${root} data-panels=${panels.length}>
    <${Toolbar}
      settings=${settings}
      xKeys=${numericKeys}
      search=${search}
      onSearch=${setSearch}
      onSettings=${(patch) => commit({ settings: { ...settings, ...patch } })}
      onAdd=${() => setAdding(true)}
      saveState=${saveState}
    />
    <${ErrorBox} error=${error || (saveState instanceof Error ? saveState : null)} />
    ${!runs.length && html`<${Empty}>No runs to show: log a run, or select runs in the runs table.<//>`}
    ${runs.length > 0 && !panels.length && html`<${Empty}>No metrics logged yet: charts appear here as the runs call log().<//>`}
    ${panels.length > 0 && !shown.length && html`<${Empty}>No panel matches “${search}”.<//>`}
    ${ordered.map(
      ([name, list]) => html`<details class="ws-section" open key=${name} data-section=${name}>
        <summary><h2>${name} <span class="muted count">${list.length}</span></h2></summary>
        <div class="ws-grid">
          ${list.map((p) => {
            const sectionList = panels.filter((q) => panelSection(q) === name);
            const at = sectionList.indexOf(p);
            return html`<${Panel}
              key=${p.id}
              panel=${p}
              title=${panelTitle(p)}
              subtitle=${p.runs ? `${p.runs.length} run${p.runs.length === 1 ? "" : "s"}` : ""}
              xKeys=${numericKeys}
              defaults=${{ xLabel, smoothing: settings.smoothing, logY: settings.log_y }}
              canMoveUp=${at > 0}
              canMoveDown=${at < sectionList.length - 1}
              onChange=${(patch) => change(p, patch)}
              onRemove=${() => remove(p)}
              onMove=${(dir) => move(p.id, dir)}
              onDropOn=${(movedId) => dropOn(movedId, p.id)}
              render=${renderPanel(p)}
            />`;
          })}
        </div>
      </details>`,
    )}
    ${adding && html`<${PanelEditor} keys=${numericKeys} mediaKeys=${richKeys.filter((k) => k.type === "media")} runs=${fullRuns} onAdd=${add} onCancel=${() => setAdding(false)} />`}
  </div>`;
}
