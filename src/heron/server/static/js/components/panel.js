// The frame around every workspace chart: title, per-panel settings, full screen,
// move/drag/remove. Its chart renders only once the panel scrolls near the view,
// so the panels on screen load first.
import { html, useEffect, useLayoutEffect, useRef, useState } from "../../vendor/preact-htm.js";
import { X_AXES } from "../lib/series.js";

const NEAR_VIEW = "300px";

function useNearView(ref) {
  const [seen, setSeen] = useState(false);
  useEffect(() => {
    if (seen || !ref.current) return undefined;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) {
          setSeen(true);
          observer.disconnect();
        }
      },
      { rootMargin: NEAR_VIEW },
    );
    observer.observe(ref.current);
    return () => observer.disconnect();
  }, [seen]);
  return seen;
}

/** Per-panel overrides of the workspace's x axis, smoothing and scale (unset = the workspace's). */
function LineSettings({ panel, xKeys, defaults, onChange }) {
  const smoothing = panel.smoothing ?? defaults.smoothing;
  return html`<div class="panel-settings" role="group" aria-label="Panel settings">
    <label>X axis
      <select aria-label="Panel x axis" value=${panel.x_axis ?? ""} onChange=${(e) => onChange({ x_axis: e.currentTarget.value || null })}>
        <option value="">Workspace (${defaults.xLabel})</option>
        ${X_AXES.map((a) => html`<option value=${a.value}>${a.label}</option>`)}
        ${xKeys.map((k) => html`<option value=${k}>${k}</option>`)}
      </select>
    </label>
    <label>Smoothing ${smoothing.toFixed(2)}${panel.smoothing === undefined || panel.smoothing === null ? " (workspace)" : ""}
      <input type="range" aria-label="Panel smoothing" min="0" max="0.99" step="0.01" value=${smoothing} onInput=${(e) => onChange({ smoothing: Number(e.currentTarget.value) })} />
    </label>
    <label>Y scale
      <select aria-label="Panel y scale" value=${panel.log_y === true ? "log" : panel.log_y === false ? "linear" : ""} onChange=${(e) => onChange({ log_y: e.currentTarget.value === "" ? null : e.currentTarget.value === "log" })}>
        <option value="">Workspace (${defaults.logY ? "log" : "linear"})</option>
        <option value="linear">Linear</option>
        <option value="log">Log</option>
      </select>
    </label>
    <button onClick=${() => onChange({ x_axis: null, smoothing: null, log_y: null })}>Use workspace settings</button>
  </div>`;
}

export function Panel({ panel, title, subtitle, xKeys, defaults, canMoveUp, canMoveDown, onChange, onRemove, onMove, onDropOn, render }) {
  const ref = useRef(null);
  const seen = useNearView(ref);
  const [full, setFull] = useState(false);
  const [editing, setEditing] = useState(false);
  const [dropping, setDropping] = useState(false);

  useLayoutEffect(() => {  // listening before the full-screen panel paints (see media-zoom.js)
    if (!full) return undefined;
    const onKey = (e) => e.key === "Escape" && setFull(false);
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [full]);

  const drag = {
    onDragStart: (e) => {
      e.dataTransfer.setData("text/x-heron-panel", panel.id);
      e.dataTransfer.effectAllowed = "move";
    },
  };
  const drop = {
    onDragOver: (e) => {
      if (!e.dataTransfer.types.includes("text/x-heron-panel")) return;
      e.preventDefault();
      setDropping(true);
    },
    onDragLeave: () => setDropping(false),
    onDrop: (e) => {
      e.preventDefault();
      setDropping(false);
      const moved = e.dataTransfer.getData("text/x-heron-panel");
      if (moved && moved !== panel.id) onDropOn(moved);
    },
  };
  const cls = ["panel", "ws-panel", full && "panel-full", dropping && "drop-target"].filter(Boolean).join(" ");
  return html`<div class=${cls} ref=${ref} data-panel-id=${panel.id} data-type=${panel.type} data-title=${title} ...${drop}>
    <div class="panel-head">
      <span class="drag-handle" draggable="true" title="Drag to move" aria-label="Drag to move" ...${drag}>⠿</span>
      <span class="panel-title" title=${title}>${title}</span>
      ${subtitle && html`<span class="panel-subtitle muted">${subtitle}</span>`}
      <span class="panel-actions">
        ${panel.type === "line" && html`<button class="icon" title="Panel settings" aria-label="Panel settings" aria-pressed=${editing} onClick=${() => setEditing(!editing)}>⚙</button>`}
        <button class="icon" title="Move up" aria-label="Move up" disabled=${!canMoveUp} onClick=${() => onMove(-1)}>↑</button>
        <button class="icon" title="Move down" aria-label="Move down" disabled=${!canMoveDown} onClick=${() => onMove(1)}>↓</button>
        <button class="icon" title=${full ? "Exit full screen" : "Full screen"} aria-label=${full ? "Exit full screen" : "Full screen"} onClick=${() => setFull(!full)}>${full ? "⤡" : "⤢"}</button>
        ${!full && html`<button class="icon" title="Remove panel" aria-label="Remove panel" onClick=${onRemove}>✕</button>`}
      </span>
    </div>
    ${editing && panel.type === "line" && html`<${LineSettings} panel=${panel} xKeys=${xKeys} defaults=${defaults} onChange=${onChange} />`}
    <div class="panel-body">${seen ? render(full) : html`<div class="chart-placeholder muted">…</div>`}</div>
  </div>`;
}
