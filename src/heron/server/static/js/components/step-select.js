// Which step's value a media panel shows: each run's latest (the default) or one step.
import { html } from "../../vendor/preact-htm.js";

/** Props: {steps: [n...], step: n | null (latest), onStep}. Hidden when there is one step. */
export function StepSelect({ steps, step, onStep }) {
  if (steps.length < 2) return null;
  return html`<label class="step-select">Step
    <select aria-label="Step" value=${step === null ? "" : String(step)} onChange=${(e) => onStep(e.currentTarget.value === "" ? null : Number(e.currentTarget.value))}>
      <option value="">Latest</option>
      ${steps.map((s) => html`<option value=${String(s)}>${s}</option>`)}
    </select>
  </label>`;
}
