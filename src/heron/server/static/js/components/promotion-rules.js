// A collection's promotion rules: each alias's gate (the summary metric of the run
// that logged a version, compared to a number), with a form to add or replace one
// and a button to remove one.
import { html, useState } from "../../vendor/preact-htm.js";
import { aliasProblem } from "./alias-editor.js";
import { ErrorBox } from "./common.js";

export const RULE_OPS = [">=", ">", "<=", "<", "==", "!="];

export function PromotionRules({ rules, onSet, onRemove }) {
  const [alias, setAlias] = useState("");
  const [metric, setMetric] = useState("");
  const [op, setOp] = useState(">=");
  const [value, setValue] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  const act = async (fn) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
      return true;
    } catch (e) {
      setError(e);
      return false;
    } finally {
      setBusy(false);
    }
  };
  const submit = async (e) => {
    e.preventDefault();
    const name = alias.trim();
    const number = Number(value);
    const problem = aliasProblem(name) || (!metric.trim() ? "Name the summary metric the rule compares, e.g. val/accuracy." : null) || (value.trim() === "" || !Number.isFinite(number) ? `The rule's value must be a number, not "${value}".` : null);
    if (problem) return setError(new Error(problem));
    if (await act(() => onSet(name, { metric: metric.trim(), op, value: number }))) {
      setAlias("");
      setMetric("");
      setValue("");
    }
  };

  const entries = Object.entries(rules || {});
  return html`<div class="panel promotion-rules">
    <h2>Promotion rules</h2>
    <p class="muted">A version may take the alias only when the run that logged it has this summary value.</p>
    ${entries.length === 0
      ? html`<p class="muted no-rules">No rules: any version may take any alias.</p>`
      : html`<table class="grid rules">
          <thead><tr><th>Alias</th><th>Requires</th><th></th></tr></thead>
          <tbody>
            ${entries.map(
              ([name, rule]) => html`<tr key=${name} data-rule=${name}>
                <td><span class="chip alias small">${name}</span></td>
                <td class="mono">summary ${rule.metric} ${rule.op} ${String(rule.value)}</td>
                <td><button type="button" class="danger" disabled=${busy} aria-label=${"Remove rule " + name} onClick=${() => act(() => onRemove(name))}>Remove</button></td>
              </tr>`,
            )}
          </tbody>
        </table>`}
    <form class="rule-form" onSubmit=${submit}>
      <input aria-label="Rule alias" placeholder="alias (production)" value=${alias} onInput=${(e) => setAlias(e.currentTarget.value)} />
      <input aria-label="Rule metric" placeholder="summary metric (val/accuracy)" value=${metric} onInput=${(e) => setMetric(e.currentTarget.value)} />
      <select aria-label="Rule operator" value=${op} onChange=${(e) => setOp(e.currentTarget.value)}>
        ${RULE_OPS.map((o) => html`<option key=${o} value=${o}>${o}</option>`)}
      </select>
      <input aria-label="Rule value" class="rule-value" placeholder="0.95" inputmode="decimal" value=${value} onInput=${(e) => setValue(e.currentTarget.value)} />
      <button type="submit" disabled=${busy}>Set rule</button>
    </form>
    <${ErrorBox} error=${error} />
  </div>`;
}
