// The runs table's filter bar: field / operator / value chips, turned into the
// MongoDB-style `filters` JSON the server runs in SQL, and back again on load.
import { html, useState } from "../../vendor/preact-htm.js";

export const OPERATORS = ["=", "!=", ">", ">=", "<", "<=", "in", "regex"];
const TO_MONGO = { "=": "$eq", "!=": "$ne", ">": "$gt", ">=": "$gte", "<": "$lt", "<=": "$lte", in: "$in", regex: "$regex" };
const FROM_MONGO = Object.fromEntries(Object.entries(TO_MONGO).map(([op, mongo]) => [mongo, op]));
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** "0.01" -> 0.01, "true" -> true, "null" -> null, anything else stays text. */
export function parseValue(text) {
  const t = text.trim();
  if (NUMBER.test(t)) return Number(t);
  if (t === "true" || t === "false") return t === "true";
  if (t === "null") return null;
  return t;
}

/** Run fields that hold text: their values stay text even when they look like numbers. */
const TEXT_FIELDS = new Set(["name", "display_name", "state", "tags", "group", "job_type", "user", "host", "notes", "run_id"]);

function chipValue(chip) {
  const parse = TEXT_FIELDS.has(chip.field) ? (t) => t.trim() : parseValue;
  if (chip.op === "in") return chip.value.split(",").map(parse);
  if (chip.op === "regex") return chip.value;
  return parse(chip.value);
}

/** Chips -> one Mongo filter; a field with two conditions under one operator goes into $and. */
export function chipsToFilters(chips) {
  const merged = {};
  const extra = [];
  for (const chip of chips) {
    const mongo = TO_MONGO[chip.op];
    const value = chipValue(chip);
    const current = merged[chip.field];
    if (current === undefined) merged[chip.field] = mongo === "$eq" ? value : { [mongo]: value };
    else if (isOperatorObject(current) && !(mongo in current)) current[mongo] = value;
    else extra.push({ [chip.field]: { [mongo]: value } });
  }
  return extra.length ? { ...merged, $and: extra } : merged;
}

function isOperatorObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value) &&
    Object.keys(value).length > 0 && Object.keys(value).every((k) => k.startsWith("$"));
}

function showValue(value) {
  if (Array.isArray(value)) return value.map(showValue).join(",");
  return value === null ? "null" : String(value);
}

/** The inverse of chipsToFilters for the filters it writes; other shapes are kept as raw JSON. */
export function filtersToChips(filters) {
  const chips = [];
  const walk = (node) => {
    for (const [field, cond] of Object.entries(node || {})) {
      if (field === "$and" && Array.isArray(cond)) cond.forEach(walk);
      else if (field.startsWith("$")) throw new Error(`unsupported filter ${field}`);
      else if (isOperatorObject(cond)) {
        for (const [mongo, value] of Object.entries(cond)) {
          if (!(mongo in FROM_MONGO)) throw new Error(`unsupported operator ${mongo}`);
          chips.push({ field, op: FROM_MONGO[mongo], value: showValue(value) });
        }
      } else chips.push({ field, op: "=", value: showValue(cond) });
    }
  };
  try {
    walk(filters);
    return chips;
  } catch {
    return null;
  }
}

/** Filterable fields: run columns, tags, and every config/summary key of the project. */
export function filterFields(columns) {
  const base = ["name", "state", "tags", "group", "job_type", "user", "host", "notes", "run_id", "created_at"];
  return [...base, ...columns.config.map((k) => "config." + k), ...columns.summary.map((k) => "summary." + k)];
}

export function FilterBar({ chips, fields, onChange }) {
  const [draft, setDraft] = useState({ field: "", op: "=", value: "" });
  const [error, setError] = useState(null);
  const add = (event) => {
    event.preventDefault();
    const field = draft.field.trim();
    if (!field) return setError("Choose a field to filter on, e.g. config.lr or state.");
    if (draft.op === "regex") {
      try {
        new RegExp(draft.value);
      } catch (e) {
        return setError(`${e.message}: fix the pattern, or use = for an exact match.`);
      }
    }
    setError(null);
    onChange([...chips, { field, op: draft.op, value: draft.value }]);
    setDraft({ ...draft, value: "" });
  };
  return html`
    <div class="filter-bar">
      ${chips.map(
        (chip, i) => html`<span class="chip" data-chip=${i} key=${i}>
          <span class="chip-text">${chip.field} ${chip.op} ${chip.value}</span>
          <button type="button" class="chip-x" aria-label=${`Remove filter ${chip.field}`}
            onClick=${() => onChange(chips.filter((_, j) => j !== i))}>×</button>
        </span>`,
      )}
      <form class="filter-add" onSubmit=${add}>
        <input class="filter-field" list="filter-fields" placeholder="field" aria-label="Filter field"
          value=${draft.field} onInput=${(e) => setDraft({ ...draft, field: e.currentTarget.value })} />
        <datalist id="filter-fields">${fields.map((f) => html`<option value=${f} />`)}</datalist>
        <select aria-label="Filter operator" value=${draft.op}
          onChange=${(e) => setDraft({ ...draft, op: e.currentTarget.value })}>
          ${OPERATORS.map((op) => html`<option value=${op}>${op}</option>`)}
        </select>
        <input class="filter-value" placeholder=${draft.op === "in" ? "a,b,c" : "value"} aria-label="Filter value"
          value=${draft.value} onInput=${(e) => setDraft({ ...draft, value: e.currentTarget.value })} />
        <button type="submit">Add filter</button>
      </form>
      ${error && html`<span class="filter-error" role="alert">${error}</span>`}
    </div>
  `;
}
