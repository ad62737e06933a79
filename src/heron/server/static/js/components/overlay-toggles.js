// Switches for an image panel's overlays: each mask or box set on or off, and
// each of its classes (with the class's colour), for every image of the panel.
import { html } from "../../vendor/preact-htm.js";
import { classColor } from "../lib/media.js";

export function OverlayToggles({ sets, hidden, onToggle }) {
  if (!sets.length) return null;
  return html`<div class="overlay-toggles" role="group" aria-label="Overlays">
    ${sets.map((set) => {
      const id = `${set.type}:${set.name}`;
      const setOn = !hidden.has(id);
      return html`<div class="overlay-set" key=${id} data-overlay=${id}>
        <label class="overlay-set-name">
          <input type="checkbox" aria-label=${`${set.type === "mask" ? "Mask" : "Boxes"} ${set.name}`} checked=${setOn} onChange=${() => onToggle(id)} />
          ${set.type === "mask" ? "mask" : "boxes"} <b>${set.name}</b>
        </label>
        ${Object.entries(set.labels).map(
          ([classId, label]) => html`<label class="overlay-class" key=${classId}>
            <input
              type="checkbox"
              aria-label=${`${set.name}: ${label}`}
              disabled=${!setOn}
              checked=${!hidden.has(`${id}:${classId}`)}
              onChange=${() => onToggle(`${id}:${classId}`)}
            />
            <span class="swatch" style=${{ background: classColor(classId) }}></span>${label}
          </label>`,
        )}
      </div>`;
    })}
  </div>`;
}
